//! What a hub does with `load_roles` at start-up (JupyterHub's `init_role_creation` and
//! `init_role_assignment`), as one pure function from the stored roles and assignments to the
//! new ones, with the log lines JupyterHub would write.
//!
//! Roles:
//! - default roles are always present; a config entry for one is merged over the default (a
//!   missing key keeps the default); `extra_user_scopes` extend the `user` role unless config
//!   overrides its scopes;
//! - stored roles that config no longer defines are deleted;
//! - every role is then created or updated with `create_role` (missing attributes reset).
//!
//! Assignments (only for roles listed in config):
//! - a listed `users`/`groups`/`services` key sets the members exactly (users and groups are
//!   created if missing; an unknown service is an error); an absent key clears them, except the
//!   `users` of the `user` role, which the authenticator may manage;
//! - `admin_users` are merged into a configured `admin` role;
//! - `allowed_users` that exist get the `user` role;
//! - the `admin` flag and the `admin` role are brought in line: holding the role sets the
//!   flag; a flagged user outside the role loses the flag if config lists the admin role's
//!   members, and gains the role otherwise.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use scopes::ScopeTable;
use serde_json::{Map, Value};

use crate::config::RoleSpec;
use crate::create::{CreateNote, CreateRoleError, create_role};
use crate::role::default_roles;
use crate::store::RoleStore;

/// A user or service as role assignment sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bearer {
    /// The `admin` flag.
    pub admin: bool,
    /// The names of the roles assigned to it.
    pub roles: BTreeSet<String>,
}

/// Who holds which roles.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assignments {
    /// Users by name.
    pub users: BTreeMap<String, Bearer>,
    /// Services by name (services are defined by config, never created here).
    pub services: BTreeMap<String, Bearer>,
    /// Groups by name, with their roles.
    pub groups: BTreeMap<String, BTreeSet<String>>,
}

/// The settings besides `load_roles` that take part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadSettings<'a> {
    /// `JupyterHub.extra_user_scopes`.
    pub extra_user_scopes: &'a [String],
    /// `Authenticator.admin_users` (normalized names).
    pub admin_users: &'a BTreeSet<String>,
    /// `Authenticator.allowed_users` (normalized names).
    pub allowed_users: &'a BTreeSet<String>,
}

/// What loading did, as JupyterHub logs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadNote {
    /// The `user` role's scopes are overridden, so `extra_user_scopes` are ignored.
    ExtraUserScopesIgnored {
        /// The configured scopes.
        scopes: Vec<String>,
    },
    /// The `user` role is overridden without `self`.
    UserRoleWithoutSelf {
        /// The configured scopes.
        scopes: Vec<String>,
    },
    /// A stored role gained scopes.
    ExtraPermissions {
        /// The role.
        role: String,
    },
    /// A stored role that config no longer defines was deleted.
    DeletedRole {
        /// The role.
        role: String,
    },
    /// A role has no scopes.
    NoScopes {
        /// The role.
        role: String,
    },
    /// A user named in a role was created.
    CreatedUser {
        /// The user.
        name: String,
        /// The role naming it.
        role: String,
    },
    /// A group named in a role was created.
    CreatedGroup {
        /// The group.
        name: String,
        /// The role naming it.
        role: String,
    },
    /// `admin_users` were merged into the configured admin role.
    AdminUsersMerged,
    /// The admin flag was set.
    SetAdmin {
        /// `User` or `Service`.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// The admin flag was removed.
    RemovedAdmin {
        /// `User` or `Service`.
        kind: &'static str,
        /// Its name.
        name: String,
    },
}

impl fmt::Display for LoadNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |s: &[String]| {
            let items: Vec<String> = s.iter().map(|x| format!("'{x}'")).collect();
            format!("[{}]", items.join(", "))
        };
        match self {
            LoadNote::ExtraUserScopesIgnored { scopes } => write!(
                f,
                "user role overridden with scopes={}, extra_user_scopes will be ignored.",
                list(scopes)
            ),
            LoadNote::UserRoleWithoutSelf { scopes } => write!(
                f,
                "user role overridden with scopes={}, which does not include 'self', users may lack necessary permissions. Consider setting `c.JupyterHub.extra_user_scopes` to add user permissions.",
                list(scopes)
            ),
            LoadNote::ExtraPermissions { role } => {
                write!(f, "Role {role} has obtained extra permissions")
            }
            LoadNote::DeletedRole { role } => write!(f, "Deleting role {role}"),
            LoadNote::NoScopes { role } => write!(f, "Role {role} will have no scopes"),
            LoadNote::CreatedUser { name, role } => {
                write!(f, "Creating user {name} found in role: {role}")
            }
            LoadNote::CreatedGroup { name, role } => {
                write!(f, "Creating group {name} found in role: {role}")
            }
            LoadNote::AdminUsersMerged => write!(
                f,
                "Configuration specifies both admin_users and users in the admin role specification. If admin role is present in config, c.Authenticator.admin_users should not be used."
            ),
            LoadNote::SetAdmin { kind, name } => write!(f, "Setting admin=True on {kind} {name}"),
            LoadNote::RemovedAdmin { kind, name } => {
                write!(f, "Removing admin=True from {kind} {name}")
            }
        }
    }
}

