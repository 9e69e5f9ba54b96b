//! `relsig policy …`: command-line arguments and output.

use super::report::{Batch, Entry, TextTo};
use super::verify::{ConnectionArgs, SourceArgs};
use super::{Format as OutputFormat, Output, parse_time};
use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use relsig::config::Severity;
use relsig::config::registries_d::{BUILTIN_DEFAULT_LOOKASIDE, RegistriesD};
use relsig::policy::eval::{self, Decision, EvalOptions, Outcome};
use relsig::policy::evidence::{self, EvidenceSources};
use relsig::policy::lint::{LintOptions, LintReport};
use relsig::policy::render::{self, IgnitionVersion, Role};
use relsig::policy::{Policy, init};
use relsig::status::Status;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const DEFAULT_POLICY: &str = "/etc/containers/policy.json";

/// Arguments of `relsig policy`.
#[derive(clap::Args, Debug)]
#[command(after_help = POLICY_EXAMPLES)]
pub struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

impl PolicyArgs {
    /// The output format asked for, so an error can be written in it.
    pub fn format(&self) -> OutputFormat {
        match &self.command {
            PolicyCommand::Check(a) => a.output,
            PolicyCommand::Lint(a) => a.output.into(),
            PolicyCommand::Init(a) => a.output.into(),
            PolicyCommand::MachineConfig(_) => OutputFormat::Text,
        }
    }
}

const POLICY_EXAMPLES: &str =
    "The node trust policy is /etc/containers/policy.json (which keys must have signed \
which images) plus /etc/containers/registries.d/*.yaml (where each image's signatures are); CRI-O \
and podman enforce it on every pull.

Roll-out in four steps:
  relsig policy init --out trust
  relsig policy lint --policy trust/policy.json \\
      --registries-d trust/registries.d --root trust
  relsig policy check registry.redhat.io/ubi9/ubi:latest \\
      --policy trust/policy.json --registries-d trust/registries.d --root trust
  relsig policy machineconfig --role worker --policy trust/policy.json \\
      --registries-d trust/registries.d --root trust \\
      > 51-worker-rh-registry-trust.yaml
  oc apply -f 51-worker-rh-registry-trust.yaml";

#[derive(Subcommand, Debug)]
enum PolicyCommand {
    /// Decide, as CRI-O and podman would, whether IMAGE may be pulled.
    ///
    /// Finds the policy scope for IMAGE (the exact image, then its
    /// repository, each parent namespace, the registry, `*.domain`
    /// wildcards, the docker transport's "" and finally `default`) and
    /// evaluates every requirement of that scope. For `signedBy`, the
    /// signatures come from the lookaside registries.d assigns to IMAGE
    /// (or from the signature source options) and each one's outcome is
    /// shown.
    /// Exit 0 accepted, 1 rejected, 2 the policy or input is invalid or
    /// relsig cannot decide (sigstoreSigned, unreadable keys).
    #[command(after_help = CHECK_EXAMPLES)]
    Check(Box<CheckArgs>),
    /// Check policy.json (and registries.d) for defects before a rollout.
    ///
    /// Errors (exit 2): invalid JSON/YAML, unknown requirement types and
    /// fields, empty requirement lists, a missing `default`, more than one
    /// of keyPath/keyPaths/keyData, key files that cannot be loaded,
    /// scopes that can never match, a scope defined in two registries.d
    /// files, unusable lookaside URLs. Warnings (exit 0): signed scopes
    /// without a lookaside, keys that cannot sign, an
    /// insecureAcceptAnything default next to signed scopes, requirement
    /// types containers/image does not implement.
    #[command(after_help = LINT_EXAMPLES)]
    Lint(LintArgs),
    /// Render policy.json, registries.d and the policy's key files as a
    /// MachineConfig (or Butane config) that installs them on a node pool.
    ///
    /// The files are linted first; a policy with errors is not rendered.
    /// Every key file the policy names (keyPath, keyPaths, read under
    /// --root) is installed, except those RHCOS ships
    /// (/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release): without --root and
    /// without that file here, it is checked against relsig's built-in
    /// copy of RHCOS's file, and a note says so.
    #[command(name = "machineconfig", after_help = RENDER_EXAMPLES)]
    MachineConfig(RenderArgs),
    /// Write a starting policy: Red Hat's documented trust files.
    ///
    /// Writes DIR/policy.json (release key 2 required for
    /// registry.access.redhat.com and registry.redhat.io, anything else
    /// accepted), DIR/registries.d/<registry>.yaml (Red Hat's signature
    /// stores) and DIR/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release (the key
    /// file the policy names, as RHEL 9 and RHCOS ship it), so that
    /// `--root DIR` lets lint, check and machineconfig find it.
    #[command(after_help = INIT_EXAMPLES)]
    Init(InitArgs),
}

