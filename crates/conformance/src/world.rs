//! The `world` of a vector file (FORMAT.md §2): the users, groups, services, roles, servers
//! and OAuth clients that vectors refer to, with the lookups the runner needs.

use std::collections::BTreeMap;

use scopes::{ClientTarget, GroupMembership, OAuthClient, Owner, Resource};
use serde::Deserialize;
use serde_json::Value;

use crate::error::RunError;

/// A world user.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct User {
    /// The `admin` flag.
    #[serde(default)]
    pub admin: bool,
    /// Roles held directly.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Group memberships.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// A world group.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Group {
    /// Members.
    #[serde(default)]
    pub users: Vec<String>,
    /// Roles of the group.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A world service.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Service {
    /// Roles of the service.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A world role.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Role {
    /// Raw scopes, in stored order.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// The fixture of a vector file.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct World {
    /// Users by name.
    #[serde(default)]
    pub users: BTreeMap<String, User>,
    /// Groups by name.
    #[serde(default)]
    pub groups: BTreeMap<String, Group>,
    /// Services by name.
    #[serde(default)]
    pub services: BTreeMap<String, Service>,
    /// Roles by name.
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
    /// Servers as `USER/SERVER`.
    #[serde(default)]
    pub spawners: Vec<String>,
    /// OAuth clients by identifier: `null`, `{"spawner": "u/s"}` or `{"service": name}`.
    #[serde(default)]
    pub oauth_clients: BTreeMap<String, Value>,
}

impl World {
    /// The owner a vector names (`{"kind": "user" | "service", "name": N}`), or none.
    pub fn owner<'w>(&self, owner: &'w Value) -> Result<Option<Owner<'w>>, RunError> {
        if owner.is_null() {
            return Ok(None);
        }
        let name = owner.get("name").and_then(Value::as_str);
        match (owner.get("kind").and_then(Value::as_str), name) {
            (Some("user"), Some(name)) if self.users.contains_key(name) => {
                Ok(Some(Owner::User(name)))
            }
            (Some("service"), Some(name)) if self.services.contains_key(name) => {
                Ok(Some(Owner::Service(name)))
            }
            _ => Err(RunError::bad_input(format!(
                "owner {owner} is not a user or service of the world"
            ))),
        }
    }

    /// An OAuth client descriptor (FORMAT.md §3): `null`, `{"spawner": "u/s"}`,
    /// `{"service": name}` or `{"identifier": id}`.
    pub fn client<'w>(
        &'w self,
        descriptor: &'w Value,
    ) -> Result<Option<OAuthClient<'w>>, RunError> {
        if descriptor.is_null() {
            return Ok(None);
        }
        let bad = || RunError::bad_input(format!("OAuth client {descriptor} is not in the world"));
        if let Some(server) = descriptor.get("spawner").and_then(Value::as_str) {
            let (user, name) = self.server(server)?;
            let identifier = self
                .oauth_clients
                .iter()
                .find(|(_, target)| target.get("spawner").and_then(Value::as_str) == Some(server))
                .map(|(id, _)| id.as_str())
                .ok_or_else(bad)?;
            return Ok(Some(OAuthClient {
                identifier,
                target: ClientTarget::Server { user, server: name },
            }));
        }
        if let Some(service) = descriptor.get("service").and_then(Value::as_str) {
            let identifier = self
                .oauth_clients
                .iter()
                .find(|(_, target)| target.get("service").and_then(Value::as_str) == Some(service))
                .map(|(id, _)| id.as_str())
                .ok_or_else(bad)?;
            return Ok(Some(OAuthClient {
                identifier,
                target: ClientTarget::Service(service),
            }));
        }
        if let Some(identifier) = descriptor.get("identifier").and_then(Value::as_str) {
            let (identifier, target) = self
                .oauth_clients
                .get_key_value(identifier)
                .ok_or_else(bad)?;
            let target = match (
                target.get("spawner").and_then(Value::as_str),
                target.get("service").and_then(Value::as_str),
            ) {
                (Some(server), _) => {
                    let (user, server) = self.server(server)?;
                    ClientTarget::Server { user, server }
                }
                (None, Some(service)) => ClientTarget::Service(service),
                (None, None) => ClientTarget::Hub,
            };
            return Ok(Some(OAuthClient { identifier, target }));
        }
        Err(bad())
    }

    /// The OAuth client attached to the world server `user/name`, if there is one.
    pub fn server_client<'w>(&'w self, user: &'w str, name: &'w str) -> Option<OAuthClient<'w>> {
        let identifier = self
            .oauth_clients
            .iter()
            .find(|(_, target)| {
                target
                    .get("spawner")
                    .and_then(Value::as_str)
                    .and_then(|s| s.split_once('/'))
                    == Some((user, name))
            })
            .map(|(id, _)| id.as_str())?;
        Some(OAuthClient {
            identifier,
            target: ClientTarget::Server { user, server: name },
        })
    }

    /// A world server `USER/SERVER`, split.
    pub fn server<'s>(&self, server: &'s str) -> Result<(&'s str, &'s str), RunError> {
        if !self.spawners.iter().any(|s| s == server) {
            return Err(RunError::bad_input(format!(
                "server `{server}` is not in the world"
            )));
        }
        server
            .split_once('/')
            .ok_or_else(|| RunError::bad_input(format!("server `{server}` is not USER/SERVER")))
    }

    /// The names of a user's groups.
    pub fn groups_of(&self, user: &str) -> Vec<&str> {
        self.users
            .get(user)
            .map(|u| u.groups.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// A resource reference (`user:N`, `server:U/S`, `group:N`, `service:N`) resolved, with
    /// the group facts the check needs kept in `groups`.
    pub fn resource<'w>(
        &'w self,
        reference: &'w str,
        groups: &'w mut Vec<&'w str>,
    ) -> Result<Resource<'w>, RunError> {
        let bad = || RunError::bad_input(format!("resource `{reference}` is not in the world"));
        let (kind, name) = reference.split_once(':').ok_or_else(bad)?;
        match kind {
            "user" if self.users.contains_key(name) => {
                *groups = self.groups_of(name);
                Ok(Resource::User { name, groups })
            }
            "server" => {
                let (user, server) = self.server(name)?;
                *groups = self.groups_of(user);
                Ok(Resource::Server {
                    user,
                    name: server,
                    user_groups: groups,
                })
            }
            "group" if self.groups.contains_key(name) => Ok(Resource::Group { name }),
            "service" if self.services.contains_key(name) => Ok(Resource::Service { name }),
            _ => Err(bad()),
        }
    }
}

/// Group membership from the world: what JupyterHub reads from the database with `db=SESSION`.
impl GroupMembership for World {
    fn is_member(&self, user: &str, group: &str) -> bool {
        self.users
            .get(user)
            .is_some_and(|u| u.groups.iter().any(|g| g == group))
            || self
                .groups
                .get(group)
                .is_some_and(|g| g.users.iter().any(|u| u == user))
    }
}
