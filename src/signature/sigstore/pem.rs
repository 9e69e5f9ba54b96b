//! PEM blocks as Go's `encoding/pem` reads them (which is what
//! containers/image's keys, certificates and Rekor entries go through):
//! text before a block is skipped, a block is `-----BEGIN LABEL-----`,
//! base64 lines, `-----END LABEL-----`.

use base64::Engine as _;

/// One decoded PEM block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub label: String,
    pub der: Vec<u8>,
}

/// The first block of `text` and what follows its END line (after that
/// line's line break); `None` when there is no well-formed block.
pub fn first(text: &[u8]) -> Option<(Block, &[u8])> {
    let mut rest = text;
    loop {
        let start = find(rest, b"-----BEGIN ")?;
        let after = &rest[start + 11..];
        if let Some(found) = block_at(after) {
            return Some(found);
        }
        // Not a block: look for the next BEGIN, as Go does.
        rest = after;
    }
}

/// Every block of `text`, in order; `None` when any text other than
/// whitespace lies outside the blocks, or a block is malformed
/// (sigstore's `UnmarshalCertificatesFromPEM`).
pub fn all(text: &[u8]) -> Option<Vec<Block>> {
    let mut out = Vec::new();
    let mut rest = text.trim_ascii();
    while !rest.is_empty() {
        if !rest.starts_with(b"-----BEGIN ") {
            return None;
        }
        let (block, after) = first(rest)?;
        out.push(block);
        rest = after.trim_ascii();
    }
    Some(out)
}

/// A block whose `-----BEGIN ` has been consumed.
fn block_at(after: &[u8]) -> Option<(Block, &[u8])> {
    let line_end = after.iter().position(|&b| b == b'\n')?;
    let head = after[..line_end].trim_ascii_end();
    let label = head.strip_suffix(b"-----")?;
    let label = std::str::from_utf8(label).ok()?;
    let body_start = &after[line_end + 1..];
    let end_marker = format!("-----END {label}-----");
    let end = find(body_start, end_marker.as_bytes())?;
    let body = &body_start[..end];
    // Headers ("Proc-Type: …") mark encrypted blocks, never keys we use.
    if body.contains(&b':') {
        return None;
    }
    let b64: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(&b64)
        .ok()?;
    let tail = &body_start[end + end_marker.len()..];
    // The END line must end there (spaces allowed), then its line break.
    let tail_line_end = tail.iter().position(|&b| b == b'\n').unwrap_or(tail.len());
    if !tail[..tail_line_end].trim_ascii().is_empty() {
        return None;
    }
    let rest = tail.get(tail_line_end + 1..).unwrap_or(&[]);
    Some((
        Block {
            label: label.to_string(),
            der,
        },
        rest,
    ))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_blocks_like_go() {
        let text = b"junk\n-----BEGIN PUBLIC KEY-----\nAAEC\nAw==\n-----END PUBLIC KEY-----\n";
        let (b, rest) = first(text).unwrap();
        assert_eq!(
            (b.label.as_str(), b.der.as_slice()),
            ("PUBLIC KEY", &[0u8, 1, 2, 3][..])
        );
        assert!(rest.is_empty());
        let two =
            b"-----BEGIN A-----\nAA==\n-----END A-----\n-----BEGIN B-----\nAQ==\n-----END B-----";
        assert_eq!(all(two).unwrap().len(), 2);
        assert!(all(b"x-----BEGIN A-----\nAA==\n-----END A-----\n").is_none());
        assert!(first(b"-----BEGIN A-----\n!!\n-----END A-----\n").is_none());
        assert!(first(b"-----BEGIN A-----\nAA==\n-----END B-----\n").is_none());
    }
}
