//! Integration tests of the embedded proxy: differential against the real
//! configurable-http-proxy 5.3.0 (installed by `scripts/setup-chp`), both started here on
//! loopback ports, driven with identical requests, answers compared.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::result_large_err,
    reason = "tests"
)]

mod activity;
mod api;
mod lifecycle;
mod routing;
mod support;
mod websocket;
