//! `/users`, `/users/:name` (apihandlers/users.py): list, create, read, modify, delete.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use roles::Holder;
use scopes::Filters;
use serde_json::Value;
use store::{NewUser, SortKey, StateFilter, StoreError, Tx, UserQuery, Visible};

use super::guard::{self, Need};
use super::model_check::check_user_model;
use super::request::{Args, json_body};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, json_response};
use crate::membership::TxMembership;
use crate::models::{UserModelOptions, user_model};
use crate::state::{AppState, SharedState};

/// The `read` scopes that each allow `GET /users/:name`.
pub const READ_USER_SCOPES: &[&str] = &[
    "read:users",
    "read:users:name",
    "read:servers",
    "read:users:groups",
    "read:users:activity",
    "read:roles:users",
];

/// JupyterHub's `normalize_username` (the default authenticator lowercases).
pub fn normalize_username(name: &str) -> String {
    name.to_lowercase()
}

/// GET /users
///
/// Served outside a transaction when it can be: the requirement names no target, and a
/// page read since the last write is remembered ([`crate::cache`]).
pub async fn list(
    State(state): State<SharedState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult {
    // Taken before anything is read, for the page cache.
    let read_at = state.cache.generation();
    let args = Args::new(uri, headers);
    let caller = guard::caller(&state, &args.headers).await?;
    Need::any(&["list:users"])
        .listing()
        .check_untargeted(&state, &caller)?;
    let answer_key = args
        .uri
        .as_ref()
        .map(|uri| super::answers::key(&caller, uri, &args.headers));
    if let Some(hit) = answer_key
        .as_ref()
        .and_then(|key| super::answers::remembered(&state, key))
    {
        return Ok(hit);
    }
    let _filling = match &answer_key {
        Some(key) => Some(state.cache.filling(key).await),
        None => None,
    };
    if let Some(hit) = answer_key
        .as_ref()
        .and_then(|key| super::answers::remembered(&state, key))
    {
        return Ok(hit);
    }
    let query = UserListQuery::from_request(&state, &caller, &args)?;
    let ready_only = query.state == Some(StateFilter::Ready);
    // `Debug` prints every field of the query, strings quoted: a faithful key.
    let key = format!("{query:?}");
    let (offset, limit) = (u64::from(query.offset), u64::from(query.limit));
    let page = match state.cache.user_page(&key) {
        Some(page) => page,
        None => {
            let page = state
                .read(move |_, tx| {
                    let page = query.with_store_query(|query| tx.list_users(query))?;
                    Ok(Arc::new(page))
                })
                .await?;
            state
                .cache
                .remember_user_page(key, read_at, Arc::clone(&page));
            page
        }
    };
    let page = if ready_only {
        // Readiness lives in the hub's memory: kept after pagination, as JupyterHub does.
        let mut ready = store::UserPage::clone(&page);
        ready.retain_ready(|user, server| {
            state
                .servers
                .phase(&user.name, &server.name)
                .is_some_and(|phase| phase.is_ready())
        });
        Arc::new(ready)
    } else {
        page
    };
    let options = UserModelOptions {
        include_stopped_servers: args.include_stopped_servers(),
    };
    let models: Vec<Value> = page
        .users
        .iter()
        .map(|details| {
            user_model(
                &caller,
                &state.config.base_url,
                &state.servers,
                details,
                options,
            )
        })
        .filter(|model| !model.is_empty())
        .map(Value::Object)
        .collect();
    let body = args.list_body(Value::Array(models), offset, limit, page.total);
    Ok(match answer_key {
        Some(key) => super::answers::remember(&state, key, read_at, &body),
        None => json_response(StatusCode::OK, &body),
    })
}

/// The parameters of `GET /users`, validated, owning their strings (a [`UserQuery`]
/// borrows them).
#[derive(Debug)]
struct UserListQuery {
    offset: u32,
    limit: u32,
    name_filter: Option<String>,
    state: Option<StateFilter>,
    sort: SortKey,
    descending: bool,
    /// With a filtered `list:users`: the users and groups whose members it shows.
    visible: Option<(Vec<String>, Vec<String>)>,
}

impl UserListQuery {
    fn from_request(state: &AppState, caller: &Caller, args: &Args) -> Result<Self, ApiError> {
        let sort_param = args.get("sort").unwrap_or("id");
        let (descending, sort) = match sort_param.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, sort_param),
        };
        let (offset, limit) = args.pagination(
            state.config.api_page_default_limit,
            state.config.api_page_max_limit,
        )?;
        let sort = match sort {
            "id" => SortKey::Id,
            "name" => SortKey::Name,
            "last_activity" => SortKey::LastActivity,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "sort must be 'id', 'name', or 'last_activity', not '{sort_param}'"
                )));
            }
        };
        let state_filter = match args.get("state") {
            None | Some("") => None,
            Some("active") => Some(StateFilter::Active),
            Some("ready") => Some(StateFilter::Ready),
            Some("inactive") => Some(StateFilter::Inactive),
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "Unrecognized state filter: {}",
                    scopes::py_str(other)
                )));
            }
        };
        let visible = match caller.parsed.get("list:users") {
            Some(Filters::Some(values)) => {
                let kinds: Vec<(&str, Vec<&str>)> = values.by_kind();
                if kinds
                    .iter()
                    .any(|(kind, _)| *kind != "user" && *kind != "group")
                {
                    tracing::warn!("invalid filter on list:users");
                    return Err(ApiError::bare(StatusCode::FORBIDDEN));
                }
                let pick = |wanted: &str| -> Vec<String> {
                    kinds
                        .iter()
                        .find(|(kind, _)| *kind == wanted)
                        .map(|(_, names)| names.iter().map(|n| (*n).to_owned()).collect())
                        .unwrap_or_default()
                };
                Some((pick("user"), pick("group")))
            }
            _ => None,
        };
        Ok(UserListQuery {
            offset: u32::try_from(offset).unwrap_or(u32::MAX),
            limit: u32::try_from(limit).unwrap_or(u32::MAX),
            name_filter: args
                .get("name_filter")
                .filter(|f| !f.is_empty())
                .map(str::to_owned),
            state: state_filter,
            sort,
            descending,
            visible,
        })
    }

    /// Runs `f` with the store's (borrowing) form of the query.
    fn with_store_query<T>(&self, f: impl FnOnce(&UserQuery<'_>) -> T) -> T {
        fn names(list: &[String]) -> Vec<&str> {
            list.iter().map(String::as_str).collect()
        }
        let visible = self
            .visible
            .as_ref()
            .map(|(users, groups)| (names(users), names(groups)));
        f(&UserQuery {
            offset: self.offset,
            limit: self.limit,
            name_filter: self.name_filter.as_deref(),
            state: self.state,
            sort: self.sort,
            descending: self.descending,
            visible: visible
                .as_ref()
                .map(|(users, groups)| Visible { users, groups }),
        })
    }
}

