//! The server's response-signing key, for clients that check signed responses offline.

use crate::app::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use licet_verifier::Algorithm;

#[utoipa::path(get, path = "/license/public-key", tag = "keys",
    responses(
        (status = 200, description = "SPKI PEM; with the rate-limit headers of every `/license/*` path",
         content_type = "application/x-pem-file", body = String),
        (status = 429, description = "Rate limited (per address); see Retry-After", body = crate::openapi::Message),
    ))]
/// `GET /license/public-key`: the SPKI PEM of the response-signing key.
pub async fn public_key(State(state): State<AppState>) -> Response {
    match state.signing_key.public_key_pem() {
        Ok(pem) => ([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response(),
        Err(e) => crate::error::ApiError::internal(e, "/license/public-key").into_response(),
    }
}

#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "keys",
    responses((status = 200, description = "The response-signing key (RS256)", body = crate::openapi::Jwks)))]
/// `GET /.well-known/jwks.json`: the same key as a JWKS (RS256).
pub async fn jwks(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(licet_issuer::jwks(
        [state.signing_key.public_key()],
        Some(Algorithm::RS256),
    ))
}
