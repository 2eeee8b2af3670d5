//! License keys for administrators (permission `manage-license-keys`): create, list, show (with
//! seats), change, take and free seats. A key is named by its text or by its id.

use crate::activation::describe_holders;
use crate::admin::{query_params, rfc3339, Actor, Page};
use crate::app::AppState;
use crate::auth::{require, Permission};
use crate::error::ApiError;
use crate::extract::{PathParam, PathParams2};
use crate::license_keys::{
    admin_activate, check_key_filter, create_license_key, free_seat, parse_key_changes,
    show_license_key, update_license_key, AdminActivateError, AdminActivation, CreateKeyError,
    FreeSeatError, KeyRef, NewLicenseKey,
};
use crate::store::{Activation, ApiToken, KeyFilter, LicenseKeyRecord};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use licet_verifier::{LicenseKey, MachineId};
use serde_json::{json, Value};

const COLLECTION: &str = "/api/v1/license-keys";

/// The caller's token, if it has `permission` (401 or 403 otherwise). Read before any body.
pub(crate) async fn caller_with(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    permission: Permission,
) -> Result<ApiToken, ApiError> {
    let token = crate::auth::request_token(state, headers, path).await?;
    require(&token, permission, path)?;
    Ok(token)
}

async fn caller(state: &AppState, headers: &HeaderMap, path: &str) -> Result<ApiToken, ApiError> {
    caller_with(state, headers, path, Permission::ManageLicenseKeys).await
}

/// The `data` object of the license-key routes. `license_key` is the key's text when the caller
/// named the key by it (the server keeps only its hash), else null; `id` and `key_hint` (its
/// last 4 characters; null for keys made before hints) tell keys apart.
pub fn key_view(key: Option<&LicenseKey>, record: &LicenseKeyRecord, activations: i64) -> Value {
    json!({
        "id": record.id,
        "license_key": key.map(LicenseKey::as_str),
        "key_hint": record.key_hint,
        "customer": record.customer,
        "product": record.product,
        "license_type": record.license_type,
        "features": record.features,
        "max_activations": record.max_activations,
        "expires_at": record.expires_at.map_or(Value::Null, rfc3339),
        "lease_days": record.lease_days,
        "status": record.status,
        "activations": activations,
        "created_at": rfc3339(record.created_at),
        "updated_at": rfc3339(record.updated_at),
    })
}

/// A seat as the administrator's routes show it.
pub fn seat_view(seat: &Activation) -> Value {
    json!({
        "machine_id": seat.machine_id,
        "hostname": seat.hostname,
        "license_id": seat.license_id,
        "activated_at": rfc3339(seat.activated_at),
        "last_validated_at": seat.last_validated_at.map_or(Value::Null, rfc3339),
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
    let token = caller(&state, &headers, COLLECTION).await?;
    let invalid = |message: String| ApiError::validation(message, COLLECTION);
    crate::text::refuse_nul_in_json(&body, COLLECTION)?;
    let body: NewLicenseKey = serde_json::from_slice(&body).map_err(|e| {
        invalid(format!(
            "The body must be JSON {{customer, product, license_type, features, max_activations, expires_at, lease_days}}: {e}"
        ))
    })?;
    let (key, record) = create_license_key(
        state.store.as_ref(),
        &Actor::token(&token),
        body,
        state.now(),
    )
    .await
    .map_err(|e| match e {
        CreateKeyError::Invalid(message) => invalid(message),
        CreateKeyError::Store(e) => ApiError::internal(e, COLLECTION),
    })?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "data": key_view(Some(&key), &record, 0) })),
    ))
}

#[utoipa::path(get, path = "/api/v1/license-keys", tag = "license-keys", security(("token" = [])),
    params(
        ("customer" = Option<String>, Query, description = "Only this customer's keys (exact match)"),
        ("product" = Option<String>, Query, description = "Only keys of this product (exact match)"),
        ("status" = Option<crate::openapi::KeyStatus>, Query, description = "Only keys with this status"),
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1000000, description = "1-based page (default 1)"),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Keys per page (default 50, at most 500)"),
    ),
    responses(
        (status = 200, description = "One page of keys, oldest first, and the number matching", body = crate::openapi::LicenseKeyListEnvelope),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 422, description = "A parameter is unknown, repeated, malformed or out of range; the message names it (LE_ERR_SS_422)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
    ))]
