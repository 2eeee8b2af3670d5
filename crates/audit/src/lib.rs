//! `licet audit`: verify every license file under some paths, in parallel, and reconcile them
//! with the issuance ledger.
//!
//! ```
//! use licet_audit::{audit, AuditOptions};
//! use licet_verifier::{TrustedKeys, UnixTime};
//!
//! let dir = tempfile::tempdir()?;
//! // A damaged license (its name says license, its content is no JWS), and notes.
//! std::fs::write(dir.path().join("bogus.lic"), "not a license")?;
//! std::fs::write(dir.path().join("notes.txt"), "renew in May")?;
//! let options = AuditOptions::at(UnixTime::now());
//! let report = audit(&[dir.path().to_path_buf()], &TrustedKeys::new(), &options, None, &|_| {})?;
//! assert_eq!(report.summary.total, 1);
//! assert_eq!(report.summary.by_status["MALFORMED"], 1);
//! assert_eq!(report.skipped[0].reason, "not a license file: a text file");
//! assert!(!report.is_clean());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod collect;
pub mod kinds;
mod recognise;
mod reconcile;
mod report;

pub use collect::{collect_files, has_license_name, Collection, SkippedFile, LICENSE_EXTENSIONS};
pub use reconcile::{
    apply_ledger_revocations, reconcile, reconcile_checked, HashMismatch, LedgerReconciliation,
    ReplacedFile,
};
pub use report::{
    AuditReport, Duplicate, ExpiringLicense, FileVerdict, SameFile, Summary, SupersededFile,
    EXPIRING_WINDOW_SECS,
};

use licet_issuer::ledger::{file_sha256, verify_ledger};
use licet_verifier::{verify_licenses, TrustedKeys, UnixTime, VerifyOptions};
use rayon::prelude::*;
use recognise::{Content, FileId};
use std::collections::HashMap;
use std::path::PathBuf;

/// Files verified per parallel task (and per progress tick): several Ed25519 batches.
pub const FILES_PER_TASK: usize = 256;

/// How to audit.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// The checks applied to every file (time, revocations, product, machine).
    pub verify: VerifyOptions,
    /// Files never treated as license files (the revocation lists, the ledger), with the reason
    /// reported when one of them is found under the paths. Compared as files (device and
    /// inode), whatever path reaches them.
    pub skip: Vec<(PathBuf, String)>,
}

