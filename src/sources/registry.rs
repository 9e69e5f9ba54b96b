//! Reading manifests and blobs from a registry (Docker Registry HTTP API
//! v2), and pushing them (`fetch --to-registry`): the token and Basic
//! authentication flows, and the credentials users already have in
//! podman's and docker's auth files.
//!
//! Nothing fetched here is trusted: callers hash the raw bytes themselves
//! and ignore the registry's `Docker-Content-Digest` claim.

use crate::image::digest::Digest;
use crate::image::manifest::media_types;
use crate::image::reference::Reference;
use crate::sources::http::{HttpClient, HttpError, status_error};
use base64::Engine as _;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION, WWW_AUTHENTICATE,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Why a manifest could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("{url}: manifest of {reference} not found (HTTP 404)")]
    ManifestNotFound { reference: String, url: String },
    #[error("{url}: blob {digest} not found (HTTP 404)")]
    BlobNotFound { digest: String, url: String },
    #[error("{url}: authentication to {registry} failed: {detail}")]
    Unauthorized {
        url: String,
        registry: String,
        detail: String,
    },
    #[error("{url}: cannot use the registry's authentication challenge: {detail}")]
    BadChallenge { url: String, detail: String },
    #[error("{url}: token service answer has no usable token: {detail}")]
    BadToken { url: String, detail: String },
    #[error("auth file {path}: {detail}")]
    AuthFile { path: PathBuf, detail: String },
    #[error(transparent)]
    AuthFileRead(#[from] crate::io::FileError),
    #[error("{url}: the registry did not accept the upload: {detail}")]
    Upload { url: String, detail: String },
    #[error(
        "{reference}: a reference without a tag or digest cannot be fetched: add :TAG or @sha256:…"
    )]
    NoTagOrDigest { reference: String },
}

/// The token scope actions of a read.
const PULL: &str = "pull";
/// The token scope actions of an upload (a token for them reads too, so
/// it replaces a cached read token of the repository).
const PUSH: &str = "push,pull";

/// One request to a URL with these headers (a GET, HEAD, POST or PUT).
type Send<'a> = dyn Fn(&str, &HeaderMap) -> Result<crate::sources::http::Response, HttpError> + 'a;

/// A user name and password for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BasicAuth({:?}, <password>)", self.username)
    }
}

impl BasicAuth {
    fn header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// Credentials from auth files, in lookup order: the first file with an
/// entry for a registry (or one of the reference's namespaces) wins.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    files: Vec<AuthFile>,
}

#[derive(Debug, Clone)]
struct AuthFile {
    path: PathBuf,
    /// Normalised key (`host[/namespace…]`) → credentials.
    entries: Vec<(String, BasicAuth)>,
}

impl Credentials {
    /// `authfile` when given (it must exist); otherwise every existing
    /// file of `$REGISTRY_AUTH_FILE`, `${XDG_RUNTIME_DIR}/containers/auth.json`,
    /// `~/.config/containers/auth.json` and `~/.docker/config.json`, in
    /// that order (podman's).
    pub fn load(authfile: Option<&Path>) -> Result<Credentials, RegistryError> {
        if let Some(path) = authfile {
            return Ok(Credentials {
                files: vec![AuthFile::read(path)?],
            });
        }
        let mut files = Vec::new();
        for path in default_auth_files() {
            if path.is_file() {
                files.push(AuthFile::read(&path)?);
            }
        }
        Ok(Credentials { files })
    }

    /// Parses one auth file's contents (`path` is used in messages).
    pub fn from_json(path: &Path, json: &[u8]) -> Result<Credentials, RegistryError> {
        Ok(Credentials {
            files: vec![AuthFile::parse(path, json)?],
        })
    }

    /// The credentials for `reference`: an entry for its repository, then
    /// for each parent namespace, then for its registry.
    pub fn lookup(&self, reference: &Reference) -> Option<&BasicAuth> {
        let keys: Vec<String> = reference
            .policy_namespaces()
            .into_iter()
            .filter(|k| !k.starts_with("*."))
            .collect();
        self.files.iter().find_map(|f| {
            keys.iter()
                .find_map(|k| f.entries.iter().find(|(e, _)| e == k).map(|(_, a)| a))
        })
    }

