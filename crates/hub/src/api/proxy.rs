//! `/proxy` (apihandlers/proxy.py): the hub's view of the proxy's routing table. Until the
//! configurable-http-proxy client exists, the table is the hub's own, in memory: the hub's
//! route at `/`, as the proxy shows it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::guard::{self, Need};
use super::request::Args;
use crate::error::{ApiError, ApiResult, json_response};
use crate::models::iso;
use crate::state::SharedState;

/// The routing table: routespec to `{routespec, target, data}`, plus where the proxy's API
/// is said to be (`PATCH /proxy`).
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Mutex<BTreeMap<String, Value>>,
    api: Mutex<(Option<String>, Option<String>)>,
}

impl RouteTable {
    /// A table with the hub's own route at `/` to `target`.
    pub fn with_hub(target: &str) -> RouteTable {
        let table = RouteTable::default();
        let route = json!({
            "routespec": "/",
            "target": target.trim_end_matches('/'),
            "data": {"hub": true, "last_activity": iso(Some(time::OffsetDateTime::now_utc()))},
        });
        if let Ok(mut routes) = table.routes.lock() {
            routes.insert("/".to_owned(), route);
        }
        table
    }

    fn snapshot(&self) -> BTreeMap<String, Value> {
        self.routes
            .lock()
            .map(|routes| routes.clone())
            .unwrap_or_default()
    }
}

fn empty_ok() -> Response {
    let mut response = StatusCode::OK.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// GET /proxy: the routes, keys sorted, `offset`/`limit` applied (a dict, or the envelope).
pub async fn get(
    State(state): State<SharedState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult {
    let args = Args::new(uri, headers);
    guard::read(
        &state,
        &args.headers.clone(),
        Need::any(&["proxy"]),
        move |state, _, _| {
            let (offset, limit) = args.pagination(
                state.config.api_page_default_limit,
                state.config.api_page_max_limit,
            )?;
            let all = state.routes.snapshot();
            let total = u64::try_from(all.len()).unwrap_or(u64::MAX);
            let routes: Map<String, Value> = all
                .into_iter()
                .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .collect();
            let body = args.list_body(Value::Object(routes), offset, limit, total);
            Ok(json_response(StatusCode::OK, &body))
        },
    )
    .await
}

/// POST /proxy: bring the proxy up to date (the in-memory table always is).
pub async fn post(State(state): State<SharedState>, headers: HeaderMap) -> ApiResult {
    guard::read(&state, &headers, Need::any(&["proxy"]), |_, _, _| {
        Ok(empty_ok())
    })
    .await
}

/// PATCH /proxy: where the proxy's API is now (`api_url`, `auth_token`).
pub async fn patch(State(state): State<SharedState>, headers: HeaderMap, body: Bytes) -> ApiResult {
    guard::read(
        &state,
        &headers,
        Need::any(&["proxy"]),
        move |state, _, _| {
            if body.is_empty() {
                return Err(ApiError::bad_request("need JSON body"));
            }
            let Ok(Value::Object(model)) = serde_json::from_slice::<Value>(&body) else {
                return Err(ApiError::bad_request("Request body must be JSON dict"));
            };
            if let Ok(mut api) = state.routes.api.lock() {
                if let Some(url) = model.get("api_url") {
                    api.0 = url.as_str().map(str::to_owned);
                }
                if let Some(token) = model.get("auth_token") {
                    api.1 = token.as_str().map(str::to_owned);
                }
            }
            tracing::info!("proxy location updated through the API");
            Ok(empty_ok())
        },
    )
    .await
}
