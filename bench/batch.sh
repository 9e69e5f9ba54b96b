#!/usr/bin/env bash
# Batch throughput: `relsig verify --from-file` over IMAGES (default 10,000)
# digest-pinned images, each with its own RSA-4096 signature made with gpg
# at bench time, read from a loopback signature store (the store mode of
# examples/hostile_server.rs) and from a directory; next to it, a loop of
# `skopeo standalone-verify` over a sample of the same images (SAMPLE,
# default 200; its images/s are extrapolated from the sample, as skopeo
# verifies one image per process). Then peak RSS of relsig for lists of
# 1,000 / 10,000 / 100,000 lines (RSS_LINES), which repeat the signed
# images in turn when there are fewer (each line is still fetched and
# verified on its own).
#
# Targets (issue 13, 2 cores): >= 3,000 images/s from the loopback store,
# >= 6,000 images/s from a directory, peak RSS flat from 1,000 to 100,000
# images.
#
# The key and signatures are kept in BATCH_DATA (default
# target/bench-batch-IMAGES) and reused by later runs; delete it to make
# new ones. Signing 10,000 images with gpg takes a few minutes.
#
# Environment: IMAGES, SAMPLE, RUNS (relsig runs per source, median
# reported; default 3), JOBS (relsig -j, default 16), RSS_LINES, BATCH_DATA,
# RELSIG (a relsig binary instead of building target/<host triple>/release/relsig),
# SKOPEO (default: skopeo on PATH; the comparison is skipped without it).
# Needs: gpg, python3, /usr/bin/time (Debian package `time`).
set -euo pipefail
unset RUST_BACKTRACE

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/bench/lib.sh"
cd "$here"

images=${IMAGES:-10000}
sample=${SAMPLE:-200}
runs=${RUNS:-3}
jobs=${JOBS:-16}
rss_lines=${RSS_LINES:-"1000 10000 100000"}
data=${BATCH_DATA:-$here/target/bench-batch-$images}
skopeo=${SKOPEO:-$(command -v skopeo || true)}

for tool in gpg python3 /usr/bin/time; do
    if ! command -v "$tool" >/dev/null; then
        echo "batch: SKIPPED: $tool is not installed" >&2
        exit 0
    fi
done

echo "batch: building relsig and the store server (release)..." >&2
build_release hostile_server
relsig=${RELSIG:-$release/relsig}
server_bin=$release/examples/hostile_server

work=$(mktemp -d)
server_pid=""
cleanup() {
    # `|| true`: under `set -e` the server's 143 from `wait` would become
    # the script's exit status.
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    gpgconf --homedir "$data/gnupg" --kill all >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# --- The images: manifests, payloads, a key, gpg signatures -------------
make_data() {
    rm -rf "$data"
    mkdir -p "$data"/{manifests,payloads,store}
    mkdir -m 700 "$data/gnupg"
    export GNUPGHOME=$data/gnupg
    echo "batch: making an RSA-4096 key with gpg..." >&2
    gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
        --quick-gen-key 'relsig batch bench <bench@relsig.invalid>' rsa4096 sign never 2>/dev/null
    gpg --with-colons --list-keys 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }' >"$data/fingerprint"
    gpg --export "$(cat "$data/fingerprint")" >"$data/key.gpg"

    echo "batch: writing $images manifests and payloads..." >&2
    # One process for all (a fork per image would take minutes).
    python3 - "$data" "$images" <<'PY'
import hashlib, os, sys
data, images = sys.argv[1], int(sys.argv[2])
with open(os.path.join(data, "images"), "w") as listing:
    for n in range(1, images + 1):
        manifest = (
            '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
            '"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":%d,'
            '"digest":"sha256:%064x"},"layers":[]}\n' % (n, n)
        ).encode()
        hex_ = hashlib.sha256(manifest).hexdigest()
        with open(os.path.join(data, "manifests", hex_ + ".json"), "wb") as f:
            f.write(manifest)
        os.mkdir(os.path.join(data, "store", "sha256=" + hex_))
        payload = (
            '{"critical":{"identity":{"docker-reference":"bench.example/app:%d"},'
            '"image":{"docker-manifest-digest":"sha256:%s"},"type":"atomic container signature"},'
            '"optional":{"creator":"relsig bench/batch.sh"}}' % (n, hex_)
        )
        with open(os.path.join(data, "payloads", hex_ + ".json"), "w") as f:
            f.write(payload)
        listing.write("%d %s\n" % (n, hex_))
PY

    echo "batch: signing $images payloads with gpg ($(nproc) at a time)..." >&2
    awk '{ print $2 }' "$data/images" |
        xargs -P "$(nproc)" -n 100 bash -c '
            for hex; do
                gpg --batch --quiet --yes --sign \
                    --output "$0/store/sha256=$hex/signature-1" "$0/payloads/$hex.json"
            done' "$data"
    touch "$data/complete"
}

if [[ ! -e "$data/complete" ]]; then
    make_data
