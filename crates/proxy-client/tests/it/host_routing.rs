//! Host routing (`JupyterHub.subdomain_host`): routespecs start with the host, CHP runs with
//! `--host-routing`, keys its table `/host/path` and adds `data.host`.

use proxy_client::{Proxy, Routing};
use serde_json::{Map, json};

use crate::support::{Upstream, bounded, http_get, raw_table, start_chp};

#[tokio::test]
async fn host_routespecs_round_trip() {
    bounded(async {
        let chp = start_chp(Routing::Host).await;
        let upstream = Upstream::start().await;
        chp.add_route("/", "http://127.0.0.1:8081", Map::new())
            .await
            .unwrap();
        chp.add_route("alice.hub.test/user/alice/", &upstream.url, Map::new())
            .await
            .unwrap();
        chp.add_route("bob.hub.test/user/bob", "http://127.0.0.1:9", Map::new())
            .await
            .unwrap();

        let table = raw_table(&chp).await;
        let mut keys: Vec<&String> = table.keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["/", "/alice.hub.test/user/alice", "/bob.hub.test/user/bob"]
        );

        let all = chp.get_all_routes().await.unwrap();
        assert_eq!(
            all.keys().collect::<Vec<_>>(),
            ["/", "alice.hub.test/user/alice/", "bob.hub.test/user/bob/"]
        );
        let alice = &all["alice.hub.test/user/alice/"];
        assert_eq!(alice.data["host"], json!("alice.hub.test"));

        let url = format!(
            "http://127.0.0.1:{}/user/alice/tree",
            chp.config().public_port
        );
        let (status, _) = http_get(&url, &[("Host", "alice.hub.test")]).await;
        assert_eq!(status, 200);
        assert_eq!(upstream.seen(), ["GET /user/alice/tree HTTP/1.1"]);

        chp.delete_route("bob.hub.test/user/bob/").await.unwrap();
        assert_eq!(chp.get_route("bob.hub.test/user/bob/").await.unwrap(), None);
        assert!(chp.get_route("/").await.unwrap().is_some());
    })
    .await;
}

#[tokio::test]
async fn path_routespecs_are_refused_under_host_routing() {
    bounded(async {
        let chp = start_chp(Routing::Host).await;
        let error = chp
            .add_route("/user/alice/", "http://127.0.0.1:9", Map::new())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("invalid routespec `/user/alice/`: it has no host"),
            "{error}"
        );
        assert!(raw_table(&chp).await.is_empty());
    })
    .await;
}
