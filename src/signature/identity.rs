//! Where the signed identity is compared: the rules that decide whether
//! the `docker-reference` a signature names is acceptable for the image
//! being checked.

use crate::image::reference::Reference;
use std::fmt;

/// What the signed identity must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedIdentity {
    /// Exactly this reference, after normalisation and without adding a
    /// default tag (`standalone-verify`, containers' `matchExact`).
    Exact(Reference),
    /// Any reference in this reference's repository (`matchRepository`,
    /// `exactRepository`, `--identity-repository`).
    Repository(Reference),
    /// containers' `matchRepoDigestOrExact`: for a digest reference, any
    /// identity in the same repository; for a tag reference, exactly it.
    /// A name-only signed identity never matches.
    RepoDigestOrExact(Reference),
}

/// A signed identity that is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("signed identity {signed:?} is not a valid docker reference: {detail}")]
    Invalid { signed: String, detail: String },
    #[error("signed identity {signed:?} does not match expected {expected}")]
    Mismatch { signed: String, expected: String },
}

/// A `remapIdentity` prefix that containers/image refuses when it loads
/// the policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "prefix {0:?} is not valid: expected a registry host[:port] or host[:port]/repository/path"
)]
pub struct PrefixError(pub String);

/// A remapped image reference that is not a valid, canonical reference,
/// so that no signature can match it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("remapping {from:?} gives {to:?}, which is not a canonical docker reference")]
pub struct RemapError {
    pub from: String,
    pub to: String,
}

impl ExpectedIdentity {
    /// The reference (or, for a repository match, the repository) the
    /// identity names, as the JSON output shows it.
    pub fn name(&self) -> String {
        match self {
            ExpectedIdentity::Exact(r) | ExpectedIdentity::RepoDigestOrExact(r) => r.to_string(),
            ExpectedIdentity::Repository(r) => r.repository(),
        }
    }

    /// Checks the identity a signature names; returns it parsed.
    pub fn check(&self, signed: &str) -> Result<Reference, IdentityError> {
        let parsed = Reference::parse(signed).map_err(|e| IdentityError::Invalid {
            signed: signed.to_string(),
            detail: e.to_string(),
        })?;
        let ok = match self {
            ExpectedIdentity::Exact(r) => parsed == *r,
            ExpectedIdentity::Repository(r) => parsed.repository() == r.repository(),
            // A reference with both a tag and a digest counts as tagged,
            // as in containers/image.
            ExpectedIdentity::RepoDigestOrExact(r) => {
                if parsed.is_name_only() {
                    false
                } else if r.tag().is_some() {
                    parsed == *r
                } else if r.digest().is_some() {
                    parsed.same_repository(r)
                } else {
                    false
                }
            }
        };
        if ok {
            Ok(parsed)
        } else {
            Err(IdentityError::Mismatch {
                signed: parsed.to_string(),
                expected: self.to_string(),
            })
        }
    }

    /// containers' `remapIdentity`: when the image's repository is `prefix`
    /// or lies under it, the image reference with `prefix` replaced by
    /// `signed_prefix`, compared like `matchRepoDigestOrExact`; otherwise
    /// the image reference itself. The rewritten string must be a
    /// canonical reference (fully qualified, normalised), as
    /// containers/image requires.
    pub fn remapped(
        image: &Reference,
        prefix: &str,
        signed_prefix: &str,
    ) -> Result<ExpectedIdentity, RemapError> {
        let name = image.repository();
        // Only whole path components match: `quay.io/a` covers
        // `quay.io/a/b` but not `quay.io/ab`.
        let covered = name == prefix
            || name
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'));
        if !covered {
            return Ok(ExpectedIdentity::RepoDigestOrExact(image.clone()));
        }
        let from = image.to_string();
        let to = format!("{signed_prefix}{}", &from[prefix.len()..]);
        match Reference::parse(&to) {
            Ok(r) if r.to_string() == to => Ok(ExpectedIdentity::RepoDigestOrExact(r)),
            _ => Err(RemapError { from, to }),
        }
    }
}

/// Checks a `remapIdentity` `prefix` or `signedPrefix` as containers/image
/// does when loading a policy: a registry domain (`host[:port]`), or a
/// domain followed by a repository path. Short names (`busybox`) pass
/// this check but never match, as there.
pub fn validate_remap_prefix(prefix: &str) -> Result<(), PrefixError> {
    use crate::image::reference::{is_valid_domain, is_valid_path};
    let ok = match prefix.split_once('/') {
        None => is_valid_domain(prefix),
        Some((domain, path)) => is_valid_domain(domain) && is_valid_path(path),
    };
    if ok {
        Ok(())
    } else {
        Err(PrefixError(prefix.to_string()))
    }
}

