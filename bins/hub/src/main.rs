//! `hub`: runs hubcap's hub. Thin: parses flags, reads the configuration, calls `hub::start`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use hub::HubConfig;

/// hubcap's hub: JupyterHub 6.1.1's REST API, on SQLite by default.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The configuration file (TOML; sections and keys mirror JupyterHub's). Without it, the
    /// embedded defaults: SQLite in the working directory, listening on 127.0.0.1:8081.
    #[arg(long, short = 'f')]
    config: Option<PathBuf>,
    /// Check the configuration and exit without starting.
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let config = match &args.config {
        Some(path) => HubConfig::from_file(path),
        None => Ok(HubConfig::defaults()),
    };
    let mut config = match config {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(2);
        }
    };
    config.read_environment();
    if let Some(value) = &config.crypt_key {
        if let Err(error) = hub::crypt::CryptKeeper::from_env_value(value) {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    }
    if args.check {
        println!(
            "{}: configuration OK ({} roles, {} services, listening at {})",
            config.source,
            config.load_roles.len(),
            config.services.len(),
            config.hub_bind_url
        );
        return ExitCode::SUCCESS;
    }
    match run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hub: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: HubConfig) -> anyhow::Result<()> {
    let runtime = hub::runtime()?;
    runtime.block_on(async {
        let hub = hub::start(config).await?;
        println!("hub listening on http://{}", hub.addr);
        let stopper = hub.stop_handle();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("hub: interrupted; stopping");
                stopper.stop();
            }
        });
        hub.wait().await?;
        Ok(())
    })
}
