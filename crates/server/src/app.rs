//! The application: shared state and the router. Tests call [`router`] directly.

use crate::error::ApiError;
use crate::master_key::MasterKey;
use crate::ratelimit::RateLimiter;
use crate::routes;
use crate::store::Store;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, Method, Uri};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use licet_issuer::SigningKey;
use licet_verifier::{TrustedKeys, UnixTime};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    /// Request counters of the `/license/*` routes.
    pub rate_limiter: Arc<RateLimiter>,
    /// Seals private keys at rest (uploaded certificates).
    pub master_key: Arc<MasterKey>,
}

impl AppState {
    /// State with the system clock.
    pub fn new(store: Arc<dyn Store>, trusted: TrustedKeys, signing_key: SigningKey) -> Self {
        AppState {
            store,
            trusted: Arc::new(trusted),
            signing_key: Arc::new(signing_key),
            clock: Arc::new(|| UnixTime::now().as_secs()),
            rate_limiter: Arc::new(RateLimiter::new(
                DEFAULT_RATE_LIMIT_PER_IP,
                DEFAULT_RATE_LIMIT_PER_KEY,
            )),
            master_key: Arc::new(MasterKey::ephemeral()),
        }
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        (self.clock)()
    }
}

/// Default requests per minute per client address on `/license/*`.
pub const DEFAULT_RATE_LIMIT_PER_IP: u32 = 120;
/// Default requests per minute per license key on `/license/*`.
pub const DEFAULT_RATE_LIMIT_PER_KEY: u32 = 600;

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
        .route("/api/v1/license-keys", post(routes::license_keys::create))
        .route("/api/v1/assign-license-key", post(routes::assign::assign))
        .route("/api/v1/licenses.add", post(routes::workspace::add))
        .route(
            "/api/v1/departments",
            get(routes::certificates::list_departments)
                .post(routes::certificates::create_department),
        )
        .route(
            "/api/v1/certificates",
            get(routes::certificates::list)
                .post(routes::certificates::upload)
                .layer(DefaultBodyLimit::max(
                    routes::certificates::MAX_CERTIFICATE_REQUEST_BYTES,
                )),
        )
        .route(
            "/api/v1/certificates/{id}",
            get(routes::certificates::get_one).delete(routes::certificates::delete),
        )
        .route("/api/v1/licenses.info", get(routes::workspace::info))
        .route(
            "/api/v1/license-keys/{key}",
            get(routes::license_keys::get_one).patch(routes::license_keys::set_status),
        )
        .route(
            "/license/activate",
            post(routes::activation::activate).layer(DefaultBodyLimit::max(
                routes::activation::MAX_ACTIVATION_REQUEST_BYTES,
            )),
        )
        .route(
            "/license/validate",
            post(routes::activation::validate).layer(DefaultBodyLimit::max(
                routes::activation::MAX_ACTIVATION_REQUEST_BYTES,
            )),
        )
        .route(
            "/license/deactivate",
            post(routes::activation::deactivate).layer(DefaultBodyLimit::max(
                routes::activation::MAX_ACTIVATION_REQUEST_BYTES,
            )),
        )
        .route("/license/public-key", get(routes::keys::public_key))
        .route("/.well-known/jwks.json", get(routes::keys::jwks))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(MAX_LICENSE_REQUEST_BYTES))
        .layer(middleware::from_fn(request_log))
        .with_state(state)
}

/// Every unknown path answers in the API's error shape.
async fn no_route(uri: Uri) -> ApiError {
    ApiError::not_found(format!("There is no route {}", uri.path()), uri.path())
}

async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(method.as_str(), uri.path())
}

/// The longest a request may take before it is answered 408 (slow clients cannot hold a
/// connection, nor delay a graceful shutdown, for ever).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

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
    // The route template, not the raw path: a path can carry a license key.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", |m| m.as_str())
        .to_owned();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let mut response = match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::timeout(&path).into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    tracing::info!(request_id = %id, %method, %route, status = response.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
    response
}
