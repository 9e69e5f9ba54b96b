#!/usr/bin/env bash
# relsig against hostile servers and inputs on 127.0.0.1: runs each named
# attack once under /usr/bin/time -v (release build) and prints a table of
# exit code, wall time and peak resident memory, with the target each
# attack has and whether it was met.
#
# Targets (README "Limits"):
#   - every request within 2 x --timeout;
#   - every image within --image-timeout plus one request (--timeout);
#   - peak RSS <= 64 MiB for every attack at the default --jobs (16), and
#     for a 1,000,000-line --from-file against a loopback store.
#
# The servers are examples/hostile_server.rs (the test suite's loopback
# server, tests/common/mirror.rs); `hostile_server --list` names what
# each serves. Each attack is a function `attack_<name>` listed in
# ATTACKS below; add one by writing the function and listing it.
#
# Usage: bench/hostile.sh [ATTACK...]   (default: all)
# Environment: LINES_MILLION (default 1000000) lines of the long list,
#   RELSIG (a relsig binary instead of target/<host triple>/release/relsig).
# Needs: /usr/bin/time (Debian package `time`), awk, timeout.
set -euo pipefail
unset RUST_BACKTRACE

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/bench/lib.sh"
cd "$here"

if [[ ! -x /usr/bin/time ]]; then
    echo "hostile: SKIPPED: /usr/bin/time is not installed (apt-get install time)"
    exit 0
fi
echo "hostile: building relsig and the hostile server (release)..." >&2
build_release hostile_server
relsig=${RELSIG:-$release/relsig}
server_bin=$release/examples/hostile_server

work=$(mktemp -d)
server_pid=""
cleanup() {
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT

# The OpenShift 4.15.0 release and its real signature (served by the
# "good" store), checked with the built-in Red Hat keys.
digest=sha256:0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363
identity=quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64
timeout_s=5
image_timeout_s=10
rss_target_kib=$((64 * 1024))

# start_server ATTACK: serves ATTACK; sets $url.
start_server() {
    rm -f "$work/url"
    "$server_bin" "$1" "$work/url" &
    server_pid=$!
    for _ in $(seq 100); do
        [[ -s "$work/url" ]] && break
        sleep 0.1
    done
    [[ -s "$work/url" ]] || { echo "hostile: server for $1 did not start" >&2; exit 2; }
    url=$(cat "$work/url")
}

stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}

# A list of N images: distinct digests (none signed) with the release's
# identity, so that every image makes its own requests.
distinct_images() {
    awk -v n="$1" -v id="$identity" 'BEGIN { for (i = 1; i <= n; i++) printf "sha256:%064x %s\n", i, id }'
}

rows=()

# measure NAME WALL_TARGET_S TARGET_TEXT -- relsig ARGS...
# Runs relsig (killed after 10 minutes: a hang is a failed attack, not a
# stuck benchmark) with its text output summarised: how many lines say
# "verified", how many "NOT verified", and the first message.
measure() {
    local name=$1 wall_target=$2 target_text=$3
    shift 4
    timeout 600 /usr/bin/time -v -o "$work/time" "$relsig" "$@" 2>"$work/stderr" \
        | awk '
            /^verified / { ok++; next }
            /^NOT verified / { bad++; if (!first) first = $0; next }
            END {
                printf "%d verified, %d not", ok, bad
                # The first failure, without the image and the words every line has.
                if (first) { sub(/^NOT verified [^ ]*: (could not check: )?(could not read signatures: )?/, "", first); printf "; first: %s", substr(first, 1, 220) }
                print ""
            }
        ' >"$work/summary" || true
    local wall rss exit_code
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }' "$work/time" 2>/dev/null || true)
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time" 2>/dev/null || true)
    exit_code=$(awk -F': ' '/Exit status/ { print $2 }' "$work/time" 2>/dev/null || true)
    [[ -n "$wall" ]] || wall="?"
    [[ -n "$rss" ]] || rss=0
    [[ -n "$exit_code" ]] || exit_code="killed"
    local met="yes"
    if [[ "$exit_code" == "killed" ]]; then
        met="NO (killed after 600 s)"
    elif [[ "$wall_target" != "-" ]] && awk -v w="$wall" -v t="$wall_target" 'BEGIN { exit !(w > t) }'; then
        met="NO (time)"
    fi
    if ((rss > rss_target_kib)); then
        met="NO (memory)"
    fi
    rows+=("$(printf '%s\t%s\t%s\t%s\t%.1f\t%s\t%s' "$name" "$exit_code" "$wall" "$target_text" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$met" "$(head -c 300 "$work/summary" | tr -d '\n'; head -1 "$work/stderr" | cut -c1-200 | sed 's/^/; stderr: /')")")
    echo "hostile: $name: exit $exit_code, ${wall}s, $((rss / 1024)) MiB" >&2
}

release_args=(verify --digest "$digest" --identity "$identity")

attack_drip_signature() {
    start_server drip-signature
    measure drip-signature $((2 * timeout_s)) "<= 2 x --timeout" -- \
        "${release_args[@]}" --signature-store "$url" --timeout "$timeout_s"
    stop_server
}

