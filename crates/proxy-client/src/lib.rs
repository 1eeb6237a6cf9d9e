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
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use proxy_client::{ChpClient, ChpClientConfig, ManagedChp, ManagedChpConfig, Proxy};
//! use serde_json::{Map, Value};
//!
//! # async fn example() -> Result<(), proxy_client::ProxyError> {
//! // The hub starts the proxy (JupyterHub's default) ...
//! let managed = Arc::new(ManagedChp::start(ManagedChpConfig::default()).await?);
//! let proxy: Arc<dyn Proxy> = managed.clone();
//! let mut data = Map::new();
//! data.insert("user".into(), Value::from("alice"));
//! data.insert("server_name".into(), Value::from(""));
//! proxy.add_route("/user/alice/", "http://127.0.0.1:46881", data).await?;
//! for (routespec, route) in proxy.get_all_routes().await? {
//!     println!("{routespec} -> {} (last activity {:?})", route.target, route.last_activity());
//! }
//! managed.stop().await?;
//!
//! // ... or talks to one started elsewhere (`should_start = False`).
//! let external = ChpClient::new(ChpClientConfig::external("http://127.0.0.1:8001", None)?)?;
//! external.delete_route("/user/alice/").await?;
//! # Ok(())
//! # }
//! ```

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
