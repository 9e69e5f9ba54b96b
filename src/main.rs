//! The `relsig` command: parses the command line, calls the library, and
//! maps outcomes to exit codes (0 verified, 1 rejected, 2 could not check).

mod cmd;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use relsig::verify::{self, Report};
use std::path::PathBuf;
use std::process::ExitCode;
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
struct Cli {
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
    #[command(after_help = STANDALONE_EXAMPLES)]
    StandaloneVerify {
        /// The image manifest, exactly as the registry serves it.
        manifest: PathBuf,
        /// The identity the signature must name, e.g.
        /// quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64.
        #[arg(value_name = "DOCKER-REFERENCE")]
        reference: String,
        /// Accepted signers: comma-separated 40-hex fingerprints (case and
        /// spaces ignored), or `any` for every primary key of the key files.
        #[arg(value_name = "KEY-FINGERPRINTS")]
        fingerprints: String,
        /// The signature file (an OpenPGP signed message, binary or armored).
        signature: PathBuf,
        /// Trusted key file (binary, armored, keyring); repeatable.
        /// Without it, the built-in Red Hat keys are used (release key 2,
        /// beta key 2).
        #[arg(long = "public-key-file", value_name = "FILE")]
        public_key_files: Vec<PathBuf>,
        /// Judge key expiry and revocation at this instant (RFC 3339,
        /// e.g. 2024-01-01T00:00:00Z) instead of now.
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        at: Option<SystemTime>,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// Print the digest of a manifest file (schema-1 JWS signatures excluded,
    /// as registries compute it).
    #[command(
        after_help = "Example:\n  relsig digest manifest.json\n  sha256:50b9402635dd4b312a86bed05dcdbda8c00120d3789ec2e9b527045100b3bdb4"
    )]
    Digest {
        /// The manifest file.
        manifest: PathBuf,
    },
    /// Verify images end to end: manifest from the registry, signatures
    /// from the release mirror, a lookaside store, a directory or a ConfigMap.
    Verify(cmd::verify::VerifyArgs),
    /// Download the signatures of an image and keep only those that verify,
    /// as a mirror-layout directory or a ConfigMap for disconnected clusters.
    Fetch(cmd::verify::FetchArgs),
    /// Node trust policy (policy.json + registries.d): check, lint, render
    /// as a MachineConfig, or start from Red Hat's.
    Policy(cmd::policy::PolicyArgs),
    /// Show what a signature file claims, WITHOUT verifying it: identity,
    /// digest, creator, issuer key and packet facts.
    #[command(
        after_help = "Examples:\n  relsig inspect signature-1\n  relsig inspect --output json signature-1 | jq .payload"
    )]
    Inspect {
        /// The signature file.
        signature: PathBuf,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
}

const STANDALONE_EXAMPLES: &str = "Examples:
  # A Red Hat image signature, checked with the built-in Red Hat keys:
  relsig standalone-verify manifest.json \\
      registry.redhat.io/albo/aws-load-balancer-operator-bundle:0.0.1 any signature-3

  # Your own key, one accepted fingerprint, machine-readable result:
  relsig standalone-verify manifest.json quay.io/me/app:1.0 \\
      08CD26E446E2E95249B7A405E932F44B23E8DD43 sig --public-key-file key.gpg --output json";

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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("relsig: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  because: {cause}");
            }
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Verify(args) => cmd::verify::run_verify(args),
        Command::Fetch(args) => cmd::verify::run_fetch(args),
        Command::Policy(args) => cmd::policy::run(args),
        Command::StandaloneVerify {
            manifest,
            reference,
            fingerprints,
            signature,
            public_key_files,
            at,
            output,
        } => {
            let args = verify::StandaloneArgs {
                manifest: &manifest,
                reference: &reference,
                fingerprints: &fingerprints,
                signature: &signature,
                key_files: &public_key_files,
                at: at.unwrap_or_else(SystemTime::now),
            };
            let (report, warnings) = verify::standalone_verify(&args);
            for w in warnings {
                eprintln!("relsig: warning: {w}");
            }
            print_report(&report, output)?;
            Ok(report.exit_code() as u8)
        }
        Command::Digest { manifest } => {
            let bytes =
                relsig::bounded::read_bounded(&manifest, "manifest", verify::MAX_MANIFEST_SIZE)
                    .map_err(anyhow::Error::msg)?;
            let d = relsig::manifest::digest(&bytes)
                .with_context(|| format!("cannot compute the digest of {}", manifest.display()))?;
            println!("{d}");
            Ok(0)
        }
        Command::Inspect { signature, output } => {
            let bytes = relsig::bounded::read_bounded(
                &signature,
                "signature",
                relsig::pgp::MAX_SIGNATURE_SIZE as u64,
            )
            .map_err(anyhow::Error::msg)?;
            let inspection = relsig::inspect::inspect(&bytes)
                .with_context(|| format!("cannot read {}", signature.display()))?;
            match output {
                Output::Text => print!("{}", inspection.to_text()),
                Output::Json => println!("{}", serde_json::to_string_pretty(&inspection)?),
            }
            Ok(0)
        }
    }
}

fn print_report(report: &Report, output: Output) -> anyhow::Result<()> {
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(report)?),
        Output::Text if report.verified => println!("{}", report.message),
        Output::Text if report.could_not_check => eprintln!("relsig: {}", report.message),
        Output::Text => eprintln!("relsig: NOT verified: {}", report.message),
    }
    Ok(())
}
