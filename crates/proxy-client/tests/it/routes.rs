//! Adding, reading and deleting routes: the root route, nested prefixes, trailing slashes,
//! data round trips, `last_activity`, and routes that are not the hub's.

use std::sync::Arc;

use proxy_client::{Proxy, Routing};
use serde_json::{Map, Value, json};

use crate::support::{bounded, raw_table, start_chp};

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

#[tokio::test]
async fn add_get_delete_user_route() {
    bounded(async {
        let chp = Arc::new(start_chp(Routing::Path).await);
        let proxy: Arc<dyn Proxy> = chp.clone();
        let data = object(json!({"user": "alice", "server_name": ""}));
        proxy
            .add_route("/user/alice/", "http://127.0.0.1:46881", data)
            .await
            .unwrap();

        let route = proxy.get_route("/user/alice/").await.unwrap().unwrap();
        assert_eq!(route.routespec, "/user/alice/");
        assert_eq!(route.target, "http://127.0.0.1:46881");
        let keys: Vec<&str> = route.data.keys().map(String::as_str).collect();
        assert_eq!(keys, ["user", "server_name", "last_activity"]);
        assert!(route.last_activity().is_some(), "{:?}", route.data);

        // On the wire: JupyterHub's body order, CHP's key without the trailing slash.
        let table = raw_table(&chp).await;
        let entry = table["/user/alice"].as_object().unwrap();
        let keys: Vec<&str> = entry.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "user",
                "server_name",
                "target",
                "jupyterhub",
                "last_activity"
            ]
        );

        let all = proxy.get_all_routes().await.unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["/user/alice/"]);
        assert_eq!(all["/user/alice/"], route);

        proxy.delete_route("/user/alice/").await.unwrap();
        assert_eq!(proxy.get_route("/user/alice/").await.unwrap(), None);
        // Deleting a route that is gone is only a warning, as in JupyterHub.
        proxy.delete_route("/user/alice/").await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn root_route_is_slash_everywhere() {
    bounded(async {
        let chp = start_chp(Routing::Path).await;
        chp.add_route("/", "http://127.0.0.1:8081", object(json!({"hub": true})))
            .await
            .unwrap();
        chp.add_route("/user/x/", "http://127.0.0.1:9", Map::new())
            .await
            .unwrap();
        assert!(raw_table(&chp).await.contains_key("/"));
        let root = chp.get_route("/").await.unwrap().unwrap();
        assert_eq!(root.routespec, "/");
        assert_eq!(root.target, "http://127.0.0.1:8081");
        assert_eq!(root.data["hub"], json!(true));
        chp.delete_route("/").await.unwrap();
        let all = chp.get_all_routes().await.unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["/user/x/"]);
    })
    .await;
}

#[tokio::test]
async fn nested_prefixes_are_separate_routes() {
    bounded(async {
        let chp = start_chp(Routing::Path).await;
        let named = object(json!({"user": "alice", "server_name": "proj"}));
        chp.add_route("/user/alice/", "http://127.0.0.1:1001", Map::new())
            .await
            .unwrap();
        chp.add_route("/user/alice/proj/", "http://127.0.0.1:1002", named)
            .await
            .unwrap();
        let all = chp.get_all_routes().await.unwrap();
        assert_eq!(
            all.keys().collect::<Vec<_>>(),
            ["/user/alice/", "/user/alice/proj/"]
        );
        assert_eq!(all["/user/alice/proj/"].target, "http://127.0.0.1:1002");

        chp.delete_route("/user/alice/").await.unwrap();
        assert_eq!(chp.get_route("/user/alice/").await.unwrap(), None);
        let proj = chp.get_route("/user/alice/proj/").await.unwrap().unwrap();
        assert_eq!(proj.data["server_name"], json!("proj"));
    })
    .await;
}

#[tokio::test]
async fn a_missing_trailing_slash_is_added() {
    bounded(async {
        let chp = start_chp(Routing::Path).await;
        chp.add_route("/user/bob", "http://127.0.0.1:1003", Map::new())
            .await
            .unwrap();
        assert!(raw_table(&chp).await.contains_key("/user/bob"));
        let route = chp.get_route("/user/bob").await.unwrap().unwrap();
        assert_eq!(route.routespec, "/user/bob/");
        assert_eq!(chp.get_route("/user/bob/").await.unwrap(), Some(route));
        chp.delete_route("/user/bob").await.unwrap();
        assert!(chp.get_all_routes().await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn data_round_trips_and_re_adding_replaces() {
    bounded(async {
        let chp = start_chp(Routing::Path).await;
        let data = json!({"user": "zoë", "nested": {"list": [1, 2.5, null, "x"], "flag": false},
                          "server_name": "", "n": -3});
        chp.add_route(
            "/user/zo%C3%AB/",
            "http://127.0.0.1:1004",
            object(data.clone()),
        )
        .await
        .unwrap();
        let mut route = chp.get_route("/user/zo%C3%AB/").await.unwrap().unwrap();
        assert!(route.data.remove("last_activity").is_some());
        assert_eq!(Value::Object(route.data), data);

        chp.add_route(
            "/user/zo%C3%AB/",
            "http://127.0.0.1:1005",
            object(json!({"v": 2})),
        )
        .await
        .unwrap();
        let route = chp.get_route("/user/zo%C3%AB/").await.unwrap().unwrap();
        assert_eq!(route.target, "http://127.0.0.1:1005");
        assert_eq!(
            route.data.keys().collect::<Vec<_>>(),
            ["v", "last_activity"]
        );
    })
    .await;
}

#[tokio::test]
async fn routes_the_hub_did_not_add_are_invisible() {
    bounded(async {
        let chp = start_chp(Routing::Path).await;
        // Another client of the same CHP: a route without the `jupyterhub` marker.
        let url = format!("{}/api/routes/other", chp.config().api_url());
        let body = r#"{"target": "http://127.0.0.1:9"}"#;
        let status = crate::support::http_post(&url, chp.auth_token().expose(), body).await;
        assert_eq!(status, 201);
        chp.add_route("/user/a/", "http://127.0.0.1:1006", Map::new())
            .await
            .unwrap();
        assert_eq!(raw_table(&chp).await.len(), 2);
        let all = chp.get_all_routes().await.unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["/user/a/"]);
        assert_eq!(chp.get_route("/other/").await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn invalid_routespecs_fail_before_any_request() {
    bounded(async {
        let chp = start_chp(Routing::Path).await;
        let error = chp
            .add_route("host.tld/user/a/", "http://127.0.0.1:9", Map::new())
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid routespec `host.tld/user/a/`: it names a host, but host routing is off; \
             a routespec starts with `/`, as `/user/alice/`"
        );
        let error = chp.delete_route("").await.unwrap_err().to_string();
        assert!(
            error.starts_with("invalid routespec ``: it is empty"),
            "{error}"
        );
        assert!(chp.get_route("/a//b/").await.is_err());
        assert!(raw_table(&chp).await.is_empty());
    })
    .await;
}
