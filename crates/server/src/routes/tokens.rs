//! API tokens for administrators (permission `manage-tokens`): list and revoke. Neither route
//! ever shows a token's text or hash.

use crate::admin::{token_view, Actor};
use crate::app::AppState;
use crate::auth::Permission;
use crate::error::ApiError;
use crate::extract::PathParam;
use crate::routes::license_keys::caller_with;
use crate::tokens::revoke_token;
use axum::extract::State;
use axum::http::HeaderMap;
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
        (status = 400, description = "The path is not valid UTF-8 (LE_ERR_SS_008)", body = crate::error::ErrorBody),
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