impl fmt::Display for ExpectedIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedIdentity::Exact(r) => write!(f, "{:?}", r.to_string()),
            ExpectedIdentity::Repository(r) => {
                write!(f, "{:?} (any tag or digest)", r.repository())
            }
            ExpectedIdentity::RepoDigestOrExact(r) if r.tag().is_none() && r.digest().is_some() => {
                write!(f, "{:?} (any tag or digest)", r.repository())
            }
            ExpectedIdentity::RepoDigestOrExact(r) => write!(f, "{:?}", r.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Reference {
        Reference::parse(s).unwrap()
    }

    #[test]
    fn exact_normalises_but_adds_no_tag() {
        let e = ExpectedIdentity::Exact(r("testing/manifest"));
        assert!(e.check("docker.io/testing/manifest").is_ok());
        assert!(matches!(
            e.check("testing/manifest:latest"),
            Err(IdentityError::Mismatch { .. })
        ));
        assert!(matches!(
            e.check("UPPER"),
            Err(IdentityError::Invalid { .. })
        ));
    }

    #[test]
    fn repository_and_digest_rules() {
        let d = "sha256:50b9402635dd4b312a86bed05dcdbda8c00120d3789ec2e9b527045100b3bdb4";
        let pinned = r(&format!("quay.io/a/b@{d}"));
        assert!(
            ExpectedIdentity::RepoDigestOrExact(pinned.clone())
                .check("quay.io/a/b:1")
                .is_ok()
        );
        assert!(
            ExpectedIdentity::RepoDigestOrExact(pinned)
                .check("quay.io/a/c:1")
                .is_err()
        );
        assert!(
            ExpectedIdentity::RepoDigestOrExact(r("quay.io/a/b:1"))
                .check("quay.io/a/b:2")
                .is_err()
        );
        assert!(
            ExpectedIdentity::Repository(r("quay.io/a/b"))
                .check("quay.io/a/b:2")
                .is_ok()
        );
    }

    #[test]
    fn repo_digest_or_exact_follows_containers_image() {
        let d = "sha256:50b9402635dd4b312a86bed05dcdbda8c00120d3789ec2e9b527045100b3bdb4";
        // A name-only signed identity never matches, even for a digest image.
        let pinned = ExpectedIdentity::RepoDigestOrExact(r(&format!("quay.io/a/b@{d}")));
        assert!(matches!(
            pinned.check("quay.io/a/b"),
            Err(IdentityError::Mismatch { .. })
        ));
        // Tag and digest together: compared as a tagged reference.
        let both = ExpectedIdentity::RepoDigestOrExact(r(&format!("quay.io/a/b:1@{d}")));
        assert!(both.check("quay.io/a/b:2").is_err());
        assert!(both.check(&format!("quay.io/a/b:1@{d}")).is_ok());
        // A name-only expected reference accepts nothing.
        let bare = ExpectedIdentity::RepoDigestOrExact(r("quay.io/a/b"));
        assert!(bare.check("quay.io/a/b").is_err());
    }

    #[test]
    fn remap_rewrites_whole_components_only() {
        let image = r("127.0.0.1:5000/albo/bundle:0.0.1");
        let e =
            ExpectedIdentity::remapped(&image, "127.0.0.1:5000/albo", "registry.redhat.io/albo")
                .unwrap();
        assert_eq!(
            e,
            ExpectedIdentity::RepoDigestOrExact(r("registry.redhat.io/albo/bundle:0.0.1"))
        );
        assert!(e.check("registry.redhat.io/albo/bundle:0.0.1").is_ok());
        assert!(e.check("127.0.0.1:5000/albo/bundle:0.0.1").is_err());
        // `127.0.0.1:5000/alb` is not a component prefix of `…/albo/…`.
        let untouched = ExpectedIdentity::remapped(&image, "127.0.0.1:5000/alb", "x.io").unwrap();
        assert_eq!(
            untouched,
            ExpectedIdentity::RepoDigestOrExact(image.clone())
        );
        // A short signed prefix gives a non-canonical reference.
        let err = ExpectedIdentity::remapped(&image, "127.0.0.1:5000", "busybox").unwrap_err();
        assert_eq!(err.to, "busybox/albo/bundle:0.0.1");
    }

    #[test]
    fn remap_prefix_validation() {
        for ok in [
            "quay.io",
            "localhost:5000",
            "quay.io/a/b",
            "busybox",
            "[::1]:5000/a",
        ] {
            assert!(validate_remap_prefix(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "quay.io/",
            "quay.io/A",
            "quay.io/a:tag",
            "http://quay.io",
            "a b",
        ] {
            assert_eq!(
                validate_remap_prefix(bad),
                Err(PrefixError(bad.to_string())),
                "{bad}"
            );
        }
    }
}