const CHECK_EXAMPLES: &str = "Examples:
  # What a node with these files decides for a Red Hat image:
  relsig policy check registry.redhat.io/ubi9/ubi:latest \\
      --policy trust/policy.json --registries-d trust/registries.d --root trust

  # A mirror registry without TLS, signatures from a local directory:
  relsig policy check localhost:5000/albo/bundle:0.0.1 --tls-verify=false \\
      --policy policy.json --signature-dir ./sigs --output json

  # Offline, with the manifest and the signatures of a `dir:` image:
  relsig policy check \\
      registry.redhat.io/albo/aws-load-balancer-operator-bundle:0.0.1 \\
      --policy policy.json --manifest img/manifest.json --signature-dir img

  # In CI: JUnit XML, one testcase for the image:
  relsig policy check registry.redhat.io/ubi9/ubi:latest \\
      --policy policy.json --output junit > relsig-policy.xml";

const LINT_EXAMPLES: &str = "Examples:
  # This machine's files:
  relsig policy lint --policy /etc/containers/policy.json \\
      --registries-d /etc/containers/registries.d

  # The files of `relsig policy init --out trust`, as JSON:
  relsig policy lint --policy trust/policy.json \\
      --registries-d trust/registries.d --root trust --output json";

const RENDER_EXAMPLES: &str = "Examples:
  relsig policy machineconfig --role worker --policy trust/policy.json \\
      --registries-d trust/registries.d --root trust \\
      > 51-worker-rh-registry-trust.yaml
  oc apply -f 51-worker-rh-registry-trust.yaml
  oc get mcp worker    # UPDATING is True until every node has the files

  # A Butane config instead (`butane FILE.bu -o FILE.yaml` makes the
  # MachineConfig):
  relsig policy machineconfig --role master --format butane \\
      --policy trust/policy.json --registries-d trust/registries.d \\
      --root trust > 51-master-rh-registry-trust.bu

  # A custom pool, written only if rendering succeeds, for an older
  # cluster:
  relsig policy machineconfig --role infra --ignition-version 2.2.0 \\
      --policy trust/policy.json --registries-d trust/registries.d \\
      -o 51-infra-rh-registry-trust.yaml";

const INIT_EXAMPLES: &str = "Example:
  relsig policy init --out trust
  relsig policy lint --policy trust/policy.json \\
      --registries-d trust/registries.d --root trust";

/// Where the policy files are, shared by check, lint and machineconfig.
#[derive(clap::Args, Debug)]
struct PolicyFiles {
    /// The policy.json to use.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_POLICY, env = "RELSIG_POLICY")]
    policy: PathBuf,
    /// Read absolute key paths of the policy (keyPath, keyPaths) under
    /// DIR, e.g. a copy of a node's files or the output of `policy init`.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// The image, e.g. registry.redhat.io/ubi9/ubi:9.4 or repo@sha256:…
    /// (`:latest` is assumed without a tag or digest, as podman does).
    image: String,
    #[command(flatten)]
    files: PolicyFiles,
    /// The registries.d directory that says where signatures are
    /// [default: ~/.config/containers/registries.d if it exists, else
    /// /etc/containers/registries.d]. A missing default directory counts
    /// as empty, as in containers/image.
    #[arg(long = "registries-d", value_name = "DIR", env = "RELSIG_REGISTRIES_D")]
    registries_d: Option<PathBuf>,
    /// The lookaside used when registries.d names none for the image
    /// (containers/image's built-in default).
    #[arg(long, value_name = "URL", default_value = BUILTIN_DEFAULT_LOOKASIDE,
          env = "RELSIG_DEFAULT_LOOKASIDE")]
    default_lookaside: String,
    /// Add the sigstoreSigned requirements of an OpenShift
    /// ClusterImagePolicy / ImagePolicy YAML file (several documents
    /// allowed) to the policy, as the machine-config-operator does: each
    /// scope's requirements get them appended. Repeatable.
    #[arg(long = "cluster-image-policy", value_name = "FILE")]
    cluster_image_policy: Vec<PathBuf>,
    /// Use this manifest file (exactly as the registry serves it)
    /// instead of fetching IMAGE's manifest from its registry.
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// Signature sources that replace the lookaside registries.d assigns.
    #[command(flatten)]
    sources: SourceArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Judge key expiry and revocation at this instant (RFC 3339) instead
    /// of now.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    at: Option<SystemTime>,
    /// text: the decision with every requirement; json: one document;
    /// junit: JUnit XML, one testcase for the image.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
}

