//! Signed answers that cannot be replayed (issue 17 §1): every signed answer of the activation
//! routes carries the server's `timestamp` and echoes the request's `nonce`; the assignment
//! envelope names the key it answers for; `licet verify-response --nonce --max-age` refuses a
//! replayed or stale answer, and a file with members nobody signed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::{licet, Server};
use serde_json::{json, Value};
use std::time::Duration;

fn call(method: &str, url: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = ureq::request(method, url);
    if let Some(token) = token {
        request = request.set("X-Auth-Token", token);
    }
    match request.send_json(body) {
        Ok(r) => (r.status(), r.into_json().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap()),
        Err(e) => panic!("{e}"),
    }
}

struct Vendor {
    dir: tempfile::TempDir,
    server: Server,
    token: String,
}

fn vendor() -> Vendor {
    let dir = tempfile::tempdir().unwrap();
    common::new_db(dir.path());
    let token = common::new_token(dir.path(), "ops", "manage-license-keys");
    let server = Server::start_with(dir.path(), &[]);
    let pem = ureq::get(&format!("{}/license/public-key", server.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    std::fs::write(dir.path().join("api.pub.pem"), pem).unwrap();
    Vendor { dir, server, token }
}

impl Vendor {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base)
    }

    fn new_key(&self) -> String {
        let (status, created) = call(
            "POST",
            &self.url("/api/v1/license-keys"),
            Some(&self.token),
            json!({"customer": "ACME", "product": "app", "max_activations": 2}),
        );
        assert_eq!(status, 201, "{created}");
        created["data"]["license_key"].as_str().unwrap().to_owned()
    }

    fn save(&self, name: &str, body: &Value) {
        std::fs::write(self.dir.path().join(name), body.to_string()).unwrap();
    }

    /// `licet verify-response NAME --pubkey api.pub.pem EXTRA... --json`: exit code and report.
    fn verify_response(&self, name: &str, extra: &[&str]) -> (i32, Value) {
        let out = licet()
            .current_dir(self.dir.path())
            .args(["verify-response", name, "--pubkey", "api.pub.pem", "--json"])
            .args(extra)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
        });
        (out.status.code().unwrap(), report)
    }
}

const NONCE: &str = "n0nce-Of-The-First-Request_0001";
const OTHER_NONCE: &str = "another-request-nonce-000000002";

