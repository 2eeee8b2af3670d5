//! Files that hold secrets (the response-signing key, the master key, the TLS key) must be
//! readable by their owner alone.

use std::path::{Path, PathBuf};

/// A secret file that others may read or write, or whose mode could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrivateFileError {
    /// Group or others have some access.
    #[error("{path} holds a private key but its mode is {mode:o} (group or others have access); run `chmod 600 {path}`", path = .path.display())]
    NotPrivate {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file could not be examined.
    #[error("cannot read {path}: {source}", path = .path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Refuses `path` unless its mode is 0600 or stricter (no access for group or others). On
/// systems without Unix modes it only checks that the file exists.
pub fn require_private(path: &Path) -> Result<(), PrivateFileError> {
    let meta = std::fs::metadata(path).map_err(|source| PrivateFileError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(PrivateFileError::NotPrivate {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn group_or_other_access_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pem");
        std::fs::write(&path, b"x").unwrap();
        for (mode, ok) in [(0o600, true), (0o400, true), (0o640, false), (0o604, false)] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let result = require_private(&path);
            assert_eq!(result.is_ok(), ok, "mode {mode:o}");
            if let Err(e) = result {
                assert!(e
                    .to_string()
                    .contains(&format!("chmod 600 {}", path.display())));
            }
        }
    }
}
