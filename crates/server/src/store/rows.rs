//! Rows to records, one mapping for every library that reads them (sqlx on SQLite or
//! PostgreSQL, rusqlite in the SQLite store's inline reader).

use super::{
    Activation, AdminEntry, AdminLogRecord, ApiToken, CertificateKey, CertificateRecord,
    ConsoleSession, Department, InstalledLicense, LicenseKeyRecord, StoreError,
};
use crate::auth::Permission;

/// A result row by column name, whichever library read it: one mapping from columns to
/// records for all of them.
pub(crate) trait Columns {
    fn int(&self, name: &str) -> Result<i64, StoreError>;
    fn opt_int(&self, name: &str) -> Result<Option<i64>, StoreError>;
    fn text(&self, name: &str) -> Result<String, StoreError>;
    fn opt_text(&self, name: &str) -> Result<Option<String>, StoreError>;
    fn blob(&self, name: &str) -> Result<Vec<u8>, StoreError>;
    fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// A yes/no column (SQLite stores 0 or 1, PostgreSQL a boolean).
    fn flag(&self, name: &str) -> Result<bool, StoreError>;
}

/// A row of a backend's `FIND_SEAT`: the key, its seat count and `machine_id`'s seat.
pub(crate) fn seat_from_columns(
    row: &impl Columns,
    machine_id: &str,
) -> Result<(LicenseKeyRecord, i64, Option<Activation>), StoreError> {
    let seat = match row.opt_text("seat_license_id")? {
        Some(license_id) => Some(Activation {
            machine_id: machine_id.to_owned(),
            license_id,
            activated_at: row.int("seat_activated_at")?,
            hostname: row.opt_text("seat_hostname")?,
            last_validated_at: row.opt_int("seat_last_validated_at")?,
        }),
        None => None,
    };
    Ok((key_from_columns(row)?, row.int("activation_count")?, seat))
}

pub(crate) fn key_from_columns(row: &impl Columns) -> Result<LicenseKeyRecord, StoreError> {
    let features = match row.opt_text("features")? {
        Some(text) => match serde_json::from_str(&text) {
            Ok(serde_json::Value::Object(map)) => Some(map),
            _ => {
                return Err(StoreError(
                    "a stored features value is not a JSON object".into(),
                ))
            }
        },
        None => None,
    };
    Ok(LicenseKeyRecord {
        key_sha256: row.blob("key_sha256")?,
        id: row.text("id")?,
        key_hint: row.opt_text("key_hint")?,
        customer: row.text("customer")?,
        product: row.opt_text("product")?,
        license_type: row.text("license_type")?,
        features,
        max_activations: row.int("max_activations")?,
        expires_at: row.opt_int("expires_at")?,
        lease_days: row.opt_int("lease_days")?,
        status: row.text("status")?,
        owner_name: row.opt_text("owner_name")?,
        owner_email: row.opt_text("owner_email")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

/// A row of `api_tokens`.
pub(crate) fn token_from_columns(row: &impl Columns) -> Result<ApiToken, StoreError> {
    let permissions = row.text("permissions")?;
    Ok(ApiToken {
        id: row.text("id")?,
        user_id: row.text("user_id")?,
        token_sha256: row.blob("token_sha256")?,
        permissions: permissions
            .split_whitespace()
            .filter_map(|p| p.parse::<Permission>().ok())
            .collect(),
        created_at: row.int("created_at")?,
        expires_at: row.opt_int("expires_at")?,
        revoked_at: row.opt_int("revoked_at")?,
    })
}

fn json_column(row: &impl Columns, name: &str) -> Result<Option<serde_json::Value>, StoreError> {
    row.opt_text(name)?
        .map(|t| {
            serde_json::from_str(&t)
                .map_err(|e| StoreError(format!("a stored admin_log.{name} is not JSON: {e}")))
        })
        .transpose()
}

/// A row of `admin_log`.
pub(crate) fn admin_log_from_columns(row: &impl Columns) -> Result<AdminLogRecord, StoreError> {
    Ok(AdminLogRecord {
        seq: row.int("seq")?,
        entry: AdminEntry {
            at: row.int("at")?,
            token_id: row.opt_text("token_id")?,
            user_id: row.text("user_id")?,
            action: row.text("action")?,
            target: row.text("target")?,
            before: json_column(row, "before")?,
            after: json_column(row, "after")?,
        },
    })
}

/// A row of `installed_licenses`.
pub(crate) fn license_from_columns(row: &impl Columns) -> Result<InstalledLicense, StoreError> {
    Ok(InstalledLicense {
        license_id: row.text("license_id")?,
        customer_id: row.text("customer_id")?,
        license_type: row.text("license_type")?,
        issued_at: row.int("issued_at")?,
        expires_at: row.opt_int("expires_at")?,
        kid: row.text("kid")?,
        file: row.text("file")?,
        enabled: row.flag("enabled")?,
        installed_at: row.int("installed_at")?,
        updated_at: row.int("updated_at")?,
    })
}

/// The columns of `installed_licenses`, in the order the stores bind them.
pub(crate) const LICENSE_COLUMNS: &str =
    "license_id, customer_id, license_type, issued_at, expires_at, kid, file, enabled, installed_at, updated_at";

/// A row of `activations`.
pub(crate) fn activation_from_columns(row: &impl Columns) -> Result<Activation, StoreError> {
    Ok(Activation {
        machine_id: row.text("machine_id")?,
        license_id: row.text("license_id")?,
        activated_at: row.int("activated_at")?,
        hostname: row.opt_text("hostname")?,
        last_validated_at: row.opt_int("last_validated_at")?,
    })
}

/// A row of `departments`.
pub(crate) fn department_from_columns(row: &impl Columns) -> Result<Department, StoreError> {
    Ok(Department {
        id: row.text("id")?,
        name: row.text("name")?,
        created_at: row.int("created_at")?,
    })
}

/// A row of `certificates` joined with its department's name (`department_name`).
pub(crate) fn certificate_from_columns(
    row: &impl Columns,
) -> Result<(CertificateRecord, String), StoreError> {
    let key = match (
        row.opt_blob("encrypted_key")?,
        row.opt_text("pkcs11_uri")?,
        row.opt_text("pin_reference")?,
    ) {
        (Some(sealed), None, None) => CertificateKey::Sealed(sealed),
        (None, Some(uri), Some(pin_reference)) => CertificateKey::Token { uri, pin_reference },
        _ => {
            return Err(StoreError(
                "a certificate row has both or neither of a sealed key and a token reference"
                    .into(),
            ))
        }
    };
    Ok((
        CertificateRecord {
            id: row.text("id")?,
            name: row.text("name")?,
            certificate_type: row.text("certificate_type")?,
            subject: row.text("subject")?,
            kid: row.text("kid")?,
            expiry: row.opt_int("expiry")?,
            department_id: row.text("department_id")?,
            enabled: row.flag("enabled")?,
            certificate_der: row.blob("certificate_der")?,
            key,
            created_at: row.int("created_at")?,
        },
        row.text("department_name")?,
    ))
}

/// The SQL text of a features map (a JSON object), as both stores keep it.
pub(crate) fn features_text(
    features: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Option<String> {
    features.map(|f| serde_json::Value::Object(f.clone()).to_string())
}

/// A row of `console_sessions`.
pub(crate) fn session_from_columns(row: &impl Columns) -> Result<ConsoleSession, StoreError> {
    Ok(ConsoleSession {
        session_sha256: row.blob("session_sha256")?,
        token_sha256: row.blob("token_sha256")?,
        created_at: row.int("created_at")?,
        expires_at: row.int("expires_at")?,
    })
}
