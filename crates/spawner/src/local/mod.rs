//! [`LocalProcessSpawner`]: JupyterHub's `LocalProcessSpawner`. Runs the single-user command as
//! a local process with exactly the environment of [`crate::environment`] plus `USER`, `HOME`,
//! `SHELL`, as the system user named like the hub user, in its own process group, in that user's
//! home. Watches it through the child handle, or through the saved pid after a hub restart;
//! stops it with SIGINT, SIGTERM, SIGKILL to the group, each after a timeout.

mod output;
mod process;
mod run_as;

pub use process::process_group_alive;

use crate::spawner::{BoxFuture, default_wait_up};
use crate::wait_up::ServerUp;
use crate::{
    ExitStatus, ProgressEvent, ProgressLog, ServerEndpoint, SpawnError, SpawnSpec, Spawner,
    environment,
};
use nix::sys::signal::Signal;
use output::{Origin, StderrTail};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// `LocalProcessSpawner`'s settings (shared by all servers of a hub).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalProcessConfig {
    /// When the hub user has no system account, run the server as the hub's own user instead of
    /// failing, passing `--allow-root` when that is root. Off by default; logs a warning once.
    pub allow_root: bool,
    /// Create a missing system account with `useradd -m NAME` before starting
    /// (`LocalAuthenticator.create_system_users`). Off by default.
    pub create_system_users: bool,
    /// How long to wait after SIGINT before SIGTERM (`interrupt_timeout`, 30 s).
    pub interrupt_timeout: Duration,
    /// How long to wait after SIGTERM before SIGKILL (`term_timeout`, 30 s).
    pub term_timeout: Duration,
    /// How long to wait after SIGKILL before giving up (`kill_timeout`, 5 s).
    pub kill_timeout: Duration,
}

impl Default for LocalProcessConfig {
    fn default() -> Self {
        Self {
            allow_root: false,
            create_system_users: false,
            interrupt_timeout: Duration::from_secs(30),
            term_timeout: Duration::from_secs(30),
            kill_timeout: Duration::from_secs(5),
        }
    }
}

/// The process this spawner runs, as far as it knows it.
#[derive(Debug, Default)]
struct Tracked {
    /// The child handle, when this hub process started it.
    child: Option<tokio::process::Child>,
    /// The pid (and process group id); 0 when there is none. This is the saved state.
    pid: i32,
    /// The process group of the last server, to clear stragglers after its leader exited.
    last_group: Option<i32>,
    /// How the last server this process started exited.
    last_exit: Option<ExitStatus>,
    /// The stderr forwarding task of the current server.
    stderr_task: Option<JoinHandle<()>>,
    stderr_tail: StderrTail,
}

/// Runs one single-user server as a local process. See the module documentation.
#[derive(Debug)]
pub struct LocalProcessSpawner {
    config: LocalProcessConfig,
    tracked: Mutex<Tracked>,
    progress: ProgressLog,
}

impl LocalProcessSpawner {
    /// A spawner for one server, with no process yet.
    pub fn new(config: LocalProcessConfig) -> Self {
        Self {
            config,
            tracked: Mutex::new(Tracked::default()),
            progress: ProgressLog::default(),
        }
    }

    /// The server's pid, when it has one.
    pub fn pid(&self) -> Option<i32> {
        Some(self.tracked().pid).filter(|pid| *pid != 0)
    }

