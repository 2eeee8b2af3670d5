//! The OpenAPI 3 document of the API, generated from the handlers' `#[utoipa::path]`
//! annotations as the router registers them (so a route cannot exist without its entry), and the
//! offline `/api/docs` page (Swagger UI, assets compiled into the binary).
//!
//! The types below describe the bodies that handlers build with `serde_json::json!`; they exist
//! for the document only. schemathesis checks live responses against them in CI, and
//! `crates/server/tests/openapi.rs` checks the seed samples.

// The schema types are never built: they only describe JSON.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// The document's fixed parts; paths are added by the router.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "licet",
        description = "Offline software licenses: installed licenses, signing certificates, \
                       license keys, air-gapped workspaces and machine activation.",
        license(name = "MIT OR Apache-2.0"),
    ),
    modifiers(&AuthSchemes),
    tags(
        (name = "licenses", description = "Installed license files (seed 000)"),
        (name = "certificates", description = "PKCS#12 signing certificates and departments (seed 001)"),
        (name = "license-keys", description = "License keys and their assignment (seed 002)"),
        (name = "workspace", description = "Applying a license in an air-gapped workspace (seed 003)"),
        (name = "activation", description = "Machine activation with signed responses (seed 004)"),
        (name = "keys", description = "The response-signing and license-signing public keys"),
        (name = "operations", description = "Health, readiness and Prometheus metrics"),
        (name = "tokens", description = "API tokens (permission manage-tokens)"),
        (name = "admin-log", description = "The administrative audit log (permission view-admin-log)"),
    )
)]
pub struct ApiDoc;

/// Declares the `X-Auth-Token` and `X-User-Id` header schemes.
struct AuthSchemes;

impl Modify for AuthSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Auth-Token",
                "An API token from `licet token create`.",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                utoipa::openapi::security::HttpBuilder::new()
                    .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
                    .description(Some("The same API token, as `Authorization: Bearer` (what Prometheus sends); `GET /metrics` only."))
                    .build(),
            ),
        );
    }
}

/// `{"code":"LE_SS_200","message":...,"data":LicenseVO}`.
#[derive(ToSchema)]
pub struct LicenseEnvelope {
    /// `LE_SS_200`.
    #[schema(example = "LE_SS_200")]
    code: String,
    /// What happened.
    message: String,
    data: crate::routes::licenses::LicenseVo,
}

/// `{"code":"LE_SS_200","message":...,"data":[LicenseVO]}`.
#[derive(ToSchema)]
pub struct LicenseListEnvelope {
    /// `LE_SS_200`.
    code: String,
    /// What happened.
    message: String,
    data: Vec<crate::routes::licenses::LicenseVo>,
}

/// `POST /api/v1/licenses` as JSON.
#[derive(ToSchema)]
pub struct InstallLicense {
    /// The license file's text (a compact JWT).
    file: String,
}

/// `POST /api/v1/licenses` as multipart.
#[derive(ToSchema)]
pub struct InstallLicenseUpload {
    /// The license file.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// `PATCH /api/v1/licenses/{licenseId}`.
#[derive(ToSchema)]
pub struct SetEnabled {
    /// Whether the license is enabled on this server.
    enabled: bool,
}

/// A department that certificates belong to.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct DepartmentVo {
    id: String,
    name: String,
    /// RFC 3339 UTC.
    created_at: String,
}

/// `{"data": DepartmentVO}`.
#[derive(ToSchema)]
pub struct DepartmentEnvelope {
    data: DepartmentVo,
}

/// `{"data": [DepartmentVO]}`.
#[derive(ToSchema)]
pub struct DepartmentListEnvelope {
    data: Vec<DepartmentVo>,
}

/// `POST /api/v1/departments`.
#[derive(ToSchema)]
pub struct NewDepartment {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
}

/// The seed's CertificateVO.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct CertificateVo {
    id: String,
    /// The alias: unique in the organisation.
    name: String,
    /// `PKCS12_PFX` (an uploaded file) or `PKCS11` (a key in a token, registered by reference).
    #[schema(example = "PKCS12_PFX")]
    certificate_type: String,
    /// The certificate's notAfter, RFC 3339 UTC; null for a token key registered without a
    /// certificate.
    expiry: Option<String>,
    /// RFC 3339 UTC.
    created_at: String,
    department_id: String,
    department_name: String,
}

/// `{"data": CertificateVO}`.
#[derive(ToSchema)]
pub struct CertificateEnvelope {
    data: CertificateVo,
}

/// `{"data": [CertificateVO]}`.
#[derive(ToSchema)]
pub struct CertificateListEnvelope {
    data: Vec<CertificateVo>,
}

