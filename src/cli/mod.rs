//! The command line: clap definitions (help lives in the `///` comments),
//! one file per subcommand family, and [`run`], which dispatches and
//! returns the one [`Status`] `main` maps to the exit code.

#[macro_use]
pub mod output;
mod policy;
mod standalone;
mod verify;

use clap::{Parser, Subcommand, ValueEnum};
use relsig::status::Status;
use std::time::SystemTime;

fn long_version() -> &'static str {
    let s = format!(
        "{}\nOpenPGP: sequoia-openpgp {}, crypto backend: {}",
        env!("CARGO_PKG_VERSION"),
        sequoia_openpgp::VERSION,
        sequoia_openpgp::crypto::backend()
    );
    Box::leak(s.into_boxed_str())
}

/// Verify container image signatures in the "atomic container signature"
/// (simple signing) format, the format Red Hat signs OpenShift releases and
/// its registry content with.
#[derive(Parser, Debug)]
#[command(name = "relsig", version, long_version = long_version(), propagate_version = true)]
#[command(
    after_help = "Exit codes: 0 verified, 1 verification failed, 2 could not check (usage, I/O).\n\nRun `relsig help <command>` for examples."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Verify one signature of one manifest, like `skopeo standalone-verify`.
    ///
    /// Checks, in order: the reference argument, the OpenPGP signature
    /// against the trusted keys, that the signer is accepted, the signed
    /// JSON payload, that the manifest digest equals the signed digest, and
    /// that the signed identity equals DOCKER-REFERENCE (normalised, no
    /// default tag added). Prints
    /// `Signature verified using fingerprint <FPR>, digest <DIGEST>` on
    /// success.
    #[command(after_help = standalone::STANDALONE_EXAMPLES)]
    StandaloneVerify(standalone::StandaloneArgs),
    /// Print the digest of a manifest file (schema-1 JWS signatures excluded,
    /// as registries compute it).
    #[command(
        after_help = "Example:\n  relsig digest manifest.json\n  sha256:50b9402635dd4b312a86bed05dcdbda8c00120d3789ec2e9b527045100b3bdb4"
    )]
    Digest(standalone::DigestArgs),
    /// Verify images end to end: manifest from the registry, signatures
    /// from the release mirror, a lookaside store, a directory or a ConfigMap.
    Verify(verify::VerifyArgs),
    /// Download the signatures of an image and keep only those that verify,
    /// as a mirror-layout directory or a ConfigMap for disconnected clusters.
    Fetch(verify::FetchArgs),
    /// Node trust policy (policy.json + registries.d): check, lint, render
    /// as a MachineConfig, or start from Red Hat's.
    Policy(policy::PolicyArgs),
    /// Show what a signature file claims, WITHOUT verifying it: identity,
    /// digest, creator, issuer key and packet facts.
    #[command(
        after_help = "Examples:\n  relsig inspect signature-1\n  relsig inspect --output json signature-1 | jq .payload"
    )]
    Inspect(standalone::InspectArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Output {
    Text,
    Json,
}

fn parse_time(s: &str) -> Result<SystemTime, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(SystemTime::from)
        .map_err(|e| format!("{e}: expected an RFC 3339 time such as 2024-01-01T00:00:00Z"))
}

/// Runs the subcommand. An `Err` is a failure to check (exit 2) that has
/// not been printed yet.
pub fn run(cli: Cli) -> anyhow::Result<Status> {
    match cli.command {
        Command::StandaloneVerify(args) => standalone::run_standalone(args),
        Command::Digest(args) => standalone::run_digest(args),
        Command::Inspect(args) => standalone::run_inspect(args),
        Command::Verify(args) => verify::run_verify(args),
        Command::Fetch(args) => verify::run_fetch(args),
        Command::Policy(args) => policy::run(args),
    }
}
