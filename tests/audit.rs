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
    std::fs::write(d.join("licenses/notes.txt"), "not a license: skipped").unwrap();
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
        "machineIds",
        "product",
        "licenseType",
        "features",
        "issuedAt",
        "notBefore",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert!(files
        .iter()
        .any(|f| f["path"].as_str().unwrap().ends_with("sub/three.jwt")));
    assert_eq!(report["ledger"]["reconciled"], true);
    assert_eq!(report["ledger"]["entries"], 5);
    assert_eq!(report["clean"], true);
    assert_eq!(
        report["skipped"][0]["reason"],
        "not a license file: a text file"
    );

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
        "path,status,valid,licenseId,customerId,kid,expiry,reason,machineIds,product,licenseType,features,issuedAt,notBefore"
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

// ---- Issue 9 §7: audits see everything. ----

/// A vendor key pair `v` in `d`.
fn vendor(d: &Path) {
    licet()
        .current_dir(d)
        .args(["keygen", "--alg", "ed25519", "--out", "v"])
        .assert()
        .success();
}

/// `licet audit ARGS --pubkey v.pub.pem --at 2026-06-01T00:00:00Z --json`, stopped after 30 s
/// (a FIFO opened for reading would hang it).
fn audit_report(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = licet()
        .current_dir(dir)
        .arg("audit")
        .args([
            "--pubkey",
            "v.pub.pem",
            "--at",
            "2026-06-01T00:00:00Z",
            "--json",
        ])
        .args(args)
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {stderr} (exit {:?})", out.status.code()));
    (out.status.code().unwrap_or(-1), report, stderr)
}

fn paths_of(list: &Value) -> Vec<String> {
    let mut paths: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    paths.sort();
    paths
}

