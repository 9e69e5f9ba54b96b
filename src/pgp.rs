//! OpenPGP signed messages: verifying one against a keyring (with the
//! policy Red Hat's signatures need), and describing one without verifying.
//!
//! Policy: sequoia's standard policy, relaxed only where real material
//! that gpg (and so skopeo) accepts needs it: version-3 signature packets
//! (Red Hat signed with them until 2022), SHA-1 in key self-signatures
//! (the release key shipped in RHEL's `RPM-GPG-KEY-redhat-release`),
//! RSA-1024 keys, and SHA-1 data signatures made before 2019-01-19
//! (GnuPG's SHA-1 cutoff); newer SHA-1 data signatures are rejected. On top of sequoia's checks, which judge the
//! key at the signature's creation time, the key must also be valid at the
//! evaluation time (default: now), as gpg judges it for skopeo.

use crate::bounded::{BoundedReadError, read_limited};
use crate::keyring::Keyring;
use openpgp::armor::ReaderMode;
use openpgp::cert::prelude::*;
use openpgp::packet::{Packet, Tag};
use openpgp::parse::stream::{
    MessageLayer, MessageStructure, VerificationError, VerificationHelper, VerifierBuilder,
};
use openpgp::parse::{PacketParserBuilder, PacketParserResult, Parse};
use openpgp::policy::{AsymmetricAlgorithm, HashAlgoSecurity, Policy, StandardPolicy};
use openpgp::types::{
    CompressionAlgorithm, DataFormat, HashAlgorithm, PublicKeyAlgorithm, RevocationStatus,
    SignatureType,
};
use openpgp::{Fingerprint, KeyHandle};
use sequoia_openpgp as openpgp;
use serde::Serialize;
use std::borrow::Cow;
use std::io::Read;
use std::time::{Duration, SystemTime};

/// Signature files larger than this are refused before parsing.
pub const MAX_SIGNATURE_SIZE: usize = 4 * 1024 * 1024;
/// Signed payloads that decompress beyond this are refused.
pub const MAX_PAYLOAD_SIZE: usize = 4 * 1024 * 1024;

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

/// A message whose one signature verified with a trusted key.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The signed literal data (not yet parsed: see `payload`).
    pub payload: Vec<u8>,
    /// The certificate's primary key.
    pub primary: Fingerprint,
    /// The key that made the signature (the primary or a subkey).
    pub signing_key: Fingerprint,
    pub created: Option<SystemTime>,
}

/// Why a signature message was not accepted cryptographically.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature is larger than {MAX_SIGNATURE_SIZE} bytes")]
    TooLarge,
    #[error("signed payload is larger than {MAX_PAYLOAD_SIZE} bytes")]
    PayloadTooLarge,
    #[error("not an OpenPGP message: {0}")]
    NotOpenPgp(String),
    #[error("malformed OpenPGP message: {0}")]
    Malformed(String),
    #[error("the message is not signed: {0}")]
    NotSigned(String),
    #[error("the message holds {0} signatures; exactly one is expected")]
    SignatureCount(usize),
    #[error("signed by key {0}, which is not among the trusted keys")]
    UnknownKey(String),
    #[error("bad signature by key {key}: {detail}")]
    BadSignature { key: String, detail: String },
    #[error("signature by key {key} has expired: {detail}")]
    SignatureExpired { key: String, detail: String },
    #[error("signature by key {key} is not valid yet: {detail}")]
    SignatureNotYetValid { key: String, detail: String },
    #[error("signing key {key} is expired: {detail}")]
    KeyExpired { key: String, detail: String },
    #[error("signing key {key} is revoked{detail}")]
    KeyRevoked { key: String, detail: String },
    #[error("key {key} may not make signatures (it is not signing-capable)")]
    KeyNotSigningCapable { key: String },
    #[error("signature by key {key} uses an insecure algorithm: {detail}")]
    InsecureAlgorithm { key: String, detail: String },
    #[error("key {key} cannot be used: {detail}")]
    KeyInvalid { key: String, detail: String },
}

