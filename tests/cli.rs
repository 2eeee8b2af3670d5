//! The `licet` command line, exit codes and JSON shapes included.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::{licet, repo};
use licet_verifier::{LicenseView, Status};
use predicates::prelude::*;
use serde::Deserialize;
use std::path::Path;

/// `licet verify --json`: the documented, stable report shape.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Report {
    valid: bool,
    status: Status,
    reason: String,
    kid: Option<String>,
    alg: Option<String>,
    license: Option<LicenseView>,
    /// Each revocation list given, with its own status.
    // Declared so that `deny_unknown_fields` accepts the documented shape; not read here.
    #[allow(dead_code)]
    #[serde(rename = "revocationLists")]
    revocation_lists: Vec<serde_json::Value>,
    /// How many lists the license was checked against.
    #[allow(dead_code)]
    #[serde(rename = "listsEnforced")]
    lists_enforced: usize,
}

fn keygen(dir: &Path, alg: &str, name: &str) -> String {
    let out = licet()
        .current_dir(dir)
        .args(["keygen", "--alg", alg, "--out", name, "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    summary["kid"].as_str().unwrap().to_owned()
}

fn issue(dir: &Path, key: &str, extra: &[&str]) -> String {
    let out = licet()
        .current_dir(dir)
        .args([
            "issue",
            "--key",
            key,
            "--customer",
            "ACME-001",
            "--issued-at",
            "2026-01-01T00:00:00Z",
        ])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn verify_json(dir: &Path, file: &str, args: &[&str]) -> (i32, Report) {
    let out = licet()
        .current_dir(dir)
        .args(["verify", file, "--json"])
        .args(args)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not a report ({e}): {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let code = out.status.code().unwrap();
    let report: Report = report;
    // These tests give no revocation list: none is reported, none enforced.
    assert!(report.revocation_lists.is_empty() && report.lists_enforced == 0);
    assert_eq!(
        report.valid,
        code == 0,
        "`valid` and the exit code disagree"
    );
    (code, report)
}

#[test]
fn keygen_writes_private_key_0600_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "ed25519", "v");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("v.key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let before = std::fs::read(dir.path().join("v.key.pem")).unwrap();
    licet()
        .current_dir(dir.path())
        .args(["keygen", "--alg", "ed25519", "--out", "v"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists; use --force"));
    assert_eq!(
        std::fs::read(dir.path().join("v.key.pem")).unwrap(),
        before,
        "the refused keygen changed the key"
    );
    licet()
        .current_dir(dir.path())
        .args(["keygen", "--alg", "ed25519", "--out", "v", "--force"])
        .assert()
        .success();
    assert_ne!(std::fs::read(dir.path().join("v.key.pem")).unwrap(), before);
    // No temporary files left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn keygen_usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    licet()
        .current_dir(dir.path())
        .args(["keygen", "--alg", "ed25519", "--bits", "2048", "--out", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--bits applies to RSA keys only"));
    licet()
        .current_dir(dir.path())
        .args(["keygen", "--alg", "rs256", "--bits", "1024", "--out", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("2048, 3072 or 4096"));
    licet()
        .current_dir(dir.path())
        .args(["keygen", "--alg", "dsa", "--out", "x"])
        .assert()
        .code(2);
    licet().args(["no-such-command"]).assert().code(2);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "a failed keygen wrote files"
    );
}

#[test]
fn rsa_keygen_issue_and_verify_rs256_and_ps256() {
    let dir = tempfile::tempdir().unwrap();
    let kid = keygen(dir.path(), "ps256", "r");
    for alg in ["RS256", "ps256"] {
        let token = issue(dir.path(), "r.key.pem", &["--alg", alg, "--out", "l.lic"]);
        assert!(token.is_empty(), "--out writes nothing to stdout");
        let (code, report) = verify_json(
            dir.path(),
            "l.lic",
            &["--pubkey", "r.pub.pem", "--at", "2026-06-01T00:00:00Z"],
        );
        assert_eq!(
            (code, report.status),
            (0, Status::Active),
            "{}",
            report.reason
        );
        assert_eq!(
            report.alg.as_deref(),
            Some(alg.to_ascii_uppercase().as_str())
        );
        assert_eq!(report.kid.as_deref(), Some(kid.as_str()));
    }
    licet()
        .current_dir(dir.path())
        .args([
            "issue",
            "--key",
            "r.key.pem",
            "--customer",
            "C",
            "--alg",
            "EdDSA",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot sign EdDSA"));
}

#[test]
fn issue_with_every_option_round_trips_through_verify() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "ed25519", "v");
    let machine = "a".repeat(64);
    let token = issue(
        dir.path(),
        "v.key.pem",
        &[
            "--type",
            "TRIAL",
            "--expires",
            "2026-12-31",
            "--not-before",
            "2026-01-02",
            "--grace-days",
            "5",
            "--feature",
            "seats=10",
            "--feature",
            "tier=gold",
            "--machine",
            &machine.to_ascii_uppercase(),
            "--license-key",
            "abcde-12345-fghij-67890-klmno",
            "--product",
            "app",
            "--issuer",
            "Vendor",
            "--owner-name",
            "Ada",
            "--owner-email",
            "ada@example.com",
            "--license-id",
            "L-42",
        ],
    );
    std::fs::write(dir.path().join("l.lic"), &token).unwrap();
    let (code, report) = verify_json(
        dir.path(),
        "l.lic",
        &[
            "--pubkey",
            "v.pub.pem",
            "--machine",
            &machine,
            "--product",
            "app",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
    );
    assert_eq!(code, 0, "{}", report.reason);
    let license = report.license.unwrap();
    assert_eq!(license.license_id, "L-42");
    assert_eq!(license.license_type, "TRIAL");
    assert_eq!(
        license.expiry.as_deref(),
        Some("2027-01-01T00:00:00Z"),
        "a bare --expires date is valid through that day"
    );
    assert_eq!(license.not_before.as_deref(), Some("2026-01-02T00:00:00Z"));
    assert_eq!(license.machine_ids, Some(vec![machine.clone()]));
    assert_eq!(
        license.license_key.as_deref(),
        Some("ABCDE-12345-FGHIJ-67890-KLMNO")
    );
    assert_eq!(license.features.unwrap()["seats"], serde_json::json!(10));
    assert_eq!(license.grace_days, Some(5));
    assert!(license.enabled);

    let at = |t: &str| {
        verify_json(
            dir.path(),
            "l.lic",
            &["--pubkey", "v.pub.pem", "--machine", &machine, "--at", t],
        )
    };
    assert_eq!(at("2026-01-01T23:59:59Z").1.status, Status::NotYetValid);
    assert_eq!(at("2026-12-31T23:59:59Z").1.status, Status::Active);
    assert_eq!(
        at("2027-01-01T00:00:00Z").1.status,
        Status::InGrace,
        "at exactly exp the license is expired (in grace)"
    );
    let (code, report) = at("2027-01-06T00:00:00Z");
    assert_eq!((code, report.status), (1, Status::Expired));
    let (code, report) = verify_json(
        dir.path(),
        "l.lic",
        &[
            "--pubkey",
            "v.pub.pem",
            "--machine",
            &"b".repeat(64),
            "--at",
            "2026-06-01T00:00:00Z",
        ],
    );
    assert_eq!((code, report.status), (1, Status::MachineMismatch));
    let (code, report) = verify_json(
        dir.path(),
        "l.lic",
        &[
            "--pubkey",
            "v.pub.pem",
            "--machine",
            &machine,
            "--product",
            "other",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
    );
    assert_eq!((code, report.status), (1, Status::WrongProduct));
    let (_, report) = verify_json(
        dir.path(),
        "l.lic",
        &[
            "--pubkey",
            "v.pub.pem",
            "--machine",
            &machine,
            "--at",
            "2026-01-01T23:59:00Z",
            "--leeway",
            "60",
        ],
    );
    assert_eq!(report.status, Status::Active, "leeway applies to nbf");
}

#[test]
fn expiry_at_exactly_exp_without_grace_is_expired() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "ed25519", "v");
    let token = issue(
        dir.path(),
        "v.key.pem",
        &["--expires", "2026-03-01T00:00:00Z"],
    );
    std::fs::write(dir.path().join("l.lic"), token).unwrap();
    let (_, r) = verify_json(
        dir.path(),
        "l.lic",
        &["--pubkey", "v.pub.pem", "--at", "2026-02-28T23:59:59Z"],
    );
    assert_eq!(r.status, Status::Active);
    let (code, r) = verify_json(
        dir.path(),
        "l.lic",
        &["--pubkey", "v.pub.pem", "--at", "2026-03-01T00:00:00Z"],
    );
    assert_eq!((code, r.status), (1, Status::Expired));
    assert!(r.reason.contains("2026-03-01T00:00:00Z"), "{}", r.reason);
}

#[test]
fn verify_reads_stdin_and_prints_human_text() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "ed25519", "v");
    let token = issue(dir.path(), "v.key.pem", &["--days", "30"]);
    licet()
        .current_dir(dir.path())
        .args([
            "verify",
            "-",
            "--pubkey",
            "v.pub.pem",
            "--at",
            "2026-01-10T00:00:00Z",
        ])
        .write_stdin(token.clone())
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "ACTIVE: the license is valid until",
        ));
    licet()
        .current_dir(dir.path())
        .args([
            "verify",
            "-",
            "--pubkey",
            "v.pub.pem",
            "-q",
            "--at",
            "2026-01-10T00:00:00Z",
        ])
        .write_stdin(token.clone())
        .assert()
        .success()
        .stdout("");
    licet()
        .current_dir(dir.path())
        .args(["verify", "-", "--pubkey", "v.pub.pem", "-q"])
        .write_stdin(token)
        .assert()
        .code(1)
        .stdout("");
}

#[test]
fn verify_exit_2_for_unreadable_or_bad_keys_and_bad_arguments() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "ed25519", "v");
    std::fs::write(
        dir.path().join("l.lic"),
        issue(dir.path(), "v.key.pem", &[]),
    )
    .unwrap();
    let run = |args: &[&str]| {
        licet()
            .current_dir(dir.path())
            .arg("verify")
            .args(args)
            .assert()
            .code(2)
    };
    run(&["l.lic", "--pubkey", "missing.pem"])
        .stderr(predicate::str::contains("cannot read missing.pem"));
    run(&["l.lic", "--pubkey", "v.key.pem"])
        .stderr(predicate::str::contains("this is a private key"));
    run(&["missing.lic", "--pubkey", "v.pub.pem"]).stderr(predicate::str::contains("missing.lic"));
    run(&["l.lic", "--pubkey", "v.pub.pem", "--at", "yesterday"])
        .stderr(predicate::str::contains("RFC 3339"));
    run(&["l.lic", "--pubkey", "v.pub.pem", "--machine", "xyz"])
        .stderr(predicate::str::contains("not a machine id"));
    run(&["l.lic"]);
}

#[test]
fn verify_rejects_tampering_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "ed25519", "v");
    let token = issue(dir.path(), "v.key.pem", &[]);
    let mut bytes = token.trim().as_bytes().to_vec();
    let i = token.find('.').unwrap() + 5;
    bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
    std::fs::write(dir.path().join("t.lic"), &bytes).unwrap();
    let (code, report) = verify_json(dir.path(), "t.lic", &["--pubkey", "v.pub.pem"]);
    assert_eq!(code, 1);
    assert!(
        matches!(report.status, Status::BadSignature | Status::Malformed),
        "{report:?}"
    );
    assert!(
        report.license.is_none(),
        "claims of a tampered file must not be reported"
    );
}

