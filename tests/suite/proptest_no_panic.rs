//! Property tests: random and mutated signatures, manifests, references and
//! payloads fed through the library and the `relsig` binary. Nothing may
//! panic or hang, and whatever is accepted must be exactly what was signed.
//!
//! Mutations start from the real signatures and manifests in `fixtures/`, so
//! most cases get past the first parser and reach the deeper checks. Case
//! counts are chosen so the file runs in seconds in a debug build;
//! `PROPTEST_CASES` overrides them for a longer soak.

use proptest::prelude::*;
use proptest::sample::{Index, select};
use relsig::image::digest::{Algorithm, Digest};
use relsig::image::manifest::{self, Manifest};
use relsig::signature::identity::ExpectedIdentity;
use relsig::signature::openpgp::keyring::{Accepted, Keyring, REDHAT_RELEASE_KEY_2};
use relsig::signature::payload::{Payload, SIGNATURE_TYPE};

use crate::common::{RUN_LIMIT, Run, fixtures, relsig_command, run_bounded};
use relsig::image::reference::Reference;
use relsig::signature::check::{Checks, Image, check_signature};
use relsig::signature::openpgp::{self, OpenPgp};
use relsig::signature::{Reason, Report};
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

// ---------------------------------------------------------------------------
// Fixtures

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

const NOO: &str = "openshift/noo-bundle-image";
/// The identities of `signature-1` .. `signature-4` of the noo bundle.
const NOO_IDENTITIES: [&str; 4] = [
    "registry.access.redhat.com/albo/aws-load-balancer-operator-bundle:0.0.1",
    "registry.access.redhat.com/albo/aws-load-balancer-operator-bundle:0.0.1-20",
    "registry.redhat.io/albo/aws-load-balancer-operator-bundle:0.0.1",
    "registry.redhat.io/albo/aws-load-balancer-operator-bundle:0.0.1-20",
];

/// A fixed evaluation time, so results do not depend on the day the
/// tests run (no fixture key expires before it).
fn at() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_717_200_000) // 2024-06-01
}

/// Every signing key of the fixtures whose signatures are mutated, so
/// that mutations of every source reach the cryptographic check.
static KEYRING: LazyLock<Keyring> = LazyLock::new(|| {
    let mut k = Keyring::redhat();
    for f in [
        "containers-image/signature/public-key.gpg",
        "containers-image/signature/public-key-with-subkey.gpg",
        "containers-image/signature/public-key-with-revoked-subkey.gpg",
        "containers-image-2016/signature/public-key.gpg",
    ] {
        k.add_file(&fixtures().join(f)).unwrap();
    }
    k
});

struct Source {
    name: String,
    bytes: Vec<u8>,
    /// What the unmodified signature verifies as: (payload, primary).
    verified: Option<(Vec<u8>, String)>,
}

fn is_signature_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.starts_with("signature-") || name.contains(".signature")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            collect(&p, out);
        } else if is_signature_file(&p) {
            out.push(p);
        }
    }
}

/// Every real signature file in the fixtures (binary, cleartext, v3, v4,
/// compressed or not, signed by known and unknown keys).
static SIGNATURES: LazyLock<Vec<Source>> = LazyLock::new(|| {
    let mut paths = Vec::new();
    for dir in ["containers-image", "containers-image-2016", "openshift"] {
        collect(&fixtures().join(dir), &mut paths);
    }
    paths.sort();
    assert!(
        paths.len() >= 40,
        "fixture signatures found: {}",
        paths.len()
    );
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            let verified = openpgp::verify(&bytes, &KEYRING, at())
                .ok()
                .map(|v| (v.payload, v.primary.to_hex()));
            Source {
                name: p.strip_prefix(fixtures()).unwrap().display().to_string(),
                bytes,
                verified,
            }
        })
        .collect()
});

fn sources() -> impl Strategy<Value = usize> {
    0..SIGNATURES.len()
}

static NOO_MANIFEST: LazyLock<Vec<u8>> = LazyLock::new(|| read(&format!("{NOO}/manifest.json")));
static NOO_SIGNATURES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    (1..=4)
        .map(|i| read(&format!("{NOO}/signature-{i}")))
        .collect()
});

const MANIFESTS: [&str; 9] = [
    "openshift/noo-bundle-image/manifest.json",
    "containers-image/manifest/v2s1.manifest.json",
    "containers-image/manifest/v2s1-unsigned.manifest.json",
    "containers-image/manifest/v2s1-invalid-signatures.manifest.json",
    "containers-image/manifest/v2s2.manifest.json",
    "containers-image/manifest/v2list.manifest.json",
    "containers-image/manifest/ociv1.manifest.json",
    "containers-image/manifest/ociv1.image.index.json",
    "containers-image/manifest/non-json.manifest.json",
];

static MANIFEST_BYTES: LazyLock<Vec<Vec<u8>>> =
    LazyLock::new(|| MANIFESTS.iter().map(|m| read(m)).collect());

/// The real payload of the noo bundle's `signature-1`.
static NOO_PAYLOAD: LazyLock<Vec<u8>> =
    LazyLock::new(|| openpgp::scan(&NOO_SIGNATURES[0]).unwrap().payload);

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        // Shrinking re-runs the (slow, debug-build) pipeline many times;
        // a few hundred steps find a small enough counterexample.
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Byte-level mutations

#[derive(Debug, Clone)]
enum Mutation {
    /// XOR one byte with a non-zero mask.
    Flip(Index, u8),
    Set(Index, u8),
    Insert(Index, Vec<u8>),
    Delete(Index, usize),
    Truncate(Index),
    /// Repeat a slice in place (lengths and counts that lie).
    Duplicate(Index, usize),
    Append(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), 1..=255u8).prop_map(|(i, m)| Mutation::Flip(i, m)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        2 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        2 => (any::<Index>(), 1..64usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), 1..64usize).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        1 => prop::collection::vec(any::<u8>(), 1..64).prop_map(Mutation::Append),
    ]
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..4)
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        if let Mutation::Insert(_, b) | Mutation::Append(b) = m {
            bytes.extend_from_slice(b);
        }
        return;
    }
    let len = bytes.len();
    match m {
        Mutation::Flip(i, mask) => bytes[i.index(len)] ^= mask,
        Mutation::Set(i, b) => bytes[i.index(len)] = *b,
        Mutation::Insert(i, b) => {
            let at = i.index(len + 1);
            bytes.splice(at..at, b.iter().copied());
        }
        Mutation::Delete(i, n) => {
            let at = i.index(len);
            bytes.drain(at..(at + n).min(len));
        }
        Mutation::Truncate(i) => bytes.truncate(i.index(len)),
        Mutation::Duplicate(i, n) => {
            let at = i.index(len);
            let copy = bytes[at..(at + n).min(len)].to_vec();
            bytes.splice(at..at, copy);
        }
        Mutation::Append(b) => bytes.extend_from_slice(b),
    }
}

