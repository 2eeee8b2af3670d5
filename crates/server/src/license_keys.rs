//! Creating and changing license keys: one rule set for `POST /api/v1/license-keys`,
//! `PATCH /api/v1/license-keys/{key}` and `licet license-key create --db` (vendors who never run
//! the server).

use crate::activation::{check_seat_files_can_be_minted, key_hash, LEASE_DAYS};
use crate::store::{KeyChanges, LicenseKeyRecord, Store, StoreError};
use licet_verifier::{LicenseKey, LicenseType};
use serde::{Deserialize, Deserializer};
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
    /// Days a seat's license file lasts ([`LEASE_DAYS`]); absent or null is the default (30
    /// days online; offline, the key's expiry).
    #[serde(default, deserialize_with = "lease_days_field")]
    pub lease_days: Option<i64>,
}

/// `lease_days` as JSON: a whole number or null; the error names the field.
fn lease_days_field<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    parse_lease_days(&Value::deserialize(deserializer)?).map_err(serde::de::Error::custom)
}

fn lease_days_rule() -> String {
    format!(
        "`lease_days` must be a whole number of days from {} to {}, or null for the default (30 days online)",
        LEASE_DAYS.start(),
        LEASE_DAYS.end()
    )
}

/// Reads a `lease_days` value: `null` is the default (`None`), else a whole number in
/// [`LEASE_DAYS`].
pub fn parse_lease_days(value: &Value) -> Result<Option<i64>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => match n.as_i64() {
            Some(days) if LEASE_DAYS.contains(&days) => Ok(Some(days)),
            _ => Err(format!("{}, not {n}", lease_days_rule())),
        },
        other => Err(format!("{}, not {}", lease_days_rule(), describe(other))),
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
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
    if new
        .lease_days
        .is_some_and(|days| !LEASE_DAYS.contains(&days))
    {
        return Err(invalid(lease_days_rule()));
    }
    let license_type = match &new.license_type {
        Some(t) => LicenseType::parse(t).map_err(|e| invalid(format!("`license_type`: {e}")))?,
        None => LicenseType::standard(),
    };
    let expires_at = match &new.expires_at {
        Some(text) => {
            let t = licet_issuer::parse_date(text, licet_issuer::DateMeaning::ThroughEndOfDay)
                .map_err(|e| invalid(format!("`expires_at`: {e}")))?;
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
        lease_days: new.lease_days,
        status: "active".into(),
        owner_name: None,
        owner_email: None,
        created_at: now,
        updated_at: now,
    };
    // A key whose seats could never get a license file is refused now, not at every activation.
    check_seat_files_can_be_minted(&record, now).map_err(invalid)?;
    store.insert_license_key(&record).await?;
    Ok((key, record))
}

/// The fields `PATCH /api/v1/license-keys/{key}` takes.
pub const KEY_CHANGE_FIELDS: [&str; 3] = ["status", "lease_days", "features"];

/// Reads the body of `PATCH /api/v1/license-keys/{key}`: an object with at least one of
/// `status` (`active` or `suspended`), `lease_days` (whole days, or null for the default) and
/// `features` (an object, or null for none). An absent field is left as it is.
pub fn parse_key_changes(body: &Value) -> Result<KeyChanges, String> {
    let Value::Object(fields) = body else {
        return Err(
            "the body must be a JSON object with `status`, `lease_days` or `features`".into(),
        );
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| !KEY_CHANGE_FIELDS.contains(&k.as_str()))
    {
        return Err(format!(
            "unknown field {}: the fields are `status`, `lease_days` and `features`",
            licet_verifier::jws::quote(unknown)
        ));
    }
    let mut changes = KeyChanges::default();
    if let Some(status) = fields.get("status") {
        match status.as_str() {
            Some(s @ ("active" | "suspended")) => changes.status = Some(s.to_owned()),
            _ => return Err("`status` must be `active` or `suspended`".into()),
        }
    }
    if let Some(days) = fields.get("lease_days") {
        changes.lease_days = Some(parse_lease_days(days)?);
    }
    if let Some(features) = fields.get("features") {
        changes.features = Some(match features {
            Value::Null => None,
            Value::Object(map) => {
                check_feature_numbers(features).map_err(|m| format!("`features`: {m}"))?;
                Some(map.clone())
            }
            other => {
                return Err(format!(
                    "`features` must be a JSON object or null, not {}",
                    describe(other)
                ))
            }
        });
    }
    if changes.is_empty() {
        return Err("the body names no change: give `status`, `lease_days` or `features`".into());
    }
    Ok(changes)
}

/// Applies `changes` to the key with this hash, after checking that its seats' license files
/// could still be minted; `None` when there is no such key.
pub async fn update_license_key(
    store: &dyn Store,
    key_sha256: &[u8],
    changes: &KeyChanges,
    now: i64,
) -> Result<Option<(LicenseKeyRecord, i64)>, CreateKeyError> {
    let Some((current, _)) = store.get_license_key(key_sha256).await? else {
        return Ok(None);
    };
    if changes.features.is_some() || changes.lease_days.is_some() {
        check_seat_files_can_be_minted(&changes.apply_to(&current), now)
            .map_err(CreateKeyError::Invalid)?;
    }
    Ok(store.update_license_key(key_sha256, changes, now).await?)
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
