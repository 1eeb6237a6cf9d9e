//! The OS side of a server process: is a pid alive, signalling its process group, finding a
//! free port. Safe wrappers only (nix), no `unsafe`.

use crate::SpawnError;
use nix::errno::Errno;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::{Pid, getpgid};

/// Whether `pid` names a live process. A zombie (exited, not yet reaped) counts as gone;
/// a process we may not signal (EPERM) counts as alive.
pub(crate) fn is_alive(pid: i32) -> bool {
    match kill(Pid::from_raw(pid), None) {
        Ok(()) => !is_zombie(pid),
        Err(Errno::ESRCH) => false,
        Err(_) => true,
    }
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with(['Z', 'X']))
        })
        .unwrap_or(false)
}

/// Whether `pid` ignores `signal` (Linux: the `SigIgn` mask in `/proc/PID/status`). A server
/// inherits ignored signals from the hub (a hub started in the background by a script ignores
/// SIGINT), and waiting `interrupt_timeout` for a signal that cannot arrive helps no one.
pub(crate) fn ignores(pid: i32, signal: Signal) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1u64 << (signal as i32 - 1)) != 0)
}

/// Sends `signal` to the process group that `pid` leads (the server and everything it started
/// in its group), or to `pid` alone when it leads no group. `Ok(false)` when nothing was there.
pub(crate) fn signal_group(pid: i32, signal: Signal) -> Result<bool, SpawnError> {
    let target = Pid::from_raw(pid);
    let leads_group = getpgid(Some(target))
        .map(|group| group == target)
        .unwrap_or(true);
    let sent = if leads_group {
        killpg(target, signal)
    } else {
        kill(target, signal)
    };
    match sent {
        Ok(()) => Ok(true),
        Err(Errno::ESRCH) => Ok(false),
        Err(source) => Err(SpawnError::Signal {
            pid,
            signal: signal.as_str(),
            source,
        }),
    }
}

/// Whether any live (not zombie) process is left in process group `pgid`. Reads `/proc`, so that
/// killed processes that wait to be reaped by an init which may never do it do not count.
pub fn process_group_alive(pgid: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return !matches!(killpg(Pid::from_raw(pgid), None), Err(Errno::ESRCH));
    };
    entries.filter_map(Result::ok).any(|entry| {
        let Some(stat) = std::fs::read_to_string(entry.path().join("stat")).ok() else {
            return false;
        };
        // after the command name in parentheses: state, ppid, pgrp
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().unwrap_or("Z");
        let group = fields.nth(1).and_then(|group| group.parse::<i32>().ok());
        group == Some(pgid) && !state.starts_with(['Z', 'X'])
    })
}

/// `jupyterhub.utils.random_port`: a port that was free a moment ago on all interfaces.
pub(crate) fn random_port(ip: &str) -> Result<u16, SpawnError> {
    let any = if ip.contains(':') { "::" } else { "0.0.0.0" };
    let listener = std::net::TcpListener::bind((any, 0)).map_err(SpawnError::NoFreePort)?;
    Ok(listener
        .local_addr()
        .map_err(SpawnError::NoFreePort)?
        .port())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn own_process_is_alive_and_an_unused_pid_is_not() {
        assert!(is_alive(i32::try_from(std::process::id()).unwrap()));
        assert!(!is_alive(i32::MAX - 7));
        assert!(!signal_group(i32::MAX - 7, Signal::SIGTERM).unwrap());
    }

    #[test]
    fn ignored_signals_are_read_from_proc() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "trap '' INT; sleep 5"])
            .spawn()
            .unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !ignores(pid, Signal::SIGINT) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(ignores(pid, Signal::SIGINT));
        assert!(!ignores(pid, Signal::SIGTERM));
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn our_own_group_is_alive_and_an_unused_one_is_not() {
        let own = nix::unistd::getpgrp().as_raw();
        assert!(process_group_alive(own));
        assert!(!process_group_alive(i32::MAX - 7));
    }

    #[test]
    fn random_ports_are_bindable() {
        let port = random_port("127.0.0.1").unwrap();
        assert_ne!(port, 0);
        std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    }
}
