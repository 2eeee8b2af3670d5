//! `licet relay`: floating seats, end to end with real processes and real HTTP. Each test plays
//! the customer who wants more seats than the pool holds: a burst of machines, a wall clock set
//! forward or back, a `kill -9`, a copy of the relay's directory, a lease from another relay.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::{licet, licet_bin};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// A machine id from a number (64 hex).
fn machine(n: u32) -> String {
    format!("{n:064x}")
}

/// A vendor key and a relay directory with its request, in a fresh temporary directory.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().expect("temp dir");
        licet()
            .current_dir(dir.path())
            .args(["keygen", "--alg", "ed25519", "--out", "vendor"])
            .assert()
            .success();
        licet()
            .current_dir(dir.path())
            .args(["relay", "init", "--dir", "relay"])
            .assert()
            .success();
        Site { dir }
    }

    /// `licet` run in the site's directory.
    fn licet(&self) -> assert_cmd::Command {
        let mut command = licet();
        command.current_dir(self.dir.path());
        command
    }

    /// `licet ARGS EXTRA` in the site's directory: its exit code and the JSON it printed.
    fn json(&self, args: &[&str], extra: &[&str]) -> (i32, Value) {
        let out = self.licet().args(args).args(extra).output().expect("runs");
        let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "licet {} printed no JSON: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), value)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `licet relay grant` of the site's request with `extra` arguments, to `out`.
    fn grant(&self, out: &str, extra: &[&str]) {
        licet()
            .current_dir(self.dir.path())
            .args([
                "relay",
                "grant",
                "relay/relay-request.json",
                "--key",
                "vendor.key.pem",
                "--customer",
                "ACME",
                "--product",
                "render",
                "--days",
                "30",
                "--out",
                out,
            ])
            .args(extra)
            .assert()
            .success();
    }

    fn relay(&self, extra: &[&str]) -> Relay {
        Relay::start(self.dir.path(), "relay", extra)
    }
}

/// A `licet relay serve` process on a free port, killed when dropped.
struct Relay {
    child: Child,
    base: String,
}

