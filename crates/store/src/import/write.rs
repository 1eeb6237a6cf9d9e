//! Writing a [`Snapshot`] of JupyterHub's tables into an empty hubcap store, inside the one
//! transaction of [`Store::write`](crate::Store::write).
//!
//! Rows keep their JupyterHub ids, so every reference between them (and every id a client
//! has seen, such as a token's `a{id}`) stays what it was; on PostgreSQL the identity
//! sequences are moved past the imported ids afterwards. Values are copied as JupyterHub
//! stored them (JSON text unchanged, hashes unchanged); only what hubcap's schema needs is
//! checked: names present and within their columns, JSON that parses to the right shape,
//! token hashes that hubcap can verify. JupyterHub's rules for *new* names (server slugs,
//! user name patterns) are not applied: these rows already exist.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::Value;
use time::PrimitiveDateTime;
use tokens::TokenHash;

use crate::conn::AnyConnection;
use crate::error::{Kind, StoreError};
use crate::import::error::ImportError;
use crate::import::source::Snapshot;
use crate::import::{ImportCounts, Skipped};
use crate::names::{check_length, check_max};
use crate::schema::{
    api_tokens, group_role_map, groups, oauth_clients, oauth_codes, roles, servers,
    service_role_map, services, share_codes, shares, spawners, user_group_map, user_role_map,
    users,
};
use crate::tx::Tx;

/// The tables that must be empty, and that get their identity sequence reset on PostgreSQL.
const TABLES: &[&str] = &[
    "users",
    "groups",
    "roles",
    "services",
    "servers",
    "spawners",
    "oauth_clients",
    "api_tokens",
    "oauth_codes",
    "shares",
    "share_codes",
];

/// What the JSON in a column must be.
#[derive(Clone, Copy)]
enum Json {
    /// Any JSON value (`JSONDict` columns hold whatever was stored).
    Any,
    /// A JSON object.
    Object,
    /// A JSON list of strings (scopes, a command).
    Strings,
}

/// One row's checks: errors name the table and JupyterHub's id.
struct Row {
    table: &'static str,
    /// JupyterHub's id (0 for a map table's row, which has none).
    id: i64,
    /// How messages name the row: its id, or a map table's key.
    label: String,
}

impl Row {
    fn new(table: &'static str, id: i32) -> Row {
        Row {
            table,
            id: id64(id),
            label: id.to_string(),
        }
    }

    fn key(table: &'static str, label: String) -> Row {
        Row {
            table,
            id: 0,
            label,
        }
    }

    fn err(&self, reason: impl Into<String>) -> ImportError {
        ImportError::Row {
            table: self.table,
            row: self.label.clone(),
            reason: reason.into(),
        }
    }

    fn write(&self) -> impl FnOnce(StoreError) -> ImportError {
        let (table, row) = (self.table, self.label.clone());
        move |source| ImportError::Write { table, row, source }
    }

    fn required(&self, column: &str, value: Option<String>) -> Result<String, ImportError> {
        value.ok_or_else(|| self.err(format!("`{column}` is empty (NULL)")))
    }

    fn length(
        &self,
        what: &'static str,
        value: &str,
        max: usize,
        allow_empty: bool,
    ) -> Result<(), ImportError> {
        let checked = if allow_empty {
            check_max(what, value, max)
        } else {
            check_length(what, value, max)
        };
        checked.map_err(|err| self.err(err.to_string()))
    }

    /// [`Row::length`] for a secret (a cookie id, an OAuth code, a session id): the message
    /// does not show the value.
    fn secret_length(&self, what: &str, value: &str, max: usize) -> Result<(), ImportError> {
        let len = value.chars().count();
        if len == 0 {
            return Err(self.err(format!("the {what} is empty")));
        }
        if len > max {
            return Err(self.err(format!(
                "the {what} is {len} characters long, more than the {max} allowed"
            )));
        }
        Ok(())
    }

