//! Image manifests: which bytes a manifest digest covers, and computing
//! and matching that digest.
//!
//! The digest is over the raw bytes exactly as served, except for a signed
//! Docker schema-1 manifest, whose embedded JWS signatures are not part of
//! the digested payload (the same rule containers/image and the registry
//! apply). Rebuilding that payload is linear in the manifest's size and
//! the number of JWS signatures is bounded ([`MAX_JWS_SIGNATURES`]); a
//! [`Manifest`] computes each digest once, however many image signatures
//! are checked against it.

use crate::image::digest::{Algorithm, Digest};
use crate::io::MAX_JWS_SIGNATURES;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::Digest as _;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

/// A manifest whose digest cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("invalid schema-1 manifest signature: {0}")]
    Schema1Signature(String),
    #[error("is empty, not a manifest")]
    Empty,
    #[error("is not JSON, so not a manifest ({0})")]
    NotJson(String),
}

/// Refuses bytes that cannot be a manifest: nothing, or not JSON. The
/// digest of such bytes is well defined, but a user who passes them has
/// passed the wrong file, and "digest mismatch" would hide that. The
/// messages are meant to follow the file's name.
pub fn ensure_json(manifest: &[u8]) -> Result<(), ManifestError> {
    if manifest.iter().all(u8::is_ascii_whitespace) {
        return Err(ManifestError::Empty);
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(manifest)
        .map(drop)
        .map_err(|e| ManifestError::NotJson(e.to_string()))
}

/// A manifest's bytes, exactly as served, with the digests computed from
/// them so far: each algorithm's digest (or the error computing it) is
/// computed at most once, however many signatures of the image ask for it.
#[derive(Debug, Clone)]
pub struct Manifest<'a> {
    bytes: Cow<'a, [u8]>,
    /// By algorithm: sha256, sha384, sha512.
    digests: [OnceLock<Result<Digest, ManifestError>>; 3],
}

