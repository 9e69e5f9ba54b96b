//! OpenPGP packets read without verifying anything: the structure of a
//! message (for `inspect` and for refusing what is not one signed message
//! before any key is looked at), ASCII armor, and packet framing.

use super::error::SignatureError;
use crate::io::error_chain;
use crate::io::{
    BoundedReadError, MAX_COMPRESSION_LAYERS, MAX_DECOMPRESSED_SIZE, MAX_MESSAGE_PACKETS,
    MAX_PAYLOAD_SIZE, MAX_SIGNATURE_SIZE, read_limited,
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

impl Structure {
    /// Whether the first message is one compressed packet (what gpg
    /// ignores trailing data after).
    pub fn is_compressed_message(&self) -> bool {
        !self.compression.is_empty() && self.message_packets == 1
    }
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

/// A signature as [`normalize`] leaves it for sequoia.
pub(super) struct Normalized<'a> {
    pub bytes: Cow<'a, [u8]>,
    /// The compression algorithm of each layer [`rewrite_compressed`]
    /// stored uncompressed, outermost first: what the scan reports.
    stored: Vec<String>,
}

/// Where an ASCII-armored input starts, if it is armored.
fn armor_start(sig: &[u8]) -> Option<usize> {
    let i = sig.iter().position(|b| !b.is_ascii_whitespace())?;
    sig[i..].starts_with(b"-----BEGIN PGP").then_some(i)
}

/// Whether `sig` is a cleartext-signed message (`-----BEGIN PGP SIGNED
/// MESSAGE-----`), whose text is canonicalised as RFC 4880 7.1 says.
pub(super) fn is_cleartext(sig: &[u8]) -> bool {
    armor_start(sig).is_some_and(|i| sig[i..].starts_with(b"-----BEGIN PGP SIGNED MESSAGE-----"))
}

/// The hash algorithms a cleartext-signed message's `Hash:` armor headers
/// name (RFC 4880 7: comma-separated, in one or more headers), upper case.
pub(super) fn cleartext_hashes(sig: &[u8]) -> Vec<String> {
    let start = armor_start(sig).unwrap_or(0);
    let mut lines = sig[start..].split(|&b| b == b'\n').skip(1);
    let mut hashes = Vec::new();
    for line in lines.by_ref() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            break;
        }
        if let Some(value) = line.strip_prefix(b"Hash:") {
            hashes.extend(
                String::from_utf8_lossy(value)
                    .split(',')
                    .map(|h| h.trim().to_ascii_uppercase())
                    .filter(|h| !h.is_empty()),
            );
        }
    }
    hashes
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
pub(super) fn normalize(sig: &[u8]) -> Result<Normalized<'_>, SignatureError> {
    if sig.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(SignatureError::NotOpenPgp("the file is empty".into()));
    }
    if is_cleartext(sig) {
        return Ok(Normalized {
            bytes: Cow::Borrowed(sig),
            stored: Vec::new(),
        });
    }
    let binary: Cow<'_, [u8]> = match armor_start(sig) {
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
    let binary = match reframe(&binary) {
        Some(reframed) => Cow::Owned(reframed),
        None => binary,
    };
    let binary = match canonical_mpis(&binary) {
        Some(rewritten) => Cow::Owned(rewritten),
        None => binary,
    };
    // The streaming walk refuses hostile compressed content before the
    // rewrite below decompresses a whole layer into memory.
    let decompressed = check_compressed(&binary)?;
    Ok(match rewrite_compressed(&binary, 1, decompressed) {
        Some((rewritten, stored)) => Normalized {
            bytes: Cow::Owned(rewritten),
            stored,
        },
        None => Normalized {
            bytes: binary,
            stored: Vec::new(),
        },
    })
}

