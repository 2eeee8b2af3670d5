//! `licet audit` end to end (issue #5), and the batch verifier's verdicts against one-by-one
//! verification.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

mod common;

use common::{licet, repo};
use licet_verifier::{
    parse_public_keys, verify_license, verify_licenses, TrustedKeys, UnixTime, VerifyOptions,
};
use serde_json::Value;
use std::path::Path;

fn issue(dir: &Path, id: &str, customer: &str, out: &str, extra: &[&str]) {
    licet()
        .current_dir(dir)
        .args([
            "issue",
            "--key",
            "v.key.pem",
            "--customer",
            customer,
            "--license-id",
            id,
        ])
        .args(["--issued-at", "2026-01-01T00:00:00Z", "--out", out])
        .args(extra)
        .assert()
        .success();
}

fn audit_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = licet()
        .current_dir(dir)
        .args(["audit"])
        .args(args)
        .args([
            "--pubkey",
            "v.pub.pem",
            "--at",
            "2026-06-01T00:00:00Z",
            "--json",
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr))),
    )
}

/// A vendor with five ledgered licenses under `licenses/` (one in a subdirectory).
fn estate(d: &Path) {
    licet()
        .current_dir(d)
        .args(["keygen", "--alg", "ed25519", "--out", "v"])
        .assert()
        .success();
    std::fs::create_dir_all(d.join("licenses/sub")).unwrap();
    let ledger = ["--ledger", "ledger.jsonl"];
    issue(
        d,
        "L-1",
        "ACME",
        "licenses/one.lic",
        &[&ledger[..], &["--expires", "2027-01-01"]].concat(),
    );
    issue(
        d,
        "L-2",
        "ACME",
        "licenses/two.lic",
        &[&ledger[..], &["--expires", "2026-06-20"]].concat(),
    );
    issue(d, "L-3", "GLOBEX", "licenses/sub/three.jwt", &ledger);
    issue(d, "L-4", "GLOBEX", "licenses/four.lic", &ledger);
    // Node-locked to a machine that is not this one: an audit reports it, does not enforce it.
    let elsewhere = "ab".repeat(32);
    issue(
        d,
        "L-5",
        "INITECH",
        "licenses/five.license",
        &[&ledger[..], &["--machine", &elsewhere]].concat(),
    );
    std::fs::write(d.join("licenses/notes.txt"), "not a license: not audited").unwrap();
}

