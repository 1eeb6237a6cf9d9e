//! The hub's configuration: one TOML file whose sections and keys mirror JupyterHub's
//! configurable classes (`c.JupyterHub.load_roles` is `[JupyterHub] load_roles`), so that a
//! JupyterHub configuration carries over key by key. Every problem is reported at once, each
//! with its key, what is wrong and what would be right.

mod error;
mod login;
mod proxy;
mod reader;
mod services;
mod spawner;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use roles::RoleSpec;
use scopes::ScopeTable;
use serde_json::{Map, Value};
use toml::Table;

pub use error::{ConfigErrors, ConfigProblem};
pub use login::{AuthenticatorClass, LoginConfig};
pub use proxy::{PROXY_KEYS, ProxyKind, ProxySettings};
use reader::Section;
pub use services::{SERVICE_KEYS, ServiceSpec};
pub use spawner::SpawnerSettings;

const JUPYTERHUB_KEYS: &[&str] = &[
    "bind_url",
    "hub_bind_url",
    "base_url",
    "db_url",
    "allow_named_servers",
    "named_server_limit_per_user",
    "load_roles",
    "load_groups",
    "services",
    "custom_scopes",
    "admin_users",
    "extra_user_scopes",
    "api_page_default_limit",
    "api_page_max_limit",
    "token_expires_in_max_seconds",
    "authenticate_prometheus",
    "activity_resolution",
    "authenticator_class",
    "cookie_secret_file",
    "cookie_max_age_days",
    "oauth_token_expires_in",
    "proxy_class",
    "slow_spawn_timeout",
    "slow_stop_timeout",
    "concurrent_spawn_limit",
    "cleanup_servers",
    "last_activity_interval",
];
const AUTHENTICATOR_KEYS: &[&str] = &[
    "admin_users",
    "allowed_users",
    "allow_all",
    "blocked_users",
    "allow_existing_users",
];
const SPAWNER_KEYS: &[&str] = &[
    "server_token_scopes",
    "oauth_client_allowed_scopes",
    "cmd",
    "args",
    "allow_root",
    "start_timeout",
    "http_timeout",
    "poll_interval",
    "environment",
    "notebook_dir",
    "default_url",
    "ip",
    "port",
    "debug",
];
const LOCAL_AUTHENTICATOR_KEYS: &[&str] = &["create_system_users"];
const SECTIONS: &[(&str, &[&str])] = &[
    ("JupyterHub", JUPYTERHUB_KEYS),
    ("Authenticator", AUTHENTICATOR_KEYS),
    ("Spawner", SPAWNER_KEYS),
    ("DummyAuthenticator", login::DUMMY_KEYS),
    ("ConfigurableHTTPProxy", PROXY_KEYS),
    ("LocalAuthenticator", LOCAL_AUTHENTICATOR_KEYS),
];

/// A group defined by `JupyterHub.load_groups`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct GroupSpec {
    /// Members, added if missing (never removed, as in JupyterHub).
    pub users: Vec<String>,
    /// Properties; `None` leaves stored properties alone.
    pub properties: Option<Map<String, Value>>,
}

