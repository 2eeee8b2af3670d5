//! Re-issuing a fleet under a new key: every license the ledger recorded that is still valid is
//! minted again with the same claims, a new `jti`, the new key's `kid` and a `replaces` claim
//! naming the license it replaces.
//!
//! Nothing in a ledger is believed unless a vendor key signed it: the hash chain shows edits but
//! does not stop them (whoever can write the file can rewrite the chain). So each entry's file
//! (kept in the ledger) must hash to the entry's `file_sha256` and verify with the keys given,
//! and its verified claims are what is minted again; an entry that fails is listed, never used.
//!
//! ```
//! use licet_issuer::ledger::{append_to_ledger, verify_ledger, LedgerAction, LedgerRecord};
//! use licet_issuer::reissue::{plan_reissue, reissue_license, ReissueInputs};
//! use licet_issuer::{generate_license_id, mint_license, KeySpec, SigningKey};
//! use licet_verifier::{LicenseClaims, TrustedKeys, UnixTime};
//!
//! let (old, new) = (SigningKey::generate(KeySpec::Ed25519)?, SigningKey::generate(KeySpec::Ed25519)?);
//! let now = UnixTime::parse_rfc3339("2026-01-01T00:00:00Z")?;
//! let claims = LicenseClaims {
//!     expires_at: Some(now.saturating_add(365 * 86_400)),
//!     ..LicenseClaims::new(generate_license_id(), "ACME-001", now)
//! };
//! let minted = mint_license(&old, None, &claims)?;
//! let dir = tempfile::tempdir()?;
//! let ledger = dir.path().join("issued.jsonl");
//! let record = LedgerRecord {
//!     action: LedgerAction::Issue,
//!     license_id: &minted.claims.license_id,
//!     customer_id: Some("ACME-001"),
//!     kid: &minted.kid,
//!     file: minted.token.as_bytes(),
//! };
//! append_to_ledger(&ledger, &record, now)?;
//!
//! let keys: TrustedKeys = [old.public_key().clone(), new.public_key().clone()].into_iter().collect();
//! let check = verify_ledger(&std::fs::read(&ledger)?);
//! let revoked = Default::default();
//! let inputs = ReissueInputs { at: now, new_kid: new.kid(), keys: Some(&keys), revoked: &revoked };
//! let plan = plan_reissue(&check, &inputs)?;
//! assert_eq!(plan.licenses.len(), 1);
//! let replacement = reissue_license(&new, None, &plan.licenses[0], now)?;
//! assert_eq!(replacement.claims.other["replaces"], minted.claims.license_id.as_str());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::generate::generate_license_id;
use crate::ledger::{sha256_hex, LedgerAction, LedgerCheck, LedgerEntry, REPLACES_CLAIM};
use crate::mint::{mint_license, MintError, MintedLicense};
use crate::signing_key::SigningKey;
use licet_verifier::{
    verify_license, Algorithm, LicenseClaims, MachineCheck, TrustedKeys, UnixTime, VerifyOptions,
};
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// A license to mint again: the newest ledger entry of its license id.
#[derive(Debug, Clone)]
pub struct ReissueCandidate {
    /// The line of the ledger entry (from 1).
    pub line: usize,
    /// The license id (`jti`) it replaces.
    pub license_id: String,
    /// The claims the ledger kept.
    pub claims: LicenseClaims,
}

/// Why a license in the ledger is not re-issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "camelCase")]
pub enum SkipReason {
    /// It expires at or before the time the fleet is re-issued for.
    Expired {
        /// Its expiry, RFC 3339.
        expiry: String,
    },
    /// It, or a license it replaces, is revoked: by a `revoke` entry of the ledger or a
    /// revocation list given.
    Revoked {
        /// What revoked it.
        by: String,
    },
    /// A re-issued license, recorded after its newest entry, already replaces it.
    AlreadyReplaced {
        /// The license that replaces it.
        by: String,
    },
    /// It is already signed by the new key.
    AlreadyUnderNewKey,
    /// The entry was written before the ledger kept the license files.
    NoFile,
    /// The file the entry keeps is not one a vendor key signed, or not the one the entry names.
    NotVerified {
        /// What is wrong.
        problem: String,
    },
    /// Entries of this license id disagree (another customer, say): which one is meant is
    /// unclear.
    Conflicting {
        /// What disagrees.
        problem: String,
    },
}

