//! Image manifests: which bytes a manifest digest covers, and computing
//! and matching that digest.
//!
//! The digest is over the raw bytes exactly as served, except for a signed
//! Docker schema-1 manifest, whose embedded JWS signatures are not part of
//! the digested payload (the same rule containers/image and the registry
//! apply).

use crate::image::digest::{Algorithm, Digest};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;

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
    #[derive(Deserialize)]
    struct Meta {
        #[serde(rename = "mediaType", default)]
        media_type: Option<String>,
        #[serde(rename = "schemaVersion", default)]
        schema_version: Option<i64>,
        #[serde(default)]
        signatures: Option<Box<RawValue>>,
    }
    let meta: Meta = serde_json::from_slice(manifest).ok()?;
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
/// from each signature's protected header; all signatures must agree.
fn schema1_payload(manifest: &[u8]) -> Result<Vec<u8>, ManifestError> {
    #[derive(Deserialize)]
    struct Block {
        protected: String,
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
    if blocks.is_empty() {
        return Err(bad("\"signatures\" is empty"));
    }
    let mut payload: Option<Vec<u8>> = None;
    for block in blocks {
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
        let head = manifest
            .get(..format_length)
            .ok_or_else(|| bad("\"formatLength\" is longer than the manifest"))?;
        let this = [head, &tail].concat();
        match &payload {
            Some(p) if *p != this => return Err(bad("signatures disagree about the payload")),
            _ => payload = Some(this),
        }
    }
    Ok(payload.unwrap_or_default())
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
}
