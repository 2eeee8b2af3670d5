//! Usage reports (true-up): what a relay tells its vendor about the seats it lent, in a file the
//! vendor can trust.
//!
//! `licet relay report` writes a [`UsageReport`] signed with the relay's key (the key the pool
//! licenses name, so the vendor checks it with nothing but the pool license and the vendor's own
//! public key). Reports form a chain: each carries its sequence number and the SHA-256 of the
//! report before it, and the head of the relay's hash-chained lease log. At the vendor,
//! [`verify_usage_report`] checks a report's signature and content, and a [`ReportLedger`] (the
//! state directory of `licet relay verify-report --state`) refuses a report older than or equal
//! to one already seen, one that does not follow the last one seen (a fork: a copied or restored
//! relay directory), and one that skips a report.
//!
//! ```
//! use licet_issuer::usage::{sign_usage_report, verify_usage_report, Period, UsageReport};
//! use licet_issuer::{KeySpec, SigningKey};
//!
//! let relay = SigningKey::generate(KeySpec::Ed25519)?;
//! let report = UsageReport::first(relay.kid(), Period { from: 1_800_000_000, to: 1_800_086_400 },
//!                                 1_800_086_400, Vec::new(), (0, "0".repeat(64)));
//! let token = sign_usage_report(&relay, &report)?;
//! let now = licet_verifier::UnixTime::from_secs(1_800_090_000)?; // the vendor's clock
//! let verified = verify_usage_report(token.as_bytes(), relay.public_key(), now)?;
//! assert_eq!(verified.report.seq, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::mint::{sign_compact, MintError};
use crate::signing_key::SigningKey;
use licet_verifier::jws::{self, quote, JwsError};
use licet_verifier::state::{ensure_dir, lock_file, read_regular_capped, write_atomically};
use licet_verifier::{Algorithm, TrustedKey, TrustedKeys, UnixTime};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The `typ` header of a usage report.
pub const USAGE_TYP: &str = "usage+jwt";
/// The `type` claim of a usage report.
pub const USAGE_REPORT_TYPE: &str = "licet-usage-report";
/// The largest usage report read, in bytes (a year of days for a hundred pools fits many times).
pub const MAX_USAGE_REPORT_BYTES: usize = 4 * 1024 * 1024;
/// The `prev` of a relay's first report.
pub const NO_PREVIOUS_REPORT: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";
/// The state file of [`ReportLedger`] in its directory.
pub const REPORT_LEDGER_FILE: &str = "usage-reports.json";
/// The most pools one report may list.
pub const MAX_REPORT_POOLS: usize = 1_000;
/// How far past the vendor's clock a report's period may end (clocks differ): one hour.
pub const REPORT_CLOCK_SKEW_SECS: i64 = 3_600;

/// The period a report covers, in Unix seconds: from `from` (inclusive) to `to` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// The start.
    pub from: i64,
    /// The end: the relay's clock when it wrote the report.
    pub to: i64,
}

/// One UTC day of one pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayUsage {
    /// The day, `YYYY-MM-DD` (UTC).
    pub day: String,
    /// The most leases that were valid at once during the part of the day in the period.
    pub peak: u32,
    /// New leases granted that day (renewals not counted).
    pub grants: u64,
}

/// The usage of one pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolUsage {
    /// The pool license id.
    pub pool: String,
    /// Every day of the period, in order.
    pub days: Vec<DayUsage>,
}

/// The head of the relay's lease log when the report was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogHead {
    /// The number of entries.
    pub seq: u64,
    /// The last entry's hash (hex SHA-256).
    pub hash: String,
}

/// A usage report's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageReport {
    /// Always [`USAGE_REPORT_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// Format version: 1.
    pub version: u32,
    /// The relay key's RFC 7638 thumbprint (also the header's `kid`).
    pub relay_kid: String,
    /// 1 for the relay's first report, then 2, 3, ...
    pub seq: u64,
    /// The hex SHA-256 of the previous report's file ([`NO_PREVIOUS_REPORT`] for the first).
    pub prev: String,
    /// When it was signed (Unix seconds, the relay's clock).
    pub iat: i64,
    /// The period covered.
    pub period: Period,
    /// Each pool seen in the lease log, with each day of the period.
    pub pools: Vec<PoolUsage>,
    /// The lease log's head.
    pub log: LogHead,
    /// The lease log's entry at the previous report's head, as this log has it (`seq` 0 and 64
    /// zeros for report 1): the vendor compares it with the head that report named, so a log
    /// rewritten below an already reported head is seen.
    pub prev_log: LogHead,
}

