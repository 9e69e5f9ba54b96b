//! Sigstore (cosign) signatures through the binary: every row of the
//! verdict table of `fixtures/sigstore/README.md` (containers/image's own
//! verdicts on its fixtures), each through `relsig verify dir:` and
//! `relsig policy check IMAGE --manifest … --signature-dir …`, with the
//! mutations made at test time on copies; the invalid policies through
//! `policy lint` and `policy check`; Red Hat release key 3; and the real
//! policies that require sigstore (MicroShift's, the RHEL draft).

use crate::common::{Run, fixtures, relsig, s};
use base64::Engine as _;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const SIGSTORE_PREFIX: &[u8] = b"\x00sigstore-json\n";
const SAMPLE: &str = "192.168.64.2:5000/cosign-signed-single-sample";

/// Asserts a `verify --output json` run of one image ended with `reason`
/// and `code`.
#[track_caller]
fn assert_image(run: &Run, reason: &str, code: i32) {
    let image = run.image();
    assert_eq!(image["reason"], reason, "reason: {run:?}");
    assert_eq!(image["verified"], reason == "ok", "verified: {run:?}");
    assert_eq!(run.code, code, "exit code: {run:?}");
}

fn ci(name: &str) -> PathBuf {
    fixtures().join("sigstore/containers-image").join(name)
}

fn redhat(name: &str) -> PathBuf {
    fixtures().join("sigstore/redhat").join(name)
}

/// A copy of a `dir:` image (manifest and signatures) to mutate.
fn copy_image(src: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

/// Rewrites `signature-N` of `dir` (containers/image's on-disk sigstore
/// form) through `f` on its JSON.
fn mutate(dir: &Path, n: usize, f: impl FnOnce(&mut Value)) {
    let path = dir.join(format!("signature-{n}"));
    let bytes = std::fs::read(&path).unwrap();
    let mut v: Value = serde_json::from_slice(&bytes[SIGSTORE_PREFIX.len()..]).unwrap();
    f(&mut v);
    let mut out = SIGSTORE_PREFIX.to_vec();
    out.extend(serde_json::to_vec(&v).unwrap());
    std::fs::write(path, out).unwrap();
}

fn annotation(dir: &Path, n: usize, name: &str) -> String {
    let bytes = std::fs::read(dir.join(format!("signature-{n}"))).unwrap();
    let v: Value = serde_json::from_slice(&bytes[SIGSTORE_PREFIX.len()..]).unwrap();
    v["annotations"][name].as_str().unwrap().to_string()
}

const SIG: &str = "dev.cosignproject.cosign/signature";
const BUNDLE: &str = "dev.sigstore.cosign/bundle";
const CERT: &str = "dev.sigstore.cosign/certificate";
const CHAIN: &str = "dev.sigstore.cosign/chain";

/// What the signed identity must be.
#[derive(Clone, Copy)]
enum Id<'a> {
    /// matchRepository, image REPO (`--identity-repository REPO`).
    Repo(&'a str),
    /// matchExact, image REF (`--identity REF`).
    Exact(&'a str),
}

impl Id<'_> {
    fn image(self) -> String {
        match self {
            Id::Repo(r) => r.to_string(),
            Id::Exact(r) => r.to_string(),
        }
    }

    fn signed_identity(self) -> Value {
        match self {
            Id::Repo(_) => json!({"type": "matchRepository"}),
            Id::Exact(_) => json!({"type": "matchExact"}),
        }
    }

    fn verify_args(self) -> Vec<String> {
        match self {
            Id::Repo(r) => vec!["--identity-repository".into(), r.into()],
            Id::Exact(r) => vec!["--identity".into(), r.into()],
        }
    }
}

/// Public keys, optionally with Rekor keys.
struct Keys {
    keys: Vec<PathBuf>,
    rekor: Vec<PathBuf>,
}

fn keys(keys: &[&str]) -> Keys {
    Keys {
        keys: keys.iter().map(|k| ci(k)).collect(),
        rekor: Vec::new(),
    }
}

fn keys_rekor(k: &[&str], rekor: &str) -> Keys {
    Keys {
        rekor: vec![ci(rekor)],
        ..keys(k)
    }
}

impl Keys {
    fn requirement(&self) -> Value {
        let mut r = json!({"type": "sigstoreSigned"});
        match self.keys.as_slice() {
            [one] => r["keyPath"] = json!(s(one)),
            many => r["keyPaths"] = json!(many.iter().map(|p| s(p)).collect::<Vec<_>>()),
        }
        match self.rekor.as_slice() {
            [] => {}
            [one] => r["rekorPublicKeyPath"] = json!(s(one)),
            many => r["rekorPublicKeyPaths"] = json!(many.iter().map(|p| s(p)).collect::<Vec<_>>()),
        }
        r
    }
}

/// `policy check` of `image` with a policy of one requirement for every
/// docker image, the manifest and signatures of the `dir:` image `dir`.
fn policy_check(dir: &Path, image: &str, requirement: Value) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("policy.json");
    let doc =
        json!({"default": [{"type": "reject"}], "transports": {"docker": {"": [requirement]}}});
    std::fs::write(&policy, serde_json::to_vec(&doc).unwrap()).unwrap();
    relsig(&[
        "policy",
        "check",
        image,
        "--policy",
        s(&policy),
        "--manifest",
        s(&dir.join("manifest.json")),
        "--signature-dir",
        s(dir),
        "--output",
        "json",
    ])
}

