//! Assigning a license key to its owner (seed 002). Every processed request answers 200 with a
//! signed envelope; the outcome is in `response.code`:
//! 800 assigned, 801 invalid or already assigned key, 802 invalid API key (licet's choice; the
//! HTTP status is then 401, as the issue asks).

use crate::activation::key_hash;
use crate::app::AppState;
use crate::auth::{authenticate, require, Permission};
use crate::signing::sign_bytes;
use crate::text::refuse_nul;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use licet_verifier::LicenseKey;
use serde_json::json;

const PATH: &str = "/api/v1/assign-license-key";

/// `response.code` values.
pub const ASSIGNED: u32 = 800;
/// The key is unknown, malformed, suspended, or was assigned before.
pub const INVALID_OR_ASSIGNED: u32 = 801;
/// The api_key is missing, unknown, expired or lacks `manage-license-keys`.
pub const INVALID_API_KEY: u32 = 802;

#[derive(Default)]
struct AssignForm {
    api_key: Option<String>,
    license_key: Option<String>,
    owner_name: Option<String>,
    email: Option<String>,
}

/// What the request asked about, repeated inside the signed envelope so that an answer for one
/// key (or owner) cannot pass for another's.
struct Subject {
    /// The license key in its canonical form; `null` when the request had none that parses.
    license_key: Option<String>,
    owner_name: Option<String>,
    email: Option<String>,
}

impl Subject {
    fn of(form: &AssignForm) -> Self {
        let clean = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.len() <= MAX_FIELD_BYTES)
                .map(str::to_owned)
        };
        Subject {
            license_key: form
                .license_key
                .as_deref()
                .and_then(|k| LicenseKey::parse(k).ok())
                .map(|k| k.as_str().to_owned()),
            owner_name: clean(&form.owner_name),
            email: clean(&form.email),
        }
    }
}

/// The signed envelope: `response_base64` is standard base64 of the exact compact JSON bytes of
/// `response`, and `signature` is RSA-SHA256 (PKCS#1 v1.5) over those bytes. `response` names
/// the license key it answers for, and the owner where the request named one.
fn envelope(
    state: &AppState,
    status: StatusCode,
    code: u32,
    message: &str,
    subject: &Subject,
) -> Response {
    let mut response = json!({
        "code": code,
        "message": message,
        "timestamp": state.now(),
        "license_key": subject.license_key,
    });
    for (name, value) in [
        ("owner_name", &subject.owner_name),
        ("email", &subject.email),
    ] {
        if let Some(value) = value {
            response[name] = json!(value);
        }
    }
    let bytes = match serde_json::to_vec(&response) {
        Ok(bytes) => bytes,
        Err(e) => return crate::error::ApiError::internal(e, PATH).into_response(),
    };
    match sign_bytes(&state.signing_key, &bytes) {
        Ok(signature) => (
            status,
            Json(json!({
                "response": response,
                "response_base64": STANDARD.encode(&bytes),
                "private_key_used": "global",
                "signature": signature,
            })),
        )
            .into_response(),
        Err(e) => crate::error::ApiError::internal(e, PATH).into_response(),
    }
}

#[utoipa::path(post, path = "/api/v1/assign-license-key", tag = "license-keys",
    request_body(content(
        (crate::openapi::AssignLicenseKey = "application/x-www-form-urlencoded"),
        (crate::openapi::AssignLicenseKey = "application/json"),
        (crate::openapi::AssignLicenseKey = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "Processed: code 800 assigned, 801 invalid or already assigned", body = crate::openapi::AssignEnvelope),
        (status = 401, description = "Code 802: the api_key is missing, unknown, expired or lacks `manage-license-keys`", body = crate::openapi::AssignEnvelope),
        (status = 400, description = "A multipart body that cannot be read, or a field that holds a NUL character (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 413, description = "The body is too large (LE_ERR_SS_413)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
    ))]
