#!/usr/bin/env bash
# Hostile files: each attack of the files half of "bounded under hostile
# servers and files" run once with the release build under
# /usr/bin/time -v, printed as a table of wall time, peak resident memory,
# exit code and outcome (the first line relsig printed).
#
# Attacks: key files that never end (/dev/zero, /dev/urandom, as --keyring,
# --public-key-file and a policy keyPath), a sparse 1 GiB key file, FIFOs
# given as every kind of file input, YAML/JSON nested 100,000-600,000 deep
# (registries.d, ConfigMap, policy.json), schema-1 manifests of 4 MiB with
# 54,000 JWS signatures (and 64 image signatures over a 4 MiB schema-1
# manifest), `fetch` on a full disk and with an image it cannot check, and
# a registries.d file that is not UTF-8.
#
# Target: peak RSS <= 64 MiB for every attack, at the default --jobs; every
# run ends. Each run is also under `timeout` (LIMIT seconds), so a
# regression shows as exit 124 in the table instead of a hang.
#
# Environment: RELSIG (a relsig binary to use instead of building
# target/<host triple>/release/relsig), LIMIT (seconds per run, default 120).
# Needs: /usr/bin/time (Debian package `time`), mkfifo, python3 (writes the
# attack files), gpg (signs for the schema-1 rows; they are skipped
# without it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/bench/lib.sh"
cd "$here"
unset RUST_BACKTRACE
limit=${LIMIT:-120}

if [[ ! -x /usr/bin/time ]]; then
    echo "hostile-files: SKIPPED: /usr/bin/time is missing (apt-get install time)"
    exit 0
fi
if [[ -n "${RELSIG:-}" ]]; then
    relsig=$RELSIG
else
    echo "hostile-files: building relsig (release)..." >&2
    cargo build --release --quiet
    relsig=$release/relsig
fi

fixtures=$here/fixtures
release_digest=sha256:0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363
release_identity=quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64
release_sigs=$fixtures/openshift/ocp-4.15.0-x86_64
noo=$fixtures/openshift/noo-bundle-image
noo_digest=sha256:50b9402635dd4b312a86bed05dcdbda8c00120d3789ec2e9b527045100b3bdb4
noo_identity=registry.redhat.io/albo/aws-load-balancer-operator-bundle:0.0.1
release_key=$fixtures/redhat-keys/redhat-release-key-2_FD431D51_sha256-selfsig.gpg

