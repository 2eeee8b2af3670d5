//! `licet serve`: the license HTTP API on SQLite (one process) or PostgreSQL (several replicas).
//!
//! The router is a plain function of its state, so tests drive it without a socket:
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use licet_server::{router, AppState, SqliteStore};
//! use std::sync::Arc;
//!
//! let (store, _) = SqliteStore::init("sqlite://licet.db").await?; // creates it (0600) or migrates
//! let signing_key = licet_server::load_or_create_signing_key("licet-signing.key.pem".as_ref())?;
//! let state = AppState::new(Arc::new(store), licet_verifier::TrustedKeys::new(), signing_key);
//! let app = router(state); // an axum::Router
//! # let _ = app; Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod activation;
pub mod admin;
mod app;
pub mod auth;
pub mod client_addr;
pub mod console;
pub mod error;
mod extract;
pub mod ledger;
pub mod license_keys;
pub mod master_key;
pub mod metrics;
pub mod openapi;
pub mod private;
pub mod ratelimit;
pub mod routes;
mod serve;
pub mod signing;
pub mod store;
pub mod text;
pub mod tls;
pub mod token_keys;
pub mod tokens;

pub use app::{
    check_response_key, openapi as openapi_document, ops_router, router, serve_ops, AppState,
    AppStateFields, Clock, KeyRoleError, DEFAULT_RATE_LIMIT_PER_IP, DEFAULT_RATE_LIMIT_PER_KEY,
    DOCS_PATH, MAX_LICENSE_REQUEST_BYTES, OPENAPI_PATH,
};
pub use serve::{
    check_master_key, check_replica_keys, default_master_key_path, default_signing_key_path,
    load_or_create_signing_key, require_rsa, serve, serve_with, ServeError, ServeOptions,
    DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DRAIN_TIMEOUT,
};
pub use store::open::{
    init_store, open_store, redact_url as redact_db_url, url_has_password, Backend, DbInit,
    OpenError,
};
pub use store::postgres::{PgOptions, PgStore, DEFAULT_PG_MAX_CONNECTIONS};
pub use store::sqlite::{database_file, SqliteStore};
pub use tokens::{create_token, create_token_as, revoke_token, DEFAULT_TOKEN_EXPIRY_DAYS};
