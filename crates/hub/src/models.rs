//! JupyterHub's JSON models (`APIHandler.user_model`, `server_model`, `group_model`,
//! `service_model`, `token_model`), filtered vertically by what the caller holds for each
//! entity, as `_filter_model` does.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use scopes::Resource;
use serde_json::{Map, Value, json};
use store::{Group, Server, Service, Token, UserDetails};
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::spawning::Phase;

/// What Python's `urllib.parse.quote(s, safe="@~")` leaves alone: letters, digits, `_.-~@`.
const PATH_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b'@');

/// JupyterHub's `url_escape_path`.
pub fn escape_path(segment: &str) -> String {
    utf8_percent_encode(segment, PATH_SAFE).to_string()
}

/// A time as the `sharing` crate keeps it (microseconds, Python's datetime range);
/// `None` outside that range.
pub fn timestamp(at: OffsetDateTime) -> Option<sharing::Timestamp> {
    let micros = i64::try_from(at.unix_timestamp_nanos() / 1000).ok()?;
    sharing::Timestamp::from_unix_micros(micros).ok()
}

/// JupyterHub's `isoformat`: naive UTC with `Z`, microseconds unless they are zero.
pub fn iso(at: Option<OffsetDateTime>) -> Value {
    at.and_then(timestamp)
        .map_or(Value::Null, |t| Value::from(t.isoformat()))
}

/// The user's URL: `{base_url}user/{name}/`.
pub fn user_url(base_url: &str, name: &str) -> String {
    format!("{base_url}user/{}/", escape_path(name))
}

fn keep(model: Map<String, Value>, allowed: &[&str]) -> Map<String, Value> {
    model
        .into_iter()
        .filter(|(key, _)| allowed.contains(&key.as_str()))
        .collect()
}

const USER_ACCESS: &[(&str, &[&str])] = &[
    (
        "read:users",
        &[
            "kind",
            "name",
            "user_info",
            "admin",
            "roles",
            "groups",
            "server",
            "pending",
            "created",
            "last_activity",
        ],
    ),
    ("read:users:name", &["kind", "name", "user_info", "admin"]),
    ("read:users:groups", &["kind", "name", "groups"]),
    ("read:users:activity", &["kind", "name", "last_activity"]),
    ("read:servers", &["kind", "name", "servers"]),
    ("read:roles:users", &["kind", "name", "roles", "admin"]),
    ("admin:auth_state", &["kind", "name", "auth_state"]),
];

/// Options of the user model.
#[derive(Clone, Copy, Debug, Default)]
pub struct UserModelOptions {
    /// `?include_stopped_servers`.
    pub include_stopped_servers: bool,
}

/// The user model as `caller` may see it; an empty map when nothing is visible.
pub fn user_model(
    caller: &Caller,
    base_url: &str,
    live: &crate::spawning::Servers,
    details: &UserDetails,
    options: UserModelOptions,
) -> Map<String, Value> {
    let user = &details.user;
    let groups: Vec<&str> = details.groups.iter().map(String::as_str).collect();
    let resource = Resource::User {
        name: &user.name,
        groups: &groups,
    };
    let mut allowed: Vec<&str> = Vec::new();
    for (scope, keys) in USER_ACCESS {
        if caller.holds(scope, &resource) {
            allowed.extend_from_slice(keys);
        }
    }
    if allowed.is_empty() {
        return Map::new();
    }
    // `server` is the default server's URL when it is ready; `pending` its pending action.
    let default_phase = live.phase(&user.name, "");
    let running = default_phase.as_ref().is_some_and(Phase::is_ready);
    let mut model = Map::new();
    model.insert("kind".into(), json!("user"));
    model.insert("name".into(), json!(user.name));
    model.insert("admin".into(), json!(user.admin));
    model.insert("roles".into(), json!(details.roles));
    model.insert("groups".into(), json!(details.groups));
    model.insert(
        "server".into(),
        if running {
            json!(user_url(base_url, &user.name))
        } else {
            Value::Null
        },
    );
    model.insert(
        "pending".into(),
        json!(default_phase.as_ref().and_then(Phase::pending)),
    );
    model.insert("created".into(), iso(Some(user.created)));
    model.insert("last_activity".into(), iso(user.last_activity));
    model.insert("auth_state".into(), Value::Null);
    let mut model = keep(model, &allowed);
    let mut servers = Map::new();
    for server in &details.servers {
        let visible = caller.holds(
            "read:servers",
            &Resource::Server {
                user: &user.name,
                name: &server.name,
                user_groups: &groups,
            },
        );
        let active = live
            .phase(&user.name, &server.name)
            .is_some_and(|phase| phase.is_active());
        if visible && (active || options.include_stopped_servers) {
            servers.insert(
                server.name.clone(),
                // JupyterHub lists servers from their database rows here.
                Value::Object(server_model(
                    caller,
                    base_url,
                    live,
                    server,
                    &groups,
                    ServerSource::Database,
                )),
            );
        }
    }
    if allowed.contains(&"servers") || !servers.is_empty() {
        model.insert("servers".into(), Value::Object(servers));
    }
    if allowed.contains(&"user_info") {
        model.insert(
            "user_info".into(),
            user.user_info.clone().unwrap_or(Value::Null),
        );
    }
    model
}

