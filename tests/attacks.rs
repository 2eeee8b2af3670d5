//! The attack corpus (fixtures/attacks, made by make.py with Python `cryptography`): every case is
//! rejected with its stated status, through the library and through `licet verify`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::{licet, repo};
use licet_verifier::{verify_license, Status, TrustedKeys, UnixTime, VerifyOptions};
use serde::Deserialize;

#[derive(Deserialize)]
struct Manifest {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    file: String,
    expect: Status,
    why: String,
    trusted: Vec<String>,
    at: String,
}

fn manifest() -> Manifest {
    let text = std::fs::read_to_string(repo("fixtures/attacks/cases.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_attack_is_rejected_with_the_expected_status() {
    let manifest = manifest();
    assert!(manifest.cases.len() >= 40, "the corpus shrank");
    let mut failures = Vec::new();
    let mut accepted = 0;
    for case in &manifest.cases {
        let mut keys = TrustedKeys::new();
        for path in &case.trusted {
            keys.add_file_contents(&std::fs::read(repo(path)).unwrap())
                .unwrap();
        }
        let file = std::fs::read(repo(&format!("fixtures/attacks/{}", case.file))).unwrap();
        let options = VerifyOptions::at(UnixTime::parse_rfc3339(&case.at).unwrap());
        let report = verify_license(&file, &keys, &options);
        if report.valid {
            accepted += 1;
        }
        if report.status != case.expect {
            failures.push(format!(
                "{}: expected {}, got {} ({}) -- {}",
                case.name, case.expect, report.status, report.reason, case.why
            ));
        }
        if !report.valid {
            assert!(
                report.license.is_none() || report.verified_license().is_some(),
                "{}: claims shown unverified",
                case.name
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Exactly one control case is valid; zero attacks are accepted.
    assert_eq!(accepted, 1);
}

#[test]
fn every_attack_gets_exit_1_from_the_cli() {
    for case in manifest().cases {
        let mut cmd = licet();
        cmd.arg("verify")
            .arg(repo(&format!("fixtures/attacks/{}", case.file)))
            .args(["--at", &case.at, "--json"]);
        for key in &case.trusted {
            cmd.arg("--pubkey").arg(repo(key));
        }
        let out = cmd.output().unwrap();
        let expected_code = if case.expect.is_valid() { 0 } else { 1 };
        assert_eq!(
            out.status.code(),
            Some(expected_code),
            "{}: {}",
            case.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["status"], case.expect.as_str(), "{}", case.name);
    }
}

#[test]
fn an_rsa_1024_public_key_is_refused_as_a_trusted_key() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("rsa1024.pub.pem");
    let made = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1024",
            "-out",
        ])
        .arg(dir.path().join("k.pem"))
        .status();
    if !matches!(made, Ok(s) if s.success()) {
        panic!("openssl is required for this test (.ci/run installs it)");
    }
    let status = std::process::Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(dir.path().join("k.pem"))
        .arg("-out")
        .arg(&pem)
        .status()
        .unwrap();
    assert!(status.success());
    licet()
        .arg("verify")
        .arg(repo("fixtures/attacks/00-control-valid.jwt"))
        .arg("--pubkey")
        .arg(&pem)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("at least 2048"));
}
