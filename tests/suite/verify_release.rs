//! The real OpenShift 4.15.0 release signature verified by digest (no
//! registry), from every kind of source; release versions resolved
//! through a loopback update graph; and `relsig fetch` round trips.

use crate::common::mirror::{Mirror, Route};
use crate::common::*;

fn by_digest<'a>(identity: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "verify",
        "--digest",
        RELEASE_DIGEST,
        "--identity",
        identity,
        "--output",
        "json",
    ];
    v.extend_from_slice(extra);
    v
}

const WRONG_IDENTITY: &str = "quay.io/openshift-release-dev/ocp-release:4.15.1-x86_64";

fn assert_verified(run: &Run, source_suffix: &str) {
    assert_eq!(run.code, 0, "{run:?}");
    let img = run.image();
    assert_eq!(img["verdict"], "verified");
    assert_eq!(img["reason"], "ok");
    assert_eq!(img["digest"], RELEASE_DIGEST);
    assert_eq!(img["accepted"]["key_fingerprint"], RELEASE_KEY_2);
    assert_eq!(img["accepted"]["signed_identity"], RELEASE_IDENTITY);
    let source = img["accepted"]["source"].as_str().unwrap();
    assert!(source.ends_with(source_suffix), "{source}");
}

fn assert_identity_mismatch(run: &Run) {
    assert_eq!(run.code, 1, "{run:?}");
    let img = run.image();
    assert_eq!(img["verdict"], "not-verified");
    assert_eq!(img["reason"], "identity-mismatch");
    assert_eq!(img["rejected"][0]["reason"], "identity-mismatch");
    assert_eq!(img["rejected"][0]["signed_identity"], RELEASE_IDENTITY);
}

fn release_mirror() -> Mirror {
    let mirror = Mirror::start();
    mirror.put(
        &mirror_path(RELEASE_DIGEST, 1),
        Route::Body(release_signature()),
    );
    mirror
}

#[test]
fn release_digest_from_a_loopback_mirror() {
    let mirror = release_mirror();
    let run = relsig(&by_digest(
        RELEASE_IDENTITY,
        &["--signature-store", &mirror.url],
    ));
    assert_verified(&run, &mirror_path(RELEASE_DIGEST, 1));
    let run = relsig(&by_digest(
        WRONG_IDENTITY,
        &["--signature-store", &mirror.url],
    ));
    assert_identity_mismatch(&run);
}

/// A store named by host name: relsig resolves `localhost` itself
/// (`sources::dns`, /etc/hosts as skopeo's Go resolver reads it, not
/// glibc's NSS), and reaches the loopback mirror through it.
#[test]
fn a_mirror_named_by_host_name_is_resolved_and_reached() {
    let mirror = release_mirror();
    let by_name = mirror.url.replace("127.0.0.1", "localhost");
    assert_ne!(by_name, mirror.url);
    let run = relsig(&by_digest(
        RELEASE_IDENTITY,
        &["--signature-store", &by_name],
    ));
    assert_verified(&run, &mirror_path(RELEASE_DIGEST, 1));
    assert!(
        run.image()["accepted"]["source"]
            .as_str()
            .unwrap()
            .starts_with("http://localhost:"),
        "{run:?}"
    );
}

#[test]
fn release_digest_from_signature_dirs() {
    // The flat layout of the fixture folder itself.
    let flat = fixtures().join("openshift/ocp-4.15.0-x86_64");
    let flat = flat.display().to_string();
    let run = relsig(&by_digest(RELEASE_IDENTITY, &["--signature-dir", &flat]));
    assert_verified(&run, "ocp-4.15.0-x86_64/signature-1");
    assert_identity_mismatch(&relsig(&by_digest(
        WRONG_IDENTITY,
        &["--signature-dir", &flat],
    )));

    // The mirror layout, also as a file:// store.
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join(RELEASE_DIGEST.replacen(':', "=", 1));
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("signature-1"), release_signature()).unwrap();
    let root = dir.path().display().to_string();
    let run = relsig(&by_digest(RELEASE_IDENTITY, &["--signature-dir", &root]));
    assert_verified(&run, &mirror_path(RELEASE_DIGEST, 1));
    let file_url = format!("file://{root}");
    let run = relsig(&by_digest(
        RELEASE_IDENTITY,
        &["--signature-store", &file_url],
    ));
    assert_verified(&run, &mirror_path(RELEASE_DIGEST, 1));
}

