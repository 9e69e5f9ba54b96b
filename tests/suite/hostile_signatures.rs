//! Signature files a hostile mirror can serve: the real Red Hat signature
//! of the noo bundle with packets that have no place in a signed message
//! hidden inside compression, and compression nested too deep. They are
//! refused from the packet headers, before any hidden filler is
//! decompressed (runs are bounded by the common helper, so a regression
//! fails instead of hanging).

use crate::common::{NOO_IDENTITY, noo_dir, noo_signature, relsig, s};
use openpgp::PacketPile;
use openpgp::packet::Packet;
use openpgp::parse::Parse;
use openpgp::serialize::stream::{Compressor, Message};
use openpgp::serialize::{Marshal, SerializeInto};
use openpgp::types::CompressionAlgorithm;
use sequoia_openpgp as openpgp;
use std::io::Write as _;

/// The packets inside the real signature's compression layer: one-pass
/// signature, literal data, signature.
fn inner_packets() -> Vec<u8> {
    let pile = PacketPile::from_bytes(&noo_signature(3)).unwrap();
    assert!(
        matches!(pile.children().next(), Some(Packet::CompressedData(_))),
        "the noo signature is compressed"
    );
    let mut out = Vec::new();
    for p in pile.descendants() {
        if !matches!(p, Packet::CompressedData(_)) {
            p.serialize(&mut out).unwrap();
        }
    }
    assert!(!out.is_empty());
    out
}

/// `content` inside `layers` zlib compression packets.
fn compressed(content: &[u8], layers: usize) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut m = Message::new(&mut out);
        for _ in 0..layers {
            m = Compressor::new(m)
                .algo(CompressionAlgorithm::Zlib)
                .build()
                .unwrap();
        }
        m.write_all(content).unwrap();
        m.finalize().unwrap();
    }
    out
}

/// A packet of the unassigned tag 60 with `len` zero bytes of body.
fn unknown_packet(len: usize) -> Vec<u8> {
    let mut p = vec![0xC0 | 60, 0xFF];
    p.extend_from_slice(&u32::try_from(len).unwrap().to_be_bytes());
    p.resize(p.len() + len, 0);
    p
}

fn standalone(dir: &std::path::Path, sig: &[u8]) -> crate::common::Run {
    let path = dir.join("signature");
    std::fs::write(&path, sig).unwrap();
    let manifest = noo_dir().join("manifest.json");
    relsig(&[
        "standalone-verify",
        s(&manifest),
        NOO_IDENTITY,
        "any",
        s(&path),
        "--output",
        "json",
    ])
}

#[test]
fn the_real_signature_rewrapped_still_verifies() {
    // The control: the same packets in one or two zlib layers verify, so
    // what the other tests refuse is the hidden packets, not the shape.
    let dir = tempfile::tempdir().unwrap();
    for layers in [1, 2] {
        let run = standalone(dir.path(), &compressed(&inner_packets(), layers));
        run.assert("ok", 0);
    }
}

#[test]
fn packets_hidden_in_compression_are_refused_before_their_filler() {
    let dir = tempfile::tempdir().unwrap();
    // 64 MiB of filler compresses to about 64 KiB.
    let mut content = inner_packets();
    content.extend(unknown_packet(64 * 1024 * 1024));
    let sig = compressed(&content, 2);
    assert!(sig.len() < 1024 * 1024, "{} bytes", sig.len());
    let run = standalone(dir.path(), &sig);
    run.assert("not-openpgp", 1);
    assert!(
        run.json()["message"]
            .as_str()
            .unwrap()
            .contains("has no place in a signed message"),
        "{run:?}"
    );
    // The same file is not described as a message either.
    let path = dir.path().join("signature");
    let inspect = relsig(&["inspect", s(&path)]);
    assert_eq!(inspect.code, 2, "{inspect:?}");
    assert!(inspect.stderr.contains("has no place"), "{inspect:?}");
}

#[test]
fn compression_nested_too_deep_or_too_many_packets_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let run = standalone(dir.path(), &compressed(&inner_packets(), 3));
    run.assert("not-openpgp", 1);
    assert!(
        run.json()["message"]
            .as_str()
            .unwrap()
            .contains("compression nested more than 2 levels"),
        "{run:?}"
    );
    // Many marker packets (valid, and ignored by gpg) before the message.
    let mut content = Vec::new();
    for _ in 0..20 {
        content.extend(Packet::Marker(Default::default()).to_vec().unwrap());
    }
    content.extend(inner_packets());
    let run = standalone(dir.path(), &compressed(&content, 1));
    run.assert("not-openpgp", 1);
    assert!(
        run.json()["message"]
            .as_str()
            .unwrap()
            .contains("more than 16 packets"),
        "{run:?}"
    );
}

/// A packet tagged as a signature (which a signed message may hold) whose
/// body is `len` zero bytes.
fn signature_tagged_packet(len: usize) -> Vec<u8> {
    let mut p = vec![0xC0 | 2, 0xFF];
    p.extend_from_slice(&u32::try_from(len).unwrap().to_be_bytes());
    p.resize(p.len() + len, 0);
    p
}

#[test]
fn more_than_4_mib_decompressed_in_total_is_too_large() {
    // Packets that belong in a message pass the grammar check; what they
    // decompress to is bounded in total, across layers, whatever the
    // algorithm: zlib in two layers, and bzip2 (which compresses zeros
    // far better) in one.
    let dir = tempfile::tempdir().unwrap();
    let mut content = inner_packets();
    content.extend(signature_tagged_packet(64 * 1024 * 1024));
    let mut cases = vec![("zlib, 2 layers", compressed(&content, 2))];
    let mut bz = Vec::new();
    {
        let mut m = Message::new(&mut bz);
        m = Compressor::new(m)
            .algo(CompressionAlgorithm::BZip2)
            .build()
            .unwrap();
        m.write_all(&content).unwrap();
        m.finalize().unwrap();
    }
    cases.push(("bzip2", bz));
    for (what, sig) in cases {
        assert!(sig.len() < 1024 * 1024, "{what}: {} bytes", sig.len());
        let run = standalone(dir.path(), &sig);
        run.assert("too-large", 1);
        assert!(
            run.json()["message"]
                .as_str()
                .unwrap()
                .contains("decompresses to more than 4259840 bytes"),
            "{what}: {run:?}"
        );
        let inspect = relsig(&["inspect", s(&dir.path().join("signature"))]);
        assert_eq!(inspect.code, 2, "{what}: {inspect:?}");
        assert!(
            inspect.stderr.contains("decompresses to more"),
            "{inspect:?}"
        );
    }
}

#[test]
fn a_signature_over_4_mib_and_dev_zero_are_too_large_not_io_errors() {
    // The size of a signature is a verdict (exit 1, as skopeo rejects
    // it), whatever the size or kind of the file: only the first
    // 4 MiB + 1 bytes are read.
    let dir = tempfile::tempdir().unwrap();
    let manifest = noo_dir().join("manifest.json");
    let big = dir.path().join("big");
    std::fs::write(&big, vec![0xA3u8; 6 * 1024 * 1024]).unwrap();
    for sig in [s(&big), "/dev/zero"] {
        let run = relsig(&[
            "standalone-verify",
            s(&manifest),
            NOO_IDENTITY,
            "any",
            sig,
            "--output",
            "json",
        ]);
        run.assert("too-large", 1);
        let inspect = relsig(&["inspect", sig]);
        assert_eq!(inspect.code, 2, "{inspect:?}");
        assert!(
            inspect.stderr.contains("larger than 4194304 bytes"),
            "{inspect:?}"
        );
    }
}
