//! Images verified end to end: what the user named (a tag or digest
//! reference, a release version, or a bare digest with an identity) is
//! resolved to a digest and the expected identity, the signatures are
//! gathered from each source in order, every one is checked with
//! [`crate::verify::check_signature`], and the image gets one verdict.
//!
//! An image is verified when one signature passes every check. It is not
//! verified (exit 1) when signatures were found and all were rejected, when
//! no source has any, or when the registry serves other content than the
//! pinned digest. It could not be checked (exit 2) when the manifest or
//! the release could not be resolved, or when nothing verified and a
//! source could not be read (the unread source might have held a good
//! signature).

use crate::digest::Digest;
use crate::http::HttpClient;
use crate::identity::ExpectedIdentity;
use crate::keyring::{Accepted, Keyring};
use crate::manifest;
use crate::reference::{Reference, ReferenceError};
use crate::registry::{Credentials, RegistryClient};
use crate::release::{self, Arch, Graph};
use crate::stores::{Signature, SignatureSource};
use crate::verify::{Checks, Image, Reason, Report, check_signature};
use serde::{Serialize, Serializer};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// What an IMAGE argument names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A tag or digest reference: the manifest comes from the registry.
    Reference(Reference),
    /// An OpenShift release version, resolved through the update graph.
    Version(String),
    /// Only a digest: no registry at all (as the cluster-version-operator
    /// verifies releases); needs an identity override.
    Digest(Digest),
}

/// An identity given instead of the one the image argument implies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityOverride {
    /// `--identity REF`: the signature must name exactly REF.
    Exact(Reference),
    /// `--identity-repository REPO`: any tag or digest of REPO.
    Repository(Reference),
}

/// One image to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRequest {
    /// The argument as the user typed it, for reports.
    pub input: String,
    pub target: Target,
    pub identity: Option<IdentityOverride>,
}

/// An image argument that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error(transparent)]
    Digest(#[from] crate::digest::DigestError),
    #[error("{input}: a reference without a tag or digest names no image: add :TAG or @sha256:…")]
    NoTagOrDigest { input: String },
    #[error(
        "{input}: verifying by digest alone needs the identity the signature must name: add --identity REF or --identity-repository REPO"
    )]
    DigestWithoutIdentity { input: String },
}

impl ImageRequest {
    /// Parses an IMAGE argument: a release version (`4.15.0`), a bare
    /// digest (`sha256:…`, needs `identity`), or a tag or digest reference.
    pub fn parse(
        input: &str,
        identity: Option<IdentityOverride>,
    ) -> Result<ImageRequest, RequestError> {
        let target = if release::is_release_version(input) {
            Target::Version(input.to_string())
        } else if is_bare_digest(input) {
            if identity.is_none() {
                return Err(RequestError::DigestWithoutIdentity {
                    input: input.to_string(),
                });
            }
            Target::Digest(Digest::parse(input)?)
        } else {
            let r = Reference::parse(input)?;
            if r.is_name_only() {
                return Err(RequestError::NoTagOrDigest {
                    input: input.to_string(),
                });
            }
            Target::Reference(r)
        };
        Ok(ImageRequest {
            input: input.to_string(),
            target,
            identity,
        })
    }
}

/// `sha256:…`-shaped (an algorithm, a colon, no slash), as opposed to
/// `host:port/repo` or `repo:tag`.
fn is_bare_digest(s: &str) -> bool {
    s.split_once(':').is_some_and(|(algo, rest)| {
        matches!(algo, "sha256" | "sha384" | "sha512") && !rest.contains('/')
    })
}

/// Everything a run checks images against.
#[derive(Debug)]
pub struct Settings {
    /// Parsed once, shared by every image.
    pub keyring: Keyring,
    pub accepted: Accepted,
    /// When key validity is judged.
    pub at: SystemTime,
    /// Tried in order; the first source that yields a verified signature
    /// ends the search.
    pub sources: Vec<SignatureSource>,
    pub graph_url: String,
    /// `None`: `stable-<major>.<minor>` of each version.
    pub channel: Option<String>,
    pub arch: Arch,
    /// Images checked at the same time.
    pub jobs: usize,
    /// Keep the bytes of verified signatures in the outcome (for `fetch`).
    pub keep_signatures: bool,
}

