//! `POST /license/validate` through the router with no socket, against the one RSA-2048
//! signature each answer needs: the server's own cost per request, without the kernel's TCP and
//! the load generator (which `scripts/bench-server` includes).
#![allow(missing_docs)] // criterion_group! generates an undocumented function.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Bench code: a panic is the failure report.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use http_body_util::BodyExt;
use licet_issuer::{KeySpec, SigningKey};
use licet_server::auth::Permission;
use licet_server::ratelimit::RateLimiter;
use licet_server::{create_token, router, AppState, SqliteStore};
use licet_verifier::{Algorithm, MachineId, TrustedKeys};
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;

async fn call(
    app: &axum::Router,
    uri: &str,
    token: Option<&str>,
    body: &Value,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("x-auth-token", token);
    }
    let request = request.body(Body::from(body.to_string())).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = runtime.block_on(SqliteStore::init(&url)).unwrap().0;
    let api_key = SigningKey::generate(KeySpec::Rsa(2048)).unwrap();
    let mut state = AppState::new(Arc::new(store), TrustedKeys::new(), api_key);
    state.rate_limiter = Arc::new(RateLimiter::new(u32::MAX, u32::MAX));
    let signing_key = state.signing_key.clone();
    let (token, _) = runtime
        .block_on(create_token(
            state.store.as_ref(),
            "bench",
            &[Permission::ManageLicenseKeys],
            state.now(),
            None,
        ))
        .unwrap();
    let app = router(state);
    let (status, created) = runtime.block_on(call(
        &app,
        "/api/v1/license-keys",
        Some(token.as_ref()),
        &json!({"customer": "BENCH", "product": "app", "max_activations": 5,
                "features": {"tier": "gold"}}),
    ));
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let key = created["data"]["license_key"].as_str().unwrap().to_owned();
    let machine = MachineId::from_raw_identifier("bench-machine").to_string();
    let body = json!({"license_key": key, "machine_id": machine});
    let (status, answer) = runtime.block_on(call(&app, "/license/activate", None, &body));
    assert_eq!(status, StatusCode::OK, "{answer}");
    // As many bytes as a real answer signs.
    let signed_len = licet_server::signing::canonical_json(&answer["data"])
        .unwrap()
        .len();
    let message = vec![b'x'; signed_len];

    let mut group = c.benchmark_group("server/validate");
    group.bench_function("router", |b| {
        b.iter(|| {
            let (status, _) =
                runtime.block_on(call(&app, "/license/validate", None, black_box(&body)));
            assert_eq!(status, StatusCode::OK);
        })
    });
    group.bench_function("raw_sign", |b| {
        b.iter(|| {
            signing_key
                .sign(Algorithm::RS256, black_box(&message))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
