//! The PostgreSQL store: several `licet serve` replicas on one database behave as one server.
//!
//! - **Seats.** Every change of a key's seats (activate, deactivate, a key update) first locks
//!   the key's row (`SELECT ... FOR UPDATE`) in a READ COMMITTED transaction, then counts the
//!   seats in a statement of its own, which sees every seat committed before the lock was
//!   granted. Changes of one key run one after another whichever replica takes them; changes of
//!   different keys do not wait for each other. No transaction is retried: none can fail on a
//!   serialization conflict.
//! - **Rate limits.** Counted in the `rate_counts` table, shared by every replica (an UNLOGGED
//!   table: no write-ahead log, emptied if PostgreSQL crashes, which only gives every client a
//!   fresh minute). See [`crate::ratelimit`].
//! - **Connections.** The password never needs to be in the URL ([`PgOptions::password`]); TLS
//!   to the database is rustls, chosen by the URL's `sslmode` (`verify-full` with `sslrootcert`
//!   checks the server's certificate and name); statements are not logged.
//!
//! The database is created by its administrator; `licet db init postgres://...` creates the
//! tables in it, and [`PgStore::open`] refuses a database without them.

use super::open::{redact_url, Backend, DbInit, OpenError};
use super::rows::{
    activation_from_columns, admin_log_from_columns, certificate_from_columns,
    department_from_columns, features_text, key_from_columns, license_from_columns,
    seat_from_columns, session_from_columns, token_from_columns, Columns, LICENSE_COLUMNS,
};
use super::{
    ActivateError, Activation, ActivationOutcome, AdminEntry, AdminLogFilter, AdminLogRecord,
    AdminLogStore, ApiToken, CertStore, CertificateKey, CertificateRecord, ConsoleSession,
    Department, InstalledLicense, KeyChanges, KeyFilter, KeyStore, LicenseKeyRecord, PageRequest,
    SeatFileMaker, Store, StoreError,
};
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{ConnectOptions as _, PgPool, Postgres, Row};
use std::str::FromStr;
use std::time::Duration;
use zeroize::Zeroizing;

/// How a PostgreSQL store connects, beyond its URL.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// The password, when it is not in the URL (read from `--db-password-file`); kept out of
    /// every message and log.
    pub password: Option<Zeroizing<String>>,
    /// Connections this process keeps open at most.
    pub max_connections: u32,
    /// The longest a request waits for a free connection before it fails.
    pub acquire_timeout: Duration,
}

/// How every transaction begins: READ COMMITTED whatever the database's default
/// (`default_transaction_isolation`), because the seat logic depends on it. Under REPEATABLE
/// READ the seat count after the key's lock would read the snapshot taken before the lock was
/// granted, and miss the seat another replica just committed.
const BEGIN: &str = "BEGIN ISOLATION LEVEL READ COMMITTED";

