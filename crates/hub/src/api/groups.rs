//! `/groups`, `/groups/:name`, its members and properties (apihandlers/groups.py).

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use roles::Holder;
use scopes::Filters;
use serde_json::{Map, Value};
use store::{Group, Tx};

use super::guard::{self, Need};
use super::model_check::check_group_model;
use super::request::{Args, json_body};
use super::users::normalize_username;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, json_response};
use crate::models::group_model;
use crate::state::SharedState;

fn find_group(tx: &mut Tx<'_>, name: &str) -> Result<Group, ApiError> {
    tx.find_group(name)?
        .ok_or_else(|| ApiError::not_found(format!("No such group: {name}")))
}

/// `_usernames_to_users`: each name normalised and required to exist.
fn existing_users(tx: &mut Tx<'_>, names: &[Value]) -> Result<Vec<String>, ApiError> {
    let mut users = Vec::with_capacity(names.len());
    for name in names {
        let name = normalize_username(name.as_str().unwrap_or_default());
        if super::users::load_user(tx, &name)?.is_none() {
            return Err(ApiError::bad_request(format!("No such user: {name}")));
        }
        users.push(name);
    }
    Ok(users)
}

fn model(caller: &Caller, tx: &mut Tx<'_>, group: &Group) -> Result<Map<String, Value>, ApiError> {
    let members = tx.group_members(&group.name)?;
    let roles: Vec<String> = tx
        .roles_of(Holder::Group(&group.name))?
        .into_iter()
        .map(|(role, _)| role.role.name)
        .collect();
    Ok(group_model(caller, group, &members, &roles))
}

