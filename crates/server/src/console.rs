//! The web console at `/console/` (issue 14 §2): pages for the people who run the server, served
//! from assets inside the binary, on the same API as every other client.
//!
//! - **Sign-in** with an API token (`POST /console/session`): the token is checked as the API
//!   checks it, and a session is made: a random 256-bit id in an `HttpOnly`, `SameSite=Strict`
//!   cookie (`Secure` when the server speaks TLS), stored as its SHA-256 beside the SHA-256 of the
//!   token. The token itself is never stored in the browser.
//! - **Every API request** of the console carries the cookie instead of `X-Auth-Token`
//!   ([`crate::auth::require_token`]): the session's token is read and checked again on every
//!   request, so the token's permissions decide what is accepted, and a revoked or expired token
//!   ends its sessions at once.
//! - **CSRF.** A request that changes state (any method but GET, HEAD and OPTIONS) made with the
//!   cookie must carry `X-CSRF-Token`, a value derived from the session id that only the page
//!   can read (`GET /console/session`); it is compared in constant time. `SameSite=Strict`
//!   already keeps other sites' requests from carrying the cookie; this is the second lock.
//! - **Sign-out** (`DELETE /console/session`) deletes the session.
//! - **Content-Security-Policy** `default-src 'none'` with scripts, styles and requests from the
//!   server only: no inline script, no CDN; the page writes every value as text, never as HTML.

use crate::app::AppState;
use crate::auth::{authenticate, authenticate_hash};
use crate::error::ApiError;
use crate::store::{ApiToken, ConsoleSession};
use aws_lc_rs::digest::{digest, SHA256};
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use serde_json::json;
use zeroize::Zeroizing;

/// The cookie that holds the session id, on a server without TLS.
pub const SESSION_COOKIE: &str = "licet_session";

/// The cookie that holds the session id when cookies are `Secure` (TLS, or a TLS-terminating
/// `--trusted-proxy`). A browser keeps a `__Host-` cookie only if it is `Secure`, has
/// `Path=/` and no `Domain`, so a page on a sibling subdomain cannot plant its own session
/// cookie here (session fixation); the server then reads no other name.
pub const SECURE_SESSION_COOKIE: &str = "__Host-licet_session";

/// How many sessions one token keeps at most: the oldest ends when a sign-in would make more,
/// so a token (or whoever holds it) cannot fill the sessions table.
pub const MAX_SESSIONS_PER_TOKEN: u32 = 16;

/// The header that carries the CSRF token of a state-changing console request.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How long a session lasts at most (it also ends with its token).
pub const SESSION_SECS: i64 = 12 * 3600;

/// The Content-Security-Policy of every console response.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const INDEX_HTML: &str = include_str!("../console/index.html");
const APP_JS: &str = include_str!("../console/app.js");
const APP_CSS: &str = include_str!("../console/app.css");

/// The console's routes (`/console`, `/console/`, its assets and `/console/session`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route(
            "/console/",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/console/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/console/app.css",
            get(|| async { asset("text/css; charset=utf-8", APP_CSS) }),
        )
        .route(
            "/console/session",
            get(current_session).post(sign_in).delete(sign_out),
        )
}

/// The security headers of every console response.
pub fn secure_headers(headers: &mut HeaderMap) {
    let set = |headers: &mut HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, "content-security-policy", CONTENT_SECURITY_POLICY);
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "x-frame-options", "DENY");
    set(headers, "referrer-policy", "no-referrer");
    set(headers, "cross-origin-opener-policy", "same-origin");
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = (
        StatusCode::OK,
        [(CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response();
    secure_headers(response.headers_mut());
    response
}

/// The name of the session cookie this server sets and reads.
pub fn session_cookie_name(state: &AppState) -> &'static str {
    if state.secure_cookies {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The session id in the request's `Cookie` headers under `cookie_name`, if any.
pub fn session_id(headers: &HeaderMap, cookie_name: &str) -> Option<Zeroizing<String>> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie_name)
        .map(|(_, value)| Zeroizing::new(value.to_owned()))
        .filter(|value| !value.is_empty() && value.len() <= 64)
}

fn sha256(text: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, text).as_ref());
    out
}

/// The CSRF token of a session: derived from its secret id, so it needs no storage, and only
/// the page (which reads it from `GET /console/session`) knows it.
pub fn csrf_token(session_id: &str) -> String {
    let mut input = b"licet console csrf\0".to_vec();
    input.extend_from_slice(session_id.as_bytes());
    URL_SAFE_NO_PAD.encode(sha256(&input))
}

