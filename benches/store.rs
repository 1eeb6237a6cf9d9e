//! The store's hot reads on a large database: 100,000 users and 200,000 API tokens by
//! default, on SQLite (a file under `target/store-bench/`) and on PostgreSQL when
//! `HUBCAP_TEST_PG_URL` is set (a fresh schema of that cluster). The same data and bench ids
//! (`store/<backend>/<op>`) as `benches/jupyterhub_store_timing.py` gives JupyterHub's ORM,
//! so that `scripts/perf-store` can print the ratio table (docs/performance.md).
//!
//! The database is built once per backend, before any timing, through the store's own API
//! in a few large transactions. Sizes: `HUBCAP_BENCH_USERS` (default 100,000; two tokens
//! per user; at least 1,000). The data, for user `i` (0-based, named `user{i:06}`):
//!
//! - every user holds the default `user` role; every 1,000th (`i % 1000 == 0`) is an admin
//!   (`admin` flag and `admin` role); every 10th holds one of three custom roles;
//! - 100 groups `group00`..`group99`, user `i` in group `i % 100`; group `i % 100 == 0`
//!   also holds a custom role;
//! - every 10th user has a default server;
//! - every 100th user receives shares of the servers of users `i+10`, `i+20`, `i+30`;
//!   `group00` receives a share of user 10's server;
//! - two generated tokens per user (hashed with one round, as JupyterHub hashes generated
//!   tokens), owned by the `jupyterhub` OAuth client.
//!
//! The timed user is `user{M:06}`, M = N/2 rounded down to a multiple of 1,000, plus 100
//! (roles `user` and a custom role, `group00`, a server,
//! three direct shares and one through `group00`); the timed token is one of hers; the page
//! is `offset = N/2, limit = 200` by id.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark fixtures are fixed and valid; a failed setup should stop the bench"
)]
#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use diesel::Connection as _;
use diesel::connection::SimpleConnection as _;
use diesel::pg::PgConnection;
use roles::{Holder, Role, default_roles};
use serde_json::Map;
use sharing::{Recipient, SharedServer, Timestamp, grant};
use store::{NewOAuthClient, NewToken, NewUser, Store, TokenOwner, UserQuery};
use time::OffsetDateTime;
use tokens::{Origin, TokenHash, new_token};

const DEFAULT_USERS: usize = 100_000;
const GROUPS: usize = 100;
const CUSTOM_ROLES: [&str; 3] = ["course-staff", "grader", "viewer"];
const PAGE: u32 = 200;
/// Users created per write transaction.
const CHUNK: usize = 10_000;

fn users_count() -> usize {
    match std::env::var("HUBCAP_BENCH_USERS") {
        Ok(v) => {
            let n: usize = v
                .parse()
                .expect("HUBCAP_BENCH_USERS must be a whole number");
            assert!(n >= 1000, "HUBCAP_BENCH_USERS must be at least 1000");
            n
        }
        Err(_) => DEFAULT_USERS,
    }
}

/// The custom role of user `i` (a multiple of 10).
fn custom_role(i: usize) -> &'static str {
    CUSTOM_ROLES.get((i / 10) % CUSTOM_ROLES.len()).unwrap()
}

fn user_name(i: usize) -> String {
    format!("user{i:06}")
}

/// What the benches need from a built database.
struct Fixture {
    store: Store,
    /// A secret of the timed user's (stored hashed).
    token: String,
    user: String,
    offset: u32,
}

fn build(url: &str, n: usize) -> Fixture {
    let started = Instant::now();
    let store = Store::open(url).unwrap();
    // not an admin, in group00, a custom role, a server, three shares and one via group00
    let timed = n / 2 / 1000 * 1000 + 100;
    let mut token = None;
    store
        .write(|tx| {
            tx.create_oauth_client(&NewOAuthClient {
                identifier: "jupyterhub",
                ..Default::default()
            })?;
            for role in default_roles() {
                tx.create_role(&role, false)?;
            }
            for name in CUSTOM_ROLES {
                let role = Role {
                    name: name.to_owned(),
                    description: Some("a custom role".to_owned()),
                    scopes: ["read:users", "list:users", "read:servers"]
                        .map(str::to_owned)
                        .into(),
                };
                tx.create_role(&role, false)?;
            }
            for g in 0..GROUPS {
                tx.create_group(&format!("group{g:02}"), &Map::new())?;
            }
            tx.assign_role(Holder::Group("group00"), CUSTOM_ROLES[0], false)?;
            Ok(())
        })
        .unwrap();
    let scopes: Vec<String> = Vec::new();
    for start in (0..n).step_by(CHUNK) {
        let end = (start + CHUNK).min(n);
        store
            .write(|tx| {
                let names: Vec<String> = (start..end).map(user_name).collect();
                for (i, name) in (start..end).zip(&names) {
                    let admin = i % 1000 == 0;
                    tx.create_user(&NewUser { name, admin })?;
                    tx.assign_role(Holder::User(name), "user", false)?;
                    if admin {
                        tx.assign_role(Holder::User(name), "admin", false)?;
                    }
                    if i % 10 == 0 {
                        tx.assign_role(Holder::User(name), custom_role(i), false)?;
                        tx.create_server(name, "", None)?;
                    }
                    for _ in 0..2 {
                        let secret = new_token().unwrap();
                        let hash =
                            TokenHash::for_storage(secret.expose(), Origin::Generated).unwrap();
                        tx.insert_token(&NewToken {
                            owner: TokenOwner::User(name),
                            hash: &hash,
                            prefix: secret.prefix(),
                            scopes: &scopes,
                            note: "",
                            expires_at: None,
                            client_id: "jupyterhub",
                            session_id: None,
                        })?;
                        if i == timed {
                            token = Some(secret.into_string());
                        }
                    }
                }
                for g in 0..GROUPS {
                    let members: Vec<&str> = names
                        .iter()
                        .zip(start..end)
                        .filter(|(_, i)| i % GROUPS == g)
                        .map(|(name, _)| name.as_str())
                        .collect();
                    tx.add_group_members(&format!("group{g:02}"), &members)?;
                }
                Ok(())
            })
            .unwrap();
    }
    let now = Timestamp::from_unix_seconds(1_700_000_000).unwrap();
    store
        .write(|tx| {
            for i in (0..n).step_by(100) {
                for owner in [i + 10, i + 20, i + 30] {
                    if owner < n {
                        let server = SharedServer::new(user_name(owner), "");
                        let recipient = Recipient::User(user_name(i));
                        let granted = grant(None, &server, &recipient, None, now).unwrap();
                        tx.put_share(&granted.share)?;
                    }
                }
            }
            let server = SharedServer::new(user_name(10), "");
            let recipient = Recipient::Group("group00".into());
            tx.put_share(&grant(None, &server, &recipient, None, now).unwrap().share)?;
            Ok(())
        })
        .unwrap();
    eprintln!(
        "store bench: built {n} users, {} tokens on {url_kind} in {:.1} s",
        2 * n,
        started.elapsed().as_secs_f64(),
        url_kind = if url.starts_with("sqlite") {
            "SQLite"
        } else {
            "PostgreSQL"
        },
    );
    Fixture {
        store,
        token: token.unwrap(),
        user: user_name(timed),
        offset: u32::try_from(n / 2).unwrap(),
    }
}