fn mutated(original: &[u8], ms: &[Mutation]) -> Vec<u8> {
    let mut b = original.to_vec();
    for m in ms {
        apply(&mut b, m);
    }
    b
}

/// ASCII armor around `binary`, in the shapes key servers, gpg and people
/// with editors produce.
fn armor(binary: &[u8], style: u8) -> Vec<u8> {
    use sequoia_openpgp::armor::{Kind, Writer};
    use std::io::Write as _;
    let mut w = Writer::new(Vec::new(), Kind::Message).unwrap();
    w.write_all(binary).unwrap();
    let text = w.finalize().unwrap();
    let text = String::from_utf8(text).unwrap();
    let text = match style % 4 {
        0 => text,
        1 => text.replace('\n', "\r\n"),
        2 => format!("Signature of the release, as downloaded:\n\n{text}\ntrailing notes\n"),
        // No CRC line.
        _ => text
            .lines()
            .filter(|l| !l.starts_with('='))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    text.into_bytes()
}

/// A signature input: a real signature (maybe armored), then mutated.
#[derive(Debug, Clone)]
struct SigCase {
    source: usize,
    armored: Option<u8>,
    mutations: Vec<Mutation>,
}

impl SigCase {
    fn bytes(&self) -> Vec<u8> {
        let original = &SIGNATURES[self.source].bytes;
        let base = match self.armored {
            Some(style) => armor(original, style),
            None => original.clone(),
        };
        mutated(&base, &self.mutations)
    }
}

fn sig_case() -> impl Strategy<Value = SigCase> {
    (
        sources(),
        prop::option::weighted(0.25, any::<u8>()),
        mutations(),
    )
        .prop_map(|(source, armored, mutations)| SigCase {
            source,
            armored,
            mutations,
        })
}

/// Random bytes, sometimes behind a packet header that sends the parser
/// deeper (compressed data, one-pass signature, literal, signature,
/// armor) than plain noise would.
fn random_signature() -> impl Strategy<Value = Vec<u8>> {
    let prefixes: Vec<&'static [u8]> = vec![
        b"",
        &[0xa3, 0x01],
        &[0xa3, 0x02],
        &[0xa3, 0x03],
        &[0xc8, 0xff],
        &[0x90, 0x0d, 0x03],
        &[0xc4, 0x0d],
        &[0xac, 0x20, b'b'],
        &[0xcb, 0xe1],
        &[0x89, 0x02, 0x15, 0x03],
        &[0xc2, 0xc1, 0x5c, 0x04],
        b"-----BEGIN PGP MESSAGE-----\n\n",
        b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n",
    ];
    (select(prefixes), prop::collection::vec(any::<u8>(), 0..600))
        .prop_map(|(p, rest)| [p, rest.as_slice()].concat())
}

// ---------------------------------------------------------------------------
// Signatures through the library

