//! `hubctl` as a user runs it: the real binary, its output and exit codes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod import;
mod scopes;

use std::process::{Command, Output};

/// Runs `hubctl ARGS` and returns (exit code, stdout, stderr).
pub fn hubctl(args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_hubctl"))
        .args(args)
        .output()
        .expect("run hubctl");
    (
        status.code().unwrap_or(-1),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}