fn sqlite_url(n: usize) -> String {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| {
        // benches run with the package directory as the working directory
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target").to_owned()
    });
    let dir = std::path::Path::new(&target).join("store-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("hub-{n}.sqlite"));
    for suffix in ["", "-wal", "-shm"] {
        let mut path = file.clone().into_os_string();
        path.push(suffix);
        if let Err(err) = std::fs::remove_file(&path) {
            assert_eq!(
                err.kind(),
                std::io::ErrorKind::NotFound,
                "cannot remove {}: {err}",
                file.display()
            );
        }
    }
    format!("sqlite:///{}", file.display())
}

/// A fresh schema `hubcap_bench` of the cluster at `base` (dropped first if left over).
fn pg_url(base: &str) -> String {
    let mut conn = PgConnection::establish(base).unwrap();
    conn.batch_execute("DROP SCHEMA IF EXISTS hubcap_bench CASCADE; CREATE SCHEMA hubcap_bench")
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-csearch_path%3Dhubcap_bench")
}

fn bench_backend(c: &mut Criterion, backend: &str, fixture: &Fixture) {
    let store = &fixture.store;
    let now = OffsetDateTime::now_utc();
    // sanity: the fixture is what the benches say it is
    let found = store
        .read(|tx| tx.find_token(&fixture.token, now, None))
        .unwrap()
        .expect("the timed token is found");
    assert_eq!(found.owner, store::Owner::User(fixture.user.clone()));
    let details = store.read(|tx| tx.user_details(&fixture.user)).unwrap();
    assert_eq!(details.roles.len(), 2, "{details:?}");
    assert_eq!(details.groups, ["group00"]);
    assert_eq!(details.servers.len(), 1);
    assert_eq!(details.shares_received.len(), 4);
    let query = UserQuery {
        offset: fixture.offset,
        limit: PAGE,
        ..UserQuery::default()
    };
    let page = store.read(|tx| tx.list_users(&query)).unwrap();
    assert_eq!(page.users.len(), PAGE as usize);
    assert_eq!(
        page.users.first().unwrap().user.name,
        user_name(fixture.offset as usize)
    );

    c.bench_function(&format!("store/{backend}/token_lookup"), |b| {
        b.iter(|| {
            store
                .read(|tx| tx.find_token(black_box(&fixture.token), now, None))
                .unwrap()
        });
    });
    c.bench_function(&format!("store/{backend}/user_details"), |b| {
        b.iter(|| {
            store
                .read(|tx| tx.user_details(black_box(&fixture.user)))
                .unwrap()
        });
    });
    c.bench_function(&format!("store/{backend}/users_page_200"), |b| {
        b.iter(|| store.read(|tx| tx.list_users(black_box(&query))).unwrap());
    });
}

fn benches(c: &mut Criterion) {
    let n = users_count();
    let sqlite = build(&sqlite_url(n), n);
    bench_backend(c, "sqlite", &sqlite);
    drop(sqlite);
    match std::env::var("HUBCAP_TEST_PG_URL") {
        Ok(base) if !base.is_empty() => {
            let pg = build(&pg_url(&base), n);
            bench_backend(c, "postgres", &pg);
        }
        _ => eprintln!(
            "store bench: SKIPPING PostgreSQL: HUBCAP_TEST_PG_URL is not set \
             (start a cluster with `eval \"$(scripts/pg start)\"`)"
        ),
    }
}

criterion_group!(store_benches, benches);
criterion_main!(store_benches);
