//! Opening a database: URLs, connections (SQLite pragmas, PostgreSQL), the pool, migrations,
//! and [`Store::read`] / [`Store::write`], the only ways to reach a connection.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::StoreError;
use crate::tx::Tx;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection to either backend. Queries are written once against this type; diesel's
/// `MultiConnection` derive dispatches them to the backend underneath.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// PostgreSQL.
    Postgres(PgConnection),
    /// SQLite (bundled).
    Sqlite(SqliteConnection),
}

/// Runs `$body` on the backend's own connection, bound to `$c`: the body is written once
/// and compiled for each backend.
///
/// The hot reads (`listing.rs`, `find_token`) go this way rather than through
/// `AnyConnection`, whose `MultiConnection` renders every query's SQL text twice per call
/// (to check that it can be cached, then to collect its binds): at 100,000 users that was
/// most of a token lookup's time. On its own connection, diesel finds a prepared statement
/// by the query's type without rendering it, and on PostgreSQL `eq_any` becomes
/// `= ANY($1)`, one prepared statement whatever the list's length (through `AnyConnection`
/// it is `IN ($1, ..., $n)`, prepared anew each time).
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::conn::AnyConnection::Sqlite($c) => $body,
            $crate::conn::AnyConnection::Postgres($c) => $body,
        }
    };
}

pub(crate) use on_backend;

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite, embedded: a file, no server.
    Sqlite,
    /// PostgreSQL, through a pool of connections.
    Postgres,
}

/// A parsed database URL: JupyterHub's `db_url` forms.
#[derive(Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// A SQLite file (`sqlite:///relative.sqlite`, `sqlite:////abs/path.sqlite`, or a path).
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgresql://...` or `postgres://...`), passed to libpq as is.
    Postgres(String),
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl DbUrl {
    /// Parses a database URL the way JupyterHub's `db_url` is written.
    ///
    /// # Errors
    ///
    /// [`StoreError::BadUrl`] for an unknown scheme (`mysql://...`), an in-memory SQLite
    /// database (each pooled connection would see its own), or an empty path.
    pub fn parse(url: &str) -> Result<DbUrl, StoreError> {
        let bad = |reason| StoreError::BadUrl {
            url: redact(url),
            reason,
        };
        if url.starts_with("postgresql://") || url.starts_with("postgres://") {
            return Ok(DbUrl::Postgres(url.to_owned()));
        }
        let path = if let Some(rest) = url.strip_prefix("sqlite://") {
            // `sqlite:///x` is the relative path `x`, `sqlite:////x` the absolute `/x`.
            rest.strip_prefix('/').ok_or_else(|| bad("a sqlite URL has three slashes before a relative path, four before an absolute one"))?
        } else if url.contains("://") {
            return Err(bad("only sqlite and postgresql databases are supported"));
        } else {
            url
        };
        if path.is_empty() || path == ":memory:" || path.starts_with("file::memory:") {
            return Err(bad(
                "an in-memory SQLite database cannot be shared by the pool; give a file path",
            ));
        }
        Ok(DbUrl::Sqlite(PathBuf::from(path)))
    }

    /// The backend this URL selects.
    #[must_use]
    pub fn backend(&self) -> Backend {
        match self {
            DbUrl::Sqlite(_) => Backend::Sqlite,
            DbUrl::Postgres(_) => Backend::Postgres,
        }
    }

    /// The URL with any password replaced by `***`, for messages.
    #[must_use]
    pub fn redacted(&self) -> String {
        match self {
            DbUrl::Sqlite(path) => format!("sqlite:///{}", path.display()),
            DbUrl::Postgres(url) => redact(url),
        }
    }
}

/// `scheme://user:secret@host` -> `scheme://user:***@host`; anything else unchanged.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// How to open a [`Store`].
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Where the database is.
    pub url: DbUrl,
    /// Connections in the pool (SQLite: readers run side by side in WAL mode, writers queue).
    pub pool_size: u32,
    /// How long a SQLite connection waits for another writer before [`StoreError::Busy`];
    /// also how long [`Store::write_retrying`] keeps retrying.
    pub busy_timeout: Duration,
    /// How long to wait for a free connection from the pool.
    pub connection_timeout: Duration,
    /// The most each SQLite connection keeps of the database in memory, in KiB
    /// (`PRAGMA cache_size`; memory is taken only as pages are read). SQLite's own default,
    /// 2,000 KiB, is less than the `users` table and its indexes at 100,000 users (about
    /// 15 MB): a page of users and its count then read every page from the operating
    /// system again, 4 ms where 1.6 ms will do.
    pub sqlite_cache_kib: u32,
    /// How many times [`Store::write_retrying`] runs a transaction that conflicted or
    /// found the database busy, at most (and never past `busy_timeout` since the first).
    pub write_attempts: u32,
}

