//! `ManagedChp`: the configurable-http-proxy process the hub starts and stops itself, as
//! JupyterHub's `ConfigurableHTTPProxy.start`/`stop`/`check_running` do: the same command-line
//! flags, `CONFIGPROXY_AUTH_TOKEN` in its environment, its own process group, a bounded wait
//! until its public port accepts connections and its API answers, stop with TERM and then
//! KILL, and a check that restarts it when it has died. It is killed if dropped while running.
//!
//! Not done here (JupyterHub does them): the pid file and killing a stale proxy found in it,
//! the `0o007` umask, internal TLS and unix sockets; re-adding the routes after a restart is
//! the hub's job, which holds the routes.

mod output;

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::client::answers_ok;
use crate::proxy::{Proxy, ProxyFuture};
use crate::route::Routes;
use crate::routespec::Routing;
use crate::{AuthToken, ChpClient, ChpClientConfig, ProxyError};
use output::OutputTail;

/// How long one readiness probe of a starting proxy may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// CHP's `--log-level` (`ConfigurableHTTPProxy.log_level`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogLevel {
    /// `debug`
    Debug,
    /// `info`, JupyterHub's default
    #[default]
    Info,
    /// `warn`
    Warn,
    /// `error`
    Error,
}

impl LogLevel {
    /// The flag's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

/// How to start the proxy. Defaults are JupyterHub's where it has one.
#[derive(Clone, Debug)]
pub struct ManagedChpConfig {
    /// The program and any leading arguments (`ConfigurableHTTPProxy.command`, default
    /// `["configurable-http-proxy"]`, looked up in `PATH`).
    pub command: Vec<String>,
    /// `--ip`: the public interface; empty means all interfaces.
    pub public_ip: String,
    /// `--port`: the public port (default 8000).
    pub public_port: u16,
    /// `--api-ip` (default `127.0.0.1`).
    pub api_ip: String,
    /// `--api-port` (default 8001).
    pub api_port: u16,
    /// `--error-target`: where CHP fetches error pages, `{hub url}error` in JupyterHub.
    pub error_target: Option<String>,
    /// `--default-target`: where requests go that no route matches.
    pub default_target: Option<String>,
    /// `--log-level`.
    pub log_level: LogLevel,
    /// `--host-routing` when [`Routing::Host`].
    pub routing: Routing,
    /// `--ssl-key`.
    pub ssl_key: Option<PathBuf>,
    /// `--ssl-cert`.
    pub ssl_cert: Option<PathBuf>,
    /// The API token; `None` takes `CONFIGPROXY_AUTH_TOKEN`, or else a fresh random one.
    pub auth_token: Option<AuthToken>,
    /// How long to wait for the proxy to come up (JupyterHub: 15 s).
    pub start_timeout: Duration,
    /// How long to wait after TERM before KILL.
    pub stop_timeout: Duration,
    /// How long each API call keeps retrying (JupyterHub: 30 s).
    pub retry_timeout: Duration,
}

impl Default for ManagedChpConfig {
    fn default() -> Self {
        Self {
            command: vec!["configurable-http-proxy".to_owned()],
            public_ip: String::new(),
            public_port: 8000,
            api_ip: "127.0.0.1".to_owned(),
            api_port: 8001,
            error_target: None,
            default_target: None,
            log_level: LogLevel::Info,
            routing: Routing::Path,
            ssl_key: None,
            ssl_cert: None,
            auth_token: None,
            start_timeout: Duration::from_secs(15),
            stop_timeout: Duration::from_secs(5),
            retry_timeout: Duration::from_secs(30),
        }
    }
}

impl ManagedChpConfig {
    /// The arguments after the command, in JupyterHub's order.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec![
            "--ip".to_owned(),
            self.public_ip.clone(),
            "--port".to_owned(),
            self.public_port.to_string(),
            "--api-ip".to_owned(),
            self.api_ip.clone(),
            "--api-port".to_owned(),
            self.api_port.to_string(),
        ];
        let mut flag = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                args.push(name.to_owned());
                args.push(value);
            }
        };
        flag("--error-target", self.error_target.clone());
        flag("--default-target", self.default_target.clone());
        flag("--log-level", Some(self.log_level.as_str().to_owned()));
        flag("--ssl-key", path_arg(self.ssl_key.as_ref()));
        flag("--ssl-cert", path_arg(self.ssl_cert.as_ref()));
        if self.routing == Routing::Host {
            args.push("--host-routing".to_owned());
        }
        args
    }

    /// The URL the hub reaches the API at.
    pub fn api_url(&self) -> String {
        format!("http://{}:{}", url_host(&self.api_ip), self.api_port)
    }
}

