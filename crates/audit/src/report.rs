//! What an audit reports: a verdict per license file, the files skipped, renewals, duplicates,
//! and the summary.

use crate::collect::SkippedFile;
use crate::reconcile::LedgerReconciliation;
use licet_verifier::{Status, UnixTime, VerificationReport};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// "Expiring soon": within 30 days of the evaluation time.
pub const EXPIRING_WINDOW_SECS: i64 = 30 * 86_400;

/// The verdict on one file (`--json` `files[]`, and the `--csv` columns in this order).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileVerdict {
    /// The file.
    pub path: String,
    /// The status; MALFORMED for a file that could not be read.
    pub status: Status,
    /// ACTIVE or IN_GRACE.
    pub valid: bool,
    /// `jti`, when the signature verified.
    pub license_id: Option<String>,
    /// `sub`, when the signature verified.
    pub customer_id: Option<String>,
    /// The verifying key's kid, or the token's.
    pub kid: Option<String>,
    /// `exp` as RFC 3339; null when perpetual or unverified.
    pub expiry: Option<String>,
    /// Why.
    pub reason: String,
    /// `machine_ids`; null when not node-locked or unverified. Reported, not checked: the
    /// auditor's machine is not the customer's.
    pub machine_ids: Option<Vec<String>>,
    /// `aud`, the product; null when absent or unverified.
    pub product: Option<String>,
    /// `license_type` (`STANDARD` when the claim is absent); null when unverified.
    pub license_type: Option<String>,
    /// `features`; null when absent or unverified.
    pub features: Option<serde_json::Map<String, serde_json::Value>>,
    /// `iat` as RFC 3339; null when unverified.
    pub issued_at: Option<String>,
    /// `nbf` as RFC 3339; null when absent or unverified.
    pub not_before: Option<String>,
    /// SHA-256 of the file's text without surrounding whitespace (as the ledger records it).
    #[serde(skip)]
    pub file_sha256: String,
    /// `exp`, for the summary and to tell renewals apart.
    #[serde(skip)]
    pub expires_at: Option<UnixTime>,
}

impl FileVerdict {
    /// From a verification report, taken whole: the fields move out of its license view (no
    /// copy per file of an audit of 100,000).
    pub fn new(path: &Path, report: VerificationReport, file_sha256: String) -> Self {
        let expires_at = report
            .verified_license()
            .and_then(|v| v.claims().expires_at);
        // The view is there exactly when the signature verified.
        let view = report.license;
        let (mut license_id, mut customer_id, mut expiry, mut machine_ids, mut product) =
            (None, None, None, None, None);
        let (mut license_type, mut features, mut issued_at, mut not_before) =
            (None, None, None, None);
        if let Some(v) = view {
            license_id = Some(v.license_id);
            customer_id = Some(v.customer_id);
            expiry = v.expiry;
            machine_ids = v.machine_ids;
            product = v.product;
            license_type = Some(v.license_type);
            features = v.features;
            issued_at = Some(v.created_at);
            not_before = v.not_before;
        }
        FileVerdict {
            path: path.display().to_string(),
            status: report.status,
            valid: report.valid,
            license_id,
            customer_id,
            kid: report.kid,
            expiry,
            reason: report.reason,
            machine_ids,
            product,
            license_type,
            features,
            issued_at,
            not_before,
            file_sha256,
            expires_at,
        }
    }

    /// For a file that could not be read.
    pub fn unreadable(path: &Path, problem: &str) -> Self {
        FileVerdict {
            path: path.display().to_string(),
            status: Status::Malformed,
            valid: false,
            license_id: None,
            customer_id: None,
            kid: None,
            expiry: None,
            reason: format!("the file could not be read: {problem}"),
            machine_ids: None,
            product: None,
            license_type: None,
            features: None,
            issued_at: None,
            not_before: None,
            file_sha256: String::new(),
            expires_at: None,
        }
    }
}

/// A valid license that expires within 30 days (`summary.expiring[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpiringLicense {
    /// `jti`.
    pub license_id: String,
    /// `sub`.
    pub customer_id: String,
    /// `exp`, RFC 3339.
    pub expiry: String,
    /// The file.
    pub path: String,
}

/// Counts over the license files (superseded renewals left out).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// License files audited (one row each in `files`).
    pub total: usize,
    /// Valid files (ACTIVE or IN_GRACE).
    pub valid: usize,
    /// Files per status.
    pub by_status: BTreeMap<String, usize>,
    /// Verified files per customer (`sub`).
    pub by_customer: BTreeMap<String, usize>,
    /// Verified files per key id.
    pub by_kid: BTreeMap<String, usize>,
    /// Valid files whose expiry is within 30 days of the evaluation time.
    pub expiring_within_30_days: usize,
    /// Those files, soonest first.
    pub expiring: Vec<ExpiringLicense>,
    /// Files not audited (`skipped`).
    pub skipped: usize,
    /// Older renewals of a license present in a newer version (`superseded`).
    pub superseded: usize,
    /// License ids in more than one file (`duplicates`).
    pub duplicates: usize,
    /// Files reached more than once (`sameFiles`).
    pub same_files: usize,
}

