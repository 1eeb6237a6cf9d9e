//! `GET` and `POST /hub/api/oauth2/authorize` (JupyterHub's `OAuthAuthorizeHandler` over
//! oauthlib's authorization-code grant): the login check, oauthlib's validation in its
//! order, the access check, the scope meeting, the confirmation page or the code redirect.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use scopes::{ParsedScopes, Resource, ScopeSet};
use store::Tx;
use time::OffsetDateTime;

use super::clients::{ClientOwner, client_owner, scope_client};
use super::codes::{CODE_LIFETIME, code_key, generate_token};
use super::consent::{Confirm, confirm_page};
use super::errors::OAuthError;
use super::params::{add_params_to_uri, quote};
use super::scopes::{default_scopes, required_scopes, user_allowed_scopes, validate_scopes};
use crate::auth::{OwnerFacts, Principal};
use crate::error::ApiError;
use crate::login::html::{error_page, redirect};
use crate::login::pages::{Arguments, failed_page, open};
use crate::membership::TxMembership;
use crate::state::{AppState, SharedState};

/// oauthlib's PKCE methods.
const CHALLENGE_METHODS: [&str; 2] = ["plain", "S256"];

/// What a request's validation ends in, when not in a valid request.
enum Stop {
    /// A fatal error: the error page.
    Fatal(OAuthError),
    /// An error for the client: a redirect to it with `error=`.
    Redirect(String),
    /// A hub error page (`status`, message).
    Page(StatusCode, String),
}

impl From<ApiError> for Stop {
    fn from(error: ApiError) -> Self {
        Stop::Page(error.status, error.message.unwrap_or_default())
    }
}

impl From<store::StoreError> for Stop {
    fn from(error: store::StoreError) -> Self {
        Stop::from(ApiError::store(&error))
    }
}

