//! Making revocation lists: a new list, or an existing one extended with more licenses. Every
//! previous entry is kept, and the sequence number grows by one, so a verifier that has seen the
//! new list refuses the old one.

use crate::mint::{sign_compact, MintError};
use crate::signing_key::SigningKey;
use licet_verifier::{
    verify_revocation_list, Algorithm, KeyRevocation, Revocation, RevocationError, RevocationList,
    TrustedKeys, UnixTime, REVOCATION_LIST_TYPE,
};

/// A license to revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRequest {
    /// The license id (`jti`).
    pub license_id: String,
    /// Why, for a person (may be empty).
    pub reason: String,
}

/// A freshly signed revocation list.
#[derive(Debug, Clone)]
pub struct SignedRevocationList {
    /// The compact JWS.
    pub token: String,
    /// What it says.
    pub list: RevocationList,
    /// The ids newly revoked by this list (not those already in the previous one).
    pub added: Vec<String>,
    /// The entries (licenses and keys) taken over from the lists carried forward.
    pub carried: usize,
}

/// What goes into a new list besides the previous list of the same key.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListUpdate<'a> {
    /// The list of this key to extend (already verified with its public key): its entries are
    /// kept and the sequence number grows by one.
    pub previous: Option<&'a RevocationList>,
    /// Lists of other keys (already verified) whose entries are carried into this one, with
    /// their dates and reasons, so that no revocation is lost when a new key takes over.
    pub carried: &'a [RevocationList],
    /// Licenses to revoke now.
    pub add: &'a [RevocationRequest],
    /// Signing keys to revoke.
    pub revoke_keys: &'a [KeyRevocation],
}

/// Why a list could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    /// Signing failed.
    #[error(transparent)]
    Mint(#[from] MintError),
    /// The list is not valid (for example an empty license id).
    #[error(transparent)]
    List(#[from] RevocationError),
    /// The existing list was signed by another key.
    #[error("the existing revocation list was signed by key {existing}, not by this key ({this}); a list is extended by the key that signed it")]
    OtherKey {
        /// The existing list's kid.
        existing: String,
        /// This key's kid.
        this: String,
    },
    /// The clock is before the existing list's time.
    #[error(
        "the existing revocation list was issued at {existing}, after now ({now}): check the clock"
    )]
    ClockBehind {
        /// The existing list's `iat`.
        existing: String,
        /// Now.
        now: String,
    },
    /// Nothing to revoke.
    #[error("nothing to revoke: give license ids, a key to revoke, or a list to carry forward")]
    Empty,
    /// An empty license id.
    #[error("a license id to revoke is empty")]
    EmptyId,
}

/// Signs a revocation list: `previous` (already verified with `key`'s public key) extended with
/// `add`. Ids already listed keep their first entry. The list is verified with licet's verifier
/// before it is returned.
pub fn extend_revocation_list(
    key: &SigningKey,
    alg: Option<Algorithm>,
    previous: Option<&RevocationList>,
    add: &[RevocationRequest],
    now: UnixTime,
    issuer: Option<String>,
) -> Result<SignedRevocationList, RevokeError> {
    if add.is_empty() {
        return Err(RevokeError::Empty);
    }
    let update = ListUpdate {
        previous,
        add,
        ..ListUpdate::default()
    };
    sign_revocation_list(key, alg, &update, now, issuer)
}

