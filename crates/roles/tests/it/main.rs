//! Integration tests: start-up role loading as properties over random configurations.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests: a failing unwrap or index is a failing test"
)]

use std::collections::BTreeSet;

use proptest::prelude::*;
use roles::{Assignments, Bearer, LoadSettings, RoleSpec, RoleStore, load_roles};
use scopes::ScopeTable;

const USERS: [&str; 4] = ["alice", "bob", "carol", "dave"];
const ROLE_NAMES: [&str; 4] = ["readers", "user", "server", "admin"];
const SCOPES: [&str; 4] = ["read:users", "self", "list:users", "inherit"];

fn names(pool: &'static [&'static str]) -> impl Strategy<Value = Option<Vec<String>>> {
    proptest::option::of(
        proptest::sample::subsequence(pool, 0..=pool.len())
            .prop_map(|v| v.into_iter().map(str::to_owned).collect()),
    )
}

fn spec() -> impl Strategy<Value = RoleSpec> {
    (
        0..ROLE_NAMES.len(),
        names(&SCOPES),
        names(&USERS),
        names(&["staff", "guests"]),
    )
        .prop_map(|(at, scopes, users, groups)| {
            let name = ROLE_NAMES[at].to_owned();
            RoleSpec {
                // The admin role's scopes may not be changed: leave them out.
                scopes: if name == "admin" { None } else { scopes },
                name,
                users,
                groups,
                ..RoleSpec::default()
            }
        })
}

fn specs() -> impl Strategy<Value = Vec<RoleSpec>> {
    proptest::collection::vec(spec(), 0..4).prop_map(|mut specs| {
        // `parse_load_roles` refuses a role defined twice.
        let mut seen = BTreeSet::new();
        specs.retain(|s| seen.insert(s.name.clone()));
        specs
    })
}

fn assignments() -> impl Strategy<Value = Assignments> {
    proptest::collection::vec((any::<bool>(), names(&ROLE_NAMES)), USERS.len()).prop_map(|users| {
        let mut out = Assignments::default();
        for (name, (admin, roles)) in USERS.iter().zip(users) {
            out.users.insert(
                (*name).to_owned(),
                Bearer {
                    admin,
                    roles: roles.unwrap_or_default().into_iter().collect(),
                },
            );
        }
        out
    })
}

proptest! {
    #[test]
    fn loading_twice_changes_nothing_more(specs in specs(), before in assignments(), admins in names(&USERS)) {
        let table = ScopeTable::jupyterhub();
        let admin_users: BTreeSet<String> = admins.unwrap_or_default().into_iter().collect();
        let empty = BTreeSet::new();
        let settings = LoadSettings { extra_user_scopes: &[], admin_users: &admin_users, allowed_users: &empty };
        let once = load_roles(&table, &RoleStore::with_defaults(), before, &specs, settings).unwrap();
        let twice = load_roles(&table, &once.roles, once.assignments.clone(), &specs, settings).unwrap();
        prop_assert_eq!(&twice.roles, &once.roles);
        prop_assert_eq!(&twice.assignments, &once.assignments);
    }

    #[test]
    fn listed_members_hold_the_role_exactly(specs in specs(), before in assignments()) {
        let table = ScopeTable::jupyterhub();
        let empty = BTreeSet::new();
        let settings = LoadSettings { extra_user_scopes: &[], admin_users: &empty, allowed_users: &empty };
        let loaded = load_roles(&table, &RoleStore::with_defaults(), before, &specs, settings).unwrap();
        for spec in &specs {
            if let Some(users) = &spec.users {
                for (name, bearer) in &loaded.assignments.users {
                    let listed = users.contains(name);
                    // Users who are flagged admin may gain the admin role without being listed
                    // only when config does not list the admin role's members: here it does.
                    prop_assert_eq!(bearer.roles.contains(&spec.name), listed, "{} in {}", name, spec.name);
                }
            }
        }
        // The admin flag and the admin role always agree after loading.
        for bearer in loaded.assignments.users.values() {
            prop_assert_eq!(bearer.admin, bearer.roles.contains("admin"));
        }
        // Every default role exists, whatever the config.
        for name in roles::DEFAULT_ROLE_NAMES {
            prop_assert!(loaded.roles.get(name).is_some());
        }
    }
}
