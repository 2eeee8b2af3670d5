//! The master key that encrypts private keys at rest (AES-256-GCM, aws-lc-rs). It lives in a
//! file of its own (mode 0600), beside the database unless `--master-key-file` says otherwise,
//! so a copy of the database alone reveals no key.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// An AES-256-GCM key for data at rest.
pub struct MasterKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// A master key problem.
#[derive(Debug, thiserror::Error)]
#[error("master key {path}: {message}")]
pub struct MasterKeyError {
    path: String,
    message: String,
}

/// Decryption failed: wrong master key or altered data.
#[derive(Debug, thiserror::Error)]
#[error("the stored data could not be decrypted: wrong master key, or it was altered")]
pub struct SealError;

impl MasterKey {
    /// Reads the 32-byte key at `path`, or creates it (CSPRNG, mode 0600, atomic) if absent.
    pub fn load_or_create(path: &Path) -> Result<Self, MasterKeyError> {
        let err = |message: String| MasterKeyError {
            path: path.display().to_string(),
            message,
        };
        if !path.exists() {
            let mut bytes = Zeroizing::new([0u8; 32]);
            SystemRandom::new()
                .fill(bytes.as_mut())
                .map_err(|_| err("the system random source failed".into()))?;
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut temp = tempfile::Builder::new()
                .prefix(".licet-")
                .tempfile_in(dir)
                .map_err(|e| err(e.to_string()))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                temp.as_file()
                    .set_permissions(std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| err(e.to_string()))?;
            }
            temp.write_all(bytes.as_ref())
                .and_then(|_| temp.as_file().sync_all())
                .map_err(|e| err(e.to_string()))?;
            if let Err(e) = temp.persist_noclobber(path) {
                if e.error.kind() != std::io::ErrorKind::AlreadyExists {
                    return Err(err(e.error.to_string()));
                }
            }
            // The key must outlive a power cut as surely as the rows it seals.
            if let Ok(dir) = std::fs::File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        // Mode 0600 or stricter, else refused with the fix (`chmod 600 PATH`).
        crate::private::require_private(path).map_err(|e| err(e.to_string()))?;
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| err(e.to_string()))?);
        if bytes.len() != 32 {
            return Err(err(format!(
                "it holds {} bytes; a master key is exactly 32",
                bytes.len()
            )));
        }
        Self::from_bytes(&bytes).map_err(|_| err("the key was rejected".into()))
    }

    /// A random key that lives only in memory (tests, and state built before the real one is loaded).
    pub fn ephemeral() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        // A failed system random source must not leave an all-zero key: stop instead.
        #[allow(clippy::expect_used)]
        SystemRandom::new()
            .fill(bytes.as_mut())
            .expect("the system random source works");
        #[allow(clippy::expect_used)]
        Self::from_bytes(bytes.as_ref()).expect("32 bytes make an AES-256 key")
    }

    /// A key from 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SealError> {
        let key = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| SealError)?;
        Ok(MasterKey {
            key: LessSafeKey::new(key),
        })
    }

    /// Encrypts `plain`, bound to `context` (authenticated, not stored): nonce || ciphertext || tag.
    pub fn seal(&self, plain: &[u8], context: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SealError)?;
        let mut data = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                &mut data,
            )
            .map_err(|_| SealError)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(out)
    }

    /// Decrypts what [`MasterKey::seal`] made with the same `context`.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        if sealed.len() < NONCE_LEN {
            return Err(SealError);
        }
        let (nonce, data) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError)?;
        let mut data = Zeroizing::new(data.to_vec());
        let plain_len = self
            .key
            .open_in_place(nonce, Aad::from(context), &mut data)
            .map_err(|_| SealError)?
            .len();
        data.truncate(plain_len);
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_tamper() {
        let key = MasterKey::from_bytes(&[7u8; 32]).unwrap();
        let sealed = key.seal(b"private key bytes", b"cert-1").unwrap();
        assert_eq!(
            key.open(&sealed, b"cert-1").unwrap().as_slice(),
            b"private key bytes"
        );
        assert!(
            key.open(&sealed, b"cert-2").is_err(),
            "bound to its context"
        );
        let mut altered = sealed.clone();
        altered[20] ^= 1;
        assert!(key.open(&altered, b"cert-1").is_err());
        assert!(MasterKey::from_bytes(&[1u8; 32])
            .unwrap()
            .open(&sealed, b"cert-1")
            .is_err());
        assert_eq!(format!("{key:?}"), "MasterKey(<redacted>)");
    }

    #[test]
    fn file_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.key");
        let a = MasterKey::load_or_create(&path).unwrap();
        let b = MasterKey::load_or_create(&path).unwrap();
        let sealed = a.seal(b"x", b"c").unwrap();
        assert_eq!(b.open(&sealed, b"c").unwrap().as_slice(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        std::fs::write(&path, b"short").unwrap();
        assert!(MasterKey::load_or_create(&path)
            .unwrap_err()
            .to_string()
            .contains("exactly 32"));
    }
}
