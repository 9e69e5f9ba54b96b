#!/usr/bin/env bash
# Hostile signature files: what one signature can cost relsig. Builds, at
# bench time, from the real Red Hat signatures in fixtures/:
#   - the noo bundle's and the 4.15.0 release's signature with unknown
#     packets (tag 60) appended inside two nested zlib layers, hiding
#     HIDDEN_GIB GiB (default 64) of zeros;
#   - a bzip2 bomb: the same signature's packets and a tag-60 packet of
#     BZIP2_MIB MiB (default 2048) of zeros, bzip2-compressed;
#   - the signature padded to 5 MiB (over the 4 MiB limit);
#   - /dev/zero (for fetch: a store answering with an endless body);
# and the untouched signatures as the control rows. Then runs, once each
# under /usr/bin/time (release build, RUST_BACKTRACE unset):
#   relsig standalone-verify (the noo bundle's manifest, built-in keys),
#   relsig inspect,
#   relsig fetch --to-dir (the 4.15.0 release by digest, from a loopback
#     store: examples/hostile_server.rs),
# and prints a table of exit code, outcome, wall time, CPU time
# (user + system, in /usr/bin/time's 10 ms steps: 0 is under 10 ms) and
# peak RSS. Target: every run under 50 ms of CPU and 16 MiB.
#
# Environment: RELSIG (a relsig binary instead of building
# target/<host triple>/release/relsig), SERVER (a hostile_server binary instead of
# building target/<host triple>/release/examples/hostile_server), LIMIT
# (seconds per run, default 600: a regression shows as exit 124),
# HIDDEN_GIB, BZIP2_MIB.
# Needs: /usr/bin/time (Debian package `time`), python3.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/bench/lib.sh"
cd "$here"
unset RUST_BACKTRACE
limit=${LIMIT:-600}
hidden_gib=${HIDDEN_GIB:-64}
bzip2_mib=${BZIP2_MIB:-2048}

if [[ ! -x /usr/bin/time ]]; then
    echo "hostile-signatures: SKIPPED: /usr/bin/time is missing (apt-get install time)"
    exit 0
fi
if [[ -z "${RELSIG:-}" ]]; then
    echo "hostile-signatures: building relsig (release)..." >&2
    build_release
fi
if [[ -z "${SERVER:-}" ]]; then
    echo "hostile-signatures: building the hostile server (release)..." >&2
    cargo build --release --quiet --example hostile_server
fi
relsig=${RELSIG:-$release/relsig}
server_bin=${SERVER:-$release/examples/hostile_server}

noo=$here/fixtures/openshift/noo-bundle-image
noo_identity=registry.redhat.io/albo/aws-load-balancer-operator-bundle:0.0.1
release_sig=$here/fixtures/openshift/ocp-4.15.0-x86_64/signature-1
release_digest=sha256:0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363
release_identity=quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64

