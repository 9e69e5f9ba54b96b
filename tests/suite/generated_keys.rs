//! Keys and signatures generated at test time with sequoia, checked by the
//! `relsig standalone-verify` binary (and the library where noted): every
//! accept and reject rule of the OpenPGP layer, each asserting its
//! `reason`, `verified` and exit code.

use crate::signing::*;
use openpgp::cert::prelude::*;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::SerializeInto as _;
use openpgp::serialize::stream::{Encryptor, LiteralWriter, Message, Signer};
use openpgp::types::{
    CompressionAlgorithm, HashAlgorithm, KeyFlags, ReasonForRevocation, SignatureType,
};
use relsig::image::manifest::Manifest;
use relsig::signature::Reason;
use relsig::signature::check::Image;
use relsig::signature::openpgp::keyring::Keyring;
use sequoia_openpgp as openpgp;
use std::io::Write as _;
use std::time::{Duration, SystemTime};

fn ed25519() -> Cert {
    signing_cert(CipherSuite::Cv25519)
}

/// A certificate with a certification-only primary and one signing subkey.
fn cert_with_signing_subkey() -> (Cert, openpgp::Fingerprint) {
    let (cert, _) = CertBuilder::new()
        .add_userid("relsig subkey test <subkey@example.org>")
        .add_signing_subkey()
        .generate()
        .unwrap();
    let sub = cert.keys().subkeys().next().unwrap().key().fingerprint();
    (cert, sub)
}

fn verify_with_suite(cs: CipherSuite) {
    let env = Env::new();
    let cert = signing_cert(cs);
    let key = env.key_file("key.gpg", &[&cert]);
    let sig = sign(&env.payload(), vec![primary_pair(&cert)], &Msg::default());
    let run = env.verify(&sig, &fpr(&cert), &[&key], &[]);
    run.assert("ok", 0);
    let json = run.json();
    assert_eq!(json["primary_fingerprint"], fpr(&cert));
    assert_eq!(json["signing_key_fingerprint"], fpr(&cert));
    assert_eq!(json["signed_digest"], env.digest);
    assert_eq!(json["signed_identity"], REFERENCE);
    assert_eq!(json["creator"], "relsig tests");
    assert_eq!(
        json["message"],
        format!(
            "Signature verified using fingerprint {}, digest {}",
            fpr(&cert),
            env.digest
        )
    );
}

#[test]
fn rsa_2048_verifies() {
    verify_with_suite(CipherSuite::RSA2k);
}

/// Slowest test here (RSA-4096 key generation: seconds with the optimised
/// `rsa` / `num-bigint-dig` dev profile set in Cargo.toml).
#[test]
fn rsa_4096_verifies() {
    verify_with_suite(CipherSuite::RSA4k);
}

#[test]
fn ed25519_verifies() {
    verify_with_suite(CipherSuite::Cv25519);
}

#[test]
fn ecdsa_p256_verifies() {
    verify_with_suite(CipherSuite::P256);
}

#[test]
fn signing_subkey_is_attributed_to_its_primary() {
    let env = Env::new();
    let (cert, sub) = cert_with_signing_subkey();
    let key = env.key_file("key.gpg", &[&cert]);
    let sig = sign(
        &env.payload(),
        vec![subkey_pair(&cert, &sub)],
        &Msg::default(),
    );
    let success = format!(
        "Signature verified using fingerprint {}, digest {}\n",
        fpr(&cert),
        env.digest
    );
    // The primary's fingerprint, the subkey's own, and `any` all accept it;
    // the success line always names the primary.
    for accepted in [fpr(&cert), sub.to_hex(), "any".to_string()] {
        let run = env.verify(&sig, &accepted, &[&key], &[]);
        run.assert("ok", 0);
        assert_eq!(run.json()["primary_fingerprint"], fpr(&cert));
        assert_eq!(run.json()["signing_key_fingerprint"], sub.to_hex());
        let sig_path = env.write("signature", &sig);
        let text = relsig(&[
            "standalone-verify".as_ref(),
            env.manifest.as_os_str(),
            REFERENCE.as_ref(),
            accepted.as_ref(),
            sig_path.as_os_str(),
            "--public-key-file".as_ref(),
            key.as_os_str(),
        ]);
        assert_eq!(text.code, 0, "{text:?}");
        assert_eq!(text.stdout, success);
    }
    // The library says the same.
    let keyring = Keyring::from_files(&[&key]).unwrap();
    let manifest = std::fs::read(&env.manifest).unwrap();
    let report = check_with_library(
        &sig,
        Image::Manifest(&Manifest::new(manifest.as_slice())),
        &keyring,
        &sub.to_hex(),
        REFERENCE,
    );
    assert!(report.verified, "{report:?}");
    assert_eq!(report.reason, Reason::Ok);
    assert_eq!(report.key_fingerprint, Some(fpr(&cert)));
    assert_eq!(report.signing_key_fingerprint, Some(sub.to_hex()));
}

