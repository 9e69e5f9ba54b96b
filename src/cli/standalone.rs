//! `relsig standalone-verify`, `digest` and `inspect`: one file in, one
//! answer out.

use super::Output;
use anyhow::Context as _;
use relsig::image::manifest::Manifest;
use relsig::image::reference::Reference;
use relsig::io::{MAX_MANIFEST_SIZE, MAX_SIGNATURE_SIZE, read_bounded, read_head};
use relsig::signature::check::{Checks, Image, check_signature};
use relsig::signature::identity::ExpectedIdentity;
use relsig::signature::openpgp::keyring::FingerprintError;
use relsig::signature::openpgp::{Accepted, Keyring, OpenPgp};
use relsig::signature::{Reason, Report};
use relsig::status::Status;
use std::path::PathBuf;
use std::time::SystemTime;

pub const STANDALONE_EXAMPLES: &str = "Examples:
  # A Red Hat image signature, checked with the built-in Red Hat keys:
  relsig standalone-verify manifest.json \\
      registry.redhat.io/albo/aws-load-balancer-operator-bundle:0.0.1 \\
      any signature-3

  # Your own key, one accepted fingerprint, machine-readable result:
  relsig standalone-verify manifest.json quay.io/me/app:1.0 \\
      08CD26E446E2E95249B7A405E932F44B23E8DD43 sig \\
      --public-key-file key.gpg --output json";

#[derive(clap::Args, Debug)]
pub struct StandaloneArgs {
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
    #[arg(long, value_name = "TIME", value_parser = super::parse_time)]
    at: Option<SystemTime>,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

#[derive(clap::Args, Debug)]
pub struct DigestArgs {
    /// The manifest file.
    manifest: PathBuf,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    /// The signature file.
    signature: PathBuf,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

pub fn run_standalone(args: StandaloneArgs) -> anyhow::Result<Status> {
    let (report, warnings) = standalone_verify(&args);
    for w in warnings.iter().chain(&report.warnings) {
        errln!("relsig: warning: {w}");
    }
    match args.output {
        Output::Json => outln!("{}", serde_json::to_string_pretty(&report)?),
        Output::Text => match report.status {
            Status::Verified if super::output::quiet() => {}
            Status::Verified => outln!("{}", report.message),
            Status::CouldNotCheck => errln!("relsig: {}", report.message),
            Status::Rejected => errln!("relsig: NOT verified: {}", report.message),
        },
    }
    Ok(report.status)
}

/// Argument checks, reading the files, then the checks of one signature.
/// Input problems are reported in the same [`Report`] (status
/// could-not-check), so the JSON output always has one document.
fn standalone_verify(args: &StandaloneArgs) -> (Report, Vec<String>) {
    let input_error = |reason, msg: String| (Report::could_not_check(reason, msg), Vec::new());
    let keyring = if args.public_key_files.is_empty() {
        Keyring::redhat()
    } else {
        match Keyring::from_files(&args.public_key_files) {
            Ok(k) => k,
            Err(e) => return input_error(Reason::IoError, relsig::io::error_chain(&e)),
        }
    };
    let accepted = match Accepted::parse(&args.fingerprints) {
        Ok(a) => a,
        Err(e @ FingerprintError::Empty) => return input_error(Reason::Usage, e.to_string()),
        Err(e) => {
            let e = e.in_keyring(&keyring);
            return input_error(Reason::FingerprintNotAccepted, e.to_string());
        }
    };
    let expected = match Reference::parse(&args.reference) {
        Ok(r) => ExpectedIdentity::Exact(r),
        Err(e) => return input_error(Reason::InvalidReferenceArgument, e.to_string()),
    };
    let io_error =
        |e: relsig::io::FileError| input_error(Reason::IoError, relsig::io::error_chain(&e));
    let manifest = match read_bounded(&args.manifest, "manifest", MAX_MANIFEST_SIZE) {
        Ok(m) => m,
        Err(e) => return io_error(e),
    };
    // One byte more than the limit, from a file of any size or a device,
    // so that an oversized signature is rejected as `too-large` by the
    // OpenPGP layer, not refused as an I/O problem.
    let signature = match read_head(&args.signature, "signature", MAX_SIGNATURE_SIZE + 1) {
        Ok(s) => s,
        Err(e) => return io_error(e),
    };
    let checks = Checks {
        mechanism: &OpenPgp {
            keyring: &keyring,
            accepted: &accepted,
            judged_now: args.at.is_none(),
        },
        expected: &expected,
        at: args.at.unwrap_or_else(SystemTime::now),
    };
    let manifest = Manifest::new(manifest);
    let mut report = check_signature(&signature, Image::Manifest(&manifest), &checks);
    if report.reason == Reason::NotOpenpgp {
        // Name the file: the usual causes are swapped arguments and an
        // error page saved in place of the signature.
        let mut message = format!("{}: {}", args.signature.display(), report.message);
        if report.message.starts_with("looks like JSON") {
            message.push_str(" (is it the manifest? the arguments are MANIFEST DOCKER-REFERENCE KEY-FINGERPRINTS SIGNATURE)");
        }
        report.message = message;
    } else if !report.verified {
        // An empty or non-JSON file cannot be the manifest: say so in
        // front of the digest mismatch it causes (whose reason and exit
        // code skopeo's users rely on).
        if let Err(e) = relsig::image::manifest::ensure_json(manifest.bytes()) {
            let path = args.manifest.display();
            report.message = format!("manifest {path} {e}; {}", report.message);
        }
    }
    (report, keyring.warnings().to_vec())
}

pub fn run_digest(args: DigestArgs) -> anyhow::Result<Status> {
    let bytes = read_bounded(&args.manifest, "manifest", MAX_MANIFEST_SIZE)?;
    relsig::image::manifest::ensure_json(&bytes)
        .map_err(|e| anyhow::anyhow!("manifest {} {e}", args.manifest.display()))?;
    let d = relsig::image::manifest::digest(&bytes)
        .with_context(|| format!("cannot compute the digest of {}", args.manifest.display()))?;
    match args.output {
        Output::Text => outln!("{d}"),
        Output::Json => {
            let doc = serde_json::json!({
                "status": Status::Verified,
                "verified": true,
                "exit_code": 0,
                "manifest": args.manifest,
                "digest": d.to_string(),
            });
            outln!("{}", serde_json::to_string_pretty(&doc)?);
        }
    }
    Ok(Status::Verified)
}

pub fn run_inspect(args: InspectArgs) -> anyhow::Result<Status> {
    let bytes = read_head(&args.signature, "signature", MAX_SIGNATURE_SIZE + 1)?;
    // The file name alone as context: the cause completes the line
    // ("sig.json: looks like JSON, not an OpenPGP signature").
    let inspection = relsig::signature::inspect::inspect(&bytes)
        .with_context(|| args.signature.display().to_string())?;
    match args.output {
        Output::Text => out!("{}", inspection.to_text()),
        Output::Json => outln!("{}", serde_json::to_string_pretty(&inspection)?),
    }
    // What a truncated or damaged file held was shown; that it could not
    // be read to its end is still an error.
    if let Some(e) = &inspection.incomplete {
        anyhow::bail!("{}: {e}", args.signature.display());
    }
    Ok(Status::Verified)
}
