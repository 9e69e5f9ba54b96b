//! Docker image references: parsing, normalisation and the identity
//! comparisons the signature policy needs.
//!
//! This module owns the single place where a string such as `busybox`,
//! `quay.io/org/repo:tag` or `registry/repo@sha256:…` becomes a
//! [`Reference`]. Parsing follows Go's `github.com/distribution/reference`
//! `ParseNormalizedNamed` (as used by containers/image and skopeo):
//!
//! ```text
//! reference        := name [ ":" tag ] [ "@" digest ]
//! name             := [domain '/'] remote-name
//! domain           := host [':' port-number]
//! host             := domain-name | \[ IPv6address \]   (IPv4 is a domain-name)
//! domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//! port-number      := /[0-9]+/
//! remote-name      := path-component ['/' path-component]*
//! path-component   := /[a-z0-9]+/ [separator /[a-z0-9]+/]*
//! separator        := /[_.]|__|[-]+/
//! tag              := /[\w][\w.-]{0,127}/
//! digest           := algorithm ":" hex
//! ```
//!
//! Normalisation: the part before the first `/` is the registry domain only
//! if it contains `.` or `:`, is `localhost`, or contains an upper-case
//! letter; otherwise the domain is `docker.io`. `index.docker.io` becomes
//! `docker.io`, and a single-component docker.io path gets `library/`. No
//! default tag is added: `testing/manifest` and `testing/manifest:latest`
//! are different identities, as in containers/image.
//!
//! Digests are validated like go-digest's `digest.Parse`, which
//! `ParseNormalizedNamed` applies: only `sha256`, `sha384` and `sha512`,
//! with exactly the right number of lower-case hex digits.

use crate::image::digest::DigestError;
use std::fmt;
use std::str::FromStr;

/// The registry used when a reference names none.
pub const DEFAULT_DOMAIN: &str = "docker.io";
/// The historical name of [`DEFAULT_DOMAIN`], normalised to it.
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
/// Prefix for single-component ("official") docker.io repositories.
const OFFICIAL_REPO_PREFIX: &str = "library/";
const LOCALHOST: &str = "localhost";
/// Maximum length of `domain/path`, in bytes.
pub const NAME_TOTAL_LENGTH_MAX: usize = 255;
/// Maximum length of a tag.
const TAG_MAX_LEN: usize = 128;

/// A parsed, normalised docker reference: `domain/path[:tag][@digest]`.
///
/// Equality is equality of the normalised string form, so two references
/// are equal exactly when containers' `matchExact` would compare their
/// `String()`s as equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<String>,
}

/// Why a string is not a valid docker reference. Every variant carries the
/// input as given; the message is one line:
/// `invalid reference "<input>": <what is wrong>`.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ReferenceError {
    #[error("invalid reference {input:?}: empty")]
    Empty { input: String },
    #[error(
        "invalid reference {input:?}: 64-byte hexadecimal strings are image IDs, not references"
    )]
    ImageId { input: String },
    #[error("invalid reference {input:?}: repository name must be lowercase")]
    Uppercase { input: String },
    #[error("invalid reference {input:?}: invalid registry domain")]
    InvalidDomain { input: String },
    #[error("invalid reference {input:?}: invalid repository name")]
    InvalidName { input: String },
    #[error("invalid reference {input:?}: name longer than {NAME_TOTAL_LENGTH_MAX} characters")]
    NameTooLong { input: String },
    #[error("invalid reference {input:?}: invalid tag")]
    InvalidTag { input: String },
    #[error("invalid reference {input:?}: invalid digest")]
    InvalidDigest { input: String },
    #[error("invalid reference {input:?}: digest must be lower case")]
    UppercaseDigest { input: String },
    #[error(
        "invalid reference {input:?}: unsupported digest algorithm (sha256, sha384 and sha512 are supported)"
    )]
    UnsupportedDigestAlgorithm { input: String },
}

impl ReferenceError {
    /// The string that failed to parse.
    pub fn input(&self) -> &str {
        match self {
            ReferenceError::Empty { input }
            | ReferenceError::ImageId { input }
            | ReferenceError::Uppercase { input }
            | ReferenceError::InvalidDomain { input }
            | ReferenceError::InvalidName { input }
            | ReferenceError::NameTooLong { input }
            | ReferenceError::InvalidTag { input }
            | ReferenceError::InvalidDigest { input }
            | ReferenceError::UppercaseDigest { input }
            | ReferenceError::UnsupportedDigestAlgorithm { input } => input,
        }
    }
}

