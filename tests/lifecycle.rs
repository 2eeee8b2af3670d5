//! Issue #5 end to end, through the `licet` binary: revocation lists, the state directory
//! (revocation-list rollback, clock rollback, corrupt state), and the issuance ledger.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::licet;
use serde_json::Value;
use std::path::Path;

/// A vendor key pair in `dir`: v.key.pem / v.pub.pem.
fn vendor(dir: &Path) {
    licet()
        .current_dir(dir)
        .args(["keygen", "--alg", "ed25519", "--out", "v"])
        .assert()
        .success();
}

fn issue(dir: &Path, id: &str, out: &str, extra: &[&str]) {
    licet()
        .current_dir(dir)
        .args(["issue", "--key", "v.key.pem", "--customer", "ACME-001"])
        .args(["--license-id", id, "--days", "365", "--out", out])
        .args(extra)
        .assert()
        .success();
}

/// `licet verify` with extra arguments: (exit code, JSON report or Null, stderr).
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

fn revoke(dir: &Path, list: &str, ids: &[&str]) {
    licet()
        .current_dir(dir)
        .args(["revoke", "--key", "v.key.pem", "--list", list, "--force"])
        .args(["--reason", "refunded", "--ledger", "ledger.jsonl"])
        .args(ids)
        .assert()
        .success();
}

#[test]
fn a_revoked_license_is_rejected_and_others_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vendor(d);
    issue(d, "L-1", "one.lic", &[]);
    issue(d, "L-2", "two.lic", &[]);
    revoke(d, "revocations.jwt", &["L-1"]);
    let (code, report, _) = verify(d, "one.lic", &["--revocations", "revocations.jwt"]);
    assert_eq!((code, report["status"].as_str()), (1, Some("REVOKED")));
    let reason = report["reason"].as_str().unwrap();
    assert!(
        reason.contains("refunded") && reason.contains("revocation list 1"),
        "{reason}"
    );
    let (code, report, _) = verify(d, "two.lic", &["--revocations", "revocations.jwt"]);
    assert_eq!((code, report["status"].as_str()), (0, Some("ACTIVE")));
    // Without the list, L-1 verifies: revocation is what the list says.
    assert_eq!(verify(d, "one.lic", &[]).0, 0);

    // Extending keeps L-1 and bumps seq; the ledger has both revocations after the issues.
    revoke(d, "revocations.jwt", &["L-2", "L-1"]);
    let (code, report, _) = verify(d, "two.lic", &["--revocations", "revocations.jwt"]);
    assert_eq!((code, report["status"].as_str()), (1, Some("REVOKED")));
    assert!(report["reason"]
        .as_str()
        .unwrap()
        .contains("revocation list 2"));
    assert_eq!(
        verify(d, "one.lic", &["--revocations", "revocations.jwt"]).1["status"],
        "REVOKED"
    );

    // A list signed by another key is refused (exit 2, the list named).
    licet()
        .current_dir(d)
        .args(["keygen", "--alg", "ed25519", "--out", "other"])
        .assert()
        .success();
    licet()
        .current_dir(d)
        .args([
            "revoke",
            "--key",
            "other.key.pem",
            "--list",
            "other.jwt",
            "--force",
            "L-2",
        ])
        .assert()
        .success();
    // Every verdict is a report (exit 1): the list gets its own status, the license its own.
    let (code, report, stderr) = verify(d, "two.lic", &["--revocations", "other.jwt"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["status"], "ACTIVE", "{report}");
    assert_eq!(
        report["revocationLists"][0]["status"], "UNKNOWN_KEY",
        "{report}"
    );
    assert_eq!(
        report["revocationLists"][0]["source"], "other.jwt",
        "{report}"
    );
    // A license file is not a revocation list.
    let (code, report, _) = verify(d, "two.lic", &["--revocations", "one.lic"]);
    assert_eq!(code, 1);
    assert_eq!(
        report["revocationLists"][0]["status"], "MALFORMED",
        "{report}"
    );
    assert!(
        report["revocationLists"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("license-revocations+jwt"),
        "{report}"
    );
}

#[test]
fn an_older_revocation_list_is_refused_after_a_newer_one_was_seen() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vendor(d);
    issue(d, "L-1", "one.lic", &[]);
    revoke(d, "list.jwt", &["L-9"]);
    std::fs::copy(d.join("list.jwt"), d.join("list-seq1.jwt")).unwrap();
    revoke(d, "list.jwt", &["L-1"]);
    let state = ["--state", "state"];
    let (code, report, _) = verify(
        d,
        "one.lic",
        &[&["--revocations", "list.jwt"][..], &state].concat(),
    );
    assert_eq!((code, report["status"].as_str()), (1, Some("REVOKED")));
    // Rolling back to the older list, which does not list L-1: refused, both seqs named.
    let (code, report, stderr) = verify(
        d,
        "one.lic",
        &[&["--revocations", "list-seq1.jwt"][..], &state].concat(),
    );
    assert_eq!(code, 1, "{stderr}");
    let list = &report["revocationLists"][0];
    assert_eq!(list["status"], "OLDER_THAN_SEEN", "{report}");
    let reason = list["reason"].as_str().unwrap();
    assert!(
        reason.contains("sequence number 1") && reason.contains("sequence number 2"),
        "{reason}"
    );
    // The revocation sticks: the newer list kept in the state still revokes L-1.
    assert_eq!(report["status"], "REVOKED", "{report}");
    // Without the state, the old list is all the verifier knows.
    let (code, _, _) = verify(d, "one.lic", &["--revocations", "list-seq1.jwt"]);
    assert_eq!(code, 0);
}

