//! The servers the hub runs (JupyterHub's `User.spawn` / `User.stop` and the spawners it
//! keeps in memory): what is starting, ready or stopping, the server token and OAuth client
//! made for each start, the route added when it is ready, and everything taken back when it
//! stops or fails.
//!
//! The database says which servers exist and where a running one listens; this registry adds
//! what only the hub's memory knows (a spawn in progress, its progress events, the spawner
//! that owns the process). Every change of phase advances the cache's generation, since
//! answers show it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Value};
use spawner::{HubLocation, LocalProcessConfig, LocalProcessSpawner, SpawnSpec, Spawner};
use store::{Address, NewToken, ServerUpdate, TokenOwner, Tx};
use time::OffsetDateTime;
use tokio::sync::watch;

use crate::error::ApiError;
use crate::state::{AppState, SharedState};

/// Where a server is in its life, as far as the hub's memory knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Starting (JupyterHub's `pending == "spawn"`).
    Spawning,
    /// Answering at `url` (`proto://ip:port`), routed by the proxy.
    Ready {
        /// Where the server answers.
        url: String,
    },
    /// Stopping (`pending == "stop"`).
    Stopping,
    /// The last start failed with `message`; nothing runs.
    Failed {
        /// What went wrong, for the user.
        message: String,
    },
    /// Stopped (the entry is about to be forgotten).
    Stopped,
}

impl Phase {
    /// JupyterHub's `spawner.pending`.
    pub fn pending(&self) -> Option<&'static str> {
        match self {
            Phase::Spawning => Some("spawn"),
            Phase::Stopping => Some("stop"),
            _ => None,
        }
    }

    /// JupyterHub's `spawner.ready`.
    pub fn is_ready(&self) -> bool {
        matches!(self, Phase::Ready { .. })
    }

    /// JupyterHub's `spawner.active` (pending or ready).
    pub fn is_active(&self) -> bool {
        !matches!(self, Phase::Failed { .. } | Phase::Stopped)
    }
}

/// One server the hub started (or found running after a restart).
pub struct LiveServer {
    /// The spawner that owns the process.
    pub spawner: Arc<dyn Spawner>,
    phase: watch::Sender<Phase>,
    /// The id of the server's API token, deleted when it stops.
    token_id: Mutex<Option<i64>>,
}

impl LiveServer {
    /// Its phase now.
    pub fn phase(&self) -> Phase {
        self.phase.borrow().clone()
    }

    /// Waits until the phase is no longer `Spawning`/`Stopping`, at most `timeout`; the phase
    /// then.
    pub async fn settled(&self, timeout: std::time::Duration) -> Phase {
        let mut watcher = self.phase.subscribe();
        let settled =
            tokio::time::timeout(timeout, watcher.wait_for(|phase| phase.pending().is_none()))
                .await;
        match settled {
            Ok(Ok(phase)) => phase.clone(),
            _ => self.phase(),
        }
    }
}

/// `(user, server name)`.
type ServerKey = (String, String);

/// The servers the hub runs.
#[derive(Default)]
pub struct Servers {
    live: Mutex<HashMap<ServerKey, Arc<LiveServer>>>,
}

impl Servers {
    /// The live server `user`/`name`, if the hub runs (or ran and failed) it.
    pub fn get(&self, user: &str, name: &str) -> Option<Arc<LiveServer>> {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(user.to_owned(), name.to_owned()))
            .cloned()
    }

    /// The phase of `user`/`name` (`None`: not in the hub's memory: stopped).
    pub fn phase(&self, user: &str, name: &str) -> Option<Phase> {
        self.get(user, name).map(|live| live.phase())
    }

    /// How many servers are starting now (`concurrent_spawn_limit`).
    pub fn spawning(&self) -> usize {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|live| live.phase() == Phase::Spawning)
            .count()
    }

    /// Every ready server: `(user, name, url)`.
    pub fn ready(&self) -> Vec<(String, String, String)> {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(|((user, name), live)| match live.phase() {
                Phase::Ready { url } => Some((user.clone(), name.clone(), url)),
                _ => None,
            })
            .collect()
    }

    /// Every server starting or stopping: `(user, name)`.
    pub fn pending(&self) -> Vec<(String, String)> {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(_, live)| live.phase().pending().is_some())
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Records `live` for `user`/`name` unless a server there is starting, ready or
    /// stopping; `false` when one is.
    fn claim(&self, user: &str, name: &str, live: Arc<LiveServer>) -> bool {
        let mut entries = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (user.to_owned(), name.to_owned());
        if entries
            .get(&key)
            .is_some_and(|existing| existing.phase().is_active())
        {
            return false;
        }
        entries.insert(key, live);
        true
    }

    fn insert(&self, user: &str, name: &str, live: Arc<LiveServer>) {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((user.to_owned(), name.to_owned()), live);
    }

    fn remove(&self, user: &str, name: &str) {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&(user.to_owned(), name.to_owned()));
    }
}

