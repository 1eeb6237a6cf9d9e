use roles::Holder;
use serde_json::Map;
use store::{Address, NewUser, SortKey, StateFilter, UserQuery, Visible};
use time::OffsetDateTime;

use crate::common::{Db, each};

/// Users u0..u9; u2, u5 and u7 have an active server; even users are in `evens`; u3 is
/// active at time 3, u1 at time 1; u0 holds the `user` role.
fn setup(db: &Db) {
    db.store
        .write(|tx| {
            tx.create_role(&roles::default_roles().remove(0), false)?;
            tx.create_group("evens", &Map::new())?;
            for i in 0..10 {
                let name = format!("u{i}");
                tx.create_user(&NewUser::named(&name))?;
                tx.create_server(&name, "", None)?;
                if i % 2 == 0 {
                    tx.add_group_members("evens", &[name.as_str()])?;
                }
            }
            for name in ["u2", "u5", "u7"] {
                tx.set_server_address(name, "", Some(&Address::http("127.0.0.1", 9000, "/")))?;
            }
            tx.set_user_last_activity("u3", OffsetDateTime::from_unix_timestamp(3).unwrap())?;
            tx.set_user_last_activity("u1", OffsetDateTime::from_unix_timestamp(1).unwrap())?;
            tx.assign_role(Holder::User("u0"), "user", false)?;
            Ok(())
        })
        .unwrap();
}

fn names(db: &Db, query: &UserQuery<'_>) -> (Vec<String>, u64) {
    let page = db.store.read(|tx| tx.list_users(query)).unwrap();
    (
        page.users.into_iter().map(|d| d.user.name).collect(),
        page.total,
    )
}

#[test]
fn pages_filters_and_sorting() {
    each(|db| {
        setup(db);
        let q = UserQuery::default();
        assert_eq!(
            names(
                db,
                &UserQuery {
                    offset: 2,
                    limit: 3,
                    ..q
                }
            ),
            (vec!["u2".into(), "u3".into(), "u4".into()], 10),
            "{}",
            db.name
        );
        assert_eq!(
            names(
                db,
                &UserQuery {
                    state: Some(StateFilter::Active),
                    ..q
                }
            )
            .0,
            ["u2", "u5", "u7"]
        );
        assert_eq!(
            names(
                db,
                &UserQuery {
                    state: Some(StateFilter::Inactive),
                    limit: 2,
                    ..q
                }
            ),
            (vec!["u0".into(), "u1".into()], 7)
        );
        assert_eq!(
            names(
                db,
                &UserQuery {
                    name_filter: Some("U1"),
                    ..q
                }
            )
            .0,
            ["u1"],
            "case-insensitive"
        );
        // `_` is a wildcard, as in JupyterHub's ilike
        assert_eq!(
            names(
                db,
                &UserQuery {
                    name_filter: Some("_"),
                    ..q
                }
            )
            .1,
            10
        );
        assert_eq!(
            names(
                db,
                &UserQuery {
                    sort: SortKey::Name,
                    descending: true,
                    limit: 2,
                    ..q
                }
            )
            .0,
            ["u9", "u8"]
        );
        // never-active users first ascending, last descending
        let by_activity = names(
            db,
            &UserQuery {
                sort: SortKey::LastActivity,
                ..q
            },
        )
        .0;
        assert_eq!(&by_activity[8..], ["u1", "u3"]);
        let by_activity = names(
            db,
            &UserQuery {
                sort: SortKey::LastActivity,
                descending: true,
                limit: 2,
                ..q
            },
        )
        .0;
        assert_eq!(by_activity, ["u3", "u1"]);
        let visible = Visible {
            users: &["u1"],
            groups: &["evens"],
        };
        assert_eq!(
            names(
                db,
                &UserQuery {
                    visible: Some(visible),
                    state: Some(StateFilter::Inactive),
                    ..q
                }
            )
            .0,
            ["u0", "u1", "u4", "u6", "u8"]
        );
    });
}

#[test]
fn ready_is_active_then_the_hubs_post_filter() {
    each(|db| {
        setup(db);
        let mut page = db
            .store
            .read(|tx| {
                tx.list_users(&UserQuery {
                    state: Some(StateFilter::Ready),
                    ..Default::default()
                })
            })
            .unwrap();
        page.retain_ready(|user, _server| user.name != "u5");
        assert_eq!(
            page.users
                .iter()
                .map(|d| d.user.name.as_str())
                .collect::<Vec<_>>(),
            ["u2", "u7"]
        );
        assert_eq!(
            page.total, 3,
            "total counts the active users, as in JupyterHub"
        );
    });
}

#[test]
fn details_come_with_the_page() {
    each(|db| {
        setup(db);
        let page = db
            .store
            .read(|tx| {
                tx.list_users(&UserQuery {
                    limit: 3,
                    ..Default::default()
                })
            })
            .unwrap();
        let u0 = &page.users[0];
        assert_eq!(
            (u0.roles.as_slice(), u0.groups.as_slice()),
            (&["user".to_owned()][..], &["evens".to_owned()][..])
        );
        assert_eq!(page.users[1].groups, Vec::<String>::new());
        assert!(page.users[2].servers[0].address.is_some());
        let one = db.store.read(|tx| tx.user_details("u2")).unwrap();
        assert_eq!(one.servers.len(), 1);
        assert_eq!(one.groups, ["evens"]);
    });
}