/// Which object JupyterHub builds a server model from: the values differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerSource {
    /// The loaded `Spawner` (most answers): unset state and options read as `{}`.
    Spawner,
    /// The database row (`orm.Spawner`, as `PATCH` answers): unset values are `null`.
    Database,
}

/// The server model of a stored server.
pub fn server_model(
    caller: &Caller,
    base_url: &str,
    live: &crate::spawning::Servers,
    server: &Server,
    owner_groups: &[&str],
    source: ServerSource,
) -> Map<String, Value> {
    let unset = || match source {
        ServerSource::Spawner => Value::Object(Map::new()),
        ServerSource::Database => Value::Null,
    };
    let user_url = user_url(base_url, &server.user);
    let progress_url = if server.name.is_empty() {
        format!(
            "{base_url}hub/api/users/{}/server/progress",
            escape_path(&server.user)
        )
    } else {
        format!(
            "{base_url}hub/api/users/{}/servers/{}/progress",
            escape_path(&server.user),
            escape_path(&server.name)
        )
    };
    let url = if server.name.is_empty() {
        user_url
    } else {
        format!("{user_url}{}/", escape_path(&server.name))
    };
    let phase = live.phase(&server.user, &server.name);
    let ready = phase.as_ref().is_some_and(Phase::is_ready);
    let active = phase.as_ref().is_some_and(Phase::is_active);
    let mut model = Map::new();
    model.insert("name".into(), json!(server.name));
    model.insert(
        "display_name".into(),
        json!(
            server
                .display_name
                .clone()
                .unwrap_or_else(|| server.name.clone())
        ),
    );
    model.insert(
        "full_name".into(),
        json!(format!("{}/{}", server.user, server.name)),
    );
    model.insert("last_activity".into(), iso(server.last_activity));
    model.insert("started".into(), iso(server.started));
    model.insert(
        "pending".into(),
        json!(phase.as_ref().and_then(Phase::pending)),
    );
    model.insert("ready".into(), json!(ready));
    model.insert("stopped".into(), json!(!active));
    model.insert("url".into(), json!(url));
    model.insert(
        "user_options".into(),
        server.user_options.clone().unwrap_or_else(unset),
    );
    model.insert("progress_url".into(), json!(progress_url));
    model.insert("full_url".into(), Value::Null);
    model.insert("full_progress_url".into(), Value::Null);
    let state_visible = caller.holds(
        "admin:server_state",
        &Resource::Server {
            user: &server.user,
            name: &server.name,
            user_groups: owner_groups,
        },
    );
    if state_visible {
        model.insert("state".into(), server.state.clone().unwrap_or_else(unset));
    }
    model
}

const GROUP_ACCESS: &[(&str, &[&str])] = &[
    ("read:groups", &["kind", "name", "properties", "users"]),
    ("read:groups:name", &["kind", "name"]),
    ("read:roles:groups", &["kind", "name", "roles"]),
];

