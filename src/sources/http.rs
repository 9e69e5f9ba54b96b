//! The HTTP client every network fetch goes through (registries, signature
//! stores, the update graph): TLS settings, time limits, retries, bounded
//! bodies, and one-line errors that name the URL.
//!
//! Time: each attempt of a request (connection, headers and body
//! together) gets at most `--timeout`; a client made
//! [`with_deadline`](HttpClient::with_deadline) also stops every attempt,
//! retry wait and new request at that instant (the per-image and per-run
//! limits). reqwest's blocking client applies its client-wide timeout to
//! each `read()` of a body only, so the total limit is set per request,
//! where reqwest enforces it over the whole body.
//!
//! Blocking reqwest over rustls with the `ring` provider, so `cargo build`
//! needs no C toolchain beyond what Rust itself needs and no system TLS
//! library. Proxies come from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`.

use crate::io::error_chain;
use crate::io::{BoundedReadError, read_limited};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, LOCATION, RETRY_AFTER};
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How the client connects; [`Default`] is what the CLI uses unless told
/// otherwise.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Verify TLS certificates (`--tls-verify`).
    pub tls_verify: bool,
    /// Extra trusted CA certificates, PEM (`--ca-file`), added to the
    /// system's.
    pub ca_files: Vec<PathBuf>,
    /// certs.d directories: CAs trusted for one host only, searched in
    /// order ([`super::certs_d`]).
    pub certs_d: Vec<PathBuf>,
    /// Hosts (`host[:port]`) reached without verifying TLS, and over plain
    /// http if they do not speak TLS (registries.conf `insecure = true`).
    pub insecure_hosts: Vec<String>,
    /// Limit for establishing a connection.
    pub connect_timeout: Duration,
    /// Limit for one attempt of a request: connection, headers and body
    /// together.
    pub timeout: Duration,
    /// How many times a 5xx answer or a dropped connection is retried.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one, up to
    /// [`MAX_RETRY_BACKOFF`](crate::io::MAX_RETRY_BACKOFF).
    pub backoff: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            tls_verify: true,
            ca_files: Vec::new(),
            certs_d: Vec::new(),
            insecure_hosts: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            timeout: crate::io::DEFAULT_REQUEST_TIMEOUT,
            retries: 3,
            backoff: crate::io::FIRST_RETRY_BACKOFF,
        }
    }
}

/// A time limit, named as the user set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeLimit {
    /// `--timeout`: one attempt of one request.
    Request(Duration),
    /// `--image-timeout`: everything fetched for one image.
    Image(Duration),
    /// `--run-timeout`: the whole run.
    Run(Duration),
}

impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (flag, d, per) = match self {
            TimeLimit::Request(d) => ("--timeout", d, "request"),
            TimeLimit::Image(d) => ("--image-timeout", d, "image"),
            TimeLimit::Run(d) => ("--run-timeout", d, "run"),
        };
        write!(f, "{flag} {}s per {per}", d.as_secs_f64())
    }
}

/// An instant by which work must be done, and the limit that set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub at: Instant,
    pub limit: TimeLimit,
}

impl Deadline {
    /// `limit` from now.
    pub fn after(limit: TimeLimit) -> Deadline {
        let d = match limit {
            TimeLimit::Request(d) | TimeLimit::Image(d) | TimeLimit::Run(d) => d,
        };
        Deadline {
            at: Instant::now() + d,
            limit,
        }
    }

