//! `relsig verify` and `relsig fetch`: command-line arguments and output.

use anyhow::{Context as _, bail};
use clap::ArgAction;
use relsig::image::reference::Reference;
use relsig::signature::openpgp::keyring::{Accepted, Keyring};
use relsig::sources::configmap::{Format, SignatureConfigMap, digest_key};
use relsig::sources::graph::{Arch, DEFAULT_GRAPH_URL};
use relsig::sources::http::{HttpClient, HttpOptions};
use relsig::sources::registry::Credentials;
use relsig::sources::stores::{self, DEFAULT_STORES, Location, SignatureSource};
use relsig::status::Status;
use relsig::verify::{Checker, IdentityOverride, ImageList, ImageOutcome, ImageRequest, Settings};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// What to verify and where to find it; shared by `verify` and `fetch`.
#[derive(clap::Args, Debug)]
pub struct ImageArgs {
    /// Images: a tag reference (the signed identity must equal it), a
    /// digest reference REPO@sha256:… (the identity must be in REPO), or an
    /// OpenShift release version such as 4.15.0 (resolved through the
    /// update graph, no registry needed).
    #[arg(value_name = "IMAGE")]
    pub images: Vec<String>,

    /// Verify this manifest digest without any registry (as the
    /// cluster-version-operator does); needs --identity or
    /// --identity-repository.
    #[arg(long, value_name = "DIGEST")]
    pub digest: Option<String>,

    /// Read more images from FILE (`-` for stdin), one per line: `IMAGE` or
    /// `IMAGE IDENTITY`, where IMAGE may also be a bare sha256:… digest and
    /// IDENTITY is an exact identity for that line. `#` starts a comment.
    /// Read as the run goes, so the list may be of any length; a FILE is
    /// checked whole for errors first.
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<PathBuf>,

    /// The identity the signatures must name, instead of the one IMAGE
    /// implies; for mirrors, where the image lives elsewhere than where it
    /// was signed.
    #[arg(long, value_name = "REF", conflicts_with = "identity_repository")]
    pub identity: Option<String>,

    /// Accept signatures naming any tag or digest of this repository.
    #[arg(long, value_name = "REPO")]
    pub identity_repository: Option<String>,

    /// Release architecture, for release versions.
    #[arg(long, value_name = "ARCH", default_value = "x86_64", value_parser = parse_arch)]
    pub arch: Arch,

    /// Update channel to resolve release versions in [default: stable-X.Y
    /// of the version].
    #[arg(long, value_name = "CHANNEL")]
    pub channel: Option<String>,

    /// The update graph (Cincinnati) endpoint.
    #[arg(long, value_name = "URL", default_value = DEFAULT_GRAPH_URL)]
    pub graph_url: String,

    #[command(flatten)]
    pub sources: SourceArgs,

    /// Trusted key file (binary, armored, keyring); repeatable. Replaces
    /// the built-in Red Hat keys (release key 2, beta key 2).
    #[arg(long = "keyring", value_name = "FILE")]
    pub keyrings: Vec<PathBuf>,

    /// Only these keys count: comma-separated 40-hex fingerprints, or `any`
    /// key of the keyring.
    #[arg(long, value_name = "FPR,…", default_value = "any")]
    pub key_fingerprints: String,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Images checked in parallel.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,

    /// Judge key expiry and revocation at this instant (RFC 3339) instead
    /// of now.
    #[arg(long, value_name = "TIME", value_parser = super::parse_time)]
    pub at: Option<SystemTime>,

    /// Give up on an image after this many seconds, whatever is left to
    /// fetch for it (manifest, token, update graph, signatures, retries);
    /// it is then reported as could not be checked (reason `timeout`).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds,
          default_value_t = relsig::io::DEFAULT_IMAGE_TIMEOUT.as_secs_f64())]
    pub image_timeout: f64,

    /// Give up on the whole run after this many seconds: images not
    /// finished by then are reported as could not be checked (reason
    /// `timeout`) [default: no limit].
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub run_timeout: Option<f64>,
}