fi
export GNUPGHOME=$data/gnupg
fingerprint=$(cat "$data/fingerprint")
awk '{ printf "sha256:%s bench.example/app:%s\n", $2, $1 }' "$data/images" >"$work/list"

# A list of `lines` lines, repeating the images in turn.
list_of() {
    awk -v n="$1" '{ l[NR] = $0 } END { for (i = 0; i < n; i++) print l[i % NR + 1] }' \
        "$work/list" >"$work/list-$1"
}

# Runs relsig on list "$1" with the source options "${@:2}"; prints
# "wall_s cpu_s max_rss_kib". Fails unless every image verified.
relsig_run() {
    local list=$1
    shift
    if ! /usr/bin/time -f '%e %U %S %M' -o "$work/time" \
        "$relsig" verify --from-file "$list" "$@" --keyring "$data/key.gpg" \
        --key-fingerprints "$fingerprint" -j "$jobs" >"$work/out" 2>&1; then
        echo "batch: relsig did not verify every image of $list:" >&2
        grep -v '^OK\|verified' "$work/out" | head -5 >&2
        exit 1
    fi
    awk '{ printf "%s %.3f %s\n", $1, $2 + $3, $4 }' "$work/time"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# --- The loopback store ------------------------------------------------
"$server_bin" store "$data/store" "$work/url" &
server_pid=$!
for ((i = 0; i < 600; i++)); do
    [[ -s "$work/url" ]] && break
    sleep 0.1
done
url=$(cat "$work/url")

declare -A walls cpus
for source in mirror dir; do
    case $source in
    mirror) opts=(--signature-store "$url") ;;
    dir) opts=(--signature-dir "$data/store") ;;
    esac
    relsig_run "$work/list" "${opts[@]}" >/dev/null # warm-up (page cache)
    : >"$work/walls"
    : >"$work/cpus"
    for ((r = 0; r < runs; r++)); do
        read -r wall cpu _ < <(relsig_run "$work/list" "${opts[@]}")
        echo "$wall" >>"$work/walls"
        echo "$cpu" >>"$work/cpus"
    done
    walls[$source]=$(median <"$work/walls")
    cpus[$source]=$(median <"$work/cpus")
done

# --- skopeo over a sample ----------------------------------------------
skopeo_rate=""
if [[ -n "$skopeo" && -x "$skopeo" ]]; then
    head -n "$sample" "$data/images" >"$work/sample"
    start=${EPOCHREALTIME/[.,]/}
    while read -r n hex; do
        "$skopeo" standalone-verify "$data/manifests/$hex.json" "bench.example/app:$n" \
            "$fingerprint" "$data/store/sha256=$hex/signature-1" >/dev/null 2>&1 || {
            echo "batch: skopeo did not verify image $n" >&2
            exit 1
        }
    done <"$work/sample"
    end=${EPOCHREALTIME/[.,]/}
    skopeo_rate=$(awk -v n="$(wc -l <"$work/sample")" -v us=$((end - start)) 'BEGIN { printf "%.0f", n / (us / 1e6) }')
fi

# --- Peak RSS against the number of images -----------------------------
declare -A rss
for lines in $rss_lines; do
    list_of "$lines"
    read -r _ _ kib < <(relsig_run "$work/list-$lines" --signature-dir "$data/store")
    rss[dir-$lines]=$kib
    read -r _ _ kib < <(relsig_run "$work/list-$lines" --signature-store "$url")
    rss[mirror-$lines]=$kib
done

# --- Report --------------------------------------------------------------
rate() { awk -v n="$images" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }
echo
echo "images: $images, each an RSA-4096 gpg signature of its own; relsig -j $jobs, median of $runs runs"
printf '%-34s %10s %10s %12s\n' "" "images/s" "wall s" "CPU ms/image"
for source in mirror dir; do
    label="relsig, loopback store"
    [[ $source == dir ]] && label="relsig, directory"
    printf '%-34s %10s %10s %12s\n' "$label" "$(rate "${walls[$source]}")" "${walls[$source]}" \
        "$(awk -v c="${cpus[$source]}" -v n="$images" 'BEGIN { printf "%.3f", c * 1000 / n }')"
done
if [[ -n "$skopeo_rate" ]]; then
    printf '%-34s %10s %10s %12s\n' "skopeo loop (${sample}-image sample)" "$skopeo_rate" "-" "-"
    for source in mirror dir; do
        awk -v r="$(rate "${walls[$source]}")" -v s="$skopeo_rate" -v src="$source" \
            'BEGIN { printf "relsig (%s) / skopeo loop: %.0fx the images/s\n", src, r / s }'
    done
else
    echo "skopeo loop: not measured (skopeo is not installed)"
fi
echo
echo "relsig peak RSS (MiB) by number of images:"
printf '%-10s' "images"
for lines in $rss_lines; do printf '%10s' "$lines"; done
echo
for source in dir mirror; do
    printf '%-10s' "$source"
    for lines in $rss_lines; do
        awk -v k="${rss[$source-$lines]}" 'BEGIN { printf "%10.1f", k / 1024 }'
    done
    echo
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