/// POST /users
pub async fn create_many(
    State(state): State<SharedState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let args = Args::new(uri, headers);
    let need = Need::any(&["admin:users"]);
    guard::write(
        &state,
        &args.headers.clone(),
        need,
        move |state, caller, membership| {
            let data = json_body(&body)?;
            let mut data = match data {
                Some(Value::Object(map)) if map.get("usernames").is_some_and(scopes::py_truthy) => {
                    map
                }
                _ => {
                    return Err(ApiError::bad_request(
                        "Must specify at least one user to create",
                    ));
                }
            };
            let usernames = data.remove("usernames").unwrap_or(Value::Null);
            let rest = Value::Object(data);
            check_user_model(&rest)?;
            let admin = rest.get("admin").is_some_and(scopes::py_truthy);
            if admin && !caller_is_admin(caller, membership)? {
                return Err(ApiError::forbidden(
                    "Only admins can grant admin permissions",
                ));
            }
            let names: Vec<String> = match &usernames {
                // Python iterates a string by characters.
                Value::String(text) => text.chars().map(String::from).collect(),
                Value::Array(items) => items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned).ok_or(()))
                    .collect::<Result<_, _>>()
                    .map_err(|()| ApiError::bad_request("usernames must be a list of strings"))?,
                _ => return Err(ApiError::bad_request("usernames must be a list of strings")),
            };
            let mut tx = membership.tx()?;
            let mut to_create: Vec<String> = Vec::new();
            let mut invalid = Vec::new();
            for name in &names {
                let name = normalize_username(name);
                if store::validate_user_name(&name).is_err() {
                    invalid.push(name);
                    continue;
                }
                if load_user(&mut tx, &name)?.is_some() {
                    tracing::warn!(user = %name, "User already exists");
                } else {
                    to_create.push(name);
                }
            }
            if !invalid.is_empty() {
                return Err(ApiError::bad_request(if invalid.len() == 1 {
                    format!("Invalid username: {}", invalid.join(""))
                } else {
                    format!("Invalid usernames: {}", invalid.join(", "))
                }));
            }
            if to_create.is_empty() {
                return Err(ApiError::conflict(format!(
                    "All {} users already exist",
                    names.len()
                )));
            }
            for name in &to_create {
                // A name given twice is created once and answered twice, as JupyterHub does.
                if tx.find_user(name)?.is_none() {
                    create_user(&mut tx, name, admin)?;
                }
            }
            let mut models = Vec::new();
            for name in &to_create {
                let details = tx.user_details(name)?;
                models.push(Value::Object(user_model(
                    caller,
                    &state.config.base_url,
                    &state.servers,
                    &details,
                    UserModelOptions::default(),
                )));
            }
            Ok(json_response(StatusCode::CREATED, &Value::Array(models)))
        },
    )
    .await
}