/// The transport prefix of `skopeo`/`podman` image names, accepted in
/// front of an image.
pub const DOCKER_TRANSPORT: &str = "docker://";

impl Reference {
    /// Parses and normalises `s` like Go's `reference.ParseNormalizedNamed`.
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        let input = || s.to_owned();
        if s.is_empty() {
            return Err(ReferenceError::Empty { input: input() });
        }
        if is_image_id(s) {
            return Err(ReferenceError::ImageId { input: input() });
        }

        let (domain, remainder) = split_docker_domain(s);

        // Neither the path nor the tag may contain '@', and the path may not
        // contain ':', so the first '@' starts the digest and the first ':'
        // before it starts the tag.
        let (name_and_tag, digest) = match remainder.split_once('@') {
            Some((before, digest)) => (before, Some(digest)),
            None => (remainder.as_str(), None),
        };
        let (path, tag) = match name_and_tag.split_once(':') {
            Some((path, tag)) => (path, Some(tag)),
            None => (name_and_tag, None),
        };

        if path.chars().any(char::is_uppercase) {
            return Err(ReferenceError::Uppercase { input: input() });
        }
        if !is_valid_domain(domain) {
            return Err(ReferenceError::InvalidDomain { input: input() });
        }
        if !is_valid_path(path) {
            return Err(ReferenceError::InvalidName { input: input() });
        }
        if tag.is_some_and(|t| !is_valid_tag(t)) {
            return Err(ReferenceError::InvalidTag { input: input() });
        }
        if digest.is_some_and(|d| !is_well_formed_digest(d)) {
            return Err(ReferenceError::InvalidDigest { input: input() });
        }
        if domain.len() + 1 + path.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(ReferenceError::NameTooLong { input: input() });
        }
        if let Some(digest) = digest {
            check_digest_content(digest, input)?;
        }

        Ok(Reference {
            domain: domain.to_owned(),
            path: path.to_owned(),
            tag: tag.map(str::to_owned),
            digest: digest.map(str::to_owned),
        })
    }

    /// Parses an image to fetch the way podman and skopeo take one: an
    /// optional `docker://` transport prefix, and `:latest` added when
    /// neither a tag nor a digest is given. (An *identity* is parsed with
    /// [`Reference::parse`]: no default tag there.)
    pub fn parse_image(s: &str) -> Result<Reference, ReferenceError> {
        let r = Reference::parse(s.strip_prefix(DOCKER_TRANSPORT).unwrap_or(s))?;
        if r.is_name_only() {
            return r.with_tag("latest");
        }
        Ok(r)
    }

    /// The registry, e.g. `docker.io`, `quay.io`, `localhost:5000`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path within the registry, e.g. `library/busybox`.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest as `algorithm:hex`.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// `domain/path`, Go's `Name()`.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// True when the reference has neither a tag nor a digest.
    pub fn is_name_only(&self) -> bool {
        self.tag.is_none() && self.digest.is_none()
    }

    /// The same reference with its tag replaced by `tag` (any digest is
    /// kept, like Go's `WithTag`).
    pub fn with_tag(&self, tag: &str) -> Result<Reference, ReferenceError> {
        if !is_valid_tag(tag) {
            let mut candidate = format!("{}:{tag}", self.repository());
            if let Some(d) = &self.digest {
                candidate.push('@');
                candidate.push_str(d);
            }
            return Err(ReferenceError::InvalidTag { input: candidate });
        }
        Ok(Reference {
            tag: Some(tag.to_owned()),
            ..self.clone()
        })
    }

    /// The same reference with its digest replaced by `digest` (any tag is
    /// kept, like Go's `WithDigest`).
    pub fn with_digest(&self, digest: &str) -> Result<Reference, ReferenceError> {
        let candidate = || {
            let mut s = self.repository();
            if let Some(t) = &self.tag {
                s.push(':');
                s.push_str(t);
            }
            s.push('@');
            s.push_str(digest);
            s
        };
        if !is_well_formed_digest(digest) {
            return Err(ReferenceError::InvalidDigest { input: candidate() });
        }
        check_digest_content(digest, candidate)?;
        Ok(Reference {
            digest: Some(digest.to_owned()),
            ..self.clone()
        })
    }

    /// Just the repository: no tag and no digest.
    pub fn without_tag_or_digest(&self) -> Reference {
        Reference {
            domain: self.domain.clone(),
            path: self.path.clone(),
            tag: None,
            digest: None,
        }
    }

    /// True when both references name the same repository (`domain/path`),
    /// whatever their tags or digests: containers' `matchRepository`.
    pub fn same_repository(&self, other: &Reference) -> bool {
        self.domain == other.domain && self.path == other.path
    }

    /// containers' `matchExact`: neither reference is name-only and their
    /// normalised forms are identical.
    pub fn matches_exactly(&self, other: &Reference) -> bool {
        !self.is_name_only() && !other.is_name_only() && self == other
    }

    /// The identity containers/image uses to look up a policy scope
    /// (`dockerReferenceIdentity`): `domain/path:tag` or
    /// `domain/path@digest`. `None` for a name-only reference or one with
    /// both a tag and a digest, which containers/image rejects.
    pub fn policy_identity(&self) -> Option<String> {
        match (&self.tag, &self.digest) {
            (Some(tag), None) => Some(format!("{}:{tag}", self.repository())),
            (None, Some(digest)) => Some(format!("{}@{digest}", self.repository())),
            _ => None,
        }
    }

    /// Every policy.json / registries.d scope name that covers this
    /// reference, most specific first: [`Self::policy_identity`] (when
    /// there is one), then [`Self::policy_namespaces`].
    pub fn policy_scopes(&self) -> Vec<String> {
        self.policy_identity()
            .into_iter()
            .chain(self.policy_namespaces())
            .collect()
    }

    /// The enclosing policy scopes, most specific first, as
    /// containers/image's `dockerReferenceNamespaces`: the repository, each
    /// parent namespace, the domain, then wildcard domains (`*.example.com`,
    /// `*.com`) computed from the domain without its port.
    pub fn policy_namespaces(&self) -> Vec<String> {
        let full = self.repository();
        let mut name = full.as_str();
        let mut res = vec![name.to_owned()];
        while let Some((parent, _)) = name.rsplit_once('/') {
            name = parent;
            res.push(name.to_owned());
        }
        if let Some((host, _)) = name.split_once(':') {
            name = host;
        }
        while let Some((_, rest)) = name.split_once('.') {
            name = rest;
            res.push(format!("*.{name}"));
        }
        res
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.path)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse(s)
    }
}

