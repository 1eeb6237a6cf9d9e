//! The JupyterHub database, opened read-only: its URL forms, the connection, the schema
//! revision check, and one consistent snapshot of every table the import copies.
//!
//! Tables are read with plain SQL (`sql_query`) into small typed rows: the column lists are
//! JupyterHub 6.1.1's `orm.py` at revision [`JUPYTERHUB_6_HEAD`](super::JUPYTERHUB_6_HEAD).
//! Integer columns are `INTEGER` in JupyterHub's schema (4 bytes on PostgreSQL), so they are
//! read as `Integer` and widened.

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Binary, Bool, Integer, Nullable, Text, Timestamp};
use diesel::sqlite::SqliteConnection;
use diesel::{QueryableByName, sql_query};
use time::PrimitiveDateTime;

use crate::conn::{AnyConnection, DbUrl};
use crate::import::error::ImportError;
use crate::import::revision;

/// Where the JupyterHub database is: JupyterHub's `db_url` forms.
///
/// `sqlite:///relative.sqlite`, `sqlite:////absolute.sqlite` or a bare path select SQLite;
/// `postgresql://...` and `postgres://...` select PostgreSQL, and so do SQLAlchemy's
/// driver-qualified forms (`postgresql+psycopg2://...`), whose driver part is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct SourceUrl(DbUrl);

impl std::fmt::Debug for SourceUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.redacted())
    }
}

impl SourceUrl {
    /// Parses a JupyterHub `db_url`.
    ///
    /// # Errors
    ///
    /// [`ImportError::BadUrl`] for an unsupported scheme (MySQL), an in-memory database or an
    /// empty path.
    pub fn parse(url: &str) -> Result<SourceUrl, ImportError> {
        let plain = match url.split_once("://") {
            Some((scheme, rest)) => match scheme.split_once('+') {
                Some((base @ ("postgresql" | "postgres"), _driver)) => format!("{base}://{rest}"),
                Some(("sqlite", _driver)) => format!("sqlite://{rest}"),
                _ => url.to_owned(),
            },
            None => url.to_owned(),
        };
        DbUrl::parse(&plain)
            .map(SourceUrl)
            .map_err(|err| match err {
                crate::StoreError::BadUrl { url, reason } => ImportError::BadUrl { url, reason },
                _ => ImportError::BadUrl {
                    url: crate::conn::redact(url),
                    reason: "not a database url",
                },
            })
    }

    /// The database it names, as the store's [`DbUrl`] (to compare with the hubcap target).
    #[must_use]
    pub fn db_url(&self) -> &DbUrl {
        &self.0
    }

    /// The URL with any password replaced by `***`, for messages.
    #[must_use]
    pub fn redacted(&self) -> String {
        self.0.redacted()
    }
}

/// A SQLite URI that opens `path` read-only and never creates it.
fn read_only_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?mode=ro");
    uri
}

/// Connects read-only: SQLite through a `mode=ro` URI (the file is never created or
/// written) with `query_only`; PostgreSQL with read-only transactions by default.
pub(crate) fn connect(url: &SourceUrl) -> Result<AnyConnection, ImportError> {
    let failed = |reason: String| ImportError::Connect {
        url: url.redacted(),
        reason,
    };
    match &url.0 {
        DbUrl::Sqlite(path) => {
            if !path.is_file() {
                return Err(ImportError::NoSuchFile {
                    path: PathBuf::from(path).display().to_string(),
                });
            }
            let mut conn = SqliteConnection::establish(&read_only_uri(path))
                .map_err(|e| failed(e.to_string()))?;
            conn.batch_execute("PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;")
                .map_err(|e| failed(e.to_string()))?;
            Ok(AnyConnection::Sqlite(conn))
        }
        DbUrl::Postgres(pg) => {
            let mut conn = PgConnection::establish(pg).map_err(|e| failed(e.to_string()))?;
            conn.batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                .map_err(|e| failed(e.to_string()))?;
            Ok(AnyConnection::Postgres(conn))
        }
    }
}