/// Signs a revocation list of `key`: the previous list of the key (if any) with its entries kept,
/// the entries of the lists carried forward (first entry of an id wins), the licenses of
/// `update.add` revoked at `now`, and the keys of `update.revoke_keys` (a key already revoked
/// keeps the earlier date). The list is verified with licet's verifier before it is returned.
pub fn sign_revocation_list(
    key: &SigningKey,
    alg: Option<Algorithm>,
    update: &ListUpdate<'_>,
    now: UnixTime,
    issuer: Option<String>,
) -> Result<SignedRevocationList, RevokeError> {
    if update.add.is_empty() && update.revoke_keys.is_empty() && update.carried.is_empty() {
        return Err(RevokeError::Empty);
    }
    if update.add.iter().any(|r| r.license_id.trim().is_empty()) {
        return Err(RevokeError::EmptyId);
    }
    let mut entries = Vec::new();
    let mut revoked_keys: Vec<KeyRevocation> = Vec::new();
    let mut seq = 1;
    let mut issuer = issuer;
    if let Some(previous) = update.previous {
        if previous.kid != key.kid() {
            return Err(RevokeError::OtherKey {
                existing: previous.kid.clone(),
                this: key.kid().to_owned(),
            });
        }
        if now < previous.issued_at {
            return Err(RevokeError::ClockBehind {
                existing: previous.issued_at.to_rfc3339(),
                now: now.to_rfc3339(),
            });
        }
        entries = previous.entries.clone();
        revoked_keys = previous.revoked_keys.clone();
        seq = previous.seq + 1;
        issuer = issuer.or_else(|| previous.issuer.clone());
    }
    let mut carried = 0;
    let revoke_key = |revoked_keys: &mut Vec<KeyRevocation>, new: &KeyRevocation| match revoked_keys
        .iter_mut()
        .find(|k| k.kid == new.kid)
    {
        Some(existing) if new.from < existing.from => {
            *existing = new.clone();
            true
        }
        Some(_) => false,
        None => {
            revoked_keys.push(new.clone());
            true
        }
    };
    for list in update.carried {
        for entry in &list.entries {
            if !entries
                .iter()
                .any(|e: &Revocation| e.license_id == entry.license_id)
            {
                entries.push(entry.clone());
                carried += 1;
            }
        }
        for revoked in &list.revoked_keys {
            if revoke_key(&mut revoked_keys, revoked) {
                carried += 1;
            }
        }
    }
    let mut added = Vec::new();
    for request in update.add {
        let listed = entries.iter().any(|e| e.license_id == request.license_id)
            || added.contains(&request.license_id);
        if !listed {
            entries.push(Revocation {
                license_id: request.license_id.clone(),
                reason: request.reason.clone(),
                revoked_at: now,
            });
            added.push(request.license_id.clone());
        }
    }
    for revoked in update.revoke_keys {
        revoke_key(&mut revoked_keys, revoked);
    }
    let list = RevocationList::new(seq, now, issuer, entries, key.kid().to_owned())?
        .with_revoked_keys(revoked_keys)?;
    let alg = alg.unwrap_or_else(|| key.default_algorithm());
    let token = sign_compact(key, alg, REVOCATION_LIST_TYPE, &list.to_claims())?;
    // A list licet writes is one it reads back unchanged.
    let keys: TrustedKeys = [key.public_key().clone()].into_iter().collect();
    let back = verify_revocation_list(token.as_bytes(), &keys)?;
    if back != list {
        return Err(
            MintError::SelfCheck("the revocation list did not read back unchanged".into()).into(),
        );
    }
    Ok(SignedRevocationList {
        token,
        list,
        added,
        carried,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeySpec;

    fn revoke(id: &str) -> RevocationRequest {
        RevocationRequest {
            license_id: id.into(),
            reason: "refunded".into(),
        }
    }

    #[test]
    fn extending_keeps_entries_and_bumps_seq() {
        let key = SigningKey::generate(KeySpec::Ed25519).unwrap();
        let t0 = UnixTime::from_secs(1_790_000_000).unwrap();
        let first = extend_revocation_list(&key, None, None, &[revoke("L-1")], t0, None).unwrap();
        assert_eq!((first.list.seq, first.added.len()), (1, 1));
        let t1 = t0.saturating_add(60);
        let second = extend_revocation_list(
            &key,
            None,
            Some(&first.list),
            &[revoke("L-1"), revoke("L-2")],
            t1,
            None,
        )
        .unwrap();
        assert_eq!(second.list.seq, 2);
        assert_eq!(second.added, vec!["L-2".to_string()]);
        assert_eq!(
            second.list.find("L-1").unwrap().revoked_at,
            t0,
            "first entry kept"
        );
        assert!(second.list.find("L-2").is_some());
        // Another key cannot extend it; the clock cannot go back.
        let other = SigningKey::generate(KeySpec::Ed25519).unwrap();
        assert!(matches!(
            extend_revocation_list(&other, None, Some(&second.list), &[revoke("L-3")], t1, None),
            Err(RevokeError::OtherKey { .. })
        ));
        assert!(matches!(
            extend_revocation_list(&key, None, Some(&second.list), &[revoke("L-3")], t0, None),
            Err(RevokeError::ClockBehind { .. })
        ));
    }
}
