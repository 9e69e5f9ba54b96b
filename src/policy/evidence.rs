//! What `signedBy` is judged on, gathered as containers/image gathers it:
//! the manifest (from a file, or from the registry through
//! registries.conf's mirrors) and the signatures (from the sources given,
//! else from the lookaside registries.d assigns to where the manifest was
//! fetched, else the built-in default lookaside; plus, where registries.d
//! sets `use-sigstore-attachments: true` for that location, the sigstore
//! attachments in its repository, after the lookaside's, as
//! containers/image reads them).

use super::eval::Evidence;
use crate::config::registries_conf::{self, PullError, RegistriesConf};
use crate::config::registries_d::{Lookaside, RegistriesD};
use crate::image::manifest::{Manifest, ManifestError};
use crate::image::reference::Reference;
use crate::io::{FileError, MAX_MANIFEST_SIZE, read_bounded};
use crate::sources::attachments::{AttachmentError, attachment_reference};
use crate::sources::http::HttpClient;
use crate::sources::registry::{Credentials, RegistryClient};
use crate::sources::stores::{Location, SignatureSource, StoreError};
use std::path::Path;

/// Where the evidence for one image comes from.
#[derive(Debug)]
pub struct EvidenceSources<'a> {
    /// The manifest file to use instead of the registry's.
    pub manifest_file: Option<&'a Path>,
    /// Signature sources given explicitly; when empty, registries.d's
    /// lookaside for the image is read.
    pub signatures: &'a [SignatureSource],
    pub registries: &'a RegistriesD,
    /// Mirrors the manifest is fetched through.
    pub registries_conf: &'a RegistriesConf,
    /// The lookaside when registries.d names none (containers/image:
    /// `file:///var/lib/containers/sigstore`).
    pub default_lookaside: &'a str,
}

/// Why the evidence could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error(transparent)]
    ManifestFile(#[from] FileError),
    #[error(transparent)]
    Registry(#[from] PullError),
    #[error("cannot compute the digest of the manifest of {image}")]
    Digest {
        image: String,
        #[source]
        source: ManifestError,
    },
    #[error("{detail} ({origin})")]
    Lookaside { detail: String, origin: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Attachments(#[from] AttachmentError),
}

/// Fetches the manifest and every signature of `image`.
pub fn gather(
    image: &Reference,
    from: &EvidenceSources<'_>,
    http: &HttpClient,
    credentials: Credentials,
) -> Result<Evidence, EvidenceError> {
    let client = RegistryClient::new(http.clone(), credentials);
    let (bytes, fetched_from) = match from.manifest_file {
        Some(path) => (
            read_bounded(path, "manifest", MAX_MANIFEST_SIZE)?,
            image.clone(),
        ),
        None => {
            let fetched = registries_conf::get_manifest(from.registries_conf, &client, image)?;
            (fetched.manifest.bytes, fetched.from.reference)
        }
    };
    let manifest = Manifest::new(bytes);
    let digest = match manifest.digest() {
        Ok(d) => d,
        Err(source) => {
            let e = EvidenceError::Digest {
                image: image.to_string(),
                source,
            };
            return Ok(Evidence {
                manifest,
                signatures: Vec::new(),
                searched: String::new(),
                manifest_error: Some(crate::io::error_chain(&e)),
            });
        }
    };
    let mut sources = from.signatures.to_vec();
    // The lookaside layout names the image where it was fetched, as
    // containers/image does; the sources given name it as given.
    let mut located = image;
    if sources.is_empty() {
        sources.push(lookaside_source(
            &fetched_from,
            from.registries,
            from.default_lookaside,
        )?);
        located = &fetched_from;
    }
    let mut signatures = Vec::new();
    for source in &sources {
        signatures.extend(source.signatures(http, Some(located), &digest)?);
    }
    let mut searched: Vec<String> = sources.iter().map(ToString::to_string).collect();
    // Attachments live with the manifest, in the repository it was
    // fetched from (a mirror's too), when registries.d enables them there.
    if from.signatures.is_empty() && from.registries.sigstore_attachments_for(&fetched_from).0 {
        let attachments = SignatureSource::Attachments(client);
        signatures.extend(attachments.signatures(http, Some(&fetched_from), &digest)?);
        let tag = attachment_reference(&fetched_from, &digest)?;
        searched.push(format!("{attachments} ({tag})"));
    }
    Ok(Evidence {
        manifest,
        signatures,
        searched: searched.join(", "),
        manifest_error: None,
    })
}

/// The lookaside `registries` assigns to `image` (named where its
/// manifest was fetched, a mirror included), else `default_lookaside`.
pub fn lookaside_source(
    image: &Reference,
    registries: &RegistriesD,
    default_lookaside: &str,
) -> Result<SignatureSource, EvidenceError> {
    let lookaside = registries
        .lookaside_for(image)
        .unwrap_or_else(|| Lookaside {
            scope: "built-in default".into(),
            file: None,
            url: default_lookaside.into(),
        });
    let origin = match &lookaside.file {
        Some(f) => format!("{} in {}", lookaside.scope, f.display()),
        None => lookaside.scope.clone(),
    };
    let url = lookaside
        .base_url()
        .map_err(|detail| EvidenceError::Lookaside { detail, origin })?;
    Ok(SignatureSource::Lookaside(Location::parse(url.as_str())?))
}
