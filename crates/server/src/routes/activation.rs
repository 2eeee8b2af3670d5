//! Machine activation (seed 004): activate, validate and deactivate a license key on a machine.
//! No API token: the license key is the secret. Responses are signed; every response carries
//! rate-limit headers.

// Handlers build either response in place; a boxed error would only add an allocation.
#![allow(clippy::result_large_err)]

use crate::activation::{self, key_hash};
use crate::app::AppState;
use crate::ratelimit::RateDecision;
use crate::signing::signed_envelope;
use crate::store::{Activation, ActivationOutcome, LicenseKeyRecord, SeatFileError};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use licet_verifier::{LicenseKey, MachineId, UnixTime};
use serde_json::{json, Map, Value};
use std::net::SocketAddr;

/// The largest request body of the activation routes.
pub const MAX_ACTIVATION_REQUEST_BYTES: usize = 16 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Activate,
    Validate,
    Deactivate,
}

#[utoipa::path(post, path = "/license/activate", tag = "activation", description = "Take a seat on the machine (idempotent)",
    request_body = crate::openapi::ActivationRequest,
    responses(crate::openapi::ActivationResponses))]
/// `POST /license/activate`.
pub async fn activate(State(state): State<AppState>, request: Request) -> Response {
    handle(state, request, Action::Activate).await
}

#[utoipa::path(post, path = "/license/validate", tag = "activation", description = "Check that the machine holds a seat",
    request_body = crate::openapi::ActivationRequest,
    responses(crate::openapi::ActivationResponses))]
/// `POST /license/validate`.
pub async fn validate(State(state): State<AppState>, request: Request) -> Response {
    handle(state, request, Action::Validate).await
}

#[utoipa::path(post, path = "/license/deactivate", tag = "activation", description = "Free the machine's seat",
    request_body = crate::openapi::ActivationRequest,
    responses(crate::openapi::ActivationResponses))]
/// `POST /license/deactivate`.
pub async fn deactivate(State(state): State<AppState>, request: Request) -> Response {
    handle(state, request, Action::Deactivate).await
}

fn message(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({ "message": text }))).into_response()
}

fn with_rate_headers(mut response: Response, decision: RateDecision, now: i64) -> Response {
    let headers = response.headers_mut();
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    put("x-ratelimit-limit", decision.limit.to_string());
    put("x-ratelimit-remaining", decision.remaining.to_string());
    put("x-ratelimit-reset", decision.reset.to_string());
    if !decision.allowed {
        put("retry-after", (decision.reset - now).max(1).to_string());
    }
    response
}

/// The stricter of two decisions, for the headers.
fn stricter(a: RateDecision, b: RateDecision) -> RateDecision {
    match (a.allowed, b.allowed) {
        (false, _) => a,
        (_, false) => b,
        _ if b.remaining < a.remaining => b,
        _ => a,
    }
}

/// The client's address: as `--trusted-proxy` decides ([`crate::client_addr`]), else the peer.
fn client_ip(request: &Request) -> std::net::IpAddr {
    if let Some(client) = request.extensions().get::<crate::client_addr::ClientAddr>() {
        return client.0;
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
}

fn too_many() -> Response {
    message(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many requests; retry after the time in Retry-After",
    )
}

/// The routes that count their own requests (per address and per key).
const COUNTING_ROUTES: [&str; 3] = [
    "/license/activate",
    "/license/validate",
    "/license/deactivate",
];

/// Middleware: every `/license/*` response carries the rate-limit headers, including those the
/// handlers above do not make (the public key, an unknown path, a wrong method, a timeout). Such
/// requests count against the client's address like any other.
pub async fn rate_limit_license_paths(
    State(state): State<AppState>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    if !request.uri().path().starts_with("/license/") {
        return next.run(request).await;
    }
    let now = state.now();
    let ip = client_ip(&request);
    let counted_by_handler = request.method() == axum::http::Method::POST
        && request
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .is_some_and(|m| COUNTING_ROUTES.contains(&m.as_str()));
    if counted_by_handler {
        let response = next.run(request).await;
        if response.headers().contains_key("x-ratelimit-limit") {
            return response;
        }
        let decision = state
            .rate_limiter
            .peek_ip_addr_in(&state.store, ip, now)
            .await;
        return with_rate_headers(response, decision, now);
    }
    let decision = state
        .rate_limiter
        .count_ip_addr(&state.store, ip, now)
        .await;
    if !decision.allowed {
        state.metrics.rate_limited();
        return with_rate_headers(too_many(), decision, now);
    }
    with_rate_headers(next.run(request).await, decision, now)
}

/// Counts a request against its license key, and holds the decision its headers report.
///
/// A key that does not exist never gets a bucket: made-up keys count against the caller's
/// address only, so a flood of them cannot push real keys' counts out of the table. The do_*
/// functions call [`KeyMeter::count`] after the lookup that found the key and before any change,
/// so a request refused here takes no seat and frees none.
struct KeyMeter<'a> {
    state: &'a AppState,
    key: &'a LicenseKey,
    now: i64,
    decision: RateDecision,
}