/// The invariants every signature-shaped input must keep through
/// `pgp::verify`, `pgp::scan` and `inspect::inspect`.
fn check_signature_invariants(sig: &[u8], original: Option<&Source>) -> Result<(), TestCaseError> {
    let verified = openpgp::verify(sig, &KEYRING, at());
    let scanned = openpgp::scan(sig);
    match &verified {
        Ok(v) => {
            // Whatever verifies was signed: a mutation may change framing,
            // unsigned metadata or trailing bytes, never the payload or
            // the signer.
            let original = original
                .ok_or_else(|| TestCaseError::fail("random bytes verified as a signature"))?;
            let (payload, primary) = original.verified.as_ref().ok_or_else(|| {
                TestCaseError::fail(format!(
                    "a mutation of {} verified although the original does not",
                    original.name
                ))
            })?;
            prop_assert_eq!(
                &v.payload,
                payload,
                "mutated {} changed payload",
                original.name
            );
            prop_assert_eq!(&v.primary.to_hex(), primary);
            // What verifies also scans, as one signature over that payload.
            let s = scanned
                .as_ref()
                .map_err(|e| TestCaseError::fail(format!("verified but scan failed: {e}")))?;
            prop_assert_eq!(s.signatures.len(), 1);
            prop_assert_eq!(&s.payload, &v.payload);
        }
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(
                !msg.is_empty() && !msg.contains('\n'),
                "error not one line: {msg:?}"
            );
        }
    }
    if let Ok(s) = &scanned {
        prop_assert!(s.payload.len() <= relsig::io::MAX_PAYLOAD_SIZE as usize);
        if let Some(l) = &s.literal {
            prop_assert_eq!(l.length, s.payload.len());
        }
    }
    match relsig::signature::inspect::inspect(sig) {
        Ok(i) => {
            prop_assert!(!i.verified);
            let text = i.to_text();
            prop_assert_eq!(
                text.lines().next(),
                Some(relsig::signature::inspect::UNVERIFIED)
            );
            let json: Value = serde_json::from_str(&serde_json::to_string(&i).unwrap()).unwrap();
            prop_assert_eq!(&json["verified"], &Value::Bool(false));
            // A file read only in part says why, and the scan refuses it.
            if let Some(why) = &i.incomplete {
                prop_assert!(scanned.is_err(), "incomplete ({}) but the scan passed", why);
                return Ok(());
            }
            // The payload shown is the one the scan found, parsed strictly.
            let s = scanned
                .as_ref()
                .map_err(|e| TestCaseError::fail(format!("inspect ok but scan failed: {e}")))?;
            prop_assert_eq!(i.payload.clone(), Payload::parse(&s.payload).ok());
            prop_assert_eq!(i.payload.is_some(), i.payload_error.is_none());
        }
        Err(e) => {
            prop_assert!(scanned.is_err(), "inspect failed ({e}) but scan did not");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    /// Mutated real signatures (binary and armored): no panic; if one
    /// still verifies, it is as the same payload by the same key as the
    /// original; scan and inspect agree with verify.
    #[test]
    fn mutated_signatures_never_verify_as_something_else(case in sig_case()) {
        let sig = case.bytes();
        check_signature_invariants(&sig, Some(&SIGNATURES[case.source]))?;
    }

    /// Random bytes (some behind real packet headers): no panic, never
    /// verified.
    #[test]
    fn random_signatures_never_verify(sig in random_signature()) {
        check_signature_invariants(&sig, None)?;
    }
}

#[test]
fn unmutated_sources_behave_as_recorded() {
    // The invariants above lean on the originals: the noo bundle's
    // signatures must verify, and armoring one must not change that.
    let noo: Vec<&Source> = SIGNATURES
        .iter()
        .filter(|s| s.name.starts_with(NOO))
        .collect();
    assert_eq!(noo.len(), 4);
    for s in noo {
        let (_, primary) = s.verified.as_ref().expect("noo signatures verify");
        assert_eq!(primary, REDHAT_RELEASE_KEY_2);
        for style in 0..4 {
            let v = openpgp::verify(&armor(&s.bytes, style), &KEYRING, at()).unwrap();
            assert_eq!(Some(&v.payload), s.verified.as_ref().map(|(p, _)| p));
        }
    }
}

// ---------------------------------------------------------------------------
// The whole check: check_signature

fn noo_checks_for(index: usize) -> (Accepted, ExpectedIdentity) {
    (
        Accepted::parse(REDHAT_RELEASE_KEY_2).unwrap(),
        ExpectedIdentity::Exact(Reference::parse(NOO_IDENTITIES[index]).unwrap()),
    )
}

fn check_report(report: &Report, expected: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(report.verified, report.reason == Reason::Ok);
    let code = report.status.exit_code();
    prop_assert!((0..=2).contains(&code));
    prop_assert_eq!(code == 0, report.verified);
    prop_assert!(!report.message.is_empty() && !report.message.contains('\n'));
    let json: Value = serde_json::from_str(&serde_json::to_string(report).unwrap()).unwrap();
    prop_assert_eq!(&json["verified"], &Value::Bool(report.verified));
    prop_assert_eq!(json["reason"].as_str(), Some(report.reason.as_str()));
    if report.verified {
        let noo_digest = manifest::digest(&NOO_MANIFEST).unwrap().to_string();
        prop_assert_eq!(report.signed_identity.as_deref(), Some(expected));
        prop_assert_eq!(report.signed_digest.as_deref(), Some(noo_digest.as_str()));
        prop_assert_eq!(report.manifest_digest.as_deref(), Some(noo_digest.as_str()));
        prop_assert_eq!(
            report.key_fingerprint.as_deref(),
            Some(REDHAT_RELEASE_KEY_2)
        );
        prop_assert_eq!(
            &report.message,
            &format!(
                "Signature verified using fingerprint {REDHAT_RELEASE_KEY_2}, digest {noo_digest}"
            )
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(128))]

    /// A mutated noo signature checked against its own identity and the
    /// real manifest: a consistent report, and verified only as the
    /// original claim; checking by digest gives the same verdict.
    #[test]
    fn check_signature_on_mutated_noo_signatures(
        index in 0..4usize,
        armored in prop::option::weighted(0.2, any::<u8>()),
        ms in mutations(),
    ) {
        let original = &NOO_SIGNATURES[index];
        let base = armored.map_or_else(|| original.clone(), |s| armor(original, s));
        let sig = mutated(&base, &ms);
        let (accepted, expected) = noo_checks_for(index);
        let checks = Checks { mechanism: &OpenPgp { keyring: &KEYRING, accepted: &accepted, judged_now: false }, expected: &expected, at: at() };
        let by_manifest = check_signature(&sig, Image::Manifest(&Manifest::new(NOO_MANIFEST.as_slice())), &checks);
        check_report(&by_manifest, NOO_IDENTITIES[index])?;
        let digest = manifest::digest(&NOO_MANIFEST).unwrap();
        let by_digest = check_signature(&sig, Image::Digest(&digest), &checks);
        prop_assert_eq!(by_digest.verified, by_manifest.verified);
        prop_assert_eq!(by_digest.reason, by_manifest.reason);
    }

    /// The real signature against a mutated manifest: verified exactly
    /// when the mutated bytes still have the signed digest (never, in
    /// practice), otherwise a digest mismatch.
    #[test]
    fn check_signature_on_mutated_manifests(index in 0..4usize, ms in mutations()) {
        let m = mutated(&NOO_MANIFEST, &ms);
        let (accepted, expected) = noo_checks_for(index);
        let checks = Checks { mechanism: &OpenPgp { keyring: &KEYRING, accepted: &accepted, judged_now: false }, expected: &expected, at: at() };
        let report = check_signature(&NOO_SIGNATURES[index], Image::Manifest(&Manifest::new(m.as_slice())), &checks);
        check_report(&report, NOO_IDENTITIES[index])?;
        let same = manifest::digest(&m).ok() == manifest::digest(&NOO_MANIFEST).ok();
        prop_assert_eq!(report.verified, same);
        if !same {
            prop_assert!(
                matches!(report.reason, Reason::DigestMismatch | Reason::InvalidManifest),
                "reason {:?}", report.reason
            );
        }
    }

    /// Random signature bytes through the whole check: never verified.
    #[test]
    fn check_signature_on_random_bytes(sig in random_signature(), index in 0..4usize) {
        let (accepted, expected) = noo_checks_for(index);
        let checks = Checks { mechanism: &OpenPgp { keyring: &KEYRING, accepted: &accepted, judged_now: false }, expected: &expected, at: at() };
        let report = check_signature(&sig, Image::Manifest(&Manifest::new(NOO_MANIFEST.as_slice())), &checks);
        check_report(&report, NOO_IDENTITIES[index])?;
        prop_assert!(!report.verified);
    }
}

// ---------------------------------------------------------------------------
// Manifests

/// A schema-1 "pretty JWS" manifest with a protected header whose
/// `formatLength` and `formatTail` are chosen by the test.
#[derive(Debug, Clone)]
struct Schema1 {
    length: Length,
    tail: Tail,
    /// A second signature block: none, identical, or with its own header.
    second: Option<Option<(Length, Tail)>>,
}

#[derive(Debug, Clone)]
enum Length {
    /// Where the real payload ends (just before `,"signatures"`).
    Real,
    Value(i64),
    Float(f64),
    Json(&'static str),
    Missing,
}

#[derive(Debug, Clone)]
enum Tail {
    /// The real tail, `}` (or `\n}`).
    Real,
    Bytes(Vec<u8>),
    Raw(String),
    Json(&'static str),
    Missing,
}

const SCHEMA1_BODY: &str = r#"{
   "schemaVersion": 1,
   "name": "library/busybox",
   "tag": "latest",
   "architecture": "amd64",
   "fsLayers": [{"blobSum": "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"}],
   "history": [{"v1Compatibility": "{\"id\":\"1\"}"}]"#;

fn length() -> impl Strategy<Value = Length> {
    prop_oneof![
        4 => Just(Length::Real),
        3 => (-10i64..2000).prop_map(Length::Value),
        1 => any::<i64>().prop_map(Length::Value),
        1 => any::<f64>().prop_map(Length::Float),
        1 => select(vec!["\"12\"", "null", "[]", "{}", "1e400", "-0", "1.0", "true", "18446744073709551616"])
            .prop_map(Length::Json),
        1 => Just(Length::Missing),
    ]
}

fn tail() -> impl Strategy<Value = Tail> {
    prop_oneof![
        4 => Just(Tail::Real),
        3 => prop::collection::vec(any::<u8>(), 0..24).prop_map(Tail::Bytes),
        2 => "[A-Za-z0-9_=+/!-]{0,12}".prop_map(Tail::Raw),
        1 => select(vec!["5", "null", "[]", "{}"]).prop_map(Tail::Json),
        1 => Just(Tail::Missing),
    ]
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl Schema1 {
    /// The manifest bytes and, when the header is well-formed, the bytes
    /// its digest must cover.
    fn build(&self) -> (Vec<u8>, Option<Vec<u8>>) {
        let real_tail = b"\n}".to_vec();
        let header = |length: &Length, tail: &Tail| {
            let mut members = Vec::new();
            let mut cut = None;
            match length {
                Length::Real => {
                    members.push(format!("\"formatLength\":{}", SCHEMA1_BODY.len()));
                    cut = Some(SCHEMA1_BODY.len());
                }
                Length::Value(v) => {
                    members.push(format!("\"formatLength\":{v}"));
                    cut = usize::try_from(*v).ok();
                }
                Length::Float(f) if f.is_finite() => {
                    members.push(format!("\"formatLength\":{f:?}"))
                }
                Length::Float(_) => members.push("\"formatLength\":null".into()),
                Length::Json(j) => members.push(format!("\"formatLength\":{j}")),
                Length::Missing => {}
            }
            let tail_bytes = match tail {
                Tail::Real => Some(real_tail.clone()),
                Tail::Bytes(b) => Some(b.clone()),
                _ => None,
            };
            match tail {
                Tail::Real | Tail::Bytes(_) => members.push(format!(
                    "\"formatTail\":\"{}\"",
                    b64(tail_bytes.as_deref().unwrap())
                )),
                Tail::Raw(s) => members.push(format!("\"formatTail\":\"{s}\"")),
                Tail::Json(j) => members.push(format!("\"formatTail\":{j}")),
                Tail::Missing => {}
            }
            members.push("\"time\":\"2016-01-01T00:00:00Z\"".into());
            let protected = b64(format!("{{{}}}", members.join(",")).as_bytes());
            (protected, cut.zip(tail_bytes))
        };
        let block = |protected: &str| {
            format!(
                r#"{{"header":{{"alg":"ES256"}},"signature":"c2ln","protected":"{protected}"}}"#
            )
        };
        let (first, first_expect) = header(&self.length, &self.tail);
        let mut blocks = vec![block(&first)];
        let mut expects = vec![first_expect];
        match &self.second {
            None => {}
            Some(None) => {
                blocks.push(block(&first));
                expects.push(expects[0].clone());
            }
            Some(Some((l, t))) => {
                let (p, e) = header(l, t);
                blocks.push(block(&p));
                expects.push(e);
            }
        }
        let manifest = format!(
            "{SCHEMA1_BODY},\n   \"signatures\": [{}]\n}}",
            blocks.join(",")
        )
        .into_bytes();
        // Each block's expected payload; all must exist and agree.
        let payloads: Option<Vec<Vec<u8>>> = expects
            .into_iter()
            .map(|e| {
                let (cut, tail) = e?;
                Some([manifest.get(..cut)?, &tail].concat())
            })
            .collect();
        let expected = payloads.and_then(|p| p.iter().all(|x| *x == p[0]).then(|| p[0].clone()));
        (manifest, expected)
    }
}

fn schema1() -> impl Strategy<Value = Schema1> {
    (
        length(),
        tail(),
        prop::option::of(prop::option::of((length(), tail()))),
    )
        .prop_map(|(length, tail, second)| Schema1 {
            length,
            tail,
            second,
        })
}

proptest! {
    #![proptest_config(config(256))]

    /// Mutated real manifests: no panic; a digest that is computed is
    /// sha256 and matches; anything but a signed schema-1 manifest is
    /// hashed exactly as given.
    #[test]
    fn mutated_manifests_digest(index in 0..MANIFESTS.len(), ms in mutations()) {
        let m = mutated(&MANIFEST_BYTES[index], &ms);
        let d = manifest::digest(&m);
        let d512 = manifest::digest_with(&m, Algorithm::Sha512);
        prop_assert_eq!(d.is_ok(), d512.is_ok());
        if let Ok(d) = &d {
            prop_assert_eq!(d.algorithm(), Algorithm::Sha256);
            prop_assert_eq!(d.hex().len(), 64);
            prop_assert_eq!(manifest::matches(&m, d), Ok(true));
            let shown = d.to_string();
            prop_assert_eq!(Digest::parse(&shown), Ok(d.clone()));
        }
        if manifest::guess_media_type(&m) != Some(manifest::media_types::DOCKER_V2S1_SIGNED) {
            prop_assert_eq!(d, Ok(Algorithm::Sha256.hash(&m)));
        }
    }

    /// Schema-1 JWS manifests with random `formatLength`/`formatTail`:
    /// no panic; a well-formed header gives the digest of the manifest
    /// cut at formatLength plus the tail; anything else either fails
    /// cleanly or (for headers serde reads leniently) still yields a
    /// digest that `matches` agrees with.
    #[test]
    fn schema1_format_length_and_tail(s in schema1()) {
        let (m, expected) = s.build();
        let d = manifest::digest(&m);
        if let Some(payload) = expected {
            prop_assert_eq!(&d, &Ok(Algorithm::Sha256.hash(&payload)));
        }
        match &d {
            Ok(d) => prop_assert_eq!(manifest::matches(&m, d), Ok(true)),
            Err(e) => prop_assert!(!e.to_string().contains('\n')),
        }
    }

    /// Arbitrary bytes as a manifest: no panic.
    #[test]
    fn random_manifests_digest(m in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(d) = manifest::digest(&m) {
            prop_assert_eq!(manifest::matches(&m, &d), Ok(true));
        }
    }
}

#[test]
fn schema1_fixture_digest_is_known() {
    // Anchors the schema-1 model above to the real fixture.
    let m = read("containers-image/manifest/v2s1.manifest.json");
    assert_eq!(
        manifest::digest(&m).unwrap().to_string(),
        "sha256:7364fea9d84ee548ab67d4c46c6006289800c98de3fbf8c0a97138dfcc23f000"
    );
}

// ---------------------------------------------------------------------------
// References

#[derive(Debug, Clone)]
struct RefParts {
    domain: Option<String>,
    path: Vec<String>,
    tag: Option<String>,
    digest: Option<String>,
}

impl RefParts {
    fn text(&self) -> String {
        let mut s = String::new();
        if let Some(d) = &self.domain {
            s.push_str(d);
            s.push('/');
        }
        s.push_str(&self.path.join("/"));
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }
}

fn path_component() -> impl Strategy<Value = String> {
    (
        "[a-z0-9]{1,6}",
        prop::collection::vec(("(\\.|_|__|-{1,3})", "[a-z0-9]{1,5}"), 0..2),
    )
        .prop_map(|(head, rest)| {
            let mut s = head;
            for (sep, part) in rest {
                s.push_str(&sep);
                s.push_str(&part);
            }
            s
        })
}

fn domain() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => ("[a-z0-9]([a-z0-9-]{0,5}[a-z0-9])?", prop::collection::vec("[a-z0-9]{1,6}", 1..3),
              prop::option::of(1..65535u32))
            .prop_map(|(first, rest, port)| {
                let mut d = first;
                for r in rest {
                    d.push('.');
                    d.push_str(&r);
                }
                if let Some(p) = port {
                    d.push_str(&format!(":{p}"));
                }
                d
            }),
        1 => select(vec![
            "localhost", "localhost:5000", "docker.io", "index.docker.io", "quay.io",
            "registry.access.redhat.com", "Example.COM", "127.0.0.1:5000", "[::1]:5000",
            "[fe80::1]",
        ]).prop_map(String::from),
    ]
}

fn ref_parts() -> impl Strategy<Value = RefParts> {
    (
        prop::option::of(domain()),
        prop::collection::vec(path_component(), 1..4),
        prop::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"),
        prop::option::of(prop_oneof![
            "[a-f0-9]{64}".prop_map(|h| format!("sha256:{h}")),
            "[a-f0-9]{128}".prop_map(|h| format!("sha512:{h}")),
        ]),
    )
        .prop_map(|(domain, mut path, tag, digest)| {
            // Without a registry, a first component with a '.' would be
            // read as one (`a.b/c`): keep the generated shape unambiguous.
            if domain.is_none() {
                path[0] = path[0].replace('.', "-");
            }
            RefParts {
                domain,
                path,
                tag,
                digest,
            }
        })
}

/// A reference that parsed must print as a string that parses back to
/// itself, and errors are one line.
fn check_reference(s: &str) -> Result<Option<Reference>, TestCaseError> {
    match Reference::parse(s) {
        Ok(r) => {
            let shown = r.to_string();
            let again = Reference::parse(&shown)
                .map_err(|e| TestCaseError::fail(format!("{shown:?} does not re-parse: {e}")))?;
            prop_assert_eq!(&again, &r);
            prop_assert_eq!(again.to_string(), shown);
            prop_assert_eq!(r.repository(), format!("{}/{}", r.domain(), r.path()));
            prop_assert_eq!(r.matches_exactly(&again), !r.is_name_only());
            prop_assert!(r.same_repository(&r.without_tag_or_digest()));
            Ok(Some(r))
        }
        Err(e) => {
            prop_assert!(!e.to_string().contains('\n'));
            prop_assert_eq!(e.input(), s);
            Ok(None)
        }
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// Grammar-generated references parse, keep their tag and digest,
    /// get docker.io when they name no registry, and round-trip.
    #[test]
    fn grammar_references_parse_and_round_trip(parts in ref_parts()) {
        let text = parts.text();
        let r = check_reference(&text)?
            .ok_or_else(|| TestCaseError::fail(format!("valid reference {text:?} rejected")))?;
        prop_assert_eq!(r.tag(), parts.tag.as_deref());
        prop_assert_eq!(r.digest(), parts.digest.as_deref());
        let joined = parts.path.join("/");
        prop_assert!(r.path().ends_with(&joined), "{} vs {}", r.path(), joined);
        // The first component is a registry only if it looks like one.
        let expected_domain = match &parts.domain {
            Some(d) if d == "index.docker.io" => "docker.io".to_string(),
            Some(d) if d.contains(['.', ':']) || d == "localhost" || d.chars().any(|c| c.is_ascii_uppercase()) => d.clone(),
            _ => "docker.io".to_string(),
        };
        prop_assert_eq!(r.domain(), expected_domain.as_str());
    }

    /// Grammar-generated references with character-level damage
    /// (including non-ASCII and upper case): no panic, round-trip if
    /// accepted.
    #[test]
    fn mutated_references(parts in ref_parts(), edits in prop::collection::vec((any::<Index>(), any::<char>(), 0..3u8), 1..4)) {
        let mut chars: Vec<char> = parts.text().chars().collect();
        for (i, c, op) in edits {
            let at = i.index(chars.len() + 1);
            match op {
                0 => chars.insert(at, c),
                1 if at < chars.len() => { chars.remove(at); }
                _ if at < chars.len() => chars[at] = chars[at].to_ascii_uppercase(),
                _ => chars.push(c),
            }
        }
        let s: String = chars.into_iter().collect();
        check_reference(&s)?;
    }

    /// Arbitrary unicode strings: no panic, round-trip if accepted.
    #[test]
    fn arbitrary_references(s in prop_oneof!["\\PC{0,80}", "[a-z0-9./:@_-]{0,80}", any::<String>()]) {
        check_reference(&s)?;
    }
}

// ---------------------------------------------------------------------------
// Payloads

/// A payload document described field by field, so the test knows
/// whether the strict rules accept it.
#[derive(Debug, Clone)]
struct PayloadDoc {
    typ: Field,
    digest: Field,
    identity: Field,
    creator: Field,
    timestamp: Field,
    /// Where to put an extra, unknown member.
    extra: Extra,
    /// Omit `optional` entirely.
    no_optional: bool,
    /// Repeat one member (duplicate key).
    duplicate: bool,
    /// Reverse member order, compact or Python spacing.
    reverse: bool,
    pretty: bool,
    trailing: Option<&'static str>,
}

/// One field: its JSON text, whether it is acceptable, and the value
/// the parse must produce; `None` json means the member is absent.
#[derive(Debug, Clone)]
struct Field {
    json: Option<String>,
    ok: bool,
    value: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Extra {
    None,
    Top,
    Critical,
    Image,
    Identity,
    Optional,
}

fn string_field(valid: impl Strategy<Value = String>) -> impl Strategy<Value = Field> {
    prop_oneof![
        6 => valid.prop_map(|s| Field { json: Some(serde_json::to_string(&s).unwrap()), ok: true, value: Some(Value::String(s)) }),
        1 => select(vec!["5", "null", "[]", "{}", "true"]).prop_map(|j| Field { json: Some(j.into()), ok: false, value: None }),
        1 => Just(Field { json: None, ok: false, value: None }),
    ]
}

fn type_field() -> impl Strategy<Value = Field> {
    prop_oneof![
        6 => Just(SIGNATURE_TYPE.to_string()).prop_map(|s| Field { json: Some(serde_json::to_string(&s).unwrap()), ok: true, value: Some(Value::String(s)) }),
        2 => select(vec!["atomic container signature ", "Atomic container signature", "cosign", ""])
            .prop_map(|s| Field { json: Some(serde_json::to_string(s).unwrap()), ok: false, value: None }),
        1 => string_field(Just(String::new())).prop_map(|f| Field { ok: false, ..f }),
    ]
}

fn digest_field() -> impl Strategy<Value = Field> {
    let good = prop_oneof![
        "[a-f0-9]{64}".prop_map(|h| format!("sha256:{h}")),
        "[a-f0-9]{96}".prop_map(|h| format!("sha384:{h}")),
        "[a-f0-9]{128}".prop_map(|h| format!("sha512:{h}")),
    ];
    let bad = prop_oneof![
        "[A-F0-9]{64}".prop_map(|h| format!("sha256:{h}X")),
        "[a-f0-9]{0,63}".prop_map(|h| format!("sha256:{h}")),
        "[a-f0-9]{65,70}".prop_map(|h| format!("sha256:{h}")),
        "[a-f0-9]{64}".prop_map(|h| format!("md5:{h}")),
        "[a-f0-9]{64}",
    ];
    prop_oneof![
        5 => string_field(good),
        2 => bad.prop_map(|s| Field { json: Some(serde_json::to_string(&s).unwrap()), ok: false, value: None }),
    ]
}

fn optional_field(
    valid: impl Strategy<Value = (String, Value)>,
    invalid: impl Strategy<Value = String>,
) -> impl Strategy<Value = Field> {
    prop_oneof![
        // `null` is as if absent (Go leaves the field as it was).
        3 => valid.prop_map(|(j, v)| Field { json: Some(j), ok: true, value: (!v.is_null()).then_some(v) }),
        1 => invalid.prop_map(|j| Field { json: Some(j), ok: false, value: None }),
        2 => Just(Field { json: None, ok: true, value: None }),
    ]
}

fn creator_field() -> impl Strategy<Value = Field> {
    optional_field(
        prop_oneof![
            6 => prop_oneof![
                Just("Red Hat RCM Pub 0.79.0-final ".to_string()),
                "\\PC{0,30}"
            ]
            .prop_map(|s| (serde_json::to_string(&s).unwrap(), Value::String(s))),
            1 => Just(("null".to_string(), Value::Null)),
        ],
        select(vec!["5", "[]", "{}", "true"]).prop_map(String::from),
    )
}

fn timestamp_field() -> impl Strategy<Value = Field> {
    optional_field(
        prop_oneof![
            any::<i64>().prop_map(|t| (t.to_string(), Value::from(t))),
            (-100_000i64..100_000).prop_map(|t| (format!("{t}.0"), Value::from(t))),
            Just(("null".to_string(), Value::Null)),
        ],
        prop_oneof![
            (0i64..1_000_000).prop_map(|t| format!("{t}.5")),
            any::<i64>().prop_map(|t| format!("\"{t}\"")),
            Just("9223372036854775808".to_string()),
            Just("1e300".to_string()),
            Just("[1]".to_string()),
        ],
    )
}

fn payload_doc() -> impl Strategy<Value = PayloadDoc> {
    (
        (
            type_field(),
            digest_field(),
            string_field("\\PC{0,60}"),
            creator_field(),
            timestamp_field(),
        ),
        (
            prop_oneof![
                6 => Just(Extra::None),
                1 => select(vec![Extra::Top, Extra::Critical, Extra::Image, Extra::Identity, Extra::Optional]),
            ],
            prop::bool::weighted(0.1),
            prop::bool::weighted(0.1),
            any::<bool>(),
            any::<bool>(),
            prop::option::weighted(0.1, select(vec!["x", "{}", " 1", "\n\"\""])),
        ),
    )
        .prop_map(
            |(
                (typ, digest, identity, creator, timestamp),
                (extra, no_optional, duplicate, reverse, pretty, trailing),
            )| PayloadDoc {
                typ,
                digest,
                identity,
                creator,
                timestamp,
                extra,
                no_optional,
                duplicate,
                reverse,
                pretty,
                trailing,
            },
        )
}

impl PayloadDoc {
    fn object(&self, members: Vec<(&str, Option<String>)>, extra: bool) -> String {
        let mut m: Vec<String> = members
            .into_iter()
            .filter_map(|(k, v)| {
                v.map(|v| format!("\"{k}\":{}{v}", if self.pretty { " " } else { "" }))
            })
            .collect();
        if extra {
            m.push("\"unknown-member\":1".into());
        }
        if self.reverse {
            m.reverse();
        }
        if self.duplicate && !m.is_empty() {
            m.push(m[0].clone());
        }
        let sep = if self.pretty { ", " } else { "," };
        format!("{{{}}}", m.join(sep))
    }

    fn text(&self) -> String {
        let image = self.object(
            vec![("docker-manifest-digest", self.digest.json.clone())],
            self.extra == Extra::Image,
        );
        let identity = self.object(
            vec![("docker-reference", self.identity.json.clone())],
            self.extra == Extra::Identity,
        );
        let critical = self.object(
            vec![
                ("image", Some(image)),
                ("type", self.typ.json.clone()),
                ("identity", Some(identity)),
            ],
            self.extra == Extra::Critical,
        );
        let optional = self.object(
            vec![
                ("creator", self.creator.json.clone()),
                ("timestamp", self.timestamp.json.clone()),
            ],
            self.extra == Extra::Optional,
        );
        let optional = (!self.no_optional).then_some(optional);
        let mut doc = self.object(
            vec![("critical", Some(critical)), ("optional", optional)],
            self.extra == Extra::Top,
        );
        if let Some(t) = self.trailing {
            doc.push_str(t);
        }
        doc
    }

    /// Whether the strict rules (SPEC §1) accept the document.
    fn acceptable(&self) -> bool {
        self.typ.ok
            && self.digest.ok
            && self.identity.ok
            && self.creator.ok
            && self.timestamp.ok
            && !matches!(
                self.extra,
                Extra::Top | Extra::Critical | Extra::Image | Extra::Identity
            )
            && !self.no_optional
            && !self.duplicate
            && self.trailing.is_none()
    }
}

/// What a payload that parsed must satisfy, read back independently with
/// serde_json: the exact member sets of SPEC §1 and the same values.
fn check_exact_fields(bytes: &[u8], p: &Payload) -> Result<(), TestCaseError> {
    let keys = |v: &Value| -> Vec<String> {
        // Sorted here: serde_json's map order depends on its features.
        let mut k: Vec<String> = v
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        k.sort();
        k
    };
    // Read as Go reads it: invalid UTF-8 in strings is U+FFFD.
    let doc: Value = serde_json::from_str(&String::from_utf8_lossy(bytes))
        .map_err(|e| TestCaseError::fail(format!("accepted payload is not JSON: {e}")))?;
    prop_assert_eq!(keys(&doc), vec!["critical", "optional"]);
    let critical = &doc["critical"];
    prop_assert_eq!(keys(critical), vec!["identity", "image", "type"]);
    prop_assert_eq!(critical["type"].as_str(), Some(SIGNATURE_TYPE));
    prop_assert_eq!(keys(&critical["image"]), vec!["docker-manifest-digest"]);
    prop_assert_eq!(keys(&critical["identity"]), vec!["docker-reference"]);
    let digest = p.manifest_digest.to_string();
    prop_assert_eq!(
        critical["image"]["docker-manifest-digest"].as_str(),
        Some(digest.as_str())
    );
    prop_assert_eq!(
        critical["identity"]["docker-reference"].as_str(),
        Some(p.docker_reference.as_str())
    );
    let optional = &doc["optional"];
    prop_assert!(optional.is_object());
    prop_assert_eq!(
        optional.get("creator").and_then(Value::as_str),
        p.creator.as_deref()
    );
    if p.timestamp.is_none() {
        prop_assert!(optional.get("timestamp").is_none_or(Value::is_null));
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    /// Field-by-field generated payloads: accepted exactly when SPEC §1's
    /// strict rules say so, with the generated values.
    #[test]
    fn generated_payloads_follow_the_strict_rules(doc in payload_doc()) {
        let text = doc.text();
        let parsed = Payload::parse(text.as_bytes());
        prop_assert_eq!(parsed.is_ok(), doc.acceptable(), "{} -> {:?}", text, parsed);
        if let Ok(p) = parsed {
            check_exact_fields(text.as_bytes(), &p)?;
            prop_assert_eq!(Some(Value::String(p.manifest_digest.to_string())), doc.digest.value);
            prop_assert_eq!(Some(Value::String(p.docker_reference)), doc.identity.value);
            prop_assert_eq!(p.creator.map(Value::String), doc.creator.value);
            prop_assert_eq!(p.timestamp.map(Value::from), doc.timestamp.value);
        } else if let Err(e) = parsed {
            prop_assert!(!e.to_string().contains('\n'));
        }
    }

    /// The real noo payload with byte-level damage: no panic, and what
    /// still parses keeps the exact-field rules.
    #[test]
    fn mutated_real_payloads(ms in mutations()) {
        let bytes = mutated(&NOO_PAYLOAD, &ms);
        if let Ok(p) = Payload::parse(&bytes) {
            check_exact_fields(&bytes, &p)?;
        }
    }

    /// Arbitrary bytes and JSON-ish text as a payload: no panic.
    #[test]
    fn random_payloads(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        "[{}\\[\\]\":,a-z0-9 .-]{0,120}".prop_map(String::into_bytes),
    ]) {
        if let Ok(p) = Payload::parse(&bytes) {
            check_exact_fields(&bytes, &p)?;
        }
    }
}

#[test]
fn the_real_payload_is_acceptable() {
    // The mutation test above starts from this document.
    let p = Payload::parse(&NOO_PAYLOAD).unwrap();
    assert_eq!(p.docker_reference, NOO_IDENTITIES[0]);
}

// ---------------------------------------------------------------------------
// The binary

/// Runs `relsig args…` (bounded and hermetic, see `common`) and fails the
/// case on a hang, a signal, a panic or an exit code outside 0–2.
fn run_relsig(dir: &Path, args: &[&OsStr]) -> Result<Run, TestCaseError> {
    let mut cmd = relsig_command(dir);
    cmd.args(args);
    let out = run_bounded(&mut cmd, RUN_LIMIT).map_err(TestCaseError::fail)?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().ok_or_else(|| {
        TestCaseError::fail(format!(
            "relsig {args:?} was killed by a signal: {:?}\n{stderr}",
            out.status
        ))
    })?;
    prop_assert!(
        !stderr.contains("panicked"),
        "relsig {:?} panicked:\n{}",
        args,
        stderr
    );
    prop_assert!(
        (0..=2).contains(&code),
        "relsig {:?} exited {}:\n{}",
        args,
        code,
        stderr
    );
    Ok(Run {
        code,
        stdout,
        stderr,
    })
}

proptest! {
    #![proptest_config(config(24))]

    /// `standalone-verify`, `inspect` and `digest` on mutated files: exit
    /// 0, 1 or 2, no panic, no hang; JSON output agrees with the exit
    /// code; success only for the original claim.
    #[test]
    fn binary_survives_mutated_files(
        index in 0..4usize,
        armored in prop::option::weighted(0.2, any::<u8>()),
        sig_ms in prop::option::weighted(0.8, mutations()),
        manifest_ms in prop::option::weighted(0.3, mutations()),
        json in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let original = &NOO_SIGNATURES[index];
        let base = armored.map_or_else(|| original.clone(), |s| armor(original, s));
        let sig = sig_ms.as_ref().map_or_else(|| base.clone(), |ms| mutated(&base, ms));
        let m = manifest_ms.as_ref().map_or_else(|| NOO_MANIFEST.clone(), |ms| mutated(&NOO_MANIFEST, ms));
        let sig_path = dir.path().join("signature-1");
        let manifest_path = dir.path().join("manifest.json");
        std::fs::write(&sig_path, &sig).unwrap();
        std::fs::write(&manifest_path, &m).unwrap();

        let mut args: Vec<&OsStr> = vec![
            "standalone-verify".as_ref(),
            manifest_path.as_os_str(),
            NOO_IDENTITIES[index].as_ref(),
            "any".as_ref(),
            sig_path.as_os_str(),
        ];
        if json {
            args.extend([OsStr::new("--output"), OsStr::new("json")]);
        }
        let run = run_relsig(dir.path(), &args)?;
        // Exit 2 is for inputs that cannot be checked; these files exist
        // and the arguments are valid, so the verdict is 0 or 1.
        prop_assert!(run.code < 2, "exit {}: {}", run.code, run.stderr);
        if json {
            let report: Value = serde_json::from_str(&run.stdout)
                .map_err(|e| TestCaseError::fail(format!("bad JSON ({e}): {}", run.stdout)))?;
            prop_assert_eq!(&report["verified"], &Value::Bool(run.code == 0));
        }
        if run.code == 0 {
            let digest = manifest::digest(&NOO_MANIFEST).unwrap();
            prop_assert_eq!(manifest::digest(&m).ok(), Some(digest.clone()));
            if !json {
                prop_assert_eq!(
                    run.stdout.trim_end(),
                    format!("Signature verified using fingerprint {REDHAT_RELEASE_KEY_2}, digest {digest}")
                );
            }
        } else if !json {
            prop_assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
        }

        let inspect = run_relsig(dir.path(), &["inspect".as_ref(), sig_path.as_os_str()])?;
        if inspect.code == 0 {
            prop_assert_eq!(inspect.stdout.lines().next(), Some(relsig::signature::inspect::UNVERIFIED));
        }
        let digest = run_relsig(dir.path(), &["digest".as_ref(), manifest_path.as_os_str()])?;
        // `relsig digest` refuses what cannot be a manifest at all.
        match manifest::ensure_json(&m).and_then(|()| manifest::digest(&m)) {
            Ok(d) => {
                prop_assert_eq!(digest.code, 0);
                prop_assert_eq!(digest.stdout.trim_end(), d.to_string());
            }
            Err(_) => prop_assert_eq!(digest.code, 2),
        }
    }

    /// Random bytes as signature and manifest: the binary rejects them
    /// cleanly.
    #[test]
    fn binary_survives_random_files(sig in random_signature(), m in prop::collection::vec(any::<u8>(), 0..256)) {
        let dir = tempfile::tempdir().unwrap();
        let sig_path = dir.path().join("sig");
        let manifest_path = dir.path().join("manifest");
        std::fs::write(&sig_path, &sig).unwrap();
        std::fs::write(&manifest_path, &m).unwrap();
        let run = run_relsig(dir.path(), &[
            "standalone-verify".as_ref(),
            manifest_path.as_os_str(),
            NOO_IDENTITIES[0].as_ref(),
            REDHAT_RELEASE_KEY_2.as_ref(),
            sig_path.as_os_str(),
        ])?;
        prop_assert_eq!(run.code, 1, "{}", run.stderr);
        run_relsig(dir.path(), &["inspect".as_ref(), "--output".as_ref(), "json".as_ref(), sig_path.as_os_str()])?;
        run_relsig(dir.path(), &["digest".as_ref(), manifest_path.as_os_str()])?;
    }
}