/// `POST /api/v1/certificates` (multipart/form-data, at most 5 MB): a PKCS#12 file, or a key in a
/// PKCS#11 token by reference (`certificateType` `PKCS11`, `pkcs11Uri`, `pinReference`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct CertificateUpload {
    /// `PKCS12_PFX` (default) or `PKCS11`; `PKCS12_HSM` is refused (400, with the reason).
    certificate_type: Option<String>,
    /// A .p12 or .pfx file (`PKCS12_PFX`).
    #[schema(format = Binary, value_type = Option<String>)]
    certificate_file: Option<Vec<u8>>,
    /// The PKCS#12 passphrase; never stored.
    passkey: Option<String>,
    /// `PKCS11`: the key's RFC 7512 URI, whose module-path is one the server allows.
    pkcs11_uri: Option<String>,
    /// `PKCS11`: where the server reads the PIN, `env:LICET_PKCS11_PIN...` or `file:NAME` (in
    /// the server's --pkcs11-pin-dir); the PIN itself is never sent or stored.
    pin_reference: Option<String>,
    department_id: String,
    /// `true` or `false`.
    enabled: String,
    /// The alias; defaults to the file name.
    name: Option<String>,
}

/// `POST /api/v1/license-keys`.
#[derive(ToSchema)]
pub struct NewLicenseKey {
    #[schema(min_length = 1)]
    customer: String,
    product: Option<String>,
    /// `standard`, `trial`, `subscription`, `perpetual`, `floating`, `node-locked`, ...
    license_type: Option<String>,
    features: Option<BTreeMap<String, Value>>,
    /// At least 1.
    #[schema(minimum = 1)]
    max_activations: i64,
    /// RFC 3339, any instant.
    #[schema(format = DateTime)]
    expires_at: Option<String>,
    /// Days a seat's license file lasts (its `exp` is `min(expires_at, now + lease_days)`);
    /// null or absent: 30 days online, the key's expiry offline.
    #[schema(minimum = 1, maximum = 3650)]
    lease_days: Option<i64>,
}

/// A license key and its seat count.
#[derive(ToSchema)]
pub struct LicenseKeyVo {
    /// The key's stable id (UUID): how listings name it.
    id: String,
    /// `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX` when the caller named the key by its text (or just
    /// created it); null otherwise: the server keeps only the key's hash.
    license_key: Option<String>,
    /// The key's last 4 characters; null for keys made before hints were stored.
    key_hint: Option<String>,
    customer: String,
    product: Option<String>,
    license_type: String,
    features: Option<BTreeMap<String, Value>>,
    max_activations: i64,
    /// RFC 3339 UTC, or null.
    expires_at: Option<String>,
    /// The seat lease in days; null is the default (30 days online).
    lease_days: Option<i64>,
    /// `active` or `suspended`.
    status: String,
    /// Seats in use (may exceed `max_activations` after it was lowered).
    activations: i64,
    /// RFC 3339 UTC.
    created_at: String,
    /// RFC 3339 UTC.
    updated_at: String,
}

/// `{"data": LicenseKey}`.
#[derive(ToSchema)]
pub struct LicenseKeyEnvelope {
    data: LicenseKeyVo,
}

/// A key with its seats.
#[derive(ToSchema)]
pub struct LicenseKeyDetailVo {
    id: String,
    license_key: Option<String>,
    key_hint: Option<String>,
    customer: String,
    product: Option<String>,
    license_type: String,
    features: Option<BTreeMap<String, Value>>,
    max_activations: i64,
    expires_at: Option<String>,
    lease_days: Option<i64>,
    status: String,
    activations: i64,
    created_at: String,
    updated_at: String,
    /// The seats, oldest first (the first 1000).
    seats: Vec<SeatVo>,
}

/// `{"data": LicenseKeyDetail}`.
#[derive(ToSchema)]
pub struct LicenseKeyDetailEnvelope {
    data: LicenseKeyDetailVo,
}

/// A seat: a machine holding one activation of a key.
#[derive(ToSchema)]
pub struct SeatVo {
    /// 64 hexadecimal characters.
    machine_id: String,
    /// The hostname the activation named, if any.
    hostname: Option<String>,
    /// The `jti` of the seat's license files.
    license_id: String,
    /// RFC 3339 UTC.
    activated_at: String,
    /// RFC 3339 UTC, accurate to within 60 seconds; null if the machine never validated.
    last_validated_at: Option<String>,
}