/// Verifies the signed message `sig` against `keyring`, judging keys at
/// `at`, and returns the signed payload with its signer.
pub fn verify(sig: &[u8], keyring: &Keyring, at: SystemTime) -> Result<Verified, SignatureError> {
    if sig.len() > MAX_SIGNATURE_SIZE {
        return Err(SignatureError::TooLarge);
    }
    let sig = &normalize(sig)?;
    // The structural scan rejects what is not one signed message before
    // any key is looked at, with a reason gpg users recognise.
    let structure = scan_normalized(sig, false)?;
    // gpg ignores what follows the first message; sequoia's verifier would
    // reject it, so it is only shown the message itself.
    let sig = match packets_end(sig, structure.message_packets) {
        Some(end) if structure.trailing_data => &sig[..end],
        _ => &sig[..],
    };
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

    let policy = policy();
    let helper = Helper {
        keyring,
        policy: &policy,
        at,
        outcome: None,
    };
    let verifier = VerifierBuilder::from_bytes(sig)
        .map_err(|e| SignatureError::Malformed(e.to_string()))?
        .buffer_size(MAX_PAYLOAD_SIZE + 1)
        .with_policy(&policy, at, helper);
    let mut verifier = match verifier {
        Ok(v) => v,
        Err(e) => {
            return Err(SignatureError::Malformed(error_chain(&e)));
        }
    };
    let payload = read_payload(&mut verifier)?;
    let outcome = verifier
        .into_helper()
        .outcome
        .unwrap_or_else(|| Err(SignatureError::NotSigned("no signature was checked".into())));
    let (primary, signing_key, created) = outcome?;
    Ok(Verified {
        payload,
        primary,
        signing_key,
        created,
    })
}

type Outcome = Result<(Fingerprint, Fingerprint, Option<SystemTime>), SignatureError>;

struct Helper<'a> {
    keyring: &'a Keyring,
    policy: &'a RelsigPolicy,
    at: SystemTime,
    outcome: Option<Outcome>,
}

impl VerificationHelper for Helper<'_> {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> openpgp::Result<Vec<openpgp::Cert>> {
        Ok(self.keyring.certs().cloned().collect())
    }

    fn check(&mut self, structure: MessageStructure) -> openpgp::Result<()> {
        let mut results = Vec::new();
        for layer in structure {
            if let MessageLayer::SignatureGroup { results: r } = layer {
                results.extend(r);
            }
        }
        self.outcome = Some(match results.len() {
            0 => Err(SignatureError::NotSigned(
                "it carries data but no signature".into(),
            )),
            1 => match results.pop().expect("one result") {
                Ok(good) => self
                    .judge_key_now(&good.ka)
                    .map(|(p, k)| (p, k, good.sig.signature_creation_time())),
                Err(e) => Err(classify(e)),
            },
            n => Err(SignatureError::SignatureCount(n)),
        });
        Ok(())
    }
}

impl Helper<'_> {
    /// sequoia judged the key at signing time; gpg (and so skopeo) also
    /// refuses a key that is expired or revoked at the time of checking.
    fn judge_key_now(
        &self,
        ka: &ValidErasedKeyAmalgamation<'_, openpgp::packet::key::PublicParts>,
    ) -> Result<(Fingerprint, Fingerprint), SignatureError> {
        let primary = ka.cert().fingerprint();
        let key = ka.key().fingerprint();
        let name = key.to_hex();
        let vc = ka.cert().with_policy(self.policy, self.at).map_err(|e| {
            SignatureError::KeyInvalid {
                key: name.clone(),
                detail: format!("at the evaluation time: {}", error_chain(&e)),
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
                detail: error_chain(&e),
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
                detail: error_chain(&e),
            });
        }
        if !now_ka.for_signing() {
            return Err(SignatureError::KeyNotSigningCapable { key: name });
        }
        Ok((primary, key))
    }
}