/// The hub's settings, checked.
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// Where the configuration came from (a file path, or `defaults`).
    pub source: String,
    /// `JupyterHub.bind_url`: the public URL (the proxy's, once there is one).
    pub bind_url: url::Url,
    /// `JupyterHub.hub_bind_url`: where the hub's own HTTP server listens.
    pub hub_bind_url: url::Url,
    /// `JupyterHub.base_url`, with a leading and a trailing `/`.
    pub base_url: String,
    /// `JupyterHub.db_url`.
    pub db_url: String,
    /// `JupyterHub.allow_named_servers`.
    pub allow_named_servers: bool,
    /// `JupyterHub.named_server_limit_per_user` (0: no limit).
    pub named_server_limit_per_user: u32,
    /// `JupyterHub.load_roles`, checked.
    pub load_roles: Vec<RoleSpec>,
    /// `JupyterHub.load_groups`.
    pub load_groups: BTreeMap<String, GroupSpec>,
    /// `JupyterHub.services`.
    pub services: Vec<ServiceSpec>,
    /// The scope table: the built-in scopes and `JupyterHub.custom_scopes`.
    pub scope_table: ScopeTable,
    /// `Authenticator.admin_users` (with the deprecated `JupyterHub.admin_users` merged in).
    pub admin_users: BTreeSet<String>,
    /// `Authenticator.allowed_users`.
    pub allowed_users: BTreeSet<String>,
    /// `Authenticator.allow_all`.
    pub allow_all: bool,
    /// `JupyterHub.extra_user_scopes`.
    pub extra_user_scopes: Vec<String>,
    /// `JupyterHub.api_page_default_limit`.
    pub api_page_default_limit: u32,
    /// `JupyterHub.api_page_max_limit`.
    pub api_page_max_limit: u32,
    /// `JupyterHub.token_expires_in_max_seconds` (0: no limit).
    pub token_expires_in_max_seconds: u64,
    /// `JupyterHub.authenticate_prometheus`.
    pub authenticate_prometheus: bool,
    /// `JupyterHub.activity_resolution`, seconds.
    pub activity_resolution: u32,
    /// `Spawner.server_token_scopes` (`None`: the `server` role).
    pub server_token_scopes: Option<Vec<String>>,
    /// `Spawner.oauth_client_allowed_scopes`.
    pub oauth_client_allowed_scopes: Vec<String>,
    /// `JUPYTERHUB_CRYPT_KEY` (from the environment: [`HubConfig::read_environment`]).
    pub crypt_key: Option<String>,
    /// The authenticator, the cookie secret and the lifetimes of logins and OAuth tokens.
    pub login: LoginConfig,
    /// `JupyterHub.proxy_class` and `[ConfigurableHTTPProxy]`.
    pub proxy: ProxySettings,
    /// How servers are started (`[Spawner]` and the spawn limits).
    pub spawner: SpawnerSettings,
    /// `JupyterHub.cleanup_servers`: stop every server when the hub stops (otherwise the
    /// next start finds them again).
    pub cleanup_servers: bool,
    /// `JupyterHub.last_activity_interval`, seconds: how often the proxy's activity is
    /// recorded and its routes checked.
    pub last_activity_interval: u32,
}

impl HubConfig {
    /// The embedded defaults: SQLite in the working directory, listening on
    /// `127.0.0.1:8081`, no roles or services beyond JupyterHub's defaults.
    pub fn defaults() -> HubConfig {
        HubConfig {
            source: "defaults".to_owned(),
            bind_url: default_url("http://127.0.0.1:8000/"),
            hub_bind_url: default_url("http://127.0.0.1:8081/"),
            base_url: "/".to_owned(),
            db_url: "sqlite:///jupyterhub.sqlite".to_owned(),
            allow_named_servers: false,
            named_server_limit_per_user: 0,
            load_roles: Vec::new(),
            load_groups: BTreeMap::new(),
            services: Vec::new(),
            scope_table: ScopeTable::jupyterhub(),
            admin_users: BTreeSet::new(),
            allowed_users: BTreeSet::new(),
            allow_all: false,
            extra_user_scopes: Vec::new(),
            api_page_default_limit: 50,
            api_page_max_limit: 200,
            token_expires_in_max_seconds: 0,
            authenticate_prometheus: true,
            activity_resolution: 30,
            server_token_scopes: None,
            oauth_client_allowed_scopes: Vec::new(),
            crypt_key: None,
            login: LoginConfig::default(),
            proxy: ProxySettings::default(),
            spawner: SpawnerSettings::default(),
            cleanup_servers: true,
            last_activity_interval: 300,
        }
    }

    /// Reads a TOML file.
    ///
    /// # Errors
    ///
    /// Every problem in the file, or the reason it could not be read.
    pub fn from_file(path: &Path) -> Result<HubConfig, ConfigErrors> {
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ConfigErrors {
            origin: source.clone(),
            problems: vec![ConfigProblem::new(
                source.clone(),
                format!("cannot be read: {error}"),
            )],
        })?;
        HubConfig::from_toml(&text, &source)
    }

    /// Reads TOML text; `source` names it in messages.
    ///
    /// # Errors
    ///
    /// Every problem found.
    pub fn from_toml(text: &str, source: &str) -> Result<HubConfig, ConfigErrors> {
        let fail = |problems| ConfigErrors {
            origin: source.to_owned(),
            problems,
        };
        let mut root: Table = text
            .parse()
            .map_err(|error: toml::de::Error| fail(vec![syntax_problem(text, &error)]))?;
        let mut problems = Vec::new();
        let config = read(&mut root, source, &mut problems);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(fail(problems))
        }
    }

    /// Takes the settings JupyterHub reads from the environment: `JUPYTERHUB_CRYPT_KEY`.
    pub fn read_environment(&mut self) {
        self.proxy.read_environment();
        self.crypt_key = std::env::var("JUPYTERHUB_CRYPT_KEY")
            .ok()
            .filter(|value| !value.trim().is_empty());
        self.login.cookie_secret_env = std::env::var("JPY_COOKIE_SECRET")
            .ok()
            .filter(|value| !value.trim().is_empty());
    }

    /// The hub's URL prefix: `base_url` + `hub/`.
    pub fn hub_prefix(&self) -> String {
        format!("{}hub/", self.base_url)
    }
}

