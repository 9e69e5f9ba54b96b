#!/usr/bin/env bash
# Start-up cost of `relsig verify` with only a local source, next to
# `relsig standalone-verify`: both check one real Red Hat RSA-4096
# signature with the built-in keys, so what `verify` costs beyond it is
# set-up (an HTTP client, CA certificates) that a ConfigMap does not need.
#
#   verify:     the OpenShift 4.15.0 release signature from
#               fixtures/openshift/configmaps/mirrored-release-signatures.yaml
#   standalone: the noo bundle's signature-3 (fixtures/openshift/noo-bundle-image)
#
# Prints, for each, the files opened under the system's CA directories
# (strace, optional), the median wall time (RUNS runs, default 30), and
# the ratio verify/standalone-verify.
#
# Environment: RUNS (default 30), RELSIG (a relsig binary instead of
# building target/<host triple>/release/relsig), NO_HYPERFINE=1 (use the shell loop).
# Needs: hyperfine (optional; falls back to a shell loop), strace (optional).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/bench/lib.sh"
cd "$here"
runs=${RUNS:-30}

if [[ -n "${RELSIG:-}" ]]; then
    relsig=$RELSIG
else
    echo "startup: building relsig (release)..." >&2
    cargo build --release --quiet
    relsig=$release/relsig
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Hermetic: no registries.d, registries.conf or certs.d of this machine.
export HOME=$work RELSIG_REGISTRIES_D=$work/none RELSIG_REGISTRIES_CONF=$work/none.conf \
    RELSIG_CERTS_D=$work/none

verify_cmd=("$relsig" verify
    --digest sha256:0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363
    --identity quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64
    --signature-configmap fixtures/openshift/configmaps/mirrored-release-signatures.yaml)
standalone_cmd=("$relsig" standalone-verify fixtures/openshift/noo-bundle-image/manifest.json
    registry.redhat.io/albo/aws-load-balancer-operator-bundle:0.0.1 any
    fixtures/openshift/noo-bundle-image/signature-3)

for cmd in verify_cmd standalone_cmd; do
    declare -n c=$cmd
    if ! out=$("${c[@]}" 2>&1); then
        echo "startup: ${c[*]} did not verify:" >&2
        echo "$out" >&2
        exit 1
    fi
done

# Files opened under the CA directories rustls-native-certs reads.
ca_files_opened() {
    strace -f -qq -e trace=open,openat -o "$work/strace" "$@" >/dev/null 2>&1 || true
    grep -cE '"(/etc/ssl|/etc/pki|/usr/share/ca-certificates|/usr/local/share/ca-certificates)' \
        "$work/strace" || true
}

now_ns() {
    local t=${EPOCHREALTIME/[.,]/}
    echo "${t}000"
}

# Times the two commands in turn (A B A B ...), so that a change of load
# during the call weighs on both; writes each run's nanoseconds to
# $work/a and $work/b.
alternate_loop() {
    local i start end
    for ((i = 0; i < 3; i++)); do
        "${verify_cmd[@]}" >/dev/null 2>&1
        "${standalone_cmd[@]}" >/dev/null 2>&1
    done
    : >"$work/a"
    : >"$work/b"
    for ((i = 0; i < runs; i++)); do
        start=$(now_ns)
        "${verify_cmd[@]}" >/dev/null 2>&1
        end=$(now_ns)
        echo $((end - start)) >>"$work/a"
        start=$(now_ns)
        "${standalone_cmd[@]}" >/dev/null 2>&1
        end=$(now_ns)
        echo $((end - start)) >>"$work/b"
    done
}

median_ms() {
    sort -n "$1" | awk '{ t[NR] = $1 } END {
        m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
        printf "%.2f\n", m / 1e6 }'
}

quote() { printf '%q ' "$@"; }

if [[ "${NO_HYPERFINE:-}" != 1 ]] && command -v hyperfine >/dev/null; then
    method="hyperfine, $runs runs after 3 warm-ups, no shell"
    hyperfine --style none -N --warmup 3 --runs "$runs" --export-json "$work/h.json" \
        "$(quote "${verify_cmd[@]}")" "$(quote "${standalone_cmd[@]}")" >/dev/null
    mapfile -t medians < <(grep -o '"median": *[0-9.eE+-]*' "$work/h.json" |
        awk -F': *' '{ printf "%.2f\n", $2 * 1000 }')
    verify_ms=${medians[0]}
    standalone_ms=${medians[1]}
else
    method="shell loop (EPOCHREALTIME), $runs runs of each in turn after 3 warm-ups"
    alternate_loop
    verify_ms=$(median_ms "$work/a")
    standalone_ms=$(median_ms "$work/b")
fi

echo "timing: $method"
if command -v strace >/dev/null; then
    echo "CA files opened: verify --signature-configmap $(ca_files_opened "${verify_cmd[@]}"), standalone-verify $(ca_files_opened "${standalone_cmd[@]}")"
else
    echo "CA files opened: not counted (strace is not installed)"
fi
printf 'verify --signature-configmap median: %8.2f ms\n' "$verify_ms"
printf 'standalone-verify median:            %8.2f ms\n' "$standalone_ms"
awk -v v="$verify_ms" -v s="$standalone_ms" 'BEGIN { printf "ratio verify/standalone-verify:       %8.2f\n", v / s }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
