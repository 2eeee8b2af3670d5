//! `licet audit`: verify every license file under some paths, in parallel, and reconcile them
//! with the issuance ledger.
//!
//! ```
//! use licet_audit::{audit, AuditOptions};
//! use licet_verifier::{TrustedKeys, UnixTime};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("bogus.lic"), "not a license")?;
//! let options = AuditOptions::at(UnixTime::now());
//! let report = audit(&[dir.path().to_path_buf()], &TrustedKeys::new(), &options, None, &|_| {})?;
//! assert_eq!(report.summary.total, 1);
//! assert_eq!(report.summary.by_status["MALFORMED"], 1);
//! assert!(!report.is_clean());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod collect;
mod reconcile;
mod report;

pub use collect::{collect_license_files, LICENSE_EXTENSIONS};
pub use reconcile::{reconcile, HashMismatch, LedgerReconciliation};
pub use report::{AuditReport, FileVerdict, Summary, EXPIRING_WINDOW_SECS};

use licet_issuer::ledger::file_sha256;
use licet_verifier::{
    verify_licenses, TrustedKeys, UnixTime, VerifyOptions, MAX_LICENSE_FILE_BYTES,
};
use rayon::prelude::*;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Files verified per parallel task (and per progress tick): several Ed25519 batches.
pub const FILES_PER_TASK: usize = 256;

/// How to audit.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// The checks applied to every file (time, revocations, product, machine).
    pub verify: VerifyOptions,
    /// Paths never treated as license files (the revocation list, the ledger).
    pub skip: Vec<PathBuf>,
}

impl AuditOptions {
    /// Options at `now`: node-locked licenses are not checked against this machine (an auditor's
    /// machine is not the customer's), so their machine binding is reported, not enforced.
    pub fn at(now: UnixTime) -> Self {
        AuditOptions {
            verify: VerifyOptions {
                machine: licet_verifier::MachineCheck::NotChecked,
                ..VerifyOptions::at(now)
            },
            skip: Vec::new(),
        }
    }
}

/// Why an audit could not run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A path given does not exist or cannot be listed.
    #[error("{path}: {problem}")]
    Path {
        /// The path.
        path: String,
        /// What went wrong.
        problem: String,
    },
}

fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    // One byte over the limit: the verifier then reports the file as too large.
    file.take(MAX_LICENSE_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// Verifies `files` (already collected) in parallel, Ed25519 signatures in batches, and returns
/// one verdict per file in order. `progress` is called with the number of files just finished.
pub fn verify_files(
    files: &[PathBuf],
    keys: &TrustedKeys,
    options: &VerifyOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<FileVerdict> {
    files
        .par_chunks(FILES_PER_TASK)
        .map(|chunk| {
            let contents: Vec<Result<Vec<u8>, String>> =
                chunk.iter().map(|p| read_file(p)).collect();
            let readable: Vec<&[u8]> = contents
                .iter()
                .filter_map(|c| c.as_ref().ok().map(Vec::as_slice))
                .collect();
            let mut reports = verify_licenses(&readable, keys, options).into_iter();
            let verdicts: Vec<FileVerdict> = chunk
                .iter()
                .zip(&contents)
                .map(|(path, content)| match content {
                    Ok(bytes) => match reports.next() {
                        Some(report) => FileVerdict::new(path, &report, file_sha256(bytes)),
                        None => FileVerdict::unreadable(path, "no verdict was reached"),
                    },
                    Err(problem) => FileVerdict::unreadable(path, problem),
                })
                .collect();
            progress(chunk.len() as u64);
            verdicts
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect()
}

/// Collects the license files under `paths`, verifies them, summarises, and (with the ledger's
/// bytes) reconciles them with the ledger.
pub fn audit(
    paths: &[PathBuf],
    keys: &TrustedKeys,
    options: &AuditOptions,
    ledger: Option<&[u8]>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<AuditReport, AuditError> {
    let files = collect_license_files(paths, &options.skip)?;
    Ok(audit_files(&files, keys, options, ledger, progress))
}

/// [`audit`] of files already collected (by [`collect_license_files`]).
pub fn audit_files(
    files: &[PathBuf],
    keys: &TrustedKeys,
    options: &AuditOptions,
    ledger: Option<&[u8]>,
    progress: &(dyn Fn(u64) + Sync),
) -> AuditReport {
    let verdicts = verify_files(files, keys, &options.verify, progress);
    let summary = Summary::of(&verdicts, options.verify.now);
    let ledger = ledger.map(|bytes| reconcile(bytes, &verdicts));
    AuditReport {
        summary,
        files: verdicts,
        ledger,
    }
}