impl<'a> Manifest<'a> {
    /// The manifest `bytes` (borrowed or owned).
    pub fn new(bytes: impl Into<Cow<'a, [u8]>>) -> Manifest<'a> {
        Manifest {
            bytes: bytes.into(),
            digests: Default::default(),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// [`digest_with`], computed on first use.
    pub fn digest_with(&self, algorithm: Algorithm) -> Result<Digest, ManifestError> {
        let slot = match algorithm {
            Algorithm::Sha256 => 0,
            Algorithm::Sha384 => 1,
            Algorithm::Sha512 => 2,
        };
        self.digests[slot]
            .get_or_init(|| digest_with(&self.bytes, algorithm))
            .clone()
    }

    /// [`digest`], computed on first use.
    pub fn digest(&self) -> Result<Digest, ManifestError> {
        self.digest_with(Algorithm::Sha256)
    }

    /// [`matches()`], with the digest computed on first use.
    pub fn matches(&self, expected: &Digest) -> Result<bool, ManifestError> {
        Ok(&self.digest_with(expected.algorithm())? == expected)
    }
}

/// The digest of `manifest` with `algorithm`.
pub fn digest_with(manifest: &[u8], algorithm: Algorithm) -> Result<Digest, ManifestError> {
    Ok(algorithm.hash(&digested_bytes(manifest)?))
}

/// The canonical (sha256) digest of `manifest`, as registries name it.
pub fn digest(manifest: &[u8]) -> Result<Digest, ManifestError> {
    digest_with(manifest, Algorithm::Sha256)
}

/// Whether `manifest` has the digest `expected` (hashed with the
/// algorithm `expected` names).
pub fn matches(manifest: &[u8], expected: &Digest) -> Result<bool, ManifestError> {
    Ok(&digest_with(manifest, expected.algorithm())? == expected)
}

/// The media type a manifest declares or implies, as containers/image
/// guesses it; `None` when the bytes are not a JSON object.
pub fn guess_media_type(manifest: &[u8]) -> Option<&'static str> {
    struct Meta {
        media_type: Option<String>,
        schema_version: Option<i64>,
        signatures: Option<Box<RawValue>>,
    }
    // Go's encoding/json matches member names to struct fields ignoring
    // case (an exact match first): `"Signatures"` makes a signed schema-1
    // manifest for containers/image, whose digest then needs the
    // `"signatures"` member libtrust looks up exactly.
    let mut members: HashMap<String, Box<RawValue>> = serde_json::from_slice(manifest).ok()?;
    let mut take = |name: &str| {
        if let Some(v) = members.remove(name) {
            return Some(v);
        }
        let key = members
            .keys()
            .find(|k| k.eq_ignore_ascii_case(name))?
            .clone();
        members.remove(&key)
    };
    // A member of the wrong type fails Go's whole unmarshal: no guess.
    let meta = Meta {
        media_type: match take("mediaType") {
            Some(v) => serde_json::from_str(v.get()).ok()?,
            None => None,
        },
        schema_version: match take("schemaVersion") {
            Some(v) => serde_json::from_str(v.get()).ok()?,
            None => None,
        },
        signatures: take("signatures"),
    };
    for known in [
        media_types::DOCKER_V2S2,
        media_types::DOCKER_LIST,
        media_types::OCI_MANIFEST,
        media_types::OCI_INDEX,
    ] {
        if meta.media_type.as_deref() == Some(known) {
            return Some(known);
        }
    }
    let has_signatures = meta.signatures.is_some_and(|s| s.get() != "null");
    match meta.schema_version {
        Some(1) if has_signatures => Some(media_types::DOCKER_V2S1_SIGNED),
        Some(1) => Some(media_types::DOCKER_V2S1),
        Some(2) => Some(media_types::DOCKER_V2S2),
        _ => None,
    }
}

/// Manifest media types relsig knows.
pub mod media_types {
    pub const DOCKER_V2S1: &str = "application/vnd.docker.distribution.manifest.v1+json";
    pub const DOCKER_V2S1_SIGNED: &str =
        "application/vnd.docker.distribution.manifest.v1+prettyjws";
    pub const DOCKER_V2S2: &str = "application/vnd.docker.distribution.manifest.v2+json";
    pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// Every type above, for a registry `Accept` header: the digest must be
    /// of exactly what the reference names, never a platform the registry
    /// picked from a list.
    pub const ALL: [&str; 6] = [
        OCI_INDEX,
        DOCKER_LIST,
        OCI_MANIFEST,
        DOCKER_V2S2,
        DOCKER_V2S1_SIGNED,
        DOCKER_V2S1,
    ];
}

/// The bytes the digest covers.
fn digested_bytes(manifest: &[u8]) -> Result<Cow<'_, [u8]>, ManifestError> {
    if guess_media_type(manifest) == Some(media_types::DOCKER_V2S1_SIGNED) {
        schema1_payload(manifest).map(Cow::Owned)
    } else {
        Ok(Cow::Borrowed(manifest))
    }
}

/// Rebuilds the signed payload of a "pretty JWS" schema-1 manifest: the
/// manifest cut at `formatLength` plus the decoded `formatTail`, both taken
/// from each signature's protected header; all signatures must agree on
/// both (as libtrust requires), so the payload is built once.
fn schema1_payload(manifest: &[u8]) -> Result<Vec<u8>, ManifestError> {
    #[derive(Deserialize)]
    struct Block {
        protected: String,
        #[serde(default)]
        header: Option<BlockHeader>,
    }
    #[derive(Deserialize)]
    struct BlockHeader {
        #[serde(default)]
        jwk: Option<serde_json::Value>,
    }
    let bad = |what: &str| ManifestError::Schema1Signature(what.to_string());
    let object: HashMap<String, Box<RawValue>> = serde_json::from_slice(manifest)
        .map_err(|e| bad(&format!("manifest is not a JSON object: {e}")))?;
    let signatures = object
        .get("signatures")
        .ok_or_else(|| bad("no \"signatures\" member"))?;
    let blocks: Vec<Block> = serde_json::from_str(signatures.get()).map_err(|e| {
        bad(&format!(
            "\"signatures\" is not a list of JWS signatures: {e}"
        ))
    })?;
    if blocks.len() > MAX_JWS_SIGNATURES {
        return Err(bad(&format!(
            "{} JWS signatures, more than the {MAX_JWS_SIGNATURES} allowed",
            blocks.len()
        )));
    }
    let mut format: Option<(usize, Vec<u8>)> = None;
    for block in blocks {
        if let Some(jwk) = block.header.and_then(|h| h.jwk) {
            check_jwk(&jwk).map_err(|e| bad(&format!("its JWK {e}")))?;
        }
        let protected = base64url_decode(&block.protected)
            .ok_or_else(|| bad("\"protected\" is not base64url"))?;
        let header: HashMap<String, serde_json::Value> = serde_json::from_slice(&protected)
            .map_err(|e| bad(&format!("protected header is not a JSON object: {e}")))?;
        let format_length = header
            .get("formatLength")
            .and_then(|v| v.as_f64())
            .filter(|f| f.fract() == 0.0 && *f >= 0.0)
            .ok_or_else(|| bad("protected header has no integer \"formatLength\""))?
            as usize;
        let tail = header
            .get("formatTail")
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad("protected header has no string \"formatTail\""))?;
        let tail = base64url_decode(tail).ok_or_else(|| bad("\"formatTail\" is not base64url"))?;
        match &format {
            Some((length, first)) if (*length, first) != (format_length, &tail) => {
                return Err(bad("signatures disagree about the payload"));
            }
            Some(_) => {}
            None => format = Some((format_length, tail)),
        }
    }
    // libtrust parses an empty list (its format length stays 0), and the
    // payload is then empty: containers/image digests the empty string.
    let (format_length, tail) = format.unwrap_or_default();
    let head = manifest
        .get(..format_length)
        .ok_or_else(|| bad("\"formatLength\" is longer than the manifest"))?;
    Ok([head, &tail].concat())
}

