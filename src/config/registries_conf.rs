//! `registries.conf`: where an image is really pulled from (mirrors and
//! remapped locations) and which registries are insecure or blocked, as
//! containers/image reads it: format version 2 (`[[registry]]` tables with
//! `prefix`, `location`, `insecure`, `blocked`, `mirror-by-digest-only` and
//! `[[registry.mirror]]` tables), and version 1's `[registries.insecure]`
//! and `[registries.block]` lists. Search registries and short-name
//! aliases are not read: relsig only takes fully qualified names.
//!
//! Which files: the one given, else
//! `$XDG_CONFIG_HOME/containers/registries.conf` (`~/.config/…`) if it
//! exists, else `/etc/containers/registries.conf`; a missing default
//! counts as empty. Then the `*.conf` drop-ins, in name order, each
//! replacing the tables of the same prefix: of `/etc/containers/
//! registries.conf.d` and `~/.config/containers/registries.conf.d` for the
//! system file, of the `.d` directory next to any other file.
//!
//! The image name is always the *logical* name (what signatures must
//! name); the pull sources only say where its bytes are fetched.

use crate::image::reference::{Reference, ReferenceError};
use crate::io::{FileError, MAX_REGISTRIES_CONF, read_bounded};
use crate::sources::registry::{Manifest, RegistryClient, RegistryError};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The system-wide registries.conf.
pub const SYSTEM_REGISTRIES_CONF: &str = "/etc/containers/registries.conf";
/// A user's registries.conf, under `$XDG_CONFIG_HOME` (`~/.config`); used
/// instead of the system one when it exists.
pub const USER_REGISTRIES_CONF: &str = "containers/registries.conf";

/// Why registries.conf cannot be used, or forbids an image.
#[derive(Debug, thiserror::Error)]
pub enum RegistriesConfError {
    #[error(transparent)]
    Read(#[from] FileError),
    #[error("cannot read the registries.conf.d directory {}", dir.display())]
    DropInDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}{}: not valid TOML: {detail}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Toml {
        path: PathBuf,
        line: Option<usize>,
        detail: String,
    },
    #[error("{}: {detail}", path.display())]
    Invalid { path: PathBuf, detail: String },
    #[error("{reference}: pulling from {prefix:?} is blocked by {}", file.display())]
    Blocked {
        reference: String,
        prefix: String,
        file: PathBuf,
    },
    #[error("{reference}: {location:?} of {} does not give a valid reference", file.display())]
    Rewrite {
        reference: String,
        location: String,
        file: PathBuf,
        #[source]
        source: ReferenceError,
    },
}

/// Which references a mirror is used for (`pull-from-mirror`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullFrom {
    All,
    DigestOnly,
    TagOnly,
}

/// A mirror of a `[[registry]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    pub location: String,
    pub insecure: bool,
    pub pull_from: PullFrom,
}

/// One `[[registry]]` table, after defaults are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    /// What image names it applies to: `host[:port][/path…]`, or
    /// `*.domain` for every subdomain.
    pub prefix: String,
    /// Where those images really are; empty only for a `*.domain` prefix
    /// (the image's own registry).
    pub location: String,
    pub insecure: bool,
    pub blocked: bool,
    pub mirror_by_digest_only: bool,
    pub mirrors: Vec<Mirror>,
    /// The file it was read from.
    pub file: PathBuf,
}

/// One place to try pulling an image from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullSource {
    /// The image at that place (its name rewritten to the location).
    pub reference: Reference,
    /// TLS may be unverified, and plain http is allowed.
    pub insecure: bool,
    /// A mirror, rather than the primary location.
    pub mirror: bool,
}