/// A message that is one compressed packet (at `depth` layers), with its
/// content decompressed (within [`MAX_DECOMPRESSED_SIZE`]) and stored
/// uncompressed in its place (algorithm 0), after the rewrites gpg's
/// reading needs ([`canonical_mpis`], [`one_pass_form`]); what followed
/// the packet is kept. Decompressing once here spares the scan and the
/// verification a decompression each (a compressor's state is tens of KiB
/// to allocate and zero). `decompressed` is the packet's content when the
/// walk ([`check_compressed`]) kept it. `None` when it is not such a
/// message or cannot be read (the scan then reports why).
fn rewrite_compressed(
    input: &[u8],
    depth: usize,
    decompressed: Option<Vec<u8>>,
) -> Option<(Vec<u8>, Vec<String>)> {
    if depth > MAX_COMPRESSION_LAYERS {
        return None;
    }
    let f = framing(input, 0).filter(|f| Tag::from(f.tag) == Tag::CompressedData)?;
    let body = f.body_of(input);
    let (&algo, data) = body.split_first()?;
    let inner = match decompressed {
        // The walk read it already (it keeps only algorithms 0 to 3).
        Some(inner) => inner,
        None => read_limited(decompressor(algo, data)?, MAX_DECOMPRESSED_SIZE).ok()?,
    };
    let mut stored = vec![compression_name(CompressionAlgorithm::from(algo))];
    let rewritten = match rewrite_compressed(&inner, depth + 1, None) {
        Some((nested, names)) => {
            stored.extend(names);
            nested
        }
        None => {
            let mpis = canonical_mpis(&inner);
            let current = mpis.as_deref().unwrap_or(&inner);
            match one_pass_form(current).or(mpis) {
                Some(rewritten) => rewritten,
                None => inner,
            }
        }
    };
    let mut out = Vec::with_capacity(rewritten.len() + 8 + input.len() - f.end);
    out.push(0xC0 | u8::from(Tag::CompressedData));
    out.push(255);
    out.extend_from_slice(&u32::try_from(rewritten.len() + 1).ok()?.to_be_bytes());
    out.push(0); // uncompressed
    out.extend_from_slice(&rewritten);
    out.extend_from_slice(&input[f.end..]);
    Some((out, stored))
}

/// A reader of what `data` decompresses to under OpenPGP compression
/// algorithm `algo` (0 stored, 1 ZIP, 2 ZLIB, 3 BZip2), or `None` for an
/// algorithm sequoia does not read either.
///
/// The compressed input is buffered by 4 KiB: flate2's own readers take a
/// 32 KiB buffer and zero it, eight pages written for every signature
/// (whose compressed body is well under 1 KiB).
fn decompressor<'a>(algo: u8, data: impl Read + 'a) -> Option<Box<dyn Read + 'a>> {
    const INPUT_BUFFER: usize = 4096;
    if algo == 0 {
        return Some(Box::new(data));
    }
    let input = std::io::BufReader::with_capacity(INPUT_BUFFER, data);
    Some(match algo {
        1 => Box::new(flate2::bufread::DeflateDecoder::new(input)),
        2 => Box::new(flate2::bufread::ZlibDecoder::new(input)),
        3 => Box::new(bzip2::bufread::BzDecoder::new(input)),
        _ => return None,
    })
}

/// gpg reads a signature's MPIs whatever their bit count says; sequoia
/// refuses one with leading zero bits (a non-canonical encoding). The
/// MPIs are not covered by the signature, so top-level signature packets
/// whose MPIs have leading zeros are rewritten canonically (inside
/// compression by [`rewrite_compressed`]). Returns
/// `None` when nothing needs rewriting (or the packets are not what this
/// understands: sequoia then reports them).
fn canonical_mpis(input: &[u8]) -> Option<Vec<u8>> {
    const SIGNATURE: u8 = 2;
    let mut out: Option<Vec<u8>> = None;
    let mut pos = 0;
    while pos < input.len() {
        let f = framing(input, pos)?;
        let rewritten = match f.body.as_slice() {
            [body] if f.tag == SIGNATURE => canonical_signature_body(&input[body.clone()]),
            _ => None,
        };
        match rewritten {
            Some(body) => {
                let out = out.get_or_insert_with(|| input[..pos].to_vec());
                out.push(0xC0 | SIGNATURE);
                out.push(255);
                out.extend_from_slice(&u32::try_from(body.len()).ok()?.to_be_bytes());
                out.extend_from_slice(&body);
            }
            None => {
                if let Some(out) = out.as_mut() {
                    out.extend_from_slice(&input[pos..f.end]);
                }
            }
        }
        pos = f.end;
    }
    out
}

