//! Reconciling license files with the issuance ledger.

use crate::report::FileVerdict;
use licet_issuer::ledger::{verify_ledger, LedgerAction, LedgerCheck, LedgerEntry, LedgerProblem};
use licet_verifier::Status;
use serde::Serialize;
use std::collections::HashMap;

/// A file whose license is in the ledger, but not with this file's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HashMismatch {
    /// The file.
    pub path: String,
    /// Its license id.
    pub license_id: String,
    /// The file's hash.
    pub file_sha256: String,
    /// The hashes the ledger has for that license id (issue and activate entries).
    pub ledger_sha256: Vec<String>,
}

/// A file of a license that `licet reissue` replaced (the ledger has a `reissue` entry whose
/// file names it in `replaces`; read unverified, as a report): the fleet should carry the
/// replacement instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplacedFile {
    /// The file.
    pub path: String,
    /// Its license id.
    pub license_id: String,
    /// The license that replaces it.
    pub replaced_by: String,
}

/// The ledger against the files (`licet audit --json` `ledger`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerReconciliation {
    /// Lines in the ledger.
    pub entries: usize,
    /// Whether the hash chain is intact.
    pub intact: bool,
    /// SHA-256 of the last line.
    pub head_sha256: String,
    /// Problems of the chain (`licet ledger verify`).
    pub chain_breaks: Vec<LedgerProblem>,
    /// Verified license files whose license id the ledger never issued.
    pub not_in_ledger: Vec<String>,
    /// Files whose license is in the ledger with another file hash.
    pub hash_mismatches: Vec<HashMismatch>,
    /// Files whose signature did not verify: their license id is unknown, so they are not
    /// reconciled (they fail the audit on their own).
    pub unverified: usize,
    /// Verified files of licenses that a re-issued license replaces (reported; they do not fail
    /// the reconciliation, which is about the ledger knowing each file).
    pub replaced: Vec<ReplacedFile>,
    /// Intact chain, and every verified file in the ledger with its hash.
    pub reconciled: bool,
}

/// Checks the ledger's chain and looks up every verified file in it.
pub fn reconcile(ledger: &[u8], verdicts: &[FileVerdict]) -> LedgerReconciliation {
    reconcile_checked(&verify_ledger(ledger), verdicts)
}

/// [`reconcile`] with the ledger already checked (the audit reads it once, for its revocations
/// too).
pub fn reconcile_checked(check: &LedgerCheck, verdicts: &[FileVerdict]) -> LedgerReconciliation {
    let mut issued: HashMap<&str, Vec<&LedgerEntry>> = HashMap::new();
    // Read from the files the ledger keeps, unverified: `replaced` only reports, it never makes
    // a file valid or invalid.
    let mut replaced_by: HashMap<String, &str> = HashMap::new();
    for (_, entry) in &check.entries {
        if let Some(old) = entry
            .unverified_replaces()
            .filter(|_| entry.action == LedgerAction::Reissue)
        {
            replaced_by.insert(old, &entry.license_id);
        }
        if entry.action.records_license() {
            issued
                .entry(entry.license_id.as_str())
                .or_default()
                .push(entry);
        }
    }
    let mut not_in_ledger = Vec::new();
    let mut hash_mismatches = Vec::new();
    let mut unverified = 0;
    let mut replaced = Vec::new();
    for verdict in verdicts {
        let Some(id) = &verdict.license_id else {
            unverified += 1;
            continue;
        };
        if let Some(by) = replaced_by.get(id.as_str()) {
            replaced.push(ReplacedFile {
                path: verdict.path.clone(),
                license_id: id.clone(),
                replaced_by: (*by).to_owned(),
            });
        }
        match issued.get(id.as_str()) {
            None => not_in_ledger.push(verdict.path.clone()),
            Some(entries) if !entries.iter().any(|e| e.file_sha256 == verdict.file_sha256) => {
                hash_mismatches.push(HashMismatch {
                    path: verdict.path.clone(),
                    license_id: id.clone(),
                    file_sha256: verdict.file_sha256.clone(),
                    ledger_sha256: entries.iter().map(|e| e.file_sha256.clone()).collect(),
                })
            }
            Some(_) => {}
        }
    }
    let intact = check.is_intact();
    LedgerReconciliation {
        entries: check.lines,
        intact,
        head_sha256: check.head_sha256.clone(),
        chain_breaks: check.problems.clone(),
        reconciled: intact && not_in_ledger.is_empty() && hash_mismatches.is_empty(),
        not_in_ledger,
        hash_mismatches,
        unverified,
        replaced,
    }
}

/// Makes REVOKED every verified file whose license id has a `revoke` entry in the ledger, as a
/// revocation list would: a revocation outranks every claim check (expiry, product), but not a
/// clock found set back, which the verifier reports first. The chain need not be intact: a
/// revocation only ever takes validity away (a broken chain fails the audit by itself).
pub fn apply_ledger_revocations(check: &LedgerCheck, verdicts: &mut [FileVerdict]) {
    let mut revoked: HashMap<&str, (usize, &LedgerEntry)> = HashMap::new();
    for (line, entry) in &check.entries {
        if entry.action == LedgerAction::Revoke {
            revoked
                .entry(entry.license_id.as_str())
                .or_insert((*line, entry));
        }
    }
    if revoked.is_empty() {
        return;
    }
    for verdict in verdicts {
        let Some(id) = &verdict.license_id else {
            continue;
        };
        if matches!(verdict.status, Status::Revoked | Status::ClockRollback) {
            continue;
        }
        if let Some((line, entry)) = revoked.get(id.as_str()) {
            verdict.status = Status::Revoked;
            verdict.valid = false;
            verdict.reason = format!(
                "the license was revoked at {} by key {}, as line {line} of the ledger records",
                entry.time, entry.kid
            );
        }
    }
}
