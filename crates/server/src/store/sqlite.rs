//! The SQLite store: one file (mode 0600, created only by [`SqliteStore::init`]), WAL journal,
//! migrations from `migrations/` applied on open.

use super::open::{redact_url, Backend, DbInit, OpenError};
use super::{
    ActivateError, Activation, ActivationOutcome, AdminEntry, AdminLogFilter, AdminLogRecord,
    AdminLogStore, ApiToken, CertStore, CertificateKey, CertificateRecord, ConsoleSession,
    Department, InstalledLicense, KeyChanges, KeyFilter, KeyStore, LicenseKeyRecord, PageRequest,
    SeatFileMaker, Store, StoreError,
};
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

mod reader;

use super::rows::{
    activation_from_columns, admin_log_from_columns, certificate_from_columns,
    department_from_columns, features_text, key_from_columns, license_from_columns,
    seat_from_columns, session_from_columns, token_from_columns, Columns, LICENSE_COLUMNS,
};

/// Storage in a SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Seat changes run one at a time: SQLite has one writer anyway, and a read-then-write
    /// transaction must not see a count that another one is about to change.
    seats: Arc<tokio::sync::Mutex<()>>,
    /// The validate read on the calling thread ([`reader`]); none for an in-memory database
    /// (whose connections cannot be shared with a second library) or a URL with options.
    reader: Option<Arc<reader::InlineReader>>,
}

impl SqliteStore {
    /// Closes every connection (committed data is already durable; this also ends the WAL's
    /// readers, so a short-lived command leaves the database tidy).
    pub async fn close(&self) {
        if let Some(reader) = &self.reader {
            reader.close();
        }
        self.pool.close().await;
    }

    /// Opens the existing database at `url` (`sqlite://PATH` or `sqlite:PATH`, or
    /// `sqlite::memory:`), in WAL mode with full synchronous writes, and applies pending
    /// migrations. A file that does not exist is an error naming `licet db init`: a mistyped
    /// path must not start an empty license server.
    pub async fn open(url: &str) -> Result<Self, OpenError> {
        let location = parse_url(url)?;
        if let Location::File { path, .. } = &location {
            if !path.exists() {
                return Err(OpenError::Missing {
                    path: path.clone(),
                    url: url.to_owned(),
                });
            }
        }
        Self::connect(url).await.map(|(store, _)| store)
    }

    /// Creates the database at `url` (the file mode 0600; SQLite gives its -wal and -shm files
    /// the database file's mode) and applies the migrations; an existing database is only
    /// migrated. `licet db init`.
    pub async fn init(url: &str) -> Result<(Self, DbInit), OpenError> {
        let location = parse_url(url)?;
        let mut created = false;
        if let Location::File { path, .. } = &location {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            match options.open(path) {
                Ok(_) => created = true,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(source) => {
                    return Err(OpenError::Create {
                        path: path.clone(),
                        source,
                    })
                }
            }
        } else {
            created = true;
        }
        let (store, migrations_applied) = Self::connect(url).await?;
        Ok((
            store,
            DbInit {
                created,
                migrations_applied,
            },
        ))
    }

    async fn connect(url: &str) -> Result<(Self, usize), OpenError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(StoreError::from)?
            .create_if_missing(false)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a transaction that returned is on disk, so a 200 survives a kill -9.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
            .await
            .map_err(StoreError::from)?;
        let applied = |pool: SqlitePool| async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&pool)
                .await
                .unwrap_or(0)
        };
        let before = applied(pool.clone()).await;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError(e.to_string()))?;
        let after = applied(pool.clone()).await;
        // Only for a plain file: options in the URL (a read-only mode, another VFS with other
        // locks, immutable) are sqlx's to apply, and a reader that ignored them could read
        // around the writer's locks.
        let reader = match parse_url(url)? {
            Location::File {
                path,
                with_options: false,
            } => Some(Arc::new(reader::InlineReader::new(&path))),
            _ => None,
        };
        Ok((
            SqliteStore {
                pool,
                seats: Default::default(),
                reader,
            },
            usize::try_from(after - before).unwrap_or(0),
        ))
    }

    /// The pool, for tests and maintenance.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// Where a database URL points.
enum Location {
    /// A file, and whether the URL sets SQLite options (`?mode=ro`, `?vfs=...`).
    File {
        path: PathBuf,
        with_options: bool,
    },
    Memory,
}

