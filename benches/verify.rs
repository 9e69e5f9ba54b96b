//! In-process cost of verifying a real Red Hat image signature (the noo
//! bundle of `fixtures/openshift/noo-bundle-image`), and of its parts:
//! loading the built-in keyring, and digesting the manifest.
//!
//! relsig checks the message's signature itself, past sequoia's
//! process-wide verification cache, so every "check_signature" iteration
//! runs the RSA public-key operation (the key's self-signature is checked
//! once per loaded keyring). Two benches show the rest: a
//! signature whose RSA value was altered (the RSA operation, then the
//! failure), and the whole binary run as a fresh process.
//!
//! Run with `cargo bench --features bench --bench verify`. The whole-process comparison
//! with skopeo is `bench/compare-skopeo.sh`.

use criterion::{Criterion, criterion_group, criterion_main};
use relsig::image::manifest::{self, Manifest};
use relsig::image::reference::Reference;
use relsig::signature::Reason;
use relsig::signature::check::{Checks, Image, check_signature};
use relsig::signature::identity::ExpectedIdentity;
use relsig::signature::openpgp::OpenPgp;
use relsig::signature::openpgp::keyring::{Accepted, Keyring, REDHAT_RELEASE_KEY_2};
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::serialize::{Marshal, MarshalInto};
use sequoia_openpgp::{Packet, PacketPile};
use std::hint::black_box;
use std::path::Path;
use std::time::SystemTime;

const IDENTITY: &str = "registry.access.redhat.com/albo/aws-load-balancer-operator-bundle:0.0.1";

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/openshift/noo-bundle-image")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `signature` as an uncompressed message whose RSA signature value has
/// its last bit flipped: verifying it costs the full RSA operation and
/// fails, and failures are not cached.
fn with_altered_rsa_value(signature: &[u8]) -> Vec<u8> {
    let pile = PacketPile::from_bytes(signature).unwrap();
    let mut out = Vec::new();
    for packet in pile.descendants() {
        match packet {
            Packet::OnePassSig(_) | Packet::Literal(_) => packet.serialize(&mut out).unwrap(),
            Packet::Signature(_) => {
                let mut bytes = packet.to_vec().unwrap();
                *bytes.last_mut().unwrap() ^= 1;
                out.extend_from_slice(&bytes);
            }
            _ => {}
        }
    }
    out
}

fn benches(c: &mut Criterion) {
    let manifest_bytes = fixture("manifest.json");
    let signature = fixture("signature-1");
    let accepted = Accepted::parse(REDHAT_RELEASE_KEY_2).unwrap();
    let expected = ExpectedIdentity::Exact(Reference::parse(IDENTITY).unwrap());
    let at = SystemTime::now();

    // The check the binary runs, with the keyring loaded once.
    let keyring = Keyring::redhat();
    let mechanism = OpenPgp {
        keyring: &keyring,
        accepted: &accepted,
        judged_now: true,
    };
    let checks = Checks {
        mechanism: &mechanism,
        expected: &expected,
        at,
    };
    let report = check_signature(
        &signature,
        Image::Manifest(&Manifest::new(manifest_bytes.as_slice())),
        &checks,
    );
    assert!(
        report.verified,
        "the noo bundle must verify: {}",
        report.message
    );
    c.bench_function("check_signature noo-bundle signature-1", |b| {
        b.iter(|| {
            let r = check_signature(
                black_box(&signature),
                Image::Manifest(&Manifest::new(black_box(manifest_bytes.as_slice()))),
                &checks,
            );
            assert!(r.verified);
            r
        })
    });

    // What one `relsig standalone-verify` invocation does in-process:
    // keyring load plus the check.
    c.bench_function("keyring load + check_signature noo-bundle", |b| {
        b.iter(|| {
            let keyring = Keyring::redhat();
            let mechanism = OpenPgp {
                keyring: &keyring,
                accepted: &accepted,
                judged_now: true,
            };
            let checks = Checks {
                mechanism: &mechanism,
                ..checks
            };
            check_signature(
                black_box(&signature),
                Image::Manifest(&Manifest::new(black_box(manifest_bytes.as_slice()))),
                &checks,
            )
        })
    });

    let altered = with_altered_rsa_value(&signature);
    let report = check_signature(
        &altered,
        Image::Manifest(&Manifest::new(manifest_bytes.as_slice())),
        &checks,
    );
    assert_eq!(report.reason, Reason::BadSignature, "{}", report.message);
    c.bench_function(
        "check_signature, RSA value altered (RSA runs every time)",
        |b| {
            b.iter(|| {
                check_signature(
                    black_box(&altered),
                    Image::Manifest(&Manifest::new(black_box(manifest_bytes.as_slice()))),
                    &checks,
                )
            })
        },
    );

    // One `relsig standalone-verify` as users run it: a fresh process
    // with empty caches (process start, keyring, two RSA checks: the
    // key's self-signature and the image signature).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openshift/noo-bundle-image");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_relsig"));
    cmd.arg("standalone-verify")
        .arg(dir.join("manifest.json"))
        .arg(IDENTITY)
        .arg(REDHAT_RELEASE_KEY_2)
        .arg(dir.join("signature-1"))
        .stdout(std::process::Stdio::null());
    c.bench_function("relsig standalone-verify process noo-bundle", |b| {
        b.iter(|| {
            let status = cmd.status().unwrap();
            assert!(status.success());
        })
    });

    c.bench_function("Keyring::redhat (built-in keys)", |b| {
        b.iter(Keyring::redhat)
    });

    c.bench_function("manifest::digest noo-bundle", |b| {
        b.iter(|| manifest::digest(black_box(&manifest_bytes)).unwrap())
    });
}

criterion_group!(verify, benches);
criterion_main!(verify);
