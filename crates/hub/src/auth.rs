//! Who is calling, and what may they do: the token from the `Authorization` header, its
//! owner's roles, groups and shares, and the token's effective scopes (JupyterHub's
//! `get_scopes_for(token)`). A denial is explained with the whole chain.

use std::sync::{Arc, OnceLock};

use axum::http::HeaderMap;
use roles::{Holder, Role};
use scopes::{Decision, OAuthClient, Owner, ParsedScopes, Requirement, Scope, Target};
use serde_json::Value;
use store::Tx;
use time::OffsetDateTime;
use tokens::{EffectiveScopes, HeldRole, RequestFacts, RoleSource, TokenFacts, TokenKind};

use crate::cache::TokenKey;
use crate::error::ApiError;
use crate::membership::TxMembership;
use crate::oauth::clients::{ClientOwner, client_owner, scope_client};
use crate::state::AppState;

/// The owner of the calling token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// A user, by name.
    User(String),
    /// A service, by name.
    Service(String),
}

impl Principal {
    /// The name.
    pub fn name(&self) -> &str {
        match self {
            Principal::User(name) | Principal::Service(name) => name,
        }
    }

    /// As the scopes crate's owner.
    pub fn owner(&self) -> Owner<'_> {
        match self {
            Principal::User(name) => Owner::User(name),
            Principal::Service(name) => Owner::Service(name),
        }
    }

    /// As a role holder.
    pub fn holder(&self) -> Holder<'_> {
        match self {
            Principal::User(name) => Holder::User(name),
            Principal::Service(name) => Holder::Service(name),
        }
    }
}

/// An authenticated caller: the token, its owner, and what the token may do.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The token used.
    pub token: store::Token,
    /// Its owner.
    pub principal: Principal,
    /// What the database knows about the owner (roles, groups, shares).
    pub facts: OwnerFacts,
    /// The effective scopes and how they came about.
    pub effective: EffectiveScopes,
    /// The effective scopes, parsed for decisions.
    pub parsed: ParsedScopes,
    /// What the token's OAuth client belongs to ([`token_client`]).
    pub client: Option<ClientOwner>,
    /// What the token is remembered under ([`crate::cache`]).
    pub key: TokenKey,
    /// The caller widened to read itself ([`Caller::identified`]), made on first use.
    identified: OnceLock<Arc<Caller>>,
}

/// The token in a request, JupyterHub's way: `Authorization: token X` or `bearer X`
/// (`^(?:token|bearer)\s+([^\s]+)$`, any case). `?token=` is not accepted by the hub.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, rest) = value.split_once(|c: char| c.is_ascii_whitespace())?;
    if !scheme.eq_ignore_ascii_case("token") && !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
    if token.is_empty() || token.contains(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    Some(token.to_owned())
}

/// Finds the caller of a request, updating activity timestamps as JupyterHub does (no more
/// often than `activity_resolution`). `None`: no valid credentials.
///
/// A caller is remembered until the next write ([`crate::cache`]), so a token seen before
/// costs neither its hash nor a database read.
///
/// # Errors
///
/// Database failures.
pub async fn authenticate(
    state: &crate::state::SharedState,
    headers: &HeaderMap,
) -> Result<Option<Arc<Caller>>, ApiError> {
    let Some(secret) = token_from_headers(headers) else {
        // a browser's login cookie, checked by `login::api_cookie` before the handler ran
        return crate::login::api_cookie::cookie_caller(state, headers).await;
    };
    let key = TokenKey::of(&secret);
    let caller = match state.cache.caller(&key, OffsetDateTime::now_utc()) {
        Some(caller) => caller,
        None => {
            let _filling = state.cache.filling(&key).await;
            match state.cache.caller(&key, OffsetDateTime::now_utc()) {
                Some(caller) => caller,
                None => match resolve(state, key, secret.clone()).await? {
                    Some(caller) => caller,
                    None => return Ok(None),
                },
            }
        }
    };
    if !record_activity(state, &caller).await? {
        return Ok(Some(caller));
    }
    // The owner's model changed (its activity, perhaps its default server): read it again,
    // as JupyterHub's handlers see the user after `get_current_user` updated it.
    resolve(state, key, secret).await
}

/// Reads the caller of `secret` from the database and remembers it under `key`.
async fn resolve(
    state: &crate::state::SharedState,
    key: TokenKey,
    secret: String,
) -> Result<Option<Arc<Caller>>, ApiError> {
    let read_at = state.cache.generation();
    let caller = state
        .read(move |state, tx| caller_for_token(state, tx, &secret))
        .await?
        .map(Arc::new);
    if let Some(caller) = &caller {
        state
            .cache
            .remember_caller(key, read_at, Arc::clone(caller));
    }
    Ok(caller)
}

