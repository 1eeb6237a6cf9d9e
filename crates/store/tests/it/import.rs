//! Importing a JupyterHub database made by the real JupyterHub 6.1.1 ORM
//! (`make_jupyterhub_db.py`, run with the oracle venv's Python), from SQLite and from
//! PostgreSQL, into hubcap stores on both backends; and what the import refuses.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use diesel::Connection as _;
use diesel::connection::SimpleConnection as _;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use roles::{Holder, HolderFacts, Role};
use scopes::{ClientTarget, OAuthClient, Owner as ScopeOwner, Scope, ScopeTable};
use serde_json::{Value, json};
use sharing::{Recipient, Timestamp};
use store::import::{ImportError, ImportSummary, JupyterHubSource, import_jupyterhub};
use store::{NewUser, Owner, Store};
use time::OffsetDateTime;
use tokens::{TokenFacts, effective_scopes};

use crate::common::{self, Db};

/// The oracle venv's Python, which has `jupyterhub==6.1.1` and `psycopg2`.
fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: run scripts/setup-oracle (it makes the venv with JupyterHub 6.1.1)",
        venv.display()
    );
    venv
}

/// Runs `make_jupyterhub_db.py` on `url` (a SQLAlchemy URL) and returns what it printed.
fn make_jupyterhub_db(url: &str) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/make_jupyterhub_db.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "make_jupyterhub_db.py failed (run scripts/setup-oracle if the venv is incomplete):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn tmp_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("jupyterhub-import")
        .join(std::process::id().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One JupyterHub SQLite database for the whole test run (JupyterHub's Python takes a while
/// to start), and what the script said about it. Tests that change it work on a copy.
fn sqlite_source() -> &'static (PathBuf, Value) {
    static SOURCE: OnceLock<(PathBuf, Value)> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = tmp_dir().join("jupyterhub.sqlite");
        let _ = std::fs::remove_file(&path);
        let expected = make_jupyterhub_db(&format!("sqlite:///{}", path.display()));
        (path, expected)
    })
}

/// A copy of the JupyterHub SQLite database, changed by `sql`; returns its URL.
fn changed_copy(name: &str, sql: &str) -> String {
    let (path, _) = sqlite_source();
    let copy = tmp_dir().join(format!("{name}.sqlite"));
    std::fs::copy(path, &copy).unwrap();
    let mut conn = SqliteConnection::establish(&copy.to_string_lossy()).unwrap();
    conn.batch_execute(sql).unwrap();
    format!("sqlite:///{}", copy.display())
}