#[test]
fn answers_carry_the_time_and_the_nonce_and_a_replay_is_refused() {
    let v = vendor();
    let key = v.new_key();
    let machine = "ab".repeat(32);

    // activate with a nonce: the signed data echoes it and carries the server's time.
    let (status, activated) = call(
        "POST",
        &v.url("/license/activate"),
        None,
        json!({"license_key": key, "machine_id": machine, "nonce": NONCE}),
    );
    assert_eq!(status, 200, "{activated}");
    assert_eq!(activated["data"]["nonce"], NONCE);
    let now = licet_verifier::UnixTime::now().as_secs();
    let signed_at = activated["data"]["timestamp"].as_i64().unwrap();
    assert!(
        (now - signed_at).abs() <= 5,
        "timestamp {signed_at}, now {now}"
    );
    v.save("activated.json", &activated);
    let (code, report) =
        v.verify_response("activated.json", &["--nonce", NONCE, "--max-age", "5m"]);
    assert_eq!((code, &report["valid"]), (0, &json!(true)), "{report}");
    assert_eq!(report["nonce"], NONCE);
    assert_eq!(report["timestamp"], signed_at);

    // The answer to one request is not the answer to another.
    let (code, report) = v.verify_response("activated.json", &["--nonce", OTHER_NONCE]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report["reason"]
            .as_str()
            .unwrap()
            .contains("another request"),
        "{report}"
    );

    // Two validates a second apart are different bytes (before: identical for ever).
    let validate = |nonce: Option<&str>| {
        let mut body = json!({"license_key": key, "machine_id": machine});
        if let Some(nonce) = nonce {
            body["nonce"] = json!(nonce);
        }
        call("POST", &v.url("/license/validate"), None, body)
    };
    let (status, first) = validate(None);
    assert_eq!(status, 200, "{first}");
    std::thread::sleep(Duration::from_millis(1100));
    let (_, second) = validate(None);
    assert_ne!(first["signature"], second["signature"]);
    assert!(second["data"]["timestamp"].as_i64() > first["data"]["timestamp"].as_i64());
    assert!(first["data"].get("nonce").is_none(), "{first}");
    // A seed 004 client that sends no nonce still gets a signed, checkable answer ...
    v.save("validated.json", &first);
    assert_eq!(v.verify_response("validated.json", &[]).0, 0);
    // ... but a client that sent a nonce refuses an answer without one.
    let (code, report) = v.verify_response("validated.json", &["--nonce", NONCE]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report["reason"].as_str().unwrap().contains("no nonce"),
        "{report}"
    );

    // The key is suspended: validate now says 403, and the answer saved before is stale.
    let (status, _) = call(
        "PATCH",
        &v.url(&format!("/api/v1/license-keys/{key}")),
        Some(&v.token),
        json!({"status": "suspended"}),
    );
    assert_eq!(status, 200);
    let (status, _) = validate(Some(NONCE));
    assert_eq!(status, 403);
    std::thread::sleep(Duration::from_millis(2100));
    let (code, report) = v.verify_response("validated.json", &["--max-age", "1s"]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report["reason"]
            .as_str()
            .unwrap()
            .contains("older than the maximum age"),
        "{report}"
    );
    // The signature itself still verifies: only freshness tells a replay.
    assert_eq!(v.verify_response("validated.json", &[]).0, 0);

    // deactivate answers carry them too.
    let (status, _) = call(
        "PATCH",
        &v.url(&format!("/api/v1/license-keys/{key}")),
        Some(&v.token),
        json!({"status": "active"}),
    );
    assert_eq!(status, 200);
    let (status, deactivated) = call(
        "POST",
        &v.url("/license/deactivate"),
        None,
        json!({"license_key": key, "machine_id": machine, "nonce": OTHER_NONCE}),
    );
    assert_eq!(status, 200, "{deactivated}");
    assert_eq!(deactivated["data"]["nonce"], OTHER_NONCE);
    assert!(deactivated["data"]["timestamp"].is_i64());
    v.server.terminate();
}

#[test]
fn a_malformed_nonce_is_a_422_naming_the_field() {
    let v = vendor();
    let key = v.new_key();
    for nonce in [
        json!("short"),
        json!("x".repeat(129)),
        json!("has spaces in it, sixteen+"),
        json!("padded-base64url=="),
        json!(12345678901234567_i64),
    ] {
        let (status, body) = call(
            "POST",
            &v.url("/license/activate"),
            None,
            json!({"license_key": key, "machine_id": "ab".repeat(32), "nonce": nonce}),
        );
        assert_eq!(status, 422, "{nonce}: {body}");
        assert!(body["errors"]["nonce"].is_array(), "{body}");
        assert!(body["errors"].get("license_key").is_none(), "{body}");
    }
    // Nothing was activated by the refused requests.
    let (status, _) = call(
        "POST",
        &v.url("/license/validate"),
        None,
        json!({"license_key": key, "machine_id": "ab".repeat(32), "nonce": "x".repeat(16)}),
    );
    assert_eq!(status, 403);
    // 16 and 128 characters are accepted.
    for nonce in ["A".repeat(16), "z_-9".repeat(32)] {
        let (status, body) = call(
            "POST",
            &v.url("/license/activate"),
            None,
            json!({"license_key": key, "machine_id": "ab".repeat(32), "nonce": nonce}),
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["nonce"], json!(nonce));
    }
    v.server.terminate();
}