fn path_arg(path: Option<&PathBuf>) -> Option<String> {
    path.map(|path| path.display().to_string())
}

/// The host to connect to for an interface the proxy listens on: all interfaces are reached
/// on loopback.
fn connect_host(ip: &str) -> &str {
    match ip {
        "" | "0.0.0.0" => "127.0.0.1",
        "::" => "::1",
        ip => ip,
    }
}

/// An IP for a URL: IPv6 in brackets.
fn url_host(ip: &str) -> String {
    let host = connect_host(ip);
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

/// A configurable-http-proxy process started by the hub, and the client of its API.
#[derive(Debug)]
pub struct ManagedChp {
    config: ManagedChpConfig,
    token: AuthToken,
    client: ChpClient,
    child: Mutex<Option<Child>>,
    pid: AtomicU32,
}

impl ManagedChp {
    /// Starts the proxy and waits until its public port accepts connections and its API
    /// answers `GET /api/routes`, for at most `start_timeout`. Fails with what the proxy last
    /// printed if it exits or does not come up in time.
    pub async fn start(config: ManagedChpConfig) -> Result<Self, ProxyError> {
        let token = match config.auth_token.clone().or_else(AuthToken::from_env) {
            Some(token) => token,
            None => {
                tracing::info!("generating a new CONFIGPROXY_AUTH_TOKEN");
                AuthToken::generate().map_err(|e| ProxyError::Spawn {
                    program: program(&config),
                    source: std::io::Error::other(format!("no randomness for the auth token: {e}")),
                })?
            }
        };
        let client = ChpClient::new(ChpClientConfig {
            api_url: config.api_url(),
            auth_token: Some(token.clone()),
            routing: config.routing,
            retry_timeout: config.retry_timeout,
            ..ChpClientConfig::default()
        })?;
        let managed = Self {
            config,
            token,
            client,
            child: Mutex::new(None),
            pid: AtomicU32::new(0),
        };
        let child = managed.spawn_and_wait().await?;
        *managed.child.lock().await = Some(child);
        Ok(managed)
    }

    /// The client of this proxy's API.
    pub fn client(&self) -> &ChpClient {
        &self.client
    }

    /// The token the proxy was started with, for a hub that must hand it on.
    pub fn auth_token(&self) -> &AuthToken {
        &self.token
    }

    /// The configuration the proxy was started with.
    pub fn config(&self) -> &ManagedChpConfig {
        &self.config
    }

    /// The process id of the current proxy process (0 once stopped).
    pub fn pid(&self) -> u32 {
        self.pid.load(Ordering::Relaxed)
    }

    /// `check_running`: when the proxy has exited, logs how and starts it again, returning
    /// `true`; the caller must then re-add its routes (the new proxy's table is empty).
    /// Returns `false` while it runs, and after [`ManagedChp::stop`].
    pub async fn restart_if_exited(&self) -> Result<bool, ProxyError> {
        let mut guard = self.child.lock().await;
        let Some(child) = guard.as_mut() else {
            return Ok(false);
        };
        let Some(status) = child.try_wait().map_err(|e| ProxyError::Stop {
            pid: self.pid(),
            reason: format!("could not check whether it runs: {e}"),
        })?
        else {
            return Ok(false);
        };
        tracing::error!(%status, "the proxy stopped; restarting it");
        *guard = None;
        *guard = Some(self.spawn_and_wait().await?);
        Ok(true)
    }

    /// Stops the proxy: TERM, then KILL if it has not exited within `stop_timeout`. Returns
    /// how it exited, or `None` if it was already stopped by an earlier call.
    pub async fn stop(&self) -> Result<Option<ExitStatus>, ProxyError> {
        let mut guard = self.child.lock().await;
        let Some(mut child) = guard.take() else {
            return Ok(None);
        };
        let pid = self.pid.swap(0, Ordering::Relaxed);
        tracing::info!(pid, "stopping the proxy");
        let failed = |reason: String| ProxyError::Stop { pid, reason };
        if let Some(status) = child.try_wait().map_err(|e| failed(e.to_string()))? {
            return Ok(Some(status));
        }
        let target = i32::try_from(pid)
            .map(Pid::from_raw)
            .map_err(|_| failed("the pid does not fit a pid_t".to_owned()))?;
        match kill(target, Signal::SIGTERM) {
            Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
            Err(e) => return Err(failed(format!("TERM failed: {e}"))),
        }
        match tokio::time::timeout(self.config.stop_timeout, child.wait()).await {
            Ok(status) => status.map(Some).map_err(|e| failed(e.to_string())),
            Err(_) => {
                tracing::warn!(pid, "the proxy ignored TERM; killing it");
                child
                    .kill()
                    .await
                    .map_err(|e| failed(format!("KILL failed: {e}")))?;
                child
                    .wait()
                    .await
                    .map(Some)
                    .map_err(|e| failed(e.to_string()))
            }
        }
    }

    /// Starts one proxy process and waits until it is up; kills it if it is not.
    async fn spawn_and_wait(&self) -> Result<Child, ProxyError> {
        let program = program(&self.config);
        let mut command = Command::new(&program);
        command
            .args(self.config.command.iter().skip(1))
            .args(self.config.args())
            .env(AuthToken::ENV, self.token.expose())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        tracing::info!(
            command = ?self.config.command,
            args = ?self.config.args(),
            "starting the proxy"
        );
        let mut child = command.spawn().map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => ProxyError::ExecutableNotFound {
                program: program.clone(),
            },
            _ => ProxyError::Spawn {
                program: program.clone(),
                source,
            },
        })?;
        self.pid.store(child.id().unwrap_or(0), Ordering::Relaxed);
        let mut output = OutputTail::default();
        if let Some(stdout) = child.stdout.take() {
            output.follow(stdout, self.token.clone());
        }
        if let Some(stderr) = child.stderr.take() {
            output.follow(stderr, self.token.clone());
        }
        match self.wait_until_up(&mut child).await {
            Ok(()) => {
                tracing::info!(
                    pid = self.pid(),
                    api_url = self.config.api_url(),
                    "the proxy is up"
                );
                Ok(child)
            }
            Err(WaitFailure::Exited(status)) => Err(ProxyError::ExitedDuringStart {
                status,
                output: output.collect(Duration::from_secs(1)).await,
            }),
            Err(WaitFailure::TimedOut(waiting_for)) => {
                // Kill it before reading the rest of its output, so the readers see the end.
                let _killed = child.kill().await;
                Err(ProxyError::StartTimeout {
                    waited: self.config.start_timeout,
                    waiting_for,
                    output: output.collect(Duration::from_secs(1)).await,
                })
            }
        }
    }

    /// Polls until the public port accepts a connection and the API answers 200, the process
    /// exits, or `start_timeout` passes.
    async fn wait_until_up(&self, child: &mut Child) -> Result<(), WaitFailure> {
        let deadline = Instant::now() + self.config.start_timeout;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(WaitFailure::Exited(status));
            }
            let public = self.public_answers().await;
            let api = self.client.answers(PROBE_TIMEOUT).await;
            if public.is_ok() && api.is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let mut waiting_for = Vec::new();
                if let Err(reason) = public {
                    waiting_for.push(format!("public port: {reason}"));
                }
                if let Err(reason) = api {
                    waiting_for.push(format!("API at {}: {reason}", self.config.api_url()));
                }
                return Err(WaitFailure::TimedOut(waiting_for.join("; ")));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl ManagedChp {
    /// Whether the public port is CHP's: `GET /_chp_healthz` answers 200 (with TLS, which
    /// this client does not speak, only a TCP connect). CHP does not exit when its public port
    /// is taken (it logs an uncaught EADDRINUSE and keeps its API up), so a bare connect, as
    /// JupyterHub makes, could reach another process.
    async fn public_answers(&self) -> Result<(), String> {
        let host = connect_host(&self.config.public_ip);
        let port = self.config.public_port;
        if self.config.ssl_cert.is_some() || self.config.ssl_key.is_some() {
            return TcpStream::connect((host, port))
                .await
                .map(drop)
                .map_err(|e| format!("{host}:{port}: {e}"));
        }
        let url = format!(
            "http://{}:{port}/_chp_healthz",
            url_host(&self.config.public_ip)
        );
        answers_ok(&url, PROBE_TIMEOUT)
            .await
            .map_err(|reason| format!("{url}: {reason}"))
    }
}