attack_endless_chunks() {
    start_server endless-chunks
    measure endless-chunks $((2 * timeout_s)) "<= 2 x --timeout" -- \
        "${release_args[@]}" --signature-store "$url" --timeout "$timeout_s"
    stop_server
}

attack_drip_manifest() {
    start_server drip-manifest
    measure drip-manifest $((2 * timeout_s)) "<= 2 x --timeout" -- \
        verify "${url#http://}/app:1" --tls-verify=false --signature-store "$url" --timeout "$timeout_s"
    stop_server
}

attack_drip_graph() {
    start_server drip-graph
    measure drip-graph $((2 * timeout_s)) "<= 2 x --timeout" -- \
        verify 4.15.0 --graph-url "$url/graph" --signature-store "$url" --timeout "$timeout_s"
    stop_server
}

attack_slow_answers() {
    start_server slow-answers
    measure slow-answers $((image_timeout_s + timeout_s)) "<= --image-timeout + --timeout" -- \
        "${release_args[@]}" --signature-store "$url" --timeout "$timeout_s" --image-timeout "$image_timeout_s"
    stop_server
}

attack_endless_503() {
    start_server endless-503
    measure endless-503 $((image_timeout_s + timeout_s)) "<= --image-timeout + --timeout" -- \
        "${release_args[@]}" --signature-store "$url" --retries 1000 --timeout "$timeout_s" --image-timeout "$image_timeout_s"
    stop_server
}

attack_slow_answers_many_images() {
    # 64 images, 16 at a time, each answer slow: the run ends by
    # --run-timeout plus one request.
    start_server slow-answers
    distinct_images 64 >"$work/images.txt"
    measure slow-answers-run-timeout $((20 + timeout_s)) "<= --run-timeout + --timeout" -- \
        verify --from-file "$work/images.txt" --signature-store "$url" --timeout "$timeout_s" --run-timeout 20
    stop_server
}

attack_huge_signatures() {
    start_server huge-signatures
    distinct_images 32 >"$work/images.txt"
    measure huge-signatures - "RSS only" -- \
        verify --from-file "$work/images.txt" --signature-store "$url"
    stop_server
}

attack_inflating_signatures() {
    start_server inflating-signatures
    distinct_images 16 >"$work/images.txt"
    measure inflating-signatures - "RSS only" -- \
        verify --from-file "$work/images.txt" --signature-store "$url"
    stop_server
}

attack_html() {
    start_server html
    distinct_images 16 >"$work/images.txt"
    measure html-signatures - "message" -- \
        verify --from-file "$work/images.txt" --signature-store "$url"
    stop_server
}

attack_redirect_file() {
    start_server redirect-file
    measure redirect-to-file - "message" -- \
        "${release_args[@]}" --signature-store "$url"
    stop_server
}

attack_big_graph() {
    start_server big-graph
    measure big-graph-63MiB - "RSS only" -- \
        verify 4.15.0 --graph-url "$url/graph" --signature-store "$url"
    stop_server
}

attack_big_configmap() {
    # 783,000 tiny entries: refused by size as YAML, read past the
    # signature limit as JSON; neither held whole.
    awk 'BEGIN { print "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nbinaryData:"; for (i = 0; i < 783000; i++) printf "  sha256-%064d-1: eA==\n", i }' >"$work/cm.yaml"
    awk 'BEGIN { printf "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"},\"binaryData\":{"; for (i = 0; i < 783000; i++) printf "%s\"sha256-%064d-1\":\"eA==\"", (i ? "," : ""), i; print "}}" }' >"$work/cm.json"
    measure configmap-783k-yaml - "RSS only" -- \
        "${release_args[@]}" --signature-configmap "$work/cm.yaml"
    measure configmap-783k-json - "RSS only" -- \
        "${release_args[@]}" --signature-configmap "$work/cm.json"
    rm -f "$work/cm.yaml" "$work/cm.json"
}

attack_million_images() {
    local lines=${LINES_MILLION:-1000000}
    start_server good
    awk -v n="$lines" -v line="$digest $identity" 'BEGIN { for (i = 0; i < n; i++) print line }' >"$work/images.txt"
    measure "list-of-$lines" - "RSS only" -- \
        verify --from-file "$work/images.txt" --signature-store "$url"
    rm -f "$work/images.txt"
    stop_server
}

ATTACKS=(
    drip_signature
    endless_chunks
    drip_manifest
    drip_graph
    slow_answers
    endless_503
    slow_answers_many_images
    huge_signatures
    inflating_signatures
    html
    redirect_file
    big_graph
    big_configmap
    million_images
)

if (($# > 0)); then
    ATTACKS=("$@")
fi
for a in "${ATTACKS[@]}"; do
    "attack_${a//-/_}"
done

echo
echo "relsig against hostile servers and inputs (--timeout ${timeout_s}s, --image-timeout ${image_timeout_s}s, default --jobs; target RSS <= 64 MiB)"
echo
printf '| attack | exit | wall s | time target | peak RSS MiB | met | outcome |\n'
printf '|---|---|---|---|---|---|---|\n'
for row in "${rows[@]}"; do
    IFS=$'\t' read -r name code wall target rss met summary <<<"$row"
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$code" "$wall" "$target" "$rss" "$met" "${summary//|/\\|}"
done