    /// The earlier of two optional deadlines.
    pub fn earliest(a: Option<Deadline>, b: Option<Deadline>) -> Option<Deadline> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.at < a.at { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// Time left, zero once the deadline has passed.
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    pub fn has_passed(&self) -> bool {
        self.remaining().is_zero()
    }
}

/// A failed request. Every message is one line that starts with the URL.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    #[error("{url}: invalid URL: {detail}")]
    InvalidUrl { url: String, detail: String },
    #[error("{url}: unauthorized (HTTP 401): credentials are missing or not accepted{detail}")]
    Unauthorized { url: String, detail: String },
    #[error("{url}: access denied (HTTP 403){detail}")]
    Forbidden { url: String, detail: String },
    #[error("{url}: not found (HTTP 404){detail}")]
    NotFound { url: String, detail: String },
    #[error("{url}: too many requests (HTTP 429), try again later{}", retry_after.as_ref().map(|s| format!(" (Retry-After: {s})")).unwrap_or_default())]
    RateLimited {
        url: String,
        retry_after: Option<String>,
    },
    #[error("{url}: HTTP {status}{detail}")]
    Status {
        url: String,
        status: u16,
        detail: String,
    },
    #[error("{url}: cannot resolve the host name: {detail}")]
    Dns { url: String, detail: String },
    #[error("{url}: TLS error: {detail}{}", tls_hint(detail))]
    Tls { url: String, detail: String },
    #[error("{url}: timed out ({limit})")]
    Timeout { url: String, limit: TimeLimit },
    /// A retry was due but would have started past the deadline. `last`
    /// is the failure that called for it (its message is part of this
    /// one: these messages travel as text).
    #[error("{last}; not retried: the time is up ({limit})")]
    NoTimeToRetry {
        last: Box<HttpError>,
        limit: TimeLimit,
    },
    #[error("{url}: cannot connect: {detail}")]
    Connect { url: String, detail: String },
    #[error("{url}: redirect refused: {detail}")]
    Redirect { url: String, detail: String },
    #[error("{url}: response larger than {max} bytes")]
    TooLarge { url: String, max: u64 },
    #[error("{url}: {detail}")]
    Other { url: String, detail: String },
    #[error("cannot use CA file {path}: {detail}")]
    CaFile { path: PathBuf, detail: String },
    #[error("{url}: cannot set up the HTTP client: {detail}")]
    Setup { url: String, detail: String },
}

impl HttpError {
    /// True for failures worth trying again: the server may answer next
    /// time.
    fn is_transient(&self) -> bool {
        matches!(self, HttpError::Connect { .. } | HttpError::Other { .. })
    }
}

/// A response whose body has been read (at most the caller's limit).
#[derive(Debug, Clone)]
pub struct Response {
    /// The URL that was requested (before any redirect).
    pub url: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    /// Whether the answer is a web page (by its `Content-Type`, or by how
    /// the body starts): what a login portal or a wrong URL serves where
    /// data was expected.
    pub fn is_html(&self) -> bool {
        let declared = self
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let v = v.trim_start().to_ascii_lowercase();
                v.starts_with("text/html") || v.starts_with("application/xhtml")
            });
        let start: Vec<u8> = self
            .body
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .take(14)
            .map(u8::to_ascii_lowercase)
            .collect();
        declared || start.starts_with(b"<!doctype html") || start.starts_with(b"<html")
    }

    /// The body when the status is 2xx, else the matching error.
    pub fn into_ok(self) -> Result<Vec<u8>, HttpError> {
        if (200..300).contains(&self.status) {
            Ok(self.body)
        } else {
            Err(status_error(
                &self.url,
                self.status,
                &self.headers,
                &self.body,
            ))
        }
    }
}

/// A shareable client (cheap to clone, safe to use from many threads).
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
    /// No request, attempt or retry wait goes past this.
    deadline: Option<Deadline>,
    /// Set once the deadline has cut a request short (shared by the
    /// clones of one [`with_deadline`](Self::with_deadline) client).
    cut: Arc<AtomicBool>,
}

#[derive(Debug)]
struct Inner {
    options: HttpOptions,
    /// The `--ca-file` certificates, read when the client is made.
    ca_certs: Vec<reqwest::Certificate>,
    /// The client for hosts without settings of their own, made at the
    /// first request (this is when the system's CAs are loaded).
    shared: OnceLock<Result<reqwest::blocking::Client, HttpError>>,
    /// `host[:port]` → its own client (certs.d CAs, insecure), or `None`
    /// for the shared one.
    per_host: Mutex<HashMap<String, Result<Option<reqwest::blocking::Client>, HttpError>>>,
    /// One resolver for all those clients: the system's configuration is
    /// read once, and an answer is cached once.
    resolver: Arc<super::dns::SystemResolver>,
}

/// Most redirect chains are one hop (registry blob → CDN); ten is plenty.
const MAX_REDIRECTS: usize = 10;

impl HttpClient {
    /// Reads the `--ca-file`s (so that a bad one is reported at once);
    /// everything else waits for the first request.
    pub fn new(options: HttpOptions) -> Result<HttpClient, HttpError> {
        let mut ca_certs = Vec::new();
        for path in &options.ca_files {
            ca_certs.extend(read_pem_certs(path, crate::io::MAX_CA_FILE)?);
        }
        Ok(HttpClient {
            inner: Arc::new(Inner {
                options,
                ca_certs,
                shared: OnceLock::new(),
                per_host: Mutex::default(),
                resolver: Arc::default(),
            }),
            deadline: None,
            cut: Arc::default(),
        })
    }

