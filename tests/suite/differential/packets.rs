//! Hand-built OpenPGP packets for the message shapes neither gpg nor
//! sequoia's streaming writer makes: old-format and indeterminate
//! lengths, short partial-length chunks, packets in the old order,
//! version-3 signatures, non-canonical MPIs, chosen subpackets.
//! Signatures are computed by sequoia; only the framing is ours.

use openpgp::Cert;
use openpgp::crypto::{KeyPair, Signer as _};
use openpgp::packet::Packet;
use openpgp::packet::Signature;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::serialize::MarshalInto as _;
use openpgp::types::{CompressionAlgorithm, HashAlgorithm, SignatureType};
use sequoia_openpgp as openpgp;

pub const TAG_SIGNATURE: u8 = 2;
pub const TAG_COMPRESSED: u8 = 8;
pub const TAG_MARKER: u8 = 10;
pub const TAG_LITERAL: u8 = 11;
pub const TAG_ONE_PASS: u8 = 4;

/// A new-format packet (RFC 4880 4.2.2) with a definite length.
pub fn new_packet(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![0xC0 | tag];
    let len = body.len();
    if len < 192 {
        p.push(len as u8);
    } else if len < 8384 {
        let l = len - 192;
        p.push(((l >> 8) + 192) as u8);
        p.push((l & 0xFF) as u8);
    } else {
        p.push(0xFF);
        p.extend_from_slice(&u32::try_from(len).unwrap().to_be_bytes());
    }
    p.extend_from_slice(body);
    p
}

/// An old-format packet with a four-byte length (tags below 16 only).
pub fn old_packet(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80 | (tag << 2) | 2];
    p.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
    p.extend_from_slice(body);
    p
}

/// An old-format packet of indeterminate length (runs to the end).
pub fn old_indeterminate(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80 | (tag << 2) | 3];
    p.extend_from_slice(body);
    p
}

/// A new-format packet in partial-length chunks of `2^power` bytes
/// (RFC 4880 requires the first to be at least 512; Go's openpgp once
/// wrote smaller ones), the rest in a definite-length last chunk.
pub fn partial_packet(tag: u8, body: &[u8], power: u8) -> Vec<u8> {
    let chunk = 1usize << power;
    let mut p = vec![0xC0 | tag];
    let mut rest = body;
    while rest.len() > chunk {
        p.push(224 + power);
        p.extend_from_slice(&rest[..chunk]);
        rest = &rest[chunk..];
    }
    let last = new_packet(0, rest);
    p.extend_from_slice(&last[1..]);
    p
}

/// A literal data body: format (`b`, `t`, `u`), no file name, time 0.
pub fn literal_body(format: u8, data: &[u8]) -> Vec<u8> {
    let mut b = vec![format, 0, 0, 0, 0, 0];
    b.extend_from_slice(data);
    b
}

/// `content` (packets) inside one compression packet of `algo`.
pub fn compressed(content: &[u8], algo: CompressionAlgorithm) -> Vec<u8> {
    use openpgp::serialize::stream::{Compressor, Message};
    use std::io::Write as _;
    let mut out = Vec::new();
    {
        let m = Message::new(&mut out);
        let mut m = Compressor::new(m).algo(algo).build().unwrap();
        m.write_all(content).unwrap();
        m.finalize().unwrap();
    }
    out
}

/// The body of one serialized packet (header stripped).
pub fn body_of(packet: &[u8]) -> Vec<u8> {
    let ctb = packet[0];
    if ctb & 0x40 != 0 {
        match packet[1] {
            0..=191 => packet[2..].to_vec(),
            192..=223 => packet[3..].to_vec(),
            255 => packet[6..].to_vec(),
            _ => panic!("partial length in a signature packet"),
        }
    } else {
        match ctb & 3 {
            0 => packet[2..].to_vec(),
            1 => packet[3..].to_vec(),
            2 => packet[5..].to_vec(),
            _ => packet[1..].to_vec(),
        }
    }
}

/// The body of a signature packet as sequoia serializes it.
pub fn sig_body(sig: &Signature) -> Vec<u8> {
    body_of(&Packet::from(sig.clone()).to_vec().unwrap())
}

