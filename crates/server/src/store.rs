//! Storage behind one trait, so that a PostgreSQL backend can follow without touching handlers.

pub mod sqlite;

use crate::auth::Permission;
use async_trait::async_trait;

/// A stored API token (its hash, never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Token id (UUID).
    pub id: String,
    /// The user the token belongs to.
    pub user_id: String,
    /// SHA-256 of the token text.
    pub token_sha256: Vec<u8>,
    /// What the token may do.
    pub permissions: Vec<Permission>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; `None` does not expire.
    pub expires_at: Option<i64>,
}

/// A license file installed on this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledLicense {
    /// `jti`.
    pub license_id: String,
    /// `sub`.
    pub customer_id: String,
    /// `license_type`.
    pub license_type: String,
    /// `iat`, Unix seconds.
    pub issued_at: i64,
    /// `exp`, Unix seconds.
    pub expires_at: Option<i64>,
    /// The verifying key's kid.
    pub kid: String,
    /// The license file as installed.
    pub file: String,
    /// Disabled licenses stay stored but are reported `enabled: false`.
    pub enabled: bool,
    /// First installation, Unix seconds.
    pub installed_at: i64,
    /// Last installation or change, Unix seconds.
    pub updated_at: i64,
}

/// A storage failure. Its text goes to the log, never into a response.
#[derive(Debug, thiserror::Error)]
#[error("storage error: {0}")]
pub struct StoreError(pub String);

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError(e.to_string())
    }
}

/// Everything the handlers need from storage.
#[async_trait]
pub trait Store: KeyStore + CertStore + Send + Sync {
    /// Checks with one cheap query that the database answers (`GET /readyz`).
    async fn ping(&self) -> Result<(), StoreError>;
    /// Seats in use across every key (the `licet_seats_in_use` gauge, read at scrape time).
    async fn count_activations(&self) -> Result<i64, StoreError>;
    /// Stores a new token.
    async fn insert_token(&self, token: &ApiToken) -> Result<(), StoreError>;
    /// The token with this SHA-256, if any.
    async fn find_token(&self, sha256: &[u8; 32]) -> Result<Option<ApiToken>, StoreError>;
    /// Inserts a license, or replaces the one with the same id unless the new file was issued
    /// earlier (no downgrade): then `None`. A replacement keeps `installed_at` and `enabled`.
    async fn upsert_license(
        &self,
        license: &InstalledLicense,
    ) -> Result<Option<InstalledLicense>, StoreError>;
    /// Every installed license, ordered by id.
    async fn list_licenses(&self) -> Result<Vec<InstalledLicense>, StoreError>;
    /// One installed license.
    async fn get_license(&self, license_id: &str) -> Result<Option<InstalledLicense>, StoreError>;
    /// Replaces the license applied to this workspace (seed 003).
    async fn set_applied_license(
        &self,
        file: &str,
        user_id: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// The applied license: file, user who applied it, when.
    async fn get_applied_license(&self) -> Result<Option<(String, String, i64)>, StoreError>;
    /// Sets `enabled`; returns the updated row, or `None` if there is no such license.
    async fn set_license_enabled(
        &self,
        license_id: &str,
        enabled: bool,
        now: i64,
    ) -> Result<Option<InstalledLicense>, StoreError>;
}

/// A department that certificates belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    /// UUID.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// An uploaded signing certificate; its private key is sealed under the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRecord {
    /// UUID.
    pub id: String,
    /// Unique name (the alias).
    pub name: String,
    /// `PKCS12_PFX`.
    pub certificate_type: String,
    /// Subject DN.
    pub subject: String,
    /// Thumbprint of the public key.
    pub kid: String,
    /// notAfter, Unix seconds.
    pub expiry: i64,
    /// Department id.
    pub department_id: String,
    /// Whether it may be used.
    pub enabled: bool,
    /// The certificate, DER.
    pub certificate_der: Vec<u8>,
    /// nonce || AES-256-GCM ciphertext of the PKCS#8 private key.
    pub encrypted_key: Vec<u8>,
    /// Unix seconds.
    pub created_at: i64,
}

