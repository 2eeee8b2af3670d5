//! The application: shared state and the router. Tests call [`router`] directly.

use crate::activation::SeatFileCache;
use crate::error::ApiError;
use crate::master_key::MasterKey;
use crate::openapi::ApiDoc;
use crate::ratelimit::RateLimiter;
use crate::routes;
use crate::store::Store;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, Method, Uri};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::Router;
use licet_issuer::SigningKey;
use licet_verifier::{TrustedKeys, UnixTime};
use std::sync::Arc;
use std::time::{Duration, Instant};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::{Config, SwaggerUi};

/// The current time as Unix seconds; replaceable in tests.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Everything a handler needs: [`AppStateFields`] behind one `Arc`.
///
/// Axum clones the state for every middleware layer and extractor of every request; one
/// reference count instead of one per field (a dozen atomic updates, contended between cores)
/// took about 14% of the CPU of a cheap route in the profile (docs/PERFORMANCE.md). Fields read
/// through `Deref`; a change through `DerefMut` changes this copy only (copy on write), as a
/// change of a cloned struct would.
#[derive(Clone)]
pub struct AppState(Arc<AppStateFields>);

impl std::ops::Deref for AppState {
    type Target = AppStateFields;
    fn deref(&self) -> &AppStateFields {
        &self.0
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut AppStateFields {
        Arc::make_mut(&mut self.0)
    }
}

/// The fields of [`AppState`].
#[derive(Clone)]
pub struct AppStateFields {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Vendor keys that installed license files must verify against.
    pub trusted: Arc<TrustedKeys>,
    /// The RSA key that signs API responses (`private_key_used: "global"`): RSA-SHA256 over the
    /// canonical JSON of the seed 002/004 envelopes.
    pub signing_key: Arc<SigningKey>,
    /// The vendor key that signs every seat license the server hands out, with its default
    /// algorithm (EdDSA, RS256 or PS256, as `licet issue` picks it). Without
    /// `--license-signing-key` it is the response key (RS256).
    pub license_signing_key: Arc<SigningKey>,
    /// Where every minted license file is recorded (`--ledger`), if anywhere.
    pub ledger: Option<Arc<crate::ledger::ServerLedger>>,
    /// Request, latency, rate-limit and minting counters (`GET /metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The clock.
    pub clock: Clock,
    /// Request counters of the `/license/*` routes.
    pub rate_limiter: Arc<RateLimiter>,
    /// Seals private keys at rest (uploaded certificates).
    pub master_key: Arc<MasterKey>,
    /// License files already minted for seats.
    pub seat_files: Arc<SeatFileCache>,
    /// The longest a request may take before it is answered 408 ([`REQUEST_TIMEOUT`]).
    pub request_timeout: Duration,
    /// Reverse proxies whose forwarding header names the client (`--trusted-proxy`); none by
    /// default.
    pub trusted_proxies: Arc<crate::client_addr::TrustedProxies>,
    /// Uploaded PKCS#12 files decrypted at once (one: key derivation is CPU work whose total
    /// per file p12-keystore bounds per bag only).
    pub pkcs12_decryptions: Arc<tokio::sync::Semaphore>,
    /// What PKCS#11 registrations may name (`--pkcs11-module`, `--pkcs11-pin-dir`); nothing by
    /// default.
    pub token_policy: Arc<crate::token_keys::TokenPolicy>,
    /// PKCS11 registrations checked at once (one: each opens a token and may load a module).
    pub token_registrations: Arc<tokio::sync::Semaphore>,
    /// Whether the console's session cookie is marked `Secure` (the server speaks TLS, or sits
    /// behind a trusted proxy that does).
    pub secure_cookies: bool,
    /// `/license/validate` writes a seat's `last_validated_at` only when the stored one is at
    /// least this many seconds old ([`crate::activation::VALIDATION_STAMP_SECS`]).
    pub validation_stamp_secs: i64,
}

impl AppState {
    /// State with the system clock.
    /// The response key also signs the seat licenses (RS256) until [`AppState::with_license_key`].
    pub fn new(store: Arc<dyn Store>, trusted: TrustedKeys, signing_key: SigningKey) -> Self {
        let signing_key = Arc::new(signing_key);
        AppState(Arc::new(AppStateFields {
            store,
            trusted: Arc::new(trusted),
            license_signing_key: signing_key.clone(),
            signing_key,
            ledger: None,
            metrics: Arc::new(crate::metrics::Metrics::new()),
            clock: Arc::new(|| UnixTime::now().as_secs()),
            rate_limiter: Arc::new(RateLimiter::new(
                DEFAULT_RATE_LIMIT_PER_IP,
                DEFAULT_RATE_LIMIT_PER_KEY,
            )),
            master_key: Arc::new(MasterKey::ephemeral()),
            seat_files: Arc::new(SeatFileCache::default()),
            pkcs12_decryptions: Arc::new(tokio::sync::Semaphore::new(1)),
            token_policy: Arc::default(),
            token_registrations: Arc::new(tokio::sync::Semaphore::new(1)),
            request_timeout: REQUEST_TIMEOUT,
            validation_stamp_secs: crate::activation::VALIDATION_STAMP_SECS,
            trusted_proxies: Arc::default(),
            secure_cookies: false,
        }))
    }

