//! End-to-end: managing keys, seats and tokens with the `licet` binary (issue 10 §2): the CLI
//! on `--db`, and a running `licet serve` that refuses a token revoked on the same database.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::{licet, new_db, Server};
use serde_json::{json, Value};
use std::path::Path;

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = licet().current_dir(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run_json(dir: &Path, args: &[&str]) -> Value {
    let (code, stdout, stderr) = run(dir, args);
    assert_eq!(code, 0, "{args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
}

fn machine(n: u32) -> String {
    licet_verifier::MachineId::from_raw_identifier(&format!("e2e-machine-{n}")).to_string()
}

fn get(base: &str, path: &str, token: &str) -> u16 {
    match ureq::get(&format!("{base}{path}"))
        .set("X-Auth-Token", token)
        .call()
    {
        Ok(response) => response.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_token_revoked_on_the_database_is_refused_by_the_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = new_db(dir.path());
    let created = run_json(
        dir.path(),
        &[
            "token",
            "create",
            "--db",
            &db,
            "--user",
            "ops",
            "--permission",
            "all",
            "--json",
        ],
    );
    let token = created["token"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    let server = Server::start_with(dir.path(), &[]);
    assert_eq!(get(&server.base, "/api/v1/tokens", &token), 200);

    // Listed without its text or hash.
    let (code, listed, _) = run(dir.path(), &["token", "list", "--db", &db, "--json"]);
    assert_eq!(code, 0);
    assert!(!listed.contains(&token));
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["id"], json!(id));
    assert_eq!(listed[0]["status"], "active");

    let (code, _, stderr) = run(dir.path(), &["token", "revoke", &id, "--db", &db]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        get(&server.base, "/api/v1/tokens", &token),
        401,
        "refused at once"
    );
    // Unknown and already-revoked ids: exit 1, nothing logged twice.
    assert_eq!(run(dir.path(), &["token", "revoke", &id, "--db", &db]).0, 1);
    assert_eq!(
        run(dir.path(), &["token", "revoke", "no-such-id", "--db", &db]).0,
        1
    );
    let log = run_json(dir.path(), &["admin-log", "--db", &db, "--json"]);
    let actions: Vec<&str> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["token.revoke", "token.create"]);
    assert!(log["data"][0]["user_id"]
        .as_str()
        .unwrap()
        .starts_with("cli:"));
    assert!(!log.to_string().contains(&token));
    server.terminate();
}

#[test]
fn tokens_expire_after_90_days_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let db = new_db(dir.path());
    let create = |extra: &[&str]| {
        let mut args = vec![
            "token",
            "create",
            "--db",
            &db,
            "--user",
            "u",
            "--permission",
            "manage-tokens",
            "--json",
        ];
        args.extend_from_slice(extra);
        run_json(dir.path(), &args)
    };
    let now = licet_verifier::UnixTime::now().as_secs();
    let expires = |v: &Value| {
        licet_verifier::UnixTime::parse_rfc3339(v["expiresAt"].as_str().unwrap())
            .unwrap()
            .as_secs()
    };
    let default = create(&[]);
    assert!(
        (expires(&default) - (now + 90 * 86_400)).abs() < 60,
        "{default}"
    );
    let week = create(&["--expires-days", "7"]);
    assert!((expires(&week) - (now + 7 * 86_400)).abs() < 60);
    assert_eq!(create(&["--no-expiry"])["expiresAt"], Value::Null);
    let (code, _, _) = run(
        dir.path(),
        &[
            "token",
            "create",
            "--db",
            &db,
            "--user",
            "u",
            "--permission",
            "all",
            "--no-expiry",
            "--expires-days",
            "3",
        ],
    );
    assert_eq!(code, 2);
}

#[test]
fn keys_are_listed_shown_updated_and_seats_freed_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = new_db(dir.path());
    let created = run_json(
        dir.path(),
        &[
            "license-key",
            "create",
            "--db",
            &db,
            "--customer",
            "ACME",
            "--product",
            "app",
            "--max-activations",
            "1",
            "--json",
        ],
    );
    let key = created["license_key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    run_json(
        dir.path(),
        &[
            "license-key",
            "create",
            "--db",
            &db,
            "--customer",
            "Globex",
            "--max-activations",
            "1",
            "--json",
        ],
    );
    let listed = run_json(
        dir.path(),
        &[
            "license-key",
            "list",
            "--db",
            &db,
            "--customer",
            "ACME",
            "--json",
        ],
    );
    assert_eq!(listed["pagination"]["total"], 1);
    assert_eq!(listed["data"][0]["id"], json!(id));
    assert_eq!(listed["data"][0]["key_hint"], json!(&key[key.len() - 4..]));
    assert!(!listed.to_string().contains(&key));
    for (flag, bad) in [("--page", "0"), ("--per-page", "501"), ("--status", "gone")] {
        let (code, _, stderr) = run(dir.path(), &["license-key", "list", "--db", &db, flag, bad]);
        assert_eq!(code, 2, "{flag} {bad}");
        assert!(stderr.contains(flag), "{stderr}");
    }

    // The vendor answers an offline request; a second machine finds the key full, and the
    // vendor is told which machine holds the seat.
    run(dir.path(), &["keygen", "--alg", "ed25519", "--out", "v"]);
    for n in [1, 2] {
        let (code, _, stderr) = run(
            dir.path(),
            &[
                "activation",
                "request",
                "--license-key",
                &key,
                "--machine",
                &machine(n),
                "--state",
                &format!("s{n}"),
                "--out",
                &format!("req{n}.json"),
            ],
        );
        assert_eq!(code, 0, "{stderr}");
    }
    let respond = |n: u32| {
        run(
            dir.path(),
            &[
                "activation",
                "respond",
                &format!("req{n}.json"),
                "--key",
                "v.key.pem",
                "--db",
                &db,
                "--out",
                &format!("lic{n}.json"),
            ],
        )
    };
    let (code, _, stderr) = respond(1);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = respond(2);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&machine(1)),
        "the vendor sees the holder: {stderr}"
    );

    let shown = run_json(
        dir.path(),
        &["license-key", "show", &id, "--db", &db, "--json"],
    );
    assert_eq!(shown["seats"][0]["machine_id"], json!(machine(1)));
    assert!(
        shown["seats"][0]["hostname"].is_string(),
        "the request's hostname is kept"
    );
    let by_key = run_json(
        dir.path(),
        &["license-key", "show", &key, "--db", &db, "--json"],
    );
    assert_eq!(by_key["seats"], shown["seats"]);

    let updated = run_json(
        dir.path(),
        &[
            "license-key",
            "update",
            &id,
            "--db",
            &db,
            "--max-activations",
            "2",
            "--expires",
            "2031-01-31",
            "--feature",
            "tier=gold",
            "--json",
        ],
    );
    assert_eq!(updated["max_activations"], 2);
    assert_eq!(updated["features"], json!({"tier": "gold"}));
    let (code, _, _) = respond(2);
    assert_eq!(code, 0, "a seat is free after the update");

    // Freeing a seat nobody holds: exit 1 and nothing logged.
    let before = run_json(dir.path(), &["admin-log", "--db", &db, "--json"])["total"].clone();
    let (code, _, stderr) = run(
        dir.path(),
        &[
            "license-key",
            "free-seat",
            &id,
            "--machine",
            &machine(3),
            "--db",
            &db,
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        run_json(dir.path(), &["admin-log", "--db", &db, "--json"])["total"],
        before
    );
    let freed = run_json(
        dir.path(),
        &[
            "license-key",
            "free-seat",
            &key,
            "--machine",
            &machine(1),
            "--db",
            &db,
            "--json",
        ],
    );
    assert_eq!(freed["activations"], 1);
    let log = run_json(
        dir.path(),
        &["admin-log", "--db", &db, "--json", "--limit", "2"],
    );
    assert_eq!(log["data"][0]["action"], "license_key.free_seat");
    assert_eq!(log["data"][1]["action"], "license_key.update");
    assert_eq!(log["data"].as_array().unwrap().len(), 2);
    let (code, _, _) = run(
        dir.path(),
        &["admin-log", "--db", &db, "--since", "not-a-date"],
    );
    assert_eq!(code, 2);
}