/// Why loading stopped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// A role names a service that is not defined.
    #[error(
        "Found undefined service {service} in role {role}. Define it first in c.JupyterHub.services."
    )]
    UndefinedService {
        /// The service.
        service: String,
        /// The role.
        role: String,
    },
    /// A role definition was refused.
    #[error(transparent)]
    Create(#[from] CreateRoleError),
}

/// The outcome of [`load_roles`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// The roles now.
    pub roles: RoleStore,
    /// The assignments now.
    pub assignments: Assignments,
    /// What happened, in order.
    pub notes: Vec<LoadNote>,
}

/// Applies `specs` (checked by [`crate::parse_load_roles`]) to the stored roles and
/// assignments, as JupyterHub does at start-up.
pub fn load_roles(
    table: &ScopeTable,
    stored: &RoleStore,
    assignments: Assignments,
    specs: &[RoleSpec],
    settings: LoadSettings<'_>,
) -> Result<Loaded, LoadError> {
    let mut notes = Vec::new();
    let roles = create_roles(table, stored, specs, settings, &mut notes)?;
    let assignments = assign(assignments, specs, settings, &mut notes)?;
    Ok(Loaded {
        roles,
        assignments,
        notes,
    })
}

fn create_roles(
    table: &ScopeTable,
    stored: &RoleStore,
    specs: &[RoleSpec],
    settings: LoadSettings<'_>,
    notes: &mut Vec<LoadNote>,
) -> Result<RoleStore, LoadError> {
    let mut defaults: Vec<Map<String, Value>> = default_roles()
        .into_iter()
        .map(|mut role| {
            if role.name == "user" {
                role.scopes
                    .extend(settings.extra_user_scopes.iter().cloned());
            }
            let mut map = Map::new();
            map.insert("name".into(), Value::from(role.name));
            map.insert("description".into(), Value::from(role.description));
            map.insert("scopes".into(), Value::from(role.scopes));
            map
        })
        .collect();
    let mut configured = Vec::new();
    for spec in specs {
        if spec.name == "user" {
            if let Some(scopes) = &spec.scopes {
                if !settings.extra_user_scopes.is_empty() {
                    notes.push(LoadNote::ExtraUserScopesIgnored {
                        scopes: scopes.clone(),
                    });
                }
                if !scopes.iter().any(|s| s == "self") {
                    notes.push(LoadNote::UserRoleWithoutSelf {
                        scopes: scopes.clone(),
                    });
                }
            }
        }
        let mut map = match defaults
            .iter()
            .position(|d| d.get("name").and_then(Value::as_str) == Some(spec.name.as_str()))
        {
            Some(at) => defaults.remove(at),
            None => Map::new(),
        };
        map.insert("name".into(), Value::from(spec.name.clone()));
        if let Some(description) = &spec.description {
            map.insert("description".into(), Value::from(description.clone()));
        }
        if let Some(scopes) = &spec.scopes {
            map.insert("scopes".into(), Value::from(scopes.clone()));
        }
        if let Some(old) = stored.get(&spec.name) {
            let new_scopes = spec.scopes.as_deref().unwrap_or_default();
            if !new_scopes.iter().all(|s| old.scopes.contains(s)) {
                notes.push(LoadNote::ExtraPermissions {
                    role: spec.name.clone(),
                });
            }
        }
        configured.push(map);
    }
    let all: Vec<Map<String, Value>> = defaults.into_iter().chain(configured).collect();
    let keep: BTreeSet<&str> = all
        .iter()
        .filter_map(|m| m.get("name").and_then(Value::as_str))
        .collect();
    let mut roles = stored.clone();
    for name in stored.names() {
        if !keep.contains(name) {
            notes.push(LoadNote::DeletedRole {
                role: name.to_owned(),
            });
            roles.remove(name);
        }
    }
    for definition in &all {
        let (_, created) = create_role(&mut roles, table, definition, true)?;
        notes.extend(created.into_iter().map(|note| match note {
            CreateNote::NoScopes { role } => LoadNote::NoScopes { role },
        }));
    }
    Ok(roles)
}