/// `GET /api/v1/license-keys?customer=&product=&status=&page=&per_page=`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    caller(&state, &headers, COLLECTION).await?;
    let bad = |e: crate::admin::BadParameter| ApiError::bad_parameter(&e, COLLECTION);
    let mut params = query_params(
        raw.as_deref(),
        &["customer", "product", "status", "page", "per_page"],
    )
    .map_err(bad)?;
    let page = Page::parse(
        params.get("page").map(String::as_str),
        params.get("per_page").map(String::as_str),
    )
    .map_err(bad)?;
    let filter = KeyFilter {
        customer: params.remove("customer"),
        product: params.remove("product"),
        status: params.remove("status"),
    };
    check_key_filter(&filter).map_err(bad)?;
    let (keys, total) = state
        .store
        .list_license_keys(&filter, page.request())
        .await
        .map_err(|e| ApiError::internal(e, COLLECTION))?;
    let data: Vec<Value> = keys
        .iter()
        .map(|(record, count)| key_view(None, record, *count))
        .collect();
    Ok(Json(
        json!({ "data": data, "pagination": page.view(total) }),
    ))
}

fn parse_key_ref(text: &str, path: &str) -> Result<KeyRef, ApiError> {
    // A malformed key names no key: 404, as before ids were accepted.
    KeyRef::parse(text).map_err(|m| ApiError::not_found(format!("No such license key: {m}"), path))
}

fn key_path(key: &str) -> String {
    format!("{COLLECTION}/{key}")
}

#[utoipa::path(get, path = "/api/v1/license-keys/{key}", tag = "license-keys", security(("token" = [])),
    params(("key" = String, Path, description = "The key (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX) or its id (a UUID)")),
    responses(
        (status = 200, description = "The key, its seat count and its seats (the first 1000, oldest first)", body = crate::openapi::LicenseKeyDetailEnvelope),
        (status = 400, description = "The path is not valid UTF-8, or holds a NUL character (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
        (status = 404, description = "No such key, or neither a key nor an id (LE_ERR_SS_001)", body = crate::error::ErrorBody),
    ))]
/// `GET /api/v1/license-keys/{key}`: by the key's text or its id.
pub async fn get_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathParam(key): PathParam,
) -> Result<Json<Value>, ApiError> {
    let path = key_path(&key);
    caller(&state, &headers, &path).await?;
    let key_ref = parse_key_ref(&key, &path)?;
    match show_license_key(state.store.as_ref(), &key_ref)
        .await
        .map_err(|e| ApiError::internal(e, &path))?
    {
        Some((record, count, seats)) => {
            let mut data = key_view(key_ref.key(), &record, count);
            data["seats"] = seats.iter().map(seat_view).collect();
            Ok(Json(json!({ "data": data })))
        }
        None => Err(ApiError::not_found("License key not found", &path)),
    }
}

#[utoipa::path(patch, path = "/api/v1/license-keys/{key}", tag = "license-keys", security(("token" = [])),
    params(("key" = String, Path, description = "The key (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX) or its id (a UUID)")),
    request_body = crate::openapi::KeyChanges,
    responses(
        (status = 200, description = "The key with its changes", body = crate::openapi::LicenseKeyEnvelope),
        (status = 400, description = "No change, an unknown field, or a bad value (the message names the field; LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
        (status = 404, description = "No such key (LE_ERR_SS_001)", body = crate::error::ErrorBody),
        (status = 413, description = "The body is too large (LE_ERR_SS_413)", body = crate::error::ErrorBody),
    ))]
/// `PATCH /api/v1/license-keys/{key}` with any of `status`, `lease_days`, `features`,
/// `max_activations`, `expires_at`, `customer`, `product` and `license_type`.
pub async fn set_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathParam(key): PathParam,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let path = key_path(&key);
    let token = caller(&state, &headers, &path).await?;
    let key_ref = parse_key_ref(&key, &path)?;
    crate::text::refuse_nul_in_json(&body, &path)?;
    let body: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::validation(
            format!("The body must be a JSON object of the fields to change: {e}"),
            &path,
        )
    })?;
    let now = state.now();
    let changes = parse_key_changes(&body, now).map_err(|m| ApiError::validation(m, &path))?;
    let updated = update_license_key(
        state.store.as_ref(),
        &Actor::token(&token),
        &key_ref,
        &changes,
        now,
    )
    .await
    .map_err(|e| match e {
        CreateKeyError::Invalid(message) => ApiError::validation(message, &path),
        CreateKeyError::Store(e) => ApiError::internal(e, &path),
    })?;
    match updated {
        Some((record, count)) => Ok(Json(
            json!({ "data": key_view(key_ref.key(), &record, count) }),
        )),
        None => Err(ApiError::not_found("License key not found", &path)),
    }
}

