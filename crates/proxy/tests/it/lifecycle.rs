//! The embedded proxy as the hub uses it: in-process routes, and stopping with requests in
//! flight.

use std::time::{Duration, Instant};

use proxy::{EmbeddedProxy, ProxyConfig};
use serde_json::{Map, Value};
use tokio::net::TcpStream;

use crate::support::{Echo, api_call, send};

fn route_to(target: &str) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("target".to_owned(), Value::String(target.to_owned()));
    data.insert("user".to_owned(), Value::String("a".to_owned()));
    data
}

#[tokio::test]
async fn routes_added_in_process_are_served_and_listed() {
    let echo = Echo::start("a").await;
    let proxy = EmbeddedProxy::start(ProxyConfig::loopback()).await.unwrap();
    assert_eq!(
        proxy.routes().add("user/a/", route_to(&echo.url())),
        "/user/a"
    );
    let answer = send(proxy.public_addr(), "GET", "/user/a/x", &[], b"").await;
    assert_eq!(
        (answer.status, answer.json()["name"].as_str()),
        (200, Some("a"))
    );
    // No token configured: the API is open, as CHP's is without CONFIGPROXY_AUTH_TOKEN.
    let listed = api_call(proxy.api_addr(), "GET", "/user/a", "")
        .await
        .json();
    assert_eq!(listed["user"], "a");
    assert!(proxy.routes().remove("/user/a"));
    assert_eq!(
        send(proxy.public_addr(), "GET", "/user/a/x", &[], b"")
            .await
            .status,
        404
    );
    proxy.stop(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn stop_lets_requests_in_flight_finish_then_closes_the_ports() {
    let echo = Echo::start("slow").await;
    let proxy = EmbeddedProxy::start(ProxyConfig::loopback()).await.unwrap();
    proxy.routes().add("/", route_to(&echo.url()));
    let public = proxy.public_addr();
    let in_flight = tokio::spawn(async move {
        send(public, "GET", "/slow", &[("x-echo-delay-ms", "300")], b"").await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    proxy.stop(Duration::from_secs(5)).await;
    assert_eq!(in_flight.await.unwrap().status, 200);
    assert!(
        TcpStream::connect(public).await.is_err(),
        "the public port is closed after stop"
    );
}

#[tokio::test]
async fn stop_gives_up_after_the_grace_period() {
    let echo = Echo::start("stuck").await;
    let proxy = EmbeddedProxy::start(ProxyConfig::loopback()).await.unwrap();
    proxy.routes().add("/", route_to(&echo.url()));
    let public = proxy.public_addr();
    let _stuck = tokio::spawn(async move {
        send(
            public,
            "GET",
            "/stuck",
            &[("x-echo-delay-ms", "10000")],
            b"",
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    proxy.stop(Duration::from_millis(200)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "stop took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_busy_port_is_an_error_that_names_it() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = ProxyConfig::loopback();
    config.public_addr = taken.local_addr().unwrap();
    let error = EmbeddedProxy::start(config).await.unwrap_err().to_string();
    assert!(
        error.contains("public port") && error.contains(&taken.local_addr().unwrap().to_string()),
        "{error}"
    );
}
