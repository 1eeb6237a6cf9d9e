//! A browser's login: the user behind the `jupyterhub-hub-login` cookie, the session id,
//! the XSRF token, and the cookies an answer sets (JupyterHub's `get_current_user_cookie`,
//! `set_session_cookie`, `set_login_cookie`, `clear_login_cookie`).
//!
//! The login cookie signs `"{cookie_id}:{name}"` (JupyterHub signs the `cookie_id` alone and
//! looks it up; only the hub reads this cookie, so its content is the hub's choice). A new
//! `cookie_id` (`Tx::reset_cookie_id`) logs the user out everywhere, as in JupyterHub.

use axum::http::{HeaderMap, Method};
use axum::response::Response;
use time::OffsetDateTime;

use super::cookies::{LOGIN_COOKIE, SESSION_COOKIE, SetCookie, XSRF_COOKIE, cookie};
use super::signed::{create_signed_value, decode_signed_value};
use super::xsrf;
use crate::error::ApiError;
use crate::state::SharedState;

/// Days a login cookie's `expires` lies ahead (tornado's default); the signature is accepted
/// for `cookie_max_age_days` only.
const LOGIN_COOKIE_EXPIRES_DAYS: i64 = 30;

/// A request's login state and the cookies its answer will set.
#[derive(Debug)]
pub struct Browser {
    /// The logged-in user, if the login cookie is valid.
    pub user: Option<store::User>,
    /// The session id (from the cookie, or made for this answer).
    pub session_id: Option<String>,
    headers: HeaderMap,
    set_cookies: Vec<SetCookie>,
    xsrf_token: Option<String>,
}

impl Browser {
    /// Reads the login cookie and the session id of a request. An invalid login cookie is
    /// cleared; a logged-in user without a session id gets one (as JupyterHub does).
    ///
    /// # Errors
    ///
    /// Database failures.
    pub async fn read(state: &SharedState, headers: &HeaderMap) -> Result<Browser, ApiError> {
        let mut browser = Browser {
            user: None,
            session_id: cookie(headers, SESSION_COOKIE).filter(|id| !id.is_empty()),
            headers: headers.clone(),
            set_cookies: Vec::new(),
            xsrf_token: None,
        };
        let Some(value) = cookie(headers, LOGIN_COOKIE) else {
            return Ok(browser);
        };
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let decoded = decode_signed_value(
            state.cookie_secret.bytes(),
            LOGIN_COOKIE,
            &value,
            state.config.login.cookie_max_age_days,
            now,
        )
        .and_then(|bytes| String::from_utf8(bytes).ok());
        let user = match decoded {
            Some(text) => match text.split_once(':') {
                Some((cookie_id, name)) => {
                    let (cookie_id, name) = (cookie_id.to_owned(), name.to_owned());
                    state
                        .read(move |_, tx| {
                            Ok(tx.find_user(&name)?.filter(|user| {
                                super::constant_time_eq(
                                    user.cookie_id.as_bytes(),
                                    cookie_id.as_bytes(),
                                )
                            }))
                        })
                        .await?
                }
                None => None,
            },
            None => None,
        };
        match user {
            Some(user) => {
                record_activity(state, &user).await?;
                browser.user = Some(user);
                if browser.session_id.is_none() {
                    browser.new_session(state);
                }
            }
            None => {
                tracing::warn!("invalid or expired login cookie");
                browser
                    .set_cookies
                    .push(SetCookie::clear(LOGIN_COOKIE, &state.config.hub_prefix()));
            }
        }
        Ok(browser)
    }

    /// The session id, made (and its cookie set) if there is none.
    pub fn ensure_session(&mut self, state: &SharedState) -> String {
        match &self.session_id {
            Some(id) => id.clone(),
            None => self.new_session(state),
        }
    }

    fn new_session(&mut self, state: &SharedState) -> String {
        let id = tokens::new_token().map_or_else(
            |_| {
                hex::encode(
                    OffsetDateTime::now_utc()
                        .unix_timestamp_nanos()
                        .to_be_bytes(),
                )
            },
            tokens::Secret::into_string,
        );
        self.set_cookies.push(
            SetCookie::new(SESSION_COOKIE, id.clone(), &state.config.base_url)
                .http_only()
                .secure(secure(state)),
        );
        self.session_id = Some(id.clone());
        id
    }

    /// What the XSRF token signs for this request.
    pub fn xsrf_id(&self) -> String {
        xsrf::token_id(
            self.session_id.as_deref(),
            self.user.as_ref().map(|user| user.cookie_id.as_str()),
            &self.headers,
        )
    }

