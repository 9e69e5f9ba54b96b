//! relsig in pipelines: JUnit XML and JSON from `verify`, `fetch` and
//! `policy check` (read back with a real XML parser), a document on stdout
//! even when the input is wrong, the summary line, `--quiet`, progress only
//! on a terminal, and `--debug`'s HTTP and decision records.

use crate::common::mirror::{Mirror, Route};
use crate::common::*;
use quick_xml::XmlVersion;
use quick_xml::events::Event;
use std::collections::BTreeMap;

const WRONG_IDENTITY: &str = "quay.io/openshift-release-dev/ocp-release:4.15.1-x86_64";

/// A mirror with the 4.15.0 release signature, and a noo-bundle digest
/// whose store answers 500 (so that image cannot be checked).
fn batch_mirror() -> Mirror {
    let mirror = Mirror::start();
    mirror.put(
        &mirror_path(RELEASE_DIGEST, 1),
        Route::Body(release_signature()),
    );
    mirror.put(&mirror_path(NOO_DIGEST, 1), Route::Status(500));
    mirror
}

/// An image list: verified, rejected (identity), could not be checked.
fn batch_list(dir: &std::path::Path) -> String {
    let path = dir.join("images.txt");
    std::fs::write(
        &path,
        format!(
            "{RELEASE_DIGEST} {RELEASE_IDENTITY}\n{RELEASE_DIGEST} {WRONG_IDENTITY}\n{NOO_DIGEST} {NOO_IDENTITY}\n"
        ),
    )
    .unwrap();
    path.display().to_string()
}

fn batch(mirror: &Mirror, list: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "verify",
        "--from-file",
        list,
        "--signature-store",
        &mirror.url,
        "--retries",
        "0",
    ];
    args.extend_from_slice(extra);
    relsig(&args)
}

/// One `<testcase>` read back from JUnit XML.
#[derive(Debug, Default)]
struct Case {
    attrs: BTreeMap<String, String>,
    /// `failure` or `error`, with its attributes.
    problem: Option<(String, BTreeMap<String, String>)>,
    system_out: bool,
}

fn attrs(e: &quick_xml::events::BytesStart<'_>) -> BTreeMap<String, String> {
    e.attributes()
        .map(|a| {
            let a = a.expect("well-formed attribute");
            (
                a.key.as_ref().to_string(),
                a.normalized_value(XmlVersion::Implicit1_0)
                    .expect("escaped attribute value")
                    .into_owned(),
            )
        })
        .collect()
}

/// Parses JUnit XML: the `<testsuite>` attributes and its testcases.
/// Panics on anything that is not well-formed (quick-xml checks that end
/// tags match).
fn junit(xml: &str) -> (BTreeMap<String, String>, Vec<Case>) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut suite = None;
    let mut cases: Vec<Case> = Vec::new();
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed XML ({e}):\n{xml}"));
        let e = match event {
            Event::Start(e) | Event::Empty(e) => e,
            Event::Eof => break,
            _ => continue,
        };
        let name = e.name().as_ref().to_string();
        match name.as_str() {
            "testsuite" => {
                assert!(suite.is_none(), "one <testsuite>:\n{xml}");
                suite = Some(attrs(&e));
            }
            "testcase" => cases.push(Case {
                attrs: attrs(&e),
                ..Case::default()
            }),
            "failure" | "error" => {
                cases.last_mut().expect("inside a testcase").problem = Some((name, attrs(&e)));
            }
            "system-out" => cases.last_mut().expect("inside a testcase").system_out = true,
            other => panic!("unexpected element {other:?}:\n{xml}"),
        }
    }
    (suite.expect("a <testsuite>"), cases)
}

