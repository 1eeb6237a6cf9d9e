//! Hub-managed services (JupyterHub's `Service.start` with `_ServiceSpawner`): services with
//! a `command` are started by the hub with JupyterHub's service environment (reference §5.4),
//! restarted when they exit, and stopped with the hub.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use store::{NewToken, TokenOwner};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::ServiceSpec;
use crate::error::ApiError;
use crate::state::SharedState;

/// The note of the token the hub makes for a managed service without `api_token`.
const GENERATED_NOTE: &str = "generated at startup for the hub-managed service";
/// The longest wait before a service that keeps exiting is started again.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long a service gets to stop after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// The services the hub runs.
pub struct ManagedServices {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl ManagedServices {
    /// Stops every service (SIGTERM to its process group, SIGKILL after 5 s) and waits.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Starts every configured service that has a `command`.
///
/// # Errors
///
/// The token of a service without `api_token` cannot be made.
pub async fn start(state: &SharedState) -> Result<ManagedServices, ApiError> {
    let (stop, stopping) = watch::channel(false);
    let mut tasks = Vec::new();
    for spec in state
        .config
        .services
        .iter()
        .filter(|s| !s.command.is_empty())
    {
        let token = match &spec.api_token {
            Some(token) => token.clone(),
            None => generate_token(state, &spec.name).await?,
        };
        let env = environment(state, spec, &token);
        tasks.push(tokio::spawn(supervise(spec.clone(), env, stopping.clone())));
    }
    Ok(ManagedServices { stop, tasks })
}

/// A fresh token for `service` (the previous run's is deleted), as JupyterHub makes one at
/// each start for a managed service without `api_token`.
async fn generate_token(state: &SharedState, service: &str) -> Result<String, ApiError> {
    let (secret, hash) = crate::auth::fresh_token("a service token")?;
    let name = service.to_owned();
    let prefix = secret.prefix().to_owned();
    state
        .write(move |_, tx| {
            for old in tx.tokens_of(TokenOwner::Service(&name))? {
                if old.note == GENERATED_NOTE {
                    tx.delete_token(old.id)?;
                }
            }
            tx.insert_token(&NewToken {
                owner: TokenOwner::Service(&name),
                hash: &hash,
                prefix: &prefix,
                scopes: &[tokens::INHERIT.to_owned()],
                note: GENERATED_NOTE,
                expires_at: None,
                client_id: "jupyterhub",
                session_id: None,
            })?;
            Ok(())
        })
        .await?;
    Ok(secret.expose().to_owned())
}

/// The service's environment (§5.4): the hub's `PATH` and friends, JupyterHub's variables,
/// then the service's own `environment`.
fn environment(state: &SharedState, spec: &ServiceSpec, token: &str) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let keep = spawner::LOCAL_PROCESS_ENV_KEEP
        .iter()
        .chain(&["HOME", "USER", "SHELL", "LOGNAME"]);
    for key in keep {
        if let Ok(value) = std::env::var(key) {
            env.insert((*key).to_owned(), value);
        }
    }
    let base = &state.config.base_url;
    let api_url = format!("{}{}api", state.hub_host, state.config.hub_prefix());
    let client_id = crate::oauth::clients::service_client_id(spec);
    let prefix = format!("{base}services/{}/", spec.name);
    let access = serde_json::json!([
        "access:services",
        format!("access:services!service={}", spec.name)
    ]);
    for (key, value) in [
        ("JUPYTERHUB_SERVICE_NAME", spec.name.clone()),
        ("JUPYTERHUB_API_TOKEN", token.to_owned()),
        ("JPY_API_TOKEN", token.to_owned()),
        ("JUPYTERHUB_CLIENT_ID", client_id),
        ("JUPYTERHUB_API_URL", api_url),
        ("JUPYTERHUB_BASE_URL", base.clone()),
        ("JUPYTERHUB_HOST", String::new()),
        ("JUPYTERHUB_OAUTH_ACCESS_SCOPES", access.to_string()),
        (
            "JUPYTERHUB_OAUTH_CALLBACK_URL",
            format!("{prefix}oauth_callback"),
        ),
    ] {
        env.insert(key.to_owned(), value);
    }
    if let Some(url) = &spec.url {
        env.insert("JUPYTERHUB_SERVICE_URL".to_owned(), url.clone());
        env.insert("JUPYTERHUB_SERVICE_PREFIX".to_owned(), prefix);
    }
    env.extend(spec.environment.clone());
    env
}

/// Runs the service until the hub stops, starting it again (1 s, 2 s, ... 30 s later) when it
/// exits.
async fn supervise(
    spec: ServiceSpec,
    env: BTreeMap<String, String>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_secs(1);
    let Some((program, args)) = spec.command.split_first() else {
        return;
    };
    loop {
        let mut command = tokio::process::Command::new(program);
        command
            .args(args)
            .env_clear()
            .envs(&env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        if let Some(cwd) = &spec.cwd {
            command.current_dir(cwd);
        }
        match command.spawn() {
            Err(error) => {
                tracing::error!(service = %spec.name, command = ?spec.command, %error, "the managed service could not be started");
            }
            Ok(mut child) => {
                tracing::info!(service = %spec.name, pid = ?child.id(), "managed service started");
                let token = env.get("JUPYTERHUB_API_TOKEN").map_or("", String::as_str);
                forward_output(&spec.name, token, &mut child);
                let stop = tokio::select! {
                    status = child.wait() => {
                        tracing::warn!(service = %spec.name, ?status, "managed service exited; it will be started again");
                        false
                    }
                    // Asked to stop, or the hub is gone (the sender dropped).
                    _ = stopping.wait_for(|stop| *stop) => true,
                };
                if stop {
                    terminate(&spec.name, &mut child).await;
                    return;
                }
            }
        }
        let stop = tokio::select! {
            () = tokio::time::sleep(backoff) => false,
            _ = stopping.wait_for(|stop| *stop) => true,
        };
        if stop {
            return;
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// The service's output, line by line, into the hub's log (its token blanked).
fn forward_output(service: &str, token: &str, child: &mut tokio::process::Child) {
    let streams: [Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>; 2] = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
    ];
    for stream in streams.into_iter().flatten() {
        let service = service.to_owned();
        let token = token.to_owned();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let line = blank_token(line, &token);
                tracing::info!(target: "managed_service", service, "{line}");
            }
        });
    }
}

/// `line` with `token` replaced by `[token]`: a service may print its environment.
fn blank_token(line: String, token: &str) -> String {
    if token.is_empty() || !line.contains(token) {
        return line;
    }
    line.replace(token, "[token]")
}

/// SIGTERM to the service's process group, SIGKILL after [`STOP_GRACE`].
async fn terminate(service: &str, child: &mut tokio::process::Child) {
    if let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGTERM);
        if tokio::time::timeout(STOP_GRACE, child.wait()).await.is_ok() {
            tracing::info!(service, "managed service stopped");
            return;
        }
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    let _ = child.kill().await;
    tracing::warn!(service, "managed service killed");
}

#[cfg(test)]
mod tests {
    use super::blank_token;

    #[test]
    fn a_services_token_never_reaches_the_log() {
        let token = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            blank_token(
                format!("JUPYTERHUB_API_TOKEN={token} and again {token}"),
                token
            ),
            "JUPYTERHUB_API_TOKEN=[token] and again [token]"
        );
        assert_eq!(blank_token("nothing here".into(), token), "nothing here");
        assert_eq!(blank_token("no token set".into(), ""), "no token set");
    }
}