/// A v3 or v4 signature packet body with canonical MPIs, when its MPIs
/// are well framed but one has leading zero bits.
fn canonical_signature_body(body: &[u8]) -> Option<Vec<u8>> {
    let be16 = |at: usize| {
        Some(usize::from(u16::from_be_bytes([
            *body.get(at)?,
            *body.get(at + 1)?,
        ])))
    };
    let mpis_at = match body.first()? {
        3 => 1 + 1 + 1 + 4 + 8 + 1 + 1 + 2,
        4 => {
            let hashed = be16(4)?;
            let unhashed = be16(6 + hashed)?;
            6 + hashed + 2 + unhashed + 2
        }
        _ => return None,
    };
    let mut mpis = Vec::new();
    let mut changed = false;
    let mut at = mpis_at;
    while at < body.len() {
        let bits = be16(at)?;
        let value = body.get(at + 2..at + 2 + bits.div_ceil(8))?;
        at += 2 + value.len();
        let value = &value[value.iter().take_while(|&&b| b == 0).count()..];
        let canonical_bits = value
            .first()
            .map_or(0, |&b| value.len() * 8 - b.leading_zeros() as usize);
        changed |= canonical_bits != bits;
        mpis.extend_from_slice(&u16::try_from(canonical_bits).ok()?.to_be_bytes());
        mpis.extend_from_slice(value);
    }
    changed.then(|| [&body[..mpis_at], &mpis].concat())
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

/// The old message order RFC 4880 keeps from PGP 2, a signature packet
/// before the literal data with no one-pass signature (gpg verifies it;
/// sequoia's verifier does not hash the data then), rewritten in the
/// one-pass form: a one-pass signature packet made from the signature,
/// the literal data (with a definite length, whatever its framing), the
/// signature. Neither the one-pass packet nor framing is covered by the
/// signature. `None` when the top-level packets are not exactly
/// signature, literal data.
pub(super) fn one_pass_form(input: &[u8]) -> Option<Vec<u8>> {
    use openpgp::serialize::Marshal as _;
    const SIGNATURE: u8 = 2;
    const LITERAL: u8 = 11;
    let sig = framing(input, 0).filter(|f| f.tag == SIGNATURE && !f.partial)?;
    let lit = framing(input, sig.end).filter(|f| f.tag == LITERAL)?;
    if lit.end != input.len() {
        return None;
    }
    let Ok(Packet::Signature(signature)) = Packet::from_bytes(&input[..sig.end]) else {
        return None;
    };
    let mut ops = openpgp::packet::OnePassSig::try_from(&signature).ok()?;
    ops.set_last(true);
    let mut out = Vec::with_capacity(input.len() + 64);
    Packet::from(ops).serialize(&mut out).ok()?;
    let body_len: usize = lit.body.iter().map(|r| r.len()).sum();
    out.push(0xC0 | LITERAL);
    out.push(255);
    out.extend_from_slice(&u32::try_from(body_len).ok()?.to_be_bytes());
    for r in &lit.body {
        out.extend_from_slice(&input[r.clone()]);
    }
    out.extend_from_slice(&input[..sig.end]);
    Some(out)
}

/// How one packet is framed: its tag, where it ends, and the byte ranges
/// of its body (several when it uses partial body lengths).
pub(crate) struct Framing {
    pub tag: u8,
    pub end: usize,
    pub body: Vec<std::ops::Range<usize>>,
    pub partial: bool,
}

impl Framing {
    /// The packet's body in `input` (where it was framed): borrowed when
    /// it is one piece, joined when it comes in partial-length chunks.
    fn body_of<'a>(&self, input: &'a [u8]) -> Cow<'a, [u8]> {
        match self.body.as_slice() {
            [one] => Cow::Borrowed(&input[one.clone()]),
            chunks => Cow::Owned(
                chunks
                    .iter()
                    .flat_map(|r| &input[r.clone()])
                    .copied()
                    .collect(),
            ),
        }
    }
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