/// The SQLite file a URL names, or an error naming an unsupported scheme.
fn parse_url(url: &str) -> Result<Location, OpenError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"));
    let Some(rest) = rest else {
        let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        let message = match scheme.as_deref() {
            Some("postgres" | "postgresql") => format!(
                "`{}` is a PostgreSQL URL: open it with `licet_server::open_store` (the SQLite store reads sqlite://PATH only)",
                redact_url(url)
            ),
            Some("mysql" | "mariadb") => format!(
                "`{}` is a MySQL URL: MySQL is not supported; use sqlite://PATH or postgres://HOST/DATABASE",
                redact_url(url)
            ),
            Some(other) if !other.is_empty() && !other.contains(['/', '\\', '.']) => format!(
                "the database URL scheme `{other}:` is not supported; use sqlite://PATH or postgres://HOST/DATABASE"
            ),
            _ => {
                let shown = redact_url(url);
                format!(
                    "`{shown}` is not a database URL; a SQLite database is written sqlite://PATH (for example sqlite://{shown})"
                )
            }
        };
        return Err(OpenError::UnsupportedScheme(message));
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    // The query decoded as sqlx decodes it: `?mode=%6Demory` is an in-memory database too.
    let memory_mode = form_urlencoded::parse(query.as_bytes())
        .any(|(name, value)| name == "mode" && value == "memory");
    if path.starts_with(":memory:") || memory_mode {
        return Ok(Location::Memory);
    }
    if path.is_empty() {
        return Err(OpenError::UnsupportedScheme(
            "the database URL names no file; write sqlite://PATH".into(),
        ));
    }
    // The file as sqlx will open it (it percent-decodes the path): the file checked for
    // existence, created by `init` and read by the inline reader is the one sqlx uses.
    let options = SqliteConnectOptions::from_str(url).map_err(StoreError::from)?;
    let file = options.get_filename();
    if file == std::path::Path::new(":memory:") {
        return Ok(Location::Memory);
    }
    // SQLite itself would read a `file:` name as a URI (another file than the one checked and
    // created here, and its own parameters).
    if file.to_string_lossy().starts_with("file:") {
        return Err(OpenError::UnsupportedScheme(format!(
            "`{}` names a SQLite URI filename (file:...), which licet does not support; write sqlite://PATH",
            redact_url(url)
        )));
    }
    Ok(Location::File {
        path: file.to_owned(),
        with_options: !query.is_empty(),
    })
}

/// The database file a `sqlite:` URL names, as SQLite will open it (percent-decoded), or `None`
/// for an in-memory database; an error for a URL of another scheme or none.
pub fn database_file(url: &str) -> Result<Option<PathBuf>, OpenError> {
    Ok(match parse_url(url)? {
        Location::File { path, .. } => Some(path),
        Location::Memory => None,
    })
}

