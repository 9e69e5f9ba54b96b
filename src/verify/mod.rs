//! Images verified end to end: what the user named (a tag or digest
//! reference, a release version, or a bare digest with an identity) is
//! resolved to a digest and the expected identity, the signatures are
//! gathered from each source in order, every one is checked with
//! [`crate::signature::check::check_signature`], and the image gets one verdict.
//!
//! The signature sources are those given; when none is, the containers
//! configuration decides per image ([`crate::config::signature_sources`]),
//! and an image no source applies to cannot be checked. A registry image's
//! sigstore attachments ([`crate::sources::attachments`]) are read after
//! those, whatever registries.d says, in the repository the manifest came
//! from; `fetch` reads them even once the requirement is met, to keep
//! their verified signatures. Manifests are
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
//!
//! Bounded whatever the servers do: every image has a deadline
//! ([`Settings::image_timeout`]) and the run may have one
//! ([`Settings::run_timeout`]), which every request of the image obeys;
//! each signature is checked as it arrives and only its outcome is kept;
//! large answers share a few process-wide slots
//! ([`LARGE_READS_AT_ONCE`](crate::io::LARGE_READS_AT_ONCE)) and signature
//! checks as many
//! ([`SIGNATURE_CHECKS_AT_ONCE`](crate::io::SIGNATURE_CHECKS_AT_ONCE);
//! in a batch with more jobs, threads of their own: see `CheckPool`), so
//! memory does not grow with the number of jobs; and
//! [`Checker::check_each`] hands outcomes over as they are ready, so a run
//! holds a few outcomes per job, not one per image.

mod outcome;
mod request;

pub use outcome::{ImageOutcome, ImageReason, MechanismCount, Require, SourceFailure, restate};
pub use request::{IdentityOverride, ImageList, ImageRequest, ListError, RequestError, Target};

use crate::config::registries_conf::{self, RegistriesConf};
use crate::config::registries_d::RegistriesD;
use crate::config::signature_sources::{self, NoSignatureSource};
use crate::image::digest::Digest;
use crate::image::manifest::{self, Manifest};
use crate::image::reference::Reference;
use crate::signature::check::{Checks, Image, check_signature};
use crate::signature::identity::ExpectedIdentity;
use crate::signature::openpgp::{Accepted, Keyring, OpenPgp};
use crate::signature::sigstore::Sigstore;
use crate::signature::{Kind, Mechanisms, Reason, Report, SignatureOutcome};
use crate::sources::attachments;
use crate::sources::graph::{self, Arch, Graph};
use crate::sources::http::HttpClient;
use crate::sources::http::{Deadline, TimeLimit};
use crate::sources::registry::{Credentials, RegistryClient};
use crate::sources::stores::SignatureSource;
use crate::status::Status;
use outcome::judge;
use std::collections::{BTreeMap, HashMap};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime};

/// Everything a run checks images against.
#[derive(Debug)]
pub struct Settings {
    /// Parsed once, shared by every image.
    pub keyring: Keyring,
    pub accepted: Accepted,
    /// The sigstore trust; `None`: sigstore signatures are not trusted.
    pub sigstore: Option<Sigstore>,
    /// Which mechanisms must have a verified signature.
    pub require: Require,
    /// When key validity is judged.
    pub at: SystemTime,
    /// Whether `at` is the current time (no `--at`; see
    /// [`OpenPgp::judged_now`]).
    pub judged_now: bool,
    /// The sources given, tried in order; the first source after which
    /// the requirement is met ends the search. When empty, `registries_d`
    /// and relsig's defaults choose each image's sources. A registry
    /// image's sigstore attachments come after either.
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
    /// Everything fetched for one image ends by then (`None`: only each
    /// request is limited).
    pub image_timeout: Option<Duration>,
    /// Everything fetched in the run ends by then, counted from
    /// [`Checker::new`].
    pub run_timeout: Option<Duration>,
}

/// Verifies images; shares one HTTP client, registry client (token cache)
/// and keyring between all of them.
#[derive(Debug)]
pub struct Checker {
    settings: Settings,
    http: HttpClient,
    registry: RegistryClient,
    graphs: Mutex<HashMap<(String, Arch), GraphResult>>,
    run_deadline: Option<Deadline>,
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
    /// The image's own signatures (a `dir:` image's directory), read when
    /// no source is given.
    own_signatures: Option<SignatureSource>,
}

