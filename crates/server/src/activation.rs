//! The activation rules, one implementation for every transport: `/license/activate` here, and
//! the offline request/response files of issue #5 later. A seat is taken atomically by the store;
//! the license file for the seat is minted here, bound to the machine.

use crate::store::{Activation, ActivationOutcome, LicenseKeyRecord, Store, StoreError};
use aws_lc_rs::digest::{digest, SHA256};
use licet_issuer::{mint_license, MintError, SigningKey};
use licet_verifier::{LicenseClaims, LicenseKey, LicenseType, MachineId, UnixTime};
use std::collections::HashMap;
use std::sync::Mutex;

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

/// A license file for a seat: signed by `signing_key` (with its default algorithm: EdDSA, or
/// RS256 for RSA), bound to the machine, carrying the key's customer, product, type, features and
/// expiry, with the seat's license id as `jti` and, for an offline activation, the request's
/// `nonce`.
pub fn license_file_for_seat(
    signing_key: &SigningKey,
    key: &LicenseKey,
    record: &LicenseKeyRecord,
    activation: &Activation,
    machine: &MachineId,
    now: i64,
    nonce: Option<&str>,
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
        other: nonce
            .map(|n| {
                let mut other = serde_json::Map::new();
                other.insert("nonce".into(), serde_json::Value::from(n));
                other
            })
            .unwrap_or_default(),
    };
    Ok(mint_license(signing_key, None, &claims)?.token)
}

/// What `licet activation respond` did.
#[derive(Debug, Clone)]
pub enum OfflineOutcome {
    /// A seat is held by the machine; `file` is its license, carrying the request's nonce.
    Activated {
        /// The license file.
        file: String,
        /// The seat's license id.
        license_id: String,
        /// The key's customer.
        customer: String,
        /// Whether a new seat was taken (false: the machine had one).
        new_seat: bool,
        /// Seats in use.
        activations: i64,
    },
    /// The seat was freed.
    Released {
        /// The released license id.
        license_id: String,
        /// Seats still in use.
        remaining: i64,
    },
}

/// Why an offline request was not granted.
#[derive(Debug, thiserror::Error)]
pub enum RespondError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The license could not be minted.
    #[error(transparent)]
    Mint(#[from] MintError),
    /// The rules refuse it (the same answers as `/license/activate`).
    #[error("{0}")]
    Refused(String),
}

/// Answers an offline activation request or release with the same rules as the server's
/// `/license/activate` and `/license/deactivate` (the same function takes the seat).
pub async fn respond_offline(
    store: &dyn Store,
    signing_key: &SigningKey,
    message: &licet_verifier::offline::OfflineMessage,
    now: i64,
) -> Result<OfflineOutcome, RespondError> {
    use licet_verifier::offline::OfflineMessage;
    let parse = |key: &str, machine: &str| {
        let key = LicenseKey::parse_canonical(key)
            .map_err(|e| RespondError::Refused(format!("license_key: {e}")))?;
        let machine = MachineId::parse(machine)
            .map_err(|e| RespondError::Refused(format!("machine_id: {e}")))?;
        Ok::<_, RespondError>((key, machine))
    };
    match message {
        OfflineMessage::Request(request) => {
            let (key, machine) = parse(&request.license_key, &request.machine_id)?;
            match activate(store, &key, &machine, now).await? {
                ActivationOutcome::NotFound => {
                    Err(RespondError::Refused("License key not found".into()))
                }
                ActivationOutcome::Suspended => {
                    Err(RespondError::Refused("License key is suspended".into()))
                }
                ActivationOutcome::Expired => {
                    Err(RespondError::Refused("License key has expired".into()))
                }
                ActivationOutcome::LimitReached { max_activations } => Err(RespondError::Refused(
                    format!("Activation limit reached: all {max_activations} seat(s) are in use"),
                )),
                ActivationOutcome::Active {
                    key: record,
                    activation,
                    activations,
                    new_seat,
                } => {
                    let file = license_file_for_seat(
                        signing_key,
                        &key,
                        &record,
                        &activation,
                        &machine,
                        now,
                        Some(&request.nonce),
                    )?;
                    Ok(OfflineOutcome::Activated {
                        file,
                        license_id: activation.license_id,
                        customer: record.customer,
                        new_seat,
                        activations,
                    })
                }
            }
        }
        OfflineMessage::Release(release) => {
            let (key, machine) = parse(&release.license_key, &release.machine_id)?;
            let hash = key_hash(&key);
            let not_activated = || {
                RespondError::Refused("This machine is not activated for the license key".into())
            };
            let seat = store
                .find_activation(&hash, machine.as_str())
                .await?
                .ok_or_else(not_activated)?;
            if seat.license_id != release.license_id {
                return Err(RespondError::Refused(format!(
                    "the release is for license {}, but the machine's seat holds license {}: it releases an earlier activation",
                    licet_verifier::jws::quote(&release.license_id),
                    seat.license_id
                )));
            }
            let (freed, remaining) = store
                .deactivate(&hash, machine.as_str())
                .await?
                .ok_or_else(not_activated)?;
            Ok(OfflineOutcome::Released {
                license_id: freed.license_id,
                remaining,
            })
        }
    }
}