/// `verify dir:DIR` with the identity and keys.
fn verify_dir(dir: &Path, id: Id<'_>, k: &Keys) -> Run {
    let mut args: Vec<String> = vec!["verify".into(), format!("dir:{}", s(dir))];
    args.extend(id.verify_args());
    for key in &k.keys {
        args.extend(["--sigstore-key".into(), s(key).into()]);
    }
    for key in &k.rekor {
        args.extend(["--rekor-key".into(), s(key).into()]);
    }
    args.extend(["--output".into(), "json".into()]);
    relsig(&args)
}

/// Both commands give containers/image's verdict; a rejection by
/// `verify` has `reason`.
#[track_caller]
fn expect(dir: &Path, id: Id<'_>, k: &Keys, accepted: bool, reason: &str) {
    let mut req = k.requirement();
    req["signedIdentity"] = id.signed_identity();
    expect_policy(dir, &id.image(), req, accepted);
    let run = verify_dir(dir, id, k);
    if accepted {
        assert_image(&run, "ok", 0);
        assert_eq!(run.image()["accepted"]["mechanism"], "sigstore", "{run:?}");
    } else {
        assert_image(&run, reason, 1);
    }
}

#[track_caller]
fn expect_policy(dir: &Path, image: &str, requirement: Value, accepted: bool) {
    let run = policy_check(dir, image, requirement);
    let verdict = if accepted { "accepted" } else { "rejected" };
    assert_eq!(run.json()["verdict"], verdict, "{run:?}");
    assert_eq!(run.code, if accepted { 0 } else { 1 }, "{run:?}");
}

#[test]
fn valid_with_its_key_in_every_form() {
    let dir = ci("dir-img-cosign-valid");
    expect(&dir, Id::Repo(SAMPLE), &keys(&["cosign.pub"]), true, "ok");
    expect(
        &dir,
        Id::Repo(SAMPLE),
        &keys(&["cosign2.pub", "cosign.pub"]),
        true,
        "ok",
    );
    expect(
        &dir,
        Id::Repo(SAMPLE),
        &keys(&["cosign.pub", "cosign2.pub"]),
        true,
        "ok",
    );
    let data =
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(ci("cosign.pub")).unwrap());
    let req = json!({"type": "sigstoreSigned", "keyData": data, "signedIdentity": {"type": "matchRepository"}});
    expect_policy(&dir, SAMPLE, req, true);
    let req = json!({"type": "sigstoreSigned", "keyDatas": [data], "signedIdentity": {"type": "matchRepository"}});
    expect_policy(&dir, SAMPLE, req, true);
}

#[test]
fn valid_with_another_key_or_an_exact_identity_is_rejected() {
    let dir = ci("dir-img-cosign-valid");
    expect(
        &dir,
        Id::Repo(SAMPLE),
        &keys(&["cosign2.pub"]),
        false,
        "unknown-key",
    );
    // cosign signs the repository, no tag.
    let tagged = format!("{SAMPLE}:latest");
    expect(
        &dir,
        Id::Exact(&tagged),
        &keys(&["cosign.pub"]),
        false,
        "identity-mismatch",
    );
}

