//! The configuration file: JupyterHub's keys, and errors that name the key, the problem and
//! the fix.

use hub::HubConfig;

fn problems(text: &str) -> Vec<String> {
    match HubConfig::from_toml(text, "test.toml") {
        Ok(_) => Vec::new(),
        Err(errors) => errors.problems.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn defaults_are_sqlite_on_loopback() {
    let config = HubConfig::defaults();
    assert_eq!(config.db_url, "sqlite:///jupyterhub.sqlite");
    assert_eq!(config.hub_bind_url.as_str(), "http://127.0.0.1:8081/");
    assert_eq!(config.base_url, "/");
}

#[test]
fn unknown_keys_get_did_you_mean() {
    let found = problems("[JupyterHub]\nload_role = []\n");
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("JupyterHub.load_role: is not a setting"),
        "{found:?}"
    );
    assert!(found[0].contains("did you mean `load_roles`?"), "{found:?}");
    let found = problems("[JupyterHub]\nallowed_users = [\"a\"]\n");
    assert!(
        found[0].contains("`allowed_users` belongs in [Authenticator]"),
        "{found:?}"
    );
    let found = problems("[Jupyterhub]\n");
    assert!(found[0].contains("did you mean [JupyterHub]?"), "{found:?}");
}

#[test]
fn wrong_types_name_the_expected_type() {
    let found = problems(
        "[JupyterHub]\nallow_named_servers = \"yes\"\n[Authenticator]\nadmin_users = \"ada\"\n",
    );
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].contains("JupyterHub.allow_named_servers: must be true or false, not a string")
    );
    assert!(
        found[1].contains("Authenticator.admin_users: must be a list of strings, not a string")
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = r#"
[JupyterHub]
hub_bind_url = "nonsense"
load_roles = [ { name = "r", scopes = ["read:user"] } ]
services = [ { name = "svc", api_token = "short", colour = "red" } ]
"#;
    let found = problems(text);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("JupyterHub.hub_bind_url")),
        "{found:?}"
    );
    assert!(found.iter().any(|p| p.contains("read:users")), "{found:?}");
    assert!(
        found.iter().any(|p| p.contains("services[0].colour")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p.contains("services[0].api_token")),
        "{found:?}"
    );
}

#[test]
fn syntax_errors_point_at_the_line() {
    let found = problems("[JupyterHub]\nbase_url = \n");
    assert_eq!(found.len(), 1);
    assert!(found[0].starts_with("line 2"), "{found:?}");
}

#[test]
fn base_url_comes_from_bind_url() {
    let config = HubConfig::from_toml(
        "[JupyterHub]\nbind_url = \"http://127.0.0.1:8000/jh\"\n",
        "t",
    )
    .unwrap();
    assert_eq!(config.base_url, "/jh/");
    assert_eq!(config.hub_prefix(), "/jh/hub/");
}

#[test]
fn login_settings_are_checked() {
    assert_eq!(
        problems("[JupyterHub]\nauthenticator_class = \"dumy\"\n"),
        [
            "JupyterHub.authenticator_class: `dumy` is not an authenticator hubcap has (did you mean \"dummy\"?)"
        ]
    );
    let pam = problems("[JupyterHub]\nauthenticator_class = \"pam\"\n");
    assert!(
        pam[0].contains("hubcap has no PAM authenticator"),
        "{pam:?}"
    );
    let found = problems("[DummyAuthenticator]\npasword = \"x\"\n");
    assert!(found[0].contains("did you mean `password`?"), "{found:?}");
    let found = problems(
        "[JupyterHub]\nservices = [ { name = \"s\", api_token = \"0123456789abcdef\", oauth_no_confirm = true } ]\n",
    );
    assert!(
        found[0].contains("missing required oauth_redirect_uri"),
        "{found:?}"
    );
    let found = problems(
        "[JupyterHub]\nservices = [ { name = \"s\", url = \"http://127.0.0.1:1\", oauth_client_id = \"s\" } ]\n",
    );
    assert!(
        found[0].contains("does not start with `service-`"),
        "{found:?}"
    );
    let config = HubConfig::from_toml(
        "[JupyterHub]\nauthenticator_class = \"dummy\"\ncookie_max_age_days = 1\noauth_token_expires_in = 60\n[DummyAuthenticator]\npassword = \"pw\"\n",
        "t",
    )
    .unwrap();
    assert!(
        config.allow_all,
        "the dummy authenticator allows all unless told whom"
    );
    assert_eq!(config.login.dummy_password.as_deref(), Some("pw"));
    assert_eq!(config.login.oauth_token_lifetime(), 60);
    assert_eq!(config.login.cookie_max_age_days, 1.0);
}
