//! The conformance corpus (fixtures/conformance/cases.json, and leases.json for floating seats)
//! through the Rust library: the reference runner. The C, C++, Python, Node.js and Java runners read the same file and must agree with it
//! case by case (fixtures/conformance/README.md describes the format).
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use licet_verifier::{
    check_lease, check_license, CheckReport, LeaseCheckReport, ListInput, MachineId, StateSettings,
    StatefulVerifier, TrustedKeys, UnixTime, VerifyOptions,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The cases file: `LICET_CONFORMANCE_CASES` if set (every runner honours it, so a changed copy
/// can show that a runner fails), else the committed corpus. Paths in it are relative to its
/// directory.
fn cases_file() -> PathBuf {
    match std::env::var_os("LICET_CONFORMANCE_CASES") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/conformance/cases.json"),
    }
}

fn read(dir: &Path, relative: &str) -> Vec<u8> {
    let path = dir.join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The revocation lists a case names (paths relative to `dir`), with their bytes.
fn read_lists(dir: &Path, names: &Value) -> Vec<(String, Vec<u8>)> {
    names
        .as_array()
        .expect("lists")
        .iter()
        .map(|l| {
            let name = l.as_str().expect("list").to_owned();
            let bytes = read(dir, &name);
            (name, bytes)
        })
        .collect()
}

fn list_inputs(files: &[(String, Vec<u8>)]) -> Vec<ListInput<'_>> {
    files
        .iter()
        .map(|(source, bytes)| ListInput { source, bytes })
        .collect()
}

fn text(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("`{field}` is not a string in {value}"))
        .to_owned()
}

fn options(step: &Value, tolerance: u32) -> VerifyOptions {
    let at = UnixTime::from_secs(step["at"].as_i64().expect("at")).expect("at in range");
    let leeway = u32::try_from(step["leeway"].as_u64().expect("leeway")).expect("leeway");
    let mut options = VerifyOptions::at(at)
        .with_leeway(leeway)
        .with_clock_tolerance(tolerance);
    if let Some(machine) = step["machine"].as_str() {
        options = options.with_machine(MachineId::parse(machine).expect("machine id"));
    }
    if let Some(product) = step["product"].as_str() {
        options = options.with_product(product);
    }
    options
}

/// What the report says, in the shape of a step's `expect`.
fn observed(report: &CheckReport) -> Value {
    let claims = report.license.verified_license().map(|verified| {
        let c = verified.claims();
        serde_json::json!({
            "license_id": c.license_id,
            "customer_id": c.customer_id,
            "product": c.product,
            "license_type": c.license_type.as_str(),
            "issued_at": c.issued_at.as_secs(),
            "expires_at": c.expires_at.map(|t| t.as_secs()),
            "alg": verified.alg().name(),
            "kid": verified.kid(),
        })
    });
    serde_json::json!({
        "status": report.license.status.as_str(),
        "valid": report.license.valid,
        "passed": report.passed(),
        "lists": report.revocation_lists.iter().map(|l| l.status.as_str()).collect::<Vec<_>>(),
        "claims": claims,
    })
}

