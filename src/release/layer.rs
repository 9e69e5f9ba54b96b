//! Reading `release-manifests/image-references` and `release-metadata`
//! out of a release image's last layer, a gzip tar, as it streams in:
//! the compressed bytes are hashed as they pass and nothing read is
//! returned unless they match the layer digest the (verified) manifest
//! names. Bounded: the compressed size (by the caller's HTTP limit), the
//! unpacked size, the number of entries and each kept file's size; only
//! the two files are held.

use crate::image::digest::{Digest, Hasher};
use crate::io::{MAX_RELEASE_FILE_SIZE, MAX_RELEASE_LAYER_ENTRIES, MAX_RELEASE_LAYER_UNPACKED};
use std::io::Read;

/// Where `oc adm release new` puts the component list.
pub const IMAGE_REFERENCES: &str = "release-manifests/image-references";
/// Where it puts the version and update metadata.
pub const RELEASE_METADATA: &str = "release-manifests/release-metadata";

/// The files of the last layer that describe the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseFiles {
    pub image_references: Vec<u8>,
    /// Absent in some CI releases; required to print a version.
    pub release_metadata: Option<Vec<u8>>,
}

/// Why the last layer could not be read; `layer` names it (its digest).
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("layer {layer}: not a gzip tar")]
    Unpack {
        layer: String,
        #[source]
        source: std::io::Error,
    },
    #[error("layer {layer}: unpacks to more than {MAX_RELEASE_LAYER_UNPACKED} bytes")]
    TooLargeUnpacked { layer: String },
    #[error("layer {layer}: more than {MAX_RELEASE_LAYER_ENTRIES} entries")]
    TooManyEntries { layer: String },
    #[error("layer {layer}: {file} is larger than {MAX_RELEASE_FILE_SIZE} bytes")]
    FileTooLarge { layer: String, file: &'static str },
    #[error("layer {layer}: the digest of the bytes served is {actual}")]
    DigestMismatch { layer: String, actual: Digest },
    #[error("layer {layer}: no {IMAGE_REFERENCES}: not a release image")]
    NoImageReferences { layer: String },
}

/// Reads the release files from `stream`, the compressed layer `layer`.
/// Reads the stream to its end (up to the caller's limit), so that the
/// digest covers every byte.
pub fn read_release_files(
    stream: &mut dyn Read,
    layer: &Digest,
) -> Result<ReleaseFiles, LayerError> {
    let name = || layer.to_string();
    let mut hashing = Hashing {
        inner: stream,
        hasher: Hasher::new(layer.algorithm()),
    };
    let mut image_references = None;
    let mut release_metadata = None;
    {
        let unpacked = Limit {
            inner: flate2::read::MultiGzDecoder::new(&mut hashing),
            left: MAX_RELEASE_LAYER_UNPACKED,
            tripped: false,
        };
        let mut archive = tar::Archive::new(unpacked);
        let read = (|| -> std::io::Result<Result<(), LayerError>> {
            for (count, entry) in archive.entries()?.enumerate() {
                if count >= MAX_RELEASE_LAYER_ENTRIES {
                    return Ok(Err(LayerError::TooManyEntries { layer: name() }));
                }
                let entry = entry?;
                if !entry.header().entry_type().is_file() {
                    continue;
                }
                let path = entry.path()?.to_string_lossy().into_owned();
                let path = path.trim_start_matches("./");
                let (slot, file) = match path {
                    IMAGE_REFERENCES => (&mut image_references, IMAGE_REFERENCES),
                    RELEASE_METADATA => (&mut release_metadata, RELEASE_METADATA),
                    _ => continue,
                };
                let mut bytes = Vec::new();
                entry
                    .take(MAX_RELEASE_FILE_SIZE + 1)
                    .read_to_end(&mut bytes)?;
                if bytes.len() as u64 > MAX_RELEASE_FILE_SIZE {
                    return Ok(Err(LayerError::FileTooLarge {
                        layer: name(),
                        file,
                    }));
                }
                // A later entry of the same path replaces an earlier one,
                // as it would when the layer is unpacked.
                *slot = Some(bytes);
            }
            Ok(Ok(()))
        })();
        let tripped = archive.into_inner().tripped;
        match read {
            _ if tripped => return Err(LayerError::TooLargeUnpacked { layer: name() }),
            Ok(r) => r?,
            Err(source) => {
                return Err(LayerError::Unpack {
                    layer: name(),
                    source,
                });
            }
        }
    }
    // The rest (tar padding, the gzip trailer, anything after) counts for
    // the digest too.
    std::io::copy(&mut hashing, &mut std::io::sink()).map_err(|source| LayerError::Unpack {
        layer: name(),
        source,
    })?;
    let actual = hashing.hasher.finish();
    if &actual != layer {
        return Err(LayerError::DigestMismatch {
            layer: name(),
            actual,
        });
    }
    let image_references =
        image_references.ok_or_else(|| LayerError::NoImageReferences { layer: name() })?;
    Ok(ReleaseFiles {
        image_references,
        release_metadata,
    })
}

/// Hashes what is read through it.
struct Hashing<'a> {
    inner: &'a mut dyn Read,
    hasher: Hasher,
}

impl Read for Hashing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Fails once more than `left` bytes have been read.
struct Limit<R> {
    inner: R,
    left: u64,
    tripped: bool,
}

impl<R: Read> Read for Limit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            self.tripped = true;
            return Err(std::io::Error::other("unpacked size limit"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::digest::Algorithm;

    /// A gzip tar of `files`.
    pub(crate) fn layer(files: &[(&str, &[u8])]) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        for (path, bytes) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, path, *bytes).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn the_two_files_are_read_and_the_digest_checked() {
        let bytes = layer(&[
            ("release-manifests/0000_x.yaml", b"kind: x"),
            ("release-manifests/image-references", b"{}"),
            ("./release-manifests/release-metadata", b"{\"a\":1}"),
        ]);
        let digest = Algorithm::Sha256.hash(&bytes);
        let files = read_release_files(&mut bytes.as_slice(), &digest).unwrap();
        assert_eq!(files.image_references, b"{}");
        assert_eq!(files.release_metadata.as_deref(), Some(&b"{\"a\":1}"[..]));

        let other = Algorithm::Sha256.hash(b"other");
        let e = read_release_files(&mut bytes.as_slice(), &other).unwrap_err();
        assert!(matches!(e, LayerError::DigestMismatch { .. }), "{e}");
    }

    #[test]
    fn a_layer_without_image_references_or_not_gzip_is_refused() {
        let bytes = layer(&[("release-manifests/release-metadata", b"{}")]);
        let digest = Algorithm::Sha256.hash(&bytes);
        let e = read_release_files(&mut bytes.as_slice(), &digest).unwrap_err();
        assert!(e.to_string().ends_with("not a release image"), "{e}");

        let plain = b"not gzip at all".to_vec();
        let digest = Algorithm::Sha256.hash(&plain);
        let e = read_release_files(&mut plain.as_slice(), &digest).unwrap_err();
        assert!(matches!(e, LayerError::Unpack { .. }), "{e}");
    }

    #[test]
    fn an_oversized_release_file_is_refused() {
        let big = vec![b' '; MAX_RELEASE_FILE_SIZE as usize + 1];
        let bytes = layer(&[(IMAGE_REFERENCES, &big)]);
        let digest = Algorithm::Sha256.hash(&bytes);
        let e = read_release_files(&mut bytes.as_slice(), &digest).unwrap_err();
        assert!(matches!(e, LayerError::FileTooLarge { .. }), "{e}");
    }
}
