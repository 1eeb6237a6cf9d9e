//! `POST /hub/api/oauth2/token`: the authorization-code grant as oauthlib checks it (grant
//! type, code present, duplicates, client secret from the form, code of this client and
//! unexpired, PKCE, redirect URI), then an API token owned by the user with the client's id,
//! the session id and the code's scopes. The code is deleted once exchanged.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use base64::Engine;
use sha2::Digest;
use store::Tx;
use time::OffsetDateTime;
use tokens::{Origin, TokenHash};

use super::codes::{code_key, generate_token};
use super::errors::{OAuthError, python_json_string, token_json_response};
use crate::login::constant_time_eq;
use crate::login::pages::Arguments;
use crate::state::{AppState, SharedState};

/// What was issued.
struct Issued {
    token: String,
    expires_in: u64,
    scopes: Vec<String>,
}

/// `POST /hub/api/oauth2/token`.
pub async fn post(
    State(state): State<SharedState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let args = Arguments::read(&uri, &headers, &body);
    if uri.query().is_some_and(|query| !query.is_empty()) {
        // oauthlib raises this outside its error handling (JupyterHub answers 500); hubcap
        // answers the error as oauthlib words it
        return OAuthError::invalid_request("URL query parameters are not allowed")
            .token_response();
    }
    let outcome = state
        .write(move |state, tx| Ok(exchange(state, tx, &args)))
        .await;
    match outcome {
        Ok(Ok(issued)) => {
            let scope = issued.scopes.join(" ");
            let body = format!(
                "{{\"access_token\": {}, \"expires_in\": {}, \"token_type\": \"Bearer\", \"scope\": {}}}",
                python_json_string(&issued.token),
                issued.expires_in,
                python_json_string(&scope)
            );
            token_json_response(StatusCode::OK, body)
        }
        Ok(Err(error)) => {
            tracing::info!(error = error.error, "OAuth token request refused");
            error.token_response()
        }
        Err(error) => {
            let mut response = axum::response::IntoResponse::into_response(error);
            response.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            response
        }
    }
}

fn exchange(state: &AppState, tx: &mut Tx<'_>, args: &Arguments) -> Result<Issued, OAuthError> {
    let store_failure = |error: store::StoreError| {
        tracing::error!(%error, "database error in the token endpoint");
        OAuthError::server_error("database error; the hub's log has the details")
    };
    match args.get("grant_type") {
        Some("authorization_code" | "openid") => {}
        _ => return Err(OAuthError::unsupported_grant_type()),
    }
    let Some(code) = args.get("code") else {
        return Err(OAuthError::invalid_request("Missing code parameter."));
    };
    for param in ["client_id", "grant_type", "redirect_uri"] {
        if args.all(param).len() > 1 {
            return Err(OAuthError::invalid_request(&format!(
                "Duplicate {param} parameter."
            )));
        }
    }
    // authenticate_client: the secret from the form (no HTTP Basic, as in JupyterHub)
    let client_id = args.get("client_id").unwrap_or("");
    let client = tx.find_oauth_client(client_id).map_err(store_failure)?;
    let Some(client) = client else {
        return Err(OAuthError::invalid_client());
    };
    let secret = args.get("client_secret").unwrap_or("");
    let verified = !secret.is_empty()
        && client
            .secret
            .as_ref()
            .is_some_and(|hash| hash.verify(secret));
    if !verified {
        tracing::warn!(client = client_id, "client secret mismatch");
        return Err(OAuthError::invalid_client());
    }
    if args.get("grant_type") != Some("authorization_code") {
        return Err(OAuthError::unauthorized_client());
    }
    let now = OffsetDateTime::now_utc();
    let found = tx
        .find_oauth_code(&code_key(code), now)
        .map_err(store_failure)?;
    let stored = match found {
        Some(stored) if stored.client_id == client_id => stored,
        _ => return Err(OAuthError::invalid_grant(None)),
    };
    if let Some(challenge) = &stored.code_challenge {
        let Some(verifier) = args.get("code_verifier") else {
            return Err(OAuthError::invalid_request("Code verifier required."));
        };
        let Some(method) = stored.code_challenge_method.as_deref() else {
            return Err(OAuthError::invalid_grant(Some(
                "Challenge method not found",
            )));
        };
        let matches = match method {
            "plain" => constant_time_eq(verifier.as_bytes(), challenge.as_bytes()),
            "S256" => {
                let digest = sha2::Sha256::digest(verifier.as_bytes());
                let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
                constant_time_eq(computed.as_bytes(), challenge.as_bytes())
            }
            other => {
                return Err(OAuthError::server_error(&format!(
                    "code_challenge_method {other} is not supported."
                )));
            }
        };
        if !matches {
            return Err(OAuthError::invalid_grant(None));
        }
    }
    let registered = client.redirect_uri.clone().unwrap_or_default();
    let redirect_uri = match args.get("redirect_uri") {
        Some(given) => given.to_owned(),
        None if registered.is_empty() => {
            return Err(OAuthError::invalid_request("Missing redirect URI."));
        }
        None => registered.clone(),
    };
    if redirect_uri != registered {
        tracing::warn!(given = %redirect_uri, registered = %registered, "redirect uri mismatch");
        return Err(OAuthError::invalid_request("Mismatching redirect URI."));
    }
    let token = generate_token().map_err(|_| OAuthError::server_error("no randomness"))?;
    let hash = TokenHash::for_storage(&token, Origin::Generated)
        .map_err(|error| OAuthError::server_error(&error.to_string()))?;
    let expires_in = state.config.login.oauth_token_lifetime();
    let expires_at = (expires_in > 0)
        .then(|| now + time::Duration::seconds(i64::try_from(expires_in).unwrap_or(i64::MAX / 2)));
    tx.insert_token(&store::NewToken {
        owner: store::TokenOwner::User(&stored.user),
        hash: &hash,
        prefix: tokens::prefix(&token),
        scopes: &stored.scopes,
        note: "",
        expires_at,
        client_id: &client.identifier,
        session_id: stored.session_id.as_deref(),
    })
    .map_err(store_failure)?;
    tx.delete_oauth_code(stored.id).map_err(store_failure)?;
    tracing::info!(user = %stored.user, client = %client.identifier, "OAuth token issued");
    Ok(Issued {
        token,
        expires_in,
        scopes: stored.scopes,
    })
}
