//! What checking one signature found: the [`Reason`] vocabulary and the
//! [`Report`] every command shows for a signature.

use crate::status::Status;
use serde::Serialize;

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
    RekorSetInvalid,
    CertificateInvalid,
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
            Reason::RekorSetInvalid => "rekor-set-invalid",
            Reason::CertificateInvalid => "certificate-invalid",
            Reason::FingerprintNotAccepted => "fingerprint-not-accepted",
            Reason::InvalidPayload => "invalid-payload",
            Reason::InvalidManifest => "invalid-manifest",
            Reason::DigestMismatch => "digest-mismatch",
            Reason::InvalidSignedReference => "invalid-signed-reference",
            Reason::IdentityMismatch => "identity-mismatch",
        }
    }

    /// The status a signature stopped for this reason has: the input
    /// problems could not be checked, everything else was rejected.
    pub fn status(self) -> Status {
        match self {
            Reason::Ok => Status::Verified,
            Reason::Usage | Reason::IoError | Reason::InvalidReferenceArgument => {
                Status::CouldNotCheck
            }
            _ => Status::Rejected,
        }
    }

    /// How far through the checks a signature stopped for this reason
    /// got: the one that got furthest explains best why an image is not
    /// verified.
    pub fn progress(self) -> u8 {
        match self {
            Reason::IdentityMismatch | Reason::InvalidSignedReference => 4,
            Reason::DigestMismatch | Reason::InvalidManifest => 3,
            Reason::InvalidPayload => 2,
            Reason::FingerprintNotAccepted => 1,
            _ => 0,
        }
    }
}

/// The outcome of checking one signature: every field that was learnt,
/// whether or not the checks passed. Field names are the JSON schema.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The signature's mechanism: "gpg" or "sigstore".
    pub mechanism: &'static str,
    pub status: Status,
    pub verified: bool,
    pub reason: Reason,
    pub message: String,
    /// The trusted key (an OpenPGP certificate's primary key).
    pub key_fingerprint: Option<String>,
    /// The same value under its name before 0.2; kept for one release.
    #[serde(rename = "primary_fingerprint")]
    primary_fingerprint_alias: Option<String>,
    pub signing_key_fingerprint: Option<String>,
    pub manifest_digest: Option<String>,
    pub signed_digest: Option<String>,
    pub signed_identity: Option<String>,
    pub expected_identity: Option<String>,
    pub creator: Option<String>,
    pub timestamp: Option<i64>,
    /// Sigstore with a certificate: the identity it was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_identity: Option<String>,
    /// Sigstore with Rekor: when the signature was logged (seconds since
    /// the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rekor_integrated_time: Option<i64>,
}

impl Report {
    /// A report that has learnt nothing yet; `reason` says why it stops
    /// (or [`Reason::Ok`] while checks go on).
    pub fn new(reason: Reason, message: impl Into<String>) -> Report {
        Report {
            mechanism: super::Kind::OpenPgp.name(),
            status: reason.status(),
            verified: reason == Reason::Ok,
            reason,
            message: message.into(),
            key_fingerprint: None,
            primary_fingerprint_alias: None,
            signing_key_fingerprint: None,
            manifest_digest: None,
            signed_digest: None,
            signed_identity: None,
            expected_identity: None,
            creator: None,
            timestamp: None,
            certificate_identity: None,
            rekor_integrated_time: None,
        }
    }

    /// A report for input that could not be checked at all (a bad
    /// argument, an unreadable file), whatever its reason's usual status.
    pub fn could_not_check(reason: Reason, message: impl Into<String>) -> Report {
        let mut r = Report::new(reason, message);
        r.status = Status::CouldNotCheck;
        r.verified = false;
        r
    }

    pub(crate) fn set_signer(&mut self, signer: super::Signer) {
        self.set_key(signer.key_fingerprint, signer.signing_key_fingerprint);
        self.certificate_identity = signer.certificate_identity;
        self.rekor_integrated_time = signer.rekor_integrated_time;
    }

    pub(crate) fn set_key(&mut self, key_fingerprint: String, signing_key_fingerprint: String) {
        self.primary_fingerprint_alias = Some(key_fingerprint.clone());
        self.key_fingerprint = Some(key_fingerprint);
        self.signing_key_fingerprint = Some(signing_key_fingerprint);
    }

    /// Ends the checks with `reason`.
    pub(crate) fn finish(mut self, reason: Reason, message: impl Into<String>) -> Report {
        self.status = reason.status();
        self.verified = reason == Reason::Ok;
        self.reason = reason;
        self.message = message.into();
        self
    }
}

/// One signature's report with where the signature came from (URL, file,
/// or `FILE#KEY` of a ConfigMap entry).
#[derive(Debug, Clone, Serialize)]
pub struct SignatureOutcome {
    pub source: String,
    #[serde(flatten)]
    pub report: Report,
}
