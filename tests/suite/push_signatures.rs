//! `relsig fetch --to-registry`: the verified sigstore signatures of an
//! image pushed to a mirror registry as its `.sig` attachment, end to end
//! between two real distribution registries on 127.0.0.1 (a source and a
//! mirror, both holding the noo image), with cosign signatures made at
//! test time by a trusted and an untrusted P-256 key.

use crate::common::cosign::{CosignKey, Layer, OCI_MANIFEST, push_attachment};
use crate::common::*;
use relsig::image::digest::Digest;
use relsig::image::reference::Reference;
use relsig::signature::sigstore::format::{SIGNATURE_ANNOTATION, SigstoreSignature};
use relsig::sources::attachments;
use relsig::sources::http::{HttpClient, HttpOptions};
use relsig::sources::registry::{Credentials, RegistryClient};

const REPO: &str = "app/signed";

/// A source registry whose image has a `.sig` with one layer by the
/// trusted key and one by another key, and a mirror holding the image.
struct Setup {
    source: Registry,
    mirror: Registry,
    trusted: CosignKey,
    untrusted: CosignKey,
    /// `SOURCE/app/signed@sha256:…`.
    image: String,
    /// The identity the signatures claim: `SOURCE/app/signed:1`.
    identity: String,
    dir: tempfile::TempDir,
}