#[derive(clap::Args, Debug)]
struct LintArgs {
    #[command(flatten)]
    files: PolicyFiles,
    /// Also check this registries.d directory, and that every signed
    /// scope has a lookaside.
    #[arg(long = "registries-d", value_name = "DIR")]
    registries_d: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum IgnitionArg {
    /// OpenShift 4.6 and later.
    #[value(name = "3.2.0")]
    V3_2,
    /// Older clusters (Red Hat's original procedure).
    #[value(name = "2.2.0")]
    V2_2,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// A MachineConfig (apply with `oc apply -f`).
    Machineconfig,
    /// A Butane config (`butane FILE.bu -o FILE.yaml`).
    Butane,
}

#[derive(clap::Args, Debug)]
struct RenderArgs {
    /// The node pool (MachineConfigPool): worker, master or any custom
    /// pool such as infra; the MachineConfig's
    /// machineconfiguration.openshift.io/role label.
    #[arg(long, value_name = "POOL", value_parser = parse_role)]
    role: Role,
    #[command(flatten)]
    files: PolicyFiles,
    /// The registries.d directory whose *.yaml files are installed. A
    /// missing default directory installs policy.json alone.
    #[arg(long = "registries-d", value_name = "DIR", env = "RELSIG_REGISTRIES_D")]
    registries_d: Option<PathBuf>,
    /// The MachineConfig name [default: 51-<role>-rh-registry-trust].
    #[arg(long)]
    name: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Machineconfig)]
    format: Format,
    /// Ignition spec version of the MachineConfig [default: 3.2.0].
    #[arg(long, value_enum, value_name = "VERSION")]
    ignition_version: Option<IgnitionArg>,
    /// Write to FILE instead of stdout; FILE is only written (atomically)
    /// when rendering succeeds.
    #[arg(long = "out", short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).map_err(|e| e.to_string())
}

