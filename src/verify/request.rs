//! What the user asked to verify: an IMAGE argument (a tag or digest
//! reference, a release version, or a bare digest with the identity it
//! must be signed as) parsed into an [`ImageRequest`].

use crate::image::digest::Digest;
use crate::image::reference::{DOCKER_TRANSPORT, Reference, ReferenceError};
use crate::io::MAX_IMAGE_LIST_LINE;
use crate::signature::identity::ExpectedIdentity;
use crate::sources::graph;
use std::io::Read as _;

/// What an IMAGE argument names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A tag or digest reference: the manifest comes from the registry.
    Reference(Reference),
    /// An OpenShift release version, resolved through the update graph.
    Version(String),
    /// Only a digest: no registry at all (as the cluster-version-operator
    /// verifies releases), with the identity its signatures must name.
    Digest(Digest, IdentityOverride),
    /// A containers `dir:` image: its `manifest.json` and the signature
    /// files beside it (`signature-N`, GPG or sigstore), with the identity
    /// its signatures must name.
    Dir(std::path::PathBuf, IdentityOverride),
}

/// The transport prefix of a containers `dir:` image.
pub const DIR_TRANSPORT: &str = "dir:";

/// An identity given instead of the one the image argument implies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityOverride {
    /// `--identity REF`: the signature must name exactly REF.
    Exact(Reference),
    /// `--identity-repository REPO`: any tag or digest of REPO.
    Repository(Reference),
}

impl IdentityOverride {
    /// What the signed identity must be, and the reference that names
    /// the image in lookaside paths.
    pub fn expected(&self) -> (ExpectedIdentity, Reference) {
        match self {
            IdentityOverride::Exact(r) => (ExpectedIdentity::Exact(r.clone()), r.clone()),
            IdentityOverride::Repository(r) => (ExpectedIdentity::Repository(r.clone()), r.clone()),
        }
    }
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
    Digest(#[from] crate::image::digest::DigestError),
    #[error("{input}: {hint} (e.g. {example})")]
    NotAVersion {
        input: String,
        hint: &'static str,
        example: String,
    },
    #[error(
        "{input}: verifying by digest alone needs the identity the signature must name: add --identity REF or --identity-repository REPO"
    )]
    DigestWithoutIdentity { input: String },
    #[error(
        "{input}: a dir: image has no name of its own: add --identity REF or --identity-repository REPO (the identity its signatures must name)"
    )]
    DirWithoutIdentity { input: String },
    #[error("{input}: dir: needs a directory path (dir:PATH)")]
    EmptyDir { input: String },
}

impl ImageRequest {
    /// Parses an IMAGE argument: a release version (`4.15.0`), a bare
    /// digest (`sha256:…`, needs `identity`), or a tag or digest reference
    /// (`docker://` accepted, `:latest` assumed without a tag or digest,
    /// as podman and `relsig policy check` do).
    pub fn parse(
        input: &str,
        identity: Option<IdentityOverride>,
    ) -> Result<ImageRequest, RequestError> {
        let target = if let Some(path) = input.strip_prefix(DIR_TRANSPORT) {
            if path.is_empty() {
                return Err(RequestError::EmptyDir {
                    input: input.to_string(),
                });
            }
            let Some(id) = identity.clone() else {
                return Err(RequestError::DirWithoutIdentity {
                    input: input.to_string(),
                });
            };
            Target::Dir(path.into(), id)
        } else if graph::is_release_version(input) {
            Target::Version(input.to_string())
        } else if let Some(e) = version_mistake(input) {
            return Err(e);
        } else if is_bare_digest(input) {
            let Some(id) = identity.clone() else {
                return Err(RequestError::DigestWithoutIdentity {
                    input: input.to_string(),
                });
            };
            Target::Digest(Digest::parse(input)?, id)
        } else {
            Target::Reference(Reference::parse_image(input)?)
        };
        Ok(ImageRequest {
            input: input.to_string(),
            target,
            identity,
        })
    }
}

/// `4.15` and `v4.15.0` are meant as release versions, but would parse
/// as image names (`docker.io/library/4.15:latest`).
fn version_mistake(input: &str) -> Option<RequestError> {
    let (numbers, hint) = match input.strip_prefix(['v', 'V']) {
        Some(rest) => (rest, "release versions are written X.Y.Z, without a v"),
        None => (input, "a release version has three numbers, X.Y.Z"),
    };
    let parts: Vec<&str> = numbers.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !numeric || input.starts_with(DOCKER_TRANSPORT) {
        return None;
    }
    let example = (0..3)
        .map(|i| parts.get(i).copied().unwrap_or("0"))
        .collect::<Vec<_>>()
        .join(".");
    Some(RequestError::NotAVersion {
        input: input.to_string(),
        hint,
        example,
    })
}

/// A line of an image list that cannot be used; names the list and the
/// line.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("cannot read the image list {name}")]
    Io {
        name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{name}:{line}: longer than {MAX_IMAGE_LIST_LINE} bytes: expected `IMAGE [IDENTITY]`")]
    LineTooLong { name: String, line: usize },
    #[error("{name}:{line}: not UTF-8 text")]
    NotUtf8 { name: String, line: usize },
    #[error("{name}:{line}: expected `IMAGE [IDENTITY]`, found more fields")]
    TooManyFields { name: String, line: usize },
    #[error("{name}:{line}: invalid IDENTITY")]
    Identity {
        name: String,
        line: usize,
        #[source]
        source: ReferenceError,
    },
    #[error("{name}:{line}: invalid IMAGE")]
    Image {
        name: String,
        line: usize,
        #[source]
        source: RequestError,
    },
}

