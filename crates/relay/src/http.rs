//! The relay's HTTP API (docs/RELAY.md): leases, health and status, with an optional client
//! token. Bodies are bounded in size and time; every answer is JSON.

use crate::engine::{Engine, Granted, Refusal};
use crate::pools::Pool;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use http_body_util::BodyExt as _;
use licet_issuer::pool::sign_lease;
use licet_issuer::SigningKey;
use licet_verifier::lease::LeaseClaims;
use licet_verifier::{MachineId, UnixTime};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// The largest request body read (the optional `{"pool": ...}`), in bytes.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct RelayState {
    /// The lease engine.
    pub engine: Engine,
    /// The pools served.
    pub pools: Arc<Vec<Pool>>,
    /// The relay's key, which signs the leases.
    pub relay_key: Arc<SigningKey>,
    /// SHA-256 of the client token, when one is required.
    pub client_token_sha256: Option<[u8; 32]>,
    /// How long a request body may take to arrive.
    pub body_timeout: Duration,
}

/// The relay's OpenAPI document (docs/RELAY.md describes the same API in prose).
pub const OPENAPI: &str = include_str!("../openapi/relay.openapi.json");

/// The SHA-256 of a client token (what [`RelayState::client_token_sha256`] holds).
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The relay's routes.
pub fn router(state: RelayState) -> Router {
    Router::new()
        .route("/v1/leases/{machine_id}", put(acquire).delete(release))
        .route("/v1/health", get(health))
        .route("/v1/status", get(status))
        .route("/v1/openapi.json", get(openapi))
        .fallback(not_found)
        .with_state(state)
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": code, "message": message.into()})),
    )
        .into_response()
}

fn refusal(r: Refusal) -> Response {
    match r {
        Refusal::NoSeat(m) => error(StatusCode::GONE, "no_seat", m),
        Refusal::UnknownPool(m) => error(StatusCode::NOT_FOUND, "unknown_pool", m),
        Refusal::NotHeld(m) => error(StatusCode::NOT_FOUND, "no_lease", m),
        Refusal::ClockBehind(m) => error(StatusCode::SERVICE_UNAVAILABLE, "clock_behind", m),
        Refusal::Unavailable(m) => error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m),
    }
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route: the relay serves PUT and DELETE /v1/leases/{machine_id}, GET /v1/health, GET /v1/status and GET /v1/openapi.json",
    )
}

/// 401 unless the request carries the client token (when one is set), compared as SHA-256
/// hashes in constant time.
#[allow(clippy::result_large_err)]
fn authorise(state: &RelayState, headers: &HeaderMap) -> Result<(), Response> {
    let Some(expected) = &state.client_token_sha256 else {
        return Ok(());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| token_hash(t.trim()));
    let ok = given
        .is_some_and(|g| aws_lc_rs::constant_time::verify_slices_are_equal(&g, expected).is_ok());
    if ok {
        return Ok(());
    }
    let mut response = error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "this relay needs its client token: send `Authorization: Bearer <token>`",
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"licet-relay\""),
    );
    Err(response)
}

#[allow(clippy::result_large_err)]
fn machine(text: &str) -> Result<MachineId, Response> {
    MachineId::parse(text).map_err(|e| {
        error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_machine_id",
            format!("the machine id in the path is not one: {e} (`licet machine-id` prints this machine's)"),
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeaseBody {
    pool: Option<String>,
}

/// Reads the optional `{"pool": ...}` body within the size and time bounds.
async fn pool_named(state: &RelayState, body: Body) -> Result<Option<String>, Response> {
    let limited = http_body_util::Limited::new(body, MAX_BODY_BYTES);
    let bytes: Bytes = match tokio::time::timeout(state.body_timeout, limited.collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(_)) => {
            return Err(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
            ))
        }
        Err(_) => {
            return Err(error(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                "the request body did not arrive in time",
            ))
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let body: LeaseBody = serde_json::from_slice(&bytes).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "bad_body",
            format!(
                "the body must be empty or {{\"pool\": \"<pool license id or product>\"}}: {e}"
            ),
        )
    })?;
    Ok(body.pool)
}

async fn acquire(
    State(state): State<RelayState>,
    Path(machine_id): Path<String>,
    request: Request,
) -> Response {
    if let Err(r) = authorise(&state, request.headers()) {
        return r;
    }
    let machine = match machine(&machine_id) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let pool = match pool_named(&state, request.into_body()).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match state.engine.acquire(machine.clone(), pool).await {
        Ok(granted) => answer(&state, &machine, granted),
        Err(r) => refusal(r),
    }
}

fn answer(state: &RelayState, machine: &MachineId, granted: Granted) -> Response {
    let claims = LeaseClaims {
        lease_id: granted.lease_id.clone(),
        machine_id: machine.clone(),
        pool_license_id: state.pools[granted.pool].id().to_owned(),
        issued_at: granted.issued_at,
        expires_at: granted.expires_at,
    };
    let token = match sign_lease(&state.relay_key, &claims) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "a lease could not be signed");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the lease could not be signed (see the relay's log)",
            );
        }
    };
    let status = if granted.renewed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let expires_in = (granted.expires_at.as_secs() - granted.issued_at.as_secs()).max(0);
    (
        status,
        Json(json!({
            "lease": token,
            "expires_at": granted.expires_at.as_secs(),
            "expires_in": expires_in,
        })),
    )
        .into_response()
}

async fn release(
    State(state): State<RelayState>,
    Path(machine_id): Path<String>,
    request: Request,
) -> Response {
    if let Err(r) = authorise(&state, request.headers()) {
        return r;
    }
    let machine = match machine(&machine_id) {
        Ok(m) => m,
        Err(r) => return r,
    };
    // Percent-decoded (`?pool=render%20farm`), as a client library encodes it.
    let pool = request.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "pool")
            .map(|(_, v)| v.into_owned())
    });
    match state.engine.release(machine, pool).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => refusal(r),
    }
}

async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI,
    )
        .into_response()
}

async fn health(State(state): State<RelayState>) -> Response {
    let snapshot = state.engine.snapshot();
    if let Some(why) = snapshot.stopped {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "stopped", "message": why})),
        )
            .into_response();
    }
    match snapshot.clock_behind {
        None => (StatusCode::OK, Json(json!({"status": "ok"}))).into_response(),
        // Still 200: the relay is up and holds its leases; `status` says why it grants nothing.
        Some(why) => (
            StatusCode::OK,
            Json(json!({"status": "clock_behind", "message": why})),
        )
            .into_response(),
    }
}

async fn status(State(state): State<RelayState>, headers: HeaderMap) -> Response {
    if let Err(r) = authorise(&state, &headers) {
        return r;
    }
    let snapshot = state.engine.snapshot();
    let pools: Vec<_> = state
        .pools
        .iter()
        .enumerate()
        .map(|(i, pool)| {
            json!({
                "license_id": pool.id(),
                "product": pool.terms.product,
                "seats": pool.terms.seats,
                "in_use": snapshot.pools.get(i).map_or(0, |u| u.in_use),
                "expires_at": pool.terms.expires_at.map(UnixTime::as_secs),
            })
        })
        .collect();
    Json(json!({
        "pools": pools,
        "relay_kid": state.relay_key.kid(),
        "clock_floor": snapshot.clock_floor,
        "clock_behind": snapshot.clock_behind,
        "log_head": snapshot.log_head,
    }))
    .into_response()
}
