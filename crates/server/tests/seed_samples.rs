//! The sample requests of the five seed documents (../shared/seeds), sent as the documents show
//! them, with the answer each gets: the documented shape, or, where licet deliberately differs
//! (a sample value that is not in licet's format), the documented error shape. docs/API.md lists
//! the differences.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use licet_issuer::{KeySpec, SigningKey};
use licet_server::auth::Permission;
use licet_server::{create_token, router, AppState};
use licet_verifier::TrustedKeys;
use serde_json::{json, Value};
use tower::ServiceExt;

struct Harness {
    state: AppState,
    token: String,
    _dir: tempfile::TempDir,
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_db_in(dir.path()).await;
    let store = db.store.clone();
    let key = SigningKey::generate(KeySpec::Rsa(2048)).unwrap();
    let state = AppState::new(store, TrustedKeys::new(), key);
    let (token, _) = create_token(state.store.as_ref(), "admin", &Permission::ALL, 0, None)
        .await
        .unwrap();
    Harness {
        state,
        token: token.to_string(),
        _dir: dir,
    }
}

impl Harness {
    async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        content_type: &str,
        body: impl Into<Body>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", content_type);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = router(self.state.clone())
            .oneshot(request.body(body.into()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

fn assert_error(body: &Value, top: &str, detail: &str, path: &str, message_part: &str) {
    assert_eq!(body["code"], top, "{body}");
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["errors"][0]["code"], detail, "{body}");
    assert_eq!(body["errors"][0]["path"], path, "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(message_part), "{message}");
}

/// Seed 000: `{"file": "TestLicense.lic"}`. The sample's value is a file name, not a license
/// file's text, so it fails validation: 400 in the seed's error shape.
#[tokio::test]
async fn seed_000_install_license() {
    let h = harness().await;
    let sample = json!({"file": "TestLicense.lic"}).to_string();
    let token = [("x-auth-token", h.token.as_str())];
    let (status, body) = h
        .send(
            "POST",
            "/api/v1/licenses",
            &token,
            "application/json",
            sample.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(
        &body,
        "LE_ERR_SS_400",
        "LE_ERR_SS_008",
        "/api/v1/licenses",
        "MALFORMED",
    );
    let (status, body) = h
        .send(
            "POST",
            "/api/v1/licenses",
            &[],
            "application/json",
            sample.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(
        &body,
        "LE_ERR_SS_401",
        "LE_ERR_SS_301",
        "/api/v1/licenses",
        "Authentication failed. Please check your credentials.",
    );
    let bogus = [("x-auth-token", "lct_not-a-token")];
    let (status, body) = h
        .send(
            "POST",
            "/api/v1/licenses",
            &bogus,
            "application/json",
            sample,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(
        &body,
        "LE_ERR_SS_401",
        "LE_ERR_SS_303",
        "/api/v1/licenses",
        "Invalid or expired token",
    );
}

/// Seed 001 shows its sample as JSON with a file *name*; the route takes the file itself, as
/// multipart/form-data (the seed's own description), so the JSON sample gets 400.
#[tokio::test]
async fn seed_001_create_certificate() {
    let h = harness().await;
    let sample =
        json!({"passkey": "mySecretPasskey", "certificateFile": "TestCertificate.leegality.com",
                        "departmentId": "string", "enabled": false})
        .to_string();
    let token = [("x-auth-token", h.token.as_str())];
    let (status, body) = h
        .send(
            "POST",
            "/api/v1/certificates",
            &token,
            "application/json",
            sample.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(
        &body,
        "LE_ERR_SS_400",
        "LE_ERR_SS_008",
        "/api/v1/certificates",
        "multipart/form-data",
    );
    // The same fields as multipart, with the sample's file name as the file: not a .p12/.pfx.
    let boundary = "seed001";
    let mut multipart = String::new();
    for (name, value) in [
        ("passkey", "mySecretPasskey"),
        ("departmentId", "string"),
        ("enabled", "false"),
    ] {
        multipart.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    multipart.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"certificateFile\"; filename=\"TestCertificate.leegality.com\"\r\n\r\nnot a certificate\r\n--{boundary}--\r\n"));
    let (status, body) = h
        .send(
            "POST",
            "/api/v1/certificates",
            &token,
            &format!("multipart/form-data; boundary={boundary}"),
            multipart,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(
        &body,
        "LE_ERR_SS_400",
        "LE_ERR_SS_008",
        "/api/v1/certificates",
        ".p12",
    );
    let bogus = [("x-auth-token", "lct_not-a-token")];
    let (status, body) = h
        .send(
            "POST",
            "/api/v1/certificates",
            &bogus,
            "application/json",
            sample,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(
        &body,
        "LE_ERR_SS_401",
        "LE_ERR_SS_303",
        "/api/v1/certificates",
        "Invalid or expired token",
    );
}

/// Seed 002: the Postman sample. Its api_key is not a licet token (401, code 802); with a real
/// token, its license_key (a UUID, not a licet key) is 801. Form-data and urlencoded both work.
#[tokio::test]
async fn seed_002_assign_license_key() {
    let h = harness().await;
    let fields = |api_key: &str| {
        [
            ("api_key", api_key.to_owned()),
            (
                "license_key",
                "bb7ffb6f-2d8e-4977-b2fa-8d43ea58aa0d".to_owned(),
            ),
            ("owner_name", "Test User".to_owned()),
            ("email", "email@domain.ltd".to_owned()),
        ]
    };
    let urlencoded = |api_key: &str| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields(api_key))
            .finish()
    };
    let multipart = |api_key: &str| {
        let mut body = String::new();
        for (name, value) in fields(api_key) {
            body.push_str(&format!(
                "--b002\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            ));
        }
        body + "--b002--\r\n"
    };
    let path = "/api/v1/assign-license-key";
    let sample_key = "2964c3c9-0b5d-4d89-b3ac-4668f30bc492";
    for (content_type, body, status, code) in [
        (
            "application/x-www-form-urlencoded",
            urlencoded(sample_key),
            StatusCode::UNAUTHORIZED,
            802,
        ),
        (
            "multipart/form-data; boundary=b002",
            multipart(sample_key),
            StatusCode::UNAUTHORIZED,
            802,
        ),
        (
            "application/x-www-form-urlencoded",
            urlencoded(&h.token),
            StatusCode::OK,
            801,
        ),
        (
            "multipart/form-data; boundary=b002",
            multipart(&h.token),
            StatusCode::OK,
            801,
        ),
    ] {
        let (got, reply) = h.send("POST", path, &[], content_type, body).await;
        assert_eq!(got, status, "{content_type}: {reply}");
        assert_eq!(reply["response"]["code"], code, "{content_type}: {reply}");
        assert_eq!(reply["private_key_used"], "global");
        assert!(reply["signature"].is_string() && reply["response_base64"].is_string());
    }
}

#[tokio::test]
async fn seed_002_multipart_assigns_a_real_key() {
    let h = harness().await;
    let token = [("x-auth-token", h.token.as_str())];
    let (status, created) = h
        .send(
            "POST",
            "/api/v1/license-keys",
            &token,
            "application/json",
            json!({"customer": "ACME", "max_activations": 1}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let key = created["data"]["license_key"].as_str().unwrap();
    let mut body = String::new();
    for (name, value) in [
        ("api_key", h.token.as_str()),
        ("license_key", key),
        ("owner_name", "Test User"),
        ("email", "email@domain.ltd"),
    ] {
        body.push_str(&format!(
            "--b\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str("--b--\r\n");
    let (status, reply) = h
        .send(
            "POST",
            "/api/v1/assign-license-key",
            &[],
            "multipart/form-data; boundary=b",
            body,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["response"]["code"], 800, "{reply}");
    assert_eq!(reply["response"]["message"], "License key assigned");
}

/// Seed 003: the sample's headers name a user and token this server does not know (401 in the
/// seed's shape); with a real token, the sample's license (not a licet license file) is refused
/// as malformed (400, `{"success": false, ...}`).
#[tokio::test]
async fn seed_003_apply_workspace_license() {
    let h = harness().await;
    let sample = json!({"license": "VFJ0vHf3Jm9AR0minB342MLaHRlZdc3Du5nf0E5Sv0QJ4SUkEIaU2boCYaDsxQ2N1UL4uhLjCF9M7iCZ/yxafJjxbHvOu1D5rOfdgO4RKlAGE9tGHDidJR9crJyXVb16jPHHvLSkUFzb7HoIq/nUXxU8gEgT3uJ9u2+Dw5ukDLX3SG2AFq1hLoPSZqsP6g2AQo="}).to_string();
    let path = "/api/v1/licenses.add";
    let logged_out = json!({"status": "error", "message": "You must be logged in to do this."});
    let sample_headers = [
        (
            "x-auth-token",
            "RScctEHSmLGZGywfIhWyRpyofhKOiMoUIpimhvheU3f",
        ),
        ("x-user-id", "rbAXPnMktTFbNpwtJ"),
    ];
    let (status, body) = h
        .send(
            "POST",
            path,
            &sample_headers,
            "application/json",
            sample.clone(),
        )
        .await;
    assert_eq!((status, &body), (StatusCode::UNAUTHORIZED, &logged_out));
    // A real token without its user id is not logged in either.
    let no_user = [("x-auth-token", h.token.as_str())];
    let (status, body) = h
        .send("POST", path, &no_user, "application/json", sample.clone())
        .await;
    assert_eq!((status, &body), (StatusCode::UNAUTHORIZED, &logged_out));
    let real = [("x-auth-token", h.token.as_str()), ("x-user-id", "admin")];
    let (status, body) = h
        .send("POST", path, &real, "application/json", sample)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["success"], false);
    assert!(body["error"]
        .as_str()
        .unwrap()
        .starts_with("The license is malformed"));
}

/// Seed 004: an unknown key on each machine route is 404 `{"message": ...}`, with the headers.
#[tokio::test]
async fn seed_004_unknown_key_on_every_machine_route() {
    let h = harness().await;
    let body = json!({"license_key": "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE",
                      "machine_id": "a".repeat(64)})
    .to_string();
    for route in ["activate", "validate", "deactivate"] {
        let (status, reply) = h
            .send(
                "POST",
                &format!("/license/{route}"),
                &[],
                "application/json",
                body.clone(),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{route}");
        assert_eq!(
            reply,
            json!({"message": "License key not found"}),
            "{route}"
        );
    }
}
