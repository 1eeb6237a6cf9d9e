//! The `Proxy` trait: what the hub needs from any proxy (JupyterHub's `Proxy` base class),
//! whether configurable-http-proxy driven over its REST API or a proxy embedded in-process.
//!
//! The methods return boxed futures rather than `async fn`, so that the trait stays
//! dyn-compatible and the hub can hold an `Arc<dyn Proxy>` chosen by configuration. One small
//! type alias does what the `async-trait` macro would, without a dependency or a macro.

use std::future::Future;
use std::pin::Pin;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::ProxyError;
use crate::route::{Route, Routes};
use crate::routespec::{Routing, validate_routespec};

/// The future every `Proxy` method returns: `Send`, borrowing the proxy and the arguments.
pub type ProxyFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProxyError>> + Send + 'a>>;

/// A proxy whose routing table the hub manages. Routespecs follow JupyterHub's rules
/// ([`crate::routespec`]); every method validates them first and fails with
/// [`ProxyError::InvalidRoutespec`], naming the routespec, before any I/O.
pub trait Proxy: Send + Sync {
    /// Whether routespecs name a host (host routing) or only a path.
    fn routing(&self) -> Routing;

    /// Adds or replaces the route for `routespec` to `target` (`proto://host:port`, no path),
    /// storing `data` with it. The route is marked as the hub's (`jupyterhub: true`).
    fn add_route<'a>(
        &'a self,
        routespec: &'a str,
        target: &'a str,
        data: Map<String, Value>,
    ) -> ProxyFuture<'a, ()>;

    /// Deletes the route for `routespec`. A route that is already gone is not an error (it is
    /// logged as a warning, as JupyterHub does).
    fn delete_route<'a>(&'a self, routespec: &'a str) -> ProxyFuture<'a, ()>;

    /// All routes the hub added (those marked `jupyterhub`), by routespec. Routes added by
    /// others are left out, so the hub never deletes them.
    fn get_all_routes(&self) -> ProxyFuture<'_, Routes>;

    /// The hub's route for exactly `routespec`, or `None`. By default looked up in
    /// [`Proxy::get_all_routes`], as JupyterHub's default `get_route` does.
    fn get_route<'a>(&'a self, routespec: &'a str) -> ProxyFuture<'a, Option<Route>> {
        Box::pin(async move {
            let routespec = validate_routespec(routespec, self.routing())?;
            let mut routes = self.get_all_routes().await?;
            Ok(routes.remove(&routespec))
        })
    }

    /// The hub's routes whose last activity is before `since` (CHP's
    /// `GET /api/routes?inactive_since=`), by routespec.
    fn inactive_since(&self, since: OffsetDateTime) -> ProxyFuture<'_, Routes>;
}
