//! `GET`/`POST /hub/login` and `GET /hub/logout` (JupyterHub's `LoginHandler` and
//! `LogoutHandler`), and the request arguments pages read (tornado's `get_argument`: query
//! and form body together, the last value winning).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;

use super::authenticator::{self, LoginRefused};
use super::html::{error_page, escape, page, redirect};
use super::next_url::next_url;
use super::session::Browser;
use crate::error::ApiError;
use crate::state::SharedState;

/// A request's arguments: the query's, then the form body's.
#[derive(Debug, Default, Clone)]
pub struct Arguments {
    pairs: Vec<(String, String)>,
    query: Option<String>,
}

impl Arguments {
    /// The query of `uri`, and `body` when `headers` say it is a form.
    pub fn read(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Arguments {
        let query = uri.query().map(str::to_owned);
        let mut pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            pairs.extend(
                url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())),
            );
        }
        Arguments { pairs, query }
    }

    /// The last value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The raw query string.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }
}

/// A page request's arguments and login state (`body`: the form, if any); a database
/// failure is already the error page.
///
/// # Errors
///
/// The error page.
pub async fn open(
    state: &SharedState,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Arguments, Browser), Response> {
    let args = Arguments::read(uri, headers, body);
    match Browser::read(state, headers).await {
        Ok(browser) => Ok((args, browser)),
        Err(error) => Err(failed_page(state, &error)),
    }
}

/// A database failure on a page: the error page with its status.
pub fn failed_page(state: &SharedState, error: &ApiError) -> Response {
    let message = error.message.clone().unwrap_or_default();
    error_page(error.status, &state.config.base_url, None, &message)
}

/// `GET /hub/login`: the form (with a fresh `_xsrf` cookie), or, for someone logged in
/// already, a refreshed login and a redirect to `next`.
pub async fn login_get(State(state): State<SharedState>, uri: Uri, headers: HeaderMap) -> Response {
    let (args, mut browser) = match open(&state, &uri, &headers, &[]).await {
        Ok(opened) => opened,
        Err(page) => return page,
    };
    if let Some(user) = browser.user.clone() {
        let target = match default_next(&state, &args, &headers, &user.name).await {
            Ok(target) => target,
            Err(error) => return failed_page(&state, &error),
        };
        browser.log_in(&state, user);
        return browser.finish(redirect(&target));
    }
    if state.config.login.authenticator == crate::config::AuthenticatorClass::Null {
        // NullAuthenticator: no login through the hub (JupyterHub fails the same request).
        return browser.finish(error_page(
            StatusCode::FORBIDDEN,
            &state.config.base_url,
            None,
            "Login through the hub is disabled (JupyterHub.authenticator_class is \"null\")",
        ));
    }
    let username = args.get("username").unwrap_or("").to_owned();
    browser.refresh_xsrf_cookie(&state);
    let response = login_form(&state, &mut browser, &args, StatusCode::OK, None, &username);
    browser.finish(response)
}

/// `POST /hub/login`: checks the form's `_xsrf`, authenticates, creates the user if new,
/// sets the login cookies and redirects to `next`; a refusal is the form again with 403.
pub async fn login_post(
    State(state): State<SharedState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (args, mut browser) = match open(&state, &uri, &headers, &body).await {
        Ok(opened) => opened,
        Err(page) => return page,
    };
    if let Err(message) = browser.check_xsrf(&state, &method, args.get("_xsrf")) {
        tracing::error!(%message, "XSRF error on login form");
        let navigate = headers
            .get("sec-fetch-mode")
            .and_then(|value| value.to_str().ok())
            .is_none_or(|mode| mode == "navigate");
        let response = if navigate {
            let username = args.get("username").unwrap_or("").trim().to_owned();
            login_form(
                &state,
                &mut browser,
                &args,
                StatusCode::FORBIDDEN,
                Some("Login form invalid or expired. Try again."),
                &username,
            )
        } else {
            error_page(
                StatusCode::FORBIDDEN,
                &state.config.base_url,
                None,
                &message,
            )
        };
        return browser.finish(response);
    }
    let username = args.get("username").unwrap_or("").trim().to_owned();
    let password = args.get("password").unwrap_or("").to_owned();
    match log_in(&state, &username, &password).await {
        Ok(Some(user)) => {
            let name = user.name.clone();
            tracing::info!(user = %name, "user logged in");
            let target = match default_next(&state, &args, &headers, &name).await {
                Ok(target) => target,
                Err(error) => return failed_page(&state, &error),
            };
            browser.log_in(&state, user);
            browser.finish(redirect(&target))
        }
        Ok(None) => {
            let shown: String = if username.chars().count() > 32 {
                format!(
                    "{}...({} chars)",
                    username.chars().take(16).collect::<String>(),
                    username.chars().count()
                )
            } else {
                username.clone()
            };
            let response = login_form(
                &state,
                &mut browser,
                &args,
                StatusCode::FORBIDDEN,
                Some("Invalid username or password"),
                &shown,
            );
            browser.finish(response)
        }
        Err(error) => browser.finish(failed_page(&state, &error)),
    }
}

