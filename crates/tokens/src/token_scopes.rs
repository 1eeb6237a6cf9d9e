//! The scopes a token really has, and the checks on the scopes a token may be given: exactly
//! JupyterHub's `get_scopes_for(token)`, `_check_token_scopes` and `_resolve_requested_scopes`.
//!
//! What a token may do is its own scopes met with its owner's *current* scopes, so a token
//! never exceeds its owner, even when the owner loses a role after the token was made. Two
//! JupyterHub quirks are kept on purpose (docs/compat.md): the owner's side of that meeting
//! counts only the shares given to the user directly, by their raw scope strings (not group
//! shares, not the subscopes of shared scopes); and a token holding `inherit` gets exactly the
//! owner's scopes, without its identify scopes or its client's access scope.

use scopes::{
    AccessTarget, DecisionError, ErrorClass, ExpandError, GroupMembership, OAuthClient, OwnedOwner,
    Owner, ParseError, Scope, ScopeSet, ScopeTable, Warning, access_scopes, identify_scopes,
    intersect,
};

/// The meta scope that stands for all of the owner's scopes.
pub const INHERIT: &str = "inherit";

/// Everything that decides what a token may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenFacts<'a> {
    /// The token's owner.
    pub owner: Owner<'a>,
    /// The owner's expanded scopes from its roles (a user's groups' roles included), without
    /// anything from shares.
    pub owner_role_scopes: &'a ScopeSet,
    /// For a user owner: the stored scopes of each share given to that user directly.
    pub direct_share_scopes: Vec<&'a [Scope]>,
    /// The token's stored scopes.
    pub token_scopes: &'a [Scope],
    /// The OAuth client that issued the token (the hub's own, `jupyterhub`, for API tokens).
    pub client: OAuthClient<'a>,
}

/// What a token may do, and how that came about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveScopes {
    /// The scopes the token may use.
    pub scopes: ScopeSet,
    /// The token's side before the meeting: its expanded scopes, its client's access scope and
    /// its owner's identify scopes (empty when it inherits).
    pub token_side: ScopeSet,
    /// The owner's side of the meeting.
    pub owner_side: ScopeSet,
    /// Token scopes the owner does not hold, dropped (JupyterHub only logs them).
    pub discarded: ScopeSet,
    /// Whether the token holds `inherit` (then it has exactly the owner's scopes).
    pub inherits: bool,
    /// JupyterHub's warnings on the way.
    pub warnings: Vec<Warning>,
}

/// Why a token's scopes could not be computed or checked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenScopeError {
    /// A scope is not in the table, or a filter lacks a value.
    #[error(transparent)]
    Expand(#[from] ExpandError),
    /// A filter lacks a value where the sets are met.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The requirement names a scope that is not in the table.
    #[error(transparent)]
    Decision(#[from] DecisionError),
    /// JupyterHub's refusal to give a token scopes its owner does not hold. `excess` is the
    /// expanded set JupyterHub lists (in its set order; hubcap lists it sorted).
    #[error("Not assigning requested scopes {} not held by {} {}", excess_list(.excess), owner_class(.owner), owner_name(.owner))]
    NotHeld {
        /// The expanded scopes the owner lacks.
        excess: ScopeSet,
        /// The would-be owner.
        owner: OwnedOwner,
    },
}

impl TokenScopeError {
    /// The Python exception class JupyterHub raises.
    pub fn class(&self) -> ErrorClass {
        match self {
            TokenScopeError::Expand(e) => e.class(),
            TokenScopeError::Parse(e) => e.class(),
            TokenScopeError::NotHeld { .. } | TokenScopeError::Decision(_) => {
                ErrorClass::ValueError
            }
        }
    }
}

fn excess_list(excess: &ScopeSet) -> String {
    excess.texts().collect::<Vec<_>>().join(",")
}

fn owner_class(owner: &OwnedOwner) -> &'static str {
    match owner {
        OwnedOwner::User(_) => "User",
        OwnedOwner::Service(_) => "Service",
    }
}

