//! The trust store of a state directory: the key rollover statements a site accepted
//! (`licet trust add`), and the keys they add to the keys the caller trusts.
//!
//! The state keeps statements, never bare keys. On every load the chain is verified again from the
//! caller's keys ([`VerifierState::trust_chain`]): a statement is applied when a key trusted so far
//! signed it, until no more apply, so editing the state file can never add a trusted key, and a
//! check made with other keys trusts only what follows from them.
//!
//! ```
//! use licet_verifier::{StatefulVerifier, StateSettings, TrustedKeys, UnixTime};
//!
//! let mut keys = TrustedKeys::new();
//! keys.add_file_contents(include_bytes!("../testdata/demo.pub.pem"))?;
//! let dir = tempfile::tempdir()?;
//! let verifier = StatefulVerifier::open(dir.path(), keys, StateSettings::default())?;
//! // A statement no trusted key signed is refused, and nothing is recorded.
//! assert!(verifier.add_rollover(b"not a statement", UnixTime::now()).is_err());
//! let list = verifier.trust_list(UnixTime::now())?;
//! assert_eq!(list.keys.len(), 1);
//! assert!(list.statements.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::check::StatefulVerifier;
use crate::jws::JwsError;
use crate::keys::TrustedKeys;
use crate::report::Status;
use crate::rollover::{Rollover, RolloverError};
use crate::state::{StateError, VerifierState};
use crate::timestamp::UnixTime;
use crate::trust::key_standing;
use serde::Serialize;
use std::sync::Arc;

/// The keys a state's trust store yields from the caller's keys.
#[derive(Debug, Clone)]
pub struct TrustChain {
    /// The caller's keys and every key a rollover statement introduced, with their history.
    pub keys: TrustedKeys,
    /// Each statement kept, in the order kept, and whether it applied.
    pub statements: Vec<StatementReport>,
}

/// One rollover statement of the trust store and what became of it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatementReport {
    /// APPLIED, or NOT_APPLIED (no key trusted from the caller's keys signed it, or it was
    /// refused).
    pub status: &'static str,
    /// Why, in a sentence.
    pub reason: String,
    /// The key that signed it, when it verified.
    pub old_kid: Option<String>,
    /// The key it introduces, when it verified.
    pub new_kid: Option<String>,
    /// Its `iat` (RFC 3339), when it verified.
    pub issued_at: Option<String>,
}

impl StatementReport {
    fn applied(rollover: &Rollover, already_trusted: bool) -> Self {
        let mut reason = format!(
            "key {} introduced by key {} at {}",
            rollover.new_key.kid(),
            rollover.old_kid,
            rollover.issued_at
        );
        if already_trusted {
            reason.push_str(" (trusted already: given by the caller)");
        }
        if let Some(from) = rollover.old_key_retired_from {
            reason.push_str(&format!("; key {} retired from {from}", rollover.old_kid));
        }
        StatementReport {
            status: "APPLIED",
            reason,
            old_kid: Some(rollover.old_kid.clone()),
            new_kid: Some(rollover.new_key.kid().to_owned()),
            issued_at: Some(rollover.issued_at.to_rfc3339()),
        }
    }

    fn not_applied(reason: String) -> Self {
        StatementReport {
            status: "NOT_APPLIED",
            reason,
            old_kid: None,
            new_kid: None,
            issued_at: None,
        }
    }
}

