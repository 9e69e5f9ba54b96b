//! The built-in trust anchors (`keys/`) are the files the tests check
//! against (`fixtures/redhat-keys/`), and nothing relsig reads by default
//! leaks into the suite from the machine.

use crate::common::{NOO_DIGEST, fixtures, noo_dir, relsig_env};
use std::path::Path;

#[test]
fn built_in_keys_are_the_tested_red_hat_key_files() {
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys");
    let mut compared = 0;
    for entry in std::fs::read_dir(&keys).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("LICENSE") || name.ends_with(".md") {
            continue;
        }
        // The OpenPGP keys' copies are in redhat-keys/, the sigstore key's
        // with the rest of the sigstore material.
        let folder = if name.ends_with(".pem") {
            "sigstore/redhat"
        } else {
            "redhat-keys"
        };
        let fixture = fixtures().join(folder).join(&name);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(&fixture).unwrap_or_default(),
            "keys/{name} differs from fixtures/{folder}/{name}"
        );
        compared += 1;
    }
    assert_eq!(
        compared, 4,
        "keys/ holds the two built-in GPG keys, RHEL 9's key file and the sigstore release key 3"
    );
}

/// The defaults a test environment moves are the ones relsig would read:
/// pointing `RELSIG_DEFAULT_LOOKASIDE` at a lookaside that holds the noo
/// bundle's signatures makes `policy check` find them, so moving it away
/// (as every test does) is what keeps `/var/lib/containers/sigstore` out.
#[test]
fn the_default_lookaside_is_overridable() {
    let tmp = tempfile::tempdir().unwrap();
    let hex = NOO_DIGEST.strip_prefix("sha256:").unwrap();
    let dest = tmp.path().join(format!(
        "albo/aws-load-balancer-operator-bundle@sha256={hex}"
    ));
    std::fs::create_dir_all(&dest).unwrap();
    for n in 1..=4 {
        std::fs::copy(
            noo_dir().join(format!("signature-{n}")),
            dest.join(format!("signature-{n}")),
        )
        .unwrap();
    }
    let key = fixtures().join("redhat-keys/redhat-release-key-2_FD431D51_sha256-selfsig.gpg");
    let policy = tmp.path().join("policy.json");
    std::fs::write(
        &policy,
        format!(
            r#"{{"default":[{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{}"}}]}}"#,
            key.display()
        ),
    )
    .unwrap();
    let manifest = noo_dir().join("manifest.json");
    let args = [
        "policy",
        "check",
        "registry.redhat.io/albo/aws-load-balancer-operator-bundle:0.0.1",
        "--policy",
        policy.to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
        "--output",
        "json",
    ];
    // The test environment's default: an empty place, so no signatures.
    let run = relsig_env(&args, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.json()["requirements"][0]["reason"], "no-signatures");
    // The same defaults, pointed at a lookaside with the signatures.
    let url = format!("file://{}", tmp.path().display());
    let run = relsig_env(&args, &[("RELSIG_DEFAULT_LOOKASIDE", &url)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["status"], "verified");
}
