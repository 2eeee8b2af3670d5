//! The way back for a clock guard whose mark was raised by a clock that ran fast: a time
//! attestation, requested and applied by file like offline activation.
//!
//! 1. On the isolated machine, [`request_time_attestation`] records a nonce in the state and
//!    returns a request (`licet clock request`) naming the state's id and the nonce.
//! 2. The vendor signs the current time for that request (`licet clock attest`, in the issuer):
//!    a JWS with `typ` [`TIME_ATTESTATION_TYPE`] and claims `iat` (the attested time), `nonce`
//!    and `sid` (the state's id).
//! 3. [`apply_time_attestation`] verifies it with the trusted keys, checks that it answers a
//!    pending request of this state, and resets the state's mark to the attested time, even when
//!    that is earlier than the mark: the vendor's clock is the trusted one.
//!
//! No private key is needed on site, and an attestation applies once, to one state.

use crate::jws::{self, quote};
use crate::keys::TrustedKeys;
use crate::state::{ClockRequestRecord, StateError, VerifierState, DEFAULT_LOCK_TIMEOUT};
use crate::timestamp::UnixTime;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

/// The `type` of a time-attestation request file.
pub const CLOCK_REQUEST_TYPE: &str = "licet-clock-request";
/// The `typ` of a time attestation (a compact JWS).
pub const TIME_ATTESTATION_TYPE: &str = "licet-time+jwt";
/// The largest request or attestation read, in bytes.
pub const MAX_CLOCK_FILE_BYTES: usize = 16 * 1024;
/// How many unanswered requests a state keeps (the oldest are dropped).
const MAX_PENDING_REQUESTS: usize = 16;
/// How far the state's mark may have grown between a request and its attestation being applied:
/// past it, the attestation is refused as stale. A customer who kept an attestation for a year,
/// while valid checks moved the mark on, cannot use it to rewind the mark by that year.
pub const MAX_MARK_GROWTH_SECS: i64 = 7 * 86_400;

/// A time-attestation request, as written to a file (JSON) and carried to the vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockRequest {
    /// [`CLOCK_REQUEST_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// 1.
    pub version: u32,
    /// The id of the state that made the request.
    pub state_id: String,
    /// 128 random bits, base64url.
    pub nonce: String,
    /// The machine's clock when it made the request (RFC 3339; for the vendor's information:
    /// how far off it is).
    pub clock: String,
}

impl ClockRequest {
    /// Reads a request strictly: type, version and every field's format.
    pub fn parse(bytes: &[u8]) -> Result<Self, ClockError> {
        let bad = |m: String| ClockError::BadFile(m);
        if bytes.len() > MAX_CLOCK_FILE_BYTES {
            return Err(bad(format!(
                "the file is larger than {MAX_CLOCK_FILE_BYTES} bytes"
            )));
        }
        let object = crate::json::parse_object(bytes).map_err(|e| {
            bad(format!(
                "the file is not a JSON object ({e}); a time-attestation request is the JSON file `licet clock request` writes"
            ))
        })?;
        match object.get("type").and_then(Value::as_str) {
            Some(CLOCK_REQUEST_TYPE) => {}
            Some(other) => {
                return Err(bad(format!(
                    "the file's `type` is {}, not {CLOCK_REQUEST_TYPE}: it is not a time-attestation request",
                    quote(other)
                )))
            }
            None => {
                return Err(bad(format!(
                    "the file has no `type`; a time-attestation request has `type` {CLOCK_REQUEST_TYPE}"
                )))
            }
        }
        let request: ClockRequest = serde_json::from_value(Value::Object(object))
            .map_err(|e| bad(format!("the time-attestation request {e}")))?;
        if request.version != 1 {
            return Err(bad(format!(
                "version {} is not one this licet knows (1)",
                request.version
            )));
        }
        if !is_hex_id(&request.state_id) {
            return Err(bad("state_id: expected 32 hexadecimal characters".into()));
        }
        if !is_nonce(&request.nonce) {
            return Err(bad(
                "nonce: expected 22 base64url characters (128 bits)".into()
            ));
        }
        UnixTime::parse_rfc3339(&request.clock).map_err(|e| bad(format!("clock: {e}")))?;
        Ok(request)
    }

