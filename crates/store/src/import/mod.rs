//! Importing a JupyterHub 6.x database (SQLite or PostgreSQL) into a hubcap [`Store`].
//!
//! ```no_run
//! use store::Store;
//! use store::import::JupyterHubSource;
//!
//! // Opens JupyterHub's database read-only and checks its schema revision first.
//! let source = JupyterHubSource::open("sqlite:///jupyterhub.sqlite")?;
//! let store = Store::open("sqlite:///hubcap.sqlite")?;
//! let summary = source.import_into(&store)?;
//! println!("{summary}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What it does, in order:
//!
//! 1. **Revision check** ([`JupyterHubSource::open`]): the source is opened read-only
//!    (SQLite: a `mode=ro` URI and `query_only`, the file is never created; PostgreSQL:
//!    read-only transactions) and its `alembic_version` must be a revision in
//!    [`SUPPORTED_REVISIONS`]: JupyterHub 6's head, [`JUPYTERHUB_6_HEAD`] (see `revision.rs`
//!    for why older revisions are refused). Anything else is an error naming the revision
//!    found and the supported ones, before the target is touched.
//! 2. **Snapshot**: every table is read in one read-only transaction with plain SQL.
//! 3. **Write** ([`JupyterHubSource::import_into`]): one [`Store::write`] transaction copies
//!    users, groups, memberships, roles and their assignments (`managed_by_auth` kept),
//!    OAuth clients (hashed secrets), server addresses, services, servers (spawners), API
//!    tokens (hashes and prefixes unchanged, so every token keeps verifying), OAuth codes,
//!    shares and share codes, **keeping JupyterHub's ids**. Any error rolls everything back:
//!    either the whole database is imported or nothing is.
//!
//! The target must be empty (ids are kept). Rows that JupyterHub itself can never use are
//! left out and reported in [`ImportSummary::skipped`]: tokens without an OAuth client
//! (JupyterHub deletes them when they are presented) or without an owner, OAuth codes
//! without a client or user, servers without a user or name, and shares or codes of
//! servers left out. Missing values that hubcap's schema requires get JupyterHub's defaults
//! (`admin` false, `note` "", scopes `[]`, properties `{}`, `from_config` true); a user's or
//! token's missing `created` becomes the time of the import.
//!
//! Nothing secret is logged or printed: the summary holds counts and row ids only.

mod error;
mod revision;
mod source;
mod write;

use std::fmt;

pub use error::ImportError;
pub use revision::{JUPYTERHUB_6_HEAD, SUPPORTED_REVISIONS};
pub use source::SourceUrl;

use crate::Store;
use crate::conn::AnyConnection;

/// How many rows of each kind were imported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Users.
    pub users: u64,
    /// Groups.
    pub groups: u64,
    /// Group memberships.
    pub memberships: u64,
    /// Roles.
    pub roles: u64,
    /// Role assignments to users, groups and services.
    pub role_assignments: u64,
    /// Services.
    pub services: u64,
    /// Users' servers (JupyterHub's `spawners`).
    pub servers: u64,
    /// Addresses of running servers and services (JupyterHub's `servers`).
    pub addresses: u64,
    /// API tokens.
    pub tokens: u64,
    /// OAuth clients.
    pub oauth_clients: u64,
    /// OAuth authorization codes.
    pub oauth_codes: u64,
    /// Shares.
    pub shares: u64,
    /// Share codes.
    pub share_codes: u64,
}

/// A row of JupyterHub's database left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// JupyterHub's table.
    pub table: &'static str,
    /// The row's id there.
    pub id: i64,
    /// Why JupyterHub itself could not use it.
    pub reason: &'static str,
}

impl Skipped {
    pub(crate) fn new(table: &'static str, id: i64, reason: &'static str) -> Skipped {
        Skipped { table, id, reason }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// The schema revision of the JupyterHub database.
    pub revision: String,
    /// What was imported.
    pub counts: ImportCounts,
    /// What was left out.
    pub skipped: Vec<Skipped>,
}

impl fmt::Display for ImportSummary {
    /// One line per kind of row, then one per row left out. Counts and ids only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        writeln!(
            f,
            "imported a JupyterHub database (schema revision {}):",
            self.revision
        )?;
        for (n, what) in [
            (c.users, "users"),
            (c.groups, "groups"),
            (c.memberships, "group memberships"),
            (c.roles, "roles"),
            (c.role_assignments, "role assignments"),
            (c.services, "services"),
            (c.servers, "servers"),
            (c.addresses, "server addresses"),
            (c.tokens, "API tokens"),
            (c.oauth_clients, "OAuth clients"),
            (c.oauth_codes, "OAuth codes"),
            (c.shares, "shares"),
            (c.share_codes, "share codes"),
        ] {
            writeln!(f, "  {n:>6} {what}")?;
        }
        if !self.skipped.is_empty() {
            writeln!(
                f,
                "left out {} rows JupyterHub cannot use:",
                self.skipped.len()
            )?;
            for s in &self.skipped {
                writeln!(f, "  {} row {}: {}", s.table, s.id, s.reason)?;
            }
        }
        Ok(())
    }
}

/// A JupyterHub database, open read-only, whose schema revision is supported.
pub struct JupyterHubSource {
    url: SourceUrl,
    conn: AnyConnection,
    revision: String,
}

impl fmt::Debug for JupyterHubSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JupyterHubSource")
            .field("url", &self.url)
            .field("revision", &self.revision)
            .finish_non_exhaustive()
    }
}

impl JupyterHubSource {
    /// Opens the JupyterHub database at `db_url` (JupyterHub's `db_url` forms) read-only and
    /// checks its schema revision. Nothing else is read yet.
    ///
    /// # Errors
    ///
    /// [`ImportError::BadUrl`], [`ImportError::NoSuchFile`], [`ImportError::Connect`],
    /// [`ImportError::NotJupyterHub`], or [`ImportError::UnsupportedRevision`] naming the
    /// revision found and the ones supported.
    pub fn open(db_url: &str) -> Result<JupyterHubSource, ImportError> {
        let url = SourceUrl::parse(db_url)?;
        let mut conn = source::connect(&url)?;
        let revision = source::check_revision(&mut conn, &url)?;
        Ok(JupyterHubSource {
            url,
            conn,
            revision,
        })
    }

    /// Where the database is.
    #[must_use]
    pub fn url(&self) -> &SourceUrl {
        &self.url
    }

    /// Its schema revision (one of [`SUPPORTED_REVISIONS`]).
    #[must_use]
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// Copies everything into `store`, which must be empty, in one transaction.
    ///
    /// # Errors
    ///
    /// [`ImportError::TargetNotEmpty`], [`ImportError::Read`], [`ImportError::Row`] for a
    /// row hubcap cannot keep, [`ImportError::Write`] for a row the store refused. Whatever
    /// the error, nothing was written.
    pub fn import_into(mut self, store: &Store) -> Result<ImportSummary, ImportError> {
        let snapshot = source::read_snapshot(&mut self.conn)?;
        let now = crate::tx::to_db(crate::tx::now());
        let (counts, skipped) = store.write_with(|tx| tx.import_snapshot(snapshot, now))?;
        Ok(ImportSummary {
            revision: self.revision,
            counts,
            skipped,
        })
    }
}

/// [`JupyterHubSource::open`] then [`JupyterHubSource::import_into`].
///
/// # Errors
///
/// As those two.
pub fn import_jupyterhub(db_url: &str, store: &Store) -> Result<ImportSummary, ImportError> {
    JupyterHubSource::open(db_url)?.import_into(store)
}
