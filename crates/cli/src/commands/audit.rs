//! `licet audit`: many files, in parallel, with a progress bar on a terminal.

use super::keys::load_trusted_keys;
use super::lifecycle::load_revocation_list;
use crate::args::AuditArgs;
use crate::io::{print_stdout, read_input};
use crate::output::{paint, printable};
use crate::{EXIT_OK, EXIT_REJECTED};
use anyhow::{anyhow, Result};
use licet_audit::{audit_files, AuditOptions, AuditReport};
use licet_verifier::UnixTime;
use std::io::IsTerminal;
use std::sync::Arc;

use super::lifecycle::MAX_LEDGER_BYTES;

pub fn audit(args: AuditArgs) -> Result<u8> {
    let keys = load_trusted_keys(&args.pubkeys)?;
    let now = match &args.at {
        Some(at) => super::parse_time_option(at, "--at")?,
        None => UnixTime::now(),
    };
    let mut options = AuditOptions::at(now);
    options.verify.product = args.product.clone();
    // A list that does not verify stops the audit (exit 2, naming the list): an audit that
    // silently ignored a revocation list would report revoked licenses as ACTIVE.
    for path in &args.revocations {
        options.verify = options
            .verify
            .with_revocations(Arc::new(load_revocation_list(path, &keys)?));
        options.skip.push((
            path.clone(),
            "not a license file: a revocation list given with --revocations".into(),
        ));
    }
    let ledger = match &args.ledger {
        Some(path) => {
            options.skip.push((
                path.clone(),
                "not a license file: the ledger given with --ledger".into(),
            ));
            Some(read_input(path, MAX_LEDGER_BYTES)?)
        }
        None => None,
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos}/{len} files read ({per_sec}, {eta} left) {wide_bar}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let collection = licet_audit::collect_files(&args.paths).map_err(|e| anyhow!(e))?;
    if let Some(bar) = &bar {
        bar.set_length(collection.files.len() as u64);
    }
    let tick = |n: u64| {
        if let Some(bar) = &bar {
            bar.inc(n);
        }
    };
    let report = audit_files(&collection, &keys, &options, ledger.as_deref(), &tick);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if args.json {
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else if args.csv {
        print_stdout(&csv(&report)?)?;
    } else {
        print_stdout(&describe(&report))?;
    }
    Ok(if report.is_clean() {
        EXIT_OK
    } else {
        EXIT_REJECTED
    })
}

/// The `--csv` header: the `files[]` fields of the JSON report, in order.
const CSV_HEADER: [&str; 14] = [
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

/// One row per license file (skipped and superseded files are in the JSON and human reports
/// only). Machine ids are separated by spaces, features are compact JSON.
fn csv(report: &AuditReport) -> Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(CSV_HEADER)?;
    for f in &report.files {
        let machine_ids = f.machine_ids.as_ref().map(|ids| ids.join(" "));
        let features = f.features.as_ref().map(serde_json::to_string).transpose()?;
        let fields: [&str; 14] = [
            f.path.as_str(),
            f.status.as_str(),
            if f.valid { "true" } else { "false" },
            f.license_id.as_deref().unwrap_or(""),
            f.customer_id.as_deref().unwrap_or(""),
            f.kid.as_deref().unwrap_or(""),
            f.expiry.as_deref().unwrap_or(""),
            f.reason.as_str(),
            machine_ids.as_deref().unwrap_or(""),
            f.product.as_deref().unwrap_or(""),
            f.license_type.as_deref().unwrap_or(""),
            features.as_deref().unwrap_or(""),
            f.issued_at.as_deref().unwrap_or(""),
            f.not_before.as_deref().unwrap_or(""),
        ];
        writer.write_record(fields.map(csv_cell))?;
    }
    let bytes = writer.into_inner().map_err(|e| anyhow!(e.to_string()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A CSV cell safe to open: control characters escaped (file names and claims are not trusted),
/// and a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`
/// so that no spreadsheet reads it as a formula (OWASP's CSV injection rule). That includes key
/// ids that begin with `-` (a base64url thumbprint can): strip the `'` to compare them.
fn csv_cell(text: &str) -> String {
    // The raw text decides too: a leading tab or CR is escaped below (`\t`), which no longer
    // starts with it, but the cell must still be marked.
    let risky = |t: &str| t.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let escaped = printable(text);
    if risky(text) || risky(&escaped) {
        format!("'{escaped}")
    } else {
        escaped
    }
}

fn describe(report: &AuditReport) -> String {
    let s = &report.summary;
    let mut text = format!(
        "{}: {} of {} license files valid; {} expiring within 30 days; {} other files skipped\n",
        paint(
            if report.is_clean() {
                "CLEAN"
            } else {
                "PROBLEMS"
            },
            report.is_clean()
        ),
        s.valid,
        s.total,
        s.expiring_within_30_days,
        s.skipped
    );
    for problem in &report.problems {
        text.push_str(&format!("  problem: {}\n", printable(problem)));
    }
    let counts = |map: &std::collections::BTreeMap<String, usize>| {
        map.iter()
            .map(|(k, v)| format!("{} {v}", printable(k)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    text.push_str(&format!("  by status:   {}\n", counts(&s.by_status)));
    text.push_str(&format!("  by customer: {}\n", counts(&s.by_customer)));
    text.push_str(&format!("  by key:      {}\n", counts(&s.by_kid)));
    for e in &s.expiring {
        text.push_str(&format!(
            "  expiring {}: license {} of {} ({})\n",
            e.expiry,
            printable(&e.license_id),
            printable(&e.customer_id),
            printable(&e.path)
        ));
    }
    for f in report.files.iter().filter(|f| !f.valid) {
        text.push_str(&format!(
            "  {} {}: {}\n",
            paint(f.status.as_str(), false),
            printable(&f.path),
            printable(&f.reason)
        ));
    }
    for d in &report.duplicates {
        text.push_str(&format!(
            "  DUPLICATE license {}{}: {}\n",
            printable(&d.license_id),
            if d.identical {
                " (identical copies)"
            } else {
                ""
            },
            d.paths
                .iter()
                .map(|p| printable(p))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for f in &report.same_files {
        text.push_str(&format!(
            "  SAME FILE {}: already audited as {}\n",
            printable(&f.path),
            printable(&f.same_as)
        ));
    }
    for f in &report.superseded {
        text.push_str(&format!(
            "  superseded {}: license {} until {}, renewed by {}\n",
            printable(&f.path),
            printable(&f.license_id),
            f.expiry,
            printable(&f.superseded_by)
        ));
    }
    for f in &report.skipped {
        text.push_str(&format!(
            "  skipped {}: {}\n",
            printable(&f.path),
            printable(&f.reason)
        ));
    }
    if let Some(l) = &report.ledger {
        text.push_str(&format!(
            "  ledger: {} entries, chain {}, {} file(s) not in the ledger, {} hash mismatch(es)\n",
            l.entries,
            if l.intact { "intact" } else { "BROKEN" },
            l.not_in_ledger.len(),
            l.hash_mismatches.len()
        ));
        for p in &l.chain_breaks {
            text.push_str(&format!("    line {}: {}\n", p.line, printable(&p.message)));
        }
        for path in &l.not_in_ledger {
            text.push_str(&format!("    not in the ledger: {}\n", printable(path)));
        }
        for m in &l.hash_mismatches {
            text.push_str(&format!(
                "    {}: license {} is in the ledger with another file hash\n",
                printable(&m.path),
                printable(&m.license_id)
            ));
        }
        for r in &l.replaced {
            text.push_str(&format!(
                "    replaced: {} (license {} was re-issued as {})\n",
                printable(&r.path),
                printable(&r.license_id),
                printable(&r.replaced_by)
            ));
        }
    }
    text
}
