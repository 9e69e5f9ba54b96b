//! The differential suite: relsig against skopeo 1.9.3 (gpgme, GnuPG 2.2)
//! on signatures, key files, payloads, manifests and fingerprint
//! arguments generated at test time, with gpg (`gpg.rs`) and with sequoia
//! plus hand-built packets for the shapes gpg does not make
//! (`packets.rs`). Each case must get the same verdict (accepted or
//! refused) from both, except the cases in [`DELIBERATE`], each tied to a
//! difference in [`DIFFERENCES`] that README's "How relsig differs from
//! skopeo" explains, the cases in [`PENDING_IN_H_CORE8`] (classes another
//! branch is changing) and the cases in [`REPORTED`] (differences waiting
//! for the lead's decision). A listed case that agrees fails too, so the
//! lists stay true.
//!
//! skopeo 1.9.3 takes one fingerprint and no key file; the suite imports
//! each key file into its own GnuPG home for it, and asks it once per
//! element of a comma-separated list (a whole argument `any`: once per
//! primary key gpg imported), which is what skopeo 1.12's lists and `any`
//! do. Every process runs bounded (`common::run_bounded`).

mod gpg;
mod packets;

use crate::common::{fixtures, relsig, run_bounded, s};
use crate::signing;
use gpg::{GpgKey, ImportHome, KeySpec};
use openpgp::cert::prelude::*;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::signature::subpacket::{Subpacket, SubpacketTag, SubpacketValue};
use openpgp::parse::Parse as _;
use openpgp::serialize::Serialize as _;
use openpgp::types::{CompressionAlgorithm, HashAlgorithm, KeyFlags, SignatureType};
use packets::*;
use sequoia_openpgp as openpgp;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A difference from skopeo that relsig keeps on purpose: `name` is its
/// bullet in README's "How relsig differs from skopeo" (`**name**`), and
/// `readme` the phrase that bullet says it with.
pub struct Difference {
    pub name: &'static str,
    pub readme: &'static str,
    pub reason: &'static str,
}

/// Every deliberate difference the cases below show.
pub const DIFFERENCES: &[Difference] = &[
    Difference {
        name: "fingerprint-spelling",
        readme: "ignoring case, spaces and a `0x` prefix; a signing subkey's fingerprint is accepted as well as its primary",
        reason: "skopeo compares the argument byte for byte with the fingerprint gpgme reports (upper-case, the signing subkey's); a lower-case or spaced copy of the right fingerprint, or the primary of the subkey that signed, names the same key",
    },
    Difference {
        name: "sha1-cutoff",
        readme: "SHA-1 *data* signatures made after 2019-01-19",
        reason: "GnuPG 2.2 still accepts SHA-1 data signatures; collisions are practical, so relsig refuses those made after GnuPG's own cutoff",
    },
    Difference {
        name: "weak-hashes",
        readme: "RIPEMD-160 data signatures",
        reason: "GnuPG 2.2 accepts RIPEMD-160 data signatures; relsig's policy (sequoia's standard policy) no longer trusts that hash",
    },
    Difference {
        name: "unsupported-curves",
        readme: "(brainpool, secp256k1) is `unsupported-algorithm`",
        reason: "the pure-Rust crypto backend cannot verify brainpool or secp256k1 signatures; relsig says so (could not check) instead of guessing",
    },
    Difference {
        name: "bounded-inputs",
        readme: "compression nested more than 2 levels",
        reason: "GnuPG follows compression nested deeper; relsig refuses past two layers from the packet headers, so nested compression cannot multiply the work one signature costs",
    },
    Difference {
        name: "damaged-key-file",
        readme: "even where gpg salvages the certificates before the damage",
        reason: "a good certificate followed by half of another: gpg imports the good one; relsig refuses a damaged key file as a whole (exit 2, naming the byte), because a damaged trust file is a fault to fix, not to guess around",
    },
    Difference {
        name: "issuer-consistency",
        readme: "a hashed issuer fingerprint must name the key that verifies",
        reason: "gpg looks the key up by the hashed issuer key ID when the hashed fingerprint names an absent key; relsig refuses a signature whose signed claims about its issuer contradict each other",
    },
    Difference {
        name: "digest-algorithms",
        readme: "a payload may sign the manifest's sha384 or sha512 digest",
        reason: "skopeo 1.9.3 matches sha256 manifest digests only; newer containers/image compute the digest with the signed digest's algorithm, as relsig does",
    },
    Difference {
        name: "armor-checksum",
        readme: "the armor checksum (CRC-24) is not checked",
        reason: "RFC 9580 6.1 says not to reject on the armor checksum; gpg 2.2 refuses a wrong one (and a missing one when the base64 has no padding). The signature's cryptography and the key's fingerprint protect the bytes",
    },
];

/// Cases whose verdict differs on purpose, with the name of the
/// difference (in [`DIFFERENCES`]) that explains it.
pub const DELIBERATE: &[(&str, &str)] = &[
    ("fingerprint/lower-case", "fingerprint-spelling"),
    ("fingerprint/spaces", "fingerprint-spelling"),
    ("fingerprint/space-around-list", "fingerprint-spelling"),
    ("fingerprint/0x-prefix", "fingerprint-spelling"),
    ("subkey/primary-fingerprint", "fingerprint-spelling"),
    ("subkey/any", "fingerprint-spelling"),
    ("hash/SHA1", "sha1-cutoff"),
    // `gpg --openpgp` signs with SHA-1 by default.
    ("structure/gpg-openpgp", "sha1-cutoff"),
    ("hash/RIPEMD160", "weak-hashes"),
    ("algorithm/brainpoolP256r1", "unsupported-curves"),
    ("algorithm/brainpoolP256r1-armored", "unsupported-curves"),
    ("algorithm/brainpoolP384r1", "unsupported-curves"),
    ("algorithm/brainpoolP384r1-armored", "unsupported-curves"),
    ("algorithm/secp256k1", "unsupported-curves"),
    ("algorithm/secp256k1-armored", "unsupported-curves"),
    ("compression/nested-3", "bounded-inputs"),
    ("keyfile/trailing-truncated-packet", "damaged-key-file"),
    (
        "subpacket/seq-issuer-fingerprint-hashed-other-key",
        "issuer-consistency",
    ),
    ("payload/digest-sha512", "digest-algorithms"),
    ("armor/bad-checksum", "armor-checksum"),
    ("armor/no-checksum-length-mod3-0", "armor-checksum"),
    ("keyfile/armored-bad-checksum", "armor-checksum"),
];

/// Cases that differ because of a behaviour class branch `h-core8` is
/// changing (issue 8): they must agree once it is merged.
pub const PENDING_IN_H_CORE8: &[&str] = &[
    // Empty since h-core8 9a48c62: the 30 cases once here now agree.
];

/// Differences found by this suite that no branch addresses yet; each
/// is reported to the lead, who decides whether relsig changes or README
/// explains it.
pub const REPORTED: &[(&str, &str)] = &[
    // Empty: the lead decided each reported difference (see DIFFERENCES).
];

/// The identity every generated payload claims.
const REFERENCE: &str = "quay.io/relsig-diff/app:1.0";

/// One comparison: the four `standalone-verify` arguments and the key
/// file both are given.
struct Case {
    name: String,
    manifest: Arc<Vec<u8>>,
    reference: String,
    fingerprints: String,
    signature: Vec<u8>,
    keys: Arc<Vec<u8>>,
}

