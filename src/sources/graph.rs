//! OpenShift release versions: resolving `4.15.0` to its payload digest
//! through the update graph (Cincinnati), and the identity its signature
//! must carry.
//!
//! The graph is not signed. It only says which digest to look for; the
//! signature's identity `quay.io/openshift-release-dev/ocp-release:<version>-<arch>`
//! is what binds the version to that digest.
//!
//! The document is parsed as it arrives and only each release's version
//! and payload digest are kept (at most [`MAX_GRAPH_RELEASES`]); edges and
//! metadata are read past. No string in it may be longer than
//! [`MAX_GRAPH_STRING`], so no single value is buffered whole either.

use crate::image::digest::Digest;
use crate::image::reference::Reference;
use crate::io::{JsonStringLimit, MAX_GRAPH_RELEASES, MAX_GRAPH_STRING};
use crate::sources::http::{HttpClient, HttpError};
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::str::FromStr;

/// The public update graph OpenShift clusters use.
pub const DEFAULT_GRAPH_URL: &str = "https://api.openshift.com/api/upgrades_info/v1/graph";
/// Where OpenShift release payloads are published and what their
/// signatures name.
pub const RELEASE_REPOSITORY: &str = "quay.io/openshift-release-dev/ocp-release";

/// A release architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
    S390x,
    Ppc64le,
    Multi,
}

impl Arch {
    /// The name the update graph uses (`amd64`, `arm64`, …).
    pub fn graph_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Aarch64 => "arm64",
            Arch::S390x => "s390x",
            Arch::Ppc64le => "ppc64le",
            Arch::Multi => "multi",
        }
    }

    /// The name release tags and signed identities use (`x86_64`, …).
    pub fn tag_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
            Arch::S390x => "s390x",
            Arch::Ppc64le => "ppc64le",
            Arch::Multi => "multi",
        }
    }
}

impl FromStr for Arch {
    type Err = String;
    /// Either spelling is accepted: `x86_64`/`amd64`, `aarch64`/`arm64`.
    fn from_str(s: &str) -> Result<Arch, String> {
        Ok(match s {
            "x86_64" | "amd64" => Arch::X86_64,
            "aarch64" | "arm64" => Arch::Aarch64,
            "s390x" => Arch::S390x,
            "ppc64le" => Arch::Ppc64le,
            "multi" => Arch::Multi,
            _ => {
                return Err(format!(
                    "unknown architecture {s:?}: expected x86_64, aarch64, s390x, ppc64le or multi"
                ));
            }
        })
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag_name())
    }
}

/// Resolving a version failed.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("{url}: not an update graph: {detail}")]
    InvalidGraph { url: String, detail: String },
    #[error(
        "release {version} ({arch}) is not in channel {channel} of the update graph {url}: check the version, --channel and --arch"
    )]
    UnknownVersion {
        version: String,
        channel: String,
        arch: Arch,
        url: String,
    },
    #[error("{url}: release {version} has payload {payload:?}, which is not a digest reference")]
    InvalidPayload {
        url: String,
        version: String,
        payload: String,
    },
    #[error("{version:?} is not a release version such as 4.15.0")]
    InvalidVersion { version: String },
}

/// Whether `s` looks like a release version (`4.15.0`, `4.16.0-rc.3`)
/// rather than an image reference.
pub fn is_release_version(s: &str) -> bool {
    let (core, pre) = match s.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (s, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && pre.is_none_or(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        })
}

/// `stable-<major>.<minor>` for a version.
pub fn default_channel(version: &str) -> Result<String, ReleaseError> {
    if !is_release_version(version) {
        return Err(ReleaseError::InvalidVersion {
            version: version.to_string(),
        });
    }
    let mut parts = version.split('.');
    let (major, minor) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    Ok(format!("stable-{major}.{minor}"))
}

/// The identity a release's signature must name:
/// `quay.io/openshift-release-dev/ocp-release:<version>-<arch>`.
pub fn release_identity(version: &str, arch: Arch) -> Result<Reference, ReleaseError> {
    if !is_release_version(version) {
        return Err(ReleaseError::InvalidVersion {
            version: version.to_string(),
        });
    }
    Reference::parse(&format!(
        "{RELEASE_REPOSITORY}:{version}-{}",
        arch.tag_name()
    ))
    .map_err(|_| ReleaseError::InvalidVersion {
        version: version.to_string(),
    })
}