/// The images of an image list (`verify --from-file`), read one line at a
/// time so that a list of any length costs one line of memory: `IMAGE` or
/// `IMAGE IDENTITY` per line (IDENTITY an exact identity for that line,
/// else `identity` applies); blank lines and `#` comments are skipped.
pub struct ImageList<R> {
    reader: R,
    /// The list's name in messages (a path, or "stdin").
    name: String,
    line: usize,
    identity: Option<IdentityOverride>,
    buf: Vec<u8>,
    done: bool,
}

impl<R: std::io::BufRead> ImageList<R> {
    pub fn new(reader: R, name: String, identity: Option<IdentityOverride>) -> ImageList<R> {
        ImageList {
            reader,
            name,
            line: 0,
            identity,
            buf: Vec::new(),
            done: false,
        }
    }

    /// The next line's request, `None` for a blank or comment line.
    fn parse_line(&mut self) -> Result<Option<ImageRequest>, ListError> {
        let (name, line) = (self.name.clone(), self.line);
        let text = std::str::from_utf8(&self.buf).map_err(|_| ListError::NotUtf8 {
            name: name.clone(),
            line,
        })?;
        let text = text.split('#').next().unwrap_or("").trim();
        let mut fields = text.split_whitespace();
        let Some(image) = fields.next() else {
            return Ok(None);
        };
        let identity = match fields.next() {
            Some(id) => Some(IdentityOverride::Exact(Reference::parse(id).map_err(
                |source| ListError::Identity {
                    name: name.clone(),
                    line,
                    source,
                },
            )?)),
            None => self.identity.clone(),
        };
        if fields.next().is_some() {
            return Err(ListError::TooManyFields { name, line });
        }
        ImageRequest::parse(image, identity)
            .map(Some)
            .map_err(|source| ListError::Image { name, line, source })
    }
}

impl<R: std::io::BufRead> Iterator for ImageList<R> {
    type Item = Result<ImageRequest, ListError>;

    /// The next image; after an error, nothing more.
    fn next(&mut self) -> Option<Self::Item> {
        use std::io::BufRead as _;
        while !self.done {
            self.buf.clear();
            self.line += 1;
            let read = (&mut self.reader)
                .take(MAX_IMAGE_LIST_LINE + 1)
                .read_until(b'\n', &mut self.buf);
            let result = match read {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) if self.buf.len() as u64 > MAX_IMAGE_LIST_LINE => {
                    Err(ListError::LineTooLong {
                        name: self.name.clone(),
                        line: self.line,
                    })
                }
                Ok(_) => self.parse_line(),
                Err(source) => Err(ListError::Io {
                    name: self.name.clone(),
                    source,
                }),
            };
            match result {
                Ok(None) => continue,
                Ok(Some(request)) => return Some(Ok(request)),
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

/// `sha256:…`-shaped (an algorithm, a colon, no slash), as opposed to
/// `host:port/repo` or `repo:tag`.
fn is_bare_digest(s: &str) -> bool {
    s.split_once(':').is_some_and(|(algo, rest)| {
        matches!(algo, "sha256" | "sha384" | "sha512") && !rest.contains('/')
    })
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
            Target::Digest(..)
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
        // As podman and `policy check` take them: `docker://`, `:latest`.
        assert_eq!(
            ImageRequest::parse("docker://quay.io/a/b", None)
                .unwrap()
                .target,
            Target::Reference(Reference::parse("quay.io/a/b:latest").unwrap())
        );
        for (input, hint) in [
            (
                "4.15",
                "4.15: a release version has three numbers, X.Y.Z (e.g. 4.15.0)",
            ),
            (
                "v4.15.0",
                "v4.15.0: release versions are written X.Y.Z, without a v (e.g. 4.15.0)",
            ),
            (
                "4",
                "4: a release version has three numbers, X.Y.Z (e.g. 4.0.0)",
            ),
        ] {
            let e = ImageRequest::parse(input, None).unwrap_err();
            assert_eq!(e.to_string(), hint);
        }
        assert!(ImageRequest::parse("Bad/Name:1", None).is_err());
    }

    #[test]
    fn image_lists_are_read_line_by_line() {
        let d = "sha256:0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363";
        let text = format!("# comment\n\nquay.io/a/b:1\n{d} quay.io/a/b:2 # why\r\nquay.io/a/c:3");
        let list = ImageList::new(text.as_bytes(), "l.txt".into(), None);
        let inputs: Vec<String> = list.map(|r| r.unwrap().input).collect();
        assert_eq!(inputs, ["quay.io/a/b:1", d, "quay.io/a/c:3"]);

        let mut list = ImageList::new(
            &b"quay.io/a/b:1\nx y z\nquay.io/a/b:2\n"[..],
            "l".into(),
            None,
        );
        assert!(list.next().unwrap().is_ok());
        let e = list.next().unwrap().unwrap_err();
        assert_eq!(
            e.to_string(),
            "l:2: expected `IMAGE [IDENTITY]`, found more fields"
        );
        assert!(list.next().is_none(), "nothing after an error");

        // A line without an end is refused at the limit, not read whole.
        let endless = std::io::BufReader::new(std::io::repeat(b'a'));
        let e = ImageList::new(endless, "stdin".into(), None)
            .next()
            .unwrap()
            .unwrap_err();
        assert!(matches!(e, ListError::LineTooLong { line: 1, .. }), "{e}");

        let e = ImageList::new(&b"quay.io/a/b:1 Bad/Name\n"[..], "l".into(), None)
            .next()
            .unwrap()
            .unwrap_err();
        assert!(e.to_string().starts_with("l:1: invalid IDENTITY"), "{e}");
        assert!(std::error::Error::source(&e).is_some());
    }
}