#[test]
fn a_nul_in_a_feature_is_refused_by_the_cli_as_by_the_api() {
    // A feature's value is read as JSON, so `"gold\u0000"` is a NUL the shell can pass; the
    // API refuses it (PostgreSQL cannot store it), and so must `--db`, on either backend.
    let dir = tempfile::tempdir().unwrap();
    let db = new_db(dir.path());
    let create = |extra: &[&str]| {
        let mut args = vec![
            "license-key",
            "create",
            "--db",
            &db,
            "--customer",
            "ACME",
            "--max-activations",
            "1",
        ];
        args.extend_from_slice(extra);
        run(dir.path(), &args)
    };
    let (code, _, stderr) = create(&["--feature", r#"tier="gold\u0000""#]);
    assert_eq!(code, 2, "bad input is exit 2: {stderr}");
    assert!(
        stderr.contains("/features/tier") && stderr.contains("NUL"),
        "{stderr}"
    );
    let listed = run_json(dir.path(), &["license-key", "list", "--db", &db, "--json"]);
    assert_eq!(listed["pagination"]["total"], 0, "nothing was created");

    let (code, stdout, stderr) = create(&["--json"]);
    assert_eq!(code, 0, "{stderr}");
    let created: Value = serde_json::from_str(&stdout).unwrap();
    let id = created["id"].as_str().unwrap();
    let (code, _, stderr) = run(
        dir.path(),
        &[
            "license-key",
            "update",
            id,
            "--db",
            &db,
            "--feature",
            r#"a=["x\u0000"]"#,
        ],
    );
    assert_eq!(code, 2, "bad input is exit 2: {stderr}");
    assert!(
        stderr.contains("/features/a/0") && stderr.contains("NUL"),
        "{stderr}"
    );
    let shown = run_json(
        dir.path(),
        &["license-key", "show", id, "--db", &db, "--json"],
    );
    assert_eq!(
        shown["features"],
        Value::Null,
        "the key is as it was: {shown}"
    );
}
