//! Installed licenses (seed 000): install a license file, list, read, enable or disable.

use crate::app::{AppState, MAX_LICENSE_REQUEST_BYTES};
use crate::auth::{require, Permission};
use crate::error::ApiError;
use crate::extract::PathParam;
use crate::store::InstalledLicense;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use licet_verifier::{verify_license, Status, UnixTime, VerifyOptions};
use serde::{Deserialize, Serialize};

const COLLECTION: &str = "/api/v1/licenses";

/// The seed's LicenseVO.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseVo {
    /// `jti`.
    pub license_id: String,
    /// `sub`.
    pub customer_id: String,
    /// `exp`, RFC 3339 UTC; null for a perpetual license.
    pub expiry: Option<String>,
    /// The status now: ACTIVE, IN_GRACE, EXPIRED, ... (re-evaluated on every read).
    #[schema(value_type = String, example = "ACTIVE")]
    pub status: Status,
    /// `license_type`.
    pub license_type: String,
    /// `iat`, RFC 3339 UTC.
    pub created_at: String,
    /// Last installation or change, RFC 3339 UTC.
    pub updated_at: String,
    /// Whether the license is enabled on this server.
    pub enabled: bool,
}

/// A success envelope: `{"code":"LE_SS_200","message":...,"data":...}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// `LE_SS_200`.
    pub code: String,
    /// What happened.
    pub message: String,
    /// The result.
    pub data: T,
}

fn envelope<T>(message: &str, data: T) -> Json<Envelope<T>> {
    Json(Envelope {
        code: "LE_SS_200".into(),
        message: message.into(),
        data,
    })
}

fn rfc3339(secs: i64) -> String {
    UnixTime::from_secs(secs)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

fn view(state: &AppState, license: &InstalledLicense) -> LicenseVo {
    let now = UnixTime::from_secs(state.now()).unwrap_or_else(|_| UnixTime::now());
    let report = verify_license(
        license.file.as_bytes(),
        &state.trusted,
        &VerifyOptions::at(now),
    );
    LicenseVo {
        license_id: license.license_id.clone(),
        customer_id: license.customer_id.clone(),
        expiry: license.expires_at.map(rfc3339),
        status: report.status,
        license_type: license.license_type.clone(),
        created_at: rfc3339(license.issued_at),
        updated_at: rfc3339(license.updated_at),
        enabled: license.enabled,
    }
}

async fn caller(
    state: &AppState,
    headers: &HeaderMap,
    permission: Permission,
    path: &str,
) -> Result<crate::store::ApiToken, ApiError> {
    let token = crate::auth::request_token(state, headers, path).await?;
    require(&token, permission, path)?;
    Ok(token)
}

/// What the audit log records of an installed license (not the file).
fn license_audit_view(l: &InstalledLicense) -> serde_json::Value {
    serde_json::json!({
        "license_id": l.license_id,
        "customer_id": l.customer_id,
        "license_type": l.license_type,
        "issued_at": l.issued_at,
        "expires_at": l.expires_at,
        "kid": l.kid,
        "enabled": l.enabled,
    })
}

#[derive(Deserialize)]
struct InstallJson {
    file: String,
}

/// The license text from a JSON body `{"file": ...}` or a multipart field `file`.
async fn license_text(state: &AppState, request: Request) -> Result<String, ApiError> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if is_multipart {
        let multipart_error = |e: axum::extract::multipart::MultipartError| {
            body_error(e.status(), &e.body_text(), COLLECTION)
        };
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| body_error(e.status(), &e.body_text(), COLLECTION))?;
        while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
            if field.name() == Some("file") {
                let bytes = field.bytes().await.map_err(multipart_error)?;
                let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                    ApiError::validation("The license file is not UTF-8 text", COLLECTION)
                })?;
                crate::text::refuse_nul("file", &text, COLLECTION)?;
                return Ok(text);
            }
        }
        return Err(ApiError::validation(
            "The multipart body has no `file` field",
            COLLECTION,
        ));
    }
    let bytes = Bytes::from_request(request, state)
        .await
        .map_err(|e| body_error(e.status(), &e.body_text(), COLLECTION))?;
    crate::text::refuse_nul_in_json(&bytes, COLLECTION)?;
    let body: InstallJson = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::validation(
            format!("The body must be JSON {{\"file\": \"<license file text>\"}}: {e}"),
            COLLECTION,
        )
    })?;
    Ok(body.file)
}

