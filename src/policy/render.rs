//! policy.json and registries.d as the objects that install them on an
//! OpenShift node pool: a MachineConfig (Ignition 3.2.0 files with base64
//! data URLs) or a Butane config (inline contents), serialised with
//! serde_yaml_ng.

use base64::Engine as _;
use serde::Serialize;
use std::path::Path;

/// Where containers/image reads the files on a node.
pub const NODE_POLICY_PATH: &str = "/etc/containers/policy.json";
pub const NODE_REGISTRIES_D: &str = "/etc/containers/registries.d";

/// Ignition's file mode for 0644.
const MODE_0644: u32 = 0o644;
const DATA_URL_PREFIX: &str = "data:text/plain;charset=utf-8;base64,";

/// The node pool a MachineConfig applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Worker,
    Master,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Worker => "worker",
            Role::Master => "master",
        }
    }

    /// Red Hat's documented name, `51-<role>-rh-registry-trust`.
    pub fn default_name(self) -> String {
        format!("51-{}-rh-registry-trust", self.as_str())
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
        "invalid name {0:?}: a MachineConfig name is lower-case letters, digits, '-' and '.', at most 253 characters, starting and ending with a letter or digit"
    )]
    Name(String),
    #[error(
        "{0} is not UTF-8 text, which a Butane inline file must be; use --format machineconfig"
    )]
    NotText(String),
    #[error("cannot serialise YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
}

/// The files to install: policy.json, then every `*.yaml` of the
/// registries.d directory (the files containers/image reads), by name.
/// Without a registries.d directory, only policy.json.
pub fn trust_files(
    policy: &Path,
    registries_d: Option<&Path>,
) -> Result<Vec<NodeFile>, RenderError> {
    let read = |p: &Path| {
        crate::io::read_bounded(p, "file", crate::io::MAX_RENDERED_FILE).map_err(RenderError::Read)
    };
    let mut files = vec![NodeFile {
        node_path: NODE_POLICY_PATH.into(),
        contents: read(policy)?,
    }];
    let Some(registries_d) = registries_d else {
        return Ok(files);
    };
    let names = super::registries::sorted_names(registries_d).map_err(|source| {
        RenderError::Read(crate::io::FileError::Io {
            what: "registries.d directory",
            path: registries_d.to_path_buf(),
            source,
        })
    })?;
    let names = names
        .into_iter()
        .filter(|n| n.ends_with(".yaml"))
        .map(|n| registries_d.join(n))
        .filter(|p| p.is_file());
    for path in names {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        files.push(NodeFile {
            node_path: format!("{NODE_REGISTRIES_D}/{name}"),
            contents: read(&path)?,
        });
    }
    Ok(files)
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
    spec: McSpec<'a>,
}

#[derive(Serialize)]
struct McMetadata<'a> {
    labels: Labels<'a>,
    name: &'a str,
}

#[derive(Serialize)]
struct McSpec<'a> {
    config: IgnitionConfig<'a>,
}

#[derive(Serialize)]
struct IgnitionConfig<'a> {
    ignition: IgnitionVersion<'a>,
    storage: Storage<IgnitionFile>,
}

#[derive(Serialize)]
struct IgnitionVersion<'a> {
    version: &'a str,
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

/// A MachineConfig installing `files` on the `role` pool.
pub fn machineconfig(name: &str, role: Role, files: &[NodeFile]) -> Result<String, RenderError> {
    check_name(name)?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mc = MachineConfig {
        api_version: "machineconfiguration.openshift.io/v1",
        kind: "MachineConfig",
        metadata: McMetadata {
            labels: Labels {
                role: role.as_str(),
            },
            name,
        },
        spec: McSpec {
            config: IgnitionConfig {
                ignition: IgnitionVersion { version: "3.2.0" },
                storage: Storage {
                    files: files
                        .iter()
                        .map(|f| IgnitionFile {
                            path: f.node_path.clone(),
                            mode: MODE_0644,
                            overwrite: true,
                            contents: Source {
                                source: format!("{DATA_URL_PREFIX}{}", b64.encode(&f.contents)),
                            },
                        })
                        .collect(),
                },
            },
        },
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
    contents: Inline,
}

#[derive(Serialize)]
struct Inline {
    inline: String,
}

/// A Butane config (`butane FILE.bu -o FILE.yaml` makes the
/// MachineConfig) installing `files` on the `role` pool.
pub fn butane(name: &str, role: Role, files: &[NodeFile]) -> Result<String, RenderError> {
    check_name(name)?;
    let files = files
        .iter()
        .map(|f| {
            let text = String::from_utf8(f.contents.clone())
                .map_err(|_| RenderError::NotText(f.node_path.clone()))?;
            Ok(ButaneFile {
                path: f.node_path.clone(),
                mode: MODE_0644,
                overwrite: true,
                contents: Inline { inline: text },
            })
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
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
    fn names_are_checked() {
        assert!(check_name(&Role::Master.default_name()).is_ok());
        for bad in ["", "Upper", "-a", "a-", "a_b", &"a".repeat(254)] {
            assert!(
                matches!(check_name(bad), Err(RenderError::Name(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn butane_refuses_binary_contents() {
        let f = NodeFile {
            node_path: NODE_POLICY_PATH.into(),
            contents: vec![0xff, 0xfe],
        };
        assert!(matches!(
            butane("x", Role::Worker, std::slice::from_ref(&f)),
            Err(RenderError::NotText(_))
        ));
        assert!(machineconfig("x", Role::Worker, &[f]).is_ok());
    }
}
