//! Applying a license in an air-gapped workspace (seed 003): `licenses.add` and `licenses.info`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use licet_issuer::{mint_license, KeySpec, SigningKey};
use licet_server::auth::Permission;
use licet_server::{create_token, router, AppState};
use licet_verifier::{LicenseClaims, LicenseType, TrustedKeys, UnixTime};
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;

const T0: i64 = 1_790_000_000;

async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    token: Option<&str>,
    user: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(t) = token {
        request = request.header("x-auth-token", t);
    }
    if let Some(u) = user {
        request = request.header("x-user-id", u);
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = router(state.clone())
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

fn license(vendor: &SigningKey, exp: i64) -> String {
    let claims = LicenseClaims {
        expires_at: Some(UnixTime::from_secs(exp).unwrap()),
        license_type: LicenseType::parse("ENTERPRISE").unwrap(),
        ..LicenseClaims::new("WS-1", "ACME", UnixTime::from_secs(T0 - 1000).unwrap())
    };
    mint_license(vendor, None, &claims).unwrap().token
}

#[tokio::test]
async fn apply_and_confirm_a_workspace_license() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_db_in(dir.path()).await;
    let store = db.store.clone();
    let vendor = SigningKey::generate(KeySpec::Ed25519).unwrap();
    let trusted: TrustedKeys = [vendor.public_key().clone()].into_iter().collect();
    let mut state = AppState::new(
        store,
        trusted,
        SigningKey::generate(KeySpec::Rsa(2048)).unwrap(),
    );
    state.clock = Arc::new(|| T0);
    let (admin, _) = create_token(
        state.store.as_ref(),
        "rbAXPnMktTFbNpwtJ",
        &[Permission::EditPrivilegedSetting],
        T0,
        None,
    )
    .await
    .unwrap();
    let (other, _) = create_token(
        state.store.as_ref(),
        "someone",
        &[Permission::ManageLicenses],
        T0,
        None,
    )
    .await
    .unwrap();
    let user = Some("rbAXPnMktTFbNpwtJ");

    let (status, body) = call(
        &state,
        "GET",
        "/api/v1/licenses.info",
        Some(&admin),
        user,
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"success": true, "license": null}))
    );

    let good = license(&vendor, T0 + 86_400);
    let (status, body) = call(
        &state,
        "POST",
        "/api/v1/licenses.add",
        Some(&admin),
        user,
        Some(json!({"license": good})),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    let (_, body) = call(
        &state,
        "GET",
        "/api/v1/licenses.info",
        Some(&admin),
        user,
        None,
    )
    .await;
    assert_eq!(body["license"]["valid"], true);
    assert_eq!(body["license"]["status"], "ACTIVE");
    assert_eq!(body["license"]["details"]["licenseType"], "ENTERPRISE");

    // Format accepted, but expired: applied, and info says why it does not work.
    let expired = license(&vendor, T0 - 10);
    let (status, body) = call(
        &state,
        "POST",
        "/api/v1/licenses.add",
        Some(&admin),
        user,
        Some(json!({"license": expired})),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    let (_, body) = call(
        &state,
        "GET",
        "/api/v1/licenses.info",
        Some(&admin),
        user,
        None,
    )
    .await;
    assert_eq!(
        (&body["license"]["valid"], &body["license"]["status"]),
        (&json!(false), &json!("EXPIRED"))
    );
    assert!(body["license"]["reason"]
        .as_str()
        .unwrap()
        .contains("expired"));

    let logged_out = json!({"status": "error", "message": "You must be logged in to do this."});
    let (status, body) = call(
        &state,
        "POST",
        "/api/v1/licenses.add",
        None,
        user,
        Some(json!({"license": good})),
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::UNAUTHORIZED, logged_out.clone())
    );
    let (status, body) = call(
        &state,
        "POST",
        "/api/v1/licenses.add",
        Some(&admin),
        Some("another-user"),
        Some(json!({"license": good})),
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::UNAUTHORIZED, logged_out.clone()),
        "the token must belong to X-User-Id"
    );
    let (status, body) = call(
        &state,
        "POST",
        "/api/v1/licenses.add",
        Some(&other),
        Some("someone"),
        Some(json!({"license": good})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        json!({"success": false, "error": "User does not have the permissions required for this action [error-unauthorized]"})
    );
    let (status, body) = call(&state, "POST", "/api/v1/licenses.add", Some(&admin), user, Some(json!({"license": "VFJ0vHf3Jm9AR0minB342MLaHRlZdc3Du5nf0E5Sv0QJ4SUkEIaU2boCYaDsxQ2N1UL4uhLjCF9M7iCZ"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["success"], false);
    assert!(body["error"].as_str().unwrap().contains("malformed"));
}