/// The body of `POST /api/v1/license-keys/{key}/activations`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminActivationBody {
    machine_id: String,
    #[serde(default)]
    hostname: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/license-keys/{key}/activations", tag = "license-keys", security(("token" = [])),
    params(("key" = String, Path, description = "The key (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX) or its id (a UUID)")),
    request_body = crate::openapi::AdminActivationRequest,
    responses(
        (status = 201, description = "A seat was taken for the machine", body = crate::openapi::SeatEnvelope),
        (status = 200, description = "The machine already held a seat (nothing changed)", body = crate::openapi::SeatEnvelope),
        (status = 400, description = "A bad body, machine id or hostname (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 404, description = "No such key (LE_ERR_SS_001)", body = crate::error::ErrorBody),
        (status = 409, description = "Every seat is taken: the message names the machines holding them (LE_ERR_SS_1201); or the key is suspended (LE_ERR_SS_1202) or expired (LE_ERR_SS_1203)", body = crate::error::ErrorBody),
        (status = 413, description = "The body is too large (LE_ERR_SS_413)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
    ))]
/// `POST /api/v1/license-keys/{key}/activations` `{"machine_id", "hostname"?}`: takes a seat for
/// the machine as an administrator, with the rules of `/license/activate`.
pub async fn activate(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathParam(key): PathParam,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let path = format!("{}/activations", key_path(&key));
    let token = caller(&state, &headers, &path).await?;
    let key_ref = parse_key_ref(&key, &path)?;
    crate::text::refuse_nul_in_json(&body, &path)?;
    let body: AdminActivationBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::validation(
            format!("The body must be JSON {{\"machine_id\", \"hostname\"}}: {e}"),
            &path,
        )
    })?;
    let machine = MachineId::parse(&body.machine_id).map_err(|_| {
        ApiError::validation(
            "The machine id must be 64 hexadecimal characters (a SHA-256 digest).",
            &path,
        )
    })?;
    let outcome = admin_activate(
        state.store.as_ref(),
        &Actor::token(&token),
        &key_ref,
        &machine,
        body.hostname.as_deref(),
        state.now(),
    )
    .await
    .map_err(|e| match e {
        AdminActivateError::Hostname(m) => ApiError::validation(m, &path),
        AdminActivateError::Store(e) => ApiError::internal(e, &path),
    })?;
    match outcome {
        AdminActivation::Active {
            record,
            seat,
            activations,
            new_seat,
        } => {
            let mut data = seat_view(&seat);
            data["key_id"] = json!(record.id);
            data["activations"] = json!(activations);
            data["max_activations"] = json!(record.max_activations);
            data["new_seat"] = json!(new_seat);
            let status = if new_seat {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((status, Json(json!({ "data": data }))))
        }
        AdminActivation::NotFound => Err(ApiError::not_found("License key not found", &path)),
        AdminActivation::Suspended => Err(ApiError::conflict(
            "LE_ERR_SS_1202",
            "License key is suspended",
            &path,
        )),
        AdminActivation::Expired => Err(ApiError::conflict(
            "LE_ERR_SS_1203",
            "License key has expired",
            &path,
        )),
        AdminActivation::Full {
            max_activations,
            in_use,
            holders,
        } => Err(ApiError::conflict(
            "LE_ERR_SS_1201",
            format!(
                "Activation limit reached: all {max_activations} seat(s) are in use ({in_use} held), by {}",
                describe_holders(&holders, in_use)
            ),
            &path,
        )),
    }
}

#[utoipa::path(delete, path = "/api/v1/license-keys/{key}/activations/{machine_id}", tag = "license-keys", security(("token" = [])),
    params(
        ("key" = String, Path, description = "The key (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX) or its id (a UUID)"),
        ("machine_id" = String, Path, description = "The machine (64 hexadecimal characters)"),
    ),
    responses(
        (status = 200, description = "The seat was freed: the freed seat and the seats still in use", body = crate::openapi::SeatEnvelope),
        (status = 400, description = "The path is not valid UTF-8, or holds a NUL character (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 404, description = "No such key, not a machine id, or the machine holds no seat of the key (LE_ERR_SS_001); nothing is logged", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
    ))]