/// The merged registries.conf configuration.
#[derive(Debug, Clone, Default)]
pub struct RegistriesConf {
    /// The files read, in order.
    pub files: Vec<PathBuf>,
    /// One table per prefix, sorted by prefix.
    pub registries: Vec<Registry>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct FileToml {
    #[serde(default)]
    registry: Option<Vec<RegistryToml>>,
    #[serde(default)]
    registries: Option<V1Toml>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RegistryToml {
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    blocked: bool,
    #[serde(default)]
    mirror_by_digest_only: bool,
    #[serde(default)]
    pull_from_mirror: String,
    #[serde(default)]
    mirror: Vec<MirrorToml>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct MirrorToml {
    #[serde(default)]
    location: String,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    pull_from_mirror: String,
}

#[derive(Deserialize, Default)]
struct V1Toml {
    #[serde(default)]
    search: V1List,
    #[serde(default)]
    insecure: V1List,
    #[serde(default)]
    block: V1List,
}

#[derive(Deserialize, Default)]
struct V1List {
    #[serde(default)]
    registries: Vec<String>,
}

impl V1Toml {
    fn is_set(&self) -> bool {
        !(self.search.registries.is_empty()
            && self.insecure.registries.is_empty()
            && self.block.registries.is_empty())
    }
}

impl RegistriesConf {
    /// Loads what podman would read (see the module documentation):
    /// `explicit` and its `.d` directory, or the default files.
    pub fn load(explicit: Option<&Path>) -> Result<RegistriesConf, RegistriesConfError> {
        let mut conf = RegistriesConf::default();
        let (file, dropin_dirs, required) = match explicit {
            Some(f) => (f.to_path_buf(), vec![dropin_dir(f)], true),
            None => {
                let user = super::config_home().map(|h| h.join(USER_REGISTRIES_CONF));
                match user.filter(|u| u.is_file()) {
                    Some(u) => {
                        let dirs = vec![dropin_dir(&u)];
                        (u, dirs, false)
                    }
                    None => {
                        let system = PathBuf::from(SYSTEM_REGISTRIES_CONF);
                        let mut dirs = vec![dropin_dir(&system)];
                        if let Some(h) = super::config_home() {
                            dirs.push(dropin_dir(&h.join(USER_REGISTRIES_CONF)));
                        }
                        (system, dirs, false)
                    }
                }
            }
        };
        if required || file.exists() {
            conf.add_file(&file, false)?;
        }
        for dir in dropin_dirs {
            let names = match super::registries_d::sorted_names(&dir) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(RegistriesConfError::DropInDir { dir, source }),
            };
            for name in names.iter().filter(|n| n.ends_with(".conf")) {
                let path = dir.join(name);
                if path.is_file() {
                    conf.add_file(&path, true)?;
                }
            }
        }
        Ok(conf)
    }

    /// Parses one file's text (`path` is for messages and provenance).
    pub fn parse(text: &str, path: &Path) -> Result<RegistriesConf, RegistriesConfError> {
        let mut conf = RegistriesConf::default();
        conf.merge(parse_file(text, path, false)?, path);
        Ok(conf)
    }

    fn add_file(&mut self, path: &Path, drop_in: bool) -> Result<(), RegistriesConfError> {
        let bytes = read_bounded(path, "registries.conf", MAX_REGISTRIES_CONF)?;
        let text = String::from_utf8(bytes).map_err(|_| RegistriesConfError::Invalid {
            path: path.to_path_buf(),
            detail: "not UTF-8 text".into(),
        })?;
        let registries = parse_file(&text, path, drop_in)?;
        self.merge(registries, path);
        Ok(())
    }

    /// Later tables replace earlier ones with the same prefix.
    fn merge(&mut self, registries: Vec<Registry>, path: &Path) {
        self.files.push(path.to_path_buf());
        for r in registries {
            self.registries.retain(|old| old.prefix != r.prefix);
            self.registries.push(r);
        }
        self.registries.sort_by(|a, b| a.prefix.cmp(&b.prefix));
    }

    /// The table for `reference`: the one with the longest matching
    /// prefix.
    pub fn find(&self, reference: &Reference) -> Option<&Registry> {
        let name = reference.to_string();
        self.registries
            .iter()
            .filter(|r| matching_prefix_len(&name, &r.prefix).is_some())
            .max_by_key(|r| r.prefix.len())
    }

    /// Where to try pulling `reference` from, in order: its mirrors
    /// (those that apply to a tag or a digest reference), then its
    /// primary location; just `reference` itself when no table applies.
    pub fn pull_sources(
        &self,
        reference: &Reference,
    ) -> Result<Vec<PullSource>, RegistriesConfError> {
        let (mut mirrors, primary) = self.pull_plan(reference)?;
        mirrors.push(primary);
        Ok(mirrors)
    }

    /// [`Self::pull_sources`] as the mirrors and the primary location.
    fn pull_plan(
        &self,
        reference: &Reference,
    ) -> Result<(Vec<PullSource>, PullSource), RegistriesConfError> {
        let Some(registry) = self.find(reference) else {
            let primary = PullSource {
                reference: reference.clone(),
                insecure: false,
                mirror: false,
            };
            return Ok((Vec::new(), primary));
        };
        if registry.blocked {
            return Err(RegistriesConfError::Blocked {
                reference: reference.to_string(),
                prefix: registry.prefix.clone(),
                file: registry.file.clone(),
            });
        }
        let by_digest = reference.digest().is_some();
        let mut out = Vec::new();
        for m in &registry.mirrors {
            let applies = if registry.mirror_by_digest_only {
                by_digest
            } else {
                match m.pull_from {
                    PullFrom::All => true,
                    PullFrom::DigestOnly => by_digest,
                    PullFrom::TagOnly => !by_digest,
                }
            };
            if applies {
                out.push(PullSource {
                    reference: rewrite(reference, registry, &m.location)?,
                    insecure: m.insecure,
                    mirror: true,
                });
            }
        }
        let primary = PullSource {
            reference: rewrite(reference, registry, &registry.location)?,
            insecure: registry.insecure,
            mirror: false,
        };
        Ok((out, primary))
    }

    /// The `host[:port]` of every location marked `insecure`.
    pub fn insecure_hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .registries
            .iter()
            .flat_map(|r| {
                let primary = (r.insecure && !r.location.is_empty()).then_some(&r.location);
                primary
                    .into_iter()
                    .chain(r.mirrors.iter().filter(|m| m.insecure).map(|m| &m.location))
            })
            .map(|l| l.split('/').next().unwrap_or_default().to_string())
            .collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }
}

/// A manifest and where it was found.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub manifest: Manifest,
    pub from: PullSource,
}

