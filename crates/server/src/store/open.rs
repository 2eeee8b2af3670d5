//! Opening a store by its URL: `sqlite://PATH` (the default, one process) or
//! `postgres://...` (several replicas on one database).

use super::postgres::{PgOptions, PgStore};
use super::sqlite::SqliteStore;
use super::{Store, StoreError};
use std::path::PathBuf;
use std::sync::Arc;

/// What [`SqliteStore::init`] or [`PgStore::init`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbInit {
    /// Whether the database was created (false: it existed and was only migrated). A
    /// PostgreSQL database is created by its administrator; `init` only migrates it, so this is
    /// true when it held no licet tables before.
    pub created: bool,
    /// How many migrations were applied.
    pub migrations_applied: usize,
}

/// Why a database could not be opened or created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The database file does not exist (it is never created by accident).
    #[error("the database {path} does not exist; create it with `licet db init {url}` (or check the path)", path = .path.display())]
    Missing {
        /// The file.
        path: PathBuf,
        /// The URL given.
        url: String,
    },
    /// A PostgreSQL database that holds no licet tables (never migrated by accident).
    #[error("the PostgreSQL database {url} holds no licet tables; create them with `licet db init` on that URL (or check the database name)")]
    NotInitialised {
        /// The URL given, without its password.
        url: String,
    },
    /// A URL whose scheme names a database licet does not speak.
    #[error("{0}")]
    UnsupportedScheme(String),
    /// The database file could not be created.
    #[error("cannot create the database {path}: {source}", path = .path.display())]
    Create {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The database could not be reached or a migration failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which backend a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite://PATH`, `sqlite:PATH`, `sqlite::memory:`.
    Sqlite,
    /// `postgres://...` or `postgresql://...`.
    Postgres,
}

impl Backend {
    /// The backend of `url`, by its scheme; anything but PostgreSQL goes to SQLite, whose URL
    /// parser names every unsupported scheme.
    pub fn of(url: &str) -> Backend {
        let scheme = url
            .split_once(':')
            .map(|(s, _)| s.to_ascii_lowercase())
            .unwrap_or_default();
        match scheme.as_str() {
            "postgres" | "postgresql" => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }
}

/// Opens the existing database at `url` and applies pending migrations; a SQLite file that
/// does not exist or a PostgreSQL database without licet's tables is an error naming
/// `licet db init`.
pub async fn open_store(url: &str, options: &PgOptions) -> Result<Arc<dyn Store>, OpenError> {
    Ok(match Backend::of(url) {
        Backend::Sqlite => Arc::new(SqliteStore::open(url).await?),
        Backend::Postgres => Arc::new(PgStore::open(url, options).await?),
    })
}

/// Creates (SQLite) or prepares (PostgreSQL: the database must exist) the database at `url`
/// and applies the migrations. `licet db init`.
pub async fn init_store(
    url: &str,
    options: &PgOptions,
) -> Result<(Arc<dyn Store>, DbInit), OpenError> {
    Ok(match Backend::of(url) {
        Backend::Sqlite => {
            let (store, init) = SqliteStore::init(url).await?;
            (Arc::new(store), init)
        }
        Backend::Postgres => {
            let (store, init) = PgStore::init(url, options).await?;
            (Arc::new(store), init)
        }
    })
}

/// Whether a query parameter's name (percent-decoded) may carry a secret: `password` as sqlx
/// reads it, and any other spelling (`Password`, `passwd`, `sslpassword`), which sqlx would log
/// as an unrecognised parameter, value and all.
fn secret_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("pass") || name.contains("pwd")
}

/// A URL without its password (the user part's password and every parameter that may be one
/// become `***`), for messages. A URL without `//` keeps only its scheme and what follows its
/// last `@`; a SQLite URL is printed as given.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) if parsed.scheme() == "sqlite" => url.to_owned(),
        Ok(mut parsed) if !parsed.cannot_be_a_base() => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            if parsed.query().is_some() {
                let pairs: Vec<(String, String)> = parsed
                    .query_pairs()
                    .map(|(name, value)| {
                        let value = if secret_parameter(&name) {
                            "***".to_owned()
                        } else {
                            value.into_owned()
                        };
                        (name.into_owned(), value)
                    })
                    .collect();
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        _ => redact_url_unparsed(url),
    }
}

/// [`redact_url`] for a URL without `//` (`postgres:user:pw@host/db`): nothing before the `@`.
fn redact_url_unparsed(url: &str) -> String {
    match (url.split_once(':'), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}:***{}", &url[at..]),
        _ => url.to_owned(),
    }
}

/// Whether `url` carries a password (in its user part, or a parameter that may be one), or is a
/// network URL licet cannot tell about (then it is treated as carrying one).
pub fn url_has_password(url: &str) -> bool {
    if Backend::of(url) == Backend::Sqlite {
        return false;
    }
    match url::Url::parse(url) {
        Ok(parsed) if !parsed.cannot_be_a_base() => {
            parsed.password().is_some()
                || parsed
                    .query_pairs()
                    .any(|(name, _)| secret_parameter(&name))
        }
        _ => url.contains('@') || url.contains("pass"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_wherever_they_are() {
        assert_eq!(
            redact_url("postgres://licet:s3cret@db:5432/licet"),
            "postgres://licet:***@db:5432/licet"
        );
        assert_eq!(
            redact_url("postgres://licet@db/licet?sslmode=verify-full&password=s3cret"),
            "postgres://licet@db/licet?sslmode=verify-full&password=***"
        );
        assert_eq!(
            redact_url("postgres://licet@db/licet"),
            "postgres://licet@db/licet"
        );
        assert!(url_has_password("postgres://u:p@h/d"));
        assert!(!url_has_password("postgres://u@h/d?sslmode=require"));
        assert!(!url_has_password("sqlite://licet.db"));
    }

    #[test]
    fn the_scheme_selects_the_backend() {
        assert_eq!(Backend::of("postgres://h/d"), Backend::Postgres);
        assert_eq!(Backend::of("PostgreSQL://h/d"), Backend::Postgres);
        assert_eq!(Backend::of("sqlite://x.db"), Backend::Sqlite);
        assert_eq!(Backend::of("mysql://h/d"), Backend::Sqlite);
    }
}
