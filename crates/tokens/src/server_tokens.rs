//! The two tokens of a single-user server, resolved as JupyterHub resolves them at spawn:
//! the server's own API token (`$JUPYTERHUB_API_TOKEN`, from `Spawner.server_token_scopes` or
//! the `server` role), and the scopes its OAuth client may give browser tokens
//! (`Spawner.oauth_client_allowed_scopes`).

use scopes::{GroupMembership, OAuthClient, Scope, ScopeSet, ScopeTable};

use crate::token_scopes::{INHERIT, Resolved, TokenScopeError, resolve_requested_scopes};

/// The scope a server's token needs to report activity; JupyterHub adds it when missing.
pub const ACTIVITY_SCOPE: &str = "users:activity!user";

/// JupyterHub's warning when the activity scope had to be added.
pub const ACTIVITY_WARNING: &str = "Adding required scope users:activity!user to server token, missing from Spawner.server_token_scopes. Please make sure to add it!";

/// The facts that decide a server token's scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerTokenRequest<'a> {
    /// The server's owner.
    pub user: &'a str,
    /// The server name (`""` for the default server).
    pub server: &'a str,
    /// `Spawner.server_token_scopes`; empty means "use the `server` role".
    pub configured: &'a [String],
    /// The scopes of the `server` role as stored now.
    pub server_role: &'a [String],
    /// The raw scopes of the owner's roles (its groups' roles included).
    pub owner_raw_scopes: &'a ScopeSet,
}

/// A server token's scopes and how they came about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerTokenScopes {
    /// What was requested, after `!server` was pinned to this server and the activity scope
    /// added if needed.
    pub requested: ScopeSet,
    /// Whether the activity scope had to be added ([`ACTIVITY_WARNING`]).
    pub added_activity: bool,
    /// The resolution against the owner's raw role scopes plus `inherit`: `allowed` are the
    /// token's scopes, `disallowed` what the owner could not give.
    pub resolved: Resolved,
    /// JupyterHub's warnings on the way (besides [`ACTIVITY_WARNING`]).
    pub warnings: Vec<scopes::Warning>,
}

/// The scopes JupyterHub gives a server's own API token at spawn.
///
/// The request is `server_token_scopes`, or the `server` role's scopes when none are
/// configured; a bare `!server` is pinned to this server (the token is not issued by the
/// server's OAuth client, so nothing else would resolve it); `users:activity!user` is added
/// unless `users:activity`, it, or `inherit` is there. The request is then resolved against
/// what the owner's roles give (plus `inherit`), as for an OAuth token of the hub's client.
pub fn server_token_scopes(
    table: &ScopeTable,
    request: &ServerTokenRequest<'_>,
    groups: Option<&dyn GroupMembership>,
) -> Result<ServerTokenScopes, TokenScopeError> {
    let source = if request.configured.is_empty() {
        request.server_role
    } else {
        request.configured
    };
    let pinned = format!("={}/{}", request.user, request.server);
    let mut requested: ScopeSet = source
        .iter()
        .map(|scope| match scope.ends_with("!server") {
            true => Scope::lenient(format!("{scope}{pinned}")),
            false => Scope::lenient(scope),
        })
        .collect();
    let added_activity = ![ACTIVITY_SCOPE, "users:activity", INHERIT]
        .iter()
        .any(|scope| requested.contains(scope));
    if added_activity {
        requested.insert(Scope::lenient(ACTIVITY_SCOPE));
    }
    let mut have = request.owner_raw_scopes.clone();
    have.insert(Scope::lenient(INHERIT));
    let (resolved, warnings) = resolve_requested_scopes(
        table,
        requested.as_slice(),
        &have,
        request.user,
        Some(OAuthClient::HUB),
        groups,
    );
    Ok(ServerTokenScopes {
        requested,
        added_activity,
        resolved: resolved?,
        warnings,
    })
}

/// The scopes a server's OAuth client may grant browser tokens
/// (`Spawner._get_oauth_client_allowed_scopes`): the configured scopes (or, when none, the
/// raw scopes of the deprecated `oauth_roles`), always with access to the server itself,
/// sorted and distinct.
pub fn oauth_client_allowed_scopes(
    user: &str,
    server: &str,
    configured: &[String],
    oauth_roles_scopes: &[String],
) -> Vec<String> {
    let mut scopes: Vec<String> = if configured.is_empty() {
        oauth_roles_scopes.to_vec()
    } else {
        configured.to_vec()
    };
    scopes.push(format!("access:servers!server={user}/{server}"));
    scopes.sort();
    scopes.dedup();
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(set: &ScopeSet) -> Vec<&str> {
        set.texts().collect()
    }

    #[test]
    fn the_server_role_pins_the_server() {
        let table = ScopeTable::jupyterhub();
        let server_role = vec!["users:activity!user".into(), "access:servers!server".into()];
        let user_roles: ScopeSet = [Scope::lenient("self")].into_iter().collect();
        let got = server_token_scopes(
            &table,
            &ServerTokenRequest {
                user: "alice",
                server: "",
                configured: &[],
                server_role: &server_role,
                owner_raw_scopes: &user_roles,
            },
            None,
        )
        .unwrap();
        assert!(!got.added_activity);
        assert_eq!(
            texts(&got.resolved.allowed),
            ["access:servers!server=alice/", "users:activity!user"]
        );
        assert!(got.resolved.disallowed.is_empty());
    }

    #[test]
    fn activity_is_added_and_unheld_scopes_are_dropped() {
        let table = ScopeTable::jupyterhub();
        let configured = vec!["list:services".into()];
        let user_roles: ScopeSet = [Scope::lenient("self")].into_iter().collect();
        let got = server_token_scopes(
            &table,
            &ServerTokenRequest {
                user: "alice",
                server: "x",
                configured: &configured,
                server_role: &[],
                owner_raw_scopes: &user_roles,
            },
            None,
        )
        .unwrap();
        assert!(got.added_activity);
        assert_eq!(texts(&got.resolved.allowed), ["users:activity!user"]);
        assert_eq!(texts(&got.resolved.disallowed), ["list:services"]);
    }

    #[test]
    fn the_client_always_allows_its_server() {
        assert_eq!(
            oauth_client_allowed_scopes("alice", "x", &["read:users!user".into()], &[]),
            ["access:servers!server=alice/x", "read:users!user"]
        );
    }
}
