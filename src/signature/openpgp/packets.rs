//! OpenPGP packets read without verifying anything: the structure of a
//! message (for `inspect` and for refusing what is not one signed message
//! before any key is looked at), ASCII armor, and packet framing.

use super::error::SignatureError;
use crate::io::error_chain;
use crate::io::{
    BoundedReadError, MAX_COMPRESSION_LAYERS, MAX_MESSAGE_PACKETS, MAX_PAYLOAD_SIZE,
    MAX_SIGNATURE_SIZE, read_limited,
};
use openpgp::armor::ReaderMode;
use openpgp::packet::{Packet, Tag};
use openpgp::parse::{PacketParserBuilder, PacketParserResult, Parse};
use openpgp::types::{CompressionAlgorithm, DataFormat, PublicKeyAlgorithm, SignatureType};
use sequoia_openpgp as openpgp;
use serde::Serialize;
use std::borrow::Cow;
use std::io::Read;
use std::time::SystemTime;

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
    if sig.len() as u64 > MAX_SIGNATURE_SIZE {
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

/// What kind of text document `bytes` is, when it is obviously one: a
/// binary OpenPGP message starts with a packet tag byte, which always has
/// its top bit set, so `{`, `[` and `<` can never start one.
fn text_document(bytes: &[u8]) -> Option<&'static str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &bytes[start..bytes.len().min(start + 1024)];
    let lower = head.to_ascii_lowercase();
    let has = |needle: &[u8]| lower.windows(needle.len()).any(|w| w == needle);
    match head[0] {
        b'{' | b'[' => Some("JSON"),
        b'<' if has(b"<html") || has(b"<!doctype html") => Some("HTML"),
        b'<' => Some("XML"),
        _ => None,
    }
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
pub(super) fn normalize(sig: &[u8]) -> Result<Cow<'_, [u8]>, SignatureError> {
    if sig.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(SignatureError::NotOpenPgp("the file is empty".into()));
    }
    let binary: Cow<'_, [u8]> = match armor_start(sig) {
        Some(i) if sig[i..].starts_with(b"-----BEGIN PGP SIGNED MESSAGE-----") => {
            return Ok(Cow::Borrowed(sig));
        }
        Some(_) => Cow::Owned(dearmor(sig, MAX_SIGNATURE_SIZE).map_err(|e| match e {
            BoundedReadError::TooLarge => SignatureError::TooLarge,
            BoundedReadError::Io(e) => SignatureError::NotOpenPgp(format!("bad ASCII armor: {e}")),
        })?),
        None => {
            // A sigstore signature handed to the OpenPGP mechanism (e.g. to
            // standalone-verify): say what it is.
            if crate::signature::sigstore::format::is_sigstore(sig) {
                return Err(SignatureError::LooksLike("a sigstore (cosign) signature"));
            }
            if let Some(kind) = text_document(sig) {
                return Err(SignatureError::LooksLike(kind));
            }
            Cow::Borrowed(sig)
        }
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
    // The copy is made only once a packet needs rewriting: most
    // signatures need none, and a copy would double their memory.
    let mut out: Option<Vec<u8>> = None;
    let mut pos = 0;
    while pos < input.len() {
        let f = framing(input, pos)?;
        if f.partial {
            let out = out.get_or_insert_with(|| {
                let mut v = Vec::with_capacity(input.len());
                v.extend_from_slice(&input[..pos]);
                v
            });
            let len: usize = f.body.iter().map(|r| r.len()).sum();
            out.push(input[pos]);
            out.push(255);
            out.extend_from_slice(&u32::try_from(len).ok()?.to_be_bytes());
            for r in &f.body {
                out.extend_from_slice(&input[r.clone()]);
            }
        } else if let Some(out) = out.as_mut() {
            out.extend_from_slice(&input[pos..f.end]);
        }
        pos = f.end;
    }
    out
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
pub(super) fn packets_end(input: &[u8], packets: usize) -> Option<usize> {
    let mut pos = 0;
    for _ in 0..packets {
        pos = framing(input, pos)?.end;
    }
    Some(pos)
}

pub(super) fn scan_normalized(sig: &[u8], armored: bool) -> Result<Structure, SignatureError> {
    let not_pgp = |e: anyhow::Error| SignatureError::NotOpenPgp(error_chain(e.as_ref()));
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
    let mut packets = 0usize;
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
        // Refuse, before its body is read (or decompressed), any packet
        // that has no place in a signed message: a hostile file can hide
        // gigabytes of compressed filler in packets that would otherwise
        // be parsed and skipped, at the cost of the whole filler.
        packets += 1;
        if packets > MAX_MESSAGE_PACKETS {
            return Err(SignatureError::NotOpenPgp(format!(
                "more than {MAX_MESSAGE_PACKETS} packets: not one signed message"
            )));
        }
        check_grammar(&pp.packet, pp.recursion_depth())?;
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
            Err(e) => return Err(SignatureError::Malformed(error_chain(e.as_ref()))),
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

/// Whether `packet`, found at `depth` (compression layers around it), can
/// be part of a signed message.
fn check_grammar(packet: &Packet, depth: isize) -> Result<(), SignatureError> {
    let tag = packet.tag();
    match packet {
        Packet::CompressedData(_) if depth as usize >= MAX_COMPRESSION_LAYERS => {
            Err(SignatureError::NotOpenPgp(format!(
                "compression nested more than {MAX_COMPRESSION_LAYERS} levels deep"
            )))
        }
        Packet::CompressedData(_)
        | Packet::OnePassSig(_)
        | Packet::Literal(_)
        | Packet::Signature(_)
        | Packet::Marker(_)
        // Encrypted messages are recognised, and refused as not signed.
        | Packet::PKESK(_)
        | Packet::SKESK(_)
        | Packet::SEIP(_) => Ok(()),
        // Reported as a bad signature by the caller.
        Packet::Unknown(u) if u.tag() == Tag::Signature => Ok(()),
        _ => Err(SignatureError::NotOpenPgp(format!(
            "a {tag} packet has no place in a signed message"
        ))),
    }
}

/// Reads a literal body of at most [`MAX_PAYLOAD_SIZE`] bytes; a larger
/// one is refused as soon as it passes the limit, never read whole.
pub(super) fn read_payload(r: &mut impl Read) -> Result<Vec<u8>, SignatureError> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = r
            .read(&mut chunk)
            .map_err(|e| SignatureError::Malformed(e.to_string()))?;
        if n == 0 {
            return Ok(out);
        }
        if (out.len() + n) as u64 > MAX_PAYLOAD_SIZE {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_documents_are_named_not_parsed() {
        let kind = |b: &[u8]| match normalize(b) {
            Err(SignatureError::LooksLike(k)) => Some(k),
            _ => None,
        };
        assert_eq!(kind(b"\n  {\"schemaVersion\": 2}"), Some("JSON"));
        assert_eq!(kind(b"<!DOCTYPE html><title>404</title>"), Some("HTML"));
        assert_eq!(kind(b"<?xml version=\"1.0\"?><Error/>"), Some("XML"));
        // Binary OpenPGP (a compressed-data packet tag) is not text.
        assert_eq!(kind(b"\xa3\x01\x02"), None);
    }
}
