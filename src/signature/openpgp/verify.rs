//! Verifying one OpenPGP signed message against a keyring. On top of
//! sequoia's checks, which judge the key at the signature's creation time,
//! the key must also be valid at the evaluation time (default: now), as
//! gpg judges it for skopeo.
//!
//! sequoia's `Verifier` is only used to parse the message and hash its
//! literal data: the signature is checked here, against the keyring, and
//! not by sequoia, because every signature sequoia verifies goes through
//! its process-global verification cache (see [`Helper::check_signature`]).

use super::error::SignatureError;
use super::keyring::Keyring;
use super::packets::{
    cleartext_hashes, is_cleartext, normalize, one_pass_form, packets_end, read_payload,
    scan_normalized,
};
use super::policy::{RelsigPolicy, policy};
use crate::io::error_chain;
use crate::io::{MAX_PAYLOAD_SIZE, MAX_SIGNATURE_SIZE};
use openpgp::cert::prelude::*;
use openpgp::packet::key::{PublicParts, UnspecifiedRole};
use openpgp::packet::{Key, Signature};
use openpgp::parse::Parse;
use openpgp::parse::stream::{
    GoodChecksum, MessageLayer, MessageStructure, VerificationError, VerificationHelper,
    VerificationResult, VerifierBuilder,
};
use openpgp::policy::Policy as _;
use openpgp::types::{PublicKeyAlgorithm, RevocationStatus, SignatureType};
use openpgp::{Fingerprint, KeyHandle};
use sequoia_openpgp as openpgp;
use std::time::{Duration, SystemTime};

/// A message whose one signature verified with a trusted key.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The signed literal data (not yet parsed: see `payload`).
    pub payload: Vec<u8>,
    /// The certificate's primary key.
    pub primary: Fingerprint,
    /// The key that made the signature (the primary or a subkey).
    pub signing_key: Fingerprint,
}

/// Verifies the signed message `sig` against `keyring`, judging keys at
/// `at`, and returns the signed payload with its signer.
pub fn verify(sig: &[u8], keyring: &Keyring, at: SystemTime) -> Result<Verified, SignatureError> {
    if sig.len() as u64 > MAX_SIGNATURE_SIZE {
        return Err(SignatureError::TooLarge);
    }
    let cleartext = is_cleartext(sig);
    let normalized = normalize(sig)?;
    // The structural scan rejects what is not one signed message before
    // any key is looked at, with a reason gpg users recognise.
    let structure = scan_normalized(&normalized, false)?;
    let sig = &normalized.bytes;
    // gpg ignores what follows the first message only when that message
    // is compressed (the decompressor stops at its end); after an
    // uncompressed one it reports "bad data", and so does relsig.
    if structure.trailing_data && !structure.is_compressed_message() {
        return Err(SignatureError::NotOpenPgp(
            "data follows the uncompressed signed message (gpg ignores data only after a compressed message)".into(),
        ));
    }
    // sequoia's verifier would reject what follows the message, so it is
    // only shown the message itself.
    let sig = match packets_end(sig, structure.message_packets) {
        Some(end) if structure.trailing_data => &sig[..end],
        _ => &sig[..],
    };
    let reordered = match structure.one_pass_signatures {
        0 => one_pass_form(sig),
        _ => None,
    };
    let sig = reordered.as_deref().unwrap_or(sig);
    if structure.encrypted {
        return Err(SignatureError::NotSigned(
            "it is encrypted; a signature is a signed, unencrypted message".into(),
        ));
    }
    if structure.literal.is_none() {
        return Err(SignatureError::NotSigned("it holds no signed data".into()));
    }
    match structure.signatures.len() {
        0 => {
            return Err(SignatureError::NotSigned(
                "it carries data but no signature".into(),
            ));
        }
        1 => {}
        n => return Err(SignatureError::SignatureCount(n)),
    }
    if cleartext {
        check_cleartext_hash(sig, &structure.signatures[0].hash_algorithm)?;
    }

    let policy = policy();
    let helper = Helper {
        keyring,
        policy: &policy,
        at,
        // gpg hashes literal data as it is, whatever the signature's type;
        // only a cleartext message's text is canonicalised.
        literal_as_is: (!cleartext).then_some(structure.payload.as_slice()),
        outcome: None,
    };
    let verifier = VerifierBuilder::from_bytes(sig)
        .map_err(|e| SignatureError::Malformed(e.to_string()))?
        .buffer_size(MAX_PAYLOAD_SIZE as usize + 1)
        .with_policy(&policy, at, helper);
    let mut verifier = match verifier {
        Ok(v) => v,
        Err(e) => {
            return Err(SignatureError::Malformed(error_chain(e.as_ref())));
        }
    };
    let payload = read_payload(&mut verifier)?;
    let outcome = verifier
        .into_helper()
        .outcome
        .unwrap_or_else(|| Err(SignatureError::NotSigned("no signature was checked".into())));
    // A key this build cannot verify with fails in sequoia as "no binding
    // signature" (its self-signatures cannot be checked either): say what
    // it is instead.
    let (primary, signing_key) = outcome
        .map_err(|e| unsupported_key(keyring, &structure.signatures[0].issuers).unwrap_or(e))?;
    Ok(Verified {
        payload,
        primary,
        signing_key,
    })
}