impl KeyMeter<'_> {
    /// Counts the (found) key; `Err` is the 429 when its limit or the address's is spent.
    async fn count(&mut self) -> Result<(), Response> {
        let key_decision = self
            .state
            .rate_limiter
            .count_key(&self.state.store, self.key, self.now)
            .await;
        self.decision = stricter(self.decision, key_decision);
        if self.decision.allowed {
            Ok(())
        } else {
            self.state.metrics.rate_limited();
            Err(too_many())
        }
    }
}

async fn handle(state: AppState, request: Request, action: Action) -> Response {
    let now = state.now();
    let ip_decision = state
        .rate_limiter
        .count_ip_addr(&state.store, client_ip(&request), now)
        .await;
    if !ip_decision.allowed {
        state.metrics.rate_limited();
        return with_rate_headers(too_many(), ip_decision, now);
    }
    let too_large = || {
        message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large",
        )
    };
    let body = match Bytes::from_request(request, &state).await {
        Ok(body) if body.len() <= MAX_ACTIVATION_REQUEST_BYTES => body,
        Ok(_) => return with_rate_headers(too_large(), ip_decision, now),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return with_rate_headers(too_large(), ip_decision, now)
        }
        Err(_) => {
            let unreadable = message(
                StatusCode::BAD_REQUEST,
                "The request body could not be read",
            );
            return with_rate_headers(unreadable, ip_decision, now);
        }
    };
    let (key, machine, nonce, hostname) = match parse_request(&body) {
        Ok(parsed) => parsed,
        Err(errors) => {
            let body = json!({"message": "The given data was invalid.", "errors": errors});
            return with_rate_headers(
                (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response(),
                ip_decision,
                now,
            );
        }
    };
    // The key is counted by the do_* functions, once the store has found it.
    let mut meter = KeyMeter {
        state: &state,
        key: &key,
        now,
        decision: ip_decision,
    };
    let answer = Answer { now, nonce };
    let response = match action {
        Action::Activate => {
            do_activate(
                &state,
                &key,
                &machine,
                hostname.as_deref(),
                &answer,
                &mut meter,
            )
            .await
        }
        Action::Validate => do_validate(&state, &key, &machine, &answer, &mut meter).await,
        Action::Deactivate => do_deactivate(&state, &key, &machine, &answer, &mut meter).await,
    };
    with_rate_headers(response.unwrap_or_else(|r| r), meter.decision, now)
}

/// What every signed answer carries besides the seat: the server's time and the request's nonce.
struct Answer {
    now: i64,
    nonce: Option<String>,
}

/// The shortest and longest `nonce` accepted, in characters of base64url.
pub const NONCE_LENGTHS: std::ops::RangeInclusive<usize> = 16..=128;

fn parse_nonce(value: Option<&Value>) -> Result<Option<String>, &'static str> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s))
            if NONCE_LENGTHS.contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(Some(s.clone()))
        }
        Some(Value::String(_)) => {
            Err("The nonce must be 16 to 128 characters of base64url (A-Z, a-z, 0-9, - and _).")
        }
        Some(_) => Err("The nonce must be a string."),
    }
}

fn parse_hostname(value: Option<&Value>) -> Result<Option<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => activation::check_hostname(s).map(|()| Some(s.clone())),
        Some(_) => Err("The hostname must be a string.".into()),
    }
}

/// What a machine route's body names: key, machine, nonce, hostname.
type ParsedRequest = (LicenseKey, MachineId, Option<String>, Option<String>);