#[test]
fn signature_annotation_removed_altered_or_damaged_is_rejected() {
    let src = ci("dir-img-cosign-valid");
    let good = annotation(&src, 1, SIG);
    let variants: Vec<(&str, Option<String>, &str)> = vec![
        ("removed", None, "not-signed"),
        (
            "altered",
            Some(format!("{}A{}", &good[..10], &good[11..])),
            "unknown-key",
        ),
        (
            "truncated",
            Some(good[..good.len() - 4].to_string()),
            "unknown-key",
        ),
        ("padded", Some(format!("{good}====")), "bad-signature"),
        ("not base64", Some("!!!!".into()), "bad-signature"),
    ];
    for (what, value, reason) in variants {
        let dir = copy_image(&src);
        mutate(dir.path(), 1, |v| match &value {
            None => {
                v["annotations"].as_object_mut().unwrap().remove(SIG);
            }
            Some(s) => v["annotations"][SIG] = json!(s),
        });
        eprintln!("signature annotation {what}");
        expect(
            dir.path(),
            Id::Repo(SAMPLE),
            &keys(&["cosign.pub"]),
            false,
            reason,
        );
    }
    // The payload altered: the signature no longer covers it.
    let dir = copy_image(&src);
    mutate(dir.path(), 1, |v| {
        let p = base64::engine::general_purpose::STANDARD
            .decode(v["payload"].as_str().unwrap())
            .unwrap();
        let p = String::from_utf8(p)
            .unwrap()
            .replace("single-sample", "single-sampl3");
        v["payload"] = json!(base64::engine::general_purpose::STANDARD.encode(p));
    });
    expect(
        dir.path(),
        Id::Repo(SAMPLE),
        &keys(&["cosign.pub"]),
        false,
        "unknown-key",
    );
}

#[test]
fn unknown_key_signature_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(ci("image.manifest.json"), dir.path().join("manifest.json")).unwrap();
    std::fs::copy(
        ci("unknown-cosign-key.signature"),
        dir.path().join("signature-1"),
    )
    .unwrap();
    expect(
        dir.path(),
        Id::Repo(SAMPLE),
        &keys(&["cosign.pub"]),
        false,
        "unknown-key",
    );
}

#[test]
fn two_signatures_and_mixed_keys() {
    let dir = ci("dir-img-cosign-valid-2");
    expect(&dir, Id::Repo(SAMPLE), &keys(&["cosign.pub"]), true, "ok");
    expect(
        &dir,
        Id::Repo("this/does-not"),
        &keys(&["cosign.pub"]),
        false,
        "identity-mismatch",
    );
    let mixed = ci("dir-img-cosign-mixed");
    expect(&mixed, Id::Repo(SAMPLE), &keys(&["cosign.pub"]), true, "ok");
}

#[test]
fn manifest_problems_are_rejected() {
    let k = keys(&["cosign.pub"]);
    expect(
        &ci("dir-img-cosign-modified-manifest"),
        Id::Repo(SAMPLE),
        &k,
        false,
        "digest-mismatch",
    );
    // A schema-1 manifest with a broken JWS: its digest cannot be
    // computed, so every signature is rejected, as containers/image
    // rejects them.
    let broken = ci("dir-img-cosign-manifest-digest-error");
    assert_image(
        &verify_dir(&broken, Id::Repo(SAMPLE), &k),
        "invalid-manifest",
        1,
    );
    let run = policy_check(&broken, SAMPLE, k.requirement());
    assert_eq!(run.json()["verdict"], "rejected", "{run:?}");
    assert_eq!(
        run.json()["requirements"][0]["reason"],
        "invalid-manifest",
        "{run:?}"
    );
    assert_eq!(run.code, 1, "{run:?}");
    // No manifest: verify rejects the image; policy check cannot read
    // its --manifest (exit 2), and accepts nothing.
    let none = ci("dir-img-cosign-no-manifest");
    assert_image(
        &verify_dir(&none, Id::Repo(SAMPLE), &k),
        "invalid-manifest",
        1,
    );
    let run = policy_check(&none, SAMPLE, k.requirement());
    assert_ne!(run.json()["verdict"], "accepted", "{run:?}");
    assert_ne!(run.code, 0, "{run:?}");
}

#[test]
fn no_sigstore_signature_is_rejected() {
    let k = keys(&["cosign.pub"]);
    // Only a text/plain attachment.
    expect(
        &ci("dir-img-cosign-other-attachment"),
        Id::Repo(SAMPLE),
        &k,
        false,
        "not-signed",
    );
    expect(
        &ci("dir-img-unsigned"),
        Id::Repo(SAMPLE),
        &k,
        false,
        "no-signatures",
    );
    // GPG signatures only: no GPG key is trusted with --sigstore-key alone.
    expect(
        &ci("dir-img-valid"),
        Id::Repo(SAMPLE),
        &k,
        false,
        "unknown-key",
    );
    let run = policy_check(&ci("dir-img-valid"), SAMPLE, k.requirement());
    let req = &run.json()["requirements"][0];
    assert_eq!(req["reason"], "no-signatures", "{run:?}");
    assert!(
        req["message"]
            .as_str()
            .unwrap()
            .contains("1 gpg signatures"),
        "{run:?}"
    );
}

