//! `licet relay report` and `licet relay verify-report`: usage reports from the relay to the
//! vendor (true-up).

use super::keys::load_trusted_keys;
use super::{parse_time_option, read_license, refuse_stdin_twice};
use crate::args::{RelayReportArgs, RelayVerifyReportArgs};
use crate::io::{print_stderr, print_stdout, read_capped};
use crate::kinds::{refuse_other_kind, write_kind, FileKind};
use crate::output::{paint, printable};
use crate::{EXIT_OK, EXIT_REJECTED};
use anyhow::{anyhow, bail, Result};
use licet_issuer::usage::{
    verify_usage_report, Acceptance, ReportLedger, UsageReport, VerifiedUsageReport,
    MAX_USAGE_REPORT_BYTES,
};
use licet_relay::dir::RelayDir;
use licet_relay::report::{make_report, recorded_report};
use licet_verifier::lease::PoolTerms;
use licet_verifier::{verify_license, MachineCheck, Status, UnixTime, VerifyOptions};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};

pub fn report(args: RelayReportArgs) -> Result<u8> {
    let dir = RelayDir::new(&args.dir);
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("-"));
    // Checked first: a refused --out makes and records no report.
    refuse_other_kind(&out, FileKind::UsageReport, "a usage report")?;
    let (token, report) = match args.resend {
        Some(seq) => {
            let token = recorded_report(&dir, seq)?;
            let claims = licet_issuer::usage::verify_usage_report(
                token.as_bytes(),
                dir.load_key()?.public_key(),
                UnixTime::now(),
            )
            .map_err(|e| anyhow!("the recorded report {seq}: {e}"))?
            .report;
            (token, claims)
        }
        None => {
            let since = args
                .since
                .as_deref()
                .map(|s| parse_time_option(s, "--since"))
                .transpose()?;
            let written = make_report(&dir, since, UnixTime::now())?;
            (written.token, written.report)
        }
    };
    write_kind(&out, &token, FileKind::UsageReport, "the usage report").map_err(|e| {
        anyhow!(
            "{e:#}\nreport {} is recorded in {}: `licet relay report --dir {} --resend {} --out FILE` writes it again",
            report.seq,
            dir.database_path().display(),
            args.dir.display(),
            report.seq
        )
    })?;
    if args.json {
        print_stderr(&serde_json::to_string_pretty(&json!({
            "seq": report.seq,
            "prev": report.prev,
            "relay_kid": report.relay_kid,
            "period": report.period,
            "log": report.log,
            "pools": report.pools.iter().map(|p| json!({
                "pool": p.pool,
                "peak": report.peak(&p.pool),
                "grants": total_grants(p),
                "days": p.days.len(),
            })).collect::<Vec<_>>(),
            "out": out.to_string_lossy(),
        }))?);
    } else if out != Path::new("-") {
        print_stderr(&format!(
            "wrote usage report {} ({} to {}, {} pool(s), lease log {} entries) to {}",
            report.seq,
            describe_time(report.period.from),
            describe_time(report.period.to),
            report.pools.len(),
            report.log.seq,
            out.display()
        ));
    }
    Ok(EXIT_OK)
}

/// A pool's grants over the period (saturating: a hostile report cannot overflow it).
fn total_grants(pool: &licet_issuer::usage::PoolUsage) -> u64 {
    pool.days
        .iter()
        .fold(0u64, |sum, day| sum.saturating_add(day.grants))
}

fn describe_time(secs: i64) -> String {
    UnixTime::from_secs(secs).map_or_else(|_| secs.to_string(), |t| t.to_rfc3339())
}

/// A pool license given with `--pool`, verified.
struct GivenPool {
    path: PathBuf,
    terms: PoolTerms,
    status: Status,
}

/// One pool's line of the verdict.
#[derive(Serialize)]
struct PoolLine {
    pool: String,
    /// The pool license file given for it; null when the report names a pool not given.
    file: Option<String>,
    seats: Option<u32>,
    peak: u32,
    grants: u64,
    /// Whether the report names the pool at all (a pool given but unused in the log is not).
    reported: bool,
}

