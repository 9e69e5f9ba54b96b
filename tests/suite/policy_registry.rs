//! `relsig policy check` end to end: the noo bundle image pushed into the
//! real distribution registry on 127.0.0.1, its four real signatures
//! served as a containers lookaside by a real HTTP server on 127.0.0.1,
//! and registries.d pointing there. Each requirement variant's verdict and
//! JSON reasons are asserted, and cross-checked with skopeo (which
//! evaluates the same policy and registries.d on `copy`).

use crate::common::mirror::{Mirror, Route};
use crate::common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const TAG: &str = "albo/aws-load-balancer-operator-bundle:0.0.1";

struct Setup {
    registry: Registry,
    _mirror: Mirror,
    dir: tempfile::TempDir,
}

impl Setup {
    /// The registry with the image, the lookaside with its signatures,
    /// and a registries.d naming the lookaside for the registry's host.
    fn start() -> Setup {
        let registry = Registry::start(None);
        registry.push(&noo_dir(), TAG, None);
        let mirror = Mirror::start();
        let hex = NOO_DIGEST.strip_prefix("sha256:").unwrap();
        for n in 1..=4 {
            mirror.put(
                &format!("/{NOO_REPO}@sha256={hex}/signature-{n}"),
                Route::Body(noo_signature(n)),
            );
        }
        let dir = tempfile::tempdir().unwrap();
        registries_d(
            &dir.path().join("registries.d"),
            &format!("\"{}\"", registry.addr),
            &mirror.url,
        );
        std::fs::create_dir(dir.path().join("empty.d")).unwrap();
        Setup {
            registry,
            _mirror: mirror,
            dir,
        }
    }

    /// A policy whose scope for the registry's host is `[requirement]`.
    fn policy(&self, name: &str, requirement: &str) -> std::path::PathBuf {
        let path = self.dir.path().join(format!("{name}.json"));
        std::fs::write(
            &path,
            format!(
                r#"{{"default":[{{"type":"reject"}}],"transports":{{"docker":{{"{}":[{requirement}]}}}}}}"#,
                self.registry.addr
            ),
        )
        .unwrap();
        path
    }
}

fn key(path: &str) -> String {
    fixtures().join(path).display().to_string()
}

