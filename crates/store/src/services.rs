//! Services (`services`): the hub's registry of services from config or the API.

use diesel::prelude::*;
use serde_json::Value;

use crate::error::{Kind, StoreError};
use crate::names::{check_max, validate_service_name};
use crate::schema::services;
use crate::tx::{Tx, parse_opt_json};

/// A service as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// The database id.
    pub id: i64,
    /// The name, unique.
    pub name: String,
    /// The legacy admin flag.
    pub admin: bool,
    /// Where the service listens, if it has an HTTP endpoint.
    pub url: Option<String>,
    /// Free-form information shown in the API (a JSON value).
    pub info: Option<Value>,
    /// Whether it is listed on the home page.
    pub display: Option<bool>,
    /// Whether its OAuth confirmation page is skipped.
    pub oauth_no_confirm: Option<bool>,
    /// The identifier of its OAuth client, if it has one.
    pub oauth_client_id: Option<String>,
    /// Whether it was defined in config (else through the API).
    pub from_config: bool,
}

/// A service to create: name and the fields the hub sets from config.
#[derive(Debug, Clone, Default)]
pub struct NewService<'a> {
    /// The name ([`validate_service_name`] applies).
    pub name: &'a str,
    /// The legacy admin flag.
    pub admin: bool,
    /// Where the service listens.
    pub url: Option<&'a str>,
    /// Free-form information (JSON).
    pub info: Option<&'a Value>,
    /// Whether it is listed on the home page.
    pub display: Option<bool>,
    /// Whether its OAuth confirmation page is skipped.
    pub oauth_no_confirm: Option<bool>,
    /// The identifier of its OAuth client (which must exist).
    pub oauth_client_id: Option<&'a str>,
    /// Whether it comes from config.
    pub from_config: bool,
}

type ServiceRow = (
    i64,
    String,
    bool,
    Option<String>,
    Option<String>,
    Option<bool>,
    Option<bool>,
    Option<String>,
    bool,
);
const SERVICE_COLUMNS: (
    services::id,
    services::name,
    services::admin,
    services::url,
    services::info,
    services::display,
    services::oauth_no_confirm,
    services::oauth_client_id,
    services::from_config,
) = (
    services::id,
    services::name,
    services::admin,
    services::url,
    services::info,
    services::display,
    services::oauth_no_confirm,
    services::oauth_client_id,
    services::from_config,
);

fn service_from_row(row: ServiceRow) -> Result<Service, StoreError> {
    let (id, name, admin, url, info, display, oauth_no_confirm, oauth_client_id, from_config) = row;
    Ok(Service {
        info: parse_opt_json("services", "info", id, info.as_deref())?,
        id,
        name,
        admin,
        url,
        display,
        oauth_no_confirm,
        oauth_client_id,
        from_config,
    })
}

impl Tx<'_> {
    /// Creates a service.
    ///
    /// # Errors
    ///
    /// [`StoreError::Invalid`] for a name JupyterHub refuses or a URL over 2047 characters,
    /// [`StoreError::NotFound`] for an unknown OAuth client, [`StoreError::AlreadyExists`]
    /// when the name is taken.
    pub fn create_service(&mut self, new: &NewService<'_>) -> Result<Service, StoreError> {
        validate_service_name(new.name)?;
        if let Some(url) = new.url {
            check_max("service url", url, 2047)?;
        }
        if let Some(client) = new.oauth_client_id {
            self.oauth_client(client)?;
        }
        let row = diesel::insert_into(services::table)
            .values((
                services::name.eq(new.name),
                services::admin.eq(new.admin),
                services::url.eq(new.url),
                services::info.eq(new.info.map(Value::to_string)),
                services::display.eq(new.display),
                services::oauth_no_confirm.eq(new.oauth_no_confirm),
                services::oauth_client_id.eq(new.oauth_client_id),
                services::from_config.eq(new.from_config),
            ))
            .returning(SERVICE_COLUMNS)
            .get_result::<ServiceRow>(self.conn)
            .map_err(StoreError::from)
            .map_err(StoreError::unique(Kind::Service, new.name))?;
        service_from_row(row)
    }

    /// Replaces the settings of the service called `new.name` (its id, tokens and roles
    /// stay), as JupyterHub does for a service whose configuration changed.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no such service or OAuth client,
    /// [`StoreError::Invalid`] for a URL over 2047 characters.
    pub fn update_service(&mut self, new: &NewService<'_>) -> Result<Service, StoreError> {
        if let Some(url) = new.url {
            check_max("service url", url, 2047)?;
        }
        if let Some(client) = new.oauth_client_id {
            self.oauth_client(client)?;
        }
        diesel::update(services::table.filter(services::name.eq(new.name)))
            .set((
                services::admin.eq(new.admin),
                services::url.eq(new.url),
                services::info.eq(new.info.map(Value::to_string)),
                services::display.eq(new.display),
                services::oauth_no_confirm.eq(new.oauth_no_confirm),
                services::oauth_client_id.eq(new.oauth_client_id),
                services::from_config.eq(new.from_config),
            ))
            .returning(SERVICE_COLUMNS)
            .get_result::<ServiceRow>(self.conn)
            .optional()?
            .ok_or_else(|| StoreError::not_found(Kind::Service, new.name))
            .and_then(service_from_row)
    }

    /// The service called `name`, if any.
    ///
    /// # Errors
    ///
    /// Database errors only.
    pub fn find_service(&mut self, name: &str) -> Result<Option<Service>, StoreError> {
        services::table
            .filter(services::name.eq(name))
            .select(SERVICE_COLUMNS)
            .get_result::<ServiceRow>(self.conn)
            .optional()?
            .map(service_from_row)
            .transpose()
    }

    /// Every service, ordered by id.
    ///
    /// # Errors
    ///
    /// Database errors only.
    pub fn list_services(&mut self) -> Result<Vec<Service>, StoreError> {
        services::table
            .order(services::id.asc())
            .select(SERVICE_COLUMNS)
            .load::<ServiceRow>(self.conn)?
            .into_iter()
            .map(service_from_row)
            .collect()
    }

    /// Deletes a service; its tokens and role assignments go with it.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no such service.
    pub fn delete_service(&mut self, name: &str) -> Result<(), StoreError> {
        let deleted =
            diesel::delete(services::table.filter(services::name.eq(name))).execute(self.conn)?;
        if deleted == 0 {
            return Err(StoreError::not_found(Kind::Service, name));
        }
        Ok(())
    }
}