/// Which members a role gets of one kind.
enum Members<'a> {
    Exactly(&'a [String]),
    Keep,
    Clear,
}

/// A listed key sets the members exactly; an absent one clears them, or keeps them where
/// another party manages them.
fn members(list: Option<&[String]>, keep_when_absent: bool) -> Members<'_> {
    match list {
        Some(names) => Members::Exactly(names),
        None if keep_when_absent => Members::Keep,
        None => Members::Clear,
    }
}

fn assign(
    mut assignments: Assignments,
    specs: &[RoleSpec],
    settings: LoadSettings<'_>,
    notes: &mut Vec<LoadNote>,
) -> Result<Assignments, LoadError> {
    // `admin_users` join the members of a configured admin role.
    let admin_users_merged: Option<Vec<String>> = specs
        .iter()
        .find(|spec| spec.name == "admin")
        .filter(|_| !settings.admin_users.is_empty())
        .map(|spec| {
            let mut merged: BTreeSet<String> = spec.users.iter().flatten().cloned().collect();
            merged.extend(settings.admin_users.iter().cloned());
            merged.into_iter().collect()
        });
    if admin_users_merged.is_some() {
        notes.push(LoadNote::AdminUsersMerged);
    }
    let mut admin_spec_lists = (false, false);
    for spec in specs {
        let role = spec.name.as_str();
        let mut users = spec.users.as_deref();
        if role == "admin" {
            if let Some(merged) = &admin_users_merged {
                users = Some(merged);
            }
            admin_spec_lists = (users.is_some(), spec.services.is_some());
        }
        assign_bearers(
            &mut assignments.users,
            role,
            members(users, role == "user"),
            true,
            notes,
        )?;
        assign_bearers(
            &mut assignments.services,
            role,
            members(spec.services.as_deref(), false),
            false,
            notes,
        )?;
        match members(spec.groups.as_deref(), false) {
            Members::Exactly(names) => {
                for name in names {
                    if !assignments.groups.contains_key(name) {
                        notes.push(LoadNote::CreatedGroup {
                            name: name.clone(),
                            role: role.to_owned(),
                        });
                        assignments.groups.insert(name.clone(), BTreeSet::new());
                    }
                }
                for (name, roles) in &mut assignments.groups {
                    set_membership(roles, role, names.contains(name));
                }
            }
            Members::Clear => {
                for roles in assignments.groups.values_mut() {
                    roles.remove(role);
                }
            }
            Members::Keep => {}
        }
    }
    for name in settings.allowed_users {
        if let Some(user) = assignments.users.get_mut(name) {
            user.roles.insert("user".to_owned());
        }
    }
    sync_admin(&mut assignments.users, "User", admin_spec_lists.0, notes);
    sync_admin(
        &mut assignments.services,
        "Service",
        admin_spec_lists.1,
        notes,
    );
    Ok(assignments)
}

fn assign_bearers(
    bearers: &mut BTreeMap<String, Bearer>,
    role: &str,
    members: Members<'_>,
    create_missing: bool,
    notes: &mut Vec<LoadNote>,
) -> Result<(), LoadError> {
    match members {
        Members::Keep => Ok(()),
        Members::Clear => {
            for bearer in bearers.values_mut() {
                bearer.roles.remove(role);
            }
            Ok(())
        }
        Members::Exactly(names) => {
            for name in names {
                if bearers.contains_key(name) {
                    continue;
                }
                if !create_missing {
                    return Err(LoadError::UndefinedService {
                        service: name.clone(),
                        role: role.to_owned(),
                    });
                }
                notes.push(LoadNote::CreatedUser {
                    name: name.clone(),
                    role: role.to_owned(),
                });
                // A new user gets the default roles.
                let mut roles = BTreeSet::new();
                roles.insert("user".to_owned());
                bearers.insert(
                    name.clone(),
                    Bearer {
                        admin: false,
                        roles,
                    },
                );
            }
            for (name, bearer) in bearers.iter_mut() {
                let member = names.contains(name);
                set_membership(&mut bearer.roles, role, member);
                if member && role == "admin" {
                    bearer.admin = true;
                }
            }
            Ok(())
        }
    }
}

fn set_membership(roles: &mut BTreeSet<String>, role: &str, member: bool) {
    if member {
        roles.insert(role.to_owned());
    } else {
        roles.remove(role);
    }
}

