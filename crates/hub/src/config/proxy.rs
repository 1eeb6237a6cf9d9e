//! Which proxy routes the public URL, and how the hub reaches it: `[JupyterHub] proxy_class`
//! and the `[ConfigurableHTTPProxy]` section, as JupyterHub names them.

use super::ConfigProblem;
use super::reader::Section;

/// The keys of `[ConfigurableHTTPProxy]` hubcap reads.
pub const PROXY_KEYS: &[&str] = &[
    "should_start",
    "api_url",
    "auth_token",
    "command",
    "check_running_interval",
];

/// The proxy implementations `proxy_class` may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyKind {
    /// hubcap's own proxy (`crates/proxy`), run inside the hub process: the default.
    Embedded,
    /// configurable-http-proxy from npm, as JupyterHub's default `ConfigurableHTTPProxy`.
    ConfigurableHttpProxy,
}

/// The proxy settings, checked.
#[derive(Clone, Debug)]
pub struct ProxySettings {
    /// `JupyterHub.proxy_class`.
    pub kind: ProxyKind,
    /// `ConfigurableHTTPProxy.should_start`: whether the hub starts the proxy (otherwise it
    /// is external and `auth_token` is required).
    pub should_start: bool,
    /// `ConfigurableHTTPProxy.api_url`: where the proxy's REST API listens.
    pub api_url: url::Url,
    /// `ConfigurableHTTPProxy.auth_token` (or `CONFIGPROXY_AUTH_TOKEN`; generated for a
    /// proxy the hub starts when neither is set).
    pub auth_token: Option<String>,
    /// `ConfigurableHTTPProxy.command`.
    pub command: Vec<String>,
    /// `ConfigurableHTTPProxy.check_running_interval`, seconds: how often a started
    /// configurable-http-proxy is checked (and restarted, its routes re-added).
    pub check_running_interval: u32,
}

impl Default for ProxySettings {
    fn default() -> Self {
        ProxySettings {
            kind: ProxyKind::Embedded,
            should_start: true,
            api_url: super::default_url("http://127.0.0.1:8001"),
            auth_token: None,
            command: vec!["configurable-http-proxy".to_owned()],
            check_running_interval: 5,
        }
    }
}

/// The names `proxy_class` accepts, as JupyterHub spells its entry points and classes.
const CLASS_NAMES: &[(&str, ProxyKind)] = &[
    ("embedded", ProxyKind::Embedded),
    ("hubcap", ProxyKind::Embedded),
    ("configurable-http-proxy", ProxyKind::ConfigurableHttpProxy),
    ("configurablehttpproxy", ProxyKind::ConfigurableHttpProxy),
    (
        "jupyterhub.proxy.ConfigurableHTTPProxy",
        ProxyKind::ConfigurableHttpProxy,
    ),
];

/// Reads `proxy_class` (already taken from `[JupyterHub]`) and `[ConfigurableHTTPProxy]`.
pub(super) fn read_proxy(
    settings: &mut ProxySettings,
    proxy_class: Option<String>,
    section: &mut Section<'_>,
) {
    if let Some(class) = proxy_class {
        match CLASS_NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&class))
        {
            Some((_, kind)) => settings.kind = *kind,
            None => section.problem(
                ConfigProblem::new(
                    "JupyterHub.proxy_class",
                    format!("unknown proxy class {class:?}"),
                )
                .help(
                    "use \"embedded\" (hubcap's own proxy, the default) or \
                     \"configurable-http-proxy\" (the npm proxy, started by the hub unless \
                     [ConfigurableHTTPProxy] should_start = false)",
                ),
            ),
        }
    }
    if let Some(flag) = section.boolean("should_start") {
        settings.should_start = flag;
    }
    if let Some(text) = section.string("api_url", "\"http://127.0.0.1:8001\"") {
        match url::Url::parse(&text) {
            Ok(url) if url.scheme() == "http" && url.host_str().is_some() => {
                settings.api_url = url;
            }
            Ok(_) => section.problem(
                ConfigProblem::new(
                    "ConfigurableHTTPProxy.api_url",
                    format!("{text:?} is not an http:// URL with a host"),
                )
                .help("for example \"http://127.0.0.1:8001\""),
            ),
            Err(error) => section.problem(
                ConfigProblem::new(
                    "ConfigurableHTTPProxy.api_url",
                    format!("{text:?} is not a URL: {error}"),
                )
                .help("for example \"http://127.0.0.1:8001\""),
            ),
        }
    }
    settings.auth_token = section
        .string("auth_token", "\"<64 hex digits>\"")
        .filter(|token| !token.is_empty());
    if let Some(command) = section.strings("command", "[\"configurable-http-proxy\"]") {
        if command.is_empty() {
            section.problem(
                ConfigProblem::new("ConfigurableHTTPProxy.command", "the command is empty")
                    .help("for example [\"configurable-http-proxy\"]"),
            );
        } else {
            settings.command = command;
        }
    }
    if let Some(seconds) = section.integer("check_running_interval", 1..=86_400, "5") {
        settings.check_running_interval = u32::try_from(seconds).unwrap_or(5);
    }
}

impl ProxySettings {
    /// Takes `CONFIGPROXY_AUTH_TOKEN` when the file set no token, as JupyterHub does.
    pub fn read_environment(&mut self) {
        if self.auth_token.is_none() {
            self.auth_token = std::env::var("CONFIGPROXY_AUTH_TOKEN")
                .ok()
                .filter(|token| !token.trim().is_empty());
        }
    }
}