/// A version-3 one-pass signature body announcing `sig` (`last`: no
/// further one-pass packet follows).
pub fn one_pass_body(
    sig_type: u8,
    hash: HashAlgorithm,
    pk: u8,
    keyid: &[u8],
    last: bool,
) -> Vec<u8> {
    let mut b = vec![3, sig_type, u8::from(hash), pk];
    b.extend_from_slice(keyid);
    b.push(u8::from(last));
    b
}

/// The one-pass body announcing a v4 signature.
pub fn one_pass_for(sig: &Signature, keyid: &[u8]) -> Vec<u8> {
    one_pass_body(
        u8::from(sig.typ()),
        sig.hash_algo(),
        u8::from(sig.pk_algo()),
        keyid,
        true,
    )
}

/// A v4 signature of `typ` by `signer` over exactly `hashed` (the literal
/// data as it is hashed), built from `template` when given.
pub fn sign_v4(
    signer: &mut KeyPair,
    typ: SignatureType,
    hashed: &[u8],
    template: Option<SignatureBuilder>,
) -> Signature {
    let mut ctx = HashAlgorithm::SHA256.context().unwrap().for_signature(4);
    ctx.update(hashed);
    template
        .unwrap_or_else(|| SignatureBuilder::new(typ))
        .sign_hash(signer, ctx)
        .unwrap()
}

/// A version-3 signature packet body (RFC 4880 5.2.2) of type binary,
/// SHA-256, created at `created` (seconds), by `signer` over `data`.
pub fn sign_v3(signer: &mut KeyPair, data: &[u8], created: u32) -> Vec<u8> {
    let mut ctx = HashAlgorithm::SHA256.context().unwrap().for_digest();
    ctx.update(data);
    ctx.update(&[0x00]);
    ctx.update(&created.to_be_bytes());
    let mut digest = vec![0u8; ctx.digest_size()];
    ctx.digest(&mut digest).unwrap();
    let mpis = signer.sign(HashAlgorithm::SHA256, &digest).unwrap();
    let public = signer.public();
    let mut b = vec![3, 5, 0x00];
    b.extend_from_slice(&created.to_be_bytes());
    b.extend_from_slice(public.keyid().as_bytes());
    b.push(u8::from(public.pk_algo()));
    b.push(u8::from(HashAlgorithm::SHA256));
    b.extend_from_slice(&digest[..2]);
    b.extend_from_slice(&mpis.to_vec().unwrap());
    b
}

/// The offset of the MPIs in a v4 signature body.
fn v4_mpi_offset(body: &[u8]) -> usize {
    assert_eq!(body[0], 4, "a v4 signature");
    let hashed = usize::from(u16::from_be_bytes([body[4], body[5]]));
    let at = 6 + hashed;
    let unhashed = usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
    at + 2 + unhashed + 2
}

/// An RSA v4 signature body with its one MPI re-encoded with `extra`
/// leading zero bytes and a bit count claiming them (non-canonical).
pub fn rsa_mpi_with_leading_zeros(body: &[u8], extra: usize) -> Vec<u8> {
    let at = v4_mpi_offset(body);
    let value = &body[at + 2..];
    let mut b = body[..at].to_vec();
    let bits = u16::try_from((value.len() + extra) * 8).unwrap();
    b.extend_from_slice(&bits.to_be_bytes());
    b.resize(b.len() + extra, 0);
    b.extend_from_slice(value);
    b
}

/// An RSA v4 signature body whose MPI bit count is `delta` off.
pub fn rsa_mpi_bits_off(body: &[u8], delta: i32) -> Vec<u8> {
    let at = v4_mpi_offset(body);
    let mut b = body.to_vec();
    let bits = i32::from(u16::from_be_bytes([b[at], b[at + 1]])) + delta;
    b[at..at + 2].copy_from_slice(&u16::try_from(bits).unwrap().to_be_bytes());
    b
}

/// The primary key pair of `cert`.
pub fn pair(cert: &Cert) -> KeyPair {
    crate::signing::primary_pair(cert)
}
