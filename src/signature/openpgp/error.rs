//! Why an OpenPGP signature was not accepted cryptographically.

use crate::io::{MAX_DECOMPRESSED_SIZE, MAX_PAYLOAD_SIZE, MAX_SIGNATURE_SIZE};

/// Why a signature message was not accepted cryptographically.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature is larger than {MAX_SIGNATURE_SIZE} bytes")]
    TooLarge,
    #[error("signed payload is larger than {MAX_PAYLOAD_SIZE} bytes")]
    PayloadTooLarge,
    #[error("the message decompresses to more than {MAX_DECOMPRESSED_SIZE} bytes")]
    DecompressedTooLarge,
    #[error("not an OpenPGP message: {0}")]
    NotOpenPgp(String),
    /// A text document where a signature was expected: swapped
    /// arguments, or an error page saved instead of the signature.
    #[error("looks like {0}, not an OpenPGP signature")]
    LooksLike(&'static str),
    #[error("malformed OpenPGP message: {0}")]
    Malformed(String),
    #[error("the message is not signed: {0}")]
    NotSigned(String),
    #[error("the message holds {0} signatures; exactly one is expected")]
    SignatureCount(usize),
    #[error("signed by key {0}, which is not among the trusted keys")]
    UnknownKey(String),
    #[error("bad signature by key {key}: {detail}")]
    BadSignature { key: String, detail: String },
    #[error("signature by key {key} has expired: {detail}")]
    SignatureExpired { key: String, detail: String },
    #[error("signature by key {key} is not valid yet: {detail}")]
    SignatureNotYetValid { key: String, detail: String },
    #[error(
        "signing key {key} is expired: {detail} (--at TIME judges the key at another instant, e.g. when the signature was made)"
    )]
    KeyExpired { key: String, detail: String },
    #[error("signing key {key} is revoked{detail}")]
    KeyRevoked { key: String, detail: String },
    #[error("key {key} may not make signatures (it is not signing-capable)")]
    KeyNotSigningCapable { key: String },
    #[error("signature by key {key} uses an insecure algorithm: {detail}")]
    InsecureAlgorithm { key: String, detail: String },
    #[error("key {key} cannot be used: {detail}")]
    KeyInvalid { key: String, detail: String },
    #[error("key {key} uses {algorithm}, which this build cannot verify")]
    UnsupportedAlgorithm { key: String, algorithm: String },
}
