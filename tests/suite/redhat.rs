//! Real Red Hat material: the release key 2 in every file shape it ships
//! in, the built-in keyring, real image and release signatures (v3 and v4
//! packets), plus `digest`, `inspect`, `--version` and usage errors of the
//! binary.

use crate::signing::*;
use relsig::image::digest::Digest;
use relsig::signature::Reason;
use relsig::signature::check::Image;
use relsig::signature::openpgp::keyring::Keyring;
use std::path::PathBuf;

const KEY2: &str = "567E347AD0044ADE55BA8A5F199E2F91FD431D51";
const NOO_DIGEST: &str = "sha256:50b9402635dd4b312a86bed05dcdbda8c00120d3789ec2e9b527045100b3bdb4";
const NOO_REPO: &str = "albo/aws-load-balancer-operator-bundle";

/// Every key file in the fixtures that holds release key 2.
const KEY2_FILES: &[&str] = &[
    "redhat-keys/RPM-GPG-KEY-redhat-release.rhel8",
    "redhat-keys/RPM-GPG-KEY-redhat-release.rhel9",
    "redhat-keys/RPM-GPG-KEY-redhat-release.rhel10",
    "redhat-keys/redhat-release-key-2_FD431D51_sha1-selfsig.asc",
    "redhat-keys/redhat-release-key-2_FD431D51_sha1-selfsig.gpg",
    "redhat-keys/redhat-release-key-2_FD431D51_sha256-selfsig.asc",
    "redhat-keys/redhat-release-key-2_FD431D51_sha256-selfsig.gpg",
    "openshift/cluster-update-keys/keys/verifier-public-key-redhat-release",
    "openshift/cluster-update-keys/history-a3f5bae/keys/verifier-public-key-redhat-release",
    "openshift/cluster-update-keys/extracted-from-configmaps/rhel.verifier-public-key-redhat",
    "openshift/cluster-update-keys/extracted-from-configmaps/history-c0641e0-rhel.verifier-public-key-redhat",
    "openshift/library-go/keyrings/redhat.txt",
    "openshift/library-go/keyrings/combined.txt",
    "openshift/oc-mirror-test-release/custom-ocp-sig-key.asc",
];

fn noo(name: &str) -> PathBuf {
    fixtures().join("openshift/noo-bundle-image").join(name)
}

/// The four real signatures of the noo bundle and the identity each signs.
fn noo_signatures() -> Vec<(PathBuf, String)> {
    [
        ("signature-1", "registry.access.redhat.com", "0.0.1"),
        ("signature-2", "registry.access.redhat.com", "0.0.1-20"),
        ("signature-3", "registry.redhat.io", "0.0.1"),
        ("signature-4", "registry.redhat.io", "0.0.1-20"),
    ]
    .into_iter()
    .map(|(sig, host, tag)| (noo(sig), format!("{host}/{NOO_REPO}:{tag}")))
    .collect()
}

fn standalone(
    manifest: &std::path::Path,
    reference: &str,
    fingerprints: &str,
    sig: &std::path::Path,
    keys: &[PathBuf],
    json: bool,
) -> Run {
    let mut args: Vec<std::ffi::OsString> = vec![
        "standalone-verify".into(),
        manifest.into(),
        reference.into(),
        fingerprints.into(),
        sig.into(),
    ];
    for k in keys {
        args.push("--public-key-file".into());
        args.push(k.into());
    }
    if json {
        args.extend(["--output".into(), "json".into()]);
    }
    relsig(&args)
}