/// A URL from a literal of this file.
#[allow(
    clippy::expect_used,
    reason = "the literals passed here are valid URLs"
)]
fn default_url(text: &'static str) -> url::Url {
    url::Url::parse(text).expect("a literal default URL parses")
}

fn syntax_problem(text: &str, error: &toml::de::Error) -> ConfigProblem {
    let place = match error.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}")
        }
        None => "the file".to_owned(),
    };
    ConfigProblem::new(place, format!("is not valid TOML: {}", error.message()))
        .help("see https://toml.io for the syntax")
}

fn read(root: &mut Table, source: &str, problems: &mut Vec<ConfigProblem>) -> HubConfig {
    let mut config = HubConfig::defaults();
    config.source = source.to_owned();
    let section_names: Vec<&str> = SECTIONS.iter().map(|(name, _)| *name).collect();
    for key in root.keys() {
        if !section_names.contains(&key.as_str()) {
            let mut problem = ConfigProblem::new(key.clone(), "is not a section hubcap knows");
            problem = match scopes::did_you_mean(key, section_names.iter().copied()) {
                Some(near) => problem.help(format!("did you mean [{near}]?")),
                None => match SECTIONS
                    .iter()
                    .find(|(_, keys)| keys.contains(&key.as_str()))
                {
                    Some((section, _)) => {
                        problem.help(format!("`{key}` belongs in the [{section}] section"))
                    }
                    None => problem.help(format!("sections: {}", section_names.join(", "))),
                },
            };
            problems.push(problem);
        }
    }
    let mut deprecated_admins = BTreeSet::new();
    // Checked after all sections are read: they need the scope table, which custom scopes
    // extend.
    let (raw_roles, raw_groups, raw_services, raw_custom, proxy_class);
    {
        let mut hub = Section::new(root, "JupyterHub", JUPYTERHUB_KEYS, problems);
        let bind_url = hub.string("bind_url", "\"http://127.0.0.1:8000/\"");
        let hub_bind_url = hub.string("hub_bind_url", "\"http://127.0.0.1:8081\"");
        let base_url = hub.string("base_url", "\"/jupyter/\"");
        if let Some(db_url) = hub.string("db_url", "\"sqlite:///jupyterhub.sqlite\"") {
            config.db_url = db_url;
        }
        if let Some(flag) = hub.boolean("allow_named_servers") {
            config.allow_named_servers = flag;
        }
        if let Some(limit) =
            hub.integer("named_server_limit_per_user", 0..=i64::from(u32::MAX), "5")
        {
            config.named_server_limit_per_user = u32::try_from(limit).unwrap_or(u32::MAX);
        }
        raw_roles = hub.json("load_roles");
        raw_groups = hub.json("load_groups");
        raw_services = hub.json("services");
        raw_custom = hub.json("custom_scopes");
        if let Some(admins) = hub.string_set("admin_users", "[\"ada\"]") {
            deprecated_admins = admins;
        }
        if let Some(scopes) = hub.strings("extra_user_scopes", "[\"read:users\"]") {
            config.extra_user_scopes = scopes;
        }
        let default_limit = hub.integer("api_page_default_limit", 1..=i64::from(u32::MAX), "50");
        let max_limit = hub.integer("api_page_max_limit", 1..=i64::from(u32::MAX), "200");
        if let Some(limit) = default_limit {
            config.api_page_default_limit = u32::try_from(limit).unwrap_or(u32::MAX);
        }
        if let Some(limit) = max_limit {
            config.api_page_max_limit = u32::try_from(limit).unwrap_or(u32::MAX);
        }
        if let Some(seconds) = hub.integer("token_expires_in_max_seconds", 0..=i64::MAX, "86400") {
            config.token_expires_in_max_seconds = u64::try_from(seconds).unwrap_or(0);
        }
        if let Some(flag) = hub.boolean("authenticate_prometheus") {
            config.authenticate_prometheus = flag;
        }
        if let Some(seconds) = hub.integer("activity_resolution", 0..=86_400, "30") {
            config.activity_resolution = u32::try_from(seconds).unwrap_or(30);
        }
        login::read_hub_keys(&mut hub, &mut config.login);
        proxy_class = hub.string("proxy_class", "\"embedded\"");
        spawner::read_hub_spawn_keys(&mut config.spawner, &mut hub);
        if let Some(flag) = hub.boolean("cleanup_servers") {
            config.cleanup_servers = flag;
        }
        if let Some(seconds) = hub.integer("last_activity_interval", 1..=86_400, "300") {
            config.last_activity_interval = u32::try_from(seconds).unwrap_or(300);
        }
        hub.finish(SECTIONS);
        read_urls(&mut config, bind_url, hub_bind_url, base_url, problems);
    }
    {
        let mut auth = Section::new(root, "Authenticator", AUTHENTICATOR_KEYS, problems);
        let admins = auth.string_set("admin_users", "[\"ada\"]");
        match admins {
            Some(admins) => config.admin_users = admins,
            // JupyterHub uses the deprecated setting only when the new one is empty.
            None => config.admin_users = deprecated_admins,
        }
        if let Some(allowed) = auth.string_set("allowed_users", "[\"ada\", \"bob\"]") {
            config.allowed_users = allowed;
        }
        if let Some(flag) = auth.boolean("allow_all") {
            config.allow_all = flag;
            config.login.allow_all_set = true;
        }
        login::read_authenticator_keys(&mut auth, &mut config.login);
        auth.finish(SECTIONS);
    }
    {
        let mut dummy = Section::new(root, "DummyAuthenticator", login::DUMMY_KEYS, problems);
        login::read_dummy(&mut dummy, &mut config.login);
        dummy.finish(SECTIONS);
    }
    // DummyAuthenticator allows everyone unless told whom (its `allow_all` default).
    if config.login.authenticator == AuthenticatorClass::Dummy
        && !config.login.allow_all_set
        && config.allowed_users.is_empty()
    {
        config.allow_all = true;
    }
    {
        let mut spawner = Section::new(root, "Spawner", SPAWNER_KEYS, problems);
        config.server_token_scopes =
            spawner.strings("server_token_scopes", "[\"users:activity!user\"]");
        if let Some(scopes) =
            spawner.strings("oauth_client_allowed_scopes", "[\"access:servers!server\"]")
        {
            config.oauth_client_allowed_scopes = scopes;
        }
        spawner::read_spawner(&mut config.spawner, &mut spawner);
        spawner.finish(SECTIONS);
    }
    {
        let mut section = Section::new(
            root,
            "LocalAuthenticator",
            LOCAL_AUTHENTICATOR_KEYS,
            problems,
        );
        if let Some(flag) = section.boolean("create_system_users") {
            config.spawner.create_system_users = flag;
        }
        section.finish(SECTIONS);
    }
    {
        let mut section = Section::new(root, "ConfigurableHTTPProxy", PROXY_KEYS, problems);
        proxy::read_proxy(&mut config.proxy, proxy_class, &mut section);
        section.finish(SECTIONS);
    }
    for name in config.admin_users.iter().chain(&config.allowed_users) {
        if let Err(invalid) = store::validate_user_name(name) {
            problems.push(ConfigProblem::new(
                "Authenticator",
                format!("user name {name:?}: {invalid}"),
            ));
        }
    }
    if let Some(custom) = raw_custom {
        read_custom_scopes(&mut config, &custom, problems);
    }
    if let Some(roles) = raw_roles {
        match roles::parse_load_roles(&config.scope_table, "JupyterHub.load_roles", &roles) {
            Ok(specs) => config.load_roles = specs,
            Err(errors) => problems.extend(errors.into_iter().map(|error| ConfigProblem {
                path: error.path,
                problem: error.problem,
                help: error.help,
            })),
        }
    }
    if let Some(services) = raw_services {
        config.services = services::parse_services(&services, problems);
    }
    if let Some(groups) = raw_groups {
        config.load_groups = read_groups(&groups, problems);
    }
    for (index, scope) in config.extra_user_scopes.iter().enumerate() {
        if let Err(error) = config.scope_table.check_exist([scope.as_str()], None) {
            problems.push(ConfigProblem::new(
                format!("JupyterHub.extra_user_scopes[{index}]"),
                error.to_string(),
            ));
        }
    }
    config
}

