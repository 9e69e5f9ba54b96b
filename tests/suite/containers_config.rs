//! `verify` and `fetch` use the containers configuration users already
//! have: registries.d lookasides (from `--registries-d`,
//! `RELSIG_REGISTRIES_D` or `~/.config/containers/registries.d`), Red
//! Hat's documented signature stores when nothing is configured,
//! registries.conf mirrors (the real registry on 127.0.0.1 as the
//! mirror), certs.d CAs (the real registry serving TLS with a CA made at
//! test time), a clear error when no source applies; and nothing of the
//! HTTP client is set up when no network source is used.

use crate::common::mirror::Mirror;
use crate::common::s;
use crate::common::*;
use std::path::Path;

const TAG: &str = "albo/aws-load-balancer-operator-bundle:0.0.1";
const REPO: &str = "registry.redhat.io/albo/aws-load-balancer-operator-bundle";

fn by_digest<'a>(identity: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "verify",
        "--digest",
        NOO_DIGEST,
        "--identity",
        identity,
        "--output",
        "json",
    ];
    v.extend_from_slice(extra);
    v
}

fn assert_noo_verified(run: &Run) -> serde_json::Value {
    assert_eq!(run.code, 0, "{run:?}");
    let img = run.image();
    assert_eq!(img["reason"], "ok", "{run:?}");
    assert_eq!(img["accepted"]["signed_identity"], NOO_IDENTITY);
    img
}