impl SkipReason {
    /// Whether the license should have been re-issued and could not be (the run then fails):
    /// its entry keeps no file, or one that does not verify, or entries conflict.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Self::NoFile | Self::NotVerified { .. } | Self::Conflicting { .. }
        )
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Expired { expiry } => write!(f, "expired ({expiry})"),
            Self::Revoked { by } => write!(f, "revoked ({by})"),
            Self::AlreadyReplaced { by } => write!(f, "already replaced by {by}"),
            Self::AlreadyUnderNewKey => write!(f, "already signed by the new key"),
            Self::NoFile => write!(
                f,
                "the ledger entry keeps no license file (written before the ledger kept them): re-issue it by hand"
            ),
            Self::NotVerified { problem } => {
                write!(f, "its file in the ledger cannot be trusted: {problem}")
            }
            Self::Conflicting { problem } => write!(f, "its ledger entries conflict: {problem}"),
        }
    }
}

/// A license the ledger records that is not re-issued, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    /// The line of its newest ledger entry.
    pub line: usize,
    /// The license id.
    pub license_id: String,
    /// Why.
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// Every license of the ledger, sorted into those to re-issue and those skipped.
#[derive(Debug, Clone, Default)]
pub struct ReissuePlan {
    /// To mint again, in ledger order.
    pub licenses: Vec<ReissueCandidate>,
    /// Not re-issued, in ledger order, each with its reason.
    pub skipped: Vec<Skipped>,
}

/// Why no plan could be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReissueError {
    /// The ledger's hash chain is broken.
    #[error("the ledger's chain is broken (line {line}: {message}); nothing is re-issued from a ledger that was changed: run `licet ledger verify` (with the same --head, if one was given)")]
    BrokenLedger {
        /// The first line with a problem.
        line: usize,
        /// The problem.
        message: String,
    },
    /// The ledger records no license.
    #[error("the ledger records no license file: nothing to re-issue")]
    Empty,
    /// The new license could not be minted.
    #[error("license {license_id}: {source}")]
    Mint {
        /// The license being replaced.
        license_id: String,
        /// Why.
        source: MintError,
    },
}

/// What a plan needs besides the ledger.
#[derive(Debug, Clone, Copy)]
pub struct ReissueInputs<'a> {
    /// Licenses expired at this time are not re-issued.
    pub at: UnixTime,
    /// The new key's kid (licenses it signed already are not re-issued).
    pub new_kid: &'a str,
    /// The vendor keys the ledger's files must verify with: every key that signed them (the old
    /// key, and the new one for files re-issued earlier). `None`: the files are only checked
    /// against their entries' `file_sha256`, not their signatures (the caller must say so).
    pub keys: Option<&'a TrustedKeys>,
    /// License ids revoked by revocation lists (verified by the caller).
    pub revoked: &'a HashSet<String>,
}

/// One ledger entry of a license file, checked.
struct Recorded<'a> {
    index: usize,
    line: usize,
    entry: &'a LedgerEntry,
    /// The verified claims and the kid of the key that verified them, or why the entry cannot
    /// be used.
    claims: Result<(LicenseClaims, String), SkipReason>,
}