fn read_urls(
    config: &mut HubConfig,
    bind_url: Option<String>,
    hub_bind_url: Option<String>,
    base_url: Option<String>,
    problems: &mut Vec<ConfigProblem>,
) {
    let parse = |key: &str, text: &str, problems: &mut Vec<ConfigProblem>| {
        // JupyterHub's default `http://:8000` has an empty host: all interfaces.
        let text = text.replacen("://:", "://0.0.0.0:", 1);
        match url::Url::parse(&text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Some(url)
            }
            Ok(url) => {
                problems.push(
                    ConfigProblem::new(
                        format!("JupyterHub.{key}"),
                        format!(
                            "{text:?} is not an http(s) URL with a host (scheme {})",
                            url.scheme()
                        ),
                    )
                    .help("for example \"http://127.0.0.1:8081\""),
                );
                None
            }
            Err(error) => {
                problems.push(
                    ConfigProblem::new(
                        format!("JupyterHub.{key}"),
                        format!("{text:?} is not a URL: {error}"),
                    )
                    .help("for example \"http://127.0.0.1:8081\""),
                );
                None
            }
        }
    };
    if let Some(text) = &bind_url {
        if let Some(url) = parse("bind_url", text, problems) {
            config.bind_url = url;
        }
    }
    if let Some(text) = &hub_bind_url {
        if let Some(url) = parse("hub_bind_url", text, problems) {
            config.hub_bind_url = url;
        }
    }
    // base_url defaults to bind_url's path, as in JupyterHub; always with both slashes.
    let base = base_url.unwrap_or_else(|| config.bind_url.path().to_owned());
    let trimmed = base.trim_matches('/');
    config.base_url = if trimmed.is_empty() {
        "/".to_owned()
    } else {
        format!("/{trimmed}/")
    };
}

