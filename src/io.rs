//! Reading and writing files safely: every input relsig reads (files, HTTP
//! bodies, stdin) has a size limit, all of them listed here, and is refused
//! as soon as it passes it, never read whole; a file input must be a
//! regular file (a FIFO would block forever, a device never end), except
//! where a stream is documented; YAML and JSON are refused when nested
//! deeper than [`MAX_NESTING`], before any parser sees them; outputs are
//! written atomically, so a reader never sees half a file, and a failed
//! write leaves neither a changed file nor a temporary one behind. The
//! time limits of network reads and the counts that bound memory per run
//! are here too, so that README's "Limits" table has one source.

mod nesting;

pub use nesting::{TooDeep, check_nesting, nests_deeper_than};

use std::cell::RefCell;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// A signature file or store entry (Red Hat's are under 1 KiB).
pub const MAX_SIGNATURE_SIZE: u64 = 4 * 1024 * 1024;
/// The signed payload once decompressed.
pub const MAX_PAYLOAD_SIZE: u64 = 4 * 1024 * 1024;
/// Manifests are kilobytes; registries refuse more than 4 MiB.
pub const MAX_MANIFEST_SIZE: u64 = 4 * 1024 * 1024;
/// Signatures read for one image from one source.
pub const MAX_SIGNATURES: usize = 64;
/// Sigstore signatures read for one image (containers/image reads at most
/// this many layers of a `.sig` attachment).
pub const MAX_SIGSTORE_SIGNATURES: usize = 128;
/// One sigstore signature's payload once base64-decoded (containers/image's
/// limit for a `.sig` layer).
pub const MAX_SIGSTORE_PAYLOAD: u64 = 4 * 1024 * 1024;
/// The body read of a registry's answer to an upload (POST, PUT): an
/// error document at most; the bytes that matter are in the headers.
pub const MAX_PUSH_ANSWER: u64 = 64 * 1024;
/// An OpenPGP key file or keyring.
pub const MAX_KEY_FILE: u64 = 16 * 1024 * 1024;
/// A signature ConfigMap in JSON (parsed as it is read, never held
/// whole).
pub const MAX_CONFIGMAP_SIZE: u64 = 64 * 1024 * 1024;
/// A signature ConfigMap in YAML, whose parser holds the whole document
/// and a node for every value (a Kubernetes ConfigMap holds at most 1 MiB).
pub const MAX_CONFIGMAP_YAML_SIZE: u64 = 4 * 1024 * 1024;
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
/// Nesting of a YAML or JSON document (flow brackets and block levels),
/// as skopeo (go-yaml, encoding/json) allows: YAML parsers spend time
/// quadratic in the depth of flow nesting, so deeper documents are
/// refused before parsing.
pub const MAX_NESTING: usize = 10_000;
/// Nesting a JSON document may have and still be parsed on the calling
/// thread's stack (serde_json's own default limit).
pub const SHALLOW_JSON_NESTING: usize = 128;
/// The stack of the thread that parses a signed payload nested deeper than
/// [`SHALLOW_JSON_NESTING`] (up to [`MAX_NESTING`] levels, as Go allows):
/// reserved, and touched only as deep as the document goes.
pub const DEEP_JSON_STACK: usize = 256 * 1024 * 1024;
/// JWS signatures embedded in one Docker schema-1 manifest (registries
/// add one).
pub const MAX_JWS_SIGNATURES: usize = 64;
/// Packets in one signature message, at every depth: a signed message is
/// a handful (compression, one-pass signature, literal data, signature);
/// more is not a signature, and each costs parsing (and decompressing).
pub const MAX_MESSAGE_PACKETS: usize = 16;
/// Compression layers in one signature message: Red Hat's signatures have
/// one; gpg writes at most one; two leave room for re-wrapping tools.
pub const MAX_COMPRESSION_LAYERS: usize = 2;
/// Bytes one signature message decompresses to, all compression layers
/// together: the literal data (at most [`MAX_PAYLOAD_SIZE`]) and 64 KiB
/// for the few packets around it. This bounds the work one signature
/// costs, whatever its compressed packets hide.
pub const MAX_DECOMPRESSED_SIZE: u64 = MAX_PAYLOAD_SIZE + 64 * 1024;
/// One line of an image list (`verify --from-file`). The list itself is
/// read line by line and may be of any length.
pub const MAX_IMAGE_LIST_LINE: u64 = 8 * 1024;
/// Releases kept from one update graph (OpenShift's channels have a few
/// hundred); the rest of the document is read past, never kept.
pub const MAX_GRAPH_RELEASES: usize = 20_000;
/// Any string in an update graph (real ones are under 1 KiB); the
/// parser holds one string at a time, never more than this.
pub const MAX_GRAPH_STRING: usize = 64 * 1024;
/// Signatures kept from one ConfigMap file (a Kubernetes ConfigMap holds
/// at most 1 MiB, about 1,500 signatures).
pub const MAX_CONFIGMAP_SIGNATURES: usize = 50_000;
/// A release image's last layer, compressed (real ones are a few MiB).
/// It is read as it arrives, never held.
pub const MAX_RELEASE_LAYER_SIZE: u64 = 512 * 1024 * 1024;
/// The same layer unpacked: what a gzip stream may expand to before it is
/// refused (a small compressed layer could expand without end).
pub const MAX_RELEASE_LAYER_UNPACKED: u64 = 2 * 1024 * 1024 * 1024;
/// Entries of a release image's last layer (4.12's has about 800).
pub const MAX_RELEASE_LAYER_ENTRIES: usize = 100_000;
/// `release-manifests/image-references` or `release-metadata` (4.12's
/// image-references is 110 KiB); both are held while parsed.
pub const MAX_RELEASE_FILE_SIZE: u64 = 16 * 1024 * 1024;
/// Components of one release (4.12 has 183).
pub const MAX_RELEASE_COMPONENTS: usize = 10_000;
/// An ImageDigestMirrorSet / ImageContentSourcePolicy YAML file.
pub const MAX_MIRROR_CONFIG: u64 = 4 * 1024 * 1024;
/// A ClusterImagePolicy / ImagePolicy YAML file.
pub const MAX_CLUSTER_IMAGE_POLICY: u64 = 4 * 1024 * 1024;
/// Blobs and platform manifests checked for one component with
/// `release audit --deep` (a manifest of at most
/// [`MAX_MANIFEST_SIZE`] names fewer than this).
pub const MAX_COMPONENT_OBJECTS: usize = 10_000;

