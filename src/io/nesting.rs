//! How deeply a YAML document (or a JSON one: JSON is YAML's flow style)
//! nests, measured in one linear pass before any parser sees it. libyaml,
//! under serde_yaml_ng, spends time quadratic in the depth of flow
//! nesting (a 200 KB file of `[[[…` took a minute), so a document deeper
//! than [`MAX_NESTING`] is refused here, as skopeo refuses it.
//!
//! The scan knows just enough YAML to count collections and not brackets
//! inside scalars: flow collections (`[`, `{`), block collections (a
//! `- `/`? ` entry or a `key:` opens one at its column; a line less
//! indented closes those to its right), quoted scalars, comments and
//! block scalars (`|`, `>`), whose lines are text.

use super::MAX_NESTING;

/// A document nested deeper than [`MAX_NESTING`] levels; where the level
/// past the limit opens (1-based line, and column in bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("nested deeper than {MAX_NESTING} levels (at line {line}, column {column})")]
pub struct TooDeep {
    pub line: usize,
    pub column: usize,
}

/// Refuses a YAML or JSON document nested deeper than [`MAX_NESTING`].
pub fn check_nesting(text: &[u8]) -> Result<(), TooDeep> {
    check_depth(text, MAX_NESTING)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Within {
    Nodes,
    SingleQuoted,
    DoubleQuoted,
    /// The text lines of a block scalar: those more indented than the
    /// line that introduced it (or blank).
    BlockScalar {
        parent_indent: usize,
    },
}

fn is_blank(b: Option<&u8>) -> bool {
    matches!(b, None | Some(b' ' | b'\t'))
}

/// Whether a YAML or JSON document nests deeper than `max` levels (see
/// [`check_nesting`]).
pub fn nests_deeper_than(text: &[u8], max: usize) -> bool {
    check_depth(text, max).is_err()
}

fn check_depth(text: &[u8], max: usize) -> Result<(), TooDeep> {
    let mut flow = 0usize;
    // The columns of the open block collections, increasing.
    let mut blocks: Vec<usize> = Vec::new();
    let mut within = Within::Nodes;
    let mut node_start = true;
    let mut node_col = 0usize;
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let too_deep = |column: usize| TooDeep {
            line: n + 1,
            column: column + 1,
        };
        if let Within::BlockScalar { parent_indent } = within {
            if indent > parent_indent || line.iter().all(|&b| b == b' ' || b == b'\t') {
                continue;
            }
            within = Within::Nodes;
        }
        let mut i = 0;
        if within == Within::Nodes && flow == 0 {
            let rest = &line[indent..];
            if rest.iter().all(|&b| b == b' ' || b == b'\t') || rest[0] == b'#' {
                continue;
            }
            // A block-context line: the collections right of its
            // indentation are closed.
            node_start = true;
            while blocks.last().is_some_and(|&c| c > indent) {
                blocks.pop();
            }
            let marker = rest.starts_with(b"---") || rest.starts_with(b"...");
            if indent == 0 && marker && is_blank(rest.get(3)) {
                blocks.clear();
                i = 3;
            }
        }
        while i < line.len() {
            let c = line[i];
            match within {
                Within::SingleQuoted => {
                    if c == b'\'' {
                        if line.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        within = Within::Nodes;
                    }
                    i += 1;
                    continue;
                }
                Within::DoubleQuoted => {
                    match c {
                        b'\\' => i += 1,
                        b'"' => within = Within::Nodes,
                        _ => {}
                    }
                    i += 1;
                    continue;
                }
                Within::Nodes | Within::BlockScalar { .. } => {}
            }
            let after_blank = i == 0 || is_blank(line.get(i - 1));
            let before_blank = is_blank(line.get(i + 1));
            if node_start && !matches!(c, b' ' | b'\t') {
                node_col = i;
            }
            match c {
                b' ' | b'\t' => {}
                b'#' if after_blank => break,
                b'[' | b'{' if node_start || flow > 0 => {
                    flow += 1;
                    if flow + blocks.len() > max {
                        return Err(too_deep(i));
                    }
                    node_start = true;
                }
                b']' | b'}' if flow > 0 => {
                    flow -= 1;
                    node_start = false;
                }
                b',' if flow > 0 => node_start = true,
                b'"' if node_start => {
                    within = Within::DoubleQuoted;
                    node_start = false;
                }
                b'\'' if node_start => {
                    within = Within::SingleQuoted;
                    node_start = false;
                }
                b'|' | b'>' if node_start && flow == 0 => {
                    within = Within::BlockScalar {
                        parent_indent: indent,
                    };
                    break;
                }
                // A block sequence entry or complex key opens a
                // collection at its column.
                b'-' | b'?' if node_start && flow == 0 && before_blank => {
                    if open_block(&mut blocks, i) && flow + blocks.len() > max {
                        return Err(too_deep(i));
                    }
                }
                // A mapping value: in block context the key opened a
                // mapping at the key's column. In flow context `:` may
                // follow a quoted key directly (`{"a":1}`).
                b':' if flow > 0 => node_start = true,
                b':' if before_blank => {
                    if open_block(&mut blocks, node_col) && blocks.len() > max {
                        return Err(too_deep(node_col));
                    }
                    node_start = true;
                }
                // An anchor or tag comes before the node it names.
                b'&' | b'!' if node_start => {
                    while i + 1 < line.len()
                        && !matches!(line[i + 1], b' ' | b'\t' | b',' | b'[' | b']' | b'{' | b'}')
                    {
                        i += 1;
                    }
                }
                _ => node_start = false,
            }
            i += 1;
        }
    }
    Ok(())
}

