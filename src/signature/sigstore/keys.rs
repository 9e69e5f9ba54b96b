//! Sigstore public keys: PEM SubjectPublicKeyInfo (or PKCS#1 `RSA PUBLIC
//! KEY`), read as sigstore's `UnmarshalPEMToPublicKey` reads them (the
//! first PEM block only), and the signatures they verify: ECDSA P-256 or
//! P-384 (ASN.1 DER) and RSA PKCS#1 v1.5 over SHA-256 of the message,
//! Ed25519 over the message itself.

use super::pem;
use ring::signature::{self as sig, UnparsedPublicKey};
use sha2::{Digest as _, Sha256};
use x509_cert::der::asn1::{AnyRef, BitString, ObjectIdentifier};
use x509_cert::der::{Decode, Encode};
use x509_cert::spki::{
    AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef,
};

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// The algorithm of a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    EcdsaP256,
    EcdsaP384,
    Rsa,
    Ed25519,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::EcdsaP256 => "ECDSA P-256",
            Algorithm::EcdsaP384 => "ECDSA P-384",
            Algorithm::Rsa => "RSA",
            Algorithm::Ed25519 => "Ed25519",
        }
    }

    pub fn is_ecdsa(self) -> bool {
        matches!(self, Algorithm::EcdsaP256 | Algorithm::EcdsaP384)
    }
}

/// A public key that can verify sigstore signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    algorithm: Algorithm,
    /// The SubjectPublicKeyInfo DER (what a Rekor entry names).
    spki: Vec<u8>,
    /// The key in ring's form (the bit string's contents).
    raw: Vec<u8>,
}

/// Why bytes are not a usable public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("no PEM block found (expected -----BEGIN PUBLIC KEY-----)")]
    NotPem,
    #[error("PEM block {0:?} is not a public key (expected PUBLIC KEY or RSA PUBLIC KEY)")]
    Label(String),
    #[error("malformed public key: {0}")]
    Malformed(String),
    #[error("unsupported public key algorithm {0} (expected ECDSA P-256/P-384, RSA or Ed25519)")]
    Unsupported(String),
}

impl PublicKey {
    /// The first PEM block of `text`, as sigstore reads a key file.
    pub fn from_pem(text: &[u8]) -> Result<PublicKey, KeyError> {
        let (block, _) = pem::first(text).ok_or(KeyError::NotPem)?;
        match block.label.as_str() {
            "PUBLIC KEY" => PublicKey::from_spki_der(&block.der),
            "RSA PUBLIC KEY" => PublicKey::from_pkcs1_der(&block.der),
            other => Err(KeyError::Label(other.to_string())),
        }
    }

