//! Which files an audit looks at.

use crate::AuditError;
use std::path::{Path, PathBuf};

/// Extensions of the files taken from directories (files named on the command line are always
/// taken): `.lic`, `.jwt`, `.jws`, `.license`, case-insensitive.
pub const LICENSE_EXTENSIONS: [&str; 4] = ["lic", "jwt", "jws", "license"];

fn is_license_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| LICENSE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// The files named in `paths`, and the license files under the directories among them
/// (recursively, symbolic links not followed), in a stable order, without `skip`.
pub fn collect_license_files(
    paths: &[PathBuf],
    skip: &[PathBuf],
) -> Result<Vec<PathBuf>, AuditError> {
    let skipped: Vec<PathBuf> = skip.iter().filter_map(|p| p.canonicalize().ok()).collect();
    // Resolving a path is a system call per file: only for files named like a skipped one.
    let is_skipped = |p: &Path| {
        skipped.iter().any(|s| s.file_name() == p.file_name())
            && p.canonicalize()
                .map(|c| skipped.contains(&c))
                .unwrap_or(false)
    };
    let mut files = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|e| AuditError::Path {
            path: path.display().to_string(),
            problem: e.to_string(),
        })?;
        if !metadata.is_dir() {
            if !is_skipped(path) {
                files.push(path.clone());
            }
            continue;
        }
        let mut found = Vec::new();
        for entry in walkdir::WalkDir::new(path).follow_links(false) {
            let entry = entry.map_err(|e| AuditError::Path {
                path: e
                    .path()
                    .map_or_else(|| path.display().to_string(), |p| p.display().to_string()),
                problem: e.to_string(),
            })?;
            if entry.file_type().is_file() && is_license_name(entry.path()) {
                found.push(entry.into_path());
            }
        }
        found.sort();
        files.extend(
            found
                .into_iter()
                .filter(|p| skipped.is_empty() || !is_skipped(p)),
        );
    }
    Ok(files)
}