impl UsageReport {
    /// A relay's first report.
    pub fn first(
        relay_kid: &str,
        period: Period,
        iat: i64,
        pools: Vec<PoolUsage>,
        log: (u64, String),
    ) -> Self {
        UsageReport {
            kind: USAGE_REPORT_TYPE.into(),
            version: 1,
            relay_kid: relay_kid.into(),
            seq: 1,
            prev: NO_PREVIOUS_REPORT.into(),
            iat,
            period,
            pools,
            log: LogHead {
                seq: log.0,
                hash: log.1,
            },
            prev_log: LogHead {
                seq: 0,
                hash: NO_PREVIOUS_REPORT.into(),
            },
        }
    }

    /// Checks what the signature cannot: the type, version, hashes, period and days.
    fn check(&self) -> Result<(), String> {
        if self.kind != USAGE_REPORT_TYPE {
            return Err(format!(
                "`type` is {}, not {USAGE_REPORT_TYPE}",
                quote(&self.kind)
            ));
        }
        if self.version != 1 {
            return Err(format!(
                "version {} is not one this licet knows (1)",
                self.version
            ));
        }
        if self.seq == 0 {
            return Err("`seq` is 0; reports count from 1".into());
        }
        if !is_hex_digest(&self.prev) {
            return Err("`prev` is not a hex SHA-256".into());
        }
        if (self.seq == 1) != (self.prev == NO_PREVIOUS_REPORT) {
            return Err(format!(
                "report {} has `prev` {}: only the first report follows no report",
                self.seq, self.prev
            ));
        }
        if !is_hex_digest(&self.log.hash) || !is_hex_digest(&self.prev_log.hash) {
            return Err("`log.hash` or `prev_log.hash` is not a hex SHA-256".into());
        }
        if self.prev_log.seq > self.log.seq {
            return Err(format!(
                "`prev_log.seq` {} is beyond the log's head {}",
                self.prev_log.seq, self.log.seq
            ));
        }
        if self.seq == 1 && (self.prev_log.seq != 0 || self.prev_log.hash != NO_PREVIOUS_REPORT) {
            return Err("report 1 names a previous log head".into());
        }
        for (name, at) in [
            ("period.from", self.period.from),
            ("period.to", self.period.to),
            ("iat", self.iat),
        ] {
            UnixTime::from_secs(at).map_err(|e| format!("`{name}`: {e}"))?;
        }
        if self.iat < self.period.to {
            return Err(format!(
                "it was signed at {}, before its period ends ({})",
                describe_time(self.iat),
                describe_time(self.period.to)
            ));
        }
        if self.pools.len() > MAX_REPORT_POOLS {
            return Err(format!(
                "it lists {} pools; at most {MAX_REPORT_POOLS}",
                self.pools.len()
            ));
        }
        if self.period.from >= self.period.to {
            return Err(format!(
                "the period {}..{} is empty or backwards",
                self.period.from, self.period.to
            ));
        }
        let days = utc_days(self.period)?;
        let mut pools = std::collections::BTreeSet::new();
        for pool in &self.pools {
            if !pools.insert(pool.pool.as_str()) {
                return Err(format!("pool {} is listed twice", quote(&pool.pool)));
            }
            let listed: Vec<&str> = pool.days.iter().map(|d| d.day.as_str()).collect();
            if listed != days.iter().map(String::as_str).collect::<Vec<_>>() {
                return Err(format!(
                    "pool {} does not list every day of the period once, in order ({} to {})",
                    quote(&pool.pool),
                    days.first().map_or("", String::as_str),
                    days.last().map_or("", String::as_str)
                ));
            }
        }
        Ok(())
    }

    /// The peak of `pool` over the whole period (0 when the report does not name it).
    pub fn peak(&self, pool: &str) -> u32 {
        self.pools
            .iter()
            .filter(|p| p.pool == pool)
            .flat_map(|p| p.days.iter().map(|d| d.peak))
            .max()
            .unwrap_or(0)
    }
}

