//! Offline activation by file, end to end (issue #5): request on the isolated machine, respond at
//! the vendor over the same database as `licet serve`, install, release, and the refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::{licet, Server};
use serde_json::{json, Value};
use std::path::Path;

fn machine(name: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        name.as_bytes(),
    ))
}

/// Runs licet in `dir`: (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = licet().current_dir(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A vendor in `dir`: key pair v.*, and a license key with `seats` seats in licet.db, created
/// through `licet serve`'s API (then the server is stopped: respond works on the file alone).
fn vendor_with_key(dir: &Path, seats: u32) -> String {
    licet()
        .current_dir(dir)
        .args(["keygen", "--alg", "ed25519", "--out", "v"])
        .assert()
        .success();
    common::new_db(dir);
    let out = licet()
        .current_dir(dir)
        .args([
            "token",
            "create",
            "--db",
            "sqlite://licet.db",
            "--user",
            "vendor",
        ])
        .args(["--permission", "manage-license-keys", "--json"])
        .output()
        .unwrap();
    let token: Value = serde_json::from_slice(&out.stdout).unwrap();
    let server = Server::start_with(dir, &[]);
    let created: Value = ureq::post(&format!("{}/api/v1/license-keys", server.base))
        .set("X-Auth-Token", token["token"].as_str().unwrap())
        .send_json(
            json!({"customer": "ACME-001", "product": "app", "max_activations": seats,
                          "features": {"tier": "gold"}}),
        )
        .unwrap()
        .into_json()
        .unwrap();
    assert!(server.terminate().success());
    created["data"]["license_key"].as_str().unwrap().to_owned()
}

fn request(dir: &Path, key: &str, machine: &str, state: &str, out: &str) -> Value {
    let (code, _, stderr) = run(
        dir,
        &[
            "activation",
            "request",
            "--license-key",
            key,
            "--machine",
            machine,
            "--state",
            state,
            "--out",
            out,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&std::fs::read_to_string(dir.join(out)).unwrap()).unwrap()
}

fn respond(dir: &Path, file: &str, out: &str) -> (i32, String, String) {
    run(
        dir,
        &[
            "activation",
            "respond",
            file,
            "--key",
            "v.key.pem",
            "--db",
            "sqlite://licet.db",
            "--out",
            out,
            "--ledger",
            "ledger.jsonl",
        ],
    )
}

fn install(dir: &Path, license: &str, state: &str) -> (i32, String, String) {
    run(
        dir,
        &[
            "activation",
            "install",
            license,
            "--pubkey",
            "v.pub.pem",
            "--state",
            state,
        ],
    )
}

#[test]
fn request_respond_install_release_and_the_seat_is_freed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = vendor_with_key(d, 1);
    let (a, b) = (machine("server-a"), machine("server-b"));

    let req = request(d, &key, &a, "state-a", "req-a.json");
    assert_eq!(req["type"], "licet-activation-request");
    assert_eq!(
        (req["license_key"].as_str(), req["machine_id"].as_str()),
        (Some(key.as_str()), Some(a.as_str()))
    );
    let nonce = req["nonce"].as_str().unwrap().to_owned();
    assert!(d.join(format!("state-a/pending/{nonce}.json")).exists());
    let request_bytes = std::fs::read(d.join("req-a.json")).unwrap().len();
    assert!(request_bytes < 400, "the request is {request_bytes} bytes");

    let (code, _, stderr) = respond(d, "req-a.json", "lic-a.lic");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("new seat"), "{stderr}");
    let license_bytes = std::fs::read(d.join("lic-a.lic")).unwrap().len();
    assert!(
        license_bytes < 1000,
        "the Ed25519 license is {license_bytes} bytes"
    );
    eprintln!("sizes: request {request_bytes} bytes, Ed25519 response {license_bytes} bytes");

    // The license is machine-bound, carries the nonce and the key, and verifies like any other.
    let out = licet()
        .current_dir(d)
        .args([
            "verify",
            "lic-a.lic",
            "--pubkey",
            "v.pub.pem",
            "--machine",
            &a,
            "--json",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "ACTIVE", "{report}");
    assert_eq!(report["license"]["machineIds"], json!([a]));
    assert_eq!(report["license"]["licenseKey"], key.as_str());
    let inspected: Value = serde_json::from_slice(
        &licet()
            .current_dir(d)
            .args(["inspect", "lic-a.lic", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(inspected["untrusted"]["claims"]["nonce"], nonce.as_str());

    // The only seat is taken: machine B is refused, with the server's reason.
    request(d, &key, &b, "state-b", "req-b.json");
    let (code, _, stderr) = respond(d, "req-b.json", "lic-b.lic");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("Activation limit reached"), "{stderr}");
    assert!(!d.join("lic-b.lic").exists());

    // Install on A; a second install of the same response is refused (the request is no longer pending).
    let (code, stdout, stderr) = install(d, "lic-a.lic", "state-a");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("installed"), "{stdout}");
    assert!(!d.join(format!("state-a/pending/{nonce}.json")).exists());
    let (code, _, stderr) = install(d, "lic-a.lic", "state-a");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("no pending request"), "{stderr}");

    // Answering the same request again is idempotent: the same seat, the same license id.
    let (code, _, stderr) = respond(d, "req-a.json", "lic-a2.lic");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("again"), "{stderr}");

    // Release on A frees the seat; then B gets it.
    let (code, _, stderr) = run(
        d,
        &[
            "activation",
            "release",
            "--state",
            "state-a",
            "--out",
            "release.json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let release: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("release.json")).unwrap()).unwrap();
    assert_eq!(
        (release["type"].as_str(), release["nonce"].as_str()),
        (Some("licet-activation-release"), Some(nonce.as_str()))
    );
    assert_eq!(release["machine_id"], a.as_str());
    let (code, _, _) = run(d, &["activation", "release", "--state", "state-a"]);
    assert_eq!(code, 2, "nothing left to release");
    let (code, stdout, stderr) = respond(d, "release.json", "unused.lic");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("released"), "{stdout}");
    let (code, _, stderr) = respond(d, "release.json", "unused.lic");
    assert_eq!(code, 1, "a seat is released once: {stderr}");
    let (code, _, stderr) = respond(d, "req-b.json", "lic-b.lic");
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = install(d, "lic-b.lic", "state-b");
    assert_eq!(code, 0, "{stderr}");

    // The ledger recorded each grant (A, A again, B), and its chain is intact.
    let ledger = std::fs::read_to_string(d.join("ledger.jsonl")).unwrap();
    let actions: Vec<Value> = ledger
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(actions.len(), 3);
    assert!(actions
        .iter()
        .all(|e| e["action"] == "activate" && e["customer_id"] == "ACME-001"));
    licet()
        .current_dir(d)
        .args(["ledger", "verify", "ledger.jsonl"])
        .assert()
        .code(0);
}

