//! `relsig policy lint|machineconfig|init|check` through the binary, on
//! files only (no registry): seeded defects each reported with its path
//! and exit 2, clean policies exit 0, the rendered MachineConfig and
//! Butane config parsed back and compared with the reference shapes, and
//! `init` against Red Hat's documented trust files.

use crate::common::policy_init;
use crate::common::s;
use crate::common::{fixtures, noo_dir, relsig};
use base64::Engine as _;
use serde_yaml_ng::Value;
use std::path::{Path, PathBuf};

const NOO: &str = "albo/aws-load-balancer-operator-bundle";

/// A root directory holding the release key at Red Hat's node path.
fn key_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let path = root
        .path()
        .join("etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::copy(
        fixtures().join("redhat-keys/RPM-GPG-KEY-redhat-release.rhel9"),
        &path,
    )
    .unwrap();
    root
}

#[test]
fn init_writes_red_hats_documented_files() {
    let dir = policy_init();
    // The reference's JSON block and YAML blocks (indented 4 and 6).
    let md = std::fs::read_to_string(fixtures().join("reference/redhat-trust-files.md")).unwrap();
    let block: String = md
        .lines()
        .skip_while(|l| !l.starts_with("    {\"default\""))
        .take_while(|l| !l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let want: serde_json::Value = serde_json::from_str(&block).unwrap();
    let got: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("policy.json")).unwrap()).unwrap();
    assert_eq!(got, want);

    for registry in ["registry.access.redhat.com", "registry.redhat.io"] {
        let header = format!("    {registry}.yaml:");
        let yaml: String = md
            .lines()
            .skip_while(|l| *l != header)
            .skip(1)
            .take_while(|l| l.starts_with("      "))
            .map(|l| format!("{}\n", &l[6..]))
            .collect();
        let want: Value = serde_yaml_ng::from_str(&yaml).unwrap();
        let file = dir.path().join(format!("registries.d/{registry}.yaml"));
        let got: Value = serde_yaml_ng::from_slice(&std::fs::read(file).unwrap()).unwrap();
        assert_eq!(got, want, "{registry}");
    }
    // The key file the policy names, at its node path under DIR.
    assert_eq!(
        std::fs::read(
            dir.path()
                .join("etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release")
        )
        .unwrap(),
        std::fs::read(fixtures().join("redhat-keys/RPM-GPG-KEY-redhat-release.rhel9")).unwrap()
    );
    // A second run does not overwrite; --force does.
    let again = relsig(&["policy", "init", "--redhat", "--out", s(dir.path())]);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(
        again.stderr.contains("already exists; use --force"),
        "{again:?}"
    );
    let forced = relsig(&[
        "policy",
        "init",
        "--redhat",
        "--out",
        s(dir.path()),
        "--force",
    ]);
    assert_eq!(forced.code, 0, "{forced:?}");
}