#[test]
fn a_clean_estate_passes_with_the_report_shape_of_the_issue() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    estate(d);
    let (code, report) = audit_json(d, &["licenses", "--ledger", "ledger.jsonl"]);
    assert_eq!(code, 0, "{report:#}");
    let summary = &report["summary"];
    assert_eq!(summary["total"], 5);
    assert_eq!(summary["byStatus"]["ACTIVE"], 5);
    assert_eq!(summary["byCustomer"]["ACME"], 2);
    assert_eq!(
        summary["expiringWithin30Days"], 1,
        "L-2 expires on 2026-06-20"
    );
    assert_eq!(summary["byKid"].as_object().unwrap().len(), 1);
    let files = report["files"].as_array().unwrap();
    let mut keys: Vec<&str> = files[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected = [
        "path",
        "status",
        "valid",
        "licenseId",
        "customerId",
        "kid",
        "expiry",
        "reason",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert!(files
        .iter()
        .any(|f| f["path"].as_str().unwrap().ends_with("sub/three.jwt")));
    assert_eq!(report["ledger"]["reconciled"], true);
    assert_eq!(report["ledger"]["entries"], 5);

    // CSV: a header and one row per file.
    let out = licet()
        .current_dir(d)
        .args(["audit", "licenses", "--pubkey", "v.pub.pem", "--csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "path,status,valid,licenseId,customerId,kid,expiry,reason"
    );
    assert_eq!(lines.len(), 6, "{csv}");
}

#[test]
fn problems_are_found_and_fail_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    estate(d);
    // A license issued without the ledger, a tampered one, a revoked one.
    issue(d, "L-6", "ACME", "licenses/unrecorded.lic", &[]);
    let four = std::fs::read_to_string(d.join("licenses/four.lic")).unwrap();
    // One character in the middle of the signature (the last one may hold only spare bits).
    let mut tampered = four.trim().as_bytes().to_vec();
    let at = tampered.len() - 20;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(d.join("licenses/four.lic"), tampered).unwrap();
    licet()
        .current_dir(d)
        .args([
            "revoke",
            "--key",
            "v.key.pem",
            "--list",
            "licenses/revocations.jwt",
            "--force",
            "L-5",
        ])
        .assert()
        .success();
    let (code, report) = audit_json(
        d,
        &[
            "licenses",
            "--ledger",
            "ledger.jsonl",
            "--revocations",
            "licenses/revocations.jwt",
        ],
    );
    assert_eq!(code, 1);
    let by_status = &report["summary"]["byStatus"];
    assert_eq!(
        (
            by_status["ACTIVE"].as_u64(),
            by_status["BAD_SIGNATURE"].as_u64(),
            by_status["REVOKED"].as_u64()
        ),
        (Some(4), Some(1), Some(1)),
        "{report:#}"
    );
    assert_eq!(
        report["summary"]["total"],
        5 + 1,
        "the revocation list itself is not audited"
    );
    let ledger = &report["ledger"];
    assert_eq!(ledger["reconciled"], false);
    let missing = ledger["notInLedger"].as_array().unwrap();
    assert_eq!(missing.len(), 1);
    assert!(missing[0].as_str().unwrap().ends_with("unrecorded.lic"));
    assert_eq!(ledger["unverified"], 1, "the tampered file");
}

#[test]
fn a_tampered_ledger_entry_is_found_by_audit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    estate(d);
    // Point entry 2 at another file: its line changes (chain break at line 3) and the file no
    // longer matches its entry.
    let text = std::fs::read_to_string(d.join("ledger.jsonl")).unwrap();
    let mut lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines[1]["file_sha256"] = Value::String("ab".repeat(32));
    let rewritten: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| if i == 1 { serde_json::to_string(&lines[1]).unwrap() } else { l.to_owned() } + "\n")
        .collect();
    std::fs::write(d.join("ledger.jsonl"), rewritten).unwrap();
    let (code, report) = audit_json(d, &["licenses", "--ledger", "ledger.jsonl"]);
    assert_eq!(code, 1);
    let ledger = &report["ledger"];
    assert_eq!(ledger["intact"], false);
    assert_eq!(ledger["chainBreaks"][0]["line"], 3);
    let mismatches = ledger["hashMismatches"].as_array().unwrap();
    assert_eq!(mismatches.len(), 1, "{ledger:#}");
    assert_eq!(mismatches[0]["licenseId"], "L-2");
    assert_eq!(
        report["summary"]["byStatus"]["ACTIVE"], 5,
        "the files themselves are fine"
    );
}

/// The batch verifier reaches the same report as `verify_license` for every file: the attack
/// corpus, valid licenses under several keys, and each of them with one byte changed.
#[test]
fn batch_verdicts_equal_one_by_one_verdicts() {
    let cases: Value =
        serde_json::from_slice(&std::fs::read(repo("fixtures/attacks/cases.json")).unwrap())
            .unwrap();
    let mut keys = TrustedKeys::new();
    for name in ["keys/demo-ed25519.pub.pem", "keys/demo-rsa2048.pub.pem"] {
        for key in parse_public_keys(&std::fs::read(repo(name)).unwrap()).unwrap() {
            keys.push(key);
        }
    }
    let mut files: Vec<Vec<u8>> = cases["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            std::fs::read(repo(&format!(
                "fixtures/attacks/{}",
                c["file"].as_str().unwrap()
            )))
            .unwrap()
        })
        .collect();
    // Valid Ed25519 licenses of two keys in one batch, and damaged copies.
    let other = licet_issuer::SigningKey::generate(licet_issuer::KeySpec::Ed25519).unwrap();
    keys.push(other.public_key().clone());
    let demo = licet_issuer::SigningKey::from_pem(
        &std::fs::read_to_string(repo("keys/demo-ed25519.key.pem")).unwrap(),
        None,
    )
    .unwrap();
    for i in 0..150 {
        let key = if i % 3 == 0 { &other } else { &demo };
        let claims = licet_verifier::LicenseClaims {
            expires_at: Some(UnixTime::from_secs(1_800_000_000 + i).unwrap()),
            ..licet_verifier::LicenseClaims::new(
                format!("B-{i}"),
                "ACME",
                UnixTime::from_secs(1_790_000_000).unwrap(),
            )
        };
        let token = licet_issuer::mint_license(key, None, &claims)
            .unwrap()
            .token;
        let mut damaged = token.clone().into_bytes();
        let at = (i as usize * 37) % damaged.len();
        damaged[at] = if damaged[at] == b'A' { b'B' } else { b'A' };
        files.push(token.into_bytes());
        if i % 5 == 0 {
            files.push(damaged);
        }
    }
    let slices: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
    for at in ["2027-01-01T00:00:00Z", "2030-01-01T00:00:00Z"] {
        let options = VerifyOptions::at(UnixTime::parse_rfc3339(at).unwrap());
        let batch = verify_licenses(&slices, &keys, &options);
        assert_eq!(batch.len(), slices.len());
        let mut valid = 0;
        for (i, (file, report)) in slices.iter().zip(&batch).enumerate() {
            let alone = verify_license(file, &keys, &options);
            assert_eq!(
                serde_json::to_value(report).unwrap(),
                serde_json::to_value(&alone).unwrap(),
                "file {i}"
            );
            valid += usize::from(alone.valid);
        }
        assert!(valid > 100 || at.starts_with("2030"), "{valid} valid");
    }
}