#[test]
fn a_response_is_refused_for_another_request_and_for_another_machine() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = vendor_with_key(d, 5);
    let a = machine("server-a");
    request(d, &key, &a, "state-1", "req-1.json");
    let second = request(d, &key, &a, "state-2", "req-2.json");
    let (code, _, stderr) = respond(d, "req-1.json", "lic-1.lic");
    assert_eq!(code, 0, "{stderr}");
    // The response to request 1 cannot be installed for request 2 (same machine, other nonce).
    let (code, _, stderr) = install(d, "lic-1.lic", "state-2");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("nonce") && stderr.contains("another request"),
        "{stderr}"
    );

    // A license with request 2's nonce, but bound to another machine, is refused too.
    let signing = licet_issuer::SigningKey::from_pem(
        &std::fs::read_to_string(d.join("v.key.pem")).unwrap(),
        None,
    )
    .unwrap();
    let mut other = serde_json::Map::new();
    other.insert("nonce".into(), second["nonce"].clone());
    let claims = licet_verifier::LicenseClaims {
        product: Some("app".into()),
        machine_ids: Some(vec![
            licet_verifier::MachineId::parse(&machine("server-z")).unwrap()
        ]),
        license_key: Some(licet_verifier::LicenseKey::parse(&key).unwrap()),
        other,
        ..licet_verifier::LicenseClaims::new(
            "forged-seat",
            "ACME-001",
            licet_verifier::UnixTime::now(),
        )
    };
    let token = licet_issuer::mint_license(&signing, None, &claims)
        .unwrap()
        .token;
    std::fs::write(d.join("other-machine.lic"), token).unwrap();
    let (code, _, stderr) = install(d, "other-machine.lic", "state-2");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("MACHINE_MISMATCH"), "{stderr}");
    // Request 2 is still pending: the genuine response can still be installed.
    let (code, _, stderr) = respond(d, "req-2.json", "lic-2.lic");
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = install(d, "lic-2.lic", "state-2");
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn bad_files_and_qr_codes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = vendor_with_key(d, 1);
    // A license is not a request; a request with a bad nonce is refused before the database.
    std::fs::write(d.join("not-a-request.json"), b"{\"type\":\"something\"}").unwrap();
    let (code, _, stderr) = respond(d, "not-a-request.json", "x.lic");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("not-a-request.json") && stderr.contains("type"),
        "{stderr}"
    );
    let req = request(d, &key, &machine("m"), "st", "req.json");
    let mut bad = req.clone();
    bad["nonce"] = json!("short");
    std::fs::write(d.join("bad-nonce.json"), bad.to_string()).unwrap();
    let (code, _, stderr) = respond(d, "bad-nonce.json", "x.lic");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nonce"), "{stderr}");
    // --qr draws the request in block characters on stderr.
    let (code, stdout, stderr) = run(
        d,
        &[
            "activation",
            "request",
            "--license-key",
            &key,
            "--machine",
            &machine("m"),
            "--state",
            "st",
            "--qr",
        ],
    );
    assert_eq!(code, 0);
    assert!(stdout.contains("licet-activation-request"));
    assert!(stderr.contains('█') || stderr.contains('▀'), "{stderr}");
}

