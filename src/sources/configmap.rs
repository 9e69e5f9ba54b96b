//! Signature ConfigMaps, the form release signatures take in disconnected
//! clusters: reading those written by `oc adm release mirror` and oc-mirror
//! (JSON or YAML, one or many digests), and writing new ones the
//! cluster-version-operator picks up.
//!
//! Layout: `binaryData` keys `<algorithm>-<hex>-<N>` (N = 1, 2, …), values
//! the base64 signature; namespace `openshift-config-managed`, label
//! `release.openshift.io/verification-signatures`.
//!
//! Reading keeps the signatures and nothing else of the document: each
//! `binaryData` entry is decoded as the parser reaches it, at most
//! [`MAX_CONFIGMAP_SIGNATURES`] of them in all.

use crate::image::digest::Digest;
use crate::io::{
    BoundedReadError, FileError, JsonStringLimit, MAX_CONFIGMAP_SIGNATURES, MAX_CONFIGMAP_SIZE,
    MAX_CONFIGMAP_YAML_SIZE, MAX_SIGNATURE_SIZE, read_limited,
};
use base64::Engine as _;
use serde::Serialize;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The namespace the cluster-version-operator reads signatures from.
pub const NAMESPACE: &str = "openshift-config-managed";
/// The label that marks a ConfigMap as holding release signatures.
pub const LABEL: &str = "release.openshift.io/verification-signatures";

/// File formats a ConfigMap can be read from and written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

impl Format {
    /// `.yaml`/`.yml` files are YAML, everything else JSON.
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml") => {
                Format::Yaml
            }
            _ => Format::Json,
        }
    }
}

/// A ConfigMap file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigMapError {
    #[error(transparent)]
    Read(#[from] crate::io::FileError),
    #[error("ConfigMap {path}: {detail}")]
    Invalid { path: PathBuf, detail: String },
    #[error("cannot write ConfigMap {}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The signatures of a signature ConfigMap (or of a List of them), by
/// digest and index.
#[derive(Debug, Clone, Default)]
pub struct SignatureConfigMap {
    /// `metadata.name` (of the first ConfigMap, for a List).
    pub name: String,
    entries: BTreeMap<(String, u32), Vec<u8>>,
}

#[derive(Serialize)]
struct Output<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    metadata: OutputMeta<'a>,
    #[serde(rename = "binaryData")]
    binary_data: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct OutputMeta<'a> {
    name: &'a str,
    namespace: &'static str,
    labels: BTreeMap<&'static str, &'static str>,
}

impl SignatureConfigMap {
    /// An empty ConfigMap named `name`.
    pub fn new(name: impl Into<String>) -> SignatureConfigMap {
        SignatureConfigMap {
            name: name.into(),
            entries: BTreeMap::new(),
        }
    }