work=$(mktemp -d)
export GNUPGHOME=$work/gnupg
cleanup() {
    gpgconf --homedir "$GNUPGHOME" --kill all >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
# Hermetic: nothing of this machine's container configuration is read.
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config
export RELSIG_POLICY=$work/none.json RELSIG_REGISTRIES_D=$work/empty.d
export RELSIG_DEFAULT_LOOKASIDE=file://$work/sigstore
unset REGISTRY_AUTH_FILE XDG_RUNTIME_DIR DOCKER_CONFIG
mkdir -p home empty.d

# --- the attack files -------------------------------------------------
mkfifo fifo
policy_of() { # KEYPATH -> a policy signed by that key
    printf '{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"%s"}]}\n' "$1"
}
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >accept.json
policy_of /dev/zero >zero-key.json
policy_of "$work/fifo" >fifo-key.json
policy_of "$release_key" >release-key.json
truncate -s 1G sparse.gpg
mkdir -p fifo.d && mkfifo fifo.d/a.yaml

python3 - <<'EOF'
import base64, json, os
for d in ["deep200.d", "deep600.d", "limit.d", "utf8.d"]:
    os.makedirs(d)
# Just under the limit: what the pre-scan lets through to the parser.
open("limit.d/a.yaml", "w").write("docker: " + "[" * 9_999 + "]" * 9_999 + "\n")
open("limit-cm.yaml", "w").write("kind: ConfigMap\nbinaryData: " + "{a: " * 9_999 + "\n")
open("deep200.d/a.yaml", "w").write("docker: " + "[" * 200_000 + "\n")
open("deep600.d/a.yaml", "w").write("docker: " + "[" * 600_000 + "\n")
open("deep-cm.yaml", "w").write("kind: ConfigMap\nbinaryData:\n  x: " + "[" * 100_000 + "\n")
open("deep-cm.json", "w").write('{"kind": "ConfigMap", "binaryData": ' + "[" * 100_000)
open("deep-policy.json", "w").write('{"default": ' + "[" * 600_000)
open("utf8.d/a.yaml", "wb").write(b"docker:\n  quay.io:\n    lookaside: https://x/\xff\xfe\n")

def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

head = '{\n   "schemaVersion": 1,\n   "name": "relsig-bench/app",\n   "tag": "1",\n   "architecture": "amd64",\n   "fsLayers": [],\n   "history": []'
def schema1(blocks, pad):
    header = {"formatLength": len(head), "formatTail": b64(b"\n}")}
    if pad:
        header["pad"] = "x" * pad
    block = '{"protected":"%s"}' % b64(json.dumps(header).encode())
    if blocks is None:  # as many as fit in 4 MiB
        blocks = (4 * 1024 * 1024 - len(head) - 64) // (len(block) + 1)
    return blocks, head + ',\n   "signatures": [' + ",".join([block] * blocks) + "]\n}"
n, text = schema1(None, 0)
open("schema1-many.json", "w").write(text)
open("schema1-blocks", "w").write(str(n))
open("schema1-64.json", "w").write(schema1(64, 46_000)[1])
for f in ["schema1-many.json", "schema1-64.json"]:
    assert os.path.getsize(f) <= 4 * 1024 * 1024, f
EOF
jws_blocks=$(cat schema1-blocks)

# fetch: signatures in the mirror layout, the noo bundle's unreadable (a
# FIFO), and a ConfigMap from an earlier run holding the noo signature.
mkdir -p layout/"${release_digest/:/=}" layout/"${noo_digest/:/=}"
cp "$release_sigs/signature-1" layout/"${release_digest/:/=}"/signature-1
mkfifo layout/"${noo_digest/:/=}"/signature-1
printf '%s %s\n%s %s\n' "$noo_digest" "$noo_identity" "$release_digest" "$release_identity" >images.txt

# --- signatures for the schema-1 rows (gpg) ----------------------------
have_gpg=false
if command -v gpg >/dev/null; then
    mkdir -m 700 "$GNUPGHOME"
    if gpg --batch --quiet --passphrase '' --quick-gen-key "relsig bench <bench@example.org>" ed25519 sign never 2>/dev/null; then
        gpg --batch --quiet --export >bench-key.gpg
        policy_of "$work/bench-key.gpg" >bench-policy.json
        sign() { # DIGEST OUT
            printf '{"critical": {"identity": {"docker-reference": "quay.io/relsig-bench/app:1"}, "image": {"docker-manifest-digest": "%s"}, "type": "atomic container signature"}, "optional": {}}' "$1" >payload
            gpg --batch --quiet --yes --sign --output "$2" payload
        }
        mkdir sigs64
        d64=$("$relsig" digest schema1-64.json)
        for n in $(seq 1 64); do sign "$d64" sigs64/signature-$n; done
        sign "sha256:$(printf 'a%.0s' $(seq 1 64))" sig-any
        have_gpg=true
    fi
fi

# --- running -----------------------------------------------------------
printf '%-60s | %8s | %9s | %4s | %s\n' attack wall "peak RSS" exit outcome
printf -- '-%.0s' $(seq 1 150)
echo
worst=0
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
run() { # NAME COMMAND...
    local name=$1
    shift
    local code=0
    /usr/bin/time -v -o time.txt timeout "$limit" "$@" >out.txt 2>err.txt </dev/null || code=$?
    local wall rss outcome
    wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' time.txt)
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' time.txt)
    # The verdict, the first error, or else the first line printed.
    outcome=$( (grep -h -E '^(verdict|kept|error|relsig)' err.txt out.txt || true
        grep -h -v '^[[:space:]]*$' err.txt out.txt || true) | head -1 | cut -c1-120)
    if ((rss > worst)); then worst=$rss; fi
    printf '%-60s | %8s | %5s MiB | %4s | %s\n' "$name" "$wall" "$(mib "$rss")" "$code" "$outcome"
}
r=$relsig
by_digest=(verify --digest "$release_digest" --identity "$release_identity" --retries 0)
standalone=(standalone-verify "$noo/manifest.json" "$noo_identity" any)

# 4. Key files without a bound.
run "4 --keyring /dev/zero" "$r" "${by_digest[@]}" --signature-dir "$release_sigs" --keyring /dev/zero
run "4 --public-key-file /dev/urandom" "$r" "${standalone[@]}" "$noo/signature-3" --public-key-file /dev/urandom
run "4 --keyring, sparse 1 GiB regular file" "$r" "${by_digest[@]}" --signature-dir "$release_sigs" --keyring sparse.gpg
run "4 keyPath /dev/zero: policy lint" "$r" policy lint --policy zero-key.json
run "4 keyPath /dev/zero: policy check" "$r" policy check "$noo_identity" --policy zero-key.json --manifest "$noo/manifest.json" --signature-dir "$noo"
run "4 keyPath /dev/zero: policy machineconfig" "$r" policy machineconfig --role worker --policy zero-key.json --registries-d empty.d

# 5. FIFOs where a file is expected.
run "5 FIFO as signature (standalone-verify)" "$r" "${standalone[@]}" fifo
run "5 FIFO as manifest (standalone-verify)" "$r" standalone-verify fifo "$noo_identity" any "$noo/signature-3"
run "5 FIFO as --signature-configmap" "$r" "${by_digest[@]}" --signature-configmap fifo
run "5 FIFO as --policy (policy lint)" "$r" policy lint --policy fifo
run "5 FIFO as registries.d file (policy lint)" "$r" policy lint --policy accept.json --registries-d fifo.d
run "5 FIFO as --keyring" "$r" "${by_digest[@]}" --signature-dir "$release_sigs" --keyring fifo
run "5 FIFO as keyPath (policy lint)" "$r" policy lint --policy fifo-key.json
run "5 FIFO as --authfile" "$r" "${by_digest[@]}" --signature-dir "$release_sigs" --authfile fifo
run "5 FIFO as --manifest (policy check)" "$r" policy check "$noo_identity" --policy release-key.json --manifest fifo --signature-dir "$noo"

# 6. Deep YAML and JSON.
run "6 registries.d 200 KB of [ (policy lint)" "$r" policy lint --policy accept.json --registries-d deep200.d
run "6 registries.d 600 KB of [ (policy lint)" "$r" policy lint --policy accept.json --registries-d deep600.d
run "6 ConfigMap YAML 100,000 deep (verify)" "$r" "${by_digest[@]}" --signature-configmap deep-cm.yaml
run "6 ConfigMap JSON 100,000 deep (verify)" "$r" "${by_digest[@]}" --signature-configmap deep-cm.json
run "6 registries.d 9,999 deep, under the limit (policy lint)" "$r" policy lint --policy accept.json --registries-d limit.d
run "6 ConfigMap 9,999 deep, under the limit (verify)" "$r" "${by_digest[@]}" --signature-configmap limit-cm.yaml
run "6 policy.json 600,000 deep (policy lint)" "$r" policy lint --policy deep-policy.json

# 7. Schema-1 CPU amplification.
run "7 schema-1 4 MiB, $jws_blocks JWS: digest" "$r" digest schema1-many.json
if $have_gpg; then
    run "7 schema-1 4 MiB, $jws_blocks JWS: standalone-verify" "$r" standalone-verify schema1-many.json quay.io/relsig-bench/app:1 any sig-any --public-key-file bench-key.gpg
    run "7 schema-1 4 MiB, 64 JWS; 64 good signatures (policy check)" "$r" policy check quay.io/relsig-bench/app:1 --policy bench-policy.json --manifest schema1-64.json --signature-dir sigs64
else
    echo "7 schema-1 rows with signatures: SKIPPED (no gpg)"
fi

# 8. fetch failing halfway.
"$r" fetch --digest "$noo_digest" --identity "$noo_identity" --signature-dir "$noo" --to-configmap earlier.yaml >/dev/null
cp earlier.yaml kept.yaml
run "8 fetch, one image cannot be checked (earlier kept)" "$r" fetch --from-file images.txt --signature-dir layout --to-configmap kept.yaml
if grep -q "${noo_digest/:/-}-1" kept.yaml && grep -q "${release_digest/:/-}-1" kept.yaml; then
    echo "  -> kept.yaml holds the earlier noo signature and the new release one"
else
    echo "  -> LOST DATA: kept.yaml lacks a signature"
fi
cp earlier.yaml full.yaml
run "8 fetch on a full disk (ulimit -f 1)" bash -c 'trap "" XFSZ; ulimit -f 1; exec "$0" "$@"' "$r" fetch --digest "$release_digest" --identity "$release_identity" --signature-dir "$release_sigs" --to-configmap full.yaml
if cmp -s earlier.yaml full.yaml && ! ls -A | grep -q '\.tmp'; then
    echo "  -> full.yaml unchanged, no temporary file left"
else
    echo "  -> full.yaml changed or a temporary file was left"
fi

# 9. registries.d not UTF-8.
run "9 registries.d file not UTF-8 (policy lint)" "$r" policy lint --policy accept.json --registries-d utf8.d

echo
echo "worst peak RSS: $(mib "$worst") MiB (target <= 64 MiB)"
if ((worst > 64 * 1024)); then
    echo "hostile-files: FAILED: a run peaked above 64 MiB"
    exit 1
fi