/// The license files already minted for seats, so that `/license/validate` signs once per
/// request (the response) rather than twice (the response and a new file).
///
/// An entry is keyed by the seat (key, machine, license id) and by every field of the key record
/// that can change after creation and goes into the file (owner name and email, expiry), plus
/// its `updated_at`; customer, product, type and features never change. A hit therefore returns
/// a file equal, claim for claim, to a fresh one but for its `iat` (the time of the first mint). The map is bounded: when full it is emptied, which
/// costs one signature per seat afterwards and never a wrong answer.
#[derive(Debug, Default)]
pub struct SeatFileCache {
    files: Mutex<CachedFiles>,
}

#[derive(Debug, Default)]
struct CachedFiles {
    by_seat: HashMap<SeatFileId, String>,
    bytes: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SeatFileId {
    key_sha256: Vec<u8>,
    machine_id: String,
    license_id: String,
    owner_name: Option<String>,
    owner_email: Option<String>,
    expires_at: Option<i64>,
    record_updated_at: i64,
}

impl SeatFileId {
    fn weight(&self) -> usize {
        self.key_sha256.len()
            + self.machine_id.len()
            + self.license_id.len()
            + self.owner_name.as_ref().map_or(0, String::len)
            + self.owner_email.as_ref().map_or(0, String::len)
    }
}

/// Seats whose files are kept; about 1.5 KB each with an RSA-2048 signature and few features.
pub const SEAT_FILE_CACHE_ENTRIES: usize = 50_000;
/// Bytes of files kept at most (files with large features count for what they weigh).
pub const SEAT_FILE_CACHE_BYTES: usize = 64 * 1024 * 1024;

impl SeatFileCache {
    /// The seat's license file: the cached one, or a new one from [`license_file_for_seat`].
    pub fn get_or_mint(
        &self,
        signing_key: &SigningKey,
        key: &LicenseKey,
        record: &LicenseKeyRecord,
        activation: &Activation,
        machine: &MachineId,
        now: i64,
    ) -> Result<String, MintError> {
        let id = SeatFileId {
            key_sha256: record.key_sha256.clone(),
            machine_id: machine.as_str().to_owned(),
            license_id: activation.license_id.clone(),
            owner_name: record.owner_name.clone(),
            owner_email: record.owner_email.clone(),
            expires_at: record.expires_at,
            record_updated_at: record.updated_at,
        };
        if let Some(file) = self.lock().by_seat.get(&id) {
            return Ok(file.clone());
        }
        // Minted outside the lock: two requests for one new seat may both sign; both files are valid.
        let file = license_file_for_seat(signing_key, key, record, activation, machine, now, None)?;
        let weight = file.len() + id.weight();
        let mut files = self.lock();
        if files.by_seat.len() >= SEAT_FILE_CACHE_ENTRIES
            || files.bytes + weight > SEAT_FILE_CACHE_BYTES
        {
            files.by_seat.clear();
            files.bytes = 0;
        }
        if weight <= SEAT_FILE_CACHE_BYTES {
            if let Some(old) = files.by_seat.insert(id.clone(), file.clone()) {
                files.bytes -= old.len() + id.weight();
            }
            files.bytes += weight;
        }
        Ok(file)
    }

    /// Forgets a seat's files (after a deactivation).
    pub fn forget(&self, key_sha256: &[u8], machine: &MachineId) {
        let mut files = self.lock();
        let mut freed = 0;
        files.by_seat.retain(|id, file| {
            let keep = !(id.key_sha256 == key_sha256 && id.machine_id == machine.as_str());
            if !keep {
                freed += file.len() + id.weight();
            }
            keep
        });
        files.bytes -= freed;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CachedFiles> {
        self.files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
