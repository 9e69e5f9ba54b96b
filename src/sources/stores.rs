//! Where signatures are found and how they are laid out: the OpenShift
//! release mirror (`<store>/sha256=<hex>/signature-N`), containers'
//! lookaside stores (`<base>/<repository path>@sha256=<hex>/signature-N`),
//! local directories in either layout, a `dir:` image's flat
//! `signature-N` or an OCI layout of a cosign `.sig` artifact, a
//! registry's sigstore attachments ([`super::attachments`]), and signature
//! ConfigMaps. Also writing the mirror layout.
//!
//! Every list is ordered (N = 1, 2, …, ending at the first missing one) and
//! bounded: at most [`MAX_SIGNATURES`] signatures of at most
//! [`MAX_SIGNATURE_SIZE`] bytes each. Signatures are handed to the caller
//! one at a time as they are read, so that a caller checking each at once
//! holds one signature, not a store's worth; and a source that fails
//! after some signatures has still delivered those.

use crate::image::digest::Digest;
use crate::image::reference::Reference;
use crate::io::{MAX_SIGNATURE_SIZE, MAX_SIGNATURES, write_file_atomically};
use crate::sources::attachments::{self, AttachmentError};
use crate::sources::configmap::{ConfigMapError, SignatureConfigMap};
use crate::sources::http::{HttpClient, HttpError, status_error};
use crate::sources::registry::RegistryClient;
use reqwest::header::HeaderMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The release mirrors OpenShift itself reads; `verify` uses them for
/// OpenShift releases when no source is given.
pub const DEFAULT_STORES: [&str; 2] = [
    "https://mirror.openshift.com/pub/openshift-v4/signatures/openshift/release",
    "https://mirror.openshift.com/pub/openshift-v4/signatures/openshift-release-dev/ocp-release",
];

/// One signature as found, unverified.
#[derive(Debug, Clone)]
pub struct Signature {
    pub bytes: Vec<u8>,
    /// Where it came from: a URL, a file path, or `FILE#KEY` for a
    /// ConfigMap entry.
    pub source: String,
}

/// A source that could not be read. A missing first signature is not an
/// error: it means the source has none.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("{}: not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error(transparent)]
    File(#[from] crate::io::FileError),
    #[error(
        "{location}: more than {MAX_SIGNATURES} signatures for one image; the first {MAX_SIGNATURES} were checked, the rest not read"
    )]
    TooMany { location: String },
    #[error("{url} is an HTML page, not a signature (a login page or a wrong URL?)")]
    HtmlPage { url: String },
    #[error("{location}: {detail}")]
    InvalidLocation { location: String, detail: String },
    #[error(transparent)]
    ConfigMap(#[from] ConfigMapError),
    #[error(transparent)]
    Attachments(#[from] AttachmentError),
}

/// The root of a store: an http(s) URL or a local directory (a plain
/// path or a `file://` URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Without a trailing `/`.
    Url(String),
    Dir(PathBuf),
}

impl Location {
    pub fn parse(s: &str) -> Result<Location, StoreError> {
        let invalid = |detail: &str| StoreError::InvalidLocation {
            location: s.to_string(),
            detail: detail.to_string(),
        };
        if s.starts_with("http://") || s.starts_with("https://") {
            reqwest::Url::parse(s).map_err(|e| invalid(&e.to_string()))?;
            return Ok(Location::Url(s.trim_end_matches('/').to_string()));
        }
        if s.starts_with("file:") {
            let url = reqwest::Url::parse(s).map_err(|e| invalid(&e.to_string()))?;
            let path = url
                .to_file_path()
                .map_err(|()| invalid("not a local file URL (file:///absolute/path)"))?;
            return Ok(Location::Dir(path));
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(invalid(&format!(
                "unsupported scheme {scheme:?}: use http://, https://, file:// or a directory"
            )));
        }
        if s.is_empty() {
            return Err(invalid("empty location"));
        }
        Ok(Location::Dir(PathBuf::from(s)))
    }

