//! `verify_signed_response`: both shapes, signed here with the demo RSA key.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use aws_lc_rs::rsa::KeyPair;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use licet_verifier::{
    parse_public_keys, verify_fresh_response, verify_signed_response, Freshness, ResponseError,
    ResponseKind, TrustedKeys, UnixTime,
};
use serde_json::json;
use std::path::Path;

fn repo(path: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path),
    )
    .unwrap()
}

fn sign(bytes: &[u8]) -> String {
    let (_, der) = pem_rfc7468::decode_vec(repo("keys/demo-rsa2048.key.pem").as_bytes()).unwrap();
    let key = KeyPair::from_pkcs8(&der).unwrap();
    let mut sig = vec![0; key.public_modulus_len()];
    key.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        bytes,
        &mut sig,
    )
    .unwrap();
    STANDARD.encode(sig)
}

fn keys() -> TrustedKeys {
    parse_public_keys(repo("keys/demo-rsa2048.pub.pem").as_bytes())
        .unwrap()
        .into_iter()
        .collect()
}

#[test]
fn data_responses_are_checked_over_canonical_json() {
    // Canonical form: keys sorted, no whitespace.
    let canonical =
        br#"{"activations":1,"license_key":"ABCDE-12345-FGHIJ-67890-KLMNO","machine_id":"aa"}"#;
    let response = json!({"data": {"machine_id": "aa", "license_key": "ABCDE-12345-FGHIJ-67890-KLMNO", "activations": 1}, "signature": sign(canonical)});
    let verified = verify_signed_response(response.to_string().as_bytes(), &keys()).unwrap();
    assert_eq!(verified.kind, ResponseKind::Data);
    let mut changed = response.clone();
    changed["data"]["activations"] = json!(2);
    assert_eq!(
        verify_signed_response(changed.to_string().as_bytes(), &keys()).unwrap_err(),
        ResponseError::BadSignature
    );
}

#[test]
fn envelopes_are_checked_over_the_encoded_bytes() {
    let bytes = br#"{"code":800,"message":"License key assigned","timestamp":1708999933}"#;
    let envelope = json!({
        "response": {"code": 800, "message": "License key assigned", "timestamp": 1708999933},
        "response_base64": STANDARD.encode(bytes), "private_key_used": "global", "signature": sign(bytes),
    });
    assert_eq!(
        verify_signed_response(envelope.to_string().as_bytes(), &keys())
            .unwrap()
            .kind,
        ResponseKind::Envelope
    );
    let mut shown_differently = envelope.clone();
    shown_differently["response"]["code"] = json!(801);
    assert_eq!(
        verify_signed_response(shown_differently.to_string().as_bytes(), &keys()).unwrap_err(),
        ResponseError::Mismatch
    );
    assert_eq!(
        verify_signed_response(b"{\"x\":1}", &keys()).unwrap_err(),
        ResponseError::UnknownShape
    );
    assert!(matches!(
        verify_signed_response(b"nope", &keys()),
        Err(ResponseError::NotJson(_))
    ));
}

/// A `{data, signature}` answer signed over the JCS form of `data`.
fn signed_data(data: serde_json::Value) -> Vec<u8> {
    let canonical = serde_jcs::to_vec(&data).unwrap();
    json!({"data": data, "signature": sign(&canonical)})
        .to_string()
        .into_bytes()
}

const T: i64 = 1_800_000_000;

fn at(secs: i64) -> Freshness<'static> {
    Freshness::at(UnixTime::from_secs(secs).unwrap())
}

