//! Crashes and contention: a writer killed mid-transaction leaves the database as it was
//! before the transaction; concurrent writers on one SQLite file queue instead of failing.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use store::{DbUrl, NewUser, Store, StoreConfig, StoreError};

use crate::common::{Db, each};

const CHILD_URL: &str = "HUBCAP_STORE_TEST_CHILD_URL";
const CHILD_READY: &str = "HUBCAP_STORE_TEST_CHILD_READY";

/// The child's half of `a_killed_writer_leaves_no_trace`: when run by that test (the
/// variables are set), writes 50 users in one transaction, says so through a file, and waits
/// to be killed. Run by anyone else, it does nothing.
#[test]
fn killed_writer_child() {
    let (Ok(url), Ok(ready)) = (std::env::var(CHILD_URL), std::env::var(CHILD_READY)) else {
        return;
    };
    let store = Store::open(&url).unwrap();
    let _: Result<(), StoreError> = store.write(|tx| {
        for i in 0..50 {
            tx.create_user(&NewUser::named(&format!("batch{i}")))?;
        }
        std::fs::write(&ready, "ready").unwrap();
        std::thread::sleep(Duration::from_secs(120));
        Ok(())
    });
    panic!("the parent should have killed this process");
}

#[test]
fn a_killed_writer_leaves_no_trace() {
    each(|db: &Db| {
        db.store
            .write(|tx| tx.create_user(&NewUser::named("before")))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("ready");
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "reliability::killed_writer_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_URL, &db.url)
            .env(CHILD_READY, &ready)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while !ready.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{}: the child never got ready",
                db.name
            );
            if let Some(status) = child.try_wait().unwrap() {
                panic!("{}: the child exited early: {status}", db.name);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let store = db.reopen().unwrap();
        let page = store.read(|tx| tx.list_users(&Default::default())).unwrap();
        let names: Vec<_> = page.users.iter().map(|d| d.user.name.as_str()).collect();
        assert_eq!(
            names,
            ["before"],
            "{}: a half-written batch is visible",
            db.name
        );
        // the lock died with the child: writing works at once
        store
            .write(|tx| tx.create_user(&NewUser::named("after")))
            .unwrap();
        if db.name == "sqlite" {
            use diesel::{Connection as _, RunQueryDsl as _};
            #[derive(diesel::QueryableByName)]
            struct Check {
                #[diesel(sql_type = diesel::sql_types::Text)]
                integrity_check: String,
            }
            let path = db.url.trim_start_matches("sqlite:///");
            let mut conn = diesel::sqlite::SqliteConnection::establish(path).unwrap();
            let check: Check = diesel::sql_query("PRAGMA integrity_check")
                .get_result(&mut conn)
                .unwrap();
            assert_eq!(check.integrity_check, "ok");
        }
    });
}

#[test]
fn concurrent_writers_all_land() {
    each(|db| {
        db.store
            .write(|tx| tx.create_group("everyone", &Default::default()))
            .unwrap();
        let store = Arc::new(db.store.clone());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let store = Arc::clone(&store);
                std::thread::spawn(move || {
                    for i in 0..25 {
                        let name = format!("t{t}u{i}");
                        store
                            .write(|tx| {
                                tx.create_user(&NewUser::named(&name))?;
                                tx.add_group_members("everyone", &[name.as_str()])
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(
            db.store
                .read(|tx| tx.group_members("everyone"))
                .unwrap()
                .len(),
            100,
            "{}",
            db.name
        );
    });
}

#[test]
fn a_sqlite_writer_waits_for_the_lock_then_reports_busy() {
    let db = crate::common::sqlite();
    let DbUrl::Sqlite(path) = DbUrl::parse(&db.url).unwrap() else {
        unreachable!()
    };
    let impatient = Store::open_with(StoreConfig {
        busy_timeout: Duration::from_millis(100),
        ..StoreConfig::new(DbUrl::Sqlite(path.clone()))
    })
    .unwrap();
    let patient = Store::open_with(StoreConfig {
        busy_timeout: Duration::from_secs(10),
        ..StoreConfig::new(DbUrl::Sqlite(path))
    })
    .unwrap();
    let holder = db.store.clone();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let hold = std::thread::spawn(move || {
        holder
            .write(|tx| {
                tx.create_user(&NewUser::named("holder"))?;
                locked_tx.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(800));
                Ok(())
            })
            .unwrap();
    });
    locked_rx.recv().unwrap();
    let err = impatient
        .write(|tx| tx.create_user(&NewUser::named("impatient")))
        .unwrap_err();
    assert!(err.is_busy(), "{err:?}");
    assert!(err.to_string().contains("busy"), "{err}");
    // waits for the holder, then writes
    patient
        .write(|tx| tx.create_user(&NewUser::named("patient")))
        .unwrap();
    hold.join().unwrap();
    let names: Vec<_> = patient
        .read(|tx| tx.list_users(&Default::default()))
        .unwrap()
        .users
        .into_iter()
        .map(|d| d.user.name)
        .collect();
    assert_eq!(names, ["holder", "patient"]);
}