/// Default of [`PgOptions::max_connections`] per replica.
pub const DEFAULT_PG_MAX_CONNECTIONS: u32 = 16;

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            password: None,
            max_connections: DEFAULT_PG_MAX_CONNECTIONS,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// Storage in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Opens the database at `url` (it must hold licet's tables: `licet db init` makes them)
    /// and applies pending migrations.
    pub async fn open(url: &str, options: &PgOptions) -> Result<Self, OpenError> {
        let pool = Self::connect(url, options).await?;
        let initialised: bool =
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                .fetch_one(&pool)
                .await
                .map_err(|e| connect_error(url, e))?;
        if !initialised {
            pool.close().await;
            return Err(OpenError::NotInitialised {
                url: redact_url(url),
            });
        }
        migrate(&pool).await?;
        Ok(PgStore { pool })
    }

    /// Creates licet's tables in the existing database at `url` (or applies pending
    /// migrations). `licet db init postgres://...`.
    pub async fn init(url: &str, options: &PgOptions) -> Result<(Self, DbInit), OpenError> {
        let pool = Self::connect(url, options).await?;
        let existed: bool =
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                .fetch_one(&pool)
                .await
                .map_err(|e| connect_error(url, e))?;
        let applied = migrate(&pool).await?;
        Ok((
            PgStore { pool },
            DbInit {
                created: !existed,
                migrations_applied: applied,
            },
        ))
    }

    async fn connect(url: &str, options: &PgOptions) -> Result<PgPool, OpenError> {
        check_url(url)?;
        let mut connect = PgConnectOptions::from_str(url).map_err(|e| {
            OpenError::UnsupportedScheme(format!(
                "`{}` is not a PostgreSQL URL licet can read: {}",
                redact_url(url),
                // sqlx's message names the part, never the password.
                e
            ))
        })?;
        if let Some(password) = &options.password {
            connect = connect.password(password);
        }
        // Statements are not logged: the log is for operators, and a statement's text is
        // licet's, not theirs (its values are never logged either way).
        connect = connect.disable_statement_logging();
        // Every statement READ COMMITTED, the single-statement ones too (the rate-limit upsert
        // would fail under REPEATABLE READ when two replicas count one bucket at once), whatever
        // the database's `default_transaction_isolation`.

        let pool = PgPoolOptions::new()
            .after_connect(|connection, _| {
                Box::pin(async move {
                    sqlx::query(
                        "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED",
                    )
                    .execute(connection)
                    .await
                    .map(|_| ())
                })
            })
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await
            .map_err(|e| connect_error(url, e))?;
        Ok(pool)
    }

    /// The pool, for tests and maintenance.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// The parameters sqlx reads from a PostgreSQL URL (sqlx-postgres `options/parse.rs`); any other
/// is refused, because sqlx would log it, value and all, as unrecognised.
const KNOWN_PARAMETERS: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
];

/// Checks a PostgreSQL URL before sqlx reads it: `postgres://` or `postgresql://`, only
/// parameters sqlx knows, and a TLS mode named unless the database is on this machine (the
/// default `prefer` would fall back to plain text, and send the password in it, to whoever
/// answers on the network).
fn check_url(url: &str) -> Result<(), OpenError> {
    let refuse = |message: String| Err(OpenError::UnsupportedScheme(message));
    let lower = url.to_ascii_lowercase();
    if !lower.starts_with("postgres://") && !lower.starts_with("postgresql://") {
        return refuse(format!(
            "`{}` is not a PostgreSQL URL; write postgres://USER@HOST[:PORT]/DATABASE",
            redact_url(url)
        ));
    }
    let parsed = url::Url::parse(url).map_err(|e| {
        OpenError::UnsupportedScheme(format!(
            "`{}` is not a PostgreSQL URL licet can read: {e}",
            redact_url(url)
        ))
    })?;
    let mut tls_named = std::env::var_os("PGSSLMODE").is_some();
    let mut host_parameter = None;
    for (name, value) in parsed.query_pairs() {
        let known = KNOWN_PARAMETERS.contains(&name.as_ref()) || name.starts_with("options[");
        if !known {
            return refuse(format!(
                "the database URL {} has the parameter `{name}`, which licet does not know (known: {})",
                redact_url(url),
                KNOWN_PARAMETERS.join(", ")
            ));
        }
        if name == "sslmode" || name == "ssl-mode" {
            tls_named = true;
        }
        if name == "host" || name == "hostaddr" {
            host_parameter = Some(value.into_owned());
        }
    }
    let host = host_parameter.unwrap_or_else(|| parsed.host_str().unwrap_or("").to_owned());
    let on_this_machine = host.is_empty()
        || host.starts_with('/')
        || host.to_ascii_lowercase().starts_with("%2f")
        || host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !tls_named && !on_this_machine {
        return refuse(format!(
            "the database URL {} names no TLS mode, and the database is not on this machine: add ?sslmode=verify-full&sslrootcert=CA.pem (checks the server's certificate and name), or sslmode=require (encrypts without checking who answers) or sslmode=disable (plain text) if you accept that",
            redact_url(url)
        ));
    }
    Ok(())
}