#[test]
fn a_clean_policy_lints_with_exit_0() {
    let dir = policy_init();
    let d = dir.path();
    let run = relsig(&[
        "policy",
        "lint",
        "--policy",
        s(&d.join("policy.json")),
        "--registries-d",
        s(&d.join("registries.d")),
        "--root",
        s(d),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["errors"], 0, "{run:?}");
    // Stated plainly, not as an error: anything else is pulled unchecked.
    let warnings = doc["diagnostics"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{run:?}");
    assert_eq!(warnings[0]["severity"], "warning");
    assert_eq!(warnings[0]["path"], "default");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("without any signature check")
    );

    // A policy that signs everything and names its lookaside: no finding.
    let strict = d.join("strict.json");
    std::fs::write(
        &strict,
        r#"{"default":[{"type":"reject"}],"transports":{"docker":{"registry.redhat.io":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release"}]}}}"#,
    )
    .unwrap();
    let run = relsig(&[
        "policy",
        "lint",
        "--policy",
        s(&strict),
        "--registries-d",
        s(&d.join("registries.d")),
        "--root",
        s(d),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout.trim(),
        "OK: 0 errors, 0 warnings in the policy and registries.d"
    );
}

/// Each broken policy, the path lint must name, and a word of the message.
const BROKEN: &[(&str, &str, &str)] = &[
    (r#"{"transports":{}}"#, "default", "missing"),
    (r#"{"default":[]}"#, "default", "empty requirement list"),
    (
        r#"{"default":[{"type":"acceptAll"}]}"#,
        "default[0].type",
        "unknown requirement type",
    ),
    (
        r#"{"default":[{"type":"reject","reason":"x"}]}"#,
        "default[0].reason",
        "unknown field",
    ),
    (
        r#"{"default":[{"type":"reject"}],"transport":{}}"#,
        "transport",
        "unknown field",
    ),
    (
        r#"{"default":[{"type":"reject"}],"transports":{"docker":{"quay.io":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release","keyPaths":["/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release"]}]}}}"#,
        r#"transports.docker["quay.io"][0]"#,
        "exactly one of keyPath, keyPaths and keyData",
    ),
    (
        r#"{"default":[{"type":"reject"}],"transports":{"docker":{"quay.io":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/pki/nope.gpg"}]}}}"#,
        r#"transports.docker["quay.io"][0].keyPath"#,
        "cannot read key file",
    ),
    (
        r#"{"default":[{"type":"reject"}],"transports":{"docker":{"quay.io":[{"type":"signedBy","keyType":"GPGKeys","keyData":"bm9uc2Vuc2U="}]}}}"#,
        r#"transports.docker["quay.io"][0].keyData"#,
        "no usable OpenPGP certificate",
    ),
    (
        r#"{"default":[{"type":"reject"}],"transports":{"docker":{"quay.io":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release","signedIdentity":{"type":"matchEverything"}}]}}}"#,
        r#"transports.docker["quay.io"][0].signedIdentity.type"#,
        "unknown signedIdentity type",
    ),
    (
        r#"{"default":[{"type":"reject"}],"transports":{"docker":{"quay.io":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release","signedIdentity":{"type":"exactRepository","dockerRepository":"quay.io/a/b:1"}}]}}}"#,
        r#"transports.docker["quay.io"][0].signedIdentity.dockerRepository"#,
        "has a tag or digest",
    ),
    (
        r#"{"default":[{"type":"reject"}],"transports":{"docker":{"ubi9/ubi":[{"type":"reject"}]}}}"#,
        r#"transports.docker["ubi9/ubi"]"#,
        "never matches",
    ),
];

#[test]
fn lint_reports_each_seeded_defect_with_its_path() {
    let root = key_root();
    let dir = tempfile::tempdir().unwrap();
    for (i, (json, path, words)) in BROKEN.iter().enumerate() {
        let file = dir.path().join(format!("broken-{i}.json"));
        std::fs::write(&file, json).unwrap();
        let run = relsig(&[
            "policy",
            "lint",
            "--policy",
            s(&file),
            "--root",
            s(root.path()),
            "--output",
            "json",
        ]);
        assert_eq!(run.code, 2, "{json}\n{run:?}");
        let doc = run.json();
        let errors: Vec<&serde_json::Value> = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["severity"] == "error")
            .collect();
        assert_eq!(errors.len(), 1, "{json}\n{run:?}");
        assert_eq!(errors[0]["path"], *path, "{json}");
        assert!(
            errors[0]["message"].as_str().unwrap().contains(words),
            "{json}: {}",
            errors[0]
        );
        // Text output: one line naming the file and the path.
        let text = relsig(&[
            "policy",
            "lint",
            "--policy",
            s(&file),
            "--root",
            s(root.path()),
        ]);
        assert_eq!(text.code, 2);
        let want = format!("error: {}: {path}: ", file.display());
        assert!(text.stdout.contains(&want), "{want}\n{text:?}");
    }
}

#[test]
fn lint_reports_json_syntax_by_line_and_registries_d_defects_by_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        "{\n  \"default\": [\n    {\"type\": \"reject\"},\n  ]\n}\n",
    )
    .unwrap();
    let run = relsig(&["policy", "lint", "--policy", s(&policy)]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("error: {}:4: not valid JSON", policy.display())),
        "{run:?}"
    );

    // registries.d: a scope in two files, an unknown field, and a signed
    // scope with no lookaside (a warning).
    std::fs::write(
        &policy,
        r#"{"default":[{"type":"reject"}],"transports":{"docker":{"quay.io":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release"}]}}}"#,
    )
    .unwrap();
    let rd = dir.path().join("registries.d");
    std::fs::create_dir(&rd).unwrap();
    std::fs::write(
        rd.join("a.yaml"),
        "docker:\n  registry.redhat.io:\n    lookaside: https://a.example\n",
    )
    .unwrap();
    std::fs::write(
        rd.join("b.yaml"),
        "docker:\n  example.com:\n    lookside: https://typo.example\n  registry.redhat.io:\n    lookaside: https://b.example\n",
    )
    .unwrap();
    let root = key_root();
    let run = relsig(&[
        "policy",
        "lint",
        "--policy",
        s(&policy),
        "--registries-d",
        s(&rd),
        "--root",
        s(root.path()),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    let b = rd.join("b.yaml");
    for want in [
        format!(
            "error: {}:4: docker[\"registry.redhat.io\"]: scope defined both in {}",
            b.display(),
            rd.join("a.yaml").display()
        ),
        format!(
            "error: {}:3: docker[\"example.com\"].lookside: unknown field",
            b.display()
        ),
        format!(
            "warning: {}: transports.docker[\"quay.io\"]: signedBy, but registries.d configures no lookaside",
            policy.display()
        ),
    ] {
        assert!(run.stdout.contains(&want), "{want}\n{run:?}");
    }
}

#[test]
fn lint_of_the_fixtures() {
    // containers/image's example policy: keys that are not on this
    // machine and scopes that never match are errors.
    let run = relsig(&[
        "policy",
        "lint",
        "--policy",
        s(&fixtures().join("containers-image/signature/policy.json")),
        "--registries-d",
        s(&fixtures().join("containers-image/registries.d")),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    let doc = run.json();
    let paths: Vec<String> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["severity"].as_str().unwrap(),
                d["path"].as_str().unwrap()
            )
        })
        .collect();
    for want in [
        r#"error transports.docker["bogus/key-data-example"]"#,
        r#"error transports.docker["example.com/production"][0].keyPath"#,
        r#"error docker["localhost/invalid/url/test"].lookaside"#,
        r#"error transports.docker["example.com/sigstore/key-path-example"][0].keyPath"#,
        r#"error transports.docker["example.com/sigstore/key-data-example"][0].keyData"#,
        r#"warning transports.docker["example.com/hardened-x509"][0].keyType"#,
        r#"warning transports.docker["example.com/hardened"][2]"#,
    ] {
        assert!(paths.iter().any(|p| p == want), "{want} not in {paths:#?}");
    }
    // invalid-but.notyaml is ignored, not reported.
    assert!(!run.stdout.contains("notyaml"), "{run:?}");

    // Red Hat's documented policy, with its key file present: the ISV key
    // is not (so an error), and the insecure default is a warning.
    let root = key_root();
    let run = relsig(&[
        "policy",
        "lint",
        "--policy",
        s(&fixtures().join("policy-examples/policy.json")),
        "--registries-d",
        s(&fixtures().join("policy-examples")),
        "--root",
        s(root.path()),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["errors"], 3, "{run:?}");
    for d in doc["diagnostics"].as_array().unwrap() {
        if d["severity"] == "error" {
            assert!(
                d["message"]
                    .as_str()
                    .unwrap()
                    .contains("RPM-GPG-KEY-redhat-isv"),
                "{d}"
            );
        }
    }
}

/// Compares a rendered document with a reference shape: the same keys in
/// the same order, equal scalars, except that a reference string holding
/// a `<placeholder>` only fixes the text before it, a Butane octal mode
/// (`0644`) equals its value, and `skip` keys only need the same type.
fn assert_shape(ours: &Value, reference: &Value, at: &str, skip: &[&str]) {
    match (ours, reference) {
        (Value::Mapping(o), Value::Mapping(r)) => {
            let ok: Vec<&Value> = o.keys().collect();
            let rk: Vec<&Value> = r.keys().collect();
            assert_eq!(ok, rk, "keys at {at}");
            for (k, rv) in r {
                let key = k.as_str().unwrap();
                let here = format!("{at}.{key}");
                if skip.contains(&key) {
                    assert!(o[k].is_string() && rv.is_string(), "{here}");
                } else {
                    assert_shape(&o[k], rv, &here, skip);
                }
            }
        }
        (Value::String(o), Value::String(r)) if r.contains('<') => {
            let fixed = &r[..r.find('<').unwrap()];
            assert!(
                o.starts_with(fixed),
                "{at}: {o:?} does not start with {fixed:?}"
            );
        }
        (Value::Number(o), Value::String(r)) if r.starts_with('0') => {
            assert_eq!(
                o.as_u64(),
                u64::from_str_radix(r, 8).ok(),
                "{at}: octal {r}"
            );
        }
        _ => assert_eq!(ours, reference, "{at}"),
    }
}

fn render(format: &str, policy: &Path, registries_d: &Path, root: &Path) -> String {
    let run = relsig(&[
        "policy",
        "machineconfig",
        "--role",
        "worker",
        "--format",
        format,
        "--policy",
        s(policy),
        "--registries-d",
        s(registries_d),
        "--root",
        s(root),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    run.stdout
}

fn reference(name: &str) -> Value {
    serde_yaml_ng::from_slice(&std::fs::read(fixtures().join("reference").join(name)).unwrap())
        .unwrap()
}

/// The (node path, local file) pairs rendered from `policy` and the
/// `*.yaml` files of `registries_d`, in order.
fn inputs(policy: &Path, registries_d: &Path) -> Vec<(String, PathBuf)> {
    let mut yaml: Vec<PathBuf> = std::fs::read_dir(registries_d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    yaml.sort();
    let mut out = vec![(
        "/etc/containers/policy.json".to_string(),
        policy.to_path_buf(),
    )];
    for p in yaml {
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        out.push((format!("/etc/containers/registries.d/{name}"), p));
    }
    out
}

/// Checks the rendered MachineConfig installs policy.json, the
/// registries.d files and then `keys` (node path, local file), byte for
/// byte, each entry shaped like the reference's.
fn check_machineconfig(
    policy: &Path,
    registries_d: &Path,
    root: &Path,
    keys: &[(&str, &Path)],
    exact_paths: bool,
) {
    let yaml = render("machineconfig", policy, registries_d, root);
    let ours: Value = serde_yaml_ng::from_str(&yaml).unwrap();
    let reference = reference("machineconfig-example.yaml");
    let files = ours["spec"]["config"]["storage"]["files"]
        .as_sequence()
        .unwrap();
    let ref_files = reference["spec"]["config"]["storage"]["files"]
        .as_sequence()
        .unwrap();

    // Everything but the file list, field for field.
    let strip = |v: &Value| {
        let mut v = v.clone();
        v["spec"]["config"]["storage"]["files"] = Value::Sequence(Vec::new());
        v
    };
    assert_shape(&strip(&ours), &strip(&reference), "", &[]);

    let mut expected = inputs(policy, registries_d);
    expected.extend(keys.iter().map(|(n, p)| (n.to_string(), p.to_path_buf())));
    assert_eq!(files.len(), expected.len());
    for (file, (node_path, local)) in files.iter().zip(&expected) {
        // Each entry has the reference entry's shape (its path placeholder
        // aside), and its data URL decodes to the input, byte for byte.
        let like = ref_files
            .iter()
            .find(|r| r["path"] == file["path"])
            .unwrap_or(&ref_files[1]);
        let mut generic = like.clone();
        generic["path"] = file["path"].clone();
        assert_shape(file, &generic, node_path, &[]);
        assert_eq!(file["path"].as_str(), Some(node_path.as_str()));
        let source = file["contents"]["source"].as_str().unwrap();
        let b64 = source
            .strip_prefix("data:text/plain;charset=utf-8;base64,")
            .unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(decoded, std::fs::read(local).unwrap(), "{node_path}");
    }
    if exact_paths {
        let paths = |v: &[Value]| -> Vec<String> {
            v.iter()
                .map(|f| f["path"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(paths(files), paths(ref_files));
    }
}

#[test]
fn machineconfig_from_the_policy_examples_round_trips() {
    let root = key_root();
    // The examples' ISV key is not public: give lint any key at that path.
    let isv = root.path().join("etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-isv");
    std::fs::copy(
        fixtures().join("redhat-keys/redhat-release-key-2_FD431D51_sha256-selfsig.gpg"),
        &isv,
    )
    .unwrap();
    let examples = fixtures().join("policy-examples");
    // The ISV key is not a file RHCOS ships: it is installed. The release
    // key is (RHCOS ships it), so it is not.
    check_machineconfig(
        &examples.join("policy.json"),
        &examples,
        root.path(),
        &[("/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-isv", &isv)],
        false,
    );
}

#[test]
fn machineconfig_from_init_has_the_reference_files() {
    let dir = policy_init();
    let d = dir.path();
    check_machineconfig(
        &d.join("policy.json"),
        &d.join("registries.d"),
        d,
        &[],
        true,
    );
}

#[test]
fn butane_round_trips() {
    let dir = policy_init();
    let d = dir.path();
    let (policy, rd) = (d.join("policy.json"), d.join("registries.d"));
    let ours: Value = serde_yaml_ng::from_str(&render("butane", &policy, &rd, d)).unwrap();
    let reference = reference("butane-example.bu");
    let strip = |v: &Value| {
        let mut v = v.clone();
        v["storage"]["files"] = Value::Sequence(Vec::new());
        v
    };
    assert_shape(&strip(&ours), &strip(&reference), "", &[]);
    let files = ours["storage"]["files"].as_sequence().unwrap();
    let ref_files = reference["storage"]["files"].as_sequence().unwrap();
    let expected = inputs(&policy, &rd);
    assert_eq!(files.len(), expected.len());
    for (file, (node_path, local)) in files.iter().zip(&expected) {
        let mut like = ref_files
            .iter()
            .find(|r| r["path"] == file["path"])
            .unwrap_or(&ref_files[1])
            .clone();
        like["path"] = file["path"].clone();
        assert_shape(file, &like, node_path, &["inline"]);
        assert_eq!(file["path"].as_str(), Some(node_path.as_str()));
        assert_eq!(
            file["contents"]["inline"].as_str().unwrap().as_bytes(),
            std::fs::read(local).unwrap(),
            "{node_path}"
        );
    }
}

#[test]
fn machineconfig_names_roles_and_refuses_a_broken_policy() {
    let dir = policy_init();
    let d = dir.path();
    let run = relsig(&[
        "policy",
        "machineconfig",
        "--role",
        "master",
        "--policy",
        s(&d.join("policy.json")),
        "--registries-d",
        s(&d.join("registries.d")),
        "--root",
        s(d),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let mc: Value = serde_yaml_ng::from_str(&run.stdout).unwrap();
    assert_eq!(mc["metadata"]["name"], "51-master-rh-registry-trust");
    assert_eq!(
        mc["metadata"]["labels"]["machineconfiguration.openshift.io/role"],
        "master"
    );

    let broken = d.join("broken.json");
    std::fs::write(&broken, r#"{"default":[]}"#).unwrap();
    let run = relsig(&[
        "policy",
        "machineconfig",
        "--role",
        "worker",
        "--policy",
        s(&broken),
        "--registries-d",
        s(&d.join("registries.d")),
        "--root",
        s(d),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(
        run.stderr.contains("default: empty requirement list"),
        "{run:?}"
    );
    assert!(run.stderr.contains("not rendering"), "{run:?}");

    let run = relsig(&[
        "policy",
        "machineconfig",
        "--role",
        "worker",
        "--name",
        "Bad_Name",
        "--policy",
        s(&d.join("policy.json")),
        "--registries-d",
        s(&d.join("registries.d")),
        "--root",
        s(d),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("invalid name \"Bad_Name\""), "{run:?}");
}

#[test]
fn check_offline_gives_the_verdict_reason_and_exit_code() {
    let dir = policy_init();
    let d = dir.path();
    let check = |image: &str| {
        relsig(&[
            "policy",
            "check",
            image,
            "--policy",
            s(&d.join("policy.json")),
            "--registries-d",
            s(&d.join("registries.d")),
            "--root",
            s(d),
            "--manifest",
            s(&noo_dir().join("manifest.json")),
            "--signature-dir",
            s(&noo_dir()),
            "--output",
            "json",
        ])
    };
    let run = check(&format!("registry.access.redhat.com/{NOO}:0.0.1-20"));
    assert_eq!(run.code, 0, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["verdict"], "accepted");
    assert_eq!(doc["scope"]["scope"], "registry.access.redhat.com");
    assert_eq!(doc["requirements"][0]["reason"], "signature-accepted");
    let reasons: Vec<&str> = doc["requirements"][0]["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "identity-mismatch",
            "ok",
            "identity-mismatch",
            "identity-mismatch"
        ]
    );

    let run = check(&format!("registry.redhat.io/{NOO}:9.9"));
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.json()["requirements"][0]["reason"],
        "no-accepted-signature"
    );

    // Outside the signed scopes the insecure default applies.
    let run = check("quay.io/someone/app:1");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.json()["requirements"][0]["reason"],
        "insecure-accept-anything"
    );

    // Text output starts with the verdict. A key path that is not on this
    // machine (and no --root): relsig cannot decide.
    let elsewhere = d.join("elsewhere.json");
    let text = std::fs::read_to_string(d.join("policy.json")).unwrap();
    std::fs::write(
        &elsewhere,
        text.replace("/etc/pki/rpm-gpg/", "/nonexistent/relsig-test/"),
    )
    .unwrap();
    let run = relsig(&[
        "policy",
        "check",
        &format!("registry.redhat.io/{NOO}:0.0.1"),
        "--policy",
        s(&elsewhere),
        "--registries-d",
        s(&d.join("registries.d")),
        "--manifest",
        s(&noo_dir().join("manifest.json")),
        "--signature-dir",
        s(&noo_dir()),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.contains("--root DIR"), "{run:?}");
    assert!(
        run.stdout
            .lines()
            .next()
            .unwrap()
            .starts_with("CANNOT DECIDE: "),
        "{run:?}"
    );

    // An invalid policy or image: exit 2 with a one-line error.
    let run = relsig(&[
        "policy",
        "check",
        "quay.io/UPPER/x",
        "--policy",
        s(&d.join("policy.json")),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("repository name must be lowercase"),
        "{run:?}"
    );
    let broken = d.join("broken.json");
    std::fs::write(&broken, r#"{"default":[{"type":"nope"}]}"#).unwrap();
    let run = relsig(&["policy", "check", "quay.io/a/b:1", "--policy", s(&broken)]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("default[0].type: unknown requirement type \"nope\""),
        "{run:?}"
    );
}

/// `policy check` of an ocp-release image with `--cluster-image-policy`:
/// 4.21's `openshift` ClusterImagePolicy with its key replaced by a test
/// key, over a policy that accepts anything, so every requirement the
/// verdict rests on comes from the ClusterImagePolicy.
#[test]
fn a_cluster_image_policy_adds_its_sigstore_requirement_to_the_scope() {
    use crate::common::cosign::{CosignKey, SIGNATURE_ANNOTATION, SIMPLE_SIGNING, payload};
    let tmp = tempfile::tempdir().unwrap();
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}"#;
    let manifest_path = tmp.path().join("manifest.json");
    std::fs::write(&manifest_path, manifest).unwrap();
    let digest = crate::common::release::sha256(manifest);
    let image = format!("quay.io/openshift-release-dev/ocp-release@{digest}");
    let key = CosignKey::p256();
    let signed = tmp.path().join("signed");
    std::fs::create_dir(&signed).unwrap();
    let body = payload(
        "quay.io/openshift-release-dev/ocp-release:4.21.0-x86_64",
        &digest,
    );
    let mut sig = b"\x00sigstore-json\n".to_vec();
    sig.extend(
        serde_json::to_vec(&serde_json::json!({
            "mimeType": SIMPLE_SIGNING,
            "payload": base64::engine::general_purpose::STANDARD.encode(&body),
            "annotations": {SIGNATURE_ANNOTATION: key.sign(&body)},
        }))
        .unwrap(),
    );
    std::fs::write(signed.join("signature-1"), sig).unwrap();
    let unsigned = tmp.path().join("unsigned");
    std::fs::create_dir(&unsigned).unwrap();
    let policy = tmp.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
    )
    .unwrap();
    let real = std::fs::read_to_string(
        fixtures().join("sigstore/redhat/clusterimagepolicy-openshift-4.21.yaml"),
    )
    .unwrap();
    let real_key = real
        .lines()
        .find_map(|l| l.trim().strip_prefix("keyData: "))
        .unwrap()
        .to_string();
    let test_key =
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(&key.public).unwrap());
    let cip = tmp.path().join("cip.yaml");
    std::fs::write(&cip, real.replace(&real_key, &test_key)).unwrap();
    let real_cip = fixtures().join("sigstore/redhat/clusterimagepolicy-openshift-4.21.yaml");
    let check = |dir: &Path, cip: Option<&Path>| {
        let mut args = vec![
            "policy",
            "check",
            &image,
            "--policy",
            s(&policy),
            "--registries-d",
            s(tmp.path()),
            "--manifest",
            s(&manifest_path),
            "--signature-dir",
            s(dir),
            "--output",
            "json",
        ];
        if let Some(cip) = cip {
            args.extend(["--cluster-image-policy", s(cip)]);
        }
        relsig(&args)
    };
    const REQUIRED_BY: &str =
        "cluster-image-policy openshift: scope quay.io/openshift-release-dev/ocp-release";

    let run = check(&signed, Some(&cip));
    assert_eq!(run.code, 0, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["verdict"], "accepted", "{run:?}");
    assert_eq!(doc["requirements"][0]["path"], REQUIRED_BY, "{run:?}");
    assert_eq!(doc["requirements"][0]["type"], "sigstoreSigned", "{run:?}");

    let run = check(&unsigned, Some(&cip));
    assert_eq!(run.code, 1, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["verdict"], "rejected", "{run:?}");
    assert_eq!(doc["requirements"][0]["path"], REQUIRED_BY, "{run:?}");
    assert_eq!(doc["requirements"][0]["reason"], "no-signatures", "{run:?}");

    // Red Hat's real policy trusts release key 3, not the test key.
    let run = check(&signed, Some(&real_cip));
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.json()["requirements"][0]["path"],
        REQUIRED_BY,
        "{run:?}"
    );

    // Without the ClusterImagePolicy the policy accepts anything.
    let run = check(&unsigned, None);
    assert_eq!(run.code, 0, "{run:?}");

    // A file that is not a ClusterImagePolicy: one line naming it, exit 2.
    let run = check(&signed, Some(&policy));
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains(s(&policy)), "{run:?}");
}
