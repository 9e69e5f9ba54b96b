//! Hostile files, one test per class: key files that never end (devices),
//! FIFOs given where a file is expected, YAML and JSON nested past the
//! limit, schema-1 manifests with thousands of JWS signatures, `fetch`
//! failing halfway (an image it cannot check, a full disk) and registries.d
//! files that are not UTF-8. Each run is bounded by the common helpers, so
//! a regression (a hang, a read to the end of `/dev/zero`) fails the test
//! instead of stalling CI; no timing is asserted.

use crate::common::mirror::{Mirror, Route};
use crate::common::s;
use crate::common::*;
use crate::signing::{self, REFERENCE};
use base64::Engine as _;
use relsig::image::digest::Digest;
use relsig::sources::configmap::{Format, SignatureConfigMap};
use sequoia_openpgp::cert::CipherSuite;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Both output streams: diagnostics go to stdout for `lint`, errors to
/// stderr, the report to stdout for `--output json`.
fn said(run: &Run) -> String {
    format!("{}{}", run.stdout, run.stderr)
}

fn mkfifo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let made = Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
    path
}

/// A policy whose default requirement is signed by the key at `key_path`.
fn signed_by_policy(dir: &Path, key_path: &str) -> PathBuf {
    let path = dir.join("policy.json");
    std::fs::write(
        &path,
        format!(
            r#"{{"default":[{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{key_path}"}}]}}"#
        ),
    )
    .unwrap();
    path
}

/// `verify` of the release by digest, with `extra` arguments.
fn verify_release<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "verify",
        "--digest",
        RELEASE_DIGEST,
        "--identity",
        RELEASE_IDENTITY,
        "--retries",
        "0",
    ];
    args.extend_from_slice(extra);
    args
}

// 4. Key files are read with a bound, and devices are not files.

#[test]
fn key_files_that_never_end_are_refused_by_kind() {
    let run = relsig(&verify_release(&[
        "--keyring",
        "/dev/zero",
        "--signature-store",
        "http://127.0.0.1:1",
    ]));
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("key file /dev/zero is a character device, not a regular file"),
        "{run:?}"
    );

    let noo = noo_dir();
    let run = relsig(&[
        "standalone-verify",
        s(&noo.join("manifest.json")),
        NOO_IDENTITY,
        "any",
        s(&noo.join("signature-3")),
        "--public-key-file",
        "/dev/urandom",
        "--output",
        "json",
    ]);
    run.assert("io-error", 2);
    assert!(
        run.json()["message"]
            .as_str()
            .unwrap()
            .contains("key file /dev/urandom is a character device"),
        "{run:?}"
    );

    // A regular key file is bounded by its size, before it is read.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.gpg");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(relsig::io::MAX_KEY_FILE + 1)
        .unwrap();
    let run = relsig(&verify_release(&[
        "--keyring",
        s(&big),
        "--signature-store",
        "http://127.0.0.1:1",
    ]));
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "key file {} is larger than {} bytes",
            big.display(),
            relsig::io::MAX_KEY_FILE
        )),
        "{run:?}"
    );
}

