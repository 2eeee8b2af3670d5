//! Time attestations (`licet clock attest`): the vendor signs the current time for a customer
//! machine's request, so that a clock guard whose mark was raised by a clock that ran fast can be
//! reset without the vendor's private key on site (`licet_verifier::clock`).

use crate::mint::{sign_compact, MintError};
use crate::signing_key::SigningKey;
use licet_verifier::clock::{
    verify_time_attestation, ClockError, ClockRequest, TIME_ATTESTATION_TYPE,
};
use licet_verifier::{Algorithm, TrustedKeys, UnixTime};
use serde_json::{Map, Value};

/// A signed time attestation.
#[derive(Debug, Clone)]
pub struct SignedAttestation {
    /// The compact JWS (`typ` `licet-time+jwt`).
    pub token: String,
    /// The request it answers.
    pub request: ClockRequest,
    /// The attested time.
    pub time: UnixTime,
}

/// Why an attestation could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttestError {
    /// The request file is not a time-attestation request.
    #[error("{0}")]
    BadRequest(#[from] ClockError),
    /// Signing failed.
    #[error(transparent)]
    Mint(#[from] MintError),
}

/// Signs `now` for the request in `request` (the bytes of the file `licet clock request` wrote):
/// claims `iat` (the attested time), `nonce` and `sid` (the state's id). The attestation is
/// verified with the key's public key before it is returned.
pub fn attest_time(
    key: &SigningKey,
    alg: Option<Algorithm>,
    request: &[u8],
    now: UnixTime,
) -> Result<SignedAttestation, AttestError> {
    let request = ClockRequest::parse(request)?;
    let mut claims = Map::new();
    claims.insert("iat".into(), Value::from(now.as_secs()));
    claims.insert("nonce".into(), Value::from(request.nonce.clone()));
    claims.insert("sid".into(), Value::from(request.state_id.clone()));
    let alg = alg.unwrap_or_else(|| key.default_algorithm());
    let token = sign_compact(key, alg, TIME_ATTESTATION_TYPE, &claims)?;
    let keys: TrustedKeys = [key.public_key().clone()].into_iter().collect();
    let back = verify_time_attestation(token.as_bytes(), &keys)?;
    if back.time != now || back.nonce != request.nonce || back.state_id != request.state_id {
        return Err(MintError::SelfCheck(
            "the time attestation did not read back unchanged".into(),
        )
        .into());
    }
    Ok(SignedAttestation {
        token,
        request,
        time: now,
    })
}
