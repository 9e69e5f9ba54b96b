//! Where sigstore (cosign) signatures come from, end to end: the noo
//! image pushed into the real distribution registry on 127.0.0.1 with
//! `.sig` attachments made at test time (P-256 and RSA keys made with
//! openssl, and oc-mirror's cosign key pair), pushed with plain Registry
//! API requests; and oc-mirror's two real `.sig` OCI layouts.
//!
//! The first tests read attachments and assert what was fetched (through
//! the library, and in `--debug`'s request log); the others check
//! verdicts with the sigstore mechanism (`--sigstore-key`, `--rekor-key`,
//! `sigstoreSigned` in `policy check`).

use crate::common::cosign::{CosignKey, Layer, attachment_tag, oc_mirror, push_attachment};
use crate::common::*;
use relsig::image::digest::Digest;
use relsig::image::reference::Reference;
use relsig::signature::sigstore::format::SigstoreSignature;
use relsig::sources::attachments::{self, AttachmentError};
use relsig::sources::http::{HttpClient, HttpOptions};
use relsig::sources::registry::{Credentials, RegistryClient};
use relsig::sources::stores::Signature;
use std::path::Path;

const REPO: &str = "app/signed";

/// The registry with the noo image in [`REPO`].
struct Setup {
    registry: Registry,
    /// `ADDR/app/signed@sha256:…`: a digest reference, so that the
    /// default identity rule (`matchRepoDigestOrExact`) accepts a
    /// signature for any tag of the repository.
    image: String,
    /// The identity the signatures claim: the reference signed with a
    /// tag, as `skopeo copy --sign-by-sigstore-private-key` writes it (a
    /// name-only identity never matches the default
    /// `matchRepoDigestOrExact`, in containers/image as here).
    identity: String,
    dir: tempfile::TempDir,
}

