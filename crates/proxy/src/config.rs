//! What an embedded proxy is told at start: where to listen, the API token, and CHP's
//! behaviour switches (with CHP's defaults).

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// Configuration of one [`EmbeddedProxy`](crate::EmbeddedProxy), with the meaning of the
/// `configurable-http-proxy` flag named beside each field.
#[derive(Clone)]
pub struct ProxyConfig {
    /// Public address (`--ip`, `--port`); port 0 lets the system pick.
    pub public_addr: SocketAddr,
    /// REST API address (`--api-ip`, `--api-port`); port 0 lets the system pick.
    pub api_addr: SocketAddr,
    /// The API token (`CONFIGPROXY_AUTH_TOKEN`); `None` or empty leaves the API
    /// unauthenticated, as CHP does. Never logged.
    pub auth_token: Option<String>,
    /// A route `/` to this target, added at start (`--default-target`).
    pub default_target: Option<String>,
    /// Where error pages come from (`--error-target`): for a proxy error with status
    /// `code`, the page is `GET {error_target}/{code}?url={request path}`. Without it the
    /// built-in pages of CHP's `lib/error` are served.
    pub error_target: Option<String>,
    /// The first path segment of a route is a host name (`--host-routing`).
    pub host_routing: bool,
    /// Add `X-Forwarded-For`, `-Port`, `-Proto` and `-Host` (default on; `--no-x-forward`).
    pub x_forward: bool,
    /// Prepend the target's own path to proxied paths (default on; `--no-prepend-path`).
    pub prepend_path: bool,
    /// Keep the route prefix in proxied paths (default on; `--no-include-prefix`).
    pub include_prefix: bool,
    /// Give up on a target that has not answered within this time, with a 503
    /// (`--proxy-timeout`; default none).
    pub proxy_timeout: Option<Duration>,
    /// How long a client has to send a request's headers, and so how long an idle
    /// keep-alive connection is kept (`--keep-alive-timeout`, default 5 s).
    pub keep_alive_timeout: Duration,
}

impl ProxyConfig {
    /// CHP's defaults, listening on the two given addresses.
    pub fn new(public_addr: SocketAddr, api_addr: SocketAddr) -> Self {
        Self {
            public_addr,
            api_addr,
            auth_token: None,
            default_target: None,
            error_target: None,
            host_routing: false,
            x_forward: true,
            prepend_path: true,
            include_prefix: true,
            proxy_timeout: None,
            keep_alive_timeout: Duration::from_secs(5),
        }
    }

    /// CHP's defaults on two system-picked loopback ports.
    pub fn loopback() -> Self {
        let any_loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        Self::new(any_loopback, any_loopback)
    }
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("public_addr", &self.public_addr)
            .field("api_addr", &self.api_addr)
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "<redacted>"),
            )
            .field("default_target", &self.default_target)
            .field("error_target", &self.error_target)
            .field("host_routing", &self.host_routing)
            .field("x_forward", &self.x_forward)
            .field("prepend_path", &self.prepend_path)
            .field("include_prefix", &self.include_prefix)
            .field("proxy_timeout", &self.proxy_timeout)
            .field("keep_alive_timeout", &self.keep_alive_timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let mut config = ProxyConfig::loopback();
        config.auth_token = Some("s3cret-token".to_owned());
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
