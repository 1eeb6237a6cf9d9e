//! `hubctl`: hubcap's admin CLI. This file only parses arguments and reports errors; each
//! command lives in its own module and runs on validated values.

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scopes(args) => scopes_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(2)
        }
    }
}