    /// The files that were read, for messages.
    pub fn paths(&self) -> Vec<&Path> {
        self.files.iter().map(|f| f.path.as_path()).collect()
    }
}

fn default_auth_files() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(p) = std::env::var_os("REGISTRY_AUTH_FILE").filter(|p| !p.is_empty()) {
        v.push(PathBuf::from(p));
    }
    if let Some(p) = std::env::var_os("XDG_RUNTIME_DIR").filter(|p| !p.is_empty()) {
        v.push(PathBuf::from(p).join("containers/auth.json"));
    }
    if let Some(home) = std::env::var_os("HOME").filter(|p| !p.is_empty()) {
        let home = PathBuf::from(home);
        v.push(home.join(".config/containers/auth.json"));
        v.push(home.join(".docker/config.json"));
    }
    v
}

impl AuthFile {
    fn read(path: &Path) -> Result<AuthFile, RegistryError> {
        let bytes = crate::io::read_bounded(path, "auth file", crate::io::MAX_AUTH_FILE)?;
        AuthFile::parse(path, &bytes)
    }

    fn parse(path: &Path, json: &[u8]) -> Result<AuthFile, RegistryError> {
        #[derive(serde::Deserialize)]
        struct File {
            #[serde(default)]
            auths: HashMap<String, Entry>,
        }
        #[derive(serde::Deserialize)]
        struct Entry {
            #[serde(default)]
            auth: Option<String>,
        }
        let bad = |detail: String| RegistryError::AuthFile {
            path: path.to_path_buf(),
            detail,
        };
        crate::io::check_nesting(json).map_err(|e| bad(e.to_string()))?;
        let file: File = serde_json::from_slice(json).map_err(|e| {
            bad(format!(
                "not a valid auth file ({e}); expected {{\"auths\": {{\"registry\": {{\"auth\": \"<base64 user:password>\"}}}}}}"
            ))
        })?;
        let mut entries = Vec::new();
        for (key, entry) in file.auths {
            // Entries without "auth" (identity tokens, credential helpers)
            // cannot be used here; other entries still can.
            let Some(auth) = entry.auth.filter(|a| !a.is_empty()) else {
                continue;
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| bad(format!("auths.{key:?}.auth is not base64 of user:password")))?;
            let (username, password) = decoded
                .split_once(':')
                .ok_or_else(|| bad(format!("auths.{key:?}.auth is not base64 of user:password")))?;
            entries.push((
                normalise_auth_key(&key),
                BasicAuth {
                    username: username.to_string(),
                    password: password.to_string(),
                },
            ));
        }
        Ok(AuthFile {
            path: path.to_path_buf(),
            entries,
        })
    }
}

/// Auth file keys come as `quay.io`, `quay.io/org/repo`,
/// `https://index.docker.io/v1/`…; reduce them to `host[/path]` as
/// references name them.
fn normalise_auth_key(key: &str) -> String {
    let k = key
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let k = k
        .strip_suffix("/v1")
        .or_else(|| k.strip_suffix("/v2"))
        .unwrap_or(k);
    let (host, rest) = match k.split_once('/') {
        Some((h, r)) => (h, Some(r)),
        None => (k, None),
    };
    let host = match host {
        "index.docker.io" | "registry-1.docker.io" => "docker.io",
        h => h,
    };
    match rest {
        Some(r) => format!("{host}/{r}"),
        None => host.to_string(),
    }
}

/// A manifest exactly as the registry served it.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub bytes: Vec<u8>,
    /// Where it was fetched from.
    pub url: String,
    /// The `Content-Type` the registry served it with, without
    /// parameters (`None` when there was none).
    pub media_type: Option<String>,
}

impl Manifest {
    fn from_response(response: crate::sources::http::Response) -> Manifest {
        let media_type = response
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|v| !v.is_empty());
        Manifest {
            bytes: response.body,
            url: response.url,
            media_type,
        }
    }
}

/// A blob as the registry served it (not yet checked against its digest).
#[derive(Debug, Clone)]
pub struct Blob {
    pub bytes: Vec<u8>,
    pub url: String,
}

