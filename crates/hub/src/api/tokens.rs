//! `/users/:name/tokens`, `/users/:name/tokens/:id` (apihandlers/users.py): list, issue,
//! read and revoke API tokens.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use scopes::{OAuthClient, Resource, Target};
use serde_json::{Map, Value, json};
use store::{NewToken, Token, TokenOwner, Tx};
use time::OffsetDateTime;
use tokens::TokenRequest;

use super::guard::{self, Need};
use super::request::json_body;
use crate::auth::{OwnerFacts, Principal, token_client};
use crate::error::{ApiError, ApiResult, json_response};
use crate::membership::TxMembership;
use crate::models::token_model;
use crate::oauth::clients::{ClientOwner, scope_client};
use crate::state::{AppState, SharedState};

/// A token's effective scopes (`get_scopes_for(token)`), for its model.
fn token_scopes(
    state: &AppState,
    membership: &TxMembership<'_, '_>,
    owner: &Principal,
    facts: &OwnerFacts,
    owner_role_scopes: &scopes::ScopeSet,
    token: &Token,
    client: Option<&ClientOwner>,
) -> Vec<String> {
    let table = &state.config.scope_table;
    let client = scope_client(&token.client_id, client);
    match facts.token_scopes(table, owner, owner_role_scopes, token, client, membership) {
        Ok(effective) => effective.scopes.texts().map(str::to_owned).collect(),
        Err(error) => {
            tracing::warn!(%error, token = %token.api_id(), "token scopes cannot be computed");
            Vec::new()
        }
    }
}

fn client_description(tx: &mut Tx<'_>, client_id: &str) -> Result<String, ApiError> {
    Ok(match tx.find_oauth_client(client_id)? {
        Some(client) => client
            .description
            .filter(|d| !d.is_empty())
            .unwrap_or(client.identifier),
        None => client_id.to_owned(),
    })
}

fn models(
    state: &AppState,
    membership: &TxMembership<'_, '_>,
    owner: &Principal,
    tokens: &[Token],
) -> Result<Vec<Map<String, Value>>, ApiError> {
    let facts = OwnerFacts::load(state, &mut **membership.tx()?, owner)?;
    let role_scopes = facts
        .role_scopes(&state.config.scope_table, owner)
        .unwrap_or_default();
    // Most tokens share a client (the hub's own): look each client up once.
    let mut clients: HashMap<&str, (Option<ClientOwner>, String)> = HashMap::new();
    let mut out = Vec::with_capacity(tokens.len());
    for token in tokens {
        let (client, description) = match clients.get(token.client_id.as_str()) {
            Some(found) => found.clone(),
            None => {
                let mut tx = membership.tx()?;
                let found = (
                    token_client(&mut tx, &token.client_id)?,
                    client_description(&mut tx, &token.client_id)?,
                );
                clients.insert(&token.client_id, found.clone());
                found
            }
        };
        let scopes = token_scopes(
            state,
            membership,
            owner,
            &facts,
            &role_scopes,
            token,
            client.as_ref(),
        );
        out.push(token_model(token, &scopes, &description));
    }
    Ok(out)
}

/// GET /users/:name/tokens
pub async fn list(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let need = Need::any(&["read:tokens"]).on_user(&name);
    guard::write(&state, &headers, need, move |state, _, membership| {
        if super::users::load_user(&mut **membership.tx()?, &name)?.is_none() {
            return Err(ApiError::not_found(format!("No such user: {name}")));
        }
        let now = OffsetDateTime::now_utc();
        let mut kept = Vec::new();
        let stored = membership.tx()?.tokens_of(TokenOwner::User(&name))?;
        for token in stored {
            if tokens::is_expired(token.expires_at, now) {
                // JupyterHub deletes expired tokens as it lists them.
                membership.tx()?.delete_token(token.id)?;
            } else {
                kept.push(token);
            }
        }
        kept.sort_by_key(|token| token.last_activity.unwrap_or(token.created));
        let owner = Principal::User(name.clone());
        let models = models(state, membership, &owner, &kept)?;
        let body = json!({"api_tokens": models});
        Ok(json_response(StatusCode::OK, &body))
    })
    .await
}

