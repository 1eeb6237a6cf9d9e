//! `last_activity` and `inactive_since`: traffic through the proxy moves a route's
//! `last_activity`, and `GET /api/routes?inactive_since=` keeps only routes idle since then.

use std::time::Duration;

use proxy_client::{Proxy, Routing};
use serde_json::Map;
use time::OffsetDateTime;

use crate::support::{Upstream, bounded, http_get, start_chp};

#[tokio::test]
async fn inactive_since_sees_traffic_through_the_proxy() {
    bounded(async {
        let chp = start_chp(Routing::Path).await;
        let upstream = Upstream::start().await;
        chp.add_route("/user/busy/", &upstream.url, Map::new())
            .await
            .unwrap();
        chp.add_route("/user/idle/", &upstream.url, Map::new())
            .await
            .unwrap();
        let added = chp.get_all_routes().await.unwrap();

        tokio::time::sleep(Duration::from_millis(50)).await;
        let cut = OffsetDateTime::now_utc();
        tokio::time::sleep(Duration::from_millis(50)).await;

        let url = format!(
            "http://127.0.0.1:{}/user/busy/api/status",
            chp.config().public_port
        );
        let (status, body) = http_get(&url, &[]).await;
        assert_eq!((status, body.as_str()), (200, "upstream"));
        assert_eq!(upstream.seen(), ["GET /user/busy/api/status HTTP/1.1"]);

        let inactive = chp.inactive_since(cut).await.unwrap();
        assert_eq!(inactive.keys().collect::<Vec<_>>(), ["/user/idle/"]);

        let now = chp.get_all_routes().await.unwrap();
        let busy_before = added["/user/busy/"].last_activity().unwrap();
        let busy_after = now["/user/busy/"].last_activity().unwrap();
        assert!(
            busy_after > cut && busy_after > busy_before,
            "{busy_before} {cut} {busy_after}"
        );
        assert_eq!(
            now["/user/idle/"].last_activity(),
            added["/user/idle/"].last_activity()
        );

        let long_ago = OffsetDateTime::UNIX_EPOCH;
        assert!(chp.inactive_since(long_ago).await.unwrap().is_empty());
        let later = OffsetDateTime::now_utc() + time::Duration::days(365);
        let all_inactive = chp.inactive_since(later).await.unwrap();
        assert_eq!(
            all_inactive.keys().collect::<Vec<_>>(),
            ["/user/busy/", "/user/idle/"]
        );
    })
    .await;
}
