//! A `sigstoreSigned` requirement's trust, loaded: the key, certificate
//! and Rekor key files it names (under `--root` when given) or holds
//! inline, turned into the [`Trust`] the sigstore mechanism checks
//! signatures with. What containers/image refuses when it loads them
//! (an unreadable file, a key that is not a public key, a Rekor key that
//! is not ECDSA, a CA file without certificates) is an error here, named
//! by the JSON member it came from.

use super::config::{Keys, SigstoreSigned, SigstoreTrust, Source};
use super::resolve_key_path;
use crate::io::{FileError, MAX_CA_FILE, MAX_KEY_FILE, read_bounded};
use crate::signature::sigstore::certs::pool_from_pem;
use crate::signature::sigstore::{KeyError, PublicKey, Trust};
use rustls_pki_types::CertificateDer;
use std::path::Path;

/// Why a requirement's trust could not be loaded. `member` is the JSON
/// member (`keyPaths[1]`, `fulcio.caPath`) that names the culprit.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("{member}")]
    Read {
        member: String,
        #[source]
        source: FileError,
    },
    #[error("{member}: {shown} is not a usable public key")]
    Key {
        member: String,
        shown: String,
        #[source]
        source: KeyError,
    },
    #[error("{member}: {shown} is an {algorithm} key; a Rekor public key must be ECDSA")]
    RekorNotEcdsa {
        member: String,
        shown: String,
        algorithm: &'static str,
    },
    #[error("{member}: {shown} holds no PEM certificate")]
    NoCertificates { member: String, shown: String },
}

impl TrustError {
    /// The JSON member (relative to the requirement) that names the
    /// culprit.
    pub fn member(&self) -> &str {
        match self {
            TrustError::Read { member, .. }
            | TrustError::Key { member, .. }
            | TrustError::RekorNotEcdsa { member, .. }
            | TrustError::NoCertificates { member, .. } => member,
        }
    }
}

/// The trust of `rule`, and the files or values it was read from (for
/// reports).
pub fn load(
    rule: &SigstoreSigned,
    root: Option<&Path>,
) -> Result<(Trust, Vec<String>), TrustError> {
    let mut shown = Vec::new();
    // The root of trust first, then the Rekor keys, as the policy names them.
    let keys = match &rule.trust {
        SigstoreTrust::Keys(keys) => public_keys(keys, "key", root, &mut shown)?
            .into_iter()
            .map(|l| l.key)
            .collect(),
        _ => Vec::new(),
    };
    let rekor = rekor_keys(rule, root, &mut shown)?;
    let trust = match &rule.trust {
        SigstoreTrust::Keys(_) => Trust::Keys { keys, rekor },
        SigstoreTrust::Fulcio(f) => Trust::Fulcio {
            roots: certificates(&f.ca, "fulcio.caPath", "fulcio.caData", root, &mut shown)?,
            oidc_issuer: f.oidc_issuer.clone(),
            subject_email: f.subject_email.clone(),
            rekor,
        },
        SigstoreTrust::Pki(p) => Trust::Pki {
            roots: certificates(
                &p.ca_roots,
                "pki.caRootsPath",
                "pki.caRootsData",
                root,
                &mut shown,
            )?,
            intermediates: match &p.ca_intermediates {
                Some(s) => certificates(
                    s,
                    "pki.caIntermediatesPath",
                    "pki.caIntermediatesData",
                    root,
                    &mut shown,
                )?,
                None => Vec::new(),
            },
            subject_email: p.subject_email.clone(),
            subject_hostname: p.subject_hostname.clone(),
        },
    };
    Ok((trust, shown))
}

/// The Rekor keys of `rule` (none when it names none); each must be ECDSA.
fn rekor_keys(
    rule: &SigstoreSigned,
    root: Option<&Path>,
    shown: &mut Vec<String>,
) -> Result<Vec<PublicKey>, TrustError> {
    Ok(match &rule.rekor {
        Some(keys) => {
            let loaded = public_keys(keys, "rekorPublicKey", root, shown)?;
            if let Some(l) = loaded.iter().find(|l| !l.key.algorithm().is_ecdsa()) {
                return Err(TrustError::RekorNotEcdsa {
                    member: l.member.clone(),
                    shown: l.from.clone(),
                    algorithm: l.key.algorithm().as_str(),
                });
            }
            loaded.into_iter().map(|l| l.key).collect()
        }
        None => Vec::new(),
    })
}

/// A key with the JSON member that names it and where it was read.
struct LoadedKey {
    key: PublicKey,
    member: String,
    from: String,
}

/// The keys of `keys`, each with its member and where it was read;
/// `prefix` is `key` or `rekorPublicKey`.
fn public_keys(
    keys: &Keys,
    prefix: &str,
    root: Option<&Path>,
    shown: &mut Vec<String>,
) -> Result<Vec<LoadedKey>, TrustError> {
    let mut sources: Vec<(String, String, Vec<u8>)> = Vec::new();
    match keys {
        Keys::Path(p) => {
            let (from, bytes) = read(p, root, "key file", MAX_KEY_FILE, format!("{prefix}Path"))?;
            sources.push((format!("{prefix}Path"), from, bytes));
        }
        Keys::Paths(ps) => {
            for (i, p) in ps.iter().enumerate() {
                let member = format!("{prefix}Paths[{i}]");
                let (from, bytes) = read(p, root, "key file", MAX_KEY_FILE, member.clone())?;
                sources.push((member, from, bytes));
            }
        }
        Keys::Data(d) => {
            sources.push((format!("{prefix}Data"), format!("{prefix}Data"), d.clone()))
        }
        Keys::Datas(ds) => {
            for (i, d) in ds.iter().enumerate() {
                let member = format!("{prefix}Datas[{i}]");
                sources.push((member.clone(), member, d.clone()));
            }
        }
    }
    let mut out = Vec::new();
    for (member, from, bytes) in sources {
        let key = PublicKey::from_pem(&bytes).map_err(|source| TrustError::Key {
            member: member.clone(),
            shown: from.clone(),
            source,
        })?;
        shown.push(format!("{from} ({})", key.algorithm().as_str()));
        out.push(LoadedKey { key, member, from });
    }
    Ok(out)
}

fn certificates(
    source: &Source,
    path_member: &str,
    data_member: &str,
    root: Option<&Path>,
    shown: &mut Vec<String>,
) -> Result<Vec<CertificateDer<'static>>, TrustError> {
    let (member, from, bytes) = match source {
        Source::Path(p) => {
            let member = path_member.to_string();
            let (from, bytes) = read(p, root, "CA certificate file", MAX_CA_FILE, member)?;
            (path_member, from, bytes)
        }
        Source::Data(d) => (data_member, data_member.to_string(), d.clone()),
    };
    let certs = pool_from_pem(&bytes);
    if certs.is_empty() {
        return Err(TrustError::NoCertificates {
            member: member.to_string(),
            shown: from,
        });
    }
    shown.push(format!("{from} ({} certificates)", certs.len()));
    Ok(certs)
}

fn read(
    path: &str,
    root: Option<&Path>,
    what: &'static str,
    max: u64,
    member: String,
) -> Result<(String, Vec<u8>), TrustError> {
    let resolved = resolve_key_path(path, root);
    let bytes =
        read_bounded(&resolved, what, max).map_err(|source| TrustError::Read { member, source })?;
    Ok((resolved.display().to_string(), bytes))
}
