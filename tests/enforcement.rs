//! Issue 9 §2-§5 end to end, tried as the customer who wants more than they paid for: leave the
//! revocation list out, feed an older one, date a list ahead, set the clock back before the
//! file existed, keep a time attestation for later, hold the state's lock, hand a FIFO over.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::licet;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

fn keygen(dir: &Path, name: &str) {
    licet()
        .current_dir(dir)
        .args(["keygen", "--alg", "ed25519", "--out", name])
        .assert()
        .success();
}

fn issue(dir: &Path, key: &str, id: &str, out: &str, extra: &[&str]) {
    licet()
        .current_dir(dir)
        .args(["issue", "--key", key, "--customer", "ACME-001"])
        .args(["--license-id", id, "--out", out])
        .args(extra)
        .assert()
        .success();
}

fn revoke(dir: &Path, key: &str, list: &str, ids: &[&str]) {
    licet()
        .current_dir(dir)
        .args(["revoke", "--key", key, "--list", list, "--force"])
        .args(ids)
        .assert()
        .success();
}

/// `licet verify FILE --pubkey v.pub.pem --pubkey w.pub.pem --json EXTRA...`.
fn verify(dir: &Path, file: &str, extra: &[&str]) -> (i32, Value, String) {
    let out = licet()
        .current_dir(dir)
        .args(["verify", file, "--pubkey", "v.pub.pem", "--json"])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn vendor() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "v");
    dir
}