    /// Reads a ConfigMap file (JSON or YAML; a `List` of ConfigMaps too).
    /// JSON is parsed as it is read and never held whole; YAML is (its
    /// parser holds every node of the document), so it has a smaller
    /// limit.
    pub fn read(path: &Path) -> Result<SignatureConfigMap, ConfigMapError> {
        use std::io::{BufRead, Read};
        let io = |source| {
            ConfigMapError::Read(FileError::Io {
                what: "ConfigMap",
                path: path.to_path_buf(),
                source,
            })
        };
        let file = crate::io::open_regular(path, "ConfigMap", MAX_CONFIGMAP_SIZE)
            .map_err(ConfigMapError::Read)?;
        let mut reader = std::io::BufReader::new(file.take(MAX_CONFIGMAP_SIZE + 1));
        let looks_json = loop {
            let buf = reader.fill_buf().map_err(io)?;
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => break buf[i] == b'{',
                None if buf.is_empty() => break false,
                None => {
                    let n = buf.len();
                    reader.consume(n);
                }
            }
        };
        if looks_json {
            return SignatureConfigMap::read_json(path, reader);
        }
        let bytes = read_limited(reader, MAX_CONFIGMAP_YAML_SIZE).map_err(|e| match e {
            BoundedReadError::TooLarge => ConfigMapError::Read(FileError::TooLarge {
                what: "YAML ConfigMap",
                path: path.to_path_buf(),
                max: MAX_CONFIGMAP_YAML_SIZE,
            }),
            BoundedReadError::Io(e) => io(e),
        })?;
        SignatureConfigMap::parse(path, &bytes)
    }

    /// Parses a ConfigMap document; `path` is used in messages.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<SignatureConfigMap, ConfigMapError> {
        let looks_json = bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'{');
        if looks_json {
            return SignatureConfigMap::read_json(path, bytes);
        }
        crate::io::check_nesting(bytes).map_err(|e| ConfigMapError::Invalid {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        let mut out = Collector::default();
        let parsed = serde::de::DeserializeSeed::deserialize(
            Document(&mut out),
            serde_yaml_ng::Deserializer::from_slice(bytes),
        );
        out.finish(path, parsed.map_err(|e| format!("not valid YAML: {e}")))
    }

    /// Parses a JSON document as it is read, keeping only the signatures.
    fn read_json(
        path: &Path,
        reader: impl std::io::Read,
    ) -> Result<SignatureConfigMap, ConfigMapError> {
        // A signature's base64 is the longest string a ConfigMap needs.
        let max_string = usize::try_from(MAX_SIGNATURE_SIZE / 3 * 4 + 8).unwrap_or(usize::MAX);
        let mut limited = TooLong {
            inner: JsonStringLimit::new(reader, max_string),
            left: MAX_CONFIGMAP_SIZE + 1,
        };
        let mut out = Collector::default();
        let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(&mut limited));
        let parsed = serde::de::DeserializeSeed::deserialize(Document(&mut out), &mut de)
            .and_then(|()| de.end());
        if limited.inner.tripped() {
            return Err(ConfigMapError::Invalid {
                path: path.to_path_buf(),
                detail: format!("a string is longer than {max_string} bytes"),
            });
        }
        if limited.left == 0 {
            return Err(ConfigMapError::Read(FileError::TooLarge {
                what: "ConfigMap",
                path: path.to_path_buf(),
                max: MAX_CONFIGMAP_SIZE,
            }));
        }
        out.finish(path, parsed.map_err(|e| format!("not valid JSON: {e}")))
    }

    /// The signatures for `digest`, by increasing index, with their keys.
    pub fn signatures(&self, digest: &Digest) -> Vec<(String, &[u8])> {
        let dk = digest_key(digest);
        self.entries
            .range((dk.clone(), 0)..=(dk.clone(), u32::MAX))
            .map(|((d, n), bytes)| (format!("{d}-{n}"), bytes.as_slice()))
            .collect()
    }

    /// How many signatures the ConfigMap holds, for all digests.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a signature for `digest` with the next free index; returns it.
    pub fn add(&mut self, digest: &Digest, bytes: Vec<u8>) -> u32 {
        let dk = digest_key(digest);
        let next = self
            .entries
            .range((dk.clone(), 0)..=(dk.clone(), u32::MAX))
            .next_back()
            .map_or(1, |((_, n), _)| n + 1);
        self.entries.insert((dk, next), bytes);
        next
    }

    /// The ConfigMap as a document ready for `oc apply`.
    /// The digests it holds signatures for (`sha256-<hex>`, as keys
    /// spell them).
    pub fn digest_keys(&self) -> std::collections::BTreeSet<&str> {
        self.entries.keys().map(|(d, _)| d.as_str()).collect()
    }

    /// Adds the signatures of `older` for every digest this ConfigMap
    /// holds none for, keeping their indexes; returns how many. `fetch`
    /// uses it so that an image it could not verify this time keeps the
    /// signatures an earlier run wrote.
    pub fn keep_other_digests(&mut self, older: &SignatureConfigMap) -> usize {
        let ours: std::collections::BTreeSet<String> =
            self.digest_keys().into_iter().map(str::to_string).collect();
        let mut kept = 0;
        for ((digest, index), bytes) in &older.entries {
            if !ours.contains(digest) {
                self.entries.insert((digest.clone(), *index), bytes.clone());
                kept += 1;
            }
        }
        kept
    }

    pub fn render(&self, format: Format) -> String {
        let doc = Output {
            api_version: "v1",
            kind: "ConfigMap",
            metadata: OutputMeta {
                name: &self.name,
                namespace: NAMESPACE,
                labels: BTreeMap::from([(LABEL, "")]),
            },
            binary_data: self
                .entries
                .iter()
                .map(|((d, n), bytes)| {
                    (
                        format!("{d}-{n}"),
                        base64::engine::general_purpose::STANDARD.encode(bytes),
                    )
                })
                .collect(),
        };
        match format {
            Format::Json => {
                let mut s = serde_json::to_string_pretty(&doc).expect("plain data serialises");
                s.push('\n');
                s
            }
            Format::Yaml => serde_yaml_ng::to_string(&doc).expect("plain data serialises"),
        }
    }

    /// Writes the ConfigMap to `path` (replacing the file as a whole).
    pub fn write(&self, path: &Path, format: Format) -> Result<(), ConfigMapError> {
        crate::io::write_file_atomically(path, self.render(format).as_bytes()).map_err(|source| {
            ConfigMapError::Write {
                path: path.to_path_buf(),
                source,
            }
        })
    }
}