/// Whether a registry error body (`{"errors":[{"code","message"}]}`) says
/// the manifest does not exist.
fn says_manifest_unknown(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Errors {
        #[serde(default)]
        errors: Vec<Error>,
    }
    #[derive(serde::Deserialize)]
    struct Error {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    if crate::io::check_nesting(body).is_err() {
        return false;
    }
    let Ok(parsed) = serde_json::from_slice::<Errors>(body) else {
        return false;
    };
    parsed.errors.iter().any(|e| {
        e.code.eq_ignore_ascii_case("MANIFEST_UNKNOWN")
            || (e.code.eq_ignore_ascii_case("UNKNOWN")
                && e.message.to_ascii_lowercase().contains("not found"))
    })
}

/// A registry client shared by all fetches of a run (it caches tokens and
/// which scheme each insecure registry speaks). Cheap to clone: clones
/// share the caches.
#[derive(Debug, Clone)]
pub struct RegistryClient {
    http: HttpClient,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    credentials: Credentials,
    /// `registry/repository` → Authorization header value.
    tokens: Mutex<HashMap<String, String>>,
    /// Registries found to speak plain http (only with TLS verification off).
    plain_http: Mutex<HashMap<String, bool>>,
}

impl RegistryClient {
    pub fn new(http: HttpClient, credentials: Credentials) -> RegistryClient {
        RegistryClient {
            http,
            shared: Arc::new(Shared {
                credentials,
                tokens: Mutex::default(),
                plain_http: Mutex::default(),
            }),
        }
    }

    /// This client (same caches) fetching through `http`, e.g. a client
    /// with one image's deadline.
    pub fn with_http(&self, http: HttpClient) -> RegistryClient {
        RegistryClient {
            http,
            shared: self.shared.clone(),
        }
    }

    /// GET the manifest `reference` names (its digest if it has one, else
    /// its tag), accepting every manifest type so that a list or index is
    /// returned as such.
    pub fn get_manifest(&self, reference: &Reference) -> Result<Manifest, RegistryError> {
        let response = self.manifest_response(reference)?;
        let url = response.url.clone();
        match response.status {
            200..=299 => Ok(Manifest::from_response(response)),
            404 => Err(RegistryError::ManifestNotFound {
                reference: reference.to_string(),
                url,
            }),
            s => Err(status_error(&url, s, &response.headers, &response.body).into()),
        }
    }

    /// Like [`get_manifest`](Self::get_manifest), but `None` when the
    /// registry says there is no such manifest: HTTP 404, or another
    /// status whose error body says `MANIFEST_UNKNOWN` (or, as some
    /// registries put it, an `UNKNOWN` error "not found"), which
    /// containers/image also takes for "does not exist".
    pub fn get_manifest_if_present(
        &self,
        reference: &Reference,
    ) -> Result<Option<Manifest>, RegistryError> {
        let response = self.manifest_response(reference)?;
        match response.status {
            200..=299 => Ok(Some(Manifest::from_response(response))),
            404 => Ok(None),
            _ if says_manifest_unknown(&response.body) => Ok(None),
            s => Err(status_error(&response.url, s, &response.headers, &response.body).into()),
        }
    }

    fn manifest_response(
        &self,
        reference: &Reference,
    ) -> Result<crate::sources::http::Response, RegistryError> {
        let path = manifest_path(reference)?;
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_str(&media_types::ALL.join(", ")).expect("media types are ASCII"),
        );
        self.get_path(reference, &path, &headers, crate::io::MAX_MANIFEST_SIZE)
    }

    /// GET the blob `digest` of `reference`'s repository, reading at most
    /// `max` bytes. The bytes are not checked against the digest here.
    pub fn get_blob(
        &self,
        reference: &Reference,
        digest: &Digest,
        max: u64,
    ) -> Result<Blob, RegistryError> {
        let path = format!("/v2/{}/blobs/{digest}", reference.path());
        let response = self.get_path(reference, &path, &HeaderMap::new(), max)?;
        let url = response.url.clone();
        match response.status {
            200..=299 => Ok(Blob {
                bytes: response.body,
                url,
            }),
            404 => Err(RegistryError::BlobNotFound {
                digest: digest.to_string(),
                url,
            }),
            s => Err(status_error(&url, s, &response.headers, &response.body).into()),
        }
    }

    /// Whether the repository of `reference` has the blob `digest`: a
    /// HEAD request, so that nothing is downloaded.
    pub fn has_blob(&self, reference: &Reference, digest: &Digest) -> Result<bool, RegistryError> {
        let path = format!("/v2/{}/blobs/{digest}", reference.path());
        let response = self.send(reference, &path, &HeaderMap::new(), PULL, &|url, h| {
            self.http.head(url, h)
        })?;
        match response.status {
            200..=299 => Ok(true),
            404 => Ok(false),
            s => Err(status_error(&response.url, s, &response.headers, &[]).into()),
        }
    }

    /// GET the blob `digest` of `reference`'s repository and hand its
    /// body, at most `max` bytes, to `read` as it arrives, never holding
    /// it whole. The caller checks the digest of what it read. A HEAD
    /// request goes first, so that authentication and a missing blob are
    /// dealt with before the body is streamed.
    pub fn get_blob_streamed<T>(
        &self,
        reference: &Reference,
        digest: &Digest,
        max: u64,
        read: impl FnOnce(&mut dyn std::io::Read) -> T,
    ) -> Result<T, RegistryError> {
        let host = api_host(reference.domain());
        let path = format!("/v2/{}/blobs/{digest}", reference.path());
        let present = self.has_blob(reference, digest)?;
        let plain = self
            .shared
            .plain_http
            .lock()
            .unwrap()
            .get(host)
            .copied()
            .unwrap_or(false);
        let url = url_for(host, plain, &path);
        if !present {
            return Err(RegistryError::BlobNotFound {
                digest: digest.to_string(),
                url,
            });
        }
        let mut headers = HeaderMap::new();
        let token = self
            .shared
            .tokens
            .lock()
            .unwrap()
            .get(&reference.repository())
            .cloned();
        if let Some(auth) = token.and_then(|t| HeaderValue::from_str(&t).ok()) {
            headers.insert(AUTHORIZATION, auth);
        }
        Ok(self.http.get_ok_streamed(&url, &headers, max, read)?)
    }

    /// Uploads `bytes` as the blob `digest` of `reference`'s repository,
    /// unless the repository has it already (then `false`): a POST opening
    /// an upload session, then a PUT of the whole blob to the `Location`
    /// it answered with, `?digest=` added (the registry checks the digest).
    pub fn push_blob(
        &self,
        reference: &Reference,
        digest: &Digest,
        bytes: &[u8],
    ) -> Result<bool, RegistryError> {
        if self.has_blob(reference, digest)? {
            return Ok(false);
        }
        let path = format!("/v2/{}/blobs/uploads/", reference.path());
        let max = crate::io::MAX_PUSH_ANSWER;
        let opened = self.send(reference, &path, &HeaderMap::new(), PUSH, &|url, h| {
            self.http.send(reqwest::Method::POST, url, h, &[], max)
        })?;
        if opened.status != 202 {
            return Err(
                status_error(&opened.url, opened.status, &opened.headers, &opened.body).into(),
            );
        }
        let upload_error = |detail: String| RegistryError::Upload {
            url: opened.url.clone(),
            detail,
        };
        let location = opened
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| upload_error("HTTP 202 without a Location header".into()))?;
        // The Location may be relative to the request, and may carry a
        // query of its own (distribution's `_state`).
        let mut upload = reqwest::Url::parse(&opened.url)
            .and_then(|base| base.join(location))
            .map_err(|e| upload_error(format!("Location {location:?} is not a URL: {e}")))?;
        if !matches!(upload.scheme(), "http" | "https") {
            return Err(upload_error(format!(
                "Location {location:?} is not an http(s) URL"
            )));
        }
        upload
            .query_pairs_mut()
            .append_pair("digest", &digest.to_string());
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        let put = self.get_authorized(reference, upload.as_str(), &headers, PUSH, &|url, h| {
            self.http.send(reqwest::Method::PUT, url, h, bytes, max)
        })?;
        match put.status {
            200..=299 => Ok(true),
            s => Err(status_error(&put.url, s, &put.headers, &put.body).into()),
        }
    }

    /// PUT `bytes` (of `media_type`) as the manifest `reference` names by
    /// its tag or digest; every blob it names must be there already.
    pub fn put_manifest(
        &self,
        reference: &Reference,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<(), RegistryError> {
        let path = manifest_path(reference)?;
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_str(media_type).map_err(|_| RegistryError::Upload {
                url: path.clone(),
                detail: format!("media type {media_type:?} is not a valid header value"),
            })?,
        );
        let max = crate::io::MAX_PUSH_ANSWER;
        let put = self.send(reference, &path, &headers, PUSH, &|url, h| {
            self.http.send(reqwest::Method::PUT, url, h, bytes, max)
        })?;
        match put.status {
            200..=299 => Ok(()),
            s => Err(status_error(&put.url, s, &put.headers, &put.body).into()),
        }
    }

    /// GET `path` (`/v2/…`) on `reference`'s registry, over https, or
    /// plain http for a registry reached without TLS verification that
    /// does not speak TLS.
    fn get_path(
        &self,
        reference: &Reference,
        path: &str,
        headers: &HeaderMap,
        max: u64,
    ) -> Result<crate::sources::http::Response, RegistryError> {
        self.send(reference, path, headers, PULL, &|url, h| {
            self.http.get(url, h, max)
        })
    }

    /// [`get_path`](Self::get_path) with the request made by `send` (a
    /// GET, HEAD, POST or PUT), authorized for `actions` (the token scope's
    /// `pull` or `push,pull`).
    fn send(
        &self,
        reference: &Reference,
        path: &str,
        headers: &HeaderMap,
        actions: &str,
        send: &Send<'_>,
    ) -> Result<crate::sources::http::Response, RegistryError> {
        let host = api_host(reference.domain());
        let known_plain = self.shared.plain_http.lock().unwrap().get(host).copied();
        let get = |plain: bool| {
            self.get_authorized(
                reference,
                &url_for(host, plain, path),
                headers,
                actions,
                send,
            )
        };
        match known_plain {
            Some(plain) => get(plain),
            None if self.http.verifies_tls(host) => get(false),
            None => {
                // Like skopeo with --tls-verify=false: https first, then
                // plain http if the registry does not speak TLS.
                let (response, plain) = match get(false) {
                    Ok(r) => (r, false),
                    Err(RegistryError::Http(HttpError::Tls { .. } | HttpError::Connect { .. })) => {
                        (get(true)?, true)
                    }
                    Err(e) => return Err(e),
                };
                self.shared
                    .plain_http
                    .lock()
                    .unwrap()
                    .insert(host.to_string(), plain);
                Ok(response)
            }
        }
    }

    /// A request with the cached authorization, doing the challenge flow
    /// once on a 401.
    fn get_authorized(
        &self,
        reference: &Reference,
        url: &str,
        headers: &HeaderMap,
        actions: &str,
        send: &Send<'_>,
    ) -> Result<crate::sources::http::Response, RegistryError> {
        let key = reference.repository();
        let cached = self.shared.tokens.lock().unwrap().get(&key).cloned();
        let with_auth = |auth: Option<&str>| -> Result<HeaderMap, RegistryError> {
            let mut h = headers.clone();
            if let Some(a) = auth {
                h.insert(
                    AUTHORIZATION,
                    HeaderValue::from_str(a).map_err(|_| RegistryError::BadToken {
                        url: url.to_string(),
                        detail: "token is not a valid header value".into(),
                    })?,
                );
            }
            Ok(h)
        };
        let response = send(url, &with_auth(cached.as_deref())?)?;
        if response.status != 401 {
            return Ok(response);
        }
        let challenge = response
            .headers
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| RegistryError::Unauthorized {
                url: url.to_string(),
                registry: reference.domain().to_string(),
                detail: "HTTP 401 without a WWW-Authenticate challenge".into(),
            })?;
        let challenge =
            Challenge::parse(challenge).map_err(|detail| RegistryError::BadChallenge {
                url: url.to_string(),
                detail,
            })?;
        let creds = self.shared.credentials.lookup(reference);
        let auth = match challenge {
            Challenge::Basic => match creds {
                Some(c) => c.header(),
                None => {
                    return Err(RegistryError::Unauthorized {
                        url: url.to_string(),
                        registry: reference.domain().to_string(),
                        detail: self.no_credentials_hint(),
                    });
                }
            },
            Challenge::Bearer { realm, service } => {
                self.fetch_token(url, reference, &realm, service.as_deref(), actions, creds)?
            }
        };
        let response = send(url, &with_auth(Some(&auth))?)?;
        if response.status == 401 {
            let detail = match creds {
                Some(c) => format!(
                    "the registry refused the credentials for user {:?}",
                    c.username
                ),
                None => self.no_credentials_hint(),
            };
            return Err(RegistryError::Unauthorized {
                url: url.to_string(),
                registry: reference.domain().to_string(),
                detail,
            });
        }
        self.shared.tokens.lock().unwrap().insert(key, auth);
        Ok(response)
    }

    fn no_credentials_hint(&self) -> String {
        let paths = self.shared.credentials.paths();
        if paths.is_empty() {
            "credentials required and no auth file found (use --authfile, podman login or docker login)".into()
        } else {
            let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            format!(
                "credentials required and none found for this registry in {}",
                list.join(", ")
            )
        }
    }

    /// The bearer-token flow: anonymous, or with the user's credentials
    /// when the auth files have them.
    fn fetch_token(
        &self,
        url: &str,
        reference: &Reference,
        realm: &str,
        service: Option<&str>,
        actions: &str,
        creds: Option<&BasicAuth>,
    ) -> Result<String, RegistryError> {
        let bad_challenge = |detail: String| RegistryError::BadChallenge {
            url: url.to_string(),
            detail,
        };
        let mut token_url = reqwest::Url::parse(realm)
            .map_err(|e| bad_challenge(format!("realm {realm:?} is not a URL: {e}")))?;
        if url.starts_with("https://") && token_url.scheme() != "https" {
            return Err(bad_challenge(format!(
                "realm {realm:?} is not https: refusing to send credentials in clear"
            )));
        }
        {
            let mut q = token_url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            q.append_pair(
                "scope",
                &format!("repository:{}:{actions}", reference.path()),
            );
        }
        let mut headers = HeaderMap::new();
        if let Some(c) = creds {
            headers.insert(
                AUTHORIZATION,
                HeaderValue::from_str(&c.header()).map_err(|_| RegistryError::AuthFile {
                    path: PathBuf::new(),
                    detail: "credentials are not a valid header value".into(),
                })?,
            );
        }
        let response =
            self.http
                .get(token_url.as_str(), &headers, crate::io::MAX_TOKEN_RESPONSE)?;
        if response.status == 401 || response.status == 403 {
            return Err(RegistryError::Unauthorized {
                url: token_url.to_string(),
                registry: reference.domain().to_string(),
                detail: match creds {
                    Some(c) => format!(
                        "the token service refused the credentials for user {:?}",
                        c.username
                    ),
                    None => self.no_credentials_hint(),
                },
            });
        }
        let body = response.into_ok()?;
        #[derive(serde::Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let t: Token = serde_json::from_slice(&body).map_err(|e| RegistryError::BadToken {
            url: token_url.to_string(),
            detail: e.to_string(),
        })?;
        let token = t
            .token
            .or(t.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| RegistryError::BadToken {
                url: token_url.to_string(),
                detail: "neither \"token\" nor \"access_token\" is set".into(),
            })?;
        Ok(format!("Bearer {token}"))
    }
}

