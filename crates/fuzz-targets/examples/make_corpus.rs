//! Writes the generated part of the seed corpora: the files licet itself makes (licenses,
//! revocation lists, offline requests, responses and releases, time-attestation requests and
//! attestations, signed API answers, ledgers, state files) and requests to the server, each made
//! with the fixed material of `licet_fuzz_targets::fixed` so that it reaches past the signature
//! checks. `fuzz/make-corpus` runs it after copying the fixtures:
//!
//! ```text
//! cargo run -p licet-fuzz-targets --example make_corpus -- fuzz/corpus
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)] // A tool run by hand: a panic is its report.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use licet_fuzz_targets::fixed;
use licet_issuer::ledger::{append_to_ledger, LedgerAction, LedgerRecord};
use licet_issuer::{
    attest_time, extend_revocation_list, jwks, mint_license, RevocationRequest, SigningKey,
};
use licet_verifier::clock::{ClockRequest, CLOCK_REQUEST_TYPE};
use licet_verifier::offline::{ActivationRelease, ActivationRequest, RELEASE_TYPE};
use licet_verifier::state::{ClockRequestRecord, VerifierState};
use licet_verifier::{
    Algorithm, LicenseClaims, LicenseType, ListInput, MachineId, StateSettings, StatefulVerifier,
    TrustedKey, UnixTime,
};
use serde_json::{json, Map};
use std::path::{Path, PathBuf};

struct Out(PathBuf);

impl Out {
    fn put(&self, target: &str, name: &str, bytes: impl AsRef<[u8]>) {
        let dir = self.0.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

fn at(days: i64) -> UnixTime {
    fixed::now().saturating_add(days * 86_400)
}

fn mint(key: &SigningKey, alg: Algorithm, claims: &LicenseClaims) -> String {
    mint_license(key, Some(alg), claims).unwrap().token
}

fn claims(id: &str) -> LicenseClaims {
    LicenseClaims {
        expires_at: Some(at(365)),
        product: Some(fixed::PRODUCT.into()),
        issuer: Some("licet fuzz".into()),
        ..LicenseClaims::new(id, fixed::CUSTOMER, at(-1))
    }
}

fn licenses(out: &Out) {
    let ed = fixed::ed25519_key();
    let rsa = fixed::rsa_key();
    let mut features = Map::new();
    features.insert("seats".into(), json!(10));
    features.insert("tier".into(), json!("gold"));
    features.insert("modules".into(), json!(["a", "b"]));
    let full = LicenseClaims {
        not_before: Some(at(-1)),
        entitlement_expires_at: Some(at(700)),
        license_type: LicenseType::parse("SUBSCRIPTION").unwrap(),
        features: Some(features),
        machine_ids: Some(vec![fixed::machine()]),
        license_key: Some(fixed::license_key()),
        owner_name: Some("Ada Lovelace".into()),
        owner_email: Some("ada@example.com".into()),
        grace_days: Some(14),
        ..claims("L-FULL")
    };
    let files = [
        ("eddsa-full.lic", mint(ed, Algorithm::EdDSA, &full)),
        ("rs256.lic", mint(rsa, Algorithm::RS256, &claims("L-RS256"))),
        ("ps256.lic", mint(rsa, Algorithm::PS256, &claims("L-PS256"))),
        (
            "perpetual.lic",
            mint(
                ed,
                Algorithm::EdDSA,
                &LicenseClaims {
                    expires_at: None,
                    ..claims("L-PERPETUAL")
                },
            ),
        ),
        (
            "in-grace.lic",
            mint(
                ed,
                Algorithm::EdDSA,
                &LicenseClaims {
                    expires_at: Some(at(-3)),
                    grace_days: Some(30),
                    ..LicenseClaims::new("L-GRACE", fixed::CUSTOMER, at(-100))
                },
            ),
        ),
        (
            "not-yet-valid.lic",
            mint(
                ed,
                Algorithm::EdDSA,
                &LicenseClaims {
                    not_before: Some(at(10)),
                    ..claims("L-NBF")
                },
            ),
        ),
        (
            "other-machine.lic",
            mint(
                ed,
                Algorithm::EdDSA,
                &LicenseClaims {
                    machine_ids: Some(vec![MachineId::from_raw_identifier("other")]),
                    ..claims("L-OTHER-MACHINE")
                },
            ),
        ),
        ("control.lic", fixed::control_license().to_owned()),
    ];
    for (name, token) in &files {
        out.put("license", name, format!("{token}\n"));
    }
    for (name, token) in files.iter().take(4) {
        out.put("inspect", name, token);
    }
    // Without a kid: every trusted key that allows the algorithm is tried.
    let no_kid = {
        let token = mint(ed, Algorithm::EdDSA, &claims("L-NO-KID"));
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let header = json!({"alg": "EdDSA", "typ": "license+jwt"}).to_string();
        parts[0] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header);
        parts.join(".")
    };
    out.put("license", "no-kid-resigned-header.lic", &no_kid);
}

fn keys(out: &Out) {
    let ed = TrustedKey::from_pem(fixed::ED25519_PUBLIC_PEM).unwrap();
    let rsa = TrustedKey::from_pem(fixed::RSA_PUBLIC_PEM).unwrap();
    out.put(
        "keys",
        "two-blocks.pem",
        format!("{}{}", fixed::ED25519_PUBLIC_PEM, fixed::RSA_PUBLIC_PEM),
    );
    out.put(
        "keys",
        "annotated-ps256.pem",
        format!("licet-algorithm: PS256\n{}", fixed::RSA_PUBLIC_PEM),
    );
    out.put("keys", "ed25519.jwk", ed.jwk(None).to_string());
    out.put(
        "keys",
        "rsa-rs256.jwk",
        rsa.jwk(Some(Algorithm::RS256)).to_string(),
    );
    let both = jwks([&ed, &rsa], Some(Algorithm::PS256));
    out.put(
        "keys",
        "both.jwks",
        serde_json::to_string_pretty(&both).unwrap(),
    );
    let mut mixed = both.clone();
    mixed["keys"]
        .as_array_mut()
        .unwrap()
        .push(json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}));
    mixed["keys"].as_array_mut().unwrap().push(
        json!({"kty": "RSA", "use": "enc", "n": rsa.jwk(None)["n"], "e": "AQAB", "kid": "enc"}),
    );
    out.put("keys", "mixed.jwks", mixed.to_string());
    let mut declared = ed.jwk(None);
    declared["kid"] = json!("vendor-2027");
    out.put("keys", "declared-kid.jwk", declared.to_string());
}

