//! `relsig verify` and `relsig fetch`: command-line arguments and output.

use super::report::{Batch, Entry, Progress, TextTo};
use anyhow::{Context as _, bail};
use clap::ArgAction;
use relsig::config::registries_conf::RegistriesConf;
use relsig::config::registries_d::RegistriesD;
use relsig::image::digest::Digest;
use relsig::image::reference::Reference;
use relsig::release::mirrors::MirrorMap;
use relsig::signature::openpgp::keyring::{Accepted, Keyring};
use relsig::signature::sigstore::format::SigstoreSignature;
use relsig::signature::sigstore::format::is_sigstore;
use relsig::signature::sigstore::{self, PublicKey, Sigstore, Trust};
use relsig::sources::attachments::{self, Pushed};
use relsig::sources::certs_d;
use relsig::sources::configmap::{ConfigMapError, Format, SignatureConfigMap};
use relsig::sources::graph::{Arch, DEFAULT_GRAPH_URL};
use relsig::sources::http::{HttpClient, HttpOptions};
use relsig::sources::registry::{Credentials, RegistryClient};
use relsig::sources::stores::{self, LayoutWriteError, Location, SignatureSource};
use relsig::status::Status;
use relsig::verify::{
    Checker, IdentityOverride, ImageList, ImageOutcome, ImageRequest, Require, Settings, Target,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// What to verify and where to find it; shared by `verify` and `fetch`.
#[derive(clap::Args, Debug)]
pub struct ImageArgs {
    /// Images: a tag reference (the signed identity must equal it), a
    /// digest reference REPO@sha256:… (the identity must be in REPO), or an
    /// OpenShift release version such as 4.15.0 (resolved through the
    /// update graph, no registry needed), or a containers `dir:DIR` image
    /// (its manifest.json and signature-N files; needs --identity or
    /// --identity-repository).
    #[arg(value_name = "IMAGE")]
    pub images: Vec<String>,

    /// Verify this manifest digest without any registry (as the
    /// cluster-version-operator does); needs --identity or
    /// --identity-repository.
    #[arg(long, value_name = "DIGEST")]
    pub digest: Option<String>,

    /// Read more images from FILE (`-` for stdin; a pipe such as `<(cmd)`
    /// works too), one per line: `IMAGE` or
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

    /// The registries.d directory that gives each image's lookaside when
    /// no signature source is given [default:
    /// ~/.config/containers/registries.d if it exists, else
    /// /etc/containers/registries.d].
    #[arg(long = "registries-d", value_name = "DIR", env = "RELSIG_REGISTRIES_D")]
    pub registries_d: Option<PathBuf>,

    /// Trusted GPG key file (binary, armored, keyring); repeatable. Any key
    /// option replaces all the built-in Red Hat keys (GPG: release key 2,
    /// beta key 2; sigstore: release key 3).
    #[arg(long = "keyring", value_name = "FILE")]
    pub keyrings: Vec<PathBuf>,

    /// Trusted sigstore (cosign) public key, PEM; repeatable: a signature
    /// by any one of them is enough. Any key option replaces all the
    /// built-in Red Hat keys.
    #[arg(long = "sigstore-key", value_name = "FILE")]
    pub sigstore_keys: Vec<PathBuf>,

    /// Rekor public key (PEM, ECDSA); repeatable. With it, a sigstore
    /// signature counts only when its Rekor bundle (SET) verifies with one
    /// of these keys and names the signature and its key.
    #[arg(long = "rekor-key", value_name = "FILE")]
    pub rekor_keys: Vec<PathBuf>,

    /// Trust sigstore certificates issued by this Fulcio CA (PEM) to the
    /// identity of --oidc-issuer and --subject-email, as policy.json's
    /// `fulcio`; needs --rekor-key. Replaces the built-in keys.
    #[arg(long = "fulcio-ca", value_name = "FILE",
          conflicts_with_all = ["sigstore_keys", "pki_roots"],
          requires_all = ["oidc_issuer", "subject_email", "rekor_keys"])]
    pub fulcio_ca: Option<PathBuf>,

    /// The OIDC issuer a Fulcio certificate must name (with --fulcio-ca).
    #[arg(long = "oidc-issuer", value_name = "URL", requires = "fulcio_ca")]
    pub oidc_issuer: Option<String>,

    /// Trust sigstore certificates that chain to these PKI root
    /// certificates (PEM), as policy.json's `pki`; with --subject-email
    /// and/or --subject-hostname. Replaces the built-in keys.
    #[arg(long = "pki-roots", value_name = "FILE",
          conflicts_with_all = ["sigstore_keys", "rekor_keys"])]
    pub pki_roots: Option<PathBuf>,

    /// Intermediate certificates (PEM) for --pki-roots, besides those a
    /// signature carries.
    #[arg(
        long = "pki-intermediates",
        value_name = "FILE",
        requires = "pki_roots"
    )]
    pub pki_intermediates: Option<PathBuf>,

    /// The email a sigstore certificate must be issued to (with
    /// --fulcio-ca or --pki-roots).
    #[arg(long = "subject-email", value_name = "EMAIL")]
    pub subject_email: Option<String>,

    /// The hostname a PKI certificate must be issued to (with --pki-roots).
    #[arg(long = "subject-hostname", value_name = "HOST", requires = "pki_roots")]
    pub subject_hostname: Option<String>,

    /// Which mechanisms must have a verified signature: either (one GPG or
    /// sigstore signature), gpg, sigstore, or both.
    #[arg(long, value_enum, default_value_t = RequireArg::Either)]
    pub require: RequireArg,

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
    /// repeatable. Without any signature source, `verify` and `fetch`
    /// read each image's from OpenShift's release mirrors (releases), the
    /// lookaside registries.d names, or Red Hat's documented stores
    /// (registry.redhat.io, registry.access.redhat.com); `verify` and
    /// `fetch` also read a registry image's sigstore attachments (the tag
    /// sha256-<hex>.sig), with or without signature sources.
    #[arg(long = "signature-store", value_name = "URL")]
    pub signature_stores: Vec<String>,

    /// A containers lookaside store, layout URL/<repository
    /// path>@sha256=<hex>/signature-N (as registries.d configures);
    /// repeatable.
    #[arg(long = "lookaside", value_name = "URL")]
    pub lookasides: Vec<String>,

    /// A local directory in either layout, the flat signature-1..N of a
    /// `dir:` image, or an OCI layout of a cosign `.sig` artifact (as
    /// oc-mirror stores one: DIR itself, or DIR/sha256-<hex>.sig);
    /// repeatable.
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
            sources.push(SignatureSource::Mirror(local_store(
                s,
                "--signature-store",
            )?));
        }
        for s in &self.lookasides {
            sources.push(SignatureSource::Lookaside(local_store(s, "--lookaside")?));
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

/// A store location given on the command line. A local one must exist:
/// a missing directory would read as "no signatures" (exit 1) when the
/// truth is a typo, or a URL without its scheme.
fn local_store(s: &str, option: &str) -> anyhow::Result<Location> {
    let location = Location::parse(s).with_context(|| option.to_string())?;
    if let Location::Dir(dir) = &location
        && !dir.is_dir()
    {
        let first = s.split('/').next().unwrap_or_default();
        let hint = if !s.starts_with("file:")
            && (first.contains('.') || first.contains(':'))
            && !first.starts_with('.')
        {
            format!(" (for a web server, give the URL: https://{s})")
        } else {
            String::new()
        };
        bail!("{option} {s}: no such directory{hint}");
    }
    Ok(location)
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

    /// The certs.d directory: DIR/HOST[:PORT]/*.crt are trusted CAs for
    /// that host only [default: ~/.config/containers/certs.d,
    /// /etc/containers/certs.d, /etc/docker/certs.d; the first with a
    /// directory for the host].
    #[arg(long = "certs-d", value_name = "DIR", env = "RELSIG_CERTS_D")]
    pub certs_d: Option<PathBuf>,

    /// The registries.conf whose mirrors, insecure and blocked registries
    /// apply (with the *.conf drop-ins of FILE.d) [default:
    /// ~/.config/containers/registries.conf if it exists, else
    /// /etc/containers/registries.conf, and their registries.conf.d].
    #[arg(
        long = "registries-conf",
        value_name = "FILE",
        env = "RELSIG_REGISTRIES_CONF"
    )]
    pub registries_conf: Option<PathBuf>,

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
    /// registries.conf, as podman reads it.
    pub fn registries_conf(&self) -> anyhow::Result<RegistriesConf> {
        Ok(RegistriesConf::load(self.registries_conf.as_deref())?)
    }

    /// The HTTP client and registry credentials these options describe,
    /// with the insecure registries of `conf`. Nothing is connected or
    /// loaded yet (see [`HttpClient`]).
    pub fn client(&self, conf: &RegistriesConf) -> anyhow::Result<(HttpClient, Credentials)> {
        let http = HttpClient::new(HttpOptions {
            tls_verify: self.tls_verify,
            ca_files: self.ca_files.clone(),
            certs_d: certs_d::default_dirs(self.certs_d.as_deref()),
            insecure_hosts: conf.insecure_hosts(),
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

    /// text: a line per image and a summary; json: one document; junit:
    /// JUnit XML, one testcase per image.
    #[arg(long, value_enum, default_value_t = super::Format::Text)]
    pub output: super::Format,

    /// Also print every signature's outcome.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Arguments of `relsig fetch`.
#[derive(clap::Args, Debug)]
#[command(after_help = FETCH_EXAMPLES)]
#[command(group(
    clap::ArgGroup::new("destination")
        .required(true)
        .multiple(true)
        .args(["to_dir", "to_configmap", "to_registry", "to_registry_config"])
))]
pub struct FetchArgs {
    #[command(flatten)]
    pub images: ImageArgs,

