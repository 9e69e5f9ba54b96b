//! Images verified end to end: what the user named (a tag or digest
//! reference, a release version, or a bare digest with an identity) is
//! resolved to a digest and the expected identity, the signatures are
//! gathered from each source in order, every one is checked with
//! [`crate::signature::check::check_signature`], and the image gets one verdict.
//!
//! The signature sources are those given; when none is, the containers
//! configuration decides per image ([`crate::config::signature_sources`]),
//! and an image no source applies to cannot be checked. Manifests are
//! fetched through registries.conf's mirrors
//! ([`crate::config::registries_conf`]); the image keeps its own name.
//!
//! An image is verified when one signature passes every check. It is not
//! verified (exit 1) when signatures were found and all were rejected, when
//! no source has any, or when the registry serves other content than the
//! pinned digest. It could not be checked (exit 2) when the manifest or
//! the release could not be resolved, or when nothing verified and a
//! source could not be read (the unread source might have held a good
//! signature).

mod outcome;
mod request;

pub use outcome::{ImageOutcome, ImageReason, SourceFailure, run_status};
pub use request::{IdentityOverride, ImageRequest, RequestError, Target};

use crate::config::registries_conf::{self, RegistriesConf};
use crate::config::registries_d::RegistriesD;
use crate::config::signature_sources::{self, NoSignatureSource};
use crate::image::digest::Digest;
use crate::image::manifest::{self, Manifest};
use crate::image::reference::Reference;
use crate::signature::check::{Checks, Image, check_signature};
use crate::signature::identity::ExpectedIdentity;
use crate::signature::openpgp::{Accepted, Keyring, OpenPgp};
use crate::signature::{Reason, SignatureOutcome};
use crate::sources::graph::{self, Arch, Graph};
use crate::sources::http::HttpClient;
use crate::sources::registry::{Credentials, RegistryClient};
use crate::sources::stores::SignatureSource;
use crate::status::Status;
use outcome::judge;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Everything a run checks images against.
#[derive(Debug)]
pub struct Settings {
    /// Parsed once, shared by every image.
    pub keyring: Keyring,
    pub accepted: Accepted,
    /// When key validity is judged.
    pub at: SystemTime,
    /// The sources given, tried in order; the first source that yields a
    /// verified signature ends the search. When empty, `registries_d`
    /// and relsig's defaults choose each image's sources.
    pub sources: Vec<SignatureSource>,
    /// registries.d: lookasides for images when no source is given.
    pub registries_d: RegistriesD,
    /// registries.conf: mirrors manifests are fetched through.
    pub registries_conf: RegistriesConf,
    pub graph_url: String,
    /// `None`: `stable-<major>.<minor>` of each version.
    pub channel: Option<String>,
    pub arch: Arch,
    /// Images checked at the same time.
    pub jobs: usize,
    /// Keep the bytes of verified signatures in the outcome (for `fetch`).
    pub keep_signatures: bool,
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
    /// With the digest computed when resolving, for the signatures.
    manifest: Option<Manifest<'static>>,
    expected: ExpectedIdentity,
    /// Where the image lives or what it is called, for the lookaside
    /// paths of the sources given.
    location: Reference,
    /// What the image is called (the identity given, else the image
    /// named), for choosing sources when none is given.
    name: Reference,
    /// Where the manifest was fetched from (a mirror, or the image's own
    /// registry); `None` when no registry was read.
    fetched_from: Option<Reference>,
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

    /// Checks every image, `jobs` at a time; outcomes are in input order.
    pub fn check_all(&self, requests: &[ImageRequest]) -> Vec<ImageOutcome> {
        self.check_all_with(requests, &|_| {})
    }

    /// [`Checker::check_all`], calling `done` as each image is finished
    /// (in the order they finish, from the worker threads): the CLI's
    /// progress display.
    pub fn check_all_with(
        &self,
        requests: &[ImageRequest],
        done: &(dyn Fn(&ImageOutcome) + Sync),
    ) -> Vec<ImageOutcome> {
        let check = |r: &ImageRequest| {
            let outcome = self.check(r);
            done(&outcome);
            outcome
        };
        let jobs = self.settings.jobs.clamp(1, requests.len().max(1));
        if jobs == 1 {
            return requests.iter().map(check).collect();
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
                        let outcome = check(request);
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
                let status = match reason {
                    ImageReason::DigestMismatch | ImageReason::Rejected(_) => Status::Rejected,
                    _ => Status::CouldNotCheck,
                };
                log::debug!("{}: {}: {message}", request.input, reason.as_str());
                return out.finish(status, reason, message);
            }
        };
        log::debug!(
            "{}: checking digest {} against identity {}",
            request.input,
            resolved.digest,
            resolved.expected.name()
        );
        out.digest = Some(resolved.digest.clone());
        out.expected_identity = Some(resolved.expected.name());

