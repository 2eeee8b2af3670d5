//! Signing certificates (seed 001) and the departments they belong to; permission
//! `manage-certificates`. Uploads are PKCS#12, at most 5 MB, counted while the body streams in;
//! the private key is sealed with the master key and the passkey is never stored. Keys in a
//! PKCS#11 token are registered by reference (type `PKCS11`: a URI and a PIN reference, see
//! [`crate::token_keys`]); `PKCS12_HSM` is refused with the reason.

use crate::app::AppState;
use crate::auth::{require, Permission};
use crate::error::ApiError;
use crate::extract::PathParam;
use crate::store::{CertificateKey, CertificateRecord, Department};
use crate::token_keys::{check_uri, PinReference};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use licet_issuer::{load_pkcs12, Passphrase, Pkcs12Error, SigningKey, MAX_PKCS12_BYTES};
use licet_verifier::UnixTime;
use serde::Deserialize;
use serde_json::{json, Value};
use zeroize::Zeroizing;

const CERTIFICATES: &str = "/api/v1/certificates";
const DEPARTMENTS: &str = "/api/v1/departments";

/// The longest text field of the upload form (passkey, departmentId, enabled, name).
pub const MAX_TEXT_FIELD_BYTES: usize = 4096;

/// The body limit of the upload route: the 5 MB file plus the small text fields.
pub const MAX_CERTIFICATE_REQUEST_BYTES: usize = MAX_PKCS12_BYTES as usize + 64 * 1024;

async fn caller(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
) -> Result<crate::store::ApiToken, ApiError> {
    let token = crate::auth::request_token(state, headers, path).await?;
    require(&token, Permission::ManageCertificates, path)?;
    Ok(token)
}

/// What the audit log records of a certificate (never its private key).
fn certificate_audit_view(c: &CertificateRecord, department: &str) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "subject": c.subject,
        "kid": c.kid,
        "certificate_type": c.certificate_type,
        "expiry": c.expiry,
        "pkcs11_uri": match &c.key {
            CertificateKey::Token { uri, .. } => Some(uri),
            CertificateKey::Sealed(_) => None,
        },
        "pin_reference": match &c.key {
            CertificateKey::Token { pin_reference, .. } => Some(pin_reference),
            CertificateKey::Sealed(_) => None,
        },
        "department_id": c.department_id,
        "department": department,
        "enabled": c.enabled,
    })
}

async fn log(
    state: &AppState,
    token: &crate::store::ApiToken,
    action: &str,
    target: &str,
    before: Option<Value>,
    after: Option<Value>,
) {
    crate::admin::log_after(
        state.store.as_ref(),
        crate::admin::Actor::token(token).entry(state.now(), action, target, before, after),
    )
    .await;
}

fn rfc3339(secs: i64) -> String {
    UnixTime::from_secs(secs)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

fn department_view(d: &Department) -> Value {
    json!({"id": d.id, "name": d.name, "createdAt": rfc3339(d.created_at)})
}

/// The seed's CertificateVO.
fn certificate_view(c: &CertificateRecord, department_name: &str) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "certificateType": c.certificate_type,
        "expiry": c.expiry.map(rfc3339),
        "createdAt": rfc3339(c.created_at),
        "departmentId": c.department_id,
        "departmentName": department_name,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDepartment {
    name: String,
}

#[utoipa::path(post, path = "/api/v1/departments", tag = "certificates", security(("token" = [])),
    request_body = crate::openapi::NewDepartment,
    responses(
        (status = 201, description = "Created", body = crate::openapi::DepartmentEnvelope),
        (status = 400, description = "The name is missing, empty or too long (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
        (status = 409, description = "A department with that name exists (LE_ERR_SS_1102)", body = crate::error::ErrorBody),
        (status = 413, description = "The body is too large (LE_ERR_SS_413)", body = crate::error::ErrorBody),
    ))]