#[test]
fn a_vendor_without_a_server_creates_keys_and_answers_requests() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    licet()
        .current_dir(d)
        .args(["keygen", "--alg", "ed25519", "--out", "v"])
        .assert()
        .success();
    common::new_db(d);
    let (code, stdout, stderr) = run(
        d,
        &[
            "license-key",
            "create",
            "--db",
            "sqlite://licet.db",
            "--customer",
            "ACME-001",
            "--max-activations",
            "1",
            "--product",
            "app",
            "--feature",
            "seats=3",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let created: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (
            created["customer"].as_str(),
            created["max_activations"].as_i64(),
            created["status"].as_str()
        ),
        (Some("ACME-001"), Some(1), Some("active"))
    );
    let key = created["license_key"].as_str().unwrap().to_owned();
    // The key is stored hashed only.
    let db = std::fs::read(d.join("licet.db")).unwrap();
    let wal = std::fs::read(d.join("licet.db-wal")).unwrap_or_default();
    assert!(![&db, &wal]
        .iter()
        .any(|b| b.windows(key.len()).any(|w| w == key.as_bytes())));
    // Bad input names the field, exit 2.
    let (code, _, stderr) = run(
        d,
        &[
            "license-key",
            "create",
            "--customer",
            "X",
            "--max-activations",
            "0",
        ],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("max_activations"), "{stderr}");

    request(d, &key, &machine("a"), "st", "req.json");
    let (code, _, stderr) = respond(d, "req.json", "lic.lic");
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = install(d, "lic.lic", "st");
    assert_eq!(code, 0, "{stderr}");
}

