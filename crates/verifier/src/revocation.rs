//! Signed revocation lists that work offline: a JWT with `typ` `license-revocations+jwt`, an
//! `iat`, a sequence number `seq` that grows with every new list, and the revoked license ids.
//!
//! ```json
//! {"iat": 1790000000, "seq": 3, "iss": "Example Corp",
//!  "revoked": [{"jti": "L-1", "reason": "refunded", "revoked_at": 1789990000}]}
//! ```
//!
//! A list may also revoke signing keys, each from a date (`revoked_keys`, for a key that was
//! stolen or lost): files that key signed with an `iat` on or after the date are KEY_REVOKED, and
//! so are files of keys that a rollover statement signed by it on or after the date introduced.
//!
//! ```json
//! {"revoked_keys": [{"kid": "Vb3...", "from": 1780000000, "reason": "key stolen"}]}
//! ```
//!
//! A list may revoke only the key that signed it and the keys that key descends from through
//! rollovers (see [`crate::rollover`]): a successor can revoke its predecessor, never the other
//! way round, so a stolen old key cannot revoke the vendor's new one. A key that no trusted key
//! matches may be named (it has no effect).
//!
//! A list is checked like a license: the key is pinned by `kid`, the algorithm by the key, and
//! the claims are read only after the signature verified.

use crate::claims::{describe, non_empty_string, numeric_date, optional, required, ClaimError};
use crate::jws::{self, JwsError};
use crate::keys::TrustedKeys;
use crate::timestamp::UnixTime;
use serde_json::Value;
use std::collections::HashMap;

/// The `typ` header of a revocation list.
pub const REVOCATION_LIST_TYPE: &str = "license-revocations+jwt";

/// The largest revocation list accepted, in bytes (about 60,000 entries).
pub const MAX_REVOCATION_LIST_BYTES: usize = 8 * 1024 * 1024;

/// One revoked license.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The license id (`jti`) revoked.
    pub license_id: String,
    /// Why, for a person.
    pub reason: String,
    /// When it was revoked.
    pub revoked_at: UnixTime,
}

/// One revoked signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRevocation {
    /// The key's `kid` (its RFC 7638 thumbprint).
    pub kid: String,
    /// Files it signed with an `iat` on or after this time are refused.
    pub from: UnixTime,
    /// Why, for a person.
    pub reason: String,
}

/// A revocation list whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationList {
    /// The sequence number: each new list from the same issuer has a larger one.
    pub seq: u64,
    /// When the list was made.
    pub issued_at: UnixTime,
    /// `iss`, if any.
    pub issuer: Option<String>,
    /// The entries, in the order of the list.
    pub entries: Vec<Revocation>,
    /// The `kid` of the key that signed it.
    pub kid: String,
    /// The signing keys it revokes (`revoked_keys`), in the order of the list.
    pub revoked_keys: Vec<KeyRevocation>,
    index: HashMap<String, usize>,
}

