//! Small helpers of the integration tests that start real processes.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Whether a process whose command line contains `needle` runs.
pub fn process_running(needle: &str) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        std::fs::read(entry.path().join("cmdline"))
            .map(|raw| {
                String::from_utf8_lossy(&raw)
                    .replace('\0', " ")
                    .contains(needle)
            })
            .unwrap_or(false)
    })
}

/// Waits until `done`, at most 15 s (then fails, naming `what`).
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A program the test scripts install into the clone (`relative` to its root), or a failed
/// test naming the script that installs it.
fn installed(relative: &str, script: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative);
    assert!(path.exists(), "{} not found: run {script}", path.display());
    path
}

/// The configurable-http-proxy executable `scripts/setup-chp` installs (or `$HUBCAP_CHP`).
pub fn chp_binary() -> PathBuf {
    match std::env::var_os("HUBCAP_CHP") {
        Some(path) => PathBuf::from(path),
        None => installed(
            ".chp/node_modules/.bin/configurable-http-proxy",
            "scripts/setup-chp (or set HUBCAP_CHP)",
        ),
    }
}

/// `.venv`'s `jupyterhub-singleuser` (`scripts/setup-oracle`).
pub fn singleuser() -> PathBuf {
    installed(".venv/bin/jupyterhub-singleuser", "scripts/setup-oracle")
}

/// `.venv`'s Python (`scripts/setup-oracle`).
pub fn venv_python() -> PathBuf {
    installed(".venv/bin/python", "scripts/setup-oracle")
}

/// A loopback port for a child server (not from the ephemeral range: see `test_ports`).
pub use test_ports::free_port;
