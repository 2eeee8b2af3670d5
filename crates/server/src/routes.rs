//! Route handlers, one module per API.

pub mod activation;
pub mod admin_log;
pub mod assign;
pub mod certificates;
pub mod keys;
pub mod license_keys;
pub mod licenses;
pub mod ops;
pub mod tokens;
pub mod workspace;
