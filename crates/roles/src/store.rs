//! The roles that exist (what JupyterHub keeps in its `roles` table), by name.

use std::collections::BTreeMap;

use crate::role::{Role, default_roles};

/// The roles that exist, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleStore {
    roles: BTreeMap<String, Role>,
}

impl RoleStore {
    /// No roles at all.
    pub fn new() -> RoleStore {
        RoleStore::default()
    }

    /// JupyterHub's four default roles.
    pub fn with_defaults() -> RoleStore {
        default_roles().into_iter().collect()
    }

    /// The role named `name`.
    pub fn get(&self, name: &str) -> Option<&Role> {
        self.roles.get(name)
    }

    /// Adds or replaces a role.
    pub fn insert(&mut self, role: Role) {
        self.roles.insert(role.name.clone(), role);
    }

    /// Removes a role, returning it.
    pub fn remove(&mut self, name: &str) -> Option<Role> {
        self.roles.remove(name)
    }

    /// The roles, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }

    /// The role names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.roles.keys().map(String::as_str)
    }
}

impl FromIterator<Role> for RoleStore {
    fn from_iter<I: IntoIterator<Item = Role>>(roles: I) -> RoleStore {
        RoleStore {
            roles: roles.into_iter().map(|r| (r.name.clone(), r)).collect(),
        }
    }
}