/// JupyterHub's `_log_name`: `user`, or `user:server`.
pub fn log_name(user: &str, name: &str) -> String {
    if name.is_empty() {
        user.to_owned()
    } else {
        format!("{user}:{name}")
    }
}

/// The routespec of a server: `{base_url}user/NAME/[SERVER/]`.
pub fn routespec(base_url: &str, user: &str, name: &str) -> String {
    let user_url = crate::models::user_url(base_url, user);
    if name.is_empty() {
        user_url
    } else {
        format!("{user_url}{}/", crate::models::escape_path(name))
    }
}

/// What [`start`] answered.
pub enum Started {
    /// Ready within `slow_spawn_timeout` (201).
    Ready,
    /// Still starting (202).
    Pending,
}

/// What the database part of a start made: the server's token and its spec.
struct Prepared {
    spec: SpawnSpec,
    token_id: i64,
}

/// Starts `user`'s server `name` (JupyterHub's `spawn_single_user`): the token and OAuth
/// client, the spawner started in the background, the route once it answers. Waits up to
/// `slow_spawn_timeout`.
///
/// # Errors
///
/// 400 when it is already running or stopping, 429 over `concurrent_spawn_limit`, 500 when
/// it failed to start within the wait (with the reason), database failures.
pub async fn start(
    state: &SharedState,
    user: &str,
    name: &str,
    user_options: Option<Value>,
) -> Result<Started, ApiError> {
    let settings = &state.config.spawner;
    if let Some(live) = state.servers.get(user, name) {
        match live.phase() {
            Phase::Spawning => return Ok(Started::Pending),
            Phase::Stopping => {
                return Err(ApiError::bad_request(format!(
                    "{} is pending stop",
                    log_name(user, name)
                )));
            }
            Phase::Ready { .. } => {
                if matches!(live.spawner.poll().await, Ok(None)) {
                    return Err(ApiError::bad_request(format!(
                        "{} is already running",
                        log_name(user, name)
                    )));
                }
                // It died since: clean up (its route too), then start again.
                let route = routespec(&state.config.base_url, user, name);
                if let Err(error) = state.proxy.client().delete_route(&route).await {
                    tracing::warn!(%error, route, "the route could not be deleted");
                }
                live.spawner.clear_state();
                finish_stopped(state, user, name, &live).await?;
            }
            Phase::Failed { .. } | Phase::Stopped => state.servers.remove(user, name),
        }
    }
    let limit = settings.concurrent_spawn_limit;
    if limit > 0 && state.servers.spawning() >= usize::try_from(limit).unwrap_or(usize::MAX) {
        tracing::warn!(limit, "concurrent_spawn_limit reached");
        return Err(ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "Too many users trying to log in right now. Try again in 30 seconds.",
        )
        .retry_after(30));
    }
    let spawner: Arc<dyn Spawner> = Arc::new(LocalProcessSpawner::new(LocalProcessConfig {
        allow_root: settings.allow_root,
        create_system_users: settings.create_system_users,
        ..LocalProcessConfig::default()
    }));
    let (phase, _) = watch::channel(Phase::Spawning);
    let live = Arc::new(LiveServer {
        spawner,
        phase,
        token_id: Mutex::new(None),
    });
    // Claimed before anything is made: of two starts at once, one spawns, the other is 202.
    if !state.servers.claim(user, name, Arc::clone(&live)) {
        return Ok(Started::Pending);
    }
    state.cache.advance();
    let (owner, server) = (user.to_owned(), name.to_owned());
    let prepared = match state
        .write(move |state, tx| prepare(state, tx, &owner, &server, user_options))
        .await
    {
        Ok(prepared) => prepared,
        Err(error) => {
            state.servers.remove(user, name);
            live.phase.send_replace(Phase::Stopped);
            state.cache.advance();
            return Err(error);
        }
    };
    *live.token_id.lock().unwrap_or_else(PoisonError::into_inner) = Some(prepared.token_id);
    let task_state = Arc::clone(state);
    let task_live = Arc::clone(&live);
    let spec = prepared.spec;
    tokio::spawn(async move { run_spawn(task_state, task_live, spec).await });
    match live.settled(settings.slow_spawn_timeout).await {
        Phase::Ready { .. } => Ok(Started::Ready),
        Phase::Failed { message } => Err(ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            message,
        )),
        _ => Ok(Started::Pending),
    }
}

