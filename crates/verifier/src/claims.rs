//! License claims: the typed, validated content of a license file's payload, shared by the
//! verifier (which reads it) and the issuer (which writes it), so the two cannot disagree.

use crate::json::type_name;
use crate::license_key::LicenseKey;
use crate::machine::MachineId;
use crate::timestamp::UnixTime;
use serde_json::{Map, Number, Value};
use std::fmt;

/// The largest `grace_days` accepted: 100 years.
pub const MAX_GRACE_DAYS: u32 = 36_500;

/// A license type: an upper-case word (`TRIAL`, `STANDARD`, `ENTERPRISE_2`, ...), at most 32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LicenseType(String);

impl LicenseType {
    /// The default type, `STANDARD`.
    pub fn standard() -> Self {
        LicenseType("STANDARD".into())
    }

    /// Parses a type that must already be an upper-case word.
    pub fn parse(text: &str) -> Result<Self, String> {
        let ok = !text.is_empty()
            && text.len() <= 32
            && text.as_bytes()[0].is_ascii_uppercase()
            && text
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(LicenseType(text.to_owned()))
        } else {
            Err(format!(
                "{} is not a license type: expected an upper-case word of letters, digits and `_`, such as TRIAL or STANDARD",
                crate::jws::quote(text)
            ))
        }
    }

    /// The type's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LicenseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A claim is missing or of the wrong type or format. The message names the claim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("claim `{claim}` {problem}")]
pub struct ClaimError {
    /// The claim's name.
    pub claim: String,
    /// What is wrong with it.
    pub problem: String,
}

/// The claims of a license file (see docs/FORMAT.md for the JSON names).
#[derive(Debug, Clone, PartialEq)]
pub struct LicenseClaims {
    /// `jti`: the license id.
    pub license_id: String,
    /// `sub`: the customer id.
    pub customer_id: String,
    /// `iat`: when the license was issued.
    pub issued_at: UnixTime,
    /// `nbf`: not valid before this instant.
    pub not_before: Option<UnixTime>,
    /// `exp`: expired on and after this instant; `None` is perpetual.
    pub expires_at: Option<UnixTime>,
    /// `entitlement_exp`: when the entitlement behind the file ends (the license key's expiry),
    /// which may be later than `exp` for a seat file that expires at the end of its lease;
    /// `None` when the entitlement is perpetual or not stated. Informative: the verifier decides
    /// on `exp`, and does not require `exp <= entitlement_exp`.
    pub entitlement_expires_at: Option<UnixTime>,
    /// `iss`: the vendor.
    pub issuer: Option<String>,
    /// `aud`: the product.
    pub product: Option<String>,
    /// `license_type`: `STANDARD` when absent.
    pub license_type: LicenseType,
    /// `features`: entitlements, a JSON object.
    pub features: Option<Map<String, Value>>,
    /// `machine_ids`: the machines the license is bound to; `None` is not node-locked.
    pub machine_ids: Option<Vec<MachineId>>,
    /// `license_key`: the license key this file was issued for.
    pub license_key: Option<LicenseKey>,
    /// `owner_name`.
    pub owner_name: Option<String>,
    /// `owner_email`.
    pub owner_email: Option<String>,
    /// `grace_days`: days after `exp` during which the license still works (IN_GRACE).
    pub grace_days: Option<u32>,
    /// Every other claim, kept as it is (for example `nonce`). Never used for a decision by
    /// [`crate::verify_license`]; a pool license's terms (`seats`, `max_lease_ttl`, `cnf`) are read
    /// from here by [`crate::lease::PoolTerms`].
    pub other: Map<String, Value>,
}

/// The claim names licet defines; every other name goes to [`LicenseClaims::other`].
pub const KNOWN_CLAIMS: [&str; 15] = [
    "jti",
    "sub",
    "iat",
    "nbf",
    "exp",
    "entitlement_exp",
    "iss",
    "aud",
    "license_type",
    "features",
    "machine_ids",
    "license_key",
    "owner_name",
    "owner_email",
    "grace_days",
];

impl LicenseClaims {
    /// Claims with the three required ones and nothing else: type STANDARD, perpetual, not bound
    /// to machines. Set the others with struct update syntax:
    ///
    /// ```
    /// use licet_verifier::{LicenseClaims, UnixTime};
    /// let iat = UnixTime::from_secs(1_790_000_000)?;
    /// let claims = LicenseClaims {
    ///     expires_at: Some(iat.saturating_add(365 * 86_400)),
    ///     product: Some("app".into()),
    ///     ..LicenseClaims::new("L-1", "ACME-001", iat)
    /// };
    /// assert_eq!(claims.license_type.as_str(), "STANDARD");
    /// # Ok::<(), licet_verifier::TimeError>(())
    /// ```
    pub fn new(
        license_id: impl Into<String>,
        customer_id: impl Into<String>,
        issued_at: UnixTime,
    ) -> Self {
        LicenseClaims {
            license_id: license_id.into(),
            customer_id: customer_id.into(),
            issued_at,
            not_before: None,
            expires_at: None,
            entitlement_expires_at: None,
            issuer: None,
            product: None,
            license_type: LicenseType::standard(),
            features: None,
            machine_ids: None,
            license_key: None,
            owner_name: None,
            owner_email: None,
            grace_days: None,
            other: Map::new(),
        }
    }