    pub fn options(&self) -> &HttpOptions {
        &self.inner.options
    }

    /// Whether TLS certificates of `host` (`host[:port]`) are verified:
    /// not with `--tls-verify=false` or for an insecure host.
    pub fn verifies_tls(&self, host: &str) -> bool {
        let o = &self.inner.options;
        o.tls_verify && !o.insecure_hosts.iter().any(|h| h == host)
    }

    /// The client for `url`'s host, made at its first use.
    fn client_for(&self, url: &reqwest::Url) -> Result<reqwest::blocking::Client, HttpError> {
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => String::new(),
        };
        // A failure is remembered for the host (or for all hosts); each
        // request reports it with its own URL.
        let at_url = |e: &HttpError| match e {
            HttpError::Setup { detail, .. } => HttpError::Setup {
                url: url.to_string(),
                detail: detail.clone(),
            },
            other => other.clone(),
        };
        let mut per_host = self.inner.per_host.lock().unwrap();
        let own = per_host
            .entry(host.clone())
            .or_insert_with(|| self.host_client(&host));
        match own {
            Ok(Some(client)) => Ok(client.clone()),
            Err(e) => Err(at_url(e)),
            Ok(None) => {
                drop(per_host);
                match self
                    .inner
                    .shared
                    .get_or_init(|| self.build(&[], self.inner.options.tls_verify))
                {
                    Ok(client) => Ok(client.clone()),
                    Err(e) => Err(at_url(e)),
                }
            }
        }
    }

    /// A client of its own for `host`, if its certs.d directory has CAs or
    /// it is insecure.
    fn host_client(&self, host: &str) -> Result<Option<reqwest::blocking::Client>, HttpError> {
        let files = super::certs_d::ca_files(&self.inner.options.certs_d, host).map_err(|e| {
            HttpError::Setup {
                url: String::new(),
                detail: format!("cannot read the certs.d directory for {host}: {e}"),
            }
        })?;
        let mut certs = Vec::new();
        for path in &files {
            certs.extend(read_pem_certs(path, crate::io::MAX_CERTS_D_FILE)?);
        }
        let verify = self.verifies_tls(host);
        if certs.is_empty() && verify == self.inner.options.tls_verify {
            return Ok(None);
        }
        self.build(&certs, verify).map(Some)
    }

    fn build(
        &self,
        extra: &[reqwest::Certificate],
        verify: bool,
    ) -> Result<reqwest::blocking::Client, HttpError> {
        // Several clients may be built in one process; only the first
        // install can succeed and that is all that is needed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let options = &self.inner.options;
        let mut builder = reqwest::blocking::Client::builder()
            .user_agent(concat!("relsig/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::custom(redirect_policy))
            .dns_resolver(Arc::clone(&self.inner.resolver))
            .tls_danger_accept_invalid_certs(!verify);
        let certs: Vec<reqwest::Certificate> =
            self.inner.ca_certs.iter().chain(extra).cloned().collect();
        if !certs.is_empty() {
            builder = builder.tls_certs_merge(certs);
        }
        builder.build().map_err(|e| HttpError::Setup {
            url: String::new(),
            detail: error_chain(&e),
        })
    }

    /// The same client (connections, TLS settings) whose requests all end
    /// by `deadline` (or this client's own deadline, if earlier).
    pub fn with_deadline(&self, deadline: Deadline) -> HttpClient {
        HttpClient {
            inner: self.inner.clone(),
            deadline: Deadline::earliest(self.deadline, Some(deadline)),
            cut: Arc::default(),
        }
    }

    pub fn deadline(&self) -> Option<Deadline> {
        self.deadline
    }

    /// Whether the deadline (not `--timeout`) has ended a request or
    /// stopped a retry of this client or its clones.
    pub fn was_cut_short(&self) -> bool {
        self.cut.load(Ordering::Relaxed)
    }

    /// Notes `e` if the deadline caused it, and passes it on.
    fn noted(&self, e: HttpError) -> HttpError {
        let by_deadline = match &e {
            HttpError::Timeout { limit, .. } | HttpError::NoTimeToRetry { limit, .. } => {
                !matches!(limit, TimeLimit::Request(_))
            }
            _ => false,
        };
        if by_deadline {
            self.cut.store(true, Ordering::Relaxed);
        }
        e
    }

    /// The time the next attempt may take and the limit that sets it; an
    /// error naming `url` once the deadline has passed.
    fn attempt_limit(&self, url: &str) -> Result<(Duration, TimeLimit), HttpError> {
        let request = (
            self.inner.options.timeout,
            TimeLimit::Request(self.inner.options.timeout),
        );
        let Some(deadline) = self.deadline else {
            return Ok(request);
        };
        let left = deadline.remaining();
        if left.is_zero() {
            return Err(HttpError::Timeout {
                url: url.to_string(),
                limit: deadline.limit,
            });
        }
        Ok(if left < request.0 {
            (left, deadline.limit)
        } else {
            request
        })
    }

    /// GET `url`, reading at most `max` body bytes. 5xx answers and
    /// dropped connections are retried with backoff; any other status is
    /// returned for the caller to interpret (a final 5xx too).
    pub fn get(&self, url: &str, headers: &HeaderMap, max: u64) -> Result<Response, HttpError> {
        let parsed = parse_url(url)?;
        self.with_retries(|| {
            let started = Instant::now();
            let result = self.get_once(&parsed, url, headers, &mut Body::Buffer(max));
            log_request("GET", url, &result, started.elapsed());
            result
        })
    }

    /// GET `url` and return the body of a 2xx answer; every other status
    /// is an error.
    pub fn get_ok(&self, url: &str, headers: &HeaderMap, max: u64) -> Result<Vec<u8>, HttpError> {
        self.get(url, headers, max)?.into_ok()
    }

    /// GET `url` and hand the body of a 2xx answer to `read` as it
    /// arrives, never holding it whole; every other status is an error.
    /// Retried like [`get`](Self::get) until the body starts. If reading
    /// the body failed (past `max` bytes, a time limit, a dropped
    /// connection), that is the error, whatever `read` made of it.
    pub fn get_ok_streamed<T>(
        &self,
        url: &str,
        headers: &HeaderMap,
        max: u64,
        read: impl FnOnce(&mut dyn Read) -> T,
    ) -> Result<T, HttpError> {
        let parsed = parse_url(url)?;
        let mut read = Some(read);
        let mut made = None;
        let mut each = |body: &mut dyn Read| made = read.take().map(|f| f(body));
        let response = self.with_retries(|| {
            let started = Instant::now();
            let result = self.get_once(&parsed, url, headers, &mut Body::Stream(max, &mut each));
            log_request("GET", url, &result, started.elapsed());
            result
        })?;
        match made {
            Some(made) => Ok(made),
            None => Err(response
                .into_ok()
                .err()
                .unwrap_or_else(|| HttpError::Other {
                    url: url.to_string(),
                    detail: "no body".into(),
                })),
        }
    }

    /// HEAD `url`: the status and headers of the answer (there is no
    /// body). Retried like [`get`](Self::get). For "is it there?"
    /// questions about large objects (registry blobs).
    pub fn head(&self, url: &str, headers: &HeaderMap) -> Result<Response, HttpError> {
        let parsed = parse_url(url)?;
        self.with_retries(|| {
            let started = Instant::now();
            let result = self.send_once(
                reqwest::Method::HEAD,
                &parsed,
                url,
                headers,
                None,
                &mut Body::Skip,
            );
            log_request("HEAD", url, &result, started.elapsed());
            result
        })
    }

    /// `method` (POST, PUT) sending `upload` to `url`: the answer, its
    /// body read up to `max` bytes. Not retried: a registry upload
    /// session (POST) must not be opened twice, and the caller knows
    /// better whether trying again is safe.
    pub fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        headers: &HeaderMap,
        upload: &[u8],
        max: u64,
    ) -> Result<Response, HttpError> {
        let parsed = parse_url(url)?;
        let started = Instant::now();
        let name = method.to_string();
        let result = self
            .send_once(
                method,
                &parsed,
                url,
                headers,
                Some(upload),
                &mut Body::Buffer(max),
            )
            .map_err(|e| self.noted(e));
        log_request(&name, url, &result, started.elapsed());
        result
    }

    /// The status `url` answers with, reading none of the body (which is
    /// dropped with its connection); not retried. For "is there more?"
    /// questions whose answer must not cost a download.
    pub fn status_of(&self, url: &str, headers: &HeaderMap) -> Result<u16, HttpError> {
        let parsed = parse_url(url)?;
        let response = self
            .get_once(&parsed, url, headers, &mut Body::Skip)
            .map_err(|e| self.noted(e))?;
        Ok(response.status)
    }

    /// Runs `attempt` until it gives a final answer: 5xx answers and
    /// transient errors are tried again, at most `retries` times, after a
    /// doubling wait capped at [`MAX_RETRY_BACKOFF`](crate::io::MAX_RETRY_BACKOFF),
    /// and never past the deadline.
    fn with_retries(
        &self,
        mut attempt: impl FnMut() -> Result<Response, HttpError>,
    ) -> Result<Response, HttpError> {
        let mut done = 0;
        loop {
            let result = attempt().map_err(|e| self.noted(e));
            let retry = match &result {
                Ok(r) => r.status >= 500,
                Err(e) => e.is_transient(),
            };
            if !retry || done >= self.inner.options.retries {
                return result;
            }
            let wait = self
                .inner
                .options
                .backoff
                .saturating_mul(2u32.saturating_pow(done))
                .min(crate::io::MAX_RETRY_BACKOFF);
            // A retry that could not start before the deadline is not
            // worth waiting for.
            if let Some(d) = self.deadline.filter(|d| d.remaining() <= wait) {
                let last = match result {
                    Ok(r) => status_error(&r.url, r.status, &r.headers, &r.body),
                    Err(e) => e,
                };
                return Err(self.noted(HttpError::NoTimeToRetry {
                    last: Box::new(last),
                    limit: d.limit,
                }));
            }
            std::thread::sleep(wait);
            done += 1;
        }
    }

    /// One GET attempt, its body used as `body` says.
    fn get_once(
        &self,
        parsed: &reqwest::Url,
        url: &str,
        headers: &HeaderMap,
        body: &mut Body<'_>,
    ) -> Result<Response, HttpError> {
        self.send_once(reqwest::Method::GET, parsed, url, headers, None, body)
    }

    /// One attempt with `method` sending `upload` (if any), the answer's
    /// body used as `body` says.
    fn send_once(
        &self,
        method: reqwest::Method,
        parsed: &reqwest::Url,
        url: &str,
        headers: &HeaderMap,
        upload: Option<&[u8]>,
        body: &mut Body<'_>,
    ) -> Result<Response, HttpError> {
        let (time, time_limit) = self.attempt_limit(url)?;
        let mut request = self
            .client_for(parsed)?
            .request(method, parsed.clone())
            .headers(headers.clone())
            .timeout(time);
        if let Some(upload) = upload {
            request = request.body(upload.to_vec());
        }
        let response = request.send().map_err(|e| classify(url, &e, time_limit))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        // A redirect still here is one reqwest would not follow (a
        // `Location` that is no http(s) URL, e.g. `file:///etc/passwd`).
        if (300..400).contains(&status)
            && let Some(location) = headers.get(LOCATION)
        {
            return Err(HttpError::Redirect {
                url: url.to_string(),
                detail: refused_redirect(&String::from_utf8_lossy(location.as_bytes())),
            });
        }
        let answer = |body: Vec<u8>| Response {
            url: url.to_string(),
            status,
            headers: headers.clone(),
            body,
        };
        let max = match body {
            Body::Skip => return Ok(answer(Vec::new())),
            // Error bodies are only used for a hint in the message.
            _ if status >= 400 => 64 * 1024,
            Body::Buffer(max) | Body::Stream(max, _) => *max,
        };
        if response.content_length().is_some_and(|n| n > max) && status < 400 {
            return Err(HttpError::TooLarge {
                url: url.to_string(),
                max,
            });
        }
        if let (Body::Stream(_, read), 200..=299) = (body, status) {
            let mut limited = LimitedBody {
                inner: response,
                left: max,
                url,
                max,
                time_limit,
                failure: None,
            };
            read(&mut limited);
            return match limited.failure {
                Some(e) => Err(e),
                None => Ok(answer(Vec::new())),
            };
        }
        let body = read_limited(response, max).map_err(|e| match e {
            BoundedReadError::TooLarge if status >= 400 => HttpError::Status {
                url: url.to_string(),
                status,
                detail: String::new(),
            },
            BoundedReadError::TooLarge => HttpError::TooLarge {
                url: url.to_string(),
                max,
            },
            BoundedReadError::Io(io) => classify_io(url, &io, time_limit),
        });
        match body {
            Ok(b) => Ok(answer(b)),
            Err(HttpError::Status { .. }) => Ok(answer(Vec::new())),
            Err(e) => Err(e),
        }
    }
}

