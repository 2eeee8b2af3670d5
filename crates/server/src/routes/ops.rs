//! Operations: `GET /healthz` (the process answers), `GET /readyz` (the database answers and the
//! keys are loaded) and `GET /metrics` (Prometheus text format).
//!
//! On the main listener `/healthz` and `/readyz` are open (they reveal nothing but readiness) and
//! `/metrics` needs a token with `read-metrics`, in `X-Auth-Token` or `Authorization: Bearer`
//! (what Prometheus sends). `--metrics-listen ADDR` serves all three without a token on a
//! listener of the operator's choosing ([`crate::ops_router`]).

use crate::app::AppState;
use crate::auth::{authenticate, require, Permission};
use crate::error::ApiError;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// The content type of the metrics text (OpenMetrics, which Prometheus reads).
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[utoipa::path(get, path = "/healthz", tag = "operations", description = "The process is up and answering",
    responses((status = 200, description = "Always `{\"status\":\"ok\"}` while the process answers", body = crate::openapi::Health)))]
/// `GET /healthz`.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

#[utoipa::path(get, path = "/readyz", tag = "operations", description = "The database answers and the signing keys are loaded",
    responses(
        (status = 200, description = "Ready to serve", body = crate::openapi::Readiness),
        (status = 503, description = "Not ready: `problems` says what is wrong", body = crate::openapi::Readiness),
    ))]
/// `GET /readyz`: one cheap query against the database, and the keys the server signs with.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let mut problems = Vec::new();
    let database = match state.store.ping().await {
        Ok(()) => "ok",
        Err(e) => {
            tracing::warn!(cause = %e, "readiness: the database does not answer");
            problems.push("the database does not answer".to_owned());
            "unavailable"
        }
    };
    let keys = json!({
        "response_signing_key": state.signing_key.kid(),
        "license_signing_key": state.license_signing_key.kid(),
    });
    let (status, word) = if problems.is_empty() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    let body = json!({"status": word, "database": database, "keys": keys, "problems": problems});
    (status, Json(body)).into_response()
}

/// The token of a metrics scrape: `X-Auth-Token`, else `Authorization: Bearer`.
fn scrape_token(headers: &HeaderMap) -> Option<&str> {
    fn as_text(v: &axum::http::HeaderValue) -> &str {
        v.to_str().unwrap_or("\u{0}")
    }
    if let Some(token) = headers.get("x-auth-token") {
        return Some(as_text(token));
    }
    headers.get(header::AUTHORIZATION).map(|v| {
        let text = as_text(v);
        match text.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token,
            _ => "\u{0}",
        }
    })
}

#[utoipa::path(get, path = "/metrics", tag = "operations", description = "Counters in the Prometheus text format (needs `read-metrics`)",
    security(("token" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OpenMetrics text: requests by route template and status, latency histograms, seats in use, rate-limited requests, minted licenses",
         content_type = "application/openmetrics-text", body = String),
        (status = 401, description = "No token, or an unknown or expired one", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks `read-metrics`", body = crate::error::ErrorBody),
        (status = 500, description = "The database did not answer", body = crate::error::ErrorBody),
    ))]
/// `GET /metrics` on the main listener: needs a token with `read-metrics`.
pub async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let path = "/metrics";
    let token = authenticate(
        state.store.as_ref(),
        scrape_token(&headers),
        state.now(),
        path,
    )
    .await?;
    require(&token, Permission::ReadMetrics, path)?;
    Ok(metrics_open(State(state)).await)
}

/// `GET /metrics` on the `--metrics-listen` listener: no token.
pub async fn metrics_open(State(state): State<AppState>) -> Response {
    let seats = match state.store.count_activations().await {
        Ok(seats) => seats,
        Err(e) => return ApiError::internal(e, "/metrics").into_response(),
    };
    match state.metrics.encode(seats) {
        Ok(text) => ([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], text).into_response(),
        Err(e) => ApiError::internal(e, "/metrics").into_response(),
    }
}
