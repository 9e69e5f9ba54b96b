//! `inspect`: what a signature file claims, read without verifying
//! anything, for people debugging a rejected signature.

use crate::signature::Kind;
use crate::signature::openpgp::keyring::{REDHAT_BETA_KEY_2, REDHAT_RELEASE_KEY_2};
use crate::signature::openpgp::{SignatureError, Structure};
use crate::signature::payload::Payload;
use crate::signature::sigstore::format::{
    BUNDLE_ANNOTATION, CERTIFICATE_ANNOTATION, FormatError, SigstoreSignature,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Why a file could not be inspected.
#[derive(Debug, Clone, thiserror::Error)]
pub enum InspectError {
    #[error(transparent)]
    OpenPgp(#[from] SignatureError),
    #[error(transparent)]
    Sigstore(#[from] FormatError),
}

/// The untrusted contents of a signature file.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// Always false: a reminder for scripts that read the JSON.
    pub verified: bool,
    pub warning: &'static str,
    /// "gpg" or "sigstore".
    pub mechanism: &'static str,
    /// The OpenPGP message's packets (GPG signatures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structure: Option<Structure>,
    /// The sigstore signature's parts (sigstore signatures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigstore: Option<SigstoreParts>,
    /// The payload, when it passes the strict parse.
    pub payload: Option<Payload>,
    /// Why the payload does not parse, if it does not.
    pub payload_error: Option<String>,
    /// The payload as text (lossy UTF-8), for reading what was signed.
    pub payload_text: String,
    /// `critical.identity.docker-reference` and
    /// `critical.image.docker-manifest-digest` as the payload claims
    /// them, read leniently: also when the strict rules refuse the
    /// payload.
    pub claimed_identity: Option<String>,
    pub claimed_digest: Option<String>,
    /// The names of the issuers relsig knows (Red Hat's keys).
    pub known_issuers: Vec<String>,
    /// Why reading stopped before the end (a truncated or damaged file):
    /// everything above is what was read up to there.
    pub incomplete: Option<String>,
}

pub const UNVERIFIED: &str =
    "UNVERIFIED: nothing below has been checked; use standalone-verify or verify to trust it";

/// What a sigstore signature carries besides its payload, unverified.
#[derive(Debug, Clone, Serialize)]
pub struct SigstoreParts {
    pub mime_type: String,
    /// Every annotation, the long ones (certificates, bundle) shortened.
    pub annotations: BTreeMap<String, String>,
    /// The Rekor bundle's claimed log time (seconds since the epoch).
    pub rekor_integrated_time: Option<i64>,
    /// The Rekor bundle's claimed log index.
    pub rekor_log_index: Option<i64>,
    /// Whether a signer certificate is attached (Fulcio, PKI).
    pub has_certificate: bool,
}

/// Reads the packets (or sigstore parts) and payload of `signature`.
/// A file that is no signature at all is an error; an OpenPGP message
/// that stops early is described as far as it could be read (see
/// [`Inspection::incomplete`]).
pub fn inspect(signature: &[u8]) -> Result<Inspection, InspectError> {
    let kind = Kind::of(signature);
    let mut stopped = None;
    let (payload_bytes, structure, sigstore) = match kind {
        Kind::OpenPgp => {
            let (mut structure, partial) = crate::signature::openpgp::scan_partial(signature)?;
            // What was read of literal data that stops early.
            if let Some(l) = structure.literal.as_mut() {
                l.length = structure.payload.len();
            }
            let nothing_read = structure.literal.is_none()
                && structure.signatures.is_empty()
                && structure.one_pass_signatures == 0
                && structure.compression.is_empty();
            if let Some(e) = partial.as_ref().filter(|_| nothing_read) {
                return Err(e.clone().into());
            }
            stopped = partial;
            (structure.payload.clone(), Some(structure), None)
        }
        Kind::Sigstore => {
            let sig = SigstoreSignature::parse(signature)?;
            let bundle: Option<serde_json::Value> = sig
                .annotation(BUNDLE_ANNOTATION)
                .and_then(|b| serde_json::from_str(b).ok());
            let claim = |k: &str| bundle.as_ref().and_then(|b| b["Payload"][k].as_i64());
            let parts = SigstoreParts {
                mime_type: sig.mime_type.clone(),
                annotations: sig
                    .annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), truncate(v, 120)))
                    .collect(),
                rekor_integrated_time: claim("integratedTime"),
                rekor_log_index: claim("logIndex"),
                has_certificate: sig.annotation(CERTIFICATE_ANNOTATION).is_some(),
            };
            (sig.payload, None, Some(parts))
        }
    };
    let (payload, payload_error) = match Payload::parse_with(&payload_bytes, kind.payload_rules()) {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let (claimed_identity, claimed_digest) = match &payload {
        Some(p) => (
            Some(p.docker_reference.clone()),
            Some(p.manifest_digest.to_string()),
        ),
        None => claimed(&payload_bytes),
    };
    let known_issuers = structure
        .iter()
        .flat_map(|s| &s.signatures)
        .flat_map(|s| &s.issuers)
        .filter_map(|i| known_key(i))
        .map(str::to_string)
        .collect();
    Ok(Inspection {
        verified: false,
        warning: UNVERIFIED,
        mechanism: kind.name(),
        payload_text: String::from_utf8_lossy(&payload_bytes).into_owned(),
        structure,
        sigstore,
        payload,
        payload_error,
        claimed_identity,
        claimed_digest,
        known_issuers,
        incomplete: stopped.map(|e| e.to_string()),
    })
}

