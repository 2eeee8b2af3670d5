//! `licet serve` as a process: tokens, installing a license over HTTP, graceful shutdown on
//! SIGTERM, and data that survives a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::{licet, Server};
use serde_json::{json, Value};

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn post(url: &str, token: &str, body: Value) -> (u16, Value) {
    let result = ureq::post(url).set("X-Auth-Token", token).send_json(body);
    match result {
        Ok(r) => (r.status(), r.into_json().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap()),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn serve_install_stop_restart() {
    let dir = tempfile::tempdir().unwrap();
    licet()
        .current_dir(dir.path())
        .args(["keygen", "--alg", "ed25519", "--out", "v"])
        .assert()
        .success();
    common::new_db(dir.path());
    let out = licet()
        .current_dir(dir.path())
        .args([
            "token",
            "create",
            "--db",
            "sqlite://licet.db",
            "--user",
            "admin",
            "--permission",
            "all",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("lct_"));
    let granted = created["permissions"].as_array().unwrap();
    for name in [
        "edit-privileged-setting",
        "manage-certificates",
        "manage-licenses",
        "manage-license-keys",
        "manage-tokens",
        "view-admin-log",
        "read-metrics",
    ] {
        assert!(
            granted.contains(&json!(name)),
            "`all` lacks {name}: {granted:?}"
        );
    }
    // Only the hash is stored: the token text is nowhere in the database file.
    let db = std::fs::read(dir.path().join("licet.db")).unwrap();
    let wal = std::fs::read(dir.path().join("licet.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "the token is stored in clear"
        );
    }

    let license = licet()
        .current_dir(dir.path())
        .args([
            "issue",
            "--key",
            "v.key.pem",
            "--customer",
            "ACME",
            "--days",
            "30",
            "--license-id",
            "L-1",
        ])
        .output()
        .unwrap();
    let license = String::from_utf8(license.stdout).unwrap();

    let server = Server::start(dir.path());
    let (status, body) = post(
        &format!("{}/api/v1/licenses", server.base),
        &token,
        json!({"file": license}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "ACTIVE");
    let pem = ureq::get(&format!("{}/license/public-key", server.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    let status = server.terminate();
    assert!(
        status.success(),
        "licet serve exited with {status} on SIGTERM"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("licet-signing.key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Restart: the license and the same signing key are still there.
    let server = Server::start(dir.path());
    let response = ureq::get(&format!("{}/api/v1/licenses/L-1", server.base))
        .set("X-Auth-Token", &token)
        .call()
        .unwrap();
    let body: Value = response.into_json().unwrap();
    assert_eq!(body["data"]["licenseId"], "L-1");
    let pem_again = ureq::get(&format!("{}/license/public-key", server.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert_eq!(pem, pem_again, "the generated signing key is reused");
    server.terminate();
}

#[test]
fn token_create_refuses_unknown_permissions() {
    let dir = tempfile::tempdir().unwrap();
    common::new_db(dir.path());
    licet()
        .current_dir(dir.path())
        .args([
            "token",
            "create",
            "--db",
            "sqlite://licet.db",
            "--user",
            "u",
            "--permission",
            "root",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("`root` is not a permission"));
}

#[test]
fn serve_refuses_a_non_rsa_signing_key() {
    let dir = tempfile::tempdir().unwrap();
    common::new_db(dir.path());
    licet()
        .current_dir(dir.path())
        .args(["keygen", "--alg", "ed25519", "--out", "v"])
        .assert()
        .success();
    licet()
        .current_dir(dir.path())
        .args([
            "serve",
            "--db",
            "sqlite://licet.db",
            "--listen",
            "127.0.0.1:0",
            "--signing-key",
            "v.key.pem",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "API responses are signed with RSA",
        ));
}

#[test]
fn activation_over_http_is_signed_for_any_client() {
    let dir = tempfile::tempdir().unwrap();
    licet()
        .current_dir(dir.path())
        .args(["keygen", "--alg", "ed25519", "--out", "v"])
        .assert()
        .success();
    common::new_db(dir.path());
    let out = licet()
        .current_dir(dir.path())
        .args([
            "token",
            "create",
            "--db",
            "sqlite://licet.db",
            "--user",
            "ops",
            "--permission",
            "manage-license-keys",
        ])
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let server = Server::start(dir.path());
    let (status, created) = post(
        &format!("{}/api/v1/license-keys", server.base),
        &token,
        json!({"customer": "ACME", "product": "app", "license_type": "STANDARD", "features": {"seats": 3}, "max_activations": 1}),
    );
    assert_eq!(status, 201, "{created}");
    let key = created["data"]["license_key"].as_str().unwrap().to_owned();
    let machine = "ab".repeat(32);
    let response = ureq::post(&format!("{}/license/activate", server.base))
        .send_json(json!({"license_key": key, "machine_id": machine}))
        .unwrap();
    for header in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        assert!(response.header(header).is_some(), "missing {header}");
    }
    let body: Value = response.into_json().unwrap();
    let pem = ureq::get(&format!("{}/license/public-key", server.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    std::fs::write(dir.path().join("api.pub.pem"), &pem).unwrap();
    std::fs::write(dir.path().join("response.json"), body.to_string()).unwrap();

    // A client that is not licet: Python writes the canonical JSON of `data` (sorted keys, no
    // whitespace: RFC 8785 for this data) and the signature; openssl checks it.
    let canonicalize = r#"
import base64, json
body = json.load(open("response.json"))
open("data.json", "wb").write(json.dumps(body["data"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
open("sig.bin", "wb").write(base64.b64decode(body["signature"]))
"#;
    assert!(common::python()
        .current_dir(dir.path())
        .arg("-c")
        .arg(canonicalize)
        .status()
        .unwrap()
        .success());
    let verified = Command::new("openssl")
        .current_dir(dir.path())
        .args([
            "dgst",
            "-sha256",
            "-verify",
            "api.pub.pem",
            "-signature",
            "sig.bin",
            "data.json",
        ])
        .output()
        .expect("openssl is required (.ci/run installs it)");
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    assert_eq!(
        String::from_utf8_lossy(&verified.stdout).trim(),
        "Verified OK"
    );

    // The license file in the response works offline with `licet verify`, on that machine only.
    std::fs::write(
        dir.path().join("seat.lic"),
        body["data"]["license_file"].as_str().unwrap(),
    )
    .unwrap();
    licet()
        .current_dir(dir.path())
        .args([
            "verify",
            "seat.lic",
            "--pubkey",
            "api.pub.pem",
            "--machine",
            &machine,
            "--product",
            "app",
        ])
        .assert()
        .success();
    licet()
        .current_dir(dir.path())
        .args([
            "verify",
            "seat.lic",
            "--pubkey",
            "api.pub.pem",
            "--machine",
            &"cd".repeat(32),
        ])
        .assert()
        .code(1);

    // An auditor checks the saved response offline; a changed byte is caught.
    licet()
        .current_dir(dir.path())
        .args([
            "verify-response",
            "response.json",
            "--pubkey",
            "api.pub.pem",
        ])
        .assert()
        .success()
        .stdout(predicates::str::starts_with("VERIFIED"));
    let tampered = body
        .to_string()
        .replace("\"activations\":1", "\"activations\":0");
    assert_ne!(tampered, body.to_string());
    std::fs::write(dir.path().join("tampered.json"), tampered).unwrap();
    licet()
        .current_dir(dir.path())
        .args([
            "verify-response",
            "tampered.json",
            "--pubkey",
            "api.pub.pem",
        ])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("does not verify"));
    licet()
        .current_dir(dir.path())
        .args(["verify-response", "response.json", "--pubkey", "v.pub.pem"])
        .assert()
        .code(1);

    // The second machine finds the only seat taken.
    let second = ureq::post(&format!("{}/license/activate", server.base))
        .send_json(json!({"license_key": key, "machine_id": "cd".repeat(32)}));
    match second {
        Err(ureq::Error::Status(409, r)) => assert!(r.into_json::<Value>().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("limit")),
        other => panic!("expected 409, got {other:?}"),
    }
    server.terminate();
}

#[test]
fn kill_9_during_activations_loses_no_acknowledged_seat() {
    let dir = tempfile::tempdir().unwrap();
    licet()
        .current_dir(dir.path())
        .args(["keygen", "--alg", "ed25519", "--out", "v"])
        .assert()
        .success();
    common::new_db(dir.path());
    let out = licet()
        .current_dir(dir.path())
        .args([
            "token",
            "create",
            "--db",
            "sqlite://licet.db",
            "--user",
            "ops",
            "--permission",
            "manage-license-keys",
        ])
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let start = |dir: &Path| {
        Server::start_with(
            dir,
            &[
                "--rate-limit-per-ip",
                "1000000",
                "--rate-limit-per-key",
                "1000000",
            ],
        )
    };
    let server = start(dir.path());
    let (status, created) = post(
        &format!("{}/api/v1/license-keys", server.base),
        &token,
        json!({"customer": "ACME", "max_activations": 100000}),
    );
    assert_eq!(status, 201);
    let key = created["data"]["license_key"].as_str().unwrap().to_owned();

    // Two clients activate distinct machines as fast as they can; the server is killed with
    // SIGKILL in the middle of the stream.
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..2)
        .map(|client| {
            let (base, key, acknowledged, stop) = (
                server.base.clone(),
                key.clone(),
                acknowledged.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(5))
                    .build();
                for n in 0..100_000u32 {
                    if stop.load(std::sync::atomic::Ordering::SeqCst) {
                        break;
                    }
                    let machine =
                        licet_verifier::MachineId::from_raw_identifier(&format!("m-{client}-{n}"))
                            .to_string();
                    match agent
                        .post(&format!("{base}/license/activate"))
                        .send_json(json!({"license_key": key, "machine_id": machine}))
                    {
                        Ok(r) if r.status() == 200 => acknowledged.lock().unwrap().push(machine),
                        Ok(_) | Err(ureq::Error::Status(..)) => {}
                        Err(_) => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 200 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "activations are too slow"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut server = server;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 200);

    // The database is whole, and every acknowledged activation is in it.
    let check = r#"
import sqlite3, sys
db = sqlite3.connect("licet.db")
print(db.execute("PRAGMA integrity_check").fetchone()[0])
print(db.execute("SELECT COUNT(*) FROM activations").fetchone()[0])
print(db.execute("SELECT COUNT(*) FROM activations WHERE machine_id IS NULL OR license_id IS NULL OR activated_at IS NULL").fetchone()[0])
"#;
    let out = common::python()
        .current_dir(dir.path())
        .arg("-c")
        .arg(check)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.first(),
        Some(&"ok"),
        "integrity_check: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored: usize = lines[1].parse().unwrap();
    assert!(
        stored >= acknowledged.len(),
        "{stored} stored < {} acknowledged",
        acknowledged.len()
    );
    assert!(
        stored <= acknowledged.len() + 2,
        "at most one unacknowledged commit per client"
    );
    assert_eq!(lines[2], "0", "no half-written row");

    // After a restart, each acknowledged machine validates.
    let server = start(dir.path());
    for machine in &acknowledged {
        let r = ureq::post(&format!("{}/license/validate", server.base))
            .send_json(json!({"license_key": key, "machine_id": machine}));
        assert!(
            matches!(r, Ok(ref r) if r.status() == 200),
            "{machine} lost its seat"
        );
    }
    server.terminate();
}

/// The process's resident-set peak (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Streams a multipart upload of `size` bytes of certificate data over a raw socket (the test
/// itself never holds it in memory) and returns the status line of the answer. `chunked`: no
/// Content-Length, so the server can only find the size by reading.
fn stream_upload(base: &str, token: &str, size: usize, chunked: bool) -> String {
    use std::io::{Read, Write};
    let address = base.strip_prefix("http://").unwrap();
    let mut socket = std::net::TcpStream::connect(address).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let boundary = "licet-memory-test";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"certificateFile\"; filename=\"big.p12\"\r\nContent-Type: application/x-pkcs12\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let length = head.len() + size + tail.len();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {length}")
    };
    let frame = |bytes: &[u8]| -> Vec<u8> {
        if !chunked {
            return bytes.to_vec();
        }
        let mut framed = format!("{:x}\r\n", bytes.len()).into_bytes();
        framed.extend_from_slice(bytes);
        framed.extend_from_slice(b"\r\n");
        framed
    };
    let request = format!(
        "POST /api/v1/certificates HTTP/1.1\r\nHost: {address}\r\nX-Auth-Token: {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n{framing}\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).unwrap();
    socket.write_all(&frame(head.as_bytes())).unwrap();
    let chunk = frame(&vec![0x5a_u8; 64 * 1024]);
    let payload = if chunked { chunk.len() - 64 * 1024 } else { 0 };
    let mut sent = 0;
    // The server may answer and close before the body ends: a failed write ends the sending.
    while sent < size {
        let n = (chunk.len() - payload).min(size - sent);
        let piece = if n == chunk.len() - payload {
            chunk.clone()
        } else {
            frame(&vec![0x5a_u8; n])
        };
        if socket.write_all(&piece).is_err() {
            break;
        }
        sent += n;
    }
    let _ = socket.write_all(&frame(tail.as_bytes()));
    if chunked {
        let _ = socket.write_all(b"0\r\n\r\n");
    }
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 4096];
    while let Ok(n) = socket.read(&mut buffer) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buffer[..n]);
        if answer.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn an_upload_over_5_mb_is_refused_without_the_memory_growing_by_its_size() {
    let dir = tempfile::tempdir().unwrap();
    common::new_db(dir.path());
    let out = licet()
        .current_dir(dir.path())
        .args([
            "token",
            "create",
            "--db",
            "sqlite://licet.db",
            "--user",
            "admin",
        ])
        .args(["--permission", "manage-certificates", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    let server = Server::start_with(dir.path(), &[]);
    let pid = server.child.id();
    // Warm up the allocator and the connection code with uploads under and just over the limit.
    for chunked in [false, true] {
        let under = stream_upload(&server.base, &token, 1024 * 1024, chunked);
        assert!(
            under.contains(" 400 "),
            "a 1 MB non-PKCS#12 upload: {under}"
        );
        let over = stream_upload(&server.base, &token, 6 * 1024 * 1024, chunked);
        assert!(over.contains(" 413 "), "a 6 MB upload: {over}");
    }
    // The server keeps at most the 5 MB it would decrypt; each allocator arena (one per thread
    // that handles an upload) may reach that peak once. So the bound is far below the upload's
    // size, not tight: 32 MiB for 256 MiB sent (measured +0 to +10 MiB).
    const UPLOAD: usize = 256 * 1024 * 1024;
    const BOUND_KIB: u64 = 32 * 1024;
    // Declared over the limit, then chunked (the size is known only by reading).
    for chunked in [false, true] {
        let before = peak_rss_kib(pid);
        let status = stream_upload(&server.base, &token, UPLOAD, chunked);
        assert!(status.contains(" 413 "), "a 256 MiB upload: {status}");
        let growth = peak_rss_kib(pid).saturating_sub(before);
        eprintln!(
            "chunked {chunked}: peak RSS {before} KiB before, +{growth} KiB for a 256 MiB upload"
        );
        assert!(
            growth < BOUND_KIB,
            "the server's peak memory grew by {growth} KiB for a 256 MiB upload"
        );
    }
    // The server still answers.
    let status = stream_upload(&server.base, &token, 10, false);
    assert!(status.contains(" 400 "), "{status}");
    server.terminate();
}

/// The claims of a license file, read without verifying it.
fn claims_of(file: &str) -> Value {
    use base64::Engine as _;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(file.trim().split('.').nth(1).unwrap())
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

/// The customer's trick (issue 9 §1): keep the seat's license file, deactivate, let another
/// machine take the seat, and go on using the kept file. It dies at its lease end.
#[test]
fn a_kept_seat_file_dies_at_its_lease_end_after_another_machine_takes_the_seat() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    common::new_db(d);
    let out = licet()
        .current_dir(d)
        .args([
            "token",
            "create",
            "--db",
            "sqlite://licet.db",
            "--user",
            "ops",
        ])
        .args(["--permission", "manage-license-keys"])
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let server = Server::start_with(d, &[]);
    let (status, created) = post(
        &format!("{}/api/v1/license-keys", server.base),
        &token,
        json!({"customer": "ACME", "product": "app", "max_activations": 1}),
    );
    assert_eq!(status, 201, "{created}");
    let key = created["data"]["license_key"].as_str().unwrap().to_owned();
    let (first, second) = ("a1".repeat(32), "b2".repeat(32));
    let call =
        |route: &str, machine: &str| match ureq::post(&format!("{}/license/{route}", server.base))
            .send_json(json!({"license_key": key, "machine_id": machine}))
        {
            Ok(r) => (r.status(), r.into_json::<Value>().unwrap()),
            Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap()),
            Err(e) => panic!("{e}"),
        };
    let (status, activated) = call("activate", &first);
    assert_eq!(status, 200, "{activated}");
    let kept = activated["data"]["license_file"]
        .as_str()
        .unwrap()
        .to_owned();
    std::fs::write(d.join("kept.lic"), &kept).unwrap();
    assert_eq!(call("deactivate", &first).0, 200);
    assert_eq!(call("activate", &second).0, 200, "the freed seat is taken");
    assert_eq!(call("validate", &first).0, 403);
    let pem = ureq::get(&format!("{}/license/public-key", server.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    std::fs::write(d.join("api.pub.pem"), pem).unwrap();

    let iat = claims_of(&kept)["iat"].as_i64().unwrap();
    let verify_at = |secs: i64| {
        let at = licet_verifier::UnixTime::from_secs(secs)
            .unwrap()
            .to_rfc3339();
        let out = licet()
            .current_dir(d)
            .args(["verify", "kept.lic", "--pubkey", "api.pub.pem", "--json"])
            .args(["--machine", &first, "--at", &at])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            out.status.code().unwrap(),
            report["status"].as_str().unwrap().to_owned(),
        )
    };
    let day = 86_400;
    assert_eq!(verify_at(iat + 29 * day), (0, "ACTIVE".into()));
    assert_eq!(verify_at(iat + 30 * day + 1), (1, "EXPIRED".into()));
    assert!(server.terminate().success());
}
