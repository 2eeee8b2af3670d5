//! What kind of file a path holds, so that `--out` never replaces a file of another kind (a key,
//! a keystore, a revocation list, a ledger) and a wrong file given as input is named as such.
//! The recognition itself lives in `licet_audit::kinds`, shared with `licet audit`.

pub use licet_audit::kinds::{kind_of, FileKind};
use std::path::Path;

/// The kind of the file at `path` (missing counts as [`FileKind::Nothing`]); reads at most a
/// few MiB of it.
pub fn kind_of_path(path: &Path) -> FileKind {
    match crate::io::read_capped(path, 16 * 1024 * 1024) {
        Ok((bytes, false)) => kind_of(&bytes),
        Ok((_, true)) => FileKind::Binary,
        Err(_) => FileKind::Nothing,
    }
}