    /// Reads `<root>/<prefix>/signature-1`, `-2`, … until one is
    /// missing, handing each to `each`.
    pub fn numbered(
        &self,
        http: &HttpClient,
        prefix: &str,
        each: &mut dyn FnMut(Signature),
    ) -> Result<(), StoreError> {
        match self {
            Location::Url(base) => {
                let url = |n: usize| format!("{base}/{prefix}/signature-{n}");
                numbered(
                    self.join(prefix),
                    |n| {
                        let url = url(n);
                        Ok(fetch_optional(http, &url)?
                            .map(|bytes| Signature { bytes, source: url }))
                    },
                    |n| url_exists(http, &url(n)),
                    each,
                )
            }
            Location::Dir(dir) => dir_numbered(dir, prefix, each),
        }
    }

    /// `<root>/<relative>` for messages.
    pub fn join(&self, relative: &str) -> String {
        match self {
            Location::Url(base) => format!("{base}/{relative}"),
            Location::Dir(dir) => dir.join(relative).display().to_string(),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Url(u) => f.write_str(u),
            Location::Dir(d) => write!(f, "{}", d.display()),
        }
    }
}

/// `sha256=<hex>`: how both store layouts spell a digest in a path.
pub fn digest_component(digest: &Digest) -> String {
    format!("{}={}", digest.algorithm().name(), digest.hex())
}

/// The release mirror layout: `<store>/sha256=<hex>/signature-N`.
pub fn mirror_signatures(
    http: &HttpClient,
    store: &Location,
    digest: &Digest,
    each: &mut dyn FnMut(Signature),
) -> Result<(), StoreError> {
    store.numbered(http, &digest_component(digest), each)
}

/// The containers lookaside layout, as registries.d's `lookaside` URLs use
/// it: `<base>/<repository path>@sha256=<hex>/signature-N` (the path
/// without the registry host).
pub fn lookaside_signatures(
    http: &HttpClient,
    base: &Location,
    reference: &Reference,
    digest: &Digest,
    each: &mut dyn FnMut(Signature),
) -> Result<(), StoreError> {
    base.numbered(http, &lookaside_prefix(reference, digest), each)
}

fn lookaside_prefix(reference: &Reference, digest: &Digest) -> String {
    format!("{}@{}", reference.path(), digest_component(digest))
}