impl Setup {
    fn start() -> Setup {
        let registry = Registry::start(None);
        registry.push(&noo_dir(), &format!("{REPO}:1"), None);
        Setup {
            image: registry.image(&format!("{REPO}@{NOO_DIGEST}")),
            identity: registry.image(&format!("{REPO}:1")),
            registry,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn attach(&self, layers: &[Layer]) {
        push_attachment(&self.registry, REPO, NOO_DIGEST, layers);
    }

    /// `relsig verify IMAGE --sigstore-key KEY --output json` and `extra`.
    fn verify(&self, key: &Path, extra: &[&str]) -> Run {
        let mut args = vec![
            "verify",
            &self.image,
            "--tls-verify=false",
            "--timeout",
            "20",
            "--sigstore-key",
            s(key),
            "--output",
            "json",
        ];
        args.extend_from_slice(extra);
        relsig(&args)
    }

    /// A registries.d directory named `name` holding `yaml`.
    fn registries_d(&self, name: &str, yaml: &str) -> std::path::PathBuf {
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("local.yaml"), yaml).unwrap();
        dir
    }
}

/// Asserts the one image of a JSON report ended with `reason` and the run
/// with `code`.
#[track_caller]
fn assert_image(run: &Run, reason: &str, code: i32) {
    assert_eq!(run.image()["reason"], reason, "{run:?}");
    assert_eq!(run.image()["verified"], reason == "ok", "{run:?}");
    assert_eq!(run.code, code, "{run:?}");
}

/// The library's registry client, as `verify` makes it with
/// `--tls-verify=false`.
fn client() -> RegistryClient {
    let http = HttpClient::new(HttpOptions {
        tls_verify: false,
        ..HttpOptions::default()
    })
    .unwrap();
    RegistryClient::new(http, Credentials::default())
}

fn read_attachments(image: &str) -> Result<Vec<Signature>, AttachmentError> {
    let digest: Digest = NOO_DIGEST.parse().unwrap();
    let mut found = Vec::new();
    attachments::registry_signatures(
        &client(),
        &Reference::parse(image).unwrap(),
        &digest,
        &mut |s| found.push(s),
    )
    .map(|()| found)
}

#[test]
fn attachments_in_the_registry_become_one_signature_per_layer() {
    let setup = Setup::start();
    let key = CosignKey::p256();
    let signed = Layer::signed(&key, &setup.identity, NOO_DIGEST);
    // Another kind of attachment is handed over as well (containers/image
    // leaves it to the mechanism to refuse).
    let other = Layer {
        media_type: "text/plain".into(),
        payload: b"not a signature".to_vec(),
        annotations: Default::default(),
    };
    setup.attach(&[signed.clone(), other.clone()]);

    let found = read_attachments(&setup.image).unwrap();
    assert_eq!(found.len(), 2);
    for (sig, layer) in found.iter().zip([&signed, &other]) {
        let parsed = SigstoreSignature::parse(&sig.bytes).unwrap();
        assert_eq!(parsed.mime_type, layer.media_type);
        assert_eq!(parsed.payload, layer.payload);
        assert_eq!(parsed.annotations, layer.annotations);
    }
    let tag = attachment_tag(NOO_DIGEST);
    assert_eq!(
        found[1].source,
        format!("{}/{REPO}:{tag}#2", setup.registry.addr)
    );
}

#[test]
fn no_sig_tag_means_no_sigstore_signatures() {
    let setup = Setup::start();
    assert!(read_attachments(&setup.image).unwrap().is_empty());
    // With no signature source configured either, the image still cannot
    // be checked (rather than "unsigned"): the attachments were the only
    // place looked at, and they had nothing.
    let run = relsig(&[
        "verify",
        &setup.image,
        "--tls-verify=false",
        "--timeout",
        "20",
        "--output",
        "json",
    ]);
    assert_image(&run, "no-signature-source", 2);
    let tag = format!(
        "{}/{REPO}:{}",
        setup.registry.addr,
        attachment_tag(NOO_DIGEST)
    );
    let message = run.image()["message"].as_str().unwrap().to_string();
    assert!(
        message.ends_with(&format!(
            "; nor does the registry have any sigstore attachments ({tag})"
        )),
        "{message}"
    );
}

#[test]
fn a_sig_manifest_with_129_layers_is_refused_before_any_blob_is_fetched() {
    let setup = Setup::start();
    let key = CosignKey::p256();
    let layer = Layer::signed(&key, &setup.identity, NOO_DIGEST);
    // One blob, referenced 129 times.
    setup.attach(&vec![layer; relsig::io::MAX_SIGSTORE_SIGNATURES + 1]);

    let e = read_attachments(&setup.image).unwrap_err();
    assert!(
        matches!(e, AttachmentError::TooMany { count: 129, .. }),
        "{e}"
    );
    // Through the binary: one line naming the tag, could not check, and
    // the debug log shows the manifest was the only thing fetched.
    let run = relsig(&[
        "--debug",
        "verify",
        &setup.image,
        "--tls-verify=false",
        "--timeout",
        "20",
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    let tag = attachment_tag(NOO_DIGEST);
    assert!(
        run.stdout.contains(&format!(
            "{}/{REPO}:{tag}: 129 sigstore signatures, more than the 128 read for one image; none was read",
            setup.registry.addr
        )),
        "{run:?}"
    );
    assert!(run.stderr.contains(&format!("/manifests/{tag}")), "{run:?}");
    assert!(!run.stderr.contains("/blobs/"), "{run:?}");
}

#[test]
fn a_layer_whose_blob_does_not_match_is_refused() {
    let setup = Setup::start();
    let key = CosignKey::p256();
    let good = Layer::signed(&key, &setup.identity, NOO_DIGEST);
    let blob = setup.registry.put_blob(REPO, &good.payload);
    let config = setup.registry.put_blob(REPO, b"{}");
    // The tag holds a manifest declaring a wrong size for the blob.
    let attach_with_size = |size: usize| {
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": crate::common::cosign::OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": config},
            "layers": [{"mediaType": crate::common::cosign::SIMPLE_SIGNING, "size": size, "digest": blob, "annotations": good.annotations}],
        });
        setup.registry.put_manifest(
            REPO,
            &attachment_tag(NOO_DIGEST),
            crate::common::cosign::OCI_MANIFEST,
            &serde_json::to_vec(&manifest).unwrap(),
        );
    };
    let len = good.payload.len();
    // Smaller: the blob is not read past the declared size.
    attach_with_size(len - 1);
    let e = read_attachments(&setup.image).unwrap_err().to_string();
    assert!(
        e.ends_with(&format!(
            "/blobs/{blob}: response larger than {} bytes",
            len - 1
        )),
        "{e}"
    );
    // Larger: the whole blob arrives, and is found short.
    attach_with_size(len + 1);
    let e = read_attachments(&setup.image).unwrap_err().to_string();
    assert!(
        e.ends_with(&format!(
            "layer 1: the blob has {len} bytes, the manifest says {}",
            len + 1
        )),
        "{e}"
    );
}