#[test]
fn verify_batch_in_text_json_and_junit() {
    let mirror = batch_mirror();
    let dir = tempfile::tempdir().unwrap();
    let list = batch_list(dir.path());

    // Text: a line per image, then the summary line.
    let text = batch(&mirror, &list, &[]);
    assert_eq!(text.code, 1, "{text:?}");
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{text:?}");
    assert!(lines[0].starts_with("verified "), "{text:?}");
    assert!(lines[1].starts_with("NOT verified "), "{text:?}");
    assert!(lines[2].contains("could not check"), "{text:?}");
    assert_eq!(
        lines[3],
        "1 verified, 1 NOT verified, 1 could not be checked"
    );

    // JSON: the images, the counts and the run's status.
    let json = batch(&mirror, &list, &["--output", "json"]);
    assert_eq!(json.code, 1, "{json:?}");
    let doc = json.json();
    let images = doc["images"].as_array().unwrap();
    assert_eq!(images.len(), 3);
    let statuses: Vec<&str> = images
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["verified", "rejected", "could-not-check"]);
    assert_eq!(
        doc["summary"],
        serde_json::json!({"verified": 1, "rejected": 1, "could_not_check": 1})
    );
    assert_eq!(doc["status"], "rejected");
    assert_eq!(doc["verified"], false);
    assert_eq!(doc["exit_code"], 1);

    // JUnit: one testsuite, one testcase per image.
    let xml = batch(&mirror, &list, &["--output", "junit"]);
    assert_eq!(xml.code, 1, "{xml:?}");
    let (suite, cases) = junit(&xml.stdout);
    assert_eq!(suite["name"], "relsig verify");
    assert_eq!(
        (
            &suite["tests"][..],
            &suite["failures"][..],
            &suite["errors"][..]
        ),
        ("3", "1", "1")
    );
    assert_eq!(cases.len(), 3);
    for (case, image) in cases.iter().zip(images) {
        assert_eq!(case.attrs["name"], image["image"].as_str().unwrap());
        assert_eq!(case.attrs["classname"], "verify");
        assert!(case.system_out);
    }
    assert!(cases[0].problem.is_none(), "{:?}", cases[0]);
    let (kind, failure) = cases[1].problem.as_ref().unwrap();
    assert_eq!(kind, "failure");
    assert_eq!(failure["type"], "identity-mismatch");
    // The message, quotes and all, survives escaping.
    assert_eq!(failure["message"], images[1]["message"].as_str().unwrap());
    assert!(failure["message"].contains('"'));
    let (kind, error) = cases[2].problem.as_ref().unwrap();
    assert_eq!(kind, "error");
    assert_eq!(error["type"], "source-error");
}