/// `POST /api/v1/departments` with `{"name"}`: 201, or 409 if the name exists.
pub async fn create_department(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let token = caller(&state, &headers, DEPARTMENTS).await?;
    crate::text::refuse_nul_in_json(&body, DEPARTMENTS)?;
    let body: NewDepartment = serde_json::from_slice(&body).map_err(|e| {
        ApiError::validation(
            format!("The body must be JSON {{\"name\": \"...\"}}: {e}"),
            DEPARTMENTS,
        )
    })?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::validation(
            "`name` must be 1 to 200 characters",
            DEPARTMENTS,
        ));
    }
    let department = Department {
        id: uuid::Uuid::new_v4().to_string(),
        name: name.to_owned(),
        created_at: state.now(),
    };
    if !state
        .store
        .insert_department(&department)
        .await
        .map_err(|e| ApiError::internal(e, DEPARTMENTS))?
    {
        return Err(ApiError::conflict(
            "LE_ERR_SS_1102",
            format!("Department '{name}' already exists"),
            DEPARTMENTS,
        ));
    }
    log(
        &state,
        &token,
        crate::admin::actions::DEPARTMENT_CREATE,
        &department.id,
        None,
        Some(json!({"id": department.id, "name": department.name})),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(json!({"data": department_view(&department)})),
    ))
}

#[utoipa::path(get, path = "/api/v1/departments", tag = "certificates", security(("token" = [])),
    responses(
        (status = 200, description = "Every department", body = crate::openapi::DepartmentListEnvelope),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
    ))]
/// `GET /api/v1/departments`.
pub async fn list_departments(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    caller(&state, &headers, DEPARTMENTS).await?;
    let all = state
        .store
        .list_departments()
        .await
        .map_err(|e| ApiError::internal(e, DEPARTMENTS))?;
    Ok(Json(
        json!({"data": all.iter().map(department_view).collect::<Vec<_>>()}),
    ))
}

/// What the multipart form carried.
#[derive(Default)]
struct Upload {
    certificate_type: Option<String>,
    file: Option<(String, Zeroizing<Vec<u8>>)>,
    passkey: Option<Passphrase>,
    pkcs11_uri: Option<String>,
    pin_reference: Option<String>,
    department_id: Option<String>,
    enabled: Option<String>,
    name: Option<String>,
}

fn is_pkcs12_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".p12") || lower.ends_with(".pfx")
}

