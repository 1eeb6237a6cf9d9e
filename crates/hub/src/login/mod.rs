//! Logging in to the hub: the authenticator, the login and logout pages, the login cookie
//! signed with the cookie secret, the session id and JupyterHub's XSRF rules. The OAuth
//! provider (`crate::oauth`) builds on the browser's login found here.

pub mod api_cookie;
pub mod authenticator;
pub mod cookies;
pub mod html;
pub mod next_url;
pub mod pages;
pub mod secret;
pub mod session;
pub mod signed;
pub mod xsrf;

pub use secret::{CookieSecret, CookieSecretError};
pub use session::Browser;

/// Whether `a` and `b` are equal, in time that does not depend on where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