impl StoreConfig {
    /// Defaults for `url`: 8 connections, a 5 s busy timeout, 30 s to get a connection,
    /// 32 MiB of SQLite page cache per connection, 8 attempts per retrying write.
    #[must_use]
    pub fn new(url: DbUrl) -> StoreConfig {
        StoreConfig {
            url,
            pool_size: 8,
            busy_timeout: Duration::from_secs(5),
            connection_timeout: Duration::from_secs(30),
            sqlite_cache_kib: 32 * 1024,
            write_attempts: 8,
        }
    }
}

/// Why the pool could not make a connection.
#[derive(Debug, thiserror::Error)]
enum ManagerError {
    #[error("{0}")]
    Connect(#[from] ConnectionError),
    #[error("{0}")]
    Setup(#[from] diesel::result::Error),
}

/// A connection of the pool, and whether it was found dead (the pool then drops it).
struct Pooled {
    conn: AnyConnection,
    dead: bool,
}

/// Makes connections for the pool; applies the SQLite pragmas to each.
#[derive(Debug)]
struct Manager {
    url: DbUrl,
    busy_timeout: Duration,
    sqlite_cache_kib: u32,
}

impl Manager {
    fn open(&self) -> Result<AnyConnection, ManagerError> {
        match &self.url {
            DbUrl::Postgres(url) => Ok(AnyConnection::Postgres(PgConnection::establish(url)?)),
            DbUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // busy_timeout first, so that switching to WAL waits for other connections.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA cache_size = -{};",
                    self.busy_timeout.as_millis(),
                    self.sqlite_cache_kib,
                ))?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = ManagerError;

    fn connect(&self) -> Result<Pooled, ManagerError> {
        Ok(Pooled {
            conn: self.open()?,
            dead: false,
        })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), ManagerError> {
        pooled.conn.ping().map(|_| ()).map_err(ManagerError::Setup)
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        pooled.dead || pooled.conn.is_broken()
    }
}

/// The database: a pool of connections to SQLite or PostgreSQL with the schema brought up
/// to date. Cheap to clone (the pool is shared).
///
/// The API is synchronous. The hub calls it from async code through
/// `tokio::task::spawn_blocking(move || store.read(|tx| tx.user("alice")))`, so that a slow
/// query or a busy SQLite file never blocks the runtime's worker threads.
#[derive(Clone)]
pub struct Store {
    pool: r2d2::Pool<Manager>,
    backend: Backend,
    pool_size: u32,
    busy_timeout: Duration,
    write_attempts: u32,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database at `url` with default settings ([`StoreConfig::new`]).
    ///
    /// # Errors
    ///
    /// See [`Store::open_with`].
    pub fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(StoreConfig::new(DbUrl::parse(url)?))
    }

    /// Opens the database, creating a SQLite file if there is none, and applies the
    /// migrations it lacks, in place: existing rows are kept; the applied versions are
    /// recorded in `__diesel_schema_migrations`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Connect`] when the database cannot be reached,
    /// [`StoreError::Migration`] when the schema cannot be brought up to date.
    pub fn open_with(config: StoreConfig) -> Result<Store, StoreError> {
        let url = config.url.redacted();
        let backend = config.url.backend();
        let manager = Manager {
            url: config.url,
            busy_timeout: config.busy_timeout,
            sqlite_cache_kib: config.sqlite_cache_kib,
        };
        // Connect once outside the pool, for a clear error and to migrate before use.
        let mut first = manager.open().map_err(|err| StoreError::Connect {
            url: url.clone(),
            reason: err.to_string(),
        })?;
        migrate(&mut first)?;
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(config.pool_size.max(1))
            .min_idle(Some(0))
            // No `SELECT 1` before each use: on PostgreSQL that is a round trip per
            // transaction. A connection the server has closed is found by its `BEGIN`
            // failing instead, before anything ran, and replaced (`Store::begin`).
            .test_on_check_out(false)
            .connection_timeout(config.connection_timeout)
            .build(manager)
            .map_err(|err| StoreError::Connect {
                url,
                reason: err.to_string(),
            })?;
        Ok(Store {
            pool_size: config.pool_size.max(1),
            pool,
            backend,
            busy_timeout: config.busy_timeout,
            write_attempts: config.write_attempts.max(1),
        })
    }

    /// The backend in use.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The migration versions applied to this database, oldest first.
    ///
    /// # Errors
    ///
    /// [`StoreError::Migration`] when the version table cannot be read.
    pub fn schema_versions(&self) -> Result<Vec<String>, StoreError> {
        let mut pooled = self.connection()?;
        let mut versions = match &mut pooled.conn {
            AnyConnection::Sqlite(c) => c.applied_migrations(),
            AnyConnection::Postgres(c) => c.applied_migrations(),
        }
        .map_err(|err| StoreError::Migration {
            reason: err.to_string(),
        })?
        .into_iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>();
        versions.sort();
        Ok(versions)
    }

    /// A connection of the pool with a transaction begun on it. A connection that cannot
    /// begin because the server closed it (a restart, an idle timeout) is dropped from the
    /// pool and another one taken, up to as many times as the pool holds connections:
    /// nothing has run on it yet, so this is always safe.
    fn begin(&self, mode: Mode) -> Result<r2d2::PooledConnection<Manager>, StoreError> {
        let mut replaced = 0;
        loop {
            let mut pooled = self.connection()?;
            match begin(&mut pooled.conn, mode) {
                Ok(()) => return Ok(pooled),
                Err(DieselError::DatabaseError(
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                    _,
                )) if replaced < self.pool_size => {
                    pooled.dead = true;
                    replaced += 1;
                }
                Err(err) => return Err(err.into()),
            }
        }
    }

    fn connection(&self) -> Result<r2d2::PooledConnection<Manager>, StoreError> {
        self.pool.get().map_err(|err| StoreError::Pool {
            reason: err.to_string(),
        })
    }

    /// Runs `f` in a read transaction: every query in it sees one consistent snapshot.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns, or [`StoreError::Pool`] when no connection is free in time.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut pooled = self.begin(Mode::Read)?;
        run(&mut pooled.conn, f)
    }

