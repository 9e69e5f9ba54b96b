//! containers/image's on-disk form of one sigstore signature (a `dir:`
//! image's `signature-N`, a `--signature-dir` file): the byte 0x00,
//! `sigstore-json\n`, then the JSON object
//! `{"mimeType", "payload" (base64), "annotations"}` — the three parts of
//! one layer of a cosign `.sig` attachment. This module owns that framing
//! and nothing else: what the annotations mean is checked by the
//! mechanism.

use crate::io::MAX_SIGSTORE_PAYLOAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The media type of a cosign signature layer (its payload is a simple
/// signing JSON document).
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The annotation holding the base64 signature over the payload.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The annotation holding the signer's PEM certificate (Fulcio, PKI).
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// The annotation holding the PEM intermediate certificates.
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// The annotation holding the Rekor bundle (the SET and its payload).
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

/// What every on-disk sigstore signature starts with. An OpenPGP message
/// never starts with 0x00 (its first byte has the high bit set).
const PREFIX: &[u8] = b"\x00sigstore-json\n";

/// One sigstore signature as containers/image stores it. Nothing in it is
/// verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigstoreSignature {
    /// The layer's media type (cosign's is [`SIMPLE_SIGNING_MEDIA_TYPE`]).
    pub mime_type: String,
    /// The payload bytes, base64-decoded (what the signature covers).
    pub payload: Vec<u8>,
    /// The layer's annotations (signature, certificate, chain, bundle).
    pub annotations: BTreeMap<String, String>,
}

/// Why bytes are not an on-disk sigstore signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("not a sigstore signature: it does not start with 0x00 \"sigstore-json\\n\"")]
    NotSigstore,
    #[error("malformed sigstore signature JSON")]
    Json(#[source] JsonError),
    #[error("sigstore signature field \"payload\" is not valid base64")]
    Base64(#[source] base64::DecodeError),
    #[error("sigstore signature payload is larger than {MAX_SIGSTORE_PAYLOAD} bytes")]
    PayloadTooLarge,
}

/// serde_json's error, kept as text so that [`FormatError`] stays `Clone`
/// and comparable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsonError(String);

/// The JSON object after the prefix: exactly these three fields, all
/// required, as containers/image's strict parser demands.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Representation<'a> {
    #[serde(rename = "mimeType")]
    mime_type: String,
    #[serde(borrow)]
    payload: std::borrow::Cow<'a, str>,
    annotations: BTreeMap<String, String>,
}

/// Whether `bytes` are a sigstore signature in containers/image's on-disk
/// form (as opposed to an OpenPGP one).
pub fn is_sigstore(bytes: &[u8]) -> bool {
    bytes.starts_with(PREFIX)
}

impl SigstoreSignature {
    /// Parses the on-disk form strictly: the prefix, then a JSON object
    /// with exactly `mimeType`, `payload` and `annotations`, a payload in
    /// standard base64 of at most [`MAX_SIGSTORE_PAYLOAD`] bytes. The
    /// caller bounds `bytes` (a signature file is read with
    /// [`crate::io::MAX_SIGNATURE_SIZE`]).
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        let json = bytes.strip_prefix(PREFIX).ok_or(FormatError::NotSigstore)?;
        let repr: Representation<'_> = serde_json::from_slice(json)
            .map_err(|e| FormatError::Json(JsonError(e.to_string())))?;
        // Refuse from the encoded length, before decoding anything.
        if base64::decoded_len_estimate(repr.payload.len()) > MAX_SIGSTORE_PAYLOAD as usize + 3 {
            return Err(FormatError::PayloadTooLarge);
        }
        let payload = super::decode_base64(repr.payload.as_bytes()).map_err(FormatError::Base64)?;
        if payload.len() as u64 > MAX_SIGSTORE_PAYLOAD {
            return Err(FormatError::PayloadTooLarge);
        }
        Ok(SigstoreSignature {
            mime_type: repr.mime_type,
            payload,
            annotations: repr.annotations,
        })
    }

    /// The on-disk form, as containers/image writes it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let repr = Representation {
            mime_type: self.mime_type.clone(),
            payload: base64::engine::general_purpose::STANDARD
                .encode(&self.payload)
                .into(),
            annotations: self.annotations.clone(),
        };
        let mut out = PREFIX.to_vec();
        // Serialising strings and a string map cannot fail.
        serde_json::to_writer(&mut out, &repr).expect("serialising a sigstore signature");
        out
    }

    /// The annotation `name`, if present.
    pub fn annotation(&self, name: &str) -> Option<&str> {
        self.annotations.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SigstoreSignature {
        SigstoreSignature {
            mime_type: SIMPLE_SIGNING_MEDIA_TYPE.into(),
            payload: b"{\"critical\":{}}".to_vec(),
            annotations: [(SIGNATURE_ANNOTATION.to_string(), "MEUC".to_string())].into(),
        }
    }

    #[test]
    fn round_trips() {
        let s = sample();
        let bytes = s.to_bytes();
        assert!(is_sigstore(&bytes));
        assert_eq!(SigstoreSignature::parse(&bytes).unwrap(), s);
    }

    #[test]
    fn refuses_what_containers_image_refuses() {
        let ok = |json: &str| {
            let mut b = PREFIX.to_vec();
            b.extend_from_slice(json.as_bytes());
            SigstoreSignature::parse(&b)
        };
        assert!(ok(r#"{"mimeType":"m","payload":"","annotations":{}}"#).is_ok());
        // Missing, unknown and duplicate fields.
        assert!(matches!(
            ok(r#"{"mimeType":"m","payload":""}"#),
            Err(FormatError::Json(_))
        ));
        assert!(matches!(
            ok(r#"{"mimeType":"m","payload":"","annotations":{},"x":1}"#),
            Err(FormatError::Json(_))
        ));
        assert!(matches!(
            ok(r#"{"mimeType":"m","mimeType":"n","payload":"","annotations":{}}"#),
            Err(FormatError::Json(_))
        ));
        assert!(matches!(
            ok(r#"{"mimeType":"m","payload":"!!","annotations":{}}"#),
            Err(FormatError::Base64(_))
        ));
        assert_eq!(
            SigstoreSignature::parse(b"\x89PGP"),
            Err(FormatError::NotSigstore)
        );
        assert!(!is_sigstore(b"\xa3\x01"));
    }

    #[test]
    fn refuses_a_payload_over_the_limit() {
        let big = "A".repeat((MAX_SIGSTORE_PAYLOAD as usize / 3 + 2) * 4);
        let mut b = PREFIX.to_vec();
        b.extend_from_slice(
            format!(r#"{{"mimeType":"m","payload":"{big}","annotations":{{}}}}"#).as_bytes(),
        );
        assert_eq!(
            SigstoreSignature::parse(&b),
            Err(FormatError::PayloadTooLarge)
        );
    }
}
