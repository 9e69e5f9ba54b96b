//! `relsig release info` and `relsig release audit`: command-line
//! arguments and output. The release's signature is checked by the same
//! [`Checker`] as `relsig verify`; nothing the release image holds is
//! read, let alone printed, before it verified.

use super::report::{Batch, Entry, Progress, TextTo};
use super::verify::{ImageArgs, checker, identity_override, outcome_text};
use anyhow::{Context as _, bail};
use relsig::image::digest::Digest;
use relsig::release::audit::Auditor;
use relsig::release::mirrors::MirrorMap;
use relsig::release::{Release, ReleaseError, read_release};
use relsig::sources::graph::{self, Arch};
use relsig::sources::registry::RegistryClient;
use relsig::status::Status;
use relsig::verify::{IdentityOverride, ImageOutcome, ImageRequest, Target};
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `relsig release`.
#[derive(clap::Args, Debug)]
pub struct ReleaseArgs {
    #[command(subcommand)]
    command: ReleaseCommand,
}

impl ReleaseArgs {
    /// The output format asked for, so an error can be written in it.
    pub fn format(&self) -> super::Format {
        match &self.command {
            ReleaseCommand::Info(a) => match a.output {
                InfoOutput::Json => super::Format::Json,
                _ => super::Format::Text,
            },
            ReleaseCommand::Audit(a) => a.output,
        }
    }
}

#[derive(clap::Subcommand, Debug)]
enum ReleaseCommand {
    /// Verify a release's signature, then print its version and
    /// components (name and pinned pull spec) from the release image.
    ///
    /// The signature is checked exactly as `relsig verify` checks it;
    /// only then is the release image read, at the signed digest: its
    /// last layer's release-manifests/release-metadata (the version) and
    /// release-manifests/image-references (the components). Exit 0
    /// verified and read, 1 not verified (nothing of the release is
    /// printed), 2 could not check.
    #[command(after_help = INFO_EXAMPLES)]
    Info(Box<InfoArgs>),
    /// Prove a mirrored release component by component, as the cluster
    /// will pull it.
    ///
    /// Verifies the release signature, reads the release image from the
    /// mirror by its signed digest, and checks that every component
    /// image-references pins is in the mirror at exactly that digest (the
    /// manifest served is hashed again); with --deep, every platform
    /// manifest of a list and every blob too; and, where the policy in
    /// force (--policy, --cluster-image-policy) requires one for its
    /// scope, its sigstore signature from the `.sig` attachment in the
    /// mirror. Exit 0 everything present
    /// and verified, 1 something missing, different or not verified, 2
    /// something could not be checked.
    #[command(after_help = AUDIT_EXAMPLES)]
    Audit(Box<AuditArgs>),
}

/// What names the release and where it and its components are.
#[derive(clap::Args, Debug)]
struct ReleaseCommon {
    #[command(flatten)]
    images: ImageArgs,

    /// An ImageDigestMirrorSet or ImageContentSourcePolicy YAML file (any
    /// number of documents), as `oc adm release mirror` and oc-mirror
    /// write them; repeatable. Digest pull specs are looked up in the
    /// mirrors, never at the source.
    #[arg(long = "mirror-config", value_name = "FILE")]
    mirror_configs: Vec<PathBuf>,

    /// SOURCE=MIRROR: images under the repository or namespace SOURCE are
    /// in MIRROR (e.g.
    /// quay.io/openshift-release-dev=mirror.example.com:5000/ocp4);
    /// repeatable.
    #[arg(long = "mirror", value_name = "SOURCE=MIRROR")]
    mirrors: Vec<String>,
}

/// The release argument of `relsig release info|audit`: the image
/// options of `verify`, for one release.
fn release_argument(a: clap::Arg) -> clap::Arg {
    a.value_name("RELEASE").num_args(0..=1).help(
        "The release: a version such as 4.15.0 (resolved through the update graph), a \
         digest pull spec quay.io/openshift-release-dev/ocp-release@sha256:…, or a mirror \
         pull spec with --identity",
    )
}

/// `--require` of `relsig release info|audit`: what an OpenShift 4.21
/// cluster requires of a release by default.
fn release_require(a: clap::Arg) -> clap::Arg {
    a.default_value("both").help(
        "Which signatures the release must have. The default is what a 4.21 cluster requires: \
         the cluster-version-operator's GPG signature (built-in release keys, or --keyring) \
         and the sigstore signature of the default `openshift` ClusterImagePolicy (release \
         key 3 for quay.io/openshift-release-dev/ocp-release, or --sigstore-key), read from \
         the release's .sig attachment in the mirror; gpg for clusters before 4.21",
    )
}

