//! Cosign signatures made at test time: P-256 and RSA keys made with the
//! `openssl` CLI, the oc-mirror key pair (cosign's encrypted key format,
//! empty passphrase) decrypted with `scrypt` + NaCl secretbox, payloads
//! in cosign's simple signing shape, and `.sig` attachments (an OCI
//! manifest with one layer per signature) pushed into the real registry.

use super::{Registry, fixtures, run_bounded};
use base64::Engine as _;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// The oc-mirror `.sig` OCI layouts and their key pair.
pub fn oc_mirror() -> PathBuf {
    fixtures().join("sigstore/oc-mirror")
}

/// A signing key: its private key (PEM, for `openssl dgst -sign`) and its
/// public key (PEM SubjectPublicKeyInfo, for `--sigstore-key` and
/// `keyPath`).
pub struct CosignKey {
    _dir: tempfile::TempDir,
    pub private: PathBuf,
    pub public: PathBuf,
}

fn openssl(args: &[&str]) {
    let out = run_bounded(
        Command::new("/usr/bin/openssl").args(args),
        Duration::from_secs(120),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

impl CosignKey {
    fn from_private(dir: tempfile::TempDir, private: PathBuf) -> CosignKey {
        let public = dir.path().join("public.pem");
        openssl(&["pkey", "-in", s(&private), "-pubout", "-out", s(&public)]);
        CosignKey {
            _dir: dir,
            private,
            public,
        }
    }

    /// A new ECDSA P-256 key.
    pub fn p256() -> CosignKey {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("private.pem");
        openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            s(&private),
        ]);
        CosignKey::from_private(dir, private)
    }

    /// A new RSA key of `bits` bits.
    pub fn rsa(bits: u32) -> CosignKey {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("private.pem");
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            &format!("rsa_keygen_bits:{bits}"),
            "-out",
            s(&private),
        ]);
        CosignKey::from_private(dir, private)
    }

    /// oc-mirror's `cosign.key`, decrypted with the empty passphrase
    /// (its public half is the fixture `cosign.pub`).
    pub fn oc_mirror() -> CosignKey {
        let dir = tempfile::tempdir().unwrap();
        let der = dir.path().join("private.der");
        let armored = std::fs::read_to_string(oc_mirror().join("cosign.key")).unwrap();
        std::fs::write(&der, decrypt_cosign_key(&armored, b"")).unwrap();
        let private = dir.path().join("private.pem");
        openssl(&[
            "pkey",
            "-inform",
            "DER",
            "-in",
            s(&der),
            "-out",
            s(&private),
        ]);
        let key = CosignKey::from_private(dir, private);
        // The decrypted key is the fixture's: same public half.
        let ours = std::fs::read_to_string(&key.public).unwrap();
        let theirs = std::fs::read_to_string(oc_mirror().join("cosign.pub")).unwrap();
        assert_eq!(ours.trim(), theirs.trim());
        key
    }

    /// Base64 of the signature over SHA-256 of `payload` (DER ECDSA or
    /// PKCS#1 v1.5 RSA, as cosign makes them).
    pub fn sign(&self, payload: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("payload");
        let output = dir.path().join("sig");
        std::fs::write(&input, payload).unwrap();
        openssl(&[
            "dgst",
            "-sha256",
            "-sign",
            s(&self.private),
            "-out",
            s(&output),
            s(&input),
        ]);
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(&output).unwrap())
    }
}

/// cosign's `ENCRYPTED SIGSTORE PRIVATE KEY`: base64 of
/// `{"kdf": scrypt{N,r,p,salt}, "cipher": nacl/secretbox{nonce},
/// "ciphertext"}`; the plaintext is the PKCS#8 DER private key.
fn decrypt_cosign_key(armored: &str, passphrase: &[u8]) -> Vec<u8> {
    use crypto_secretbox::aead::{Aead, KeyInit};
    let b64 = base64::engine::general_purpose::STANDARD;
    let body: String = armored
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let json: serde_json::Value = serde_json::from_slice(&b64.decode(body).unwrap()).unwrap();
    assert_eq!(json["kdf"]["name"], "scrypt");
    assert_eq!(json["cipher"]["name"], "nacl/secretbox");
    let n = json["kdf"]["params"]["N"].as_u64().unwrap();
    let params = scrypt::Params::new(
        n.trailing_zeros() as u8,
        json["kdf"]["params"]["r"].as_u64().unwrap() as u32,
        json["kdf"]["params"]["p"].as_u64().unwrap() as u32,
        32,
    )
    .unwrap();
    let salt = b64.decode(json["kdf"]["salt"].as_str().unwrap()).unwrap();
    let mut key = [0u8; 32];
    scrypt::scrypt(passphrase, &salt, &params, &mut key).unwrap();
    let nonce = b64
        .decode(json["cipher"]["nonce"].as_str().unwrap())
        .unwrap();
    let ciphertext = b64.decode(json["ciphertext"].as_str().unwrap()).unwrap();
    crypto_secretbox::XSalsa20Poly1305::new(&key.into())
        .decrypt(nonce.as_slice().into(), ciphertext.as_slice())
        .expect("cosign.key decrypts with the empty passphrase")
}

/// A cosign payload claiming `identity` for `digest`.
pub fn payload(identity: &str, digest: &str) -> Vec<u8> {
    format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{identity}"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"cosign container image signature"}},"optional":null}}"#
    )
    .into_bytes()
}

/// One layer of a `.sig` attachment.
#[derive(Clone)]
pub struct Layer {
    pub media_type: String,
    pub payload: Vec<u8>,
    pub annotations: BTreeMap<String, String>,
}

impl Layer {
    /// `key`'s signature of a payload claiming `identity` for `digest`.
    pub fn signed(key: &CosignKey, identity: &str, digest: &str) -> Layer {
        let payload = payload(identity, digest);
        Layer {
            media_type: SIMPLE_SIGNING.into(),
            annotations: [(SIGNATURE_ANNOTATION.to_string(), key.sign(&payload))].into(),
            payload,
        }
    }
}

/// The tag cosign attaches `digest`'s signatures under.
pub fn attachment_tag(digest: &str) -> String {
    format!("{}.sig", digest.replacen(':', "-", 1))
}

/// Pushes `layers` as the `.sig` attachment of `digest` in `repo`: each
/// payload as a blob, an empty config, and the OCI manifest under
/// [`attachment_tag`]. Layers whose blob is already there (a repeated
/// payload) are uploaded once.
pub fn push_attachment(registry: &Registry, repo: &str, digest: &str, layers: &[Layer]) {
    let mut uploaded: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    let descriptors: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| {
            let blob = uploaded
                .entry(l.payload.clone())
                .or_insert_with(|| registry.put_blob(repo, &l.payload))
                .clone();
            serde_json::json!({
                "mediaType": l.media_type,
                "size": l.payload.len(),
                "digest": blob,
                "annotations": l.annotations,
            })
        })
        .collect();
    let config = b"{}";
    let config_digest = registry.put_blob(repo, config);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "size": config.len(),
            "digest": config_digest,
        },
        "layers": descriptors,
    });
    registry.put_manifest(
        repo,
        &attachment_tag(digest),
        OCI_MANIFEST,
        &serde_json::to_vec(&manifest).unwrap(),
    );
}