/// A request oauthlib accepted.
struct Valid {
    client: store::OAuthClient,
    owner: Option<ClientOwner>,
    redirect_uri: String,
    state: Option<String>,
    scopes: ScopeSet,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// oauthlib's `validate_authorization_request` (with JupyterHub's validator), `scopes`
/// being the scopes already chosen (`None`: from the request or the client's defaults).
fn validate(
    state: &AppState,
    tx: &mut Tx<'_>,
    args: &Arguments,
    scopes: Option<Vec<String>>,
    user: &str,
) -> Result<Valid, Stop> {
    for param in [
        "client_id",
        "response_type",
        "redirect_uri",
        "scope",
        "state",
    ] {
        if args.all(param).len() > 1 {
            return Err(Stop::Fatal(OAuthError::fatal_request(&format!(
                "Duplicate {param} parameter."
            ))));
        }
    }
    let client_id = args
        .get("client_id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Stop::Fatal(OAuthError::fatal_request("Missing client_id parameter.")))?;
    let client = match tx.find_oauth_client(client_id)? {
        Some(client) if client.secret.is_some() => client,
        Some(_) => {
            tracing::warn!(client = client_id, "OAuth client present without secret");
            return Err(Stop::Fatal(OAuthError::fatal_request(
                "Invalid client_id parameter value.",
            )));
        }
        None => {
            return Err(Stop::Fatal(OAuthError::fatal_request(
                "Invalid client_id parameter value.",
            )));
        }
    };
    let registered = client.redirect_uri.clone().unwrap_or_default();
    let redirect_uri = match args.get("redirect_uri") {
        Some(given) => {
            if !is_absolute_uri(given) {
                return Err(Stop::Fatal(OAuthError::fatal_request(
                    "Invalid redirect URI.",
                )));
            }
            if given != registered {
                tracing::warn!(given, registered = %registered, "redirect uri mismatch");
                return Err(Stop::Fatal(OAuthError::fatal_request(
                    "Mismatching redirect URI.",
                )));
            }
            given.to_owned()
        }
        None => {
            if registered.is_empty() {
                return Err(Stop::Fatal(OAuthError::fatal_request(
                    "Missing redirect URI.",
                )));
            }
            if !is_absolute_uri(&registered) {
                return Err(Stop::Fatal(OAuthError::fatal_request(
                    "Invalid redirect URI.",
                )));
            }
            registered
        }
    };
    let request_state = args.get("state").map(str::to_owned);
    let to_client =
        |error: OAuthError| Stop::Redirect(error.in_uri(&redirect_uri, request_state.as_deref()));
    match args.get("response_type") {
        None => {
            return Err(to_client(OAuthError::invalid_request(
                "Missing response_type parameter.",
            )));
        }
        Some(kind) if !kind.contains("code") && kind != "none" => {
            return Err(to_client(OAuthError::unsupported_response_type()));
        }
        Some(_) => {}
    }
    let code_challenge = args.get("code_challenge").map(str::to_owned);
    let code_challenge_method = match &code_challenge {
        None => None,
        Some(_) => {
            let method = args.get("code_challenge_method").unwrap_or("plain");
            if !CHALLENGE_METHODS.contains(&method) {
                return Err(to_client(OAuthError::invalid_request(
                    "Transform algorithm not supported.",
                )));
            }
            Some(method.to_owned())
        }
    };
    let owner = client_owner(tx, &client.identifier)?;
    let scope_client = scope_client(&client.identifier, owner.as_ref());
    let requested = scopes.filter(|given| !given.is_empty()).unwrap_or_else(|| {
        let listed: Vec<String> = args
            .get("scope")
            .unwrap_or("")
            .split(' ')
            .filter(|scope| !scope.is_empty())
            .map(str::to_owned)
            .collect();
        if listed.is_empty() {
            default_scopes(&client.allowed_scopes, scope_client)
        } else {
            listed
        }
    });
    let membership = TxMembership::new(tx);
    let Some(resolved) = validate_scopes(
        state,
        &requested,
        &client.allowed_scopes,
        user,
        scope_client,
        Some(&membership),
    ) else {
        return Err(to_client(OAuthError::invalid_scope()));
    };
    Ok(Valid {
        client,
        owner,
        redirect_uri,
        state: request_state,
        scopes: resolved,
        code_challenge,
        code_challenge_method,
    })
}

/// oauthlib's (patched) `is_absolute_uri`: a path, or a URI with a scheme.
fn is_absolute_uri(uri: &str) -> bool {
    if uri.starts_with('/') {
        return true;
    }
    url::Url::parse(uri).is_ok_and(|url| !url.cannot_be_a_base() || uri.contains(':'))
}

/// Saves a code for `valid` (hashed) and answers the redirect to the client with it.
fn issue_code(
    tx: &mut Tx<'_>,
    valid: &Valid,
    user: &str,
    session_id: &str,
) -> Result<String, Stop> {
    let code = new_code()?;
    let scopes: Vec<String> = valid.scopes.texts().map(str::to_owned).collect();
    let expires = OffsetDateTime::now_utc() + time::Duration::seconds(CODE_LIFETIME);
    let stored = code_key(&code);
    tx.create_oauth_code(&store::NewOAuthCode {
        client_id: &valid.client.identifier,
        code: &stored,
        expires_at: Some(expires),
        redirect_uri: valid.client.redirect_uri.as_deref(),
        session_id: Some(session_id),
        user,
        scopes: &scopes,
        code_challenge: valid.code_challenge.as_deref(),
        code_challenge_method: valid.code_challenge_method.as_deref(),
    })?;
    let mut params = vec![("code", code.as_str())];
    if let Some(request_state) = valid.state.as_deref().filter(|s| !s.is_empty()) {
        params.push(("state", request_state));
    }
    Ok(add_params_to_uri(&valid.redirect_uri, &params))
}

fn new_code() -> Result<String, Stop> {
    generate_token().map_err(Stop::from)
}

/// The user's expanded scopes give access to what the client belongs to.
fn may_access(
    state: &AppState,
    tx: &mut Tx<'_>,
    facts: &OwnerFacts,
    principal: &Principal,
    owner: &ClientOwner,
) -> Result<bool, Stop> {
    let mut warnings = Vec::new();
    let held = facts
        .all_scopes(&state.config.scope_table, principal, &mut warnings)
        .map_err(|error| Stop::Page(StatusCode::FORBIDDEN, error.to_string()))?;
    let parsed = ParsedScopes::from_set(held)
        .map_err(|error| Stop::Page(StatusCode::FORBIDDEN, error.to_string()))?;
    Ok(match owner {
        ClientOwner::Service(name) => parsed.get("access:services").is_some_and(|filters| {
            scopes::check_scope_filter(filters, &Resource::Service { name })
        }),
        ClientOwner::Server { user, server } => {
            let groups = tx.user_details(user)?.groups;
            let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
            parsed.get("access:servers").is_some_and(|filters| {
                scopes::check_scope_filter(
                    filters,
                    &Resource::Server {
                        user,
                        name: server,
                        user_groups: &groups,
                    },
                )
            })
        }
    })
}

/// `needs_oauth_confirm`: not for the user's own servers, `oauth_no_confirm` services, or
/// scopes the user's earlier tokens for this client already cover.
fn needs_confirm(
    state: &AppState,
    tx: &mut Tx<'_>,
    user: &str,
    valid: &Valid,
    allowed: &ScopeSet,
) -> Result<bool, Stop> {
    let identifier = valid.client.identifier.as_str();
    let own = tx
        .user_servers(user)?
        .iter()
        .any(|server| server.oauth_client_id.as_deref() == Some(identifier));
    let no_confirm = match &valid.owner {
        Some(ClientOwner::Service(name)) => {
            state
                .config
                .services
                .iter()
                .any(|spec| &spec.name == name && spec.oauth_no_confirm)
                || tx
                    .find_service(name)?
                    .is_some_and(|service| service.oauth_no_confirm == Some(true))
        }
        _ => false,
    };
    if own || no_confirm {
        return Ok(false);
    }
    let mut authorized = std::collections::BTreeSet::new();
    for token in tx.tokens_of(store::TokenOwner::User(user))? {
        if token.client_id == identifier {
            authorized.extend(token.scopes);
        }
    }
    Ok(authorized.is_empty() || !allowed.texts().all(|scope| authorized.contains(scope)))
}

/// `GET /hub/api/oauth2/authorize`.
pub async fn get(State(state): State<SharedState>, uri: Uri, headers: HeaderMap) -> Response {
    let (args, mut browser) = match open(&state, &uri, &headers, &[]).await {
        Ok(opened) => opened,
        Err(page) => return page,
    };
    let Some(user) = browser.user.clone() else {
        let target = uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned());
        let login = format!("{}login?next={}", state.config.hub_prefix(), quote(&target));
        return browser.finish(redirect(&login));
    };
    let session_id = browser.ensure_session(&state);
    let name = user.name.clone();
    let outcome = state
        .write(move |state, tx| Ok(authorize_get(state, tx, &args, &name, &session_id)))
        .await;
    let response = match outcome {
        Ok(Ok(Decision::Redirect(location))) => redirect(&location),
        Ok(Ok(Decision::Confirm(confirm))) => {
            let xsrf = browser.xsrf_token(&state);
            confirm_page(&state, &user.name, &xsrf, &confirm)
        }
        Ok(Err(stop)) => stop_response(&state, Some(&user.name), stop),
        Err(error) => failed_page(&state, &error),
    };
    browser.finish(response)
}

/// What the GET decided.
enum Decision {
    Redirect(String),
    Confirm(Confirm),
}

fn authorize_get(
    state: &AppState,
    tx: &mut Tx<'_>,
    args: &Arguments,
    user: &str,
    session_id: &str,
) -> Result<Decision, Stop> {
    let valid = validate(state, tx, args, None, user)?;
    let Some(owner) = valid.owner.clone() else {
        tracing::error!(client = %valid.client.identifier, "OAuth client has no service or server");
        return Err(Stop::Page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "OAuth configuration error".into(),
        ));
    };
    let principal = Principal::User(user.to_owned());
    let facts = OwnerFacts::load(state, tx, &principal)?;
    let description = valid
        .client
        .description
        .clone()
        .unwrap_or_else(|| valid.client.identifier.clone());
    if !may_access(state, tx, &facts, &principal, &owner)? {
        tracing::error!(user, client = %description, "user not allowed to access the client's target");
        return Err(Stop::Page(
            StatusCode::FORBIDDEN,
            format!("You do not have permission to access {description}"),
        ));
    }
    let client = scope_client(&valid.client.identifier, valid.owner.as_ref());
    let user_roles: Vec<&roles::Role> = facts.roles.iter().map(|(role, _)| role).collect();
    let allowed = {
        let membership = TxMembership::new(tx);
        user_allowed_scopes(
            state,
            &valid.scopes,
            &user_roles,
            user,
            client,
            Some(&membership),
        )
    };
    if !needs_confirm(state, tx, user, &valid, &allowed)? {
        tracing::debug!(user, client = %description, "skipping OAuth confirmation");
        let chosen: Vec<String> = allowed.texts().map(str::to_owned).collect();
        let again = validate(state, tx, args, Some(chosen), user)?;
        return issue_code(tx, &again, user, session_id).map(Decision::Redirect);
    }
    Ok(Decision::Confirm(Confirm::new(
        state,
        user,
        description,
        &allowed,
        &required_scopes(client),
    )))
}