/// The claims of a license file, read without verifying it.
fn claims_of(file: &str) -> Value {
    use base64::Engine as _;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(file.trim().split('.').nth(1).unwrap())
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

/// Offline seats are leases when the vendor sets `lease_days` (periodic re-activation by file);
/// otherwise the file lasts as long as the key. Both carry the key's end as `entitlement_exp`.
#[test]
fn offline_seats_are_leases_when_the_key_sets_lease_days() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    licet()
        .current_dir(d)
        .args(["keygen", "--alg", "ed25519", "--out", "v"])
        .assert()
        .success();
    let day = 86_400;
    let now = licet_verifier::UnixTime::now().as_secs();
    let key_end = now + 90 * day;
    let key_end_text = licet_verifier::UnixTime::from_secs(key_end)
        .unwrap()
        .to_rfc3339();
    common::new_db(d);
    let create = |extra: &[&str]| {
        let mut args = vec![
            "license-key",
            "create",
            "--db",
            "sqlite://licet.db",
            "--customer",
            "ACME-001",
            "--max-activations",
            "1",
            "--expires",
            &key_end_text,
            "--json",
        ];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = run(d, &args);
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str::<Value>(&stdout).unwrap()
    };
    let weekly = create(&["--lease-days", "7"]);
    assert_eq!(weekly["lease_days"], 7, "{weekly}");
    let plain = create(&[]);
    assert_eq!(plain["lease_days"], Value::Null, "{plain}");

    let m = machine("leased");
    request(
        d,
        weekly["license_key"].as_str().unwrap(),
        &m,
        "st",
        "req1.json",
    );
    let (code, _, stderr) = respond(d, "req1.json", "weekly.lic");
    assert_eq!(code, 0, "{stderr}");
    let claims = claims_of(&std::fs::read_to_string(d.join("weekly.lic")).unwrap());
    let iat = claims["iat"].as_i64().unwrap();
    assert!((now..now + 120).contains(&iat), "{claims}");
    assert_eq!(claims["exp"], json!(iat + 7 * day), "{claims}");
    assert_eq!(claims["entitlement_exp"], json!(key_end), "{claims}");

    request(
        d,
        plain["license_key"].as_str().unwrap(),
        &m,
        "st",
        "req2.json",
    );
    let (code, _, stderr) = respond(d, "req2.json", "plain.lic");
    assert_eq!(code, 0, "{stderr}");
    let claims = claims_of(&std::fs::read_to_string(d.join("plain.lic")).unwrap());
    assert_eq!(claims["exp"], json!(key_end), "{claims}");
    assert_eq!(claims["entitlement_exp"], json!(key_end), "{claims}");

    // The leased file dies after its week; the report shows when the subscription ends.
    let verify_at = |secs: i64| {
        let at = licet_verifier::UnixTime::from_secs(secs)
            .unwrap()
            .to_rfc3339();
        let (code, stdout, _) = run(
            d,
            &[
                "verify",
                "weekly.lic",
                "--pubkey",
                "v.pub.pem",
                "--machine",
                &m,
                "--at",
                &at,
                "--json",
            ],
        );
        (code, serde_json::from_str::<Value>(&stdout).unwrap())
    };
    let (code, report) = verify_at(iat + 6 * day);
    assert_eq!(
        (code, report["status"].as_str()),
        (0, Some("ACTIVE")),
        "{report}"
    );
    assert_eq!(report["license"]["entitlementExpiry"], json!(key_end_text));
    let (code, report) = verify_at(iat + 7 * day);
    assert_eq!(
        (code, report["status"].as_str()),
        (1, Some("EXPIRED")),
        "{report}"
    );

    // Bad lease lengths name the field.
    for bad in ["0", "3651", "-3"] {
        let (code, _, stderr) = run(
            d,
            &[
                "license-key",
                "create",
                "--customer",
                "X",
                "--max-activations",
                "1",
                "--lease-days",
                bad,
            ],
        );
        assert_eq!(code, 2, "{bad}");
        assert!(stderr.contains("lease_days"), "{bad}: {stderr}");
    }
}

/// `respond` takes the seat only if it can deliver the license: a response whose output file
/// cannot be written leaves no seat, no ledger entry and no file.
#[test]
fn a_response_that_cannot_be_written_takes_no_seat() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = vendor_with_key(d, 1);
    request(d, &key, &machine("a"), "st", "req-a.json");
    let (code, _, stderr) = respond(d, "req-a.json", "no-such-dir/a.lic");
    assert_eq!(code, 2, "{stderr}");
    let ledger = std::fs::read_to_string(d.join("ledger.jsonl")).unwrap_or_default();
    assert_eq!(ledger, "", "a ledger entry for a license never delivered");
    request(d, &key, &machine("b"), "st", "req-b.json");
    let (code, _, stderr) = respond(d, "req-b.json", "b.lic");
    assert_eq!(code, 0, "the failed response took the only seat: {stderr}");
}