impl Setup {
    fn start(mirror_user: Option<(&str, &str)>) -> Setup {
        let source = Registry::start(None);
        source.push(&noo_dir(), &format!("{REPO}:1"), None);
        let mirror = Registry::start(mirror_user);
        mirror.push(&noo_dir(), &format!("{REPO}:1"), mirror_user);
        Setup {
            image: source.image(&format!("{REPO}@{NOO_DIGEST}")),
            identity: source.image(&format!("{REPO}:1")),
            source,
            mirror,
            trusted: CosignKey::p256(),
            untrusted: CosignKey::p256(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A layer signed by `key` for the image's identity.
    fn layer(&self, key: &CosignKey) -> Layer {
        Layer::signed(key, &self.identity, NOO_DIGEST)
    }

    /// `relsig fetch IMAGE --sigstore-key TRUSTED --output json` and `extra`.
    fn fetch(&self, extra: &[&str]) -> Run {
        let mut args = vec![
            "fetch",
            &self.image,
            "--tls-verify=false",
            "--timeout",
            "20",
            "--sigstore-key",
            s(&self.trusted.public),
            "--output",
            "json",
        ];
        args.extend_from_slice(extra);
        relsig(&args)
    }

    /// `MIRROR/<repo>`.
    fn mirror_repo(&self, repo: &str) -> String {
        self.mirror.image(repo)
    }
}

fn client() -> RegistryClient {
    let http = HttpClient::new(HttpOptions {
        tls_verify: false,
        ..HttpOptions::default()
    })
    .unwrap();
    RegistryClient::new(http, Credentials::default())
}

/// The signatures of the `.sig` attachment of the noo image in `repository`.
fn attached(repository: &str) -> Vec<SigstoreSignature> {
    let digest: Digest = NOO_DIGEST.parse().unwrap();
    let mut found = Vec::new();
    attachments::registry_signatures(
        &client(),
        &Reference::parse(repository).unwrap(),
        &digest,
        &mut |s| found.push(SigstoreSignature::parse(&s.bytes).unwrap()),
    )
    .unwrap();
    found
}

/// The signature value (base64) of a layer or of a pushed signature.
fn signature_of(s: &SigstoreSignature) -> &str {
    s.annotation(SIGNATURE_ANNOTATION).unwrap()
}

#[track_caller]
fn assert_image(run: &Run, reason: &str, code: i32) {
    assert_eq!(run.image()["reason"], reason, "{run:?}");
    assert_eq!(run.code, code, "{run:?}");
}

#[test]
fn only_the_verified_signature_is_pushed_and_the_mirror_verifies_with_it() {
    let setup = Setup::start(None);
    let good = setup.layer(&setup.trusted);
    let other = setup.layer(&setup.untrusted);
    push_attachment(
        &setup.source,
        REPO,
        NOO_DIGEST,
        &[other.clone(), good.clone()],
    );
    let mirror = setup.mirror_repo(REPO);

    let run = setup.fetch(&["--to-registry", &mirror]);
    assert_image(&run, "ok", 0);
    let pushed = &run.image()["pushed"];
    assert_eq!(pushed["signatures"], 1, "{run:?}");
    assert_eq!(pushed["unchanged"], false, "{run:?}");
    assert_eq!(
        pushed["reference"],
        format!(
            "{mirror}:{}",
            crate::common::cosign::attachment_tag(NOO_DIGEST)
        ),
        "{run:?}"
    );

    // The mirror's attachment holds the trusted layer only, as it was.
    let there = attached(&mirror);
    assert_eq!(there.len(), 1);
    assert_eq!(there[0].payload, good.payload);
    assert_eq!(there[0].annotations, good.annotations);
    assert_ne!(
        signature_of(&there[0]),
        other.annotations[SIGNATURE_ANNOTATION]
    );

    // In cosign's shape: an OCI manifest with an OCI image config.
    let sig_ref = Reference::parse(pushed["reference"].as_str().unwrap()).unwrap();
    let manifest = client().get_manifest(&sig_ref).unwrap();
    assert_eq!(manifest.media_type.as_deref(), Some(OCI_MANIFEST));
    let manifest: serde_json::Value = serde_json::from_slice(&manifest.bytes).unwrap();
    assert_eq!(manifest["mediaType"], OCI_MANIFEST);
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.oci.image.config.v1+json"
    );
    assert_eq!(
        manifest["layers"][0]["mediaType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );

    // `verify` of the mirror image finds the signature in the mirror.
    let mirrored = setup.mirror.image(&format!("{REPO}@{NOO_DIGEST}"));
    let run = relsig(&[
        "verify",
        &mirrored,
        "--identity",
        &setup.identity,
        "--tls-verify=false",
        "--timeout",
        "20",
        "--sigstore-key",
        s(&setup.trusted.public),
        "--output",
        "json",
    ]);
    assert_image(&run, "ok", 0);
    let source = run.image()["accepted"]["source"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        source.starts_with(&format!("{mirror}:sha256-")),
        "{source}: {run:?}"
    );

    // Again: the mirror has it already, nothing is written.
    let run = setup.fetch(&["--to-registry", &mirror]);
    assert_image(&run, "ok", 0);
    assert_eq!(run.image()["pushed"]["unchanged"], true, "{run:?}");
    assert_eq!(attached(&mirror).len(), 1);
}

#[test]
fn an_image_without_a_verified_signature_pushes_nothing() {
    let setup = Setup::start(None);
    push_attachment(
        &setup.source,
        REPO,
        NOO_DIGEST,
        &[setup.layer(&setup.untrusted)],
    );
    let mirror = setup.mirror_repo(REPO);
    let run = setup.fetch(&["--to-registry", &mirror]);
    assert_image(&run, "unknown-key", 1);
    assert!(run.image().get("pushed").is_none(), "{run:?}");
    assert!(attached(&mirror).is_empty());

    // Text output says so.
    let run = relsig(&[
        "fetch",
        &setup.image,
        "--tls-verify=false",
        "--sigstore-key",
        s(&setup.trusted.public),
        "--to-registry",
        &mirror,
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("nothing pushed for {}", setup.image)),
        "{run:?}"
    );
    assert!(attached(&mirror).is_empty());
}

#[test]
fn a_different_attachment_in_the_mirror_is_replaced_only_with_force() {
    let setup = Setup::start(None);
    let good = setup.layer(&setup.trusted);
    push_attachment(&setup.source, REPO, NOO_DIGEST, std::slice::from_ref(&good));
    push_attachment(
        &setup.mirror,
        REPO,
        NOO_DIGEST,
        &[setup.layer(&setup.untrusted)],
    );
    let mirror = setup.mirror_repo(REPO);

    let run = setup.fetch(&["--to-registry", &mirror]);
    assert_image(&run, "registry-error", 2);
    assert!(run.stderr.contains("--force replaces it"), "{run:?}");
    assert_ne!(attached(&mirror)[0].payload.len(), 0);
    assert_ne!(
        signature_of(&attached(&mirror)[0]),
        good.annotations[SIGNATURE_ANNOTATION]
    );

    let run = setup.fetch(&["--to-registry", &mirror, "--force"]);
    assert_image(&run, "ok", 0);
    let there = attached(&mirror);
    assert_eq!(there.len(), 1);
    assert_eq!(
        signature_of(&there[0]),
        good.annotations[SIGNATURE_ANNOTATION]
    );
}

#[test]
fn pairs_and_mirror_sets_choose_the_mirror_repository() {
    let setup = Setup::start(None);
    push_attachment(
        &setup.source,
        REPO,
        NOO_DIGEST,
        &[setup.layer(&setup.trusted)],
    );
    let src_ns = setup.source.image("app");

    // SOURCE=MIRROR: the rest of the path kept.
    let pair = format!("{src_ns}={}", setup.mirror_repo("paired"));
    let run = setup.fetch(&["--to-registry", &pair]);
    assert_image(&run, "ok", 0);
    assert_eq!(attached(&setup.mirror_repo("paired/signed")).len(), 1);

    // An ImageDigestMirrorSet, as the cluster has it.
    let idms = setup.dir.path().join("idms.yaml");
    std::fs::write(
        &idms,
        format!(
            "apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata:\n  name: mirror\nspec:\n  imageDigestMirrors:\n  - source: {}\n    mirrors:\n    - {}\n",
            setup.source.image(REPO),
            setup.mirror_repo("idms/signed")
        ),
    )
    .unwrap();
    let run = setup.fetch(&["--to-registry-config", s(&idms)]);
    assert_image(&run, "ok", 0);
    assert_eq!(attached(&setup.mirror_repo("idms/signed")).len(), 1);

    // No rule for the image: nothing pushed, could not check.
    let run = setup.fetch(&["--to-registry", "quay.io/other=mirror.invalid/x"]);
    assert_image(&run, "no-mirror", 2);
    assert!(
        run.stderr.contains(&format!(
            "no --to-registry mirror for {}",
            setup.source.image(REPO)
        )),
        "{run:?}"
    );

    // A tagged repository is not a mirror repository.
    let tagged = format!("{}:1", setup.mirror_repo(REPO));
    let run = setup.fetch(&["--to-registry", &tagged]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("without :TAG"), "{run:?}");
}

#[test]
fn a_mirror_that_requires_credentials_gets_those_of_the_auth_file() {
    let user = ("mirror-user", "mirror-password");
    let setup = Setup::start(Some(user));
    push_attachment(
        &setup.source,
        REPO,
        NOO_DIGEST,
        &[setup.layer(&setup.trusted)],
    );
    let mirror = setup.mirror_repo(REPO);

    let run = setup.fetch(&["--to-registry", &mirror]);
    assert_image(&run, "registry-error", 2);
    assert!(run.stderr.contains("authentication"), "{run:?}");

    let auth = auth_file(setup.dir.path(), &setup.mirror.addr, user.0, user.1);
    let run = setup.fetch(&["--to-registry", &mirror, "--authfile", s(&auth)]);
    assert_image(&run, "ok", 0);
    assert_eq!(run.image()["pushed"]["uploaded_blobs"], 2, "{run:?}");
}

#[test]
fn an_image_verified_by_openpgp_only_pushes_nothing() {
    use crate::signing::{Msg, primary_pair, sign, signing_cert};
    use sequoia_openpgp::cert::CipherSuite;
    use sequoia_openpgp::serialize::Serialize as _;
    let setup = Setup::start(None);
    push_attachment(
        &setup.source,
        REPO,
        NOO_DIGEST,
        &[setup.layer(&setup.untrusted)],
    );
    let cert = signing_cert(CipherSuite::Cv25519);
    let keyring = setup.dir.path().join("keyring.gpg");
    let mut bytes = Vec::new();
    cert.serialize(&mut bytes).unwrap();
    std::fs::write(&keyring, bytes).unwrap();
    let store = setup.dir.path().join("store");
    let signature = store.join(mirror_path(NOO_DIGEST, 1).trim_start_matches('/'));
    std::fs::create_dir_all(signature.parent().unwrap()).unwrap();
    let payload = crate::signing::payload(NOO_DIGEST, &setup.identity);
    std::fs::write(
        &signature,
        sign(&payload, vec![primary_pair(&cert)], &Msg::default()),
    )
    .unwrap();

    let mirror = setup.mirror_repo(REPO);
    let run = setup.fetch(&[
        "--keyring",
        s(&keyring),
        "--signature-dir",
        s(&store),
        "--to-registry",
        &mirror,
    ]);
    assert_image(&run, "no-sigstore-signature", 1);
    assert_eq!(run.image()["verified"], true, "{run:?}");
    assert!(
        run.stderr.contains("no sigstore signature verified"),
        "{run:?}"
    );
    assert!(attached(&mirror).is_empty());
}

#[test]
fn an_upload_asks_the_token_service_for_push_and_pull() {
    // A registry (the loopback server) that lets anyone read but answers
    // the upload with a Bearer challenge, and accepts no token: the token
    // request shows the scope asked for.
    use crate::common::mirror::{Mirror, Route};
    let setup = Setup::start(None);
    push_attachment(
        &setup.source,
        REPO,
        NOO_DIGEST,
        &[setup.layer(&setup.trusted)],
    );
    let registry = Mirror::start();
    registry.put(
        &format!("/v2/{REPO}/blobs/uploads/"),
        Route::Challenge(format!(
            "Bearer realm=\"{}/token\",service=\"mirror\"",
            registry.url
        )),
    );
    registry.put("/token", Route::Body(br#"{"token":"t"}"#.to_vec()));
    let host = registry.url.trim_start_matches("http://");
    let run = setup.fetch(&["--to-registry", &format!("{host}/{REPO}")]);
    assert_image(&run, "registry-error", 2);
    assert!(run.stderr.contains("authentication"), "{run:?}");
    let tokens: Vec<String> = registry
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("/token?"))
        .collect();
    assert!(!tokens.is_empty(), "{:?}", registry.requests());
    for t in &tokens {
        assert!(
            t.contains("scope=repository%3Aapp%2Fsigned%3Apush%2Cpull"),
            "{t}"
        );
    }
}