#[test]
fn a_revocation_sticks_when_the_list_is_left_out() {
    let dir = vendor();
    let d = dir.path();
    issue(d, "v.key.pem", "L-1", "one.lic", &["--days", "365"]);
    issue(d, "v.key.pem", "L-2", "two.lic", &["--days", "365"]);
    revoke(d, "v.key.pem", "list.jwt", &["L-1"]);
    let state = ["--state", "state"];
    let (code, report, _) = verify(
        d,
        "one.lic",
        &[&["--revocations", "list.jwt"][..], &state].concat(),
    );
    assert_eq!((code, report["status"].as_str()), (1, Some("REVOKED")));
    // The customer leaves the list off: the state remembers it.
    let (code, report, _) = verify(d, "one.lic", &state);
    assert_eq!(
        (code, report["status"].as_str()),
        (1, Some("REVOKED")),
        "{report}"
    );
    assert_eq!(report["listsEnforced"], 1);
    assert_eq!(
        verify(d, "two.lic", &state).0,
        0,
        "other licenses are not affected"
    );
    // Handing over an older list (seq 1 < 2 after an extension) changes nothing either.
    std::fs::copy(d.join("list.jwt"), d.join("list-seq1.jwt")).unwrap();
    revoke(d, "v.key.pem", "list.jwt", &["L-3"]);
    let (code, report, _) = verify(
        d,
        "one.lic",
        &[&["--revocations", "list.jwt"][..], &state].concat(),
    );
    assert_eq!((code, report["status"].as_str()), (1, Some("REVOKED")));
    let (code, report, _) = verify(
        d,
        "one.lic",
        &[&["--revocations", "list-seq1.jwt"][..], &state].concat(),
    );
    assert_eq!(code, 1);
    assert_eq!(report["revocationLists"][0]["status"], "OLDER_THAN_SEEN");
    assert_eq!(report["status"], "REVOKED");
    // The state keeps the signed list, not bare ids: editing one out breaks its signature,
    // which is a corrupt state (exit 2), not a silent un-revocation.
    let path = d.join("state/state.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut state_json: Value = serde_json::from_str(&text).unwrap();
    let lists = state_json["revocation_lists"].as_object_mut().unwrap();
    let (_, tokens) = lists.iter_mut().next().unwrap();
    let token = tokens[0].as_str().unwrap().to_owned();
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    // The payload re-encoded with L-1 edited out of it: valid base64 and JSON, a broken signature.
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = String::from_utf8(b64.decode(&parts[1]).unwrap()).unwrap();
    assert!(payload.contains("\"L-1\""), "{payload}");
    parts[1] = b64.encode(payload.replace("\"L-1\"", "\"L-9\""));
    tokens[0] = Value::from(parts.join("."));
    std::fs::write(&path, serde_json::to_vec(&state_json).unwrap()).unwrap();
    let (code, report, stderr) = verify(d, "one.lic", &state);
    assert_eq!(code, 2, "{stderr} {report}");
    assert!(stderr.contains("corrupt"), "{stderr}");
}

#[test]
fn lists_of_several_keys_merge_and_none_replaces_another() {
    let dir = vendor();
    let d = dir.path();
    keygen(d, "w");
    issue(d, "v.key.pem", "L-1", "one.lic", &["--days", "365"]);
    issue(d, "w.key.pem", "L-2", "two.lic", &["--days", "365"]);
    revoke(d, "v.key.pem", "v-list.jwt", &["L-1"]);
    revoke(d, "w.key.pem", "w-list.jwt", &["L-2"]);
    let both = [
        "--pubkey",
        "w.pub.pem",
        "--revocations",
        "v-list.jwt",
        "--revocations",
        "w-list.jwt",
    ];
    for file in ["one.lic", "two.lic"] {
        let (code, report, _) = verify(d, file, &both);
        assert_eq!(
            (code, report["status"].as_str()),
            (1, Some("REVOKED")),
            "{file}: {report}"
        );
        assert_eq!(report["revocationLists"].as_array().unwrap().len(), 2);
        assert!(report["revocationLists"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["status"] == "ACCEPTED"));
    }
    // With a state: the second key's list (issued later) does not push the first key's out,
    // and the first key's older list is still accepted afterwards (key rotation).
    let state = ["--pubkey", "w.pub.pem", "--state", "state"];
    assert_eq!(
        verify(
            d,
            "one.lic",
            &[&state[..], &["--revocations", "w-list.jwt"]].concat()
        )
        .1["status"],
        "ACTIVE"
    );
    let (code, report, _) = verify(
        d,
        "one.lic",
        &[&state[..], &["--revocations", "v-list.jwt"]].concat(),
    );
    assert_eq!(
        (code, report["revocationLists"][0]["status"].as_str()),
        (1, Some("ACCEPTED")),
        "{report}"
    );
    assert_eq!(report["status"], "REVOKED");
    for file in ["one.lic", "two.lic"] {
        let (code, report, _) = verify(d, file, &state);
        assert_eq!(
            (code, report["status"].as_str()),
            (1, Some("REVOKED")),
            "{file}: {report}"
        );
        assert_eq!(report["listsEnforced"], 2);
    }
}

#[test]
fn a_list_dated_ahead_is_refused_and_not_recorded() {
    let dir = vendor();
    let d = dir.path();
    issue(
        d,
        "v.key.pem",
        "L-1",
        "one.lic",
        &[
            "--issued-at",
            "2026-01-01T00:00:00Z",
            "--expires",
            "2036-01-01",
        ],
    );
    revoke(d, "v.key.pem", "list.jwt", &["L-1"]);
    // The machine's clock reads a day before the list was made.
    let yesterday = licet_verifier::UnixTime::now()
        .saturating_add(-86_400)
        .to_rfc3339();
    let at = ["--state", "state", "--at", &yesterday];
    let (code, report, _) = verify(
        d,
        "one.lic",
        &[&at[..], &["--revocations", "list.jwt"]].concat(),
    );
    assert_eq!(code, 1, "a refused list is noticed: {report}");
    assert_eq!(
        report["revocationLists"][0]["status"], "DATED_AHEAD",
        "{report}"
    );
    assert_eq!(
        report["status"], "ACTIVE",
        "the license keeps its own verdict"
    );
    let state = std::fs::read_to_string(d.join("state/state.json")).unwrap();
    let state: Value = serde_json::from_str(&state).unwrap();
    assert!(
        state["revocation_lists"].as_object().unwrap().is_empty(),
        "{state}"
    );
    // Its date did not raise the clock guard's mark: the same clock is not locked out.
    let (code, report, _) = verify(d, "one.lic", &at);
    assert_eq!(
        (code, report["status"].as_str()),
        (0, Some("ACTIVE")),
        "{report}"
    );
    // A human reader sees the list's status too.
    let out = licet()
        .current_dir(d)
        .args([
            "verify",
            "one.lic",
            "--pubkey",
            "v.pub.pem",
            "--revocations",
            "list.jwt",
            "--at",
            &yesterday,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("DATED_AHEAD"));
}

#[test]
fn a_clock_set_back_before_the_file_existed_is_caught_without_state() {
    let dir = vendor();
    let d = dir.path();
    issue(
        d,
        "v.key.pem",
        "L-1",
        "one.lic",
        &[
            "--issued-at",
            "2026-06-01T00:00:00Z",
            "--expires",
            "2036-01-01",
        ],
    );
    // The clock reads a day before the license was issued: not ACTIVE, and no state needed.
    let (code, report, _) = verify(d, "one.lic", &["--at", "2026-05-31"]);
    assert_eq!(
        (code, report["status"].as_str()),
        (1, Some("CLOCK_ROLLBACK")),
        "{report}"
    );
    let reason = report["reason"].as_str().unwrap();
    assert!(
        reason.contains("1 day before the file was issued"),
        "{reason}"
    );
    // Within the tolerance (a vendor clock a few minutes fast) it is fine ...
    assert_eq!(verify(d, "one.lic", &["--at", "2026-05-31T23:30:00Z"]).0, 0);
    // ... and the tolerance is --clock-tolerance, not --leeway.
    let (code, report, _) = verify(
        d,
        "one.lic",
        &["--at", "2026-05-31T23:30:00Z", "--clock-tolerance", "60"],
    );
    assert_eq!(
        (code, report["status"].as_str()),
        (1, Some("CLOCK_ROLLBACK"))
    );
    let (code, _, _) = verify(
        d,
        "one.lic",
        &[
            "--at",
            "2026-05-31T23:30:00Z",
            "--clock-tolerance",
            "60",
            "--leeway",
            "7200",
        ],
    );
    assert_eq!(code, 1);
}

/// The state id and nonce of a request file.
fn clock_request(d: &Path, out: &str) -> Value {
    licet()
        .current_dir(d)
        .args(["clock", "request", "--state", "state", "--out", out])
        .assert()
        .success();
    serde_json::from_slice(&std::fs::read(d.join(out)).unwrap()).unwrap()
}

fn clock(d: &Path, args: &[&str]) -> (i32, String, String) {
    let out = licet()
        .current_dir(d)
        .arg("clock")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_mark_raised_by_a_fast_clock_is_reset_by_a_vendor_time_attestation() {
    let dir = vendor();
    let d = dir.path();
    issue(
        d,
        "v.key.pem",
        "L-1",
        "one.lic",
        &[
            "--issued-at",
            "2026-01-01T00:00:00Z",
            "--expires",
            "2036-01-01",
        ],
    );
    // The machine's clock ran two years fast for one check: the mark is now 2028.
    let state = ["--state", "state"];
    assert_eq!(
        verify(
            d,
            "one.lic",
            &[&state[..], &["--at", "2028-12-01"]].concat()
        )
        .0,
        0
    );
    // Back at the right time, every check is CLOCK_ROLLBACK, and the message names the way back.
    let (code, report, _) = verify(d, "one.lic", &state);
    assert_eq!(
        (code, report["status"].as_str()),
        (1, Some("CLOCK_ROLLBACK"))
    );
    let reason = report["reason"].as_str().unwrap();
    assert!(
        reason.contains("licet clock request") && reason.contains("behind"),
        "{reason}"
    );

    // The request names this state and a nonce; the vendor signs the time; the customer applies it.
    let request = clock_request(d, "clock-request.json");
    assert_eq!(request["type"], "licet-clock-request");
    let (code, _, stderr) = clock(
        d,
        &[
            "attest",
            "clock-request.json",
            "--key",
            "v.key.pem",
            "--out",
            "clock.jwt",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("attested"), "{stderr}");
    // A wrong file is named as such, not as tampering.
    let (code, _, stderr) = clock(
        d,
        &[
            "apply",
            "clock-request.json",
            "--pubkey",
            "v.pub.pem",
            "--state",
            "state",
        ],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("looks like the request itself"), "{stderr}");
    let (code, _, stderr) = clock(
        d,
        &[
            "apply",
            "one.lic",
            "--pubkey",
            "v.pub.pem",
            "--state",
            "state",
        ],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("not a time attestation"), "{stderr}");
    // Signed by a key the machine does not trust: refused.
    keygen(d, "stranger");
    let (code, _, stderr) = clock(
        d,
        &[
            "apply",
            "clock.jwt",
            "--pubkey",
            "stranger.pub.pem",
            "--state",
            "state",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    // Another machine's state cannot use it.
    let (code, _, stderr) = clock(
        d,
        &[
            "apply",
            "clock.jwt",
            "--pubkey",
            "v.pub.pem",
            "--state",
            "other-state",
        ],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("not this state"), "{stderr}");
    let (code, stdout, stderr) = clock(
        d,
        &[
            "apply",
            "clock.jwt",
            "--pubkey",
            "v.pub.pem",
            "--state",
            "state",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("2028-12-01"),
        "the old mark is named: {stdout}"
    );
    assert_eq!(verify(d, "one.lic", &state).0, 0, "the check passes again");
    // An attestation applies once.
    let (code, _, stderr) = clock(
        d,
        &[
            "apply",
            "clock.jwt",
            "--pubkey",
            "v.pub.pem",
            "--state",
            "state",
        ],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("no pending request"), "{stderr}");
}

#[test]
fn a_kept_attestation_cannot_rewind_a_mark_that_rose_honestly() {
    let dir = vendor();
    let d = dir.path();
    issue(
        d,
        "v.key.pem",
        "L-1",
        "one.lic",
        &[
            "--issued-at",
            "2026-01-01T00:00:00Z",
            "--expires",
            "2036-01-01",
        ],
    );
    let state = ["--state", "state"];
    assert_eq!(verify(d, "one.lic", &state).0, 0);
    clock_request(d, "clock-request.json");
    assert_eq!(
        clock(
            d,
            &[
                "attest",
                "clock-request.json",
                "--key",
                "v.key.pem",
                "--out",
                "clock.jwt"
            ]
        )
        .0,
        0
    );
    // The customer keeps the attestation while a month of valid checks moves the mark on ...
    let later = licet_verifier::UnixTime::now()
        .saturating_add(30 * 86_400)
        .to_rfc3339();
    assert_eq!(
        verify(d, "one.lic", &[&state[..], &["--at", &later]].concat()).0,
        0
    );
    // ... then tries to rewind the mark with it: refused.
    let (code, _, stderr) = clock(
        d,
        &[
            "apply",
            "clock.jwt",
            "--pubkey",
            "v.pub.pem",
            "--state",
            "state",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot rewind"), "{stderr}");
}

#[test]
fn waiting_for_a_held_state_lock_is_bounded_and_named() {
    let dir = vendor();
    let d = dir.path();
    issue(d, "v.key.pem", "L-1", "one.lic", &["--days", "30"]);
    std::fs::create_dir(d.join("state")).unwrap();
    // Another process holds the lock (flock(2), as licet takes it).
    // -o: the lock stays with flock itself, so killing it frees the lock.
    let mut holder = std::process::Command::new("flock")
        .arg("-o")
        .arg(d.join("state/state.lock"))
        .args(["sleep", "30"])
        .spawn()
        .expect("flock (util-linux) is required");
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let (code, _, stderr) = verify(d, "one.lic", &["--state", "state", "--lock-timeout", "1"]);
    let waited = started.elapsed();
    holder.kill().unwrap();
    let _ = holder.wait();
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("locked by another check"), "{stderr}");
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    assert_eq!(
        verify(d, "one.lic", &["--state", "state"]).0,
        0,
        "free again"
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_at_once_never_read_into_a_hang() {
    let dir = vendor();
    let d = dir.path();
    issue(d, "v.key.pem", "L-1", "one.lic", &["--days", "30"]);
    assert!(std::process::Command::new("mkfifo")
        .arg(d.join("pipe.lic"))
        .status()
        .unwrap()
        .success());
    let started = Instant::now();
    let (code, _, stderr) = verify(d, "pipe.lic", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("not a regular file") && stderr.contains("FIFO"),
        "{stderr}"
    );
    let (code, _, stderr) = verify(d, "one.lic", &["--revocations", "pipe.lic"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_state_of_a_newer_format_is_refused_with_a_clear_error() {
    let dir = vendor();
    let d = dir.path();
    issue(d, "v.key.pem", "L-1", "one.lic", &["--days", "30"]);
    std::fs::create_dir(d.join("state")).unwrap();
    std::fs::write(
        d.join("state/state.json"),
        br#"{"version": 9, "something_new": []}"#,
    )
    .unwrap();
    let (code, _, stderr) = verify(d, "one.lic", &["--state", "state"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("format version 9") && stderr.contains("newer"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(d.join("state/state.json")).unwrap(),
        br#"{"version": 9, "something_new": []}"#,
        "left as it was"
    );
    // A version 1 state (licet 0.1) is read and upgraded in place.
    std::fs::write(
        d.join("state/state.json"),
        br#"{"version":1,"latest_seen":1700000000,"revocation_seq":{}}"#,
    )
    .unwrap();
    assert_eq!(verify(d, "one.lic", &["--state", "state"]).0, 0);
    let upgraded: Value =
        serde_json::from_slice(&std::fs::read(d.join("state/state.json")).unwrap()).unwrap();
    assert_eq!(upgraded["version"], 3);
}

/// The library call products embed: concurrent checks with lists of eight keys lose none of
/// them (all state updates under the lock).
#[test]
fn concurrent_library_checks_lose_no_revocation_list() {
    use licet_issuer::{
        extend_revocation_list, mint_license, KeySpec, RevocationRequest, SigningKey,
    };
    use licet_verifier::{
        LicenseClaims, ListInput, StateSettings, StatefulVerifier, TrustedKeys, UnixTime,
        VerifyOptions,
    };
    let now = UnixTime::now();
    let signers: Vec<SigningKey> = (0..8)
        .map(|_| SigningKey::generate(KeySpec::Ed25519).unwrap())
        .collect();
    let keys: TrustedKeys = signers.iter().map(|k| k.public_key().clone()).collect();
    let lists: Vec<String> = signers
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let request = RevocationRequest {
                license_id: format!("L-{i}"),
                reason: String::new(),
            };
            extend_revocation_list(key, None, None, &[request], now, None)
                .unwrap()
                .token
        })
        .collect();
    let licenses: Vec<String> = signers
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let claims = LicenseClaims {
                expires_at: Some(now.saturating_add(86_400)),
                ..LicenseClaims::new(format!("L-{i}"), "ACME", now.saturating_add(-60))
            };
            mint_license(key, None, &claims).unwrap().token
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let verifier = std::sync::Arc::new(
        StatefulVerifier::open(dir.path(), keys, StateSettings::default()).unwrap(),
    );
    let options = VerifyOptions::at(now);
    std::thread::scope(|scope| {
        for (i, list) in lists.iter().enumerate() {
            let verifier = verifier.clone();
            let license = &licenses[(i + 1) % 8];
            let options = &options;
            scope.spawn(move || {
                let input = ListInput {
                    source: "list",
                    bytes: list.as_bytes(),
                };
                let report = verifier
                    .check(license.as_bytes(), &[input], options)
                    .unwrap();
                assert!(report.lists_accepted(), "{:?}", report.revocation_lists);
            });
        }
    });
    // Every license is revoked by its own key's list, given now by nobody.
    for license in &licenses {
        let report = verifier.check(license.as_bytes(), &[], &options).unwrap();
        assert_eq!(
            report.license.status,
            licet_verifier::Status::Revoked,
            "{}",
            report.license.reason
        );
        assert_eq!(report.lists_enforced, 8);
    }
}

/// Review finding: an EXPIRED check must move the clock mark too, or the clock could be set
/// back to just before expiry after any number of checks that said EXPIRED.
#[test]
fn checks_that_say_expired_still_move_the_clock_mark() {
    let dir = vendor();
    let d = dir.path();
    issue(
        d,
        "v.key.pem",
        "L-1",
        "a.lic",
        &[
            "--issued-at",
            "2026-01-01T00:00:00Z",
            "--expires",
            "2026-12-31",
        ],
    );
    let state = ["--state", "state"];
    for at in ["2027-01-10", "2027-01-20"] {
        let (code, report, _) = verify(d, "a.lic", &[&state[..], &["--at", at]].concat());
        assert_eq!(
            (code, report["status"].as_str()),
            (1, Some("EXPIRED")),
            "{at}"
        );
    }
    let (code, report, _) = verify(d, "a.lic", &[&state[..], &["--at", "2026-12-31"]].concat());
    assert_eq!(
        (code, report["status"].as_str()),
        (1, Some("CLOCK_ROLLBACK")),
        "{report}"
    );
}

/// Review finding: a second request kept pending across a reset cannot rewind the mark later,
/// and a request made before the state had any mark is stale once it has one.
#[test]
fn pending_requests_cannot_rewind_the_mark_after_a_reset() {
    let dir = vendor();
    let d = dir.path();
    issue(
        d,
        "v.key.pem",
        "L-1",
        "one.lic",
        &[
            "--issued-at",
            "2026-01-01T00:00:00Z",
            "--expires",
            "2036-01-01",
        ],
    );
    // A request on a fresh state (no mark yet), attested, kept while checks set a mark.
    clock_request(d, "early.json");
    assert_eq!(
        clock(
            d,
            &[
                "attest",
                "early.json",
                "--key",
                "v.key.pem",
                "--out",
                "early.jwt"
            ]
        )
        .0,
        0
    );
    assert_eq!(verify(d, "one.lic", &["--state", "state"]).0, 0);
    let (code, _, stderr) = clock(
        d,
        &[
            "apply",
            "early.jwt",
            "--pubkey",
            "v.pub.pem",
            "--state",
            "state",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot rewind"), "{stderr}");
    // A fast clock raises the mark; two requests; the first applied resets it ...
    assert_eq!(
        verify(d, "one.lic", &["--state", "state", "--at", "2030-01-01"]).0,
        0
    );
    clock_request(d, "r1.json");
    clock_request(d, "r2.json");
    for r in ["r1", "r2"] {
        assert_eq!(
            clock(
                d,
                &[
                    "attest",
                    &format!("{r}.json"),
                    "--key",
                    "v.key.pem",
                    "--out",
                    &format!("{r}.jwt")
                ]
            )
            .0,
            0
        );
    }
    assert_eq!(
        clock(
            d,
            &[
                "apply",
                "r1.jwt",
                "--pubkey",
                "v.pub.pem",
                "--state",
                "state"
            ]
        )
        .0,
        0
    );
    // ... and the second, kept, is refused afterwards: every pending request went with the reset.
    let (code, _, stderr) = clock(
        d,
        &[
            "apply",
            "r2.jwt",
            "--pubkey",
            "v.pub.pem",
            "--state",
            "state",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no pending request"), "{stderr}");
}

/// Review findings: kept lists of keys a caller does not trust are skipped, not a corrupt state;
/// with a ledger, `revoke` refuses a UUID the ledger does not name (a typo of a real id).
#[test]
fn kept_lists_of_untrusted_keys_are_skipped_and_revoke_checks_the_ledger() {
    let dir = vendor();
    let d = dir.path();
    keygen(d, "w");
    issue(d, "w.key.pem", "L-2", "two.lic", &["--days", "30"]);
    revoke(d, "v.key.pem", "v-list.jwt", &["L-1"]);
    let out = licet()
        .current_dir(d)
        .args([
            "verify",
            "two.lic",
            "--pubkey",
            "v.pub.pem",
            "--pubkey",
            "w.pub.pem",
        ])
        .args(["--revocations", "v-list.jwt", "--state", "state"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // Another product trusts only w: v's kept list is not judged, the check works.
    let out = licet()
        .current_dir(d)
        .args([
            "verify",
            "two.lic",
            "--pubkey",
            "w.pub.pem",
            "--state",
            "state",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // revoke with a ledger: a UUID it does not name is refused without --force.
    licet()
        .current_dir(d)
        .args([
            "issue",
            "--key",
            "v.key.pem",
            "--customer",
            "C",
            "--ledger",
            "ledger.jsonl",
        ])
        .assert()
        .success();
    let out = licet()
        .current_dir(d)
        .args([
            "revoke",
            "--key",
            "v.key.pem",
            "--list",
            "l.jwt",
            "--ledger",
            "ledger.jsonl",
        ])
        .arg("0f8fad5b-d9cb-469f-a165-70867728950e")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!d.join("l.jwt").exists());
}
