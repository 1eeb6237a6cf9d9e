use diesel::Connection as _;
use diesel::RunQueryDsl as _;
use diesel::connection::SimpleConnection as _;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use sharing::{Recipient, SharedServer, Timestamp, grant};
use store::{Backend, NewUser, Store};

use crate::common::{each, pg_fresh_url};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const VERSIONS: [&str; 2] = ["00000000000001", "00000000000002"];

#[test]
fn reopening_keeps_the_data_and_records_versions() {
    each(|db| {
        db.store
            .write(|tx| tx.create_user(&NewUser::named("alice")))
            .unwrap();
        assert_eq!(db.store.schema_versions().unwrap(), VERSIONS, "{}", db.name);
        let again = db.reopen().unwrap();
        assert_eq!(
            again.read(|tx| tx.user("alice")).unwrap().name,
            "alice",
            "{}",
            db.name
        );
        assert_eq!(again.schema_versions().unwrap(), VERSIONS);
    });
}

#[test]
fn sqlite_connections_are_set_up() {
    let db = crate::common::sqlite();
    assert_eq!(db.store.backend(), Backend::Sqlite);
    let path = db.url.trim_start_matches("sqlite:///");
    let mut conn = SqliteConnection::establish(path).unwrap();
    #[derive(diesel::QueryableByName)]
    struct Mode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
    }
    let mode: Mode = diesel::sql_query("PRAGMA journal_mode")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(mode.journal_mode, "wal");
    // foreign keys are on in the store's connections: a membership of a missing user fails
    let err = db
        .store
        .write(|tx| tx.add_group_members("nope", &["nobody"]))
        .unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
}

/// A database made by the first migration only (as an older hubcap left it) gains the
/// second when opened; its rows stay.
#[test]
fn an_old_database_is_upgraded_in_place() {
    let insert = "INSERT INTO users (name, admin, created, cookie_id) \
                  VALUES ('old', FALSE, '2024-01-02 03:04:05', 'c00k1e')";
    // SQLite
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
        conn.run_next_migration(SQLITE).unwrap();
        conn.batch_execute(insert).unwrap();
    }
    let sqlite_url = format!("sqlite:///{}", path.display());
    // PostgreSQL
    let pg_url = pg_fresh_url();
    {
        let mut conn = PgConnection::establish(&pg_url).unwrap();
        conn.run_next_migration(POSTGRES).unwrap();
        conn.batch_execute(insert).unwrap();
    }
    for url in [sqlite_url, pg_url] {
        let store = Store::open(&url).unwrap();
        assert_eq!(store.schema_versions().unwrap(), VERSIONS);
        let old = store.read(|tx| tx.user("old")).unwrap();
        assert_eq!(old.created.unix_timestamp(), 1_704_164_645);
        assert_eq!(old.cookie_id, "c00k1e");
        // the new tables work
        store
            .write(|tx| {
                tx.create_user(&NewUser::named("bob"))?;
                tx.create_server("old", "", None)?;
                let share = grant(
                    None,
                    &SharedServer::new("old", ""),
                    &Recipient::User("bob".into()),
                    None,
                    Timestamp::UNIX_EPOCH,
                )
                .unwrap();
                tx.put_share(&share.share)
            })
            .unwrap();
    }
}

#[test]
fn bad_urls_and_unreachable_servers_say_so() {
    let err = Store::open("mysql://hub:pw@localhost/hub")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("only sqlite and postgresql") && !err.contains("pw@"),
        "{err}"
    );
    let err = Store::open("postgresql://hub:secret@127.0.0.1:1/hub")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("cannot connect to the database at `postgresql://hub:***@127.0.0.1:1/hub`"),
        "{err}"
    );
}
