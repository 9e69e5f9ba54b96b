//! One signature, from blob to verdict.
//!
//! The seam between mechanisms and everything else: a [`Mechanism`]
//! (today [`openpgp`]; sigstore slots in beside it) only turns "this
//! signature blob + these trusted keys" into [`Signed`] ("this payload,
//! signed by this key") or a [`Refused`]. Everything after that is shared
//! and lives in [`check`]: the strict payload rules ([`payload`]), the
//! manifest digest, the signed identity ([`identity`]), and the
//! [`Report`] every command shows. [`inspect`] describes a signature
//! without verifying anything.

pub mod check;
pub mod identity;
pub mod inspect;
pub mod openpgp;
pub mod payload;
mod report;
pub mod sigstore;

pub use report::{Reason, Report, SignatureOutcome};

use std::time::SystemTime;

/// Who made a signature, as the JSON output names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The key the user trusts (an OpenPGP certificate's primary key).
    pub key_fingerprint: String,
    /// The key that made the signature (the primary key or a subkey).
    pub signing_key_fingerprint: String,
}

/// What a mechanism vouches for once the cryptography checked out and
/// the signer is one of the accepted keys.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The signed payload, not yet parsed.
    pub payload: Vec<u8>,
    pub signer: Signer,
}

/// Why a mechanism did not vouch for a signature.
#[derive(Debug, Clone)]
pub struct Refused {
    pub reason: Reason,
    pub message: String,
    /// Known when the signature verified but its key is not accepted.
    pub signer: Option<Signer>,
}

/// A signature mechanism with its trusted keys.
pub trait Mechanism: Sync {
    /// Checks the cryptography of `signature`, judging keys at `at`.
    fn open(&self, signature: &[u8], at: SystemTime) -> Result<Signed, Refused>;
}
