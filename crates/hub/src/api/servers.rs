//! `/users/:name/server` and `/users/:name/servers/:server` (`UserServerAPIHandler`): read,
//! create (`PUT`), modify (`PATCH`), stop and remove (`DELETE`). Starting is in `spawn.rs`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value};
use store::{Server, ServerUpdate, Tx};
use unicode_normalization::UnicodeNormalization;

use super::guard::{self, Need};
use super::request::json_body;
use super::users::load_user_or_404;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, json_response};
use crate::models::{ServerSource, server_model};
use crate::state::{AppState, SharedState};

/// The path of a server endpoint: `user` and `server` (absent or empty for the default
/// server).
pub(super) type ServerParams = Path<HashMap<String, String>>;

/// `(user, server)` from the path.
type ServerPath = (String, String);

pub(super) fn server_path(Path(mut params): ServerParams) -> ServerPath {
    let user = params.remove("name").unwrap_or_default();
    let server = params.remove("server").unwrap_or_default();
    (user, server)
}

/// JupyterHub's `is_valid_safe_slug` (the default server's `""` is not one).
fn is_safe_slug(name: &str) -> bool {
    !name.is_empty() && store::validate_server_name(name).is_ok()
}

fn server_response(
    state: &AppState,
    caller: &Caller,
    tx: &mut Tx<'_>,
    server: &Server,
    source: ServerSource,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let groups = tx.user_groups(&server.user)?;
    let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
    let model = server_model(
        caller,
        &state.config.base_url,
        &state.servers,
        server,
        &groups,
        source,
    );
    Ok(json_response(status, &Value::Object(model)))
}

/// `_check_named_server_request`.
pub(super) fn check_named_server_request(
    state: &AppState,
    tx: &mut Tx<'_>,
    user: &str,
    server_name: &str,
    display_name: &str,
    check_limit: bool,
) -> Result<(), ApiError> {
    if !state.config.allow_named_servers {
        return Err(ApiError::bad_request("Named servers are not enabled."));
    }
    let existing = tx.user_servers(user)?;
    let exists = existing.iter().any(|s| s.name == server_name);
    let limit = state.config.named_server_limit_per_user;
    if check_limit && limit > 0 && !exists {
        let named = existing.iter().filter(|s| !s.name.is_empty()).count();
        if usize::try_from(limit).unwrap_or(usize::MAX) <= named {
            return Err(ApiError::bad_request(format!(
                "User {user} already has the maximum of {limit} named servers.  One must be deleted before a new server can be created"
            )));
        }
    }
    if !exists {
        if !is_safe_slug(server_name) {
            return Err(ApiError::bad_request(format!(
                "Invalid server_name: {}",
                scopes::py_str(server_name)
            )));
        }
        let display_name: String = display_name.nfc().collect();
        if store::validate_display_name(&display_name).is_err() {
            return Err(ApiError::bad_request(format!(
                "Invalid display_name: {}",
                scopes::py_str(&display_name)
            )));
        }
    } else if !is_safe_slug(server_name) {
        return Err(ApiError::bad_request(format!(
            "Starting invalid server_name {} is disabled, contact your administrator",
            scopes::py_str(server_name)
        )));
    }
    Ok(())
}

/// `get_server_json_body`: `(display_name, user_options)`.
pub(super) fn server_json_body(body: &[u8]) -> Result<(Option<String>, Option<Value>), ApiError> {
    let body = json_body(body)?;
    let Some(body) = body.filter(scopes::py_truthy) else {
        return Ok((None, None));
    };
    let Value::Object(map) = body else {
        return Err(ApiError::bad_request("Body must be a JSON object"));
    };
    let display_name = match map.get("display_name") {
        None => None,
        Some(Value::String(name)) => Some(name.clone()),
        Some(_) => return Err(ApiError::bad_request("display_name must be a string")),
    };
    match map.get("user_options") {
        None if display_name.is_some() => Ok((display_name, None)),
        // Neither key: the whole body is the user options (the old form).
        None => Ok((None, Some(Value::Object(map)))),
        Some(Value::Null) => Ok((display_name, None)),
        Some(options @ Value::Object(_)) => Ok((display_name, Some(options.clone()))),
        Some(_) => Err(ApiError::bad_request(
            "user_options must be an object or null",
        )),
    }
}

