//! `relsig release info` and `relsig release audit` end to end: a release
//! built at test time in the real shape (tests/common/release.rs), pushed
//! with its components into the real `docker-registry` on 127.0.0.1 as
//! the mirror, signed with a test GPG key served by a loopback signature
//! store, and an ImageDigestMirrorSet mapping quay.io to the registry.
//! Also the real 4.12.0 image-references and release-metadata.

use crate::common::mirror::{Mirror, Route};
use crate::common::release::*;
use crate::common::*;
use crate::signing::{Msg, payload, primary_pair, sign, signing_cert};
use sequoia_openpgp::cert::CipherSuite;
use sequoia_openpgp::serialize::Serialize as _;
use std::path::PathBuf;

const VERSION: &str = "4.12.99";

/// A mirrored, signed release and the files the commands need.
struct Setup {
    registry: Registry,
    store: Mirror,
    dir: tempfile::TempDir,
    release: TestRelease,
    pusher: Pusher,
    keyring: PathBuf,
    idms: PathBuf,
    fingerprint: String,
}

impl Setup {
    /// `n` components and the release in the registry; the release
    /// signature (by a test key, for the release's quay.io identity) in
    /// the store.
    fn new(n: usize) -> Setup {
        let registry = Registry::start(None);
        let pusher = Pusher::new(&registry.addr);
        let release = TestRelease::push(&pusher, VERSION, n);
        let cert = signing_cert(CipherSuite::Cv25519);
        let identity = format!("{OCP_RELEASE}:{VERSION}-x86_64");
        let sig = sign(
            &payload(&release.release.digest, &identity),
            vec![primary_pair(&cert)],
            &Msg::default(),
        );
        let store = Mirror::start();
        store.put(&mirror_path(&release.release.digest, 1), Route::Body(sig));
        let dir = tempfile::tempdir().unwrap();
        let keyring = dir.path().join("key.gpg");
        let mut bytes = Vec::new();
        cert.serialize(&mut bytes).unwrap();
        std::fs::write(&keyring, bytes).unwrap();
        let idms = dir.path().join("idms.yaml");
        std::fs::write(
            &idms,
            crate::common::release::idms(&format!("{}/{MIRROR_REPO}", registry.addr)),
        )
        .unwrap();
        Setup {
            registry,
            store,
            dir,
            release,
            pusher,
            keyring,
            idms,
            fingerprint: cert.fingerprint().to_hex(),
        }
    }

    /// The release as its digest pull spec on quay.io.
    fn pullspec(&self) -> String {
        format!("{OCP_RELEASE}@{}", self.release.release.digest)
    }

    /// `relsig release <command>` of the release with the mirror mapping,
    /// the signature store and the test key, requiring the GPG signature
    /// only (a cluster before 4.21).
    fn run(&self, command: &str, extra: &[&str]) -> Run {
        let pullspec = self.pullspec();
        let mut args = vec![
            "release",
            command,
            &pullspec,
            "--tls-verify=false",
            "--retries",
            "0",
            "--signature-store",
            &self.store.url,
            "--keyring",
            s(&self.keyring),
            "--require",
            "gpg",
            "--mirror-config",
            s(&self.idms),
        ];
        args.extend_from_slice(extra);
        relsig(&args)
    }

    /// The component `i`'s mirror pull spec.
    fn mirrored(&self, i: usize) -> String {
        format!(
            "{}/{MIRROR_REPO}@{}",
            self.registry.addr, self.release.components[i].1.digest
        )
    }
}

/// An audit of two components of which only the first has the signature
/// the policy in force requires: exit 1, the second `no-signatures`.
fn assert_only_the_first_is_signed(run: &Run) {
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        results(run),
        [
            ("component-000".into(), "verified".into(), "ok".into()),
            (
                "component-001".into(),
                "rejected".into(),
                "no-signatures".into()
            ),
        ],
        "{run:?}"
    );
}

