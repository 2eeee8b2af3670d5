//! The target of `licet audit`'s reading of files: recognising a license by its content, then
//! the batch verifier.

use crate::fixed;
use licet_audit::AuditOptions;
use licet_verifier::verify_license;

/// `licet audit DIR` ([`licet_audit::audit`]) of a directory holding the input as a file with
/// no license-like name, so that its content alone decides whether it is audited (the
/// recogniser reads JWS headers, JSON, PEM, ledgers). Asserts: the audit runs; a file it audits
/// gets the verdict of the one-by-one [`verify_license`] with the audit's options (status,
/// validity, license id); and a file it skips is never a valid license.
pub fn audit(data: &[u8]) {
    let dir = fixed::scratch_dir();
    if let Err(e) = std::fs::write(dir.path().join("input"), data) {
        panic!("the input cannot be written: {e}");
    }
    let options = AuditOptions::at(fixed::now());
    let paths = [dir.path().to_path_buf()];
    let report = match licet_audit::audit(&paths, fixed::trusted_keys(), &options, None, &|_| {}) {
        Ok(report) => report,
        Err(e) => panic!("a directory of one file cannot be audited: {e}"),
    };
    let one = verify_license(data, fixed::trusted_keys(), &options.verify);
    match (report.files.as_slice(), report.skipped.as_slice()) {
        ([verdict], []) => {
            assert_eq!(
                (verdict.status, verdict.valid),
                (one.status, one.valid),
                "the audit's verdict differs from the one-by-one verdict: {} / {}",
                verdict.reason,
                one.reason
            );
            assert_eq!(
                verdict.license_id.as_deref(),
                one.verified_license()
                    .map(|v| v.claims().license_id.as_str()),
                "the audit names another license"
            );
        }
        ([], [skipped]) => assert!(
            !one.valid,
            "the audit skipped a valid license ({})",
            skipped.reason
        ),
        (files, skipped) => panic!(
            "one file gave {} verdicts and {} skips",
            files.len(),
            skipped.len()
        ),
    }
}