/// A UTC time, to the microsecond.
fn utc(date: (i32, u8, u8), hms: (u8, u8, u8), micro: u32) -> OffsetDateTime {
    let month = time::Month::try_from(date.1).unwrap();
    let date = time::Date::from_calendar_date(date.0, month, date.2).unwrap();
    let time = time::Time::from_hms_micro(hms.0, hms.1, hms.2, micro).unwrap();
    time::PrimitiveDateTime::new(date, time).assume_utc()
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// What hubcap says a token may do, computed from the imported facts only: the owner's
/// roles (a user's groups' roles included) through `roles::scopes_for`, the shares given to
/// the user directly, the token's stored scopes and its OAuth client, met by
/// `tokens::effective_scopes` with the imported group memberships.
fn hubcap_token_scopes(store: &Store, secret: &str) -> (store::Token, Vec<String>) {
    store
        .read(|tx| {
            let token = tx.find_token(secret, now(), None)?.unwrap_or_else(|| {
                panic!("an imported JupyterHub token is not found by its secret")
            });
            let (holder, owner) = match &token.owner {
                Owner::User(name) => (Holder::User(name), ScopeOwner::User(name)),
                Owner::Service(name) => (Holder::Service(name), ScopeOwner::Service(name)),
            };
            let mut held: Vec<Role> = tx.roles_of(holder)?.into_iter().map(|r| r.0.role).collect();
            let mut direct = Vec::new();
            if let Owner::User(name) = &token.owner {
                for group in tx.user_groups(name)? {
                    held.extend(
                        tx.roles_of(Holder::Group(&group))?
                            .into_iter()
                            .map(|r| r.0.role),
                    );
                }
                direct = tx
                    .shares_received(name)?
                    .into_iter()
                    .filter(|s| s.share.recipient == Recipient::User(name.clone()))
                    .map(|s| s.share.scopes)
                    .collect();
            }
            let table = ScopeTable::jupyterhub();
            let facts = HolderFacts {
                holder,
                roles: held.iter().collect(),
                shares: vec![],
            };
            let role_scopes = roles::scopes_for(&table, &facts).unwrap().scopes;
            // The token's OAuth client: the hub's own, a user's server's, or a service's.
            let mut target = ClientTarget::Hub;
            let mut server_owner = String::new();
            let mut server_name = String::new();
            let mut service_name = String::new();
            if token.client_id != "jupyterhub" {
                for user in user_names(tx)? {
                    for server in tx.user_servers(&user)? {
                        if server.oauth_client_id.as_deref() == Some(token.client_id.as_str()) {
                            server_owner = user.clone();
                            server_name = server.name.clone();
                        }
                    }
                }
                for service in tx.list_services()? {
                    if service.oauth_client_id.as_deref() == Some(token.client_id.as_str()) {
                        service_name = service.name.clone();
                    }
                }
            }
            if !server_owner.is_empty() {
                target = ClientTarget::Server {
                    user: &server_owner,
                    server: &server_name,
                };
            } else if !service_name.is_empty() {
                target = ClientTarget::Service(&service_name);
            }
            let mut membership: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for details in tx.list_users(&store::UserQuery::default())?.users {
                membership.insert(details.user.name, details.groups.into_iter().collect());
            }
            let stored: Vec<Scope> = token.scopes.iter().map(Scope::lenient).collect();
            let facts = TokenFacts {
                owner,
                owner_role_scopes: &role_scopes,
                direct_share_scopes: direct.iter().map(|s| s.as_slice()).collect(),
                token_scopes: &stored,
                client: OAuthClient {
                    identifier: &token.client_id,
                    target,
                },
            };
            let got = effective_scopes(&table, &facts, Some(&membership)).unwrap();
            let texts: Vec<String> = got.scopes.texts().map(str::to_owned).collect();
            Ok((token.clone(), texts))
        })
        .unwrap()
}

fn user_names(tx: &mut store::Tx<'_>) -> Result<Vec<String>, store::StoreError> {
    Ok(tx
        .list_users(&store::UserQuery::default())?
        .users
        .into_iter()
        .map(|d| d.user.name)
        .collect())
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// Checks an import of the script's database into `store` against what JupyterHub said.
fn check_imported(db_name: &str, store: &Store, summary: &ImportSummary, expected: &Value) {
    let counts = &expected["counts"];
    let c = summary.counts;
    let got = json!({
        "users": c.users, "groups": c.groups, "memberships": c.memberships, "roles": c.roles,
        "role_assignments": c.role_assignments, "services": c.services, "servers": c.servers,
        "addresses": c.addresses, "tokens": c.tokens, "tokens_skipped": summary.skipped.len(),
        "oauth_clients": c.oauth_clients, "oauth_codes": c.oauth_codes, "shares": c.shares,
        "share_codes": c.share_codes,
    });
    assert_eq!(&got, counts, "{db_name}: counts");
    assert_eq!(summary.revision, "f460b0348206");
    assert_eq!(summary.skipped.len(), 1, "{db_name}: {:?}", summary.skipped);
    assert_eq!(summary.skipped[0].table, "api_tokens");

    // Every token JupyterHub issued is found by its secret (hash and prefix kept), keeps its
    // id, owner, client and stored scopes, and may do exactly what JupyterHub says.
    let tokens = expected["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 10);
    for t in tokens {
        let secret = t["secret"].as_str().unwrap();
        let (token, scopes) = hubcap_token_scopes(store, secret);
        let note = format!("{db_name}: token a{}", token.id);
        assert_eq!(token.id, t["id"].as_i64().unwrap(), "{note}");
        let owner = match &token.owner {
            Owner::User(name) => json!({"kind": "user", "name": name}),
            Owner::Service(name) => json!({"kind": "service", "name": name}),
        };
        assert_eq!(owner, t["owner"], "{note}");
        assert_eq!(token.client_id, t["client_id"].as_str().unwrap(), "{note}");
        assert_eq!(token.scopes, strings(&t["stored_scopes"]), "{note}");
        assert_eq!(token.expires_at.is_some(), t["expires"].as_bool().unwrap());
        assert_eq!(
            scopes,
            strings(&t["scopes"]),
            "{note}: get_scopes_for(token)"
        );
    }
    let stale = expected["stale_token"].as_str().unwrap();
    store
        .read(|tx| {
            assert!(tx.find_token(stale, now(), None)?.is_none(), "{db_name}");

            // The share code, by its code; the OAuth client's secret; the OAuth code.
            let code = tx
                .find_share_code(
                    expected["share_code"].as_str().unwrap(),
                    Timestamp::from_unix_micros(
                        i64::try_from(now().unix_timestamp_nanos() / 1000).unwrap(),
                    )
                    .unwrap(),
                    None,
                )?
                .expect("the share code is found by its code");
            assert_eq!(code.id, expected["share_code_id"].as_u64().unwrap());
            assert_eq!(code.server.owner, "alice");
            assert_eq!(code.server.name, "x");
            assert_eq!(
                code.scopes.texts().collect::<Vec<_>>(),
                ["access:servers!server=alice/x"]
            );
            assert!(tx.verify_oauth_client_secret(
                "service-idle-culler",
                expected["oauth_client_secret"].as_str().unwrap()
            )?);
            assert!(!tx.verify_oauth_client_secret("service-idle-culler", "wrong")?);
            let oauth_code = tx
                .find_oauth_code(expected["oauth_code"].as_str().unwrap(), now())?
                .expect("the OAuth code is found");
            assert_eq!(oauth_code.user, "alice");
            assert_eq!(oauth_code.code_challenge_method.as_deref(), Some("S256"));
            assert_eq!(oauth_code.scopes, ["read:users!user=alice"]);

            // A sample of fields.
            for name in strings(&expected["users"]) {
                let user = tx.user(&name)?;
                assert_eq!(
                    user.cookie_id,
                    expected["cookie_ids"][&name].as_str().unwrap(),
                    "{db_name}: {name}'s cookie id"
                );
            }
            let ada = tx.user("ada")?;
            assert!(ada.admin);
            assert_eq!(
                ada.last_activity,
                Some(utc((2025, 3, 4), (5, 6, 7), 123456))
            );
            let alice = tx.user("alice")?;
            assert!(!alice.admin);
            assert_eq!(
                alice.encrypted_auth_state.as_deref(),
                Some(&b"\x00\x01encrypted\xff"[..])
            );
            assert_eq!(alice.user_info, Some(json!({"email": "alice@example.org"})));
            assert_eq!(
                tx.user("carol")?.created,
                utc((2025, 2, 2), (5, 6, 7), 123456)
            );
            let students = tx.group("students")?;
            assert_eq!(
                serde_json::Value::Object(students.properties),
                json!({"course": "cs101", "seats": 30})
            );
            assert_eq!(tx.group_members("students")?, ["bob", "carol"]);
            assert_eq!(tx.group_members("empty")?, Vec::<String>::new());
            let carol_roles: Vec<(String, bool)> = tx
                .roles_of(Holder::User("carol"))?
                .into_iter()
                .map(|(r, a)| (r.role.name, a.managed_by_auth))
                .collect();
            assert_eq!(
                carol_roles,
                [("user".to_owned(), false), ("from-idp".to_owned(), true)]
            );
            assert!(tx.find_role("from-idp")?.unwrap().managed_by_auth);
            assert_eq!(tx.role_holders("teacher")?.groups, ["teachers"]);
            assert_eq!(tx.role_holders("admin")?.users, ["ada"]);
            assert_eq!(tx.role_holders("culler")?.services, ["idle-culler"]);
            let culler = tx.find_service("idle-culler")?.unwrap();
            assert_eq!(culler.url.as_deref(), Some("http://127.0.0.1:10101"));
            assert_eq!(culler.info, Some(json!({"version": "1.4"})));
            assert_eq!(culler.display, Some(true));
            assert_eq!(
                culler.oauth_client_id.as_deref(),
                Some("service-idle-culler")
            );
            assert!(!tx.find_service("announcer")?.unwrap().from_config);
            let servers = tx.user_servers("alice")?;
            assert_eq!(servers.len(), 2);
            assert_eq!(servers[0].name, "");
            assert_eq!(
                servers[0].state,
                Some(
                    json!({"pid": 1234, "blob": {"__jupyterhub_bytes__": true, "data": "AQI=\n"}})
                )
            );
            assert_eq!(servers[0].user_options, Some(json!({"profile": "gpu"})));
            assert_eq!(
                servers[0].started,
                Some(utc((2025, 3, 4), (5, 11, 7), 123456))
            );
            assert_eq!(servers[0].address, None);
            assert_eq!(servers[1].name, "x");
            assert_eq!(servers[1].display_name.as_deref(), Some("Experiment X"));
            assert_eq!(servers[1].address.as_ref().unwrap().port, 54321);
            assert_eq!(
                servers[1].oauth_client_id.as_deref(),
                Some("jupyterhub-user-alice-x")
            );
            let shares = tx.shares_received("carol")?;
            assert_eq!(
                shares.len(),
                1,
                "carol gets alice's share with the students"
            );
            assert_eq!(
                shares[0].share.recipient,
                Recipient::Group("students".to_owned())
            );
            Ok(())
        })
        .unwrap();

    // New rows get fresh ids after the imported ones (PostgreSQL: sequences moved on).
    store
        .write(|tx| {
            let newcomer = tx.create_user(&NewUser::named("newcomer"))?;
            assert!(newcomer.id > 4, "{db_name}: id {}", newcomer.id);
            let group = tx.create_group("newcomers", &Default::default())?;
            assert!(group.id > 3, "{db_name}: id {}", group.id);
            Ok(())
        })
        .unwrap();
}

fn is_empty(store: &Store) -> bool {
    store
        .read(|tx| {
            Ok(tx.list_users(&store::UserQuery::default())?.total == 0
                && tx.list_groups(0, 10)?.1 == 0
                && tx.list_roles()?.is_empty()
                && tx.list_services()?.is_empty()
                && tx.find_oauth_client("jupyterhub")?.is_none())
        })
        .unwrap()
}

#[test]
fn a_jupyterhub_sqlite_database_is_imported_whole() {
    let (path, expected) = sqlite_source();
    let before = std::fs::read(path).unwrap();
    common::each(|db: &Db| {
        let summary = import_jupyterhub(&format!("sqlite:///{}", path.display()), &db.store)
            .unwrap_or_else(|e| panic!("{}: {e}", db.name));
        check_imported(db.name, &db.store, &summary, expected);
    });
    assert!(
        std::fs::read(path).unwrap() == before,
        "the JupyterHub database is read only"
    );
}

#[test]
fn a_jupyterhub_postgresql_database_is_imported_whole() {
    // A database of its own in the test cluster, made by JupyterHub's ORM through psycopg2.
    let base = common::pg_base_url();
    let name = format!("jupyterhub_{}", std::process::id());
    let mut admin = PgConnection::establish(&base).unwrap();
    // One statement per call: PostgreSQL runs neither in a transaction block.
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        admin.batch_execute(&sql).unwrap();
    }
    let (prefix, _) = base.rsplit_once('/').unwrap();
    let url = format!("{prefix}/{name}");
    // SQLAlchemy 2.1 picks psycopg 3 for `postgresql://`; the venv has psycopg2.
    let qualified = url.replacen("postgresql://", "postgresql+psycopg2://", 1);
    let expected = make_jupyterhub_db(&qualified);
    common::each(|db: &Db| {
        // Both forms of the URL are accepted: the plain one for one target, the
        // driver-qualified one (as a JupyterHub config may have it) for the other.
        let source = if db.name == "sqlite" {
            &url
        } else {
            &qualified
        };
        let summary =
            import_jupyterhub(source, &db.store).unwrap_or_else(|e| panic!("{}: {e}", db.name));
        check_imported(db.name, &db.store, &summary, &expected);
    });
    admin
        .batch_execute(&format!("DROP DATABASE {name}"))
        .unwrap();
}

#[test]
fn other_schema_revisions_are_refused_before_anything_is_written() {
    for (revision, what) in [
        ("abcdef123456", "unknown"),
        ("4621fec11365", "JupyterHub 5.x"),
        ("0eee8c825d24", "JupyterHub 4.x"),
    ] {
        let url = changed_copy(
            &format!("revision-{revision}"),
            &format!("UPDATE alembic_version SET version_num = '{revision}'"),
        );
        let err = JupyterHubSource::open(&url).unwrap_err();
        assert!(
            matches!(err, ImportError::UnsupportedRevision { .. }),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.contains(&format!("`{revision}`")), "{message}");
        assert!(message.contains(what), "{message}");
        assert!(
            message.contains("`f460b0348206` (JupyterHub 6.x)"),
            "{message}"
        );
        let db = common::sqlite();
        let err = import_jupyterhub(&url, &db.store).unwrap_err();
        assert!(
            matches!(err, ImportError::UnsupportedRevision { .. }),
            "{err:?}"
        );
        assert!(is_empty(&db.store));
    }
    let url = changed_copy("no-revision", "DELETE FROM alembic_version");
    let message = JupyterHubSource::open(&url).unwrap_err().to_string();
    assert!(message.contains("no revision recorded"), "{message}");
}

#[test]
fn a_failure_midway_leaves_the_store_untouched() {
    // A token row whose hash hubcap cannot read: found after users, groups, roles, servers
    // and the tokens before it were written.
    let bad_hash = changed_copy(
        "bad-hash",
        "UPDATE api_tokens SET hashed = 'sha512:1:salt:not-hex' \
         WHERE id = (SELECT MAX(id) FROM api_tokens WHERE client_id IS NOT NULL)",
    );
    // A second server named `x` for alice: JupyterHub has no constraint against it, hubcap's
    // schema has; the database refuses the row in the middle of the transaction.
    let duplicate = changed_copy(
        "duplicate-server",
        "INSERT INTO spawners (user_id, name) VALUES ((SELECT id FROM users WHERE name = 'alice'), 'x')",
    );
    common::each(|db: &Db| {
        let err = import_jupyterhub(&bad_hash, &db.store).unwrap_err();
        match &err {
            ImportError::Row { table, .. } => assert_eq!(*table, "api_tokens"),
            other => panic!("{}: {other:?}", db.name),
        }
        let message = err.to_string();
        assert!(message.contains("is not a token hash"), "{message}");
        assert!(message.contains("nothing was imported"), "{message}");
        assert!(is_empty(&db.store), "{}", db.name);

        let err = import_jupyterhub(&duplicate, &db.store).unwrap_err();
        match &err {
            ImportError::Write { table, source, .. } => {
                assert_eq!(*table, "spawners");
                assert!(
                    matches!(source, store::StoreError::AlreadyExists { .. }),
                    "{source:?}"
                );
                assert!(
                    err.to_string().contains("server `alice/x` already exists"),
                    "{err}"
                );
            }
            other => panic!("{}: {other:?}", db.name),
        }
        assert!(is_empty(&db.store), "{}", db.name);

        // The store is as it was: the good database imports into it.
        let (path, expected) = sqlite_source();
        let summary =
            import_jupyterhub(&format!("sqlite:///{}", path.display()), &db.store).unwrap();
        check_imported(db.name, &db.store, &summary, expected);
    });
}

#[test]
fn a_store_that_holds_data_is_refused() {
    let (path, _) = sqlite_source();
    let url = format!("sqlite:///{}", path.display());
    common::each(|db: &Db| {
        db.store
            .write(|tx| tx.create_user(&NewUser::named("already-here")).map(|_| ()))
            .unwrap();
        let err = import_jupyterhub(&url, &db.store).unwrap_err();
        assert!(matches!(err, ImportError::TargetNotEmpty { .. }), "{err:?}");
        assert!(err.to_string().contains("1 user"), "{err}");
        let users = db
            .store
            .read(|tx| Ok(tx.list_users(&store::UserQuery::default())?.total))
            .unwrap();
        assert_eq!(users, 1);
    });
}

#[test]
fn what_is_not_a_jupyterhub_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.sqlite");
    let err = JupyterHubSource::open(&format!("sqlite:///{}", missing.display())).unwrap_err();
    assert!(matches!(err, ImportError::NoSuchFile { .. }), "{err:?}");
    assert!(!missing.exists(), "the source is never created");

    // A hubcap database is not a JupyterHub one.
    let db = common::sqlite();
    let err = JupyterHubSource::open(&db.url).unwrap_err();
    assert!(matches!(err, ImportError::NotJupyterHub { .. }), "{err:?}");

    let err = JupyterHubSource::open("mysql+pymysql://hub:secret@db/hub").unwrap_err();
    assert!(matches!(err, ImportError::BadUrl { .. }), "{err:?}");
    assert!(!err.to_string().contains("secret"), "{err}");
}