#[test]
fn a_policy_key_path_on_a_device_is_an_error_in_lint_check_and_machineconfig() {
    let dir = tempfile::tempdir().unwrap();
    let policy = signed_by_policy(dir.path(), "/dev/zero");
    let registries_d = dir.path().join("registries.d");
    std::fs::create_dir(&registries_d).unwrap();

    let run = relsig(&["policy", "lint", "--policy", s(&policy)]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout.contains(
            "default[0].keyPath: key file /dev/zero is a character device, not a regular file"
        ),
        "{run:?}"
    );

    let noo = noo_dir();
    let run = relsig(&[
        "policy",
        "check",
        &format!("registry.redhat.io/{NOO_REPO}:0.0.1"),
        "--policy",
        s(&policy),
        "--manifest",
        s(&noo.join("manifest.json")),
        "--signature-dir",
        s(&noo),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    let decision = run.json();
    assert_eq!(decision["verdict"], "cannot-decide", "{run:?}");
    assert!(
        decision["requirements"][0]["message"]
            .as_str()
            .unwrap()
            .contains("key file /dev/zero is a character device"),
        "{run:?}"
    );

    let run = relsig(&[
        "policy",
        "machineconfig",
        "--role",
        "worker",
        "--policy",
        s(&policy),
        "--registries-d",
        s(&registries_d),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.is_empty(), "nothing is rendered: {run:?}");
    assert!(run.stderr.contains("/dev/zero is a character device"));
}

#[test]
fn the_null_device_still_reads_as_an_empty_file() {
    let noo = noo_dir();
    let run = relsig(&[
        "standalone-verify",
        s(&noo.join("manifest.json")),
        NOO_IDENTITY,
        "any",
        "/dev/null",
        "--output",
        "json",
    ]);
    // As skopeo: "No data", not an I/O error.
    run.assert("not-openpgp", 1);
}

// 5. FIFOs are refused, naming them, except where a stream is documented.

#[test]
fn fifos_are_refused_wherever_a_file_is_expected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fifo = mkfifo(d, "fifo");
    let f = s(&fifo);
    let noo = noo_dir();
    let manifest = noo.join("manifest.json");
    let sig = noo.join("signature-3");
    let fifo_dir = d.join("sigs");
    std::fs::create_dir(&fifo_dir).unwrap();
    mkfifo(&fifo_dir, "signature-1");
    let fifo_registries = d.join("registries.d");
    std::fs::create_dir(&fifo_registries).unwrap();
    mkfifo(&fifo_registries, "a.yaml");
    let key_path_policy = signed_by_policy(d, f);
    let release_key =
        fixtures().join("redhat-keys/redhat-release-key-2_FD431D51_sha256-selfsig.gpg");
    let good_policy_dir = d.join("good");
    std::fs::create_dir(&good_policy_dir).unwrap();
    let good_policy = signed_by_policy(&good_policy_dir, s(&release_key));
    let accept_all = d.join("accept.json");
    std::fs::write(
        &accept_all,
        r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
    )
    .unwrap();
    let image = format!("registry.redhat.io/{NOO_REPO}:0.0.1");

    let cases: Vec<(&str, Vec<&str>, String)> = vec![
        (
            "signature",
            vec!["standalone-verify", s(&manifest), NOO_IDENTITY, "any", f],
            format!("signature {f}"),
        ),
        (
            "manifest",
            vec!["standalone-verify", f, NOO_IDENTITY, "any", s(&sig)],
            format!("manifest {f}"),
        ),
        (
            "public key file",
            vec![
                "standalone-verify",
                s(&manifest),
                NOO_IDENTITY,
                "any",
                s(&sig),
                "--public-key-file",
                f,
            ],
            format!("key file {f}"),
        ),
        (
            "manifest for digest",
            vec!["digest", f],
            format!("manifest {f}"),
        ),
        (
            "signature to inspect",
            vec!["inspect", f],
            format!("signature {f}"),
        ),
        (
            "keyring",
            verify_release(&["--keyring", f, "--signature-store", "http://127.0.0.1:1"]),
            format!("key file {f}"),
        ),
        (
            "ConfigMap",
            verify_release(&["--signature-configmap", f]),
            format!("ConfigMap {f}"),
        ),
        (
            "signature in a directory",
            verify_release(&["--signature-dir", s(&fifo_dir)]),
            "signature-1 is a FIFO".to_string(),
        ),
        (
            "auth file",
            verify_release(&["--authfile", f, "--signature-store", "http://127.0.0.1:1"]),
            format!("auth file {f}"),
        ),
        (
            "CA file",
            verify_release(&["--ca-file", f, "--signature-store", "http://127.0.0.1:1"]),
            format!("CA file {f}"),
        ),
        (
            "policy",
            vec!["policy", "lint", "--policy", f],
            format!("policy {f}"),
        ),
        (
            "registries.d file",
            vec![
                "policy",
                "lint",
                "--policy",
                s(&accept_all),
                "--registries-d",
                s(&fifo_registries),
            ],
            "a.yaml is a FIFO".to_string(),
        ),
        (
            "keyPath",
            vec!["policy", "lint", "--policy", s(&key_path_policy)],
            format!("key file {f}"),
        ),
        (
            "manifest for policy check",
            vec![
                "policy",
                "check",
                &image,
                "--policy",
                s(&good_policy),
                "--manifest",
                f,
                "--signature-dir",
                s(&noo),
            ],
            format!("manifest {f}"),
        ),
    ];
    for (what, args, names) in cases {
        let run = relsig(&args);
        assert_eq!(run.code, 2, "{what}: {run:?}");
        let out = said(&run);
        assert!(
            out.contains(&names) && out.contains("is a FIFO, not a regular file"),
            "{what}: expected \"{names} … is a FIFO, not a regular file\" in {run:?}"
        );
    }
}

#[test]
fn an_image_list_may_be_a_pipe_as_documented() {
    let home = tempfile::tempdir().unwrap();
    let base = relsig_command(home.path());
    let mut cmd = Command::new("bash");
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let flat = fixtures().join("openshift/ocp-4.15.0-x86_64");
    cmd.arg("-c")
        .arg(r#"exec "$0" verify --from-file <(printf '%s %s\n' "$1" "$2") --signature-dir "$3" --output json"#)
        .arg(env!("CARGO_BIN_EXE_relsig"))
        .arg(RELEASE_DIGEST)
        .arg(RELEASE_IDENTITY)
        .arg(&flat)
        .stdin(std::process::Stdio::null());
    let out = run_bounded(&mut cmd, RUN_LIMIT).unwrap_or_else(|e| panic!("{e}"));
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.image()["verdict"], "verified", "{run:?}");
}

// 6. Deep YAML and JSON are refused before parsing.

#[test]
fn deep_documents_are_refused_before_any_parser_sees_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let accept_all = d.join("accept.json");
    std::fs::write(
        &accept_all,
        r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
    )
    .unwrap();
    // 200 KB of `[`: a minute of libyaml before.
    let registries_d = d.join("registries.d");
    std::fs::create_dir(&registries_d).unwrap();
    let deep_yaml = registries_d.join("deep.yaml");
    std::fs::write(&deep_yaml, format!("docker: {}\n", "[".repeat(200_000))).unwrap();
    let run = relsig(&[
        "policy",
        "lint",
        "--policy",
        s(&accept_all),
        "--registries-d",
        s(&registries_d),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "{}:1: not valid YAML: nested deeper than 10000 levels (at line 1, column 10008)",
            deep_yaml.display()
        )),
        "{run:?}"
    );
    let run = relsig(&[
        "policy",
        "check",
        "quay.io/a/b:1",
        "--policy",
        s(&accept_all),
        "--registries-d",
        s(&registries_d),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("nested deeper than 10000 levels"),
        "{run:?}"
    );

    // A ConfigMap 100,000 levels deep, in YAML and in JSON.
    for (name, text) in [
        (
            "deep.yaml",
            format!(
                "kind: ConfigMap\nbinaryData:\n  x: {}\n",
                "[".repeat(100_000)
            ),
        ),
        (
            "deep.json",
            format!(
                r#"{{"kind": "ConfigMap", "binaryData": {}"#,
                "[".repeat(100_000)
            ),
        ),
    ] {
        let cm = d.join(name);
        std::fs::write(&cm, text).unwrap();
        let run = relsig(&verify_release(&["--signature-configmap", s(&cm)]));
        assert_eq!(run.code, 2, "{name}: {run:?}");
        // YAML is checked for depth before its parser sees it; JSON is
        // parsed as it is read (never held whole), and serde_json refuses
        // a document at the first member of the wrong shape or past its
        // own depth limit, in time linear in what it read.
        let expected = if name.ends_with(".yaml") {
            format!(
                "ConfigMap {}: nested deeper than 10000 levels",
                cm.display()
            )
        } else {
            format!("ConfigMap {}: not valid JSON", cm.display())
        };
        assert!(said(&run).contains(&expected), "{name}: {run:?}");
    }

    // policy.json and the auth file are JSON: the same limit.
    let deep_policy = d.join("deep-policy.json");
    std::fs::write(
        &deep_policy,
        format!(r#"{{"default": {}"#, "[".repeat(20_000)),
    )
    .unwrap();
    let run = relsig(&["policy", "lint", "--policy", s(&deep_policy)]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout
            .contains("not valid JSON: nested deeper than 10000 levels"),
        "{run:?}"
    );
    let deep_auth = d.join("auth.json");
    std::fs::write(
        &deep_auth,
        format!(r#"{{"auths": {}"#, "{\"a\":".repeat(20_000)),
    )
    .unwrap();
    let run = relsig(&verify_release(&[
        "--authfile",
        s(&deep_auth),
        "--signature-store",
        "http://127.0.0.1:1",
    ]));
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("nested deeper than 10000 levels"),
        "{run:?}"
    );
}

// 7. Schema-1 manifests: a bounded number of JWS signatures, each digest
// computed once per image.

/// A signed ("pretty JWS") schema-1 manifest with `blocks` signatures
/// that all describe the same payload, and its digest.
fn schema1_manifest(blocks: usize) -> (Vec<u8>, Option<Digest>) {
    let head = "{\n   \"schemaVersion\": 1,\n   \"name\": \"relsig-test/app\",\n   \"tag\": \"1.0\",\n   \"architecture\": \"amd64\",\n   \"fsLayers\": [],\n   \"history\": []";
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let protected = b64(format!(
        r#"{{"formatLength":{},"formatTail":"{}","time":"2024-01-01T00:00:00Z"}}"#,
        head.len(),
        b64(b"\n}")
    )
    .as_bytes());
    let block = format!(
        r#"{{"header":{{"alg":"ES256"}},"signature":"{}","protected":"{protected}"}}"#,
        b64(&[7u8; 64])
    );
    let manifest = format!(
        "{head},\n   \"signatures\": [{}]\n}}",
        vec![block; blocks].join(",")
    );
    let payload = format!("{head}\n}}");
    let digest = (blocks <= relsig::io::MAX_JWS_SIGNATURES)
        .then(|| relsig::image::digest::Algorithm::Sha256.hash(payload.as_bytes()));
    (manifest.into_bytes(), digest)
}

#[test]
fn schema1_manifests_with_too_many_jws_signatures_are_invalid() {
    let env = signing::Env::new();
    // 4 MiB of JWS signatures: 22-40 s per digest before, each time a
    // signature passed its cryptographic check.
    let (manifest, _) = schema1_manifest(16_000);
    assert!(manifest.len() > 3 * 1024 * 1024);
    assert!(manifest.len() as u64 <= relsig::io::MAX_MANIFEST_SIZE);
    let path = env.write("schema1.json", &manifest);
    let run = relsig(&["digest", s(&path)]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("16000 JWS signatures, more than the 64 allowed"),
        "{run:?}"
    );

    // A signature that passes every check before the digest: the manifest
    // is what fails, with the reason skopeo gives.
    let cert = signing::signing_cert(CipherSuite::Cv25519);
    let key = env.key_file("key.gpg", &[&cert]);
    let sig = signing::sign(
        &signing::payload(&format!("sha256:{}", "a".repeat(64)), REFERENCE),
        vec![signing::primary_pair(&cert)],
        &signing::Msg::default(),
    );
    let sig_path = env.write("signature", &sig);
    let run = relsig(&[
        "standalone-verify",
        s(&path),
        REFERENCE,
        "any",
        s(&sig_path),
        "--public-key-file",
        s(&key),
        "--output",
        "json",
    ]);
    run.assert("invalid-manifest", 1);
    assert!(
        run.json()["message"]
            .as_str()
            .unwrap()
            .contains("more than the 64 allowed"),
        "{run:?}"
    );
}

#[test]
fn every_signature_of_a_schema1_image_is_checked_against_one_digest() {
    let env = signing::Env::new();
    let (manifest, digest) = schema1_manifest(relsig::io::MAX_JWS_SIGNATURES);
    let digest = digest.unwrap().to_string();
    let path = env.write("schema1.json", &manifest);
    let run = relsig(&["digest", s(&path)]);
    assert_eq!(
        (run.code, run.stdout.trim()),
        (0, digest.as_str()),
        "{run:?}"
    );

    // As many signatures as one source may give, all good: each is
    // compared with the same, once computed, digest.
    let cert = signing::signing_cert(CipherSuite::Cv25519);
    let key = env.key_file("key.gpg", &[&cert]);
    let sigs = env.dir.path().join("sigs");
    std::fs::create_dir(&sigs).unwrap();
    for n in 1..=relsig::io::MAX_SIGNATURES {
        let sig = signing::sign(
            &signing::payload(&digest, REFERENCE),
            vec![signing::primary_pair(&cert)],
            &signing::Msg::default(),
        );
        std::fs::write(sigs.join(format!("signature-{n}")), sig).unwrap();
    }
    let policy = signed_by_policy(env.dir.path(), s(&key));
    let run = relsig(&[
        "policy",
        "check",
        REFERENCE,
        "--policy",
        s(&policy),
        "--manifest",
        s(&path),
        "--signature-dir",
        s(&sigs),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let decision = run.json();
    assert_eq!(decision["verdict"], "accepted");
    assert_eq!(decision["manifest_digest"], digest.as_str());
    let checked = decision["requirements"][0]["signatures"]
        .as_array()
        .unwrap();
    assert_eq!(checked.len(), relsig::io::MAX_SIGNATURES);
    assert!(checked.iter().all(|s| s["verified"] == true), "{run:?}");
}

// 8. `fetch` never replaces a ConfigMap with less because of a failure.

/// The noo bundle's good signature under its digest, and a 500 for the
/// release's.
fn half_failing_mirror() -> Mirror {
    let mirror = Mirror::start();
    mirror.put(&mirror_path(NOO_DIGEST, 1), Route::Body(noo_signature(3)));
    mirror.put(&mirror_path(RELEASE_DIGEST, 1), Route::Status(500));
    mirror
}

/// `fetch` of the noo bundle (verifies) and the release (cannot be
/// checked: its store answers 500) into `configmap`.
fn fetch_both(mirror: &Mirror, dir: &Path, configmap: &Path) -> Run {
    let list = dir.join("images.txt");
    std::fs::write(
        &list,
        format!("{NOO_DIGEST} {NOO_IDENTITY}\n{RELEASE_DIGEST} {RELEASE_IDENTITY}\n"),
    )
    .unwrap();
    relsig(&[
        "fetch",
        "--from-file",
        s(&list),
        "--signature-store",
        &mirror.url,
        "--retries",
        "0",
        "--to-configmap",
        s(configmap),
        // Replacing an existing ConfigMap needs --force; even then a
        // failure must not cost what the file held.
        "--force",
    ])
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn fetch_keeps_the_signatures_of_images_it_could_not_check() {
    let mirror = half_failing_mirror();
    let dir = tempfile::tempdir().unwrap();
    let cm = dir.path().join("signatures.yaml");
    // An earlier run mirrored the release.
    let release: Digest = RELEASE_DIGEST.parse().unwrap();
    let noo: Digest = NOO_DIGEST.parse().unwrap();
    let mut earlier = SignatureConfigMap::new("earlier");
    earlier.add(&release, release_signature());
    earlier.write(&cm, Format::Yaml).unwrap();

    let run = fetch_both(&mirror, dir.path(), &cm);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "kept 1 signature(s) from {} for digests not verified this run (1 image(s) not verified)",
            cm.display()
        )),
        "{run:?}"
    );
    let now = SignatureConfigMap::read(&cm).unwrap();
    let sigs = |d| -> Vec<Vec<u8>> {
        now.signatures(d)
            .into_iter()
            .map(|(_, b)| b.to_vec())
            .collect()
    };
    assert_eq!(sigs(&release), [release_signature()]);
    assert_eq!(sigs(&noo), [noo_signature(3)]);
    assert_eq!(now.name, "mirrored-release-signatures");
    assert_eq!(names_in(dir.path()), ["images.txt", "signatures.yaml"]);

    // The kept signature still verifies from the written ConfigMap.
    let run = relsig(&verify_release(&["--signature-configmap", s(&cm)]));
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn fetch_leaves_a_configmap_it_cannot_merge_as_it_was() {
    let mirror = half_failing_mirror();
    let dir = tempfile::tempdir().unwrap();
    let cm = dir.path().join("signatures.json");
    std::fs::write(&cm, "not a ConfigMap someone wrote by hand\n").unwrap();
    let run = fetch_both(&mirror, dir.path(), &cm);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "{} left as it was: 1 image(s) not verified",
            cm.display()
        )),
        "{run:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&cm).unwrap(),
        "not a ConfigMap someone wrote by hand\n"
    );
    assert_eq!(names_in(dir.path()), ["images.txt", "signatures.json"]);
}