pub(super) fn need(scope: &'static [&'static str], (user, server): &ServerPath) -> Need {
    Need::any(scope).on_server(user, server)
}

/// GET /users/:name/server and /users/:name/servers/:server
pub async fn get(
    State(state): State<SharedState>,
    params: ServerParams,
    headers: HeaderMap,
) -> ApiResult {
    let path = server_path(params);
    guard::write(
        &state,
        &headers,
        need(&["read:servers"], &path),
        move |state, caller, membership| {
            let (user, name) = path;
            let mut tx = membership.tx()?;
            load_user_or_404(&mut tx, &user)?;
            let Some(server) = tx.find_server(&user, &name)? else {
                return Err(ApiError::bare(StatusCode::NOT_FOUND));
            };
            server_response(
                state,
                caller,
                &mut tx,
                &server,
                ServerSource::Spawner,
                StatusCode::OK,
            )
        },
    )
    .await
}

/// PUT /users/:name/servers/:server: a new named server, not started.
pub async fn put(
    State(state): State<SharedState>,
    params: ServerParams,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let path = server_path(params);
    guard::write(
        &state,
        &headers,
        need(&["start:servers"], &path),
        move |state, caller, membership| {
            let (user, name) = path;
            let mut tx = membership.tx()?;
            load_user_or_404(&mut tx, &user)?;
            if name.is_empty() {
                return Err(ApiError::conflict(format!(
                    "User {user} already has a default server"
                )));
            }
            if tx.find_server(&user, &name)?.is_some() {
                return Err(ApiError::conflict(format!(
                    "User {user} already has server {name}"
                )));
            }
            let (display_name, user_options) = server_json_body(&body)?;
            let display_name = display_name
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| name.clone());
            check_named_server_request(state, &mut tx, &user, &name, &display_name, true)?;
            let display_name: String = display_name.nfc().collect();
            tx.create_server(&user, &name, Some(&display_name))?;
            if let Some(options) = user_options.as_ref().filter(|o| scopes::py_truthy(o)) {
                let update = ServerUpdate {
                    user_options: Some(Some(options)),
                    ..ServerUpdate::default()
                };
                tx.update_server(&user, &name, &update)?;
            }
            let server = tx.server(&user, &name)?;
            server_response(
                state,
                caller,
                &mut tx,
                &server,
                ServerSource::Spawner,
                StatusCode::CREATED,
            )
        },
    )
    .await
}