fn read_err(table: &'static str) -> impl Fn(diesel::result::Error) -> ImportError {
    move |err| ImportError::Read {
        table,
        reason: err.to_string(),
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    version_num: String,
}

/// Reads and checks `alembic_version`; nothing else is read before it passes.
pub(crate) fn check_revision(
    conn: &mut AnyConnection,
    url: &SourceUrl,
) -> Result<String, ImportError> {
    let exists = match conn {
        AnyConnection::Sqlite(_) => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        }
        AnyConnection::Postgres(_) => {
            "SELECT COUNT(*) AS n FROM pg_catalog.pg_class c \
             WHERE c.relname = 'alembic_version' AND c.relkind = 'r' \
             AND pg_catalog.pg_table_is_visible(c.oid)"
        }
    };
    let found = sql_query(exists)
        .get_result::<Count>(conn)
        .map_err(read_err("alembic_version"))?;
    if found.n == 0 {
        return Err(ImportError::NotJupyterHub {
            url: url.redacted(),
        });
    }
    let rows = sql_query("SELECT version_num FROM alembic_version")
        .load::<Version>(conn)
        .map_err(read_err("alembic_version"))?;
    let rows: Vec<String> = rows.into_iter().map(|v| v.version_num).collect();
    revision::check(&rows)
}

/// `users`.
#[derive(QueryableByName)]
pub(crate) struct JhUser {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub admin: Option<bool>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub created: Option<PrimitiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub last_activity: Option<PrimitiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    pub cookie_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub state: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub user_info: Option<String>,
    #[diesel(sql_type = Nullable<Binary>)]
    pub encrypted_auth_state: Option<Vec<u8>>,
}

/// `groups`.
#[derive(QueryableByName)]
pub(crate) struct JhGroup {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub properties: Option<String>,
}

/// `user_group_map`.
#[derive(QueryableByName)]
pub(crate) struct JhMembership {
    #[diesel(sql_type = Integer)]
    pub user_id: i32,
    #[diesel(sql_type = Integer)]
    pub group_id: i32,
}

/// `roles`.
#[derive(QueryableByName)]
pub(crate) struct JhRole {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub scopes: Option<String>,
    #[diesel(sql_type = Bool)]
    pub managed_by_auth: bool,
}

/// `user_role_map`, `group_role_map`, `service_role_map`, read into one shape.
#[derive(QueryableByName)]
pub(crate) struct JhRoleAssignment {
    #[diesel(sql_type = Integer)]
    pub holder_id: i32,
    #[diesel(sql_type = Integer)]
    pub role_id: i32,
    #[diesel(sql_type = Bool)]
    pub managed_by_auth: bool,
}

/// `servers` (addresses).
#[derive(QueryableByName)]
pub(crate) struct JhServer {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub proto: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub ip: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub port: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub base_url: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub cookie_name: Option<String>,
}

/// `oauth_clients`.
#[derive(QueryableByName)]
pub(crate) struct JhOAuthClient {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub identifier: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub secret: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub redirect_uri: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub allowed_scopes: Option<String>,
}

/// `services`.
#[derive(QueryableByName)]
pub(crate) struct JhService {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub admin: Option<bool>,
    #[diesel(sql_type = Nullable<Text>)]
    pub url: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub oauth_client_allowed_scopes: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub info: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub display: Option<bool>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub oauth_no_confirm: Option<bool>,
    #[diesel(sql_type = Nullable<Text>)]
    pub command: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub cwd: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub environment: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub service_user: Option<String>,
    #[diesel(sql_type = Integer)]
    pub timeout: i32,
    #[diesel(sql_type = Nullable<Bool>)]
    pub from_config: Option<bool>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub server_id: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub pid: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub oauth_client_id: Option<String>,
}