    /// Write verified signatures here in the release mirror layout
    /// (DIR/sha256=<hex>/signature-N), e.g. for a web server in a
    /// disconnected network. Verified sigstore signatures (a registry's
    /// attachments) are written there too, in containers/image's on-disk
    /// sigstore format, after the OpenPGP ones.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["to_configmap", "to_registry", "to_registry_config"])]
    pub to_dir: Option<PathBuf>,

    /// Write verified OpenPGP signatures as one ConfigMap (namespace
    /// openshift-config-managed, label
    /// release.openshift.io/verification-signatures), ready for `oc apply`;
    /// `-` writes it to stdout (`| oc apply -f -`) and the report to stderr.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["to_registry", "to_registry_config"])]
    pub to_configmap: Option<PathBuf>,

    /// Push the verified sigstore signatures to a mirror registry, as the
    /// `sha256-<hex>.sig` attachment CRI-O reads from the mirror it pulls
    /// from. MIRROR is the repository that holds every image (as `oc adm
    /// release mirror --to` fills it, e.g.
    /// mirror.example.com:5000/ocp/release), or SOURCE=MIRROR: images
    /// under the repository or namespace SOURCE of their identity go under
    /// MIRROR, the rest of their path kept; repeatable. OpenPGP signatures
    /// are not pushed (--to-dir, --to-configmap).
    #[arg(long, value_name = "MIRROR")]
    pub to_registry: Vec<String>,

