//! What every request handler shares: the configuration, the store, the roles.

use std::sync::Arc;

use roles::RoleStore;
use store::{Store, StoreError, Tx};
use tokio::sync::Notify;

use crate::config::HubConfig;
use crate::error::ApiError;

/// The hub's shared state.
pub struct AppState {
    /// The configuration.
    pub config: HubConfig,
    /// The database.
    pub store: Store,
    /// Every role, as loaded at start-up (roles change only through configuration).
    pub roles: RoleStore,
    /// The secret that signs login cookies and XSRF tokens.
    pub cookie_secret: crate::login::CookieSecret,
    /// The `auth_state` keys (`JUPYTERHUB_CRYPT_KEY`).
    pub crypt: crate::crypt::CryptKeeper,
    /// The proxy, and the client the hub drives it with.
    pub proxy: crate::routing::HubProxy,
    /// The hub's own address as the proxy targets it (`http://ip:port`, JupyterHub's
    /// `Hub.host`).
    pub hub_host: String,
    /// Notified when `POST /shutdown` asks the hub to stop.
    pub shutdown: Notify,
    /// The servers the hub runs.
    pub servers: crate::spawning::Servers,
    /// Callers and user pages remembered until the next write.
    pub cache: crate::cache::Cache,
}

/// [`AppState`] behind an `Arc`, as handlers receive it.
pub type SharedState = Arc<AppState>;

impl AppState {
    /// Runs `f` in a read transaction on a blocking thread.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns, database failures as [`ApiError::store`].
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&AppState, &mut Tx<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        self.transaction(false, f).await
    }

    /// Runs `f` in a write transaction on a blocking thread; an error rolls it back.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns, database failures as [`ApiError::store`].
    pub async fn write<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&AppState, &mut Tx<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        self.transaction(true, f).await
    }

    /// [`AppState::read`] or [`AppState::write`], as `write` says.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns, database failures as [`ApiError::store`].
    pub async fn transaction<T, F>(self: &Arc<Self>, write: bool, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&AppState, &mut Tx<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        let state = Arc::clone(self);
        let joined = tokio::task::spawn_blocking(move || {
            let run = |tx: &mut Tx<'_>| f(&state, tx);
            if write {
                state
                    .store
                    .write_with::<T, Failure>(|tx| run(tx).map_err(Failure::Api))
            } else {
                state
                    .store
                    .read(|tx| Ok(run(tx)))
                    .map_err(Failure::Store)
                    .and_then(|result| result.map_err(Failure::Api))
            }
        })
        .await;
        if write {
            // Whatever the outcome: a failed commit may still have written.
            self.cache.advance();
        }
        match joined {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(Failure::Api(error))) => Err(error),
            Ok(Err(Failure::Store(error))) => Err(ApiError::store(&error)),
            Err(join) => {
                tracing::error!(%join, "a database task failed");
                Err(ApiError::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error; the hub's log has the details.",
                ))
            }
        }
    }
}

/// A failure inside a transaction: the handler's own answer, or the database's error.
enum Failure {
    Api(ApiError),
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure::Store(error)
    }
}