/// `--timeout`: one HTTP request, connection, headers and body together.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// `--image-timeout`: everything fetched for one image (manifest, token,
/// update graph, every signature, retries).
pub const DEFAULT_IMAGE_TIMEOUT: Duration = Duration::from_secs(120);
/// The wait before the first retry of a request; doubled for each
/// further one, up to [`MAX_RETRY_BACKOFF`].
pub const FIRST_RETRY_BACKOFF: Duration = Duration::from_millis(250);
/// The longest wait between two attempts of a request.
pub const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(5);
/// Checked images whose outcomes may wait, per job, for an earlier,
/// slower image so that outcomes are reported in input order.
pub const OUTCOMES_WAITING_PER_JOB: usize = 4;

/// Reads that grow past this many bytes inside a [`large_read_scope`]
/// need one of the [`LARGE_READS_AT_ONCE`] slots.
pub const SMALL_READ: usize = 256 * 1024;
/// Threads that may hold reads larger than [`SMALL_READ`] (signature and
/// manifest bodies, files) at once, process-wide, so that the memory of
/// hostile answers does not grow with the number of jobs. Real signatures
/// and manifests are far smaller and never wait.
pub const LARGE_READS_AT_ONCE: usize = 2;
/// Signatures checked at once, process-wide: a check may hold a
/// decompressed payload of up to [`MAX_PAYLOAD_SIZE`] twice, and checks
/// are work for the processor, which more at once would not speed up
/// much. A batch with more jobs than this checks its signatures on this
/// many threads of their own.
pub const SIGNATURE_CHECKS_AT_ONCE: usize = 2;