    /// An ImageDigestMirrorSet or ImageContentSourcePolicy YAML (the one
    /// the cluster has, as `release audit --mirror-config` reads it): each
    /// image's sigstore signatures are pushed to the first mirror it
    /// names for the image's identity; repeatable.
    #[arg(long, value_name = "FILE")]
    pub to_registry_config: Vec<PathBuf>,

    /// Format of --to-configmap [default: from the file extension, JSON
    /// unless .yaml/.yml; YAML for `-`].
    #[arg(long, value_enum, requires = "to_configmap")]
    pub format: Option<ConfigMapFormat>,

    /// Replace an existing --to-configmap file, other signatures already
    /// under --to-dir for the same digest, or a mirror's .sig attachment
    /// that lacks some of the verified signatures (--to-registry).
    #[arg(long)]
    pub force: bool,

    /// text: a line per image and a summary; json: one document; junit:
    /// JUnit XML, one testcase per image.
    #[arg(long, value_enum, default_value_t = super::Format::Text)]
    pub output: super::Format,

    /// Also print every signature's outcome.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequireArg {
    Either,
    Gpg,
    Sigstore,
    Both,
}

impl From<RequireArg> for Require {
    fn from(r: RequireArg) -> Require {
        match r {
            RequireArg::Either => Require::Either,
            RequireArg::Gpg => Require::Gpg,
            RequireArg::Sigstore => Require::Sigstore,
            RequireArg::Both => Require::Both,
        }
    }
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
  relsig verify --digest \\
      sha256:0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363 \\
      --identity quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64 \\
      --signature-configmap signature-sha256-0da6316466d60a3a.json

  # A Red Hat image, JSON for a script: the signatures come from the
  # lookaside registries.d names, else Red Hat's documented store:
  relsig verify registry.redhat.io/ubi9/ubi:latest --output json

  # Through the mirrors of a registries.conf, with a registries.d of one's own:
  relsig verify registry.redhat.io/ubi9/ubi@sha256:… \\
      --registries-conf mirrors.conf --registries-d ./registries.d

  # Many images in one run, 32 at a time (lines: IMAGE [IDENTITY]):
  relsig verify --from-file images.txt \\
      --signature-store https://sigs.internal/ -j 32

  # A containers dir: image (skopeo copy … dir:img) with GPG or sigstore
  # signatures beside its manifest, a cosign key and the Rekor key:
  relsig verify dir:img --identity-repository quay.io/org/app \\
      --sigstore-key cosign.pub --rekor-key rekor.pub

  # Both a GPG and a sigstore signature must verify (built-in Red Hat keys):
  relsig verify dir:release --require both \\
      --identity quay.io/openshift-release-dev/ocp-release:4.21.0-x86_64

  # In CI: JUnit XML for the test report, one testcase per image:
  relsig verify --from-file images.txt --output junit > relsig-verify.xml

Exit codes: 0 every image verified, 1 an image is not verified (no acceptable
signature, digest or identity mismatch), 2 an image could not be checked
(registry, network or input errors) and none was rejected.";

const FETCH_EXAMPLES: &str = "Examples:
  # Signatures of a release for a disconnected cluster, as a ConfigMap:
  relsig fetch 4.15.0 --to-configmap signatures-4.15.0.yaml
  oc apply -f signatures-4.15.0.yaml

  # The same, straight into the cluster:
  relsig fetch 4.15.0 --to-configmap - | oc apply -f -

  # Mirror the signatures of a release to a directory served over http:
  relsig fetch --digest \\
      sha256:0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363 \\
      --identity quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64 \\
      --to-dir /srv/signatures

  # Copy a release's verified sigstore signature (its .sig attachment) into
  # the mirror the cluster pulls it from, as its ImageDigestMirrorSet says:
  relsig fetch quay.io/openshift-release-dev/ocp-release@sha256:0da6…6363 \\
      --to-registry-config imageDigestMirrorSet.yaml

  # Its components too, where a policy requires their signatures (4.21's
  # default ClusterImagePolicy names the release only), into one repository:
  relsig release info 4.21.0 --output pullspec |
      relsig fetch --from-file - \\
          --to-registry mirror.example.com:5000/ocp/release

Only signatures that pass every check are written; the exit code is that of
`relsig verify` for the same images (1 also when --to-registry has no
verified sigstore signature to push, 2 when the mirror cannot be written).";

fn parse_arch(s: &str) -> Result<Arch, String> {
    s.parse()
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 86400.0 => Ok(v),
        Ok(v) if v <= 0.0 => Err("the timeout must be more than 0 seconds".into()),
        _ => Err("expected a number of seconds, more than 0 and at most 86400".into()),
    }
}

/// The images to check, read as the run goes.
type Requests = Box<dyn Iterator<Item = anyhow::Result<ImageRequest>> + Send>;