#[test]
fn expired_key_is_rejected_now_and_accepted_before_expiry() {
    let env = Env::new();
    let now = SystemTime::now();
    let (cert, _) = CertBuilder::new()
        .add_userid("relsig expired <expired@example.org>")
        .set_primary_key_flags(KeyFlags::empty().set_certification().set_signing())
        .set_creation_time(now - days(10))
        .set_validity_period(Some(days(5)))
        .generate()
        .unwrap();
    let key = env.key_file("key.gpg", &[&cert]);
    let opts = Msg {
        created: Some(now - days(8)),
        ..Msg::default()
    };
    let sig = sign(&env.payload(), vec![primary_pair(&cert)], &opts);
    let run = env.verify(&sig, &fpr(&cert), &[&key], &[]);
    run.assert("key-expired", 1);
    // The way out: judge the key when the signature was made.
    let message = run.json()["message"].as_str().unwrap().to_string();
    assert!(message.contains("--at TIME"), "{message}");
    let before_expiry = rfc3339(now - days(7));
    env.verify(&sig, &fpr(&cert), &[&key], &["--at", &before_expiry])
        .assert("ok", 0);
}

#[test]
fn hard_revoked_key_is_rejected() {
    let env = Env::new();
    let cert = ed25519();
    let rev = cert
        .revoke(
            &mut primary_pair(&cert),
            ReasonForRevocation::KeyCompromised,
            b"test: compromised",
        )
        .unwrap();
    let revoked = cert.clone().insert_packets(rev).unwrap().0;
    let key = env.key_file("key.gpg", &[&revoked]);
    let sig = sign(&env.payload(), vec![primary_pair(&cert)], &Msg::default());
    env.verify(&sig, &fpr(&cert), &[&key], &[])
        .assert("key-revoked", 1);
}

#[test]
fn key_retired_after_signing_is_rejected_now_but_not_before() {
    let env = Env::new();
    let now = SystemTime::now();
    let (cert, _) = CertBuilder::new()
        .add_userid("relsig retired <retired@example.org>")
        .set_primary_key_flags(KeyFlags::empty().set_certification().set_signing())
        .set_creation_time(now - days(3))
        .generate()
        .unwrap();
    let sig = sign(
        &env.payload(),
        vec![primary_pair(&cert)],
        &Msg {
            created: Some(now - days(2)),
            ..Msg::default()
        },
    );
    let rev = CertRevocationBuilder::new()
        .set_reason_for_revocation(ReasonForRevocation::KeyRetired, b"test: retired")
        .unwrap()
        .set_signature_creation_time(now - days(1))
        .unwrap()
        .build(&mut primary_pair(&cert), &cert, None)
        .unwrap();
    let revoked = cert.clone().insert_packets(rev).unwrap().0;
    let key = env.key_file("key.gpg", &[&revoked]);
    env.verify(&sig, &fpr(&cert), &[&key], &[])
        .assert("key-revoked", 1);
    let before = rfc3339(now - Duration::from_secs(36 * 3600));
    env.verify(&sig, &fpr(&cert), &[&key], &["--at", &before])
        .assert("ok", 0);
}

#[test]
fn revoked_signing_subkey_is_rejected() {
    let env = Env::new();
    let (cert, sub) = cert_with_signing_subkey();
    let subkey = cert
        .keys()
        .subkeys()
        .find(|k| k.key().fingerprint() == sub)
        .unwrap()
        .key()
        .clone();
    let rev = SubkeyRevocationBuilder::new()
        .set_reason_for_revocation(ReasonForRevocation::KeyCompromised, b"test")
        .unwrap()
        .build(&mut primary_pair(&cert), &cert, &subkey, None)
        .unwrap();
    let revoked = cert.clone().insert_packets(rev).unwrap().0;
    let key = env.key_file("key.gpg", &[&revoked]);
    let sig = sign(
        &env.payload(),
        vec![subkey_pair(&cert, &sub)],
        &Msg::default(),
    );
    for accepted in [fpr(&cert), sub.to_hex()] {
        env.verify(&sig, &accepted, &[&key], &[])
            .assert("key-revoked", 1);
    }
}

