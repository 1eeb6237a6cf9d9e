//! The hub's proxy (JupyterHub's `Proxy` object): the proxy it starts or finds at start-up
//! (`[JupyterHub] proxy_class`, `[ConfigurableHTTPProxy]`), the client it drives it with, and
//! `check_routes`, which makes the proxy's table agree with what the hub knows.
//!
//! Every kind of proxy is driven the same way, through configurable-http-proxy's REST API
//! ([`proxy_client::ChpClient`]): hubcap's embedded proxy serves that API on a loopback port
//! too, so the npm proxy and the embedded one are interchangeable.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use proxy_client::{
    AuthToken, ChpClient, ChpClientConfig, ManagedChp, ManagedChpConfig, Proxy, ProxyError, Routes,
    Routing,
};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use crate::config::{HubConfig, ProxyKind};

/// Why the proxy could not be started or reached.
#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    /// The proxy (or its client) failed.
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    /// The embedded proxy could not start.
    #[error("the embedded proxy could not start: {0}")]
    Embedded(String),
    /// An address in the configuration cannot be bound.
    #[error("{what} {url:?} cannot be used: {reason}")]
    Address {
        /// Which setting.
        what: &'static str,
        /// Its value.
        url: String,
        /// Why not.
        reason: String,
    },
    /// The database could not be read for the routes the hub wants.
    #[error("the routes the hub wants could not be read: {0}")]
    Database(String),
    /// An external proxy needs its token.
    #[error(
        "[ConfigurableHTTPProxy] should_start = false needs the proxy's auth_token: set \
         [ConfigurableHTTPProxy] auth_token or CONFIGPROXY_AUTH_TOKEN to the token the proxy \
         was started with"
    )]
    MissingToken,
}

/// The proxy process or task the hub started (and stops with itself).
enum Started {
    /// hubcap's proxy, in this process.
    Embedded(proxy::EmbeddedProxy),
    /// configurable-http-proxy, a child process.
    Chp(Arc<ManagedChp>),
}

/// How the hub reaches the proxy now (`PATCH /proxy` may change it).
struct Connection {
    client: Arc<dyn Proxy>,
    api_url: String,
    auth_token: Option<AuthToken>,
}

/// The hub's proxy: the client it talks through and what it started.
pub struct HubProxy {
    connection: RwLock<Connection>,
    started: Mutex<Option<Started>>,
    /// `check_routes` runs one at a time (JupyterHub serialises it with a lock too).
    checking: Mutex<()>,
    /// The proxy's public address (where users connect).
    public_addr: Option<SocketAddr>,
}

/// A route the hub wants in the proxy.
#[derive(Clone, Debug, PartialEq)]
pub struct WantedRoute {
    /// The target, `proto://host:port`.
    pub target: String,
    /// The data stored with it (`{"hub": true}`, `{"service": name}`, `{"user", "server_name"}`).
    pub data: Map<String, Value>,
}