/// The two verdicts on one case, with what each printed.
struct Verdicts {
    relsig: bool,
    relsig_says: String,
    skopeo: bool,
    skopeo_says: String,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `--faked-system-time` for `secs` since the epoch (`!`: the clock
/// stands still, so the signature's time is exactly that).
fn at(secs: u64) -> String {
    format!("{secs}!")
}

const DAY: u64 = 24 * 3600;

/// The digest skopeo computes for a manifest (`skopeo manifest-digest`),
/// or `None` when it cannot.
fn skopeo_digest(manifest: &Path) -> Option<String> {
    let out = run_bounded(
        Command::new("/usr/bin/skopeo")
            .arg("manifest-digest")
            .arg(manifest)
            .stdin(Stdio::null()),
        Duration::from_secs(60),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A payload in Red Hat's layout.
fn payload(digest: &str) -> Vec<u8> {
    signing::payload(digest, REFERENCE)
}

/// The keys the cases are made with, each generated once per run.
struct Keys {
    rsa2048: GpgKey,
    ed25519: GpgKey,
    /// Every algorithm gpg makes, by name, for the algorithm cases.
    algorithms: Vec<(&'static str, GpgKey)>,
    /// Certification-only primary with an Ed25519 signing subkey.
    subkeyed: GpgKey,
    /// Created two years ago, expired one year ago.
    expired: GpgKey,
    /// RSA-2048 created in 2017, for signatures dated in the past.
    old: GpgKey,
    /// Revoked after it made `revoked_sig`.
    revoked: GpgKey,
    revoked_sig: Vec<u8>,
    /// sequoia keys for hand-built messages.
    seq_rsa: Cert,
    seq_ed: Cert,
    seq_other: Cert,
    seq_cert_only: Cert,
}

impl Keys {
    fn generate(dir: &Path, digest: &str) -> Keys {
        let spec = |algo| KeySpec {
            algo,
            usage: "sign",
            expire: "never",
            subkey: None,
            at: None,
        };
        // The slow ones first, so that the workers finish together.
        const ALGORITHMS: [&str; 11] = [
            "dsa2048",
            "rsa4096",
            "rsa3072",
            "rsa2048",
            "ed25519",
            "nistp256",
            "nistp384",
            "nistp521",
            "brainpoolP256r1",
            "brainpoolP384r1",
            "secp256k1",
        ];
        let two_years_ago = at(now_secs() - 730 * DAY);
        let mut specs: Vec<(&str, KeySpec<'_>)> =
            ALGORITHMS.iter().map(|a| (*a, spec(a))).collect();
        specs.extend([
            ("rsa2048-b", spec("rsa2048")),
            ("ed25519-b", spec("ed25519")),
            (
                "subkeyed",
                KeySpec {
                    algo: "ed25519",
                    usage: "cert",
                    expire: "never",
                    subkey: Some("ed25519"),
                    at: None,
                },
            ),
            (
                "expired",
                KeySpec {
                    algo: "ed25519",
                    usage: "sign",
                    expire: "1y",
                    subkey: None,
                    at: Some(&two_years_ago),
                },
            ),
            (
                "old",
                KeySpec {
                    algo: "rsa2048",
                    usage: "sign",
                    expire: "never",
                    subkey: None,
                    // 2017-06-01
                    at: Some("1496275200!"),
                },
            ),
            ("revoked", spec("ed25519")),
        ]);
        // Key generation is mostly gpg-agent's CPU: a few at a time.
        let next = AtomicUsize::new(0);
        let mut made: HashMap<&str, GpgKey> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        while let Some((name, spec)) =
                            specs.get(next.fetch_add(1, Ordering::SeqCst))
                        {
                            done.push((*name, GpgKey::generate(dir, name, spec)));
                        }
                        done
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        let mut take = |name: &str| made.remove(name).unwrap();
        let algorithms = ALGORITHMS.iter().map(|a| (*a, take(a))).collect();
        let rsa2048 = take("rsa2048-b");
        let ed25519 = take("ed25519-b");
        let subkeyed = take("subkeyed");
        let expired = take("expired");
        let old = take("old");
        let revoked = take("revoked");
        let revoked_sig = revoked.sign(&payload(digest), &[]);
        revoked.revoke();
        let seq = |cs| signing::signing_cert(cs);
        let seq_cert_only = CertBuilder::new()
            .add_userid("relsig differential cert-only <c@example.org>")
            .set_cipher_suite(CipherSuite::Cv25519)
            .set_primary_key_flags(KeyFlags::empty().set_certification())
            .generate()
            .unwrap()
            .0;
        Keys {
            rsa2048,
            ed25519,
            algorithms,
            subkeyed,
            expired,
            old,
            revoked,
            revoked_sig,
            seq_rsa: seq(CipherSuite::RSA2k),
            seq_ed: seq(CipherSuite::Cv25519),
            seq_other: seq(CipherSuite::Cv25519),
            seq_cert_only,
        }
    }
}

/// Public parts of `certs` as one binary keyring.
fn cert_file(certs: &[&Cert]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in certs {
        c.serialize(&mut out).unwrap();
    }
    out
}

fn armored(cert: &Cert) -> Vec<u8> {
    use openpgp::serialize::SerializeInto as _;
    cert.armored().to_vec().unwrap()
}

/// Builds the cases; `add` keeps names unique.
struct Cases<'k> {
    keys: &'k Keys,
    manifest: Arc<Vec<u8>>,
    digest: String,
    list: Vec<Case>,
    key_files: HashMap<String, Arc<Vec<u8>>>,
}

impl Cases<'_> {
    /// The key file named `name`, made by `make` the first time.
    fn key_file(&mut self, name: &str, make: impl FnOnce() -> Vec<u8>) -> Arc<Vec<u8>> {
        self.key_files
            .entry(name.to_string())
            .or_insert_with(|| Arc::new(make()))
            .clone()
    }

    fn gpg_keys(&mut self, key: &GpgKey) -> Arc<Vec<u8>> {
        let name = format!("gpg:{}", key.fpr);
        self.key_file(&name, || key.export(false))
    }

    fn seq_keys(&mut self, cert: &Cert) -> Arc<Vec<u8>> {
        let name = format!("seq:{}", cert.fingerprint());
        self.key_file(&name, || cert_file(&[cert]))
    }

    fn push(
        &mut self,
        name: impl Into<String>,
        signature: Vec<u8>,
        keys: Arc<Vec<u8>>,
        fingerprints: &str,
    ) {
        let manifest = self.manifest.clone();
        self.push_full(name, manifest, REFERENCE, fingerprints, signature, keys);
    }

    fn push_full(
        &mut self,
        name: impl Into<String>,
        manifest: Arc<Vec<u8>>,
        reference: &str,
        fingerprints: &str,
        signature: Vec<u8>,
        keys: Arc<Vec<u8>>,
    ) {
        let name = name.into();
        assert!(
            self.list.iter().all(|c| c.name != name),
            "case name {name} twice"
        );
        self.list.push(Case {
            name,
            manifest,
            reference: reference.to_string(),
            fingerprints: fingerprints.to_string(),
            signature,
            keys,
        });
    }

    /// `payload` signed by gpg `key` with `args`, verified with its own
    /// key file and fingerprint.
    fn gpg_case(&mut self, name: &str, key: &GpgKey, payload: &[u8], args: &[&str]) {
        let sig = key.sign(payload, args);
        let keys = self.gpg_keys(key);
        self.push(name, sig, keys, &key.fpr.clone());
    }

    /// A sequoia-signed message in the usual shape (one-pass, literal,
    /// signature; new-format packets) with `sig` over `payload`, framed
    /// by `frame`.
    fn seq_packets(
        cert: &Cert,
        payload: &[u8],
        template: Option<SignatureBuilder>,
    ) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let mut kp = pair(cert);
        let sig = sign_v4(&mut kp, SignatureType::Binary, payload, template);
        let keyid = cert.keyid();
        let ops = new_packet(TAG_ONE_PASS, &one_pass_for(&sig, keyid.as_bytes()));
        let lit = new_packet(TAG_LITERAL, &literal_body(b'b', payload));
        let sigp = new_packet(TAG_SIGNATURE, &sig_body(&sig));
        (ops, lit, sigp)
    }

    fn algorithms(&mut self) {
        let p = payload(&self.digest);
        let keys = self.keys;
        for (algo, key) in &keys.algorithms {
            self.gpg_case(&format!("algorithm/{algo}"), key, &p, &[]);
            self.gpg_case(&format!("algorithm/{algo}-armored"), key, &p, &["--armor"]);
        }
        for (algo, key) in keys.algorithms.iter().take(4) {
            self.gpg_case(
                &format!("algorithm/{algo}-clearsigned"),
                key,
                &p,
                &["--clearsign"],
            );
        }
        let old = &keys.old;
        for hash in ["SHA1", "SHA224", "SHA256", "SHA384", "SHA512", "RIPEMD160"] {
            self.gpg_case(
                &format!("hash/{hash}"),
                &keys.rsa2048,
                &p,
                &["--digest-algo", hash],
            );
        }
        // 2018-06-01, before GnuPG's SHA-1 cutoff.
        self.gpg_case(
            "hash/SHA1-2018",
            old,
            &p,
            &[
                "--digest-algo",
                "SHA1",
                "--faked-system-time",
                "1527811200!",
            ],
        );
        self.gpg_case(
            "hash/SHA256-2018",
            old,
            &p,
            &["--faked-system-time", "1527811200!"],
        );
        self.gpg_case(
            "hash/ed25519-SHA256",
            &keys.ed25519,
            &p,
            &["--digest-algo", "SHA256"],
        );
        self.gpg_case(
            "hash/ed25519-SHA384",
            &keys.ed25519,
            &p,
            &["--digest-algo", "SHA384"],
        );
    }

    fn message_structure_gpg(&mut self) {
        let p = payload(&self.digest);
        let keys = self.keys;
        for (key, kname) in [(&keys.rsa2048, "rsa2048"), (&keys.ed25519, "ed25519")] {
            for algo in ["none", "zip", "zlib", "bzip2"] {
                self.gpg_case(
                    &format!("compression/gpg-{algo}-{kname}"),
                    key,
                    &p,
                    &["--compress-algo", algo],
                );
                self.gpg_case(
                    &format!("compression/gpg-{algo}-armored-{kname}"),
                    key,
                    &p,
                    &["--compress-algo", algo, "--armor"],
                );
            }
        }
        let ed = &keys.ed25519;
        let sig = ed.sign_stdin(&p);
        let k = self.gpg_keys(ed);
        self.push(
            "structure/gpg-stdin-partial-lengths",
            sig,
            k.clone(),
            &ed.fpr,
        );
        self.gpg_case("structure/gpg-textmode", ed, &p, &["--textmode"]);
        let pretty = pretty_payload(&self.digest, "\n");
        self.gpg_case(
            "structure/gpg-textmode-multiline",
            ed,
            &pretty,
            &["--textmode"],
        );
        self.gpg_case("structure/gpg-multiline-binary", ed, &pretty, &[]);
        self.gpg_case(
            "structure/gpg-for-your-eyes-only",
            ed,
            &p,
            &["--for-your-eyes-only"],
        );
        self.gpg_case(
            "structure/gpg-set-filename",
            ed,
            &p,
            &["--set-filename", "payload.json"],
        );
        self.gpg_case("structure/gpg-detached", ed, &p, &["--detach-sign"]);
        self.gpg_case(
            "structure/gpg-include-key-block",
            ed,
            &p,
            &["--include-key-block"],
        );
        self.gpg_case("structure/gpg-rfc4880", ed, &p, &["--rfc4880"]);
        self.gpg_case("structure/gpg-openpgp", &keys.rsa2048, &p, &["--openpgp"]);
        // A message signed again: the outer literal holds a message.
        let inner = ed.sign(&p, &[]);
        self.gpg_case("structure/gpg-signed-twice", ed, &inner, &[]);
        // Cleartext variants.
        let clear = ed.sign(&p, &["--clearsign"]);
        self.push("cleartext/gpg", clear.clone(), k.clone(), &ed.fpr);
        let text = String::from_utf8(clear.clone()).unwrap();
        let hash_line = text
            .lines()
            .find(|l| l.starts_with("Hash: "))
            .unwrap()
            .to_string();
        self.push(
            "cleartext/no-hash-header",
            text.replace(&format!("{hash_line}\n"), "").into_bytes(),
            k.clone(),
            &ed.fpr,
        );
        let other = if hash_line.contains("SHA512") {
            "Hash: SHA256"
        } else {
            "Hash: SHA512"
        };
        self.push(
            "cleartext/other-hash-header",
            text.replace(&hash_line, other).into_bytes(),
            k.clone(),
            &ed.fpr,
        );
        self.push(
            "cleartext/crlf",
            text.replace('\n', "\r\n").into_bytes(),
            k.clone(),
            &ed.fpr,
        );
        self.push(
            "cleartext/preamble",
            format!("Some text first\n\n{text}").into_bytes(),
            k.clone(),
            &ed.fpr,
        );
        let clear_multi = ed.sign(&pretty, &["--clearsign"]);
        self.push("cleartext/multiline", clear_multi, k.clone(), &ed.fpr);
        // Armor variants.
        let arm = String::from_utf8(ed.sign(&p, &["--armor"])).unwrap();
        self.push(
            "armor/crlf",
            arm.replace('\n', "\r\n").into_bytes(),
            k.clone(),
            &ed.fpr,
        );
        self.push(
            "armor/preamble",
            format!("text before the armor\n{arm}").into_bytes(),
            k.clone(),
            &ed.fpr,
        );
        self.push(
            "armor/version-header",
            arm.replacen("-----\n", "-----\nVersion: relsig-test\n", 1)
                .into_bytes(),
            k.clone(),
            &ed.fpr,
        );
        // Without the checksum line, gpg's verdict depends on whether the
        // base64 ends in `=` padding (it refuses when there is none): one
        // case for each length mod 3.
        let rsa = &keys.rsa2048;
        let rk = self.gpg_keys(rsa);
        for rest in 0..3 {
            let no_crc = armor_with_length_mod3(rsa, &p, rest);
            self.push(
                format!("armor/no-checksum-length-mod3-{rest}"),
                no_crc,
                rk.clone(),
                &rsa.fpr,
            );
        }
        let bad_crc: String = arm
            .lines()
            .map(|l| {
                if l.starts_with('=') && l.len() == 5 {
                    "=AAAA\n".to_string()
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        self.push(
            "armor/bad-checksum",
            bad_crc.into_bytes(),
            k.clone(),
            &ed.fpr,
        );
        self.push(
            "armor/trailing-text",
            format!("{arm}text after the armor\n").into_bytes(),
            k.clone(),
            &ed.fpr,
        );
        let bin = ed.sign(&p, &[]);
        let mut trailing = bin.clone();
        trailing.extend_from_slice(b"trailing garbage");
        self.push(
            "structure/gpg-compressed-trailing-bytes",
            trailing,
            k.clone(),
            &ed.fpr,
        );
        let mut double = bin.clone();
        double.extend_from_slice(&bin);
        self.push("structure/gpg-two-messages", double, k.clone(), &ed.fpr);
        let plain = ed.sign(&p, &["--compress-algo", "none"]);
        let mut trailing = plain.clone();
        trailing.extend_from_slice(b"trailing garbage");
        self.push(
            "structure/gpg-uncompressed-trailing-bytes",
            trailing,
            k.clone(),
            &ed.fpr,
        );
        let mut double = plain.clone();
        double.extend_from_slice(&plain);
        self.push(
            "structure/gpg-uncompressed-two-messages",
            double,
            k.clone(),
            &ed.fpr,
        );
        let mut truncated = bin.clone();
        truncated.truncate(bin.len() - 10);
        self.push("structure/gpg-truncated", truncated, k.clone(), &ed.fpr);
        self.push(
            "structure/gpg-tampered",
            crate::common::tampered(&plain),
            k.clone(),
            &ed.fpr,
        );
        // Notations and other subpackets gpg writes.
        self.gpg_case(
            "subpacket/notation",
            ed,
            &p,
            &["--sig-notation", "test@relsig.example=yes"],
        );
        self.gpg_case(
            "subpacket/notation-critical",
            ed,
            &p,
            &["--sig-notation", "!test@relsig.example=yes"],
        );
        self.gpg_case(
            "subpacket/policy-url",
            ed,
            &p,
            &["--sig-policy-url", "https://relsig.example/policy"],
        );
        self.gpg_case(
            "subpacket/policy-url-critical",
            ed,
            &p,
            &["--sig-policy-url", "!https://relsig.example/policy"],
        );
        self.gpg_case(
            "subpacket/keyserver-url",
            ed,
            &p,
            &["--sig-keyserver-url", "https://relsig.example/keys"],
        );
        // Times.
        let now = now_secs();
        self.gpg_case(
            "time/expires-in-a-year",
            ed,
            &p,
            &["--default-sig-expire", "1y"],
        );
        self.gpg_case(
            "time/expired-signature",
            &keys.old,
            &p,
            &[
                "--default-sig-expire",
                "1d",
                "--faked-system-time",
                &at(now - 10 * DAY),
            ],
        );
        self.gpg_case(
            "time/created-tomorrow",
            ed,
            &p,
            &["--faked-system-time", &at(now + DAY)],
        );
        self.gpg_case(
            "time/created-next-year",
            ed,
            &p,
            &["--faked-system-time", &at(now + 365 * DAY)],
        );
        self.gpg_case(
            "time/created-last-year",
            &keys.old,
            &p,
            &["--faked-system-time", &at(now - 365 * DAY)],
        );
        self.gpg_case(
            "time/key-expired",
            &keys.expired,
            &p,
            &["--faked-system-time", &at(now - 700 * DAY)],
        );
        let rk = self.gpg_keys(&keys.revoked);
        self.push(
            "time/key-revoked",
            keys.revoked_sig.clone(),
            rk,
            &keys.revoked.fpr,
        );
    }

    fn message_structure_sequoia(&mut self) {
        let p = payload(&self.digest);
        let keys = self.keys;
        let cert = &keys.seq_rsa;
        let fpr = cert.fingerprint().to_hex();
        let k = self.seq_keys(cert);
        let (ops, lit, sig) = Self::seq_packets(cert, &p, None);
        let std = [ops.clone(), lit.clone(), sig.clone()].concat();
        self.push("structure/seq-new-format", std.clone(), k.clone(), &fpr);
        for (name, algo) in [
            ("uncompressed", CompressionAlgorithm::Uncompressed),
            ("zip", CompressionAlgorithm::Zip),
            ("zlib", CompressionAlgorithm::Zlib),
            ("bzip2", CompressionAlgorithm::BZip2),
        ] {
            self.push(
                format!("compression/seq-{name}"),
                compressed(&std, algo),
                k.clone(),
                &fpr,
            );
        }
        let zip = |c: &[u8]| compressed(c, CompressionAlgorithm::Zip);
        self.push("compression/nested-2", zip(&zip(&std)), k.clone(), &fpr);
        self.push(
            "compression/nested-3",
            zip(&zip(&zip(&std))),
            k.clone(),
            &fpr,
        );
        self.push(
            "compression/zlib-in-zip",
            zip(&compressed(&std, CompressionAlgorithm::Zlib)),
            k.clone(),
            &fpr,
        );
        self.push(
            "compression/signature-outside",
            [ops.clone(), zip(&lit), sig.clone()].concat(),
            k.clone(),
            &fpr,
        );
        let (o, l, sg) = (body_of(&ops), body_of(&lit), body_of(&sig));
        self.push(
            "packets/old-format",
            [
                old_packet(TAG_ONE_PASS, &o),
                old_packet(TAG_LITERAL, &l),
                old_packet(TAG_SIGNATURE, &sg),
            ]
            .concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "packets/old-format-literal-only",
            [ops.clone(), old_packet(TAG_LITERAL, &l), sig.clone()].concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "packets/old-literal-indeterminate",
            [
                ops.clone(),
                old_indeterminate(TAG_LITERAL, &[l.clone(), sig.clone()].concat()),
            ]
            .concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "packets/old-literal-indeterminate-last",
            [
                old_packet(TAG_SIGNATURE, &sg),
                old_indeterminate(TAG_LITERAL, &l),
            ]
            .concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "packets/partial-512",
            [ops.clone(), partial_packet(TAG_LITERAL, &l, 9), sig.clone()].concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "packets/partial-64-go-style",
            [ops.clone(), partial_packet(TAG_LITERAL, &l, 6), sig.clone()].concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "packets/partial-1",
            [ops.clone(), partial_packet(TAG_LITERAL, &l, 0), sig.clone()].concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "packets/partial-compressed",
            {
                let inner = std.clone();
                let c = zip(&inner);
                partial_packet(TAG_COMPRESSED, &body_of(&c), 9)
            },
            k.clone(),
            &fpr,
        );
        self.push(
            "order/signature-first-no-one-pass",
            [sig.clone(), lit.clone()].concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "order/signature-first-compressed",
            zip(&[sig.clone(), lit.clone()].concat()),
            k.clone(),
            &fpr,
        );
        self.push(
            "order/literal-then-signature-no-one-pass",
            [lit.clone(), sig.clone()].concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "order/one-pass-without-signature",
            [ops.clone(), lit.clone()].concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "order/signature-without-one-pass-then-one-pass",
            [ops.clone(), lit.clone(), sig.clone(), sig.clone()].concat(),
            k.clone(),
            &fpr,
        );
        self.push("order/literal-only", lit.clone(), k.clone(), &fpr);
        self.push(
            "order/marker-first",
            [new_packet(TAG_MARKER, b"PGP"), std.clone()].concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "order/marker-old-format-first",
            [old_packet(TAG_MARKER, b"PGP"), std.clone()].concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "order/two-literals",
            [ops.clone(), lit.clone(), lit.clone(), sig.clone()].concat(),
            k.clone(),
            &fpr,
        );
        let mut trailing = std.clone();
        trailing.extend_from_slice(b"trailing garbage");
        self.push(
            "order/uncompressed-trailing-bytes",
            trailing,
            k.clone(),
            &fpr,
        );
        self.push(
            "order/uncompressed-two-messages",
            [std.clone(), std.clone()].concat(),
            k.clone(),
            &fpr,
        );
        let mut ztrailing = zip(&std);
        ztrailing.extend_from_slice(b"trailing garbage");
        self.push(
            "order/compressed-trailing-bytes",
            ztrailing,
            k.clone(),
            &fpr,
        );
        self.push(
            "order/compressed-two-messages",
            [zip(&std), zip(&std)].concat(),
            k.clone(),
            &fpr,
        );
        // Literal formats and text-mode signatures.
        self.push(
            "literal/format-t",
            [
                ops.clone(),
                new_packet(TAG_LITERAL, &literal_body(b't', &p)),
                sig.clone(),
            ]
            .concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "literal/format-u",
            [
                ops.clone(),
                new_packet(TAG_LITERAL, &literal_body(b'u', &p)),
                sig.clone(),
            ]
            .concat(),
            k.clone(),
            &fpr,
        );
        let pretty = pretty_payload(&self.digest, "\n");
        let crlf = pretty_payload(&self.digest, "\r\n");
        let mut kp = pair(cert);
        for (name, data, hashed, typ) in [
            (
                "text-sig-lf-hashed-as-crlf",
                &pretty,
                &crlf,
                SignatureType::Text,
            ),
            (
                "text-sig-lf-hashed-as-is",
                &pretty,
                &pretty,
                SignatureType::Text,
            ),
            ("text-sig-crlf", &crlf, &crlf, SignatureType::Text),
            ("text-sig-one-line", &p, &p, SignatureType::Text),
            ("binary-sig-lf", &pretty, &pretty, SignatureType::Binary),
        ] {
            let sig = sign_v4(&mut kp, typ, hashed, Some(SignatureBuilder::new(typ)));
            let m = [
                new_packet(TAG_ONE_PASS, &one_pass_for(&sig, cert.keyid().as_bytes())),
                new_packet(TAG_LITERAL, &literal_body(b't', data)),
                new_packet(TAG_SIGNATURE, &sig_body(&sig)),
            ]
            .concat();
            self.push(format!("literal/{name}"), m, k.clone(), &fpr);
        }
        // Version-3 signatures (RSA), with and without one-pass.
        let v3 = sign_v3(&mut kp, &p, now_secs() as u32 - 60);
        let ops3 = new_packet(
            TAG_ONE_PASS,
            &one_pass_body(0, HashAlgorithm::SHA256, 1, cert.keyid().as_bytes(), true),
        );
        self.push(
            "v3/one-pass-literal-signature",
            [ops3.clone(), lit.clone(), new_packet(TAG_SIGNATURE, &v3)].concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "v3/old-format-compressed",
            zip(&[
                old_packet(TAG_ONE_PASS, &body_of(&ops3)),
                old_packet(TAG_LITERAL, &l),
                old_packet(TAG_SIGNATURE, &v3),
            ]
            .concat()),
            k.clone(),
            &fpr,
        );
        self.push(
            "v3/signature-first",
            [new_packet(TAG_SIGNATURE, &v3), lit.clone()].concat(),
            k.clone(),
            &fpr,
        );
        let mut bad3 = v3.clone();
        let last = bad3.len() - 1;
        bad3[last] ^= 1;
        self.push(
            "v3/bad-signature",
            [ops3.clone(), lit.clone(), new_packet(TAG_SIGNATURE, &bad3)].concat(),
            k.clone(),
            &fpr,
        );
        // MPI encodings (RSA).
        self.push(
            "mpi/leading-zero-byte",
            [
                ops.clone(),
                lit.clone(),
                new_packet(TAG_SIGNATURE, &rsa_mpi_with_leading_zeros(&sg, 1)),
            ]
            .concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "mpi/bit-count-too-large",
            [
                ops.clone(),
                lit.clone(),
                new_packet(TAG_SIGNATURE, &rsa_mpi_bits_off(&sg, 8)),
            ]
            .concat(),
            k.clone(),
            &fpr,
        );
        self.push(
            "mpi/bit-count-too-small",
            [
                ops.clone(),
                lit.clone(),
                new_packet(TAG_SIGNATURE, &rsa_mpi_bits_off(&sg, -8)),
            ]
            .concat(),
            k.clone(),
            &fpr,
        );
        // Ed25519 messages from sequoia's streaming writer.
        let ed = &keys.seq_ed;
        let efpr = ed.fingerprint().to_hex();
        let ek = self.seq_keys(ed);
        let msg = |opts: &signing::Msg, signers| signing::sign(&p, signers, opts);
        self.push(
            "structure/seq-stream-zip",
            msg(&signing::Msg::default(), vec![pair(ed)]),
            ek.clone(),
            &efpr,
        );
        self.push(
            "structure/seq-stream-armored",
            msg(
                &signing::Msg {
                    armor: true,
                    ..Default::default()
                },
                vec![pair(ed)],
            ),
            ek.clone(),
            &efpr,
        );
        self.push(
            "structure/seq-stream-unsigned",
            msg(&signing::Msg::default(), vec![]),
            ek.clone(),
            &efpr,
        );
        // Several signatures.
        let both = self.key_file("seq:ed+other", || {
            cert_file(&[&keys.seq_ed, &keys.seq_other])
        });
        self.push(
            "signers/two-both-known",
            msg(
                &signing::Msg::default(),
                vec![pair(ed), pair(&keys.seq_other)],
            ),
            both.clone(),
            &efpr,
        );
        self.push(
            "signers/two-second-unknown",
            msg(
                &signing::Msg::default(),
                vec![pair(ed), pair(&keys.seq_rsa)],
            ),
            ek.clone(),
            &efpr,
        );
        self.push(
            "signers/two-first-unknown",
            msg(
                &signing::Msg::default(),
                vec![pair(&keys.seq_rsa), pair(ed)],
            ),
            ek.clone(),
            &efpr,
        );
        self.push(
            "signers/two-same-key",
            msg(&signing::Msg::default(), vec![pair(ed), pair(ed)]),
            ek.clone(),
            &efpr,
        );
        self.push(
            "signers/only-unknown",
            msg(&signing::Msg::default(), vec![pair(&keys.seq_other)]),
            ek.clone(),
            &efpr,
        );
        let co = &keys.seq_cert_only;
        let cok = self.seq_keys(co);
        self.push(
            "keys/not-signing-capable",
            msg(&signing::Msg::default(), vec![pair(co)]),
            cok,
            &co.fingerprint().to_hex(),
        );
        // Subpackets.
        let mut edp = pair(ed);
        let mut sub = |name: &str, template: SignatureBuilder, this: &mut Self| {
            let sig = sign_v4(&mut edp, SignatureType::Binary, &p, Some(template));
            let m = zip(&[
                new_packet(TAG_ONE_PASS, &one_pass_for(&sig, ed.keyid().as_bytes())),
                lit.clone(),
                new_packet(TAG_SIGNATURE, &sig_body(&sig)),
            ]
            .concat());
            this.push(format!("subpacket/seq-{name}"), m, ek.clone(), &efpr);
        };
        let b = || SignatureBuilder::new(SignatureType::Binary);
        let unknown = |critical| {
            b().modify_hashed_area(|mut a| {
                a.add(Subpacket::new(
                    SubpacketValue::Unknown {
                        tag: SubpacketTag::Unknown(101),
                        body: vec![1, 2, 3],
                    },
                    critical,
                )?)?;
                Ok(a)
            })
            .unwrap()
        };
        sub("unknown-critical", unknown(true), self);
        sub("unknown-not-critical", unknown(false), self);
        let other = keys.seq_other.fingerprint();
        sub(
            "issuer-fingerprint-hashed-other-key",
            b().set_issuer_fingerprint(other.clone())
                .unwrap()
                .set_issuer(ed.keyid())
                .unwrap(),
            self,
        );
        sub(
            "issuer-other-key-id",
            b().set_issuer(keys.seq_other.keyid()).unwrap(),
            self,
        );
        sub(
            "issuer-fingerprint-only",
            b().set_issuer_fingerprint(ed.fingerprint()).unwrap(),
            self,
        );
        sub(
            "issuer-key-id-only",
            b().set_issuer(ed.keyid()).unwrap(),
            self,
        );
        sub(
            "issuer-wildcard-key-id",
            b().set_issuer(openpgp::KeyID::wildcard()).unwrap(),
            self,
        );
        sub(
            "notation-critical",
            b().add_notation("x@relsig.example", b"v", None, true)
                .unwrap(),
            self,
        );
        sub(
            "notation-not-critical",
            b().add_notation("x@relsig.example", b"v", None, false)
                .unwrap(),
            self,
        );
        sub(
            "expiration-past",
            b().set_signature_creation_time(SystemTime::now() - Duration::from_secs(2 * DAY))
                .unwrap()
                .set_signature_validity_period(Duration::from_secs(DAY))
                .unwrap(),
            self,
        );
        sub(
            "created-in-an-hour",
            b().set_signature_creation_time(SystemTime::now() + Duration::from_secs(3600))
                .unwrap(),
            self,
        );
        sub(
            "created-before-the-key",
            b().set_signature_creation_time(SystemTime::now() - Duration::from_secs(30 * DAY))
                .unwrap(),
            self,
        );
        sub(
            "no-creation-time",
            b().modify_hashed_area(|mut a| {
                a.remove_all(SubpacketTag::SignatureCreationTime);
                Ok(a)
            })
            .unwrap(),
            self,
        );
        sub(
            "issuer-fingerprint-hashed-other-key-only",
            b().set_issuer_fingerprint(other.clone()).unwrap(),
            self,
        );
        // The key the hashed issuer fingerprint names is in the key file.
        let sig = sign_v4(
            &mut pair(ed),
            SignatureType::Binary,
            &p,
            Some(
                b().set_issuer_fingerprint(other.clone())
                    .unwrap()
                    .set_issuer(ed.keyid())
                    .unwrap(),
            ),
        );
        let m = zip(&[
            new_packet(TAG_ONE_PASS, &one_pass_for(&sig, ed.keyid().as_bytes())),
            lit.clone(),
            new_packet(TAG_SIGNATURE, &sig_body(&sig)),
        ]
        .concat());
        self.push(
            "subpacket/seq-issuer-fingerprint-hashed-other-key-in-key-file",
            m,
            both,
            &efpr,
        );
    }

    fn key_files(&mut self) {
        let p = payload(&self.digest);
        let keys = self.keys;
        let ed = &keys.ed25519;
        let sig = ed.sign(&p, &[]);
        let fpr = ed.fpr.clone();
        let bin = ed.export(false);
        let arm = String::from_utf8(ed.export(true)).unwrap();
        let other = keys.rsa2048.export(false);
        let other_arm = String::from_utf8(keys.rsa2048.export(true)).unwrap();
        let files: Vec<(&str, Vec<u8>)> = vec![
            ("binary", bin.clone()),
            ("armored", arm.clone().into_bytes()),
            ("armored-crlf", arm.replace('\n', "\r\n").into_bytes()),
            (
                "armored-preamble",
                format!("Red Hat's key, as published:\n\n{arm}").into_bytes(),
            ),
            (
                "armored-two-blocks-signer-second",
                format!("{other_arm}{arm}").into_bytes(),
            ),
            (
                "armored-two-blocks-signer-first",
                format!("{arm}\n{other_arm}").into_bytes(),
            ),
            (
                "keyring-signer-second",
                [other.clone(), bin.clone()].concat(),
            ),
            (
                "keyring-signer-first",
                [bin.clone(), other.clone()].concat(),
            ),
            ("without-the-signer", other.clone()),
            ("secret-key", ed.export_secret()),
            (
                "trailing-garbage",
                [bin.clone(), b"garbage after the key".to_vec()].concat(),
            ),
            (
                "trailing-truncated-packet",
                [bin.clone(), other[..other.len() / 2].to_vec()].concat(),
            ),
            ("trailing-zero-bytes", [bin.clone(), vec![0; 64]].concat()),
            ("truncated", bin[..bin.len() - 20].to_vec()),
            ("empty", Vec::new()),
            ("not-a-key", b"this is not a key\n".to_vec()),
            (
                "armored-bad-checksum",
                arm.lines()
                    .map(|l| {
                        if l.starts_with('=') && l.len() == 5 {
                            "=AAAA\n".to_string()
                        } else {
                            format!("{l}\n")
                        }
                    })
                    .collect::<String>()
                    .into_bytes(),
            ),
            (
                "unknown-version-cert-after",
                [bin.clone(), new_packet(6, &[9, 0, 0, 0, 0, 22, 1, 2, 3])].concat(),
            ),
            ("primary-only-no-user-id", {
                let pile = openpgp::PacketPile::from_bytes(&bin).unwrap();
                let first = pile.into_children().next().unwrap();
                use openpgp::serialize::SerializeInto as _;
                first.to_vec().unwrap()
            }),
        ];
        for (name, file) in files {
            let k = self.key_file(&format!("file:{name}"), || file);
            self.push(format!("keyfile/{name}"), sig.clone(), k, &fpr);
        }
        // Certificates from sequoia: binary and armored, and a keyring
        // of several.
        let seq = &keys.seq_ed;
        let smsg = signing::sign(&p, vec![pair(seq)], &signing::Msg::default());
        let sarm = self.key_file("seq:ed:armored", || armored(seq));
        self.push(
            "keyfile/sequoia-armored",
            smsg.clone(),
            sarm,
            &seq.fingerprint().to_hex(),
        );
        let ring = self.key_file("seq:ring3", || {
            cert_file(&[&keys.seq_other, &keys.seq_rsa, seq])
        });
        self.push(
            "keyfile/sequoia-keyring-of-three",
            smsg.clone(),
            ring,
            &seq.fingerprint().to_hex(),
        );
        let stripped = self.key_file("seq:ed:stripped", || {
            let mut out = Vec::new();
            openpgp::Packet::from(seq.primary_key().key().clone())
                .serialize(&mut out)
                .unwrap();
            for u in seq.userids() {
                openpgp::Packet::from(u.userid().clone())
                    .serialize(&mut out)
                    .unwrap();
            }
            out
        });
        self.push(
            "keyfile/no-self-signatures",
            smsg.clone(),
            stripped,
            &seq.fingerprint().to_hex(),
        );
        // Subkeys.
        let sk = &keys.subkeyed;
        let sub = sk.subkey.clone().unwrap();
        let kf = self.gpg_keys(sk);
        let ssig = sk.sign(&p, &[]);
        self.push(
            "subkey/primary-fingerprint",
            ssig.clone(),
            kf.clone(),
            &sk.fpr,
        );
        self.push("subkey/subkey-fingerprint", ssig.clone(), kf.clone(), &sub);
        self.push(
            "subkey/either",
            ssig.clone(),
            kf.clone(),
            &format!("{},{}", sk.fpr, sub),
        );
        self.push("subkey/any", ssig, kf, "any");
    }

    fn fingerprints(&mut self) {
        let p = payload(&self.digest);
        let keys = self.keys;
        let ed = &keys.ed25519;
        let sig = ed.sign(&p, &[]);
        let fpr = ed.fpr.clone();
        let other = keys.rsa2048.fpr.clone();
        let k = self.gpg_keys(ed);
        let ring = {
            let (a, b) = (ed.export(false), keys.rsa2048.export(false));
            self.key_file("gpg:ed+rsa", || [b, a].concat())
        };
        let spaced: String = fpr
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(" ");
        for (name, arg, keys_file) in [
            ("exact", fpr.clone(), &k),
            ("lower-case", fpr.to_lowercase(), &k),
            ("spaces", spaced.clone(), &k),
            ("any", "any".to_string(), &k),
            ("ANY", "ANY".to_string(), &k),
            ("any-keyring", "any".to_string(), &ring),
            ("list-signer-first", format!("{fpr},{other}"), &ring),
            ("list-signer-second", format!("{other},{fpr}"), &ring),
            ("list-other-only", other.clone(), &ring),
            ("trailing-comma", format!("{fpr},"), &k),
            ("leading-comma", format!(",{fpr}"), &k),
            ("double-comma", format!("{other},,{fpr}"), &ring),
            ("any-in-list", format!("any,{fpr}"), &k),
            ("any-in-list-other", format!("any,{other}"), &ring),
            ("key-id", fpr[24..].to_string(), &k),
            ("0x-prefix", format!("0x{fpr}"), &k),
            ("empty", String::new(), &k),
            (
                "one-digit-off",
                {
                    let mut f = fpr.clone();
                    let c = if f.ends_with('0') { "1" } else { "0" };
                    f.replace_range(39..40, c);
                    f
                },
                &k,
            ),
            ("too-short", fpr[..39].to_string(), &k),
            ("space-around-list", format!("{other} , {fpr}"), &ring),
        ] {
            self.push(
                format!("fingerprint/{name}"),
                sig.clone(),
                keys_file.clone(),
                &arg,
            );
        }
    }

    fn payloads(&mut self) {
        let d = self.digest.clone();
        let ed = &self.keys.ed25519;
        let crit = |id: &str, img: &str, typ: &str| {
            format!(
                r#"{{"identity": {{"docker-reference": "{id}"}}, "image": {{"docker-manifest-digest": "{img}"}}, "type": "{typ}"}}"#
            )
        };
        let c = crit(REFERENCE, &d, "atomic container signature");
        let deep = |n: usize| format!("{}1{}", r#"{"a": "#.repeat(n), "}".repeat(n));
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("red-hat-layout", payload(&d)),
            ("compact", format!(r#"{{"critical":{},"optional":{{}}}}"#, c.replace(": ", ":").replace(", ", ",")).into_bytes()),
            ("no-optional", format!(r#"{{"critical": {c}}}"#).into_bytes()),
            ("optional-empty", format!(r#"{{"critical": {c}, "optional": {{}}}}"#).into_bytes()),
            ("optional-null", format!(r#"{{"critical": {c}, "optional": null}}"#).into_bytes()),
            ("creator-and-timestamp", format!(r#"{{"critical": {c}, "optional": {{"creator": "x", "timestamp": 1700000000}}}}"#).into_bytes()),
            ("creator-null", format!(r#"{{"critical": {c}, "optional": {{"creator": null}}}}"#).into_bytes()),
            ("timestamp-null", format!(r#"{{"critical": {c}, "optional": {{"timestamp": null}}}}"#).into_bytes()),
            ("timestamp-float", format!(r#"{{"critical": {c}, "optional": {{"timestamp": 1.5}}}}"#).into_bytes()),
            ("timestamp-exponent", format!(r#"{{"critical": {c}, "optional": {{"timestamp": 1e9}}}}"#).into_bytes()),
            ("timestamp-negative", format!(r#"{{"critical": {c}, "optional": {{"timestamp": -5}}}}"#).into_bytes()),
            ("timestamp-string", format!(r#"{{"critical": {c}, "optional": {{"timestamp": "1700000000"}}}}"#).into_bytes()),
            ("timestamp-too-large", format!(r#"{{"critical": {c}, "optional": {{"timestamp": 99999999999999999999}}}}"#).into_bytes()),
            ("creator-number", format!(r#"{{"critical": {c}, "optional": {{"creator": 5}}}}"#).into_bytes()),
            ("optional-unknown-members", format!(r#"{{"critical": {c}, "optional": {{"x": [1, {{"y": null}}]}}}}"#).into_bytes()),
            ("optional-nested-100", format!(r#"{{"critical": {c}, "optional": {{"x": {}}}}}"#, deep(100)).into_bytes()),
            ("optional-nested-200", format!(r#"{{"critical": {c}, "optional": {{"x": {}}}}}"#, deep(200)).into_bytes()),
            ("creator-escaped", format!(r#"{{"critical": {c}, "optional": {{"creator": "caf\u00e9 \ud83d\ude00"}}}}"#).into_bytes()),
            ("creator-lone-surrogate", format!(r#"{{"critical": {c}, "optional": {{"creator": "\ud800"}}}}"#).into_bytes()),
            ("creator-invalid-utf8", [format!(r#"{{"critical": {c}, "optional": {{"creator": ""#).into_bytes(), vec![0xff, 0xfe], br#""}}"#.to_vec()].concat()),
            ("critical-extra-member", format!(r#"{{"critical": {}, "x": 1}}, "optional": {{}}}}"#, &c[..c.len() - 1]).into_bytes()),
            ("critical-missing-type", format!(r#"{{"critical": {{"identity": {{"docker-reference": "{REFERENCE}"}}, "image": {{"docker-manifest-digest": "{d}"}}}}, "optional": {{}}}}"#).into_bytes()),
            ("critical-null", br#"{"critical": null, "optional": {}}"#.to_vec()),
            ("type-other", format!(r#"{{"critical": {}, "optional": {{}}}}"#, crit(REFERENCE, &d, "atomic container signature v2")).into_bytes()),
            ("identity-extra-member", format!(r#"{{"critical": {}, "optional": {{}}}}"#, c.replace(r#"{"docker-reference""#, r#"{"x": 1, "docker-reference""#)).into_bytes()),
            ("image-extra-member", format!(r#"{{"critical": {}, "optional": {{}}}}"#, c.replace(r#"{"docker-manifest-digest""#, r#"{"x": 1, "docker-manifest-digest""#)).into_bytes()),
            ("duplicate-type", format!(r#"{{"critical": {}, "type": "atomic container signature"}}, "optional": {{}}}}"#, &c[..c.len() - 1]).into_bytes()),
            ("duplicate-optional", format!(r#"{{"critical": {c}, "optional": {{}}, "optional": {{}}}}"#).into_bytes()),
            ("top-level-extra-member", format!(r#"{{"critical": {c}, "optional": {{}}, "x": 1}}"#).into_bytes()),
            ("trailing-garbage", format!(r#"{{"critical": {c}, "optional": {{}}}} x"#).into_bytes()),
            ("trailing-newline", format!("{{\"critical\": {c}, \"optional\": {{}}}}\n").into_bytes()),
            ("leading-bom", [vec![0xEF, 0xBB, 0xBF], payload(&d)].concat()),
            ("escaped-member-names", format!(r#"{{"critical": {}, "optional": {{}}}}"#, c.replace(r#""type""#, r#""\u0074ype""#)).into_bytes()),
            ("member-name-other-case", format!(r#"{{"critical": {}, "optional": {{}}}}"#, c.replace(r#""type""#, r#""Type""#)).into_bytes()),
            ("members-reordered", format!(r#"{{"optional": {{}}, "critical": {{"type": "atomic container signature", "image": {{"docker-manifest-digest": "{d}"}}, "identity": {{"docker-reference": "{REFERENCE}"}}}}}}"#).into_bytes()),
            ("top-level-array", format!("[{}]", String::from_utf8(payload(&d)).unwrap()).into_bytes()),
            ("empty", Vec::new()),
            ("digest-upper-case", payload(&d.to_uppercase().replacen("SHA256", "sha256", 1))),
            ("digest-no-algorithm", payload(d.trim_start_matches("sha256:"))),
            ("digest-sha512", payload(&sha512_digest(&self.manifest))),
            ("identity-other", signing::payload(&d, "quay.io/relsig-diff/other:1.0")),
            ("identity-invalid", signing::payload(&d, "Not A Reference")),
            ("identity-digest-form", signing::payload(&d, &format!("quay.io/relsig-diff/app@{d}"))),
            ("identity-no-tag", signing::payload(&d, "quay.io/relsig-diff/app")),
        ];
        for (name, payload) in cases {
            self.gpg_case(&format!("payload/{name}"), ed, &payload, &[]);
        }
        // The expected reference, spelled differently.
        let sig = ed.sign(
            &signing::payload(&d, "docker.io/library/busybox:latest"),
            &[],
        );
        let k = self.gpg_keys(ed);
        let m = self.manifest.clone();
        for (name, reference) in [
            ("short-name", "busybox:latest"),
            ("library-name", "library/busybox:latest"),
            ("full-name", "docker.io/library/busybox:latest"),
            ("no-tag", "docker.io/library/busybox"),
            ("invalid", "Busybox:latest"),
        ] {
            self.push_full(
                format!("reference/{name}"),
                m.clone(),
                reference,
                &ed.fpr,
                sig.clone(),
                k.clone(),
            );
        }
    }

    fn manifests(&mut self) {
        let ed = &self.keys.ed25519;
        let k = self.gpg_keys(ed);
        let dir = fixtures().join("containers-image/manifest");
        let s1 = std::fs::read_to_string(dir.join("v2s1.manifest.json")).unwrap();
        let mut manifests: Vec<(String, Vec<u8>)> = Vec::new();
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            let name = f
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .trim_end_matches(".json")
                .to_string();
            manifests.push((name, std::fs::read(&f).unwrap()));
        }
        manifests.sort();
        let kid = "OZ45:U3IG:TDOI:PMBD:NGP2:LDIW:II2U:PSBI:MMCZ:YZUP:TUUO:XPZT";
        let sigs_at = s1.find("\"signatures\"").unwrap();
        let empty_sigs = format!("{}\"signatures\": []\n}}", &s1[..sigs_at]);
        manifests.extend([
            (
                "v2s1-Signatures-capitalised".to_string(),
                s1.replacen("\"signatures\"", "\"Signatures\"", 1)
                    .into_bytes(),
            ),
            (
                "v2s1-kid-mismatch".to_string(),
                s1.replace(kid, &kid.replace("OZ45", "AZ45")).into_bytes(),
            ),
            ("v2s1-empty-signatures".to_string(), empty_sigs.into_bytes()),
            (
                "v2s1-bad-jws-signature".to_string(),
                s1.replace("\"signature\": \"dV1p", "\"signature\": \"AV1p")
                    .into_bytes(),
            ),
            (
                "v2s1-crlf".to_string(),
                s1.replace('\n', "\r\n").into_bytes(),
            ),
            ("v2s2-reformatted".to_string(), {
                let v: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(dir.join("v2s2.manifest.json")).unwrap())
                        .unwrap();
                serde_json::to_vec(&v).unwrap()
            }),
            ("empty".to_string(), Vec::new()),
        ]);
        let tmp = tempfile::tempdir().unwrap();
        for (name, bytes) in manifests {
            let path = tmp.path().join("m.json");
            std::fs::write(&path, &bytes).unwrap();
            // What skopeo says the digest is; when it cannot compute one,
            // sign the plain sha256 of the bytes.
            let digest = skopeo_digest(&path).unwrap_or_else(|| sha256_digest(&bytes));
            let sig = ed.sign(&payload(&digest), &[]);
            self.push_full(
                format!("manifest/{name}"),
                Arc::new(bytes),
                REFERENCE,
                &ed.fpr,
                sig,
                k.clone(),
            );
        }
    }

    fn red_hat(&mut self) {
        let noo = crate::common::noo_dir();
        let manifest = Arc::new(std::fs::read(noo.join("manifest.json")).unwrap());
        let key = Arc::new(
            std::fs::read(
                fixtures().join("redhat-keys/redhat-release-key-2_FD431D51_sha256-selfsig.gpg"),
            )
            .unwrap(),
        );
        let access = "registry.access.redhat.com/albo/aws-load-balancer-operator-bundle";
        let redhat = "registry.redhat.io/albo/aws-load-balancer-operator-bundle";
        for n in 1..=4 {
            let sig = crate::common::noo_signature(n);
            for (host, name) in [(access, "access"), (redhat, "redhat-io")] {
                let reference = format!("{host}:0.0.1");
                self.push_full(
                    format!("red-hat/noo-{n}-{name}"),
                    manifest.clone(),
                    &reference,
                    crate::common::RELEASE_KEY_2,
                    sig.clone(),
                    key.clone(),
                );
            }
        }
    }
}

/// `payload` signed by `key`, uncompressed and armored by gpg, with the
/// armor checksum line removed, such that the message is `rest` bytes
/// past a multiple of 3 (JSON whitespace after the payload moves it; a
/// short RSA value can move it back, hence a few tries).
fn armor_with_length_mod3(key: &GpgKey, payload: &[u8], rest: usize) -> Vec<u8> {
    use base64::Engine as _;
    let mut pad = 0;
    for _ in 0..8 {
        let mut p = payload.to_vec();
        p.resize(p.len() + pad, b' ');
        let arm = String::from_utf8(key.sign(&p, &["--compress-algo", "none", "--armor"])).unwrap();
        let body: String = arm
            .lines()
            .skip_while(|l| !l.is_empty())
            .take_while(|l| !l.starts_with('=') && !l.starts_with("-----"))
            .collect();
        let len = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap()
            .len();
        if len % 3 == rest {
            return arm
                .lines()
                .filter(|l| !l.starts_with('='))
                .map(|l| format!("{l}\n"))
                .collect::<String>()
                .into_bytes();
        }
        pad += (rest + 3 - len % 3) % 3;
    }
    panic!("no armored message of length {rest} mod 3 in 8 tries");
}

/// A payload with one member per line (for text-mode signatures).
fn pretty_payload(digest: &str, eol: &str) -> Vec<u8> {
    format!(
        "{{{eol}  \"critical\": {{{eol}    \"identity\": {{\"docker-reference\": \"{REFERENCE}\"}},{eol}    \"image\": {{\"docker-manifest-digest\": \"{digest}\"}},{eol}    \"type\": \"atomic container signature\"{eol}  }},{eol}  \"optional\": {{}}{eol}}}{eol}"
    )
    .into_bytes()
}

fn sha256_digest(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{:x}", sha2::Sha256::digest(bytes))
}

fn sha512_digest(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha512:{:x}", sha2::Sha512::digest(bytes))
}

/// skopeo's verdict: accepted when one of the fingerprints it is asked
/// about (see the module doc) verifies.
fn skopeo(case: &Case, home: &ImportHome, dir: &Path) -> (bool, String) {
    let elements: Vec<String> = if case.fingerprints == "any" {
        home.primaries.clone()
    } else {
        case.fingerprints.split(',').map(str::to_string).collect()
    };
    let mut said = String::from("(no fingerprint to ask about)");
    for fpr in elements {
        let out = run_bounded(
            Command::new("/usr/bin/skopeo")
                .arg("standalone-verify")
                .arg(dir.join("manifest.json"))
                .arg(&case.reference)
                .arg(&fpr)
                .arg(dir.join("signature"))
                .env("GNUPGHOME", &home.home)
                .env("HOME", dir)
                .stdin(Stdio::null()),
            Duration::from_secs(60),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let text = String::from_utf8_lossy(if out.status.success() {
            &out.stdout
        } else {
            &out.stderr
        });
        said = text.trim().lines().last().unwrap_or("").to_string();
        if out.status.success() {
            return (true, said);
        }
    }
    (false, said)
}

fn run_case(case: &Case, home: &ImportHome) -> Verdicts {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest.json"), &*case.manifest).unwrap();
    std::fs::write(dir.path().join("signature"), &case.signature).unwrap();
    let key_file = dir.path().join("keys.gpg");
    std::fs::write(&key_file, &*case.keys).unwrap();
    let run = relsig(&[
        "standalone-verify",
        s(&dir.path().join("manifest.json")),
        &case.reference,
        &case.fingerprints,
        s(&dir.path().join("signature")),
        "--public-key-file",
        s(&key_file),
        "--output",
        "json",
    ]);
    let reason = serde_json::from_str::<serde_json::Value>(&run.stdout)
        .ok()
        .and_then(|j| j["reason"].as_str().map(str::to_string))
        .unwrap_or_else(|| "-".to_string());
    let line = run.stderr.trim().lines().next().unwrap_or("").to_string();
    let (skopeo, skopeo_says) = skopeo(case, home, dir.path());
    Verdicts {
        relsig: run.code == 0,
        relsig_says: format!("exit {}, {reason}: {line}", run.code),
        skopeo,
        skopeo_says,
    }
}

fn verdict(accepted: bool) -> &'static str {
    if accepted { "accepts" } else { "refuses" }
}

#[test]
fn relsig_and_skopeo_agree_on_generated_signatures() {
    assert!(
        Path::new("/usr/bin/skopeo").exists(),
        "/usr/bin/skopeo is missing: the differential suite needs skopeo (scripts/test installs it)"
    );
    let started = Instant::now();
    let work = tempfile::tempdir().unwrap();
    let manifest_path = fixtures().join("containers-image/manifest/v2s2.manifest.json");
    let digest = skopeo_digest(&manifest_path).expect("skopeo computes the v2s2 digest");
    let keys = Keys::generate(work.path(), &digest);
    let generated = started.elapsed();
    let mut cases = Cases {
        keys: &keys,
        manifest: Arc::new(std::fs::read(&manifest_path).unwrap()),
        digest,
        list: Vec::new(),
        key_files: HashMap::new(),
    };
    cases.algorithms();
    cases.message_structure_gpg();
    cases.message_structure_sequoia();
    cases.key_files();
    cases.fingerprints();
    cases.payloads();
    cases.manifests();
    cases.red_hat();
    let list = cases.list;
    let built = started.elapsed();

    // One GnuPG home per distinct key file.
    let mut homes: HashMap<Vec<u8>, ImportHome> = HashMap::new();
    for (i, case) in list.iter().enumerate() {
        if !homes.contains_key(&*case.keys) {
            let home = ImportHome::import(work.path(), &format!("import-{i}"), &case.keys);
            homes.insert(case.keys.to_vec(), home);
        }
    }

    // A few threads: each case is two short processes or more.
    let next = AtomicUsize::new(0);
    let results: Vec<(usize, Verdicts)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(case) = list.get(i) else { break };
                        done.push((i, run_case(case, &homes[&*case.keys])));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });

    let deliberate: HashMap<&str, &str> = DELIBERATE.iter().copied().collect();
    let mut by_category: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for (i, v) in &results {
        let case = &list[*i];
        let category = case.name.split('/').next().unwrap();
        let entry = by_category.entry(category).or_default();
        entry.0 += 1;
        let differs = v.relsig != v.skopeo;
        let listed = deliberate
            .get(case.name.as_str())
            .map(|d| format!("deliberate: {d}"))
            .or_else(|| {
                PENDING_IN_H_CORE8
                    .contains(&case.name.as_str())
                    .then(|| "pending in h-core8".to_string())
            })
            .or_else(|| {
                REPORTED
                    .iter()
                    .find(|(name, _)| *name == case.name)
                    .map(|(_, why)| format!("reported to the lead: {why}"))
            });
        if differs {
            entry.1 += 1;
        }
        let line = format!(
            "{}: relsig {} ({}); skopeo {} ({})",
            case.name,
            verdict(v.relsig),
            v.relsig_says,
            verdict(v.skopeo),
            v.skopeo_says
        );
        match (differs, listed) {
            (true, Some(why)) => report.push(format!("{line} [{why}]")),
            (true, None) => failures.push(format!("DIFFERS, not listed: {line}")),
            (false, Some(why)) => failures.push(format!(
                "listed as different ({why}) but both agree: {line}"
            )),
            (false, None) => {}
        }
    }
    eprintln!(
        "differential: {} cases; keys made in {:.1} s, cases in {:.1} s, all run in {:.1} s",
        list.len(),
        generated.as_secs_f64(),
        (built - generated).as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    for (category, (n, d)) in &by_category {
        eprintln!("  {category:<12} {n:>4} cases, {d} differ");
    }
    for line in &report {
        eprintln!("  {line}");
    }
    for name in deliberate
        .keys()
        .copied()
        .chain(PENDING_IN_H_CORE8.iter().copied())
        .chain(REPORTED.iter().map(|(name, _)| *name))
    {
        assert!(
            list.iter().any(|c| c.name == name),
            "listed case {name} does not exist"
        );
    }
    assert!(list.len() >= 150, "only {} cases", list.len());
    assert!(
        failures.is_empty(),
        "{} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_deliberate_difference_is_explained_in_readme() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("## How relsig differs from skopeo")
        .expect("README has \"How relsig differs from skopeo\"");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    // Line breaks and indentation do not matter.
    let section = section.split_whitespace().collect::<Vec<_>>().join(" ");
    for d in DIFFERENCES {
        let bullet = format!("- **{}**:", d.name);
        let start = section.find(&bullet).unwrap_or_else(|| {
            panic!(
                "README's \"How relsig differs from skopeo\" has no bullet {bullet} (difference {}: {})",
                d.name, d.reason
            )
        });
        let end = section[start + 2..]
            .find(" - **")
            .map_or(section.len(), |e| start + 2 + e);
        assert!(
            section[start..end].contains(d.readme),
            "README's bullet {bullet} does not say {:?} (difference {}: {})",
            d.readme,
            d.name,
            d.reason
        );
    }
    for (case, difference) in DELIBERATE {
        assert!(
            DIFFERENCES.iter().any(|d| d.name == *difference),
            "case {case} names unknown difference {difference}"
        );
    }
}