/// A seat taken or freed by an administrator.
#[derive(ToSchema)]
pub struct AdminSeatVo {
    machine_id: String,
    hostname: Option<String>,
    license_id: String,
    activated_at: String,
    last_validated_at: Option<String>,
    /// The key's id.
    key_id: String,
    /// Seats in use after the call.
    activations: i64,
    max_activations: i64,
    /// Present on activation: whether a seat was taken now.
    new_seat: Option<bool>,
}

/// `{"data": Seat}`.
#[derive(ToSchema)]
pub struct SeatEnvelope {
    data: AdminSeatVo,
}

/// `POST /api/v1/license-keys/{key}/activations`.
#[derive(ToSchema)]
pub struct AdminActivationRequest {
    /// 64 hexadecimal characters.
    #[schema(pattern = "^[0-9a-fA-F]{64}$")]
    machine_id: String,
    /// 1 to 253 bytes, no control characters.
    #[schema(min_length = 1, max_length = 253)]
    hostname: Option<String>,
}

/// Where a listing's page lies.
#[derive(ToSchema)]
pub struct Pagination {
    page: i64,
    per_page: i64,
    /// Rows matching, on every page.
    total: i64,
    /// Pages in all.
    pages: i64,
}

/// `{"data": [LicenseKey], "pagination"}`.
#[derive(ToSchema)]
pub struct LicenseKeyListEnvelope {
    data: Vec<LicenseKeyVo>,
    pagination: Pagination,
}

/// An API token as listings show it: never its text or hash.
#[derive(ToSchema)]
pub struct TokenVo {
    id: String,
    user_id: String,
    permissions: Vec<String>,
    /// RFC 3339 UTC.
    created_at: String,
    /// RFC 3339 UTC, or null (no expiry).
    expires_at: Option<String>,
    /// RFC 3339 UTC, or null.
    revoked_at: Option<String>,
    /// `active`, `expired` or `revoked`.
    status: String,
}

/// `{"data": Token}`.
#[derive(ToSchema)]
pub struct TokenEnvelope {
    data: TokenVo,
}

/// `{"data": Token}` with the new token's text in `data.token` (shown once).
#[derive(ToSchema)]
pub struct NewTokenEnvelope {
    data: TokenVo,
}

/// `{"data": {"license_file", "license_id", "machine_id"}}`.
#[derive(ToSchema)]
pub struct SeatLicenseEnvelope {
    data: SeatLicenseVo,
}

/// A seat's license file.
#[derive(ToSchema)]
pub struct SeatLicenseVo {
    /// The license file (compact JWS).
    license_file: String,
    /// Its `jti`: the seat's license id.
    license_id: String,
    /// The machine it is bound to.
    machine_id: String,
}

/// `{"data": [Token]}`.
#[derive(ToSchema)]
pub struct TokenListEnvelope {
    data: Vec<TokenVo>,
}

/// One administrative change.
#[derive(ToSchema)]
pub struct AdminLogEntryVo {
    /// Increasing sequence number.
    seq: i64,
    /// RFC 3339 UTC.
    at: String,
    /// The API token that made the change; null for a CLI command.
    token_id: Option<String>,
    /// The token's user, or `cli:<user>`.
    user_id: String,
    /// Such as `license_key.update`.
    action: String,
    /// A key id, `keyid/machine`, a token id, a license id, a certificate id, ...
    target: String,
    /// The state before (never a secret), or null.
    before: Option<Value>,
    /// The state after (never a secret), or null.
    after: Option<Value>,
}

/// `{"data": [AdminLogEntry], "pagination"}`.
#[derive(ToSchema)]
pub struct AdminLogEnvelope {
    data: Vec<AdminLogEntryVo>,
    pagination: Pagination,
}

/// `PATCH /api/v1/license-keys/{key}`: at least one field; an absent field is left as it is.
#[derive(ToSchema)]
pub struct KeyChanges {
    status: Option<KeyStatus>,
    /// Whole days, 1 to 3650; null returns to the default (30 days online).
    #[schema(minimum = 1, maximum = 3650)]
    lease_days: Option<i64>,
    /// The entitlements copied into new license files; null removes them.
    features: Option<BTreeMap<String, Value>>,
    /// 1 to 1,000,000. Lower than the seats in use: every seat is kept, new activations are
    /// refused until enough are freed.
    #[schema(minimum = 1, maximum = 1000000)]
    max_activations: Option<i64>,
    /// Renewal: RFC 3339 or YYYY-MM-DD (through that day, UTC), in the future; null makes the
    /// key perpetual.
    expires_at: Option<String>,
    /// Not empty.
    #[schema(min_length = 1)]
    customer: Option<String>,
    /// Null removes it.
    product: Option<String>,
    /// `STANDARD`, `TRIAL`, ...
    license_type: Option<String>,
}

