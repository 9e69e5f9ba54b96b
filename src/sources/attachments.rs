//! Cosign signature attachments: the OCI image manifest that holds an
//! image's sigstore signatures, one layer each (the payload is the layer
//! blob, the signature and Rekor bundle are layer annotations), wherever
//! it is stored:
//!
//! - in a registry, under the tag `sha256-<hex>.sig` of the image's own
//!   repository ([`registry_signatures`]), as cosign writes it and
//!   containers/image reads it when registries.d sets
//!   `use-sigstore-attachments: true`;
//! - in an OCI layout directory (`oci-layout`, `index.json`, `blobs/`), as
//!   oc-mirror and `skopeo copy … oci:DIR` store such a manifest
//!   ([`layout_signatures`]).
//!
//! Each layer becomes one signature in containers/image's on-disk form
//! ([`SigstoreSignature::to_bytes`]), so that every consumer (checks,
//! `fetch --to-dir`) handles it like a signature file. Layers of any media
//! type are handed over, as containers/image does: the mechanism refuses
//! what is not a cosign simple signing layer. The OCI 1.1 referrers API
//! is not read (containers/image as shipped with CRI-O does not either).
//!
//! [`push_registry_signatures`] writes such a manifest (`fetch
//! --to-registry`), in the shape cosign writes: an OCI image manifest, a
//! minimal image config, one layer per signature with its annotations.
//!
//! Bounded before any payload is fetched: a manifest with more than
//! [`MAX_SIGSTORE_SIGNATURES`] layers is refused, and so is a layer that
//! declares more than [`MAX_SIGSTORE_PAYLOAD`] bytes; each blob is read
//! up to its declared size and must match it and its digest.

use crate::image::digest::Digest;
use crate::image::manifest::media_types::OCI_MANIFEST;
use crate::image::reference::Reference;
use crate::io::{FileError, MAX_MANIFEST_SIZE, MAX_SIGSTORE_PAYLOAD, MAX_SIGSTORE_SIGNATURES};
use crate::signature::sigstore::format::SigstoreSignature;
use crate::sources::registry::{RegistryClient, RegistryError};
use crate::sources::stores::Signature;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The annotation of an OCI layout's `index.json` entry naming it (the
/// tag it was copied from).
const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";

/// Why an image's attachments could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{location}: not a sigstore attachment manifest: {detail}")]
    Invalid { location: String, detail: String },
    #[error(
        "{location}: {count} sigstore signatures, more than the {MAX_SIGSTORE_SIGNATURES} read for one image; none was read"
    )]
    TooMany { location: String, count: usize },
    #[error(
        "{location}: an attachment with other signatures ({count} layer(s)) is there already; it would be replaced"
    )]
    Exists { location: String, count: usize },
    #[error("{location}: layer {layer}: {detail}")]
    Layer {
        location: String,
        /// 1-based, as signatures are numbered.
        layer: usize,
        detail: String,
    },
}

/// The tag cosign attaches `digest`'s signatures under:
/// `sha256-<hex>.sig`.
pub fn attachment_tag(digest: &Digest) -> String {
    format!("{}-{}.sig", digest.algorithm().name(), digest.hex())
}

/// `image`'s repository with the tag [`attachment_tag`]`(digest)`.
pub fn attachment_reference(
    image: &Reference,
    digest: &Digest,
) -> Result<Reference, AttachmentError> {
    image
        .without_tag_or_digest()
        .with_tag(&attachment_tag(digest))
        .map_err(|e| AttachmentError::Invalid {
            location: image.repository(),
            detail: e.to_string(),
        })
}

/// One layer of an attachment manifest, validated but not fetched.
#[derive(Debug, Clone)]
struct Layer {
    media_type: String,
    digest: Digest,
    size: u64,
    annotations: BTreeMap<String, String>,
}

/// An OCI descriptor as manifests and `index.json` write it.
#[derive(Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    size: i64,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

