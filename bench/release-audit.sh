#!/usr/bin/env bash
# `relsig release audit` of a 200-component release against a loopback
# registry (the real docker-registry on 127.0.0.1), at the default --jobs:
# prints the wall time and peak resident memory of the audit against the
# targets (<= 2 s, <= 64 MiB on the 2-core machine), and of the same audit
# with --deep (three requests per component instead of one; no target:
# the registry on the same two cores is what it waits for).
#
# The release is built by examples/release_fixture.rs (the test suite's
# builder, tests/common/release.rs): N one-layer component images and a
# release image whose last layer holds image-references and
# release-metadata, signed with a key made for the run, and an
# ImageDigestMirrorSet mapping quay.io to the registry.
#
# Usage: bench/release-audit.sh
# Environment: COMPONENTS (default 200), RELSIG (a relsig binary instead
#   of target/<host triple>/release/relsig).
# Needs: /usr/bin/docker-registry, /usr/bin/time (Debian packages
#   docker-registry and time), awk.
set -euo pipefail
unset RUST_BACKTRACE

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/bench/lib.sh"
cd "$here"
components=${COMPONENTS:-200}

for tool in /usr/bin/time /usr/bin/docker-registry; do
    if [[ ! -x $tool ]]; then
        echo "release-audit: SKIPPED: $tool is not installed"
        exit 0
    fi
done
echo "release-audit: building relsig and the release builder (release)..." >&2
build_release release_fixture
relsig=${RELSIG:-$release/relsig}

work=$(mktemp -d)
registry_pid=""
cleanup() {
    if [[ -n $registry_pid ]]; then
        kill "$registry_pid" 2>/dev/null || true
        wait "$registry_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port
cat >"$work/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/data
http:
  addr: $addr
YAML
/usr/bin/docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        break
    fi
    sleep 0.05
done

echo "release-audit: pushing a release of $components components to $addr..." >&2
mkdir -p "$work/fixture"
$release/examples/release_fixture "$addr" "$components" "$work/fixture"
release=$(cat "$work/fixture/release.txt")

# One audit under /usr/bin/time: prints a table row.
measure() {
    local name=$1 targeted=$2
    shift 2
    /usr/bin/time -v -o "$work/time" "$relsig" release audit "$release" \
        --tls-verify=false \
        --signature-store "$work/fixture/store" \
        --keyring "$work/fixture/key.gpg" --require gpg \
        --mirror-config "$work/fixture/idms.yaml" \
        "$@" >"$work/stdout" 2>"$work/stderr" || true
    local wall rss code met
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$work/time")
    rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$work/time")
    code=$(awk -F': ' '/Exit status/ { print $2 }' "$work/time")
    if [[ $targeted == no ]]; then
        met=-
    elif [[ $code == 0 ]] && awk -v w="$wall" -v r="$rss" 'BEGIN { exit !(w <= 2 && r <= 64) }'; then
        met=yes
    else
        met=NO
    fi
    printf '%-10s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$code" "$wall" "$rss" "$met" "$(tail -1 "$work/stdout")"
}

printf '%-10s\t%s\t%s\t%s\t%s\t%s\n' audit exit wall_s peak_rss_mib "target(<=2s,<=64MiB)" summary
measure shallow yes
measure deep no --deep