/// Records the caller's activity when it is due; `true` when something was written.
async fn record_activity(
    state: &crate::state::SharedState,
    caller: &Caller,
) -> Result<bool, ApiError> {
    let now = OffsetDateTime::now_utc();
    let resolution = time::Duration::seconds(i64::from(state.config.activity_resolution));
    let stale = move |at: Option<OffsetDateTime>| at.is_none_or(|at| now - at > resolution);
    let load_user = caller.needs_default_server();
    let update_token = stale(caller.token.last_activity);
    if !update_token && !load_user {
        return Ok(false);
    }
    let owner = caller.principal.name().to_owned();
    let id = caller.token.id;
    // Server tokens do not count as their owner's activity (JupyterHub's rule).
    let user = match &caller.principal {
        Principal::User(name) if !caller.is_server_token() => Some(name.clone()),
        _ => None,
    };
    state
        .write(move |_, tx| {
            // Authenticating loads the owner as JupyterHub's `User` wrapper does.
            if load_user {
                crate::api::users::load_user(tx, &owner)?;
            }
            if !update_token {
                return Ok(());
            }
            tx.set_token_last_activity(id, now)?;
            if let Some(user) = user {
                let due = tx.find_user(&user)?.is_some_and(|u| stale(u.last_activity));
                if due {
                    tx.set_user_last_activity(&user, now)?;
                }
            }
            Ok(())
        })
        .await?;
    Ok(true)
}

/// The caller holding the token `secret`, if it is a valid token.
///
/// # Errors
///
/// Database failures; a token whose scopes cannot be computed (an unknown scope in a stored
/// token) is refused with 403 and the reason.
pub fn caller_for_token(
    state: &AppState,
    tx: &mut Tx<'_>,
    secret: &str,
) -> Result<Option<Caller>, ApiError> {
    let Some(token) = find_token(tx, secret)? else {
        return Ok(None);
    };
    caller_for(state, tx, token, TokenKey::of(secret)).map(Some)
}

/// The caller holding `token` (a stored one, or a cookie session's stand-in), remembered
/// under `key`.
fn caller_for(
    state: &AppState,
    tx: &mut Tx<'_>,
    token: store::Token,
    key: TokenKey,
) -> Result<Caller, ApiError> {
    let principal = match &token.owner {
        store::Owner::User(name) => Principal::User(name.clone()),
        store::Owner::Service(name) => Principal::Service(name.clone()),
    };
    let facts = OwnerFacts::load(state, tx, &principal)?;
    let client = token_client(tx, &token.client_id)?;
    let membership = TxMembership::new(tx);
    if let Principal::User(name) = &principal {
        membership.remember(name, facts.groups().iter().cloned());
    }
    let table = &state.config.scope_table;
    let effective = facts
        .role_scopes(table, &principal)
        .map_err(|error| refused_token(&error.to_string()))
        .and_then(|role_scopes| {
            facts
                .token_scopes(
                    table,
                    &principal,
                    &role_scopes,
                    &token,
                    scope_client(&token.client_id, client.as_ref()),
                    &membership,
                )
                .map_err(|error| refused_token(&error.to_string()))
        })?;
    let parsed = ParsedScopes::from_set(effective.scopes.clone())
        .map_err(|error| refused_token(&error.to_string()))?;
    Ok(Caller {
        token,
        principal,
        facts,
        effective,
        parsed,
        client,
        key,
        identified: OnceLock::new(),
    })
}

/// The caller behind a browser's login cookie: the user with all their scopes (the stand-in
/// token [`crate::login::api_cookie::session_token`] holds `inherit`, and is never stored).
///
/// # Errors
///
/// Database failures; an unknown user is `None`.
pub fn caller_for_cookie_user(
    state: &AppState,
    tx: &mut Tx<'_>,
    name: &str,
) -> Result<Option<Caller>, ApiError> {
    let Some(user) = tx.find_user(name)? else {
        return Ok(None);
    };
    let token = crate::login::api_cookie::session_token(name)?;
    // answers remembered for this caller are the user's own: keyed by name and login, in a
    // form no token secret has (a NUL byte)
    let key = TokenKey::of(&format!("\0cookie\0{}\0{name}", user.cookie_id));
    caller_for(state, tx, token, key).map(Some)
}

