//! Running the server: the listener (HTTP/1.1 and HTTP/2, plain or TLS), its bounds on slow and
//! idle clients, graceful shutdown, and the response-signing key.

use crate::app::{router, AppState};
use crate::master_key::MasterKey;
use crate::ratelimit::ClientBlock;
use axum::extract::ConnectInfo;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use licet_issuer::{KeySpec, SigningKey};
use licet_verifier::KeyType;
use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tower::ServiceExt as _;

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
    /// The master key does not open the keys already sealed in the database.
    #[error("the master key {path} does not open the private keys sealed in the database (certificate {certificate:?}): it is not the key they were sealed with; restore the key file they were sealed with (a new key cannot open them)", path = .path.display())]
    WrongMasterKey {
        /// The master key file.
        path: PathBuf,
        /// The name of the certificate tried.
        certificate: String,
    },
    /// A key of this replica is not the one the other replicas on the database were given.
    #[error("this replica's {what} is not the one the other replicas on this database use ({detail}): give every replica the same key; to change it on purpose, stop every replica, then run `DELETE FROM replica_keys WHERE name = '{name}'` in the database and start them with the new key")]
    ReplicaKeyMismatch {
        /// Which key, with its flag.
        what: &'static str,
        /// The key's name in `replica_keys`.
        name: &'static str,
        /// What differs (key ids, never key material).
        detail: String,
    },
    /// The database could not be read.
    #[error("the database could not be read: {0}")]
    Store(#[from] crate::store::StoreError),
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
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Default bound on the time a connection may spend without a request in progress: the TLS
/// handshake, a request head that never ends, or an idle keep-alive connection.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Default bound on open connections (room for the 5,000-idle benchmark, docs/PERFORMANCE.md).
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// Default bound on the connections one client address (an IPv4 address, or an IPv6 /64) may
/// hold open at once; trusted proxies (`--trusted-proxy`) are exempt, since they carry many
/// clients. Without it one host could hold every slot with slow requests.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 256;

/// File descriptors kept for everything that is not a client connection (the database, key
/// files, the listener, logs).
const RESERVED_FDS: u64 = 64;

/// The largest request head, HTTP/1.1 (read buffer) and HTTP/2 (header list), in bytes.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Concurrent streams one HTTP/2 connection may open.
pub const MAX_H2_STREAMS: u32 = 64;

/// How the listener treats connections (`licet serve` flags, docs/OPERATIONS.md).
#[derive(Clone)]
pub struct ServeOptions {
    /// Serve HTTPS with this configuration (ALPN h2 and http/1.1), else plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// How long a connection may go without a request in progress before it is closed: the TLS
    /// handshake, then each request head, then each idle wait between requests.
    pub header_timeout: Duration,
    /// Open connections at most. At the bound, the connection idle the longest is closed to make
    /// room for a new one; when every connection has a request in progress, new ones wait.
    pub max_connections: usize,
    /// Open connections one client address (IPv4, or IPv6 /64) may hold at most; a connection
    /// over it is closed at once. Trusted proxies are exempt.
    pub max_connections_per_ip: usize,
    /// How long requests in flight may run after SIGINT/SIGTERM.
    pub drain_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            tls: None,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            drain_timeout: DRAIN_TIMEOUT,
        }
    }
}

/// Serves plain HTTP with the default [`ServeOptions`] until SIGINT or SIGTERM.
pub async fn serve(
    state: AppState,
    addr: SocketAddr,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    serve_with(state, addr, ServeOptions::default(), on_ready).await
}

