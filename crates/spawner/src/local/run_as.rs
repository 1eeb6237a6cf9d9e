//! Which system account a server runs as (JupyterHub's `set_user_setuid` and `user_env`): the
//! one named like the hub user. The hub is often root, and jupyter_server refuses to run as
//! root, so a missing account is an error that names the fixes; running as the hub's own user
//! happens only when `allow_root` asks for it, with a warning.

use super::LocalProcessConfig;
use crate::SpawnError;
use nix::unistd::{Uid, User, geteuid};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// The account a server runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunAs {
    /// The account's name, for messages.
    pub name: String,
    /// Its uid and gid, when the process must switch to them (the hub is root and the account is
    /// another one); `None` when the hub already is that account.
    pub switch_to: Option<(u32, u32)>,
    /// Its home directory (`HOME`, and the server's working directory).
    pub home: PathBuf,
    /// Its login shell (`SHELL`).
    pub shell: String,
    /// Whether the server runs as root and must be told `--allow-root`.
    pub allow_root_flag: bool,
}

static WARNED_ALLOW_ROOT: AtomicBool = AtomicBool::new(false);

/// Finds (or, with `create_system_users`, creates) the account for hub user `user`.
pub(crate) async fn resolve(user: &str, config: &LocalProcessConfig) -> Result<RunAs, SpawnError> {
    let hub_uid = geteuid();
    if let Some(account) = lookup(user)? {
        return for_account(user, &account, hub_uid);
    }
    if config.create_system_users {
        create_system_user(user).await?;
        let account = lookup(user)?.ok_or_else(|| SpawnError::SystemUser {
            user: user.to_owned(),
            detail: "`useradd` succeeded but the account cannot be found afterwards".to_owned(),
        })?;
        return for_account(user, &account, hub_uid);
    }
    if !config.allow_root {
        let root_note = if hub_uid.is_root() {
            " (the server then gets `--allow-root`, because the hub is root)"
        } else {
            ""
        };
        return Err(SpawnError::NoSystemUser {
            user: user.to_owned(),
            root_note,
        });
    }
    let own = User::from_uid(hub_uid).ok().flatten();
    if !WARNED_ALLOW_ROOT.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            hub_uid = hub_uid.as_raw(),
            "allow_root = true: servers of hub users without a system account run as the hub's own user{}; every such user can read and change the others' files",
            if hub_uid.is_root() {
                " (root, with --allow-root)"
            } else {
                ""
            }
        );
    }
    Ok(RunAs {
        name: own
            .as_ref()
            .map_or_else(|| format!("uid {hub_uid}"), |own| own.name.clone()),
        switch_to: None,
        home: own
            .as_ref()
            .map_or_else(|| PathBuf::from("/"), |own| own.dir.clone()),
        shell: own
            .map(|own| own.shell.to_string_lossy().into_owned())
            .unwrap_or_default(),
        allow_root_flag: hub_uid.is_root(),
    })
}

fn lookup(user: &str) -> Result<Option<User>, SpawnError> {
    User::from_name(user).map_err(|error| SpawnError::SystemUser {
        user: user.to_owned(),
        detail: format!("cannot look it up: {error}"),
    })
}

fn for_account(user: &str, account: &User, hub_uid: Uid) -> Result<RunAs, SpawnError> {
    let switch_to = if account.uid == hub_uid {
        None
    } else if hub_uid.is_root() {
        Some((account.uid.as_raw(), account.gid.as_raw()))
    } else {
        return Err(SpawnError::CannotSwitchUser {
            user: user.to_owned(),
            uid: account.uid.as_raw(),
            hub_uid: hub_uid.as_raw(),
        });
    };
    Ok(RunAs {
        name: account.name.clone(),
        switch_to,
        home: account.dir.clone(),
        shell: account.shell.to_string_lossy().into_owned(),
        allow_root_flag: false,
    })
}

/// `useradd -m NAME`, as JupyterHub's `LocalAuthenticator.add_system_user` (with
/// `create_system_users`).
async fn create_system_user(user: &str) -> Result<(), SpawnError> {
    tracing::info!(user, "creating system user with `useradd -m`");
    let output = tokio::process::Command::new("useradd")
        .arg("-m")
        .arg("--")
        .arg(user)
        .output()
        .await
        .map_err(|error| SpawnError::SystemUser {
            user: user.to_owned(),
            detail: format!("cannot run `useradd -m {user}`: {error}"),
        })?;
    if output.status.success() {
        return Ok(());
    }
    Err(SpawnError::SystemUser {
        user: user.to_owned(),
        detail: format!(
            "`useradd -m {user}` failed with {}: {}",
            crate::ExitStatus::from(output.status),
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    })
}

/// `LocalProcessSpawner.user_env`: `USER` is the hub user's name; `HOME` and `SHELL` come from
/// the account, when not empty.
pub(crate) fn user_env(env: &mut BTreeMap<String, String>, hub_user: &str, run_as: &RunAs) {
    env.insert("USER".to_owned(), hub_user.to_owned());
    let home = run_as.home.to_string_lossy();
    if !home.is_empty() {
        env.insert("HOME".to_owned(), home.into_owned());
    }
    if !run_as.shell.is_empty() {
        env.insert("SHELL".to_owned(), run_as.shell.clone());
    }
}

/// The working directory: the home directory, or its nearest existing parent, as JupyterHub's
/// `_try_setcwd`; the temporary directory when none exists.
pub(crate) fn working_dir(home: &std::path::Path) -> PathBuf {
    home.ancestors()
        .find(|dir| dir.is_dir())
        .map_or_else(std::env::temp_dir, std::path::Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn account(home: &str, shell: &str) -> RunAs {
        RunAs {
            name: "alice".to_owned(),
            switch_to: None,
            home: PathBuf::from(home),
            shell: shell.to_owned(),
            allow_root_flag: false,
        }
    }

    #[test]
    fn user_env_sets_user_home_shell_when_known() {
        let mut env = BTreeMap::new();
        user_env(&mut env, "alice", &account("/home/alice", "/bin/bash"));
        assert_eq!(env.get("USER").unwrap(), "alice");
        assert_eq!(env.get("HOME").unwrap(), "/home/alice");
        assert_eq!(env.get("SHELL").unwrap(), "/bin/bash");
        let mut env = BTreeMap::new();
        user_env(&mut env, "alice", &account("", ""));
        assert_eq!(env.keys().collect::<Vec<_>>(), ["USER"]);
    }

    #[test]
    fn working_dir_falls_back_to_an_existing_parent() {
        assert_eq!(
            working_dir(std::path::Path::new("/tmp/does-not-exist-hubcap/x")),
            PathBuf::from("/tmp")
        );
    }

    #[tokio::test]
    async fn a_missing_account_names_both_fixes() {
        let config = LocalProcessConfig::default();
        let error = resolve("hubcap-no-such-user-zz", &config)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("no system user `hubcap-no-such-user-zz`"),
            "{error}"
        );
        assert!(
            error.contains("useradd -m hubcap-no-such-user-zz"),
            "{error}"
        );
        assert!(error.contains("allow_root = true"), "{error}");
    }

    #[tokio::test]
    async fn allow_root_runs_as_the_hub_itself() {
        let config = LocalProcessConfig {
            allow_root: true,
            ..LocalProcessConfig::default()
        };
        let run_as = resolve("hubcap-no-such-user-zz", &config).await.unwrap();
        assert_eq!(run_as.switch_to, None);
        assert_eq!(run_as.allow_root_flag, geteuid().is_root());
    }
}