/// The parts of an OCI image manifest (or index) read here.
#[derive(Deserialize)]
struct OciDocument {
    #[serde(rename = "schemaVersion")]
    schema_version: i64,
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

fn parse_document(bytes: &[u8], location: &str) -> Result<OciDocument, AttachmentError> {
    let invalid = |detail: String| AttachmentError::Invalid {
        location: location.to_string(),
        detail,
    };
    crate::io::check_nesting(bytes).map_err(|e| invalid(e.to_string()))?;
    let doc: OciDocument = serde_json::from_slice(bytes).map_err(|e| {
        invalid(format!(
            "not OCI JSON ({e}); expected {{\"schemaVersion\": 2, …}}"
        ))
    })?;
    if doc.schema_version != 2 {
        return Err(invalid(format!(
            "schemaVersion is {}, expected 2",
            doc.schema_version
        )));
    }
    Ok(doc)
}

/// The layers of the attachment manifest `bytes` (served as
/// `media_type`), checked before any is fetched.
fn attachment_layers(
    bytes: &[u8],
    media_type: Option<&str>,
    location: &str,
) -> Result<Vec<Layer>, AttachmentError> {
    let invalid = |detail: String| AttachmentError::Invalid {
        location: location.to_string(),
        detail,
    };
    // containers/image accepts only an OCI image manifest here.
    if let Some(m) = media_type.filter(|m| *m != OCI_MANIFEST) {
        return Err(invalid(format!(
            "media type {m:?}, expected {OCI_MANIFEST}"
        )));
    }
    let doc = parse_document(bytes, location)?;
    if let Some(m) = doc.media_type.as_deref().filter(|m| *m != OCI_MANIFEST) {
        return Err(invalid(format!(
            "\"mediaType\" is {m:?}, expected {OCI_MANIFEST}"
        )));
    }
    if doc.layers.len() > MAX_SIGSTORE_SIGNATURES {
        return Err(AttachmentError::TooMany {
            location: location.to_string(),
            count: doc.layers.len(),
        });
    }
    doc.layers
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let bad = |detail: String| AttachmentError::Layer {
                location: location.to_string(),
                layer: i + 1,
                detail,
            };
            let digest = Digest::parse(&d.digest).map_err(|e| bad(e.to_string()))?;
            let size = u64::try_from(d.size)
                .map_err(|_| bad(format!("size {} is negative", d.size)))?;
            if size > MAX_SIGSTORE_PAYLOAD {
                return Err(bad(format!(
                    "size {size} is larger than the {MAX_SIGSTORE_PAYLOAD} bytes a sigstore payload may have; not fetched"
                )));
            }
            Ok(Layer {
                media_type: d.media_type,
                digest,
                size,
                annotations: d.annotations.unwrap_or_default(),
            })
        })
        .collect()
}

/// The signature `layer` (number `n`) makes with its fetched `payload`,
/// once the payload matches the layer's size and digest.
fn signature_of(
    layer: Layer,
    payload: Vec<u8>,
    location: &str,
    n: usize,
) -> Result<Signature, AttachmentError> {
    let bad = |detail: String| AttachmentError::Layer {
        location: location.to_string(),
        layer: n,
        detail,
    };
    if payload.len() as u64 != layer.size {
        return Err(bad(format!(
            "the blob has {} bytes, the manifest says {}",
            payload.len(),
            layer.size
        )));
    }
    let actual = layer.digest.algorithm().hash(&payload);
    if actual != layer.digest {
        return Err(bad(format!(
            "the blob's digest is {actual}, the manifest says {}",
            layer.digest
        )));
    }
    let signature = SigstoreSignature {
        mime_type: layer.media_type,
        payload,
        annotations: layer.annotations,
    };
    Ok(Signature {
        bytes: signature.to_bytes(),
        source: format!("{location}#{n}"),
    })
}

/// Hands each layer of `image`'s attachment manifest for `digest` (the
/// tag [`attachment_tag`] in the repository of `image`, which is where the
/// manifest was fetched from) to `each`, in order. No such tag means no
/// sigstore signatures, not an error.
pub fn registry_signatures(
    client: &RegistryClient,
    image: &Reference,
    digest: &Digest,
    each: &mut dyn FnMut(Signature),
) -> Result<(), AttachmentError> {
    let sig_ref = attachment_reference(image, digest)?;
    let location = sig_ref.to_string();
    let Some(manifest) = client.get_manifest_if_present(&sig_ref)? else {
        log::debug!("{location}: no sigstore attachment manifest");
        return Ok(());
    };
    let layers = attachment_layers(&manifest.bytes, manifest.media_type.as_deref(), &location)?;
    log::debug!("{location}: {} sigstore attachment layer(s)", layers.len());
    for (i, layer) in layers.into_iter().enumerate() {
        // Never more than the layer declares (itself at most
        // MAX_SIGSTORE_PAYLOAD): a longer answer is wrong anyway.
        let blob = client.get_blob(&sig_ref, &layer.digest, layer.size)?;
        each(signature_of(layer, blob.bytes, &location, i + 1)?);
    }
    Ok(())
}

