//! One signature, from blob to verdict.
//!
//! The seam between mechanisms and everything else: a [`Mechanism`]
//! ([`openpgp`] or [`sigstore`], chosen per blob by [`Kind::of`] and
//! [`Mechanisms`]) only turns "this
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
    /// Sigstore with a certificate: the identity it was issued to (email,
    /// hostname).
    pub certificate_identity: Option<String>,
    /// Sigstore with Rekor: when the signature was logged (seconds since
    /// the epoch).
    pub rekor_integrated_time: Option<i64>,
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

/// Which mechanism a signature blob belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// An OpenPGP message (simple signing).
    OpenPgp,
    /// containers/image's on-disk sigstore signature.
    Sigstore,
}

impl Kind {
    /// A sigstore signature starts with 0x00 `sigstore-json\n`; anything
    /// else is left to the OpenPGP mechanism, which names what it is not.
    pub fn of(blob: &[u8]) -> Kind {
        if sigstore::format::is_sigstore(blob) {
            Kind::Sigstore
        } else {
            Kind::OpenPgp
        }
    }

    /// The name in output and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Kind::OpenPgp => "gpg",
            Kind::Sigstore => "sigstore",
        }
    }

    /// The payload rules of this mechanism's signatures.
    pub fn payload_rules(self) -> &'static payload::Rules {
        match self {
            Kind::OpenPgp => &payload::SIMPLE_SIGNING,
            Kind::Sigstore => &payload::SIGSTORE,
        }
    }
}

/// Each blob to its mechanism; a mechanism that is absent trusts no key.
#[derive(Clone, Copy, Default)]
pub struct Mechanisms<'a> {
    pub openpgp: Option<&'a dyn Mechanism>,
    pub sigstore: Option<&'a dyn Mechanism>,
}

impl Mechanism for Mechanisms<'_> {
    fn open(&self, signature: &[u8], at: SystemTime) -> Result<Signed, Refused> {
        let (mechanism, hint) = match Kind::of(signature) {
            Kind::OpenPgp => (self.openpgp, "no GPG keys are trusted"),
            Kind::Sigstore => (self.sigstore, "no sigstore keys are trusted"),
        };
        match mechanism {
            Some(m) => m.open(signature, at),
            None => Err(Refused {
                reason: Reason::UnknownKey,
                message: format!("a {} signature, but {hint}", Kind::of(signature).name()),
                signer: None,
            }),
        }
    }
}
