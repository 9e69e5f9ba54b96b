//! `registries.d`: where containers/image looks for the signatures of an
//! image. Every `*.yaml` file of the directory is merged (other names are
//! ignored; a scope defined in two files is an error), and the most
//! specific `docker` scope with a lookaside wins over `default-docker`.
//!
//! Which directory: the one given, else
//! `$HOME/.config/containers/registries.d` if it exists, else
//! `/etc/containers/registries.d` (one directory, never both, as
//! containers-registries.d(5) says).

use super::{Diagnostic, member_path};
use crate::image::reference::Reference;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where containers/image reads signatures when registries.d configures
/// nothing for an image (as root, which CRI-O on a node is).
pub const BUILTIN_DEFAULT_LOOKASIDE: &str = "file:///var/lib/containers/sigstore";

/// The system-wide registries.d directory.
pub const SYSTEM_REGISTRIES_D: &str = "/etc/containers/registries.d";

/// A user's registries.d, under `$HOME`; used instead of the system one
/// when it exists.
pub const USER_REGISTRIES_D: &str = ".config/containers/registries.d";

/// Red Hat's registries and the signature stores Red Hat documents for
/// them (what RHEL's `/etc/containers/registries.d/*.yaml` configure).
pub const REDHAT_SIGSTORES: [(&str, &str); 2] = [
    (
        "registry.access.redhat.com",
        "https://access.redhat.com/webassets/docker/content/sigstore",
    ),
    (
        "registry.redhat.io",
        "https://registry.redhat.io/containers/sigstore",
    ),
];

/// The registries.d directory podman would read: `explicit` when given,
/// else the user's if it exists, else the system one.
pub fn default_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(dir) = explicit {
        return dir.to_path_buf();
    }
    match super::home_dir().map(|h| h.join(USER_REGISTRIES_D)) {
        Some(user) if user.is_dir() => user,
        _ => PathBuf::from(SYSTEM_REGISTRIES_D),
    }
}

/// One scope's settings. Unknown fields are kept so that `lint` can point
/// at them: containers/image ignores them silently.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Namespace {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookaside: Option<String>,
    #[serde(
        default,
        rename = "lookaside-staging",
        skip_serializing_if = "Option::is_none"
    )]
    pub lookaside_staging: Option<String>,
    /// The old name of `lookaside`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigstore: Option<String>,
    /// The old name of `lookaside-staging`.
    #[serde(
        default,
        rename = "sigstore-staging",
        skip_serializing_if = "Option::is_none"
    )]
    pub sigstore_staging: Option<String>,
    #[serde(
        default,
        rename = "use-sigstore-attachments",
        skip_serializing_if = "Option::is_none"
    )]
    pub use_sigstore_attachments: Option<bool>,
    #[serde(flatten, skip_serializing)]
    pub unknown: BTreeMap<String, serde_yaml_ng::Value>,
}

impl Namespace {
    /// The location signatures are read from: `lookaside`, else its old
    /// name `sigstore` (the staging locations are for writing only).
    pub fn read_location(&self) -> Option<&str> {
        [&self.lookaside, &self.sigstore]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .find(|s| !s.is_empty())
    }
}

/// One registries.d file.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct FileConfig {
    #[serde(
        default,
        rename = "default-docker",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_docker: Option<Namespace>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker: Option<Scopes>,
    #[serde(flatten, skip_serializing)]
    pub unknown: BTreeMap<String, serde_yaml_ng::Value>,
}

