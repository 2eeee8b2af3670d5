//! Storage behind one trait: SQLite ([`sqlite`], the default) and PostgreSQL ([`postgres`], for
//! several replicas), chosen by the database URL ([`open`]).

pub mod open;
pub mod postgres;
mod rows;
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
    /// Unix seconds; `Some` once revoked (the row stays, so the id is never reused).
    pub revoked_at: Option<i64>,
}

/// A signed-in session of the web console (`crate::console`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// SHA-256 of the session id (the id itself is only in the browser's cookie).
    pub session_sha256: Vec<u8>,
    /// SHA-256 of the API token the session signed in with.
    pub token_sha256: Vec<u8>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; the session ends then.
    pub expires_at: i64,
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
pub trait Store: KeyStore + CertStore + AdminLogStore + Send + Sync {
    /// Checks with one cheap query that the database answers (`GET /readyz`).
    async fn ping(&self) -> Result<(), StoreError>;
    /// Closes every connection (committed data is already durable), so a short-lived command
    /// leaves the database tidy.
    async fn close(&self) {}
    /// Which backend this is.
    fn backend(&self) -> open::Backend;
    /// Counts one request in `bucket` for the rate-limit window starting at `window_start`, in
    /// a table every process on this database shares, unless the bucket already holds `limit`
    /// requests: returns the count before this request. `None`: this store keeps no shared
    /// counts (SQLite serves one process, whose in-memory limiter counts).
    async fn count_shared_request(
        &self,
        _bucket: &[u8],
        _window_start: i64,
        _limit: u32,
    ) -> Result<Option<u32>, StoreError> {
        Ok(None)
    }
    /// The shared count of `bucket` in the window starting at `window_start`, without counting
    /// (`None` as for [`Store::count_shared_request`]).
    async fn peek_shared_requests(
        &self,
        _bucket: &[u8],
        _window_start: i64,
    ) -> Result<Option<u32>, StoreError> {
        Ok(None)
    }
    /// Drops the shared counts of windows that started before `window_start` (nothing for a
    /// store without shared counts).
    async fn forget_rate_windows_before(&self, _window_start: i64) -> Result<(), StoreError> {
        Ok(())
    }
    /// Records `value` under `name` in the table of keys every replica must share, unless a
    /// value is recorded there already; returns the value recorded (this one when it was the
    /// first). `None`: this store serves one process, with nothing to compare
    /// ([`crate::serve::check_replica_keys`]).
    async fn record_replica_key(
        &self,
        _name: &str,
        _value: &str,
        _now: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(None)
    }
    /// Stores a console session, drops the sessions that ended before `session.created_at`,
    /// and ends the oldest sessions of the same token beyond the newest `keep_per_token` (this
    /// one among them), in one transaction.
    async fn insert_console_session(
        &self,
        session: &ConsoleSession,
        keep_per_token: u32,
    ) -> Result<(), StoreError>;
    /// The console session with this id hash, if any (ended or not: the caller checks).
    async fn find_console_session(
        &self,
        session_sha256: &[u8; 32],
    ) -> Result<Option<ConsoleSession>, StoreError>;
    /// Ends a console session; false if there was none.
    async fn delete_console_session(&self, session_sha256: &[u8; 32]) -> Result<bool, StoreError>;
    /// Seats in use across every key (the `licet_seats_in_use` gauge, read at scrape time).
    async fn count_activations(&self) -> Result<i64, StoreError>;
    /// Stores a new token, and `log` in the same transaction.
    async fn insert_token(
        &self,
        token: &ApiToken,
        log: Option<&AdminEntry>,
    ) -> Result<(), StoreError>;
    /// The token with this SHA-256, if any (revoked or not: the caller checks).
    async fn find_token(&self, sha256: &[u8; 32]) -> Result<Option<ApiToken>, StoreError>;
    /// Every token (revoked ones too), oldest first.
    async fn list_tokens(&self) -> Result<Vec<ApiToken>, StoreError>;
    /// Revokes the token with this id, and writes `log` in the same transaction; `None` when
    /// there is no such token or it was revoked before (then nothing is written).
    async fn revoke_token(
        &self,
        id: &str,
        now: i64,
        log: &AdminEntry,
    ) -> Result<Option<ApiToken>, StoreError>;
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

/// An uploaded signing certificate (its private key sealed under the master key), or a key in
/// a PKCS#11 token registered by reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRecord {
    /// UUID.
    pub id: String,
    /// Unique name (the alias).
    pub name: String,
    /// `PKCS12_PFX` or `PKCS11`.
    pub certificate_type: String,
    /// Subject DN (for a token key: its token and object).
    pub subject: String,
    /// Thumbprint of the public key.
    pub kid: String,
    /// notAfter, Unix seconds; none for a token key registered without a certificate.
    pub expiry: Option<i64>,
    /// Department id.
    pub department_id: String,
    /// Whether it may be used.
    pub enabled: bool,
    /// The certificate, DER (empty for a token key without one).
    pub certificate_der: Vec<u8>,
    /// Where the private key is.
    pub key: CertificateKey,
    /// Unix seconds.
    pub created_at: i64,
}

