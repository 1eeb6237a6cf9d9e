//! Proxied requests through CHP and the embedded proxy, compared: prefix matching, paths,
//! queries, encoded names, headers, bodies, errors.

use serde_json::json;

use crate::support::{Echo, Options, Pair, Side, dead_target, same_through_both};

/// The routes of the matrix and the echo servers behind them.
struct Routed {
    pair: Pair,
    _echoes: Vec<Echo>,
}

async fn routed(options: Options) -> Routed {
    let pair = Pair::start(options).await;
    let mut echoes = Vec::new();
    for (path, name) in [
        ("/", "root"),
        ("/user/a", "a"),
        ("/user/ab", "ab"),
        ("/user/a/deep", "deep"),
        ("/user/%C3%A9", "e-acute"),
        ("/user/a%20b", "a-space-b"),
        ("/services/x/", "service-x"),
    ] {
        let echo = Echo::start(name).await;
        pair.add_route(path, json!({"target": echo.url(), "user": name}))
            .await;
        echoes.push(echo);
    }
    let based = Echo::start("based").await;
    pair.add_route(
        "/prefixed",
        json!({"target": format!("{}/base/?t=1", based.url())}),
    )
    .await;
    echoes.push(based);
    pair.add_route("/dead", json!({"target": dead_target().await}))
        .await;
    pair.add_route("/bad-target", json!({"target": "localhost:8000"}))
        .await;
    Routed {
        pair,
        _echoes: echoes,
    }
}

#[tokio::test]
async fn get_requests_route_alike() {
    let routed = routed(Options::default()).await;
    for target in [
        "/",
        "/x",
        "/user",
        "/user/a",
        "/user/a/",
        "/user/a/tree?x=1&y=%20&z",
        "/user/a?",
        "/user/ab/x",
        "/user/abc",
        "/user/a/deep/er",
        "/user/a/deeper",
        "/user/%C3%A9/lab",
        "/user/%c3%a9",
        "/user/a%20b/",
        "/user/a%2Fdeep/x",
        "/user/a/../ab/x",
        "/user/a/%2e%2e/ab",
        "/user/a/./x",
        "/user//a",
        "//user/a",
        "/services/x",
        "/services/x/y",
        "/prefixed",
        "/prefixed/x?q=1",
        "/user/a/caf%C3%A9?q=caf%C3%A9",
        "/user/a/%7Bbraces%7D",
        "/_chp_healthz",
        "/_chp_healthz?x",
    ] {
        same_through_both(&routed.pair, "GET", target, &[], b"").await;
    }
}

#[tokio::test]
async fn methods_headers_and_bodies_pass_alike() {
    let routed = routed(Options::default()).await;
    let pair = &routed.pair;
    same_through_both(
        pair,
        "POST",
        "/user/a/api/contents",
        &[("Content-Type", "application/json")],
        br#"{"type":"notebook"}"#,
    )
    .await;
    same_through_both(pair, "PUT", "/user/a/api/contents/x", &[], b"").await;
    same_through_both(pair, "DELETE", "/user/a/api/sessions/1", &[], b"").await;
    same_through_both(pair, "OPTIONS", "/user/a/api", &[], b"").await;
    same_through_both(pair, "PATCH", "/user/a/api", &[], b"{}").await;
    same_through_both(pair, "HEAD", "/user/a/", &[], b"").await;
    // X-Forwarded-* from an earlier proxy are extended, not replaced.
    same_through_both(
        pair,
        "GET",
        "/user/a/",
        &[
            ("X-Forwarded-For", "10.1.1.1"),
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "outer.example"),
            ("X-Forwarded-Port", "443"),
        ],
        b"",
    )
    .await;
    same_through_both(
        pair,
        "GET",
        "/user/a/",
        &[
            ("Cookie", "a=1; b=2"),
            ("Authorization", "token user-token"),
            ("X-Custom", "v"),
        ],
        b"",
    )
    .await;
    // An upstream's own status and headers come through.
    for status in ["201", "204", "302", "404", "500", "503"] {
        same_through_both(
            pair,
            "GET",
            "/user/a/status",
            &[("x-echo-status", status)],
            b"",
        )
        .await;
    }
}