#[test]
fn a_rolled_back_clock_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vendor(d);
    licet()
        .current_dir(d)
        .args([
            "issue",
            "--key",
            "v.key.pem",
            "--customer",
            "ACME",
            "--license-id",
            "L-1",
        ])
        .args([
            "--issued-at",
            "2026-01-01T00:00:00Z",
            "--expires",
            "2028-01-01",
        ])
        .args(["--out", "one.lic"])
        .assert()
        .success();
    let at = |t: &str| ["--state", "state", "--at", t].map(str::to_owned);
    let run = |args: [String; 4]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        verify(d, "one.lic", &args)
    };
    assert_eq!(run(at("2026-06-01T00:00:00Z")).1["status"], "ACTIVE");
    assert_eq!(run(at("2026-06-10T00:00:00Z")).1["status"], "ACTIVE");
    // Within the default tolerance (1 hour) of the latest time seen: fine.
    assert_eq!(run(at("2026-06-09T23:30:00Z")).1["status"], "ACTIVE");
    // Two days back: CLOCK_ROLLBACK, exit 1, with both times in the reason.
    let (code, report, _) = run(at("2026-06-08T00:00:00Z"));
    assert_eq!(
        (code, report["status"].as_str()),
        (1, Some("CLOCK_ROLLBACK"))
    );
    let reason = report["reason"].as_str().unwrap();
    assert!(
        reason.contains("2026-06-10T00:00:00Z") && reason.contains("2026-06-08T00:00:00Z"),
        "{reason}"
    );
    // A wider tolerance lets it through.
    let (code, _, _) = verify(
        d,
        "one.lic",
        &[
            "--state",
            "state",
            "--at",
            "2026-06-08T00:00:00Z",
            "--clock-tolerance",
            "259200",
        ],
    );
    assert_eq!(code, 0);
    // A clock before the file was issued is rolled back even with a fresh state.
    let (code, report, _) = verify(
        d,
        "one.lic",
        &["--state", "fresh", "--at", "2025-06-01T00:00:00Z"],
    );
    assert_eq!(
        (code, report["status"].as_str()),
        (1, Some("CLOCK_ROLLBACK"))
    );
    // The state file is JSON that licet wrote atomically (no temporary file left behind), beside
    // the lock file that serialises checks.
    let mut names: Vec<String> = std::fs::read_dir(d.join("state"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["state.json", "state.lock"]);
}