/// Arguments of `relsig release info`.
#[derive(clap::Args, Debug)]
#[command(mut_arg("images", release_argument), mut_arg("from_file", |a| a.hide(true)))]
#[command(mut_arg("require", release_require))]
struct InfoArgs {
    #[command(flatten)]
    common: ReleaseCommon,

    /// text: version, digest, signature and components; json: one
    /// document; pullspec: the components' pull specs, one a line.
    #[arg(long, value_enum, default_value_t = InfoOutput::Text)]
    output: InfoOutput,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum InfoOutput {
    Text,
    Json,
    Pullspec,
}

/// Arguments of `relsig release audit`.
#[derive(clap::Args, Debug)]
#[command(mut_arg("images", release_argument), mut_arg("from_file", |a| a.hide(true)))]
#[command(mut_arg("require", release_require))]
#[command(mut_arg("jobs", |a| a.help("Components checked in parallel")))]
struct AuditArgs {
    #[command(flatten)]
    common: ReleaseCommon,

    /// Also check every platform manifest of a list and every blob
    /// (HEAD requests: nothing is downloaded).
    #[arg(long)]
    deep: bool,

    /// The policy.json in force on the cluster's nodes: every requirement
    /// of each component's scope (by its source pull spec) must accept the
    /// component as found in the mirror. sigstoreSigned is judged on the
    /// `.sig` attachment next to it, signedBy on the lookaside
    /// --registries-d assigns to its mirror location. Without it and
    /// without --cluster-image-policy, only 4.21's default `openshift`
    /// ClusterImagePolicy is in force.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,

    /// Read absolute key paths of --policy (keyPath, keyPaths) under
    /// DIR, e.g. a copy of a node's files or the output of `policy init`.
    #[arg(long, value_name = "DIR", requires = "policy")]
    root: Option<PathBuf>,

    /// The lookaside of components' signedBy signatures when
    /// --registries-d names none for their mirror location
    /// (containers/image's built-in default).
    #[arg(long, value_name = "URL",
          default_value = relsig::config::registries_d::BUILTIN_DEFAULT_LOOKASIDE,
          env = "RELSIG_DEFAULT_LOOKASIDE")]
    default_lookaside: String,

    /// An OpenShift ClusterImagePolicy / ImagePolicy YAML file, added to
    /// the policy in force as the machine-config-operator adds it (its
    /// requirements appended to each of its scopes); repeatable. Given,
    /// it replaces the built-in default `openshift` ClusterImagePolicy.
    #[arg(long = "cluster-image-policy", value_name = "FILE")]
    cluster_image_policy: Vec<PathBuf>,

    /// text: a line per component and a summary; json: one document;
    /// junit: JUnit XML, one testcase per component.
    #[arg(long, value_enum, default_value_t = super::Format::Text)]
    output: super::Format,
}

/// The policy in force: `--policy` (every requirement named
/// `policy.json PATH`) or none, plus the `--cluster-image-policy` files or,
/// without them, 4.21's default `openshift` ClusterImagePolicy.
fn policy_in_force(a: &AuditArgs) -> anyhow::Result<relsig::policy::Policy> {
    use relsig::policy::cluster_image_policy as cip;
    let mut policy = match &a.policy {
        Some(f) => relsig::policy::Policy::load(f).context("--policy")?,
        None => relsig::policy::Policy::default(),
    };
    for r in policy.default.iter_mut().chain(
        policy
            .transports
            .values_mut()
            .flatten()
            .flat_map(|(_, v)| v),
    ) {
        r.path = format!("policy.json {}", r.path);
    }
    let mut cips = Vec::new();
    for f in &a.cluster_image_policy {
        cips.extend(cip::load(f)?);
    }
    if a.cluster_image_policy.is_empty() {
        cips.push(cip::openshift_default());
    }
    cip::apply(&mut policy, &cips);
    Ok(policy)
}

