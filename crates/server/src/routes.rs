//! Route handlers, one module per API.

pub mod activation;
pub mod keys;
pub mod license_keys;
pub mod licenses;
