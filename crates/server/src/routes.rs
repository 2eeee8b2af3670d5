//! Route handlers, one module per API.

pub mod keys;
pub mod licenses;