#[test]
fn a_corrupt_state_file_is_reported_not_reset() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vendor(d);
    issue(d, "L-1", "one.lic", &[]);
    std::fs::create_dir(d.join("state")).unwrap();
    std::fs::write(d.join("state/state.json"), b"{\"version\":1,\"latest_se").unwrap();
    let (code, report, stderr) = verify(d, "one.lic", &["--state", "state"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(report, Value::Null);
    assert!(
        stderr.contains("state.json") && stderr.contains("corrupt"),
        "{stderr}"
    );
    // Nothing was overwritten.
    assert_eq!(
        std::fs::read(d.join("state/state.json")).unwrap(),
        b"{\"version\":1,\"latest_se"
    );
}

#[test]
fn the_ledger_chains_and_a_tampered_entry_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vendor(d);
    for id in ["L-1", "L-2", "L-3"] {
        issue(d, id, &format!("{id}.lic"), &["--ledger", "ledger.jsonl"]);
    }
    revoke(d, "list.jwt", &["L-2"]);
    let out = licet()
        .current_dir(d)
        .args(["ledger", "verify", "ledger.jsonl", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let check: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (check["intact"].as_bool(), check["lines"].as_u64()),
        (Some(true), Some(4))
    );
    let head = check["headSha256"].as_str().unwrap().to_owned();
    let text = std::fs::read_to_string(d.join("ledger.jsonl")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines
            .iter()
            .map(|l| l["action"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["issue", "issue", "issue", "revoke"]
    );
    // The file hash is of the license as written (without its newline).
    let file = std::fs::read_to_string(d.join("L-2.lic")).unwrap();
    assert_eq!(
        lines[1]["file_sha256"].as_str().unwrap(),
        hex::encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            file.trim().as_bytes()
        ))
    );

    // Change the customer of the second entry: the third no longer chains.
    let tampered = text.replacen(
        "L-2\",\"customer_id\":\"ACME-001\"",
        "L-2\",\"customer_id\":\"OTHER\"",
        1,
    );
    assert_ne!(tampered, text);
    std::fs::write(d.join("tampered.jsonl"), &tampered).unwrap();
    let out = licet()
        .current_dir(d)
        .args(["ledger", "verify", "tampered.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("line 3") && stdout.contains("chain is broken"),
        "{stdout}"
    );

    // The last entry has no successor: only the recorded head shows that it changed.
    let last_changed = text.replace("\"action\":\"revoke\"", "\"action\":\"issue\"");
    std::fs::write(d.join("last.jsonl"), &last_changed).unwrap();
    licet()
        .current_dir(d)
        .args(["ledger", "verify", "last.jsonl"])
        .assert()
        .code(0);
    let out = licet()
        .current_dir(d)
        .args(["ledger", "verify", "last.jsonl", "--head", &head])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("recorded head"));
    // An appended, intact ledger still contains the recorded head.
    issue(d, "L-4", "L-4.lic", &["--ledger", "ledger.jsonl"]);
    licet()
        .current_dir(d)
        .args(["ledger", "verify", "ledger.jsonl", "--head", &head])
        .assert()
        .code(0);
}

/// `licet revoke KEY LIST ARGS...` in `dir`: (exit code, stderr).
fn revoke_with(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = licet()
        .current_dir(dir)
        .args(["revoke", "--key", "v.key.pem", "--list", "list.jwt"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn revoke_refuses_ids_it_does_not_recognise_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vendor(d);
    issue(d, "L-1", "one.lic", &["--ledger", "ledger.jsonl"]);

    // Not a UUID and no ledger to look it up in: refused, nothing signed.
    let (code, stderr) = revoke_with(d, &["L-1"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`L-1`") && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(!d.join("list.jwt").exists());

    // Issued in the ledger given: recognised.
    let (code, stderr) = revoke_with(d, &["--ledger", "ledger.jsonl", "L-1"]);
    assert_eq!(code, 0, "{stderr}");
    let signed = std::fs::read(d.join("list.jwt")).unwrap();

    // A mistyped id among good ones: the whole command is refused, the bad id named.
    let uuid = "6f0c5a2e-3b1d-4c8e-9a7f-2d4b6e8c0a13";
    let (code, stderr) = revoke_with(d, &["--ledger", "ledger.jsonl", "L-1", uuid, "L-l"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`L-l`") && !stderr.contains("`L-1`"),
        "{stderr}"
    );
    assert!(stderr.contains("ledger.jsonl"), "{stderr}");
    assert_eq!(std::fs::read(d.join("list.jwt")).unwrap(), signed);

    // A UUID in licet's form needs no ledger; the same UUID in upper case would revoke nothing
    // (ids are compared exactly), so it is refused.
    let (code, stderr) = revoke_with(d, &[uuid]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = revoke_with(d, &[&uuid.to_uppercase()]);
    assert_eq!(code, 2, "{stderr}");

    // --force revokes any id as given.
    let before = std::fs::read(d.join("list.jwt")).unwrap();
    let (code, stderr) = revoke_with(d, &["--force", "L-2024-0042"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("L-2024-0042"), "{stderr}");
    assert_ne!(std::fs::read(d.join("list.jwt")).unwrap(), before);
}
