//! `relsig verify` and `fetch` against hostile servers on 127.0.0.1: bodies
//! dripped a byte at a time, endless chunked bodies, slow answers, endless
//! 5xx, huge bodies, web pages where signatures should be, redirects to
//! `file://`, stores with more signatures than the limit. Each test
//! asserts the outcome, its reason and the exit code, and for `fetch`
//! that nothing is written. Every run is bounded by the test helpers'
//! limit, so a server that relsig cannot get away from fails the test
//! instead of hanging it; no test measures time (`bench/hostile.sh`
//! does, with memory).

use crate::common::mirror::{Mirror, Route};
use crate::common::*;
use std::time::Duration;

/// `verify` of the 4.15.0 release digest with signatures from `store`.
fn verify_release(store: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "verify",
        "--digest",
        RELEASE_DIGEST,
        "--identity",
        RELEASE_IDENTITY,
        "--signature-store",
        store,
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    relsig(&args)
}

fn signature_url(mirror: &Mirror, n: usize) -> String {
    format!("{}{}", mirror.url, mirror_path(RELEASE_DIGEST, n))
}

/// The directory of the release's signatures in the mirror layout.
fn signature_prefix() -> String {
    mirror_path(RELEASE_DIGEST, 1)
        .trim_end_matches('1')
        .to_string()
}

/// Asserts a JSON run whose one image could not be checked for `reason`,
/// with a message naming `url` and `limit`.
#[track_caller]
fn assert_could_not_check(run: &Run, reason: &str, url: &str, limit: &str) {
    assert_eq!(run.code, 2, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["status"], "could-not-check", "{run:?}");
    assert_eq!(doc["exit_code"], 2, "{run:?}");
    let img = run.image();
    assert_eq!(img["status"], "could-not-check", "{run:?}");
    assert_eq!(img["reason"], reason, "{run:?}");
    let message = img["message"].as_str().unwrap();
    assert!(message.contains(url), "{url} not in {message}");
    assert!(message.contains(limit), "{limit} not in {message}");
}

// 1. Time: a deadline per request, per image and per run.

#[test]
fn a_signature_dripped_byte_by_byte_ends_at_the_request_timeout() {
    let mirror = Mirror::start();
    // 600 bytes at one a second: ten minutes if only each read were
    // limited.
    mirror.put(
        &mirror_path(RELEASE_DIGEST, 1),
        Route::Drip {
            body: release_signature(),
            every: Duration::from_millis(500),
        },
    );
    let run = verify_release(&mirror.url, &["--timeout", "1"]);
    assert_could_not_check(
        &run,
        "source-error",
        &signature_url(&mirror, 1),
        "timed out (--timeout 1s per request)",
    );
    // A request timeout is the server's failure, not retried.
    assert_eq!(mirror.hits(&mirror_path(RELEASE_DIGEST, 1)), 1);
}

#[test]
fn an_endless_chunked_body_ends_at_the_request_timeout() {
    let mirror = Mirror::start();
    mirror.put(
        &mirror_path(RELEASE_DIGEST, 1),
        Route::EndlessChunks {
            every: Duration::from_millis(5),
        },
    );
    let run = verify_release(&mirror.url, &["--timeout", "1"]);
    assert_could_not_check(
        &run,
        "source-error",
        &signature_url(&mirror, 1),
        "--timeout 1s per request",
    );
}

#[test]
fn slow_answers_for_every_signature_end_at_the_image_timeout() {
    let mirror = Mirror::start();
    // Each answer well within --timeout, but 65 of them take 20 s.
    mirror.put_prefix(
        &signature_prefix(),
        Route::Delayed {
            delay: Duration::from_millis(300),
            route: Box::new(Route::Body(b"not a signature".to_vec())),
        },
    );
    let run = verify_release(&mirror.url, &["--timeout", "5", "--image-timeout", "2"]);
    assert_could_not_check(
        &run,
        "timeout",
        &format!("{}{}", mirror.url, signature_prefix()),
        "--image-timeout 2s per image",
    );
    // What was read before the limit is reported.
    let img = run.image();
    let rejected = img["rejected"].as_array().unwrap();
    assert!(!rejected.is_empty() && rejected.len() < 64, "{run:?}");
    assert!(rejected.iter().all(|r| r["reason"] == "not-openpgp"));
}

#[test]
fn endless_server_errors_stop_retrying_at_the_image_timeout() {
    let mirror = Mirror::start();
    mirror.put(&mirror_path(RELEASE_DIGEST, 1), Route::Status(503));
    // A thousand retries would wait for hours with an uncapped doubling
    // backoff.
    let run = verify_release(&mirror.url, &["--retries", "1000", "--image-timeout", "3"]);
    assert_could_not_check(&run, "timeout", &signature_url(&mirror, 1), "HTTP 503");
    let message = run.image()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("not retried: the time is up (--image-timeout 3s per image)"),
        "{message}"
    );
}

