//! The HTTP client every network fetch goes through (registries, signature
//! stores, the update graph): TLS settings, timeouts, retries, bounded
//! bodies, and one-line errors that name the URL.
//!
//! Blocking reqwest over rustls with the `ring` provider, so `cargo build`
//! needs no C toolchain beyond what Rust itself needs and no system TLS
//! library. Proxies come from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`.
//!
//! Nothing is set up until the first request: a run that reads only local
//! files (a ConfigMap, a directory) loads no CA certificates at all. Hosts
//! with certs.d CAs ([`super::certs_d`]) or marked insecure get a client
//! of their own, made at their first request.

use crate::io::error_chain;
use crate::io::{BoundedReadError, read_limited};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

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
    /// Limit for a whole request, body included.
    pub timeout: Duration,
    /// How many times a 5xx answer or a dropped connection is retried.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
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
            timeout: Duration::from_secs(60),
            retries: 3,
            backoff: Duration::from_millis(250),
        }
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
    #[error("{url}: no answer within {}s (timeout)", after.as_secs_f32())]
    Timeout { url: String, after: Duration },
    #[error("{url}: cannot connect: {detail}")]
    Connect { url: String, detail: String },
    #[error("{url}: redirect refused: {detail}")]
    Redirect { url: String, detail: String },
    #[error("{url}: response larger than {max} bytes")]
    TooLarge { url: String, max: u64 },
    #[error("{url}: {detail}")]
    Other { url: String, detail: String },
    #[error("cannot use CA file {}: {detail}", path.display())]
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
            }),
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

    /// GET `url`, reading at most `max` body bytes. 5xx answers and
    /// dropped connections are retried with backoff; any other status is
    /// returned for the caller to interpret (a final 5xx too).
    pub fn get(&self, url: &str, headers: &HeaderMap, max: u64) -> Result<Response, HttpError> {
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
        let mut attempt = 0;
        loop {
            let started = std::time::Instant::now();
            let result = self.get_once(&parsed, url, headers, max);
            log_request(url, &result, started.elapsed());
            let retry = match &result {
                Ok(r) => r.status >= 500,
                Err(e) => e.is_transient(),
            };
            if !retry || attempt >= self.options().retries {
                return result;
            }
            std::thread::sleep(self.options().backoff * 2u32.saturating_pow(attempt));
            attempt += 1;
        }
    }

    /// GET `url` and return the body of a 2xx answer; every other status
    /// is an error.
    pub fn get_ok(&self, url: &str, headers: &HeaderMap, max: u64) -> Result<Vec<u8>, HttpError> {
        self.get(url, headers, max)?.into_ok()
    }

    fn get_once(
        &self,
        parsed: &reqwest::Url,
        url: &str,
        headers: &HeaderMap,
        max: u64,
    ) -> Result<Response, HttpError> {
        let response = self
            .client_for(parsed)?
            .get(parsed.clone())
            .headers(headers.clone())
            .send()
            .map_err(|e| self.classify(url, &e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        // Error bodies are only used for a hint in the message.
        let limit = if status < 400 {
            max
        } else {
            max.min(64 * 1024)
        };
        if response.content_length().is_some_and(|n| n > limit) && status < 400 {
            return Err(HttpError::TooLarge {
                url: url.to_string(),
                max: limit,
            });
        }
        let body = read_limited(response, limit).map_err(|e| match e {
            BoundedReadError::TooLarge if status >= 400 => HttpError::Status {
                url: url.to_string(),
                status,
                detail: String::new(),
            },
            BoundedReadError::TooLarge => HttpError::TooLarge {
                url: url.to_string(),
                max: limit,
            },
            BoundedReadError::Io(io) => self.classify_io(url, &io),
        });
        let body = match body {
            Ok(b) => b,
            Err(HttpError::Status { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(Response {
            url: url.to_string(),
            status,
            headers,
            body,
        })
    }

    fn classify(&self, url: &str, e: &reqwest::Error) -> HttpError {
        let url = url.to_string();
        let detail = error_chain(e);
        if e.is_timeout() || detail.contains("timed out") {
            return HttpError::Timeout {
                url,
                after: self.options().timeout,
            };
        }
        if e.is_redirect() {
            return HttpError::Redirect { url, detail };
        }
        if is_tls_error(e) {
            return HttpError::Tls { url, detail };
        }
        if detail.contains("dns error") || detail.contains("failed to lookup address") {
            return HttpError::Dns { url, detail };
        }
        if e.is_connect() {
            return HttpError::Connect { url, detail };
        }
        HttpError::Other { url, detail }
    }

    fn classify_io(&self, url: &str, e: &std::io::Error) -> HttpError {
        let detail = error_chain(e);
        if e.kind() == std::io::ErrorKind::TimedOut || detail.contains("timed out") {
            HttpError::Timeout {
                url: url.to_string(),
                after: self.options().timeout,
            }
        } else {
            HttpError::Other {
                url: url.to_string(),
                detail: format!("reading the response: {detail}"),
            }
        }
    }
}

/// The `--debug` record of one request: method, URL, status, bytes, time.
fn log_request(url: &str, result: &Result<Response, HttpError>, took: Duration) {
    let ms = took.as_millis();
    match result {
        Ok(r) => log::debug!(
            "GET {url} -> {} ({} bytes, {ms} ms)",
            r.status,
            r.body.len()
        ),
        Err(e) => log::debug!("GET {url} -> failed after {ms} ms: {e}"),
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

fn redirect_policy(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let from_https = attempt
        .previous()
        .last()
        .is_some_and(|u| u.scheme() == "https");
    if from_https && attempt.url().scheme() != "https" {
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
    fn tls_errors_hint_at_the_option_that_helps() {
        let tls = |detail: &str| {
            HttpError::Tls {
                url: "https://r.example/v2/".into(),
                detail: detail.into(),
            }
            .to_string()
        };
        assert!(tls("invalid peer certificate: UnknownIssuer").contains("--ca-file FILE"));
        assert!(
            tls("received corrupt message of type InvalidContentType")
                .contains("--tls-verify=false")
        );
        assert!(!tls("handshake failure").contains("--"));
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
