//! containers-certs.d(5): CA certificates trusted for one registry host.
//! A directory `<certs.d>/<host[:port]>/` holds `*.crt` files (PEM) that
//! are trusted, besides the system's CAs, for connections to that host;
//! the first certs.d directory that has one for the host is used, as in
//! containers/image: `~/.config/containers/certs.d`,
//! `/etc/containers/certs.d`, `/etc/docker/certs.d` (or only the one
//! given). Client certificates (`*.cert`, `*.key`) are not used.
//!
//! Read at the first connection to a host, never at start-up.

use crate::io::MAX_CERTS_D_FILES;
use std::path::{Path, PathBuf};

/// A user's certs.d, under `$HOME`; searched first.
pub const USER_CERTS_D: &str = ".config/containers/certs.d";
/// The system-wide certs.d directories, in search order.
pub const SYSTEM_CERTS_D: [&str; 2] = ["/etc/containers/certs.d", "/etc/docker/certs.d"];

/// The certs.d directories to search: `explicit` alone, or the user's and
/// the system ones.
pub fn default_dirs(explicit: Option<&Path>) -> Vec<PathBuf> {
    if let Some(dir) = explicit {
        return vec![dir.to_path_buf()];
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(USER_CERTS_D));
    home.into_iter()
        .chain(SYSTEM_CERTS_D.iter().map(PathBuf::from))
        .collect()
}

/// The `*.crt` files for `host` (`host` or `host:port`, as the URL names
/// it), sorted by name, from the first of `dirs` that has a directory for
/// it; empty when none has.
pub fn ca_files(dirs: &[PathBuf], host: &str) -> std::io::Result<Vec<PathBuf>> {
    // A host name never contains a path separator; refuse one rather
    // than read outside the certs.d directories.
    if host.is_empty() || host.contains(['/', '\\']) || host.starts_with('.') {
        return Ok(Vec::new());
    }
    let Some(dir) = dirs.iter().map(|d| d.join(host)).find(|d| d.is_dir()) else {
        return Ok(Vec::new());
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "crt") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    if files.len() > MAX_CERTS_D_FILES {
        return Err(std::io::Error::other(format!(
            "{} holds more than {MAX_CERTS_D_FILES} .crt files",
            dir.display()
        )));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_directory_with_the_host_wins() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::create_dir(a.path().join("reg:5000")).unwrap();
        std::fs::write(a.path().join("reg:5000/ca.crt"), "x").unwrap();
        std::fs::write(a.path().join("reg:5000/client.cert"), "x").unwrap();
        std::fs::create_dir(b.path().join("reg:5000")).unwrap();
        std::fs::write(b.path().join("reg:5000/other.crt"), "x").unwrap();
        std::fs::create_dir(b.path().join("other")).unwrap();
        std::fs::write(b.path().join("other/b.crt"), "x").unwrap();
        let dirs = [a.path().to_path_buf(), b.path().to_path_buf()];
        assert_eq!(
            ca_files(&dirs, "reg:5000").unwrap(),
            [a.path().join("reg:5000/ca.crt")]
        );
        assert_eq!(
            ca_files(&dirs, "other").unwrap(),
            [b.path().join("other/b.crt")]
        );
        assert!(ca_files(&dirs, "reg").unwrap().is_empty());
        assert!(ca_files(&dirs, "../x").unwrap().is_empty());
    }
}