    /// A SubjectPublicKeyInfo in DER.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        let spki = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| KeyError::Malformed(e.to_string()))?;
        let raw = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| KeyError::Malformed("the key bit string has unused bits".into()))?
            .to_vec();
        let params = spki.algorithm.parameters;
        let oid = spki.algorithm.oid;
        let algorithm = if oid == ID_EC_PUBLIC_KEY {
            let curve: ObjectIdentifier = params
                .ok_or_else(|| KeyError::Malformed("ECDSA key without a named curve".into()))?
                .decode_as()
                .map_err(|e| KeyError::Malformed(format!("ECDSA curve: {e}")))?;
            // ring takes uncompressed points only, as Go does.
            if raw.first() != Some(&4) {
                return Err(KeyError::Malformed(
                    "ECDSA point is not uncompressed".into(),
                ));
            }
            match curve {
                SECP256R1 if raw.len() == 65 => Algorithm::EcdsaP256,
                SECP384R1 if raw.len() == 97 => Algorithm::EcdsaP384,
                SECP256R1 | SECP384R1 => {
                    return Err(KeyError::Malformed(
                        "ECDSA point has the wrong length".into(),
                    ));
                }
                SECP521R1 => return Err(KeyError::Unsupported("ECDSA P-521".into())),
                other => return Err(KeyError::Unsupported(format!("ECDSA on curve {other}"))),
            }
        } else if oid == RSA_ENCRYPTION {
            if params != Some(AnyRef::NULL) {
                return Err(KeyError::Malformed(
                    "RSA key parameters are not NULL".into(),
                ));
            }
            check_rsa(&raw)?;
            Algorithm::Rsa
        } else if oid == ID_ED25519 {
            if params.is_some() || raw.len() != 32 {
                return Err(KeyError::Malformed("malformed Ed25519 key".into()));
            }
            Algorithm::Ed25519
        } else {
            return Err(KeyError::Unsupported(oid.to_string()));
        };
        Ok(PublicKey {
            algorithm,
            spki: der.to_vec(),
            raw,
        })
    }

    /// A PKCS#1 RSAPublicKey in DER, wrapped into the SubjectPublicKeyInfo
    /// Go would marshal it to.
    fn from_pkcs1_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        check_rsa(der)?;
        let spki = SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: RSA_ENCRYPTION,
                parameters: Some(AnyRef::NULL.into()),
            },
            subject_public_key: BitString::from_bytes(der)
                .map_err(|e| KeyError::Malformed(e.to_string()))?,
        };
        let spki = spki
            .to_der()
            .map_err(|e| KeyError::Malformed(e.to_string()))?;
        PublicKey::from_spki_der(&spki)
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The SubjectPublicKeyInfo in DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// SHA-256 of the SubjectPublicKeyInfo DER, in hex: the key's name in
    /// reports.
    pub fn fingerprint(&self) -> String {
        hex(&Sha256::digest(&self.spki))
    }

    /// Whether `signature` is this key's signature of `message`, as
    /// sigstore's verifiers check with SHA-256.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let alg: &dyn sig::VerificationAlgorithm = match self.algorithm {
            Algorithm::EcdsaP256 => &sig::ECDSA_P256_SHA256_ASN1,
            Algorithm::EcdsaP384 => &sig::ECDSA_P384_SHA256_ASN1,
            Algorithm::Rsa => &sig::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::Ed25519 => &sig::ED25519,
        };
        UnparsedPublicKey::new(alg, &self.raw)
            .verify(message, signature)
            .is_ok()
    }
}

/// ring verifies RSA keys of 2048 to 8192 bits; refuse others when the
/// key is loaded rather than failing every signature later.
fn check_rsa(pkcs1: &[u8]) -> Result<(), KeyError> {
    let bits = rsa_modulus_bits(pkcs1)
        .ok_or_else(|| KeyError::Malformed("not a PKCS#1 RSA public key".into()))?;
    if !(2048..=8192).contains(&bits) {
        return Err(KeyError::Unsupported(format!(
            "RSA-{bits} (2048 to 8192 bits are supported)"
        )));
    }
    Ok(())
}