/// The checker, the images from the arguments, and how many images there
/// are when that is known before the run (for progress).
fn prepare(
    args: &ImageArgs,
    keep_signatures: bool,
) -> anyhow::Result<(Checker, Requests, Option<usize>, RegistryClient)> {
    let identity = identity_override(args)?;
    let mut listed = Vec::new();
    if let Some(d) = &args.digest {
        relsig::image::digest::Digest::parse(d).context("--digest")?;
        listed.push(ImageRequest::parse(d, identity.clone())?);
    }
    for image in &args.images {
        listed.push(ImageRequest::parse(image, identity.clone())?);
    }
    let (from_file, in_file) = match &args.from_file {
        Some(path) => {
            let (list, images) = image_list(path, identity.as_ref())?;
            (Some(list), images)
        }
        None => (None, Some(0)),
    };
    let total = in_file.map(|n| n + listed.len());
    // registries.conf matters only when a registry is read: a reference
    // among the images (those of a list are not known yet).
    let reads_registries = args.from_file.is_some()
        || listed
            .iter()
            .any(|r| matches!(r.target, Target::Reference(_)));
    let requests: Requests = match from_file {
        Some(list) => Box::new(listed.into_iter().map(Ok).chain(list)),
        None => Box::new(listed.into_iter().map(Ok)),
    };
    let mut requests = requests.peekable();
    if requests.peek().is_none() {
        bail!("nothing to verify: give an IMAGE, --digest DIGEST or --from-file FILE (see --help)");
    }
    let (checker, http, credentials) = checker(args, reads_registries, keep_signatures)?;
    Ok((
        checker,
        Box::new(requests),
        total,
        RegistryClient::new(http, credentials),
    ))
}

/// `--identity` or `--identity-repository`, parsed.
pub fn identity_override(args: &ImageArgs) -> anyhow::Result<Option<IdentityOverride>> {
    Ok(match (&args.identity, &args.identity_repository) {
        (Some(r), _) => Some(IdentityOverride::Exact(
            Reference::parse(r).context("--identity")?,
        )),
        (None, Some(r)) => {
            let r = Reference::parse(r).context("--identity-repository")?;
            Some(IdentityOverride::Repository(r.without_tag_or_digest()))
        }
        (None, None) => None,
    })
}

/// The checker the options describe (keys, signature sources, the
/// containers configuration, connection), with its HTTP client and
/// credentials for other reads of the same run. registries.conf is read
/// only when `reads_registries`.
pub fn checker(
    args: &ImageArgs,
    reads_registries: bool,
    keep_signatures: bool,
) -> anyhow::Result<(Checker, HttpClient, Credentials)> {
    let certificates = args.fulcio_ca.is_some() || args.pki_roots.is_some();
    let builtin = args.keyrings.is_empty() && args.sigstore_keys.is_empty() && !certificates;
    if builtin && !args.rekor_keys.is_empty() {
        bail!(
            "--rekor-key needs the sigstore keys it vouches for: add --sigstore-key FILE (Red Hat's built-in release key 3 is not logged in a Rekor this option could name)"
        );
    }
    let keyring = if builtin {
        Keyring::redhat()
    } else if args.keyrings.is_empty() {
        Keyring::default()
    } else {
        Keyring::from_files(&args.keyrings)?
    };
    let sigstore = if builtin {
        Some(sigstore::redhat())
    } else if certificates {
        Some(certificate_trust(args)?)
    } else if args.sigstore_keys.is_empty() {
        None
    } else {
        Some(sigstore_trust(&args.sigstore_keys, &args.rekor_keys)?)
    };
    for w in keyring.warnings() {
        errln!("relsig: warning: {w}");
    }
    let accepted = Accepted::parse(&args.key_fingerprints)
        .map_err(|e| e.in_keyring(&keyring))
        .context("--key-fingerprints")?;

    // The containers configuration is read only when it can matter:
    // registries.d when no source is given, registries.conf when a
    // registry is read.
    let sources = args.sources.sources()?;
    let registries_d = if sources.is_empty() {
        RegistriesD::load_default(args.registries_d.as_deref())?
    } else {
        RegistriesD::default()
    };
    let registries_conf = if reads_registries {
        args.connection.registries_conf()?
    } else {
        RegistriesConf::default()
    };

    let (http, credentials) = args.connection.client(&registries_conf)?;
    let settings = Settings {
        keyring,
        accepted,
        sigstore,
        require: args.require.into(),
        at: args.at.unwrap_or_else(SystemTime::now),
        judged_now: args.at.is_none(),
        sources,
        registries_d,
        registries_conf,
        graph_url: args.graph_url.clone(),
        channel: args.channel.clone(),
        arch: args.arch,
        jobs: args.jobs.into(),
        keep_signatures,
        image_timeout: Some(Duration::from_secs_f64(args.image_timeout)),
        run_timeout: args.run_timeout.map(Duration::from_secs_f64),
    };
    Ok((
        Checker::new(settings, http.clone(), credentials.clone()),
        http,
        credentials,
    ))
}

