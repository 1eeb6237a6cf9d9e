//! Issuing an API token: the checks of JupyterHub's `APIToken.new`, in its order and with its
//! messages, as a pure decision the hub then stores.
//!
//! 1. `scopes` and `roles` together are refused;
//! 2. neither: the stored `token` role's scopes (`["inherit"]` by default); `roles`: the raw
//!    scopes of those roles, each of which must exist (roles are not kept on tokens);
//! 3. every scope must exist ([`scopes::ScopeTable::check_exist`], "for token");
//! 4. the owner must hold them ([`crate::check_token_scopes`]);
//! 5. `expires_in` must be a positive number of seconds, or null ([`ExpiresIn`]).

use roles::{RoleStore, raw_scopes};
use scopes::{
    ErrorClass, ExpandError, GroupMembership, OAuthClient, Owner, Scope, ScopeNotFound, ScopeSet,
    ScopeTable, Warning,
};
use serde_json::Value;

use crate::error::ExpiryError;
use crate::expiry::ExpiresIn;
use crate::token_scopes::{INHERIT, TokenScopeError, check_token_scopes};

/// What a caller asks for when creating a token.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TokenRequest<'a> {
    /// Raw scopes, if given.
    pub scopes: Option<&'a [String]>,
    /// Role names whose scopes the token gets, if given.
    pub roles: Option<&'a [String]>,
    /// The lifetime in seconds as the request gave it (a JSON number, or null), if given.
    pub expires_in: Option<&'a Value>,
}

/// A token JupyterHub would create: what to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    /// The scopes to store on the token, in the order JupyterHub stores them.
    pub scopes: Vec<String>,
    /// The lifetime, if the token expires.
    pub expires_in: Option<ExpiresIn>,
    /// JupyterHub's warnings on the way.
    pub warnings: Vec<Warning>,
}