#[tokio::test]
async fn large_bodies_stream_through_both() {
    let routed = routed(Options::default()).await;
    let big: Vec<u8> = (0..2_000_000_u32).map(|i| b'a' + (i % 26) as u8).collect();
    let chp = same_through_both(&routed.pair, "PUT", "/user/a/api/contents/big", &[], &big).await;
    assert_eq!(chp.json()["body"].as_str().unwrap().len(), big.len());
}

#[tokio::test]
async fn errors_answer_alike_with_built_in_pages() {
    let routed = routed(Options::default()).await;
    let pair = &routed.pair;
    for target in [
        "/dead",
        "/dead/x?y=1",
        "/bad-target/x",
        "/user/%zz",
        "/user/%C3",
    ] {
        same_through_both(pair, "GET", target, &[], b"").await;
    }
    same_through_both(pair, "POST", "/dead/x", &[], b"body").await;
    pair.delete_route("/").await;
    for target in ["/", "/nothing/here", "/user", "/user/abc"] {
        let answer = same_through_both(pair, "GET", target, &[], b"").await;
        assert_eq!(answer.status, 404);
    }
}

#[tokio::test]
async fn errors_answer_alike_through_an_error_target() {
    let errors = Echo::start("error-target").await;
    let routed = routed(Options {
        error_target: Some(format!("{}/hub/error", errors.url())),
        ..Options::default()
    })
    .await;
    let pair = &routed.pair;
    for target in [
        "/dead/x?y=1 2".replace(' ', "%20").as_str(),
        "/bad-target",
        "/user/%zz",
    ] {
        let answer = same_through_both(pair, "GET", target, &[], b"").await;
        assert_eq!(
            answer.header("content-type"),
            Some("application/json"),
            "{answer:?}"
        );
    }
    pair.delete_route("/").await;
    let answer = same_through_both(pair, "GET", "/nothing?q=1", &[], b"").await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.json()["url"],
        "/hub/error/404?url=%2Fnothing%3Fq%3D1"
    );
}

#[tokio::test]
async fn an_unreachable_error_target_falls_back_to_the_reason_phrase() {
    let routed = routed(Options {
        error_target: Some(dead_target().await),
        ..Options::default()
    })
    .await;
    let answer = same_through_both(&routed.pair, "GET", "/dead", &[], b"").await;
    assert_eq!(
        (answer.status, answer.body.as_slice()),
        (503, &b"Service Unavailable"[..])
    );
}

#[tokio::test]
async fn a_default_target_is_the_root_route() {
    let echo = Echo::start("default").await;
    let pair = Pair::start(Options {
        default_target: Some(echo.url()),
        ..Options::default()
    })
    .await;
    same_through_both(&pair, "GET", "/anything/at/all?x=1", &[], b"").await;
    for side in [Side::Chp, Side::Embedded] {
        let table = pair.route(side, "").await;
        assert_eq!(table["/"]["target"], echo.url(), "{side:?}");
    }
}

#[tokio::test]
async fn host_routing_routes_alike() {
    let pair = Pair::start(Options {
        host_routing: true,
        ..Options::default()
    })
    .await;
    let echo = Echo::start("hosted").await;
    // Requests carry `Host: proxy.test:8000`; the port is not part of the routing host.
    pair.add_route("/proxy.test/user/a", json!({"target": echo.url()}))
        .await;
    pair.add_route("/other.test", json!({"target": echo.url()}))
        .await;
    for target in ["/user/a/x?y=1", "/user/b", "/"] {
        same_through_both(&pair, "GET", target, &[], b"").await;
    }
    for side in [Side::Chp, Side::Embedded] {
        assert_eq!(
            pair.route(side, "/proxy.test/user/a").await["host"],
            "proxy.test",
            "{side:?}"
        );
    }
}

