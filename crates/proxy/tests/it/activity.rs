//! `last_activity`: which traffic moves it, compared between CHP and the embedded proxy, and
//! the `inactive_since` filter over it.

use std::time::Duration;

use serde_json::json;

use crate::support::{Echo, Pair, Side, send};

/// Whether `request` moves the route's `last_activity`, on one side.
async fn moves_activity(
    pair: &Pair,
    side: Side,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> bool {
    let before = pair.route(side, "/user/a").await["last_activity"].clone();
    tokio::time::sleep(Duration::from_millis(15)).await;
    let _ = send(pair.public(side), method, target, headers, body).await;
    // CHP records activity asynchronously after the response; give it a moment.
    tokio::time::sleep(Duration::from_millis(50)).await;
    pair.route(side, "/user/a").await["last_activity"] != before
}

/// Method, target, headers, body, and whether CHP counts it as activity.
type Case = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [u8],
    bool,
);

#[tokio::test]
async fn activity_moves_on_the_same_traffic() {
    let pair = Pair::start(Default::default()).await;
    let echo = Echo::start("a").await;
    pair.add_route("/user/a", json!({"target": echo.url()}))
        .await;
    let cases: [Case; 5] = [
        ("GET", "/user/a/api/status", &[], b"", true),
        // A response of 300 or more is not activity...
        (
            "GET",
            "/user/a/missing",
            &[("x-echo-status", "404")],
            b"",
            false,
        ),
        (
            "GET",
            "/user/a/redirect",
            &[("x-echo-status", "302")],
            b"",
            false,
        ),
        // ...but request body data is, whatever the answer.
        (
            "POST",
            "/user/a/missing",
            &[("x-echo-status", "404")],
            b"data",
            true,
        ),
        ("GET", "/other", &[], b"", false),
    ];
    for (method, target, headers, body, expected) in cases {
        for side in [Side::Chp, Side::Embedded] {
            let moved = moves_activity(&pair, side, method, target, headers, body).await;
            assert_eq!(
                moved, expected,
                "{side:?}: {method} {target} moves last_activity"
            );
        }
    }
}

#[tokio::test]
async fn inactive_since_filters_alike() {
    let pair = Pair::start(Default::default()).await;
    let echo = Echo::start("a").await;
    pair.add_route("/user/b", json!({"target": echo.url()}))
        .await;
    pair.add_route("/user/a", json!({"target": echo.url()}))
        .await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    for side in [Side::Chp, Side::Embedded] {
        let _ = send(pair.public(side), "GET", "/user/a/", &[], b"").await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    for side in [Side::Chp, Side::Embedded] {
        // Inactive since /user/a's own last activity: /user/b (older) only, as `<` is strict.
        let cut = pair.route(side, "/user/a").await["last_activity"]
            .as_str()
            .unwrap()
            .to_owned();
        let table = pair.route(side, &format!("?inactive_since={cut}")).await;
        let inactive: Vec<&String> = table.as_object().unwrap().keys().collect();
        assert_eq!(inactive, ["/user/b"], "{side:?}: {table}");
    }
}