#[test]
fn release_digest_from_both_configmap_fixtures() {
    for name in [
        "signature-sha256-0da6316466d60a3a.json",
        "mirrored-release-signatures.yaml",
    ] {
        let path = fixtures().join("openshift/configmaps").join(name);
        let path = path.display().to_string();
        let run = relsig(&by_digest(
            RELEASE_IDENTITY,
            &["--signature-configmap", &path],
        ));
        let key = format!("{name}#{}-1", RELEASE_DIGEST.replacen(':', "-", 1));
        assert_verified(&run, &key);
        assert_identity_mismatch(&relsig(&by_digest(
            WRONG_IDENTITY,
            &["--signature-configmap", &path],
        )));
    }
}

fn graph_server() -> Mirror {
    let graph = format!(
        r#"{{"nodes":[{{"version":"4.14.9","payload":"quay.io/openshift-release-dev/ocp-release@sha256:{z}","metadata":{{}}}},{{"version":"4.15.0","payload":"quay.io/openshift-release-dev/ocp-release@{RELEASE_DIGEST}","metadata":{{"io.openshift.upgrades.graph.release.channels":"candidate-4.15,fast-4.15,stable-4.15","url":"https://access.redhat.com/errata/RHSA-2024:0041"}}}}],"edges":[[0,1]],"conditionalEdges":[]}}"#,
        z = "0".repeat(64)
    );
    let server = Mirror::start();
    server.put(
        "/api/upgrades_info/v1/graph",
        Route::Body(graph.into_bytes()),
    );
    server.put(
        &mirror_path(RELEASE_DIGEST, 1),
        Route::Body(release_signature()),
    );
    server
}