/// Why a revocation list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevocationError {
    /// Over [`MAX_REVOCATION_LIST_BYTES`], or not UTF-8.
    #[error("the revocation list {0}")]
    Unreadable(String),
    /// The JWS failed: structure, algorithm, key or signature.
    #[error("the revocation list was refused: {0}")]
    Jws(#[from] JwsError),
    /// The header's `typ` is not `license-revocations+jwt`.
    #[error("the revocation list has `typ` {0}; a revocation list has `typ` `license-revocations+jwt`, so a license or another JWT cannot pass as one")]
    WrongType(String),
    /// A claim is missing or of the wrong form.
    #[error("the revocation list's {0}")]
    Claim(#[from] ClaimError),
    /// The same license id is listed twice.
    #[error("the revocation list names license {0} twice")]
    Duplicate(String),
    /// The list revokes a trusted key that is neither its own signer nor a key its signer
    /// descends from.
    #[error("the revocation list of key {signer} revokes key {kid}, which it may not: a list may revoke only the key that signed it and the keys that key descends from through rollovers (a stolen old key must not be able to revoke its successor)")]
    KeyNotGoverned {
        /// The key the list revokes.
        kid: String,
        /// The key that signed the list.
        signer: String,
    },
}

impl RevocationList {
    /// Builds a list from its parts (for issuers; a list read from a file comes from
    /// [`verify_revocation_list`]).
    pub fn new(
        seq: u64,
        issued_at: UnixTime,
        issuer: Option<String>,
        entries: Vec<Revocation>,
        kid: String,
    ) -> Result<Self, RevocationError> {
        let mut index = HashMap::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            if index.insert(entry.license_id.clone(), i).is_some() {
                return Err(RevocationError::Duplicate(jws::quote(&entry.license_id)));
            }
        }
        Ok(RevocationList {
            seq,
            issued_at,
            issuer,
            entries,
            kid,
            revoked_keys: Vec::new(),
            index,
        })
    }

    /// The list with these revoked signing keys (`revoked_keys`); a key named twice is refused.
    pub fn with_revoked_keys(mut self, keys: Vec<KeyRevocation>) -> Result<Self, RevocationError> {
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|k| k.kid == key.kid) {
                return Err(RevocationError::Claim(ClaimError {
                    claim: "revoked_keys".into(),
                    problem: format!("names key {} twice", jws::quote(&key.kid)),
                }));
            }
        }
        self.revoked_keys = keys;
        Ok(self)
    }

    /// The entry revoking the signing key `kid`, if any.
    pub fn find_key(&self, kid: &str) -> Option<&KeyRevocation> {
        self.revoked_keys.iter().find(|k| k.kid == kid)
    }

    /// The entry revoking `license_id`, if any.
    pub fn find(&self, license_id: &str) -> Option<&Revocation> {
        self.index.get(license_id).map(|&i| &self.entries[i])
    }

    /// The claims of the list as the JSON object that is signed.
    pub fn to_claims(&self) -> serde_json::Map<String, Value> {
        let mut map = serde_json::Map::new();
        map.insert("iat".into(), Value::from(self.issued_at.as_secs()));
        map.insert("seq".into(), Value::from(self.seq));
        if let Some(issuer) = &self.issuer {
            map.insert("iss".into(), Value::from(issuer.clone()));
        }
        let entries = self
            .entries
            .iter()
            .map(|e| {
                serde_json::json!({"jti": e.license_id, "reason": e.reason,
                                   "revoked_at": e.revoked_at.as_secs()})
            })
            .collect();
        map.insert("revoked".into(), Value::Array(entries));
        if !self.revoked_keys.is_empty() {
            let keys = self
                .revoked_keys
                .iter()
                .map(|k| serde_json::json!({"kid": k.kid, "from": k.from.as_secs(), "reason": k.reason}))
                .collect();
            map.insert("revoked_keys".into(), Value::Array(keys));
        }
        map
    }
}

/// Verifies a revocation list against trusted keys and reads it.
///
/// ```
/// use licet_verifier::{verify_revocation_list, TrustedKeys, RevocationError};
/// let refused = verify_revocation_list(b"not a list", &TrustedKeys::new());
/// assert!(matches!(refused, Err(RevocationError::Jws(_))));
/// ```
pub fn verify_revocation_list(
    file: &[u8],
    keys: &TrustedKeys,
) -> Result<RevocationList, RevocationError> {
    verify_with_governance(file, keys, Governance::Refuse)
}

/// [`verify_revocation_list`] for the list's license entries: a key entry the keys given do not
/// show the list may make (a successor's list revoking the old key, read without the rollover
/// that links them) is dropped instead of refusing the list. For issuers reading their own lists
/// (`licet reissue`); a verifier checking licenses uses [`verify_revocation_list`].
pub fn verify_revocation_list_license_entries(
    file: &[u8],
    keys: &TrustedKeys,
) -> Result<RevocationList, RevocationError> {
    verify_with_governance(file, keys, Governance::DropEntry)
}

/// What to do with a key entry the list may not make (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Governance {
    /// Refuse the whole list ([`RevocationError::KeyNotGoverned`]): a list given to a check.
    Refuse,
    /// Drop only that entry, keep enforcing the rest: a list a state kept, judged again with
    /// keys whose rollovers may have changed since (its license entries must not be lost).
    DropEntry,
}