#[test]
fn the_run_timeout_ends_every_image() {
    let mirror = Mirror::start();
    mirror.put_prefix(
        &signature_prefix(),
        Route::Drip {
            body: release_signature(),
            every: Duration::from_millis(500),
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("images.txt");
    let line = format!("{RELEASE_DIGEST} {RELEASE_IDENTITY}\n");
    std::fs::write(&list, line.repeat(6)).unwrap();
    let list = list.display().to_string();
    let run = relsig(&[
        "verify",
        "--from-file",
        &list,
        "--signature-store",
        &mirror.url,
        "--jobs",
        "2",
        "--run-timeout",
        "2",
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    let doc = run.json();
    let images = doc["images"].as_array().unwrap();
    assert_eq!(images.len(), 6, "every image is reported");
    for img in images {
        assert_eq!(img["reason"], "timeout", "{img}");
        let message = img["message"].as_str().unwrap();
        assert!(message.contains("--run-timeout 2s per run"), "{message}");
    }
}

#[test]
fn a_manifest_dripped_byte_by_byte_ends_at_the_request_timeout() {
    // The hostile server as a registry (plain http: relsig tries https
    // first and falls back, as skopeo does with --tls-verify=false).
    let registry = Mirror::start();
    let manifest = std::fs::read(noo_dir().join("manifest.json")).unwrap();
    registry.put(
        "/v2/albo/bundle/manifests/1.0",
        Route::Drip {
            body: manifest,
            every: Duration::from_millis(500),
        },
    );
    let store = Mirror::start();
    let image = format!(
        "{}/albo/bundle:1.0",
        registry.url.trim_start_matches("http://")
    );
    let run = relsig(&[
        "verify",
        &image,
        "--tls-verify=false",
        "--signature-store",
        &store.url,
        "--timeout",
        "1",
        "--output",
        "json",
    ]);
    assert_could_not_check(
        &run,
        "registry-error",
        &format!("{}/v2/albo/bundle/manifests/1.0", registry.url),
        "timed out (--timeout 1s per request)",
    );
}

#[test]
fn an_update_graph_dripped_byte_by_byte_ends_at_the_request_timeout() {
    let server = Mirror::start();
    server.put(
        "/graph",
        Route::Drip {
            body: br#"{"nodes":[],"edges":[]}"#.to_vec(),
            every: Duration::from_millis(500),
        },
    );
    let graph_url = format!("{}/graph", server.url);
    let run = relsig(&[
        "verify",
        "4.15.0",
        "--graph-url",
        &graph_url,
        "--signature-store",
        &server.url,
        "--timeout",
        "1",
        "--output",
        "json",
    ]);
    assert_could_not_check(
        &run,
        "graph-error",
        &graph_url,
        "timed out (--timeout 1s per request)",
    );
}

// 2. Memory per job: each signature checked as it arrives, a source read
// no further than the limit.

#[test]
fn a_store_with_a_huge_signature_for_every_number_stops_at_the_limit() {
    let mirror = Mirror::start();
    // Exactly the largest signature allowed, without a length to refuse
    // it by, for every signature-N.
    mirror.put_prefix(
        &signature_prefix(),
        Route::Huge {
            len: 4 * 1024 * 1024,
            chunked: true,
        },
    );
    let run = verify_release(&mirror.url, &[]);
    assert_could_not_check(
        &run,
        "source-error",
        &format!(
            "{}{}",
            mirror.url,
            signature_prefix().trim_end_matches("/signature-")
        ),
        "more than 64 signatures for one image; the first 64 were checked",
    );
    let img = run.image();
    assert_eq!(img["rejected"].as_array().unwrap().len(), 64);
    // signature-65 was asked about, nothing after it.
    assert_eq!(mirror.hits(&mirror_path(RELEASE_DIGEST, 65)), 1);
    assert_eq!(mirror.hits(&mirror_path(RELEASE_DIGEST, 66)), 0);
}

#[test]
fn a_signature_larger_than_the_limit_is_refused() {
    let mirror = Mirror::start();
    for chunked in [true, false] {
        mirror.put(
            &mirror_path(RELEASE_DIGEST, 1),
            Route::Huge {
                len: 64 * 1024 * 1024,
                chunked,
            },
        );
        let run = verify_release(&mirror.url, &[]);
        assert_could_not_check(
            &run,
            "source-error",
            &signature_url(&mirror, 1),
            "response larger than 4194304 bytes",
        );
    }
}

// 3. Memory per run: outcomes delivered as they are ready, in input
// order, the image list read as the run goes.

#[test]
fn outcomes_stream_in_input_order_whatever_finishes_first() {
    let mirror = Mirror::start();
    mirror.put(
        &mirror_path(RELEASE_DIGEST, 1),
        Route::Body(release_signature()),
    );
    // Images whose stores answer after different delays, so that later
    // ones finish first.
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("images.txt");
    let mut text = String::new();
    let mut expected = Vec::new();
    for i in 0..12u8 {
        let digest = format!("sha256:{}", format!("{i:02x}").repeat(32));
        mirror.put(
            &mirror_path(&digest, 1),
            Route::Delayed {
                delay: Duration::from_millis(u64::from(11 - i) * 40),
                route: Box::new(Route::Status(404)),
            },
        );
        text.push_str(&format!("{digest} {RELEASE_IDENTITY}\n"));
        expected.push(digest.clone());
        if i % 4 == 0 {
            text.push_str(&format!("{RELEASE_DIGEST} {RELEASE_IDENTITY}\n"));
            expected.push(RELEASE_DIGEST.to_string());
        }
    }
    std::fs::write(&list, text).unwrap();
    let list = list.display().to_string();
    for jobs in ["1", "4"] {
        let run = relsig(&[
            "verify",
            "--from-file",
            &list,
            "--signature-store",
            &mirror.url,
            "--jobs",
            jobs,
            "--output",
            "json",
        ]);
        assert_eq!(run.code, 1, "{run:?}");
        let doc = run.json();
        assert_eq!(doc["status"], "rejected");
        assert_eq!(doc["verified"], false);
        assert_eq!(doc["exit_code"], 1);
        let images: Vec<&str> = doc["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["image"].as_str().unwrap())
            .collect();
        assert_eq!(images, expected, "jobs {jobs}");
    }
}

#[test]
fn an_error_on_stdin_ends_the_run_after_the_images_before_it() {
    let mirror = Mirror::start();
    mirror.put(
        &mirror_path(RELEASE_DIGEST, 1),
        Route::Body(release_signature()),
    );
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("images.txt");
    let good = format!("{RELEASE_DIGEST} {RELEASE_IDENTITY}\n");
    std::fs::write(&list, format!("{good}{good}not/A/reference:1\n{good}")).unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = relsig_command(home.path());
    cmd.args([
        "verify",
        "--from-file",
        "-",
        "--signature-store",
        &mirror.url,
        "--jobs",
        "1",
        "--output",
        "json",
    ])
    .stdin(std::fs::File::open(&list).unwrap());
    let out = run_bounded(&mut cmd, RUN_LIMIT).unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(run.code, 2, "{run:?}");
    // The document is whole, with the images checked before the error.
    let doc = run.json();
    assert_eq!(doc["images"].as_array().unwrap().len(), 2, "{run:?}");
    assert_eq!(doc["status"], "could-not-check");
    assert!(
        run.stderr.starts_with("relsig: stdin:3: invalid IMAGE"),
        "{run:?}"
    );

    // The same list as a file is refused before anything is checked.
    let list = list.display().to_string();
    let run = relsig(&[
        "verify",
        "--from-file",
        &list,
        "--signature-store",
        &mirror.url,
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    // Nothing was checked: the JSON document is the error alone.
    let doc = run.json();
    assert_eq!(doc["status"], "could-not-check", "{run:?}");
    assert_eq!(doc["reason"], "usage", "{run:?}");
    assert!(doc.get("images").is_none(), "{run:?}");
    assert!(
        run.stderr
            .starts_with(&format!("relsig: {list}:3: invalid IMAGE")),
        "{run:?}"
    );
    assert_eq!(mirror.hits(&mirror_path(RELEASE_DIGEST, 1)), 2);
}

// 10. Messages.

#[test]
fn a_web_page_for_every_signature_is_named_as_such() {
    let mirror = Mirror::start();
    mirror.put_prefix(
        &signature_prefix(),
        Route::Typed {
            content_type: "text/html; charset=utf-8",
            body: b"<!DOCTYPE html><html><body>Please log in</body></html>".to_vec(),
        },
    );
    let run = verify_release(&mirror.url, &[]);
    assert_could_not_check(
        &run,
        "source-error",
        &signature_url(&mirror, 1),
        "is an HTML page, not a signature (a login page or a wrong URL?)",
    );
    assert_eq!(mirror.hits(&mirror_path(RELEASE_DIGEST, 2)), 0);

    // Served as octet-stream, the page is still known by its start.
    mirror.put_prefix(
        &signature_prefix(),
        Route::Body(b"\n<html><body>Not here</body></html>".to_vec()),
    );
    let run = verify_release(&mirror.url, &[]);
    assert_could_not_check(
        &run,
        "source-error",
        &signature_url(&mirror, 1),
        "HTML page",
    );
}

#[test]
fn a_redirect_to_a_local_file_is_refused() {
    let mirror = Mirror::start();
    mirror.put(
        &mirror_path(RELEASE_DIGEST, 1),
        Route::Redirect("file:///etc/passwd".into()),
    );
    let run = verify_release(&mirror.url, &[]);
    assert_could_not_check(
        &run,
        "source-error",
        &signature_url(&mirror, 1),
        "redirect refused",
    );
    let message = run.image()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains(
            "redirects to file:///etc/passwd; only http and https redirects are followed"
        ),
        "{message}"
    );
    assert!(!message.contains("302"), "{message}");
}

#[test]
fn a_verified_signature_stands_when_a_later_one_cannot_be_read() {
    for (second, problem) in [
        (Route::Status(503), "HTTP 503"),
        (
            Route::Drip {
                body: b"slow".to_vec(),
                every: Duration::from_secs(1),
            },
            "timed out (--timeout 1s per request)",
        ),
    ] {
        let mirror = Mirror::start();
        mirror.put(
            &mirror_path(RELEASE_DIGEST, 1),
            Route::Body(release_signature()),
        );
        mirror.put(&mirror_path(RELEASE_DIGEST, 2), second);
        let run = verify_release(&mirror.url, &["--timeout", "1", "--retries", "1"]);
        assert_eq!(run.code, 0, "{run:?}");
        let img = run.image();
        assert_eq!(img["status"], "verified");
        assert_eq!(img["accepted"]["source"], signature_url(&mirror, 1));
        // The unreadable one is a warning, in the JSON and the message.
        let errors = img["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{run:?}");
        let error = errors[0]["message"].as_str().unwrap();
        assert!(error.starts_with(&signature_url(&mirror, 2)), "{error}");
        assert!(error.contains(problem), "{error}");
        let message = img["message"].as_str().unwrap();
        assert!(message.contains("; warning: "), "{message}");

        // In text, the verified line on stdout and a warning on stderr.
        let run = relsig(&[
            "verify",
            "--digest",
            RELEASE_DIGEST,
            "--identity",
            RELEASE_IDENTITY,
            "--signature-store",
            &mirror.url,
            "--timeout",
            "1",
            "--retries",
            "1",
        ]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.starts_with("verified "), "{run:?}");
        assert!(run.stderr.starts_with("relsig: warning: "), "{run:?}");
        assert!(run.stderr.contains(problem), "{run:?}");
    }
}

// `fetch` writes nothing for an image it could not check.

#[test]
fn fetch_writes_nothing_when_the_store_is_hostile() {
    let mirror = Mirror::start();
    mirror.put(
        &mirror_path(RELEASE_DIGEST, 1),
        Route::Drip {
            body: release_signature(),
            every: Duration::from_millis(500),
        },
    );
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("dir");
    let cm = out.path().join("cm.yaml");
    for destination in [
        ["--to-dir", dir.to_str().unwrap()],
        ["--to-configmap", cm.to_str().unwrap()],
    ] {
        let mut args = vec![
            "fetch",
            "--digest",
            RELEASE_DIGEST,
            "--identity",
            RELEASE_IDENTITY,
            "--signature-store",
            &mirror.url,
            "--timeout",
            "1",
        ];
        args.extend(destination);
        let run = relsig(&args);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stdout.contains("could not check") && run.stdout.contains("nothing written"),
            "{run:?}"
        );
    }
    assert!(!dir.exists());
    assert!(!cm.exists());
}

#[test]
fn fetch_keeps_the_verified_signature_when_a_later_one_fails() {
    let mirror = Mirror::start();
    mirror.put(
        &mirror_path(RELEASE_DIGEST, 1),
        Route::Body(release_signature()),
    );
    mirror.put(&mirror_path(RELEASE_DIGEST, 2), Route::Status(502));
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().display().to_string();
    let run = relsig(&[
        "fetch",
        "--digest",
        RELEASE_DIGEST,
        "--identity",
        RELEASE_IDENTITY,
        "--signature-store",
        &mirror.url,
        "--retries",
        "0",
        "--to-dir",
        &dir,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let folder = out.path().join(RELEASE_DIGEST.replacen(':', "=", 1));
    assert_eq!(
        std::fs::read(folder.join("signature-1")).unwrap(),
        release_signature()
    );
    assert!(!folder.join("signature-2").exists());
}
