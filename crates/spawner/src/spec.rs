//! What the hub decides before a server starts ([`SpawnSpec`]) and where the server answers once
//! started ([`ServerEndpoint`]). Plain data: the hub fills it, the spawner reads it.

use crate::urls::{quote, url_escape_path, url_path_join};
use std::collections::BTreeMap;
use std::time::Duration;

/// Where the hub is, as a server sees it: JupyterHub's `base_url` and `hub.api_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubLocation {
    /// `JupyterHub.base_url`, with leading and trailing slash (default `/`).
    pub base_url: String,
    /// The hub's API URL as the server reaches it, e.g. `http://127.0.0.1:8081/hub/api`.
    pub api_url: String,
}

/// The TLS files of internal SSL (`Spawner.cert_paths`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertPaths {
    /// `JUPYTERHUB_SSL_KEYFILE`.
    pub keyfile: String,
    /// `JUPYTERHUB_SSL_CERTFILE`.
    pub certfile: String,
    /// `JUPYTERHUB_SSL_CLIENT_CA`.
    pub cafile: String,
}

/// Everything the hub decides about one server before it starts, named after the JupyterHub
/// attribute it stands for. [`SpawnSpec::new`] fills JupyterHub's defaults; the hub then
/// overrides what its configuration says.
#[derive(Debug, Clone, PartialEq)]
pub struct SpawnSpec {
    /// The hub user's name (`user.name`).
    pub user: String,
    /// The server's name, empty for the default server (`spawner.name`).
    pub server_name: String,
    /// `JupyterHub.base_url` (`/` by default); `JUPYTERHUB_BASE_URL`.
    pub base_url: String,
    /// `hub.api_url`, e.g. `http://127.0.0.1:8081/hub/api`.
    pub hub_api_url: String,
    /// `Spawner.hub_connect_url`: when set, replaces the origin of `hub_api_url`.
    pub hub_connect_url: Option<String>,
    /// `hub.public_host`: the subdomain host with subdomains, else empty; `JUPYTERHUB_HOST`.
    pub hub_public_host: String,
    /// `user.url`: `/user/NAME/` (or `https://NAME.example.org/user/NAME/` with subdomains).
    pub user_url: String,
    /// `server.base_url`: `/user/NAME/` or `/user/NAME/SERVER/`; `JUPYTERHUB_SERVICE_PREFIX`.
    pub service_prefix: String,
    /// `Spawner.public_url`: the server's public URL when the hub has one, else empty.
    pub public_url: String,
    /// `Spawner.public_hub_url`: the hub's public URL when configured, else empty.
    pub public_hub_url: String,
    /// The server's API token (`spawner.api_token`). Never logged.
    pub api_token: String,
    /// `spawner.oauth_client_id`: `jupyterhub-user-NAME[-SERVER]`.
    pub oauth_client_id: String,
    /// `Spawner.oauth_access_scopes`.
    pub oauth_access_scopes: Vec<String>,
    /// `Spawner.oauth_client_allowed_scopes` as configured (without the access scopes).
    pub oauth_client_allowed_scopes: Vec<String>,
    /// `JupyterHub.cookie_options`, a JSON object, when not empty.
    pub cookie_options: Option<serde_json::Map<String, serde_json::Value>>,
    /// `JupyterHub.cookie_host_prefix_enabled`.
    pub cookie_host_prefix_enabled: bool,
    /// `JupyterHub.admin_access`.
    pub admin_access: bool,
    /// `Spawner.debug`.
    pub debug: bool,
    /// `Spawner.disable_user_config`.
    pub disable_user_config: bool,
    /// `internal_ssl`: the server speaks HTTPS.
    pub internal_ssl: bool,
    /// `Spawner.cert_paths`, with internal SSL.
    pub cert_paths: Option<CertPaths>,
    /// `Spawner.mem_limit` in bytes.
    pub mem_limit: Option<u64>,
    /// `Spawner.mem_guarantee` in bytes.
    pub mem_guarantee: Option<u64>,
    /// `Spawner.cpu_limit` in cores.
    pub cpu_limit: Option<f64>,
    /// `Spawner.cpu_guarantee` in cores.
    pub cpu_guarantee: Option<f64>,
    /// `Spawner.notebook_dir`, a template with `{username}` and `{base_url}`.
    pub notebook_dir: Option<String>,
    /// `Spawner.default_url`, a template with `{username}` and `{base_url}`.
    pub default_url: Option<String>,
    /// `Spawner.env_keep`: variables passed through from the hub's own environment.
    pub env_keep: Vec<String>,
    /// `Spawner.environment`: applied last, over everything else.
    pub environment: BTreeMap<String, String>,
    /// `Spawner.cmd` (default `["jupyterhub-singleuser"]`).
    pub cmd: Vec<String>,
    /// `Spawner.args`: appended to `cmd`; the hub itself adds none.
    pub args: Vec<String>,
    /// `spawner.user_options` as given by the user (kept for the spawner, not put in the environment).
    pub user_options: serde_json::Value,
    /// `Spawner.ip`: where the server listens (default `127.0.0.1`).
    pub ip: String,
    /// `Spawner.port`: 0 means the spawner picks a free port.
    pub port: u16,
    /// `Spawner.start_timeout` (60 s).
    pub start_timeout: Duration,
    /// `Spawner.http_timeout` (30 s).
    pub http_timeout: Duration,
}