/// What reading a document has gathered so far.
#[derive(Default)]
struct Collector {
    name: String,
    entries: BTreeMap<(String, u32), Vec<u8>>,
    /// Signatures decoded so far, kept or pending.
    count: usize,
    /// What is wrong with the document; set when the parser is stopped
    /// for a reason of ours, which then replaces the parser's message.
    problem: Option<String>,
}

impl Collector {
    /// Records `problem` and returns the error that stops the parser.
    fn fail<E: serde::de::Error>(&mut self, problem: String) -> E {
        let e = E::custom(&problem);
        self.problem.get_or_insert(problem);
        e
    }

    fn finish(
        self,
        path: &Path,
        parsed: Result<(), String>,
    ) -> Result<SignatureConfigMap, ConfigMapError> {
        let invalid = |detail: String| ConfigMapError::Invalid {
            path: path.to_path_buf(),
            detail,
        };
        if let Some(problem) = self.problem {
            return Err(invalid(problem));
        }
        parsed.map_err(invalid)?;
        Ok(SignatureConfigMap {
            name: self.name,
            entries: self.entries,
        })
    }
}

/// One ConfigMap or `List` document (a `List`'s items are documents too).
struct Document<'a>(&'a mut Collector);

/// The members of a document that matter.
#[derive(serde::Deserialize)]
#[serde(field_identifier)]
enum Member {
    #[serde(rename = "kind")]
    Kind,
    #[serde(rename = "metadata")]
    Metadata,
    #[serde(rename = "binaryData")]
    BinaryData,
    /// Only looked at to say that signatures belong in `binaryData`.
    #[serde(rename = "data")]
    Data,
    #[serde(rename = "items")]
    Items,
    #[serde(other)]
    Other,
}