#[test]
fn valid_with_tag_and_exact_identity() {
    let dir = ci("dir-img-cosign-valid-with-tag");
    let k = keys(&["cosign.pub"]);
    expect(
        &dir,
        Id::Exact("192.168.64.2:5000/skopeo-signed:tag"),
        &k,
        true,
        "ok",
    );
    expect(
        &dir,
        Id::Exact("192.168.64.2:5000/skopeo-signed:othertag"),
        &k,
        false,
        "identity-mismatch",
    );
}

#[test]
fn key_with_rekor() {
    let dir = ci("dir-img-cosign-key-rekor-valid");
    let id = Id::Repo("192.168.64.2:5000/cosign-signed/key-1");
    expect(
        &dir,
        id,
        &keys_rekor(&["cosign2.pub"], "rekor.pub"),
        true,
        "ok",
    );
    let run = verify_dir(&dir, id, &keys_rekor(&["cosign2.pub"], "rekor.pub"));
    assert_eq!(run.image()["accepted"]["rekor_integrated_time"], 1674251859);
    // The Rekor key is another key: the SET does not verify.
    expect(
        &dir,
        id,
        &keys_rekor(&["cosign2.pub"], "cosign.pub"),
        false,
        "rekor-set-invalid",
    );
    // SET removed, or not a SET.
    for value in [
        None,
        Some(json!("not a SET")),
        Some(json!("{\"SignedEntryTimestamp\":\"\",\"Payload\":{}}")),
    ] {
        let copy = copy_image(&dir);
        mutate(copy.path(), 1, |v| match &value {
            None => {
                v["annotations"].as_object_mut().unwrap().remove(BUNDLE);
            }
            Some(s) => v["annotations"][BUNDLE] = s.clone(),
        });
        expect(
            copy.path(),
            id,
            &keys_rekor(&["cosign2.pub"], "rekor.pub"),
            false,
            "rekor-set-invalid",
        );
    }
    // Without a Rekor key the SET is not needed.
    expect(&dir, id, &keys(&["cosign2.pub"]), true, "ok");
}

#[test]
fn a_set_grafted_from_another_signature_is_rejected() {
    let set = annotation(&ci("dir-img-cosign-key-rekor-valid"), 1, BUNDLE);
    let copy = copy_image(&ci("dir-img-cosign-valid"));
    mutate(copy.path(), 1, |v| v["annotations"][BUNDLE] = json!(set));
    // The SET names cosign2.pub, not the trusted cosign.pub.
    expect(
        copy.path(),
        Id::Repo(SAMPLE),
        &keys_rekor(&["cosign.pub"], "rekor.pub"),
        false,
        "unknown-key",
    );
    // Trusting both keys: the SET's key is cosign2.pub, whose entry is for
    // another signature and payload.
    expect(
        copy.path(),
        Id::Repo(SAMPLE),
        &keys_rekor(&["cosign.pub", "cosign2.pub"], "rekor.pub"),
        false,
        "rekor-set-invalid",
    );
}

/// Both commands give containers/image's verdict for a certificate trust
/// (`fulcio` or `pki`): `policy check` with `requirement`, and `verify
/// dir:` with the options that say the same.
#[track_caller]
fn expect_certificates(dir: &Path, image: &str, requirement: Value, accepted: bool) {
    expect_policy(dir, image, requirement.clone(), accepted);
    let mut args: Vec<String> = vec![
        "verify".into(),
        format!("dir:{}", s(dir)),
        "--identity-repository".into(),
        image.into(),
        "--output".into(),
        "json".into(),
    ];
    let mut option = |name: &str, value: &Value| {
        if let Some(v) = value.as_str() {
            args.extend([name.to_string(), v.to_string()]);
        }
    };
    let (f, p) = (&requirement["fulcio"], &requirement["pki"]);
    option("--fulcio-ca", &f["caPath"]);
    option("--oidc-issuer", &f["oidcIssuer"]);
    option("--subject-email", &f["subjectEmail"]);
    option("--rekor-key", &requirement["rekorPublicKeyPath"]);
    option("--pki-roots", &p["caRootsPath"]);
    option("--pki-intermediates", &p["caIntermediatesPath"]);
    option("--subject-email", &p["subjectEmail"]);
    option("--subject-hostname", &p["subjectHostname"]);
    let run = relsig(&args);
    assert_eq!(run.image()["verified"], accepted, "{run:?}");
    assert_eq!(run.code, if accepted { 0 } else { 1 }, "{run:?}");
}

fn fulcio(email: &str) -> Value {
    json!({
        "type": "sigstoreSigned",
        "fulcio": {"caPath": s(&ci("fulcio_v1.crt.pem")), "oidcIssuer": "https://github.com/login/oauth", "subjectEmail": email},
        "rekorPublicKeyPath": s(&ci("rekor.pub")),
        "signedIdentity": {"type": "matchRepository"},
    })
}

