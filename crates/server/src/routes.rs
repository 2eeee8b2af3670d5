//! Route handlers, one module per API.

pub mod activation;
pub mod assign;
pub mod certificates;
pub mod keys;
pub mod license_keys;
pub mod licenses;
pub mod workspace;
pub mod admin_log;
pub mod tokens;
