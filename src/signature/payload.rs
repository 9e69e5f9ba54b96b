//! The signed JSON payload of an atomic container signature, parsed as
//! strictly as containers/image does: exact field sets in `critical`,
//! no duplicate keys anywhere, no trailing data. A sigstore (cosign)
//! payload is the same document under its own [`Rules`]: another
//! `critical.type`, and `optional` may be `null`.

use crate::image::digest::Digest;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// The signature type of simple signing (GPG) payloads.
pub const SIGNATURE_TYPE: &str = "atomic container signature";
/// The signature type of sigstore (cosign) payloads.
pub const SIGSTORE_SIGNATURE_TYPE: &str = "cosign container image signature";

/// What distinguishes one mechanism's payloads from another's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// The only accepted `critical.type`.
    pub signature_type: &'static str,
    /// cosign writes `"optional": null` when there are no annotations.
    pub optional_may_be_null: bool,
}

/// Simple signing's rules (GPG signatures).
pub const SIMPLE_SIGNING: Rules = Rules {
    signature_type: SIGNATURE_TYPE,
    optional_may_be_null: false,
};

/// Sigstore's rules (cosign signatures).
pub const SIGSTORE: Rules = Rules {
    signature_type: SIGSTORE_SIGNATURE_TYPE,
    optional_may_be_null: true,
};

/// A payload that passed the strict parse. Its claims are only as
/// trustworthy as the OpenPGP verification that produced the bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payload {
    /// `critical.image.docker-manifest-digest`.
    pub manifest_digest: Digest,
    /// `critical.identity.docker-reference`, as signed (not yet parsed).
    pub docker_reference: String,
    /// `optional.creator`.
    pub creator: Option<String>,
    /// `optional.timestamp` (seconds since the epoch).
    pub timestamp: Option<i64>,
}

/// Why a payload was rejected; each message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("payload is not valid JSON: {0}")]
    Json(String),
    #[error("payload field {field}: expected {expected}")]
    Field {
        field: &'static str,
        expected: &'static str,
    },
    #[error("payload field {field} has an unknown member {key:?}")]
    UnknownField { field: &'static str, key: String },
    #[error("payload signature type {found:?} is not {expected:?}")]
    Type {
        found: String,
        expected: &'static str,
    },
    #[error("payload field critical.image.docker-manifest-digest: {0}")]
    Digest(String),
}

impl Payload {
    /// Parses a simple signing payload with containers/image's strictness.
    pub fn parse(bytes: &[u8]) -> Result<Payload, PayloadError> {
        Payload::parse_with(bytes, &SIMPLE_SIGNING)
    }

    /// Parses `bytes` with containers/image's strictness under `rules`.
    pub fn parse_with(bytes: &[u8], rules: &Rules) -> Result<Payload, PayloadError> {
        let StrictValue(root) =
            serde_json::from_slice(bytes).map_err(|e| PayloadError::Json(e.to_string()))?;
        let mut top = exact_object(root, "payload", &["critical", "optional"])?;
        let critical = top.remove("critical").unwrap_or_default();
        let optional = match top.remove("optional").unwrap_or_default() {
            Value::Null if rules.optional_may_be_null => Value::Object(Map::new()),
            other => other,
        };

        let Value::Object(optional) = optional else {
            return Err(PayloadError::Field {
                field: "optional",
                expected: "a JSON object",
            });
        };
        let creator = match optional.get("creator") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(PayloadError::Field {
                    field: "optional.creator",
                    expected: "a string",
                });
            }
        };
        let timestamp = match optional.get("timestamp") {
            None => None,
            Some(v) => Some(integer(v).ok_or(PayloadError::Field {
                field: "optional.timestamp",
                expected: "an integer number of seconds",
            })?),
        };

        let mut critical = exact_object(critical, "critical", &["type", "image", "identity"])?;
        let kind = string(critical.remove("type"), "critical.type")?;
        if kind != rules.signature_type {
            return Err(PayloadError::Type {
                found: kind,
                expected: rules.signature_type,
            });
        }
        let mut image = exact_object(
            critical.remove("image").unwrap_or_default(),
            "critical.image",
            &["docker-manifest-digest"],
        )?;
        let digest = string(
            image.remove("docker-manifest-digest"),
            "critical.image.docker-manifest-digest",
        )?;
        let manifest_digest =
            Digest::parse(&digest).map_err(|e| PayloadError::Digest(e.to_string()))?;
        let mut identity = exact_object(
            critical.remove("identity").unwrap_or_default(),
            "critical.identity",
            &["docker-reference"],
        )?;
        let docker_reference = string(
            identity.remove("docker-reference"),
            "critical.identity.docker-reference",
        )?;
        Ok(Payload {
            manifest_digest,
            docker_reference,
            creator,
            timestamp,
        })
    }
}

