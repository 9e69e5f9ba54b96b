//! Trusted keys: loading OpenPGP key files in the shapes found in the wild,
//! the built-in Red Hat keyring, and the list of fingerprints a caller
//! accepts.

use crate::io::MAX_KEY_FILE;
use openpgp::cert::CertParser;
use openpgp::parse::Parse;
use openpgp::{Cert, Fingerprint};
use sequoia_openpgp as openpgp;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

/// Red Hat's release key 2 (`567E347A…FD431D51`), the key OpenShift
/// releases and Red Hat registry content are signed with.
pub const REDHAT_RELEASE_KEY_2: &str = "567E347AD0044ADE55BA8A5F199E2F91FD431D51";
/// Red Hat's beta key 2 (`B08B659E…F21541EB`), also in the CVO keyring.
pub const REDHAT_BETA_KEY_2: &str = "B08B659EE86AF623BC90E8DB938A80CAF21541EB";

const BUILTIN: &[(&str, &[u8])] = &[
    (
        "built-in Red Hat release key 2",
        include_bytes!("../../../keys/redhat-release-key-2_FD431D51_sha256-selfsig.gpg"),
    ),
    (
        "built-in Red Hat beta key 2",
        include_bytes!("../../../keys/redhat-beta-key-2_F21541EB_sha256-selfsig.gpg"),
    ),
];

/// A key file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(transparent)]
    Read(#[from] crate::io::FileError),
    #[error("key file {name} holds no usable OpenPGP certificate{}", detail.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    NoCertificates {
        name: String,
        detail: Option<String>,
    },
    /// gpg imports nothing from a key file with a truncated or garbage
    /// packet, so neither does relsig.
    #[error("key file {name} is damaged at byte {offset}{}: {detail}", block.map(|b| format!(" of its armor block {b} (decoded)")).unwrap_or_default())]
    Damaged {
        name: String,
        /// 1-based armor block, when the file is armored.
        block: Option<usize>,
        offset: usize,
        detail: String,
    },
}

/// A set of certificates, merged by primary fingerprint.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    certs: BTreeMap<Fingerprint, Cert>,
    warnings: Vec<String>,
}

impl Keyring {
    /// Red Hat's release key 2 and beta key 2, embedded in the binary.
    pub fn redhat() -> Keyring {
        let mut k = Keyring::default();
        for (name, bytes) in BUILTIN {
            k.add_bytes(name, bytes)
                .expect("the built-in keys are valid certificates");
        }
        k
    }

    /// Loads every certificate of every file.
    pub fn from_files<P: AsRef<Path>>(paths: &[P]) -> Result<Keyring, KeyringError> {
        let mut k = Keyring::default();
        for p in paths {
            k.add_file(p.as_ref())?;
        }
        Ok(k)
    }

    /// Adds the certificates of a key file (binary, armored, armored with
    /// a text preamble, several armor blocks, or a keyring).
    pub fn add_file(&mut self, path: &Path) -> Result<(), KeyringError> {
        let bytes = crate::io::read_bounded(path, "key file", MAX_KEY_FILE)?;
        self.add_bytes(&path.display().to_string(), &bytes)
    }

