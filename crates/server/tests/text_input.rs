//! Text with a NUL character (U+0000), through every way text enters the API: JSON fields and
//! keys, query and path parameters, form fields. PostgreSQL cannot store a NUL in TEXT or JSONB
//! (it answered 500 before); SQLite can, and what one backend refuses the other must refuse too.
//! Each is a 400 or 422 that names the NUL, and nothing is stored.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use licet_issuer::{mint_license, KeySpec, SigningKey};
use licet_server::auth::Permission;
use licet_server::{create_token, router, AppState};
use licet_verifier::{LicenseClaims, MachineId, TrustedKeys, UnixTime};
use serde_json::{json, Value};
use tower::ServiceExt;

const T0: i64 = 1_790_000_000;

struct Harness {
    state: AppState,
    db: common::TestDb,
    vendor: SigningKey,
    admin: String,
    _dir: tempfile::TempDir,
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_db_in(dir.path()).await;
    let api_key = SigningKey::generate(KeySpec::Rsa(2048)).unwrap();
    let vendor = SigningKey::generate(KeySpec::Ed25519).unwrap();
    let trusted: TrustedKeys = [vendor.public_key().clone()].into_iter().collect();
    let mut state = AppState::new(db.store.clone(), trusted, api_key);
    state.clock = std::sync::Arc::new(|| T0);
    let (admin, _) = create_token(state.store.as_ref(), "admin", &Permission::ALL, T0, None)
        .await
        .unwrap();
    Harness {
        state,
        db,
        vendor,
        admin: admin.to_string(),
        _dir: dir,
    }
}