/// The verdict of one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Verified,
    NotVerified,
    /// Could not be checked (exit 2).
    Error,
}

/// Why an image got its verdict; the JSON `reason` of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageReason {
    Ok,
    /// No source has a signature for the digest.
    NoSignatures,
    /// The registry served a manifest whose digest is not the pinned one.
    DigestMismatch,
    /// Every signature was rejected; the reason of the one that got
    /// furthest through the checks.
    Rejected(Reason),
    RegistryError,
    UnknownVersion,
    GraphError,
    SourceError,
    /// The request itself cannot be checked (e.g. a digest with no identity).
    Usage,
}

impl ImageReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageReason::Ok => "ok",
            ImageReason::NoSignatures => "no-signatures",
            ImageReason::DigestMismatch => "digest-mismatch",
            ImageReason::Rejected(r) => r.as_str(),
            ImageReason::RegistryError => "registry-error",
            ImageReason::UnknownVersion => "unknown-version",
            ImageReason::GraphError => "graph-error",
            ImageReason::SourceError => "source-error",
            ImageReason::Usage => "usage",
        }
    }
}

impl Serialize for ImageReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The outcome of one signature.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureOutcome {
    /// URL, file, or `FILE#KEY` of a ConfigMap entry.
    pub source: String,
    pub reason: Reason,
    pub message: String,
    /// The primary key's fingerprint, once the OpenPGP signature verified.
    pub key_fingerprint: Option<String>,
    pub signing_key_fingerprint: Option<String>,
    pub signed_identity: Option<String>,
    pub signed_digest: Option<String>,
    pub creator: Option<String>,
    pub timestamp: Option<i64>,
}

impl SignatureOutcome {
    fn new(source: &str, report: Report) -> SignatureOutcome {
        SignatureOutcome {
            source: source.to_string(),
            reason: report.reason,
            message: report.message,
            key_fingerprint: report.primary_fingerprint,
            signing_key_fingerprint: report.signing_key_fingerprint,
            signed_identity: report.signed_identity,
            signed_digest: report.signed_digest,
            creator: report.creator,
            timestamp: report.timestamp,
        }
    }
}

/// A source that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct SourceFailure {
    pub source: String,
    pub message: String,
}

/// Everything learnt about one image. Field names are the JSON schema.
#[derive(Debug, Clone, Serialize)]
pub struct ImageOutcome {
    /// The argument as given.
    pub image: String,
    pub verdict: Verdict,
    pub verified: bool,
    pub reason: ImageReason,
    pub message: String,
    /// The digest that was checked (from the registry, the graph or the
    /// command line).
    pub digest: Option<Digest>,
    pub expected_identity: Option<String>,
    /// The first signature that passed every check.
    pub accepted: Option<SignatureOutcome>,
    /// Further signatures that passed, from the same source.
    pub also_verified: Vec<SignatureOutcome>,
    pub rejected: Vec<SignatureOutcome>,
    /// Sources that could not be read.
    pub errors: Vec<SourceFailure>,
    /// Sources that were read, in order.
    pub sources: Vec<String>,
    /// The bytes of every verified signature, when
    /// [`Settings::keep_signatures`] is set.
    #[serde(skip)]
    pub verified_signatures: Vec<Signature>,
}

impl ImageOutcome {
    fn new(image: &str) -> ImageOutcome {
        ImageOutcome {
            image: image.to_string(),
            verdict: Verdict::Error,
            verified: false,
            reason: ImageReason::Ok,
            message: String::new(),
            digest: None,
            expected_identity: None,
            accepted: None,
            also_verified: Vec::new(),
            rejected: Vec::new(),
            errors: Vec::new(),
            sources: Vec::new(),
            verified_signatures: Vec::new(),
        }
    }