/// The keyring key a signature's issuers name, when its algorithm or curve
/// is one this build's cryptographic backend cannot verify (the pure-Rust
/// backend: brainpool and secp256k1 curves).
fn unsupported_key(keyring: &Keyring, issuers: &[String]) -> Option<SignatureError> {
    use openpgp::crypto::mpi::PublicKey;
    let issuers: Vec<KeyHandle> = issuers.iter().filter_map(|i| i.parse().ok()).collect();
    let key = keyring
        .certs()
        .flat_map(|c| c.keys())
        .map(|ka| ka.key().clone())
        .find(|k| {
            issuers
                .iter()
                .any(|i| i.aliases(KeyHandle::from(k.fingerprint())))
        })?;
    let algorithm = match key.mpis() {
        PublicKey::ECDSA { curve, .. }
        | PublicKey::EdDSA { curve, .. }
        | PublicKey::ECDH { curve, .. }
            if !curve.is_supported() =>
        {
            match curve {
                // RFC 5639's curves sequoia names; secp256k1 has no name there.
                openpgp::types::Curve::Unknown(oid)
                    if oid.as_ref() == [0x2B, 0x81, 0x04, 0x00, 0x0A] =>
                {
                    "secp256k1".to_string()
                }
                other => other.to_string(),
            }
        }
        _ if !key.pk_algo().is_supported() => key.pk_algo().to_string(),
        _ => return None,
    };
    Some(SignatureError::UnsupportedAlgorithm {
        key: key.fingerprint().to_hex(),
        algorithm,
    })
}

/// gpg refuses a cleartext-signed message whose `Hash:` header is missing
/// (RFC 4880 then means MD5) or does not name the hash its signature uses
/// ("signature digest conflict"); sequoia ignores the header.
fn check_cleartext_hash(sig: &[u8], used: &str) -> Result<(), SignatureError> {
    let named = cleartext_hashes(sig);
    if named.is_empty() {
        return Err(SignatureError::Malformed(
            "the cleartext message has no \"Hash:\" armor header (gpg then assumes MD5 and refuses it)".into(),
        ));
    }
    let used = used.to_ascii_uppercase().replace('-', "");
    if !named.iter().any(|h| h.replace('-', "") == used) {
        return Err(SignatureError::Malformed(format!(
            "the cleartext message's \"Hash:\" armor header names {}, but its signature uses {used} (gpg: signature digest conflict)",
            named.join(", ")
        )));
    }
    Ok(())
}

type Outcome = Result<(Fingerprint, Fingerprint), SignatureError>;

struct Helper<'a> {
    keyring: &'a Keyring,
    policy: &'a RelsigPolicy,
    at: SystemTime,
    /// The literal data, when a text-mode signature must be checked over
    /// it as it is (see [`Helper::text_differs`]).
    literal_as_is: Option<&'a [u8]>,
    outcome: Option<Outcome>,
}