/// Writes an audit-log entry on `executor` (a transaction, so it commits with the change).
async fn write_admin_log<'e, E>(executor: E, entry: &AdminEntry) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
{
    sqlx::query(
        "INSERT INTO admin_log (at, token_id, user_id, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(entry.at)
    .bind(&entry.token_id)
    .bind(&entry.user_id)
    .bind(&entry.action)
    .bind(&entry.target)
    .bind(entry.before.as_ref().map(|v| v.to_string()))
    .bind(entry.after.as_ref().map(|v| v.to_string()))
    .execute(executor)
    .await?;
    Ok(())
}

#[async_trait]
impl AdminLogStore for SqliteStore {
    async fn insert_admin_log(&self, entry: &AdminEntry) -> Result<(), StoreError> {
        write_admin_log(&self.pool, entry).await
    }

    async fn list_admin_log(
        &self,
        filter: &AdminLogFilter,
        page: PageRequest,
    ) -> Result<(Vec<AdminLogRecord>, i64), StoreError> {
        let conditions = |query: &mut sqlx::QueryBuilder<'_, sqlx::Sqlite>| {
            query.push(" WHERE 1 = 1");
            if let Some(since) = filter.since {
                query.push(" AND at >= ").push_bind(since);
            }
            if let Some(action) = &filter.action {
                query.push(" AND action = ").push_bind(action.clone());
            }
            if let Some(target) = &filter.target {
                query.push(" AND target = ").push_bind(target.clone());
            }
        };
        let mut count = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM admin_log");
        conditions(&mut count);
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;
        let mut query = sqlx::QueryBuilder::new("SELECT * FROM admin_log");
        conditions(&mut query);
        query
            .push(" ORDER BY seq DESC LIMIT ")
            .push_bind(page.limit)
            .push(" OFFSET ")
            .push_bind(page.offset);
        let rows = query.build().fetch_all(&self.pool).await?;
        let entries = rows
            .iter()
            .map(|row| admin_log_from_columns(&SqlxColumns(row)))
            .collect::<Result<_, _>>()?;
        Ok((entries, total))
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn close(&self) {
        SqliteStore::close(self).await
    }

    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn insert_console_session(
        &self,
        session: &ConsoleSession,
        keep_per_token: u32,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM console_sessions WHERE expires_at <= ?")
            .bind(session.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO console_sessions (session_sha256, token_sha256, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(&session.session_sha256)
        .bind(&session.token_sha256)
        .bind(session.created_at)
        .bind(session.expires_at)
        .execute(&mut *tx)
        .await?;
        // The newest sessions of this token other than the new one, up to keep_per_token - 1,
        // stay; the rest end (a tie in created_at is broken by the id hash, so the count holds).
        sqlx::query(
            "DELETE FROM console_sessions WHERE token_sha256 = ? AND session_sha256 <> ? \
             AND session_sha256 NOT IN (SELECT session_sha256 FROM console_sessions \
             WHERE token_sha256 = ? AND session_sha256 <> ? \
             ORDER BY created_at DESC, session_sha256 DESC LIMIT ?)",
        )
        .bind(&session.token_sha256)
        .bind(&session.session_sha256)
        .bind(&session.token_sha256)
        .bind(&session.session_sha256)
        .bind(i64::from(keep_per_token.saturating_sub(1)))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_console_session(
        &self,
        session_sha256: &[u8; 32],
    ) -> Result<Option<ConsoleSession>, StoreError> {
        let row = sqlx::query("SELECT * FROM console_sessions WHERE session_sha256 = ?")
            .bind(session_sha256.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| session_from_columns(&SqlxColumns(&row)))
            .transpose()
    }

    async fn delete_console_session(&self, session_sha256: &[u8; 32]) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM console_sessions WHERE session_sha256 = ?")
            .bind(session_sha256.as_slice())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn count_activations(&self) -> Result<i64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM activations")
            .fetch_one(&self.pool)
            .await?;
        Ok(count)
    }

    async fn insert_token(
        &self,
        token: &ApiToken,
        log: Option<&AdminEntry>,
    ) -> Result<(), StoreError> {
        let permissions: Vec<&str> = token.permissions.iter().map(|p| p.name()).collect();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, token_sha256, permissions, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&token.id)
        .bind(&token.user_id)
        .bind(&token.token_sha256)
        .bind(permissions.join(" "))
        .bind(token.created_at)
        .bind(token.expires_at)
        .bind(token.revoked_at)
        .execute(&mut *tx)
        .await?;
        if let Some(entry) = log {
            write_admin_log(&mut *tx, entry).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query("SELECT * FROM api_tokens ORDER BY created_at, rowid")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| token_from_columns(&SqlxColumns(row)))
            .collect()
    }

    async fn revoke_token(
        &self,
        id: &str,
        now: i64,
        log: &AdminEntry,
    ) -> Result<Option<ApiToken>, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING *",
        )
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let token = token_from_columns(&SqlxColumns(&row))?;
        write_admin_log(&mut *tx, log).await?;
        tx.commit().await?;
        Ok(Some(token))
    }

    async fn find_token(&self, sha256: &[u8; 32]) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query("SELECT * FROM api_tokens WHERE token_sha256 = ?")
            .bind(sha256.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(|row| token_from_columns(&SqlxColumns(row)))
            .transpose()
    }

    async fn upsert_license(
        &self,
        l: &InstalledLicense,
    ) -> Result<Option<InstalledLicense>, StoreError> {
        let row = sqlx::query(&format!(
            "INSERT INTO installed_licenses ({LICENSE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (license_id) DO UPDATE SET
                customer_id = excluded.customer_id, license_type = excluded.license_type,
                issued_at = excluded.issued_at, expires_at = excluded.expires_at, kid = excluded.kid,
                file = excluded.file, updated_at = excluded.updated_at
             WHERE excluded.issued_at >= installed_licenses.issued_at
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
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(|row| license_from_columns(&SqlxColumns(row)))
            .transpose()
    }

    async fn set_applied_license(
        &self,
        file: &str,
        user_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO applied_license (id, file, user_id, applied_at) VALUES (1, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET file = excluded.file, user_id = excluded.user_id, applied_at = excluded.applied_at",
        )
        .bind(file)
        .bind(user_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn get_applied_license(&self) -> Result<Option<(String, String, i64)>, StoreError> {
        let row = sqlx::query("SELECT file, user_id, applied_at FROM applied_license WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok((
                r.try_get("file")?,
                r.try_get("user_id")?,
                r.try_get("applied_at")?,
            ))
        })
        .transpose()
    }

    async fn list_licenses(&self) -> Result<Vec<InstalledLicense>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {LICENSE_COLUMNS} FROM installed_licenses ORDER BY license_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| license_from_columns(&SqlxColumns(row)))
            .collect()
    }

    async fn get_license(&self, license_id: &str) -> Result<Option<InstalledLicense>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {LICENSE_COLUMNS} FROM installed_licenses WHERE license_id = ?"
        ))
        .bind(license_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(|row| license_from_columns(&SqlxColumns(row)))
            .transpose()
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
        row.as_ref()
            .map(|row| license_from_columns(&SqlxColumns(row)))
            .transpose()
    }
}