#[derive(Serialize)]
struct Verdict<'a> {
    valid: bool,
    status: &'static str,
    reason: String,
    hash: Option<&'a str>,
    report: Option<&'a UsageReport>,
    pools: Vec<PoolLine>,
    /// Things a reader must know that do not refuse the report.
    warnings: Vec<String>,
    /// With --state: whether the report was recorded, and what came before it.
    state: Option<serde_json::Value>,
}

pub fn verify_report(args: RelayVerifyReportArgs) -> Result<u8> {
    refuse_stdin_twice(&args.report, &args.pubkeys)?;
    if args.report == Path::new("-") && args.pools.iter().any(|p| p == Path::new("-")) {
        bail!("standard input (`-`) can be given only once: for the report or for a pool license");
    }
    let keys = load_trusted_keys(&args.pubkeys)?;
    let now = UnixTime::now();
    let options = VerifyOptions {
        machine: MachineCheck::NotChecked,
        accept_pool_licenses: true,
        ..VerifyOptions::at(now)
    };
    let mut given = Vec::new();
    for path in &args.pools {
        let verdict = verify_license(&read_license(path)?, &keys, &options);
        let license = match verdict.verified_license() {
            Some(license) if verdict.valid || verdict.status == Status::Expired => license,
            _ => bail!(
                "{}: the pool license is not valid ({}: {})",
                path.display(),
                verdict.status,
                verdict.reason
            ),
        };
        let terms = PoolTerms::from_claims(license.claims())
            .map_err(|e| anyhow!("{}: the pool license's {e}", path.display()))?;
        given.push(GivenPool {
            path: path.clone(),
            terms,
            status: verdict.status,
        });
    }
    let relay_key = given[0].terms.relay_key.clone();
    if let Some(other) = given
        .iter()
        .find(|p| p.terms.relay_kid() != relay_key.kid())
    {
        bail!(
            "{} names relay key {}, but {} names {}: give the pool licenses of one relay",
            other.path.display(),
            other.terms.relay_kid(),
            given[0].path.display(),
            relay_key.kid()
        );
    }
    let (bytes, too_large) = read_capped(&args.report, MAX_USAGE_REPORT_BYTES as u64)?;
    if too_large {
        bail!(
            "{} is larger than {MAX_USAGE_REPORT_BYTES} bytes: not a usage report",
            args.report.display()
        );
    }
    let mut warnings = Vec::new();
    for pool in given.iter().filter(|p| p.status == Status::Expired) {
        warnings.push(format!(
            "pool license {} has expired; its reported use is shown all the same",
            printable(&pool.terms.license_id)
        ));
    }
    let verified = verify_usage_report(&bytes, &relay_key, now);
    let (verified, acceptance) = match verified {
        Ok(verified) => {
            let acceptance = args
                .state
                .as_ref()
                .map(|dir| ReportLedger::new(dir).accept(&verified, now));
            (verified, acceptance)
        }
        Err(e) => {
            let verdict = Verdict {
                valid: false,
                status: e.status(),
                reason: e.to_string(),
                hash: None,
                report: None,
                pools: Vec::new(),
                warnings,
                state: None,
            };
            print_verdict(&verdict, args.json)?;
            return Ok(EXIT_REJECTED);
        }
    };
    let pools = pool_lines(&verified, &given, &mut warnings);
    let (valid, status, reason, state) = match (acceptance, &args.state) {
        (Some(Ok(acceptance)), Some(dir)) => {
            if let Some(note) = &acceptance.unseen_before {
                warnings.push(note.clone());
            }
            (
                true,
                "VALID",
                follows(&verified, &acceptance),
                Some(json!({"dir": dir.to_string_lossy(), "recorded": true,
                            "previous": acceptance.previous})),
            )
        }
        (Some(Err(e @ licet_issuer::usage::UsageError::State(_))), _) => {
            bail!("--state: {e}")
        }
        (Some(Err(e)), Some(dir)) => (
            false,
            e.status(),
            e.to_string(),
            Some(json!({"dir": dir.to_string_lossy(), "recorded": false})),
        ),
        _ => {
            warnings.push(
                "no --state: the report was checked alone; a replayed, forked or skipped report is caught only with --state".into(),
            );
            (
                true,
                "VALID",
                format!(
                    "report {} of relay {} is signed by the relay key the pool license names",
                    verified.report.seq, verified.report.relay_kid
                ),
                None,
            )
        }
    };
    let verdict = Verdict {
        valid,
        status,
        reason,
        hash: Some(&verified.hash),
        report: Some(&verified.report),
        pools,
        warnings,
        state,
    };
    print_verdict(&verdict, args.json)?;
    Ok(if valid { EXIT_OK } else { EXIT_REJECTED })
}