/// The states of a license key.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Seats can be taken and validated.
    Active,
    /// Every machine route answers 403.
    Suspended,
}

/// `POST /api/v1/assign-license-key` (form or JSON).
#[derive(ToSchema)]
pub struct AssignLicenseKey {
    /// An API token with `manage-license-keys`.
    api_key: String,
    license_key: String,
    owner_name: Option<String>,
    email: Option<String>,
}

/// The signed part of an assignment envelope.
#[derive(ToSchema)]
pub struct AssignResult {
    /// 800 assigned, 801 invalid or already assigned, 802 bad api_key.
    code: u32,
    message: String,
    /// Unix seconds.
    timestamp: i64,
    /// The license key the answer is for (canonical form), `null` when the request had none
    /// that parses.
    license_key: Option<String>,
    /// The owner's name, when the request named one.
    owner_name: Option<String>,
    /// The owner's email, when the request named one.
    email: Option<String>,
}

/// The signed envelope of seed 002.
#[derive(ToSchema)]
pub struct AssignEnvelope {
    response: AssignResult,
    /// Standard base64 of the exact JSON bytes of `response`.
    response_base64: String,
    /// `global`: the server's signing key.
    private_key_used: String,
    /// Base64 RSA PKCS#1 v1.5 SHA-256 over the bytes of `response_base64`.
    signature: String,
}

/// `POST /api/v1/licenses.add`.
#[derive(ToSchema)]
pub struct ApplyLicense {
    /// The license file's text.
    license: String,
}

/// `{"success": true}`.
#[derive(ToSchema)]
pub struct Success {
    success: bool,
}

/// `{"success": false, "error": ...}`.
#[derive(ToSchema)]
pub struct Failure {
    success: bool,
    error: String,
}

/// 401 of the workspace routes.
#[derive(ToSchema)]
pub struct NotLoggedIn {
    /// `error`.
    status: String,
    message: String,
}

/// The claims of the applied license.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AppliedLicenseDetails {
    license_id: String,
    customer_id: String,
    expiry: Option<String>,
    license_type: String,
    created_at: String,
    features: Option<BTreeMap<String, Value>>,
}

/// The applied license and whether it is valid now.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AppliedLicense {
    valid: bool,
    /// ACTIVE, IN_GRACE, EXPIRED, NOT_YET_VALID, BAD_SIGNATURE, UNKNOWN_KEY, WRONG_MACHINE,
    /// WRONG_PRODUCT, UNSUPPORTED_ALGORITHM, MALFORMED, ...
    status: String,
    /// Why it is not valid, or empty.
    reason: String,
    applied_by: String,
    applied_at: Option<String>,
    details: Option<AppliedLicenseDetails>,
}

/// `GET /api/v1/licenses.info`.
#[derive(ToSchema)]
pub struct WorkspaceInfo {
    success: bool,
    /// Null when no license was applied.
    license: Option<AppliedLicense>,
}

/// The body of every `/license/*` route.
#[derive(ToSchema)]
pub struct ActivationRequest {
    /// `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`.
    #[schema(
        pattern = "^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){4}$",
        example = "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY"
    )]
    license_key: String,
    /// 64 hexadecimal characters (`licet machine-id`).
    #[schema(pattern = "^[0-9a-fA-F]{64}$")]
    machine_id: String,
    /// Optional: 16 to 128 characters of base64url, echoed in the signed `data` so the client
    /// can tell this answer from a replayed one.
    #[schema(pattern = "^[A-Za-z0-9_-]{16,128}$")]
    nonce: Option<String>,
    /// Optional: the machine's hostname, 1 to 253 bytes without control characters; stored with
    /// a new seat for the administrator.
    #[schema(min_length = 1, max_length = 253)]
    hostname: Option<String>,
}

/// The signed seat data.
#[derive(ToSchema)]
pub struct SeatData {
    license_key: String,
    machine_id: String,
    /// `active`, or `deactivated` on deactivate.
    status: String,
    activated_at: Option<String>,
    expires_at: Option<String>,
    max_activations: i64,
    activations: i64,
    features: Option<BTreeMap<String, Value>>,
    /// A licet license file bound to the machine (activate and validate only).
    license_file: Option<String>,
    /// The server's time when it signed the answer, Unix seconds.
    timestamp: i64,
    /// The request's nonce, echoed exactly (absent when the request carried none).
    nonce: Option<String>,
}

/// `{"data": ..., "signature": base64 RSA-SHA256 over the JCS form of data}`.
#[derive(ToSchema)]
pub struct SignedSeat {
    data: SeatData,
    signature: String,
}

/// The `/license/*` error body.
#[derive(ToSchema)]
pub struct Message {
    message: String,
}

