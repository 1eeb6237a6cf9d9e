//! Percent-encoded names: JupyterHub escapes a user name with `quote(name, safe='@~')` in its
//! routespec, CHP stores the decoded path, and the client encodes it again on the way back, so
//! the routespec round-trips.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use proxy_client::{Proxy, Routing};
use serde_json::Map;

use crate::support::{Upstream, bounded, http_get, raw_table, start_chp};

/// `jupyterhub.utils.url_escape_path`: `quote(name, safe='@~')`.
const URL_ESCAPE_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b'@');

fn user_routespec(name: &str) -> String {
    format!("/user/{}/", utf8_percent_encode(name, URL_ESCAPE_PATH))
}

#[tokio::test]
async fn encoded_names_round_trip() {
    bounded(async {
        let chp = start_chp(Routing::Path).await;
        let names = [
            "a b", "zoë", "a@b", "a+b", "50%", "a~b", "a:b", "o'c(d)", "日本", "a?b#c",
        ];
        for name in names {
            chp.add_route(&user_routespec(name), "http://127.0.0.1:9", Map::new())
                .await
                .unwrap();
        }
        let table = raw_table(&chp).await;
        let all = chp.get_all_routes().await.unwrap();
        for name in names {
            let routespec = user_routespec(name);
            assert!(
                table.contains_key(&format!("/user/{name}")),
                "CHP decoded {name:?}: {table:?}"
            );
            assert!(
                all.contains_key(&routespec),
                "{routespec} in {:?}",
                all.keys()
            );
            assert!(
                chp.get_route(&routespec).await.unwrap().is_some(),
                "{routespec}"
            );
        }
        assert_eq!(all.len(), names.len());
        for name in names {
            chp.delete_route(&user_routespec(name)).await.unwrap();
        }
        assert!(raw_table(&chp).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_encoded_slash_becomes_a_real_one_as_in_jupyterhub() {
    bounded(async {
        // CHP decodes `%2F` into `/`, so the route comes back under another routespec; this
        // pins JupyterHub's behaviour (user names cannot hold `/` there either).
        let chp = start_chp(Routing::Path).await;
        chp.add_route("/user/a%2Fb/", "http://127.0.0.1:9", Map::new())
            .await
            .unwrap();
        let all = chp.get_all_routes().await.unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["/user/a/b/"]);
        assert_eq!(chp.get_route("/user/a%2Fb/").await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn traffic_to_an_encoded_prefix_reaches_its_target() {
    bounded(async {
        let chp = start_chp(Routing::Path).await;
        let upstream = Upstream::start().await;
        chp.add_route(&user_routespec("a b"), &upstream.url, Map::new())
            .await
            .unwrap();
        let url = format!(
            "http://127.0.0.1:{}/user/a%20b/lab",
            chp.config().public_port
        );
        let (status, body) = http_get(&url, &[]).await;
        assert_eq!((status, body.as_str()), (200, "upstream"));
        assert_eq!(upstream.seen(), ["GET /user/a%20b/lab HTTP/1.1"]);
    })
    .await;
}