    /// Checks that `text` is JSON of the right shape; returns it unchanged.
    fn json(
        &self,
        column: &str,
        text: Option<String>,
        shape: Json,
    ) -> Result<Option<String>, ImportError> {
        let Some(text) = text else {
            return Ok(None);
        };
        let value: Value = serde_json::from_str(&text)
            .map_err(|err| self.err(format!("`{column}` is not JSON: {err}")))?;
        let fits = match shape {
            Json::Any => true,
            Json::Object => value.is_object(),
            Json::Strings => value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
        };
        if !fits {
            let expected = match shape {
                Json::Any => "JSON",
                Json::Object => "a JSON object",
                Json::Strings => "a JSON list of strings",
            };
            return Err(self.err(format!("`{column}` is not {expected}")));
        }
        Ok(Some(text))
    }

    /// A JSON list of strings, `[]` when NULL (JupyterHub's `JSONList` reads NULL as `[]`).
    fn strings(&self, column: &str, text: Option<String>) -> Result<String, ImportError> {
        Ok(self
            .json(column, text, Json::Strings)?
            .unwrap_or_else(|| "[]".to_owned()))
    }

    /// A stored hash that hubcap can verify (`tokens::TokenHash`), kept as JupyterHub wrote it.
    fn hash(&self, column: &str, text: &str) -> Result<(), ImportError> {
        let parsed = text
            .parse::<TokenHash>()
            .map_err(|err| self.err(format!("`{column}` is not a token hash: {err}")))?;
        if parsed.to_string() != text {
            return Err(self.err(format!(
                "`{column}` is not in the canonical form `algorithm:rounds:salt:digest`"
            )));
        }
        Ok(())
    }
}

/// The holder column of a role map table.
fn holder_column(table: &str) -> &'static str {
    match table {
        "user_role_map" => "user_id",
        "group_role_map" => "group_id",
        _ => "service_id",
    }
}

fn id64(id: i32) -> i64 {
    i64::from(id)
}