/// Where a certificate's private key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateKey {
    /// nonce || AES-256-GCM ciphertext of the PKCS#8 private key, under the master key.
    Sealed(Vec<u8>),
    /// In a PKCS#11 token: never in the database.
    Token {
        /// The key's RFC 7512 URI (it holds no PIN: one in it is refused).
        uri: String,
        /// Where the server reads the PIN (`env:NAME` or `file:NAME`), not the PIN.
        pin_reference: String,
    },
}

impl CertificateKey {
    /// The sealed key, if the key is sealed in the database.
    pub fn sealed(&self) -> Option<&[u8]> {
        match self {
            Self::Sealed(bytes) => Some(bytes),
            Self::Token { .. } => None,
        }
    }
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
    /// Stable id (UUID) naming the key without its text.
    pub id: String,
    /// The key's last 4 characters, stored at creation; `None` for keys made before hints.
    pub key_hint: Option<String>,
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
    /// The machine's hostname, when its activation named one.
    pub hostname: Option<String>,
    /// When the machine last validated, Unix seconds, accurate to within the validation stamp
    /// granularity (`crate::activation::VALIDATION_STAMP_SECS`); `None` if it never did.
    pub last_validated_at: Option<i64>,
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
    /// The new number of seats. Seats already taken are kept when it is lower than the seats
    /// in use; new activations are refused until enough are freed.
    pub max_activations: Option<i64>,
    /// The new expiry (renewal); `Some(None)` makes the key perpetual.
    pub expires_at: Option<Option<i64>>,
    /// The new customer.
    pub customer: Option<String>,
    /// The new product; `Some(None)` removes it.
    pub product: Option<Option<String>>,
    /// The new license type.
    pub license_type: Option<String>,
}

impl KeyChanges {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        *self == KeyChanges::default()
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
        if let Some(max) = self.max_activations {
            updated.max_activations = max;
        }
        if let Some(expires_at) = self.expires_at {
            updated.expires_at = expires_at;
        }
        if let Some(customer) = &self.customer {
            updated.customer = customer.clone();
        }
        if let Some(product) = &self.product {
            updated.product = product.clone();
        }
        if let Some(license_type) = &self.license_type {
            updated.license_type = license_type.clone();
        }
        updated
    }
}

/// Which keys a listing returns; every filter is an exact match, bound as a parameter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFilter {
    /// Only this customer's keys.
    pub customer: Option<String>,
    /// Only keys of this product.
    pub product: Option<String>,
    /// Only keys with this status (`active` or `suspended`).
    pub status: Option<String>,
}

/// A page of a listing: 1-based page number and its size (checked by `crate::admin::Page`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return.
    pub limit: i64,
}

/// One entry of the administrative audit log, as written.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminEntry {
    /// Unix seconds.
    pub at: i64,
    /// The API token that made the change; `None` for a CLI command.
    pub token_id: Option<String>,
    /// The token's user, or `cli:<user>` for a CLI command.
    pub user_id: String,
    /// What was done, such as `license_key.update`.
    pub action: String,
    /// What it was done to (a key id, a token id, a license id, ...).
    pub target: String,
    /// The state before, without secrets.
    pub before: Option<serde_json::Value>,
    /// The state after, without secrets.
    pub after: Option<serde_json::Value>,
}

/// A stored entry of the administrative audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminLogRecord {
    /// Increasing sequence number.
    pub seq: i64,
    /// The entry.
    pub entry: AdminEntry,
}

