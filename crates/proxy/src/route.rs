//! One route: the data POSTed for a path (kept verbatim, as CHP stores it), its target parsed
//! once, and its `last_activity`, an atomic that proxied traffic moves forward without a
//! lock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use hyper::http::uri::{Authority, Scheme};
use serde_json::{Map, Value};

use crate::json;
use crate::path::get_path;
use crate::time;

/// The key under which CHP stores and reports a route's activity.
pub const LAST_ACTIVITY: &str = "last_activity";

/// Where a route sends its requests, parsed from the route's `target` with WHATWG URL rules
/// (JavaScript's `new URL(target)`).
#[derive(Debug, Clone)]
pub struct Target {
    scheme: Scheme,
    authority: Authority,
    /// The target's path and query as http-proxy prepends them (`prependPath`): `/` for a
    /// bare `http://host:port`.
    path: Box<str>,
}

impl Target {
    /// Parses a target URL. Only `http` is proxied (CHP also speaks `https` and unix
    /// sockets; the hub gives neither).
    pub fn parse(target: &str) -> Result<Self, String> {
        let url =
            url::Url::parse(target).map_err(|error| format!("`{target}` is not a URL: {error}"))?;
        if url.scheme() != "http" {
            return Err(format!(
                "target `{target}` has protocol `{}:`; the embedded proxy forwards to http:// targets only",
                url.scheme()
            ));
        }
        let host = url
            .host_str()
            .ok_or_else(|| format!("target `{target}` has no host"))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let authority = Authority::try_from(format!("{host}:{port}"))
            .map_err(|error| format!("target `{target}` has an unusable host: {error}"))?;
        let mut path = url.path().to_owned();
        if let Some(query) = url.query().filter(|q| !q.is_empty()) {
            path.push('?');
            path.push_str(query);
        }
        Ok(Self {
            scheme: Scheme::HTTP,
            authority,
            path: get_path(&path).into(),
        })
    }

    /// The scheme to connect with.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// `host:port` to connect to.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The path (and query) prepended to every proxied request's path.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// One entry of the routing table.
#[derive(Debug)]
pub struct Route {
    /// The table key: the path as CHP's `trimPrefix` cleans it.
    path: Box<str>,
    /// The trie node's prefix (segments joined), which `--no-include-prefix` strips.
    prefix: Box<str>,
    /// The stored object, key order kept; `last_activity` holds its place as `null`.
    data: Map<String, Value>,
    /// The parsed `target`, or why it cannot be proxied to (answered with a 500, as CHP
    /// does when `new URL(target)` throws).
    target: Result<Arc<Target>, String>,
    last_activity_ms: AtomicI64,
}

impl Route {
    /// A route for `path` (already cleaned) with `data`, which must hold a string `target`.
    pub(crate) fn new(
        path: &str,
        prefix: String,
        mut data: Map<String, Value>,
        now_ms: i64,
    ) -> Self {
        let target = match data.get("target") {
            Some(Value::String(target)) => Target::parse(target).map(Arc::new),
            _ => Err("the route has no string `target`".to_owned()),
        };
        // Object.assign(route, {last_activity}) keeps a POSTed key's place, else appends.
        data.entry(LAST_ACTIVITY).or_insert(Value::Null);
        Self {
            path: path.into(),
            prefix: prefix.into(),
            data,
            target,
            last_activity_ms: AtomicI64::new(now_ms),
        }
    }

    /// The table key.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The prefix this route matches requests by (segments joined with `/`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The parsed target.
    pub fn target(&self) -> Result<&Arc<Target>, &str> {
        self.target.as_ref().map_err(String::as_str)
    }

    /// The last time traffic went through this route, in Unix milliseconds.
    pub fn last_activity_ms(&self) -> i64 {
        self.last_activity_ms.load(Ordering::Relaxed)
    }

    /// Records traffic now. Cheap: one clock read, and a store only when the millisecond
    /// changed, so that concurrent requests on one route rarely contend for the line.
    pub fn touch(&self) {
        let now = time::now_ms();
        if now > self.last_activity_ms.load(Ordering::Relaxed) {
            self.last_activity_ms.fetch_max(now, Ordering::Relaxed);
        }
    }

    /// The route's data as CHP returns it, `last_activity` filled in.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut data = self.data.clone();
        data.insert(
            LAST_ACTIVITY.to_owned(),
            Value::String(time::format_iso(self.last_activity_ms())),
        );
        data
    }

    /// `JSON.stringify` of [`Route::to_json`], appended to `out`.
    pub fn write_json(&self, out: &mut String) {
        out.push('{');
        for (i, (key, value)) in self.data.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::write_string(out, key);
            out.push(':');
            if key == LAST_ACTIVITY {
                json::write_string(out, &time::format_iso(self.last_activity_ms()));
            } else {
                json::write_value(out, value);
            }
        }
        out.push('}');
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn route(data: &str) -> Route {
        let Value::Object(map) = serde_json::from_str(data).unwrap() else {
            unreachable!()
        };
        Route::new("/user/a", "/user/a".to_owned(), map, 0)
    }

    fn written(route: &Route) -> String {
        let mut out = String::new();
        route.write_json(&mut out);
        out
    }

    #[test]
    fn last_activity_is_appended_or_keeps_its_place() {
        assert_eq!(
            written(&route(r#"{"target":"http://127.0.0.1:1","user":"a"}"#)),
            r#"{"target":"http://127.0.0.1:1","user":"a","last_activity":"1970-01-01T00:00:00.000Z"}"#
        );
        assert_eq!(
            written(&route(
                r#"{"last_activity":"x","target":"http://127.0.0.1:1"}"#
            )),
            r#"{"last_activity":"1970-01-01T00:00:00.000Z","target":"http://127.0.0.1:1"}"#
        );
    }

    #[test]
    fn targets_parse_as_whatwg_urls() {
        let target = Target::parse("http://127.0.0.1:8081").unwrap();
        assert_eq!(target.authority().as_str(), "127.0.0.1:8081");
        assert_eq!(target.path(), "/");
        let target = Target::parse("http://LocalHost/base/?a=1").unwrap();
        assert_eq!(target.authority().as_str(), "localhost:80");
        assert_eq!(target.path(), "/base/?a=1");
        assert_eq!(
            Target::parse("http://[::1]:9/")
                .unwrap()
                .authority()
                .as_str(),
            "[::1]:9"
        );
        assert!(Target::parse("127.0.0.1:8000").is_err());
        assert!(Target::parse("localhost:8000").is_err());
        assert!(Target::parse("https://example.org").is_err());
    }

    #[test]
    fn touch_moves_forward_only() {
        let route = route(r#"{"target":"http://127.0.0.1:1"}"#);
        route.touch();
        let touched = route.last_activity_ms();
        assert!(touched > 0);
        route.last_activity_ms.store(i64::MAX, Ordering::Relaxed);
        route.touch();
        assert_eq!(route.last_activity_ms(), i64::MAX);
    }
}
