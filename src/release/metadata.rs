//! The two files of a release image that name what the release is:
//! `release-manifests/image-references`, an ImageStream
//! (`image.openshift.io/v1`) whose `spec.tags[].from.name` pin every
//! component image by digest, and `release-manifests/release-metadata`
//! (`cincinnati-metadata-v0`: the version and the versions it updates
//! from).

use crate::image::digest::Digest;
use crate::image::reference::Reference;
use crate::io::MAX_RELEASE_COMPONENTS;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Why a release file cannot be used; names the file (`what`) of the
/// release.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("{what}: not valid JSON of the expected shape ({detail})")]
    Json { what: String, detail: String },
    #[error("{what}: kind is {found:?}, expected {expected:?}")]
    Kind {
        what: String,
        found: String,
        expected: &'static str,
    },
    #[error("{what}: spec.tags[{index}] ({name:?}): {detail}")]
    Tag {
        what: String,
        index: usize,
        name: String,
        detail: String,
    },
    #[error("{what}: more than {MAX_RELEASE_COMPONENTS} components")]
    TooMany { what: String },
}

/// One component image of a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// The tag name in image-references (`machine-config-operator`).
    pub name: String,
    /// Where the release says the image is, pinned by digest
    /// (`quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:…`).
    pub pullspec: Reference,
    /// The pinned digest; `None` when the pull spec has none (a release
    /// that pins nothing proves nothing about that component).
    pub digest: Option<Digest>,
}

/// `release-manifests/image-references`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageReferences {
    /// `metadata.name`: the release's version as the build named it.
    pub name: String,
    pub components: Vec<Component>,
}

/// `release-manifests/release-metadata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseMetadata {
    pub kind: String,
    pub version: String,
    /// Versions that may update to this one.
    #[serde(default)]
    pub previous: Vec<String>,
    /// Versions this one may update to (rare).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next: Vec<String>,
    /// Free-form metadata (`url` of the errata, …).
    #[serde(default)]
    pub metadata: BTreeMap<String, serde_json::Value>,
}

/// The `kind` of image-references.
const IMAGE_STREAM: &str = "ImageStream";
/// The `kind` of release-metadata.
const CINCINNATI_METADATA: &str = "cincinnati-metadata-v0";

/// Parses image-references; `what` names it in errors.
pub fn parse_image_references(bytes: &[u8], what: &str) -> Result<ImageReferences, MetadataError> {
    #[derive(Deserialize)]
    struct Stream {
        kind: String,
        #[serde(default)]
        metadata: Meta,
        spec: Spec,
    }
    #[derive(Deserialize, Default)]
    struct Meta {
        #[serde(default)]
        name: String,
    }
    #[derive(Deserialize)]
    struct Spec {
        #[serde(default)]
        tags: Vec<Tag>,
    }
    #[derive(Deserialize)]
    struct Tag {
        name: String,
        from: Option<From>,
    }
    #[derive(Deserialize)]
    struct From {
        kind: String,
        name: String,
    }
    let json = |detail: String| MetadataError::Json {
        what: what.to_string(),
        detail,
    };
    crate::io::check_nesting(bytes).map_err(|e| json(e.to_string()))?;
    let stream: Stream = serde_json::from_slice(bytes).map_err(|e| json(e.to_string()))?;
    if stream.kind != IMAGE_STREAM {
        return Err(MetadataError::Kind {
            what: what.to_string(),
            found: stream.kind,
            expected: IMAGE_STREAM,
        });
    }
    if stream.spec.tags.len() > MAX_RELEASE_COMPONENTS {
        return Err(MetadataError::TooMany {
            what: what.to_string(),
        });
    }
    let mut seen = HashSet::new();
    let mut components = Vec::with_capacity(stream.spec.tags.len());
    for (index, tag) in stream.spec.tags.into_iter().enumerate() {
        let bad = |detail: String| MetadataError::Tag {
            what: what.to_string(),
            index,
            name: tag.name.clone(),
            detail,
        };
        if !seen.insert(tag.name.clone()) {
            return Err(bad("a second tag of this name".into()));
        }
        let Some(from) = &tag.from else {
            return Err(bad("no \"from\": expected the component's pull spec".into()));
        };
        if from.kind != "DockerImage" {
            return Err(bad(format!(
                "from.kind is {:?}, expected \"DockerImage\"",
                from.kind
            )));
        }
        let pullspec = Reference::parse(&from.name).map_err(|e| bad(e.to_string()))?;
        let digest = match pullspec.digest() {
            Some(d) => Some(Digest::parse(d).map_err(|e| bad(e.to_string()))?),
            None => None,
        };
        components.push(Component {
            name: tag.name.clone(),
            pullspec,
            digest,
        });
    }
    Ok(ImageReferences {
        name: stream.metadata.name,
        components,
    })
}