impl VerificationHelper for Helper<'_> {
    /// No certificates: sequoia then reports each signature it could
    /// parse and hash as `MissingKey`, its digest computed, and `check`
    /// verifies it (see [`Helper::check_signature`]).
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> openpgp::Result<Vec<openpgp::Cert>> {
        Ok(Vec::new())
    }

    fn check(&mut self, structure: MessageStructure) -> openpgp::Result<()> {
        let mut results = Vec::new();
        for layer in structure {
            if let MessageLayer::SignatureGroup { results: r } = layer {
                results.extend(r.into_iter().map(|r| match r {
                    Err(VerificationError::MissingKey { sig }) => self.check_signature(sig),
                    other => other,
                }));
            }
        }
        self.outcome = Some(match results.len() {
            0 => Err(SignatureError::NotSigned(
                "it carries data but no signature".into(),
            )),
            1 => match results.pop().expect("one result") {
                Ok(good) if self.text_differs(good.sig) => Err(SignatureError::BadSignature {
                    key: good.ka.key().fingerprint().to_hex(),
                    detail: "the text-mode signature verifies only after the literal data's line ends are made CRLF; gpg checks literal data as it is".into(),
                }),
                Ok(good) => named_issuers_made(good.sig, &good.ka.key().fingerprint())
                    .and_then(|()| self.judge_key_now(&good.ka)),
                Err(VerificationError::BadSignature { sig, ka, .. })
                    if self.text_differs(sig) && self.verifies_as_is(sig, &ka) =>
                {
                    named_issuers_made(sig, &ka.key().fingerprint())
                        .and_then(|()| self.judge_key_now(&ka))
                }
                Err(e) => Err(classify(e)),
            },
            n => Err(SignatureError::SignatureCount(n)),
        });
        Ok(())
    }
}