fn stop_response(state: &SharedState, user: Option<&str>, stop: Stop) -> Response {
    match stop {
        Stop::Fatal(error) => error_page(
            error.status,
            &state.config.base_url,
            user,
            error.description.as_deref().unwrap_or(error.error),
        ),
        Stop::Redirect(location) => {
            tracing::error!(%location, "OAuth error sent back to the client");
            redirect(&location)
        }
        Stop::Page(status, message) => error_page(status, &state.config.base_url, user, &message),
    }
}

/// `POST /hub/api/oauth2/authorize`: the confirmation form (`_xsrf`, `scopes`) gives a code.
pub async fn post(
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
        return browser.finish(error_page(
            StatusCode::FORBIDDEN,
            &state.config.base_url,
            None,
            &message,
        ));
    }
    let Some(user) = browser.user.clone() else {
        // tornado's @authenticated answers 403 to anything but GET and HEAD
        return browser.finish(error_page(
            StatusCode::FORBIDDEN,
            &state.config.base_url,
            None,
            "Forbidden",
        ));
    };
    let session_id = browser.ensure_session(&state);
    let mut chosen: Vec<String> = args.all("scopes").into_iter().map(str::to_owned).collect();
    if chosen.is_empty() {
        chosen.push("identify".to_owned());
    }
    let name = user.name.clone();
    let outcome = state
        .write(move |state, tx| {
            Ok(validate(state, tx, &args, Some(chosen), &name)
                .and_then(|valid| issue_code(tx, &valid, &name, &session_id)))
        })
        .await;
    let response = match outcome {
        Ok(Ok(location)) => redirect(&location),
        Ok(Err(stop)) => stop_response(&state, Some(&user.name), stop),
        Err(error) => failed_page(&state, &error),
    };
    browser.finish(response)
}