#[test]
fn fetch_and_policy_check_report_in_json_and_junit() {
    let mirror = Mirror::start();
    for n in 1..=4 {
        mirror.put(&mirror_path(NOO_DIGEST, n), Route::Body(noo_signature(n)));
    }
    let out = tempfile::tempdir().unwrap();
    let to_dir = out.path().join("sigs").display().to_string();
    let fetch = |extra: &[&str]| {
        let mut args = vec![
            "fetch",
            "--digest",
            NOO_DIGEST,
            "--identity",
            NOO_IDENTITY,
            "--signature-store",
            &mirror.url,
            "--to-dir",
            &to_dir,
        ];
        args.extend_from_slice(extra);
        relsig(&args)
    };
    let run = fetch(&["--output", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let img = run.image();
    assert_eq!(img["status"], "verified");
    let written = img["written"].as_array().unwrap();
    assert_eq!(written.len(), 1, "{run:?}");
    assert!(written[0].as_str().unwrap().ends_with("/signature-1"));
    assert_eq!(run.json()["summary"]["verified"], 1);

    // The same signatures again: nothing to replace.
    let run = fetch(&["--output", "junit"]);
    assert_eq!(run.code, 0, "{run:?}");
    let (suite, cases) = junit(&run.stdout);
    assert_eq!(suite["name"], "relsig fetch");
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].attrs["name"], NOO_DIGEST);
    assert_eq!(cases[0].attrs["classname"], "fetch");
    assert!(cases[0].problem.is_none());

    // A ConfigMap that cannot be written once the report has begun: the
    // document stays whole and says so.
    let unwritable = out.path().join("no-such-dir/cm.yaml");
    let run = relsig(&[
        "fetch",
        "--digest",
        NOO_DIGEST,
        "--identity",
        NOO_IDENTITY,
        "--signature-store",
        &mirror.url,
        "--to-configmap",
        unwritable.to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["status"], "could-not-check");
    let error = doc["configmap"]["error"].as_str().unwrap();
    assert!(error.starts_with("cannot write ConfigMap"), "{error}");

    // policy check: one testcase, a failure when rejected.
    let policy = out.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"default":[{"type":"reject"}],"transports":{"docker":{"registry.redhat.io":[{"type":"insecureAcceptAnything"}]}}}"#,
    )
    .unwrap();
    let check = |image: &str| {
        relsig(&[
            "policy",
            "check",
            image,
            "--policy",
            policy.to_str().unwrap(),
            "--output",
            "junit",
        ])
    };
    let run = check(NOO_IDENTITY);
    assert_eq!(run.code, 0, "{run:?}");
    let (suite, cases) = junit(&run.stdout);
    assert_eq!(suite["name"], "relsig policy check");
    assert_eq!(cases[0].attrs["name"], NOO_IDENTITY);
    assert_eq!(cases[0].attrs["classname"], "policy check");
    assert!(cases[0].problem.is_none());
    let run = check("quay.io/other/image:1");
    assert_eq!(run.code, 1, "{run:?}");
    let (suite, cases) = junit(&run.stdout);
    assert_eq!(suite["failures"], "1");
    let (kind, failure) = cases[0].problem.as_ref().unwrap();
    assert_eq!(
        (kind.as_str(), failure["type"].as_str()),
        ("failure", "reject")
    );
}