/// The user called `name`, loaded as JupyterHub loads a user (`find_user`: its `User`
/// wrapper records a default server the first time, so the user's servers include `""`
/// from then on).
///
/// # Errors
///
/// Database failures.
pub(crate) fn load_user(tx: &mut Tx<'_>, name: &str) -> Result<Option<store::User>, StoreError> {
    let user = tx.find_user(name)?;
    if user.is_some() && tx.find_server(name, "")?.is_none() {
        tx.create_server(name, "", None)?;
    }
    Ok(user)
}

/// [`load_user`], with JupyterHub's bare 404 (`null` message) for an unknown user.
///
/// # Errors
///
/// 404 for an unknown user; database failures.
pub(crate) fn load_user_or_404(tx: &mut Tx<'_>, name: &str) -> Result<store::User, ApiError> {
    load_user(tx, name)?.ok_or_else(|| ApiError::bare(StatusCode::NOT_FOUND))
}

/// Creates a user with the default roles (`user`, and `admin` for an admin).
pub(crate) fn create_user(tx: &mut Tx<'_>, name: &str, admin: bool) -> Result<(), StoreError> {
    tx.create_user(&NewUser { name, admin })?;
    if admin {
        tx.assign_role(Holder::User(name), "admin", false)?;
    }
    tx.assign_role(Holder::User(name), "user", false)?;
    load_user(tx, name)?;
    Ok(())
}

/// Whether the caller's owner has the legacy `admin` flag (JupyterHub's
/// `current_user.admin`).
pub(crate) fn caller_is_admin(
    caller: &Caller,
    membership: &TxMembership<'_, '_>,
) -> Result<bool, ApiError> {
    let mut tx = membership.tx()?;
    Ok(match &caller.principal {
        crate::auth::Principal::User(name) => tx.find_user(name)?.is_some_and(|u| u.admin),
        crate::auth::Principal::Service(name) => tx.find_service(name)?.is_some_and(|s| s.admin),
    })
}

fn model_of(
    state: &AppState,
    caller: &Caller,
    tx: &mut Tx<'_>,
    name: &str,
    options: UserModelOptions,
) -> Result<serde_json::Map<String, Value>, ApiError> {
    let details = tx.user_details(name)?;
    Ok(user_model(
        caller,
        &state.config.base_url,
        &state.servers,
        &details,
        options,
    ))
}

/// The user's decrypted `auth_state` (`null` when none is stored or it cannot be read).
fn auth_state_of(state: &AppState, tx: &mut Tx<'_>, name: &str) -> Result<Value, ApiError> {
    let Some(user) = tx.find_user(name)? else {
        return Ok(Value::Null);
    };
    let Some(sealed) = user.encrypted_auth_state.filter(|s| !s.is_empty()) else {
        return Ok(Value::Null);
    };
    // JupyterHub logs a state it cannot decrypt and reports null.
    Ok(state.crypt.decrypt(&sealed).unwrap_or_else(|error| {
        tracing::warn!(user = name, %error, "auth_state not readable");
        Value::Null
    }))
}

