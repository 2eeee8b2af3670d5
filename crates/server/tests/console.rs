//! The web console's sessions (issue 14 §2) through the router, on both backends: sign-in with
//! an API token, the HttpOnly SameSite=Strict cookie, CSRF on every state-changing request, a
//! revoked token ending its sessions, sign-out, the token's permissions, and the assets'
//! Content-Security-Policy. (The pages themselves are driven in a browser by the console's
//! Playwright test.)
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
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

const T0: i64 = 1_790_000_000;

struct Harness {
    state: AppState,
    now: Arc<AtomicI64>,
    db: common::TestDb,
    _dir: tempfile::TempDir,
}

struct Reply {
    status: StatusCode,
    headers: HashMap<String, String>,
    body: Value,
    text: String,
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_db_in(dir.path()).await;
    let mut state = AppState::new(
        db.store.clone(),
        TrustedKeys::new(),
        SigningKey::generate(KeySpec::Rsa(2048)).unwrap(),
    );
    let now = Arc::new(AtomicI64::new(T0));
    let clock = now.clone();
    state.clock = Arc::new(move || clock.load(Ordering::SeqCst));
    Harness {
        state,
        now,
        db,
        _dir: dir,
    }
}

impl Harness {
    async fn token(&self, permissions: &[Permission]) -> String {
        create_token(self.state.store.as_ref(), "ops", permissions, T0, None)
            .await
            .unwrap()
            .0
            .to_string()
    }

