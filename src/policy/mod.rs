//! The node trust policy containers/image (CRI-O, podman) enforces:
//! `policy.json` ([`config`]) with `registries.d`
//! ([`crate::config::registries_d`]), the
//! decision for one image ([`eval`]) over the evidence [`evidence`]
//! gathers, checks of both files before a
//! rollout ([`lint`]), the key files a policy names ([`node_keys`]),
//! rendering them as a MachineConfig or Butane config ([`render`]) and
//! Red Hat's documented starting point ([`init`]); OpenShift
//! ClusterImagePolicy / ImagePolicy objects translated into policy.json
//! requirements ([`cluster_image_policy`]).

pub mod cluster_image_policy;
pub mod config;
pub mod eval;
pub mod evidence;
pub mod init;
pub mod lint;
pub mod node_keys;
pub mod render;
pub mod sigstore;

use std::path::{Path, PathBuf};

pub use config::Policy;

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