/// The unexpired token `secret`, if any. Tokens longer than JupyterHub's maximum are
/// refused without hashing, as JupyterHub refuses them.
///
/// # Errors
///
/// Database failures.
pub fn find_token(tx: &mut Tx<'_>, secret: &str) -> Result<Option<store::Token>, ApiError> {
    if secret.chars().count() > tokens::MAX_LENGTH {
        return Ok(None);
    }
    Ok(tx.find_token(secret, OffsetDateTime::now_utc(), None)?)
}

/// What the database knows about a token owner that decides its scopes.
#[derive(Clone, Debug, Default)]
pub struct OwnerFacts {
    /// The roles that apply, each with the group it comes through (`None`: direct).
    pub roles: Vec<(Role, Option<String>)>,
    /// The stored scopes of shares given to the user directly.
    pub direct_share_scopes: Vec<Vec<Scope>>,
    /// Every share the user received, directly and through groups.
    pub shares: Vec<sharing::Share>,
    /// The user as `GET /users/:name` shows it (`None` for a service): read here anyway,
    /// and what `GET /user` answers from.
    pub details: Option<store::UserDetails>,
}

impl OwnerFacts {
    /// The user's groups (none for a service).
    pub fn groups(&self) -> &[String] {
        self.details
            .as_ref()
            .map_or(&[], |details| details.groups.as_slice())
    }

    /// Reads the facts of `principal`.
    ///
    /// # Errors
    ///
    /// Database failures; an unknown owner is [`store::StoreError::NotFound`].
    pub fn load(
        state: &AppState,
        tx: &mut Tx<'_>,
        principal: &Principal,
    ) -> Result<OwnerFacts, ApiError> {
        let mut facts = OwnerFacts::default();
        let mut role_names: Vec<(String, Option<String>)> = Vec::new();
        match principal {
            Principal::User(name) => {
                let details = tx.user_details(name)?;
                for role in &details.roles {
                    role_names.push((role.clone(), None));
                }
                for group in &details.groups {
                    for (role, _) in tx.roles_of(Holder::Group(group))? {
                        role_names.push((role.role.name, Some(group.clone())));
                    }
                }
                for share in &details.shares_received {
                    if share.share.recipient == sharing::Recipient::User(name.clone()) {
                        facts
                            .direct_share_scopes
                            .push(share.share.current_scopes().into_vec());
                    }
                    facts.shares.push(share.share.clone());
                }
                facts.details = Some(details);
            }
            Principal::Service(name) => {
                for (role, _) in tx.roles_of(Holder::Service(name))? {
                    role_names.push((role.role.name, None));
                }
            }
        }
        facts.roles = role_names
            .into_iter()
            .filter_map(|(name, via)| state.roles.get(&name).cloned().map(|role| (role, via)))
            .collect();
        Ok(facts)
    }

    /// The owner's expanded role scopes (without shares).
    ///
    /// # Errors
    ///
    /// A role scope that is not in the table.
    pub fn role_scopes(
        &self,
        table: &scopes::ScopeTable,
        principal: &Principal,
    ) -> Result<scopes::ScopeSet, scopes::ExpandError> {
        let refs: Vec<&Role> = self.roles.iter().map(|(role, _)| role).collect();
        Ok(roles::role_scopes(table, principal.holder(), &refs)?.scopes)
    }

    /// What `token` of this owner may do (`get_scopes_for(token)`), given the owner's role
    /// scopes ([`OwnerFacts::role_scopes`], computed once for several tokens).
    ///
    /// # Errors
    ///
    /// A stored scope that is not in the table.
    pub fn token_scopes(
        &self,
        table: &scopes::ScopeTable,
        principal: &Principal,
        role_scopes: &scopes::ScopeSet,
        token: &store::Token,
        client: OAuthClient<'_>,
        groups: &dyn scopes::GroupMembership,
    ) -> Result<EffectiveScopes, tokens::TokenScopeError> {
        let token_scopes: Vec<Scope> = token.scopes.iter().map(Scope::lenient).collect();
        let facts = TokenFacts {
            owner: principal.owner(),
            owner_role_scopes: role_scopes,
            direct_share_scopes: self.direct_share_scopes.iter().map(Vec::as_slice).collect(),
            token_scopes: &token_scopes,
            client,
        };
        tokens::effective_scopes(table, &facts, Some(groups))
    }