fn revocation_detail(revs: &[&openpgp::packet::Signature]) -> String {
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
    let issuer = |sig: &openpgp::packet::Signature| {
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
                    detail: error_chain(&error),
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
                    detail: error_chain(&error),
                }
            } else if !ka.for_signing() {
                SignatureError::KeyNotSigningCapable { key }
            } else {
                SignatureError::KeyInvalid {
                    key,
                    detail: error_chain(&error),
                }
            }
        }
        VerificationError::BadSignature { ka, error, .. } => {
            let key = ka.key().fingerprint().to_hex();
            let detail = error_chain(&error);
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
            detail: error_chain(&error),
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

/// `error: cause: cause`, on one line.
pub(crate) fn error_chain(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

/// What a message is made of, read without verifying anything.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Structure {
    /// Compression layers, outermost first.
    pub compression: Vec<String>,
    pub one_pass_signatures: usize,
    pub literal: Option<LiteralInfo>,
    pub signatures: Vec<SignatureInfo>,
    pub encrypted: bool,
    pub armored: bool,
    /// The literal data (bounded by `MAX_PAYLOAD_SIZE`).
    #[serde(skip)]
    pub payload: Vec<u8>,
    /// Whether data after the first message was ignored (as gpg does).
    pub trailing_data: bool,
    /// How many top-level packets the first message has (when
    /// `trailing_data`, the rest is ignored).
    #[serde(skip)]
    pub message_packets: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct LiteralInfo {
    pub format: String,
    pub filename: Option<String>,
    pub date: Option<u64>,
    pub length: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignatureInfo {
    pub version: u8,
    #[serde(rename = "type")]
    pub typ: String,
    pub hash_algorithm: String,
    pub public_key_algorithm: String,
    /// Issuer key IDs and fingerprints, as the signature claims them.
    pub issuers: Vec<String>,
    pub created: Option<u64>,
}

/// Walks the packets of `sig` (armored or binary) without verifying.
pub fn scan(sig: &[u8]) -> Result<Structure, SignatureError> {
    if sig.len() > MAX_SIGNATURE_SIZE {
        return Err(SignatureError::TooLarge);
    }
    let armored = armor_start(sig).is_some();
    scan_normalized(&normalize(sig)?, armored)
}

/// Where an ASCII-armored input starts, if it is armored.
fn armor_start(sig: &[u8]) -> Option<usize> {
    let i = sig.iter().position(|b| !b.is_ascii_whitespace())?;
    sig[i..].starts_with(b"-----BEGIN PGP").then_some(i)
}

/// Decodes an ASCII-armored block (tolerating the formatting errors gpg
/// tolerates) into at most `max` bytes.
pub(crate) fn dearmor(armored: &[u8], max: u64) -> Result<Vec<u8>, BoundedReadError> {
    read_limited(
        openpgp::armor::Reader::from_bytes(armored, ReaderMode::Tolerant(None)),
        max,
    )
}

/// The input as sequoia will parse it: binary (dearmored, unless it is a
/// cleartext-signed message, which sequoia transforms itself), with
/// partial-length packets reframed (see [`reframe`]).
fn normalize(sig: &[u8]) -> Result<Cow<'_, [u8]>, SignatureError> {
    if sig.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(SignatureError::NotOpenPgp("the file is empty".into()));
    }
    let binary: Cow<'_, [u8]> = match armor_start(sig) {
        Some(i) if sig[i..].starts_with(b"-----BEGIN PGP SIGNED MESSAGE-----") => {
            return Ok(Cow::Borrowed(sig));
        }
        Some(_) => Cow::Owned(
            dearmor(sig, MAX_SIGNATURE_SIZE as u64).map_err(|e| match e {
                BoundedReadError::TooLarge => SignatureError::TooLarge,
                BoundedReadError::Io(e) => {
                    SignatureError::NotOpenPgp(format!("bad ASCII armor: {e}"))
                }
            })?,
        ),
        None => Cow::Borrowed(sig),
    };
    Ok(match reframe(&binary) {
        Some(reframed) => Cow::Owned(reframed),
        None => binary,
    })
}

