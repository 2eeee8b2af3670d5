//! The whole check of a license with its revocation lists, with or without a state directory:
//! what `licet verify` does, as one library call for products that embed the verifier.
//!
//! Without a state ([`check_license`]) the lists given are verified and applied, a list dated
//! ahead of the clock is refused, and a license issued after the clock reads (beyond the
//! tolerance) is CLOCK_ROLLBACK. With a state ([`StatefulVerifier`]) every list accepted is kept,
//! so a revocation sticks when the list is later left out; a list older than one seen from its
//! key is refused; and the clock is checked against the latest trustworthy time seen. All state
//! updates happen under the state's lock and are written atomically.
//!
//! ```
//! use licet_verifier::{StatefulVerifier, StateSettings, Status, TrustedKeys, UnixTime, VerifyOptions};
//!
//! let mut keys = TrustedKeys::new();
//! keys.add_file_contents(include_bytes!("../testdata/demo.pub.pem"))?;
//! let dir = tempfile::tempdir()?;
//! let verifier = StatefulVerifier::open(dir.path(), keys, StateSettings::default())?;
//!
//! let options = VerifyOptions::at(UnixTime::parse_rfc3339("2026-06-01T00:00:00Z")?);
//! let report = verifier.check(include_bytes!("../testdata/demo.lic"), &[], &options)?;
//! assert_eq!(report.license.status, Status::Active);
//! assert!(report.passed());
//!
//! // The clock set back a year after that check: refused, with the way back named.
//! let earlier = VerifyOptions::at(UnixTime::parse_rfc3339("2025-06-01T00:00:00Z")?);
//! let report = verifier.check(include_bytes!("../testdata/demo.lic"), &[], &earlier)?;
//! assert_eq!(report.license.status, Status::ClockRollback);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::jws::JwsError;
use crate::keys::TrustedKeys;
use crate::report::{Status, VerificationReport};
use crate::revocation::{verify_revocation_list, RevocationError, RevocationList};
use crate::state::{StateError, VerifierState, DEFAULT_LOCK_TIMEOUT};
use crate::timestamp::UnixTime;
use crate::verify::{verify_license, VerifyOptions, DEFAULT_CLOCK_TOLERANCE_SECS};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// What became of one revocation list given to a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ListStatus {
    /// Verified and applied (and, with a state, kept).
    Accepted,
    /// Its `seq` is lower than one already seen from its key: an older list cannot replace a
    /// newer one. Refused and not recorded.
    OlderThanSeen,
    /// Its `iat` lies ahead of the evaluation time by more than the clock tolerance. Refused and
    /// not recorded, so one list dated ahead cannot lock the machine out.
    DatedAhead,
    /// The signature does not verify with the trusted key its `kid` names.
    BadSignature,
    /// No trusted key matches it.
    UnknownKey,
    /// Its algorithm is not one licet accepts, or not one its key verifies.
    UnsupportedAlgorithm,
    /// Not a well-formed revocation list (structure, `typ`, claims).
    Malformed,
    /// It revokes a signing key it has no say over: a list may revoke only the key that signed
    /// it and the keys that key descends from through rollovers. Refused and not recorded.
    NotAuthorized,
}

impl ListStatus {
    /// The status name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ListStatus::Accepted => "ACCEPTED",
            ListStatus::OlderThanSeen => "OLDER_THAN_SEEN",
            ListStatus::DatedAhead => "DATED_AHEAD",
            ListStatus::BadSignature => "BAD_SIGNATURE",
            ListStatus::UnknownKey => "UNKNOWN_KEY",
            ListStatus::UnsupportedAlgorithm => "UNSUPPORTED_ALGORITHM",
            ListStatus::Malformed => "MALFORMED",
            ListStatus::NotAuthorized => "NOT_AUTHORIZED",
        }
    }
}

/// One revocation list given to a check, and its verdict.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListReport {
    /// Where the list came from, as the caller named it (a file name).
    pub source: String,
    /// The verdict.
    pub status: ListStatus,
    /// Why, in a sentence.
    pub reason: String,
    /// The key that signed it, when it verified.
    pub kid: Option<String>,
    /// Its sequence number, when it verified.
    pub seq: Option<u64>,
    /// Its `iat` (RFC 3339), when it verified.
    pub issued_at: Option<String>,
    /// How many licenses it revokes, when it verified.
    pub entries: Option<usize>,
}

/// A revocation list to check, with a name for the report.
#[derive(Debug, Clone, Copy)]
pub struct ListInput<'a> {
    /// Where it came from (a file name), for the report.
    pub source: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// The verdict on a license and on every revocation list given with it: what `licet verify
/// --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The license's verdict ([`verify_license`]'s report).
    #[serde(flatten)]
    pub license: VerificationReport,
    /// Each list given, in order, with its own status.
    #[serde(rename = "revocationLists")]
    pub revocation_lists: Vec<ListReport>,
    /// How many revocation lists the license was checked against: those given and accepted and,
    /// with a state, every list it kept from earlier checks.
    #[serde(rename = "listsEnforced")]
    pub lists_enforced: usize,
}

