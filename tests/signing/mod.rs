//! Helpers for the OpenPGP tests: making keys and atomic-container-signature
//! messages with sequoia at test time (running the binary is `common`'s).

#![allow(dead_code)]

use openpgp::cert::prelude::*;
use openpgp::crypto::KeyPair;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::serialize::Serialize as _;
use openpgp::serialize::stream::{Armorer, Compressor, LiteralWriter, Message, Signer};
use openpgp::types::{CompressionAlgorithm, HashAlgorithm, KeyFlags, SignatureType};
use sequoia_openpgp as openpgp;
use std::ffi::OsStr;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The identity generated signatures claim.
pub const REFERENCE: &str = "quay.io/relsig-test/app:1.0";

#[allow(unused_imports)] // not every test file uses every helper
pub use crate::common::{Run, fixtures, relsig};

/// An RFC 3339 time for `--at`.
pub fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339()
}

pub fn days(n: u64) -> Duration {
    Duration::from_secs(n * 24 * 3600)
}

/// A temporary directory holding a small manifest, for signatures over it.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub manifest: PathBuf,
    pub digest: String,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let manifest_bytes = br#"{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 2,
      "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
   },
   "layers": []
}
"#;
        let manifest = dir.path().join("manifest.json");
        std::fs::write(&manifest, manifest_bytes).unwrap();
        let digest = relsig::image::manifest::digest(manifest_bytes)
            .unwrap()
            .to_string();
        Env {
            dir,
            manifest,
            digest,
        }
    }

    /// The payload signing this manifest as [`REFERENCE`].
    pub fn payload(&self) -> Vec<u8> {
        payload(&self.digest, REFERENCE)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Writes the public parts of `certs` as one binary keyring.
    pub fn key_file(&self, name: &str, certs: &[&Cert]) -> PathBuf {
        let mut bytes = Vec::new();
        for c in certs {
            c.serialize(&mut bytes).unwrap();
        }
        self.write(name, &bytes)
    }

    /// `standalone-verify --output json` of `sig` over the manifest, as
    /// [`REFERENCE`], with `keys` as key files.
    pub fn verify(&self, sig: &[u8], fingerprints: &str, keys: &[&Path], extra: &[&str]) -> Run {
        let sig_path = self.write("signature", sig);
        let mut args: Vec<&OsStr> = vec![
            OsStr::new("standalone-verify"),
            self.manifest.as_os_str(),
            OsStr::new(REFERENCE),
            OsStr::new(fingerprints),
            sig_path.as_os_str(),
            OsStr::new("--output"),
            OsStr::new("json"),
        ];
        for k in keys {
            args.push(OsStr::new("--public-key-file"));
            args.push(k.as_os_str());
        }
        args.extend(extra.iter().map(OsStr::new));
        relsig(&args)
    }
}

/// The library's verdict (`relsig::signature::check::check_signature`) on `sig`
/// for `image`, signed by one of `accepted` (as on the command line) in
/// `keyring`, as `reference`, judged now.
pub fn check_with_library(
    sig: &[u8],
    image: relsig::signature::check::Image<'_>,
    keyring: &relsig::signature::openpgp::keyring::Keyring,
    accepted: &str,
    reference: &str,
) -> relsig::signature::Report {
    let accepted = relsig::signature::openpgp::keyring::Accepted::parse(accepted).unwrap();
    let expected = relsig::signature::identity::ExpectedIdentity::Exact(
        relsig::image::reference::Reference::parse(reference).unwrap(),
    );
    relsig::signature::check::check_signature(
        sig,
        image,
        &relsig::signature::check::Checks {
            mechanism: &relsig::signature::openpgp::OpenPgp {
                keyring,
                accepted: &accepted,
                judged_now: true,
            },
            expected: &expected,
            at: SystemTime::now(),
        },
    )
}

/// A payload in Red Hat's layout (Python `json.dumps` spacing).
pub fn payload(digest: &str, reference: &str) -> Vec<u8> {
    format!(
        r#"{{"critical": {{"image": {{"docker-manifest-digest": "{digest}"}}, "type": "atomic container signature", "identity": {{"docker-reference": "{reference}"}}}}, "optional": {{"creator": "relsig tests"}}}}"#
    )
    .into_bytes()
}

/// A certificate whose primary key certifies and signs.
pub fn signing_cert(cs: CipherSuite) -> Cert {
    CertBuilder::new()
        .add_userid("relsig test <test@example.org>")
        .set_cipher_suite(cs)
        .set_primary_key_flags(KeyFlags::empty().set_certification().set_signing())
        .generate()
        .expect("generate key")
        .0
}

/// The primary key's key pair.
pub fn primary_pair(cert: &Cert) -> KeyPair {
    cert.primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .unwrap()
        .into_keypair()
        .unwrap()
}

/// The key pair of the subkey with `fingerprint`.
pub fn subkey_pair(cert: &Cert, fingerprint: &openpgp::Fingerprint) -> KeyPair {
    cert.keys()
        .subkeys()
        .find(|k| &k.key().fingerprint() == fingerprint)
        .expect("subkey")
        .key()
        .clone()
        .parts_into_secret()
        .unwrap()
        .into_keypair()
        .unwrap()
}

/// How to build a signed message.
#[derive(Clone)]
pub struct Msg {
    /// `None`: no compression packet.
    pub compression: Option<CompressionAlgorithm>,
    pub armor: bool,
    pub hash: Option<HashAlgorithm>,
    pub created: Option<SystemTime>,
    pub template: Option<SignatureBuilder>,
}

impl Default for Msg {
    /// Red Hat's shape: ZIP-compressed, binary.
    fn default() -> Self {
        Msg {
            compression: Some(CompressionAlgorithm::Zip),
            armor: false,
            hash: None,
            created: None,
            template: None,
        }
    }
}

/// `payload` as a message signed by every key in `signers` (none: an
/// unsigned literal).
pub fn sign(payload: &[u8], signers: Vec<KeyPair>, opts: &Msg) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut m = Message::new(&mut out);
        if opts.armor {
            m = Armorer::new(m)
                .kind(openpgp::armor::Kind::Message)
                .build()
                .unwrap();
        }
        if let Some(algo) = opts.compression {
            m = Compressor::new(m).algo(algo).build().unwrap();
        }
        let mut signers = signers.into_iter();
        if let Some(first) = signers.next() {
            let template = opts
                .template
                .clone()
                .unwrap_or_else(|| SignatureBuilder::new(SignatureType::Binary));
            let mut s = Signer::with_template(m, first, template).unwrap();
            for other in signers {
                s = s.add_signer(other).unwrap();
            }
            if let Some(h) = opts.hash {
                s = s.hash_algo(h).unwrap();
            }
            if let Some(t) = opts.created {
                s = s.creation_time(t);
            }
            m = s.build().unwrap();
        }
        let mut lit = LiteralWriter::new(m).build().unwrap();
        lit.write_all(payload).unwrap();
        lit.finalize().unwrap();
    }
    out
}

/// Hex fingerprint of a cert's primary key.
pub fn fpr(cert: &Cert) -> String {
    cert.fingerprint().to_hex()
}