/// `LocalProcessSpawner.env_keep`'s default.
pub const LOCAL_PROCESS_ENV_KEEP: [&str; 9] = [
    "CONDA_DEFAULT_ENV",
    "CONDA_ROOT",
    "JUPYTERHUB_SINGLEUSER_APP",
    "LANG",
    "LC_ALL",
    "LD_LIBRARY_PATH",
    "PATH",
    "PYTHONPATH",
    "VIRTUAL_ENV",
];

impl SpawnSpec {
    /// A spec with JupyterHub 6.1.1's defaults for `user`'s server `server_name` (empty for the
    /// default server), as `User.spawn` and `User._new_spawner` derive them.
    pub fn new(user: &str, server_name: &str, hub: &HubLocation, api_token: String) -> Self {
        let user_url = url_path_join(&[&hub.base_url, "user", &url_escape_path(user), "/"]);
        let service_prefix = url_path_join(&[&user_url, &url_escape_path(server_name), "/"]);
        let mut oauth_client_id = format!("jupyterhub-user-{}", quote(user));
        if !server_name.is_empty() {
            oauth_client_id = format!("{oauth_client_id}-{}", quote(server_name));
        }
        Self {
            user: user.to_owned(),
            server_name: server_name.to_owned(),
            base_url: hub.base_url.clone(),
            hub_api_url: hub.api_url.clone(),
            hub_connect_url: None,
            hub_public_host: String::new(),
            user_url,
            service_prefix,
            public_url: String::new(),
            public_hub_url: String::new(),
            api_token,
            oauth_client_id,
            oauth_access_scopes: vec![
                format!("access:servers!server={user}/{server_name}"),
                format!("access:servers!user={user}"),
            ],
            oauth_client_allowed_scopes: Vec::new(),
            cookie_options: None,
            cookie_host_prefix_enabled: false,
            admin_access: false,
            debug: false,
            disable_user_config: false,
            internal_ssl: false,
            cert_paths: None,
            mem_limit: None,
            mem_guarantee: None,
            cpu_limit: None,
            cpu_guarantee: None,
            notebook_dir: None,
            default_url: None,
            env_keep: LOCAL_PROCESS_ENV_KEEP
                .iter()
                .map(|key| (*key).to_owned())
                .collect(),
            environment: BTreeMap::new(),
            cmd: vec!["jupyterhub-singleuser".to_owned()],
            args: Vec::new(),
            user_options: serde_json::Value::Object(serde_json::Map::new()),
            ip: "127.0.0.1".to_owned(),
            port: 0,
            start_timeout: Duration::from_secs(60),
            http_timeout: Duration::from_secs(30),
        }
    }

    /// `user.server_url(name)`: the URL path of the server (the progress stream's `url`).
    pub fn server_url(&self) -> String {
        url_path_join(&[&self.user_url, &url_escape_path(&self.server_name), "/"])
    }

    /// `http` or `https` (`internal_ssl`).
    pub fn proto(&self) -> &'static str {
        if self.internal_ssl { "https" } else { "http" }
    }
}

/// Where a started server answers: what `Spawner.start()` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEndpoint {
    /// The address the hub connects to.
    pub ip: String,
    /// The port.
    pub port: u16,
    /// `proto://ip:port`, without path (`User.spawn` builds it from `(ip, port)`).
    pub url: String,
}

impl ServerEndpoint {
    /// The endpoint for `(ip, port)` as `User.spawn` turns a tuple into a URL (IPv6 bracketed).
    pub fn new(proto: &str, ip: &str, port: u16) -> Self {
        Self {
            ip: ip.to_owned(),
            port,
            url: format!("{proto}://{}:{port}", crate::urls::fmt_ip_url(ip)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub() -> HubLocation {
        HubLocation {
            base_url: "/".to_owned(),
            api_url: "http://127.0.0.1:8081/hub/api".to_owned(),
        }
    }

    #[test]
    fn default_server_urls_and_client_id() {
        let spec = SpawnSpec::new("alice", "", &hub(), "t".to_owned());
        assert_eq!(spec.user_url, "/user/alice/");
        assert_eq!(spec.service_prefix, "/user/alice/");
        assert_eq!(spec.server_url(), "/user/alice/");
        assert_eq!(spec.oauth_client_id, "jupyterhub-user-alice");
        assert_eq!(
            spec.oauth_access_scopes,
            ["access:servers!server=alice/", "access:servers!user=alice"]
        );
    }

    #[test]
    fn named_server_under_a_base_url_with_escaped_names() {
        let hub = HubLocation {
            base_url: "/jh/".to_owned(),
            api_url: "http://10.0.0.1:8081/jh/hub/api".to_owned(),
        };
        let spec = SpawnSpec::new("a b@c", "proj/1", &hub, "t".to_owned());
        assert_eq!(spec.user_url, "/jh/user/a%20b@c/");
        assert_eq!(spec.service_prefix, "/jh/user/a%20b@c/proj%2F1/");
        assert_eq!(spec.oauth_client_id, "jupyterhub-user-a%20b%40c-proj/1");
        assert_eq!(
            spec.oauth_access_scopes,
            [
                "access:servers!server=a b@c/proj/1",
                "access:servers!user=a b@c"
            ]
        );
    }

    #[test]
    fn endpoint_url_brackets_ipv6() {
        assert_eq!(
            ServerEndpoint::new("http", "::1", 8888).url,
            "http://[::1]:8888"
        );
        assert_eq!(
            ServerEndpoint::new("http", "127.0.0.1", 8888).url,
            "http://127.0.0.1:8888"
        );
    }
}