/// The media type of the image config cosign writes for an attachment.
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// An attachment manifest ready to push: its blobs (the config first,
/// each digest once) and the manifest itself.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub blobs: Vec<(Digest, Vec<u8>)>,
    pub manifest: Vec<u8>,
}

/// What [`push_registry_signatures`] did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pushed {
    /// The attachment manifest written: `REPOSITORY:sha256-<hex>.sig`.
    pub reference: String,
    /// Its layers: the signatures pushed.
    pub signatures: usize,
    /// Blobs uploaded (those the repository had already are not).
    pub uploaded_blobs: usize,
    /// The repository's attachment held every signature already: nothing
    /// was written.
    pub unchanged: bool,
}

/// The attachment manifest of `signatures` (named `location` in errors)
/// as cosign writes it: an OCI image manifest whose config is cosign's
/// minimal image config (one uncompressed layer per signature, so each
/// layer's diff ID is its digest) and whose layers are the payloads,
/// with the media type and annotations each signature came with.
pub fn attachment(
    signatures: &[SigstoreSignature],
    location: &str,
) -> Result<Attachment, AttachmentError> {
    if signatures.len() > MAX_SIGSTORE_SIGNATURES {
        return Err(AttachmentError::TooMany {
            location: location.to_string(),
            count: signatures.len(),
        });
    }
    if signatures.is_empty() {
        return Err(AttachmentError::Invalid {
            location: location.to_string(),
            detail: "no signatures to write: an empty attachment would hide none".into(),
        });
    }
    let sha256 = crate::image::digest::Algorithm::Sha256;
    let layers: Vec<(Digest, &SigstoreSignature)> = signatures
        .iter()
        .map(|s| (sha256.hash(&s.payload), s))
        .collect();
    let diff_ids: Vec<String> = layers.iter().map(|(d, _)| d.to_string()).collect();
    // cosign's zero time and empty platform: the config describes no
    // runnable image.
    let config = serde_json::json!({
        "architecture": "",
        "config": {},
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    let config = serde_json::to_vec(&config).expect("serialising JSON values");
    let config_digest = sha256.hash(&config);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": OCI_CONFIG,
            "size": config.len(),
            "digest": config_digest.to_string(),
        },
        "layers": layers.iter().map(|(digest, s)| serde_json::json!({
            "mediaType": s.mime_type,
            "size": s.payload.len(),
            "digest": digest.to_string(),
            "annotations": s.annotations,
        })).collect::<Vec<_>>(),
    });
    let mut blobs = vec![(config_digest, config)];
    for (digest, s) in &layers {
        if !blobs.iter().any(|(d, _)| d == digest) {
            blobs.push((digest.clone(), s.payload.clone()));
        }
    }
    Ok(Attachment {
        blobs,
        manifest: serde_json::to_vec(&manifest).expect("serialising JSON values"),
    })
}

/// Pushes `signatures` as the attachment of `digest` in the repository of
/// `repository` (the tag [`attachment_tag`]): every blob, then the
/// manifest. The caller passes only signatures that verified. When the
/// repository has an attachment for `digest` already: one holding every
/// signature is left as it is (`unchanged`); any other is replaced only
/// with `replace`, since the signatures it holds would be lost.
pub fn push_registry_signatures(
    client: &RegistryClient,
    repository: &Reference,
    digest: &Digest,
    signatures: &[SigstoreSignature],
    replace: bool,
) -> Result<Pushed, AttachmentError> {
    let sig_ref = attachment_reference(repository, digest)?;
    let location = sig_ref.to_string();
    let attachment = attachment(signatures, &location)?;
    let pushed = |uploaded_blobs, unchanged| Pushed {
        reference: location.clone(),
        signatures: signatures.len(),
        uploaded_blobs,
        unchanged,
    };
    if let Some(existing) = client.get_manifest_if_present(&sig_ref)? {
        let key = |l: &Layer| {
            (
                l.media_type.clone(),
                l.digest.clone(),
                l.annotations.clone(),
            )
        };
        let ours = attachment_layers(&attachment.manifest, None, &location)?;
        // An attachment that cannot be read is replaced like any other
        // that lacks our signatures.
        let theirs = attachment_layers(&existing.bytes, existing.media_type.as_deref(), &location)
            .unwrap_or_default();
        if ours.iter().all(|o| theirs.iter().any(|t| key(t) == key(o))) {
            return Ok(pushed(0, true));
        }
        if !replace {
            return Err(AttachmentError::Exists {
                location,
                count: theirs.len(),
            });
        }
    }
    let mut uploaded_blobs = 0;
    for (blob_digest, bytes) in &attachment.blobs {
        if client.push_blob(&sig_ref, blob_digest, bytes)? {
            uploaded_blobs += 1;
        }
    }
    client.put_manifest(&sig_ref, OCI_MANIFEST, &attachment.manifest)?;
    log::debug!(
        "{location}: pushed {} signature(s), {uploaded_blobs} blob(s) uploaded",
        signatures.len()
    );
    Ok(pushed(uploaded_blobs, false))
}

