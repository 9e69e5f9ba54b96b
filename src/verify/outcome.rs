//! What became of one image: its [`Status`], the signature that vouched
//! for it, every rejected signature, and the sources that could not be
//! read. Field names are the JSON schema of `relsig verify`.

use crate::image::digest::Digest;
use crate::signature::{Reason, SignatureOutcome};
use crate::sources::stores::Signature;
use crate::status::Status;
use serde::{Serialize, Serializer};

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

pub(crate) fn judge(out: &ImageOutcome) -> (Status, ImageReason, String) {
    if let Some(a) = &out.accepted {
        let key = a.report.key_fingerprint.as_deref().unwrap_or("?");
        let mut msg = format!("verified using key {key} ({})", a.source);
        // A source that failed after (or besides) the accepted signature
        // does not undo it, but the user should hear of it.
        for e in &out.errors {
            msg.push_str(&format!("; warning: {}", e.message));
        }
        return (Status::Verified, ImageReason::Ok, msg);
    }
    let rejected = out.rejected.len();
    let best = out
        .rejected
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
    match best {
        None => (
            Status::Rejected,
            ImageReason::NoSignatures,
            format!(
                "no signatures for {} in {}",
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
                "{rejected} signature(s), none accepted; {}: {} ({})",
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