/// Which audit-log entries a listing returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminLogFilter {
    /// Only entries at or after this time (Unix seconds).
    pub since: Option<i64>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this target.
    pub target: Option<String>,
}

/// Storage of the administrative audit log.
#[async_trait]
pub trait AdminLogStore: Send + Sync {
    /// Appends an entry (for changes whose own write is not in this store's transaction).
    async fn insert_admin_log(&self, entry: &AdminEntry) -> Result<(), StoreError>;
    /// Entries matching `filter`, newest first, and how many match in all.
    async fn list_admin_log(
        &self,
        filter: &AdminLogFilter,
        page: PageRequest,
    ) -> Result<(Vec<AdminLogRecord>, i64), StoreError>;
}

impl LicenseKeyRecord {
    /// What the audit log records of a key: every field but the hash (never the key text).
    pub fn audit_view(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "key_hint": self.key_hint,
            "customer": self.customer,
            "product": self.product,
            "license_type": self.license_type,
            "features": self.features,
            "max_activations": self.max_activations,
            "expires_at": self.expires_at,
            "lease_days": self.lease_days,
            "status": self.status,
        })
    }
}

impl Activation {
    /// What the audit log records of a seat.
    pub fn audit_view(&self) -> serde_json::Value {
        serde_json::json!({
            "machine_id": self.machine_id,
            "hostname": self.hostname,
            "license_id": self.license_id,
            "activated_at": self.activated_at,
        })
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
    /// Stores a new license key, and `log` in the same transaction.
    async fn insert_license_key(
        &self,
        key: &LicenseKeyRecord,
        log: Option<&AdminEntry>,
    ) -> Result<(), StoreError>;
    /// The key with this id, and its number of activations.
    async fn get_license_key_by_id(
        &self,
        id: &str,
    ) -> Result<Option<(LicenseKeyRecord, i64)>, StoreError>;
    /// Keys matching `filter`, by creation time then id, each with its number of activations,
    /// and how many keys match in all.
    async fn list_license_keys(
        &self,
        filter: &KeyFilter,
        page: PageRequest,
    ) -> Result<(Vec<(LicenseKeyRecord, i64)>, i64), StoreError>;
    /// The seats of a key, oldest first, at most `limit`.
    async fn list_seats(
        &self,
        key_sha256: &[u8],
        limit: i64,
    ) -> Result<Vec<Activation>, StoreError>;
    /// Records that the seat validated at `now` (only the seat with this license id: a seat
    /// freed and taken again since is not touched).
    async fn stamp_validation(
        &self,
        key_sha256: &[u8],
        machine_id: &str,
        license_id: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// The key with this hash, and its number of activations.
    async fn get_license_key(
        &self,
        key_sha256: &[u8],
    ) -> Result<Option<(LicenseKeyRecord, i64)>, StoreError>;
    /// Applies `changes` (only the fields they name, so concurrent changes of other fields are
    /// kept); returns the updated key and its activations, or `None` when there is no such key.
    /// `log`, when given, is written in the same transaction with the key's state before and
    /// after as its `before` and `after`.
    async fn update_license_key(
        &self,
        key_sha256: &[u8],
        changes: &KeyChanges,
        now: i64,
        log: Option<&AdminEntry>,
    ) -> Result<Option<(LicenseKeyRecord, i64)>, StoreError>;
    /// Takes a seat for `machine_id` if the key is active, unexpired at `now`, and has one free,
    /// all in one transaction; a machine that has a seat keeps it (no second seat). `make_file`
    /// makes the seat's license file inside that transaction; when it fails nothing is committed.
    /// A new seat stores `hostname`; `log`, when given, is written in the same transaction when
    /// a new seat is taken, with the seat as its `after`.
    #[allow(clippy::too_many_arguments)]
    async fn activate(
        &self,
        key_sha256: &[u8],
        machine_id: &str,
        new_license_id: &str,
        hostname: Option<&str>,
        now: i64,
        make_file: SeatFileMaker<'_>,
        log: Option<&AdminEntry>,
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
    /// or `None` if the machine held none. `log`, when given, is written in the same transaction
    /// when a seat was freed, with the seat as its `before`.
    async fn deactivate(
        &self,
        key_sha256: &[u8],
        machine_id: &str,
        log: Option<&AdminEntry>,
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