/// The database part of a start: the server row, its token (the `server` role's scopes,
/// or `Spawner.server_token_scopes`), its OAuth client, its options.
fn prepare(
    state: &AppState,
    tx: &mut Tx<'_>,
    user: &str,
    name: &str,
    user_options: Option<Value>,
) -> Result<Prepared, ApiError> {
    if tx.find_server(user, name)?.is_none() {
        tx.create_server(user, name, None)?;
    }
    let server = tx.server(user, name)?;
    let options = user_options
        .or(server.user_options.clone())
        .unwrap_or_else(|| Value::Object(Map::new()));
    let prefix = routespec(&state.config.base_url, user, name);
    let note = format!("Server at {prefix}");
    let scopes = server_token_scopes(state, tx, user, name)?;
    let (secret, hash) = crate::auth::fresh_token("the server's token")?;
    let token = tx.insert_token(&NewToken {
        owner: TokenOwner::User(user),
        hash: &hash,
        prefix: secret.prefix(),
        scopes: &scopes,
        note: &note,
        expires_at: None,
        client_id: "jupyterhub",
        session_id: None,
    })?;
    let hub = HubLocation {
        base_url: state.config.base_url.clone(),
        api_url: format!("{}{}api", state.hub_host, state.config.hub_prefix()),
    };
    let mut spec = SpawnSpec::new(user, name, &hub, secret.expose().to_owned());
    let settings = &state.config.spawner;
    spec.cmd.clone_from(&settings.cmd);
    spec.args.clone_from(&settings.args);
    spec.environment.clone_from(&settings.environment);
    spec.notebook_dir.clone_from(&settings.notebook_dir);
    spec.default_url.clone_from(&settings.default_url);
    spec.ip.clone_from(&settings.ip);
    spec.port = settings.port;
    spec.debug = settings.debug;
    spec.start_timeout = settings.start_timeout;
    spec.http_timeout = settings.http_timeout;
    spec.user_options = options.clone();
    spec.oauth_client_allowed_scopes
        .clone_from(&state.config.oauth_client_allowed_scopes);
    // The server's OAuth client: its token is its secret (JupyterHub's `add_client`).
    let client_id = crate::oauth::clients::register_server_client(
        tx,
        &crate::oauth::clients::ServerClient {
            user,
            server: name,
            base_url: &state.config.base_url,
            secret: secret.expose(),
            allowed_scopes: &state.config.oauth_client_allowed_scopes,
        },
    )?;
    spec.oauth_client_id = client_id;
    let update = ServerUpdate {
        user_options: Some(Some(&options)),
        ..ServerUpdate::default()
    };
    tx.update_server(user, name, &update)?;
    Ok(Prepared {
        spec,
        token_id: token.id,
    })
}

/// The server token's scopes (`tokens::server_token_scopes`: `Spawner.server_token_scopes`
/// or the `server` role's, `!server` pinned to this server, the activity scope added, what
/// the owner's roles cannot give left out), as JupyterHub computes them at spawn.
fn server_token_scopes(
    state: &AppState,
    tx: &mut Tx<'_>,
    user: &str,
    name: &str,
) -> Result<Vec<String>, ApiError> {
    let owner = crate::auth::Principal::User(user.to_owned());
    let facts = crate::auth::OwnerFacts::load(state, tx, &owner)?;
    let owner_raw_scopes: scopes::ScopeSet = facts
        .roles
        .iter()
        .flat_map(|(role, _)| role.scopes.iter().map(scopes::Scope::lenient))
        .collect();
    let server_role: Vec<String> = state
        .roles
        .get("server")
        .map(|role| role.scopes.clone())
        .unwrap_or_default();
    let membership = crate::membership::TxMembership::new(tx);
    let computed = tokens::server_token_scopes(
        &state.config.scope_table,
        &tokens::ServerTokenRequest {
            user,
            server: name,
            configured: state.config.server_token_scopes.as_deref().unwrap_or(&[]),
            server_role: &server_role,
            owner_raw_scopes: &owner_raw_scopes,
        },
        Some(&membership),
    )
    .map_err(|error| ApiError::bad_request(format!("the server's token: {error}")))?;
    if computed.added_activity {
        tracing::warn!("{}", tokens::ACTIVITY_WARNING);
    }
    if !computed.resolved.disallowed.is_empty() {
        let missing: Vec<&str> = computed.resolved.disallowed.texts().collect();
        tracing::warn!(
            user,
            server = name,
            ?missing,
            "server token scopes the owner does not hold"
        );
    }
    Ok(computed
        .resolved
        .allowed
        .texts()
        .map(str::to_owned)
        .collect())
}

