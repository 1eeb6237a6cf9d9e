//! The hub's integration tests: a real hub on a loopback port with a throwaway SQLite file,
//! spoken to over HTTP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    reason = "tests fail loudly"
)]

mod api;
mod cache;
mod client;
mod config;
mod login;
mod managed;
mod oauth;
mod proxy;
mod spawn;
mod support;