#[test]
fn the_oc_mirror_key_decrypts_with_the_empty_passphrase() {
    // CosignKey::oc_mirror asserts its public half is the fixture's
    // cosign.pub; the signature it makes verifies with that key.
    let key = CosignKey::oc_mirror();
    let payload = crate::common::cosign::payload("quay.io/a/b", NOO_DIGEST);
    let dir = tempfile::tempdir().unwrap();
    let (data, sig) = (dir.path().join("payload"), dir.path().join("sig"));
    std::fs::write(&data, &payload).unwrap();
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(key.sign(&payload))
        .unwrap();
    std::fs::write(&sig, raw).unwrap();
    let out = run_bounded(
        std::process::Command::new("/usr/bin/openssl").args([
            "dgst",
            "-sha256",
            "-verify",
            s(&oc_mirror().join("cosign.pub")),
            "-signature",
            s(&sig),
            s(&data),
        ]),
        std::time::Duration::from_secs(60),
    )
    .unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn policy_check_looks_for_attachments_only_where_registries_d_enables_them() {
    let setup = Setup::start();
    let key = CosignKey::p256();
    setup.attach(&[Layer::signed(&key, &setup.identity, NOO_DIGEST)]);
    // Any signature requirement makes policy check gather signatures.
    let policy = setup.dir.path().join("policy.json");
    let gpg = fixtures().join("containers-image/signature/public-key.gpg");
    std::fs::write(
        &policy,
        format!(
            r#"{{"default":[{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{}"}}]}}"#,
            s(&gpg)
        ),
    )
    .unwrap();
    let addr = &setup.registry.addr;
    let from = |yaml: &str, name: &str| {
        let rd = setup.registries_d(name, yaml);
        let run = relsig(&[
            "policy",
            "check",
            &setup.image,
            "--policy",
            s(&policy),
            "--registries-d",
            s(&rd),
            "--tls-verify=false",
            "--timeout",
            "20",
            "--output",
            "json",
        ]);
        run.json()["requirements"][0]["signatures_from"]
            .as_str()
            .unwrap_or_else(|| panic!("{run:?}"))
            .to_string()
    };
    let tag = format!("{addr}/{REPO}:{}", attachment_tag(NOO_DIGEST));
    let attachments = format!("sigstore attachments ({tag})");
    // The most specific scope that sets the flag decides; a scope without
    // it does not stop the search.
    let on = format!(
        "default-docker:\n  use-sigstore-attachments: false\ndocker:\n  \"{addr}\":\n    use-sigstore-attachments: true\n  \"{addr}/{REPO}\":\n    lookaside: file:///nonexistent\n"
    );
    assert!(from(&on, "on.d").ends_with(&attachments));
    let off = format!(
        "default-docker:\n  use-sigstore-attachments: true\ndocker:\n  \"{addr}/app\":\n    use-sigstore-attachments: false\n"
    );
    assert!(!from(&off, "off.d").contains("sigstore attachments"));
    assert!(!from("docker:\n", "unset.d").contains("sigstore attachments"));
}

#[test]
fn attachments_are_read_from_the_mirror_that_served_the_manifest() {
    // The image is named on a registry that is not there; registries.conf
    // sends its pulls to the real registry, which holds the image and its
    // attachment. As containers/image does, the `.sig` tag is read where
    // the manifest came from, and registries.d is asked about that place.
    let setup = Setup::start();
    let key = CosignKey::p256();
    setup.attach(&[Layer::signed(&key, &setup.identity, NOO_DIGEST)]);
    let addr = &setup.registry.addr;
    let conf = setup.dir.path().join("registries.conf");
    std::fs::write(
        &conf,
        format!(
            "[[registry]]\nprefix = \"registry.example.invalid/app\"\nlocation = \"registry.example.invalid/app\"\n[[registry.mirror]]\nlocation = \"{addr}/app\"\ninsecure = true\n"
        ),
    )
    .unwrap();
    let rd = setup.registries_d(
        "mirror.d",
        &format!("docker:\n  \"{addr}\":\n    use-sigstore-attachments: true\n"),
    );
    let policy = setup.dir.path().join("policy.json");
    let gpg = fixtures().join("containers-image/signature/public-key.gpg");
    std::fs::write(
        &policy,
        format!(
            r#"{{"default":[{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{}"}}]}}"#,
            s(&gpg)
        ),
    )
    .unwrap();
    let image = format!("registry.example.invalid/{REPO}@{NOO_DIGEST}");
    let common = [
        "--registries-conf",
        s(&conf),
        "--registries-d",
        s(&rd),
        "--timeout",
        "20",
        "--output",
        "json",
    ];
    let mut args = vec!["policy", "check", &image, "--policy", s(&policy)];
    args.extend_from_slice(&common);
    let run = relsig(&args);
    let tag = format!("{addr}/{REPO}:{}", attachment_tag(NOO_DIGEST));
    let from = run.json()["requirements"][0]["signatures_from"].clone();
    assert!(
        from.as_str()
            .is_some_and(|f| f.ends_with(&format!("sigstore attachments ({tag})"))),
        "{run:?}"
    );
    // verify reads the mirror's tag too (the signature is read, whatever
    // the mechanism then makes of it).
    let mut args = vec!["verify", &image];
    args.extend_from_slice(&common);
    let run = relsig(&args);
    let sources = run.image()["sources"].clone();
    assert!(
        sources
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str() == Some(&format!("sigstore attachments ({tag})"))),
        "{run:?}"
    );
}