/// `spawners` (a user's servers).
#[derive(QueryableByName)]
pub(crate) struct JhSpawner {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    pub user_id: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub server_id: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub state: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub display_name: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub started: Option<PrimitiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub last_activity: Option<PrimitiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    pub user_options: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub oauth_client_id: Option<String>,
}

/// `api_tokens`.
#[derive(QueryableByName)]
pub(crate) struct JhToken {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    pub user_id: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub service_id: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub hashed: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub prefix: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub client_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub session_id: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub created: Option<PrimitiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub expires_at: Option<PrimitiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub last_activity: Option<PrimitiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    pub note: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub scopes: Option<String>,
}

/// `oauth_codes`.
#[derive(QueryableByName)]
pub(crate) struct JhOAuthCode {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub client_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub code: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub expires_at: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub redirect_uri: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub session_id: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub user_id: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub scopes: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub code_challenge: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub code_challenge_method: Option<String>,
}

/// `shares`.
#[derive(QueryableByName)]
pub(crate) struct JhShare {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Timestamp)]
    pub created_at: PrimitiveDateTime,
    #[diesel(sql_type = Nullable<Integer>)]
    pub owner_id: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub spawner_id: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub scopes: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub expires_at: Option<PrimitiveDateTime>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub user_id: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub group_id: Option<i32>,
}

/// `share_codes`.
#[derive(QueryableByName)]
pub(crate) struct JhShareCode {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Timestamp)]
    pub created_at: PrimitiveDateTime,
    #[diesel(sql_type = Nullable<Integer>)]
    pub owner_id: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub spawner_id: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub scopes: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub expires_at: Option<PrimitiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    pub hashed: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub prefix: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub exchange_count: Option<i32>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub last_exchanged_at: Option<PrimitiveDateTime>,
}

/// Every row the import copies, read in one read-only transaction.
pub(crate) struct Snapshot {
    pub users: Vec<JhUser>,
    pub groups: Vec<JhGroup>,
    pub memberships: Vec<JhMembership>,
    pub roles: Vec<JhRole>,
    pub user_roles: Vec<JhRoleAssignment>,
    pub group_roles: Vec<JhRoleAssignment>,
    pub service_roles: Vec<JhRoleAssignment>,
    pub servers: Vec<JhServer>,
    pub oauth_clients: Vec<JhOAuthClient>,
    pub services: Vec<JhService>,
    pub spawners: Vec<JhSpawner>,
    pub tokens: Vec<JhToken>,
    pub oauth_codes: Vec<JhOAuthCode>,
    pub shares: Vec<JhShare>,
    pub share_codes: Vec<JhShareCode>,
}

fn load<T: QueryableByName<<AnyConnection as Connection>::Backend> + 'static>(
    conn: &mut AnyConnection,
    table: &'static str,
    query: &str,
) -> Result<Vec<T>, ImportError> {
    sql_query(query).load::<T>(conn).map_err(read_err(table))
}

/// Reads every table in one read-only transaction (one snapshot: a hub still writing
/// cannot make the import see half of a change), checking the revision again inside it.
pub(crate) fn read_snapshot(conn: &mut AnyConnection) -> Result<Snapshot, ImportError> {
    let begin = match conn {
        AnyConnection::Sqlite(_) => "BEGIN",
        AnyConnection::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    };
    conn.batch_execute(begin)
        .map_err(read_err("(transaction)"))?;
    let snapshot = read_tables(conn);
    // Nothing was written: ending the transaction either way is the same.
    let _ = conn.batch_execute("ROLLBACK");
    snapshot
}