#[test]
fn fetch_on_a_full_disk_leaves_the_old_file_and_no_temporary_one() {
    let mirror = Mirror::start();
    for n in [3, 4] {
        mirror.put(
            &mirror_path(NOO_DIGEST, n - 2),
            Route::Body(noo_signature(n)),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let cm = dir.path().join("signatures.yaml");
    std::fs::write(&cm, "old\n").unwrap();

    // A file size limit makes the write fail as a full disk does (EFBIG
    // instead of ENOSPC, with SIGXFSZ ignored), past 1 KiB.
    let home = tempfile::tempdir().unwrap();
    let base = relsig_command(home.path());
    let mut cmd = Command::new("bash");
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.arg("-c")
        .arg(r#"trap '' XFSZ; ulimit -f 1; exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_relsig"))
        .args([
            "fetch",
            "--digest",
            NOO_DIGEST,
            "--identity-repository",
            &format!("registry.redhat.io/{NOO_REPO}"),
            "--signature-store",
            &mirror.url,
            "--to-configmap",
            s(&cm),
            "--force",
        ])
        .stdin(std::process::Stdio::null());
    let out = run_bounded(&mut cmd, RUN_LIMIT).unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot write ConfigMap {}", cm.display())),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&cm).unwrap(), "old\n");
    assert_eq!(names_in(dir.path()), ["signatures.yaml"]);
}

// 9. registries.d files must be UTF-8.

#[test]
fn a_registries_d_file_that_is_not_utf8_is_an_error_with_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let accept_all = dir.path().join("accept.json");
    std::fs::write(
        &accept_all,
        r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
    )
    .unwrap();
    let registries_d = dir.path().join("registries.d");
    std::fs::create_dir(&registries_d).unwrap();
    let file = registries_d.join("bad.yaml");
    let mut bytes = b"docker:\n  quay.io:\n    lookaside: https://x/".to_vec();
    let offset = bytes.len();
    bytes.extend_from_slice(b"\xff\xfe/sigs\n");
    std::fs::write(&file, &bytes).unwrap();

    let run = relsig(&[
        "policy",
        "lint",
        "--policy",
        s(&accept_all),
        "--registries-d",
        s(&registries_d),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "{}:3: not UTF-8 text: invalid byte at offset {offset}",
            file.display()
        )),
        "{run:?}"
    );
    let run = relsig(&[
        "policy",
        "check",
        "quay.io/a/b:1",
        "--policy",
        s(&accept_all),
        "--registries-d",
        s(&registries_d),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("invalid byte at offset {offset}")),
        "{run:?}"
    );
}
