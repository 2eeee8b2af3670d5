//! API tokens: created once, stored as SHA-256 only, compared in constant time, each carrying a
//! set of permissions.

use crate::error::ApiError;
use crate::store::{ApiToken, Store};
use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroizing;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Apply a license in an air-gapped workspace (`licenses.add`).
    EditPrivilegedSetting,
    /// Upload and manage signing certificates.
    ManageCertificates,
    /// Install and manage license files.
    ManageLicenses,
    /// Create and manage license keys.
    ManageLicenseKeys,
    /// Read `GET /metrics` on the main listener.
    ReadMetrics,
    /// List and revoke API tokens.
    ManageTokens,
    /// Read the administrative audit log.
    ViewAdminLog,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 7] = [
        Permission::EditPrivilegedSetting,
        Permission::ManageCertificates,
        Permission::ManageLicenses,
        Permission::ManageLicenseKeys,
        Permission::ReadMetrics,
        Permission::ManageTokens,
        Permission::ViewAdminLog,
    ];

    /// The permission's name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Permission::EditPrivilegedSetting => "edit-privileged-setting",
            Permission::ManageCertificates => "manage-certificates",
            Permission::ManageLicenses => "manage-licenses",
            Permission::ManageLicenseKeys => "manage-license-keys",
            Permission::ReadMetrics => "read-metrics",
            Permission::ManageTokens => "manage-tokens",
            Permission::ViewAdminLog => "view-admin-log",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A permission name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a permission; use edit-privileged-setting, manage-certificates, manage-licenses, manage-license-keys, manage-tokens, view-admin-log, read-metrics or all")]
pub struct UnknownPermission(pub String);

impl FromStr for Permission {
    type Err = UnknownPermission;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownPermission(s.to_owned()))
    }
}

/// The prefix of every token, so a leaked one is recognisable by secret scanners.
pub const TOKEN_PREFIX: &str = "lct_";

/// A new random token (256 bits from the OS CSPRNG) and its SHA-256, the only form stored.
pub fn new_token() -> (Zeroizing<String>, [u8; 32]) {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    let token = Zeroizing::new(format!(
        "{TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(bytes.as_ref())
    ));
    let hash = token_hash(&token);
    (token, hash)
}

/// SHA-256 of a token's text.
pub fn token_hash(token: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
    out
}

/// Finds the token behind an `X-Auth-Token` value and checks that it is current: not expired
/// and not revoked. The token is read from the store on every request (no cache), so a token
/// revoked by `licet token revoke` on the same database is refused by the next request. The
/// lookup is by hash; the stored hash is then compared in constant time, so neither step
/// depends on how much of a guessed token is right.
pub async fn authenticate(
    store: &dyn Store,
    header: Option<&str>,
    now: i64,
    path: &str,
) -> Result<ApiToken, ApiError> {
    let token = header
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::missing_credentials(path))?;
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
        return Err(ApiError::invalid_token(path));
    }
    authenticate_hash(store, &token_hash(token), now, path).await
}

/// The token of a request to a token route, for its handler: the `X-Auth-Token` header's, or
/// the console session's when there is no header. [`require_token`] has already checked the
/// same credentials (and a console request's CSRF token, for its real method) before the
/// handler runs.
pub async fn request_token(
    state: &crate::app::AppState,
    headers: &axum::http::HeaderMap,
    path: &str,
) -> Result<ApiToken, ApiError> {
    let header = headers
        .get("x-auth-token")
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    if header.is_none() {
        let session =
            crate::console::authenticate_session(state, headers, &axum::http::Method::GET, path)
                .await?;
        if let Some((token, _)) = session {
            return Ok(token);
        }
    }
    authenticate(state.store.as_ref(), header, state.now(), path).await
}

/// [`authenticate`] by the token's SHA-256 (a console session holds only the hash).
pub async fn authenticate_hash(
    store: &dyn Store,
    hash: &[u8; 32],
    now: i64,
    path: &str,
) -> Result<ApiToken, ApiError> {
    let found = store
        .find_token(hash)
        .await
        .map_err(|e| ApiError::internal(e, path))?;
    match found {
        Some(record)
            if aws_lc_rs::constant_time::verify_slices_are_equal(&record.token_sha256, hash)
                .is_ok()
                && record.expires_at.is_none_or(|exp| now < exp)
                && record.revoked_at.is_none() =>
        {
            Ok(record)
        }
        _ => Err(ApiError::invalid_token(path)),
    }
}

/// Fails with 403 unless the token has `permission`.
pub fn require(token: &ApiToken, permission: Permission, path: &str) -> Result<(), ApiError> {
    if token.permissions.contains(&permission) {
        Ok(())
    } else {
        Err(ApiError::forbidden(permission.name(), path))
    }
}

/// Routes under `/api/v1/` that [`require_token`] lets through without an `X-Auth-Token`
/// header: `assign-license-key` carries its token in the form (`api_key`, seed 002), so its
/// body is read first, within the body limit and the request timeout.
pub const PUBLIC_API_PATHS: &[&str] = &["/api/v1/assign-license-key"];

/// Middleware in front of every route: a request under `/api/v1/` (except
/// [`PUBLIC_API_PATHS`]) without a current token is answered 401 before any byte of its body
/// is read, so a client without a token cannot make the server wait for a body. Routes added
/// later under `/api/v1/` are covered without registering anything. The token found is put in
/// the request's extensions; handlers still check its permission.
pub async fn require_token(
    axum::extract::State(state): axum::extract::State<crate::app::AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let path = request.uri().path();
    if !path.starts_with("/api/v1/") || PUBLIC_API_PATHS.contains(&path) {
        return next.run(request).await;
    }
    let header = request
        .headers()
        .get("x-auth-token")
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    // The web console's requests carry its session cookie instead of a token header.
    if header.is_none() {
        let method = request.method().clone();
        match crate::console::authenticate_session(&state, request.headers(), &method, path).await {
            Ok(Some((token, _))) => {
                request.extensions_mut().insert(token);
                return next.run(request).await;
            }
            Ok(None) => {}
            Err(e) => return e.into_response(),
        }
    }
    match authenticate(state.store.as_ref(), header, state.now(), path).await {
        Ok(token) => {
            request.extensions_mut().insert(token);
            next.run(request).await
        }
        // The workspace routes (seed 003) answer 401 in their own shape.
        Err(e)
            if e.status() == axum::http::StatusCode::UNAUTHORIZED
                && crate::routes::workspace::PATHS.contains(&path) =>
        {
            crate::routes::workspace::unauthorized()
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let (a, hash_a) = new_token();
        let (b, _) = new_token();
        assert_ne!(*a, *b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == 4 + 43);
        assert_eq!(token_hash(&a), hash_a);
    }

    #[test]
    fn permission_names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(p.name().parse::<Permission>().unwrap(), p);
        }
        assert!("admin".parse::<Permission>().is_err());
    }
}