const FULCIO_IMAGE: &str = "192.168.64.2:5000/cosign-signed/fulcio-rekor-1";

#[test]
fn fulcio_with_rekor() {
    let dir = ci("dir-img-cosign-fulcio-rekor-valid");
    expect_certificates(&dir, FULCIO_IMAGE, fulcio("mitr@redhat.com"), true);
    let run = policy_check(&dir, FULCIO_IMAGE, fulcio("mitr@redhat.com"));
    let sig = &run.json()["requirements"][0]["signatures"][0];
    assert_eq!(sig["certificate_identity"], "mitr@redhat.com", "{run:?}");
    expect_certificates(&dir, FULCIO_IMAGE, fulcio("someone@example.com"), false);
    for removed in [BUNDLE, CERT, CHAIN] {
        let copy = copy_image(&dir);
        mutate(copy.path(), 1, |v| {
            v["annotations"].as_object_mut().unwrap().remove(removed);
        });
        eprintln!("{removed} removed");
        expect_certificates(copy.path(), FULCIO_IMAGE, fulcio("mitr@redhat.com"), false);
    }
}

fn pki() -> Value {
    json!({
        "type": "sigstoreSigned",
        "pki": {
            "caRootsPath": s(&ci("pki_root_crts.pem")),
            "caIntermediatesPath": s(&ci("pki_intermediate_crts.pem")),
            "subjectEmail": "qiwan@redhat.com",
            "subjectHostname": "myhost.example.com",
        },
        "signedIdentity": {"type": "matchRepository"},
    })
}

#[test]
fn pki_roots() {
    let dir = ci("dir-img-cosign-pki-valid");
    expect_certificates(&dir, "localhost:5000/test", pki(), true);
    let mut other = pki();
    other["pki"]["subjectHostname"] = json!("otherhost.example.com");
    expect_certificates(&dir, "localhost:5000/test", other, false);
    let mut other = pki();
    other["pki"]["subjectEmail"] = json!("someone@example.com");
    expect_certificates(&dir, "localhost:5000/test", other, false);
    // The signature's chain annotation carries the intermediate: without
    // the configured intermediates it still chains; without both, not.
    let mut no_intermediates = pki();
    no_intermediates["pki"]
        .as_object_mut()
        .unwrap()
        .remove("caIntermediatesPath");
    expect_certificates(&dir, "localhost:5000/test", no_intermediates.clone(), true);
    let copy = copy_image(&dir);
    mutate(copy.path(), 1, |v| {
        v["annotations"].as_object_mut().unwrap().remove(CHAIN);
    });
    expect_certificates(copy.path(), "localhost:5000/test", pki(), true);
    expect_certificates(copy.path(), "localhost:5000/test", no_intermediates, false);
    // The certificate removed.
    let copy = copy_image(&dir);
    mutate(copy.path(), 1, |v| {
        v["annotations"].as_object_mut().unwrap().remove(CERT);
    });
    expect_certificates(copy.path(), "localhost:5000/test", pki(), false);
}

#[test]
fn invalid_policies_are_refused_by_lint_and_check() {
    let cosign = s(&ci("cosign.pub")).to_string();
    let rekor = s(&ci("rekor.pub")).to_string();
    let f = fulcio("mitr@redhat.com")["fulcio"].clone();
    let p = pki()["pki"].clone();
    let cases = [
        (
            "two key sources",
            json!({"type": "sigstoreSigned", "keyPath": cosign, "keyData": "eA=="}),
            "exactly one of keyPath",
        ),
        (
            "pki with Rekor",
            json!({"type": "sigstoreSigned", "pki": p, "rekorPublicKeyPath": rekor}),
            "cannot be used with pki",
        ),
        (
            "fulcio and pki",
            json!({"type": "sigstoreSigned", "fulcio": f, "pki": p, "rekorPublicKeyPath": rekor}),
            "exactly one of keyPath",
        ),
        (
            "key and fulcio",
            json!({"type": "sigstoreSigned", "keyPath": cosign, "fulcio": f, "rekorPublicKeyPath": rekor}),
            "exactly one of keyPath",
        ),
        (
            "fulcio without Rekor",
            json!({"type": "sigstoreSigned", "fulcio": f}),
            "fulcio needs a Rekor public key",
        ),
        (
            "RSA Rekor key",
            json!({"type": "sigstoreSigned", "keyPath": cosign, "rekorPublicKeyPath": s(&ci("some-rsa-key.pub"))}),
            "must be ECDSA",
        ),
        (
            "unreadable key",
            json!({"type": "sigstoreSigned", "keyPath": "/nonexistent/key.pub"}),
            "cannot read key file /nonexistent/key.pub",
        ),
        (
            "not a key",
            json!({"type": "sigstoreSigned", "keyPath": s(&ci("image.manifest.json"))}),
            "not a usable public key",
        ),
        (
            "no key source",
            json!({"type": "sigstoreSigned"}),
            "none is present",
        ),
    ];
    for (what, req, message) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let policy = tmp.path().join("policy.json");
        let doc =
            json!({"default": [{"type": "reject"}], "transports": {"docker": {"": [req.clone()]}}});
        std::fs::write(&policy, serde_json::to_vec(&doc).unwrap()).unwrap();
        let lint = relsig(&["policy", "lint", "--policy", s(&policy)]);
        assert_eq!(lint.code, 2, "{what}: {lint:?}");
        assert!(
            lint.stdout.contains(message) || lint.stderr.contains(message),
            "{what}: {message}: {lint:?}"
        );
        let dir = ci("dir-img-cosign-valid");
        let check = policy_check(&dir, SAMPLE, req);
        assert_eq!(check.code, 2, "{what}: {check:?}");
    }
}