fn follows(verified: &VerifiedUsageReport, acceptance: &Acceptance) -> String {
    let report = &verified.report;
    match &acceptance.previous {
        Some(previous) => format!(
            "report {} of relay {} is signed by the relay key the pool license names and follows report {} accepted before; recorded",
            report.seq, report.relay_kid, previous.seq
        ),
        None => format!(
            "report {} of relay {} is signed by the relay key the pool license names; the first report of this relay recorded here",
            report.seq, report.relay_kid
        ),
    }
}

fn pool_lines(
    verified: &VerifiedUsageReport,
    given: &[GivenPool],
    warnings: &mut Vec<String>,
) -> Vec<PoolLine> {
    let report = &verified.report;
    let mut lines = Vec::new();
    for usage in &report.pools {
        let pool = given.iter().find(|g| g.terms.license_id == usage.pool);
        let peak = report.peak(&usage.pool);
        match pool {
            Some(pool) if peak > pool.terms.seats => warnings.push(format!(
                "pool {}: the report's peak {peak} is above its {} seats (a relay clock set back makes leases overlap in the log; a relay that does not keep the terms does too)",
                printable(&usage.pool),
                pool.terms.seats
            )),
            Some(_) => {}
            None => warnings.push(format!(
                "the report names pool {}, whose license was not given with --pool: its figures are shown unchecked against any seat count",
                printable(&usage.pool)
            )),
        }
        lines.push(PoolLine {
            pool: usage.pool.clone(),
            file: pool.map(|p| p.path.to_string_lossy().into_owned()),
            seats: pool.map(|p| p.terms.seats),
            peak,
            grants: total_grants(usage),
            reported: true,
        });
    }
    for pool in given {
        if !report.pools.iter().any(|u| u.pool == pool.terms.license_id) {
            lines.push(PoolLine {
                pool: pool.terms.license_id.clone(),
                file: Some(pool.path.to_string_lossy().into_owned()),
                seats: Some(pool.terms.seats),
                peak: 0,
                grants: 0,
                reported: false,
            });
            warnings.push(format!(
                "pool {} ({}) does not appear in the report: its relay's lease log has no entry of it",
                printable(&pool.terms.license_id),
                pool.path.display()
            ));
        }
    }
    lines
}

fn print_verdict(verdict: &Verdict<'_>, json: bool) -> Result<()> {
    if json {
        return print_stdout(&format!("{}\n", serde_json::to_string_pretty(verdict)?));
    }
    let mut text = format!(
        "{}: {}\n",
        paint(verdict.status, verdict.valid),
        printable(&verdict.reason)
    );
    if let Some(report) = verdict.report {
        text.push_str(&format!(
            "  period     {} to {}\n  lease log  {} entries, head {}\n",
            describe_time(report.period.from),
            describe_time(report.period.to),
            report.log.seq,
            report.log.hash
        ));
        for line in &verdict.pools {
            text.push_str(&format!(
                "  pool       {}: peak {}{}, {} grants{}\n",
                printable(&line.pool),
                line.peak,
                line.seats
                    .map_or(String::new(), |s| format!(" of {s} seats")),
                line.grants,
                if line.reported {
                    ""
                } else {
                    " (not in the report)"
                }
            ));
            if let Some(usage) = report.pools.iter().find(|p| p.pool == line.pool) {
                for day in &usage.days {
                    text.push_str(&format!(
                        "    {}  peak {:>7}  grants {:>8}\n",
                        day.day, day.peak, day.grants
                    ));
                }
            }
        }
    }
    for warning in &verdict.warnings {
        text.push_str(&format!("  warning    {}\n", printable(warning)));
    }
    print_stdout(&text)
}
