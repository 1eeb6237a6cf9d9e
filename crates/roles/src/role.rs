//! A role: a name, a description and raw scopes; JupyterHub's four default roles.

use serde::{Deserialize, Serialize};

/// A role as JupyterHub stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// The role name (see [`crate::validate_role_name`]).
    pub name: String,
    /// A description for people; JupyterHub allows none.
    pub description: Option<String>,
    /// Raw (unexpanded) scopes, in the order they were given.
    pub scopes: Vec<String>,
}

impl Role {
    fn new(name: &str, description: &str, scopes: &[&str]) -> Role {
        Role {
            name: name.to_owned(),
            description: Some(description.to_owned()),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

/// The scopes of the default `admin` role, which config may not change.
pub const ADMIN_SCOPES: [&str; 16] = [
    "admin-ui",
    "admin:users",
    "admin:servers",
    "admin:services",
    "tokens",
    "admin:groups",
    "list:services",
    "read:services",
    "read:hub",
    "proxy",
    "shutdown",
    "access:services",
    "access:servers",
    "read:roles",
    "read:metrics",
    "shares",
];

/// The names of the default roles, in JupyterHub's order.
pub const DEFAULT_ROLE_NAMES: [&str; 4] = ["user", "admin", "server", "token"];

/// JupyterHub's default roles (`roles.get_default_roles()`), in its order:
///
/// - `user`: `self`;
/// - `admin`: everything but the metascopes;
/// - `server`: what a single-user server's own token needs (`users:activity!user`,
///   `access:servers!server`);
/// - `token`: `inherit`, the default for new API tokens.
pub fn default_roles() -> Vec<Role> {
    vec![
        Role::new("user", "Standard user privileges", &["self"]),
        Role::new(
            "admin",
            "Elevated privileges (can do anything)",
            &ADMIN_SCOPES,
        ),
        Role::new(
            "server",
            "Post activity only",
            &["users:activity!user", "access:servers!server"],
        ),
        Role::new(
            "token",
            "Token with same permissions as its owner",
            &["inherit"],
        ),
    ]
}

/// Whether `name` is one of the default roles.
pub fn is_default_role(name: &str) -> bool {
    DEFAULT_ROLE_NAMES.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_in_jupyterhubs_order_and_exist() {
        let table = scopes::ScopeTable::jupyterhub();
        let roles = default_roles();
        let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, DEFAULT_ROLE_NAMES);
        for role in &roles {
            table
                .check_exist(role.scopes.iter().map(String::as_str), None)
                .unwrap();
            assert!(is_default_role(&role.name));
        }
        assert!(!is_default_role("users"));
    }
}