/// The spawn itself, in the background: on success the route and the server's address; on
/// failure the token and client taken back and the reason kept for the progress stream.
async fn run_spawn(state: SharedState, live: Arc<LiveServer>, spec: SpawnSpec) {
    let (user, name) = (spec.user.clone(), spec.server_name.clone());
    let outcome = spawner::spawn(live.spawner.as_ref(), &spec).await;
    match outcome {
        Ok(_) if live.phase() != Phase::Spawning => {
            // A stop was asked while it started, perhaps before there was a process to stop:
            // take it down here too; nothing to route or record.
            tracing::info!(
                user,
                server = name,
                "started after a stop was asked; stopping it"
            );
            if let Err(error) = live.spawner.stop(true).await {
                tracing::error!(%error, user, server = name, "the server did not stop");
            }
            live.spawner.clear_state();
        }
        Ok(spawned) => {
            let endpoint = spawned.endpoint;
            let mut data = Map::new();
            data.insert("user".to_owned(), Value::String(user.clone()));
            data.insert("server_name".to_owned(), Value::String(name.clone()));
            let route = routespec(&state.config.base_url, &user, &name);
            let routed = state
                .proxy
                .client()
                .add_route(&route, &endpoint.url, data)
                .await;
            let saved = save_running(&state, &live, &spec, &endpoint).await;
            match (routed, saved) {
                (Ok(()), Ok(())) => {
                    tracing::info!(user, server = name, url = %endpoint.url, "server ready");
                    live.phase.send_replace(Phase::Ready { url: endpoint.url });
                    state.cache.advance();
                }
                (routed, saved) => {
                    let reason = match (routed, saved) {
                        (Err(error), _) => format!("the proxy refused the route: {error}"),
                        (_, Err(error)) => format!(
                            "the server could not be recorded: {}",
                            error.message.unwrap_or_default()
                        ),
                        _ => String::new(),
                    };
                    tracing::error!(
                        user,
                        server = name,
                        reason,
                        "stopping a server that started"
                    );
                    let _ = live.spawner.stop(true).await;
                    live.spawner.clear_state();
                    fail(&state, &live, &user, &name, reason).await;
                }
            }
        }
        Err(error) if live.phase() != Phase::Spawning => {
            // Stopped while it started (the stop's kill is likely why): the stop cleans up.
            tracing::info!(user, server = name, %error, "a start ended by a stop");
        }
        Err(error) => {
            let message = match &error {
                spawner::SpawnError::ProcessExited { status, .. } => format!(
                    "Spawner failed to start [status={status}]. The logs for {user} may contain details."
                ),
                other => format!("Unhandled error starting {user}'s server: {other}"),
            };
            fail(&state, &live, &user, &name, message).await;
        }
    }
}

/// Records a running server: its address and the spawner's state.
async fn save_running(
    state: &SharedState,
    live: &LiveServer,
    spec: &SpawnSpec,
    endpoint: &spawner::ServerEndpoint,
) -> Result<(), ApiError> {
    let saved_state = live.spawner.state();
    let (user, name) = (spec.user.clone(), spec.server_name.clone());
    let address = Address::http(&endpoint.ip, endpoint.port, &spec.service_prefix);
    state
        .write(move |_, tx| {
            tx.set_server_address(&user, &name, Some(&address))?;
            let now = OffsetDateTime::now_utc();
            let update = ServerUpdate {
                state: Some(Some(&saved_state)),
                started: Some(Some(now)),
                last_activity: Some(now),
                ..ServerUpdate::default()
            };
            tx.update_server(&user, &name, &update)?;
            Ok(())
        })
        .await
}

/// A start that failed: token and client taken back, the reason kept.
async fn fail(state: &SharedState, live: &LiveServer, user: &str, name: &str, message: String) {
    if let Err(error) = take_back(state, live, user, name).await {
        tracing::error!(user, server = name, ?error.message, "cleaning up after a failed start");
    }
    live.phase.send_replace(Phase::Failed { message });
    state.cache.advance();
}

