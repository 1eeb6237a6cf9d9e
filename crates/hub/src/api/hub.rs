//! `/`, `/info`, `/shutdown` (apihandlers/hub.py), `/user` (whoami), and the hub's
//! `/health`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::guard::{self, Need};
use super::request::json_body;
use crate::auth::{Principal, authenticate};
use crate::error::{ApiError, ApiResult, json_response};
use crate::models::{ServiceSource, UserModelOptions, service_model, user_model};
use crate::state::SharedState;

/// The JupyterHub version hubcap implements, sent in `X-JupyterHub-Version`.
pub const JUPYTERHUB_VERSION: &str = "6.1.1";

/// GET /hub/api/
pub async fn root() -> Response {
    let mut response = json_response(StatusCode::OK, &json!({"version": JUPYTERHUB_VERSION}));
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// JupyterHub 6.1.1's OpenAPI description of this API (BSD-3-Clause, vendored from the
/// `jupyterhub-6.1.1` sdist with its license beside it in `crates/hub/openapi/`).
const OPENAPI_SPEC: &str = include_str!("../../openapi/jupyterhub-rest-api.yml");

/// GET /hub/api/spec (hubcap's addition): the API's OpenAPI description, no credentials.
pub async fn spec() -> Response {
    let mut response = (StatusCode::OK, OPENAPI_SPEC).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/yaml"),
    );
    response
}

/// GET /hub/api/info
pub async fn info(State(state): State<SharedState>, headers: HeaderMap) -> ApiResult {
    guard::read(&state, &headers, Need::any(&["read:hub"]), move |_, _, _| {
            let body = json!({
                "version": JUPYTERHUB_VERSION,
                "python": format!("hubcap {} (Rust; no Python)", env!("CARGO_PKG_VERSION")),
                "sys_executable": std::env::current_exe()
                    .map(|path| path.display().to_string())
                    .unwrap_or_default(),
                "spawner": {"class": "hubcap.spawner.LocalProcessSpawner", "version": env!("CARGO_PKG_VERSION")},
                "authenticator": {"class": "hubcap.auth.NullAuthenticator", "version": env!("CARGO_PKG_VERSION")},
            });
            Ok(json_response(StatusCode::OK, &body))
        })
        .await
}

/// POST /hub/api/shutdown
pub async fn shutdown(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    guard::read(&state, &headers, Need::any(&["shutdown"]), |_, _, _| Ok(())).await?;
    let data = json_body(&body)?.unwrap_or(Value::Null);
    for key in ["proxy", "servers"] {
        if let Some(value) = data.get(key) {
            if !value.is_boolean() {
                return Err(ApiError::bad_request(format!(
                    "{key} must be true or false, got {}",
                    scopes::py_value(value)
                )));
            }
        }
    }
    tracing::info!("shutdown requested through the API");
    state.shutdown.notify_one();
    Ok(json_response(
        StatusCode::ACCEPTED,
        &json!({"message": "Shutting down Hub"}),
    ))
}

/// GET /hub/health: 200 with an empty HTML body, no authentication.
pub async fn health() -> Response {
    let mut response = StatusCode::OK.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

/// GET /hub/api/user: the caller's own model, token id, session id and scopes.
pub async fn whoami(
    State(state): State<SharedState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult {
    // Taken before anything is read, for the remembered answer (`api::answers`).
    let read_at = state.cache.generation();
    let Some(caller) = authenticate(&state, &headers).await? else {
        return Err(ApiError::bare(StatusCode::FORBIDDEN));
    };
    let answer_key = super::answers::key(&caller, &uri, &headers);
    if let Some(hit) = super::answers::remembered(&state, &answer_key) {
        return Ok(hit);
    }
    let _filling = state.cache.filling(&answer_key).await;
    if let Some(hit) = super::answers::remembered(&state, &answer_key) {
        return Ok(hit);
    }
    // Any token may read its owner's name and groups here; the scopes answered are the
    // token's own, without what was added for that.
    let identified = caller.identified()?;
    let mut model = match (&caller.principal, &caller.facts.details) {
        (Principal::User(_), Some(details)) => user_model(
            &identified,
            &state.config.base_url,
            &state.servers,
            details,
            UserModelOptions::default(),
        ),
        (Principal::User(_), None) => return Err(ApiError::bare(StatusCode::FORBIDDEN)),
        (Principal::Service(name), _) => {
            let name = name.clone();
            let identified = Arc::clone(&identified);
            state
                .read(move |state, tx| {
                    let Some(service) = tx.find_service(&name)? else {
                        return Err(ApiError::bare(StatusCode::FORBIDDEN));
                    };
                    let roles = super::services::role_names(tx, &name)?;
                    Ok(service_model(
                        &identified,
                        &service,
                        &roles,
                        ServiceSource::Database,
                        &state.config.base_url,
                    ))
                })
                .await?
        }
    };
    // a cookie session has no token: null, as JupyterHub answers
    let token_id = (caller.token.id != crate::login::api_cookie::SESSION_TOKEN_ID)
        .then(|| caller.token.api_id());
    model.insert("token_id".into(), json!(token_id));
    model.insert("session_id".into(), json!(caller.token.session_id));
    let scopes: Vec<&str> = caller.effective.scopes.texts().collect();
    model.insert("scopes".into(), json!(scopes));
    Ok(super::answers::remember(
        &state,
        answer_key,
        read_at,
        &Value::Object(model),
    ))
}
