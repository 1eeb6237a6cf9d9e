//! The scopes a user, service or group holds (JupyterHub's `get_scopes_for` for everything
//! but tokens): the raw scopes of its roles (a user's groups' roles included), expanded with it
//! as owner, plus what shares grant it.
//!
//! The facts come in as values ([`HolderFacts`]): which roles apply and which shares were
//! received. Gathering them is the caller's business (the store, or the conformance world).

use scopes::{ExpandError, Expansion, OAuthClient, Owner, Scope, ScopeSet, ScopeTable, Warning};

use crate::role::Role;

/// Who holds roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Holder<'a> {
    /// A user.
    User(&'a str),
    /// A service.
    Service(&'a str),
    /// A group.
    Group(&'a str),
}

impl<'a> Holder<'a> {
    /// The owner that bare filters and `self` resolve against: a user or a service; a group
    /// resolves nothing (JupyterHub expands with the group as owner, which matches no case).
    pub fn owner(&self) -> Option<Owner<'a>> {
        match *self {
            Holder::User(name) => Some(Owner::User(name)),
            Holder::Service(name) => Some(Owner::Service(name)),
            Holder::Group(_) => None,
        }
    }

    /// The name.
    pub fn name(&self) -> &'a str {
        match *self {
            Holder::User(name) | Holder::Service(name) | Holder::Group(name) => name,
        }
    }
}

/// A share someone received: what the scopes of [`crate::scopes_for`] need of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceivedShare<'a> {
    /// The share's stored scopes (filtered to the shared server).
    pub scopes: &'a [Scope],
    /// The user or group it was shared with (its owner for expansion).
    pub with: Holder<'a>,
    /// The shared server's OAuth client, which resolves a bare `!server`.
    pub client: Option<OAuthClient<'a>>,
}

/// Everything that decides what a user, service or group holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolderFacts<'a> {
    /// Whose scopes.
    pub holder: Holder<'a>,
    /// The roles that apply: the holder's own and, for a user, those of its groups.
    pub roles: Vec<&'a Role>,
    /// The shares received: for a user, those shared with it and with its groups; for a
    /// group, those shared with it; none for a service.
    pub shares: Vec<ReceivedShare<'a>>,
}

/// JupyterHub's `roles_to_expanded_scopes`: the union of the roles' raw scopes, expanded with
/// `holder` as owner.
pub fn role_scopes(
    table: &ScopeTable,
    holder: Holder<'_>,
    roles: &[&Role],
) -> Result<Expansion, ExpandError> {
    let raw = raw_scopes(roles);
    table.expand(&raw, holder.owner(), None)
}

/// The distinct raw scopes of some roles (JupyterHub's `roles_to_scopes`), sorted.
pub fn raw_scopes(roles: &[&Role]) -> ScopeSet {
    roles
        .iter()
        .flat_map(|role| role.scopes.iter())
        .map(Scope::lenient)
        .collect()
}

/// JupyterHub's `expand_share_scopes`: a share's scopes expanded with the user or group it
/// was shared with as owner and the server's OAuth client.
pub fn share_scopes(
    table: &ScopeTable,
    share: &ReceivedShare<'_>,
) -> Result<Expansion, ExpandError> {
    table.expand(share.scopes, share.with.owner(), share.client)
}

/// JupyterHub's `get_scopes_for` for a user, service or group: its role scopes, then the
/// expanded scopes of every share it received.
pub fn scopes_for(table: &ScopeTable, facts: &HolderFacts<'_>) -> Result<Expansion, ExpandError> {
    let mut warnings = Vec::new();
    let scopes = scopes_for_warning_into(table, facts, &mut warnings)?;
    Ok(Expansion { scopes, warnings })
}

/// [`scopes_for`], adding its warnings to `warnings` even when it fails (JupyterHub has
/// emitted them by the time it raises).
pub fn scopes_for_warning_into(
    table: &ScopeTable,
    facts: &HolderFacts<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<ScopeSet, ExpandError> {
    let raw = raw_scopes(&facts.roles);
    let mut scopes = table.expand_warning_into(&raw, facts.holder.owner(), None, warnings)?;
    for share in &facts.shares {
        let shared =
            table.expand_warning_into(share.scopes, share.with.owner(), share.client, warnings)?;
        scopes = scopes.union(&shared);
    }
    Ok(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::default_roles;

    #[test]
    fn a_user_holds_self_and_group_roles() {
        let table = ScopeTable::jupyterhub();
        let defaults = default_roles();
        let user = defaults.iter().find(|r| r.name == "user").unwrap();
        let readers = Role {
            name: "group-reader".into(),
            description: None,
            scopes: vec!["read:groups!group=g1".into(), "list:groups!group=g1".into()],
        };
        let facts = HolderFacts {
            holder: Holder::User("alice"),
            roles: vec![user, &readers],
            shares: vec![],
        };
        let held = scopes_for(&table, &facts).unwrap();
        assert!(held.scopes.contains("read:users!user=alice"));
        assert!(held.scopes.contains("read:groups:name!group=g1"));
        assert_eq!(held.scopes.len(), 18);
    }

    #[test]
    fn shares_add_their_expansion() {
        let table = ScopeTable::jupyterhub();
        let shared = [Scope::lenient("servers!server=alice/x")];
        let facts = HolderFacts {
            holder: Holder::User("bob"),
            roles: vec![],
            shares: vec![ReceivedShare {
                scopes: &shared,
                with: Holder::User("bob"),
                client: None,
            }],
        };
        let held = scopes_for(&table, &facts).unwrap();
        let texts: Vec<&str> = held.scopes.texts().collect();
        assert_eq!(
            texts,
            [
                "delete:servers!server=alice/x",
                "read:servers!server=alice/x",
                "servers!server=alice/x",
                "start:servers!server=alice/x"
            ]
        );
    }
}