/// What an attempt does with the body of the answer.
enum Body<'a> {
    /// Nothing: only the status is wanted.
    Skip,
    /// Read it whole, at most this many bytes.
    Buffer(u64),
    /// Hand a 2xx body of at most this many bytes to the function as it
    /// arrives (other answers are buffered for their error message).
    Stream(u64, &'a mut dyn FnMut(&mut dyn Read)),
}

/// A response body that stops at `max` bytes and remembers why reading
/// it failed, as the [`HttpError`] the caller reports.
struct LimitedBody<'a, R> {
    inner: R,
    left: u64,
    url: &'a str,
    max: u64,
    time_limit: TimeLimit,
    failure: Option<HttpError>,
}

impl<R: Read> Read for LimitedBody<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.failure.is_some() {
            return Err(std::io::Error::other("the response could not be read"));
        }
        // One byte past the limit tells "exactly max" from "more".
        let want = buf
            .len()
            .min(usize::try_from(self.left.saturating_add(1)).unwrap_or(usize::MAX));
        match self.inner.read(&mut buf[..want]) {
            Ok(n) if n as u64 > self.left => {
                self.failure = Some(HttpError::TooLarge {
                    url: self.url.to_string(),
                    max: self.max,
                });
                Err(std::io::Error::other("response too large"))
            }
            Ok(n) => {
                self.left -= n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let failure = classify_io(self.url, &e, self.time_limit);
                self.failure = Some(failure);
                Err(e)
            }
        }
    }
}

