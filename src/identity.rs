//! Where the signed identity is compared: the rules that decide whether
//! the `docker-reference` a signature names is acceptable for the image
//! being checked.

use crate::reference::Reference;
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

impl ExpectedIdentity {
    /// Checks the identity a signature names; returns it parsed.
    pub fn check(&self, signed: &str) -> Result<Reference, IdentityError> {
        let parsed = Reference::parse(signed).map_err(|e| IdentityError::Invalid {
            signed: signed.to_string(),
            detail: e.to_string(),
        })?;
        let ok = match self {
            ExpectedIdentity::Exact(r) => parsed == *r,
            ExpectedIdentity::Repository(r) => parsed.repository() == r.repository(),
            ExpectedIdentity::RepoDigestOrExact(r) => {
                if r.digest().is_some() {
                    parsed.repository() == r.repository()
                } else {
                    parsed == *r
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
}

impl fmt::Display for ExpectedIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedIdentity::Exact(r) => write!(f, "{:?}", r.to_string()),
            ExpectedIdentity::Repository(r) => {
                write!(f, "{:?} (any tag or digest)", r.repository())
            }
            ExpectedIdentity::RepoDigestOrExact(r) if r.digest().is_some() => {
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
}
