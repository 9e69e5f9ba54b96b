//! The command line: clap definitions (help lives in the `///` comments),
//! one file per subcommand family, and [`run`], which dispatches and
//! returns the one [`Status`] `main` maps to the exit code. An error is
//! handled here, once for every command: printed on stderr and, when JSON
//! or JUnit was asked for, written as a document on stdout.

#[macro_use]
pub mod output;
mod debug;
mod docs;
mod policy;
mod release;
mod report;
mod standalone;
mod verify;

use clap::{CommandFactory as _, Parser, Subcommand, ValueEnum};
use relsig::signature::Reason;
use relsig::status::Status;
use std::ffi::OsString;
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

    /// Print only what went wrong: no verified lines, summary, progress or
    /// "wrote" lines (JSON and JUnit documents are unchanged).
    #[arg(long, short, global = true)]
    quiet: bool,

    /// Log each HTTP request (method, URL, status, bytes, time) and each
    /// decision about a signature, image or policy requirement on stderr.
    #[arg(long, global = true)]
    debug: bool,
}

#[derive(Subcommand, Debug)]
// Each subcommand's arguments are built only when it runs (or help,
// completions or the man page need them all): building every one cost a
// sixth of a `standalone-verify`'s instructions.
#[command(defer = true)]
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
    /// OpenShift releases component by component: verify a release and
    /// list its components (`info`), or prove a mirror holds every one of
    /// them at its pinned digest (`audit`).
    Release(release::ReleaseArgs),
    /// Show what a signature file claims, WITHOUT verifying it: identity,
    /// digest, creator, issuer key and packet facts.
    #[command(
        after_help = "Examples:\n  relsig inspect signature-1\n  relsig inspect --output json signature-1 | jq .payload"
    )]
    Inspect(standalone::InspectArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish,
    /// powershell).
    #[command(after_help = docs::COMPLETIONS_EXAMPLES)]
    Completions(docs::CompletionsArgs),
    /// Write the manual pages: relsig.1 and relsig-<command>.1 for every
    /// command.
    #[command(after_help = docs::MAN_EXAMPLES)]
    Man(docs::ManArgs),
}

/// `--output` of the commands that give one answer.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Output {
    Text,
    Json,
}

/// `--output` of the commands that report on images (`verify`, `fetch`,
/// `policy check`): also JUnit XML, one testcase per image, for CI.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Junit,
}

impl From<Output> for Format {
    fn from(o: Output) -> Format {
        match o {
            Output::Text => Format::Text,
            Output::Json => Format::Json,
        }
    }
}

impl Command {
    /// The output format asked for, so an error can be written in it.
    fn format(&self) -> Format {
        match self {
            Command::StandaloneVerify(a) => a.output.into(),
            Command::Digest(a) => a.output.into(),
            Command::Inspect(a) => a.output.into(),
            Command::Verify(a) => a.output,
            Command::Fetch(a) => a.output,
            Command::Policy(a) => a.format(),
            Command::Release(a) => a.format(),
            Command::Completions(_) | Command::Man(_) => Format::Text,
        }
    }
}

fn parse_time(s: &str) -> Result<SystemTime, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(SystemTime::from)
        .map_err(|e| format!("{e}: expected an RFC 3339 time such as 2024-01-01T00:00:00Z"))
}

/// Runs the subcommand. An error is printed on stderr and, for JSON or
/// JUnit output, written as a could-not-check document on stdout.
pub fn run(cli: Cli) -> Status {
    output::set_quiet(cli.quiet);
    if cli.debug {
        debug::install();
    }
    let format = cli.command.format();
    let result = match cli.command {
        Command::StandaloneVerify(args) => standalone::run_standalone(args),
        Command::Digest(args) => standalone::run_digest(args),
        Command::Inspect(args) => standalone::run_inspect(args),
        Command::Verify(args) => verify::run_verify(args, cli.debug),
        Command::Fetch(args) => verify::run_fetch(args, cli.debug),
        Command::Policy(args) => policy::run(args),
        Command::Release(args) => release::run(args, cli.debug),
        Command::Completions(args) => docs::run_completions(args),
        Command::Man(args) => docs::run_man(args),
    };
    result.unwrap_or_else(|e| {
        output::print_error(&e);
        let name = command_name();
        report::error_document(format, &name, error_reason(&e), &output::error_line(&e));
        Status::CouldNotCheck
    })
}

/// `usage` for wrong arguments and input; `io-error` when a file or the
/// network could not be read or written.
fn error_reason(e: &anyhow::Error) -> Reason {
    let io = e.chain().any(|c| {
        c.is::<std::io::Error>()
            || c.is::<relsig::io::FileError>()
            || c.is::<relsig::sources::http::HttpError>()
    });
    if io { Reason::IoError } else { Reason::Usage }
}

/// The command's name as typed (`verify`, `policy check`), for JUnit.
fn command_name() -> String {
    let argv: Vec<OsString> = std::env::args_os().collect();
    subcommand_path(&argv).unwrap_or_else(|| "relsig".into())
}

/// The subcommand words of `argv` (`policy check`), found by walking the
/// command tree.
fn subcommand_path(argv: &[OsString]) -> Option<String> {
    let mut cmd = Cli::command();
    let mut words = Vec::new();
    for arg in argv.iter().skip(1).filter_map(|a| a.to_str()) {
        if arg.starts_with('-') {
            continue;
        }
        let Some(sub) = cmd.find_subcommand(arg).cloned() else {
            break;
        };
        words.push(sub.get_name().to_string());
        cmd = sub;
    }
    (!words.is_empty()).then(|| words.join(" "))
}

/// A command line clap refused (or `--help`, `--version`): clap's message
/// as usual and, when `--output json` or `junit` was on the command line,
/// the error document too, so a pipeline reading stdout is never left
/// with nothing.
pub fn usage_error(e: clap::Error, argv: &[OsString]) -> Status {
    let _ = e.print();
    if e.exit_code() == 0 {
        return Status::Verified;
    }
    let rendered = e.to_string();
    let message = rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim_start_matches("error: ");
    let command = subcommand_path(argv).unwrap_or_else(|| "relsig".into());
    report::error_document(requested_format(argv), &command, Reason::Usage, message);
    Status::CouldNotCheck
}

/// The `--output` value of a command line clap could not parse.
fn requested_format(argv: &[OsString]) -> Format {
    let args: Vec<&str> = argv.iter().filter_map(|a| a.to_str()).collect();
    let value = args.iter().enumerate().find_map(|(i, a)| match *a {
        "--output" => args.get(i + 1).copied(),
        _ => a.strip_prefix("--output="),
    });
    match value {
        Some("json") => Format::Json,
        Some("junit") => Format::Junit,
        _ => Format::Text,
    }
}