    /// Seat licenses are signed by `license_key` from now on. Refused when the response key
    /// would sign licenses with another algorithm than RS256 (one RSA key does both only then).
    pub fn with_license_key(mut self, license_key: SigningKey) -> Result<Self, KeyRoleError> {
        check_response_key(&self.signing_key)?;
        if license_key.kid() == self.signing_key.kid() {
            // The same key: one copy, and the response key's checks apply.
            self.license_signing_key = self.signing_key.clone();
        } else {
            self.license_signing_key = Arc::new(license_key);
        }
        Ok(self)
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        (self.clock)()
    }
}

/// Why a key cannot have the role it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyRoleError {
    /// The response key is not RSA, or is made for license signatures other than RS256.
    #[error("the response-signing key (kid {kid}) {problem}; API responses are RSA-SHA256 (PKCS#1 v1.5) signatures, and one RSA key may sign both responses and seat licenses only when its license algorithm is RS256: give an RSA key made for RS256 as the response key, and this key as --license-signing-key")]
    ResponseKey {
        /// The key's id.
        kid: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// Checks that `key` may sign the seed envelopes: RSA, and not made for PS256 (a key made for
/// PS256 or EdDSA license signatures is never the response key; see docs/API.md).
pub fn check_response_key(key: &SigningKey) -> Result<(), KeyRoleError> {
    let problem = match (key.key_type(), key.default_algorithm()) {
        (licet_verifier::KeyType::Rsa { .. }, licet_verifier::Algorithm::RS256) => return Ok(()),
        (licet_verifier::KeyType::Rsa { .. }, alg) => {
            format!("is made for {} license signatures", alg.name())
        }
        (other, _) => format!("is an {other} key"),
    };
    Err(KeyRoleError::ResponseKey {
        kid: key.kid().to_owned(),
        problem,
    })
}

/// Default requests per minute per client address on `/license/*`.
pub const DEFAULT_RATE_LIMIT_PER_IP: u32 = 120;
/// Default requests per minute per license key on `/license/*`.
pub const DEFAULT_RATE_LIMIT_PER_KEY: u32 = 600;

/// The largest request body of the JSON license routes (a license file is at most 64 KiB).
pub const MAX_LICENSE_REQUEST_BYTES: usize = 256 * 1024;

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/openapi.json";
/// Where the browsable API page is served (Swagger UI, compiled in; works with no network).
pub const DOCS_PATH: &str = "/api/docs";

/// The routes and the OpenAPI document, from the same registrations: `routes!` takes each
/// handler's path and method from its `#[utoipa::path]`, so a route cannot be served without
/// being documented.
fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    use routes::{
        activation, admin_log, assign, certificates, keys, license_keys, licenses, ops, tokens,
        workspace,
    };
    let activation_limit = DefaultBodyLimit::max(activation::MAX_ACTIVATION_REQUEST_BYTES);
    let machine_routes = OpenApiRouter::new()
        .routes(routes!(activation::activate))
        .routes(routes!(activation::validate))
        .routes(routes!(activation::deactivate))
        .layer(activation_limit);
    let certificate_upload = OpenApiRouter::new()
        .routes(routes!(certificates::list, certificates::upload))
        .layer(DefaultBodyLimit::max(
            certificates::MAX_CERTIFICATE_REQUEST_BYTES,
        ));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(licenses::list, licenses::install))
        .routes(routes!(licenses::get_one, licenses::set_enabled))
        .routes(routes!(license_keys::list, license_keys::create))
        .routes(routes!(license_keys::get_one, license_keys::set_status))
        .routes(routes!(license_keys::activate))
        .routes(routes!(license_keys::free))
        .routes(routes!(license_keys::seat_license))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(admin_log::list))
        .routes(routes!(assign::assign))
        .routes(routes!(workspace::add))
        .routes(routes!(workspace::info))
        .routes(routes!(
            certificates::list_departments,
            certificates::create_department
        ))
        .routes(routes!(certificates::get_one, certificates::delete))
        .routes(routes!(keys::public_key))
        .routes(routes!(keys::vendor_public_key))
        .routes(routes!(keys::jwks))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .merge(certificate_upload)
        .merge(machine_routes)
        .split_for_parts()
}

/// The OpenAPI 3 document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

