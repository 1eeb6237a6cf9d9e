//! `hubctl import-jupyterhub`: copies a JupyterHub 6.x database into a new hubcap database
//! (`store::import`), then prints how many rows of each kind were imported. Counts and row
//! ids only: no token, code or hash is ever printed.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use store::import::JupyterHubSource;
use store::{DbUrl, Store};

/// The hubcap database when `--db` is not given: the hub's own default, in the working
/// directory.
pub const DEFAULT_DB: &str = "sqlite:///hubcap.sqlite";

#[derive(Args)]
pub struct ImportArgs {
    /// JupyterHub's database, as its `db_url`: `sqlite:///jupyterhub.sqlite`,
    /// `sqlite:////abs/path.sqlite` or `postgresql://user@host:port/db`. Read only.
    db_url: String,
    /// The hubcap database to fill (created if missing; it must hold no data yet).
    #[arg(long, value_name = "HUBCAP_DB_URL", default_value = DEFAULT_DB)]
    db: String,
}

/// Whether two URLs name the same database (a SQLite file by its canonical path).
fn same_database(a: &DbUrl, b: &DbUrl) -> bool {
    match (a, b) {
        (DbUrl::Sqlite(a), DbUrl::Sqlite(b)) => {
            let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
            canonical(a) == canonical(b)
        }
        (DbUrl::Postgres(a), DbUrl::Postgres(b)) => a == b,
        _ => false,
    }
}

pub fn run(args: &ImportArgs) -> Result<ExitCode> {
    // The source first: a wrong URL or schema revision fails before the target is created.
    let source =
        JupyterHubSource::open(&args.db_url).context("cannot read the JupyterHub database")?;
    let target = DbUrl::parse(&args.db).context("cannot use the hubcap database (--db)")?;
    if same_database(source.url().db_url(), &target) {
        bail!(
            "the hubcap database (--db `{}`) is the JupyterHub database\nhelp: give --db a new database, e.g. `--db {DEFAULT_DB}`",
            target.redacted()
        );
    }
    let store = Store::open(&args.db)
        .with_context(|| format!("cannot open the hubcap database `{}`", target.redacted()))?;
    let summary = source.import_into(&store).with_context(|| {
        format!(
            "cannot import into the hubcap database `{}`",
            target.redacted()
        )
    })?;
    print!("{summary}");
    println!("into {}", target.redacted());
    Ok(ExitCode::SUCCESS)
}
