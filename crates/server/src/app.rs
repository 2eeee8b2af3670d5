//! The application: shared state and the router. Tests call [`router`] directly.

use crate::routes;
use crate::store::Store;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use licet_issuer::SigningKey;
use licet_verifier::{TrustedKeys, UnixTime};
use std::sync::Arc;
use std::time::Instant;

/// The current time as Unix seconds; replaceable in tests.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Vendor keys that installed license files must verify against.
    pub trusted: Arc<TrustedKeys>,
    /// The RSA key that signs API responses (`private_key_used: "global"`).
    pub signing_key: Arc<SigningKey>,
    /// The clock.
    pub clock: Clock,
}

impl AppState {
    /// State with the system clock.
    pub fn new(store: Arc<dyn Store>, trusted: TrustedKeys, signing_key: SigningKey) -> Self {
        AppState {
            store,
            trusted: Arc::new(trusted),
            signing_key: Arc::new(signing_key),
            clock: Arc::new(|| UnixTime::now().as_secs()),
        }
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        (self.clock)()
    }
}

/// The largest request body of the JSON license routes (a license file is at most 64 KiB).
pub const MAX_LICENSE_REQUEST_BYTES: usize = 256 * 1024;

/// Builds the router with every route, request ids and access logs.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/api/v1/licenses",
            get(routes::licenses::list).post(routes::licenses::install),
        )
        .route(
            "/api/v1/licenses/{license_id}",
            get(routes::licenses::get_one).patch(routes::licenses::set_enabled),
        )
        .route("/license/public-key", get(routes::keys::public_key))
        .route("/.well-known/jwks.json", get(routes::keys::jwks))
        .layer(DefaultBodyLimit::max(MAX_LICENSE_REQUEST_BYTES))
        .layer(middleware::from_fn(request_log))
        .with_state(state)
}

/// Gives every request an id (kept from `X-Request-Id` when it is a short token, else new),
/// returns it in the response, and logs one line per request: never headers or bodies, so no
/// token, passkey or license reaches the log.
async fn request_log(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if let Ok(value) = HeaderValue::from_str(&id) {
        request.headers_mut().insert("x-request-id", value);
    }
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    tracing::info!(request_id = %id, %method, %path, status = response.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
    response
}
