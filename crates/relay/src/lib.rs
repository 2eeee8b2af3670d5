//! `licet relay`: floating seats on the customer's isolated network.
//!
//! The relay has its own Ed25519 key ([`dir::RelayDir::init`]); the vendor grants it a pool
//! license naming that key and a seat count (`licet_issuer::pool::mint_pool_license`); the relay
//! lends the seats as short lease tokens signed with its key ([`serve::Relay`]), which products
//! check offline against the pool license and the vendor's key
//! (`licet_verifier::lease::verify_lease`). See docs/RELAY.md.
//!
//! ```
//! use licet_issuer::pool::{mint_pool_license, PoolGrant};
//! use licet_issuer::{KeySpec, SigningKey};
//! use licet_relay::dir::RelayDir;
//! use licet_relay::pools::load_pools;
//! use licet_verifier::{MachineId, TrustedKeys, UnixTime};
//!
//! let dir = tempfile::tempdir()?;
//! let relay = RelayDir::new(dir.path().join("relay"));
//! let machine = MachineId::from_raw_identifier("relay-host");
//! let now = UnixTime::now();
//! let request = relay.init(&machine, now)?;            // on site: `licet relay init`
//!
//! let vendor = SigningKey::generate(KeySpec::Ed25519)?; // at the vendor: `licet relay grant`
//! let grant = PoolGrant {
//!     license_id: "POOL-1".into(), customer_id: "ACME".into(), seats: 10,
//!     product: Some("render".into()), issuer: None, features: None,
//!     expires_at: Some(now.saturating_add(86_400)), max_lease_ttl_secs: Some(900),
//! };
//! let pool = mint_pool_license(&vendor, None, &request, &grant, now)?;
//! std::fs::write(dir.path().join("pool.lic"), &pool.token)?;
//!
//! // Back on site, `licet relay serve` checks the pool before it starts.
//! let trusted: TrustedKeys = [vendor.public_key().clone()].into_iter().collect();
//! let key = relay.load_key()?;
//! let pools = load_pools(&[dir.path().join("pool.lic")], &trusted, key.kid(), &machine, now)?;
//! assert_eq!(pools[0].terms.seats, 10);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod dir;
pub mod engine;
pub mod error;
pub mod http;
pub mod pools;
pub mod report;
pub mod serve;
pub mod store;

pub use error::RelayError;