/// Deletes the server's token and OAuth client and forgets its address and state.
async fn take_back(
    state: &SharedState,
    live: &LiveServer,
    user: &str,
    name: &str,
) -> Result<(), ApiError> {
    let token_id = live
        .token_id
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let (user, name) = (user.to_owned(), name.to_owned());
    state
        .write(move |_, tx| {
            if let Some(id) = token_id {
                match tx.delete_token(id) {
                    Ok(()) | Err(store::StoreError::NotFound { .. }) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            if tx.find_server(&user, &name)?.is_none() {
                return Ok(());
            }
            crate::oauth::clients::remove_server_client(tx, &user, &name)?;
            tx.set_server_address(&user, &name, None)?;
            let empty = Value::Object(Map::new());
            let update = ServerUpdate {
                state: Some(Some(&empty)),
                oauth_client_id: Some(None),
                ..ServerUpdate::default()
            };
            tx.update_server(&user, &name, &update)?;
            Ok(())
        })
        .await
}

/// What [`stop`] answered.
pub enum Stopped {
    /// Stopped within `slow_stop_timeout` (204).
    Done,
    /// Still stopping (202).
    Pending,
}

/// Stops `user`'s server `name` (JupyterHub's `stop_single_user`): the route deleted, the
/// process stopped, token and client taken back. Nothing running: done at once.
///
/// # Errors
///
/// Database failures.
pub async fn stop(state: &SharedState, user: &str, name: &str) -> Result<Stopped, ApiError> {
    let Some(live) = state.servers.get(user, name) else {
        return Ok(Stopped::Done);
    };
    match live.phase() {
        Phase::Failed { .. } | Phase::Stopped => {
            state.servers.remove(user, name);
            state.cache.advance();
            return Ok(Stopped::Done);
        }
        Phase::Stopping => {}
        Phase::Spawning | Phase::Ready { .. } => {
            live.phase.send_replace(Phase::Stopping);
            state.cache.advance();
            let task_state = Arc::clone(state);
            let task_live = Arc::clone(&live);
            let (user, name) = (user.to_owned(), name.to_owned());
            tokio::spawn(async move {
                let route = routespec(&task_state.config.base_url, &user, &name);
                if let Err(error) = task_state.proxy.client().delete_route(&route).await {
                    tracing::warn!(%error, route, "the route could not be deleted");
                }
                if let Err(error) = task_live.spawner.stop(false).await {
                    tracing::error!(%error, user, server = name, "the server did not stop cleanly");
                }
                task_live.spawner.clear_state();
                if let Err(error) = finish_stopped(&task_state, &user, &name, &task_live).await {
                    tracing::error!(?error.message, user, server = name, "recording a stop");
                }
            });
        }
    }
    match live.settled(state.config.spawner.slow_stop_timeout).await {
        Phase::Stopping => Ok(Stopped::Pending),
        _ => Ok(Stopped::Done),
    }
}

/// Stops every server of `user` (before the user is deleted). `false`: one is still
/// stopping after `slow_stop_timeout`.
///
/// # Errors
///
/// Database failures.
pub async fn stop_user(state: &SharedState, user: &str) -> Result<bool, ApiError> {
    let names: Vec<String> = state
        .servers
        .live
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .keys()
        .filter(|(owner, _)| owner == user)
        .map(|(_, name)| name.clone())
        .collect();
    let mut all_stopped = true;
    for name in names {
        if let Stopped::Pending = stop(state, user, &name).await? {
            all_stopped = false;
        }
    }
    Ok(all_stopped)
}

/// After the process is gone: token and client taken back, the server forgotten.
async fn finish_stopped(
    state: &SharedState,
    user: &str,
    name: &str,
    live: &LiveServer,
) -> Result<(), ApiError> {
    let result = take_back(state, live, user, name).await;
    state.servers.remove(user, name);
    live.phase.send_replace(Phase::Stopped);
    state.cache.advance();
    result
}

/// Stops every server the hub runs (JupyterHub's `cleanup_servers`, on by default), all at
/// once.
pub async fn stop_all(state: &SharedState) {
    let keys: Vec<ServerKey> = state
        .servers
        .live
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .keys()
        .cloned()
        .collect();
    let stops = keys.iter().map(|(user, name)| async move {
        if let Err(error) = stop(state, user, name).await {
            tracing::error!(?error.message, user, server = name, "stopping at shutdown");
        }
        // Wait for the stop to finish: the process must not outlive the hub.
        if let Some(live) = state.servers.get(user, name) {
            live.settled(std::time::Duration::from_secs(60)).await;
        }
    });
    futures_util::future::join_all(stops).await;
}

/// After a restart: every server the database says is running is found again by its saved
/// state (JupyterHub's `init_spawners`): still running, it is ready again (its route is
/// added by the next `check_routes`); gone, its address, token and client are taken back.
///
/// # Errors
///
/// The database cannot be read.
pub async fn restore(state: &SharedState) -> Result<(), ApiError> {
    let running = state
        .read(|state, tx| {
            let query = store::UserQuery {
                offset: 0,
                limit: u32::MAX,
                name_filter: None,
                state: Some(store::StateFilter::Active),
                sort: store::SortKey::Id,
                descending: false,
                visible: None,
            };
            let page = tx.list_users(&query)?;
            let mut running = Vec::new();
            for details in page.users {
                for server in details.servers {
                    if server.address.is_some() {
                        let note = format!(
                            "Server at {}",
                            routespec(&state.config.base_url, &server.user, &server.name)
                        );
                        let token = tx
                            .tokens_of(TokenOwner::User(&server.user))?
                            .into_iter()
                            .find(|token| token.note == note)
                            .map(|token| token.id);
                        running.push((server, token));
                    }
                }
            }
            Ok(running)
        })
        .await?;
    for (server, token_id) in running {
        let spawner: Arc<dyn Spawner> = Arc::new(LocalProcessSpawner::new(LocalProcessConfig {
            allow_root: state.config.spawner.allow_root,
            create_system_users: state.config.spawner.create_system_users,
            ..LocalProcessConfig::default()
        }));
        let saved = server.state.clone().unwrap_or(Value::Null);
        let alive = spawner.load_state(&saved).is_ok() && matches!(spawner.poll().await, Ok(None));
        let url = server
            .address
            .as_ref()
            .map(|address| format!("{}://{}:{}", address.proto, address.ip, address.port))
            .unwrap_or_default();
        let phase = if alive {
            Phase::Ready { url }
        } else {
            Phase::Stopping
        };
        let (sender, _) = watch::channel(phase);
        let live = Arc::new(LiveServer {
            spawner,
            phase: sender,
            token_id: Mutex::new(token_id),
        });
        if alive {
            tracing::info!(user = %server.user, server = %server.name, "found running after a restart");
            state.servers.insert(&server.user, &server.name, live);
        } else {
            tracing::warn!(user = %server.user, server = %server.name, "gone since the last run; cleaning up");
            live.spawner.clear_state();
            take_back(state, &live, &server.user, &server.name).await?;
        }
    }
    state.cache.advance();
    Ok(())
}

/// Checks every ready server every `poll_interval` (JupyterHub's poll loop): one that
/// exited loses its route, token and client, and is stopped for the hub.
pub fn spawn_poller(state: SharedState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(state.config.spawner.poll_interval).await;
            for (user, name, _) in state.servers.ready() {
                let Some(live) = state.servers.get(&user, &name) else {
                    continue;
                };
                if !matches!(live.spawner.poll().await, Ok(Some(_))) {
                    continue;
                }
                tracing::warn!(user, server = name, "server exited; cleaning up");
                let route = routespec(&state.config.base_url, &user, &name);
                if let Err(error) = state.proxy.client().delete_route(&route).await {
                    tracing::warn!(%error, route, "the route could not be deleted");
                }
                live.spawner.clear_state();
                if let Err(error) = finish_stopped(&state, &user, &name, &live).await {
                    tracing::error!(?error.message, user, server = name, "recording an exit");
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routespecs_and_log_names_are_jupyterhubs() {
        assert_eq!(routespec("/", "alice", ""), "/user/alice/");
        assert_eq!(routespec("/", "alice", "proj"), "/user/alice/proj/");
        assert_eq!(routespec("/jh/", "a b", "x y"), "/jh/user/a%20b/x%20y/");
        assert_eq!(log_name("alice", ""), "alice");
        assert_eq!(log_name("alice", "proj"), "alice:proj");
    }

    #[test]
    fn phases_say_what_jupyterhub_says() {
        assert_eq!(Phase::Spawning.pending(), Some("spawn"));
        assert_eq!(Phase::Stopping.pending(), Some("stop"));
        let ready = Phase::Ready {
            url: "http://127.0.0.1:1".into(),
        };
        assert!(ready.is_ready() && ready.is_active() && ready.pending().is_none());
        assert!(!Phase::Stopped.is_active());
        assert!(
            !Phase::Failed {
                message: String::new()
            }
            .is_active()
        );
    }
}
