//! Why a relay step failed. Each message names the file or the setting at fault.

use std::path::PathBuf;

/// A relay error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// The relay directory or a file in it could not be read or written.
    #[error(transparent)]
    State(#[from] licet_verifier::state::StateError),
    /// `init` on a directory that has a key already.
    #[error("{} exists: this directory has a relay key already, and a relay key is never replaced (the pool licenses name it); use another --dir for a new relay", .0.display())]
    AlreadyInitialised(PathBuf),
    /// The directory has no key.
    #[error("{} holds no relay key: run `licet relay init --dir {}` first", .0.display(), .0.display())]
    NotInitialised(PathBuf),
    /// The relay key file is unusable.
    #[error("the relay key {path}: {1}", path = .0.display())]
    Key(PathBuf, String),
    /// Another relay holds the directory.
    #[error("another relay is running on {} (its lock is held); stop it first", .0.display())]
    Busy(PathBuf),
    /// Another relay with the same key runs on this machine.
    #[error("another relay with the key {0} is running on this machine (a copy of the relay directory?): one relay per key")]
    KeyInUse(String),
    /// A pool license was refused at start.
    #[error("{path}: {1}", path = .0.display())]
    Pool(PathBuf, String),
    /// A setting is out of range.
    #[error("{0}")]
    Settings(String),
    /// The relay request could not be made.
    #[error(transparent)]
    Request(#[from] licet_issuer::pool::PoolError),
    /// The lease database failed.
    #[error("the lease database {path}: {1}", path = .0.display())]
    Database(PathBuf, String),
    /// A usage report was refused.
    #[error("{0}")]
    Report(String),
    /// The listener failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