/// POST /users/:name/tokens
pub async fn create(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let requester = crate::auth::authenticate(&state, &headers).await?;
    state
        .write(move |state, tx| {
            let body = match json_body(&body)? {
                None => Value::Object(Map::new()),
                Some(value) if !scopes::py_truthy(&value) => Value::Object(Map::new()),
                Some(value) => value,
            };
            if !body.is_object() {
                return Err(ApiError::bad_request("Body must be a JSON dict or empty"));
            }
            // Authenticating with `auth` in the body needs an authenticator; none can
            // succeed, so JupyterHub's answer is a bare 403.
            let Some(requester) = requester else {
                return Err(ApiError::bare(StatusCode::FORBIDDEN));
            };
            let membership = TxMembership::new(tx);
            let kind = match requester.principal {
                Principal::User(_) => "User",
                Principal::Service(_) => "Service",
            };
            let user_exists = super::users::load_user(&mut **membership.tx()?, &name)?.is_some();
            let user_groups = if user_exists {
                Some(membership.tx()?.user_groups(&name)?)
            } else {
                None
            };
            let allowed = user_groups.as_ref().is_some_and(|groups| {
                let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
                requester.holds(
                    "tokens",
                    &Resource::User {
                        name: &name,
                        groups: &groups,
                    },
                )
            });
            if !allowed {
                let error = ApiError::forbidden(format!(
                    "{kind} {name} not found or no permissions to generate tokens"
                ));
                let explanation = requester.explain(
                    state,
                    Some(&membership),
                    scopes::Requirement {
                        scopes: &["tokens"],
                        target: Some(Target::user(&name)),
                        post_filter: false,
                    },
                );
                return Err(error.explained(explanation));
            }
            let same_owner = requester.principal == Principal::User(name.clone());
            let note = match body.get("note") {
                Some(note) if scopes::py_truthy(note) => match note {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                },
                _ if same_owner => "Requested via api".to_owned(),
                _ => format!(
                    "Requested via api by {} {}",
                    kind.to_lowercase(),
                    requester.principal.name()
                ),
            };
            let mut lists: [Option<Vec<String>>; 2] = [None, None];
            for (slot, key) in lists.iter_mut().zip(["roles", "scopes"]) {
                match body.get(key) {
                    None | Some(Value::Null) => {}
                    Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
                        *slot = Some(
                            items
                                .iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect(),
                        );
                    }
                    Some(other) => {
                        return Err(ApiError::bad_request(format!(
                            "token {key} must be null or a list of strings, not {}",
                            scopes::py_value(other)
                        )));
                    }
                }
            }
            let [roles, scopes_requested] = lists;
            let mut expires_in = match body.get("expires_in") {
                None | Some(Value::Null) => None,
                Some(value @ Value::Bool(_)) => Some(value.clone()),
                Some(value @ Value::Number(number)) if number.is_i64() || number.is_u64() => {
                    Some(value.clone())
                }
                Some(other) => {
                    return Err(ApiError::bad_request(format!(
                        "token expires_in must be null or integer, not {}",
                        scopes::py_value(other)
                    )));
                }
            };
            let max = state.config.token_expires_in_max_seconds;
            if max > 0 {
                match &expires_in {
                    None => expires_in = Some(json!(max)),
                    Some(value) => {
                        let seconds = match value {
                            Value::Bool(flag) => i128::from(*flag),
                            other => other.as_i64().map(i128::from).unwrap_or(i128::MAX),
                        };
                        if seconds > i128::from(max) {
                            return Err(ApiError::bad_request(format!(
                                "token expires_in: {} must not exceed {max}",
                                scopes::py_value(value)
                            )));
                        }
                    }
                }
            }
            let owner = Principal::User(name.clone());
            let facts = OwnerFacts::load(state, &mut **membership.tx()?, &owner)?;
            let table = &state.config.scope_table;
            let request = TokenRequest {
                scopes: scopes_requested.as_deref(),
                roles: roles.as_deref(),
                expires_in: expires_in.as_ref(),
            };
            let issued = tokens::issue_token(
                table,
                &state.roles,
                &request,
                owner.owner(),
                |warnings| facts.all_scopes(table, &owner, warnings),
                OAuthClient::HUB,
                Some(&membership),
            )
            .map_err(|error| {
                let message = match &error {
                    tokens::IssueError::ScopeNotFound(inner) => scopes::py_str(&inner.to_string()),
                    other => other.to_string(),
                };
                ApiError::bad_request(message)
            })?;
            let (secret, hash) = crate::auth::fresh_token("token")?;
            let now = OffsetDateTime::now_utc();
            let expires_at = match issued.expires_in {
                Some(expires_in) => Some(
                    expires_in
                        .expires_at(now)
                        .map_err(|error| ApiError::bad_request(error.to_string()))?,
                ),
                None => None,
            };
            let stored = membership.tx()?.insert_token(&NewToken {
                owner: TokenOwner::User(&name),
                hash: &hash,
                prefix: secret.prefix(),
                scopes: &issued.scopes,
                note: &note,
                expires_at,
                client_id: "jupyterhub",
                session_id: None,
            })?;
            if same_owner {
                tracing::info!("User {name} requested new API token");
            } else {
                tracing::info!(
                    "{kind} {} requested API token for {name}",
                    requester.principal.name()
                );
            }
            let mut model = models(state, &membership, &owner, std::slice::from_ref(&stored))?
                .pop()
                .unwrap_or_default();
            model.insert("token".into(), json!(secret.expose()));
            Ok(json_response(StatusCode::CREATED, &Value::Object(model)))
        })
        .await
}

