//! The verification report: a verdict, a reason a person can act on, and the license fields under
//! the LicenseVO names of the product's API (camelCase).

use crate::algorithm::Algorithm;
use crate::claims::LicenseClaims;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;

/// The outcome of verifying a license file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Status {
    /// Valid.
    Active,
    /// Expired, but within `grace_days` of its expiry: still valid.
    InGrace,
    /// On or after `exp` (plus leeway and grace).
    Expired,
    /// Before `nbf` (minus leeway).
    NotYetValid,
    /// Node-locked to other machines.
    MachineMismatch,
    /// Issued for another product (`aud`).
    WrongProduct,
    /// The signature does not verify with the trusted key.
    BadSignature,
    /// No trusted key matches the token.
    UnknownKey,
    /// The token's algorithm is not accepted, or not one its key verifies.
    UnsupportedAlgorithm,
    /// The file is not a well-formed license.
    Malformed,
    /// Listed in the revocation list the check was given.
    Revoked,
    /// The system clock reads earlier than a time already seen (beyond the tolerance).
    ClockRollback,
    /// A lease names another pool than the pool license given, or the license given as a pool
    /// is not of type `POOL`.
    WrongPool,
    /// A lease lives longer than its pool license's `max_lease_ttl` allows.
    LeaseTooLong,
    /// Signed by a key that a rollover statement retired, and issued (`iat`) on or after the
    /// retirement date. Licenses the key signed before it stay valid until they expire.
    KeyRetired,
    /// Signed by a key that a revocation list revoked from a date on or before the license's
    /// `iat`, or by a key trusted only through a rollover that a revoked key signed.
    KeyRevoked,
}

impl Status {
    /// Whether a license with this status may be used.
    pub fn is_valid(self) -> bool {
        matches!(self, Status::Active | Status::InGrace)
    }

    /// The status name, as in JSON (`ACTIVE`, `IN_GRACE`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "ACTIVE",
            Status::InGrace => "IN_GRACE",
            Status::Expired => "EXPIRED",
            Status::NotYetValid => "NOT_YET_VALID",
            Status::MachineMismatch => "MACHINE_MISMATCH",
            Status::WrongProduct => "WRONG_PRODUCT",
            Status::BadSignature => "BAD_SIGNATURE",
            Status::UnknownKey => "UNKNOWN_KEY",
            Status::UnsupportedAlgorithm => "UNSUPPORTED_ALGORITHM",
            Status::Malformed => "MALFORMED",
            Status::Revoked => "REVOKED",
            Status::ClockRollback => "CLOCK_ROLLBACK",
            Status::WrongPool => "WRONG_POOL",
            Status::LeaseTooLong => "LEASE_TOO_LONG",
            Status::KeyRetired => "KEY_RETIRED",
            Status::KeyRevoked => "KEY_REVOKED",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A license whose signature verified with a trusted key. Only the verifier constructs it, so code
/// holding one cannot have read the claims of an unverified token.
#[derive(Debug, Clone)]
pub struct VerifiedLicense {
    pub(crate) claims: LicenseClaims,
    pub(crate) kid: String,
    pub(crate) alg: Algorithm,
}

impl VerifiedLicense {
    /// The verified claims.
    pub fn claims(&self) -> &LicenseClaims {
        &self.claims
    }

    /// The kid (thumbprint) of the key that verified the signature.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm of the signature.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }
}

/// The license fields of a report, named as the API's LicenseVO (camelCase). Absent fields are null.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseView {
    /// `jti`.
    pub license_id: String,
    /// `sub`.
    pub customer_id: String,
    /// `exp` as RFC 3339 UTC; null for a perpetual license.
    pub expiry: Option<String>,
    /// The verification status.
    pub status: Status,
    /// `license_type`.
    pub license_type: String,
    /// `iat` as RFC 3339 UTC.
    pub created_at: String,
    /// True when the license is valid.
    pub enabled: bool,
    /// `nbf` as RFC 3339 UTC.
    pub not_before: Option<String>,
    /// `aud`.
    pub product: Option<String>,
    /// `iss`.
    pub issuer: Option<String>,
    /// `features`.
    pub features: Option<Map<String, Value>>,
    /// `machine_ids`.
    pub machine_ids: Option<Vec<String>>,
    /// `license_key`.
    pub license_key: Option<String>,
    /// `owner_name`.
    pub owner_name: Option<String>,
    /// `owner_email`.
    pub owner_email: Option<String>,
    /// `grace_days`.
    pub grace_days: Option<u32>,
    /// `entitlement_exp` as RFC 3339 UTC: when the entitlement ends (a seat file's `exp` is the
    /// end of its lease, often earlier); null when absent.
    pub entitlement_expiry: Option<String>,
}

impl LicenseView {
    /// The view of verified claims with a given status.
    pub fn new(claims: &LicenseClaims, status: Status) -> Self {
        LicenseView {
            license_id: claims.license_id.clone(),
            customer_id: claims.customer_id.clone(),
            expiry: claims.expires_at.map(|t| t.to_rfc3339()),
            status,
            license_type: claims.license_type.as_str().to_owned(),
            created_at: claims.issued_at.to_rfc3339(),
            enabled: status.is_valid(),
            not_before: claims.not_before.map(|t| t.to_rfc3339()),
            product: claims.product.clone(),
            issuer: claims.issuer.clone(),
            features: claims.features.clone(),
            machine_ids: claims
                .machine_ids
                .as_ref()
                .map(|ids| ids.iter().map(|m| m.as_str().to_owned()).collect()),
            license_key: claims.license_key.as_ref().map(|k| k.as_str().to_owned()),
            owner_name: claims.owner_name.clone(),
            owner_email: claims.owner_email.clone(),
            grace_days: claims.grace_days,
            entitlement_expiry: claims.entitlement_expires_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// The result of [`crate::verify_license`]: what `licet verify --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct VerificationReport {
    /// True for ACTIVE and IN_GRACE.
    pub valid: bool,
    /// The verdict.
    pub status: Status,
    /// Why, in a sentence.
    pub reason: String,
    /// The kid of the verifying key, or else the token's `kid` header, if any.
    pub kid: Option<String>,
    /// The token's algorithm, if it was one licet accepts.
    pub alg: Option<String>,
    /// The license fields; null unless the signature verified.
    pub license: Option<LicenseView>,
    #[serde(skip)]
    pub(crate) verified: Option<VerifiedLicense>,
}

impl VerificationReport {
    /// The signature-verified license, whatever the status (an expired license is still verified).
    /// `None` when the signature was not checked or did not verify.
    pub fn verified_license(&self) -> Option<&VerifiedLicense> {
        self.verified.as_ref()
    }

    /// The license only if it is valid now (ACTIVE or IN_GRACE).
    pub fn valid_license(&self) -> Option<&VerifiedLicense> {
        self.verified.as_ref().filter(|_| self.valid)
    }
}