#[derive(clap::Args, Debug)]
struct InitArgs {
    /// Start from Red Hat's documented trust files; the default, as the
    /// only starting point so far.
    #[arg(long)]
    redhat: bool,
    /// The directory to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Overwrite files that already exist.
    #[arg(long)]
    force: bool,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

pub fn run(args: PolicyArgs) -> anyhow::Result<Status> {
    match args.command {
        PolicyCommand::Check(a) => run_check(*a),
        PolicyCommand::Lint(a) => run_lint(a),
        PolicyCommand::MachineConfig(a) => run_render(a),
        PolicyCommand::Init(a) => run_init(a),
    }
}

/// The registries.d directory to read: the one given, else the one
/// podman would read when it exists (containers/image treats a missing
/// one as empty).
fn registries_dir(dir: Option<&Path>) -> Option<PathBuf> {
    let found = relsig::config::registries_d::default_dir(dir);
    (dir.is_some() || found.is_dir()).then_some(found)
}

fn run_check(a: CheckArgs) -> anyhow::Result<Status> {
    let image = eval::image_reference(&a.image)?;
    let mut policy = Policy::load(&a.files.policy)?;
    for file in &a.cluster_image_policy {
        relsig::policy::cluster_image_policy::apply(
            &mut policy,
            &relsig::policy::cluster_image_policy::load(file)?,
        );
    }
    let registries = RegistriesD::load_default(a.registries_d.as_deref())?;
    let registries_conf = if a.manifest.is_some() {
        relsig::config::registries_conf::RegistriesConf::default()
    } else {
        a.connection.registries_conf()?
    };
    let opts = EvalOptions {
        at: a.at.unwrap_or_else(SystemTime::now),
        judged_now: a.at.is_none(),
        root: a.files.root.as_deref(),
    };
    let signatures = a.sources.sources()?;
    let from = EvidenceSources {
        manifest_file: a.manifest.as_deref(),
        signatures: &signatures,
        registries: &registries,
        registries_conf: &registries_conf,
        default_lookaside: &a.default_lookaside,
    };
    let mut fetch = || {
        let (http, credentials) = a
            .connection
            .client(&registries_conf)
            .map_err(|e| format!("{e:#}"))?;
        evidence::gather(&image, &from, &http, credentials).map_err(|e| relsig::io::error_chain(&e))
    };
    let decision = eval::evaluate(&policy, &image, &opts, &mut fetch);
    let text = decision_text(&decision);
    match a.output {
        OutputFormat::Json => outln!("{}", serde_json::to_string_pretty(&decision)?),
        OutputFormat::Text if super::output::quiet() => {
            if decision.status != Status::Verified {
                outln!("{}", text.lines().next().unwrap_or_default());
            }
        }
        OutputFormat::Text => out!("{text}"),
        OutputFormat::Junit => {
            let mut batch = Batch::begin(OutputFormat::Junit, "policy check", TextTo::Stdout)?;
            let reason = deciding_requirement(&decision).map_or("ok", |r| r.reason.as_str());
            batch.image(&Entry {
                name: &a.image,
                status: decision.status,
                reason,
                message: &decision.message,
                text: &text,
                json: &decision,
            })?;
            batch.finish(serde_json::Map::new())?;
        }
    }
    Ok(decision.status)
}

/// The requirement that decided a verdict other than "accepted".
fn deciding_requirement(d: &Decision) -> Option<&eval::RequirementResult> {
    let first = |o: Outcome| d.requirements.iter().find(|r| r.result == o);
    match d.verdict {
        eval::Verdict::Accepted => None,
        eval::Verdict::Rejected => first(Outcome::Rejected),
        eval::Verdict::CannotDecide => {
            first(Outcome::Error).or_else(|| first(Outcome::Unsupported))
        }
    }
}

/// A verdict line, longer lines than this are cut: the details follow on
/// their own lines.
const VERDICT_LINE_MAX: usize = 199;

/// The decision as text: the verdict on the first line (short; which
/// requirement decided and why, by reason name), then the image, the
/// scope and every requirement with its details.
fn decision_text(d: &Decision) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let verdict = match d.verdict {
        eval::Verdict::Accepted => "ACCEPTED",
        eval::Verdict::Rejected => "REJECTED",
        eval::Verdict::CannotDecide => "CANNOT DECIDE",
    };
    let headline = match deciding_requirement(d) {
        Some(r) => format!("{verdict}: {} {}: {}", r.path, r.kind, r.reason.as_str()),
        None if d.requirements.is_empty() => {
            format!("{verdict}: {} has no requirements", d.scope.path)
        }
        None => format!(
            "{verdict}: every requirement of {} is satisfied",
            d.scope.path
        ),
    };
    let mut headline: String = headline.chars().take(VERDICT_LINE_MAX).collect();
    if headline.chars().count() == VERDICT_LINE_MAX {
        headline.pop();
        headline.push('…');
    }
    let _ = writeln!(s, "{headline}");
    let _ = writeln!(s, "image: {}", d.image);
    let _ = writeln!(s, "scope: {}", d.scope.path);
    if let Some(digest) = &d.manifest_digest {
        let _ = writeln!(s, "manifest digest: {digest}");
    }
    for r in &d.requirements {
        let result = match r.result {
            Outcome::Accepted => "accepted",
            Outcome::Rejected => "REJECTED",
            Outcome::Unsupported => "UNSUPPORTED",
            Outcome::Error => "ERROR",
        };
        let _ = writeln!(s, "  {} {}: {result}", r.path, r.kind);
        if let Some(kt) = r.key_type {
            let _ = writeln!(s, "    keys ({kt}): {}", r.keys.join(", "));
        }
        if let Some(si) = &r.signed_identity {
            let expected = r.expected_identity.as_deref().unwrap_or("-");
            let _ = writeln!(s, "    signedIdentity: {si} (expects {expected})");
        }
        if let Some(from) = &r.signatures_from {
            let _ = writeln!(s, "    signatures from: {from}");
        }
        for sig in &r.signatures {
            let mark = if sig.report.verified {
                "ok".to_string()
            } else {
                format!("rejected ({})", sig.report.reason.as_str())
            };
            let _ = writeln!(s, "    - {}: {mark}: {}", sig.source, sig.report.message);
        }
        // The signatures are listed above; their summary is enough here.
        let message = match r.message.split_once(": ") {
            Some((head, _)) if !r.signatures.is_empty() && r.result != Outcome::Accepted => head,
            _ => &r.message,
        };
        let _ = writeln!(s, "    {message}");
    }
    s
}