/// Go's openpgp (which signed OpenShift CI releases) writes literal data
/// with partial body lengths whose first chunk is shorter than the 512
/// bytes RFC 4880 demands; gpg accepts that, sequoia does not. Packet
/// framing is not covered by the signature, so the top-level packets are
/// rewritten with definite lengths. Returns `None` when nothing needs
/// rewriting or the input is not a well-formed packet sequence (sequoia
/// then reports the problem).
fn reframe(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len());
    let mut pos = 0;
    let mut changed = false;
    while pos < input.len() {
        let f = framing(input, pos)?;
        if f.partial {
            changed = true;
            let len: usize = f.body.iter().map(|r| r.len()).sum();
            out.push(input[pos]);
            out.push(255);
            out.extend_from_slice(&u32::try_from(len).ok()?.to_be_bytes());
            for r in &f.body {
                out.extend_from_slice(&input[r.clone()]);
            }
        } else {
            out.extend_from_slice(&input[pos..f.end]);
        }
        pos = f.end;
    }
    changed.then_some(out)
}

/// How one packet is framed: its tag, where it ends, and the byte ranges
/// of its body (several when it uses partial body lengths).
pub(crate) struct Framing {
    pub tag: u8,
    pub end: usize,
    pub body: Vec<std::ops::Range<usize>>,
    pub partial: bool,
}

/// The framing of the packet starting at `start`, or `None` when the
/// bytes there are not a complete packet header and body.
pub(crate) fn framing(input: &[u8], start: usize) -> Option<Framing> {
    let ctb = *input.get(start)?;
    if ctb & 0x80 == 0 {
        return None;
    }
    let mut pos = start + 1;
    if ctb & 0x40 == 0 {
        // Old format: lengths are never partial.
        let tag = (ctb >> 2) & 0x0f;
        let len_bytes = match ctb & 3 {
            0 => 1,
            1 => 2,
            2 => 4,
            _ => {
                // Indeterminate: the packet runs to the end of the input.
                return Some(Framing {
                    tag,
                    end: input.len(),
                    body: std::iter::once(pos..input.len()).collect(),
                    partial: false,
                });
            }
        };
        let len_field = input.get(pos..pos + len_bytes)?;
        let len = len_field.iter().fold(0usize, |a, b| (a << 8) | *b as usize);
        pos += len_bytes;
        let end = pos.checked_add(len).filter(|&e| e <= input.len())?;
        return Some(Framing {
            tag,
            end,
            body: std::iter::once(pos..end).collect(),
            partial: false,
        });
    }
    let mut body = Vec::new();
    let mut partial = false;
    loop {
        let first = *input.get(pos)?;
        let (len, header, more) = match first {
            0..=191 => (first as usize, 1, false),
            192..=223 => {
                let second = *input.get(pos + 1)? as usize;
                ((((first as usize) - 192) << 8) + second + 192, 2, false)
            }
            255 => {
                let b = input.get(pos + 1..pos + 5)?;
                (
                    u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize,
                    5,
                    false,
                )
            }
            _ => (1usize << (first & 0x1f), 1, true),
        };
        let from = pos.checked_add(header)?;
        let to = from.checked_add(len).filter(|&e| e <= input.len())?;
        body.push(from..to);
        pos = to;
        partial |= more;
        if !more {
            break;
        }
    }
    Some(Framing {
        tag: ctb & 0x3f,
        end: pos,
        body,
        partial,
    })
}

/// Where the first `packets` top-level packets of `input` end.
fn packets_end(input: &[u8], packets: usize) -> Option<usize> {
    let mut pos = 0;
    for _ in 0..packets {
        pos = framing(input, pos)?.end;
    }
    Some(pos)
}