/// Issue 9 §8: a release that cannot be written removes nothing; after a renewal on the same
/// machine, one release frees the seat once and leaves nothing installed for that license id;
/// a request's --out never replaces a key, and a refused --out records nothing.
#[test]
fn releases_lose_nothing_and_a_renewal_is_released_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = vendor_with_key(d, 1);
    let m = machine("renewing");
    // A request onto the vendor's private key: refused, nothing recorded.
    let before = std::fs::read(d.join("v.key.pem")).unwrap();
    let (code, _, stderr) = run(
        d,
        &[
            "activation",
            "request",
            "--license-key",
            &key,
            "--machine",
            &m,
            "--state",
            "state",
            "--out",
            "v.key.pem",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is a private key"), "{stderr}");
    assert_eq!(std::fs::read(d.join("v.key.pem")).unwrap(), before);
    assert!(
        !d.join("state/pending").exists()
            || std::fs::read_dir(d.join("state/pending")).unwrap().count() == 0
    );

    // Activate, then renew on the same machine (same seat, same license id).
    for round in ["first", "renewal"] {
        request(d, &key, &m, "state", &format!("{round}.req"));
        let (code, _, stderr) = respond(d, &format!("{round}.req"), &format!("{round}.lic"));
        assert_eq!(code, 0, "{stderr}");
        let (code, _, stderr) = install(d, &format!("{round}.lic"), "state");
        assert_eq!(code, 0, "{stderr}");
    }
    let installed: Vec<_> = std::fs::read_dir(d.join("state/installed"))
        .unwrap()
        .collect();
    assert_eq!(
        installed.len(),
        1,
        "a renewal replaces the installed file of its license id"
    );

    // The release cannot be written (no such directory): the license stays installed.
    let (code, _, stderr) = run(
        d,
        &[
            "activation",
            "release",
            "--state",
            "state",
            "--out",
            "missing/dir/release.json",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        std::fs::read_dir(d.join("state/installed"))
            .unwrap()
            .count(),
        1,
        "nothing lost"
    );
    // Written: then it is removed, and the vendor frees the seat once.
    let (code, _, stderr) = run(
        d,
        &[
            "activation",
            "release",
            "--state",
            "state",
            "--out",
            "release.json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        std::fs::read_dir(d.join("state/installed"))
            .unwrap()
            .count(),
        0
    );
    let (code, _, stderr) = run(
        d,
        &[
            "activation",
            "release",
            "--state",
            "state",
            "--out",
            "again.json",
        ],
    );
    assert_eq!(code, 2, "nothing left to release: {stderr}");
    let (code, out, stderr) = run(
        d,
        &[
            "activation",
            "respond",
            "release.json",
            "--key",
            "v.key.pem",
            "--db",
            "sqlite://licet.db",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let summary: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["activations"], 0, "{summary}");
    // The seat is free: another machine takes it.
    request(d, &key, &machine("next"), "state2", "next.req");
    assert_eq!(respond(d, "next.req", "next.lic").0, 0);
}

/// Issue 9 §9: a wrong file given to a command is named as such, not reported as tampering.
#[test]
fn a_wrong_file_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = vendor_with_key(d, 2);
    let m = machine("wrong-files");
    request(d, &key, &m, "state", "request.json");
    assert_eq!(respond(d, "request.json", "license.lic").0, 0);
    run(
        d,
        &[
            "revoke",
            "--key",
            "v.key.pem",
            "--list",
            "list.jwt",
            "--ledger",
            "ledger.jsonl",
            "--force",
            "L-0",
        ],
    );
    run(
        d,
        &[
            "issue",
            "--key",
            "v.key.pem",
            "--customer",
            "C",
            "--ledger",
            "ledger.jsonl",
            "--out",
            "other.lic",
        ],
    );
    // The request where the response is expected.
    let (code, _, stderr) = install(d, "request.json", "state");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("the activation request itself"), "{stderr}");
    // A license where a request is expected.
    let (code, _, stderr) = respond(d, "license.lic", "out.lic");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("is a license file, not an activation request"),
        "{stderr}"
    );
    // A license where a ledger is expected.
    let (code, _, stderr) = run(d, &["ledger", "verify", "other.lic"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("is a license file, not an issuance ledger"),
        "{stderr}"
    );
    // A key, a list, a ledger, a request where a license is expected: MALFORMED, named.
    for (file, named) in [
        ("v.key.pem", "a PEM private key"),
        ("v.pub.pem", "a PEM public key"),
        ("list.jwt", "a revocation list"),
        ("ledger.jsonl", "an issuance ledger"),
        ("request.json", "an activation request"),
    ] {
        let (code, out, _) = run(d, &["verify", file, "--pubkey", "v.pub.pem", "--json"]);
        assert_eq!(code, 1, "{file}");
        let report: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["status"], "MALFORMED", "{file}");
        let reason = report["reason"].as_str().unwrap();
        assert!(
            reason.contains(named) && reason.contains("not a license file"),
            "{file}: {reason}"
        );
    }
}
