//! Signed responses: RSA PKCS#1 v1.5 SHA-256 (constant-time, aws-lc-rs through licet's
//! `SigningKey`) over the RFC 8785 canonical JSON of the data, as standard base64.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use licet_issuer::SigningKey;
use licet_verifier::Algorithm;
use serde_json::Value;

/// Why a response could not be signed.
#[derive(Debug, thiserror::Error)]
#[error("the response could not be signed: {0}")]
pub struct SigningError(String);

/// The RFC 8785 (JCS) canonical bytes of `data`: keys sorted recursively, no whitespace.
pub fn canonical_json(data: &Value) -> Result<Vec<u8>, SigningError> {
    serde_jcs::to_vec(data).map_err(|e| SigningError(e.to_string()))
}

/// Base64 RSA-SHA256 signature over `bytes`.
pub fn sign_bytes(key: &SigningKey, bytes: &[u8]) -> Result<String, SigningError> {
    let signature = key
        .sign(Algorithm::RS256, bytes)
        .map_err(|e| SigningError(e.to_string()))?;
    Ok(STANDARD.encode(signature))
}

/// Base64 RSA-SHA256 signature over the canonical JSON of `data`.
pub fn sign_canonical(key: &SigningKey, data: &Value) -> Result<String, SigningError> {
    sign_bytes(key, &canonical_json(data)?)
}

/// The signed envelope `{"data": data, "signature": base64 RSA-SHA256 over JCS(data)}` as JSON
/// bytes, with `data` written in its canonical form: the bytes signed are the bytes sent, and
/// `data` is serialized once rather than once to sign and again to answer.
pub fn signed_envelope(key: &SigningKey, data: &Value) -> Result<Vec<u8>, SigningError> {
    let canonical = canonical_json(data)?;
    let signature = sign_bytes(key, &canonical)?;
    let mut body = Vec::with_capacity(canonical.len() + signature.len() + 24);
    body.extend_from_slice(b"{\"data\":");
    body.extend_from_slice(&canonical);
    body.extend_from_slice(b",\"signature\":\"");
    // Base64 (the standard alphabet) needs no escaping in a JSON string.
    body.extend_from_slice(signature.as_bytes());
    body.extend_from_slice(b"\"}");
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_is_json_whose_signature_covers_the_canonical_data() {
        let key = SigningKey::generate(licet_issuer::KeySpec::Rsa(2048)).unwrap();
        let data = json!({"b": [1, "\u{e9}"], "a": {"z": null, "y": "x\"y"}});
        let body = signed_envelope(&key, &data).unwrap();
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed["data"], data);
        assert_eq!(parsed.as_object().unwrap().len(), 2);
        // PKCS#1 v1.5 is deterministic: the same signature as over the canonical bytes.
        assert_eq!(
            parsed["signature"].as_str().unwrap(),
            sign_canonical(&key, &data).unwrap()
        );
    }

    #[test]
    fn canonical_form_sorts_keys_recursively() {
        let data = json!({"b": 1, "a": {"d": [3, {"z": 1, "y": 2}], "c": "x"}});
        assert_eq!(
            canonical_json(&data).unwrap(),
            br#"{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}"#
        );
    }
}
