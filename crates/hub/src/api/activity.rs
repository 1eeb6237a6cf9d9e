//! `POST /users/:name/activity` (`ActivityAPIHandler`): single-user servers and the idle
//! culler report activity; timestamps only ever move forward.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::Value;
use store::ServerUpdate;
use time::OffsetDateTime;

use super::guard::{self, Need};
use super::request::json_body;
use crate::error::{ApiError, ApiResult};
use crate::models::iso;
use crate::state::SharedState;
use crate::timestamp::parse_iso8601;

const SERVERS_SHAPE: &str =
    "servers must be a dict of the form {server_name: {last_activity: timestamp}}";

/// `_parse_timestamp`: a timestamp no more than 59 minutes ahead of now.
fn parse_timestamp(value: &Value, now: OffsetDateTime) -> Result<OffsetDateTime, ApiError> {
    let invalid = || {
        ApiError::bad_request(format!(
            "Not a valid timestamp: {}",
            scopes::py_value(value)
        ))
    };
    let at = value.as_str().and_then(parse_iso8601).ok_or_else(invalid)?;
    if at - now > time::Duration::minutes(59) {
        let shown = iso(Some(at));
        return Err(ApiError::bad_request(format!(
            "Rejecting activity from more than an hour in the future: {}",
            shown.as_str().unwrap_or_default()
        )));
    }
    Ok(at)
}

/// POST /users/:name/activity
pub async fn post(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let need = Need::any(&["users:activity"]).on_user(&name);
    guard::write(&state, &headers, need, move |_, _, membership| {
        let mut tx = membership.tx()?;
        let Some(user) = super::users::load_user(&mut tx, &name)? else {
            return Err(ApiError::not_found(format!(
                "No such user: {}",
                scopes::py_str(&name)
            )));
        };
        let Some(Value::Object(body)) = json_body(&body)? else {
            return Err(ApiError::bad_request("body must be a json dict"));
        };
        let last_activity = body.get("last_activity").filter(|v| scopes::py_truthy(v));
        let servers = body.get("servers").filter(|v| scopes::py_truthy(v));
        if last_activity.is_none() && servers.is_none() {
            return Err(ApiError::bad_request(
                "body must contain at least one of `last_activity` or `servers`",
            ));
        }
        let now = OffsetDateTime::now_utc();
        let mut server_times = Vec::new();
        if let Some(servers) = servers {
            let Value::Object(servers) = servers else {
                return Err(ApiError::bad_request(SERVERS_SHAPE));
            };
            let stored = tx.user_servers(&user.name)?;
            for (server_name, info) in servers {
                let Some(server) = stored.iter().find(|s| &s.name == server_name) else {
                    return Err(ApiError::bad_request(format!(
                        "No such server '{server_name}' for user {}",
                        user.name
                    )));
                };
                let Some(at) = info.as_object().and_then(|info| info.get("last_activity")) else {
                    return Err(ApiError::bad_request(SERVERS_SHAPE));
                };
                server_times.push((server.clone(), parse_timestamp(at, now)?));
            }
        }
        if let Some(at) = last_activity {
            let at = parse_timestamp(at, now)?;
            if user.last_activity.is_none_or(|old| at > old) {
                tx.set_user_last_activity(&user.name, at)?;
            }
        }
        for (server, at) in server_times {
            if server.last_activity.is_none_or(|old| at > old) {
                let update = ServerUpdate {
                    last_activity: Some(at),
                    ..ServerUpdate::default()
                };
                tx.update_server(&user.name, &server.name, &update)?;
            }
        }
        // 200 with an empty body, as JupyterHub answers.
        let mut response = StatusCode::OK.into_response();
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        );
        Ok(response)
    })
    .await
}
