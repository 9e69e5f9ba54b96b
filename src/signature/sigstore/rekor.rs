//! Rekor signed entry timestamps (the `dev.sigstore.cosign/bundle`
//! annotation), checked as containers/image checks them: the Rekor key's
//! ECDSA signature over SHA-256 of the canonical JSON (RFC 8785) of the
//! bundle's `Payload`, whose `body` must be a hashedrekord v0.0.1 entry of
//! this signature, this payload's SHA-256 and this signer's key or
//! certificate. The entry's `integratedTime` is when the signature was
//! logged.

use super::keys::PublicKey;
use super::pem;
use crate::signature::payload::StrictValue;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

/// Why a SET does not vouch for a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetError {
    #[error("the Rekor bundle is malformed: {0}")]
    Malformed(String),
    #[error("the Rekor bundle's signed entry timestamp is not signed by a trusted Rekor key")]
    BadSignature,
    #[error("the Rekor entry is malformed: {0}")]
    Entry(String),
    #[error("the Rekor entry is for another {0}")]
    Mismatch(&'static str),
}

/// A bundle whose signature by a trusted Rekor key verified; its entry is
/// not yet compared with anything.
#[derive(Debug, Clone)]
pub struct LoggedEntry {
    /// Seconds since the epoch.
    pub integrated_time: i64,
    /// The key or certificate the entry names (DER of its PEM block).
    key_or_cert: Vec<u8>,
    /// The signature the entry names.
    signature: Vec<u8>,
    /// The SHA-256 of the payload the entry names.
    payload_sha256: Vec<u8>,
}

/// Integers above this lose precision in RFC 8785's number form; Rekor's
/// times and indexes are far below it.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Checks the bundle's signature by one of `rekor_keys` and parses its
/// entry.
pub fn verify_bundle(rekor_keys: &[PublicKey], bundle: &[u8]) -> Result<LoggedEntry, SetError> {
    let malformed = |m: &str| SetError::Malformed(m.to_string());
    let StrictValue(root) =
        serde_json::from_slice(bundle).map_err(|e| SetError::Malformed(e.to_string()))?;
    let mut top = exact(root, &["SignedEntryTimestamp", "Payload"]).map_err(SetError::Malformed)?;
    let set = match top.remove("SignedEntryTimestamp") {
        Some(Value::String(s)) => super::decode_base64(s.as_bytes())
            .map_err(|e| SetError::Malformed(format!("SignedEntryTimestamp: {e}")))?,
        _ => return Err(malformed("SignedEntryTimestamp is not a base64 string")),
    };
    let mut payload = exact(
        top.remove("Payload").unwrap_or_default(),
        &["body", "integratedTime", "logIndex", "logID"],
    )
    .map_err(|e| SetError::Malformed(format!("Payload: {e}")))?;
    let body = match payload.remove("body") {
        Some(Value::String(s)) => s,
        _ => return Err(malformed("Payload.body is not a string")),
    };
    let integrated_time = integer(payload.get("integratedTime"))
        .ok_or_else(|| malformed("Payload.integratedTime is not an integer"))?;
    let log_index = integer(payload.get("logIndex"))
        .ok_or_else(|| malformed("Payload.logIndex is not an integer"))?;
    let log_id = match payload.remove("logID") {
        Some(Value::String(s)) => s,
        _ => return Err(malformed("Payload.logID is not a string")),
    };

    // RFC 8785 of this fixed shape: members sorted by name, no
    // whitespace, serde_json's string escapes (which are RFC 8785's),
    // integers in decimal.
    let mut canonical = Map::new();
    canonical.insert("body".into(), Value::String(body.clone()));
    canonical.insert("integratedTime".into(), integrated_time.into());
    canonical.insert("logID".into(), Value::String(log_id));
    canonical.insert("logIndex".into(), log_index.into());
    let canonical = canonical_bytes(&canonical);
    if !rekor_keys
        .iter()
        .any(|k| k.algorithm().is_ecdsa() && k.verifies(&canonical, &set))
    {
        return Err(SetError::BadSignature);
    }

    let body = super::decode_base64(body.as_bytes())
        .map_err(|e| SetError::Entry(format!("body is not base64: {e}")))?;
    parse_hashedrekord(&body, integrated_time)
}

impl LoggedEntry {
    /// Checks that the entry is of this signature (base64 as in the
    /// annotation), this payload, and the key or certificate whose PEM
    /// block holds `key_or_cert_der`.
    pub fn matches(
        &self,
        key_or_cert_der: &[u8],
        signature: &[u8],
        payload: &[u8],
    ) -> Result<(), SetError> {
        if self.key_or_cert != key_or_cert_der {
            return Err(SetError::Mismatch("key or certificate"));
        }
        if self.signature != signature {
            return Err(SetError::Mismatch("signature"));
        }
        if self.payload_sha256 != Sha256::digest(payload).as_slice() {
            return Err(SetError::Mismatch("payload"));
        }
        Ok(())
    }

    /// The public key or certificate the entry names, as PEM DER.
    pub fn key_or_cert(&self) -> &[u8] {
        &self.key_or_cert
    }
}