work=$(mktemp -d)
server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
cleanup() {
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT
# Hermetic: nothing of this machine's container configuration is read.
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config
export RELSIG_POLICY=$work/none.json RELSIG_REGISTRIES_D=$work/empty.d
export RELSIG_REGISTRIES_CONF=$work/registries.conf RELSIG_CERTS_D=$work/certs.d
export RELSIG_DEFAULT_LOOKASIDE=file://$work/sigstore
unset REGISTRY_AUTH_FILE XDG_RUNTIME_DIR DOCKER_CONFIG
mkdir -p "$work/home" "$work/empty.d" "$work/certs.d"
: >"$work/registries.conf"

# --- the hostile files ---------------------------------------------------
echo "hostile-signatures: building the files (${hidden_gib} GiB hidden in zlib, ${bzip2_mib} MiB in bzip2)..." >&2
python3 - "$work" "$noo/signature-3" "$release_sig" "$hidden_gib" "$bzip2_mib" <<'EOF'
import bz2, sys, zlib

work, noo_sig, release_sig, hidden_gib, bzip2_mib = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
MIB = 1 << 20

def header(tag, length):
    """A new-format packet header with a five-octet length."""
    return bytes([0xC0 | tag, 0xFF]) + length.to_bytes(4, "big")

def packet(tag, body):
    return header(tag, len(body)) + body

def inner_packets(sig):
    """The packets inside a real signature's compression packet (one-pass
    signature, literal data, signature): its body inflated."""
    ctb = sig[0]
    assert ctb & 0x80, "an OpenPGP packet"
    if ctb & 0x40:
        tag, first = ctb & 0x3F, sig[1]
        if first < 192:
            body = sig[2:2 + first]
        elif first < 224:
            body = sig[3:3 + ((first - 192) << 8) + sig[2] + 192]
        else:
            body = sig[6:6 + int.from_bytes(sig[2:6], "big")]
    else:
        tag, ltype = (ctb >> 2) & 0xF, ctb & 3
        if ltype == 3:
            body = sig[1:]
        else:
            n = [1, 2, 4][ltype]
            body = sig[1 + n:1 + n + int.from_bytes(sig[1:1 + n], "big")]
    assert tag == 8, "the real signature is compressed"
    algo, data = body[0], body[1:]
    if algo == 1:
        return zlib.decompress(data, -15)
    if algo == 2:
        return zlib.decompress(data)
    raise SystemExit(f"unexpected compression algorithm {algo}")

def adler_zeros(adler, n):
    """adler32 after n more zero bytes: a stays, b grows by n * a."""
    a, b = adler & 0xFFFF, adler >> 16
    return (((b + n * a) % 65521) << 16) | a

def zlib_hiding(prefix, gib):
    """A zlib stream of `prefix` followed by one tag-60 packet of `gib` GiB
    of zeros in 1 GiB partial-length chunks. Each MiB of zeros is the same
    deflate block after a full flush (no back-references cross it), so the
    stream is spliced instead of compressing `gib` GiB."""
    probe = zlib.compressobj(9)
    probe.compress(bytes(MIB)); probe.flush(zlib.Z_FULL_FLUSH)
    block = probe.compress(bytes(MIB)) + probe.flush(zlib.Z_FULL_FLUSH)
    c = zlib.compressobj(9)
    head = prefix + bytes([0xC0 | 60])
    out = [c.compress(head), c.flush(zlib.Z_FULL_FLUSH)]
    adler = zlib.adler32(head)
    for _ in range(gib):
        # Partial body length 2^30 (octet 224 + 30), then 1 GiB of zeros.
        out += [c.compress(b"\xfe"), c.flush(zlib.Z_FULL_FLUSH), block * 1024]
        adler = adler_zeros(zlib.adler32(b"\xfe", adler), 1 << 30)
    # A zero-length final part ends the packet.
    tail = c.compress(b"\x00") + c.flush(zlib.Z_FINISH)
    adler = zlib.adler32(b"\x00", adler)
    out.append(tail[:-4] + adler.to_bytes(4, "big"))
    return b"".join(out)

def compressed_packet(algo, data):
    return packet(8, bytes([algo]) + data)

def bzip2_hiding(prefix, mib):
    c = bz2.BZ2Compressor(9)
    out = [c.compress(prefix + header(60, mib * MIB))]
    zeros = bytes(64 * MIB)
    for _ in range(mib // 64):
        out.append(c.compress(zeros))
    out.append(c.compress(bytes((mib % 64) * MIB)))
    out.append(c.flush())
    return b"".join(out)

def check_splice(inner):
    """A 1 GiB instance inflates, checksum included, to what it claims."""
    small = zlib_hiding(inner, 1)
    d = zlib.decompressobj()
    total = 0
    for i in range(0, len(small), 4096):
        total += len(d.decompress(small[i:i + 4096]))
    total += len(d.flush())
    assert d.eof and total == len(inner) + 2 + 1 + (1 << 30), "the spliced zlib stream is valid"

for name, path in [("noo", noo_sig), ("release", release_sig)]:
    sig = open(path, "rb").read()
    inner = inner_packets(sig)
    # Check the splice once: a small instance inflates to what it claims.
    if name == "noo":
        check_splice(inner)
    hidden = zlib_hiding(inner, hidden_gib)
    nested = compressed_packet(2, zlib.compress(compressed_packet(2, hidden), 9))
    open(f"{work}/{name}.zlib-nested", "wb").write(nested)
    open(f"{work}/{name}.bzip2-bomb", "wb").write(compressed_packet(3, bzip2_hiding(inner, bzip2_mib)))
    open(f"{work}/{name}.5mib", "wb").write(sig + bytes(5 * MIB - len(sig)))
    open(f"{work}/{name}.real", "wb").write(sig)
EOF

# --- running ---------------------------------------------------------------
rows=()
worst_cpu=0
worst_rss=0
# measure NAME COMMAND...: one run under /usr/bin/time.
measure() {
    local name=$1
    shift
    local code=0
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" timeout "$limit" "$@" \
        >"$work/out" 2>"$work/err" </dev/null || code=$?
    local wall user sys rss
    read -r wall user sys rss < <(tail -1 "$work/time")
    local cpu_ms
    cpu_ms=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%d", (u + s) * 1000 }')
    local outcome
    # The JSON reason, or else the first line on stderr (or stdout).
    outcome=$( (grep -h -o '"reason": *"[^"]*"' "$work/out" | head -1 | sed 's/.*: *//; s/"//g' || true
        grep -h -v '^[[:space:]]*$' "$work/err" "$work/out" || true) |
        head -1 | cut -c1-110 || true)
    local met=yes
    if ((cpu_ms >= 50 || rss >= 16 * 1024)); then met=NO; fi
    if ((cpu_ms > worst_cpu)); then worst_cpu=$cpu_ms; fi
    if ((rss > worst_rss)); then worst_rss=$rss; fi
    rows+=("$name|$code|$wall|$cpu_ms|$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')|$met|$outcome")
}

size_of() {
    if [[ -c "$1" ]]; then echo "endless"; else
        awk -v b="$(stat -c %s "$1")" 'BEGIN { if (b >= 1048576) printf "%.1f MiB", b / 1048576; else printf "%.1f KB", b / 1000 }'
    fi
}

files=(real zlib-nested bzip2-bomb 5mib dev-zero)
label() {
    case $1 in
    real) echo "real signature (control)" ;;
    zlib-nested) echo "tag 60 in 2 zlib layers, ${hidden_gib} GiB hidden" ;;
    bzip2-bomb) echo "bzip2, ${bzip2_mib} MiB hidden" ;;
    5mib) echo "padded to 5 MiB" ;;
    dev-zero) echo "/dev/zero" ;;
    esac
}
path_of() { # KIND BASE
    if [[ $1 == dev-zero ]]; then echo /dev/zero; else echo "$work/$2.$1"; fi
}

