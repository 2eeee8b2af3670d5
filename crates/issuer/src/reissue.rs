//! Re-issuing a fleet under a new key: every license the ledger recorded that is still valid is
//! minted again with the same claims, a new `jti`, the new key's `kid` and a `replaces` claim
//! naming the license it replaces. The ledger must be intact (a ledger someone changed could
//! otherwise make the vendor's new key sign licenses the vendor never issued).
//!
//! ```
//! use licet_issuer::ledger::{append_to_ledger, verify_ledger, LedgerAction, LedgerRecord};
//! use licet_issuer::reissue::{plan_reissue, reissue_license};
//! use licet_issuer::{generate_license_id, mint_license, KeySpec, SigningKey};
//! use licet_verifier::{LicenseClaims, UnixTime};
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
//! let check = verify_ledger(&std::fs::read(&ledger)?);
//! let plan = plan_reissue(&check, now, new.kid())?;
//! assert_eq!(plan.licenses.len(), 1);
//! let replacement = reissue_license(&new, None, &plan.licenses[0], now)?;
//! assert_eq!(replacement.claims.other["replaces"], minted.claims.license_id.as_str());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::generate::generate_license_id;
use crate::ledger::{LedgerAction, LedgerCheck, REPLACES_CLAIM};
use crate::mint::{mint_license, MintError, MintedLicense};
use crate::signing_key::SigningKey;
use licet_verifier::{Algorithm, LicenseClaims, UnixTime};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

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
    /// A `revoke` entry of the ledger names it.
    Revoked {
        /// The line of the revocation.
        line: usize,
    },
    /// A re-issued license already replaces it.
    AlreadyReplaced {
        /// The license that replaces it.
        by: String,
    },
    /// It is already signed by the new key.
    AlreadyUnderNewKey,
    /// The entry was written before the ledger kept claims.
    NoClaims,
    /// The claims the ledger kept are not a license's.
    InvalidClaims {
        /// What is wrong.
        problem: String,
    },
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Expired { expiry } => write!(f, "expired ({expiry})"),
            Self::Revoked { line } => write!(f, "revoked (ledger line {line})"),
            Self::AlreadyReplaced { by } => write!(f, "already replaced by {by}"),
            Self::AlreadyUnderNewKey => write!(f, "already signed by the new key"),
            Self::NoClaims => write!(
                f,
                "the ledger entry has no claims (written before the ledger kept them): re-issue it by hand"
            ),
            Self::InvalidClaims { problem } => write!(f, "its claims are not a license's: {problem}"),
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
    #[error("the ledger's chain is broken (line {line}: {message}); nothing is re-issued from a ledger that was changed: run `licet ledger verify`")]
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

