//! The containers configuration users already have, read the way podman
//! reads it: `registries.d` (where each image's signatures are:
//! [`registries_d`]) and `registries.conf` (mirrors, insecure and blocked
//! registries: [`registries_conf`]), with the default places of each file
//! and how each is overridden; which signature sources apply to an image
//! when none is given ([`signature_sources`]); and the [`Diagnostic`]
//! every problem in such a file is reported as.
//!
//! A stage of its own, between `sources` and `verify`/`policy`: both of
//! those read these files (`verify` must not import `policy`), and the
//! files decide where `sources` fetch from, so they sit above it.
//! `certs.d` is not here: it says how to connect to a host, which is the
//! HTTP client's business ([`crate::sources::certs_d`]).

pub mod registries_conf;
pub mod registries_d;
pub mod signature_sources;

use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

/// `$HOME`, if set and not empty.
pub(crate) fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// `$XDG_CONFIG_HOME`, else `$HOME/.config`: where podman reads a user's
/// registries.conf.
pub(crate) fn config_home() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| home_dir().map(|h| h.join(".config")))
}

/// How bad a [`Diagnostic`] is: errors make the configuration unusable
/// (or not what containers/image will do); warnings are risky setups;
/// notes say what relsig assumed (nothing to fix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
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

    pub fn note(file: impl Into<String>, path: Option<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Note,
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
}