#[test]
fn red_hat_release_key_3_is_built_in() {
    let builtin = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/SIGSTORE-redhat-release3.pem"),
    )
    .unwrap();
    assert_eq!(
        relsig::signature::sigstore::REDHAT_RELEASE_KEY_3,
        builtin.as_bytes()
    );
    // The keyData of OpenShift 4.21's default ClusterImagePolicy.
    let key_data = |file: &str| {
        let yaml = std::fs::read_to_string(redhat(file)).unwrap();
        let line = yaml
            .lines()
            .find(|l| l.trim_start().starts_with("keyData:"))
            .unwrap();
        let b64 = line.split_once(':').unwrap().1.trim().trim_matches('"');
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
    };
    let cip = key_data("clusterimagepolicy-openshift-4.21.yaml");
    assert_eq!(
        String::from_utf8(cip).unwrap().trim_end(),
        builtin.trim_end()
    );
    // The 2024-07 pre-release key is another key.
    let pre = key_data("clusterimagepolicy-openshift-2024-07-prerelease-key.yaml");
    assert_ne!(
        String::from_utf8(pre).unwrap().trim_end(),
        builtin.trim_end()
    );
}

/// A cosign-style signature of `payload` by a fresh RSA-4096 key: the
/// on-disk signature and the key's PEM.
fn rsa_signed(payload: &[u8]) -> (Vec<u8>, String) {
    use rsa::pkcs8::EncodePublicKey as _;
    use rsa::signature::{SignatureEncoding as _, Signer as _};
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 4096).unwrap();
    let pem = key
        .to_public_key()
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap();
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key);
    let sig = signer.sign(payload).to_vec();
    let doc = json!({
        "mimeType": "application/vnd.dev.cosign.simplesigning.v1+json",
        "payload": base64::engine::general_purpose::STANDARD.encode(payload),
        "annotations": {SIG: base64::engine::general_purpose::STANDARD.encode(sig)},
    });
    let mut out = SIGSTORE_PREFIX.to_vec();
    out.extend(serde_json::to_vec(&doc).unwrap());
    (out, pem)
}

