//! The programs the test scripts install into the clone: configurable-http-proxy
//! (`scripts/setup-chp`, or `$HUBCAP_CHP`) and the oracle venv's Python and
//! `jupyterhub-singleuser` (`scripts/setup-oracle`).

use std::path::PathBuf;

/// The configurable-http-proxy executable: `$HUBCAP_CHP`, or the one `scripts/setup-chp`
/// installs in the repository.
///
/// # Panics
/// When it is missing (the test cannot run), naming the script that installs it.
pub fn chp_binary() -> PathBuf {
    match std::env::var_os("HUBCAP_CHP") {
        Some(path) => PathBuf::from(path),
        None => installed(
            ".chp/node_modules/.bin/configurable-http-proxy",
            "scripts/setup-chp (or set HUBCAP_CHP)",
        ),
    }
}

/// `.venv`'s `jupyterhub-singleuser`.
///
/// # Panics
/// When it is missing, naming `scripts/setup-oracle`.
pub fn singleuser() -> PathBuf {
    installed(".venv/bin/jupyterhub-singleuser", "scripts/setup-oracle")
}

/// `.venv`'s Python.
///
/// # Panics
/// When it is missing, naming `scripts/setup-oracle`.
pub fn venv_python() -> PathBuf {
    installed(".venv/bin/python", "scripts/setup-oracle")
}

/// A program at `relative` to the repository's root, or a failed test naming the script
/// that installs it.
fn installed(relative: &str, script: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative);
    assert!(path.exists(), "{} not found: run {script}", path.display());
    path
}