/// The parts of an update graph relsig uses.
#[derive(Debug, Clone)]
pub struct Graph {
    /// The URL it was fetched from, query included.
    pub url: String,
    pub channel: String,
    pub arch: Arch,
    /// Version → payload.
    releases: HashMap<Box<str>, Payload>,
}

/// A release's `payload`: its digest, or (for the error message) the
/// start of a payload that names none.
#[derive(Debug, Clone)]
enum Payload {
    Digest(Digest),
    NotADigest(Box<str>),
}

/// Longer versions are never asked for ([`is_release_version`] numbers
/// are short); such nodes are not kept.
const MAX_VERSION_LEN: usize = 64;

impl Graph {
    /// Fetches the graph of `channel` for `arch` from `graph_url`.
    pub fn fetch(
        http: &HttpClient,
        graph_url: &str,
        channel: &str,
        arch: Arch,
    ) -> Result<Graph, ReleaseError> {
        let mut url = reqwest::Url::parse(graph_url).map_err(|e| HttpError::InvalidUrl {
            url: graph_url.to_string(),
            detail: e.to_string(),
        })?;
        url.query_pairs_mut()
            .append_pair("channel", channel)
            .append_pair("arch", arch.graph_name());
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        http.get_ok_streamed(url.as_str(), &headers, crate::io::MAX_GRAPH_SIZE, |body| {
            Graph::read(url.as_str(), channel, arch, body)
        })?
    }

    /// Parses a graph document (`{"nodes":[{"version","payload",…}],"edges":…}`).
    pub fn parse(url: &str, channel: &str, arch: Arch, body: &[u8]) -> Result<Graph, ReleaseError> {
        Graph::read(url, channel, arch, body)
    }

    /// Parses a graph document as it is read from `reader`.
    pub fn read(
        url: &str,
        channel: &str,
        arch: Arch,
        reader: impl Read,
    ) -> Result<Graph, ReleaseError> {
        let mut guard = JsonStringLimit::new(reader, MAX_GRAPH_STRING);
        let parsed: Result<Nodes, _> = serde_json::from_reader(std::io::BufReader::new(&mut guard));
        let invalid = |detail: String| ReleaseError::InvalidGraph {
            url: url.to_string(),
            detail,
        };
        if guard.tripped() {
            return Err(invalid(format!(
                "a string is longer than {MAX_GRAPH_STRING} bytes"
            )));
        }
        let Nodes(releases) = parsed.map_err(|e| invalid(e.to_string()))?;
        Ok(Graph {
            url: url.to_string(),
            channel: channel.to_string(),
            arch,
            releases,
        })
    }

    /// The payload digest of `version`.
    pub fn digest_of(&self, version: &str) -> Result<Digest, ReleaseError> {
        match self.releases.get(version) {
            Some(Payload::Digest(d)) => Ok(d.clone()),
            Some(Payload::NotADigest(payload)) => Err(ReleaseError::InvalidPayload {
                url: self.url.clone(),
                version: version.to_string(),
                payload: payload.to_string(),
            }),
            None => Err(ReleaseError::UnknownVersion {
                version: version.to_string(),
                channel: self.channel.clone(),
                arch: self.arch,
                url: self.url.clone(),
            }),
        }
    }
}

/// The `nodes` of a graph document, kept as version → payload; every other
/// member is skipped without being kept.
struct Nodes(HashMap<Box<str>, Payload>);

impl<'de> serde::Deserialize<'de> for Nodes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Nodes, D::Error> {
        d.deserialize_map(DocVisitor)
    }
}

#[derive(serde::Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Member {
    Nodes,
    #[serde(other)]
    Other,
}

struct DocVisitor;

impl<'de> serde::de::Visitor<'de> for DocVisitor {
    type Value = Nodes;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an update graph object with \"nodes\"")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Nodes, A::Error> {
        let mut nodes = None;
        while let Some(member) = map.next_key::<Member>()? {
            match member {
                Member::Nodes => nodes = Some(map.next_value::<NodeList>()?.0),
                Member::Other => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        nodes
            .map(Nodes)
            .ok_or_else(|| serde::de::Error::missing_field("nodes"))
    }
}

struct NodeList(HashMap<Box<str>, Payload>);

impl<'de> serde::Deserialize<'de> for NodeList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<NodeList, D::Error> {
        d.deserialize_seq(NodeListVisitor)
    }
}