/// The `--debug` record of one request: method, URL, status, bytes, time.
fn log_request(method: &str, url: &str, result: &Result<Response, HttpError>, took: Duration) {
    let ms = took.as_millis();
    match result {
        Ok(r) => log::debug!(
            "{method} {url} -> {} ({} bytes, {ms} ms)",
            r.status,
            r.body.len()
        ),
        Err(e) => log::debug!("{method} {url} -> failed after {ms} ms: {e}"),
    }
}

/// What to try for the TLS failures users meet most: a registry that
/// speaks plain http, and a certificate from a private CA.
fn tls_hint(detail: &str) -> &'static str {
    if detail.contains("InvalidContentType") || detail.contains("corrupt message") {
        " (the server may speak plain http: --tls-verify=false lets it answer over http)"
    } else if detail.contains("UnknownIssuer") {
        " (the certificate is issued by an unknown CA: --ca-file FILE trusts that CA)"
    } else {
        ""
    }
}

/// The certificates of a PEM file (a CA file or a certs.d `*.crt`).
fn read_pem_certs(
    path: &std::path::Path,
    max: u64,
) -> Result<Vec<reqwest::Certificate>, HttpError> {
    let ca_error = |detail: String| HttpError::CaFile {
        path: path.to_path_buf(),
        detail,
    };
    let pem =
        crate::io::read_bounded(path, "CA file", max).map_err(|e| ca_error(error_chain(&e)))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| ca_error(format!("not a PEM certificate bundle: {e}")))?;
    if certs.is_empty() {
        return Err(ca_error("no PEM certificate in the file".into()));
    }
    Ok(certs)
}