/// The statement of [`KeyStore::find_seat`] (parameters: machine id, key hash). One statement:
/// a read transaction of its own, so key, count and seat agree.
const FIND_SEAT: &str = "SELECT k.*,
        (SELECT COUNT(*) FROM activations a WHERE a.key_sha256 = k.key_sha256) AS activation_count,
        s.license_id AS seat_license_id, s.activated_at AS seat_activated_at,
        s.hostname AS seat_hostname, s.last_validated_at AS seat_last_validated_at
    FROM license_keys k
    LEFT JOIN activations s ON s.key_sha256 = k.key_sha256 AND s.machine_id = ?
    WHERE k.key_sha256 = ?";

/// An sqlx row as [`Columns`].
struct SqlxColumns<'a>(&'a SqliteRow);

impl Columns for SqlxColumns<'_> {
    fn int(&self, name: &str) -> Result<i64, StoreError> {
        Ok(self.0.try_get(name)?)
    }
    fn opt_int(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.0.try_get(name)?)
    }
    fn text(&self, name: &str) -> Result<String, StoreError> {
        Ok(self.0.try_get(name)?)
    }
    fn opt_text(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.0.try_get(name)?)
    }
    fn blob(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        Ok(self.0.try_get(name)?)
    }
    fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.0.try_get(name)?)
    }
    fn flag(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self.0.try_get::<i64, _>(name)? != 0)
    }
}

fn key_from_row(row: &SqliteRow) -> Result<LicenseKeyRecord, StoreError> {
    key_from_columns(&SqlxColumns(row))
}

const KEY_WITH_COUNT: &str = "SELECT k.*, (SELECT COUNT(*) FROM activations a WHERE a.key_sha256 = k.key_sha256) AS activation_count
     FROM license_keys k WHERE k.key_sha256 = ?";

const KEY_BY_ID_WITH_COUNT: &str = "SELECT k.*, (SELECT COUNT(*) FROM activations a WHERE a.key_sha256 = k.key_sha256) AS activation_count
     FROM license_keys k WHERE k.id = ?";

#[async_trait]
impl KeyStore for SqliteStore {
    async fn insert_license_key(
        &self,
        k: &LicenseKeyRecord,
        log: Option<&AdminEntry>,
    ) -> Result<(), StoreError> {
        let features = features_text(k.features.as_ref());
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO license_keys (key_sha256, id, key_hint, customer, product, license_type, features, max_activations, expires_at,
                 lease_days, status, owner_name, owner_email, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&k.key_sha256)
        .bind(&k.id)
        .bind(&k.key_hint)
        .bind(&k.customer)
        .bind(&k.product)
        .bind(&k.license_type)
        .bind(features)
        .bind(k.max_activations)
        .bind(k.expires_at)
        .bind(k.lease_days)
        .bind(&k.status)
        .bind(&k.owner_name)
        .bind(&k.owner_email)
        .bind(k.created_at)
        .bind(k.updated_at)
        .execute(&mut *tx)
        .await?;
        if let Some(entry) = log {
            write_admin_log(&mut *tx, entry).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn get_license_key_by_id(
        &self,
        id: &str,
    ) -> Result<Option<(LicenseKeyRecord, i64)>, StoreError> {
        let row = sqlx::query(KEY_BY_ID_WITH_COUNT)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((key_from_row(&r)?, r.try_get::<i64, _>("activation_count")?)))
            .transpose()
    }

    async fn list_license_keys(
        &self,
        filter: &KeyFilter,
        page: PageRequest,
    ) -> Result<(Vec<(LicenseKeyRecord, i64)>, i64), StoreError> {
        // Every filter value is a bound parameter: nothing a caller sends becomes SQL text.
        let conditions = |query: &mut sqlx::QueryBuilder<'_, sqlx::Sqlite>| {
            query.push(" WHERE 1 = 1");
            if let Some(customer) = &filter.customer {
                query.push(" AND k.customer = ").push_bind(customer.clone());
            }
            if let Some(product) = &filter.product {
                query.push(" AND k.product = ").push_bind(product.clone());
            }
            if let Some(status) = &filter.status {
                query.push(" AND k.status = ").push_bind(status.clone());
            }
        };
        let mut count = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM license_keys k");
        conditions(&mut count);
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;
        let mut query = sqlx::QueryBuilder::new(
            "SELECT k.*, (SELECT COUNT(*) FROM activations a WHERE a.key_sha256 = k.key_sha256) AS activation_count FROM license_keys k",
        );
        conditions(&mut query);
        query
            .push(" ORDER BY k.created_at, k.rowid LIMIT ")
            .push_bind(page.limit)
            .push(" OFFSET ")
            .push_bind(page.offset);
        let rows = query.build().fetch_all(&self.pool).await?;
        let keys = rows
            .iter()
            .map(|r| Ok((key_from_row(r)?, r.try_get::<i64, _>("activation_count")?)))
            .collect::<Result<_, StoreError>>()?;
        Ok((keys, total))
    }