impl CheckReport {
    /// Whether every list given was accepted.
    pub fn lists_accepted(&self) -> bool {
        self.revocation_lists
            .iter()
            .all(|l| l.status == ListStatus::Accepted)
    }

    /// The license is valid and no list given was refused: `licet verify` exits 0 only then,
    /// so a script notices a refused list.
    pub fn passed(&self) -> bool {
        self.license.valid && self.lists_accepted()
    }
}

/// A list that verified, or the report of why it was refused.
// Both outcomes carry a report; boxing the refusal would only add an allocation.
#[allow(clippy::result_large_err)]
fn verify_list(
    input: &ListInput<'_>,
    keys: &TrustedKeys,
    now: UnixTime,
    tolerance_secs: u32,
) -> Result<(RevocationList, ListReport), ListReport> {
    let refused = |status, reason: String| ListReport {
        source: input.source.to_owned(),
        status,
        reason,
        kid: None,
        seq: None,
        issued_at: None,
        entries: None,
    };
    let list = verify_revocation_list(input.bytes, keys).map_err(|e| {
        let status = match &e {
            RevocationError::Jws(jws) => match jws {
                JwsError::BadSignature => ListStatus::BadSignature,
                JwsError::UnknownKey(_) => ListStatus::UnknownKey,
                other if other.status() == Status::UnsupportedAlgorithm => {
                    ListStatus::UnsupportedAlgorithm
                }
                _ => ListStatus::Malformed,
            },
            RevocationError::KeyNotGoverned { .. } => ListStatus::NotAuthorized,
            _ => ListStatus::Malformed,
        };
        refused(status, e.to_string())
    })?;
    let mut report = ListReport {
        source: input.source.to_owned(),
        status: ListStatus::Accepted,
        reason: format!(
            "verified: sequence number {}, issued at {}, {} revocation(s), key {}",
            list.seq,
            list.issued_at,
            list.entries.len(),
            list.kid
        ),
        kid: Some(list.kid.clone()),
        seq: Some(list.seq),
        issued_at: Some(list.issued_at.to_rfc3339()),
        entries: Some(list.entries.len()),
    };
    if now.saturating_add(i64::from(tolerance_secs)) < list.issued_at {
        report.status = ListStatus::DatedAhead;
        report.reason = format!(
            "the list was issued at {}, {} s ahead of the evaluation time {now} (clock tolerance {tolerance_secs} s): refused and not recorded; check the clock",
            list.issued_at,
            list.issued_at.as_secs() - now.as_secs()
        );
        return Err(report);
    }
    Ok((list, report))
}