    fn finish(mut self, verdict: Verdict, reason: ImageReason, message: String) -> ImageOutcome {
        self.verdict = verdict;
        self.verified = verdict == Verdict::Verified;
        self.reason = reason;
        self.message = message;
        self
    }

    /// 0 verified, 1 not verified, 2 could not check.
    pub fn exit_code(&self) -> u8 {
        match self.verdict {
            Verdict::Verified => 0,
            Verdict::NotVerified => 1,
            Verdict::Error => 2,
        }
    }
}

/// The exit code of a run: 1 if any image was not verified (a rejection
/// outranks a failure to check), else 2 if any could not be checked, else 0.
pub fn exit_code(outcomes: &[ImageOutcome]) -> u8 {
    if outcomes.iter().any(|o| o.verdict == Verdict::NotVerified) {
        1
    } else if outcomes.iter().any(|o| o.verdict == Verdict::Error) {
        2
    } else {
        0
    }
}

/// Verifies images; shares one HTTP client, registry client (token cache)
/// and keyring between all of them.
#[derive(Debug)]
pub struct Checker {
    settings: Settings,
    http: HttpClient,
    registry: RegistryClient,
    graphs: Mutex<HashMap<(String, Arch), GraphResult>>,
}

/// A fetched graph, or why it could not be (remembered so that every
/// version in a failed channel reports the same error without refetching).
type GraphResult = Result<Arc<Graph>, String>;

/// What a resolved image is checked against.
struct Resolved {
    digest: Digest,
    manifest: Option<Vec<u8>>,
    expected: ExpectedIdentity,
    /// Where the image lives or what it is called, for lookaside paths.
    location: Reference,
}

