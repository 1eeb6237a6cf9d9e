//! What every test needs: the CHP binary, free loopback ports, a started proxy, a tiny
//! upstream server, plain HTTP requests, and a bound on time.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
pub use proxy_client::ManagedChpConfig;
use proxy_client::{ManagedChp, ProxyError, Routing};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Every test body runs under this bound.
pub const TEST_BOUND: Duration = Duration::from_secs(60);

/// Runs a test body, failing it if it takes longer than [`TEST_BOUND`].
pub async fn bounded<T>(body: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_BOUND, body)
        .await
        .expect("the test took longer than its bound")
}

/// Where configurable-http-proxy is, and ports for it (see `test_support`).
pub use test_support::{chp_binary, free_port};

/// A proxy config for tests: the real CHP on free loopback ports, short retries.
pub fn test_config(routing: Routing) -> ManagedChpConfig {
    ManagedChpConfig {
        command: vec![chp_binary().display().to_string()],
        public_ip: "127.0.0.1".into(),
        public_port: free_port(),
        api_ip: "127.0.0.1".into(),
        api_port: free_port(),
        routing,
        start_timeout: Duration::from_secs(20),
        retry_timeout: Duration::from_secs(3),
        ..ManagedChpConfig::default()
    }
}

/// Starts the real CHP; tries new ports if another test took the ones picked.
pub async fn start_chp(routing: Routing) -> ManagedChp {
    let mut last = None;
    for _ in 0..3 {
        match ManagedChp::start(test_config(routing)).await {
            Ok(chp) => return chp,
            Err(error @ ProxyError::ExitedDuringStart { .. }) => last = Some(error),
            Err(error) => panic!("the proxy did not start: {error}"),
        }
    }
    panic!(
        "the proxy did not start: {}",
        last.map(|e| e.to_string()).unwrap_or_default()
    )
}

/// CHP's own table, straight from its API, to see what the client really stored.
pub async fn raw_table(chp: &ManagedChp) -> serde_json::Map<String, Value> {
    let url = format!("{}/api/routes", chp.config().api_url());
    let auth = format!("token {}", chp.auth_token().expose());
    let (status, body) = http_get(&url, &[("Authorization", auth.as_str())]).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// A plain GET; returns status and body.
pub async fn http_get(url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = Request::get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(request.body(Full::default()).unwrap()).await
}

/// A POST to CHP's API with a token and a JSON body; returns the status.
pub async fn http_post(url: &str, token: &str, body: &str) -> u16 {
    let request = Request::post(url)
        .header("Authorization", format!("token {token}"))
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    send(request).await.0
}

async fn send(request: Request<Full<Bytes>>) -> (u16, String) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// A tiny HTTP upstream on a loopback port: answers every request `200 upstream` and
/// remembers the request lines and `Host` headers it saw.
pub struct Upstream {
    /// `http://127.0.0.1:port`
    pub url: String,
    seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Upstream {
    /// Starts listening.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0_u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    log.lock()
                        .unwrap()
                        .push(head.lines().next().unwrap_or("").to_owned());
                    let answer =
                        "HTTP/1.1 200 OK\r\ncontent-length: 8\r\nconnection: close\r\n\r\nupstream";
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self { url, seen, task }
    }

    /// The request lines seen so far (`GET /user/a/x HTTP/1.1`).
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Whether a process is gone: no `/proc/<pid>`, or only a zombie waiting to be reaped.
pub fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}