    /// Runs `f` in a write transaction: everything it changes is committed together, or,
    /// if it returns an error, nothing is. On SQLite the write lock is taken at the start
    /// (`BEGIN IMMEDIATE`), so concurrent writers wait up to the busy timeout instead of
    /// failing half-way, and run one after another. On PostgreSQL the transaction is
    /// `READ COMMITTED` (its default, and JupyterHub's): concurrent writers of the same
    /// rows wait for each other, but a value read in `f` may have changed by the time `f`
    /// writes; for a read-modify-write, use [`Store::write_retrying`].
    ///
    /// `f` runs once: nothing is retried once it has started.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns; [`StoreError::Busy`] when another SQLite writer held the lock
    /// for longer than the busy timeout; [`StoreError::Conflict`] when PostgreSQL chose
    /// this transaction to break a deadlock.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.write_with(f)
    }

    /// [`Store::write`] for a closure with its own error type (the importer's, the hub's
    /// start-up): any error rolls everything back.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns, or the store's errors converted.
    pub fn write_with<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut pooled = self.begin(Mode::Write)?;
        run(&mut pooled.conn, f)
    }

    /// Runs `f` in a write transaction that is run again, from the start, when it could
    /// not commit because of concurrent transactions ([`StoreError::is_busy`]: a
    /// PostgreSQL serialization failure or deadlock, a SQLite lock that outlasted the wait),
    /// up to [`StoreConfig::write_attempts`] times and for at most
    /// [`StoreConfig::busy_timeout`], with a growing, jittered pause between attempts.
    /// Every attempt but the last was rolled back, so only the last one's changes count.
    ///
    /// On PostgreSQL it runs `SERIALIZABLE`: its outcome is that of the transactions run
    /// one after another, as on SQLite, where writers take turns. A read-modify-write
    /// (read a row, compute, write it back) never loses a concurrent acknowledged write:
    /// the transaction that would have lost it conflicts and is run again on the new value.
    ///
    /// `f` may run several times, so it must do nothing but its work through the
    /// [`Tx`] (no messages sent, no counters outside the database bumped).
    ///
    /// # Errors
    ///
    /// Whatever `f` returns; [`StoreError::Conflict`] with the number of attempts when
    /// every one of them conflicted; [`StoreError::Busy`] when SQLite's lock outlasted the
    /// busy timeout.
    pub fn write_retrying<T>(
        &self,
        mut f: impl FnMut(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let mut attempt: u32 = 1;
        loop {
            let result = self
                .begin(Mode::SerializableWrite)
                .and_then(|mut pooled| run(&mut pooled.conn, &mut f));
            match result {
                Err(err)
                    if err.is_busy()
                        && attempt < self.write_attempts
                        && started.elapsed() < self.busy_timeout =>
                {
                    std::thread::sleep(backoff(attempt));
                    attempt += 1;
                }
                Err(StoreError::Conflict { reason, .. }) => {
                    return Err(StoreError::Conflict {
                        reason,
                        attempts: attempt,
                    });
                }
                other => return other,
            }
        }
    }
}

