//! `relsig policy machineconfig` yields a MachineConfig that works on the
//! nodes: every key file the policy names that RHCOS does not ship is
//! installed; RHCOS's own key path is checked against relsig's built-in
//! copy when there is no copy here (and said so); any pool name; `-o FILE`
//! written only on success; Ignition 2.2.0 for older clusters.

use crate::common::policy_init;
use crate::common::s;
use crate::common::{Run, fixtures, noo_dir, relsig};
use base64::Engine as _;
use serde_yaml_ng::Value;
use std::path::Path;

const RH_KEY: &str = "/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release";
const MY_KEY: &str = "/etc/pki/containers/mykey.gpg";

fn render(d: &Path, policy: &Path, extra: &[&str]) -> Run {
    let rd = d.join("registries.d");
    let mut args = vec![
        "policy",
        "machineconfig",
        "--role",
        "worker",
        "--policy",
        s(policy),
        "--registries-d",
        s(&rd),
    ];
    args.extend_from_slice(extra);
    relsig(&args)
}

/// (path, decoded contents) of every file of a rendered MachineConfig.
fn files(mc: &Value) -> Vec<(String, Vec<u8>)> {
    mc["spec"]["config"]["storage"]["files"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|f| {
            let source = f["contents"]["source"].as_str().unwrap();
            let b64 = source.split_once("base64,").unwrap().1;
            (
                f["path"].as_str().unwrap().to_string(),
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap(),
            )
        })
        .collect()
}

fn paths(mc: &Value) -> Vec<String> {
    files(mc).into_iter().map(|(p, _)| p).collect()
}