impl VerifierState {
    /// The keys trusted from `roots` with this state's rollover statements: each statement is
    /// applied once a key trusted so far signed it, in as many passes as it takes (the order they
    /// were kept does not matter). A statement that never verifies, or is refused, is reported
    /// and not applied.
    pub fn trust_chain(&self, roots: &TrustedKeys) -> TrustChain {
        let mut keys = roots.clone();
        let mut outcomes: Vec<Option<StatementReport>> = vec![None; self.rollovers.len()];
        loop {
            let mut progress = false;
            for (i, token) in self.rollovers.iter().enumerate() {
                if outcomes[i].is_some() {
                    continue;
                }
                match keys.accept_rollover(token.as_bytes()) {
                    Ok(accepted) => {
                        outcomes[i] = Some(StatementReport::applied(
                            &accepted.rollover,
                            accepted.already_trusted,
                        ));
                        progress = true;
                    }
                    // Perhaps signed by a key a later statement introduces: another pass.
                    Err(RolloverError::Jws(JwsError::UnknownKey(_))) => {}
                    Err(e) => {
                        outcomes[i] = Some(StatementReport::not_applied(e.to_string()));
                    }
                }
            }
            if !progress {
                break;
            }
        }
        let statements = outcomes
            .into_iter()
            .map(|o| {
                o.unwrap_or_else(|| {
                    StatementReport::not_applied(
                        "no key trusted from the keys given signed it: it introduces nothing for them".into(),
                    )
                })
            })
            .collect();
        TrustChain { keys, statements }
    }
}

/// What [`StatefulVerifier::add_rollover`] did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustAdded {
    /// The key the statement introduces.
    pub new_kid: String,
    /// The key that signed it.
    pub old_kid: String,
    /// The statement's `iat` (RFC 3339).
    pub issued_at: String,
    /// From when files of the new key are believed, if the statement says.
    pub new_key_valid_from: Option<String>,
    /// From when files of the old key are KEY_RETIRED, if the statement says.
    pub old_key_retired_from: Option<String>,
    /// The store held this statement already: nothing was changed.
    pub already_kept: bool,
}

/// Why a rollover statement was not added to the trust store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The state could not be used.
    #[error(transparent)]
    State(#[from] StateError),
    /// The statement is not one these keys accept.
    #[error(transparent)]
    Refused(#[from] RolloverError),
    /// The statement was signed by a revoked key, or the new key stands on a revoked one.
    #[error("the rollover statement was refused: {0}")]
    Revoked(String),
    /// The statement is dated ahead of the clock.
    #[error("the rollover statement was issued at {issued_at}, ahead of the clock ({now}, tolerance {tolerance_secs} s): refused and not recorded; check the clock")]
    DatedAhead {
        /// The statement's `iat`.
        issued_at: UnixTime,
        /// The clock.
        now: UnixTime,
        /// The tolerance.
        tolerance_secs: u32,
    },
}

/// One key of the trust store as `licet trust list` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustedKeyReport {
    /// The key's thumbprint.
    pub kid: String,
    /// `Ed25519` or `RSA-<bits>`.
    pub key_type: String,
    /// The algorithms it verifies.
    pub algorithms: Vec<String>,
    /// `given` (a key the caller trusts) or `rollover` (introduced by a statement).
    pub source: &'static str,
    /// The key that introduced it.
    pub introduced_by: Option<String>,
    /// When (the statement's `iat`).
    pub introduced_at: Option<String>,
    /// Files it signs are believed only from this time.
    pub valid_from: Option<String>,
    /// Files it signs from this time are KEY_RETIRED.
    pub retired_from: Option<String>,
    /// Its standing for a file signed now: TRUSTED, KEY_RETIRED, KEY_REVOKED or UNKNOWN_KEY (not
    /// yet valid).
    pub standing: String,
    /// Why it does not stand, when it does not.
    pub reason: Option<String>,
}

/// The trust store of a state, as `licet trust list --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct TrustList {
    /// Every key trusted: the caller's, then those statements introduced.
    pub keys: Vec<TrustedKeyReport>,
    /// Every statement kept, and whether it applied.
    pub statements: Vec<StatementReport>,
}

impl StatefulVerifier {
    /// The caller's keys with the keys the state's rollover statements add.
    pub fn trusted_keys(&self) -> Result<TrustChain, StateError> {
        Ok(VerifierState::load(&self.dir)?.trust_chain(&self.keys))
    }