/// No pull source served the manifest.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Config(#[from] RegistriesConfError),
    /// The primary location's error (or the only one).
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("{primary}; mirrors also failed: {}", mirrors.join("; "))]
    Mirrors {
        primary: RegistryError,
        /// Each mirror's error, in the order tried.
        mirrors: Vec<String>,
    },
}

/// Fetches the manifest of `reference` from the first of its pull
/// sources that has it (a mirror, then the primary location), as
/// containers/image does.
pub fn get_manifest(
    conf: &RegistriesConf,
    client: &RegistryClient,
    reference: &Reference,
) -> Result<Fetched, PullError> {
    let (mirrors, primary) = conf.pull_plan(reference)?;
    let mut mirror_errors = Vec::new();
    for source in mirrors {
        match client.get_manifest(&source.reference) {
            Ok(manifest) => {
                return Ok(Fetched {
                    manifest,
                    from: source,
                });
            }
            Err(e) => mirror_errors.push(format!("{}: {e}", source.reference)),
        }
    }
    match client.get_manifest(&primary.reference) {
        Ok(manifest) => Ok(Fetched {
            manifest,
            from: primary,
        }),
        Err(e) if mirror_errors.is_empty() => Err(e.into()),
        Err(e) => Err(PullError::Mirrors {
            primary: e,
            mirrors: mirror_errors,
        }),
    }
}

/// `registries.conf` → `registries.conf.d`, next to it.
fn dropin_dir(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".d");
    file.with_file_name(name)
}