fn connect_error(url: &str, e: sqlx::Error) -> OpenError {
    OpenError::Store(StoreError(format!(
        "cannot use the PostgreSQL database {}: {e}",
        redact_url(url)
    )))
}

/// Applies pending migrations (sqlx holds an advisory lock meanwhile, so replicas starting at
/// once do not apply one twice); how many it applied.
async fn migrate(pool: &PgPool) -> Result<usize, OpenError> {
    let applied = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await
            .unwrap_or(0)
    };
    let before = applied().await;
    sqlx::migrate!("./migrations-postgres")
        .run(pool)
        .await
        .map_err(|e| StoreError(format!("a PostgreSQL migration failed: {e}")))?;
    let after = applied().await;
    Ok(usize::try_from(after - before).unwrap_or(0))
}

/// An sqlx PostgreSQL row as [`Columns`].
struct PgColumns<'a>(&'a PgRow);

impl Columns for PgColumns<'_> {
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
        Ok(self.0.try_get(name)?)
    }
}

fn key_with_count(row: &PgRow) -> Result<(LicenseKeyRecord, i64), StoreError> {
    Ok((
        key_from_columns(&PgColumns(row))?,
        row.try_get("activation_count")?,
    ))
}

/// Writes an audit-log entry on `executor` (a transaction, so it commits with the change).
async fn write_admin_log<'e, E>(executor: E, entry: &AdminEntry) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = Postgres>,
{
    sqlx::query(
        "INSERT INTO admin_log (at, token_id, user_id, action, target, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
impl AdminLogStore for PgStore {
    async fn insert_admin_log(&self, entry: &AdminEntry) -> Result<(), StoreError> {
        write_admin_log(&self.pool, entry).await
    }

    async fn list_admin_log(
        &self,
        filter: &AdminLogFilter,
        page: PageRequest,
    ) -> Result<(Vec<AdminLogRecord>, i64), StoreError> {
        let conditions = |query: &mut sqlx::QueryBuilder<'_, Postgres>| {
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
            .map(|row| admin_log_from_columns(&PgColumns(row)))
            .collect::<Result<_, _>>()?;
        Ok((entries, total))
    }
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn insert_console_session(
        &self,
        session: &ConsoleSession,
        keep_per_token: u32,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with(BEGIN).await?;
        sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1")
            .bind(session.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO console_sessions (session_sha256, token_sha256, created_at, expires_at) VALUES ($1, $2, $3, $4)",
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
            "DELETE FROM console_sessions WHERE token_sha256 = $1 AND session_sha256 <> $2 \
             AND session_sha256 NOT IN (SELECT session_sha256 FROM console_sessions \
             WHERE token_sha256 = $3 AND session_sha256 <> $4 \
             ORDER BY created_at DESC, session_sha256 DESC LIMIT $5)",
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
        let row = sqlx::query("SELECT * FROM console_sessions WHERE session_sha256 = $1")
            .bind(session_sha256.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| session_from_columns(&PgColumns(&row)))
            .transpose()
    }

    async fn delete_console_session(&self, session_sha256: &[u8; 32]) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM console_sessions WHERE session_sha256 = $1")
            .bind(session_sha256.as_slice())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn count_shared_request(
        &self,
        bucket: &[u8],
        window_start: i64,
        limit: u32,
    ) -> Result<Option<u32>, StoreError> {
        if limit == 0 {
            return Ok(Some(0));
        }
        // One statement, atomic on the bucket's row: of concurrent requests from every replica,
        // exactly `limit` get a row back in a window. No row: the bucket was full.
        let after: Option<i32> = sqlx::query_scalar(
            "INSERT INTO rate_counts (bucket, window_start, count) VALUES ($1, $2, 1)
             ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_counts.count + 1
             WHERE rate_counts.count < $3
             RETURNING count",
        )
        .bind(bucket)
        .bind(window_start)
        .bind(i32::try_from(limit).unwrap_or(i32::MAX))
        .fetch_optional(&self.pool)
        .await?;
        Ok(Some(match after {
            Some(after) => u32::try_from(after - 1).unwrap_or(0),
            None => limit,
        }))
    }

    async fn peek_shared_requests(
        &self,
        bucket: &[u8],
        window_start: i64,
    ) -> Result<Option<u32>, StoreError> {
        let count: Option<i32> = sqlx::query_scalar(
            "SELECT count FROM rate_counts WHERE bucket = $1 AND window_start = $2",
        )
        .bind(bucket)
        .bind(window_start)
        .fetch_optional(&self.pool)
        .await?;
        Ok(Some(count.map_or(0, |c| u32::try_from(c).unwrap_or(0))))
    }

    async fn forget_rate_windows_before(&self, window_start: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM rate_counts WHERE window_start < $1")
            .bind(window_start)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn record_replica_key(
        &self,
        name: &str,
        value: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        // Of replicas starting at once, the first insert wins and every one reads it back.
        sqlx::query(
            "INSERT INTO replica_keys (name, value, recorded_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let recorded: String = sqlx::query_scalar("SELECT value FROM replica_keys WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(recorded))
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
        let mut tx = self.pool.begin_with(BEGIN).await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, token_sha256, permissions, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
        let rows = sqlx::query("SELECT * FROM api_tokens ORDER BY created_at, seq")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| token_from_columns(&PgColumns(row)))
            .collect()
    }

    async fn revoke_token(
        &self,
        id: &str,
        now: i64,
        log: &AdminEntry,
    ) -> Result<Option<ApiToken>, StoreError> {
        let mut tx = self.pool.begin_with(BEGIN).await?;
        // One UPDATE with its condition: of two concurrent revocations one changes the row.
        let row = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING *",
        )
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let token = token_from_columns(&PgColumns(&row))?;
        write_admin_log(&mut *tx, log).await?;
        tx.commit().await?;
        Ok(Some(token))
    }

    async fn find_token(&self, sha256: &[u8; 32]) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query("SELECT * FROM api_tokens WHERE token_sha256 = $1")
            .bind(sha256.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| token_from_columns(&PgColumns(&row)))
            .transpose()
    }

    async fn upsert_license(
        &self,
        l: &InstalledLicense,
    ) -> Result<Option<InstalledLicense>, StoreError> {
        let row = sqlx::query(&format!(
            "INSERT INTO installed_licenses ({LICENSE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
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
        .bind(l.enabled)
        .bind(l.installed_at)
        .bind(l.updated_at)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| license_from_columns(&PgColumns(&row)))
            .transpose()
    }

    async fn set_applied_license(
        &self,
        file: &str,
        user_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO applied_license (id, file, user_id, applied_at) VALUES (1, $1, $2, $3)
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
            .map(|row| license_from_columns(&PgColumns(row)))
            .collect()
    }

    async fn get_license(&self, license_id: &str) -> Result<Option<InstalledLicense>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {LICENSE_COLUMNS} FROM installed_licenses WHERE license_id = $1"
        ))
        .bind(license_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| license_from_columns(&PgColumns(&row)))
            .transpose()
    }

    async fn set_license_enabled(
        &self,
        license_id: &str,
        enabled: bool,
        now: i64,
    ) -> Result<Option<InstalledLicense>, StoreError> {
        let row = sqlx::query(&format!(
            "UPDATE installed_licenses SET enabled = $1, updated_at = $2 WHERE license_id = $3 RETURNING {LICENSE_COLUMNS}"
        ))
        .bind(enabled)
        .bind(now)
        .bind(license_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| license_from_columns(&PgColumns(&row)))
            .transpose()
    }
}