/// Verifies each list given and adds the accepted ones to `options.revocations`; the report of
/// each, in order.
fn apply_lists(
    lists: &[ListInput<'_>],
    keys: &TrustedKeys,
    options: &mut VerifyOptions,
) -> Vec<ListReport> {
    let mut reports = Vec::with_capacity(lists.len());
    for input in lists {
        match verify_list(input, keys, options.now, options.clock_guard.tolerance_secs) {
            Ok((list, report)) => {
                options.revocations.push(Arc::new(list));
                reports.push(report);
            }
            Err(report) => reports.push(report),
        }
    }
    reports
}

/// Checks a license with the revocation lists given, without a state: each list is verified
/// (a list dated ahead of `options.now` by more than the clock tolerance is refused), the
/// accepted ones are applied, and the license gets its own verdict.
pub fn check_license(
    license: &[u8],
    lists: &[ListInput<'_>],
    keys: &TrustedKeys,
    options: &VerifyOptions,
) -> CheckReport {
    let mut options = options.clone();
    let reports = apply_lists(lists, keys, &mut options);
    CheckReport {
        license: verify_license(license, keys, &options),
        revocation_lists: reports,
        lists_enforced: options.revocations.len(),
    }
}

/// A lease check with revocation lists: the lease's verdict and each list's.
#[derive(Debug, Clone, Serialize)]
pub struct LeaseCheckReport {
    /// The lease's verdict ([`crate::lease::verify_lease`]'s report), the pool license checked
    /// against the lists accepted.
    #[serde(flatten)]
    pub lease: crate::lease::LeaseReport,
    /// Each list given, in order, with its own status.
    #[serde(rename = "revocationLists")]
    pub revocation_lists: Vec<ListReport>,
    /// How many revocation lists the pool license was checked against.
    #[serde(rename = "listsEnforced")]
    pub lists_enforced: usize,
}

impl LeaseCheckReport {
    /// Whether the lease is valid and every list given was accepted (what `licet verify-lease`
    /// exits 0 for).
    pub fn passed(&self) -> bool {
        self.lease.valid
            && self
                .revocation_lists
                .iter()
                .all(|l| l.status == ListStatus::Accepted)
    }
}

/// Checks a lease with the revocation lists given, without a state: each list is verified as for
/// [`check_license`], the accepted ones are applied to the pool license (a revoked pool license
/// is REVOKED, with `part` `pool`), then the lease is verified ([`crate::lease::verify_lease`]).
pub fn check_lease(
    lease: &[u8],
    pool: &[u8],
    lists: &[ListInput<'_>],
    keys: &TrustedKeys,
    options: &VerifyOptions,
) -> LeaseCheckReport {
    let mut options = options.clone();
    let reports = apply_lists(lists, keys, &mut options);
    LeaseCheckReport {
        lease: crate::lease::verify_lease(lease, pool, keys, &options),
        revocation_lists: reports,
        lists_enforced: options.revocations.len(),
    }
}

/// How a [`StatefulVerifier`] treats its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateSettings {
    /// How far behind the latest trustworthy time the clock may be, in seconds (also how far
    /// ahead a revocation list may be dated).
    pub clock_tolerance_secs: u32,
    /// How long a check waits for another one holding the state's lock.
    pub lock_timeout: Duration,
}

impl Default for StateSettings {
    /// One hour of clock tolerance, five seconds of waiting for the lock.
    fn default() -> Self {
        StateSettings {
            clock_tolerance_secs: DEFAULT_CLOCK_TOLERANCE_SECS,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }
}

/// License checks with memory: a state directory, the keys the caller trusts, and settings.
/// Each [`StatefulVerifier::check`] locks the state, loads it, accepts the lists given, checks the
/// clock and the license, records what it saw, and saves, all under the lock.
#[derive(Debug)]
pub struct StatefulVerifier {
    pub(crate) dir: PathBuf,
    pub(crate) keys: TrustedKeys,
    pub(crate) settings: StateSettings,
}

impl StatefulVerifier {
    /// Opens (creating it if missing, 0700) the state directory `dir`. A state that is corrupt or
    /// of a newer format is an error here already.
    pub fn open(
        dir: impl Into<PathBuf>,
        keys: TrustedKeys,
        settings: StateSettings,
    ) -> Result<Self, StateError> {
        let dir = dir.into();
        crate::state::ensure_dir(&dir)?;
        VerifierState::load(&dir)?;
        Ok(StatefulVerifier {
            dir,
            keys,
            settings,
        })
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The keys the caller trusts (without the keys the state's rollover statements add; see
    /// [`StatefulVerifier::trusted_keys`]).
    pub fn keys(&self) -> &TrustedKeys {
        &self.keys
    }

    /// The settings.
    pub fn settings(&self) -> StateSettings {
        self.settings
    }

    /// Checks `license` at `options.now` (with its machine, product and leeway) with the lists
    /// given and every list the state kept. `options.revocations` and `options.clock_guard` are
    /// replaced by the state's. `Err` only when the state cannot be used (I/O, corrupt, busy):
    /// every verdict, a refused list included, is in the report.
    pub fn check(
        &self,
        license: &[u8],
        lists: &[ListInput<'_>],
        options: &VerifyOptions,
    ) -> Result<CheckReport, StateError> {
        let _lock = VerifierState::lock_within(&self.dir, self.settings.lock_timeout)?;
        let mut state = VerifierState::load(&self.dir)?;
        let keys = state.trust_chain(&self.keys).keys;
        let tolerance = self.settings.clock_tolerance_secs;
        let mut reports = Vec::with_capacity(lists.len());
        for input in lists {
            match verify_list(input, &keys, options.now, tolerance) {
                Ok((list, mut report)) => {
                    let token = String::from_utf8_lossy(input.bytes);
                    if let Err(e) = state.accept_revocation_list(&list, &token) {
                        report.status = ListStatus::OlderThanSeen;
                        report.reason = format!("{e}; refused and not recorded");
                    }
                    reports.push(report);
                }
                Err(report) => reports.push(report),
            }
        }
        let kept = state.revocation_lists(&self.dir, &keys)?;
        let mut options = options
            .clone()
            .with_clock_guard(state.clock_guard(tolerance));
        options.revocations = kept.into_iter().map(Arc::new).collect();
        let report = verify_license(license, &keys, &options);
        // Trustworthy times: the clock at every check that did not find it set back, whatever
        // the verdict (an EXPIRED check must move the mark too, or the clock could be set back
        // to just before expiry), and the iat of a verified file. Not on CLOCK_ROLLBACK: neither
        // the clock (it is behind) nor the iat of a file dated ahead of it (if the vendor's clock
        // ran fast, recording it would lock this machine out until an attestation).
        if report.status != Status::ClockRollback {
            state.observe(options.now);
            if let Some(verified) = report.verified_license() {
                state.observe(verified.claims().issued_at);
            }
        }
        state.save(&self.dir)?;
        Ok(CheckReport {
            license: report,
            revocation_lists: reports,
            lists_enforced: options.revocations.len(),
        })
    }
}