/// `DELETE /api/v1/license-keys/{key}/activations/{machine_id}`: frees the machine's seat.
pub async fn free(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathParams2(key, machine): PathParams2,
) -> Result<Json<Value>, ApiError> {
    let path = format!("{}/activations/{machine}", key_path(&key));
    let token = caller(&state, &headers, &path).await?;
    let key_ref = parse_key_ref(&key, &path)?;
    let machine = MachineId::parse(&machine).map_err(|_| {
        ApiError::not_found(
            "No such machine id: it must be 64 hexadecimal characters",
            &path,
        )
    })?;
    let (record, freed, remaining) = free_seat(
        state.store.as_ref(),
        &Actor::token(&token),
        &key_ref,
        &machine,
        state.now(),
    )
    .await
    .map_err(|e| match e {
        FreeSeatError::NoKey => ApiError::not_found("License key not found", &path),
        FreeSeatError::NoSeat => ApiError::not_found(e.to_string(), &path),
        FreeSeatError::Store(e) => ApiError::internal(e, &path),
    })?;
    // The freed seat's files are never answered again (a new seat has a new license id anyway).
    state.seat_files.forget(&record.key_sha256, &machine);
    let mut data = seat_view(&freed);
    data["key_id"] = json!(record.id);
    data["activations"] = json!(remaining);
    data["max_activations"] = json!(record.max_activations);
    Ok(Json(json!({ "data": data })))
}

/// The route template of [`seat_license`] (its metric label).
const SEAT_LICENSE_ROUTE: &str = "/api/v1/license-keys/{key}/activations/{machine_id}/license";

#[utoipa::path(post, path = "/api/v1/license-keys/{key}/activations/{machine_id}/license", tag = "license-keys", security(("token" = [])),
    params(
        ("key" = String, Path, description = "The license key's text: the file carries it, and the server keeps only its hash"),
        ("machine_id" = String, Path, description = "The machine's id (64 hex)"),
    ),
    responses(
        (status = 200, description = "The seat's license file, as `/license/validate` would answer it (the cached file, or one minted now and recorded in the ledger); the audit log records who took it", body = crate::openapi::SeatLicenseEnvelope),
        (status = 400, description = "A path parameter is not valid UTF-8 or holds a NUL character (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 404, description = "No such key, or the machine holds no seat of it (LE_ERR_SS_001)", body = crate::error::ErrorBody),
        (status = 409, description = "The key is suspended (LE_ERR_SS_1202) or expired (LE_ERR_SS_1203)", body = crate::error::ErrorBody),
        (status = 422, description = "The key was named by its id: the file carries the key's text (LE_ERR_SS_422)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
    ))]
/// `POST /api/v1/license-keys/{key}/activations/{machine_id}/license`: the license file of a
/// seat, for an administrator to hand to its machine. A POST (with the console's CSRF token),
/// not a GET: it may mint a file and writes the ledger and the audit log.
pub async fn seat_license(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathParams2(key, machine): PathParams2,
) -> Result<Json<Value>, ApiError> {
    let path = format!("{}/activations/{machine}/license", key_path(&key));
    let token = caller(&state, &headers, &path).await?;
    let key = match parse_key_ref(&key, &path)? {
        KeyRef::Key(key) => key,
        KeyRef::Id(_) => {
            return Err(ApiError::unprocessable(
                "Name the key by its text, not its id: the license file carries the key, which the server keeps only as a hash",
                &path,
            ))
        }
    };
    let machine = MachineId::parse(&machine).map_err(|_| {
        ApiError::not_found(
            "No such machine id: it must be 64 hexadecimal characters",
            &path,
        )
    })?;
    let now = state.now();
    let found = state
        .store
        .find_seat(&crate::activation::key_hash(&key), machine.as_str())
        .await
        .map_err(|e| ApiError::internal(e, &path))?;
    let Some((record, _, seat)) = found else {
        return Err(ApiError::not_found("License key not found", &path));
    };
    let Some(seat) = seat else {
        return Err(ApiError::not_found(
            "The machine holds no seat of this key",
            &path,
        ));
    };
    if record.status != "active" {
        return Err(ApiError::conflict(
            "LE_ERR_SS_1202",
            "License key is suspended",
            &path,
        ));
    }
    if record.expires_at.is_some_and(|exp| now >= exp) {
        return Err(ApiError::conflict(
            "LE_ERR_SS_1203",
            "License key has expired",
            &path,
        ));
    }
    let file = crate::routes::activation::seat_file(
        &state,
        &key,
        &record,
        &seat,
        &machine,
        now,
        SEAT_LICENSE_ROUTE,
    )
    .map_err(|e| ApiError::internal(e, &path))?;
    let entry = Actor::token(&token).entry(
        now,
        crate::admin::actions::SEAT_FILE,
        &record.id,
        None,
        Some(json!({"machine_id": seat.machine_id, "license_id": seat.license_id})),
    );
    state
        .store
        .insert_admin_log(&entry)
        .await
        .map_err(|e| ApiError::internal(e, &path))?;
    Ok(Json(json!({
        "data": {
            "license_file": file,
            "license_id": seat.license_id,
            "machine_id": seat.machine_id,
        }
    })))
}