impl<'a> Helper<'a> {
    /// Checks `sig` against the keyring as sequoia's `Verifier` does
    /// (`Decryptor::verify_signatures` in sequoia's parse/stream.rs), with
    /// the same results, except that the signature itself is checked by
    /// [`verify_signature`] rather than by `Signature::verify_document`.
    ///
    /// Why: sequoia records every signature it verifies in a
    /// process-global cache (packet/signature/cache.rs) that is never
    /// emptied and cannot be turned off. A batch of 100,000 images, each
    /// with its own signature, grew by about 60 bytes of RSS per image
    /// and spent a SHA-512 per signature on the cache key. The cache
    /// pays only when the same signature is checked again, which in
    /// relsig happens only when a batch lists an image twice.
    fn check_signature<'s>(&self, sig: &'s Signature) -> VerificationResult<'s>
    where
        'a: 's,
    {
        // sequoia reports a signature without a creation time as
        // malformed before it looks for a key: not seen here, but kept
        // in case that changes.
        let Some(sig_time) = sig.signature_creation_time() else {
            return Err(VerificationError::MalformedSignature {
                sig,
                error: openpgp::Error::MalformedPacket(
                    "missing a Signature Creation Time subpacket".into(),
                )
                .into(),
            });
        };
        // sequoia does not try every key for a signature that names no
        // issuer.
        let issuers = sig.get_issuers();
        if issuers.is_empty() {
            return Err(VerificationError::MissingKey { sig });
        }
        let invalid =
            |why: &str| -> anyhow::Error { openpgp::Error::InvalidKey(why.into()).into() };
        // The error of the last key tried is the result, as in sequoia.
        let mut err = VerificationError::MissingKey { sig };
        let keys = self
            .keyring
            .certs()
            .flat_map(|c| c.keys().key_handles(&issuers));
        for ka in keys {
            let cert = ka.cert();
            let ka = match ka.with_policy(self.policy, sig_time) {
                Ok(ka) => ka,
                Err(error) => {
                    err = VerificationError::UnboundKey { sig, cert, error };
                    continue;
                }
            };
            let bad_key = |ka, error| VerificationError::BadKey { sig, ka, error };
            err = if let Err(error) = ka.valid_cert().alive() {
                bad_key(ka, error)
            } else if let Err(error) = ka.alive() {
                bad_key(ka, error)
            } else if let RevocationStatus::Revoked(_) = ka.valid_cert().revocation_status() {
                bad_key(ka, invalid("certificate is revoked"))
            } else if let RevocationStatus::Revoked(_) = ka.revocation_status() {
                bad_key(ka, invalid("signing key is revoked"))
            } else if !ka.for_signing() {
                bad_key(ka, invalid("key is not signing capable"))
            // (The Verifier would also check intended recipients, but only
            // when told who the recipient is, and relsig does not.)
            } else if let Err(error) = self.signature_holds(sig, ka.key(), None) {
                VerificationError::BadSignature { sig, ka, error }
            } else {
                return Ok(GoodChecksum { sig, ka });
            };
        }
        Err(err)
    }

    /// A text-mode (0x01) signature over literal data is checked over the
    /// bytes as they are, as gpg checks it; sequoia makes the line ends
    /// CRLF first. The two differ only when the data has a bare LF or CR:
    /// then sequoia's verdict is reversed (see [`Helper::verifies_as_is`]).
    fn text_differs(&self, sig: &Signature) -> bool {
        sig.typ() == SignatureType::Text && self.literal_as_is.is_some_and(|l| !is_crlf_text(l))
    }

    /// Whether `sig` verifies with `ka` over the literal data as it is,
    /// and passes sequoia's other checks of a signature (alive at the
    /// evaluation time, allowed by the policy).
    fn verifies_as_is(
        &self,
        sig: &Signature,
        ka: &ValidErasedKeyAmalgamation<'_, PublicParts>,
    ) -> bool {
        self.literal_as_is.is_some_and(|literal| {
            digest_as_is(sig, literal)
                .and_then(|digest| self.signature_holds(sig, ka.key(), Some(&digest)))
                .is_ok()
        })
    }

    /// sequoia's checks of the signature itself, once its key passed: alive
    /// at the evaluation time (the Verifier is given that time, so it
    /// allows no clock skew), made by `key` over `digest` (see
    /// [`verify_signature`]), and allowed by the policy.
    fn signature_holds(
        &self,
        sig: &Signature,
        key: &Key<PublicParts, UnspecifiedRole>,
        digest: Option<&[u8]>,
    ) -> openpgp::Result<()> {
        sig.signature_alive(self.at, Duration::ZERO)?;
        verify_signature(sig, key, digest)?;
        self.policy.signature(sig, Default::default())
    }

    /// sequoia judged the key at signing time; gpg (and so skopeo) also
    /// refuses a key that is expired or revoked at the time of checking.
    fn judge_key_now(
        &self,
        ka: &ValidErasedKeyAmalgamation<'_, PublicParts>,
    ) -> Result<(Fingerprint, Fingerprint), SignatureError> {
        let primary = ka.cert().fingerprint();
        let key = ka.key().fingerprint();
        let name = key.to_hex();
        let vc = ka.cert().with_policy(self.policy, self.at).map_err(|e| {
            SignatureError::KeyInvalid {
                key: name.clone(),
                detail: format!("at the evaluation time: {}", error_chain(e.as_ref())),
            }
        })?;
        if let RevocationStatus::Revoked(revs) = vc.revocation_status() {
            return Err(SignatureError::KeyRevoked {
                key: primary.to_hex(),
                detail: revocation_detail(&revs),
            });
        }
        if let Err(e) = vc.alive() {
            return Err(SignatureError::KeyExpired {
                key: primary.to_hex(),
                detail: error_chain(e.as_ref()),
            });
        }
        let Some(now_ka) = vc.keys().key_handle(key.clone()).next() else {
            return Err(SignatureError::KeyInvalid {
                key: name,
                detail: "the signing key is not bound to its certificate at the evaluation time"
                    .into(),
            });
        };
        if let RevocationStatus::Revoked(revs) = now_ka.revocation_status() {
            return Err(SignatureError::KeyRevoked {
                key: name,
                detail: revocation_detail(&revs),
            });
        }
        if let Err(e) = now_ka.alive() {
            return Err(SignatureError::KeyExpired {
                key: name,
                detail: error_chain(e.as_ref()),
            });
        }
        if !now_ka.for_signing() {
            return Err(SignatureError::KeyNotSigningCapable { key: name });
        }
        Ok((primary, key))
    }
}

