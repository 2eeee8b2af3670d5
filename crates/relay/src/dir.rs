//! The relay's directory: its private key (mode 0600, never leaves the directory), the request
//! it sent the vendor, its lease database, and the lock that keeps a second relay off it.

use crate::error::RelayError;
use licet_issuer::pool::RelayRequest;
use licet_issuer::{KeySpec, SigningKey};
use licet_verifier::state::{ensure_dir, open_regular, write_atomically};
use licet_verifier::{MachineId, UnixTime, MAX_KEY_FILE_BYTES};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The relay's private key file in its directory.
pub const KEY_FILE: &str = "relay.key.pem";
/// The relay request `init` wrote, kept for the record.
pub const REQUEST_FILE: &str = "relay-request.json";
/// The lease database.
pub const DATABASE_FILE: &str = "relay.db";
/// The lock held by a running relay.
pub const LOCK_FILE: &str = "relay.lock";

/// A relay directory.
#[derive(Debug, Clone)]
pub struct RelayDir {
    path: PathBuf,
}

impl RelayDir {
    /// The directory at `path` (not created or read yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        RelayDir { path: path.into() }
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The private key's path.
    pub fn key_path(&self) -> PathBuf {
        self.path.join(KEY_FILE)
    }

    /// The request's path.
    pub fn request_path(&self) -> PathBuf {
        self.path.join(REQUEST_FILE)
    }

    /// The database's path.
    pub fn database_path(&self) -> PathBuf {
        self.path.join(DATABASE_FILE)
    }

    /// Makes the relay's key and request for `machine`: refuses when the directory already holds
    /// a key (a relay key is never replaced: the pool licenses name it). The key is written first
    /// (mode 0600), then the request.
    pub fn init(&self, machine: &MachineId, now: UnixTime) -> Result<RelayRequest, RelayError> {
        ensure_dir(&self.path)?;
        let key_path = self.key_path();
        if std::fs::symlink_metadata(&key_path).is_ok() {
            return Err(RelayError::AlreadyInitialised(key_path));
        }
        let key = SigningKey::generate(KeySpec::Ed25519)
            .map_err(|e| RelayError::Key(key_path.clone(), e.to_string()))?;
        let pem = key
            .to_pkcs8_pem(None)
            .map_err(|e| RelayError::Key(key_path.clone(), e.to_string()))?;
        write_private(&key_path, pem.as_bytes())?;
        let request = RelayRequest::new(key.public_key(), machine, now)?;
        write_atomically(
            &self.request_path(),
            format!("{}\n", request.to_json()).as_bytes(),
        )?;
        Ok(request)
    }

    /// Loads the relay's private key; refuses a key file others can read, and a symbolic link
    /// in its place. The mode is checked on the file opened, so a file swapped in between the
    /// check and the read cannot slip through.
    pub fn load_key(&self) -> Result<SigningKey, RelayError> {
        use std::io::Read as _;
        let path = self.key_path();
        let fail = |e: std::io::Error| RelayError::Key(path.clone(), e.to_string());
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(RelayError::NotInitialised(self.path.clone()))
            }
            Err(e) => return Err(fail(e)),
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(RelayError::Key(
                    path.clone(),
                    "is a symbolic link; the relay key must be a regular file in its directory"
                        .into(),
                ))
            }
            Ok(_) => {}
        }
        let file = open_regular(&path).map_err(fail)?;
        check_private_mode(&path, &file.metadata().map_err(fail)?)?;
        let mut bytes = zeroize::Zeroizing::new(Vec::new());
        file.take(MAX_KEY_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(fail)?;
        if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
            return Err(RelayError::Key(
                path.clone(),
                format!("is larger than {MAX_KEY_FILE_BYTES} bytes: not a key file"),
            ));
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| RelayError::Key(path.clone(), "is not PEM text".into()))?;
        let key = SigningKey::from_pem(text, None)
            .map_err(|e| RelayError::Key(path.clone(), e.to_string()))?;
        if key.key_type() != licet_verifier::KeyType::Ed25519 {
            return Err(RelayError::Key(path, "is not an Ed25519 key".into()));
        }
        Ok(key)
    }

    /// Takes the directory's lock for the life of the returned file: a second relay on the same
    /// directory is refused at once.
    pub fn lock(&self) -> Result<File, RelayError> {
        licet_verifier::state::lock_file(&self.path.join(LOCK_FILE), Duration::ZERO)
            .map_err(|_| RelayError::Busy(self.path.clone()))
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), RelayError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let io = |e: std::io::Error| RelayError::Key(path.to_path_buf(), e.to_string());
    let mut file = options.open(path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    if let Some(parent) = path.parent() {
        if let Ok(dir) = File::open(parent) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

#[cfg(unix)]
fn check_private_mode(path: &Path, meta: &std::fs::Metadata) -> Result<(), RelayError> {
    use std::os::unix::fs::MetadataExt as _;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(RelayError::Key(
            path.into(),
            format!("has mode {mode:04o}: the relay key must be readable by its owner only (chmod 600 {})", path.display()),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private_mode(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), RelayError> {
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn initialised() -> (tempfile::TempDir, RelayDir) {
        let temp = tempfile::tempdir().expect("dir");
        let dir = RelayDir::new(temp.path().join("relay"));
        dir.init(
            &MachineId::from_raw_identifier("relay"),
            UnixTime::from_secs(1_800_000_000).expect("t"),
        )
        .expect("init");
        (temp, dir)
    }

    #[test]
    fn the_key_is_private_and_never_replaced() {
        let (_temp, dir) = initialised();
        let mode = std::fs::metadata(dir.key_path())
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(dir.load_key().is_ok());
        let e = dir
            .init(&MachineId::from_raw_identifier("relay"), UnixTime::now())
            .expect_err("a second init");
        assert!(matches!(e, RelayError::AlreadyInitialised(_)), "{e}");
    }

    #[test]
    fn a_key_others_can_read_or_a_link_in_its_place_is_refused() {
        let (temp, dir) = initialised();
        std::fs::set_permissions(dir.key_path(), std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
        let e = dir.load_key().expect_err("0644");
        assert!(e.to_string().contains("chmod 600"), "{e}");
        std::fs::set_permissions(dir.key_path(), std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
        let moved = temp.path().join("elsewhere.pem");
        std::fs::rename(dir.key_path(), &moved).expect("move");
        std::os::unix::fs::symlink(&moved, dir.key_path()).expect("link");
        let e = dir.load_key().expect_err("a link");
        assert!(e.to_string().contains("symbolic link"), "{e}");
        std::fs::remove_file(dir.key_path()).expect("unlink");
        let e = dir.load_key().expect_err("missing");
        assert!(matches!(e, RelayError::NotInitialised(_)), "{e}");
    }
}
