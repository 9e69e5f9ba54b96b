//! `relsig verify` against the real distribution registry and a real
//! signature mirror on 127.0.0.1: the noo bundle image (a real Red Hat
//! image with four real signatures) pushed unchanged with skopeo, checked
//! with the built-in Red Hat keys. Each test asserts the verdict, the JSON
//! reason and the exit code.

use crate::common::mirror::{Mirror, Route, Silent};
use crate::common::*;

const TAG: &str = "albo/aws-load-balancer-operator-bundle:0.0.1";

/// A registry holding the noo image, and a mirror serving `routes`.
fn setup(routes: &[(usize, Route)]) -> (Registry, Mirror) {
    let registry = Registry::start(None);
    registry.push(&noo_dir(), TAG, None);
    let mirror = Mirror::start();
    for (n, route) in routes {
        mirror.put(&mirror_path(NOO_DIGEST, *n), route.clone());
    }
    (registry, mirror)
}

fn real_signatures() -> Vec<(usize, Route)> {
    (1..=4)
        .map(|n| (n, Route::Body(noo_signature(n))))
        .collect()
}

fn verify_args<'a>(image: &'a str, store: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "verify",
        image,
        "--tls-verify=false",
        "--signature-store",
        store,
    ];
    v.extend_from_slice(extra);
    v
}

#[test]
fn pushed_image_verifies_with_the_built_in_keys() {
    let (registry, mirror) = setup(&real_signatures());
    let image = registry.image(TAG);
    let store = format!("{}/", mirror.url);

    let run = relsig(&verify_args(&image, &store, &["--identity", NOO_IDENTITY]));
    assert_eq!(run.code, 0, "{run:?}");
    let sig3 = format!("{}{}", mirror.url, mirror_path(NOO_DIGEST, 3));
    assert_eq!(
        run.stdout.trim(),
        format!(
            "verified {image} digest {NOO_DIGEST} identity {NOO_IDENTITY} key {RELEASE_KEY_2} ({sig3})"
        )
    );

    let run = relsig(&verify_args(
        &image,
        &store,
        &["--identity", NOO_IDENTITY, "--output", "json"],
    ));
    assert_eq!(run.code, 0, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["verified"], true);
    assert_eq!(doc["exit_code"], 0);
    let img = run.image();
    assert_eq!(img["verdict"], "verified");
    assert_eq!(img["reason"], "ok");
    assert_eq!(img["digest"], NOO_DIGEST);
    assert_eq!(img["expected_identity"], NOO_IDENTITY);
    assert_eq!(img["accepted"]["source"], sig3);
    assert_eq!(img["accepted"]["key_fingerprint"], RELEASE_KEY_2);
    assert_eq!(img["accepted"]["signed_identity"], NOO_IDENTITY);
    assert_eq!(img["accepted"]["creator"], "Red Hat RCM Pub 0.79.0-final ");
    // The other three are real signatures for other names of the image.
    let rejected = img["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 3);
    assert!(rejected.iter().all(|r| r["reason"] == "identity-mismatch"));

    // Pinned by digest, any identity in the signed repository: signature-3
    // and signature-4 both pass.
    let pinned = format!(
        "{}/albo/aws-load-balancer-operator-bundle@{NOO_DIGEST}",
        registry.addr
    );
    let run = relsig(&verify_args(
        &pinned,
        &store,
        &[
            "--identity-repository",
            "registry.redhat.io/albo/aws-load-balancer-operator-bundle",
            "--output",
            "json",
        ],
    ));
    assert_eq!(run.code, 0, "{run:?}");
    let img = run.image();
    assert_eq!(img["accepted"]["source"], sig3);
    assert_eq!(img["also_verified"].as_array().unwrap().len(), 1);
}

#[test]
fn wrong_identity_is_not_verified() {
    let (registry, mirror) = setup(&real_signatures());
    let image = registry.image(TAG);
    let wrong = "registry.redhat.io/albo/aws-load-balancer-operator-bundle:9.9.9";
    let run = relsig(&verify_args(
        &image,
        &mirror.url,
        &["--identity", wrong, "--output", "json"],
    ));
    assert_eq!(run.code, 1, "{run:?}");
    let img = run.image();
    assert_eq!(img["verdict"], "not-verified");
    assert_eq!(img["reason"], "identity-mismatch");
    assert_eq!(img["expected_identity"], wrong);
    assert!(img["accepted"].is_null());
    assert_eq!(img["rejected"].as_array().unwrap().len(), 4);

    // Without --identity the registry's own name is expected, and nothing
    // was signed under it.
    let run = relsig(&verify_args(&image, &mirror.url, &[]));
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.starts_with(&format!(
            "NOT verified {image}: 4 signature(s), none accepted; identity-mismatch"
        )),
        "{run:?}"
    );
}