/// Parses release-metadata; `what` names it in errors.
pub fn parse_release_metadata(bytes: &[u8], what: &str) -> Result<ReleaseMetadata, MetadataError> {
    let json = |detail: String| MetadataError::Json {
        what: what.to_string(),
        detail,
    };
    crate::io::check_nesting(bytes).map_err(|e| json(e.to_string()))?;
    let m: ReleaseMetadata = serde_json::from_slice(bytes).map_err(|e| json(e.to_string()))?;
    if m.kind != CINCINNATI_METADATA {
        return Err(MetadataError::Kind {
            what: what.to_string(),
            found: m.kind,
            expected: CINCINNATI_METADATA,
        });
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_must_be_a_docker_image_and_unique() {
        let doc = |tags: &str| {
            format!(
                r#"{{"kind":"ImageStream","metadata":{{"name":"4.1.0"}},"spec":{{"tags":[{tags}]}}}}"#
            )
        };
        let pin =
            "quay.io/a/b@sha256:0000000000000000000000000000000000000000000000000000000000000000";
        let ok = doc(&format!(
            r#"{{"name":"x","from":{{"kind":"DockerImage","name":"{pin}"}}}}"#
        ));
        let refs = parse_image_references(ok.as_bytes(), "image-references").unwrap();
        assert_eq!(refs.name, "4.1.0");
        assert_eq!(refs.components[0].digest.as_ref().unwrap().hex().len(), 64);

        let twice = doc(&format!(
            r#"{{"name":"x","from":{{"kind":"DockerImage","name":"{pin}"}}}},{{"name":"x","from":{{"kind":"DockerImage","name":"{pin}"}}}}"#
        ));
        let e = parse_image_references(twice.as_bytes(), "image-references").unwrap_err();
        assert!(e.to_string().contains("spec.tags[1] (\"x\")"), "{e}");

        let tagged = doc(r#"{"name":"y","from":{"kind":"ImageStreamTag","name":"y:1"}}"#);
        let e = parse_image_references(tagged.as_bytes(), "image-references").unwrap_err();
        assert!(e.to_string().contains("expected \"DockerImage\""), "{e}");

        let e = parse_image_references(br#"{"kind":"List","spec":{}}"#, "f").unwrap_err();
        assert_eq!(
            e.to_string(),
            "f: kind is \"List\", expected \"ImageStream\""
        );
    }

    #[test]
    fn release_metadata_needs_its_kind_and_version() {
        let m = parse_release_metadata(
            br#"{"kind":"cincinnati-metadata-v0","version":"4.1.0","previous":["4.0.9"]}"#,
            "m",
        )
        .unwrap();
        assert_eq!((m.version.as_str(), m.previous.len()), ("4.1.0", 1));
        assert!(parse_release_metadata(br#"{"kind":"cincinnati-metadata-v0"}"#, "m").is_err());
        assert!(parse_release_metadata(br#"{"kind":"x","version":"1"}"#, "m").is_err());
    }
}