impl HubProxy {
    /// Starts (or finds) the configured proxy. `hub_target` is the hub's own address
    /// (`http://ip:port`), the proxy's error target.
    ///
    /// # Errors
    ///
    /// The proxy cannot be started or its addresses bound; an external proxy without token.
    pub async fn start(config: &HubConfig, hub_target: &str) -> Result<HubProxy, RoutingError> {
        let settings = &config.proxy;
        let error_target = format!("{hub_target}{}error", config.hub_prefix());
        let token = match settings.auth_token.as_deref().and_then(AuthToken::new) {
            Some(token) => token,
            None if settings.should_start => AuthToken::generate().map_err(|error| {
                RoutingError::Embedded(format!("no randomness for the proxy's token: {error}"))
            })?,
            None => return Err(RoutingError::MissingToken),
        };
        let api = &settings.api_url;
        let (started, public_addr, api_url) = match (settings.kind, settings.should_start) {
            (_, false) => (None, None, api.as_str().trim_end_matches('/').to_owned()),
            (ProxyKind::Embedded, true) => {
                let public = socket_addr("JupyterHub.bind_url", &config.bind_url)?;
                let api_addr = socket_addr("ConfigurableHTTPProxy.api_url", api)?;
                let mut proxy_config = proxy::ProxyConfig::new(public, api_addr);
                proxy_config.auth_token = Some(token.expose().to_owned());
                proxy_config.error_target = Some(error_target);
                let embedded = proxy::EmbeddedProxy::start(proxy_config)
                    .await
                    .map_err(|error| RoutingError::Embedded(error.to_string()))?;
                let public_addr = embedded.public_addr();
                let api_url = format!("http://{}", embedded.api_addr());
                (
                    Some(Started::Embedded(embedded)),
                    Some(public_addr),
                    api_url,
                )
            }
            (ProxyKind::ConfigurableHttpProxy, true) => {
                let public = socket_addr("JupyterHub.bind_url", &config.bind_url)?;
                let api_addr = socket_addr("ConfigurableHTTPProxy.api_url", api)?;
                let chp_config = ManagedChpConfig {
                    command: settings.command.clone(),
                    public_ip: public.ip().to_string(),
                    public_port: public.port(),
                    api_ip: api_addr.ip().to_string(),
                    api_port: api_addr.port(),
                    error_target: Some(error_target),
                    auth_token: Some(token.clone()),
                    ..ManagedChpConfig::default()
                };
                let api_url = chp_config.api_url();
                let managed = Arc::new(ManagedChp::start(chp_config).await?);
                (Some(Started::Chp(managed)), Some(public), api_url)
            }
        };
        let client = ChpClient::new(client_config(&api_url, Some(token.clone())))?;
        Ok(HubProxy {
            connection: RwLock::new(Connection {
                client: Arc::new(client),
                // After binding: an embedded proxy on port 0 has its real port here.
                api_url,
                auth_token: Some(token),
            }),
            started: Mutex::new(started),
            checking: Mutex::new(()),
            public_addr,
        })
    }

    /// The client the hub talks to the proxy through.
    pub fn client(&self) -> Arc<dyn Proxy> {
        let connection = self
            .connection
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(&connection.client)
    }

    /// Where users reach the proxy, when the hub started it.
    pub fn public_addr(&self) -> Option<SocketAddr> {
        self.public_addr
    }

    /// Where the proxy's API is.
    pub fn api_url(&self) -> String {
        let connection = self
            .connection
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        connection.api_url.clone()
    }

    /// `PATCH /hub/api/proxy`: talk to the proxy at a new API URL and/or with a new token
    /// from now on, once the proxy there has answered with them (JupyterHub switches first
    /// and fails afterwards, leaving itself unable to reach any proxy).
    ///
    /// # Errors
    ///
    /// The new client cannot be made, or the proxy does not answer it; the old one stays.
    pub async fn relocate(
        &self,
        api_url: Option<&str>,
        auth_token: Option<&str>,
    ) -> Result<(), RoutingError> {
        let (url, token) = {
            let current = self
                .connection
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            let url = api_url
                .unwrap_or(&current.api_url)
                .trim_end_matches('/')
                .to_owned();
            let token = match auth_token {
                Some(token) => AuthToken::new(token),
                None => current.auth_token.clone(),
            };
            (url, token)
        };
        // One attempt: a wrong location should be refused now, not after retries.
        let mut probe = client_config(&url, token.clone());
        probe.retry_timeout = Duration::ZERO;
        ChpClient::new(probe)?.get_all_routes().await?;
        let client = ChpClient::new(client_config(&url, token.clone()))?;
        *self
            .connection
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Connection {
            client: Arc::new(client),
            api_url: url,
            auth_token: token,
        };
        Ok(())
    }

    /// JupyterHub's `check_routes`: adds the wanted routes that are missing or point
    /// elsewhere, and deletes every other route of the hub's. Routes that others added (no
    /// `jupyterhub` mark) are left alone.
    ///
    /// # Errors
    ///
    /// The proxy cannot be reached.
    pub async fn check_routes(
        &self,
        wanted: &BTreeMap<String, WantedRoute>,
        keep: &[String],
    ) -> Result<(), RoutingError> {
        let _one_at_a_time = self.checking.lock().await;
        let client = self.client();
        let routes: Routes = client.get_all_routes().await?;
        for (routespec, route) in wanted {
            let current = routes.get(routespec);
            if current.is_none_or(|current| current.target != route.target) {
                if current.is_some() {
                    tracing::warn!(routespec, target = %route.target, "updating route");
                } else {
                    tracing::info!(routespec, target = %route.target, "adding route");
                }
                client
                    .add_route(routespec, &route.target, route.data.clone())
                    .await?;
            }
        }
        for routespec in routes.keys() {
            if !wanted.contains_key(routespec) && !keep.contains(routespec) {
                tracing::warn!(routespec, "deleting stale route");
                client.delete_route(routespec).await?;
            }
        }
        Ok(())
    }