/// The claims of an entry's file, if the file is the one the entry names and a vendor key
/// signed it.
fn verified_claims(
    entry: &LedgerEntry,
    keys: Option<&TrustedKeys>,
    at: UnixTime,
) -> Result<(LicenseClaims, String), SkipReason> {
    let token = entry.token.as_deref().ok_or(SkipReason::NoFile)?;
    if sha256_hex(token.as_bytes()) != entry.file_sha256 {
        return Err(SkipReason::NotVerified {
            problem: "the file kept in the entry does not hash to its file_sha256".into(),
        });
    }
    let Some(keys) = keys else {
        // No vendor key given: the file as the entry names it, its signature not checked.
        let claims = crate::ledger::payload_claims(token.as_bytes())
            .and_then(|map| LicenseClaims::from_json(map).map_err(|e| e.to_string()))
            .map_err(|problem| SkipReason::NotVerified { problem })?;
        if claims.license_id != entry.license_id {
            return Err(SkipReason::NotVerified {
                problem: format!(
                    "the file is license {}, not {}",
                    claims.license_id, entry.license_id
                ),
            });
        }
        return Ok((claims, entry.kid.clone()));
    };
    // Only the signature and the claims matter here, not the verdict at `at` or the machine.
    let mut options = VerifyOptions::at(at).accepting_pool_licenses();
    options.machine = MachineCheck::NotChecked;
    let report = verify_license(token.as_bytes(), keys, &options);
    let Some(verified) = report.verified_license() else {
        return Err(SkipReason::NotVerified {
            problem: report.reason,
        });
    };
    let claims = verified.claims().clone();
    if claims.license_id != entry.license_id {
        return Err(SkipReason::NotVerified {
            problem: format!(
                "the file is license {}, not {}",
                claims.license_id, entry.license_id
            ),
        });
    }
    let kid = report.kid.clone().unwrap_or_default();
    Ok((claims, kid))
}

/// Sorts the ledger's licenses. For each license id its newest entry counts (a renewal shares
/// its `jti`), re-issued unless it expires at or before `at`, it or a license it replaces was
/// revoked, a re-issued license recorded after it replaces it, the new key signed it already,
/// or its entry keeps no file that verifies.
pub fn plan_reissue(
    check: &LedgerCheck,
    inputs: &ReissueInputs<'_>,
) -> Result<ReissuePlan, ReissueError> {
    if let Some(problem) = check.problems.first() {
        return Err(ReissueError::BrokenLedger {
            line: problem.line,
            message: problem.message.clone(),
        });
    }
    let mut by_id: HashMap<&str, Vec<Recorded<'_>>> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    let mut revoked: HashMap<&str, String> = HashMap::new();
    for (index, (line, entry)) in check.entries.iter().enumerate() {
        if entry.action == LedgerAction::Revoke {
            revoked
                .entry(entry.license_id.as_str())
                .or_insert_with(|| format!("ledger line {line}"));
        } else if entry.action.records_license() {
            let recorded = by_id.entry(entry.license_id.as_str()).or_default();
            if recorded.is_empty() {
                order.push(&entry.license_id);
            }
            recorded.push(Recorded {
                index,
                line: *line,
                entry,
                claims: verified_claims(entry, inputs.keys, inputs.at),
            });
        }
    }
    if order.is_empty() {
        return Err(ReissueError::Empty);
    }
    for id in inputs.revoked {
        revoked
            .entry(id.as_str())
            .or_insert_with(|| "a revocation list given".to_owned());
    }
    // Lineage, as the re-issue entries' files say, read unverified on purpose: it only ever
    // takes licenses out of the plan (a replaced or revoked ancestor), never adds one. A
    // re-issue whose key was not given still marks its original replaced (and is itself listed
    // as not verified), so forgetting a key cannot mint a second replacement.
    let mut parent: HashMap<&str, String> = HashMap::new();
    let mut replaced_by: HashMap<String, (usize, &str)> = HashMap::new();
    for recorded in by_id.values().flatten() {
        let replaces = match &recorded.claims {
            Ok((claims, _)) => claims
                .other
                .get(REPLACES_CLAIM)
                .and_then(Value::as_str)
                .map(str::to_owned),
            Err(_) => recorded.entry.unverified_replaces(),
        };
        let Some(old) = replaces else {
            continue;
        };
        parent.insert(recorded.entry.license_id.as_str(), old.clone());
        if recorded.entry.action == LedgerAction::Reissue {
            let slot = replaced_by
                .entry(old)
                .or_insert((recorded.index, recorded.entry.license_id.as_str()));
            if recorded.index > slot.0 {
                *slot = (recorded.index, recorded.entry.license_id.as_str());
            }
        }
    }
    let revocation_of = |id: &str| -> Option<String> {
        if let Some(by) = revoked.get(id) {
            return Some(by.clone());
        }
        // A license replaced by this one, or one before it, revoked: this one is too. The
        // walk is bounded: a cycle (only a crafted ledger could make one) ends it.
        let mut seen = HashSet::from([id.to_owned()]);
        let mut current = id.to_owned();
        while let Some(older) = parent.get(current.as_str()) {
            if !seen.insert(older.clone()) {
                break;
            }
            if let Some(by) = revoked.get(older.as_str()) {
                return Some(format!("it replaces {older}, revoked by {by}"));
            }
            current = older.clone();
        }
        None
    };

    let mut plan = ReissuePlan::default();
    for license_id in order {
        let recorded = &by_id[license_id];
        let Some(newest) = recorded.last() else {
            continue;
        };
        let skip = |reason| Skipped {
            line: newest.line,
            license_id: license_id.to_owned(),
            reason,
        };
        let (claims, kid) = match &newest.claims {
            Ok((claims, kid)) => (claims, kid),
            Err(reason) => {
                plan.skipped.push(skip(reason.clone()));
                continue;
            }
        };
        let customers: HashSet<&str> = recorded
            .iter()
            .filter_map(|r| r.claims.as_ref().ok())
            .map(|(c, _)| c.customer_id.as_str())
            .collect();
        if customers.len() > 1 {
            let mut customers: Vec<&str> = customers.into_iter().collect();
            customers.sort_unstable();
            plan.skipped.push(skip(SkipReason::Conflicting {
                problem: format!("its files name the customers {}", customers.join(", ")),
            }));
            continue;
        }
        if let Some(by) = revocation_of(license_id) {
            plan.skipped.push(skip(SkipReason::Revoked { by }));
            continue;
        }
        if let Some((index, by)) = replaced_by.get(license_id) {
            if *index > newest.index {
                plan.skipped.push(skip(SkipReason::AlreadyReplaced {
                    by: (*by).to_owned(),
                }));
                continue;
            }
        }
        if kid == inputs.new_kid {
            plan.skipped.push(skip(SkipReason::AlreadyUnderNewKey));
            continue;
        }
        if let Some(exp) = claims.expires_at.filter(|exp| *exp <= inputs.at) {
            plan.skipped.push(skip(SkipReason::Expired {
                expiry: exp.to_rfc3339(),
            }));
            continue;
        }
        plan.licenses.push(ReissueCandidate {
            line: newest.line,
            license_id: license_id.to_owned(),
            claims: claims.clone(),
        });
    }
    Ok(plan)
}

