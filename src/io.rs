//! Reading and writing files safely: every input relsig reads (files, HTTP
//! bodies, stdin) has a size limit, all of them listed here, and is refused
//! as soon as it passes it, never read whole; a file input must be a
//! regular file (a FIFO would block forever, a device never end), except
//! where a stream is documented; YAML and JSON are refused when nested
//! deeper than [`MAX_NESTING`], before any parser sees them; outputs are
//! written atomically, so a reader never sees half a file, and a failed
//! write leaves neither a changed file nor a temporary one behind.

mod nesting;

pub use nesting::{TooDeep, check_nesting};

use std::io::{Read, Write};
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
/// Nesting of a YAML or JSON document (flow brackets and block levels),
/// as skopeo (go-yaml, encoding/json) allows: YAML parsers spend time
/// quadratic in the depth of flow nesting, so deeper documents are
/// refused before parsing.
pub const MAX_NESTING: usize = 10_000;
/// JWS signatures embedded in one Docker schema-1 manifest (registries
/// add one).
pub const MAX_JWS_SIGNATURES: usize = 64;

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
    #[error("{what} {} is a {kind}, not a regular file", path.display())]
    NotRegular {
        what: &'static str,
        path: PathBuf,
        /// "FIFO", "character device", "directory", …
        kind: &'static str,
    },
}

/// Reads a whole regular file of at most `max` bytes. Anything else is
/// refused without reading it: a FIFO would block until some writer
/// appears, a device like `/dev/zero` never ends. A character device that
/// reads as empty (`/dev/null`) is the one exception: it is an empty file,
/// as skopeo reads it.
pub fn read_bounded(path: &Path, what: &'static str, max: u64) -> Result<Vec<u8>, FileError> {
    read_file(path, what, max, false)
}

/// [`read_bounded`] for an input documented as a stream (`--from-file`):
/// a pipe or FIFO is read too (process substitution `<(…)` gives
/// `/dev/fd/N`, a pipe), waiting for its writer; still at most `max`
/// bytes.
pub fn read_bounded_stream(
    path: &Path,
    what: &'static str,
    max: u64,
) -> Result<Vec<u8>, FileError> {
    read_file(path, what, max, true)
}

fn read_file(
    path: &Path,
    what: &'static str,
    max: u64,
    stream: bool,
) -> Result<Vec<u8>, FileError> {
    let io = |source| FileError::Io {
        what,
        path: path.to_path_buf(),
        source,
    };
    let too_large = || FileError::TooLarge {
        what,
        path: path.to_path_buf(),
        max,
    };
    let mut file = open_for_reading(path, stream).map_err(io)?;
    // The type is asked of the open file, not the path, so that what is
    // checked is what is read.
    let meta = file.metadata().map_err(io)?;
    let kind = file_kind(&meta.file_type());
    match kind {
        None if meta.len() > max => return Err(too_large()),
        None => {}
        Some(FIFO) if stream => {}
        Some(CHAR_DEVICE) if reads_as_empty(&mut file) => return Ok(Vec::new()),
        Some(kind) => {
            return Err(FileError::NotRegular {
                what,
                path: path.to_path_buf(),
                kind,
            });
        }
    }
    read_limited(file, max).map_err(|e| match e {
        BoundedReadError::TooLarge => too_large(),
        BoundedReadError::Io(e) => io(e),
    })
}

const FIFO: &str = "FIFO";
const CHAR_DEVICE: &str = "character device";

/// Opens `path` for reading. Unless a stream is expected, without
/// blocking: opening a FIFO waits for a writer otherwise, and a terminal
/// must not become the controlling one.
fn open_for_reading(path: &Path, stream: bool) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    if !stream {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    #[cfg(not(unix))]
    let _ = stream;
    options.open(path)
}

/// `None` for a regular file, else what the file is, for messages.
fn file_kind(t: &std::fs::FileType) -> Option<&'static str> {
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return Some(FIFO);
        }
        if t.is_char_device() {
            return Some(CHAR_DEVICE);
        }
        if t.is_block_device() {
            return Some("block device");
        }
        if t.is_socket() {
            return Some("socket");
        }
    }
    Some("special file")
}

/// Whether a (non-blocking) device gives end-of-file at once, as the null
/// device does; one that has data, or would block, is not a file.
fn reads_as_empty(file: &mut std::fs::File) -> bool {
    let mut probe = [0u8; 1];
    matches!(file.read(&mut probe), Ok(0))
}

/// Writes a file through a temporary name in the same directory, so a
/// reader never sees half of it. On any failure (a full disk, say) the
/// temporary file is removed and `path` is left as it was.
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
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        // A full disk can surface only when the data is flushed.
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    };
    write().inspect_err(|_| {
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

    #[test]
    fn only_regular_files_are_read_and_the_null_device_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Opening does not wait for a writer, and the FIFO is refused.
        let e = read_bounded(&fifo, "signature", 10).unwrap_err();
        assert!(
            matches!(e, FileError::NotRegular { kind: "FIFO", .. }),
            "{e}"
        );
        assert!(
            e.to_string()
                .ends_with("fifo is a FIFO, not a regular file")
        );
        for (path, kind) in [("/dev/zero", "character device"), ("/tmp", "directory")] {
            let e = read_bounded(Path::new(path), "key file", MAX_KEY_FILE).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("key file {path} is a {kind}, not a regular file")
            );
        }
        assert_eq!(
            read_bounded(Path::new("/dev/null"), "signature", 10).unwrap(),
            b""
        );
    }

    #[test]
    fn a_stream_input_reads_a_fifo_from_its_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("images");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, b"quay.io/a:1\n").unwrap())
        };
        assert_eq!(
            read_bounded_stream(&fifo, "image list", 100).unwrap(),
            b"quay.io/a:1\n"
        );
        writer.join().unwrap();
        let e = read_bounded_stream(Path::new("/dev/zero"), "image list", 100).unwrap_err();
        assert!(matches!(e, FileError::NotRegular { .. }), "{e}");
    }

    #[test]
    fn a_failed_atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.json");
        write_file_atomically(&ok, b"1").unwrap();
        write_file_atomically(&ok, b"2").unwrap();
        assert_eq!(std::fs::read(&ok).unwrap(), b"2");
        // A directory cannot be replaced by a file: the rename fails.
        let taken = dir.path().join("taken");
        std::fs::create_dir(&taken).unwrap();
        std::fs::write(taken.join("x"), b"x").unwrap();
        assert!(write_file_atomically(&taken, b"new").is_err());
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["ok.json", "taken"]);
    }
}