/// Why the proxy did not come up.
enum WaitFailure {
    Exited(ExitStatus),
    TimedOut(String),
}

fn program(config: &ManagedChpConfig) -> PathBuf {
    PathBuf::from(
        config
            .command
            .first()
            .map_or("configurable-http-proxy", String::as_str),
    )
}

/// The managed proxy is a proxy: every call goes to its client.
impl Proxy for ManagedChp {
    fn routing(&self) -> Routing {
        self.client.routing()
    }

    fn add_route<'a>(
        &'a self,
        routespec: &'a str,
        target: &'a str,
        data: Map<String, Value>,
    ) -> ProxyFuture<'a, ()> {
        self.client.add_route(routespec, target, data)
    }

    fn delete_route<'a>(&'a self, routespec: &'a str) -> ProxyFuture<'a, ()> {
        self.client.delete_route(routespec)
    }

    fn get_all_routes(&self) -> ProxyFuture<'_, Routes> {
        self.client.get_all_routes()
    }

    fn get_route<'a>(&'a self, routespec: &'a str) -> ProxyFuture<'a, Option<crate::Route>> {
        self.client.get_route(routespec)
    }

    fn inactive_since(&self, since: OffsetDateTime) -> ProxyFuture<'_, Routes> {
        self.client.inactive_since(since)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_is_jupyterhubs() {
        let config = ManagedChpConfig {
            public_port: 18000,
            api_port: 18001,
            error_target: Some("http://127.0.0.1:18081/hub/error".into()),
            ..ManagedChpConfig::default()
        };
        assert_eq!(
            config.args(),
            [
                "--ip",
                "",
                "--port",
                "18000",
                "--api-ip",
                "127.0.0.1",
                "--api-port",
                "18001",
                "--error-target",
                "http://127.0.0.1:18081/hub/error",
                "--log-level",
                "info"
            ]
        );
        let config = ManagedChpConfig {
            routing: Routing::Host,
            default_target: Some("http://127.0.0.1:9".into()),
            log_level: LogLevel::Debug,
            ssl_key: Some("k.pem".into()),
            ssl_cert: Some("c.pem".into()),
            api_ip: "::1".into(),
            ..ManagedChpConfig::default()
        };
        assert_eq!(
            config.args()[8..],
            [
                "--default-target",
                "http://127.0.0.1:9",
                "--log-level",
                "debug",
                "--ssl-key",
                "k.pem",
                "--ssl-cert",
                "c.pem",
                "--host-routing"
            ]
        );
        assert_eq!(config.api_url(), "http://[::1]:8001");
    }
}