#[test]
fn noo_bundle_signatures_verify_with_every_key_2_file_and_the_builtin_keyring() {
    let success = format!("Signature verified using fingerprint {KEY2}, digest {NOO_DIGEST}\n");
    let mut keyrings: Vec<Vec<PathBuf>> = KEY2_FILES
        .iter()
        .map(|f| {
            let p = fixtures().join(f);
            assert!(p.is_file(), "fixture {f} exists");
            vec![p]
        })
        .collect();
    keyrings.push(Vec::new()); // the built-in keyring
    let mut failures = Vec::new();
    for keys in &keyrings {
        for (sig, identity) in noo_signatures() {
            // Without a key file, `any` means the built-in Red Hat keys.
            for accepted in [KEY2, "any"] {
                let run = standalone(
                    &noo("manifest.json"),
                    &identity,
                    accepted,
                    &sig,
                    keys,
                    false,
                );
                if run.code != 0 || run.stdout != success {
                    failures.push(format!("{keys:?} {sig:?} {accepted}: {run:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn noo_bundle_signature_json_report() {
    let (sig, identity) = noo_signatures().remove(0);
    let run = standalone(&noo("manifest.json"), &identity, KEY2, &sig, &[], true);
    run.assert("ok", 0);
    let json = run.json();
    assert_eq!(json["primary_fingerprint"], KEY2);
    assert_eq!(json["signing_key_fingerprint"], KEY2);
    assert_eq!(json["manifest_digest"], NOO_DIGEST);
    assert_eq!(json["signed_digest"], NOO_DIGEST);
    assert_eq!(json["signed_identity"], identity);
    assert_eq!(json["creator"], "Red Hat RCM Pub 0.79.0-final ");
}

#[test]
fn beta_key_alone_does_not_verify_release_key_signatures() {
    let (sig, identity) = noo_signatures().remove(0);
    let beta = fixtures().join("redhat-keys/redhat-beta-key-2_F21541EB_sha256-selfsig.gpg");
    standalone(&noo("manifest.json"), &identity, "any", &sig, &[beta], true)
        .assert("unknown-key", 1);
}

/// A real signature whose manifest is not public: everything up to the
/// digest comparison passes.
fn signed_elsewhere(sig: &str, identity: &str, signed_digest: &str) {
    let sig = fixtures().join(sig);
    for keys in [vec![], vec![fixtures().join(KEY2_FILES[3])]] {
        let run = standalone(&noo("manifest.json"), identity, KEY2, &sig, &keys, true);
        run.assert("digest-mismatch", 1);
        let json = run.json();
        assert_eq!(json["primary_fingerprint"], KEY2);
        assert_eq!(json["signing_key_fingerprint"], KEY2);
        assert_eq!(json["signed_digest"], signed_digest);
        assert_eq!(json["manifest_digest"], NOO_DIGEST);
        assert_eq!(json["signed_identity"], identity);
    }
    // Given the signed digest instead of a manifest, every check passes:
    // the digest comparison was the only failure.
    let bytes = std::fs::read(&sig).unwrap();
    let digest = Digest::parse(signed_digest).unwrap();
    let report = check_with_library(
        &bytes,
        Image::Digest(&digest),
        &Keyring::redhat(),
        KEY2,
        identity,
    );
    assert!(report.verified, "{report:?}");
    assert_eq!(report.reason, Reason::Ok);
    assert_eq!(report.key_fingerprint.as_deref(), Some(KEY2));
}

#[test]
fn ocp_4_15_0_release_signature_fails_only_at_the_digest() {
    signed_elsewhere(
        "openshift/ocp-4.15.0-x86_64/signature-1",
        "quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64",
        "sha256:0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363",
    );
}

#[test]
fn v3_rhel7_signature_from_2019_fails_only_at_the_digest() {
    signed_elsewhere(
        "openshift/library-go/signatures/sha256=e3f12513a4b22a2d7c0e7c9207f52128113758d9d68c7d06b11a0ac7672966f7/signature-1",
        "registry.access.redhat.com/rhel7:7.6",
        "sha256:e3f12513a4b22a2d7c0e7c9207f52128113758d9d68c7d06b11a0ac7672966f7",
    );
}

#[test]
fn digest_of_schema1_and_schema2_manifests() {
    for (file, digest) in [
        (
            "v2s1.manifest.json",
            "sha256:7364fea9d84ee548ab67d4c46c6006289800c98de3fbf8c0a97138dfcc23f000",
        ),
        (
            "v2s2.manifest.json",
            "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55",
        ),
    ] {
        let path = fixtures().join("containers-image/manifest").join(file);
        let run = relsig(&["digest".as_ref(), path.as_os_str()]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stdout, format!("{digest}\n"));
    }
    let run = relsig(&["digest".as_ref(), noo("manifest.json").as_os_str()]);
    assert_eq!(run.stdout, format!("{NOO_DIGEST}\n"));
}

#[test]
fn inspect_says_unverified_and_shows_the_claims() {
    let (sig, identity) = noo_signatures().remove(3);
    let run = relsig(&["inspect".as_ref(), sig.as_os_str()]);
    assert_eq!(run.code, 0, "{run:?}");
    let first = run.stdout.lines().next().unwrap();
    assert!(first.contains("UNVERIFIED"), "{first}");
    assert!(run.stdout.contains(&identity), "{}", run.stdout);
    assert!(run.stdout.contains(NOO_DIGEST), "{}", run.stdout);
    assert!(run.stdout.contains("199E2F91FD431D51"), "{}", run.stdout);

    let run = relsig(&[
        "inspect".as_ref(),
        sig.as_os_str(),
        "--output".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let json = run.json();
    assert_eq!(json["verified"], false);
    assert_eq!(json["payload"]["docker_reference"], identity, "{json}");
    assert_eq!(json["structure"]["compression"], serde_json::json!(["zip"]));
    assert_eq!(json["structure"]["signatures"][0]["version"], 3);
}

#[test]
fn version_names_the_crypto_backend() {
    let run = relsig(&["--version"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("sequoia-openpgp"), "{run:?}");
    assert!(run.stdout.contains("crypto backend"), "{run:?}");
}

#[test]
fn missing_files_are_io_errors_naming_the_file() {
    let (sig, identity) = noo_signatures().remove(0);
    let manifest = noo("manifest.json");
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-file");
    let missing_name = missing.display().to_string();
    for (m, s, keys) in [
        (&missing, &sig, vec![]),
        (&manifest, &missing, vec![]),
        (&manifest, &sig, vec![missing.clone()]),
    ] {
        let run = standalone(m, &identity, KEY2, s, &keys, true);
        run.assert("io-error", 2);
        let message = run.json()["message"].as_str().unwrap().to_string();
        assert!(message.contains(&missing_name), "{message}");
        let text = standalone(m, &identity, KEY2, s, &keys, false);
        assert_eq!(text.code, 2);
        assert!(text.stdout.is_empty(), "{text:?}");
        assert!(text.stderr.contains(&missing_name), "{text:?}");
        assert_eq!(text.stderr.trim_end().lines().count(), 1, "{text:?}");
    }
}

#[test]
fn key_id_instead_of_fingerprint_is_a_usage_error() {
    let (sig, identity) = noo_signatures().remove(0);
    let run = standalone(
        &noo("manifest.json"),
        &identity,
        "199E2F91FD431D51",
        &sig,
        &[],
        false,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("40-hex fingerprint"), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
}

#[test]
fn invalid_reference_is_a_usage_error() {
    let (sig, _) = noo_signatures().remove(0);
    for reference in ["registry.redhat.io/ALBO/bundle:0.0.1", "bad reference", ""] {
        let run = standalone(&noo("manifest.json"), reference, KEY2, &sig, &[], true);
        run.assert("invalid-reference-argument", 2);
    }
}
