//! Certificate roots of trust, as containers/image applies them: the
//! signer's certificate (the `dev.sigstore.cosign/certificate`
//! annotation) must chain, through the intermediates the signature
//! carries (`dev.sigstore.cosign/chain`, all but its last certificate)
//! and any configured ones, to a configured root, for code signing, at
//! the relevant time; then Fulcio's recorded OIDC issuer and the subject
//! email (Fulcio), or the subject email and hostname (PKI), must be the
//! configured ones. Chains are built and checked by rustls-webpki.

use super::keys::PublicKey;
use super::pem;
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use std::time::{Duration, SystemTime};
use x509_cert::Certificate;
use x509_cert::der::asn1::{ObjectIdentifier, Utf8StringRef};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

/// Fulcio's OIDC issuer extension, v1 (raw string) and v2 (DER UTF8String).
const FULCIO_ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
const FULCIO_ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
/// id-kp-codeSigning (1.3.6.1.5.5.7.3.3), DER contents.
const EKU_CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];

/// Why a certificate does not vouch for a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error("the {0} annotation is not PEM certificates")]
    NotPem(&'static str),
    #[error("the certificate annotation holds {0} certificates; exactly one is expected")]
    Count(usize),
    #[error("malformed certificate: {0}")]
    Malformed(String),
    #[error("the certificate does not chain to a trusted root for code signing at {at}: {detail}")]
    Chain { at: String, detail: String },
    #[error("the certificate has no Fulcio OIDC issuer extension")]
    NoIssuer,
    #[error("the certificate's Fulcio OIDC issuer extensions disagree ({0:?} and {1:?})")]
    IssuerMismatch(String, String),
    #[error("the certificate's OIDC issuer is {found:?}, not {expected:?}")]
    WrongIssuer { found: String, expected: String },
    #[error("the certificate is not for email {expected:?} (it names {found:?})")]
    WrongEmail {
        expected: String,
        found: Vec<String>,
    },
    #[error("the certificate is not for hostname {expected:?}: {detail}")]
    WrongHostname { expected: String, detail: String },
    #[error("the certificate's public key: {0}")]
    Key(String),
}

/// Certificates read from a PEM file or value given in the policy: every
/// block labelled CERTIFICATE that parses (Go's `AppendCertsFromPEM`).
pub fn pool_from_pem(text: &[u8]) -> Vec<CertificateDer<'static>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some((block, after)) = pem::first(rest) {
        if block.label == "CERTIFICATE" && Certificate::from_der(&block.der).is_ok() {
            out.push(CertificateDer::from(block.der));
        }
        rest = after;
    }
    out
}

/// The roots and what the signer's certificate must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertRule {
    Fulcio {
        oidc_issuer: String,
        subject_email: String,
    },
    Pki {
        subject_email: Option<String>,
        subject_hostname: Option<String>,
    },
}

/// What a verified certificate yields.
#[derive(Debug, Clone)]
pub struct Vouched {
    pub key: PublicKey,
    /// The certificate's DER (what a Rekor entry names).
    pub cert_der: Vec<u8>,
    /// The identity matched (email or hostname), for reports.
    pub identity: String,
}

/// Parses the annotation `certificate` (exactly one PEM certificate).
pub fn leaf_from_annotation(certificate: &str) -> Result<Vec<u8>, CertError> {
    let blocks = pem::all(certificate.as_bytes()).ok_or(CertError::NotPem("certificate"))?;
    match blocks.len() {
        1 => Ok(blocks.into_iter().next().expect("one block").der),
        n => Err(CertError::Count(n)),
    }
}

