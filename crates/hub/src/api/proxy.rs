//! `/proxy` (apihandlers/proxy.py): the proxy's routing table as the hub sees it, a
//! `check_routes` on demand, and telling the hub where the proxy's API now is.

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::guard::{self, Need};
use super::request::Args;
use crate::error::{ApiError, ApiResult, json_response};
use crate::state::SharedState;

fn empty_ok() -> Response {
    let mut response = StatusCode::OK.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The proxy failed: JupyterHub lets the exception through as a 500; hubcap says which
/// proxy call failed.
fn proxy_failed(error: &crate::routing::RoutingError) -> ApiError {
    tracing::error!(%error, "the proxy did not answer");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("The proxy could not be reached: {error}"),
    )
}

/// GET /proxy: the routes, keys sorted, `offset`/`limit` applied (a dict, or the envelope).
pub async fn get(
    State(state): State<SharedState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult {
    let args = Args::new(uri, headers);
    let caller = guard::caller(&state, &args.headers).await?;
    Need::any(&["proxy"]).check_untargeted(&state, &caller)?;
    let (offset, limit) = args.pagination(
        state.config.api_page_default_limit,
        state.config.api_page_max_limit,
    )?;
    let all = state
        .proxy
        .client()
        .get_all_routes()
        .await
        .map_err(|error| proxy_failed(&error.into()))?;
    let total = u64::try_from(all.len()).unwrap_or(u64::MAX);
    let routes: Map<String, Value> = all
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|(routespec, route)| {
            let value = serde_json::to_value(&route).unwrap_or(Value::Null);
            (routespec, value)
        })
        .collect();
    let body = args.list_body(Value::Object(routes), offset, limit, total);
    Ok(json_response(StatusCode::OK, &body))
}

/// POST /proxy: `check_routes` now.
pub async fn post(State(state): State<SharedState>, headers: HeaderMap) -> ApiResult {
    let caller = guard::caller(&state, &headers).await?;
    Need::any(&["proxy"]).check_untargeted(&state, &caller)?;
    crate::routing::sync_routes(&state)
        .await
        .map_err(|error| proxy_failed(&error))?;
    Ok(empty_ok())
}

/// PATCH /proxy: where the proxy's API is now (`api_url`, `auth_token`), then
/// `check_routes` there.
pub async fn patch(State(state): State<SharedState>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let caller = guard::caller(&state, &headers).await?;
    Need::any(&["proxy"]).check_untargeted(&state, &caller)?;
    if body.is_empty() {
        return Err(ApiError::bad_request("need JSON body"));
    }
    let Ok(Value::Object(model)) = serde_json::from_slice::<Value>(&body) else {
        return Err(ApiError::bad_request("Request body must be JSON dict"));
    };
    let text = |key: &str| model.get(key).and_then(Value::as_str);
    if let Err(error) = state
        .proxy
        .relocate(text("api_url"), text("auth_token"))
        .await
    {
        // JupyterHub would switch anyway and fail from then on (docs/compat.md).
        return Err(ApiError::bad_request(format!(
            "The proxy could not be reached with the new api_url or auth_token, which were \
             not applied: {error}"
        )));
    }
    tracing::info!("proxy location updated through the API");
    crate::routing::sync_routes(&state)
        .await
        .map_err(|error| proxy_failed(&error))?;
    Ok(empty_ok())
}