/// libtrust parses each signature's JWK while parsing the JWS (so a key it
/// cannot read leaves containers/image without a digest): an EC key on
/// P-256/384/521 or an RSA key, whose `kid`, when present, must be the
/// key's libtrust key ID.
fn check_jwk(jwk: &serde_json::Value) -> Result<(), String> {
    let field = |name: &str| {
        jwk.get(name)
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("has no string \"{name}\""))
    };
    let bytes = |name: &str| {
        field(name)
            .and_then(|s| base64url_decode(s).ok_or_else(|| format!("\"{name}\" is not base64url")))
    };
    let spki = match field("kty")? {
        "EC" => {
            let (prefix, len): (&[u8], usize) = match field("crv")? {
                "P-256" => (EC_P256_SPKI, 32),
                "P-384" => (EC_P384_SPKI, 48),
                "P-521" => (EC_P521_SPKI, 66),
                other => return Err(format!("curve {other:?} is not supported")),
            };
            let (x, y) = (bytes("x")?, bytes("y")?);
            if x.len() != len || y.len() != len {
                return Err(format!("coordinates are not {len} bytes long"));
            }
            [prefix, &[0x04], &x, &y].concat()
        }
        "RSA" => {
            let (n, e) = (bytes("n")?, bytes("e")?);
            let key = der(0x30, &[der_integer(&n), der_integer(&e)].concat());
            let algorithm = der(
                0x30,
                &[
                    &[
                        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01,
                    ][..],
                    &[0x05, 0x00],
                ]
                .concat(),
            );
            der(
                0x30,
                &[algorithm, der(0x03, &[&[0u8][..], &key].concat())].concat(),
            )
        }
        other => return Err(format!("key type {other:?} is not supported")),
    };
    if jwk.get("kid").is_some() {
        let kid = field("kid")?;
        let id = libtrust_key_id(&spki);
        if kid != id {
            return Err(format!("key ID {kid:?} does not match its key ({id})"));
        }
    }
    Ok(())
}

/// The DER SubjectPublicKeyInfo of an EC key up to its point.
const EC_P256_SPKI: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A,
    0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
const EC_P384_SPKI: &[u8] = &[
    0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x05, 0x2B,
    0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00,
];
const EC_P521_SPKI: &[u8] = &[
    0x30, 0x81, 0x9B, 0x30, 0x10, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x05,
    0x2B, 0x81, 0x04, 0x00, 0x23, 0x03, 0x81, 0x86, 0x00,
];

