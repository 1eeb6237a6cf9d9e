//! Expansion: from raw scopes (a role's or a token's) to the expanded set that access checks
//! use. Subscopes, the `self` metascope, and bare `!user` / `!server` / `!service` filters
//! resolved against the owner and the issuing OAuth client, as JupyterHub's `_expand_scope`,
//! `_expand_self_scope` and `expand_scopes` do.

use thiserror::Error;

use crate::error::{ErrorClass, ParseError, UnknownScope};
use crate::parsed::reduce_set;
use crate::scope::{Scope, push_clone};
use crate::set::ScopeSet;
use crate::table::ScopeTable;
use crate::warning::Warning;

/// Who holds a set of scopes: a user or a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Owner<'a> {
    /// A user, by name.
    User(&'a str),
    /// A service, by name.
    Service(&'a str),
}

impl<'a> Owner<'a> {
    /// The owner's name.
    pub fn name(&self) -> &'a str {
        match self {
            Owner::User(name) | Owner::Service(name) => name,
        }
    }
}

/// What an OAuth client belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientTarget<'a> {
    /// Neither a server nor a service: the hub's own client, `jupyterhub`.
    Hub,
    /// The client of a user's server.
    Server {
        /// The server's owner.
        user: &'a str,
        /// The server name (`""` for the default server).
        server: &'a str,
    },
    /// The client of a service.
    Service(&'a str),
}

/// The OAuth client that issued a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OAuthClient<'a> {
    /// The client id, e.g. `jupyterhub-user-alice-x` or `service-svc`.
    pub identifier: &'a str,
    /// What the client belongs to.
    pub target: ClientTarget<'a>,
}

impl<'a> OAuthClient<'a> {
    /// The hub's own client, which issues every API token made without a client.
    pub const HUB: OAuthClient<'static> = OAuthClient {
        identifier: "jupyterhub",
        target: ClientTarget::Hub,
    };
}

/// Why an expansion failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ExpandError {
    /// A scope name is not in the table.
    #[error(transparent)]
    UnknownScope(#[from] UnknownScope),
    /// A filter left in the expanded set has no value (`!user=`, or a bare filter of a kind
    /// that expansion does not resolve).
    #[error(transparent)]
    Parse(#[from] ParseError),
}

impl ExpandError {
    /// The Python exception class JupyterHub raises for this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            ExpandError::UnknownScope(e) => e.class(),
            ExpandError::Parse(e) => e.class(),
        }
    }
}

/// The result of [`ScopeTable::expand`]: the expanded scopes, and what JupyterHub would have
/// warned about on the way (scopes dropped because they had no target).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expansion {
    /// The expanded, reduced scopes.
    pub scopes: ScopeSet,
    /// Scopes that were dropped, and why.
    pub warnings: Vec<Warning>,
}

impl ScopeTable {
    /// JupyterHub's `_expand_scope`: the scope and its transitive subscopes, each with the
    /// scope's filter text re-attached, except that a filter starting with `server` is not
    /// given to the `read:user*` subscopes (a server filter makes no sense on user data).
    pub fn expand_scope(&self, scope: &Scope) -> Result<ScopeSet, UnknownScope> {
        let mut out = Vec::new();
        self.expand_scope_into(scope, &mut out)?;
        Ok(ScopeSet::from_vec(out))
    }

    fn expand_scope_into(&self, scope: &Scope, out: &mut Vec<Scope>) -> Result<(), UnknownScope> {
        self.expand_filtered_into(scope, scope.filter_text(), out)
    }

    /// The closure of `scope`'s base, each with `filter` (see [`ScopeTable::expand_scope`]).
    fn expand_filtered_into(
        &self,
        scope: &Scope,
        filter: &str,
        out: &mut Vec<Scope>,
    ) -> Result<(), UnknownScope> {
        let members = self.closure_scopes(scope).ok_or_else(|| UnknownScope {
            name: scope.base().to_owned(),
        })?;
        out.reserve(members.size_hint().0);
        if filter.is_empty() {
            members.for_each(|member| push_clone(out, member));
        } else {
            let server_filter = filter.starts_with("server");
            let mut buffer = String::new();
            for member in members {
                let name = member.as_str();
                if server_filter && name.starts_with("read:user") {
                    continue;
                }
                Scope::push_with_filter(out, &mut buffer, name, member.base_id(), &[filter]);
            }
        }
        Ok(())
    }

    /// JupyterHub's `_expand_self_scope`: what `self` stands for, for user `username`.
    pub fn expand_self(&self, username: &str) -> ScopeSet {
        let mut out = Vec::new();
        self.expand_self_into(username, &mut out);
        ScopeSet::from_vec(out)
    }

