//! The license database every server command opens: which URL (`--db`, else `$LICET_DB_URL`,
//! else `sqlite://licet.db`), and the PostgreSQL password, which never comes from the command
//! line (docs/OPERATIONS.md "PostgreSQL").

use crate::args::DbArgs;
use anyhow::{anyhow, bail, Context, Result};
use licet_server::store::Store;
use licet_server::{redact_db_url, url_has_password, Backend, PgOptions};
use std::path::Path;
use std::sync::Arc;
use zeroize::Zeroizing;

/// The environment variable that may hold the database URL, password included.
pub const DB_URL_ENV: &str = "LICET_DB_URL";

/// The database when neither `--db` nor `$LICET_DB_URL` names one.
pub const DEFAULT_DB_URL: &str = "sqlite://licet.db";

/// A database URL with how to connect to it.
pub struct Database {
    /// The URL (it may hold a password when it came from the environment: print
    /// [`Database::display`], never this).
    pub url: String,
    /// The PostgreSQL options (the password from `--db-password-file`).
    pub options: PgOptions,
}

impl Database {
    /// The URL without its password, for messages.
    pub fn display(&self) -> String {
        redact_db_url(&self.url)
    }

    /// Which backend the URL selects.
    pub fn backend(&self) -> Backend {
        Backend::of(&self.url)
    }

    /// Opens the existing database (never creates one).
    pub async fn open(&self) -> Result<Arc<dyn Store>> {
        licet_server::open_store(&self.url, &self.options)
            .await
            .with_context(|| format!("cannot open the database {}", self.display()))
    }
}

impl DbArgs {
    /// The database these arguments name.
    pub fn resolve(&self) -> Result<Database> {
        resolve(
            self.url.as_deref(),
            "--db",
            self.db_password_file.as_deref(),
        )
    }
}

/// The database named on the command line as `flag` (`given`), else by `$LICET_DB_URL`, else
/// the default; a password in `given` is refused, one in `password_file` read.
pub fn resolve(given: Option<&str>, flag: &str, password_file: Option<&Path>) -> Result<Database> {
    let url = match given {
        Some(url) => {
            if url_has_password(url) {
                bail!(
                    "{flag} {} carries a password, which every user of this machine can read in the process list; put the URL in {DB_URL_ENV} or the password in --db-password-file",
                    redact_db_url(url)
                );
            }
            url.to_owned()
        }
        None => match std::env::var(DB_URL_ENV) {
            Ok(url) if !url.trim().is_empty() => url.trim().to_owned(),
            _ => DEFAULT_DB_URL.to_owned(),
        },
    };
    let mut options = PgOptions::default();
    if let Some(path) = password_file {
        if Backend::of(&url) != Backend::Postgres {
            bail!(
                "--db-password-file is for a PostgreSQL database, and {} is not one",
                redact_db_url(&url)
            );
        }
        if url_has_password(&url) {
            bail!(
                "the database URL {} already carries a password; give it there or in --db-password-file, not both",
                redact_db_url(&url)
            );
        }
        options.password = Some(read_password(path)?);
    }
    Ok(Database { url, options })
}

/// The password in `path`: a private file (mode 0600 or stricter), its first line.
fn read_password(path: &Path) -> Result<Zeroizing<String>> {
    licet_server::private::require_private(path).map_err(|e| anyhow!("--db-password-file: {e}"))?;
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --db-password-file {}", path.display()))?,
    );
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        bail!(
            "--db-password-file {} is empty: its first line is the password",
            path.display()
        );
    }
    Ok(Zeroizing::new(line.to_owned()))
}