impl Harness {
    /// Sends `body` as it is (so a test can write `\u0000` escapes and `%00` itself).
    async fn send(
        &self,
        method: &str,
        uri: &str,
        content_type: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", content_type)
            .header("x-auth-token", &self.admin)
            // The workspace routes (seed 003) name the token's user too.
            .header("x-user-id", "admin")
            .body(if body.is_empty() {
                Body::empty()
            } else {
                Body::from(body.to_owned())
            })
            .unwrap();
        let response = router(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn json(&self, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
        self.send(method, uri, "application/json", body).await
    }

    async fn new_key(&self) -> (String, String) {
        let (status, body) = self
            .json(
                "POST",
                "/api/v1/license-keys",
                r#"{"customer":"ACME","product":"app","max_activations":2}"#,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (
            body["data"]["license_key"].as_str().unwrap().to_owned(),
            body["data"]["id"].as_str().unwrap().to_owned(),
        )
    }
}

/// A refusal that names the NUL: 400 or 422, in the API's error shape.
fn assert_refused(what: &str, status: StatusCode, body: &Value) {
    assert!(
        status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: expected 400 or 422, got {status} {body}"
    );
    assert!(
        body.to_string().contains("NUL"),
        "{what}: the message names the NUL: {body}"
    );
}

#[tokio::test]
async fn a_nul_in_any_text_is_refused_by_name_and_nothing_is_stored() {
    let h = harness().await;
    let (key, id) = h.new_key().await;
    let keys_before = h.db.scalar("SELECT COUNT(*) FROM license_keys").await;
    let machine = MachineId::from_raw_identifier("m-1").to_string();

    let json_cases = [
        ("customer", "POST", "/api/v1/license-keys".to_owned(),
            r#"{"customer":"AC\u0000ME","product":"app","max_activations":1}"#.to_owned()),
        ("a feature's value", "POST", "/api/v1/license-keys".to_owned(),
            r#"{"customer":"ACME","product":"app","max_activations":1,"features":{"tier":"gold\u0000"}}"#.to_owned()),
        ("a feature's name", "POST", "/api/v1/license-keys".to_owned(),
            r#"{"customer":"ACME","product":"app","max_activations":1,"features":{"ti\u0000er":"gold"}}"#.to_owned()),
        ("an update's customer", "PATCH", format!("/api/v1/license-keys/{id}"),
            r#"{"customer":"\u0000"}"#.to_owned()),
        ("an update's features", "PATCH", format!("/api/v1/license-keys/{id}"),
            r#"{"features":{"a":["x\u0000"]}}"#.to_owned()),
        ("an administrator's hostname", "POST", format!("/api/v1/license-keys/{key}/activations"),
            format!(r#"{{"machine_id":"{machine}","hostname":"host\u0000"}}"#)),
        ("a token's user", "POST", "/api/v1/tokens".to_owned(),
            r#"{"user_id":"ops\u0000","permissions":["view-admin-log"]}"#.to_owned()),
        ("a department", "POST", "/api/v1/departments".to_owned(),
            r#"{"name":"Sales\u0000"}"#.to_owned()),
        ("a license file", "POST", "/api/v1/licenses".to_owned(),
            r#"{"file":"eyJ\u0000"}"#.to_owned()),
        ("a workspace license", "POST", "/api/v1/licenses.add".to_owned(),
            r#"{"license":"eyJ\u0000"}"#.to_owned()),
    ];
    for (what, method, uri, body) in &json_cases {
        let (status, answer) = h.json(method, uri, body).await;
        assert_refused(what, status, &answer);
    }

    let uri_cases = [
        (
            "a search parameter",
            "GET",
            "/api/v1/license-keys?customer=AC%00ME".to_owned(),
        ),
        (
            "an audit-log filter",
            "GET",
            "/api/v1/admin-log?target=x%00".to_owned(),
        ),
        ("a license id", "GET", "/api/v1/licenses/a%00b".to_owned()),
        (
            "a license id to change",
            "PATCH",
            "/api/v1/licenses/a%00b".to_owned(),
        ),
        (
            "a certificate id",
            "GET",
            "/api/v1/certificates/a%00b".to_owned(),
        ),
        ("a token id", "DELETE", "/api/v1/tokens/a%00b".to_owned()),
        ("a key id", "GET", "/api/v1/license-keys/a%00b".to_owned()),
        (
            "a machine to free",
            "DELETE",
            format!("/api/v1/license-keys/{key}/activations/a%00b"),
        ),
    ];
    for (what, method, uri) in &uri_cases {
        let body = if *method == "PATCH" {
            r#"{"enabled":false}"#
        } else {
            ""
        };
        let (status, answer) = h.json(method, uri, body).await;
        assert_refused(what, status, &answer);
    }

    // The assignment route answers in the seed's envelope; its form fields are text too.
    let form = format!(
        "api_key={}&license_key={key}&owner_name=Ann%00&email=a%40example.com",
        h.admin
    );
    let (status, answer) = h
        .send(
            "POST",
            "/api/v1/assign-license-key",
            "application/x-www-form-urlencoded",
            &form,
        )
        .await;
    assert_refused("an owner's name", status, &answer);

    // Multipart text fields: a license file, and a certificate's name (read before its file).
    let multipart = |name: &str| {
        format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\nab\0cd\r\n--XyZ--\r\n"
        )
    };
    for (what, uri, field) in [
        ("a license file field", "/api/v1/licenses", "file"),
        ("a certificate's name", "/api/v1/certificates", "name"),
    ] {
        let (status, answer) = h
            .send(
                "POST",
                uri,
                "multipart/form-data; boundary=XyZ",
                &multipart(field),
            )
            .await;
        assert_refused(what, status, &answer);
    }

    assert_eq!(
        h.db.scalar("SELECT COUNT(*) FROM license_keys").await,
        keys_before
    );
    assert_eq!(
        h.db.scalar("SELECT COUNT(*) FROM license_keys WHERE assigned_at IS NOT NULL")
            .await,
        0,
        "the refused assignment assigned nothing"
    );
    assert_eq!(h.db.scalar("SELECT COUNT(*) FROM api_tokens").await, 1);
    assert_eq!(h.db.scalar("SELECT COUNT(*) FROM activations").await, 0);
    // The key is as it was made.
    let (status, shown) = h
        .json("GET", &format!("/api/v1/license-keys/{id}"), "")
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["data"]["customer"], json!("ACME"), "{shown}");
}

#[tokio::test]
async fn an_escaped_backslash_before_u0000_is_not_a_nul() {
    // `\\u0000` in JSON is the six characters \u0000, which any database stores.
    let h = harness().await;
    let (status, body) = h
        .json(
            "POST",
            "/api/v1/license-keys",
            r#"{"customer":"AC\\u0000ME","product":"app","max_activations":1}"#,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["customer"], json!("AC\\u0000ME"), "{body}");
}

/// A license the vendor signed with `license_id` and `features` as given.
fn signed_license(vendor: &SigningKey, license_id: &str, features: Option<Value>) -> String {
    let claims = LicenseClaims {
        features: features.map(|f| f.as_object().unwrap().clone()),
        ..LicenseClaims::new(license_id, "ACME", UnixTime::from_secs(T0 - 60).unwrap())
    };
    mint_license(vendor, None, &claims).unwrap().token
}

#[tokio::test]
async fn a_signed_license_with_a_nul_in_a_claim_is_refused_on_install_and_apply() {
    // The JSON body holds no NUL (the file is base64url), but the vendor signed one into a
    // claim; the server stores and logs a license's ids, so PostgreSQL answered 500 here.
    let h = harness().await;
    let nul_id = signed_license(&h.vendor, "L-\0-1", None);
    let nul_feature = signed_license(&h.vendor, "L-2", Some(json!({"tier": "gold\0"})));
    for (what, file, claim) in [
        ("a license id", &nul_id, "/jti"),
        ("a feature", &nul_feature, "/features/tier"),
    ] {
        let body = json!({ "file": file }).to_string();
        let (status, answer) = h.json("POST", "/api/v1/licenses", &body).await;
        assert_refused(what, status, &answer);
        assert!(answer.to_string().contains(claim), "{what}: {answer}");

        let body = json!({ "license": file }).to_string();
        let (status, answer) = h.json("POST", "/api/v1/licenses.add", &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {answer}");
        assert_eq!(answer["success"], json!(false), "{what}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains("NUL"),
            "{what}: {answer}"
        );
        assert!(
            answer["error"].as_str().unwrap().contains(claim),
            "{what}: {answer}"
        );
    }
    assert_eq!(
        h.db.scalar("SELECT COUNT(*) FROM installed_licenses").await,
        0
    );
    let (status, info) = h.json("GET", "/api/v1/licenses.info", "").await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["license"], Value::Null, "nothing was applied: {info}");

    // The same vendor's license without a NUL installs and applies: the refusal is the NUL.
    let clean = signed_license(&h.vendor, "L-3", Some(json!({"tier": "gold"})));
    let body = json!({ "file": &clean }).to_string();
    let (status, answer) = h.json("POST", "/api/v1/licenses", &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let body = json!({ "license": &clean }).to_string();
    let (status, answer) = h.json("POST", "/api/v1/licenses.add", &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}
