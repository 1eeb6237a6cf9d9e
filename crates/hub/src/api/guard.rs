//! The opening every scoped endpoint shares: authenticate, open a transaction, check the
//! endpoint's `needs_scope` requirement, then run the handler's body with the caller.

use axum::http::HeaderMap;
use scopes::Target;

use crate::auth::{Caller, authenticate, missing_credentials};
use crate::error::ApiError;
use crate::membership::TxMembership;
use crate::state::{AppState, SharedState};

/// What an endpoint requires (JupyterHub's `@needs_scope(...)`).
#[derive(Clone, Debug)]
pub struct Need {
    scopes: &'static [&'static str],
    target: Option<(&'static str, String)>,
    post_filter: bool,
}

impl Need {
    /// Any one of `scopes`.
    pub fn any(scopes: &'static [&'static str]) -> Need {
        Need {
            scopes,
            target: None,
            post_filter: false,
        }
    }

    /// On the user `name` (the handler's `user_name` argument).
    #[must_use]
    pub fn on_user(mut self, name: &str) -> Need {
        self.target = Some(("user", name.to_owned()));
        self
    }

    /// On the server `server` of `user` (`""`: the default server).
    #[must_use]
    pub fn on_server(mut self, user: &str, server: &str) -> Need {
        self.target = Some(("server", format!("{user}/{server}")));
        self
    }

    /// On the group `name`.
    #[must_use]
    pub fn on_group(mut self, name: &str) -> Need {
        self.target = Some(("group", name.to_owned()));
        self
    }

    /// On the service `name`.
    #[must_use]
    pub fn on_service(mut self, name: &str) -> Need {
        self.target = Some(("service", name.to_owned()));
        self
    }

    /// A list endpoint that accepts filtered scopes and filters its answer
    /// (`post_filter=True`).
    #[must_use]
    pub fn listing(mut self) -> Need {
        self.post_filter = true;
        self
    }

    /// The target as the scopes crate names it.
    fn target(&self) -> Option<Target<'_>> {
        self.target.as_ref().map(|(kind, value)| Target {
            kind,
            value: std::borrow::Cow::Borrowed(value.as_str()),
        })
    }

    fn requirement(&self) -> scopes::Requirement<'_> {
        scopes::Requirement {
            scopes: self.scopes,
            target: self.target(),
            post_filter: self.post_filter,
        }
    }

    fn check(
        &self,
        state: &AppState,
        caller: &Caller,
        membership: &TxMembership<'_, '_>,
    ) -> Result<(), ApiError> {
        caller.require(
            state,
            Some(membership),
            self.scopes,
            self.target(),
            self.post_filter,
        )?;
        Ok(())
    }
}

/// Authenticates, then runs `body` in a read transaction once `need` is met.
///
/// # Errors
///
/// 403 without credentials, the denial of `need`, or whatever `body` returns.
pub async fn read<T, F>(
    state: &SharedState,
    headers: &HeaderMap,
    need: Need,
    body: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&AppState, &Caller, &TxMembership<'_, '_>) -> Result<T, ApiError> + Send + 'static,
{
    run(state, headers, need, false, body).await
}

/// Authenticates, then runs `body` in a write transaction once `need` is met; an error
/// rolls everything back.
///
/// # Errors
///
/// 403 without credentials, the denial of `need`, or whatever `body` returns.
pub async fn write<T, F>(
    state: &SharedState,
    headers: &HeaderMap,
    need: Need,
    body: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&AppState, &Caller, &TxMembership<'_, '_>) -> Result<T, ApiError> + Send + 'static,
{
    run(state, headers, need, true, body).await
}

/// The caller of a request: 403 without valid credentials.
///
/// # Errors
///
/// 403 without credentials; database failures.
pub async fn caller(
    state: &SharedState,
    headers: &HeaderMap,
) -> Result<std::sync::Arc<Caller>, ApiError> {
    authenticate(state, headers)
        .await?
        .ok_or_else(missing_credentials)
}

impl Need {
    /// Checks a requirement that names no target (a list endpoint's) from the caller's
    /// scopes alone: no group membership is consulted, so no transaction is needed.
    ///
    /// # Errors
    ///
    /// The denial; 500 if the requirement does name a target (a hub bug: use [`read`]).
    pub fn check_untargeted(&self, state: &AppState, caller: &Caller) -> Result<(), ApiError> {
        if self.target.is_some() {
            tracing::error!(scopes = ?self.scopes, "a targeted requirement checked without the database");
            return Err(ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error; the hub's log has the details.",
            ));
        }
        caller.require(state, None, self.scopes, None, self.post_filter)?;
        Ok(())
    }
}

async fn run<T, F>(
    state: &SharedState,
    headers: &HeaderMap,
    need: Need,
    write: bool,
    body: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&AppState, &Caller, &TxMembership<'_, '_>) -> Result<T, ApiError> + Send + 'static,
{
    let caller = caller(state, headers).await?;
    state
        .transaction(write, move |state, tx| {
            let membership = TxMembership::new(tx);
            need.check(state, &caller, &membership)?;
            body(state, &caller, &membership)
        })
        .await
}

/// What [`Need::explain`] found.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The status the endpoint would answer (200 when allowed).
    pub status: u16,
    /// JupyterHub's message for a denial.
    pub message: Option<String>,
    /// The chain behind the decision.
    pub explanation: serde_json::Value,
    /// The scopes the endpoint requires (any one of them).
    pub required: &'static [&'static str],
}

impl Need {
    /// Would `caller` pass this requirement, and why (hubcap's `/hub/api/explain`). A
    /// question, not a request: nothing is logged as denied.
    ///
    /// # Errors
    ///
    /// 500 for a requirement naming a scope the table lacks (a hub bug).
    pub fn explain(
        &self,
        state: &AppState,
        caller: &Caller,
        membership: &TxMembership<'_, '_>,
    ) -> Result<Verdict, ApiError> {
        let decision = caller.decide(state, Some(membership), &self.requirement())?;
        Ok(Verdict {
            status: decision.status,
            message: decision.message,
            explanation: caller.explain(state, Some(membership), self.requirement()),
            required: self.scopes,
        })
    }
}