/// Where signatures are read from; shared by `verify`, `fetch` and
/// `policy check`.
#[derive(clap::Args, Debug)]
pub struct SourceArgs {
    /// A signature store in the release mirror layout
    /// URL/sha256=<hex>/signature-N (http, https, file:// or a directory);
    /// repeatable. Without any signature source, `verify` and `fetch` use
    /// OpenShift's two release mirrors.
    #[arg(long = "signature-store", value_name = "URL")]
    pub signature_stores: Vec<String>,

    /// A containers lookaside store, layout URL/<repository
    /// path>@sha256=<hex>/signature-N (as registries.d configures);
    /// repeatable.
    #[arg(long = "lookaside", value_name = "URL")]
    pub lookasides: Vec<String>,

    /// A local directory in either layout, or the flat signature-1..N of a
    /// `dir:` image; repeatable.
    #[arg(long = "signature-dir", value_name = "DIR")]
    pub signature_dirs: Vec<PathBuf>,

    /// A signature ConfigMap (JSON or YAML, as `oc adm release mirror` and
    /// oc-mirror write them); repeatable.
    #[arg(long = "signature-configmap", value_name = "FILE")]
    pub signature_configmaps: Vec<PathBuf>,
}

impl SourceArgs {
    /// The sources given, in the order of the options; empty when none is.
    pub fn sources(&self) -> anyhow::Result<Vec<SignatureSource>> {
        let mut sources = Vec::new();
        for s in &self.signature_stores {
            sources.push(SignatureSource::Mirror(
                Location::parse(s).context("--signature-store")?,
            ));
        }
        for s in &self.lookasides {
            sources.push(SignatureSource::Lookaside(
                Location::parse(s).context("--lookaside")?,
            ));
        }
        for d in &self.signature_dirs {
            if !d.is_dir() {
                bail!("--signature-dir {}: not a directory", d.display());
            }
            sources.push(SignatureSource::Dir(d.clone()));
        }
        for f in &self.signature_configmaps {
            sources.push(SignatureSource::configmap(f)?);
        }
        Ok(sources)
    }
}

/// How registries and stores are reached; shared by `verify`, `fetch` and
/// `policy check`.
#[derive(clap::Args, Debug)]
pub struct ConnectionArgs {
    /// Registry credentials file [default: $REGISTRY_AUTH_FILE,
    /// $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json,
    /// ~/.docker/config.json].
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,

    /// Verify TLS certificates; `--tls-verify=false` also lets registries
    /// answer over plain http.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub tls_verify: bool,

    /// Also trust the CA certificates in this PEM file; repeatable.
    #[arg(long = "ca-file", value_name = "FILE")]
    pub ca_files: Vec<PathBuf>,

    /// Give up on one request after this many seconds: connection,
    /// headers and body together.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds,
          default_value_t = relsig::io::DEFAULT_REQUEST_TIMEOUT.as_secs_f64())]
    pub timeout: f64,

    /// Retries of a request answered with 5xx or a dropped connection,
    /// after 0.25 s, 0.5 s, 1 s, … (at most 5 s) apart.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,
}

impl ConnectionArgs {
    /// The HTTP client and registry credentials these options describe.
    pub fn client(&self) -> anyhow::Result<(HttpClient, Credentials)> {
        let http = HttpClient::new(HttpOptions {
            tls_verify: self.tls_verify,
            ca_files: self.ca_files.clone(),
            connect_timeout: Duration::from_secs_f64(self.timeout.min(10.0)),
            timeout: Duration::from_secs_f64(self.timeout),
            retries: self.retries,
            ..HttpOptions::default()
        })?;
        let credentials = Credentials::load(self.authfile.as_deref())?;
        Ok((http, credentials))
    }
}

/// Arguments of `relsig verify`.
#[derive(clap::Args, Debug)]
#[command(after_help = VERIFY_EXAMPLES)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub images: ImageArgs,

    #[arg(long, value_enum, default_value_t = super::Output::Text)]
    pub output: super::Output,

    /// Also print every signature's outcome.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Arguments of `relsig fetch`.
#[derive(clap::Args, Debug)]
#[command(after_help = FETCH_EXAMPLES)]
#[command(group(clap::ArgGroup::new("destination").required(true).args(["to_dir", "to_configmap"])))]
pub struct FetchArgs {
    #[command(flatten)]
    pub images: ImageArgs,