async fn read_upload(state: &AppState, request: Request) -> Result<Upload, ApiError> {
    let invalid = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(MAX_PKCS12_BYTES as usize, CERTIFICATES)
        } else {
            ApiError::validation(
                format!("The multipart body is invalid: {}", e.body_text()),
                CERTIFICATES,
            )
        }
    };
    let mut multipart = Multipart::from_request(request, state).await.map_err(|e| {
        ApiError::validation(
            format!("The body must be multipart/form-data: {}", e.body_text()),
            CERTIFICATES,
        )
    })?;
    let mut upload = Upload::default();
    while let Some(mut field) = multipart.next_field().await.map_err(invalid)? {
        let field_name = field.name().unwrap_or("").to_owned();
        if field_name == "certificateFile" {
            let file_name = field.file_name().unwrap_or("").to_owned();
            crate::text::refuse_nul("certificateFile's file name", &file_name, CERTIFICATES)?;
            if !is_pkcs12_name(&file_name) {
                return Err(ApiError::validation(
                    format!("Unsupported certificate format: {file_name:?}; only .p12/.pfx (PKCS#12) files are accepted"),
                    CERTIFICATES,
                ));
            }
            // Counted chunk by chunk: an upload over 5 MB is refused as soon as it passes the limit.
            let mut bytes = Zeroizing::new(Vec::new());
            while let Some(chunk) = field.chunk().await.map_err(invalid)? {
                if bytes.len() + chunk.len() > MAX_PKCS12_BYTES as usize {
                    return Err(ApiError::too_large(MAX_PKCS12_BYTES as usize, CERTIFICATES));
                }
                bytes.extend_from_slice(&chunk);
            }
            upload.file = Some((file_name, bytes));
            continue;
        }
        // Text fields are small: read into zeroizing memory, at most MAX_TEXT_FIELD_BYTES.
        let mut raw = Zeroizing::new(Vec::new());
        while let Some(chunk) = field.chunk().await.map_err(invalid)? {
            if raw.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
                return Err(ApiError::validation(
                    format!("The field `{field_name}` is longer than {MAX_TEXT_FIELD_BYTES} bytes"),
                    CERTIFICATES,
                ));
            }
            raw.extend_from_slice(&chunk);
        }
        let text = Zeroizing::new(String::from_utf8(raw.to_vec()).map_err(|_| {
            ApiError::validation(
                format!("The field `{field_name}` is not UTF-8 text"),
                CERTIFICATES,
            )
        })?);
        crate::text::refuse_nul(&field_name, &text, CERTIFICATES)?;
        match field_name.as_str() {
            "passkey" => upload.passkey = Some(Passphrase::new(text.as_str())),
            "certificateType" => upload.certificate_type = Some(text.trim().to_owned()),
            "pkcs11Uri" => upload.pkcs11_uri = Some(text.trim().to_owned()),
            "pinReference" => upload.pin_reference = Some(text.trim().to_owned()),
            "departmentId" => upload.department_id = Some(text.trim().to_owned()),
            "enabled" => upload.enabled = Some(text.trim().to_owned()),
            "name" => upload.name = Some(text.trim().to_owned()).filter(|n| !n.is_empty()),
            _ => {}
        }
    }
    Ok(upload)
}

/// The certificate type of an uploaded PKCS#12 file.
const PKCS12_PFX: &str = "PKCS12_PFX";
/// The certificate type of a key in a PKCS#11 token, registered by reference.
const PKCS11: &str = "PKCS11";

/// A `PKCS12_PFX` upload: the file is decrypted and its key sealed under the master key.
async fn store_pkcs12(
    state: &AppState,
    upload: Upload,
    department: &Department,
    enabled: bool,
) -> Result<CertificateRecord, ApiError> {
    if upload.pkcs11_uri.is_some() || upload.pin_reference.is_some() {
        return Err(ApiError::validation(
            "`pkcs11Uri` and `pinReference` belong to certificateType PKCS11, not to a PKCS#12 upload",
            CERTIFICATES,
        ));
    }
    let (file_name, bytes) = upload
        .file
        .ok_or_else(|| ApiError::validation("The form has no `certificateFile`", CERTIFICATES))?;
    // Key derivation is CPU work: off the async workers.
    let passkey = upload.passkey;
    let name_for_errors = file_name.clone();
    // One decryption at a time, and the permit is released when the decryption really ends
    // (not when a timed-out request gives up): a hostile file can hold one core, never all.
    let permit = state
        .pkcs12_decryptions
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::internal(e, CERTIFICATES))?;
    let identity = tokio::task::spawn_blocking(move || {
        let identity = load_pkcs12(&bytes, passkey.as_ref(), None, &name_for_errors);
        drop(permit);
        identity
    })
    .await
    .map_err(|e| ApiError::internal(e, CERTIFICATES))?
    .map_err(|e| match e {
        Pkcs12Error::WrongPassphrase
        | Pkcs12Error::PassphraseRequired
        | Pkcs12Error::DecryptionFailed => {
            ApiError::validation("Wrong passkey for the certificate file", CERTIFICATES)
        }
        Pkcs12Error::IsPem
        | Pkcs12Error::IsCertificate
        | Pkcs12Error::NotPkcs12(_)
        | Pkcs12Error::Damaged(_) => {
            ApiError::validation(format!("Unsupported certificate format: {e}"), CERTIFICATES)
        }
        other => ApiError::validation(
            format!("The certificate cannot be used: {other}"),
            CERTIFICATES,
        ),
    })?;

    let id = uuid::Uuid::new_v4().to_string();
    let name = upload
        .name
        .unwrap_or_else(|| identity.certificate.name.clone());
    let pkcs8 = identity
        .key
        .to_pkcs8_der()
        .map_err(|e| ApiError::internal(e, CERTIFICATES))?;
    let sealed = state
        .master_key
        .seal(&pkcs8, id.as_bytes())
        .map_err(|e| ApiError::internal(e, CERTIFICATES))?;
    Ok(CertificateRecord {
        id,
        name,
        certificate_type: identity.certificate.certificate_type.to_owned(),
        subject: identity.certificate.subject.clone(),
        kid: identity.certificate.kid.clone(),
        expiry: Some(identity.certificate.not_after_time().as_secs()),
        department_id: department.id.clone(),
        enabled,
        certificate_der: identity.certificate_der.clone(),
        key: CertificateKey::Sealed(sealed),
        created_at: state.now(),
    })
}

