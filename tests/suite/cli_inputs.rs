//! Plausible mistakes get one clear line that names the file or field
//! and says what was expected: store locations that do not exist,
//! ConfigMaps in the wrong shape, swapped arguments and error pages saved
//! as signatures, release versions in other forms, upper-case digests;
//! `fetch` replaces nothing without `--force`; `policy check`'s verdict
//! line stays short; `init` and `machineconfig` need fewer options.

use crate::common::mirror::{Mirror, Route};
use crate::common::s;
use crate::common::*;

fn noo(file: &str) -> String {
    noo_dir().join(file).display().to_string()
}

/// The first stderr line, which must say it all.
fn first_line(run: &Run) -> &str {
    run.stderr.lines().next().unwrap_or_default()
}

fn by_digest(extra: &[&str]) -> Run {
    let mut args = vec![
        "verify",
        "--digest",
        RELEASE_DIGEST,
        "--identity",
        RELEASE_IDENTITY,
    ];
    args.extend_from_slice(extra);
    relsig(&args)
}

#[test]
fn store_locations_that_do_not_exist_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    for option in ["--signature-store", "--lookaside"] {
        let run = by_digest(&[option, s(&missing)]);
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(
            first_line(&run),
            format!("relsig: {option} {}: no such directory", missing.display())
        );
        // A web server's address without its scheme.
        let run = by_digest(&[option, "mirror.example.com/signatures"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            first_line(&run).ends_with(
                "(for a web server, give the URL: https://mirror.example.com/signatures)"
            ),
            "{run:?}"
        );
    }
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
    )
    .unwrap();
    let run = relsig(&[
        "policy",
        "check",
        NOO_IDENTITY,
        "--policy",
        s(&policy),
        "--signature-store",
        s(&missing),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(first_line(&run).contains("no such directory"), "{run:?}");
}

#[test]
fn configmaps_in_the_wrong_shape_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let hex = RELEASE_DIGEST.trim_start_matches("sha256:");
    let cases = [
        (
            format!("kind: ConfigMap\ndata:\n  sha256-{hex}-1: abc\n"),
            "the signatures are under data:, but must be base64 under binaryData:",
        ),
        (
            format!("kind: ConfigMap\nbinaryData:\n  sha256:{hex}-1: YQ==\n"),
            "is not shaped sha256-<64 lower-case hex>-N",
        ),
        (
            format!("kind: ConfigMap\nbinaryData:\n  sha256-{hex}: YQ==\n"),
            "is not shaped sha256-<64 lower-case hex>-N",
        ),
    ];
    for (i, (yaml, says)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("cm{i}.yaml"));
        std::fs::write(&path, yaml).unwrap();
        let run = by_digest(&["--signature-configmap", s(&path)]);
        assert_eq!(run.code, 2, "{run:?}");
        let line = first_line(&run);
        assert!(
            line.starts_with(&format!("relsig: ConfigMap {}: ", path.display())),
            "{run:?}"
        );
        assert!(line.contains(says), "{run:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    }
}

/// A mirror with the four real noo-bundle signatures.
fn noo_mirror() -> Mirror {
    let mirror = Mirror::start();
    for n in 1..=4 {
        mirror.put(&mirror_path(NOO_DIGEST, n), Route::Body(noo_signature(n)));
    }
    mirror
}

fn fetch(mirror: &Mirror, extra: &[&str]) -> Run {
    let mut args = vec![
        "fetch",
        "--digest",
        NOO_DIGEST,
        "--identity-repository",
        "registry.redhat.io/albo/aws-load-balancer-operator-bundle",
        "--signature-store",
        &mirror.url,
    ];
    args.extend_from_slice(extra);
    relsig(&args)
}

#[test]
fn fetch_to_configmap_dash_writes_the_configmap_to_stdout() {
    let mirror = noo_mirror();
    let run = fetch(&mirror, &["--to-configmap", "-"]);
    assert_eq!(run.code, 0, "{run:?}");
    // stdout is only the ConfigMap, as `oc apply -f -` reads it.
    let cm: serde_yaml_ng::Value = serde_yaml_ng::from_str(&run.stdout).unwrap();
    assert_eq!(cm["kind"], "ConfigMap");
    assert_eq!(cm["binaryData"].as_mapping().unwrap().len(), 2, "{run:?}");
    // The report went to stderr.
    assert!(run.stderr.starts_with("verified "), "{run:?}");
    assert!(run.stderr.contains("to ConfigMap sha256-"), "{run:?}");
    // stdout cannot hold the ConfigMap and a JSON report.
    let run = fetch(&mirror, &["--to-configmap", "-", "--output", "json"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.json()["reason"], "usage");
}

#[test]
fn fetch_replaces_nothing_without_force() {
    let mirror = noo_mirror();
    let dir = tempfile::tempdir().unwrap();

    let cm = dir.path().join("sigs.yaml");
    std::fs::write(&cm, "mine").unwrap();
    let run = fetch(&mirror, &["--to-configmap", s(&cm)]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        first_line(&run),
        format!(
            "relsig: --to-configmap {}: the file exists; --force replaces it",
            cm.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&cm).unwrap(), "mine");
    let run = fetch(&mirror, &["--to-configmap", s(&cm), "--force"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(std::fs::read_to_string(&cm).unwrap().contains("binaryData"));

    // Other signatures under --to-dir: kept, unless --force.
    let folder = dir.path().join(NOO_DIGEST.replacen(':', "=", 1));
    std::fs::create_dir_all(&folder).unwrap();
    for n in 1..=3 {
        std::fs::write(folder.join(format!("signature-{n}")), format!("old {n}")).unwrap();
    }
    let run = fetch(&mirror, &["--to-dir", s(dir.path())]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        first_line(&run),
        format!(
            "relsig: {} already holds other signatures; not replacing them (--force replaces them)",
            folder.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("signature-3")).unwrap(),
        "old 3"
    );

    let run = fetch(&mirror, &["--to-dir", s(dir.path()), "--force"]);
    assert_eq!(run.code, 0, "{run:?}");
    let removed = format!("  removed {}", folder.join("signature-3").display());
    assert!(run.stdout.lines().any(|l| l == removed), "{run:?}");
    assert!(!folder.join("signature-3").exists());
    assert_eq!(
        std::fs::read(folder.join("signature-1")).unwrap(),
        noo_signature(3)
    );

    // The same signatures again: nothing to replace, no --force needed.
    let run = fetch(&mirror, &["--to-dir", s(dir.path())]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("unchanged"), "{run:?}");
}

#[test]
fn files_that_are_not_signatures_or_manifests_say_what_they_look_like() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = noo("manifest.json");
    let signature = noo("signature-3");
    let verify = |m: &str, sig: &str| relsig(&["standalone-verify", m, NOO_IDENTITY, "any", sig]);

    // MANIFEST and SIGNATURE swapped.
    let run = verify(&signature, &manifest);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        first_line(&run).contains(&format!(
            "{manifest}: looks like JSON, not an OpenPGP signature"
        )),
        "{run:?}"
    );
    assert!(first_line(&run).contains("MANIFEST DOCKER-REFERENCE KEY-FINGERPRINTS SIGNATURE"));

    // An error page saved as the signature.
    let html = dir.path().join("signature-1");
    std::fs::write(
        &html,
        "<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n",
    )
    .unwrap();
    let run = verify(&manifest, s(&html));
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        first_line(&run).contains(&format!(
            "{}: looks like HTML, not an OpenPGP signature",
            html.display()
        )),
        "{run:?}"
    );
    let run = relsig(&["inspect", s(&html)]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "relsig: {}: looks like HTML, not an OpenPGP signature",
            html.display()
        )
    );

    // An empty or non-JSON manifest.
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").unwrap();
    let run = verify(s(&empty), &signature);
    assert!(
        first_line(&run).contains(&format!(
            "manifest {} is empty, not a manifest",
            empty.display()
        )),
        "{run:?}"
    );
    let run = relsig(&["digest", s(&empty)]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "relsig: manifest {} is empty, not a manifest",
            empty.display()
        )
    );
    let run = relsig(&["digest", &signature]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        first_line(&run).contains("is not JSON, so not a manifest"),
        "{run:?}"
    );
}