    /// Adds the certificates in `bytes`; `name` is used in messages.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<(), KeyringError> {
        let mut added = 0;
        let mut last_error = None;
        let chunks = key_chunks(bytes);
        let armored = chunks.len() > 1
            || chunks
                .first()
                .is_some_and(|c| c.starts_with(b"-----BEGIN PGP "));
        for (n, chunk) in chunks.into_iter().enumerate() {
            let binary = match dearmor(chunk) {
                Ok(b) => b,
                Err(e) => {
                    last_error = Some(e);
                    continue;
                }
            };
            let damaged = |offset: usize, detail: String| KeyringError::Damaged {
                name: name.to_string(),
                block: armored.then_some(n + 1),
                offset,
                detail,
            };
            let (groups, framed_to) = cert_groups(&binary);
            if framed_to == 0 {
                last_error = Some("no OpenPGP packets".to_string());
                continue;
            }
            if framed_to < binary.len() {
                return Err(damaged(
                    framed_to,
                    "a truncated packet or bytes that are not OpenPGP packets".into(),
                ));
            }
            for (offset, group) in groups {
                let parser = match CertParser::from_bytes(group) {
                    Ok(p) => p,
                    Err(e) if unknown_key_version(group) => {
                        self.warnings
                            .push(format!("skipped unreadable key data in {name}: {e}"));
                        last_error = Some(e.to_string());
                        continue;
                    }
                    Err(e) => return Err(damaged(offset, e.to_string())),
                };
                for cert in parser {
                    match cert {
                        Ok(cert) => {
                            added += 1;
                            self.insert(cert);
                        }
                        // A certificate of a key version sequoia does not
                        // know (gpg skips those too) must not make the
                        // file's other keys unusable; any other damage
                        // makes gpg import nothing.
                        Err(e) if unknown_key_version(group) => {
                            self.warnings
                                .push(format!("skipped a certificate in {name}: {e}"));
                            last_error = Some(e.to_string());
                        }
                        Err(e) => return Err(damaged(offset, e.to_string())),
                    }
                }
            }
        }
        if added == 0 {
            return Err(KeyringError::NoCertificates {
                name: name.to_string(),
                detail: last_error,
            });
        }
        Ok(())
    }

    fn insert(&mut self, cert: Cert) {
        let fpr = cert.fingerprint();
        let merged = match self.certs.remove(&fpr) {
            Some(old) => old.merge_public(cert.clone()).unwrap_or(cert),
            None => cert,
        };
        self.certs.insert(fpr, merged);
    }

    pub fn certs(&self) -> impl Iterator<Item = &Cert> {
        self.certs.values()
    }

    pub fn len(&self) -> usize {
        self.certs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// Problems met while loading that did not stop it.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The primary fingerprint of the certificate that has a key (primary
    /// or subkey) with this 16-hex key ID, or 8-hex short ID.
    pub fn key_id_owner(&self, id: &str) -> Option<&Fingerprint> {
        let id = id.trim().trim_start_matches("0x").to_ascii_uppercase();
        if !matches!(id.len(), 8 | 16) {
            return None;
        }
        self.certs.iter().find_map(|(fpr, cert)| {
            cert.keys()
                .any(|ka| ka.key().keyid().to_hex().ends_with(&id))
                .then_some(fpr)
        })
    }

    /// The primary fingerprints, for `any`.
    pub fn primary_fingerprints(&self) -> impl Iterator<Item = &Fingerprint> {
        self.certs.keys()
    }
}

/// Splits a key file into the pieces sequoia parses one at a time: each
/// armor block of an armored file (ignoring text around them, as in the
/// `fd431d51.txt` style and RHEL's two-block RPM-GPG-KEY file), or the
/// whole file when it is binary.
fn key_chunks(bytes: &[u8]) -> Vec<&[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN PGP ";
    const END: &[u8] = b"-----END PGP ";
    let mut chunks = Vec::new();
    let mut rest = bytes;
    while let Some(start) = find(rest, BEGIN) {
        let from = &rest[start..];
        let Some(end) = find(from, END) else {
            chunks.push(from);
            break;
        };
        let after_end = &from[end + END.len()..];
        let line_end = after_end
            .iter()
            .position(|&b| b == b'\n')
            .map_or(after_end.len(), |p| p + 1);
        let total = end + END.len() + line_end;
        chunks.push(&from[..total]);
        rest = &from[total..];
    }
    if chunks.is_empty() {
        chunks.push(bytes);
    }
    chunks
}

/// The binary packets of a key file piece (an armor block is decoded).
fn dearmor(chunk: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    if !chunk.starts_with(b"-----BEGIN PGP ") {
        return Ok(Cow::Borrowed(chunk));
    }
    super::packets::dearmor(chunk, MAX_KEY_FILE)
        .map(Cow::Owned)
        .map_err(|e| format!("bad ASCII armor: {e}"))
}

const SECRET_KEY: u8 = 5;
const PUBLIC_KEY: u8 = 6;

