//! The sigstore (cosign) signature mechanism: a signature blob in
//! containers/image's on-disk form ([`format`](mod@format)) checked as
//! containers/image's `sigstoreSigned` checks it. The trust ([`Trust`]) is
//! public keys ([`keys`]), optionally with Rekor keys whose signed entry
//! timestamp must vouch for the signature ([`rekor`]), or certificate
//! roots: Fulcio (with Rekor, whose log time judges the short-lived
//! certificate) or a PKI ([`certs`]). What this module vouches for is
//! "this payload, signed by this key"; the payload rules, digest and
//! identity are checked by [`super::check`] as for every mechanism.

pub mod certs;
pub mod format;
pub mod keys;
mod pem;
pub mod rekor;

pub use certs::CertRule;
pub use format::SigstoreSignature;
pub use keys::{KeyError, PublicKey};

use super::{Mechanism, Reason, Refused, Signed, Signer};
use base64::Engine as _;
use format::{
    BUNDLE_ANNOTATION, CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION, SIGNATURE_ANNOTATION,
    SIMPLE_SIGNING_MEDIA_TYPE,
};
use rustls_pki_types::CertificateDer;
use std::time::{Duration, SystemTime};

/// Red Hat release key 3 (RSA-4096), the built-in sigstore key: see
/// `keys/README.md`.
pub const REDHAT_RELEASE_KEY_3: &[u8] =
    include_bytes!("../../../keys/SIGSTORE-redhat-release3.pem");

/// The built-in sigstore trust: Red Hat release key 3, no Rekor key (as
/// OpenShift's `openshift` ClusterImagePolicy).
pub fn redhat() -> Sigstore {
    let key = PublicKey::from_pem(REDHAT_RELEASE_KEY_3).expect("the built-in key 3 parses");
    Sigstore {
        trust: Trust::Keys {
            keys: vec![key],
            rekor: Vec::new(),
        },
    }
}

/// What a sigstore signature must chain to.
#[derive(Debug, Clone)]
pub enum Trust {
    /// Public keys (any one of them); with Rekor keys, the signature's
    /// SET must verify with one of them and name the signing key.
    Keys {
        keys: Vec<PublicKey>,
        rekor: Vec<PublicKey>,
    },
    /// Certificates issued by a Fulcio CA, logged in Rekor (required).
    Fulcio {
        roots: Vec<CertificateDer<'static>>,
        oidc_issuer: String,
        subject_email: String,
        rekor: Vec<PublicKey>,
    },
    /// Certificates issued under a PKI's roots.
    Pki {
        roots: Vec<CertificateDer<'static>>,
        intermediates: Vec<CertificateDer<'static>>,
        subject_email: Option<String>,
        subject_hostname: Option<String>,
    },
}

/// The sigstore mechanism with its trust.
#[derive(Debug, Clone)]
pub struct Sigstore {
    pub trust: Trust,
}

fn refuse(reason: Reason, message: impl Into<String>) -> Refused {
    Refused {
        reason,
        message: message.into(),
        signer: None,
    }
}

/// Decodes base64 as Go's `base64.StdEncoding` (and so Go's JSON `[]byte`)
/// does: padding required, trailing bits ignored, line breaks skipped.
pub(crate) fn decode_base64(text: &[u8]) -> Result<Vec<u8>, base64::DecodeError> {
    const ENGINE: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    if text.contains(&b'\n') || text.contains(&b'\r') {
        let kept: Vec<u8> = text
            .iter()
            .copied()
            .filter(|b| *b != b'\n' && *b != b'\r')
            .collect();
        return ENGINE.decode(kept);
    }
    ENGINE.decode(text)
}