/// Walks the compressed packets of `input` as streams before sequoia
/// parses them, and refuses, as soon as it is read, a packet inside
/// compression that has no place in a signed message, more than
/// [`MAX_MESSAGE_PACKETS`] packets, compression nested past
/// [`MAX_COMPRESSION_LAYERS`], or more than [`MAX_DECOMPRESSED_SIZE`]
/// bytes decompressed, all layers together. sequoia would decompress a
/// packet's whole body to skip it; here nothing is decompressed past the
/// budget, so the work one signature costs is bounded whatever its
/// compressed packets claim. Top-level packets are left to the scan (what
/// follows a complete message is ignored there, as gpg ignores it), and so
/// is whatever cannot be walked (damaged framing, an unknown algorithm, a
/// corrupt stream), for sequoia to report.
///
/// Returns what the first packet decompressed to, when it is a compressed
/// packet whose content was read to its end and is at most
/// [`MAX_KEPT_DECOMPRESSED`] bytes (a signature's is about 1 KiB), so that
/// [`rewrite_compressed`] need not decompress it again.
fn check_compressed(input: &[u8]) -> Result<Option<Vec<u8>>, SignatureError> {
    let walk = Walk {
        budget: std::cell::Cell::new(MAX_DECOMPRESSED_SIZE),
        exceeded: std::cell::Cell::new(false),
        packets: std::cell::Cell::new(0),
        kept: std::cell::RefCell::new(None),
    };
    let mut first = None;
    let mut pos = 0;
    while let Some(f) = framing(input, pos) {
        let at_start = pos == 0;
        pos = f.end;
        if Tag::from(f.tag) == Tag::CompressedData {
            let body = f.body_of(input);
            let mut body: &[u8] = &body;
            if at_start {
                *walk.kept.borrow_mut() = Some(Vec::new());
            }
            match walk.container(&mut body, 1) {
                Err(Stop::Refused(e)) => return Err(e),
                Err(Stop::Unwalkable) => {}
                Ok(()) if at_start => first = walk.kept.borrow_mut().take(),
                Ok(()) => {}
            }
            *walk.kept.borrow_mut() = None;
        }
    }
    Ok(first)
}

/// The most [`check_compressed`] keeps of what the first packet
/// decompresses to.
const MAX_KEPT_DECOMPRESSED: usize = 64 * 1024;

/// The state of [`check_compressed`]'s walk, shared by every layer.
struct Walk {
    /// Decompressed bytes still allowed.
    budget: std::cell::Cell<u64>,
    exceeded: std::cell::Cell<bool>,
    packets: std::cell::Cell<usize>,
    /// What the outermost layer being walked has decompressed to so far,
    /// while it is kept (see [`check_compressed`]); `None` once it is not.
    kept: std::cell::RefCell<Option<Vec<u8>>>,
}

enum Stop {
    Refused(SignatureError),
    /// Not a stream this walk understands: sequoia reports it.
    Unwalkable,
}

impl Walk {
    /// Walks the packets decompressed from the body of a compressed-data
    /// packet (`body` yields the algorithm octet, then the data), at
    /// `depth` layers of compression.
    fn container(&self, body: &mut dyn Read, depth: usize) -> Result<(), Stop> {
        if depth > MAX_COMPRESSION_LAYERS {
            return Err(Stop::Refused(too_deep()));
        }
        let mut algo = [0u8];
        body.read_exact(&mut algo).map_err(|_| Stop::Unwalkable)?;
        let decoder = decompressor(algo[0], body).ok_or(Stop::Unwalkable)?;
        let mut r = Budgeted {
            inner: decoder,
            walk: self,
            keep: depth == 1,
        };
        loop {
            let Some((tag, length)) = self.header(&mut r)? else {
                return Ok(());
            };
            let n = self.packets.get() + 1;
            self.packets.set(n);
            if n > MAX_MESSAGE_PACKETS {
                return Err(Stop::Refused(too_many_packets()));
            }
            let tag = Tag::from(tag);
            if !may_be_in_message(tag) {
                return Err(Stop::Refused(out_of_grammar(tag)));
            }
            let mut packet = Body {
                r: &mut r,
                walk: self,
                left: length,
            };
            if tag == Tag::CompressedData {
                self.container(&mut packet, depth + 1)?;
            }
            // What the packet's parser would not read is skipped, within
            // the budget.
            std::io::copy(&mut packet, &mut std::io::sink()).map_err(|_| self.stop())?;
        }
    }

