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
pub use packets::{Structure, scan};
pub use verify::{Verified, verify};

use super::{Mechanism, Reason, Refused, Signed, Signer};
use std::time::SystemTime;

/// The OpenPGP mechanism: trusted keys, and which of them are accepted.
#[derive(Debug, Clone, Copy)]
pub struct OpenPgp<'a> {
    pub keyring: &'a Keyring,
    pub accepted: &'a Accepted,
}

impl Mechanism for OpenPgp<'_> {
    fn open(&self, signature: &[u8], at: SystemTime) -> Result<Signed, Refused> {
        let v = verify(signature, self.keyring, at).map_err(|e| Refused {
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
        })
    }
}

impl From<&SignatureError> for Reason {
    fn from(e: &SignatureError) -> Reason {
        match e {
            SignatureError::TooLarge | SignatureError::PayloadTooLarge => Reason::TooLarge,
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
        }
    }
}
