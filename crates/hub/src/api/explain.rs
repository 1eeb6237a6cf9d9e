//! `GET /hub/api/explain?method=M&path=P` (hubcap's own): would the caller's token be
//! allowed to make that request, and why. Needs a valid token and no scope.

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::json;

use super::guard::Need;
use super::request::Args;
use super::users::READ_USER_SCOPES;
use crate::auth::{authenticate, missing_credentials};
use crate::error::{ApiError, ApiResult, json_response};
use crate::membership::TxMembership;
use crate::state::SharedState;

/// The requirement of `method path` (a path under `/hub/api`, segments already split), as
/// the endpoint's `@needs_scope` states it; `None` for an endpoint without one or an
/// unknown path.
fn requirement(method: &str, segments: &[&str]) -> Option<Need> {
    let any = Need::any;
    let server = |scope: &'static [&'static str], owner: &str, name: Option<&str>| {
        any(scope).on_server(owner, name.unwrap_or("None"))
    };
    Some(match (method, segments) {
        ("GET", ["info"]) => any(&["read:hub"]),
        ("POST", ["shutdown"]) => any(&["shutdown"]),
        ("GET", ["proxy"]) | ("POST", ["proxy"]) | ("PATCH", ["proxy"]) => any(&["proxy"]),
        ("GET", ["users"]) => any(&["list:users"]).listing(),
        ("POST", ["users"]) => any(&["admin:users"]),
        ("GET", ["users", u]) => any(READ_USER_SCOPES).on_user(u),
        ("POST" | "PATCH", ["users", u]) => any(&["admin:users"]).on_user(u),
        ("DELETE", ["users", u]) => any(&["delete:users"]).on_user(u),
        ("POST", ["users", u, "activity"]) => any(&["users:activity"]).on_user(u),
        ("GET", ["users", u, "tokens"]) | ("GET", ["users", u, "tokens", _]) => {
            any(&["read:tokens"]).on_user(u)
        }
        ("POST", ["users", u, "tokens"]) | ("DELETE", ["users", u, "tokens", _]) => {
            any(&["tokens"]).on_user(u)
        }
        (m, ["users", u, "server"]) | (m, ["users", u, "servers", _]) => {
            let name = match segments {
                [_, _, "servers", s] => *s,
                _ => "",
            };
            let scope: &'static [&'static str] = match m {
                "GET" => &["read:servers"],
                "POST" | "PUT" | "PATCH" => &["start:servers"],
                "DELETE" => &["delete:servers"],
                _ => return None,
            };
            any(scope).on_server(u, name)
        }
        ("GET", ["users", u, "shared"]) | ("GET", ["users", u, "shared", _, _]) => {
            any(&["read:users:shares"]).on_user(u)
        }
        ("DELETE", ["users", u, "shared", _, _]) => any(&["users:shares"]).on_user(u),
        ("GET", ["groups"]) => any(&["list:groups"]).listing(),
        ("POST", ["groups"]) => any(&["admin:groups"]),
        ("GET", ["groups", g]) => {
            any(&["read:groups", "read:groups:name", "read:roles:groups"]).on_group(g)
        }
        ("POST", ["groups", g]) => any(&["admin:groups"]).on_group(g),
        ("DELETE", ["groups", g]) => any(&["delete:groups"]).on_group(g),
        ("POST" | "DELETE", ["groups", g, "users"]) | ("PUT", ["groups", g, "properties"]) => {
            any(&["groups"]).on_group(g)
        }
        ("GET", ["groups", g, "shared"]) | ("GET", ["groups", g, "shared", _, _]) => {
            any(&["read:groups:shares"]).on_group(g)
        }
        ("DELETE", ["groups", g, "shared", _, _]) => any(&["groups:shares"]).on_group(g),
        ("GET", ["services"]) => any(&["list:services"]).listing(),
        ("GET", ["services", s]) => {
            any(&["read:services", "read:services:name", "read:roles:services"]).on_service(s)
        }
        ("POST" | "DELETE", ["services", s]) => any(&["admin:services"]).on_service(s),
        ("GET", ["shares" | "share-codes", o]) => server(&["read:shares"], o, None),
        ("GET", ["shares" | "share-codes", o, s]) => server(&["read:shares"], o, Some(s)),
        ("POST" | "PATCH" | "DELETE", ["shares" | "share-codes", o, s]) => {
            server(&["shares"], o, Some(s))
        }
        _ => return None,
    })
}

/// GET /hub/api/explain
pub async fn explain(
    State(state): State<SharedState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult {
    let args = Args::new(uri, headers);
    let caller = authenticate(&state, &args.headers)
        .await?
        .ok_or_else(missing_credentials)?;
    let method = args.get("method").unwrap_or("GET").to_uppercase();
    let Some(path) = args.get("path").map(str::to_owned) else {
        return Err(ApiError::bad_request(
            "explain needs `path`, e.g. /hub/api/explain?method=DELETE&path=/hub/api/users/alice",
        ));
    };
    let api_prefix = format!("{}api", state.config.hub_prefix());
    let relative = path.strip_prefix(&api_prefix).unwrap_or(&path);
    let decoded: Vec<String> = relative
        .trim_start_matches('/')
        .split('/')
        .map(|segment| {
            percent_encoding::percent_decode_str(segment)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let need = match requirement(&method, &segments) {
        Some(need) => need,
        None if matches!(segments.as_slice(), [""] | ["user"] | ["explain"]) => {
            let body = json!({
                "method": method, "path": path, "required": [], "status": 200,
                "allowed": true, "message": null,
                "explanation": {"text": "this endpoint needs only a valid token"},
            });
            return Ok(json_response(StatusCode::OK, &body));
        }
        None => {
            return Err(ApiError::not_found(format!(
                "hubcap knows no endpoint {method} {path}; paths are under {api_prefix}/, e.g. {api_prefix}/users/alice"
            )));
        }
    };
    state
        .read(move |state, tx| {
            let membership = TxMembership::new(tx);
            let verdict = need.explain(state, &caller, &membership)?;
            let body = json!({
                "method": method,
                "path": path,
                "required": verdict.required,
                "status": verdict.status,
                "allowed": verdict.status == 200,
                "message": verdict.message,
                "explanation": verdict.explanation,
            });
            Ok(json_response(StatusCode::OK, &body))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::requirement;

    #[test]
    fn every_scoped_route_has_a_requirement() {
        for (method, path) in [
            ("GET", "users"),
            ("DELETE", "users/alice"),
            ("GET", "users/alice/servers/lab"),
            ("POST", "users/alice/tokens"),
            ("PUT", "groups/g/properties"),
            ("GET", "shares/alice"),
            ("POST", "share-codes/alice/lab"),
            ("PATCH", "proxy"),
        ] {
            let segments: Vec<&str> = path.split('/').collect();
            assert!(requirement(method, &segments).is_some(), "{method} {path}");
        }
        assert!(requirement("GET", &["nope"]).is_none());
    }
}
