//! Crashes and contention: a writer killed mid-transaction leaves the database as it was
//! before the transaction; concurrent writers (threads, and processes) queue or are run
//! again instead of failing, and no acknowledged write is lost.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use store::{ConflictReason, DbUrl, NewUser, Store, StoreConfig, StoreError, Tx};

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
            assert_eq!(sqlite_integrity(&db.url), "ok");
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

/// Adds one to the group's `n` property: a read-modify-write.
fn increment(tx: &mut Tx<'_>, group: &str) -> Result<(), StoreError> {
    let mut properties = tx.group(group)?.properties;
    let n = properties.get("n").and_then(Value::as_u64).unwrap_or(0);
    properties.insert("n".to_owned(), json!(n + 1));
    tx.set_group_properties(group, &properties)
}

fn counter(store: &Store, group: &str) -> u64 {
    store
        .read(|tx| tx.group(group))
        .unwrap()
        .properties
        .get("n")
        .and_then(Value::as_u64)
        .unwrap()
}

#[test]
fn concurrent_read_modify_writes_lose_nothing() {
    each(|db| {
        db.store
            .write(|tx| tx.create_group("counter", &Map::from_iter([("n".into(), json!(0))])))
            .unwrap();
        let runs = AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..10 {
                        db.store
                            .write_retrying(|tx| {
                                runs.fetch_add(1, Ordering::Relaxed);
                                increment(tx, "counter")
                            })
                            .unwrap();
                    }
                });
            }
        });
        assert_eq!(counter(&db.store, "counter"), 40, "{}", db.name);
        eprintln!(
            "{}: 40 increments in {} runs",
            db.name,
            runs.load(Ordering::Relaxed)
        );
    });
}