/// Opens a block collection at `column` unless one is open there already.
fn open_block(blocks: &mut Vec<usize>, column: usize) -> bool {
    if blocks.last().is_some_and(|&c| c >= column) {
        return false;
    }
    blocks.push(column);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(text: &str, max: usize) -> bool {
        check_depth(text.as_bytes(), max).is_ok()
    }

    /// The smallest limit `text` passes: its depth as the scan sees it.
    fn depth(text: &str) -> usize {
        (0..100).find(|&m| depth_ok(text, m)).unwrap()
    }

    #[test]
    fn flow_collections_count_once_per_level() {
        assert_eq!(depth("[[[]]]"), 3);
        assert_eq!(depth(r#"{"a": [1, {"b": [2]}], "c": {}}"#), 4);
        assert_eq!(depth("key: [a, [b]]\n"), 3);
        assert_eq!(depth("[\n [\n  [1]\n ]\n]\n"), 3);
    }

    #[test]
    fn block_collections_count_by_column() {
        let registries =
            "docker:\n  quay.io:\n    lookaside: https://x/\ndefault-docker:\n  sigstore: y\n";
        assert_eq!(depth(registries), 3);
        assert_eq!(depth("- - - x\n"), 3);
        assert_eq!(depth("- key: v\n  other: w\n- x\n"), 2);
        assert_eq!(depth("? - a\n: b\n"), 2);
        assert_eq!(depth("a:\n  b:\n    c: 1\nd: 2\ne:\n  f: 3\n"), 3);
    }

    #[test]
    fn brackets_in_scalars_and_comments_do_not_count() {
        let text = concat!(
            "a: 'it''s [not] a [list'\n",
            "b: \"neither \\\" [ {\"\n",
            "c: plain [text {\n",
            "# a comment [[[[\n",
            "d: x # trailing [[[\n",
            "e: |\n  [[[[ text\n   {{{{\n\n",
            "f: >-\n  [[[\n",
            "g: &anchor !!str [1]\n",
            "h: http://host:1/[x\n",
        );
        assert_eq!(depth(text), 2);
    }

    #[test]
    fn json_documents_are_flow_nesting() {
        let deep = format!("{}{}", "[".repeat(50), "]".repeat(50));
        assert_eq!(depth(&deep), 50);
        let strings = r#"{"k[": "v{", "e": "\"[", "a": ["[", "]]"]}"#;
        assert_eq!(depth(strings), 2);
    }

    #[test]
    fn the_limit_is_inclusive_and_the_error_says_where() {
        let at_limit = "[".repeat(MAX_NESTING);
        assert!(check_nesting(at_limit.as_bytes()).is_ok());
        let past = format!("docker: {}", "[".repeat(MAX_NESTING + 1));
        let e = check_nesting(past.as_bytes()).unwrap_err();
        // The mapping is one level, so the flow level that passes the
        // limit is the 10,000th bracket.
        assert_eq!(
            e,
            TooDeep {
                line: 1,
                column: 9 + MAX_NESTING - 1
            }
        );
        assert!(e.to_string().contains("nested deeper than 10000 levels"));
        let block = format!("x: {}", "- ".repeat(MAX_NESTING));
        assert!(check_nesting(block.as_bytes()).is_err());
    }

    #[test]
    fn documents_and_unbalanced_input_stay_linear_and_bounded() {
        assert_eq!(depth("a:\n  b: 1\n---\nc: 1\n"), 2);
        // Closing more than was opened is the parser's error to report.
        assert_eq!(depth("]]]}}}\n[1]"), 1);
        assert_eq!(depth("a:\n  b:\n\n  # c\n    c: 1\n"), 3);
    }
}
