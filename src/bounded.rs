//! Bounded reads: every input relsig reads (files, HTTP bodies, stdin) has
//! a size limit, and is refused as soon as it passes it, never read whole.

use std::io::Read;
use std::path::Path;

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

/// Reads a whole file of at most `max` bytes; the one-line error names
/// the file and says what it was (`what`: "manifest", "policy", …).
pub fn read_bounded(path: &Path, what: &str, max: u64) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path)
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?;
    read_limited(file, max).map_err(|e| match e {
        BoundedReadError::TooLarge => {
            format!("{what} {} is larger than {max} bytes", path.display())
        }
        BoundedReadError::Io(e) => format!("cannot read {what} {}: {e}", path.display()),
    })
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
        let e = read_bounded(&p, "manifest", 4).unwrap_err();
        assert!(
            e.starts_with("manifest ") && e.ends_with("is larger than 4 bytes"),
            "{e}"
        );
        let e = read_bounded(&dir.path().join("none"), "policy", 4).unwrap_err();
        assert!(e.starts_with("cannot read policy "), "{e}");
    }
}
