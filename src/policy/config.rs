//! `policy.json`, parsed as strictly as containers/image parses it
//! (unknown members, unknown types, duplicate keys and empty requirement
//! lists are errors), with every problem located by its JSON path so that
//! `lint` can report them all at once.

use crate::config::{Diagnostic, member_path};
use crate::image::reference::Reference;
use crate::signature::identity::validate_remap_prefix;
use crate::signature::payload::StrictValue;
use base64::Engine as _;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The transports containers/image knows; other names are accepted (as
/// there) but never used.
pub const KNOWN_TRANSPORTS: &[&str] = &[
    "containers-storage",
    "dir",
    "docker",
    "docker-archive",
    "docker-daemon",
    "oci",
    "oci-archive",
    "ostree",
    "sif",
    "tarball",
];

/// A whole policy: the default requirements and, per transport, per
/// scope, the requirements that replace them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub default: Vec<Requirement>,
    pub transports: BTreeMap<String, BTreeMap<String, Vec<Requirement>>>,
}

/// One requirement, with the JSON path it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub path: String,
    pub rule: Rule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    InsecureAcceptAnything,
    Reject,
    SignedBy(SignedBy),
    /// Sigstore (cosign) signatures.
    SigstoreSigned(SigstoreSigned),
    /// Parsed; containers/image does not implement it and rejects.
    SignedBaseLayer,
}

impl Rule {
    /// The `type` value in policy.json.
    pub fn type_name(&self) -> &'static str {
        match self {
            Rule::InsecureAcceptAnything => "insecureAcceptAnything",
            Rule::Reject => "reject",
            Rule::SignedBy(_) => "signedBy",
            Rule::SigstoreSigned(_) => "sigstoreSigned",
            Rule::SignedBaseLayer => "signedBaseLayer",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBy {
    pub key_type: KeyType,
    pub keys: Keys,
    pub identity: SignedIdentity,
}

/// `keyType`. Only `GPGKeys` is implemented by containers/image; the
/// others parse but reject every image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    GpgKeys,
    SignedByGpgKeys,
    X509Certificates,
    SignedByX509Cas,
}

impl KeyType {
    fn parse(s: &str) -> Option<KeyType> {
        Some(match s {
            "GPGKeys" => KeyType::GpgKeys,
            "signedByGPGKeys" => KeyType::SignedByGpgKeys,
            "X509Certificates" => KeyType::X509Certificates,
            "signedByX509CAs" => KeyType::SignedByX509Cas,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::GpgKeys => "GPGKeys",
            KeyType::SignedByGpgKeys => "signedByGPGKeys",
            KeyType::X509Certificates => "X509Certificates",
            KeyType::SignedByX509Cas => "signedByX509CAs",
        }
    }
}

/// Where the trusted keys of a `signedBy` or `sigstoreSigned` come from
/// (`keyDatas` is sigstore's only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keys {
    Path(String),
    Paths(Vec<String>),
    Data(Vec<u8>),
    Datas(Vec<Vec<u8>>),
}

impl Keys {
    /// The key files named, in order (none for `keyData`, `keyDatas`).
    pub fn paths(&self) -> Vec<&str> {
        match self {
            Keys::Path(p) => vec![p.as_str()],
            Keys::Paths(ps) => ps.iter().map(String::as_str).collect(),
            Keys::Data(_) | Keys::Datas(_) => Vec::new(),
        }
    }
}

/// A `sigstoreSigned` requirement: one root of trust, optional Rekor
/// keys, and the identity rule. Every field is public so that other
/// sources of policy (ClusterImagePolicies) can build one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigstoreSigned {
    pub trust: SigstoreTrust,
    /// `rekorPublicKeyPath(s)` / `rekorPublicKeyData(s)`: when present, a
    /// signature's Rekor SET must verify with one of them.
    pub rekor: Option<Keys>,
    pub identity: SignedIdentity,
}

