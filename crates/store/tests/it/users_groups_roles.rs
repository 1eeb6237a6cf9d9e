use roles::{Holder, Role};
use serde_json::{Map, Value, json};
use store::{InvalidInput, Kind, NewService, NewUser, StoreError};

use crate::common::each;

fn props(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

#[test]
fn users_create_get_rename_delete() {
    each(|db| {
        let s = &db.store;
        let alice = s
            .write(|tx| {
                tx.create_user(&NewUser {
                    name: "alice",
                    admin: true,
                })
            })
            .unwrap();
        assert!(alice.admin, "{}", db.name);
        assert_eq!(alice.cookie_id.len(), 32);
        assert!(
            !format!("{alice:?}").contains(&alice.cookie_id),
            "Debug shows the cookie id"
        );
        let got = s.read(|tx| tx.user("alice")).unwrap();
        assert_eq!(got, alice, "{}", db.name);

        s.write(|tx| tx.rename_user("alice", "alicia")).unwrap();
        assert!(s.read(|tx| tx.find_user("alice")).unwrap().is_none());
        assert_eq!(s.read(|tx| tx.user("alicia")).unwrap().id, alice.id);

        s.write(|tx| tx.delete_user("alicia")).unwrap();
        let err = s.read(|tx| tx.user("alicia")).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    kind: Kind::User,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.to_string(), "user `alicia` not found");
    });
}

#[test]
fn duplicate_names_are_typed_errors() {
    each(|db| {
        let s = &db.store;
        s.write(|tx| tx.create_user(&NewUser::named("bob")))
            .unwrap();
        let err = s
            .write(|tx| tx.create_user(&NewUser::named("bob")))
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::AlreadyExists { kind: Kind::User, name } if name == "bob"),
            "{}: {err:?}",
            db.name
        );
        assert_eq!(err.to_string(), "user `bob` already exists");

        s.write(|tx| tx.create_user(&NewUser::named("carol")))
            .unwrap();
        let err = s.write(|tx| tx.rename_user("carol", "bob")).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::AlreadyExists {
                    kind: Kind::User,
                    ..
                }
            ),
            "{err}"
        );

        s.write(|tx| tx.create_group("g", &Map::new())).unwrap();
        let err = s.write(|tx| tx.create_group("g", &Map::new())).unwrap_err();
        assert_eq!(err.to_string(), "group `g` already exists");

        let role = Role {
            name: "readers".into(),
            description: None,
            scopes: vec!["self".into()],
        };
        s.write(|tx| tx.create_role(&role, false)).unwrap();
        let err = s.write(|tx| tx.create_role(&role, false)).unwrap_err();
        assert_eq!(err.to_string(), "role `readers` already exists");

        s.write(|tx| {
            tx.create_service(&NewService {
                name: "svc",
                ..Default::default()
            })
        })
        .unwrap();
        let err = s
            .write(|tx| {
                tx.create_service(&NewService {
                    name: "svc",
                    ..Default::default()
                })
            })
            .unwrap_err();
        assert_eq!(err.to_string(), "service `svc` already exists");
    });
}

#[test]
fn bad_names_are_refused_the_same_on_both_backends() {
    each(|db| {
        let s = &db.store;
        let long = "x".repeat(256);
        for (name, check) in [
            ("", "user name must not be empty"),
            ("a/b", "`/` is not allowed"),
            ("..", "dots only"),
            (" a", "start or end with space"),
            (
                long.as_str(),
                "256 characters long, more than the 255 allowed",
            ),
        ] {
            let err = s
                .write(|tx| tx.create_user(&NewUser::named(name)))
                .unwrap_err();
            assert!(
                matches!(err, StoreError::Invalid(_)),
                "{}: {name:?}: {err:?}",
                db.name
            );
            assert!(err.to_string().contains(check), "{}: {err}", db.name);
        }
        let err = s
            .write(|tx| {
                tx.create_service(&NewService {
                    name: "a%20b",
                    ..Default::default()
                })
            })
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("Services cannot have escaped names"),
            "{err}"
        );
        let bad_role = Role {
            name: "Bad Role".into(),
            description: None,
            scopes: vec![],
        };
        let err = s.write(|tx| tx.create_role(&bad_role, false)).unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid(InvalidInput::RoleName(_))),
            "{err:?}"
        );
        // nothing was written by the refused calls
        assert_eq!(
            s.read(|tx| tx.list_users(&Default::default()))
                .unwrap()
                .total,
            0
        );
    });
}