#[test]
fn another_rsa_4096_key_is_unknown_and_the_pre_release_key_is_not_trusted() {
    let src = ci("dir-img-cosign-valid");
    let payload = {
        let bytes = std::fs::read(src.join("signature-1")).unwrap();
        let v: Value = serde_json::from_slice(&bytes[SIGSTORE_PREFIX.len()..]).unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(v["payload"].as_str().unwrap())
            .unwrap()
    };
    let (signature, pem) = rsa_signed(&payload);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(src.join("manifest.json"), dir.path().join("manifest.json")).unwrap();
    std::fs::write(dir.path().join("signature-1"), &signature).unwrap();
    let key = dir.path().join("other.pub");
    std::fs::write(&key, pem).unwrap();
    let id = ["--identity-repository", SAMPLE, "--output", "json"];
    let image = format!("dir:{}", s(dir.path()));
    // With its own key it verifies: the signature is valid.
    let mut args = vec!["verify", &image, "--sigstore-key", s(&key)];
    args.extend(id);
    assert_image(&relsig(&args), "ok", 0);
    // The built-in keys (release key 3 for sigstore): unknown-key.
    let mut args = vec!["verify", &image];
    args.extend(id);
    assert_image(&relsig(&args), "unknown-key", 1);
    // Release key 3 given explicitly, and the pre-release key: the same.
    let release3 = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/SIGSTORE-redhat-release3.pem");
    let mut args = vec!["verify", &image, "--sigstore-key", s(&release3)];
    args.extend(id);
    assert_image(&relsig(&args), "unknown-key", 1);
    let pre = dir.path().join("pre.pub");
    let yaml = std::fs::read_to_string(redhat(
        "clusterimagepolicy-openshift-2024-07-prerelease-key.yaml",
    ))
    .unwrap();
    let b64 = yaml
        .lines()
        .find(|l| l.trim_start().starts_with("keyData:"))
        .unwrap()
        .split_once(':')
        .unwrap()
        .1
        .trim()
        .trim_matches('"')
        .to_string();
    std::fs::write(
        &pre,
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap();
    let mut args = vec!["verify", &image, "--sigstore-key", s(&pre)];
    args.extend(id);
    assert_image(&relsig(&args), "unknown-key", 1);
}

#[test]
fn require_says_which_mechanisms_must_verify() {
    let dir = ci("dir-img-cosign-valid");
    let image = format!("dir:{}", s(&dir));
    let key = ci("cosign.pub");
    let base = [
        "verify",
        &image,
        "--identity-repository",
        SAMPLE,
        "--sigstore-key",
        s(&key),
        "--output",
        "json",
    ];
    let with = |require: &str| {
        let mut a = base.to_vec();
        a.extend(["--require", require]);
        relsig(&a)
    };
    assert_image(&with("either"), "ok", 0);
    assert_image(&with("sigstore"), "ok", 0);
    let gpg = with("gpg");
    assert_image(&gpg, "no-signatures", 1);
    assert!(
        gpg.image()["message"]
            .as_str()
            .unwrap()
            .contains("no gpg signatures"),
        "{gpg:?}"
    );
    assert_image(&with("both"), "no-signatures", 1);
    let run = with("either");
    assert_eq!(
        run.image()["mechanisms"]["sigstore"],
        json!({"found": 1, "verified": 1})
    );
}

/// A root holding `keys` at the paths the policy names.
fn root_with(files: &[(&str, &Path)]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for (at, from) in files {
        let dest = root.path().join(at.trim_start_matches('/'));
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(from, dest).unwrap();
    }
    root
}

#[test]
fn microshift_and_rhel_policies_lint_clean_and_are_evaluated() {
    let key3 = redhat("SIGSTORE-redhat-release3.pem");
    let microshift = redhat("microshift-sigstore-policy.json");
    let root = root_with(&[("/etc/containers/RedHat_ReleaseKey3.pub", &key3)]);
    let lint = relsig(&[
        "policy",
        "lint",
        "--policy",
        s(&microshift),
        "--root",
        s(root.path()),
    ]);
    assert_eq!(lint.code, 0, "{lint:?}");
    // A registry.redhat.io image whose only signature is another key's:
    // evaluated (rejected), not "unsupported".
    let dir = ci("dir-img-cosign-valid");
    let run = relsig(&[
        "policy",
        "check",
        "registry.redhat.io/ubi9/ubi:latest",
        "--policy",
        s(&microshift),
        "--root",
        s(root.path()),
        "--manifest",
        s(&dir.join("manifest.json")),
        "--signature-dir",
        s(&dir),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    let req = &run.json()["requirements"][0];
    assert_eq!(req["type"], "sigstoreSigned");
    assert_eq!(req["reason"], "no-accepted-signature", "{run:?}");

    // The RHEL draft: release key 3 and a Rekor key.
    let draft = redhat("containers-common-draft-policy.json");
    let root = root_with(&[
        ("/etc/pki/sigstore/SIGSTORE-redhat-release3", &key3),
        ("/etc/pki/sigstore/REKOR-signing-key", &ci("rekor.pub")),
    ]);
    let lint = relsig(&[
        "policy",
        "lint",
        "--policy",
        s(&draft),
        "--root",
        s(root.path()),
    ]);
    assert_eq!(lint.code, 0, "{lint:?}");
    let run = relsig(&[
        "policy",
        "check",
        "registry.access.redhat.com/ubi9/ubi:latest",
        "--policy",
        s(&draft),
        "--root",
        s(root.path()),
        "--manifest",
        s(&dir.join("manifest.json")),
        "--signature-dir",
        s(&dir),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.json()["requirements"][0]["reason"],
        "no-accepted-signature",
        "{run:?}"
    );
    // Without the key files: lint names them.
    let empty = tempfile::tempdir().unwrap();
    let lint = relsig(&[
        "policy",
        "lint",
        "--policy",
        s(&draft),
        "--root",
        s(empty.path()),
    ]);
    assert_eq!(lint.code, 2, "{lint:?}");
    assert!(lint.stdout.contains("SIGSTORE-redhat-release3"), "{lint:?}");
}

#[test]
fn inspect_shows_a_sigstore_signature_unverified() {
    let run = relsig(&[
        "inspect",
        s(&ci("dir-img-cosign-key-rekor-valid/signature-1")),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("sigstore"), "{run:?}");
    assert!(
        run.stdout.contains("192.168.64.2:5000/cosign-signed/key-1"),
        "{run:?}"
    );
    assert!(
        run.stdout.to_lowercase().contains("unverified")
            || run.stdout.to_lowercase().contains("not verified"),
        "{run:?}"
    );
}

/// The trusts a hostile signature is opened with: keys, keys with Rekor,
/// Fulcio, PKI (containers/image's fixtures).
fn every_trust() -> Vec<relsig::signature::sigstore::Sigstore> {
    use relsig::signature::sigstore::certs::pool_from_pem;
    use relsig::signature::sigstore::{PublicKey, Sigstore, Trust};
    let key = |n: &str| PublicKey::from_pem(&std::fs::read(ci(n)).unwrap()).unwrap();
    let pem = |n: &str| pool_from_pem(&std::fs::read(ci(n)).unwrap());
    [
        Trust::Keys {
            keys: vec![key("cosign.pub"), key("cosign2.pub")],
            rekor: vec![],
        },
        Trust::Keys {
            keys: vec![key("cosign2.pub")],
            rekor: vec![key("rekor.pub")],
        },
        Trust::Fulcio {
            roots: pem("fulcio_v1.crt.pem"),
            oidc_issuer: "https://github.com/login/oauth".into(),
            subject_email: "mitr@redhat.com".into(),
            rekor: vec![key("rekor.pub")],
        },
        Trust::Pki {
            roots: pem("pki_root_crts.pem"),
            intermediates: pem("pki_intermediate_crts.pem"),
            subject_email: Some("qiwan@redhat.com".into()),
            subject_hostname: Some("myhost.example.com".into()),
        },
    ]
    .into_iter()
    .map(|trust| Sigstore { trust })
    .collect()
}

mod hostile {
    use super::*;
    use proptest::prelude::*;
    use relsig::signature::Mechanism as _;

    /// The real signatures whose parts the strategies damage.
    fn originals() -> Vec<Value> {
        [
            "dir-img-cosign-valid/signature-1",
            "dir-img-cosign-key-rekor-valid/signature-1",
            "dir-img-cosign-fulcio-rekor-valid/signature-1",
            "dir-img-cosign-pki-valid/signature-1",
        ]
        .iter()
        .map(|p| {
            let b = std::fs::read(ci(p)).unwrap();
            serde_json::from_slice(&b[SIGSTORE_PREFIX.len()..]).unwrap()
        })
        .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Any bytes after the prefix: refused, never a panic.
        #[test]
        fn arbitrary_bytes_are_refused(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut blob = SIGSTORE_PREFIX.to_vec();
            blob.extend(tail);
            for m in every_trust() {
                prop_assert!(m.open(&blob, std::time::SystemTime::now()).is_err());
            }
        }

        /// One annotation of a real signature with a bit flipped and cut
        /// short: checked with every trust without a panic.
        #[test]
        fn damaged_annotations_never_panic(
            which in 0usize..4,
            name in prop::sample::select(vec![SIG, BUNDLE, CERT, CHAIN]),
            cut in any::<prop::sample::Index>(),
            flip in any::<prop::sample::Index>(),
        ) {
            let mut v = originals()[which].clone();
            let value = v["annotations"][name].as_str().unwrap_or("").to_string();
            let mut bytes = value.into_bytes();
            if !bytes.is_empty() {
                let i = flip.index(bytes.len());
                bytes[i] ^= 0x01;
                bytes.truncate(cut.index(bytes.len() + 1).max(1));
            }
            v["annotations"][name] = json!(String::from_utf8_lossy(&bytes));
            let mut blob = SIGSTORE_PREFIX.to_vec();
            blob.extend(serde_json::to_vec(&v).unwrap());
            for m in every_trust() {
                let _ = m.open(&blob, std::time::SystemTime::now());
            }
        }
    }
}

#[test]
fn standalone_verify_names_a_sigstore_signature() {
    let dir = ci("dir-img-cosign-valid");
    let run = relsig(&[
        "standalone-verify",
        s(&dir.join("manifest.json")),
        SAMPLE,
        "any",
        s(&dir.join("signature-1")),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("looks like a sigstore (cosign) signature"),
        "{run:?}"
    );
}
