//! `licet relay serve`: checks the directory, the key and every pool, opens the lease database,
//! and serves the API until SIGINT or SIGTERM. Connections are bounded in number and in the time
//! a request head may take.

use crate::dir::RelayDir;
use crate::engine::{Clock, Engine, EngineSettings};
use crate::error::RelayError;
use crate::http::{router, token_hash, RelayState};
use crate::pools::{load_pools, Pool};
use crate::store::Store;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use licet_verifier::{MachineId, TrustedKeys};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

/// The default lease lifetime: 15 minutes (products renew at half of it).
pub const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);
/// The default bound on the time a request head may take, and on an idle connection.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The default bound on open connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4_096;

/// Everything `relay serve` is given.
pub struct RelayConfig {
    /// The relay directory.
    pub dir: RelayDir,
    /// The pool license files.
    pub pool_files: Vec<PathBuf>,
    /// The vendor's public keys.
    pub trusted: TrustedKeys,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The lease lifetime; `None` is [`DEFAULT_TTL`], lowered to the pools' `max_lease_ttl`.
    pub ttl: Option<Duration>,
    /// The client token, when one is required.
    pub client_token: Option<String>,
    /// The clock floor's tolerance, in seconds.
    pub clock_tolerance_secs: u32,
    /// The request-head and idle bound.
    pub header_timeout: Duration,
    /// Open connections at most.
    pub max_connections: usize,
    /// The machine this runs on (the pools must be bound to it).
    pub machine: MachineId,
    /// The wall clock.
    pub clock: Clock,
}

/// A relay that passed its start checks, ready to serve.
pub struct Relay {
    state: RelayState,
    config: RelayConfig,
    _dir_lock: std::fs::File,
    _key_lock: KeyLock,
}

impl Relay {
    /// Runs every start check: the directory's lock and key, one relay per key on this machine,
    /// every pool (each refusal named), the TTL against the pools' limits, the database.
    pub fn prepare(config: RelayConfig) -> Result<Self, RelayError> {
        let dir_lock = config.dir.lock()?;
        let key = config.dir.load_key()?;
        let key_lock = lock_key(key.kid())?;
        let now = (config.clock)();
        let pools = load_pools(
            &config.pool_files,
            &config.trusted,
            key.kid(),
            &config.machine,
            now,
        )?;
        let ttl = choose_ttl(config.ttl, &pools)?;
        let store = Store::open(&config.dir.database_path())?;
        store.bind_relay_kid(key.kid())?;
        let pools = Arc::new(pools);
        let settings = EngineSettings::for_ttl(ttl, config.clock_tolerance_secs);
        let engine = Engine::start(store, pools.clone(), settings, config.clock.clone())?;
        let state = RelayState {
            engine,
            pools,
            relay_key: Arc::new(key),
            client_token_sha256: config.client_token.as_deref().map(token_hash),
            body_timeout: config.header_timeout,
        };
        Ok(Relay {
            state,
            config,
            _dir_lock: dir_lock,
            _key_lock: key_lock,
        })
    }

    /// The pools served.
    pub fn pools(&self) -> &[Pool] {
        &self.state.pools
    }

    /// Serves until SIGINT or SIGTERM. `on_ready` gets the bound address (useful with port 0).
    pub async fn serve(self, on_ready: impl FnOnce(SocketAddr)) -> Result<(), RelayError> {
        let listener = tokio::net::TcpListener::bind(self.config.listen)
            .await
            .map_err(|e| {
                RelayError::Settings(format!("cannot listen on {}: {e}", self.config.listen))
            })?;
        let bound = listener.local_addr()?;
        tracing::info!(%bound, pools = self.state.pools.len(), "relay listening");
        on_ready(bound);
        let app = router(self.state.clone());
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.config.header_timeout)
            .max_buf_size(64 * 1024);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(64)
            .keep_alive_interval(Some(self.config.header_timeout))
            .keep_alive_timeout(self.config.header_timeout);
        let builder = Arc::new(builder);
        let slots = Arc::new(Semaphore::new(self.config.max_connections.max(1)));
        let signal = shutdown_signal();
        tokio::pin!(signal);
        loop {
            let slot = tokio::select! {
                biased;
                () = &mut signal => break,
                slot = slots.clone().acquire_owned() => match slot { Ok(s) => s, Err(_) => break },
            };
            let (stream, _peer) = tokio::select! {
                biased;
                () = &mut signal => break,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed; retrying in 100 ms");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let app = app.clone();
            let builder = builder.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        app.clone().oneshot(request.map(axum::body::Body::new))
                    },
                );
                let _ = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                drop(slot);
            });
        }
        tracing::info!("relay stopped");
        Ok(())
    }
}

/// The TTL served: the one given, else the default, never over a pool's `max_lease_ttl`.
fn choose_ttl(given: Option<Duration>, pools: &[Pool]) -> Result<Duration, RelayError> {
    let limit = pools
        .iter()
        .filter_map(|p| {
            p.terms
                .max_lease_ttl_secs
                .map(|s| (p, Duration::from_secs(u64::from(s))))
        })
        .min_by_key(|(_, d)| *d);
    (match (given, limit) {
        (Some(ttl), _) if ttl.is_zero() => Err(RelayError::Settings("--ttl must be more than 0 seconds".into())),
        (Some(ttl), _) if ttl > Duration::from_secs(u64::from(licet_verifier::lease::MAX_LEASE_TTL_SECS)) => Err(RelayError::Settings(
            "--ttl is longer than 31 days, the longest lease licet signs".into(),
        )),
        (Some(ttl), Some((pool, max))) if ttl > max => Err(RelayError::Settings(format!(
            "--ttl {} s is longer than the {} s the pool license {} ({}) allows (max_lease_ttl): give --ttl {} or less",
            ttl.as_secs(),
            max.as_secs(),
            pool.id(),
            pool.path.display(),
            max.as_secs()
        ))),
        (Some(ttl), _) => Ok(ttl),
        (None, Some((_, max))) => Ok(DEFAULT_TTL.min(max)),
        (None, None) => Ok(DEFAULT_TTL),
    })
    .and_then(|ttl| {
        let unlimited = pools.iter().find(|p| p.terms.max_lease_ttl_secs.is_none());
        match unlimited {
            Some(pool) if ttl > Duration::from_secs(u64::from(licet_verifier::lease::DEFAULT_MAX_LEASE_TTL_SECS)) => Err(RelayError::Settings(format!(
                "--ttl {} s is longer than one day, the longest lease products accept from the pool license {} ({}), which sets no max_lease_ttl",
                ttl.as_secs(), pool.id(), pool.path.display()
            ))),
            _ => Ok(ttl),
        }
    })
}

/// Held while the relay runs: the machine-wide lock on its key.
struct KeyLock {
    #[cfg(target_os = "linux")]
    _socket: std::os::unix::net::UnixListener,
}

/// One relay per key on this machine: an abstract Unix socket named after the key's thumbprint,
/// which the kernel frees when the process ends (even on `kill -9`) and which no file copy
/// duplicates. A copy of the relay directory started beside the original is refused. (Linux
/// only; other systems rely on the directory lock.)
fn lock_key(kid: &str) -> Result<KeyLock, RelayError> {
    #[cfg(target_os = "linux")]
    {
        use std::os::linux::net::SocketAddrExt as _;
        let name = format!("licet-relay-{kid}");
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
        let socket = std::os::unix::net::UnixListener::bind_addr(&addr).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                RelayError::KeyInUse(kid.to_owned())
            } else {
                RelayError::Io(e)
            }
        })?;
        Ok(KeyLock { _socket: socket })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = kid;
        Ok(KeyLock {})
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