    fn expand_self_into(&self, username: &str, out: &mut Vec<Scope>) {
        let mut buffer = String::new();
        out.reserve(self.self_closure().len());
        for name in self.self_closure() {
            Scope::push_with_filter(
                out,
                &mut buffer,
                name.as_str(),
                name.base_id(),
                &["user=", username],
            );
        }
    }

    /// JupyterHub's `expand_scopes`: expands each raw scope, resolves bare filters (`!user`
    /// to the owner if it is a user; `!service` to the client's service, else the owner if it
    /// is a service; `!server` only to the client's server), replaces `self` for a user owner,
    /// and reduces. Scopes whose bare filter has no target, and `self` for a non-user, are
    /// dropped with a [`Warning`]. `inherit` and `(no_scope)` survive as literal scopes.
    pub fn expand<'s>(
        &self,
        scopes: impl IntoIterator<Item = &'s Scope>,
        owner: Option<Owner<'_>>,
        client: Option<OAuthClient<'_>>,
    ) -> Result<Expansion, ExpandError> {
        let mut warnings = Vec::new();
        let scopes = self.expand_warning_into(scopes, owner, client, &mut warnings)?;
        Ok(Expansion { scopes, warnings })
    }

    /// [`ScopeTable::expand`], adding its warnings to `warnings` even when it fails, as
    /// JupyterHub has emitted them by the time it raises.
    pub fn expand_warning_into<'s>(
        &self,
        scopes: impl IntoIterator<Item = &'s Scope>,
        owner: Option<Owner<'_>>,
        client: Option<OAuthClient<'_>>,
        warnings: &mut Vec<Warning>,
    ) -> Result<ScopeSet, ExpandError> {
        // Unfiltered scopes are marked in the table (no strings built, no sorting); filtered
        // ones are built, as their filter text must be attached to every subscope.
        let user = match owner {
            Some(Owner::User(name)) => Some(name),
            _ => None,
        };
        let mut service = match owner {
            Some(Owner::Service(name)) => Some(name),
            _ => None,
        };
        let mut server = None;
        match client.map(|c| c.target) {
            Some(ClientTarget::Service(name)) => service = Some(name),
            Some(ClientTarget::Server { user, server: name }) => server = Some((user, name)),
            _ => {}
        }

        // A bare filter with a target is resolved before expanding (the same filter goes to
        // every subscope); one without is expanded bare, and dropped with a warning below.
        // Each is built when first needed.
        let (mut user_filter, mut service_filter, mut server_filter) = (None, None, None);

        let mut unfiltered = vec![false; self.iter().len()];
        let mut expanded = Vec::new();
        let (mut only_self, mut any_unfiltered, mut bare_left) = (true, false, false);
        for scope in scopes {
            if scope.filter_text().is_empty() {
                only_self &= scope.base() == "self";
                any_unfiltered = true;
                self.mark_closure(scope, &mut unfiltered)?;
            } else {
                only_self = false;
                let filter = match scope.filter_text() {
                    "user" => user.map(|name| {
                        user_filter
                            .get_or_insert_with(|| format!("user={name}"))
                            .as_str()
                    }),
                    "service" => service.map(|name| {
                        service_filter
                            .get_or_insert_with(|| format!("service={name}"))
                            .as_str()
                    }),
                    "server" => server.map(|(user, name)| {
                        server_filter
                            .get_or_insert_with(|| format!("server={user}/{name}"))
                            .as_str()
                    }),
                    other => Some(other),
                };
                match filter {
                    Some(filter) => self.expand_filtered_into(scope, filter, &mut expanded)?,
                    None => {
                        bare_left = true;
                        self.expand_scope_into(scope, &mut expanded)?;
                    }
                }
            }
        }
        let has_self = self.take_self(&mut unfiltered);
        if let (true, true, Some(Owner::User(name))) = (only_self, has_self, owner) {
            if !name.is_empty() {
                // The default `user` role is `self` alone, and its expansion is already
                // sorted, distinct and reduced: nothing else to do.
                let mut scopes = Vec::new();
                self.expand_self_into(name, &mut scopes);
                return Ok(ScopeSet::from_sorted(scopes));
            }
        }

        if bare_left {
            // Bare filters without a target: each distinct expanded scope is dropped with a
            // warning, as JupyterHub warns once per scope of its expanded set.
            expanded.sort_unstable();
            expanded.dedup();
            expanded.retain(|scope| match scope.filter_text() {
                "user" | "service" | "server" => {
                    warnings.push(Warning::NoFilterTarget {
                        kind: scope.filter_text().to_owned(),
                        scope: scope.clone(),
                    });
                    false
                }
                _ => true,
            });
        }

        if has_self {
            // JupyterHub tests the name's truthiness: a user named "" gets nothing either.
            match user.filter(|name| !name.is_empty()) {
                Some(name) => self.expand_self_into(name, &mut expanded),
                None => warnings.push(Warning::SelfWithoutUser {
                    owner: owner.map(|o| o.to_owned_owner()),
                }),
            }
        }

        let unfiltered = match any_unfiltered {
            true => self.marked_scopes(&unfiltered),
            false => Vec::new(),
        };
        let scopes = if expanded.is_empty() {
            // Distinct unfiltered names, in order: already reduced.
            ScopeSet::from_sorted(unfiltered)
        } else {
            if !expanded.is_sorted() {
                expanded.sort_unstable();
            }
            expanded.dedup();
            reduce_set(ScopeSet::merge_sorted(unfiltered, expanded))?
        };
        Ok(scopes)
    }
}