fn revocations(out: &Out) {
    let ed = fixed::ed25519_key();
    let rsa = fixed::rsa_key();
    let revoke = |ids: &[&str]| -> Vec<RevocationRequest> {
        ids.iter()
            .map(|id| RevocationRequest {
                license_id: (*id).into(),
                reason: format!("refunded {id}"),
            })
            .collect()
    };
    let first = extend_revocation_list(
        ed,
        None,
        None,
        &revoke(&[fixed::CONTROL_LICENSE_ID]),
        at(-2),
        Some("licet fuzz".into()),
    )
    .unwrap();
    let second = extend_revocation_list(
        ed,
        None,
        Some(&first.list),
        &revoke(&["L-2", "L-3", "L-\u{1F600}"]),
        at(-1),
        None,
    )
    .unwrap();
    let other = extend_revocation_list(
        rsa,
        Some(Algorithm::PS256),
        None,
        &revoke(&["L-RSA"]),
        at(-1),
        None,
    )
    .unwrap();
    let ahead = extend_revocation_list(ed, None, None, &revoke(&["L-AHEAD"]), at(3), None).unwrap();
    out.put("revocation", "ed25519-seq1.jwt", &first.token);
    out.put("revocation", "ed25519-seq2.jwt", &second.token);
    out.put("revocation", "ps256.jwt", &other.token);
    out.put("revocation", "dated-ahead.jwt", &ahead.token);
    out.put("revocation", "a-license.jwt", fixed::control_license());
    revocation_states(out, &first.token, &second.token);
}