/// Why a token was refused, with the Python exception class JupyterHub raises.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// `ValueError`: both `scopes` and `roles`.
    #[error("Can only assign one of scopes or roles when creating tokens.")]
    ScopesAndRoles,
    /// `ValueError`: a role that does not exist.
    #[error("No such role: {0}")]
    NoSuchRole(String),
    /// `ScopeNotFound`: a scope that does not exist.
    #[error(transparent)]
    ScopeNotFound(#[from] ScopeNotFound),
    /// `ValueError` "Not assigning requested scopes ... not held by ...", or an expansion
    /// failure.
    #[error(transparent)]
    Scopes(#[from] TokenScopeError),
    /// `ValueError` or `TypeError`: a bad `expires_in`.
    #[error(transparent)]
    Expiry(#[from] ExpiryError),
}

impl IssueError {
    /// The Python exception class JupyterHub raises.
    pub fn python_class(&self) -> &'static str {
        match self {
            IssueError::ScopesAndRoles | IssueError::NoSuchRole(_) => {
                ErrorClass::ValueError.as_str()
            }
            IssueError::ScopeNotFound(e) => e.class().as_str(),
            IssueError::Scopes(e) => e.class().as_str(),
            IssueError::Expiry(e) => e.python_exception(),
        }
    }
}

/// Decides a token request of `owner` the way `APIToken.new` does. `owner_scopes` computes
/// the owner's current scopes (`get_scopes_for(owner)`); it is called only when the request
/// holds something besides `inherit`. `client` is the issuing OAuth client (the hub's own
/// for API tokens).
pub fn issue_token(
    table: &ScopeTable,
    roles: &RoleStore,
    request: &TokenRequest<'_>,
    owner: Owner<'_>,
    owner_scopes: impl FnOnce(&mut Vec<Warning>) -> Result<ScopeSet, ExpandError>,
    client: OAuthClient<'_>,
    groups: Option<&dyn GroupMembership>,
) -> Result<Issued, IssueError> {
    let scopes = requested_scopes(roles, request)?;
    table.check_exist(scopes.iter().map(String::as_str), Some("token"))?;
    let parsed: Vec<Scope> = scopes.iter().map(Scope::lenient).collect();
    let (verdict, warnings) =
        check_token_scopes(table, &parsed, owner, owner_scopes, Some(client), groups);
    verdict?;
    let expires_in = match request.expires_in {
        Some(value) => ExpiresIn::from_json(value)?,
        None => None,
    };
    Ok(Issued {
        scopes,
        expires_in,
        warnings,
    })
}

/// The raw scopes a request asks for (steps 1 and 2 of `APIToken.new`).
pub fn requested_scopes(
    roles: &RoleStore,
    request: &TokenRequest<'_>,
) -> Result<Vec<String>, IssueError> {
    match (request.scopes, request.roles) {
        (Some(_), Some(_)) => Err(IssueError::ScopesAndRoles),
        (Some(scopes), None) => Ok(scopes.to_vec()),
        (None, Some(names)) => {
            let mut found = Vec::with_capacity(names.len());
            for name in names {
                found.push(
                    roles
                        .get(name)
                        .ok_or_else(|| IssueError::NoSuchRole(name.clone()))?,
                );
            }
            Ok(raw_scopes(&found).texts().map(str::to_owned).collect())
        }
        (None, None) => Ok(match roles.get("token") {
            Some(role) => role.scopes.clone(),
            None => vec![INHERIT.to_owned()],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(request: TokenRequest<'_>) -> Result<Issued, IssueError> {
        let table = ScopeTable::jupyterhub();
        let store = RoleStore::with_defaults();
        let owner_scopes = |_: &mut Vec<Warning>| Ok(table.expand_self("alice"));
        issue_token(
            &table,
            &store,
            &request,
            Owner::User("alice"),
            owner_scopes,
            OAuthClient::HUB,
            None,
        )
    }

    #[test]
    fn the_default_is_the_token_role() {
        assert_eq!(issue(TokenRequest::default()).unwrap().scopes, ["inherit"]);
    }

    #[test]
    fn checks_run_in_jupyterhubs_order() {
        let scopes = vec!["read:hub".to_owned()];
        let roles = vec!["nope".to_owned()];
        let zero = Value::from(0.5);
        let message = |r| issue(r).unwrap_err().to_string();
        assert_eq!(
            message(TokenRequest {
                scopes: Some(&scopes),
                roles: Some(&roles),
                expires_in: None
            }),
            "Can only assign one of scopes or roles when creating tokens."
        );
        assert_eq!(
            message(TokenRequest {
                roles: Some(&roles),
                ..TokenRequest::default()
            }),
            "No such role: nope"
        );
        // The scope check comes before the lifetime check.
        assert_eq!(
            message(TokenRequest {
                scopes: Some(&scopes),
                expires_in: Some(&zero),
                ..TokenRequest::default()
            }),
            "Not assigning requested scopes read:hub not held by User alice"
        );
        let err = issue(TokenRequest {
            expires_in: Some(&zero),
            ..TokenRequest::default()
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "expires_in must be a positive integer or null, not 0"
        );
        assert_eq!(err.python_class(), "ValueError");
        let unknown = vec!["read:user".to_owned()];
        let err = issue(TokenRequest {
            scopes: Some(&unknown),
            ..TokenRequest::default()
        })
        .unwrap_err();
        assert_eq!(err.python_class(), "ScopeNotFound");
        assert_eq!(
            err.to_string(),
            "Scope 'read:user' for token does not exist"
        );
    }

    #[test]
    fn roles_give_their_raw_scopes() {
        let roles = vec!["server".to_owned()];
        let issued = issue(TokenRequest {
            roles: Some(&roles),
            ..TokenRequest::default()
        })
        .unwrap();
        assert_eq!(
            issued.scopes,
            ["access:servers!server", "users:activity!user"]
        );
    }
}
