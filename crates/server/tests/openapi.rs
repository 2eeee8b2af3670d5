//! The OpenAPI document and the offline docs page, through the router without a socket.
//! (schemathesis checks live responses against the document: scripts/api-fuzz.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use licet_issuer::{KeySpec, SigningKey};
use licet_server::{router, AppState, DOCS_PATH, OPENAPI_PATH};
use licet_verifier::TrustedKeys;
use serde_json::Value;
use tower::ServiceExt;

async fn app() -> (axum::Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_db_in(dir.path()).await;
    let store = db.store.clone();
    let key = SigningKey::generate(KeySpec::Rsa(2048)).unwrap();
    let state = AppState::new(store, TrustedKeys::new(), key);
    (router(state), dir)
}

async fn get(app: &axum::Router, path: &str) -> (StatusCode, String, Vec<u8>) {
    let response = app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, content_type, body.to_vec())
}

/// Every route of the issue, with its methods: the document must list exactly these.
const ROUTES: &[(&str, &[&str])] = &[
    ("/api/v1/licenses", &["get", "post"]),
    ("/api/v1/licenses/{license_id}", &["get", "patch"]),
    ("/api/v1/license-keys", &["get", "post"]),
    ("/api/v1/license-keys/{key}", &["get", "patch"]),
    ("/api/v1/license-keys/{key}/activations", &["post"]),
    (
        "/api/v1/license-keys/{key}/activations/{machine_id}",
        &["delete"],
    ),
    (
        "/api/v1/license-keys/{key}/activations/{machine_id}/license",
        &["post"],
    ),
    ("/api/v1/tokens", &["get", "post"]),
    ("/api/v1/tokens/{id}", &["delete"]),
    ("/api/v1/admin-log", &["get"]),
    ("/api/v1/assign-license-key", &["post"]),
    ("/api/v1/licenses.add", &["post"]),
    ("/api/v1/licenses.info", &["get"]),
    ("/api/v1/departments", &["get", "post"]),
    ("/api/v1/certificates", &["get", "post"]),
    ("/api/v1/certificates/{id}", &["delete", "get"]),
    ("/license/activate", &["post"]),
    ("/license/validate", &["post"]),
    ("/license/deactivate", &["post"]),
    ("/license/public-key", &["get"]),
    ("/license/vendor-public-key", &["get"]),
    ("/.well-known/jwks.json", &["get"]),
    ("/healthz", &["get"]),
    ("/readyz", &["get"]),
    ("/metrics", &["get"]),
];

#[tokio::test]
async fn the_document_lists_every_route_and_only_those() {
    let (app, _dir) = app().await;
    let (status, content_type, body) = get(&app, OPENAPI_PATH).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let mut listed: Vec<(String, Vec<String>)> = paths
        .iter()
        .map(|(path, item)| {
            let mut methods: Vec<String> = item
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "patch", "put", "delete"].contains(&k.as_str()))
                .cloned()
                .collect();
            methods.sort();
            (path.clone(), methods)
        })
        .collect();
    listed.sort();
    let mut expected: Vec<(String, Vec<String>)> = ROUTES
        .iter()
        .map(|(p, m)| (p.to_string(), m.iter().map(|s| s.to_string()).collect()))
        .collect();
    expected.sort();
    assert_eq!(listed, expected);
    // The document must match the served API: the same function builds both.
    assert_eq!(
        serde_json::to_value(licet_server::openapi_document()).unwrap(),
        doc
    );
}

#[tokio::test]
async fn every_operation_documents_its_responses_with_schemas() {
    let (app, _dir) = app().await;
    let doc: Value = serde_json::from_slice(&get(&app, OPENAPI_PATH).await.2).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} has no success response"
            );
            for (status, response) in responses {
                assert!(
                    response["content"].is_object(),
                    "{method} {path} {status} has no content schema"
                );
            }
        }
    }
    // The token scheme that the protected routes name is declared.
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["name"],
        "X-Auth-Token"
    );
    let activate = &doc["paths"]["/license/activate"]["post"]["responses"];
    for status in ["200", "403", "404", "409", "422", "429"] {
        assert!(
            activate[status]["headers"]["x-ratelimit-remaining"].is_object(),
            "activate {status} documents no rate-limit headers"
        );
    }
}

#[tokio::test]
async fn the_docs_page_works_with_no_network() {
    let (app, _dir) = app().await;
    let (status, content_type, html) = get(&app, &format!("{DOCS_PATH}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("swagger-ui-bundle.js"));
    // Every asset the page loads is served by the binary, and none comes from elsewhere.
    for asset in [
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-ui.css",
        "swagger-initializer.js",
    ] {
        let (status, _, body) = get(&app, &format!("{DOCS_PATH}/{asset}")).await;
        assert_eq!(status, StatusCode::OK, "{asset}");
        assert!(body.len() > 100, "{asset} is empty");
    }
    for attribute in ["src=\"", "href=\""] {
        for link in html.split(attribute).skip(1) {
            let target = link.split('"').next().unwrap();
            assert!(
                !target.contains("//"),
                "the page loads {target} from another host"
            );
        }
    }
    let (_, _, init) = get(&app, &format!("{DOCS_PATH}/swagger-initializer.js")).await;
    let init = String::from_utf8(init).unwrap();
    assert!(
        init.contains(&format!("\"url\": \"{OPENAPI_PATH}\"")),
        "{init}"
    );
    assert!(init.contains("\"validatorUrl\": \"none\""), "{init}");
    assert!(!init.contains("https://"), "{init}");
}
