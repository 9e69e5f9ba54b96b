#!/usr/bin/env bash
# Whole-process comparison of `relsig standalone-verify` (release build) with
# `skopeo standalone-verify` on the same inputs: README's first set-up
# command, the real Red Hat signature of the noo bundle
# (fixtures/openshift/noo-bundle-image: manifest.json, signature-3) checked
# with the built-in Red Hat keys (`any`); skopeo gets release key 2.
#
# Runs the two in turn, RUNS pairs (default 30, at least 20), and prints
# the median, min and max CPU time (user + system) and wall time of each
# and of the ratios relsig/skopeo taken pair by pair (bench/paired.py),
# then peak resident memory (max RSS, /usr/bin/time). Targets: a CPU ratio
# of at most 0.07, and a peak of at most 8 MiB. RUST_BACKTRACE is unset:
# it makes every error inside sequoia capture a backtrace.
#
# skopeo reads keys from GnuPG: the key is imported into a temporary
# GNUPGHOME that is deleted afterwards. skopeo >= 1.12 can take the key file
# directly (--public-key-file), which is used when offered.
#
# Environment: RUNS (default 30), RELSIG (a relsig binary to use instead of
# building target/<host triple>/release/relsig), SKOPEO (default: skopeo on PATH).
# Needs: python3, gpg, /usr/bin/time (Debian package `time`; optional, for
# memory).
set -euo pipefail
unset RUST_BACKTRACE RUST_LIB_BACKTRACE

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/bench/lib.sh"
cd "$here"

runs=${RUNS:-30}
if ((runs < 20)); then
    echo "compare-skopeo: RUNS=$runs is too few for a stable median; using 20" >&2
    runs=20
fi

skopeo=${SKOPEO:-$(command -v skopeo || true)}
if [[ -z "$skopeo" || ! -x "$skopeo" ]]; then
    echo "compare-skopeo: SKIPPED: skopeo is not installed (Debian: apt-get install skopeo)"
    exit 0
fi
if ! command -v gpg >/dev/null; then
    echo "compare-skopeo: SKIPPED: gpg is not installed; skopeo needs it for its keys (apt-get install gpg)"
    exit 0
fi

manifest=fixtures/openshift/noo-bundle-image/manifest.json
signature=fixtures/openshift/noo-bundle-image/signature-3
reference=registry.redhat.io/albo/aws-load-balancer-operator-bundle:0.0.1
key=fixtures/redhat-keys/redhat-release-key-2_FD431D51_sha256-selfsig.gpg
fingerprint=567E347AD0044ADE55BA8A5F199E2F91FD431D51

if [[ -n "${RELSIG:-}" ]]; then
    relsig=$RELSIG
else
    echo "compare-skopeo: building relsig (release)..." >&2
    cargo build --release --quiet
    relsig=$release/relsig
fi

work=$(mktemp -d)
export GNUPGHOME=$work/gnupg
cleanup() {
    gpgconf --homedir "$GNUPGHOME" --kill all >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --import "$key" 2>/dev/null

relsig_cmd=("$relsig" standalone-verify "$manifest" "$reference" any "$signature")
skopeo_cmd=("$skopeo" standalone-verify "$manifest" "$reference" "$fingerprint" "$signature")
skopeo_help=$("$skopeo" standalone-verify --help 2>&1 || true)
if [[ "$skopeo_help" == *--public-key-file* ]]; then
    skopeo_cmd+=(--public-key-file "$key")
fi

# Both must verify, or the timings compare different work.
for cmd in relsig_cmd skopeo_cmd; do
    declare -n c=$cmd
    if ! out=$("${c[@]}" 2>&1); then
        echo "compare-skopeo: ${c[0]} did not verify the noo bundle:" >&2
        echo "$out" >&2
        exit 1
    fi
    echo "${c[0]##*/}: $out"
done

# A B A B ...: the CPU and wall ratios are taken pair by pair, so that a
# change of load during the call weighs on both (bench/paired.py).
python3 bench/paired.py "$runs" 3 -- "${relsig_cmd[@]}" -- "${skopeo_cmd[@]}" >"$work/paired"
cpu_ratio=$(awk '/^A\/B cpu/ { print $4 }' "$work/paired")
wall_ratio=$(awk '/^A\/B wall/ { print $4 }' "$work/paired")

# Prints the largest max-RSS (KiB) of 5 runs of "$@".
peak_rss_kib() {
    local i
    for ((i = 0; i < 5; i++)); do
        /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1
        cat "$work/rss"
    done | sort -n | tail -1
}

echo
echo "inputs: $manifest, $signature; relsig: the built-in Red Hat keys; skopeo: release key 2 ($key)"
echo "timing: $runs pairs (relsig, skopeo in turn) after 3 warm-up pairs; A = relsig, B = skopeo (gpg included)"
cat "$work/paired"
cpu_ok=$(awk -v r="$cpu_ratio" 'BEGIN { print (r <= 0.07) ? "met" : "MISSED" }')
echo "CPU ratio relsig/skopeo (median of pairs):  $cpu_ratio (target <= 0.070: $cpu_ok)"
echo "wall ratio relsig/skopeo (median of pairs): $wall_ratio"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) on $(nproc) cores (times of short runs grow with load)"

if [[ -x /usr/bin/time ]]; then
    relsig_kib=$(peak_rss_kib "${relsig_cmd[@]}")
    skopeo_kib=$(peak_rss_kib "${skopeo_cmd[@]}")
    mem_ok=$(awk -v k="$relsig_kib" 'BEGIN { print (k <= 8 * 1024) ? "met" : "MISSED" }')
    awk -v k="$relsig_kib" -v ok="$mem_ok" \
        'BEGIN { printf "relsig peak RSS:         %8.2f MiB (target <= 8 MiB: %s)\n", k / 1024, ok }'
    awk -v k="$skopeo_kib" 'BEGIN { printf "skopeo peak RSS:         %8.2f MiB\n", k / 1024 }'
else
    echo "relsig peak RSS:         not measured: /usr/bin/time is missing (Debian: apt-get install time)"
fi
