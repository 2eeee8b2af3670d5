//! `licet relay report`: the usage report of the relay's lease log, signed with the relay key,
//! chained to the report before it (`licet_issuer::usage`).
//!
//! The figures come from the hash-chained lease log, checked whole before anything is counted. A
//! lease is counted from its grant until the end of its last token (the `exp` of its last grant
//! or renewal) or its expiry entry, whichever is first: a released lease still counts until its
//! last token ends, as the relay counts it. The report is recorded in the database (with its
//! whole text, so it can be written again) before it is handed back: a report that reached no
//! file is never lost, and the next report always follows the last one recorded.

use crate::dir::RelayDir;
use crate::error::RelayError;
use crate::store::{LeaseEvent, LogEntry, Store};
use licet_issuer::usage::{
    report_hash, sign_usage_report, utc_days, DayUsage, Period, PoolUsage, UsageReport,
};
use licet_verifier::UnixTime;
use std::collections::BTreeMap;

/// A report written and recorded.
#[derive(Debug, Clone)]
pub struct WrittenReport {
    /// The signed report (compact JWS).
    pub token: String,
    /// Its claims.
    pub report: UsageReport,
}

/// Makes, signs and records the next usage report of the relay in `dir`, for the period from
/// `since` (default: the end of the last report, or else the first lease log entry) to the end of
/// the second `now`.
///
/// Refused: a lease log that is broken, a database of another relay key, a clock behind the
/// latest time the relay acted at or behind the last report's end, and an empty period.
pub fn make_report(
    dir: &RelayDir,
    since: Option<UnixTime>,
    now: UnixTime,
) -> Result<WrittenReport, RelayError> {
    let key = dir.load_key()?;
    let path = dir.database_path();
    if !path.exists() {
        return Err(RelayError::Report(format!(
            "{} does not exist: this relay has never served (run `licet relay serve` first)",
            path.display()
        )));
    }
    let store = Store::open(&path)?;
    store.bind_relay_kid(key.kid())?;
    let inputs = store.report_inputs()?;
    // The period ends at the start of the current second (`to` is exclusive): entries of this
    // second go into the next report, which starts there, so none falls between two reports.
    let to = now.as_secs();
    if to < inputs.floor {
        return Err(RelayError::Report(format!(
            "the clock ({now}) is behind the latest time the relay acted at ({}): a report cannot end before it; fix the clock",
            describe(inputs.floor)
        )));
    }
    if let Some(last) = &inputs.last {
        if to < last.period_end {
            return Err(RelayError::Report(format!(
                "the clock ({now}) is behind the end of report {} ({}): fix the clock",
                last.seq,
                describe(last.period_end)
            )));
        }
    }
    let prev_log = match (&inputs.last, inputs.at_last.clone()) {
        (_, Some(head)) if head.seq <= inputs.head.seq => head,
        (Some(last), _) => {
            return Err(RelayError::Report(format!(
                "report {} named a lease log of {} entries, but the log has {}: the database was replaced by an older copy",
                last.seq, last.log_seq, inputs.head.seq
            )))
        }
        (None, _) => crate::store::LogHead {
            seq: 0,
            hash: crate::store::GENESIS_HASH.into(),
        },
    };
    // Where the period must start at the latest: the end of the last report, else the first
    // lease. `--since` may reach back before it (periods may overlap) but never leave time out.
    let start = match (&inputs.last, inputs.entries.first()) {
        (Some(last), _) => last.period_end,
        (None, Some(first)) => first.at,
        (None, None) => to,
    };
    let from = match since {
        Some(since) if since.as_secs() > start => {
            return Err(RelayError::Report(format!(
                "--since {since} is after {} ({}): the time between would be in no report",
                describe(start),
                if inputs.last.is_some() {
                    "the end of the last report"
                } else {
                    "the first lease"
                }
            )))
        }
        Some(since) => since.as_secs(),
        None => start,
    };
    if from >= to {
        return Err(RelayError::Report(format!(
            "the period from {} to {} is empty: nothing to report{}",
            describe(from),
            describe(to),
            match (since, &inputs.last) {
                (Some(_), _) => "",
                (None, Some(_)) => " (the last report ended there: wait a second, or give --since for an earlier start)",
                (None, None) => " (wait a second after the first lease, or give --since for an earlier start)",
            }
        )));
    }
    let period = Period { from, to };
    let pools = usage(&inputs.entries, period).map_err(RelayError::Report)?;
    let (seq, prev) = match &inputs.last {
        Some(last) => (last.seq as u64 + 1, last.hash.clone()),
        None => (1, licet_issuer::usage::NO_PREVIOUS_REPORT.to_owned()),
    };
    let head = inputs.head;
    let report = UsageReport {
        seq,
        prev,
        prev_log: licet_issuer::usage::LogHead {
            seq: prev_log.seq as u64,
            hash: prev_log.hash,
        },
        ..UsageReport::first(key.kid(), period, to, pools, (head.seq as u64, head.hash))
    };
    let token = sign_usage_report(&key, &report)
        .map_err(|e| RelayError::Report(format!("signing the report: {e}")))?;
    store
        .record_report(
            seq as i64,
            &report_hash(&token),
            (from, to),
            report.log.seq as i64,
            &token,
        )
        .map_err(|e| match e {
            RelayError::Database(path, problem) if problem.contains("UNIQUE") => {
                RelayError::Database(
                    path,
                    format!("report {seq} was recorded by another `licet relay report` at the same time; run it again"),
                )
            }
            other => other,
        })?;
    Ok(WrittenReport { token, report })
}