/// [`KeyStore::find_seat`] in one statement (parameters: machine id, key hash), so key, count
/// and seat come from one snapshot.
const FIND_SEAT: &str = "SELECT k.*,
        (SELECT COUNT(*) FROM activations a WHERE a.key_sha256 = k.key_sha256) AS activation_count,
        s.license_id AS seat_license_id, s.activated_at AS seat_activated_at,
        s.hostname AS seat_hostname, s.last_validated_at AS seat_last_validated_at
    FROM license_keys k
    LEFT JOIN activations s ON s.key_sha256 = k.key_sha256 AND s.machine_id = $1
    WHERE k.key_sha256 = $2";

const KEY_WITH_COUNT: &str = "SELECT k.*, (SELECT COUNT(*) FROM activations a WHERE a.key_sha256 = k.key_sha256) AS activation_count
     FROM license_keys k WHERE k.key_sha256 = $1";

const KEY_BY_ID_WITH_COUNT: &str = "SELECT k.*, (SELECT COUNT(*) FROM activations a WHERE a.key_sha256 = k.key_sha256) AS activation_count
     FROM license_keys k WHERE k.id = $1";

/// Locks the key's row until the transaction ends: the seat changes of one key, from every
/// replica, run one after another from here on.
const LOCK_KEY: &str = "SELECT * FROM license_keys WHERE key_sha256 = $1 FOR UPDATE";