impl Tx<'_> {
    /// Counts what is already in the store; the import needs every table empty.
    fn check_empty(&mut self) -> Result<(), ImportError> {
        let counts = [
            (
                users::table.count().get_result::<i64>(self.conn)?,
                "user",
                "users",
            ),
            (
                groups::table.count().get_result::<i64>(self.conn)?,
                "group",
                "groups",
            ),
            (
                roles::table.count().get_result::<i64>(self.conn)?,
                "role",
                "roles",
            ),
            (
                services::table.count().get_result::<i64>(self.conn)?,
                "service",
                "services",
            ),
            (
                servers::table.count().get_result::<i64>(self.conn)?,
                "server address",
                "server addresses",
            ),
            (
                oauth_clients::table.count().get_result::<i64>(self.conn)?,
                "oauth client",
                "oauth clients",
            ),
        ];
        let found: Vec<String> = counts
            .iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
            .collect();
        if found.is_empty() {
            Ok(())
        } else {
            Err(ImportError::TargetNotEmpty {
                found: found.join(", "),
            })
        }
    }

    /// Writes every row of `snap`; `now` fills JupyterHub's missing creation times.
    pub(crate) fn import_snapshot(
        &mut self,
        snap: Snapshot,
        now: PrimitiveDateTime,
    ) -> Result<(ImportCounts, Vec<Skipped>), ImportError> {
        self.check_empty()?;
        let mut counts = ImportCounts::default();
        let mut skipped = Vec::new();
        let conn = &mut *self.conn;
        // User names by JupyterHub id, for messages about their servers.
        let mut user_names = std::collections::HashMap::new();

        for u in snap.users {
            let row = Row::new("users", u.id);
            let name = row.required("name", u.name)?;
            row.length("user name", &name, 255, false)?;
            let cookie_id = row.required("cookie_id", u.cookie_id)?;
            row.secret_length("cookie id", &cookie_id, 255)?;
            diesel::insert_into(users::table)
                .values((
                    users::id.eq(row.id),
                    users::name.eq(&name),
                    users::admin.eq(u.admin.unwrap_or(false)),
                    users::created.eq(u.created.unwrap_or(now)),
                    users::last_activity.eq(u.last_activity),
                    users::cookie_id.eq(&cookie_id),
                    users::state.eq(row.json("state", u.state, Json::Any)?),
                    users::user_info.eq(row.json("user_info", u.user_info, Json::Any)?),
                    users::encrypted_auth_state.eq(u.encrypted_auth_state),
                ))
                .execute(conn)
                .map_err(StoreError::from)
                .map_err(StoreError::unique(Kind::User, name.as_str()))
                .map_err(row.write())?;
            user_names.insert(u.id, name);
            counts.users += 1;
        }

        for g in snap.groups {
            let row = Row::new("groups", g.id);
            let name = row.required("name", g.name)?;
            row.length("group name", &name, 255, false)?;
            let properties = row
                .json("properties", g.properties, Json::Object)?
                .unwrap_or_else(|| "{}".to_owned());
            diesel::insert_into(groups::table)
                .values((
                    groups::id.eq(row.id),
                    groups::name.eq(&name),
                    groups::properties.eq(properties),
                ))
                .execute(conn)
                .map_err(StoreError::from)
                .map_err(StoreError::unique(Kind::Group, name))
                .map_err(row.write())?;
            counts.groups += 1;
        }

        for m in snap.memberships {
            let row = Row::key(
                "user_group_map",
                format!("(user_id {}, group_id {})", m.user_id, m.group_id),
            );
            diesel::insert_into(user_group_map::table)
                .values((
                    user_group_map::user_id.eq(id64(m.user_id)),
                    user_group_map::group_id.eq(id64(m.group_id)),
                ))
                .execute(conn)
                .map_err(|e| row.write()(e.into()))?;
            counts.memberships += 1;
        }

        for r in snap.roles {
            let row = Row::new("roles", r.id);
            let name = row.required("name", r.name)?;
            row.length("role name", &name, 255, false)?;
            if let Some(description) = &r.description {
                row.length("role description", description, 1023, true)?;
            }
            diesel::insert_into(roles::table)
                .values((
                    roles::id.eq(row.id),
                    roles::name.eq(&name),
                    roles::description.eq(r.description),
                    roles::scopes.eq(row.strings("scopes", r.scopes)?),
                    roles::managed_by_auth.eq(r.managed_by_auth),
                ))
                .execute(conn)
                .map_err(StoreError::from)
                .map_err(StoreError::unique(Kind::Role, name))
                .map_err(row.write())?;
            counts.roles += 1;
        }

        for c in snap.oauth_clients {
            let row = Row::new("oauth_clients", c.id);
            let identifier = row.required("identifier", c.identifier)?;
            row.length("oauth client identifier", &identifier, 255, false)?;
            // JupyterHub stores `hash_token(secret)`, or "" for a client without a secret.
            let secret = c.secret.unwrap_or_default();
            if !secret.is_empty() {
                row.hash("secret", &secret)?;
            }
            if let Some(uri) = &c.redirect_uri {
                row.length("redirect uri", uri, 1023, true)?;
            }
            diesel::insert_into(oauth_clients::table)
                .values((
                    oauth_clients::id.eq(row.id),
                    oauth_clients::identifier.eq(&identifier),
                    oauth_clients::description.eq(c.description),
                    oauth_clients::secret.eq(secret),
                    oauth_clients::redirect_uri.eq(c.redirect_uri),
                    oauth_clients::allowed_scopes
                        .eq(row.strings("allowed_scopes", c.allowed_scopes)?),
                ))
                .execute(conn)
                .map_err(StoreError::from)
                .map_err(StoreError::unique(Kind::OAuthClient, identifier))
                .map_err(row.write())?;
            counts.oauth_clients += 1;
        }

        for s in snap.servers {
            let row = Row::new("servers", s.id);
            let port = s.port.ok_or_else(|| row.err("`port` is empty (NULL)"))?;
            let proto = s.proto.unwrap_or_else(|| "http".to_owned());
            let ip = s.ip.unwrap_or_default();
            let base_url = s.base_url.unwrap_or_else(|| "/".to_owned());
            let cookie_name = s.cookie_name.unwrap_or_else(|| "cookie".to_owned());
            row.length("server proto", &proto, 15, true)?;
            row.length("server ip", &ip, 255, true)?;
            row.length("server base url", &base_url, 255, true)?;
            row.length("server cookie name", &cookie_name, 255, true)?;
            diesel::insert_into(servers::table)
                .values((
                    servers::id.eq(row.id),
                    servers::proto.eq(proto),
                    servers::ip.eq(ip),
                    servers::port.eq(port),
                    servers::base_url.eq(base_url),
                    servers::cookie_name.eq(cookie_name),
                ))
                .execute(conn)
                .map_err(|e| row.write()(e.into()))?;
            counts.addresses += 1;
        }

        for s in snap.services {
            let row = Row::new("services", s.id);
            let name = row.required("name", s.name)?;
            row.length("service name", &name, 255, false)?;
            if let Some(url) = &s.url {
                row.length("service url", url, 2047, true)?;
            }
            if let Some(cwd) = &s.cwd {
                row.length("service cwd", cwd, 4095, true)?;
            }
            diesel::insert_into(services::table)
                .values((
                    services::id.eq(row.id),
                    services::name.eq(&name),
                    services::admin.eq(s.admin.unwrap_or(false)),
                    services::url.eq(s.url),
                    services::oauth_client_allowed_scopes.eq(row.json(
                        "oauth_client_allowed_scopes",
                        s.oauth_client_allowed_scopes,
                        Json::Strings,
                    )?),
                    services::info.eq(row.json("info", s.info, Json::Any)?),
                    services::display.eq(s.display),
                    services::oauth_no_confirm.eq(s.oauth_no_confirm),
                    services::command.eq(row.json("command", s.command, Json::Strings)?),
                    services::cwd.eq(s.cwd),
                    services::environment.eq(row.json("environment", s.environment, Json::Any)?),
                    services::user.eq(s.service_user),
                    services::timeout.eq(s.timeout),
                    services::from_config.eq(s.from_config.unwrap_or(true)),
                    services::server_id.eq(s.server_id.map(id64)),
                    services::pid.eq(s.pid),
                    services::oauth_client_id.eq(s.oauth_client_id),
                ))
                .execute(conn)
                .map_err(StoreError::from)
                .map_err(StoreError::unique(Kind::Service, name))
                .map_err(row.write())?;
            counts.services += 1;
        }

        for (table, rows) in [
            ("user_role_map", snap.user_roles),
            ("group_role_map", snap.group_roles),
            ("service_role_map", snap.service_roles),
        ] {
            for a in rows {
                let row = Row::key(
                    table,
                    format!(
                        "({} {}, role_id {})",
                        holder_column(table),
                        a.holder_id,
                        a.role_id
                    ),
                );
                let (holder, role) = (id64(a.holder_id), id64(a.role_id));
                let managed = a.managed_by_auth;
                let inserted = match table {
                    "user_role_map" => diesel::insert_into(user_role_map::table)
                        .values((
                            user_role_map::user_id.eq(holder),
                            user_role_map::role_id.eq(role),
                            user_role_map::managed_by_auth.eq(managed),
                        ))
                        .execute(conn),
                    "group_role_map" => diesel::insert_into(group_role_map::table)
                        .values((
                            group_role_map::group_id.eq(holder),
                            group_role_map::role_id.eq(role),
                            group_role_map::managed_by_auth.eq(managed),
                        ))
                        .execute(conn),
                    _ => diesel::insert_into(service_role_map::table)
                        .values((
                            service_role_map::service_id.eq(holder),
                            service_role_map::role_id.eq(role),
                            service_role_map::managed_by_auth.eq(managed),
                        ))
                        .execute(conn),
                };
                inserted.map_err(|e| row.write()(e.into()))?;
                counts.role_assignments += 1;
            }
        }

        // Servers JupyterHub cannot address are left out, and so are their shares and codes.
        let mut imported_spawners = std::collections::HashMap::new();
        for s in snap.spawners {
            let row = Row::new("spawners", s.id);
            let Some(user_id) = s.user_id else {
                skipped.push(Skipped::new(row.table, row.id, "no user owns it"));
                continue;
            };
            let Some(name) = s.name else {
                skipped.push(Skipped::new(
                    row.table,
                    row.id,
                    "no name (JupyterHub's default server is named \"\")",
                ));
                continue;
            };
            row.length("server name", &name, 255, true)?;
            if let Some(display) = &s.display_name {
                row.length("server display name", display, 255, true)?;
            }
            diesel::insert_into(spawners::table)
                .values((
                    spawners::id.eq(row.id),
                    spawners::user_id.eq(id64(user_id)),
                    spawners::server_id.eq(s.server_id.map(id64)),
                    spawners::state.eq(row.json("state", s.state, Json::Any)?),
                    spawners::name.eq(&name),
                    spawners::display_name.eq(s.display_name),
                    spawners::started.eq(s.started),
                    spawners::last_activity.eq(s.last_activity),
                    spawners::user_options.eq(row.json(
                        "user_options",
                        s.user_options,
                        Json::Any,
                    )?),
                    spawners::oauth_client_id.eq(s.oauth_client_id),
                ))
                .execute(conn)
                .map_err(StoreError::from)
                .map_err(StoreError::unique(
                    Kind::Server,
                    format!(
                        "{}/{name}",
                        user_names.get(&user_id).map_or("?", String::as_str)
                    ),
                ))
                .map_err(row.write())?;
            imported_spawners.insert(s.id, user_id);
            counts.servers += 1;
        }

        for t in snap.tokens {
            let row = Row::new("api_tokens", t.id);
            let (Some(hashed), Some(prefix)) = (t.hashed, t.prefix) else {
                skipped.push(Skipped::new(
                    row.table,
                    row.id,
                    "no hash or prefix: it never matches",
                ));
                continue;
            };
            let Some(client_id) = t.client_id else {
                skipped.push(Skipped::new(
                    row.table,
                    row.id,
                    "no OAuth client: JupyterHub deletes such a token when it is presented",
                ));
                continue;
            };
            // `APIToken.owner` is `user or service`.
            let (user_id, service_id) = match (t.user_id, t.service_id) {
                (Some(user), _) => (Some(id64(user)), None),
                (None, Some(service)) => (None, Some(id64(service))),
                (None, None) => {
                    skipped.push(Skipped::new(row.table, row.id, "no owner"));
                    continue;
                }
            };
            row.hash("hashed", &hashed)?;
            row.length("token prefix", &prefix, 16, false)?;
            let note = t.note.unwrap_or_default();
            row.length("token note", &note, 1023, true)?;
            if let Some(session) = &t.session_id {
                if !session.is_empty() {
                    row.secret_length("session id", session, 255)?;
                }
            }
            diesel::insert_into(api_tokens::table)
                .values((
                    api_tokens::id.eq(row.id),
                    api_tokens::user_id.eq(user_id),
                    api_tokens::service_id.eq(service_id),
                    api_tokens::hashed.eq(hashed),
                    api_tokens::prefix.eq(&prefix),
                    api_tokens::client_id.eq(client_id),
                    api_tokens::session_id.eq(t.session_id),
                    api_tokens::created.eq(t.created.unwrap_or(now)),
                    api_tokens::expires_at.eq(t.expires_at),
                    api_tokens::last_activity.eq(t.last_activity),
                    api_tokens::note.eq(note),
                    api_tokens::scopes.eq(row.strings("scopes", t.scopes)?),
                ))
                .execute(conn)
                .map_err(StoreError::from)
                .map_err(StoreError::unique(Kind::Token, format!("{prefix}...")))
                .map_err(row.write())?;
            counts.tokens += 1;
        }

        for c in snap.oauth_codes {
            let row = Row::new("oauth_codes", c.id);
            let (Some(client_id), Some(code), Some(user_id)) = (c.client_id, c.code, c.user_id)
            else {
                skipped.push(Skipped::new(
                    row.table,
                    row.id,
                    "no client, code or user: it can never be exchanged",
                ));
                continue;
            };
            row.secret_length("oauth code", &code, 36)?;
            diesel::insert_into(oauth_codes::table)
                .values((
                    oauth_codes::id.eq(row.id),
                    oauth_codes::client_id.eq(client_id),
                    oauth_codes::code.eq(code),
                    oauth_codes::expires_at.eq(c.expires_at.map(i64::from)),
                    oauth_codes::redirect_uri.eq(c.redirect_uri),
                    oauth_codes::session_id.eq(c.session_id),
                    oauth_codes::user_id.eq(id64(user_id)),
                    oauth_codes::scopes.eq(row.strings("scopes", c.scopes)?),
                    oauth_codes::code_challenge.eq(c.code_challenge),
                    oauth_codes::code_challenge_method.eq(c.code_challenge_method),
                ))
                .execute(conn)
                .map_err(|e| row.write()(e.into()))?;
            counts.oauth_codes += 1;
        }

        // The owner of a share or code is its server's owner (JupyterHub keeps both columns).
        let server_owner = |row: &Row,
                            skipped: &mut Vec<Skipped>,
                            spawner_id: Option<i32>,
                            owner_id: Option<i32>|
         -> Result<Option<(i64, i64)>, ImportError> {
            let Some(owner) = spawner_id.and_then(|s| imported_spawners.get(&s).map(|o| (s, *o)))
            else {
                skipped.push(Skipped::new(
                    row.table,
                    row.id,
                    "its server was not imported",
                ));
                return Ok(None);
            };
            if owner_id.is_some_and(|o| o != owner.1) {
                return Err(row.err(format!(
                    "`owner_id` is {}, but its server belongs to user id {}",
                    owner_id.map(id64).unwrap_or_default(),
                    owner.1
                )));
            }
            Ok(Some((id64(owner.0), id64(owner.1))))
        };

        for s in snap.shares {
            let row = Row::new("shares", s.id);
            let Some((spawner_id, owner_id)) =
                server_owner(&row, &mut skipped, s.spawner_id, s.owner_id)?
            else {
                continue;
            };
            if s.user_id.is_none() && s.group_id.is_none() {
                skipped.push(Skipped::new(row.table, row.id, "shared with no one"));
                continue;
            }
            diesel::insert_into(shares::table)
                .values((
                    shares::id.eq(row.id),
                    shares::created_at.eq(s.created_at),
                    shares::owner_id.eq(owner_id),
                    shares::spawner_id.eq(spawner_id),
                    shares::scopes.eq(row.strings("scopes", s.scopes)?),
                    shares::expires_at.eq(s.expires_at),
                    shares::user_id.eq(s.user_id.map(id64)),
                    shares::group_id.eq(s.group_id.map(id64)),
                ))
                .execute(conn)
                .map_err(|e| row.write()(e.into()))?;
            counts.shares += 1;
        }

        for c in snap.share_codes {
            let row = Row::new("share_codes", c.id);
            let (Some(hashed), Some(prefix)) = (c.hashed, c.prefix) else {
                skipped.push(Skipped::new(
                    row.table,
                    row.id,
                    "no hash or prefix: it never matches",
                ));
                continue;
            };
            let Some((spawner_id, owner_id)) =
                server_owner(&row, &mut skipped, c.spawner_id, c.owner_id)?
            else {
                continue;
            };
            row.hash("hashed", &hashed)?;
            row.length("share code prefix", &prefix, 16, false)?;
            diesel::insert_into(share_codes::table)
                .values((
                    share_codes::id.eq(row.id),
                    share_codes::created_at.eq(c.created_at),
                    share_codes::owner_id.eq(owner_id),
                    share_codes::spawner_id.eq(spawner_id),
                    share_codes::scopes.eq(row.strings("scopes", c.scopes)?),
                    share_codes::expires_at.eq(c.expires_at),
                    share_codes::hashed.eq(hashed),
                    share_codes::prefix.eq(&prefix),
                    share_codes::exchange_count.eq(c.exchange_count.map_or(0, i64::from)),
                    share_codes::last_exchanged_at.eq(c.last_exchanged_at),
                ))
                .execute(conn)
                .map_err(StoreError::from)
                .map_err(StoreError::unique(Kind::ShareCode, format!("{prefix}...")))
                .map_err(row.write())?;
            counts.share_codes += 1;
        }

        reset_sequences(conn)?;
        Ok((counts, skipped))
    }
}

/// PostgreSQL: moves each identity sequence past the largest imported id, so that the next
/// row the hub creates gets a fresh one. (SQLite's `AUTOINCREMENT` follows inserted ids.)
fn reset_sequences(conn: &mut AnyConnection) -> Result<(), ImportError> {
    if let AnyConnection::Postgres(_) = conn {
        let sql: String = TABLES
            .iter()
            .map(|t| {
                format!(
                    "SELECT setval(pg_get_serial_sequence('{t}', 'id'), \
                     COALESCE((SELECT MAX(id) FROM {t}), 0) + 1, false);"
                )
            })
            .collect();
        conn.batch_execute(&sql).map_err(StoreError::from)?;
    }
    Ok(())
}