/// A local directory in the mirror layout, the lookaside layout (when
/// `reference` is known), or the flat `signature-N` of a `dir:` image;
/// or an OCI layout of a cosign `.sig` artifact (oc-mirror's), the
/// directory itself or its subdirectory `sha256-<hex>.sig`.
pub fn dir_signatures(
    dir: &Path,
    reference: Option<&Reference>,
    digest: &Digest,
    each: &mut dyn FnMut(Signature),
) -> Result<(), StoreError> {
    if !dir.is_dir() {
        return Err(StoreError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    if attachments::is_layout(dir) {
        return Ok(attachments::layout_signatures(dir, digest, each)?);
    }
    let layout = dir.join(attachments::attachment_tag(digest));
    if attachments::is_layout(&layout) {
        return Ok(attachments::layout_signatures(&layout, digest, each)?);
    }
    let mirror = digest_component(digest);
    if dir.join(&mirror).is_dir() {
        return dir_numbered(dir, &mirror, each);
    }
    if let Some(r) = reference {
        let prefix = lookaside_prefix(r, digest);
        if dir.join(&prefix).is_dir() {
            return dir_numbered(dir, &prefix, each);
        }
    }
    dir_numbered(dir, "", each)
}

fn dir_numbered(
    dir: &Path,
    prefix: &str,
    each: &mut dyn FnMut(Signature),
) -> Result<(), StoreError> {
    let folder = dir.join(prefix);
    let path = |n: usize| folder.join(format!("signature-{n}"));
    numbered(
        folder.display().to_string(),
        |n| {
            let path = path(n);
            Ok(read_optional(&path)?.map(|bytes| Signature {
                bytes,
                source: path.display().to_string(),
            }))
        },
        |n| Ok(path(n).exists()),
        each,
    )
}

/// Hands `get(1)`, `get(2)`, … to `each` until one is `None`. After
/// [`MAX_SIGNATURES`] it stops; if `exists` says there is one more, that
/// is an error (the ones handed over stand).
fn numbered(
    location: String,
    mut get: impl FnMut(usize) -> Result<Option<Signature>, StoreError>,
    exists: impl FnOnce(usize) -> Result<bool, StoreError>,
    each: &mut dyn FnMut(Signature),
) -> Result<(), StoreError> {
    for n in 1..=MAX_SIGNATURES {
        let Some(sig) = get(n)? else {
            return Ok(());
        };
        each(sig);
    }
    if exists(MAX_SIGNATURES + 1)? {
        return Err(StoreError::TooMany { location });
    }
    Ok(())
}

/// A signature ConfigMap: the entries `sha256-<hex>-N` for `digest`.
pub fn configmap_signatures(
    configmap: &SignatureConfigMap,
    path: &Path,
    digest: &Digest,
    each: &mut dyn FnMut(Signature),
) -> Result<(), StoreError> {
    let entries = configmap.signatures(digest);
    let count = entries.len();
    for (key, bytes) in entries.into_iter().take(MAX_SIGNATURES) {
        each(Signature {
            bytes: bytes.to_vec(),
            source: format!("{}#{key}", path.display()),
        });
    }
    if count > MAX_SIGNATURES {
        return Err(StoreError::TooMany {
            location: format!(
                "{}#{}",
                path.display(),
                crate::sources::configmap::digest_key(digest)
            ),
        });
    }
    Ok(())
}

/// A configured signature source.
#[derive(Debug, Clone)]
pub enum SignatureSource {
    /// `--signature-store`: the release mirror layout.
    Mirror(Location),
    /// `--lookaside`: the containers lookaside layout.
    Lookaside(Location),
    /// `--signature-dir`: a directory in any layout.
    Dir(PathBuf),
    /// `--signature-configmap`: a ConfigMap file, read once.
    ConfigMap(Arc<SignatureConfigMap>, PathBuf),
    /// The sigstore attachments (`sha256-<hex>.sig` tag) in the
    /// repository of the reference the signatures are asked for, read
    /// through this client (its token cache; each read uses the HTTP
    /// client it is given, with that image's deadline).
    Attachments(RegistryClient),
}

impl SignatureSource {
    /// Reads a ConfigMap source.
    pub fn configmap(path: &Path) -> Result<SignatureSource, StoreError> {
        Ok(SignatureSource::ConfigMap(
            Arc::new(SignatureConfigMap::read(path)?),
            path.to_path_buf(),
        ))
    }

    /// Hands each signature this source has for `digest` to `each`, in
    /// order, as it is read. `reference` is where the image lives (or its
    /// identity), used by the lookaside layout. An error may come after
    /// some signatures were handed over.
    pub fn for_each_signature(
        &self,
        http: &HttpClient,
        reference: Option<&Reference>,
        digest: &Digest,
        each: &mut dyn FnMut(Signature),
    ) -> Result<(), StoreError> {
        match self {
            SignatureSource::Mirror(l) => mirror_signatures(http, l, digest, each),
            SignatureSource::Lookaside(l) => match reference {
                Some(r) => lookaside_signatures(http, l, r, digest, each),
                None => Err(StoreError::InvalidLocation {
                    location: l.to_string(),
                    detail: "a lookaside store needs the image's repository".into(),
                }),
            },
            SignatureSource::Dir(d) => dir_signatures(d, reference, digest, each),
            SignatureSource::ConfigMap(cm, path) => configmap_signatures(cm, path, digest, each),
            SignatureSource::Attachments(client) => match reference {
                Some(r) => Ok(attachments::registry_signatures(
                    &client.with_http(http.clone()),
                    r,
                    digest,
                    each,
                )?),
                None => Err(StoreError::InvalidLocation {
                    location: "sigstore attachments".into(),
                    detail: "reading a registry's attachments needs the image's repository".into(),
                }),
            },
        }
    }

    /// Every signature this source has for `digest` (see
    /// [`for_each_signature`](Self::for_each_signature)).
    pub fn signatures(
        &self,
        http: &HttpClient,
        reference: Option<&Reference>,
        digest: &Digest,
    ) -> Result<Vec<Signature>, StoreError> {
        let mut all = Vec::new();
        self.for_each_signature(http, reference, digest, &mut |s| all.push(s))?;
        Ok(all)
    }
}

impl std::fmt::Display for SignatureSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureSource::Mirror(l) => write!(f, "signature store {l}"),
            SignatureSource::Lookaside(l) => write!(f, "lookaside {l}"),
            SignatureSource::Dir(d) => write!(f, "directory {}", d.display()),
            SignatureSource::ConfigMap(_, p) => write!(f, "ConfigMap {}", p.display()),
            SignatureSource::Attachments(_) => f.write_str("sigstore attachments"),
        }
    }
}

