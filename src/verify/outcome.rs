//! What became of one image: its [`Status`], the signature that vouched
//! for it, every rejected signature, and the sources that could not be
//! read. Field names are the JSON schema of `relsig verify`.

use crate::image::digest::Digest;
use crate::signature::{Kind, Reason, SignatureOutcome};
use crate::sources::stores::Signature;
use crate::status::Status;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// Why an image got its verdict; the JSON `reason` of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageReason {
    Ok,
    /// No source has a signature for the digest.
    NoSignatures,
    /// No signature source was given and none applies to the image.
    NoSignatureSource,
    /// The registry served a manifest whose digest is not the pinned one.
    DigestMismatch,
    /// Every signature was rejected; the reason of the one that got
    /// furthest through the checks.
    Rejected(Reason),
    RegistryError,
    UnknownVersion,
    GraphError,
    SourceError,
    /// The image's or the run's time limit ran out before the image could
    /// be checked.
    Timeout,
}

impl ImageReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageReason::Ok => "ok",
            ImageReason::NoSignatures => "no-signatures",
            ImageReason::NoSignatureSource => "no-signature-source",
            ImageReason::DigestMismatch => "digest-mismatch",
            ImageReason::Rejected(r) => r.as_str(),
            ImageReason::RegistryError => "registry-error",
            ImageReason::UnknownVersion => "unknown-version",
            ImageReason::GraphError => "graph-error",
            ImageReason::SourceError => "source-error",
            ImageReason::Timeout => "timeout",
        }
    }
}

impl Serialize for ImageReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Which mechanisms must have a verified signature (`--require`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Require {
    /// A verified signature of either mechanism.
    #[default]
    Either,
    Gpg,
    Sigstore,
    /// A verified signature of each.
    Both,
}

impl Require {
    /// The mechanisms that must each have a verified signature (any one
    /// for [`Require::Either`]).
    fn kinds(self) -> &'static [Kind] {
        match self {
            Require::Either | Require::Both => &[Kind::OpenPgp, Kind::Sigstore],
            Require::Gpg => &[Kind::OpenPgp],
            Require::Sigstore => &[Kind::Sigstore],
        }
    }

    /// Whether a verified signature of `kind` counts.
    pub fn counts(self, kind: Kind) -> bool {
        self.kinds().contains(&kind)
    }

    fn verified(counts: &BTreeMap<&'static str, MechanismCount>, kind: Kind) -> bool {
        counts.get(kind.name()).is_some_and(|c| c.verified > 0)
    }

    /// Whether the verified signatures counted satisfy the requirement.
    pub fn satisfied(self, counts: &BTreeMap<&'static str, MechanismCount>) -> bool {
        match self {
            Require::Either => self.kinds().iter().any(|k| Require::verified(counts, *k)),
            _ => self.kinds().iter().all(|k| Require::verified(counts, *k)),
        }
    }

    /// The mechanisms still missing a verified signature.
    fn missing(self, counts: &BTreeMap<&'static str, MechanismCount>) -> Vec<Kind> {
        if self.satisfied(counts) {
            return Vec::new();
        }
        self.kinds()
            .iter()
            .copied()
            .filter(|k| !Require::verified(counts, *k))
            .collect()
    }
}

/// What one mechanism's signatures came to for an image.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct MechanismCount {
    pub found: usize,
    pub verified: usize,
}

/// A source that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct SourceFailure {
    pub source: String,
    pub message: String,
}

/// Everything learnt about one image. Field names are the JSON schema.
#[derive(Debug, Clone, Serialize)]
pub struct ImageOutcome {
    /// The argument as given.
    pub image: String,
    pub status: Status,
    /// `status` under its name before 0.2 (`verified`, `not-verified`,
    /// `error`); kept for one release.
    verdict: LegacyVerdict,
    pub verified: bool,
    pub reason: ImageReason,
    pub message: String,
    /// The digest that was checked (from the registry, the graph or the
    /// command line).
    pub digest: Option<Digest>,
    pub expected_identity: Option<String>,
    /// The first signature that passed every check.
    pub accepted: Option<SignatureOutcome>,
    /// Further signatures that passed, from the same source.
    pub also_verified: Vec<SignatureOutcome>,
    pub rejected: Vec<SignatureOutcome>,
    /// Sources that could not be read.
    pub errors: Vec<SourceFailure>,
    /// Sources that were read, in order.
    pub sources: Vec<String>,
    /// Per mechanism ("gpg", "sigstore"): signatures found and verified.
    pub mechanisms: BTreeMap<&'static str, MechanismCount>,
    /// The bytes of every verified signature, when
    /// [`Settings::keep_signatures`](super::Settings::keep_signatures) is set.
    #[serde(skip)]
    pub verified_signatures: Vec<Signature>,
}

