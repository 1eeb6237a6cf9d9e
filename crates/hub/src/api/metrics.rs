//! `/hub/metrics` (a page handler: its errors are HTML): Prometheus text with JupyterHub's
//! metric names where hubcap has the quantity, behind `read:metrics` unless
//! `JupyterHub.authenticate_prometheus = false`.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::auth::authenticate;
use crate::membership::TxMembership;
use crate::state::SharedState;

/// The Prometheus text format's content type, as JupyterHub's `prometheus_client` sends it.
const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=1.0.0; charset=utf-8";

fn page(status: StatusCode, text: &str) -> Response {
    let mut response = (status, format!("<html><body><p>{text}</p></body></html>")).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

/// GET /hub/metrics
pub async fn metrics(State(state): State<SharedState>, headers: HeaderMap) -> Response {
    let denied = || {
        page(
            StatusCode::FORBIDDEN,
            "403 : Forbidden. Access to metrics requires scope 'read:metrics'",
        )
    };
    let caller = match authenticate(&state, &headers).await {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    let needs_scope = state.config.authenticate_prometheus;
    if needs_scope && caller.is_none() {
        return denied();
    }
    let counted = state
        .read(move |state, tx| {
            if needs_scope {
                let membership = TxMembership::new(tx);
                let allowed = caller.as_ref().is_some_and(|caller| {
                    caller
                        .require(state, Some(&membership), &["read:metrics"], None, false)
                        .is_ok()
                });
                if !allowed {
                    return Ok(None);
                }
                return count(&mut **membership.tx()?).map(Some);
            }
            count(tx).map(Some)
        })
        .await;
    match counted {
        Ok(Some(text)) => {
            let mut response = (StatusCode::OK, text).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(PROMETHEUS_CONTENT_TYPE),
            );
            response
        }
        Ok(None) => denied(),
        Err(error) => error.into_response(),
    }
}

fn count(tx: &mut store::Tx<'_>) -> Result<String, crate::error::ApiError> {
    let users = tx.list_users(&store::UserQuery {
        limit: 1,
        ..store::UserQuery::default()
    })?;
    Ok(format!(
        "# HELP jupyterhub_total_users total number of users\n\
         # TYPE jupyterhub_total_users gauge\n\
         jupyterhub_total_users {}\n",
        users.total
    ))
}