impl SigstoreSigned {
    /// The files it names (keys, Rekor keys, CA certificates), in order.
    pub fn paths(&self) -> Vec<&str> {
        fn path(s: &Source) -> Option<&str> {
            match s {
                Source::Path(p) => Some(p.as_str()),
                Source::Data(_) => None,
            }
        }
        let mut out: Vec<&str> = match &self.trust {
            SigstoreTrust::Keys(k) => k.paths(),
            SigstoreTrust::Fulcio(f) => path(&f.ca).into_iter().collect(),
            SigstoreTrust::Pki(p) => path(&p.ca_roots)
                .into_iter()
                .chain(p.ca_intermediates.as_ref().and_then(path))
                .collect(),
        };
        out.extend(self.rekor.iter().flat_map(Keys::paths));
        out
    }
}

/// The root of trust of a `sigstoreSigned`: exactly one of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigstoreTrust {
    /// `keyPath`, `keyPaths`, `keyData` or `keyDatas` (PEM public keys).
    Keys(Keys),
    Fulcio(Fulcio),
    Pki(Pki),
}

/// A file named by the policy, or the bytes it holds inline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Path(String),
    Data(Vec<u8>),
}

/// `fulcio`: certificates issued by a Fulcio CA to one OIDC identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fulcio {
    /// `caPath` or `caData`: PEM CA certificates.
    pub ca: Source,
    pub oidc_issuer: String,
    pub subject_email: String,
}

/// `pki`: certificates issued under a PKI's roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pki {
    /// `caRootsPath` or `caRootsData`.
    pub ca_roots: Source,
    /// `caIntermediatesPath` or `caIntermediatesData`.
    pub ca_intermediates: Option<Source>,
    pub subject_email: Option<String>,
    pub subject_hostname: Option<String>,
}

/// `signedIdentity`: how the identity a signature names must relate to
/// the image being pulled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedIdentity {
    MatchRepoDigestOrExact,
    MatchExact,
    MatchRepository,
    ExactReference(Reference),
    ExactRepository(Reference),
    RemapIdentity {
        prefix: String,
        signed_prefix: String,
    },
}

impl std::fmt::Display for SignedIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignedIdentity::MatchRepoDigestOrExact => f.write_str("matchRepoDigestOrExact"),
            SignedIdentity::MatchExact => f.write_str("matchExact"),
            SignedIdentity::MatchRepository => f.write_str("matchRepository"),
            SignedIdentity::ExactReference(r) => write!(f, "exactReference {r}"),
            SignedIdentity::ExactRepository(r) => write!(f, "exactRepository {}", r.repository()),
            SignedIdentity::RemapIdentity {
                prefix,
                signed_prefix,
            } => write!(f, "remapIdentity {prefix} -> {signed_prefix}"),
        }
    }
}

/// A policy that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error(transparent)]
    Read(#[from] crate::io::FileError),
    #[error("{}{}", .0[0], more_problems(.0.len() - 1))]
    Invalid(Vec<Diagnostic>),
}

/// " (and 1 more problem: …)", " (and 2 more problems: …)", or nothing.
fn more_problems(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => " (and 1 more problem: run `relsig policy lint`)".into(),
        n => format!(" (and {n} more problems: run `relsig policy lint`)"),
    }
}

impl Policy {
    /// Reads and parses a policy file; any problem is an error.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let bytes = crate::io::read_bounded(path, "policy", crate::io::MAX_POLICY_SIZE)
            .map_err(PolicyError::Read)?;
        Policy::parse(&bytes, &path.display().to_string())
    }

    /// Parses policy.json bytes; `file` names them in diagnostics.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Policy, PolicyError> {
        let (policy, diagnostics) = Policy::parse_all(bytes, file);
        if diagnostics.is_empty() {
            Ok(policy)
        } else {
            Err(PolicyError::Invalid(diagnostics))
        }
    }

    /// Parses as much as possible, returning every problem found; the
    /// policy holds only the parts that parsed.
    pub fn parse_all(bytes: &[u8], file: &str) -> (Policy, Vec<Diagnostic>) {
        let mut p = Parser {
            file,
            errors: Vec::new(),
        };
        let policy = p.policy(bytes);
        (policy, p.errors)
    }

    /// Parses one requirement object as policy.json holds it, checked as
    /// strictly as one read from a file; `file` and `path` locate it in
    /// diagnostics. Other sources of policy (ClusterImagePolicies) build
    /// their requirements this way so that both are validated alike.
    pub fn parse_requirement(v: &Value, file: &str, path: &str) -> Result<Rule, PolicyError> {
        let mut p = Parser {
            file,
            errors: Vec::new(),
        };
        match p.requirement(v, path) {
            Some(rule) if p.errors.is_empty() => Ok(rule),
            _ => {
                if p.errors.is_empty() {
                    p.error(path, "not a valid requirement");
                }
                Err(PolicyError::Invalid(p.errors))
            }
        }
    }

    /// The docker transport's scopes ("" is its default) and their requirements.
    pub fn docker_scopes(&self) -> impl Iterator<Item = (&String, &Vec<Requirement>)> {
        self.transports.get("docker").into_iter().flatten()
    }
}

