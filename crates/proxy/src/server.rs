//! Starting and stopping: two listeners (public and API) on the caller's tokio runtime, one
//! task per connection, and a stop that stops accepting, lets in-flight requests finish
//! within a grace period, then drops what is left.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::body::ResponseBody;
use crate::config::ProxyConfig;
use crate::error::ProxyError;
use crate::handler::Refused;
use crate::headers;
use crate::route::Target;
use crate::shared::{Peer, Settings, Shared};
use crate::table::RouteTable;
use crate::{api, handler};

/// A running proxy. Dropping it stops accepting at once; [`EmbeddedProxy::stop`] also waits
/// for in-flight requests.
#[derive(Debug)]
pub struct EmbeddedProxy {
    public_addr: SocketAddr,
    api_addr: SocketAddr,
    table: Arc<RouteTable>,
    stopping: watch::Sender<bool>,
    aborting: watch::Sender<bool>,
    alive: mpsc::Receiver<()>,
    accept_loops: Vec<JoinHandle<()>>,
}

impl EmbeddedProxy {
    /// Binds both ports and starts serving on the current tokio runtime (call it from
    /// within one; the proxy's tasks run there). With a `default_target`, the route `/` to
    /// it exists before the first request.
    pub async fn start(config: ProxyConfig) -> Result<Self, ProxyError> {
        let error_target = config
            .error_target
            .as_deref()
            .map(parse_error_target)
            .transpose()?;
        if let Some(target) = &config.default_target {
            Target::parse(target).map_err(|reason| ProxyError::DefaultTarget {
                target: target.clone(),
                reason,
            })?;
        }
        let public = bind("public port", config.public_addr).await?;
        let api = bind("REST API", config.api_addr).await?;
        let public_addr = local_addr("public port", &public, config.public_addr)?;
        let api_addr = local_addr("REST API", &api, config.api_addr)?;

        let table = Arc::new(RouteTable::new(config.host_routing));
        if let Some(target) = &config.default_target {
            let mut data = Map::new();
            data.insert("target".to_owned(), Value::String(target.clone()));
            table.add("/", data);
        }
        let (stopping, stopping_rx) = watch::channel(false);
        let (aborting, aborting_rx) = watch::channel(false);
        let (alive_tx, alive) = mpsc::channel(1);
        if config.auth_token.as_deref().is_none_or(str::is_empty) {
            tracing::warn!("REST API is not authenticated");
        }
        let shared = Arc::new(Shared {
            table: Arc::clone(&table),
            client: Shared::new_client(),
            settings: Settings {
                x_forward: config.x_forward,
                prepend_path: config.prepend_path,
                include_prefix: config.include_prefix,
                host_routing: config.host_routing,
                proxy_timeout: config.proxy_timeout,
            },
            error_target,
            auth_token: config
                .auth_token
                .filter(|t| !t.is_empty())
                .map(|t| t.into_bytes().into_boxed_slice()),
            stopping: stopping_rx,
            aborting: aborting_rx,
            alive: alive_tx,
        });
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(config.keep_alive_timeout);
        let accept_loops = vec![
            tokio::spawn(accept_loop(
                public,
                Arc::clone(&shared),
                builder.clone(),
                handler::handle,
            )),
            tokio::spawn(accept_loop(api, Arc::clone(&shared), builder, api::handle)),
        ];
        tracing::info!(%public_addr, %api_addr, "proxy listening");
        Ok(Self {
            public_addr,
            api_addr,
            table,
            stopping,
            aborting,
            alive,
            accept_loops,
        })
    }

    /// The address the public port is bound to.
    pub fn public_addr(&self) -> SocketAddr {
        self.public_addr
    }

    /// The address the REST API is bound to.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// The routing table, for callers in the same process (the REST API changes the same
    /// table).
    pub fn routes(&self) -> &Arc<RouteTable> {
        &self.table
    }

    /// Stops: no new connections; requests in flight (and open websockets) get up to
    /// `grace` to finish, then are dropped.
    pub async fn stop(mut self, grace: Duration) {
        let _ = self.stopping.send(true);
        for accept_loop in self.accept_loops.drain(..) {
            let _ = accept_loop.await;
        }
        // Every connection holds a sender; recv() is None once all have finished.
        if tokio::time::timeout(grace, self.alive.recv())
            .await
            .is_err()
        {
            tracing::warn!(
                ?grace,
                "proxy stop: connections still open after the grace period; closing them"
            );
        }
        let _ = self.aborting.send(true);
        tracing::info!("proxy stopped");
    }
}

impl Drop for EmbeddedProxy {
    fn drop(&mut self) {
        let _ = self.stopping.send(true);
        let _ = self.aborting.send(true);
        for accept_loop in &self.accept_loops {
            accept_loop.abort();
        }
    }
}

fn parse_error_target(text: &str) -> Result<url::Url, ProxyError> {
    let invalid = |reason: String| ProxyError::ErrorTarget {
        url: text.to_owned(),
        reason,
    };
    let with_slash = if text.ends_with('/') {
        text.to_owned()
    } else {
        format!("{text}/")
    };
    let url = url::Url::parse(&with_slash).map_err(|error| invalid(error.to_string()))?;
    if url.scheme() != "http" {
        return Err(invalid(format!(
            "protocol `{}:` is not supported, only `http:`",
            url.scheme()
        )));
    }
    Ok(url)
}

async fn bind(role: &'static str, addr: SocketAddr) -> Result<TcpListener, ProxyError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ProxyError::Bind { role, addr, source })
}

fn local_addr(
    role: &'static str,
    listener: &TcpListener,
    addr: SocketAddr,
) -> Result<SocketAddr, ProxyError> {
    listener
        .local_addr()
        .map_err(|source| ProxyError::Bind { role, addr, source })
}

/// Accepts connections until the stop signal, serving each on its own task.
async fn accept_loop<H, F>(
    listener: TcpListener,
    shared: Arc<Shared>,
    builder: http1::Builder,
    handle: H,
) where
    H: Fn(Arc<Shared>, Arc<Peer>, Request<Incoming>) -> F + Copy + Send + Sync + 'static,
    F: Future<Output = Result<Response<ResponseBody>, Refused>> + Send + 'static,
{
    let mut stopping = shared.stopping.clone();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopping.wait_for(|stopped| *stopped) => break,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: back off briefly, keep serving.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let peer = Arc::new(Peer {
            forwarded_for: headers::forwarded_for_value(remote.ip()),
        });
        let shared = Arc::clone(&shared);
        let builder = builder.clone();
        tokio::spawn(async move {
            let _alive = shared.alive.clone();
            let mut stopping = shared.stopping.clone();
            let mut aborting = shared.aborting.clone();
            let service_shared = Arc::clone(&shared);
            let service = service_fn(move |request| {
                handle(Arc::clone(&service_shared), Arc::clone(&peer), request)
            });
            let connection = builder
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stopping.wait_for(|stopped| *stopped) => connection.as_mut().graceful_shutdown(),
            }
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = aborting.wait_for(|aborted| *aborted) => {}
            }
        });
    }
}