#[test]
fn passphrases_from_file_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pass"),
        "s3cret phrase\r\nignored second line\n",
    )
    .unwrap();
    licet()
        .current_dir(dir.path())
        .args([
            "keygen",
            "--alg",
            "ed25519",
            "--out",
            "e",
            "--passphrase-file",
            "pass",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("encrypted"));
    let pem = std::fs::read_to_string(dir.path().join("e.key.pem")).unwrap();
    assert!(
        pem.contains("\n-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{pem}"
    );
    licet()
        .current_dir(dir.path())
        .args(["issue", "--key", "e.key.pem", "--customer", "C"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("encrypted; give its passphrase"));
    licet()
        .current_dir(dir.path())
        .args(["issue", "--key", "e.key.pem", "--customer", "C"])
        .env("LICET_PASSPHRASE", "wrong")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("wrong passphrase"));
    licet()
        .current_dir(dir.path())
        .args(["issue", "--key", "e.key.pem", "--customer", "C"])
        .env("LICET_PASSPHRASE", "s3cret phrase")
        .assert()
        .success();
    licet()
        .current_dir(dir.path())
        .args([
            "issue",
            "--key",
            "e.key.pem",
            "--customer",
            "C",
            "--passphrase-file",
            "pass",
        ])
        .assert()
        .success();
    if common::have("openssl") {
        let out = std::process::Command::new("openssl")
            .current_dir(dir.path())
            .args([
                "pkey",
                "-in",
                "e.key.pem",
                "-passin",
                "pass:s3cret phrase",
                "-noout",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl cannot read licet's encrypted key: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn issue_json_and_invalid_inputs() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "ed25519", "v");
    let out = issue(dir.path(), "v.key.pem", &["--json", "--days", "1"]);
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["customerId"], "ACME-001");
    assert_eq!(summary["alg"], "EdDSA");
    assert!(summary["license"].as_str().unwrap().split('.').count() == 3);
    let bad = |args: &[&str], message: &str| {
        licet()
            .current_dir(dir.path())
            .args(["issue", "--key", "v.key.pem", "--customer", "C"])
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message.to_owned()));
    };
    bad(&["--expires", "2026-02-30"], "not a date");
    bad(&["--type", "trial"], "not a license type");
    bad(&["--machine", "abc"], "not a machine id");
    bad(&["--license-key", "ABC"], "not a license key");
    bad(&["--feature", "seats"], "not a feature assignment");
    bad(
        &[
            "--expires",
            "2020-01-01",
            "--issued-at",
            "2026-01-01T00:00:00Z",
        ],
        "is not after the issue time",
    );
    bad(&["--alg", "HS256"], "--alg must be EdDSA, RS256 or PS256");
    bad(&["--grace-days", "99999"], "grace_days");
    licet()
        .current_dir(dir.path())
        .args(["issue", "--key", "v.pub.pem", "--customer", "C"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("this is a public key"));
}

#[test]
fn key_jwks_matches_keygen_kids_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let ed = keygen(dir.path(), "ed25519", "e");
    let rsa = keygen(dir.path(), "rs256", "r");
    let out = licet()
        .current_dir(dir.path())
        .args(["key", "jwks", "e.pub.pem", "r.pub.pem"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let jwks: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys[0]["kid"], ed.as_str());
    assert_eq!(keys[0]["alg"], "EdDSA");
    assert_eq!(keys[1]["kid"], rsa.as_str());
    assert_eq!(keys[1]["alg"], "RS256");
    assert!(keys
        .iter()
        .all(|k| k["use"] == "sig" && k.get("d").is_none()));
    std::fs::write(dir.path().join("jwks.json"), &out.stdout).unwrap();
    std::fs::write(
        dir.path().join("l.lic"),
        issue(dir.path(), "r.key.pem", &[]),
    )
    .unwrap();
    let (code, _) = verify_json(dir.path(), "l.lic", &["--pubkey", "jwks.json"]);
    assert_eq!(code, 0);
    // The JWKS pins RS256, so a PS256 license from the same key is refused.
    std::fs::write(
        dir.path().join("p.lic"),
        issue(dir.path(), "r.key.pem", &["--alg", "PS256"]),
    )
    .unwrap();
    let (code, report) = verify_json(dir.path(), "p.lic", &["--pubkey", "jwks.json"]);
    assert_eq!((code, report.status), (1, Status::UnsupportedAlgorithm));
}

#[test]
fn inspect_says_it_does_not_trust() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "ed25519", "v");
    std::fs::write(
        dir.path().join("l.lic"),
        issue(dir.path(), "v.key.pem", &["--days", "3"]),
    )
    .unwrap();
    licet()
        .current_dir(dir.path())
        .args(["inspect", "l.lic"])
        .assert()
        .success()
        .stdout(
            predicate::str::starts_with("NOT VERIFIED")
                .and(predicate::str::contains("\"sub\": \"ACME-001\"")),
        );
    let out = licet()
        .current_dir(dir.path())
        .args([
            "inspect",
            "l.lic",
            "--json",
            "--pubkey",
            "v.pub.pem",
            "--at",
            "2026-01-02T00:00:00Z",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["untrusted"]["trusted"], false);
    assert_eq!(v["untrusted"]["claims"]["sub"], "ACME-001");
    assert_eq!(v["verification"]["status"], "ACTIVE");
    std::fs::write(dir.path().join("junk"), "not.a.jwt").unwrap();
    licet()
        .current_dir(dir.path())
        .args(["inspect", "junk"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("problem:"));
}

#[test]
fn machine_id_raw_is_sha256_of_the_trimmed_value() {
    licet()
        .args(["machine-id", "--raw", "hello\n"])
        .assert()
        .success()
        .stdout("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n");
    let out = licet().args(["machine-id", "--json"]).output().unwrap();
    if Path::new("/etc/machine-id").exists() {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let raw = std::fs::read_to_string("/etc/machine-id").unwrap();
        let expected = licet_verifier::MachineId::from_raw_identifier(&raw);
        assert_eq!(v["machineId"], expected.as_str());
    } else {
        assert!(out.status.code() == Some(0) || out.status.code() == Some(2));
    }
}

#[test]
fn this_machine_binding_uses_the_machine_id() {
    let Ok(this) = licet_verifier::MachineId::this_machine() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "ed25519", "v");
    std::fs::write(
        dir.path().join("l.lic"),
        issue(dir.path(), "v.key.pem", &["--machine", this.as_str()]),
    )
    .unwrap();
    let (code, _) = verify_json(
        dir.path(),
        "l.lic",
        &["--pubkey", "v.pub.pem", "--this-machine"],
    );
    assert_eq!(code, 0);
    std::fs::write(
        dir.path().join("o.lic"),
        issue(dir.path(), "v.key.pem", &["--machine", &"0".repeat(64)]),
    )
    .unwrap();
    let (code, report) = verify_json(dir.path(), "o.lic", &["--pubkey", "v.pub.pem"]);
    assert_eq!((code, report.status), (1, Status::MachineMismatch));
}

#[test]
fn license_key_new_and_check() {
    let out = licet()
        .args(["license-key", "new", "--count", "5"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let keys: Vec<&str> = text.lines().collect();
    assert_eq!(keys.len(), 5);
    for key in keys {
        licet()
            .args(["license-key", "check", key])
            .assert()
            .success()
            .stdout(format!("{key}\n"));
    }
    licet()
        .args(["license-key", "check", " abcde-12345-fghij-67890-klmno "])
        .assert()
        .success()
        .stdout("ABCDE-12345-FGHIJ-67890-KLMNO\n");
    licet()
        .args(["license-key", "check", "ABCDE-12345"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not a license key"));
    let out = licet()
        .args(["license-key", "check", "nope", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    licet()
        .args(["license-key", "new", "--count", "0"])
        .assert()
        .code(2);
}

/// A one-symbol typo of `key` that stays in the new alphabet (so it is checked, not taken for an
/// older key): the middle symbol of the first group, moved to the next symbol of the alphabet.
fn typo_of(key: &str) -> String {
    let alphabet = licet_verifier::LICENSE_KEY_ALPHABET_V2;
    let mut bytes = key.as_bytes().to_vec();
    let at = alphabet.iter().position(|b| *b == bytes[2]).unwrap();
    bytes[2] = alphabet[(at + 1) % alphabet.len()];
    String::from_utf8(bytes).unwrap()
}

#[test]
fn license_key_check_catches_typos_and_lets_older_keys_pass() {
    let out = licet()
        .args(["license-key", "new", "--count", "20"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for key in text.lines() {
        // No look-alike characters in new keys.
        assert!(!key.contains(['0', 'O', '1', 'I', 'L']), "{key}");
        licet()
            .args(["license-key", "check", key])
            .assert()
            .success()
            .stdout(format!("{key}\n"))
            .stderr(predicate::str::contains("a valid key"));
        let typo = typo_of(key);
        licet()
            .args(["license-key", "check", &typo])
            .assert()
            .code(1)
            .stdout(predicate::str::contains(
                "the check character does not match: the key is mistyped, or it is an older key",
            ));
    }
    // Typed sloppily: lower case, no dashes, spaces.
    let key = text.lines().next().unwrap();
    let sloppy = key.replace('-', " ").to_lowercase();
    licet()
        .args(["license-key", "check", &format!(" {sloppy} ")])
        .assert()
        .success()
        .stdout(format!("{key}\n"));
    // An older key (it has look-alikes) is accepted without a check, and said to be older.
    licet()
        .args(["license-key", "check", "ABCDE-12345-FGHIJ-67890-KLMNO"])
        .assert()
        .success()
        .stdout("ABCDE-12345-FGHIJ-67890-KLMNO\n")
        .stderr(predicate::str::contains(
            "an older key (made before check characters): not checked locally",
        ));
    let verdict = |key: &str| -> serde_json::Value {
        let out = licet()
            .args(["license-key", "check", key, "--json"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let v = verdict(key);
    assert_eq!(
        (v["valid"].as_bool(), v["check"].as_str()),
        (Some(true), Some("valid"))
    );
    assert_eq!(v["licenseKey"], key);
    let v = verdict(&typo_of(key));
    assert_eq!(
        (v["valid"].as_bool(), v["check"].as_str()),
        (Some(false), Some("mistyped"))
    );
    assert!(v["reason"].as_str().unwrap().contains("mistyped"), "{v}");
    let v = verdict("ABCDE-FGHIJ-KLMNO-PQRST-UVWXY");
    assert_eq!(
        (v["valid"].as_bool(), v["check"].as_str()),
        (Some(true), Some("older-key"))
    );
}

#[test]
fn activation_request_refuses_a_mistyped_key_unless_told_not_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = licet().args(["license-key", "new"]).output().unwrap();
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let typo = typo_of(&key);
    let machine = "ab".repeat(32);
    let request = |key: &str, extra: &[&str]| {
        let mut cmd = licet();
        cmd.current_dir(d).args([
            "activation",
            "request",
            "--license-key",
            key,
            "--machine",
            &machine,
            "--state",
            "state",
            "--out",
            "req.json",
        ]);
        cmd.args(extra);
        cmd.assert()
    };
    let pending = || -> usize {
        std::fs::read_dir(d.join("state/pending")).map_or(0, |entries| entries.count())
    };
    request(&typo, &[])
        .code(2)
        .stderr(predicate::str::contains(
            "the check character does not match",
        ))
        .stderr(predicate::str::contains("--no-key-check"));
    assert!(!d.join("req.json").exists(), "a request was written");
    assert_eq!(pending(), 0, "a pending request was recorded");

    // The local check can be skipped (for an older key that merely looks mistyped).
    request(&typo, &["--no-key-check"]).success();
    let req: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("req.json")).unwrap()).unwrap();
    assert_eq!(req["license_key"], typo.as_str());
    assert_eq!(pending(), 1);
    std::fs::remove_file(d.join("req.json")).unwrap();

    // The right key, typed sloppily, and an older key go through without the option.
    request(&key.to_lowercase().replace('-', ""), &[]).success();
    let req: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("req.json")).unwrap()).unwrap();
    assert_eq!(req["license_key"], key.as_str());
    request("ABCDE-FGHIJ-KLMNO-PQRST-UVWXY", &[]).success();
    assert_eq!(pending(), 3);
}

#[test]
fn demo_runs_every_step() {
    licet()
        .arg("demo")
        .assert()
        .success()
        .stdout(predicate::str::contains("every step behaved as expected"));
}

#[test]
fn demo_keys_and_the_verifier_doc_license_are_consistent() {
    let (code, report) = verify_json(
        &repo(""),
        "crates/verifier/testdata/demo.lic",
        &[
            "--pubkey",
            "keys/demo-ed25519.pub.pem",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
    );
    assert_eq!((code, report.status), (0, Status::Active));
}

#[test]
fn help_has_examples_and_exit_codes() {
    licet()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes: 0"));
    let commands: [&[&str]; 13] = [
        &["keygen"],
        &["key", "jwks"],
        &["issue"],
        &["verify"],
        &["inspect"],
        &["machine-id"],
        &["license-key", "new"],
        &["license-key", "check"],
        &["cert", "info"],
        &["verify-response"],
        &["serve"],
        &["token", "create"],
        &["demo"],
    ];
    for command in commands {
        licet()
            .args(command)
            .arg("--help")
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
}

#[test]
fn hostile_text_cannot_drive_the_terminal() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let header =
        b64(r#"{"alg":"EdDSA","typ":"license+jwt","kid":"\u001b[2J\u001b[32mACTIVE\u001b[0m"}"#);
    let token = format!("{header}.{}.{}", b64(r#"{"sub":"x"}"#), b64("sig"));
    let out = licet()
        .args(["verify", "-", "--pubkey"])
        .arg(repo("keys/demo-ed25519.pub.pem"))
        .write_stdin(token)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("UNKNOWN_KEY:"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "an escape character reached the terminal: {text:?}"
    );
}

/// Issue 9 §6: the algorithm chosen at keygen is what `issue` uses and `key jwks` publishes, for
/// all three; `key public` prints the public key of a PEM or PKCS#12 private key.
#[test]
fn the_algorithm_a_key_was_made_for_is_remembered() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (alg, name) in [("ed25519", "EdDSA"), ("rs256", "RS256"), ("ps256", "PS256")] {
        keygen(d, alg, alg);
        let token = issue(d, &format!("{alg}.key.pem"), &["--days", "30"]);
        let header = token.split('.').next().unwrap();
        let header: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(header)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            header["alg"], name,
            "{alg}: issue signs with the key's algorithm"
        );
        std::fs::write(d.join(format!("{alg}.lic")), &token).unwrap();
        let out = licet()
            .current_dir(d)
            .args(["key", "jwks", &format!("{alg}.pub.pem")])
            .output()
            .unwrap();
        assert!(out.status.success());
        let jwks: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(jwks["keys"][0]["alg"], name, "{alg}: the JWKS publishes it");
        std::fs::write(d.join(format!("{alg}.jwks")), &out.stdout).unwrap();
        // The license verifies against the vendor's own JWKS (before: a PS256 key published RS256).
        let (code, report) = verify_json(
            d,
            &format!("{alg}.lic"),
            &["--pubkey", &format!("{alg}.jwks"), "--at", "2026-01-15"],
        );
        assert_eq!(
            (code, report.status),
            (0, licet_verifier::Status::Active),
            "{alg}"
        );
        // `key public` gives the same public key file keygen wrote.
        let out = licet()
            .current_dir(d)
            .args(["key", "public", &format!("{alg}.key.pem")])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            out.stdout,
            std::fs::read(d.join(format!("{alg}.pub.pem"))).unwrap()
        );
        // OpenSSL still reads both files (the algorithm line is RFC 7468 explanatory text).
        if common::have("openssl") {
            for (file, extra) in [
                (format!("{alg}.key.pem"), None),
                (format!("{alg}.pub.pem"), Some("-pubin")),
            ] {
                let mut cmd = std::process::Command::new("openssl");
                cmd.current_dir(d).args(["pkey", "-noout", "-in", &file]);
                if let Some(extra) = extra {
                    cmd.arg(extra);
                }
                assert!(cmd.status().unwrap().success(), "openssl reads {file}");
            }
        }
    }
    // A PKCS#12 file: `key public` replaces the openssl step; same kid as the PEM form.
    std::fs::write(d.join("p.txt"), "correct horse\n").unwrap();
    let out = licet()
        .current_dir(d)
        .args([
            "keygen",
            "--alg",
            "rs256",
            "--p12",
            "v.p12",
            "--passphrase-file",
            "p.txt",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kid = serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["kid"].clone();
    let out = licet()
        .current_dir(d)
        .args([
            "key",
            "public",
            "v.p12",
            "--passphrase-file",
            "p.txt",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(public["kid"], kid);
    assert!(public["publicKey"]
        .as_str()
        .unwrap()
        .contains("-----BEGIN PUBLIC KEY-----"));
}

/// Bidirectional controls in claim values (issue 17 §4): every human-readable output escapes
/// them visibly; JSON output keeps the exact value.
#[test]
fn bidirectional_controls_in_claims_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "ed25519", "v");
    // "ACME\u{202e}exe.txt" shows as "ACMEtxt.exe" on a terminal that obeys the override.
    let customer = "ACME\u{202e}exe.txt\u{2066}";
    let out = licet()
        .current_dir(dir.path())
        .args(["issue", "--key", "v.key.pem", "--customer", customer])
        .args([
            "--owner-name",
            "Eve\u{200f}",
            "--feature",
            "tier=\u{202d}gold",
            "--days",
            "30",
        ])
        .args([
            "--license-id",
            "lic\u{202e}1",
            "--ledger",
            "ledger.jsonl",
            "--out",
            "l.lic",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = |args: &[&str]| {
        let out = licet().current_dir(dir.path()).args(args).output().unwrap();
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let bidi = ['\u{202e}', '\u{2066}', '\u{200f}', '\u{202d}'];
    for args in [
        &["inspect", "l.lic"][..],
        &["verify", "l.lic", "--pubkey", "v.pub.pem"],
        &[
            "audit",
            ".",
            "--pubkey",
            "v.pub.pem",
            "--ledger",
            "ledger.jsonl",
        ],
        &["audit", ".", "--pubkey", "v.pub.pem", "--csv"],
        &[
            "revoke",
            "--key",
            "v.key.pem",
            "--list",
            "r.jwt",
            "--force",
            "lic\u{202e}1",
        ],
    ] {
        let (stdout, stderr) = run(args);
        for c in bidi {
            assert!(
                !stdout.contains(c) && !stderr.contains(c),
                "{args:?} printed {c:?} as is:\n{stdout}\n{stderr}"
            );
        }
        assert!(
            stdout.contains("\\u{202e}") || stderr.contains("\\u{202e}"),
            "{args:?} shows no escape:\n{stdout}\n{stderr}"
        );
    }
    // JSON stays exact.
    let (json, _) = run(&["inspect", "l.lic", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["untrusted"]["claims"]["sub"], customer, "{json}");
}

#[test]
fn refusals_that_protect_the_user() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty"), "\n").unwrap();
    licet()
        .current_dir(dir.path())
        .args([
            "keygen",
            "--alg",
            "ed25519",
            "--out",
            "k",
            "--passphrase-file",
            "empty",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("passphrase is empty"));
    keygen(dir.path(), "ed25519", "v");
    let key_before = std::fs::read(dir.path().join("v.key.pem")).unwrap();
    licet()
        .current_dir(dir.path())
        .args([
            "issue",
            "--key",
            "v.key.pem",
            "--customer",
            "C",
            "--out",
            "v.key.pem",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "is a private key, not a license file",
        ));
    assert_eq!(
        std::fs::read(dir.path().join("v.key.pem")).unwrap(),
        key_before
    );
    // Nor a revocation list, nor a ledger (both are text a name can be confused with).
    licet()
        .current_dir(dir.path())
        .args([
            "revoke",
            "--key",
            "v.key.pem",
            "--list",
            "list.jwt",
            "--force",
            "L-1",
        ])
        .args(["--ledger", "ledger.jsonl"])
        .assert()
        .success();
    licet()
        .current_dir(dir.path())
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
    for (file, kind) in [
        ("list.jwt", "a revocation list"),
        ("ledger.jsonl", "an issuance ledger"),
    ] {
        let before = std::fs::read(dir.path().join(file)).unwrap();
        licet()
            .current_dir(dir.path())
            .args([
                "issue",
                "--key",
                "v.key.pem",
                "--customer",
                "C",
                "--out",
                file,
            ])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "is {kind}, not a license file"
            )));
        assert_eq!(std::fs::read(dir.path().join(file)).unwrap(), before);
    }
    // An existing license file is replaced atomically.
    let old_license = "eyJhbGciOiJFZERTQSIsInR5cCI6ImxpY2Vuc2Urand0In0.e30.c2ln";
    std::fs::write(dir.path().join("l.lic"), old_license).unwrap();
    licet()
        .current_dir(dir.path())
        .args([
            "issue",
            "--key",
            "v.key.pem",
            "--customer",
            "C",
            "--out",
            "l.lic",
        ])
        .assert()
        .success();
    assert_ne!(
        std::fs::read(dir.path().join("l.lic")).unwrap(),
        old_license.as_bytes()
    );
    // Anything else (notes, a DER keystore) is left alone.
    std::fs::write(dir.path().join("notes.txt"), "my notes").unwrap();
    licet()
        .current_dir(dir.path())
        .args([
            "issue",
            "--key",
            "v.key.pem",
            "--customer",
            "C",
            "--out",
            "notes.txt",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "is a text file, not a license file",
        ));
    licet()
        .current_dir(dir.path())
        .args(["verify", "-", "--pubkey", "-"])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("only once"));
}

/// Issue 9 §9: a license wrapped over lines, pasted with quotes or spaces, is refused with a
/// message that says what is wrong and how to fix it; --at takes a bare date.
#[test]
fn pasted_licenses_get_a_precise_answer() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "ed25519", "v");
    let token = issue(dir.path(), "v.key.pem", &["--days", "30"]);
    let token = token.trim();
    let wrapped: String = token
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    for (name, text, expected) in [
        ("wrapped.lic", wrapped.clone(), "line break at byte 76"),
        (
            "crlf.lic",
            wrapped.replace('\n', "\r\n"),
            "line break at byte 76",
        ),
        ("quoted.lic", format!("\"{token}\""), "wrapped in quotes"),
        (
            "smart.lic",
            format!("\u{201c}{token}\u{201d}"),
            "wrapped in quotes",
        ),
        (
            "spaced.lic",
            format!("{} {}", &token[..40], &token[40..]),
            "space at byte 40",
        ),
    ] {
        std::fs::write(dir.path().join(name), &text).unwrap();
        let (code, report) = verify_json(
            dir.path(),
            name,
            &["--pubkey", "v.pub.pem", "--at", "2026-01-02"],
        );
        assert_eq!((code, report.status), (1, Status::Malformed), "{name}");
        assert!(
            report.reason.contains(expected),
            "{name}: {}",
            report.reason
        );
    }
    std::fs::write(dir.path().join("ok.lic"), format!("\n{token}\r\n")).unwrap();
    let (code, _) = verify_json(
        dir.path(),
        "ok.lic",
        &["--pubkey", "v.pub.pem", "--at", "2026-01-02"],
    );
    assert_eq!(code, 0, "surrounding line breaks are fine");
}
