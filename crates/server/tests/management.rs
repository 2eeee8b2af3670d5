//! Managing keys, seats and tokens (issue 10 §2) through the router: listing and search,
//! showing seats, updates, freeing seats, the administrator's 409, tokens and the audit log.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use licet_issuer::{KeySpec, SigningKey};
use licet_server::auth::Permission;
use licet_server::{create_token, router, AppState};
use licet_verifier::{MachineId, TrustedKeys};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

const T0: i64 = 1_790_000_000;

struct Harness {
    state: AppState,
    now: Arc<AtomicI64>,
    admin: String,
    _dir: tempfile::TempDir,
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_db_in(dir.path()).await;
    let store = db.store.clone();
    let api_key = SigningKey::generate(KeySpec::Rsa(2048)).unwrap();
    let mut state = AppState::new(store, TrustedKeys::new(), api_key);
    let now = Arc::new(AtomicI64::new(T0));
    let clock = now.clone();
    state.clock = Arc::new(move || clock.load(Ordering::SeqCst));
    let (admin, _) = create_token(state.store.as_ref(), "admin", &Permission::ALL, T0, None)
        .await
        .unwrap();
    Harness {
        state,
        now,
        admin: admin.to_string(),
        _dir: dir,
    }
}

fn machine(n: u32) -> String {
    MachineId::from_raw_identifier(&format!("machine-{n}")).to_string()
}

impl Harness {
    async fn call_as(
        &self,
        token: Option<&str>,
        method: &str,
        uri: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("x-auth-token", token);
        }
        let body = if body.is_null() {
            Body::empty()
        } else {
            Body::from(body.to_string())
        };
        let response = router(self.state.clone())
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn call(&self, method: &str, uri: &str, body: Value) -> (StatusCode, Value) {
        self.call_as(Some(&self.admin), method, uri, body).await
    }