/// `(name, result, reason)` of each component of an audit's JSON.
fn results(run: &Run) -> Vec<(String, String, String)> {
    run.json()["components"]
        .as_array()
        .unwrap_or_else(|| panic!("no components: {run:?}"))
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
                c["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The testcases of JUnit XML: `(name, failure or error element)`;
/// panics unless it is well-formed with one `<testsuite>`.
fn junit_cases(xml: &str) -> Vec<(String, Option<String>)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut suites = 0;
    let mut cases: Vec<(String, Option<String>)> = Vec::new();
    loop {
        let e = match reader
            .read_event()
            .unwrap_or_else(|e| panic!("not XML ({e}):\n{xml}"))
        {
            Event::Start(e) | Event::Empty(e) => e,
            Event::Eof => break,
            _ => continue,
        };
        let attr = |k: &str| {
            e.attributes()
                .map(|a| a.unwrap())
                .find(|a| a.key.as_ref() == k)
                .map(|a| {
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap()
                        .into_owned()
                })
        };
        let name = e.name().as_ref().to_string();
        match name.as_str() {
            "testsuite" => suites += 1,
            "testcase" => cases.push((attr("name").unwrap(), None)),
            "failure" | "error" => cases.last_mut().unwrap().1 = Some(name),
            _ => {}
        }
    }
    assert_eq!(suites, 1, "{xml}");
    cases
}

#[test]
fn real_4_12_0_image_references_and_release_metadata_parse() {
    use relsig::release::metadata::{parse_image_references, parse_release_metadata};
    let dir = fixtures().join("openshift/release-metadata-4.12.0");
    let refs = std::fs::read(dir.join("image-references")).unwrap();
    let refs = parse_image_references(&refs, "image-references").unwrap();
    assert_eq!(refs.name, "4.12.0");
    assert_eq!(refs.components.len(), 183);
    let pin = |name: &str| {
        refs.components
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .pullspec
            .to_string()
    };
    let art = "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:";
    assert_eq!(
        pin("agent-installer-api-server"),
        format!("{art}f30638f60452062aba36a26ee6c036feead2f03b28f2c47f2b0a991e4182331e")
    );
    assert_eq!(
        pin("machine-config-operator"),
        format!("{art}e6f9b6fdba34485dfdec1d31ca0a04a85eff54174688dc402692f78f46743ef4")
    );
    assert_eq!(
        pin("cluster-version-operator"),
        format!("{art}a4b00a7810910ea260de0d658c0d3d1a0b9ac8867e92c34573503f11de59017a")
    );
    assert_eq!(refs.components[182].name, "vsphere-problem-detector");
    assert!(refs.components.iter().all(|c| c.digest.is_some()));

    let meta = std::fs::read(dir.join("release-metadata")).unwrap();
    let meta = parse_release_metadata(&meta, "release-metadata").unwrap();
    assert_eq!(meta.version, "4.12.0");
    assert_eq!(meta.previous.len(), 21);
    assert_eq!(meta.previous[0], "4.11.11");
    assert_eq!(
        meta.metadata["url"],
        "https://access.redhat.com/errata/RHSA-2022:7399"
    );
}

#[test]
fn a_complete_mirror_passes_the_audit_in_every_format() {
    let t = Setup::new(3);

    let text = t.run("audit", &[]);
    assert_eq!(text.code, 0, "{text:?}");
    for i in 0..3 {
        let line = format!("ok component-{i:03} {}", t.mirrored(i));
        assert!(text.stdout.lines().any(|l| l == line), "{line}: {text:?}");
    }
    assert!(
        text.stdout.contains(&format!("key {}", t.fingerprint)),
        "{text:?}"
    );
    assert!(
        text.stdout
            .contains(&format!("release {VERSION} read from")),
        "{text:?}"
    );
    assert!(
        text.stdout
            .ends_with("3 verified, 0 NOT verified, 0 could not be checked\n"),
        "{text:?}"
    );

    let json = t.run("audit", &["--output", "json", "--deep"]);
    assert_eq!(json.code, 0, "{json:?}");
    let doc = json.json();
    assert_eq!(doc["status"], "verified");
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(doc["summary"]["verified"], 3);
    let release = &doc["release"];
    assert_eq!(release["digest"], t.release.release.digest.as_str());
    assert_eq!(release["version"], VERSION);
    assert_eq!(release["component_count"], 3);
    assert_eq!(
        release["signature"]["key_fingerprint"],
        t.fingerprint.as_str()
    );
    assert_eq!(
        release["signature"]["source"],
        format!(
            "{}{}",
            t.store.url,
            mirror_path(&t.release.release.digest, 1)
        )
    );
    for (i, c) in doc["components"].as_array().unwrap().iter().enumerate() {
        assert_eq!(c["name"], format!("component-{i:03}"));
        assert_eq!(
            c["source"],
            format!("{ART_DEV}@{}", t.release.components[i].1.digest)
        );
        assert_eq!(c["mirror"], t.mirrored(i));
        assert_eq!(c["status"], "verified");
        assert_eq!(c["reason"], "ok");
        // --deep: the config and the layer.
        assert_eq!(c["blobs_checked"], 2);
    }

    let junit = t.run("audit", &["--output", "junit"]);
    assert_eq!(junit.code, 0, "{junit:?}");
    let cases = junit_cases(&junit.stdout);
    let names: Vec<&str> = cases.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["component-000", "component-001", "component-002"]);
    assert!(cases.iter().all(|(_, p)| p.is_none()));
}