fn users_of(data: &Value) -> &[Value] {
    data.get("users")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// GET /groups
pub async fn list(
    State(state): State<SharedState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult {
    let args = Args::new(uri, headers);
    let need = Need::any(&["list:groups"]).listing();
    guard::read(
        &state,
        &args.headers.clone(),
        need,
        move |state, caller, membership| {
            let names: Option<Vec<String>> = match caller.parsed.get("list:groups") {
                Some(Filters::Some(values)) => {
                    let kinds = values.by_kind();
                    if kinds.iter().any(|(kind, _)| *kind != "group") {
                        tracing::warn!("invalid filter on list:groups");
                        return Err(ApiError::bare(StatusCode::FORBIDDEN));
                    }
                    Some(
                        kinds
                            .into_iter()
                            .flat_map(|(_, names)| names.into_iter().map(str::to_owned))
                            .collect(),
                    )
                }
                _ => None,
            };
            let (offset, limit) = args.pagination(
                state.config.api_page_default_limit,
                state.config.api_page_max_limit,
            )?;
            let mut tx = membership.tx()?;
            let to_u32 = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
            // Unfiltered, the store pages; a `!group=` filter names few groups, kept here.
            let (page, total) = match &names {
                None => tx.list_groups(to_u32(offset), to_u32(limit))?,
                Some(names) => {
                    let matching: Vec<Group> = tx
                        .list_groups(0, u32::MAX)?
                        .0
                        .into_iter()
                        .filter(|group| names.contains(&group.name))
                        .collect();
                    let total = u64::try_from(matching.len()).unwrap_or(u64::MAX);
                    let page = matching
                        .into_iter()
                        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                        .take(usize::try_from(limit).unwrap_or(usize::MAX))
                        .collect();
                    (page, total)
                }
            };
            let mut models = Vec::with_capacity(page.len());
            for group in &page {
                models.push(Value::Object(model(caller, &mut tx, group)?));
            }
            let body = args.list_body(Value::Array(models), offset, limit, total);
            Ok(json_response(StatusCode::OK, &body))
        },
    )
    .await
}

/// POST /groups
pub async fn create_many(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    guard::write(
        &state,
        &headers,
        Need::any(&["admin:groups"]),
        move |_, caller, membership| {
            let data = json_body(&body)?;
            let mut data = match data {
                Some(Value::Object(map)) if map.get("groups").is_some_and(scopes::py_truthy) => map,
                _ => {
                    return Err(ApiError::bad_request(
                        "Must specify at least one group to create",
                    ));
                }
            };
            let names = data.remove("groups").unwrap_or(Value::Null);
            let rest = Value::Object(data);
            check_group_model(&rest)?;
            let names: Vec<String> = match &names {
                // Python iterates a string by characters.
                Value::String(text) => text.chars().map(String::from).collect(),
                other => other
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            let mut tx = membership.tx()?;
            let mut created = Vec::new();
            for name in &names {
                if tx.find_group(name)?.is_some() {
                    // JupyterHub commits each group as it goes: the ones before stay.
                    let error = ApiError::conflict(format!("Group {name} already exists"));
                    return Ok(error.into_response());
                }
                created.push(create_group(&mut tx, name, users_of(&rest))?);
            }
            let mut models = Vec::new();
            for group in &created {
                models.push(Value::Object(model(caller, &mut tx, group)?));
            }
            Ok(json_response(StatusCode::CREATED, &Value::Array(models)))
        },
    )
    .await
}

fn create_group(tx: &mut Tx<'_>, name: &str, users: &[Value]) -> Result<Group, ApiError> {
    let users = existing_users(tx, users)?;
    let group = tx.create_group(name, &Map::new())?;
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    tx.add_group_members(name, &refs)?;
    Ok(group)
}

/// GET /groups/:name
pub async fn get(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let need = Need::any(&["read:groups", "read:groups:name", "read:roles:groups"]).on_group(&name);
    guard::read(&state, &headers, need, move |_, caller, membership| {
        let mut tx = membership.tx()?;
        let group = find_group(&mut tx, &name)?;
        let model = model(caller, &mut tx, &group)?;
        Ok(json_response(StatusCode::OK, &Value::Object(model)))
    })
    .await
}

/// POST /groups/:name
pub async fn create_one(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let need = Need::any(&["admin:groups"]).on_group(&name);
    guard::write(&state, &headers, need, move |_, caller, membership| {
        let data = json_body(&body)?.unwrap_or_else(|| Value::Object(Map::new()));
        check_group_model(&data)?;
        let mut tx = membership.tx()?;
        if tx.find_group(&name)?.is_some() {
            return Err(ApiError::conflict(format!("Group {name} already exists")));
        }
        let group = create_group(&mut tx, &name, users_of(&data))?;
        let model = model(caller, &mut tx, &group)?;
        Ok(json_response(StatusCode::CREATED, &Value::Object(model)))
    })
    .await
}

/// DELETE /groups/:name
pub async fn delete(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let need = Need::any(&["delete:groups"]).on_group(&name);
    guard::write(&state, &headers, need, move |_, _, membership| {
        let mut tx = membership.tx()?;
        find_group(&mut tx, &name)?;
        tx.delete_group(&name)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

/// POST (add) or DELETE (remove) /groups/:name/users
async fn change_members(
    state: SharedState,
    name: String,
    headers: HeaderMap,
    body: Bytes,
    add: bool,
) -> ApiResult {
    let need = Need::any(&["groups"]).on_group(&name);
    guard::write(&state, &headers, need, move |_, caller, membership| {
        let mut tx = membership.tx()?;
        let group = find_group(&mut tx, &name)?;
        let data = json_body(&body)?.unwrap_or(Value::Null);
        check_group_model(&data)?;
        if data.get("users").is_none() {
            return Err(ApiError::bad_request(if add {
                "Must specify users to add"
            } else {
                "Must specify users to delete"
            }));
        }
        let users = existing_users(&mut tx, users_of(&data))?;
        let refs: Vec<&str> = users.iter().map(String::as_str).collect();
        if add {
            tx.add_group_members(&name, &refs)?;
        } else {
            tx.remove_group_members(&name, &refs)?;
        }
        let model = model(caller, &mut tx, &group)?;
        Ok(json_response(StatusCode::OK, &Value::Object(model)))
    })
    .await
}

/// POST /groups/:name/users
pub async fn add_members(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    change_members(state, name, headers, body, true).await
}

/// DELETE /groups/:name/users
pub async fn remove_members(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    change_members(state, name, headers, body, false).await
}

/// PUT /groups/:name/properties
pub async fn set_properties(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let need = Need::any(&["groups"]).on_group(&name);
    guard::write(&state, &headers, need, move |_, caller, membership| {
        let mut tx = membership.tx()?;
        let mut group = find_group(&mut tx, &name)?;
        let Some(Value::Object(properties)) = json_body(&body)? else {
            return Err(ApiError::bad_request("Must specify properties"));
        };
        tx.set_group_properties(&name, &properties)?;
        group.properties = properties;
        let model = model(caller, &mut tx, &group)?;
        Ok(json_response(StatusCode::OK, &Value::Object(model)))
    })
    .await
}