fn revocation_states(out: &Out, first: &str, second: &str) {
    let dir = tempfile::tempdir().unwrap();
    let verifier = StatefulVerifier::open(
        dir.path(),
        fixed::trusted_keys_owned(),
        StateSettings::default(),
    )
    .unwrap();
    let options = fixed::verify_options();
    let license = fixed::control_license().as_bytes();
    verifier.check(license, &[], &options).unwrap();
    out.put(
        "state",
        "checked-once.json",
        std::fs::read(dir.path().join("state.json")).unwrap(),
    );
    for (source, list) in [("first", first), ("second", second)] {
        let input = ListInput {
            source,
            bytes: list.as_bytes(),
        };
        verifier.check(license, &[input], &options).unwrap();
    }
    out.put(
        "state",
        "with-lists.json",
        std::fs::read(dir.path().join("state.json")).unwrap(),
    );
    out.put(
        "state",
        "version-1.json",
        r#"{"version":1,"latest_seen":1798700000,"revocation_seq":{"k":3},"latest_list_iat":1798700000}"#,
    );
    let with_requests = VerifierState {
        version: 2,
        state_id: Some(fixed::STATE_ID.into()),
        latest_seen: Some(fixed::NOW_SECS),
        clock_requests: vec![ClockRequestRecord {
            nonce: fixed::NONCE.into(),
            requested_at: fixed::NOW_SECS,
            mark_at_request: None,
        }],
        ..VerifierState::default()
    };
    out.put(
        "state",
        "clock-request.json",
        serde_json::to_string_pretty(&with_requests).unwrap(),
    );
    out.put(
        "state",
        "newer-version.json",
        r#"{"version":3,"latest_seen":1}"#,
    );
    out.put("state", "empty-object.json", "{}");
}

fn offline(out: &Out) {
    let request = fixed::pending_request();
    out.put("offline_request", "request.json", request.to_json());
    let other = ActivationRequest {
        license_key: "ABCDE-FGHJK-MNPQR-STUVW-XYZ23".into(),
        machine_id: MachineId::from_raw_identifier("another machine")
            .as_str()
            .into(),
        hostname: "build-07.example.com".into(),
        nonce: "AAAAAAAAAAAAAAAAAAAAAA".into(),
        ..request.clone()
    };
    out.put("offline_request", "unknown-key.json", other.to_json());
    let release = ActivationRelease {
        kind: RELEASE_TYPE.into(),
        version: 1,
        license_key: request.license_key.clone(),
        machine_id: request.machine_id.clone(),
        license_id: "6f1c2a5e-6e4b-4e0f-9f3c-1d2e3f4a5b6c".into(),
        nonce: request.nonce.clone(),
        time: fixed::now().to_rfc3339(),
    };
    let release_json = serde_json::to_string(&release).unwrap();
    out.put("offline_request", "release.json", &release_json);
    out.put("offline_release", "release.json", &release_json);
    out.put("offline_release", "request.json", request.to_json());
    let pretty = serde_json::to_string_pretty(&release).unwrap();
    out.put("offline_release", "release-pretty.json", pretty);
    out.put(
        "offline_release",
        "dashless-key.json",
        serde_json::to_string(&ActivationRelease {
            license_key: request.license_key.replace('-', ""),
            ..release.clone()
        })
        .unwrap(),
    );

    // Responses to the pending request: what the vendor's side sends back, and near misses.
    let ed = fixed::ed25519_key();
    let response =
        |claims: &LicenseClaims, key: &SigningKey, alg: Algorithm| mint(key, alg, claims);
    let mut other_claims = Map::new();
    other_claims.insert("nonce".into(), json!(fixed::NONCE));
    let seat = LicenseClaims {
        machine_ids: Some(vec![fixed::machine()]),
        license_key: Some(fixed::license_key()),
        other: other_claims,
        ..claims("L-OFFLINE")
    };
    out.put(
        "offline_response",
        "response.lic",
        response(&seat, ed, Algorithm::EdDSA),
    );
    out.put(
        "offline_response",
        "response-rs256.lic",
        response(&seat, fixed::rsa_key(), Algorithm::RS256),
    );
    let mut wrong_nonce = seat.clone();
    wrong_nonce
        .other
        .insert("nonce".into(), json!("AAAAAAAAAAAAAAAAAAAAAA"));
    out.put(
        "offline_response",
        "other-nonce.lic",
        response(&wrong_nonce, ed, Algorithm::EdDSA),
    );
    let other_machine = LicenseClaims {
        machine_ids: Some(vec![MachineId::from_raw_identifier("other")]),
        ..seat.clone()
    };
    out.put(
        "offline_response",
        "other-machine.lic",
        response(&other_machine, ed, Algorithm::EdDSA),
    );
    let expired = LicenseClaims {
        expires_at: Some(at(-1)),
        ..LicenseClaims {
            issued_at: at(-30),
            ..seat.clone()
        }
    };
    out.put(
        "offline_response",
        "expired.lic",
        response(&expired, ed, Algorithm::EdDSA),
    );
    out.put("offline_response", "control.lic", fixed::control_license());
}