/// The group model as `caller` may see it.
pub fn group_model(
    caller: &Caller,
    group: &Group,
    members: &[String],
    roles: &[String],
) -> Map<String, Value> {
    let resource = Resource::Group { name: &group.name };
    let mut allowed: Vec<&str> = Vec::new();
    for (scope, keys) in GROUP_ACCESS {
        if caller.holds(scope, &resource) {
            allowed.extend_from_slice(keys);
        }
    }
    let mut model = Map::new();
    model.insert("kind".into(), json!("group"));
    model.insert("name".into(), json!(group.name));
    model.insert("roles".into(), json!(roles));
    model.insert("users".into(), json!(members));
    model.insert("properties".into(), Value::Object(group.properties.clone()));
    keep(model, &allowed)
}

const SERVICE_ACCESS: &[(&str, &[&str])] = &[
    (
        "read:services",
        &[
            "kind", "name", "admin", "url", "prefix", "command", "pid", "info", "display",
        ],
    ),
    ("read:services:name", &["kind", "name", "admin"]),
    ("read:roles:services", &["kind", "name", "roles", "admin"]),
];

/// Which object a service model is built from: JupyterHub's values differ (the in-memory
/// service for `/services`, the database row for `/user`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceSource {
    /// The running hub's service object (`url: ""`, `info: {}`, `display: true`...).
    Runtime,
    /// The database row (`url`, `info`, `display` as stored, `null` when unset).
    Database,
}

/// The service model as `caller` may see it. `display` is the configured `display` of a
/// service from configuration (the runtime object's value).
pub fn service_model(
    caller: &Caller,
    service: &Service,
    roles: &[String],
    source: ServiceSource,
    base_url: &str,
) -> Map<String, Value> {
    let resource = Resource::Service {
        name: &service.name,
    };
    let mut allowed: Vec<&str> = Vec::new();
    for (scope, keys) in SERVICE_ACCESS {
        if caller.holds(scope, &resource) {
            allowed.extend_from_slice(keys);
        }
    }
    let mut model = Map::new();
    model.insert("kind".into(), json!("service"));
    model.insert("name".into(), json!(service.name));
    model.insert("roles".into(), json!(roles));
    model.insert("admin".into(), json!(service.admin));
    match source {
        ServiceSource::Runtime => {
            model.insert("url".into(), json!(service.url.clone().unwrap_or_default()));
            model.insert(
                "info".into(),
                service.info.clone().unwrap_or_else(|| json!({})),
            );
            model.insert("display".into(), json!(service.display.unwrap_or(true)));
        }
        ServiceSource::Database => {
            model.insert("url".into(), json!(service.url));
            model.insert("info".into(), service.info.clone().unwrap_or(Value::Null));
            model.insert("display".into(), json!(service.display));
        }
    }
    model.insert("prefix".into(), json!(service_prefix(service, base_url)));
    model.insert("command".into(), json!([]));
    model.insert("pid".into(), json!(0));
    keep(model, &allowed)
}

fn service_prefix(service: &Service, base_url: &str) -> String {
    // A service with a URL is proxied under /services/NAME/; without one it has no server.
    match &service.url {
        Some(url) if !url.is_empty() => format!("{base_url}services/{}/", service.name),
        _ => String::new(),
    }
}

/// The token model (`scopes` are the token's effective scopes, computed by the caller).
pub fn token_model(
    token: &Token,
    scopes: &[String],
    client_description: &str,
) -> Map<String, Value> {
    let mut model = Map::new();
    match &token.owner {
        store::Owner::User(name) => model.insert("user".into(), json!(name)),
        store::Owner::Service(name) => model.insert("service".into(), json!(name)),
    };
    model.insert("id".into(), json!(token.api_id()));
    model.insert("kind".into(), json!("api_token"));
    model.insert("roles".into(), json!([]));
    model.insert("scopes".into(), json!(scopes));
    model.insert("created".into(), iso(Some(token.created)));
    model.insert("last_activity".into(), iso(token.last_activity));
    model.insert("expires_at".into(), iso(token.expires_at));
    model.insert("note".into(), json!(token.note));
    model.insert("session_id".into(), json!(token.session_id));
    model.insert("oauth_client".into(), json!(client_description));
    model
}
