//! The server's public keys: the response-signing key (for clients that check signed responses)
//! and the license-signing key (for `licet verify --pubkey` and products that check seat
//! licenses).

use crate::app::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use licet_issuer::SigningKey;
use licet_verifier::Algorithm;

fn pem_of(key: &SigningKey, path: &str) -> Response {
    match key.public_key_pem() {
        Ok(pem) => ([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response(),
        Err(e) => crate::error::ApiError::internal(e, path).into_response(),
    }
}

#[utoipa::path(get, path = "/license/public-key", tag = "keys",
    responses(
        (status = 200, description = "SPKI PEM of the response-signing key; with the rate-limit headers of every `/license/*` path",
         content_type = "application/x-pem-file", body = String),
        (status = 429, description = "Rate limited (per address); see Retry-After", body = crate::openapi::Message),
    ))]
/// `GET /license/public-key`: the SPKI PEM of the response-signing key.
pub async fn public_key(State(state): State<AppState>) -> Response {
    pem_of(&state.signing_key, "/license/public-key")
}

#[utoipa::path(get, path = "/license/vendor-public-key", tag = "keys",
    responses(
        (status = 200, description = "SPKI PEM of the key that signs seat licenses (with its `licet-algorithm:` line when the key file records one): what `licet verify --pubkey` takes; with the rate-limit headers of every `/license/*` path",
         content_type = "application/x-pem-file", body = String),
        (status = 429, description = "Rate limited (per address); see Retry-After", body = crate::openapi::Message),
    ))]
/// `GET /license/vendor-public-key`: the SPKI PEM of the license-signing key.
pub async fn vendor_public_key(State(state): State<AppState>) -> Response {
    pem_of(&state.license_signing_key, "/license/vendor-public-key")
}

#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "keys",
    responses((status = 200, description = "The license-signing key (its algorithm) and the response-signing key (RS256); one entry when they are the same key", body = crate::openapi::Jwks)))]
/// `GET /.well-known/jwks.json`: the license-signing key with its algorithm, then the
/// response-signing key with RS256 (once when they are one key).
pub async fn jwks(State(state): State<AppState>) -> Json<serde_json::Value> {
    let license = &state.license_signing_key;
    let mut keys = vec![license.public_key().jwk(Some(license.default_algorithm()))];
    if license.kid() != state.signing_key.kid() {
        keys.push(state.signing_key.public_key().jwk(Some(Algorithm::RS256)));
    }
    Json(serde_json::json!({ "keys": keys }))
}