    /// Reads a packet header: its tag and how its body is framed, or
    /// `None` at the end of the stream.
    fn header(&self, r: &mut dyn Read) -> Result<Option<(u8, Length)>, Stop> {
        let mut ctb = [0u8];
        match r.read(&mut ctb) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(_) => return Err(self.stop()),
        }
        let ctb = ctb[0];
        if ctb & 0x80 == 0 {
            return Err(Stop::Unwalkable);
        }
        if ctb & 0x40 == 0 {
            let tag = (ctb >> 2) & 0x0f;
            let bytes = match ctb & 3 {
                0 => 1,
                1 => 2,
                2 => 4,
                _ => return Ok(Some((tag, Length::ToEnd))),
            };
            let mut b = [0u8; 4];
            r.read_exact(&mut b[..bytes]).map_err(|_| self.stop())?;
            let len = b[..bytes]
                .iter()
                .fold(0u64, |a, x| (a << 8) | u64::from(*x));
            return Ok(Some((tag, Length::Full(len))));
        }
        Ok(Some((ctb & 0x3f, self.new_length(r)?)))
    }

    /// A new-format body length (RFC 4880, 4.2.2).
    fn new_length(&self, r: &mut dyn Read) -> Result<Length, Stop> {
        let mut b = [0u8; 4];
        r.read_exact(&mut b[..1]).map_err(|_| self.stop())?;
        Ok(match b[0] {
            0..=191 => Length::Full(u64::from(b[0])),
            192..=223 => {
                let first = u64::from(b[0]);
                r.read_exact(&mut b[1..2]).map_err(|_| self.stop())?;
                Length::Full(((first - 192) << 8) + u64::from(b[1]) + 192)
            }
            255 => {
                r.read_exact(&mut b).map_err(|_| self.stop())?;
                Length::Full(u64::from(u32::from_be_bytes(b)))
            }
            p => Length::Partial(1u64 << (p & 0x1f)),
        })
    }

    /// Why reading stopped: the budget, or a stream sequoia will report.
    fn stop(&self) -> Stop {
        if self.exceeded.get() {
            Stop::Refused(SignatureError::DecompressedTooLarge)
        } else {
            Stop::Unwalkable
        }
    }
}

/// How much of a packet's body is left.
#[derive(Clone, Copy)]
enum Length {
    Full(u64),
    /// A partial chunk; another length follows it.
    Partial(u64),
    /// Old format, indeterminate: to the end of the enclosing stream.
    ToEnd,
}

/// Decompressed bytes, counted against the walk's budget (and, for the
/// outermost layer, kept while the walk keeps them).
struct Budgeted<'w, R> {
    inner: R,
    walk: &'w Walk,
    keep: bool,
}

impl<R: Read> Read for Budgeted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let budget = self.walk.budget.get();
        // One byte past the budget shows that there is more.
        let want = buf
            .len()
            .min(usize::try_from(budget + 1).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > budget {
            self.walk.exceeded.set(true);
            return Err(std::io::Error::other("decompression budget exceeded"));
        }
        self.walk.budget.set(budget - n as u64);
        if self.keep {
            let mut kept = self.walk.kept.borrow_mut();
            match kept.as_mut() {
                Some(k) if k.len() + n <= MAX_KEPT_DECOMPRESSED => k.extend_from_slice(&buf[..n]),
                _ => *kept = None,
            }
        }
        Ok(n)
    }
}

/// One packet's body, read from its enclosing stream.
struct Body<'a, 'w> {
    r: &'a mut dyn Read,
    walk: &'w Walk,
    left: Length,
}