#[test]
fn release_versions_in_other_forms_get_a_hint() {
    for (input, hint) in [
        (
            "4.15",
            "relsig: 4.15: a release version has three numbers, X.Y.Z (e.g. 4.15.0)",
        ),
        (
            "v4.15.0",
            "relsig: v4.15.0: release versions are written X.Y.Z, without a v (e.g. 4.15.0)",
        ),
    ] {
        let run = relsig(&["verify", input]);
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(run.stderr.trim_end(), hint);
    }
}

#[test]
fn docker_prefix_and_missing_tag_mean_the_same_in_verify_and_policy_check() {
    // A loopback server answering as a plain-http registry.
    let registry = Mirror::start();
    let manifest = std::fs::read(noo_dir().join("manifest.json")).unwrap();
    let path = format!("/v2/{NOO_REPO}/manifests/latest");
    registry.put(&path, Route::Body(manifest));
    let host = registry.url.trim_start_matches("http://");
    let image = format!("docker://{host}/{NOO_REPO}");
    let latest = format!("{host}/{NOO_REPO}:latest");

    let run = relsig(&[
        "verify",
        &image,
        "--tls-verify=false",
        "--signature-dir",
        &noo(""),
        "--output",
        "json",
    ]);
    // Signed for registry.redhat.io, so not for this name; but checked.
    assert_eq!(run.code, 1, "{run:?}");
    let img = run.image();
    assert_eq!(img["expected_identity"], latest.as_str());
    assert_eq!(img["digest"], NOO_DIGEST);
    assert!(registry.hits(&path) >= 1);

    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
    )
    .unwrap();
    let run = relsig(&[
        "policy",
        "check",
        &image,
        "--policy",
        s(&policy),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["image"], latest.as_str());
}