/// `Store::write` or `Store::write_retrying`, for a closure.
type WriteWith =
    fn(&Store, &mut dyn FnMut(&mut Tx<'_>) -> Result<(), StoreError>) -> Result<(), StoreError>;

/// Two transactions, one setting `a` then `b`, the other `b` then `a`, each waiting (up to
/// 2 s, on its first run only) until the other holds its first row. On PostgreSQL that is a
/// deadlock; on SQLite the second waits for the first's lock at `BEGIN`, so there is none.
/// Returns both results and how many times the closures ran.
fn crossed_writers(
    db: &Db,
    write: WriteWith,
) -> (Result<(), StoreError>, Result<(), StoreError>, u32) {
    db.store
        .write(|tx| {
            for name in ["a", "b"] {
                tx.create_user(&NewUser::named(name))?;
                tx.set_user_admin(name, false)?;
            }
            Ok(())
        })
        .unwrap();
    let runs = AtomicU32::new(0);
    let (a_held, a_held_rx) = mpsc::channel();
    let (b_held, b_held_rx) = mpsc::channel();
    let (store, runs_ref) = (&db.store, &runs);
    // sets `first`, says so, waits for the other to say so (first run only), sets `then`
    let writer = |first: &'static str,
                  then: &'static str,
                  held: mpsc::Sender<()>,
                  other_held: mpsc::Receiver<()>| {
        move || {
            let mut first_run = true;
            write(store, &mut |tx| {
                runs_ref.fetch_add(1, Ordering::Relaxed);
                tx.set_user_admin(first, true)?;
                if std::mem::take(&mut first_run) {
                    let _ = held.send(());
                    let _ = other_held.recv_timeout(Duration::from_secs(2));
                }
                tx.set_user_admin(then, true)
            })
        }
    };
    let (first, second) = std::thread::scope(|s| {
        let one = s.spawn(writer("a", "b", a_held, b_held_rx));
        let two = s.spawn(writer("b", "a", b_held, a_held_rx));
        (one.join().unwrap(), two.join().unwrap())
    });
    (first, second, runs.load(Ordering::Relaxed))
}

#[test]
fn a_deadlock_loser_is_run_again_by_write_retrying() {
    each(|db| {
        let (first, second, runs) = crossed_writers(db, |store, f| store.write_retrying(f));
        first.unwrap();
        second.unwrap();
        let both = db
            .store
            .read(|tx| Ok((tx.user("a")?.admin, tx.user("b")?.admin)))
            .unwrap();
        assert_eq!(both, (true, true), "{}", db.name);
        if db.name == "postgres" {
            // the loser ran again, maybe more than once: its second run can begin before
            // the winner commits and then fail to serialize after it
            assert!(runs >= 3, "{}: {runs} runs", db.name);
        } else {
            assert_eq!(
                runs, 2,
                "{}: the second waited for the first's lock",
                db.name
            );
        }
    });
}

#[test]
fn a_deadlock_loser_is_a_clear_conflict_error_from_write() {
    each(|db| {
        let (first, second, runs) = crossed_writers(db, |store, f| store.write(f));
        assert_eq!(runs, 2, "{}: write runs its closure once", db.name);
        if db.name == "sqlite" {
            first.unwrap();
            second.unwrap();
            return;
        }
        let (won, lost) = match (first, second) {
            (Ok(()), Err(err)) | (Err(err), Ok(())) => ((), err),
            other => panic!("one of the two should have lost: {other:?}"),
        };
        let () = won;
        assert!(
            matches!(
                lost,
                StoreError::Conflict {
                    reason: ConflictReason::Deadlock,
                    attempts: 1
                }
            ),
            "{lost:?}"
        );
        assert!(lost.is_busy());
        let message = lost.to_string();
        assert!(message.contains("deadlock"), "{message}");
        assert!(message.contains("nothing of it was written"), "{message}");
        assert!(message.contains("run it again"), "{message}");
    });
}

#[test]
fn retries_end_with_a_typed_error_that_says_what_to_do() {
    each(|db| {
        db.store
            .write(|tx| tx.create_group("g", &Map::new()))
            .unwrap();
        let config = StoreConfig {
            write_attempts: 3,
            busy_timeout: Duration::from_millis(300),
            ..StoreConfig::new(DbUrl::parse(&db.url).unwrap())
        };
        let store = Store::open_with(config).unwrap();
        let runs = AtomicU32::new(0);
        if db.name == "postgres" {
            // every run reads the row, then another writer changes it before this one does
            let other = db.reopen().unwrap();
            let err = store
                .write_retrying(|tx| {
                    let n = runs.fetch_add(1, Ordering::Relaxed);
                    let mut mine = tx.group("g")?.properties;
                    other
                        .write(|tx| {
                            tx.set_group_properties(
                                "g",
                                &Map::from_iter([("other".into(), json!(n))]),
                            )
                        })
                        .unwrap();
                    mine.insert("mine".into(), json!(n));
                    tx.set_group_properties("g", &mine)
                })
                .unwrap_err();
            assert!(
                matches!(
                    err,
                    StoreError::Conflict {
                        reason: ConflictReason::Serialization,
                        attempts: 3
                    }
                ),
                "{err:?}"
            );
            assert_eq!(runs.load(Ordering::Relaxed), 3);
            let message = err.to_string();
            assert!(message.contains("on each of 3 attempts"), "{message}");
            assert!(message.contains("nothing of it was written"), "{message}");
            let properties = db.store.read(|tx| tx.group("g")).unwrap().properties;
            assert_eq!(properties, Map::from_iter([("other".into(), json!(2))]));
        } else {
            // another writer keeps SQLite's lock for longer than the busy timeout
            let holder = db.store.clone();
            let (locked, locked_rx) = mpsc::channel();
            let hold = std::thread::spawn(move || {
                holder
                    .write(|_| {
                        locked.send(()).unwrap();
                        std::thread::sleep(Duration::from_millis(1500));
                        Ok(())
                    })
                    .unwrap();
            });
            locked_rx.recv().unwrap();
            let started = Instant::now();
            let err = store
                .write_retrying(|tx| {
                    runs.fetch_add(1, Ordering::Relaxed);
                    tx.set_group_properties("g", &Map::new())
                })
                .unwrap_err();
            assert!(matches!(err, StoreError::Busy), "{err:?}");
            assert!(err.to_string().contains("raise the busy timeout"), "{err}");
            assert_eq!(runs.load(Ordering::Relaxed), 0, "it never got the lock");
            assert!(
                started.elapsed() < Duration::from_millis(1400),
                "{:?}",
                started.elapsed()
            );
            hold.join().unwrap();
        }
    });
}

const WRITER_URL: &str = "HUBCAP_STORE_TEST_WRITER_URL";
const WRITER_NAME: &str = "HUBCAP_STORE_TEST_WRITER_NAME";
const WRITER_ACKS: &str = "HUBCAP_STORE_TEST_WRITER_ACKS";

/// The child's half of `writers_in_several_processes_lose_nothing`: when run by that test
/// (the variables are set), creates 40 users in one transaction each and increments the
/// shared counter in as many, appending each acknowledged user's name to a file. Run by
/// anyone else, it does nothing.
#[test]
fn concurrent_writer_child() {
    let (Ok(url), Ok(name), Ok(acks)) = (
        std::env::var(WRITER_URL),
        std::env::var(WRITER_NAME),
        std::env::var(WRITER_ACKS),
    ) else {
        return;
    };
    write_and_acknowledge(
        &Store::open(&url).unwrap(),
        &name,
        std::path::Path::new(&acks),
    );
}

fn write_and_acknowledge(store: &Store, name: &str, acks: &std::path::Path) {
    use std::io::Write as _;
    let mut file = std::fs::File::create(acks).unwrap();
    for i in 0..40 {
        let user = format!("{name}-{i}");
        store
            .write(|tx| tx.create_user(&NewUser::named(&user)))
            .unwrap();
        writeln!(file, "{user}").unwrap();
        store.write_retrying(|tx| increment(tx, "counter")).unwrap();
    }
}

#[test]
fn writers_in_several_processes_lose_nothing() {
    each(|db| {
        db.store
            .write(|tx| tx.create_group("counter", &Map::from_iter([("n".into(), json!(0))])))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let children: Vec<_> = ["p1", "p2"]
            .into_iter()
            .map(|name| {
                Command::new(std::env::current_exe().unwrap())
                    .args([
                        "--exact",
                        "reliability::concurrent_writer_child",
                        "--test-threads=1",
                    ])
                    .env(WRITER_URL, &db.url)
                    .env(WRITER_NAME, name)
                    .env(WRITER_ACKS, dir.path().join(name))
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        // and this process, at the same time
        write_and_acknowledge(&db.store, "p0", &dir.path().join("p0"));
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}: a writer process failed: {}",
                db.name,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut acknowledged: Vec<String> = ["p0", "p1", "p2"]
            .iter()
            .flat_map(|p| {
                std::fs::read_to_string(dir.path().join(p))
                    .unwrap()
                    .lines()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        acknowledged.sort();
        assert_eq!(acknowledged.len(), 120, "{}", db.name);
        let store = db.reopen().unwrap();
        let mut stored: Vec<String> = store
            .read(|tx| {
                tx.list_users(&store::UserQuery {
                    limit: 1000,
                    ..Default::default()
                })
            })
            .unwrap()
            .users
            .into_iter()
            .map(|d| d.user.name)
            .collect();
        stored.sort();
        assert_eq!(stored, acknowledged, "{}", db.name);
        assert_eq!(counter(&store, "counter"), 120, "{}", db.name);
        if db.name == "sqlite" {
            assert_eq!(sqlite_integrity(&db.url), "ok");
        }
    });
}

fn sqlite_integrity(url: &str) -> String {
    use diesel::{Connection as _, RunQueryDsl as _};
    #[derive(diesel::QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let path = url.trim_start_matches("sqlite:///");
    let mut conn = diesel::sqlite::SqliteConnection::establish(path).unwrap();
    diesel::sql_query("PRAGMA integrity_check")
        .get_result::<Check>(&mut conn)
        .unwrap()
        .integrity_check
}

#[test]
fn connections_the_server_closed_are_replaced() {
    each(|db| {
        // a name for this test's PostgreSQL sessions, so that only they are ended
        let tag = format!("hubcap_closed_{}", std::process::id());
        let url = match db.name {
            "postgres" => format!("{}&application_name={tag}", db.url),
            _ => db.url.clone(),
        };
        let store = Store::open(&url).unwrap();
        // four connections in the pool, each used once
        let together = std::sync::Barrier::new(4);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    store
                        .read(|tx| {
                            together.wait();
                            tx.find_user("nobody")
                        })
                        .unwrap()
                });
            }
        });
        if db.name == "postgres" {
            use diesel::{Connection as _, RunQueryDsl as _};
            let mut admin =
                diesel::pg::PgConnection::establish(&crate::common::pg_base_url()).unwrap();
            let ended = diesel::sql_query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            )
            .bind::<diesel::sql_types::Text, _>(&tag)
            .execute(&mut admin)
            .unwrap();
            assert_eq!(ended, 4, "the pool's four sessions");
            // the server takes a moment to close them
            std::thread::sleep(Duration::from_millis(200));
        }
        // every connection in the pool is dead: each transaction still runs
        for i in 0..6 {
            store
                .write(|tx| tx.create_user(&NewUser::named(&format!("after{i}"))))
                .unwrap();
            assert!(store.read(|tx| tx.find_user("after0")).unwrap().is_some());
        }
    });
}
