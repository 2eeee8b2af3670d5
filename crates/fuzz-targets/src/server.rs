//! The server's bodies (JSON, form and multipart) through the router, with no socket.

use crate::{fixed, harness};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use licet_verifier::{
    verify_fresh_response, verify_license, Freshness, MachineCheck, MachineId, TrustedKeys,
    VerifyOptions,
};
use serde_json::Value;
use tower::ServiceExt;

/// A request as the input writes it: a request line `METHOD TARGET`, header lines `Name: value`,
/// an empty line, then the body (all of the rest, bytes as they are). Lines end with `\n`.
fn parse_request(data: &[u8]) -> Option<(Request<Body>, Vec<u8>)> {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.split('\n');
    let (method, target) = lines.next()?.split_once(' ')?;
    let mut builder = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).ok()?)
        .uri(target);
    for line in lines {
        let (name, value) = line.split_once(':')?;
        builder = builder.header(name.trim(), value.trim());
    }
    let request = builder.body(Body::from(body.to_vec())).ok()?;
    Some((request, body.to_vec()))
}

/// The server's response key, as a client trusts it.
fn response_keys() -> &'static TrustedKeys {
    static KEYS: std::sync::OnceLock<TrustedKeys> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        [fixed::rsa_key().public_key().clone()]
            .into_iter()
            .collect()
    })
}

/// `licet serve`'s router ([`licet_server::router`]) driven by `tower::ServiceExt::oneshot`, on
/// one runtime and one database per process (the fixed license key and the fixed token exist;
/// the clock is fixed; rate limits are off). The input is a request (see `parse_request`:
/// `POST /license/activate`, headers such as `X-Auth-Token` and `Content-Type`, a blank line,
/// the body). Asserts: no answer is a server error (5xx: a hostile body is the client's
/// error); every JSON answer is JSON; every signed answer (`signature`) verifies with the
/// server's response key, and is fresh and echoes the request's nonce when it sent one; and
/// every license file an answer carries (`license_file`) verifies with the vendor key, valid,
/// for the key and machine the answer names.
pub fn server(data: &[u8]) {
    let Some((request, body)) = parse_request(data) else {
        return;
    };
    let _exclusive = harness::exclusive();
    let harness = harness::harness();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let (status, content_type, bytes) = harness.block_on(async {
        let response = match harness.app.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = match response.into_body().collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) => panic!("{method} {path}: the response body fails: {e}"),
        };
        (status, content_type, bytes)
    });
    if method != Method::GET && path.starts_with("/api/v1/license-keys") {
        harness.restore_fixed_key();
    }
    let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(500)]).into_owned();
    assert!(
        !status.is_server_error(),
        "{method} {path}: {status}: {shown}"
    );
    if !content_type.starts_with("application/json") || bytes.is_empty() {
        return;
    }
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(e) => panic!("{method} {path}: {status}: the JSON answer is not JSON ({e}): {shown}"),
    };
    if value.get("signature").is_some() {
        let sent = serde_json::from_slice::<Value>(&body).ok();
        let nonce = sent
            .as_ref()
            .and_then(|b| b.get("nonce"))
            .and_then(Value::as_str);
        let mut freshness = Freshness::at(fixed::now()).max_age_secs(0);
        if let Some(nonce) = nonce {
            freshness = freshness.nonce(nonce);
        }
        let signed_at_now = status == StatusCode::OK && path.starts_with("/license/");
        let checked = if signed_at_now {
            verify_fresh_response(&bytes, response_keys(), &freshness).map(|_| ())
        } else {
            licet_verifier::verify_signed_response(&bytes, response_keys()).map(|_| ())
        };
        if let Err(e) = checked {
            panic!(
                "{method} {path}: {status}: a signed answer is refused by the client: {e}: {shown}"
            );
        }
    }
    if let Some(data) = value.get("data") {
        check_license_file(data, &method, &path);
    }
}

/// The license file an answer carries verifies, valid, for the answer's key and machine.
fn check_license_file(data: &Value, method: &Method, path: &str) {
    let Some(file) = data.get("license_file").and_then(Value::as_str) else {
        return;
    };
    let machine = data
        .get("machine_id")
        .and_then(Value::as_str)
        .and_then(|m| MachineId::parse(m).ok());
    let Some(machine) = machine else {
        panic!("{method} {path}: a license file without the machine it is for");
    };
    let options = VerifyOptions {
        machine: MachineCheck::Machine(machine),
        ..VerifyOptions::at(fixed::now())
    };
    let report = verify_license(file.as_bytes(), fixed::trusted_keys(), &options);
    let Some(verified) = report.valid_license() else {
        panic!(
            "{method} {path}: the server handed out a license file that is {}: {}",
            report.status, report.reason
        );
    };
    let key = verified.claims().license_key.as_ref().map(|k| k.as_str());
    assert_eq!(
        key,
        data.get("license_key").and_then(Value::as_str),
        "{method} {path}: the license file is for another key"
    );
}
