//! policy.json, registries.d and the key files the policy names as the
//! objects that install them on an OpenShift node pool: a MachineConfig
//! (Ignition 3.2.0, or 2.2.0 for older clusters, files with base64 data
//! URLs) or a Butane config (inline text, data URLs for binary keys),
//! serialised with serde_yaml_ng.
//!
//! Every key file the policy names is installed, except those RHCOS
//! ships ([`super::node_keys::RHCOS_KEYS`]): without its key, CRI-O
//! rejects every pull in the scope.

use super::config::Policy;
use super::node_keys::{self, KeyFile, KeySource};
use crate::config::Diagnostic;
use crate::signature::openpgp::keyring::Keyring;
use base64::Engine as _;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

/// Where containers/image reads the files on a node.
pub const NODE_POLICY_PATH: &str = "/etc/containers/policy.json";
pub const NODE_REGISTRIES_D: &str = "/etc/containers/registries.d";

/// Ignition's file mode for 0644.
const MODE_0644: u32 = 0o644;
const DATA_URL_PREFIX: &str = "data:text/plain;charset=utf-8;base64,";

/// The node pool a MachineConfig applies to (its
/// `machineconfiguration.openshift.io/role` label): `worker`, `master`
/// or a custom pool such as `infra`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role(String);

impl Role {
    /// A pool name: lower-case letters, digits, '-' and '.', starting and
    /// ending with a letter or digit, at most 63 characters (a label
    /// value that is also a pool's name).
    pub fn parse(s: &str) -> Result<Role, RenderError> {
        let ok = !s.is_empty()
            && s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric());
        if ok {
            Ok(Role(s.to_string()))
        } else {
            Err(RenderError::Role(s.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Red Hat's documented name, `51-<role>-rh-registry-trust`.
    pub fn default_name(&self) -> String {
        format!("51-{}-rh-registry-trust", self.0)
    }
}

/// The Ignition spec version of a MachineConfig.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IgnitionVersion {
    /// What OpenShift 4.6 and later render.
    #[default]
    V3_2,
    /// The older clusters of Red Hat's original procedure: files name
    /// their filesystem (`root`) and carry an empty `verification`.
    V2_2,
}

impl IgnitionVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            IgnitionVersion::V3_2 => "3.2.0",
            IgnitionVersion::V2_2 => "2.2.0",
        }
    }
}

/// One file to install on the nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFile {
    pub node_path: String,
    pub contents: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Read(#[from] crate::io::FileError),
    #[error(
        "invalid pool {0:?}: a role is a MachineConfigPool name: lower-case letters, digits, '-' and '.', at most 63 characters, starting and ending with a letter or digit"
    )]
    Role(String),
    #[error(
        "key path {0:?} is relative: a MachineConfig installs files at absolute paths, and CRI-O would read it from its working directory; use an absolute path in the policy"
    )]
    RelativeKeyPath(String),
    #[error(
        "invalid name {0:?}: a MachineConfig name is lower-case letters, digits, '-' and '.', at most 253 characters, starting and ending with a letter or digit"
    )]
    Name(String),
    #[error("cannot serialise YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
}

/// The files to install and what was decided about each key file.
#[derive(Debug, Clone, Default)]
pub struct TrustFiles {
    pub files: Vec<NodeFile>,
    /// A note per key file (installed from where, or why not), and a
    /// warning when a key file RHCOS ships differs from RHCOS's.
    pub diagnostics: Vec<Diagnostic>,
}

fn read_rendered(p: &Path, what: &'static str) -> Result<Vec<u8>, RenderError> {
    crate::io::read_bounded(p, what, crate::io::MAX_RENDERED_FILE).map_err(RenderError::Read)
}

