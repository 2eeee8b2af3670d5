//! Issue 13 §2 end to end: a vendor moves an air-gapped site from key A to key B with a rollover
//! statement, tried as the customer who wants more than they paid for: a forged or tampered
//! statement, a statement written into the state file by hand, a license the retired key signed
//! after its retirement, the old key's revocations left behind in the rotation, a stolen key that
//! introduces a key of its own or revokes its successor.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::licet;
use serde_json::Value;
use std::path::Path;

const T0: &str = "2026-01-01T00:00:00Z";
const RETIRE_AT: &str = "2026-07-01T00:00:00Z";

fn keygen(dir: &Path, name: &str, alg: &str) {
    licet()
        .current_dir(dir)
        .args(["keygen", "--alg", alg, "--out", name])
        .assert()
        .success();
}

fn issue(dir: &Path, key: &str, id: &str, issued_at: &str) {
    licet()
        .current_dir(dir)
        .args([
            "issue",
            "--key",
            key,
            "--customer",
            "ACME-001",
            "--days",
            "3650",
        ])
        .args(["--license-id", id, "--issued-at", issued_at])
        .args(["--out", &format!("{id}.lic")])
        .assert()
        .success();
}

/// `licet verify ID.lic --pubkey a.pub.pem --json EXTRA...`: (exit code, report).
fn verify(dir: &Path, id: &str, extra: &[&str]) -> (i32, Value) {
    let out = licet()
        .current_dir(dir)
        .args([
            "verify",
            &format!("{id}.lic"),
            "--pubkey",
            "a.pub.pem",
            "--json",
        ])
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "verify {id}: no JSON report; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

fn status(dir: &Path, id: &str, extra: &[&str]) -> String {
    verify(dir, id, extra).1["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `licet trust add FILE --state state --pubkey a.pub.pem`: (exit code, stdout, stderr).
fn trust_add(dir: &Path, file: &str) -> (i32, String, String) {
    let out = licet()
        .current_dir(dir)
        .args([
            "trust",
            "add",
            file,
            "--state",
            "state",
            "--pubkey",
            "a.pub.pem",
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn trust_list(dir: &Path) -> Value {
    let out = licet()
        .current_dir(dir)
        .args([
            "trust",
            "list",
            "--state",
            "state",
            "--pubkey",
            "a.pub.pem",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `licet key rollover --old OLD --new NEW --out OUT`, which must succeed.
fn rollover(dir: &Path, old: &str, new: &str, out: &str) {
    licet()
        .current_dir(dir)
        .args(["key", "rollover", "--old", old, "--new", new, "--out", out])
        .assert()
        .success();
}

fn kid(dir: &Path, public: &str) -> String {
    let out = licet()
        .current_dir(dir)
        .args(["key", "jwks", public])
        .output()
        .unwrap();
    let jwks: Value = serde_json::from_slice(&out.stdout).unwrap();
    jwks["keys"][0]["kid"].as_str().unwrap().to_owned()
}

/// The vendor's side: keys A (Ed25519) and B (RSA, PS256), licenses of A before the rotation,
/// A's revocation list, and the rollover A -> B that retires A from RETIRE_AT.
fn vendor() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d, "a", "ed25519");
    keygen(d, "b", "ps256");
    issue(d, "a.key.pem", "A-KEPT", T0);
    issue(d, "a.key.pem", "A-REVOKED", T0);
    licet()
        .current_dir(d)
        .args([
            "revoke",
            "--key",
            "a.key.pem",
            "--list",
            "a-list.jwt",
            "--force",
            "A-REVOKED",
        ])
        .assert()
        .success();
    licet()
        .current_dir(d)
        .args([
            "key",
            "rollover",
            "--old",
            "a.key.pem",
            "--new",
            "b.pub.pem",
        ])
        .args(["--retire-old", RETIRE_AT, "--out", "rollover.jwt", "--json"])
        .assert()
        .success();
    dir
}

#[test]
fn a_site_moves_from_key_a_to_key_b_and_keeps_a_s_revocations() {
    let dir = vendor();
    let d = dir.path();
    let (a, b) = (kid(d, "a.pub.pem"), kid(d, "b.pub.pem"));
    // The site trusts A only; it has seen A's list once, in a check with its state.
    assert_eq!(
        status(
            d,
            "A-REVOKED",
            &["--state", "state", "--revocations", "a-list.jwt"]
        ),
        "REVOKED"
    );
    issue(d, "b.key.pem", "B-NEW", "2026-06-02T00:00:00Z");
    assert_eq!(status(d, "B-NEW", &["--state", "state"]), "UNKNOWN_KEY");

    let (code, stdout, stderr) = trust_add(d, "rollover.jwt");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&b) && stdout.contains(&a), "{stdout}");
    // Adding it again changes nothing and says so.
    let (code, stdout, _) = trust_add(d, "rollover.jwt");
    assert_eq!(code, 0);
    assert!(stdout.contains("already"), "{stdout}");

    let list = trust_list(d);
    let keys = list["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{list}");
    assert_eq!(keys[0]["kid"], a.as_str());
    assert_eq!(keys[0]["source"], "given");
    assert_eq!(keys[0]["retiredFrom"], "2026-07-01T00:00:00Z");
    assert_eq!(keys[1]["kid"], b.as_str());
    assert_eq!(keys[1]["source"], "rollover");
    assert_eq!(keys[1]["introducedBy"], a.as_str());
    assert_eq!(keys[1]["algorithms"], serde_json::json!(["PS256"]));
    assert_eq!(keys[1]["standing"], "TRUSTED");

    // With the state, B's license verifies with only A given; without it, B is unknown.
    let (code, report) = verify(d, "B-NEW", &["--state", "state"]);
    assert_eq!(
        (code, report["status"].as_str()),
        (0, Some("ACTIVE")),
        "{report}"
    );
    assert_eq!(status(d, "B-NEW", &[]), "UNKNOWN_KEY");
    // A's revocation sticks through the rotation; A's earlier licenses stay valid.
    assert_eq!(status(d, "A-REVOKED", &["--state", "state"]), "REVOKED");
    assert_eq!(status(d, "A-KEPT", &["--state", "state"]), "ACTIVE");
    // A license A signs on or after its retirement date is refused, with its own status.
    issue(d, "a.key.pem", "A-LATE", RETIRE_AT);
    let (code, report) = verify(d, "A-LATE", &["--state", "state"]);
    assert_eq!(code, 1);
    assert_eq!(report["status"], "KEY_RETIRED", "{report}");
    assert!(report["reason"].as_str().unwrap().contains("retired"));
    issue(d, "a.key.pem", "A-JUST-BEFORE", "2026-06-30T23:59:59Z");
    assert_eq!(status(d, "A-JUST-BEFORE", &["--state", "state"]), "ACTIVE");
    // After its retirement date A introduces no more keys: a thief holding A cannot add one.
    keygen(d, "thief", "ed25519");
    rollover(d, "a.key.pem", "thief.pub.pem", "to-thief.jwt");
    let (code, _, stderr) = trust_add(d, "to-thief.jwt");
    assert_eq!(code, 2);
    assert!(stderr.contains("retired"), "{stderr}");

    // B's first list carries A's entries forward: a site that never saw A's list refuses
    // A-REVOKED with B's list alone.
    let out = licet()
        .current_dir(d)
        .args(["revoke", "--key", "b.key.pem", "--list", "b-list.jwt"])
        .args([
            "--carry-forward",
            "a-list.jwt",
            "--pubkey",
            "a.pub.pem",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["carried"], 1, "{summary}");
    assert_eq!(summary["kid"], b.as_str());
    licet()
        .current_dir(d)
        .args([
            "trust",
            "add",
            "rollover.jwt",
            "--state",
            "fresh",
            "--pubkey",
            "a.pub.pem",
        ])
        .assert()
        .success();
    let fresh = ["--state", "fresh", "--revocations", "b-list.jwt"];
    assert_eq!(status(d, "A-REVOKED", &fresh), "REVOKED");
    assert_eq!(status(d, "A-KEPT", &fresh), "ACTIVE");
    // Carrying a list forward without the key that verifies it is refused, nothing written.
    let out = licet()
        .current_dir(d)
        .args(["revoke", "--key", "b.key.pem", "--list", "c-list.jwt"])
        .args(["--carry-forward", "a-list.jwt", "--pubkey", "b.pub.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!d.join("c-list.jwt").exists());
}

#[test]
fn forged_tampered_and_hand_written_statements_add_no_key() {
    let dir = vendor();
    let d = dir.path();
    keygen(d, "thief", "ed25519");
    keygen(d, "thief2", "ed25519");
    // A statement signed by a key the site does not trust.
    rollover(d, "thief.key.pem", "thief2.pub.pem", "forged.jwt");
    let (code, _, stderr) = trust_add(d, "forged.jwt");
    assert_eq!(code, 2);
    assert!(stderr.contains("no trusted key"), "{stderr}");
    // A's genuine statement with the new key swapped in the payload fails its signature.
    rollover(d, "a.key.pem", "thief.pub.pem", "to-thief.jwt");
    let genuine = std::fs::read_to_string(d.join("rollover.jwt")).unwrap();
    let other = std::fs::read_to_string(d.join("to-thief.jwt")).unwrap();
    let g: Vec<&str> = genuine.trim().split('.').collect();
    let o: Vec<&str> = other.trim().split('.').collect();
    std::fs::write(
        d.join("tampered.jwt"),
        format!("{}.{}.{}", g[0], o[1], g[2]),
    )
    .unwrap();
    let (code, _, stderr) = trust_add(d, "tampered.jwt");
    assert_eq!(code, 2);
    assert!(stderr.contains("signature"), "{stderr}");
    // A license is not a statement.
    let (code, _, stderr) = trust_add(d, "A-KEPT.lic");
    assert_eq!(code, 2);
    assert!(stderr.contains("key-rollover+jwt"), "{stderr}");
    assert!(!d.join("state/state.json").exists(), "nothing was recorded");

    // The statement the thief signed, written into the state file by hand: the chain is
    // verified again from --pubkey on every load, so it adds nothing.
    trust_add(d, "rollover.jwt");
    let path = d.join("state/state.json");
    let mut state: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(state["version"], 3);
    state["rollovers"]
        .as_array_mut()
        .unwrap()
        .push(Value::String(
            std::fs::read_to_string(d.join("forged.jwt"))
                .unwrap()
                .trim()
                .into(),
        ));
    std::fs::write(&path, serde_json::to_vec(&state).unwrap()).unwrap();
    issue(d, "thief2.key.pem", "T-1", "2026-06-02T00:00:00Z");
    assert_eq!(status(d, "T-1", &["--state", "state"]), "UNKNOWN_KEY");
    let list = trust_list(d);
    assert_eq!(list["keys"].as_array().unwrap().len(), 2, "{list}");
    assert_eq!(list["statements"][1]["status"], "NOT_APPLIED", "{list}");
    // And a bare key written into the state is refused as corruption, never trusted.
    let mut state: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    state["trusted_keys"] = serde_json::json!(["thief2"]);
    std::fs::write(&path, serde_json::to_vec(&state).unwrap()).unwrap();
    let out = licet()
        .current_dir(d)
        .args([
            "verify",
            "T-1.lic",
            "--pubkey",
            "a.pub.pem",
            "--state",
            "state",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("corrupt"));
}

#[test]
fn a_stolen_key_is_revoked_by_its_successor_and_cannot_strike_back() {
    let dir = vendor();
    let d = dir.path();
    let a = kid(d, "a.pub.pem");
    // A handover that leaves A unretired (with a retirement date in the past, the thief's
    // statement below would be refused as signed by a retired key; the first test shows that).
    rollover(d, "a.key.pem", "b.pub.pem", "handover.jwt");
    assert_eq!(trust_add(d, "handover.jwt").0, 0);
    issue(d, "b.key.pem", "B-1", "2026-06-02T00:00:00Z");
    // The thief, holding A, introduces a key of their own before the vendor notices.
    keygen(d, "thief", "ed25519");
    rollover(d, "a.key.pem", "thief.pub.pem", "to-thief.jwt");
    assert_eq!(trust_add(d, "to-thief.jwt").0, 0);
    issue(d, "thief.key.pem", "T-1", "2026-06-03T00:00:00Z");
    assert_eq!(status(d, "T-1", &["--state", "state"]), "ACTIVE");

    // The thief's list revoking B is refused: a key may revoke only itself and its ancestors.
    licet()
        .current_dir(d)
        .args(["revoke", "--key", "a.key.pem", "--list", "thief-list.jwt"])
        .args(["--revoke-key", "b.pub.pem"])
        .assert()
        .success();
    let (code, report) = verify(
        d,
        "B-1",
        &["--state", "state", "--revocations", "thief-list.jwt"],
    );
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["status"], "ACTIVE");
    assert_eq!(
        report["revocationLists"][0]["status"], "NOT_AUTHORIZED",
        "{report}"
    );
    assert_eq!(
        status(d, "B-1", &["--state", "state"]),
        "ACTIVE",
        "not recorded"
    );

    // The vendor revokes A from its creation with B: A's licenses and every key A introduced
    // (the thief's) fall; B stands on its own introduction.
    licet()
        .current_dir(d)
        .args([
            "revoke",
            "--key",
            "b.key.pem",
            "--list",
            "b-list.jwt",
            "--reason",
            "key stolen",
        ])
        .args(["--revoke-key", &a])
        .assert()
        .success();
    let (code, report) = verify(
        d,
        "A-KEPT",
        &["--state", "state", "--revocations", "b-list.jwt"],
    );
    assert_eq!(code, 1);
    assert_eq!(report["status"], "KEY_REVOKED", "{report}");
    assert!(
        report["reason"].as_str().unwrap().contains("key stolen"),
        "{report}"
    );
    let (_, report) = verify(d, "T-1", &["--state", "state"]);
    assert_eq!(
        report["status"], "KEY_REVOKED",
        "kept in the state: {report}"
    );
    assert!(
        report["reason"].as_str().unwrap().contains("rollover"),
        "{report}"
    );
    assert_eq!(status(d, "B-1", &["--state", "state"]), "ACTIVE");
    let list = trust_list(d);
    let standing: Vec<&str> = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["standing"].as_str().unwrap())
        .collect();
    assert_eq!(
        standing,
        ["KEY_REVOKED", "TRUSTED", "KEY_REVOKED"],
        "{list}"
    );

    // A new statement signed by the revoked key is refused at the door.
    keygen(d, "thief2", "ed25519");
    rollover(d, "a.key.pem", "thief2.pub.pem", "to-thief2.jwt");
    let (code, _, stderr) = trust_add(d, "to-thief2.jwt");
    assert_eq!(code, 2);
    assert!(stderr.contains("revoked"), "{stderr}");
}

#[test]
fn rollover_and_trust_refuse_bad_input_with_named_errors() {
    let dir = vendor();
    let d = dir.path();
    // --out never replaces a file.
    let out = licet()
        .current_dir(d)
        .args([
            "key",
            "rollover",
            "--old",
            "a.key.pem",
            "--new",
            "b.pub.pem",
            "--out",
            "a-list.jwt",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    // The old key as the new one.
    let out = licet()
        .current_dir(d)
        .args([
            "key",
            "rollover",
            "--old",
            "a.key.pem",
            "--new",
            "a.pub.pem",
            "--out",
            "x.jwt",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the new key is the old key"));
    // A private key as the new public key.
    let out = licet()
        .current_dir(d)
        .args([
            "key",
            "rollover",
            "--old",
            "a.key.pem",
            "--new",
            "b.key.pem",
            "--out",
            "x.jwt",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("private key"));
    assert!(!d.join("x.jwt").exists());
    // `licet verify` given the statement names what it is.
    let out = licet()
        .current_dir(d)
        .args(["verify", "rollover.jwt", "--pubkey", "a.pub.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("trust add"));
    // revoke with nothing to do.
    let out = licet()
        .current_dir(d)
        .args(["revoke", "--key", "a.key.pem", "--list", "n.jwt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to revoke"));
    let out = licet()
        .current_dir(d)
        .args([
            "revoke",
            "--key",
            "a.key.pem",
            "--list",
            "n.jwt",
            "--revoke-key",
            "not a kid!",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither a public-key file nor a kid"));
}

/// The statement is plain JOSE: PyJWT verifies it with the old public key alone, and the JWK it
/// carries is the new public key.
#[test]
fn pyjwt_verifies_a_rollover_with_the_old_public_key() {
    let dir = vendor();
    let d = dir.path();
    let script = r#"
import json, sys, jwt
token = open(sys.argv[1]).read().strip()
old = open(sys.argv[2]).read()
old = old[old.index("-----BEGIN"):]  # after licet's algorithm annotation
header = jwt.get_unverified_header(token)
assert header["typ"] == "key-rollover+jwt", header
claims = jwt.decode(token, old, algorithms=["EdDSA"])
new = jwt.PyJWK(claims["new_key"])
print(json.dumps({"kid": claims["new_key"]["kid"], "alg": new.algorithm_name,
                  "old_kid": claims["old_kid"], "header_kid": header["kid"]}))
"#;
    let out = common::python()
        .current_dir(d)
        .args(["-c", script, "rollover.jwt", "a.pub.pem"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["kid"], kid(d, "b.pub.pem").as_str());
    assert_eq!(seen["alg"], "PS256");
    assert_eq!(seen["old_kid"], kid(d, "a.pub.pem").as_str());
    assert_eq!(seen["header_kid"], seen["old_kid"]);
    // With B's key instead, PyJWT refuses it.
    let script = r#"
import sys, jwt
token = open(sys.argv[1]).read().strip()
other = open(sys.argv[2]).read()
try:
    jwt.decode(token, other[other.index("-----BEGIN"):], algorithms=["PS256"])
except jwt.InvalidTokenError:
    sys.exit(0)
sys.exit(1)
"#;
    let out = common::python()
        .current_dir(d)
        .args(["-c", script, "rollover.jwt", "b.pub.pem"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A kept list whose key entry the chain no longer allows (a key it named became trusted through
/// another branch) still enforces its license entries: nothing it revoked comes back.
#[test]
fn a_kept_list_keeps_its_license_revocations_when_the_chain_changes() {
    let dir = vendor();
    let d = dir.path();
    keygen(d, "x", "ed25519");
    rollover(d, "a.key.pem", "b.pub.pem", "handover.jwt");
    rollover(d, "a.key.pem", "x.pub.pem", "to-x.jwt");
    assert_eq!(trust_add(d, "handover.jwt").0, 0);
    issue(d, "b.key.pem", "B-GONE", "2026-06-02T00:00:00Z");
    // B's list revokes B-GONE and names key X, which nobody trusts yet (allowed, no effect).
    licet()
        .current_dir(d)
        .args([
            "revoke",
            "--key",
            "b.key.pem",
            "--list",
            "b-list.jwt",
            "--force",
            "B-GONE",
        ])
        .args(["--revoke-key", "x.pub.pem"])
        .assert()
        .success();
    assert_eq!(
        status(
            d,
            "B-GONE",
            &["--state", "state", "--revocations", "b-list.jwt"]
        ),
        "REVOKED"
    );
    // X becomes trusted through A: B may not revoke its sibling, so that entry is dropped on
    // load, and B-GONE stays revoked.
    assert_eq!(trust_add(d, "to-x.jwt").0, 0);
    assert_eq!(status(d, "B-GONE", &["--state", "state"]), "REVOKED");
    issue(d, "x.key.pem", "X-1", "2026-06-03T00:00:00Z");
    assert_eq!(status(d, "X-1", &["--state", "state"]), "ACTIVE");
    // Given fresh, the same list is refused as a whole, and says why.
    let (code, report) = verify(
        d,
        "X-1",
        &["--revocations", "b-list.jwt", "--state", "state"],
    );
    assert_eq!(code, 1);
    assert_eq!(
        report["revocationLists"][0]["status"], "NOT_AUTHORIZED",
        "{report}"
    );
}

/// `licet reissue ... --json` in `dir`: (exit code, summary or Null, stderr).
fn reissue(dir: &Path, extra: &[&str]) -> (i32, Value, String) {
    let out = licet()
        .current_dir(dir)
        .args(["reissue", "--ledger", "issued.jsonl", "--key", "b.key.pem"])
        .args(["--pubkey", "a.pub.pem", "--out-dir", "reissued", "--json"])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Issue 13 §3: the fleet A signed (recorded with its claims in the ledger) is minted again
/// under B: live licenses only, each once, with the same claims and `replaces`; B's public key
/// alone verifies the new set; `licet audit` reconciles it with the ledger and names the old
/// files as replaced; a changed ledger re-issues nothing.
#[test]
fn a_fleet_is_reissued_under_key_b_and_the_audit_reconciles_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d, "a", "ed25519");
    keygen(d, "b", "ps256");
    let issue_ledgered = |id: &str, extra: &[&str]| {
        licet()
            .current_dir(d)
            .args(["issue", "--key", "a.key.pem", "--customer", "ACME-001"])
            .args(["--license-id", id, "--issued-at", T0, "--product", "app"])
            .args(["--ledger", "issued.jsonl", "--out", &format!("{id}.lic")])
            .args(extra)
            .assert()
            .success();
    };
    issue_ledgered("L-LIVE", &["--days", "3650", "--feature", "seats=10"]);
    issue_ledgered("L-PERPETUAL", &["--type", "PERPETUAL"]);
    issue_ledgered("L-LAPSING", &["--expires", "2027-01-15"]);
    issue_ledgered("L-REVOKED", &["--days", "3650"]);
    licet()
        .current_dir(d)
        .args(["revoke", "--key", "a.key.pem", "--list", "a-list.jwt"])
        .args(["--ledger", "issued.jsonl", "L-REVOKED"])
        .assert()
        .success();
    let ledger_before = std::fs::read(d.join("issued.jsonl")).unwrap();

    // A dry run signs and writes nothing.
    let (code, plan, err) = reissue(d, &["--only-valid-at", "2027-02-01", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(plan["reissued"].as_array().unwrap().len(), 2, "{plan:#}");
    assert!(!d.join("reissued").exists());
    assert_eq!(
        std::fs::read(d.join("issued.jsonl")).unwrap(),
        ledger_before
    );
    // The successor's list that revokes the stolen old key is usable here (its license entries
    // count; its key entry is not judged without the rollover), a typo in the ledger's name is
    // named and makes no file, and a head that is not one is a usage error.
    licet()
        .current_dir(d)
        .args(["revoke", "--key", "b.key.pem", "--list", "b-list.jwt"])
        .args(["--revoke-key", "a.pub.pem", "--force", "L-NOBODY"])
        .assert()
        .success();
    let (code, _, err) = reissue(d, &["--dry-run", "--revocations", "b-list.jwt"]);
    assert_eq!(code, 0, "{err}");
    let out = licet()
        .current_dir(d)
        .args(["reissue", "--ledger", "nope.jsonl", "--key", "b.key.pem"])
        .args([
            "--pubkey",
            "a.pub.pem",
            "--out-dir",
            "reissued",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.jsonl does not exist"));
    assert!(!d.join("nope.jsonl").exists());
    let (code, _, err) = reissue(d, &["--dry-run", "--head", "xyz"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("64 hex digits"), "{err}");
    // The issue's own form, without --pubkey: the same plan, and the report says that only the
    // ledger's hashes vouched for the files.
    let out = licet()
        .current_dir(d)
        .args(["reissue", "--ledger", "issued.jsonl", "--key", "b.key.pem"])
        .args([
            "--out-dir",
            "reissued",
            "--only-valid-at",
            "2027-02-01",
            "--dry-run",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let unchecked: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(unchecked["signaturesChecked"], false);
    assert_eq!(
        unchecked["reissued"].as_array().unwrap().len(),
        2,
        "{unchecked:#}"
    );
    // A license revoked by a list the ledger never heard of is not re-issued either.
    licet()
        .current_dir(d)
        .args(["revoke", "--key", "a.key.pem", "--list", "other-list.jwt"])
        .args(["--force", "L-PERPETUAL"])
        .assert()
        .success();
    let (code, plan, err) = reissue(
        d,
        &[
            "--only-valid-at",
            "2027-02-01",
            "--dry-run",
            "--revocations",
            "other-list.jwt",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(plan["reissued"].as_array().unwrap().len(), 1, "{plan:#}");
    assert!(plan["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["licenseId"] == "L-PERPETUAL" && s["by"] == "a revocation list given"));

    let (code, summary, err) = reissue(d, &["--only-valid-at", "2027-02-01"]);
    assert_eq!(code, 0, "{err}");
    let replaced: Vec<&str> = summary["reissued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["replaces"].as_str().unwrap())
        .collect();
    assert_eq!(replaced, ["L-LIVE", "L-PERPETUAL"]);
    let skipped: Vec<(&str, &str)> = summary["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["licenseId"].as_str().unwrap(),
                s["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [("L-LAPSING", "expired"), ("L-REVOKED", "revoked")]
    );

    // Every new file verifies with B alone, carries A's claims, and names what it replaces.
    let b_kid = kid(d, "b.pub.pem");
    let files: Vec<String> = std::fs::read_dir(d.join("reissued"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    for entry in summary["reissued"].as_array().unwrap() {
        let file = entry["file"].as_str().unwrap();
        let out = licet()
            .current_dir(d)
            .args(["verify", file, "--pubkey", "b.pub.pem", "--json"])
            .args(["--product", "app"])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["status"], "ACTIVE", "{report:#}");
        assert_eq!(report["kid"], b_kid.as_str(), "{report:#}");
        let out = licet()
            .current_dir(d)
            .args(["inspect", file, "--json"])
            .output()
            .unwrap();
        let inspected: Value = serde_json::from_slice(&out.stdout).unwrap();
        let claims = &inspected["untrusted"]["claims"];
        assert_eq!(claims["replaces"], entry["replaces"]);
        assert_eq!(claims["jti"], entry["licenseId"]);
        assert_ne!(claims["jti"], entry["replaces"]);
        assert_eq!(claims["sub"], "ACME-001");
        assert_eq!(claims["aud"], "app");
        if entry["replaces"] == "L-LIVE" {
            assert_eq!(claims["features"]["seats"], 10);
        }
        // A's key does not verify it: the fleet really moved.
        let status = licet()
            .current_dir(d)
            .args(["verify", file, "--pubkey", "a.pub.pem"])
            .output()
            .unwrap()
            .status;
        assert_eq!(status.code(), Some(1));
    }

    // The ledger records the new files (action reissue, with their claims); the audit of the
    // new set reconciles with it.
    let ledger = std::fs::read_to_string(d.join("issued.jsonl")).unwrap();
    assert_eq!(ledger.matches("\"action\":\"reissue\"").count(), 2);
    let audit = |paths: &[&str], keys: &[&str]| -> Value {
        let mut cmd = licet();
        cmd.current_dir(d).arg("audit").args(paths);
        for key in keys {
            cmd.args(["--pubkey", key]);
        }
        let out = cmd
            .args(["--ledger", "issued.jsonl", "--json"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let report = audit(&["reissued"], &["b.pub.pem"]);
    assert_eq!(report["ledger"]["reconciled"], true, "{report:#}");
    assert_eq!(report["summary"]["valid"], 2, "{report:#}");
    assert_eq!(report["summary"]["byKid"][b_kid.as_str()], 2, "{report:#}");
    assert_eq!(report["ledger"]["replaced"], serde_json::json!([]));
    // Old and new files together: the old ones are named as replaced.
    let both = audit(
        &["reissued", "L-LIVE.lic", "L-PERPETUAL.lic"],
        &["a.pub.pem", "b.pub.pem"],
    );
    assert_eq!(both["ledger"]["reconciled"], true, "{both:#}");
    let mut old: Vec<&str> = both["ledger"]["replaced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["licenseId"].as_str().unwrap())
        .collect();
    old.sort_unstable();
    assert_eq!(old, ["L-LIVE", "L-PERPETUAL"]);

    // Run again: nothing is re-issued twice.
    let (code, again, err) = reissue(d, &["--only-valid-at", "2027-02-01"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(again["reissued"], serde_json::json!([]), "{again:#}");
    assert_eq!(std::fs::read_dir(d.join("reissued")).unwrap().count(), 2);

    // Revoking the old license later revokes its re-issue too (the ledger links them), so the
    // customer does not keep the right through the new file.
    let out = licet()
        .current_dir(d)
        .args(["revoke", "--key", "a.key.pem", "--list", "late-list.jwt"])
        .args(["--ledger", "issued.jsonl", "L-LIVE", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let revoked: Value = serde_json::from_slice(&out.stdout).unwrap();
    let live_replacement = summary["reissued"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["replaces"] == "L-LIVE")
        .unwrap();
    assert_eq!(
        revoked["reissuesRevoked"][0]["licenseId"], live_replacement["licenseId"],
        "{revoked:#}"
    );
    let out = licet()
        .current_dir(d)
        .args(["verify", live_replacement["file"].as_str().unwrap()])
        .args(["--pubkey", "b.pub.pem", "--pubkey", "a.pub.pem"])
        .args([
            "--revocations",
            "late-list.jwt",
            "--product",
            "app",
            "--json",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "REVOKED", "{report:#}");

    // A ledger someone changed re-issues nothing (exit 2, named), and writes nothing.
    let with_new_entries = std::fs::read(d.join("issued.jsonl")).unwrap();
    let tampered = String::from_utf8(with_new_entries.clone())
        .unwrap()
        .replacen(
            "\"customer_id\":\"ACME-001\"",
            "\"customer_id\":\"EVIL\"",
            1,
        );
    std::fs::write(d.join("issued.jsonl"), &tampered).unwrap();
    std::fs::remove_dir_all(d.join("reissued")).unwrap();
    let (code, _, err) = reissue(d, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("chain is broken"), "{err}");
    assert!(!d.join("reissued").exists());
    assert_eq!(
        std::fs::read_to_string(d.join("issued.jsonl")).unwrap(),
        tampered
    );

    // An --out-dir that is a file is refused before anything is signed.
    std::fs::write(d.join("issued.jsonl"), &with_new_entries).unwrap();
    std::fs::write(d.join("reissued"), "a file").unwrap();
    let (code, _, err) = reissue(d, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not a directory"), "{err}");
}

/// A ledger entry written before the ledger kept license files cannot be re-issued: it is listed
/// and the command exits 1, so a script notices the license it could not move.
#[test]
fn a_license_recorded_without_its_file_is_reported_and_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d, "a", "ed25519");
    keygen(d, "b", "ed25519");
    let old = r#"{"seq":1,"time":"2026-01-01T00:00:00Z","action":"issue","license_id":"L-OLD","customer_id":"ACME-001","kid":"k","file_sha256":"0000000000000000000000000000000000000000000000000000000000000000","prev_sha256":"0000000000000000000000000000000000000000000000000000000000000000"}"#;
    std::fs::write(d.join("issued.jsonl"), format!("{old}\n")).unwrap();
    let (code, summary, err) = reissue(d, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(summary["skipped"][0]["licenseId"], "L-OLD");
    assert_eq!(summary["skipped"][0]["reason"], "noFile");
    assert_eq!(summary["ok"], false);
    // An empty ledger is an error: nothing checked is never success.
    std::fs::write(d.join("issued.jsonl"), "").unwrap();
    let (code, _, err) = reissue(d, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("records no license"), "{err}");
}