/// docker.io's API lives on another host.
fn api_host(domain: &str) -> &str {
    if domain == crate::image::reference::DEFAULT_DOMAIN {
        "registry-1.docker.io"
    } else {
        domain
    }
}

fn url_for(host: &str, plain_http: bool, path: &str) -> String {
    let scheme = if plain_http { "http" } else { "https" };
    format!("{scheme}://{host}{path}")
}

/// A `WWW-Authenticate` challenge relsig can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

impl Challenge {
    fn parse(header: &str) -> Result<Challenge, String> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        let params = parse_auth_params(rest)?;
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        if scheme.eq_ignore_ascii_case("basic") {
            Ok(Challenge::Basic)
        } else if scheme.eq_ignore_ascii_case("bearer") {
            let realm = get("realm").ok_or("Bearer challenge without a realm")?;
            Ok(Challenge::Bearer {
                realm,
                service: get("service"),
            })
        } else {
            Err(format!("unsupported authentication scheme {scheme:?}"))
        }
    }
}

/// `key="value", key=token, …` with backslash escapes in quoted values.
fn parse_auth_params(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' {
                break;
            }
            name.push(c);
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(format!("parameter {:?} has no value", name.trim()));
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('"') => break,
                    Some(c) => value.push(c),
                    None => return Err("unterminated quoted value".into()),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((name.trim().to_string(), value.trim().to_string()));
    }
}

