//! A signed, mirrored OpenShift-shaped release for `bench/release-audit.sh`:
//! pushes N small component images and a release image naming them
//! (`tests/common/release.rs`, the test suite's builder) into a registry
//! on 127.0.0.1, signs the release with a key made here, and writes what
//! `relsig release audit` needs.
//!
//! Usage: `release_fixture REGISTRY_ADDR N DIR` writes `DIR/key.gpg` (the
//! public key), `DIR/idms.yaml` (quay.io → the registry),
//! `DIR/store/sha256=<hex>/signature-1` (a signature store) and
//! `DIR/release.txt` (the release's quay.io digest pull spec).

#[path = "../tests/common/release.rs"]
mod release;

use openpgp::cert::prelude::*;
use openpgp::serialize::Serialize as _;
use openpgp::serialize::stream::{LiteralWriter, Message, Signer};
use release::{MIRROR_REPO, OCP_RELEASE, Pusher, TestRelease, idms};
use sequoia_openpgp as openpgp;
use std::io::Write as _;
use std::path::Path;

const VERSION: &str = "4.12.99";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, addr, n, dir] = &args[..] else {
        eprintln!("usage: release_fixture REGISTRY_ADDR N DIR");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N is a number");
    let dir = Path::new(dir);
    let pusher = Pusher::new(addr);
    let release = TestRelease::push(&pusher, VERSION, n);
    let digest = &release.release.digest;

    let (cert, _) = CertBuilder::new()
        .add_userid("relsig bench <bench@example.org>")
        .set_cipher_suite(CipherSuite::Cv25519)
        .set_primary_key_flags(
            openpgp::types::KeyFlags::empty()
                .set_certification()
                .set_signing(),
        )
        .generate()
        .expect("generate key");
    let mut key = Vec::new();
    cert.serialize(&mut key).unwrap();
    std::fs::write(dir.join("key.gpg"), key).unwrap();

    let payload = format!(
        r#"{{"critical": {{"image": {{"docker-manifest-digest": "{digest}"}}, "type": "atomic container signature", "identity": {{"docker-reference": "{OCP_RELEASE}:{VERSION}-x86_64"}}}}, "optional": {{"creator": "relsig bench"}}}}"#
    );
    let signer = cert
        .primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .unwrap()
        .into_keypair()
        .unwrap();
    let mut signature = Vec::new();
    {
        let m = Message::new(&mut signature);
        let m = Signer::new(m, signer).unwrap().build().unwrap();
        let mut lit = LiteralWriter::new(m).build().unwrap();
        lit.write_all(payload.as_bytes()).unwrap();
        lit.finalize().unwrap();
    }
    let sig_dir = dir.join("store").join(digest.replacen(':', "=", 1));
    std::fs::create_dir_all(&sig_dir).unwrap();
    std::fs::write(sig_dir.join("signature-1"), signature).unwrap();
    std::fs::write(
        dir.join("idms.yaml"),
        idms(&format!("{addr}/{MIRROR_REPO}")),
    )
    .unwrap();
    std::fs::write(dir.join("release.txt"), format!("{OCP_RELEASE}@{digest}\n")).unwrap();
}