/// An object with exactly the `fields` members, all present.
fn exact_object(
    v: Value,
    field: &'static str,
    fields: &'static [&'static str],
) -> Result<Map<String, Value>, PayloadError> {
    let Value::Object(map) = v else {
        return Err(PayloadError::Field {
            field,
            expected: "a JSON object",
        });
    };
    if let Some(key) = map.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(PayloadError::UnknownField {
            field,
            key: key.clone(),
        });
    }
    if fields.iter().any(|f| !map.contains_key(*f)) {
        return Err(PayloadError::Field {
            field,
            expected: match fields.len() {
                1 => "exactly one member, as the format defines",
                _ => "all of the members the format defines",
            },
        });
    }
    Ok(map)
}

fn string(v: Option<Value>, field: &'static str) -> Result<String, PayloadError> {
    match v {
        Some(Value::String(s)) => Ok(s),
        _ => Err(PayloadError::Field {
            field,
            expected: "a string",
        }),
    }
}

/// containers/image reads the timestamp as a float and requires it to be
/// integral, so `1.0` is accepted and `1.5` is not.
fn integer(v: &Value) -> Option<i64> {
    let Value::Number(n) = v else { return None };
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let f = n.as_f64()?;
    let in_range = (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f);
    (f.fract() == 0.0 && in_range).then_some(f as i64)
}

/// A JSON value whose objects may not repeat a key: serde_json keeps the
/// last duplicate silently, which would let a payload say two things.
pub(crate) struct StrictValue(pub(crate) Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let StrictValue(v) = map.next_value()?;
            if out.insert(key.clone(), v).is_some() {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55";

    fn doc(critical_extra: &str, optional: &str) -> String {
        format!(
            r#"{{"critical":{{"image":{{"docker-manifest-digest":"{D}"}},"type":"atomic container signature","identity":{{"docker-reference":"quay.io/a/b:1"}}{critical_extra}}},"optional":{optional}}}"#
        )
    }

    #[test]
    fn parses_a_red_hat_shaped_payload() {
        let p =
            Payload::parse(doc("", r#"{"creator":"Red Hat RCM Pub 0.79.0-final "}"#).as_bytes())
                .unwrap();
        assert_eq!(p.manifest_digest.to_string(), D);
        assert_eq!(p.docker_reference, "quay.io/a/b:1");
        assert_eq!(p.creator.as_deref(), Some("Red Hat RCM Pub 0.79.0-final "));
        assert_eq!(p.timestamp, None);
    }

    #[test]
    fn optional_unknown_keys_are_ignored_and_timestamp_must_be_integral() {
        let p =
            Payload::parse(doc("", r#"{"timestamp":1700000000,"x":[1,{}]}"#).as_bytes()).unwrap();
        assert_eq!(p.timestamp, Some(1_700_000_000));
        assert_eq!(
            Payload::parse(doc("", r#"{"timestamp":2.0}"#).as_bytes())
                .unwrap()
                .timestamp,
            Some(2)
        );
        for bad in [
            r#"{"timestamp":1.5}"#,
            r#"{"timestamp":"1"}"#,
            r#"{"creator":5}"#,
            "null",
            "[]",
        ] {
            assert!(Payload::parse(doc("", bad).as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn strictness_rules() {
        assert!(matches!(
            Payload::parse(doc(r#","extra":1"#, "{}").as_bytes()),
            Err(PayloadError::UnknownField {
                field: "critical",
                ..
            })
        ));
        let dup = doc("", r#"{"creator":"a","creator":"b"}"#);
        assert!(matches!(
            Payload::parse(dup.as_bytes()),
            Err(PayloadError::Json(_))
        ));
        let trailing = doc("", "{}") + "x";
        assert!(matches!(
            Payload::parse(trailing.as_bytes()),
            Err(PayloadError::Json(_))
        ));
        let no_optional = doc("", "{}").replace(r#","optional":{}"#, "");
        assert!(matches!(
            Payload::parse(no_optional.as_bytes()),
            Err(PayloadError::Field {
                field: "payload",
                ..
            })
        ));
        let wrong_type = doc("", "{}").replace("atomic container signature", "cosign");
        assert!(matches!(
            Payload::parse(wrong_type.as_bytes()),
            Err(PayloadError::Type { .. })
        ));
        let bad_digest = doc("", "{}").replace(D, "sha256:abc");
        assert!(matches!(
            Payload::parse(bad_digest.as_bytes()),
            Err(PayloadError::Digest(_))
        ));
        assert!(Payload::parse(b"").is_err());
    }

    #[test]
    fn sigstore_rules_take_their_type_and_a_null_optional() {
        let cosign = doc("", "null").replace(SIGNATURE_TYPE, SIGSTORE_SIGNATURE_TYPE);
        let p = Payload::parse_with(cosign.as_bytes(), &SIGSTORE).unwrap();
        assert_eq!(p.creator, None);
        assert!(Payload::parse(cosign.as_bytes()).is_err());
        // Each mechanism's type only.
        assert!(matches!(
            Payload::parse_with(doc("", "{}").as_bytes(), &SIGSTORE),
            Err(PayloadError::Type { .. })
        ));
        let no_optional = cosign.replace(r#","optional":null"#, "");
        assert!(Payload::parse_with(no_optional.as_bytes(), &SIGSTORE).is_err());
    }
}