/// GET /users/:name
pub async fn get(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult {
    let args = Args::new(uri, headers);
    let need = Need::any(READ_USER_SCOPES).on_user(&name);
    guard::write(
        &state,
        &args.headers.clone(),
        need,
        move |state, caller, membership| {
            let mut tx = membership.tx()?;
            load_user_or_404(&mut tx, &name)?;
            let options = UserModelOptions {
                include_stopped_servers: args.include_stopped_servers(),
            };
            let mut model = model_of(state, caller, &mut tx, &name, options)?;
            if model.contains_key("auth_state") {
                model.insert("auth_state".into(), auth_state_of(state, &mut tx, &name)?);
            }
            Ok(json_response(StatusCode::OK, &Value::Object(model)))
        },
    )
    .await
}

/// POST /users/:name
pub async fn create_one(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let need = Need::any(&["admin:users"]).on_user(&name);
    guard::write(&state, &headers, need, move |state, caller, membership| {
        let data = json_body(&body)?;
        if load_user(&mut **membership.tx()?, &name)?.is_some() {
            return Err(ApiError::conflict(format!("User {name} already exists")));
        }
        let data = data.filter(scopes::py_truthy);
        let mut admin = false;
        if let Some(data) = &data {
            check_user_model(data)?;
            admin = data.get("admin").is_some_and(scopes::py_truthy);
            if admin && !caller_is_admin(caller, membership)? {
                return Err(ApiError::forbidden(
                    "Only admins can grant admin permissions",
                ));
            }
        }
        // JupyterHub neither normalises nor validates the name here.
        let mut tx = membership.tx()?;
        if let Err(error) = create_user(&mut tx, &name, admin) {
            return Err(match error {
                // JupyterHub's authenticator refuses the name after the fact.
                StoreError::Invalid(_) => {
                    ApiError::bad_request(format!("Failed to create user: {name}"))
                }
                other => ApiError::store(&other),
            });
        }
        let model = model_of(state, caller, &mut tx, &name, UserModelOptions::default())?;
        Ok(json_response(StatusCode::CREATED, &Value::Object(model)))
    })
    .await
}

/// DELETE /users/:name
pub async fn delete(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let need = Need::any(&["delete:users"]).on_user(&name);
    let user = guard::write(&state, &headers, need, move |_, caller, membership| {
        let mut tx = membership.tx()?;
        let user = load_user_or_404(&mut tx, &name)?;
        if user.name == caller.principal.name() {
            return Err(ApiError::bad_request("Cannot delete yourself!"));
        }
        Ok(user.name)
    })
    .await?;
    // The user's servers stop first, as JupyterHub stops them: nothing may outlive its owner.
    if !crate::spawning::stop_user(&state, &user).await? {
        return Err(ApiError::bad_request(format!(
            "{user}'s server is in the process of stopping, please wait."
        )));
    }
    state
        .write(move |_, tx| {
            load_user_or_404(tx, &user)?;
            tx.delete_user(&user)?;
            Ok(StatusCode::NO_CONTENT.into_response())
        })
        .await
}

/// PATCH /users/:name
pub async fn patch(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let need = Need::any(&["admin:users"]).on_user(&name);
    guard::write(&state, &headers, need, move |state, caller, membership| {
        let user = load_user_or_404(&mut **membership.tx()?, &name)?;
        let data = json_body(&body)?.unwrap_or(Value::Null);
        check_user_model(&data)?;
        // JupyterHub accepts these keys and fails with a 500 when it applies them
        // (docs/compat.md): membership and roles have their own ways.
        for (key, fix) in [
            ("groups", "use POST or DELETE /hub/api/groups/:name/users"),
            ("roles", "assign roles with JupyterHub.load_roles"),
        ] {
            if data.get(key).is_some() {
                return Err(ApiError::bad_request(format!(
                    "user.{key} cannot be changed with PATCH; {fix}"
                )));
            }
        }
        let mut new_name = None;
        if let Some(requested) = data.get("name").and_then(Value::as_str) {
            if requested != name {
                let normalized = normalize_username(requested);
                if store::validate_user_name(&normalized).is_err() {
                    return Err(ApiError::bad_request(format!(
                        "Invalid username: {}",
                        scopes::py_str(&normalized)
                    )));
                }
                if membership.tx()?.find_user(&normalized)?.is_some() {
                    return Err(ApiError::bad_request(format!(
                        "User {normalized} already exists, username must be unique"
                    )));
                }
                new_name = Some(normalized);
            }
        }
        if !caller_is_admin(caller, membership)? {
            if user.admin {
                return Err(ApiError::forbidden("Only admins can modify other admins"));
            }
            if data.get("admin").is_some_and(scopes::py_truthy) {
                return Err(ApiError::forbidden(
                    "Only admins can grant admin permissions",
                ));
            }
        }
        let mut tx = membership.tx()?;
        let mut current = user.name.clone();
        if let Some(map) = data.as_object() {
            for (key, value) in map {
                match key.as_str() {
                    "name" => {
                        if let Some(new_name) = &new_name {
                            tx.rename_user(&current, new_name)?;
                            current.clone_from(new_name);
                        }
                    }
                    "admin" => {
                        let admin = value.as_bool().unwrap_or(false);
                        tx.set_user_admin(&current, admin)?;
                        if admin {
                            tx.assign_role(Holder::User(&current), "admin", false)?;
                        } else {
                            tx.unassign_role(Holder::User(&current), "admin")?;
                        }
                        tx.assign_role(Holder::User(&current), "user", false)?;
                    }
                    "auth_state" => {
                        let sealed = if value.is_null() {
                            None
                        } else {
                            Some(
                                state
                                    .crypt
                                    .encrypt(value)
                                    .map_err(|error| ApiError::bad_request(error.to_string()))?,
                            )
                        };
                        tx.set_encrypted_auth_state(&current, sealed.as_deref())?;
                    }
                    _ => {}
                }
            }
        }
        let mut model = model_of(
            state,
            caller,
            &mut tx,
            &current,
            UserModelOptions::default(),
        )?;
        model.insert(
            "auth_state".into(),
            auth_state_of(state, &mut tx, &current)?,
        );
        Ok(json_response(StatusCode::OK, &Value::Object(model)))
    })
    .await
}