#[test]
fn red_hats_policy_renders_without_root_checked_against_the_built_in_copy() {
    let dir = policy_init();
    let d = dir.path();
    // Nothing under the root: the note says the built-in copy was used.
    let empty = tempfile::tempdir().unwrap();
    let run = render(d, &d.join("policy.json"), &["--root", s(empty.path())]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "note: {}: {RH_KEY} is not under the root",
            d.join("policy.json").display()
        )),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("checked against relsig's built-in copy"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains(&format!("{RH_KEY}: not installed: RHCOS ships it")),
        "{run:?}"
    );
    let mc: Value = serde_yaml_ng::from_str(&run.stdout).unwrap();
    assert_eq!(
        paths(&mc),
        [
            "/etc/containers/policy.json",
            "/etc/containers/registries.d/registry.access.redhat.com.yaml",
            "/etc/containers/registries.d/registry.redhat.io.yaml"
        ]
    );

    // No --root at all, as on a laptop: it renders too (the note depends
    // on whether this machine has the file).
    let run = render(d, &d.join("policy.json"), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    if !Path::new(RH_KEY).exists() {
        assert!(
            run.stderr
                .contains("checked against relsig's built-in copy"),
            "{run:?}"
        );
    }

    // policy lint says the same, as a note that is not a warning.
    let run = relsig(&[
        "policy",
        "lint",
        "--policy",
        s(&d.join("policy.json")),
        "--root",
        s(empty.path()),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("note: "), "{run:?}");
    // The insecure default is the one warning; the note is not counted.
    assert!(
        run.stdout.contains("OK: 0 errors, 1 warning in the policy"),
        "{run:?}"
    );
}

#[test]
fn a_custom_key_path_is_installed_on_the_nodes() {
    let dir = policy_init();
    let d = dir.path();
    let key =
        std::fs::read(fixtures().join("redhat-keys/redhat-beta-key-2_F21541EB_sha256-selfsig.gpg"))
            .unwrap();
    let at = d.join(&MY_KEY[1..]);
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::fs::write(&at, &key).unwrap();
    let policy = d.join("custom.json");
    std::fs::write(
        &policy,
        format!(
            r#"{{"default":[{{"type":"reject"}}],"transports":{{"docker":{{
                "quay.io/me":[{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{MY_KEY}"}}],
                "quay.io/you":[{{"type":"signedBy","keyType":"GPGKeys","keyPaths":["{MY_KEY}","{RH_KEY}"]}}],
                "registry.redhat.io":[{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{RH_KEY}"}}]}}}}}}"#
        ),
    )
    .unwrap();
    let run = render(d, &policy, &["--root", s(d)]);
    assert_eq!(run.code, 0, "{run:?}");
    let mc: Value = serde_yaml_ng::from_str(&run.stdout).unwrap();
    let files = files(&mc);
    // Once, after policy.json and registries.d, byte for byte; RHCOS's
    // key is not installed.
    assert_eq!(files.len(), 4, "{:?}", paths(&mc));
    assert_eq!(files[3].0, MY_KEY);
    assert_eq!(files[3].1, key);
    assert!(
        run.stderr
            .contains(&format!("{MY_KEY}: installed from {}", at.display())),
        "{run:?}"
    );

    // Butane: binary keys as data URLs, text inline.
    let run = render(d, &policy, &["--root", s(d), "--format", "butane"]);
    assert_eq!(run.code, 0, "{run:?}");
    let bu: Value = serde_yaml_ng::from_str(&run.stdout).unwrap();
    let last = &bu["storage"]["files"][3];
    assert_eq!(last["path"], MY_KEY);
    assert!(
        last["contents"]["source"]
            .as_str()
            .unwrap()
            .starts_with("data:"),
        "{last:?}"
    );

    // The key file is missing: lint's error, nothing rendered.
    std::fs::remove_file(&at).unwrap();
    let run = render(d, &policy, &["--root", s(d)]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(run.stderr.contains("cannot read key file"), "{run:?}");

    // A relative key path cannot be installed (lint finds this one: it
    // is relative to the working directory, the crate's in tests).
    let rel = "fixtures/redhat-keys/redhat-beta-key-2_F21541EB_sha256-selfsig.gpg";
    let relative = d.join("relative.json");
    std::fs::write(
        &relative,
        format!(r#"{{"default":[{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{rel}"}}]}}"#),
    )
    .unwrap();
    let run = render(d, &relative, &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("key path {rel:?} is relative")),
        "{run:?}"
    );
}

#[test]
fn a_different_copy_of_rhcos_key_file_is_flagged() {
    let dir = policy_init();
    let d = dir.path();
    // Under the root, RHCOS's path holds another key than RHCOS ships.
    std::fs::copy(
        fixtures().join("redhat-keys/redhat-beta-key-2_F21541EB_sha256-selfsig.gpg"),
        d.join(&RH_KEY[1..]),
    )
    .unwrap();
    let run = render(d, &d.join("policy.json"), &["--root", s(d)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("warning: ") && run.stderr.contains("the nodes keep their own copy"),
        "{run:?}"
    );
    let mc: Value = serde_yaml_ng::from_str(&run.stdout).unwrap();
    assert!(!paths(&mc).contains(&RH_KEY.to_string()));
}

#[test]
fn any_pool_out_file_only_on_success_and_ignition_2_2() {
    let dir = policy_init();
    let d = dir.path();
    let out = d.join("51-infra.yaml");
    let run = relsig(&[
        "policy",
        "machineconfig",
        "--role",
        "infra",
        "--policy",
        s(&d.join("policy.json")),
        "--registries-d",
        s(&d.join("registries.d")),
        "--root",
        s(d),
        "-o",
        s(&out),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.starts_with(&format!("wrote {}", out.display())),
        "{run:?}"
    );
    let mc: Value = serde_yaml_ng::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(mc["metadata"]["name"], "51-infra-rh-registry-trust");
    assert_eq!(
        mc["metadata"]["labels"]["machineconfiguration.openshift.io/role"],
        "infra"
    );

    // A failed rendering leaves the file as it was (and creates none).
    let before = std::fs::read(&out).unwrap();
    let broken = d.join("broken.json");
    std::fs::write(&broken, r#"{"default":[]}"#).unwrap();
    let new = d.join("new.yaml");
    for target in [&out, &new] {
        let run = render(d, &broken, &["-o", s(target)]);
        assert_eq!(run.code, 2, "{run:?}");
    }
    assert_eq!(std::fs::read(&out).unwrap(), before);
    assert!(!new.exists());

    // A pool name that cannot be a label value.
    let run = relsig(&[
        "policy",
        "machineconfig",
        "--role",
        "Infra_Nodes",
        "--policy",
        s(&d.join("policy.json")),
        "--registries-d",
        s(&d.join("registries.d")),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("invalid pool \"Infra_Nodes\""),
        "{run:?}"
    );

    // Ignition 2.2.0: Red Hat's older procedure's shape.
    let run = render(
        d,
        &d.join("policy.json"),
        &["--root", s(d), "--ignition-version", "2.2.0"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let mc: Value = serde_yaml_ng::from_str(&run.stdout).unwrap();
    assert_eq!(mc["spec"]["config"]["ignition"]["version"], "2.2.0");
    for f in mc["spec"]["config"]["storage"]["files"]
        .as_sequence()
        .unwrap()
    {
        assert_eq!(f["filesystem"], "root");
        assert_eq!(f["mode"], 420);
        assert_eq!(
            f["contents"]["verification"],
            Value::Mapping(Default::default())
        );
    }
    assert_eq!(
        files(&mc)[0].1,
        std::fs::read(d.join("policy.json")).unwrap()
    );
    let run = render(
        d,
        &d.join("policy.json"),
        &["--format", "butane", "--ignition-version", "2.2.0"],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("--ignition-version applies to"),
        "{run:?}"
    );
}

/// `policy check` on a laptop uses the same built-in copy for RHCOS's
/// key path, so Red Hat's policy can be tried before a rollout.
#[test]
fn check_uses_the_built_in_copy_for_rhcos_key_path() {
    let dir = policy_init();
    let d = dir.path();
    let empty = tempfile::tempdir().unwrap();
    let run = relsig(&[
        "policy",
        "check",
        "registry.access.redhat.com/albo/aws-load-balancer-operator-bundle:0.0.1-20",
        "--policy",
        s(&d.join("policy.json")),
        "--registries-d",
        s(&d.join("registries.d")),
        "--root",
        s(empty.path()),
        "--manifest",
        s(&noo_dir().join("manifest.json")),
        "--signature-dir",
        s(&noo_dir()),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let keys = &run.json()["requirements"][0]["keys"];
    assert_eq!(
        keys[0],
        format!("relsig's built-in copy of {RH_KEY} (RHEL 9's, as RHCOS ships it)")
    );
}