fn is_hex_digest(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The UTC days (`YYYY-MM-DD`) that `period` touches, in order. At most 3,700 (ten years); both
/// ends must be times licet can represent.
pub fn utc_days(period: Period) -> Result<Vec<String>, String> {
    const DAY: i64 = 86_400;
    for at in [period.from, period.to] {
        UnixTime::from_secs(at).map_err(|e| format!("the period: {e}"))?;
    }
    if period.from >= period.to {
        return Err("the period is empty".into());
    }
    let first = period.from.div_euclid(DAY);
    let last = (period.to - 1).div_euclid(DAY);
    if last - first >= 3_700 {
        return Err("the period is longer than ten years".into());
    }
    (first..=last)
        .map(|d| {
            UnixTime::from_secs(d * DAY)
                .map(|t| t.to_rfc3339()[..10].to_owned())
                .map_err(|e| format!("the period: {e}"))
        })
        .collect()
}

/// The hex SHA-256 of a report file (what the next report names in `prev`).
pub fn report_hash(token: &str) -> String {
    sha256_hex(token.trim().as_bytes())
}

/// Signs `report` with the relay key (EdDSA, `typ` [`USAGE_TYP`], `kid` the key's thumbprint).
pub fn sign_usage_report(
    relay_key: &SigningKey,
    report: &UsageReport,
) -> Result<String, MintError> {
    let claims = match serde_json::to_value(report) {
        Ok(serde_json::Value::Object(map)) => map,
        Ok(_) | Err(_) => return Err(MintError::Encoding("the usage report".into())),
    };
    sign_compact(relay_key, Algorithm::EdDSA, USAGE_TYP, &claims)
}

/// Why a usage report was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// Not a usage report, or one whose content does not hold together.
    #[error("the usage report is malformed: {0}")]
    Malformed(String),
    /// Signed by another key than the pool's relay key, or not signed right.
    #[error("the usage report's signature: {0}")]
    BadSignature(String),
    /// The report is older than or the same as one already seen.
    #[error("{0}")]
    Stale(String),
    /// The report does not follow the last one seen: another history of the same relay.
    #[error("{0}")]
    Forked(String),
    /// The report skips one this state has not seen.
    #[error("{0}")]
    OutOfOrder(String),
    /// The report starts after the previous one ended: the time between is in no report.
    #[error("{0}")]
    PeriodGap(String),
    /// The report's period ends later than the vendor's clock allows.
    #[error("{0}")]
    DatedAhead(String),
    /// The state directory could not be read or written.
    #[error("{0}")]
    State(String),
}

impl UsageError {
    /// The status word of the refusal, for reports and `--json`.
    pub fn status(&self) -> &'static str {
        match self {
            UsageError::Malformed(_) => "MALFORMED",
            UsageError::BadSignature(_) => "INVALID_SIGNATURE",
            UsageError::Stale(_) => "STALE",
            UsageError::Forked(_) => "FORKED",
            UsageError::OutOfOrder(_) => "OUT_OF_ORDER",
            UsageError::PeriodGap(_) => "PERIOD_GAP",
            UsageError::DatedAhead(_) => "DATED_AHEAD",
            UsageError::State(_) => "STATE_ERROR",
        }
    }
}

/// A report whose signature verified.
#[derive(Debug, Clone)]
pub struct VerifiedUsageReport {
    /// Its claims.
    pub report: UsageReport,
    /// Its hash ([`report_hash`]).
    pub hash: String,
}