/// The digest `sig` signs when it is made over `data` as it is (what
/// sequoia's `Signature::verify_message` hashes): the salt of a v6
/// signature, the data, then the signature's trailer.
fn digest_as_is(sig: &Signature, data: &[u8]) -> openpgp::Result<Vec<u8>> {
    use openpgp::crypto::hash::Hash as _;
    let mut hash = sig.hash_algo().context()?.for_signature(sig.version());
    if let Some(salt) = sig.salt() {
        hash.update(salt);
    }
    hash.update(data);
    sig.hash(&mut hash)?;
    hash.into_digest()
}

/// Checks that `key` made the document signature `sig` over `digest`
/// (when `None`, the digest sequoia's parser computed for `sig`), with
/// the checks of sequoia's `Signature::verify_document` and
/// `verify_message` but without their process-global verification cache
/// (see [`Helper::check_signature`]): a binary or text signature, a v6
/// signature by a v6 key only, with the salt size of its hash and not by
/// DSA, and a creation time not before the key's.
fn verify_signature(
    sig: &Signature,
    key: &Key<PublicParts, UnspecifiedRole>,
    digest: Option<&[u8]>,
) -> openpgp::Result<()> {
    let bad = |why: String| -> anyhow::Error { openpgp::Error::BadSignature(why).into() };
    if !matches!(sig.typ(), SignatureType::Binary | SignatureType::Text) {
        return Err(openpgp::Error::UnsupportedSignatureType(sig.typ()).into());
    }
    if (sig.version() == 6) != (key.version() == 6) {
        return Err(bad(format!(
            "Signature (v{}) and key (v{}) version mismatch",
            sig.version(),
            key.version()
        )));
    }
    if sig.version() == 6 {
        let expected = sig.hash_algo().salt_size()?;
        let salt = sig.salt().map(<[u8]>::len);
        if salt != Some(expected) {
            return Err(bad(format!(
                "Salt of size {} bytes is wrong, expected {expected} bytes ",
                salt.unwrap_or(0)
            )));
        }
        #[allow(deprecated)]
        if sig.pk_algo() == PublicKeyAlgorithm::DSA {
            return Err(bad("Version 6 signatures using DSA MUST be rejected".into()));
        }
    }
    match sig.signature_creation_time() {
        None => return Err(bad("Signature has no creation time subpacket".into())),
        Some(t) if t < key.creation_time() => {
            return Err(bad(format!(
                "Signature (created {t:?}) predates key ({:?})",
                key.creation_time()
            )));
        }
        Some(_) => {}
    }
    let digest = digest
        .or(sig.computed_digest())
        .ok_or_else(|| bad("Hash not computed.".into()))?;
    key.verify(sig.mpis(), sig.hash_algo(), digest)?;
    // As sequoia does: a good signature authenticates its hashed
    // subpackets, and the issuer subpackets of its unhashed area that
    // name `key`. Nothing in relsig reads this; it keeps the signature as
    // sequoia would leave it.
    use openpgp::packet::signature::subpacket::SubpacketValue;
    for p in sig.hashed_area().iter() {
        p.set_authenticated(true);
    }
    for p in sig.unhashed_area().iter() {
        p.set_authenticated(match p.value() {
            SubpacketValue::Issuer(id) => *id == key.keyid(),
            SubpacketValue::IssuerFingerprint(fp) => *fp == key.fingerprint(),
            _ => false,
        });
    }
    Ok(())
}

/// Whether every line end of `text` is already CRLF (so that sequoia's
/// text-mode hashing sees exactly these bytes).
fn is_crlf_text(text: &[u8]) -> bool {
    text.iter().enumerate().all(|(i, b)| match b {
        b'\n' => i > 0 && text[i - 1] == b'\r',
        b'\r' => text.get(i + 1) == Some(&b'\n'),
        _ => true,
    })
}