/// A `PKCS11` registration: the URI's module must be one the operator allows, the PIN is read
/// through its reference, and the key must open and make a signature that verifies with its
/// public half before anything is stored. Neither the PIN nor any key material is stored.
async fn register_token_key(
    state: &AppState,
    upload: Upload,
    department: &Department,
    enabled: bool,
) -> Result<CertificateRecord, ApiError> {
    if upload.file.is_some() || upload.passkey.is_some() {
        return Err(ApiError::validation(
            "a PKCS11 registration names its key with `pkcs11Uri` and its PIN with `pinReference`; it carries no certificateFile or passkey (the PIN is never sent)",
            CERTIFICATES,
        ));
    }
    // The caller is told what it got wrong, but not a PIN file's details (whether it exists,
    // its mode, the directory): those go to the log.
    let invalid = |e: crate::token_keys::TokenReferenceError| {
        tracing::warn!(cause = %e, "a PKCS11 registration was refused");
        ApiError::validation(e.public_message(), CERTIFICATES)
    };
    let uri_text = upload
        .pkcs11_uri
        .ok_or_else(|| ApiError::validation("The form has no `pkcs11Uri`", CERTIFICATES))?;
    let reference_text = upload
        .pin_reference
        .ok_or_else(|| ApiError::validation("The form has no `pinReference`", CERTIFICATES))?;
    let uri = check_uri(&uri_text, &state.token_policy).map_err(invalid)?;
    let reference = PinReference::parse(&reference_text).map_err(invalid)?;
    let pin = reference.resolve(&state.token_policy).map_err(invalid)?;
    // Token calls block: off the async workers, one key operation at a time.
    let permit = state
        .pkcs12_decryptions
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::internal(e, CERTIFICATES))?;
    let opened_uri = uri.clone();
    let key = tokio::task::spawn_blocking(move || {
        let opened = SigningKey::from_pkcs11(&opened_uri, &pin)
            .map_err(|e| e.to_string())
            .and_then(|key| {
                // The token signs, and the signature is verified with the public half it reports.
                key.sign(
                    key.default_algorithm(),
                    b"licet: a PKCS11 registration probe",
                )
                .map(|_| key)
                .map_err(|e| e.to_string())
            });
        drop(permit);
        opened
    })
    .await
    .map_err(|e| ApiError::internal(e, CERTIFICATES))?
    .map_err(|e| {
        ApiError::validation(format!("The token key cannot be used: {e}"), CERTIFICATES)
    })?;
    let token = uri.token.clone().unwrap_or_default();
    let object = uri.object.clone().unwrap_or_default();
    let name = upload
        .name
        .or_else(|| uri.object.clone())
        .unwrap_or_else(|| key.kid().to_owned());
    Ok(CertificateRecord {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        certificate_type: PKCS11.to_owned(),
        subject: format!("token={token}; object={object}"),
        kid: key.kid().to_owned(),
        expiry: None,
        department_id: department.id.clone(),
        enabled,
        certificate_der: Vec::new(),
        key: CertificateKey::Token {
            uri: uri.to_string(),
            pin_reference: reference.as_text(),
        },
        created_at: state.now(),
    })
}