#[test]
fn the_assignment_envelope_names_the_key_and_owner_it_answers_for() {
    let v = vendor();
    let first = v.new_key();
    let second = v.new_key();
    let assign = |key: &str| {
        ureq::post(&v.url("/api/v1/assign-license-key"))
            .send_form(&[
                ("api_key", v.token.as_str()),
                ("license_key", &key.to_lowercase()),
                ("owner_name", " Ada Lovelace "),
                ("email", "ada@example.com"),
            ])
            .unwrap()
            .into_json::<Value>()
            .unwrap()
    };
    let answer = assign(&first);
    assert_eq!(answer["response"]["code"], 800, "{answer}");
    v.save("assigned.json", &answer);
    let (code, report) = v.verify_response("assigned.json", &["--max-age", "1m"]);
    assert_eq!(code, 0, "{report}");
    // The signed content says which key and owner: a "code 800" for one key is not one for another.
    assert_eq!(report["content"]["license_key"], json!(first));
    assert_ne!(report["content"]["license_key"], json!(second));
    assert_eq!(report["content"]["owner_name"], "Ada Lovelace");
    assert_eq!(report["content"]["email"], "ada@example.com");
    let decoded: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            answer["response_base64"].as_str().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(decoded["license_key"], json!(first));
    // An envelope has no nonce: a client that asks for one refuses it.
    assert_eq!(v.verify_response("assigned.json", &["--nonce", NONCE]).0, 1);
    v.server.terminate();
}

#[test]
fn members_nobody_signed_are_refused() {
    let v = vendor();
    let key = v.new_key();
    let (_, activated) = call(
        "POST",
        &v.url("/license/activate"),
        None,
        json!({"license_key": key, "machine_id": "ab".repeat(32)}),
    );
    let assigned = ureq::post(&v.url("/api/v1/assign-license-key"))
        .send_form(&[("api_key", v.token.as_str()), ("license_key", &key)])
        .unwrap()
        .into_json::<Value>()
        .unwrap();
    // Two shapes glued together: the data verifies, the envelope beside it was never signed.
    let mut glued = activated.clone();
    glued["response"] = json!({"code": 800, "message": "License key assigned"});
    let mut extra = activated.clone();
    extra["note"] = json!("approved by the vendor");
    let mut envelope_extra = assigned.clone();
    envelope_extra["data"] = activated["data"].clone();
    for (name, body) in [
        ("glued.json", &glued),
        ("extra.json", &extra),
        ("envelope-extra.json", &envelope_extra),
    ] {
        v.save(name, body);
        let (code, report) = v.verify_response(name, &[]);
        assert_eq!(code, 1, "{name}: {report}");
        assert!(
            report["reason"].as_str().unwrap().contains("nobody signed"),
            "{name}: {report}"
        );
    }
    // The content of an envelope (the 802 any caller can get) repackaged as `data`: refused.
    let rewrapped = json!({"data": assigned["response"], "signature": assigned["signature"]});
    v.save("rewrapped.json", &rewrapped);
    let (code, report) = v.verify_response("rewrapped.json", &["--max-age", "1m"]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report["reason"].as_str().unwrap().contains("repackaged"),
        "{report}"
    );
    // `private_key_used` is not signed: anything but "global" is refused.
    let mut other_key = assigned.clone();
    other_key["private_key_used"] = json!("department-7");
    v.save("other-key.json", &other_key);
    assert_eq!(v.verify_response("other-key.json", &[]).0, 1);
    // A relayed answer: the one for machine ab.. checked by a client that asked for machine cd..
    v.save("activated.json", &activated);
    let (code, report) = v.verify_response("activated.json", &["--machine", &"cd".repeat(32)]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report["reason"].as_str().unwrap().contains("relayed"),
        "{report}"
    );
    let other = v.new_key();
    assert_eq!(
        v.verify_response("activated.json", &["--license-key", &other])
            .0,
        1
    );
    let (code, report) = v.verify_response(
        "activated.json",
        &[
            "--license-key",
            &key.to_lowercase(),
            "--machine",
            &"AB".repeat(32),
        ],
    );
    assert_eq!(code, 0, "the request's own key and machine: {report}");
    // Unchanged, both verify.
    v.save("activated.json", &activated);
    v.save("assigned.json", &assigned);
    assert_eq!(v.verify_response("activated.json", &[]).0, 0);
    assert_eq!(v.verify_response("assigned.json", &[]).0, 0);
    v.server.terminate();
}
