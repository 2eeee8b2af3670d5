//! The activation rules, one implementation for every transport: `/license/activate` here, and
//! the offline request/response files of issue #5 later. A seat is taken atomically by the store;
//! the license file for the seat is minted here, bound to the machine.

use crate::store::{Activation, ActivationOutcome, LicenseKeyRecord, Store, StoreError};
use aws_lc_rs::digest::{digest, SHA256};
use licet_issuer::{mint_license, MintError, SigningKey};
use licet_verifier::{Algorithm, LicenseClaims, LicenseKey, LicenseType, MachineId, UnixTime};

/// SHA-256 of a license key's canonical text: how keys are stored and looked up.
pub fn key_hash(key: &LicenseKey) -> Vec<u8> {
    digest(&SHA256, key.as_str().as_bytes()).as_ref().to_vec()
}

/// Applies the activation rules: the key exists, is active, is not expired, and has a seat left;
/// a machine that already has a seat keeps it.
pub async fn activate(
    store: &dyn Store,
    key: &LicenseKey,
    machine: &MachineId,
    now: i64,
) -> Result<ActivationOutcome, StoreError> {
    let license_id = uuid::Uuid::new_v4().to_string();
    store
        .activate(&key_hash(key), machine.as_str(), &license_id, now)
        .await
}

/// A license file for a seat: signed by `signing_key`, bound to the machine, carrying the key's
/// customer, product, type, features and expiry, with the seat's license id as `jti`.
pub fn license_file_for_seat(
    signing_key: &SigningKey,
    key: &LicenseKey,
    record: &LicenseKeyRecord,
    activation: &Activation,
    machine: &MachineId,
    now: i64,
) -> Result<String, MintError> {
    let time =
        |secs: i64| UnixTime::from_secs(secs).map_err(|e| MintError::Encoding(e.to_string()));
    let claims = LicenseClaims {
        license_id: activation.license_id.clone(),
        customer_id: record.customer.clone(),
        issued_at: time(now)?,
        not_before: None,
        expires_at: record.expires_at.map(time).transpose()?,
        issuer: None,
        product: record.product.clone(),
        license_type: LicenseType::parse(&record.license_type).map_err(MintError::Encoding)?,
        features: record.features.clone(),
        machine_ids: Some(vec![machine.clone()]),
        license_key: Some(key.clone()),
        owner_name: record.owner_name.clone(),
        owner_email: record.owner_email.clone(),
        grace_days: None,
        other: Default::default(),
    };
    Ok(mint_license(signing_key, Some(Algorithm::RS256), &claims)?.token)
}