/// A counting semaphore: at most `n` holders of a [`Slot`] at once.
pub struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

/// One of the [`Slots`], given back when dropped.
pub struct Slot<'a>(&'a Slots);

impl Slots {
    pub const fn new(n: usize) -> Slots {
        Slots {
            free: Mutex::new(n),
            freed: Condvar::new(),
        }
    }

    /// Waits for a slot until `deadline` (`None`: as long as it takes);
    /// `None` when the deadline came first.
    pub fn acquire(&self, deadline: Option<Instant>) -> Option<Slot<'_>> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = match deadline {
                None => self.freed.wait(free).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return None;
                    }
                    self.freed
                        .wait_timeout(free, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
        *free -= 1;
        Some(Slot(self))
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

static LARGE_READS: Slots = Slots::new(LARGE_READS_AT_ONCE);

/// The signature checks of the process (see [`SIGNATURE_CHECKS_AT_ONCE`]).
pub static SIGNATURE_CHECKS: Slots = Slots::new(SIGNATURE_CHECKS_AT_ONCE);

/// This thread's large-read scope: until when it may wait for a slot,
/// and the slot once it has one.
struct LargeReadScope {
    deadline: Option<Instant>,
    slot: Option<Slot<'static>>,
}

thread_local! {
    static LARGE_READ_SCOPE: RefCell<Option<LargeReadScope>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's large reads counted against
/// [`LARGE_READS_AT_ONCE`]: the first [`read_limited`] in it to pass
/// [`SMALL_READ`] bytes waits (until `deadline`, then it fails as timed
/// out) for a slot, and the thread keeps the slot, reading freely, until
/// `f` ends. A thread holding a slot never waits for another, so slots
/// cannot deadlock. Reads outside any scope are not counted. A scope
/// inside another is the outer one.
pub fn large_read_scope<T>(deadline: Option<Instant>, f: impl FnOnce() -> T) -> T {
    struct End;
    impl Drop for End {
        fn drop(&mut self) {
            LARGE_READ_SCOPE.with(|s| s.borrow_mut().take());
        }
    }
    if LARGE_READ_SCOPE.with(|s| s.borrow().is_some()) {
        return f();
    }
    LARGE_READ_SCOPE.with(|s| {
        *s.borrow_mut() = Some(LargeReadScope {
            deadline,
            slot: None,
        })
    });
    let _end = End;
    f()
}

/// Called by a read about to pass [`SMALL_READ`]: takes this thread's
/// slot if it is in a scope and has none yet.
fn large_read() -> std::io::Result<()> {
    LARGE_READ_SCOPE.with(|s| {
        let mut s = s.borrow_mut();
        let Some(scope) = s.as_mut() else {
            return Ok(());
        };
        if scope.slot.is_none() {
            let slot = LARGE_READS.acquire(scope.deadline).ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "timed out waiting for memory for a large read",
                )
            })?;
            scope.slot = Some(slot);
        }
        Ok(())
    })
}

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
/// The buffer grows by doubling but never past `max`, so a body just under
/// the limit does not hold twice its size.
pub fn read_limited<R: Read>(mut reader: R, max: u64) -> Result<Vec<u8>, BoundedReadError> {
    let cap = usize::try_from(max).unwrap_or(usize::MAX);
    let mut body = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(body),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if n > cap - body.len() {
            return Err(BoundedReadError::TooLarge);
        }
        if body.len() <= SMALL_READ && body.len() + n > SMALL_READ {
            large_read()?;
        }
        if body.capacity() - body.len() < n {
            let want = (body.capacity() * 2).max(body.len() + n).min(cap);
            body.reserve_exact(want - body.len());
        }
        body.extend_from_slice(&chunk[..n]);
    }
}

/// A JSON document's bytes that fail the read once a string in it runs
/// past `max` bytes, so that a streaming parser never buffers a huge
/// value whole (serde_json holds each string it hands over in full).
/// Members the parser skips are limited too.
pub struct JsonStringLimit<R> {
    inner: R,
    max: usize,
    in_string: bool,
    escaped: bool,
    /// Bytes of the current string so far.
    run: usize,
    tripped: bool,
}