/// Verifies the signer's certificate `leaf_der` with the `chain`
/// annotation, against `roots` (+ configured `intermediates`) at `at`,
/// and the identity `rule`.
pub fn verify(
    leaf_der: &[u8],
    chain: Option<&str>,
    roots: &[CertificateDer<'static>],
    intermediates: &[CertificateDer<'static>],
    rule: &CertRule,
    at: SystemTime,
) -> Result<Vouched, CertError> {
    let mut pool: Vec<CertificateDer<'_>> = intermediates.to_vec();
    if let Some(chain) = chain.filter(|c| !c.is_empty()) {
        let blocks = pem::all(chain.as_bytes()).ok_or(CertError::NotPem("chain"))?;
        // The chain's last certificate is its root, which is never trusted
        // from the signature.
        let n = blocks.len().saturating_sub(1);
        for b in blocks.into_iter().take(n) {
            Certificate::from_der(&b.der)
                .map_err(|e| CertError::Malformed(format!("chain: {e}")))?;
            pool.push(CertificateDer::from(b.der));
        }
    }
    let cert = Certificate::from_der(leaf_der).map_err(|e| CertError::Malformed(e.to_string()))?;
    let leaf = CertificateDer::from(leaf_der);
    let ee = webpki::EndEntityCert::try_from(&leaf)
        .map_err(|e| CertError::Malformed(format!("{e:?}")))?;
    let anchors: Vec<TrustAnchor<'_>> = roots
        .iter()
        .filter_map(|r| webpki::anchor_from_trusted_cert(r).ok())
        .collect();
    let since = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &anchors,
        &pool,
        UnixTime::since_unix_epoch(since),
        webpki::KeyUsage::required_if_present(EKU_CODE_SIGNING),
        None,
        None,
    )
    .map_err(|e| CertError::Chain {
        at: chrono::DateTime::<chrono::Utc>::from(at)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        detail: format!("{e:?}"),
    })?;

    let emails = emails(&cert)?;
    let identity = match rule {
        CertRule::Fulcio {
            oidc_issuer,
            subject_email,
        } => {
            let found = fulcio_issuer(&cert)?;
            if &found != oidc_issuer {
                return Err(CertError::WrongIssuer {
                    found,
                    expected: oidc_issuer.clone(),
                });
            }
            if !emails.contains(subject_email) {
                return Err(CertError::WrongEmail {
                    expected: subject_email.clone(),
                    found: emails,
                });
            }
            subject_email.clone()
        }
        CertRule::Pki {
            subject_email,
            subject_hostname,
        } => {
            let mut shown = Vec::new();
            if let Some(email) = subject_email {
                if !emails.contains(email) {
                    return Err(CertError::WrongEmail {
                        expected: email.clone(),
                        found: emails,
                    });
                }
                shown.push(email.clone());
            }
            if let Some(host) = subject_hostname {
                let wrong = |detail: String| CertError::WrongHostname {
                    expected: host.clone(),
                    detail,
                };
                let name = ServerName::try_from(host.as_str()).map_err(|e| wrong(e.to_string()))?;
                ee.verify_is_valid_for_subject_name(&name)
                    .map_err(|e| wrong(format!("{e:?}")))?;
                shown.push(host.clone());
            }
            shown.join(", ")
        }
    };
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| CertError::Key(e.to_string()))?;
    let key = PublicKey::from_spki_der(&spki).map_err(|e| CertError::Key(e.to_string()))?;
    Ok(Vouched {
        key,
        cert_der: leaf_der.to_vec(),
        identity,
    })
}

/// The email addresses of the certificate's subject alternative names.
fn emails(cert: &Certificate) -> Result<Vec<String>, CertError> {
    let mut out = Vec::new();
    for ext in cert.tbs_certificate.extensions.iter().flatten() {
        if ext.extn_id == SUBJECT_ALT_NAME {
            let san = SubjectAltName::from_der(ext.extn_value.as_bytes())
                .map_err(|e| CertError::Malformed(format!("subject alternative name: {e}")))?;
            for name in san.0 {
                if let GeneralName::Rfc822Name(email) = name {
                    out.push(email.to_string());
                }
            }
        }
    }
    Ok(out)
}

/// The OIDC issuer Fulcio recorded, from either extension (both must
/// agree when both are present).
fn fulcio_issuer(cert: &Certificate) -> Result<String, CertError> {
    let (mut v1, mut v2) = (None, None);
    for ext in cert.tbs_certificate.extensions.iter().flatten() {
        let value = ext.extn_value.as_bytes();
        if ext.extn_id == FULCIO_ISSUER_V1 {
            v1 = Some(String::from_utf8_lossy(value).into_owned());
        } else if ext.extn_id == FULCIO_ISSUER_V2 {
            let s = Utf8StringRef::from_der(value)
                .map_err(|e| CertError::Malformed(format!("OIDC issuer v2 extension: {e}")))?;
            v2 = Some(s.as_str().to_string());
        }
    }
    match (v1, v2) {
        (Some(a), Some(b)) if a != b => Err(CertError::IssuerMismatch(a, b)),
        (Some(a), _) | (None, Some(a)) => Ok(a),
        (None, None) => Err(CertError::NoIssuer),
    }
}
