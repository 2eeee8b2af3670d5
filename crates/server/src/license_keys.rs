//! Creating, listing, showing and changing license keys and freeing their seats: one rule set
//! for the `/api/v1/license-keys` routes and the `licet license-key` commands with `--db`
//! (vendors who never run the server). Every change is written to the audit log in the same
//! transaction.

use crate::activation::{
    activate_by_hash, check_hostname, check_seat_files_can_be_minted, key_hash, LEASE_DAYS,
};
use crate::admin::{actions, Actor};
use crate::store::{
    ActivateError, Activation, ActivationOutcome, KeyChanges, KeyFilter, LicenseKeyRecord,
    PageRequest, SeatFileError, Store, StoreError,
};
use licet_verifier::{LicenseKey, LicenseType, MachineId};
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

/// Checks `new`, makes a random key, and stores its hash with the record, a new id and the key's
/// last 4 characters as its hint; the audit log names `actor`. The key itself is returned once
/// and stored nowhere.
pub async fn create_license_key(
    store: &dyn Store,
    actor: &Actor,
    new: NewLicenseKey,
    now: i64,
) -> Result<(LicenseKey, LicenseKeyRecord), CreateKeyError> {
    let invalid = |m: String| CreateKeyError::Invalid(m);
    crate::text::check_key_text(
        [
            ("customer", Some(new.customer.as_str())),
            ("product", new.product.as_deref()),
            ("license_type", new.license_type.as_deref()),
            ("expires_at", new.expires_at.as_deref()),
        ],
        new.features.as_ref(),
    )
    .map_err(invalid)?;
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
        id: uuid::Uuid::new_v4().to_string(),
        key_hint: Some(key_hint(&key)),
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
    let log = actor.entry(
        now,
        actions::KEY_CREATE,
        &record.id,
        None,
        Some(record.audit_view()),
    );
    store.insert_license_key(&record, Some(&log)).await?;
    Ok((key, record))
}

/// The display hint of a key: its last 4 characters (of the canonical text), enough for an
/// operator to tell keys apart and far too little to guess one (the key has 118.9 random bits).
pub fn key_hint(key: &LicenseKey) -> String {
    let text = key.as_str();
    text[text.len() - 4..].to_owned()
}

/// How an administrator names a key: by its text, or by its id (a UUID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// The key's text.
    Key(LicenseKey),
    /// The key's id, hyphenated lowercase.
    Id(String),
}

impl KeyRef {
    /// Reads a key's text (any form `LicenseKey::parse` takes) or id (a UUID). The two never
    /// overlap: a key has 25 symbols, a UUID 32 hexadecimal digits.
    pub fn parse(text: &str) -> Result<KeyRef, String> {
        if let Ok(id) = uuid::Uuid::parse_str(text.trim()) {
            return Ok(KeyRef::Id(id.hyphenated().to_string()));
        }
        LicenseKey::parse(text).map(KeyRef::Key).map_err(|e| {
            format!("{e}; or give the key's id (a UUID, as `licet license-key list` shows)")
        })
    }

    /// The key's text, when it was named by it.
    pub fn key(&self) -> Option<&LicenseKey> {
        match self {
            KeyRef::Key(key) => Some(key),
            KeyRef::Id(_) => None,
        }
    }
}

/// The key named by `key_ref` and its seats in use.
pub async fn find_license_key(
    store: &dyn Store,
    key_ref: &KeyRef,
) -> Result<Option<(LicenseKeyRecord, i64)>, StoreError> {
    match key_ref {
        KeyRef::Key(key) => store.get_license_key(&key_hash(key)).await,
        KeyRef::Id(id) => store.get_license_key_by_id(id).await,
    }
}

/// The most seats `GET /api/v1/license-keys/{key}` and `licet license-key show` list (the
/// seat count says how many there are in all).
pub const MAX_SEATS_SHOWN: i64 = 1000;