/// Builds the router with every route, the OpenAPI document and its page, request ids and
/// access logs.
pub fn router(state: AppState) -> Router {
    let (routes, openapi) = api();
    let docs = SwaggerUi::new(DOCS_PATH)
        .url(OPENAPI_PATH, openapi)
        // The default validator is a remote service; this page must work with no network.
        .config(Config::new([OPENAPI_PATH]).validator_url("none"));
    routes
        .merge(Router::<AppState>::from(docs))
        .merge(crate::console::routes())
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(MAX_LICENSE_REQUEST_BYTES))
        // Innermost first: no body is read for a token route without a token.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::require_token,
        ))
        // The timeout's 408 still passes the rate-limit headers and the log.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            routes::activation::rate_limit_license_paths,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), request_log))
        // Outermost: the client address (`--trusted-proxy`) for the rate limiter and the log.
        .layer(middleware::from_fn_with_state(
            state.trusted_proxies.clone(),
            crate::client_addr::client_address,
        ))
        .with_state(state)
}

/// The router of `--metrics-listen`: `/metrics` without a token, `/healthz` and `/readyz`, for
/// a listener only the operator's monitoring reaches. Requests are logged and counted like those
/// of the main listener.
pub fn ops_router(state: AppState) -> Router {
    use axum::routing::get;
    Router::new()
        .route("/metrics", get(routes::ops::metrics_open))
        .route("/healthz", get(routes::ops::healthz))
        .route("/readyz", get(routes::ops::readyz))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_timeout,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), request_log))
        .with_state(state)
}

/// Serves [`ops_router`] on `listener` (plain HTTP) until the process ends: `--metrics-listen`.
pub async fn serve_ops(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let app = ops_router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).await
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

/// Answers 408 to a request that takes longer than the state's `request_timeout`.
async fn request_timeout(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(state.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::timeout(&path).into_response(),
    }
}

/// A new request id: a version-4 UUID from the thread's CSPRNG. A request id must be unique,
/// not secret, and `Uuid::new_v4` asks the kernel for every id (one `getrandom` system call
/// per request, about 1% of a validate's CPU: docs/PERFORMANCE.md).
fn new_request_id() -> String {
    let bytes: [u8; 16] = rand::random();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// What every response carries unless its route set its own: `X-Content-Type-Options:
/// nosniff` (a JSON answer is never run as a script or a page) and `Cache-Control: no-store`
/// (answers carry new tokens, license keys and license files, which no browser or proxy cache
/// should keep). docs/API.md, "Headers on every answer".
fn protective_headers(headers: &mut axum::http::HeaderMap) {
    use axum::http::header::{CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS};
    headers
        .entry(X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    headers
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}

/// Gives every request an id (kept from `X-Request-Id` when it is a short token, else new),
/// returns it in the response with the [`protective_headers`], counts it in the metrics, and logs one line per request: request
/// id, method, route template, status, latency and client address, never headers, bodies or the
/// raw path, so no token, passphrase, license or license key reaches the log.
async fn request_log(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
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
    let client = request
        .extensions()
        .get::<crate::client_addr::ClientAddr>()
        .map(|c| c.0);
    let started = Instant::now();
    let mut response = next.run(request).await;
    let elapsed = started.elapsed();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    protective_headers(response.headers_mut());
    let status = response.status().as_u16();
    state
        .metrics
        .observe_request(&route, &method, status, elapsed);
    let client = client.map_or_else(|| "-".to_owned(), |c| c.to_string());
    tracing::info!(request_id = %id, %method, %route, status, latency_us = elapsed.as_micros() as u64, %client, "request");
    response
}

#[cfg(test)]
mod tests {
    use super::{new_request_id, protective_headers};
    use axum::http::{HeaderMap, HeaderValue};

    #[test]
    fn protective_headers_fill_in_and_keep_what_a_route_set() {
        let mut bare = HeaderMap::new();
        protective_headers(&mut bare);
        assert_eq!(bare["x-content-type-options"], "nosniff");
        assert_eq!(bare["cache-control"], "no-store");
        let mut own = HeaderMap::new();
        own.insert("cache-control", HeaderValue::from_static("max-age=60"));
        protective_headers(&mut own);
        assert_eq!(
            own["cache-control"], "max-age=60",
            "the route's own is kept"
        );
        assert_eq!(own.get_all("cache-control").iter().count(), 1);
        assert_eq!(own["x-content-type-options"], "nosniff");
    }

    #[test]
    fn request_ids_are_distinct_version_4_uuids() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            let parsed = uuid::Uuid::parse_str(id).expect("a UUID");
            assert_eq!(parsed.get_version_num(), 4, "{id}");
            assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122, "{id}");
            assert_eq!(id.len(), 36);
        }
    }
}
