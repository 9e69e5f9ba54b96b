//! Reading and writing files safely: every input relsig reads (files, HTTP
//! bodies, stdin) has a size limit, all of them listed here, and is refused
//! as soon as it passes it, never read whole; outputs are written
//! atomically, so a reader never sees half a file.

use std::io::Read;
use std::path::{Path, PathBuf};

/// A signature file or store entry (Red Hat's are under 1 KiB).
pub const MAX_SIGNATURE_SIZE: u64 = 4 * 1024 * 1024;
/// The signed payload once decompressed.
pub const MAX_PAYLOAD_SIZE: u64 = 4 * 1024 * 1024;
/// Manifests are kilobytes; registries refuse more than 4 MiB.
pub const MAX_MANIFEST_SIZE: u64 = 4 * 1024 * 1024;
/// Signatures read for one image from one source.
pub const MAX_SIGNATURES: usize = 64;
/// An OpenPGP key file or keyring.
pub const MAX_KEY_FILE: u64 = 16 * 1024 * 1024;
/// A signature ConfigMap (JSON or YAML).
pub const MAX_CONFIGMAP_SIZE: u64 = 64 * 1024 * 1024;
/// An update graph of the Cincinnati API.
pub const MAX_GRAPH_SIZE: u64 = 64 * 1024 * 1024;
/// A registry token endpoint's answer.
pub const MAX_TOKEN_RESPONSE: u64 = 1024 * 1024;
/// A `podman login`/`docker login` auth file.
pub const MAX_AUTH_FILE: u64 = 4 * 1024 * 1024;
/// A PEM file of extra CA certificates.
pub const MAX_CA_FILE: u64 = 16 * 1024 * 1024;
/// A policy.json.
pub const MAX_POLICY_SIZE: u64 = 4 * 1024 * 1024;
/// One registries.d YAML file.
pub const MAX_REGISTRIES_D_FILE: u64 = 1024 * 1024;
/// One registries.conf file (or drop-in).
pub const MAX_REGISTRIES_CONF: u64 = 1024 * 1024;
/// One `*.crt` file of a certs.d host directory.
pub const MAX_CERTS_D_FILE: u64 = 1024 * 1024;
/// CA files read from one certs.d host directory.
pub const MAX_CERTS_D_FILES: usize = 64;
/// A file embedded in a rendered MachineConfig.
pub const MAX_RENDERED_FILE: u64 = 512 * 1024;
/// An image list (`verify --from-file`).
pub const MAX_IMAGE_LIST: u64 = 64 * 1024 * 1024;

/// Reading more than the limit.
#[derive(Debug, thiserror::Error)]
pub enum BoundedReadError {
    #[error("more than the allowed number of bytes")]
    TooLarge,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads everything from `reader` if it is at most `max` bytes; stops
/// reading (and fails) as soon as it is longer, so memory stays bounded.
pub fn read_limited<R: Read>(reader: R, max: u64) -> Result<Vec<u8>, BoundedReadError> {
    let mut body = Vec::new();
    reader.take(max.saturating_add(1)).read_to_end(&mut body)?;
    if body.len() as u64 > max {
        return Err(BoundedReadError::TooLarge);
    }
    Ok(body)
}

/// A file that could not be read; names the file and what it was
/// ("manifest", "policy", …).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {what} {}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} {} is larger than {max} bytes", path.display())]
    TooLarge {
        what: &'static str,
        path: PathBuf,
        max: u64,
    },
}

/// Reads a whole file of at most `max` bytes.
pub fn read_bounded(path: &Path, what: &'static str, max: u64) -> Result<Vec<u8>, FileError> {
    let io = |source| FileError::Io {
        what,
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    read_limited(file, max).map_err(|e| match e {
        BoundedReadError::TooLarge => FileError::TooLarge {
            what,
            path: path.to_path_buf(),
            max,
        },
        BoundedReadError::Io(e) => io(e),
    })
}

/// Writes a file through a temporary name in the same directory, so a
/// reader never sees half of it.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no file name"))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// The messages of an error and its causes on one line, without the
/// repetitions reqwest and hyper produce.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let msg = err.to_string();
        // reqwest's own message repeats the URL, which the caller prints.
        let msg = match msg.split_once(" for url (") {
            Some((head, _)) => head.to_string(),
            None => msg,
        };
        // hyper's wrappers add nothing a user can act on.
        let noise = msg.starts_with("error sending request") || msg.starts_with("client error (");
        if !noise && !parts.iter().any(|p| p.contains(&msg)) {
            parts.push(msg);
        }
        cur = err.source();
    }
    parts.join(": ").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_read_accepts_up_to_the_limit_and_refuses_more() {
        assert_eq!(read_limited(&b"abcd"[..], 4).unwrap(), b"abcd");
        assert!(matches!(
            read_limited(&b"abcde"[..], 4),
            Err(BoundedReadError::TooLarge)
        ));
        // An endless reader must not be read to the end.
        let endless = std::io::repeat(b'a');
        assert!(matches!(
            read_limited(endless, 1024),
            Err(BoundedReadError::TooLarge)
        ));
    }

    #[test]
    fn bounded_file_read_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.json");
        std::fs::write(&p, b"12345").unwrap();
        assert_eq!(read_bounded(&p, "manifest", 5).unwrap(), b"12345");
        let e = read_bounded(&p, "manifest", 4).unwrap_err().to_string();
        assert!(
            e.starts_with("manifest ") && e.ends_with("is larger than 4 bytes"),
            "{e}"
        );
        let e = read_bounded(&dir.path().join("none"), "policy", 4).unwrap_err();
        assert!(e.to_string().starts_with("cannot read policy "), "{e}");
        // The cause travels as the error's source, for "because:" chains.
        assert!(std::error::Error::source(&e).is_some());
    }
}