fn owner_name(owner: &OwnedOwner) -> &str {
    match owner {
        OwnedOwner::User(name) | OwnedOwner::Service(name) => name,
    }
}

/// The owner's side of a token's meeting: role scopes plus the raw scopes of direct shares.
pub fn owner_side(facts: &TokenFacts<'_>) -> ScopeSet {
    let mut side = facts.owner_role_scopes.clone();
    if matches!(facts.owner, Owner::User(_)) {
        for scopes in &facts.direct_share_scopes {
            side.extend(scopes.iter().cloned());
        }
    }
    side
}

/// JupyterHub's `get_scopes_for(token)`: what a token may do. `groups` is the membership
/// information JupyterHub reads from its database to relate group filters to users.
pub fn effective_scopes(
    table: &ScopeTable,
    facts: &TokenFacts<'_>,
    groups: Option<&dyn GroupMembership>,
) -> Result<EffectiveScopes, TokenScopeError> {
    let owner_side = owner_side(facts);
    if facts.token_scopes.iter().any(|s| s.as_str() == INHERIT) {
        return Ok(EffectiveScopes {
            scopes: owner_side.clone(),
            token_side: ScopeSet::default(),
            owner_side,
            discarded: ScopeSet::default(),
            inherits: true,
            warnings: Vec::new(),
        });
    }
    let expansion = table.expand(facts.token_scopes, Some(facts.owner), Some(facts.client))?;
    let mut warnings = expansion.warnings;
    let mut token_side = expansion.scopes;
    if facts.client.identifier != OAuthClient::HUB.identifier {
        token_side.extend(access_scopes(AccessTarget::Client(facts.client)));
    }
    token_side.extend(identify_scopes(Some(facts.owner)));
    let token_side = token_side.reduced()?;
    let met = intersect(&token_side, &owner_side, groups)?;
    warnings.extend(met.warnings);
    let discarded: ScopeSet = token_side.difference(&met.scopes).cloned().collect();
    Ok(EffectiveScopes {
        scopes: met.scopes,
        token_side,
        owner_side,
        discarded,
        inherits: false,
        warnings,
    })
}

/// JupyterHub's `_check_token_scopes`: whether `owner` may hold a token with `requested`
/// scopes. `owner_scopes` computes what the owner holds now (`get_scopes_for(owner)`, shares
/// included), adding its warnings to the sink it is given; it is called only when there is
/// something to check, as in JupyterHub. `inherit` alone always passes; otherwise it is
/// ignored and the rest, expanded, must be within the owner's scopes.
///
/// Returns the verdict and JupyterHub's warnings (those emitted before a failure included).
pub fn check_token_scopes(
    table: &ScopeTable,
    requested: &[Scope],
    owner: Owner<'_>,
    owner_scopes: impl FnOnce(&mut Vec<Warning>) -> Result<ScopeSet, ExpandError>,
    client: Option<OAuthClient<'_>>,
    groups: Option<&dyn GroupMembership>,
) -> (Result<(), TokenScopeError>, Vec<Warning>) {
    let mut warnings = Vec::new();
    let verdict = check_into(
        table,
        requested,
        owner,
        owner_scopes,
        client,
        groups,
        &mut warnings,
    );
    (verdict, warnings)
}

fn check_into(
    table: &ScopeTable,
    requested: &[Scope],
    owner: Owner<'_>,
    owner_scopes: impl FnOnce(&mut Vec<Warning>) -> Result<ScopeSet, ExpandError>,
    client: Option<OAuthClient<'_>>,
    groups: Option<&dyn GroupMembership>,
    warnings: &mut Vec<Warning>,
) -> Result<(), TokenScopeError> {
    let rest: Vec<&Scope> = requested.iter().filter(|s| s.as_str() != INHERIT).collect();
    if rest.is_empty() {
        return Ok(());
    }
    let expanded = table.expand_warning_into(rest, Some(owner), client, warnings)?;
    if expanded.is_empty() {
        return Ok(());
    }
    let owner_scopes = owner_scopes(warnings)?;
    let met = intersect(&expanded, &owner_scopes, groups)?;
    warnings.extend(met.warnings);
    let excess: ScopeSet = expanded.difference(&met.scopes).cloned().collect();
    if excess.is_empty() {
        Ok(())
    } else {
        Err(TokenScopeError::NotHeld {
            excess,
            owner: owner.to_owned_owner(),
        })
    }
}

