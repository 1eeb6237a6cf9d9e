//! The authenticator: what JupyterHub's `Authenticator.get_authenticated_user` does with a
//! login form — `authenticate` (the configured class), `normalize_username` (lower case),
//! `validate_username`, `check_blocked_users`, `allow_all` / `check_allowed`, `is_admin`.

use super::constant_time_eq;
use crate::config::{AuthenticatorClass, HubConfig};

/// Someone the authenticator let in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authenticated {
    /// The normalised user name.
    pub name: String,
    /// `Some(true)` for a name in `admin_users` (`is_admin`); `None` leaves the flag alone.
    pub admin: Option<bool>,
}

/// Why a login was refused (for the log; the person sees JupyterHub's one message).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoginRefused {
    /// The authenticator does not take logins (`null`).
    #[error("the authenticator (`null`) does not accept logins")]
    NoLogins,
    /// The password is not the configured one.
    #[error("wrong password")]
    WrongPassword,
    /// The name cannot be a user name.
    #[error("invalid user name")]
    InvalidName,
    /// `Authenticator.blocked_users` has the name.
    #[error("user is in Authenticator.blocked_users")]
    Blocked,
    /// Neither `allow_all`, `allowed_users` nor an existing user lets the name in.
    #[error("user is not allowed (Authenticator.allowed_users / allow_all)")]
    NotAllowed,
}

/// Checks a login form. `exists` says whether a user has that (normalised) name already
/// (`allow_existing_users`).
///
/// # Errors
///
/// Why the login is refused.
pub fn authenticate(
    config: &HubConfig,
    username: &str,
    password: &str,
    exists: impl FnOnce(&str) -> bool,
) -> Result<Authenticated, LoginRefused> {
    match config.login.authenticator {
        AuthenticatorClass::Null => return Err(LoginRefused::NoLogins),
        AuthenticatorClass::Dummy => {
            if let Some(expected) = &config.login.dummy_password {
                if !constant_time_eq(expected.as_bytes(), password.as_bytes()) {
                    return Err(LoginRefused::WrongPassword);
                }
            }
        }
    }
    let name = normalize_username(username);
    if !validate_username(&name) {
        return Err(LoginRefused::InvalidName);
    }
    if config.login.blocked_users.contains(&name) {
        return Err(LoginRefused::Blocked);
    }
    if !check_allowed(config, &name, exists) {
        return Err(LoginRefused::NotAllowed);
    }
    let admin = config.admin_users.contains(&name).then_some(true);
    Ok(Authenticated { name, admin })
}

/// `normalize_username`: lower case.
pub fn normalize_username(name: &str) -> String {
    name.to_lowercase()
}

/// `validate_username`: not empty, no `/`, not only dots (also once percent-decoded), no
/// surrounding white space.
pub fn validate_username(name: &str) -> bool {
    let unquoted = percent_encoding::percent_decode_str(name)
        .decode_utf8()
        .map_or_else(|_| name.to_owned(), |text| text.into_owned());
    !name.is_empty()
        && !name.contains('/')
        && !name.chars().all(|c| c == '.')
        && !unquoted.chars().all(|c| c == '.')
        && name.trim() == name
}

/// `allow_all`, or `check_allowed`: in `allowed_users` (where admins count once
/// `allowed_users` is set), or an existing user when `allow_existing_users`.
pub fn check_allowed(config: &HubConfig, name: &str, exists: impl FnOnce(&str) -> bool) -> bool {
    if config.allow_all || config.allowed_users.contains(name) {
        return true;
    }
    let allowed_set = !config.allowed_users.is_empty();
    if allowed_set && config.admin_users.contains(name) {
        return true;
    }
    let existing = config.login.allow_existing_users.unwrap_or(allowed_set);
    existing && exists(name)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn config(text: &str) -> HubConfig {
        HubConfig::from_toml(text, "test").unwrap()
    }

    #[test]
    fn dummy_lets_anyone_in_unless_told_whom() {
        let open = config("[JupyterHub]\nauthenticator_class = \"dummy\"\n");
        assert!(open.allow_all);
        let got = authenticate(&open, "Alice", "x", |_| false).unwrap();
        assert_eq!(got.name, "alice");
        assert_eq!(got.admin, None);
        let closed = config(
            "[JupyterHub]\nauthenticator_class = \"dummy\"\n[Authenticator]\nallowed_users = [\"bob\"]\nadmin_users = [\"ada\"]\n",
        );
        assert_eq!(
            authenticate(&closed, "carol", "", |_| false),
            Err(LoginRefused::NotAllowed)
        );
        // allow_existing_users defaults to true once allowed_users is set
        assert!(authenticate(&closed, "carol", "", |_| true).is_ok());
        assert!(authenticate(&closed, "bob", "", |_| false).is_ok());
        let ada = authenticate(&closed, "ada", "", |_| false).unwrap();
        assert_eq!(ada.admin, Some(true));
    }

    #[test]
    fn password_blocks_and_bad_names() {
        let hub = config(
            "[JupyterHub]\nauthenticator_class = \"dummy\"\n[DummyAuthenticator]\npassword = \"pw\"\n[Authenticator]\nblocked_users = [\"mallory\"]\n",
        );
        assert_eq!(
            authenticate(&hub, "a", "no", |_| false),
            Err(LoginRefused::WrongPassword)
        );
        assert!(authenticate(&hub, "a", "pw", |_| false).is_ok());
        assert_eq!(
            authenticate(&hub, "mallory", "pw", |_| false),
            Err(LoginRefused::Blocked)
        );
        for bad in ["", "a/b", "..", "%2e%2e", " a"] {
            assert_eq!(
                authenticate(&hub, bad, "pw", |_| false),
                Err(LoginRefused::InvalidName),
                "{bad:?}"
            );
        }
        let null = config("");
        assert_eq!(
            authenticate(&null, "a", "", |_| false),
            Err(LoginRefused::NoLogins)
        );
    }
}
