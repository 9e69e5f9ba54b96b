//! The OpenPGP policy relsig verifies under: sequoia's standard policy,
//! relaxed only where real material that gpg (and so skopeo) accepts needs
//! it: version-3 signature packets (Red Hat signed with them until 2022),
//! SHA-1 in key self-signatures (the release key shipped in RHEL's
//! `RPM-GPG-KEY-redhat-release`), RSA-1024 keys, and SHA-1 data signatures
//! made before 2019-01-19 (GnuPG's SHA-1 cutoff); newer SHA-1 data
//! signatures are rejected.

use openpgp::cert::prelude::*;
use openpgp::packet::{Packet, Tag};
use openpgp::policy::{AsymmetricAlgorithm, HashAlgoSecurity, Policy, StandardPolicy};
use openpgp::types::HashAlgorithm;
use sequoia_openpgp as openpgp;
use std::time::{Duration, SystemTime};
/// SHA-1 data signatures created at or after this instant are rejected:
/// 2019-01-19, the date after which GnuPG stopped trusting SHA-1 based
/// signatures, a year before the first chosen-prefix SHA-1 collision.
pub const SHA1_DATA_SIGNATURE_CUTOFF: u64 = 1_547_856_000;

/// The policy relsig verifies under (see the module documentation).
#[derive(Debug)]
pub struct RelsigPolicy {
    /// Everything but old SHA-1 data signatures.
    strict: StandardPolicy<'static>,
    /// The same, also accepting SHA-1 where collisions matter.
    old_sha1: StandardPolicy<'static>,
}

impl Default for RelsigPolicy {
    fn default() -> Self {
        let base = || {
            let mut p = StandardPolicy::new();
            p.accept_packet_tag_version(Tag::Signature, 3);
            p.accept_hash_property(
                HashAlgorithm::SHA1,
                HashAlgoSecurity::SecondPreImageResistance,
            );
            // gpg, and so skopeo, still accept RSA-1024 keys;
            // containers/image's own older test key is one.
            p.accept_asymmetric_algo(AsymmetricAlgorithm::RSA1024);
            p
        };
        let mut old_sha1 = base();
        old_sha1.accept_hash(HashAlgorithm::SHA1);
        RelsigPolicy {
            strict: base(),
            old_sha1,
        }
    }
}

impl Policy for RelsigPolicy {
    fn signature(
        &self,
        sig: &openpgp::packet::Signature,
        sec: HashAlgoSecurity,
    ) -> openpgp::Result<()> {
        // A signature made before chosen-prefix SHA-1 collisions were
        // practical cannot be over a colliding document: the signer dated
        // it. skopeo (gpg) accepts such signatures, relsig does too.
        let cutoff = SystemTime::UNIX_EPOCH + Duration::from_secs(SHA1_DATA_SIGNATURE_CUTOFF);
        let old = sig.signature_creation_time().is_some_and(|t| t < cutoff);
        if sig.hash_algo() == HashAlgorithm::SHA1 && old {
            self.old_sha1.signature(sig, sec)
        } else {
            self.strict.signature(sig, sec)
        }
    }
    fn key(
        &self,
        ka: &ValidErasedKeyAmalgamation<'_, openpgp::packet::key::PublicParts>,
    ) -> openpgp::Result<()> {
        self.strict.key(ka)
    }
    fn symmetric_algorithm(&self, a: openpgp::types::SymmetricAlgorithm) -> openpgp::Result<()> {
        self.strict.symmetric_algorithm(a)
    }
    fn aead_algorithm(&self, a: openpgp::types::AEADAlgorithm) -> openpgp::Result<()> {
        self.strict.aead_algorithm(a)
    }
    fn packet(&self, packet: &Packet) -> openpgp::Result<()> {
        self.strict.packet(packet)
    }
}

/// The policy relsig verifies under.
pub fn policy() -> RelsigPolicy {
    RelsigPolicy::default()
}