/// `find_token_by_id`: `a<id>` of this user, else 404 with JupyterHub's message.
fn token_by_api_id(tx: &mut Tx<'_>, user: &str, api_id: &str) -> Result<Token, ApiError> {
    let not_found = || ApiError::not_found(format!("No such token {api_id} for user {user}"));
    let id = api_id
        .strip_prefix('a')
        .and_then(super::request::python_int)
        .ok_or_else(not_found)?;
    match tx.token_by_id(id)? {
        Some(token) if token.owner == store::Owner::User(user.to_owned()) => Ok(token),
        _ => Err(not_found()),
    }
}

/// GET /users/:name/tokens/:id
pub async fn get(
    State(state): State<SharedState>,
    Path((name, api_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    let need = Need::any(&["read:tokens"]).on_user(&name);
    guard::write(&state, &headers, need, move |state, _, membership| {
        if super::users::load_user(&mut **membership.tx()?, &name)?.is_none() {
            return Err(ApiError::not_found(format!("No such user: {name}")));
        }
        let token = token_by_api_id(&mut **membership.tx()?, &name, &api_id)?;
        let owner = Principal::User(name.clone());
        let model = models(state, membership, &owner, std::slice::from_ref(&token))?
            .pop()
            .unwrap_or_default();
        Ok(json_response(StatusCode::OK, &Value::Object(model)))
    })
    .await
}

/// DELETE /users/:name/tokens/:id: an OAuth token takes every token of the same client
/// with it.
pub async fn delete(
    State(state): State<SharedState>,
    Path((name, api_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    let need = Need::any(&["tokens"]).on_user(&name);
    guard::write(&state, &headers, need, move |_, _, membership| {
        let mut tx = membership.tx()?;
        if super::users::load_user(&mut tx, &name)?.is_none() {
            return Err(ApiError::not_found(format!("No such user: {name}")));
        }
        let token = token_by_api_id(&mut tx, &name, &api_id)?;
        if token.client_id == "jupyterhub" {
            tx.delete_token(token.id)?;
        } else {
            for other in tx.tokens_of(TokenOwner::User(&name))? {
                if other.client_id == token.client_id {
                    tx.delete_token(other.id)?;
                }
            }
        }
        let mut response = StatusCode::NO_CONTENT.into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        Ok(response)
    })
    .await
}

/// GET /users/:name/tokens/ (an empty token id: JupyterHub's route matches it).
pub async fn get_empty_id(
    state: State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    get(state, Path((name, String::new())), headers).await
}

/// DELETE /users/:name/tokens/ (an empty token id).
pub async fn delete_empty_id(
    state: State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    delete(state, Path((name, String::new())), headers).await
}
