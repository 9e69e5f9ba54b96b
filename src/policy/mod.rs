//! The node trust policy containers/image (CRI-O, podman) enforces:
//! `policy.json` ([`config`]), `registries.d` ([`registries`]), the
//! decision for one image ([`eval`]) over the evidence [`evidence`]
//! gathers, checks of both files before a
//! rollout ([`lint`]), rendering them as a MachineConfig or Butane config
//! ([`render`]) and Red Hat's documented starting point ([`init`]).

pub mod config;
pub mod eval;
pub mod evidence;
pub mod init;
pub mod lint;
pub mod registries;
pub mod render;

use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

pub use config::Policy;
pub use registries::RegistriesD;

/// How bad a [`Diagnostic`] is: errors make the configuration unusable
/// (or not what containers/image will do); warnings are risky setups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in a configuration file, located by JSON/YAML path and,
/// where known, line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The JSON path (policy.json) or YAML key path (registries.d).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub message: String,
}

impl Diagnostic {
    pub fn error(
        file: impl Into<String>,
        path: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            line: None,
            path,
            message: message.into(),
        }
    }

    pub fn warning(
        file: impl Into<String>,
        path: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, path, message)
        }
    }

    pub fn at_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// `file[:line]: [path: ]message`, one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(path) = &self.path {
            write!(f, ": {path}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Extends a JSON/YAML path with an object member: `a.b` for plain names,
/// `a["registry.io"]` for anything else, so every path can be pasted into
/// `jq`.
pub(crate) fn member_path(parent: &str, key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!(
            "{parent}[{}]",
            serde_json::to_string(key).unwrap_or_default()
        ),
    }
}

/// Where a key path of a policy (keyPath, keyPaths) is read from: as
/// given, or under `root` for absolute paths (a copy of a node's files),
/// so a node policy can be checked on a workstation.
pub fn resolve_key_path(path: &str, root: Option<&Path>) -> PathBuf {
    match (root, path.strip_prefix('/')) {
        (Some(root), Some(relative)) => root.join(relative),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths_can_be_pasted_into_jq() {
        assert_eq!(member_path("", "transports"), "transports");
        assert_eq!(
            member_path("transports", "docker-daemon"),
            r#"transports["docker-daemon"]"#
        );
        assert_eq!(
            member_path("transports.docker", "registry.redhat.io"),
            r#"transports.docker["registry.redhat.io"]"#
        );
        assert_eq!(
            member_path("transports.docker", ""),
            r#"transports.docker[""]"#
        );
    }

    #[test]
    fn key_paths_move_under_the_root() {
        let root = Path::new("/tmp/node");
        assert_eq!(
            resolve_key_path("/etc/pki/k", Some(root)),
            PathBuf::from("/tmp/node/etc/pki/k")
        );
        assert_eq!(
            resolve_key_path("rel/k", Some(root)),
            PathBuf::from("rel/k")
        );
        assert_eq!(
            resolve_key_path("/etc/pki/k", None),
            PathBuf::from("/etc/pki/k")
        );
    }
}