impl<'de> DeserializeSeed<'de> for Document<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a ConfigMap (or a List of them)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        #[derive(serde::Deserialize)]
        struct Metadata {
            #[serde(default)]
            name: Option<String>,
        }
        let out = self.0;
        let mut kind: Option<String> = None;
        let mut name = None;
        // Members may come in any order: the signatures wait for `kind`.
        let mut signatures = Vec::new();
        let (mut binary_data, mut data) = (false, false);
        while let Some(member) = map.next_key::<Member>()? {
            match member {
                Member::Kind => kind = Some(map.next_value()?),
                Member::Metadata => {
                    name = map.next_value::<Option<Metadata>>()?.and_then(|m| m.name)
                }
                Member::BinaryData => {
                    binary_data = true;
                    map.next_value_seed(BinaryData {
                        out: &mut *out,
                        signatures: &mut signatures,
                    })?
                }
                Member::Data => {
                    data = true;
                    map.next_value::<IgnoredAny>()?;
                }
                Member::Items => map.next_value_seed(Items(&mut *out))?,
                Member::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match kind.as_deref() {
            // A List's own binaryData is not a ConfigMap's.
            Some("List") => Ok(()),
            Some("ConfigMap") if signatures.is_empty() && !binary_data => {
                Err(out.fail(if data {
                    "the signatures are under data:, but must be base64 under binaryData: (as `oc adm release mirror` writes them)".into()
                } else {
                    "no binaryData: a signature ConfigMap holds its signatures as binaryData keys sha256-<hex>-N".into()
                }))
            }
            Some("ConfigMap") => {
                if out.name.is_empty() {
                    out.name = name.unwrap_or_default();
                }
                out.entries.extend(signatures);
                Ok(())
            }
            Some(other) => Err(out.fail(format!(
                "kind is {other:?}, expected \"ConfigMap\" (or a \"List\" of them)"
            ))),
            None => Err(out.fail("no \"kind\": expected a ConfigMap".into())),
        }
    }
}

/// A `List`'s `items`.
struct Items<'a>(&'a mut Collector);

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of ConfigMaps")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Document(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// A `binaryData` map: each signature entry decoded as it is reached.
struct BinaryData<'a> {
    out: &'a mut Collector,
    signatures: &'a mut Vec<((String, u32), Vec<u8>)>,
}

impl<'de> DeserializeSeed<'de> for BinaryData<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BinaryData<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of base64 values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            // The cluster-version-operator skips other keys; a file given
            // as a signature source with such a key is more likely a
            // mistake (a digest with a colon, a missing -N) than a
            // deliberate extra.
            let Some((digest, index)) = parse_key(&key) else {
                return Err(self.out.fail(format!(
                    "binaryData key {key:?} is not shaped sha256-<64 lower-case hex>-N"
                )));
            };
            let value: String = map.next_value()?;
            let bytes = match base64::engine::general_purpose::STANDARD.decode(value.trim()) {
                Ok(b) => b,
                Err(e) => {
                    return Err(self
                        .out
                        .fail(format!("binaryData.{key} is not base64: {e}")));
                }
            };
            if bytes.len() as u64 > MAX_SIGNATURE_SIZE {
                return Err(self.out.fail(format!(
                    "binaryData.{key} is larger than {MAX_SIGNATURE_SIZE} bytes"
                )));
            }
            self.out.count += 1;
            if self.out.count > MAX_CONFIGMAP_SIGNATURES {
                return Err(self
                    .out
                    .fail(format!("more than {MAX_CONFIGMAP_SIGNATURES} signatures")));
            }
            self.signatures.push(((digest_key(&digest), index), bytes));
        }
        Ok(())
    }
}

/// Fails the read past [`MAX_CONFIGMAP_SIZE`] bytes (`left`, which starts
/// one above the limit, is then 0).
struct TooLong<R> {
    inner: R,
    left: u64,
}

impl<R: std::io::Read> std::io::Read for TooLong<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("the ConfigMap is too large"));
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// `sha256-<hex>`, as ConfigMap keys and names spell a digest.
pub fn digest_key(digest: &Digest) -> String {
    format!("{}-{}", digest.algorithm().name(), digest.hex())
}

