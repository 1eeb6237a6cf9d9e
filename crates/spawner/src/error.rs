//! The crate's one error type. Each message says which input was wrong, what is wrong and what
//! would fix it, in lower case, with user input in backticks.

use crate::ExitStatus;
use std::time::Duration;

/// Everything that can go wrong while starting, watching or stopping a single-user server.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// `notebook_dir` or `default_url` names a placeholder JupyterHub's `format_string` lacks.
    #[error(
        "`{field}` = `{template}` uses `{{{placeholder}}}`, which is not a known placeholder: \
         help: the known ones are `{{username}}` and `{{base_url}}`; write `{{{{` and `}}}}` for literal braces"
    )]
    Template {
        /// Which setting, e.g. `notebook_dir`.
        field: &'static str,
        /// The setting's value.
        template: String,
        /// The unknown name between the braces.
        placeholder: String,
    },
    /// `cmd` is empty, so there is nothing to run.
    #[error(
        "the spawner's `cmd` is empty: help: set it to the single-user command, e.g. `[\"jupyterhub-singleuser\"]`"
    )]
    EmptyCommand,
    /// The command was not found on the server's `PATH` (or at the given path).
    #[error(
        "cannot start `{command}`: not found on the server's PATH `{path}`: help: install it \
         (`pip install jupyterhub jupyter_server`) or set the spawner's `cmd` to its absolute path"
    )]
    CommandNotFound {
        /// The program that was looked up.
        command: String,
        /// The `PATH` given to the server (from `env_keep` or `environment`).
        path: String,
    },
    /// The operating system refused to start the command.
    #[error("cannot start `{command}` as `{run_as}`: {source}")]
    Launch {
        /// The program.
        command: String,
        /// The system user it was to run as.
        run_as: String,
        /// Why the OS refused.
        source: std::io::Error,
    },
    /// The server's account may not run the command (like JupyterHub's "Does USER have access
    /// to this file?").
    #[error(
        "cannot start `{command}` as system user `{run_as}`: permission denied: help: `{run_as}` \
         must be able to read and execute the command, its interpreter (e.g. a venv's python and \
         what it links to) and every directory above them"
    )]
    NotPermitted {
        /// The program.
        command: String,
        /// The system user it was to run as.
        run_as: String,
    },
    /// There is no system account for the hub user, and the hub would otherwise run the server
    /// as itself.
    #[error(
        "cannot start a server for `{user}`: there is no system user `{user}` to run it as, and \
         servers are never run as the hub's own user unless asked to: help: create the system \
         user (`useradd -m {user}`), or set `create_system_users = true` to let the hub do it, or \
         set `allow_root = true` to run servers as the hub's own user{root_note}"
    )]
    NoSystemUser {
        /// The hub user's name.
        user: String,
        /// Extra words when the hub runs as root (then `--allow-root` is passed).
        root_note: &'static str,
    },
    /// The hub is not root, so it cannot switch to another system user.
    #[error(
        "cannot start a server for `{user}` as system user `{user}` (uid {uid}): the hub runs as \
         uid {hub_uid} and only root may switch users: help: run the hub as root, or as `{user}`"
    )]
    CannotSwitchUser {
        /// The hub user's (and system user's) name.
        user: String,
        /// The system user's uid.
        uid: u32,
        /// The hub's effective uid.
        hub_uid: u32,
    },
    /// Looking up or creating the system user failed.
    #[error("cannot prepare system user `{user}`: {detail}")]
    SystemUser {
        /// The name.
        user: String,
        /// What failed, with the command's own output if any.
        detail: String,
    },
    /// No free TCP port could be found.
    #[error(
        "cannot find a free port for the server: {0}: help: check that the hub may bind sockets on this host"
    )]
    NoFreePort(#[source] std::io::Error),
    /// The server process exited before it answered HTTP.
    #[error("the server exited with {status} before it answered on `{url}`{}", stderr_section(.stderr_tail))]
    ProcessExited {
        /// How it exited.
        status: ExitStatus,
        /// Where the hub waited for it.
        url: String,
        /// The last lines it wrote to stderr.
        stderr_tail: String,
    },
    /// The server did not answer HTTP within `http_timeout`.
    #[error(
        "the server did not answer on `{url}` within {timeout:?} (last attempt: {last_attempt}): \
         help: raise `http_timeout` if the server is just slow to start{}", stderr_section(.stderr_tail)
    )]
    HttpTimeout {
        /// Where the hub waited.
        url: String,
        /// `http_timeout`.
        timeout: Duration,
        /// What the last probe saw.
        last_attempt: String,
        /// The last lines the server wrote to stderr.
        stderr_tail: String,
    },
    /// `start()` did not return within `start_timeout`.
    #[error("the spawner did not start the server within {0:?}: help: raise `start_timeout`")]
    StartTimeout(Duration),
    /// `start()` was called while a server is running.
    #[error("a server is already running with pid {pid}: help: stop it before starting another")]
    AlreadyRunning {
        /// The running server's pid.
        pid: i32,
    },
    /// Signalling the process failed (other than it being gone).
    #[error("cannot send {signal} to the server's pid {pid}: {source}")]
    Signal {
        /// The pid (or process group id).
        pid: i32,
        /// The signal's name.
        signal: &'static str,
        /// The OS error.
        source: nix::Error,
    },
    /// Saved state could not be loaded.
    #[error(
        "cannot load saved spawner state `{state}`: {reason}: help: it should look like `{{\"pid\": 1234}}`"
    )]
    InvalidState {
        /// The state as saved.
        state: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `internal_ssl` is set, which this spawner's readiness check does not speak yet.
    #[error("`internal_ssl` is not supported by the local-process spawner yet: help: turn it off")]
    InternalSslUnsupported,
}

fn stderr_section(tail: &str) -> String {
    if tail.is_empty() {
        String::from(" (it wrote nothing to stderr)")
    } else {
        format!("; the end of its stderr:\n{tail}")
    }
}
