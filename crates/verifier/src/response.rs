//! Checking a signed API response offline (`licet verify-response`): the `{data, signature}`
//! responses of the activation routes (RSA-SHA256 over the RFC 8785 canonical JSON of `data`) and
//! the `{response, response_base64, signature}` envelopes of license-key assignment (RSA-SHA256
//! over the bytes that `response_base64` encodes).
//!
//! A signature alone proves who said it, not when nor to whom: a saved answer verifies for ever.
//! [`verify_fresh_response`] also checks what makes an answer fresh: the `timestamp` the server
//! put in the signed content (not older than a maximum age, not ahead of the clock by more than
//! a tolerance) and the `nonce` the client sent, echoed inside the signed content.
//!
//! ```
//! use licet_verifier::{verify_fresh_response, Freshness, ResponseError, TrustedKeys, UnixTime};
//! let keys = TrustedKeys::new();
//! let freshness = Freshness::at(UnixTime::now()).nonce("wXyZ0123456789abcdEF").max_age_secs(60);
//! let answer = br#"{"data": {"status": "active"}, "signature": "AAAA"}"#;
//! // No trusted key verifies it: refused before freshness is even looked at.
//! assert_eq!(verify_fresh_response(answer, &keys, &freshness).unwrap_err(), ResponseError::BadSignature);
//! ```

use crate::algorithm::Algorithm;
use crate::keys::TrustedKeys;
use crate::timestamp::UnixTime;
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

impl VerifiedResponse {
    /// The server's time in the signed content (`timestamp`, Unix seconds), if it has one.
    pub fn timestamp(&self) -> Option<i64> {
        self.content.get("timestamp").and_then(Value::as_i64)
    }

    /// The nonce echoed in the signed content, if it has one.
    pub fn nonce(&self) -> Option<&str> {
        self.content.get("nonce").and_then(Value::as_str)
    }

    /// Checks that the answer is fresh and answers the request that carried `freshness.nonce`.
    pub fn check_freshness(&self, freshness: &Freshness<'_>) -> Result<(), ResponseError> {
        let named = |field: &'static str| self.content.get(field).and_then(Value::as_str);
        if let Some(expected) = freshness.license_key {
            let expected = crate::LicenseKey::parse(expected)
                .map(|k| k.as_str().to_owned())
                .unwrap_or_else(|_| expected.to_owned());
            if named("license_key") != Some(expected.as_str()) {
                return Err(ResponseError::OtherSubject {
                    field: "license_key",
                    expected,
                    got: named("license_key").unwrap_or("(none)").to_owned(),
                });
            }
        }
        if let Some(expected) = freshness.machine_id {
            if !named("machine_id").is_some_and(|m| m.eq_ignore_ascii_case(expected)) {
                return Err(ResponseError::OtherSubject {
                    field: "machine_id",
                    expected: expected.to_owned(),
                    got: named("machine_id").unwrap_or("(none)").to_owned(),
                });
            }
        }
        if let Some(expected) = freshness.nonce {
            match self.content.get("nonce") {
                None | Some(Value::Null) => return Err(ResponseError::NoNonce),
                Some(Value::String(got)) if got == expected => {}
                Some(got) => {
                    return Err(ResponseError::NonceMismatch {
                        expected: expected.to_owned(),
                        got: got.as_str().map_or_else(|| got.to_string(), str::to_owned),
                    })
                }
            }
        }
        let checks_time = freshness.max_age_secs.is_some();
        let timestamp = match self.content.get("timestamp") {
            Some(Value::Number(n)) => n.as_i64().ok_or(ResponseError::BadTimestamp)?,
            None | Some(Value::Null) if !checks_time => return Ok(()),
            None | Some(Value::Null) => return Err(ResponseError::NoTimestamp),
            Some(_) => return Err(ResponseError::BadTimestamp),
        };
        let now = freshness.now.as_secs();
        // A timestamp from the future is refused whether or not a maximum age was asked for: it
        // is either a server clock gone wrong or an answer made to be replayed later.
        if timestamp > now.saturating_add(i64::from(freshness.clock_tolerance_secs)) {
            return Err(ResponseError::FromTheFuture {
                timestamp,
                ahead_secs: timestamp - now,
                tolerance_secs: freshness.clock_tolerance_secs,
            });
        }
        if let Some(max_age) = freshness.max_age_secs {
            let age = now.saturating_sub(timestamp);
            if age > i64::try_from(max_age).unwrap_or(i64::MAX) {
                return Err(ResponseError::TooOld {
                    timestamp,
                    age_secs: age,
                    max_age_secs: max_age,
                });
            }
        }
        Ok(())
    }
}

/// How far a response's `timestamp` may lie ahead of the verifier's clock by default: five
/// minutes, for clocks that drift between NTP corrections.
pub const DEFAULT_RESPONSE_CLOCK_TOLERANCE_SECS: u32 = 300;

/// What makes a signed answer fresh: the time to judge it at, the nonce the request carried, the
/// oldest answer accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness<'a> {
    /// The verifier's clock.
    pub now: UnixTime,
    /// The nonce the request carried; the answer must echo it exactly.
    pub nonce: Option<&'a str>,
    /// The oldest `timestamp` accepted, in seconds before `now`; an answer without a timestamp is
    /// then refused.
    pub max_age_secs: Option<u64>,
    /// How far `timestamp` may lie ahead of `now`.
    pub clock_tolerance_secs: u32,
    /// The license key the request named; the signed content must name the same one (an
    /// answer for another key, relayed, is refused).
    pub license_key: Option<&'a str>,
    /// The machine id the request named; the signed content must name the same one (an answer
    /// for the machine that holds the seat, relayed to another, is refused).
    pub machine_id: Option<&'a str>,
}