/// The registries.d that gives components' signedBy lookasides: read
/// only when the policy in force has a signedBy requirement, as nothing
/// else of the audit uses it.
fn signed_by_lookasides(
    policy: &relsig::policy::Policy,
    dir: Option<&std::path::Path>,
) -> anyhow::Result<relsig::config::registries_d::RegistriesD> {
    use relsig::policy::config::Rule;
    if !relsig::policy::node_keys::all_requirements(policy)
        .any(|r| matches!(r.rule, Rule::SignedBy(_)))
    {
        return Ok(Default::default());
    }
    Ok(relsig::config::registries_d::RegistriesD::load_default(
        dir,
    )?)
}

/// Which rules of the policy in force require a signature of the release
/// (under its signed quay.io name), for the JSON `required_by`, as far as
/// `--require` asks for them: the cluster-version-operator requires the
/// GPG one, the policy's rules for the release's scope the sigstore one.
fn release_required_by(
    policy: &relsig::policy::Policy,
    o: &ImageOutcome,
    require: super::verify::RequireArg,
) -> Vec<String> {
    use super::verify::RequireArg;
    let mut out = Vec::new();
    if require != RequireArg::Sigstore {
        out.push("cluster-version-operator: GPG signature of the release".to_string());
    }
    let identity = o
        .expected_identity
        .as_deref()
        .and_then(|i| relsig::image::reference::Reference::parse(i).ok());
    if let (Some(image), false) = (identity, require == RequireArg::Gpg) {
        let (_, reqs) = relsig::policy::eval::requirements_for(policy, &image);
        out.extend(
            reqs.iter()
                .filter(|r| r.rule.type_name() != "insecureAcceptAnything")
                .map(|r| r.path.clone()),
        );
    }
    out
}

const INFO_EXAMPLES: &str = "Examples:
  # A release by version: the digest from the update graph, the signature
  # from the release mirror, the image from quay.io:
  relsig release info 4.15.0

  # A release in a mirror registry, signed under its quay.io name:
  relsig release info mirror.example.com:5000/ocp/release@sha256:0da6…6363 \\
      --identity quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64

  # The components' pull specs, to feed another tool:
  relsig release info 4.15.0 --output pullspec";

const AUDIT_EXAMPLES: &str = "Examples:
  # Gate a disconnected upgrade: the mirror oc-mirror filled, its
  # ImageDigestMirrorSet, the signatures from a ConfigMap:
  relsig release audit quay.io/openshift-release-dev/ocp-release@sha256:0da6…6363 \\
      --mirror-config idms-oc-mirror.yaml \\
      --signature-configmap signature-sha256-0da6316466d60a3a.json

  # Components signed as OpenShift main's ClusterImagePolicy requires:
  relsig release audit 4.21.0 --mirror-config idms.yaml \\
      --cluster-image-policy clusterimagepolicy-openshift.yaml

  # Every blob too, JUnit for the CI report:
  relsig release audit 4.15.0 \\
      --mirror quay.io/openshift-release-dev=mirror.example.com:5000/ocp4 \\
      --deep --output junit > release-audit.xml

Exit codes: 0 the release verified and every component is in the mirror at
its pinned digest, 1 the release is not verified or a component is missing
or different, 2 something could not be checked.";

pub fn run(args: ReleaseArgs, debug: bool) -> anyhow::Result<Status> {
    match args.command {
        ReleaseCommand::Info(a) => run_info(*a),
        ReleaseCommand::Audit(a) => run_audit(*a, debug),
    }
}

/// A release whose signature was checked, and, when it verified, what
/// reading it gave.
struct Opened {
    input: String,
    outcome: ImageOutcome,
    /// `None` when the signature did not verify.
    read: Option<Result<Release, ReleaseError>>,
    http: relsig::sources::http::HttpClient,
    registry: RegistryClient,
    mirrors: MirrorMap,
}