/// Verifies a usage report against the relay key a verified pool license names
/// (`PoolTerms::relay_key`): header `typ` `usage+jwt`, EdDSA, `kid` that key's thumbprint (never a
/// key the report carries), the signature, then the claims ([`UsageReport`]'s rules: every day
/// of the period listed once per pool, hashes well formed, `prev` empty only for report 1), and a
/// period that ends no later than [`REPORT_CLOCK_SKEW_SECS`] after `now`.
pub fn verify_usage_report(
    token: &[u8],
    relay_key: &TrustedKey,
    now: UnixTime,
) -> Result<VerifiedUsageReport, UsageError> {
    let malformed = |m: String| UsageError::Malformed(m);
    if token.len() > MAX_USAGE_REPORT_BYTES {
        return Err(malformed(format!(
            "it is larger than {MAX_USAGE_REPORT_BYTES} bytes"
        )));
    }
    let text = std::str::from_utf8(token)
        .map_err(|_| malformed("it is not UTF-8 text".into()))?
        .trim();
    let decoded = jws::decode(text).map_err(|e| malformed(e.to_string()))?;
    match decoded
        .header()
        .get("typ")
        .and_then(serde_json::Value::as_str)
    {
        Some(typ) if typ.eq_ignore_ascii_case(USAGE_TYP) => {}
        Some(typ) => {
            return Err(malformed(format!(
            "the header `typ` is {}, not `{USAGE_TYP}`: give the file `licet relay report` wrote",
            quote(typ)
        )))
        }
        None => return Err(malformed(format!("the header has no `typ` `{USAGE_TYP}`"))),
    }
    if decoded.alg() != Algorithm::EdDSA {
        return Err(UsageError::BadSignature(format!(
            "it asks for {}; relay keys are Ed25519 and reports are EdDSA only",
            decoded.alg()
        )));
    }
    match decoded.kid() {
        Some(kid) if kid == relay_key.kid() => {}
        Some(kid) => {
            return Err(UsageError::BadSignature(format!(
                "it is signed by relay key {}, but the pool license names relay key {}: the report comes from another relay",
                quote(kid),
                relay_key.kid()
            )))
        }
        None => return Err(malformed("the header has no `kid` (the relay key's thumbprint)".into())),
    }
    let keys: TrustedKeys = [relay_key.clone()].into_iter().collect();
    let verified = decoded.verify(&keys).map_err(|e| match e {
        JwsError::BadSignature => UsageError::BadSignature(
            "it does not verify with the relay key the pool license names (the file was changed, or signed by another key)".into(),
        ),
        other => UsageError::BadSignature(other.to_string()),
    })?;
    let report: UsageReport = serde_json::from_slice(verified.payload())
        .map_err(|e| malformed(format!("its claims: {e}")))?;
    if report.relay_kid != relay_key.kid() {
        return Err(malformed(format!(
            "`relay_kid` is {}, but the report is signed by {}",
            quote(&report.relay_kid),
            relay_key.kid()
        )));
    }
    report.check().map_err(malformed)?;
    if report.period.to > now.as_secs().saturating_add(REPORT_CLOCK_SKEW_SECS) {
        return Err(UsageError::DatedAhead(format!(
            "report {} ends at {}, later than this machine's clock ({now}) allows: the relay's clock is ahead (or this one is behind)",
            report.seq,
            describe_time(report.period.to)
        )));
    }
    Ok(VerifiedUsageReport {
        report,
        hash: report_hash(text),
    })
}

/// What a [`ReportLedger`] knows of one relay: the last report accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeenReport {
    /// Its sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: String,
    /// Its period's end.
    pub period_to: i64,
    /// The lease log's length it named.
    pub log_seq: u64,
    /// The lease log's head hash it named.
    pub log_hash: String,
    /// Every report of this relay accepted here: number and hash.
    pub accepted: BTreeMap<u64, String>,
    /// When the vendor accepted it (Unix seconds).
    pub accepted_at: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerFile {
    version: u32,
    relays: BTreeMap<String, SeenReport>,
}

/// How a report stands against what the vendor has seen of its relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acceptance {
    /// The report seen before of this relay, if any.
    pub previous: Option<SeenReport>,
    /// Set when this is the first report seen of its relay, but not the relay's first: the
    /// earlier ones were never checked here.
    pub unseen_before: Option<String>,
}

/// The vendor's record of the last report accepted from each relay (`--state DIR`).
#[derive(Debug, Clone)]
pub struct ReportLedger {
    dir: PathBuf,
}