impl AuditOptions {
    /// Options at `now`: node-locked licenses are not checked against this machine (an auditor's
    /// machine is not the customer's), so their machine binding is reported, not enforced.
    pub fn at(now: UnixTime) -> Self {
        AuditOptions {
            verify: VerifyOptions {
                machine: licet_verifier::MachineCheck::NotChecked,
                accept_pool_licenses: true,
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

/// What became of one collected file.
// Most files are audited: boxing the large variant would cost an allocation per file to save
// space on the rare skipped one.
#[allow(clippy::large_enum_variant)]
enum Outcome {
    Audited(FileVerdict),
    Skipped(SkippedFile),
}

/// Reads `files` (each once, capped), recognises license files by content, and verifies those
/// in parallel, Ed25519 signatures in batches. One outcome per file, in order, with the file's
/// id. `progress` is called with the number of files just finished.
fn read_and_verify(
    files: &[PathBuf],
    keys: &TrustedKeys,
    options: &VerifyOptions,
    skip: &[(FileId, String)],
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<(Option<FileId>, Outcome)> {
    files
        .par_chunks(FILES_PER_TASK)
        .map(|chunk| {
            let contents: Vec<(Option<FileId>, Content)> =
                chunk.iter().map(|p| recognise::read(p, skip)).collect();
            let licenses: Vec<&[u8]> = contents
                .iter()
                .filter_map(|(_, c)| match c {
                    Content::License(bytes) => Some(bytes.as_slice()),
                    _ => None,
                })
                .collect();
            let mut reports = verify_licenses(&licenses, keys, options).into_iter();
            let outcomes: Vec<(Option<FileId>, Outcome)> = chunk
                .iter()
                .zip(contents)
                .map(|(path, (id, content))| {
                    let outcome = match content {
                        Content::License(bytes) => Outcome::Audited(match reports.next() {
                            Some(report) => FileVerdict::new(path, report, file_sha256(&bytes)),
                            None => FileVerdict::unreadable(path, "no verdict was reached"),
                        }),
                        Content::Skip(reason) => Outcome::Skipped(SkippedFile::new(path, reason)),
                        Content::Unreadable(problem) => {
                            Outcome::Audited(FileVerdict::unreadable(path, &problem))
                        }
                    };
                    (id, outcome)
                })
                .collect();
            progress(chunk.len() as u64);
            outcomes
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect()
}

/// Collects the files under `paths`, recognises and verifies the license files, summarises, and
/// (with the ledger's bytes) applies the ledger's revocations and reconciles the files with it.
pub fn audit(
    paths: &[PathBuf],
    keys: &TrustedKeys,
    options: &AuditOptions,
    ledger: Option<&[u8]>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<AuditReport, AuditError> {
    let collection = collect_files(paths)?;
    Ok(audit_files(&collection, keys, options, ledger, progress))
}

/// [`audit`] of files already collected (by [`collect_files`]).
pub fn audit_files(
    collection: &Collection,
    keys: &TrustedKeys,
    options: &AuditOptions,
    ledger: Option<&[u8]>,
    progress: &(dyn Fn(u64) + Sync),
) -> AuditReport {
    let skip: Vec<(FileId, String)> = options
        .skip
        .iter()
        .filter_map(|(path, reason)| FileId::of_path(path).map(|id| (id, reason.clone())))
        .collect();
    let outcomes = read_and_verify(&collection.files, keys, &options.verify, &skip, progress);

    // A file reached again (same device and inode) is audited once: the first path counts.
    let mut first_path: HashMap<FileId, String> = HashMap::new();
    let mut verdicts = Vec::new();
    let mut skipped = collection.skipped.clone();
    let mut same_files = Vec::new();
    for (id, outcome) in outcomes {
        let path = match &outcome {
            Outcome::Audited(v) => &v.path,
            Outcome::Skipped(s) => &s.path,
        };
        if let Some(id) = id {
            if let Some(first) = first_path.get(&id) {
                same_files.push(SameFile {
                    path: path.clone(),
                    same_as: first.clone(),
                });
                continue;
            }
            first_path.insert(id, path.clone());
        }
        match outcome {
            Outcome::Audited(v) => verdicts.push(v),
            Outcome::Skipped(s) => skipped.push(s),
        }
    }
    skipped.sort_by(|a, b| a.path.cmp(&b.path));

    let ledger = ledger.map(|bytes| {
        let check = verify_ledger(bytes);
        apply_ledger_revocations(&check, &mut verdicts);
        // Every verified file, older renewals included, is checked against the ledger.
        reconcile_checked(&check, &verdicts)
    });
    let (verdicts, superseded, duplicates) = renewals(verdicts);
    let mut summary = Summary::of(&verdicts, options.verify.now);
    summary.skipped = skipped.len();
    summary.superseded = superseded.len();
    summary.duplicates = duplicates.len();
    summary.same_files = same_files.len();
    AuditReport::new(
        summary, verdicts, ledger, skipped, superseded, duplicates, same_files,
    )
}

/// Groups verified files by license id. Files of one id with different `exp` are renewals: the
/// one that expires last (a perpetual one, if any) counts and the older ones are superseded. Two
/// or more files with that last `exp` are duplicates (identical copies, or other claims
/// different). Returns the files that count, in their order, the superseded and the duplicates.
fn renewals(verdicts: Vec<FileVerdict>) -> (Vec<FileVerdict>, Vec<SupersededFile>, Vec<Duplicate>) {
    // Perpetual sorts after every expiry.
    let exp_key = |v: &FileVerdict| v.expires_at.map_or(i64::MAX, UnixTime::as_secs);
    // Indices of verified files, sorted by license id (stable: path order within an id).
    let mut by_id: Vec<usize> = (0..verdicts.len())
        .filter(|&i| verdicts[i].license_id.is_some())
        .collect();
    by_id.sort_by(|&a, &b| verdicts[a].license_id.cmp(&verdicts[b].license_id));
    let mut superseded_at = vec![false; verdicts.len()];
    let mut superseded = Vec::new();
    let mut duplicates = Vec::new();
    for group in by_id
        .chunk_by(|&a, &b| verdicts[a].license_id == verdicts[b].license_id)
        .filter(|g| g.len() > 1)
    {
        let id = verdicts[group[0]].license_id.as_deref().unwrap_or_default();
        let newest_exp = group
            .iter()
            .map(|&i| exp_key(&verdicts[i]))
            .max()
            .unwrap_or(i64::MAX);
        let newest: Vec<usize> = group
            .iter()
            .copied()
            .filter(|&i| exp_key(&verdicts[i]) == newest_exp)
            .collect();
        let counted = newest.first().map_or("", |&i| verdicts[i].path.as_str());
        for &i in group.iter().filter(|i| !newest.contains(i)) {
            superseded_at[i] = true;
            let v = &verdicts[i];
            superseded.push(SupersededFile {
                path: v.path.clone(),
                status: v.status,
                license_id: id.to_owned(),
                expiry: v.expiry.clone().unwrap_or_default(),
                superseded_by: counted.to_owned(),
            });
        }
        if newest.len() > 1 {
            let mut paths: Vec<String> = newest.iter().map(|&i| verdicts[i].path.clone()).collect();
            paths.sort();
            duplicates.push(Duplicate {
                license_id: id.to_owned(),
                paths,
                identical: newest
                    .windows(2)
                    .all(|w| verdicts[w[0]].file_sha256 == verdicts[w[1]].file_sha256),
            });
        }
    }
    superseded.sort_by(|a, b| a.path.cmp(&b.path));
    let counted = verdicts
        .into_iter()
        .zip(superseded_at)
        .filter_map(|(v, gone)| (!gone).then_some(v))
        .collect();
    (counted, superseded, duplicates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use licet_verifier::Status;
    use std::path::Path;

    fn verdict(path: &str, id: &str, exp: Option<i64>, sha: &str) -> FileVerdict {
        let mut v = FileVerdict::unreadable(Path::new(path), "");
        v.status = Status::Active;
        v.valid = true;
        v.license_id = Some(id.into());
        v.expires_at = exp.and_then(|s| UnixTime::from_secs(s).ok());
        v.expiry = v.expires_at.map(|t| t.to_rfc3339());
        v.file_sha256 = sha.into();
        v
    }

    #[test]
    fn renewals_count_once_and_copies_are_duplicates() {
        let (counted, superseded, duplicates) = renewals(vec![
            verdict("a", "L-1", Some(1_000), "1"),
            verdict("b", "L-1", Some(2_000), "2"),
            verdict("c", "L-2", Some(1_000), "3"),
            verdict("d", "L-2", Some(1_000), "3"),
            verdict("e", "L-3", Some(1_000), "4"),
            verdict("f", "L-3", None, "5"),
            verdict("g", "L-4", None, "6"),
            verdict("h", "L-4", None, "7"),
        ]);
        let paths: Vec<&str> = counted.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["b", "c", "d", "f", "g", "h"]);
        let old: Vec<(&str, &str)> = superseded
            .iter()
            .map(|s| (s.path.as_str(), s.superseded_by.as_str()))
            .collect();
        assert_eq!(old, [("a", "b"), ("e", "f")], "perpetual is the newest");
        assert_eq!(duplicates.len(), 2);
        assert_eq!(
            (duplicates[0].license_id.as_str(), duplicates[0].identical),
            ("L-2", true)
        );
        assert_eq!(
            (duplicates[1].license_id.as_str(), duplicates[1].identical),
            ("L-4", false)
        );
    }
}