// ---- With the sigstore mechanism (`--sigstore-key`, `sigstoreSigned`).

#[test]
fn verify_valid_attachments_by_p256_rsa_and_oc_mirror_keys() {
    let setup = Setup::start();
    for key in [
        CosignKey::p256(),
        CosignKey::rsa(2048),
        CosignKey::oc_mirror(),
    ] {
        setup.attach(&[Layer::signed(&key, &setup.identity, NOO_DIGEST)]);
        assert_image(&setup.verify(&key.public, &[]), "ok", 0);
    }
}

#[test]
fn verify_wrong_key_wrong_identity_and_tampered_payload_are_rejected() {
    let setup = Setup::start();
    let key = CosignKey::p256();
    let other = CosignKey::p256();

    setup.attach(&[Layer::signed(&key, &setup.identity, NOO_DIGEST)]);
    assert_image(&setup.verify(&other.public, &[]), "unknown-key", 1);

    setup.attach(&[Layer::signed(
        &key,
        &setup.registry.image("other/repo:1"),
        NOO_DIGEST,
    )]);
    assert_image(&setup.verify(&key.public, &[]), "identity-mismatch", 1);

    let mut tampered = Layer::signed(&key, &setup.identity, NOO_DIGEST);
    tampered.payload = String::from_utf8(tampered.payload)
        .unwrap()
        .replace("\"optional\":null", "\"optional\":{}")
        .into_bytes();
    setup.attach(&[tampered]);
    // Without a Rekor entry naming the key, a signature that verifies
    // with no trusted key is, for all anyone can tell, by an unknown one.
    assert_image(&setup.verify(&key.public, &[]), "unknown-key", 1);
}

#[test]
fn verify_without_a_sig_tag_finds_no_signatures() {
    let setup = Setup::start();
    let key = CosignKey::p256();
    let empty = tempfile::tempdir().unwrap();
    assert_image(
        &setup.verify(&key.public, &["--signature-dir", s(empty.path())]),
        "no-signatures",
        1,
    );
}

#[test]
fn policy_check_reads_attachments_only_where_registries_d_enables_them() {
    let setup = Setup::start();
    let key = CosignKey::p256();
    setup.attach(&[Layer::signed(&key, &setup.identity, NOO_DIGEST)]);
    let policy = setup.dir.path().join("policy.json");
    std::fs::write(
        &policy,
        format!(
            r#"{{"default":[{{"type":"reject"}}],"transports":{{"docker":{{"{}":[{{"type":"sigstoreSigned","keyPath":"{}"}}]}}}}}}"#,
            setup.registry.addr,
            s(&key.public)
        ),
    )
    .unwrap();
    let on = setup.registries_d(
        "on.d",
        &format!(
            "docker:\n  \"{}\":\n    use-sigstore-attachments: true\n",
            setup.registry.addr
        ),
    );
    let off = setup.registries_d(
        "off.d",
        "default-docker:\n  lookaside: file:///nonexistent\n",
    );
    let check = |rd: &Path| {
        relsig(&[
            "policy",
            "check",
            &setup.image,
            "--policy",
            s(&policy),
            "--registries-d",
            s(rd),
            "--tls-verify=false",
            "--timeout",
            "20",
            "--output",
            "json",
        ])
    };
    let run = check(&on);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["verdict"], "accepted", "{run:?}");
    assert_eq!(
        run.json()["requirements"][0]["reason"],
        "signature-accepted",
        "{run:?}"
    );
    let run = check(&off);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.json()["verdict"], "rejected", "{run:?}");
    assert_eq!(
        run.json()["requirements"][0]["reason"],
        "no-signatures",
        "{run:?}"
    );
}

