//! hubcap's hub as a library: configuration, start-up, and JupyterHub 6.1.1's REST API.
//!
//! [`start`] brings the database in line with a [`HubConfig`] (users, groups, services,
//! roles), binds `hub_bind_url` and serves the API until [`RunningHub::stop`] or
//! `POST /hub/api/shutdown`. Every denial carries JupyterHub's exact message and hubcap's
//! `explanation` beside it.

pub mod api;
pub mod auth;
pub mod cache;
pub mod config;
pub mod crypt;
pub mod error;
pub mod login;
pub mod managed_services;
pub mod membership;
pub mod models;
pub mod oauth;
pub mod routing;
pub mod spawning;
mod startup;
pub mod state;
pub mod timestamp;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub use config::{ConfigErrors, ConfigProblem, HubConfig};
pub use startup::StartupError;
use state::AppState;

/// A hub serving requests.
pub struct RunningHub {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<AppState>,
    task: JoinHandle<std::io::Result<()>>,
    services: managed_services::ManagedServices,
}

impl RunningHub {
    /// Asks the hub to stop and waits until it has.
    ///
    /// # Errors
    ///
    /// The server's I/O error, if it failed.
    pub async fn stop(self) -> std::io::Result<()> {
        self.state.shutdown.notify_one();
        self.wait().await
    }

    /// Waits until the hub stops (after `POST /hub/api/shutdown`).
    ///
    /// # Errors
    ///
    /// The server's I/O error, if it failed.
    pub async fn wait(self) -> std::io::Result<()> {
        let served = match self.task.await {
            Ok(result) => result,
            Err(join) => Err(std::io::Error::other(join.to_string())),
        };
        self.services.stop().await;
        if self.state.config.cleanup_servers {
            spawning::stop_all(&self.state).await;
        }
        self.state.proxy.stop().await;
        served
    }

    /// Where the hub reaches the proxy's REST API.
    pub fn proxy_api_url(&self) -> String {
        self.state.proxy.api_url()
    }

    /// Where users reach the hub through the proxy, when the hub started the proxy.
    pub fn public_addr(&self) -> Option<SocketAddr> {
        self.state.proxy.public_addr()
    }

    /// A handle that can stop the hub from elsewhere (a signal handler).
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle(Arc::clone(&self.state))
    }
}

/// Stops a [`RunningHub`] from another task.
#[derive(Clone)]
pub struct StopHandle(Arc<AppState>);

impl StopHandle {
    /// Asks the hub to stop (in-flight requests finish first).
    pub fn stop(&self) {
        self.0.shutdown.notify_one();
    }
}

/// Prepares the database and starts serving on `config.hub_bind_url`.
///
/// # Errors
///
/// The database cannot be opened or brought in line with the configuration, or the address
/// cannot be bound.
pub async fn start(config: HubConfig) -> Result<RunningHub, StartupError> {
    let config_for_prepare = config.clone();
    let prepared = tokio::task::spawn_blocking(move || startup::prepare(&config_for_prepare))
        .await
        .map_err(|join| StartupError::Bind {
            url: config.hub_bind_url.to_string(),
            reason: format!("start-up task failed: {join}"),
        })??;
    let (store, prepared) = prepared;
    let bind = bind_address(&config)?;
    let listener = TcpListener::bind(&bind)
        .await
        .map_err(|error| StartupError::Bind {
            url: config.hub_bind_url.to_string(),
            reason: error.to_string(),
        })?;
    let addr = listener.local_addr().map_err(|error| StartupError::Bind {
        url: config.hub_bind_url.to_string(),
        reason: error.to_string(),
    })?;
    let crypt = match &config.crypt_key {
        Some(value) => crypt::CryptKeeper::from_env_value(value).map_err(StartupError::Crypt)?,
        None => crypt::CryptKeeper::default(),
    };
    let cookie_secret = login::CookieSecret::load(
        config.login.cookie_secret_env.as_deref(),
        &config.login.cookie_secret_file,
    )?;
    let hub_host = hub_host(addr);
    let proxy = routing::HubProxy::start(&config, &hub_host)
        .await
        .map_err(StartupError::Proxy)?;
    let state = Arc::new(AppState {
        cookie_secret,
        crypt,
        config,
        store,
        proxy,
        hub_host,
        roles: prepared.roles,
        shutdown: Notify::new(),
        cache: cache::Cache::default(),
        servers: spawning::Servers::default(),
    });
    if let Err(error) = spawning::restore(&state).await {
        state.proxy.stop().await;
        return Err(StartupError::Restore(error.message.unwrap_or_default()));
    }
    if let Err(error) = routing::sync_routes(&state).await {
        state.proxy.stop().await;
        return Err(StartupError::Proxy(error));
    }
    if let Some(public) = state.proxy.public_addr() {
        tracing::info!(%public, "proxy listening (the hub's public address)");
    }
    let watcher = routing::spawn_watcher(Arc::clone(&state));
    let poller = spawning::spawn_poller(Arc::clone(&state));
    let app = api::router(Arc::clone(&state));
    let signal_state = Arc::clone(&state);
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { signal_state.shutdown.notified().await })
            .await;
        watcher.abort();
        poller.abort();
        served
    });
    tracing::info!(%addr, "hub API listening");
    let services = match managed_services::start(&state).await {
        Ok(services) => services,
        Err(error) => {
            state.shutdown.notify_one();
            state.proxy.stop().await;
            return Err(StartupError::Services(error.message.unwrap_or_default()));
        }
    };
    Ok(RunningHub {
        addr,
        state,
        task,
        services,
    })
}

/// The tokio runtime the hub is meant to run on: one worker per core, and as many blocking
/// threads (where database transactions run) as the hub has database connections. More
/// would only wait for a connection, each with its own stack and allocator arena.
///
/// # Errors
///
/// The runtime cannot be built (no threads can be started).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(startup::DB_CONNECTIONS as usize)
        .build()
}

/// The hub's address as the proxy reaches it (`Hub.host`): an unspecified bind address
/// (all interfaces) is reached on loopback.
fn hub_host(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => std::net::IpAddr::from([127, 0, 0, 1]),
        ip if ip.is_unspecified() => std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

fn bind_address(config: &HubConfig) -> Result<String, StartupError> {
    let url = &config.hub_bind_url;
    let host = url.host_str().ok_or_else(|| StartupError::Bind {
        url: url.to_string(),
        reason: "the URL has no host".to_owned(),
    })?;
    let port = url.port_or_known_default().unwrap_or(8081);
    Ok(if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}
