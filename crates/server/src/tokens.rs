//! Creating API tokens (for `licet token create`).

use crate::auth::{new_token, Permission};
use crate::store::{ApiToken, Store, StoreError};
use zeroize::Zeroizing;

/// Creates a token for `user_id` with `permissions`, stores its hash, and returns the token text:
/// the only time it exists outside the caller's hands.
pub async fn create_token(
    store: &dyn Store,
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
    };
    store.insert_token(&record).await?;
    Ok((token, record))
}
