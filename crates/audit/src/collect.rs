//! Which files an audit looks at: every regular file under the paths. Whether a file is a
//! license is decided later, from its content (`crate::recognise`); here only what can never be
//! read is set aside, without opening it.

use crate::AuditError;
use licet_verifier::state::describe_file_type;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Extensions that name a license file: `.lic`, `.jwt`, `.jws`, `.license`, case-insensitive.
/// The name never keeps a file out of an audit (content decides); it only keeps a damaged
/// license in: a file with one of these names whose content is unrecognisable (text, binary,
/// empty, too large) is audited, and reported MALFORMED, instead of skipped.
pub const LICENSE_EXTENSIONS: [&str; 4] = ["lic", "jwt", "jws", "license"];

/// Whether `path` has one of the [`LICENSE_EXTENSIONS`].
pub fn has_license_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| LICENSE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// A file the audit did not verify, and why (`licet audit --json` `skipped[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedFile {
    /// The path, as reached (through the path given, and links followed).
    pub path: String,
    /// Why it was not audited: `not a license file: a private key`, `larger than 64 KiB`, `not
    /// a regular file: a FIFO (never opened)`, `a symbolic link loop ...`.
    pub reason: String,
}

impl SkippedFile {
    pub(crate) fn new(path: &Path, reason: impl Into<String>) -> Self {
        SkippedFile {
            path: path.display().to_string(),
            reason: reason.into(),
        }
    }
}

/// What [`collect_files`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collection {
    /// Regular files to read, in order: the paths as given, each directory's files sorted.
    pub files: Vec<PathBuf>,
    /// Paths set aside without being opened: FIFOs, sockets, devices, links that lead nowhere,
    /// link loops.
    pub skipped: Vec<SkippedFile>,
}

fn not_regular(kind: std::fs::FileType) -> String {
    format!(
        "not a regular file: {} (never opened)",
        describe_file_type(kind)
    )
}

/// Every regular file named in `paths` or under the directories among them (recursively).
///
/// Symbolic links are followed, to files and to directories, wherever they are; a link that
/// leads back to a directory being searched (a loop) and a link that cannot be followed (broken,
/// or a loop of links) are reported in [`Collection::skipped`]. A file reached twice (a link,
/// overlapping paths) is found twice here; the audit flags the second (same device and inode).
/// FIFOs, sockets and devices are never opened: their type comes from the directory entry or
/// `lstat`/`stat`. A path given that does not exist, or a directory that cannot be listed, is an
/// error.
pub fn collect_files(paths: &[PathBuf]) -> Result<Collection, AuditError> {
    let mut collection = Collection::default();
    for path in paths {
        let error = |problem: String| AuditError::Path {
            path: path.display().to_string(),
            problem,
        };
        let mut metadata = std::fs::symlink_metadata(path).map_err(|e| error(e.to_string()))?;
        if metadata.file_type().is_symlink() {
            match std::fs::metadata(path) {
                Ok(target) => metadata = target,
                Err(e) => {
                    collection.skipped.push(SkippedFile::new(
                        path,
                        format!("a symbolic link that cannot be followed: {e}"),
                    ));
                    continue;
                }
            }
        }
        if metadata.is_dir() {
            walk(path, &mut collection)?;
        } else if metadata.is_file() {
            collection.files.push(path.clone());
        } else {
            collection
                .skipped
                .push(SkippedFile::new(path, not_regular(metadata.file_type())));
        }
    }
    Ok(collection)
}

fn walk(root: &Path, collection: &mut Collection) -> Result<(), AuditError> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    // follow_links: an entry's type is its target's, and walkdir detects a link back to an
    // ancestor (which would otherwise be searched for ever).
    for entry in walkdir::WalkDir::new(root).follow_links(true) {
        match entry {
            Ok(entry) => {
                let kind = entry.file_type();
                if kind.is_file() {
                    found.push(entry.into_path());
                } else if !kind.is_dir() {
                    skipped.push(SkippedFile::new(entry.path(), not_regular(kind)));
                }
            }
            Err(e) => {
                let Some(path) = e.path().map(Path::to_path_buf) else {
                    return Err(AuditError::Path {
                        path: root.display().to_string(),
                        problem: e.to_string(),
                    });
                };
                if let Some(ancestor) = e.loop_ancestor() {
                    skipped.push(SkippedFile::new(
                        &path,
                        format!(
                            "a symbolic link loop: it leads back to {}, which is already being searched",
                            ancestor.display()
                        ),
                    ));
                } else if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink())
                {
                    let problem = e
                        .io_error()
                        .map_or_else(|| e.to_string(), ToString::to_string);
                    skipped.push(SkippedFile::new(
                        &path,
                        format!("a symbolic link that cannot be followed: {problem}"),
                    ));
                } else {
                    return Err(AuditError::Path {
                        path: path.display().to_string(),
                        problem: e
                            .io_error()
                            .map_or_else(|| e.to_string(), ToString::to_string),
                    });
                }
            }
        }
    }
    found.sort();
    collection.files.extend(found);
    collection.skipped.extend(skipped);
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn every_regular_file_is_collected_and_links_are_followed_or_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::create_dir(d.join("sub")).expect("mkdir");
        std::fs::write(d.join("a.txt"), "x").expect("write");
        std::fs::write(d.join("sub/b"), "x").expect("write");
        std::os::unix::fs::symlink(d.join("a.txt"), d.join("link")).expect("symlink");
        std::os::unix::fs::symlink(d, d.join("sub/loop")).expect("symlink");
        std::os::unix::fs::symlink(d.join("missing"), d.join("broken")).expect("symlink");
        let c = collect_files(&[d.to_path_buf()]).expect("collect");
        assert_eq!(
            c.files,
            vec![d.join("a.txt"), d.join("link"), d.join("sub/b")]
        );
        let reasons: Vec<&str> = c.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(c.skipped.len(), 2, "{reasons:?}");
        assert!(reasons
            .iter()
            .any(|r| r.starts_with("a symbolic link loop")));
        assert!(reasons
            .iter()
            .any(|r| r.starts_with("a symbolic link that cannot be followed")));
    }

    #[test]
    fn a_missing_path_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(collect_files(&[dir.path().join("nothing")]).is_err());
    }
}