/// Storage of departments and certificates.
#[async_trait]
pub trait CertStore: Send + Sync {
    /// Stores a department; false if the name is taken.
    async fn insert_department(&self, department: &Department) -> Result<bool, StoreError>;
    /// Every department, by name.
    async fn list_departments(&self) -> Result<Vec<Department>, StoreError>;
    /// One department.
    async fn get_department(&self, id: &str) -> Result<Option<Department>, StoreError>;
    /// Stores a certificate; false if the name is taken.
    async fn insert_certificate(&self, certificate: &CertificateRecord)
        -> Result<bool, StoreError>;
    /// Every certificate with its department's name, by name.
    async fn list_certificates(&self) -> Result<Vec<(CertificateRecord, String)>, StoreError>;
    /// One certificate with its department's name.
    async fn get_certificate(
        &self,
        id: &str,
    ) -> Result<Option<(CertificateRecord, String)>, StoreError>;
    /// Deletes a certificate; false if there was none.
    async fn delete_certificate(&self, id: &str) -> Result<bool, StoreError>;
}

/// A license key (stored by hash; the key itself is known only to whoever holds it).
#[derive(Debug, Clone, PartialEq)]
pub struct LicenseKeyRecord {
    /// SHA-256 of the canonical key text.
    pub key_sha256: Vec<u8>,
    /// Customer id: the `sub` of license files issued for the key.
    pub customer: String,
    /// Product: the `aud`.
    pub product: Option<String>,
    /// `license_type`.
    pub license_type: String,
    /// Entitlements.
    pub features: Option<serde_json::Map<String, serde_json::Value>>,
    /// Seats.
    pub max_activations: i64,
    /// Unix seconds; `None` is perpetual.
    pub expires_at: Option<i64>,
    /// Days a seat's license file lasts before the machine must validate (online) or re-activate
    /// (offline) again; `None` is the default (see `crate::activation::seat_file_expiry`).
    pub lease_days: Option<i64>,
    /// `active` or `suspended`.
    pub status: String,
    /// Assigned owner's name.
    pub owner_name: Option<String>,
    /// Assigned owner's e-mail.
    pub owner_email: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A machine holding a seat of a license key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    /// The machine id (64 hex).
    pub machine_id: String,
    /// The jti of the license files issued for this seat.
    pub license_id: String,
    /// Unix seconds.
    pub activated_at: i64,
}

/// Why the license file of a seat being taken could not be made (minting, or what the caller
/// does with the file before the seat is committed: a ledger entry, a staged output file).
pub type SeatFileError = Box<dyn std::error::Error + Send + Sync>;

/// Makes the license file of a seat, called by [`KeyStore::activate`] inside the activation's
/// transaction, before it commits: an error rolls the transaction back, so a seat whose file
/// could not be made is never taken.
pub type SeatFileMaker<'a> =
    &'a mut (dyn FnMut(&LicenseKeyRecord, &Activation) -> Result<String, SeatFileError> + Send);

/// Why [`KeyStore::activate`] failed; in both cases no seat was taken.
#[derive(Debug, thiserror::Error)]
pub enum ActivateError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The seat's license file could not be made.
    #[error("the seat's license file could not be made, so no seat was taken: {0}")]
    File(SeatFileError),
}

impl From<sqlx::Error> for ActivateError {
    fn from(e: sqlx::Error) -> Self {
        ActivateError::Store(e.into())
    }
}

/// Changes to a license key (`PATCH /api/v1/license-keys/{key}`); `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyChanges {
    /// `active` or `suspended`.
    pub status: Option<String>,
    /// The new lease; `Some(None)` returns to the default.
    pub lease_days: Option<Option<i64>>,
    /// The new entitlements; `Some(None)` removes them.
    pub features: Option<Option<serde_json::Map<String, serde_json::Value>>>,
}