    /// Adds a rollover statement to the trust store: it must verify with a key trusted now (the
    /// caller's keys and those earlier statements introduced), not be dated ahead of `now` by
    /// more than the clock tolerance, and not be signed by a key a kept revocation list revoked
    /// (nor stand on such a key). Written atomically under the state's lock; refused statements
    /// leave the state as it was.
    pub fn add_rollover(&self, statement: &[u8], now: UnixTime) -> Result<TrustAdded, TrustError> {
        let _lock = VerifierState::lock_within(&self.dir, self.settings.lock_timeout)?;
        let mut state = VerifierState::load(&self.dir)?;
        let mut keys = state.trust_chain(&self.keys).keys;
        let token = String::from_utf8_lossy(statement).trim().to_owned();
        let already_kept = state.rollovers.contains(&token);
        let rollover = if already_kept {
            crate::rollover::verify_rollover(statement, &keys)?
        } else {
            keys.accept_rollover(statement)?.rollover
        };
        let added = TrustAdded {
            new_kid: rollover.new_key.kid().to_owned(),
            old_kid: rollover.old_kid.clone(),
            issued_at: rollover.issued_at.to_rfc3339(),
            new_key_valid_from: rollover.new_key_valid_from.map(|t| t.to_rfc3339()),
            old_key_retired_from: rollover.old_key_retired_from.map(|t| t.to_rfc3339()),
            already_kept,
        };
        if already_kept {
            return Ok(added);
        }
        let tolerance = self.settings.clock_tolerance_secs;
        if now.saturating_add(i64::from(tolerance)) < rollover.issued_at {
            return Err(TrustError::DatedAhead {
                issued_at: rollover.issued_at,
                now,
                tolerance_secs: tolerance,
            });
        }
        let lists: Vec<Arc<_>> = state
            .revocation_lists(&self.dir, &keys)?
            .into_iter()
            .map(Arc::new)
            .collect();
        if let Err(refusal) =
            key_standing(&keys, rollover.new_key.kid(), rollover.issued_at, &lists)
        {
            if refusal.status == Status::KeyRevoked {
                return Err(TrustError::Revoked(refusal.reason));
            }
        }
        state.rollovers.push(token);
        state.observe(rollover.issued_at);
        state.save(&self.dir)?;
        Ok(added)
    }

    /// The trust store: every key trusted (the caller's and those statements introduced, with who
    /// introduced each and retirement dates) and its standing for a file signed at `now`, with
    /// the revocation lists the state kept; and every statement kept.
    pub fn trust_list(&self, now: UnixTime) -> Result<TrustList, StateError> {
        let state = VerifierState::load(&self.dir)?;
        let chain = state.trust_chain(&self.keys);
        let lists: Vec<Arc<_>> = state
            .revocation_lists(&self.dir, &chain.keys)?
            .into_iter()
            .map(Arc::new)
            .collect();
        let keys = chain
            .keys
            .iter()
            .map(|key| {
                let introduction = key.introduction();
                let (standing, reason) = match key_standing(&chain.keys, key.kid(), now, &lists) {
                    Ok(()) => ("TRUSTED".to_owned(), None),
                    Err(refusal) => (refusal.status.as_str().to_owned(), Some(refusal.reason)),
                };
                TrustedKeyReport {
                    kid: key.kid().to_owned(),
                    key_type: key.key_type().to_string(),
                    algorithms: key
                        .algorithms()
                        .iter()
                        .map(|a| a.name().to_owned())
                        .collect(),
                    source: if introduction.is_some() {
                        "rollover"
                    } else {
                        "given"
                    },
                    introduced_by: introduction.map(|i| i.introduced_by.clone()),
                    introduced_at: introduction.map(|i| i.issued_at.to_rfc3339()),
                    valid_from: introduction
                        .and_then(|i| i.valid_from)
                        .map(|t| t.to_rfc3339()),
                    retired_from: key.retired_from().map(|t| t.to_rfc3339()),
                    standing,
                    reason,
                }
            })
            .collect();
        Ok(TrustList {
            keys,
            statements: chain.statements,
        })
    }
}