#[test]
fn fetch_to_dir_keeps_verified_sigstore_signatures_only() {
    let setup = Setup::start();
    let key = CosignKey::p256();
    let other = CosignKey::p256();
    let good = Layer::signed(&key, &setup.identity, NOO_DIGEST);
    setup.attach(&[
        Layer::signed(&other, &setup.identity, NOO_DIGEST),
        good.clone(),
    ]);
    let out = tempfile::tempdir().unwrap();
    let run = relsig(&[
        "fetch",
        &setup.image,
        "--tls-verify=false",
        "--timeout",
        "20",
        "--sigstore-key",
        s(&key.public),
        "--to-dir",
        s(out.path()),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let folder = out.path().join(format!(
        "sha256={}",
        NOO_DIGEST.strip_prefix("sha256:").unwrap()
    ));
    let written =
        SigstoreSignature::parse(&std::fs::read(folder.join("signature-1")).unwrap()).unwrap();
    assert_eq!(written.payload, good.payload);
    assert_eq!(written.annotations, good.annotations);
    assert!(!folder.join("signature-2").exists());
}

#[test]
fn fetch_to_dir_keeps_sigstore_signatures_after_the_openpgp_one() {
    // The noo image's real OpenPGP signatures (release key 2) from a
    // directory, and a sigstore attachment for the same identity: once
    // the OpenPGP one verified, `fetch` still reads the attachments and
    // writes the verified sigstore signature after it.
    let setup = Setup::start();
    let key = CosignKey::rsa(2048);
    let good = Layer::signed(&key, NOO_IDENTITY, NOO_DIGEST);
    setup.attach(std::slice::from_ref(&good));
    let keyring = fixtures().join("redhat-keys/redhat-release-key-2_FD431D51_sha256-selfsig.gpg");
    let out = tempfile::tempdir().unwrap();
    let run = relsig(&[
        "fetch",
        &setup.image,
        "--identity",
        NOO_IDENTITY,
        "--tls-verify=false",
        "--timeout",
        "20",
        "--signature-dir",
        s(&noo_dir()),
        "--keyring",
        s(&keyring),
        "--sigstore-key",
        s(&key.public),
        "--to-dir",
        s(out.path()),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let folder = out.path().join(format!(
        "sha256={}",
        NOO_DIGEST.strip_prefix("sha256:").unwrap()
    ));
    // Of the four OpenPGP signatures only the one for this identity
    // verifies (signature-3 of the image).
    assert_eq!(
        std::fs::read(folder.join("signature-1")).unwrap(),
        noo_signature(3)
    );
    let second =
        SigstoreSignature::parse(&std::fs::read(folder.join("signature-2")).unwrap()).unwrap();
    assert_eq!(second.payload, good.payload);
    assert!(!folder.join("signature-3").exists());

    // A ConfigMap is for the cluster-version operator, which reads
    // OpenPGP signatures only: the sigstore one is left out.
    let configmap = out.path().join("signatures.json");
    let run = relsig(&[
        "fetch",
        &setup.image,
        "--identity",
        NOO_IDENTITY,
        "--tls-verify=false",
        "--timeout",
        "20",
        "--signature-dir",
        s(&noo_dir()),
        "--keyring",
        s(&keyring),
        "--sigstore-key",
        s(&key.public),
        "--to-configmap",
        s(&configmap),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&configmap).unwrap()).unwrap();
    let entries = doc["binaryData"].as_object().unwrap();
    let hex = NOO_DIGEST.strip_prefix("sha256:").unwrap();
    assert_eq!(
        entries.keys().collect::<Vec<_>>(),
        [&format!("sha256-{hex}-1")],
        "{doc}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The public key the public Rekor log recorded for the (only) signature
/// of the oc-mirror layout `dir`: the `publicKey` of the hashedrekord body
/// in its `dev.sigstore.cosign/bundle`, written to a PEM file in `into`.
/// The SET, which `--rekor-key` checks, vouches for that body.
fn rekor_logged_key(dir: &Path, into: &Path) -> std::path::PathBuf {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let json = |path: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    let blob = |digest: &serde_json::Value| {
        let hex = digest.as_str().unwrap().strip_prefix("sha256:").unwrap();
        dir.join("blobs/sha256").join(hex)
    };
    let index = json(&dir.join("index.json"));
    let manifest = json(&blob(&index["manifests"][0]["digest"]));
    let bundle = manifest["layers"][0]["annotations"]["dev.sigstore.cosign/bundle"]
        .as_str()
        .unwrap();
    let bundle: serde_json::Value = serde_json::from_str(bundle).unwrap();
    let body: serde_json::Value = serde_json::from_slice(
        &b64.decode(bundle["Payload"]["body"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let pem = b64
        .decode(
            body["spec"]["signature"]["publicKey"]["content"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let path = into.join(format!(
        "{}.pub",
        dir.file_name().unwrap().to_str().unwrap()
    ));
    std::fs::write(&path, pem).unwrap();
    path
}

#[test]
fn oc_mirror_layouts_verify_with_their_signer_and_the_rekor_key() {
    // The two real layouts were not signed with oc-mirror's test key pair
    // (cosign.pub): each was signed with its own key, which the public
    // Rekor log recorded. That logged key verifies its layout, together
    // with the public Rekor key; oc-mirror's key, containers/image's
    // cosign.pub and the other layout's key do not.
    let rekor = fixtures().join("sigstore/containers-image/rekor.pub");
    let keys = tempfile::tempdir().unwrap();
    let layouts = [
        (
            "single-arch-empty-image-sig",
            "sha256:7d27ba1da0f64410102468d138f9ec8f61f2cc23bb58ff4cd63243a4434e3d99",
            "quay.io/rh_ee_aguidi/empty-image",
        ),
        (
            "multi-platform-container-sha256-02f29c270f30416a266571383098d7b98a49488723087fd917128045bcd1ca75-sig",
            "sha256:02f29c270f30416a266571383098d7b98a49488723087fd917128045bcd1ca75",
            "quay.io/rh_ee_aguidi/multi-platform-container",
        ),
    ];
    let signers: Vec<_> = layouts
        .iter()
        .map(|(dir, _, _)| rekor_logged_key(&oc_mirror().join(dir), keys.path()))
        .collect();
    for (i, (dir, digest, repo)) in layouts.into_iter().enumerate() {
        let layout = oc_mirror().join(dir);
        let run = |key: &Path, dir: &Path| {
            relsig(&[
                "verify",
                "--digest",
                digest,
                "--identity-repository",
                repo,
                "--signature-dir",
                s(dir),
                "--sigstore-key",
                s(key),
                "--rekor-key",
                s(&rekor),
                "--output",
                "json",
            ])
        };
        assert_image(&run(&signers[i], &layout), "ok", 0);
        // A directory holding the layout as sha256-<hex>.sig/ works too.
        let parent = tempfile::tempdir().unwrap();
        copy_dir(&layout, &parent.path().join(attachment_tag(digest)));
        assert_image(&run(&signers[i], parent.path()), "ok", 0);
        let others = [
            oc_mirror().join("cosign.pub"),
            fixtures().join("sigstore/containers-image/cosign.pub"),
            signers[1 - i].clone(),
        ];
        for other in others {
            let refused = run(&other, &layout);
            assert_eq!(refused.code, 1, "{dir} with {other:?}: {refused:?}");
            assert_eq!(
                refused.image()["verified"],
                false,
                "{dir} with {other:?}: {refused:?}"
            );
        }
    }
}

#[test]
fn lint_warns_where_sigstore_signed_scopes_get_no_attachments() {
    // MicroShift's policy requires sigstore signatures for two scopes; its
    // kickstart also installs registries.d files enabling attachments
    // there (copied here from its heredocs). With those, no warning; with
    // only Red Hat's containers-common lookaside files, both scopes are
    // named.
    let redhat = fixtures().join("sigstore/redhat");
    let root = tempfile::tempdir().unwrap();
    let keys = root.path().join("etc/containers");
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::copy(
        redhat.join("SIGSTORE-redhat-release3.pem"),
        keys.join("RedHat_ReleaseKey3.pub"),
    )
    .unwrap();
    let dirs = tempfile::tempdir().unwrap();
    let microshift = dirs.path().join("microshift.d");
    std::fs::create_dir_all(&microshift).unwrap();
    std::fs::write(
        microshift.join("registry.redhat.io.yaml"),
        "docker:\n    registry.redhat.io:\n        use-sigstore-attachments: true\n        sigstore: https://registry.redhat.io/containers/sigstore\n",
    )
    .unwrap();
    std::fs::write(
        microshift.join("registry.quay.io.yaml"),
        "docker:\n    quay.io/openshift-release-dev:\n        use-sigstore-attachments: true\n",
    )
    .unwrap();
    let lookasides_only = dirs.path().join("containers-common.d");
    std::fs::create_dir_all(&lookasides_only).unwrap();
    for host in ["registry.access.redhat.com", "registry.redhat.io"] {
        std::fs::copy(
            redhat.join(format!("registries.d-{host}.yaml")),
            lookasides_only.join(format!("{host}.yaml")),
        )
        .unwrap();
    }
    let policy = redhat.join("microshift-sigstore-policy.json");
    let lint = |rd: &Path| {
        relsig(&[
            "policy",
            "lint",
            "--policy",
            s(&policy),
            "--registries-d",
            s(rd),
            "--root",
            s(root.path()),
        ])
    };
    const WARNING: &str = "sigstoreSigned, but registries.d does not set use-sigstore-attachments: true for this scope";
    let run = lint(&microshift);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains(WARNING), "{run:?}");
    let run = lint(&lookasides_only);
    assert_eq!(run.code, 0, "warnings only: {run:?}");
    for scope in ["quay.io/openshift-release-dev", "registry.redhat.io"] {
        let want = format!("transports.docker[\"{scope}\"]: {WARNING}");
        assert!(run.stdout.contains(&want), "{want}\n{run:?}");
    }
    assert!(
        run.stdout
            .contains("(add `docker: {registry.redhat.io: {use-sigstore-attachments: true}}`)"),
        "{run:?}"
    );
}

#[test]
fn a_hostile_registry_cannot_make_an_attachment_blob_unbounded() {
    // A loopback server posing as the registry: the image's manifest, a
    // `.sig` manifest declaring a small layer, and for that layer's blob
    // an endless stream. The blob is read up to the size its layer
    // declares, then the source fails with one line naming the URL.
    use crate::common::mirror::{Mirror, Route};
    let mirror = Mirror::start();
    let addr = mirror.url.trim_start_matches("http://").to_string();
    let manifest = std::fs::read(noo_dir().join("manifest.json")).unwrap();
    mirror.put(
        &format!("/v2/app/manifests/{NOO_DIGEST}"),
        Route::Typed {
            content_type: "application/vnd.docker.distribution.manifest.v2+json",
            body: manifest,
        },
    );
    let blob = format!("sha256:{:064x}", 1);
    let sig_manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": crate::common::cosign::OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": blob},
        "layers": [{"mediaType": crate::common::cosign::SIMPLE_SIGNING, "size": 100, "digest": blob, "annotations": {}}],
    });
    mirror.put(
        &format!("/v2/app/manifests/{}", attachment_tag(NOO_DIGEST)),
        Route::Typed {
            content_type: crate::common::cosign::OCI_MANIFEST,
            body: serde_json::to_vec(&sig_manifest).unwrap(),
        },
    );
    let blob_path = format!("/v2/app/blobs/{blob}");
    mirror.put(
        &blob_path,
        Route::Huge {
            len: 1 << 30,
            chunked: true,
        },
    );
    let image = format!("{addr}/app@{NOO_DIGEST}");
    let run = relsig(&[
        "verify",
        &image,
        "--tls-verify=false",
        "--timeout",
        "20",
        "--retries",
        "0",
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    let url = format!("{}{blob_path}", mirror.url);
    assert!(
        run.stdout
            .contains(&format!("{url}: response larger than 100 bytes")),
        "{run:?}"
    );
    assert_eq!(mirror.hits(&blob_path), 1);
}