    /// Write verified signatures here in the release mirror layout
    /// (DIR/sha256=<hex>/signature-N), e.g. for a web server in a
    /// disconnected network.
    #[arg(long, value_name = "DIR")]
    pub to_dir: Option<PathBuf>,

    /// Write verified signatures as one ConfigMap (namespace
    /// openshift-config-managed, label
    /// release.openshift.io/verification-signatures), ready for `oc apply`.
    #[arg(long, value_name = "FILE")]
    pub to_configmap: Option<PathBuf>,

    /// Format of --to-configmap [default: from the file extension, JSON
    /// unless .yaml/.yml].
    #[arg(long, value_enum, requires = "to_configmap")]
    pub format: Option<ConfigMapFormat>,

    /// Also print every signature's outcome.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ConfigMapFormat {
    Json,
    Yaml,
}

const VERIFY_EXAMPLES: &str = "Examples:
  # An OpenShift release by version, resolved through the update graph and
  # checked against the release mirror with the built-in Red Hat keys:
  relsig verify 4.15.0

  # A release in a private mirror registry, signed under its quay.io name:
  relsig verify mirror.example.com:5000/ocp/release@sha256:0da6…6363 \\
      --identity quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64

  # No registry at all: a digest and the identity it must be signed as,
  # signatures from a disconnected cluster's ConfigMap:
  relsig verify --digest sha256:0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363 \\
      --identity quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64 \\
      --signature-configmap signature-sha256-0da6316466d60a3a.json

  # A Red Hat image, signatures from a lookaside store, JSON for a script:
  relsig verify registry.redhat.io/ubi9/ubi:latest \\
      --lookaside https://registry.redhat.io/containers/sigstore --output json

  # Many images in one run, 32 at a time (lines: IMAGE [IDENTITY]):
  relsig verify --from-file images.txt --signature-store https://sigs.internal/ -j 32

Exit codes: 0 every image verified, 1 an image is not verified (no acceptable
signature, digest or identity mismatch), 2 an image could not be checked
(registry, network or input errors) and none was rejected.";

const FETCH_EXAMPLES: &str = "Examples:
  # Signatures of a release for a disconnected cluster, as a ConfigMap:
  relsig fetch 4.15.0 --to-configmap signatures-4.15.0.yaml
  oc apply -f signatures-4.15.0.yaml

  # Mirror the signatures of a release to a directory served over http:
  relsig fetch --digest sha256:0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363 \\
      --identity quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64 --to-dir /srv/signatures

Only signatures that pass every check are written; the exit code is that of
`relsig verify` for the same images.";

fn parse_arch(s: &str) -> Result<Arch, String> {
    s.parse()
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 86400.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a number of seconds between 0 and 86400"
        )),
    }
}

/// The images to check, read as the run goes.
type Requests = Box<dyn Iterator<Item = anyhow::Result<ImageRequest>> + Send>;

/// The checker and the images, from the arguments.
fn prepare(args: &ImageArgs, keep_signatures: bool) -> anyhow::Result<(Checker, Requests)> {
    let identity = match (&args.identity, &args.identity_repository) {
        (Some(r), _) => Some(IdentityOverride::Exact(
            Reference::parse(r).context("--identity")?,
        )),
        (None, Some(r)) => {
            let r = Reference::parse(r).context("--identity-repository")?;
            Some(IdentityOverride::Repository(r.without_tag_or_digest()))
        }
        (None, None) => None,
    };
    let mut listed = Vec::new();
    if let Some(d) = &args.digest {
        relsig::image::digest::Digest::parse(d).context("--digest")?;
        listed.push(ImageRequest::parse(d, identity.clone())?);
    }
    for image in &args.images {
        listed.push(ImageRequest::parse(image, identity.clone())?);
    }
    let from_file = match &args.from_file {
        Some(path) => Some(image_list(path, identity.as_ref())?),
        None => None,
    };
    let requests: Requests = match from_file {
        Some(list) => Box::new(listed.into_iter().map(Ok).chain(list)),
        None => Box::new(listed.into_iter().map(Ok)),
    };
    let mut requests = requests.peekable();
    if requests.peek().is_none() {
        bail!("nothing to verify: give an IMAGE, --digest DIGEST or --from-file FILE (see --help)");
    }

    let keyring = if args.keyrings.is_empty() {
        Keyring::redhat()
    } else {
        Keyring::from_files(&args.keyrings)?
    };
    for w in keyring.warnings() {
        errln!("relsig: warning: {w}");
    }
    let accepted = Accepted::parse(&args.key_fingerprints).context("--key-fingerprints")?;

    let mut sources = args.sources.sources()?;
    if sources.is_empty() {
        for s in DEFAULT_STORES {
            sources.push(SignatureSource::Mirror(Location::parse(s)?));
        }
    }

    let (http, credentials) = args.connection.client()?;
    let settings = Settings {
        keyring,
        accepted,
        at: args.at.unwrap_or_else(SystemTime::now),
        sources,
        graph_url: args.graph_url.clone(),
        channel: args.channel.clone(),
        arch: args.arch,
        jobs: args.jobs.into(),
        keep_signatures,
        image_timeout: Some(Duration::from_secs_f64(args.image_timeout)),
        run_timeout: args.run_timeout.map(Duration::from_secs_f64),
    };
    Ok((
        Checker::new(settings, http, credentials),
        Box::new(requests),
    ))
}