fn clock(out: &Out) {
    let request = ClockRequest {
        kind: CLOCK_REQUEST_TYPE.into(),
        version: 1,
        state_id: fixed::STATE_ID.into(),
        nonce: fixed::NONCE.into(),
        clock: fixed::now().to_rfc3339(),
    };
    out.put("clock_request", "request.json", request.to_json());
    out.put(
        "clock_request",
        "request-pretty.json",
        serde_json::to_string_pretty(&request).unwrap(),
    );
    out.put(
        "clock_request",
        "activation-request.json",
        fixed::pending_request().to_json(),
    );
    let ed = fixed::ed25519_key();
    let rsa = fixed::rsa_key();
    let attested = |key: &SigningKey, alg: Algorithm, request: &ClockRequest, days: i64| {
        attest_time(key, Some(alg), request.to_json().as_bytes(), at(days))
            .unwrap()
            .token
    };
    out.put(
        "time_attestation",
        "eddsa.jwt",
        attested(ed, Algorithm::EdDSA, &request, 0),
    );
    out.put(
        "time_attestation",
        "rs256-earlier.jwt",
        attested(rsa, Algorithm::RS256, &request, -30),
    );
    let other_state = ClockRequest {
        state_id: "00000000000000000000000000000000".into(),
        ..request.clone()
    };
    out.put(
        "time_attestation",
        "other-state.jwt",
        attested(ed, Algorithm::EdDSA, &other_state, 0),
    );
    let other_nonce = ClockRequest {
        nonce: "AAAAAAAAAAAAAAAAAAAAAA".into(),
        ..request
    };
    out.put(
        "time_attestation",
        "other-nonce.jwt",
        attested(ed, Algorithm::EdDSA, &other_nonce, 0),
    );
    out.put(
        "time_attestation",
        "a-license.jwt",
        fixed::control_license(),
    );
}

fn signed_responses(out: &Out) {
    let rsa = fixed::rsa_key();
    let data = json!({
        "license_key": fixed::license_key().as_str(),
        "machine_id": fixed::machine().as_str(),
        "status": "active",
        "activated_at": fixed::now().to_rfc3339(),
        "expires_at": null,
        "max_activations": 5,
        "activations": 1,
        "features": {"seats": 10, "ratio": 0.5},
        "timestamp": fixed::NOW_SECS,
        "nonce": "wXyZ0123456789abcdEF",
        "license_file": fixed::control_license(),
    });
    let signature = licet_server::signing::sign_canonical(rsa, &data).unwrap();
    let answer = json!({"data": data, "signature": signature});
    out.put("signed_response", "activate.json", answer.to_string());
    out.put(
        "signed_response",
        "activate-pretty.json",
        serde_json::to_string_pretty(&answer).unwrap(),
    );
    let response = json!({
        "code": 800,
        "message": "License key assigned",
        "timestamp": fixed::NOW_SECS,
        "license_key": fixed::license_key().as_str(),
        "owner_name": "Ada",
        "email": "ada@example.com",
    });
    let bytes = serde_json::to_vec(&response).unwrap();
    let envelope = json!({
        "response": response,
        "response_base64": STANDARD.encode(&bytes),
        "private_key_used": "global",
        "signature": licet_server::signing::sign_bytes(rsa, &bytes).unwrap(),
    });
    out.put(
        "signed_response",
        "assign-envelope.json",
        envelope.to_string(),
    );
    let mut tampered = answer.clone();
    tampered["data"]["activations"] = json!(2);
    out.put("signed_response", "tampered.json", tampered.to_string());
    out.put(
        "signed_response",
        "eddsa-signature.json",
        json!({"data": {"a": 1}, "signature": STANDARD.encode(fixed::ed25519_key().sign(Algorithm::EdDSA, b"{\"a\":1}").unwrap())}).to_string(),
    );
}