impl Checker {
    /// The same checker trusting `sigstore` for sigstore signatures (the
    /// rule a policy in force gives an image, e.g. a ClusterImagePolicy's
    /// key for a release).
    pub fn with_sigstore(mut self, sigstore: Sigstore) -> Checker {
        self.settings.sigstore = Some(sigstore);
        self
    }

    pub fn new(settings: Settings, http: HttpClient, credentials: Credentials) -> Checker {
        let registry = RegistryClient::new(http.clone(), credentials);
        let run_deadline = settings
            .run_timeout
            .map(|d| Deadline::after(TimeLimit::Run(d)));
        Checker {
            settings,
            http,
            registry,
            graphs: Mutex::default(),
            run_deadline,
        }
    }

    /// Checks the images `requests` yields, `jobs` at a time, taking each
    /// only when a job is free, and hands every outcome to `deliver` as
    /// soon as it and all earlier ones are ready (input order). A job
    /// runs at most [`OUTCOMES_WAITING_PER_JOB`](crate::io::OUTCOMES_WAITING_PER_JOB)
    /// images ahead of the oldest unfinished one, so memory stays bounded
    /// however many images there are and however slow one of them is.
    ///
    /// At the first `Err` from `requests` or from `deliver` no further
    /// image is started; the images already started are finished (and,
    /// after an error from `requests`, delivered), then the error is
    /// returned.
    pub fn check_each<I, E>(
        &self,
        requests: I,
        mut deliver: impl FnMut(ImageOutcome) -> Result<(), E>,
    ) -> Result<(), E>
    where
        I: Iterator<Item = Result<ImageRequest, E>> + Send,
        E: Send,
    {
        // No more threads than images, when that is known.
        let most = requests.size_hint().1.unwrap_or(usize::MAX).max(1);
        let jobs = self.settings.jobs.clamp(1, most);
        let window = jobs * crate::io::OUTCOMES_WAITING_PER_JOB;
        let queue = Mutex::new(Queue {
            requests,
            taken: 0,
            delivered: 0,
            ended: false,
            error: None,
        });
        let room = Condvar::new();
        let (tx, rx) = std::sync::mpsc::channel::<(usize, ImageOutcome)>();
        let (checks_tx, checks_rx) = std::sync::mpsc::sync_channel::<CheckJob>(0);
        let checks_rx = Mutex::new(checks_rx);
        std::thread::scope(|s| {
            // The pool's threads end when every job's sender is dropped,
            // that is when the jobs are done.
            let pool = (jobs > crate::io::SIGNATURE_CHECKS_AT_ONCE).then(|| {
                for _ in 0..crate::io::SIGNATURE_CHECKS_AT_ONCE {
                    let checks_rx = &checks_rx;
                    s.spawn(move || self.run_checks(checks_rx));
                }
                CheckPool { jobs: checks_tx }
            });
            for _ in 0..jobs {
                let tx = tx.clone();
                let pool = pool.clone();
                let (queue, room) = (&queue, &room);
                s.spawn(move || {
                    while let Some((i, request)) = Queue::take(queue, room, window) {
                        let outcome = self.check_in(&request, pool.as_ref());
                        if tx.send((i, outcome)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(pool);
            drop(tx);
            // Outcomes that finished before an earlier one.
            let mut waiting: BTreeMap<usize, ImageOutcome> = BTreeMap::new();
            let mut next = 0;
            let mut failed = false;
            for (i, outcome) in rx {
                waiting.insert(i, outcome);
                while let Some(o) = waiting.remove(&next) {
                    next += 1;
                    if failed {
                        continue;
                    }
                    if let Err(e) = deliver(o) {
                        failed = true;
                        let mut q = queue.lock().unwrap();
                        q.ended = true;
                        q.error.get_or_insert(e);
                    }
                }
                queue.lock().unwrap().delivered = next;
                room.notify_all();
            }
        });
        match queue.into_inner().unwrap().error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Checks one signature of a resolved image with every mechanism the
    /// settings trust.
    fn check_one(&self, resolved: &Resolved, signature: &[u8]) -> Report {
        let openpgp = OpenPgp {
            keyring: &self.settings.keyring,
            accepted: &self.settings.accepted,
            judged_now: self.settings.judged_now,
        };
        let mechanism = Mechanisms {
            openpgp: Some(&openpgp),
            sigstore: self
                .settings
                .sigstore
                .as_ref()
                .map(|s| s as &dyn crate::signature::Mechanism),
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
        check_signature(signature, image, &checks)
    }

    /// [`Checker::check_one`] on this thread, in one of the
    /// [`SIGNATURE_CHECKS`](crate::io::SIGNATURE_CHECKS) slots.
    fn check_in_slot(&self, resolved: &Resolved, signature: &[u8]) -> Report {
        let _slot = crate::io::SIGNATURE_CHECKS.acquire(None);
        self.check_one(resolved, signature)
    }

    /// A [`CheckPool`] thread: checks what the jobs send until they are
    /// all done.
    fn run_checks(&self, jobs: &Mutex<Receiver<CheckJob>>) {
        loop {
            let job = match jobs.lock() {
                Ok(jobs) => jobs.recv(),
                Err(_) => return,
            };
            let Ok(job) = job else {
                return;
            };
            let report = self.check_one(&job.resolved, &job.bytes);
            // The job waits for its answer; it is gone only if it died.
            let _ = job.reply.send((report, job.bytes));
        }
    }

    /// The deadline of an image started now.
    fn image_deadline(&self) -> Option<Deadline> {
        let image = self
            .settings
            .image_timeout
            .map(|d| Deadline::after(TimeLimit::Image(d)));
        Deadline::earliest(self.run_deadline, image)
    }

    /// Checks one image within its deadline.
    pub fn check(&self, request: &ImageRequest) -> ImageOutcome {
        self.check_in(request, None)
    }

    /// [`Checker::check`], its signatures checked by `pool`'s threads when
    /// there is one (else here, in one of the
    /// [`SIGNATURE_CHECKS`](crate::io::SIGNATURE_CHECKS) slots).
    fn check_in(&self, request: &ImageRequest, pool: Option<&CheckPool>) -> ImageOutcome {
        let out = ImageOutcome::new(&request.input);
        let deadline = self.image_deadline();
        if let Some(d) = deadline.filter(Deadline::has_passed) {
            let message = format!("not checked: the time is up ({})", d.limit);
            return out.finish(Status::CouldNotCheck, ImageReason::Timeout, message);
        }
        let (http, registry) = match deadline {
            Some(d) => {
                let http = self.http.with_deadline(d);
                let registry = self.registry.with_http(http.clone());
                (http, registry)
            }
            None => (self.http.clone(), self.registry.clone()),
        };
        // Large answers (hostile or not) of all jobs share a few slots of
        // memory: see `io::large_read_scope`.
        let out = crate::io::large_read_scope(deadline.map(|d| d.at), || {
            self.check_within(request, out, &http, &registry, pool)
        });
        // Whatever step the time ran out in, the limit is why the image
        // could not be checked.
        let cut = http.was_cut_short() || deadline.is_some_and(|d| d.has_passed());
        if out.status == Status::CouldNotCheck && cut {
            let (status, message) = (out.status, out.message.clone());
            return out.finish(status, ImageReason::Timeout, message);
        }
        out
    }

    fn check_within(
        &self,
        request: &ImageRequest,
        mut out: ImageOutcome,
        http: &HttpClient,
        registry: &RegistryClient,
        pool: Option<&CheckPool>,
    ) -> ImageOutcome {
        let resolved = match self.resolve(request, http, registry) {
            Ok(r) => Arc::new(r),
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

        let require = self.settings.require;
        // A registry image's sigstore attachments are read after the
        // other sources, whatever registries.d says (`policy check` follows
        // registries.d): they live with the manifest, in the repository it
        // was fetched from.
        let attachments = resolved.fetched_from.as_ref().map(|from| {
            let shown = match attachments::attachment_reference(from, &resolved.digest) {
                Ok(tag) => format!("sigstore attachments ({tag})"),
                Err(_) => "sigstore attachments".to_string(),
            };
            (SignatureSource::Attachments(registry.clone()), from, shown)
        });
        // No detached source applies: the image may still have
        // attachments; if it has none, that is the error to report.
        let mut no_source = None;
        let configured;
        let mut sources: Vec<(&SignatureSource, &Reference, String)> = if let Some(own) = resolved
            .own_signatures
            .as_ref()
            .filter(|_| self.settings.sources.is_empty())
        {
            vec![(own, &resolved.location, own.to_string())]
        } else if self.settings.sources.is_empty() {
            configured = match signature_sources::for_image(
                &self.settings.registries_d,
                resolved.fetched_from.as_ref(),
                &resolved.name,
            ) {
                Ok(c) => c,
                Err(e @ NoSignatureSource::None { .. }) if attachments.is_some() => {
                    no_source = Some(e);
                    Vec::new()
                }
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
        if let Some((source, from, shown)) = &attachments {
            sources.push((source, *from, shown.clone()));
        }
        for (source, reference, shown) in sources {
            // Once what is required verified, the remaining sources are
            // not needed; `fetch` still reads the attachments, to keep
            // their verified sigstore signatures too.
            if require.satisfied(&out.mechanisms) {
                if !self.settings.keep_signatures {
                    break;
                }
                if !matches!(source, SignatureSource::Attachments(_)) {
                    continue;
                }
            }
            if let Some(d) = http.deadline().filter(Deadline::has_passed) {
                out.errors.push(SourceFailure {
                    source: shown,
                    message: format!("not read: the time is up ({})", d.limit),
                });
                break;
            }
            // Each signature is checked as it arrives; only its outcome
            // (and, for `fetch`, a verified one's bytes) is kept.
            let mut found = 0usize;
            let read = source.for_each_signature(
                http,
                Some(reference),
                &resolved.digest,
                &mut |mut sig| {
                    found += 1;
                    let kind = Kind::of(&sig.bytes);
                    let count = out.mechanisms.entry(kind.name()).or_default();
                    count.found += 1;
                    let report = match pool {
                        Some(pool) => {
                            let (report, bytes) =
                                pool.check(self, &resolved, std::mem::take(&mut sig.bytes));
                            sig.bytes = bytes;
                            report
                        }
                        None => self.check_in_slot(&resolved, &sig.bytes),
                    };
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
                        return;
                    }
                    count.verified += 1;
                    if out.accepted.is_none() && require.counts(kind) {
                        out.accepted = Some(outcome);
                    } else {
                        out.also_verified.push(outcome);
                    }
                    if self.settings.keep_signatures {
                        out.verified_signatures.push(sig);
                    }
                },
            );
            match read {
                Ok(()) => {
                    log::debug!("{}: {shown}: {found} signature(s)", request.input);
                    out.sources.push(shown)
                }
                Err(e) => {
                    log::debug!("{}: {shown} could not be read: {e}", request.input);
                    out.errors.push(SourceFailure {
                        source: shown,
                        message: e.to_string(),
                    })
                }
            }
        }
        if let Some(e) = no_source
            && out.accepted.is_none()
            && out.rejected.is_empty()
            && out.errors.is_empty()
        {
            let message = format!(
                "{e}; nor does the registry have any {}",
                out.sources.join(", ")
            );
            return out.finish(
                Status::CouldNotCheck,
                ImageReason::NoSignatureSource,
                message,
            );
        }
        let (status, reason, message) = judge(&out, require);
        log::debug!("{}: {}: {message}", request.input, reason.as_str());
        out.finish(status, reason, message)
    }

    fn resolve(
        &self,
        request: &ImageRequest,
        http: &HttpClient,
        registry: &RegistryClient,
    ) -> Result<Resolved, (ImageReason, String)> {
        let overridden = request.identity.as_ref().map(IdentityOverride::expected);
        match &request.target {
            Target::Reference(r) => {
                let fetched =
                    registries_conf::get_manifest(&self.settings.registries_conf, registry, r)
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
                    own_signatures: None,
                })
            }
            Target::Version(version) => {
                let digest = self.release_digest(version, http)?;
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
                    own_signatures: None,
                })
            }
            Target::Dir(dir, identity) => {
                let path = dir.join("manifest.json");
                let bytes = match crate::io::read_bounded(
                    &path,
                    "manifest",
                    crate::io::MAX_MANIFEST_SIZE,
                ) {
                    Ok(b) => b,
                    Err(crate::io::FileError::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound && dir.is_dir() =>
                    {
                        return Err((
                            ImageReason::Rejected(Reason::InvalidManifest),
                            format!("{}: the dir: image has no manifest.json", dir.display()),
                        ));
                    }
                    Err(e) => return Err((ImageReason::SourceError, crate::io::error_chain(&e))),
                };
                let manifest = Manifest::new(bytes);
                let digest = manifest.digest().map_err(|e| {
                    (
                        ImageReason::Rejected(Reason::InvalidManifest),
                        format!("{}: {e}", path.display()),
                    )
                })?;
                let (expected, location) = identity.expected();
                Ok(Resolved {
                    digest,
                    manifest: Some(manifest),
                    expected,
                    name: location.clone(),
                    location,
                    fetched_from: None,
                    own_signatures: Some(SignatureSource::Dir(dir.clone())),
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
                    own_signatures: None,
                })
            }
        }
    }

    /// The payload digest of a release version; each channel's graph is
    /// fetched once per run.
    fn release_digest(
        &self,
        version: &str,
        http: &HttpClient,
    ) -> Result<Digest, (ImageReason, String)> {
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
                    Graph::fetch(http, &self.settings.graph_url, &channel, arch)
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

/// The threads a batch's signatures are checked on, as many as
/// [`SIGNATURE_CHECKS_AT_ONCE`](crate::io::SIGNATURE_CHECKS_AT_ONCE),
/// when there are more jobs than that. A check allocates and frees much
/// more than fetching does, and glibc keeps a cache of freed blocks in
/// every thread that frees them (tcache), which only the thread's exit
/// empties: checked on each of 16 jobs' threads, those caches filled
/// slowly over a run and peak RSS rose from 9.5 MiB for 1,000 images to
/// 14.6 MiB for 100,000. On two threads of their own, the checks' blocks
/// stay in two caches.
#[derive(Clone)]
struct CheckPool {
    jobs: SyncSender<CheckJob>,
}

/// One signature to check, with the image it is checked against, and
/// where to send the report and the signature's bytes back.
struct CheckJob {
    resolved: Arc<Resolved>,
    bytes: Vec<u8>,
    reply: SyncSender<(Report, Vec<u8>)>,
}

impl CheckPool {
    /// Checks `bytes` on a pool thread, waiting for the answer; here
    /// (in a slot) if the pool's threads are gone, which only a panic in
    /// one of them can cause.
    fn check(
        &self,
        checker: &Checker,
        resolved: &Arc<Resolved>,
        bytes: Vec<u8>,
    ) -> (Report, Vec<u8>) {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        let job = CheckJob {
            resolved: Arc::clone(resolved),
            bytes,
            reply,
        };
        match self.jobs.send(job) {
            Ok(()) => answer
                .recv()
                .expect("a signature check thread answers every job it takes"),
            Err(std::sync::mpsc::SendError(job)) => {
                (checker.check_in_slot(resolved, &job.bytes), job.bytes)
            }
        }
    }
}

/// The images not yet started, and how far delivery has got.
struct Queue<I, E> {
    requests: I,
    /// Images taken so far (the next one's index).
    taken: usize,
    /// Outcomes handed to the caller so far.
    delivered: usize,
    /// No image is to be started any more.
    ended: bool,
    error: Option<E>,
}

impl<I, E> Queue<I, E>
where
    I: Iterator<Item = Result<ImageRequest, E>>,
{
    /// The next image and its index, once it is no more than `window`
    /// ahead of delivery; `None` when there are no more.
    fn take(queue: &Mutex<Self>, room: &Condvar, window: usize) -> Option<(usize, ImageRequest)> {
        let mut q = queue.lock().unwrap();
        while !q.ended && q.taken >= q.delivered + window {
            q = room.wait(q).unwrap();
        }
        if q.ended {
            return None;
        }
        match q.requests.next() {
            Some(Ok(request)) => {
                q.taken += 1;
                Some((q.taken - 1, request))
            }
            end => {
                q.ended = true;
                if let Some(Err(e)) = end {
                    q.error.get_or_insert(e);
                }
                room.notify_all();
                None
            }
        }
    }
}
