//! The checks of one signature, in skopeo's order: OpenPGP signature,
//! accepted signer, strict payload, manifest digest, signed identity; and
//! the report (text and JSON) of what was found.

use crate::digest::Digest;
use crate::identity::{ExpectedIdentity, IdentityError};
use crate::keyring::{Accepted, Keyring};
use crate::manifest;
use crate::payload::Payload;
use crate::pgp::{self, SignatureError};
use serde::Serialize;
use std::time::SystemTime;

/// Why a check did not pass. The kebab-case names are the stable `reason`
/// values of the JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    Ok,
    Usage,
    IoError,
    InvalidReferenceArgument,
    NotOpenpgp,
    NotSigned,
    TooLarge,
    MultipleSignatures,
    BadSignature,
    UnknownKey,
    SignatureExpired,
    SignatureNotYetValid,
    KeyExpired,
    KeyRevoked,
    KeyNotSigningCapable,
    KeyInvalid,
    InsecureAlgorithm,
    FingerprintNotAccepted,
    InvalidPayload,
    InvalidManifest,
    DigestMismatch,
    InvalidSignedReference,
    IdentityMismatch,
}

impl Reason {
    /// The stable name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Ok => "ok",
            Reason::Usage => "usage",
            Reason::IoError => "io-error",
            Reason::InvalidReferenceArgument => "invalid-reference-argument",
            Reason::NotOpenpgp => "not-openpgp",
            Reason::NotSigned => "not-signed",
            Reason::TooLarge => "too-large",
            Reason::MultipleSignatures => "multiple-signatures",
            Reason::BadSignature => "bad-signature",
            Reason::UnknownKey => "unknown-key",
            Reason::SignatureExpired => "signature-expired",
            Reason::SignatureNotYetValid => "signature-not-yet-valid",
            Reason::KeyExpired => "key-expired",
            Reason::KeyRevoked => "key-revoked",
            Reason::KeyNotSigningCapable => "key-not-signing-capable",
            Reason::KeyInvalid => "key-invalid",
            Reason::InsecureAlgorithm => "insecure-algorithm",
            Reason::FingerprintNotAccepted => "fingerprint-not-accepted",
            Reason::InvalidPayload => "invalid-payload",
            Reason::InvalidManifest => "invalid-manifest",
            Reason::DigestMismatch => "digest-mismatch",
            Reason::InvalidSignedReference => "invalid-signed-reference",
            Reason::IdentityMismatch => "identity-mismatch",
        }
    }
}

impl From<&SignatureError> for Reason {
    fn from(e: &SignatureError) -> Reason {
        match e {
            SignatureError::TooLarge | SignatureError::PayloadTooLarge => Reason::TooLarge,
            SignatureError::NotOpenPgp(_) => Reason::NotOpenpgp,
            SignatureError::Malformed(_) => Reason::BadSignature,
            SignatureError::NotSigned(_) => Reason::NotSigned,
            SignatureError::SignatureCount(_) => Reason::MultipleSignatures,
            SignatureError::UnknownKey(_) => Reason::UnknownKey,
            SignatureError::BadSignature { .. } => Reason::BadSignature,
            SignatureError::SignatureExpired { .. } => Reason::SignatureExpired,
            SignatureError::SignatureNotYetValid { .. } => Reason::SignatureNotYetValid,
            SignatureError::KeyExpired { .. } => Reason::KeyExpired,
            SignatureError::KeyRevoked { .. } => Reason::KeyRevoked,
            SignatureError::KeyNotSigningCapable { .. } => Reason::KeyNotSigningCapable,
            SignatureError::InsecureAlgorithm { .. } => Reason::InsecureAlgorithm,
            SignatureError::KeyInvalid { .. } => Reason::KeyInvalid,
        }
    }
}

/// The outcome of checking one signature: every field that was learnt,
/// whether or not the checks passed. Field names are the JSON schema.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub verified: bool,
    pub reason: Reason,
    pub message: String,
    pub primary_fingerprint: Option<String>,
    pub signing_key_fingerprint: Option<String>,
    pub manifest_digest: Option<String>,
    pub signed_digest: Option<String>,
    pub signed_identity: Option<String>,
    pub expected_identity: Option<String>,
    pub creator: Option<String>,
    pub timestamp: Option<i64>,
    /// The input could not be checked at all (usage, I/O), as opposed to
    /// a signature that was checked and rejected.
    #[serde(skip)]
    pub could_not_check: bool,
}

impl Report {
    /// A report for a failure before any signature was looked at.
    pub fn failed(reason: Reason, message: impl Into<String>) -> Report {
        Report {
            verified: false,
            reason,
            message: message.into(),
            primary_fingerprint: None,
            signing_key_fingerprint: None,
            manifest_digest: None,
            signed_digest: None,
            signed_identity: None,
            expected_identity: None,
            creator: None,
            timestamp: None,
            could_not_check: false,
        }
    }

    /// 0 verified, 1 rejected, 2 could not check.
    pub fn exit_code(&self) -> i32 {
        if self.verified {
            0
        } else if self.could_not_check
            || matches!(
                self.reason,
                Reason::Usage | Reason::IoError | Reason::InvalidReferenceArgument
            )
        {
            2
        } else {
            1
        }
    }

    fn fail(mut self, reason: Reason, message: impl Into<String>) -> Report {
        self.verified = false;
        self.reason = reason;
        self.message = message.into();
        self
    }
}

