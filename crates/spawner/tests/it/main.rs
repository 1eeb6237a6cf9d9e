//! crates/spawner's integration tests: one binary, one module per concern.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod get_env_differential;
mod local_process;
mod spawn_overhead;
mod support;
