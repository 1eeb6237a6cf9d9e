//! The scopes that identify an owner, and the scopes that give access to what an OAuth client
//! belongs to (JupyterHub's `identify_scopes` and `access_scopes`).

use crate::base_id::BaseId;
use crate::expand::{ClientTarget, OAuthClient, Owner};
use crate::parsed::ScopeSet;
use crate::scope::Scope;

/// The scopes that let an owner read its own identity: a user's name and groups, a service's
/// name. Without an owner, the raw `!user` forms that OAuth requests carry.
pub fn identify_scopes(owner: Option<Owner<'_>>) -> ScopeSet {
    let mut buffer = String::new();
    let mut scopes = Vec::with_capacity(2);
    let mut push = |base: &str, filter: &[&str]| {
        Scope::push_with_filter(&mut scopes, &mut buffer, base, BaseId::of(base), filter);
    };
    match owner {
        None => {
            push("read:users:groups", &["user"]);
            push("read:users:name", &["user"]);
        }
        Some(Owner::User(name)) => {
            push("read:users:groups", &["user=", name]);
            push("read:users:name", &["user=", name]);
        }
        Some(Owner::Service(name)) => push("read:services:name", &["service=", name]),
    }
    // In code-point order already: `read:users:groups` sorts before `read:users:name`.
    ScopeSet::from_vec(scopes)
}

/// What to compute access scopes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessTarget<'a> {
    /// An OAuth client: access to its server or service (nothing for the hub's own client).
    Client(OAuthClient<'a>),
    /// A user's server.
    Server {
        /// The owner.
        user: &'a str,
        /// The server name.
        server: &'a str,
    },
    /// A service.
    Service(&'a str),
}

/// The scope that grants access to a server or service: what a token issued by that OAuth
/// client must be able to use, and what the single-user server checks.
pub fn access_scopes(target: AccessTarget<'_>) -> ScopeSet {
    let scope = match target {
        AccessTarget::Client(client) if client.identifier == OAuthClient::HUB.identifier => None,
        AccessTarget::Client(OAuthClient {
            target: ClientTarget::Server { user, server },
            ..
        })
        | AccessTarget::Server { user, server } => {
            Some(format!("access:servers!server={user}/{server}"))
        }
        AccessTarget::Client(OAuthClient {
            target: ClientTarget::Service(name),
            ..
        })
        | AccessTarget::Service(name) => Some(format!("access:services!service={name}")),
        AccessTarget::Client(_) => None,
    };
    scope.into_iter().map(Scope::lenient).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(set: ScopeSet) -> Vec<String> {
        set.iter().map(|s| s.as_str().to_owned()).collect()
    }

    #[test]
    fn identify() {
        assert_eq!(
            texts(identify_scopes(None)),
            ["read:users:groups!user", "read:users:name!user"]
        );
        assert_eq!(
            texts(identify_scopes(Some(Owner::Service("s")))),
            ["read:services:name!service=s"]
        );
    }

    #[test]
    fn access() {
        assert!(access_scopes(AccessTarget::Client(OAuthClient::HUB)).is_empty());
        assert_eq!(
            texts(access_scopes(AccessTarget::Server {
                user: "alice",
                server: ""
            })),
            ["access:servers!server=alice/"]
        );
        assert_eq!(
            texts(access_scopes(AccessTarget::Service("svc"))),
            ["access:services!service=svc"]
        );
    }
}