/// The report `seq` as recorded, to write it again (`licet relay report --resend SEQ`).
pub fn recorded_report(dir: &RelayDir, seq: u64) -> Result<String, RelayError> {
    let path = dir.database_path();
    if !path.exists() {
        return Err(RelayError::Report(format!(
            "{} does not exist: this relay has written no report",
            path.display()
        )));
    }
    let store = Store::open(&path)?;
    match store.report_token(seq as i64)? {
        Some(token) => Ok(token),
        None => Err(RelayError::Report(format!(
            "the relay has recorded no report {seq}{}",
            match store.last_report()? {
                Some(last) => format!(" (its reports are 1 to {})", last.seq),
                None => " (it has written none yet)".into(),
            }
        ))),
    }
}

fn describe(secs: i64) -> String {
    UnixTime::from_secs(secs).map_or_else(|_| secs.to_string(), |t| t.to_string())
}

/// One lease's time of validity, from the log.
struct Span {
    pool: String,
    start: i64,
    end: i64,
}

/// The usage of every pool in `entries` over `period`, per UTC day: the most leases valid at
/// once, and the grants.
pub fn usage(entries: &[LogEntry], period: Period) -> Result<Vec<PoolUsage>, String> {
    let days = utc_days(period)?;
    let mut spans: BTreeMap<&str, Span> = BTreeMap::new();
    let mut grants: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for entry in entries {
        grants.entry(entry.pool.as_str()).or_default();
        match entry.event {
            LeaseEvent::Grant => {
                grants
                    .entry(entry.pool.as_str())
                    .or_default()
                    .push(entry.at);
                spans.insert(
                    entry.lease_id.as_str(),
                    Span {
                        pool: entry.pool.clone(),
                        start: entry.at,
                        end: entry.expires_at.unwrap_or(entry.at),
                    },
                );
            }
            LeaseEvent::Renew | LeaseEvent::Release => {
                if let (Some(span), Some(end)) =
                    (spans.get_mut(entry.lease_id.as_str()), entry.expires_at)
                {
                    span.end = end;
                }
            }
            LeaseEvent::Expire => {
                if let Some(span) = spans.get_mut(entry.lease_id.as_str()) {
                    span.end = span.end.min(entry.at);
                }
            }
        }
    }
    let mut changes: BTreeMap<&str, Vec<(i64, i64)>> = BTreeMap::new();
    for span in spans.values() {
        if span.end > span.start {
            let list = changes.entry(span.pool.as_str()).or_default();
            list.push((span.start, 1));
            list.push((span.end, -1));
        }
    }
    let mut out = Vec::new();
    for (pool, mut granted_at) in grants {
        granted_at.sort_unstable();
        let mut list = changes.remove(pool).unwrap_or_default();
        list.sort_unstable();
        let mut next = 0;
        let mut count: i64 = 0;
        let mut pool_days = Vec::with_capacity(days.len());
        for (index, day) in days.iter().enumerate() {
            let day_start = period.from.div_euclid(86_400) * 86_400 + index as i64 * 86_400;
            let window = (
                day_start.max(period.from),
                (day_start + 86_400).min(period.to),
            );
            while next < list.len() && list[next].0 <= window.0 {
                count += list[next].1;
                next += 1;
            }
            let mut peak = count;
            while next < list.len() && list[next].0 < window.1 {
                let at = list[next].0;
                while next < list.len() && list[next].0 == at {
                    count += list[next].1;
                    next += 1;
                }
                peak = peak.max(count);
            }
            pool_days.push(DayUsage {
                day: day.clone(),
                peak: u32::try_from(peak.max(0)).unwrap_or(u32::MAX),
                grants: (granted_at.partition_point(|&t| t < window.1)
                    - granted_at.partition_point(|&t| t < window.0)) as u64,
            });
        }
        out.push(PoolUsage {
            pool: pool.to_owned(),
            days: pool_days,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;
    const T0: i64 = 1_800_000_000 - 1_800_000_000 % DAY;

    fn entry(
        seq: i64,
        at: i64,
        event: LeaseEvent,
        lease: &str,
        expires_at: Option<i64>,
    ) -> LogEntry {
        LogEntry {
            seq,
            at,
            event,
            pool: "P".into(),
            machine_id: format!("m-{lease}"),
            lease_id: lease.into(),
            expires_at,
        }
    }

    #[test]
    fn peaks_count_leases_valid_at_once_per_day() {
        use LeaseEvent::*;
        let log = vec![
            // Day 0: a from 100 to 1000, b from 500 (renewed to 2000, then released: still
            // counted to 2000), c from 1500 to 1600, d from 10 s before midnight: peak 2 (a+b,
            // then b+c), 4 grants.
            entry(1, T0 + 100, Grant, "a", Some(T0 + 1_000)),
            entry(2, T0 + 500, Grant, "b", Some(T0 + 900)),
            entry(3, T0 + 800, Renew, "b", Some(T0 + 2_000)),
            entry(4, T0 + 1_200, Expire, "a", None),
            entry(5, T0 + 1_300, Release, "b", Some(T0 + 2_000)),
            entry(6, T0 + 1_500, Grant, "c", Some(T0 + 1_600)),
            // d runs over midnight into day 1, where its expiry is logged late (at 3000 past
            // midnight, after its token ended at 100 past): counted to 100 past only.
            entry(7, T0 + DAY - 10, Grant, "d", Some(T0 + DAY + 100)),
            entry(8, T0 + DAY + 3_000, Expire, "d", None),
        ];
        let pools = usage(
            &log,
            Period {
                from: T0,
                to: T0 + 2 * DAY,
            },
        )
        .expect("usage");
        assert_eq!(pools.len(), 1);
        let days = &pools[0].days;
        assert_eq!(days.len(), 2);
        assert_eq!((days[0].peak, days[0].grants), (2, 4));
        // Day 1: d is valid at midnight (peak 1), no grant.
        assert_eq!((days[1].peak, days[1].grants), (1, 0));
        // Day 2 of a longer period: nothing valid, but the pool is still listed.
        let pools = usage(
            &log,
            Period {
                from: T0 + 2 * DAY,
                to: T0 + 3 * DAY,
            },
        )
        .expect("usage");
        assert_eq!((pools[0].days[0].peak, pools[0].days[0].grants), (0, 0));
    }

    /// A relay directory whose log holds `entries` and whose clock floor is `floor`.
    fn relay_with(entries: &[LogEntry], floor: i64) -> (tempfile::TempDir, RelayDir) {
        let temp = tempfile::tempdir().expect("dir");
        let dir = RelayDir::new(temp.path().join("relay"));
        dir.init(
            &licet_verifier::MachineId::from_raw_identifier("relay"),
            UnixTime::from_secs(T0).expect("t"),
        )
        .expect("init");
        let mut store = Store::open(&dir.database_path()).expect("open");
        store
            .bind_relay_kid(dir.load_key().expect("key").kid())
            .expect("bind");
        let batch = store.begin().expect("begin");
        let mut prev = crate::store::GENESIS_HASH.to_owned();
        for entry in entries {
            prev = batch.append_log(entry, &prev).expect("append");
        }
        batch.set_clock_floor(floor).expect("floor");
        batch.commit().expect("commit");
        (temp, dir)
    }

    fn at(secs: i64) -> UnixTime {
        UnixTime::from_secs(secs).expect("t")
    }

    #[test]
    fn reports_chain_and_refuse_what_would_lie_or_leave_time_out() {
        use LeaseEvent::*;
        let log = [
            entry(1, T0 + 100, Grant, "a", Some(T0 + 1_000)),
            entry(2, T0 + 200, Grant, "b", Some(T0 + 1_100)),
        ];
        let (_temp, dir) = relay_with(&log, T0 + 200);
        // A clock behind the latest time the relay acted at.
        let e = make_report(&dir, None, at(T0 + 150)).expect_err("behind the floor");
        assert!(
            e.to_string().contains("latest time the relay acted at"),
            "{e}"
        );
        let first = make_report(&dir, None, at(T0 + 300)).expect("report 1");
        assert_eq!(first.report.seq, 1);
        assert_eq!(first.report.period.from, T0 + 100, "from the first lease");
        assert_eq!(first.report.pools[0].days[0].peak, 2);
        // The second report starts where the first ended; --since may reach back, not ahead.
        let e = make_report(&dir, Some(at(T0 + 400)), at(T0 + 500)).expect_err("leaves out");
        assert!(e.to_string().contains("in no report"), "{e}");
        let e = make_report(&dir, None, at(T0 + 299)).expect_err("behind report 1");
        assert!(e.to_string().contains("behind the end of report 1"), "{e}");
        let e = make_report(&dir, None, at(T0 + 300)).expect_err("empty");
        assert!(e.to_string().contains("is empty"), "{e}");
        let second = make_report(&dir, Some(at(T0)), at(T0 + 600)).expect("report 2");
        assert_eq!(
            (second.report.seq, second.report.period.from),
            (2, T0),
            "an earlier --since"
        );
        assert_eq!(second.report.prev, report_hash(&first.token));
        assert_eq!(second.report.prev_log, first.report.log);
        assert_eq!(recorded_report(&dir, 1).expect("recorded"), first.token);
        assert!(recorded_report(&dir, 9).is_err());

        // An edited log is refused, naming the entry.
        let edit = rusqlite::Connection::open(dir.database_path()).expect("open");
        edit.execute("UPDATE lease_log SET at = at + 1 WHERE seq = 1", [])
            .expect("edit");
        let e = make_report(&dir, None, at(T0 + 700)).expect_err("edited");
        assert!(e.to_string().contains("entry 1"), "{e}");
        // A log shorter than the last report named (an older copy of the database).
        edit.execute("DELETE FROM lease_log", []).expect("drop");
        let e = make_report(&dir, None, at(T0 + 700)).expect_err("older copy");
        assert!(e.to_string().contains("older copy"), "{e}");
    }

    #[test]
    fn a_lease_ending_when_another_starts_is_not_counted_twice() {
        use LeaseEvent::*;
        let log = vec![
            entry(1, T0 + 10, Grant, "a", Some(T0 + 100)),
            entry(2, T0 + 100, Grant, "b", Some(T0 + 200)),
        ];
        let pools = usage(
            &log,
            Period {
                from: T0 + 50,
                to: T0 + 150,
            },
        )
        .expect("usage");
        assert_eq!(pools[0].days[0].peak, 1);
        assert_eq!(
            pools[0].days[0].grants, 1,
            "a was granted before the period"
        );
    }
}
