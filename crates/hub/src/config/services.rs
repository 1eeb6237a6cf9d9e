//! `JupyterHub.services`: the services defined by configuration.

use serde_json::{Map, Value};

use super::error::ConfigProblem;

/// The keys a service definition may have (JupyterHub's `Service` traits).
pub const SERVICE_KEYS: &[&str] = &[
    "name",
    "admin",
    "url",
    "api_token",
    "oauth_client_allowed_scopes",
    "info",
    "display",
    "oauth_no_confirm",
    "command",
    "cwd",
    "environment",
    "user",
    "oauth_client_id",
    "oauth_redirect_uri",
];

/// A service from configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSpec {
    /// Its name.
    pub name: String,
    /// The deprecated `admin` flag (the `admin` role is what counts).
    pub admin: bool,
    /// Where the service listens, if it has a web interface.
    pub url: Option<String>,
    /// Its API token, if it calls the hub.
    pub api_token: Option<String>,
    /// Free-form information shown in the service model.
    pub info: Option<Map<String, Value>>,
    /// Whether the service appears on the home page.
    pub display: bool,
    /// Whether users are asked before the service gets their identity.
    pub oauth_no_confirm: bool,
    /// The OAuth client id, when the service uses OAuth.
    pub oauth_client_id: Option<String>,
    /// Where the OAuth flow returns (default: `{base_url}services/{name}/oauth_callback`
    /// when the service has a `url`).
    pub oauth_redirect_uri: Option<String>,
    /// The scopes its OAuth client may request for a user (beyond identifying the user and
    /// accessing the service).
    pub oauth_client_allowed_scopes: Vec<String>,
    /// Whether any OAuth setting was given (JupyterHub's `_oauth_specified`).
    pub oauth_specified: bool,
    /// `command`: the hub starts the service with it (and restarts it when it exits).
    pub command: Vec<String>,
    /// `environment`: added to a managed service's environment.
    pub environment: std::collections::BTreeMap<String, String>,
    /// `cwd`: a managed service's working directory.
    pub cwd: Option<String>,
}

/// Reads `JupyterHub.services` (a list of tables).
pub(crate) fn parse_services(value: &Value, problems: &mut Vec<ConfigProblem>) -> Vec<ServiceSpec> {
    let path = "JupyterHub.services";
    let Some(entries) = value.as_array() else {
        problems.push(
            ConfigProblem::new(path, "must be a list of service tables")
                .help("write `services = [{ name = \"svc\", api_token = \"...\" }]`"),
        );
        return Vec::new();
    };
    let mut specs: Vec<ServiceSpec> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let here = format!("{path}[{index}]");
        let Some(table) = entry.as_object() else {
            problems.push(
                ConfigProblem::new(here, "must be a table")
                    .help("write `{ name = \"svc\", api_token = \"...\" }`"),
            );
            continue;
        };
        if let Some(spec) = parse_service(&here, table, problems) {
            if specs.iter().any(|s| s.name == spec.name) {
                problems.push(ConfigProblem::new(
                    format!("{here}.name"),
                    format!("service {:?} is defined twice", spec.name),
                ));
                continue;
            }
            specs.push(spec);
        }
    }
    specs
}

