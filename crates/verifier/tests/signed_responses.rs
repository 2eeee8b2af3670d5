//! `verify_signed_response`: both shapes, signed here with the demo RSA key.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use aws_lc_rs::rsa::KeyPair;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use licet_verifier::{
    parse_public_keys, verify_signed_response, ResponseError, ResponseKind, TrustedKeys,
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
