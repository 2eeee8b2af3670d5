//! Published JWS test vectors through the verifier's signature layer (`licet_verifier::jws`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use licet_verifier::jws::{self, JwsError};
use licet_verifier::{Algorithm, TrustedKey, TrustedKeys};

/// RFC 8037 appendix A.4: Ed25519 signing of "Example of Ed25519 signing" with the key of A.1/A.2.
const RFC8037_JWK: &str =
    r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
const RFC8037_JWS: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

/// RFC 7515 appendix A.2: RS256 over the example claims, with the RSA key of A.2.1.
const RFC7515_A2_JWK: &str = r#"{"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"}"#;
const RFC7515_A2_JWS: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

fn keys(jwk: &str) -> TrustedKeys {
    let value: serde_json::Value = serde_json::from_str(jwk).unwrap();
    [TrustedKey::from_jwk(value.as_object().unwrap()).unwrap()]
        .into_iter()
        .collect()
}

/// Flips one bit of the character at `index` within the base64url alphabet, keeping the token
/// decodable (so the change reaches the signature check rather than the decoder).
fn flip(token: &str, index: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = token.as_bytes().to_vec();
    let pos = ALPHABET.iter().position(|c| *c == bytes[index]).unwrap();
    // Flip the top bit of the 6-bit value: never a padding-significant low bit.
    bytes[index] = ALPHABET[pos ^ 0b100000];
    String::from_utf8(bytes).unwrap()
}

#[test]
fn rfc8037_a4_ed25519_verifies() {
    let keys = keys(RFC8037_JWK);
    let verified = jws::decode(RFC8037_JWS).unwrap().verify(&keys).unwrap();
    assert_eq!(verified.alg(), Algorithm::EdDSA);
    assert_eq!(verified.payload(), b"Example of Ed25519 signing");
    // RFC 8037 A.3 gives this thumbprint for the key.
    assert_eq!(
        verified.key().kid(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
}

#[test]
fn rfc7515_a2_rs256_verifies() {
    let keys = keys(RFC7515_A2_JWK);
    let verified = jws::decode(RFC7515_A2_JWS).unwrap().verify(&keys).unwrap();
    assert_eq!(verified.alg(), Algorithm::RS256);
    assert!(verified.payload().starts_with(b"{\"iss\":\"joe\",\r\n"));
}

#[test]
fn one_bit_changes_fail() {
    for (jwk, token) in [(RFC8037_JWK, RFC8037_JWS), (RFC7515_A2_JWK, RFC7515_A2_JWS)] {
        let keys = keys(jwk);
        let first_dot = token.find('.').unwrap();
        let second_dot = token.rfind('.').unwrap();
        // One change in the payload and one in the signature.
        for index in [first_dot + 3, second_dot + 5] {
            let changed = flip(token, index);
            let result = jws::decode(&changed).and_then(|d| d.verify(&keys));
            assert_eq!(
                result.unwrap_err(),
                JwsError::BadSignature,
                "change at {index} accepted"
            );
        }
    }
}

#[test]
fn the_vectors_fail_under_the_other_key() {
    let ed = keys(RFC8037_JWK);
    let err = jws::decode(RFC7515_A2_JWS)
        .unwrap()
        .verify(&ed)
        .unwrap_err();
    assert!(matches!(err, JwsError::UnknownKey(_)), "{err:?}");
}
