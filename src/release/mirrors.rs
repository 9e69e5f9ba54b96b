//! Where a mirrored release's images are: the ImageDigestMirrorSet and
//! ImageContentSourcePolicy objects `oc adm release mirror` and oc-mirror
//! write (YAML, several documents per file), and `--mirror SOURCE=MIRROR`
//! pairs. As on the cluster (the machine-config-operator turns them into
//! registries.conf `mirror-by-digest-only` mirrors), they apply to digest
//! references only; a source matches its own repository and every
//! repository below it, the longest source wins, and the rules of one
//! source are merged in the order given.

use crate::image::reference::Reference;
use crate::io::{FileError, MAX_MIRROR_CONFIG};
use serde::Deserialize;
use std::path::Path;

/// Why a mirror configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MirrorConfigError {
    #[error(transparent)]
    Read(#[from] FileError),
    #[error("{origin}: {detail}")]
    Invalid { origin: String, detail: String },
}

/// The mirrors of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorRule {
    /// `host[:port][/path…]`: the repository (or namespace) mirrored.
    pub source: String,
    /// `host[:port][/path…]`, tried in order.
    pub mirrors: Vec<String>,
}

/// Every mirror rule given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MirrorMap {
    rules: Vec<MirrorRule>,
}

impl MirrorMap {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn rules(&self) -> &[MirrorRule] {
        &self.rules
    }

    /// Adds `mirrors` for `source` (after any it has already).
    pub fn add(
        &mut self,
        source: &str,
        mirrors: &[String],
        origin: &str,
    ) -> Result<(), MirrorConfigError> {
        let invalid = |detail: String| MirrorConfigError::Invalid {
            origin: origin.to_string(),
            detail,
        };
        check_location(source).map_err(|d| invalid(format!("source {source:?}: {d}")))?;
        for m in mirrors {
            check_location(m).map_err(|d| invalid(format!("mirror {m:?}: {d}")))?;
        }
        match self.rules.iter_mut().find(|r| r.source == source) {
            Some(rule) => {
                for m in mirrors {
                    if !rule.mirrors.contains(m) {
                        rule.mirrors.push(m.clone());
                    }
                }
            }
            None => self.rules.push(MirrorRule {
                source: source.to_string(),
                mirrors: mirrors.to_vec(),
            }),
        }
        Ok(())
    }

    /// `SOURCE=MIRROR`, as `--mirror` takes it.
    pub fn add_pair(&mut self, pair: &str) -> Result<(), MirrorConfigError> {
        let origin = format!("--mirror {pair}");
        let Some((source, mirror)) = pair.split_once('=') else {
            return Err(MirrorConfigError::Invalid {
                origin,
                detail: "expected SOURCE=MIRROR, e.g. quay.io/openshift-release-dev=mirror.example.com:5000/ocp".into(),
            });
        };
        self.add(source.trim(), &[mirror.trim().to_string()], &origin)
    }

    /// Reads an ImageDigestMirrorSet / ImageContentSourcePolicy file.
    pub fn read_file(&mut self, path: &Path) -> Result<(), MirrorConfigError> {
        let bytes = crate::io::read_bounded(path, "mirror configuration", MAX_MIRROR_CONFIG)?;
        self.add_yaml(&bytes, &path.display().to_string())
    }

