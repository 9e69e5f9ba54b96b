//! OpenShift releases, component by component (`relsig release`): the
//! transitive trust of a release image. Its signature (checked by
//! [`crate::verify::Checker`] as `relsig verify` checks it) binds the
//! manifest digest; the manifest binds its layers' digests; the last
//! layer ([`layer`]) holds `image-references` ([`metadata`]), which pins
//! every component by digest. So a release is read only after its
//! signature verified, only at the signed digest, and each component is
//! proven by finding exactly its pinned digest in the mirror
//! ([`audit`]), located through [`mirrors`].
//!
//! Uses only [`crate::image`], [`crate::sources`] and [`crate::verify`].

pub mod audit;
pub mod layer;
pub mod metadata;
pub mod mirrors;

use crate::image::digest::Digest;
use crate::image::manifest;
use crate::image::reference::Reference;
use crate::io::MAX_RELEASE_LAYER_SIZE;
use crate::sources::registry::{RegistryClient, RegistryError};
use crate::status::Status;
use layer::LayerError;
use metadata::{ImageReferences, MetadataError, ReleaseMetadata};

/// A release image read at its verified digest.
#[derive(Debug, Clone)]
pub struct Release {
    pub digest: Digest,
    /// Where the manifest and the last layer were read from.
    pub location: Reference,
    /// The platform manifest read, when the signed digest is a list's.
    pub platform_digest: Option<Digest>,
    pub references: ImageReferences,
    /// `None` when the layer has no release-metadata.
    pub metadata: Option<ReleaseMetadata>,
}

/// Why a release image could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("release image {location}")]
    Registry {
        location: String,
        #[source]
        source: RegistryError,
    },
    #[error("{url} served a manifest with digest {actual}, not the signed {expected}")]
    DigestMismatch {
        url: String,
        actual: Digest,
        expected: Digest,
    },
    #[error("release manifest {url}: {detail}")]
    Manifest { url: String, detail: String },
    #[error("release image {location}: last layer")]
    Layer {
        location: String,
        #[source]
        source: LayerError,
    },
    #[error(
        "release image {location}: the last layer is {size} bytes, more than {MAX_RELEASE_LAYER_SIZE}"
    )]
    LayerTooLarge { location: String, size: u64 },
    #[error(transparent)]
    Metadata(#[from] MetadataError),
}

impl ReleaseError {
    /// Content other than what was signed is a rejection; anything else
    /// means the release could not be checked.
    pub fn status(&self) -> Status {
        match self {
            ReleaseError::DigestMismatch { .. }
            | ReleaseError::Layer {
                source: LayerError::DigestMismatch { .. },
                ..
            } => Status::Rejected,
            _ => Status::CouldNotCheck,
        }
    }

    /// The stable reason name of the JSON report.
    pub fn reason(&self) -> &'static str {
        match self {
            ReleaseError::Registry { .. } => "registry-error",
            ReleaseError::DigestMismatch { .. } => "digest-mismatch",
            ReleaseError::Layer {
                source: LayerError::DigestMismatch { .. },
                ..
            } => "digest-mismatch",
            _ => "invalid-release",
        }
    }
}

/// Reads the release image whose (verified) digest is `digest` from the
/// first of `locations` that has it (each a reference pinned to
/// `digest`). When `digest` is a manifest list's, the entry for
/// `platform` (`linux/amd64`) is read, checked against the digest the
/// list names.
pub fn read_release(
    registry: &RegistryClient,
    locations: &[Reference],
    digest: &Digest,
    platform: &str,
) -> Result<Release, ReleaseError> {
    let mut first_error = None;
    let mut fetched = None;
    for location in locations {
        match registry.get_manifest(location) {
            Ok(m) => {
                fetched = Some((location.clone(), m));
                break;
            }
            Err(source) => {
                first_error.get_or_insert(ReleaseError::Registry {
                    location: location.to_string(),
                    source,
                });
            }
        }
    }
    let Some((location, mut manifest)) = fetched else {
        return Err(first_error.unwrap_or_else(|| ReleaseError::Manifest {
            url: String::new(),
            detail: "no location to read the release image from".into(),
        }));
    };
    check_digest(&manifest.bytes, &manifest.url, digest)?;
    let invalid = |url: &str, detail: String| ReleaseError::Manifest {
        url: url.to_string(),
        detail,
    };
    let mut parts =
        manifest::parts(&manifest.bytes).map_err(|e| invalid(&manifest.url, e.to_string()))?;
    let mut platform_digest = None;
    if parts.is_list() {
        let entry = parts
            .manifests
            .iter()
            .find(|m| m.platform.as_deref() == Some(platform))
            .ok_or_else(|| {
                invalid(
                    &manifest.url,
                    format!("a manifest list without a {platform} entry"),
                )
            })?;
        let at = location
            .with_digest(&entry.digest.to_string())
            .map_err(|e| invalid(&manifest.url, e.to_string()))?;
        manifest = registry
            .get_manifest(&at)
            .map_err(|source| ReleaseError::Registry {
                location: at.to_string(),
                source,
            })?;
        check_digest(&manifest.bytes, &manifest.url, &entry.digest)?;
        platform_digest = Some(entry.digest.clone());
        parts =
            manifest::parts(&manifest.bytes).map_err(|e| invalid(&manifest.url, e.to_string()))?;
    }
    let last = parts
        .layers
        .last()
        .ok_or_else(|| invalid(&manifest.url, "no layers: not a release image".into()))?;
    if last.media_type.contains("zstd") {
        return Err(invalid(
            &manifest.url,
            format!("the last layer is {}, not a gzip tar", last.media_type),
        ));
    }
    if let Some(size) = last.size.filter(|s| *s > MAX_RELEASE_LAYER_SIZE) {
        return Err(ReleaseError::LayerTooLarge {
            location: location.to_string(),
            size,
        });
    }
    let files = registry
        .get_blob_streamed(&location, &last.digest, MAX_RELEASE_LAYER_SIZE, |r| {
            layer::read_release_files(r, &last.digest)
        })
        .map_err(|source| ReleaseError::Registry {
            location: location.to_string(),
            source,
        })?
        .map_err(|source| ReleaseError::Layer {
            location: location.to_string(),
            source,
        })?;
    let references = metadata::parse_image_references(
        &files.image_references,
        &format!("{location}: {}", layer::IMAGE_REFERENCES),
    )?;
    let metadata = files
        .release_metadata
        .map(|m| {
            metadata::parse_release_metadata(
                &m,
                &format!("{location}: {}", layer::RELEASE_METADATA),
            )
        })
        .transpose()?;
    Ok(Release {
        digest: digest.clone(),
        location,
        platform_digest,
        references,
        metadata,
    })
}

fn check_digest(bytes: &[u8], url: &str, expected: &Digest) -> Result<(), ReleaseError> {
    let actual =
        manifest::digest_with(bytes, expected.algorithm()).map_err(|e| ReleaseError::Manifest {
            url: url.to_string(),
            detail: e.to_string(),
        })?;
    if &actual != expected {
        return Err(ReleaseError::DigestMismatch {
            url: url.to_string(),
            actual,
            expected: expected.clone(),
        });
    }
    Ok(())
}