/// The API path of the manifest `reference` names by its digest, else its
/// tag.
fn manifest_path(reference: &Reference) -> Result<String, RegistryError> {
    let Some(tag_or_digest) = reference.digest().or(reference.tag()) else {
        return Err(RegistryError::NoTagOrDigest {
            reference: reference.to_string(),
        });
    };
    Ok(format!(
        "/v2/{}/manifests/{tag_or_digest}",
        reference.path()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenge_is_parsed() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull""#,
        )
        .unwrap();
        assert_eq!(
            c,
            Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into())
            }
        );
        assert_eq!(
            Challenge::parse(r#"Basic realm="x""#).unwrap(),
            Challenge::Basic
        );
        assert!(Challenge::parse(r#"Bearer service="x""#).is_err());
        assert!(Challenge::parse(r#"Bearer realm="x"#).is_err());
        assert!(Challenge::parse("Negotiate").is_err());
    }

    #[test]
    fn auth_file_lookup_prefers_the_most_specific_entry() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let json = format!(
            r#"{{"auths":{{"quay.io":{{"auth":"{}"}},"quay.io/org":{{"auth":"{}"}},"https://index.docker.io/v1/":{{"auth":"{}"}},"helper.io":{{}}}}}}"#,
            b64("host:1"),
            b64("org:2"),
            b64("hub:3")
        );
        let c = Credentials::from_json(Path::new("auth.json"), json.as_bytes()).unwrap();
        let user = |r: &str| {
            c.lookup(&Reference::parse(r).unwrap())
                .map(|a| a.username.clone())
        };
        assert_eq!(user("quay.io/org/repo:1").as_deref(), Some("org"));
        assert_eq!(user("quay.io/other/repo:1").as_deref(), Some("host"));
        assert_eq!(user("busybox:latest").as_deref(), Some("hub"));
        assert_eq!(user("helper.io/a:1"), None);
        assert_eq!(user("example.com/a:1"), None);
    }

    #[test]
    fn broken_auth_files_name_the_file() {
        let e = Credentials::from_json(Path::new("/x/auth.json"), b"{").unwrap_err();
        assert!(e.to_string().starts_with("auth file /x/auth.json:"), "{e}");
        let e = Credentials::from_json(
            Path::new("/x/auth.json"),
            br#"{"auths":{"q.io":{"auth":"!!!"}}}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("q.io"), "{e}");
    }

    #[test]
    fn manifest_unknown_is_recognised_as_registries_say_it() {
        // distribution and the OCI spec; registry.redhat.io; Harbor.
        assert!(says_manifest_unknown(
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#
        ));
        assert!(says_manifest_unknown(
            br#"{"errors":[{"code":"UNKNOWN","message":"Not Found"}]}"#
        ));
        assert!(says_manifest_unknown(
            br#"{"errors":[{"code":"UNKNOWN","message":"artifact x not found"}]}"#
        ));
        assert!(!says_manifest_unknown(
            br#"{"errors":[{"code":"UNAUTHORIZED","message":"not found"}]}"#
        ));
        assert!(!says_manifest_unknown(b"<html>not found</html>"));
    }

    #[test]
    fn docker_hub_uses_its_api_host() {
        assert_eq!(api_host("docker.io"), "registry-1.docker.io");
        assert_eq!(api_host("127.0.0.1:5000"), "127.0.0.1:5000");
    }
}