    fn tracked(&self) -> MutexGuard<'_, Tracked> {
        // a panic elsewhere while holding the lock leaves plain data behind: keep using it
        self.tracked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn launch(&self, spec: &SpawnSpec) -> Result<ServerEndpoint, SpawnError> {
        if spec.internal_ssl {
            return Err(SpawnError::InternalSslUnsupported);
        }
        if let Some(pid) = self.pid().filter(|pid| process::is_alive(*pid)) {
            return Err(SpawnError::AlreadyRunning { pid });
        }
        self.progress.push(ProgressEvent::spawning());
        let run_as = run_as::resolve(&spec.user, &self.config).await?;
        let mut spec = spec.clone();
        if spec.port == 0 {
            spec.port = process::random_port(&spec.ip)?;
        }
        let hub_env = std::env::vars().collect();
        let mut env = environment(&spec, &hub_env)?;
        run_as::user_env(&mut env, &spec.user, &run_as);

        let (program, args) = spec.cmd.split_first().ok_or(SpawnError::EmptyCommand)?;
        let server_path = env.get("PATH").cloned().unwrap_or_default();
        let program = find_program(program, &server_path)?;
        let mut args = [args, spec.args.as_slice()].concat();
        if run_as.allow_root_flag {
            args.push("--allow-root".to_owned());
        }
        let cwd = run_as::working_dir(&run_as.home);
        tracing::info!(user = %spec.user, server = %spec.server_name, run_as = %run_as.name, cwd = %cwd.display(), port = spec.port, "spawning {} {}", program.display(), args.join(" "));

        let mut command = std::process::Command::new(&program);
        command
            .args(&args)
            .env_clear()
            .envs(&env)
            .current_dir(&cwd)
            .process_group(0);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some((uid, gid)) = run_as.switch_to {
            // as root, std also clears the supplementary groups before setuid
            command.uid(uid).gid(gid);
        }
        let mut child = tokio::process::Command::from(command)
            .spawn()
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::NotFound => SpawnError::CommandNotFound {
                    command: program.display().to_string(),
                    path: server_path.clone(),
                },
                std::io::ErrorKind::PermissionDenied => SpawnError::NotPermitted {
                    command: program.display().to_string(),
                    run_as: run_as.name.clone(),
                },
                _ => SpawnError::Launch {
                    command: program.display().to_string(),
                    run_as: run_as.name.clone(),
                    source,
                },
            })?;
        let pid = child
            .id()
            .and_then(|pid| i32::try_from(pid).ok())
            .unwrap_or_default();
        let origin = Origin {
            user: spec.user.clone(),
            server: spec.server_name.clone(),
            token: spec.api_token.clone(),
        };
        let stderr_tail = StderrTail::default();
        if let Some(stdout) = child.stdout.take() {
            output::forward(stdout, "stdout", origin.clone(), None);
        }
        let stderr_task = child
            .stderr
            .take()
            .map(|stderr| output::forward(stderr, "stderr", origin, Some(stderr_tail.clone())));
        *self.tracked() = Tracked {
            child: Some(child),
            pid,
            last_group: Some(pid),
            last_exit: None,
            stderr_task,
            stderr_tail,
        };
        let ip = if spec.ip.is_empty() {
            "127.0.0.1"
        } else {
            spec.ip.as_str()
        };
        Ok(ServerEndpoint::new(spec.proto(), ip, spec.port))
    }

    fn poll_now(&self) -> Option<ExitStatus> {
        let mut tracked = self.tracked();
        if let Some(child) = tracked.child.as_mut() {
            match child.try_wait() {
                Ok(None) => return None,
                Ok(Some(status)) => {
                    let status = ExitStatus::from(status);
                    tracing::info!(pid = tracked.pid, %status, "server exited");
                    tracked.child = None;
                    tracked.pid = 0;
                    tracked.last_exit = Some(status);
                    return Some(status);
                }
                Err(error) => {
                    tracing::warn!(pid = tracked.pid, %error, "cannot wait for the server; checking its pid")
                }
            }
        }
        if tracked.pid == 0 {
            return Some(tracked.last_exit.unwrap_or(ExitStatus::Unknown));
        }
        if process::is_alive(tracked.pid) {
            return None;
        }
        tracked.pid = 0;
        tracked.child = None;
        Some(ExitStatus::Unknown)
    }

    /// Polls until the server is gone or `timeout` passes; whether it is gone.
    async fn wait_for_death(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(5);
        loop {
            if self.poll_now().is_some() {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    async fn terminate(&self, now: bool) -> Result<(), SpawnError> {
        let steps = [
            (Signal::SIGINT, self.config.interrupt_timeout),
            (Signal::SIGTERM, self.config.term_timeout),
            (Signal::SIGKILL, self.config.kill_timeout),
        ];
        let mut gone = self.poll_now().is_some();
        for (signal, timeout) in steps.into_iter().skip(usize::from(now)) {
            if gone {
                break;
            }
            let pid = self.tracked().pid;
            if signal != Signal::SIGKILL && process::ignores(pid, signal) {
                tracing::info!(pid, %signal, "the server ignores this signal; going on to the next");
                continue;
            }
            tracing::debug!(pid, %signal, "stopping server");
            process::signal_group(pid, signal)?;
            gone = self.wait_for_death(timeout).await;
        }
        let group = self.tracked().last_group.take();
        if !gone {
            tracing::warn!(pid = ?group, "server never died");
            return Ok(());
        }
        // the leader is gone; anything it left in its group goes too
        if let Some(group) = group.filter(|group| process::process_group_alive(*group)) {
            process::signal_group(group, Signal::SIGKILL)?;
            let deadline = Instant::now() + self.config.kill_timeout;
            while process::process_group_alive(group) && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        Ok(())
    }

    /// Waits a little for the stderr forwarder to read what the exited server wrote last.
    async fn stderr_tail(&self) -> String {
        let (task, tail) = {
            let mut tracked = self.tracked();
            (tracked.stderr_task.take(), tracked.stderr_tail.clone())
        };
        if let Some(task) = task {
            let _ = tokio::time::timeout(Duration::from_millis(500), task).await;
        }
        tail.text()
    }
}

/// `cmd[0]` as the process will run it: a path as given, or a bare name looked up on the
/// server's `PATH` (as `Popen` does with the child's environment).
fn find_program(program: &str, server_path: &str) -> Result<PathBuf, SpawnError> {
    if program.contains('/') {
        return Ok(PathBuf::from(program));
    }
    server_path
        .split(':')
        .filter(|dir| !dir.is_empty())
        .map(|dir| Path::new(dir).join(program))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| SpawnError::CommandNotFound {
            command: program.to_owned(),
            path: server_path.to_owned(),
        })
}

impl Spawner for LocalProcessSpawner {
    fn start<'a>(
        &'a self,
        spec: &'a SpawnSpec,
    ) -> BoxFuture<'a, Result<ServerEndpoint, SpawnError>> {
        Box::pin(self.launch(spec))
    }

    fn wait_up<'a>(
        &'a self,
        spec: &'a SpawnSpec,
        endpoint: &'a ServerEndpoint,
    ) -> BoxFuture<'a, Result<ServerUp, SpawnError>> {
        Box::pin(async move {
            let mut error = match default_wait_up(self, spec, endpoint).await {
                Ok(up) => return Ok(up),
                Err(error) => error,
            };
            if let Err(stop_error) = self.terminate(true).await {
                tracing::error!(error = %stop_error, "cannot stop a server that failed to start");
            }
            if let SpawnError::ProcessExited { stderr_tail, .. }
            | SpawnError::HttpTimeout { stderr_tail, .. } = &mut error
            {
                *stderr_tail = self.stderr_tail().await;
            }
            Err(error)
        })
    }

    fn poll(&self) -> BoxFuture<'_, Result<Option<ExitStatus>, SpawnError>> {
        Box::pin(async move { Ok(self.poll_now()) })
    }

    fn stop(&self, now: bool) -> BoxFuture<'_, Result<(), SpawnError>> {
        Box::pin(self.terminate(now))
    }

    fn state(&self) -> serde_json::Value {
        match self.pid() {
            Some(pid) => serde_json::json!({ "pid": pid }),
            None => serde_json::json!({}),
        }
    }

    fn load_state(&self, state: &serde_json::Value) -> Result<(), SpawnError> {
        let invalid = |reason| SpawnError::InvalidState {
            state: state.to_string(),
            reason,
        };
        let object = state
            .as_object()
            .ok_or_else(|| invalid("it is not a JSON object"))?;
        let Some(pid) = object.get("pid") else {
            return Ok(());
        };
        let pid = pid
            .as_i64()
            .and_then(|pid| i32::try_from(pid).ok())
            .filter(|pid| *pid > 0)
            .ok_or_else(|| invalid("`pid` is not a positive integer"))?;
        let mut tracked = self.tracked();
        tracked.pid = pid;
        tracked.last_group = Some(pid);
        Ok(())
    }

    fn clear_state(&self) {
        let mut tracked = self.tracked();
        tracked.pid = 0;
        tracked.child = None;
    }

    fn progress(&self) -> &ProgressLog {
        &self.progress
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn state_round_trips_and_rejects_what_is_not_a_pid() {
        let spawner = LocalProcessSpawner::new(LocalProcessConfig::default());
        assert_eq!(spawner.state(), serde_json::json!({}));
        spawner
            .load_state(&serde_json::json!({"pid": 4242}))
            .unwrap();
        assert_eq!(spawner.state(), serde_json::json!({"pid": 4242}));
        spawner.clear_state();
        assert_eq!(spawner.state(), serde_json::json!({}));
        let error = spawner
            .load_state(&serde_json::json!({"pid": "x"}))
            .unwrap_err()
            .to_string();
        assert!(error.contains("`pid` is not a positive integer"), "{error}");
        assert!(spawner.load_state(&serde_json::json!([1])).is_err());
    }

    #[test]
    fn programs_are_found_on_the_servers_path() {
        assert_eq!(
            find_program("sh", "/nonexistent:/bin:/usr/bin")
                .unwrap()
                .file_name()
                .unwrap(),
            "sh"
        );
        let error = find_program("no-such-program-hubcap", "/bin")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("not found on the server's PATH `/bin`"),
            "{error}"
        );
        assert_eq!(find_program("./x", "").unwrap(), PathBuf::from("./x"));
    }

    #[tokio::test]
    async fn a_never_started_spawner_polls_as_stopped() {
        let spawner = LocalProcessSpawner::new(LocalProcessConfig::default());
        assert_eq!(spawner.poll().await.unwrap(), Some(ExitStatus::Unknown));
        spawner.stop(false).await.unwrap();
    }
}