/// The pause before attempt `attempt + 1` of a retrying write: 2 ms, doubling, at most
/// 100 ms, times a random factor in [0.5, 1.5) so that transactions that conflicted with
/// each other do not come back in step.
fn backoff(attempt: u32) -> Duration {
    use std::hash::{BuildHasher, RandomState};
    let base = Duration::from_millis(2).saturating_mul(1 << attempt.saturating_sub(1).min(6));
    let base = base.min(Duration::from_millis(100));
    // std's RandomState is seeded from the OS once per thread and differs per call
    let random = RandomState::new().hash_one(attempt);
    let per_mille = 500 + u32::try_from(random % 1000).unwrap_or(0);
    base * per_mille / 1000
}

fn migrate(conn: &mut AnyConnection) -> Result<(), StoreError> {
    let result = match conn {
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        AnyConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|err| StoreError::Migration {
        reason: err.to_string(),
    })
}

type Manager2 = <AnyConnection as Connection>::TransactionManager;

/// How a transaction begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// One snapshot for every query: on PostgreSQL `REPEATABLE READ` (its default,
    /// `READ COMMITTED`, gives each statement its own, so `user_details` could see a share
    /// of a group the user had left in between).
    Read,
    /// [`Store::write`]: SQLite's lock up front, PostgreSQL's default isolation.
    Write,
    /// [`Store::write_retrying`]: SQLite's lock up front, PostgreSQL `SERIALIZABLE`.
    SerializableWrite,
}

fn begin(conn: &mut AnyConnection, mode: Mode) -> Result<(), DieselError> {
    match (&mut *conn, mode) {
        (AnyConnection::Sqlite(c), Mode::Write | Mode::SerializableWrite) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
        (AnyConnection::Postgres(c), Mode::Read) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN ISOLATION LEVEL REPEATABLE READ",
        ),
        (AnyConnection::Postgres(c), Mode::SerializableWrite) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN ISOLATION LEVEL SERIALIZABLE")
        }
        (_, Mode::Read | Mode::Write) => Manager2::begin_transaction(conn),
    }
}

/// Runs `f` in the transaction begun on `conn`, then commits, or rolls back on an error.
fn run<T, E: From<StoreError>>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
) -> Result<T, E> {
    let result = f(&mut Tx::new(conn));
    match result {
        Ok(value) => match Manager2::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(err) => {
                // A failed COMMIT leaves the transaction open on some backends.
                let _ = Manager2::rollback_transaction(conn);
                Err(StoreError::from(err).into())
            }
        },
        Err(err) => {
            // The error that ended the transaction is the one to report.
            let _ = Manager2::rollback_transaction(conn);
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            DbUrl::parse("sqlite:///jupyterhub.sqlite").unwrap(),
            DbUrl::Sqlite("jupyterhub.sqlite".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite:////var/db.sqlite").unwrap(),
            DbUrl::Sqlite("/var/db.sqlite".into())
        );
        assert_eq!(
            DbUrl::parse("hub.db").unwrap(),
            DbUrl::Sqlite("hub.db".into())
        );
        assert_eq!(
            DbUrl::parse("postgres://u@h/db").unwrap().backend(),
            Backend::Postgres
        );
        for bad in ["sqlite:///:memory:", "sqlite://", "mysql://x/y", ""] {
            assert!(
                matches!(DbUrl::parse(bad), Err(StoreError::BadUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn sqlite_connections_get_their_settings() {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Setting {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            value: i64,
        }
        let dir = tempfile::tempdir().unwrap();
        let manager = Manager {
            url: DbUrl::Sqlite(dir.path().join("hub.sqlite")),
            busy_timeout: Duration::from_millis(1234),
            sqlite_cache_kib: 4321,
        };
        let AnyConnection::Sqlite(mut conn) = manager.open().unwrap() else {
            panic!("a SQLite URL makes a SQLite connection");
        };
        let mut setting = |sql: &str| {
            diesel::sql_query(sql)
                .get_result::<Setting>(&mut conn)
                .unwrap()
                .value
        };
        assert_eq!(
            setting("SELECT cache_size AS value FROM pragma_cache_size"),
            -4321
        );
        assert_eq!(
            setting("SELECT timeout AS value FROM pragma_busy_timeout"),
            1234
        );
        assert_eq!(
            setting("SELECT foreign_keys AS value FROM pragma_foreign_keys"),
            1
        );
    }

    #[test]
    fn passwords_are_redacted() {
        let url = DbUrl::parse("postgresql://hub:s3cret@db:5432/hub").unwrap();
        assert_eq!(url.redacted(), "postgresql://hub:***@db:5432/hub");
        assert!(!format!("{url:?}").contains("s3cret"));
        let err = DbUrl::parse("mysql://hub:s3cret@db/hub")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("s3cret"), "{err}");
    }
}