    /// For a configurable-http-proxy the hub started: restarts it if it exited. `true`:
    /// it was restarted, and its routes must be added again.
    ///
    /// # Errors
    ///
    /// The proxy could not be started again.
    pub async fn restart_if_exited(&self) -> Result<bool, RoutingError> {
        let started = self.started.lock().await;
        match &*started {
            Some(Started::Chp(managed)) => Ok(managed.restart_if_exited().await?),
            _ => Ok(false),
        }
    }

    /// Whether the hub started a configurable-http-proxy it must watch.
    pub async fn watches_a_process(&self) -> bool {
        matches!(&*self.started.lock().await, Some(Started::Chp(_)))
    }

    /// Stops what the hub started (an external proxy is left running, its routes kept, as
    /// JupyterHub leaves them).
    pub async fn stop(&self) {
        let started = self.started.lock().await.take();
        match started {
            Some(Started::Embedded(embedded)) => embedded.stop(Duration::from_secs(5)).await,
            Some(Started::Chp(managed)) => {
                if let Err(error) = managed.stop().await {
                    tracing::warn!(%error, "configurable-http-proxy did not stop cleanly");
                }
            }
            None => {}
        }
    }
}

fn client_config(api_url: &str, token: Option<AuthToken>) -> ChpClientConfig {
    ChpClientConfig {
        api_url: api_url.to_owned(),
        auth_token: token,
        routing: Routing::Path,
        ..ChpClientConfig::default()
    }
}