fn ledgers(out: &Out) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.jsonl");
    let ed = fixed::ed25519_key();
    let control = fixed::control_license();
    for (action, id, customer) in [
        (
            LedgerAction::Issue,
            fixed::CONTROL_LICENSE_ID,
            Some(fixed::CUSTOMER),
        ),
        (LedgerAction::Activate, "L-SEAT", Some(fixed::CUSTOMER)),
        (LedgerAction::Issue, "L-2", Some("OTHER")),
    ] {
        let record = LedgerRecord {
            action,
            license_id: id,
            customer_id: customer,
            kid: ed.kid(),
            file: control.as_bytes(),
        };
        append_to_ledger(&path, &record, fixed::now()).unwrap();
    }
    let intact = std::fs::read(&path).unwrap();
    out.put("ledger", "intact.jsonl", &intact);
    let revoke = LedgerRecord {
        action: LedgerAction::Revoke,
        license_id: fixed::CONTROL_LICENSE_ID,
        customer_id: None,
        kid: ed.kid(),
        file: b"list",
    };
    append_to_ledger(&path, &revoke, fixed::now()).unwrap();
    let revoked = std::fs::read(&path).unwrap();
    out.put("ledger", "revoked.jsonl", &revoked);
    let text = String::from_utf8(revoked).unwrap();
    out.put(
        "ledger",
        "tampered.jsonl",
        text.replacen("OTHER", "EVIL", 1),
    );
    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(1, 2);
    out.put("ledger", "reordered.jsonl", lines.join("\n") + "\n");
    out.put("ledger", "torn.jsonl", &text[..text.len() - 7]);
    out.put("ledger", "empty.jsonl", "");
}