/// The seats of a key; run after [`LOCK_KEY`] in its own statement, it sees every seat
/// committed before the lock was granted (READ COMMITTED takes a snapshot per statement).
const COUNT_SEATS: &str = "SELECT COUNT(*) FROM activations WHERE key_sha256 = $1";

#[async_trait]
impl KeyStore for PgStore {
    async fn insert_license_key(
        &self,
        k: &LicenseKeyRecord,
        log: Option<&AdminEntry>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with(BEGIN).await?;
        sqlx::query(
            "INSERT INTO license_keys (key_sha256, id, key_hint, customer, product, license_type, features, max_activations, expires_at,
                 lease_days, status, owner_name, owner_email, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&k.key_sha256)
        .bind(&k.id)
        .bind(&k.key_hint)
        .bind(&k.customer)
        .bind(&k.product)
        .bind(&k.license_type)
        .bind(features_text(k.features.as_ref()))
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
        row.as_ref().map(key_with_count).transpose()
    }

    async fn list_license_keys(
        &self,
        filter: &KeyFilter,
        page: PageRequest,
    ) -> Result<(Vec<(LicenseKeyRecord, i64)>, i64), StoreError> {
        // Every filter value is a bound parameter: nothing a caller sends becomes SQL text.
        let conditions = |query: &mut sqlx::QueryBuilder<'_, Postgres>| {
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
            .push(" ORDER BY k.created_at, k.seq LIMIT ")
            .push_bind(page.limit)
            .push(" OFFSET ")
            .push_bind(page.offset);
        let rows = query.build().fetch_all(&self.pool).await?;
        let keys = rows
            .iter()
            .map(key_with_count)
            .collect::<Result<_, StoreError>>()?;
        Ok((keys, total))
    }

