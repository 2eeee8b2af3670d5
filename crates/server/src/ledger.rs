//! `licet serve --ledger FILE`: every license file the server mints is recorded in the issuance
//! ledger (the format and locking of `licet issue --ledger` and `licet activation respond
//! --ledger`, [`licet_issuer::ledger`]), so `licet audit --ledger` reconciles online seats like
//! offline ones.
//!
//! An entry is appended (and synced) after a file is minted and before the seat that carries it
//! is committed or the file is cached, so a file the server hands out is always in the ledger; a
//! ledger that cannot be written fails the request and takes no seat. Renewals of a seat are new
//! files with the seat's `jti`: each is recorded once, as an `activate` entry of the same license
//! id. A validate answered from the seat-file cache writes nothing.

use crate::store::{Activation, LicenseKeyRecord};
use licet_issuer::ledger::{
    append_to_ledger, verify_ledger, LedgerAction, LedgerError, LedgerRecord,
};
use licet_verifier::UnixTime;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The largest ledger read at start to check its chain.
pub const MAX_LEDGER_BYTES: u64 = 1024 * 1024 * 1024;

/// Why `--ledger` was refused at start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerOpenError {
    /// The file cannot be opened for appending or read.
    #[error("the ledger {path} cannot be opened for appending: {source}")]
    NotAppendable {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_LEDGER_BYTES`].
    #[error("the ledger {path} is larger than {MAX_LEDGER_BYTES} bytes; start a new ledger file")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The chain does not verify.
    #[error("the ledger {path} does not verify (line {line}: {message}); run `licet ledger verify` on it, or give another file")]
    Broken {
        /// The file.
        path: PathBuf,
        /// The first bad line.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
}

/// The issuance ledger the server appends to.
#[derive(Debug)]
pub struct ServerLedger {
    path: PathBuf,
}

impl ServerLedger {
    /// Opens `path` for appending (creating an empty ledger when it does not exist) and checks
    /// that its whole chain verifies: a server never appends to a ledger that is already broken.
    pub fn open(path: &Path) -> Result<Self, LedgerOpenError> {
        let not_appendable = |source| LedgerOpenError::NotAppendable {
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::options()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(not_appendable)?;
        let length = file.metadata().map_err(not_appendable)?.len();
        if length > MAX_LEDGER_BYTES {
            return Err(LedgerOpenError::TooLarge {
                path: path.to_path_buf(),
            });
        }
        let mut bytes = Vec::new();
        (&mut file)
            .take(MAX_LEDGER_BYTES)
            .read_to_end(&mut bytes)
            .map_err(not_appendable)?;
        let check = verify_ledger(&bytes);
        if let Some(problem) = check.problems.first() {
            return Err(LedgerOpenError::Broken {
                path: path.to_path_buf(),
                line: problem.line,
                message: problem.message.clone(),
            });
        }
        Ok(ServerLedger {
            path: path.to_path_buf(),
        })
    }

    /// The ledger's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a seat's license file (`activate`, the seat's license id, the key's customer, the
    /// signing key's `kid`), synced to disk before it returns.
    pub fn record_seat_file(
        &self,
        file: &str,
        activation: &Activation,
        record: &LicenseKeyRecord,
        kid: &str,
        now: i64,
    ) -> Result<(), LedgerError> {
        let now = UnixTime::from_secs(now).map_err(|e| LedgerError::Io {
            path: self.path.display().to_string(),
            problem: e.to_string(),
        })?;
        let entry = LedgerRecord {
            action: LedgerAction::Activate,
            license_id: &activation.license_id,
            customer_id: Some(&record.customer),
            kid,
            file: file.as_bytes(),
        };
        append_to_ledger(&self.path, &entry, now).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_ledger_is_refused_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        assert!(ServerLedger::open(&path).is_ok(), "a new ledger is created");
        std::fs::write(&path, b"{not a ledger line}\n").unwrap();
        let refused = ServerLedger::open(&path).unwrap_err();
        assert!(
            matches!(refused, LedgerOpenError::Broken { line: 1, .. }),
            "{refused}"
        );
        assert!(refused.to_string().contains("does not verify"), "{refused}");
    }
}