/// Authenticates and brings the user into the database (`auth_to_user`): created with the
/// default roles when new; an admin by `admin_users` made one.
async fn log_in(
    state: &SharedState,
    username: &str,
    password: &str,
) -> Result<Option<store::User>, ApiError> {
    let (username, password) = (username.to_owned(), password.to_owned());
    state
        .write(move |state, tx| {
            let mut exists = |name: &str| matches!(tx.find_user(name), Ok(Some(_)));
            let authenticated =
                match authenticator::authenticate(&state.config, &username, &password, &mut exists)
                {
                    Ok(authenticated) => authenticated,
                    Err(refused) => {
                        log_refusal(&username, &refused);
                        return Ok(None);
                    }
                };
            let name = authenticated.name;
            let admin = authenticated.admin == Some(true);
            match tx.find_user(&name)? {
                None => crate::api::users::create_user(tx, &name, admin)?,
                Some(user) if admin && !user.admin => {
                    tx.set_user_admin(&name, true)?;
                    let held = tx.user_details(&name)?.roles;
                    if !held.iter().any(|role| role == "admin") {
                        tx.assign_role(roles::Holder::User(&name), "admin", false)?;
                    }
                }
                Some(_) => {}
            }
            // loading the user records its default server, as JupyterHub's User wrapper does
            Ok(crate::api::users::load_user(tx, &name)?)
        })
        .await
}

fn log_refusal(username: &str, refused: &LoginRefused) {
    let shown: String = username.chars().take(32).collect();
    tracing::warn!(user = %shown, reason = %refused, "failed login");
}

/// `get_next_url(user)`.
async fn default_next(
    state: &SharedState,
    args: &Arguments,
    headers: &HeaderMap,
    user: &str,
) -> Result<String, ApiError> {
    let user = user.to_owned();
    let running = state
        .read(move |state, tx| {
            let active = tx
                .find_server(&user, "")?
                .is_some_and(|server| server.address.is_some());
            Ok(active.then(|| format!("{}user/{}/", state.config.base_url, url_quote(&user))))
        })
        .await?;
    Ok(next_url(
        args.get("next"),
        headers,
        args.query(),
        &state.config.hub_prefix(),
        running,
    ))
}

fn url_quote(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, crate::oauth::params::PATH_SAFE).to_string()
}

fn login_form(
    state: &SharedState,
    browser: &mut Browser,
    args: &Arguments,
    status: StatusCode,
    error: Option<&str>,
    username: &str,
) -> Response {
    let xsrf = browser.xsrf_token(state);
    let next = crate::oauth::params::quote(args.get("next").unwrap_or(""));
    let login_url = format!("{}login", state.config.hub_prefix());
    let error = error.map_or_else(String::new, |message| {
        format!("<p class=\"login_error\">\n{}\n</p>\n", escape(message))
    });
    let body = format!(
        "<form action=\"{action}?next={next}\" method=\"post\" role=\"form\">\n\
         <h1>Sign in</h1>\n{error}\
         <input type=\"hidden\" name=\"_xsrf\" value=\"{xsrf}\" />\n\
         <label for=\"username_input\">Username:</label>\n\
         <input id=\"username_input\" type=\"text\" autocapitalize=\"off\" autocorrect=\"off\" autocomplete=\"username\" name=\"username\" value=\"{username}\" autofocus=\"autofocus\" />\n\
         <label for=\"password_input\">Password:</label>\n\
         <input type=\"password\" autocomplete=\"current-password\" name=\"password\" id=\"password_input\" />\n\
         <input id=\"login_submit\" type=\"submit\" value=\"Sign in\" />\n</form>",
        action = escape(&login_url),
        next = escape(&next),
        xsrf = escape(&xsrf),
        username = escape(username),
    );
    page(status, &state.config.base_url, None, &xsrf, &body)
}

/// `GET /hub/logout`: deletes the OAuth tokens of this login session (only when logged in:
/// a logout request from elsewhere must not revoke them), clears the login cookies and
/// redirects to the login page.
pub async fn logout(State(state): State<SharedState>, headers: HeaderMap) -> Response {
    let mut browser = match Browser::read(&state, &headers).await {
        Ok(browser) => browser,
        Err(error) => return failed_page(&state, &error),
    };
    if let (Some(user), Some(session)) = (&browser.user, &browser.session_id) {
        let (name, session) = (user.name.clone(), session.clone());
        let deleted = state
            .write(move |_, tx| {
                let mut count = 0;
                for token in tx.tokens_of(store::TokenOwner::User(&name))? {
                    if token.session_id.as_deref() == Some(session.as_str()) {
                        tx.delete_token(token.id)?;
                        count += 1;
                    }
                }
                Ok(count)
            })
            .await;
        match deleted {
            Ok(count) if count > 0 => tracing::debug!(count, "deleted the session's tokens"),
            Ok(_) => {}
            Err(error) => return failed_page(&state, &error),
        }
    }
    if let Some(user) = &browser.user {
        tracing::info!(user = %user.name, "user logged out");
        // cookies are cleared for a logged-in user only, as JupyterHub does
        browser.log_out(&state);
    }
    browser.finish(redirect(&format!("{}login", state.config.hub_prefix())))
}