impl ImageOutcome {
    pub(crate) fn new(image: &str) -> ImageOutcome {
        ImageOutcome {
            image: image.to_string(),
            status: Status::CouldNotCheck,
            verdict: LegacyVerdict(Status::CouldNotCheck),
            verified: false,
            reason: ImageReason::Ok,
            message: String::new(),
            digest: None,
            expected_identity: None,
            accepted: None,
            also_verified: Vec::new(),
            rejected: Vec::new(),
            errors: Vec::new(),
            sources: Vec::new(),
            mechanisms: BTreeMap::new(),
            verified_signatures: Vec::new(),
        }
    }

    pub(crate) fn finish(
        mut self,
        status: Status,
        reason: ImageReason,
        message: String,
    ) -> ImageOutcome {
        self.status = status;
        self.verdict = LegacyVerdict(status);
        self.verified = status == Status::Verified;
        self.reason = reason;
        self.message = message;
        self
    }
}

/// Restates the JSON of an [`ImageOutcome`] (or of a document that
/// flattens one) with the status, reason and message a command came to
/// after verifying (`fetch` that could not write what verified), so that
/// the image's JSON says what its exit code says.
pub fn restate(json: &mut serde_json::Value, status: Status, reason: &str, message: &str) {
    if let Some(o) = json.as_object_mut() {
        o.insert("status".into(), serde_json::json!(status));
        o.insert("verdict".into(), serde_json::json!(LegacyVerdict(status)));
        o.insert("reason".into(), reason.into());
        o.insert("message".into(), message.into());
    }
}

/// [`Status`] in the words `verify` used before 0.2.
#[derive(Debug, Clone, Copy)]
struct LegacyVerdict(Status);

impl Serialize for LegacyVerdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self.0 {
            Status::Verified => "verified",
            Status::Rejected => "not-verified",
            Status::CouldNotCheck => "error",
        })
    }
}

pub(crate) fn judge(out: &ImageOutcome, require: Require) -> (Status, ImageReason, String) {
    let missing = require.missing(&out.mechanisms);
    if let (Some(a), true) = (&out.accepted, missing.is_empty()) {
        let key = a.report.key_fingerprint.as_deref().unwrap_or("?");
        let mut msg = format!("verified using key {key} ({})", a.source);
        // A source that failed after (or besides) the accepted signature
        // does not undo it, but the user should hear of it.
        for e in &out.errors {
            msg.push_str(&format!("; warning: {}", e.message));
        }
        return (Status::Verified, ImageReason::Ok, msg);
    }
    // Only the signatures of the mechanisms still missing explain why.
    let relevant: Vec<&SignatureOutcome> = out
        .rejected
        .iter()
        .filter(|s| {
            require == Require::Either || missing.iter().any(|k| k.name() == s.report.mechanism)
        })
        .collect();
    let rejected = relevant.len();
    let best = relevant
        .iter()
        .rev()
        .max_by_key(|s| s.report.reason.progress());
    if !out.errors.is_empty() {
        let errors: Vec<&str> = out.errors.iter().map(|e| e.message.as_str()).collect();
        let mut msg = format!("could not read signatures: {}", errors.join("; "));
        if let Some(b) = best {
            msg.push_str(&format!(
                "; the {rejected} signature(s) read were rejected ({}: {})",
                b.report.reason.as_str(),
                b.report.message
            ));
        }
        return (Status::CouldNotCheck, ImageReason::SourceError, msg);
    }
    let which = match (require, missing.as_slice()) {
        (Require::Either, _) | (_, []) => String::new(),
        (_, kinds) => {
            let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
            format!("{} ", names.join(" and "))
        }
    };
    match best {
        None => (
            Status::Rejected,
            ImageReason::NoSignatures,
            format!(
                "no {which}signatures for {} in {}",
                out.digest
                    .as_ref()
                    .map_or("the image".to_string(), |d| d.to_string()),
                out.sources.join(", ")
            ),
        ),
        Some(b) => (
            Status::Rejected,
            ImageReason::Rejected(b.report.reason),
            format!(
                "{rejected} {which}signature(s), none accepted; {}: {} ({})",
                b.report.reason.as_str(),
                b.report.message,
                b.source
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legacy_verdict_names_follow_the_status() {
        for (status, legacy) in [
            (Status::Verified, "verified"),
            (Status::Rejected, "not-verified"),
            (Status::CouldNotCheck, "error"),
        ] {
            let o = ImageOutcome::new("x").finish(status, ImageReason::Ok, String::new());
            let json = serde_json::to_value(&o).unwrap();
            assert_eq!(json["verdict"], legacy);
            assert_eq!(json["status"], serde_json::to_value(status).unwrap());
        }
    }
}