    /// The request's XSRF token (`handler.xsrf_token`), setting the cookie when it is new
    /// and the request is a navigation.
    pub fn xsrf_token(&mut self, state: &SharedState) -> String {
        if let Some(token) = &self.xsrf_token {
            return token.clone();
        }
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let (token, set) = xsrf::current_token(
            state.cookie_secret.bytes(),
            &self.headers,
            &self.xsrf_id(),
            now,
        );
        if set {
            self.set_xsrf_cookie(state, token.clone());
        }
        self.xsrf_token = Some(token.clone());
        token
    }

    /// Sets the XSRF cookie to the current token on a navigation, even when the browser has
    /// it already (the login page restarts its hour, as JupyterHub's does).
    pub fn refresh_xsrf_cookie(&mut self, state: &SharedState) {
        let token = self.xsrf_token(state);
        let navigate = self
            .headers
            .get("sec-fetch-mode")
            .and_then(|value| value.to_str().ok())
            .is_none_or(|mode| mode == "navigate");
        if navigate {
            self.set_xsrf_cookie(state, token);
        }
    }

    fn set_xsrf_cookie(&mut self, state: &SharedState, token: String) {
        self.set_cookies
            .retain(|cookie| !cookie.line().starts_with("_xsrf="));
        let mut cookie = SetCookie::new(XSRF_COOKIE, token, &state.config.hub_prefix());
        if self.user.is_none() {
            // anonymous tokens last an hour
            cookie = cookie.max_age(3600);
        }
        self.set_cookies.push(cookie);
    }

    /// JupyterHub's `check_xsrf_cookie` for this request (`submitted`: the `_xsrf` query or
    /// form argument).
    ///
    /// # Errors
    ///
    /// JupyterHub's 403 message.
    pub fn check_xsrf(
        &self,
        state: &SharedState,
        method: &Method,
        submitted: Option<&str>,
    ) -> Result<(), String> {
        xsrf::check(
            state.cookie_secret.bytes(),
            method,
            &self.headers,
            submitted,
            &self.xsrf_id(),
            OffsetDateTime::now_utc().unix_timestamp(),
        )
    }

    /// `set_login_cookie`: the session id if missing, the login cookie for `user` (unless
    /// it is already theirs), and a fresh XSRF cookie for the logged-in id.
    pub fn log_in(&mut self, state: &SharedState, user: store::User) {
        self.ensure_session(state);
        let already = self
            .user
            .as_ref()
            .is_some_and(|current| current.id == user.id);
        if !already {
            let value = format!("{}:{}", user.cookie_id, user.name);
            let now = OffsetDateTime::now_utc().unix_timestamp();
            let signed = create_signed_value(
                state.cookie_secret.bytes(),
                LOGIN_COOKIE,
                value.as_bytes(),
                now,
            );
            self.set_cookies.push(
                SetCookie::new(LOGIN_COOKIE, signed, &state.config.hub_prefix())
                    .expires_in_days(LOGIN_COOKIE_EXPIRES_DAYS)
                    .http_only()
                    .secure(secure(state)),
            );
        }
        self.user = Some(user);
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let token = xsrf::new_token(state.cookie_secret.bytes(), &self.xsrf_id(), now);
        self.xsrf_token = Some(token.clone());
        self.set_xsrf_cookie(state, token);
    }

    /// `clear_login_cookie`: clears the session, login, legacy services and XSRF cookies.
    pub fn log_out(&mut self, state: &SharedState) {
        let hub = state.config.hub_prefix();
        if self.session_id.is_some() {
            self.set_cookies
                .push(SetCookie::clear(SESSION_COOKIE, &state.config.base_url));
        }
        self.set_cookies.push(SetCookie::clear(LOGIN_COOKIE, &hub));
        self.set_cookies.push(SetCookie::clear(
            "jupyterhub-services",
            &format!("{}services", state.config.base_url),
        ));
        self.set_cookies.push(SetCookie::clear(XSRF_COOKIE, &hub));
    }

    /// The request's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// `response` with this request's cookies set.
    pub fn finish(&self, mut response: Response) -> Response {
        for cookie in &self.set_cookies {
            cookie.add_to(response.headers_mut());
        }
        response
    }
}

fn secure(state: &SharedState) -> bool {
    state.config.bind_url.scheme() == "https"
}

/// Cookie authentication counts as the user's activity (throttled like token activity).
async fn record_activity(state: &SharedState, user: &store::User) -> Result<(), ApiError> {
    let now = OffsetDateTime::now_utc();
    let resolution = time::Duration::seconds(i64::from(state.config.activity_resolution));
    if user.last_activity.is_some_and(|at| now - at <= resolution) {
        return Ok(());
    }
    let name = user.name.clone();
    state
        .write(move |_, tx| Ok(tx.set_user_last_activity(&name, now)?))
        .await
}
