//! The checks of one signature, in skopeo's order: the mechanism's
//! cryptography and accepted signer, the strict payload, the manifest
//! digest, the signed identity. Shared by every mechanism.

use super::identity::{ExpectedIdentity, IdentityError};
use super::payload::Payload;
use super::{Kind, Mechanism, Reason, Report};
use crate::image::digest::Digest;
use crate::image::manifest::Manifest;
use std::time::SystemTime;

/// What the signed image must be: its manifest, or only its digest (as
/// the cluster-version-operator verifies releases). The manifest keeps
/// the digests computed for the image's first signature for the others.
#[derive(Debug, Clone, Copy)]
pub enum Image<'a> {
    Manifest(&'a Manifest<'a>),
    Digest(&'a Digest),
}

/// Everything one signature is checked against.
#[derive(Clone, Copy)]
pub struct Checks<'a> {
    /// The mechanism with its trusted and accepted keys.
    pub mechanism: &'a dyn Mechanism,
    pub expected: &'a ExpectedIdentity,
    /// When key validity (expiry, revocation) is judged.
    pub at: SystemTime,
}

/// Runs every check on `signature` in skopeo's order, stopping at the
/// first failure; the report says which check failed and why.
pub fn check_signature(signature: &[u8], image: Image<'_>, checks: &Checks<'_>) -> Report {
    let kind = Kind::of(signature);
    let mut report = Report::new(Reason::Ok, "");
    report.mechanism = kind.name();
    report.expected_identity = Some(checks.expected.name());
    if let Image::Digest(d) = image {
        report.manifest_digest = Some(d.to_string());
    }

    let signed = match checks.mechanism.open(signature, checks.at) {
        Ok(s) => s,
        Err(refused) => {
            if let Some(s) = refused.signer {
                report.set_signer(s);
            }
            return report.finish(refused.reason, refused.message);
        }
    };
    let key = signed.signer.key_fingerprint.clone();
    report.set_signer(signed.signer);

    let payload = match Payload::parse_with(&signed.payload, kind.payload_rules()) {
        Ok(p) => p,
        Err(e) => return report.finish(Reason::InvalidPayload, e.to_string()),
    };
    report.signed_digest = Some(payload.manifest_digest.to_string());
    report.signed_identity = Some(payload.docker_reference.clone());
    report.creator = payload.creator.clone();
    report.timestamp = payload.timestamp;

    let actual = match image {
        Image::Manifest(manifest) => {
            match manifest.digest_with(payload.manifest_digest.algorithm()) {
                Ok(d) => d,
                Err(e) => return report.finish(Reason::InvalidManifest, e.to_string()),
            }
        }
        Image::Digest(d) => d.clone(),
    };
    report.manifest_digest = Some(actual.to_string());
    if actual != payload.manifest_digest {
        let msg = format!(
            "manifest digest {actual} does not match the signed digest {}",
            payload.manifest_digest
        );
        return report.finish(Reason::DigestMismatch, msg);
    }

    if let Err(e) = checks.expected.check(&payload.docker_reference) {
        let reason = match e {
            IdentityError::Invalid { .. } => Reason::InvalidSignedReference,
            IdentityError::Mismatch { .. } => Reason::IdentityMismatch,
        };
        return report.finish(reason, e.to_string());
    }
    report.finish(
        Reason::Ok,
        format!("Signature verified using fingerprint {key}, digest {actual}"),
    )
}