/// Go's `splitDockerDomain`: the domain and the rest (path, tag, digest),
/// with docker.io defaults applied.
fn split_docker_domain(name: &str) -> (&str, String) {
    let (mut domain, remainder) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == LOCALHOST
                || first.chars().any(char::is_uppercase) =>
        {
            (first, rest)
        }
        _ => (DEFAULT_DOMAIN, name),
    };
    if domain == LEGACY_DEFAULT_DOMAIN {
        domain = DEFAULT_DOMAIN;
    }
    let remainder = if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        format!("{OFFICIAL_REPO_PREFIX}{remainder}")
    } else {
        remainder.to_owned()
    };
    (domain, remainder)
}

/// Exactly 64 lower-case hex digits: an image ID, not a name.
fn is_image_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(is_lower_hex)
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// `host [':' port]`, host being a domain name (or IPv4 address) or a
/// bracketed IPv6 address.
pub(crate) fn is_valid_domain(domain: &str) -> bool {
    let port = if let Some(bracketed) = domain.strip_prefix('[') {
        let Some((addr, rest)) = bracketed.split_once(']') else {
            return false;
        };
        if addr.is_empty() || !addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return false;
        }
        if rest.is_empty() {
            None
        } else {
            match rest.strip_prefix(':') {
                Some(port) => Some(port),
                None => return false,
            }
        }
    } else {
        let (host, port) = match domain.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (domain, None),
        };
        if !host.split('.').all(is_valid_domain_component) {
            return false;
        }
        port
    };
    match port {
        Some(port) => !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()),
        None => true,
    }
}

