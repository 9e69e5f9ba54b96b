//! The signed JSON payload of an atomic container signature, parsed as
//! strictly as containers/image does: exact field sets in `critical`,
//! no duplicate keys anywhere, no trailing data; and as leniently as Go's
//! encoding/json where containers/image relies on it: nesting up to
//! 10,000 levels, `null` for an optional member is as if it were absent,
//! invalid UTF-8 and lone UTF-16 surrogates in strings become U+FFFD.
//! A sigstore (cosign) payload is the same document under its own
//! [`Rules`]: another `critical.type`, and `optional` may be `null`.

use crate::image::digest::Digest;
use crate::io::{DEEP_JSON_STACK, SHALLOW_JSON_NESTING, check_nesting, nests_deeper_than};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;
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
    #[error("payload field {field}: {key:?} is missing")]
    Missing {
        field: &'static str,
        key: &'static str,
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
        let text = go_strings(bytes);
        if !nests_deeper_than(&text, SHALLOW_JSON_NESTING) {
            return Payload::parse_go_text(&text, rules);
        }
        check_nesting(&text).map_err(|e| PayloadError::Json(e.to_string()))?;
        // The parse (and the drop of what it built) recurses once a level:
        // a deep document gets a thread with a stack for its depth.
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("deep-payload".into())
                .stack_size(DEEP_JSON_STACK)
                .spawn_scoped(scope, || Payload::parse_go_text(&text, rules))
                .map_err(|e| PayloadError::Json(format!("cannot start its parser: {e}")))?
                .join()
                .unwrap_or_else(|_| Err(PayloadError::Json("its parser failed".into())))
        })
    }

    /// Parses a payload whose strings are valid UTF-8 (see [`go_strings`]).
    fn parse_go_text(bytes: &[u8], rules: &Rules) -> Result<Payload, PayloadError> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        // The depth was checked by the caller.
        de.disable_recursion_limit();
        let StrictValue(root) = StrictValue::deserialize(&mut de)
            .and_then(|v| de.end().map(|()| v))
            .map_err(|e| PayloadError::Json(e.to_string()))?;
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
        // Go unmarshals `null` into a field by leaving it as it was.
        let creator = match optional.get("creator") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(PayloadError::Field {
                    field: "optional.creator",
                    expected: "a string",
                });
            }
        };
        let timestamp = match optional.get("timestamp") {
            None | Some(Value::Null) => None,
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
    if let Some(key) = fields.iter().find(|f| !map.contains_key(**f)) {
        return Err(PayloadError::Missing { field, key });
    }
    Ok(map)
}

/// The payload as Go's encoding/json reads its strings: invalid UTF-8
/// becomes U+FFFD (outside strings it stays a syntax error), and so does a
/// `\u` escape of a UTF-16 surrogate that is not part of a pair; serde_json
/// refuses both.
fn go_strings(bytes: &[u8]) -> Cow<'_, [u8]> {
    let text = match String::from_utf8_lossy(bytes) {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    };
    if !text.windows(2).any(|w| w == b"\\u") {
        return text;
    }
    let hex4 = |at: usize| -> Option<u16> {
        let digits = std::str::from_utf8(text.get(at..at + 4)?).ok()?;
        u16::from_str_radix(digits, 16).ok()
    };
    let mut out = Vec::with_capacity(text.len());
    let mut in_string = false;
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if !in_string {
            in_string = b == b'"';
            out.push(b);
            i += 1;
            continue;
        }
        match b {
            b'"' => in_string = false,
            b'\\' if text.get(i + 1) == Some(&b'u') => {
                if let Some(unit) = hex4(i + 2) {
                    let high = (0xD800..0xDC00).contains(&unit);
                    let low = (0xDC00..0xE000).contains(&unit);
                    let paired = high
                        && text.get(i + 6..i + 8) == Some(b"\\u")
                        && hex4(i + 8).is_some_and(|u| (0xDC00..0xE000).contains(&u));
                    if paired {
                        out.extend_from_slice(&text[i..i + 12]);
                        i += 12;
                        continue;
                    }
                    if high || low {
                        out.extend_from_slice(b"\\ufffd");
                        i += 6;
                        continue;
                    }
                }
                out.extend_from_slice(&text[i..i + 2]);
                i += 2;
                continue;
            }
            b'\\' => {
                // Any other escape: its second byte is not a quote end.
                out.extend_from_slice(&text[i..(i + 2).min(text.len())]);
                i += 2;
                continue;
            }
            _ => {}
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(out)
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
        let e = Payload::parse(no_optional.as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"payload field payload: "optional" is missing"#
        );
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
    fn go_reads_null_as_absent_and_bad_text_as_replacement_characters() {
        for optional in [
            r#"{"creator":null,"timestamp":null}"#,
            r#"{"creator":null}"#,
        ] {
            let p = Payload::parse(doc("", optional).as_bytes()).unwrap();
            assert_eq!((p.creator, p.timestamp), (None, None), "{optional}");
        }
        let mut bad_utf8 = doc("", r#"{"creator":"a?b"}"#).into_bytes();
        let at = bad_utf8.iter().position(|&b| b == b'?').unwrap();
        bad_utf8[at] = 0xFF;
        let p = Payload::parse(&bad_utf8).unwrap();
        assert_eq!(p.creator.as_deref(), Some("a\u{FFFD}b"));
        for (escaped, read) in [
            (r#""a\ud800b""#, "a\u{FFFD}b"),
            (r#""\udc00""#, "\u{FFFD}"),
            (r#""\ud83d\ude00""#, "\u{1F600}"),
            (r#""\\ud800""#, "\\ud800"),
        ] {
            let optional = format!(r#"{{"creator":{escaped}}}"#);
            let p = Payload::parse(doc("", &optional).as_bytes()).unwrap();
            assert_eq!(p.creator.as_deref(), Some(read), "{escaped}");
        }
    }

    #[test]
    fn optional_may_nest_as_deep_as_go_allows() {
        let deep = |n: usize| format!(r#"{{"x":{}{}}}"#, "[".repeat(n), "]".repeat(n));
        assert!(Payload::parse(doc("", &deep(200)).as_bytes()).is_ok());
        assert!(Payload::parse(doc("", &deep(9_990)).as_bytes()).is_ok());
        let e = Payload::parse(doc("", &deep(10_001)).as_bytes()).unwrap_err();
        assert!(
            e.to_string().contains("nested deeper than 10000 levels"),
            "{e}"
        );
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
