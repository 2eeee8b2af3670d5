//! TLS for `licet serve --tls-cert/--tls-key` (PEM) or `--tls-p12` (PKCS#12): rustls on the
//! aws-lc-rs provider, ALPN `h2` then `http/1.1`.

use crate::private::{require_private, PrivateFileError};
use licet_issuer::{Passphrase, Pkcs12Error};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The largest certificate or key file read.
const MAX_TLS_FILE_BYTES: u64 = 1024 * 1024;

/// Why the TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}", path = .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is larger than any certificate chain or key.
    #[error("{path} is larger than 1 MiB; it is not a certificate or key file", path = .path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The path names something other than a regular file (a directory, a FIFO, a device):
    /// reading a FIFO would wait for a writer forever.
    #[error("{path} is not a regular file; give a certificate or key file", path = .path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The key file is not private.
    #[error(transparent)]
    NotPrivate(#[from] PrivateFileError),
    /// No certificate in the PEM file.
    #[error("{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path = .path.display())]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// No usable key in the PEM file.
    #[error("{path} holds no PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC; unencrypted): {message}", path = .path.display())]
    NoKey {
        /// The file.
        path: PathBuf,
        /// What the PEM reader said.
        message: String,
    },
    /// The PKCS#12 file could not be used.
    #[error("cannot use the PKCS#12 file {path}: {source}", path = .path.display())]
    Pkcs12 {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: Pkcs12Error,
    },
    /// rustls refused the certificate and key (for example, they do not match).
    #[error("the TLS certificate and key cannot be used: {0}")]
    Config(String),
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    use std::io::Read as _;
    let err = |source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    };
    let not_a_file = || TlsError::NotAFile {
        path: path.to_path_buf(),
    };
    // Opened without blocking (a FIFO would otherwise wait for a writer), then checked on the
    // descriptor itself: what is read is what was checked.
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(i32::try_from(rustix::fs::OFlags::NONBLOCK.bits()).unwrap_or(0));
    }
    let file = options.open(path).map_err(err)?;
    if !file.metadata().map_err(err)?.is_file() {
        return Err(not_a_file());
    }
    // Bounded by the read itself, not by the size the metadata gave.
    let mut bytes = Vec::new();
    file.take(MAX_TLS_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(err)?;
    if bytes.len() as u64 > MAX_TLS_FILE_BYTES {
        return Err(TlsError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    Ok(bytes)
}

/// A server configuration from a PEM certificate chain (leaf first) and a PEM private key,
/// which must be mode 0600 or stricter.
pub fn load_pem(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    require_private(key)?;
    let cert_bytes = read(cert)?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_bytes)
        .filter_map(Result::ok)
        .collect();
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: cert.to_path_buf(),
        });
    }
    let key_bytes = zeroize::Zeroizing::new(read(key)?);
    let private = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|e| TlsError::NoKey {
        path: key.to_path_buf(),
        message: e.to_string(),
    })?;
    config(chain, private)
}

/// A server configuration from a PKCS#12 file (mode 0600 or stricter) holding the key and its
/// certificate chain.
pub fn load_pkcs12(
    path: &Path,
    passphrase: Option<&Passphrase>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    require_private(path)?;
    let bytes = zeroize::Zeroizing::new(read(path)?);
    let identity = licet_issuer::load_pkcs12_tls(&bytes, passphrase, None).map_err(|source| {
        TlsError::Pkcs12 {
            path: path.to_path_buf(),
            source,
        }
    })?;
    let chain = identity
        .chain_der
        .into_iter()
        .map(CertificateDer::from)
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_pkcs8_der.to_vec()));
    config(chain, key)
}

fn config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // A panic is the failure report.
    use super::*;

    #[test]
    fn a_directory_or_a_fifo_is_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(read(dir.path()), Err(TlsError::NotAFile { .. })));
        let fifo = dir.path().join("cert.pem");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Before the fix this open waited for a writer forever.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(matches!(read(&fifo), Err(TlsError::NotAFile { .. }))));
        let refused = rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("reading a FIFO must not wait");
        assert!(refused);
    }

    #[test]
    fn a_file_over_the_bound_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.pem");
        std::fs::write(&big, vec![b'x'; MAX_TLS_FILE_BYTES as usize + 1]).unwrap();
        assert!(matches!(read(&big), Err(TlsError::TooLarge { .. })));
        let ok = dir.path().join("ok.pem");
        std::fs::write(&ok, b"abc").unwrap();
        assert_eq!(read(&ok).unwrap(), b"abc");
    }
}