/// Field-level validation in the seed's 422 shape.
fn parse_request(body: &[u8]) -> Result<ParsedRequest, Map<String, Value>> {
    let mut errors = Map::new();
    let object = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map,
        _ => {
            errors.insert(
                "body".into(),
                json!(["The body must be a JSON object {\"license_key\", \"machine_id\"} (and optionally \"nonce\")."]),
            );
            return Err(errors);
        }
    };
    let key = match object.get("license_key") {
        None | Some(Value::Null) => Err("The license key field is required."),
        Some(Value::String(s)) => LicenseKey::parse(s)
            .map_err(|_| "The license key must be in the format XXXXX-XXXXX-XXXXX-XXXXX-XXXXX."),
        Some(_) => Err("The license key must be a string."),
    };
    let machine = match object.get("machine_id") {
        None | Some(Value::Null) => Err("The machine id field is required."),
        Some(Value::String(s)) => MachineId::parse(s)
            .map_err(|_| "The machine id must be 64 hexadecimal characters (a SHA-256 digest)."),
        Some(_) => Err("The machine id must be a string."),
    };
    let nonce = parse_nonce(object.get("nonce"));
    let hostname = parse_hostname(object.get("hostname"));
    match (key, machine, nonce, hostname) {
        (Ok(k), Ok(m), Ok(n), Ok(h)) => Ok((k, m, n, h)),
        (k, m, n, h) => {
            if let Err(e) = h {
                errors.insert("hostname".into(), json!([e]));
            }
            if let Err(e) = k {
                errors.insert("license_key".into(), json!([e]));
            }
            if let Err(e) = m {
                errors.insert("machine_id".into(), json!([e]));
            }
            if let Err(e) = n {
                errors.insert("nonce".into(), json!([e]));
            }
            Err(errors)
        }
    }
}

fn rfc3339(secs: i64) -> Value {
    UnixTime::from_secs(secs).map_or(Value::Null, |t| Value::String(t.to_rfc3339()))
}