impl KeyChanges {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.status.is_none() && self.lease_days.is_none() && self.features.is_none()
    }

    /// `record` with the changes applied (what the store will hold afterwards).
    pub fn apply_to(&self, record: &LicenseKeyRecord) -> LicenseKeyRecord {
        let mut updated = record.clone();
        if let Some(status) = &self.status {
            updated.status = status.clone();
        }
        if let Some(lease_days) = self.lease_days {
            updated.lease_days = lease_days;
        }
        if let Some(features) = &self.features {
            updated.features = features.clone();
        }
        updated
    }
}

/// What an activation attempt did, decided atomically with the seat count.
// One value per request, moved once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ActivationOutcome {
    /// A new seat was taken (or the machine already had one: idempotent).
    Active {
        /// The key.
        key: LicenseKeyRecord,
        /// This machine's seat.
        activation: Activation,
        /// Seats in use after the call.
        activations: i64,
        /// False when the machine already had a seat.
        new_seat: bool,
        /// The seat's license file, made before the seat was committed.
        file: String,
    },
    /// No such key.
    NotFound,
    /// The key is suspended.
    Suspended,
    /// The key expired.
    Expired,
    /// Every seat is taken.
    LimitReached {
        /// The limit.
        max_activations: i64,
    },
}

/// Storage of license keys and activations.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores a new license key.
    async fn insert_license_key(&self, key: &LicenseKeyRecord) -> Result<(), StoreError>;
    /// The key with this hash, and its number of activations.
    async fn get_license_key(
        &self,
        key_sha256: &[u8],
    ) -> Result<Option<(LicenseKeyRecord, i64)>, StoreError>;
    /// Applies `changes` (only the fields they name, so concurrent changes of other fields are
    /// kept); returns the updated key and its activations, or `None` when there is no such key.
    async fn update_license_key(
        &self,
        key_sha256: &[u8],
        changes: &KeyChanges,
        now: i64,
    ) -> Result<Option<(LicenseKeyRecord, i64)>, StoreError>;
    /// Takes a seat for `machine_id` if the key is active, unexpired at `now`, and has one free,
    /// all in one transaction; a machine that has a seat keeps it (no second seat). `make_file`
    /// makes the seat's license file inside that transaction; when it fails nothing is committed.
    async fn activate(
        &self,
        key_sha256: &[u8],
        machine_id: &str,
        new_license_id: &str,
        now: i64,
        make_file: SeatFileMaker<'_>,
    ) -> Result<ActivationOutcome, ActivateError>;
    /// This machine's seat, if any.
    async fn find_activation(
        &self,
        key_sha256: &[u8],
        machine_id: &str,
    ) -> Result<Option<Activation>, StoreError>;
    /// The key, its number of activations and this machine's seat: what `/license/validate`
    /// reads. A backend may answer in one query; the default makes two.
    async fn find_seat(
        &self,
        key_sha256: &[u8],
        machine_id: &str,
    ) -> Result<Option<(LicenseKeyRecord, i64, Option<Activation>)>, StoreError> {
        let Some((key, count)) = self.get_license_key(key_sha256).await? else {
            return Ok(None);
        };
        let seat = self.find_activation(key_sha256, machine_id).await?;
        Ok(Some((key, count, seat)))
    }
    /// Frees this machine's seat, in one transaction: the freed seat and the seats still in use,
    /// or `None` if the machine held none.
    async fn deactivate(
        &self,
        key_sha256: &[u8],
        machine_id: &str,
    ) -> Result<Option<(Activation, i64)>, StoreError>;
    /// Assigns an active, unassigned key to its owner; false if there is no such key, it is
    /// suspended, or it was assigned before.
    async fn assign_license_key(
        &self,
        key_sha256: &[u8],
        owner_name: Option<&str>,
        owner_email: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError>;
}