#[test]
fn release_info_prints_the_verified_release() {
    let t = Setup::new(2);
    let text = t.run("info", &[]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(text.stdout.starts_with("verified "), "{text:?}");
    assert!(
        text.stdout.contains(&format!("Version:   {VERSION}\n")),
        "{text:?}"
    );
    assert!(text.stdout.contains("Components (2):\n"), "{text:?}");
    for (name, c) in &t.release.components {
        assert!(
            text.stdout
                .contains(&format!("  {name}  {ART_DEV}@{}\n", c.digest)),
            "{text:?}"
        );
    }

    let json = t.run("info", &["--output", "json"]);
    assert_eq!(json.code, 0, "{json:?}");
    let doc = json.json();
    assert_eq!(doc["release"]["version"], VERSION);
    assert_eq!(
        doc["release"]["signature"]["key_fingerprint"],
        t.fingerprint.as_str()
    );
    assert_eq!(doc["components"][1]["name"], "component-001");

    // A mirror pull spec with the identity it is signed as, no mapping.
    let mirror_spec = format!(
        "{}/{MIRROR_REPO}@{}",
        t.registry.addr, t.release.release.digest
    );
    let identity = format!("{OCP_RELEASE}:{VERSION}-x86_64");
    let direct = relsig(&[
        "release",
        "info",
        &mirror_spec,
        "--identity",
        &identity,
        "--tls-verify=false",
        "--signature-store",
        &t.store.url,
        "--keyring",
        s(&t.keyring),
        "--require",
        "gpg",
        "--output",
        "json",
    ]);
    assert_eq!(direct.code, 0, "{direct:?}");
    assert_eq!(direct.json()["release"]["location"], mirror_spec.as_str());
    assert_eq!(direct.json()["components"][0]["name"], "component-000");

    let pullspecs = t.run("info", &["--output", "pullspec"]);
    assert_eq!(pullspecs.code, 0, "{pullspecs:?}");
    let expected: Vec<String> = t
        .release
        .components
        .iter()
        .map(|(_, c)| format!("{ART_DEV}@{}", c.digest))
        .collect();
    assert_eq!(pullspecs.stdout.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn a_deleted_component_or_blob_fails_the_audit_naming_it() {
    let t = Setup::new(3);
    t.pusher
        .delete(MIRROR_REPO, "manifests", &t.release.components[1].1.digest);
    let run = t.run("audit", &["--output", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        results(&run),
        [
            ("component-000".into(), "verified".into(), "ok".into()),
            ("component-001".into(), "rejected".into(), "missing".into()),
            ("component-002".into(), "verified".into(), "ok".into()),
        ]
    );
    let missing = &run.json()["components"][1];
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .contains(&t.mirrored(1)),
        "{run:?}"
    );
    let text = t.run("audit", &[]);
    assert_eq!(text.code, 1, "{text:?}");
    assert!(
        text.stdout.contains(&format!(
            "NOT ok component-001 ({ART_DEV}@{}): not in the mirror: {}",
            t.release.components[1].1.digest,
            t.mirrored(1)
        )),
        "{text:?}"
    );

    // A blob of component 2 gone: only --deep sees it.
    t.pusher
        .delete(MIRROR_REPO, "blobs", &t.release.components[2].1.layers[0]);
    let shallow = t.run("audit", &["--output", "json"]);
    assert_eq!(results(&shallow)[2].2, "ok", "{shallow:?}");
    let deep = t.run("audit", &["--output", "json", "--deep"]);
    assert_eq!(deep.code, 1, "{deep:?}");
    let r = results(&deep);
    assert_eq!(
        (r[2].1.as_str(), r[2].2.as_str()),
        ("rejected", "blob-missing")
    );
    let message = deep.json()["components"][2]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains(&t.release.components[2].1.layers[0]),
        "{message}"
    );
}

#[test]
fn a_component_served_under_its_digest_with_other_bytes_is_rejected() {
    // A mirror (a loopback server standing in for a broken or lying
    // registry) that answers the pinned digest of component 1 with the
    // manifest of component 0.
    let t = Setup::new(2);
    let fake = Mirror::start();
    for (i, (_, c)) in t.release.components.iter().enumerate() {
        let served = &t.release.components[if i == 1 { 0 } else { i }].1.manifest;
        fake.put(
            &format!("/v2/{MIRROR_REPO}/manifests/{}", c.digest),
            Route::Body(served.clone()),
        );
    }
    let fake_host = fake.url.trim_start_matches("http://");
    let pullspec = t.pullspec();
    let release_mirror = format!("{OCP_RELEASE}={}/{MIRROR_REPO}", t.registry.addr);
    let art_mirror = format!("{ART_DEV}={fake_host}/{MIRROR_REPO}");
    let run = relsig(&[
        "release",
        "audit",
        &pullspec,
        "--tls-verify=false",
        "--retries",
        "0",
        "--signature-store",
        &t.store.url,
        "--keyring",
        s(&t.keyring),
        "--require",
        "gpg",
        "--mirror",
        &release_mirror,
        "--mirror",
        &art_mirror,
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    let r = results(&run);
    assert_eq!(r[0].2, "ok", "{run:?}");
    assert_eq!(
        (r[1].1.as_str(), r[1].2.as_str()),
        ("rejected", "digest-mismatch")
    );
    let message = run.json()["components"][1]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains(&format!(
            "not the pinned {}",
            t.release.components[1].1.digest
        )),
        "{message}"
    );
}

#[test]
fn without_a_verified_release_signature_nothing_of_the_release_is_used() {
    let t = Setup::new(2);
    // No signature in the store.
    let empty = Mirror::start();
    let pullspec = t.pullspec();
    let base = |store: &str, command: &'static str, output: &'static str| {
        relsig(&[
            "release",
            command,
            &pullspec,
            "--tls-verify=false",
            "--retries",
            "0",
            "--signature-store",
            store,
            "--keyring",
            s(&t.keyring),
            "--require",
            "gpg",
            "--mirror-config",
            s(&t.idms),
            "--output",
            output,
        ])
    };
    let run = base(&empty.url, "audit", "json");
    assert_eq!(run.code, 1, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["components"].as_array().unwrap().len(), 0);
    assert_eq!(doc["release"]["reason"], "no-signatures");
    assert_eq!(doc["status"], "rejected");
    let junit = base(&empty.url, "audit", "junit");
    assert_eq!(junit.code, 1, "{junit:?}");
    assert_eq!(
        junit_cases(&junit.stdout),
        [(pullspec.clone(), Some("failure".to_string()))]
    );

    // Signed by a key that is not trusted: `info` prints nothing.
    let stranger = signing_cert(CipherSuite::Cv25519);
    let bad = Mirror::start();
    let identity = format!("{OCP_RELEASE}:{VERSION}-x86_64");
    bad.put(
        &mirror_path(&t.release.release.digest, 1),
        Route::Body(sign(
            &payload(&t.release.release.digest, &identity),
            vec![primary_pair(&stranger)],
            &Msg::default(),
        )),
    );
    let info = base(&bad.url, "info", "text");
    assert_eq!(info.code, 1, "{info:?}");
    assert_eq!(info.stdout, "", "{info:?}");
    assert!(info.stderr.contains("NOT verified"), "{info:?}");
    let pullspecs = base(&bad.url, "info", "pullspec");
    assert_eq!((pullspecs.code, pullspecs.stdout.as_str()), (1, ""));
    let json = base(&bad.url, "info", "json");
    assert_eq!(json.code, 1, "{json:?}");
    let doc = json.json();
    assert!(doc.get("components").is_none(), "{json:?}");
    assert!(doc["release"].get("version").is_none(), "{json:?}");
    assert!(!json.stdout.contains("component-0"), "{json:?}");
}

#[test]
fn a_registry_that_is_down_cannot_be_audited() {
    let t = Setup::new(1);
    let Setup {
        registry,
        store,
        keyring,
        idms,
        release,
        dir: _dir,
        ..
    } = t;
    drop(registry);
    let pullspec = format!("{OCP_RELEASE}@{}", release.release.digest);
    let run = relsig(&[
        "release",
        "audit",
        &pullspec,
        "--tls-verify=false",
        "--retries",
        "0",
        "--signature-store",
        &store.url,
        "--keyring",
        s(&keyring),
        "--require",
        "gpg",
        "--mirror-config",
        s(&idms),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.json()["release"]["reason"], "registry-error", "{run:?}");
}

#[test]
fn a_missing_sigstore_signature_is_what_the_cluster_would_refuse() {
    // The default policy: the GPG signature and, as 4.21's `openshift`
    // ClusterImagePolicy requires, a sigstore signature (here by Red Hat's
    // release key 3) in the release's `.sig` attachment, which the mirror
    // does not have.
    let t = Setup::new(1);
    let key3 =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/SIGSTORE-redhat-release3.pem");
    let pullspec = t.pullspec();
    let run = |output: &'static str| {
        relsig(&[
            "release",
            "audit",
            &pullspec,
            "--tls-verify=false",
            "--retries",
            "0",
            "--signature-store",
            &t.store.url,
            "--keyring",
            s(&t.keyring),
            "--sigstore-key",
            s(&key3),
            "--mirror-config",
            s(&t.idms),
            "--output",
            output,
        ])
    };
    let json = run("json");
    assert_eq!(json.code, 1, "{json:?}");
    let doc = json.json();
    assert_eq!(doc["release"]["status"], "rejected", "{json:?}");
    assert_eq!(doc["release"]["reason"], "no-signatures", "{json:?}");
    let message = doc["release"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("the cluster would refuse to run the release"),
        "{message}"
    );
    assert!(message.contains("no sigstore signatures"), "{message}");
    assert_eq!(doc["components"].as_array().unwrap().len(), 0);
    let text = run("text");
    assert_eq!(text.code, 1, "{text:?}");
    assert!(
        text.stdout
            .contains("the cluster would refuse to run the release"),
        "{text:?}"
    );
}

#[test]
fn a_cluster_image_policy_makes_component_signatures_required() {
    // A ClusterImagePolicy (in the shape of the `openshift` one of main)
    // requiring a test key's sigstore signature for ocp-v4.0-art-dev: each
    // component's `.sig` attachment in the mirror must verify with it.
    use crate::common::cosign::{CosignKey, Layer, push_attachment};
    use base64::Engine as _;
    let t = Setup::new(2);
    let key = CosignKey::p256();
    let key_data =
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(&key.public).unwrap());
    let cip = t.dir.path().join("cip.yaml");
    std::fs::write(
        &cip,
        format!(
            "apiVersion: config.openshift.io/v1
kind: ClusterImagePolicy
metadata:
  name: components
spec:
  scopes:
  - {ART_DEV}
  policy:
    rootOfTrust:
      policyType: PublicKey
      publicKey:
        keyData: {key_data}
"
        ),
    )
    .unwrap();
    let rule = format!("cluster-image-policy components: scope {ART_DEV}");
    let audit = || {
        t.run(
            "audit",
            &["--cluster-image-policy", s(&cip), "--output", "json"],
        )
    };
    let sign = |i: usize| {
        let digest = &t.release.components[i].1.digest;
        let layer = Layer::signed(&key, &format!("{ART_DEV}@{digest}"), digest);
        push_attachment(&t.registry, MIRROR_REPO, digest, &[layer]);
    };

    // Only component 0 is signed: component 1 fails, naming the rule.
    sign(0);
    let run = audit();
    assert_only_the_first_is_signed(&run);
    let doc = run.json();
    let unsigned = &doc["components"][1];
    assert_eq!(
        unsigned["required_by"],
        serde_json::json!([rule]),
        "{run:?}"
    );
    let message = unsigned["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "the cluster would refuse to run it: {rule} requires a sigstore signature"
        )),
        "{message}"
    );
    assert_eq!(
        doc["components"][0]["required_by"],
        serde_json::json!([rule])
    );
    // The release (audited with --require gpg) needs the CVO's signature only.
    assert_eq!(
        doc["release"]["required_by"],
        serde_json::json!(["cluster-version-operator: GPG signature of the release"]),
        "{run:?}"
    );

    // Both signed: the audit passes.
    sign(1);
    let run = audit();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        results(&run)
            .iter()
            .all(|(_, status, _)| status == "verified"),
        "{run:?}"
    );

    // The same requirement from a policy.json: named by its JSON path.
    let policy = t.dir.path().join("policy.json");
    std::fs::write(
        &policy,
        serde_json::json!({
            "default": [{"type": "insecureAcceptAnything"}],
            "transports": {"docker": {ART_DEV: [
                {"type": "sigstoreSigned", "keyPath": s(&key.public)}
            ]}},
        })
        .to_string(),
    )
    .unwrap();
    let run = t.run("audit", &["--policy", s(&policy), "--output", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.json()["components"][1]["required_by"],
        serde_json::json!([format!("policy.json transports.docker[\"{ART_DEV}\"][0]")]),
        "{run:?}"
    );

    // Without the ClusterImagePolicy (4.21's default covers only
    // ocp-release), components need no signature.
    let run = t.run("audit", &["--output", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.json()["components"][0]["required_by"],
        serde_json::json!([])
    );
}

#[test]
fn a_policy_json_signed_by_rule_makes_component_gpg_signatures_required() {
    // policy.json requires a test key's GPG signature for
    // ocp-v4.0-art-dev: each component's signatures are read from the
    // lookaside registries.d assigns to its mirror location, and every
    // requirement of the scope (a reject too) must accept it.
    let t = Setup::new(2);
    let cert = signing_cert(CipherSuite::Cv25519);
    let keyring = t.dir.path().join("components.gpg");
    let mut bytes = Vec::new();
    cert.serialize(&mut bytes).unwrap();
    std::fs::write(&keyring, bytes).unwrap();
    let lookaside = Mirror::start();
    let registries_d = t.dir.path().join("registries.d");
    crate::common::registries_d(
        &registries_d,
        &format!("{}/{MIRROR_REPO}", t.registry.addr),
        &lookaside.url,
    );
    let policy = t.dir.path().join("policy.json");
    let write_policy = |rules: serde_json::Value| {
        std::fs::write(
            &policy,
            serde_json::json!({
                "default": [{"type": "insecureAcceptAnything"}],
                "transports": {"docker": {ART_DEV: rules}},
            })
            .to_string(),
        )
        .unwrap()
    };
    write_policy(serde_json::json!([
        {"type": "signedBy", "keyType": "GPGKeys", "keyPath": s(&keyring)}
    ]));
    let audit = || {
        t.run(
            "audit",
            &[
                "--policy",
                s(&policy),
                "--registries-d",
                s(&registries_d),
                "--output",
                "json",
            ],
        )
    };
    let sign_component = |i: usize| {
        let digest = &t.release.components[i].1.digest;
        let sig = sign(
            &payload(digest, &format!("{ART_DEV}@{digest}")),
            vec![primary_pair(&cert)],
            &Msg::default(),
        );
        let hex = digest.replacen(':', "=", 1);
        lookaside.put(
            &format!("/{MIRROR_REPO}@{hex}/signature-1"),
            Route::Body(sig),
        );
    };
    let rule = format!("policy.json transports.docker[\"{ART_DEV}\"][0]");

    // Only component 0 is signed: component 1 fails, naming the rule.
    sign_component(0);
    let run = audit();
    assert_only_the_first_is_signed(&run);
    let doc = run.json();
    assert_eq!(
        doc["components"][1]["required_by"],
        serde_json::json!([rule])
    );
    let message = doc["components"][1]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "the cluster would refuse to run it: {rule} requires a GPG signature"
        )),
        "{message}"
    );
    let message = doc["components"][0]["message"].as_str().unwrap();
    assert!(message.contains("GPG signature verified"), "{message}");

    // Both signed: the audit passes.
    sign_component(1);
    let run = audit();
    assert_eq!(run.code, 0, "{run:?}");

    // A signature by another key is not accepted.
    let other = signing_cert(CipherSuite::Cv25519);
    let digest = &t.release.components[1].1.digest;
    lookaside.put(
        &format!(
            "/{MIRROR_REPO}@{}/signature-1",
            digest.replacen(':', "=", 1)
        ),
        Route::Body(sign(
            &payload(digest, &format!("{ART_DEV}@{digest}")),
            vec![primary_pair(&other)],
            &Msg::default(),
        )),
    );
    let run = audit();
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(results(&run)[1].2, "no-accepted-signature", "{run:?}");

    // A scope the policy rejects: every component is refused, although
    // signatures are not needed to know it.
    write_policy(serde_json::json!([{"type": "reject"}]));
    let run = audit();
    assert_eq!(run.code, 1, "{run:?}");
    for (name, status, reason) in results(&run) {
        assert_eq!(
            (status.as_str(), reason.as_str()),
            ("rejected", "reject"),
            "{name}: {run:?}"
        );
    }
    let doc = run.json();
    let message = doc["components"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "the cluster would refuse to run it: {rule} rejects the image"
        )),
        "{message}"
    );
}