    /// The compact JSON of the request (what is written and carried).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn is_nonce(text: &str) -> bool {
    text.len() == 22
        && URL_SAFE_NO_PAD
            .decode(text)
            .is_ok_and(|bytes| bytes.len() == 16)
}

fn is_hex_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Why a time attestation or its request could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClockError {
    /// The state could not be used.
    #[error(transparent)]
    State(#[from] StateError),
    /// The file is not what was expected.
    #[error("{0}")]
    BadFile(String),
    /// The attestation did not verify.
    #[error("the time attestation was refused: {0}")]
    Refused(String),
    /// The attestation answers a request this state did not make (or already applied).
    #[error("the time attestation answers nonce {nonce}, which no pending request of this state has (another machine's, or applied already): make a new request with `licet clock request`")]
    UnknownNonce {
        /// The attestation's nonce.
        nonce: String,
    },
    /// The mark grew too much since the request: the attestation was kept, not applied at once.
    #[error("the state's mark has moved on since this attestation was requested (by {grown_secs} s; at most {MAX_MARK_GROWTH_SECS} s, and a request made before the state had a mark is stale once it has one): a kept attestation cannot rewind it; make a new request")]
    Stale {
        /// How far the mark grew, in seconds.
        grown_secs: i64,
    },
    /// The attestation is for another state.
    #[error("the time attestation is for state {attested}, not this state ({this}): it was requested from another machine or state directory")]
    OtherState {
        /// The attestation's state id.
        attested: String,
        /// This state's id.
        this: String,
    },
}

/// Records a new request in the state at `dir` (creating the state's id if needed) and returns
/// it, to be written to a file and carried to the vendor.
pub fn request_time_attestation(dir: &Path, now: UnixTime) -> Result<ClockRequest, ClockError> {
    let _lock = VerifierState::lock_within(dir, DEFAULT_LOCK_TIMEOUT)?;
    let mut state = VerifierState::load(dir)?;
    let state_id = state.ensure_id()?;
    let nonce = crate::offline::new_nonce().map_err(|e| ClockError::BadFile(e.to_string()))?;
    state.clock_requests.push(ClockRequestRecord {
        nonce: nonce.clone(),
        requested_at: now.as_secs(),
        mark_at_request: state.latest_seen,
    });
    let excess = state
        .clock_requests
        .len()
        .saturating_sub(MAX_PENDING_REQUESTS);
    state.clock_requests.drain(..excess);
    state.save(dir)?;
    Ok(ClockRequest {
        kind: CLOCK_REQUEST_TYPE.into(),
        version: 1,
        state_id,
        nonce,
        clock: now.to_rfc3339(),
    })
}

/// What applying an attestation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedAttestation {
    /// The attested time.
    pub attested: String,
    /// The state's mark before (RFC 3339), if it had one.
    pub previous_mark: Option<String>,
    /// The kid of the key that signed it.
    pub kid: String,
    /// How far the machine's clock is from the attested time when applied, in seconds (positive:
    /// ahead). Only meaningful when applied soon after it was made.
    pub clock_offset_secs: i64,
}

/// A verified time attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeAttestation {
    /// The attested time.
    pub time: UnixTime,
    /// The request's nonce.
    pub nonce: String,
    /// The requesting state's id.
    pub state_id: String,
    /// The kid of the key that signed it.
    pub kid: String,
}

