//! `hubctl`: hubcap's admin CLI. This file only parses arguments and reports errors; each
//! command lives in its own module and runs on validated values.

mod import_cmd;
mod scopes_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// hubcap's admin CLI.
#[derive(Parser)]
#[command(name = "hubctl", version, about = "hubcap's admin CLI")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Expand, check and describe JupyterHub scopes, exactly as JupyterHub 6.1.1 does.
    #[command(subcommand)]
    Scopes(scopes_cmd::ScopesArgs),
    /// Copy a JupyterHub 6.x database (read only) into a new hubcap database, keeping every
    /// token working; prints what was imported. Exit code 0 on success, 1 on any error, and
    /// then nothing was imported.
    ImportJupyterhub(import_cmd::ImportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `scopes` exits 1 for a denied check, so its errors exit 2; `import-jupyterhub` has
    // one way to fail.
    let (result, error_code) = match cli.command {
        Command::Scopes(args) => (scopes_cmd::run(args), 2),
        Command::ImportJupyterhub(args) => (import_cmd::run(&args), 1),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(error_code)
        }
    }
}