/// The images of `--from-file`, read line by line as the run goes. A file
/// is read through once first, so that an error in it stops the run
/// before anything is checked; stdin cannot be, and an error there ends
/// the run where it is found.
fn image_list(path: &Path, identity: Option<&IdentityOverride>) -> anyhow::Result<Requests> {
    if path == Path::new("-") {
        let stdin = std::io::BufReader::new(std::io::stdin());
        let list = ImageList::new(stdin, "stdin".into(), identity.cloned());
        return Ok(Box::new(list.map(|r| r.map_err(anyhow::Error::from))));
    }
    let open = || -> anyhow::Result<ImageList<std::io::BufReader<std::fs::File>>> {
        let file = std::fs::File::open(path)
            .with_context(|| format!("cannot read the image list {}", path.display()))?;
        Ok(ImageList::new(
            std::io::BufReader::new(file),
            path.display().to_string(),
            identity.cloned(),
        ))
    };
    for request in open()? {
        request?;
    }
    Ok(Box::new(open()?.map(|r| r.map_err(anyhow::Error::from))))
}

pub fn run_verify(args: VerifyArgs) -> anyhow::Result<Status> {
    let (checker, requests) = prepare(&args.images, false)?;
    let mut printer = Printer::start(args.output, args.verbose);
    let run = checker.check_each(requests, |o| {
        printer.image(&o);
        Ok(())
    });
    finish(printer, run)
}

/// Ends the output; an error that stopped the run mid-way (an unreadable
/// line on stdin) makes it a run that could not be checked.
fn finish(printer: Printer, run: anyhow::Result<()>) -> anyhow::Result<Status> {
    let status = printer.finish(run.is_err());
    run.map(|()| status)
}

/// Prints each image's outcome as it arrives and keeps only the run's
/// status: the one place that turns outcomes into output, whatever the
/// format.
struct Printer {
    output: super::Output,
    verbose: bool,
    /// The run's status so far ([`Status::combine`] of every image).
    status: Status,
    images: usize,
}

impl Printer {
    fn start(output: super::Output, verbose: bool) -> Printer {
        if output == super::Output::Json {
            // The run's status is known only at the end, so it follows
            // the images in the document.
            out!("{{\n  \"images\": [");
        }
        Printer {
            output,
            verbose,
            status: Status::Verified,
            images: 0,
        }
    }

    fn image(&mut self, o: &ImageOutcome) {
        self.status = Status::combine([self.status, o.status]);
        match self.output {
            super::Output::Json => {
                let json = serde_json::to_string_pretty(o).expect("plain data serialises");
                let indented = json.replace('\n', "\n    ");
                let comma = if self.images == 0 { "" } else { "," };
                out!("{comma}\n    {indented}");
            }
            super::Output::Text => print_outcome(o, self.verbose),
        }
        self.images += 1;
    }