/// An http(s) URL, or the error naming it.
fn parse_url(url: &str) -> Result<reqwest::Url, HttpError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| HttpError::InvalidUrl {
        url: url.to_string(),
        detail: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(HttpError::InvalidUrl {
            url: url.to_string(),
            detail: "only http and https URLs can be fetched".into(),
        });
    }
    Ok(parsed)
}

/// A failed attempt as one of [`HttpError`]'s kinds; `limit` is the time
/// limit the attempt ran under.
fn classify(url: &str, e: &reqwest::Error, limit: TimeLimit) -> HttpError {
    let url = url.to_string();
    let detail = error_chain(e);
    if e.is_timeout() || detail.contains("timed out") {
        return HttpError::Timeout { url, limit };
    }
    if e.is_redirect() {
        // reqwest's own words ("error following redirect") add nothing
        // to the policy's reason.
        let detail = std::error::Error::source(e)
            .map(error_chain)
            .unwrap_or(detail);
        return HttpError::Redirect { url, detail };
    }
    if is_tls_error(e) {
        return HttpError::Tls { url, detail };
    }
    // Names are resolved by `dns::SystemResolver` (never glibc, whose
    // "failed to lookup address" this once also matched).
    if detail.contains("dns error") {
        // The variant already says what hyper's and reqwest's wrappers do.
        let detail = detail
            .trim_start_matches("dns error: ")
            .trim_start_matches("error resolving DNS: ")
            .to_string();
        return HttpError::Dns { url, detail };
    }
    if e.is_connect() {
        return HttpError::Connect { url, detail };
    }
    HttpError::Other { url, detail }
}