#[utoipa::path(post, path = "/api/v1/certificates", tag = "certificates", security(("token" = [])),
    request_body(content = crate::openapi::CertificateUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored; the private key is sealed at rest", body = crate::openapi::CertificateEnvelope),
        (status = 400, description = "Not a .p12/.pfx, a wrong passkey, or a missing field (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
        (status = 404, description = "No such department (LE_ERR_SS_001)", body = crate::error::ErrorBody),
        (status = 409, description = "The alias exists (LE_ERR_SS_1101)", body = crate::error::ErrorBody),
        (status = 413, description = "The upload is over 5 MB (LE_ERR_SS_413)", body = crate::error::ErrorBody),
    ))]
/// `POST /api/v1/certificates` (multipart): 201 `{"data": CertificateVO}`.
pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Request,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let token = caller(&state, &headers, CERTIFICATES).await?;
    let mut upload = read_upload(&state, request).await?;
    let department_id = upload
        .department_id
        .take()
        .filter(|d| !d.is_empty())
        .ok_or_else(|| ApiError::validation("The form has no `departmentId`", CERTIFICATES))?;
    let enabled = match upload.enabled.as_deref() {
        None | Some("true") | Some("1") => true,
        Some("false") | Some("0") => false,
        Some(other) => {
            return Err(ApiError::validation(
                format!("`enabled` must be true or false, not {other:?}"),
                CERTIFICATES,
            ))
        }
    };
    let department = state
        .store
        .get_department(&department_id)
        .await
        .map_err(|e| ApiError::internal(e, CERTIFICATES))?
        .ok_or_else(|| {
            ApiError::not_found(
                format!("Department with id {department_id} does not exist"),
                CERTIFICATES,
            )
        })?;
    let kind = upload
        .certificate_type
        .clone()
        .unwrap_or_else(|| PKCS12_PFX.to_owned());
    let record = match kind.as_str() {
        PKCS12_PFX => store_pkcs12(&state, upload, &department, enabled).await?,
        PKCS11 => register_token_key(&state, upload, &department, enabled).await?,
        "PKCS12_HSM" => {
            return Err(ApiError::validation(
                "certificateType PKCS12_HSM is not supported: a PKCS#12 file holds its private key, so it is uploaded as PKCS12_PFX (sealed under the server's master key); a key kept in an HSM is registered as PKCS11 by its pkcs11: URI and a pinReference, and never leaves the token",
                CERTIFICATES,
            ))
        }
        other => {
            return Err(ApiError::validation(
                format!("`certificateType` must be PKCS12_PFX or PKCS11, not {other:?}"),
                CERTIFICATES,
            ))
        }
    };
    // The name and subject may come from the file (its friendlyName, the certificate's CN) or
    // from a percent-decoded URI, so they are checked here, not only as form fields.
    for (field, value) in [
        ("name", record.name.as_str()),
        ("subject", record.subject.as_str()),
        ("kid", record.kid.as_str()),
    ] {
        crate::text::refuse_nul(field, value, CERTIFICATES)?;
    }
    if !state
        .store
        .insert_certificate(&record)
        .await
        .map_err(|e| ApiError::internal(e, CERTIFICATES))?
    {
        return Err(ApiError::conflict(
            "LE_ERR_SS_1101",
            format!(
                "Certificate with alias '{}' already exists for the organisation",
                record.name
            ),
            CERTIFICATES,
        ));
    }
    tracing::info!(certificate = %record.id, kid = %record.kid, certificate_type = %record.certificate_type, "certificate registered");
    log(
        &state,
        &token,
        crate::admin::actions::CERTIFICATE_UPLOAD,
        &record.id,
        None,
        Some(certificate_audit_view(&record, &department.name)),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(json!({"data": certificate_view(&record, &department.name)})),
    ))
}