fn scan_normalized(sig: &[u8], armored: bool) -> Result<Structure, SignatureError> {
    let not_pgp = |e: anyhow::Error| SignatureError::NotOpenPgp(error_chain(&e));
    let mut ppr = PacketParserBuilder::from_bytes(sig)
        .map_err(not_pgp)?
        .process_csf_message(true)
        .build()
        .map_err(not_pgp)?;
    let mut s = Structure {
        armored,
        ..Structure::default()
    };
    let mut first = true;
    while let PacketParserResult::Some(mut pp) = ppr {
        if first && matches!(pp.packet, Packet::Unknown(_)) {
            return Err(SignatureError::NotOpenPgp(
                "the first packet is not a known OpenPGP packet".into(),
            ));
        }
        first = false;
        // A new top-level packet after a complete message is trailing data.
        if pp.recursion_depth() == 0 && complete(&s) {
            s.trailing_data = true;
            break;
        }
        if pp.recursion_depth() == 0 {
            s.message_packets += 1;
        }
        if let Packet::Literal(_) = pp.packet {
            s.payload = read_payload(&mut pp)?;
        }
        let depth = pp.recursion_depth();
        let (packet, next) = match pp.recurse() {
            Ok(r) => r,
            Err(_) if complete(&s) && depth == 0 => {
                s.trailing_data = true;
                break;
            }
            Err(e) => return Err(SignatureError::Malformed(error_chain(&e))),
        };
        match packet {
            Packet::CompressedData(c) => s.compression.push(compression_name(c.algo())),
            Packet::OnePassSig(_) => s.one_pass_signatures += 1,
            Packet::Literal(l) => {
                s.literal = Some(LiteralInfo {
                    format: format_name(l.format()),
                    filename: l
                        .filename()
                        .map(|f| String::from_utf8_lossy(f).into_owned()),
                    date: l
                        .date()
                        .and_then(|d| d.duration_since(SystemTime::UNIX_EPOCH).ok())
                        .map(|d| d.as_secs()),
                    length: s.payload.len(),
                })
            }
            Packet::Signature(sig) => s.signatures.push(SignatureInfo {
                version: sig.version(),
                typ: signature_type_name(sig.typ()),
                hash_algorithm: sig.hash_algo().to_string(),
                public_key_algorithm: pk_name(sig.pk_algo()),
                issuers: sig.get_issuers().iter().map(|h| h.to_hex()).collect(),
                created: sig
                    .signature_creation_time()
                    .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                    .map(|d| d.as_secs()),
            }),
            Packet::PKESK(_) | Packet::SKESK(_) | Packet::SEIP(_) => s.encrypted = true,
            Packet::Unknown(u) if u.tag() == Tag::Signature => {
                return Err(SignatureError::Malformed(format!(
                    "unparsable signature packet: {}",
                    u.error()
                )));
            }
            _ => {}
        }
        ppr = next;
    }
    if first {
        return Err(SignatureError::NotOpenPgp(
            "no OpenPGP packets in the input".into(),
        ));
    }
    Ok(s)
}

/// Reads a literal body of at most [`MAX_PAYLOAD_SIZE`] bytes; a larger
/// one is refused as soon as it passes the limit, never read whole.
fn read_payload(r: &mut impl Read) -> Result<Vec<u8>, SignatureError> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = r
            .read(&mut chunk)
            .map_err(|e| SignatureError::Malformed(e.to_string()))?;
        if n == 0 {
            return Ok(out);
        }
        if out.len() + n > MAX_PAYLOAD_SIZE {
            return Err(SignatureError::PayloadTooLarge);
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

fn complete(s: &Structure) -> bool {
    s.literal.is_some() && !s.signatures.is_empty()
}

fn compression_name(a: CompressionAlgorithm) -> String {
    match a {
        CompressionAlgorithm::Uncompressed => "uncompressed".into(),
        CompressionAlgorithm::Zip => "zip".into(),
        CompressionAlgorithm::Zlib => "zlib".into(),
        CompressionAlgorithm::BZip2 => "bzip2".into(),
        other => other.to_string(),
    }
}

fn format_name(f: DataFormat) -> String {
    match f {
        DataFormat::Binary => "binary".into(),
        DataFormat::Unicode => "utf-8".into(),
        other => other.to_string(),
    }
}

fn signature_type_name(t: SignatureType) -> String {
    match t {
        SignatureType::Binary => "binary".into(),
        SignatureType::Text => "text".into(),
        other => other.to_string(),
    }
}

fn pk_name(a: PublicKeyAlgorithm) -> String {
    a.to_string()
}