struct NodeListVisitor;

impl<'de> serde::de::Visitor<'de> for NodeListVisitor {
    type Value = NodeList;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of releases")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<NodeList, A::Error> {
        #[derive(serde::Deserialize)]
        struct Node {
            version: String,
            payload: String,
        }
        let mut releases = HashMap::new();
        let mut count = 0usize;
        while let Some(node) = seq.next_element::<Node>()? {
            count += 1;
            if count > MAX_GRAPH_RELEASES {
                return Err(serde::de::Error::custom(format!(
                    "more than {MAX_GRAPH_RELEASES} releases"
                )));
            }
            if node.version.len() > MAX_VERSION_LEN {
                continue;
            }
            let payload = match Reference::parse(&node.payload)
                .ok()
                .and_then(|r| r.digest().and_then(|d| Digest::parse(d).ok()))
            {
                Some(d) => Payload::Digest(d),
                None => Payload::NotADigest(node.payload.chars().take(200).collect()),
            };
            releases.insert(node.version.into_boxed_str(), payload);
        }
        Ok(NodeList(releases))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRAPH: &str = r#"{"nodes":[{"version":"4.15.0","payload":"quay.io/openshift-release-dev/ocp-release@sha256:0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363","metadata":{"io.openshift.upgrades.graph.release.channels":"stable-4.15"}},{"version":"4.15.1","payload":"quay.io/openshift-release-dev/ocp-release:4.15.1-x86_64","metadata":{}}],"edges":[[0,1]]}"#;

    #[test]
    fn versions_are_told_apart_from_references() {
        for v in ["4.15.0", "4.16.0-rc.3", "4.14.10"] {
            assert!(is_release_version(v), "{v}");
        }
        for v in [
            "4.15",
            "quay.io/a/b:4.15.0",
            "4.15.x",
            "4.15.0-",
            "sha256:00",
        ] {
            assert!(!is_release_version(v), "{v}");
        }
        assert_eq!(default_channel("4.15.0").unwrap(), "stable-4.15");
    }

    #[test]
    fn arch_names_map_both_ways() {
        assert_eq!("amd64".parse::<Arch>().unwrap(), Arch::X86_64);
        assert_eq!("aarch64".parse::<Arch>().unwrap().graph_name(), "arm64");
        assert!("i386".parse::<Arch>().is_err());
        assert_eq!(
            release_identity("4.15.0", Arch::Multi).unwrap().to_string(),
            "quay.io/openshift-release-dev/ocp-release:4.15.0-multi"
        );
    }

    #[test]
    fn graph_lookup() {
        let g = Graph::parse("u", "stable-4.15", Arch::X86_64, GRAPH.as_bytes()).unwrap();
        assert_eq!(
            g.digest_of("4.15.0").unwrap().to_string(),
            "sha256:0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363"
        );
        assert!(matches!(
            g.digest_of("4.15.9"),
            Err(ReleaseError::UnknownVersion { .. })
        ));
        assert!(matches!(
            g.digest_of("4.15.1"),
            Err(ReleaseError::InvalidPayload { .. })
        ));
        assert!(matches!(
            Graph::parse("u", "c", Arch::X86_64, b"[]"),
            Err(ReleaseError::InvalidGraph { .. })
        ));
    }

    #[test]
    fn graphs_are_bounded() {
        // A string longer than the limit anywhere, even where nothing is
        // kept, ends the read.
        let long = format!(
            r#"{{"nodes":[],"edges":[],"x":"{}"}}"#,
            "a".repeat(MAX_GRAPH_STRING + 1)
        );
        let e = Graph::parse("u", "c", Arch::X86_64, long.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("a string is longer than"), "{e}");
        // Escaped quotes do not end a string early.
        let escaped = format!(
            r#"{{"nodes":[],"x":"{}"}}"#,
            "\\\"".repeat(MAX_GRAPH_STRING)
        );
        assert!(Graph::parse("u", "c", Arch::X86_64, escaped.as_bytes()).is_err());
        let mut many = String::from(r#"{"nodes":["#);
        for i in 0..=MAX_GRAPH_RELEASES {
            many.push_str(&format!(r#"{{"version":"4.0.{i}","payload":"x"}},"#));
        }
        many.pop();
        many.push_str("]}");
        let e = Graph::parse("u", "c", Arch::X86_64, many.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("more than"), "{e}");
    }
}