/// Sorts the ledger's licenses: for each license id its newest entry (a renewal shares its
/// `jti`), re-issued unless it expires at or before `at`, was revoked, is already replaced by a
/// re-issued license, is already signed by `new_kid`, or has no claims.
pub fn plan_reissue(
    check: &LedgerCheck,
    at: UnixTime,
    new_kid: &str,
) -> Result<ReissuePlan, ReissueError> {
    if let Some(problem) = check.problems.first() {
        return Err(ReissueError::BrokenLedger {
            line: problem.line,
            message: problem.message.clone(),
        });
    }
    let mut newest: HashMap<&str, usize> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    let mut revoked: HashMap<&str, usize> = HashMap::new();
    let mut replaced_by: HashMap<&str, &str> = HashMap::new();
    for (index, (line, entry)) in check.entries.iter().enumerate() {
        match entry.action {
            LedgerAction::Revoke => {
                revoked.entry(entry.license_id.as_str()).or_insert(*line);
            }
            action if action.records_license() => {
                if newest.insert(&entry.license_id, index).is_none() {
                    order.push(&entry.license_id);
                }
                if let Some(old) = entry.replaces() {
                    replaced_by.insert(old, &entry.license_id);
                }
            }
            _ => {}
        }
    }
    if order.is_empty() {
        return Err(ReissueError::Empty);
    }
    let mut plan = ReissuePlan::default();
    for license_id in order {
        let (line, entry) = &check.entries[newest[license_id]];
        let skip = |reason| Skipped {
            line: *line,
            license_id: license_id.to_owned(),
            reason,
        };
        if let Some(revocation) = revoked.get(license_id) {
            plan.skipped
                .push(skip(SkipReason::Revoked { line: *revocation }));
            continue;
        }
        if let Some(by) = replaced_by.get(license_id) {
            plan.skipped.push(skip(SkipReason::AlreadyReplaced {
                by: (*by).to_owned(),
            }));
            continue;
        }
        if entry.kid == new_kid {
            plan.skipped.push(skip(SkipReason::AlreadyUnderNewKey));
            continue;
        }
        let Some(claims) = &entry.claims else {
            plan.skipped.push(skip(SkipReason::NoClaims));
            continue;
        };
        let claims = match LicenseClaims::from_json(claims.clone()) {
            Ok(claims) if claims.license_id == license_id => claims,
            Ok(claims) => {
                plan.skipped.push(skip(SkipReason::InvalidClaims {
                    problem: format!(
                        "their jti is {}, not the entry's license id",
                        claims.license_id
                    ),
                }));
                continue;
            }
            Err(e) => {
                plan.skipped.push(skip(SkipReason::InvalidClaims {
                    problem: e.to_string(),
                }));
                continue;
            }
        };
        if let Some(exp) = claims.expires_at.filter(|exp| *exp <= at) {
            plan.skipped.push(skip(SkipReason::Expired {
                expiry: exp.to_rfc3339(),
            }));
            continue;
        }
        plan.licenses.push(ReissueCandidate {
            line: *line,
            license_id: license_id.to_owned(),
            claims,
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
    use crate::ledger::{append_to_ledger, verify_ledger, LedgerRecord};
    use crate::signing_key::KeySpec;

    fn at(text: &str) -> UnixTime {
        UnixTime::parse_rfc3339(text).unwrap()
    }

    struct Fleet {
        _dir: tempfile::TempDir,
        ledger: std::path::PathBuf,
        old: SigningKey,
        new: SigningKey,
    }

    impl Fleet {
        fn new() -> Fleet {
            let dir = tempfile::tempdir().unwrap();
            Fleet {
                ledger: dir.path().join("issued.jsonl"),
                _dir: dir,
                old: SigningKey::generate(KeySpec::Ed25519).unwrap(),
                new: SigningKey::generate(KeySpec::Ed25519).unwrap(),
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

        fn issue(&self, id: &str, expires: Option<&str>) -> MintedLicense {
            let claims = LicenseClaims {
                expires_at: expires.map(at),
                ..LicenseClaims::new(id, "ACME", at("2026-01-01T00:00:00Z"))
            };
            let minted = mint_license(&self.old, None, &claims).unwrap();
            self.record(LedgerAction::Issue, &minted);
            minted
        }

        fn check(&self) -> LedgerCheck {
            verify_ledger(&std::fs::read(&self.ledger).unwrap())
        }
    }

    #[test]
    fn only_live_unreplaced_licenses_are_reissued_each_once() {
        let fleet = Fleet::new();
        fleet.issue("live", Some("2027-06-01T00:00:00Z"));
        fleet.issue("perpetual", None);
        fleet.issue("expired", Some("2026-06-01T00:00:00Z"));
        fleet.issue("revoked", Some("2027-06-01T00:00:00Z"));
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
        let plan = plan_reissue(&fleet.check(), now, fleet.new.kid()).unwrap();
        let ids: Vec<&str> = plan
            .licenses
            .iter()
            .map(|c| c.license_id.as_str())
            .collect();
        assert_eq!(ids, ["live", "perpetual"]);
        assert_eq!(
            plan.licenses[0].claims.expires_at,
            Some(at("2028-01-01T00:00:00Z"))
        );
        let reasons: Vec<(&str, &SkipReason)> = plan
            .skipped
            .iter()
            .map(|s| (s.license_id.as_str(), &s.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                (
                    "expired",
                    &SkipReason::Expired {
                        expiry: "2026-06-01T00:00:00Z".into()
                    }
                ),
                ("revoked", &SkipReason::Revoked { line: 5 }),
            ]
        );

        // Re-issue and record: a second plan finds nothing left to do.
        for candidate in &plan.licenses {
            let minted = reissue_license(&fleet.new, None, candidate, now).unwrap();
            assert_ne!(minted.claims.license_id, candidate.license_id);
            assert_eq!(minted.kid, fleet.new.kid());
            assert_eq!(minted.claims.issued_at, now);
            assert_eq!(minted.claims.expires_at, candidate.claims.expires_at);
            assert_eq!(minted.claims.customer_id, "ACME");
            fleet.record(LedgerAction::Reissue, &minted);
        }
        let again = plan_reissue(&fleet.check(), now, fleet.new.kid()).unwrap();
        assert!(again.licenses.is_empty(), "{:?}", again.licenses);
        let replaced = again
            .skipped
            .iter()
            .filter(|s| matches!(s.reason, SkipReason::AlreadyReplaced { .. }))
            .count();
        let under_new = again
            .skipped
            .iter()
            .filter(|s| s.reason == SkipReason::AlreadyUnderNewKey)
            .count();
        assert_eq!((replaced, under_new), (2, 2));

        // Rotating once more (to a third key) re-issues the re-issued licenses, not the old ones.
        let third = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let next = plan_reissue(&fleet.check(), now, third.kid()).unwrap();
        assert_eq!(next.licenses.len(), 2);
        assert!(next
            .licenses
            .iter()
            .all(|c| c.claims.other.contains_key(REPLACES_CLAIM)));
    }

    #[test]
    fn a_changed_ledger_or_one_without_licenses_reissues_nothing() {
        let fleet = Fleet::new();
        fleet.issue("a", None);
        fleet.issue("b", None);
        let text = std::fs::read_to_string(&fleet.ledger).unwrap();
        let changed = text.replacen("\"customer_id\":\"ACME\"", "\"customer_id\":\"EVIL\"", 1);
        let err = plan_reissue(
            &verify_ledger(changed.as_bytes()),
            at("2026-12-01T00:00:00Z"),
            "k",
        )
        .unwrap_err();
        assert!(
            matches!(err, ReissueError::BrokenLedger { line: 2, .. }),
            "{err}"
        );
        assert!(matches!(
            plan_reissue(&verify_ledger(b""), at("2026-12-01T00:00:00Z"), "k"),
            Err(ReissueError::Empty)
        ));
    }
}
