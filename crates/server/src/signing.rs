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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_sorts_keys_recursively() {
        let data = json!({"b": 1, "a": {"d": [3, {"z": 1, "y": 2}], "c": "x"}});
        assert_eq!(
            canonical_json(&data).unwrap(),
            br#"{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}"#
        );
    }
}
