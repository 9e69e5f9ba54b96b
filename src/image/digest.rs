//! Content digests (`algorithm:hex`): parsing with the same rules as
//! opencontainers/go-digest, and hashing bytes with a given algorithm.

use sha2::{Digest as _, Sha256, Sha384, Sha512};
use std::fmt;

/// A hash algorithm a digest may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha384 => 96,
            Algorithm::Sha512 => 128,
        }
    }

    /// Hashes `data`, returning the digest in this algorithm.
    pub fn hash(self, data: &[u8]) -> Digest {
        let hex = match self {
            Algorithm::Sha256 => hex_lower(&Sha256::digest(data)),
            Algorithm::Sha384 => hex_lower(&Sha384::digest(data)),
            Algorithm::Sha512 => hex_lower(&Sha512::digest(data)),
        };
        Digest {
            algorithm: self,
            hex,
        }
    }
}

/// A digest computed over bytes that arrive in pieces (a streamed blob).
pub struct Hasher(HasherState);

enum HasherState {
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Hasher {
        Hasher(match algorithm {
            Algorithm::Sha256 => HasherState::Sha256(Sha256::new()),
            Algorithm::Sha384 => HasherState::Sha384(Sha384::new()),
            Algorithm::Sha512 => HasherState::Sha512(Sha512::new()),
        })
    }

    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            HasherState::Sha256(h) => h.update(data),
            HasherState::Sha384(h) => h.update(data),
            HasherState::Sha512(h) => h.update(data),
        }
    }

    /// The digest of every byte given to [`update`](Self::update).
    pub fn finish(self) -> Digest {
        let (algorithm, hex) = match self.0 {
            HasherState::Sha256(h) => (Algorithm::Sha256, hex_lower(&h.finalize())),
            HasherState::Sha384(h) => (Algorithm::Sha384, hex_lower(&h.finalize())),
            HasherState::Sha512(h) => (Algorithm::Sha512, hex_lower(&h.finalize())),
        };
        Digest { algorithm, hex }
    }
}

/// A validated digest such as `sha256:20bf21ed…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

/// Why a string is not a usable digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("invalid digest {0:?}: expected ALGORITHM:HEX, e.g. sha256:<64 hex digits>")]
    Format(String),
    #[error(
        "invalid digest {0:?}: unsupported algorithm (sha256, sha384 and sha512 are supported)"
    )]
    UnsupportedAlgorithm(String),
    #[error("invalid digest {0:?}: digest must be lower case")]
    Uppercase(String),
    #[error("invalid digest {input:?}: {algorithm} needs exactly {len} lower-case hex digits")]
    Hex {
        input: String,
        algorithm: &'static str,
        len: usize,
    },
}

impl Digest {
    /// Parses `algorithm:hex` strictly: a known algorithm and exactly the
    /// right number of lower-case hex digits (go-digest rejects upper case).
    pub fn parse(s: &str) -> Result<Digest, DigestError> {
        let Some((algo, hex)) = s.split_once(':') else {
            return Err(DigestError::Format(s.to_string()));
        };
        if algo.is_empty() || hex.is_empty() {
            return Err(DigestError::Format(s.to_string()));
        }
        let algorithm = match algo {
            "sha256" => Algorithm::Sha256,
            "sha384" => Algorithm::Sha384,
            "sha512" => Algorithm::Sha512,
            _ => {
                let well_formed = algo.split(['+', '.', '_', '-']).all(|c| {
                    c.starts_with(|ch: char| ch.is_ascii_alphabetic())
                        && c.chars().all(|ch| ch.is_ascii_alphanumeric())
                }) && hex
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "=_-".contains(c));
                return Err(if well_formed {
                    DigestError::UnsupportedAlgorithm(s.to_string())
                } else {
                    DigestError::Format(s.to_string())
                });
            }
        };
        let valid_hex = hex.len() == algorithm.hex_len()
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid_hex {
            // go-digest refuses upper case too, but "must be lower case"
            // is the fix a user needs (digests copied from some UIs are
            // upper-cased).
            if hex.len() == algorithm.hex_len() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(DigestError::Uppercase(s.to_string()));
            }
            return Err(DigestError::Hex {
                input: s.to_string(),
                algorithm: algorithm.name(),
                len: algorithm.hex_len(),
            });
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The hex part, without the algorithm.
    pub fn hex(&self) -> &str {
        &self.hex
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::str::FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Digest::parse(s)
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 0xf) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_sha256() {
        let s = "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55";
        let d = Digest::parse(s).unwrap();
        assert_eq!(d.algorithm(), Algorithm::Sha256);
        assert_eq!(d.to_string(), s);
    }

    #[test]
    fn rejects_malformed_digests() {
        let upper = "sha256:20BF21ED457B390829CDBEEC8795A7BEA1626991FDA603E0D01B4E7F60427E55";
        assert!(matches!(
            Digest::parse(upper),
            Err(DigestError::Uppercase(_))
        ));
        assert!(matches!(
            Digest::parse("sha256:abc"),
            Err(DigestError::Hex { .. })
        ));
        assert!(matches!(
            Digest::parse("nocolon"),
            Err(DigestError::Format(_))
        ));
        assert!(matches!(Digest::parse(":abc"), Err(DigestError::Format(_))));
        assert!(matches!(
            Digest::parse("sha256:"),
            Err(DigestError::Format(_))
        ));
        assert!(matches!(
            Digest::parse("md5:d41d8cd98f00b204e9800998ecf8427e"),
            Err(DigestError::UnsupportedAlgorithm(_))
        ));
    }

    #[test]
    fn hashes_with_each_algorithm() {
        assert_eq!(
            Algorithm::Sha256.hash(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Algorithm::Sha384.hash(b"").hex().len(), 96);
        assert!(
            Algorithm::Sha512
                .hash(b"")
                .hex()
                .starts_with("cf83e1357eefb8bd")
        );
    }
}
