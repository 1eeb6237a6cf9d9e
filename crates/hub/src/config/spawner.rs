//! How single-user servers are started: the `[Spawner]` keys of JupyterHub's `Spawner` and
//! `LocalProcessSpawner`, hubcap's `allow_root`, `[LocalAuthenticator] create_system_users`,
//! and `[JupyterHub]`'s `slow_spawn_timeout` and `concurrent_spawn_limit`.

use std::collections::BTreeMap;
use std::time::Duration;

use super::reader::Section;

/// How servers are started, checked.
#[derive(Clone, Debug)]
pub struct SpawnerSettings {
    /// `Spawner.cmd` (default `["jupyterhub-singleuser"]`, found on `PATH`).
    pub cmd: Vec<String>,
    /// `Spawner.args`.
    pub args: Vec<String>,
    /// hubcap's `Spawner.allow_root`: run servers as the hub's own user (with
    /// `--allow-root` when that is root) instead of as the system user named like the hub
    /// user. Off by default, as JupyterHub's `LocalProcessSpawner` never does it.
    pub allow_root: bool,
    /// `LocalAuthenticator.create_system_users`: `useradd -m NAME` for a missing account.
    pub create_system_users: bool,
    /// `Spawner.start_timeout`.
    pub start_timeout: Duration,
    /// `Spawner.http_timeout`.
    pub http_timeout: Duration,
    /// `Spawner.poll_interval`: how often a running server is checked.
    pub poll_interval: Duration,
    /// `Spawner.environment`.
    pub environment: BTreeMap<String, String>,
    /// `Spawner.notebook_dir`.
    pub notebook_dir: Option<String>,
    /// `Spawner.default_url`.
    pub default_url: Option<String>,
    /// `Spawner.ip`.
    pub ip: String,
    /// `Spawner.port` (0: a free port).
    pub port: u16,
    /// `Spawner.debug`.
    pub debug: bool,
    /// `JupyterHub.slow_spawn_timeout`: how long `POST .../server` waits before answering
    /// 202.
    pub slow_spawn_timeout: Duration,
    /// `JupyterHub.slow_stop_timeout`.
    pub slow_stop_timeout: Duration,
    /// `JupyterHub.concurrent_spawn_limit` (0: no limit).
    pub concurrent_spawn_limit: u32,
}

impl Default for SpawnerSettings {
    fn default() -> Self {
        SpawnerSettings {
            cmd: vec!["jupyterhub-singleuser".to_owned()],
            args: Vec::new(),
            allow_root: false,
            create_system_users: false,
            start_timeout: Duration::from_secs(60),
            http_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(30),
            environment: BTreeMap::new(),
            notebook_dir: None,
            default_url: None,
            ip: "127.0.0.1".to_owned(),
            port: 0,
            debug: false,
            slow_spawn_timeout: Duration::from_secs(10),
            slow_stop_timeout: Duration::from_secs(10),
            concurrent_spawn_limit: 100,
        }
    }
}

fn seconds(value: i64) -> Duration {
    Duration::from_secs(u64::try_from(value).unwrap_or(0))
}

/// Reads the `[Spawner]` keys that say how servers run.
pub(super) fn read_spawner(settings: &mut SpawnerSettings, section: &mut Section<'_>) {
    if let Some(cmd) = section.strings("cmd", "[\"jupyterhub-singleuser\"]") {
        if cmd.is_empty() {
            section.problem(
                super::ConfigProblem::new("Spawner.cmd", "the command is empty")
                    .help("for example [\"jupyterhub-singleuser\"]"),
            );
        } else {
            settings.cmd = cmd;
        }
    }
    if let Some(args) = section.strings("args", "[\"--debug\"]") {
        settings.args = args;
    }
    if let Some(flag) = section.boolean("allow_root") {
        settings.allow_root = flag;
    }
    if let Some(value) = section.integer("start_timeout", 1..=86_400, "60") {
        settings.start_timeout = seconds(value);
    }
    if let Some(value) = section.integer("http_timeout", 1..=86_400, "30") {
        settings.http_timeout = seconds(value);
    }
    if let Some(value) = section.integer("poll_interval", 1..=86_400, "30") {
        settings.poll_interval = seconds(value);
    }
    if let Some(pairs) = section.string_map("environment", "{ LANG = \"C.UTF-8\" }") {
        settings.environment = pairs;
    }
    settings.notebook_dir = section.string("notebook_dir", "\"~/notebooks\"");
    settings.default_url = section.string("default_url", "\"/lab\"");
    if let Some(ip) = section.string("ip", "\"127.0.0.1\"") {
        settings.ip = ip;
    }
    if let Some(port) = section.integer("port", 0..=65_535, "0") {
        settings.port = u16::try_from(port).unwrap_or(0);
    }
    if let Some(flag) = section.boolean("debug") {
        settings.debug = flag;
    }
}

/// Reads `[JupyterHub]`'s spawn limits.
pub(super) fn read_hub_spawn_keys(settings: &mut SpawnerSettings, section: &mut Section<'_>) {
    if let Some(value) = section.integer("slow_spawn_timeout", 0..=86_400, "10") {
        settings.slow_spawn_timeout = seconds(value);
    }
    if let Some(value) = section.integer("slow_stop_timeout", 0..=86_400, "10") {
        settings.slow_stop_timeout = seconds(value);
    }
    if let Some(value) = section.integer("concurrent_spawn_limit", 0..=1_000_000, "100") {
        settings.concurrent_spawn_limit = u32::try_from(value).unwrap_or(100);
    }
}
