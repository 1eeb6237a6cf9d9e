//! A user's servers: the `spawners` rows (one per named server, `""` the default) and, while
//! one runs, its address in `servers`.

use diesel::prelude::*;
use serde_json::Value;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::error::{Kind, StoreError};
use crate::names::{check_max, validate_display_name, validate_server_name};
use crate::schema::{servers, spawners, users};
use crate::tx::{Tx, opt_from_db, parse_opt_json, to_db};

/// Where a running server listens (JupyterHub's `orm.Server`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// `http` or `https`.
    pub proto: String,
    /// The IP or host name; `""` for all interfaces.
    pub ip: String,
    /// The port.
    pub port: u16,
    /// The URL prefix it serves under (`/user/alice/`).
    pub base_url: String,
    /// The name of its cookie.
    pub cookie_name: String,
}

impl Address {
    /// An `http` address on `ip:port` under `base_url`, cookie `cookie`.
    #[must_use]
    pub fn http(ip: &str, port: u16, base_url: &str) -> Address {
        Address {
            proto: "http".to_owned(),
            ip: ip.to_owned(),
            port,
            base_url: base_url.to_owned(),
            cookie_name: "cookie".to_owned(),
        }
    }
}

/// One of a user's servers as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    /// The database id of the spawner row.
    pub id: i64,
    /// The owner's name.
    pub user: String,
    /// The server's name; `""` is the default server.
    pub name: String,
    /// The name shown to people, if set.
    pub display_name: Option<String>,
    /// The spawner's state (JSON), kept across hub restarts.
    pub state: Option<Value>,
    /// The options the user chose at start (JSON).
    pub user_options: Option<Value>,
    /// When it was last started.
    pub started: Option<OffsetDateTime>,
    /// When it was last active.
    pub last_activity: Option<OffsetDateTime>,
    /// Where it listens; `Some` while it is active (starting, running or stopping:
    /// JupyterHub's `Spawner.server is not None`).
    pub address: Option<Address>,
    /// Its OAuth client's identifier.
    pub oauth_client_id: Option<String>,
}

pub(crate) type ServerRow = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<PrimitiveDateTime>,
    Option<PrimitiveDateTime>,
    Option<String>,
    Option<(String, String, i32, String, String)>,
);

macro_rules! server_columns_impl {
    () => {
        (
            spawners::id,
            users::name,
            spawners::name,
            spawners::display_name,
            spawners::state,
            spawners::user_options,
            spawners::started,
            spawners::last_activity,
            spawners::oauth_client_id,
            (
                servers::proto,
                servers::ip,
                servers::port,
                servers::base_url,
                servers::cookie_name,
            )
                .nullable(),
        )
    };
}

pub(crate) use server_columns_impl as server_columns;

pub(crate) fn server_from_row(row: ServerRow) -> Result<Server, StoreError> {
    let (
        id,
        user,
        name,
        display_name,
        state,
        user_options,
        started,
        last_activity,
        oauth_client_id,
        address,
    ) = row;
    let address = match address {
        None => None,
        Some((proto, ip, port, base_url, cookie_name)) => Some(Address {
            port: u16::try_from(port).map_err(|_| StoreError::Corrupt {
                table: "servers",
                column: "port",
                id,
                reason: format!("{port} is not a port number"),
            })?,
            proto,
            ip,
            base_url,
            cookie_name,
        }),
    };
    Ok(Server {
        state: parse_opt_json("spawners", "state", id, state.as_deref())?,
        user_options: parse_opt_json("spawners", "user_options", id, user_options.as_deref())?,
        id,
        user,
        name,
        display_name,
        started: opt_from_db(started),
        last_activity: opt_from_db(last_activity),
        address,
        oauth_client_id,
    })
}

