//! Signing certificates (seed 001) and departments, with real PKCS#12 files from fixtures/pkcs12.
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
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/pkcs12")
            .join(name),
    )
    .unwrap()
}

struct Harness {
    state: AppState,
    store: Arc<dyn licet_server::store::Store>,
    token: String,
    dir: tempfile::TempDir,
    db_url: String,
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_db_in(dir.path()).await;
    let store = db.store.clone();
    let state = AppState::new(
        store.clone(),
        TrustedKeys::new(),
        SigningKey::generate(KeySpec::Rsa(2048)).unwrap(),
    );
    let (token, _) = create_token(
        state.store.as_ref(),
        "admin",
        &[Permission::ManageCertificates],
        0,
        None,
    )
    .await
    .unwrap();
    Harness {
        state,
        store,
        token: token.to_string(),
        dir,
        db_url: db.url.clone(),
    }
}

impl Harness {
    async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = router(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn json(&self, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("x-auth-token", &self.token)
            .header("content-type", "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        self.send(request).await
    }

    async fn upload(
        &self,
        file_name: &str,
        file: &[u8],
        fields: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let boundary = "licetBoundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"certificateFile\"; filename=\"{file_name}\"\r\nContent-Type: application/x-pkcs12\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = Request::post("/api/v1/certificates")
            .header("x-auth-token", &self.token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    async fn department(&self, name: &str) -> String {
        let (status, body) = self
            .json("POST", "/api/v1/departments", Some(json!({"name": name})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"]["id"].as_str().unwrap().to_owned()
    }
}

const PASS: &str = "fixture-passphrase-not-secret";

#[tokio::test]
async fn upload_list_get_delete() {
    let h = harness().await;
    let hr = h.department("HR").await;
    let (status, body) = h
        .json("POST", "/api/v1/departments", Some(json!({"name": "HR"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, body) = h.json("GET", "/api/v1/departments", None).await;
    assert_eq!(body["data"][0]["name"], "HR");

    let (status, body) = h
        .upload(
            "signing.p12",
            &fixture("openssl3-rsa2048.p12"),
            &[
                ("passkey", PASS),
                ("departmentId", &hr),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let data = &body["data"];
    let keys: Vec<&str> = data
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "certificateType",
            "createdAt",
            "departmentId",
            "departmentName",
            "expiry",
            "id",
            "name"
        ]
    );
    assert_eq!(data["certificateType"], "PKCS12_PFX");
    assert_eq!(data["name"], "openssl3-rsa2048", "the friendlyName");
    assert_eq!(
        (
            data["departmentId"].as_str(),
            data["departmentName"].as_str()
        ),
        (Some(hr.as_str()), Some("HR"))
    );
    assert!(data["expiry"].as_str().unwrap().ends_with('Z'));
    let id = data["id"].as_str().unwrap().to_owned();

    // The same alias again: 409 with the seed's detail code.
    let (status, body) = h
        .upload(
            "again.pfx",
            &fixture("openssl3-rsa2048.p12"),
            &[("passkey", PASS), ("departmentId", &hr)],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "LE_ERR_SS_409");
    assert_eq!(body["errors"][0]["code"], "LE_ERR_SS_1101");
    assert_eq!(
        body["errors"][0]["message"],
        "Certificate with alias 'openssl3-rsa2048' already exists for the organisation"
    );
    // With another name it is accepted.
    let (status, _) = h
        .upload(
            "again.pfx",
            &fixture("keytool-ed25519.p12"),
            &[("passkey", PASS), ("departmentId", &hr), ("name", "second")],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (_, body) = h.json("GET", "/api/v1/certificates", None).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    let (status, body) = h
        .json("GET", &format!("/api/v1/certificates/{id}"), None)
        .await;
    assert_eq!((status, &body["data"]["id"]), (StatusCode::OK, &json!(id)));

    // At rest: the private key is sealed under the master key; the passkey is nowhere.
    let (record, _) = h.store.get_certificate(&id).await.unwrap().unwrap();
    let pkcs8 = h
        .state
        .master_key
        .open(record.key.sealed().expect("a sealed key"), id.as_bytes())
        .unwrap();
    let key = SigningKey::from_pkcs8_der(&pkcs8).unwrap();
    assert_eq!(key.kid(), record.kid);
    assert!(
        !record
            .key
            .sealed()
            .unwrap()
            .windows(16)
            .any(|w| pkcs8.windows(16).next() == Some(w)),
        "stored in clear"
    );
    for file in ["t.db", "t.db-wal"] {
        let bytes = std::fs::read(h.dir.path().join(file)).unwrap_or_default();
        assert!(
            !bytes.windows(PASS.len()).any(|w| w == PASS.as_bytes()),
            "the passkey is in {file}"
        );
        assert!(
            !bytes.windows(32).any(|w| w == &pkcs8[pkcs8.len() - 32..]),
            "key bytes in clear in {file}"
        );
    }

    let (status, _) = h
        .json("DELETE", &format!("/api/v1/certificates/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = h
        .json("GET", &format!("/api/v1/certificates/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["errors"][0]["code"], "LE_ERR_SS_001");
    let (status, _) = h
        .json("DELETE", &format!("/api/v1/certificates/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_uploads_are_refused() {
    let h = harness().await;
    let hr = h.department("Ops").await;
    let p12 = fixture("openssl3-ed25519.p12");
    let (status, body) = h
        .upload(
            "k.p12",
            &p12,
            &[("passkey", "wrong"), ("departmentId", &hr)],
        )
        .await;
    assert_eq!(
        (status, body["errors"][0]["message"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("Wrong passkey for the certificate file")
        )
    );
    let (status, body) = h
        .upload("k.pem", &p12, &[("passkey", PASS), ("departmentId", &hr)])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("only .p12/.pfx"));
    let (status, body) = h
        .upload(
            "k.p12",
            &fixture("bad-random.p12"),
            &[("passkey", PASS), ("departmentId", &hr)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Unsupported certificate format"),
        "{body}"
    );
    let (status, body) = h
        .upload(
            "k.p12",
            &p12,
            &[("passkey", PASS), ("departmentId", "no-such-department")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["errors"][0]["code"], "LE_ERR_SS_001");
    let (status, _) = h.upload("k.p12", &p12, &[("passkey", PASS)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "departmentId is required");
    // Over 5 MB: refused while streaming.
    let big = vec![0x30u8; 6 * 1024 * 1024];
    let (status, body) = h
        .upload("big.p12", &big, &[("passkey", PASS), ("departmentId", &hr)])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let (_, body) = h.json("GET", "/api/v1/certificates", None).await;
    assert_eq!(body["data"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn pkcs12_decryptions_run_one_at_a_time() {
    let h = Arc::new(harness().await);
    let hr = h.department("HR").await;
    // Another decryption holds the only permit: this upload waits for it.
    let held = h
        .state
        .pkcs12_decryptions
        .clone()
        .acquire_owned()
        .await
        .unwrap();
    let waiting = {
        let h = h.clone();
        tokio::spawn(async move {
            h.upload(
                "signing.p12",
                &fixture("openssl3-rsa2048.p12"),
                &[
                    ("passkey", PASS),
                    ("departmentId", &hr),
                    ("enabled", "true"),
                ],
            )
            .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the upload did not wait its turn");
    drop(held);
    let (status, body) = waiting.await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(h.state.pkcs12_decryptions.available_permits(), 1);
}

/// Issue 14 §1: every replica is given the one master key, and opens the certificate keys
/// another replica sealed; a replica given another key is refused at start (on SQLite the second
/// store is a second process's connection to the same file).
#[tokio::test]
async fn a_replica_on_the_same_database_opens_what_another_sealed() {
    use licet_server::master_key::MasterKey;
    let mut h = harness().await;
    let master = [0x42_u8; 32];
    h.state.master_key = Arc::new(MasterKey::from_bytes(&master).unwrap());
    let hr = h.department("HR").await;
    let (status, body) = h
        .upload(
            "signing.p12",
            &fixture("openssl3-rsa2048.p12"),
            &[("passkey", PASS), ("departmentId", &hr)],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_owned();

    let replica = common::TestDb::reopen(&h.db_url).await;
    let path = Path::new("master.key");
    licet_server::check_master_key(
        replica.as_ref(),
        &MasterKey::from_bytes(&master).unwrap(),
        path,
    )
    .await
    .expect("the same master key opens what the other replica sealed");
    let (record, department) = replica.get_certificate(&id).await.unwrap().unwrap();
    assert_eq!(department, "HR");
    let opened = MasterKey::from_bytes(&master)
        .unwrap()
        .open(record.key.sealed().unwrap(), id.as_bytes())
        .expect("the sealed key opens under the shared master key");
    assert!(!opened.is_empty());
    let other = licet_server::check_master_key(
        replica.as_ref(),
        &MasterKey::from_bytes(&[0x43_u8; 32]).unwrap(),
        path,
    )
    .await;
    assert!(
        matches!(other, Err(licet_server::ServeError::WrongMasterKey { .. })),
        "a replica with another master key must not start: {other:?}"
    );
}

/// A PKCS#12 file carries names of its own: its friendlyName (the name when the form gives
/// none) and its certificate's CN (the stored subject). python cryptography writes a NUL into
/// both; the upload is refused with 400 naming the field, and nothing is stored (PostgreSQL
/// answered 500 here, SQLite stored the NUL).
#[tokio::test]
async fn a_nul_in_the_files_own_names_is_refused_and_nothing_is_stored() {
    let h = harness().await;
    let hr = h.department("HR").await;
    let path = h.dir.path().join("nul.p12");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/make_nul_p12.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(&path)
        .arg(PASS)
        .output()
        .expect("python3 with cryptography is required (.ci/run installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p12 = std::fs::read(&path).unwrap();
    for (form_name, field) in [(None, "`name`"), (Some("signing"), "`subject`")] {
        let mut fields = vec![("passkey", PASS), ("departmentId", hr.as_str())];
        if let Some(name) = form_name {
            fields.push(("name", name));
        }
        let (status, body) = h.upload("nul.p12", &p12, &fields).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
        let text = body.to_string();
        assert!(text.contains(field) && text.contains("NUL"), "{text}");
    }
    let (_, body) = h.json("GET", "/api/v1/certificates", None).await;
    assert_eq!(body["data"], json!([]), "nothing stored: {body}");
}