/// The `docker` scopes of one file, in file order; a scope repeated in
/// the same file is an error, as in containers/image's YAML parser.
#[derive(Debug, Default, Serialize)]
#[serde(transparent)]
pub struct Scopes(#[serde(serialize_with = "ordered")] pub Vec<(String, Namespace)>);

fn ordered<S: serde::Serializer>(v: &[(String, Namespace)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(v.iter().map(|(k, v)| (k, v)))
}

impl<'de> Deserialize<'de> for Scopes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scopes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of scopes to lookaside settings")
            }
            fn visit_unit<E>(self) -> Result<Scopes, E> {
                Ok(Scopes::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scopes, A::Error> {
                let mut out: Vec<(String, Namespace)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value: Option<Namespace> = map.next_value()?;
                    if out.iter().any(|(k, _)| *k == key) {
                        return Err(de::Error::custom(format_args!(
                            "scope {key:?} is defined twice"
                        )));
                    }
                    out.push((key, value.unwrap_or_default()));
                }
                Ok(Scopes(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A scope's settings and where they were read.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub namespace: Namespace,
    pub file: PathBuf,
}

/// The merged configuration of a registries.d directory.
#[derive(Debug, Clone, Default)]
pub struct RegistriesD {
    /// The directory read (none for an empty configuration).
    pub dir: Option<PathBuf>,
    /// The `*.yaml` files merged, sorted by name.
    pub files: Vec<PathBuf>,
    pub default_docker: Option<Entry>,
    pub docker: BTreeMap<String, Entry>,
}

/// The lookaside chosen for an image or scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lookaside {
    /// Which setting applies: `docker["quay.io"]`, `default-docker`, or
    /// `built-in default`.
    pub scope: String,
    /// The registries.d file it comes from (none for the built-in default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    pub url: String,
}

impl Lookaside {
    /// The location as a URL containers/image can read from: `file`,
    /// `http` or `https`.
    pub fn base_url(&self) -> Result<url::Url, String> {
        let u = url::Url::parse(&self.url).map_err(|e| {
            format!(
                "lookaside {:?} is not an absolute URL ({e}); expected https://…, http://… or file:///…",
                self.url
            )
        })?;
        match u.scheme() {
            "file" | "http" | "https" => Ok(u),
            other => Err(format!(
                "lookaside {:?} has the unsupported scheme {other:?}; expected https, http or file",
                self.url
            )),
        }
    }
}

/// A registries.d directory that containers/image would refuse.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RegistriesError(pub Diagnostic);

impl RegistriesD {
    /// Loads `dir` as containers/image does; fails where it fails.
    pub fn load(dir: &Path) -> Result<RegistriesD, RegistriesError> {
        let (config, fatal, _) = read(dir);
        match fatal.into_iter().next() {
            Some(d) => Err(RegistriesError(d)),
            None => Ok(config),
        }
    }

    /// Loads the directory podman would read ([`default_dir`]); a
    /// default directory that does not exist counts as empty, as in
    /// containers/image, while a missing `explicit` one is an error.
    pub fn load_default(explicit: Option<&Path>) -> Result<RegistriesD, RegistriesError> {
        let dir = default_dir(explicit);
        if explicit.is_none() && !dir.is_dir() {
            return Ok(RegistriesD::default());
        }
        RegistriesD::load(&dir)
    }

    /// Loads `dir`, returning every problem: those containers/image
    /// fails on, and those it ignores silently (unknown fields, unusable
    /// lookaside URLs, ignored `.yml` files).
    pub fn load_all(dir: &Path) -> (RegistriesD, Vec<Diagnostic>) {
        let (config, mut fatal, lint) = read(dir);
        fatal.extend(lint);
        (config, fatal)
    }

    /// The lookaside for reading signatures of `image`: its identity,
    /// then each enclosing namespace, then `default-docker`; a scope
    /// without a lookaside does not stop the search. `None` when nothing
    /// is configured (see [`BUILTIN_DEFAULT_LOOKASIDE`]).
    pub fn lookaside_for(&self, image: &Reference) -> Option<Lookaside> {
        self.first_lookaside(&image.policy_scopes())
    }

    /// The lookaside every image under a policy.json docker `scope` gets,
    /// if one is configured at that scope or above it.
    pub fn lookaside_for_scope(&self, scope: &str) -> Option<Lookaside> {
        self.first_lookaside(&scope_chain(scope))
    }

    /// Whether sigstore attachments are read for `image` (where its
    /// manifest is fetched from), as containers/image decides: the first
    /// of its identity, enclosing namespaces and `default-docker` that
    /// sets `use-sigstore-attachments` says; unset everywhere is `false`.
    /// With the setting that decided, for reports.
    pub fn sigstore_attachments_for(&self, image: &Reference) -> (bool, Option<String>) {
        self.first_attachments_setting(&image.policy_scopes())
    }

    /// Whether every image under a policy.json docker `scope` gets its
    /// sigstore attachments read, by a setting at that scope or above it.
    pub fn sigstore_attachments_for_scope(&self, scope: &str) -> bool {
        self.first_attachments_setting(&scope_chain(scope)).0
    }

    fn first_attachments_setting(&self, chain: &[String]) -> (bool, Option<String>) {
        let scoped = chain.iter().find_map(|name| {
            let entry = self.docker.get(name)?;
            let on = entry.namespace.use_sigstore_attachments?;
            Some((on, member_path("docker", name), &entry.file))
        });
        let chosen = scoped.or_else(|| {
            let entry = self.default_docker.as_ref()?;
            let on = entry.namespace.use_sigstore_attachments?;
            Some((on, "default-docker".to_string(), &entry.file))
        });
        match chosen {
            Some((on, scope, file)) => (
                on,
                Some(format!(
                    "registries.d {scope} in {}: use-sigstore-attachments: {on}",
                    file.display()
                )),
            ),
            None => (false, None),
        }
    }

    fn first_lookaside(&self, chain: &[String]) -> Option<Lookaside> {
        chain
            .iter()
            .find_map(|name| {
                let entry = self.docker.get(name)?;
                Some(Lookaside {
                    scope: member_path("docker", name),
                    file: Some(entry.file.clone()),
                    url: entry.namespace.read_location()?.to_string(),
                })
            })
            .or_else(|| {
                let entry = self.default_docker.as_ref()?;
                Some(Lookaside {
                    scope: "default-docker".into(),
                    file: Some(entry.file.clone()),
                    url: entry.namespace.read_location()?.to_string(),
                })
            })
    }
}

/// The registries.d names that cover every image under a policy scope:
/// the scope and what encloses it, as [`Reference::policy_namespaces`]
/// orders them.
fn scope_chain(scope: &str) -> Vec<String> {
    if scope.is_empty() {
        return Vec::new();
    }
    if let Some(mut domain) = scope.strip_prefix("*.") {
        let mut chain = vec![scope.to_string()];
        while let Some((_, rest)) = domain.split_once('.') {
            domain = rest;
            chain.push(format!("*.{domain}"));
        }
        return chain;
    }
    if !scope.contains('/') {
        // A bare host: the namespaces of any repository on it, minus
        // that repository.
        return match Reference::parse(&format!("{scope}/x")) {
            Ok(r) => r.policy_namespaces().into_iter().skip(1).collect(),
            Err(_) => vec![scope.to_string()],
        };
    }
    match Reference::parse(scope) {
        Ok(r) => r.policy_scopes(),
        Err(_) => vec![scope.to_string()],
    }
}

/// The line of the YAML key path `keys` in `text`, found by looking for
/// each key in turn at the start of a line (after indentation). A hint
/// for humans: the YAML parser does not report where values are.
fn line_of(text: &str, keys: &[&str]) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    for key in keys {
        let forms = [
            format!("{key}:"),
            format!("\"{key}\":"),
            format!("'{key}':"),
        ];
        from += lines[from..].iter().position(|l| {
            let t = l.trim_start();
            forms.iter().any(|f| t.starts_with(f.as_str()))
        })?;
    }
    Some(from + 1)
}

/// The names in `dir`, sorted: containers/image reads them in directory
/// order, which only matters for which file a duplicate is blamed on.
pub(crate) fn sorted_names(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<Vec<String>>>()?;
    names.sort();
    Ok(names)
}

fn read(dir: &Path) -> (RegistriesD, Vec<Diagnostic>, Vec<Diagnostic>) {
    let mut config = RegistriesD {
        dir: Some(dir.to_path_buf()),
        ..RegistriesD::default()
    };
    let mut fatal = Vec::new();
    let mut lint = Vec::new();
    let shown = dir.display().to_string();
    let names = match sorted_names(dir) {
        Ok(n) => n,
        Err(e) => {
            fatal.push(Diagnostic::error(
                &shown,
                None,
                format!("cannot read the registries.d directory: {e}"),
            ));
            return (config, fatal, lint);
        }
    };
    let mut default_from: Option<PathBuf> = None;
    for name in names {
        let path = dir.join(&name);
        let file = path.display().to_string();
        if !name.ends_with(".yaml") {
            let lower = name.to_ascii_lowercase();
            if lower.ends_with(".yml") || lower.ends_with(".yaml") {
                lint.push(Diagnostic::warning(
                    &file,
                    None,
                    "ignored: containers/image reads only files whose names end in \".yaml\"",
                ));
            }
            continue;
        }
        let bytes = match crate::io::read_bounded(
            &path,
            "registries.d file",
            crate::io::MAX_REGISTRIES_D_FILE,
        ) {
            Ok(b) => b,
            Err(e) => {
                fatal.push(Diagnostic::error(&file, None, crate::io::error_chain(&e)));
                continue;
            }
        };
        // containers/image refuses what is not UTF-8; decoding it lossily
        // would lint a file the node cannot read as OK.
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => t,
            Err(e) => {
                let offset = e.valid_up_to();
                let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count();
                fatal.push(
                    Diagnostic::error(
                        &file,
                        None,
                        format!("not UTF-8 text: invalid byte at offset {offset}"),
                    )
                    .at_line(Some(line)),
                );
                continue;
            }
        };
        if let Err(e) = crate::io::check_nesting(bytes.as_slice()) {
            fatal.push(
                Diagnostic::error(&file, None, format!("not valid YAML: {e}"))
                    .at_line(Some(e.line)),
            );
            continue;
        }
        let parsed: FileConfig = match serde_yaml_ng::from_str(text) {
            Ok(c) => c,
            Err(e) => {
                let line = e.location().map(|l| l.line());
                let message = e.to_string();
                let message = match message.rfind(" at line ") {
                    Some(i) => message[..i].to_string(),
                    None => message,
                };
                fatal.push(
                    Diagnostic::error(&file, None, format!("not valid YAML: {message}"))
                        .at_line(line),
                );
                continue;
            }
        };
        config.files.push(path.clone());
        for key in parsed.unknown.keys() {
            lint.push(
                Diagnostic::error(
                    &file,
                    Some(key.clone()),
                    "unknown field (containers/image ignores it); expected \"docker\" or \"default-docker\"",
                )
                .at_line(line_of(text, &[key])),
            );
        }
        let mut namespaces: Vec<(String, Vec<&str>, &Namespace)> = Vec::new();
        if let Some(ns) = &parsed.default_docker {
            namespaces.push(("default-docker".into(), vec!["default-docker"], ns));
            match &default_from {
                Some(first) => fatal.push(
                    Diagnostic::error(
                        &file,
                        Some("default-docker".into()),
                        format!("defined both in {} and here", first.display()),
                    )
                    .at_line(line_of(text, &["default-docker"])),
                ),
                None => {
                    default_from = Some(path.clone());
                    config.default_docker = Some(Entry {
                        namespace: ns.clone(),
                        file: path.clone(),
                    });
                }
            }
        }
        for (scope, ns) in parsed.docker.iter().flat_map(|s| &s.0) {
            namespaces.push((member_path("docker", scope), vec!["docker", scope], ns));
            match config.docker.get(scope) {
                Some(first) => fatal.push(
                    Diagnostic::error(
                        &file,
                        Some(member_path("docker", scope)),
                        format!("scope defined both in {} and here", first.file.display()),
                    )
                    .at_line(line_of(text, &["docker", scope])),
                ),
                None => {
                    config.docker.insert(
                        scope.clone(),
                        Entry {
                            namespace: ns.clone(),
                            file: path.clone(),
                        },
                    );
                }
            }
        }
        for (at, keys, ns) in namespaces {
            for key in ns.unknown.keys() {
                let mut keys = keys.clone();
                keys.push(key);
                lint.push(
                    Diagnostic::error(
                        &file,
                        Some(member_path(&at, key)),
                        "unknown field (containers/image ignores it); expected lookaside, lookaside-staging, sigstore, sigstore-staging or use-sigstore-attachments",
                    )
                    .at_line(line_of(text, &keys)),
                );
            }
            for (key, value) in [
                ("lookaside", &ns.lookaside),
                ("lookaside-staging", &ns.lookaside_staging),
                ("sigstore", &ns.sigstore),
                ("sigstore-staging", &ns.sigstore_staging),
            ] {
                let Some(url) = value else { continue };
                let check = Lookaside {
                    scope: at.clone(),
                    file: None,
                    url: url.clone(),
                };
                if let Err(e) = check.base_url() {
                    let mut keys = keys.clone();
                    keys.push(key);
                    lint.push(
                        Diagnostic::error(&file, Some(member_path(&at, key)), e)
                            .at_line(line_of(text, &keys)),
                    );
                }
            }
            if ns.lookaside.is_some() && ns.sigstore.is_some() {
                lint.push(Diagnostic::warning(
                    &file,
                    Some(at.clone()),
                    "both lookaside and its old name sigstore are set; lookaside is used",
                ));
            }
        }
    }
    (config, fatal, lint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/containers-image/registries.d")
    }

    fn r(s: &str) -> Reference {
        Reference::parse(s).unwrap()
    }

    fn url_for(config: &RegistriesD, image: &str) -> Option<String> {
        config.lookaside_for(&r(image)).map(|l| l.url)
    }

    #[test]
    fn loads_the_containers_image_fixture_like_containers_image() {
        let config = RegistriesD::load(&fixture()).unwrap();
        let names: Vec<String> = config
            .files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        // invalid-but.notyaml is not read (it is not even YAML).
        assert_eq!(
            names,
            [
                "emptyConfig.yaml",
                "internal-example.com.yaml",
                "internet-user.yaml"
            ]
        );
        // The expectations of containers/image's own registries_d tests.
        let cases = [
            (
                "example.com/ns/repo:1",
                Some("https://lookaside.example.com"),
            ),
            (
                "registry.test.example.com/ns/repo:1",
                Some("http://registry.test.example.com/lookaside"),
            ),
            (
                "registry.test.example.com:8888/ns/repo:1",
                Some("http://registry.test.example.com:8889/lookaside"),
            ),
            (
                "localhost/ns/repo:1",
                Some("file:///home/mitr/mydevelopment1"),
            ),
            (
                "localhost:8080/ns/repo:1",
                Some("file:///home/mitr/mydevelopment2"),
            ),
            (
                "docker.io/contoso/app:1",
                Some("https://lookaside.contoso.com/fordocker"),
            ),
            (
                "docker.io/centos/app:1",
                Some("https://lookaside.centos.org/"),
            ),
            (
                "docker.io/centos/mybetaproduct:1",
                Some("http://localhost:9999/mybetaWIP/lookaside"),
            ),
            (
                "docker.io/centos/mybetaproduct:latest",
                Some("https://lookaside.centos.org/"),
            ),
            (
                "quay.io/other/app:1",
                Some("file:///mnt/companywide/signatures/for/other/repositories"),
            ),
        ];
        for (image, want) in cases {
            assert_eq!(url_for(&config, image).as_deref(), want, "{image}");
        }
        let l = config.lookaside_for(&r("docker.io/centos/app:1")).unwrap();
        assert_eq!(l.scope, r#"docker["docker.io/centos"]"#);
        assert!(l.file.unwrap().ends_with("internet-user.yaml"));
    }

    #[test]
    fn lint_finds_the_unusable_urls_of_the_fixture() {
        let (_, diags) = RegistriesD::load_all(&fixture());
        let shown: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        let bad = [
            ("localhost/invalid/url/test", 14),
            ("localhost/file/path/test", 16),
            ("localhost/relative/path/test", 18),
        ];
        for (scope, line) in bad {
            let want = format!(
                "internal-example.com.yaml:{line}: docker[\"{scope}\"].lookaside: lookaside"
            );
            assert!(
                shown.iter().any(|s| s.contains(&want)),
                "{want} not in {shown:#?}"
            );
        }
        assert_eq!(diags.len(), bad.len(), "{shown:#?}");
    }

    #[test]
    fn a_scope_in_two_files_and_unknown_fields_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.yaml"),
            "docker:\n  quay.io:\n    lookaside: https://a\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.yaml"),
            "default-docker:\n  lookside: https://typo\ndocker:\n  quay.io:\n    sigstore: https://b\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("c.yml"), "docker: {}\n").unwrap();
        let err = RegistriesD::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("b.yaml:4: docker[\"quay.io\"]: scope defined both in"),
            "{err}"
        );
        assert!(err.contains("a.yaml"), "{err}");
        let (_, diags) = RegistriesD::load_all(dir.path());
        let shown: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        assert!(
            shown
                .iter()
                .any(|s| s.contains("b.yaml:2: default-docker.lookside: unknown field")),
            "{shown:#?}"
        );
        assert!(
            shown.iter().any(|s| s.contains("c.yml: ignored")),
            "{shown:#?}"
        );
        assert_eq!(diags.len(), 3, "{shown:#?}");
    }

    #[test]
    fn a_scope_twice_in_one_file_and_bad_yaml_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.yaml"),
            "docker:\n  quay.io:\n    lookaside: https://a\n  quay.io:\n    lookaside: https://b\n",
        )
        .unwrap();
        let err = RegistriesD::load(dir.path()).unwrap_err().0;
        assert!(
            err.message.contains("scope \"quay.io\" is defined twice"),
            "{err}"
        );
        assert!(err.line.is_some());
        std::fs::write(dir.path().join("a.yaml"), "docker: [1]\n").unwrap();
        let err = RegistriesD::load(dir.path()).unwrap_err().0;
        assert_eq!(err.line, Some(1));
        assert!(err.to_string().starts_with(&format!(
            "{}:1: not valid YAML",
            dir.path().join("a.yaml").display()
        )));
    }

    #[test]
    fn sigstore_attachments_follow_the_most_specific_setting() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.yaml"),
            "default-docker:\n  use-sigstore-attachments: true\ndocker:\n  quay.io/a:\n    use-sigstore-attachments: false\n  quay.io/a/b:\n    lookaside: https://x\n",
        )
        .unwrap();
        let config = RegistriesD::load(dir.path()).unwrap();
        let on = |r: &str| {
            config
                .sigstore_attachments_for(&Reference::parse(r).unwrap())
                .0
        };
        // quay.io/a/b sets no flag: the enclosing quay.io/a decides.
        assert!(!on("quay.io/a/b:1"));
        assert!(on("quay.io/c/d:1"));
        let (_, origin) =
            config.sigstore_attachments_for(&Reference::parse("quay.io/a/b:1").unwrap());
        assert!(
            origin
                .unwrap()
                .starts_with("registries.d docker[\"quay.io/a\"] in "),
        );
        assert_eq!(
            RegistriesD::default()
                .sigstore_attachments_for(&Reference::parse("quay.io/a/b:1").unwrap()),
            (false, None)
        );
        assert!(!config.sigstore_attachments_for_scope("quay.io/a/b"));
        assert!(!config.sigstore_attachments_for_scope("quay.io/a"));
        assert!(config.sigstore_attachments_for_scope("quay.io"));
        assert!(config.sigstore_attachments_for_scope("*.example.com"));
    }

    #[test]
    fn lookaside_preferred_over_sigstore_and_empty_scopes_fall_through() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.yaml"),
            "docker:\n  quay.io/a:\n    use-sigstore-attachments: true\n  quay.io:\n    sigstore: https://old\n    lookaside: https://new\n",
        )
        .unwrap();
        let config = RegistriesD::load(dir.path()).unwrap();
        assert_eq!(
            url_for(&config, "quay.io/a/b:1").as_deref(),
            Some("https://new")
        );
        assert_eq!(url_for(&config, "docker.io/a/b:1"), None);
        assert_eq!(
            config
                .lookaside_for_scope("quay.io/a")
                .map(|l| l.scope)
                .as_deref(),
            Some(r#"docker["quay.io"]"#)
        );
        assert!(config.lookaside_for_scope("*.io").is_none());
        assert!(config.lookaside_for_scope("").is_none());
    }

    #[test]
    fn scope_chains_follow_the_policy_lookup_order() {
        assert_eq!(
            scope_chain("registry.redhat.io"),
            ["registry.redhat.io", "*.redhat.io", "*.io"]
        );
        assert_eq!(scope_chain("*.redhat.com"), ["*.redhat.com", "*.com"]);
        assert_eq!(
            scope_chain("quay.io/a/b:1"),
            [
                "quay.io/a/b:1",
                "quay.io/a/b",
                "quay.io/a",
                "quay.io",
                "*.io"
            ]
        );
    }
}
