//! Why an embedded proxy could not start.

use std::net::SocketAddr;

/// An error starting an [`EmbeddedProxy`](crate::EmbeddedProxy).
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// A listening socket could not be bound.
    #[error(
        "cannot listen for the proxy's {role} on `{addr}`: {source}\nhelp: pick a free port, or port 0 to let the system choose"
    )]
    Bind {
        /// `public port` or `REST API`.
        role: &'static str,
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
    /// `error_target` is not an http URL.
    #[error(
        "error target `{url}` is not usable: {reason}\nhelp: give an http URL such as `http://127.0.0.1:8081/hub/error`"
    )]
    ErrorTarget {
        /// The configured value.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `default_target` is not an http URL.
    #[error(
        "default target `{target}` is not usable: {reason}\nhelp: give an http URL such as `http://127.0.0.1:8081`"
    )]
    DefaultTarget {
        /// The configured value.
        target: String,
        /// What is wrong with it.
        reason: String,
    },
}