/// Checks the release's signature and, only when it verified, reads the
/// release image at the signed digest.
///
/// With `policy` (a policy in force given by the user) and no sigstore
/// trust option, the release's sigstore signature is checked with the
/// trust of the `sigstoreSigned` requirement the policy gives the
/// release's repository (a ClusterImagePolicy's key for `ocp-release`),
/// as CRI-O will check it.
fn open(common: &ReleaseCommon, policy: Option<&relsig::policy::Policy>) -> anyhow::Result<Opened> {
    let args = &common.images;
    if args.from_file.is_some() {
        bail!("--from-file: a release command takes one RELEASE");
    }
    let mut inputs: Vec<&String> = args.images.iter().collect();
    inputs.extend(&args.digest);
    let [input] = inputs[..] else {
        bail!(
            "give one RELEASE: a version, a digest pull spec, or --digest DIGEST with --identity (see --help)"
        );
    };
    let identity = identity_override(args)?;
    let mut mirrors = MirrorMap::default();
    for f in &common.mirror_configs {
        mirrors.read_file(f).context("--mirror-config")?;
    }
    for p in &common.mirrors {
        mirrors.add_pair(p)?;
    }
    let request = ImageRequest::parse(input, identity.clone())?;
    // The repository the release image is in (under its signed name),
    // for reading it at the verified digest; and the mirrors of a digest
    // pull spec, which the signature is checked through.
    let mut locations = Vec::new();
    let (request, repository) = match &request.target {
        Target::Reference(r) => {
            let repository = r.without_tag_or_digest();
            locations = mirrors.locations(r);
            match (locations.first(), &identity) {
                (Some(first), None) => (
                    ImageRequest {
                        input: input.clone(),
                        target: Target::Reference(first.clone()),
                        identity: Some(IdentityOverride::Repository(repository.clone())),
                    },
                    repository,
                ),
                _ => (request.clone(), repository),
            }
        }
        Target::Version(v) => {
            let repository = match &identity {
                Some(o) => o.expected().1.without_tag_or_digest(),
                None => graph::release_identity(v, args.arch)?.without_tag_or_digest(),
            };
            (request.clone(), repository)
        }
        Target::Digest(_, o) => (request.clone(), o.expected().1.without_tag_or_digest()),
        Target::Dir(..) => {
            bail!(
                "{input}: a dir: image is not a release in a registry: give a version or a pull spec"
            )
        }
    };
    let reads_registries = true;
    let (mut checker, http, credentials) = checker(args, reads_registries, false)?;
    // Nothing to choose when sigstore is not asked for, or its trust is.
    let trust_given = !args.sigstore_keys.is_empty()
        || args.fulcio_ca.is_some()
        || args.pki_roots.is_some()
        || args.require == super::verify::RequireArg::Gpg;
    if let (Some(policy), false) = (policy, trust_given)
        && let Some(sigstore) = release_sigstore(policy, &repository)?
    {
        checker = checker.with_sigstore(sigstore);
    }
    let outcome = checker.check(&request);
    let registry = RegistryClient::new(http.clone(), credentials);
    let read = match (&outcome.digest, outcome.verified) {
        (Some(digest), true) => {
            if locations.is_empty() {
                let at = repository.with_digest(&digest.to_string())?;
                locations = mirrors.locations(&at);
                if locations.is_empty() {
                    // No mirror: where the release is (a mirror pull spec
                    // given with --identity is its own repository).
                    locations.push(at);
                }
            }
            Some(read_release(
                &registry,
                &locations,
                digest,
                platform(args.arch),
            ))
        }
        _ => None,
    };
    Ok(Opened {
        input: input.clone(),
        outcome,
        read,
        http,
        registry,
        mirrors,
    })
}

