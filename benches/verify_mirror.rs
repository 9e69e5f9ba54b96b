//! Benchmark (not a timed test): 1,000 digest-pinned images whose
//! signatures, made with a fresh test key at bench time, come from a
//! loopback mirror, verified in one `relsig verify --from-file` run.
//! Reports wall time and peak memory (`/usr/bin/time -v`) of the relsig
//! process; the targets are ≤ 1 s and ≤ 64 MiB on 2 cores.
//!
//! Run: `cargo bench --bench verify_mirror` (IMAGES=n and RUNS=n override
//! the defaults of 1000 images and 5 runs).

#[path = "../tests/common/mirror.rs"]
mod mirror;

use mirror::{Mirror, Route};
use sequoia_openpgp as openpgp;
use sha2::Digest as _;
use std::io::Write as _;
use std::process::Command;
use std::time::Instant;

fn main() {
    let images: usize = env_or("IMAGES", 1000);
    let runs: usize = env_or("RUNS", 5);
    let work = tempfile::tempdir().unwrap();

    let (cert, signer) = test_key();
    let key_path = work.path().join("bench-key.pgp");
    {
        use openpgp::serialize::Serialize as _;
        let mut f = std::fs::File::create(&key_path).unwrap();
        cert.serialize(&mut f).unwrap();
    }

    let server = Mirror::start();
    let mut list = String::new();
    let start = Instant::now();
    for i in 0..images {
        let hex = hex(&sha2::Sha256::digest(format!("bench image {i}")));
        let digest = format!("sha256:{hex}");
        let identity = format!("registry.example.com/bench/app-{i}:1.0");
        let payload = format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"{identity}"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"atomic container signature"}},"optional":{{"creator":"relsig bench"}}}}"#
        );
        server.put(
            &format!("/sha256={hex}/signature-1"),
            Route::Body(sign(&signer, payload.as_bytes())),
        );
        list.push_str(&format!("{digest} {identity}\n"));
    }
    eprintln!(
        "signed {images} payloads with a fresh Ed25519 key in {:.2?}",
        start.elapsed()
    );
    let list_path = work.path().join("images.txt");
    std::fs::write(&list_path, list).unwrap();

    let relsig = env!("CARGO_BIN_EXE_relsig");
    let args = [
        "verify",
        "--from-file",
        list_path.to_str().unwrap(),
        "--keyring",
        key_path.to_str().unwrap(),
        "--signature-store",
        &server.url,
        "--output",
        "json",
    ];

    // One checked run: every image must verify, or the numbers mean nothing.
    let out = Command::new(relsig).args(args).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed = doc["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["verified"] != true);
    assert!(
        failed.is_none(),
        "not every image verified: {failed:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(doc["images"].as_array().unwrap().len(), images);

    let mut walls = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let out = Command::new("/usr/bin/time")
            .arg("-v")
            .arg(relsig)
            .args(args)
            .output()
            .expect("/usr/bin/time is needed (Debian package `time`)");
        let wall = started.elapsed();
        assert!(out.status.success());
        let stats = String::from_utf8_lossy(&out.stderr);
        let kib: u64 = stats
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("Maximum resident set size (kbytes): ")
            })
            .and_then(|v| v.trim().parse().ok())
            .expect("peak RSS in /usr/bin/time -v output");
        walls.push(wall.as_secs_f64());
        rss.push(kib);
    }
    walls.sort_by(f64::total_cmp);
    rss.sort();
    let median = walls[walls.len() / 2];
    println!(
        "relsig verify: {images} images, {runs} runs: wall median {:.3} s (min {:.3}, max {:.3}); peak RSS max {:.1} MiB (min {:.1})",
        median,
        walls[0],
        walls[walls.len() - 1],
        *rss.last().unwrap() as f64 / 1024.0,
        rss[0] as f64 / 1024.0
    );
    println!(
        "targets: wall <= 1 s: {}; peak RSS <= 64 MiB: {}",
        if median <= 1.0 { "met" } else { "MISSED" },
        if *rss.last().unwrap() <= 64 * 1024 {
            "met"
        } else {
            "MISSED"
        }
    );
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh certificate with an Ed25519 signing subkey.
fn test_key() -> (openpgp::Cert, openpgp::crypto::KeyPair) {
    use openpgp::cert::prelude::*;
    let (cert, _) = CertBuilder::new()
        .add_userid("relsig bench <bench@example.com>")
        .set_cipher_suite(CipherSuite::Cv25519)
        .add_signing_subkey()
        .generate()
        .unwrap();
    let policy = openpgp::policy::StandardPolicy::new();
    let keypair = cert
        .keys()
        .unencrypted_secret()
        .with_policy(&policy, None)
        .supported()
        .alive()
        .revoked(false)
        .for_signing()
        .next()
        .unwrap()
        .key()
        .clone()
        .into_keypair()
        .unwrap();
    (cert, keypair)
}

/// An atomic container signature: a signed OpenPGP message holding the
/// payload, as `skopeo standalone-sign` makes them.
fn sign(signer: &openpgp::crypto::KeyPair, payload: &[u8]) -> Vec<u8> {
    use openpgp::serialize::stream::{LiteralWriter, Message, Signer};
    let mut sink = Vec::new();
    let message = Message::new(&mut sink);
    let message = Signer::new(message, signer.clone())
        .unwrap()
        .build()
        .unwrap();
    let mut literal = LiteralWriter::new(message).build().unwrap();
    literal.write_all(payload).unwrap();
    literal.finalize().unwrap();
    sink
}
