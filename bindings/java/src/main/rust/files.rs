//! The files the Java API reads by path (key files, revocation lists), read here rather than
//! with `java.nio.file.Files.readAllBytes`: regular files only, opened without blocking (a FIFO
//! is refused, never waited on), and at most a bounded number of bytes (`/dev/zero` or a huge
//! file cannot exhaust the memory), as the C ABI (crates/ffi) reads them.

use crate::boundary::{illegal_argument, licet, Error};
use jni::sys::jint;
use licet_verifier::state::{read_regular_capped, CappedReadError};
use std::path::Path;

pub use licet_verifier::MAX_KEY_FILE_BYTES;

/// What a file is: its limit, its name in messages and its `LicetException.Code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A key file (`Native.FILE_KEY`): at most [`MAX_KEY_FILE_BYTES`], code `KEY_FILE`.
    Key,
    /// A revocation list (`Native.FILE_LIST`): at most
    /// [`licet_verifier::MAX_REVOCATION_LIST_BYTES`], code `IO`.
    RevocationList,
}

impl FileKind {
    /// The kind of `Native.FILE_KEY` (0) or `Native.FILE_LIST` (1).
    pub fn from_java(kind: jint) -> Result<Self, Error> {
        match kind {
            0 => Ok(FileKind::Key),
            1 => Ok(FileKind::RevocationList),
            other => Err(illegal_argument(format!(
                "file kind {other} is not one of Native.FILE_KEY (0), Native.FILE_LIST (1)"
            ))),
        }
    }

    fn limit(self) -> u64 {
        match self {
            FileKind::Key => MAX_KEY_FILE_BYTES,
            FileKind::RevocationList => licet_verifier::MAX_REVOCATION_LIST_BYTES as u64,
        }
    }

    fn name(self) -> &'static str {
        match self {
            FileKind::Key => "the key file",
            FileKind::RevocationList => "the revocation list",
        }
    }

    fn code(self) -> &'static str {
        match self {
            FileKind::Key => "KEY_FILE",
            FileKind::RevocationList => "IO",
        }
    }
}

/// Why a file cannot be read, as the Java API has always said it.
fn describe(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

/// The contents of the file at `path` (shown as `shown` in errors): a regular file of at most
/// the kind's limit, else a `LicetException` that names the file and the problem.
pub fn read(path: &Path, shown: &str, kind: FileKind) -> Result<Vec<u8>, Error> {
    let cannot = |e: std::io::Error| {
        licet(
            kind.code(),
            format!("{} {shown} cannot be read: {}", kind.name(), describe(&e)),
        )
    };
    read_regular_capped(path, kind.limit()).map_err(|e| match e {
        CappedReadError::TooLarge { limit } => licet(
            kind.code(),
            format!(
                "{} {shown} is larger than {limit} bytes; refusing to read it",
                kind.name()
            ),
        ),
        CappedReadError::Io(e) => cannot(e),
        other => cannot(std::io::Error::other(other.to_string())),
    })
}
