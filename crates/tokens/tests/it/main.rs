//! Integration tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests: a failing unwrap or index is a failing test"
)]

mod explain;
mod never_exceeds;
mod secrets;
