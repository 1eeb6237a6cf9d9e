//! Starting, watching and stopping JupyterHub single-user servers.
//!
//! - [`SpawnSpec`]: everything the hub decides about a server before it starts;
//!   [`environment`] turns it into JupyterHub 6.1.1's exact `Spawner.get_env()`.
//! - [`Spawner`]: the object-safe trait the hub drives (`start`, `wait_up`, `poll`, `stop`,
//!   state, progress); [`spawn`] runs one whole spawn with JupyterHub's timeouts and cleanup.
//! - [`LocalProcessSpawner`]: the real thing, `jupyterhub-singleuser` as a local process.
//! - [`ProgressEvent`], [`ProgressLog`]: the events of the progress stream.
//!
//! This crate knows nothing of HTTP handlers, the database or the proxy.

#![warn(missing_docs)]

mod env;
mod error;
mod exit;
mod lifecycle;
mod local;
mod progress;
mod pyjson;
mod spawner;
mod spec;
mod urls;
mod wait_up;

pub use env::environment;
pub use error::SpawnError;
pub use exit::ExitStatus;
pub use lifecycle::{Spawned, spawn};
pub use local::{LocalProcessConfig, LocalProcessSpawner, process_group_alive};
pub use progress::{ProgressEvent, ProgressLog, ProgressSubscription};
pub use spawner::{BoxFuture, Spawner, default_wait_up};
pub use spec::{CertPaths, HubLocation, LOCAL_PROCESS_ENV_KEEP, ServerEndpoint, SpawnSpec};
pub use wait_up::{PROBE_INTERVAL, ServerUp, probe_url};