fn parse_file(
    text: &str,
    path: &Path,
    drop_in: bool,
) -> Result<Vec<Registry>, RegistriesConfError> {
    let invalid = |detail: String| RegistriesConfError::Invalid {
        path: path.to_path_buf(),
        detail,
    };
    let parsed: FileToml = toml::from_str(text).map_err(|e| RegistriesConfError::Toml {
        path: path.to_path_buf(),
        line: e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
        detail: e.message().trim().replace('\n', " "),
    })?;
    let v1 = parsed.registries.unwrap_or_default();
    let v2 = parsed.registry.unwrap_or_default();
    if v1.is_set() {
        if drop_in {
            return Err(invalid(
                "a drop-in file must use the version 2 format ([[registry]] tables), not [registries.*] lists".into(),
            ));
        }
        if !v2.is_empty() {
            return Err(invalid(
                "mixes the version 1 format ([registries.*] lists) with version 2 ([[registry]] tables)".into(),
            ));
        }
        return v1_registries(&v1, path);
    }
    let mut out: Vec<Registry> = Vec::new();
    for (i, r) in v2.into_iter().enumerate() {
        let at = |detail: String| invalid(format!("registry[{i}]: {detail}"));
        let location = parse_location(&r.location).map_err(at)?;
        let prefix = if r.prefix.is_empty() {
            if location.is_empty() {
                return Err(at("both prefix and location are unset".into()));
            }
            location.clone()
        } else {
            let prefix = parse_location(&r.prefix).map_err(at)?;
            if let Some(domain) = prefix.strip_prefix("*.") {
                if domain.contains(['/', '@', ':']) {
                    return Err(at(format!(
                        "wildcard prefix {prefix:?} must be *.domain, without port or path"
                    )));
                }
            } else if location.is_empty() {
                return Err(at(format!(
                    "location is unset, which only a *.domain prefix allows (prefix {prefix:?})"
                )));
            }
            prefix
        };
        if !r.pull_from_mirror.is_empty() {
            return Err(at(
                "pull-from-mirror belongs in a [[registry.mirror]] table, not in [[registry]]"
                    .into(),
            ));
        }
        let mut mirrors = Vec::new();
        for (j, m) in r.mirror.into_iter().enumerate() {
            let at = |detail: String| invalid(format!("registry[{i}].mirror[{j}]: {detail}"));
            let location = parse_location(&m.location).map_err(at)?;
            if location.is_empty() {
                return Err(at("location is unset".into()));
            }
            let pull_from = match m.pull_from_mirror.as_str() {
                "" | "all" => PullFrom::All,
                "digest-only" => PullFrom::DigestOnly,
                "tag-only" => PullFrom::TagOnly,
                other => {
                    return Err(at(format!(
                        "pull-from-mirror {other:?}; expected \"all\", \"digest-only\" or \"tag-only\""
                    )));
                }
            };
            if r.mirror_by_digest_only && !m.pull_from_mirror.is_empty() {
                return Err(at(
                    "pull-from-mirror cannot be set when the registry sets mirror-by-digest-only"
                        .into(),
                ));
            }
            mirrors.push(Mirror {
                location,
                insecure: m.insecure,
                pull_from,
            });
        }
        // The first table of a prefix wins within one file, as in
        // containers/image.
        if out.iter().any(|o| o.prefix == prefix) {
            continue;
        }
        out.push(Registry {
            prefix,
            location,
            insecure: r.insecure,
            blocked: r.blocked,
            mirror_by_digest_only: r.mirror_by_digest_only,
            mirrors,
            file: path.to_path_buf(),
        });
    }
    Ok(out)
}

fn v1_registries(v1: &V1Toml, path: &Path) -> Result<Vec<Registry>, RegistriesConfError> {
    let mut out: Vec<Registry> = Vec::new();
    let lists = [
        (&v1.insecure.registries, true),
        (&v1.block.registries, false),
    ];
    for (list, insecure) in lists {
        for location in list {
            let location =
                parse_location(location).map_err(|detail| RegistriesConfError::Invalid {
                    path: path.to_path_buf(),
                    detail,
                })?;
            let index = match out.iter().position(|r| r.location == location) {
                Some(i) => i,
                None => {
                    out.push(Registry {
                        prefix: location.clone(),
                        location,
                        insecure: false,
                        blocked: false,
                        mirror_by_digest_only: false,
                        mirrors: Vec::new(),
                        file: path.to_path_buf(),
                    });
                    out.len() - 1
                }
            };
            if insecure {
                out[index].insecure = true;
            } else {
                out[index].blocked = true;
            }
        }
    }
    Ok(out)
}

