//! Running the server: the listener, graceful shutdown, and the response-signing key.

use crate::app::{router, AppState};
use licet_issuer::{KeySpec, SigningKey};
use licet_verifier::KeyType;
use std::future::IntoFuture;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("the server failed: {0}")]
    Io(#[from] std::io::Error),
    /// The signing key is unusable.
    #[error("the response-signing key {path}: {message}")]
    SigningKey {
        /// Its file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// How long requests in flight may run after SIGINT/SIGTERM.
pub const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves until SIGINT or SIGTERM; requests in flight finish before it returns. `on_ready` is
/// called with the bound address (useful with port 0).
pub async fn serve(
    state: AppState,
    addr: SocketAddr,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let bound = listener.local_addr()?;
    tracing::info!(%bound, "listening");
    on_ready(bound);
    // Connection info gives the rate limiter each client's address.
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let (signalled, signal_seen) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = signalled.send(());
    });
    // After the signal, requests in flight get DRAIN_TIMEOUT to finish; then the server stops.
    let drain_deadline = async move {
        match signal_seen.await {
            Ok(()) => tokio::time::sleep(DRAIN_TIMEOUT).await,
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        result = server.into_future() => result?,
        () = drain_deadline => tracing::warn!("requests still in flight after the drain timeout; stopping anyway"),
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT: finishing requests in flight"),
        () = terminate => tracing::info!("SIGTERM: finishing requests in flight"),
    }
}

/// Where the master key lives by default: beside the database file.
pub fn default_master_key_path(db_url: &str) -> PathBuf {
    default_signing_key_path(db_url).with_file_name("licet-master.key")
}

/// Where the generated response-signing key lives: beside the database file.
pub fn default_signing_key_path(db_url: &str) -> PathBuf {
    let path = db_url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    let dir = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.join("licet-signing.key.pem")
}

/// Loads the generated response-signing key at `path`, or makes an RSA-2048 key there (mode
/// 0600, written atomically) on first start.
pub fn load_or_create_signing_key(path: &Path) -> Result<SigningKey, ServeError> {
    let err = |message: String| ServeError::SigningKey {
        path: path.to_path_buf(),
        message,
    };
    if path.exists() {
        let pem = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let key = SigningKey::from_pem(&pem, None).map_err(|e| err(e.to_string()))?;
        return require_rsa(key).map_err(err);
    }
    let key = SigningKey::generate(KeySpec::Rsa(2048)).map_err(|e| err(e.to_string()))?;
    let pem = key.to_pkcs8_pem(None).map_err(|e| err(e.to_string()))?;
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
    temp.write_all(pem.as_bytes())
        .and_then(|_| temp.as_file().sync_all())
        .map_err(|e| err(e.to_string()))?;
    if let Err(e) = temp.persist_noclobber(path) {
        // Another process made the key first: use the one it wrote.
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            let pem = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
            return require_rsa(SigningKey::from_pem(&pem, None).map_err(|e| err(e.to_string()))?)
                .map_err(err);
        }
        return Err(err(e.error.to_string()));
    }
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    tracing::info!(path = %path.display(), kid = key.kid(), "generated the response-signing key");
    Ok(key)
}

/// Response signatures are RSA (the seed's clients check RSA-SHA256).
pub fn require_rsa(key: SigningKey) -> Result<SigningKey, String> {
    match key.key_type() {
        KeyType::Rsa { .. } => Ok(key),
        other => Err(format!(
            "it is an {other} key; API responses are signed with RSA (RS256), so give an RSA key"
        )),
    }
}