#[test]
fn every_case_of_the_conformance_corpus() {
    let file = cases_file();
    let dir = file
        .parent()
        .expect("the cases file's directory")
        .to_path_buf();
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let cases: Value = serde_json::from_slice(&bytes).expect("the cases file is JSON");
    assert_eq!(cases["format"], 1, "cases.json format");
    let mut failures = Vec::new();
    let mut steps_checked = 0;
    let cases = cases["cases"].as_array().expect("cases");
    for case in cases {
        let name = text(case, "name");
        let license = read(&dir, &text(case, "license"));
        let mut keys = TrustedKeys::new();
        for file in case["trusted"].as_array().expect("trusted") {
            let file = file.as_str().expect("trusted file");
            keys.add_file_contents(&read(&dir, file))
                .unwrap_or_else(|e| panic!("case {name}: key {file}: {e}"));
        }
        for file in case["rollovers"].as_array().expect("rollovers") {
            let file = file.as_str().expect("rollover file");
            keys.accept_rollover(&read(&dir, file))
                .unwrap_or_else(|e| panic!("case {name}: rollover {file}: {e}"));
        }
        let tolerance =
            u32::try_from(case["clock_tolerance"].as_u64().expect("clock_tolerance")).expect("u32");
        let state_dir = tempfile::tempdir().expect("tempdir");
        let verifier = (case["state"] == true).then(|| {
            let settings = StateSettings {
                clock_tolerance_secs: tolerance,
                ..StateSettings::default()
            };
            StatefulVerifier::open(state_dir.path(), keys.clone(), settings).expect("state")
        });
        for (i, step) in case["steps"].as_array().expect("steps").iter().enumerate() {
            let list_files = read_lists(&dir, &step["lists"]);
            let lists = list_inputs(&list_files);
            let options = options(step, tolerance);
            let report = match &verifier {
                Some(verifier) => verifier.check(&license, &lists, &options).expect("check"),
                None => check_license(&license, &lists, &keys, &options),
            };
            let got = observed(&report);
            if got != step["expect"] {
                failures.push(format!(
                    "case {name}, step {i}: expected {}\n  got {got}\n  reason: {}",
                    step["expect"], report.license.reason
                ));
            }
            steps_checked += 1;
        }
    }
    assert!(
        cases.len() >= 60 && steps_checked >= cases.len(),
        "only {} cases, {steps_checked} steps",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {steps_checked} steps disagree with cases.json:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The lease cases: `LICET_CONFORMANCE_LEASES` if set, else the committed corpus.
fn leases_file() -> PathBuf {
    match std::env::var_os("LICET_CONFORMANCE_LEASES") {
        Some(path) => PathBuf::from(path),
        None => {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/conformance/leases.json")
        }
    }
}

/// What a lease report says, in the shape of a lease case's `expect`.
fn observed_lease(report: &LeaseCheckReport) -> Value {
    let lease = report.lease.lease_claims().map(|c| {
        serde_json::json!({
            "lease_id": c.lease_id,
            "machine_id": c.machine_id.as_str(),
            "pool_license_id": c.pool_license_id,
            "issued_at": c.issued_at.as_secs(),
            "expires_at": c.expires_at.as_secs(),
        })
    });
    serde_json::json!({
        "status": report.lease.status.as_str(),
        "valid": report.lease.valid,
        "passed": report.passed(),
        "part": report.lease.part,
        "lists": report.revocation_lists.iter().map(|l| l.status.as_str()).collect::<Vec<_>>(),
        "lease": lease,
    })
}

#[test]
fn every_lease_case_of_the_conformance_corpus() {
    let file = leases_file();
    let dir = file.parent().expect("the file's directory").to_path_buf();
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let cases: Value = serde_json::from_slice(&bytes).expect("the lease cases are JSON");
    assert_eq!(cases["format"], 1, "leases.json format");
    let cases = cases["cases"].as_array().expect("cases");
    let mut failures = Vec::new();
    for case in cases {
        let name = text(case, "name");
        let mut keys = TrustedKeys::new();
        for file in case["trusted"].as_array().expect("trusted") {
            let file = file.as_str().expect("trusted file");
            keys.add_file_contents(&read(&dir, file))
                .unwrap_or_else(|e| panic!("case {name}: key {file}: {e}"));
        }
        let list_files = read_lists(&dir, &case["lists"]);
        let lists = list_inputs(&list_files);
        let tolerance =
            u32::try_from(case["clock_tolerance"].as_u64().expect("clock_tolerance")).expect("u32");
        let mut step = case.clone();
        step["product"] = Value::Null;
        let report = check_lease(
            &read(&dir, &text(case, "lease")),
            &read(&dir, &text(case, "pool")),
            &lists,
            &keys,
            &options(&step, tolerance),
        );
        let got = observed_lease(&report);
        if got != case["expect"] {
            failures.push(format!(
                "case {name}: expected {}\n  got {got}\n  reason: {}",
                case["expect"], report.lease.reason
            ));
        }
    }
    assert!(cases.len() >= 14, "only {} lease cases", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} lease cases disagree with leases.json:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