/// The identity and digest a payload claims, from any JSON shape that
/// has them where the format puts them.
fn claimed(payload: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(payload) else {
        return (None, None);
    };
    let at = |path: &str| v.pointer(path).and_then(|s| s.as_str()).map(str::to_string);
    (
        at("/critical/identity/docker-reference"),
        at("/critical/image/docker-manifest-digest"),
    )
}

/// The name of a Red Hat key, given its fingerprint or key ID.
fn known_key(issuer: &str) -> Option<&'static str> {
    [
        (REDHAT_RELEASE_KEY_2, "Red Hat release key 2"),
        (REDHAT_BETA_KEY_2, "Red Hat beta key 2"),
    ]
    .into_iter()
    .find(|(fpr, _)| issuer.len() >= 16 && fpr.ends_with(&issuer.to_ascii_uppercase()))
    .map(|(_, name)| name)
}

/// An epoch time with its RFC 3339 form: `1700000000 (2023-11-14T22:13:20Z)`.
fn epoch_and_rfc3339(secs: u64) -> String {
    let time = i64::try_from(secs)
        .ok()
        .and_then(|s| chrono::DateTime::<chrono::Utc>::from_timestamp(s, 0));
    match time {
        Some(t) => format!(
            "{secs} ({})",
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        None => secs.to_string(),
    }
}

impl Inspection {
    /// The human-readable form; its first line says it is unverified.
    pub fn to_text(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(t, "{UNVERIFIED}");
        let _ = writeln!(t, "mechanism:         {}", self.mechanism);
        if let Some(e) = &self.incomplete {
            let _ = writeln!(
                t,
                "incomplete:        reading stopped: {e}; below is what was read"
            );
        }
        if let Some(p) = &self.payload {
            let _ = writeln!(t, "claimed identity:  {}", p.docker_reference);
            let _ = writeln!(t, "claimed digest:    {}", p.manifest_digest);
            if let Some(c) = &p.creator {
                let _ = writeln!(t, "creator:           {c:?}");
            }
            if let Some(ts) = p.timestamp {
                let time = u64::try_from(ts).map_or(ts.to_string(), epoch_and_rfc3339);
                let _ = writeln!(t, "timestamp:         {time}");
            }
        } else if let Some(e) = &self.payload_error {
            if let Some(i) = &self.claimed_identity {
                let _ = writeln!(t, "claimed identity:  {i}");
            }
            if let Some(d) = &self.claimed_digest {
                let _ = writeln!(t, "claimed digest:    {d}");
            }
            let _ = writeln!(t, "payload:           not a valid signature payload: {e}");
            let _ = writeln!(
                t,
                "payload text:      {:?}",
                truncate(&self.payload_text, 400)
            );
        }
        if let Some(ss) = &self.sigstore {
            let _ = writeln!(t, "media type:        {}", ss.mime_type);
            for (k, v) in &ss.annotations {
                let _ = writeln!(t, "annotation:        {k}: {v}");
            }
            if let Some(time) = ss.rekor_integrated_time {
                let _ = writeln!(
                    t,
                    "rekor log time:    {time} (claimed), log index {}",
                    ss.rekor_log_index.map_or("?".into(), |i| i.to_string())
                );
            }
            return t;
        }
        let Some(s) = &self.structure else {
            return t;
        };
        for sig in &s.signatures {
            let _ = writeln!(
                t,
                "signature:         v{} {} over {}, {} / {}, created {}",
                sig.version,
                sig.typ,
                if s.one_pass_signatures > 0 {
                    "one-pass message"
                } else {
                    "message"
                },
                sig.public_key_algorithm,
                sig.hash_algorithm,
                sig.created.map_or("(unknown)".into(), epoch_and_rfc3339),
            );
            let issuers: Vec<String> = sig
                .issuers
                .iter()
                .map(|i| match known_key(i) {
                    Some(name) => format!("{i} ({name})"),
                    None => i.clone(),
                })
                .collect();
            let _ = writeln!(t, "issuer:            {}", issuers.join(", "));
        }
        if s.signatures.is_empty() {
            let _ = writeln!(t, "signature:         none");
        }
        let _ = writeln!(
            t,
            "compression:       {}",
            if s.compression.is_empty() {
                "none".to_string()
            } else {
                s.compression.join(", ")
            }
        );
        if let Some(l) = &s.literal {
            let _ = writeln!(
                t,
                "literal data:      {} bytes, format {}, name {:?}, date {}",
                l.length,
                l.format,
                l.filename.as_deref().unwrap_or(""),
                epoch_and_rfc3339(l.date.unwrap_or(0))
            );
        }
        let _ = writeln!(
            t,
            "armored:           {}",
            if s.armored { "yes" } else { "no" }
        );
        if s.encrypted {
            let _ = writeln!(t, "encrypted:         yes");
        }
        if s.trailing_data {
            let _ = writeln!(t, "trailing data:     yes (ignored, as gpg does)");
        }
        t
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max).collect::<String>() + "…"
    }
}
