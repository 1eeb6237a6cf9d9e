//! [`ImportError`]: why a JupyterHub database could not be imported, with what to do about it.

use crate::error::StoreError;

/// Why a JupyterHub database could not be imported. Whatever the error, nothing was written
/// to the hubcap database: the import runs in one transaction.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The JupyterHub database URL could not be understood.
    #[error(
        "JupyterHub database url `{url}` is not understood: {reason}\nhelp: use JupyterHub's `db_url`: `sqlite:///jupyterhub.sqlite`, `sqlite:////absolute/path.sqlite` or `postgresql://user@host:port/db`"
    )]
    BadUrl {
        /// The URL, password removed.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A SQLite file that does not exist (it is never created: the source is read only).
    #[error(
        "there is no JupyterHub database at `{path}`\nhelp: give the path JupyterHub's `db_url` names, relative to the directory you run this in"
    )]
    NoSuchFile {
        /// The path looked at.
        path: String,
    },
    /// The JupyterHub database could not be opened or reached.
    #[error("cannot open the JupyterHub database at `{url}` read-only: {reason}")]
    Connect {
        /// The URL, password removed.
        url: String,
        /// The driver's reason.
        reason: String,
    },
    /// The database has no `alembic_version` table: it is not a JupyterHub database (or one
    /// from before JupyterHub 0.8, which did not record its schema version).
    #[error(
        "`{url}` is not a JupyterHub database: it has no `alembic_version` table\nhelp: point at the database JupyterHub's `db_url` names; a database older than JupyterHub 0.8 must first be upgraded with `jupyterhub upgrade-db`"
    )]
    NotJupyterHub {
        /// The URL, password removed.
        url: String,
    },
    /// The schema revision is not one this importer reads.
    #[error(
        "the JupyterHub database has schema revision `{found}` ({what}); this importer reads only {supported}\nhelp: {help}"
    )]
    UnsupportedRevision {
        /// The revision found in `alembic_version` (`""` when the table is empty, several
        /// joined with `,` when it holds more than one row).
        found: String,
        /// What that revision is: "JupyterHub 5.x", "unknown: newer than JupyterHub 6.1.1?"...
        what: &'static str,
        /// The revisions accepted, for the message.
        supported: String,
        /// What to do.
        help: &'static str,
    },
    /// A query on the JupyterHub database failed.
    #[error("cannot read `{table}` from the JupyterHub database: {reason}")]
    Read {
        /// The table being read.
        table: &'static str,
        /// The driver's reason.
        reason: String,
    },
    /// A row of the JupyterHub database holds something hubcap cannot keep.
    #[error(
        "JupyterHub's `{table}` row {row} cannot be imported: {reason}\nhelp: fix or delete that row in JupyterHub (after a backup), then import again; nothing was imported"
    )]
    Row {
        /// The table.
        table: &'static str,
        /// The row's id in JupyterHub's database, or a map table's key
        /// (`(user_id 2, group_id 3)`).
        row: String,
        /// What is wrong.
        reason: String,
    },
    /// The hubcap database already holds data; the import keeps JupyterHub's ids, so it
    /// fills only an empty database.
    #[error(
        "the hubcap database is not empty ({found}); the import keeps JupyterHub's ids and fills only a new database\nhelp: import into a new database file or an empty PostgreSQL database"
    )]
    TargetNotEmpty {
        /// What was found, e.g. `3 users, 1 oauth client`.
        found: String,
    },
    /// Writing a row to the hubcap database failed.
    #[error("cannot write JupyterHub's `{table}` row {row} to the hubcap database: {source}")]
    Write {
        /// The table.
        table: &'static str,
        /// The row's id in JupyterHub's database, or a map table's key
        /// (`(user_id 2, group_id 3)`).
        row: String,
        /// The store's error.
        #[source]
        source: StoreError,
    },
    /// The hubcap database failed outside of any one row (the transaction, the pool).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for ImportError {
    fn from(err: diesel::result::Error) -> ImportError {
        ImportError::Store(err.into())
    }
}