/// The files to install: policy.json, every `*.yaml` of the registries.d
/// directory (the files containers/image reads; none without a
/// directory) by name, then every key file the policy names that RHCOS
/// does not ship, by path. Key paths are read under `root` when it is
/// given.
pub fn trust_files(
    policy_path: &Path,
    policy: &Policy,
    registries_d: Option<&Path>,
    root: Option<&Path>,
) -> Result<TrustFiles, RenderError> {
    let mut files = vec![NodeFile {
        node_path: NODE_POLICY_PATH.into(),
        contents: read_rendered(policy_path, "policy")?,
    }];
    if let Some(dir) = registries_d {
        let names = crate::config::registries_d::sorted_names(dir).map_err(|source| {
            RenderError::Read(crate::io::FileError::Io {
                what: "registries.d directory",
                path: dir.to_path_buf(),
                source,
            })
        })?;
        let paths = names
            .into_iter()
            .filter(|n| n.ends_with(".yaml"))
            .map(|n| dir.join(n))
            .filter(|p| p.is_file());
        for path in paths {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            files.push(NodeFile {
                node_path: format!("{NODE_REGISTRIES_D}/{name}"),
                contents: read_rendered(&path, "registries.d file")?,
            });
        }
    }
    let mut out = TrustFiles {
        files,
        diagnostics: Vec::new(),
    };
    let shown = policy_path.display().to_string();
    for node_path in node_keys::key_paths(policy) {
        if !node_path.starts_with('/') {
            return Err(RenderError::RelativeKeyPath(node_path));
        }
        let key = KeyFile::locate(&node_path, root);
        let Some(shipped) = key.shipped else {
            out.files.push(NodeFile {
                contents: read_rendered(&key.resolved, "key file")?,
                node_path: node_path.clone(),
            });
            out.diagnostics.push(Diagnostic::note(
                &shown,
                None,
                format!("{node_path}: installed from {}", key.resolved.display()),
            ));
            continue;
        };
        let not_installed = format!("{node_path}: not installed: RHCOS ships it");
        let differs = match key.source() {
            KeySource::Builtin(_) => None,
            KeySource::File(f) => {
                let theirs = fingerprints(|k| k.add_file(f));
                let rhcos = fingerprints(|k| k.add_bytes(node_path.as_str(), shipped.contents));
                (theirs != rhcos).then(|| (f.display().to_string(), theirs, rhcos))
            }
        };
        out.diagnostics.push(match differs {
            None => Diagnostic::note(&shown, None, not_installed),
            Some((file, theirs, rhcos)) => Diagnostic::warning(
                &shown,
                None,
                format!(
                    "{not_installed}, and the nodes keep their own copy: {file} holds the keys {} but RHCOS's ({}) holds {}; to trust other keys, install them under another path and name that in the policy",
                    join(&theirs),
                    shipped.copy_of,
                    join(&rhcos)
                ),
            ),
        });
    }
    Ok(out)
}

/// The primary fingerprints of what `add` loads (none if it fails).
fn fingerprints(
    add: impl FnOnce(&mut Keyring) -> Result<(), crate::signature::openpgp::keyring::KeyringError>,
) -> BTreeSet<String> {
    let mut k = Keyring::default();
    match add(&mut k) {
        Ok(()) => k.primary_fingerprints().map(|f| f.to_hex()).collect(),
        Err(_) => BTreeSet::new(),
    }
}

fn join(set: &BTreeSet<String>) -> String {
    if set.is_empty() {
        return "none".into();
    }
    set.iter().cloned().collect::<Vec<_>>().join(", ")
}

fn check_name(name: &str) -> Result<(), RenderError> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(RenderError::Name(name.into()))
    }
}

#[derive(Serialize)]
struct Labels<'a> {
    #[serde(rename = "machineconfiguration.openshift.io/role")]
    role: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MachineConfig<'a> {
    api_version: &'a str,
    kind: &'a str,
    metadata: McMetadata<'a>,
    spec: McSpec,
}

#[derive(Serialize)]
struct McMetadata<'a> {
    labels: Labels<'a>,
    name: &'a str,
}

#[derive(Serialize)]
struct McSpec {
    config: IgnitionConfig,
}

#[derive(Serialize)]
#[serde(untagged)]
enum IgnitionConfig {
    V3 {
        ignition: Version,
        storage: Storage<IgnitionFile>,
    },
    V2 {
        ignition: Version,
        storage: Storage<IgnitionFile2>,
    },
}

#[derive(Serialize)]
struct Version {
    version: &'static str,
}

#[derive(Serialize)]
struct Storage<F> {
    files: Vec<F>,
}

#[derive(Serialize)]
struct IgnitionFile {
    path: String,
    mode: u32,
    overwrite: bool,
    contents: Source,
}

#[derive(Serialize)]
struct Source {
    source: String,
}

/// An Ignition 2.2 file, in the field order of Red Hat's documented
/// MachineConfig.
#[derive(Serialize)]
struct IgnitionFile2 {
    contents: Source2,
    filesystem: &'static str,
    mode: u32,
    path: String,
}

#[derive(Serialize)]
struct Source2 {
    source: String,
    verification: Empty,
}

#[derive(Serialize)]
struct Empty {}

fn data_url(contents: &[u8]) -> String {
    format!(
        "{DATA_URL_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(contents)
    )
}

