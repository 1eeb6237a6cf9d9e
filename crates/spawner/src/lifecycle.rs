//! One whole spawn as the hub runs it (`User.spawn` from `Spawner.start()` on): start within
//! `start_timeout`, wait for HTTP within `http_timeout`, progress events throughout, and on any
//! failure the server stopped at once and its state cleared, so that nothing is left behind.

use crate::wait_up::ServerUp;
use crate::{ProgressEvent, ServerEndpoint, SpawnError, SpawnSpec, Spawner};

/// A server that started and answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spawned {
    /// Where it answers.
    pub endpoint: ServerEndpoint,
    /// Its first answer.
    pub up: ServerUp,
}

/// Starts `spec`'s server with `spawner` and waits until it answers. Progress: "Server
/// requested" as soon as this is called (so the spawn is pending, and readers may
/// [`subscribe`](crate::ProgressLog::subscribe), before the returned future first runs), the
/// spawner's own events, then the ready event (with the server's URL) or the failed event (with
/// the error).
///
/// # Errors
/// Whatever [`Spawner::start`] or [`Spawner::wait_up`] reports, or
/// [`SpawnError::StartTimeout`]; the server is stopped before the error is returned.
pub fn spawn<'a>(
    spawner: &'a dyn Spawner,
    spec: &'a SpawnSpec,
) -> impl Future<Output = Result<Spawned, SpawnError>> + Send + 'a {
    spawner.progress().begin();
    run(spawner, spec)
}

async fn run(spawner: &dyn Spawner, spec: &SpawnSpec) -> Result<Spawned, SpawnError> {
    let result = start_and_wait(spawner, spec).await;
    match &result {
        Ok(_) => spawner
            .progress()
            .finish(ProgressEvent::ready(&spec.server_url())),
        Err(error) => {
            tracing::warn!(user = %spec.user, server = %spec.server_name, %error, "spawn failed; stopping what was started");
            if let Err(stop_error) = spawner.stop(true).await {
                tracing::error!(user = %spec.user, server = %spec.server_name, error = %stop_error, "cannot clean up a server that failed to start");
            }
            spawner.clear_state();
            spawner
                .progress()
                .finish(ProgressEvent::failed(&error.to_string()));
        }
    }
    result
}

async fn start_and_wait(spawner: &dyn Spawner, spec: &SpawnSpec) -> Result<Spawned, SpawnError> {
    let endpoint = tokio::time::timeout(spec.start_timeout, spawner.start(spec))
        .await
        .map_err(|_| SpawnError::StartTimeout(spec.start_timeout))??;
    let up = spawner.wait_up(spec, &endpoint).await?;
    Ok(Spawned { endpoint, up })
}