impl Relay {
    fn start(cwd: &Path, dir: &str, extra: &[&str]) -> Relay {
        let mut child = Command::new(licet_bin())
            .current_dir(cwd)
            .args([
                "relay",
                "serve",
                "--dir",
                dir,
                "--trust",
                "vendor.pub.pem",
                "--listen",
                "127.0.0.1:0",
            ])
            .args(extra)
            .env("LICET_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("relay starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}: the relay did not start"))
            .to_owned();
        Relay { child, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn put(&self, machine: &str) -> (u16, Value) {
        call(ureq::put(&self.url(&format!("/v1/leases/{machine}"))), None)
    }

    fn put_with(&self, machine: &str, token: Option<&str>, body: Option<&str>) -> (u16, Value) {
        let mut request = ureq::put(&self.url(&format!("/v1/leases/{machine}")));
        if let Some(token) = token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        call(request, body)
    }

    fn delete(&self, machine: &str) -> u16 {
        call(
            ureq::delete(&self.url(&format!("/v1/leases/{machine}"))),
            None,
        )
        .0
    }

    fn status(&self) -> Value {
        call(ureq::get(&self.url("/v1/status")), None).1
    }

    fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn call(request: ureq::Request, body: Option<&str>) -> (u16, Value) {
    let request = request.timeout(Duration::from_secs(30));
    let result = match body {
        Some(body) => request
            .set("Content-Type", "application/json")
            .send_string(body),
        None => request.call(),
    };
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = response.status();
    let text = response.into_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// `licet verify-lease` of a token, as JSON, with its exit code.
fn verify_lease(site: &Site, token: &str, pool: &str, extra: &[&str]) -> (i32, Value) {
    std::fs::write(site.path("lease.jwt"), token).expect("write lease");
    site.json(
        &[
            "verify-lease",
            "lease.jwt",
            "--pool",
            pool,
            "--pubkey",
            "vendor.pub.pem",
            "--json",
        ],
        extra,
    )
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < limit,
            "{what} did not happen within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn init_grant_serve_lease_renew_release() {
    let site = Site::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(site.path("relay/relay.key.pem"))
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the relay key is private");
    }
    let request: Value = serde_json::from_slice(
        &std::fs::read(site.path("relay/relay-request.json")).expect("request"),
    )
    .expect("json");
    assert_eq!(request["type"], "licet-relay-request");
    assert!(request["nonce"].as_str().is_some_and(|n| n.len() == 22));
    // init never replaces a relay key.
    site.licet()
        .args(["relay", "init", "--dir", "relay"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("never replaced"));

    site.grant(
        "pool.lic",
        &[
            "--seats",
            "2",
            "--max-lease-ttl",
            "10m",
            "--ledger",
            "issued.jsonl",
        ],
    );
    // On the relay's machine `licet verify` says ACTIVE, type POOL.
    let out = site
        .licet()
        .args(["verify", "pool.lic", "--pubkey", "vendor.pub.pem", "--json"])
        .output()
        .expect("verify");
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["license"]["status"], "ACTIVE");
    assert_eq!(report["license"]["licenseType"], "POOL");
    let ledger = std::fs::read_to_string(site.path("issued.jsonl")).expect("ledger");
    assert!(
        ledger.contains(report["license"]["licenseId"].as_str().expect("id")),
        "the grant is in the ledger"
    );

    let relay = site.relay(&["--pool", "pool.lic", "--ttl", "5m"]);
    let me = machine(1);
    let (code, first) = relay.put(&me);
    assert_eq!(code, 201, "{first}");
    let keys: Vec<&str> = first
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["expires_at", "expires_in", "lease"],
        "the answer's shape is exactly the issue's"
    );
    assert_eq!(first["expires_in"], 300);
    let token = first["lease"].as_str().expect("lease").to_owned();
    let (exit, report) = verify_lease(&site, &token, "pool.lic", &["--machine", &me]);
    assert_eq!(
        (exit, report["status"].as_str()),
        (0, Some("ACTIVE")),
        "{report}"
    );
    let lease_id = report["lease"]["lease_id"]
        .as_str()
        .expect("lease id")
        .to_owned();

    // A heartbeat: 200, a fresh token for the same lease.
    let (code, again) = relay.put(&me);
    assert_eq!(code, 200, "{again}");
    let (_, renewed) = verify_lease(
        &site,
        again["lease"].as_str().expect("lease"),
        "pool.lic",
        &["--machine", &me],
    );
    assert_eq!(renewed["lease"]["lease_id"], lease_id.as_str());

    // Another machine cannot use this machine's lease.
    let (exit, report) = verify_lease(&site, &token, "pool.lic", &["--machine", &machine(2)]);
    assert_eq!(
        (exit, report["status"].as_str(), report["part"].as_str()),
        (1, Some("MACHINE_MISMATCH"), Some("lease"))
    );
    // After its TTL the token is no good.
    let later = "2099-01-01T00:00:00Z";
    let (exit, report) = verify_lease(
        &site,
        &token,
        "pool.lic",
        &["--machine", &me, "--at", later],
    );
    assert_eq!(exit, 1);
    assert_eq!(
        report["part"], "pool",
        "in 2099 the pool itself has expired first: {report}"
    );

    let (code, _) = relay.put(&machine(2));
    assert_eq!(code, 201);
    let (code, full) = relay.put(&machine(3));
    assert_eq!(
        (code, full["error"].as_str()),
        (410, Some("no_seat")),
        "{full}"
    );
    let status = relay.status();
    assert_eq!(status["pools"][0]["seats"], 2);
    assert_eq!(status["pools"][0]["in_use"], 2);
    assert!(status["pools"][0]["expires_at"].as_i64().is_some());

    let (code, bad) = relay.put("not-a-machine");
    assert_eq!((code, bad["error"].as_str()), (422, Some("bad_machine_id")));
    assert_eq!(relay.delete(&me), 204);
    assert_eq!(relay.delete(&me), 404);
    // The released seat stays counted until the last token it was given expires (that token is
    // valid offline until then): else take, give back, take again would lend one seat to every
    // machine in turn, each with a valid lease.
    assert_eq!(
        relay.put(&machine(3)).0,
        410,
        "a released seat is not lent again while its last token lives"
    );
    assert_eq!(relay.status()["pools"][0]["in_use"], 2);
    assert_eq!(
        relay.put(&me).0,
        200,
        "the machine that gave it back may take it up again"
    );
    assert_eq!(call(ureq::get(&relay.url("/v1/health")), None).0, 200);

    // A body that names a pool: by product or id; an unknown name is 404; junk is 400.
    assert_eq!(
        relay.put_with(&me, None, Some(r#"{"pool":"render"}"#)).0,
        200
    );
    assert_eq!(
        relay
            .put_with(&machine(3), None, Some(r#"{"pool":"nope"}"#))
            .0,
        404
    );
    assert_eq!(
        relay.put_with(&machine(3), None, Some(r#"{"pool":1}"#)).0,
        400
    );
    assert_eq!(
        relay
            .put_with(&machine(3), None, Some(&"x".repeat(10_000)))
            .0,
        413
    );
    // DELETE names the pool in the query, percent-decoded (rend%65r is render).
    let release_from = |pool: &str| {
        call(
            ureq::delete(&relay.url(&format!("/v1/leases/{me}?pool={pool}"))),
            None,
        )
        .0
    };
    assert_eq!(release_from("nope"), 404);
    assert_eq!(release_from("rend%65r"), 204);
}

#[test]
fn seats_are_exact_when_machines_arrive_at_once() {
    let site = Site::new();
    site.grant("ten.lic", &["--seats", "10", "--license-id", "TEN"]);
    let relay = Arc::new(site.relay(&["--pool", "ten.lic"]));
    let burst = |machines: u32, offset: u32| -> Vec<u16> {
        let gate = Arc::new(Barrier::new(machines as usize));
        let threads: Vec<_> = (0..machines)
            .map(|i| {
                let relay = relay.clone();
                let gate = gate.clone();
                std::thread::spawn(move || {
                    gate.wait();
                    relay.put(&machine(offset + i)).0
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("thread"))
            .collect()
    };
    let codes = burst(200, 1_000);
    let granted = codes.iter().filter(|c| **c == 201).count();
    let refused = codes.iter().filter(|c| **c == 410).count();
    assert_eq!(
        (granted, refused),
        (10, 190),
        "200 machines at once against 10 seats: {codes:?}"
    );
    assert_eq!(relay.status()["pools"][0]["in_use"], 10);
    drop(relay);

    // 1,000 machines in a burst against 100 seats.
    site.grant(
        "hundred.lic",
        &["--seats", "100", "--license-id", "HUNDRED"],
    );
    let relay = Arc::new(site.relay(&["--pool", "hundred.lic"]));
    let gate = Arc::new(Barrier::new(1_000));
    let threads: Vec<_> = (0..1_000)
        .map(|i| {
            let relay = relay.clone();
            let gate = gate.clone();
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    gate.wait();
                    relay.put(&machine(10_000 + i)).0
                })
                .expect("thread")
        })
        .collect();
    let codes: Vec<u16> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    let granted = codes.iter().filter(|c| **c == 201).count();
    let refused = codes.iter().filter(|c| **c == 410).count();
    assert_eq!(
        (granted, refused),
        (100, 900),
        "1,000 machines against 100 seats"
    );
}

#[test]
fn the_relay_refuses_pools_it_cannot_serve_and_names_them() {
    let site = Site::new();
    site.grant("good.lic", &["--seats", "1"]);
    let refuse = |args: &[&str], expected: &str| {
        let out = Command::new(licet_bin())
            .current_dir(site.dir.path())
            .args([
                "relay",
                "serve",
                "--dir",
                "relay",
                "--trust",
                "vendor.pub.pem",
                "--listen",
                "127.0.0.1:0",
            ])
            .args(args)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: expected {expected:?} in {stderr}"
        );
    };
    // A pool for another relay's key.
    site.licet()
        .args(["relay", "init", "--dir", "other-relay"])
        .assert()
        .success();
    site.licet()
        .args([
            "relay",
            "grant",
            "other-relay/relay-request.json",
            "--key",
            "vendor.key.pem",
            "--customer",
            "ACME",
            "--seats",
            "5",
            "--out",
            "other.lic",
        ])
        .assert()
        .success();
    refuse(&["--pool", "other.lic"], "other.lic: names relay key");
    // A pool bound to another machine (the request edited before the vendor signed it).
    let mut request: Value = serde_json::from_slice(
        &std::fs::read(site.path("relay/relay-request.json")).expect("read"),
    )
    .expect("json");
    request["machine_id"] = Value::from(machine(77));
    std::fs::write(site.path("moved.json"), request.to_string()).expect("write");
    site.licet()
        .args([
            "relay",
            "grant",
            "moved.json",
            "--key",
            "vendor.key.pem",
            "--customer",
            "ACME",
            "--seats",
            "5",
            "--out",
            "moved.lic",
        ])
        .assert()
        .success();
    refuse(&["--pool", "moved.lic"], "moved.lic: is bound to machine");
    // A pool of a vendor not trusted.
    site.licet()
        .args(["keygen", "--alg", "ed25519", "--out", "stranger"])
        .assert()
        .success();
    site.licet()
        .args([
            "relay",
            "grant",
            "relay/relay-request.json",
            "--key",
            "stranger.key.pem",
            "--customer",
            "ACME",
            "--seats",
            "500",
            "--out",
            "forged.lic",
        ])
        .assert()
        .success();
    refuse(
        &["--pool", "good.lic", "--pool", "forged.lic"],
        "forged.lic: the pool license is UNKNOWN_KEY",
    );
    // A pool license and its re-issue under a new key: the same seats, lent once.
    site.grant(
        "ledgered.lic",
        &["--seats", "3", "--ledger", "issued.jsonl"],
    );
    site.licet()
        .args(["keygen", "--alg", "ed25519", "--out", "vendor-2027"])
        .assert()
        .success();
    site.licet()
        .args([
            "reissue",
            "--ledger",
            "issued.jsonl",
            "--key",
            "vendor-2027.key.pem",
        ])
        .args([
            "--pubkey",
            "vendor.pub.pem",
            "--out-dir",
            "reissued",
            "--json",
        ])
        .assert()
        .success();
    let reissued = std::fs::read_dir(site.path("reissued"))
        .expect("reissued")
        .map(|e| e.expect("entry").path())
        .next()
        .expect("one re-issued pool");
    let out = Command::new(licet_bin())
        .current_dir(site.dir.path())
        .args([
            "relay",
            "serve",
            "--dir",
            "relay",
            "--listen",
            "127.0.0.1:0",
        ])
        .args([
            "--trust",
            "vendor.pub.pem",
            "--trust",
            "vendor-2027.pub.pem",
        ])
        .args(["--pool", "ledgered.lic", "--pool"])
        .arg(&reissued)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("ledgered.lic: is pool license")
            && stderr.contains("give only the newer one"),
        "{stderr}"
    );
    // An ordinary license is not a pool.
    site.licet()
        .args([
            "issue",
            "--key",
            "vendor.key.pem",
            "--customer",
            "ACME",
            "--days",
            "5",
            "--out",
            "plain.lic",
        ])
        .assert()
        .success();
    refuse(
        &["--pool", "plain.lic"],
        "plain.lic: is not a usable pool license",
    );
    // An expired pool (the relay's clock 31 days on).
    std::fs::write(site.path("offset"), (31 * 86_400).to_string()).expect("write");
    refuse(
        &["--pool", "good.lic", "--clock-offset-file", "offset"],
        "good.lic: the pool license is EXPIRED",
    );
    // A TTL longer than the pool allows is a usage error (exit 2).
    site.grant("short.lic", &["--seats", "1", "--max-lease-ttl", "60"]);
    Command::new(licet_bin())
        .current_dir(site.dir.path())
        .args([
            "relay",
            "serve",
            "--dir",
            "relay",
            "--trust",
            "vendor.pub.pem",
            "--listen",
            "127.0.0.1:0",
            "--pool",
            "short.lic",
            "--ttl",
            "61",
        ])
        .output()
        .map(|out| {
            assert_eq!(out.status.code(), Some(2));
            assert!(String::from_utf8_lossy(&out.stderr).contains("max_lease_ttl"));
        })
        .expect("runs");
}

#[test]
fn unrenewed_leases_are_freed_and_renewed_ones_kept() {
    let site = Site::new();
    site.grant("one.lic", &["--seats", "1"]);
    let relay = site.relay(&["--pool", "one.lic", "--ttl", "2"]);
    assert_eq!(relay.put(&machine(1)).0, 201);
    // Heartbeats keep the seat through three TTLs.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        assert_eq!(relay.put(&machine(1)).0, 200, "the holder renews");
        assert_eq!(
            relay.put(&machine(2)).0,
            410,
            "the seat stays taken while it is renewed"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // Without them it is freed after the TTL.
    wait_until(
        "the unrenewed lease to be freed",
        Duration::from_secs(10),
        || relay.put(&machine(2)).0 == 201,
    );
    assert!(
        started.elapsed()
            >= Duration::from_secs(5) + Duration::from_secs(2) - Duration::from_millis(600)
    );
    assert_eq!(relay.put(&machine(1)).0, 410);
}

#[test]
fn a_wall_clock_set_forward_frees_no_seat_and_one_set_back_stops_grants() {
    let site = Site::new();
    site.grant("one.lic", &["--seats", "1"]);
    std::fs::write(site.path("offset"), "0").expect("write");
    let relay = site.relay(&[
        "--pool",
        "one.lic",
        "--ttl",
        "3",
        "--clock-offset-file",
        "offset",
    ]);
    assert_eq!(relay.put(&machine(1)).0, 201);
    // Two hours forward: the lease's `exp` has passed on the wall clock, but not a TTL of real time.
    std::fs::write(site.path("offset"), "7200").expect("write");
    let set_forward = Instant::now();
    assert_eq!(
        relay.put(&machine(2)).0,
        410,
        "setting the clock forward frees no seat"
    );
    wait_until(
        "the lease to be freed after a real TTL",
        Duration::from_secs(10),
        || relay.put(&machine(2)).0 == 201,
    );
    assert!(
        set_forward.elapsed() >= Duration::from_secs(2),
        "freed only after the TTL of real time"
    );

    // A lease the relay signs with its clock two hours ahead is not valid yet on a product
    // whose clock is right: a clock set forward cannot stretch the leases it signs.
    let (code, ahead) = relay.put(&machine(2));
    assert_eq!(code, 200);
    let (exit, report) = verify_lease(
        &site,
        ahead["lease"].as_str().expect("lease"),
        "one.lic",
        &["--machine", &machine(2)],
    );
    assert_eq!(
        (exit, report["status"].as_str()),
        (1, Some("NOT_YET_VALID")),
        "{report}"
    );

    // Back to the true time: two hours behind the floor, past the tolerance (one hour).
    std::fs::write(site.path("offset"), "0").expect("write");
    let (code, body) = relay.put(&machine(3));
    assert_eq!(
        (code, body["error"].as_str()),
        (503, Some("clock_behind")),
        "{body}"
    );
    assert_eq!(relay.put(&machine(2)).0, 503, "not even a renewal");
    assert!(relay.status()["clock_behind"].is_string());
    // Right again: grants resume.
    std::fs::write(site.path("offset"), "7200").expect("write");
    assert_eq!(relay.put(&machine(2)).0, 200);
    assert!(relay.status()["clock_behind"].is_null());
}

#[test]
fn kill_9_loses_no_granted_lease() {
    let site = Site::new();
    site.grant("two.lic", &["--seats", "2"]);
    let relay = site.relay(&["--pool", "two.lic", "--ttl", "1h"]);
    let (_, first) = relay.put(&machine(1));
    assert_eq!(relay.put(&machine(2)).0, 201);
    relay.kill9();
    let relay = site.relay(&["--pool", "two.lic", "--ttl", "1h"]);
    assert_eq!(
        relay.status()["pools"][0]["in_use"],
        2,
        "both leases survived kill -9"
    );
    assert_eq!(relay.put(&machine(3)).0, 410);
    let (code, again) = relay.put(&machine(1));
    assert_eq!(code, 200, "the holder renews after the restart");
    let (_, a) = verify_lease(
        &site,
        first["lease"].as_str().expect("lease"),
        "two.lic",
        &["--machine", &machine(1)],
    );
    let (_, b) = verify_lease(
        &site,
        again["lease"].as_str().expect("lease"),
        "two.lic",
        &["--machine", &machine(1)],
    );
    assert_eq!(a["lease"]["lease_id"], b["lease"]["lease_id"]);
    drop(relay);

    // The lease log holds every event, hash-chained.
    let store = licet_relay::store::Store::open(&site.path("relay/relay.db")).expect("open");
    let log = store.verified_log().expect("intact chain");
    let events: Vec<String> = log.iter().map(|e| format!("{:?}", e.event)).collect();
    assert_eq!(events, ["Grant", "Grant", "Renew"]);
}

#[test]
fn a_copy_of_the_relay_directory_cannot_double_the_seats() {
    let site = Site::new();
    site.grant("one.lic", &["--seats", "1"]);
    let relay = site.relay(&["--pool", "one.lic"]);
    assert_eq!(relay.put(&machine(1)).0, 201);
    let copy = Command::new("cp")
        .current_dir(site.dir.path())
        .args(["-a", "relay", "relay-copy"])
        .status()
        .expect("cp");
    assert!(copy.success());
    let start = |dir: &str| {
        Command::new(licet_bin())
            .current_dir(site.dir.path())
            .args([
                "relay",
                "serve",
                "--dir",
                dir,
                "--trust",
                "vendor.pub.pem",
                "--listen",
                "127.0.0.1:0",
                "--pool",
                "one.lic",
            ])
            .output()
            .expect("runs")
    };
    let out = start("relay-copy");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("one relay per key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = start("relay");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another relay is running"));
}

#[test]
fn the_client_token_is_required_when_set() {
    let site = Site::new();
    site.grant("one.lic", &["--seats", "1"]);
    std::fs::write(site.path("token.txt"), "s3cret-token-of-the-site\n").expect("write");
    let relay = site.relay(&["--pool", "one.lic", "--client-token-file", "token.txt"]);
    assert_eq!(relay.put(&machine(1)).0, 401);
    assert_eq!(
        relay
            .put_with(&machine(1), Some("wrong-token-wrong-token"), None)
            .0,
        401
    );
    assert_eq!(call(ureq::get(&relay.url("/v1/status")), None).0, 401);
    assert_eq!(
        relay
            .put_with(&machine(1), Some("s3cret-token-of-the-site"), None)
            .0,
        201
    );
    assert_eq!(
        call(ureq::get(&relay.url("/v1/health")), None).0,
        200,
        "health needs no token"
    );
}

#[test]
fn leases_that_do_not_chain_to_the_pool_are_refused() {
    let site = Site::new();
    site.grant(
        "pool.lic",
        &[
            "--seats",
            "3",
            "--max-lease-ttl",
            "1h",
            "--license-id",
            "P-1",
        ],
    );
    let relay = site.relay(&["--pool", "pool.lic"]);
    let token = relay.put(&machine(1)).1["lease"]
        .as_str()
        .expect("lease")
        .to_owned();
    drop(relay);

    // A second relay with its own pool: its leases are not seats of the first pool.
    site.licet()
        .args(["relay", "init", "--dir", "relay-b"])
        .assert()
        .success();
    site.licet()
        .args([
            "relay",
            "grant",
            "relay-b/relay-request.json",
            "--key",
            "vendor.key.pem",
            "--customer",
            "ACME",
            "--seats",
            "3",
            "--out",
            "pool-b.lic",
            "--license-id",
            "P-2",
        ])
        .assert()
        .success();
    let b = Relay::start(site.dir.path(), "relay-b", &["--pool", "pool-b.lic"]);
    let token_b = b.put(&machine(1)).1["lease"]
        .as_str()
        .expect("lease")
        .to_owned();
    let (exit, report) = verify_lease(&site, &token_b, "pool.lic", &["--machine", &machine(1)]);
    assert_eq!(
        (exit, report["status"].as_str()),
        (1, Some("UNKNOWN_KEY")),
        "{report}"
    );

    // A lease edited to live longer: the signature fails.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value =
        serde_json::from_slice(&b64.decode(&parts[1]).expect("b64")).expect("json");
    claims["exp"] = Value::from(claims["exp"].as_i64().expect("exp") + 86_400 * 365);
    parts[1] = b64.encode(claims.to_string());
    let (exit, report) = verify_lease(
        &site,
        &parts.join("."),
        "pool.lic",
        &["--machine", &machine(1)],
    );
    assert_eq!(
        (exit, report["status"].as_str()),
        (1, Some("BAD_SIGNATURE")),
        "{report}"
    );

    // The pool license given as the lease, and a plain license given as the pool.
    let pool = std::fs::read_to_string(site.path("pool.lic")).expect("pool");
    let (exit, report) = verify_lease(&site, pool.trim(), "pool.lic", &[]);
    assert_eq!((exit, report["status"].as_str()), (1, Some("MALFORMED")));
    site.licet()
        .args([
            "issue",
            "--key",
            "vendor.key.pem",
            "--customer",
            "ACME",
            "--days",
            "5",
            "--out",
            "plain.lic",
        ])
        .assert()
        .success();
    let (exit, report) = verify_lease(&site, &token, "plain.lic", &["--machine", &machine(1)]);
    assert_eq!(
        (exit, report["status"].as_str(), report["part"].as_str()),
        (1, Some("WRONG_POOL"), Some("pool"))
    );
    // Usage errors are exit 2.
    site.licet()
        .args([
            "verify-lease",
            "missing.jwt",
            "--pool",
            "pool.lic",
            "--pubkey",
            "vendor.pub.pem",
        ])
        .assert()
        .code(2);
}

#[test]
fn the_openapi_document_names_every_route_and_nothing_else() {
    let site = Site::new();
    site.grant("one.lic", &["--seats", "1"]);
    let relay = site.relay(&["--pool", "one.lic"]);
    let (code, doc) = call(ureq::get(&relay.url("/v1/openapi.json")), None);
    assert_eq!(code, 200);
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented = Vec::new();
    for (path, methods) in paths {
        for method in methods.as_object().expect("methods").keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
            let url = relay.url(&path.replace("{machine_id}", &machine(5)));
            let (status, body) = call(ureq::request(&method.to_uppercase(), &url), None);
            assert_ne!(
                body["error"], "not_found",
                "{method} {path} is documented but not routed ({status})"
            );
            let responses = methods[method.as_str()]["responses"]
                .as_object()
                .expect("responses");
            assert!(
                responses.contains_key(&status.to_string()),
                "{method} {path} answered {status}, which the document does not list"
            );
        }
    }
    documented.sort();
    assert_eq!(
        documented,
        [
            "DELETE /v1/leases/{machine_id}",
            "GET /v1/health",
            "GET /v1/openapi.json",
            "GET /v1/status",
            "PUT /v1/leases/{machine_id}"
        ],
        "the routes of crates/relay/src/http.rs"
    );
    // A route outside the document is the fallback.
    let (code, body) = call(ureq::get(&relay.url("/v1/leases")), None);
    assert_eq!((code, body["error"].as_str()), (404, Some("not_found")));
}

/// `licet relay verify-report` of `file` with `extra` arguments: exit code and JSON verdict.
fn verify_report(site: &Site, file: &str, extra: &[&str]) -> (i32, Value) {
    site.json(
        &[
            "relay",
            "verify-report",
            file,
            "--pool",
            "three.lic",
            "--pubkey",
            "vendor.pub.pem",
            "--json",
        ],
        extra,
    )
}

/// `licet relay report` of `dir` to `out`, a second after the last one (a report's period ends
/// at the current second, and the next one starts there).
fn report(site: &Site, dir: &str, out: &str) -> Value {
    std::thread::sleep(Duration::from_millis(1_100));
    let out = site
        .licet()
        .args(["relay", "report", "--dir", dir, "--out", out, "--json"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "relay report: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stderr).expect("JSON summary on stderr")
}

#[test]
fn usage_reports_reach_the_vendor_in_order_and_copies_or_replays_are_refused() {
    let site = Site::new();
    site.grant("three.lic", &["--seats", "3"]);
    let relay = site.relay(&["--pool", "three.lic"]);
    assert_eq!(relay.put(&machine(1)).0, 201);
    assert_eq!(relay.put(&machine(2)).0, 201);
    assert_eq!(relay.put(&machine(1)).0, 200, "a renewal is no grant");
    assert_eq!(relay.delete(&machine(2)), 204);

    // While the relay serves: report 1. Its figures: two leases at once, two grants.
    let summary = report(&site, "relay", "r1.jwt");
    assert_eq!(summary["seq"], 1);
    let (code, verdict) = verify_report(&site, "r1.jwt", &["--state", "vendor-state"]);
    assert_eq!(code, 0, "{verdict}");
    assert_eq!(verdict["status"], "VALID");
    assert_eq!(verdict["pools"][0]["peak"], 2, "{verdict}");
    assert_eq!(verdict["pools"][0]["grants"], 2, "{verdict}");
    assert_eq!(verdict["pools"][0]["seats"], 3, "{verdict}");
    assert_eq!(
        verdict["report"]["log"]["seq"], 4,
        "grant, grant, renew, release"
    );
    assert_eq!(verdict["state"]["recorded"], true);

    // The same report again is refused and changes nothing; alone (no --state) it is valid,
    // and the output says that replays were not checked.
    let (code, verdict) = verify_report(&site, "r1.jwt", &["--state", "vendor-state"]);
    assert_eq!(
        (code, verdict["status"].as_str()),
        (1, Some("STALE")),
        "{verdict}"
    );
    let (code, verdict) = verify_report(&site, "r1.jwt", &[]);
    assert_eq!(code, 0, "{verdict}");
    assert!(
        verdict["warnings"].to_string().contains("no --state"),
        "{verdict}"
    );

    // A copy of the relay directory taken now (the relay stopped: a backup restored later, or
    // a second relay) writes its own report 2, of a shorter history.
    drop(relay);
    let copy = Command::new("cp")
        .current_dir(site.dir.path())
        .args(["-a", "relay", "relay-copy"])
        .status()
        .expect("cp");
    assert!(copy.success());
    let relay = site.relay(&["--pool", "three.lic"]);
    assert_eq!(relay.put(&machine(3)).0, 201);
    report(&site, "relay", "r2.jwt");
    report(&site, "relay-copy", "r2-copy.jwt");
    report(&site, "relay", "r3.jwt");
    report(&site, "relay", "r4.jwt");
    // A report skipped is named; then the chain goes on in order; the copy's report 2 is a fork.
    let (code, verdict) = verify_report(&site, "r3.jwt", &["--state", "vendor-state"]);
    assert_eq!(
        (code, verdict["status"].as_str()),
        (1, Some("OUT_OF_ORDER")),
        "{verdict}"
    );
    let (code, verdict) = verify_report(&site, "r2.jwt", &["--state", "vendor-state"]);
    assert_eq!(code, 0, "{verdict}");
    let (code, verdict) = verify_report(&site, "r2-copy.jwt", &["--state", "vendor-state"]);
    assert_eq!(
        (code, verdict["status"].as_str()),
        (1, Some("FORKED")),
        "{verdict}"
    );
    assert!(
        verdict["reason"]
            .as_str()
            .unwrap()
            .contains("two histories"),
        "{verdict}"
    );
    for file in ["r3.jwt", "r4.jwt"] {
        let (code, verdict) = verify_report(&site, file, &["--state", "vendor-state"]);
        assert_eq!(code, 0, "{file}: {verdict}");
    }

    // A changed figure breaks the signature; a lease is not a report.
    let text = std::fs::read_to_string(site.path("r4.jwt")).unwrap();
    let mut parts: Vec<String> = text.trim().split('.').map(str::to_owned).collect();
    let payload =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &parts[1])
            .unwrap();
    let mut claims: Value = serde_json::from_slice(&payload).unwrap();
    claims["pools"][0]["days"][0]["peak"] = Value::from(0);
    parts[1] = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        claims.to_string(),
    );
    std::fs::write(site.path("bent.jwt"), parts.join(".")).unwrap();
    let (code, verdict) = verify_report(&site, "bent.jwt", &[]);
    assert_eq!(
        (code, verdict["status"].as_str()),
        (1, Some("INVALID_SIGNATURE")),
        "{verdict}"
    );
    let (_, lease) = relay.put(&machine(3));
    std::fs::write(site.path("lease.jwt"), lease["lease"].as_str().unwrap()).unwrap();
    let (code, verdict) = verify_report(&site, "lease.jwt", &[]);
    assert_eq!(
        (code, verdict["status"].as_str()),
        (1, Some("MALFORMED")),
        "{verdict}"
    );

    // --out never replaces another kind of file, and a refused --out records no report: the
    // next report is number 5. --resend writes a recorded report again, byte for byte.
    std::thread::sleep(Duration::from_millis(1_100));
    site.licet()
        .args(["relay", "report", "--dir", "relay", "--out", "three.lic"])
        .assert()
        .code(2);
    assert_eq!(report(&site, "relay", "r5.jwt")["seq"], 5);
    site.licet()
        .args([
            "relay",
            "report",
            "--dir",
            "relay",
            "--resend",
            "1",
            "--out",
            "again.jwt",
        ])
        .assert()
        .success();
    assert_eq!(
        std::fs::read(site.path("again.jwt")).unwrap(),
        std::fs::read(site.path("r1.jwt")).unwrap()
    );
    // A --since that would leave time out of every report is refused, naming it.
    let out = site
        .licet()
        .args([
            "relay",
            "report",
            "--dir",
            "relay",
            "--since",
            "2099-01-01",
            "--out",
            "x.jwt",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("in no report"));
    assert!(!site.path("x.jwt").exists());
    // A --state that cannot be used is an error (exit 2), not a verdict.
    std::fs::write(site.path("not-a-dir"), "x").unwrap();
    let out = site
        .licet()
        .args([
            "relay",
            "verify-report",
            "r5.jwt",
            "--pool",
            "three.lic",
            "--pubkey",
            "vendor.pub.pem",
            "--state",
            "not-a-dir",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--state"));
}

#[test]
fn a_report_is_checked_against_the_relay_key_of_the_pool_given() {
    let site = Site::new();
    site.grant("three.lic", &["--seats", "3"]);
    let relay = site.relay(&["--pool", "three.lic"]);
    assert_eq!(relay.put(&machine(1)).0, 201);
    drop(relay);
    // Another relay of the same vendor: its pool names its own key.
    site.licet()
        .args(["relay", "init", "--dir", "other"])
        .assert()
        .success();
    site.licet()
        .args([
            "relay",
            "grant",
            "other/relay-request.json",
            "--key",
            "vendor.key.pem",
            "--customer",
            "ACME",
            "--seats",
            "1",
            "--out",
            "other.lic",
        ])
        .assert()
        .success();
    report(&site, "relay", "r1.jwt");
    let out = site
        .licet()
        .args([
            "relay",
            "verify-report",
            "r1.jwt",
            "--pool",
            "other.lic",
            "--pubkey",
            "vendor.pub.pem",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let verdict: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict["status"], "INVALID_SIGNATURE", "{verdict}");
    assert!(verdict["reason"]
        .as_str()
        .unwrap()
        .contains("another relay"));
    // Pool licenses of two relays at once are a usage error, named.
    let out = site
        .licet()
        .args([
            "relay",
            "verify-report",
            "r1.jwt",
            "--pool",
            "three.lic",
            "--pool",
            "other.lic",
            "--pubkey",
            "vendor.pub.pem",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("one relay"));
}

#[test]
fn a_writer_that_cannot_write_or_read_back_stops_granting() {
    let site = Site::new();
    site.grant("three.lic", &["--seats", "3"]);
    let relay = site.relay(&["--pool", "three.lic"]);
    assert_eq!(relay.put(&machine(1)).0, 201);
    // The database loses its leases table under the relay (a disk or an operator gone wrong):
    // the next batch cannot be written, and memory cannot be read back from the database.
    let db = rusqlite::Connection::open(site.path("relay/relay.db")).expect("open");
    db.execute_batch("DROP TABLE leases").expect("drop");
    let (code, body) = relay.put(&machine(2));
    assert_eq!(code, 503, "{body}");
    // The writer stopped: no seat is lent from memory that may disagree with the disk.
    wait_until("health says stopped", Duration::from_secs(10), || {
        call(ureq::get(&relay.url("/v1/health")), None).0 == 503
    });
    let (_, health) = call(ureq::get(&relay.url("/v1/health")), None);
    assert_eq!(health["status"], "stopped", "{health}");
    assert_eq!(relay.put(&machine(1)).0, 503, "not even a renewal");
    assert_eq!(relay.put(&machine(3)).0, 503);
}

#[test]
fn a_revoked_pool_license_lends_no_valid_lease() {
    let site = Site::new();
    let pool_id = "6f0c5a2e-3b1d-4c8e-9a7f-2d4b6e8c0a13";
    site.grant("pool.lic", &["--seats", "2", "--license-id", pool_id]);
    let relay = site.relay(&["--pool", "pool.lic"]);
    let (code, answer) = relay.put(&machine(1));
    assert_eq!(code, 201);
    let token = answer["lease"].as_str().unwrap().to_owned();
    let at_machine = ["--machine", &machine(1)];
    let (code, report) = verify_lease(&site, &token, "pool.lic", &at_machine);
    assert_eq!(code, 0, "{report}");
    // The customer stopped paying: the vendor revokes the pool license.
    site.licet()
        .args([
            "revoke",
            "--key",
            "vendor.key.pem",
            "--list",
            "revocations.jwt",
            pool_id,
        ])
        .assert()
        .success();
    let mut with_list = at_machine.to_vec();
    with_list.extend(["--revocations", "revocations.jwt"]);
    let (code, report) = verify_lease(&site, &token, "pool.lic", &with_list);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["status"], "REVOKED", "{report}");
    assert_eq!(report["part"], "pool", "{report}");
    assert_eq!(
        report["revocationLists"][0]["status"], "ACCEPTED",
        "{report}"
    );
    assert_eq!(report["listsEnforced"], 1, "{report}");
    // A file that is not a list is named as such, and the check does not pass.
    let mut junk = at_machine.to_vec();
    junk.extend(["--revocations", "pool.lic"]);
    let (code, report) = verify_lease(&site, &token, "pool.lic", &junk);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        report["status"], "ACTIVE",
        "the lease itself is fine: {report}"
    );
    assert_ne!(
        report["revocationLists"][0]["status"], "ACCEPTED",
        "{report}"
    );
}
