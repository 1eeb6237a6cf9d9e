//! `/services`, `/services/:name` (apihandlers/services.py): reading services.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use roles::Holder;
use scopes::Filters;
use serde_json::{Map, Value};
use store::Tx;

use super::guard::{self, Need};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, json_response};
use crate::models::{ServiceSource, service_model};
use crate::state::{AppState, SharedState};

/// The model `/services` answers with: the running hub's view of the service.
fn runtime_model(
    state: &AppState,
    caller: &Caller,
    tx: &mut Tx<'_>,
    service: &store::Service,
) -> Result<Map<String, Value>, ApiError> {
    let roles = role_names(tx, &service.name)?;
    let mut model = service_model(
        caller,
        service,
        &roles,
        ServiceSource::Runtime,
        &state.config.base_url,
    );
    runtime_display(state, &mut model, &service.name);
    Ok(model)
}

/// A service's `display` as the running hub has it: the configured value (the database
/// column stays unset for services from configuration).
fn runtime_display(state: &AppState, model: &mut Map<String, Value>, name: &str) {
    if let (Some(display), Some(spec)) = (
        model.get_mut("display"),
        state.config.services.iter().find(|spec| spec.name == name),
    ) {
        *display = Value::Bool(spec.display);
    }
}

/// The names of a service's roles.
pub(crate) fn role_names(tx: &mut Tx<'_>, service: &str) -> Result<Vec<String>, ApiError> {
    Ok(tx
        .roles_of(Holder::Service(service))?
        .into_iter()
        .map(|(role, _)| role.role.name)
        .collect())
}

/// GET /services: a dict keyed by name, of the services the caller may list.
pub async fn list(State(state): State<SharedState>, headers: HeaderMap) -> ApiResult {
    let need = Need::any(&["list:services"]).listing();
    guard::read(&state, &headers, need, move |state, caller, membership| {
        let filters = caller.parsed.get("list:services");
        let mut tx = membership.tx()?;
        let mut data = Map::new();
        for service in tx.list_services()? {
            let listed = match filters {
                Some(Filters::Some(values)) => values.holds("service", &service.name),
                _ => true,
            };
            if listed {
                let model = runtime_model(state, caller, &mut tx, &service)?;
                data.insert(service.name.clone(), Value::Object(model));
            }
        }
        Ok(json_response(StatusCode::OK, &Value::Object(data)))
    })
    .await
}

/// GET /services/:name
pub async fn get(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let need = Need::any(&["read:services", "read:services:name", "read:roles:services"])
        .on_service(&name);
    guard::read(&state, &headers, need, move |state, caller, membership| {
        let mut tx = membership.tx()?;
        let Some(service) = tx.find_service(&name)? else {
            return Err(ApiError::not_found(format!("No such service: {name}")));
        };
        let model = runtime_model(state, caller, &mut tx, &service)?;
        Ok(json_response(StatusCode::OK, &Value::Object(model)))
    })
    .await
}