#[test]
fn release_version_resolves_through_the_update_graph() {
    let server = graph_server();
    let graph_url = format!("{}/api/upgrades_info/v1/graph", server.url);
    let run = relsig(&[
        "verify",
        "4.15.0",
        "--graph-url",
        &graph_url,
        "--signature-store",
        &server.url,
        "--output",
        "json",
    ]);
    assert_verified(&run, &mirror_path(RELEASE_DIGEST, 1));
    let img = run.image();
    assert_eq!(img["image"], "4.15.0");
    assert_eq!(img["expected_identity"], RELEASE_IDENTITY);
    let requests = server.requests();
    assert!(
        requests
            .contains(&"/api/upgrades_info/v1/graph?channel=stable-4.15&arch=amd64".to_string()),
        "{requests:?}"
    );

    // A digest in the graph that the signature does not cover: 4.14.9's
    // digest has no signature in the store.
    let run = relsig(&[
        "verify",
        "4.14.9",
        "--graph-url",
        &graph_url,
        "--signature-store",
        &server.url,
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.image()["reason"], "no-signatures");
}

#[test]
fn unknown_release_version_is_a_clear_error() {
    let server = graph_server();
    let graph_url = format!("{}/api/upgrades_info/v1/graph", server.url);
    let run = relsig(&[
        "verify",
        "4.15.99",
        "--graph-url",
        &graph_url,
        "--signature-store",
        &server.url,
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    let line = run.stdout.trim();
    assert!(!line.contains('\n'), "{line}");
    assert!(
        line.starts_with("NOT verified 4.15.99: could not check: release 4.15.99 (x86_64) is not in channel stable-4.15"),
        "{line}"
    );
    let run = relsig(&[
        "verify",
        "4.15.99",
        "--graph-url",
        &graph_url,
        "--signature-store",
        &server.url,
        "--output",
        "json",
    ]);
    assert_eq!(run.image()["reason"], "unknown-version");
}

#[test]
fn image_list_checks_every_line() {
    let mirror = release_mirror();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("images.txt");
    std::fs::write(
        &list,
        format!(
            "# digest and identity\n{RELEASE_DIGEST} {RELEASE_IDENTITY}\n\n{RELEASE_DIGEST} {WRONG_IDENTITY}\n"
        ),
    )
    .unwrap();
    let list = list.display().to_string();
    let run = relsig(&[
        "verify",
        "--from-file",
        &list,
        "--signature-store",
        &mirror.url,
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["verified"], false);
    let images = doc["images"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    assert_eq!(images[0]["reason"], "ok");
    assert_eq!(images[1]["reason"], "identity-mismatch");
}

/// A mirror with a tampered copy of the good signature first, then the
/// four real noo signatures.
fn noo_mirror_with_tampered() -> Mirror {
    let mirror = Mirror::start();
    mirror.put(
        &mirror_path(NOO_DIGEST, 1),
        Route::Body(tampered(&noo_signature(3))),
    );
    for n in 1..=4 {
        mirror.put(
            &mirror_path(NOO_DIGEST, n + 1),
            Route::Body(noo_signature(n)),
        );
    }
    mirror
}

fn fetch_args<'a>(store: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "fetch",
        "--digest",
        NOO_DIGEST,
        "--identity-repository",
        "registry.redhat.io/albo/aws-load-balancer-operator-bundle",
        "--signature-store",
        store,
    ];
    v.extend_from_slice(extra);
    v
}

fn verify_noo(source_flag: &str, source: &str) -> Run {
    relsig(&[
        "verify",
        "--digest",
        NOO_DIGEST,
        "--identity",
        NOO_IDENTITY,
        source_flag,
        source,
        "--output",
        "json",
    ])
}

#[test]
fn fetch_to_dir_writes_only_verified_signatures() {
    let mirror = noo_mirror_with_tampered();
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().display().to_string();
    let run = relsig(&fetch_args(&mirror.url, &["--to-dir", &out_dir]));
    assert_eq!(run.code, 0, "{run:?}");

    let folder = out.path().join(NOO_DIGEST.replacen(':', "=", 1));
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["signature-1", "signature-2"]);
    // registry.redhat.io names: the real signature-3 and signature-4.
    assert_eq!(
        std::fs::read(folder.join("signature-1")).unwrap(),
        noo_signature(3)
    );
    assert_eq!(
        std::fs::read(folder.join("signature-2")).unwrap(),
        noo_signature(4)
    );

    let run = verify_noo("--signature-dir", &out_dir);
    assert_eq!(run.code, 0, "{run:?}");
    // The other written signature is good but for the `:0.0.1-20` tag.
    let img = run.image();
    let rejected = img["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["reason"], "identity-mismatch");
}

#[test]
fn fetch_to_configmap_round_trips_in_json_and_yaml() {
    use base64::Engine as _;
    let mirror = noo_mirror_with_tampered();
    let out = tempfile::tempdir().unwrap();
    let tampered_b64 =
        base64::engine::general_purpose::STANDARD.encode(tampered(&noo_signature(3)));
    for (file, extra) in [
        ("sigs.json", None),
        ("sigs.yaml", None),
        ("sigs.txt", Some("yaml")),
    ] {
        let path = out.path().join(file).display().to_string();
        let mut args = fetch_args(&mirror.url, &["--to-configmap", &path]);
        if let Some(f) = extra {
            args.extend(["--format", f]);
        }
        let run = relsig(&args);
        assert_eq!(run.code, 0, "{run:?}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(&tampered_b64),
            "tampered signature written to {file}"
        );
        let value: serde_json::Value = if file.ends_with(".json") {
            serde_json::from_str(&text).unwrap()
        } else {
            assert!(text.starts_with("apiVersion: v1\n"), "{text}");
            serde_yaml_ng::from_str(&text).unwrap()
        };
        assert_eq!(value["kind"], "ConfigMap");
        assert_eq!(value["metadata"]["namespace"], "openshift-config-managed");
        assert_eq!(
            value["metadata"]["labels"]["release.openshift.io/verification-signatures"],
            ""
        );
        let hex = NOO_DIGEST.trim_start_matches("sha256:");
        assert_eq!(value["metadata"]["name"], format!("sha256-{hex}"));
        let data = value["binaryData"].as_object().unwrap();
        let mut keys: Vec<&String> = data.keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            [&format!("sha256-{hex}-1"), &format!("sha256-{hex}-2")]
        );

        let run = verify_noo("--signature-configmap", &path);
        assert_eq!(run.code, 0, "{run:?}");
    }
}

#[test]
fn fetch_with_nothing_verified_writes_nothing() {
    let mirror = Mirror::start();
    mirror.put(
        &mirror_path(NOO_DIGEST, 1),
        Route::Body(tampered(&noo_signature(3))),
    );
    let out = tempfile::tempdir().unwrap();
    let cm = out.path().join("cm.yaml");
    let cm_arg = cm.display().to_string();
    let run = relsig(&fetch_args(&mirror.url, &["--to-configmap", &cm_arg]));
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!cm.exists());
    let dir_arg = out.path().join("dir").display().to_string();
    let run = relsig(&fetch_args(&mirror.url, &["--to-dir", &dir_arg]));
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!out.path().join("dir").exists());
}