#[path = "../crates/verifier/tests/support/crafted_ed25519.rs"]
mod crafted_ed25519;

/// One Ed25519 verdict on every path (issue 17): license files with crafted signatures (torsion
/// in `R`, small-order and non-canonical `R`, non-canonical `S`) among honest ones get the same
/// status and reason from `licet audit` (batches) as from `licet verify` (one by one), and the
/// verdict of licet's rule: torsion-`R` ACTIVE, the others BAD_SIGNATURE.
#[test]
fn audit_and_verify_agree_on_crafted_ed25519_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let signer = crafted_ed25519::Signer::from_seed(b"licet issue 17 e2e signer seed!!");
    std::fs::write(d.join("v.jwk"), signer.jwk()).unwrap();
    std::fs::create_dir(d.join("licenses")).unwrap();
    let mut files: Vec<(String, Option<crafted_ed25519::Class>, String)> = signer
        .crafted()
        .into_iter()
        .map(|f| (format!("{}.lic", f.name), Some(f.class), f.token))
        .collect();
    // More than a batch of honest files, so the crafted ones land in two or more batches.
    for i in 0..(licet_verifier::BATCH_SIZE + 20) {
        files.push((
            format!("h-{i:03}.lic"),
            None,
            signer.honest(&format!("H-{i}")),
        ));
    }
    crafted_ed25519::shuffle(&mut files, 17);
    for (name, _, token) in &files {
        std::fs::write(d.join("licenses").join(name), token).unwrap();
    }
    let at = ["--at", "2027-01-01T00:00:00Z"];
    let out = licet()
        .current_dir(d)
        .args(["audit", "licenses", "--pubkey", "v.jwk", "--json"])
        .args(at)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the bad signatures fail the audit"
    );
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let audited = report["files"].as_array().unwrap();
    assert_eq!(audited.len(), files.len());
    let mut torsion_active = 0;
    for (name, class, _) in &files {
        let entry = audited
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(&format!("/{name}")))
            .unwrap_or_else(|| panic!("{name} audited"));
        let out = licet()
            .current_dir(d)
            .args([
                "verify",
                &format!("licenses/{name}"),
                "--pubkey",
                "v.jwk",
                "--json",
            ])
            .args(at)
            .output()
            .unwrap();
        let alone: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(
            (&entry["status"], &entry["reason"]),
            (&alone["status"], &alone["reason"]),
            "{name}: licet audit and licet verify disagree"
        );
        let accepted = class.as_ref().is_none_or(crafted_ed25519::Class::accepted);
        assert_eq!(
            alone["status"],
            if accepted { "ACTIVE" } else { "BAD_SIGNATURE" },
            "{name}"
        );
        assert_eq!(
            out.status.code(),
            Some(if accepted { 0 } else { 1 }),
            "{name}"
        );
        if matches!(class, Some(crafted_ed25519::Class::TorsionR(_))) {
            torsion_active += 1;
        }
    }
    assert_eq!(torsion_active, 8);
    assert_eq!(
        report["summary"]["byStatus"]["BAD_SIGNATURE"],
        1 + 8 + 6,
        "S + l, 8 small-order R, 6 non-canonical R"
    );

    // A small-order key is refused when it is loaded, by both commands: no verdict (exit 2).
    let identity = crafted_ed25519::small_order_encodings()[0];
    let weak = format!(
        r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, identity)
    );
    std::fs::write(d.join("weak.jwk"), weak).unwrap();
    for args in [
        &["verify", "licenses/h-000.lic", "--pubkey", "weak.jwk"][..],
        &["audit", "licenses", "--pubkey", "weak.jwk"][..],
    ] {
        let out = licet().current_dir(d).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("small-order"), "{args:?}: {stderr}");
    }
}