/// The bit length of the modulus of a PKCS#1 RSAPublicKey
/// (`SEQUENCE { modulus INTEGER, publicExponent INTEGER }`).
fn rsa_modulus_bits(pkcs1: &[u8]) -> Option<usize> {
    use x509_cert::der::asn1::UintRef;
    use x509_cert::der::{Reader, SliceReader};
    let mut reader = SliceReader::new(pkcs1).ok()?;
    let n = reader
        .sequence(|r| {
            let n = UintRef::decode(r)?;
            UintRef::decode(r)?;
            Ok(n)
        })
        .ok()?;
    reader.finish(()).ok()?;
    let bytes = n.as_bytes();
    let first = *bytes.first()?;
    Some(bytes.len() * 8 - first.leading_zeros() as usize)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::sigstore::fixture;
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};

    /// The SubjectPublicKeyInfo DER of a raw key.
    fn spki(oid: ObjectIdentifier, curve: Option<ObjectIdentifier>, raw: &[u8]) -> Vec<u8> {
        SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid,
                parameters: curve.map(|c| x509_cert::der::Any::encode_from(&c).unwrap()),
            },
            subject_public_key: BitString::from_bytes(raw).unwrap(),
        }
        .to_der()
        .unwrap()
    }

    #[test]
    fn ecdsa_p256_p384_and_ed25519_signatures_made_with_ring_verify() {
        let rng = SystemRandom::new();
        let message = b"{\"critical\":{}}";
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
                .unwrap();
        let key = PublicKey::from_spki_der(&spki(
            ID_EC_PUBLIC_KEY,
            Some(SECP256R1),
            pair.public_key().as_ref(),
        ))
        .unwrap();
        assert_eq!(key.algorithm(), Algorithm::EcdsaP256);
        let signature = pair.sign(&rng, message).unwrap();
        assert!(key.verifies(message, signature.as_ref()));
        assert!(!key.verifies(b"other", signature.as_ref()));

        // P-384 over SHA-256 (what cosign and Rekor do); ring signs P-384
        // only with SHA-384, so RustCrypto's p384 signs the prehash.
        use p384::ecdsa::signature::hazmat::PrehashSigner as _;
        let signing = p384::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let point = signing.verifying_key().to_encoded_point(false);
        let key =
            PublicKey::from_spki_der(&spki(ID_EC_PUBLIC_KEY, Some(SECP384R1), point.as_bytes()))
                .unwrap();
        assert_eq!(key.algorithm(), Algorithm::EcdsaP384);
        let digest = Sha256::digest(message);
        let signature: p384::ecdsa::Signature = signing.sign_prehash(&digest).unwrap();
        assert!(key.verifies(message, signature.to_der().as_bytes()));
        assert!(!key.verifies(b"other", signature.to_der().as_bytes()));

        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let key =
            PublicKey::from_spki_der(&spki(ID_ED25519, None, pair.public_key().as_ref())).unwrap();
        assert_eq!(key.algorithm(), Algorithm::Ed25519);
        assert!(key.verifies(message, pair.sign(message).as_ref()));
        assert!(!key.verifies(b"other", pair.sign(message).as_ref()));
    }

    #[test]
    fn pem_keys_of_the_fixtures_and_what_is_refused() {
        let rsa = PublicKey::from_pem(&fixture("some-rsa-key.pub")).unwrap();
        assert_eq!(rsa.algorithm(), Algorithm::Rsa);
        let p256 = PublicKey::from_pem(&fixture("rekor.pub")).unwrap();
        assert_eq!(p256.algorithm(), Algorithm::EcdsaP256);
        // Release key 3, as a PKCS#1 "RSA PUBLIC KEY" block too.
        let key3 = PublicKey::from_pem(super::super::REDHAT_RELEASE_KEY_3).unwrap();
        assert_eq!(key3.algorithm(), Algorithm::Rsa);
        let info = SubjectPublicKeyInfoRef::from_der(key3.spki_der()).unwrap();
        let pkcs1 = info.subject_public_key.raw_bytes();
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pkcs1);
        let pem = format!("-----BEGIN RSA PUBLIC KEY-----\n{b64}\n-----END RSA PUBLIC KEY-----\n");
        assert_eq!(PublicKey::from_pem(pem.as_bytes()).unwrap(), key3);

        assert_eq!(PublicKey::from_pem(b"nothing"), Err(KeyError::NotPem));
        assert!(matches!(
            PublicKey::from_pem(&fixture("fulcio_v1.crt.pem")),
            Err(KeyError::Label(_))
        ));
        // A compressed P-256 point, and an RSA-1024 key.
        let mut compressed = vec![2u8];
        compressed.extend([7u8; 32]);
        assert!(matches!(
            PublicKey::from_spki_der(&spki(ID_EC_PUBLIC_KEY, Some(SECP256R1), &compressed)),
            Err(KeyError::Malformed(_))
        ));
        assert!(matches!(
            check_rsa(&small_rsa()),
            Err(KeyError::Unsupported(_))
        ));
    }

    /// `SEQUENCE { INTEGER (1024 bits), INTEGER 65537 }`.
    fn small_rsa() -> Vec<u8> {
        let mut n = vec![0x02, 0x81, 0x81, 0x00, 0xc0];
        n.extend([0x11; 127]);
        let e = [0x02, 0x03, 0x01, 0x00, 0x01];
        let mut out = vec![0x30, 0x81, (n.len() + e.len()) as u8];
        out.extend(n);
        out.extend(e);
        out
    }
}
