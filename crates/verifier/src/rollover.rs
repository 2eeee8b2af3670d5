//! Key rollover statements: how a vendor moves every air-gapped customer from an old signing key
//! to a new one. A statement is a JWT with `typ` `key-rollover+jwt`, signed by the old key, that
//! introduces the new public key as a JWK and may retire the old key from a date:
//!
//! ```json
//! {"iat": 1790000000, "iss": "Example Corp", "old_kid": "Vb3...",
//!  "new_key": {"kty": "OKP", "crv": "Ed25519", "x": "...", "kid": "q9Z...", "alg": "EdDSA"},
//!  "new_key_valid_from": 1790000000, "old_key_retired_from": 1800000000}
//! ```
//!
//! A site accepts a statement only when it verifies with a key the site already trusts
//! ([`TrustedKeys::accept_rollover`]); the new key is then trusted with its introduction recorded,
//! so that the whole chain can be judged at every check: a license the old key signed on or after
//! its retirement date is KEY_RETIRED, and a key revoked by a revocation list takes down every key
//! it introduced after the revocation date (KEY_REVOKED). The new key's algorithm is pinned by the
//! JWK's `alg`, which a statement must carry.
//!
//! ```
//! use licet_verifier::{verify_rollover, RolloverError, TrustedKeys};
//! let refused = verify_rollover(b"not a statement", &TrustedKeys::new());
//! assert!(matches!(refused, Err(RolloverError::Jws(_))));
//! ```

use crate::claims::{describe, non_empty_string, numeric_date, optional, required, ClaimError};
use crate::jws::{self, JwsError};
use crate::keys::{Introduction, KeyError, TrustedKey, TrustedKeys};
use crate::timestamp::UnixTime;
use serde_json::Value;

/// The `typ` header of a key rollover statement.
pub const ROLLOVER_TYPE: &str = "key-rollover+jwt";

/// The largest rollover statement accepted, in bytes (an RSA-8192 JWK fits many times over).
pub const MAX_ROLLOVER_BYTES: usize = 64 * 1024;

/// A rollover statement whose signature verified with a trusted key.
#[derive(Debug, Clone)]
pub struct Rollover {
    /// The key that signed the statement: the old key.
    pub old_kid: String,
    /// The key it introduces, with its algorithm pinned and its introduction recorded.
    pub new_key: TrustedKey,
    /// When the statement was made (`iat`).
    pub issued_at: UnixTime,
    /// The new key verifies only files issued at or after this time, if set.
    pub new_key_valid_from: Option<UnixTime>,
    /// Files the old key signs at or after this time are KEY_RETIRED, if set.
    pub old_key_retired_from: Option<UnixTime>,
    /// `iss`, if any.
    pub issuer: Option<String>,
}

