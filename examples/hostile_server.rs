//! A hostile HTTP server on 127.0.0.1 for `bench/hostile.sh`: serves one
//! named attack (the test suite's loopback server, `tests/common/mirror.rs`,
//! with one set of routes) until it is killed.
//!
//! Usage: `hostile_server ATTACK URL_FILE` writes `http://127.0.0.1:PORT`
//! to URL_FILE once it listens. `hostile_server --list` names the attacks.
//! `hostile_server store DIR URL_FILE` is a well-behaved signature store
//! instead (for `bench/batch.sh`): every `DIR/sha256=<hex>/signature-N`
//! file, served from memory.

#[path = "../tests/common/mirror.rs"]
mod mirror;

use mirror::{Mirror, Route};
use std::time::Duration;

/// The release whose real signature (in `fixtures/`) the good routes
/// serve, and the identity it is signed for.
const RELEASE_DIGEST_HEX: &str = "0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363";

const ATTACKS: &[(&str, &str)] = &[
    (
        "good",
        "the release signature at signature-1 of the 4.15.0 digest",
    ),
    ("drip-signature", "signature-1 sent at 1 byte/s"),
    ("endless-chunks", "signature-1 as endless 1-byte chunks"),
    ("slow-answers", "every signature-N answered after 1.5 s"),
    ("endless-503", "every request answered 503"),
    (
        "huge-signatures",
        "every signature-N of every digest 4 MiB, chunked",
    ),
    ("html", "every signature-N of every digest a login page"),
    (
        "redirect-file",
        "every signature-N redirects to file:///etc/passwd",
    ),
    (
        "drip-manifest",
        "a registry whose manifest app:1 comes at 1 byte/s",
    ),
    ("drip-graph", "an update graph at /graph sent at 1 byte/s"),
    (
        "big-graph",
        "a 63 MiB update graph at /graph (4.15.0 in it)",
    ),
    (
        "file=PATH",
        "the bytes of the file PATH as signature-1 of the 4.15.0 digest",
    ),
    (
        "endless-signature",
        "signature-1 of the 4.15.0 digest a 1 TiB body, chunked (a store's /dev/zero)",
    ),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--list") {
        for (name, what) in ATTACKS {
            println!("{name}\t{what}");
        }
        return;
    }
    let server = Mirror::start();
    server.forget_requests();
    let (url_file, set_up) = match args.as_slice() {
        [attack, url_file] => (url_file, set_up(&server, attack)),
        [store, dir, url_file] if store == "store" => (url_file, serve_store(&server, dir)),
        _ => {
            eprintln!("usage: hostile_server ATTACK URL_FILE, store DIR URL_FILE, or --list");
            std::process::exit(2);
        }
    };
    if let Err(e) = set_up {
        eprintln!("hostile_server: {e}");
        std::process::exit(2);
    }
    std::fs::write(url_file, &server.url).expect("write the URL file");
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn set_up(server: &Mirror, attack: &str) -> Result<(), String> {
    let signature = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/openshift/ocp-4.15.0-x86_64/signature-1"),
    )
    .map_err(|e| format!("cannot read the fixture signature: {e}"))?;
    let sig = |n: usize| format!("/sha256={RELEASE_DIGEST_HEX}/signature-{n}");
    let every = "/sha256=";
    match attack {
        "good" => server.put(&sig(1), Route::Body(signature)),
        "drip-signature" => server.put(
            &sig(1),
            Route::Drip {
                body: signature,
                every: Duration::from_secs(1),
            },
        ),
        "endless-chunks" => server.put(
            &sig(1),
            Route::EndlessChunks {
                every: Duration::from_millis(1),
            },
        ),
        "slow-answers" => server.put_prefix(
            every,
            Route::Delayed {
                delay: Duration::from_millis(1500),
                route: Box::new(Route::Body(b"not a signature".to_vec())),
            },
        ),
        "endless-503" => server.put_prefix("/", Route::Status(503)),
        "huge-signatures" => server.put_prefix(
            every,
            Route::Huge {
                len: 4 * 1024 * 1024,
                chunked: true,
            },
        ),
        "inflating-signatures" => server.put_prefix(every, Route::Body(inflating_signature())),
        "html" => server.put_prefix(
            every,
            Route::Typed {
                content_type: "text/html",
                body: b"<!DOCTYPE html><html><body>Please log in</body></html>".to_vec(),
            },
        ),
        "redirect-file" => server.put_prefix(every, Route::Redirect("file:///etc/passwd".into())),
        "drip-manifest" => {
            let manifest = std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("fixtures/openshift/noo-bundle-image/manifest.json"),
            )
            .map_err(|e| format!("cannot read the fixture manifest: {e}"))?;
            server.put(
                "/v2/app/manifests/1",
                Route::Drip {
                    body: manifest,
                    every: Duration::from_secs(1),
                },
            );
        }
        "drip-graph" => server.put(
            "/graph",
            Route::Drip {
                body: br#"{"nodes":[],"edges":[]}"#.to_vec(),
                every: Duration::from_secs(1),
            },
        ),
        "big-graph" => {
            server.put("/graph", Route::Body(big_graph(63 * 1024 * 1024)));
            server.put(&sig(1), Route::Body(signature));
        }
        "endless-signature" => server.put(
            &sig(1),
            Route::Huge {
                len: 1 << 40,
                chunked: true,
            },
        ),
        other if other.starts_with("file=") => {
            let path = &other["file=".len()..];
            let body = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            server.put(&sig(1), Route::Body(body));
        }
        other => return Err(format!("unknown attack {other:?} (see --list)")),
    }
    Ok(())
}