    /// Ends the output and returns the run's status; `cut_short`: the run
    /// stopped before every image was checked.
    fn finish(self, cut_short: bool) -> Status {
        let status = if cut_short {
            Status::combine([self.status, Status::CouldNotCheck])
        } else {
            self.status
        };
        if self.output == super::Output::Json {
            out!(
                "\n  ],\n  \"status\": {},\n  \"verified\": {},\n  \"exit_code\": {}\n}}\n",
                serde_json::to_string(&status).expect("plain data serialises"),
                status == Status::Verified,
                status.exit_code()
            );
        }
        status
    }
}

fn print_outcome(o: &ImageOutcome, verbose: bool) {
    match (o.status, &o.accepted) {
        (Status::Verified, Some(a)) => {
            outln!(
                "verified {} digest {} identity {} key {} ({})",
                o.image,
                o.digest.as_ref().map_or("?".to_string(), |d| d.to_string()),
                a.report.signed_identity.as_deref().unwrap_or("?"),
                a.report.key_fingerprint.as_deref().unwrap_or("?"),
                a.source
            );
            // A source that failed does not undo the verification, but
            // is worth knowing about.
            for e in &o.errors {
                errln!("relsig: warning: {}: {}", o.image, e.message);
            }
        }
        (Status::CouldNotCheck, _) => {
            outln!("NOT verified {}: could not check: {}", o.image, o.message)
        }
        _ => outln!("NOT verified {}: {}", o.image, o.message),
    }
    if !verbose {
        return;
    }
    if let Some(d) = &o.expected_identity {
        outln!("  expected identity {d}");
    }
    for s in o.accepted.iter().chain(&o.also_verified) {
        outln!(
            "  ok        {}: key {}, identity {}",
            s.source,
            s.report.key_fingerprint.as_deref().unwrap_or("?"),
            s.report.signed_identity.as_deref().unwrap_or("?")
        );
    }
    for s in &o.rejected {
        outln!(
            "  rejected  {}: {}: {}",
            s.source,
            s.report.reason.as_str(),
            s.report.message
        );
    }
    for e in &o.errors {
        outln!("  error     {}: {}", e.source, e.message);
    }
    if o.accepted.is_none() && o.rejected.is_empty() && !o.sources.is_empty() {
        outln!("  no signatures in: {}", o.sources.join(", "));
    }
}

pub fn run_fetch(args: FetchArgs) -> anyhow::Result<Status> {
    let (checker, requests) = prepare(&args.images, true)?;
    let mut printer = Printer::start(super::Output::Text, args.verbose);
    let mut configmap = SignatureConfigMap::default();
    // The digests written to the ConfigMap: one names it after itself.
    let mut first_digest: Option<String> = None;
    let mut several = false;
    let run = checker.check_each(requests, |o| {
        printer.image(&o);
        let Some(digest) = o.digest.as_ref().filter(|_| o.verified) else {
            outln!("  nothing written for {}", o.image);
            return Ok(());
        };
        let signatures: Vec<&[u8]> = o
            .verified_signatures
            .iter()
            .map(|s| s.bytes.as_slice())
            .collect();
        if let Some(dir) = &args.to_dir {
            let written = stores::write_mirror_layout(dir, digest, &signatures)
                .with_context(|| format!("cannot write signatures under {}", dir.display()))?;
            for p in written {
                outln!("  wrote {}", p.display());
            }
        } else {
            for s in &signatures {
                configmap.add(digest, s.to_vec());
            }
            let key = digest_key(digest);
            match &first_digest {
                None => first_digest = Some(key),
                Some(first) => several |= *first != key,
            }
        }
        Ok(())
    });
    let status = finish(printer, run)?;
    if let Some(path) = &args.to_configmap {
        if configmap.is_empty() {
            outln!("no verified signatures: {} not written", path.display());
        } else {
            // One release: named like `oc adm release mirror` names it;
            // several: like oc-mirror.
            configmap.name = match first_digest {
                Some(d) if !several => d,
                _ => "mirrored-release-signatures".to_string(),
            };
            let format = match args.format {
                Some(ConfigMapFormat::Json) => Format::Json,
                Some(ConfigMapFormat::Yaml) => Format::Yaml,
                None => Format::from_path(path),
            };
            configmap.write(path, format)?;
            outln!(
                "wrote {} signature(s) to ConfigMap {} in {}",
                configmap.len(),
                configmap.name,
                path.display()
            );
        }
    }
    Ok(status)
}