pub(crate) fn verify_with_governance(
    file: &[u8],
    keys: &TrustedKeys,
    governance: Governance,
) -> Result<RevocationList, RevocationError> {
    if file.len() > MAX_REVOCATION_LIST_BYTES {
        return Err(RevocationError::Unreadable(format!(
            "is larger than {MAX_REVOCATION_LIST_BYTES} bytes"
        )));
    }
    let text = std::str::from_utf8(file)
        .map_err(|_| RevocationError::Unreadable("is not UTF-8 text".into()))?;
    let decoded = jws::decode(text.trim())?;
    match decoded.header().get("typ") {
        Some(Value::String(typ)) if typ.eq_ignore_ascii_case(REVOCATION_LIST_TYPE) => {}
        Some(other) => return Err(RevocationError::WrongType(describe(other))),
        None => return Err(RevocationError::WrongType("missing".into())),
    }
    let verified = decoded.verify(keys)?;
    let kid = verified.key().kid().to_owned();
    let mut claims = crate::json::parse_object(verified.payload()).map_err(|e| {
        RevocationError::Claim(ClaimError {
            claim: "(payload)".into(),
            problem: e.to_string(),
        })
    })?;
    let issued_at = required(&mut claims, "iat", numeric_date)?;
    let seq = required(&mut claims, "seq", |v| match v.as_u64() {
        Some(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "must be a whole number of at least 1, not {}",
            describe(&v)
        )),
    })?;
    let issuer = optional(&mut claims, "iss", non_empty_string)?;
    let entries = required(&mut claims, "revoked", |v| match v {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| entry(i, item))
            .collect(),
        other => Err(format!("must be an array, not {}", describe(&other))),
    })?;
    let revoked_keys: Vec<KeyRevocation> = optional(&mut claims, "revoked_keys", |v| match v {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| key_entry(i, item))
            .collect(),
        other => Err(format!("must be an array, not {}", describe(&other))),
    })?
    .unwrap_or_default();
    let ancestors = keys.ancestors(&kid);
    let governed = |revoked: &KeyRevocation| {
        revoked.kid == kid
            || keys.find(&revoked.kid).is_none()
            || ancestors.iter().any(|k| k.kid() == revoked.kid)
    };
    if governance == Governance::Refuse {
        if let Some(revoked) = revoked_keys.iter().find(|r| !governed(r)) {
            return Err(RevocationError::KeyNotGoverned {
                kid: revoked.kid.clone(),
                signer: kid,
            });
        }
    }
    let revoked_keys = revoked_keys.into_iter().filter(|r| governed(r)).collect();
    RevocationList::new(seq, issued_at, issuer, entries, kid)?.with_revoked_keys(revoked_keys)
}

fn key_entry(i: usize, item: Value) -> Result<KeyRevocation, String> {
    let Value::Object(mut map) = item else {
        return Err(format!(
            "key entry {i} must be an object, not {}",
            describe(&item)
        ));
    };
    let in_entry = |e: ClaimError| format!("key entry {i}: `{}` {}", e.claim, e.problem);
    Ok(KeyRevocation {
        kid: required(&mut map, "kid", non_empty_string).map_err(in_entry)?,
        from: required(&mut map, "from", numeric_date).map_err(in_entry)?,
        reason: optional(&mut map, "reason", |v| match v {
            Value::String(s) => Ok(s),
            other => Err(format!("must be a string, not {}", describe(&other))),
        })
        .map_err(in_entry)?
        .unwrap_or_default(),
    })
}

fn entry(i: usize, item: Value) -> Result<Revocation, String> {
    let Value::Object(mut map) = item else {
        return Err(format!(
            "entry {i} must be an object, not {}",
            describe(&item)
        ));
    };
    let in_entry = |e: ClaimError| format!("entry {i}: `{}` {}", e.claim, e.problem);
    Ok(Revocation {
        license_id: required(&mut map, "jti", non_empty_string).map_err(in_entry)?,
        reason: optional(&mut map, "reason", |v| match v {
            Value::String(s) => Ok(s),
            other => Err(format!("must be a string, not {}", describe(&other))),
        })
        .map_err(in_entry)?
        .unwrap_or_default(),
        revoked_at: required(&mut map, "revoked_at", numeric_date).map_err(in_entry)?,
    })
}
