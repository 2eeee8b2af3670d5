//! API tokens: creating (for `licet token create`), listing and revoking them. Every creation
//! and revocation is written to the audit log in the same transaction.

use crate::admin::{actions, token_view, Actor};
use crate::auth::{new_token, Permission};
use crate::store::{ApiToken, Store, StoreError};
use zeroize::Zeroizing;

/// The days a new token lasts unless its creator says otherwise (`licet token create
/// --expires-days N`, or `--no-expiry`).
pub const DEFAULT_TOKEN_EXPIRY_DAYS: u32 = 90;

/// Creates a token for `user_id` with `permissions`, stores its hash, and returns the token text:
/// the only time it exists outside the caller's hands. The audit log names the creator as
/// `system` (library callers); commands use [`create_token_as`].
pub async fn create_token(
    store: &dyn Store,
    user_id: &str,
    permissions: &[Permission],
    now: i64,
    expires_at: Option<i64>,
) -> Result<(Zeroizing<String>, ApiToken), StoreError> {
    let system = Actor {
        token_id: None,
        user_id: "system".into(),
    };
    create_token_as(store, &system, user_id, permissions, now, expires_at).await
}

/// [`create_token`], recording `actor` as its creator in the audit log (with the token's id,
/// user, permissions and expiry; never its text or hash).
pub async fn create_token_as(
    store: &dyn Store,
    actor: &Actor,
    user_id: &str,
    permissions: &[Permission],
    now: i64,
    expires_at: Option<i64>,
) -> Result<(Zeroizing<String>, ApiToken), StoreError> {
    let (token, hash) = new_token();
    let mut permissions = permissions.to_vec();
    permissions.sort();
    permissions.dedup();
    let record = ApiToken {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user_id.to_owned(),
        token_sha256: hash.to_vec(),
        permissions,
        created_at: now,
        expires_at,
        revoked_at: None,
    };
    let log = actor.entry(
        now,
        actions::TOKEN_CREATE,
        &record.id,
        None,
        Some(token_view(&record, now)),
    );
    store.insert_token(&record, Some(&log)).await?;
    Ok((token, record))
}

/// Revokes the token `id` (a token may revoke itself: the request that does so is answered,
/// the next one is refused). `None` when there is no such token or it was revoked before; then
/// nothing is logged. Ids are never reused: the revoked row stays.
pub async fn revoke_token(
    store: &dyn Store,
    actor: &Actor,
    id: &str,
    now: i64,
) -> Result<Option<ApiToken>, StoreError> {
    let Some(current) = store
        .list_tokens()
        .await?
        .into_iter()
        .find(|t| t.id == id && t.revoked_at.is_none())
    else {
        return Ok(None);
    };
    let mut after = current.clone();
    after.revoked_at = Some(now);
    let log = actor.entry(
        now,
        actions::TOKEN_REVOKE,
        id,
        Some(token_view(&current, now)),
        Some(token_view(&after, now)),
    );
    store.revoke_token(id, now, &log).await
}
