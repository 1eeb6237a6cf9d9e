//! `POST` and `DELETE /services/:name` (JupyterHub 5.0): services added and removed while
//! the hub runs. Services from configuration cannot be removed this way.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use roles::Holder;
use scopes::{AccessTarget, ClientTarget, OAuthClient, Scope};
use serde_json::{Map, Value};
use store::{NewOAuthClient, NewService, Tx};
use time::OffsetDateTime;
use tokens::{Origin, TokenHash};

use super::guard::{self, Need};
use super::model_check::{PyType, check_model};
use super::request::json_body;
use crate::auth::{Caller, OwnerFacts};
use crate::error::{ApiError, ApiResult, json_response};
use crate::membership::TxMembership;
use crate::models::{ServiceSource, service_model};
use crate::state::{AppState, SharedState};

/// `_service_model_types`.
const SERVICE_MODEL: &[(&str, PyType)] = &[
    ("name", PyType::Str),
    ("admin", PyType::Bool),
    ("url", PyType::Str),
    ("oauth_client_allowed_scopes", PyType::List),
    ("api_token", PyType::Str),
    ("info", PyType::Dict),
    ("display", PyType::Bool),
    ("oauth_no_confirm", PyType::Bool),
    ("command", PyType::List),
    ("cwd", PyType::Str),
    ("environment", PyType::Dict),
    ("user", PyType::Str),
    ("oauth_client_id", PyType::Str),
    ("oauth_redirect_uri", PyType::Str),
];