fn read_custom_scopes(config: &mut HubConfig, value: &Value, problems: &mut Vec<ConfigProblem>) {
    let Some(definitions) = value.as_object() else {
        problems.push(
            ConfigProblem::new("JupyterHub.custom_scopes", "must be a table")
                .help("write `custom_scopes = { \"custom:grades:read\" = { description = \"read grades\" } }`"),
        );
        return;
    };
    if let Err(error) = config.scope_table.define_custom_scopes(definitions) {
        problems.push(ConfigProblem::new(
            "JupyterHub.custom_scopes",
            error.to_string(),
        ));
    }
}

fn read_groups(value: &Value, problems: &mut Vec<ConfigProblem>) -> BTreeMap<String, GroupSpec> {
    let path = "JupyterHub.load_groups";
    let mut groups = BTreeMap::new();
    let Some(entries) = value.as_object() else {
        problems.push(
            ConfigProblem::new(path, "must be a table of groups")
                .help("write `load_groups = { team = { users = [\"ada\"] } }`"),
        );
        return groups;
    };
    for (name, entry) in entries {
        let here = format!("{path}.{name}");
        if let Err(invalid) = store::validate_group_name(name) {
            problems.push(ConfigProblem::new(&here, invalid.to_string()));
            continue;
        }
        let mut spec = GroupSpec::default();
        let Some(table) = entry.as_object() else {
            problems.push(
                ConfigProblem::new(&here, "must be a table with `users` and/or `properties`")
                    .help("write `{ users = [\"ada\"], properties = {} }`"),
            );
            continue;
        };
        for (key, item) in table {
            match (key.as_str(), item) {
                ("users", Value::Array(users)) => {
                    for (index, user) in users.iter().enumerate() {
                        match user.as_str() {
                            Some(user) => spec.users.push(user.to_lowercase()),
                            None => problems.push(ConfigProblem::new(
                                format!("{here}.users[{index}]"),
                                "must be a user name (a string)",
                            )),
                        }
                    }
                }
                ("properties", Value::Object(properties)) => {
                    spec.properties = Some(properties.clone());
                }
                ("users", _) => problems.push(ConfigProblem::new(
                    format!("{here}.users"),
                    "must be a list of user names",
                )),
                ("properties", _) => problems.push(ConfigProblem::new(
                    format!("{here}.properties"),
                    "must be a table",
                )),
                (other, _) => problems.push(
                    ConfigProblem::new(format!("{here}.{other}"), "is not a key of a group")
                        .help("a group has `users` and `properties`"),
                ),
            }
        }
        groups.insert(name.clone(), spec);
    }
    groups
}