#[test]
fn groups_memberships_and_properties() {
    each(|db| {
        let s = &db.store;
        s.write(|tx| {
            for name in ["u1", "u2", "u3"] {
                tx.create_user(&NewUser::named(name))?;
            }
            tx.create_group("students", &props(json!({"course": "101"})))?;
            assert_eq!(tx.add_group_members("students", &["u1", "u2"])?, 2);
            // adding again is a no-op
            assert_eq!(tx.add_group_members("students", &["u2", "u3"])?, 1);
            Ok(())
        })
        .unwrap();
        assert_eq!(
            s.read(|tx| tx.group_members("students")).unwrap(),
            ["u1", "u2", "u3"]
        );
        assert_eq!(s.read(|tx| tx.user_groups("u1")).unwrap(), ["students"]);
        let group = s.read(|tx| tx.group("students")).unwrap();
        assert_eq!(Value::Object(group.properties), json!({"course": "101"}));

        // an unknown member fails the whole write: nothing is added
        let err = s.write(|tx| {
            tx.remove_group_members("students", &["u1"])?;
            tx.add_group_members("students", &["nobody"])
        });
        assert!(matches!(
            err,
            Err(StoreError::NotFound {
                kind: Kind::User,
                ..
            })
        ));
        assert_eq!(
            s.read(|tx| tx.group_members("students")).unwrap(),
            ["u1", "u2", "u3"]
        );

        s.write(|tx| tx.set_group_properties("students", &props(json!({"a": [1, 2]}))))
            .unwrap();
        s.write(|tx| tx.rename_group("students", "learners"))
            .unwrap();
        assert_eq!(
            Value::Object(s.read(|tx| tx.group("learners")).unwrap().properties),
            json!({"a": [1, 2]})
        );

        // deleting a user removes the membership (ON DELETE CASCADE)
        s.write(|tx| tx.delete_user("u2")).unwrap();
        assert_eq!(
            s.read(|tx| tx.group_members("learners")).unwrap(),
            ["u1", "u3"]
        );
        s.write(|tx| tx.delete_group("learners")).unwrap();
        assert!(s.read(|tx| tx.user_groups("u1")).unwrap().is_empty());
    });
}

#[test]
fn roles_and_assignments() {
    each(|db| {
        let s = &db.store;
        s.write(|tx| {
            for role in roles::default_roles() {
                tx.create_role(&role, false)?;
            }
            tx.create_user(&NewUser::named("ada"))?;
            tx.create_group("teachers", &Map::new())?;
            tx.create_service(&NewService {
                name: "culler",
                ..Default::default()
            })?;
            assert!(tx.assign_role(Holder::User("ada"), "admin", false)?);
            assert!(
                !tx.assign_role(Holder::User("ada"), "admin", true)?,
                "re-assigning updates only"
            );
            tx.assign_role(Holder::User("ada"), "user", false)?;
            tx.assign_role(Holder::Group("teachers"), "server", false)?;
            tx.assign_role(Holder::Service("culler"), "token", false)?;
            Ok(())
        })
        .unwrap();
        let roles = s.read(|tx| tx.list_roles()).unwrap();
        assert_eq!(
            roles.iter().map(|r| r.role.clone()).collect::<Vec<_>>(),
            roles::default_roles(),
            "{}",
            db.name
        );
        let held = s.read(|tx| tx.roles_of(Holder::User("ada"))).unwrap();
        let names: Vec<_> = held
            .iter()
            .map(|(r, a)| (r.role.name.as_str(), a.managed_by_auth))
            .collect();
        assert_eq!(names, [("user", false), ("admin", true)]);
        let holders = s.read(|tx| tx.role_holders("server")).unwrap();
        assert_eq!(holders.groups, ["teachers"]);
        assert_eq!(
            s.read(|tx| tx.role_holders("token")).unwrap().services,
            ["culler"]
        );

        let mut changed = roles::default_roles().remove(0);
        changed.scopes.push("read:users".into());
        s.write(|tx| tx.update_role(&changed)).unwrap();
        assert_eq!(
            s.read(|tx| tx.find_role("user")).unwrap().unwrap().role,
            changed
        );

        assert!(
            s.write(|tx| tx.unassign_role(Holder::User("ada"), "admin"))
                .unwrap()
        );
        assert!(
            !s.write(|tx| tx.unassign_role(Holder::User("ada"), "admin"))
                .unwrap()
        );
        // deleting a role deletes its assignments
        s.write(|tx| tx.delete_role("user")).unwrap();
        assert!(
            s.read(|tx| tx.roles_of(Holder::User("ada")))
                .unwrap()
                .is_empty()
        );
        s.write(|tx| tx.delete_service("culler")).unwrap();
        assert!(
            s.read(|tx| tx.role_holders("token"))
                .unwrap()
                .services
                .is_empty()
        );
    });
}

#[test]
fn user_fields_round_trip() {
    each(|db| {
        let s = &db.store;
        let when =
            time::OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        s.write(|tx| {
            tx.create_user(&NewUser::named("eve"))?;
            tx.set_user_last_activity("eve", when)?;
            tx.set_encrypted_auth_state("eve", Some(&[0, 1, 2, 255]))?;
            tx.set_user_info("eve", Some(&json!({"email": "eve@example.org"})))?;
            tx.set_user_admin("eve", true)
        })
        .unwrap();
        let before = s.read(|tx| tx.user("eve")).unwrap();
        assert_eq!(
            before.last_activity.unwrap().unix_timestamp_nanos(),
            1_700_000_000_123_456_000,
            "{}",
            db.name
        );
        assert_eq!(
            before.encrypted_auth_state.as_deref(),
            Some(&[0_u8, 1, 2, 255][..])
        );
        assert_eq!(before.user_info, Some(json!({"email": "eve@example.org"})));
        assert!(before.admin);
        assert!(
            !format!("{before:?}").contains("255"),
            "auth state bytes are not shown"
        );
        s.write(|tx| tx.reset_cookie_id("eve")).unwrap();
        assert_ne!(
            s.read(|tx| tx.user("eve")).unwrap().cookie_id,
            before.cookie_id
        );
    });
}

#[test]
fn ids_are_never_reused() {
    each(|db| {
        let s = &db.store;
        let first = s.write(|tx| tx.create_user(&NewUser::named("x"))).unwrap();
        s.write(|tx| tx.delete_user("x")).unwrap();
        let second = s.write(|tx| tx.create_user(&NewUser::named("x"))).unwrap();
        assert!(
            second.id > first.id,
            "{}: {} after {}",
            db.name,
            second.id,
            first.id
        );
    });
}
