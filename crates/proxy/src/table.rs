//! The routing table: CHP's `MemoryStore` (routes by cleaned path, in insertion order) and
//! its `URLTrie`, kept together in one immutable snapshot.
//!
//! Why a swapped snapshot (`arc-swap`) and not a `RwLock`: every proxied request reads the
//! table and almost none write it (the hub changes routes when servers start and stop). A
//! read here is a lock-free load of the current `Arc` that writes to no shared counter, so
//! readers on different cores never contend; an `RwLock` read takes and releases the lock
//! word, one contended cache line per request. A write copies the table (routes are `Arc`s,
//! so the copy is one reference count per route), changes the copy and publishes it; writers
//! are serialised by a mutex. Requests already routed keep the `Arc<Route>` they found, so a
//! route deleted mid-request finishes that request.

use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::route::Route;
use crate::time;
use crate::trie::{self, Trie};

/// One published state of the table.
#[derive(Default, Clone)]
struct Snapshot {
    routes: IndexMap<Box<str>, Arc<Route>>,
    trie: Trie<Arc<Route>>,
}

/// The routing table, shared by the proxy, its REST API and in-process callers.
pub struct RouteTable {
    current: ArcSwap<Snapshot>,
    writer: Mutex<()>,
    host_routing: bool,
}

impl std::fmt::Debug for RouteTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteTable")
            .field("routes", &self.current.load().routes.len())
            .finish()
    }
}

impl RouteTable {
    /// An empty table. With `host_routing`, a route's first segment is a host name and its
    /// data gets a `host` key, as CHP's `--host-routing`.
    pub fn new(host_routing: bool) -> Self {
        Self {
            current: ArcSwap::from_pointee(Snapshot::default()),
            writer: Mutex::new(()),
            host_routing,
        }
    }

    fn update(&self, change: impl FnOnce(&mut Snapshot)) {
        let _serialised = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = Snapshot::clone(&self.current.load());
        change(&mut next);
        self.current.store(Arc::new(next));
    }

    /// Adds or replaces the route at `path`, with `data` as its stored object; returns the
    /// cleaned path. `data` should hold a string `target` (the REST API checks); without
    /// one, requests to the route are answered 500.
    ///
    /// The path is cleaned with CHP's `trimPrefix` twice, as CHP's `addRoute` cleans it and
    /// its store cleans it again: `/user/a//` is stored as `/user/a`.
    pub fn add(&self, path: &str, mut data: Map<String, Value>) -> String {
        let path = trie::trim_prefix(&trie::trim_prefix(path));
        if self.host_routing && path != "/" {
            let host = path.split('/').nth(1).unwrap_or_default();
            data.insert("host".to_owned(), Value::String(host.to_owned()));
        }
        let route = Arc::new(Route::new(
            &path,
            trie::node_prefix(&path),
            data,
            time::now_ms(),
        ));
        tracing::info!(path = %path, "adding route");
        self.update(|table| {
            table.trie.insert(&path, Arc::clone(&route));
            table.routes.insert(path.clone().into(), route);
        });
        path
    }

    /// Removes the route at `path` (cleaned once, as CHP's `deleteRoutes`); whether there
    /// was one.
    pub fn remove(&self, path: &str) -> bool {
        let path = trie::trim_prefix(path);
        if !self.current.load().routes.contains_key(path.as_str()) {
            return false;
        }
        tracing::info!(path = %path, "removing route");
        let mut removed = false;
        self.update(|table| {
            removed = table.routes.shift_remove(path.as_str()).is_some();
            table.trie.remove(&path);
        });
        removed
    }

    /// The route stored at `path` (cleaned twice, as CHP's `getRoute` and its store do).
    pub fn get(&self, path: &str) -> Option<Arc<Route>> {
        let path = trie::trim_prefix(&trie::trim_prefix(path));
        self.current.load().routes.get(path.as_str()).cloned()
    }

    /// The route a request path routes to: the longest stored prefix, by segments, of
    /// `segments`.
    pub fn route_for<'p>(&self, segments: impl IntoIterator<Item = &'p str>) -> Option<Arc<Route>> {
        self.current
            .load()
            .trie
            .longest_match(segments)
            .map(|(route, _)| Arc::clone(route))
    }

    /// Every route, in insertion order.
    pub fn routes(&self) -> Vec<Arc<Route>> {
        self.current.load().routes.values().cloned().collect()
    }

    /// The table as CHP's `GET /api/routes` writes it; with `inactive_since` (Unix ms), only
    /// the routes whose last activity is before it.
    pub fn to_json_text(&self, inactive_since: Option<i64>) -> String {
        let snapshot = self.current.load();
        let mut out = String::with_capacity(64 + 160 * snapshot.routes.len());
        out.push('{');
        let mut first = true;
        for (path, route) in &snapshot.routes {
            if inactive_since.is_some_and(|since| route.last_activity_ms() >= since) {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            crate::json::write_string(&mut out, path);
            out.push(':');
            route.write_json(&mut out);
        }
        out.push('}');
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn data(target: &str) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("target".to_owned(), Value::String(target.to_owned()));
        map
    }

    #[test]
    fn routes_keep_insertion_order_and_replace_in_place() {
        let table = RouteTable::new(false);
        table.add("/b", data("http://127.0.0.1:1"));
        table.add("a/", data("http://127.0.0.1:2"));
        table.add("/b/", data("http://127.0.0.1:3"));
        let paths: Vec<String> = table.routes().iter().map(|r| r.path().to_owned()).collect();
        assert_eq!(paths, ["/b", "/a"]);
        assert_eq!(
            table
                .get("/b")
                .unwrap()
                .target()
                .unwrap()
                .authority()
                .as_str(),
            "127.0.0.1:3"
        );
    }

    #[test]
    fn removing_unlinks_from_the_trie() {
        let table = RouteTable::new(false);
        table.add("/", data("http://127.0.0.1:1"));
        table.add("/user/a", data("http://127.0.0.1:2"));
        assert_eq!(
            table.route_for(["user", "a", "x"]).unwrap().path(),
            "/user/a"
        );
        assert!(table.remove("/user/a/"));
        assert!(!table.remove("/user/a"));
        assert_eq!(table.route_for(["user", "a", "x"]).unwrap().path(), "/");
    }

    #[test]
    fn host_routing_records_the_host() {
        let table = RouteTable::new(true);
        table.add("/example.org/user/a", data("http://127.0.0.1:1"));
        let route = table.get("/example.org/user/a").unwrap();
        assert_eq!(
            route.to_json().get("host"),
            Some(&Value::String("example.org".to_owned()))
        );
    }

    #[test]
    fn inactive_since_keeps_older_routes() {
        let table = RouteTable::new(false);
        table.add("/a", data("http://127.0.0.1:1"));
        assert_eq!(table.to_json_text(Some(0)), "{}");
        assert!(
            table
                .to_json_text(Some(i64::MAX))
                .starts_with(r#"{"/a":{"target""#)
        );
    }
}