/// A body that could not be read: 413 when it is over the limit, else 400.
pub(crate) fn body_error(status: axum::http::StatusCode, text: &str, path: &str) -> ApiError {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(MAX_LICENSE_REQUEST_BYTES, path)
    } else {
        ApiError::validation(format!("The request body could not be read: {text}"), path)
    }
}

#[utoipa::path(post, path = "/api/v1/licenses", tag = "licenses", security(("token" = [])),
    request_body(content(
        (crate::openapi::InstallLicense = "application/json"),
        (crate::openapi::InstallLicenseUpload = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "Installed (or replaced)", body = crate::openapi::LicenseEnvelope),
        (status = 400, description = "The license did not validate, or the body is not a license (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
        (status = 413, description = "The body is over 256 KiB (LE_ERR_SS_413)", body = crate::error::ErrorBody),
    ))]
/// `POST /api/v1/licenses`: verify a license file against the trusted keys and store it.
/// Installing the same licenseId again replaces it.
pub async fn install(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Request,
) -> Result<Json<Envelope<LicenseVo>>, ApiError> {
    let token = caller(&state, &headers, Permission::ManageLicenses, COLLECTION).await?;
    let text = license_text(&state, request).await?;
    let now_secs = state.now();
    let now = UnixTime::from_secs(now_secs).map_err(|e| ApiError::internal(e, COLLECTION))?;
    let report = verify_license(text.as_bytes(), &state.trusted, &VerifyOptions::at(now));
    let Some(verified) = report.valid_license() else {
        return Err(ApiError::validation(
            format!(
                "License validation failed: {} ({})",
                report.reason, report.status
            ),
            COLLECTION,
        ));
    };
    let claims = verified.claims();
    crate::text::refuse_nul_in_claims(claims, COLLECTION)?;
    let record = InstalledLicense {
        license_id: claims.license_id.clone(),
        customer_id: claims.customer_id.clone(),
        license_type: claims.license_type.as_str().to_owned(),
        issued_at: claims.issued_at.as_secs(),
        expires_at: claims.expires_at.map(UnixTime::as_secs),
        kid: verified.kid().to_owned(),
        file: text.trim().to_owned(),
        enabled: true,
        installed_at: now_secs,
        updated_at: now_secs,
    };
    let Some(stored) = state
        .store
        .upsert_license(&record)
        .await
        .map_err(|e| ApiError::internal(e, COLLECTION))?
    else {
        return Err(ApiError::validation(
            format!(
                "License {} is installed with a newer file; a file issued earlier ({}) cannot replace it",
                record.license_id, claims.issued_at
            ),
            COLLECTION,
        ));
    };
    tracing::info!(license_id = %stored.license_id, kid = %stored.kid, "license installed");
    crate::admin::log_after(
        state.store.as_ref(),
        crate::admin::Actor::token(&token).entry(
            now_secs,
            crate::admin::actions::LICENSE_INSTALL,
            &stored.license_id,
            None,
            Some(license_audit_view(&stored)),
        ),
    )
    .await;
    Ok(envelope("License installed", view(&state, &stored)))
}

#[utoipa::path(get, path = "/api/v1/licenses", tag = "licenses", security(("token" = [])),
    responses(
        (status = 200, description = "Every installed license", body = crate::openapi::LicenseListEnvelope),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
    ))]
