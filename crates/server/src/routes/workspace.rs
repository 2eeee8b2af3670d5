//! Applying a license in an air-gapped workspace (seed 003), in that API's own response shapes.
//! `licenses.add` answers `{"success": true}` when the license's format is accepted (as the seed
//! says: not that it is valid); `licenses.info` tells whether the applied license is valid now,
//! and why not.

use crate::app::AppState;
use crate::auth::{authenticate, require, Permission};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use licet_verifier::{verify_license, LicenseView, Status, UnixTime, VerifyOptions};
use serde::Deserialize;
use serde_json::json;

const ADD: &str = "/api/v1/licenses.add";

/// The workspace routes, which answer a missing or bad token in the seed's own shape.
pub(crate) const PATHS: [&str; 2] = [ADD, "/api/v1/licenses.info"];

/// 401 in the seed 003 shape.
pub(crate) fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"status": "error", "message": "You must be logged in to do this."})),
    )
        .into_response()
}

fn forbidden() -> Response {
    let error = "User does not have the permissions required for this action [error-unauthorized]";
    (
        StatusCode::FORBIDDEN,
        Json(json!({"success": false, "error": error})),
    )
        .into_response()
}

fn bad_request(error: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"success": false, "error": error})),
    )
        .into_response()
}

/// The caller's user id, after checking that `X-Auth-Token` belongs to `X-User-Id` and carries
/// `edit-privileged-setting`.
async fn user(state: &AppState, headers: &HeaderMap) -> Result<crate::store::ApiToken, Response> {
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("\u{0}"));
    let token = authenticate(
        state.store.as_ref(),
        header("x-auth-token"),
        state.now(),
        ADD,
    )
    .await
    .map_err(|e| {
        if e.status() == StatusCode::INTERNAL_SERVER_ERROR {
            e.into_response()
        } else {
            unauthorized()
        }
    })?;
    // The token must be the user's own.
    if header("x-user-id") != Some(token.user_id.as_str()) {
        return Err(unauthorized());
    }
    require(&token, Permission::EditPrivilegedSetting, ADD).map_err(|_| forbidden())?;
    Ok(token)
}

#[derive(Deserialize)]
struct AddLicense {
    license: String,
}

fn now(state: &AppState) -> UnixTime {
    UnixTime::from_secs(state.now()).unwrap_or_else(|_| UnixTime::now())
}

#[utoipa::path(post, path = "/api/v1/licenses.add", tag = "workspace", security(("token" = [])),
    params(("X-User-Id" = String, Header, description = "The user the token belongs to")),
    request_body = crate::openapi::ApplyLicense,
    responses(
        (status = 200, description = "The license's format was accepted (not that it is valid)", body = crate::openapi::Success),
        (status = 400, description = "Not a license", body = crate::openapi::Failure),
        (status = 401, description = "No token, an invalid one, or another user's", body = crate::openapi::NotLoggedIn),
        (status = 403, description = "The token lacks `edit-privileged-setting`", body = crate::openapi::Failure),
        (status = 413, description = "The body is too large (LE_ERR_SS_413)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
    ))]
/// `POST /api/v1/licenses.add` with `{"license": "<license file text>"}`.
pub async fn add(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let token = match user(&state, &headers).await {
        Ok(token) => token,
        Err(response) => return response,
    };
    let user_id = token.user_id.clone();
    if let Some(message) = crate::text::nul_in_json_message(&body) {
        return bad_request(message);
    }
    let Ok(body) = serde_json::from_slice::<AddLicense>(&body) else {
        return bad_request("The body must be JSON {\"license\": \"<license file text>\"}".into());
    };
    let text = body.license.trim();
    let report = verify_license(
        text.as_bytes(),
        &state.trusted,
        &VerifyOptions::at(now(&state)),
    );
    // The format is refused only when the file is not a license at all; a license that is
    // well-formed but not valid now is applied, and licenses.info says why it does not work.
    if matches!(
        report.status,
        Status::Malformed | Status::UnsupportedAlgorithm
    ) {
        return bad_request(format!("The license is malformed: {}", report.reason));
    }
    // Claims are only known when the signature verified; their ids are stored and logged.
    if let Some(license) = report.verified_license() {
        if let Some(message) = crate::text::nul_in_claims_message(license.claims()) {
            return bad_request(message);
        }
    }
    if let Err(e) = state
        .store
        .set_applied_license(text, &user_id, state.now())
        .await
    {
        return crate::error::ApiError::internal(e, ADD).into_response();
    }
    tracing::info!(user = %user_id, status = %report.status, "license applied to the workspace");
    // The license id when the signature verified; an unverified file names nothing reliable.
    let license_id = report.verified_license().map_or_else(
        || "(unverified)".to_owned(),
        |l| l.claims().license_id.clone(),
    );
    crate::admin::log_after(
        state.store.as_ref(),
        crate::admin::Actor::token(&token).entry(
            state.now(),
            crate::admin::actions::WORKSPACE_APPLY,
            &license_id,
            None,
            Some(json!({"license_id": license_id, "status": report.status.to_string()})),
        ),
    )
    .await;
    Json(json!({"success": true})).into_response()
}

#[utoipa::path(get, path = "/api/v1/licenses.info", tag = "workspace", security(("token" = [])),
    params(("X-User-Id" = String, Header, description = "The user the token belongs to")),
    responses(
        (status = 200, description = "The applied license and whether it is valid now", body = crate::openapi::WorkspaceInfo),
        (status = 401, description = "No token, an invalid one, or another user's", body = crate::openapi::NotLoggedIn),
        (status = 403, description = "The token lacks `edit-privileged-setting`", body = crate::openapi::Failure),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
    ))]
/// `GET /api/v1/licenses.info`: `{"success": true, "license": {"valid", "status", "reason", ...}}`,
/// or `"license": null` when none was applied.
pub async fn info(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(response) = user(&state, &headers).await {
        return response;
    }
    let applied = match state.store.get_applied_license().await {
        Ok(applied) => applied,
        Err(e) => {
            return crate::error::ApiError::internal(e, "/api/v1/licenses.info").into_response()
        }
    };
    let Some((file, user_id, applied_at)) = applied else {
        return Json(json!({"success": true, "license": null})).into_response();
    };
    let report = verify_license(
        file.as_bytes(),
        &state.trusted,
        &VerifyOptions::at(now(&state)),
    );
    let fields = report.license.as_ref().map(|l: &LicenseView| {
        json!({"licenseId": l.license_id, "customerId": l.customer_id, "expiry": l.expiry,
               "licenseType": l.license_type, "createdAt": l.created_at, "features": l.features})
    });
    Json(json!({
        "success": true,
        "license": {
            "valid": report.valid,
            "status": report.status,
            "reason": report.reason,
            "appliedBy": user_id,
            "appliedAt": UnixTime::from_secs(applied_at).map(|t| t.to_rfc3339()).ok(),
            "details": fields,
        }
    }))
    .into_response()
}