    /// Adds the mirrors of every document of `yaml`; `name` names it in
    /// errors.
    pub fn add_yaml(&mut self, yaml: &[u8], name: &str) -> Result<(), MirrorConfigError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Object {
            #[serde(default)]
            kind: String,
            #[serde(default)]
            spec: Spec,
        }
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase")]
        struct Spec {
            #[serde(default)]
            image_digest_mirrors: Vec<Entry>,
            #[serde(default)]
            repository_digest_mirrors: Vec<Entry>,
        }
        #[derive(Deserialize)]
        struct Entry {
            source: String,
            #[serde(default)]
            mirrors: Vec<String>,
        }
        let invalid = |detail: String| MirrorConfigError::Invalid {
            origin: name.to_string(),
            detail,
        };
        crate::io::check_nesting(yaml).map_err(|e| invalid(e.to_string()))?;
        let text = std::str::from_utf8(yaml).map_err(|_| invalid("not UTF-8 text".into()))?;
        let mut objects = 0;
        for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
            let value = serde_yaml_ng::Value::deserialize(doc)
                .map_err(|e| invalid(format!("document {}: not valid YAML ({e})", i + 1)))?;
            if value.is_null() {
                continue;
            }
            let object: Object = serde_yaml_ng::from_value(value).map_err(|e| {
                invalid(format!(
                    "document {}: not an ImageDigestMirrorSet or ImageContentSourcePolicy ({e})",
                    i + 1
                ))
            })?;
            let (entries, field) = match object.kind.as_str() {
                "ImageDigestMirrorSet" => (object.spec.image_digest_mirrors, "imageDigestMirrors"),
                "ImageContentSourcePolicy" => (
                    object.spec.repository_digest_mirrors,
                    "repositoryDigestMirrors",
                ),
                other => {
                    return Err(invalid(format!(
                        "document {}: kind {other:?}, expected ImageDigestMirrorSet or ImageContentSourcePolicy",
                        i + 1
                    )));
                }
            };
            let origin = format!("{name}: document {}", i + 1);
            for (j, e) in entries.iter().enumerate() {
                self.add(
                    &e.source,
                    &e.mirrors,
                    &format!("{origin}: spec.{field}[{j}]"),
                )?;
            }
            objects += 1;
        }
        if objects == 0 {
            return Err(invalid(
                "no ImageDigestMirrorSet or ImageContentSourcePolicy in the file".into(),
            ));
        }
        Ok(())
    }

    /// Where `reference` is mirrored, in the order to try: nothing for a
    /// reference without a digest or that no source matches.
    pub fn locations(&self, reference: &Reference) -> Vec<Reference> {
        let Some(digest) = reference.digest() else {
            return Vec::new();
        };
        let repository = reference.repository();
        let Some(rule) = self
            .rules
            .iter()
            .filter(|r| {
                repository == r.source
                    || repository
                        .strip_prefix(r.source.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|r| r.source.len())
        else {
            return Vec::new();
        };
        let rest = &repository[rule.source.len()..];
        rule.mirrors
            .iter()
            .filter_map(|m| Reference::parse(&format!("{m}{rest}@{digest}")).ok())
            .collect()
    }
}

/// A source or mirror: `host[:port][/path…]`, fully qualified, without a
/// tag or digest.
fn check_location(location: &str) -> Result<(), String> {
    let host = location.split('/').next().unwrap_or_default();
    if !(host.contains('.') || host.contains(':') || host == "localhost") {
        return Err("expected a registry host first (host[:port][/path])".into());
    }
    if location.contains('@')
        || location
            .rsplit('/')
            .next()
            .is_some_and(|l| l.contains(':') && l != host)
    {
        return Err("a repository, without a tag or digest".into());
    }
    if !location.contains('/') {
        // A whole registry: `Reference` would read a bare host as a
        // docker.io repository.
        return Ok(());
    }
    let parsed = Reference::parse(location).map_err(|e| e.to_string())?;
    if parsed.repository() != location && parsed.domain() != location {
        return Err(format!(
            "not in its normal form (did you mean {}?)",
            parsed.repository()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDMS: &str = "---
apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata:
  name: release-0
spec:
  imageDigestMirrors:
  - mirrors:
    - mirror.example.com:5000/ocp/release
    source: quay.io/openshift-release-dev/ocp-release
  - mirrors:
    - mirror.example.com:5000/ocp/release
    source: quay.io/openshift-release-dev/ocp-v4.0-art-dev
---
apiVersion: operator.openshift.io/v1alpha1
kind: ImageContentSourcePolicy
metadata:
  name: other
spec:
  repositoryDigestMirrors:
  - mirrors:
    - second.example.com/all
    source: quay.io
";

    #[test]
    fn idms_and_icsp_documents_map_digest_references() {
        let mut map = MirrorMap::default();
        map.add_yaml(IDMS.as_bytes(), "idms.yaml").unwrap();
        let d = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
        let art = Reference::parse(&format!(
            "quay.io/openshift-release-dev/ocp-v4.0-art-dev@{d}"
        ))
        .unwrap();
        let loc: Vec<String> = map.locations(&art).iter().map(|r| r.to_string()).collect();
        assert_eq!(loc, [format!("mirror.example.com:5000/ocp/release@{d}")]);
        // The longest source wins; below a source the path is kept.
        let other = Reference::parse(&format!("quay.io/org/app@{d}")).unwrap();
        let loc: Vec<String> = map
            .locations(&other)
            .iter()
            .map(|r| r.to_string())
            .collect();
        assert_eq!(loc, [format!("second.example.com/all/org/app@{d}")]);
        // Tags are not mirrored; `quay.io/openshift-release-dev/ocp-release-x`
        // is not below `…/ocp-release`.
        assert!(
            map.locations(&Reference::parse("quay.io/org/app:1").unwrap())
                .is_empty()
        );
        let near =
            Reference::parse(&format!("quay.io/openshift-release-dev/ocp-release-x@{d}")).unwrap();
        assert_eq!(map.locations(&near)[0].domain(), "second.example.com");
    }

    #[test]
    fn bad_configurations_name_the_place() {
        let mut map = MirrorMap::default();
        let e = map
            .add_yaml(b"kind: ImageTagMirrorSet\nspec: {}\n", "m.yaml")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("m.yaml: document 1: kind \"ImageTagMirrorSet\""),
            "{e}"
        );
        let e = map.add_pair("quay.io").unwrap_err();
        assert!(e.to_string().contains("expected SOURCE=MIRROR"), "{e}");
        let e = map.add_pair("quay.io/a=mirror:5000/b:tag").unwrap_err();
        assert!(e.to_string().contains("without a tag"), "{e}");
        let e = map
            .add_pair("ocp-release=mirror.example.com/x")
            .unwrap_err();
        assert!(e.to_string().contains("registry host first"), "{e}");
        assert!(map.add_yaml(b"", "empty.yaml").is_err());
        map.add_pair("quay.io/a=localhost:5000/b").unwrap();
    }
}