/// The signed success body: `{"data": {...}, "signature": base64 RSA-SHA256 over JCS(data)}`.
/// `data` carries the server's time and the request's nonce, so an answer cannot be replayed as
/// a later one or as the answer to another request.
fn signed(
    state: &AppState,
    mut data: Map<String, Value>,
    answer: &Answer,
) -> Result<Response, Response> {
    data.insert("timestamp".into(), json!(answer.now));
    if let Some(nonce) = &answer.nonce {
        data.insert("nonce".into(), json!(nonce));
    }
    match signed_envelope(&state.signing_key, &Value::Object(data)) {
        Ok(body) => Ok((
            StatusCode::OK,
            [(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response()),
        Err(e) => Err(internal(e)),
    }
}

fn internal(cause: impl std::fmt::Display) -> Response {
    tracing::error!(%cause, "activation route failed");
    message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

fn seat_data(
    key: &LicenseKey,
    machine: &MachineId,
    record: &LicenseKeyRecord,
    activation: &Activation,
    activations: i64,
    status: &str,
) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("license_key".into(), json!(key.as_str()));
    data.insert("machine_id".into(), json!(machine.as_str()));
    data.insert("status".into(), json!(status));
    data.insert("activated_at".into(), rfc3339(activation.activated_at));
    data.insert(
        "expires_at".into(),
        record.expires_at.map_or(Value::Null, rfc3339),
    );
    data.insert("max_activations".into(), json!(record.max_activations));
    data.insert("activations".into(), json!(activations));
    data.insert(
        "features".into(),
        record.features.clone().map_or(Value::Null, Value::Object),
    );
    data
}

fn with_license_file(
    state: &AppState,
    mut data: Map<String, Value>,
    key: &LicenseKey,
    record: &LicenseKeyRecord,
    activation: &Activation,
    machine: &MachineId,
    answer: &Answer,
) -> Result<Response, Response> {
    let file = seat_file(
        state,
        key,
        record,
        activation,
        machine,
        answer.now,
        "/license/validate",
    )
    .map_err(internal)?;
    data.insert("license_file".into(), json!(file));
    signed(state, data, answer)
}

/// The seat's license file, from the cache or minted now (and then recorded by
/// [`record_minted`] for `route`).
pub(crate) fn seat_file(
    state: &AppState,
    key: &LicenseKey,
    record: &LicenseKeyRecord,
    activation: &Activation,
    machine: &MachineId,
    now: i64,
    route: &'static str,
) -> Result<String, SeatFileError> {
    state.seat_files.get_or_mint(
        &state.license_signing_key,
        key,
        record,
        activation,
        machine,
        now,
        &mut |file| record_minted(state, file, activation, record, now, route),
    )
}

/// What happens to every license file the server mints, before it is cached, committed with its
/// seat, or answered: the ledger entry (`--ledger`), then the metric. A ledger that cannot be
/// written fails the request, so no seat is taken and no file leaves unrecorded.
fn record_minted(
    state: &AppState,
    file: &str,
    activation: &Activation,
    record: &LicenseKeyRecord,
    now: i64,
    route: &'static str,
) -> Result<(), SeatFileError> {
    if let Some(ledger) = &state.ledger {
        ledger.record_seat_file(
            file,
            activation,
            record,
            state.license_signing_key.kid(),
            now,
        )?;
    }
    state.metrics.minted(route);
    Ok(())
}

async fn do_activate(
    state: &AppState,
    key: &LicenseKey,
    machine: &MachineId,
    hostname: Option<&str>,
    answer: &Answer,
    meter: &mut KeyMeter<'_>,
) -> Result<Response, Response> {
    // Looked up before the seat is taken, so that an unknown key makes no bucket and a
    // rate-limited request takes no seat.
    let found = state
        .store
        .get_license_key(&key_hash(key))
        .await
        .map_err(internal)?;
    if found.is_none() {
        return Err(message(StatusCode::NOT_FOUND, "License key not found"));
    }
    meter.count().await?;
    // The file is minted (or taken from the cache) inside the store's transaction: a seat whose
    // file cannot be made is not taken.
    let mut make_file = |record: &LicenseKeyRecord, activation: &Activation| {
        seat_file(
            state,
            key,
            record,
            activation,
            machine,
            answer.now,
            "/license/activate",
        )
    };
    match activation::activate(
        state.store.as_ref(),
        key,
        machine,
        hostname,
        answer.now,
        &mut make_file,
    )
    .await
    .map_err(internal)?
    {
        ActivationOutcome::NotFound => Err(message(StatusCode::NOT_FOUND, "License key not found")),
        ActivationOutcome::Suspended => {
            Err(message(StatusCode::FORBIDDEN, "License key is suspended"))
        }
        ActivationOutcome::Expired => {
            Err(message(StatusCode::FORBIDDEN, "License key has expired"))
        }
        ActivationOutcome::LimitReached { max_activations } => Err(message(
            StatusCode::CONFLICT,
            &format!("Activation limit reached: all {max_activations} seat(s) are in use"),
        )),
        ActivationOutcome::Active {
            key: record,
            activation,
            activations,
            new_seat,
            file,
        } => {
            if new_seat {
                tracing::info!(machine = %machine, activations, "seat taken");
            }
            let mut data = seat_data(
                key,
                machine,
                &record,
                &activation,
                activations,
                &record.status,
            );
            data.insert("license_file".into(), json!(file));
            signed(state, data, answer)
        }
    }
}

/// The key, or the response for a missing, suspended or expired one.
fn usable(
    found: Option<(LicenseKeyRecord, i64)>,
    now: i64,
) -> Result<(LicenseKeyRecord, i64), Response> {
    let (record, count) =
        found.ok_or_else(|| message(StatusCode::NOT_FOUND, "License key not found"))?;
    if record.status != "active" {
        return Err(message(StatusCode::FORBIDDEN, "License key is suspended"));
    }
    if record.expires_at.is_some_and(|exp| now >= exp) {
        return Err(message(StatusCode::FORBIDDEN, "License key has expired"));
    }
    Ok((record, count))
}

fn not_activated() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "This machine is not activated for the license key",
    )
}

async fn do_validate(
    state: &AppState,
    key: &LicenseKey,
    machine: &MachineId,
    answer: &Answer,
    meter: &mut KeyMeter<'_>,
) -> Result<Response, Response> {
    let found = state
        .store
        .find_seat(&key_hash(key), machine.as_str())
        .await
        .map_err(internal)?;
    if found.is_some() {
        meter.count().await?;
    }
    let (found, seat) = match found {
        Some((record, count, seat)) => (Some((record, count)), seat),
        None => (None, None),
    };
    let (record, count) = usable(found, answer.now)?;
    let activation = seat.ok_or_else(not_activated)?;
    // Decided from the row just read: at most one write per seat per granularity, so the hot
    // path stays read-only. A failed stamp is logged, never the machine's problem.
    if activation::validation_stamp_due(
        activation.last_validated_at,
        answer.now,
        state.validation_stamp_secs,
    ) {
        if let Err(e) = state
            .store
            .stamp_validation(
                &record.key_sha256,
                machine.as_str(),
                &activation.license_id,
                answer.now,
            )
            .await
        {
            tracing::warn!(cause = %e, "last_validated_at not recorded");
        }
    }
    let data = seat_data(key, machine, &record, &activation, count, &record.status);
    with_license_file(state, data, key, &record, &activation, machine, answer)
}

async fn do_deactivate(
    state: &AppState,
    key: &LicenseKey,
    machine: &MachineId,
    answer: &Answer,
    meter: &mut KeyMeter<'_>,
) -> Result<Response, Response> {
    let found = state
        .store
        .get_license_key(&key_hash(key))
        .await
        .map_err(internal)?;
    if found.is_some() {
        meter.count().await?;
    }
    let (record, _) = usable(found, answer.now)?;
    let (freed, remaining) = state
        .store
        .deactivate(&key_hash(key), machine.as_str(), None)
        .await
        .map_err(internal)?
        .ok_or_else(not_activated)?;
    state.seat_files.forget(&record.key_sha256, machine);
    let data = seat_data(key, machine, &record, &freed, remaining, "deactivated");
    signed(state, data, answer)
}
