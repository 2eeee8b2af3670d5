//! License keys for administrators (permission `manage-license-keys`): create, read, suspend.

use crate::activation::key_hash;
use crate::app::AppState;
use crate::auth::{authenticate, require, Permission};
use crate::error::ApiError;
use crate::extract::PathParam;
use crate::license_keys::{
    create_license_key, parse_key_changes, update_license_key, CreateKeyError, NewLicenseKey,
};
use crate::store::LicenseKeyRecord;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use licet_verifier::{LicenseKey, UnixTime};
use serde_json::{json, Value};

const COLLECTION: &str = "/api/v1/license-keys";

async fn caller(state: &AppState, headers: &HeaderMap, path: &str) -> Result<(), ApiError> {
    let header = headers
        .get("x-auth-token")
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    let token = authenticate(state.store.as_ref(), header, state.now(), path).await?;
    require(&token, Permission::ManageLicenseKeys, path)
}

fn rfc3339(secs: i64) -> Value {
    UnixTime::from_secs(secs).map_or(Value::Null, |t| Value::String(t.to_rfc3339()))
}

/// The `data` object of the license-key routes.
pub fn key_view(key: &LicenseKey, record: &LicenseKeyRecord, activations: i64) -> Value {
    json!({
        "license_key": key.as_str(),
        "customer": record.customer,
        "product": record.product,
        "license_type": record.license_type,
        "features": record.features,
        "max_activations": record.max_activations,
        "expires_at": record.expires_at.map_or(Value::Null, rfc3339),
        "lease_days": record.lease_days,
        "status": record.status,
        "activations": activations,
    })
}

#[utoipa::path(post, path = "/api/v1/license-keys", tag = "license-keys", security(("token" = [])),
    request_body = crate::openapi::NewLicenseKey,
    responses(
        (status = 201, description = "A new random key", body = crate::openapi::LicenseKeyEnvelope),
        (status = 400, description = "A field is missing or invalid (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
        (status = 413, description = "The body is too large (LE_ERR_SS_413)", body = crate::error::ErrorBody),
    ))]
/// `POST /api/v1/license-keys`: 201 with a new random key.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller(&state, &headers, COLLECTION).await?;
    let invalid = |message: String| ApiError::validation(message, COLLECTION);
    let body: NewLicenseKey = serde_json::from_slice(&body).map_err(|e| {
        invalid(format!(
            "The body must be JSON {{customer, product, license_type, features, max_activations, expires_at, lease_days}}: {e}"
        ))
    })?;
    let (key, record) = create_license_key(state.store.as_ref(), body, state.now())
        .await
        .map_err(|e| match e {
            CreateKeyError::Invalid(message) => invalid(message),
            CreateKeyError::Store(e) => ApiError::internal(e, COLLECTION),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "data": key_view(&key, &record, 0) })),
    ))
}

fn parse_key(text: &str, path: &str) -> Result<LicenseKey, ApiError> {
    LicenseKey::parse(text).map_err(|e| ApiError::validation(e.to_string(), path))
}

#[utoipa::path(get, path = "/api/v1/license-keys/{key}", tag = "license-keys", security(("token" = [])),
    params(("key" = String, Path, description = "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX")),
    responses(
        (status = 200, description = "The key and its seat count", body = crate::openapi::LicenseKeyEnvelope),
        (status = 400, description = "The path is not valid UTF-8 (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
        (status = 404, description = "No such key, or not a key (LE_ERR_SS_001)", body = crate::error::ErrorBody),
    ))]
/// `GET /api/v1/license-keys/{key}`.
pub async fn get_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathParam(key): PathParam,
) -> Result<Json<Value>, ApiError> {
    let path = format!("{COLLECTION}/{key}");
    caller(&state, &headers, &path).await?;
    let key = parse_key(&key, &path)?;
    match state
        .store
        .get_license_key(&key_hash(&key))
        .await
        .map_err(|e| ApiError::internal(e, &path))?
    {
        Some((record, count)) => Ok(Json(json!({ "data": key_view(&key, &record, count) }))),
        None => Err(ApiError::not_found("License key not found", &path)),
    }
}

#[utoipa::path(patch, path = "/api/v1/license-keys/{key}", tag = "license-keys", security(("token" = [])),
    params(("key" = String, Path, description = "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX")),
    request_body = crate::openapi::KeyChanges,
    responses(
        (status = 200, description = "The key with its changes", body = crate::openapi::LicenseKeyEnvelope),
        (status = 400, description = "No change, an unknown field, or a bad `status`, `lease_days` or `features` (the message names it; LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
        (status = 404, description = "No such key (LE_ERR_SS_001)", body = crate::error::ErrorBody),
        (status = 413, description = "The body is too large (LE_ERR_SS_413)", body = crate::error::ErrorBody),
    ))]
/// `PATCH /api/v1/license-keys/{key}` with any of `{"status": "active" | "suspended",
/// "lease_days": N | null, "features": {...} | null}`.
pub async fn set_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathParam(key): PathParam,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let path = format!("{COLLECTION}/{key}");
    caller(&state, &headers, &path).await?;
    let key = parse_key(&key, &path)?;
    let body: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::validation(
            format!("The body must be JSON {{\"status\", \"lease_days\", \"features\"}}: {e}"),
            &path,
        )
    })?;
    let changes = parse_key_changes(&body).map_err(|m| ApiError::validation(m, &path))?;
    let updated = update_license_key(state.store.as_ref(), &key_hash(&key), &changes, state.now())
        .await
        .map_err(|e| match e {
            CreateKeyError::Invalid(message) => ApiError::validation(message, &path),
            CreateKeyError::Store(e) => ApiError::internal(e, &path),
        })?;
    match updated {
        Some((record, count)) => Ok(Json(json!({ "data": key_view(&key, &record, count) }))),
        None => Err(ApiError::not_found("License key not found", &path)),
    }
}
