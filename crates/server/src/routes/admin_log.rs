//! The administrative audit log (permission `view-admin-log`).

use crate::admin::{admin_log_view, query_params, BadParameter, Page};
use crate::app::AppState;
use crate::auth::Permission;
use crate::error::ApiError;
use crate::routes::license_keys::caller_with;
use crate::store::AdminLogFilter;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};

const PATH: &str = "/api/v1/admin-log";

#[utoipa::path(get, path = "/api/v1/admin-log", tag = "admin-log", security(("token" = [])),
    params(
        ("since" = Option<String>, Query, description = "Only entries at or after this time: RFC 3339, or YYYY-MM-DD (00:00:00Z of that day)"),
        ("action" = Option<String>, Query, description = "Only this action, such as `license_key.update`"),
        ("target" = Option<String>, Query, description = "Only this target, such as a key id"),
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1000000, description = "1-based page (default 1)"),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Entries per page (default 50, at most 500)"),
    ),
    responses(
        (status = 200, description = "One page of entries, newest first, and the number matching", body = crate::openapi::AdminLogEnvelope),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid, expired or revoked one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 422, description = "A parameter is unknown, repeated, malformed or out of range; the message names it (LE_ERR_SS_422)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
    ))]
/// `GET /api/v1/admin-log?since=&action=&target=&page=&per_page=`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller_with(&state, &headers, PATH, Permission::ViewAdminLog).await?;
    let bad = |e: BadParameter| ApiError::bad_parameter(&e, PATH);
    let mut params = query_params(
        raw.as_deref(),
        &["since", "action", "target", "page", "per_page"],
    )
    .map_err(bad)?;
    let page = Page::parse(
        params.get("page").map(String::as_str),
        params.get("per_page").map(String::as_str),
    )
    .map_err(bad)?;
    let since = params
        .get("since")
        .map(|text| {
            licet_issuer::parse_date(text, licet_issuer::DateMeaning::StartOfDay)
                .map(|t| t.as_secs())
                .map_err(|e| bad(BadParameter::new("since", e.to_string())))
        })
        .transpose()?;
    let filter = AdminLogFilter {
        since,
        action: params.remove("action"),
        target: params.remove("target"),
    };
    let (entries, total) = state
        .store
        .list_admin_log(&filter, page.request())
        .await
        .map_err(|e| ApiError::internal(e, PATH))?;
    let data: Vec<Value> = entries.iter().map(admin_log_view).collect();
    Ok(Json(
        json!({ "data": data, "pagination": page.view(total) }),
    ))
}