/// One request for the `server` target: the request line, headers, a blank line, the body.
fn request(method_path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut text = format!("{method_path}\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    text.push('\n');
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn multipart(boundary: &str, fields: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, value) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file_name {
            Some(file) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/x-pkcs12\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

fn server(out: &Out, p12: Option<Vec<u8>>) {
    let key = fixed::license_key();
    let machine = fixed::machine();
    let token = ("X-Auth-Token", fixed::TOKEN);
    let user = ("X-User-Id", fixed::USER);
    let json_type = ("Content-Type", "application/json");
    let machine_body = |extra: &str| {
        format!(
            r#"{{"license_key":"{}","machine_id":"{}"{extra}}}"#,
            key.as_str(),
            machine.as_str()
        )
    };
    let mut seeds: Vec<(&str, Vec<u8>)> = vec![
        (
            "activate.req",
            request(
                "POST /license/activate",
                &[json_type],
                machine_body(r#","nonce":"wXyZ0123456789abcdEF","hostname":"build-07""#).as_bytes(),
            ),
        ),
        (
            "validate.req",
            request("POST /license/validate", &[json_type], machine_body("").as_bytes()),
        ),
        (
            "deactivate.req",
            request("POST /license/deactivate", &[json_type], machine_body("").as_bytes()),
        ),
        ("public-key.req", request("GET /license/public-key", &[], b"")),
        ("jwks.req", request("GET /.well-known/jwks.json", &[], b"")),
        ("readyz.req", request("GET /readyz", &[], b"")),
        ("metrics.req", request("GET /metrics", &[token], b"")),
        (
            "key-create.req",
            request(
                "POST /api/v1/license-keys",
                &[token, json_type],
                br#"{"customer":"ACME-002","product":"app","license_type":"TRIAL","features":{"seats":3},"max_activations":2,"expires_at":"2028-01-01","lease_days":7}"#,
            ),
        ),
        (
            "key-list.req",
            request(
                "GET /api/v1/license-keys?customer=ACME-FUZZ&status=active&page=1&per_page=10",
                &[token],
                b"",
            ),
        ),
        (
            "key-show.req",
            request(&format!("GET /api/v1/license-keys/{}", key.as_str()), &[token], b""),
        ),
        (
            "key-update.req",
            request(
                &format!("PATCH /api/v1/license-keys/{}", key.as_str()),
                &[token, json_type],
                br#"{"status":"suspended","max_activations":3,"lease_days":null,"expires_at":"2030-01-01T00:00:00Z"}"#,
            ),
        ),
        (
            "key-admin-activate.req",
            request(
                &format!("POST /api/v1/license-keys/{}/activations", key.as_str()),
                &[token, json_type],
                format!(r#"{{"machine_id":"{}","hostname":"desk-1"}}"#, machine.as_str()).as_bytes(),
            ),
        ),
        (
            "key-free-seat.req",
            request(
                &format!(
                    "DELETE /api/v1/license-keys/{}/activations/{}",
                    key.as_str(),
                    machine.as_str()
                ),
                &[token],
                b"",
            ),
        ),
        (
            "license-install.req",
            request(
                "POST /api/v1/licenses",
                &[token, json_type],
                json!({"file": fixed::control_license()}).to_string().as_bytes(),
            ),
        ),
        (
            "license-install-multipart.req",
            request(
                "POST /api/v1/licenses",
                &[token, ("Content-Type", "multipart/form-data; boundary=fuzzbound")],
                &multipart(
                    "fuzzbound",
                    &[("file", Some("control.lic"), fixed::control_license().as_bytes())],
                ),
            ),
        ),
        (
            "license-disable.req",
            request(
                &format!("PATCH /api/v1/licenses/{}", fixed::CONTROL_LICENSE_ID),
                &[token, json_type],
                br#"{"enabled":false}"#,
            ),
        ),
        (
            "workspace-add.req",
            request(
                "POST /api/v1/licenses.add",
                &[token, user, json_type],
                json!({"license": fixed::control_license()}).to_string().as_bytes(),
            ),
        ),
        (
            "workspace-info.req",
            request("GET /api/v1/licenses.info", &[token, user], b""),
        ),
        (
            "assign-form.req",
            request(
                "POST /api/v1/assign-license-key",
                &[("Content-Type", "application/x-www-form-urlencoded")],
                format!(
                    "api_key={}&license_key={}&owner_name=Ada+Lovelace&email=ada%40example.com",
                    fixed::TOKEN,
                    key.as_str()
                )
                .as_bytes(),
            ),
        ),
        (
            "assign-json.req",
            request(
                "POST /api/v1/assign-license-key",
                &[json_type],
                json!({"api_key": fixed::TOKEN, "license_key": key.as_str(), "owner_name": "Ada", "email": "ada@example.com"}).to_string().as_bytes(),
            ),
        ),
        (
            "assign-multipart.req",
            request(
                "POST /api/v1/assign-license-key",
                &[("Content-Type", "multipart/form-data; boundary=fuzzbound")],
                &multipart(
                    "fuzzbound",
                    &[
                        ("api_key", None, fixed::TOKEN.as_bytes()),
                        ("license_key", None, key.as_str().as_bytes()),
                        ("owner_name", None, b"Ada"),
                    ],
                ),
            ),
        ),
        (
            "department-create.req",
            request(
                "POST /api/v1/departments",
                &[token, json_type],
                br#"{"name":"Engineering"}"#,
            ),
        ),
        ("tokens-list.req", request("GET /api/v1/tokens", &[token], b"")),
        (
            "admin-log.req",
            request(
                "GET /api/v1/admin-log?action=license_key.update&per_page=5",
                &[token],
                b"",
            ),
        ),
        ("no-token.req", request("POST /api/v1/licenses", &[json_type], b"{}")),
    ];
    if let Some(p12) = p12 {
        seeds.push((
            "certificate-upload.req",
            request(
                "POST /api/v1/certificates",
                &[
                    token,
                    ("Content-Type", "multipart/form-data; boundary=fuzzbound"),
                ],
                &multipart(
                    "fuzzbound",
                    &[
                        ("certificateFile", Some("vendor.p12"), &p12),
                        ("passkey", None, fixed::PKCS12_PASSPHRASE.as_bytes()),
                        ("departmentId", None, fixed::DEPARTMENT_ID.as_bytes()),
                        ("name", None, b"vendor"),
                        ("enabled", None, b"true"),
                    ],
                ),
            ),
        ));
    }
    for (name, bytes) in seeds {
        out.put("server", name, bytes);
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let out = Out(PathBuf::from(
        args.next()
            .expect("usage: make_corpus OUT_DIR [SERVER_P12]"),
    ));
    let p12 = args.next().map(|p| std::fs::read(Path::new(&p)).unwrap());
    licenses(&out);
    keys(&out);
    revocations(&out);
    offline(&out);
    relay(&out);
    clock(&out);
    signed_responses(&out);
    ledgers(&out);
    server(&out, p12);
}

fn relay(out: &Out) {
    use licet_issuer::pool::sign_lease;
    use licet_verifier::lease::LeaseClaims;
    let request = fixed::relay_request();
    out.put("relay_request", "request.json", request.to_json());
    let mut value: serde_json::Value = serde_json::from_str(&request.to_json()).unwrap();
    value["relay_key"]["kid"] = json!("not-the-thumbprint");
    out.put("relay_request", "wrong-kid.json", value.to_string());
    let rsa = fixed::rsa_key().public_key().jwk(Some(Algorithm::RS256));
    value["relay_key"] = rsa;
    out.put("relay_request", "rsa-key.json", value.to_string());
    out.put(
        "relay_request",
        "activation-type.json",
        fixed::pending_request().to_json(),
    );

    let lease = |pool: &str, machine: MachineId, iat: i64, exp: i64| LeaseClaims {
        lease_id: "6c696365-742d-4675-a87a-2d6c65617365".into(),
        machine_id: machine,
        pool_license_id: pool.into(),
        issued_at: fixed::now().saturating_add(iat),
        expires_at: fixed::now().saturating_add(exp),
    };
    let relay = fixed::relay_key();
    let sign = |claims: &LeaseClaims| sign_lease(relay, claims).unwrap();
    out.put(
        "lease",
        "valid.jwt",
        sign(&lease(fixed::POOL_LICENSE_ID, fixed::machine(), -60, 600)),
    );
    out.put(
        "lease",
        "expired.jwt",
        sign(&lease(fixed::POOL_LICENSE_ID, fixed::machine(), -900, -10)),
    );
    out.put(
        "lease",
        "too-long.jwt",
        sign(&lease(fixed::POOL_LICENSE_ID, fixed::machine(), -60, 3_600)),
    );
    out.put(
        "lease",
        "other-pool.jwt",
        sign(&lease("POOL-OTHER", fixed::machine(), -60, 600)),
    );
    out.put(
        "lease",
        "other-machine.jwt",
        sign(&lease(
            fixed::POOL_LICENSE_ID,
            MachineId::from_raw_identifier("elsewhere"),
            -60,
            600,
        )),
    );
    // Signed by the vendor key, not the relay's: the kid names another key.
    let vendor_signed = sign_lease(
        fixed::ed25519_key(),
        &lease(fixed::POOL_LICENSE_ID, fixed::machine(), -60, 600),
    )
    .unwrap();
    out.put("lease", "vendor-signed.jwt", vendor_signed.clone());
    out.put("lease", "pool-license.jwt", fixed::pool_license());

    use licet_issuer::usage::{
        sign_usage_report, utc_days, DayUsage, Period, PoolUsage, UsageReport,
    };
    let to = fixed::now().as_secs();
    let period = Period {
        from: to - 3 * 86_400,
        to,
    };
    let days: Vec<DayUsage> = utc_days(period)
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, day)| DayUsage {
            day,
            peak: i as u32 + 1,
            grants: 10 * i as u64,
        })
        .collect();
    let report = UsageReport {
        seq: 2,
        prev: "ab".repeat(32),
        ..UsageReport::first(
            relay.kid(),
            period,
            to,
            vec![PoolUsage {
                pool: fixed::POOL_LICENSE_ID.into(),
                days: days.clone(),
            }],
            (42, "cd".repeat(32)),
        )
    };
    out.put(
        "usage_report",
        "valid.jwt",
        sign_usage_report(relay, &report).unwrap(),
    );
    let first = UsageReport::first(relay.kid(), period, to, Vec::new(), (0, "00".repeat(32)));
    out.put(
        "usage_report",
        "first-empty.jwt",
        sign_usage_report(relay, &first).unwrap(),
    );
    let mut short = report.clone();
    short.pools[0].days.pop();
    out.put(
        "usage_report",
        "missing-day.jwt",
        sign_usage_report(relay, &short).unwrap(),
    );
    out.put(
        "usage_report",
        "vendor-signed.jwt",
        sign_usage_report(fixed::ed25519_key(), &report).unwrap(),
    );
    out.put("usage_report", "lease.jwt", vendor_signed);
}
