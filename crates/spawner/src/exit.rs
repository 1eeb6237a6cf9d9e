//! How a server process ended, as `Spawner.poll()` reports it.

use std::fmt;

/// A stopped server's exit status. `poll()` returns `None` while the server runs, as JupyterHub's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// It exited with this code.
    Code(i32),
    /// A signal ended it.
    Signal(i32),
    /// It is gone, but the hub did not start it (it was found by pid after a hub restart), so
    /// its status is unknown. JupyterHub reports 0 here.
    Unknown,
}

impl ExitStatus {
    /// The integer JupyterHub's `poll()` would return: the code, minus the signal number (as
    /// `Popen.poll()`), or 0 when unknown.
    pub fn jupyterhub_code(self) -> i32 {
        match self {
            Self::Code(code) => code,
            Self::Signal(signal) => -signal,
            Self::Unknown => 0,
        }
    }
}

impl From<std::process::ExitStatus> for ExitStatus {
    fn from(status: std::process::ExitStatus) -> Self {
        use std::os::unix::process::ExitStatusExt as _;
        match (status.code(), status.signal()) {
            (Some(code), _) => Self::Code(code),
            (None, Some(signal)) => Self::Signal(signal),
            (None, None) => Self::Unknown,
        }
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Code(code) => write!(f, "exit code {code}"),
            Self::Signal(signal) => match nix::sys::signal::Signal::try_from(*signal) {
                Ok(name) => write!(f, "signal {signal} ({name})"),
                Err(_) => write!(f, "signal {signal}"),
            },
            Self::Unknown => {
                f.write_str("an unknown status (it was not started by this hub process)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_as_jupyterhub_and_words_for_people() {
        assert_eq!(ExitStatus::Code(1).jupyterhub_code(), 1);
        assert_eq!(ExitStatus::Signal(9).jupyterhub_code(), -9);
        assert_eq!(ExitStatus::Unknown.jupyterhub_code(), 0);
        assert_eq!(ExitStatus::Signal(9).to_string(), "signal 9 (SIGKILL)");
        assert_eq!(ExitStatus::Code(2).to_string(), "exit code 2");
    }
}