#[test]
fn registries_d_lookasides_come_from_the_option_the_variable_and_home() {
    let mirror = noo_lookaside("albo/aws-load-balancer-operator-bundle");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registries.d");
    registries_d(&dir, "registry.redhat.io", &mirror.url);

    let run = relsig(&by_digest(NOO_IDENTITY, &["--registries-d", s(&dir)]));
    let img = assert_noo_verified(&run);
    let sig3 = format!(
        "{}{}",
        mirror.url,
        lookaside_path("albo/aws-load-balancer-operator-bundle", 3)
    );
    assert_eq!(img["accepted"]["source"], sig3);
    let source = img["sources"][0].as_str().unwrap();
    assert_eq!(
        source,
        format!(
            "lookaside {} (registries.d docker[\"registry.redhat.io\"] in {})",
            mirror.url,
            dir.join("test.yaml").display()
        )
    );

    let run = relsig_env(
        &by_digest(NOO_IDENTITY, &[]),
        &[("RELSIG_REGISTRIES_D", s(&dir))],
    );
    assert_noo_verified(&run);

    // Without the variable: ~/.config/containers/registries.d, as podman.
    let home = tempfile::tempdir().unwrap();
    registries_d(
        &home.path().join(".config/containers/registries.d"),
        "registry.redhat.io",
        &mirror.url,
    );
    let mut cmd = relsig_command(home.path());
    cmd.env_remove("RELSIG_REGISTRIES_D")
        .args(by_digest(NOO_IDENTITY, &[]));
    let out = run_bounded(&mut cmd, RUN_LIMIT).unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_noo_verified(&run);

    // fetch reads the same configuration.
    let to = tmp.path().join("out");
    let run = relsig(&[
        "fetch",
        "--digest",
        NOO_DIGEST,
        "--identity",
        NOO_IDENTITY,
        "--registries-d",
        s(&dir),
        "--to-dir",
        s(&to),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let written = to.join(NOO_DIGEST.replacen(':', "=", 1));
    assert_eq!(
        std::fs::read(written.join("signature-1")).unwrap(),
        noo_signature(3)
    );
    assert!(!written.join("signature-2").exists());
}

/// With nothing configured, Red Hat's registries get the signature stores
/// Red Hat documents. A loopback HTTPS proxy that refuses every tunnel
/// shows where relsig went without leaving the machine.
#[test]
fn red_hat_registries_get_red_hats_documented_stores() {
    let proxy = Mirror::start();
    let cases = [
        (
            NOO_IDENTITY,
            "registry.redhat.io",
            "https://registry.redhat.io/containers/sigstore",
        ),
        (
            "registry.access.redhat.com/albo/aws-load-balancer-operator-bundle:0.0.1",
            "registry.access.redhat.com",
            "https://access.redhat.com/webassets/docker/content/sigstore",
        ),
    ];
    for (identity, registry, store) in cases {
        let run = relsig_env(
            &by_digest(identity, &["--retries", "0", "--timeout", "20"]),
            &[("HTTPS_PROXY", &proxy.url)],
        );
        assert_eq!(run.code, 2, "{run:?}");
        let img = run.image();
        assert_eq!(img["reason"], "source-error", "{run:?}");
        assert_eq!(
            img["errors"][0]["source"],
            format!("lookaside {store} (Red Hat's documented signature store for {registry})")
        );
        let host = store
            .trim_start_matches("https://")
            .split('/')
            .next()
            .unwrap();
        assert!(
            proxy.requests().contains(&format!("{host}:443")),
            "{:?}",
            proxy.requests()
        );
    }
    // Never the OpenShift release mirror, which has no signatures for
    // registry content.
    assert!(
        !proxy
            .requests()
            .iter()
            .any(|r| r.contains("mirror.openshift.com")),
        "{:?}",
        proxy.requests()
    );
}

#[test]
fn an_image_no_source_applies_to_says_how_to_add_one() {
    let run = relsig(&by_digest("quay.io/me/app:1", &[]));
    assert_eq!(run.code, 2, "{run:?}");
    let img = run.image();
    assert_eq!(img["status"], "could-not-check");
    assert_eq!(img["reason"], "no-signature-source");
    let message = img["message"].as_str().unwrap();
    assert!(
        message.starts_with("no signature source applies to quay.io/me/app:1: registries.d ("),
        "{message}"
    );
    for hint in [
        "--lookaside URL",
        "--signature-store URL",
        "lookaside: https://",
    ] {
        assert!(message.contains(hint), "{hint}: {message}");
    }
    // Text: one line, "could not check", not "no signatures".
    let run = relsig(&[
        "verify",
        "--digest",
        NOO_DIGEST,
        "--identity",
        "quay.io/me/app:1",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stdout.lines().count(), 1, "{run:?}");
    assert!(
        run.stdout.starts_with(&format!(
            "NOT verified {NOO_DIGEST}: could not check: no signature source applies"
        )),
        "{run:?}"
    );
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn registries_conf_mirrors_serve_the_manifest_and_the_name_stays() {
    let registry = Registry::start(None);
    registry.push(&noo_dir(), &format!("rh/{TAG}"), None);
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("registries.conf");
    // The primary location is a closed port: anything not served by the
    // mirror fails, and nothing leaves the machine.
    let primary = format!("127.0.0.1:{}", closed_port());
    let write_conf = |extra: &str| {
        std::fs::write(
            &conf,
            format!(
                "[[registry]]\nprefix = \"registry.redhat.io\"\nlocation = \"{primary}\"\n{extra}\n[[registry.mirror]]\nlocation = \"{}/rh\"\ninsecure = true\n",
                registry.addr
            ),
        )
        .unwrap();
    };
    let verify = |image: &str| {
        relsig(&[
            "verify",
            image,
            "--registries-conf",
            s(&conf),
            "--signature-dir",
            s(&noo_dir()),
            "--output",
            "json",
        ])
    };
    let by_digest = format!("{REPO}@{NOO_DIGEST}");
    let by_tag = format!("{REPO}:0.0.1");

    write_conf("");
    // By digest: the mirror's bytes hash to the pinned digest, and the
    // signature must name the image as given, not the mirror.
    let run = verify(&by_digest);
    let img = assert_noo_verified(&run);
    assert_eq!(img["expected_identity"], by_digest);
    // By tag too, unless told otherwise (pull-from-mirror = "all").
    assert_noo_verified(&verify(&by_tag));

    write_conf("mirror-by-digest-only = true");
    assert_noo_verified(&verify(&by_digest));
    let run = verify(&by_tag);
    assert_eq!(run.code, 2, "{run:?}");
    let img = run.image();
    assert_eq!(img["reason"], "registry-error");
    assert!(
        img["message"].as_str().unwrap().contains(&primary),
        "{run:?}"
    );

    write_conf("blocked = true");
    let run = verify(&by_digest);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.image()["message"]
            .as_str()
            .unwrap()
            .contains("is blocked by"),
        "{run:?}"
    );

    // No source given: the lookaside registries.d assigns to where the
    // manifest was fetched (the mirror), with the mirror's path, as
    // containers/image reads it.
    write_conf("");
    let lookaside = noo_lookaside("rh/albo/aws-load-balancer-operator-bundle");
    let rd = tmp.path().join("registries.d");
    registries_d(&rd, &registry.addr, &lookaside.url);
    let run = relsig(&[
        "verify",
        &by_digest,
        "--registries-conf",
        s(&conf),
        "--registries-d",
        s(&rd),
        "--output",
        "json",
    ]);
    let img = assert_noo_verified(&run);
    assert!(
        img["accepted"]["source"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/rh/albo/", lookaside.url)),
        "{run:?}"
    );

    // A broken registries.conf is one line naming the file.
    std::fs::write(&conf, "[[registry]]\nlocation = 5\n").unwrap();
    let run = verify(&by_digest);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("{}:2: not valid TOML", conf.display())),
        "{run:?}"
    );
}

/// A CA and a certificate for 127.0.0.1 it signed, as PEM files in `dir`.
fn make_ca(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "relsig test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let cert = params.signed_by(&key, &issuer).unwrap();
    let paths = (
        dir.join("ca.crt"),
        dir.join("server.crt"),
        dir.join("server.key"),
    );
    std::fs::write(&paths.0, ca.pem()).unwrap();
    std::fs::write(&paths.1, cert.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

#[test]
fn certs_d_cas_are_trusted_for_their_host_only() {
    let tmp = tempfile::tempdir().unwrap();
    let (ca, cert, key) = make_ca(tmp.path());
    let registry = Registry::start_tls(&cert, &key);
    registry.push(&noo_dir(), TAG, None);
    let image = format!(
        "{}/albo/aws-load-balancer-operator-bundle@{NOO_DIGEST}",
        registry.addr
    );
    let noo = noo_dir();
    let verify = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec![
            "verify",
            image.as_str(),
            "--identity",
            NOO_IDENTITY,
            "--signature-dir",
            s(&noo),
            "--retries",
            "0",
            "--output",
            "json",
        ];
        args.extend_from_slice(extra);
        relsig_env(&args, env)
    };

    // The CA is not trusted by default.
    let run = verify(&[], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.image()["reason"], "registry-error");
    assert!(
        run.image()["message"]
            .as_str()
            .unwrap()
            .contains("TLS error"),
        "{run:?}"
    );

    // In certs.d under another host's name: still not trusted here.
    let certs_d = tmp.path().join("certs.d");
    let other = certs_d.join("127.0.0.1:1");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(&ca, other.join("ca.crt")).unwrap();
    let run = verify(&["--certs-d", s(&certs_d)], &[]);
    assert_eq!(run.code, 2, "{run:?}");

    // Under this registry's host:port: trusted, by option or variable.
    let mine = certs_d.join(&registry.addr);
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::copy(&ca, mine.join("ca.crt")).unwrap();
    assert_noo_verified(&verify(&["--certs-d", s(&certs_d)], &[]));
    assert_noo_verified(&verify(&[], &[("RELSIG_CERTS_D", s(&certs_d))]));

    // A broken .crt is named.
    std::fs::write(mine.join("broken.crt"), "not a certificate").unwrap();
    let run = verify(&["--certs-d", s(&certs_d)], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.image()["message"].as_str().unwrap().contains(&format!(
            "cannot use CA file {}",
            mine.join("broken.crt").display()
        )),
        "{run:?}"
    );
}

/// No HTTP client and no CA store is set up unless a network source is
/// used: with an unusable system CA store, a ConfigMap still verifies,
/// and only an https source reports the store.
#[test]
fn nothing_is_set_up_for_the_network_unless_a_network_source_is_used() {
    let tmp = tempfile::tempdir().unwrap();
    let empty_file = tmp.path().join("no-certs.pem");
    std::fs::write(&empty_file, "").unwrap();
    let env = [
        ("SSL_CERT_FILE", s(&empty_file)),
        ("SSL_CERT_DIR", s(tmp.path())),
    ];
    let configmap = fixtures().join("openshift/configmaps/mirrored-release-signatures.yaml");
    let args = |source: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "verify",
            "--digest",
            RELEASE_DIGEST,
            "--identity",
            RELEASE_IDENTITY,
            "--retries",
            "0",
            "--output",
            "json",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        v.extend(source.iter().map(|a| a.to_string()));
        v
    };
    let mut local = args(&[]);
    local.extend([
        "--signature-configmap".to_string(),
        s(&configmap).to_string(),
    ]);
    let run = relsig_env(&local, &env);
    assert_eq!(run.code, 0, "{run:?}");

    let run = relsig_env(
        &args(&["--signature-store", "https://127.0.0.1:1/sigs"]),
        &env,
    );
    assert_eq!(run.code, 2, "{run:?}");
    let message = run.image()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("cannot set up the HTTP client"),
        "{message}"
    );
}