/// Mints `candidate` again with `key`: the same claims, a new `jti`, `iat` = `now`, and
/// `replaces` naming the old license. The result is verified before it is returned.
pub fn reissue_license(
    key: &SigningKey,
    alg: Option<Algorithm>,
    candidate: &ReissueCandidate,
    now: UnixTime,
) -> Result<MintedLicense, ReissueError> {
    let mut claims = candidate.claims.clone();
    claims.license_id = generate_license_id();
    claims.issued_at = now;
    claims.other.insert(
        REPLACES_CLAIM.to_owned(),
        Value::String(candidate.license_id.clone()),
    );
    mint_license(key, alg, &claims).map_err(|source| ReissueError::Mint {
        license_id: candidate.license_id.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{append_to_ledger, verify_ledger, LedgerRecord, GENESIS_SHA256};
    use crate::signing_key::KeySpec;

    fn at(text: &str) -> UnixTime {
        UnixTime::parse_rfc3339(text).unwrap()
    }

    struct Fleet {
        _dir: tempfile::TempDir,
        ledger: std::path::PathBuf,
        old: SigningKey,
        new: SigningKey,
        keys: TrustedKeys,
    }

    impl Fleet {
        fn new() -> Fleet {
            let dir = tempfile::tempdir().unwrap();
            let old = SigningKey::generate(KeySpec::Ed25519).unwrap();
            let new = SigningKey::generate(KeySpec::Ed25519).unwrap();
            let keys = [old.public_key().clone(), new.public_key().clone()]
                .into_iter()
                .collect();
            Fleet {
                ledger: dir.path().join("issued.jsonl"),
                _dir: dir,
                old,
                new,
                keys,
            }
        }

        fn record(&self, action: LedgerAction, minted: &MintedLicense) {
            let record = LedgerRecord {
                action,
                license_id: &minted.claims.license_id,
                customer_id: Some(&minted.claims.customer_id),
                kid: &minted.kid,
                file: minted.token.as_bytes(),
            };
            append_to_ledger(&self.ledger, &record, at("2026-01-01T00:00:00Z")).unwrap();
        }

        fn mint(
            &self,
            key: &SigningKey,
            id: &str,
            customer: &str,
            expires: Option<&str>,
        ) -> MintedLicense {
            let claims = LicenseClaims {
                expires_at: expires.map(at),
                ..LicenseClaims::new(id, customer, at("2026-01-01T00:00:00Z"))
            };
            mint_license(key, None, &claims).unwrap()
        }

        fn issue(&self, id: &str, expires: Option<&str>) -> MintedLicense {
            let minted = self.mint(&self.old, id, "ACME", expires);
            self.record(LedgerAction::Issue, &minted);
            minted
        }

        fn check(&self) -> LedgerCheck {
            verify_ledger(&std::fs::read(&self.ledger).unwrap())
        }

        fn plan(&self, new_kid: &str, revoked: &[&str]) -> ReissuePlan {
            let revoked: HashSet<String> = revoked.iter().map(|s| (*s).to_owned()).collect();
            let inputs = ReissueInputs {
                at: at("2026-12-01T00:00:00Z"),
                new_kid,
                keys: Some(&self.keys),
                revoked: &revoked,
            };
            plan_reissue(&self.check(), &inputs).unwrap()
        }
    }

    fn ids(plan: &ReissuePlan) -> Vec<&str> {
        plan.licenses
            .iter()
            .map(|c| c.license_id.as_str())
            .collect()
    }

    fn reasons(plan: &ReissuePlan) -> Vec<(&str, &SkipReason)> {
        plan.skipped
            .iter()
            .map(|s| (s.license_id.as_str(), &s.reason))
            .collect()
    }

    #[test]
    fn only_live_unreplaced_licenses_are_reissued_each_once() {
        let fleet = Fleet::new();
        fleet.issue("live", Some("2027-06-01T00:00:00Z"));
        fleet.issue("perpetual", None);
        fleet.issue("expired", Some("2026-06-01T00:00:00Z"));
        fleet.issue("revoked", Some("2027-06-01T00:00:00Z"));
        fleet.issue("listed", Some("2027-06-01T00:00:00Z"));
        let revoke = LedgerRecord {
            action: LedgerAction::Revoke,
            license_id: "revoked",
            customer_id: None,
            kid: fleet.old.kid(),
            file: b"list",
        };
        append_to_ledger(&fleet.ledger, &revoke, at("2026-02-01T00:00:00Z")).unwrap();
        // A renewal of `live` with a later expiry: the newest entry is the one re-issued.
        let renewed = LicenseClaims {
            expires_at: Some(at("2028-01-01T00:00:00Z")),
            ..LicenseClaims::new("live", "ACME", at("2026-03-01T00:00:00Z"))
        };
        fleet.record(
            LedgerAction::Activate,
            &mint_license(&fleet.old, None, &renewed).unwrap(),
        );

        let now = at("2026-12-01T00:00:00Z");
        let plan = fleet.plan(fleet.new.kid(), &["listed"]);
        assert_eq!(ids(&plan), ["live", "perpetual"]);
        assert_eq!(
            plan.licenses[0].claims.expires_at,
            Some(at("2028-01-01T00:00:00Z"))
        );
        assert_eq!(
            reasons(&plan),
            [
                (
                    "expired",
                    &SkipReason::Expired {
                        expiry: "2026-06-01T00:00:00Z".into()
                    }
                ),
                (
                    "revoked",
                    &SkipReason::Revoked {
                        by: "ledger line 6".into()
                    }
                ),
                (
                    "listed",
                    &SkipReason::Revoked {
                        by: "a revocation list given".into()
                    }
                ),
            ]
        );

        // Re-issue and record: a second plan finds nothing left to do.
        let mut replacements = Vec::new();
        for candidate in &plan.licenses {
            let minted = reissue_license(&fleet.new, None, candidate, now).unwrap();
            assert_ne!(minted.claims.license_id, candidate.license_id);
            assert_eq!(minted.kid, fleet.new.kid());
            assert_eq!(minted.claims.issued_at, now);
            assert_eq!(minted.claims.expires_at, candidate.claims.expires_at);
            assert_eq!(minted.claims.customer_id, "ACME");
            fleet.record(LedgerAction::Reissue, &minted);
            replacements.push(minted);
        }
        let again = fleet.plan(fleet.new.kid(), &["listed"]);
        assert!(again.licenses.is_empty(), "{:?}", again.licenses);
        let count =
            |f: fn(&SkipReason) -> bool| again.skipped.iter().filter(|s| f(&s.reason)).count();
        assert_eq!(
            count(|r| matches!(r, SkipReason::AlreadyReplaced { .. })),
            2
        );
        assert_eq!(count(|r| *r == SkipReason::AlreadyUnderNewKey), 2);

        // Rotating once more (to a third key) re-issues the re-issued licenses, not the old ones.
        let third = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let next = fleet.plan(third.kid(), &["listed"]);
        assert_eq!(next.licenses.len(), 2);
        assert!(next
            .licenses
            .iter()
            .all(|c| c.claims.other.contains_key(REPLACES_CLAIM)));

        // Forgetting the key of the re-issued files: they are listed as not verified, and the
        // originals stay replaced (no second replacement is planned).
        let only_old: TrustedKeys = [fleet.old.public_key().clone()].into_iter().collect();
        let revoked = HashSet::from(["listed".to_owned()]);
        let forgetful = ReissueInputs {
            at: now,
            new_kid: third.kid(),
            keys: Some(&only_old),
            revoked: &revoked,
        };
        let forgot = plan_reissue(&fleet.check(), &forgetful).unwrap();
        assert!(forgot.licenses.is_empty(), "{:?}", ids(&forgot));
        assert_eq!(
            forgot
                .skipped
                .iter()
                .filter(|s| s.reason.is_failure())
                .count(),
            2,
            "{:?}",
            reasons(&forgot)
        );

        // Revoking the original later revokes its replacement too (for the next rotation).
        let next = fleet.plan(third.kid(), &["listed", "live"]);
        assert_eq!(next.licenses.len(), 1, "{:?}", reasons(&next));
        let revoked_replacement = next
            .skipped
            .iter()
            .find(|s| s.license_id == replacements[0].claims.license_id)
            .expect("the replacement of live is skipped");
        assert!(
            matches!(&revoked_replacement.reason, SkipReason::Revoked { by } if by.contains("it replaces live")),
            "{:?}",
            revoked_replacement.reason
        );

        // A renewal of an original recorded after its re-issue: the original counts again.
        let renewed_again = LicenseClaims {
            expires_at: Some(at("2029-01-01T00:00:00Z")),
            ..LicenseClaims::new("perpetual", "ACME", at("2026-11-01T00:00:00Z"))
        };
        fleet.record(
            LedgerAction::Activate,
            &mint_license(&fleet.old, None, &renewed_again).unwrap(),
        );
        let after_renewal = fleet.plan(fleet.new.kid(), &["listed"]);
        assert_eq!(ids(&after_renewal), ["perpetual"]);
    }

    /// Writes `entries` (objects without seq, time and hashes) as a ledger with an intact chain,
    /// as someone editing the file would, and returns the check of it.
    fn rewritten_ledger(entries: Vec<serde_json::Value>) -> LedgerCheck {
        let mut text = String::new();
        let mut prev = GENESIS_SHA256.to_owned();
        for (i, mut entry) in entries.into_iter().enumerate() {
            entry["seq"] = (i + 1).into();
            entry["time"] = "2026-01-01T00:00:00Z".into();
            entry["prev_sha256"] = prev.clone().into();
            let line = entry.to_string();
            prev = sha256_hex(line.as_bytes());
            text.push_str(&line);
            text.push('\n');
        }
        let check = verify_ledger(text.as_bytes());
        assert!(check.is_intact(), "{:?}", check.problems);
        check
    }

    /// Whoever can write the ledger can rewrite its chain: entries whose file no vendor key
    /// signed, or whose file is not the one they name, are never minted.
    #[test]
    fn a_rewritten_ledger_mints_nothing_no_vendor_key_signed() {
        let fleet = Fleet::new();
        let genuine = fleet.mint(&fleet.old, "genuine", "ACME", None);
        let thief = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let forged = fleet.mint(&thief, "forged", "EVIL", None);
        let other = fleet.mint(&fleet.old, "other", "ACME", None);
        let entry = |id: &str, token: &str, file_sha256: String| {
            serde_json::json!({"action": "issue", "license_id": id, "customer_id": "ACME",
                "kid": "k", "file_sha256": file_sha256, "token": token})
        };
        let changed_payload = {
            let mut parts: Vec<&str> = genuine.token.split('.').collect();
            let claims = base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                r#"{"jti":"genuine","sub":"ACME","iat":1767225600,"features":{"seats":1000}}"#,
            );
            parts[1] = &claims;
            parts.join(".")
        };
        let check = rewritten_ledger(vec![
            entry(
                "genuine",
                &genuine.token,
                sha256_hex(genuine.token.as_bytes()),
            ),
            entry("forged", &forged.token, sha256_hex(forged.token.as_bytes())),
            entry(
                "seats",
                &changed_payload,
                sha256_hex(changed_payload.as_bytes()),
            ),
            entry("swapped", &other.token, sha256_hex(other.token.as_bytes())),
            entry("mismatch", &other.token, sha256_hex(b"another file")),
        ]);
        let revoked = HashSet::new();
        let inputs = ReissueInputs {
            at: at("2026-12-01T00:00:00Z"),
            new_kid: fleet.new.kid(),
            keys: Some(&fleet.keys),
            revoked: &revoked,
        };
        let plan = plan_reissue(&check, &inputs).unwrap();
        assert_eq!(ids(&plan), ["genuine"]);
        let refused: Vec<&str> = plan
            .skipped
            .iter()
            .filter(|s| matches!(s.reason, SkipReason::NotVerified { .. }) && s.reason.is_failure())
            .map(|s| s.license_id.as_str())
            .collect();
        assert_eq!(refused, ["forged", "seats", "swapped", "mismatch"]);
    }

    #[test]
    fn entries_of_one_license_for_two_customers_conflict() {
        let fleet = Fleet::new();
        fleet.record(
            LedgerAction::Issue,
            &fleet.mint(&fleet.old, "L", "ACME", None),
        );
        fleet.record(
            LedgerAction::Activate,
            &fleet.mint(&fleet.old, "L", "GLOBEX", None),
        );
        let plan = fleet.plan(fleet.new.kid(), &[]);
        assert!(plan.licenses.is_empty());
        assert!(matches!(
            &plan.skipped[0].reason,
            SkipReason::Conflicting { problem } if problem.contains("ACME, GLOBEX")
        ));
    }

    #[test]
    fn a_changed_ledger_or_one_without_licenses_reissues_nothing() {
        let fleet = Fleet::new();
        fleet.issue("a", None);
        fleet.issue("b", None);
        let text = std::fs::read_to_string(&fleet.ledger).unwrap();
        let changed = text.replacen("\"customer_id\":\"ACME\"", "\"customer_id\":\"EVIL\"", 1);
        let revoked = HashSet::new();
        let inputs = ReissueInputs {
            at: at("2026-12-01T00:00:00Z"),
            new_kid: "k",
            keys: Some(&fleet.keys),
            revoked: &revoked,
        };
        let err = plan_reissue(&verify_ledger(changed.as_bytes()), &inputs).unwrap_err();
        assert!(
            matches!(err, ReissueError::BrokenLedger { line: 2, .. }),
            "{err}"
        );
        assert!(matches!(
            plan_reissue(&verify_ledger(b""), &inputs),
            Err(ReissueError::Empty)
        ));
        // A head recorded earlier that no line hashes to: the chain was rewritten.
        let mut check = verify_ledger(text.as_bytes());
        check.require_head(&"0".repeat(64).replace('0', "a"));
        assert!(matches!(
            plan_reissue(&check, &inputs),
            Err(ReissueError::BrokenLedger { .. })
        ));
    }
}
