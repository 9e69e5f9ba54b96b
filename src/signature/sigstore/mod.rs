//! The sigstore (cosign) signature mechanism: a signature blob in
//! containers/image's on-disk form ([`format`]) checked against public
//! keys, a Rekor key and certificate roots.

pub mod format;
