//! A reader that stops early (`relsig … | head -1`, `| grep -q`) closes
//! relsig's stdout: relsig must end quietly with the exit code it would
//! have had, never panic (Rust's `println!` does on a broken pipe).

use crate::common::{
    NOO_DIGEST, NOO_IDENTITY, RUN_LIMIT, fixtures, lookaside_path, noo_dir, noo_lookaside,
    relsig_command, run_bounded_to,
};
use std::process::Stdio;

/// Runs relsig with a stdout whose reader is already gone: every write
/// gets EPIPE. Returns the exit code and stderr.
fn with_closed_stdout(args: &[&str]) -> (i32, String) {
    let home = tempfile::tempdir().unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = relsig_command(home.path());
    cmd.args(args);
    let out = run_bounded_to(&mut cmd, RUN_LIMIT, Some(Stdio::from(writer)))
        .unwrap_or_else(|e| panic!("{e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn noo(file: &str) -> String {
    noo_dir().join(file).display().to_string()
}

#[test]
fn a_closed_stdout_keeps_the_exit_code_and_never_panics() {
    let identity = "registry.redhat.io/albo/aws-load-balancer-operator-bundle:0.0.1";
    let other = "registry.redhat.io/albo/aws-load-balancer-operator-bundle:9.9";
    let manifest = noo("manifest.json");
    let sig = noo("signature-3");
    let missing = fixtures().join("no-such-file").display().to_string();
    let cases: [(&[&str], i32); 7] = [
        (&["standalone-verify", &manifest, identity, "any", &sig], 0),
        (
            &[
                "standalone-verify",
                &manifest,
                identity,
                "any",
                &sig,
                "--output",
                "json",
            ],
            0,
        ),
        (
            &[
                "standalone-verify",
                &manifest,
                other,
                "any",
                &sig,
                "--output",
                "json",
            ],
            1,
        ),
        (
            &[
                "standalone-verify",
                &missing,
                identity,
                "any",
                &sig,
                "--output",
                "json",
            ],
            2,
        ),
        (&["digest", &manifest], 0),
        (&["inspect", &sig, "--output", "json"], 0),
        (&["--help"], 0),
    ];
    for (args, want) in cases {
        let (code, stderr) = with_closed_stdout(args);
        assert!(
            !stderr.contains("panicked"),
            "relsig {args:?} panicked:\n{stderr}"
        );
        assert!(
            !stderr.contains("Broken pipe"),
            "relsig {args:?}:\n{stderr}"
        );
        assert_eq!(code, want, "relsig {args:?}: {stderr}");
    }
}

#[test]
fn a_verify_batch_into_a_closed_pipe_keeps_its_exit_code() {
    let dir = noo_dir().display().to_string();
    let digest = "sha256:50b9402635dd4b312a86bed05dcdbda8c00120d3789ec2e9b527045100b3bdb4";
    for (identity, want) in [
        (
            "registry.redhat.io/albo/aws-load-balancer-operator-bundle:0.0.1",
            0,
        ),
        ("registry.redhat.io/albo/other:1", 1),
    ] {
        let args = [
            "verify",
            "--digest",
            digest,
            "--identity",
            identity,
            "--signature-dir",
            &dir,
            "-v",
        ];
        let (code, stderr) = with_closed_stdout(&args);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(code, want, "{stderr}");
    }
}

/// A parent may start relsig with stdout closed altogether (`>&-`). The
/// next descriptor relsig opens, the HTTP client's epoll instance here,
/// would take number 1, and the results would be written into it (EINVAL:
/// "cannot write to stdout", exit 2) or, were it a connection, into the
/// request stream: relsig opens `/dev/null` there first, as Rust's runtime
/// does for programs it starts.
#[test]
fn a_stdout_left_closed_is_not_taken_by_the_next_descriptor_opened() {
    use std::os::unix::process::CommandExt as _;
    let repository = "albo/aws-load-balancer-operator-bundle";
    let mirror = noo_lookaside(repository);
    let home = tempfile::tempdir().unwrap();
    let mut cmd = relsig_command(home.path());
    cmd.args([
        "verify",
        "--digest",
        NOO_DIGEST,
        "--identity",
        NOO_IDENTITY,
        "--lookaside",
        &mirror.url,
    ]);
    // SAFETY: close(2) is async-signal-safe; nothing else runs between
    // fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(1);
            Ok(())
        });
    }
    let out = run_bounded_to(&mut cmd, RUN_LIMIT, None).unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(mirror.hits(&lookaside_path(repository, 1)), 1, "{stderr}");
}