/// Why a rollover statement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RolloverError {
    /// Over [`MAX_ROLLOVER_BYTES`], or not UTF-8.
    #[error("the rollover statement {0}")]
    Unreadable(String),
    /// The JWS failed: structure, algorithm, key (no trusted key signed it) or signature.
    #[error("the rollover statement was refused: {0}")]
    Jws(#[from] JwsError),
    /// The header's `typ` is not `key-rollover+jwt`.
    #[error("the file has `typ` {0}; a rollover statement has `typ` `key-rollover+jwt`, so a license or another JWT cannot pass as one")]
    WrongType(String),
    /// A claim is missing or of the wrong form.
    #[error("the rollover statement's {0}")]
    Claim(#[from] ClaimError),
    /// `new_key` is not a public key licet can use.
    #[error("the rollover statement's `new_key` is not a usable public key: {0}")]
    NewKey(KeyError),
    /// `old_kid` does not name the key that signed the statement.
    #[error("the rollover statement says it is from key {claimed}, but key {signer} signed it")]
    SignerMismatch {
        /// The `old_kid` claim.
        claimed: String,
        /// The key that verified the signature.
        signer: String,
    },
    /// The statement introduces the key that signed it.
    #[error("the rollover statement introduces the key that signed it ({0}); a key cannot vouch for itself")]
    SelfIntroduction(String),
    /// The signing key was retired before the statement was made.
    #[error("the rollover statement was signed by key {kid} at {issued_at}, on or after that key was retired ({retired_from}); a retired key introduces no keys")]
    SignerRetired {
        /// The signing key.
        kid: String,
        /// The statement's `iat`.
        issued_at: UnixTime,
        /// The retirement date.
        retired_from: UnixTime,
    },
    /// The signing key is trusted only for files issued later than the statement.
    #[error("the rollover statement was signed by key {kid} at {issued_at}, before that key is trusted ({valid_from})")]
    SignerNotYetValid {
        /// The signing key.
        kid: String,
        /// The statement's `iat`.
        issued_at: UnixTime,
        /// From when the signer is trusted.
        valid_from: UnixTime,
    },
    /// The key it introduces is trusted already, through another statement.
    #[error("the rollover statement introduces key {0}, which is trusted already through another rollover statement")]
    AlreadyIntroduced(String),
}

/// Verifies a rollover statement against `keys` and reads it. It does not change `keys`; see
/// [`TrustedKeys::accept_rollover`].
pub fn verify_rollover(file: &[u8], keys: &TrustedKeys) -> Result<Rollover, RolloverError> {
    if file.len() > MAX_ROLLOVER_BYTES {
        return Err(RolloverError::Unreadable(format!(
            "is larger than {MAX_ROLLOVER_BYTES} bytes"
        )));
    }
    let text = std::str::from_utf8(file)
        .map_err(|_| RolloverError::Unreadable("is not UTF-8 text".into()))?;
    let decoded = jws::decode(text.trim())?;
    match decoded.header().get("typ") {
        Some(Value::String(typ)) if typ.eq_ignore_ascii_case(ROLLOVER_TYPE) => {}
        Some(other) => return Err(RolloverError::WrongType(describe(other))),
        None => return Err(RolloverError::WrongType("missing".into())),
    }
    let verified = decoded.verify(keys)?;
    let signer = verified.key();
    let mut claims = crate::json::parse_object(verified.payload()).map_err(|e| {
        RolloverError::Claim(ClaimError {
            claim: "(payload)".into(),
            problem: e.to_string(),
        })
    })?;
    let issued_at = required(&mut claims, "iat", numeric_date)?;
    let old_kid = required(&mut claims, "old_kid", non_empty_string)?;
    if old_kid != signer.kid() {
        return Err(RolloverError::SignerMismatch {
            claimed: jws::quote(&old_kid),
            signer: signer.kid().to_owned(),
        });
    }
    let jwk = required(&mut claims, "new_key", |v| match v {
        Value::Object(map) => Ok(map),
        other => Err(format!("must be a JWK object, not {}", describe(&other))),
    })?;
    if !matches!(jwk.get("alg"), Some(Value::String(_))) {
        return Err(RolloverError::NewKey(KeyError::Jwk(
            "member `alg` is missing; a rollover pins the new key's algorithm".into(),
        )));
    }
    let new_key = TrustedKey::from_jwk(&jwk).map_err(RolloverError::NewKey)?;
    if new_key.kid() == signer.kid() {
        return Err(RolloverError::SelfIntroduction(new_key.kid().to_owned()));
    }
    let new_key_valid_from = optional(&mut claims, "new_key_valid_from", numeric_date)?;
    let old_key_retired_from = optional(&mut claims, "old_key_retired_from", numeric_date)?;
    let issuer = optional(&mut claims, "iss", non_empty_string)?;
    let new_key = new_key.introduced(Introduction {
        introduced_by: old_kid.clone(),
        issued_at,
        valid_from: new_key_valid_from,
    });
    Ok(Rollover {
        old_kid,
        new_key,
        issued_at,
        new_key_valid_from,
        old_key_retired_from,
        issuer,
    })
}

/// What [`TrustedKeys::accept_rollover`] did.
#[derive(Debug, Clone)]
pub struct AcceptedRollover {
    /// The statement.
    pub rollover: Rollover,
    /// Whether the new key was trusted already (given by the caller): then only the old key's
    /// retirement is applied.
    pub already_trusted: bool,
}

impl TrustedKeys {
    /// Verifies a rollover statement with these keys and, when it verifies, trusts its new key
    /// (with its introduction recorded) and retires the old key from the statement's date, if it
    /// names one. A statement signed by a key after it was retired, or that introduces a key
    /// already introduced by another statement, is refused. A key the caller trusts directly may
    /// be introduced too: then only the retirement applies.
    ///
    /// Whether the old key was revoked when it signed is judged at every check, with the
    /// revocation lists of that check ([`crate::trust`]).
    pub fn accept_rollover(&mut self, statement: &[u8]) -> Result<AcceptedRollover, RolloverError> {
        let rollover = verify_rollover(statement, self)?;
        let Some(signer) = self.find(&rollover.old_kid) else {
            return Err(RolloverError::Jws(JwsError::UnknownKey(format!(
                "no trusted key has the thumbprint {}",
                rollover.old_kid
            ))));
        };
        if let Some(retired_from) = signer.retired_from() {
            if rollover.issued_at >= retired_from {
                return Err(RolloverError::SignerRetired {
                    kid: rollover.old_kid.clone(),
                    issued_at: rollover.issued_at,
                    retired_from,
                });
            }
        }
        if let Some(valid_from) = signer.introduction().and_then(|i| i.valid_from) {
            if rollover.issued_at < valid_from {
                return Err(RolloverError::SignerNotYetValid {
                    kid: rollover.old_kid.clone(),
                    issued_at: rollover.issued_at,
                    valid_from,
                });
            }
        }
        let existing = self.find(rollover.new_key.kid());
        if existing.is_some_and(|k| k.introduction().is_some()) {
            return Err(RolloverError::AlreadyIntroduced(
                rollover.new_key.kid().to_owned(),
            ));
        }
        let already_trusted = existing.is_some();
        if already_trusted {
            // Given by the caller as well: record the lineage anyway, so that the new key can
            // revoke the old one and a revocation of the old key reaches the link.
            if let (Some(key), Some(introduction)) = (
                self.find_mut(rollover.new_key.kid()),
                rollover.new_key.introduction().cloned(),
            ) {
                key.set_introduction(introduction);
            }
        } else {
            self.push(rollover.new_key.clone());
        }
        if let Some(from) = rollover.old_key_retired_from {
            if let Some(old) = self.find_mut(&rollover.old_kid) {
                old.retire_from(from);
            }
        }
        Ok(AcceptedRollover {
            rollover,
            already_trusted,
        })
    }
}