impl Checker {
    pub fn new(settings: Settings, http: HttpClient, credentials: Credentials) -> Checker {
        let registry = RegistryClient::new(http.clone(), credentials);
        Checker {
            settings,
            http,
            registry,
            graphs: Mutex::default(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Checks every image, `jobs` at a time; outcomes are in input order.
    pub fn check_all(&self, requests: &[ImageRequest]) -> Vec<ImageOutcome> {
        let jobs = self.settings.jobs.clamp(1, requests.len().max(1));
        if jobs == 1 {
            return requests.iter().map(|r| self.check(r)).collect();
        }
        let next = AtomicUsize::new(0);
        let results: Vec<Mutex<Option<ImageOutcome>>> =
            requests.iter().map(|_| Mutex::new(None)).collect();
        std::thread::scope(|s| {
            for _ in 0..jobs {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(request) = requests.get(i) else {
                            break;
                        };
                        let outcome = self.check(request);
                        *results[i].lock().unwrap() = Some(outcome);
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|m| {
                m.into_inner()
                    .unwrap()
                    .expect("every image is checked once")
            })
            .collect()
    }

    /// Checks one image.
    pub fn check(&self, request: &ImageRequest) -> ImageOutcome {
        let mut out = ImageOutcome::new(&request.input);
        let resolved = match self.resolve(request) {
            Ok(r) => r,
            Err((reason, message)) => {
                let verdict = match reason {
                    ImageReason::DigestMismatch | ImageReason::Rejected(_) => Verdict::NotVerified,
                    _ => Verdict::Error,
                };
                return out.finish(verdict, reason, message);
            }
        };
        out.digest = Some(resolved.digest.clone());
        out.expected_identity = Some(expected_name(&resolved.expected));

        let checks = Checks {
            keyring: &self.settings.keyring,
            accepted: &self.settings.accepted,
            expected: &resolved.expected,
            at: self.settings.at,
        };
        let image = match &resolved.manifest {
            Some(bytes) => Image::Manifest(bytes),
            None => Image::Digest(&resolved.digest),
        };
        for source in &self.settings.sources {
            let signatures =
                match source.signatures(&self.http, Some(&resolved.location), &resolved.digest) {
                    Ok(s) => s,
                    Err(e) => {
                        out.errors.push(SourceFailure {
                            source: source.to_string(),
                            message: e.to_string(),
                        });
                        continue;
                    }
                };
            out.sources.push(source.to_string());
            for sig in signatures {
                let report = check_signature(&sig.bytes, image, &checks);
                let verified = report.verified;
                let outcome = SignatureOutcome::new(&sig.source, report);
                if !verified {
                    out.rejected.push(outcome);
                    continue;
                }
                if out.accepted.is_none() {
                    out.accepted = Some(outcome);
                } else {
                    out.also_verified.push(outcome);
                }
                if self.settings.keep_signatures {
                    out.verified_signatures.push(sig);
                }
            }
            if out.accepted.is_some() {
                break;
            }
        }
        let (verdict, reason, message) = judge(&out);
        out.finish(verdict, reason, message)
    }

    fn resolve(&self, request: &ImageRequest) -> Result<Resolved, (ImageReason, String)> {
        let overridden = request.identity.as_ref().map(|o| match o {
            IdentityOverride::Exact(r) => (ExpectedIdentity::Exact(r.clone()), r.clone()),
            IdentityOverride::Repository(r) => (ExpectedIdentity::Repository(r.clone()), r.clone()),
        });
        match &request.target {
            Target::Reference(r) => {
                let m = self
                    .registry
                    .get_manifest(r)
                    .map_err(|e| (ImageReason::RegistryError, e.to_string()))?;
                let invalid = |e: manifest::ManifestError| {
                    (
                        ImageReason::Rejected(Reason::InvalidManifest),
                        format!("{}: {e}", m.url),
                    )
                };
                let digest = match r.digest() {
                    Some(pinned) => {
                        let pinned = Digest::parse(pinned)
                            .map_err(|e| (ImageReason::RegistryError, e.to_string()))?;
                        let actual =
                            manifest::digest_with(&m.bytes, pinned.algorithm()).map_err(invalid)?;
                        if actual != pinned {
                            return Err((
                                ImageReason::DigestMismatch,
                                format!(
                                    "{} served a manifest with digest {actual}, not the pinned {pinned}",
                                    m.url
                                ),
                            ));
                        }
                        pinned
                    }
                    None => manifest::digest(&m.bytes).map_err(invalid)?,
                };
                let expected = overridden
                    .map(|(e, _)| e)
                    .unwrap_or_else(|| ExpectedIdentity::RepoDigestOrExact(r.clone()));
                Ok(Resolved {
                    digest,
                    manifest: Some(m.bytes),
                    expected,
                    location: r.clone(),
                })
            }
            Target::Version(version) => {
                let digest = self.release_digest(version)?;
                let (expected, location) = match overridden {
                    Some(o) => o,
                    None => {
                        let id = release::release_identity(version, self.settings.arch)
                            .map_err(|e| (ImageReason::UnknownVersion, e.to_string()))?;
                        (ExpectedIdentity::Exact(id.clone()), id)
                    }
                };
                Ok(Resolved {
                    digest,
                    manifest: None,
                    expected,
                    location,
                })
            }
            Target::Digest(digest) => {
                let (expected, location) = overridden.ok_or_else(|| {
                    (
                        ImageReason::Usage,
                        RequestError::DigestWithoutIdentity {
                            input: request.input.clone(),
                        }
                        .to_string(),
                    )
                })?;
                Ok(Resolved {
                    digest: digest.clone(),
                    manifest: None,
                    expected,
                    location,
                })
            }
        }
    }

    /// The payload digest of a release version; each channel's graph is
    /// fetched once per run.
    fn release_digest(&self, version: &str) -> Result<Digest, (ImageReason, String)> {
        let channel = match &self.settings.channel {
            Some(c) => c.clone(),
            None => release::default_channel(version)
                .map_err(|e| (ImageReason::UnknownVersion, e.to_string()))?,
        };
        let arch = self.settings.arch;
        let graph = {
            let mut graphs = self.graphs.lock().unwrap();
            graphs
                .entry((channel.clone(), arch))
                .or_insert_with(|| {
                    Graph::fetch(&self.http, &self.settings.graph_url, &channel, arch)
                        .map(Arc::new)
                        .map_err(|e| e.to_string())
                })
                .clone()
        };
        let graph = graph.map_err(|e| (ImageReason::GraphError, e))?;
        graph.digest_of(version).map_err(|e| {
            let reason = match e {
                release::ReleaseError::UnknownVersion { .. } => ImageReason::UnknownVersion,
                _ => ImageReason::GraphError,
            };
            (reason, e.to_string())
        })
    }
}

/// The identity as the JSON output names it.
fn expected_name(expected: &ExpectedIdentity) -> String {
    match expected {
        ExpectedIdentity::Exact(r) | ExpectedIdentity::RepoDigestOrExact(r) => r.to_string(),
        ExpectedIdentity::Repository(r) => r.repository(),
    }
}

/// How far through the checks a rejected signature got: the one that got
/// furthest explains best why the image is not verified.
fn progress(reason: Reason) -> u8 {
    match reason {
        Reason::IdentityMismatch | Reason::InvalidSignedReference => 4,
        Reason::DigestMismatch | Reason::InvalidManifest => 3,
        Reason::InvalidPayload => 2,
        Reason::FingerprintNotAccepted => 1,
        _ => 0,
    }
}

fn judge(out: &ImageOutcome) -> (Verdict, ImageReason, String) {
    if let Some(a) = &out.accepted {
        let key = a.key_fingerprint.as_deref().unwrap_or("?");
        return (
            Verdict::Verified,
            ImageReason::Ok,
            format!("verified using key {key} ({})", a.source),
        );
    }
    let rejected = out.rejected.len();
    let best = out.rejected.iter().rev().max_by_key(|s| progress(s.reason));
    if !out.errors.is_empty() {
        let errors: Vec<&str> = out.errors.iter().map(|e| e.message.as_str()).collect();
        let mut msg = format!("could not read signatures: {}", errors.join("; "));
        if let Some(b) = best {
            msg.push_str(&format!(
                "; {rejected} signature(s) found elsewhere were rejected ({}: {})",
                b.reason.as_str(),
                b.message
            ));
        }
        return (Verdict::Error, ImageReason::SourceError, msg);
    }
    match best {
        None => (
            Verdict::NotVerified,
            ImageReason::NoSignatures,
            format!(
                "no signatures for {} in {}",
                out.digest
                    .as_ref()
                    .map_or("the image".to_string(), |d| d.to_string()),
                out.sources.join(", ")
            ),
        ),
        Some(b) => (
            Verdict::NotVerified,
            ImageReason::Rejected(b.reason),
            format!(
                "{rejected} signature(s), none accepted; {}: {} ({})",
                b.reason.as_str(),
                b.message,
                b.source
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_arguments_are_classified() {
        let id = Some(IdentityOverride::Exact(
            Reference::parse("quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64").unwrap(),
        ));
        let d = "sha256:0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363";
        assert_eq!(
            ImageRequest::parse("4.15.0", None).unwrap().target,
            Target::Version("4.15.0".into())
        );
        assert!(matches!(
            ImageRequest::parse(d, id.clone()).unwrap().target,
            Target::Digest(_)
        ));
        assert!(matches!(
            ImageRequest::parse(d, None),
            Err(RequestError::DigestWithoutIdentity { .. })
        ));
        assert!(matches!(
            ImageRequest::parse("localhost:5000/a:1", None)
                .unwrap()
                .target,
            Target::Reference(_)
        ));
        assert!(matches!(
            ImageRequest::parse("quay.io/a/b", None),
            Err(RequestError::NoTagOrDigest { .. })
        ));
        assert!(ImageRequest::parse("Bad/Name:1", None).is_err());
    }

    #[test]
    fn exit_code_prefers_rejection_over_failure_to_check() {
        let mk = |v| ImageOutcome::new("x").finish(v, ImageReason::Ok, String::new());
        assert_eq!(exit_code(&[mk(Verdict::Verified)]), 0);
        assert_eq!(exit_code(&[mk(Verdict::Verified), mk(Verdict::Error)]), 2);
        assert_eq!(
            exit_code(&[mk(Verdict::Error), mk(Verdict::NotVerified)]),
            1
        );
    }
}