/// Whether a method changes state (and so needs the CSRF token).
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The session a request's cookie names, with its token, checked: the session has not ended,
/// its token is current (not revoked, not expired), and a state-changing request carries the
/// session's CSRF token. `Ok(None)`: the request has no session cookie.
pub async fn authenticate_session(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
) -> Result<Option<(ApiToken, Zeroizing<String>)>, ApiError> {
    let Some(id) = session_id(headers, session_cookie_name(state)) else {
        return Ok(None);
    };
    let now = state.now();
    let session = state
        .store
        .find_console_session(&sha256(id.as_bytes()))
        .await
        .map_err(|e| ApiError::internal(e, path))?;
    let Some(session) = session.filter(|s| now < s.expires_at) else {
        return Err(ApiError::invalid_token(path));
    };
    let token_sha256: [u8; 32] =
        session.token_sha256.as_slice().try_into().map_err(|_| {
            ApiError::internal("a stored session's token hash is not 32 bytes", path)
        })?;
    let token = authenticate_hash(state.store.as_ref(), &token_sha256, now, path).await?;
    if changes_state(method) {
        let expected = csrf_token(&id);
        let given = headers
            .get(CSRF_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if aws_lc_rs::constant_time::verify_slices_are_equal(given, expected.as_bytes()).is_err() {
            return Err(ApiError::csrf(path));
        }
    }
    Ok(Some((token, id)))
}

/// What the page learns of its session: who, what it may do, its CSRF token, when it ends.
fn session_view(token: &ApiToken, id: &str, expires_at: i64) -> serde_json::Value {
    let permissions: Vec<&str> = token.permissions.iter().map(|p| p.name()).collect();
    json!({
        "user": token.user_id,
        "tokenId": token.id,
        "permissions": permissions,
        "csrfToken": csrf_token(id),
        "expiresAt": licet_verifier::UnixTime::from_secs(expires_at).ok().map(|t| t.to_rfc3339()),
    })
}

fn with_headers(mut response: Response) -> Response {
    secure_headers(response.headers_mut());
    response
}

async fn current_session(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let path = "/console/session";
    match authenticate_session(&state, &headers, &Method::GET, path).await {
        Ok(Some((token, id))) => {
            let expires_at = match state
                .store
                .find_console_session(&sha256(id.as_bytes()))
                .await
            {
                Ok(Some(session)) => session.expires_at,
                Ok(None) => return with_headers(ApiError::invalid_token(path).into_response()),
                Err(e) => return with_headers(ApiError::internal(e, path).into_response()),
            };
            with_headers(
                Json(json!({"data": session_view(&token, &id, expires_at)})).into_response(),
            )
        }
        Ok(None) => with_headers(ApiError::missing_credentials(path).into_response()),
        Err(e) => with_headers(e.into_response()),
    }
}

/// The body of `POST /console/session`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    token: String,
}