impl ReportLedger {
    /// The record in `dir` (created on first use, mode 0700).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ReportLedger { dir: dir.into() }
    }

    fn path(&self) -> PathBuf {
        self.dir.join(REPORT_LEDGER_FILE)
    }

    fn load(&self) -> Result<LedgerFile, UsageError> {
        let path = self.path();
        let bytes = match read_regular_capped(&path, 64 * 1024 * 1024) {
            Ok(bytes) => bytes,
            Err(licet_verifier::state::CappedReadError::Io(e))
                if e.kind() == std::io::ErrorKind::NotFound =>
            {
                return Ok(LedgerFile {
                    version: 1,
                    relays: BTreeMap::new(),
                })
            }
            Err(e) => return Err(UsageError::State(format!("{}: {e}", path.display()))),
        };
        let file: LedgerFile = serde_json::from_slice(&bytes).map_err(|e| {
            UsageError::State(format!(
                "{} is not a licet report record: {e}",
                path.display()
            ))
        })?;
        if file.version != 1 {
            return Err(UsageError::State(format!(
                "{} has version {}, and this licet knows 1: use a newer licet",
                path.display(),
                file.version
            )));
        }
        Ok(file)
    }

    /// Checks `verified` against the last report seen of its relay and, when it follows, records
    /// it (atomically, under the directory's lock). Nothing is recorded for a refused report.
    pub fn accept(
        &self,
        verified: &VerifiedUsageReport,
        now: UnixTime,
    ) -> Result<Acceptance, UsageError> {
        let state = |e: licet_verifier::state::StateError| UsageError::State(e.to_string());
        ensure_dir(&self.dir).map_err(state)?;
        let _lock = lock_file(
            &self.dir.join("usage-reports.lock"),
            Duration::from_secs(10),
        )
        .map_err(state)?;
        let mut file = self.load()?;
        let report = &verified.report;
        let previous = file.relays.get(&report.relay_kid).cloned();
        let acceptance = check_sequence(previous.as_ref(), verified)?;
        let mut accepted = previous
            .as_ref()
            .map(|p| p.accepted.clone())
            .unwrap_or_default();
        accepted.insert(report.seq, verified.hash.clone());
        file.relays.insert(
            report.relay_kid.clone(),
            SeenReport {
                seq: report.seq,
                hash: verified.hash.clone(),
                period_to: report.period.to,
                log_seq: report.log.seq,
                log_hash: report.log.hash.clone(),
                accepted,
                accepted_at: now.as_secs(),
            },
        );
        let json = serde_json::to_vec_pretty(&file)
            .map_err(|e| UsageError::State(format!("the report record: {e}")))?;
        write_atomically(&self.path(), &json).map_err(state)?;
        Ok(Acceptance {
            previous,
            ..acceptance
        })
    }

    /// The last report accepted from `relay_kid`, if any.
    pub fn last_seen(&self, relay_kid: &str) -> Result<Option<SeenReport>, UsageError> {
        Ok(self.load()?.relays.get(relay_kid).cloned())
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The rules of the chain: a report follows the last one seen exactly (next `seq`, `prev` its
/// hash, `prev_log` its log head, a period that starts where it ended or before and ends no
/// earlier).
fn check_sequence(
    previous: Option<&SeenReport>,
    verified: &VerifiedUsageReport,
) -> Result<Acceptance, UsageError> {
    let report = &verified.report;
    let Some(last) = previous else {
        return Ok(Acceptance {
            previous: None,
            unseen_before: (report.seq > 1).then(|| {
                format!(
                    "this is the first report of relay {} checked here, but its number is {}: reports 1 to {} were not checked here",
                    report.relay_kid,
                    report.seq,
                    report.seq - 1
                )
            }),
        });
    };
    if report.seq <= last.seq {
        return Err(match last.accepted.get(&report.seq) {
            Some(hash) if *hash == verified.hash => UsageError::Stale(format!(
                "report {} of relay {} was already accepted: a report is accepted once, in order",
                report.seq, report.relay_kid
            )),
            Some(hash) => UsageError::Forked(format!(
                "report {} of relay {} differs from the report {} accepted before (hash {} here, {hash} then): the relay has two histories (a copied or restored relay directory?)",
                report.seq, report.relay_kid, report.seq, verified.hash
            )),
            None => UsageError::Stale(format!(
                "report {} of relay {} is older than the first report of it checked here ({}): a report is accepted once, in order",
                report.seq,
                report.relay_kid,
                last.accepted.keys().next().copied().unwrap_or(last.seq)
            )),
        });
    }
    if report.seq > last.seq + 1 {
        return Err(UsageError::OutOfOrder(format!(
            "report {} of relay {} follows report {}, which was not checked here (the last accepted is {}): verify the reports in order",
            report.seq,
            report.relay_kid,
            report.seq - 1,
            last.seq
        )));
    }
    if report.prev != last.hash {
        return Err(UsageError::Forked(format!(
            "report {} of relay {} follows a report with hash {}, but report {} accepted here has hash {}: the relay has two histories (a copied or restored relay directory?)",
            report.seq, report.relay_kid, report.prev, last.seq, last.hash
        )));
    }
    if report.log.seq < last.log_seq {
        return Err(UsageError::Forked(format!(
            "report {} of relay {} names a lease log of {} entries, shorter than the {} of report {}: the relay's database was replaced by an older copy",
            report.seq, report.relay_kid, report.log.seq, last.log_seq, last.seq
        )));
    }
    if report.prev_log.seq != last.log_seq || report.prev_log.hash != last.log_hash {
        return Err(UsageError::Forked(format!(
            "report {} of relay {} says its lease log's entry {} has hash {}, but report {} named entry {} with hash {}: the lease log was rewritten after it was reported",
            report.seq,
            report.relay_kid,
            report.prev_log.seq,
            report.prev_log.hash,
            last.seq,
            last.log_seq,
            last.log_hash
        )));
    }
    if report.period.to < last.period_to {
        return Err(UsageError::Forked(format!(
            "report {} of relay {} ends at {}, before report {} ended ({}): the relay's clock went back",
            report.seq,
            report.relay_kid,
            describe_time(report.period.to),
            last.seq,
            describe_time(last.period_to)
        )));
    }
    if report.period.from > last.period_to {
        return Err(UsageError::PeriodGap(format!(
            "report {} of relay {} starts at {}, after report {} ended ({}): the time between is in no report (a report made with a later --since)",
            report.seq,
            report.relay_kid,
            describe_time(report.period.from),
            last.seq,
            describe_time(last.period_to)
        )));
    }
    Ok(Acceptance {
        previous: None,
        unseen_before: None,
    })
}

fn describe_time(secs: i64) -> String {
    UnixTime::from_secs(secs).map_or_else(|_| secs.to_string(), |t| t.to_rfc3339())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing_key::KeySpec;

    const DAY: i64 = 86_400;
    const T0: i64 = 1_800_000_000 - 1_800_000_000 % DAY;

    fn now() -> UnixTime {
        UnixTime::from_secs(T0 + 10 * DAY).expect("t")
    }

    fn log_hash(seq: u64) -> String {
        format!("{seq:064x}")
    }

    /// Report `seq` of one day up to `to`, naming a log of `log_seq` entries (and, after report
    /// 1, the previous report's head at `prev_log_seq`).
    fn chained(
        relay: &SigningKey,
        seq: u64,
        prev: &str,
        to: i64,
        log_seq: u64,
        prev_log_seq: u64,
    ) -> UsageReport {
        let mut r = report(relay, seq, prev, to, log_seq);
        if seq > 1 {
            r.prev_log = LogHead {
                seq: prev_log_seq,
                hash: log_hash(prev_log_seq),
            };
        }
        r
    }

    fn report(relay: &SigningKey, seq: u64, prev: &str, to: i64, log_seq: u64) -> UsageReport {
        let period = Period { from: to - DAY, to };
        let days = utc_days(period).expect("days");
        UsageReport {
            seq,
            prev: prev.into(),
            ..UsageReport::first(
                relay.kid(),
                period,
                to,
                vec![PoolUsage {
                    pool: "POOL-1".into(),
                    days: days
                        .into_iter()
                        .map(|day| DayUsage {
                            day,
                            peak: 3,
                            grants: 5,
                        })
                        .collect(),
                }],
                (log_seq, log_hash(log_seq)),
            )
        }
    }

    fn signed(relay: &SigningKey, report: &UsageReport) -> VerifiedUsageReport {
        let token = sign_usage_report(relay, report).expect("signs");
        verify_usage_report(token.as_bytes(), relay.public_key(), now()).expect("verifies")
    }

    #[test]
    fn a_report_verifies_with_its_relay_key_only() {
        let relay = SigningKey::generate(KeySpec::Ed25519).expect("key");
        let other = SigningKey::generate(KeySpec::Ed25519).expect("key");
        let r = report(&relay, 1, NO_PREVIOUS_REPORT, T0 + DAY, 4);
        let token = sign_usage_report(&relay, &r).expect("signs");
        let verified =
            verify_usage_report(token.as_bytes(), relay.public_key(), now()).expect("ok");
        assert_eq!(verified.report, r);
        assert_eq!(verified.hash, report_hash(&token));
        let e = verify_usage_report(token.as_bytes(), other.public_key(), now())
            .expect_err("other key");
        assert_eq!(e.status(), "INVALID_SIGNATURE", "{e}");
        // The same claims signed by another key, under this relay's kid: the signature fails.
        let forged = sign_usage_report(&other, &r).expect("signs");
        let e =
            verify_usage_report(forged.as_bytes(), relay.public_key(), now()).expect_err("forged");
        assert_eq!(e.status(), "INVALID_SIGNATURE", "{e}");
        // A changed figure breaks the signature.
        let (head, rest) = token.split_once('.').expect("jws");
        let (payload, sig) = rest.split_once('.').expect("jws");
        let bytes =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
                .expect("b64");
        let text = String::from_utf8(bytes)
            .expect("utf8")
            .replace("\"peak\":3", "\"peak\":1");
        let bent = format!(
            "{head}.{}.{sig}",
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, text)
        );
        let e = verify_usage_report(bent.as_bytes(), relay.public_key(), now()).expect_err("bent");
        assert_eq!(e.status(), "INVALID_SIGNATURE", "{e}");
    }

    #[test]
    fn malformed_reports_are_named() {
        let relay = SigningKey::generate(KeySpec::Ed25519).expect("key");
        let mut r = report(&relay, 1, NO_PREVIOUS_REPORT, T0 + DAY, 4);
        r.pools[0].days.pop();
        let token = sign_usage_report(&relay, &r).expect("signs");
        let e = verify_usage_report(token.as_bytes(), relay.public_key(), now()).expect_err("days");
        assert!(e.to_string().contains("every day"), "{e}");
        let r = report(&relay, 2, NO_PREVIOUS_REPORT, T0 + DAY, 4);
        let token = sign_usage_report(&relay, &r).expect("signs");
        let e = verify_usage_report(token.as_bytes(), relay.public_key(), now()).expect_err("prev");
        assert!(e.to_string().contains("only the first report"), "{e}");
        let lease = crate::mint::sign_compact(
            &relay,
            Algorithm::EdDSA,
            "lease+jwt",
            &serde_json::Map::new(),
        )
        .expect("signs");
        let e = verify_usage_report(lease.as_bytes(), relay.public_key(), now()).expect_err("typ");
        assert!(e.to_string().contains("licet relay report"), "{e}");
        let e = verify_usage_report(b"x", relay.public_key(), now()).expect_err("junk");
        assert_eq!(e.status(), "MALFORMED");
    }

    #[test]
    fn the_ledger_accepts_a_chain_in_order_and_refuses_replays_forks_and_gaps() {
        let relay = SigningKey::generate(KeySpec::Ed25519).expect("key");
        let dir = tempfile::tempdir().expect("dir");
        let ledger = ReportLedger::new(dir.path().join("state"));
        let r1 = signed(
            &relay,
            &chained(&relay, 1, NO_PREVIOUS_REPORT, T0 + DAY, 10, 0),
        );
        let r2 = signed(&relay, &chained(&relay, 2, &r1.hash, T0 + 2 * DAY, 20, 10));
        let r3 = signed(&relay, &chained(&relay, 3, &r2.hash, T0 + 3 * DAY, 30, 20));
        let r4 = signed(&relay, &chained(&relay, 4, &r3.hash, T0 + 4 * DAY, 40, 30));
        // Another history: a report 2 from a copy of the directory, after report 1.
        let fork2 = signed(&relay, &chained(&relay, 2, &r1.hash, T0 + 2 * DAY, 21, 10));

        let first = ledger.accept(&r1, now()).expect("first");
        assert!(first.previous.is_none() && first.unseen_before.is_none());
        let e = ledger.accept(&r3, now()).expect_err("gap");
        assert_eq!(e.status(), "OUT_OF_ORDER", "{e}");
        ledger.accept(&r2, now()).expect("second");
        let e = ledger.accept(&r2, now()).expect_err("again");
        assert_eq!(e.status(), "STALE", "{e}");
        assert!(e.to_string().contains("already accepted"), "{e}");
        let e = ledger.accept(&r1, now()).expect_err("older");
        assert_eq!(e.status(), "STALE", "{e}");
        let e = ledger.accept(&fork2, now()).expect_err("fork");
        assert_eq!(e.status(), "FORKED", "{e}");
        // A report 3 that follows the fork does not follow what was accepted.
        let fork3 = signed(
            &relay,
            &chained(&relay, 3, &fork2.hash, T0 + 3 * DAY, 31, 21),
        );
        let e = ledger.accept(&fork3, now()).expect_err("fork goes on");
        assert_eq!(e.status(), "FORKED", "{e}");
        // Behind a correct chain link: a restored (shorter) log, a log rewritten below the head
        // report 2 named, a clock set back, a period that leaves time out.
        let short = signed(&relay, &chained(&relay, 3, &r2.hash, T0 + 3 * DAY, 19, 19));
        assert_eq!(
            ledger.accept(&short, now()).expect_err("log").status(),
            "FORKED"
        );
        let mut rewritten = chained(&relay, 3, &r2.hash, T0 + 3 * DAY, 30, 20);
        rewritten.prev_log.hash = log_hash(99);
        let e = ledger
            .accept(&signed(&relay, &rewritten), now())
            .expect_err("rewritten");
        assert!(e.to_string().contains("rewritten"), "{e}");
        let back = signed(&relay, &chained(&relay, 3, &r2.hash, T0 + DAY + 5, 30, 20));
        assert_eq!(
            ledger.accept(&back, now()).expect_err("clock").status(),
            "FORKED"
        );
        // One day, ending on day 4: it starts a day after report 2 ended.
        let late = chained(&relay, 3, &r2.hash, T0 + 4 * DAY, 30, 20);
        let e = ledger
            .accept(&signed(&relay, &late), now())
            .expect_err("gap in time");
        assert_eq!(e.status(), "PERIOD_GAP", "{e}");
        // Nothing refused was recorded: report 3 of the true chain still follows.
        let third = ledger.accept(&r3, now()).expect("third");
        assert_eq!(third.previous.map(|p| p.seq), Some(2));
        ledger.accept(&r4, now()).expect("fourth");
        // The copy's report 2, arriving after report 4: still a fork, not a harmless resend.
        let e = ledger.accept(&fork2, now()).expect_err("late fork");
        assert_eq!(e.status(), "FORKED", "{e}");
        assert_eq!(
            ledger.last_seen(relay.kid()).expect("read").map(|s| s.seq),
            Some(4)
        );
    }

    #[test]
    fn a_report_dated_ahead_of_the_vendor_clock_is_refused() {
        let relay = SigningKey::generate(KeySpec::Ed25519).expect("key");
        let r = report(&relay, 1, NO_PREVIOUS_REPORT, T0 + 20 * DAY, 4);
        let token = sign_usage_report(&relay, &r).expect("signs");
        let e =
            verify_usage_report(token.as_bytes(), relay.public_key(), now()).expect_err("ahead");
        assert_eq!(e.status(), "DATED_AHEAD", "{e}");
        // A period at the edge of time is named, not a panic.
        let mut edge = report(&relay, 1, NO_PREVIOUS_REPORT, T0 + DAY, 4);
        edge.period.from = i64::MIN;
        let token = sign_usage_report(&relay, &edge).expect("signs");
        let e = verify_usage_report(token.as_bytes(), relay.public_key(), now()).expect_err("edge");
        assert_eq!(e.status(), "MALFORMED", "{e}");
    }

    #[test]
    fn a_first_report_seen_late_says_what_was_not_checked() {
        let relay = SigningKey::generate(KeySpec::Ed25519).expect("key");
        let dir = tempfile::tempdir().expect("dir");
        let ledger = ReportLedger::new(dir.path());
        let r5 = signed(
            &relay,
            &chained(&relay, 5, &"b".repeat(64), T0 + DAY, 10, 8),
        );
        let seen = ledger.accept(&r5, now()).expect("accepted");
        assert!(
            seen.unseen_before
                .as_deref()
                .is_some_and(|s| s.contains("reports 1 to 4")),
            "{seen:?}"
        );
    }

    #[test]
    fn days_cover_the_period() {
        let days = utc_days(Period {
            from: T0 + 3_600,
            to: T0 + 2 * DAY + 1,
        })
        .expect("days");
        assert_eq!(days.len(), 3);
        assert_eq!(
            utc_days(Period {
                from: T0,
                to: T0 + DAY
            })
            .expect("one")
            .len(),
            1
        );
    }
}
