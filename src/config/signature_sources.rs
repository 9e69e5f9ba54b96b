//! Which signature sources apply to an image when the command line names
//! none:
//!
//! - for an OpenShift release (`quay.io/openshift-release-dev/…`), the
//!   release mirrors OpenShift itself reads;
//! - the lookaside registries.d assigns to where the manifest was fetched
//!   from (a registries.conf mirror, as containers/image does), else to the
//!   image's name;
//! - else, for `registry.redhat.io` and `registry.access.redhat.com`, the
//!   signature stores Red Hat documents for them.
//!
//! When none applies the image cannot be checked, and the error says how
//! to add a source: "no signatures" would read as "the image is unsigned".

use super::registries_d::{Lookaside, REDHAT_SIGSTORES, RegistriesD};
use crate::image::reference::Reference;
use crate::sources::stores::{DEFAULT_STORES, Location, SignatureSource};

/// The repositories OpenShift publishes releases under; their signatures
/// are in the release mirrors ([`DEFAULT_STORES`]).
pub const OPENSHIFT_RELEASE_NAMESPACE: &str = "quay.io/openshift-release-dev/";

/// A source that applies to an image, and why.
#[derive(Debug, Clone)]
pub struct ConfiguredSource {
    pub source: SignatureSource,
    /// The image whose repository path names it in a lookaside layout.
    pub reference: Reference,
    /// Where the source comes from, for reports.
    pub origin: String,
}

impl std::fmt::Display for ConfiguredSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.source, self.origin)
    }
}

/// No source can be used for an image.
#[derive(Debug, thiserror::Error)]
pub enum NoSignatureSource {
    #[error(
        "no signature source applies to {image}: {configured}, and relsig knows no signature store for {registry}; give --lookaside URL, --signature-store URL, --signature-dir DIR or --signature-configmap FILE, or add a registries.d file such as `docker: {{{registry}: {{lookaside: https://…}}}}`"
    )]
    None {
        image: String,
        registry: String,
        /// What registries.d said, e.g. "registries.d (DIR) configures no
        /// lookaside for it".
        configured: String,
    },
    #[error("registries.d {origin}: {detail}")]
    BadLookaside { origin: String, detail: String },
}

/// The sources for the image called `name` whose manifest came from
/// `fetched_from` (`None` when no registry was read), in the order to try
/// them.
pub fn for_image(
    registries: &RegistriesD,
    fetched_from: Option<&Reference>,
    name: &Reference,
) -> Result<Vec<ConfiguredSource>, NoSignatureSource> {
    let mut out = Vec::new();
    if name.repository().starts_with(OPENSHIFT_RELEASE_NAMESPACE) {
        for store in DEFAULT_STORES {
            if let Ok(location) = Location::parse(store) {
                out.push(ConfiguredSource {
                    source: SignatureSource::Mirror(location),
                    reference: name.clone(),
                    origin: "OpenShift's release signature mirror".into(),
                });
            }
        }
    }
    let candidates: Vec<&Reference> = match fetched_from {
        Some(f) if f.repository() != name.repository() => vec![f, name],
        _ => vec![name],
    };
    let configured = candidates
        .iter()
        .find_map(|r| registries.lookaside_for(r).map(|l| (l, *r)));
    if let Some((lookaside, reference)) = configured {
        out.push(from_registries_d(&lookaside, reference)?);
    } else if let Some((reference, url)) = candidates.iter().find_map(|r| {
        REDHAT_SIGSTORES
            .iter()
            .find(|(registry, _)| r.domain() == *registry)
            .map(|(_, url)| (*r, *url))
    }) && let Ok(location) = Location::parse(url)
    {
        out.push(ConfiguredSource {
            source: SignatureSource::Lookaside(location),
            reference: reference.clone(),
            origin: format!(
                "Red Hat's documented signature store for {}",
                reference.domain()
            ),
        });
    }
    if out.is_empty() {
        let configured = match &registries.dir {
            Some(dir) => format!(
                "registries.d ({}) configures no lookaside for it",
                dir.display()
            ),
            None => "no registries.d directory was found".to_string(),
        };
        return Err(NoSignatureSource::None {
            image: name.to_string(),
            registry: name.domain().to_string(),
            configured,
        });
    }
    Ok(out)
}

fn from_registries_d(
    lookaside: &Lookaside,
    reference: &Reference,
) -> Result<ConfiguredSource, NoSignatureSource> {
    let origin = match &lookaside.file {
        Some(f) => format!("registries.d {} in {}", lookaside.scope, f.display()),
        None => format!("registries.d {}", lookaside.scope),
    };
    let bad = |detail: String| NoSignatureSource::BadLookaside {
        origin: origin.clone(),
        detail,
    };
    let url = lookaside.base_url().map_err(bad)?;
    let location = Location::parse(url.as_str()).map_err(|e| bad(e.to_string()))?;
    Ok(ConfiguredSource {
        source: SignatureSource::Lookaside(location),
        reference: reference.clone(),
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Reference {
        Reference::parse(s).unwrap()
    }

    fn shown(sources: &[ConfiguredSource]) -> Vec<String> {
        sources.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn red_hat_registries_get_red_hat_stores_and_releases_the_mirror() {
        let empty = RegistriesD::default();
        let s = for_image(&empty, None, &r("registry.redhat.io/ubi9/ubi:9.4")).unwrap();
        assert_eq!(
            shown(&s),
            [
                "lookaside https://registry.redhat.io/containers/sigstore (Red Hat's documented signature store for registry.redhat.io)"
            ]
        );
        let release = r("quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64");
        let s = for_image(
            &empty,
            Some(&r("mirror.example.com/ocp/release:4.15.0")),
            &release,
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert!(
            s.iter()
                .all(|c| matches!(c.source, SignatureSource::Mirror(_)))
        );
    }

    #[test]
    fn registries_d_wins_and_the_fetch_location_comes_first() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.yaml"),
            "docker:\n  mirror.example.com:\n    lookaside: https://sigs.example.com/m\n  registry.redhat.io:\n    lookaside: https://rh.example.com\n",
        )
        .unwrap();
        let rd = RegistriesD::load(dir.path()).unwrap();
        let name = r("registry.redhat.io/ubi9/ubi:9.4");
        let s = for_image(&rd, None, &name).unwrap();
        assert_eq!(s.len(), 1);
        assert!(s[0].to_string().starts_with(
            "lookaside https://rh.example.com (registries.d docker[\"registry.redhat.io\"] in "
        ));
        let mirror = r("mirror.example.com/rh/ubi9/ubi:9.4");
        let s = for_image(&rd, Some(&mirror), &name).unwrap();
        assert!(
            s[0].to_string()
                .starts_with("lookaside https://sigs.example.com/m ")
        );
        assert_eq!(s[0].reference, mirror);
    }

    #[test]
    fn no_source_says_how_to_add_one() {
        let e = for_image(&RegistriesD::default(), None, &r("quay.io/me/app:1"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("no signature source applies to quay.io/me/app:1: "),
            "{e}"
        );
        assert!(e.contains("--lookaside URL"), "{e}");
        assert!(
            e.contains("docker: {quay.io: {lookaside: https://…}}"),
            "{e}"
        );
    }
}
