//! The policy decision as pure logic over real inputs: the fixtures'
//! policy.json files (scope lookup, every requirement type) and each
//! `signedIdentity` variant judged over the noo bundle's real manifest
//! and its four real Red Hat signatures. Each test asserts the verdict
//! and the reasons.

use crate::common::fixtures;
use relsig::image::manifest::Manifest;
use relsig::policy::Policy;
use relsig::policy::eval::{
    self, Decision, EvalOptions, Evidence, Outcome, RequirementReason as R, Verdict,
};
use relsig::signature::Reason;
use relsig::sources::stores::Signature;
use std::time::SystemTime;

const NOO_DIGEST: &str = "sha256:50b9402635dd4b312a86bed05dcdbda8c00120d3789ec2e9b527045100b3bdb4";
const NOO: &str = "albo/aws-load-balancer-operator-bundle";

fn release_key() -> String {
    fixtures()
        .join("redhat-keys/redhat-release-key-2_FD431D51_sha256-selfsig.gpg")
        .display()
        .to_string()
}

fn other_key() -> String {
    fixtures()
        .join("containers-image/signature/public-key.gpg")
        .display()
        .to_string()
}

/// The noo bundle's manifest and its signatures `which` (1..=4).
fn noo_evidence(which: &[usize]) -> Evidence {
    let dir = fixtures().join("openshift/noo-bundle-image");
    Evidence {
        manifest: Manifest::new(std::fs::read(dir.join("manifest.json")).unwrap()),
        signatures: which
            .iter()
            .map(|n| Signature {
                source: format!("signature-{n}"),
                bytes: std::fs::read(dir.join(format!("signature-{n}"))).unwrap(),
            })
            .collect(),
        searched: "the test".into(),
        manifest_error: None,
    }
}

fn decide_with(policy: &Policy, image: &str, evidence: Result<Evidence, String>) -> Decision {
    let image = eval::image_reference(image).unwrap();
    let opts = EvalOptions {
        at: SystemTime::now(),
        judged_now: true,
        root: None,
    };
    let mut evidence = Some(evidence);
    let mut fetch = || evidence.take().expect("evidence is fetched at most once");
    eval::evaluate(policy, &image, &opts, &mut fetch)
}

/// A policy whose docker scope `scope` holds `requirement` (JSON), with a
/// rejecting default.
fn policy_with(scope: &str, requirement: &str) -> Policy {
    let json = format!(
        r#"{{"default":[{{"type":"reject"}}],"transports":{{"docker":{{"{scope}":[{requirement}]}}}}}}"#
    );
    Policy::parse(json.as_bytes(), "test policy").unwrap()
}