/// 422 of the `/license/*` routes: field-level errors.
#[derive(ToSchema)]
pub struct InvalidData {
    /// `The given data was invalid.`
    message: String,
    /// Field name (`license_key`, `machine_id`, or `body`) to its errors.
    errors: BTreeMap<String, Vec<String>>,
}

/// `GET /healthz`.
#[derive(ToSchema)]
pub struct Health {
    /// `ok`.
    #[schema(example = "ok")]
    status: String,
}

/// The signing keys the server holds, by `kid`.
#[derive(ToSchema)]
pub struct LoadedKeys {
    /// The key that signs responses.
    response_signing_key: String,
    /// The key that signs seat licenses.
    license_signing_key: String,
}

/// `GET /readyz`.
#[derive(ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    #[schema(example = "ready")]
    status: String,
    /// `ok` or `unavailable`.
    database: String,
    keys: LoadedKeys,
    /// What is wrong; empty when ready.
    problems: Vec<String>,
}

/// A JWKS.
#[derive(ToSchema)]
pub struct Jwks {
    keys: Vec<BTreeMap<String, Value>>,
}

/// The responses of every `/license/*` route; each one but a 500 carries the rate-limit headers.
#[derive(utoipa::IntoResponses)]
pub enum ActivationResponses {
    /// Signed seat data.
    #[response(status = 200, description = "Signed seat data", headers(
        ("x-ratelimit-limit" = u32, description = "Requests allowed per minute"),
        ("x-ratelimit-remaining" = u32, description = "Requests left in this minute"),
        ("x-ratelimit-reset" = i64, description = "When the window resets, Unix seconds"),
    ))]
    Signed(SignedSeat),
    /// The body could not be read.
    #[response(status = 400, description = "The body could not be read", headers(
        ("x-ratelimit-limit" = u32, description = "Requests allowed per minute"),
        ("x-ratelimit-remaining" = u32, description = "Requests left in this minute"),
        ("x-ratelimit-reset" = i64, description = "When the window resets, Unix seconds"),
    ))]
    Unreadable(Message),
    /// Suspended or expired key, or no seat.
    #[response(
        status = 403,
        description = "Suspended or expired key, or (validate, deactivate) the machine holds no seat",
        headers(
        ("x-ratelimit-limit" = u32, description = "Requests allowed per minute"),
        ("x-ratelimit-remaining" = u32, description = "Requests left in this minute"),
        ("x-ratelimit-reset" = i64, description = "When the window resets, Unix seconds"),
    )
    )]
    Forbidden(Message),
    /// Unknown key.
    #[response(status = 404, description = "License key not found", headers(
        ("x-ratelimit-limit" = u32, description = "Requests allowed per minute"),
        ("x-ratelimit-remaining" = u32, description = "Requests left in this minute"),
        ("x-ratelimit-reset" = i64, description = "When the window resets, Unix seconds"),
    ))]
    NotFound(Message),
    /// No seat left.
    #[response(status = 409, description = "Activation limit reached (activate only)", headers(
        ("x-ratelimit-limit" = u32, description = "Requests allowed per minute"),
        ("x-ratelimit-remaining" = u32, description = "Requests left in this minute"),
        ("x-ratelimit-reset" = i64, description = "When the window resets, Unix seconds"),
    ))]
    LimitReached(Message),
    /// Too large.
    #[response(status = 413, description = "The body is over 16 KiB", headers(
        ("x-ratelimit-limit" = u32, description = "Requests allowed per minute"),
        ("x-ratelimit-remaining" = u32, description = "Requests left in this minute"),
        ("x-ratelimit-reset" = i64, description = "When the window resets, Unix seconds"),
    ))]
    TooLarge(Message),
    /// Field errors.
    #[response(status = 422, description = "A field is missing or malformed", headers(
        ("x-ratelimit-limit" = u32, description = "Requests allowed per minute"),
        ("x-ratelimit-remaining" = u32, description = "Requests left in this minute"),
        ("x-ratelimit-reset" = i64, description = "When the window resets, Unix seconds"),
    ))]
    Invalid(InvalidData),
    /// Rate limited.
    #[response(status = 429, description = "Rate limited; see Retry-After", headers(
        ("x-ratelimit-limit" = u32, description = "Requests allowed per minute"),
        ("x-ratelimit-remaining" = u32, description = "Requests left in this minute"),
        ("x-ratelimit-reset" = i64, description = "When the window resets, Unix seconds"),
    ))]
    RateLimited(Message),
    /// Internal error.
    #[response(status = 500, description = "Internal Server Error")]
    Internal(Message),
}
