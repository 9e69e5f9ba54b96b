//! The OpenPGP mechanism (simple signing): where a signature's
//! cryptography is checked. [`verify()`] turns a signed message and a
//! [`Keyring`] into the signed payload and the key that signed it;
//! [`packets`] reads a message's structure without verifying it;
//! [`policy`] says which algorithms and packet versions are accepted.

mod error;
pub mod keyring;
pub mod packets;
pub mod policy;
mod verify;

pub use error::SignatureError;
pub use keyring::{Accepted, Keyring};
pub use packets::{Structure, scan, scan_partial};
pub use verify::{Verified, verify};

use super::{Mechanism, Reason, Refused, Signed, Signer};
use std::time::SystemTime;

/// The OpenPGP mechanism: trusted keys, and which of them are accepted.
#[derive(Debug, Clone, Copy)]
pub struct OpenPgp<'a> {
    pub keyring: &'a Keyring,
    pub accepted: &'a Accepted,
    /// Whether the evaluation time is the current time (no `--at`): a
    /// signature made after it (a signer's clock ahead) is then accepted
    /// with a warning, as gpg accepts it; with `--at TIME` a signature made
    /// after TIME is not valid yet.
    pub judged_now: bool,
}

impl Mechanism for OpenPgp<'_> {
    fn open(&self, signature: &[u8], at: SystemTime) -> Result<Signed, Refused> {
        let mut warnings = Vec::new();
        let v = match verify(signature, self.keyring, at) {
            Err(SignatureError::SignatureNotYetValid { .. }) if self.judged_now => {
                future_signature(signature, self.keyring, at, &mut warnings)
            }
            v => v,
        };
        let v = v.map_err(|e| Refused {
            reason: Reason::from(&e),
            message: e.to_string(),
            signer: None,
        })?;
        let signer = Signer {
            key_fingerprint: v.primary.to_hex(),
            signing_key_fingerprint: v.signing_key.to_hex(),
            certificate_identity: None,
            rekor_integrated_time: None,
        };
        if !self
            .accepted
            .accepts(self.keyring, &v.primary, &v.signing_key)
        {
            return Err(Refused {
                reason: Reason::FingerprintNotAccepted,
                message: format!(
                    "signed by key {}, which is not among the accepted fingerprints",
                    signer.key_fingerprint
                ),
                signer: Some(signer),
            });
        }
        Ok(Signed {
            payload: v.payload,
            signer,
            warnings,
        })
    }
}

/// A signature made after `now`: checked as of its creation time (when
/// it was alive), with a warning saying so; the keys are judged then too.
fn future_signature(
    signature: &[u8],
    keyring: &Keyring,
    now: SystemTime,
    warnings: &mut Vec<String>,
) -> Result<Verified, SignatureError> {
    let created = scan(signature)?
        .signatures
        .first()
        .and_then(|s| s.created)
        .map(|secs| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs));
    let Some(created) = created.filter(|c| *c > now) else {
        return verify(signature, keyring, now);
    };
    let v = verify(signature, keyring, created)?;
    let rfc3339 = |t: SystemTime| {
        chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    warnings.push(format!(
        "the signature was made at {}, after now ({}): accepted as gpg accepts it (the signer's clock may be ahead); --at TIME refuses signatures made after TIME",
        rfc3339(created),
        rfc3339(now)
    ));
    Ok(v)
}

impl From<&SignatureError> for Reason {
    fn from(e: &SignatureError) -> Reason {
        match e {
            SignatureError::TooLarge
            | SignatureError::PayloadTooLarge
            | SignatureError::DecompressedTooLarge => Reason::TooLarge,
            SignatureError::NotOpenPgp(_) | SignatureError::LooksLike(_) => Reason::NotOpenpgp,
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
            SignatureError::UnsupportedAlgorithm { .. } => Reason::UnsupportedAlgorithm,
        }
    }
}
