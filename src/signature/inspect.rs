//! `inspect`: what a signature file claims, read without verifying
//! anything, for people debugging a rejected signature.

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
}

pub const UNVERIFIED: &str =
    "UNVERIFIED: nothing below has been checked; use standalone-verify or verify to trust it";

/// Reads the packets and payload of `signature`.
pub fn inspect(signature: &[u8]) -> Result<Inspection, SignatureError> {
    let structure = crate::signature::openpgp::scan(signature)?;
    let (payload, payload_error) = match Payload::parse(&structure.payload) {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Ok(Inspection {
        verified: false,
        warning: UNVERIFIED,
        payload_text: String::from_utf8_lossy(&structure.payload).into_owned(),
        structure,
        payload,
        payload_error,
    })
}

impl Inspection {
    /// The human-readable form; its first line says it is unverified.
    pub fn to_text(&self) -> String {
        let mut t = String::new();
        let s = &self.structure;
        let _ = writeln!(t, "{UNVERIFIED}");
        if let Some(p) = &self.payload {
            let _ = writeln!(t, "claimed identity:  {}", p.docker_reference);
            let _ = writeln!(t, "claimed digest:    {}", p.manifest_digest);
            if let Some(c) = &p.creator {
                let _ = writeln!(t, "creator:           {c:?}");
            }
            if let Some(ts) = p.timestamp {
                let _ = writeln!(t, "timestamp:         {ts}");
            }
        } else if let Some(e) = &self.payload_error {
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
                sig.created.map_or("(unknown)".into(), |c| c.to_string()),
            );
            let _ = writeln!(t, "issuer:            {}", sig.issuers.join(", "));
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
                l.date.unwrap_or(0)
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