fn lint_report(files: &PolicyFiles, registries_d: Option<&Path>) -> LintReport {
    relsig::policy::lint::lint(&LintOptions {
        policy: &files.policy,
        registries_d,
        root: files.root.as_deref(),
        at: SystemTime::now(),
    })
}

fn print_diagnostics(report: &LintReport, to_stderr: bool) {
    for d in &report.diagnostics {
        let line = format!("{}: {d}", severity_word(d.severity));
        if to_stderr {
            errln!("relsig: {line}");
        } else {
            outln!("{line}");
        }
    }
}

fn run_lint(a: LintArgs) -> anyhow::Result<Status> {
    let report = lint_report(&a.files, a.registries_d.as_deref());
    match a.output {
        Output::Json => outln!("{}", serde_json::to_string_pretty(&report)?),
        Output::Text => {
            print_diagnostics(&report, false);
            let what = if a.registries_d.is_some() {
                "policy and registries.d"
            } else {
                "policy (give --registries-d to check registries.d too)"
            };
            if !super::output::quiet() {
                outln!(
                    "{}: {}, {} in the {what}",
                    if report.errors > 0 { "INVALID" } else { "OK" },
                    count(report.errors, "error"),
                    count(report.warnings, "warning")
                );
            }
        }
    }
    Ok(report.status())
}

/// "1 error", "2 errors".
fn count(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn run_render(a: RenderArgs) -> anyhow::Result<Status> {
    let version = match (a.format, a.ignition_version) {
        (Format::Butane, Some(_)) => anyhow::bail!(
            "--ignition-version applies to --format machineconfig: Butane chooses the Ignition version itself"
        ),
        (_, Some(IgnitionArg::V2_2)) => IgnitionVersion::V2_2,
        (_, Some(IgnitionArg::V3_2) | None) => IgnitionVersion::V3_2,
    };
    let registries_d = registries_dir(a.registries_d.as_deref());
    if registries_d.is_none() {
        errln!(
            "relsig: note: no registries.d directory: the {} installs no registries.d files (--registries-d DIR adds them)",
            match a.format {
                Format::Machineconfig => "MachineConfig",
                Format::Butane => "Butane config",
            }
        );
    }
    let report = lint_report(&a.files, registries_d.as_deref());
    print_diagnostics(&report, true);
    if report.errors > 0 {
        anyhow::bail!(
            "not rendering: `policy lint` found {} (listed above)",
            count(report.errors, "error")
        );
    }
    let name = a.name.unwrap_or_else(|| a.role.default_name());
    let policy = Policy::load(&a.files.policy)?;
    let trust = render::trust_files(
        &a.files.policy,
        &policy,
        registries_d.as_deref(),
        a.files.root.as_deref(),
    )?;
    for d in &trust.diagnostics {
        errln!("relsig: {}: {d}", severity_word(d.severity));
    }
    let yaml = match a.format {
        Format::Machineconfig => render::machineconfig(&name, &a.role, version, &trust.files)?,
        Format::Butane => render::butane(&name, &a.role, &trust.files)?,
    };
    match &a.out {
        Some(path) => {
            relsig::io::write_file_atomically(path, yaml.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            outln!(
                "wrote {} ({} file(s) for pool {})",
                path.display(),
                trust.files.len(),
                a.role.as_str()
            );
        }
        None => out!("{yaml}"),
    }
    Ok(Status::Verified)
}

fn run_init(a: InitArgs) -> anyhow::Result<Status> {
    // Red Hat's files are the only starting point; `--redhat` names it
    // for when there are others.
    let _ = a.redhat;
    let written = init::write_redhat(&a.out, a.force)
        .with_context(|| format!("cannot write the trust files into {}", a.out.display()))?;
    if a.output == Output::Json {
        let doc = serde_json::json!({
            "status": Status::Verified,
            "verified": true,
            "exit_code": 0,
            "written": written,
        });
        outln!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(Status::Verified);
    }
    if super::output::quiet() {
        return Ok(Status::Verified);
    }
    for p in &written {
        outln!("wrote {}", p.display());
    }
    let out = a.out.display();
    outln!(
        "Next:\n  relsig policy lint --policy {out}/policy.json --registries-d {out}/registries.d --root {out}\n  \
         relsig policy machineconfig --role worker --policy {out}/policy.json --registries-d {out}/registries.d --root {out}"
    );
    Ok(Status::Verified)
}