/// The hashedrekord v0.0.1 entry in `body` (read as loosely as
/// containers/image reads it: unknown members are ignored).
fn parse_hashedrekord(body: &[u8], integrated_time: i64) -> Result<LoggedEntry, SetError> {
    let entry = |m: String| SetError::Entry(m);
    let v: Value = serde_json::from_slice(body).map_err(|e| entry(e.to_string()))?;
    let get = |path: &[&str]| -> Option<&Value> {
        path.iter().try_fold(&v, |v, k| v.as_object()?.get(*k))
    };
    let string = |path: &[&str]| -> Result<&str, SetError> {
        get(path)
            .and_then(Value::as_str)
            .ok_or_else(|| SetError::Entry(format!("missing \"{}\"", path.join("."))))
    };
    if string(&["kind"])? != "hashedrekord" {
        return Err(entry("kind is not hashedrekord".into()));
    }
    let version = string(&["apiVersion"])?;
    if version != "0.0.1" {
        return Err(entry(format!(
            "unsupported hashedrekord version {version:?}"
        )));
    }
    let b64 = |path: &[&str]| -> Result<Vec<u8>, SetError> {
        super::decode_base64(string(path)?.as_bytes())
            .map_err(|e| SetError::Entry(format!("\"{}\": {e}", path.join("."))))
    };
    let key_pem = b64(&["spec", "signature", "publicKey", "content"])?;
    let (block, rest) =
        pem::first(&key_pem).ok_or_else(|| entry("publicKey is not in PEM format".into()))?;
    if !rest.is_empty() {
        return Err(entry("publicKey has trailing data".into()));
    }
    let signature = b64(&["spec", "signature", "content"])?;
    let algorithm = string(&["spec", "data", "hash", "algorithm"])?;
    if algorithm != "sha256" {
        return Err(entry(format!(
            "unexpected data.hash.algorithm {algorithm:?}"
        )));
    }
    let value = string(&["spec", "data", "hash", "value"])?;
    let payload_sha256 =
        unhex(value).ok_or_else(|| entry(format!("data.hash.value {value:?} is not hex")))?;
    Ok(LoggedEntry {
        integrated_time,
        key_or_cert: block.der,
        signature,
        payload_sha256,
    })
}

/// An object with exactly `fields`, all present.
fn exact(v: Value, fields: &[&str]) -> Result<Map<String, Value>, String> {
    let Value::Object(map) = v else {
        return Err("expected a JSON object".into());
    };
    if let Some(k) = map.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(format!("unknown member {k:?}"));
    }
    if let Some(f) = fields.iter().find(|f| !map.contains_key(**f)) {
        return Err(format!("missing member {f:?}"));
    }
    Ok(map)
}

/// An integer, also written as an integral float (RFC 8785 writes both
/// the same), within the range RFC 8785 represents exactly.
fn integer(v: Option<&Value>) -> Option<i64> {
    let Value::Number(n) = v? else { return None };
    let i = match n.as_i64() {
        Some(i) => i,
        None => {
            let f = n.as_f64()?;
            if f.fract() != 0.0 || f.abs() > MAX_SAFE_INTEGER as f64 {
                return None;
            }
            f as i64
        }
    };
    (i.abs() <= MAX_SAFE_INTEGER).then_some(i)
}

/// `map` with its members in name order, whatever serde_json's map
/// implementation keeps.
fn canonical_bytes(map: &Map<String, Value>) -> Vec<u8> {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    let mut out = b"{".to_vec();
    for (i, k) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend(serde_json::to_vec(k).expect("a string serialises"));
        out.push(b':');
        out.extend(serde_json::to_vec(&map[k]).expect("a scalar serialises"));
    }
    out.push(b'}');
    out
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::sigstore::fixture;

    /// containers/image's `rekor-set` fixture: valid, logged at
    /// 1670870899, for `rekor-payload`, `rekor-sig` and the certificate
    /// `rekor-cert`.
    #[test]
    fn containers_image_rekor_set_fixture() {
        let rekor = PublicKey::from_pem(&fixture("rekor.pub")).unwrap();
        let entry = verify_bundle(std::slice::from_ref(&rekor), &fixture("rekor-set")).unwrap();
        assert_eq!(entry.integrated_time, 1670870899);
        let cert = pem::first(&fixture("internal-testdata/rekor-cert"))
            .unwrap()
            .0
            .der;
        let sig = fixture("rekor-sig");
        let sig = super::super::decode_base64(sig.trim_ascii()).unwrap();
        let payload = fixture("rekor-payload");
        entry.matches(&cert, &sig, &payload).unwrap();
        // Another payload, signature or key: refused.
        assert_eq!(
            entry.matches(&cert, &sig, b"{}"),
            Err(SetError::Mismatch("payload"))
        );
        assert_eq!(
            entry.matches(&cert, &sig[1..], &payload),
            Err(SetError::Mismatch("signature"))
        );
        assert_eq!(
            entry.matches(rekor.spki_der(), &sig, &payload),
            Err(SetError::Mismatch("key or certificate"))
        );
        // A SET by another key, or altered: not signed by the Rekor key.
        let other = PublicKey::from_pem(&fixture("cosign.pub")).unwrap();
        assert_eq!(
            verify_bundle(&[other], &fixture("rekor-set")).unwrap_err(),
            SetError::BadSignature
        );
        let altered = String::from_utf8(fixture("rekor-set"))
            .unwrap()
            .replace("1670870899", "1670870900");
        assert_eq!(
            verify_bundle(&[rekor], altered.as_bytes()).unwrap_err(),
            SetError::BadSignature
        );
    }
}
