//! The key files a policy names (`keyPath`, `keyPaths`) and where relsig
//! reads each one: under `--root` (a copy of a node's files) or at the
//! path itself, except that a file RHCOS ships which is not there is
//! read from relsig's built-in copy of it (a laptop has no
//! `/etc/pki/rpm-gpg`, a node always has). Also which files a
//! MachineConfig must install: every one RHCOS does not ship.

use super::config::{Policy, Requirement, Rule};
use super::resolve_key_path;
use crate::signature::openpgp::keyring::{Keyring, KeyringError};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where Red Hat's documented policy expects Red Hat's keys on a node.
pub const REDHAT_KEY_NODE_PATH: &str = "/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release";

/// RHEL 9's `RPM-GPG-KEY-redhat-release` (release key 2 and auxiliary
/// key 3): what RHCOS ships at [`REDHAT_KEY_NODE_PATH`].
pub const REDHAT_KEY_FILE: &[u8] = include_bytes!("../../keys/RPM-GPG-KEY-redhat-release.rhel9");

/// A key file RHCOS ships, with relsig's copy of it.
#[derive(Debug)]
pub struct ShippedKey {
    /// Where it is on every RHCOS node.
    pub node_path: &'static str,
    /// relsig's copy (`keys/`).
    pub contents: &'static [u8],
    /// Which copy, for messages.
    pub copy_of: &'static str,
}

/// The key files RHCOS ships that a policy may name.
pub const RHCOS_KEYS: [ShippedKey; 1] = [ShippedKey {
    node_path: REDHAT_KEY_NODE_PATH,
    contents: REDHAT_KEY_FILE,
    copy_of: "RHEL 9's, as RHCOS ships it",
}];

/// The RHCOS key file at `node_path`, if RHCOS ships one there.
pub fn shipped(node_path: &str) -> Option<&'static ShippedKey> {
    RHCOS_KEYS.iter().find(|k| k.node_path == node_path)
}

/// Where one key path of a policy is read from.
#[derive(Debug, Clone, Copy)]
pub enum KeySource<'a> {
    /// The file (the path, or the path under `--root`).
    File(&'a Path),
    /// The file is not there, and RHCOS ships it: relsig's copy.
    Builtin(&'static ShippedKey),
}

/// A key path of a policy, resolved.
#[derive(Debug, Clone)]
pub struct KeyFile {
    /// As the policy names it (the path on a node).
    pub node_path: String,
    /// Where relsig reads it: `node_path`, or under `--root`.
    pub resolved: PathBuf,
    /// What RHCOS ships at `node_path`, if anything.
    pub shipped: Option<&'static ShippedKey>,
}

impl KeyFile {
    pub fn locate(node_path: &str, root: Option<&Path>) -> KeyFile {
        KeyFile {
            node_path: node_path.to_string(),
            resolved: resolve_key_path(node_path, root),
            shipped: shipped(node_path),
        }
    }

    /// The file if it is there, else relsig's copy of what RHCOS ships
    /// there, else the file (whose reading then fails).
    pub fn source(&self) -> KeySource<'_> {
        match self.shipped {
            Some(s) if !self.resolved.exists() => KeySource::Builtin(s),
            _ => KeySource::File(&self.resolved),
        }
    }

    /// Adds its certificates to `keyring`.
    pub fn load_into(&self, keyring: &mut Keyring) -> Result<(), KeyringError> {
        match self.source() {
            KeySource::File(p) => keyring.add_file(p),
            KeySource::Builtin(s) => keyring.add_bytes(&self.shown(), s.contents),
        }
    }

    /// Where it was read, for messages.
    pub fn shown(&self) -> String {
        match self.source() {
            KeySource::File(p) => p.display().to_string(),
            KeySource::Builtin(s) => {
                format!("relsig's built-in copy of {} ({})", s.node_path, s.copy_of)
            }
        }
    }

    /// Says that relsig's copy stood in for a missing file, if it did.
    pub fn builtin_note(&self) -> Option<String> {
        let KeySource::Builtin(s) = self.source() else {
            return None;
        };
        let missing = if self.resolved == Path::new(s.node_path) {
            format!("{} does not exist here", s.node_path)
        } else {
            format!(
                "{} is not under the root ({} does not exist)",
                s.node_path,
                self.resolved.display()
            )
        };
        Some(format!(
            "{missing}; RHCOS ships it, so it was checked against relsig's built-in copy ({}); --root DIR with a copy of a node's files checks that copy instead",
            s.copy_of
        ))
    }
}

/// A keyring of `files`.
pub fn keyring(files: &[KeyFile]) -> Result<Keyring, KeyringError> {
    let mut k = Keyring::default();
    for f in files {
        f.load_into(&mut k)?;
    }
    Ok(k)
}

/// Every requirement of the policy, `default` first.
pub fn all_requirements(policy: &Policy) -> impl Iterator<Item = &Requirement> {
    policy.default.iter().chain(
        policy
            .transports
            .values()
            .flat_map(|s| s.values().flatten()),
    )
}

/// Every key path the policy's `signedBy` and `sigstoreSigned`
/// requirements name (sigstore keys, Rekor keys and CA certificates
/// too), sorted, each once.
pub fn key_paths(policy: &Policy) -> Vec<String> {
    let paths: BTreeSet<&str> = all_requirements(policy)
        .flat_map(|r| match &r.rule {
            Rule::SignedBy(sb) => sb.keys.paths(),
            Rule::SigstoreSigned(ss) => ss.paths(),
            _ => Vec::new(),
        })
        .collect();
    paths.into_iter().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_rhcos_key_is_read_from_the_built_in_copy() {
        let empty = tempfile::tempdir().unwrap();
        let k = KeyFile::locate(REDHAT_KEY_NODE_PATH, Some(empty.path()));
        assert!(matches!(k.source(), KeySource::Builtin(_)));
        assert!(k.builtin_note().unwrap().contains("built-in copy"));
        let keyring = keyring(std::slice::from_ref(&k)).unwrap();
        assert!(
            keyring
                .primary_fingerprints()
                .any(|f| f.to_hex() == "567E347AD0044ADE55BA8A5F199E2F91FD431D51")
        );
        // Present under the root: the file is read.
        let file = empty.path().join(&REDHAT_KEY_NODE_PATH[1..]);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, RHCOS_KEYS[0].contents).unwrap();
        assert!(matches!(k.source(), KeySource::File(_)));
        assert!(k.builtin_note().is_none());
        // A path RHCOS does not ship is never replaced.
        let other = KeyFile::locate("/etc/pki/containers/mykey.gpg", Some(empty.path()));
        assert!(matches!(other.source(), KeySource::File(_)));
    }
}
