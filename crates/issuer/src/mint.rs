//! Minting: claims -> signed compact JWS, verified by the verifier before it is returned.

use crate::signing_key::{SignError, SigningKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use licet_verifier::{
    verify_license, Algorithm, LicenseClaims, MachineCheck, TrustedKeys, VerifyOptions,
};
use serde_json::{json, Value};

/// The `typ` header of every license file licet writes.
pub const LICENSE_TYP: &str = "license+jwt";

/// A freshly signed license file.
#[derive(Debug, Clone)]
pub struct MintedLicense {
    /// The compact JWS, without a trailing newline.
    pub token: String,
    /// The claims it carries.
    pub claims: LicenseClaims,
    /// The signing key's kid.
    pub kid: String,
    /// The signature algorithm.
    pub alg: Algorithm,
}

/// Why a license could not be minted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MintError {
    /// The signature could not be made.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// `exp` is not after `iat` or `nbf`.
    #[error("the expiry {exp} is not after {what} {at}; a license must be valid for some time")]
    EmptyValidity {
        /// The expiry.
        exp: String,
        /// "the issue time" or "the not-before time".
        what: &'static str,
        /// That instant.
        at: String,
    },
    /// The claims could not be encoded.
    #[error("the claims could not be encoded as JSON: {0}")]
    Encoding(String),
    /// The freshly signed file did not verify: a bug, reported rather than written out.
    #[error("the freshly signed license did not verify ({0}); nothing was written")]
    SelfCheck(String),
}

/// Signs `claims` with `key`. `alg` defaults to the key's default (EdDSA or RS256).
///
/// The result is verified with licet's own verifier (signature, structure, and that every claim
/// reads back unchanged) before it is returned, so a file that licet writes is one it accepts.
pub fn mint_license(
    key: &SigningKey,
    alg: Option<Algorithm>,
    claims: &LicenseClaims,
) -> Result<MintedLicense, MintError> {
    let alg = alg.unwrap_or_else(|| key.default_algorithm());
    if let Some(exp) = claims.expires_at {
        let (what, start) = match claims.not_before {
            Some(nbf) if nbf > claims.issued_at => ("the not-before time", nbf),
            _ => ("the issue time", claims.issued_at),
        };
        if exp <= start {
            return Err(MintError::EmptyValidity {
                exp: exp.to_rfc3339(),
                what,
                at: start.to_rfc3339(),
            });
        }
    }
    let token = sign_compact(key, alg, LICENSE_TYP, &claims.to_json())?;
    self_check(key, &token, claims)?;
    Ok(MintedLicense {
        token,
        claims: claims.clone(),
        kid: key.kid().to_owned(),
        alg,
    })
}

/// A compact JWS of `claims` with the header `{"alg", "typ", "kid"}` (the kid of `key`).
pub(crate) fn sign_compact(
    key: &SigningKey,
    alg: Algorithm,
    typ: &str,
    claims: &serde_json::Map<String, Value>,
) -> Result<String, MintError> {
    let header = json!({"alg": alg.name(), "typ": typ, "kid": key.kid()});
    let header = serde_json::to_vec(&header).map_err(|e| MintError::Encoding(e.to_string()))?;
    let payload = serde_json::to_vec(claims).map_err(|e| MintError::Encoding(e.to_string()))?;
    let mut token = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = key.sign(alg, token.as_bytes())?;
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Ok(token)
}

fn self_check(key: &SigningKey, token: &str, claims: &LicenseClaims) -> Result<(), MintError> {
    let keys: TrustedKeys = [key.public_key().clone()].into_iter().collect();
    // Evaluate at the start of validity, on a bound machine: only signature and structure matter here.
    let mut options = VerifyOptions::at(
        claims
            .not_before
            .unwrap_or(claims.issued_at)
            .max(claims.issued_at),
    )
    .accepting_pool_licenses();
    if let Some(first) = claims.machine_ids.as_ref().and_then(|ids| ids.first()) {
        options.machine = MachineCheck::Machine(first.clone());
    }
    options.product = claims.product.clone();
    let report = verify_license(token.as_bytes(), &keys, &options);
    match report.verified_license() {
        Some(verified) if verified.claims() == claims && report.valid => Ok(()),
        Some(_) if !report.valid => Err(MintError::SelfCheck(report.reason)),
        Some(_) => Err(MintError::SelfCheck(
            "the claims did not read back unchanged".into(),
        )),
        None => Err(MintError::SelfCheck(report.reason)),
    }
}