/// Whether a sign-in comes from the console's own page: JSON (a cross-site form can only send
/// `text/plain`, urlencoded or multipart without a preflight), and, where the browser says where
/// it comes from (`Sec-Fetch-Site`, `Origin`), from this origin. Without this a page elsewhere
/// could sign its victim in as the attacker's token (login CSRF).
fn same_origin_json(headers: &HeaderMap) -> bool {
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    let fetch_site_ok = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v == "same-origin" || v == "none");
    let origin_ok = match (
        headers.get("origin").and_then(|v| v.to_str().ok()),
        headers.get("host").and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
        (None, _) => true,
    };
    json && fetch_site_ok && origin_ok
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let path = "/console/session";
    if !same_origin_json(&headers) {
        return with_headers(ApiError::csrf_sign_in(path).into_response());
    }
    let Ok(token) = serde_json::from_slice::<SignIn>(&body).map(|b| Zeroizing::new(b.token)) else {
        return with_headers(
            ApiError::validation("The body must be {\"token\": \"...\"}", path).into_response(),
        );
    };
    let now = state.now();
    let record = match authenticate(state.store.as_ref(), Some(&token), now, path).await {
        Ok(record) => record,
        Err(e) => return with_headers(e.into_response()),
    };
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    let id = Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes.as_ref()));
    // A session ends with its token, or after SESSION_SECS, whichever is first.
    let expires_at = record
        .expires_at
        .map_or(now + SESSION_SECS, |exp| exp.min(now + SESSION_SECS));
    let session = ConsoleSession {
        session_sha256: sha256(id.as_bytes()).to_vec(),
        token_sha256: record.token_sha256.clone(),
        created_at: now,
        expires_at,
    };
    if let Err(e) = state
        .store
        .insert_console_session(&session, MAX_SESSIONS_PER_TOKEN)
        .await
    {
        return with_headers(ApiError::internal(e, path).into_response());
    }
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        session_cookie_name(&state),
        id.as_str(),
        expires_at - now
    );
    let mut response = (
        StatusCode::CREATED,
        Json(json!({"data": session_view(&record, &id, expires_at)})),
    )
        .into_response();
    match HeaderValue::from_str(&cookie) {
        Ok(value) => {
            response.headers_mut().insert(SET_COOKIE, value);
        }
        Err(e) => return with_headers(ApiError::internal(e, path).into_response()),
    }
    with_headers(response)
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let path = "/console/session";
    let id = match authenticate_session(&state, &headers, &Method::DELETE, path).await {
        Ok(Some((_, id))) => id,
        Ok(None) => return with_headers(ApiError::missing_credentials(path).into_response()),
        Err(e) => return with_headers(e.into_response()),
    };
    if let Err(e) = state
        .store
        .delete_console_session(&sha256(id.as_bytes()))
        .await
    {
        return with_headers(ApiError::internal(e, path).into_response());
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}",
        session_cookie_name(&state)
    );
    match HeaderValue::from_str(&cookie) {
        Ok(value) => {
            response.headers_mut().insert(SET_COOKIE, value);
        }
        Err(e) => return with_headers(ApiError::internal(e, path).into_response()),
    }
    with_headers(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others_and_bounded() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=1; licet_session=abc; b=2"),
        );
        assert_eq!(
            session_id(&headers, SESSION_COOKIE)
                .as_deref()
                .map(String::as_str),
            Some("abc")
        );
        let mut long = HeaderMap::new();
        let value = format!("licet_session={}", "x".repeat(65));
        long.insert(COOKIE, HeaderValue::from_str(&value).unwrap());
        assert!(session_id(&long, SESSION_COOKIE).is_none());
        assert!(session_id(&HeaderMap::new(), SESSION_COOKIE).is_none());
    }

    #[test]
    fn a_secure_server_reads_only_its_host_prefixed_cookie() {
        // A sibling subdomain can plant `licet_session` for the parent domain, never a
        // `__Host-` cookie: a server with Secure cookies must not read the plain name.
        let mut planted = HeaderMap::new();
        planted.insert(COOKIE, HeaderValue::from_static("licet_session=planted"));
        assert!(session_id(&planted, SECURE_SESSION_COOKIE).is_none());
        let mut both = HeaderMap::new();
        both.insert(
            COOKIE,
            HeaderValue::from_static("licet_session=planted; __Host-licet_session=own"),
        );
        assert_eq!(
            session_id(&both, SECURE_SESSION_COOKIE)
                .as_deref()
                .map(String::as_str),
            Some("own")
        );
    }

    #[test]
    fn sign_in_must_be_same_origin_json() {
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(*name, HeaderValue::from_static(value));
            }
            same_origin_json(&headers)
        };
        assert!(with(&[("content-type", "application/json")]));
        assert!(with(&[
            ("content-type", "application/json; charset=utf-8"),
            ("sec-fetch-site", "same-origin"),
            ("origin", "https://licet.example:8443"),
            ("host", "licet.example:8443"),
        ]));
        // What a cross-site form can send.
        assert!(!with(&[("content-type", "text/plain")]));
        assert!(!with(&[]));
        assert!(!with(&[
            ("content-type", "application/json"),
            ("sec-fetch-site", "cross-site"),
        ]));
        assert!(!with(&[
            ("content-type", "application/json"),
            ("origin", "https://evil.example"),
            ("host", "licet.example"),
        ]));
    }

    #[test]
    fn csrf_tokens_differ_per_session_and_only_safe_methods_skip_them() {
        assert_ne!(csrf_token("a"), csrf_token("b"));
        assert_eq!(csrf_token("a"), csrf_token("a"));
        assert!(!changes_state(&Method::GET));
        assert!(changes_state(&Method::POST));
        assert!(changes_state(&Method::PATCH));
        assert!(changes_state(&Method::DELETE));
    }
}