#[test]
fn encryption_only_subkey_cannot_sign() {
    // An RSA encryption subkey can mechanically make a signature; its key
    // flags say it may not.
    let env = Env::new();
    let (cert, _) = CertBuilder::new()
        .add_userid("relsig encryption <enc@example.org>")
        .set_cipher_suite(CipherSuite::RSA2k)
        .add_transport_encryption_subkey()
        .generate()
        .unwrap();
    let sub = cert.keys().subkeys().next().unwrap().key().fingerprint();
    let key = env.key_file("key.gpg", &[&cert]);
    let sig = sign(
        &env.payload(),
        vec![subkey_pair(&cert, &sub)],
        &Msg::default(),
    );
    env.verify(&sig, &fpr(&cert), &[&key], &[])
        .assert("key-not-signing-capable", 1);
}

#[test]
fn certification_only_primary_cannot_sign() {
    let env = Env::new();
    let (cert, _) = CertBuilder::new()
        .add_userid("relsig certify-only <certify@example.org>")
        .set_primary_key_flags(KeyFlags::empty().set_certification())
        .generate()
        .unwrap();
    let key = env.key_file("key.gpg", &[&cert]);
    let sig = sign(&env.payload(), vec![primary_pair(&cert)], &Msg::default());
    env.verify(&sig, &fpr(&cert), &[&key], &[])
        .assert("key-not-signing-capable", 1);
}

#[test]
fn signature_past_its_own_expiry_is_rejected() {
    let env = Env::new();
    let now = SystemTime::now();
    let (cert, _) = CertBuilder::new()
        .add_userid("relsig sigexpiry <sigexp@example.org>")
        .set_primary_key_flags(KeyFlags::empty().set_certification().set_signing())
        .set_creation_time(now - days(3))
        .generate()
        .unwrap();
    let key = env.key_file("key.gpg", &[&cert]);
    let template = SignatureBuilder::new(SignatureType::Binary)
        .set_signature_validity_period(Duration::from_secs(3600))
        .unwrap();
    let opts = Msg {
        created: Some(now - days(1)),
        template: Some(template),
        ..Msg::default()
    };
    let sig = sign(&env.payload(), vec![primary_pair(&cert)], &opts);
    env.verify(&sig, &fpr(&cert), &[&key], &[])
        .assert("signature-expired", 1);
}

#[test]
fn sha1_data_signature_made_now_is_insecure() {
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    let opts = Msg {
        hash: Some(HashAlgorithm::SHA1),
        ..Msg::default()
    };
    let sig = sign(&env.payload(), vec![primary_pair(&cert)], &opts);
    let inspect = inspect_json(&env, &sig);
    assert_eq!(
        inspect["structure"]["signatures"][0]["hash_algorithm"],
        "SHA1"
    );
    env.verify(&sig, &fpr(&cert), &[&key], &[])
        .assert("insecure-algorithm", 1);
    // The same with SHA-256 verifies: it is the hash that is refused.
    let opts = Msg {
        hash: Some(HashAlgorithm::SHA256),
        ..Msg::default()
    };
    let sig = sign(&env.payload(), vec![primary_pair(&cert)], &opts);
    env.verify(&sig, &fpr(&cert), &[&key], &[]).assert("ok", 0);
}