/// gpg looks the signing key up by the issuer the signature's hashed
/// area names and checks with that key only; sequoia tries every key any
/// issuer names. A signature whose hashed issuer is another key than the
/// one that verified it fails with gpg, and so here.
fn named_issuers_made(sig: &Signature, key: &Fingerprint) -> Result<(), SignatureError> {
    use openpgp::packet::signature::subpacket::SubpacketValue;
    let made_by = KeyHandle::from(key);
    for sp in sig.hashed_area().iter() {
        let named = match sp.value() {
            SubpacketValue::IssuerFingerprint(f) => KeyHandle::from(f),
            SubpacketValue::Issuer(id) => KeyHandle::from(id),
            _ => continue,
        };
        if !named.aliases(&made_by) {
            return Err(SignatureError::BadSignature {
                key: key.to_hex(),
                detail: format!(
                    "its hashed issuer subpacket names key {}, not the key that made it (gpg checks it with the named key)",
                    named.to_hex()
                ),
            });
        }
    }
    Ok(())
}

fn revocation_detail(revs: &[&Signature]) -> String {
    revs.iter()
        .find_map(|r| r.reason_for_revocation())
        .map(|(code, msg)| {
            let msg = String::from_utf8_lossy(msg);
            if msg.trim().is_empty() {
                format!(" ({code})")
            } else {
                format!(" ({code}: {})", msg.trim())
            }
        })
        .unwrap_or_default()
}