/// An owned copy of an [`Owner`], for values that outlive the call (warnings, explanations).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum OwnedOwner {
    /// A user, by name.
    User(String),
    /// A service, by name.
    Service(String),
}

impl Owner<'_> {
    /// An owned copy.
    pub fn to_owned_owner(&self) -> OwnedOwner {
        match self {
            Owner::User(name) => OwnedOwner::User((*name).to_owned()),
            Owner::Service(name) => OwnedOwner::Service((*name).to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    fn check(
        raw: &[&str],
        owner: Option<Owner<'_>>,
        client: Option<OAuthClient<'_>>,
        want: &[&str],
    ) {
        let table = ScopeTable::jupyterhub();
        let raw: Vec<Scope> = raw.iter().map(|s| Scope::lenient(*s)).collect();
        let got = table.expand(&raw, owner, client).unwrap();
        let got: Vec<&str> = got.scopes.iter().map(Scope::as_str).collect();
        assert_eq!(got, want);
    }

    fn expand_scope(text: &str) -> Vec<String> {
        let table = ScopeTable::jupyterhub();
        let set = table.expand_scope(&Scope::lenient(text)).unwrap();
        set.iter().map(|s| s.as_str().to_owned()).collect()
    }

    #[test]
    fn server_filters_drop_user_subscopes() {
        assert_eq!(
            expand_scope("read:servers!server=alice/x"),
            ["read:servers!server=alice/x"]
        );
        assert_eq!(
            expand_scope("read:servers!serverfoo=1"),
            ["read:servers!serverfoo=1"]
        );
        assert_eq!(
            expand_scope("read:servers!user=alice"),
            ["read:servers!user=alice", "read:users:name!user=alice"]
        );
    }

    #[test]
    fn unknown_base_is_a_key_error_naming_it() {
        let table = ScopeTable::jupyterhub();
        let err = table
            .expand_scope(&Scope::lenient("all!user=x"))
            .unwrap_err();
        assert_eq!(err.to_string(), "all");
    }

    #[test]
    fn bare_filters_resolve_against_owner_and_client() {
        let alice_x = OAuthClient {
            identifier: "jupyterhub-user-alice-x",
            target: ClientTarget::Server {
                user: "alice",
                server: "x",
            },
        };
        check(
            &["users:activity!user", "access:servers!server"],
            Some(Owner::User("alice")),
            Some(alice_x),
            &[
                "access:servers!server=alice/x",
                "read:users:activity!user=alice",
                "users:activity!user=alice",
            ],
        );
        // !server only ever comes from a client: dropped without one
        check(
            &["access:servers!server"],
            Some(Owner::User("alice")),
            None,
            &[],
        );
        // the client's service wins over the owner service
        let svc = OAuthClient {
            identifier: "service-svc",
            target: ClientTarget::Service("svc"),
        };
        check(
            &["access:services!service"],
            Some(Owner::Service("svc2")),
            Some(svc),
            &["access:services!service=svc"],
        );
    }

    #[test]
    fn self_for_a_service_is_dropped_with_a_warning() {
        let table = ScopeTable::jupyterhub();
        let out = table
            .expand(
                &[Scope::lenient("self"), Scope::lenient("inherit")],
                Some(Owner::Service("svc")),
                None,
            )
            .unwrap();
        let got: Vec<&str> = out.scopes.iter().map(Scope::as_str).collect();
        assert_eq!(got, ["inherit"]);
        assert_eq!(
            out.warnings[0].to_string(),
            "Not expanding 'self' scope for owner <jupyterhub.orm.Service object> which is not a User"
        );
    }
}
