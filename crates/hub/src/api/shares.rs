//! Shares and share codes (apihandlers/shares.py): the endpoints of reference §3.9. The
//! checks and their order are the `sharing` crate's plans; this file finds the facts,
//! applies the plans to the store and writes the models.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::Value;
use sharing::{
    CodeIdentity, CodeSelection, Directory, IssuedCode, Listing, Recipient, Requester, Revocation,
    ServerFacts, Share, ShareCode, ShareCodeModel, ShareModel, SharedServer, Timestamp,
};
use store::Tx;

use super::guard::{self, Need};
use super::request::{Args, json_body};
use super::users::load_user;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, json_response};
use crate::membership::TxMembership;
use crate::models::escape_path;
use crate::state::{AppState, SharedState};

/// What exists, read through the open transaction. Looking a server up loads its owner, as
/// JupyterHub's `find_user` does.
struct StoreDirectory<'m, 't, 'c>(&'m TxMembership<'t, 'c>);

impl Directory for StoreDirectory<'_, '_, '_> {
    fn server_exists(&self, server: &SharedServer) -> bool {
        let Ok(mut tx) = self.0.tx() else {
            return false;
        };
        match load_user(&mut tx, &server.owner) {
            Ok(Some(_)) => matches!(tx.find_server(&server.owner, &server.name), Ok(Some(_))),
            _ => false,
        }
    }

    fn user_exists(&self, name: &str) -> bool {
        let Ok(mut tx) = self.0.tx() else {
            return false;
        };
        matches!(load_user(&mut tx, name), Ok(Some(_)))
    }

    fn group_exists(&self, name: &str) -> bool {
        let Ok(mut tx) = self.0.tx() else {
            return false;
        };
        matches!(tx.find_group(name), Ok(Some(_)))
    }
}

fn now() -> Timestamp {
    crate::models::timestamp(time::OffsetDateTime::now_utc()).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The sharing crate's refusal as the API's error.
fn refused(error: &sharing::ApiError) -> ApiError {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut answer = match error.message() {
        Some(message) => ApiError::new(status, message),
        None => ApiError::bare(status),
    };
    if error.status() == 500 {
        // JupyterHub fails here by accident (docs/compat.md #29): hubcap answers the 400 it
        // means, with what went wrong.
        answer = ApiError::bad_request(error.to_string());
    }
    answer
}

fn facts(state: &AppState, server: &SharedServer) -> ServerFacts {
    let user_url = crate::models::user_url(&state.config.base_url, &server.owner);
    let url = if server.name.is_empty() {
        user_url
    } else {
        format!("{user_url}{}/", escape_path(&server.name))
    };
    ServerFacts {
        url,
        full_url: None,
        ready: false,
    }
}

fn share_value(state: &AppState, share: &Share) -> Value {
    serde_json::to_value(ShareModel::new(share, facts(state, &share.server))).unwrap_or(Value::Null)
}

fn code_value(state: &AppState, code: &ShareCode, issued: Option<IssuedCode>) -> Value {
    serde_json::to_value(ShareCodeModel::new(
        code,
        facts(state, &code.server),
        issued,
    ))
    .unwrap_or(Value::Null)
}

/// `_share_list_model`: ordered by id, paginated, expired rows counted but not shown; always
/// the envelope.
fn paginated<T>(
    state: &AppState,
    args: &Args,
    mut rows: Vec<(i64, T)>,
    expired: impl Fn(&T) -> bool,
    model: impl Fn(&T) -> Value,
) -> Result<Value, ApiError> {
    let (offset, limit) = args.pagination(
        state.config.api_page_default_limit,
        state.config.api_page_max_limit,
    )?;
    rows.sort_by_key(|(id, _)| *id);
    let total = u64::try_from(rows.len()).unwrap_or(u64::MAX);
    let items: Vec<Value> = rows
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .filter(|(_, row)| !expired(row))
        .map(|(_, row)| model(row))
        .collect();
    Ok(args.paginated(Value::Array(items), offset, limit, total))
}

fn shares_of_listing(tx: &mut Tx<'_>, listing: &Listing) -> Result<Vec<(i64, Share)>, ApiError> {
    let stored = match listing {
        Listing::Server(server) => tx.server_shares(server)?,
        Listing::Owner(owner) => {
            let mut all = Vec::new();
            for server in tx.user_servers(owner)? {
                all.extend(tx.server_shares(&SharedServer::new(owner.clone(), server.name))?);
            }
            all
        }
        Listing::User(user) => tx.shares_received(user)?,
        Listing::Group(group) => tx.group_shares(group)?,
    };
    Ok(stored.into_iter().map(|s| (s.id, s.share)).collect())
}

fn codes_of_listing(tx: &mut Tx<'_>, listing: &Listing) -> Result<Vec<(i64, ShareCode)>, ApiError> {
    let codes = match listing {
        Listing::Server(server) => tx.server_share_codes(server)?,
        Listing::Owner(owner) => {
            let mut all = Vec::new();
            for server in tx.user_servers(owner)? {
                all.extend(tx.server_share_codes(&SharedServer::new(owner.clone(), server.name))?);
            }
            all
        }
        Listing::User(_) | Listing::Group(_) => Vec::new(),
    };
    Ok(codes
        .into_iter()
        .map(|code| (i64::try_from(code.id).unwrap_or(i64::MAX), code))
        .collect())
}

/// The owner and server of a path; `/shares/OWNER/` (a trailing slash) names the default
/// server, `/shares/OWNER` none.
fn owner_server(
    params: &HashMap<String, String>,
    uri: &axum::http::Uri,
) -> (String, Option<String>) {
    let server = match params.get("server") {
        Some(server) => Some(server.clone()),
        None if uri.path().ends_with('/') => Some(String::new()),
        None => None,
    };
    (params.get("owner").cloned().unwrap_or_default(), server)
}

/// `@needs_scope` on `/shares/:owner[/:server]`: the server filter, which JupyterHub writes
/// `OWNER/None` when the path has no server.
fn server_need(scope: &'static [&'static str], owner: &str, server: Option<&str>) -> Need {
    Need::any(scope).on_server(owner, server.unwrap_or("None"))
}

