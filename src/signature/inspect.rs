//! `inspect`: what a signature file claims, read without verifying
//! anything, for people debugging a rejected signature.

use crate::signature::openpgp::keyring::{REDHAT_BETA_KEY_2, REDHAT_RELEASE_KEY_2};
use crate::signature::openpgp::{SignatureError, Structure};
use crate::signature::payload::Payload;
use serde::Serialize;
use std::fmt::Write as _;

/// The untrusted contents of a signature file.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// Always false: a reminder for scripts that read the JSON.
    pub verified: bool,
    pub warning: &'static str,
    pub structure: Structure,
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

/// Reads the packets and payload of `signature`.
/// A file that is no OpenPGP message at all is an error; one that stops
/// early is described as far as it could be read (see
/// [`Inspection::incomplete`]).
pub fn inspect(signature: &[u8]) -> Result<Inspection, SignatureError> {
    let (mut structure, stopped) = crate::signature::openpgp::scan_partial(signature)?;
    // What was read of literal data that stops early.
    if let Some(l) = structure.literal.as_mut() {
        l.length = structure.payload.len();
    }
    let nothing_read = structure.literal.is_none()
        && structure.signatures.is_empty()
        && structure.one_pass_signatures == 0
        && structure.compression.is_empty();
    if let Some(e) = stopped.as_ref().filter(|_| nothing_read) {
        return Err(e.clone());
    }
    let (payload, payload_error) = match Payload::parse(&structure.payload) {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let (claimed_identity, claimed_digest) = match &payload {
        Some(p) => (
            Some(p.docker_reference.clone()),
            Some(p.manifest_digest.to_string()),
        ),
        None => claimed(&structure.payload),
    };
    let known_issuers = structure
        .signatures
        .iter()
        .flat_map(|s| &s.issuers)
        .filter_map(|i| known_key(i))
        .map(str::to_string)
        .collect();
    Ok(Inspection {
        verified: false,
        warning: UNVERIFIED,
        payload_text: String::from_utf8_lossy(&structure.payload).into_owned(),
        structure,
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
        let s = &self.structure;
        let _ = writeln!(t, "{UNVERIFIED}");
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