/// Changes to a server's bookkeeping; `None` fields are left as they are.
#[derive(Debug, Clone, Default)]
pub struct ServerUpdate<'a> {
    /// New spawner state (`Some(None)` clears it).
    pub state: Option<Option<&'a Value>>,
    /// New user options (`Some(None)` clears them).
    pub user_options: Option<Option<&'a Value>>,
    /// New start time.
    pub started: Option<Option<OffsetDateTime>>,
    /// New activity time.
    pub last_activity: Option<OffsetDateTime>,
    /// New OAuth client link.
    pub oauth_client_id: Option<Option<&'a str>>,
}

impl Tx<'_> {
    /// Creates a server (`""` for the default one) for `user`, stopped.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown user, [`StoreError::Invalid`] for a name
    /// that is not a safe slug or a bad display name, [`StoreError::AlreadyExists`] when the
    /// user has a server of that name.
    pub fn create_server(
        &mut self,
        user: &str,
        name: &str,
        display_name: Option<&str>,
    ) -> Result<Server, StoreError> {
        validate_server_name(name)?;
        if let Some(display) = display_name {
            validate_display_name(display)?;
        }
        let user_id = self.user_id(user)?;
        diesel::insert_into(spawners::table)
            .values((
                spawners::user_id.eq(user_id),
                spawners::name.eq(name),
                spawners::display_name.eq(display_name),
            ))
            .execute(self.conn)
            .map_err(StoreError::from)
            .map_err(StoreError::unique(Kind::Server, format!("{user}/{name}")))?;
        self.server(user, name)
    }

    /// The server `user/name`, if any.
    ///
    /// # Errors
    ///
    /// Database errors, [`StoreError::Corrupt`] for unreadable JSON.
    pub fn find_server(&mut self, user: &str, name: &str) -> Result<Option<Server>, StoreError> {
        spawners::table
            .inner_join(users::table)
            .left_join(servers::table)
            .filter(users::name.eq(user))
            .filter(spawners::name.eq(name))
            .select(server_columns_impl!())
            .get_result::<ServerRow>(self.conn)
            .optional()?
            .map(server_from_row)
            .transpose()
    }

    /// The server `user/name`.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is none.
    pub fn server(&mut self, user: &str, name: &str) -> Result<Server, StoreError> {
        self.find_server(user, name)?
            .ok_or_else(|| StoreError::not_found(Kind::Server, format!("{user}/{name}")))
    }

    pub(crate) fn server_ids(
        &mut self,
        user: &str,
        name: &str,
    ) -> Result<(i64, i64, Option<i64>), StoreError> {
        spawners::table
            .inner_join(users::table)
            .filter(users::name.eq(user))
            .filter(spawners::name.eq(name))
            .select((spawners::id, users::id, spawners::server_id))
            .get_result(self.conn)
            .optional()?
            .ok_or_else(|| StoreError::not_found(Kind::Server, format!("{user}/{name}")))
    }

    /// A user's servers, by name.
    ///
    /// # Errors
    ///
    /// Database errors, [`StoreError::Corrupt`] for unreadable JSON.
    pub fn user_servers(&mut self, user: &str) -> Result<Vec<Server>, StoreError> {
        spawners::table
            .inner_join(users::table)
            .left_join(servers::table)
            .filter(users::name.eq(user))
            .order(spawners::name.asc())
            .select(server_columns_impl!())
            .load::<ServerRow>(self.conn)?
            .into_iter()
            .map(server_from_row)
            .collect()
    }

    /// Records that the server is active at `address` (`Some`), or stopped (`None`, which
    /// deletes the address row, as JupyterHub's delete-orphan cascade does).
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown server, [`StoreError::Invalid`] for fields
    /// longer than their columns.
    pub fn set_server_address(
        &mut self,
        user: &str,
        name: &str,
        address: Option<&Address>,
    ) -> Result<(), StoreError> {
        let (spawner_id, _, old) = self.server_ids(user, name)?;
        let new_id = match address {
            None => None,
            Some(a) => {
                check_max("server proto", &a.proto, 15)?;
                check_max("server ip", &a.ip, 255)?;
                check_max("server base url", &a.base_url, 255)?;
                check_max("server cookie name", &a.cookie_name, 255)?;
                let id: i64 = diesel::insert_into(servers::table)
                    .values((
                        servers::proto.eq(&a.proto),
                        servers::ip.eq(&a.ip),
                        servers::port.eq(i32::from(a.port)),
                        servers::base_url.eq(&a.base_url),
                        servers::cookie_name.eq(&a.cookie_name),
                    ))
                    .returning(servers::id)
                    .get_result(self.conn)?;
                Some(id)
            }
        };
        diesel::update(spawners::table.filter(spawners::id.eq(spawner_id)))
            .set(spawners::server_id.eq(new_id))
            .execute(self.conn)?;
        if let Some(old) = old {
            diesel::delete(servers::table.filter(servers::id.eq(old))).execute(self.conn)?;
        }
        Ok(())
    }

    /// Updates a server's bookkeeping.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown server.
    pub fn update_server(
        &mut self,
        user: &str,
        name: &str,
        update: &ServerUpdate<'_>,
    ) -> Result<(), StoreError> {
        let (id, _, _) = self.server_ids(user, name)?;
        let target = spawners::table.filter(spawners::id.eq(id));
        if let Some(state) = update.state {
            diesel::update(target)
                .set(spawners::state.eq(state.map(Value::to_string)))
                .execute(self.conn)?;
        }
        if let Some(options) = update.user_options {
            diesel::update(target)
                .set(spawners::user_options.eq(options.map(Value::to_string)))
                .execute(self.conn)?;
        }
        if let Some(started) = update.started {
            diesel::update(target)
                .set(spawners::started.eq(started.map(to_db)))
                .execute(self.conn)?;
        }
        if let Some(when) = update.last_activity {
            diesel::update(target)
                .set(spawners::last_activity.eq(Some(to_db(when))))
                .execute(self.conn)?;
        }
        if let Some(client) = update.oauth_client_id {
            diesel::update(target)
                .set(spawners::oauth_client_id.eq(client))
                .execute(self.conn)?;
        }
        Ok(())
    }

    /// Renames a server (JupyterHub's `PATCH` with `name`); its shares follow it, since
    /// they name the server by row.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown server, [`StoreError::AlreadyExists`] when
    /// the user has a server of the new name, [`StoreError::Invalid`] for a name that is
    /// not a safe slug.
    pub fn rename_server(
        &mut self,
        user: &str,
        name: &str,
        new_name: &str,
    ) -> Result<(), StoreError> {
        validate_server_name(new_name)?;
        let (id, _, _) = self.server_ids(user, name)?;
        diesel::update(spawners::table.filter(spawners::id.eq(id)))
            .set(spawners::name.eq(new_name))
            .execute(self.conn)
            .map_err(StoreError::from)
            .map_err(StoreError::unique(
                Kind::Server,
                format!("{user}/{new_name}"),
            ))?;
        Ok(())
    }

    /// Sets the name shown to people (`None`: the server's name).
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown server, [`StoreError::Invalid`] for a bad
    /// display name.
    pub fn set_server_display_name(
        &mut self,
        user: &str,
        name: &str,
        display_name: Option<&str>,
    ) -> Result<(), StoreError> {
        if let Some(display) = display_name {
            validate_display_name(display)?;
        }
        let (id, _, _) = self.server_ids(user, name)?;
        diesel::update(spawners::table.filter(spawners::id.eq(id)))
            .set(spawners::display_name.eq(display_name))
            .execute(self.conn)?;
        Ok(())
    }

    /// Deletes a server; its address, shares and share codes go with it.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown server.
    pub fn delete_server(&mut self, user: &str, name: &str) -> Result<(), StoreError> {
        let (id, _, address) = self.server_ids(user, name)?;
        diesel::delete(spawners::table.filter(spawners::id.eq(id))).execute(self.conn)?;
        if let Some(address) = address {
            diesel::delete(servers::table.filter(servers::id.eq(address))).execute(self.conn)?;
        }
        Ok(())
    }
}