fn classify_io(url: &str, e: &std::io::Error, limit: TimeLimit) -> HttpError {
    let detail = error_chain(e);
    if e.kind() == std::io::ErrorKind::TimedOut || detail.contains("timed out") {
        HttpError::Timeout {
            url: url.to_string(),
            limit,
        }
    } else {
        HttpError::Other {
            url: url.to_string(),
            detail: format!("reading the response: {detail}"),
        }
    }
}

/// Why a redirect to `location` is not followed.
fn refused_redirect(location: &str) -> String {
    let location: String = location
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    format!("the server redirects to {location}; only http and https redirects are followed")
}

fn redirect_policy(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let to_scheme = attempt.url().scheme();
    if !matches!(to_scheme, "http" | "https") {
        let detail = refused_redirect(attempt.url().as_str());
        return attempt.error(detail);
    }
    let from_https = attempt
        .previous()
        .last()
        .is_some_and(|u| u.scheme() == "https");
    if from_https && to_scheme != "https" {
        let to = attempt.url().to_string();
        return attempt.error(format!("https must not redirect to {to}"));
    }
    if attempt.previous().len() > MAX_REDIRECTS {
        return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
    }
    attempt.follow()
}

fn is_tls_error(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        // io::Error's source() skips the error it wraps; look inside.
        cur = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    false
}

/// The error for a non-2xx answer, with the first line of a short text
/// body (registries explain 401/403 there) as a hint.
pub fn status_error(url: &str, status: u16, headers: &HeaderMap, body: &[u8]) -> HttpError {
    let url = url.to_string();
    let detail = body_hint(body)
        .map(|h| format!(": {h}"))
        .unwrap_or_default();
    match StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR) {
        StatusCode::UNAUTHORIZED => HttpError::Unauthorized { url, detail },
        StatusCode::FORBIDDEN => HttpError::Forbidden { url, detail },
        StatusCode::NOT_FOUND => HttpError::NotFound { url, detail },
        StatusCode::TOO_MANY_REQUESTS => HttpError::RateLimited {
            url,
            retry_after: headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        },
        _ => HttpError::Status {
            url,
            status,
            detail,
        },
    }
}

/// A printable, one-line, short excerpt of an error body, if it has text.
fn body_hint(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    (!line.is_empty()).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_errors_name_the_url_on_one_line() {
        let h = HeaderMap::new();
        let e = status_error("https://r.example/v2/", 401, &h, b"{\"errors\":\n[1]}");
        assert!(matches!(e, HttpError::Unauthorized { .. }));
        let msg = e.to_string();
        assert!(
            msg.starts_with("https://r.example/v2/: unauthorized"),
            "{msg}"
        );
        assert!(!msg.contains('\n'));
        assert!(matches!(
            status_error("u", 404, &h, b""),
            HttpError::NotFound { .. }
        ));
        assert!(matches!(
            status_error("u", 403, &h, b""),
            HttpError::Forbidden { .. }
        ));
        let mut h429 = HeaderMap::new();
        h429.insert(RETRY_AFTER, "30".parse().unwrap());
        assert!(
            status_error("u", 429, &h429, b"")
                .to_string()
                .contains("Retry-After: 30")
        );
        assert!(matches!(
            status_error("u", 502, &h, b""),
            HttpError::Status { status: 502, .. }
        ));
    }

    #[test]
    fn non_http_urls_are_refused() {
        let c = HttpClient::new(HttpOptions::default()).unwrap();
        assert!(matches!(
            c.get("ftp://example.com/x", &HeaderMap::new(), 10),
            Err(HttpError::InvalidUrl { .. })
        ));
        assert!(matches!(
            c.get("not a url", &HeaderMap::new(), 10),
            Err(HttpError::InvalidUrl { .. })
        ));
    }
}