#[test]
fn sha1_data_signature_dated_before_the_gnupg_cutoff_verifies() {
    // relsig, like gpg, accepts SHA-1 data signatures made before
    // 2019-01-19 (relsig::signature::openpgp::policy::SHA1_DATA_SIGNATURE_CUTOFF).
    let env = Env::new();
    let at = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    let (cert, _) = CertBuilder::new()
        .add_userid("relsig 2017 <old@example.org>")
        .set_primary_key_flags(KeyFlags::empty().set_certification().set_signing())
        .set_creation_time(at(1_500_000_000))
        .generate()
        .unwrap();
    let key = env.key_file("key.gpg", &[&cert]);
    let opts = Msg {
        hash: Some(HashAlgorithm::SHA1),
        created: Some(at(
            relsig::signature::openpgp::policy::SHA1_DATA_SIGNATURE_CUTOFF - 86_400,
        )),
        ..Msg::default()
    };
    let sig = sign(&env.payload(), vec![primary_pair(&cert)], &opts);
    env.verify(&sig, &fpr(&cert), &[&key], &[]).assert("ok", 0);
    let opts = Msg {
        created: Some(at(
            relsig::signature::openpgp::policy::SHA1_DATA_SIGNATURE_CUTOFF + 86_400,
        )),
        ..opts
    };
    let sig = sign(&env.payload(), vec![primary_pair(&cert)], &opts);
    env.verify(&sig, &fpr(&cert), &[&key], &[])
        .assert("insecure-algorithm", 1);
}

