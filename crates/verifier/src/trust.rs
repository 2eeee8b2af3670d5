//! The standing of a signing key at a given time: whether a file it signed then is still to be
//! believed, given the rollover statements that introduced and retired keys ([`crate::rollover`])
//! and the signing keys revoked by revocation lists ([`crate::revocation`]).
//!
//! The rules, in the order they are checked:
//! 1. A key revoked from a date signs nothing believable from that date: a file it signed with an
//!    `iat` on or after it is KEY_REVOKED.
//! 2. A key is only as good as its introduction: when a key on its chain of rollovers signed the
//!    next link on or after that key was revoked, the key is KEY_REVOKED (a thief cannot keep a
//!    stolen key alive by introducing a key of their own). Only the list's own signer's
//!    introduction (the one link that made it) is exempt from the list's key revocations: a
//!    successor that revokes its predecessor "from its creation" (as docs/KEYS.md recommends)
//!    still stands on the rollover that introduced it. Links further up are not exempt, so a thief
//!    who slips a key of their own between the stolen key and the successor (R -> T -> successor)
//!    gains nothing: the link R -> T is tainted and everything below it falls (fail closed).
//! 3. A file a retired key signed with an `iat` on or after its retirement date is KEY_RETIRED.
//! 4. A key introduced with a start date verifies only files issued at or after it (UNKNOWN_KEY
//!    before it).
//!
//! Every date here is the signer's own `iat`, which whoever holds the key can backdate: this is
//! why docs/KEYS.md recommends revoking a stolen key from its creation and re-issuing with the
//! new one (`licet reissue`).

use crate::keys::{TrustedKey, TrustedKeys};
use crate::report::Status;
use crate::revocation::{KeyRevocation, RevocationList};
use crate::timestamp::UnixTime;
use std::sync::Arc;

/// Why a key's signature at some time is not believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRefusal {
    /// KEY_REVOKED, KEY_RETIRED or UNKNOWN_KEY.
    pub status: Status,
    /// Why, in a sentence.
    pub reason: String,
}

/// Whether a file that key `kid` signed at `issued_at` stands, given `keys` (with their
/// rollover history) and the revocation lists in force. A `kid` that is not among `keys` stands
/// (it verified nothing, so there is nothing to judge).
pub fn key_standing(
    keys: &TrustedKeys,
    kid: &str,
    issued_at: UnixTime,
    lists: &[Arc<RevocationList>],
) -> Result<(), KeyRefusal> {
    let Some(signer) = keys.find(kid) else {
        return Ok(());
    };
    let revoked = |status, reason| Err(KeyRefusal { status, reason });
    if let Some((list, entry)) = key_revocation(lists, kid, issued_at) {
        return revoked(
            Status::KeyRevoked,
            format!(
                "the file was signed by key {kid} at {issued_at}, on or after that key was revoked from {}{} by revocation list {} of key {}",
                entry.from,
                reason_of(entry),
                list.seq,
                list.kid
            ),
        );
    }
    let mut child: &TrustedKey = signer;
    for _ in 0..=keys.len() {
        let Some(introduction) = child.introduction() else {
            break;
        };
        let by = introduction.introduced_by.as_str();
        // The list's signer vouches for the statement that introduced it, and only that one.
        let on_own_chain = |list: &RevocationList| list.kid == child.kid();
        let taint = lists
            .iter()
            .filter(|list| !on_own_chain(list))
            .find_map(|list| {
                list.find_key(by)
                    .filter(|e| introduction.issued_at >= e.from)
                    .map(|e| (list, e))
            });
        if let Some((list, entry)) = taint {
            return revoked(
                Status::KeyRevoked,
                format!(
                    "key {kid} is trusted through a rollover statement that key {by} signed at {}, on or after key {by} was revoked from {}{} by revocation list {} of key {}",
                    introduction.issued_at,
                    entry.from,
                    reason_of(entry),
                    list.seq,
                    list.kid
                ),
            );
        }
        match keys.find(by) {
            Some(parent) => child = parent,
            None => break,
        }
    }
    if let Some(retired_from) = signer.retired_from() {
        if issued_at >= retired_from {
            return revoked(
                Status::KeyRetired,
                format!(
                    "the file was signed by key {kid} at {issued_at}, on or after a rollover statement retired that key ({retired_from}); files it signed earlier stay valid until they expire, and new ones come from its successor"
                ),
            );
        }
    }
    if let Some(introduction) = signer.introduction() {
        if let Some(valid_from) = introduction.valid_from.filter(|&t| issued_at < t) {
            return revoked(
                Status::UnknownKey,
                format!(
                    "the file was signed by key {kid} at {issued_at}, but the rollover statement of key {} trusts that key only for files issued from {valid_from}",
                    introduction.introduced_by
                ),
            );
        }
    }
    Ok(())
}

/// The first list that revokes key `kid` from a date on or before `at`.
fn key_revocation<'a>(
    lists: &'a [Arc<RevocationList>],
    kid: &str,
    at: UnixTime,
) -> Option<(&'a RevocationList, &'a KeyRevocation)> {
    lists.iter().find_map(|list| {
        list.find_key(kid)
            .filter(|e| at >= e.from)
            .map(|e| (list.as_ref(), e))
    })
}

fn reason_of(entry: &KeyRevocation) -> String {
    if entry.reason.is_empty() {
        String::new()
    } else {
        format!(" ({})", crate::jws::quote(&entry.reason))
    }
}
