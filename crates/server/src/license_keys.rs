//! Creating license keys: one rule set for `POST /api/v1/license-keys` and
//! `licet license-key create --db` (vendors who never run the server).

use crate::activation::key_hash;
use crate::store::{LicenseKeyRecord, Store, StoreError};
use licet_verifier::{LicenseKey, LicenseType, UnixTime};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The largest `max_activations`.
pub const MAX_ACTIVATIONS_LIMIT: i64 = 1_000_000;

/// The largest integer a signed response carries exactly: RFC 8785 writes numbers as IEEE 754
/// doubles, so a larger integer would be signed in a rounded form.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// What a new license key is made of (the JSON body of `POST /api/v1/license-keys`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLicenseKey {
    /// The customer; not empty.
    pub customer: String,
    /// The product (`aud` of its license files).
    #[serde(default)]
    pub product: Option<String>,
    /// The license type; STANDARD when absent.
    #[serde(default)]
    pub license_type: Option<String>,
    /// Entitlements copied into license files.
    #[serde(default)]
    pub features: Option<Map<String, Value>>,
    /// Seats: 1 to [`MAX_ACTIVATIONS_LIMIT`].
    pub max_activations: i64,
    /// RFC 3339, in the future; perpetual when absent.
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// Why a key was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateKeyError {
    /// A field is invalid; the message names it.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks `new`, makes a random key, and stores its hash with the record. The key itself is
/// returned once and stored nowhere.
pub async fn create_license_key(
    store: &dyn Store,
    new: NewLicenseKey,
    now: i64,
) -> Result<(LicenseKey, LicenseKeyRecord), CreateKeyError> {
    let invalid = |m: String| CreateKeyError::Invalid(m);
    if new.customer.trim().is_empty() {
        return Err(invalid("`customer` must not be empty".into()));
    }
    if !(1..=MAX_ACTIVATIONS_LIMIT).contains(&new.max_activations) {
        return Err(invalid(format!(
            "`max_activations` must be between 1 and {MAX_ACTIVATIONS_LIMIT}"
        )));
    }
    if let Some(features) = &new.features {
        check_feature_numbers(&Value::Object(features.clone()))
            .map_err(|m| invalid(format!("`features`: {m}")))?;
    }
    let license_type = match &new.license_type {
        Some(t) => LicenseType::parse(t).map_err(|e| invalid(format!("`license_type`: {e}")))?,
        None => LicenseType::standard(),
    };
    let expires_at = match &new.expires_at {
        Some(text) => {
            let t =
                UnixTime::parse_rfc3339(text).map_err(|e| invalid(format!("`expires_at`: {e}")))?;
            if t.as_secs() <= now {
                return Err(invalid("`expires_at` must be in the future".into()));
            }
            Some(t.as_secs())
        }
        None => None,
    };
    let key = licet_issuer::generate_license_key();
    let record = LicenseKeyRecord {
        key_sha256: key_hash(&key),
        customer: new.customer,
        product: new.product.filter(|p| !p.trim().is_empty()),
        license_type: license_type.as_str().to_owned(),
        features: new.features,
        max_activations: new.max_activations,
        expires_at,
        status: "active".into(),
        owner_name: None,
        owner_email: None,
        created_at: now,
        updated_at: now,
    };
    store.insert_license_key(&record).await?;
    Ok((key, record))
}

fn check_feature_numbers(value: &Value) -> Result<(), String> {
    match value {
        Value::Number(n) => {
            let too_big = n.as_u64().is_some_and(|v| v > MAX_SAFE_INTEGER)
                || n.as_i64()
                    .is_some_and(|v| v.unsigned_abs() > MAX_SAFE_INTEGER);
            if too_big {
                Err(format!("the integer {n} is beyond +/-2^53 and cannot be signed exactly (RFC 8785); send it as a string"))
            } else {
                Ok(())
            }
        }
        Value::Array(items) => items.iter().try_for_each(check_feature_numbers),
        Value::Object(map) => map.values().try_for_each(check_feature_numbers),
        _ => Ok(()),
    }
}
