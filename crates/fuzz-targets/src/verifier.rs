//! The targets of the verifier's parsers: license files, `inspect`, key files, revocation lists
//! and signed API responses.

use crate::fixed;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use licet_verifier::{
    check_license, inspect_untrusted, parse_public_keys, verify_license, verify_licenses,
    verify_revocation_list, verify_signed_response, Algorithm, LicenseClaims, LicenseView,
    ListInput, ListStatus, ResponseKind, Status, TrustedKey, VerificationReport,
    MAX_LICENSE_FILE_BYTES, REVOCATION_LIST_TYPE,
};
use serde_json::Value;

/// A report as JSON plus what its JSON leaves out (the verified claims, kid and algorithm).
type Comparable = (Value, Option<(LicenseClaims, String, Algorithm)>);

/// One report in a form that compares, for the batch check.
fn comparable(report: &VerificationReport) -> Comparable {
    let json = serde_json::to_value(report).unwrap_or(Value::Null);
    let verified = report
        .verified_license()
        .map(|v| (v.claims().clone(), v.kid().to_owned(), v.alg()));
    (json, verified)
}

/// License verification (`licet verify`, the library's [`verify_license`]) with the fixed key
/// set. Asserts: a verdict is valid only with a verified license; a verified license's signature
/// verifies with the trusted key it names, checked from the raw parts; its claims read back
/// unchanged from their JSON (`to_json` then `from_json`); the report's license fields are those
/// claims; and the batch verifier of `licet audit` ([`verify_licenses`]) gives every file the
/// verdict of the one-by-one check (the file twice, beside a valid license).
pub fn license(data: &[u8]) {
    let keys = fixed::trusted_keys();
    let options = fixed::verify_options();
    let report = verify_license(data, keys, &options);
    assert_eq!(
        report.valid,
        report.status.is_valid(),
        "valid is the status's"
    );
    if report.valid {
        assert!(
            report.valid_license().is_some(),
            "a valid verdict without a verified license"
        );
    }
    match report.verified_license() {
        Some(verified) => {
            assert!(
                fixed::signature_verifies(data, verified.kid(), verified.alg()),
                "verified, but the signature does not verify with trusted key {} ({})",
                verified.kid(),
                verified.alg()
            );
            let claims = verified.claims();
            match LicenseClaims::from_json(claims.to_json()) {
                Ok(back) => assert_eq!(&back, claims, "the claims changed in a round trip"),
                Err(e) => panic!("verified claims do not read back from their JSON: {e}"),
            }
            assert_eq!(
                report.license,
                Some(LicenseView::new(claims, report.status)),
                "the report's license fields are not the verified claims"
            );
        }
        None => assert!(
            report.license.is_none(),
            "license fields shown without a verified signature"
        ),
    }

    // The batch verifier checks Ed25519 signatures named by kid in one equation: the file twice
    // and beside a valid license, so the equation has several terms and a bad term must not pass.
    let control = fixed::control_license().as_bytes();
    let files = [data, control, data];
    let batch = verify_licenses(&files, keys, &options);
    assert_eq!(batch.len(), files.len(), "one report per file");
    let one = comparable(&report);
    for (i, got) in batch.iter().enumerate() {
        let expected = if i == 1 { control_report() } else { &one };
        assert_eq!(
            &comparable(got),
            expected,
            "the batch verdict differs from the one-by-one verdict"
        );
    }
}

/// The control license's one-by-one report, computed once.
fn control_report() -> &'static Comparable {
    static REPORT: std::sync::OnceLock<Comparable> = std::sync::OnceLock::new();
    REPORT.get_or_init(|| {
        let control = fixed::control_license().as_bytes();
        comparable(&verify_license(
            control,
            fixed::trusted_keys(),
            &fixed::verify_options(),
        ))
    })
}

