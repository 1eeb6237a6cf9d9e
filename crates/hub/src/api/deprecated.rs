//! Endpoints JupyterHub keeps for old clients: `/authorizations/token[/:token]`,
//! `/authorizations/cookie/:name[/:value]` and `/users/:name/admin-access`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use time::OffsetDateTime;

use super::guard::{self, Need};
use crate::auth::authenticate;
use crate::error::{ApiError, ApiResult, json_response};
use crate::models::{ServiceSource, UserModelOptions, service_model, user_model};
use crate::state::SharedState;

/// GET /authorizations/token/:token: the model of the token's owner, as the caller may see
/// it. Looking a token up counts as its use.
pub async fn token_owner(
    State(state): State<SharedState>,
    Path(secret): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let Some(caller) = authenticate(&state, &headers).await? else {
        return Err(ApiError::bare(StatusCode::FORBIDDEN));
    };
    state
        .write(move |state, tx| {
            let now = OffsetDateTime::now_utc();
            let Some(token) = crate::auth::find_token(tx, &secret)? else {
                return Err(ApiError::bare(StatusCode::NOT_FOUND));
            };
            tx.set_token_last_activity(token.id, now)?;
            // Showing a token's owner needs the owner's identify scopes.
            let owner = match &token.owner {
                store::Owner::User(name) => scopes::Owner::User(name),
                store::Owner::Service(name) => scopes::Owner::Service(name),
            };
            let caller = caller.widened(&scopes::identify_scopes(Some(owner)))?;
            let model = match &token.owner {
                store::Owner::User(name) => {
                    tx.set_user_last_activity(name, now)?;
                    super::users::load_user(tx, name)?;
                    let details = tx.user_details(name)?;
                    user_model(
                        &caller,
                        &state.config.base_url,
                        &state.servers,
                        &details,
                        UserModelOptions::default(),
                    )
                }
                store::Owner::Service(name) => {
                    let Some(service) = tx.find_service(name)? else {
                        return Err(ApiError::bare(StatusCode::NOT_FOUND));
                    };
                    let roles = super::services::role_names(tx, name)?;
                    service_model(
                        &caller,
                        &service,
                        &roles,
                        ServiceSource::Database,
                        &state.config.base_url,
                    )
                }
            };
            Ok(json_response(StatusCode::OK, &Value::Object(model)))
        })
        .await
}

/// POST /authorizations/token: removed in JupyterHub 2.0.
pub async fn token_post() -> ApiResult {
    Err(ApiError::not_found(
        "Deprecated endpoint /hub/api/authorizations/token is removed in JupyterHub 2.0. Use /hub/api/users/:user/tokens instead.",
    ))
}

/// GET /authorizations/cookie/:name[/:value]: the hub has no login cookies yet, so no
/// cookie names a user.
pub async fn cookie_owner(State(state): State<SharedState>, headers: HeaderMap) -> ApiResult {
    match authenticate(&state, &headers).await? {
        None => Err(ApiError::bare(StatusCode::FORBIDDEN)),
        Some(_) => Err(ApiError::bare(StatusCode::NOT_FOUND)),
    }
}

/// POST /users/:name/admin-access: deprecated since 0.8; hubcap, like JupyterHub by
/// default, has admin access disabled.
pub async fn admin_access(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let need = Need::any(&["servers"]).on_user(&name);
    guard::read(&state, &headers, need, |_, _, _| {
        Err(ApiError::forbidden("admin access to user servers disabled"))
    })
    .await
}
