//! The hub's side of the proxy, as JupyterHub's `jupyterhub/proxy.py` (6.1.1) has it:
//!
//! - [`Proxy`]: what the hub needs from a proxy (add, delete and list routes, one route, the
//!   routes inactive since a time), dyn-compatible so the hub holds an `Arc<dyn Proxy>`;
//! - [`routespec`]: JupyterHub's routespec rules (`/user/alice/`, `host.tld/user/alice/`, `/`)
//!   and their conversion to and from configurable-http-proxy's (CHP) path keys, including the
//!   round trip of percent-encoded names;
//! - [`ChpClient`]: [`Proxy`] over CHP's REST API (`/api/routes`), with JupyterHub's token
//!   header, concurrency limit and retries. It speaks only CHP's wire API, so the npm proxy
//!   and any other server of that API work unchanged;
//! - [`ManagedChp`]: the CHP process the hub starts with JupyterHub's flags, waits for, checks,
//!   restarts and stops (TERM, then KILL; killed on drop). A proxy the hub does not start is
//!   just a [`ChpClient`] ([`ChpClientConfig::external`]).
//!
//! Nothing here knows HTTP handlers, the database or users: the hub decides which routes
//! should exist; this crate makes the proxy agree.

#![warn(missing_docs)]

mod client;
mod error;
mod managed;
mod proxy;
mod route;
pub mod routespec;
mod token;

pub use client::{ChpClient, ChpClientConfig};
pub use error::ProxyError;
pub use managed::{LogLevel, ManagedChp, ManagedChpConfig};
pub use proxy::{Proxy, ProxyFuture};
pub use route::{Route, Routes};
pub use routespec::Routing;
pub use token::AuthToken;