/// A location or prefix without trailing `/`; URLs are refused.
fn parse_location(s: &str) -> Result<String, String> {
    let trimmed = s.trim_end_matches('/');
    if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
        return Err(format!(
            "{s:?}: a location is host[:port][/path], without http:// or https://"
        ));
    }
    Ok(trimmed.to_string())
}

/// The length of the part of `name` that `prefix` matches, if it does:
/// the whole prefix followed by the end, `/`, `:` or `@`; for `*.domain`,
/// a host ending in `.domain`.
fn matching_prefix_len(name: &str, prefix: &str) -> Option<usize> {
    if let Some(domain) = prefix.strip_prefix('*') {
        // domain is ".example.com"; it must end the host part.
        let index = name.find(domain)?;
        if name[..index].contains('/') {
            return None;
        }
        let end = index + domain.len();
        return match name[end..].chars().next() {
            None | Some(':' | '/' | '@') => Some(end),
            _ => None,
        };
    }
    let rest = name.strip_prefix(prefix)?;
    match rest.chars().next() {
        None | Some(':' | '/' | '@') => Some(prefix.len()),
        _ => None,
    }
}

/// `reference` with the part `registry.prefix` matched replaced by
/// `location` (an empty location keeps the reference as it is).
fn rewrite(
    reference: &Reference,
    registry: &Registry,
    location: &str,
) -> Result<Reference, RegistriesConfError> {
    if location.is_empty() {
        return Ok(reference.clone());
    }
    let name = reference.to_string();
    let Some(len) = matching_prefix_len(&name, &registry.prefix) else {
        return Ok(reference.clone());
    };
    let rewritten = format!("{location}{}", &name[len..]);
    Reference::parse(&rewritten).map_err(|source| RegistriesConfError::Rewrite {
        reference: name.clone(),
        location: location.to_string(),
        file: registry.file.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:50b9402635dd4b312a86bed05dcdbda8c00120d3789ec2e9b527045100b3bdb4";

    fn conf(text: &str) -> RegistriesConf {
        RegistriesConf::parse(text, Path::new("registries.conf")).unwrap()
    }

    fn sources(c: &RegistriesConf, image: &str) -> Vec<String> {
        c.pull_sources(&Reference::parse(image).unwrap())
            .unwrap()
            .into_iter()
            .map(|s| s.reference.to_string())
            .collect()
    }

    #[test]
    fn mirrors_come_first_and_follow_the_digest_rules() {
        let c = conf(
            r#"
unqualified-search-registries = ["registry.redhat.io"]

[[registry]]
prefix = "registry.redhat.io"
location = "registry.redhat.io"

[[registry.mirror]]
location = "mirror.example.com:5000/rh"
insecure = true

[[registry.mirror]]
location = "tags.example.com/rh"
pull-from-mirror = "tag-only"

[[registry]]
location = "quay.io/openshift-release-dev"
mirror-by-digest-only = true

[[registry.mirror]]
location = "mirror.example.com:5000/ocp"
"#,
        );
        let by_digest = format!("registry.redhat.io/ubi9/ubi@{DIGEST}");
        assert_eq!(
            sources(&c, &by_digest),
            [
                format!("mirror.example.com:5000/rh/ubi9/ubi@{DIGEST}"),
                by_digest.clone()
            ]
        );
        assert_eq!(
            sources(&c, "registry.redhat.io/ubi9/ubi:9.4"),
            [
                "mirror.example.com:5000/rh/ubi9/ubi:9.4",
                "tags.example.com/rh/ubi9/ubi:9.4",
                "registry.redhat.io/ubi9/ubi:9.4"
            ]
        );
        // mirror-by-digest-only: a tag goes to the primary only.
        assert_eq!(
            sources(
                &c,
                "quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64"
            ),
            ["quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64"]
        );
        assert_eq!(
            sources(
                &c,
                &format!("quay.io/openshift-release-dev/ocp-release@{DIGEST}")
            )
            .len(),
            2
        );
        // No table: the image itself.
        assert_eq!(
            sources(&c, "docker.io/library/busybox:1"),
            ["docker.io/library/busybox:1"]
        );
        // A prefix matches whole components only.
        assert_eq!(
            sources(&c, "quay.io/openshift-release-devx/a:1"),
            ["quay.io/openshift-release-devx/a:1"]
        );
        assert_eq!(c.insecure_hosts(), ["mirror.example.com:5000"]);
    }

    #[test]
    fn longest_prefix_wins_and_locations_are_remapped() {
        let c = conf(
            r#"
[[registry]]
prefix = "example.com/foo"
location = "internal.example.net/bar"

[[registry]]
prefix = "example.com"
location = "example.com"
blocked = true

[[registry]]
prefix = "*.example.org"

[[registry.mirror]]
location = "mirror.example.net"
"#,
        );
        assert_eq!(
            sources(&c, "example.com/foo/image:latest"),
            ["internal.example.net/bar/image:latest"]
        );
        let blocked = c
            .pull_sources(&Reference::parse("example.com/other:1").unwrap())
            .unwrap_err()
            .to_string();
        assert!(blocked.contains("blocked by registries.conf"), "{blocked}");
        assert_eq!(
            sources(&c, "a.b.example.org/x/y:1"),
            ["mirror.example.net/x/y:1", "a.b.example.org/x/y:1"]
        );
    }

    #[test]
    fn version_1_lists_and_bad_files_are_reported_with_the_file() {
        let c = conf(
            "[registries.insecure]\nregistries = ['localhost:5000']\n[registries.block]\nregistries = ['bad.example.com']\n",
        );
        assert_eq!(c.insecure_hosts(), ["localhost:5000"]);
        assert!(
            c.pull_sources(&Reference::parse("bad.example.com/a:1").unwrap())
                .is_err()
        );
        let bad = |text: &str| {
            RegistriesConf::parse(text, Path::new("/x/registries.conf"))
                .unwrap_err()
                .to_string()
        };
        let e = bad("[[registry]]\nlocation = \"a\"\ninsecure = \"yes\"\n");
        assert!(e.starts_with("/x/registries.conf:3: not valid TOML"), "{e}");
        assert!(!e.contains('\n'), "{e}");
        assert!(
            bad("[[registry]]\ninsecure = true\n")
                .contains("registry[0]: both prefix and location are unset")
        );
        assert!(bad("[[registry]]\nlocation = \"https://a\"\n").contains("without http://"));
        assert!(bad("[[registry]]\nprefix = \"a\"\n").contains("location is unset"));
        assert!(
            bad("[[registry]]\nlocation = \"a\"\n[[registry.mirror]]\nlocation = \"b\"\npull-from-mirror = \"some\"\n")
                .contains("registry[0].mirror[0]: pull-from-mirror \"some\"")
        );
        assert!(
            bad("[registries.search]\nregistries = ['a']\n[[registry]]\nlocation = \"a\"\n")
                .contains("mixes")
        );
    }

    #[test]
    fn drop_ins_replace_tables_of_the_same_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("my.conf");
        std::fs::write(
            &main,
            "[[registry]]\nlocation = \"quay.io\"\n[[registry.mirror]]\nlocation = \"a.example\"\n",
        )
        .unwrap();
        let d = dir.path().join("my.conf.d");
        std::fs::create_dir(&d).unwrap();
        std::fs::write(
            d.join("50-q.conf"),
            "[[registry]]\nlocation = \"quay.io\"\n[[registry.mirror]]\nlocation = \"b.example\"\n",
        )
        .unwrap();
        std::fs::write(d.join("ignored.toml"), "not toml [").unwrap();
        let c = RegistriesConf::load(Some(&main)).unwrap();
        assert_eq!(c.files.len(), 2);
        assert_eq!(
            sources(&c, "quay.io/a/b:1"),
            ["b.example/a/b:1", "quay.io/a/b:1"]
        );
        // A file given explicitly must exist.
        assert!(matches!(
            RegistriesConf::load(Some(&dir.path().join("none.conf"))),
            Err(RegistriesConfError::Read(_))
        ));
    }
}