fn read_tables(conn: &mut AnyConnection) -> Result<Snapshot, ImportError> {
    let rows = sql_query("SELECT version_num FROM alembic_version")
        .load::<Version>(conn)
        .map_err(read_err("alembic_version"))?;
    revision::check(&rows.into_iter().map(|v| v.version_num).collect::<Vec<_>>())?;
    let role_map = |entity: &str| {
        format!(
            "SELECT {entity}_id AS holder_id, role_id, managed_by_auth FROM {entity}_role_map \
             ORDER BY {entity}_id, role_id"
        )
    };
    Ok(Snapshot {
        users: load(
            conn,
            "users",
            "SELECT id, name, admin, created, last_activity, cookie_id, state, user_info, \
             encrypted_auth_state FROM users ORDER BY id",
        )?,
        groups: load(
            conn,
            "groups",
            "SELECT id, name, properties FROM groups ORDER BY id",
        )?,
        memberships: load(
            conn,
            "user_group_map",
            "SELECT user_id, group_id FROM user_group_map ORDER BY group_id, user_id",
        )?,
        roles: load(
            conn,
            "roles",
            "SELECT id, name, description, scopes, managed_by_auth FROM roles ORDER BY id",
        )?,
        user_roles: load(conn, "user_role_map", &role_map("user"))?,
        group_roles: load(conn, "group_role_map", &role_map("group"))?,
        service_roles: load(conn, "service_role_map", &role_map("service"))?,
        servers: load(
            conn,
            "servers",
            "SELECT id, proto, ip, port, base_url, cookie_name FROM servers ORDER BY id",
        )?,
        oauth_clients: load(
            conn,
            "oauth_clients",
            "SELECT id, identifier, description, secret, redirect_uri, allowed_scopes \
             FROM oauth_clients ORDER BY id",
        )?,
        services: load(
            conn,
            "services",
            "SELECT id, name, admin, url, oauth_client_allowed_scopes, info, display, \
             oauth_no_confirm, command, cwd, environment, \"user\" AS service_user, timeout, \
             from_config, _server_id AS server_id, pid, oauth_client_id \
             FROM services ORDER BY id",
        )?,
        spawners: load(
            conn,
            "spawners",
            "SELECT id, user_id, server_id, state, name, display_name, started, last_activity, \
             user_options, oauth_client_id FROM spawners ORDER BY id",
        )?,
        tokens: load(
            conn,
            "api_tokens",
            "SELECT id, user_id, service_id, hashed, prefix, client_id, session_id, created, \
             expires_at, last_activity, note, scopes FROM api_tokens ORDER BY id",
        )?,
        oauth_codes: load(
            conn,
            "oauth_codes",
            "SELECT id, client_id, code, expires_at, redirect_uri, session_id, user_id, scopes, \
             code_challenge, code_challenge_method FROM oauth_codes ORDER BY id",
        )?,
        shares: load(
            conn,
            "shares",
            "SELECT id, created_at, owner_id, spawner_id, scopes, expires_at, user_id, group_id \
             FROM shares ORDER BY id",
        )?,
        share_codes: load(
            conn,
            "share_codes",
            "SELECT id, created_at, owner_id, spawner_id, scopes, expires_at, hashed, prefix, \
             exchange_count, last_exchanged_at FROM share_codes ORDER BY id",
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            SourceUrl::parse("sqlite:///jupyterhub.sqlite")
                .unwrap()
                .db_url(),
            &DbUrl::Sqlite("jupyterhub.sqlite".into())
        );
        assert_eq!(
            SourceUrl::parse("postgresql+psycopg2://hub:pw@db/hub")
                .unwrap()
                .db_url(),
            &DbUrl::Postgres("postgresql://hub:pw@db/hub".into())
        );
        let err = SourceUrl::parse("mysql+pymysql://hub:pw@db/hub")
            .unwrap_err()
            .to_string();
        assert!(err.contains("only sqlite and postgresql"), "{err}");
        assert!(!err.contains("pw@"), "{err}");
    }

    #[test]
    fn read_only_uris_escape_what_sqlite_would_read_as_query() {
        assert_eq!(
            read_only_uri(Path::new("/srv/a?b#c%d.sqlite")),
            "file:/srv/a%3fb%23c%25d.sqlite?mode=ro"
        );
    }
}