/// Serves every `sha256=<hex>/signature-N` file under `dir` at the same
/// path: a release mirror layout store.
fn serve_store(server: &Mirror, dir: &str) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {dir}: {e}"))?;
    for entry in entries {
        let folder = entry.map_err(|e| format!("cannot read {dir}: {e}"))?.path();
        let Some(name) = folder.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.starts_with("sha256=") {
            continue;
        }
        let files = std::fs::read_dir(&folder)
            .map_err(|e| format!("cannot read {}: {e}", folder.display()))?;
        for file in files {
            let path = file
                .map_err(|e| format!("cannot read {}: {e}", folder.display()))?
                .path();
            let body =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            server.put(&format!("/{name}/{file_name}"), Route::Body(body));
        }
    }
    Ok(())
}

/// An update graph of about `size` bytes shaped like the real one
/// (releases with metadata, edges), 4.15.0 among its releases.
fn big_graph(size: usize) -> Vec<u8> {
    let mut g = String::with_capacity(size + 4096);
    g.push_str(r#"{"nodes":["#);
    // About 3.4 KB a release: 19,000 of them, under the limit of kept
    // releases, so that the whole document must be read.
    let padding = "x".repeat(3300);
    let mut n = 0;
    while g.len() < size - 4096 {
        if n > 0 {
            g.push(',');
        }
        let (version, hex) = if n == 0 {
            ("4.15.0".to_string(), RELEASE_DIGEST_HEX.to_string())
        } else {
            (format!("4.15.{}", n + 1000), format!("{n:064x}"))
        };
        g.push_str(&format!(
            r#"{{"version":"{version}","payload":"quay.io/openshift-release-dev/ocp-release@sha256:{hex}","metadata":{{"io.openshift.upgrades.graph.release.channels":"candidate-4.15,fast-4.15,stable-4.15","url":"https://access.redhat.com/errata/RHSA-2024:{n}","notes":"{padding}"}}}}"#
        ));
        n += 1;
    }
    g.push_str(r#"],"edges":["#);
    for i in 1..n.min(100) {
        if i > 1 {
            g.push(',');
        }
        g.push_str(&format!("[0,{i}]"));
    }
    g.push_str("]}");
    g.into_bytes()
}

/// A signed OpenPGP message (by a fresh key no one trusts) whose payload,
/// zlib-compressed to a few KiB, inflates to just under the 4 MiB payload
/// limit: checking it costs the payload's memory.
fn inflating_signature() -> Vec<u8> {
    use openpgp::cert::prelude::*;
    use openpgp::serialize::stream::{Compressor, LiteralWriter, Message, Signer};
    use sequoia_openpgp as openpgp;
    use std::io::Write as _;
    let (cert, _) = CertBuilder::new()
        .set_cipher_suite(CipherSuite::Cv25519)
        .add_signing_subkey()
        .generate()
        .expect("generate a key");
    let policy = openpgp::policy::StandardPolicy::new();
    let signer = cert
        .keys()
        .unencrypted_secret()
        .with_policy(&policy, None)
        .for_signing()
        .next()
        .expect("a signing key")
        .key()
        .clone()
        .into_keypair()
        .expect("a key pair");
    let mut sink = Vec::new();
    let message = Message::new(&mut sink);
    let message = Compressor::new(message)
        .algo(openpgp::types::CompressionAlgorithm::Zlib)
        .build()
        .expect("compressor");
    let message = Signer::new(message, signer)
        .expect("signer")
        .build()
        .expect("signer");
    let mut literal = LiteralWriter::new(message).build().expect("literal");
    literal
        .write_all(&vec![b' '; 4 * 1024 * 1024 - 64])
        .expect("write the payload");
    literal.finalize().expect("finish the message");
    sink
}