/// Maps sequoia's verification error onto relsig's reasons.
fn classify(e: VerificationError<'_>) -> SignatureError {
    let issuer = |sig: &Signature| {
        sig.get_issuers()
            .first()
            .map(|h| h.to_hex())
            .unwrap_or_else(|| "(no issuer)".into())
    };
    match e {
        VerificationError::MissingKey { sig } => SignatureError::UnknownKey(issuer(sig)),
        VerificationError::UnboundKey { sig, cert, error } => {
            if let RevocationStatus::Revoked(revs) =
                cert.revocation_status(&policy(), sig.signature_creation_time())
            {
                SignatureError::KeyRevoked {
                    key: cert.fingerprint().to_hex(),
                    detail: revocation_detail(&revs),
                }
            } else {
                SignatureError::KeyInvalid {
                    key: issuer(sig),
                    detail: error_chain(error.as_ref()),
                }
            }
        }
        VerificationError::BadKey { ka, error, .. } => {
            let key = ka.key().fingerprint().to_hex();
            let revoked = |s: RevocationStatus| matches!(s, RevocationStatus::Revoked(_));
            if revoked(ka.valid_cert().revocation_status()) || revoked(ka.revocation_status()) {
                let revs = match ka.revocation_status() {
                    RevocationStatus::Revoked(r) => r,
                    _ => match ka.valid_cert().revocation_status() {
                        RevocationStatus::Revoked(r) => r,
                        _ => Vec::new(),
                    },
                };
                SignatureError::KeyRevoked {
                    key,
                    detail: revocation_detail(&revs),
                }
            } else if ka.valid_cert().alive().is_err() || ka.alive().is_err() {
                SignatureError::KeyExpired {
                    key,
                    detail: error_chain(error.as_ref()),
                }
            } else if !ka.for_signing() {
                SignatureError::KeyNotSigningCapable { key }
            } else {
                SignatureError::KeyInvalid {
                    key,
                    detail: error_chain(error.as_ref()),
                }
            }
        }
        VerificationError::BadSignature { ka, error, .. } => {
            let key = ka.key().fingerprint().to_hex();
            let detail = error_chain(error.as_ref());
            match error.downcast_ref::<openpgp::Error>() {
                Some(openpgp::Error::Expired(_)) => {
                    SignatureError::SignatureExpired { key, detail }
                }
                Some(openpgp::Error::NotYetLive(_)) => {
                    SignatureError::SignatureNotYetValid { key, detail }
                }
                Some(openpgp::Error::PolicyViolation(..)) => {
                    SignatureError::InsecureAlgorithm { key, detail }
                }
                _ => SignatureError::BadSignature { key, detail },
            }
        }
        VerificationError::MalformedSignature { sig, error } => SignatureError::BadSignature {
            key: issuer(sig),
            detail: error_chain(error.as_ref()),
        },
        VerificationError::UnknownSignature { sig } => SignatureError::BadSignature {
            key: "(unknown)".into(),
            detail: format!("unparsable signature packet: {}", sig.error()),
        },
        _ => SignatureError::BadSignature {
            key: "(unknown)".into(),
            detail: "unrecognised verification failure".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openpgp::cert::CertBuilder;
    use openpgp::packet::signature::SignatureBuilder;
    use openpgp::packet::signature::cache::SignatureVerificationCache;
    use openpgp::packet::{Literal, Packet};
    use openpgp::policy::StandardPolicy;
    use openpgp::serialize::{Marshal, MarshalInto};
    use openpgp::types::{DataFormat, HashAlgorithm};

    /// The value sequoia's verification cache holds for a good signature
    /// (`Entry::new` in sequoia's packet/signature/cache.rs): the first
    /// 32 bytes of a SHA-512 over a version byte (0), the length (4 bytes,
    /// little-endian) and serialization of the signature's MPIs, its hash
    /// algorithm, the digest and the key's MPIs.
    fn cache_value(
        sig: &Signature,
        digest: &[u8],
        key: &Key<PublicParts, UnspecifiedRole>,
    ) -> Vec<u8> {
        let mut h = HashAlgorithm::SHA512.context().unwrap().for_digest();
        h.update(&[0]);
        let len = u32::try_from(sig.mpis().serialized_len()).unwrap();
        h.update(&len.to_le_bytes());
        sig.mpis().export(&mut h).unwrap();
        h.update(&[u8::from(sig.hash_algo())]);
        h.update(digest);
        key.mpis().export(&mut h).unwrap();
        h.into_digest().unwrap()[..32].to_vec()
    }

    fn cached(value: &[u8]) -> bool {
        SignatureVerificationCache::dump()
            .into_iter()
            .any(|e| e.value() == value)
    }

    /// Other tests verify in parallel, so the cache's counters cannot say
    /// whether this test's verifications went through it; whether the
    /// cache holds the entry of this test's own signatures (by a key made
    /// here) can.
    #[test]
    fn message_signatures_bypass_sequoias_cache() {
        let (cert, _) = CertBuilder::new()
            .add_userid("relsig cache test")
            .add_signing_subkey()
            .generate()
            .unwrap();
        let mut keyring = Keyring::default();
        let public = cert.clone().strip_secret_key_material().to_vec().unwrap();
        keyring.add_bytes("test", &public).unwrap();
        let sp = StandardPolicy::new();
        let signer = cert
            .keys()
            .with_policy(&sp, None)
            .secret()
            .for_signing()
            .next()
            .unwrap();
        let key = signer.key().clone();
        let public_key = key.parts_as_public().role_as_unspecified();
        let mut keypair = key.clone().into_keypair().unwrap();
        // A binary signature (checked over the digest sequoia's parser
        // computed) and a text signature over data with a bare LF
        // (checked over the data as it is: Helper::verifies_as_is).
        for (typ, data) in [
            (SignatureType::Binary, &b"payload\n"[..]),
            (SignatureType::Text, b"line\n"),
        ] {
            let sig = SignatureBuilder::new(typ)
                .sign_message(&mut keypair, data)
                .unwrap();
            let mut literal = Literal::new(DataFormat::Binary);
            literal.set_body(data.to_vec());
            // The signature before the data, as PGP 2 wrote messages.
            let mut message = Packet::from(sig.clone()).to_vec().unwrap();
            message.extend(Packet::from(literal).to_vec().unwrap());
            for _ in 0..3 {
                let verified = verify(&message, &keyring, SystemTime::now()).unwrap();
                assert_eq!(verified.payload, data);
                assert_eq!(verified.signing_key, key.fingerprint());
            }
            let value = cache_value(&sig, &digest_as_is(&sig, data).unwrap(), public_key);
            assert!(
                !cached(&value),
                "{typ}: relsig's verification went through sequoia's cache"
            );
            // The test of the test: sequoia's own verification puts that
            // very value in the cache.
            sig.verify_message(&key, data).unwrap();
            assert!(cached(&value), "{typ}: cache_value is not sequoia's entry");
        }
    }
}