/// What the signed image must be: its manifest bytes, or only its digest
/// (as the cluster-version-operator verifies releases).
#[derive(Debug, Clone, Copy)]
pub enum Image<'a> {
    Manifest(&'a [u8]),
    Digest(&'a Digest),
}

/// Everything one signature is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Checks<'a> {
    pub keyring: &'a Keyring,
    pub accepted: &'a Accepted,
    pub expected: &'a ExpectedIdentity,
    /// When key validity (expiry, revocation) is judged.
    pub at: SystemTime,
}

/// Runs every check on `signature` in skopeo's order, stopping at the
/// first failure; the report says which check failed and why.
pub fn check_signature(signature: &[u8], image: Image<'_>, checks: &Checks<'_>) -> Report {
    let mut report = Report::failed(Reason::Ok, "");
    report.expected_identity = Some(match checks.expected {
        ExpectedIdentity::Exact(r) | ExpectedIdentity::RepoDigestOrExact(r) => r.to_string(),
        ExpectedIdentity::Repository(r) => r.repository(),
    });
    if let Image::Digest(d) = image {
        report.manifest_digest = Some(d.to_string());
    }

    let verified = match pgp::verify(signature, checks.keyring, checks.at) {
        Ok(v) => v,
        Err(e) => return report.fail(Reason::from(&e), e.to_string()),
    };
    report.primary_fingerprint = Some(verified.primary.to_hex());
    report.signing_key_fingerprint = Some(verified.signing_key.to_hex());
    if !checks
        .accepted
        .accepts(checks.keyring, &verified.primary, &verified.signing_key)
    {
        let msg = format!(
            "signed by key {}, which is not among the accepted fingerprints",
            verified.primary.to_hex()
        );
        return report.fail(Reason::FingerprintNotAccepted, msg);
    }

    let payload = match Payload::parse(&verified.payload) {
        Ok(p) => p,
        Err(e) => return report.fail(Reason::InvalidPayload, e.to_string()),
    };
    report.signed_digest = Some(payload.manifest_digest.to_string());
    report.signed_identity = Some(payload.docker_reference.clone());
    report.creator = payload.creator.clone();
    report.timestamp = payload.timestamp;

    let actual = match image {
        Image::Manifest(bytes) => {
            match manifest::digest_with(bytes, payload.manifest_digest.algorithm()) {
                Ok(d) => d,
                Err(e) => return report.fail(Reason::InvalidManifest, e.to_string()),
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
        return report.fail(Reason::DigestMismatch, msg);
    }

    if let Err(e) = checks.expected.check(&payload.docker_reference) {
        let reason = match e {
            IdentityError::Invalid { .. } => Reason::InvalidSignedReference,
            IdentityError::Mismatch { .. } => Reason::IdentityMismatch,
        };
        return report.fail(reason, e.to_string());
    }
    report.verified = true;
    report.message = format!(
        "Signature verified using fingerprint {}, digest {}",
        verified.primary.to_hex(),
        actual
    );
    report
}

/// The arguments of `standalone-verify`, as given on the command line.
#[derive(Debug, Clone)]
pub struct StandaloneArgs<'a> {
    pub manifest: &'a std::path::Path,
    pub reference: &'a str,
    pub fingerprints: &'a str,
    pub signature: &'a std::path::Path,
    /// Key files; empty means the built-in Red Hat keyring.
    pub key_files: &'a [std::path::PathBuf],
    pub at: SystemTime,
}

/// The whole `standalone-verify` job: argument checks, reading the
/// files, then [`check_signature`]. Input problems are reported with
/// `could_not_check` set, so callers can tell them from a rejection.
pub fn standalone_verify(args: &StandaloneArgs<'_>) -> (Report, Vec<String>) {
    let input_error = |reason, msg: String| {
        let mut r = Report::failed(reason, msg);
        r.could_not_check = true;
        (r, Vec::new())
    };
    let accepted = match Accepted::parse(args.fingerprints) {
        Ok(a) => a,
        Err(e @ crate::keyring::FingerprintError::Empty) => {
            return input_error(Reason::Usage, e.to_string());
        }
        Err(e) => return input_error(Reason::FingerprintNotAccepted, e.to_string()),
    };
    let expected = match crate::reference::Reference::parse(args.reference) {
        Ok(r) => ExpectedIdentity::Exact(r),
        Err(e) => return input_error(Reason::InvalidReferenceArgument, e.to_string()),
    };
    let manifest = match crate::bounded::read_bounded(args.manifest, "manifest", MAX_MANIFEST_SIZE)
    {
        Ok(m) => m,
        Err(e) => return input_error(Reason::IoError, e),
    };
    // One byte more than the limit, so that an oversized signature is
    // rejected as `too-large` by the OpenPGP layer, not as an I/O problem.
    let signature = match crate::bounded::read_bounded(
        args.signature,
        "signature",
        pgp::MAX_SIGNATURE_SIZE as u64 + 1,
    ) {
        Ok(s) => s,
        Err(e) => return input_error(Reason::IoError, e),
    };
    let keyring = if args.key_files.is_empty() {
        Keyring::redhat()
    } else {
        match Keyring::from_files(args.key_files) {
            Ok(k) => k,
            Err(e) => return input_error(Reason::IoError, e.to_string()),
        }
    };
    let checks = Checks {
        keyring: &keyring,
        accepted: &accepted,
        expected: &expected,
        at: args.at,
    };
    let report = check_signature(&signature, Image::Manifest(&manifest), &checks);
    (report, keyring.warnings().to_vec())
}

/// Manifests are kilobytes; registries refuse more than 4 MiB.
pub const MAX_MANIFEST_SIZE: u64 = 4 * 1024 * 1024;
