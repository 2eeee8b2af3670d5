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

/// The largest ledger read.
const MAX_LEDGER_BYTES: u64 = 1024 * 1024 * 1024;

pub fn audit(args: AuditArgs) -> Result<u8> {
    let keys = load_trusted_keys(&args.pubkeys)?;
    let now = match &args.at {
        Some(at) => super::parse_time_option(at, "--at")?,
        None => UnixTime::now(),
    };
    let mut options = AuditOptions::at(now);
    options.verify.product = args.product.clone();
    if let Some(path) = &args.revocations {
        options.verify = options
            .verify
            .with_revocations(Arc::new(load_revocation_list(path, &keys)?));
        options.skip.push(path.clone());
    }
    let ledger = match &args.ledger {
        Some(path) => {
            options.skip.push(path.clone());
            Some(read_input(path, MAX_LEDGER_BYTES)?)
        }
        None => None,
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos}/{len} files verified ({per_sec}, {eta} left) {wide_bar}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let files =
        licet_audit::collect_license_files(&args.paths, &options.skip).map_err(|e| anyhow!(e))?;
    if let Some(bar) = &bar {
        bar.set_length(files.len() as u64);
    }
    let tick = |n: u64| {
        if let Some(bar) = &bar {
            bar.inc(n);
        }
    };
    let report = audit_files(&files, &keys, &options, ledger.as_deref(), &tick);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if args.json {
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else if args.csv {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record([
            "path",
            "status",
            "valid",
            "licenseId",
            "customerId",
            "kid",
            "expiry",
            "reason",
        ])?;
        for f in &report.files {
            let fields = [
                f.path.as_str(),
                f.status.as_str(),
                if f.valid { "true" } else { "false" },
                f.license_id.as_deref().unwrap_or(""),
                f.customer_id.as_deref().unwrap_or(""),
                f.kid.as_deref().unwrap_or(""),
                f.expiry.as_deref().unwrap_or(""),
                f.reason.as_str(),
            ];
            writer.write_record(fields.map(csv_cell))?;
        }
        let bytes = writer.into_inner().map_err(|e| anyhow!(e.to_string()))?;
        print_stdout(&String::from_utf8_lossy(&bytes))?;
    } else {
        print_stdout(&describe(&report))?;
    }
    Ok(if report.is_clean() {
        EXIT_OK
    } else {
        EXIT_REJECTED
    })
}

/// A CSV cell safe to open: control characters escaped (file names and claims are not trusted),
/// and a leading `=`, `+` or `@` quoted with `'` so a spreadsheet does not run it as a formula
/// (`-` is left alone: key ids start with it, and a minus alone runs nothing).
fn csv_cell(text: &str) -> String {
    let text = printable(text);
    if text.starts_with(['=', '+', '@']) {
        format!("'{text}")
    } else {
        text
    }
}

fn describe(report: &AuditReport) -> String {
    let s = &report.summary;
    let mut text = format!(
        "{}: {} of {} files valid; {} expiring within 30 days\n",
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
        s.expiring_within_30_days
    );
    let counts = |map: &std::collections::BTreeMap<String, usize>| {
        map.iter()
            .map(|(k, v)| format!("{} {v}", printable(k)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    text.push_str(&format!("  by status:   {}\n", counts(&s.by_status)));
    text.push_str(&format!("  by customer: {}\n", counts(&s.by_customer)));
    text.push_str(&format!("  by key:      {}\n", counts(&s.by_kid)));
    for f in report.files.iter().filter(|f| !f.valid) {
        text.push_str(&format!(
            "  {} {}: {}\n",
            paint(f.status.as_str(), false),
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
    }
    text
}
