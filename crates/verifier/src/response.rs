//! Checking a signed API response offline (`licet verify-response`): the `{data, signature}`
//! responses of the activation routes (RSA-SHA256 over the RFC 8785 canonical JSON of `data`) and
//! the `{response, response_base64, signature}` envelopes of license-key assignment (RSA-SHA256
//! over the bytes that `response_base64` encodes).

use crate::algorithm::Algorithm;
use crate::keys::TrustedKeys;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

/// Which kind of signed response it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseKind {
    /// `{"data": ..., "signature": ...}`.
    Data,
    /// `{"response": ..., "response_base64": ..., "signature": ...}`.
    Envelope,
}

/// A response whose signature verified.
#[derive(Debug, Clone)]
pub struct VerifiedResponse {
    /// Its kind.
    pub kind: ResponseKind,
    /// The kid of the key that verified it.
    pub kid: String,
    /// The signed content: `data`, or the decoded `response`.
    pub content: Value,
}

/// Why a signed response was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// Not a JSON object.
    #[error("the file is not a JSON object: {0}")]
    NotJson(String),
    /// Neither known shape.
    #[error("the JSON is not a signed response: expected {{\"data\", \"signature\"}} or {{\"response\", \"response_base64\", \"signature\"}}")]
    UnknownShape,
    /// A base64 field does not decode.
    #[error("`{0}` is not standard base64")]
    BadBase64(&'static str),
    /// `response_base64` does not decode to the `response` object shown beside it.
    #[error("`response_base64` does not encode the `response` object shown beside it")]
    Mismatch,
    /// No trusted RSA key verifies the signature.
    #[error("the signature does not verify with any trusted RSA key")]
    BadSignature,
}

/// Verifies a saved signed response against trusted keys (RS256).
pub fn verify_signed_response(
    json: &[u8],
    keys: &TrustedKeys,
) -> Result<VerifiedResponse, ResponseError> {
    let object = match crate::json::parse_value(json).map_err(ResponseError::NotJson)? {
        Value::Object(map) => map,
        _ => return Err(ResponseError::NotJson("it is not an object".into())),
    };
    let signature = match object.get("signature") {
        Some(Value::String(s)) => STANDARD
            .decode(s)
            .map_err(|_| ResponseError::BadBase64("signature"))?,
        _ => return Err(ResponseError::UnknownShape),
    };
    let (kind, message, content) = if let (Some(response), Some(Value::String(encoded))) =
        (object.get("response"), object.get("response_base64"))
    {
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| ResponseError::BadBase64("response_base64"))?;
        let decoded: Value = serde_json::from_slice(&bytes).map_err(|_| ResponseError::Mismatch)?;
        if &decoded != response {
            return Err(ResponseError::Mismatch);
        }
        (ResponseKind::Envelope, bytes, decoded)
    } else if let Some(data) = object.get("data") {
        let canonical =
            serde_jcs::to_vec(data).map_err(|e| ResponseError::NotJson(e.to_string()))?;
        (ResponseKind::Data, canonical, data.clone())
    } else {
        return Err(ResponseError::UnknownShape);
    };
    let key = keys
        .iter()
        .filter(|k| k.algorithms().contains(&Algorithm::RS256))
        .find(|k| {
            k.verify_signature(Algorithm::RS256, &message, &signature)
                .is_ok()
        })
        .ok_or(ResponseError::BadSignature)?;
    Ok(VerifiedResponse {
        kind,
        kid: key.kid().to_owned(),
        content,
    })
}