fn signed_by(key: &str, identity: &str) -> String {
    let key = serde_json::to_string(key).unwrap();
    if identity.is_empty() {
        format!(r#"{{"type":"signedBy","keyType":"GPGKeys","keyPath":{key}}}"#)
    } else {
        format!(
            r#"{{"type":"signedBy","keyType":"GPGKeys","keyPath":{key},"signedIdentity":{identity}}}"#
        )
    }
}

/// The per-signature reasons of the first requirement.
fn signature_reasons(d: &Decision) -> Vec<Reason> {
    d.requirements[0]
        .signatures
        .iter()
        .map(|s| s.report.reason)
        .collect()
}

fn accepted_sources(d: &Decision) -> Vec<String> {
    d.requirements[0]
        .signatures
        .iter()
        .filter(|s| s.report.verified)
        .map(|s| s.source.clone())
        .collect()
}

#[test]
fn default_identity_accepts_the_signature_naming_the_image() {
    let p = policy_with("registry.redhat.io", &signed_by(&release_key(), ""));
    let d = decide_with(
        &p,
        &format!("registry.redhat.io/{NOO}:0.0.1"),
        Ok(noo_evidence(&[1, 2, 3, 4])),
    );
    assert_eq!(d.verdict, Verdict::Accepted, "{d:#?}");
    assert_eq!(d.requirements[0].reason, R::SignatureAccepted);
    assert_eq!(accepted_sources(&d), ["signature-3"]);
    assert_eq!(
        signature_reasons(&d),
        [
            Reason::IdentityMismatch,
            Reason::IdentityMismatch,
            Reason::Ok,
            Reason::IdentityMismatch
        ]
    );
    assert_eq!(d.manifest_digest.as_deref(), Some(NOO_DIGEST));
    assert_eq!(d.scope.scope.as_deref(), Some("registry.redhat.io"));
}

#[test]
fn default_identity_for_another_name_rejects_every_signature() {
    let p = policy_with("127.0.0.1:5000", &signed_by(&release_key(), ""));
    let d = decide_with(
        &p,
        &format!("127.0.0.1:5000/{NOO}:0.0.1"),
        Ok(noo_evidence(&[1, 2, 3, 4])),
    );
    assert_eq!(d.verdict, Verdict::Rejected);
    assert_eq!(d.requirements[0].reason, R::NoAcceptedSignature);
    assert_eq!(signature_reasons(&d), [Reason::IdentityMismatch; 4]);
}

#[test]
fn digest_image_accepts_any_signed_tag_of_its_repository() {
    let p = policy_with("registry.redhat.io", &signed_by(&release_key(), ""));
    let d = decide_with(
        &p,
        &format!("registry.redhat.io/{NOO}@{NOO_DIGEST}"),
        Ok(noo_evidence(&[1, 2, 3, 4])),
    );
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(accepted_sources(&d), ["signature-3", "signature-4"]);

    // matchExact needs the signed identity to be the digest reference.
    let p = policy_with(
        "registry.redhat.io",
        &signed_by(&release_key(), r#"{"type":"matchExact"}"#),
    );
    let d = decide_with(
        &p,
        &format!("registry.redhat.io/{NOO}@{NOO_DIGEST}"),
        Ok(noo_evidence(&[1, 2, 3, 4])),
    );
    assert_eq!(d.verdict, Verdict::Rejected);
    assert_eq!(signature_reasons(&d), [Reason::IdentityMismatch; 4]);
}

#[test]
fn match_exact_and_match_repository() {
    let exact = policy_with(
        "registry.redhat.io",
        &signed_by(&release_key(), r#"{"type":"matchExact"}"#),
    );
    let image = format!("registry.redhat.io/{NOO}:0.0.1-20");
    let d = decide_with(&exact, &image, Ok(noo_evidence(&[1, 2, 3, 4])));
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(accepted_sources(&d), ["signature-4"]);

    let repo = policy_with(
        "registry.redhat.io",
        &signed_by(&release_key(), r#"{"type":"matchRepository"}"#),
    );
    let d = decide_with(
        &repo,
        &format!("registry.redhat.io/{NOO}:unsigned-tag"),
        Ok(noo_evidence(&[1, 2, 3, 4])),
    );
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(accepted_sources(&d), ["signature-3", "signature-4"]);
}

#[test]
fn exact_reference_and_exact_repository_ignore_where_the_image_is() {
    let image = format!("127.0.0.1:5000/mirror/{NOO}:whatever");
    let exact = format!(
        r#"{{"type":"exactReference","dockerReference":"registry.access.redhat.com/{NOO}:0.0.1"}}"#
    );
    let d = decide_with(
        &policy_with("127.0.0.1:5000", &signed_by(&release_key(), &exact)),
        &image,
        Ok(noo_evidence(&[1, 2, 3, 4])),
    );
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(accepted_sources(&d), ["signature-1"]);
    assert_eq!(
        d.requirements[0].expected_identity.as_deref(),
        Some(format!("registry.access.redhat.com/{NOO}:0.0.1").as_str())
    );

    let unsigned = exact.replace(":0.0.1", ":0.0.2");
    let d = decide_with(
        &policy_with("127.0.0.1:5000", &signed_by(&release_key(), &unsigned)),
        &image,
        Ok(noo_evidence(&[1, 2, 3, 4])),
    );
    assert_eq!(d.verdict, Verdict::Rejected);
    assert_eq!(signature_reasons(&d), [Reason::IdentityMismatch; 4]);

    let repo = format!(
        r#"{{"type":"exactRepository","dockerRepository":"registry.access.redhat.com/{NOO}"}}"#
    );
    let d = decide_with(
        &policy_with("127.0.0.1:5000", &signed_by(&release_key(), &repo)),
        &image,
        Ok(noo_evidence(&[1, 2, 3, 4])),
    );
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(accepted_sources(&d), ["signature-1", "signature-2"]);
}

#[test]
fn remap_identity_rewrites_the_mirror_prefix() {
    let remap = r#"{"type":"remapIdentity","prefix":"127.0.0.1:5000/albo","signedPrefix":"registry.redhat.io/albo"}"#;
    let p = policy_with("127.0.0.1:5000", &signed_by(&release_key(), remap));
    let d = decide_with(
        &p,
        &format!("127.0.0.1:5000/{NOO}:0.0.1-20"),
        Ok(noo_evidence(&[1, 2, 3, 4])),
    );
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(accepted_sources(&d), ["signature-4"]);
    assert_eq!(
        d.requirements[0].expected_identity.as_deref(),
        Some(format!("registry.redhat.io/{NOO}:0.0.1-20").as_str())
    );

    // An image outside the prefix keeps its own name, which nothing signed.
    let d = decide_with(
        &p,
        &format!(
            "127.0.0.1:5000/other/{}:0.0.1",
            "aws-load-balancer-operator-bundle"
        ),
        Ok(noo_evidence(&[1, 2, 3, 4])),
    );
    assert_eq!(d.verdict, Verdict::Rejected);
    assert_eq!(signature_reasons(&d), [Reason::IdentityMismatch; 4]);

    // A signed prefix that makes a non-canonical name matches nothing.
    let short = r#"{"type":"remapIdentity","prefix":"127.0.0.1:5000","signedPrefix":"busybox"}"#;
    let d = decide_with(
        &policy_with("127.0.0.1:5000", &signed_by(&release_key(), short)),
        &format!("127.0.0.1:5000/{NOO}:0.0.1"),
        Ok(noo_evidence(&[1, 2, 3, 4])),
    );
    assert_eq!(d.verdict, Verdict::Rejected);
    assert_eq!(d.requirements[0].reason, R::InvalidRemappedIdentity);
}

#[test]
fn keys_from_paths_data_and_the_wrong_key() {
    let image = format!("registry.redhat.io/{NOO}:0.0.1");
    let wrong = policy_with("registry.redhat.io", &signed_by(&other_key(), ""));
    let d = decide_with(&wrong, &image, Ok(noo_evidence(&[1, 2, 3, 4])));
    assert_eq!(d.verdict, Verdict::Rejected);
    assert_eq!(d.requirements[0].reason, R::NoAcceptedSignature);
    assert_eq!(signature_reasons(&d), [Reason::UnknownKey; 4]);

    let paths = format!(
        r#"{{"type":"signedBy","keyType":"GPGKeys","keyPaths":[{},{}]}}"#,
        serde_json::to_string(&other_key()).unwrap(),
        serde_json::to_string(&release_key()).unwrap()
    );
    let d = decide_with(
        &policy_with("registry.redhat.io", &paths),
        &image,
        Ok(noo_evidence(&[3])),
    );
    assert_eq!(d.verdict, Verdict::Accepted);

    use base64::Engine as _;
    let data =
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(release_key()).unwrap());
    let by_data = format!(r#"{{"type":"signedBy","keyType":"GPGKeys","keyData":"{data}"}}"#);
    let d = decide_with(
        &policy_with("registry.redhat.io", &by_data),
        &image,
        Ok(noo_evidence(&[3])),
    );
    assert_eq!(d.verdict, Verdict::Accepted);
    let len = std::fs::metadata(release_key()).unwrap().len();
    assert_eq!(d.requirements[0].keys, [format!("keyData ({len} bytes)")]);
}

#[test]
fn missing_signatures_tampering_and_unreadable_inputs() {
    let image = format!("registry.redhat.io/{NOO}:0.0.1");
    let p = policy_with("registry.redhat.io", &signed_by(&release_key(), ""));

    let d = decide_with(&p, &image, Ok(noo_evidence(&[])));
    assert_eq!(d.verdict, Verdict::Rejected);
    assert_eq!(d.requirements[0].reason, R::NoSignatures);

    let mut tampered = noo_evidence(&[3]);
    let mid = tampered.signatures[0].bytes.len() / 2;
    tampered.signatures[0].bytes[mid] ^= 0x55;
    let d = decide_with(&p, &image, Ok(tampered));
    assert_eq!(d.verdict, Verdict::Rejected);
    assert_ne!(signature_reasons(&d), [Reason::Ok]);

    let d = decide_with(&p, &image, Err("connection refused".into()));
    assert_eq!(d.verdict, Verdict::CannotDecide);
    assert_eq!(d.requirements[0].result, Outcome::Error);
    assert_eq!(d.requirements[0].reason, R::FetchFailed);
    assert_eq!(d.status.exit_code(), 2);

    // A digest reference whose manifest does not match: refused before
    // any signature is looked at.
    let other = format!("registry.redhat.io/{NOO}@sha256:{}", "0".repeat(64));
    let d = decide_with(&p, &other, Ok(noo_evidence(&[3])));
    assert_eq!(d.verdict, Verdict::CannotDecide);
    assert!(
        d.requirements[0]
            .message
            .contains("does not match the digest"),
        "{d:#?}"
    );

    let missing = policy_with("registry.redhat.io", &signed_by("/nonexistent/key.gpg", ""));
    let d = decide_with(&missing, &image, Ok(noo_evidence(&[3])));
    assert_eq!(d.verdict, Verdict::CannotDecide);
    assert_eq!(d.requirements[0].reason, R::KeysUnavailable);
    assert!(d.requirements[0].message.contains("/nonexistent/key.gpg"));
}

#[test]
fn keys_are_read_under_the_root() {
    let root = tempfile::tempdir().unwrap();
    let node_path = root
        .path()
        .join("etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release");
    std::fs::create_dir_all(node_path.parent().unwrap()).unwrap();
    std::fs::copy(release_key(), &node_path).unwrap();
    let p = policy_with(
        "registry.redhat.io",
        &signed_by("/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release", ""),
    );
    let image = eval::image_reference(&format!("registry.redhat.io/{NOO}:0.0.1")).unwrap();
    let opts = EvalOptions {
        at: SystemTime::now(),
        judged_now: true,
        root: Some(root.path()),
    };
    let d = eval::evaluate(&p, &image, &opts, &mut || Ok(noo_evidence(&[3])));
    assert_eq!(d.verdict, Verdict::Accepted, "{d:#?}");
    assert_eq!(d.requirements[0].keys, [node_path.display().to_string()]);
}

#[test]
fn insecure_and_reject_need_no_evidence() {
    let p = Policy::parse(
        br#"{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"quay.io/bad":[{"type":"reject"}]}}}"#,
        "p",
    )
    .unwrap();
    let never = || -> Result<Evidence, String> { panic!("no evidence is needed") };
    let d = decide_with_fetch(&p, "quay.io/good/app", never);
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(d.image, "quay.io/good/app:latest");
    assert_eq!(d.scope.path, "default");
    assert_eq!(d.requirements[0].reason, R::InsecureAcceptAnything);
    let d = decide_with_fetch(&p, "quay.io/bad/app:1", never);
    assert_eq!(d.verdict, Verdict::Rejected);
    assert_eq!(d.requirements[0].reason, R::Reject);
    assert_eq!(d.scope.path, r#"transports.docker["quay.io/bad"]"#);
}

fn decide_with_fetch(
    policy: &Policy,
    image: &str,
    mut fetch: impl FnMut() -> Result<Evidence, String>,
) -> Decision {
    let image = eval::image_reference(image).unwrap();
    let opts = EvalOptions {
        at: SystemTime::now(),
        judged_now: true,
        root: None,
    };
    eval::evaluate(policy, &image, &opts, &mut fetch)
}

#[test]
fn image_arguments_like_the_docker_transport() {
    assert_eq!(
        eval::image_reference("busybox").unwrap().to_string(),
        "docker.io/library/busybox:latest"
    );
    assert!(eval::image_reference(&format!("a/b:1@{NOO_DIGEST}")).is_err());
    assert!(eval::image_reference("UPPER").is_err());
}

/// containers/image's own example policy: the scope each image gets and
/// what each requirement type decides (no signatures are needed to reach
/// these verdicts, or the evidence is refused).
#[test]
fn containers_image_fixture_policy_scopes_and_verdicts() {
    let path = fixtures().join("containers-image/signature/policy.json");
    let p = Policy::load(&path).unwrap();
    let no_evidence = || -> Result<Evidence, String> { Err("no registry in this test".into()) };
    let cases: &[(&str, Option<&str>, Verdict, R)] = &[
        (
            "example.com/playground/app:1",
            Some("example.com/playground"),
            Verdict::Accepted,
            R::InsecureAcceptAnything,
        ),
        (
            "example.com/production/app:1",
            Some("example.com/production"),
            Verdict::CannotDecide,
            R::KeysUnavailable,
        ),
        (
            "example.com/hardened-x509:1",
            Some("example.com/hardened-x509"),
            Verdict::Rejected,
            R::UnsupportedKeyType,
        ),
        (
            "example.com/sigstore/key-data-example:1",
            Some("example.com/sigstore/key-data-example"),
            Verdict::CannotDecide,
            R::KeysUnavailable,
        ),
        (
            "registry.access.redhat.com/rhel7:latest",
            Some("registry.access.redhat.com"),
            Verdict::Rejected,
            R::UnsupportedKeyType,
        ),
        (
            "foo.access.redhat.com/a/b:1",
            Some("*.access.redhat.com"),
            Verdict::Rejected,
            R::UnsupportedKeyType,
        ),
        (
            "foo.redhat.com/a/b:1",
            Some("*.redhat.com"),
            Verdict::Rejected,
            R::UnsupportedKeyType,
        ),
        (
            "example.com/other:1",
            Some("*.com"),
            Verdict::Rejected,
            R::UnsupportedKeyType,
        ),
        (
            "registry.redhat.io/beta/app:1",
            Some("registry.redhat.io/beta"),
            Verdict::CannotDecide,
            R::KeysUnavailable,
        ),
        (
            "private-mirror:5000/vendor-mirror/app:1",
            Some("private-mirror:5000/vendor-mirror"),
            Verdict::CannotDecide,
            R::KeysUnavailable,
        ),
        (
            "docker.io/library/busybox:latest",
            None,
            Verdict::Rejected,
            R::Reject,
        ),
        // "bogus/…" scopes are not fully qualified: they never match.
        (
            "bogus/key-data-example:1",
            None,
            Verdict::Rejected,
            R::Reject,
        ),
    ];
    for (image, scope, verdict, reason) in cases {
        let d = decide_with_fetch(&p, image, no_evidence);
        assert_eq!(d.scope.scope.as_deref(), *scope, "{image}");
        assert_eq!(d.verdict, *verdict, "{image}: {d:#?}");
        assert_eq!(d.requirements[0].reason, *reason, "{image}");
    }
    // example.com/hardened: matchRepository with an unreadable key, then
    // an unimplemented keyType, then signedBaseLayer: all three reported.
    let d = decide_with_fetch(&p, "example.com/hardened:1", no_evidence);
    let reasons: Vec<R> = d.requirements.iter().map(|r| r.reason).collect();
    assert_eq!(
        reasons,
        [R::KeysUnavailable, R::UnsupportedKeyType, R::NotImplemented]
    );
    assert_eq!(d.verdict, Verdict::Rejected);
}

/// Red Hat's documented policy (oc-mirror's copy): release key 2 for Red
/// Hat's registries, the ISV key for the operator indexes, anything else.
#[test]
fn policy_examples_scopes() {
    let p = Policy::load(&fixtures().join("policy-examples/policy.json")).unwrap();
    let scope = |image: &str| {
        let r = eval::image_reference(image).unwrap();
        eval::requirements_for(&p, &r).0.scope
    };
    assert_eq!(
        scope("registry.redhat.io/redhat/certified-operator-index:v4.14").as_deref(),
        Some("registry.redhat.io/redhat/certified-operator-index")
    );
    assert_eq!(
        scope(&format!("registry.redhat.io/{NOO}:0.0.1")).as_deref(),
        Some("registry.redhat.io")
    );
    assert_eq!(
        scope("registry.access.redhat.com/ubi9:latest").as_deref(),
        Some("registry.access.redhat.com")
    );
    assert_eq!(
        scope("quay.io/openshift-release-dev/openshift-release-dev:4.15").as_deref(),
        Some("quay.io/openshift-release-dev/openshift-release-dev")
    );
    assert_eq!(
        scope("quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64"),
        None
    );

    let no_evidence =
        || -> Result<Evidence, String> { panic!("insecureAcceptAnything needs none") };
    let d = decide_with_fetch(
        &p,
        "quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64",
        no_evidence,
    );
    assert_eq!(d.verdict, Verdict::Accepted);
}