    async fn send(&self, method: &str, uri: &str, headers: &[(&str, &str)], body: Value) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = if body.is_null() {
            Body::empty()
        } else {
            request = request.header("content-type", "application/json");
            Body::from(body.to_string())
        };
        let response = router(self.state.clone())
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
        }
    }

    /// `GET /api/v1/license-keys` with a session cookie.
    async fn keys_with(&self, cookie: &str) -> Reply {
        self.send(
            "GET",
            "/api/v1/license-keys",
            &[("cookie", cookie)],
            Value::Null,
        )
        .await
    }

    /// Signs in with `token`: the cookie header to send back, and the CSRF token.
    async fn sign_in(&self, token: &str) -> (String, String) {
        let reply = self
            .send("POST", "/console/session", &[], json!({"token": token}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let cookie = &reply.headers["set-cookie"];
        let pair = cookie.split(';').next().unwrap().to_owned();
        (
            pair,
            reply.body["data"]["csrfToken"].as_str().unwrap().to_owned(),
        )
    }
}

#[tokio::test]
async fn a_session_is_an_httponly_strict_cookie_and_needs_csrf_to_change_anything() {
    let h = harness().await;
    let token = h.token(&[Permission::ManageLicenseKeys]).await;

    // Login CSRF: what a cross-site form can send (text/plain), or JSON from another origin,
    // signs nobody in, even with a good token.
    let request = Request::builder()
        .method("POST")
        .uri("/console/session")
        .header("content-type", "text/plain")
        .body(Body::from(json!({"token": token}).to_string()))
        .unwrap();
    let response = router(h.state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get("set-cookie").is_none());
    let cross = h
        .send(
            "POST",
            "/console/session",
            &[("sec-fetch-site", "cross-site")],
            json!({"token": token}),
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert!(!cross.headers.contains_key("set-cookie"));
    assert_eq!(
        h.db.scalar("SELECT COUNT(*) FROM console_sessions").await,
        0
    );

    // A wrong token: no session, no cookie.
    let refused = h
        .send(
            "POST",
            "/console/session",
            &[],
            json!({"token": "lct_not-a-token"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(!refused.headers.contains_key("set-cookie"));

    let reply = h
        .send("POST", "/console/session", &[], json!({"token": token}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let set_cookie = &reply.headers["set-cookie"];
    for attribute in ["licet_session=", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "no TLS here: {set_cookie}");
    assert_eq!(reply.body["data"]["user"], "ops");
    assert_eq!(
        reply.body["data"]["permissions"],
        json!(["manage-license-keys"])
    );
    assert!(!reply.text.contains(&token), "the token is never sent back");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let session_id = cookie.strip_prefix("licet_session=").unwrap().to_owned();
    let csrf = reply.body["data"]["csrfToken"].as_str().unwrap().to_owned();
    assert_ne!(csrf, session_id);

    // Reads with the cookie alone.
    let list = h
        .send(
            "GET",
            "/api/v1/license-keys",
            &[("cookie", &cookie)],
            Value::Null,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let session = h
        .send(
            "GET",
            "/console/session",
            &[("cookie", &cookie)],
            Value::Null,
        )
        .await;
    assert_eq!(session.status, StatusCode::OK);
    assert_eq!(session.body["data"]["csrfToken"], csrf.as_str());

    // A change without the CSRF token, or with another session's: refused, nothing made.
    let create = json!({"customer": "ACME", "max_activations": 2});
    for headers in [
        vec![("cookie", cookie.as_str())],
        vec![("cookie", cookie.as_str()), ("x-csrf-token", "forged")],
    ] {
        let reply = h
            .send("POST", "/api/v1/license-keys", &headers, create.clone())
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
        assert_eq!(reply.body["errors"][0]["code"], "LE_ERR_SS_304");
    }
    assert_eq!(h.db.scalar("SELECT COUNT(*) FROM license_keys").await, 0);
    let made = h
        .send(
            "POST",
            "/api/v1/license-keys",
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            create,
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);

    // Only hashes are stored: two 32-byte digests per session, no text column.
    assert_eq!(
        h.db.scalar("SELECT COUNT(*) FROM console_sessions WHERE length(session_sha256) = 32 AND length(token_sha256) = 32")
            .await,
        1
    );
    assert!(session_id.len() >= 43, "a 256-bit id");

    // The token's permissions decide: this one may not read the audit log.
    let denied = h
        .send(
            "GET",
            "/api/v1/admin-log",
            &[("cookie", &cookie)],
            Value::Null,
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);
}

#[tokio::test]
async fn a_revoked_token_ends_its_sessions_and_sign_out_ends_one() {
    let h = harness().await;
    let admin = h.token(&Permission::ALL).await;
    let ops = h.token(&[Permission::ManageLicenseKeys]).await;
    let (cookie, _) = h.sign_in(&ops).await;
    let (second, second_csrf) = h.sign_in(&ops).await;
    let ok = |reply: &Reply| reply.status == StatusCode::OK;
    assert!(ok(&h.keys_with(&cookie).await));

    // Sign-out ends that session only, and needs the CSRF token too.
    let no_csrf = h
        .send(
            "DELETE",
            "/console/session",
            &[("cookie", &second)],
            Value::Null,
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let out = h
        .send(
            "DELETE",
            "/console/session",
            &[("cookie", &second), ("x-csrf-token", &second_csrf)],
            Value::Null,
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.headers["set-cookie"].contains("Max-Age=0"));
    assert_eq!(h.keys_with(&second).await.status, StatusCode::UNAUTHORIZED);
    assert!(ok(&h.keys_with(&cookie).await));

    // Revoking the token (here through the API, by another token) ends its sessions at once.
    let (status, tokens) = {
        let reply = h
            .send(
                "GET",
                "/api/v1/tokens",
                &[("x-auth-token", &admin)],
                Value::Null,
            )
            .await;
        (reply.status, reply.body)
    };
    assert_eq!(status, StatusCode::OK);
    let ops_id = tokens["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["permissions"] == json!(["manage-license-keys"]))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = h
        .send(
            "DELETE",
            &format!("/api/v1/tokens/{ops_id}"),
            &[("x-auth-token", &admin)],
            Value::Null,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(h.keys_with(&cookie).await.status, StatusCode::UNAUTHORIZED);
    let session = h
        .send(
            "GET",
            "/console/session",
            &[("cookie", &cookie)],
            Value::Null,
        )
        .await;
    assert_eq!(session.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sessions_end_after_twelve_hours_or_with_their_token() {
    let h = harness().await;
    let token = h.token(&[Permission::ManageLicenseKeys]).await;
    let (cookie, _) = h.sign_in(&token).await;
    h.now.store(
        T0 + licet_server::console::SESSION_SECS - 1,
        Ordering::SeqCst,
    );
    let reply = h
        .send(
            "GET",
            "/console/session",
            &[("cookie", &cookie)],
            Value::Null,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    h.now
        .store(T0 + licet_server::console::SESSION_SECS, Ordering::SeqCst);
    let reply = h
        .send(
            "GET",
            "/api/v1/license-keys",
            &[("cookie", &cookie)],
            Value::Null,
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    // A token that expires in an hour gives a session of an hour.
    let (short, _) = create_token(
        h.state.store.as_ref(),
        "ops",
        &[Permission::ManageLicenseKeys],
        T0,
        Some(T0 + licet_server::console::SESSION_SECS + 3600),
    )
    .await
    .unwrap();
    let reply = h
        .send(
            "POST",
            "/console/session",
            &[],
            json!({"token": short.as_str()}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert!(
        reply.headers["set-cookie"].contains("Max-Age=3600"),
        "{}",
        reply.headers["set-cookie"]
    );
}

#[tokio::test]
async fn one_token_keeps_at_most_sixteen_sessions_and_the_oldest_end_first() {
    // Whoever holds a token could sign in without end and fill the sessions table; the 17th
    // sign-in ends the oldest session, in the same second as the others too.
    use licet_server::console::MAX_SESSIONS_PER_TOKEN;
    let h = harness().await;
    let token = h.token(&[Permission::ManageLicenseKeys]).await;
    let other = h.token(&[Permission::ManageLicenseKeys]).await;
    let (others_session, _) = h.sign_in(&other).await;
    let mut cookies = Vec::new();
    for i in 0..MAX_SESSIONS_PER_TOKEN + 2 {
        // The first two an hour apart from the rest, so "oldest" is unambiguous for them.
        if i == 2 {
            h.now.store(T0 + 3600, Ordering::SeqCst);
        }
        cookies.push(h.sign_in(&token).await.0);
    }
    assert_eq!(
        h.db.scalar("SELECT COUNT(*) FROM console_sessions").await,
        i64::from(MAX_SESSIONS_PER_TOKEN) + 1,
        "sixteen of this token's and the other token's one"
    );
    for (i, cookie) in cookies.iter().enumerate() {
        let expected = if i < 2 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::OK
        };
        assert_eq!(h.keys_with(cookie).await.status, expected, "session {i}");
    }
    assert_eq!(
        h.keys_with(&others_session).await.status,
        StatusCode::OK,
        "another token's session is not counted against this one"
    );
}

#[tokio::test]
async fn a_secure_server_sets_and_reads_only_a_host_prefixed_cookie() {
    // Behind TLS the cookie is `__Host-licet_session` (Secure, Path=/, no Domain): a page on a
    // sibling subdomain cannot plant a session of its own choosing, since the server reads no
    // other name.
    let mut h = harness().await;
    h.state.secure_cookies = true;
    let token = h.token(&[Permission::ManageLicenseKeys]).await;
    let reply = h
        .send("POST", "/console/session", &[], json!({"token": token}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let set_cookie = &reply.headers["set-cookie"];
    assert!(
        set_cookie.starts_with("__Host-licet_session="),
        "{set_cookie}"
    );
    for attribute in ["; Secure", "; Path=/", "; HttpOnly", "; SameSite=Strict"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Domain"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let id = cookie.strip_prefix("__Host-licet_session=").unwrap();
    assert_eq!(h.keys_with(&cookie).await.status, StatusCode::OK);
    let planted = format!("licet_session={id}");
    assert_eq!(
        h.keys_with(&planted).await.status,
        StatusCode::UNAUTHORIZED,
        "the plain name is not read when cookies are Secure"
    );
    let csrf = reply.body["data"]["csrfToken"].as_str().unwrap();
    let out = h
        .send(
            "DELETE",
            "/console/session",
            &[("cookie", &cookie), ("x-csrf-token", csrf)],
            Value::Null,
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let cleared = &out.headers["set-cookie"];
    assert!(
        cleared.starts_with("__Host-licet_session=;") && cleared.contains("; Secure"),
        "a __Host- cookie is cleared only by a Secure Set-Cookie: {cleared}"
    );
}

#[tokio::test]
async fn the_console_is_served_from_the_binary_under_a_strict_policy() {
    let h = harness().await;
    let page = h.send("GET", "/console/", &[], Value::Null).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers["content-type"].starts_with("text/html"));
    let policy = &page.headers["content-security-policy"];
    assert!(
        policy.contains("default-src 'none'") && policy.contains("script-src 'self'"),
        "{policy}"
    );
    assert!(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"));
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    // No inline script or handler, and nothing from elsewhere.
    let html = page.text.to_lowercase();
    assert!(!html.contains("<script>") && !html.contains(" onclick") && !html.contains(" onload"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no CDN"
    );
    for (asset, kind) in [
        ("/console/app.js", "text/javascript"),
        ("/console/app.css", "text/css"),
    ] {
        let reply = h.send("GET", asset, &[], Value::Null).await;
        assert_eq!(reply.status, StatusCode::OK, "{asset}");
        assert!(reply.headers["content-type"].starts_with(kind), "{asset}");
        assert!(
            !reply.text.contains("innerHTML"),
            "{asset} writes values as text only"
        );
        assert!(
            !reply.text.contains("http://") && !reply.text.contains("https://"),
            "{asset}"
        );
    }
    let redirect = h.send("GET", "/console", &[], Value::Null).await;
    assert_eq!(redirect.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(redirect.headers["location"], "/console/");
}
