//! API tokens for administrators (permission `manage-tokens`): create, list and revoke. A token
//! is shown once, when it is made; no route shows a token's hash. A token can only give the
//! permissions it holds itself, and tokens made through the API always expire.

use crate::admin::{token_view, Actor};
use crate::app::AppState;
use crate::auth::Permission;
use crate::error::ApiError;
use crate::extract::PathParam;
use crate::routes::license_keys::caller_with;
use crate::tokens::{create_token_as, revoke_token, DEFAULT_TOKEN_EXPIRY_DAYS};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

const COLLECTION: &str = "/api/v1/tokens";

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", security(("token" = [])),
    responses(
        (status = 200, description = "Every token, revoked and expired ones too, oldest first", body = crate::openapi::TokenListEnvelope),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid, expired or revoked one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
    ))]
/// `GET /api/v1/tokens`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    caller_with(&state, &headers, COLLECTION, Permission::ManageTokens).await?;
    let now = state.now();
    let tokens = state
        .store
        .list_tokens()
        .await
        .map_err(|e| ApiError::internal(e, COLLECTION))?;
    let data: Vec<Value> = tokens.iter().map(|t| token_view(t, now)).collect();
    Ok(Json(json!({ "data": data })))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", security(("token" = [])),
    params(("id" = String, Path, description = "The token's id (from `GET /api/v1/tokens` or `licet token list`)")),
    responses(
        (status = 200, description = "The token is revoked from now on (a token may revoke itself)", body = crate::openapi::TokenEnvelope),
        (status = 400, description = "The path is not valid UTF-8, or holds a NUL character (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid, expired or revoked one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 404, description = "No such token, or it was revoked before (LE_ERR_SS_001); nothing is logged", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
    ))]
/// `DELETE /api/v1/tokens/{id}`.
pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathParam(id): PathParam,
) -> Result<Json<Value>, ApiError> {
    let path = format!("{COLLECTION}/{id}");
    let token = caller_with(&state, &headers, &path, Permission::ManageTokens).await?;
    let now = state.now();
    match revoke_token(state.store.as_ref(), &Actor::token(&token), &id, now)
        .await
        .map_err(|e| ApiError::internal(e, &path))?
    {
        Some(revoked) => Ok(Json(json!({ "data": token_view(&revoked, now) }))),
        None => Err(ApiError::not_found(
            "Token not found, or already revoked",
            &path,
        )),
    }
}

/// The body of `POST /api/v1/tokens`.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Whom the token is for (1 to 128 characters, no control characters).
    pub user_id: String,
    /// Permission names; each must be one the caller's own token holds.
    pub permissions: Vec<String>,
    /// Days until it expires, 1 to 3650 (default 90), and never after the caller's own token.
    /// Tokens made through the API always expire.
    pub expires_days: Option<u32>,
}

/// The longest expiry a token made through the API may have, in days.
pub const MAX_API_TOKEN_DAYS: u32 = 3650;

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", security(("token" = [])),
    request_body = NewToken,
    responses(
        (status = 201, description = "The new token: its text (`token`, shown this once) and what listings show", body = crate::openapi::NewTokenEnvelope),
        (status = 400, description = "The body is not JSON of this shape, or a field is out of range (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid, expired or revoked one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks `manage-tokens`, or asks to give a permission it does not hold (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
    ))]
/// `POST /api/v1/tokens`.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let caller = caller_with(&state, &headers, COLLECTION, Permission::ManageTokens).await?;
    crate::text::refuse_nul_in_json(&body, COLLECTION)?;
    let new: NewToken = serde_json::from_slice(&body).map_err(|e| {
        ApiError::validation(
            format!("The body must be JSON {{\"user_id\", \"permissions\": [...], \"expires_days\"?}}: {e}"),
            COLLECTION,
        )
    })?;
    let user = new.user_id.trim();
    if user.is_empty() || user.chars().count() > 128 || user.chars().any(char::is_control) {
        return Err(ApiError::validation(
            "user_id must be 1 to 128 characters without control characters",
            COLLECTION,
        ));
    }
    if new.permissions.is_empty() {
        return Err(ApiError::validation(
            "permissions must name at least one permission",
            COLLECTION,
        ));
    }
    let mut permissions = Vec::new();
    for name in &new.permissions {
        let permission = name.parse::<Permission>().map_err(|_| {
            ApiError::validation(
                format!("permissions: `{name}` is not a permission"),
                COLLECTION,
            )
        })?;
        // No escalation: a token gives only what it holds.
        if !caller.permissions.contains(&permission) {
            return Err(ApiError::forbidden(permission.name(), COLLECTION));
        }
        permissions.push(permission);
    }
    let days = new.expires_days.unwrap_or(DEFAULT_TOKEN_EXPIRY_DAYS);
    if !(1..=MAX_API_TOKEN_DAYS).contains(&days) {
        return Err(ApiError::validation(
            format!("expires_days must be 1 to {MAX_API_TOKEN_DAYS}"),
            COLLECTION,
        ));
    }
    let now = state.now();
    // Never longer than the caller's own token: a token about to expire (or a stolen session)
    // must not mint one that outlives it.
    let asked = now + i64::from(days) * 86_400;
    let expires_at = caller.expires_at.map_or(asked, |own| own.min(asked));
    let (text, record) = create_token_as(
        state.store.as_ref(),
        &Actor::token(&caller),
        user,
        &permissions,
        now,
        Some(expires_at),
    )
    .await
    .map_err(|e| ApiError::internal(e, COLLECTION))?;
    let mut data = token_view(&record, now);
    data["token"] = json!(text.as_str());
    Ok((StatusCode::CREATED, Json(json!({ "data": data }))))
}