impl<'a> Freshness<'a> {
    /// No nonce and no maximum age (only a timestamp from the future is refused), judged at `now`.
    pub fn at(now: UnixTime) -> Self {
        Freshness {
            now,
            nonce: None,
            max_age_secs: None,
            clock_tolerance_secs: DEFAULT_RESPONSE_CLOCK_TOLERANCE_SECS,
            license_key: None,
            machine_id: None,
        }
    }

    /// Requires the answer to name this license key (compared in canonical form).
    pub fn license_key(self, key: &'a str) -> Self {
        Freshness {
            license_key: Some(key),
            ..self
        }
    }

    /// Requires the answer to name this machine id (compared case-insensitively).
    pub fn machine_id(self, machine: &'a str) -> Self {
        Freshness {
            machine_id: Some(machine),
            ..self
        }
    }

    /// Requires the answer to echo `nonce`.
    pub fn nonce(self, nonce: &'a str) -> Self {
        Freshness {
            nonce: Some(nonce),
            ..self
        }
    }

    /// Requires a `timestamp` at most `secs` old.
    pub fn max_age_secs(self, secs: u64) -> Self {
        Freshness {
            max_age_secs: Some(secs),
            ..self
        }
    }
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
    /// The object has a member that the signed shape does not have.
    #[error("the response has a member `{0}` that a signed {1} response does not have: nobody signed it")]
    UnexpectedMember(String, &'static str),
    /// The answer names another license key or machine than the request did.
    #[error("the signed answer is for {field} {got}, not {expected}: it answers another request (relayed)")]
    OtherSubject {
        /// `license_key` or `machine_id`.
        field: &'static str,
        /// What the request named.
        expected: String,
        /// What the answer names.
        got: String,
    },
    /// A `{data, signature}` file whose `data` is an assignment envelope's content.
    #[error("the `data` is the content of an assignment envelope (it has `code`), repackaged: an activation answer has no `code`")]
    EnvelopeAsData,
    /// `private_key_used` is not `global`.
    #[error("`private_key_used` is {0}, not \"global\": the server signs every envelope with its one key")]
    UnknownKeyUse(String),
    /// A nonce was asked for and the signed content has none.
    #[error("the signed answer carries no nonce, but one was sent: it is not the answer to this request")]
    NoNonce,
    /// The signed nonce is another one.
    #[error("the signed answer carries nonce `{got}`, not `{expected}`: it answers another request (a replay)")]
    NonceMismatch {
        /// The nonce the request carried.
        expected: String,
        /// The nonce in the answer.
        got: String,
    },
    /// A maximum age was asked for and the signed content has no timestamp.
    #[error("the signed answer carries no timestamp, so its age cannot be checked")]
    NoTimestamp,
    /// `timestamp` is not an integer.
    #[error("the signed `timestamp` is not an integer number of Unix seconds")]
    BadTimestamp,
    /// Older than the maximum age.
    #[error("the answer was signed at {} ({age_secs} s ago), older than the maximum age of {max_age_secs} s: it may be a replay", rfc3339(*.timestamp))]
    TooOld {
        /// The signed time, Unix seconds.
        timestamp: i64,
        /// How old it is, in seconds.
        age_secs: i64,
        /// The maximum age, in seconds.
        max_age_secs: u64,
    },
    /// Ahead of the clock by more than the tolerance.
    #[error("the answer was signed at {} ({ahead_secs} s ahead of this clock), beyond the clock tolerance of {tolerance_secs} s", rfc3339(*.timestamp))]
    FromTheFuture {
        /// The signed time, Unix seconds.
        timestamp: i64,
        /// How far ahead, in seconds.
        ahead_secs: i64,
        /// The tolerance, in seconds.
        tolerance_secs: u32,
    },
}

/// Verifies a saved signed response (as [`verify_signed_response`]) and that it is fresh and
/// answers the request that carried `freshness.nonce` ([`VerifiedResponse::check_freshness`]).
pub fn verify_fresh_response(
    json: &[u8],
    keys: &TrustedKeys,
    freshness: &Freshness<'_>,
) -> Result<VerifiedResponse, ResponseError> {
    let verified = verify_signed_response(json, keys)?;
    verified.check_freshness(freshness)?;
    Ok(verified)
}

fn rfc3339(secs: i64) -> String {
    UnixTime::from_secs(secs).map_or_else(|_| format!("Unix time {secs}"), |t| t.to_rfc3339())
}

/// The members each shape may have: anything else was glued on and nobody signed it.
const DATA_MEMBERS: [&str; 2] = ["data", "signature"];
const ENVELOPE_MEMBERS: [&str; 4] = [
    "response",
    "response_base64",
    "private_key_used",
    "signature",
];

/// Verifies a saved signed response against trusted keys (RS256): the signature, and that the
/// object has no member the signed shape does not have. Freshness is not checked here: see
/// [`verify_fresh_response`].
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
    if kind == ResponseKind::Data && content.get("code").is_some() {
        return Err(ResponseError::EnvelopeAsData);
    }
    if let Some(used) = object.get("private_key_used") {
        if used != "global" {
            return Err(ResponseError::UnknownKeyUse(used.to_string()));
        }
    }
    let (allowed, shape): (&[&str], _) = match kind {
        ResponseKind::Data => (&DATA_MEMBERS, "data"),
        ResponseKind::Envelope => (&ENVELOPE_MEMBERS, "envelope"),
    };
    if let Some(extra) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ResponseError::UnexpectedMember(extra.clone(), shape));
    }
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
