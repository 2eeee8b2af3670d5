//! The files the Java API reads by path (key files, revocation lists), read here rather than
//! with `java.nio.file.Files.readAllBytes`: regular files only, opened without blocking (a FIFO
//! is refused, never waited on), and at most a bounded number of bytes (`/dev/zero` or a huge
//! file cannot exhaust the memory), as the C ABI (crates/ffi) reads them.

use crate::boundary::{illegal_argument, licet, Error};
use jni::sys::jint;
use std::io::Read;
use std::path::Path;

/// The largest key file read (1 MiB, as `licet verify --pubkey` and the C ABI).
pub const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;

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
    let file = licet_verifier::state::open_regular(path).map_err(cannot)?;
    let limit = kind.limit();
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(licet(
            kind.code(),
            format!(
                "{} {shown} is larger than {limit} bytes; refusing to read it",
                kind.name()
            ),
        ));
    }
    Ok(bytes)
}
