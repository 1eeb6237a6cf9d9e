//! Integration tests of the proxy client against the real configurable-http-proxy 5.3.0 from
//! npm (installed by scripts/setup-chp), each test starting its own proxy on loopback ports.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod activity;
mod encoding;
mod failures;
mod host_routing;
mod managed;
mod routes;
mod support;