/// Splits binary packets into one piece per certificate (each starting at
/// a public- or secret-key packet, with its offset), so that a certificate
/// of an unknown version does not stop the ones after it from loading;
/// and how far the bytes are whole packets (short of their end when a
/// packet is truncated or garbage follows).
fn cert_groups(bytes: &[u8]) -> (Vec<(usize, &[u8])>, usize) {
    let mut groups = Vec::new();
    let (mut start, mut pos) = (0, 0);
    while let Some(f) = super::packets::framing(bytes, pos) {
        if matches!(f.tag, SECRET_KEY | PUBLIC_KEY) && pos > start {
            groups.push((start, &bytes[start..pos]));
            start = pos;
        }
        pos = f.end;
    }
    if pos > start {
        groups.push((start, &bytes[start..pos]));
    }
    (groups, pos)
}

/// Whether a certificate's key packet has a version sequoia does not
/// parse (OpenPGP knows 3, 4, 5 and 6; sequoia reads 4 and 6).
fn unknown_key_version(group: &[u8]) -> bool {
    super::packets::framing(group, 0).is_some_and(|f| {
        matches!(f.tag, SECRET_KEY | PUBLIC_KEY)
            && f.body
                .first()
                .and_then(|r| group.get(r.start))
                .is_some_and(|v| !matches!(v, 4 | 6))
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Which signing keys a caller accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// Every primary key of the keyring (and so its signing subkeys).
    Any,
    /// These fingerprints: a primary accepts its signing subkeys too.
    Fingerprints(Vec<Fingerprint>),
}

/// A KEY-FINGERPRINTS argument that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FingerprintError {
    #[error(
        "no key fingerprints given: name one or more 40-hex fingerprints, comma-separated, or \"any\""
    )]
    Empty,
    #[error("{id:?} is a key ID, not a fingerprint: a full 40-hex fingerprint is needed {}", match matches {
        Some(fpr) => format!("(the keyring's key with that ID is {fpr})"),
        None => "(gpg --fingerprint shows it)".into(),
    })]
    KeyId {
        id: String,
        /// The primary fingerprint of the keyring key with that ID, once
        /// looked up ([`FingerprintError::in_keyring`]).
        matches: Option<String>,
    },
    #[error("{0:?} is not a fingerprint: a full 40-hex fingerprint is needed")]
    Malformed(String),
}

impl FingerprintError {
    /// Names the keyring key a key ID belongs to, if one does, so the
    /// message can say which fingerprint to give instead.
    pub fn in_keyring(self, keyring: &Keyring) -> FingerprintError {
        match self {
            FingerprintError::KeyId { id, matches: None } => {
                let matches = keyring.key_id_owner(&id).map(|f| f.to_hex());
                FingerprintError::KeyId { id, matches }
            }
            other => other,
        }
    }
}