    /// Reads and validates claims from a JSON object.
    pub fn from_json(mut map: Map<String, Value>) -> Result<Self, ClaimError> {
        let mut claims = LicenseClaims {
            license_id: required(&mut map, "jti", non_empty_string)?,
            customer_id: required(&mut map, "sub", non_empty_string)?,
            issued_at: required(&mut map, "iat", numeric_date)?,
            not_before: optional(&mut map, "nbf", numeric_date)?,
            expires_at: optional(&mut map, "exp", numeric_date)?,
            entitlement_expires_at: optional(&mut map, "entitlement_exp", numeric_date)?,
            issuer: optional(&mut map, "iss", non_empty_string)?,
            product: optional(&mut map, "aud", non_empty_string)?,
            license_type: optional(&mut map, "license_type", |v| {
                LicenseType::parse(&owned_string(v)?)
            })?
            .unwrap_or_else(LicenseType::standard),
            features: optional(&mut map, "features", |v| match v {
                Value::Object(m) => Ok(m),
                other => Err(format!("must be a JSON object, not {}", type_name(&other))),
            })?,
            machine_ids: optional(&mut map, "machine_ids", machine_ids)?,
            license_key: optional(&mut map, "license_key", |v| {
                LicenseKey::parse_canonical(&owned_string(v)?)
                    .map_err(|e| format!("is invalid: {e}"))
            })?,
            owner_name: optional(&mut map, "owner_name", non_empty_string)?,
            owner_email: optional(&mut map, "owner_email", non_empty_string)?,
            grace_days: optional(&mut map, "grace_days", |v| match v.as_u64() {
                Some(n) if n <= u64::from(MAX_GRACE_DAYS) => Ok(n as u32),
                _ => Err(format!(
                    "must be a whole number of days from 0 to {MAX_GRACE_DAYS}, not {}",
                    describe(&v)
                )),
            })?,
            other: Map::new(),
        };
        claims.other = map;
        Ok(claims)
    }

    /// The claims as the JSON object that is signed.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut map = self.other.clone();
        let mut put = |name: &str, value: Value| {
            map.insert(name.to_owned(), value);
        };
        let time = |t: UnixTime| Value::Number(Number::from(t.as_secs()));
        put("jti", Value::String(self.license_id.clone()));
        put("sub", Value::String(self.customer_id.clone()));
        put("iat", time(self.issued_at));
        if let Some(t) = self.not_before {
            put("nbf", time(t));
        }
        if let Some(t) = self.expires_at {
            put("exp", time(t));
        }
        if let Some(t) = self.entitlement_expires_at {
            put("entitlement_exp", time(t));
        }
        if let Some(s) = &self.issuer {
            put("iss", Value::String(s.clone()));
        }
        if let Some(s) = &self.product {
            put("aud", Value::String(s.clone()));
        }
        put(
            "license_type",
            Value::String(self.license_type.as_str().to_owned()),
        );
        if let Some(f) = &self.features {
            put("features", Value::Object(f.clone()));
        }
        if let Some(ids) = &self.machine_ids {
            put(
                "machine_ids",
                Value::Array(
                    ids.iter()
                        .map(|m| Value::String(m.as_str().to_owned()))
                        .collect(),
                ),
            );
        }
        if let Some(k) = &self.license_key {
            put("license_key", Value::String(k.as_str().to_owned()));
        }
        if let Some(s) = &self.owner_name {
            put("owner_name", Value::String(s.clone()));
        }
        if let Some(s) = &self.owner_email {
            put("owner_email", Value::String(s.clone()));
        }
        if let Some(d) = self.grace_days {
            put("grace_days", Value::Number(d.into()));
        }
        map
    }

    /// The end of the grace period: `exp` plus `grace_days`, or `None` for a perpetual license.
    pub fn grace_ends_at(&self) -> Option<UnixTime> {
        self.expires_at
            .map(|exp| exp.saturating_add(i64::from(self.grace_days.unwrap_or(0)) * 86_400))
    }
}

pub(crate) fn required<T>(
    map: &mut Map<String, Value>,
    claim: &str,
    parse: impl FnOnce(Value) -> Result<T, String>,
) -> Result<T, ClaimError> {
    optional(map, claim, parse)?.ok_or_else(|| ClaimError {
        claim: claim.into(),
        problem: "is missing".into(),
    })
}

pub(crate) fn optional<T>(
    map: &mut Map<String, Value>,
    claim: &str,
    parse: impl FnOnce(Value) -> Result<T, String>,
) -> Result<Option<T>, ClaimError> {
    match map.remove(claim) {
        None => Ok(None),
        // A present `null` is a wrong type, not an absent claim: `exp: null` must not mean perpetual.
        Some(value) => parse(value).map(Some).map_err(|problem| ClaimError {
            claim: claim.into(),
            problem,
        }),
    }
}

