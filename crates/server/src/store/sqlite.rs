//! The SQLite store: one file, WAL journal, migrations from `migrations/` applied on open.

use super::{ApiToken, InstalledLicense, Store, StoreError};
use crate::auth::Permission;
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// Storage in a SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or `sqlite:path`), in WAL
    /// mode with full synchronous writes, and applies pending migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a transaction that returned is on disk, so a 200 survives a kill -9.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError(e.to_string()))?;
        Ok(SqliteStore { pool })
    }

    /// The pool, for tests and maintenance.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn token_from_row(row: &SqliteRow) -> Result<ApiToken, StoreError> {
    let permissions: String = row.try_get("permissions")?;
    Ok(ApiToken {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        token_sha256: row.try_get("token_sha256")?,
        permissions: permissions
            .split_whitespace()
            .filter_map(|p| p.parse::<Permission>().ok())
            .collect(),
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

fn license_from_row(row: &SqliteRow) -> Result<InstalledLicense, StoreError> {
    Ok(InstalledLicense {
        license_id: row.try_get("license_id")?,
        customer_id: row.try_get("customer_id")?,
        license_type: row.try_get("license_type")?,
        issued_at: row.try_get("issued_at")?,
        expires_at: row.try_get("expires_at")?,
        kid: row.try_get("kid")?,
        file: row.try_get("file")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        installed_at: row.try_get("installed_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

const LICENSE_COLUMNS: &str =
    "license_id, customer_id, license_type, issued_at, expires_at, kid, file, enabled, installed_at, updated_at";

#[async_trait]
impl Store for SqliteStore {
    async fn insert_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        let permissions: Vec<&str> = token.permissions.iter().map(|p| p.name()).collect();
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, token_sha256, permissions, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&token.id)
        .bind(&token.user_id)
        .bind(&token.token_sha256)
        .bind(permissions.join(" "))
        .bind(token.created_at)
        .bind(token.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn find_token(&self, sha256: &[u8; 32]) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query("SELECT * FROM api_tokens WHERE token_sha256 = ?")
            .bind(sha256.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn upsert_license(&self, l: &InstalledLicense) -> Result<InstalledLicense, StoreError> {
        let row = sqlx::query(&format!(
            "INSERT INTO installed_licenses ({LICENSE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (license_id) DO UPDATE SET
                customer_id = excluded.customer_id, license_type = excluded.license_type,
                issued_at = excluded.issued_at, expires_at = excluded.expires_at, kid = excluded.kid,
                file = excluded.file, enabled = excluded.enabled, updated_at = excluded.updated_at
             RETURNING {LICENSE_COLUMNS}"
        ))
        .bind(&l.license_id)
        .bind(&l.customer_id)
        .bind(&l.license_type)
        .bind(l.issued_at)
        .bind(l.expires_at)
        .bind(&l.kid)
        .bind(&l.file)
        .bind(i64::from(l.enabled))
        .bind(l.installed_at)
        .bind(l.updated_at)
        .fetch_one(&self.pool)
        .await?;
        license_from_row(&row)
    }

    async fn list_licenses(&self) -> Result<Vec<InstalledLicense>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {LICENSE_COLUMNS} FROM installed_licenses ORDER BY license_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(license_from_row).collect()
    }

    async fn get_license(&self, license_id: &str) -> Result<Option<InstalledLicense>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {LICENSE_COLUMNS} FROM installed_licenses WHERE license_id = ?"
        ))
        .bind(license_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(license_from_row).transpose()
    }

    async fn set_license_enabled(
        &self,
        license_id: &str,
        enabled: bool,
        now: i64,
    ) -> Result<Option<InstalledLicense>, StoreError> {
        let row = sqlx::query(&format!(
            "UPDATE installed_licenses SET enabled = ?, updated_at = ? WHERE license_id = ? RETURNING {LICENSE_COLUMNS}"
        ))
        .bind(i64::from(enabled))
        .bind(now)
        .bind(license_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(license_from_row).transpose()
    }
}