/// Verifies a time attestation's signature, `typ` and claims (not whether it answers a request
/// of a state: [`apply_time_attestation`] does that).
pub fn verify_time_attestation(
    bytes: &[u8],
    keys: &TrustedKeys,
) -> Result<TimeAttestation, ClockError> {
    if bytes.len() > MAX_CLOCK_FILE_BYTES {
        return Err(ClockError::BadFile(format!(
            "the time attestation is larger than {MAX_CLOCK_FILE_BYTES} bytes"
        )));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ClockError::BadFile("the time attestation is not UTF-8 text".into()))?;
    let text = text.trim();
    if text.starts_with('{') {
        return Err(ClockError::BadFile(
            "the file is JSON, not a time attestation: it looks like the request itself; the vendor turns it into an attestation with `licet clock attest`".into(),
        ));
    }
    let decoded = jws::decode(text).map_err(|e| ClockError::Refused(e.to_string()))?;
    match decoded.header().get("typ") {
        Some(Value::String(typ)) if typ.eq_ignore_ascii_case(TIME_ATTESTATION_TYPE) => {}
        Some(Value::String(typ)) => {
            return Err(ClockError::BadFile(format!(
                "the file has `typ` {}, not {TIME_ATTESTATION_TYPE}: it is not a time attestation (a license or a revocation list?)",
                quote(typ)
            )))
        }
        _ => {
            return Err(ClockError::BadFile(format!(
                "the token has no `typ` {TIME_ATTESTATION_TYPE}: it is not a time attestation"
            )))
        }
    }
    let verified = decoded
        .verify(keys)
        .map_err(|e| ClockError::Refused(e.to_string()))?;
    let kid = verified.key().kid().to_owned();
    let claims = crate::json::parse_object(verified.payload())
        .map_err(|e| ClockError::Refused(format!("the claims {e}")))?;
    let text_claim = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                ClockError::Refused(format!("the claim `{name}` is missing or not a string"))
            })
    };
    let time = claims
        .get("iat")
        .and_then(Value::as_i64)
        .and_then(|t| UnixTime::from_secs(t).ok())
        .ok_or_else(|| ClockError::Refused("the claim `iat` is missing or not a time".into()))?;
    let nonce = text_claim("nonce")?;
    let state_id = text_claim("sid")?;
    Ok(TimeAttestation {
        time,
        nonce,
        state_id,
        kid,
    })
}

/// Applies a time attestation to the state at `dir`: verified with `keys`, it must answer a
/// pending request of this state; the state's mark becomes the attested time and the request is
/// consumed. `now` is the machine's clock (for the offset reported).
pub fn apply_time_attestation(
    dir: &Path,
    bytes: &[u8],
    keys: &TrustedKeys,
    now: UnixTime,
) -> Result<AppliedAttestation, ClockError> {
    let attestation = verify_time_attestation(bytes, keys)?;
    let _lock = VerifierState::lock_within(dir, DEFAULT_LOCK_TIMEOUT)?;
    let mut state = VerifierState::load(dir)?;
    let this = state.state_id.clone().unwrap_or_default();
    if attestation.state_id != this {
        return Err(ClockError::OtherState {
            attested: attestation.state_id,
            this: if this.is_empty() {
                "none yet".into()
            } else {
                this
            },
        });
    }
    let Some(position) = state
        .clock_requests
        .iter()
        .position(|r| r.nonce == attestation.nonce)
    else {
        return Err(ClockError::UnknownNonce {
            nonce: attestation.nonce,
        });
    };
    let record = &state.clock_requests[position];
    // A request made before the state had any mark is stale once it has one: its baseline
    // would be the machine's own clock, which the customer controls.
    let grown = match (record.mark_at_request, state.latest_seen) {
        (Some(then), Some(now_mark)) => now_mark.saturating_sub(then),
        (None, Some(_)) => i64::MAX,
        (_, None) => 0,
    };
    if grown > MAX_MARK_GROWTH_SECS {
        return Err(ClockError::Stale { grown_secs: grown });
    }
    let previous_mark = state
        .latest_seen
        .and_then(|t| UnixTime::from_secs(t).ok())
        .map(|t| t.to_rfc3339());
    state.latest_seen = Some(attestation.time.as_secs());
    // Every pending request goes, not only this one: a second request kept pending from before
    // the reset would carry the old, high mark as its baseline and rewind the mark again later.
    state.clock_requests.clear();
    state.save(dir)?;
    Ok(AppliedAttestation {
        attested: attestation.time.to_rfc3339(),
        previous_mark,
        kid: attestation.kid,
        clock_offset_secs: now.as_secs() - attestation.time.as_secs(),
    })
}
