//! Who shares what with whom: the [`SharedServer`] (an owner's named server) and the
//! [`Recipient`] (a user or a group, by name).
//!
//! These are names, not database rows: the store maps them to ids. JupyterHub's shares follow
//! renames of the owner and the server ([`crate::Share::current_scopes`]), so a name here is
//! always the current one.

use std::fmt;
use std::str::FromStr;

use scopes::{ClientTarget, FilterKind, OAuthClient, Owner, Scope};
use serde::{Deserialize, Serialize};

/// A server that is (or may be) shared: its owner's user name and its server name (`""` for
/// the default server). JupyterHub writes it `owner/name`, so the default server of `alice` is
/// `alice/`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SharedServer {
    /// The owner's user name.
    pub owner: String,
    /// The server name; `""` for the default server.
    pub name: String,
}

impl SharedServer {
    /// The server `name` of user `owner`.
    pub fn new(owner: impl Into<String>, name: impl Into<String>) -> SharedServer {
        SharedServer {
            owner: owner.into(),
            name: name.into(),
        }
    }

    /// Splits `owner/name` at the first `/` (the notation of JupyterHub's server filters and
    /// of the conformance vectors). `None` without a `/`.
    pub fn from_full_name(full_name: &str) -> Option<SharedServer> {
        let (owner, name) = full_name.split_once('/')?;
        Some(SharedServer::new(owner, name))
    }

    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// The filter every scope of a share of this server carries: `server=owner/name`.
    pub fn filter(&self) -> String {
        format!("server={}/{}", self.owner, self.name)
    }

    /// `base!server=owner/name`.
    pub fn scope(&self, base: &str) -> Scope {
        Scope::filtered(base, FilterKind::Server, &self.full_name())
    }

    /// `access:servers!server=owner/name`: what a grant or a share code gives when no scopes
    /// are asked for.
    pub fn access_scope(&self) -> Scope {
        self.scope("access:servers")
    }

    /// The OAuth client of this server, given its identifier (JupyterHub's
    /// `spawner.oauth_client`), for [`crate::expand_share_scopes`].
    pub fn oauth_client<'a>(&'a self, identifier: &'a str) -> OAuthClient<'a> {
        OAuthClient {
            identifier,
            target: ClientTarget::Server {
                user: &self.owner,
                server: &self.name,
            },
        }
    }
}

impl fmt::Display for SharedServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// Whom a server is shared with: one user or one group, by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Recipient {
    /// A user.
    User(String),
    /// A group: every member gets the share's permissions (through `get_scopes_for`).
    Group(String),
}

impl Recipient {
    /// `user` or `group` (JupyterHub's `share_with.kind`, the share model's `kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Recipient::User(_) => "user",
            Recipient::Group(_) => "group",
        }
    }

    /// The user or group name.
    pub fn name(&self) -> &str {
        match self {
            Recipient::User(name) | Recipient::Group(name) => name,
        }
    }

    /// The owner that JupyterHub's `expand_scopes` sees for a share with this recipient:
    /// the user, or for a group no owner at all (a group is neither a `User` nor a `Service`,
    /// so no bare filter or `self` resolves against it).
    pub fn expansion_owner(&self) -> Option<Owner<'_>> {
        match self {
            Recipient::User(name) => Some(Owner::User(name)),
            Recipient::Group(_) => None,
        }
    }
}

/// Prints `kind:name` (`user:bob`, `group:g1`), JupyterHub's log notation.
impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.name())
    }
}

/// A recipient that is not written `user:NAME` or `group:NAME`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid recipient `{text}`: write `user:NAME` or `group:NAME`")]
pub struct RecipientSyntaxError {
    /// The rejected text.
    pub text: String,
}

/// Parses `user:NAME` or `group:NAME` (split at the first `:`).
impl FromStr for Recipient {
    type Err = RecipientSyntaxError;

    fn from_str(text: &str) -> Result<Recipient, RecipientSyntaxError> {
        match text.split_once(':') {
            Some(("user", name)) => Ok(Recipient::User(name.to_owned())),
            Some(("group", name)) => Ok(Recipient::Group(name.to_owned())),
            _ => Err(RecipientSyntaxError {
                text: text.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_notation() {
        let server = SharedServer::new("alice", "");
        assert_eq!(server.full_name(), "alice/");
        assert_eq!(server.filter(), "server=alice/");
        assert_eq!(server.access_scope(), "access:servers!server=alice/");
        assert_eq!(server.to_string(), "alice/");
        assert_eq!(
            SharedServer::from_full_name("alice/x/y"),
            Some(SharedServer::new("alice", "x/y"))
        );
        assert_eq!(SharedServer::from_full_name("alice"), None);
        let client = server.oauth_client("jupyterhub-user-alice");
        assert_eq!(
            client.target,
            ClientTarget::Server {
                user: "alice",
                server: ""
            }
        );
    }

    #[test]
    fn recipient_notation_round_trips() {
        for text in ["user:bob", "group:g1", "user:", "group:a:b"] {
            let recipient: Recipient = text.parse().unwrap_or(Recipient::User(String::new()));
            assert_eq!(recipient.to_string(), text);
        }
        for bad in ["bob", "service:svc", "User:bob"] {
            let err = bad.parse::<Recipient>().err().map(|e| e.to_string());
            assert_eq!(
                err.as_deref(),
                Some(
                    format!("invalid recipient `{bad}`: write `user:NAME` or `group:NAME`")
                        .as_str()
                )
            );
        }
    }

    #[test]
    fn a_group_is_no_expansion_owner() {
        assert_eq!(
            Recipient::User("bob".into()).expansion_owner(),
            Some(Owner::User("bob"))
        );
        assert_eq!(Recipient::Group("g".into()).expansion_owner(), None);
    }

    #[test]
    fn recipient_serde_is_kind_and_name() {
        let json = serde_json::to_string(&Recipient::Group("g1".into())).unwrap_or_default();
        assert_eq!(json, r#"{"kind":"group","name":"g1"}"#);
    }
}
