//! What an audit reports: a verdict per file and the summary.

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
    /// SHA-256 of the file's text without surrounding whitespace (as the ledger records it).
    #[serde(skip)]
    pub file_sha256: String,
    /// `exp`, for the summary.
    #[serde(skip)]
    pub expires_at: Option<UnixTime>,
}

impl FileVerdict {
    /// From a verification report.
    pub fn new(path: &Path, report: &VerificationReport, file_sha256: String) -> Self {
        let claims = report.verified_license().map(|v| v.claims());
        FileVerdict {
            path: path.display().to_string(),
            status: report.status,
            valid: report.valid,
            license_id: claims.map(|c| c.license_id.clone()),
            customer_id: claims.map(|c| c.customer_id.clone()),
            kid: report.kid.clone(),
            expiry: claims.and_then(|c| c.expires_at).map(|t| t.to_rfc3339()),
            reason: report.reason.clone(),
            file_sha256,
            expires_at: claims.and_then(|c| c.expires_at),
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
            file_sha256: String::new(),
            expires_at: None,
        }
    }
}

/// Counts over all files.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Files audited.
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
}

impl Summary {
    /// Counts `verdicts`, at `now`.
    pub fn of(verdicts: &[FileVerdict], now: UnixTime) -> Self {
        let mut summary = Summary {
            total: verdicts.len(),
            ..Default::default()
        };
        let soon = now.saturating_add(EXPIRING_WINDOW_SECS);
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
                if v.expires_at.is_some_and(|exp| exp <= soon) {
                    summary.expiring_within_30_days += 1;
                }
            }
        }
        summary
    }
}

/// The whole audit (`licet audit --json`).
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// Counts.
    pub summary: Summary,
    /// One verdict per file, in path order.
    pub files: Vec<FileVerdict>,
    /// The reconciliation with the ledger, when one was given.
    pub ledger: Option<LedgerReconciliation>,
}

impl AuditReport {
    /// Every file valid and, with a ledger, everything reconciled: `licet audit` exits 0.
    pub fn is_clean(&self) -> bool {
        self.summary.valid == self.summary.total
            && self.ledger.as_ref().is_none_or(|l| l.reconciled)
    }
}