/// bob: roles `zeta` then `alpha` (created in that order), groups `b-team` and `a-team`
/// (joined in that order), servers `x`, `` and `a`; shares received, in id order: alice/x
/// directly, alice/ through `a-team`, carol/ directly, carol/x through `b-team`, and none
/// through a group he is not in. carol: the `alpha` role, `b-team`.
fn setup_rich(db: &Db) {
    use sharing::{Recipient, SharedServer, Timestamp, grant};
    let now = Timestamp::from_unix_seconds(1_700_000_000).unwrap();
    db.store
        .write(|tx| {
            for name in ["alice", "bob", "carol", "dave"] {
                tx.create_user(&NewUser::named(name))?;
            }
            for role in ["zeta", "alpha"] {
                tx.create_role(
                    &roles::Role {
                        name: role.to_owned(),
                        description: None,
                        scopes: Default::default(),
                    },
                    false,
                )?;
            }
            tx.assign_role(Holder::User("bob"), "zeta", false)?;
            tx.assign_role(Holder::User("bob"), "alpha", false)?;
            tx.assign_role(Holder::User("carol"), "alpha", false)?;
            for group in ["b-team", "a-team", "c-team"] {
                tx.create_group(group, &Map::new())?;
            }
            tx.add_group_members("b-team", &["bob", "carol"])?;
            tx.add_group_members("a-team", &["bob"])?;
            tx.add_group_members("c-team", &["dave"])?;
            for (user, server) in [("bob", "x"), ("bob", ""), ("bob", "a")] {
                tx.create_server(user, server, None)?;
            }
            for (user, server) in [("alice", "x"), ("alice", ""), ("carol", ""), ("carol", "x")] {
                tx.create_server(user, server, None)?;
            }
            tx.set_server_address("bob", "a", Some(&Address::http("127.0.0.1", 9001, "/")))?;
            for (owner, server, recipient) in [
                ("alice", "x", Recipient::User("bob".into())),
                ("alice", "", Recipient::Group("a-team".into())),
                ("alice", "", Recipient::Group("c-team".into())),
                ("carol", "", Recipient::User("bob".into())),
                ("carol", "x", Recipient::Group("b-team".into())),
            ] {
                let server = SharedServer::new(owner, server);
                tx.put_share(&grant(None, &server, &recipient, None, now).unwrap().share)?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn one_users_details_are_complete_and_in_order() {
    use sharing::Recipient;
    each(|db| {
        setup_rich(db);
        let bob = db.store.read(|tx| tx.user_details("bob")).unwrap();
        assert_eq!(bob.user.name, "bob");
        assert_eq!(bob.roles, ["zeta", "alpha"], "{}: by role id", db.name);
        assert_eq!(bob.groups, ["a-team", "b-team"], "{}: by name", db.name);
        let servers: Vec<_> = bob.servers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(servers, ["", "a", "x"], "{}", db.name);
        assert!(bob.servers.iter().all(|s| s.user == "bob"));
        assert_eq!(
            bob.servers
                .iter()
                .map(|s| s.address.is_some())
                .collect::<Vec<_>>(),
            [false, true, false]
        );
        let shares: Vec<_> = bob
            .shares_received
            .iter()
            .map(|s| (s.share.server.to_string(), s.share.recipient.clone()))
            .collect();
        assert_eq!(
            shares,
            [
                ("alice/x".to_owned(), Recipient::User("bob".into())),
                ("alice/".to_owned(), Recipient::Group("a-team".into())),
                ("carol/".to_owned(), Recipient::User("bob".into())),
                ("carol/x".to_owned(), Recipient::Group("b-team".into())),
            ],
            "{}",
            db.name
        );
        assert!(
            bob.shares_received.windows(2).all(|w| w[0].id < w[1].id),
            "{}: by id",
            db.name
        );
        // the same shares, the same way, as shares_received gives them
        let received = db.store.read(|tx| tx.shares_received("bob")).unwrap();
        assert_eq!(received, bob.shares_received);

        let alice = db.store.read(|tx| tx.user_details("alice")).unwrap();
        assert!(alice.roles.is_empty() && alice.groups.is_empty());
        assert!(alice.shares_received.is_empty());
        assert_eq!(alice.servers.len(), 2);
        let err = db.store.read(|tx| tx.user_details("nobody")).unwrap_err();
        assert!(
            matches!(
                err,
                store::StoreError::NotFound {
                    kind: store::Kind::User,
                    ..
                }
            ),
            "{err:?}"
        );
    });
}

#[test]
fn a_pages_details_are_each_users_details_without_shares() {
    each(|db| {
        setup_rich(db);
        for sort in [SortKey::Id, SortKey::Name] {
            let page = db
                .store
                .read(|tx| {
                    tx.list_users(&UserQuery {
                        sort,
                        descending: true,
                        ..Default::default()
                    })
                })
                .unwrap();
            assert_eq!(page.users.len(), 4, "{}", db.name);
            for listed in page.users {
                let mut one = db
                    .store
                    .read(|tx| tx.user_details(&listed.user.name))
                    .unwrap();
                one.shares_received.clear();
                assert_eq!(listed, one, "{}: {sort:?}", db.name);
            }
        }
    });
}
