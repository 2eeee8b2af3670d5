//! Text the API accepts: no NUL character (U+0000) in any field, key, parameter or path.
//!
//! PostgreSQL cannot store a NUL in `TEXT` or `JSONB` (it fails the statement), C strings end
//! at one (the C binding shows it as U+FFFD rather than cut a claim short), and no name,
//! id or feature needs one. So the API refuses it at the door on both backends alike, with an
//! error that names the field, before anything is stored (docs/API.md, "Text").

use crate::error::ApiError;
use serde_json::Value;

/// The message of every refusal, after the field's name.
pub(crate) const CONTAINS_NUL: &str =
    "contains a NUL character (U+0000), which no text of this API accepts";

/// Where the first NUL of a JSON document is: the JSON Pointer (RFC 6901) of the string or the
/// member name that holds it (`""` for a top-level string), or `None` when there is none or
/// the body is not JSON (the route's own parser then reports that).
pub fn nul_in_json(body: &[u8]) -> Option<String> {
    // In JSON text a NUL can only be written as the escape `\u0000` (a raw control character
    // is not valid JSON), so a body without those six bytes needs no parsing.
    if !body.windows(6).any(|w| w == b"\\u0000") {
        return None;
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    find_nul(&value, &mut String::new())
}

fn find_nul(value: &Value, pointer: &mut String) -> Option<String> {
    match value {
        Value::String(s) if s.contains('\0') => Some(pointer.clone()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = pointer.len();
            pointer.push('/');
            pointer.push_str(&i.to_string());
            let found = find_nul(item, pointer);
            pointer.truncate(len);
            found
        }),
        Value::Object(members) => members.iter().find_map(|(name, item)| {
            let len = pointer.len();
            pointer.push('/');
            pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
            let found = if name.contains('\0') {
                Some(pointer.clone())
            } else {
                find_nul(item, pointer)
            };
            pointer.truncate(len);
            found
        }),
        _ => None,
    }
}

/// Where the first NUL of a JSON value is, as in [`nul_in_json`]: for text that reaches the
/// library from elsewhere than a request body (the `--feature` values of the CLI, read by the license-key library).
pub fn nul_in_value(value: &Value) -> Option<String> {
    find_nul(value, &mut String::new())
}

/// The refusal of the text fields of a license key, in the API's words (`The field `customer`
/// ...`, `The field /features/tier ...`); `Ok` when none holds a NUL. The license-key
/// library checks this itself, so the CLI's `--db` commands refuse what the API refuses.
pub fn check_key_text<'a>(
    fields: impl IntoIterator<Item = (&'static str, Option<&'a str>)>,
    features: Option<&serde_json::Map<String, Value>>,
) -> Result<(), String> {
    for (field, value) in fields {
        if value.is_some_and(|v| v.contains('\0')) {
            return Err(format!("The field `{field}` {CONTAINS_NUL}"));
        }
    }
    if let Some(pointer) = features.and_then(|f| nul_in_value(&Value::Object(f.clone()))) {
        return Err(format!(
            "The field /features{} {CONTAINS_NUL}",
            pointer.replace('\0', "\\u0000")
        ));
    }
    Ok(())
}

/// The refusal of a JSON body that holds a NUL, naming where (the NUL itself is shown as
/// `\u0000`, so the message stays printable); `None` when it holds none.
pub fn nul_in_json_message(body: &[u8]) -> Option<String> {
    let pointer = nul_in_json(body)?;
    let place = if pointer.is_empty() {
        "The body".to_owned()
    } else {
        format!("The field {}", pointer.replace('\0', "\\u0000"))
    };
    Some(format!("{place} {CONTAINS_NUL}"))
}

/// 400 (LE_ERR_SS_008) when a JSON body holds a NUL anywhere: [`nul_in_json_message`].
pub fn refuse_nul_in_json(body: &[u8], path: &str) -> Result<(), ApiError> {
    match nul_in_json_message(body) {
        None => Ok(()),
        Some(message) => Err(ApiError::validation(message, path)),
    }
}

/// The same refusal for one text field of a form or a path: `Err` with the field's name.
pub fn refuse_nul(field: &str, value: &str, path: &str) -> Result<(), ApiError> {
    if value.contains('\0') {
        return Err(ApiError::validation(
            format!("The field `{field}` {CONTAINS_NUL}"),
            path,
        ));
    }
    Ok(())
}

/// The refusal of a verified license that holds a NUL in any claim, naming the claim by its
/// JSON Pointer (`/licenseId`, `/features/tier`); `None` when it holds none. A vendor can sign
/// such a file (the format allows any JSON string), but the server stores and logs its ids, so
/// it is refused like any other text that holds one.
pub fn nul_in_claims_message(claims: &licet_verifier::LicenseClaims) -> Option<String> {
    let pointer = find_nul(&Value::Object(claims.to_json()), &mut String::new())?;
    Some(format!(
        "The license's claim {} {CONTAINS_NUL}",
        pointer.replace('\0', "\\u0000")
    ))
}

/// 400 (LE_ERR_SS_008) when a verified license holds a NUL in any claim:
/// [`nul_in_claims_message`].
pub fn refuse_nul_in_claims(
    claims: &licet_verifier::LicenseClaims,
    path: &str,
) -> Result<(), ApiError> {
    match nul_in_claims_message(claims) {
        None => Ok(()),
        Some(message) => Err(ApiError::validation(message, path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pointer_names_the_string_or_the_member_name() {
        assert_eq!(nul_in_json(br#"{"a":"x"}"#), None);
        assert_eq!(nul_in_json(br#"{"a":"x\u0000"}"#).as_deref(), Some("/a"));
        assert_eq!(
            nul_in_json(br#"{"a":{"b":["ok","\u0000"]}}"#).as_deref(),
            Some("/a/b/1")
        );
        assert_eq!(
            nul_in_json(br#"{"a/b~":{"c\u0000":1}}"#).as_deref(),
            Some("/a~1b~0/c\0")
        );
        assert_eq!(nul_in_json(br#""\u0000""#).as_deref(), Some(""));
    }

    #[test]
    fn an_escaped_backslash_or_broken_json_is_no_nul() {
        assert_eq!(nul_in_json(br#"{"a":"\\u0000"}"#), None);
        assert_eq!(
            nul_in_json(br#"{"a":"\u0000"#),
            None,
            "not JSON: the route reports it"
        );
        assert_eq!(nul_in_json(b"no json here"), None);
    }

    #[test]
    fn refusals_are_400_and_printable() {
        let e = refuse_nul_in_json(br#"{"c\u0000":1}"#, "/p").unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::BAD_REQUEST);
        // The message itself (not its Debug form, which escapes a NUL whatever it holds).
        let message = nul_in_json_message(br#"{"c\u0000":1}"#).unwrap();
        assert!(message.contains("/c\\u0000"), "{message}");
        assert!(!message.contains('\0'), "{message}");
        assert_eq!(
            nul_in_value(&serde_json::json!({"a": ["x\0"]})).as_deref(),
            Some("/a/0")
        );
        // A NUL in a member name is in the pointer itself: the messages escape it.
        let pointer = nul_in_value(&serde_json::json!({"k\0": 1})).unwrap();
        assert_eq!(pointer, "/k\0");
        assert!(refuse_nul("name", "ok", "/p").is_ok());
        assert!(refuse_nul("name", "a\0b", "/p").is_err());
    }
}
