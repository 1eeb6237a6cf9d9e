//! `/services`, `/services/:name` (apihandlers/services.py): reading services.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use roles::Holder;
use scopes::Filters;
use serde_json::{Map, Value};
use store::Tx;

use super::guard::{self, Need};
use crate::error::{ApiError, ApiResult, json_response};
use crate::models::{ServiceSource, service_model};
use crate::state::SharedState;

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
        let mut tx = membership.tx();
        let mut data = Map::new();
        for service in tx.list_services()? {
            let listed = match filters {
                Some(Filters::Some(values)) => values.holds("service", &service.name),
                _ => true,
            };
            if listed {
                let roles = role_names(&mut tx, &service.name)?;
                let model = service_model(
                    caller,
                    &service,
                    &roles,
                    ServiceSource::Runtime,
                    &state.config.base_url,
                );
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
        let mut tx = membership.tx();
        let Some(service) = tx.find_service(&name)? else {
            return Err(ApiError::not_found(format!("No such service: {name}")));
        };
        let roles = role_names(&mut tx, &name)?;
        let model = service_model(
            caller,
            &service,
            &roles,
            ServiceSource::Runtime,
            &state.config.base_url,
        );
        Ok(json_response(StatusCode::OK, &Value::Object(model)))
    })
    .await
}