impl Summary {
    /// Counts `verdicts`, at `now` (the counts of skipped, superseded and duplicate files are
    /// left at 0).
    pub fn of(verdicts: &[FileVerdict], now: UnixTime) -> Self {
        let mut summary = Summary {
            total: verdicts.len(),
            ..Default::default()
        };
        let soon = now.saturating_add(EXPIRING_WINDOW_SECS);
        let mut expiring = Vec::new();
        for v in verdicts {
            *summary.by_status.entry(v.status.to_string()).or_default() += 1;
            if let Some(customer) = &v.customer_id {
                *summary.by_customer.entry(customer.clone()).or_default() += 1;
            }
            // Only verified files: an unverified token's kid is whatever it claims.
            if let (Some(kid), Some(_)) = (&v.kid, &v.license_id) {
                *summary.by_kid.entry(kid.clone()).or_default() += 1;
            }
            if v.valid {
                summary.valid += 1;
                if let Some(exp) = v.expires_at.filter(|&exp| exp <= soon) {
                    expiring.push((exp, v));
                }
            }
        }
        expiring.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.path.cmp(&b.1.path)));
        summary.expiring_within_30_days = expiring.len();
        summary.expiring = expiring
            .into_iter()
            .map(|(exp, v)| ExpiringLicense {
                license_id: v.license_id.clone().unwrap_or_default(),
                customer_id: v.customer_id.clone().unwrap_or_default(),
                expiry: exp.to_rfc3339(),
                path: v.path.clone(),
            })
            .collect();
        summary
    }
}

/// An older renewal: a file with the same `jti` as a newer one and an earlier `exp`
/// (`superseded[]`). Not a problem, and not counted in the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SupersededFile {
    /// The older file.
    pub path: String,
    /// Its status, for the record.
    pub status: Status,
    /// The license id.
    pub license_id: String,
    /// Its `exp`, RFC 3339 (always there: a perpetual version would be the newest).
    pub expiry: String,
    /// The file of the newest version, which counts.
    pub superseded_by: String,
}

/// One license id in more than one file with the same `exp` (`duplicates[]`): identical copies,
/// or the same license with other claims different. A problem: which one is meant is unclear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Duplicate {
    /// The license id.
    pub license_id: String,
    /// The files, in path order (each also has its row in `files`).
    pub paths: Vec<String>,
    /// Whether the files are identical copies (same SHA-256 of the token).
    pub identical: bool,
}

/// A file reached a second time (the same path given twice, a link, overlapping paths:
/// `sameFiles[]`). Audited once; a problem, since the counts would otherwise be wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SameFile {
    /// The path that reached the file again.
    pub path: String,
    /// The path that reached it first (its row is in `files`, or it is in `skipped`).
    pub same_as: String,
}

/// The whole audit (`licet audit --json`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    /// Counts.
    pub summary: Summary,
    /// One verdict per license file, in the order found (paths as given, directories sorted).
    pub files: Vec<FileVerdict>,
    /// The reconciliation with the ledger, when one was given.
    pub ledger: Option<LedgerReconciliation>,
    /// Files not audited, and why, in path order.
    pub skipped: Vec<SkippedFile>,
    /// Older renewals left out of the counts.
    pub superseded: Vec<SupersededFile>,
    /// License ids in more than one file.
    pub duplicates: Vec<Duplicate>,
    /// Files reached more than once.
    pub same_files: Vec<SameFile>,
    /// No problem: `licet audit` exits 0.
    pub clean: bool,
    /// Why the audit is not clean, one sentence each (`no license file found`, ...).
    pub problems: Vec<String>,
}

impl AuditReport {
    /// Builds the report and decides whether it is clean.
    pub fn new(
        summary: Summary,
        files: Vec<FileVerdict>,
        ledger: Option<LedgerReconciliation>,
        skipped: Vec<SkippedFile>,
        superseded: Vec<SupersededFile>,
        duplicates: Vec<Duplicate>,
        same_files: Vec<SameFile>,
    ) -> Self {
        let mut problems = Vec::new();
        if summary.total == 0 {
            problems.push("no license file found".to_owned());
        } else if summary.valid < summary.total {
            problems.push(format!(
                "{} of {} license files not valid",
                summary.total - summary.valid,
                summary.total
            ));
        }
        for d in &duplicates {
            problems.push(format!(
                "license {} is in {} files{}",
                d.license_id,
                d.paths.len(),
                if d.identical {
                    " (identical copies)"
                } else {
                    " with the same expiry and other differences"
                }
            ));
        }
        for s in &same_files {
            problems.push(format!(
                "{} is the same file as {} (reached twice)",
                s.path, s.same_as
            ));
        }
        if let Some(l) = ledger.as_ref().filter(|l| !l.reconciled) {
            problems.push(if l.intact {
                "the files do not reconcile with the ledger".to_owned()
            } else {
                "the ledger's hash chain is broken".to_owned()
            });
        }
        AuditReport {
            clean: problems.is_empty(),
            problems,
            summary,
            files,
            ledger,
            skipped,
            superseded,
            duplicates,
            same_files,
        }
    }

    /// At least one license file, every one valid, no license id in two files, no file reached
    /// twice and, with a ledger, everything reconciled: `licet audit` exits 0.
    pub fn is_clean(&self) -> bool {
        self.clean
    }
}
