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

/// Whether `path` exists but cannot be read (permissions): such a file is never replaced, since
/// what it holds cannot be checked.
fn unreadable(path: &Path) -> Option<String> {
    match licet_verifier::state::open_regular(path) {
        Ok(_) => None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(e.to_string()),
    }
}

/// Refuses (exit 2, naming the file and what it holds) to replace `path` unless it is missing,
/// empty, or already holds `kind`: `--out` never replaces a key, a keystore, a revocation list, a
/// ledger or any file of another kind given by mistake.
pub fn refuse_other_kind(path: &Path, kind: FileKind, what: &str) -> anyhow::Result<()> {
    if path == Path::new("-") {
        return Ok(());
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.is_file() && !meta.file_type().is_symlink() {
            anyhow::bail!(
                "{} exists and is {}, not a regular file; refusing to write {what} there",
                path.display(),
                licet_verifier::state::describe_file_type(meta.file_type())
            );
        }
    }
    if let Some(problem) = unreadable(path) {
        anyhow::bail!(
            "{} exists and cannot be read ({problem}), so what it holds cannot be checked; refusing to replace it",
            path.display()
        );
    }
    let existing = kind_of_path(path);
    if existing != FileKind::Nothing && existing != kind {
        anyhow::bail!(
            "{} exists and is {}, not {what}; refusing to replace it (choose another --out)",
            path.display(),
            existing.describe()
        );
    }
    Ok(())
}

/// Writes `text` and a newline to `out` (stdout for `-`), atomically, after
/// [`refuse_other_kind`].
pub fn write_kind(out: &Path, text: &str, kind: FileKind, what: &str) -> anyhow::Result<()> {
    refuse_other_kind(out, kind, what)?;
    crate::io::write_output(
        out,
        format!("{text}\n").as_bytes(),
        0o644,
        crate::io::Overwrite::Replace,
    )
}