/// A DER element: tag, definite length, content.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A DER INTEGER of the unsigned big-endian `value`.
fn der_integer(value: &[u8]) -> Vec<u8> {
    let value = &value[value.iter().take_while(|&&b| b == 0).count()..];
    let mut content = Vec::with_capacity(value.len() + 1);
    if value.first().is_none_or(|&b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(value);
    der(0x02, &content)
}

/// libtrust's key ID: the first 240 bits of the SHA-256 of the DER
/// SubjectPublicKeyInfo, in base32, in groups of four joined by `:`.
fn libtrust_key_id(spki: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let hash = sha2::Sha256::digest(spki);
    // 30 bytes are 240 bits: 48 base32 digits, no padding.
    let mut digits = String::with_capacity(48);
    for chunk in hash[..30].chunks(5) {
        let v = chunk.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b));
        for i in (0..8).rev() {
            digits.push(ALPHABET[((v >> (i * 5)) & 31) as usize] as char);
        }
    }
    digits
        .as_bytes()
        .chunks(4)
        .map(|g| std::str::from_utf8(g).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(":")
}

/// JOSE base64url: no padding in the input, which we add back.
fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() % 4 == 1 {
        return None;
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}

/// What a manifest refers to: the platform manifests of a list or
/// index, or an image's config and layers (schema 1: its `fsLayers`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parts {
    /// Platform manifests of a list or index.
    pub manifests: Vec<Descriptor>,
    pub config: Option<Descriptor>,
    /// In order, base layer first.
    pub layers: Vec<Descriptor>,
}

/// One object a manifest names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    /// As the manifest declares it (not checked against the object).
    pub size: Option<u64>,
    /// `os/architecture[/variant]` of a list entry.
    pub platform: Option<String>,
}

impl Parts {
    /// Whether this is a manifest list or image index.
    pub fn is_list(&self) -> bool {
        !self.manifests.is_empty()
    }
}

/// A manifest whose structure cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a manifest of the expected shape: {0}")]
pub struct PartsError(pub String);