        let mechanism = OpenPgp {
            keyring: &self.settings.keyring,
            accepted: &self.settings.accepted,
        };
        let checks = Checks {
            mechanism: &mechanism,
            expected: &resolved.expected,
            at: self.settings.at,
        };
        let image = match &resolved.manifest {
            Some(manifest) => Image::Manifest(manifest),
            None => Image::Digest(&resolved.digest),
        };
        let configured;
        let sources: Vec<(&SignatureSource, &Reference, String)> =
            if self.settings.sources.is_empty() {
                configured = match signature_sources::for_image(
                    &self.settings.registries_d,
                    resolved.fetched_from.as_ref(),
                    &resolved.name,
                ) {
                    Ok(c) => c,
                    Err(e) => {
                        let reason = match e {
                            NoSignatureSource::None { .. } => ImageReason::NoSignatureSource,
                            NoSignatureSource::BadLookaside { .. } => ImageReason::SourceError,
                        };
                        return out.finish(Status::CouldNotCheck, reason, e.to_string());
                    }
                };
                configured
                    .iter()
                    .map(|c| (&c.source, &c.reference, c.to_string()))
                    .collect()
            } else {
                self.settings
                    .sources
                    .iter()
                    .map(|s| (s, &resolved.location, s.to_string()))
                    .collect()
            };
        for (source, reference, shown) in sources {
            let signatures = match source.signatures(&self.http, Some(reference), &resolved.digest)
            {
                Ok(s) => s,
                Err(e) => {
                    log::debug!("{}: {shown} could not be read: {e}", request.input);
                    out.errors.push(SourceFailure {
                        source: shown,
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            log::debug!(
                "{}: {shown}: {} signature(s)",
                request.input,
                signatures.len()
            );
            out.sources.push(shown);
            for sig in signatures {
                let report = check_signature(&sig.bytes, image, &checks);
                log::debug!(
                    "{}: {}: {}: {}",
                    request.input,
                    sig.source,
                    report.reason.as_str(),
                    report.message
                );
                let verified = report.verified;
                let outcome = SignatureOutcome {
                    source: sig.source.clone(),
                    report,
                };
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
        let (status, reason, message) = judge(&out);
        log::debug!("{}: {}: {message}", request.input, reason.as_str());
        out.finish(status, reason, message)
    }

    fn resolve(&self, request: &ImageRequest) -> Result<Resolved, (ImageReason, String)> {
        let overridden = request.identity.as_ref().map(IdentityOverride::expected);
        match &request.target {
            Target::Reference(r) => {
                let fetched = registries_conf::get_manifest(
                    &self.settings.registries_conf,
                    &self.registry,
                    r,
                )
                .map_err(|e| (ImageReason::RegistryError, e.to_string()))?;
                let url = fetched.manifest.url;
                let manifest = Manifest::new(fetched.manifest.bytes);
                let invalid = |e: manifest::ManifestError| {
                    (
                        ImageReason::Rejected(Reason::InvalidManifest),
                        format!("{url}: {e}"),
                    )
                };
                let digest = match r.digest() {
                    Some(pinned) => {
                        let pinned = Digest::parse(pinned)
                            .map_err(|e| (ImageReason::RegistryError, e.to_string()))?;
                        let actual = manifest.digest_with(pinned.algorithm()).map_err(invalid)?;
                        if actual != pinned {
                            return Err((
                                ImageReason::DigestMismatch,
                                format!(
                                    "{url} served a manifest with digest {actual}, not the pinned {pinned}"
                                ),
                            ));
                        }
                        pinned
                    }
                    None => manifest.digest().map_err(invalid)?,
                };
                let (expected, name) = overridden
                    .unwrap_or_else(|| (ExpectedIdentity::RepoDigestOrExact(r.clone()), r.clone()));
                Ok(Resolved {
                    digest,
                    manifest: Some(manifest),
                    expected,
                    location: r.clone(),
                    name,
                    fetched_from: Some(fetched.from.reference),
                })
            }
            Target::Version(version) => {
                let digest = self.release_digest(version)?;
                let (expected, location) = match overridden {
                    Some(o) => o,
                    None => {
                        let id = graph::release_identity(version, self.settings.arch)
                            .map_err(|e| (ImageReason::UnknownVersion, e.to_string()))?;
                        (ExpectedIdentity::Exact(id.clone()), id)
                    }
                };
                Ok(Resolved {
                    digest,
                    manifest: None,
                    expected,
                    name: location.clone(),
                    location,
                    fetched_from: None,
                })
            }
            Target::Digest(digest, identity) => {
                let (expected, location) = identity.expected();
                Ok(Resolved {
                    digest: digest.clone(),
                    manifest: None,
                    expected,
                    name: location.clone(),
                    location,
                    fetched_from: None,
                })
            }
        }
    }

    /// The payload digest of a release version; each channel's graph is
    /// fetched once per run.
    fn release_digest(&self, version: &str) -> Result<Digest, (ImageReason, String)> {
        let channel = match &self.settings.channel {
            Some(c) => c.clone(),
            None => graph::default_channel(version)
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
                graph::ReleaseError::UnknownVersion { .. } => ImageReason::UnknownVersion,
                _ => ImageReason::GraphError,
            };
            (reason, e.to_string())
        })
    }
}