/// A MachineConfig installing `files` on the `role` pool.
pub fn machineconfig(
    name: &str,
    role: &Role,
    version: IgnitionVersion,
    files: &[NodeFile],
) -> Result<String, RenderError> {
    check_name(name)?;
    let config = match version {
        IgnitionVersion::V3_2 => IgnitionConfig::V3 {
            ignition: Version {
                version: version.as_str(),
            },
            storage: Storage {
                files: files
                    .iter()
                    .map(|f| IgnitionFile {
                        path: f.node_path.clone(),
                        mode: MODE_0644,
                        overwrite: true,
                        contents: Source {
                            source: data_url(&f.contents),
                        },
                    })
                    .collect(),
            },
        },
        IgnitionVersion::V2_2 => IgnitionConfig::V2 {
            ignition: Version {
                version: version.as_str(),
            },
            storage: Storage {
                files: files
                    .iter()
                    .map(|f| IgnitionFile2 {
                        contents: Source2 {
                            source: data_url(&f.contents),
                            verification: Empty {},
                        },
                        filesystem: "root",
                        mode: MODE_0644,
                        path: f.node_path.clone(),
                    })
                    .collect(),
            },
        },
    };
    let mc = MachineConfig {
        api_version: "machineconfiguration.openshift.io/v1",
        kind: "MachineConfig",
        metadata: McMetadata {
            labels: Labels {
                role: role.as_str(),
            },
            name,
        },
        spec: McSpec { config },
    };
    Ok(serde_yaml_ng::to_string(&mc)?)
}

#[derive(Serialize)]
struct Butane<'a> {
    variant: &'a str,
    version: &'a str,
    metadata: ButaneMetadata<'a>,
    storage: Storage<ButaneFile>,
}

#[derive(Serialize)]
struct ButaneMetadata<'a> {
    name: &'a str,
    labels: Labels<'a>,
}

#[derive(Serialize)]
struct ButaneFile {
    path: String,
    /// Decimal 420 is 0644; YAML has no octal that both Butane and
    /// serde_yaml_ng write the same way.
    mode: u32,
    overwrite: bool,
    contents: ButaneContents,
}

/// Text inline, as people write Butane; anything else (a binary key) as
/// a data URL.
#[derive(Serialize)]
#[serde(untagged)]
enum ButaneContents {
    Inline { inline: String },
    Source { source: String },
}

/// A Butane config (`butane FILE.bu -o FILE.yaml` makes the
/// MachineConfig) installing `files` on the `role` pool.
pub fn butane(name: &str, role: &Role, files: &[NodeFile]) -> Result<String, RenderError> {
    check_name(name)?;
    let files = files
        .iter()
        .map(|f| ButaneFile {
            path: f.node_path.clone(),
            mode: MODE_0644,
            overwrite: true,
            contents: match String::from_utf8(f.contents.clone()) {
                Ok(inline) => ButaneContents::Inline { inline },
                Err(_) => ButaneContents::Source {
                    source: data_url(&f.contents),
                },
            },
        })
        .collect();
    let bu = Butane {
        variant: "openshift",
        version: "4.14.0",
        metadata: ButaneMetadata {
            name,
            labels: Labels {
                role: role.as_str(),
            },
        },
        storage: Storage { files },
    };
    Ok(serde_yaml_ng::to_string(&bu)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_roles_are_checked() {
        let infra = Role::parse("infra").unwrap();
        assert!(check_name(&infra.default_name()).is_ok());
        for bad in ["", "Upper", "-a", "a-", "a_b", &"a".repeat(254)] {
            assert!(
                matches!(check_name(bad), Err(RenderError::Name(_))),
                "{bad}"
            );
        }
        for bad in ["", "Infra", "-a", "a b", &"a".repeat(64)] {
            assert!(
                matches!(Role::parse(bad), Err(RenderError::Role(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn binary_files_are_data_urls_in_butane_and_ignition_2_names_the_filesystem() {
        let files = [
            NodeFile {
                node_path: NODE_POLICY_PATH.into(),
                contents: b"{}".to_vec(),
            },
            NodeFile {
                node_path: "/etc/pki/containers/k.gpg".into(),
                contents: vec![0xff, 0xfe],
            },
        ];
        let role = Role::parse("worker").unwrap();
        let bu: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(&butane("x", &role, &files).unwrap()).unwrap();
        assert_eq!(bu["storage"]["files"][0]["contents"]["inline"], "{}");
        assert_eq!(
            bu["storage"]["files"][1]["contents"]["source"],
            "data:text/plain;charset=utf-8;base64,//4="
        );
        let mc: serde_yaml_ng::Value = serde_yaml_ng::from_str(
            &machineconfig("x", &role, IgnitionVersion::V2_2, &files).unwrap(),
        )
        .unwrap();
        let config = &mc["spec"]["config"];
        assert_eq!(config["ignition"]["version"], "2.2.0");
        let f = &config["storage"]["files"][0];
        assert_eq!(f["filesystem"], "root");
        assert_eq!(f["mode"], 420);
        assert!(f["contents"]["verification"].is_mapping());
        assert!(f.get("overwrite").is_none());
    }
}