impl<R> JsonStringLimit<R> {
    pub fn new(inner: R, max: usize) -> JsonStringLimit<R> {
        JsonStringLimit {
            inner,
            max,
            in_string: false,
            escaped: false,
            run: 0,
            tripped: false,
        }
    }

    /// Whether a string was too long (the read then failed).
    pub fn tripped(&self) -> bool {
        self.tripped
    }
}

impl<R: Read> Read for JsonStringLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.tripped {
            return Err(std::io::Error::other("a string is too long"));
        }
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if !self.in_string {
                if b == b'"' {
                    self.in_string = true;
                    self.run = 0;
                }
                continue;
            }
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
                continue;
            }
            self.run += 1;
            if self.run > self.max {
                self.tripped = true;
                return Err(std::io::Error::other("a string is too long"));
            }
        }
        Ok(n)
    }
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
    let file = open_checked(path, what, max, false)?;
    read_limited(file, max).map_err(|e| match e {
        BoundedReadError::TooLarge => FileError::TooLarge {
            what,
            path: path.to_path_buf(),
            max,
        },
        BoundedReadError::Io(source) => FileError::Io {
            what,
            path: path.to_path_buf(),
            source,
        },
    })
}

/// Reads at most `max` bytes from the start of `path`: a regular file of
/// any size, or a device (`/dev/zero`, `/dev/urandom`). For inputs whose
/// size is itself a verdict: a signature over its limit is *rejected*
/// (`too-large`, as skopeo rejects it), so the caller asks for one byte
/// more than the limit and lets the checks see that there is more, instead
/// of refusing to read the file. FIFOs, sockets and directories are
/// refused as by [`read_bounded`].
pub fn read_head(path: &Path, what: &'static str, max: u64) -> Result<Vec<u8>, FileError> {
    let io = |source| FileError::Io {
        what,
        path: path.to_path_buf(),
        source,
    };
    let file = open_for_reading(path, false).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    match file_kind(&meta.file_type()) {
        None | Some(CHAR_DEVICE | BLOCK_DEVICE) => {}
        Some(kind) => {
            return Err(FileError::NotRegular {
                what,
                path: path.to_path_buf(),
                kind,
            });
        }
    }
    // `take` bounds the read, so `read_limited` never sees more than `max`.
    read_limited(file.take(max), max).map_err(|e| match e {
        BoundedReadError::TooLarge => FileError::TooLarge {
            what,
            path: path.to_path_buf(),
            max,
        },
        BoundedReadError::Io(source) => io(source),
    })
}

/// Opens an input documented as a stream (`--from-file`), for a reader
/// that bounds what it reads itself (line by line): a regular file, or a
/// pipe or FIFO (process substitution `<(…)` gives `/dev/fd/N`, a pipe),
/// waiting for its writer; devices and directories are refused as by
/// [`read_bounded`].
pub fn open_stream(path: &Path, what: &'static str) -> Result<std::fs::File, FileError> {
    open_checked(path, what, u64::MAX, true)
}

/// Opens a regular file of at most `max` bytes for a reader that parses
/// as it reads (and bounds what it reads itself), with the checks of
/// [`read_bounded`].
pub fn open_regular(path: &Path, what: &'static str, max: u64) -> Result<std::fs::File, FileError> {
    open_checked(path, what, max, false)
}

fn open_checked(
    path: &Path,
    what: &'static str,
    max: u64,
    stream: bool,
) -> Result<std::fs::File, FileError> {
    let io = |source| FileError::Io {
        what,
        path: path.to_path_buf(),
        source,
    };
    let mut file = open_for_reading(path, stream).map_err(io)?;
    // The type is asked of the open file, not the path, so that what is
    // checked is what is read.
    let meta = file.metadata().map_err(io)?;
    match file_kind(&meta.file_type()) {
        None if meta.len() > max => Err(FileError::TooLarge {
            what,
            path: path.to_path_buf(),
            max,
        }),
        None => Ok(file),
        Some(FIFO) if stream => Ok(file),
        Some(CHAR_DEVICE) if reads_as_empty(&mut file) => Ok(file),
        Some(kind) => Err(FileError::NotRegular {
            what,
            path: path.to_path_buf(),
            kind,
        }),
    }
}