    /// Everything the owner holds: `get_scopes_for(user)` (roles, then shares expanded).
    ///
    /// # Errors
    ///
    /// A role or share scope that is not in the table.
    pub fn all_scopes(
        &self,
        table: &scopes::ScopeTable,
        principal: &Principal,
        warnings: &mut Vec<scopes::Warning>,
    ) -> Result<scopes::ScopeSet, scopes::ExpandError> {
        let refs: Vec<&Role> = self.roles.iter().map(|(role, _)| role).collect();
        let current: Vec<scopes::ScopeSet> = self
            .shares
            .iter()
            .map(sharing::Share::current_scopes)
            .collect();
        let shares: Vec<roles::ReceivedShare<'_>> = self
            .shares
            .iter()
            .zip(&current)
            .map(|(share, scopes)| roles::ReceivedShare {
                scopes: scopes.as_slice(),
                with: match &share.recipient {
                    sharing::Recipient::User(user) => Holder::User(user),
                    sharing::Recipient::Group(group) => Holder::Group(group),
                },
                // Stored share scopes carry their `!server=` filter: no bare filter to
                // resolve against the server's client.
                client: None,
            })
            .collect();
        let facts = roles::HolderFacts {
            holder: principal.holder(),
            roles: refs,
            shares,
        };
        roles::scopes_for_warning_into(table, &facts, warnings)
    }
}

fn refused_token(reason: &str) -> ApiError {
    tracing::warn!(reason, "a stored token's scopes cannot be computed");
    ApiError::forbidden(format!("This token's scopes cannot be resolved: {reason}"))
}

/// What the OAuth client that issued a token belongs to: nothing for the hub's own client
/// (`jupyterhub`), a service for `service-NAME`, and for a server's client
/// (`jupyterhub-user-...`) the server whose recorded client id it is (read from the
/// database). JupyterHub resolves a token's bare `!server` and its access scope against
/// that server (`get_scopes_for(token)` with `orm_object.oauth_client`).
///
/// # Errors
///
/// Database failures.
pub fn token_client(tx: &mut Tx<'_>, identifier: &str) -> Result<Option<ClientOwner>, ApiError> {
    if identifier == OAuthClient::HUB.identifier {
        return Ok(None);
    }
    if let Some(service) = identifier.strip_prefix("service-") {
        return Ok(Some(ClientOwner::Service(service.to_owned())));
    }
    Ok(client_owner(tx, identifier)?)
}

impl Caller {
    /// JupyterHub's `needs_scope` decision, without an explanation.
    ///
    /// # Errors
    ///
    /// 500 for a requirement naming a scope the table lacks (a hub bug).
    pub fn decide(
        &self,
        state: &AppState,
        membership: Option<&dyn scopes::GroupMembership>,
        requirement: &Requirement<'_>,
    ) -> Result<Decision, ApiError> {
        scopes::decide(
            &state.config.scope_table,
            Some(&self.parsed),
            requirement,
            membership,
        )
        .map_err(|error| internal(&error.to_string()))
    }

    /// JupyterHub's `needs_scope`: allowed, or the denial with its explanation attached (and
    /// one log line saying why).
    ///
    /// # Errors
    ///
    /// 403 / 404 with JupyterHub's message and hubcap's explanation.
    pub fn require(
        &self,
        state: &AppState,
        membership: Option<&dyn scopes::GroupMembership>,
        scopes: &[&str],
        target: Option<Target<'_>>,
        post_filter: bool,
    ) -> Result<Decision, ApiError> {
        let requirement = Requirement {
            scopes,
            target,
            post_filter,
        };
        let decision = self.decide(state, membership, &requirement)?;
        if decision.is_allowed() {
            return Ok(decision);
        }
        let status = axum::http::StatusCode::from_u16(decision.status)
            .unwrap_or(axum::http::StatusCode::FORBIDDEN);
        let mut error = match &decision.message {
            Some(message) => ApiError::new(status, message.clone()),
            None => ApiError::bare(status),
        };
        let explanation = self.explain(state, membership, requirement);
        tracing::info!(
            status = decision.status,
            token = %self.token.api_id(),
            owner = self.principal.name(),
            explanation = %explanation.get("text").and_then(|text| text.as_str()).unwrap_or(""),
            "request denied"
        );
        error.explanation = Some(explanation);
        Err(error)
    }

