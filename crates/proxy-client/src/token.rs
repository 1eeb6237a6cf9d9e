//! The proxy's API token (`CONFIGPROXY_AUTH_TOKEN`), kept out of logs and error messages: its
//! `Debug` shows only that there is one.

use std::fmt;

/// The shared secret of the hub and configurable-http-proxy's REST API.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken(String);

impl AuthToken {
    /// The environment variable CHP reads its token from, and JupyterHub's default source.
    pub const ENV: &'static str = "CONFIGPROXY_AUTH_TOKEN";

    /// Wraps a token; `None` when it is empty (an empty token means no authentication in CHP,
    /// and JupyterHub treats it as unset).
    pub fn new(token: impl Into<String>) -> Option<Self> {
        let token = token.into();
        (!token.is_empty()).then_some(Self(token))
    }

    /// A fresh random token, as JupyterHub generates when it starts the proxy itself: 32 hex
    /// digits from the operating system's randomness.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0_u8; 16];
        getrandom::fill(&mut bytes)?;
        Ok(Self(hex::encode(bytes)))
    }

    /// The token from `CONFIGPROXY_AUTH_TOKEN`, if set and not empty.
    pub fn from_env() -> Option<Self> {
        std::env::var(Self::ENV).ok().and_then(Self::new)
    }

    /// The secret itself, for the `Authorization` header and the proxy's environment only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthToken([redacted])")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let token = AuthToken::new("s3cret").unwrap();
        assert_eq!(format!("{token:?}"), "AuthToken([redacted])");
        assert!(AuthToken::new("").is_none());
    }

    #[test]
    fn generated_tokens_are_32_hex_digits_and_differ() {
        let (a, b) = (
            AuthToken::generate().unwrap(),
            AuthToken::generate().unwrap(),
        );
        assert_eq!(a.expose().len(), 32);
        assert!(a.expose().bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