fn sync_admin(
    bearers: &mut BTreeMap<String, Bearer>,
    kind: &'static str,
    config_lists_admins: bool,
    notes: &mut Vec<LoadNote>,
) {
    for (name, bearer) in bearers.iter_mut() {
        let in_role = bearer.roles.contains("admin");
        if in_role && !bearer.admin {
            notes.push(LoadNote::SetAdmin {
                kind,
                name: name.clone(),
            });
            bearer.admin = true;
        } else if bearer.admin && !in_role {
            if config_lists_admins {
                notes.push(LoadNote::RemovedAdmin {
                    kind,
                    name: name.clone(),
                });
                bearer.admin = false;
            } else {
                bearer.roles.insert("admin".to_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> RoleSpec {
        RoleSpec {
            name: name.to_owned(),
            ..RoleSpec::default()
        }
    }

    fn user(admin: bool, roles: &[&str]) -> Bearer {
        Bearer {
            admin,
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    fn load(stored: &RoleStore, assignments: Assignments, specs: &[RoleSpec]) -> Loaded {
        let empty = BTreeSet::new();
        load_roles(
            &ScopeTable::jupyterhub(),
            stored,
            assignments,
            specs,
            LoadSettings {
                extra_user_scopes: &[],
                admin_users: &empty,
                allowed_users: &empty,
            },
        )
        .unwrap()
    }

    #[test]
    fn defaults_exist_and_stale_roles_go() {
        let mut stored = RoleStore::with_defaults();
        stored.insert(crate::Role {
            name: "old".into(),
            description: None,
            scopes: vec!["read:users".into()],
        });
        let loaded = load(&stored, Assignments::default(), &[]);
        let names: Vec<&str> = loaded.roles.names().collect();
        assert_eq!(names, ["admin", "server", "token", "user"]);
        assert!(
            loaded
                .notes
                .contains(&LoadNote::DeletedRole { role: "old".into() })
        );
    }

    #[test]
    fn a_default_override_merges_with_the_default() {
        let mut server = spec("server");
        server.scopes = Some(vec!["inherit".into()]);
        let loaded = load(
            &RoleStore::with_defaults(),
            Assignments::default(),
            &[server],
        );
        let role = loaded.roles.get("server").unwrap();
        assert_eq!(role.scopes, ["inherit"]);
        assert_eq!(role.description.as_deref(), Some("Post activity only"));
        assert!(loaded.notes.contains(&LoadNote::ExtraPermissions {
            role: "server".into()
        }));
    }

    #[test]
    fn members_are_exact_and_admins_follow_the_role() {
        let mut assignments = Assignments::default();
        assignments
            .users
            .insert("alice".into(), user(false, &["user", "readers"]));
        assignments
            .users
            .insert("carol".into(), user(true, &["user"]));
        assignments.services.insert("svc".into(), user(false, &[]));
        let mut readers = spec("readers");
        readers.scopes = Some(vec!["read:users".into()]);
        readers.users = Some(vec!["bob".into()]);
        readers.services = Some(vec!["svc".into()]);
        let loaded = load(&RoleStore::with_defaults(), assignments, &[readers]);
        let users = &loaded.assignments.users;
        assert!(!users["alice"].roles.contains("readers"));
        assert!(users["bob"].roles.contains("readers") && users["bob"].roles.contains("user"));
        assert!(loaded.assignments.services["svc"].roles.contains("readers"));
        // carol is flagged admin and config does not list the admin role: she gains it.
        assert!(users["carol"].roles.contains("admin"));
        assert!(loaded.notes.contains(&LoadNote::CreatedUser {
            name: "bob".into(),
            role: "readers".into()
        }));
    }

    #[test]
    fn a_configured_admin_list_removes_other_admins() {
        let mut assignments = Assignments::default();
        assignments
            .users
            .insert("carol".into(), user(true, &["user", "admin"]));
        let mut admin = spec("admin");
        admin.users = Some(vec!["dave".into()]);
        let loaded = load(&RoleStore::with_defaults(), assignments, &[admin]);
        let users = &loaded.assignments.users;
        assert!(users["dave"].admin && users["dave"].roles.contains("admin"));
        assert!(!users["carol"].admin && !users["carol"].roles.contains("admin"));
        assert!(loaded.notes.contains(&LoadNote::RemovedAdmin {
            kind: "User",
            name: "carol".into()
        }));
    }

    #[test]
    fn an_undefined_service_is_an_error() {
        let mut role = spec("readers");
        role.services = Some(vec!["ghost".into()]);
        let empty = BTreeSet::new();
        let err = load_roles(
            &ScopeTable::jupyterhub(),
            &RoleStore::with_defaults(),
            Assignments::default(),
            &[role],
            LoadSettings {
                extra_user_scopes: &[],
                admin_users: &empty,
                allowed_users: &empty,
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Found undefined service ghost in role readers. Define it first in c.JupyterHub.services."
        );
    }
}