#[test]
fn a_fresh_answer_echoes_the_nonce_and_is_recent() {
    let answer =
        signed_data(json!({"status": "active", "timestamp": T, "nonce": "abcdefghijklmnop"}));
    let ok = verify_fresh_response(
        &answer,
        &keys(),
        &at(T + 30).nonce("abcdefghijklmnop").max_age_secs(60),
    )
    .unwrap();
    assert_eq!(
        (ok.timestamp(), ok.nonce()),
        (Some(T), Some("abcdefghijklmnop"))
    );
    // Exactly at the maximum age: still fresh; one second past: refused.
    assert!(verify_fresh_response(&answer, &keys(), &at(T + 60).max_age_secs(60)).is_ok());
    assert!(matches!(
        verify_fresh_response(&answer, &keys(), &at(T + 61).max_age_secs(60)),
        Err(ResponseError::TooOld {
            timestamp: T,
            age_secs: 61,
            max_age_secs: 60
        })
    ));
    // Another request's nonce: a replay.
    assert!(matches!(
        verify_fresh_response(&answer, &keys(), &at(T).nonce("ponmlkjihgfedcba")),
        Err(ResponseError::NonceMismatch { .. })
    ));
    // Without options only the signature (and a timestamp from the future) is checked.
    assert!(verify_fresh_response(&answer, &keys(), &at(T + 86_400 * 365)).is_ok());
}

#[test]
fn answers_from_the_future_are_refused_beyond_the_tolerance() {
    let answer = signed_data(json!({"status": "active", "timestamp": T}));
    let tolerance = i64::from(licet_verifier::DEFAULT_RESPONSE_CLOCK_TOLERANCE_SECS);
    assert!(verify_fresh_response(&answer, &keys(), &at(T - tolerance)).is_ok());
    let err = verify_fresh_response(&answer, &keys(), &at(T - tolerance - 1)).unwrap_err();
    assert!(
        matches!(err, ResponseError::FromTheFuture { ahead_secs, .. } if ahead_secs == tolerance + 1)
    );
    assert!(err.to_string().contains("ahead of this clock"), "{err}");
    let strict = Freshness {
        clock_tolerance_secs: 0,
        ..at(T - 1)
    };
    assert!(verify_fresh_response(&answer, &keys(), &strict).is_err());
}

#[test]
fn missing_or_mistyped_freshness_members_are_refused_when_asked_for() {
    let old_style = signed_data(json!({"status": "active"}));
    assert!(verify_fresh_response(&old_style, &keys(), &at(T)).is_ok());
    assert_eq!(
        verify_fresh_response(&old_style, &keys(), &at(T).max_age_secs(60)).unwrap_err(),
        ResponseError::NoTimestamp
    );
    assert_eq!(
        verify_fresh_response(&old_style, &keys(), &at(T).nonce("abcdefghijklmnop")).unwrap_err(),
        ResponseError::NoNonce
    );
    let text_time = signed_data(json!({"status": "active", "timestamp": "1800000000"}));
    assert_eq!(
        verify_fresh_response(&text_time, &keys(), &at(T).max_age_secs(60)).unwrap_err(),
        ResponseError::BadTimestamp
    );
    let number_nonce =
        signed_data(json!({"status": "active", "timestamp": T, "nonce": 1234567890123456_i64}));
    assert!(matches!(
        verify_fresh_response(&number_nonce, &keys(), &at(T).nonce("1234567890123456"))
            .unwrap_err(),
        ResponseError::NonceMismatch { .. }
    ));
}

#[test]
fn members_outside_the_signed_shape_are_refused() {
    let answer: serde_json::Value =
        serde_json::from_slice(&signed_data(json!({"status": "active", "timestamp": T}))).unwrap();
    let mut extra = answer.clone();
    extra["approved"] = json!(true);
    assert_eq!(
        verify_signed_response(extra.to_string().as_bytes(), &keys()).unwrap_err(),
        ResponseError::UnexpectedMember("approved".into(), "data")
    );
    let bytes = br#"{"code":800,"message":"License key assigned","timestamp":1708999933}"#;
    let glued = json!({
        "response": {"code": 800, "message": "License key assigned", "timestamp": 1708999933},
        "response_base64": STANDARD.encode(bytes), "signature": sign(bytes), "data": {"status": "active"},
    });
    assert_eq!(
        verify_signed_response(glued.to_string().as_bytes(), &keys()).unwrap_err(),
        ResponseError::UnexpectedMember("data".into(), "envelope")
    );
}
