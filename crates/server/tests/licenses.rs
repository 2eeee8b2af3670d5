//! The installed-license API (seed 000) through the router, without a socket.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use licet_issuer::{mint_license, KeySpec, SigningKey};
use licet_server::auth::Permission;
use licet_server::store::{
    ActivateError, Activation, ActivationOutcome, AdminEntry, AdminLogFilter, AdminLogRecord,
    AdminLogStore, ApiToken, CertStore, CertificateRecord, Department, InstalledLicense,
    KeyChanges, KeyFilter, KeyStore, LicenseKeyRecord, PageRequest, SeatFileMaker, Store,
    StoreError,
};
use licet_server::{create_token, router, AppState};
use licet_verifier::{LicenseClaims, LicenseType, TrustedKeys, UnixTime};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

const T0: i64 = 1_790_000_000; // 2026-09-21

struct Harness {
    state: AppState,
    vendor: SigningKey,
    now: Arc<AtomicI64>,
    token: String,
    _dir: tempfile::TempDir,
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_db_in(dir.path()).await;
    let store = db.store.clone();
    let vendor = SigningKey::generate(KeySpec::Ed25519).unwrap();
    let trusted: TrustedKeys = [vendor.public_key().clone()].into_iter().collect();
    let api_key = SigningKey::generate(KeySpec::Rsa(2048)).unwrap();
    let mut state = AppState::new(store, trusted, api_key);
    let now = Arc::new(AtomicI64::new(T0));
    let clock = now.clone();
    state.clock = Arc::new(move || clock.load(Ordering::SeqCst));
    let (token, _) = create_token(state.store.as_ref(), "admin", &Permission::ALL, T0, None)
        .await
        .unwrap();
    Harness {
        state,
        vendor,
        now,
        token: token.to_string(),
        _dir: dir,
    }
}

fn claims(id: &str, exp_offset: Option<i64>) -> LicenseClaims {
    let iat = UnixTime::from_secs(T0 - 86_400).unwrap();
    LicenseClaims {
        expires_at: exp_offset.map(|o| UnixTime::from_secs(T0 + o).unwrap()),
        license_type: LicenseType::parse("TRIAL").unwrap(),
        ..LicenseClaims::new(id, "ACME-001", iat)
    }
}

impl Harness {
    fn license(&self, id: &str, exp_offset: Option<i64>) -> String {
        mint_license(&self.vendor, None, &claims(id, exp_offset))
            .unwrap()
            .token
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header("x-auth-token", token);
        }
        let body = match body {
            Some(v) => {
                request = request.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).unwrap()).await
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = router(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        assert!(response.headers().contains_key("x-request-id"));
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, value)
    }
}

fn assert_error(body: &Value, top: &str, detail: &str, path: &str) {
    assert_eq!(body["code"], top, "{body}");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["code"], detail, "{body}");
    assert_eq!(errors[0]["path"], path);
    assert!(errors[0]["message"].as_str().unwrap().len() > 5);
}