    /// The explanation of a decision on `requirement` (the chain from `tokens::explain`).
    pub fn explain(
        &self,
        state: &AppState,
        membership: Option<&dyn scopes::GroupMembership>,
        requirement: Requirement<'_>,
    ) -> Value {
        let token_scopes: Vec<Scope> = self.token.scopes.iter().map(Scope::lenient).collect();
        let facts = RequestFacts {
            owner: self.principal.owner(),
            roles: self
                .facts
                .roles
                .iter()
                .map(|(role, via)| HeldRole {
                    role,
                    source: match via {
                        Some(group) => RoleSource::Group(group),
                        None => RoleSource::Direct,
                    },
                })
                .collect(),
            direct_share_scopes: self
                .facts
                .direct_share_scopes
                .iter()
                .map(Vec::as_slice)
                .collect(),
            kind: self.kind(),
            token_scopes: &token_scopes,
            client: scope_client(&self.token.client_id, self.client.as_ref()),
            requirement,
        };
        match tokens::explain(&state.config.scope_table, &facts, membership) {
            Ok(chain) => {
                let text = chain.text();
                let mut value = serde_json::to_value(&chain).unwrap_or(Value::Null);
                if let Some(map) = value.as_object_mut() {
                    map.insert("token_id".to_owned(), Value::from(self.token.api_id()));
                    map.insert("text".to_owned(), Value::from(text));
                }
                value
            }
            Err(error) => serde_json::json!({"error": error.to_string()}),
        }
    }

    /// Whether the token is a single-user server's own (JupyterHub marks them by note).
    fn is_server_token(&self) -> bool {
        self.token.note.starts_with("Server at ")
    }

    /// Whether the (user) owner still lacks the default server's record, which loading a
    /// user creates (see `api::users::load_user`).
    fn needs_default_server(&self) -> bool {
        self.facts
            .details
            .as_ref()
            .is_some_and(|details| !details.servers.iter().any(|s| s.name.is_empty()))
    }

    fn kind(&self) -> TokenKind<'_> {
        if self.is_server_token() {
            TokenKind::Server { server: "" }
        } else if self.token.client_id != "jupyterhub" {
            TokenKind::OAuth
        } else {
            TokenKind::Api
        }
    }

    /// The caller with `extra` scopes added (JupyterHub widens `expanded_scopes` so that a
    /// caller can read itself, or the owner of a token it shows).
    ///
    /// # Errors
    ///
    /// A scope that cannot be parsed.
    pub fn widened(&self, extra: &scopes::ScopeSet) -> Result<Caller, ApiError> {
        let mut widened = self.clone();
        widened.identified = OnceLock::new();
        if extra
            .iter()
            .all(|scope| self.effective.scopes.contains(scope.as_str()))
        {
            return Ok(widened);
        }
        widened.effective.scopes.extend(extra.iter().cloned());
        widened.parsed = ParsedScopes::from_set(widened.effective.scopes.clone())
            .map_err(|error| ApiError::forbidden(error.to_string()))?;
        Ok(widened)
    }

    /// The caller widened by its identify scopes (JupyterHub's `GET /user` lets any token
    /// read its owner's name and groups), made once per remembered caller.
    ///
    /// # Errors
    ///
    /// A scope that cannot be parsed.
    pub fn identified(&self) -> Result<Arc<Caller>, ApiError> {
        if let Some(identified) = self.identified.get() {
            return Ok(Arc::clone(identified));
        }
        let widened =
            Arc::new(self.widened(&scopes::identify_scopes(Some(self.principal.owner())))?);
        Ok(Arc::clone(self.identified.get_or_init(|| widened)))
    }

    /// Whether the caller holds `scope` for `resource` (JupyterHub's `has_scope` /
    /// `check_scope_filter` used for vertical and horizontal filtering).
    pub fn holds(&self, scope: &str, resource: &scopes::Resource<'_>) -> bool {
        self.parsed
            .get(scope)
            .is_some_and(|filters| scopes::check_scope_filter(filters, resource))
    }
}

/// A new hub-generated token and its stored hash; `what` names it in the error (`"the
/// server's token"`).
///
/// # Errors
///
/// 500 when the system has no randomness or the hash fails (logged).
pub fn fresh_token(what: &str) -> Result<(tokens::Secret, tokens::TokenHash), ApiError> {
    let failed = || {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("Failed to create {what}"),
        )
    };
    let secret = tokens::new_token().map_err(|error| {
        tracing::error!(%error, what, "no randomness for a token");
        failed()
    })?;
    let hash = tokens::TokenHash::for_storage(secret.expose(), tokens::Origin::Generated).map_err(
        |error| {
            tracing::error!(%error, what, "hashing a new token failed");
            failed()
        },
    )?;
    Ok((secret, hash))
}

/// 403 for a request without valid credentials on an endpoint that needs scopes.
pub fn missing_credentials() -> ApiError {
    ApiError::forbidden("Missing or invalid credentials.").explained(serde_json::json!({
        "text": "no valid token: send `Authorization: token TOKEN` with a token the hub issued",
    }))
}

fn internal(reason: &str) -> ApiError {
    tracing::error!(reason, "scope decision failed");
    ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error; the hub's log has the details.",
    )
}