#[tokio::test]
async fn no_include_prefix_strips_alike() {
    let pair = Pair::start(Options {
        strip_prefix: true,
        ..Options::default()
    })
    .await;
    let echo = Echo::start("stripped").await;
    pair.add_route("/user/a", json!({"target": echo.url()}))
        .await;
    pair.add_route("/based", json!({"target": format!("{}/base", echo.url())}))
        .await;
    for target in [
        "/user/a",
        "/user/a/",
        "/user/a/x?y=1",
        "/user/a?y=1",
        "/based/x",
        "/based",
    ] {
        same_through_both(&pair, "GET", target, &[], b"").await;
    }
}

/// Random request paths (segments of route names, dot segments, escapes, sub-delimiters)
/// and queries route and arrive alike through both proxies.
#[test]
fn random_paths_route_alike() {
    use proptest::prelude::*;
    let runtime = crate::support::runtime();
    let routed = runtime.block_on(routed(Options::default()));
    let segment = prop_oneof![
        Just("user"),
        Just("a"),
        Just("ab"),
        Just("deep"),
        Just("%C3%A9"),
        Just("a%20b"),
        Just("."),
        Just(".."),
        Just("%2e"),
        Just("%2E%2e"),
        Just(""),
        Just("%2F"),
        Just("services"),
        Just("x"),
        Just("~tilde"),
        Just("$&'()*+,;="),
        Just(":@"),
        Just("%25"),
        Just("prefixed"),
        Just("{b}"),
        Just("a|b"),
        Just("^"),
        Just("\\"),
        Just("%7e"),
    ];
    let query = prop_oneof![
        Just(""),
        Just("?"),
        Just("?a=1"),
        Just("?a=%20&b"),
        Just("?q='x'&r=/s?t"),
        Just("?%zz")
    ];
    let config = ProptestConfig {
        cases: crate::support::random_cases(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(segments in proptest::collection::vec(segment, 0..5), query in query, trailing in any::<bool>())| {
        let mut target = format!("/{}", segments.join("/"));
        if trailing {
            target.push('/');
        }
        target.push_str(query);
        runtime.block_on(same_through_both(&routed.pair, "GET", &target, &[], b""));
    });
}

/// Requests one after another on one kept-alive connection are answered alike.
#[tokio::test]
async fn keep_alive_connections_serve_several_requests() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let routed = routed(Options::default()).await;
    let mut answers = Vec::new();
    for side in [Side::Chp, Side::Embedded] {
        let mut stream = tokio::net::TcpStream::connect(routed.pair.public(side))
            .await
            .unwrap();
        let mut names = Vec::new();
        for target in ["/user/a/1", "/user/ab/2", "/nothing/3"] {
            let request = format!(
                "GET {target} HTTP/1.1\r\nHost: {}\r\n\r\n",
                crate::support::HOST
            );
            stream.write_all(request.as_bytes()).await.unwrap();
            // Each echo answer carries a Content-Length: read the head, then that many bytes.
            let mut raw = Vec::new();
            let mut byte = [0_u8; 1];
            while !raw.ends_with(b"\r\n\r\n") {
                stream.read_exact(&mut byte).await.unwrap();
                raw.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&raw).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map_or(0, |value| value.trim().parse().unwrap());
            let mut body = vec![0_u8; length];
            stream.read_exact(&mut body).await.unwrap();
            let echoed: serde_json::Value = serde_json::from_slice(&body).unwrap();
            names.push(echoed["name"].as_str().unwrap_or_default().to_owned());
        }
        answers.push(names);
    }
    assert_eq!(answers[1], answers[0]);
    assert_eq!(answers[0], ["a", "ab", "root"]);
}