/// The reason given for skipping the file whose path ends with `name`.
fn skip_reason(report: &Value, name: &str) -> String {
    report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("{name} is not in skipped: {report:#}"))["reason"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn license_files_are_recognised_by_content_and_other_files_skipped_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vendor(d);
    std::fs::create_dir(d.join("estate")).unwrap();
    let ledger = ["--ledger", "estate/ledger.jsonl"];
    issue(d, "L-1", "ACME", "estate/acme.txt", &ledger);
    issue(d, "L-2", "GLOBEX", "estate/globex", &ledger);
    std::fs::copy(d.join("v.key.pem"), d.join("estate/v.key.pem")).unwrap();
    std::fs::write(d.join("estate/keys.json"), r#"{"keys": []}"#).unwrap();
    std::fs::write(d.join("estate/notes.md"), "renew ACME in May\n").unwrap();
    std::fs::write(d.join("estate/big.iso"), vec![b'x'; 70 * 1024]).unwrap();

    let (code, report, _) = audit_report(d, &["estate"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        paths_of(&report["files"]),
        ["estate/acme.txt", "estate/globex"]
    );
    assert_eq!(report["summary"]["byStatus"]["ACTIVE"], 2);
    assert_eq!(report["summary"]["skipped"], 5);
    assert_eq!(
        skip_reason(&report, "v.key.pem"),
        "not a license file: a private key"
    );
    assert_eq!(
        skip_reason(&report, "keys.json"),
        "not a license file: a JSON file"
    );
    assert_eq!(
        skip_reason(&report, "ledger.jsonl"),
        "not a license file: an issuance ledger"
    );
    assert_eq!(
        skip_reason(&report, "notes.md"),
        "not a license file: a text file"
    );
    assert_eq!(
        skip_reason(&report, "big.iso"),
        "larger than 64 KiB, the limit for a license file"
    );

    // A damaged token is audited, whatever its name: a changed signature, a truncated file.
    let token = std::fs::read_to_string(d.join("estate/acme.txt")).unwrap();
    let mut tampered = token.trim().as_bytes().to_vec();
    let at = tampered.len() - 20;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(d.join("estate/tampered.dat"), tampered).unwrap();
    std::fs::write(d.join("estate/truncated"), &token[..token.len() / 2]).unwrap();
    let (code, report, _) = audit_report(d, &["estate"]);
    assert_eq!(code, 1, "{report:#}");
    let status = |name: &str| {
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} was not audited: {report:#}"))["status"]
            .clone()
    };
    assert_eq!(status("tampered.dat"), "BAD_SIGNATURE");
    assert_eq!(status("truncated"), "MALFORMED");
}

#[cfg(unix)]
#[test]
fn fifos_are_reported_skipped_and_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vendor(d);
    std::fs::create_dir(d.join("estate")).unwrap();
    issue(d, "L-1", "ACME", "estate/one.lic", &[]);
    for fifo in ["estate/pipe.lic", "named.lic"] {
        let made = std::process::Command::new("mkfifo")
            .arg(d.join(fifo))
            .status()
            .unwrap();
        assert!(made.success());
    }
    // Opening a FIFO for reading would wait for a writer for ever: the timeout fails the test.
    let (code, report, _) = audit_report(d, &["estate", "named.lic"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(paths_of(&report["files"]), ["estate/one.lic"]);
    for fifo in ["estate/pipe.lic", "named.lic"] {
        assert_eq!(
            skip_reason(&report, fifo),
            "not a regular file: a FIFO (never opened)"
        );
    }
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_followed_and_loops_and_dangling_links_reported() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vendor(d);
    for sub in ["estate", "elsewhere", "more"] {
        std::fs::create_dir(d.join(sub)).unwrap();
    }
    issue(d, "L-1", "ACME", "estate/one.lic", &[]);
    issue(d, "L-2", "ACME", "elsewhere/two.txt", &[]);
    issue(d, "L-3", "ACME", "more/three.lic", &[]);
    symlink("../elsewhere/two.txt", d.join("estate/two-link")).unwrap();
    symlink("../more", d.join("estate/more")).unwrap();
    symlink(".", d.join("estate/loop")).unwrap();
    symlink("self", d.join("estate/self")).unwrap();
    symlink("missing.lic", d.join("estate/dangling.lic")).unwrap();
    let (code, report, _) = audit_report(d, &["estate"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        paths_of(&report["files"]),
        ["estate/more/three.lic", "estate/one.lic", "estate/two-link"],
        "links to files and to directories are followed"
    );
    assert!(
        skip_reason(&report, "estate/loop").starts_with("a symbolic link loop: it leads back to"),
        "{report:#}"
    );
    for link in ["estate/self", "estate/dangling.lic"] {
        assert!(
            skip_reason(&report, link).starts_with("a symbolic link that cannot be followed"),
            "{report:#}"
        );
    }
    // A link named on the command line is followed too; a dangling one is reported.
    let (code, report, _) = audit_report(d, &["estate/two-link", "estate/dangling.lic"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["total"], 1);
    assert_eq!(report["summary"]["skipped"], 1);
}

#[test]
fn an_audit_that_finds_no_license_file_is_not_clean() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vendor(d);
    std::fs::create_dir(d.join("empty")).unwrap();
    std::fs::create_dir(d.join("other")).unwrap();
    std::fs::write(d.join("other/notes.txt"), "nothing here\n").unwrap();
    std::fs::copy(d.join("v.pub.pem"), d.join("other/v.pub.pem")).unwrap();
    for (path, skipped) in [("empty", 0), ("other", 2)] {
        let (code, report, _) = audit_report(d, &[path]);
        assert_eq!(code, 1, "{report:#}");
        assert_eq!(report["clean"], false);
        assert_eq!(report["problems"][0], "no license file found");
        assert_eq!(report["summary"]["total"], 0);
        assert_eq!(report["summary"]["skipped"], skipped);
        let out = licet()
            .current_dir(d)
            .args(["audit", path, "--pubkey", "v.pub.pem"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.starts_with("PROBLEMS"), "{text}");
        assert!(text.contains("no license file found"), "{text}");
    }
}

#[test]
fn the_same_file_twice_and_two_copies_of_a_license_are_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vendor(d);
    std::fs::create_dir_all(d.join("estate/sub")).unwrap();
    issue(d, "L-1", "ACME", "estate/one.lic", &[]);
    issue(d, "L-2", "ACME", "estate/sub/two.lic", &[]);

    // The same path twice, and overlapping paths.
    let (code, report, _) = audit_report(d, &["estate/one.lic", "estate/one.lic"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["summary"]["total"], 1, "audited once");
    assert_eq!(report["sameFiles"][0]["path"], "estate/one.lic");
    assert_eq!(report["sameFiles"][0]["sameAs"], "estate/one.lic");
    let (code, report, _) = audit_report(d, &["estate", "estate/sub"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["summary"]["total"], 2);
    assert_eq!(report["sameFiles"][0]["sameAs"], "estate/sub/two.lic");
    assert!(report["problems"][0]
        .as_str()
        .unwrap()
        .contains("is the same file as"));
    // Through a link.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("one.lic", d.join("estate/alias.lic")).unwrap();
        let (code, report, _) = audit_report(d, &["estate"]);
        assert_eq!(code, 1, "{report:#}");
        assert_eq!(report["summary"]["sameFiles"], 1);
        std::fs::remove_file(d.join("estate/alias.lic")).unwrap();
    }
    let (code, _, _) = audit_report(d, &["estate"]);
    assert_eq!(code, 0);

    // Two copies of one license, and the same id with another customer (same expiry).
    std::fs::copy(d.join("estate/one.lic"), d.join("estate/copy.txt")).unwrap();
    let (code, report, _) = audit_report(d, &["estate"]);
    assert_eq!(code, 1, "{report:#}");
    let duplicate = &report["duplicates"][0];
    assert_eq!(duplicate["licenseId"], "L-1");
    assert_eq!(duplicate["identical"], true);
    assert_eq!(
        duplicate["paths"],
        serde_json::json!(["estate/copy.txt", "estate/one.lic"])
    );
    std::fs::remove_file(d.join("estate/copy.txt")).unwrap();
    issue(d, "L-2", "GLOBEX", "estate/two-again.lic", &[]);
    let (code, report, _) = audit_report(d, &["estate"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["duplicates"][0]["licenseId"], "L-2");
    assert_eq!(report["duplicates"][0]["identical"], false);
    assert_eq!(report["summary"]["duplicates"], 1);
}

#[test]
fn a_renewal_counts_once_and_the_older_file_is_listed_as_superseded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vendor(d);
    std::fs::create_dir(d.join("estate")).unwrap();
    issue(
        d,
        "L-1",
        "ACME",
        "estate/2025.lic",
        &["--expires", "2026-03-01"],
    );
    issue(
        d,
        "L-1",
        "ACME",
        "estate/2026.lic",
        &["--expires", "2027-03-01"],
    );
    issue(d, "L-2", "ACME", "estate/other.lic", &[]);
    let (code, report, _) = audit_report(d, &["estate"]);
    assert_eq!(code, 0, "the expired older file is no problem: {report:#}");
    assert_eq!(report["summary"]["total"], 2);
    assert_eq!(report["summary"]["byStatus"]["ACTIVE"], 2);
    assert_eq!(report["summary"]["superseded"], 1);
    assert_eq!(
        paths_of(&report["files"]),
        ["estate/2026.lic", "estate/other.lic"]
    );
    let superseded = &report["superseded"][0];
    assert_eq!(superseded["path"], "estate/2025.lic");
    assert_eq!(superseded["licenseId"], "L-1");
    assert_eq!(superseded["status"], "EXPIRED");
    assert_eq!(superseded["supersededBy"], "estate/2026.lic");
    assert!(report["duplicates"].as_array().unwrap().is_empty());
}

#[test]
fn ledger_revocations_and_lists_of_two_keys_make_licenses_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vendor(d);
    licet()
        .current_dir(d)
        .args(["keygen", "--alg", "ed25519", "--out", "w"])
        .assert()
        .success();
    std::fs::create_dir(d.join("estate")).unwrap();
    let ledger = ["--ledger", "ledger.jsonl"];
    issue(d, "L-1", "ACME", "estate/one.lic", &ledger);
    issue(d, "L-2", "ACME", "estate/two.lic", &ledger);
    issue(d, "L-4", "ACME", "estate/four.lic", &ledger);
    licet()
        .current_dir(d)
        .args(["issue", "--key", "w.key.pem", "--customer", "GLOBEX"])
        .args(["--license-id", "L-3", "--issued-at", "2026-01-01T00:00:00Z"])
        .args(["--out", "estate/three.lic", "--ledger", "ledger.jsonl"])
        .assert()
        .success();
    let revoke = |key: &str, list: &str, id: &str, extra: &[&str]| {
        licet()
            .current_dir(d)
            .args(["revoke", "--key", key, "--list", list, "--force", id])
            .args(extra)
            .assert()
            .success();
    };
    // L-1: only in the ledger (its list is not given to the audit).
    revoke("v.key.pem", "unused.jwt", "L-1", &ledger);
    revoke("v.key.pem", "v-list.jwt", "L-2", &[]);
    revoke("w.key.pem", "w-list.jwt", "L-3", &[]);
    let keys = ["--pubkey", "w.pub.pem"];
    let lists = ["--revocations", "v-list.jwt", "--revocations", "w-list.jwt"];
    let (code, report, stderr) = audit_report(
        d,
        &[&["estate", "--ledger", "ledger.jsonl"][..], &keys, &lists].concat(),
    );
    assert_eq!(code, 1, "{report:#} {stderr}");
    let status = |id: &str| {
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["licenseId"] == id)
            .unwrap()
            .clone()
    };
    for id in ["L-1", "L-2", "L-3"] {
        assert_eq!(status(id)["status"], "REVOKED", "{id}: {report:#}");
    }
    assert!(status("L-1")["reason"].as_str().unwrap().contains("ledger"));
    assert_eq!(status("L-4")["status"], "ACTIVE");
    assert_eq!(report["ledger"]["reconciled"], true, "{report:#}");

    // A list that does not verify with the trusted keys stops the audit, naming it.
    let out = licet()
        .current_dir(d)
        .args(["audit", "estate", "--pubkey", "v.pub.pem"])
        .args(["--revocations", "v-list.jwt", "--revocations", "w-list.jwt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("w-list.jwt"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A minimal CSV reader (quoted cells, doubled quotes), enough for the report.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            _ => cell.push(c),
        }
    }
    rows
}

#[test]
fn rows_carry_the_new_columns_and_the_summary_lists_expiring_licenses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vendor(d);
    std::fs::create_dir(d.join("estate")).unwrap();
    let machine = "ab".repeat(32);
    issue(
        d,
        "L-1",
        "ACME",
        "estate/one.lic",
        &[
            "--product",
            "app",
            "--type",
            "TRIAL",
            "--feature",
            "seats=5",
            "--machine",
            &machine,
            "--not-before",
            "2026-02-01",
            "--expires",
            "2026-06-20",
        ],
    );
    issue(d, "L-2", "GLOBEX", "estate/two.lic", &[]);
    let (code, report, _) = audit_report(d, &["estate"]);
    assert_eq!(code, 0, "{report:#}");
    let row = &report["files"][0];
    assert_eq!(row["licenseId"], "L-1");
    assert_eq!(row["machineIds"], serde_json::json!([machine]));
    assert_eq!(row["product"], "app");
    assert_eq!(row["licenseType"], "TRIAL");
    assert!(row["features"]["seats"].is_number() || row["features"]["seats"] == "5");
    assert_eq!(row["issuedAt"], "2026-01-01T00:00:00Z");
    assert!(row["notBefore"]
        .as_str()
        .unwrap()
        .starts_with("2026-02-01T"));
    let plain = &report["files"][1];
    assert_eq!(plain["licenseType"], "STANDARD");
    assert!(plain["machineIds"].is_null() && plain["notBefore"].is_null());
    let expiring = &report["summary"]["expiring"];
    assert_eq!(expiring.as_array().unwrap().len(), 1, "{report:#}");
    assert_eq!(expiring[0]["licenseId"], "L-1");
    assert_eq!(expiring[0]["customerId"], "ACME");
    assert_eq!(expiring[0]["expiry"], row["expiry"]);
    assert!(row["expiry"].as_str().unwrap().starts_with("2026-06-2"));

    let out = licet()
        .current_dir(d)
        .args([
            "audit",
            "estate",
            "--pubkey",
            "v.pub.pem",
            "--at",
            "2026-06-01",
            "--csv",
        ])
        .output()
        .unwrap();
    let rows = parse_csv(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows[0].len(), 14);
    assert_eq!(
        &rows[0][8..],
        [
            "machineIds",
            "product",
            "licenseType",
            "features",
            "issuedAt",
            "notBefore"
        ]
    );
    assert_eq!(rows[1][8], machine);
    assert_eq!(rows[1][9], "app");
    assert_eq!(rows[1][10], "TRIAL");
    assert!(rows[1][11].starts_with("{\"seats\":"), "{:?}", rows[1]);
    assert_eq!(rows[1][12], "2026-01-01T00:00:00Z");
    // Human output lists the expiring license.
    let out = licet()
        .current_dir(d)
        .args([
            "audit",
            "estate",
            "--pubkey",
            "v.pub.pem",
            "--at",
            "2026-06-01",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("license L-1 of ACME"), "{text}");
}

#[test]
fn csv_neutralises_formula_cells_in_customers_and_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    vendor(d);
    let cases = [
        ("=cmd", "=cmd.lic"),
        ("-x", "-x.lic"),
        ("@x", "@x.lic"),
        ("\tTAB", "\ttab.lic"),
        ("\rCR", "\rcr.lic"),
    ];
    for (i, (customer, file)) in cases.iter().enumerate() {
        licet()
            .current_dir(d)
            .args(["issue", "--key", "v.key.pem"])
            .arg(format!("--customer={customer}"))
            .args(["--license-id", &format!("L-{i}")])
            .args(["--issued-at", "2026-01-01T00:00:00Z"])
            .arg(format!("--out={file}"))
            .assert()
            .success();
    }
    let out = licet()
        .current_dir(d)
        .args([
            "audit",
            "--pubkey",
            "v.pub.pem",
            "--at",
            "2026-06-01T00:00:00Z",
            "--csv",
            "--",
        ])
        .args(cases.map(|(_, file)| file))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let rows = parse_csv(&String::from_utf8(out.stdout).unwrap());
    let expected = [
        ("'=cmd", "'=cmd.lic"),
        ("'-x", "'-x.lic"),
        ("'@x", "'@x.lic"),
        ("'\\tTAB", "'\\ttab.lic"),
        ("'\\rCR", "'\\rcr.lic"),
    ];
    for (i, (customer, file)) in expected.iter().enumerate() {
        let row = &rows[i + 1];
        assert_eq!(
            (row[4].as_str(), row[0].as_str()),
            (*customer, *file),
            "{row:?}"
        );
        // No cell of the row starts with a formula character.
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{row:?}"
            );
        }
    }
}