fn parse_service(
    here: &str,
    table: &Map<String, Value>,
    problems: &mut Vec<ConfigProblem>,
) -> Option<ServiceSpec> {
    let before = problems.len();
    for key in table.keys() {
        if !SERVICE_KEYS.contains(&key.as_str()) {
            let mut problem = ConfigProblem::new(
                format!("{here}.{key}"),
                "is not a key of a service definition",
            );
            problem = match scopes::did_you_mean(key, SERVICE_KEYS.iter().copied()) {
                Some(near) => problem.help(format!("did you mean `{near}`?")),
                None => problem.help(format!("known keys: {}", SERVICE_KEYS.join(", "))),
            };
            problems.push(problem);
        }
    }
    let text = |key: &str, problems: &mut Vec<ConfigProblem>| match table.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => {
            problems.push(ConfigProblem::new(
                format!("{here}.{key}"),
                "must be a string",
            ));
            None
        }
    };
    let flag = |key: &str, default: bool, problems: &mut Vec<ConfigProblem>| match table.get(key) {
        None => default,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => {
            problems.push(ConfigProblem::new(
                format!("{here}.{key}"),
                "must be true or false",
            ));
            default
        }
    };
    let strings = |key: &str, problems: &mut Vec<ConfigProblem>| match table.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        Some(_) => {
            problems.push(ConfigProblem::new(
                format!("{here}.{key}"),
                "must be a list of strings",
            ));
            Vec::new()
        }
    };
    let name = match text("name", problems) {
        Some(name) => name,
        None => {
            if !table.contains_key("name") {
                problems.push(
                    ConfigProblem::new(here, "a service needs a name")
                        .help("add `name = \"my-service\"`"),
                );
            }
            String::new()
        }
    };
    if !name.is_empty() {
        if let Err(invalid) = store::validate_service_name(&name) {
            problems.push(ConfigProblem::new(
                format!("{here}.name"),
                invalid.to_string(),
            ));
        }
    }
    let api_token = text("api_token", problems);
    if let Some(token) = &api_token {
        if let Err(error) = tokens::check_min_length(token) {
            problems.push(
                ConfigProblem::new(format!("{here}.api_token"), error.to_string())
                    .help("generate one with `openssl rand -hex 32`"),
            );
        }
    }
    let command = strings("command", problems);
    if table.contains_key("command")
        && command.is_empty()
        && !table.get("command").is_some_and(Value::is_null)
    {
        problems.push(
            ConfigProblem::new(format!("{here}.command"), "the command is empty")
                .help("for example `command = [\"python3\", \"-m\", \"my_service\"]`"),
        );
    }
    if table.get("user").is_some_and(|user| !user.is_null()) {
        problems.push(
            ConfigProblem::new(
                format!("{here}.user"),
                "running a managed service as another system user is not supported",
            )
            .help("leave `user` out: the service runs as the hub's own user"),
        );
    }
    let mut environment = std::collections::BTreeMap::new();
    match table.get("environment") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, value) in map {
                match value {
                    Value::String(text) => {
                        environment.insert(key.clone(), text.clone());
                    }
                    _ => problems.push(ConfigProblem::new(
                        format!("{here}.environment.{key}"),
                        "must be a string",
                    )),
                }
            }
        }
        Some(_) => problems.push(ConfigProblem::new(
            format!("{here}.environment"),
            "must be a table of strings",
        )),
    }
    let cwd = text("cwd", problems);
    let info = match table.get("info") {
        None | Some(Value::Null) => None,
        Some(Value::Object(info)) => Some(info.clone()),
        Some(_) => {
            problems.push(ConfigProblem::new(
                format!("{here}.info"),
                "must be a table",
            ));
            None
        }
    };
    let spec = ServiceSpec {
        admin: flag("admin", false, problems),
        url: text("url", problems),
        api_token,
        info,
        display: flag("display", true, problems),
        oauth_no_confirm: flag("oauth_no_confirm", false, problems),
        oauth_client_id: text("oauth_client_id", problems),
        oauth_redirect_uri: text("oauth_redirect_uri", problems),
        oauth_client_allowed_scopes: strings("oauth_client_allowed_scopes", problems),
        oauth_specified: ["oauth_client_id", "oauth_redirect_uri", "oauth_no_confirm"]
            .iter()
            .any(|key| {
                !matches!(
                    table.get(*key),
                    None | Some(Value::Null) | Some(Value::Bool(false))
                ) && table.get(*key) != Some(&Value::String(String::new()))
            }),
        name,
        command,
        environment,
        cwd,
    };
    if spec.oauth_specified && spec.url.is_none() && spec.oauth_redirect_uri.is_none() {
        problems.push(
            ConfigProblem::new(
                format!("{here}.oauth_redirect_uri"),
                format!(
                    "service {:?} has OAuth configured, but is missing required oauth_redirect_uri",
                    spec.name
                ),
            )
            .help("give the service a `url`, or `oauth_redirect_uri = \"https://host/oauth_callback\"`"),
        );
    }
    if let Some(id) = &spec.oauth_client_id {
        if !id.starts_with("service-") {
            problems.push(
                ConfigProblem::new(
                    format!("{here}.oauth_client_id"),
                    format!("`{id}` does not start with `service-`"),
                )
                .help(format!("JupyterHub requires it: write \"service-{id}\"")),
            );
        }
    }
    (problems.len() == before).then_some(spec)
}