#[tokio::test]
async fn install_list_get_and_replace() {
    let h = harness().await;
    let token = Some(h.token.as_str());
    let (status, body) = h
        .call(
            "POST",
            "/api/v1/licenses",
            token,
            Some(json!({"file": h.license("L-1", Some(86_400 * 30))})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["code"], "LE_SS_200");
    let data = &body["data"];
    assert_eq!(data["licenseId"], "L-1");
    assert_eq!(data["customerId"], "ACME-001");
    assert_eq!(data["status"], "ACTIVE");
    assert_eq!(data["licenseType"], "TRIAL");
    assert_eq!(data["enabled"], true);
    assert_eq!(
        data["expiry"],
        UnixTime::from_secs(T0 + 86_400 * 30).unwrap().to_rfc3339()
    );
    assert_eq!(
        data["createdAt"],
        UnixTime::from_secs(T0 - 86_400).unwrap().to_rfc3339()
    );
    let keys: Vec<&str> = data
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "createdAt",
            "customerId",
            "enabled",
            "expiry",
            "licenseId",
            "licenseType",
            "status",
            "updatedAt"
        ]
    );

    // Installing the same id again replaces it; updatedAt moves.
    h.now.store(T0 + 100, Ordering::SeqCst);
    let (status, body) = h
        .call(
            "POST",
            "/api/v1/licenses",
            token,
            Some(json!({"file": h.license("L-1", Some(86_400 * 60))})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["data"]["updatedAt"],
        UnixTime::from_secs(T0 + 100).unwrap().to_rfc3339()
    );
    assert_eq!(
        body["data"]["expiry"],
        UnixTime::from_secs(T0 + 86_400 * 60).unwrap().to_rfc3339()
    );

    h.call(
        "POST",
        "/api/v1/licenses",
        token,
        Some(json!({"file": h.license("L-2", None)})),
    )
    .await;
    let (status, body) = h.call("GET", "/api/v1/licenses", token, None).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["licenseId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["L-1", "L-2"]);
    let (status, body) = h.call("GET", "/api/v1/licenses/L-2", token, None).await;
    assert_eq!(
        (status, &body["data"]["expiry"]),
        (StatusCode::OK, &Value::Null)
    );

    // Status is re-evaluated at read time.
    h.now.store(T0 + 86_400 * 61, Ordering::SeqCst);
    let (_, body) = h.call("GET", "/api/v1/licenses/L-1", token, None).await;
    assert_eq!(body["data"]["status"], "EXPIRED");
}

#[tokio::test]
async fn reinstalling_keeps_the_switch_and_refuses_a_downgrade() {
    let h = harness().await;
    let token = Some(h.token.as_str());
    let newer = {
        let mut c = claims("L-1", Some(1000));
        c.issued_at = UnixTime::from_secs(T0 - 10).unwrap();
        mint_license(&h.vendor, None, &c).unwrap().token
    };
    let older = h.license("L-1", Some(1000)); // issued at T0 - 86400
    assert_eq!(
        h.call(
            "POST",
            "/api/v1/licenses",
            token,
            Some(json!({"file": newer}))
        )
        .await
        .0,
        StatusCode::OK
    );
    h.call(
        "PATCH",
        "/api/v1/licenses/L-1",
        token,
        Some(json!({"enabled": false})),
    )
    .await;
    let (status, body) = h
        .call(
            "POST",
            "/api/v1/licenses",
            token,
            Some(json!({"file": older})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("issued earlier"));
    let (status, body) = h
        .call(
            "POST",
            "/api/v1/licenses",
            token,
            Some(json!({"file": newer})),
        )
        .await;
    assert_eq!(
        (status, &body["data"]["enabled"]),
        (StatusCode::OK, &json!(false)),
        "reinstalling does not re-enable"
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_shape() {
    let h = harness().await;
    let (status, body) = h
        .call("GET", "/api/v1/nothing-here", Some(&h.token), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(
        &body,
        "LE_ERR_SS_404",
        "LE_ERR_SS_001",
        "/api/v1/nothing-here",
    );
    let (status, body) = h
        .call("DELETE", "/api/v1/licenses", Some(&h.token), None)
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_error(&body, "LE_ERR_SS_405", "LE_ERR_SS_405", "/api/v1/licenses");
    let (status, body) = h
        .call("GET", "/api/v1/licenses/%FF", Some(&h.token), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(
        &body,
        "LE_ERR_SS_400",
        "LE_ERR_SS_008",
        "/api/v1/licenses/%FF",
    );
}

#[tokio::test]
async fn an_oversized_multipart_upload_gets_413() {
    let h = harness().await;
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.lic\"\r\n\r\n{}\r\n--{boundary}--\r\n",
        "A".repeat(300 * 1024)
    );
    let request = Request::builder()
        .method("POST")
        .uri("/api/v1/licenses")
        .header("x-auth-token", &h.token)
        .header(
            "content-type",
            format!("Multipart/Form-Data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let (status, body) = h.send(request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_error(&body, "LE_ERR_SS_413", "LE_ERR_SS_413", "/api/v1/licenses");
}

#[tokio::test]
async fn install_by_multipart() {
    let h = harness().await;
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.lic\"\r\nContent-Type: application/octet-stream\r\n\r\n{}\r\n--{boundary}--\r\n",
        h.license("M-1", Some(1000))
    );
    let request = Request::builder()
        .method("POST")
        .uri("/api/v1/licenses")
        .header("x-auth-token", &h.token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let (status, body) = h.send(request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["licenseId"], "M-1");
}

#[tokio::test]
async fn enable_and_disable() {
    let h = harness().await;
    let token = Some(h.token.as_str());
    h.call(
        "POST",
        "/api/v1/licenses",
        token,
        Some(json!({"file": h.license("L-1", None)})),
    )
    .await;
    let (status, body) = h
        .call(
            "PATCH",
            "/api/v1/licenses/L-1",
            token,
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(
        (status, &body["data"]["enabled"]),
        (StatusCode::OK, &json!(false))
    );
    let (_, body) = h.call("GET", "/api/v1/licenses/L-1", token, None).await;
    assert_eq!(body["data"]["enabled"], false);
    let (status, body) = h
        .call(
            "PATCH",
            "/api/v1/licenses/L-1",
            token,
            Some(json!({"enabled": "no"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(
        &body,
        "LE_ERR_SS_400",
        "LE_ERR_SS_008",
        "/api/v1/licenses/L-1",
    );
    let (status, body) = h
        .call(
            "PATCH",
            "/api/v1/licenses/nope",
            token,
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(
        &body,
        "LE_ERR_SS_404",
        "LE_ERR_SS_001",
        "/api/v1/licenses/nope",
    );
}

#[tokio::test]
async fn bad_licenses_are_refused_with_the_reason() {
    let h = harness().await;
    let token = Some(h.token.as_str());
    let good = h.license("L-1", Some(1000));
    let expired = h.license("L-2", Some(-10));
    let other_vendor = mint_license(
        &SigningKey::generate(KeySpec::Ed25519).unwrap(),
        None,
        &claims("L-3", None),
    )
    .unwrap()
    .token;
    let mut tampered = good.clone().into_bytes();
    let i = good.find('.').unwrap() + 4;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    for (file, why) in [
        (expired, "EXPIRED"),
        (other_vendor, "UNKNOWN_KEY"),
        (String::from_utf8(tampered).unwrap(), "BAD_SIGNATURE"),
        ("not a license".to_owned(), "MALFORMED"),
    ] {
        let (status, body) = h
            .call(
                "POST",
                "/api/v1/licenses",
                token,
                Some(json!({"file": file})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_error(&body, "LE_ERR_SS_400", "LE_ERR_SS_008", "/api/v1/licenses");
        assert!(
            body["errors"][0]["message"].as_str().unwrap().contains(why),
            "{body}"
        );
    }
    let (status, body) = h
        .call(
            "POST",
            "/api/v1/licenses",
            token,
            Some(json!({"license": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("\"file\""));
    let (_, body) = h.call("GET", "/api/v1/licenses", token, None).await;
    assert_eq!(body["data"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn authentication_and_permissions() {
    let h = harness().await;
    let (status, body) = h.call("GET", "/api/v1/licenses", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "LE_ERR_SS_401", "LE_ERR_SS_301", "/api/v1/licenses");
    let (status, body) = h
        .call(
            "GET",
            "/api/v1/licenses",
            Some("lct_not-a-real-token"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "LE_ERR_SS_401", "LE_ERR_SS_303", "/api/v1/licenses");
    let (status, _) = h
        .call(
            "GET",
            "/api/v1/licenses",
            Some(&h.token[..h.token.len() - 1]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let store = h.state.store.as_ref();
    let (expiring, _) = create_token(store, "u", &Permission::ALL, T0, Some(T0 + 60))
        .await
        .unwrap();
    assert_eq!(
        h.call("GET", "/api/v1/licenses", Some(&expiring), None)
            .await
            .0,
        StatusCode::OK
    );
    h.now.store(T0 + 60, Ordering::SeqCst);
    let (status, body) = h
        .call("GET", "/api/v1/licenses", Some(&expiring), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "LE_ERR_SS_401", "LE_ERR_SS_303", "/api/v1/licenses");

    let (limited, _) = create_token(store, "u", &[Permission::ManageCertificates], T0, None)
        .await
        .unwrap();
    let (status, body) = h
        .call("GET", "/api/v1/licenses", Some(&limited), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "LE_ERR_SS_403", "LE_ERR_SS_302", "/api/v1/licenses");
}

#[tokio::test]
async fn oversized_bodies_get_413_in_the_error_shape() {
    let h = harness().await;
    let big = json!({"file": "A".repeat(300 * 1024)});
    let (status, body) = h
        .call("POST", "/api/v1/licenses", Some(&h.token), Some(big))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_error(&body, "LE_ERR_SS_413", "LE_ERR_SS_413", "/api/v1/licenses");
}

#[tokio::test]
async fn public_key_and_jwks_describe_the_signing_key() {
    let h = harness().await;
    let response = router(h.state.clone())
        .oneshot(
            Request::get("/license/public-key")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let pem = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    let key = licet_verifier::TrustedKey::from_pem(&pem).unwrap();
    assert_eq!(key.kid(), h.state.signing_key.kid());
    let (status, jwks) = h.call("GET", "/.well-known/jwks.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(jwks["keys"][0]["kid"], h.state.signing_key.kid());
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
}

/// A store whose every call fails, to see the 500 body.
struct BrokenStore;

#[async_trait]
impl Store for BrokenStore {
    fn backend(&self) -> licet_server::Backend {
        licet_server::Backend::Sqlite
    }
    async fn insert_console_session(
        &self,
        _: &licet_server::store::ConsoleSession,
        _: u32,
    ) -> Result<(), StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn find_console_session(
        &self,
        _: &[u8; 32],
    ) -> Result<Option<licet_server::store::ConsoleSession>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn delete_console_session(&self, _: &[u8; 32]) -> Result<bool, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn count_activations(&self) -> Result<i64, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn insert_token(&self, _: &ApiToken, _: Option<&AdminEntry>) -> Result<(), StoreError> {
        Err(StoreError("disk on fire: /secret/path".into()))
    }
    async fn find_token(&self, _: &[u8; 32]) -> Result<Option<ApiToken>, StoreError> {
        Err(StoreError("disk on fire: /secret/path".into()))
    }
    async fn upsert_license(
        &self,
        _: &InstalledLicense,
    ) -> Result<Option<InstalledLicense>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn list_licenses(&self) -> Result<Vec<InstalledLicense>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn set_applied_license(&self, _: &str, _: &str, _: i64) -> Result<(), StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn get_applied_license(&self) -> Result<Option<(String, String, i64)>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn get_license(&self, _: &str) -> Result<Option<InstalledLicense>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn set_license_enabled(
        &self,
        _: &str,
        _: bool,
        _: i64,
    ) -> Result<Option<InstalledLicense>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn list_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn revoke_token(
        &self,
        _: &str,
        _: i64,
        _: &AdminEntry,
    ) -> Result<Option<ApiToken>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
}

#[async_trait]
impl AdminLogStore for BrokenStore {
    async fn insert_admin_log(&self, _: &AdminEntry) -> Result<(), StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn list_admin_log(
        &self,
        _: &AdminLogFilter,
        _: PageRequest,
    ) -> Result<(Vec<AdminLogRecord>, i64), StoreError> {
        Err(StoreError("disk on fire".into()))
    }
}

#[async_trait]
impl KeyStore for BrokenStore {
    async fn insert_license_key(
        &self,
        _: &LicenseKeyRecord,
        _: Option<&AdminEntry>,
    ) -> Result<(), StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn get_license_key_by_id(
        &self,
        _: &str,
    ) -> Result<Option<(LicenseKeyRecord, i64)>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn list_license_keys(
        &self,
        _: &KeyFilter,
        _: PageRequest,
    ) -> Result<(Vec<(LicenseKeyRecord, i64)>, i64), StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn list_seats(&self, _: &[u8], _: i64) -> Result<Vec<Activation>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn stamp_validation(&self, _: &[u8], _: &str, _: &str, _: i64) -> Result<(), StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn get_license_key(
        &self,
        _: &[u8],
    ) -> Result<Option<(LicenseKeyRecord, i64)>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn update_license_key(
        &self,
        _: &[u8],
        _: &KeyChanges,
        _: i64,
        _: Option<&AdminEntry>,
    ) -> Result<Option<(LicenseKeyRecord, i64)>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn activate(
        &self,
        _: &[u8],
        _: &str,
        _: &str,
        _: Option<&str>,
        _: i64,
        _: SeatFileMaker<'_>,
        _: Option<&AdminEntry>,
    ) -> Result<ActivationOutcome, ActivateError> {
        Err(StoreError("disk on fire".into()).into())
    }
    async fn find_activation(&self, _: &[u8], _: &str) -> Result<Option<Activation>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn deactivate(
        &self,
        _: &[u8],
        _: &str,
        _: Option<&AdminEntry>,
    ) -> Result<Option<(Activation, i64)>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn assign_license_key(
        &self,
        _: &[u8],
        _: Option<&str>,
        _: Option<&str>,
        _: i64,
    ) -> Result<bool, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
}

#[async_trait]
impl CertStore for BrokenStore {
    async fn insert_department(&self, _: &Department) -> Result<bool, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn list_departments(&self) -> Result<Vec<Department>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn get_department(&self, _: &str) -> Result<Option<Department>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn insert_certificate(&self, _: &CertificateRecord) -> Result<bool, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn list_certificates(&self) -> Result<Vec<(CertificateRecord, String)>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn get_certificate(
        &self,
        _: &str,
    ) -> Result<Option<(CertificateRecord, String)>, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
    async fn delete_certificate(&self, _: &str) -> Result<bool, StoreError> {
        Err(StoreError("disk on fire".into()))
    }
}

#[tokio::test]
async fn internal_errors_reveal_nothing() {
    let mut h = harness().await;
    h.state.store = Arc::new(BrokenStore);
    let (status, body) = h
        .call("GET", "/api/v1/licenses", Some("lct_anything"), None)
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body,
        json!({"code": "LE_ERR_SS_500", "errors": [{"message": "Internal Server Error", "path": null, "code": null}]})
    );
}