impl Mechanism for Sigstore {
    fn open(&self, blob: &[u8], at: SystemTime) -> Result<Signed, Refused> {
        let sig = SigstoreSignature::parse(blob)
            .map_err(|e| refuse(Reason::BadSignature, crate::io::error_chain(&e)))?;
        if sig.mime_type != SIMPLE_SIGNING_MEDIA_TYPE {
            return Err(refuse(
                Reason::NotSigned,
                format!(
                    "a sigstore attachment of type {:?}, not a signature ({SIMPLE_SIGNING_MEDIA_TYPE})",
                    sig.mime_type
                ),
            ));
        }
        let b64_signature = sig.annotation(SIGNATURE_ANNOTATION).ok_or_else(|| {
            refuse(
                Reason::NotSigned,
                format!("the {SIGNATURE_ANNOTATION} annotation is missing"),
            )
        })?;
        let annotation = |name: &str| {
            sig.annotation(name).ok_or_else(|| {
                refuse(
                    Reason::RekorSetInvalid,
                    format!("the {name} annotation is missing"),
                )
            })
        };
        let signature_bytes = |rejected_as: Reason| {
            decode_base64(b64_signature.as_bytes()).map_err(|e| {
                refuse(
                    rejected_as,
                    format!("the {SIGNATURE_ANNOTATION} annotation is not base64: {e}"),
                )
            })
        };

        // The keys that may have made the signature, and who they are.
        let (candidates, identity, logged): (Vec<PublicKey>, Option<String>, Option<i64>) =
            match &self.trust {
                Trust::Keys { keys, rekor } if rekor.is_empty() => (keys.clone(), None, None),
                Trust::Keys { keys, rekor } => {
                    let bundle = annotation(BUNDLE_ANNOTATION)?;
                    let entry = rekor::verify_bundle(rekor, bundle.as_bytes())
                        .map_err(|e| refuse(Reason::RekorSetInvalid, e.to_string()))?;
                    let Some(key) = keys.iter().find(|k| entry.key_or_cert() == k.spki_der())
                    else {
                        return Err(refuse(
                            Reason::UnknownKey,
                            format!(
                                "the Rekor entry names a key that is none of the {} trusted sigstore keys",
                                keys.len()
                            ),
                        ));
                    };
                    let sig_bytes = signature_bytes(Reason::BadSignature)?;
                    entry
                        .matches(key.spki_der(), &sig_bytes, &sig.payload)
                        .map_err(|e| refuse(Reason::RekorSetInvalid, e.to_string()))?;
                    (vec![key.clone()], None, Some(entry.integrated_time))
                }
                Trust::Fulcio {
                    roots,
                    oidc_issuer,
                    subject_email,
                    rekor,
                } => {
                    let bundle = annotation(BUNDLE_ANNOTATION)?;
                    let cert = sig.annotation(CERTIFICATE_ANNOTATION).ok_or_else(|| {
                        refuse(
                            Reason::CertificateInvalid,
                            format!("the {CERTIFICATE_ANNOTATION} annotation is missing"),
                        )
                    })?;
                    let entry = rekor::verify_bundle(rekor, bundle.as_bytes())
                        .map_err(|e| refuse(Reason::RekorSetInvalid, e.to_string()))?;
                    let leaf = certs::leaf_from_annotation(cert)
                        .map_err(|e| refuse(Reason::CertificateInvalid, e.to_string()))?;
                    let sig_bytes = signature_bytes(Reason::RekorSetInvalid)?;
                    entry
                        .matches(&leaf, &sig_bytes, &sig.payload)
                        .map_err(|e| refuse(Reason::RekorSetInvalid, e.to_string()))?;
                    let logged = SystemTime::UNIX_EPOCH
                        + Duration::from_secs(entry.integrated_time.max(0) as u64);
                    let rule = CertRule::Fulcio {
                        oidc_issuer: oidc_issuer.clone(),
                        subject_email: subject_email.clone(),
                    };
                    let v = certs::verify(
                        &leaf,
                        sig.annotation(CHAIN_ANNOTATION),
                        roots,
                        &[],
                        &rule,
                        logged,
                    )
                    .map_err(|e| refuse(Reason::CertificateInvalid, e.to_string()))?;
                    (vec![v.key], Some(v.identity), Some(entry.integrated_time))
                }
                Trust::Pki {
                    roots,
                    intermediates,
                    subject_email,
                    subject_hostname,
                } => {
                    let cert = sig.annotation(CERTIFICATE_ANNOTATION).ok_or_else(|| {
                        refuse(
                            Reason::CertificateInvalid,
                            format!("the {CERTIFICATE_ANNOTATION} annotation is missing"),
                        )
                    })?;
                    let leaf = certs::leaf_from_annotation(cert)
                        .map_err(|e| refuse(Reason::CertificateInvalid, e.to_string()))?;
                    let rule = CertRule::Pki {
                        subject_email: subject_email.clone(),
                        subject_hostname: subject_hostname.clone(),
                    };
                    let v = certs::verify(
                        &leaf,
                        sig.annotation(CHAIN_ANNOTATION),
                        roots,
                        intermediates,
                        &rule,
                        at,
                    )
                    .map_err(|e| refuse(Reason::CertificateInvalid, e.to_string()))?;
                    (vec![v.key], Some(v.identity), None)
                }
            };

        let sig_bytes = signature_bytes(Reason::BadSignature)?;
        let Some(key) = candidates
            .iter()
            .find(|k| k.verifies(&sig.payload, &sig_bytes))
        else {
            let message = match (&self.trust, candidates.len()) {
                (Trust::Keys { rekor, .. }, n) if rekor.is_empty() => format!(
                    "none of the {n} trusted sigstore keys verifies the signature (it was made by another key, or the payload or signature was altered)"
                ),
                _ => "the signature does not verify with the signer's key (the payload or signature was altered)".to_string(),
            };
            let reason = match &self.trust {
                Trust::Keys { rekor, .. } if rekor.is_empty() => Reason::UnknownKey,
                _ => Reason::BadSignature,
            };
            return Err(refuse(reason, message));
        };
        let fingerprint = key.fingerprint();
        Ok(Signed {
            payload: sig.payload,
            signer: Signer {
                key_fingerprint: fingerprint.clone(),
                signing_key_fingerprint: fingerprint,
                certificate_identity: identity,
                rekor_integrated_time: logged,
            },
            warnings: Vec::new(),
        })
    }
}

