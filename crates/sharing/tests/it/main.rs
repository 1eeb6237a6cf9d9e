//! Integration tests of the `sharing` crate, in one test binary (one link step): properties of
//! shares, share codes and request validation (proptest).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests: a failing unwrap is a failing test"
)]

mod codes;
mod shares;
mod strategies;