struct Parser<'a> {
    file: &'a str,
    errors: Vec<Diagnostic>,
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Parser<'_> {
    fn error(&mut self, path: &str, message: impl Into<String>) {
        let path = (!path.is_empty()).then(|| path.to_string());
        self.errors
            .push(Diagnostic::error(self.file, path, message.into()));
    }

    fn policy(&mut self, bytes: &[u8]) -> Policy {
        let mut policy = Policy::default();
        if let Err(e) = crate::io::check_nesting(bytes) {
            self.errors.push(
                Diagnostic::error(self.file, None, format!("not valid JSON: {e}"))
                    .at_line(Some(e.line)),
            );
            return policy;
        }
        let root = match serde_json::from_slice::<StrictValue>(bytes) {
            Ok(StrictValue(v)) => v,
            Err(e) => {
                let text = e.to_string();
                let message = match text.rfind(" at line ") {
                    Some(i) => &text[..i],
                    None => &text,
                };
                self.errors.push(
                    Diagnostic::error(self.file, None, format!("not valid JSON: {message}"))
                        .at_line((e.line() > 0).then_some(e.line())),
                );
                return policy;
            }
        };
        let Some(top) = self.object(&root, "", &["default", "transports"]) else {
            return policy;
        };
        match top.get("default") {
            Some(v) => policy.default = self.requirements(v, "default"),
            None => self.error(
                "default",
                "missing: containers/image refuses a policy without a default requirement list \
                 (use [{\"type\": \"reject\"}] to refuse what no scope names)",
            ),
        }
        if let Some(transports) = top.get("transports") {
            let Value::Object(transports) = transports else {
                self.error(
                    "transports",
                    format!("expected an object, found {}", describe(transports)),
                );
                return policy;
            };
            for (name, scopes) in transports {
                let path = member_path("transports", name);
                let Value::Object(scopes) = scopes else {
                    self.error(
                        &path,
                        format!("expected an object of scopes, found {}", describe(scopes)),
                    );
                    continue;
                };
                let mut parsed = BTreeMap::new();
                for (scope, reqs) in scopes {
                    let reqs = self.requirements(reqs, &member_path(&path, scope));
                    parsed.insert(scope.clone(), reqs);
                }
                policy.transports.insert(name.clone(), parsed);
            }
        }
        policy
    }

    /// An object whose members are all in `allowed`.
    fn object<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        allowed: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Value::Object(map) = v else {
            let what = if path.is_empty() {
                "a JSON object at the top level"
            } else {
                "an object"
            };
            self.error(path, format!("expected {what}, found {}", describe(v)));
            return None;
        };
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                self.error(
                    &member_path(path, key),
                    format!(
                        "unknown field {key:?}; expected one of: {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
        Some(map)
    }

    fn string<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Option<&'v str> {
        match map.get(key) {
            None => {
                self.error(&member_path(path, key), "missing");
                None
            }
            Some(Value::String(s)) => Some(s),
            Some(v) => {
                self.error(
                    &member_path(path, key),
                    format!("expected a string, found {}", describe(v)),
                );
                None
            }
        }
    }

    fn requirements(&mut self, v: &Value, path: &str) -> Vec<Requirement> {
        let Value::Array(items) = v else {
            self.error(
                path,
                format!("expected a list of requirements, found {}", describe(v)),
            );
            return Vec::new();
        };
        if items.is_empty() {
            self.error(
                path,
                "empty requirement list: containers/image refuses it; \
                 use [{\"type\": \"reject\"}] or [{\"type\": \"insecureAcceptAnything\"}] to say what you mean",
            );
        }
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let path = format!("{path}[{i}]");
                let rule = self.requirement(item, &path)?;
                Some(Requirement { path, rule })
            })
            .collect()
    }

    fn requirement(&mut self, v: &Value, path: &str) -> Option<Rule> {
        let Value::Object(map) = v else {
            self.error(
                path,
                format!("expected a requirement object, found {}", describe(v)),
            );
            return None;
        };
        let kind = self.string(map, path, "type")?;
        match kind {
            "insecureAcceptAnything" => {
                self.object(v, path, &["type"])?;
                Some(Rule::InsecureAcceptAnything)
            }
            "reject" => {
                self.object(v, path, &["type"])?;
                Some(Rule::Reject)
            }
            "signedBy" => self.signed_by(v, path).map(Rule::SignedBy),
            "sigstoreSigned" => self.sigstore_signed(v, path).map(Rule::SigstoreSigned),
            "signedBaseLayer" => {
                self.object(v, path, &["type", "baseLayerIdentity"])?;
                match map.get("baseLayerIdentity") {
                    Some(si) => {
                        self.signed_identity(si, &member_path(path, "baseLayerIdentity"))?;
                    }
                    None => self.error(&member_path(path, "baseLayerIdentity"), "missing"),
                }
                Some(Rule::SignedBaseLayer)
            }
            other => {
                self.error(
                    &member_path(path, "type"),
                    format!(
                        "unknown requirement type {other:?}; expected insecureAcceptAnything, reject, signedBy, sigstoreSigned or signedBaseLayer"
                    ),
                );
                None
            }
        }
    }

    fn signed_by(&mut self, v: &Value, path: &str) -> Option<SignedBy> {
        let map = self.object(
            v,
            path,
            &[
                "type",
                "keyType",
                "keyPath",
                "keyPaths",
                "keyData",
                "signedIdentity",
            ],
        )?;
        let errors_before = self.errors.len();
        let key_type = match self.string(map, path, "keyType") {
            Some(s) => match KeyType::parse(s) {
                Some(k) => Some(k),
                None => {
                    self.error(
                        &member_path(path, "keyType"),
                        format!(
                            "unknown keyType {s:?}; expected GPGKeys (or signedByGPGKeys, X509Certificates, signedByX509CAs, which containers/image does not implement)"
                        ),
                    );
                    None
                }
            },
            None => None,
        };
        let present: Vec<&str> = ["keyPath", "keyPaths", "keyData"]
            .into_iter()
            .filter(|k| map.contains_key(*k))
            .collect();
        let keys = match present.as_slice() {
            ["keyPath"] => self
                .string(map, path, "keyPath")
                .map(|s| Keys::Path(s.into())),
            ["keyPaths"] => self.key_paths(&map["keyPaths"], &member_path(path, "keyPaths")),
            ["keyData"] => self.string(map, path, "keyData").and_then(|s| {
                match base64::engine::general_purpose::STANDARD.decode(s) {
                    Ok(bytes) => Some(Keys::Data(bytes)),
                    Err(e) => {
                        self.error(
                            &member_path(path, "keyData"),
                            format!("not valid base64: {e}"),
                        );
                        None
                    }
                }
            }),
            [] => {
                self.error(
                    path,
                    "exactly one of keyPath, keyPaths and keyData is needed; none is present",
                );
                None
            }
            _ => {
                self.error(
                    path,
                    format!(
                        "exactly one of keyPath, keyPaths and keyData is allowed; found {}",
                        present.join(" and ")
                    ),
                );
                None
            }
        };
        let identity = match map.get("signedIdentity") {
            None => Some(SignedIdentity::MatchRepoDigestOrExact),
            Some(si) => self.signed_identity(si, &member_path(path, "signedIdentity")),
        };
        if self.errors.len() != errors_before {
            return None;
        }
        Some(SignedBy {
            key_type: key_type?,
            keys: keys?,
            identity: identity?,
        })
    }

    fn sigstore_signed(&mut self, v: &Value, path: &str) -> Option<SigstoreSigned> {
        const TRUST: [&str; 6] = [
            "keyPath", "keyPaths", "keyData", "keyDatas", "fulcio", "pki",
        ];
        const REKOR: [&str; 4] = [
            "rekorPublicKeyPath",
            "rekorPublicKeyPaths",
            "rekorPublicKeyData",
            "rekorPublicKeyDatas",
        ];
        let mut allowed = vec!["type", "signedIdentity"];
        allowed.extend(TRUST);
        allowed.extend(REKOR);
        let map = self.object(v, path, &allowed)?;
        let errors_before = self.errors.len();
        let present = |names: &[&'static str]| -> Vec<&'static str> {
            names
                .iter()
                .copied()
                .filter(|k| map.contains_key(*k))
                .collect()
        };
        let trust_keys = present(&TRUST);
        let rekor_keys = present(&REKOR);
        let trust = match trust_keys.as_slice() {
            [one] => {
                let at = member_path(path, one);
                match *one {
                    "fulcio" => self.fulcio(&map[*one], &at).map(SigstoreTrust::Fulcio),
                    "pki" => self.pki(&map[*one], &at).map(SigstoreTrust::Pki),
                    key => self.sigstore_keys(map, path, key).map(SigstoreTrust::Keys),
                }
            }
            [] => {
                self.error(
                    path,
                    "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki is needed; none is present",
                );
                None
            }
            many => {
                self.error(
                    path,
                    format!(
                        "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki is allowed; found {}",
                        many.join(" and ")
                    ),
                );
                None
            }
        };
        let rekor = match rekor_keys.as_slice() {
            [] => None,
            [one] => self.sigstore_keys(map, path, one),
            many => {
                self.error(
                    path,
                    format!(
                        "at most one of rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData and rekorPublicKeyDatas is allowed; found {}",
                        many.join(" and ")
                    ),
                );
                None
            }
        };
        if trust_keys == ["fulcio"] && rekor_keys.is_empty() {
            self.error(
                path,
                "fulcio needs a Rekor public key (rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData or rekorPublicKeyDatas): containers/image refuses it without one",
            );
        }
        if trust_keys == ["pki"] && !rekor_keys.is_empty() {
            self.error(
                path,
                format!(
                    "{} cannot be used with pki: containers/image refuses the combination",
                    rekor_keys.join(" and ")
                ),
            );
        }
        let identity = match map.get("signedIdentity") {
            None => Some(SignedIdentity::MatchRepoDigestOrExact),
            Some(si) => self.signed_identity(si, &member_path(path, "signedIdentity")),
        };
        if self.errors.len() != errors_before {
            return None;
        }
        Some(SigstoreSigned {
            trust: trust?,
            rekor,
            identity: identity?,
        })
    }

    /// One of the key members of a `sigstoreSigned` (`keyPath`,
    /// `rekorPublicKeyDatas`, …).
    fn sigstore_keys(&mut self, map: &Map<String, Value>, path: &str, key: &str) -> Option<Keys> {
        let at = member_path(path, key);
        if key.ends_with("Paths") {
            self.key_paths(&map[key], &at)
        } else if key.ends_with("Path") {
            self.non_empty_string(map, path, key)
                .map(|s| Keys::Path(s.into()))
        } else if key.ends_with("Datas") {
            let Value::Array(items) = &map[key] else {
                self.error(
                    &at,
                    format!(
                        "expected a list of base64 strings, found {}",
                        describe(&map[key])
                    ),
                );
                return None;
            };
            if items.is_empty() {
                self.error(&at, "empty: at least one key is needed");
                return None;
            }
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                out.push(self.base64(item, &format!("{at}[{i}]"))?);
            }
            Some(Keys::Datas(out))
        } else {
            self.base64(&map[key], &at).map(Keys::Data)
        }
    }

    fn base64(&mut self, v: &Value, at: &str) -> Option<Vec<u8>> {
        let Value::String(s) = v else {
            self.error(
                at,
                format!("expected a base64 string, found {}", describe(v)),
            );
            return None;
        };
        match base64::engine::general_purpose::STANDARD.decode(s) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                self.error(at, format!("not valid base64: {e}"));
                None
            }
        }
    }

    fn non_empty_string<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Option<&'v str> {
        let s = self.string(map, path, key)?;
        if s.is_empty() {
            self.error(&member_path(path, key), "empty");
            return None;
        }
        Some(s)
    }

    /// `…Path` or `…Data` (exactly one, or at most one when optional).
    fn source(
        &mut self,
        map: &Map<String, Value>,
        path: &str,
        path_key: &str,
        data_key: &str,
        required: bool,
    ) -> Option<Option<Source>> {
        match (map.contains_key(path_key), map.contains_key(data_key)) {
            (true, false) => Some(Some(Source::Path(
                self.non_empty_string(map, path, path_key)?.to_string(),
            ))),
            (false, true) => Some(Some(Source::Data(
                self.base64(&map[data_key], &member_path(path, data_key))?,
            ))),
            (true, true) => {
                self.error(
                    path,
                    format!("{path_key} and {data_key} are both present; exactly one is allowed"),
                );
                None
            }
            (false, false) if required => {
                self.error(
                    path,
                    format!("exactly one of {path_key} and {data_key} is needed; none is present"),
                );
                None
            }
            (false, false) => Some(None),
        }
    }

    fn fulcio(&mut self, v: &Value, path: &str) -> Option<Fulcio> {
        let map = self.object(v, path, &["caPath", "caData", "oidcIssuer", "subjectEmail"])?;
        let ca = self.source(map, path, "caPath", "caData", true);
        let issuer = self.non_empty_string(map, path, "oidcIssuer");
        let email = self.non_empty_string(map, path, "subjectEmail");
        Some(Fulcio {
            ca: ca??,
            oidc_issuer: issuer?.to_string(),
            subject_email: email?.to_string(),
        })
    }

    fn pki(&mut self, v: &Value, path: &str) -> Option<Pki> {
        let map = self.object(
            v,
            path,
            &[
                "caRootsPath",
                "caRootsData",
                "caIntermediatesPath",
                "caIntermediatesData",
                "subjectEmail",
                "subjectHostname",
            ],
        )?;
        let roots = self.source(map, path, "caRootsPath", "caRootsData", true);
        let intermediates = self.source(
            map,
            path,
            "caIntermediatesPath",
            "caIntermediatesData",
            false,
        );
        let optional = |p: &mut Self, key: &str| match map.get(key) {
            None => Some(None),
            Some(_) => p
                .non_empty_string(map, path, key)
                .map(|s| Some(s.to_string())),
        };
        let email = optional(self, "subjectEmail");
        let hostname = optional(self, "subjectHostname");
        let (email, hostname) = (email?, hostname?);
        if email.is_none() && hostname.is_none() {
            self.error(
                path,
                "at least one of subjectEmail and subjectHostname is needed",
            );
            return None;
        }
        Some(Pki {
            ca_roots: roots??,
            ca_intermediates: intermediates?,
            subject_email: email,
            subject_hostname: hostname,
        })
    }

    fn key_paths(&mut self, v: &Value, path: &str) -> Option<Keys> {
        let Value::Array(items) = v else {
            self.error(
                path,
                format!("expected a list of file paths, found {}", describe(v)),
            );
            return None;
        };
        if items.is_empty() {
            self.error(path, "empty: at least one key file is needed");
            return None;
        }
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(s) => out.push(s.clone()),
                other => self.error(
                    &format!("{path}[{i}]"),
                    format!("expected a file path string, found {}", describe(other)),
                ),
            }
        }
        (out.len() == items.len()).then_some(Keys::Paths(out))
    }

    fn signed_identity(&mut self, v: &Value, path: &str) -> Option<SignedIdentity> {
        let Value::Object(map) = v else {
            self.error(
                path,
                format!("expected an object with a \"type\", found {}", describe(v)),
            );
            return None;
        };
        let kind = self.string(map, path, "type")?;
        match kind {
            "matchRepoDigestOrExact" | "matchExact" | "matchRepository" => {
                self.object(v, path, &["type"])?;
                Some(match kind {
                    "matchExact" => SignedIdentity::MatchExact,
                    "matchRepository" => SignedIdentity::MatchRepository,
                    _ => SignedIdentity::MatchRepoDigestOrExact,
                })
            }
            "exactReference" => {
                self.object(v, path, &["type", "dockerReference"])?;
                let s = self.string(map, path, "dockerReference")?;
                let at = member_path(path, "dockerReference");
                match Reference::parse(s) {
                    Ok(r) if r.is_name_only() => {
                        self.error(
                            &at,
                            format!("{s:?} has neither a tag nor a digest; exactReference needs one (use exactRepository for any tag)"),
                        );
                        None
                    }
                    Ok(r) => Some(SignedIdentity::ExactReference(r)),
                    Err(e) => {
                        self.error(&at, e.to_string());
                        None
                    }
                }
            }
            "exactRepository" => {
                self.object(v, path, &["type", "dockerRepository"])?;
                let s = self.string(map, path, "dockerRepository")?;
                let at = member_path(path, "dockerRepository");
                match Reference::parse(s) {
                    Ok(r) if !r.is_name_only() => {
                        self.error(
                            &at,
                            format!("{s:?} has a tag or digest; exactRepository takes a repository only (use exactReference for one image)"),
                        );
                        None
                    }
                    Ok(r) => Some(SignedIdentity::ExactRepository(r)),
                    Err(e) => {
                        self.error(&at, e.to_string());
                        None
                    }
                }
            }
            "remapIdentity" => {
                self.object(v, path, &["type", "prefix", "signedPrefix"])?;
                let prefix = self.string(map, path, "prefix");
                let signed_prefix = self.string(map, path, "signedPrefix");
                let mut ok = true;
                for (key, value) in [("prefix", prefix), ("signedPrefix", signed_prefix)] {
                    if let Some(Err(e)) = value.map(validate_remap_prefix) {
                        self.error(&member_path(path, key), e.to_string());
                        ok = false;
                    }
                }
                let (prefix, signed_prefix) = (prefix?, signed_prefix?);
                ok.then(|| SignedIdentity::RemapIdentity {
                    prefix: prefix.to_string(),
                    signed_prefix: signed_prefix.to_string(),
                })
            }
            other => {
                self.error(
                    &member_path(path, "type"),
                    format!(
                        "unknown signedIdentity type {other:?}; expected matchRepoDigestOrExact, matchExact, matchRepository, exactReference, exactRepository or remapIdentity"
                    ),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(json: &str) -> Vec<String> {
        Policy::parse_all(json.as_bytes(), "p.json")
            .1
            .iter()
            .map(|d| d.to_string())
            .collect()
    }

    #[test]
    fn parses_every_signed_identity() {
        let json = r#"{"default":[{"type":"reject"}],"transports":{"docker":{
            "a.io":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k"}],
            "b.io":[{"type":"signedBy","keyType":"GPGKeys","keyPaths":["/k","/l"],"signedIdentity":{"type":"matchExact"}}],
            "c.io":[{"type":"signedBy","keyType":"GPGKeys","keyData":"bm9uc2Vuc2U=","signedIdentity":{"type":"matchRepository"}}],
            "d.io":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","signedIdentity":{"type":"exactReference","dockerReference":"busybox:1"}}],
            "e.io":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","signedIdentity":{"type":"exactRepository","dockerRepository":"quay.io/a/b"}}],
            "f.io":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","signedIdentity":{"type":"remapIdentity","prefix":"f.io","signedPrefix":"quay.io/x"}}]
        }}}"#;
        let p = Policy::parse(json.as_bytes(), "p.json").unwrap();
        let identity = |scope: &str| match &p.transports["docker"][scope][0].rule {
            Rule::SignedBy(s) => (s.identity.clone(), s.keys.clone()),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            identity("a.io"),
            (
                SignedIdentity::MatchRepoDigestOrExact,
                Keys::Path("/k".into())
            )
        );
        assert_eq!(
            identity("b.io"),
            (
                SignedIdentity::MatchExact,
                Keys::Paths(vec!["/k".into(), "/l".into()])
            )
        );
        assert_eq!(
            identity("c.io"),
            (
                SignedIdentity::MatchRepository,
                Keys::Data(b"nonsense".to_vec())
            )
        );
        assert_eq!(
            identity("d.io").0,
            SignedIdentity::ExactReference(
                Reference::parse("docker.io/library/busybox:1").unwrap()
            )
        );
        assert_eq!(
            identity("e.io").0,
            SignedIdentity::ExactRepository(Reference::parse("quay.io/a/b").unwrap())
        );
        assert_eq!(
            identity("f.io").0,
            SignedIdentity::RemapIdentity {
                prefix: "f.io".into(),
                signed_prefix: "quay.io/x".into()
            }
        );
        assert_eq!(
            p.transports["docker"]["f.io"][0].path,
            r#"transports.docker["f.io"][0]"#
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let json = r#"{"defualt":[],"transports":{"docker":{
            "a.io":[],
            "b.io":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","keyData":"eA=="}],
            "c.io":[{"type":"signedBy","keyType":"PGP","keyPath":"/k"}],
            "d.io":[{"type":"acceptEverything"}],
            "e.io":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","signedIdentity":{"type":"exactReference","dockerReference":"quay.io/a"}}],
            "f.io":[{"type":"reject","extra":1}],
            "g.io":[{"type":"signedBy","keyType":"GPGKeys","keyPaths":[]}],
            "h.io":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","signedIdentity":{"type":"remapIdentity","prefix":"quay.io/","signedPrefix":"x.io"}}]
        }}}"#;
        let errs = errors(json);
        let expect = [
            r#"p.json: defualt: unknown field"#,
            r#"p.json: default: missing"#,
            r#"p.json: transports.docker["a.io"]: empty requirement list"#,
            r#"p.json: transports.docker["b.io"][0]: exactly one of keyPath, keyPaths and keyData is allowed; found keyPath and keyData"#,
            r#"p.json: transports.docker["c.io"][0].keyType: unknown keyType "PGP""#,
            r#"p.json: transports.docker["d.io"][0].type: unknown requirement type "acceptEverything""#,
            r#"p.json: transports.docker["e.io"][0].signedIdentity.dockerReference: "quay.io/a" has neither a tag nor a digest"#,
            r#"p.json: transports.docker["f.io"][0].extra: unknown field"#,
            r#"p.json: transports.docker["g.io"][0].keyPaths: empty"#,
            r#"p.json: transports.docker["h.io"][0].signedIdentity.prefix: prefix "quay.io/" is not valid"#,
        ];
        for e in expect {
            assert!(
                errs.iter().any(|m| m.starts_with(e)),
                "{e}\nnot in {errs:#?}"
            );
        }
        assert_eq!(errs.len(), expect.len(), "{errs:#?}");
    }

    #[test]
    fn syntax_and_duplicate_keys_are_located_by_line() {
        let dup = "{\"default\":[{\"type\":\"reject\"}],\n\"default\":[]}";
        let (_, d) = Policy::parse_all(dup.as_bytes(), "p.json");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, Some(2));
        assert!(
            d[0].message.contains("duplicate key \"default\""),
            "{}",
            d[0]
        );
        let (_, d) = Policy::parse_all(b"{\n\"default\": [,]}", "p.json");
        assert_eq!(d[0].line, Some(2));
        assert!(d[0].message.starts_with("not valid JSON"));
        assert!(!d[0].to_string().contains('\n'));
        assert_eq!(
            errors("[]"),
            ["p.json: expected a JSON object at the top level, found an array"]
        );
    }
}