pub(crate) fn owned_string(value: Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(format!("must be a string, not {}", describe(&other))),
    }
}

pub(crate) fn non_empty_string(value: Value) -> Result<String, String> {
    let s = owned_string(value)?;
    if s.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(s)
    }
}

pub(crate) fn numeric_date(value: Value) -> Result<UnixTime, String> {
    let seconds = match &value {
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
    .ok_or_else(|| {
        format!(
            "must be a NumericDate (whole seconds since 1970 as a JSON integer), not {}",
            describe(&value)
        )
    })?;
    UnixTime::from_secs(seconds).map_err(|e| format!("is out of range: {e}"))
}

fn machine_ids(value: Value) -> Result<Vec<MachineId>, String> {
    let Value::Array(items) = value else {
        return Err(format!(
            "must be an array of machine ids, not {}",
            describe(&value)
        ));
    };
    if items.is_empty() {
        return Err("must hold at least one machine id (leave the claim out for a license that is not node-locked)".into());
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let text = owned_string(item).map_err(|e| format!("item {i} {e}"))?;
            MachineId::parse_canonical(&text).map_err(|_| {
                format!(
                    "item {i} is not 64 lowercase hexadecimal characters (a SHA-256 machine id)"
                )
            })
        })
        .collect()
}

pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {}", crate::jws::quote(s)),
        other => type_name(other).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Map<String, Value> {
        json!({"jti":"L-1","sub":"C-1","iat":1700000000})
            .as_object()
            .unwrap()
            .clone()
    }

    fn problem(extra: Value) -> String {
        let mut map = base();
        map.extend(extra.as_object().unwrap().clone());
        LicenseClaims::from_json(map).unwrap_err().to_string()
    }

    #[test]
    fn minimal_claims_get_defaults() {
        let claims = LicenseClaims::from_json(base()).unwrap();
        assert_eq!(claims.license_type.as_str(), "STANDARD");
        assert_eq!(claims.expires_at, None);
        assert_eq!(LicenseClaims::from_json(claims.to_json()).unwrap(), claims);
    }

    #[test]
    fn wrong_types_name_the_claim() {
        assert_eq!(problem(json!({"exp":"2027-01-01"})), "claim `exp` must be a NumericDate (whole seconds since 1970 as a JSON integer), not the string `2027-01-01`");
        assert!(problem(json!({"exp":null})).starts_with("claim `exp` must be a NumericDate"));
        assert!(problem(json!({"exp":1.5})).starts_with("claim `exp`"));
        assert_eq!(problem(json!({"entitlement_exp":"2027-01-01"})), "claim `entitlement_exp` must be a NumericDate (whole seconds since 1970 as a JSON integer), not the string `2027-01-01`");
        assert!(problem(json!({"entitlement_exp":null}))
            .starts_with("claim `entitlement_exp` must be a NumericDate"));
        assert!(problem(json!({"entitlement_exp":-1}))
            .starts_with("claim `entitlement_exp` is out of range"));
        assert!(problem(json!({"nbf":-5})).starts_with("claim `nbf` is out of range"));
        assert!(
            problem(json!({"features":[1]})).starts_with("claim `features` must be a JSON object")
        );
        assert!(problem(json!({"machine_ids":["ABC"]})).starts_with("claim `machine_ids` item 0"));
        assert!(problem(json!({"machine_ids":[]})).starts_with("claim `machine_ids` must hold"));
        assert!(problem(json!({"grace_days":-1})).starts_with("claim `grace_days`"));
        assert!(problem(json!({"license_type":"trial"})).starts_with("claim `license_type`"));
        assert!(
            problem(json!({"license_key":"abcde-12345-fghij-67890-klmno"}))
                .starts_with("claim `license_key`")
        );
        assert!(problem(json!({"sub":""})).starts_with("claim `sub` must not be empty"));
    }

    #[test]
    fn entitlement_exp_is_typed_and_may_be_earlier_or_later_than_exp() {
        for (exp, end) in [
            (1_800_000_000, 1_900_000_000),
            (1_900_000_000, 1_800_000_000),
        ] {
            let mut map = base();
            map.insert("exp".into(), json!(exp));
            map.insert("entitlement_exp".into(), json!(end));
            let claims = LicenseClaims::from_json(map).unwrap();
            assert_eq!(
                claims.entitlement_expires_at.map(UnixTime::as_secs),
                Some(end)
            );
            assert!(claims.other.is_empty());
            assert_eq!(LicenseClaims::from_json(claims.to_json()).unwrap(), claims);
        }
    }

    #[test]
    fn missing_required_claims_are_named() {
        let mut map = base();
        map.remove("sub");
        assert_eq!(
            LicenseClaims::from_json(map).unwrap_err().to_string(),
            "claim `sub` is missing"
        );
    }

    #[test]
    fn unknown_claims_are_kept() {
        let mut map = base();
        map.insert("nonce".into(), json!("abc"));
        let claims = LicenseClaims::from_json(map).unwrap();
        assert_eq!(claims.other["nonce"], json!("abc"));
        assert_eq!(claims.to_json()["nonce"], json!("abc"));
    }
}