/// `POST /api/v1/assign-license-key` with form or JSON fields `api_key`, `license_key`,
/// `owner_name`, `email`.
pub async fn assign(State(state): State<AppState>, request: Request) -> Response {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let form = if content_type.starts_with("multipart/form-data") {
        match multipart_form(&state, request).await {
            Ok(form) => form,
            Err(e) => return e.into_response(),
        }
    } else {
        let body = match Bytes::from_request(request, &state).await {
            Ok(body) => body,
            Err(e) => {
                return crate::routes::licenses::body_error(e.status(), &e.body_text(), PATH)
                    .into_response()
            }
        };
        if content_type.starts_with("application/json") {
            json_form(&body)
        } else {
            serde_urlencoded_form(&body)
        }
    };
    let fields = [
        ("api_key", &form.api_key),
        ("license_key", &form.license_key),
        ("owner_name", &form.owner_name),
        ("email", &form.email),
    ];
    for (name, value) in fields {
        if let Some(Err(e)) = value.as_deref().map(|v| refuse_nul(name, v, PATH)) {
            return e.into_response();
        }
    }
    let token = authenticate(
        state.store.as_ref(),
        Some(form.api_key.as_deref().unwrap_or("")),
        state.now(),
        PATH,
    )
    .await;
    let authorised = match token {
        Ok(token) if require(&token, Permission::ManageLicenseKeys, PATH).is_ok() => Some(token),
        Ok(_) => None,
        Err(e) if e.status() == StatusCode::INTERNAL_SERVER_ERROR => return e.into_response(),
        Err(_) => None,
    };
    let subject = Subject::of(&form);
    let Some(token) = authorised else {
        return envelope(
            &state,
            StatusCode::UNAUTHORIZED,
            INVALID_API_KEY,
            "Invalid API key",
            &subject,
        );
    };
    let Some(key) = form
        .license_key
        .as_deref()
        .and_then(|k| LicenseKey::parse(k).ok())
    else {
        return envelope(
            &state,
            StatusCode::OK,
            INVALID_OR_ASSIGNED,
            "Invalid or already assigned license key",
            &subject,
        );
    };
    let too_long = [&form.owner_name, &form.email]
        .iter()
        .any(|v| v.as_ref().is_some_and(|v| v.len() > MAX_FIELD_BYTES));
    if too_long {
        return crate::error::ApiError::too_large(MAX_FIELD_BYTES, PATH).into_response();
    }
    let clean = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let (owner_name, owner_email) = (clean(form.owner_name), clean(form.email));
    let assigned = state
        .store
        .assign_license_key(
            &key_hash(&key),
            owner_name.as_deref(),
            owner_email.as_deref(),
            state.now(),
        )
        .await;
    if let Ok(true) = assigned {
        let key_id = match state.store.get_license_key(&key_hash(&key)).await {
            Ok(Some((record, _))) => record.id,
            _ => String::from("(unknown)"),
        };
        crate::admin::log_after(
            state.store.as_ref(),
            crate::admin::Actor::token(&token).entry(
                state.now(),
                crate::admin::actions::KEY_ASSIGN,
                &key_id,
                None,
                Some(serde_json::json!({"owner_name": owner_name, "owner_email": owner_email})),
            ),
        )
        .await;
    }
    match assigned {
        Ok(true) => envelope(
            &state,
            StatusCode::OK,
            ASSIGNED,
            "License key assigned",
            &subject,
        ),
        Ok(false) => envelope(
            &state,
            StatusCode::OK,
            INVALID_OR_ASSIGNED,
            "Invalid or already assigned license key",
            &subject,
        ),
        Err(e) => crate::error::ApiError::internal(e, PATH).into_response(),
    }
}

/// The string fields of a JSON body, each read on its own: one field of a wrong type does not
/// hide the others (a valid `api_key` with a bad `license_key` is 801, not 802).
fn json_form(body: &[u8]) -> AssignForm {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let field = |name: &str| value.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    AssignForm {
        api_key: field("api_key"),
        license_key: field("license_key"),
        owner_name: field("owner_name"),
        email: field("email"),
    }
}

/// The longest field of an assignment form (owner name and email end up in license files).
const MAX_FIELD_BYTES: usize = 4096;

/// `multipart/form-data` (what Postman's form-data sends): the four text fields, each at most
/// 4 KiB; other fields are skipped.
async fn multipart_form(
    state: &AppState,
    request: Request,
) -> Result<AssignForm, crate::error::ApiError> {
    use crate::routes::licenses::body_error;
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| body_error(e.status(), &e.body_text(), PATH))?;
    let mut form = AssignForm::default();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| body_error(e.status(), &e.body_text(), PATH))?
    {
        let slot = match field.name() {
            Some("api_key") => &mut form.api_key,
            Some("license_key") => &mut form.license_key,
            Some("owner_name") => &mut form.owner_name,
            Some("email") => &mut form.email,
            _ => continue,
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| body_error(e.status(), &e.body_text(), PATH))?
        {
            if bytes.len() + chunk.len() > MAX_FIELD_BYTES {
                return Err(crate::error::ApiError::too_large(MAX_FIELD_BYTES, PATH));
            }
            bytes.extend_from_slice(&chunk);
        }
        *slot = String::from_utf8(bytes).ok();
    }
    Ok(form)
}

/// `application/x-www-form-urlencoded` (and, leniently, multipart-free form bodies).
fn serde_urlencoded_form(body: &[u8]) -> AssignForm {
    let mut form = AssignForm::default();
    for (name, value) in form_urlencoded::parse(body) {
        let value = Some(value.into_owned());
        match name.as_ref() {
            "api_key" => form.api_key = value,
            "license_key" => form.license_key = value,
            "owner_name" => form.owner_name = value,
            "email" => form.email = value,
            _ => {}
        }
    }
    form
}
