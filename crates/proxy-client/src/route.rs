//! A route as the hub sees it: JupyterHub's `{routespec, target, data}`, built from one entry
//! of CHP's routing table. This is also the model of the hub's `GET /hub/api/proxy`, so it
//! serialises to exactly those three keys.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::routespec::{Routing, routespec_from_chp_path};

/// The routes the hub manages, keyed and sorted by routespec.
pub type Routes = BTreeMap<String, Route>;

/// One route of the proxy, in JupyterHub's form.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Route {
    /// The normalised routespec (`/user/alice/`, `host.tld/user/alice/`, `/`).
    pub routespec: String,
    /// Where the proxy sends requests for this prefix (`http://127.0.0.1:46881`).
    pub target: String,
    /// The data stored with the route, without `target` and the `jupyterhub` marker: what the
    /// hub gave to `add_route`, plus what the proxy adds (`last_activity`, and `host` with
    /// host routing).
    pub data: Map<String, Value>,
}

impl Route {
    /// When the proxy last saw traffic on this route (`data.last_activity`), if it says so and
    /// the value is an ISO 8601 timestamp.
    pub fn last_activity(&self) -> Option<OffsetDateTime> {
        let text = self.data.get("last_activity")?.as_str()?;
        OffsetDateTime::parse(text, &Rfc3339).ok()
    }
}

/// Why one entry of CHP's table is not a hub route.
pub(crate) enum Skipped {
    /// No `jupyterhub` key: another client's route, which the hub neither sees nor deletes.
    NotTheHubs,
    /// The entry is not a JSON object with a string `target`.
    Malformed(String),
}

/// Turns one entry of CHP's table into the hub's route (`_reformat_routespec`).
pub(crate) fn route_from_chp_entry(
    chp_path: &str,
    entry: Value,
    routing: Routing,
) -> Result<Route, Skipped> {
    let Value::Object(mut data) = entry else {
        return Err(Skipped::Malformed(format!(
            "the entry for `{chp_path}` is not a JSON object"
        )));
    };
    if !data.contains_key("jupyterhub") {
        return Err(Skipped::NotTheHubs);
    }
    let target = match data.remove("target") {
        Some(Value::String(target)) => target,
        _ => {
            return Err(Skipped::Malformed(format!(
                "the entry for `{chp_path}` has no string `target`"
            )));
        }
    };
    data.remove("jupyterhub");
    Ok(Route {
        routespec: routespec_from_chp_path(chp_path, routing),
        target,
        data,
    })
}

/// Formats a time as CHP's `inactive_since` parameter: UTC, milliseconds, `Z`, as CHP's own
/// `last_activity` values (`2026-11-23T00:30:20.709Z`). CHP compares in milliseconds.
pub(crate) fn chp_timestamp(when: OffsetDateTime) -> String {
    let utc = when.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.millisecond()
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use serde_json::json;

    use super::*;

    fn ok(route: Result<Route, Skipped>) -> Route {
        match route {
            Ok(route) => route,
            Err(Skipped::NotTheHubs) => unreachable!("skipped as not the hub's"),
            Err(Skipped::Malformed(reason)) => unreachable!("malformed: {reason}"),
        }
    }

    #[test]
    fn chp_entry_becomes_jupyterhubs_route() {
        let entry = json!({"user": "alice", "server_name": "", "target": "http://127.0.0.1:46881",
                           "jupyterhub": true, "last_activity": "2026-11-23T00:30:20.709Z"});
        let route = ok(route_from_chp_entry("/user/alice", entry, Routing::Path));
        assert_eq!(
            serde_json::to_value(&route).unwrap(),
            json!({"routespec": "/user/alice/", "target": "http://127.0.0.1:46881",
                   "data": {"user": "alice", "server_name": "", "last_activity": "2026-11-23T00:30:20.709Z"}})
        );
        assert_eq!(
            route.last_activity().map(|t| t.unix_timestamp_nanos()),
            Some(1_795_393_820_709_000_000)
        );
    }

    #[test]
    fn other_clients_routes_are_skipped() {
        let entry = json!({"target": "http://127.0.0.1:1"});
        assert!(matches!(
            route_from_chp_entry("/other", entry, Routing::Path),
            Err(Skipped::NotTheHubs)
        ));
        let entry = json!({"jupyterhub": true});
        assert!(matches!(
            route_from_chp_entry("/x", entry, Routing::Path),
            Err(Skipped::Malformed(_))
        ));
    }

    #[test]
    fn timestamps_are_utc_milliseconds() {
        let when = OffsetDateTime::parse("2026-11-23T01:30:20.709999+01:00", &Rfc3339).unwrap();
        assert_eq!(chp_timestamp(when), "2026-11-23T00:30:20.709Z");
    }
}
