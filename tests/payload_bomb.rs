//! A signed payload that decompresses to far more than the 4 MiB limit is
//! refused as `too-large` without holding it in memory. Alone in its test
//! binary so the process's peak memory reflects this check only.
//! Linux only: it reads the peak from /proc.

#![cfg(target_os = "linux")]

mod common;
mod signing;

use openpgp::cert::prelude::*;
use relsig::image::manifest::Manifest;
use relsig::signature::Reason;
use relsig::signature::check::Image;
use relsig::signature::openpgp::keyring::Keyring;
use sequoia_openpgp as openpgp;
use signing::*;
use std::io::Read as _;

/// Length-258 back-references in the crafted stream: the literal holds
/// 1 + 258 * MATCHES zero bytes (270 MB, 64 times the 4 MiB limit).
const MATCHES: usize = 1 << 20;

/// Writes bits least-significant first, as DEFLATE packs them.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// Huffman codes are sent most-significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        self.put(code.reverse_bits() >> (32 - len), len);
    }
    /// A literal byte with the fixed Huffman code (RFC 1951 3.2.6).
    fn literal(&mut self, b: u8) {
        match b {
            0..=143 => self.code(0x30 + b as u32, 8),
            _ => self.code(0x190 + (b as u32 - 144), 9),
        }
    }
    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A ZIP-compressed message `one-pass-sig, literal, signature` whose
/// literal is 1 + 258 * MATCHES zero bytes, written as one fixed-Huffman
/// DEFLATE block of back-references (so it costs nothing to make). The
/// one-pass-sig and signature packets are real ones, from `signed` (an
/// uncompressed message); the signature cannot match the zeros, but
/// proving that would take reading all of them.
fn bomb(signed: &[u8]) -> Vec<u8> {
    use openpgp::Packet;
    use openpgp::parse::Parse as _;
    use openpgp::serialize::SerializeInto as _;
    let pile = openpgp::PacketPile::from_bytes(signed).unwrap();
    let packets: Vec<&Packet> = pile.children().collect();
    assert!(matches!(packets[0], Packet::OnePassSig(_)));
    assert!(matches!(packets[2], Packet::Signature(_)));
    let len = 1 + 258 * MATCHES;
    let mut prefix = packets[0].to_vec().unwrap();
    // Literal packet: new-format tag 11, five-octet length, binary,
    // no file name, date 0.
    prefix.extend_from_slice(&[0xCB, 0xFF]);
    prefix.extend_from_slice(&u32::try_from(len + 6).unwrap().to_be_bytes());
    prefix.extend_from_slice(&[b'b', 0, 0, 0, 0, 0]);
    let suffix = packets[2].to_vec().unwrap();

    let mut bits = Bits::default();
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE = fixed Huffman
    prefix.iter().for_each(|&b| bits.literal(b));
    bits.literal(0);
    for _ in 0..MATCHES {
        bits.code(0xC5, 8); // length code 285: 258 bytes
        bits.code(0, 5); // distance code 0: distance 1
    }
    suffix.iter().for_each(|&b| bits.literal(b));
    bits.code(0, 7); // end of block (256)
    let deflate = bits.finish();

    let mut out = vec![0xC8, 0xFF]; // compressed data packet
    out.extend_from_slice(&u32::try_from(deflate.len() + 1).unwrap().to_be_bytes());
    out.push(1); // ZIP
    out.extend_from_slice(&deflate);
    out
}

/// The process's peak resident memory (VmHWM) in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn payload_decompressing_to_256_mib_is_too_large_with_bounded_memory() {
    let env = Env::new();
    let cert = signing_cert(CipherSuite::Cv25519);
    let key = env.key_file("key.gpg", &[&cert]);
    let signed = sign(
        &env.payload(),
        vec![primary_pair(&cert)],
        &Msg {
            compression: None,
            ..Msg::default()
        },
    );
    let sig = bomb(&signed);
    assert!(sig.len() < relsig::io::MAX_SIGNATURE_SIZE as usize);
    // The crafted stream is what it claims: a literal that inflates to
    // zeros well past the limit (inflating all of it is slow in debug).
    assert!(literal_prefix_is_zeros(
        &sig,
        2 * relsig::io::MAX_PAYLOAD_SIZE as usize
    ));

    // Reset the peak to the current resident size (Linux >= 4.0).
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
    let before = peak_rss();
    let keyring = Keyring::from_files(&[&key]).unwrap();
    let manifest = std::fs::read(&env.manifest).unwrap();
    let report = check_with_library(
        &sig,
        Image::Manifest(&Manifest::new(manifest.as_slice())),
        &keyring,
        "any",
        REFERENCE,
    );
    let grown = peak_rss().saturating_sub(before);
    assert_eq!(report.reason, Reason::TooLarge, "{report:?}");
    assert!(!report.verified);
    assert!(
        grown < 48 * 1024 * 1024,
        "checking used {grown} bytes more memory for a {}-byte payload",
        1 + 258 * MATCHES
    );

    // The binary says the same.
    env.verify(&sig, "any", &[&key], &[]).assert("too-large", 1);
}

/// Whether the literal data in `msg` starts with `n` zero bytes.
fn literal_prefix_is_zeros(msg: &[u8], n: usize) -> bool {
    use openpgp::parse::{PacketParser, PacketParserResult, Parse as _};
    let mut ppr = PacketParser::from_bytes(msg).unwrap();
    while let PacketParserResult::Some(mut pp) = ppr {
        if let openpgp::Packet::Literal(_) = pp.packet {
            let mut buf = vec![1u8; n];
            pp.read_exact(&mut buf).unwrap();
            return buf.iter().all(|&b| b == 0);
        }
        ppr = pp.recurse().unwrap().1;
    }
    panic!("no literal data packet")
}