const FIFO: &str = "FIFO";
const CHAR_DEVICE: &str = "character device";
const BLOCK_DEVICE: &str = "block device";

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
            return Some(BLOCK_DEVICE);
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
        // A body just under the limit is held in no more than the limit.
        let limit = 100_000;
        let body = read_limited(std::io::repeat(b'a').take(limit - 1), limit).unwrap();
        assert_eq!(body.len() as u64, limit - 1);
        assert!(body.capacity() as u64 <= limit, "{}", body.capacity());
    }

    #[test]
    fn large_reads_in_a_scope_share_the_slots() {
        // Small reads never need a slot.
        let small = vec![1u8; SMALL_READ];
        large_read_scope(Some(Instant::now()), || {
            assert_eq!(
                read_limited(&small[..], u64::MAX).unwrap().len(),
                SMALL_READ
            );
        });
        // Every slot taken by other threads: a large read in a scope waits
        // until its deadline, then fails as timed out.
        let held: Vec<Slot<'_>> = (0..LARGE_READS_AT_ONCE)
            .map(|_| LARGE_READS.acquire(None).unwrap())
            .collect();
        let large = vec![1u8; SMALL_READ + 1];
        let deadline = Instant::now() + Duration::from_millis(50);
        let e =
            large_read_scope(Some(deadline), || read_limited(&large[..], u64::MAX)).unwrap_err();
        assert!(
            matches!(&e, BoundedReadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut),
            "{e:?}"
        );
        // Outside any scope, reads are not counted.
        assert!(read_limited(&large[..], u64::MAX).is_ok());
        drop(held);
        // A thread that holds a slot reads on without waiting for more.
        large_read_scope(Some(Instant::now() + Duration::from_secs(5)), || {
            for _ in 0..LARGE_READS_AT_ONCE + 1 {
                assert!(read_limited(&large[..], u64::MAX).is_ok());
            }
        });
    }

    #[test]
    fn json_strings_are_limited_wherever_they_are() {
        let read = |doc: &str, max| {
            let mut r = JsonStringLimit::new(doc.as_bytes(), max);
            let result = std::io::copy(&mut r, &mut std::io::sink());
            (result.is_ok(), r.tripped())
        };
        assert_eq!(read(r#"{"abcd":"efgh"}"#, 4), (true, false));
        assert_eq!(read(r#"{"k":"efghi"}"#, 4), (false, true));
        // An escaped quote does not end the string.
        assert_eq!(read(r#"{"k":"ab\"cd"}"#, 4), (false, true));
        assert_eq!(read(r#"{"k":"a\\","l":"bcd"}"#, 4), (true, false));
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
    fn a_head_is_read_from_a_file_of_any_size_or_a_device() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, vec![7u8; 100]).unwrap();
        assert_eq!(read_head(&big, "signature", 11).unwrap(), vec![7u8; 11]);
        assert_eq!(
            read_head(Path::new("/dev/zero"), "signature", 5).unwrap(),
            vec![0u8; 5]
        );
        let fifo = dir.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        // Nothing that could block: a FIFO is refused, as by read_bounded.
        let e = read_head(&fifo, "signature", 5).unwrap_err();
        assert!(
            matches!(e, FileError::NotRegular { kind: "FIFO", .. }),
            "{e}"
        );
        let e = read_head(dir.path(), "signature", 5).unwrap_err();
        assert!(
            matches!(
                e,
                FileError::NotRegular {
                    kind: "directory",
                    ..
                }
            ),
            "{e}"
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
        let mut read = Vec::new();
        open_stream(&fifo, "image list")
            .unwrap()
            .read_to_end(&mut read)
            .unwrap();
        assert_eq!(read, b"quay.io/a:1\n");
        writer.join().unwrap();
        let e = open_stream(Path::new("/dev/zero"), "image list").unwrap_err();
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