/// The outcome of [`resolve_requested_scopes`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    /// Scopes granted: requested ones, or (for a request only partly held) the expanded
    /// scopes of it that are held.
    pub allowed: ScopeSet,
    /// Requested scopes not (fully) granted.
    pub disallowed: ScopeSet,
}

/// JupyterHub's `_resolve_requested_scopes`: which of the raw scopes `requested` (for an OAuth
/// token, or a server's token) a user gets, given the raw scopes they `have`.
///
/// A requested scope that is also held (as a string) is allowed outright. Each other one is
/// expanded; if all of its expansion not yet allowed is within the expanded `have`, it is
/// allowed as requested; if only part is, that part is allowed (as expanded scopes) and the
/// requested scope stays disallowed. The not-yet-allowed scopes are taken in the order of
/// `requested` (JupyterHub takes its set order, which varies with Python's hash seed; the
/// outcome can depend on it only when partial grants overlap).
///
/// As in JupyterHub, an expansion of the same set is computed (and warns) once per call.
/// Returns the outcome and JupyterHub's warnings (those emitted before a failure included).
pub fn resolve_requested_scopes(
    table: &ScopeTable,
    requested: &[Scope],
    have: &ScopeSet,
    user: &str,
    client: Option<OAuthClient<'_>>,
    groups: Option<&dyn GroupMembership>,
) -> (Result<Resolved, TokenScopeError>, Vec<Warning>) {
    let mut expansions = Expansions::new(table, Owner::User(user), client);
    let outcome = resolve_with(&mut expansions, requested, have, groups);
    (outcome, expansions.warnings)
}

fn resolve_with(
    expansions: &mut Expansions<'_, '_>,
    requested: &[Scope],
    have: &ScopeSet,
    groups: Option<&dyn GroupMembership>,
) -> Result<Resolved, TokenScopeError> {
    let mut allowed = ScopeSet::default();
    let mut pending: Vec<&Scope> = Vec::new();
    for scope in requested {
        if have.contains(scope.as_str()) {
            allowed.insert(scope.clone());
        } else if !pending.contains(&scope) {
            pending.push(scope);
        }
    }
    let mut disallowed: ScopeSet = pending.iter().map(|s| (*s).clone()).collect();
    if disallowed.is_empty() {
        return Ok(Resolved {
            allowed,
            disallowed,
        });
    }
    let mut expanded_allowed = expansions.expand(&allowed)?;
    let expanded_have = expansions.expand(have)?;
    for scope in pending {
        let one: ScopeSet = std::iter::once(scope.clone()).collect();
        let mut expanded = expansions.expand(&one)?;
        expanded.retain(|s| !expanded_allowed.contains(s.as_str()));
        let held = if expanded.is_empty() {
            ScopeSet::default()
        } else {
            let met = intersect(&expanded, &expanded_have, groups)?;
            expansions.warnings.extend(met.warnings);
            met.scopes
        };
        if held == expanded {
            allowed.insert(scope.clone());
            disallowed.remove(scope.as_str());
            expanded_allowed = expansions.expand(&allowed)?;
        } else if !held.is_empty() {
            allowed.extend(held);
            expanded_allowed = expansions.expand(&allowed)?;
        }
    }
    Ok(Resolved {
        allowed,
        disallowed,
    })
}

/// Expansions for one owner and client, each distinct set computed once (JupyterHub's
/// `expand_scopes` cache, within one call), with the warnings of the first computation.
struct Expansions<'t, 'a> {
    table: &'t ScopeTable,
    owner: Owner<'a>,
    client: Option<OAuthClient<'a>>,
    done: Vec<(ScopeSet, ScopeSet)>,
    warnings: Vec<Warning>,
}