    async fn list_seats(
        &self,
        key_sha256: &[u8],
        limit: i64,
    ) -> Result<Vec<Activation>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM activations WHERE key_sha256 = ? ORDER BY activated_at, machine_id LIMIT ?",
        )
        .bind(key_sha256)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| activation_from_columns(&SqlxColumns(row)))
            .collect()
    }

    async fn stamp_validation(
        &self,
        key_sha256: &[u8],
        machine_id: &str,
        license_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE activations SET last_validated_at = ? WHERE key_sha256 = ? AND machine_id = ? AND license_id = ?",
        )
        .bind(now)
        .bind(key_sha256)
        .bind(machine_id)
        .bind(license_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn get_license_key(
        &self,
        key_sha256: &[u8],
    ) -> Result<Option<(LicenseKeyRecord, i64)>, StoreError> {
        let row = sqlx::query(KEY_WITH_COUNT)
            .bind(key_sha256)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((key_from_row(&r)?, r.try_get::<i64, _>("activation_count")?)))
            .transpose()
    }

    async fn find_seat(
        &self,
        key_sha256: &[u8],
        machine_id: &str,
    ) -> Result<Option<(LicenseKeyRecord, i64, Option<Activation>)>, StoreError> {
        if let Some(reader) = &self.reader {
            match reader.find_seat(key_sha256, machine_id) {
                Ok(found) => return Ok(found),
                // SQLite asked for a wait: sqlx waits without holding this thread.
                Err(reader::Declined::Busy) => {}
                // sqlx is always right: a failure of the second path is logged, not answered.
                Err(reader::Declined::Failed(e)) => {
                    tracing::warn!(cause = %e, "the inline validate read failed; reading through sqlx");
                }
            }
        }
        let row = sqlx::query(FIND_SEAT)
            .bind(machine_id)
            .bind(key_sha256)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| seat_from_columns(&SqlxColumns(&row), machine_id))
            .transpose()
    }

    async fn update_license_key(
        &self,
        key_sha256: &[u8],
        changes: &KeyChanges,
        now: i64,
        log: Option<&AdminEntry>,
    ) -> Result<Option<(LicenseKeyRecord, i64)>, StoreError> {
        // One UPDATE naming only the changed columns: a concurrent change of another field
        // (a suspension while the features change) is not undone. IMMEDIATE: the state read
        // before it is the state it changes, for the audit log.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let Some(before) = sqlx::query(KEY_WITH_COUNT)
            .bind(key_sha256)
            .fetch_optional(&mut *tx)
            .await?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        let before = key_from_row(&before)?;
        let mut query =
            sqlx::QueryBuilder::<sqlx::Sqlite>::new("UPDATE license_keys SET updated_at = ");
        query.push_bind(now);
        if let Some(status) = &changes.status {
            query.push(", status = ").push_bind(status.clone());
        }
        if let Some(lease_days) = changes.lease_days {
            query.push(", lease_days = ").push_bind(lease_days);
        }
        if let Some(features) = &changes.features {
            let text = features_text(features.as_ref());
            query.push(", features = ").push_bind(text);
        }
        if let Some(max) = changes.max_activations {
            query.push(", max_activations = ").push_bind(max);
        }
        if let Some(expires_at) = changes.expires_at {
            query.push(", expires_at = ").push_bind(expires_at);
        }
        if let Some(customer) = &changes.customer {
            query.push(", customer = ").push_bind(customer.clone());
        }
        if let Some(product) = &changes.product {
            query.push(", product = ").push_bind(product.clone());
        }
        if let Some(license_type) = &changes.license_type {
            query
                .push(", license_type = ")
                .push_bind(license_type.clone());
        }
        query
            .push(" WHERE key_sha256 = ")
            .push_bind(key_sha256.to_vec());
        query.build().execute(&mut *tx).await?;
        let after = sqlx::query(KEY_WITH_COUNT)
            .bind(key_sha256)
            .fetch_one(&mut *tx)
            .await?;
        let count: i64 = after.try_get("activation_count")?;
        let after = key_from_row(&after)?;
        if let Some(entry) = log {
            let mut entry = entry.clone();
            entry.before = Some(before.audit_view());
            entry.after = Some(after.audit_view());
            write_admin_log(&mut *tx, &entry).await?;
        }
        tx.commit().await?;
        Ok(Some((after, count)))
    }

    async fn activate(
        &self,
        key_sha256: &[u8],
        machine_id: &str,
        new_license_id: &str,
        hostname: Option<&str>,
        now: i64,
        make_file: SeatFileMaker<'_>,
        log: Option<&AdminEntry>,
    ) -> Result<ActivationOutcome, ActivateError> {
        let _seat_lock = self.seats.lock().await;
        // IMMEDIATE: the write lock is taken before the seat count is read, so no other
        // connection can change the count between the read and the insert.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let Some(row) = sqlx::query(KEY_WITH_COUNT)
            .bind(key_sha256)
            .fetch_optional(&mut *tx)
            .await?
        else {
            tx.rollback().await?;
            return Ok(ActivationOutcome::NotFound);
        };
        let key = key_from_row(&row)?;
        let count: i64 = row.try_get("activation_count")?;
        if key.status != "active" {
            tx.rollback().await?;
            return Ok(ActivationOutcome::Suspended);
        }
        if key.expires_at.is_some_and(|exp| now >= exp) {
            tx.rollback().await?;
            return Ok(ActivationOutcome::Expired);
        }
        let existing =
            sqlx::query("SELECT * FROM activations WHERE key_sha256 = ? AND machine_id = ?")
                .bind(key_sha256)
                .bind(machine_id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(row) = existing {
            let activation = activation_from_columns(&SqlxColumns(&row))?;
            // Made under the transaction like a new seat's, so the caller's side effects (a
            // ledger entry) happen under the same lock; nothing to commit.
            let made = make_file(&key, &activation);
            tx.rollback().await?;
            return Ok(ActivationOutcome::Active {
                file: made.map_err(ActivateError::File)?,
                key,
                activation,
                activations: count,
                new_seat: false,
            });
        }
        if count >= key.max_activations {
            tx.rollback().await?;
            return Ok(ActivationOutcome::LimitReached {
                max_activations: key.max_activations,
            });
        }
        sqlx::query("INSERT INTO activations (key_sha256, machine_id, license_id, activated_at, hostname) VALUES (?, ?, ?, ?, ?)")
            .bind(key_sha256)
            .bind(machine_id)
            .bind(new_license_id)
            .bind(now)
            .bind(hostname)
            .execute(&mut *tx)
            .await?;
        let activation = Activation {
            machine_id: machine_id.to_owned(),
            license_id: new_license_id.to_owned(),
            activated_at: now,
            hostname: hostname.map(str::to_owned),
            last_validated_at: None,
        };
        if let Some(entry) = log {
            let mut entry = entry.clone();
            entry.after = Some(activation.audit_view());
            write_admin_log(&mut *tx, &entry)
                .await
                .map_err(ActivateError::Store)?;
        }
        // The file is made before the commit: a seat whose file cannot be made is never taken,
        // and the seat count stays exact (the seat lock and the write lock are still held).
        let file = match make_file(&key, &activation) {
            Ok(file) => file,
            Err(e) => {
                tx.rollback().await?;
                return Err(ActivateError::File(e));
            }
        };
        tx.commit().await?;
        Ok(ActivationOutcome::Active {
            key,
            activation,
            activations: count + 1,
            new_seat: true,
            file,
        })
    }

    async fn find_activation(
        &self,
        key_sha256: &[u8],
        machine_id: &str,
    ) -> Result<Option<Activation>, StoreError> {
        let row = sqlx::query("SELECT * FROM activations WHERE key_sha256 = ? AND machine_id = ?")
            .bind(key_sha256)
            .bind(machine_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(|row| activation_from_columns(&SqlxColumns(row)))
            .transpose()
    }

    async fn assign_license_key(
        &self,
        key_sha256: &[u8],
        owner_name: Option<&str>,
        owner_email: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        // One statement: of two concurrent assignments, exactly one sees assigned_at IS NULL.
        let done = sqlx::query(
            "UPDATE license_keys SET owner_name = ?, owner_email = ?, assigned_at = ?, updated_at = ?
             WHERE key_sha256 = ? AND status = 'active' AND assigned_at IS NULL
               AND (expires_at IS NULL OR expires_at > ?)",
        )
        .bind(owner_name)
        .bind(owner_email)
        .bind(now)
        .bind(now)
        .bind(key_sha256)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn deactivate(
        &self,
        key_sha256: &[u8],
        machine_id: &str,
        log: Option<&AdminEntry>,
    ) -> Result<Option<(Activation, i64)>, StoreError> {
        let _seat_lock = self.seats.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query(
            "DELETE FROM activations WHERE key_sha256 = ? AND machine_id = ? RETURNING *",
        )
        .bind(key_sha256)
        .bind(machine_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let freed = activation_from_columns(&SqlxColumns(&row))?;
        let remaining: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM activations WHERE key_sha256 = ?")
                .bind(key_sha256)
                .fetch_one(&mut *tx)
                .await?;
        if let Some(entry) = log {
            let mut entry = entry.clone();
            entry.before = Some(freed.audit_view());
            write_admin_log(&mut *tx, &entry).await?;
        }
        tx.commit().await?;
        Ok(Some((freed, remaining)))
    }
}

const CERTIFICATE_SELECT: &str =
    "SELECT c.*, d.name AS department_name FROM certificates c JOIN departments d ON d.id = c.department_id";

#[async_trait]
impl CertStore for SqliteStore {
    async fn insert_department(&self, d: &Department) -> Result<bool, StoreError> {
        let done = sqlx::query("INSERT INTO departments (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING")
            .bind(&d.id)
            .bind(&d.name)
            .bind(d.created_at)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn list_departments(&self) -> Result<Vec<Department>, StoreError> {
        let rows = sqlx::query("SELECT * FROM departments ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| department_from_columns(&SqlxColumns(row)))
            .collect()
    }

    async fn get_department(&self, id: &str) -> Result<Option<Department>, StoreError> {
        let row = sqlx::query("SELECT * FROM departments WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(|row| department_from_columns(&SqlxColumns(row)))
            .transpose()
    }

    async fn insert_certificate(&self, c: &CertificateRecord) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO certificates (id, name, certificate_type, subject, kid, expiry, department_id, enabled,
                 certificate_der, encrypted_key, pkcs11_uri, pin_reference, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&c.id)
        .bind(&c.name)
        .bind(&c.certificate_type)
        .bind(&c.subject)
        .bind(&c.kid)
        .bind(c.expiry)
        .bind(&c.department_id)
        .bind(i64::from(c.enabled))
        .bind(&c.certificate_der)
        .bind(c.key.sealed())
        .bind(match &c.key {
            CertificateKey::Token { uri, .. } => Some(uri.as_str()),
            CertificateKey::Sealed(_) => None,
        })
        .bind(match &c.key {
            CertificateKey::Token { pin_reference, .. } => Some(pin_reference.as_str()),
            CertificateKey::Sealed(_) => None,
        })
        .bind(c.created_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn list_certificates(&self) -> Result<Vec<(CertificateRecord, String)>, StoreError> {
        let rows = sqlx::query(&format!("{CERTIFICATE_SELECT} ORDER BY c.name"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| certificate_from_columns(&SqlxColumns(row)))
            .collect()
    }

    async fn get_certificate(
        &self,
        id: &str,
    ) -> Result<Option<(CertificateRecord, String)>, StoreError> {
        let row = sqlx::query(&format!("{CERTIFICATE_SELECT} WHERE c.id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(|row| certificate_from_columns(&SqlxColumns(row)))
            .transpose()
    }

    async fn delete_certificate(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM certificates WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // A panic is the failure report.
    use super::*;

    fn record(key_sha256: Vec<u8>) -> LicenseKeyRecord {
        LicenseKeyRecord {
            key_sha256,
            id: "0b8e6c9a-0000-4000-8000-000000000001".into(),
            key_hint: Some("ABCD".into()),
            customer: "ACME".into(),
            product: Some("app".into()),
            license_type: "standard".into(),
            features: Some(serde_json::Map::from_iter([("tier".into(), "gold".into())])),
            max_activations: 3,
            expires_at: Some(2_000_000_000),
            lease_days: None,
            status: "active".into(),
            owner_name: None,
            owner_email: None,
            created_at: 1_790_000_000,
            updated_at: 1_790_000_000,
        }
    }

    async fn store_with_key() -> (tempfile::TempDir, std::path::PathBuf, SqliteStore, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let store = SqliteStore::init(&format!("sqlite://{}", path.display()))
            .await
            .unwrap()
            .0;
        let key = vec![7u8; 32];
        store
            .insert_license_key(&record(key.clone()), None)
            .await
            .unwrap();
        (dir, path, store, key)
    }

    #[tokio::test]
    async fn the_inline_read_is_the_sqlx_read() {
        let (_dir, _path, store, key) = store_with_key().await;
        let inline = store.find_seat(&key, "m1").await.unwrap().unwrap();
        let reader = store.reader.clone().unwrap();
        assert!(matches!(reader.find_seat(&key, "m1"), Ok(Some(_))));
        let (via_sqlx, count) = store.get_license_key(&key).await.unwrap().unwrap();
        assert_eq!(inline, (via_sqlx, count, None));
        assert_eq!(inline.0.features.as_ref().unwrap()["tier"], "gold");
        // Unknown key: none, from either path.
        assert!(store.find_seat(&[9u8; 32], "m1").await.unwrap().is_none());
    }

    #[test]
    fn a_busy_reader_declines_and_other_failures_are_errors() {
        use rusqlite::ffi;
        let failure = |code| rusqlite::Error::SqliteFailure(ffi::Error::new(code), None);
        // SQLITE_BUSY and SQLITE_LOCKED: the read goes to sqlx, which waits without holding
        // a runtime thread (see reader.rs); anything else is the store's error.
        assert!(matches!(
            reader::Declined::from(failure(ffi::SQLITE_BUSY)),
            reader::Declined::Busy
        ));
        assert!(matches!(
            reader::Declined::from(failure(ffi::SQLITE_LOCKED)),
            reader::Declined::Busy
        ));
        // WAL's own retry limit (it sleeps first, then gives up with SQLITE_PROTOCOL).
        assert!(matches!(
            reader::Declined::from(failure(ffi::SQLITE_PROTOCOL)),
            reader::Declined::Busy
        ));
        assert!(matches!(
            reader::Declined::from(failure(ffi::SQLITE_CORRUPT)),
            reader::Declined::Failed(_)
        ));
    }

    #[tokio::test]
    async fn the_inline_reader_sees_what_sqlx_committed_and_cannot_write() {
        let (_dir, path, store, key) = store_with_key().await;
        let reader = reader::InlineReader::new(&path);
        let before = reader.find_seat(&key, "m1").unwrap().unwrap();
        assert_eq!(before.1, 0);
        store
            .update_license_key(
                &key,
                &KeyChanges {
                    status: Some("suspended".into()),
                    ..Default::default()
                },
                1_790_000_100,
                None,
            )
            .await
            .unwrap();
        let after = reader.find_seat(&key, "m1").unwrap().unwrap();
        assert_eq!(after.0.status, "suspended");
        // query_only: a connection of the reader refuses writes.
        let Ok(connection) = reader.connect() else {
            panic!("the reader cannot connect")
        };
        assert!(connection
            .execute("UPDATE license_keys SET customer = 'X'", [])
            .is_err());
    }

    #[test]
    fn urls_name_memory_files_and_options_as_sqlx_reads_them() {
        let memory = |url| matches!(parse_url(url), Ok(Location::Memory));
        assert!(memory("sqlite::memory:"));
        assert!(memory("sqlite://x.db?mode=memory"));
        // Percent-encoded in the query, as sqlx decodes it.
        assert!(memory("sqlite://x.db?mode=%6Demory"));
        assert!(memory("sqlite://x.db?mod%65=memory"));
        assert!(matches!(
            parse_url("sqlite://my%20db.db"),
            Ok(Location::File { path, with_options: false }) if path == std::path::Path::new("my db.db")
        ));
        assert!(matches!(
            parse_url("sqlite://x.db?mode=ro"),
            Ok(Location::File {
                with_options: true,
                ..
            })
        ));
        // SQLite would read these as URIs naming another file.
        for url in ["sqlite:file:x.db", "sqlite://file:/srv/x.db"] {
            match parse_url(url) {
                Err(OpenError::UnsupportedScheme(message)) => {
                    assert!(message.contains("URI filename"), "{url}: {message}")
                }
                _ => panic!("{url} was accepted"),
            }
        }
    }

    #[tokio::test]
    async fn a_url_with_options_is_read_through_sqlx_alone() {
        let (dir, _path, _store, _key) = store_with_key().await;
        let url = format!("sqlite://{}?mode=rw", dir.path().join("t.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        assert!(store.reader.is_none());
        assert!(store.find_seat(&[7u8; 32], "m1").await.unwrap().is_some());
    }
}
