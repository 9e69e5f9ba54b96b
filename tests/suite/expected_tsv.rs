//! Every case of `fixtures/expected.tsv` (verdicts recorded from skopeo over
//! third-party fixtures) run through the `relsig` binary: the verdict, the
//! JSON `reason`, and the exit code must match.

use crate::common::{fixtures, relsig};
use std::path::PathBuf;

struct Case {
    id: String,
    keyfiles: Vec<String>,
    manifest: String,
    reference: String,
    fingerprints: String,
    signature: String,
    expect: String,
    kind: String,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(fixtures().join("expected.tsv")).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(
        &header[..8],
        [
            "id",
            "keyfiles",
            "manifest",
            "reference",
            "fingerprints",
            "signature",
            "expect",
            "kind"
        ]
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Case {
                id: f[0].into(),
                keyfiles: f[1].split_whitespace().map(String::from).collect(),
                manifest: f[2].into(),
                reference: f[3].into(),
                fingerprints: f[4].into(),
                signature: f[5].into(),
                expect: f[6].into(),
                kind: f[7].into(),
            }
        })
        .collect()
}

fn path(p: &str) -> PathBuf {
    if p.starts_with('/') {
        PathBuf::from(p)
    } else {
        fixtures().join(p)
    }
}

fn expected_exit(case: &Case) -> i32 {
    match (case.expect.as_str(), case.kind.as_str()) {
        ("ok", _) => 0,
        (_, "usage" | "io-error" | "invalid-reference-argument") => 2,
        // A key ID where a fingerprint is needed is a usage error.
        (_, "fingerprint-not-accepted") if case.fingerprints.len() == 16 => 2,
        _ => 1,
    }
}

#[test]
fn every_expected_tsv_case_gets_its_verdict_reason_and_exit_code() {
    let cases = cases();
    assert_eq!(cases.len(), 99, "expected.tsv has 99 cases");
    let mut failures = Vec::new();
    for case in &cases {
        let mut args: Vec<std::ffi::OsString> = vec![
            "standalone-verify".into(),
            path(&case.manifest).into(),
            case.reference.clone().into(),
            case.fingerprints.clone().into(),
            path(&case.signature).into(),
            "--output".into(),
            "json".into(),
        ];
        for k in &case.keyfiles {
            args.push("--public-key-file".into());
            args.push(path(k).into());
        }
        let run = relsig(&args);
        let code = run.code;
        let json: serde_json::Value = match serde_json::from_str(&run.stdout) {
            Ok(j) => j,
            Err(e) => {
                failures.push(format!(
                    "{}: stdout is not JSON ({e}); stderr: {}",
                    case.id, run.stderr
                ));
                continue;
            }
        };
        let verified = json["verified"].as_bool().unwrap_or(false);
        let reason = json["reason"].as_str().unwrap_or("").to_string();
        if verified != (case.expect == "ok") || reason != case.kind || code != expected_exit(case) {
            failures.push(format!(
                "{}: got verified={verified} reason={reason} exit={code}, want expect={} kind={} exit={} ({})",
                case.id, case.expect, case.kind, expected_exit(case), json["message"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