#[test]
fn two_signatures_in_one_message_are_rejected() {
    let env = Env::new();
    let (a, b) = (ed25519(), ed25519());
    let key = env.key_file("keys.gpg", &[&a, &b]);
    let sig = sign(
        &env.payload(),
        vec![primary_pair(&a), primary_pair(&b)],
        &Msg::default(),
    );
    assert_eq!(
        inspect_json(&env, &sig)["structure"]["signatures"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    env.verify(&sig, "any", &[&key], &[])
        .assert("multiple-signatures", 1);
}

#[test]
fn unsigned_literal_is_not_signed() {
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    for compression in [None, Some(CompressionAlgorithm::Zip)] {
        let opts = Msg {
            compression,
            ..Msg::default()
        };
        let sig = sign(&env.payload(), vec![], &opts);
        env.verify(&sig, &fpr(&cert), &[&key], &[])
            .assert("not-signed", 1);
    }
}

#[test]
fn encrypted_message_is_not_signed() {
    let env = Env::new();
    let (cert, _) = CertBuilder::new()
        .add_userid("relsig encrypt <enc@example.org>")
        .set_primary_key_flags(KeyFlags::empty().set_certification().set_signing())
        .add_transport_encryption_subkey()
        .generate()
        .unwrap();
    let key = env.key_file("key.gpg", &[&cert]);
    let policy = StandardPolicy::new();
    // Encrypted only, and encrypted around a valid signed message.
    for signed in [false, true] {
        let mut out = Vec::new();
        let recipients = cert
            .keys()
            .with_policy(&policy, None)
            .supported()
            .for_transport_encryption();
        let mut m = Encryptor::for_recipients(Message::new(&mut out), recipients)
            .build()
            .unwrap();
        if signed {
            m = Signer::new(m, primary_pair(&cert))
                .unwrap()
                .build()
                .unwrap();
        }
        let mut lit = LiteralWriter::new(m).build().unwrap();
        lit.write_all(&env.payload()).unwrap();
        lit.finalize().unwrap();
        assert_eq!(inspect_json(&env, &out)["structure"]["encrypted"], true);
        env.verify(&out, &fpr(&cert), &[&key], &[])
            .assert("not-signed", 1);
    }
}

#[test]
fn cleartext_signed_message_passes_crypto_but_is_no_payload() {
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    let mut out = Vec::new();
    let m = Signer::new(Message::new(&mut out), primary_pair(&cert))
        .unwrap()
        .cleartext()
        .build()
        .unwrap();
    let mut m = m;
    m.write_all(b"This is a cleartext-signed note, not a signature payload.\n")
        .unwrap();
    m.finalize().unwrap();
    assert!(out.starts_with(b"-----BEGIN PGP SIGNED MESSAGE-----"));
    let run = env.verify(&out, &fpr(&cert), &[&key], &[]);
    run.assert("invalid-payload", 1);
    assert_eq!(run.json()["primary_fingerprint"], fpr(&cert));
}

#[test]
fn every_compression_verifies() {
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    for (compression, name) in [
        (None, None),
        (Some(CompressionAlgorithm::Zip), Some("zip")),
        (Some(CompressionAlgorithm::Zlib), Some("zlib")),
        (Some(CompressionAlgorithm::BZip2), Some("bzip2")),
    ] {
        let opts = Msg {
            compression,
            ..Msg::default()
        };
        let sig = sign(&env.payload(), vec![primary_pair(&cert)], &opts);
        let layers = inspect_json(&env, &sig)["structure"]["compression"].clone();
        let expected: Vec<&str> = name.into_iter().collect();
        assert_eq!(layers, serde_json::json!(expected));
        env.verify(&sig, &fpr(&cert), &[&key], &[]).assert("ok", 0);
    }
}

#[test]
fn ascii_armored_signature_verifies() {
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    let opts = Msg {
        armor: true,
        ..Msg::default()
    };
    let sig = sign(&env.payload(), vec![primary_pair(&cert)], &opts);
    assert!(sig.starts_with(b"-----BEGIN PGP MESSAGE-----"));
    assert_eq!(inspect_json(&env, &sig)["structure"]["armored"], true);
    env.verify(&sig, &fpr(&cert), &[&key], &[]).assert("ok", 0);
}

#[test]
fn trailing_garbage_after_a_compressed_message_is_ignored() {
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    let mut sig = sign(&env.payload(), vec![primary_pair(&cert)], &Msg::default());
    sig.extend_from_slice(b"\x00\x01 trailing garbage, not OpenPGP \xff\xfe\n");
    assert_eq!(inspect_json(&env, &sig)["structure"]["trailing_data"], true);
    env.verify(&sig, &fpr(&cert), &[&key], &[]).assert("ok", 0);
}

#[test]
fn signature_by_a_key_not_in_the_keyring_is_unknown_key() {
    let env = Env::new();
    let (trusted, other) = (ed25519(), ed25519());
    let key = env.key_file("key.gpg", &[&trusted]);
    let sig = sign(&env.payload(), vec![primary_pair(&other)], &Msg::default());
    for accepted in [fpr(&trusted), fpr(&other), "any".into()] {
        env.verify(&sig, &accepted, &[&key], &[])
            .assert("unknown-key", 1);
    }
}

#[test]
fn signer_not_among_the_accepted_fingerprints_is_rejected() {
    let env = Env::new();
    let (signer, other) = (ed25519(), ed25519());
    let key = env.key_file("keys.gpg", &[&signer, &other]);
    let sig = sign(&env.payload(), vec![primary_pair(&signer)], &Msg::default());
    let run = env.verify(&sig, &fpr(&other), &[&key], &[]);
    run.assert("fingerprint-not-accepted", 1);
    assert_eq!(run.json()["primary_fingerprint"], fpr(&signer));
    // A list naming the signer among others is fine.
    env.verify(
        &sig,
        &format!("{},{}", fpr(&other), fpr(&signer)),
        &[&key],
        &[],
    )
    .assert("ok", 0);
}

#[test]
fn tampered_payload_byte_is_a_bad_signature() {
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    let opts = Msg {
        compression: None,
        ..Msg::default()
    };
    let mut sig = sign(&env.payload(), vec![primary_pair(&cert)], &opts);
    // Change one hex digit of the signed digest: still a valid payload.
    let hex = &env.digest["sha256:".len()..];
    let at = sig
        .windows(hex.len())
        .position(|w| w == hex.as_bytes())
        .expect("payload is stored uncompressed");
    sig[at] = if sig[at] == b'0' { b'1' } else { b'0' };
    env.verify(&sig, &fpr(&cert), &[&key], &[])
        .assert("bad-signature", 1);
}

#[test]
fn signature_file_over_4_mib_is_too_large() {
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    let mut sig = sign(&env.payload(), vec![primary_pair(&cert)], &Msg::default());
    // A valid message with trailing bytes verifies (see above) until the
    // file passes the size limit.
    sig.resize(relsig::io::MAX_SIGNATURE_SIZE as usize, 0);
    env.verify(&sig, &fpr(&cert), &[&key], &[]).assert("ok", 0);
    sig.push(0);
    let run = env.verify(&sig, &fpr(&cert), &[&key], &[]);
    run.assert("too-large", 1);
    assert!(
        run.json()["message"]
            .as_str()
            .unwrap()
            .contains("larger than")
    );
}

#[test]
fn payload_decompressing_beyond_4_mib_is_too_large() {
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    let big = vec![b' '; relsig::io::MAX_PAYLOAD_SIZE as usize + 1];
    let opts = Msg {
        compression: Some(CompressionAlgorithm::Zlib),
        ..Msg::default()
    };
    let sig = sign(&big, vec![primary_pair(&cert)], &opts);
    assert!(sig.len() < 64 * 1024, "compressed: {} bytes", sig.len());
    env.verify(&sig, &fpr(&cert), &[&key], &[])
        .assert("too-large", 1);
}

#[test]
fn key_file_with_two_armor_blocks_and_text_preamble() {
    let env = Env::new();
    let (a, b) = (ed25519(), signing_cert(CipherSuite::RSA2k));
    let mut file = b"Red Hat style key file\npub  4096R/FD431D51 2009-10-22\n\n".to_vec();
    file.extend_from_slice(&a.armored().to_vec().unwrap());
    file.extend_from_slice(b"\nSecond key follows.\n\n");
    file.extend_from_slice(&b.armored().to_vec().unwrap());
    file.extend_from_slice(b"\ntrailer text\n");
    let key = env.write("RPM-GPG-KEY-test", &file);
    for cert in [&a, &b] {
        let sig = sign(&env.payload(), vec![primary_pair(cert)], &Msg::default());
        env.verify(&sig, &fpr(cert), &[&key], &[]).assert("ok", 0);
        env.verify(&sig, "any", &[&key], &[]).assert("ok", 0);
    }
}

/// A certificate whose public-key packet has version 7 (unknown to
/// OpenPGP and sequoia), followed by a user ID, as raw packets.
fn version_7_cert() -> Vec<u8> {
    let mut body = vec![7u8]; // version
    body.extend_from_slice(&1_700_000_000u32.to_be_bytes()); // creation time
    body.push(27); // Ed25519 (RFC 9580 algorithm id)
    body.extend_from_slice(&32u32.to_be_bytes());
    body.extend_from_slice(&[0x42; 32]);
    let mut out = vec![0xC6, body.len() as u8]; // new-format tag 6
    out.extend_from_slice(&body);
    let uid = b"future key <v7@example.org>";
    out.extend_from_slice(&[0xCD, uid.len() as u8]); // tag 13
    out.extend_from_slice(uid);
    out
}

#[test]
fn unknown_version_certs_are_skipped_with_a_warning() {
    let env = Env::new();
    let good = ed25519();
    let sig = sign(&env.payload(), vec![primary_pair(&good)], &Msg::default());
    let good_bytes = good.to_vec().unwrap();
    let v7 = version_7_cert();
    // Damaged certificates of a known version are refused
    // (core_classes::a_damaged_key_file_is_refused_naming_the_byte).
    for (name, parts) in [
        ("v7-first", vec![v7.as_slice(), &good_bytes]),
        ("v7-last", vec![good_bytes.as_slice(), &v7]),
    ] {
        let key = env.write(name, &parts.concat());
        for accepted in [fpr(&good), "any".to_string()] {
            let run = env.verify(&sig, &accepted, &[&key], &[]);
            run.assert("ok", 0);
            assert!(
                run.stderr.contains("warning") && run.stderr.contains(name),
                "{name}: the skipped certificate is reported: {run:?}"
            );
        }
    }
    // Armored blocks: the unknown-version block is skipped, the good used.
    let armor = |bytes: &[u8]| {
        let mut w =
            openpgp::armor::Writer::new(Vec::new(), openpgp::armor::Kind::PublicKey).unwrap();
        w.write_all(bytes).unwrap();
        w.finalize().unwrap()
    };
    let file = [armor(&v7), armor(&good_bytes)].concat();
    let key = env.write("armored-v7", &file);
    let run = env.verify(&sig, &fpr(&good), &[&key], &[]);
    run.assert("ok", 0);
    assert!(run.stderr.contains("warning"), "{run:?}");
}

#[test]
fn key_file_with_only_an_unknown_version_cert_cannot_be_used() {
    let env = Env::new();
    let good = ed25519();
    let sig = sign(&env.payload(), vec![primary_pair(&good)], &Msg::default());
    let key = env.write("only-v7.gpg", &version_7_cert());
    let run = env.verify(&sig, "any", &[&key], &[]);
    run.assert("io-error", 2);
    assert!(
        run.json()["message"]
            .as_str()
            .unwrap()
            .contains("only-v7.gpg")
    );
}

fn inspect_json(env: &Env, sig: &[u8]) -> serde_json::Value {
    let path = env.write("inspected", sig);
    let run = relsig(&[
        "inspect".as_ref(),
        path.as_os_str(),
        "--output".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let json = run.json();
    assert_eq!(json["verified"], false);
    json
}
