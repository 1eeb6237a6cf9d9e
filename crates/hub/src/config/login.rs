//! The login settings: which authenticator (`JupyterHub.authenticator_class`), its own
//! settings (`[DummyAuthenticator] password`), the cookie secret and the lifetimes of login
//! cookies and OAuth tokens. Only the authenticators hubcap has are accepted; any other
//! name is a problem with a did-you-mean.

use std::path::PathBuf;

use super::error::ConfigProblem;
use super::reader::Section;

/// The keys of `[DummyAuthenticator]`.
pub(crate) const DUMMY_KEYS: &[&str] = &["password"];

/// The authenticator that checks a login form.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum AuthenticatorClass {
    /// JupyterHub's `DummyAuthenticator`: any user name; any password, or the one configured
    /// in `[DummyAuthenticator] password`. For tests and demonstrations.
    Dummy,
    /// JupyterHub's `NullAuthenticator`: nobody logs in through the hub's login page (only
    /// API tokens work). hubcap's default, since it has no PAM.
    #[default]
    Null,
}

/// The names `authenticator_class` accepts for each class (JupyterHub's entry point names
/// and the classes' import paths).
const CLASS_NAMES: &[(&str, AuthenticatorClass)] = &[
    ("dummy", AuthenticatorClass::Dummy),
    ("null", AuthenticatorClass::Null),
    (
        "jupyterhub.auth.DummyAuthenticator",
        AuthenticatorClass::Dummy,
    ),
    (
        "jupyterhub.auth.NullAuthenticator",
        AuthenticatorClass::Null,
    ),
    ("DummyAuthenticator", AuthenticatorClass::Dummy),
    ("NullAuthenticator", AuthenticatorClass::Null),
];

/// How people log in, and how long what they get lasts.
#[derive(Clone, Debug, PartialEq)]
pub struct LoginConfig {
    /// `JupyterHub.authenticator_class`.
    pub authenticator: AuthenticatorClass,
    /// `DummyAuthenticator.password` (`None`: any password).
    pub dummy_password: Option<String>,
    /// `JupyterHub.cookie_secret_file`: where the cookie secret is kept when
    /// `JPY_COOKIE_SECRET` is not set (relative paths are relative to the working directory).
    pub cookie_secret_file: PathBuf,
    /// `JPY_COOKIE_SECRET` (hex), from the environment ([`super::HubConfig::read_environment`]).
    pub cookie_secret_env: Option<String>,
    /// `JupyterHub.cookie_max_age_days`: how long a login cookie's signature is accepted.
    pub cookie_max_age_days: f64,
    /// `JupyterHub.oauth_token_expires_in`, seconds (default: `cookie_max_age_days` in
    /// seconds, as in JupyterHub).
    pub oauth_token_expires_in: Option<u64>,
    /// `Authenticator.blocked_users`.
    pub blocked_users: std::collections::BTreeSet<String>,
    /// `Authenticator.allow_existing_users` (`None`: JupyterHub's default, true when
    /// `allowed_users` is set).
    pub allow_existing_users: Option<bool>,
    /// Whether `Authenticator.allow_all` was set (the dummy authenticator's default for it
    /// depends on that).
    pub allow_all_set: bool,
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            authenticator: AuthenticatorClass::Null,
            dummy_password: None,
            cookie_secret_file: PathBuf::from("jupyterhub_cookie_secret"),
            cookie_secret_env: None,
            cookie_max_age_days: 14.0,
            oauth_token_expires_in: None,
            blocked_users: std::collections::BTreeSet::new(),
            allow_existing_users: None,
            allow_all_set: false,
        }
    }
}

impl LoginConfig {
    /// The lifetime of OAuth access tokens, seconds.
    pub fn oauth_token_lifetime(&self) -> u64 {
        self.oauth_token_expires_in.unwrap_or_else(|| {
            // cookie_max_age_days * 86400, truncated as JupyterHub's int() truncates.
            let seconds = self.cookie_max_age_days * 86_400.0;
            if seconds.is_finite() && seconds > 0.0 {
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "a positive finite number of seconds, truncated like int()"
                )]
                let whole = seconds as u64;
                whole
            } else {
                0
            }
        })
    }
}

/// Reads the login keys of `[JupyterHub]`.
pub(crate) fn read_hub_keys(hub: &mut Section<'_>, login: &mut LoginConfig) {
    if let Some(name) = hub.string("authenticator_class", "\"dummy\"") {
        match CLASS_NAMES.iter().find(|(known, _)| *known == name) {
            Some((_, class)) => login.authenticator = class.clone(),
            None => hub.problem(unknown_class(&name)),
        }
    }
    if let Some(file) = hub.string(
        "cookie_secret_file",
        "\"/srv/hub/jupyterhub_cookie_secret\"",
    ) {
        login.cookie_secret_file = PathBuf::from(file);
    }
    if let Some(days) = hub.number("cookie_max_age_days", "14") {
        if days > 0.0 && days.is_finite() {
            login.cookie_max_age_days = days;
        } else {
            hub.problem(ConfigProblem::new(
                "JupyterHub.cookie_max_age_days",
                format!("must be a positive number of days, not {days}"),
            ));
        }
    }
    if let Some(seconds) = hub.integer("oauth_token_expires_in", 0..=i64::MAX, "1209600") {
        login.oauth_token_expires_in = u64::try_from(seconds).ok().filter(|s| *s > 0);
    }
}

/// Reads the login keys of `[Authenticator]`.
pub(crate) fn read_authenticator_keys(auth: &mut Section<'_>, login: &mut LoginConfig) {
    if let Some(blocked) = auth.string_set("blocked_users", "[\"mallory\"]") {
        login.blocked_users = blocked;
    }
    login.allow_existing_users = auth.boolean("allow_existing_users");
}

/// Reads `[DummyAuthenticator]`.
pub(crate) fn read_dummy(section: &mut Section<'_>, login: &mut LoginConfig) {
    login.dummy_password = section
        .string("password", "\"shared secret\"")
        .filter(|password| !password.is_empty());
}

fn unknown_class(name: &str) -> ConfigProblem {
    let problem = ConfigProblem::new(
        "JupyterHub.authenticator_class",
        format!("`{name}` is not an authenticator hubcap has"),
    );
    if matches!(name, "pam" | "default" | "jupyterhub.auth.PAMAuthenticator") {
        return problem.help(
            "hubcap has no PAM authenticator; use \"dummy\" (testing) or \"null\" (API tokens only)",
        );
    }
    match scopes::did_you_mean(name, CLASS_NAMES.iter().map(|(known, _)| *known)) {
        Some(near) => problem.help(format!("did you mean \"{near}\"?")),
        None => problem.help("hubcap has \"dummy\" and \"null\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetime_defaults_to_the_cookie_age() {
        let login = LoginConfig::default();
        assert_eq!(login.oauth_token_lifetime(), 1_209_600);
        let login = LoginConfig {
            oauth_token_expires_in: Some(60),
            ..LoginConfig::default()
        };
        assert_eq!(login.oauth_token_lifetime(), 60);
    }

    #[test]
    fn unknown_classes_suggest_the_nearest() {
        let problem = unknown_class("dumy");
        assert_eq!(problem.help.as_deref(), Some("did you mean \"dummy\"?"));
        let problem = unknown_class("pam");
        assert!(problem.help.unwrap().contains("no PAM"));
    }
}
