#!/usr/bin/env bash
# Whole-process comparison of `relsig standalone-verify` (release build) with
# `skopeo standalone-verify` on the same inputs: the real Red Hat signature
# of the noo bundle (fixtures/openshift/noo-bundle-image: manifest.json,
# signature-1) and Red Hat release key 2.
#
# Prints the median wall time of each (RUNS runs, default 30, at least 20),
# the ratio, and peak resident memory (max RSS). Targets: relsig takes at
# most 1/10 of skopeo's time, and peaks under 15 MiB.
#
# skopeo reads keys from GnuPG: the key is imported into a temporary
# GNUPGHOME that is deleted afterwards. skopeo >= 1.12 can take the key file
# directly (--public-key-file), which is used when offered.
#
# Environment: RUNS (default 30), NO_HYPERFINE=1 (use the loop), RELSIG (a relsig binary to use instead of
# building target/release/relsig), SKOPEO (default: skopeo on PATH).
# Needs: hyperfine (optional; falls back to a shell loop), /usr/bin/time
# (Debian package `time`; optional, for memory), gpg.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
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
signature=fixtures/openshift/noo-bundle-image/signature-1
reference=registry.access.redhat.com/albo/aws-load-balancer-operator-bundle:0.0.1
key=fixtures/redhat-keys/redhat-release-key-2_FD431D51_sha256-selfsig.gpg
fingerprint=567E347AD0044ADE55BA8A5F199E2F91FD431D51

if [[ -n "${RELSIG:-}" ]]; then
    relsig=$RELSIG
else
    echo "compare-skopeo: building relsig (release)..." >&2
    cargo build --release --quiet
    relsig=$here/target/release/relsig
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

relsig_cmd=("$relsig" standalone-verify "$manifest" "$reference" "$fingerprint" "$signature"
    --public-key-file "$key")
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

# Nanoseconds since the epoch: bash 5's EPOCHREALTIME needs no fork, so
# the loop measures the command rather than `date`.
now_ns() {
    if [[ -n "${EPOCHREALTIME:-}" ]]; then
        local t=${EPOCHREALTIME/[.,]/}
        echo "${t}000"
    else
        date +%s%N
    fi
}

# Prints the median wall time of "$@" in milliseconds.
median_ms_loop() {
    local i start end
    for ((i = 0; i < 3; i++)); do "$@" >/dev/null 2>&1; done
    for ((i = 0; i < runs; i++)); do
        start=$(now_ns)
        "$@" >/dev/null 2>&1
        end=$(now_ns)
        echo $((end - start))
    done | sort -n | awk '{ t[NR] = $1 } END {
        m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
        printf "%.2f\n", m / 1e6 }'
}

quote() { printf '%q ' "$@"; }

if [[ "${NO_HYPERFINE:-}" != 1 ]] && command -v hyperfine >/dev/null; then
    method="hyperfine, $runs runs after 3 warm-ups, no shell"
    hyperfine --style none -N --warmup 3 --runs "$runs" --export-json "$work/h.json" \
        "$(quote "${relsig_cmd[@]}")" "$(quote "${skopeo_cmd[@]}")" >/dev/null
    mapfile -t medians < <(grep -o '"median": *[0-9.eE+-]*' "$work/h.json" |
        awk -F': *' '{ printf "%.2f\n", $2 * 1000 }')
    relsig_ms=${medians[0]}
    skopeo_ms=${medians[1]}
    # Mean CPU time (user + system, children included) per run: unlike
    # wall time it hardly moves when other work shares the cores.
    mapfile -t cpu < <(awk -F': *' '/"user":/ { u = $2 + 0 } /"system":/ { printf "%.2f\n", (u + $2) * 1000 }' "$work/h.json")
else
    method="shell loop (EPOCHREALTIME or date +%s%N), $runs runs after 3 warm-ups"
    cpu=()
    relsig_ms=$(median_ms_loop "${relsig_cmd[@]}")
    skopeo_ms=$(median_ms_loop "${skopeo_cmd[@]}")
fi

# Prints the largest max-RSS (KiB) of 5 runs of "$@".
peak_rss_kib() {
    local i
    for ((i = 0; i < 5; i++)); do
        /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1
        cat "$work/rss"
    done | sort -n | tail -1
}

echo
echo "inputs: $manifest, $signature, release key 2 ($key)"
echo "timing: $method"
printf 'relsig median wall time: %8.2f ms\n' "$relsig_ms"
printf 'skopeo median wall time: %8.2f ms\n' "$skopeo_ms"
ratio=$(awk -v r="$relsig_ms" -v s="$skopeo_ms" 'BEGIN { printf "%.3f", r / s }')
speedup=$(awk -v r="$relsig_ms" -v s="$skopeo_ms" 'BEGIN { printf "%.1f", s / r }')
time_ok=$(awk -v r="$relsig_ms" -v s="$skopeo_ms" 'BEGIN { print (r * 10 <= s) ? "met" : "MISSED" }')
echo "ratio relsig/skopeo:     $ratio (skopeo takes ${speedup}x as long; target <= 0.100: $time_ok)"
if ((${#cpu[@]} == 2)); then
    printf 'CPU time (user+sys):     relsig %.2f ms, skopeo %.2f ms (incl. gpg), ratio %s\n' \
        "${cpu[0]}" "${cpu[1]}" "$(awk -v r="${cpu[0]}" -v s="${cpu[1]}" 'BEGIN { printf "%.3f", r / s }')"
fi
echo "load average:            $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) on $(nproc) cores (wall times of short runs grow with load)"

if [[ -x /usr/bin/time ]]; then
    relsig_kib=$(peak_rss_kib "${relsig_cmd[@]}")
    skopeo_kib=$(peak_rss_kib "${skopeo_cmd[@]}")
    mem_ok=$(awk -v k="$relsig_kib" 'BEGIN { print (k < 15 * 1024) ? "met" : "MISSED" }')
    awk -v k="$relsig_kib" -v ok="$mem_ok" \
        'BEGIN { printf "relsig peak RSS:         %8.2f MiB (target < 15 MiB: %s)\n", k / 1024, ok }'
    awk -v k="$skopeo_kib" 'BEGIN { printf "skopeo peak RSS:         %8.2f MiB\n", k / 1024 }'
else
    echo "relsig peak RSS:         not measured: /usr/bin/time is missing (Debian: apt-get install time)"
fi