/// A file of containers/image's sigstore fixtures, for the unit tests of
/// this mechanism.
#[cfg(test)]
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sigstore/containers-image")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> PublicKey {
        PublicKey::from_pem(&fixture(name)).unwrap()
    }

    fn open(trust: Trust, sig: &str) -> Result<Signed, Refused> {
        Sigstore { trust }.open(&fixture(sig), SystemTime::now())
    }

    #[test]
    fn keys_verify_and_other_keys_do_not() {
        let keys = |k: Vec<PublicKey>| Trust::Keys {
            keys: k,
            rekor: vec![],
        };
        open(
            keys(vec![key("cosign.pub")]),
            "dir-img-cosign-valid/signature-1",
        )
        .unwrap();
        open(
            keys(vec![key("cosign2.pub"), key("cosign.pub")]),
            "dir-img-cosign-valid/signature-1",
        )
        .unwrap();
        let e = open(
            keys(vec![key("cosign2.pub")]),
            "dir-img-cosign-valid/signature-1",
        )
        .unwrap_err();
        assert_eq!(e.reason, Reason::UnknownKey, "{}", e.message);
    }

    #[test]
    fn rekor_set_verifies_for_its_signature_only() {
        let t = |k: &str| Trust::Keys {
            keys: vec![key(k)],
            rekor: vec![key("rekor.pub")],
        };
        let s = open(
            t("cosign2.pub"),
            "dir-img-cosign-key-rekor-valid/signature-1",
        )
        .unwrap();
        assert_eq!(s.signer.rekor_integrated_time, Some(1674251859));
        // Rekor key = cosign.pub: the SET does not verify.
        let e = open(
            Trust::Keys {
                keys: vec![key("cosign2.pub")],
                rekor: vec![key("cosign.pub")],
            },
            "dir-img-cosign-key-rekor-valid/signature-1",
        )
        .unwrap_err();
        assert_eq!(e.reason, Reason::RekorSetInvalid, "{}", e.message);
        // No SET at all.
        let e = open(t("cosign.pub"), "dir-img-cosign-valid/signature-1").unwrap_err();
        assert_eq!(e.reason, Reason::RekorSetInvalid, "{}", e.message);
    }

    #[test]
    fn fulcio_and_pki() {
        let fulcio = |email: &str| Trust::Fulcio {
            roots: certs::pool_from_pem(&fixture("fulcio_v1.crt.pem")),
            oidc_issuer: "https://github.com/login/oauth".into(),
            subject_email: email.into(),
            rekor: vec![key("rekor.pub")],
        };
        open(
            fulcio("mitr@redhat.com"),
            "dir-img-cosign-fulcio-rekor-valid/signature-1",
        )
        .unwrap();
        let e = open(
            fulcio("x@redhat.com"),
            "dir-img-cosign-fulcio-rekor-valid/signature-1",
        )
        .unwrap_err();
        assert_eq!(e.reason, Reason::CertificateInvalid, "{}", e.message);
        let pki = Trust::Pki {
            roots: certs::pool_from_pem(&fixture("pki_root_crts.pem")),
            intermediates: certs::pool_from_pem(&fixture("pki_intermediate_crts.pem")),
            subject_email: Some("qiwan@redhat.com".into()),
            subject_hostname: Some("myhost.example.com".into()),
        };
        open(pki, "dir-img-cosign-pki-valid/signature-1").unwrap();
    }
}
