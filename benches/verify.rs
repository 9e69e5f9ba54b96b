//! In-process cost of verifying a real Red Hat image signature (the noo
//! bundle of `fixtures/openshift/noo-bundle-image`), and of its parts:
//! loading the built-in keyring, and digesting the manifest.
//!
//! Run with `cargo bench --bench verify`. The whole-process comparison
//! with skopeo is `bench/compare-skopeo.sh`.

use criterion::{Criterion, criterion_group, criterion_main};
use relsig::identity::ExpectedIdentity;
use relsig::keyring::{Accepted, Keyring, REDHAT_RELEASE_KEY_2};
use relsig::manifest;
use relsig::reference::Reference;
use relsig::verify::{Checks, Image, check_signature};
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

fn benches(c: &mut Criterion) {
    let manifest_bytes = fixture("manifest.json");
    let signature = fixture("signature-1");
    let accepted = Accepted::parse(REDHAT_RELEASE_KEY_2).unwrap();
    let expected = ExpectedIdentity::Exact(Reference::parse(IDENTITY).unwrap());
    let at = SystemTime::now();

    // The check the binary runs, with the keyring loaded once.
    let keyring = Keyring::redhat();
    let checks = Checks {
        keyring: &keyring,
        accepted: &accepted,
        expected: &expected,
        at,
    };
    let report = check_signature(&signature, Image::Manifest(&manifest_bytes), &checks);
    assert!(
        report.verified,
        "the noo bundle must verify: {}",
        report.message
    );
    c.bench_function("check_signature noo-bundle signature-1", |b| {
        b.iter(|| {
            let r = check_signature(
                black_box(&signature),
                Image::Manifest(black_box(&manifest_bytes)),
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
            let checks = Checks {
                keyring: &keyring,
                ..checks
            };
            check_signature(
                black_box(&signature),
                Image::Manifest(black_box(&manifest_bytes)),
                &checks,
            )
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
