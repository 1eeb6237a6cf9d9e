//! Test databases: one of each backend, fresh for every test.

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::Connection as _;
use diesel::connection::SimpleConnection as _;
use diesel::pg::PgConnection;
use store::{Store, StoreError};
use tempfile::TempDir;

/// A fresh database and how to reach it again.
pub struct Db {
    pub store: Store,
    /// `sqlite` or `postgres`, for assertion messages.
    pub name: &'static str,
    /// The URL the store was opened with (to reopen it).
    pub url: String,
    _dir: Option<TempDir>,
}

impl Db {
    pub fn reopen(&self) -> Result<Store, StoreError> {
        Store::open(&self.url)
    }
}

pub fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("hub.sqlite").display());
    let store = Store::open(&url).unwrap();
    Db {
        store,
        name: "sqlite",
        url,
        _dir: Some(dir),
    }
}

/// The PostgreSQL URL of the test cluster; panics with the fix when it is not set.
pub fn pg_base_url() -> String {
    std::env::var("HUBCAP_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "HUBCAP_TEST_PG_URL is not set: the store's tests run against PostgreSQL too. \
             Start a throwaway cluster with `eval \"$(scripts/pg start)\"` (scripts/test does it)"
        )
    })
}

/// A URL to a new, empty schema of the test cluster: tests run side by side without
/// seeing each other's tables.
pub fn pg_fresh_url() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let base = pg_base_url();
    let schema = format!(
        "t_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let mut conn = PgConnection::establish(&base).unwrap();
    conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-csearch_path%3D{schema}")
}

pub fn postgres() -> Db {
    let url = pg_fresh_url();
    let store = Store::open(&url).unwrap();
    Db {
        store,
        name: "postgres",
        url,
        _dir: None,
    }
}

/// Runs `f` on a fresh database of each backend.
pub fn each(f: impl Fn(&Db)) {
    for db in [sqlite(), postgres()] {
        f(&db);
    }
}