#[test]
fn wrong_input_still_writes_a_document() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing").display().to_string();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").unwrap();
    let empty = empty.display().to_string();
    let cases: [(&[&str], &str); 9] = [
        // Refused by relsig.
        (&["verify", "v4.15.0"], "usage"),
        (&["verify", "--from-file", &missing], "io-error"),
        (
            &[
                "fetch",
                "4.15.0",
                "--to-dir",
                &missing,
                "--signature-dir",
                &missing,
            ],
            "usage",
        ),
        (&["digest", &missing], "io-error"),
        (&["digest", &empty], "usage"),
        (&["inspect", &missing], "io-error"),
        (
            &["policy", "check", "quay.io/a/b:1", "--policy", &missing],
            "io-error",
        ),
        // Refused by the argument parser.
        (&["verify", "4.15.0", "--timeout", "0"], "usage"),
        (&["fetch", "4.15.0"], "usage"),
    ];
    for (args, reason) in cases {
        let mut json_args = args.to_vec();
        json_args.extend(["--output", "json"]);
        let run = relsig(&json_args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        let doc = run.json();
        assert_eq!(doc["status"], "could-not-check", "{args:?}");
        assert_eq!(doc["verified"], false, "{args:?}");
        assert_eq!(doc["reason"], reason, "{args:?}: {run:?}");
        assert_eq!(doc["exit_code"], 2, "{args:?}");
        let message = doc["message"].as_str().unwrap();
        assert!(
            !message.is_empty() && !message.contains('\n'),
            "{args:?}: {message}"
        );
        // The same error on stderr for a person reading the log.
        assert!(!run.stderr.is_empty(), "{args:?}");
    }
    for args in [
        &["verify", "v4.15.0", "--output", "junit"][..],
        &[
            "policy",
            "check",
            "quay.io/a/b:1",
            "--policy",
            &missing,
            "--output",
            "junit",
        ],
        &["fetch", "4.15.0", "--output=junit"],
    ] {
        let run = relsig(args);
        assert_eq!(run.code, 2, "{run:?}");
        let (suite, cases) = junit(&run.stdout);
        assert_eq!(
            (&suite["tests"][..], &suite["errors"][..]),
            ("1", "1"),
            "{args:?}"
        );
        assert_eq!(cases[0].problem.as_ref().unwrap().0, "error");
    }
    // Text output keeps stdout empty: the error is on stderr.
    let run = relsig(&["verify", "v4.15.0"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
}

#[test]
fn quiet_prints_only_what_went_wrong() {
    let mirror = batch_mirror();
    let dir = tempfile::tempdir().unwrap();
    let list = batch_list(dir.path());
    let run = batch(&mirror, &list, &["-q"]);
    assert_eq!(run.code, 1, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{run:?}");
    assert!(
        lines.iter().all(|l| l.starts_with("NOT verified ")),
        "{run:?}"
    );
    // A verified standalone-verify says nothing at all.
    let noo = |f: &str| noo_dir().join(f).display().to_string();
    let run = relsig(&[
        "--quiet",
        "standalone-verify",
        &noo("manifest.json"),
        NOO_IDENTITY,
        "any",
        &noo("signature-3"),
    ]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", "")
    );
}

#[test]
fn progress_only_when_stderr_is_a_terminal() {
    let mirror = batch_mirror();
    let dir = tempfile::tempdir().unwrap();
    let list = batch_list(dir.path());
    // stderr is a file here: no progress.
    let run = batch(&mirror, &list, &[]);
    assert!(!run.stderr.contains("[1/3]"), "{run:?}");
    assert!(!run.stderr.contains('\r'), "{run:?}");

    // Under a pseudo-terminal (util-linux `script`), with stdout sent
    // elsewhere: the terminal shows the progress.
    let home = tempfile::tempdir().unwrap();
    let typescript = dir.path().join("typescript");
    let command = format!(
        "{} verify --from-file {list} --signature-store {} --retries 0 >/dev/null",
        env!("CARGO_BIN_EXE_relsig"),
        mirror.url
    );
    // The hermetic environment of every relsig run, for `script`'s child.
    let hermetic = relsig_command(home.path());
    let mut script = std::process::Command::new("script");
    script
        .args(["-q", "-e", "-c", &command])
        .arg(&typescript)
        .stdin(std::process::Stdio::null());
    for (k, v) in hermetic.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    let out = run_bounded(&mut script, RUN_LIMIT).unwrap();
    let screen = String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned();
    assert_eq!(out.status.code(), Some(1), "{screen}");
    assert!(screen.contains("[3/3] "), "{screen}");
}

#[test]
fn debug_logs_requests_and_decisions() {
    let mirror = batch_mirror();
    let args = [
        "verify",
        "--digest",
        RELEASE_DIGEST,
        "--identity",
        WRONG_IDENTITY,
        "--signature-store",
        &mirror.url,
    ];
    let quiet = relsig(&args);
    assert!(!quiet.stderr.contains("debug"), "{quiet:?}");

    let mut debug_args = args.to_vec();
    debug_args.push("--debug");
    let run = relsig(&debug_args);
    assert_eq!(run.code, 1, "{run:?}");
    let sig1 = format!("{}{}", mirror.url, mirror_path(RELEASE_DIGEST, 1));
    let sig2 = format!("{}{}", mirror.url, mirror_path(RELEASE_DIGEST, 2));
    let line = |needle: &str| {
        run.stderr
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in {run:?}"))
            .to_string()
    };
    // Each request: method, URL, status, bytes, time.
    let got = line(&format!("GET {sig1} -> 200"));
    assert!(got.starts_with("relsig: debug: "), "{got}");
    let bytes = release_signature().len();
    assert!(
        got.contains(&format!("({bytes} bytes, ")) && got.ends_with(" ms)"),
        "{got}"
    );
    assert!(line(&format!("GET {sig2} -> 404")).contains(" bytes, "));
    // Each decision: the signature's, then the image's.
    assert!(line(&format!("{sig1}: identity-mismatch")).contains(WRONG_IDENTITY));
    line(&format!(
        "{RELEASE_DIGEST}: identity-mismatch: 1 signature(s), none accepted"
    ));
}
