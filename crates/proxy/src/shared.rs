//! What every connection of a running proxy shares: the table, the pooled upstream client,
//! the settings, and the signals that stop it.

use std::sync::Arc;
use std::time::Duration;

use hyper::header::HeaderValue;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::{mpsc, watch};

use crate::body::RequestBody;
use crate::table::RouteTable;

/// The behaviour switches a request needs (from [`ProxyConfig`](crate::ProxyConfig)).
#[derive(Debug, Clone)]
pub struct Settings {
    pub x_forward: bool,
    pub prepend_path: bool,
    pub include_prefix: bool,
    pub host_routing: bool,
    pub proxy_timeout: Option<Duration>,
}

/// State shared by all connections.
pub struct Shared {
    pub table: Arc<RouteTable>,
    /// One client for all targets, keeping idle connections per target (as CHP's
    /// keep-alive agent does), so a proxied request normally reuses a connection.
    pub client: Client<HttpConnector, RequestBody>,
    pub settings: Settings,
    /// `error_target` with a trailing `/`.
    pub error_target: Option<url::Url>,
    /// The API token's bytes; `None` when the API is unauthenticated.
    pub auth_token: Option<Box<[u8]>>,
    /// Becomes true when a stop begins: stop accepting, finish in-flight requests.
    pub stopping: watch::Receiver<bool>,
    /// Becomes true when the grace period is over: drop what is left.
    pub aborting: watch::Receiver<bool>,
    /// Held (cloned) by every connection and websocket; the proxy's stop waits until all
    /// clones are dropped.
    pub alive: mpsc::Sender<()>,
}

impl Shared {
    /// The pooled upstream client.
    pub fn new_client() -> Client<HttpConnector, RequestBody> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_keepalive(Some(Duration::from_secs(60)));
        Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector)
    }
}

/// Facts of one client connection that its requests reuse.
pub struct Peer {
    /// The client's address as `X-Forwarded-For` gets it.
    pub forwarded_for: HeaderValue,
}