/// Serves until SIGINT or SIGTERM; requests in flight then get `drain_timeout` to finish.
/// `on_ready` is called with the bound address (useful with port 0).
pub async fn serve_with(
    state: AppState,
    addr: SocketAddr,
    options: ServeOptions,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let bound = listener.local_addr()?;
    let max_connections = connection_bound(options.max_connections);
    tracing::info!(%bound, tls = options.tls.is_some(), max_connections, "listening");
    on_ready(bound);
    let trusted_proxies = state.trusted_proxies.clone();
    let app = router(state);
    let builder = Arc::new(connection_builder(options.header_timeout));
    let acceptor = options.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let registry = Arc::new(Registry::default());
    let slots = Arc::new(Semaphore::new(max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let signal = shutdown_signal();
    tokio::pin!(signal);
    'accept: loop {
        while tasks.try_join_next().is_some() {}
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut signal => break 'accept,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors (or memory): wait, rather than spin.
                    tracing::warn!(error = %e, "accept failed; retrying in 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        // One address cannot hold more than its share of the slots (slow requests are never
        // closed to make room, so without this one host could hold them all).
        let exempt = trusted_proxies.trusts(peer.ip());
        let Some(share) =
            registry.reserve(peer.ip(), exempt, options.max_connections_per_ip.max(1))
        else {
            tracing::debug!(%peer, "closing a connection over the per-address bound");
            drop(stream);
            continue;
        };
        let slot = loop {
            if let Ok(slot) = slots.clone().try_acquire_owned() {
                break slot;
            }
            // At the bound: close the connection idle the longest, then wait for its slot.
            // When every connection has a request in progress, nothing is closed and the new
            // connection waits for the first to finish (requests are bounded by the request
            // timeout, idle connections by the header timeout).
            registry.close_oldest_idle();
            tokio::select! {
                biased;
                () = &mut signal => break 'accept,
                slot = slots.clone().acquire_owned() => match slot {
                    Ok(slot) => break slot,
                    Err(_) => break 'accept,
                },
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        };
        let _ = stream.set_nodelay(true);
        let conn = registry.register();
        tasks.spawn(connection(Connection {
            stream,
            peer,
            acceptor: acceptor.clone(),
            builder: builder.clone(),
            app: app.clone(),
            conn,
            registry: registry.clone(),
            header_timeout: options.header_timeout,
            stop: stop_rx.clone(),
            _slot: slot,
            _share: share,
        }));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(options.drain_timeout, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("requests still in flight after the drain timeout; stopping anyway");
        tasks.abort_all();
    }
    tracing::info!("stopped");
    Ok(())
}

/// `max_connections`, lowered to what the open-file limit allows (raising the soft limit to
/// the hard one first when that is needed), with a warning that says so.
fn connection_bound(wanted: usize) -> usize {
    let wanted = wanted.max(1);
    #[cfg(unix)]
    {
        use rustix::process::{getrlimit, setrlimit, Resource};
        let needed = wanted as u64 + RESERVED_FDS;
        let mut limit = getrlimit(Resource::Nofile);
        let soft = limit.current.unwrap_or(u64::MAX);
        if soft < needed {
            let hard = limit.maximum.unwrap_or(u64::MAX);
            limit.current = Some(needed.min(hard));
            if setrlimit(Resource::Nofile, limit).is_ok() {
                tracing::info!(
                    from = soft,
                    to = needed.min(hard),
                    "raised the open-file limit (RLIMIT_NOFILE)"
                );
            }
            let now = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
            if now < needed {
                let allowed = now.saturating_sub(RESERVED_FDS).max(1) as usize;
                tracing::warn!(
                    "the open-file limit (RLIMIT_NOFILE) is {now}, too low for --max-connections {wanted} (which needs about {needed}); serving at most {allowed} connections: raise it with `ulimit -n {needed}` or LimitNOFILE={needed} in the systemd unit"
                );
                return allowed;
            }
        }
    }
    wanted
}

/// The HTTP/1.1 and HTTP/2 settings of every connection.
fn connection_builder(header_timeout: Duration) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_HEADER_BYTES)
        .max_headers(100);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_H2_STREAMS)
        .max_header_list_size(MAX_HEADER_BYTES as u32)
        .max_pending_accept_reset_streams(Some(20))
        .max_local_error_reset_streams(Some(64))
        // A peer that stops answering pings is gone: its connection is closed.
        .keep_alive_interval(Some(header_timeout.max(Duration::from_secs(1))))
        .keep_alive_timeout(header_timeout.max(Duration::from_secs(1)));
    builder
}

/// Errors of one connection that `accept` reports and that say nothing about the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// What the listener knows of one open connection.
struct ConnState {
    id: u64,
    /// Requests in progress (HTTP/2 may have several).
    in_flight: AtomicU32,
    /// When the last request started or ended (or the connection opened), in ms since `epoch`.
    last_active_ms: AtomicU64,
    epoch: Instant,
    /// Set once the connection was chosen to be closed.
    closing: AtomicBool,
    close: Notify,
}

impl ConnState {
    fn touch(&self) {
        self.last_active_ms
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn idle_since(&self) -> Instant {
        self.epoch + Duration::from_millis(self.last_active_ms.load(Ordering::Relaxed))
    }
}

/// Marks a request in progress on its connection until dropped.
struct Busy(Arc<ConnState>);

impl Busy {
    fn start(conn: &Arc<ConnState>) -> Self {
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        conn.touch();
        Busy(conn.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Every open connection, so that the oldest idle one can be closed at the bound, and the
/// connections of each client address.
#[derive(Default)]
struct Registry {
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<ConnState>>>,
    per_client: Arc<Mutex<HashMap<ClientBlock, usize>>>,
}

/// One connection's place in its address's count, given back when dropped.
struct Share {
    counts: Arc<Mutex<HashMap<ClientBlock, usize>>>,
    client: Option<ClientBlock>,
}

impl Drop for Share {
    fn drop(&mut self) {
        let Some(client) = self.client else { return };
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = counts.get_mut(&client) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&client);
            }
        }
    }
}

impl Registry {
    /// Counts a new connection from `ip` unless its address already holds `per_client`
    /// (`exempt`: a trusted proxy, not counted).
    fn reserve(&self, ip: std::net::IpAddr, exempt: bool, per_client: usize) -> Option<Share> {
        if exempt {
            return Some(Share {
                counts: self.per_client.clone(),
                client: None,
            });
        }
        let client = ClientBlock::of(ip);
        let mut counts = self
            .per_client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = counts.entry(client).or_insert(0);
        if *n >= per_client {
            return None;
        }
        *n += 1;
        Some(Share {
            counts: self.per_client.clone(),
            client: Some(client),
        })
    }

    fn register(&self) -> Arc<ConnState> {
        let conn = Arc::new(ConnState {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            in_flight: AtomicU32::new(0),
            last_active_ms: AtomicU64::new(0),
            epoch: Instant::now(),
            closing: AtomicBool::new(false),
            close: Notify::new(),
        });
        self.lock().insert(conn.id, conn.clone());
        conn
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ConnState>>> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Closes the connection without a request in progress that was active the longest ago
    /// (an idle keep-alive connection, a slow or unfinished request head, a TLS handshake).
    /// Returns whether there was one.
    fn close_oldest_idle(&self) -> bool {
        let open = self.lock();
        let oldest = open
            .values()
            .filter(|c| {
                c.in_flight.load(Ordering::Acquire) == 0 && !c.closing.load(Ordering::Relaxed)
            })
            .min_by_key(|c| c.idle_since());
        match oldest {
            Some(conn) => {
                conn.closing.store(true, Ordering::Relaxed);
                conn.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Removes a connection from the registry when its task ends (normally or aborted).
struct Registered(Arc<Registry>, u64);

impl Drop for Registered {
    fn drop(&mut self) {
        self.0.remove(self.1);
    }
}

/// One accepted connection and what serving it needs.
struct Connection {
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    app: axum::Router,
    conn: Arc<ConnState>,
    registry: Arc<Registry>,
    header_timeout: Duration,
    stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
    _share: Share,
}

async fn connection(c: Connection) {
    let _registered = Registered(c.registry.clone(), c.conn.id);
    let Some(acceptor) = c.acceptor.clone() else {
        let io = TokioIo::new(c.stream);
        return serve_connection(
            io,
            c.peer,
            &c.builder,
            c.app,
            &c.conn,
            c.header_timeout,
            c.stop,
        )
        .await;
    };
    let mut stop = c.stop.clone();
    // The handshake gets the header timeout; closing (the bound, a shutdown) ends it at once.
    let tls = tokio::select! {
        handshake = tokio::time::timeout(c.header_timeout, acceptor.accept(c.stream)) => match handshake {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => {
                tracing::debug!(peer = %c.peer, error = %e, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!(peer = %c.peer, "TLS handshake timed out");
                return;
            }
        },
        () = c.conn.close.notified() => return,
        _ = stop.wait_for(|stopped| *stopped) => return,
    };
    let io = TokioIo::new(tls);
    serve_connection(
        io,
        c.peer,
        &c.builder,
        c.app,
        &c.conn,
        c.header_timeout,
        c.stop,
    )
    .await;
}

/// Serves HTTP/1.1 or HTTP/2 on one connection until it ends, is closed at the bound, goes
/// without a request in progress for `header_timeout`, or the server stops.
async fn serve_connection<I>(
    io: TokioIo<I>,
    peer: SocketAddr,
    builder: &auto::Builder<TokioExecutor>,
    app: axum::Router,
    conn: &Arc<ConnState>,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service_conn = conn.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        // Handlers read the TCP peer from here (the rate limiter, `--trusted-proxy`).
        request.extensions_mut().insert(ConnectInfo(peer));
        let busy = Busy::start(&service_conn);
        let call = app.clone().oneshot(request);
        async move {
            let response = call.await;
            drop(busy);
            response
        }
    });
    let served = builder.serve_connection(io, service);
    tokio::pin!(served);
    let mut stopping = false;
    loop {
        // While a request is in progress the idle clock does not run (the request timeout
        // bounds it): look again a header timeout from now, not at a deadline already past,
        // which would wake this loop at every timer tick until the request ends.
        let idle_deadline = if conn.in_flight.load(Ordering::Acquire) > 0 {
            Instant::now() + header_timeout
        } else {
            conn.idle_since() + header_timeout
        };
        tokio::select! {
            result = served.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            // Closed at the bound: chosen while it had no request in progress. A request may have
            // started since; then it stays open (and may be chosen again later).
            () = conn.close.notified() => {
                if conn.in_flight.load(Ordering::Acquire) == 0 {
                    return;
                }
                conn.closing.store(false, Ordering::Relaxed);
            }
            _ = stop.wait_for(|stopped| *stopped), if !stopping => {
                stopping = true;
                served.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(idle_deadline.into()) => {
                // HTTP/1.1 enforces this itself (header_read_timeout); this covers the wait for
                // the protocol preface, and HTTP/2 connections that open no stream.
                if conn.in_flight.load(Ordering::Acquire) == 0
                    && conn.idle_since() + header_timeout <= Instant::now()
                {
                    tracing::debug!(%peer, "closing a connection without a request for the header timeout");
                    return;
                }
            }
        }
    }
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

/// Checks `master_key` against the data already sealed with it: one stored certificate key must
/// open, so a wrong master key stops the server at start, not at the first signing request.
pub async fn check_master_key(
    store: &dyn crate::store::Store,
    master_key: &crate::master_key::MasterKey,
    path: &Path,
) -> Result<(), ServeError> {
    let certificates = store.list_certificates().await?;
    let first_sealed = certificates
        .iter()
        .find_map(|(record, _)| record.key.sealed().map(|sealed| (record, sealed)));
    if let Some((record, sealed)) = first_sealed {
        if master_key.open(sealed, record.id.as_bytes()).is_err() {
            return Err(ServeError::WrongMasterKey {
                path: path.to_path_buf(),
                certificate: record.name.clone(),
            });
        }
    }
    Ok(())
}

/// The context of the value sealed with the master key in `replica_keys`.
const MASTER_KEY_CHECK: &[u8] = b"licet replica_keys master-key check";

/// Replicas on one database must be given the same response-signing key, seat-license key and
/// master key: the first replica to start records them (key ids, and a value sealed with the
/// master key), and a replica given another one is refused before it listens, naming which. A
/// store that serves one process (SQLite) records nothing.
pub async fn check_replica_keys(
    store: &dyn crate::store::Store,
    response_key: &SigningKey,
    license_key: &SigningKey,
    master_key: &MasterKey,
    now: i64,
) -> Result<(), ServeError> {
    for (name, what, kid) in [
        (
            "response_signing_kid",
            "response-signing key (--signing-key)",
            response_key.kid(),
        ),
        (
            "license_signing_kid",
            "seat-license signing key (--license-signing-key)",
            license_key.kid(),
        ),
    ] {
        if let Some(recorded) = store.record_replica_key(name, kid, now).await? {
            if recorded != kid {
                return Err(ServeError::ReplicaKeyMismatch {
                    what,
                    name,
                    detail: format!("kid {kid}, where the others use kid {recorded}"),
                });
            }
        }
    }
    let sealed = master_key
        .seal(MASTER_KEY_CHECK, MASTER_KEY_CHECK)
        .map_err(|e| crate::store::StoreError(format!("sealing the master-key check: {e}")))?;
    let name = "master_key_check";
    if let Some(recorded) = store
        .record_replica_key(name, &URL_SAFE_NO_PAD.encode(sealed), now)
        .await?
    {
        let opens = URL_SAFE_NO_PAD
            .decode(&recorded)
            .ok()
            .and_then(|bytes| master_key.open(&bytes, MASTER_KEY_CHECK).ok())
            .is_some_and(|plain| plain.as_slice() == MASTER_KEY_CHECK);
        if !opens {
            return Err(ServeError::ReplicaKeyMismatch {
                what: "master key (--master-key-file)",
                name,
                detail: "it does not open the check value the first replica sealed".into(),
            });
        }
    }
    Ok(())
}

/// Where the master key lives by default: beside the database file.
pub fn default_master_key_path(db_url: &str) -> PathBuf {
    default_signing_key_path(db_url).with_file_name("licet-master.key")
}

/// Where the generated response-signing key lives: beside the database file.
pub fn default_signing_key_path(db_url: &str) -> PathBuf {
    // The file as SQLite opens it (percent-decoded), so the key sits beside that file.
    let file = crate::store::sqlite::database_file(db_url).ok().flatten();
    let dir = file
        .as_deref()
        .and_then(Path::parent)
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
        crate::private::require_private(path).map_err(|e| err(e.to_string()))?;
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