#[utoipa::path(get, path = "/api/v1/certificates", tag = "certificates", security(("token" = [])),
    responses(
        (status = 200, description = "Every certificate", body = crate::openapi::CertificateListEnvelope),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
    ))]
/// `GET /api/v1/certificates`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    caller(&state, &headers, CERTIFICATES).await?;
    let all = state
        .store
        .list_certificates()
        .await
        .map_err(|e| ApiError::internal(e, CERTIFICATES))?;
    Ok(Json(
        json!({"data": all.iter().map(|(c, d)| certificate_view(c, d)).collect::<Vec<_>>()}),
    ))
}

#[utoipa::path(get, path = "/api/v1/certificates/{id}", tag = "certificates", security(("token" = [])),
    params(("id" = String, Path, description = "The certificate's id")),
    responses(
        (status = 200, description = "The certificate", body = crate::openapi::CertificateEnvelope),
        (status = 400, description = "The path is not valid UTF-8, or holds a NUL character (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
        (status = 404, description = "No such certificate (LE_ERR_SS_001)", body = crate::error::ErrorBody),
    ))]
/// `GET /api/v1/certificates/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathParam(id): PathParam,
) -> Result<Json<Value>, ApiError> {
    let path = format!("{CERTIFICATES}/{id}");
    caller(&state, &headers, &path).await?;
    match state
        .store
        .get_certificate(&id)
        .await
        .map_err(|e| ApiError::internal(e, &path))?
    {
        Some((c, d)) => Ok(Json(json!({"data": certificate_view(&c, &d)}))),
        None => Err(ApiError::not_found(
            format!("Certificate with id {id} does not exist"),
            &path,
        )),
    }
}

#[utoipa::path(delete, path = "/api/v1/certificates/{id}", tag = "certificates", security(("token" = [])),
    params(("id" = String, Path, description = "The certificate's id")),
    responses(
        (status = 200, description = "Deleted; the body is what was deleted", body = crate::openapi::CertificateEnvelope),
        (status = 400, description = "The path is not valid UTF-8, or holds a NUL character (LE_ERR_SS_008)", body = crate::error::ErrorBody),
        (status = 401, description = "No token (LE_ERR_SS_301), or an invalid or expired one (LE_ERR_SS_303)", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the permission (LE_ERR_SS_302)", body = crate::error::ErrorBody),
        (status = 500, description = "Internal Server Error", body = crate::error::ErrorBody),
        (status = 404, description = "No such certificate (LE_ERR_SS_001)", body = crate::error::ErrorBody),
    ))]
/// `DELETE /api/v1/certificates/{id}`: 200 with the deleted certificate.
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathParam(id): PathParam,
) -> Result<Json<Value>, ApiError> {
    let path = format!("{CERTIFICATES}/{id}");
    let token = caller(&state, &headers, &path).await?;
    let Some((c, d)) = state
        .store
        .get_certificate(&id)
        .await
        .map_err(|e| ApiError::internal(e, &path))?
    else {
        return Err(ApiError::not_found(
            format!("Certificate with id {id} does not exist"),
            &path,
        ));
    };
    if !state
        .store
        .delete_certificate(&id)
        .await
        .map_err(|e| ApiError::internal(e, &path))?
    {
        return Err(ApiError::not_found(
            format!("Certificate with id {id} does not exist"),
            &path,
        ));
    }
    log(
        &state,
        &token,
        crate::admin::actions::CERTIFICATE_DELETE,
        &c.id,
        Some(certificate_audit_view(&c, &d)),
        None,
    )
    .await;
    Ok(Json(json!({"data": certificate_view(&c, &d)})))
}