    async fn list_seats(
        &self,
        key_sha256: &[u8],
        limit: i64,
    ) -> Result<Vec<Activation>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM activations WHERE key_sha256 = $1 ORDER BY activated_at, machine_id LIMIT $2",
        )
        .bind(key_sha256)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| activation_from_columns(&PgColumns(row)))
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
            "UPDATE activations SET last_validated_at = $1 WHERE key_sha256 = $2 AND machine_id = $3 AND license_id = $4",
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
        row.as_ref().map(key_with_count).transpose()
    }

    async fn find_seat(
        &self,
        key_sha256: &[u8],
        machine_id: &str,
    ) -> Result<Option<(LicenseKeyRecord, i64, Option<Activation>)>, StoreError> {
        let row = sqlx::query(FIND_SEAT)
            .bind(machine_id)
            .bind(key_sha256)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| seat_from_columns(&PgColumns(&row), machine_id))
            .transpose()
    }

    async fn update_license_key(
        &self,
        key_sha256: &[u8],
        changes: &KeyChanges,
        now: i64,
        log: Option<&AdminEntry>,
    ) -> Result<Option<(LicenseKeyRecord, i64)>, StoreError> {
        // The row lock: the state read here is the state changed, for the audit log, and a
        // concurrent activation waits (a lower seat count is seen by the next one).
        let mut tx = self.pool.begin_with(BEGIN).await?;
        let Some(before) = sqlx::query(LOCK_KEY)
            .bind(key_sha256)
            .fetch_optional(&mut *tx)
            .await?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        let before = key_from_columns(&PgColumns(&before))?;
        let mut query =
            sqlx::QueryBuilder::<Postgres>::new("UPDATE license_keys SET updated_at = ");
        query.push_bind(now);
        if let Some(status) = &changes.status {
            query.push(", status = ").push_bind(status.clone());
        }
        if let Some(lease_days) = changes.lease_days {
            query.push(", lease_days = ").push_bind(lease_days);
        }
        if let Some(features) = &changes.features {
            query
                .push(", features = ")
                .push_bind(features_text(features.as_ref()));
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
        let (after, count) = key_with_count(&after)?;
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
        let mut tx = self.pool.begin_with(BEGIN).await?;
        let Some(row) = sqlx::query(LOCK_KEY)
            .bind(key_sha256)
            .fetch_optional(&mut *tx)
            .await?
        else {
            tx.rollback().await?;
            return Ok(ActivationOutcome::NotFound);
        };
        let key = key_from_columns(&PgColumns(&row))?;
        if key.status != "active" {
            tx.rollback().await?;
            return Ok(ActivationOutcome::Suspended);
        }
        if key.expires_at.is_some_and(|exp| now >= exp) {
            tx.rollback().await?;
            return Ok(ActivationOutcome::Expired);
        }
        let count: i64 = sqlx::query_scalar(COUNT_SEATS)
            .bind(key_sha256)
            .fetch_one(&mut *tx)
            .await?;
        let existing =
            sqlx::query("SELECT * FROM activations WHERE key_sha256 = $1 AND machine_id = $2")
                .bind(key_sha256)
                .bind(machine_id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(row) = existing {
            let activation = activation_from_columns(&PgColumns(&row))?;
            // Made under the lock like a new seat's, so the caller's side effects (a ledger
            // entry) happen under it too; nothing to commit.
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
        sqlx::query("INSERT INTO activations (key_sha256, machine_id, license_id, activated_at, hostname) VALUES ($1, $2, $3, $4, $5)")
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
        // The file is made before the commit: a seat whose file cannot be made is never taken.
        let file = match make_file(&key, &activation) {
            Ok(file) => file,
            Err(e) => {
                tx.rollback().await?;
                return Err(ActivateError::File(e));
            }
        };
        // The commit returns once the seat is durable (synchronous_commit, the server's
        // default): an acknowledged activation survives the loss of this replica.
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
        let row =
            sqlx::query("SELECT * FROM activations WHERE key_sha256 = $1 AND machine_id = $2")
                .bind(key_sha256)
                .bind(machine_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|row| activation_from_columns(&PgColumns(&row)))
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
            "UPDATE license_keys SET owner_name = $1, owner_email = $2, assigned_at = $3, updated_at = $3
             WHERE key_sha256 = $4 AND status = 'active' AND assigned_at IS NULL
               AND (expires_at IS NULL OR expires_at > $3)",
        )
        .bind(owner_name)
        .bind(owner_email)
        .bind(now)
        .bind(key_sha256)
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
        let mut tx = self.pool.begin_with(BEGIN).await?;
        // The key's lock first, as every seat change takes it: a concurrent activation counts
        // the seats after this one is gone, or before it went, never in between.
        sqlx::query(LOCK_KEY)
            .bind(key_sha256)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(
            "DELETE FROM activations WHERE key_sha256 = $1 AND machine_id = $2 RETURNING *",
        )
        .bind(key_sha256)
        .bind(machine_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let freed = activation_from_columns(&PgColumns(&row))?;
        let remaining: i64 = sqlx::query_scalar(COUNT_SEATS)
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
impl CertStore for PgStore {
    async fn insert_department(&self, d: &Department) -> Result<bool, StoreError> {
        let done = sqlx::query("INSERT INTO departments (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
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
            .map(|row| department_from_columns(&PgColumns(row)))
            .collect()
    }

    async fn get_department(&self, id: &str) -> Result<Option<Department>, StoreError> {
        let row = sqlx::query("SELECT * FROM departments WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| department_from_columns(&PgColumns(&row)))
            .transpose()
    }

    async fn insert_certificate(&self, c: &CertificateRecord) -> Result<bool, StoreError> {
        let (uri, pin_reference) = match &c.key {
            CertificateKey::Token { uri, pin_reference } => {
                (Some(uri.as_str()), Some(pin_reference.as_str()))
            }
            CertificateKey::Sealed(_) => (None, None),
        };
        let done = sqlx::query(
            "INSERT INTO certificates (id, name, certificate_type, subject, kid, expiry, department_id, enabled,
                 certificate_der, encrypted_key, pkcs11_uri, pin_reference, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&c.id)
        .bind(&c.name)
        .bind(&c.certificate_type)
        .bind(&c.subject)
        .bind(&c.kid)
        .bind(c.expiry)
        .bind(&c.department_id)
        .bind(c.enabled)
        .bind(&c.certificate_der)
        .bind(c.key.sealed())
        .bind(uri)
        .bind(pin_reference)
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
            .map(|row| certificate_from_columns(&PgColumns(row)))
            .collect()
    }

    async fn get_certificate(
        &self,
        id: &str,
    ) -> Result<Option<(CertificateRecord, String)>, StoreError> {
        let row = sqlx::query(&format!("{CERTIFICATE_SELECT} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| certificate_from_columns(&PgColumns(&row)))
            .transpose()
    }

    async fn delete_certificate(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM certificates WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> String {
        match check_url(url) {
            Err(OpenError::UnsupportedScheme(message)) => message,
            other => panic!("{url} was not refused: {other:?}"),
        }
    }

    #[test]
    fn urls_name_tls_off_this_machine_and_only_known_parameters() {
        // On this machine, no TLS mode is needed.
        for url in [
            "postgres://licet@127.0.0.1:5432/licet",
            "postgres://licet@localhost/licet",
            "postgres://licet@[::1]/licet",
            "postgresql:///licet?host=/var/run/postgresql&user=licet",
            "postgres://licet@%2Fvar%2Frun%2Fpostgresql/licet",
        ] {
            assert!(check_url(url).is_ok(), "{url}");
        }
        // Over a network, the mode is named (verify-full, or an explicit weaker one).
        if std::env::var_os("PGSSLMODE").is_none() {
            let message = refused("postgres://licet@db.internal/licet");
            assert!(message.contains("sslmode=verify-full"), "{message}");
        }
        for url in [
            "postgres://licet@db.internal/licet?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            "postgres://licet@db.internal/licet?sslmode=require",
            "postgres://licet@db.internal/licet?sslmode=disable",
        ] {
            assert!(check_url(url).is_ok(), "{url}");
        }
        // Parameters sqlx would log as unrecognised, value and all: refused, value unprinted.
        let message = refused("postgres://u@127.0.0.1/d?Password=s3cret");
        assert!(
            message.contains("`Password`") && !message.contains("s3cret"),
            "{message}"
        );
        // Not a network URL.
        let message = refused("postgres:u:s3cret@h/d");
        assert!(!message.contains("s3cret"), "{message}");
    }
}