impl Read for Body<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let left = match self.left {
                Length::ToEnd => return self.r.read(buf),
                Length::Full(0) => return Ok(0),
                Length::Partial(0) => {
                    self.left = self
                        .walk
                        .new_length(self.r)
                        .map_err(|_| std::io::Error::other("bad partial body length"))?;
                    continue;
                }
                Length::Full(n) | Length::Partial(n) => n,
            };
            let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            let n = self.r.read(&mut buf[..want])?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.left = match self.left {
                Length::Full(l) => Length::Full(l - n as u64),
                Length::Partial(l) => Length::Partial(l - n as u64),
                Length::ToEnd => Length::ToEnd,
            };
            return Ok(n);
        }
    }
}

fn too_deep() -> SignatureError {
    SignatureError::NotOpenPgp(format!(
        "compression nested more than {MAX_COMPRESSION_LAYERS} levels deep"
    ))
}

fn too_many_packets() -> SignatureError {
    SignatureError::NotOpenPgp(format!(
        "more than {MAX_MESSAGE_PACKETS} packets: not one signed message"
    ))
}

fn out_of_grammar(tag: Tag) -> SignatureError {
    SignatureError::NotOpenPgp(format!("a {tag} packet has no place in a signed message"))
}

/// Whether a packet tagged `tag` can be part of a signed message.
/// Encrypted messages are recognised, and refused as not signed.
fn may_be_in_message(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::CompressedData
            | Tag::OnePassSig
            | Tag::Literal
            | Tag::Signature
            | Tag::Marker
            | Tag::PKESK
            | Tag::SKESK
            | Tag::SEIP
    )
}

pub(super) fn scan_normalized(
    sig: &Normalized<'_>,
    armored: bool,
) -> Result<Structure, SignatureError> {
    let mut s = Structure {
        armored,
        ..Structure::default()
    };
    scan_into(sig, &mut s)?;
    Ok(s)
}

/// Walks the packets of `sig` (armored or binary) as far as they can be
/// read: the structure, and why the walk stopped early if it did (for
/// `inspect` to show what a truncated or damaged file holds). Errors
/// before any packet is read (too large, not OpenPGP at all) are returned
/// as such.
pub fn scan_partial(sig: &[u8]) -> Result<(Structure, Option<SignatureError>), SignatureError> {
    if sig.len() as u64 > MAX_SIGNATURE_SIZE {
        return Err(SignatureError::TooLarge);
    }
    let mut s = Structure {
        armored: armor_start(sig).is_some(),
        ..Structure::default()
    };
    let stopped = scan_into(&normalize(sig)?, &mut s).err();
    Ok((s, stopped))
}