/// A key with its seats (the first [`MAX_SEATS_SHOWN`], oldest first).
pub async fn show_license_key(
    store: &dyn Store,
    key_ref: &KeyRef,
) -> Result<Option<(LicenseKeyRecord, i64, Vec<Activation>)>, StoreError> {
    let Some((record, count)) = find_license_key(store, key_ref).await? else {
        return Ok(None);
    };
    let seats = store
        .list_seats(&record.key_sha256, MAX_SEATS_SHOWN)
        .await?;
    Ok(Some((record, count, seats)))
}

/// Checks a listing's filters: `status` must be `active` or `suspended`; empty filters are
/// refused (an empty customer matches nothing and is a mistake). The error names the filter.
pub fn check_key_filter(filter: &KeyFilter) -> Result<(), crate::admin::BadParameter> {
    use crate::admin::BadParameter;
    for (name, value) in [
        ("customer", &filter.customer),
        ("product", &filter.product),
        ("status", &filter.status),
    ] {
        if let Some(v) = value {
            if v.is_empty() || v.len() > 1024 {
                return Err(BadParameter::new(name, "must be 1 to 1024 bytes"));
            }
        }
    }
    if let Some(status) = &filter.status {
        if status != "active" && status != "suspended" {
            return Err(BadParameter::new(
                "status",
                "must be `active` or `suspended`",
            ));
        }
    }
    Ok(())
}

/// Keys matching `filter` on one page, with their seats in use, and the number matching.
pub async fn list_license_keys(
    store: &dyn Store,
    filter: &KeyFilter,
    page: PageRequest,
) -> Result<(Vec<(LicenseKeyRecord, i64)>, i64), StoreError> {
    store.list_license_keys(filter, page).await
}

/// Why a seat was not freed.
#[derive(Debug, thiserror::Error)]
pub enum FreeSeatError {
    /// No such key.
    #[error("License key not found")]
    NoKey,
    /// The machine holds no seat of the key; nothing was logged.
    #[error("The machine holds no seat of this license key")]
    NoSeat,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Frees `machine`'s seat of the key as an administrator, logging it (with the seat) in the
/// same transaction. Returns the key, the freed seat and the seats still in use. The caller
/// drops the seat's cached files ([`crate::activation::SeatFileCache::forget`]); the machine,
/// if it activates again, gets a new seat and a new license id.
pub async fn free_seat(
    store: &dyn Store,
    actor: &Actor,
    key_ref: &KeyRef,
    machine: &MachineId,
    now: i64,
) -> Result<(LicenseKeyRecord, Activation, i64), FreeSeatError> {
    let (record, _) = find_license_key(store, key_ref)
        .await?
        .ok_or(FreeSeatError::NoKey)?;
    let log = actor.entry(
        now,
        actions::SEAT_FREE,
        &format!("{}/{}", record.id, machine.as_str()),
        None,
        None,
    );
    let (freed, remaining) = store
        .deactivate(&record.key_sha256, machine.as_str(), Some(&log))
        .await?
        .ok_or(FreeSeatError::NoSeat)?;
    Ok((record, freed, remaining))
}

/// What an administrator's activation did.
// One value per request, moved once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum AdminActivation {
    /// The machine holds a seat: a new one (`new_seat`) or the one it had.
    Active {
        /// The key after the activation.
        record: LicenseKeyRecord,
        /// The seat.
        seat: Activation,
        /// Seats in use.
        activations: i64,
        /// Whether a seat was taken now.
        new_seat: bool,
    },
    /// No such key.
    NotFound,
    /// The key is suspended.
    Suspended,
    /// The key has expired.
    Expired,
    /// Every seat is taken: the holders (the first [`crate::activation::HOLDERS_NAMED`]) and
    /// the seats in use, for the administrator.
    Full {
        /// The key's limit.
        max_activations: i64,
        /// Seats in use.
        in_use: i64,
        /// Machines holding seats.
        holders: Vec<Activation>,
    },
}

