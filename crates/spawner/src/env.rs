//! The environment a single-user server is given: JupyterHub 6.1.1's `Spawner.get_env()`,
//! variable for variable, as a pure function of the [`SpawnSpec`] and the hub's own environment.
//! The local-process spawner adds `USER`, `HOME` and `SHELL` from the passwd entry on top
//! (`LocalProcessSpawner.user_env`), see `local::run_as`.

use crate::SpawnError;
use crate::pyjson;
use crate::spec::SpawnSpec;
use crate::urls::{fmt_ip_url, url_escape_path, url_path, url_path_join};
use std::collections::BTreeMap;

/// The server's environment, as `Spawner.get_env()` builds it. `hub_env` is the hub process's
/// own environment, from which only `spec.env_keep` is taken. The process is started with
/// exactly this environment, nothing else inherited.
///
/// # Errors
/// [`SpawnError::Template`] when `notebook_dir` or `default_url` names an unknown placeholder.
pub fn environment(
    spec: &SpawnSpec,
    hub_env: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, SpawnError> {
    let mut env = BTreeMap::new();
    let mut set = |key: &str, value: String| {
        env.insert(key.to_owned(), value);
    };
    for key in &spec.env_keep {
        if let Some(value) = hub_env.get(key) {
            set(key, value.clone());
        }
    }
    set("JUPYTERHUB_API_TOKEN", spec.api_token.clone());
    set("JPY_API_TOKEN", spec.api_token.clone());
    if spec.admin_access {
        set("JUPYTERHUB_ADMIN_ACCESS", "1".to_owned());
    }
    set("JUPYTERHUB_CLIENT_ID", spec.oauth_client_id.clone());
    if let Some(options) = spec
        .cookie_options
        .as_ref()
        .filter(|options| !options.is_empty())
    {
        set(
            "JUPYTERHUB_COOKIE_OPTIONS",
            pyjson::dumps(&serde_json::Value::Object(options.clone())),
        );
    }
    set(
        "JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED",
        u8::from(spec.cookie_host_prefix_enabled).to_string(),
    );
    set("JUPYTERHUB_HOST", spec.hub_public_host.clone());
    set(
        "JUPYTERHUB_OAUTH_CALLBACK_URL",
        url_path_join(&[
            &spec.user_url,
            &url_escape_path(&spec.server_name),
            "oauth_callback",
        ]),
    );
    let access_scopes = pyjson::dumps_strings(&spec.oauth_access_scopes);
    set("JUPYTERHUB_OAUTH_SCOPES", access_scopes.clone());
    set("JUPYTERHUB_OAUTH_ACCESS_SCOPES", access_scopes);
    set(
        "JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES",
        pyjson::dumps_strings(&spec.oauth_client_allowed_scopes),
    );
    set("JUPYTERHUB_USER", spec.user.clone());
    set("JUPYTERHUB_SERVER_NAME", spec.server_name.clone());
    let hub_api_url = match &spec.hub_connect_url {
        Some(connect_url) => url_path_join(&[connect_url, url_path(&spec.hub_api_url)]),
        None => spec.hub_api_url.clone(),
    };
    set(
        "JUPYTERHUB_ACTIVITY_URL",
        url_path_join(&[
            &hub_api_url,
            "users",
            &url_escape_path(&spec.user),
            "activity",
        ]),
    );
    set("JUPYTERHUB_API_URL", hub_api_url);
    set("JUPYTERHUB_BASE_URL", spec.base_url.clone());
    set("JUPYTERHUB_SERVICE_PREFIX", spec.service_prefix.clone());
    set(
        "JUPYTERHUB_SERVICE_URL",
        format!(
            "{}://{}:{}{}",
            spec.proto(),
            fmt_ip_url(&spec.ip),
            spec.port,
            spec.service_prefix
        ),
    );
    set("JUPYTERHUB_PUBLIC_URL", spec.public_url.clone());
    set("JUPYTERHUB_PUBLIC_HUB_URL", spec.public_hub_url.clone());
    for (key, value) in [
        ("MEM_LIMIT", spec.mem_limit),
        ("MEM_GUARANTEE", spec.mem_guarantee),
    ] {
        if let Some(bytes) = value.filter(|bytes| *bytes != 0) {
            set(key, bytes.to_string());
        }
    }
    for (key, value) in [
        ("CPU_LIMIT", spec.cpu_limit),
        ("CPU_GUARANTEE", spec.cpu_guarantee),
    ] {
        if let Some(cores) = value.filter(|cores| *cores != 0.0) {
            set(key, python_float(cores));
        }
    }
    if let Some(paths) = &spec.cert_paths {
        set("JUPYTERHUB_SSL_KEYFILE", paths.keyfile.clone());
        set("JUPYTERHUB_SSL_CERTFILE", paths.certfile.clone());
        set("JUPYTERHUB_SSL_CLIENT_CA", paths.cafile.clone());
    }
    if let Some(template) = spec.notebook_dir.as_deref().filter(|dir| !dir.is_empty()) {
        set(
            "JUPYTERHUB_ROOT_DIR",
            format_string("notebook_dir", template, spec)?,
        );
    }
    if let Some(template) = spec.default_url.as_deref().filter(|url| !url.is_empty()) {
        set(
            "JUPYTERHUB_DEFAULT_URL",
            format_string("default_url", template, spec)?,
        );
    }
    if spec.debug {
        set("JUPYTERHUB_DEBUG", "1".to_owned());
    }
    if spec.disable_user_config {
        set("JUPYTERHUB_DISABLE_USER_CONFIG", "1".to_owned());
    }
    for (key, value) in &spec.environment {
        set(key, value.clone());
    }
    Ok(env)
}

/// `str(float)` in Python: `1.0`, `0.5`.
fn python_float(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e16 {
        format!("{value:.1}")
    } else {
        value.to_string()
    }
}

/// `Spawner.format_string`: Python's `str.format` with `username` and `base_url`.
fn format_string(
    field: &'static str,
    template: &str,
    spec: &SpawnSpec,
) -> Result<String, SpawnError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(rest.get(..at).unwrap_or(""));
        let tail = rest.get(at..).unwrap_or("");
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
        } else if let Some(after) = tail.strip_prefix('{') {
            let end = after.find('}').unwrap_or(after.len());
            let name = after.get(..end).unwrap_or("");
            match name {
                "username" => out.push_str(&spec.user),
                "base_url" => out.push_str(&spec.service_prefix),
                _ => {
                    return Err(SpawnError::Template {
                        field,
                        template: template.to_owned(),
                        placeholder: name.to_owned(),
                    });
                }
            }
            rest = after.get(end + 1..).unwrap_or("");
        } else {
            out.push('}');
            rest = tail.get(1..).unwrap_or("");
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    //! One test per variable, each naming the line of `Spawner.get_env()` (jupyterhub 6.1.1,
    //! `jupyterhub/spawner.py`) that sets it.
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;
    use crate::spec::{CertPaths, HubLocation};

    fn alice() -> SpawnSpec {
        let hub = HubLocation {
            base_url: "/".to_owned(),
            api_url: "http://127.0.0.1:8081/hub/api".to_owned(),
        };
        let mut spec = SpawnSpec::new(
            "alice",
            "",
            &hub,
            "0123456789abcdef0123456789abcdef".to_owned(),
        );
        spec.port = 46881;
        spec
    }

    fn env_of(spec: &SpawnSpec) -> BTreeMap<String, String> {
        environment(spec, &BTreeMap::new()).unwrap()
    }

    /// `check(spec, variable, expected)`: `None` means "not set".
    fn check(spec: &SpawnSpec, key: &str, want: Option<&str>) {
        assert_eq!(env_of(spec).get(key).map(String::as_str), want, "{key}");
    }

    #[test]
    fn api_token_and_deprecated_alias() {
        // env['JUPYTERHUB_API_TOKEN'] = self.api_token; env['JPY_API_TOKEN'] = self.api_token
        check(
            &alice(),
            "JUPYTERHUB_API_TOKEN",
            Some("0123456789abcdef0123456789abcdef"),
        );
        check(
            &alice(),
            "JPY_API_TOKEN",
            Some("0123456789abcdef0123456789abcdef"),
        );
    }

    #[test]
    fn admin_access_only_when_set() {
        // if self.admin_access: env['JUPYTERHUB_ADMIN_ACCESS'] = '1'
        check(&alice(), "JUPYTERHUB_ADMIN_ACCESS", None);
        let mut spec = alice();
        spec.admin_access = true;
        check(&spec, "JUPYTERHUB_ADMIN_ACCESS", Some("1"));
    }

    #[test]
    fn client_id() {
        // env['JUPYTERHUB_CLIENT_ID'] = self.oauth_client_id
        check(
            &alice(),
            "JUPYTERHUB_CLIENT_ID",
            Some("jupyterhub-user-alice"),
        );
    }

    #[test]
    fn cookie_options_as_python_json_when_not_empty() {
        // if self.cookie_options: env['JUPYTERHUB_COOKIE_OPTIONS'] = json.dumps(self.cookie_options)
        check(&alice(), "JUPYTERHUB_COOKIE_OPTIONS", None);
        let mut spec = alice();
        spec.cookie_options =
            Some(serde_json::from_str(r#"{"expires_days": 1, "secure": true}"#).unwrap());
        check(
            &spec,
            "JUPYTERHUB_COOKIE_OPTIONS",
            Some(r#"{"expires_days": 1, "secure": true}"#),
        );
    }

    #[test]
    fn cookie_host_prefix_enabled_as_digit() {
        // env["JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED"] = str(int(self.cookie_host_prefix_enabled))
        check(&alice(), "JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED", Some("0"));
        let mut spec = alice();
        spec.cookie_host_prefix_enabled = true;
        check(&spec, "JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED", Some("1"));
    }

    #[test]
    fn host_is_hub_public_host() {
        // env['JUPYTERHUB_HOST'] = self.hub.public_host
        check(&alice(), "JUPYTERHUB_HOST", Some(""));
        let mut spec = alice();
        spec.hub_public_host = "https://hub.example.org".to_owned();
        check(&spec, "JUPYTERHUB_HOST", Some("https://hub.example.org"));
    }

    #[test]
    fn oauth_callback_url_under_user_url() {
        // url_path_join(self.user.url, url_escape_path(self.name), 'oauth_callback')
        check(
            &alice(),
            "JUPYTERHUB_OAUTH_CALLBACK_URL",
            Some("/user/alice/oauth_callback"),
        );
        let hub = HubLocation {
            base_url: "/".to_owned(),
            api_url: "http://127.0.0.1:8081/hub/api".to_owned(),
        };
        let spec = SpawnSpec::new("alice", "my proj", &hub, "t".to_owned());
        check(
            &spec,
            "JUPYTERHUB_OAUTH_CALLBACK_URL",
            Some("/user/alice/my%20proj/oauth_callback"),
        );
    }

    #[test]
    fn access_scopes_and_deprecated_alias_as_python_json() {
        // env['JUPYTERHUB_OAUTH_SCOPES'] = env['JUPYTERHUB_OAUTH_ACCESS_SCOPES'] = json.dumps(self.oauth_access_scopes)
        let want = r#"["access:servers!server=alice/", "access:servers!user=alice"]"#;
        check(&alice(), "JUPYTERHUB_OAUTH_ACCESS_SCOPES", Some(want));
        check(&alice(), "JUPYTERHUB_OAUTH_SCOPES", Some(want));
    }

    #[test]
    fn client_allowed_scopes_as_configured() {
        // env['JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES'] = json.dumps(self.oauth_client_allowed_scopes)
        check(
            &alice(),
            "JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES",
            Some("[]"),
        );
        let mut spec = alice();
        spec.oauth_client_allowed_scopes = vec!["read:users!user".to_owned()];
        check(
            &spec,
            "JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES",
            Some(r#"["read:users!user"]"#),
        );
    }

    #[test]
    fn user_and_server_name() {
        // env['JUPYTERHUB_USER'] = self.user.name; env['JUPYTERHUB_SERVER_NAME'] = self.name
        check(&alice(), "JUPYTERHUB_USER", Some("alice"));
        check(&alice(), "JUPYTERHUB_SERVER_NAME", Some(""));
    }

    #[test]
    fn api_url_and_activity_url() {
        // env['JUPYTERHUB_API_URL'] = hub_api_url
        // env['JUPYTERHUB_ACTIVITY_URL'] = url_path_join(hub_api_url, 'users', escaped_name, 'activity')
        check(
            &alice(),
            "JUPYTERHUB_API_URL",
            Some("http://127.0.0.1:8081/hub/api"),
        );
        check(
            &alice(),
            "JUPYTERHUB_ACTIVITY_URL",
            Some("http://127.0.0.1:8081/hub/api/users/alice/activity"),
        );
    }

    #[test]
    fn hub_connect_url_replaces_the_api_origin() {
        // hub_api_url = url_path_join(self.hub_connect_url, urlparse(self.hub.api_url).path)
        let mut spec = alice();
        spec.hub_connect_url = Some("http://hub.internal:8081".to_owned());
        check(
            &spec,
            "JUPYTERHUB_API_URL",
            Some("http://hub.internal:8081/hub/api"),
        );
        check(
            &spec,
            "JUPYTERHUB_ACTIVITY_URL",
            Some("http://hub.internal:8081/hub/api/users/alice/activity"),
        );
    }

    #[test]
    fn base_url_is_hub_base_url_without_hub() {
        // env['JUPYTERHUB_BASE_URL'] = self.hub.base_url[:-4]
        check(&alice(), "JUPYTERHUB_BASE_URL", Some("/"));
    }

    #[test]
    fn service_prefix_and_service_url() {
        // env['JUPYTERHUB_SERVICE_PREFIX'] = self.server.base_url
        // env["JUPYTERHUB_SERVICE_URL"] = f"{proto}://{fmt_ip_url(self.ip)}:{self.port}{base_url}"
        check(&alice(), "JUPYTERHUB_SERVICE_PREFIX", Some("/user/alice/"));
        check(
            &alice(),
            "JUPYTERHUB_SERVICE_URL",
            Some("http://127.0.0.1:46881/user/alice/"),
        );
        let mut spec = alice();
        spec.ip = "::1".to_owned();
        spec.internal_ssl = true;
        check(
            &spec,
            "JUPYTERHUB_SERVICE_URL",
            Some("https://[::1]:46881/user/alice/"),
        );
    }

    #[test]
    fn public_urls_empty_unless_configured() {
        // env["JUPYTERHUB_PUBLIC_URL"] = self.public_url; env["JUPYTERHUB_PUBLIC_HUB_URL"] = self.public_hub_url
        check(&alice(), "JUPYTERHUB_PUBLIC_URL", Some(""));
        check(&alice(), "JUPYTERHUB_PUBLIC_HUB_URL", Some(""));
    }

    #[test]
    fn limits_and_guarantees_when_set() {
        // if self.mem_limit: env['MEM_LIMIT'] = str(self.mem_limit) (and the three others)
        check(&alice(), "MEM_LIMIT", None);
        let mut spec = alice();
        spec.mem_limit = Some(1 << 30);
        spec.mem_guarantee = Some(0);
        spec.cpu_limit = Some(2.0);
        spec.cpu_guarantee = Some(0.5);
        check(&spec, "MEM_LIMIT", Some("1073741824"));
        check(&spec, "MEM_GUARANTEE", None);
        check(&spec, "CPU_LIMIT", Some("2.0"));
        check(&spec, "CPU_GUARANTEE", Some("0.5"));
    }

    #[test]
    fn ssl_files_with_cert_paths() {
        // if self.cert_paths: env['JUPYTERHUB_SSL_KEYFILE'] = ... (and CERTFILE, CLIENT_CA)
        let mut spec = alice();
        spec.cert_paths = Some(CertPaths {
            keyfile: "k".to_owned(),
            certfile: "c".to_owned(),
            cafile: "a".to_owned(),
        });
        check(&spec, "JUPYTERHUB_SSL_KEYFILE", Some("k"));
        check(&spec, "JUPYTERHUB_SSL_CERTFILE", Some("c"));
        check(&spec, "JUPYTERHUB_SSL_CLIENT_CA", Some("a"));
    }

    #[test]
    fn root_dir_and_default_url_are_formatted() {
        // env["JUPYTERHUB_ROOT_DIR"] = self.format_string(self.notebook_dir), same for JUPYTERHUB_DEFAULT_URL
        check(&alice(), "JUPYTERHUB_ROOT_DIR", None);
        check(&alice(), "JUPYTERHUB_DEFAULT_URL", None);
        let mut spec = alice();
        spec.notebook_dir = Some("/srv/{username}/{{x}}".to_owned());
        spec.default_url = Some("{base_url}lab".to_owned());
        check(&spec, "JUPYTERHUB_ROOT_DIR", Some("/srv/alice/{x}"));
        check(&spec, "JUPYTERHUB_DEFAULT_URL", Some("/user/alice/lab"));
    }

    #[test]
    fn unknown_placeholder_is_an_error_naming_it() {
        let mut spec = alice();
        spec.notebook_dir = Some("/srv/{user}".to_owned());
        let error = environment(&spec, &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("`notebook_dir`")
                && error.contains("`{user}`")
                && error.contains("{username}"),
            "{error}"
        );
    }

    #[test]
    fn debug_and_disable_user_config_when_set() {
        // if self.debug: env["JUPYTERHUB_DEBUG"] = "1"; if self.disable_user_config: ... = "1"
        check(&alice(), "JUPYTERHUB_DEBUG", None);
        check(&alice(), "JUPYTERHUB_DISABLE_USER_CONFIG", None);
        let mut spec = alice();
        spec.debug = true;
        spec.disable_user_config = true;
        check(&spec, "JUPYTERHUB_DEBUG", Some("1"));
        check(&spec, "JUPYTERHUB_DISABLE_USER_CONFIG", Some("1"));
    }

    #[test]
    fn env_keep_passes_only_listed_variables_through() {
        // for key in self.env_keep: if key in os.environ: env[key] = os.environ[key]
        let hub_env: BTreeMap<String, String> = [
            ("PATH", "/usr/bin"),
            ("LANG", "C.UTF-8"),
            ("CONFIGPROXY_AUTH_TOKEN", "secret"),
            ("HOME", "/root"),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect();
        let env = environment(&alice(), &hub_env).unwrap();
        assert_eq!(env.get("PATH").map(String::as_str), Some("/usr/bin"));
        assert_eq!(env.get("LANG").map(String::as_str), Some("C.UTF-8"));
        assert_eq!(env.get("CONFIGPROXY_AUTH_TOKEN"), None);
        assert_eq!(env.get("HOME"), None);
        assert_eq!(env.get("VIRTUAL_ENV"), None);
    }

    #[test]
    fn configured_environment_wins_over_everything() {
        // for key, value in self.environment.items(): env[key] = value (called last)
        let mut spec = alice();
        spec.environment.insert(
            "JUPYTERHUB_API_URL".to_owned(),
            "http://elsewhere/hub/api".to_owned(),
        );
        spec.environment.insert("EXTRA".to_owned(), "1".to_owned());
        check(
            &spec,
            "JUPYTERHUB_API_URL",
            Some("http://elsewhere/hub/api"),
        );
        check(&spec, "EXTRA", Some("1"));
    }

    #[test]
    fn the_live_run_has_exactly_these_variables() {
        // the variable set of the live run in the reference (§5.2), less USER/HOME/SHELL
        let keys: Vec<String> = env_of(&alice()).into_keys().collect();
        let want = [
            "JPY_API_TOKEN",
            "JUPYTERHUB_ACTIVITY_URL",
            "JUPYTERHUB_API_TOKEN",
            "JUPYTERHUB_API_URL",
            "JUPYTERHUB_BASE_URL",
            "JUPYTERHUB_CLIENT_ID",
            "JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED",
            "JUPYTERHUB_HOST",
            "JUPYTERHUB_OAUTH_ACCESS_SCOPES",
            "JUPYTERHUB_OAUTH_CALLBACK_URL",
            "JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES",
            "JUPYTERHUB_OAUTH_SCOPES",
            "JUPYTERHUB_PUBLIC_HUB_URL",
            "JUPYTERHUB_PUBLIC_URL",
            "JUPYTERHUB_SERVER_NAME",
            "JUPYTERHUB_SERVICE_PREFIX",
            "JUPYTERHUB_SERVICE_URL",
            "JUPYTERHUB_USER",
        ];
        assert_eq!(keys, want);
    }
}