    /// A new key: (text, id).
    async fn new_key(&self, customer: &str, max: i64) -> (String, String) {
        let (status, body) = self
            .call(
                "POST",
                "/api/v1/license-keys",
                json!({"customer": customer, "product": "app", "max_activations": max}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (
            body["data"]["license_key"].as_str().unwrap().to_owned(),
            body["data"]["id"].as_str().unwrap().to_owned(),
        )
    }

    async fn machine_call(&self, route: &str, body: Value) -> (StatusCode, Value) {
        self.call_as(None, "POST", &format!("/license/{route}"), body)
            .await
    }

    async fn log(&self) -> Vec<Value> {
        let (status, body) = self
            .call("GET", "/api/v1/admin-log?per_page=500", Value::Null)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"].as_array().unwrap().clone()
    }
}

#[tokio::test]
async fn keys_are_listed_searched_and_paginated_by_id_and_hint() {
    let h = harness().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let customer = if n % 2 == 0 { "ACME" } else { "Globex" };
        let (key, id) = h.new_key(customer, 1).await;
        ids.push((key, id));
    }
    let (status, body) = h
        .call(
            "GET",
            "/api/v1/license-keys?customer=ACME&per_page=2",
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["pagination"],
        json!({"page": 1, "per_page": 2, "total": 3, "pages": 2})
    );
    let page1 = body["data"].as_array().unwrap();
    assert_eq!(page1.len(), 2);
    assert_eq!(page1[0]["id"], json!(ids[0].1));
    assert_eq!(
        page1[0]["license_key"],
        Value::Null,
        "listings never carry key text"
    );
    assert_eq!(page1[0]["key_hint"], json!(&ids[0].0[ids[0].0.len() - 4..]));
    let (_, body) = h
        .call(
            "GET",
            "/api/v1/license-keys?customer=ACME&per_page=2&page=2",
            Value::Null,
        )
        .await;
    assert_eq!(body["data"][0]["id"], json!(ids[4].1));
    // Suspend one and filter by status.
    let (status, _) = h
        .call(
            "PATCH",
            &format!("/api/v1/license-keys/{}", ids[1].1),
            json!({"status": "suspended"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = h
        .call("GET", "/api/v1/license-keys?status=suspended", Value::Null)
        .await;
    assert_eq!(body["pagination"]["total"], 1);
    assert_eq!(body["data"][0]["id"], json!(ids[1].1));
    // Injection attempts are plain values: they match nothing and break nothing.
    for hostile in [
        "ACME'%20OR%20'1'='1",
        "%27%3B%20DROP%20TABLE%20license_keys%3B--",
        "%25",
    ] {
        let (status, body) = h
            .call(
                "GET",
                &format!("/api/v1/license-keys?customer={hostile}"),
                Value::Null,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["pagination"]["total"], 0, "{hostile}");
    }
    let (_, body) = h.call("GET", "/api/v1/license-keys", Value::Null).await;
    assert_eq!(body["pagination"]["total"], 5, "the table survived");
}

#[tokio::test]
async fn pagination_bounds_are_named_422() {
    let h = harness().await;
    for (query, name) in [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=99999999999999999999", "page"),
        ("page=1000001", "page"),
        ("per_page=0", "per_page"),
        ("per_page=501", "per_page"),
        ("per_page=abc", "per_page"),
        ("status=deleted", "status"),
        ("sort=customer", "sort"),
        ("page=1&page=2", "page"),
    ] {
        for route in ["/api/v1/license-keys", "/api/v1/admin-log"] {
            if route.ends_with("admin-log") && name == "status" {
                continue;
            }
            let (status, body) = h
                .call("GET", &format!("{route}?{query}"), Value::Null)
                .await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{route}?{query}: {body}"
            );
            let message = body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains(&format!("`{name}`")), "{query}: {message}");
        }
    }
    let (status, _) = h
        .call(
            "GET",
            "/api/v1/license-keys?per_page=500&page=1000000",
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn show_lists_seats_with_hostname_and_validation_stamp() {
    let mut h = harness().await;
    h.state.validation_stamp_secs = 60;
    let (key, id) = h.new_key("ACME", 2).await;
    let m1 = machine(1);
    let (status, body) = h
        .machine_call(
            "activate",
            json!({"license_key": key, "machine_id": m1, "hostname": "build-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = h
        .call("GET", &format!("/api/v1/license-keys/{id}"), Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let seat = &body["data"]["seats"][0];
    assert_eq!(seat["machine_id"], json!(m1));
    assert_eq!(seat["hostname"], "build-01");
    assert_eq!(seat["last_validated_at"], Value::Null);
    assert!(seat["license_id"].is_string() && seat["activated_at"].is_string());
    assert_eq!(
        body["data"]["license_key"],
        Value::Null,
        "named by id: no text"
    );
    // By text too.
    let (_, by_key) = h
        .call("GET", &format!("/api/v1/license-keys/{key}"), Value::Null)
        .await;
    assert_eq!(by_key["data"]["seats"], body["data"]["seats"]);

    // Validate: stamped; within the granularity, not again (decided from the row read).
    let validate = json!({"license_key": key, "machine_id": m1});
    assert_eq!(
        h.machine_call("validate", validate.clone()).await.0,
        StatusCode::OK
    );
    let stamp = |b: &Value| b["data"]["seats"][0]["last_validated_at"].clone();
    let (_, body) = h
        .call("GET", &format!("/api/v1/license-keys/{id}"), Value::Null)
        .await;
    let first = stamp(&body);
    assert!(first.is_string());
    h.now.store(T0 + 59, Ordering::SeqCst);
    h.machine_call("validate", validate.clone()).await;
    let (_, body) = h
        .call("GET", &format!("/api/v1/license-keys/{id}"), Value::Null)
        .await;
    assert_eq!(stamp(&body), first, "no write within 60 s");
    h.now.store(T0 + 60, Ordering::SeqCst);
    h.machine_call("validate", validate).await;
    let (_, body) = h
        .call("GET", &format!("/api/v1/license-keys/{id}"), Value::Null)
        .await;
    assert_ne!(stamp(&body), first, "written once the stamp is 60 s old");

    // A hostname that is too long or carries control characters is refused, no seat taken.
    for bad in [json!("h".repeat(254)), json!("a\nb"), json!(7)] {
        let (status, body) = h
            .machine_call(
                "activate",
                json!({"license_key": key, "machine_id": machine(2), "hostname": bad}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["errors"]["hostname"].is_array());
    }
    let (_, body) = h
        .call("GET", &format!("/api/v1/license-keys/{id}"), Value::Null)
        .await;
    assert_eq!(body["data"]["activations"], 1);
}

#[tokio::test]
async fn updates_renew_reseat_and_keep_seats_above_a_lowered_limit() {
    let h = harness().await;
    let (key, id) = h.new_key("ACME", 3).await;
    for n in 1..=3 {
        let (status, _) = h
            .machine_call(
                "activate",
                json!({"license_key": key, "machine_id": machine(n)}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = h
        .call(
            "PATCH",
            &format!("/api/v1/license-keys/{id}"),
            json!({"max_activations": 1, "expires_at": "2031-01-31", "customer": "ACME-2",
                   "product": null, "license_type": "TRIAL", "lease_days": 7, "features": {"tier": "gold"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["max_activations"], 1);
    assert_eq!(data["activations"], 3, "seats in use are kept");
    assert_eq!(
        data["expires_at"], "2031-02-01T00:00:00Z",
        "through the whole day"
    );
    assert_eq!(data["customer"], "ACME-2");
    assert_eq!(data["product"], Value::Null);
    assert_eq!(data["license_type"], "TRIAL");
    // Existing seats still validate; a new machine is refused until under the limit.
    let (status, body) = h
        .machine_call(
            "validate",
            json!({"license_key": key, "machine_id": machine(2)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = h
        .machine_call(
            "activate",
            json!({"license_key": key, "machine_id": machine(9)}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Bad values are named; the trial mint runs on the updated record.
    for (bad, field) in [
        (json!({"max_activations": 0}), "max_activations"),
        (json!({"expires_at": "2020-01-01"}), "expires_at"),
        (json!({"customer": ""}), "customer"),
        (json!({"license_type": "lower"}), "license_type"),
        (json!({"customer": "x".repeat(60_000)}), "customer"),
        (json!({"owner": "x"}), "owner"),
    ] {
        let (status, body) = h
            .call("PATCH", &format!("/api/v1/license-keys/{id}"), bad.clone())
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(field), "{bad}: {message}");
    }
    let log = h.log().await;
    let update = log
        .iter()
        .find(|e| e["action"] == "license_key.update")
        .unwrap();
    assert_eq!(update["target"], json!(id));
    assert_eq!(update["before"]["max_activations"], 3);
    assert_eq!(update["after"]["max_activations"], 1);
    assert!(update["token_id"].is_string());
    assert_eq!(update["user_id"], "admin");
    assert!(
        !log.iter().any(|e| e.to_string().contains(&key)),
        "no key text in the log"
    );
}

#[tokio::test]
async fn freeing_a_seat_drops_its_file_and_a_return_gets_a_new_license_id() {
    let h = harness().await;
    let (key, id) = h.new_key("ACME", 1).await;
    let m1 = machine(1);
    let body = json!({"license_key": key, "machine_id": m1});
    let (_, first) = h.machine_call("activate", body.clone()).await;
    let old_file = first["data"]["license_file"].as_str().unwrap().to_owned();
    let (_, shown) = h
        .call("GET", &format!("/api/v1/license-keys/{id}"), Value::Null)
        .await;
    let old_license = shown["data"]["seats"][0]["license_id"].clone();

    // A machine holding no seat: 404, nothing logged.
    let before = h.log().await.len();
    let (status, _) = h
        .call(
            "DELETE",
            &format!("/api/v1/license-keys/{id}/activations/{}", machine(2)),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h
        .call(
            "DELETE",
            &format!("/api/v1/license-keys/{id}/activations/not-a-machine"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(h.log().await.len(), before);

    let (status, freed) = h
        .call(
            "DELETE",
            &format!("/api/v1/license-keys/{key}/activations/{m1}"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{freed}");
    assert_eq!(freed["data"]["activations"], 0);
    assert_eq!(freed["data"]["license_id"], old_license);
    let log = h.log().await;
    assert_eq!(log[0]["action"], "license_key.free_seat");
    assert_eq!(log[0]["before"]["machine_id"], json!(m1));

    // The freed machine validating is refused; re-activating gives a new seat and file.
    let (status, _) = h.machine_call("validate", body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, again) = h.machine_call("activate", body).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(again["data"]["license_file"].as_str().unwrap(), old_file);
    let (_, shown) = h
        .call("GET", &format!("/api/v1/license-keys/{id}"), Value::Null)
        .await;
    assert_ne!(shown["data"]["seats"][0]["license_id"], old_license);
}

#[tokio::test]
async fn the_administrator_sees_who_holds_the_seats_the_anonymous_caller_does_not() {
    let h = harness().await;
    let (key, id) = h.new_key("ACME", 1).await;
    let m1 = machine(1);
    let (status, body) = h
        .call(
            "POST",
            &format!("/api/v1/license-keys/{id}/activations"),
            json!({"machine_id": m1, "hostname": "ws-7"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["hostname"], "ws-7");
    assert_eq!(body["data"]["new_seat"], true);
    let (status, body) = h
        .call(
            "POST",
            &format!("/api/v1/license-keys/{id}/activations"),
            json!({"machine_id": m1}),
        )
        .await;
    assert_eq!(
        (status, &body["data"]["new_seat"]),
        (StatusCode::OK, &json!(false))
    );

    let (status, admin) = h
        .call(
            "POST",
            &format!("/api/v1/license-keys/{key}/activations"),
            json!({"machine_id": machine(2)}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let message = admin["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(&m1) && message.contains("ws-7"),
        "{message}"
    );
    assert_eq!(admin["errors"][0]["code"], "LE_ERR_SS_1201");

    let (status, anonymous) = h
        .machine_call(
            "activate",
            json!({"license_key": key, "machine_id": machine(2)}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        anonymous,
        json!({"message": "Activation limit reached: all 1 seat(s) are in use"})
    );
    assert!(!anonymous.to_string().contains(&m1));
    let log = h.log().await;
    assert_eq!(
        log.iter()
            .filter(|e| e["action"] == "license_key.activate")
            .count(),
        1
    );
}

#[tokio::test]
async fn tokens_are_listed_without_secrets_and_revoked_at_once() {
    let h = harness().await;
    let (keys_only, keys_record) = create_token(
        h.state.store.as_ref(),
        "ops",
        &[Permission::ManageLicenseKeys],
        T0,
        Some(T0 + 86_400),
    )
    .await
    .unwrap();
    let (status, body) = h.call("GET", "/api/v1/tokens", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let text = body.to_string();
    assert!(!text.contains(keys_only.as_str()) && !text.contains("sha256"));
    let listed = body["data"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1]["id"], json!(keys_record.id));
    assert_eq!(listed[1]["status"], "active");

    // It works, is revoked, and is refused at once; its id cannot be revoked twice.
    let (status, _) = h
        .call_as(Some(&keys_only), "GET", "/api/v1/license-keys", Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = h
        .call(
            "DELETE",
            &format!("/api/v1/tokens/{}", keys_record.id),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "revoked");
    let (status, _) = h
        .call_as(Some(&keys_only), "GET", "/api/v1/license-keys", Value::Null)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = h
        .call(
            "DELETE",
            &format!("/api/v1/tokens/{}", keys_record.id),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h
        .call("DELETE", "/api/v1/tokens/no-such-id", Value::Null)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let log = h.log().await;
    assert_eq!(
        log.iter().filter(|e| e["action"] == "token.revoke").count(),
        1
    );
    assert!(!log
        .iter()
        .any(|e| e.to_string().contains(keys_only.as_str())));

    // An expired token is refused.
    let (expiring, _) = create_token(
        h.state.store.as_ref(),
        "x",
        &Permission::ALL,
        T0,
        Some(T0 + 10),
    )
    .await
    .unwrap();
    h.now.store(T0 + 10, Ordering::SeqCst);
    let (status, _) = h
        .call_as(Some(&expiring), "GET", "/api/v1/tokens", Value::Null)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A token may revoke itself: answered, then refused.
    let (status, body) = h.call("GET", "/api/v1/tokens", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let own = body["data"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = h
        .call("DELETE", &format!("/api/v1/tokens/{own}"), Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.call("GET", "/api/v1/tokens", Value::Null).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_new_route_wants_its_own_permission() {
    let h = harness().await;
    let (key, id) = h.new_key("ACME", 1).await;
    let m = machine(1);
    // Every permission but the one each route needs.
    let without = |p: Permission| -> Vec<Permission> {
        Permission::ALL.into_iter().filter(|q| *q != p).collect()
    };
    let routes = [
        (
            Permission::ManageLicenseKeys,
            "GET",
            "/api/v1/license-keys".to_owned(),
            Value::Null,
        ),
        (
            Permission::ManageLicenseKeys,
            "GET",
            format!("/api/v1/license-keys/{id}"),
            Value::Null,
        ),
        (
            Permission::ManageLicenseKeys,
            "PATCH",
            format!("/api/v1/license-keys/{id}"),
            json!({"max_activations": 2}),
        ),
        (
            Permission::ManageLicenseKeys,
            "POST",
            format!("/api/v1/license-keys/{key}/activations"),
            json!({"machine_id": m}),
        ),
        (
            Permission::ManageLicenseKeys,
            "DELETE",
            format!("/api/v1/license-keys/{key}/activations/{m}"),
            Value::Null,
        ),
        (
            Permission::ManageTokens,
            "GET",
            "/api/v1/tokens".to_owned(),
            Value::Null,
        ),
        (
            Permission::ManageTokens,
            "DELETE",
            "/api/v1/tokens/x".to_owned(),
            Value::Null,
        ),
        (
            Permission::ViewAdminLog,
            "GET",
            "/api/v1/admin-log".to_owned(),
            Value::Null,
        ),
    ];
    for (needed, method, uri, body) in routes {
        let (token, _) = create_token(h.state.store.as_ref(), "u", &without(needed), T0, None)
            .await
            .unwrap();
        let (status, reply) = h.call_as(Some(&token), method, &uri, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {reply}");
        assert_eq!(reply["errors"][0]["code"], "LE_ERR_SS_302");
        let (status, _) = h.call_as(None, method, &uri, body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri}");
    }
    // Nothing was changed by the refused calls.
    let (_, body) = h
        .call("GET", &format!("/api/v1/license-keys/{id}"), Value::Null)
        .await;
    assert_eq!(
        (
            body["data"]["max_activations"].clone(),
            body["data"]["activations"].clone()
        ),
        (json!(1), json!(0))
    );
}

#[tokio::test]
async fn the_audit_log_filters_and_never_holds_secrets() {
    let h = harness().await;
    let (key, id) = h.new_key("ACME", 1).await;
    h.now.store(T0 + 1000, Ordering::SeqCst);
    h.call(
        "PATCH",
        &format!("/api/v1/license-keys/{id}"),
        json!({"status": "suspended"}),
    )
    .await;
    let (status, body) = h
        .call(
            "GET",
            &format!("/api/v1/admin-log?target={id}"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["license_key.update", "license_key.create"]);
    let (_, body) = h
        .call(
            "GET",
            "/api/v1/admin-log?since=2026-09-21T14:21:40Z&action=license_key.update",
            Value::Null,
        )
        .await;
    assert_eq!(body["pagination"]["total"], 1, "{body}");
    let (status, _) = h
        .call("GET", "/api/v1/admin-log?since=yesterday", Value::Null)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let all = h.log().await;
    let text = serde_json::to_string(&all).unwrap();
    assert!(!text.contains(&key) && !text.contains(&h.admin));
}

#[tokio::test]
async fn migration_0007_gives_existing_keys_distinct_uuid_ids_and_no_hint() {
    use sqlx::Row;
    let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
    for sql in [
        include_str!("../migrations/0001_tokens_and_installed_licenses.sql"),
        include_str!("../migrations/0002_license_keys_and_activations.sql"),
        include_str!("../migrations/0003_license_key_assignment.sql"),
        include_str!("../migrations/0004_applied_license.sql"),
        include_str!("../migrations/0005_departments_and_certificates.sql"),
        include_str!("../migrations/0006_license_key_lease_days.sql"),
    ] {
        sqlx::raw_sql(sql).execute(&pool).await.unwrap();
    }
    for hash in [[1u8], [2u8]] {
        sqlx::query("INSERT INTO license_keys (key_sha256, customer, license_type, max_activations, status, created_at, updated_at) VALUES (?, 'C', 'STANDARD', 1, 'active', 0, 0)")
            .bind(hash.to_vec())
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::raw_sql(include_str!("../migrations/0007_management.sql"))
        .execute(&pool)
        .await
        .unwrap();
    let rows = sqlx::query("SELECT id, key_hint FROM license_keys")
        .fetch_all(&pool)
        .await
        .unwrap();
    let ids: Vec<String> = rows.iter().map(|r| r.get("id")).collect();
    for (row, id) in rows.iter().zip(&ids) {
        let parsed = uuid::Uuid::parse_str(id).unwrap();
        assert_eq!(parsed.get_version_num(), 4, "{id}");
        assert_eq!(
            &parsed.hyphenated().to_string(),
            id,
            "stored as KeyRef looks it up"
        );
        assert_eq!(row.get::<Option<String>, _>("key_hint"), None);
    }
    assert_ne!(ids[0], ids[1]);
}

/// Issue 14 §2 (the console's token page): `POST /api/v1/tokens` makes a token shown once, that
/// expires, with only permissions the caller holds (no escalation), and logs it.
#[tokio::test]
async fn tokens_made_through_the_api_expire_and_never_exceed_their_maker() {
    let h = harness().await;
    let (status, body) = h
        .call(
            "POST",
            "/api/v1/tokens",
            json!({"user_id": "support", "permissions": ["manage-license-keys"], "expires_days": 7}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let made = body["data"]["token"].as_str().unwrap().to_owned();
    assert!(made.starts_with("lct_"));
    assert_eq!(body["data"]["permissions"], json!(["manage-license-keys"]));
    assert_eq!(body["data"]["user_id"], "support");
    let expires = licet_verifier::UnixTime::from_secs(T0 + 7 * 86_400)
        .unwrap()
        .to_rfc3339();
    assert_eq!(body["data"]["expires_at"], expires.as_str());
    // The new token works, and shows only what it was given.
    let (status, _) = h
        .call_as(Some(&made), "GET", "/api/v1/license-keys", Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(h
        .log()
        .await
        .iter()
        .any(|e| e["action"] == "token.create" && !e.to_string().contains(&made)));

    // A token with manage-tokens but not manage-licenses cannot make one that has it.
    let (limited, _) = create_token(
        h.state.store.as_ref(),
        "ops",
        &[Permission::ManageTokens, Permission::ManageLicenseKeys],
        T0,
        None,
    )
    .await
    .unwrap();
    let (status, body) = h
        .call_as(
            Some(&limited),
            "POST",
            "/api/v1/tokens",
            json!({"user_id": "x", "permissions": ["manage-licenses"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("manage-licenses"));
    // Bad bodies: no permission, an unknown one, an expiry out of range, an unknown field.
    for bad in [
        json!({"user_id": "x", "permissions": []}),
        json!({"user_id": "x", "permissions": ["admin"]}),
        json!({"user_id": "x", "permissions": ["manage-tokens"], "expires_days": 0}),
        json!({"user_id": "x", "permissions": ["manage-tokens"], "expires_days": 3651}),
        json!({"user_id": "", "permissions": ["manage-tokens"]}),
        json!({"user_id": "x", "permissions": ["manage-tokens"], "no_expiry": true}),
    ] {
        let (status, body) = h.call("POST", "/api/v1/tokens", bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    // Never longer than the maker's own token: one that expires in 2 days makes 2-day tokens.
    let (short, _) = create_token(
        h.state.store.as_ref(),
        "ops",
        &[Permission::ManageTokens],
        T0,
        Some(T0 + 2 * 86_400),
    )
    .await
    .unwrap();
    let (status, body) = h
        .call_as(
            Some(&short),
            "POST",
            "/api/v1/tokens",
            json!({"user_id": "z", "permissions": ["manage-tokens"], "expires_days": 3650}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let two_days = licet_verifier::UnixTime::from_secs(T0 + 2 * 86_400)
        .unwrap()
        .to_rfc3339();
    assert_eq!(body["data"]["expires_at"], two_days.as_str());
    // Default expiry: 90 days.
    let (_, body) = h
        .call(
            "POST",
            "/api/v1/tokens",
            json!({"user_id": "y", "permissions": ["view-admin-log"]}),
        )
        .await;
    let ninety = licet_verifier::UnixTime::from_secs(T0 + 90 * 86_400)
        .unwrap()
        .to_rfc3339();
    assert_eq!(body["data"]["expires_at"], ninety.as_str());
}

/// Issue 14 §2 (the console's "download a license file for a seat"): the administrator gets the
/// seat's file, bound to the machine, when naming the key by its text; by id it is a 422 (the
/// file carries the key's text, which the server keeps only as a hash); no seat is a 404.
#[tokio::test]
async fn an_administrator_gets_a_seats_license_file() {
    let h = harness().await;
    let (key, id) = h.new_key("ACME", 2).await;
    let m = machine(1);
    let (status, _) = h
        .machine_call("activate", json!({"license_key": key, "machine_id": m}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let uri =
        |k: &str, machine: &str| format!("/api/v1/license-keys/{k}/activations/{machine}/license");
    // A GET changes nothing here: the file is taken by POST (it may mint and is logged).
    let (status, _) = h.call("GET", &uri(&key, &m), Value::Null).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, body) = h.call("POST", &uri(&key, &m), Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let file = body["data"]["license_file"].as_str().unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            file.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["jti"], body["data"]["license_id"]);
    assert_eq!(claims["machine_ids"], json!([m]));
    assert!(
        h.log()
            .await
            .iter()
            .any(|e| e["action"] == "license_key.seat_file"
                && e["target"] == id.as_str()
                && e["after"]["machine_id"] == m.as_str()),
        "the audit log records who took which seat's file"
    );
    let (status, body) = h.call("POST", &uri(&id, &m), Value::Null).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = h.call("POST", &uri(&key, &machine(2)), Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Without the permission: 403.
    let (other, _) = create_token(
        h.state.store.as_ref(),
        "ops",
        &[Permission::ViewAdminLog],
        T0,
        None,
    )
    .await
    .unwrap();
    let (status, _) = h
        .call_as(Some(&other), "POST", &uri(&key, &m), Value::Null)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