#[test]
fn changed_manifest_in_the_registry_is_not_verified() {
    let registry = Registry::start(None);
    // The same image with its manifest re-serialised: same content, other
    // bytes, so another digest than the one Red Hat signed.
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(noo_dir()).unwrap() {
        let entry = entry.unwrap();
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with("signature-")
        {
            std::fs::copy(entry.path(), copy.path().join(entry.file_name())).unwrap();
        }
    }
    let manifest = std::fs::read_to_string(noo_dir().join("manifest.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    std::fs::write(
        copy.path().join("manifest.json"),
        serde_json::to_string(&value).unwrap(),
    )
    .unwrap();
    registry.push(copy.path(), TAG, None);

    // The signatures are served for the digest of what the registry has
    // now, as a compromised mirror would.
    let changed_digest = relsig(&[
        "digest",
        &copy.path().join("manifest.json").display().to_string(),
    ])
    .stdout
    .trim()
    .to_string();
    assert_ne!(changed_digest, NOO_DIGEST);
    let mirror = Mirror::start();
    for n in 1..=4 {
        mirror.put(
            &mirror_path(&changed_digest, n),
            Route::Body(noo_signature(n)),
        );
    }
    let run = relsig(&verify_args(
        &registry.image(TAG),
        &mirror.url,
        &["--identity", NOO_IDENTITY, "--output", "json"],
    ));
    assert_eq!(run.code, 1, "{run:?}");
    let img = run.image();
    assert_eq!(img["reason"], "digest-mismatch");
    assert_eq!(img["digest"], changed_digest.as_str());
    let rejected = img["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 4);
    assert!(
        rejected
            .iter()
            .all(|r| r["reason"] == "digest-mismatch" && r["signed_digest"] == NOO_DIGEST)
    );
}

#[test]
fn no_signatures_is_not_verified() {
    let (registry, mirror) = setup(&[]);
    let run = relsig(&verify_args(
        &registry.image(TAG),
        &mirror.url,
        &["--identity", NOO_IDENTITY, "--output", "json"],
    ));
    assert_eq!(run.code, 1, "{run:?}");
    let img = run.image();
    assert_eq!(img["verdict"], "not-verified");
    assert_eq!(img["reason"], "no-signatures");
    assert!(img["errors"].as_array().unwrap().is_empty());
    assert_eq!(mirror.hits(&mirror_path(NOO_DIGEST, 1)), 1);
    assert_eq!(mirror.hits(&mirror_path(NOO_DIGEST, 2)), 0);
}

#[test]
fn corrupted_first_signature_and_good_second_verifies() {
    let (registry, mirror) = setup(&[
        (1, Route::Body(tampered(&noo_signature(3)))),
        (2, Route::Body(noo_signature(3))),
    ]);
    let run = relsig(&verify_args(
        &registry.image(TAG),
        &mirror.url,
        &["--identity", NOO_IDENTITY, "--output", "json"],
    ));
    assert_eq!(run.code, 0, "{run:?}");
    let img = run.image();
    assert_eq!(img["reason"], "ok");
    assert!(
        img["accepted"]["source"]
            .as_str()
            .unwrap()
            .ends_with("/signature-2")
    );
    let rejected = img["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["reason"], "bad-signature");
    assert!(
        rejected[0]["source"]
            .as_str()
            .unwrap()
            .ends_with("/signature-1")
    );
}

#[test]
fn server_error_is_retried_then_verifies() {
    let (registry, mirror) = setup(&[(
        1,
        Route::FailThen {
            failures: 1,
            body: noo_signature(3),
        },
    )]);
    let run = relsig(&verify_args(
        &registry.image(TAG),
        &mirror.url,
        &["--identity", NOO_IDENTITY, "--output", "json"],
    ));
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.image()["reason"], "ok");
    assert_eq!(mirror.hits(&mirror_path(NOO_DIGEST, 1)), 2);
}

#[test]
fn persistent_server_error_is_reported_as_could_not_check() {
    let (registry, mirror) = setup(&[(1, Route::Status(500))]);
    let run = relsig(&verify_args(
        &registry.image(TAG),
        &mirror.url,
        &[
            "--identity",
            NOO_IDENTITY,
            "--retries",
            "1",
            "--output",
            "json",
        ],
    ));
    assert_eq!(run.code, 2, "{run:?}");
    let img = run.image();
    assert_eq!(img["verdict"], "error");
    assert_eq!(img["reason"], "source-error");
    let url = format!("{}{}", mirror.url, mirror_path(NOO_DIGEST, 1));
    let message = img["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("{url}: HTTP 500")),
        "{message}"
    );
    assert_eq!(mirror.hits(&mirror_path(NOO_DIGEST, 1)), 2);
}

#[test]
fn store_that_never_answers_times_out() {
    let registry = Registry::start(None);
    registry.push(&noo_dir(), TAG, None);
    let silent = Silent::start();
    let run = relsig(&verify_args(
        &registry.image(TAG),
        &silent.url,
        &[
            "--identity",
            NOO_IDENTITY,
            "--timeout",
            "2",
            "--output",
            "json",
        ],
    ));
    assert_eq!(run.code, 2, "{run:?}");
    let img = run.image();
    assert_eq!(img["reason"], "source-error");
    let message = img["errors"][0]["message"].as_str().unwrap();
    let url = format!("{}{}", silent.url, mirror_path(NOO_DIGEST, 1));
    assert!(
        message.starts_with(&url) && message.contains("timeout"),
        "{message}"
    );
}

#[test]
fn registry_with_htpasswd_needs_the_auth_file() {
    let (user, password) = ("relsig", "s3cret-pass");
    let registry = Registry::start(Some((user, password)));
    registry.push(&noo_dir(), TAG, Some((user, password)));
    let mirror = Mirror::start();
    mirror.put(&mirror_path(NOO_DIGEST, 1), Route::Body(noo_signature(3)));
    let image = registry.image(TAG);
    let base = verify_args(
        &image,
        &mirror.url,
        &["--identity", NOO_IDENTITY, "--output", "json"],
    );

    // Anonymous: refused, could not check.
    let run = relsig(&base);
    assert_eq!(run.code, 2, "{run:?}");
    let img = run.image();
    assert_eq!(img["reason"], "registry-error");
    let message = img["message"].as_str().unwrap();
    assert!(
        message.contains("authentication") && message.contains(&registry.addr),
        "{message}"
    );

    let dir = tempfile::tempdir().unwrap();
    let good = auth_file(dir.path(), &registry.addr, user, password);
    let good = good.display().to_string();
    let mut with_file = base.clone();
    with_file.extend(["--authfile", good.as_str()]);
    let run = relsig(&with_file);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.image()["reason"], "ok");

    // The same file found through $REGISTRY_AUTH_FILE.
    let run = relsig_env(&base, &[("REGISTRY_AUTH_FILE", &good)]);
    assert_eq!(run.code, 0, "{run:?}");

    // A wrong password is named as such.
    let wrong_dir = tempfile::tempdir().unwrap();
    let wrong = auth_file(wrong_dir.path(), &registry.addr, user, "nope");
    let wrong = wrong.display().to_string();
    let mut with_wrong = base.clone();
    with_wrong.extend(["--authfile", wrong.as_str()]);
    let run = relsig(&with_wrong);
    assert_eq!(run.code, 2, "{run:?}");
    let img = run.image();
    assert_eq!(img["reason"], "registry-error");
    assert!(
        img["message"]
            .as_str()
            .unwrap()
            .contains("refused the credentials for user \"relsig\""),
        "{run:?}"
    );
}