/// `GET /api/v1/licenses`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Envelope<Vec<LicenseVo>>>, ApiError> {
    caller(&state, &headers, Permission::ManageLicenses, COLLECTION).await?;
    let licenses = state
        .store
        .list_licenses()
        .await
        .map_err(|e| ApiError::internal(e, COLLECTION))?;
    Ok(envelope(
        "Licenses",
        licenses.iter().map(|l| view(&state, l)).collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/licenses/{license_id}", tag = "licenses", security(("token" = [])),
    params(("license_id" = String, Path, description = "The license's `jti`")),
    responses(
        (status = 200, description = "The license", body = crate::openapi::LicenseEnvelope),
        (status = 400, description = "The path is not valid UTF-8, or holds a NUL character (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
        (status = 404, description = "No such license (LE_ERR_SS_001)", body = crate::error::ErrorBody),
    ))]
/// `GET /api/v1/licenses/{licenseId}`.
pub async fn get_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathParam(license_id): PathParam,
) -> Result<Json<Envelope<LicenseVo>>, ApiError> {
    let path = format!("{COLLECTION}/{license_id}");
    caller(&state, &headers, Permission::ManageLicenses, &path).await?;
    match state
        .store
        .get_license(&license_id)
        .await
        .map_err(|e| ApiError::internal(e, &path))?
    {
        Some(license) => Ok(envelope("License", view(&state, &license))),
        None => Err(not_found(&license_id, &path)),
    }
}

fn not_found(license_id: &str, path: &str) -> ApiError {
    ApiError::not_found(format!("License with id {license_id} does not exist"), path)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnabledJson {
    enabled: bool,
}

#[utoipa::path(patch, path = "/api/v1/licenses/{license_id}", tag = "licenses", security(("token" = [])),
    params(("license_id" = String, Path, description = "The license's `jti`")),
    request_body = crate::openapi::SetEnabled,
    responses(
        (status = 200, description = "Enabled or disabled", body = crate::openapi::LicenseEnvelope),
        (status = 400, description = "The body is not `{\"enabled\": bool}` (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
        (status = 404, description = "No such license (LE_ERR_SS_001)", body = crate::error::ErrorBody),
        (status = 413, description = "The body is too large (LE_ERR_SS_413)", body = crate::error::ErrorBody),
    ))]
/// `PATCH /api/v1/licenses/{licenseId}` with `{"enabled": bool}`.
pub async fn set_enabled(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathParam(license_id): PathParam,
    request: Request,
) -> Result<Json<Envelope<LicenseVo>>, ApiError> {
    let path = format!("{COLLECTION}/{license_id}");
    let token = caller(&state, &headers, Permission::ManageLicenses, &path).await?;
    // Read only after authentication: an anonymous client cannot make the server buffer a body.
    let body = Bytes::from_request(request, &state)
        .await
        .map_err(|e| body_error(e.status(), &e.body_text(), COLLECTION))?;
    crate::text::refuse_nul_in_json(&body, &path)?;
    let body: EnabledJson = serde_json::from_slice(&body).map_err(|e| {
        ApiError::validation(
            format!("The body must be JSON {{\"enabled\": true|false}}: {e}"),
            &path,
        )
    })?;
    let updated = state
        .store
        .set_license_enabled(&license_id, body.enabled, state.now())
        .await
        .map_err(|e| ApiError::internal(e, &path))?;
    if let Some(license) = &updated {
        let action = if body.enabled {
            crate::admin::actions::LICENSE_ENABLE
        } else {
            crate::admin::actions::LICENSE_DISABLE
        };
        crate::admin::log_after(
            state.store.as_ref(),
            crate::admin::Actor::token(&token).entry(
                state.now(),
                action,
                &license.license_id,
                None,
                Some(license_audit_view(license)),
            ),
        )
        .await;
    }
    match updated {
        Some(license) => Ok(envelope(
            if body.enabled {
                "License enabled"
            } else {
                "License disabled"
            },
            view(&state, &license),
        )),
        None => Err(not_found(&license_id, &path)),
    }
}