/// `licet inspect` ([`inspect_untrusted`]). Asserts: the output says it is untrusted and
/// serialises; header and claims that decode read back unchanged when encoded again (parse,
/// serialise, parse); and whenever the verifier verifies the file, inspect shows the claims the
/// verifier read (the same license id).
pub fn inspect(data: &[u8]) {
    let contents = inspect_untrusted(data);
    assert!(!contents.trusted, "inspect output marked trusted");
    if let Err(e) = serde_json::to_string(&contents) {
        panic!("inspect output does not serialise: {e}");
    }
    if let (Some(header), Some(claims)) = (&contents.header, &contents.claims) {
        let token = format!(
            "{}.{}.AAAA",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        if token.len() <= MAX_LICENSE_FILE_BYTES {
            let again = inspect_untrusted(token.as_bytes());
            assert_eq!(again.header.as_ref(), Some(header), "header round trip");
            assert_eq!(again.claims.as_ref(), Some(claims), "claims round trip");
            assert_eq!(again.signature_bytes, Some(3));
            assert!(again.problems.is_empty(), "{:?}", again.problems);
        }
    }
    let report = verify_license(data, fixed::trusted_keys(), &fixed::verify_options());
    if let Some(verified) = report.verified_license() {
        let shown = contents
            .claims
            .as_ref()
            .and_then(|c| c.get("jti"))
            .and_then(Value::as_str);
        assert_eq!(
            shown,
            Some(verified.claims().license_id.as_str()),
            "inspect shows other claims than the verifier verified"
        );
    }
}

/// Trusted-key loading ([`parse_public_keys`]: PEM, JWK, JWKS, as `--pubkey` reads them).
/// Asserts: a file that loads holds at least one key; each key's public JWK loads back as the
/// same key (kid, type, algorithms within the key's own) and publishes the same JWK again; and
/// the JWKS `licet key jwks` writes of them loads back as the same kids, in order.
pub fn keys(data: &[u8]) {
    let Ok(keys) = parse_public_keys(data) else {
        return;
    };
    assert!(!keys.is_empty(), "a key file that loads holds a key");
    for key in &keys {
        assert!(!key.algorithms().is_empty(), "a key verifies something");
        let jwk = key.jwk(None);
        let Some(object) = jwk.as_object() else {
            panic!("a JWK is a JSON object");
        };
        let back = match TrustedKey::from_jwk(object) {
            Ok(back) => back,
            Err(e) => panic!("a key's own JWK does not load: {e}: {jwk}"),
        };
        assert_eq!(back.kid(), key.kid(), "the kid changed in a JWK round trip");
        assert_eq!(back.key_type(), key.key_type());
        assert!(
            back.algorithms()
                .iter()
                .all(|a| key.algorithms().contains(a)),
            "the JWK widened the key's algorithms"
        );
        assert_eq!(back.jwk(None), jwk, "the JWK changed in a round trip");
    }
    let jwks = licet_issuer::jwks(keys.iter(), None).to_string();
    match parse_public_keys(jwks.as_bytes()) {
        Ok(again) => {
            let kids = |k: &[TrustedKey]| k.iter().map(|k| k.kid().to_owned()).collect::<Vec<_>>();
            assert_eq!(
                kids(&again),
                kids(&keys),
                "the JWKS round trip changed the keys"
            );
        }
        Err(e) => panic!("the JWKS of loaded keys does not load: {e}"),
    }
}

/// Revocation list verification ([`verify_revocation_list`], `--revocations`). Asserts: a list
/// that verifies was signed by a trusted key (checked from the raw parts); its entries are each
/// found by id; signed again from its own claims (`to_claims`) it reads back equal; and
/// [`check_license`] with it (beside the control license) accepts it exactly when it verifies
/// and is not dated ahead, and then a list naming the control license revokes it.
pub fn revocation(data: &[u8]) {
    let keys = fixed::trusted_keys();
    let verified = verify_revocation_list(data, keys);
    if let Ok(list) = &verified {
        let Some(key) = fixed::signing_key_for(&list.kid) else {
            panic!(
                "a list verified by {}, which is not a trusted key",
                list.kid
            );
        };
        let alg = jws_alg(data);
        assert!(
            alg.is_some_and(|alg| fixed::signature_verifies(data, &list.kid, alg)),
            "the list verified, but its signature does not verify with key {}",
            list.kid
        );
        for entry in &list.entries {
            assert_eq!(list.find(&entry.license_id), Some(entry), "entry not found");
        }
        let alg = if key.key_type() == licet_verifier::KeyType::Ed25519 {
            Algorithm::EdDSA
        } else {
            Algorithm::RS256
        };
        let again = fixed::sign_compact(key, alg, REVOCATION_LIST_TYPE, &list.to_claims());
        match verify_revocation_list(again.as_bytes(), keys) {
            Ok(back) => assert_eq!(&back, list, "the list changed in a round trip"),
            Err(e) => panic!("a verified list signed again from its claims is refused: {e}"),
        }
    }
    let options = fixed::verify_options();
    let input = ListInput {
        source: "fuzz",
        bytes: data,
    };
    let report = check_license(
        fixed::control_license().as_bytes(),
        &[input],
        keys,
        &options,
    );
    let dated_ahead = verified.as_ref().is_ok_and(|l| {
        options
            .now
            .saturating_add(i64::from(options.clock_guard.tolerance_secs))
            < l.issued_at
    });
    let accepted = report.revocation_lists[0].status == ListStatus::Accepted;
    assert_eq!(
        accepted,
        verified.is_ok() && !dated_ahead,
        "check_license and verify_revocation_list disagree: {}",
        report.revocation_lists[0].reason
    );
    let names_control = verified
        .as_ref()
        .is_ok_and(|l| l.find(fixed::CONTROL_LICENSE_ID).is_some());
    if accepted && names_control {
        assert_eq!(
            report.license.status,
            Status::Revoked,
            "a listed license is not revoked"
        );
    } else {
        assert_eq!(
            report.license.status,
            Status::Active,
            "{}",
            report.license.reason
        );
    }
}

/// The `alg` of a compact JWS's header, read without checks (for the independent signature check).
fn jws_alg(data: &[u8]) -> Option<Algorithm> {
    let text = std::str::from_utf8(data).ok()?.trim();
    let header = URL_SAFE_NO_PAD.decode(text.split('.').next()?).ok()?;
    let header: Value = serde_json::from_slice(&header).ok()?;
    Algorithm::from_header(header.get("alg")?.as_str()?)
}

/// Signed response checking, the client side of the server's signed answers (`licet
/// verify-response`: the 004 `{data, signature}` and the 002 `{response, response_base64,
/// signature}` envelopes), with the fixed key set (only its RSA key can verify). Asserts: a
/// response that verifies names the RSA key; its signature verifies over the bytes its kind
/// signs (the RFC 8785 canonical JSON of `data`, or what `response_base64` encodes), checked
/// independently; and the server's own signer over that content gives exactly the signature
/// given (PKCS#1 v1.5 is deterministic, so a verified response has no other valid signature),
/// and a `{data, signature}` made of it verifies to the same content.
pub fn signed_response(data: &[u8]) {
    let keys = fixed::trusted_keys();
    let Ok(verified) = verify_signed_response(data, keys) else {
        return;
    };
    let rsa = fixed::rsa_key();
    assert_eq!(
        verified.kid,
        rsa.kid(),
        "verified by a key that is not the RSA key"
    );
    let Ok(object) = serde_json::from_slice::<Value>(data) else {
        panic!("a verified response is not JSON");
    };
    let given = object
        .get("signature")
        .and_then(Value::as_str)
        .and_then(|s| STANDARD.decode(s).ok());
    let Some(given) = given else {
        panic!("a verified response without a base64 signature");
    };
    let message = match verified.kind {
        ResponseKind::Data => match licet_server::signing::canonical_json(&verified.content) {
            Ok(bytes) => bytes,
            Err(e) => panic!("verified content has no canonical JSON: {e}"),
        },
        ResponseKind::Envelope => {
            let encoded = object.get("response_base64").and_then(Value::as_str);
            match encoded.map(|e| STANDARD.decode(e)) {
                Some(Ok(bytes)) => bytes,
                _ => panic!("a verified envelope without a decodable response_base64"),
            }
        }
    };
    assert!(
        rsa.public_key()
            .verify_signature(Algorithm::RS256, &message, &given)
            .is_ok(),
        "the signature does not verify over the signed bytes of its kind"
    );
    match licet_server::signing::sign_bytes(rsa, &message) {
        Ok(again) => assert_eq!(
            STANDARD.decode(again).ok().as_deref(),
            Some(given.as_slice()),
            "a second valid signature over the same bytes"
        ),
        Err(e) => panic!("the server's signer fails: {e}"),
    }
    if verified.kind == ResponseKind::Data {
        let signature = match licet_server::signing::sign_canonical(rsa, &verified.content) {
            Ok(signature) => signature,
            Err(e) => panic!("the server's signer fails: {e}"),
        };
        let remade = serde_json::json!({"data": verified.content, "signature": signature});
        match verify_signed_response(remade.to_string().as_bytes(), keys) {
            Ok(back) => assert_eq!(back.content, verified.content, "content round trip"),
            Err(e) => panic!("a re-signed response is refused: {e}"),
        }
    }
}