impl<'t, 'a> Expansions<'t, 'a> {
    fn new(table: &'t ScopeTable, owner: Owner<'a>, client: Option<OAuthClient<'a>>) -> Self {
        Expansions {
            table,
            owner,
            client,
            done: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn expand(&mut self, scopes: &ScopeSet) -> Result<ScopeSet, ExpandError> {
        if let Some((_, expanded)) = self.done.iter().find(|(raw, _)| raw == scopes) {
            return Ok(expanded.clone());
        }
        let expanded = self.table.expand_warning_into(
            scopes,
            Some(self.owner),
            self.client,
            &mut self.warnings,
        )?;
        self.done.push((scopes.clone(), expanded.clone()));
        Ok(expanded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(texts: &[&str]) -> ScopeSet {
        texts.iter().map(|t| Scope::lenient(*t)).collect()
    }

    fn alice_self(table: &ScopeTable) -> ScopeSet {
        table.expand_self("alice")
    }

    #[test]
    fn inherit_is_exactly_the_owner() {
        let table = ScopeTable::jupyterhub();
        let owner = alice_self(&table);
        let stored = [Scope::lenient("inherit"), Scope::lenient("admin:users")];
        let facts = TokenFacts {
            owner: Owner::User("alice"),
            owner_role_scopes: &owner,
            direct_share_scopes: vec![],
            token_scopes: &stored,
            client: OAuthClient::HUB,
        };
        let got = effective_scopes(&table, &facts, None).unwrap();
        assert!(got.inherits);
        assert_eq!(got.scopes, owner);
    }

    #[test]
    fn a_token_never_exceeds_its_owner() {
        let table = ScopeTable::jupyterhub();
        let owner = alice_self(&table);
        let stored = [
            Scope::lenient("read:users!user"),
            Scope::lenient("list:users"),
            Scope::lenient("admin:users"),
        ];
        let facts = TokenFacts {
            owner: Owner::User("alice"),
            owner_role_scopes: &owner,
            direct_share_scopes: vec![],
            token_scopes: &stored,
            client: OAuthClient::HUB,
        };
        let got = effective_scopes(&table, &facts, None).unwrap();
        let texts: Vec<&str> = got.scopes.texts().collect();
        assert_eq!(
            texts,
            [
                "read:users!user=alice",
                "read:users:activity!user=alice",
                "read:users:groups!user=alice",
                "read:users:name!user=alice",
                "users:activity!user=alice"
            ]
        );
        assert!(got.discarded.contains("list:users"));
    }

    #[test]
    fn excess_is_refused_with_jupyterhubs_message() {
        let table = ScopeTable::jupyterhub();
        let owner = alice_self(&table);
        let owner_scopes = |_: &mut Vec<Warning>| Ok(owner.clone());
        let (verdict, _) = check_token_scopes(
            &table,
            &[Scope::lenient("read:groups")],
            Owner::User("alice"),
            owner_scopes,
            None,
            None,
        );
        let err = verdict.unwrap_err();
        assert_eq!(
            err.to_string(),
            "Not assigning requested scopes read:groups,read:groups:name not held by User alice"
        );
        let (verdict, warnings) = check_token_scopes(
            &table,
            &[Scope::lenient("inherit")],
            Owner::User("alice"),
            |_: &mut Vec<Warning>| unreachable!("inherit alone needs no owner scopes"),
            None,
            None,
        );
        assert!(verdict.is_ok() && warnings.is_empty());
    }

    #[test]
    fn partly_held_requests_allow_the_held_part() {
        let table = ScopeTable::jupyterhub();
        let (got, _) = resolve_requested_scopes(
            &table,
            &[Scope::lenient("read:users")],
            &set(&["self"]),
            "alice",
            None,
            None,
        );
        let got = got.unwrap();
        let allowed: Vec<&str> = got.allowed.texts().collect();
        assert_eq!(
            allowed,
            [
                "read:users!user=alice",
                "read:users:activity!user=alice",
                "read:users:groups!user=alice",
                "read:users:name!user=alice"
            ]
        );
        assert!(got.disallowed.contains("read:users"));
    }
}