/// `_check_service_scopes`: a new service may not get more than its creator holds (the
/// admin role's scopes for `admin`, and its OAuth client's scopes).
fn check_service_scopes(
    state: &AppState,
    caller: &Caller,
    membership: &TxMembership<'_, '_>,
    spec: &Map<String, Value>,
) -> Result<(), ApiError> {
    let mut requested: Vec<String> = Vec::new();
    if spec.get("admin").is_some_and(scopes::py_truthy) {
        requested.extend(roles::ADMIN_SCOPES.iter().map(|s| (*s).to_owned()));
    }
    if let Some(Value::Array(items)) = spec.get("oauth_client_allowed_scopes") {
        requested.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if requested.is_empty() {
        return Ok(());
    }
    let table = &state.config.scope_table;
    let parsed: Vec<Scope> = requested.iter().map(Scope::lenient).collect();
    let facts = OwnerFacts::load(state, &mut **membership.tx()?, &caller.principal)?;
    let (verdict, _) = tokens::check_token_scopes(
        table,
        &parsed,
        caller.principal.owner(),
        |warnings| facts.all_scopes(table, &caller.principal, warnings),
        None,
        Some(membership),
    );
    verdict.map_err(|error| ApiError::bad_request(error.to_string()))
}

fn failed(name: &str) -> ApiError {
    ApiError::bad_request(format!("Failed to create service {name}"))
}

/// POST /services/:name
pub async fn create(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let need = Need::any(&["admin:services"]).on_service(&name);
    guard::write(&state, &headers, need, move |state, caller, membership| {
        let data = json_body(&body)?;
        if membership.tx()?.find_service(&name)?.is_some() {
            return Err(ApiError::conflict(format!("Service {name} already exists")));
        }
        let mut spec = match data {
            Some(Value::Object(map)) if !map.is_empty() => map,
            _ => return Err(ApiError::bad_request("Invalid service data")),
        };
        spec.insert("name".into(), Value::String(name.clone()));
        check_model(&Value::Object(spec.clone()), SERVICE_MODEL, "service")?;
        check_service_scopes(state, caller, membership, &spec)?;
        if spec.get("command").is_some_and(scopes::py_truthy) {
            return Err(ApiError::bad_request(format!(
                "Can not create managed service {name} at runtime"
            )));
        }
        let text = |key: &str| spec.get(key).and_then(Value::as_str).map(str::to_owned);
        let url = text("url").filter(|u| !u.is_empty());
        if let Some(url) = &url {
            let scheme_ok =
                url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !scheme_ok {
                return Err(failed(&name));
            }
        }
        let client_id = text("oauth_client_id").unwrap_or_else(|| format!("service-{name}"));
        if !client_id.starts_with("service-") {
            return Err(failed(&name));
        }
        let oauth_specified = ["oauth_client_id", "oauth_redirect_uri", "oauth_no_confirm"]
            .iter()
            .any(|key| spec.get(*key).is_some_and(|v| !v.is_null() && v != ""));
        let prefix = format!("{}services/{name}/", state.config.base_url);
        let mut tx = membership.tx()?;
        let mut linked_client = None;
        if url.is_some() || oauth_specified {
            let redirect = match (text("oauth_redirect_uri").filter(|r| !r.is_empty()), &url) {
                (Some(redirect), _) => redirect,
                (None, Some(url)) => {
                    let host = url::Url::parse(url)
                        .map(|u| u.origin().ascii_serialization())
                        .unwrap_or_default();
                    format!("{host}{prefix}oauth_callback")
                }
                (None, None) => return Err(failed(&name)),
            };
            let mut allowed: Vec<String> = match spec.get("oauth_client_allowed_scopes") {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            };
            let client = OAuthClient {
                identifier: &client_id,
                target: ClientTarget::Service(&name),
            };
            allowed.extend(
                scopes::access_scopes(AccessTarget::Client(client))
                    .texts()
                    .map(str::to_owned),
            );
            allowed.sort();
            allowed.dedup();
            let secret = match text("api_token") {
                Some(token) => Some(
                    TokenHash::for_storage(&token, Origin::UserProvided)
                        .map_err(|error| ApiError::bad_request(error.to_string()))?,
                ),
                None => None,
            };
            let description = format!("JupyterHub service {name}");
            tx.create_oauth_client(&NewOAuthClient {
                identifier: &client_id,
                description: Some(&description),
                secret: secret.as_ref(),
                redirect_uri: Some(&redirect),
                allowed_scopes: &allowed,
            })?;
            linked_client = Some(client_id.clone());
        }
        let admin = spec.get("admin").is_some_and(scopes::py_truthy);
        let info = spec.get("info").cloned();
        tx.create_service(&NewService {
            name: &name,
            admin,
            url: url.as_deref(),
            info: info.as_ref(),
            display: spec.get("display").and_then(Value::as_bool),
            oauth_no_confirm: spec.get("oauth_no_confirm").and_then(Value::as_bool),
            oauth_client_id: linked_client.as_deref(),
            from_config: false,
        })?;
        if admin {
            tx.assign_role(Holder::Service(&name), "admin", false)?;
        }
        if let Some(token) = text("api_token") {
            if tx
                .find_token(&token, OffsetDateTime::now_utc(), None)?
                .is_some()
            {
                return Err(failed(&name));
            }
            let hash = TokenHash::for_storage(&token, Origin::UserProvided)
                .map_err(|error| ApiError::bad_request(error.to_string()))?;
            crate::startup::insert_service_token(&mut tx, &state.roles, &name, &token, &hash)?;
        }
        let model = runtime_service_model(state, caller, &mut tx, &name)?;
        Ok(json_response(StatusCode::CREATED, &Value::Object(model)))
    })
    .await
}

fn runtime_service_model(
    state: &AppState,
    caller: &Caller,
    tx: &mut Tx<'_>,
    name: &str,
) -> Result<Map<String, Value>, ApiError> {
    let Some(service) = tx.find_service(name)? else {
        return Err(ApiError::not_found(format!("No such service: {name}")));
    };
    let roles = super::services::role_names(tx, name)?;
    Ok(service_model(
        caller,
        &service,
        &roles,
        ServiceSource::Runtime,
        &state.config.base_url,
    ))
}

/// DELETE /services/:name: 200 with an empty body.
pub async fn delete(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let need = Need::any(&["admin:services"]).on_service(&name);
    guard::write(&state, &headers, need, move |_, _, membership| {
        let mut tx = membership.tx()?;
        let Some(service) = tx.find_service(&name)? else {
            return Err(ApiError::not_found(format!(
                "Service {name} does not exist"
            )));
        };
        if service.from_config {
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("Service {name} is not modifiable at runtime"),
            ));
        }
        tx.delete_service(&name)?;
        if let Some(client) = &service.oauth_client_id {
            tx.delete_oauth_client(client)?;
        }
        let mut response = StatusCode::OK.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Ok(response)
    })
    .await
}
