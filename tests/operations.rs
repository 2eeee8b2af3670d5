//! `licet serve` for a vendor's operations (issue 10 §1 and §4): one vendor key signs online and
//! offline seats alike, the issuance ledger records every file the server mints, health,
//! readiness and Prometheus metrics, and JSON logs without secrets.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::{licet, licet_bin};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A `licet serve` in `dir` with `extra` arguments, stderr to `dir/serve.log`; the addresses it
/// prints on stdout (the main one, then the metrics one when asked for).
struct Served {
    child: Child,
    base: String,
    metrics: Option<String>,
}

impl Served {
    fn start(dir: &Path, extra: &[&str]) -> Served {
        ensure_db(dir);
        let log = std::fs::File::create(dir.join("serve.log")).unwrap();
        let mut child = Command::new(licet_bin())
            .current_dir(dir)
            .args([
                "serve",
                "--db",
                "sqlite://licet.db",
                "--listen",
                "127.0.0.1:0",
            ])
            .args(extra)
            .env("LICET_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                panic!(
                    "unexpected first line {line:?}; log: {}",
                    std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default()
                )
            })
            .to_owned();
        let metrics = extra.contains(&"--metrics-listen").then(|| {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            line.trim()
                .strip_prefix("metrics on ")
                .unwrap_or_else(|| panic!("unexpected second line {line:?}"))
                .to_owned()
        });
        // Kept open so later prints do not fail.
        std::mem::forget(out);
        Served {
            child,
            base,
            metrics,
        }
    }

    fn stop(mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = licet().current_dir(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `licet.db` in `dir`, made with `licet db init` when missing (commands never create one).
fn ensure_db(dir: &Path) {
    if !dir.join("licet.db").exists() {
        common::new_db(dir);
    }
}

fn token(dir: &Path, permission: &str) -> String {
    ensure_db(dir);
    let (code, stdout, stderr) = run(
        dir,
        &[
            "token",
            "create",
            "--db",
            "sqlite://licet.db",
            "--user",
            "ops",
            "--permission",
            permission,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    stdout.trim().to_owned()
}

fn license_key(dir: &Path, seats: &str) -> String {
    ensure_db(dir);
    let (code, stdout, stderr) = run(
        dir,
        &[
            "license-key",
            "create",
            "--db",
            "sqlite://licet.db",
            "--customer",
            "ACME",
            "--product",
            "app",
            "--max-activations",
            seats,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    stdout.trim().to_owned()
}

fn machine(c: &str) -> String {
    c.repeat(64)
}

/// POST a JSON body; the status and the JSON answer.
fn post(url: &str, body: Value) -> (u16, Value) {
    match ureq::post(url).send_json(body) {
        Ok(r) => (r.status(), r.into_json().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap_or(Value::Null)),
        Err(e) => panic!("{e}"),
    }
}

/// GET with optional headers; the status and the body text.
fn get(url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = ureq::get(url);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    match request.call() {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("{e}"),
    }
}

fn activate(base: &str, key: &str, machine: &str) -> (u16, Value) {
    post(
        &format!("{base}/license/activate"),
        json!({"license_key": key, "machine_id": machine}),
    )
}

fn verify(dir: &Path, file: &str, pubkey: &str, machine: &str) -> (i32, String) {
    let (code, stdout, stderr) = run(
        dir,
        &[
            "verify",
            file,
            "--pubkey",
            pubkey,
            "--machine",
            machine,
            "--json",
        ],
    );
    let status = serde_json::from_str::<Value>(&stdout)
        .map(|r| r["status"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_else(|_| stderr.clone());
    (code, status)
}

/// A seat license from `/license/activate` and one from `licet activation respond`, for the same
/// license key and database, verify with the one vendor public key, for Ed25519 and RSA vendor
/// keys; `serve --ledger` and `respond --ledger` write one ledger that `licet audit` reconciles
/// with both seats. (Before: `--license-signing-key` and `--ledger` did not exist, and the
/// online file was signed by the server's own key.)
#[test]
fn one_vendor_key_and_one_ledger_for_online_and_offline_seats() {
    for alg in ["ed25519", "rs256"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (code, _, stderr) = run(d, &["keygen", "--alg", alg, "--out", "v"]);
        assert_eq!(code, 0, "{stderr}");
        let key = license_key(d, "2");
        std::fs::create_dir(d.join("seats")).unwrap();
        let server = Served::start(
            d,
            &[
                "--license-signing-key",
                "v.key.pem",
                "--ledger",
                "issued.jsonl",
            ],
        );
        let (status, online) = activate(&server.base, &key, &machine("a"));
        assert_eq!(status, 200, "{online}");
        std::fs::write(
            d.join("seats/online.lic"),
            online["data"]["license_file"].as_str().unwrap(),
        )
        .unwrap();
        // The vendor key is published: alone as PEM, and in the JWKS beside the response key.
        let (status, pem) = get(&format!("{}/license/vendor-public-key", server.base), &[]);
        assert_eq!(status, 200);
        std::fs::write(d.join("published.pub.pem"), &pem).unwrap();
        let (_, jwks) = get(&format!("{}/.well-known/jwks.json", server.base), &[]);
        let jwks: Value = serde_json::from_str(&jwks).unwrap();
        let algs: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["alg"].as_str().unwrap())
            .collect();
        let license_alg = if alg == "ed25519" { "EdDSA" } else { "RS256" };
        assert_eq!(algs, [license_alg, "RS256"], "{jwks}");
        std::fs::write(d.join("jwks.json"), jwks.to_string()).unwrap();

        // Offline, while the server runs, against the same database and ledger.
        let (code, _, stderr) = run(
            d,
            &[
                "activation",
                "request",
                "--license-key",
                &key,
                "--machine",
                &machine("b"),
                "--state",
                "st",
                "--out",
                "req.json",
            ],
        );
        assert_eq!(code, 0, "{stderr}");
        let (code, _, stderr) = run(
            d,
            &[
                "activation",
                "respond",
                "req.json",
                "--db",
                "sqlite://licet.db",
                "--key",
                "v.key.pem",
                "--ledger",
                "issued.jsonl",
                "--out",
                "seats/offline.lic",
            ],
        );
        assert_eq!(code, 0, "{stderr}");
        server.stop();

        for pubkey in ["v.pub.pem", "published.pub.pem", "jwks.json"] {
            assert_eq!(
                verify(d, "seats/online.lic", pubkey, &machine("a")),
                (0, "ACTIVE".into()),
                "{alg} online, {pubkey}"
            );
            assert_eq!(
                verify(d, "seats/offline.lic", pubkey, &machine("b")),
                (0, "ACTIVE".into()),
                "{alg} offline, {pubkey}"
            );
        }
        let (code, stdout, stderr) = run(
            d,
            &[
                "audit",
                "seats",
                "--pubkey",
                "v.pub.pem",
                "--ledger",
                "issued.jsonl",
                "--json",
            ],
        );
        assert_eq!(code, 0, "{alg}: {stderr}{stdout}");
        let report: Value = serde_json::from_str(&stdout).unwrap();
        let ledger = &report["ledger"];
        assert_eq!(ledger["reconciled"], true, "{alg}: {report:#}");
        assert_eq!(ledger["notInLedger"], json!([]), "{alg}: {report:#}");
        assert_eq!(
            ledger["entries"], 2,
            "{alg}: one entry per minted file: {report:#}"
        );
    }
}

/// A ledger that cannot be appended to fails the activation with a 5xx and takes no seat; the
/// same seat is free once the ledger is repaired. (Before: `--ledger` did not exist.)
#[test]
fn a_ledger_that_cannot_be_written_takes_no_seat() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d, &["keygen", "--alg", "ed25519", "--out", "v"]);
    let key = license_key(d, "1");
    let server = Served::start(
        d,
        &[
            "--license-signing-key",
            "v.key.pem",
            "--ledger",
            "issued.jsonl",
        ],
    );
    // A torn last line (a crash mid-write elsewhere): no entry can be chained after it.
    std::fs::write(d.join("issued.jsonl"), b"{\"seq\":1,\"ti").unwrap();
    let (status, body) = activate(&server.base, &key, &machine("a"));
    assert_eq!(status, 500, "{body}");
    std::fs::write(d.join("issued.jsonl"), b"").unwrap();
    // The one seat is still free: another machine takes it.
    let (status, body) = activate(&server.base, &key, &machine("b"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["activations"], 1, "{body}");
    let ledger = std::fs::read_to_string(d.join("issued.jsonl")).unwrap();
    assert_eq!(ledger.lines().count(), 1, "{ledger}");
    // A validate answered from the cache writes nothing; the machine that failed holds nothing.
    let (status, _) = post(
        &format!("{}/license/validate", server.base),
        json!({"license_key": key, "machine_id": machine("b")}),
    );
    assert_eq!(status, 200);
    assert_eq!(
        std::fs::read_to_string(d.join("issued.jsonl")).unwrap(),
        ledger
    );
    let (status, _) = post(
        &format!("{}/license/validate", server.base),
        json!({"license_key": key, "machine_id": machine("a")}),
    );
    assert_eq!(status, 403);
    server.stop();
}

/// Refused at start, named: a ledger that does not verify, and a PS256 or Ed25519 key given as
/// the response key. (Before: `--ledger` did not exist, and a PS256 key was taken as the
/// response key.)
#[test]
fn serve_refuses_a_broken_ledger_and_a_response_key_made_for_ps256() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d, &["keygen", "--alg", "ps256", "--out", "ps"]);
    run(d, &["keygen", "--alg", "rs256", "--out", "rs"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for key in ["ps.key.pem", "rs.key.pem"] {
            std::fs::set_permissions(d.join(key), std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    std::fs::write(d.join("broken.jsonl"), b"not a ledger\n").unwrap();
    ensure_db(d);
    let serve = |extra: &[&str]| {
        let mut args = vec![
            "serve",
            "--db",
            "sqlite://licet.db",
            "--listen",
            "127.0.0.1:0",
        ];
        args.extend_from_slice(extra);
        run(d, &args)
    };
    let (code, _, stderr) = serve(&["--ledger", "broken.jsonl"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("the ledger broken.jsonl does not verify (line 1"),
        "{stderr}"
    );
    let (code, _, stderr) = serve(&["--signing-key", "ps.key.pem"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("is made for PS256 license signatures"),
        "{stderr}"
    );
    // The PS256 key signs licenses, an RS256 key the responses: accepted (it would listen).
    let server = Served::start(
        d,
        &[
            "--signing-key",
            "rs.key.pem",
            "--license-signing-key",
            "ps.key.pem",
        ],
    );
    let (_, jwks) = get(&format!("{}/.well-known/jwks.json", server.base), &[]);
    assert!(jwks.contains("\"alg\":\"PS256\""), "{jwks}");
    server.stop();
}

/// /healthz and /readyz answer on the main listener without a token; /metrics needs
/// `read-metrics` (X-Auth-Token or Authorization: Bearer) there, and no token on
/// `--metrics-listen`. The text counts requests by route template (never the raw path with its
/// license key), rate-limited requests, minted licenses and seats in use. (Before: no such
/// routes: 404.)
#[test]
fn health_readiness_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let metrics_token = token(d, "read-metrics");
    let other_token = token(d, "manage-license-keys");
    let key = license_key(d, "2");
    let server = Served::start(
        d,
        &[
            "--metrics-listen",
            "127.0.0.1:0",
            "--rate-limit-per-ip",
            "3",
        ],
    );
    let base = server.base.clone();
    assert_eq!(
        get(&format!("{base}/healthz"), &[]),
        (200, r#"{"status":"ok"}"#.into())
    );
    let (status, ready) = get(&format!("{base}/readyz"), &[]);
    assert_eq!(status, 200, "{ready}");
    assert_eq!(
        serde_json::from_str::<Value>(&ready).unwrap()["status"],
        "ready"
    );

    assert_eq!(activate(&base, &key, &machine("a")).0, 200);
    let validate = || {
        post(
            &format!("{base}/license/validate"),
            json!({"license_key": key, "machine_id": machine("a")}),
        )
        .0
    };
    assert_eq!(validate(), 200);
    assert_eq!(validate(), 200);
    assert_eq!(
        validate(),
        429,
        "the fourth request of the minute is refused"
    );
    let (status, _) = get(
        &format!("{base}/api/v1/license-keys/{key}"),
        &[("X-Auth-Token", &other_token)],
    );
    assert_eq!(status, 200);

    let url = format!("{base}/metrics");
    assert_eq!(get(&url, &[]).0, 401);
    assert_eq!(
        get(&url, &[("Authorization", "Bearer lct_nonsense")]).0,
        401
    );
    assert_eq!(get(&url, &[("X-Auth-Token", &other_token)]).0, 403);
    let (status, text) = get(
        &url,
        &[("Authorization", &format!("Bearer {metrics_token}"))],
    );
    assert_eq!(status, 200, "{text}");
    let (status, by_header) = get(&url, &[("X-Auth-Token", &metrics_token)]);
    assert_eq!(status, 200, "{by_header}");
    for expected in [
        r#"licet_http_requests_total{route="/license/activate",method="POST",status="200"} 1"#,
        r#"licet_http_requests_total{route="/license/validate",method="POST",status="429"} 1"#,
        r#"licet_http_requests_total{route="/api/v1/license-keys/{key}",method="GET",status="200"} 1"#,
        r#"licet_http_request_duration_seconds_bucket{le="#,
        "licet_rate_limited_requests_total 1",
        r#"licet_licenses_minted_total{route="/license/activate"} 1"#,
        "licet_seats_in_use 1",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    assert!(
        !text.contains(&key),
        "a license key in the metrics:\n{text}"
    );

    let monitoring = server.metrics.clone().unwrap();
    let (status, open) = get(&format!("{monitoring}/metrics"), &[]);
    assert_eq!(status, 200, "{open}");
    assert!(open.contains("licet_seats_in_use 1"), "{open}");
    assert_eq!(get(&format!("{monitoring}/healthz"), &[]).0, 200);
    assert_eq!(get(&format!("{monitoring}/readyz"), &[]).0, 200);
    assert_eq!(
        get(&format!("{monitoring}/api/v1/license-keys"), &[]).0,
        404,
        "only the operations routes"
    );
    server.stop();
}

/// `--log-format json`: every line on stderr is one JSON object; a request line has the request
/// id, method, route template, status, latency and client address, and no line carries the token
/// or the license key the requests carried. (Before: `--log-format` did not exist.)
#[test]
fn json_logs_carry_no_token_and_no_license_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let admin = token(d, "manage-license-keys");
    let key = license_key(d, "1");
    let server = Served::start(d, &["--log-format", "json"]);
    assert_eq!(activate(&server.base, &key, &machine("a")).0, 200);
    let (status, _) = get(
        &format!("{}/api/v1/license-keys/{key}", server.base),
        &[("X-Auth-Token", &admin), ("X-Request-Id", "trace-42")],
    );
    assert_eq!(status, 200);
    let (status, _) = get(
        &format!("{}/metrics", server.base),
        &[("Authorization", &format!("Bearer {admin}"))],
    );
    assert_eq!(status, 403);
    server.stop();
    let log = std::fs::read_to_string(d.join("serve.log")).unwrap();
    let mut requests = Vec::new();
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let event: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(!line.contains(&admin), "the token in the log: {line}");
        assert!(!line.contains(&key), "the license key in the log: {line}");
        assert!(
            !line.contains(&key.replace('-', "")),
            "the license key in the log: {line}"
        );
        if event["message"] == "request" {
            requests.push(event);
        }
    }
    let traced = requests
        .iter()
        .find(|e| e["request_id"] == "trace-42")
        .unwrap_or_else(|| panic!("no request line with the given id in\n{log}"));
    assert_eq!(traced["method"], "GET");
    assert_eq!(traced["route"], "/api/v1/license-keys/{key}");
    assert_eq!(traced["status"], 200);
    assert!(traced["latency_us"].is_u64(), "{traced}");
    assert!(
        // The client address (`--trusted-proxy` aware), without the port.
        traced["client"] == "127.0.0.1",
        "{traced}"
    );
    assert!(requests.len() >= 3, "{log}");
}