/// GET a signature: `None` on 404, the body on 2xx, an error otherwise
/// (a web page too: signatures are binary or armored OpenPGP).
fn fetch_optional(http: &HttpClient, url: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let response = http.get(url, &HeaderMap::new(), MAX_SIGNATURE_SIZE)?;
    match response.status {
        200..=299 if response.is_html() => Err(StoreError::HtmlPage {
            url: url.to_string(),
        }),
        200..=299 => Ok(Some(response.body)),
        404 => Ok(None),
        s => Err(status_error(url, s, &response.headers, &response.body).into()),
    }
}

/// Whether `url` has a signature, without downloading it.
fn url_exists(http: &HttpClient, url: &str) -> Result<bool, StoreError> {
    match http.status_of(url, &HeaderMap::new())? {
        200..=299 => Ok(true),
        404 => Ok(false),
        s => Err(status_error(url, s, &HeaderMap::new(), &[]).into()),
    }
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    match crate::io::read_bounded(path, "signature", MAX_SIGNATURE_SIZE) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(crate::io::FileError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// What [`write_mirror_layout`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayoutWrite {
    /// Files written (created or replaced).
    pub written: Vec<PathBuf>,
    /// Higher-numbered files of an earlier run, removed so the list stays
    /// contiguous.
    pub removed: Vec<PathBuf>,
    /// The folder already held exactly these signatures: nothing was
    /// touched.
    pub unchanged: bool,
}

/// Writing the mirror layout failed.
#[derive(Debug, thiserror::Error)]
pub enum LayoutWriteError {
    /// Other signatures are there already, and replacing was not asked for.
    #[error("{} already holds other signatures; not replacing them", folder.display())]
    Exists { folder: PathBuf },
    #[error("cannot write {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes `signatures` for `digest` in the mirror layout under `dir`
/// (`dir/sha256=<hex>/signature-1..N`). Signatures already there are left
/// alone unless `replace` is set (or they are exactly these); replacing
/// removes higher-numbered files of an earlier run, so the list stays
/// contiguous.
pub fn write_mirror_layout(
    dir: &Path,
    digest: &Digest,
    signatures: &[&[u8]],
    replace: bool,
) -> Result<LayoutWrite, LayoutWriteError> {
    let folder = dir.join(digest_component(digest));
    let numbered = |n: usize| folder.join(format!("signature-{n}"));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LayoutWriteError::Io { path, source }
    };
    // Unreadable existing files count as "other signatures".
    let existing = {
        let mut found = Vec::new();
        dir_numbered(&folder, "", &mut |s| found.push(s)).map(|()| found)
    };
    if !matches!(&existing, Ok(e) if e.is_empty()) {
        let same = existing.is_ok_and(|e| {
            e.len() == signatures.len() && e.iter().zip(signatures).all(|(e, s)| e.bytes == *s)
        });
        if same {
            return Ok(LayoutWrite {
                unchanged: true,
                ..LayoutWrite::default()
            });
        }
        if !replace {
            return Err(LayoutWriteError::Exists { folder });
        }
    }
    std::fs::create_dir_all(&folder).map_err(io(&folder))?;
    let mut done = LayoutWrite::default();
    for (i, bytes) in signatures.iter().enumerate() {
        let path = numbered(i + 1);
        write_file_atomically(&path, bytes).map_err(io(&path))?;
        done.written.push(path);
    }
    for n in signatures.len() + 1..=MAX_SIGNATURES + 1 {
        let path = numbered(n);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
            Err(e) => return Err(io(&path)(e)),
            Ok(()) => done.removed.push(path),
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest() -> Digest {
        "sha256:50b9402635dd4b312a86bed05dcdbda8c00120d3789ec2e9b527045100b3bdb4"
            .parse()
            .unwrap()
    }

    #[test]
    fn locations() {
        assert_eq!(
            Location::parse("http://127.0.0.1:1/x/").unwrap(),
            Location::Url("http://127.0.0.1:1/x".into())
        );
        assert_eq!(
            Location::parse("file:///srv/sigs").unwrap(),
            Location::Dir("/srv/sigs".into())
        );
        assert_eq!(
            Location::parse("sigs").unwrap(),
            Location::Dir("sigs".into())
        );
        assert!(Location::parse("ftp://x/y").is_err());
    }

    #[test]
    fn layouts_in_directories_are_found_and_bounded() {
        let tmp = tempfile::tempdir().unwrap();
        let d = digest();
        let r = Reference::parse("registry.redhat.io/albo/bundle:1").unwrap();
        let all = |dir: &Path, r: Option<&Reference>| {
            let mut v = Vec::new();
            dir_signatures(dir, r, &d, &mut |s| v.push(s)).map(|()| v)
        };
        // Nothing there: no signatures, not an error.
        assert!(all(tmp.path(), Some(&r)).unwrap().is_empty());

        let look = tmp
            .path()
            .join(format!("albo/bundle@{}", digest_component(&d)));
        std::fs::create_dir_all(&look).unwrap();
        std::fs::write(look.join("signature-1"), b"L1").unwrap();
        let sigs = all(tmp.path(), Some(&r)).unwrap();
        assert_eq!(sigs.len(), 1);
        assert_eq!(sigs[0].bytes, b"L1");

        let first = write_mirror_layout(tmp.path(), &d, &[b"a", b"b", b"c"], false).unwrap();
        assert_eq!((first.written.len(), first.removed.len()), (3, 0));
        // The same signatures again: nothing to do, no --force needed.
        let again = write_mirror_layout(tmp.path(), &d, &[b"a", b"b", b"c"], false).unwrap();
        assert!(again.unchanged && again.written.is_empty());
        // Other signatures are not replaced unless asked.
        assert!(matches!(
            write_mirror_layout(tmp.path(), &d, &[b"x", b"y"], false),
            Err(LayoutWriteError::Exists { .. })
        ));
        let replaced = write_mirror_layout(tmp.path(), &d, &[b"x", b"y"], true).unwrap();
        assert_eq!(replaced.written.len(), 2);
        assert_eq!(replaced.removed.len(), 1);
        assert!(replaced.removed[0].ends_with("signature-3"));
        let sigs = all(tmp.path(), Some(&r)).unwrap();
        let bytes: Vec<&[u8]> = sigs.iter().map(|s| s.bytes.as_slice()).collect();
        assert_eq!(bytes, [b"x".as_slice(), b"y".as_slice()]);
        assert!(sigs[1].source.ends_with(
            "sha256=50b9402635dd4b312a86bed05dcdbda8c00120d3789ec2e9b527045100b3bdb4/signature-2"
        ));

        // One more than the limit: the first MAX_SIGNATURES are handed
        // over, then the error; the extra one is not read.
        let many = tempfile::tempdir().unwrap();
        for n in 1..=MAX_SIGNATURES + 1 {
            std::fs::write(many.path().join(format!("signature-{n}")), b"s").unwrap();
        }
        let mut seen = 0;
        assert!(matches!(
            dir_signatures(many.path(), None, &d, &mut |_| seen += 1),
            Err(StoreError::TooMany { .. })
        ));
        assert_eq!(seen, MAX_SIGNATURES);
        std::fs::remove_file(
            many.path()
                .join(format!("signature-{}", MAX_SIGNATURES + 1)),
        )
        .unwrap();
        assert_eq!(all(many.path(), None).unwrap().len(), MAX_SIGNATURES);
    }
}