fn socket_addr(what: &'static str, url: &url::Url) -> Result<SocketAddr, RoutingError> {
    let error = |reason: &str| RoutingError::Address {
        what,
        url: url.to_string(),
        reason: reason.to_owned(),
    };
    let host = url.host_str().ok_or_else(|| error("the URL has no host"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    let port = url
        .port_or_known_default()
        .ok_or_else(|| error("the URL has no port"))?;
    let ip: std::net::IpAddr = match host {
        "localhost" => std::net::IpAddr::from([127, 0, 0, 1]),
        other => other
            .parse()
            .map_err(|_| error("the host must be an IP address (or localhost) to bind to"))?,
    };
    Ok(SocketAddr::new(ip, port))
}

/// The routes the hub wants now: its own at `base_url`, one per service with a URL
/// (`{base_url}services/NAME/`) and one per ready server (`{base_url}user/NAME/[SERVER/]`),
/// as JupyterHub's `check_routes` wants them.
///
/// # Errors
///
/// The database cannot be read.
pub async fn wanted_routes(
    state: &crate::state::SharedState,
) -> Result<BTreeMap<String, WantedRoute>, RoutingError> {
    let services = state
        .read(|_, tx| Ok(tx.list_services()?))
        .await
        .map_err(|error| {
            RoutingError::Database(error.message.unwrap_or_else(|| error.status.to_string()))
        })?;
    let mut wanted = BTreeMap::new();
    let mut hub = Map::new();
    hub.insert("hub".to_owned(), Value::Bool(true));
    wanted.insert(
        state.config.base_url.clone(),
        WantedRoute {
            target: state.hub_host.clone(),
            data: hub,
        },
    );
    for service in services {
        let Some(url) = service.url.as_deref() else {
            continue;
        };
        let Some(host) = host_of(url) else {
            tracing::warn!(service = %service.name, url, "a service URL without a host gets no route");
            continue;
        };
        let mut data = Map::new();
        data.insert("service".to_owned(), Value::String(service.name.clone()));
        wanted.insert(
            format!(
                "{}services/{}/",
                state.config.base_url,
                crate::models::escape_path(&service.name)
            ),
            WantedRoute { target: host, data },
        );
    }
    for (user, name, url) in state.servers.ready() {
        let mut data = Map::new();
        data.insert("user".to_owned(), Value::String(user.clone()));
        data.insert("server_name".to_owned(), Value::String(name.clone()));
        wanted.insert(
            crate::spawning::routespec(&state.config.base_url, &user, &name),
            WantedRoute { target: url, data },
        );
    }
    Ok(wanted)
}

/// `proto://host[:port]` of a URL (JupyterHub's `Server.host`): the target of its route.
fn host_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    Some(match parsed.port() {
        Some(port) => format!("{}://{host}:{port}", parsed.scheme()),
        None => format!("{}://{host}", parsed.scheme()),
    })
}

/// `check_routes` with what the hub wants now.
///
/// # Errors
///
/// The database cannot be read, or the proxy reached.
pub async fn sync_routes(state: &crate::state::SharedState) -> Result<(), RoutingError> {
    let wanted = wanted_routes(state).await?;
    // A server starting or stopping keeps whatever route it has until it settles.
    let pending: Vec<String> = state
        .servers
        .pending()
        .iter()
        .map(|(user, name)| crate::spawning::routespec(&state.config.base_url, user, name))
        .collect();
    state.proxy.check_routes(&wanted, &pending).await
}

/// JupyterHub's `update_last_activity`: the proxy's per-route activity becomes the
/// activity of the server and its user (whichever is later), which is how traffic through
/// the proxy keeps a server from the idle culler.
///
/// # Errors
///
/// The proxy cannot be reached, or the database written.
pub async fn update_last_activity(state: &crate::state::SharedState) -> Result<(), RoutingError> {
    let routes = state.proxy.client().get_all_routes().await?;
    let seen: Vec<(String, String, time::OffsetDateTime)> = routes
        .values()
        .filter_map(|route| {
            let user = route.data.get("user")?.as_str()?;
            let server = route.data.get("server_name")?.as_str()?;
            Some((user.to_owned(), server.to_owned(), route.last_activity()?))
        })
        .collect();
    if seen.is_empty() {
        return Ok(());
    }
    state
        .write(move |_, tx| {
            for (user, server, at) in &seen {
                if let Some(found) = tx.find_server(user, server)? {
                    if found.last_activity.is_none_or(|current| current < *at) {
                        let update = store::ServerUpdate {
                            last_activity: Some(*at),
                            ..store::ServerUpdate::default()
                        };
                        tx.update_server(user, server, &update)?;
                    }
                }
                if let Some(found) = tx.find_user(user)? {
                    if found.last_activity.is_none_or(|current| current < *at) {
                        tx.set_user_last_activity(user, *at)?;
                    }
                }
            }
            Ok(())
        })
        .await
        .map_err(|error| {
            RoutingError::Database(error.message.unwrap_or_else(|| error.status.to_string()))
        })
}

/// Keeps the proxy in line while the hub runs: a started configurable-http-proxy is checked
/// every `check_running_interval` (restarted, and its routes added again, if it exited), and
/// every `last_activity_interval` the proxy's activity is recorded and every route checked.
pub fn spawn_watcher(state: crate::state::SharedState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = |seconds: u32| {
            let period = Duration::from_secs(u64::from(seconds.max(1)));
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks
        };
        let mut process_ticks = every(state.config.proxy.check_running_interval);
        let mut activity_ticks = every(state.config.last_activity_interval);
        let watch_process = state.proxy.watches_a_process().await;
        loop {
            let check = tokio::select! {
                _ = process_ticks.tick() => {
                    watch_process && match state.proxy.restart_if_exited().await {
                        Ok(restarted) => {
                            if restarted {
                                tracing::warn!("configurable-http-proxy had exited; restarted, re-adding routes");
                            }
                            restarted
                        }
                        Err(error) => {
                            tracing::error!(%error, "configurable-http-proxy could not be restarted");
                            false
                        }
                    }
                }
                _ = activity_ticks.tick() => {
                    if let Err(error) = update_last_activity(&state).await {
                        tracing::error!(%error, "recording the proxy's activity failed");
                    }
                    true
                }
            };
            if check {
                if let Err(error) = sync_routes(&state).await {
                    tracing::error!(%error, "check_routes failed");
                }
            }
        }
    })
}
