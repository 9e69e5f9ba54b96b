//! Behaviour classes where relsig must say what gpg and skopeo say (issue
//! "Trustworthy core"): each test names the class, builds its inputs at
//! test time (sequoia, or packets edited bytewise), and asserts the reason
//! and exit code, with why in its comment. The deliberate differences
//! from skopeo are listed in README's "How relsig differs from skopeo".

use crate::signing::*;
use openpgp::cert::prelude::*;
use openpgp::types::CompressionAlgorithm;
use sequoia_openpgp as openpgp;

fn ed25519() -> Cert {
    signing_cert(CipherSuite::Cv25519)
}

fn uncompressed() -> Msg {
    Msg {
        compression: None,
        ..Msg::default()
    }
}

fn message(run: &Run) -> String {
    run.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn data_after_an_uncompressed_message_is_refused_as_gpg_refuses_it() {
    // gpg stops at the end of a compressed message and ignores what
    // follows it; after an uncompressed message it reads on and fails
    // ("bad data" for garbage, "no data" for a second message).
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    let plain = sign(&env.payload(), vec![primary_pair(&cert)], &uncompressed());
    env.verify(&plain, &fpr(&cert), &[&key], &[])
        .assert("ok", 0);
    let mut garbage = plain.clone();
    garbage.extend_from_slice(b"\x00\x01 trailing garbage\n");
    let twice = [plain.as_slice(), plain.as_slice()].concat();
    for sig in [garbage, twice] {
        let run = env.verify(&sig, &fpr(&cert), &[&key], &[]);
        run.assert("not-openpgp", 1);
        assert!(
            message(&run).contains("data follows the uncompressed signed message"),
            "{run:?}"
        );
    }
    // The same after a compressed message is ignored, as by gpg.
    let mut compressed = sign(
        &env.payload(),
        vec![primary_pair(&cert)],
        &Msg {
            compression: Some(CompressionAlgorithm::Zlib),
            ..Msg::default()
        },
    );
    compressed.extend_from_slice(&plain);
    env.verify(&compressed, &fpr(&cert), &[&key], &[])
        .assert("ok", 0);
}

#[test]
fn a_hashed_issuer_naming_another_key_is_a_bad_signature() {
    // gpg checks a signature with the key its hashed issuer fingerprint
    // names; sequoia would try any key an issuer names (here the key ID
    // of the real signer). Both keys are trusted: gpg finds the named
    // key, and the signature does not verify with it.
    use openpgp::packet::signature::SignatureBuilder;
    use openpgp::types::SignatureType;
    let env = Env::new();
    let (signer, other) = (ed25519(), ed25519());
    let key = env.key_file("keys.gpg", &[&signer, &other]);
    let template = SignatureBuilder::new(SignatureType::Binary)
        .set_issuer(signer.keyid())
        .unwrap()
        .set_issuer_fingerprint(other.fingerprint())
        .unwrap();
    let sig = sign(
        &env.payload(),
        vec![primary_pair(&signer)],
        &Msg {
            template: Some(template),
            ..Msg::default()
        },
    );
    let run = env.verify(&sig, "any", &[&key], &[]);
    run.assert("bad-signature", 1);
    assert!(
        message(&run).contains(&format!(
            "hashed issuer subpacket names key {}",
            fpr(&other)
        )),
        "{run:?}"
    );
}

/// `sig`'s signature packet replaced by `replacement`.
fn with_signature(sig: &[u8], replacement: openpgp::packet::Signature) -> Vec<u8> {
    use openpgp::PacketPile;
    use openpgp::packet::Packet;
    use openpgp::parse::Parse;
    use openpgp::serialize::SerializeInto;
    let pile = PacketPile::from_bytes(sig).unwrap();
    let packets: Vec<Packet> = pile
        .into_children()
        .map(|p| match p {
            Packet::Signature(_) => replacement.clone().into(),
            p => p,
        })
        .collect();
    PacketPile::from(packets).to_vec().unwrap()
}

#[test]
fn a_text_mode_signature_is_checked_over_the_literal_bytes_as_they_are() {
    // gpg hashes a signed message's literal data as it is, whatever the
    // signature's type; sequoia makes line ends CRLF first for a
    // text-mode (0x01) signature. With LF line ends the two differ: a
    // signature over the CRLF form is refused (gpg: bad signature), one
    // over the bytes as they are verifies (gpg: good).
    use openpgp::packet::signature::SignatureBuilder;
    use openpgp::types::SignatureType;
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    let mut payload = env.payload();
    payload.push(b'\n');
    let text = || Msg {
        compression: None,
        template: Some(SignatureBuilder::new(SignatureType::Text)),
        ..Msg::default()
    };
    // Without line ends, both hash the same bytes: the control.
    let plain = sign(&env.payload(), vec![primary_pair(&cert)], &text());
    env.verify(&plain, &fpr(&cert), &[&key], &[])
        .assert("ok", 0);

    let normalised = sign(&payload, vec![primary_pair(&cert)], &text());
    let run = env.verify(&normalised, &fpr(&cert), &[&key], &[]);
    run.assert("bad-signature", 1);
    assert!(
        message(&run).contains("verifies only after the literal data's line ends are made CRLF"),
        "{run:?}"
    );

    let as_is = SignatureBuilder::new(SignatureType::Text)
        .sign_message(&mut primary_pair(&cert), &payload)
        .unwrap();
    let sig = with_signature(&normalised, as_is);
    env.verify(&sig, &fpr(&cert), &[&key], &[]).assert("ok", 0);
}

#[test]
fn fingerprint_list_elements_are_literal_as_in_skopeo() {
    // skopeo splits KEY-FINGERPRINTS at commas and treats only the whole
    // argument `any` as special: an empty element or `any` inside a list
    // is compared like any other element, and matches no key.
    let env = Env::new();
    let (signer, other) = (ed25519(), ed25519());
    let key = env.key_file("keys.gpg", &[&signer, &other]);
    let sig = sign(&env.payload(), vec![primary_pair(&signer)], &Msg::default());
    let (s, o) = (fpr(&signer), fpr(&other));
    for ok in [
        format!("{s},"),
        format!(",{s}"),
        format!("any,{s}"),
        "any".into(),
    ] {
        env.verify(&sig, &ok, &[&key], &[]).assert("ok", 0);
    }
    for refused in [
        format!("{o},"),
        format!("any,{o}"),
        ",".into(),
        "ANY".into(),
    ] {
        env.verify(&sig, &refused, &[&key], &[])
            .assert("fingerprint-not-accepted", 1);
    }
}

#[test]
fn payloads_are_read_as_go_reads_them() {
    // containers/image parses the payload with Go's encoding/json: it
    // nests up to 10,000 levels (serde_json: 128), reads `null` as absent,
    // and turns invalid UTF-8 and lone surrogates into U+FFFD. A payload
    // without `optional` (OpenShift 4.4.6's release signatures) is refused
    // by both, naming the member.
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    let with_optional = |optional: &[u8]| {
        let base = env.payload();
        let at = base
            .windows(12)
            .position(|w| w == b"\"optional\": ")
            .unwrap()
            + 12;
        [&base[..at], optional, b"}"].concat()
    };
    let deep = format!(r#"{{"x": {}{}}}"#, "[".repeat(500), "]".repeat(500));
    let mut bad_utf8 = br#"{"creator": "a?b"}"#.to_vec();
    bad_utf8[14] = 0xFF;
    for (optional, creator) in [
        (deep.as_bytes(), None),
        (br#"{"creator": null, "timestamp": null}"#.as_slice(), None),
        (&bad_utf8[..], Some("a\u{FFFD}b")),
        (br#"{"creator": "a\ud800b"}"#.as_slice(), Some("a\u{FFFD}b")),
    ] {
        let sig = sign(
            &with_optional(optional),
            vec![primary_pair(&cert)],
            &Msg::default(),
        );
        let run = env.verify(&sig, &fpr(&cert), &[&key], &[]);
        run.assert("ok", 0);
        assert_eq!(run.json()["creator"].as_str(), creator, "{run:?}");
    }
    let base = String::from_utf8(env.payload()).unwrap();
    let cut = base.find(r#", "optional""#).unwrap();
    let no_optional = format!("{}}}", &base[..cut]);
    let sig = sign(
        no_optional.as_bytes(),
        vec![primary_pair(&cert)],
        &Msg::default(),
    );
    let run = env.verify(&sig, &fpr(&cert), &[&key], &[]);
    run.assert("invalid-payload", 1);
    assert!(
        message(&run).contains(r#"payload field payload: "optional" is missing"#),
        "{run:?}"
    );
}

#[test]
fn a_cleartext_message_must_name_its_signature_hash() {
    // gpg refuses a cleartext-signed message without a `Hash:` armor
    // header (RFC 4880 then means MD5) or whose header names another hash
    // than its signature uses; sequoia ignores the header. The message
    // checked here is a valid payload, so the control verifies.
    use openpgp::serialize::stream::{Message, Signer};
    use std::io::Write as _;
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    let mut out = Vec::new();
    let mut m = Signer::new(Message::new(&mut out), primary_pair(&cert))
        .unwrap()
        .hash_algo(openpgp::types::HashAlgorithm::SHA256)
        .unwrap()
        .cleartext()
        .build()
        .unwrap();
    m.write_all(&env.payload()).unwrap();
    m.finalize().unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\nHash: SHA256\n"), "{text}");
    env.verify(text.as_bytes(), &fpr(&cert), &[&key], &[])
        .assert("ok", 0);
    for (edited, says) in [
        (
            text.replace("Hash: SHA256\n", ""),
            "has no \"Hash:\" armor header",
        ),
        (
            text.replace("Hash: SHA256\n", "Hash: SHA512\n"),
            "names SHA512, but its signature uses SHA256",
        ),
    ] {
        let run = env.verify(edited.as_bytes(), &fpr(&cert), &[&key], &[]);
        run.assert("bad-signature", 1);
        assert!(message(&run).contains(says), "{run:?}");
    }
}

#[test]
fn a_signature_from_the_future_is_accepted_now_with_a_warning_but_not_at_an_earlier_time() {
    // gpg accepts a signature whose creation time lies ahead of the
    // clock (a signer's clock ahead); relsig does too when judging now,
    // and says so. Asked about an instant (`--at`), a signature made
    // after it did not exist yet.
    use std::time::SystemTime;
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    let created = SystemTime::now() + days(2);
    let sig = sign(
        &env.payload(),
        vec![primary_pair(&cert)],
        &Msg {
            created: Some(created),
            ..Msg::default()
        },
    );
    let run = env.verify(&sig, &fpr(&cert), &[&key], &[]);
    run.assert("ok", 0);
    let warnings = run.json()["warnings"].clone();
    assert!(
        warnings[0]
            .as_str()
            .is_some_and(|w| w.contains("the signature was made at") && w.contains("after now")),
        "{run:?}"
    );
    let sig_path = env.write("future", &sig);
    let text = relsig(&[
        "standalone-verify".as_ref(),
        env.manifest.as_os_str(),
        REFERENCE.as_ref(),
        fpr(&cert).as_ref(),
        sig_path.as_os_str(),
        "--public-key-file".as_ref(),
        key.as_os_str(),
    ]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stderr
            .contains("relsig: warning: the signature was made at"),
        "{text:?}"
    );
    let now = rfc3339(SystemTime::now());
    env.verify(&sig, &fpr(&cert), &[&key], &["--at", &now])
        .assert("signature-not-yet-valid", 1);
    // `verify` says the same, on stderr, in every output format.
    let dir = env.dir.path().join("sigs");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("signature-1"), &sig).unwrap();
    let verify = relsig(&[
        "verify".as_ref(),
        "--digest".as_ref(),
        env.digest.as_ref(),
        "--identity".as_ref(),
        REFERENCE.as_ref(),
        "--signature-dir".as_ref(),
        dir.as_os_str(),
        "--keyring".as_ref(),
        key.as_os_str(),
        "--output".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(verify.code, 0, "{verify:?}");
    assert!(
        verify.stderr.contains("warning") && verify.stderr.contains("the signature was made at"),
        "{verify:?}"
    );
    assert!(
        verify.image()["accepted"]["warnings"][0].is_string(),
        "{verify:?}"
    );
}

/// gpg in its own temporary home, for keys sequoia's pure-Rust backend
/// cannot make; its agent is stopped when dropped.
struct Gpg {
    home: tempfile::TempDir,
}

impl Gpg {
    fn new() -> Gpg {
        let home = tempfile::tempdir().unwrap();
        Gpg { home }
    }

    fn run(&self, args: &[&str]) -> Vec<u8> {
        let mut cmd = std::process::Command::new("gpg");
        cmd.env("GNUPGHOME", self.home.path())
            .args(["--batch", "--quiet", "--passphrase", ""])
            .args(args);
        let out = crate::common::run_bounded(&mut cmd, std::time::Duration::from_secs(120))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = std::process::Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "gpg-agent"])
            .status();
    }
}

#[test]
fn keys_on_curves_this_build_cannot_verify_are_named_and_could_not_check() {
    // The pure-Rust backend has no brainpool or secp256k1 arithmetic:
    // neither the key's self-signature nor the signature can be checked,
    // which sequoia reports as "no binding signature". relsig names the
    // curve, and the result is "could not check" (exit 2), not a verdict.
    let env = Env::new();
    let gpg = Gpg::new();
    for (curve, uid) in [
        ("brainpoolP256r1", "bp@example.org"),
        ("secp256k1", "k1@example.org"),
    ] {
        gpg.run(&["--quick-gen-key", uid, curve, "sign", "never"]);
        let key = env.write(&format!("{curve}.gpg"), &gpg.run(&["--export", uid]));
        let payload = env.write("payload", &env.payload());
        let sig = gpg.run(&["-u", uid, "--sign", "-o", "-", payload.to_str().unwrap()]);
        let run = env.verify(&sig, "any", &[&key], &[]);
        run.assert("unsupported-algorithm", 2);
        assert!(
            message(&run).ends_with(&format!("uses {curve}, which this build cannot verify")),
            "{run:?}"
        );
    }
}

#[test]
fn schema1_manifests_are_digested_as_libtrust_parses_their_jws() {
    // containers/image guesses a signed schema-1 manifest when Go's
    // case-insensitive field matching finds a `signatures` member (so
    // `Signatures` counts), then needs libtrust to parse the JWS from the
    // exact `signatures` member. Without it skopeo cannot compute the
    // digest, and neither does relsig, even when a signature names the
    // digest of the bytes as they are.
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    let layers =
        r#""name": "a/b", "tag": "1", "architecture": "amd64", "fsLayers": [], "history": []"#;
    let manifest =
        format!(r#"{{"schemaVersion": 1, {layers}, "Signatures": [{{"protected": "e30"}}]}}"#);
    {
        let path = env.write("schema1.json", manifest.as_bytes());
        let digest = format!("sha256:{}", sha256_hex(manifest.as_bytes()));
        let sig = sign(
            &payload(&digest, REFERENCE),
            vec![primary_pair(&cert)],
            &Msg::default(),
        );
        let sig_path = env.write("schema1.sig", &sig);
        let run = relsig(&[
            "standalone-verify".as_ref(),
            path.as_os_str(),
            REFERENCE.as_ref(),
            fpr(&cert).as_ref(),
            sig_path.as_os_str(),
            "--public-key-file".as_ref(),
            key.as_os_str(),
            "--output".as_ref(),
            "json".as_ref(),
        ]);
        run.assert("invalid-manifest", 1);
        assert!(message(&run).contains("signatures"), "{run:?}");
    }
    // An empty `signatures` list is parsed by libtrust, to an empty
    // payload: containers/image digests the empty string, and a signature
    // of that digest verifies with skopeo, and so with relsig.
    let manifest = format!(r#"{{"schemaVersion": 1, {layers}, "signatures": []}}"#);
    let path = env.write("empty.json", manifest.as_bytes());
    let digest = format!("sha256:{}", sha256_hex(b""));
    let sig = sign(
        &payload(&digest, REFERENCE),
        vec![primary_pair(&cert)],
        &Msg::default(),
    );
    let sig_path = env.write("empty.sig", &sig);
    let run = relsig(&[
        "standalone-verify".as_ref(),
        path.as_os_str(),
        REFERENCE.as_ref(),
        fpr(&cert).as_ref(),
        sig_path.as_os_str(),
        "--public-key-file".as_ref(),
        key.as_os_str(),
        "--output".as_ref(),
        "json".as_ref(),
    ]);
    run.assert("ok", 0);
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_damaged_key_file_is_refused_naming_the_byte() {
    // gpg imports nothing from a key file in which a certificate is
    // followed by a truncated packet or garbage, or whose certificate is
    // damaged, so skopeo trusts no key from it: relsig refuses the file
    // (could not check, exit 2) and names where the damage starts. A
    // whole certificate of an unknown key version is skipped with a
    // warning instead (generated_keys::unknown_version_certs_are_skipped_with_a_warning).
    use openpgp::serialize::SerializeInto as _;
    let env = Env::new();
    let good = ed25519();
    let sig = sign(&env.payload(), vec![primary_pair(&good)], &Msg::default());
    let cert = good.to_vec().unwrap();
    let at = cert.len();
    // A user ID packet claiming 40 bytes, with 3.
    let truncated = [cert.as_slice(), &[0xCD, 40, b'a', b'b', b'c']].concat();
    let garbage = [cert.as_slice(), b"\x00\x01 not a packet"].concat();
    // A version-4 public-key packet whose body stops after its version.
    let damaged = [cert.as_slice(), &[0xC6, 0x05, 0x04, 0x00, 0x01, 0x02, 0x03]].concat();
    for (name, bytes, offset) in [
        ("truncated", truncated, at),
        ("garbage", garbage, at),
        ("damaged-cert", damaged, at),
    ] {
        let key = env.write(name, &bytes);
        let run = env.verify(&sig, &fpr(&good), &[&key], &[]);
        run.assert("io-error", 2);
        assert!(
            message(&run).contains(&format!("{name} is damaged at byte {offset}")),
            "{name}: {run:?}"
        );
    }
    // Armored: the byte is counted in the decoded block, which is named.
    let mut w = openpgp::armor::Writer::new(Vec::new(), openpgp::armor::Kind::PublicKey).unwrap();
    std::io::Write::write_all(&mut w, &[cert.as_slice(), b"\x00junk"].concat()).unwrap();
    let key = env.write("armored", &w.finalize().unwrap());
    let run = env.verify(&sig, &fpr(&good), &[&key], &[]);
    run.assert("io-error", 2);
    assert!(
        message(&run).contains(&format!(
            "damaged at byte {at} of its armor block 1 (decoded)"
        )),
        "{run:?}"
    );
}

/// `content` (packets) inside one ZIP compression packet, as gpg writes.
fn zipped(content: &[u8]) -> Vec<u8> {
    use openpgp::serialize::stream::{Compressor, Message};
    use std::io::Write as _;
    let mut out = Vec::new();
    let mut m = Compressor::new(Message::new(&mut out))
        .algo(CompressionAlgorithm::Zip)
        .build()
        .unwrap();
    m.write_all(content).unwrap();
    m.finalize().unwrap();
    out
}

/// The packets of `sig` (a message without compression), each serialized.
fn packets_of(sig: &[u8]) -> Vec<openpgp::Packet> {
    use openpgp::PacketPile;
    use openpgp::parse::Parse;
    PacketPile::from_bytes(sig)
        .unwrap()
        .into_children()
        .collect()
}

#[test]
fn the_old_message_order_verifies_as_with_gpg() {
    // RFC 4880 keeps the PGP 2 order, a signature packet before the
    // literal data and no one-pass signature, and old-format packets of
    // indeterminate length (to the end of the input); gpg verifies both.
    use openpgp::Packet;
    use openpgp::serialize::Marshal as _;
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    let sig = sign(&env.payload(), vec![primary_pair(&cert)], &uncompressed());
    let packets = packets_of(&sig);
    let (signature, literal) = match packets.as_slice() {
        [
            Packet::OnePassSig(_),
            Packet::Literal(l),
            Packet::Signature(s),
        ] => (s.clone(), l.clone()),
        other => panic!("unexpected packets {other:?}"),
    };
    let mut old_order = Vec::new();
    Packet::from(signature.clone())
        .serialize(&mut old_order)
        .unwrap();
    Packet::from(literal.clone())
        .serialize(&mut old_order)
        .unwrap();
    env.verify(&old_order, &fpr(&cert), &[&key], &[])
        .assert("ok", 0);
    // Inside compression, as PGP 2 wrote it.
    env.verify(&zipped(&old_order), &fpr(&cert), &[&key], &[])
        .assert("ok", 0);
    // The same literal packet in the old format with an indeterminate
    // length: tag 11, length type 3, the body running to the end.
    let mut body = Vec::new();
    Packet::from(literal).serialize(&mut body).unwrap(); // new-format header + body
    let header_len = match body[1] {
        0..=191 => 2,
        192..=223 => 3,
        _ => 6,
    };
    let mut indeterminate = Vec::new();
    Packet::from(signature)
        .serialize(&mut indeterminate)
        .unwrap();
    indeterminate.push(0x80 | (11 << 2) | 3);
    indeterminate.extend_from_slice(&body[header_len..]);
    env.verify(&indeterminate, &fpr(&cert), &[&key], &[])
        .assert("ok", 0);
}

#[test]
fn signature_mpis_with_leading_zero_bits_verify_as_with_gpg() {
    // gpg reads an MPI whatever its bit count says; sequoia refuses a
    // non-canonical one (leading zero bits). The MPIs are not signed, so
    // relsig reads them canonically.
    use openpgp::Packet;
    use openpgp::serialize::SerializeInto as _;
    let env = Env::new();
    let cert = signing_cert(CipherSuite::RSA2k);
    let key = env.key_file("key.gpg", &[&cert]);
    let sig = sign(&env.payload(), vec![primary_pair(&cert)], &uncompressed());
    let packets = packets_of(&sig);
    let mut edited = Vec::new();
    for p in &packets {
        let Packet::Signature(s) = p else {
            edited.extend(p.to_vec().unwrap());
            continue;
        };
        // The body: version 4, type, algorithms, hashed and unhashed
        // subpacket areas, 2 hash bytes, then the RSA MPI.
        let mut body = Packet::from(s.clone()).to_vec().unwrap();
        let header = match body[1] {
            0..=191 => 2,
            192..=223 => 3,
            _ => 6,
        };
        body.drain(..header);
        let be16 = |b: &[u8], at: usize| usize::from(u16::from_be_bytes([b[at], b[at + 1]]));
        let hashed = be16(&body, 4);
        let mpi = 6 + hashed + 2 + be16(&body, 6 + hashed) + 2;
        let bits = be16(&body, mpi);
        // One leading zero octet, counted in the bit count.
        body[mpi..mpi + 2].copy_from_slice(&u16::try_from(bits + 8).unwrap().to_be_bytes());
        body.insert(mpi + 2, 0);
        edited.extend([0xC2, 0xFF]);
        edited.extend(u32::try_from(body.len()).unwrap().to_be_bytes());
        edited.extend(body);
    }
    assert_ne!(edited, sig);
    env.verify(&edited, &fpr(&cert), &[&key], &[])
        .assert("ok", 0);
    // Inside compression too.
    env.verify(&zipped(&edited), &fpr(&cert), &[&key], &[])
        .assert("ok", 0);
}

#[test]
fn inspect_shows_claims_times_key_names_and_what_a_truncated_file_holds() {
    use crate::common::{noo_signature, s};
    let env = Env::new();
    // Red Hat's real signature: the key by name, times as RFC 3339 next
    // to the epoch.
    let path = env.write("noo", &noo_signature(1));
    let run = relsig(&["inspect", s(&path)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("(Red Hat release key 2)"), "{run:?}");
    assert!(
        run.stdout
            .contains("created 1659345427 (2022-08-01T09:17:07Z)"),
        "{run:?}"
    );
    // A payload the strict rules refuse still shows what it claims,
    // under the unverified banner.
    let cert = ed25519();
    let strict_fails = String::from_utf8(env.payload())
        .unwrap()
        .replace(r#""type": "#, r#""extra": 1, "type": "#);
    let sig = sign(
        strict_fails.as_bytes(),
        vec![primary_pair(&cert)],
        &Msg::default(),
    );
    let path = env.write("strict", &sig);
    let run = relsig(&["inspect", s(&path)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("UNVERIFIED"), "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("claimed identity:  {REFERENCE}")),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains(&format!("claimed digest:    {}", env.digest)),
        "{run:?}"
    );
    assert!(run.stdout.contains("unknown member \"extra\""), "{run:?}");
    // A truncated file: what was read, then the error (exit 2).
    let whole = noo_signature(1);
    let path = env.write("truncated", &whole[..300]);
    let run = relsig(&["inspect", s(&path), "--output", "json"]);
    assert_eq!(run.code, 2, "{run:?}");
    let json = run.json();
    assert_eq!(json["verified"], false);
    assert_eq!(json["structure"]["compression"][0], "zip");
    assert!(
        json["structure"]["literal"]["length"].as_u64().unwrap() > 0,
        "{run:?}"
    );
    assert!(json["incomplete"].as_str().is_some(), "{run:?}");
    assert!(run.stderr.contains("truncated"), "{run:?}");
}

#[test]
fn a_schema1_jwk_whose_key_id_does_not_match_its_key_leaves_no_digest() {
    // libtrust parses each JWS signature's JWK while parsing the JWS, and
    // refuses a `kid` that is not the key's ID: skopeo then has no digest
    // for the manifest, however its signature reads.
    let env = Env::new();
    let cert = ed25519();
    let key = env.key_file("key.gpg", &[&cert]);
    let real = std::fs::read(
        crate::common::fixtures().join("containers-image/manifest/v2s1.manifest.json"),
    )
    .unwrap();
    let digest = relsig::image::manifest::digest(&real).unwrap().to_string();
    let sig = sign(
        &payload(&digest, REFERENCE),
        vec![primary_pair(&cert)],
        &Msg::default(),
    );
    let kid = "OZ45:U3IG:TDOI:PMBD:NGP2:LDIW:II2U:PSBI:MMCZ:YZUP:TUUO:XPZT";
    let text = String::from_utf8(real).unwrap();
    assert!(text.contains(kid));
    let wrong = text.replace(
        kid,
        "ZZ45:U3IG:TDOI:PMBD:NGP2:LDIW:II2U:PSBI:MMCZ:YZUP:TUUO:XPZT",
    );
    for (manifest, reason, code) in [(text, "ok", 0), (wrong, "invalid-manifest", 1)] {
        let path = env.write("v2s1.json", manifest.as_bytes());
        let sig_path = env.write("v2s1.sig", &sig);
        let run = relsig(&[
            "standalone-verify".as_ref(),
            path.as_os_str(),
            REFERENCE.as_ref(),
            fpr(&cert).as_ref(),
            sig_path.as_os_str(),
            "--public-key-file".as_ref(),
            key.as_os_str(),
            "--output".as_ref(),
            "json".as_ref(),
        ]);
        run.assert(reason, code);
        if code == 1 {
            assert!(
                message(&run).contains("does not match its key (OZ45:"),
                "{run:?}"
            );
        }
    }
}