/// `[a-zA-Z0-9]` or `[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`.
fn is_valid_domain_component(c: &str) -> bool {
    let bytes = c.as_bytes();
    matches!(bytes.first(), Some(b) if b.is_ascii_alphanumeric())
        && matches!(bytes.last(), Some(b) if b.is_ascii_alphanumeric())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

/// `path-component ['/' path-component]*`.
pub(crate) fn is_valid_path(path: &str) -> bool {
    path.split('/').all(is_valid_path_component)
}

fn is_path_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// `[a-z0-9]+ (separator [a-z0-9]+)*` with separator `[_.]|__|[-]+`.
fn is_valid_path_component(c: &str) -> bool {
    let starts = c.chars().next().is_some_and(is_path_alnum);
    let ends = c.chars().next_back().is_some_and(is_path_alnum);
    // Splitting on alphanumerics leaves the separators (and empty strings
    // between adjacent alphanumerics); each separator must be valid.
    starts
        && ends
        && c.split(is_path_alnum)
            .all(|sep| sep.is_empty() || is_valid_separator(sep))
}

fn is_valid_separator(sep: &str) -> bool {
    matches!(sep, "." | "_" | "__") || (!sep.is_empty() && sep.bytes().all(|b| b == b'-'))
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `[\w][\w.-]{0,127}`.
fn is_valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    bytes.len() <= TAG_MAX_LEN
        && matches!(bytes.first(), Some(b) if is_word_byte(*b))
        && bytes
            .iter()
            .all(|b| is_word_byte(*b) || *b == b'.' || *b == b'-')
}

/// The reference grammar's digest:
/// `[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`.
fn is_well_formed_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let algorithm_ok = algorithm.split(['-', '_', '+', '.']).all(|component| {
        let bytes = component.as_bytes();
        matches!(bytes.first(), Some(b) if b.is_ascii_alphabetic())
            && bytes.iter().all(u8::is_ascii_alphanumeric)
    });
    algorithm_ok && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// go-digest's validation of a well-formed digest: a supported algorithm
/// and exactly its length in lower-case hex.
fn check_digest_content(digest: &str, input: impl Fn() -> String) -> Result<(), ReferenceError> {
    match crate::image::digest::Digest::parse(digest) {
        Ok(_) => Ok(()),
        Err(DigestError::UnsupportedAlgorithm(_)) => {
            Err(ReferenceError::UnsupportedDigestAlgorithm { input: input() })
        }
        Err(DigestError::Uppercase(_)) => Err(ReferenceError::UppercaseDigest { input: input() }),
        Err(_) => Err(ReferenceError::InvalidDigest { input: input() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX64: &str = "50b9402635dd4b312a86bed05dcdbda8c00120d3789ec2e9b527045100b3bdb4";

    fn sha256() -> String {
        format!("sha256:{HEX64}")
    }

    fn ok(s: &str) -> Reference {
        match Reference::parse(s) {
            Ok(r) => r,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn err(s: &str) -> ReferenceError {
        match Reference::parse(s) {
            Ok(r) => panic!("{s:?} should be rejected, got {r}"),
            Err(e) => e,
        }
    }

    fn parts(r: &Reference) -> (&str, &str, Option<&str>, Option<&str>) {
        (r.domain(), r.path(), r.tag(), r.digest())
    }

    #[test]
    fn official_image_gets_docker_io_and_library() {
        let r = ok("busybox");
        assert_eq!(parts(&r), ("docker.io", "library/busybox", None, None));
        assert_eq!(r.to_string(), "docker.io/library/busybox");
        assert_eq!(r.repository(), "docker.io/library/busybox");
        assert!(r.is_name_only());
    }

    #[test]
    fn legacy_index_domain_is_normalised() {
        assert_eq!(
            ok("index.docker.io/foo").to_string(),
            "docker.io/library/foo"
        );
        assert_eq!(ok("index.docker.io/a/b").to_string(), "docker.io/a/b");
        assert_eq!(ok("docker.io/foo").to_string(), "docker.io/library/foo");
    }

    #[test]
    fn namespaced_docker_hub_repository() {
        let r = ok("testing/manifest");
        assert_eq!(parts(&r), ("docker.io", "testing/manifest", None, None));
        assert_eq!(r.to_string(), "docker.io/testing/manifest");
    }

    #[test]
    fn images_to_fetch_take_a_transport_prefix_and_a_default_tag() {
        let latest = ok("quay.io/a/b:latest");
        assert_eq!(Reference::parse_image("quay.io/a/b").unwrap(), latest);
        assert_eq!(
            Reference::parse_image("docker://quay.io/a/b").unwrap(),
            latest
        );
        assert_eq!(
            Reference::parse_image("docker://quay.io/a/b:1").unwrap(),
            ok("quay.io/a/b:1")
        );
        let pinned = sha256();
        assert_eq!(
            Reference::parse_image(&format!("quay.io/a/b@{pinned}")).unwrap(),
            ok(&format!("quay.io/a/b@{pinned}"))
        );
    }

    #[test]
    fn upper_case_digests_are_named_as_such() {
        let upper = format!("quay.io/a/b@sha256:{}", HEX64.to_uppercase());
        let e = Reference::parse(&upper).unwrap_err();
        assert!(matches!(e, ReferenceError::UppercaseDigest { .. }), "{e:?}");
        assert!(e.to_string().ends_with("digest must be lower case"), "{e}");
        let e = crate::image::digest::Digest::parse(&format!("sha256:{}", HEX64.to_uppercase()))
            .unwrap_err();
        assert!(e.to_string().ends_with("digest must be lower case"), "{e}");
    }

    #[test]
    fn no_default_tag_is_added() {
        assert_ne!(ok("testing/manifest"), ok("testing/manifest:latest"));
        assert_eq!(ok("testing/manifest"), ok("docker.io/testing/manifest"));
        assert_eq!(
            ok("testing/manifest:latest").to_string(),
            "docker.io/testing/manifest:latest"
        );
    }

    #[test]
    fn localhost_is_a_domain() {
        let r = ok("localhost/x");
        assert_eq!(parts(&r), ("localhost", "x", None, None));
        assert_eq!(r.to_string(), "localhost/x");
        // Without a slash it is just an official image name.
        assert_eq!(ok("localhost").to_string(), "docker.io/library/localhost");
    }

    #[test]
    fn localhost_with_port_and_tag() {
        let r = ok("localhost:5000/a/b:t");
        assert_eq!(parts(&r), ("localhost:5000", "a/b", Some("t"), None));
        assert_eq!(r.to_string(), "localhost:5000/a/b:t");
    }

    #[test]
    fn bare_host_and_port_is_a_tagged_official_image() {
        // As in Go: no '/', so "5000" is a tag.
        let r = ok("localhost:5000");
        assert_eq!(
            parts(&r),
            ("docker.io", "library/localhost", Some("5000"), None)
        );
    }

    #[test]
    fn ipv4_with_port() {
        let r = ok("127.0.0.1:5000/albo/x:0.0.1");
        assert_eq!(parts(&r), ("127.0.0.1:5000", "albo/x", Some("0.0.1"), None));
        assert_eq!(r.to_string(), "127.0.0.1:5000/albo/x:0.0.1");
    }

    #[test]
    fn ipv6_with_and_without_port() {
        let r = ok("[::1]:5000/a");
        assert_eq!(parts(&r), ("[::1]:5000", "a", None, None));
        assert_eq!(r.to_string(), "[::1]:5000/a");
        assert_eq!(ok("[fe80::1]/a/b:c").domain(), "[fe80::1]");
        assert_eq!(
            err("[::1]x/a"),
            ReferenceError::InvalidDomain {
                input: "[::1]x/a".into()
            }
        );
        assert_eq!(
            err("[]:5000/a"),
            ReferenceError::InvalidDomain {
                input: "[]:5000/a".into()
            }
        );
        assert_eq!(
            err("[::g]/a"),
            ReferenceError::InvalidDomain {
                input: "[::g]/a".into()
            }
        );
    }

    #[test]
    fn quay_release_image() {
        let r = ok("quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64");
        assert_eq!(
            parts(&r),
            (
                "quay.io",
                "openshift-release-dev/ocp-release",
                Some("4.15.0-x86_64"),
                None
            )
        );
        assert_eq!(
            r.to_string(),
            "quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64"
        );
    }

    #[test]
    fn digest_reference() {
        let s = format!(
            "registry.access.redhat.com/albo/aws-load-balancer-operator-bundle@{}",
            sha256()
        );
        let r = ok(&s);
        assert_eq!(
            parts(&r),
            (
                "registry.access.redhat.com",
                "albo/aws-load-balancer-operator-bundle",
                None,
                Some(sha256().as_str())
            )
        );
        assert_eq!(r.to_string(), s);
        assert!(!r.is_name_only());
    }

    #[test]
    fn tag_and_digest_together() {
        let r = ok(&format!("quay.io/a/b:v1@{}", sha256()));
        assert_eq!(
            parts(&r),
            ("quay.io", "a/b", Some("v1"), Some(sha256().as_str()))
        );
        assert_eq!(r.to_string(), format!("quay.io/a/b:v1@{}", sha256()));
        let official = ok(&format!("busybox:1@{}", sha256()));
        assert_eq!(
            official.to_string(),
            format!("docker.io/library/busybox:1@{}", sha256())
        );
    }

    #[test]
    fn other_digest_algorithms() {
        let h96 = "a".repeat(96);
        let h128 = "b".repeat(128);
        assert_eq!(
            ok(&format!("a@sha384:{h96}")).digest(),
            Some(format!("sha384:{h96}").as_str())
        );
        assert_eq!(
            ok(&format!("a@sha512:{h128}")).digest(),
            Some(format!("sha512:{h128}").as_str())
        );
    }

    #[test]
    fn separators_in_path() {
        assert_eq!(ok("a/b.c_d__e---f").path(), "a/b.c_d__e---f");
        for bad in ["a/b..c", "a/b___c", "a/b._c", "a/b-.c", "a/b.", "a/_b"] {
            assert_eq!(err(bad), ReferenceError::InvalidName { input: bad.into() });
        }
    }

    #[test]
    fn uppercase_path_is_rejected() {
        let e = err("UPPERCASEISINVALID");
        assert_eq!(
            e,
            ReferenceError::Uppercase {
                input: "UPPERCASEISINVALID".into()
            }
        );
        assert_eq!(
            err("UPPER").to_string(),
            r#"invalid reference "UPPER": repository name must be lowercase"#
        );
        assert_eq!(
            err("quay.io/Org/repo"),
            ReferenceError::Uppercase {
                input: "quay.io/Org/repo".into()
            }
        );
        // An upper-case tag is fine.
        assert_eq!(ok("a/b:Latest").tag(), Some("Latest"));
    }

    #[test]
    fn uppercase_first_component_is_a_domain() {
        let r = ok("Foo/bar");
        assert_eq!(parts(&r), ("Foo", "bar", None, None));
        assert_eq!(r.to_string(), "Foo/bar");
    }

    #[test]
    fn empty_is_rejected() {
        assert_eq!(err(""), ReferenceError::Empty { input: "".into() });
        assert_eq!(err("").to_string(), r#"invalid reference "": empty"#);
    }

    #[test]
    fn empty_path_component_is_rejected() {
        assert_eq!(
            err("a//b"),
            ReferenceError::InvalidName {
                input: "a//b".into()
            }
        );
        assert_eq!(
            err("/a"),
            ReferenceError::InvalidName { input: "/a".into() }
        );
        assert_eq!(
            err("quay.io/"),
            ReferenceError::InvalidName {
                input: "quay.io/".into()
            }
        );
    }

    #[test]
    fn trailing_slash_is_rejected() {
        assert_eq!(
            err("a/b/"),
            ReferenceError::InvalidName {
                input: "a/b/".into()
            }
        );
        assert_eq!(
            err("a/"),
            ReferenceError::InvalidName { input: "a/".into() }
        );
    }

    #[test]
    fn leading_dash_is_rejected() {
        assert_eq!(
            err("-a"),
            ReferenceError::InvalidName { input: "-a".into() }
        );
    }

    #[test]
    fn empty_tag_is_rejected() {
        assert_eq!(
            err("a/b:"),
            ReferenceError::InvalidTag {
                input: "a/b:".into()
            }
        );
    }

    #[test]
    fn double_colon_is_an_invalid_tag() {
        let e = err("a:b:c");
        assert_eq!(
            e,
            ReferenceError::InvalidTag {
                input: "a:b:c".into()
            }
        );
        assert_eq!(e.to_string(), r#"invalid reference "a:b:c": invalid tag"#);
        assert_eq!(e.input(), "a:b:c");
    }

    #[test]
    fn tag_length_limit() {
        let max = format!("busybox:{}", "t".repeat(128));
        assert_eq!(ok(&max).tag().map(str::len), Some(128));
        let long = format!("busybox:{}", "t".repeat(129));
        assert_eq!(
            err(&long),
            ReferenceError::InvalidTag {
                input: long.clone()
            }
        );
        assert_eq!(
            err("a:.x"),
            ReferenceError::InvalidTag {
                input: "a:.x".into()
            }
        );
    }

    #[test]
    fn short_digest_is_rejected() {
        assert_eq!(
            err("a@sha256:short"),
            ReferenceError::InvalidDigest {
                input: "a@sha256:short".into()
            }
        );
        assert_eq!(
            err("a@"),
            ReferenceError::InvalidDigest { input: "a@".into() }
        );
        let s = format!("a@{}@{}", sha256(), sha256());
        assert_eq!(err(&s), ReferenceError::InvalidDigest { input: s.clone() });
    }

    #[test]
    fn digest_validated_like_go_digest() {
        // Well-formed per the grammar but the wrong length for sha256.
        let s = format!("a@sha256:{}", "a".repeat(32));
        assert_eq!(err(&s), ReferenceError::InvalidDigest { input: s.clone() });
        // Upper-case hex is rejected by go-digest (and named as such).
        let s = format!("a@sha256:{}", HEX64.to_uppercase());
        assert_eq!(
            err(&s),
            ReferenceError::UppercaseDigest { input: s.clone() }
        );
        // Well-formed, unknown algorithm.
        let s = format!("a@md5:{}", "a".repeat(32));
        assert_eq!(
            err(&s),
            ReferenceError::UnsupportedDigestAlgorithm { input: s.clone() }
        );
        // Malformed algorithm.
        let s = format!("a@1sha:{}", "a".repeat(32));
        assert_eq!(err(&s), ReferenceError::InvalidDigest { input: s.clone() });
    }

    #[test]
    fn image_id_is_rejected() {
        let e = err(HEX64);
        assert_eq!(
            e,
            ReferenceError::ImageId {
                input: HEX64.into()
            }
        );
        assert_eq!(
            e.to_string(),
            format!(
                "invalid reference \"{HEX64}\": 64-byte hexadecimal strings are image IDs, not references"
            )
        );
        // Not exactly 64 lower-case hex digits: an ordinary name.
        let r = ok(&HEX64[..63]);
        assert_eq!(r.path(), format!("library/{}", &HEX64[..63]));
    }

    #[test]
    fn name_length_limit() {
        // "example.com/" is 12 bytes.
        let max = format!("example.com/{}", "a".repeat(243));
        assert_eq!(ok(&max).repository().len(), 255);
        let long = format!("example.com/{}", "a".repeat(244));
        let e = err(&long);
        assert_eq!(
            e,
            ReferenceError::NameTooLong {
                input: long.clone()
            }
        );
        assert!(e.to_string().ends_with(": name longer than 255 characters"));
        // The limit applies to the normalised name ("docker.io/library/" is 18).
        let official = "a".repeat(238);
        assert_eq!(
            err(&official),
            ReferenceError::NameTooLong {
                input: official.clone()
            }
        );
        assert_eq!(ok(&"a".repeat(237)).repository().len(), 255);
    }

    #[test]
    fn invalid_domains() {
        for bad in [
            "-a.com/b",
            "a-.com/b",
            "a..com/b",
            "a.com:/b",
            "a.com:x/b",
            "a.com:1:2/b",
            "a_b.com/c",
        ] {
            assert_eq!(
                err(bad),
                ReferenceError::InvalidDomain { input: bad.into() }
            );
        }
        assert_eq!(ok("a-b.com:443/c").domain(), "a-b.com:443");
    }

    #[test]
    fn error_messages_are_one_line() {
        let e = err("a\nb");
        assert_eq!(
            e.to_string(),
            r#"invalid reference "a\nb": invalid repository name"#
        );
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn from_str_matches_parse() {
        let r: Reference = "busybox:1".parse().unwrap();
        assert_eq!(r, ok("docker.io/library/busybox:1"));
        assert_eq!(
            "UPPER".parse::<Reference>(),
            Err(ReferenceError::Uppercase {
                input: "UPPER".into()
            })
        );
    }

    #[test]
    fn with_tag_replaces_tag_and_keeps_digest() {
        let r = ok("quay.io/a/b:1");
        assert_eq!(r.with_tag("2").unwrap().to_string(), "quay.io/a/b:2");
        let d = ok(&format!("quay.io/a/b@{}", sha256()));
        assert_eq!(
            d.with_tag("x").unwrap().to_string(),
            format!("quay.io/a/b:x@{}", sha256())
        );
        assert_eq!(
            r.with_tag("bad tag"),
            Err(ReferenceError::InvalidTag {
                input: "quay.io/a/b:bad tag".into()
            })
        );
    }

    #[test]
    fn with_digest_replaces_digest_and_keeps_tag() {
        let r = ok("quay.io/a/b:1");
        assert_eq!(
            r.with_digest(&sha256()).unwrap().to_string(),
            format!("quay.io/a/b:1@{}", sha256())
        );
        assert_eq!(
            r.with_digest("sha256:short"),
            Err(ReferenceError::InvalidDigest {
                input: "quay.io/a/b:1@sha256:short".into()
            })
        );
        let md5 = format!("md5:{}", "a".repeat(32));
        assert_eq!(
            r.with_digest(&md5),
            Err(ReferenceError::UnsupportedDigestAlgorithm {
                input: format!("quay.io/a/b:1@{md5}")
            })
        );
    }

    #[test]
    fn without_tag_or_digest_keeps_repository() {
        let r = ok(&format!("quay.io/a/b:1@{}", sha256()));
        let bare = r.without_tag_or_digest();
        assert_eq!(bare.to_string(), "quay.io/a/b");
        assert!(bare.is_name_only());
        assert!(bare.same_repository(&r));
    }

    #[test]
    fn identity_comparisons() {
        let a1 = ok("quay.io/a/b:1");
        let a2 = ok("quay.io/a/b:2");
        let other = ok("quay.io/a/c:1");
        assert!(a1.same_repository(&a2));
        assert!(!a1.same_repository(&other));
        assert!(a1.matches_exactly(&ok("quay.io/a/b:1")));
        assert!(!a1.matches_exactly(&a2));
        // Name-only references never match exactly, even themselves.
        let bare = ok("quay.io/a/b");
        assert!(!bare.matches_exactly(&bare));
    }

    #[test]
    fn policy_identity_and_namespaces() {
        assert_eq!(
            ok("busybox:1").policy_identity().as_deref(),
            Some("docker.io/library/busybox:1")
        );
        assert_eq!(
            ok(&format!("quay.io/a/b@{}", sha256())).policy_identity(),
            Some(format!("quay.io/a/b@{}", sha256()))
        );
        assert_eq!(ok("busybox").policy_identity(), None);
        assert_eq!(ok(&format!("a:1@{}", sha256())).policy_identity(), None);

        assert_eq!(
            ok("quay.example.com:8443/ns/repo:1").policy_namespaces(),
            vec![
                "quay.example.com:8443/ns/repo",
                "quay.example.com:8443/ns",
                "quay.example.com:8443",
                "*.example.com",
                "*.com",
            ]
        );
        assert_eq!(
            ok("busybox").policy_namespaces(),
            vec![
                "docker.io/library/busybox",
                "docker.io/library",
                "docker.io",
                "*.io",
            ]
        );
    }

    #[test]
    fn multibyte_input_never_panics() {
        for s in [
            "é",
            "日本/語",
            "a:é",
            "a@é",
            "a@sha256:é",
            "[é]:1/a",
            "é.com/a",
            "a/é",
            "quay.io:é/a",
            "a/b:tag@sha256:ü",
            "É/a",
            "\u{0}",
            "@",
            ":",
            "/",
            "[",
            "]/a",
            "[::1/a",
        ] {
            assert!(Reference::parse(s).is_err(), "{s:?} should be rejected");
        }
    }

    /// Parses many pseudo-random strings: no panics, and every accepted
    /// reference's display form re-parses to the same reference.
    #[test]
    fn pseudo_random_inputs_round_trip() {
        const ALPHABET: &[&str] = &[
            "a",
            "b",
            "z",
            "0",
            "9",
            "A",
            "Z",
            ".",
            "_",
            "-",
            "/",
            ":",
            "@",
            "[",
            "]",
            "é",
            "日",
            "sha256",
            "localhost",
            "docker.io",
            "index.docker.io",
            HEX64,
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut accepted = 0;
        for _ in 0..20_000 {
            let len = (next() % 8) as usize;
            let s: String = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            if let Ok(r) = Reference::parse(&s) {
                accepted += 1;
                assert_eq!(Reference::parse(&r.to_string()), Ok(r.clone()), "{s:?}");
            }
        }
        assert!(accepted > 0);
    }
}
