//! Cookie authentication of REST API requests (reference §1.2): a request without a token
//! but with a valid login cookie is its user's, subject to JupyterHub's XSRF rules (checked
//! for every method but `HEAD` and `OPTIONS`, plain navigations exempt) and to the rule that
//! a cookie `POST` must not carry a form content type.
//!
//! [`middleware`] runs before the handlers: it decides, then tells
//! [`crate::auth::authenticate`] whom through an internal request header that it first strips
//! from every incoming request, so a client can never set it.

use std::sync::OnceLock;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::cookies::{LOGIN_COOKIE, cookie};
use super::session::Browser;
use crate::auth::{Caller, token_from_headers};
use crate::error::ApiError;
use crate::state::SharedState;

/// The internal header naming the cookie-authenticated user (never accepted from clients).
const COOKIE_USER_HEADER: &str = "x-hubcap-cookie-user";

/// The id of the stand-in token of a cookie session (no stored token has it).
pub const SESSION_TOKEN_ID: i64 = 0;

/// Checks the login cookie of API requests that carry no token.
pub async fn middleware(
    State(state): State<SharedState>,
    mut request: Request,
    next: Next,
) -> Response {
    request.headers_mut().remove(COOKIE_USER_HEADER);
    let api = format!("{}api", state.config.hub_prefix());
    let path = request.uri().path();
    let applies = path.starts_with(&api)
        && !path.contains("/oauth2/")
        && token_from_headers(request.headers()).is_none()
        && cookie(request.headers(), LOGIN_COOKIE).is_some();
    if !applies {
        return next.run(request).await;
    }
    let mut browser = match Browser::read(&state, request.headers()).await {
        Ok(browser) => browser,
        Err(error) => return error.into_response(),
    };
    let method = request.method().clone();
    if method == Method::POST && !json_content_type(request.headers()) {
        tracing::warn!("not allowing a cookie-authenticated POST with a form content type");
        browser.user = None;
    }
    let checked = !matches!(method, Method::HEAD | Method::OPTIONS)
        && (browser.user.is_some() || request.headers().contains_key(header::ORIGIN));
    if checked {
        let submitted = request.uri().query().and_then(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .filter(|(key, _)| key == "_xsrf")
                .map(|(_, value)| value.into_owned())
                .last()
        });
        if let Err(message) = browser.check_xsrf(&state, &method, submitted.as_deref()) {
            return browser.finish(ApiError::forbidden(message).into_response());
        }
    }
    if let Some(user) = &browser.user {
        if let Ok(value) = HeaderValue::from_str(&user.name) {
            request.headers_mut().insert(COOKIE_USER_HEADER, value);
        }
    }
    let response = next.run(request).await;
    browser.finish(response)
}

/// `check_post_content_type`: absent, or some field starting with `application/json`.
fn json_content_type(headers: &HeaderMap) -> bool {
    match headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        None => headers.get(header::CONTENT_TYPE).is_none(),
        Some(value) => value
            .to_lowercase()
            .split(';')
            .any(|field| field.trim_start().starts_with("application/json")),
    }
}

/// The caller [`middleware`] let in, if any.
///
/// # Errors
///
/// Database failures.
pub async fn cookie_caller(
    state: &SharedState,
    headers: &HeaderMap,
) -> Result<Option<std::sync::Arc<Caller>>, ApiError> {
    let Some(name) = headers
        .get(COOKIE_USER_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
    else {
        return Ok(None);
    };
    let caller = state
        .read(move |state, tx| crate::auth::caller_for_cookie_user(state, tx, &name))
        .await?;
    Ok(caller.map(std::sync::Arc::new))
}

/// The stand-in token of a cookie session: `inherit` (all the user's scopes), the hub's own
/// client, never stored, active now (so no activity is written for it).
///
/// # Errors
///
/// 500 if the stand-in's hash cannot be made (no randomness).
pub fn session_token(user: &str) -> Result<store::Token, ApiError> {
    static HASH: OnceLock<Option<tokens::TokenHash>> = OnceLock::new();
    let hash = HASH
        .get_or_init(|| {
            tokens::TokenHash::for_storage("cookie-session-stand-in", tokens::Origin::Generated)
                .ok()
        })
        .clone()
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error; the hub's log has the details.",
            )
        })?;
    let now = OffsetDateTime::now_utc();
    Ok(store::Token {
        id: SESSION_TOKEN_ID,
        owner: store::Owner::User(user.to_owned()),
        hash,
        prefix: String::new(),
        scopes: vec![tokens::INHERIT.to_owned()],
        note: String::new(),
        created: now,
        expires_at: None,
        last_activity: Some(now),
        client_id: "jupyterhub".to_owned(),
        session_id: None,
    })
}