/// Why an administrator's activation failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminActivateError {
    /// The hostname is not acceptable; the message says why.
    #[error("{0}")]
    Hostname(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Takes a seat for `machine` as an administrator, with the same rules as `/license/activate`
/// (the same store call), logging a new seat in the same transaction. No license file is made:
/// the machine gets its file from `/license/activate` (which finds the seat), or offline from
/// `licet activation respond`. A full key names the machines that hold its seats.
pub async fn admin_activate(
    store: &dyn Store,
    actor: &Actor,
    key_ref: &KeyRef,
    machine: &MachineId,
    hostname: Option<&str>,
    now: i64,
) -> Result<AdminActivation, AdminActivateError> {
    if let Some(host) = hostname {
        check_hostname(host).map_err(AdminActivateError::Hostname)?;
    }
    let Some((record, _)) = find_license_key(store, key_ref).await? else {
        return Ok(AdminActivation::NotFound);
    };
    let log = actor.entry(
        now,
        actions::SEAT_ACTIVATE,
        &format!("{}/{}", record.id, machine.as_str()),
        None,
        None,
    );
    let mut no_file =
        |_: &LicenseKeyRecord, _: &Activation| Ok::<String, SeatFileError>(String::new());
    let outcome = activate_by_hash(
        store,
        &record.key_sha256,
        machine,
        hostname,
        now,
        &mut no_file,
        Some(&log),
    )
    .await
    .map_err(|e| match e {
        ActivateError::Store(e) => AdminActivateError::Store(e),
        // `no_file` never fails.
        ActivateError::File(e) => AdminActivateError::Store(StoreError(e.to_string())),
    })?;
    Ok(match outcome {
        ActivationOutcome::Active {
            key,
            activation,
            activations,
            new_seat,
            ..
        } => AdminActivation::Active {
            record: key,
            seat: activation,
            activations,
            new_seat,
        },
        ActivationOutcome::NotFound => AdminActivation::NotFound,
        ActivationOutcome::Suspended => AdminActivation::Suspended,
        ActivationOutcome::Expired => AdminActivation::Expired,
        ActivationOutcome::LimitReached { max_activations } => {
            let holders = store
                .list_seats(&record.key_sha256, crate::activation::HOLDERS_NAMED)
                .await?;
            let in_use = store
                .get_license_key(&record.key_sha256)
                .await?
                .map_or(0, |(_, n)| n);
            AdminActivation::Full {
                max_activations,
                in_use,
                holders,
            }
        }
    })
}

/// The fields `PATCH /api/v1/license-keys/{key}` takes.
pub const KEY_CHANGE_FIELDS: [&str; 8] = [
    "status",
    "lease_days",
    "features",
    "max_activations",
    "expires_at",
    "customer",
    "product",
    "license_type",
];

fn field_list() -> String {
    let names: Vec<String> = KEY_CHANGE_FIELDS.iter().map(|f| format!("`{f}`")).collect();
    names.join(", ")
}

/// Reads the body of `PATCH /api/v1/license-keys/{key}`: an object with at least one of
/// `status` (`active` or `suspended`), `lease_days` (whole days, or null for the default),
/// `features` (an object, or null for none), `max_activations` (1 to [`MAX_ACTIVATIONS_LIMIT`]),
/// `expires_at` (RFC 3339 or YYYY-MM-DD, in the future at `now`; null for perpetual),
/// `customer` (not empty), `product` (a string, or null for none) and `license_type`. An absent
/// field is left as it is.
pub fn parse_key_changes(body: &Value, now: i64) -> Result<KeyChanges, String> {
    let Value::Object(fields) = body else {
        return Err(format!(
            "the body must be a JSON object with any of {}",
            field_list()
        ));
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| !KEY_CHANGE_FIELDS.contains(&k.as_str()))
    {
        return Err(format!(
            "unknown field {}: the fields are {}",
            licet_verifier::jws::quote(unknown),
            field_list()
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
    if let Some(max) = fields.get("max_activations") {
        match max.as_i64() {
            Some(n) if (1..=MAX_ACTIVATIONS_LIMIT).contains(&n) => {
                changes.max_activations = Some(n)
            }
            _ => {
                return Err(format!(
                    "`max_activations` must be a whole number from 1 to {MAX_ACTIVATIONS_LIMIT}"
                ))
            }
        }
    }
    if let Some(expires) = fields.get("expires_at") {
        changes.expires_at = Some(match expires {
            Value::Null => None,
            Value::String(text) => Some(parse_expiry(text, now)?),
            other => {
                return Err(format!(
                    "`expires_at` must be RFC 3339, YYYY-MM-DD or null, not {}",
                    describe(other)
                ))
            }
        });
    }
    if let Some(customer) = fields.get("customer") {
        match customer.as_str() {
            Some(c) if !c.trim().is_empty() => changes.customer = Some(c.to_owned()),
            _ => return Err("`customer` must be a non-empty string".into()),
        }
    }
    if let Some(product) = fields.get("product") {
        changes.product = Some(match product {
            Value::Null => None,
            Value::String(p) if p.trim().is_empty() => None,
            Value::String(p) => Some(p.clone()),
            other => {
                return Err(format!(
                    "`product` must be a string or null, not {}",
                    describe(other)
                ))
            }
        });
    }
    if let Some(license_type) = fields.get("license_type") {
        let text = license_type
            .as_str()
            .ok_or("`license_type` must be a string")?;
        let parsed = LicenseType::parse(text).map_err(|e| format!("`license_type`: {e}"))?;
        changes.license_type = Some(parsed.as_str().to_owned());
    }
    if changes.is_empty() {
        return Err(format!(
            "the body names no change: give any of {}",
            field_list()
        ));
    }
    Ok(changes)
}

/// An expiry as `POST /api/v1/license-keys` takes it: RFC 3339, or YYYY-MM-DD (through that
/// day, UTC), in the future.
pub fn parse_expiry(text: &str, now: i64) -> Result<i64, String> {
    let t = licet_issuer::parse_date(text, licet_issuer::DateMeaning::ThroughEndOfDay)
        .map_err(|e| format!("`expires_at`: {e}"))?;
    if t.as_secs() <= now {
        return Err("`expires_at` must be in the future".into());
    }
    Ok(t.as_secs())
}

/// Applies `changes` to the key named by `key_ref`, after checking that its seats' license
/// files could still be minted with the changed record; writes the audit log (the key before
/// and after) in the same transaction. `None` when there is no such key.
///
/// Lowering `max_activations` below the seats in use keeps every seat: the machines that hold
/// one keep validating, and new activations are refused (409) until enough seats are freed.
pub async fn update_license_key(
    store: &dyn Store,
    actor: &Actor,
    key_ref: &KeyRef,
    changes: &KeyChanges,
    now: i64,
) -> Result<Option<(LicenseKeyRecord, i64)>, CreateKeyError> {
    crate::text::check_key_text(
        [
            ("status", changes.status.as_deref()),
            ("customer", changes.customer.as_deref()),
            (
                "product",
                changes.product.as_ref().and_then(Option::as_deref),
            ),
            ("license_type", changes.license_type.as_deref()),
        ],
        changes.features.as_ref().and_then(Option::as_ref),
    )
    .map_err(CreateKeyError::Invalid)?;
    let Some((current, _)) = find_license_key(store, key_ref).await? else {
        return Ok(None);
    };
    check_seat_files_can_be_minted(&changes.apply_to(&current), now)
        .map_err(CreateKeyError::Invalid)?;
    let log = actor.entry(now, actions::KEY_UPDATE, &current.id, None, None);
    Ok(store
        .update_license_key(&current.key_sha256, changes, now, Some(&log))
        .await?)
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
