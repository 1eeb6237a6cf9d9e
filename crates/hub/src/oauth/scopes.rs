//! Which scopes an OAuth request gets (reference §4.2): JupyterHub's `validate_scopes`
//! (`identify` dropped, role names for unknown scope names, the identify and access scopes
//! added, all within the client's allowed scopes) and the authorize handler's meeting with
//! the user's own raw role scopes.

use roles::Role;
use scopes::{AccessTarget, OAuthClient, Scope, ScopeSet, access_scopes, identify_scopes};

use crate::state::AppState;

/// The scopes every token of `client` carries: the owner's identity and access to the
/// client's server or service.
pub fn required_scopes(client: OAuthClient<'_>) -> ScopeSet {
    let mut required = identify_scopes(None);
    required.extend(access_scopes(AccessTarget::Client(client)));
    required
}

/// `get_default_scopes`: the client's allowed scopes, plus the required ones unless they
/// hold `inherit`.
pub fn default_scopes(allowed: &[String], client: OAuthClient<'_>) -> Vec<String> {
    let mut scopes: ScopeSet = allowed.iter().map(Scope::lenient).collect();
    if !allowed.iter().any(|scope| scope == "inherit") {
        scopes.extend(required_scopes(client));
    }
    scopes.texts().map(str::to_owned).collect()
}

/// `validate_scopes`: the scopes the request asks for, resolved, or `None` (`invalid_scope`).
pub fn validate_scopes(
    state: &AppState,
    requested: &[String],
    client_allowed: &[String],
    user: &str,
    client: OAuthClient<'_>,
    groups: Option<&dyn scopes::GroupMembership>,
) -> Option<ScopeSet> {
    let mut names: Vec<&str> = requested.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    if names.contains(&"identify") {
        tracing::warn!(
            client = client.identifier,
            "ignoring deprecated 'identify' scope"
        );
        names.retain(|name| *name != "identify");
    }
    let table = &state.config.scope_table;
    let mut requested: ScopeSet = if table.check_exist(names.iter().copied(), None).is_ok() {
        names.iter().map(Scope::lenient).collect()
    } else {
        // not scopes: perhaps role names (JupyterHub 2.x asked for roles)
        let roles: Vec<&Role> = names
            .iter()
            .filter_map(|name| state.roles.get(name))
            .collect();
        if roles.len() != names.len() {
            tracing::warn!(client = client.identifier, scopes = ?names, "no such scopes");
            return None;
        }
        roles
            .iter()
            .flat_map(|role| role.scopes.iter().map(Scope::lenient))
            .collect()
    };
    let required = required_scopes(client);
    requested.extend(required.iter().cloned());
    let mut allowed: ScopeSet = client_allowed.iter().map(Scope::lenient).collect();
    allowed.extend(required);
    let wanted: Vec<Scope> = requested.iter().cloned().collect();
    let (resolved, _warnings) =
        tokens::resolve_requested_scopes(table, &wanted, &allowed, user, Some(client), groups);
    match resolved {
        Ok(resolved) if resolved.disallowed.is_empty() => Some(requested),
        Ok(resolved) => {
            tracing::error!(
                client = client.identifier,
                disallowed = ?resolved.disallowed.texts().collect::<Vec<_>>(),
                "scopes not allowed for the client"
            );
            None
        }
        Err(error) => {
            tracing::error!(client = client.identifier, %error, "scopes cannot be resolved");
            None
        }
    }
}

/// The requested scopes the user holds (raw role scopes, `inherit` and the required scopes
/// count as held): the authorize handler's `_resolve_requested_scopes`.
pub fn user_allowed_scopes(
    state: &AppState,
    requested: &ScopeSet,
    user_roles: &[&Role],
    user: &str,
    client: OAuthClient<'_>,
    groups: Option<&dyn scopes::GroupMembership>,
) -> ScopeSet {
    let mut have: ScopeSet = user_roles
        .iter()
        .flat_map(|role| role.scopes.iter().map(Scope::lenient))
        .collect();
    have.insert(Scope::lenient("inherit"));
    have.extend(required_scopes(client));
    let wanted: Vec<Scope> = requested.iter().cloned().collect();
    let (resolved, _warnings) = tokens::resolve_requested_scopes(
        &state.config.scope_table,
        &wanted,
        &have,
        user,
        Some(client),
        groups,
    );
    match resolved {
        Ok(resolved) => {
            if !resolved.disallowed.is_empty() {
                tracing::warn!(
                    client = client.identifier,
                    user,
                    granted = ?resolved.allowed.texts().collect::<Vec<_>>(),
                    "client requested scopes the user lacks; granting only those held"
                );
            }
            resolved.allowed
        }
        Err(error) => {
            tracing::error!(%error, "scopes cannot be resolved");
            required_scopes(client)
        }
    }
}
