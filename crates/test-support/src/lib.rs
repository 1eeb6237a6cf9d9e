//! What the integration tests that start real programs share: where those programs are
//! installed ([`programs`]), and loopback ports to start them on ([`ports`]). A
//! dev-dependency only (`publish = false`).

pub mod ports;
pub mod programs;

pub use ports::free_port;
pub use programs::{chp_binary, singleuser, venv_python};