/// `sha256-<hex>-N` → (digest, N); `None` for any other key.
fn parse_key(key: &str) -> Option<(Digest, u32)> {
    let (digest, index) = key.rsplit_once('-')?;
    let index: u32 = index.parse().ok().filter(|&n| n >= 1)?;
    let (algo, hex) = digest.split_once('-')?;
    Some((Digest::parse(&format!("{algo}:{hex}")).ok()?, index))
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0da6316466d60a3a4535d5fed3589feb0391989982fba59d47d4c729912d6363";

    #[test]
    fn keys_are_parsed_strictly() {
        let (d, n) = parse_key(&format!("{}-12", digest_key(&D.parse().unwrap()))).unwrap();
        assert_eq!((d.to_string().as_str(), n), (D, 12));
        assert!(parse_key("sha256-abc-1").is_none());
        assert!(parse_key(&format!("{}-0", digest_key(&D.parse().unwrap()))).is_none());
        assert!(parse_key("release-notes").is_none());
    }

    #[test]
    fn written_configmaps_read_back_in_both_formats() {
        let d: Digest = D.parse().unwrap();
        let mut cm = SignatureConfigMap::new("sha256-0da6");
        assert_eq!(cm.add(&d, b"one".to_vec()), 1);
        assert_eq!(cm.add(&d, b"two".to_vec()), 2);
        for format in [Format::Json, Format::Yaml] {
            let text = cm.render(format);
            assert!(text.contains(NAMESPACE) && text.contains(LABEL));
            let back = SignatureConfigMap::parse(Path::new("x"), text.as_bytes()).unwrap();
            let sigs: Vec<&[u8]> = back.signatures(&d).into_iter().map(|(_, b)| b).collect();
            assert_eq!(sigs, [b"one".as_slice(), b"two".as_slice()]);
            assert_eq!(back.name, "sha256-0da6");
        }
    }

    #[test]
    fn older_signatures_are_kept_only_for_other_digests() {
        let d: Digest = D.parse().unwrap();
        let other: Digest = format!("sha256:{}", "1".repeat(64)).parse().unwrap();
        let mut older = SignatureConfigMap::new("old");
        older.add(&d, b"old-d".to_vec());
        older.add(&other, b"old-other-1".to_vec());
        older.add(&other, b"old-other-2".to_vec());
        let mut now = SignatureConfigMap::new("new");
        now.add(&d, b"new-d".to_vec());
        assert_eq!(now.keep_other_digests(&older), 2);
        let sigs = |cm: &SignatureConfigMap, d| -> Vec<Vec<u8>> {
            cm.signatures(d)
                .into_iter()
                .map(|(_, b)| b.to_vec())
                .collect()
        };
        assert_eq!(sigs(&now, &d), [b"new-d".to_vec()]);
        assert_eq!(
            sigs(&now, &other),
            [b"old-other-1".to_vec(), b"old-other-2".to_vec()]
        );
        assert_eq!(now.digest_keys().len(), 2);
    }

    #[test]
    fn deep_documents_are_refused_before_parsing() {
        let deep = format!("kind: ConfigMap\nbinaryData: {}", "[".repeat(100_000));
        let e = SignatureConfigMap::parse(Path::new("s.yaml"), deep.as_bytes()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("ConfigMap s.yaml: nested deeper than 10000 levels (at line 2"),
            "{e}"
        );
    }

    #[test]
    fn wrong_documents_are_named_errors() {
        let e = SignatureConfigMap::parse(Path::new("s.yaml"), b"kind: Secret\n").unwrap_err();
        assert!(e.to_string().contains("s.yaml") && e.to_string().contains("Secret"));
        let e = SignatureConfigMap::parse(Path::new("s.json"), b"{").unwrap_err();
        assert!(e.to_string().contains("not valid JSON"));
        let bad = format!(
            "kind: ConfigMap\nbinaryData:\n  {}-1: '!!'\n",
            digest_key(&D.parse().unwrap())
        );
        let e = SignatureConfigMap::parse(Path::new("s.yaml"), bad.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("not base64"), "{e}");
        let text_data = format!(
            "kind: ConfigMap\ndata:\n  {}-1: abc\n",
            digest_key(&D.parse().unwrap())
        );
        let e = SignatureConfigMap::parse(Path::new("s.yaml"), text_data.as_bytes()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("ConfigMap s.yaml: the signatures are under data:, but must be base64 under binaryData:"),
            "{e}"
        );
        let colon = "kind: ConfigMap\nbinaryData:\n  sha256:0da6-1: YQ==\n";
        let e = SignatureConfigMap::parse(Path::new("s.yaml"), colon.as_bytes()).unwrap_err();
        assert!(
            e.to_string().ends_with(
                "binaryData key \"sha256:0da6-1\" is not shaped sha256-<64 lower-case hex>-N"
            ),
            "{e}"
        );
    }

    #[test]
    fn members_in_any_order_and_lists_of_configmaps() {
        let d: Digest = D.parse().unwrap();
        let k = digest_key(&d);
        // binaryData before kind: the signatures wait for the kind.
        let json = format!(
            r#"{{"binaryData":{{"{k}-2":"dHdv","{k}-1":"b25l"}},"kind":"ConfigMap","metadata":{{"name":"n"}}}}"#
        );
        let cm = SignatureConfigMap::parse(Path::new("c.json"), json.as_bytes()).unwrap();
        let sigs: Vec<(String, &[u8])> = cm.signatures(&d);
        assert_eq!(
            sigs,
            [
                (format!("{k}-1"), &b"one"[..]),
                (format!("{k}-2"), &b"two"[..])
            ]
        );
        assert_eq!(cm.name, "n");
        let secret = format!(r#"{{"binaryData":{{"{k}-1":"b25l"}},"kind":"Secret"}}"#);
        let e = SignatureConfigMap::parse(Path::new("c.json"), secret.as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ConfigMap c.json: kind is \"Secret\", expected \"ConfigMap\" (or a \"List\" of them)"
        );
        let list = format!(
            "kind: List\nitems:\n- kind: ConfigMap\n  binaryData:\n    {k}-1: b25l\n- kind: ConfigMap\n  metadata: {{name: second}}\n  binaryData:\n    {k}-2: dHdv\n"
        );
        let cm = SignatureConfigMap::parse(Path::new("l.yaml"), list.as_bytes()).unwrap();
        assert_eq!(cm.len(), 2);
    }

    #[test]
    fn reading_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        // More signatures than the limit, in JSON (read as it streams).
        let mut json = String::from(r#"{"kind":"ConfigMap","binaryData":{"#);
        for i in 0..=MAX_CONFIGMAP_SIGNATURES {
            json.push_str(&format!(r#""sha256-{i:064x}-1":"eA==","#));
        }
        json.pop();
        json.push_str("}}");
        let path = dir.path().join("many.json");
        std::fs::write(&path, &json).unwrap();
        let e = SignatureConfigMap::read(&path).unwrap_err().to_string();
        assert!(
            e.ends_with(&format!("more than {MAX_CONFIGMAP_SIGNATURES} signatures")),
            "{e}"
        );
        // One value far larger than any signature is refused, not held.
        let huge = format!(
            r#"{{"kind":"ConfigMap","x":"{}"}}"#,
            "a".repeat(6 * 1024 * 1024)
        );
        std::fs::write(&path, huge).unwrap();
        let e = SignatureConfigMap::read(&path).unwrap_err().to_string();
        assert!(e.contains("a string is longer than"), "{e}");
        // YAML is held whole by its parser: a smaller limit.
        let path = dir.path().join("big.yaml");
        let yaml = format!(
            "kind: ConfigMap\nx: {}\n",
            "a".repeat(MAX_CONFIGMAP_YAML_SIZE as usize)
        );
        std::fs::write(&path, yaml).unwrap();
        let e = SignatureConfigMap::read(&path).unwrap_err().to_string();
        assert!(
            e.starts_with("YAML ConfigMap ") && e.contains("is larger than"),
            "{e}"
        );
        // Leading blank lines do not hide a JSON document.
        let path = dir.path().join("cm.json");
        std::fs::write(&path, "\n\n  {\"kind\":\"ConfigMap\",\"binaryData\":{}}").unwrap();
        assert!(SignatureConfigMap::read(&path).unwrap().is_empty());
    }
}