fn requester<'a>(caller: &'a Caller, membership: &'a TxMembership<'_, '_>) -> Requester<'a> {
    Requester {
        scopes: &caller.parsed,
        groups: Some(membership),
    }
}

type Params = Path<HashMap<String, String>>;

/// GET /shares/:owner and /shares/:owner/:server
pub async fn list_server_shares(
    State(state): State<SharedState>,
    Path(params): Params,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult {
    list_server(state, params, uri, headers, false).await
}

/// GET /share-codes/:owner and /share-codes/:owner/:server
pub async fn list_server_codes(
    State(state): State<SharedState>,
    Path(params): Params,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult {
    list_server(state, params, uri, headers, true).await
}

async fn list_server(
    state: SharedState,
    params: HashMap<String, String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    codes: bool,
) -> ApiResult {
    let (owner, server) = owner_server(&params, &uri);
    let args = Args::new(uri, headers);
    let need = server_need(&["read:shares"], &owner, server.as_deref());
    guard::write(
        &state,
        &args.headers.clone(),
        need,
        move |state, _, membership| {
            let directory = StoreDirectory(membership);
            let listing = sharing::plan_server_listing(&owner, server.as_deref(), &directory)
                .map_err(|e| refused(&e))?;
            let now = now();
            let body = if codes {
                let rows = codes_of_listing(&mut **membership.tx()?, &listing)?;
                paginated(
                    state,
                    &args,
                    rows,
                    |c| !c.is_findable(now),
                    |c| code_value(state, c, None),
                )?
            } else {
                let rows = shares_of_listing(&mut **membership.tx()?, &listing)?;
                paginated(
                    state,
                    &args,
                    rows,
                    |s| s.is_expired(now),
                    |s| share_value(state, s),
                )?
            };
            Ok(json_response(StatusCode::OK, &body))
        },
    )
    .await
}

/// POST /shares/:owner/:server: grant.
pub async fn grant(
    State(state): State<SharedState>,
    Path(params): Params,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let (owner, server) = owner_server(&params, &uri);
    let need = server_need(&["shares"], &owner, server.as_deref());
    guard::write(&state, &headers, need, move |state, caller, membership| {
        let body = json_body(&body)?;
        let plan = sharing::plan_grant(
            &state.config.scope_table,
            &owner,
            server.as_deref(),
            body.as_ref(),
            &requester(caller, membership),
            &StoreDirectory(membership),
        )
        .map_err(|e| refused(&e))?;
        let mut tx = membership.tx()?;
        let existing = tx
            .find_share(&plan.server, &plan.recipient)?
            .map(|s| s.share);
        let granted = plan
            .apply(existing, now())
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let stored = tx.put_share(&granted.share)?;
        Ok(json_response(
            StatusCode::OK,
            &share_value(state, &stored.share),
        ))
    })
    .await
}

/// PATCH /shares/:owner/:server: revoke.
pub async fn revoke(
    State(state): State<SharedState>,
    Path(params): Params,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let (owner, server) = owner_server(&params, &uri);
    let need = server_need(&["shares"], &owner, server.as_deref());
    guard::write(&state, &headers, need, move |state, _, membership| {
        let body = json_body(&body)?;
        let plan = sharing::plan_revoke(
            &state.config.scope_table,
            &owner,
            server.as_deref(),
            body.as_ref(),
            &StoreDirectory(membership),
        )
        .map_err(|e| refused(&e))?;
        let mut tx = membership.tx()?;
        let existing = match &plan {
            sharing::RevokePlan::Revoke {
                server, recipient, ..
            } => tx.find_share(server, recipient)?.map(|s| s.share),
            sharing::RevokePlan::UnknownRecipient { .. } => None,
        };
        let revocation = plan.apply(existing);
        let body = match &revocation {
            Revocation::Deleted(share) => {
                tx.delete_share(&share.server, &share.recipient)?;
                Value::Object(serde_json::Map::new())
            }
            Revocation::Reduced { share, .. } => {
                let stored = tx.put_share(share)?;
                share_value(state, &stored.share)
            }
            Revocation::Unchanged(share) => share_value(state, share),
            Revocation::NoShare => Value::Object(serde_json::Map::new()),
        };
        Ok(json_response(StatusCode::OK, &body))
    })
    .await
}

/// DELETE /shares/:owner/:server: every share of the server.
pub async fn delete_server_shares(
    State(state): State<SharedState>,
    Path(params): Params,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult {
    let (owner, server) = owner_server(&params, &uri);
    let need = server_need(&["shares"], &owner, server.as_deref());
    guard::write(&state, &headers, need, move |_, _, membership| {
        let server =
            sharing::plan_delete_shares(&owner, server.as_deref(), &StoreDirectory(membership))
                .map_err(|e| refused(&e))?;
        let mut tx = membership.tx()?;
        for stored in tx.server_shares(&server)? {
            tx.delete_share(&stored.share.server, &stored.share.recipient)?;
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

/// GET /users/:user/shared and /groups/:group/shared
async fn list_received(
    state: SharedState,
    recipient: Recipient,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> ApiResult {
    let args = Args::new(uri, headers);
    let need = match &recipient {
        Recipient::User(name) => Need::any(&["read:users:shares"]).on_user(name),
        Recipient::Group(name) => Need::any(&["read:groups:shares"]).on_group(name),
    };
    guard::write(
        &state,
        &args.headers.clone(),
        need,
        move |state, _, membership| {
            let listing = sharing::plan_received_listing(&recipient, &StoreDirectory(membership))
                .map_err(|e| refused(&e))?;
            let rows = shares_of_listing(&mut **membership.tx()?, &listing)?;
            let now = now();
            let body = paginated(
                state,
                &args,
                rows,
                |s| s.is_expired(now),
                |s| share_value(state, s),
            )?;
            Ok(json_response(StatusCode::OK, &body))
        },
    )
    .await
}

/// GET /users/:user/shared
pub async fn list_user_shared(
    State(state): State<SharedState>,
    Path(user): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult {
    list_received(state, Recipient::User(user), uri, headers).await
}

/// GET /groups/:group/shared
pub async fn list_group_shared(
    State(state): State<SharedState>,
    Path(group): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult {
    list_received(state, Recipient::Group(group), uri, headers).await
}

/// GET or DELETE one received share.
async fn received_share(
    state: SharedState,
    recipient: Recipient,
    params: HashMap<String, String>,
    headers: HeaderMap,
    delete: bool,
) -> ApiResult {
    let owner = params.get("owner").cloned().unwrap_or_default();
    let server = SharedServer::new(owner, params.get("server").cloned().unwrap_or_default());
    let need = match (&recipient, delete) {
        (Recipient::User(name), false) => Need::any(&["read:users:shares"]).on_user(name),
        (Recipient::User(name), true) => Need::any(&["users:shares"]).on_user(name),
        (Recipient::Group(name), false) => Need::any(&["read:groups:shares"]).on_group(name),
        (Recipient::Group(name), true) => Need::any(&["groups:shares"]).on_group(name),
    };
    guard::write(&state, &headers, need, move |state, _, membership| {
        let mut found: Option<Share> = None;
        let share = {
            let directory = StoreDirectory(membership);
            let lookup = || {
                let share = membership
                    .tx()
                    .ok()?
                    .find_share(&server, &recipient)
                    .ok()
                    .flatten()
                    .map(|s| s.share);
                found.clone_from(&share);
                share
            };
            sharing::find_received_share(&recipient, &server, &directory, lookup)
                .map_err(|e| refused(&e))?
        };
        if delete {
            membership
                .tx()?
                .delete_share(&share.server, &share.recipient)?;
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        Ok(json_response(StatusCode::OK, &share_value(state, &share)))
    })
    .await
}

/// GET /users/:user/shared/:owner/:server
pub async fn get_user_share(
    State(state): State<SharedState>,
    Path(params): Params,
    headers: HeaderMap,
) -> ApiResult {
    let user = params.get("user").cloned().unwrap_or_default();
    received_share(state, Recipient::User(user), params, headers, false).await
}

/// DELETE /users/:user/shared/:owner/:server
pub async fn delete_user_share(
    State(state): State<SharedState>,
    Path(params): Params,
    headers: HeaderMap,
) -> ApiResult {
    let user = params.get("user").cloned().unwrap_or_default();
    received_share(state, Recipient::User(user), params, headers, true).await
}

/// GET /groups/:group/shared/:owner/:server
pub async fn get_group_share(
    State(state): State<SharedState>,
    Path(params): Params,
    headers: HeaderMap,
) -> ApiResult {
    let group = params.get("group").cloned().unwrap_or_default();
    received_share(state, Recipient::Group(group), params, headers, false).await
}

/// DELETE /groups/:group/shared/:owner/:server
pub async fn delete_group_share(
    State(state): State<SharedState>,
    Path(params): Params,
    headers: HeaderMap,
) -> ApiResult {
    let group = params.get("group").cloned().unwrap_or_default();
    received_share(state, Recipient::Group(group), params, headers, true).await
}

/// POST /share-codes/:owner/:server: a new code, shown once.
pub async fn issue_code(
    State(state): State<SharedState>,
    Path(params): Params,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let (owner, server) = owner_server(&params, &uri);
    let need = server_need(&["shares"], &owner, server.as_deref());
    guard::write(&state, &headers, need, move |state, caller, membership| {
        let body = json_body(&body)?;
        let plan = sharing::plan_share_code(
            &state.config.scope_table,
            &owner,
            server.as_deref(),
            body.as_ref(),
            &requester(caller, membership),
            &StoreDirectory(membership),
        )
        .map_err(|e| refused(&e))?;
        let secret = tokens::new_share_code().map_err(|error| {
            tracing::error!(%error, "no randomness for a share code");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Failed to create share code",
            )
        })?;
        let hash = tokens::TokenHash::for_storage(secret.expose(), tokens::Origin::Generated)
            .map_err(|error| ApiError::bad_request(error.to_string()))?;
        let identity = CodeIdentity::new(0, secret.expose(), hash.to_string());
        let code = plan
            .issue(now(), identity)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let stored = membership.tx()?.insert_share_code(&code)?;
        let issued = IssuedCode::new(secret.expose(), &state.config.hub_prefix(), None);
        Ok(json_response(
            StatusCode::OK,
            &code_value(state, &stored, Some(issued)),
        ))
    })
    .await
}

/// DELETE /share-codes/:owner/:server[?code=|?id=]
pub async fn delete_codes(
    State(state): State<SharedState>,
    Path(params): Params,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult {
    let (owner, server) = owner_server(&params, &uri);
    let args = Args::new(uri, headers);
    let need = server_need(&["shares"], &owner, server.as_deref());
    guard::write(
        &state,
        &args.headers.clone(),
        need,
        move |_, _, membership| {
            let (server, selection) = sharing::plan_delete_codes(
                &owner,
                server.as_deref(),
                args.get("code"),
                args.get("id"),
                &StoreDirectory(membership),
            )
            .map_err(|e| refused(&e))?;
            let mut tx = membership.tx()?;
            match selection {
                CodeSelection::ByCode(code) => {
                    let Some(found) = tx.find_share_code(&code, now(), Some(&server))? else {
                        return Err(refused(&sharing::ApiError::NoMatchingCode));
                    };
                    tx.delete_share_code(found.id)?;
                }
                CodeSelection::ById { id, text } => {
                    let codes = tx.server_share_codes(&server)?;
                    if !codes.iter().any(|c| c.id == id) {
                        return Err(refused(&sharing::ApiError::NoCodeWithId { id: text }));
                    }
                    tx.delete_share_code(id)?;
                }
                CodeSelection::All => {
                    for code in tx.server_share_codes(&server)? {
                        tx.delete_share_code(code.id)?;
                    }
                }
            }
            Ok(StatusCode::NO_CONTENT.into_response())
        },
    )
    .await
}
