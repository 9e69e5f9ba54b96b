//! `relsig release audit`: each component of a verified release looked up
//! in the mirror exactly as the cluster will pull it, by its pinned
//! digest, and the manifest served hashed again (a registry's word for
//! the digest is not taken). With `deep`, every platform manifest of a
//! list and every blob (HEAD) must be there too.
//!
//! Where the policy in force (policy.json and ClusterImagePolicies, see
//! [`crate::policy::cluster_image_policy`]) gives a component's source
//! pull spec requirements other than `insecureAcceptAnything`, they are
//! judged by [`crate::policy::eval`], as CRI-O will judge them: on the
//! sigstore signatures of the `.sig` attachment next to the component in
//! the mirror (`sigstoreSigned`) and on the GPG signatures of the
//! lookaside registries.d assigns to that mirror location (`signedBy`).
//!
//! Components are checked `jobs` at a time and handed over in release
//! order as they are ready; a component holds one manifest at a time.

use super::metadata::Component;
use super::mirrors::MirrorMap;
use crate::config::registries_d::RegistriesD;
use crate::image::digest::Digest;
use crate::image::manifest;
use crate::image::reference::Reference;
use crate::io::MAX_COMPONENT_OBJECTS;
use crate::policy::Policy;
use crate::policy::config::{Requirement, Rule};
use crate::policy::eval::{self, EvalOptions, Evidence, RequirementReason};
use crate::policy::evidence::lookaside_source;
use crate::sources::attachments::{attachment_reference, registry_signatures};
use crate::sources::http::{Deadline, HttpClient, TimeLimit};
use crate::sources::registry::{RegistryClient, RegistryError};
use crate::status::Status;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Why a component got its result; the JSON `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentReason {
    Ok,
    /// The mirror does not have the pinned manifest.
    Missing,
    /// The mirror served other bytes for the pinned digest.
    DigestMismatch,
    /// image-references gives no digest: nothing binds it to the release.
    NotPinned,
    /// `deep`: a platform manifest or blob is missing.
    BlobMissing,
    /// What the mirror served is not a manifest.
    InvalidManifest,
    RegistryError,
    /// The component's time limit ran out.
    Timeout,
    /// A requirement of the policy in force is not met (a signature it
    /// requires is not there or not valid, or it rejects the image): the
    /// requirement's own reason (`no-signatures`, `reject`, …).
    Signature(RequirementReason),
}

impl ComponentReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentReason::Ok => "ok",
            ComponentReason::Missing => "missing",
            ComponentReason::DigestMismatch => "digest-mismatch",
            ComponentReason::NotPinned => "not-pinned",
            ComponentReason::BlobMissing => "blob-missing",
            ComponentReason::InvalidManifest => "invalid-manifest",
            ComponentReason::RegistryError => "registry-error",
            ComponentReason::Timeout => "timeout",
            ComponentReason::Signature(r) => r.as_str(),
        }
    }
}

impl Serialize for ComponentReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What became of one component. Field names are the JSON schema.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentResult {
    /// The tag name in image-references.
    pub name: String,
    /// The pull spec image-references pins.
    pub source: String,
    /// Where it was looked for: the mirror that answered (or the first
    /// one asked); the source itself when no mirror applies.
    pub mirror: String,
    pub status: Status,
    pub reason: ComponentReason,
    pub message: String,
    /// Platform manifests found (`deep`, a list).
    pub manifests_checked: usize,
    /// Blobs found (`deep`).
    pub blobs_checked: usize,
    /// The rules of the policy in force that require a signature of this
    /// component (`cluster-image-policy NAME: scope SCOPE`,
    /// `policy.json transports.docker["SCOPE"][N]`); empty when none does.
    pub required_by: Vec<String>,
}

/// Checks components against the mirror.
#[derive(Debug, Clone)]
pub struct Auditor {
    pub http: HttpClient,
    pub registry: RegistryClient,
    pub mirrors: MirrorMap,
    /// Also every platform manifest and blob.
    pub deep: bool,
    /// Everything fetched for one component ends by then.
    pub component_timeout: Option<Duration>,
    /// The policy in force: every requirement of each component's scope
    /// is checked.
    pub policy: Policy,
    /// Where `signedBy` signatures are read: the lookaside these assign
    /// to the mirror location, else `default_lookaside`.
    pub registries: RegistriesD,
    pub default_lookaside: String,
    /// Absolute key paths of the policy are read under this directory.
    pub root: Option<PathBuf>,
}

impl Auditor {
    /// Checks `components`, `jobs` at a time, and hands each result to
    /// `deliver` in the order of `components` as soon as it and all
    /// earlier ones are ready.
    pub fn audit_each(
        &self,
        components: &[Component],
        jobs: usize,
        mut deliver: impl FnMut(ComponentResult),
    ) {
        let jobs = jobs.clamp(1, components.len().max(1));
        let next = AtomicUsize::new(0);
        let (tx, rx) = std::sync::mpsc::channel::<(usize, ComponentResult)>();
        std::thread::scope(|s| {
            for _ in 0..jobs {
                let tx = tx.clone();
                let next = &next;
                s.spawn(move || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(c) = components.get(i) else { break };
                        if tx.send((i, self.check(c))).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            let mut waiting = BTreeMap::new();
            let mut expected = 0;
            for (i, result) in rx {
                waiting.insert(i, result);
                while let Some(r) = waiting.remove(&expected) {
                    expected += 1;
                    deliver(r);
                }
            }
        });
    }

    /// Checks one component within its time limit.
    pub fn check(&self, c: &Component) -> ComponentResult {
        let deadline = self
            .component_timeout
            .map(|d| Deadline::after(TimeLimit::Image(d)));
        let (http, registry) = match deadline {
            Some(d) => {
                let http = self.http.with_deadline(d);
                (http.clone(), self.registry.with_http(http))
            }
            None => (self.http.clone(), self.registry.clone()),
        };
        let mut r = crate::io::large_read_scope(deadline.map(|d| d.at), || {
            self.check_within(c, &registry, &http)
        });
        if r.status == Status::CouldNotCheck && deadline.is_some_and(|d| d.has_passed()) {
            r.reason = ComponentReason::Timeout;
        }
        r
    }

    fn check_within(
        &self,
        c: &Component,
        registry: &RegistryClient,
        http: &HttpClient,
    ) -> ComponentResult {
        let mut locations = self.mirrors.locations(&c.pullspec);
        if locations.is_empty() {
            locations.push(c.pullspec.clone());
        }
        let mut out = ComponentResult {
            name: c.name.clone(),
            source: c.pullspec.to_string(),
            mirror: locations[0].to_string(),
            status: Status::Verified,
            reason: ComponentReason::Ok,
            message: String::new(),
            manifests_checked: 0,
            blobs_checked: 0,
            required_by: Vec::new(),
        };
        let finish = |mut out: ComponentResult, status, reason, message: String| {
            out.status = status;
            out.reason = reason;
            out.message = message;
            out
        };
        let Some(digest) = &c.digest else {
            let message = format!(
                "{} is not pinned by digest: the release signature does not vouch for it",
                c.pullspec
            );
            return finish(out, Status::Rejected, ComponentReason::NotPinned, message);
        };
        let mut errors = Vec::new();
        let mut missing = Vec::new();
        for location in &locations {
            let fetched = match registry.get_manifest(location) {
                Ok(m) => m,
                Err(RegistryError::ManifestNotFound { .. }) => {
                    missing.push(location.to_string());
                    continue;
                }
                Err(e) => {
                    errors.push(format!("{location}: {}", crate::io::error_chain(&e)));
                    continue;
                }
            };
            out.mirror = location.to_string();
            if let Err((reason, message)) = check_manifest(&fetched.bytes, &fetched.url, digest) {
                return finish(out, Status::Rejected, reason, message);
            }
            let mut message = format!("present at {location}");
            if self.deep {
                if let Err((status, reason, message)) =
                    self.check_deep(registry, location, &fetched.bytes, &fetched.url, &mut out)
                {
                    return finish(out, status, reason, message);
                }
                message.push_str(&format!(
                    " with {} platform manifest(s) and {} blob(s)",
                    out.manifests_checked, out.blobs_checked
                ));
            }
            return match self.check_signatures(
                registry,
                http,
                c,
                location,
                digest,
                fetched.bytes,
                &mut out,
            ) {
                Ok(Some(signed)) => {
                    message.push_str(&format!("; {signed}"));
                    finish(out, Status::Verified, ComponentReason::Ok, message)
                }
                Ok(None) => finish(out, Status::Verified, ComponentReason::Ok, message),
                Err((status, reason, message)) => finish(out, status, reason, message),
            };
        }
        if errors.is_empty() {
            let message = format!("not in the mirror: {} (HTTP 404)", missing.join(", "));
            finish(out, Status::Rejected, ComponentReason::Missing, message)
        } else {
            let mut message = errors.join("; ");
            if !missing.is_empty() {
                message.push_str(&format!("; not found at {}", missing.join(", ")));
            }
            finish(
                out,
                Status::CouldNotCheck,
                ComponentReason::RegistryError,
                message,
            )
        }
    }

    /// The requirements the policy in force gives the component's source
    /// pull spec, judged on the signatures found next to `location` (where
    /// the manifest was found): the `.sig` attachment's when a
    /// `sigstoreSigned` requirement is among them, the lookaside's when a
    /// `signedBy` one is. `None` when every requirement is
    /// `insecureAcceptAnything`, else what accepted it.
    #[allow(clippy::too_many_arguments)]
    fn check_signatures(
        &self,
        registry: &RegistryClient,
        http: &HttpClient,
        c: &Component,
        location: &Reference,
        digest: &Digest,
        manifest_bytes: Vec<u8>,
        out: &mut ComponentResult,
    ) -> Result<Option<String>, (Status, ComponentReason, String)> {
        let (_, requirements) = eval::requirements_for(&self.policy, &c.pullspec);
        let demanding: Vec<&Requirement> = requirements
            .iter()
            .filter(|r| !matches!(r.rule, Rule::InsecureAcceptAnything))
            .collect();
        if demanding.is_empty() {
            return Ok(None);
        }
        out.required_by = demanding.iter().map(|r| r.path.clone()).collect();
        let gpg = demanding
            .iter()
            .any(|r| matches!(r.rule, Rule::SignedBy(_)));
        let sigstore = demanding
            .iter()
            .any(|r| matches!(r.rule, Rule::SigstoreSigned(_)));
        // All of them, as containers/image requires every requirement of
        // the scope to accept.
        let only_these = Policy {
            default: requirements.to_vec(),
            transports: Default::default(),
        };
        let opts = EvalOptions {
            at: std::time::SystemTime::now(),
            judged_now: true,
            root: self.root.as_deref(),
        };
        let mut fetch = || -> Result<Evidence, String> {
            let mut signatures = Vec::new();
            let mut searched = Vec::new();
            if gpg {
                let source = lookaside_source(location, &self.registries, &self.default_lookaside)
                    .map_err(|e| crate::io::error_chain(&e))?;
                signatures.extend(
                    source
                        .signatures(http, Some(location), digest)
                        .map_err(|e| crate::io::error_chain(&e))?,
                );
                searched.push(source.to_string());
            }
            if sigstore {
                registry_signatures(registry, location, digest, &mut |s| signatures.push(s))
                    .map_err(|e| crate::io::error_chain(&e))?;
                searched.push(
                    attachment_reference(location, digest)
                        .map_or_else(|e| e.to_string(), |r| r.to_string()),
                );
            }
            Ok(Evidence {
                manifest: crate::image::manifest::Manifest::new(manifest_bytes.clone()),
                signatures,
                searched: searched.join(", "),
                manifest_error: None,
            })
        };
        let decision = eval::evaluate(&only_these, &c.pullspec, &opts, &mut fetch);
        if decision.status == Status::Verified {
            let kinds = match (gpg, sigstore) {
                (true, true) => "GPG and sigstore signatures",
                (true, false) => "GPG signature",
                (false, true) => "sigstore signature",
                (false, false) => "image",
            };
            return Ok(Some(format!(
                "{kinds} verified, as {} requires",
                out.required_by.join(" and ")
            )));
        }
        let deciding = decision
            .requirements
            .iter()
            .find(|r| r.result != eval::Outcome::Accepted);
        let reason = deciding.map_or(RequirementReason::NoSignatures, |r| r.reason);
        let message = match deciding {
            Some(r) => format!(
                "the cluster would refuse to run it: {} {}: {}",
                r.path,
                demand(r.kind),
                r.message
            ),
            None => decision.message,
        };
        Err((decision.status, ComponentReason::Signature(reason), message))
    }

    /// Every platform manifest (of a list) and blob of the manifest
    /// `bytes` read at `location`.
    fn check_deep(
        &self,
        registry: &RegistryClient,
        location: &Reference,
        bytes: &[u8],
        url: &str,
        out: &mut ComponentResult,
    ) -> Result<(), (Status, ComponentReason, String)> {
        let parts = manifest::parts(bytes).map_err(|e| {
            (
                Status::Rejected,
                ComponentReason::InvalidManifest,
                format!("{url}: {e}"),
            )
        })?;
        let mut images = Vec::new();
        if parts.is_list() {
            for entry in &parts.manifests {
                let at = with_digest(location, &entry.digest)?;
                let m = registry.get_manifest(&at).map_err(|e| match e {
                    RegistryError::ManifestNotFound { .. } => (
                        Status::Rejected,
                        ComponentReason::BlobMissing,
                        format!(
                            "platform manifest {} ({}) not in the mirror: {at} (HTTP 404)",
                            entry.digest,
                            entry.platform.as_deref().unwrap_or("no platform")
                        ),
                    ),
                    other => registry_error(&at, &other),
                })?;
                check_manifest(&m.bytes, &m.url, &entry.digest)
                    .map_err(|(r, m)| (Status::Rejected, r, m))?;
                let p = manifest::parts(&m.bytes).map_err(|e| {
                    (
                        Status::Rejected,
                        ComponentReason::InvalidManifest,
                        format!("{}: {e}", m.url),
                    )
                })?;
                out.manifests_checked += 1;
                images.push(p);
            }
        } else {
            images.push(parts);
        }
        let mut objects = 0usize;
        for image in &images {
            for blob in image.config.iter().chain(&image.layers) {
                objects += 1;
                if objects > MAX_COMPONENT_OBJECTS {
                    return Err((
                        Status::CouldNotCheck,
                        ComponentReason::InvalidManifest,
                        format!("{url}: more than {MAX_COMPONENT_OBJECTS} blobs"),
                    ));
                }
                match registry.has_blob(location, &blob.digest) {
                    Ok(true) => out.blobs_checked += 1,
                    Ok(false) => {
                        return Err((
                            Status::Rejected,
                            ComponentReason::BlobMissing,
                            format!(
                                "blob {} not in the mirror: {} (HTTP 404)",
                                blob.digest,
                                location.repository()
                            ),
                        ));
                    }
                    Err(e) => return Err(registry_error(location, &e)),
                }
            }
        }
        Ok(())
    }
}

/// The manifest `bytes` served at `url` must hash to `digest`.
fn check_manifest(
    bytes: &[u8],
    url: &str,
    digest: &Digest,
) -> Result<(), (ComponentReason, String)> {
    let actual = manifest::digest_with(bytes, digest.algorithm())
        .map_err(|e| (ComponentReason::InvalidManifest, format!("{url}: {e}")))?;
    if &actual != digest {
        return Err((
            ComponentReason::DigestMismatch,
            format!("{url} served a manifest with digest {actual}, not the pinned {digest}"),
        ));
    }
    Ok(())
}

fn with_digest(
    location: &Reference,
    digest: &Digest,
) -> Result<Reference, (Status, ComponentReason, String)> {
    location.with_digest(&digest.to_string()).map_err(|e| {
        (
            Status::CouldNotCheck,
            ComponentReason::InvalidManifest,
            e.to_string(),
        )
    })
}

fn registry_error(at: &Reference, e: &RegistryError) -> (Status, ComponentReason, String) {
    (
        Status::CouldNotCheck,
        ComponentReason::RegistryError,
        format!("{at}: {}", crate::io::error_chain(e)),
    )
}

/// What a requirement of policy.json type `kind` asks of an image, for
/// messages.
fn demand(kind: &str) -> &'static str {
    match kind {
        "sigstoreSigned" => "requires a sigstore signature",
        "signedBy" => "requires a GPG signature",
        "reject" => "rejects the image",
        _ => "is not satisfied",
    }
}