impl Accepted {
    /// Parses `any` or a comma-separated list of fingerprints; case and
    /// spaces within a fingerprint do not matter. As in skopeo, only the
    /// whole argument `any` is special: an empty element (`FPR,`) or an
    /// element `any` in a list is a literal that no key matches, so it is
    /// skipped (a list of only such elements accepts no key).
    pub fn parse(s: &str) -> Result<Accepted, FingerprintError> {
        if s == "any" {
            return Ok(Accepted::Any);
        }
        if s.trim().is_empty() {
            return Err(FingerprintError::Empty);
        }
        let mut list = Vec::new();
        for item in s.split(',') {
            let compact: String = item.chars().filter(|c| !c.is_whitespace()).collect();
            if compact.is_empty() || compact.eq_ignore_ascii_case("any") {
                continue;
            }
            let hex = compact.strip_prefix("0x").unwrap_or(&compact);
            let is_hex = !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit());
            match hex.len() {
                40 | 64 if is_hex => list.push(
                    hex.parse::<Fingerprint>()
                        .map_err(|_| FingerprintError::Malformed(item.trim().to_string()))?,
                ),
                8 | 16 if is_hex => {
                    return Err(FingerprintError::KeyId {
                        id: item.trim().to_string(),
                        matches: None,
                    });
                }
                _ => return Err(FingerprintError::Malformed(item.trim().to_string())),
            }
        }
        Ok(Accepted::Fingerprints(list))
    }

    /// Whether a signature by `signing_key`, whose primary is `primary`,
    /// is acceptable.
    pub fn accepts(
        &self,
        keyring: &Keyring,
        primary: &Fingerprint,
        signing_key: &Fingerprint,
    ) -> bool {
        match self {
            Accepted::Any => keyring.certs.contains_key(primary),
            Accepted::Fingerprints(list) => list.iter().any(|f| f == primary || f == signing_key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_keyring_has_both_red_hat_keys() {
        let k = Keyring::redhat();
        let fprs: Vec<String> = k.primary_fingerprints().map(|f| f.to_hex()).collect();
        assert!(fprs.contains(&REDHAT_RELEASE_KEY_2.to_string()));
        assert!(fprs.contains(&REDHAT_BETA_KEY_2.to_string()));
        assert_eq!(k.len(), 2);
    }

    #[test]
    fn fingerprint_lists() {
        assert_eq!(Accepted::parse("any").unwrap(), Accepted::Any);
        let spaced = "567E 347A D004 4ADE 55BA  8A5F 199E 2F91 FD43 1D51";
        let lower = REDHAT_RELEASE_KEY_2.to_lowercase();
        for s in [spaced, lower.as_str()] {
            assert_eq!(
                Accepted::parse(s).unwrap(),
                Accepted::Fingerprints(vec![REDHAT_RELEASE_KEY_2.parse().unwrap()])
            );
        }
        assert!(matches!(
            Accepted::parse("E932F44B23E8DD43"),
            Err(FingerprintError::KeyId { matches: None, .. })
        ));
        // A key ID of a keyring key names the fingerprint to give.
        let e = Accepted::parse("199e2f91fd431d51")
            .unwrap_err()
            .in_keyring(&Keyring::redhat());
        assert!(
            e.to_string().contains(&format!(
                "the keyring's key with that ID is {REDHAT_RELEASE_KEY_2}"
            )),
            "{e}"
        );
        assert!(matches!(
            Accepted::parse("xyz"),
            Err(FingerprintError::Malformed(_))
        ));
        assert!(matches!(Accepted::parse(""), Err(FingerprintError::Empty)));
        // Elements are literal: empty ones and `any` in a list match no
        // key, and do not stop another element from matching.
        let one = Accepted::Fingerprints(vec![REDHAT_RELEASE_KEY_2.parse().unwrap()]);
        for list in [
            format!("{REDHAT_RELEASE_KEY_2},"),
            format!(",{REDHAT_RELEASE_KEY_2}"),
            format!("any,{REDHAT_RELEASE_KEY_2}"),
        ] {
            assert_eq!(Accepted::parse(&list).unwrap(), one, "{list}");
        }
        for none in [",", "any,", ",any", "ANY", " any"] {
            assert_eq!(
                Accepted::parse(none).unwrap(),
                Accepted::Fingerprints(vec![]),
                "{none}"
            );
        }
    }

    #[test]
    fn armor_blocks_are_split_and_preamble_ignored() {
        let text = b"pub 4096R\n-----BEGIN PGP PUBLIC KEY BLOCK-----\nA\n-----END PGP PUBLIC KEY BLOCK-----\nmid\n-----BEGIN PGP PUBLIC KEY BLOCK-----\nB\n-----END PGP PUBLIC KEY BLOCK-----\n";
        let chunks = key_chunks(text);
        assert_eq!(chunks.len(), 2);
        assert!(chunks[0].starts_with(b"-----BEGIN") && chunks[1].ends_with(b"BLOCK-----\n"));
        assert_eq!(key_chunks(b"\x99\x01").len(), 1);
    }

    #[test]
    fn garbage_is_not_a_keyring() {
        let mut k = Keyring::default();
        assert!(matches!(
            k.add_bytes("junk", b"hello"),
            Err(KeyringError::NoCertificates { .. })
        ));
    }
}