#[test]
fn a_cluster_image_policy_for_the_release_names_the_key_of_its_sig() {
    // The policy in force gives ocp-release a test key: the release's
    // `.sig` in the mirror must verify with it (not with release key 3).
    use crate::common::cosign::{CosignKey, Layer, push_attachment};
    use base64::Engine as _;
    let t = Setup::new(1);
    let key = CosignKey::p256();
    let key_data =
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(&key.public).unwrap());
    let real = std::fs::read_to_string(
        fixtures().join("sigstore/redhat/clusterimagepolicy-openshift-4.21.yaml"),
    )
    .unwrap();
    let real_key = real
        .lines()
        .find_map(|l| l.trim().strip_prefix("keyData: "))
        .unwrap()
        .to_string();
    let cip = t.dir.path().join("cip.yaml");
    std::fs::write(&cip, real.replace(&real_key, &key_data)).unwrap();
    let pullspec = t.pullspec();
    let audit = || {
        relsig(&[
            "release",
            "audit",
            &pullspec,
            "--tls-verify=false",
            "--retries",
            "0",
            "--signature-store",
            &t.store.url,
            "--keyring",
            s(&t.keyring),
            "--mirror-config",
            s(&t.idms),
            "--cluster-image-policy",
            s(&cip),
            "--output",
            "json",
        ])
    };
    let required_by = serde_json::json!([
        "cluster-version-operator: GPG signature of the release",
        format!("cluster-image-policy openshift: scope {OCP_RELEASE}"),
    ]);

    let run = audit();
    assert_eq!(run.code, 1, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["release"]["reason"], "no-signatures", "{run:?}");
    assert_eq!(doc["release"]["required_by"], required_by, "{run:?}");

    let digest = &t.release.release.digest;
    let identity = format!("{OCP_RELEASE}:{VERSION}-x86_64");
    push_attachment(
        &t.registry,
        MIRROR_REPO,
        digest,
        &[Layer::signed(&key, &identity, digest)],
    );
    let run = audit();
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["release"]["required_by"], required_by, "{run:?}");

    // Signed by another key than the policy names: not verified.
    let other = CosignKey::p256();
    let other_data =
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(&other.public).unwrap());
    std::fs::write(&cip, real.replace(&real_key, &other_data)).unwrap();
    let run = audit();
    assert_eq!(run.code, 1, "{run:?}");
}
