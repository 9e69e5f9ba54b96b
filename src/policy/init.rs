//! Red Hat's documented starting point: a policy.json requiring release
//! key 2 for `registry.access.redhat.com` and `registry.redhat.io`, one
//! registries.d file per registry pointing at Red Hat's signature stores,
//! and the key file the policy names.

use super::node_keys::{REDHAT_KEY_FILE, REDHAT_KEY_NODE_PATH};
use crate::config::registries_d::{FileConfig, Namespace, REDHAT_SIGSTORES, Scopes};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{0} already exists; use --force to overwrite")]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot serialise {0}")]
    Serialise(String),
}

/// policy.json's shape, with `type` first in each requirement as people
/// write it.
#[derive(Serialize)]
struct PolicyFile<'a> {
    default: Vec<Req<'a>>,
    transports: Transports<'a>,
}

#[derive(Serialize)]
struct Transports<'a> {
    docker: BTreeMap<&'a str, Vec<Req<'a>>>,
    #[serde(rename = "docker-daemon")]
    docker_daemon: BTreeMap<&'a str, Vec<Req<'a>>>,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Req<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_path: Option<&'a str>,
}

/// The files, relative to the output directory: `policy.json`,
/// `registries.d/<registry>.yaml`, and the key file at its node path
/// (`etc/pki/rpm-gpg/…`) so that `--root DIR` finds it.
pub fn redhat_files() -> Result<Vec<(PathBuf, Vec<u8>)>, InitError> {
    let signed_by = vec![Req {
        kind: "signedBy",
        key_type: Some("GPGKeys"),
        key_path: Some(REDHAT_KEY_NODE_PATH),
    }];
    let anything = || {
        vec![Req {
            kind: "insecureAcceptAnything",
            key_type: None,
            key_path: None,
        }]
    };
    let policy = PolicyFile {
        default: anything(),
        transports: Transports {
            docker: REDHAT_SIGSTORES
                .iter()
                .map(|(registry, _)| (*registry, signed_by.clone()))
                .collect(),
            docker_daemon: [("", anything())].into_iter().collect(),
        },
    };
    let mut policy = serde_json::to_vec_pretty(&policy)
        .map_err(|e| InitError::Serialise(format!("policy.json: {e}")))?;
    policy.push(b'\n');
    let mut files = vec![(PathBuf::from("policy.json"), policy)];
    for (registry, url) in REDHAT_SIGSTORES {
        let config = FileConfig {
            docker: Some(Scopes(vec![(
                registry.to_string(),
                Namespace {
                    sigstore: Some(url.to_string()),
                    ..Namespace::default()
                },
            )])),
            ..FileConfig::default()
        };
        let yaml = serde_yaml_ng::to_string(&config)
            .map_err(|e| InitError::Serialise(format!("{registry}.yaml: {e}")))?;
        files.push((
            Path::new("registries.d").join(format!("{registry}.yaml")),
            yaml.into_bytes(),
        ));
    }
    files.push((
        PathBuf::from(REDHAT_KEY_NODE_PATH.trim_start_matches('/')),
        REDHAT_KEY_FILE.to_vec(),
    ));
    Ok(files)
}

/// Writes [`redhat_files`] under `out`; refuses to replace an existing
/// file unless `force`. Returns the paths written.
pub fn write_redhat(out: &Path, force: bool) -> Result<Vec<PathBuf>, InitError> {
    let files = redhat_files()?;
    if !force && let Some((rel, _)) = files.iter().find(|(rel, _)| out.join(rel).exists()) {
        return Err(InitError::Exists(out.join(rel)));
    }
    let mut written = Vec::new();
    for (rel, bytes) in files {
        let path = out.join(rel);
        let io = |source| InitError::Write {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&path, bytes).map_err(io)?;
        written.push(path);
    }
    Ok(written)
}