/// PATCH /users/:name/servers/:server: rename, options, display name of a stopped server.
pub async fn patch(
    State(state): State<SharedState>,
    params: ServerParams,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let path = server_path(params);
    guard::write(
        &state,
        &headers,
        need(&["start:servers"], &path),
        move |state, caller, membership| {
            let (user, name) = path;
            let mut tx = membership.tx()?;
            load_user_or_404(&mut tx, &user)?;
            let body = match json_body(&body)?.filter(scopes::py_truthy) {
                None => Map::new(),
                Some(Value::Object(map)) => map,
                Some(_) => return Err(ApiError::bad_request("Body must be a JSON object")),
            };
            if body.is_empty() {
                return Err(ApiError::bad_request(
                    "Must specify at least one field to modify.",
                ));
            }
            const SUPPORTED: [&str; 3] = ["name", "display_name", "user_options"];
            let unexpected: Vec<&str> = body
                .keys()
                .map(String::as_str)
                .filter(|key| !SUPPORTED.contains(key))
                .collect();
            if !unexpected.is_empty() {
                // JupyterHub means to answer this 400 and fails with a 500 (docs/compat.md).
                return Err(ApiError::bad_request(format!(
                    "Unexpected fields: {}, supported fields: {}",
                    unexpected.join(","),
                    SUPPORTED.join(",")
                )));
            }
            let new_name = body.get("name").filter(|v| !v.is_null());
            let new_name = match new_name {
                None => None,
                Some(Value::String(text)) => Some(text.clone()),
                Some(_) => return Err(ApiError::bad_request("name must be a string")),
            };
            let display_name = match body.get("display_name") {
                Some(Value::String(text)) => Some(text.clone()),
                Some(Value::Null) | None => new_name.clone(),
                Some(_) => return Err(ApiError::bad_request("display_name must be a string")),
            };
            if let Some(new_name) = &new_name {
                let display = display_name.clone().unwrap_or_default();
                check_named_server_request(
                    state,
                    &mut tx,
                    &user,
                    new_name,
                    &display,
                    name.is_empty(),
                )?;
            } else if let Some(display) = display_name.as_ref().filter(|d| !d.is_empty()) {
                check_named_server_request(state, &mut tx, &user, &name, display, false)?;
            }
            let Some(server) = tx.find_server(&user, &name)? else {
                return Err(ApiError::not_found(format!(
                    "User {user} has no such server {}",
                    scopes::py_str(&name)
                )));
            };
            let active = state
                .servers
                .phase(&user, &name)
                .is_some_and(|phase| phase.is_active());
            if active || server.address.is_some() {
                let log_name = if name.is_empty() {
                    user.clone()
                } else {
                    format!("{user}:{name}")
                };
                return Err(ApiError::bad_request(format!(
                    "{log_name} is active. Please stop it before modifying it."
                )));
            }
            let mut current = name.clone();
            if let Some(new_name) = &new_name {
                if tx.find_server(&user, new_name)?.is_some() {
                    return Err(ApiError::conflict(format!(
                        "User {user} already has server {}",
                        scopes::py_str(new_name)
                    )));
                }
                tx.rename_server(&user, &name, new_name)?;
                current.clone_from(new_name);
            }
            if let Some(options) = body.get("user_options") {
                if !options.is_object() {
                    return Err(ApiError::bad_request("user_options must be a dict"));
                }
                let update = ServerUpdate {
                    user_options: Some(Some(options)),
                    ..ServerUpdate::default()
                };
                tx.update_server(&user, &current, &update)?;
            }
            let requested_display = body
                .get("display_name")
                .and_then(Value::as_str)
                .filter(|d| !d.is_empty());
            if let Some(display) = requested_display {
                if server.display_name.as_deref() != Some(display) {
                    tx.set_server_display_name(&user, &current, Some(display))?;
                }
            }
            let server = tx.server(&user, &current)?;
            let mut response = server_response(
                state,
                caller,
                &mut tx,
                &server,
                ServerSource::Database,
                StatusCode::OK,
            )?;
            // JupyterHub writes this model as a dict, which tornado labels with a charset.
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=UTF-8"),
            );
            Ok(response)
        },
    )
    .await
}

/// DELETE /users/:name/server and /users/:name/servers/:server: stop it (204, or 202 while
/// still stopping after `slow_stop_timeout`) and, with `{"remove": true}`, delete a named
/// server.
pub async fn delete(
    State(state): State<SharedState>,
    params: ServerParams,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let path = server_path(params);
    let (user, name) = path.clone();
    let remove = guard::write(
        &state,
        &headers,
        need(&["delete:servers"], &path),
        move |state, _, membership| {
            let mut tx = membership.tx()?;
            load_user_or_404(&mut tx, &user)?;
            let options = json_body(&body)?;
            let remove = options
                .as_ref()
                .filter(|o| scopes::py_truthy(o))
                .and_then(|o| o.get("remove"))
                .is_some_and(scopes::py_truthy);
            if !name.is_empty() {
                if !state.config.allow_named_servers {
                    return Err(ApiError::bad_request("Named servers are not enabled."));
                }
                if tx.find_server(&user, &name)?.is_none() {
                    return Err(ApiError::not_found(format!(
                        "{user} has no server named '{name}'"
                    )));
                }
            } else if remove {
                return Err(ApiError::bad_request("Cannot delete the default server"));
            }
            if tx.find_server(&user, &name)?.is_none() {
                // JupyterHub's `user.spawners[""]` creates the default server's record.
                tx.create_server(&user, "", None)?;
            }
            Ok(remove)
        },
    )
    .await?;
    let (user, name) = path;
    let stopped = crate::spawning::stop(&state, &user, &name).await?;
    if let crate::spawning::Stopped::Pending = stopped {
        return Ok(super::spawn::text_plain(StatusCode::ACCEPTED));
    }
    if remove {
        state
            .write(move |_, tx| Ok(tx.delete_server(&user, &name)?))
            .await?;
    }
    Ok(super::spawn::text_plain(StatusCode::NO_CONTENT))
}
