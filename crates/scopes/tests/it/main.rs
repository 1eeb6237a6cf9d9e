//! Integration tests of the `scopes` crate, in one test binary (one link step): properties of
//! the JupyterHub-compatible operations (proptest) and a table of access decisions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod decisions;
mod properties;
mod strategies;