for kind in "${files[@]}"; do
    f=$(path_of "$kind" noo)
    measure "standalone-verify: $(label "$kind") ($(size_of "$f"))" \
        "$relsig" standalone-verify "$noo/manifest.json" "$noo_identity" any "$f" --output json
done
for kind in "${files[@]}"; do
    f=$(path_of "$kind" noo)
    measure "inspect: $(label "$kind") ($(size_of "$f"))" "$relsig" inspect "$f"
done
for kind in "${files[@]}"; do
    f=$(path_of "$kind" release)
    if [[ $kind == dev-zero ]]; then
        attack=endless-signature
    else
        attack="file=$f"
    fi
    rm -f "$work/url"
    "$server_bin" "$attack" "$work/url" &
    server_pid=$!
    for _ in $(seq 100); do
        [[ -s "$work/url" ]] && break
        sleep 0.1
    done
    [[ -s "$work/url" ]] || { echo "hostile-signatures: the server for $kind did not start" >&2; exit 2; }
    rm -rf "$work/to-dir"
    measure "fetch --to-dir: $(label "$kind") ($(size_of "$f"))" \
        "$relsig" fetch --digest "$release_digest" --identity "$release_identity" \
        --signature-store "$(cat "$work/url")" --to-dir "$work/to-dir" --retries 0 --output json
    kept=0
    if [[ -d "$work/to-dir" ]]; then kept=$(find "$work/to-dir" -type f | wc -l); fi
    rows[-1]="${rows[-1]}; files kept: $kept"
    stop_server
done

echo
echo "relsig on hostile signature files (release build, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)); target: CPU < 50 ms and peak RSS < 16 MiB per run"
echo
printf '| run | exit | wall s | CPU ms | peak RSS MiB | met | outcome |\n'
printf '|---|---|---|---|---|---|---|\n'
for row in "${rows[@]}"; do
    IFS='|' read -r name code wall cpu rss met outcome <<<"$row"
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$code" "$wall" "$cpu" "$rss" "$met" "$outcome"
done
echo
awk -v c="$worst_cpu" -v k="$worst_rss" 'BEGIN { printf "worst: %d ms CPU, %.1f MiB peak RSS\n", c, k / 1024 }'