/// The objects `manifest` names.
pub fn parts(manifest: &[u8]) -> Result<Parts, PartsError> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(default)]
        manifests: Vec<RawDescriptor>,
        config: Option<RawDescriptor>,
        #[serde(default)]
        layers: Vec<RawDescriptor>,
        #[serde(rename = "fsLayers", default)]
        fs_layers: Vec<FsLayer>,
    }
    #[derive(Deserialize)]
    struct RawDescriptor {
        #[serde(rename = "mediaType", default)]
        media_type: String,
        digest: String,
        size: Option<u64>,
        platform: Option<Platform>,
    }
    #[derive(Deserialize)]
    struct Platform {
        #[serde(default)]
        os: String,
        #[serde(default)]
        architecture: String,
        variant: Option<String>,
    }
    #[derive(Deserialize)]
    struct FsLayer {
        #[serde(rename = "blobSum")]
        blob_sum: String,
    }
    let raw: Raw = serde_json::from_slice(manifest).map_err(|e| PartsError(e.to_string()))?;
    let descriptor = |d: RawDescriptor| -> Result<Descriptor, PartsError> {
        Ok(Descriptor {
            media_type: d.media_type,
            digest: Digest::parse(&d.digest).map_err(|e| PartsError(e.to_string()))?,
            size: d.size,
            platform: d.platform.map(|p| match p.variant {
                Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
                None => format!("{}/{}", p.os, p.architecture),
            }),
        })
    };
    let mut layers = raw
        .layers
        .into_iter()
        .map(descriptor)
        .collect::<Result<Vec<_>, _>>()?;
    // Schema 1 lists the top layer first.
    for l in raw.fs_layers.into_iter().rev() {
        layers.push(Descriptor {
            media_type: String::new(),
            digest: Digest::parse(&l.blob_sum).map_err(|e| PartsError(e.to_string()))?,
            size: None,
            platform: None,
        });
    }
    Ok(Parts {
        manifests: raw
            .manifests
            .into_iter()
            .map(descriptor)
            .collect::<Result<_, _>>()?,
        config: raw.config.map(descriptor).transpose()?,
        layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_non_json_files_are_not_manifests() {
        assert_eq!(ensure_json(b""), Err(ManifestError::Empty));
        assert_eq!(ensure_json(b" \n"), Err(ManifestError::Empty));
        assert!(matches!(
            ensure_json(b"\x89PGP"),
            Err(ManifestError::NotJson(_))
        ));
        assert_eq!(ensure_json(br#"{"schemaVersion":2}"#), Ok(()));
    }

    #[test]
    fn plain_manifest_digest_is_sha256_of_bytes() {
        let m = br#"{"schemaVersion":2}"#;
        assert_eq!(digest(m).unwrap(), Algorithm::Sha256.hash(m));
    }

    #[test]
    fn non_json_is_hashed_as_is() {
        assert_eq!(
            digest(b"not json").unwrap(),
            Algorithm::Sha256.hash(b"not json")
        );
    }

    #[test]
    fn schema1_with_bad_signatures_is_an_error() {
        let m = br#"{"schemaVersion":1,"signatures":1}"#;
        assert!(matches!(digest(m), Err(ManifestError::Schema1Signature(_))));
        let m = br#"{"schemaVersion":1,"signatures":[{"protected":"!!"}]}"#;
        assert!(matches!(digest(m), Err(ManifestError::Schema1Signature(_))));
    }

    #[test]
    fn schema1_format_length_past_end_is_an_error_not_a_panic() {
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"formatLength":100000,"formatTail":"fQ"}"#);
        let m = format!(r#"{{"schemaVersion":1,"signatures":[{{"protected":"{header}"}}]}}"#);
        assert!(matches!(
            digest(m.as_bytes()),
            Err(ManifestError::Schema1Signature(_))
        ));
    }

    /// A pretty-JWS schema-1 manifest whose signatures carry these
    /// (formatLength, formatTail) pairs.
    fn schema1(formats: &[(usize, &[u8])]) -> Vec<u8> {
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let blocks: Vec<String> = formats
            .iter()
            .map(|(len, tail)| {
                let header = format!(r#"{{"formatLength":{len},"formatTail":"{}"}}"#, b64(tail));
                format!(r#"{{"protected":"{}"}}"#, b64(header.as_bytes()))
            })
            .collect();
        format!(
            r#"{{"schemaVersion":1,"signatures":[{}]}}"#,
            blocks.join(",")
        )
        .into_bytes()
    }

    #[test]
    fn schema1_signatures_must_agree_and_are_bounded() {
        let head = br#"{"schemaVersion":1"#.len();
        let agreeing = schema1(&[(head, b"}"), (head, b"}")]);
        assert_eq!(
            digest(&agreeing).unwrap(),
            Algorithm::Sha256.hash(br#"{"schemaVersion":1}"#)
        );
        // The same payload cut differently is still a disagreement, as in
        // libtrust.
        let recut = schema1(&[(head, b"}"), (head - 1, b"1}")]);
        assert_eq!(
            digest(&recut),
            Err(ManifestError::Schema1Signature(
                "signatures disagree about the payload".into()
            ))
        );
        let many = schema1(&vec![(head, b"}".as_slice()); MAX_JWS_SIGNATURES + 1]);
        assert_eq!(
            digest(&many),
            Err(ManifestError::Schema1Signature(format!(
                "{} JWS signatures, more than the {MAX_JWS_SIGNATURES} allowed",
                MAX_JWS_SIGNATURES + 1
            )))
        );
        let at_limit = schema1(&vec![(head, b"}".as_slice()); MAX_JWS_SIGNATURES]);
        assert!(digest(&at_limit).is_ok());
    }

    #[test]
    fn a_manifest_keeps_each_digest_and_error() {
        let head = br#"{"schemaVersion":1"#.len();
        let bytes = schema1(&[(head, b"}")]);
        let m = Manifest::new(bytes.as_slice());
        for algorithm in [Algorithm::Sha256, Algorithm::Sha512, Algorithm::Sha256] {
            assert_eq!(m.digest_with(algorithm), digest_with(&bytes, algorithm));
        }
        let d = digest(&bytes).unwrap();
        assert_eq!(m.matches(&d), Ok(true));
        assert_eq!(m.bytes(), bytes.as_slice());
        let broken = Manifest::new(br#"{"schemaVersion":1,"signatures":{}}"#.to_vec());
        assert!(broken.digest().is_err());
        assert_eq!(broken.digest(), broken.digest());
    }

    #[test]
    fn schema1_signatures_are_found_as_go_finds_them() {
        // Go matches "Signatures" to the field: a signed schema-1
        // manifest, whose exact "signatures" member libtrust then lacks.
        let capital = br#"{"schemaVersion":1,"Signatures":[]}"#;
        assert_eq!(
            guess_media_type(capital),
            Some(media_types::DOCKER_V2S1_SIGNED)
        );
        assert!(digest(capital).is_err());
        // An empty list parses in libtrust, to an empty payload.
        assert_eq!(
            digest(br#"{"schemaVersion":1,"signatures":[]}"#).unwrap(),
            digest(b"").unwrap()
        );
        assert_eq!(
            guess_media_type(br#"{"SchemaVersion":1}"#),
            Some(media_types::DOCKER_V2S1)
        );
    }

    #[test]
    fn schema1_jwk_key_ids_are_checked_as_libtrust_checks_them() {
        let real = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/containers-image/manifest/v2s1.manifest.json"
        ))
        .unwrap();
        assert!(digest(&real).is_ok());
        let text = String::from_utf8(real).unwrap();
        let kid = "OZ45:U3IG:TDOI:PMBD:NGP2:LDIW:II2U:PSBI:MMCZ:YZUP:TUUO:XPZT";
        assert!(text.contains(kid));
        let wrong = text.replace(
            kid,
            "AAAA:U3IG:TDOI:PMBD:NGP2:LDIW:II2U:PSBI:MMCZ:YZUP:TUUO:XPZT",
        );
        let e = digest(wrong.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("does not match its key (OZ45:U3IG"), "{e}");
        let rsa = serde_json::json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"});
        assert!(check_jwk(&rsa).is_ok());
        let odd = serde_json::json!({"kty": "oct", "k": "AQAB"});
        assert!(check_jwk(&odd).is_err());
    }

    #[test]
    fn media_type_guess() {
        assert_eq!(
            guess_media_type(
                br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"}"#
            ),
            Some(media_types::OCI_INDEX)
        );
        assert_eq!(
            guess_media_type(br#"{"schemaVersion":1}"#),
            Some(media_types::DOCKER_V2S1)
        );
        assert_eq!(guess_media_type(b"[]"), None);
    }

    #[test]
    fn parts_of_a_list_an_image_and_a_schema1_manifest() {
        let d = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let list = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{}","size":1,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}}]}}"#,
            media_types::OCI_INDEX,
            media_types::OCI_MANIFEST,
            d('a')
        );
        let p = parts(list.as_bytes()).unwrap();
        assert!(p.is_list());
        assert_eq!(p.manifests[0].platform.as_deref(), Some("linux/arm64/v8"));

        let image = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"c","digest":"{}","size":2}},"layers":[{{"mediaType":"l","digest":"{}"}}]}}"#,
            d('b'),
            d('c')
        );
        let p = parts(image.as_bytes()).unwrap();
        assert!(!p.is_list());
        assert_eq!(p.config.unwrap().size, Some(2));
        assert_eq!(p.layers[0].digest.to_string(), d('c'));

        // Schema 1 lists the top layer first; parts gives the base first.
        let v1 = format!(
            r#"{{"schemaVersion":1,"fsLayers":[{{"blobSum":"{}"}},{{"blobSum":"{}"}}]}}"#,
            d('e'),
            d('f')
        );
        let p = parts(v1.as_bytes()).unwrap();
        assert_eq!(p.layers[0].digest.to_string(), d('f'));

        assert!(parts(br#"{"layers":[{"digest":"md5:x"}]}"#).is_err());
    }
}