/// The sigstore trust of the one `sigstoreSigned` requirement `policy`
/// gives the release's `repository`; `None` when it gives none.
fn release_sigstore(
    policy: &relsig::policy::Policy,
    repository: &relsig::image::reference::Reference,
) -> anyhow::Result<Option<relsig::signature::sigstore::Sigstore>> {
    use relsig::policy::config::Rule;
    let (_, reqs) = relsig::policy::eval::requirements_for(policy, repository);
    let rules: Vec<_> = reqs
        .iter()
        .filter_map(|r| match &r.rule {
            Rule::SigstoreSigned(s) => Some((r, s)),
            _ => None,
        })
        .collect();
    match rules[..] {
        [] => Ok(None),
        [(req, rule)] => {
            let (trust, _) = relsig::policy::sigstore::load(rule, None)
                .with_context(|| format!("{}: the release's sigstore trust", req.path))?;
            Ok(Some(relsig::signature::sigstore::Sigstore { trust }))
        }
        _ => bail!(
            "the policy in force has {} sigstoreSigned requirements for {repository} ({}); the release is checked against one: choose with --sigstore-key",
            rules.len(),
            rules
                .iter()
                .map(|(r, _)| r.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The platform whose manifest is read when a release is signed as a
/// manifest list.
fn platform(arch: Arch) -> &'static str {
    match arch {
        Arch::Aarch64 => "linux/arm64",
        Arch::S390x => "linux/s390x",
        Arch::Ppc64le => "linux/ppc64le",
        Arch::X86_64 | Arch::Multi => "linux/amd64",
    }
}

/// The verdict line of the release (as `relsig verify` prints it).
fn verdict_line(o: &ImageOutcome) -> String {
    outcome_text(o, false).trim_end().to_string()
}

/// What a cluster would do with a release that is not verified, for
/// the release's message: without the sigstore signature the default
/// `openshift` ClusterImagePolicy makes CRI-O refuse to run the release
/// image; without the GPG one the cluster-version-operator refuses the
/// update.
fn consequence(o: &ImageOutcome) -> Option<&'static str> {
    if o.verified {
        return None;
    }
    let verified = |mechanism: &str| o.mechanisms.get(mechanism).is_some_and(|c| c.verified > 0);
    let sigstore = relsig::signature::Kind::Sigstore.name();
    let openpgp = relsig::signature::Kind::OpenPgp.name();
    if verified(openpgp) && !verified(sigstore) {
        Some(
            "the cluster would refuse to run the release: its ClusterImagePolicy requires a verified sigstore signature",
        )
    } else if verified(sigstore) && !verified(openpgp) {
        Some(
            "the cluster-version-operator would refuse the update: it requires a verified GPG signature",
        )
    } else {
        None
    }
}

/// The release's reason message, with what the cluster would make of it.
fn release_message(o: &ImageOutcome) -> String {
    match consequence(o) {
        Some(c) => format!("{c}; {}", o.message),
        None => o.message.clone(),
    }
}

/// The release's JSON member: the signature's outcome and, when read,
/// where from and what it is.
fn release_json(opened: &Opened, release: Option<&Release>) -> serde_json::Value {
    let o = &opened.outcome;
    let mut v = serde_json::json!({
        "release": opened.input,
        "digest": o.digest,
        "expected_identity": o.expected_identity,
        "signature": o.accepted,
        "signature_outcome": o,
    });
    if let Some(r) = release {
        v["location"] = r.location.to_string().into();
        v["platform_digest"] = serde_json::to_value(&r.platform_digest).unwrap_or_default();
        v["name"] = r.references.name.clone().into();
        v["version"] = r.metadata.as_ref().map(|m| m.version.clone()).into();
        v["release_metadata"] = serde_json::to_value(&r.metadata).unwrap_or_default();
        v["component_count"] = r.references.components.len().into();
    }
    v
}

fn run_info(args: InfoArgs) -> anyhow::Result<Status> {
    let opened = open(&args.common, None)?;
    let o = &opened.outcome;
    let json = args.output == InfoOutput::Json;
    let fail = |status: Status, reason: &str, message: &str| -> anyhow::Result<Status> {
        if json {
            let doc = serde_json::json!({
                "status": status,
                "verified": false,
                "exit_code": status.exit_code(),
                "reason": reason,
                "message": message,
                "release": release_json(&opened, None),
            });
            outln!("{}", serde_json::to_string_pretty(&doc)?);
        }
        Ok(status)
    };
    let release = match &opened.read {
        None => {
            errln!("relsig: {}", verdict_line(o));
            if let Some(c) = consequence(o) {
                errln!("relsig: {c}");
            }
            return fail(o.status, o.reason.as_str(), &release_message(o));
        }
        Some(Err(e)) => {
            let message = relsig::io::error_chain(e);
            errln!("relsig: release {} verified, but: {message}", opened.input);
            return fail(e.status(), e.reason(), &message);
        }
        Some(Ok(r)) => r,
    };
    let components = &release.references.components;
    match args.output {
        InfoOutput::Pullspec => {
            for c in components {
                outln!("{}", c.pullspec);
            }
        }
        InfoOutput::Json => {
            let list: Vec<serde_json::Value> = components
                .iter()
                .map(|c| serde_json::json!({"name": c.name, "pullspec": c.pullspec.to_string()}))
                .collect();
            let doc = serde_json::json!({
                "status": Status::Verified,
                "verified": true,
                "exit_code": 0,
                "reason": "ok",
                "message": o.message,
                "release": release_json(&opened, Some(release)),
                "components": list,
            });
            outln!("{}", serde_json::to_string_pretty(&doc)?);
        }
        InfoOutput::Text => {
            outln!("{}", verdict_line(o));
            if let Some(m) = &release.metadata {
                outln!("Version:   {}", m.version);
                if !m.previous.is_empty() {
                    outln!("Upgrades from: {}", m.previous.join(", "));
                }
                for (k, v) in &m.metadata {
                    let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    outln!("Metadata:  {k}={v}");
                }
            }
            outln!("Digest:    {}", release.digest);
            outln!("Read from: {}", release.location);
            outln!("Components ({}):", components.len());
            let width = components.iter().map(|c| c.name.len()).max().unwrap_or(0);
            for c in components {
                outln!("  {:width$}  {}", c.name, c.pullspec);
            }
        }
    }
    Ok(Status::Verified)
}

fn run_audit(args: AuditArgs, debug: bool) -> anyhow::Result<Status> {
    let policy = policy_in_force(&args)?;
    let given = args.policy.is_some() || !args.cluster_image_policy.is_empty();
    let opened = open(&args.common, given.then_some(&policy))?;
    let required_by = release_required_by(&policy, &opened.outcome, args.common.images.require);
    let o = &opened.outcome;
    let mut batch = Batch::begin_as(args.output, "release audit", TextTo::Stdout, "components")?;
    let mut extra = serde_json::Map::new();
    let release = match &opened.read {
        Some(Ok(r)) => r,
        unread => {
            // The release is all there is to report: as an entry in text
            // and JUnit (so that CI sees a failure), in the "release"
            // member of JSON.
            let (status, reason, message) = match unread {
                Some(Err(e)) => {
                    let message = format!(
                        "the release verified, but its image could not be read: {}",
                        relsig::io::error_chain(e)
                    );
                    (e.status(), e.reason(), message)
                }
                _ => (o.status, o.reason.as_str(), release_message(o)),
            };
            let mut text = outcome_text(o, false);
            if let Some(c) = consequence(o) {
                text.push_str(&format!("  {c}\n"));
            }
            if o.verified {
                text.push_str(&format!("NOT audited {}: {message}\n", opened.input));
            }
            if args.output == super::Format::Json {
                batch.include(status);
            } else {
                batch.image(&Entry {
                    name: &opened.input,
                    status,
                    reason,
                    message: &message,
                    text: &text,
                    json: o,
                })?;
            }
            let mut release = release_json(&opened, None);
            release["required_by"] = required_by.clone().into();
            release["status"] = serde_json::to_value(status)?;
            release["reason"] = reason.into();
            release["message"] = message.into();
            extra.insert("release".into(), release);
            return batch.finish(extra);
        }
    };
    let components = &release.references.components;
    batch.note(&format!(
        "{}\nrelease {} {}read from {}: {} components\n",
        verdict_line(o),
        release
            .metadata
            .as_ref()
            .map_or(release.references.name.as_str(), |m| m.version.as_str()),
        release
            .platform_digest
            .as_ref()
            .map_or(String::new(), |d: &Digest| format!(
                "(platform manifest {d}) "
            )),
        release.location,
        components.len()
    ));
    let registries = signed_by_lookasides(&policy, args.common.images.registries_d.as_deref())?;
    let auditor = Auditor {
        http: opened.http.clone(),
        registry: opened.registry.clone(),
        mirrors: opened.mirrors.clone(),
        deep: args.deep,
        component_timeout: Some(Duration::from_secs_f64(args.common.images.image_timeout)),
        policy,
        registries,
        default_lookaside: args.default_lookaside.clone(),
        root: args.root.clone(),
    };
    let progress = Progress::new(Some(components.len()), debug);
    let mut result = Ok(());
    auditor.audit_each(components, args.common.images.jobs.into(), |r| {
        if result.is_err() {
            return;
        }
        let text = match (args.output, r.status) {
            (super::Format::Json, _) => String::new(),
            (_, Status::Verified) => format!("ok {} {}\n", r.name, r.mirror),
            (_, Status::Rejected) => format!("NOT ok {} ({}): {}\n", r.name, r.source, r.message),
            (_, Status::CouldNotCheck) => format!(
                "NOT ok {} ({}): could not check: {}\n",
                r.name, r.source, r.message
            ),
        };
        progress.clear();
        result = batch.image(&Entry {
            name: &r.name,
            status: r.status,
            reason: r.reason.as_str(),
            message: &r.message,
            text: &text,
            json: &r,
        });
        progress.tick(&r.name);
    });
    progress.clear();
    result?;
    let mut release_doc = release_json(&opened, Some(release));
    release_doc["required_by"] = required_by.into();
    release_doc["status"] = serde_json::to_value(Status::Verified)?;
    extra.insert("release".into(), release_doc);
    extra.insert("deep".into(), args.deep.into());
    batch.finish(extra)
}
