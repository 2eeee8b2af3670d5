//! Strict JSON decoding: duplicate member names are an error at every depth.
//!
//! `serde_json` keeps the last of two equal member names, so `{"exp":1,"exp":9999999999}` would
//! be read differently by two parsers. RFC 7515 section 5.2 and RFC 8725 say a JWS with duplicate
//! header or claim names must be rejected; this module is how licet does it.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// A JSON value read with duplicate member names rejected.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let StrictValue(value) = map.next_value()?;
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "the member name {} appears more than once",
                    crate::jws::quote(&key)
                )));
            }
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// Parses `bytes` as one JSON object, rejecting duplicate member names at any depth.
///
/// The error is a sentence fragment naming the problem, for the caller to prefix with what was
/// being parsed ("the header", "the claims").
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    let StrictValue(value) =
        serde_json::from_slice(bytes).map_err(|e| format!("is not valid JSON: {e}"))?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(format!("is not a JSON object but {}", type_name(&other))),
    }
}

/// Parses arbitrary strict JSON (any value), rejecting duplicate member names at any depth.
pub(crate) fn parse_value(bytes: &[u8]) -> Result<Value, String> {
    let StrictValue(value) =
        serde_json::from_slice(bytes).map_err(|e| format!("is not valid JSON: {e}"))?;
    Ok(value)
}

/// The JSON type of a value, as a user reads it in an error message.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_top_level_member_is_rejected() {
        let err = parse_object(br#"{"exp":1,"exp":2}"#).unwrap_err();
        assert!(err.contains("`exp` appears more than once"), "{err}");
    }

    #[test]
    fn duplicate_nested_member_is_rejected() {
        let err = parse_object(br#"{"features":{"a":1,"a":1}}"#).unwrap_err();
        assert!(err.contains("`a`"), "{err}");
    }

    #[test]
    fn non_object_is_rejected() {
        assert!(parse_object(b"[1,2]").unwrap_err().contains("an array"));
        assert!(parse_object(b"not json")
            .unwrap_err()
            .contains("not valid JSON"));
    }

    #[test]
    fn ordinary_object_round_trips() {
        let map = parse_object(br#"{"a":[1,2.5,"x",null,true],"b":{"c":-3}}"#).unwrap();
        assert_eq!(map["a"][1], serde_json::json!(2.5));
        assert_eq!(map["b"]["c"], serde_json::json!(-3));
    }
}
