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
pub trait Store: Send + Sync {
    /// Stores a new token.
    async fn insert_token(&self, token: &ApiToken) -> Result<(), StoreError>;
    /// The token with this SHA-256, if any.
    async fn find_token(&self, sha256: &[u8; 32]) -> Result<Option<ApiToken>, StoreError>;
    /// Inserts or replaces a license by id; returns the stored row (installed_at is kept on replace).
    async fn upsert_license(
        &self,
        license: &InstalledLicense,
    ) -> Result<InstalledLicense, StoreError>;
    /// Every installed license, ordered by id.
    async fn list_licenses(&self) -> Result<Vec<InstalledLicense>, StoreError>;
    /// One installed license.
    async fn get_license(&self, license_id: &str) -> Result<Option<InstalledLicense>, StoreError>;
    /// Sets `enabled`; returns the updated row, or `None` if there is no such license.
    async fn set_license_enabled(
        &self,
        license_id: &str,
        enabled: bool,
        now: i64,
    ) -> Result<Option<InstalledLicense>, StoreError>;
}