/// Whether `dir` is an OCI layout (it has an `oci-layout` file).
pub fn is_layout(dir: &Path) -> bool {
    dir.join("oci-layout").is_file()
}

/// Hands the sigstore signatures for `digest` in the OCI layout `dir` to
/// `each`: the layers of the manifests of its `index.json` named
/// [`attachment_tag`]`(digest)`, or, in a layout whose entries carry no
/// names (oc-mirror stores one `.sig` artifact per layout), of every
/// manifest. At most [`MAX_SIGSTORE_SIGNATURES`] in all.
pub fn layout_signatures(
    dir: &Path,
    digest: &Digest,
    each: &mut dyn FnMut(Signature),
) -> Result<(), AttachmentError> {
    let index_path = dir.join("index.json");
    let index_location = index_path.display().to_string();
    let index = crate::io::read_bounded(&index_path, "OCI layout index", MAX_MANIFEST_SIZE)?;
    let index = parse_document(&index, &index_location)?;
    let tag = attachment_tag(digest);
    let named = |d: &Descriptor| {
        d.annotations
            .as_ref()
            .and_then(|a| a.get(REF_NAME_ANNOTATION))
            .cloned()
    };
    let any_named = index.manifests.iter().any(|d| named(d).is_some());
    let chosen: Vec<Descriptor> = index
        .manifests
        .into_iter()
        .filter(|d| !any_named || named(d).as_deref() == Some(tag.as_str()))
        .collect();
    if chosen.len() > MAX_SIGSTORE_SIGNATURES {
        return Err(AttachmentError::TooMany {
            location: index_location,
            count: chosen.len(),
        });
    }
    // Every manifest is read and checked before any payload, so that the
    // limit holds for the layout as a whole.
    let mut manifests = Vec::new();
    let mut total = 0;
    for (i, entry) in chosen.into_iter().enumerate() {
        let at = format!("{index_location} manifests[{i}]");
        let invalid = |detail: String| AttachmentError::Invalid {
            location: at.clone(),
            detail,
        };
        if entry.media_type != OCI_MANIFEST {
            return Err(invalid(format!(
                "media type {:?}, expected {OCI_MANIFEST}",
                entry.media_type
            )));
        }
        let manifest_digest = Digest::parse(&entry.digest).map_err(|e| invalid(e.to_string()))?;
        let path = blob_path(dir, &manifest_digest);
        let bytes = crate::io::read_bounded(&path, "OCI manifest", MAX_MANIFEST_SIZE)?;
        if manifest_digest.algorithm().hash(&bytes) != manifest_digest {
            return Err(invalid(format!(
                "{} does not have the digest {manifest_digest}",
                path.display()
            )));
        }
        let location = format!("{}@{manifest_digest}", dir.display());
        let layers = attachment_layers(&bytes, None, &location)?;
        total += layers.len();
        if total > MAX_SIGSTORE_SIGNATURES {
            return Err(AttachmentError::TooMany {
                location: dir.display().to_string(),
                count: total,
            });
        }
        manifests.push((location, layers));
    }
    for (location, layers) in manifests {
        for (i, layer) in layers.into_iter().enumerate() {
            let path = blob_path(dir, &layer.digest);
            let payload = crate::io::read_bounded(&path, "sigstore payload", MAX_SIGSTORE_PAYLOAD)?;
            each(signature_of(layer, payload, &location, i + 1)?);
        }
    }
    Ok(())
}

