//! The headers every answer carries: `X-Content-Type-Options: nosniff` and `Cache-Control:
//! no-store` (answers carry new tokens, license keys and license files), on successes, errors
//! and unknown paths alike; the console's pages keep their own stricter set.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use licet_issuer::{KeySpec, SigningKey};
use licet_server::auth::Permission;
use licet_server::{create_token, router, AppState};
use licet_verifier::TrustedKeys;
use tower::ServiceExt;

async fn answer(state: &AppState, request: Request<Body>) -> (StatusCode, HeaderMap) {
    let response = router(state.clone()).oneshot(request).await.unwrap();
    (response.status(), response.headers().clone())
}

#[tokio::test]
async fn every_answer_is_nosniff_and_no_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_db_in(dir.path()).await;
    let key = SigningKey::generate(KeySpec::Rsa(2048)).unwrap();
    let state = AppState::new(db.store.clone(), TrustedKeys::new(), key);
    let now = state.now();
    let (admin, _) = create_token(state.store.as_ref(), "admin", &Permission::ALL, now, None)
        .await
        .unwrap();
    let admin = admin.to_string();
    let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();
    let with_token = |method: &str, path: &str, body: &str| {
        Request::builder()
            .method(method)
            .uri(path)
            .header("x-auth-token", &admin)
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let cases = [
        (
            "a new token (its secret is in the body)",
            StatusCode::CREATED,
            with_token(
                "POST",
                "/api/v1/tokens",
                r#"{"user_id":"ops","permissions":["view-admin-log"]}"#,
            ),
        ),
        (
            "a new license key",
            StatusCode::CREATED,
            with_token(
                "POST",
                "/api/v1/license-keys",
                r#"{"customer":"ACME","product":"app","max_activations":1}"#,
            ),
        ),
        (
            "a listing",
            StatusCode::OK,
            with_token("GET", "/api/v1/license-keys", ""),
        ),
        (
            "no token",
            StatusCode::UNAUTHORIZED,
            get("/api/v1/licenses"),
        ),
        (
            "a machine route's refusal",
            StatusCode::UNPROCESSABLE_ENTITY,
            with_token("POST", "/license/validate", "{}"),
        ),
        ("the public key", StatusCode::OK, get("/license/public-key")),
        (
            "an unknown path",
            StatusCode::NOT_FOUND,
            get("/no/such/path"),
        ),
        (
            "the OpenAPI document",
            StatusCode::OK,
            get("/api/openapi.json"),
        ),
    ];
    for (what, status, request) in cases {
        let (got, headers) = answer(&state, request).await;
        assert_eq!(got, status, "{what}");
        assert_eq!(
            headers.get("x-content-type-options").unwrap(),
            "nosniff",
            "{what}"
        );
        assert_eq!(headers.get("cache-control").unwrap(), "no-store", "{what}");
    }
    // The console's page sets its own headers, which are kept (its CSP among them).
    let (status, headers) = answer(&state, get("/console/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("content-security-policy").is_some());
    assert_eq!(headers.get("x-frame-options").unwrap(), "DENY");
    assert_eq!(headers.get_all("cache-control").iter().count(), 1);
}