/// The packet walk of [`scan_normalized`], filling `s` as it goes. `sig`
/// comes from [`normalize`], whose walk of the compressed packets has
/// already refused what is hostile inside them.
fn scan_into(sig: &Normalized<'_>, s: &mut Structure) -> Result<(), SignatureError> {
    let not_pgp = |e: anyhow::Error| SignatureError::NotOpenPgp(error_chain(e.as_ref()));
    let mut ppr = PacketParserBuilder::from_bytes(&sig.bytes[..])
        .map_err(not_pgp)?
        .process_csf_message(true)
        .build()
        .map_err(not_pgp)?;
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
        if pp.recursion_depth() == 0 && complete(s) {
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
            return Err(too_many_packets());
        }
        check_grammar(&pp.packet, pp.recursion_depth())?;
        if let Packet::Literal(l) = &pp.packet {
            // Described before its body is read, so that a truncated body
            // still shows (see `scan_partial`).
            s.literal = Some(literal_info(l, 0));
            read_payload_into(&mut pp, &mut s.payload)?;
        }
        let depth = pp.recursion_depth();
        let (packet, next) = match pp.recurse() {
            Ok(r) => r,
            Err(_) if complete(s) && depth == 0 => {
                s.trailing_data = true;
                break;
            }
            Err(e) => return Err(SignatureError::Malformed(error_chain(e.as_ref()))),
        };
        match packet {
            Packet::CompressedData(c) => {
                let name = match sig.stored.get(s.compression.len()) {
                    Some(stored) => stored.clone(),
                    None => compression_name(c.algo()),
                };
                s.compression.push(name);
            }
            Packet::OnePassSig(_) => s.one_pass_signatures += 1,
            Packet::Literal(l) => s.literal = Some(literal_info(&l, s.payload.len())),
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
    Ok(())
}

/// Whether `packet`, found at `depth` (compression layers around it), can
/// be part of a signed message.
fn check_grammar(packet: &Packet, depth: isize) -> Result<(), SignatureError> {
    let tag = packet.tag();
    match packet {
        Packet::CompressedData(_) if depth as usize >= MAX_COMPRESSION_LAYERS => Err(too_deep()),
        // Reported as a bad signature by the caller.
        Packet::Unknown(u) if u.tag() == Tag::Signature => Ok(()),
        // A known tag that sequoia could not parse has no place either.
        Packet::Unknown(_) => Err(out_of_grammar(tag)),
        _ if may_be_in_message(tag) => Ok(()),
        _ => Err(out_of_grammar(tag)),
    }
}

fn literal_info(l: &openpgp::packet::Literal, length: usize) -> LiteralInfo {
    LiteralInfo {
        format: format_name(l.format()),
        filename: l
            .filename()
            .map(|f| String::from_utf8_lossy(f).into_owned()),
        date: l
            .date()
            .and_then(|d| d.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_secs()),
        length,
    }
}

/// Reads a literal body of at most [`MAX_PAYLOAD_SIZE`] bytes; a larger
/// one is refused as soon as it passes the limit, never read whole.
pub(super) fn read_payload(r: &mut impl Read) -> Result<Vec<u8>, SignatureError> {
    let mut out = Vec::new();
    read_payload_into(r, &mut out)?;
    Ok(out)
}

/// [`read_payload`] into `out`, which keeps what was read when reading
/// fails.
fn read_payload_into(r: &mut impl Read, out: &mut Vec<u8>) -> Result<(), SignatureError> {
    let mut chunk = [0u8; 8192];
    loop {
        let n = r
            .read(&mut chunk)
            .map_err(|e| SignatureError::Malformed(e.to_string()))?;
        if n == 0 {
            return Ok(());
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

    /// A zlib-compressed message holding a literal packet of `data`.
    fn compressed_literal(data: &[u8]) -> Vec<u8> {
        use openpgp::serialize::stream::{Compressor, LiteralWriter, Message};
        use std::io::Write as _;
        let mut out = Vec::new();
        let message = Message::new(&mut out);
        let message = Compressor::new(message)
            .algo(CompressionAlgorithm::Zlib)
            .build()
            .unwrap();
        let mut literal = LiteralWriter::new(message).build().unwrap();
        literal.write_all(data).unwrap();
        literal.finalize().unwrap();
        out
    }

    #[test]
    fn a_compressed_message_is_decompressed_once_and_stored() {
        use std::io::Write as _;
        // A signature's content is kept from the walk; a larger one is
        // decompressed again by the rewrite: the same result either way.
        for (size, kept) in [(1000, true), (MAX_KEPT_DECOMPRESSED + 1, false)] {
            let data: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
            let message = compressed_literal(&data);
            let decompressed = check_compressed(&message).unwrap();
            assert_eq!(decompressed.is_some(), kept, "{size} bytes");
            let normalized = normalize(&message).unwrap();
            assert_eq!(normalized.stored, ["zlib"]);
            // A new-format compressed-data packet, five-octet length,
            // algorithm 0 (stored).
            assert_eq!(&normalized.bytes[..2], &[0xC8, 255]);
            assert_eq!(normalized.bytes[6], 0);
            if let Some(d) = decompressed {
                assert_eq!(&normalized.bytes[7..], &d[..]);
            }
            // The scan reports the compression the message was sent with,
            // and reads the literal data out of the stored packet.
            let s = scan(&message).unwrap();
            assert_eq!(s.compression, ["zlib"]);
            assert_eq!(s.payload, data);
        }
        // Nothing is kept when the first packet is not compressed.
        let mut literal = Vec::new();
        {
            use openpgp::serialize::stream::{LiteralWriter, Message};
            let mut w = LiteralWriter::new(Message::new(&mut literal))
                .build()
                .unwrap();
            w.write_all(b"x").unwrap();
            w.finalize().unwrap();
        }
        assert_eq!(check_compressed(&literal).unwrap(), None);
        assert!(normalize(&literal).unwrap().stored.is_empty());
    }
}