fn signed_by(key: &str, identity: Option<&str>) -> String {
    match identity {
        None => format!(r#"{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{key}"}}"#),
        Some(i) => format!(
            r#"{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{key}","signedIdentity":{i}}}"#
        ),
    }
}

/// Whether skopeo (containers/image) lets `image` be copied under the
/// policy and registries.d.
fn skopeo_accepts(policy: &Path, registries_d: &Path, image: &str) -> bool {
    let dest = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("/usr/bin/skopeo");
    cmd.arg("--policy")
        .arg(policy)
        .arg("--registries.d")
        .arg(registries_d)
        .args(["copy", "--src-tls-verify=false"])
        .arg(format!("docker://{image}"))
        .arg(format!("dir:{}", dest.path().join("img").display()))
        .env("HOME", home.path())
        .env_remove("REGISTRY_AUTH_FILE")
        .stdin(Stdio::null());
    run_bounded(&mut cmd, Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("{e}"))
        .status
        .success()
}

struct Case {
    name: &'static str,
    requirement: String,
    registries_d: &'static str,
    exit: i32,
    reason: &'static str,
    /// The per-signature reasons, signatures 1..4 (empty: none judged).
    signatures: [&'static str; 4],
}

#[test]
fn requirement_variants_against_the_local_registry_and_lookaside() {
    let setup = Setup::start();
    let image = setup.registry.image(TAG);
    let release = key("redhat-keys/redhat-release-key-2_FD431D51_sha256-selfsig.gpg");
    let wrong = key("containers-image/signature/public-key.gpg");
    let exact_ref = r#"{"type":"exactReference","dockerReference":"registry.access.redhat.com/albo/aws-load-balancer-operator-bundle:0.0.1"}"#;
    let exact_repo = r#"{"type":"exactRepository","dockerRepository":"registry.access.redhat.com/albo/aws-load-balancer-operator-bundle"}"#;
    let remap = format!(
        r#"{{"type":"remapIdentity","prefix":"{}/albo","signedPrefix":"registry.redhat.io/albo"}}"#,
        setup.registry.addr
    );
    const MISMATCH: &str = "identity-mismatch";
    let cases = [
        Case {
            name: "exactReference",
            requirement: signed_by(&release, Some(exact_ref)),
            registries_d: "registries.d",
            exit: 0,
            reason: "signature-accepted",
            signatures: ["ok", MISMATCH, MISMATCH, MISMATCH],
        },
        Case {
            name: "exactRepository",
            requirement: signed_by(&release, Some(exact_repo)),
            registries_d: "registries.d",
            exit: 0,
            reason: "signature-accepted",
            signatures: ["ok", "ok", MISMATCH, MISMATCH],
        },
        Case {
            name: "remapIdentity",
            requirement: signed_by(&release, Some(&remap)),
            registries_d: "registries.d",
            exit: 0,
            reason: "signature-accepted",
            signatures: [MISMATCH, MISMATCH, "ok", MISMATCH],
        },
        Case {
            name: "wrong key",
            requirement: signed_by(&wrong, Some(exact_ref)),
            registries_d: "registries.d",
            exit: 1,
            reason: "no-accepted-signature",
            signatures: ["unknown-key"; 4],
        },
        Case {
            name: "default identity",
            requirement: signed_by(&release, None),
            registries_d: "registries.d",
            exit: 1,
            reason: "no-accepted-signature",
            signatures: [MISMATCH; 4],
        },
        Case {
            name: "reject",
            requirement: r#"{"type":"reject"}"#.into(),
            registries_d: "registries.d",
            exit: 1,
            reason: "reject",
            signatures: [""; 4],
        },
        Case {
            name: "insecureAcceptAnything",
            requirement: r#"{"type":"insecureAcceptAnything"}"#.into(),
            registries_d: "registries.d",
            exit: 0,
            reason: "insecure-accept-anything",
            signatures: [""; 4],
        },
        Case {
            name: "no lookaside configured",
            requirement: signed_by(&release, Some(exact_ref)),
            registries_d: "empty.d",
            exit: 1,
            reason: "no-signatures",
            signatures: [""; 4],
        },
    ];
    let skopeo = Path::new("/usr/bin/skopeo").exists();
    if !skopeo {
        eprintln!("skopeo is not installed: verdicts are not cross-checked");
    }
    for case in cases {
        let policy = setup.policy(&case.name.replace(' ', "-"), &case.requirement);
        let rd = setup.dir.path().join(case.registries_d);
        let run = relsig(&[
            "policy",
            "check",
            &image,
            "--policy",
            policy.to_str().unwrap(),
            "--registries-d",
            rd.to_str().unwrap(),
            "--tls-verify=false",
            "--timeout",
            "20",
            "--output",
            "json",
        ]);
        assert_eq!(run.code, case.exit, "{}: {run:?}", case.name);
        let doc = run.json();
        let verdict = if case.exit == 0 {
            "accepted"
        } else {
            "rejected"
        };
        assert_eq!(doc["verdict"], verdict, "{}", case.name);
        assert_eq!(
            doc["scope"]["scope"],
            setup.registry.addr.as_str(),
            "{}",
            case.name
        );
        let req = &doc["requirements"][0];
        assert_eq!(req["reason"], case.reason, "{}: {run:?}", case.name);
        let got: Vec<&str> = req["signatures"]
            .as_array()
            .map(|a| a.iter().map(|s| s["reason"].as_str().unwrap()).collect())
            .unwrap_or_default();
        let want: Vec<&str> = case
            .signatures
            .iter()
            .copied()
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(got, want, "{}: {run:?}", case.name);
        if !want.is_empty() {
            // The signatures came from the lookaside registries.d names.
            let first = req["signatures"][0]["source"].as_str().unwrap();
            assert!(first.starts_with("http://127.0.0.1:"), "{first}");
            assert!(first.ends_with("/signature-1"), "{first}");
            assert_eq!(doc["manifest_digest"], NOO_DIGEST);
        }
        // With no lookaside in registries.d, skopeo reads its built-in
        // default /var/lib/containers/sigstore, which is this machine's, not
        // the test's (relsig's default is moved by the test environment):
        // the cross-check only means something where that is empty.
        let machine_default = Path::new("/var/lib/containers/sigstore");
        let skopeo_hermetic = case.registries_d != "empty.d"
            || std::fs::read_dir(machine_default).map_or(true, |mut d| d.next().is_none());
        if skopeo && skopeo_hermetic {
            assert_eq!(
                skopeo_accepts(&policy, &rd, &image),
                case.exit == 0,
                "{}: skopeo and relsig disagree",
                case.name
            );
        }
    }
}

#[test]
fn an_unreachable_lookaside_means_cannot_decide() {
    let setup = Setup::start();
    let image = setup.registry.image(TAG);
    let release = key("redhat-keys/redhat-release-key-2_FD431D51_sha256-selfsig.gpg");
    let policy = setup.policy("plain", &signed_by(&release, None));
    let rd = setup.dir.path().join("broken.d");
    let failing = Mirror::start();
    let hex = NOO_DIGEST.strip_prefix("sha256:").unwrap();
    failing.put(
        &format!("/{NOO_REPO}@sha256={hex}/signature-1"),
        Route::Status(500),
    );
    registries_d(&rd, &format!("\"{}\"", setup.registry.addr), &failing.url);
    let run = relsig(&[
        "policy",
        "check",
        &image,
        "--policy",
        policy.to_str().unwrap(),
        "--registries-d",
        rd.to_str().unwrap(),
        "--tls-verify=false",
        "--retries",
        "0",
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["verdict"], "cannot-decide");
    assert_eq!(doc["requirements"][0]["reason"], "fetch-failed");
    assert!(
        doc["requirements"][0]["message"]
            .as_str()
            .unwrap()
            .contains("500"),
        "{run:?}"
    );
}
