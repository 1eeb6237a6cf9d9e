#![doc = include_str!("../README.md")]
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