/// `DIR/blobs/<algorithm>/<hex>` (a parsed digest holds no `/` or `..`).
fn blob_path(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs")
        .join(digest.algorithm().name())
        .join(digest.hex())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::sigstore::format::{SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE};

    fn oc_mirror(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/sigstore/oc-mirror")
            .join(name)
    }

    fn read_layout(dir: &Path, digest: &Digest) -> Result<Vec<Signature>, AttachmentError> {
        let mut v = Vec::new();
        layout_signatures(dir, digest, &mut |s| v.push(s)).map(|()| v)
    }

    #[test]
    fn the_tag_is_cosigns() {
        let d: Digest = "sha256:7d27ba1da0f64410102468d138f9ec8f61f2cc23bb58ff4cd63243a4434e3d99"
            .parse()
            .unwrap();
        assert_eq!(
            attachment_tag(&d),
            "sha256-7d27ba1da0f64410102468d138f9ec8f61f2cc23bb58ff4cd63243a4434e3d99.sig"
        );
    }

    #[test]
    fn oc_mirror_layouts_give_their_layers() {
        let d: Digest = "sha256:7d27ba1da0f64410102468d138f9ec8f61f2cc23bb58ff4cd63243a4434e3d99"
            .parse()
            .unwrap();
        let dir = oc_mirror("single-arch-empty-image-sig");
        let sigs = read_layout(&dir, &d).unwrap();
        assert_eq!(sigs.len(), 1);
        let s = SigstoreSignature::parse(&sigs[0].bytes).unwrap();
        assert_eq!(s.mime_type, SIMPLE_SIGNING_MEDIA_TYPE);
        assert!(s.annotation(SIGNATURE_ANNOTATION).is_some());
        assert!(
            std::str::from_utf8(&s.payload)
                .unwrap()
                .contains("quay.io/rh_ee_aguidi/empty-image")
        );
        assert!(sigs[0].source.ends_with(
            "single-arch-empty-image-sig@sha256:ed81f580f1cc03b20cb0600084a76b3da35a9e303ffc1b908e5b5e61e05d9f27#1"
        ));
    }

    /// A copy of the single-arch layout whose index.json and manifest are
    /// replaced (the manifest stored under its new digest).
    fn layout_with(manifest: &[u8], index_extra: &str) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let src = oc_mirror("single-arch-empty-image-sig");
        let blobs = tmp.path().join("blobs/sha256");
        std::fs::create_dir_all(&blobs).unwrap();
        for e in std::fs::read_dir(src.join("blobs/sha256")).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), blobs.join(e.file_name())).unwrap();
        }
        std::fs::copy(src.join("oci-layout"), tmp.path().join("oci-layout")).unwrap();
        let md = crate::image::digest::Algorithm::Sha256.hash(manifest);
        std::fs::write(blobs.join(md.hex()), manifest).unwrap();
        std::fs::write(
            tmp.path().join("index.json"),
            format!(
                r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{md}","size":{}{index_extra}}}]}}"#,
                manifest.len()
            ),
        )
        .unwrap();
        tmp
    }

    fn layer(digest: &str, size: i64) -> String {
        format!(
            r#"{{"mediaType":"{SIMPLE_SIGNING_MEDIA_TYPE}","digest":"{digest}","size":{size},"annotations":{{"{SIGNATURE_ANNOTATION}":"x"}}}}"#
        )
    }

    const PAYLOAD: &str = "sha256:5e7a034f575bb1b9188e4ea29470a2b86c640170125fa8c7ec9dc9c4bc17a373";

    fn manifest(layers: &[String]) -> Vec<u8> {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{}},"layers":[{}]}}"#,
            layers.join(",")
        )
        .into_bytes()
    }

    #[test]
    fn layouts_are_bounded_and_checked() {
        let d: Digest = PAYLOAD.parse().unwrap();
        // 129 layers: refused before any payload is read (the blobs do
        // not even exist).
        let many: Vec<String> = (0..=MAX_SIGSTORE_SIGNATURES)
            .map(|i| layer(&format!("sha256:{i:064x}"), 10))
            .collect();
        let tmp = layout_with(&manifest(&many), "");
        let e = read_layout(tmp.path(), &d).unwrap_err();
        assert!(
            matches!(e, AttachmentError::TooMany { count: 129, .. }),
            "{e}"
        );
        // Exactly the limit is fine as far as counting goes (the first
        // blob is then missing).
        let tmp = layout_with(&manifest(&many[..MAX_SIGSTORE_SIGNATURES]), "");
        assert!(matches!(
            read_layout(tmp.path(), &d),
            Err(AttachmentError::File(_))
        ));
        // A wrong size, a wrong digest, an oversized declaration.
        let tmp = layout_with(&manifest(&[layer(PAYLOAD, 247)]), "");
        let e = read_layout(tmp.path(), &d).unwrap_err().to_string();
        assert!(
            e.contains("layer 1: the blob has 248 bytes, the manifest says 247"),
            "{e}"
        );
        let tmp = layout_with(
            &manifest(&[layer(
                "sha256:1faf95412673f2c4345d6961ed543c92173589cfe364282f129d5de056003980",
                248,
            )]),
            "",
        );
        assert!(matches!(
            read_layout(tmp.path(), &d),
            Err(AttachmentError::Layer { layer: 1, .. })
        ));
        let tmp = layout_with(&manifest(&[layer(PAYLOAD, 5 * 1024 * 1024)]), "");
        let e = read_layout(tmp.path(), &d).unwrap_err().to_string();
        assert!(e.contains("not fetched"), "{e}");
    }

    #[test]
    fn named_layout_entries_select_the_image() {
        let d: Digest = PAYLOAD.parse().unwrap();
        let m = manifest(&[layer(PAYLOAD, 248)]);
        let tmp = layout_with(
            &m,
            &format!(
                r#","annotations":{{"{REF_NAME_ANNOTATION}":"{}"}}"#,
                attachment_tag(&d)
            ),
        );
        assert_eq!(read_layout(tmp.path(), &d).unwrap().len(), 1);
        let other: Digest = format!("sha256:{:064x}", 7).parse().unwrap();
        assert!(read_layout(tmp.path(), &other).unwrap().is_empty());
    }

    #[test]
    fn other_manifest_types_are_refused() {
        let e = attachment_layers(
            b"{}",
            Some("application/vnd.docker.distribution.manifest.v2+json"),
            "r",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("r: not a sigstore attachment manifest: media type"),
            "{e}"
        );
        let e = attachment_layers(br#"{"schemaVersion":1}"#, None, "r")
            .unwrap_err()
            .to_string();
        assert!(e.contains("schemaVersion is 1"), "{e}");
    }

    fn signature(payload: &[u8], value: &str) -> SigstoreSignature {
        SigstoreSignature {
            mime_type: SIMPLE_SIGNING_MEDIA_TYPE.into(),
            payload: payload.to_vec(),
            annotations: [(SIGNATURE_ANNOTATION.to_string(), value.to_string())].into(),
        }
    }

    #[test]
    fn an_attachment_written_reads_back_as_its_signatures() {
        let sigs = [signature(b"one", "sig-1"), signature(b"one", "sig-2")];
        let a = attachment(&sigs, "mirror/app:sha256-x.sig").unwrap();
        // The config and one blob for the repeated payload.
        assert_eq!(a.blobs.len(), 2);
        let config: serde_json::Value = serde_json::from_slice(&a.blobs[0].1).unwrap();
        let one = crate::image::digest::Algorithm::Sha256
            .hash(b"one")
            .to_string();
        assert_eq!(config["rootfs"]["diff_ids"], serde_json::json!([one, one]));
        let layers = attachment_layers(&a.manifest, Some(OCI_MANIFEST), "m").unwrap();
        assert_eq!(layers.len(), 2);
        for (layer, sig) in layers.into_iter().zip(&sigs) {
            let blob = a.blobs.iter().find(|(d, _)| *d == layer.digest).unwrap();
            let read = signature_of(layer, blob.1.clone(), "m", 1).unwrap();
            assert_eq!(SigstoreSignature::parse(&read.bytes).unwrap(), *sig);
        }
        let manifest: serde_json::Value = serde_json::from_slice(&a.manifest).unwrap();
        assert_eq!(manifest["config"]["mediaType"], OCI_CONFIG);
        assert_eq!(
            manifest["config"]["digest"],
            a.blobs[0].0.to_string(),
            "the config is the first blob"
        );
    }

    #[test]
    fn attachments_written_are_bounded_and_never_empty() {
        let many = vec![signature(b"p", "s"); MAX_SIGSTORE_SIGNATURES + 1];
        assert!(matches!(
            attachment(&many, "m"),
            Err(AttachmentError::TooMany { count: 129, .. })
        ));
        assert!(attachment(&many[..MAX_SIGSTORE_SIGNATURES], "m").is_ok());
        assert!(matches!(
            attachment(&[], "m"),
            Err(AttachmentError::Invalid { .. })
        ));
    }
}