/// The sigstore trust of `--sigstore-key` and `--rekor-key`.
fn sigstore_trust(keys: &[PathBuf], rekor: &[PathBuf]) -> anyhow::Result<Sigstore> {
    let read = |path: &PathBuf, option: &str| -> anyhow::Result<PublicKey> {
        let bytes = relsig::io::read_bounded(path, "key file", relsig::io::MAX_KEY_FILE)
            .with_context(|| option.to_string())?;
        PublicKey::from_pem(&bytes)
            .with_context(|| format!("{option} {}: not a PEM public key", path.display()))
    };
    let keys = keys
        .iter()
        .map(|p| read(p, "--sigstore-key"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut rekor_keys = Vec::new();
    for p in rekor {
        let k = read(p, "--rekor-key")?;
        if !k.algorithm().is_ecdsa() {
            bail!(
                "--rekor-key {}: an {} key; a Rekor public key must be ECDSA",
                p.display(),
                k.algorithm().as_str()
            );
        }
        rekor_keys.push(k);
    }
    Ok(Sigstore {
        trust: Trust::Keys {
            keys,
            rekor: rekor_keys,
        },
    })
}

/// The sigstore trust of `--fulcio-ca` or `--pki-roots`, loaded as the
/// same members of a policy.json `sigstoreSigned` are.
fn certificate_trust(args: &ImageArgs) -> anyhow::Result<Sigstore> {
    use relsig::policy::config::{Fulcio, Keys, Pki, SigstoreSigned, SigstoreTrust, Source};
    let path = |p: &PathBuf| Source::Path(p.display().to_string());
    let trust = match (&args.fulcio_ca, &args.pki_roots) {
        (Some(ca), _) => SigstoreTrust::Fulcio(Fulcio {
            ca: path(ca),
            oidc_issuer: args.oidc_issuer.clone().unwrap_or_default(),
            subject_email: args.subject_email.clone().unwrap_or_default(),
        }),
        (None, Some(roots)) => {
            if args.subject_email.is_none() && args.subject_hostname.is_none() {
                bail!("--pki-roots needs --subject-email or --subject-hostname (or both)");
            }
            SigstoreTrust::Pki(Pki {
                ca_roots: path(roots),
                ca_intermediates: args.pki_intermediates.as_ref().map(path),
                subject_email: args.subject_email.clone(),
                subject_hostname: args.subject_hostname.clone(),
            })
        }
        (None, None) => bail!("--fulcio-ca or --pki-roots is needed"),
    };
    let rule = SigstoreSigned {
        trust,
        rekor: (!args.rekor_keys.is_empty()).then(|| {
            Keys::Paths(
                args.rekor_keys
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect(),
            )
        }),
        identity: relsig::policy::config::SignedIdentity::MatchRepoDigestOrExact,
    };
    let (trust, _) = relsig::policy::sigstore::load(&rule, None).map_err(|e| {
        let option = match e.member() {
            m if m.starts_with("rekor") => "--rekor-key",
            m if m.starts_with("fulcio") => "--fulcio-ca",
            m if m.starts_with("pki.caIntermediates") => "--pki-intermediates",
            _ => "--pki-roots",
        };
        match e {
            // The member names a policy.json field; here the option says it.
            relsig::policy::sigstore::TrustError::Read { source, .. } => {
                anyhow::Error::new(source).context(option)
            }
            other => anyhow::Error::new(other).context(option),
        }
    })?;
    Ok(Sigstore { trust })
}

/// The images of `--from-file`, read line by line as the run goes, and
/// how many there are when that is known before the run. A regular file
/// is read through once first (counting its images), so that an error in
/// it stops the run before anything is checked; stdin and pipes (process
/// substitution) can be read once only, and an error there ends the run
/// where it is found.
fn image_list(
    path: &Path,
    identity: Option<&IdentityOverride>,
) -> anyhow::Result<(Requests, Option<usize>)> {
    let streamed = |list: ImageList<Box<dyn std::io::BufRead + Send>>| -> Requests {
        Box::new(list.map(|r| r.map_err(anyhow::Error::from)))
    };
    if path == Path::new("-") {
        let stdin: Box<dyn std::io::BufRead + Send> =
            Box::new(std::io::BufReader::new(std::io::stdin()));
        return Ok((
            streamed(ImageList::new(stdin, "stdin".into(), identity.cloned())),
            None,
        ));
    }
    let open = || -> anyhow::Result<(ImageList<Box<dyn std::io::BufRead + Send>>, bool)> {
        let file = relsig::io::open_stream(path, "image list")?;
        let regular = file.metadata().is_ok_and(|m| m.is_file());
        let reader: Box<dyn std::io::BufRead + Send> = Box::new(std::io::BufReader::new(file));
        Ok((
            ImageList::new(reader, path.display().to_string(), identity.cloned()),
            regular,
        ))
    };
    let (list, regular) = open()?;
    if !regular {
        return Ok((streamed(list), None));
    }
    let mut images = 0;
    for request in list {
        request?;
        images += 1;
    }
    Ok((streamed(open()?.0), Some(images)))
}

pub fn run_verify(args: VerifyArgs, debug: bool) -> anyhow::Result<Status> {
    let (checker, requests, total, _) = prepare(&args.images, false)?;
    let mut batch = Batch::begin(args.output, "verify", TextTo::Stdout)?;
    let progress = Progress::new(total, debug);
    let run = checker.check_each(requests, |o| {
        report_verified_with_errors(&o);
        // JSON has no text lines; JUnit keeps them as <system-out>.
        let text = match args.output {
            super::Format::Json => String::new(),
            _ => outcome_text(&o, args.verbose),
        };
        progress.clear();
        batch.image(&Entry {
            name: &o.image,
            status: o.status,
            reason: o.reason.as_str(),
            message: &o.message,
            text: &text,
            json: &o,
        })?;
        progress.tick(&o.image);
        Ok(())
    });
    progress.clear();
    end_run(batch, run, serde_json::Map::new())
}

/// A source that failed does not undo a verification, but is worth
/// knowing about: a warning on stderr.
fn report_verified_with_errors(o: &ImageOutcome) {
    if o.status == Status::Verified {
        for e in &o.errors {
            errln!("relsig: warning: {}: {}", o.image, e.message);
        }
        // What the accepted signature itself warns about (one made in
        // the future, say).
        for w in o.accepted.iter().flat_map(|a| &a.report.warnings) {
            errln!("relsig: warning: {}: {w}", o.image);
        }
    }
}

/// Ends the report. An error that stopped the run mid-way (an unreadable
/// line of an image list on stdin) is printed and makes the run one that
/// could not be checked; the report is still complete.
fn end_run(
    mut batch: Batch,
    run: anyhow::Result<()>,
    extra: serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<Status> {
    if let Err(e) = run {
        errln!("relsig: {e:#}");
        batch.fail();
    }
    batch.finish(extra)
}

/// The text lines of one image: a verdict line, and with `verbose` every
/// signature's outcome.
pub(super) fn outcome_text(o: &ImageOutcome, verbose: bool) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    let _ = match (o.status, &o.accepted) {
        (Status::Verified, Some(a)) => writeln!(
            t,
            "verified {} digest {} identity {} key {} ({})",
            o.image,
            o.digest.as_ref().map_or("?".to_string(), |d| d.to_string()),
            a.report.signed_identity.as_deref().unwrap_or("?"),
            a.report.key_fingerprint.as_deref().unwrap_or("?"),
            a.source
        ),
        (Status::CouldNotCheck, _) => {
            writeln!(
                t,
                "NOT verified {}: could not check: {}",
                o.image, o.message
            )
        }
        _ => writeln!(t, "NOT verified {}: {}", o.image, o.message),
    };
    if !verbose {
        return t;
    }
    if let Some(d) = &o.expected_identity {
        let _ = writeln!(t, "  expected identity {d}");
    }
    for (mechanism, c) in &o.mechanisms {
        let _ = writeln!(
            t,
            "  {mechanism}: {} signature(s) found, {} verified",
            c.found, c.verified
        );
    }
    for s in o.accepted.iter().chain(&o.also_verified) {
        let _ = writeln!(
            t,
            "  ok        {}: {} key {}, identity {}",
            s.source,
            s.report.mechanism,
            s.report.key_fingerprint.as_deref().unwrap_or("?"),
            s.report.signed_identity.as_deref().unwrap_or("?")
        );
    }
    for s in &o.rejected {
        let _ = writeln!(
            t,
            "  rejected  {}: {} {}: {}",
            s.source,
            s.report.mechanism,
            s.report.reason.as_str(),
            s.report.message
        );
    }
    for e in &o.errors {
        let _ = writeln!(t, "  error     {}: {}", e.source, e.message);
    }
    if o.accepted.is_none() && o.rejected.is_empty() && !o.sources.is_empty() {
        let _ = writeln!(t, "  no signatures in: {}", o.sources.join(", "));
    }
    t
}

/// One image of `relsig fetch --output json`: the image's outcome, and
/// what was written for it.
#[derive(serde::Serialize)]
struct Fetched<'a> {
    #[serde(flatten)]
    outcome: &'a ImageOutcome,
    /// Files written under --to-dir.
    written: Vec<PathBuf>,
    /// Stale files removed from --to-dir (with --force).
    removed: Vec<PathBuf>,
    /// The .sig attachment pushed to the mirror (--to-registry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pushed: Option<Pushed>,
    /// Why the verified signatures could not be written (or pushed).
    #[serde(skip_serializing_if = "Option::is_none")]
    write_error: Option<String>,
}

/// Where `fetch --to-registry` pushes each image's sigstore signatures:
/// the mirror the SOURCE=MIRROR pairs and mirror configurations name for
/// the image's identity, else the one repository given.
struct PushTarget {
    mirrors: MirrorMap,
    repository: Option<Reference>,
    client: RegistryClient,
}

impl PushTarget {
    /// The target of `--to-registry` and `--to-registry-config`; `None`
    /// when neither is given.
    fn new(args: &FetchArgs, client: RegistryClient) -> anyhow::Result<Option<PushTarget>> {
        if args.to_registry.is_empty() && args.to_registry_config.is_empty() {
            return Ok(None);
        }
        let mut mirrors = MirrorMap::default();
        let mut repository = None;
        for value in &args.to_registry {
            let origin = format!("--to-registry {value}");
            match value.split_once('=') {
                Some((source, mirror)) => {
                    mirrors.add(source.trim(), &[mirror.trim().to_string()], &origin)?
                }
                None => {
                    let r = Reference::parse(value).context(origin.clone())?;
                    if r.tag().is_some() || r.digest().is_some() {
                        bail!("{origin}: a repository is expected, without :TAG or @DIGEST");
                    }
                    if repository.replace(r).is_some() {
                        bail!(
                            "{origin}: --to-registry names one repository for every image; give SOURCE=MIRROR pairs to send images to several"
                        );
                    }
                }
            }
        }
        for f in &args.to_registry_config {
            mirrors.read_file(f).context("--to-registry-config")?;
        }
        Ok(Some(PushTarget {
            mirrors,
            repository,
            client,
        }))
    }

    /// The mirror repository of the image `o` names (by the repository
    /// of its identity, as CRI-O looks its mirrors up), or why there is
    /// none.
    fn repository_for(&self, o: &ImageOutcome, digest: &Digest) -> Result<Reference, String> {
        let identity = o
            .expected_identity
            .as_deref()
            .and_then(|i| Reference::parse(i).ok())
            .map(|r| r.repository());
        let mapped = identity
            .as_ref()
            .and_then(|repo| Reference::parse(&format!("{repo}@{digest}")).ok())
            .and_then(|at| self.mirrors.locations(&at).into_iter().next());
        match (mapped, &self.repository) {
            (Some(m), _) => Ok(m.without_tag_or_digest()),
            (None, Some(r)) => Ok(r.clone()),
            (None, None) => Err(format!(
                "no --to-registry mirror for {}: no SOURCE=MIRROR pair or mirror configuration names it",
                identity.unwrap_or_else(|| o.image.clone())
            )),
        }
    }

    /// Pushes the verified sigstore signatures of `o` (verified, of
    /// `digest`): what was pushed, or the status, reason and message of
    /// why nothing was.
    fn push(
        &self,
        o: &ImageOutcome,
        digest: &Digest,
        force: bool,
    ) -> Result<Pushed, (Status, &'static str, String)> {
        let signatures: Vec<SigstoreSignature> = o
            .verified_signatures
            .iter()
            .filter(|s| is_sigstore(&s.bytes))
            .filter_map(|s| SigstoreSignature::parse(&s.bytes).ok())
            .collect();
        if signatures.is_empty() {
            return Err((
                Status::Rejected,
                "no-sigstore-signature",
                format!(
                    "{}: no sigstore signature verified, nothing pushed (OpenPGP signatures go to --to-dir or --to-configmap)",
                    o.image
                ),
            ));
        }
        let repository = self
            .repository_for(o, digest)
            .map_err(|e| (Status::CouldNotCheck, "no-mirror", e))?;
        attachments::push_registry_signatures(&self.client, &repository, digest, &signatures, force)
            .map_err(|e| {
                let message = match e {
                    attachments::AttachmentError::Exists { .. } => {
                        format!("{e} (--force replaces it)")
                    }
                    other => relsig::io::error_chain(&other),
                };
                (Status::CouldNotCheck, "registry-error", message)
            })
    }
}

/// `-` as the --to-configmap file: the ConfigMap goes to stdout.
fn is_stdout(path: &Path) -> bool {
    path == Path::new("-")
}

pub fn run_fetch(args: FetchArgs, debug: bool) -> anyhow::Result<Status> {
    let to_stdout = args.to_configmap.as_deref().is_some_and(is_stdout);
    if to_stdout && args.output != super::Format::Text {
        bail!(
            "--to-configmap - writes the ConfigMap to stdout, where --output json/junit would go too: write the ConfigMap to a file"
        );
    }
    if let Some(path) = args.to_configmap.as_deref().filter(|p| !is_stdout(p))
        && path.exists()
        && !args.force
    {
        bail!(
            "--to-configmap {}: the file exists; --force replaces it",
            path.display()
        );
    }
    let (checker, requests, total, client) = prepare(&args.images, true)?;
    let push_target = PushTarget::new(&args, client)?;
    let text_to = if to_stdout {
        TextTo::Stderr
    } else {
        TextTo::Stdout
    };
    let mut batch = Batch::begin(args.output, "fetch", text_to)?;
    let progress = Progress::new(total, debug);
    let mut configmap = SignatureConfigMap::default();
    let mut not_verified = 0usize;
    let run = checker.check_each(requests, |o| {
        report_verified_with_errors(&o);
        if !o.verified {
            not_verified += 1;
        }
        let mut fetched = Fetched {
            outcome: &o,
            written: Vec::new(),
            removed: Vec::new(),
            pushed: None,
            write_error: None,
        };
        // Why the image was not fetched although it verified: its status,
        // reason and message.
        let mut failed: Option<(Status, &str, String)> = None;
        let mut text = outcome_text(&o, args.verbose);
        let verified = o.digest.as_ref().filter(|_| o.verified);
        match (verified, &args.to_dir, &push_target) {
            (None, _, Some(_)) => text.push_str(&format!("  nothing pushed for {}\n", o.image)),
            (None, _, None) => text.push_str(&format!("  nothing written for {}\n", o.image)),
            (Some(digest), None, Some(target)) => match target.push(&o, digest, args.force) {
                Ok(p) => {
                    if p.unchanged {
                        text.push_str(&format!(
                            "  unchanged: {} holds these signatures already\n",
                            p.reference
                        ));
                    } else {
                        text.push_str(&format!(
                            "  pushed {} signature(s) to {}\n",
                            p.signatures, p.reference
                        ));
                    }
                    fetched.pushed = Some(p);
                }
                Err((status, reason, e)) => {
                    errln!("relsig: {e}");
                    text.push_str(&format!("  not pushed: {e}\n"));
                    fetched.write_error = Some(e.clone());
                    failed = Some((status, reason, e));
                }
            },
            (Some(digest), Some(dir), _) => {
                let signatures: Vec<&[u8]> = o
                    .verified_signatures
                    .iter()
                    .map(|s| s.bytes.as_slice())
                    .collect();
                match stores::write_mirror_layout(dir, digest, &signatures, args.force) {
                    Ok(w) => {
                        if w.unchanged {
                            text.push_str("  unchanged: the same signatures are there already\n");
                        }
                        for p in &w.written {
                            text.push_str(&format!("  wrote {}\n", p.display()));
                        }
                        for p in &w.removed {
                            text.push_str(&format!("  removed {}\n", p.display()));
                        }
                        (fetched.written, fetched.removed) = (w.written, w.removed);
                    }
                    Err(e) => {
                        let e = match e {
                            LayoutWriteError::Exists { .. } => {
                                format!("{e} (--force replaces them)")
                            }
                            other => relsig::io::error_chain(&other),
                        };
                        errln!("relsig: {e}");
                        text.push_str(&format!("  not written: {e}\n"));
                        fetched.write_error = Some(e.clone());
                        failed = Some((Status::CouldNotCheck, "io-error", e));
                    }
                }
            }
            (Some(digest), None, None) => {
                // The cluster-version operator reads OpenPGP signatures
                // from these ConfigMaps; sigstore ones go to --to-dir only.
                for s in o
                    .verified_signatures
                    .iter()
                    .filter(|s| !is_sigstore(&s.bytes))
                {
                    configmap.add(digest, s.bytes.clone());
                }
            }
        }
        // An image whose signatures could not be written was not fetched.
        let mut json = serde_json::to_value(&fetched)?;
        if let Some((status, reason, message)) = &failed {
            relsig::verify::restate(&mut json, *status, reason, message);
        }
        let (status, reason, message) =
            failed.unwrap_or((o.status, o.reason.as_str(), o.message.clone()));
        progress.clear();
        batch.image(&Entry {
            name: &o.image,
            status,
            reason,
            message: &message,
            text: &text,
            json: &json,
        })?;
        progress.tick(&o.image);
        Ok(())
    });
    progress.clear();
    let mut extra = serde_json::Map::new();
    if let Some(path) = &args.to_configmap {
        // The report has begun: a failure here goes into it, not out as
        // an error that would cut the document short. A run cut short
        // counts as one with images not verified.
        let not_verified = not_verified + usize::from(run.is_err());
        let written = write_configmap(&args, path, &mut configmap, not_verified, &batch)
            .unwrap_or_else(|e| {
                let e = format!("{e:#}");
                errln!("relsig: {e}");
                batch.fail();
                serde_json::json!({ "path": path, "error": e })
            });
        extra.insert("configmap".into(), written);
    }
    end_run(batch, run, extra)
}

/// Writes the ConfigMap of the verified signatures (nothing when there is
/// none); its JSON description for the report.
fn write_configmap(
    args: &FetchArgs,
    path: &Path,
    configmap: &mut SignatureConfigMap,
    not_verified: usize,
    batch: &Batch,
) -> anyhow::Result<serde_json::Value> {
    // Never replace the file with less than it had because an image
    // could not be verified this run: keep its signatures for the other
    // digests.
    if not_verified > 0 && !is_stdout(path) {
        let kept = keep_earlier_signatures(configmap, path, not_verified)?;
        if kept > 0 {
            batch.note(&format!(
                "kept {kept} signature(s) from {} for digests not verified this run ({not_verified} image(s) not verified)\n",
                path.display()
            ));
        }
    }
    if configmap.is_empty() {
        batch.note(&format!(
            "no verified signatures: {} not written\n",
            path.display()
        ));
        return Ok(serde_json::Value::Null);
    }
    // One release: named like `oc adm release mirror` names it; several:
    // like oc-mirror.
    let digests = configmap.digest_keys();
    configmap.name = match digests.iter().next() {
        Some(d) if digests.len() == 1 => d.to_string(),
        _ => "mirrored-release-signatures".to_string(),
    };
    let format = match args.format {
        Some(ConfigMapFormat::Json) => Format::Json,
        Some(ConfigMapFormat::Yaml) => Format::Yaml,
        None if is_stdout(path) => Format::Yaml,
        None => Format::from_path(path),
    };
    if is_stdout(path) {
        out!("{}", configmap.render(format));
    } else {
        configmap.write(path, format)?;
    }
    batch.note(&format!(
        "wrote {} signature(s) to ConfigMap {} in {}\n",
        configmap.len(),
        configmap.name,
        if is_stdout(path) {
            "stdout".to_string()
        } else {
            path.display().to_string()
        }
    ));
    Ok(serde_json::json!({
        "path": path,
        "name": configmap.name,
        "signatures": configmap.len(),
    }))
}

/// When some images were not verified, the ConfigMap written must not
/// lose the signatures an earlier run wrote for them: those of every
/// digest not verified this run are kept from the existing file. An error
/// (and the file is left as it was) when that file cannot be read.
fn keep_earlier_signatures(
    configmap: &mut SignatureConfigMap,
    path: &Path,
    not_verified: usize,
) -> anyhow::Result<usize> {
    let earlier = match SignatureConfigMap::read(path) {
        Ok(earlier) => earlier,
        Err(ConfigMapError::Read(relsig::io::FileError::Io { source, .. }))
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            return Ok(0);
        }
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "{} left as it was: {not_verified} image(s) not verified, and the signatures it holds for them cannot be kept",
                    path.display()
                )
            });
        }
    };
    Ok(configmap.keep_other_digests(&earlier))
}