#[test]
fn a_plain_http_registry_hints_at_tls_verify_false() {
    // The real registry, which answers a TLS handshake with an HTTP 400.
    let registry = Registry::start(None);
    let run = relsig(&[
        "verify",
        &registry.image("albo/bundle:1"),
        "--signature-dir",
        &noo(""),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    let message = run.image()["message"].as_str().unwrap().to_string();
    assert!(message.contains("TLS error"), "{message}");
    assert!(
        message.ends_with(
            "(the server may speak plain http: --tls-verify=false lets it answer over http)"
        ),
        "{message}"
    );
}

#[test]
fn upper_case_digests_are_refused_as_upper_case() {
    let upper = RELEASE_DIGEST
        .to_uppercase()
        .replacen("SHA256", "sha256", 1);
    let run = relsig(&["verify", "--digest", &upper, "--identity", RELEASE_IDENTITY]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        first_line(&run).starts_with("relsig: --digest: invalid digest"),
        "{run:?}"
    );
    assert!(
        first_line(&run).ends_with("digest must be lower case"),
        "{run:?}"
    );
    let run = relsig(&["verify", &format!("quay.io/a/b@{upper}")]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        first_line(&run).ends_with("digest must be lower case"),
        "{run:?}"
    );
}

#[test]
fn a_zero_timeout_is_refused_without_contradiction() {
    let run = relsig(&["verify", "4.15.0", "--timeout", "0"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("the timeout must be more than 0 seconds"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("between 0"), "{run:?}");
}

#[test]
fn errors_start_on_the_first_line_and_never_repeat_a_cause() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.gpg");
    let policy = dir.path().join("policy.json");
    // Two problems: one is shown, the other counted.
    std::fs::write(
        &policy,
        r#"{"default":[{"type":"reject"}],"transports":{"docker":{"quay.io":[{"type":"signedBy","keyType":"GPGKeys"}],"x.io":[{"type":"bogus"}]}}}"#,
    )
    .unwrap();
    let runs = [
        by_digest(&["--keyring", s(&missing)]),
        by_digest(&["--signature-configmap", s(&missing)]),
        relsig(&[
            "verify",
            "--digest",
            "sha256:abc",
            "--identity",
            RELEASE_IDENTITY,
        ]),
        relsig(&["policy", "check", "quay.io/a/b:1", "--policy", s(&policy)]),
        relsig(&["inspect", s(&missing)]),
    ];
    for run in &runs {
        assert_eq!(run.code, 2, "{run:?}");
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert!(
            lines[0].starts_with("relsig: ") && lines[0].len() > 10,
            "{run:?}"
        );
        for (i, line) in lines.iter().enumerate().skip(1) {
            let cause = line.strip_prefix("  because: ").expect("a because: line");
            assert!(!lines[..i].iter().any(|l| l.contains(cause)), "{run:?}");
        }
    }
    assert!(
        runs[3]
            .stderr
            .contains("(and 1 more problem: run `relsig policy lint`)"),
        "{:?}",
        runs[3]
    );
    // Success output starts at once too.
    let out = tempfile::tempdir().unwrap();
    let run = relsig(&["policy", "init", "--out", s(out.path())]);
    assert!(!run.stdout.lines().any(|l| l.is_empty()), "{run:?}");
}

#[test]
fn policy_check_verdict_line_is_short_with_the_details_below() {
    let trust = tempfile::tempdir().unwrap();
    // `--redhat` is the default starting point.
    let run = relsig(&["policy", "init", "--out", s(trust.path())]);
    assert_eq!(run.code, 0, "{run:?}");
    let check = |tag: &str| {
        relsig(&[
            "policy",
            "check",
            &format!("registry.redhat.io/{NOO_REPO}:{tag}"),
            "--policy",
            s(&trust.path().join("policy.json")),
            "--registries-d",
            s(&trust.path().join("registries.d")),
            "--root",
            s(trust.path()),
            "--manifest",
            &noo("manifest.json"),
            "--signature-dir",
            &noo(""),
        ])
    };
    let run = check("0.0.1");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout.lines().next().unwrap(),
        "ACCEPTED: every requirement of transports.docker[\"registry.redhat.io\"] is satisfied"
    );
    assert!(!run.stdout.contains("verdict:"), "{run:?}");

    // No signature names this tag: all four are rejected.
    let run = check("9.9");
    assert_eq!(run.code, 1, "{run:?}");
    let mut lines = run.stdout.lines();
    let verdict = lines.next().unwrap();
    assert_eq!(
        verdict,
        "REJECTED: transports.docker[\"registry.redhat.io\"][0] signedBy: no-accepted-signature"
    );
    assert!(verdict.len() < 200);
    let details: Vec<&str> = lines.collect();
    assert_eq!(
        details
            .iter()
            .filter(|l| l.contains("rejected (identity-mismatch)"))
            .count(),
        4,
        "{run:?}"
    );
    assert!(
        details
            .iter()
            .any(|l| l.trim() == "none of the 4 signatures was accepted"),
        "{run:?}"
    );
}

#[test]
fn a_key_id_names_the_keyring_fingerprint_it_matches() {
    let run = relsig(&[
        "standalone-verify",
        &noo("manifest.json"),
        NOO_IDENTITY,
        "199E2F91FD431D51",
        &noo("signature-3"),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        first_line(&run).ends_with(&format!(
            "(the keyring's key with that ID is {RELEASE_KEY_2})"
        )),
        "{run:?}"
    );
    let run = by_digest(&["--key-fingerprints", "199e2f91fd431d51"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(first_line(&run).contains(RELEASE_KEY_2), "{run:?}");
}

#[test]
fn machineconfig_without_registries_d_installs_the_policy_alone() {
    let trust = tempfile::tempdir().unwrap();
    relsig(&["policy", "init", "--out", s(trust.path())]);
    let policy = trust.path().join("policy.json");
    let args = [
        "policy",
        "machineconfig",
        "--role",
        "worker",
        "--policy",
        s(&policy),
        "--root",
        s(trust.path()),
    ];
    // The hermetic default registries.d is an empty directory.
    let run = relsig(&args);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("path: /etc/containers/policy.json"),
        "{run:?}"
    );
    assert!(!run.stdout.contains("registries.d/"), "{run:?}");
    // RELSIG_REGISTRIES_D stands for --registries-d, as for `policy check`.
    let registries_d = trust.path().join("registries.d");
    let run = relsig_env(&args, &[("RELSIG_REGISTRIES_D", s(&registries_d))]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("/etc/containers/registries.d/registry.redhat.io.yaml"),
        "{run:?}"
    );
}
