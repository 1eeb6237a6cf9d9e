//! The [`Spawner`] trait: what the hub asks of anything that runs single-user servers,
//! JupyterHub's `Spawner` API (`start`, `poll`, `stop`, `get_state`/`load_state`/`clear_state`,
//! `progress`) plus the readiness wait. One spawner value serves one server (user and server
//! name), as in JupyterHub; methods take `&self`, so an `Arc<dyn Spawner>` can be polled by one
//! task while another stops it, and spawners of different servers run fully concurrently.

use crate::wait_up::{ServerUp, WaitFailure, wait_for_server};
use crate::{ExitStatus, ProgressLog, ServerEndpoint, SpawnError, SpawnSpec};
use std::future::Future;
use std::pin::Pin;

/// A boxed future that can cross threads: what the trait's async methods return, so that the
/// trait stays usable as `dyn Spawner`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Starts, watches and stops one single-user server.
pub trait Spawner: Send + Sync {
    /// Starts the server described by `spec` and returns where it will answer, without waiting
    /// for it to answer (see [`wait_up`](Self::wait_up)). JupyterHub's `Spawner.start()`.
    fn start<'a>(
        &'a self,
        spec: &'a SpawnSpec,
    ) -> BoxFuture<'a, Result<ServerEndpoint, SpawnError>>;

    /// Waits until the started server answers HTTP, at most `spec.http_timeout`, failing at once
    /// if it exits first. JupyterHub's `User._wait_up`. The default probes `endpoint` and polls
    /// this spawner in between: an implementation may simply return
    /// `Box::pin(default_wait_up(self, spec, endpoint))`, or add to its errors.
    fn wait_up<'a>(
        &'a self,
        spec: &'a SpawnSpec,
        endpoint: &'a ServerEndpoint,
    ) -> BoxFuture<'a, Result<ServerUp, SpawnError>>;

    /// `None` while the server runs, else how it ended. JupyterHub's `Spawner.poll()`.
    fn poll(&self) -> BoxFuture<'_, Result<Option<ExitStatus>, SpawnError>>;

    /// Stops the server: gracefully, or at once when `now`. Returns when it is gone.
    /// JupyterHub's `Spawner.stop(now)`.
    fn stop(&self, now: bool) -> BoxFuture<'_, Result<(), SpawnError>>;

    /// What the hub saves to find the server again after a restart (`Spawner.get_state()`).
    fn state(&self) -> serde_json::Value;

    /// Restores saved [`state`](Self::state) in a fresh spawner (`Spawner.load_state()`).
    ///
    /// # Errors
    /// [`SpawnError::InvalidState`] when the saved value is not this spawner's.
    fn load_state(&self, state: &serde_json::Value) -> Result<(), SpawnError>;

    /// Forgets the server (`Spawner.clear_state()`), e.g. after it stopped.
    fn clear_state(&self);

    /// This spawner's progress events (reference §8.5).
    fn progress(&self) -> &ProgressLog;
}

/// The readiness wait every spawner can use for [`Spawner::wait_up`]: probes
/// `{endpoint.url}{prefix}api` every few milliseconds and polls `spawner` in between.
pub async fn default_wait_up(
    spawner: &dyn Spawner,
    spec: &SpawnSpec,
    endpoint: &ServerEndpoint,
) -> Result<ServerUp, SpawnError> {
    let url = crate::wait_up::probe_url(endpoint, &spec.service_prefix);
    wait_for_server(spawner, endpoint, &spec.service_prefix, spec.http_timeout)
        .await
        .map_err(|failure| match failure {
            WaitFailure::Exited(status) => SpawnError::ProcessExited {
                status,
                url,
                stderr_tail: String::new(),
            },
            WaitFailure::TimedOut(last_attempt) => SpawnError::HttpTimeout {
                url,
                timeout: spec.http_timeout,
                last_attempt,
                stderr_tail: String::new(),
            },
        })
}
