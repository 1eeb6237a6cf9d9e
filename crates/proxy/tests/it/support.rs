//! What the differential tests stand on: the real configurable-http-proxy started beside
//! an embedded proxy with the same settings, upstream servers that echo what reached them,
//! a raw HTTP/1.1 client (so both proxies get byte-identical requests), and the
//! normalisations that are allowed between the two answers, each with its reason.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use proxy::{EmbeddedProxy, ProxyConfig};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// Bound on every network step of a test.
pub const STEP: Duration = Duration::from_secs(15);

/// The API token both proxies are given.
pub const TOKEN: &str = "differential-test-token";

/// The Host header every test request carries, so both proxies derive the same
/// `X-Forwarded-Host` and `-Port` from it.
pub const HOST: &str = "proxy.test:8000";

/// A runtime for a property test, which drives its async steps with `block_on`.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// How many random cases a differential property runs: `default`, or `$PROXY_DIFF_CASES`.
pub fn random_cases(default: u32) -> u32 {
    std::env::var("PROXY_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Where configurable-http-proxy is, and ports for it (see `test_support`).
pub use test_support::{chp_binary, free_port};

/// Sends raw bytes and returns everything the peer sends back before it closes (or 5 s).
pub async fn send_raw(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    answer
}

/// Waits until something accepts TCP connections on `addr`.
async fn wait_for_port(addr: SocketAddr) {
    let deadline = tokio::time::Instant::now() + STEP;
    while TcpStream::connect(addr).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing listens on {addr} after {STEP:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Settings given identically to both proxies.
#[derive(Clone, Default)]
pub struct Options {
    pub error_target: Option<String>,
    pub default_target: Option<String>,
    /// `--host-routing`.
    pub host_routing: bool,
    /// `--no-include-prefix` when true.
    pub strip_prefix: bool,
}

/// The real CHP, killed when dropped.
pub struct Chp {
    _child: Child,
    pub public: SocketAddr,
    pub api: SocketAddr,
}

impl Chp {
    pub async fn start(options: &Options) -> Self {
        let (port, api_port) = (free_port(), free_port());
        let mut command = Command::new(chp_binary());
        command
            .args(["--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--api-ip", "127.0.0.1", "--api-port", &api_port.to_string()])
            .args(["--log-level", "error"])
            .env("CONFIGPROXY_AUTH_TOKEN", TOKEN)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        if let Some(target) = &options.error_target {
            command.args(["--error-target", target]);
        }
        if let Some(target) = &options.default_target {
            command.args(["--default-target", target]);
        }
        if options.host_routing {
            command.arg("--host-routing");
        }
        if options.strip_prefix {
            command.arg("--no-include-prefix");
        }
        let child = command
            .spawn()
            .expect("configurable-http-proxy starts: run scripts/setup-chp");
        let public = SocketAddr::from(([127, 0, 0, 1], port));
        let api = SocketAddr::from(([127, 0, 0, 1], api_port));
        wait_for_port(public).await;
        wait_for_port(api).await;
        Self {
            _child: child,
            public,
            api,
        }
    }
}

/// CHP and the embedded proxy, configured alike.
pub struct Pair {
    pub chp: Chp,
    pub embedded: EmbeddedProxy,
}

/// Which of the two proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Chp,
    Embedded,
}

impl Pair {
    pub async fn start(options: Options) -> Self {
        let chp = Chp::start(&options).await;
        let mut config = ProxyConfig::loopback();
        config.auth_token = Some(TOKEN.to_owned());
        config.error_target = options.error_target.clone();
        config.default_target = options.default_target.clone();
        config.host_routing = options.host_routing;
        config.include_prefix = !options.strip_prefix;
        let embedded = EmbeddedProxy::start(config).await.unwrap();
        Self { chp, embedded }
    }

    pub fn public(&self, side: Side) -> SocketAddr {
        match side {
            Side::Chp => self.chp.public,
            Side::Embedded => self.embedded.public_addr(),
        }
    }

    pub fn api(&self, side: Side) -> SocketAddr {
        match side {
            Side::Chp => self.chp.api,
            Side::Embedded => self.embedded.api_addr(),
        }
    }

    /// `POST /api/routes{path}` with `data` on both; both must answer 201.
    pub async fn add_route(&self, path: &str, data: Value) {
        for side in [Side::Chp, Side::Embedded] {
            let answer = api_call(self.api(side), "POST", path, &data.to_string()).await;
            assert_eq!(answer.status, 201, "{side:?} adding {path}: {answer:?}");
        }
    }

    /// `DELETE /api/routes{path}` on both.
    pub async fn delete_route(&self, path: &str) {
        for side in [Side::Chp, Side::Embedded] {
            let answer = api_call(self.api(side), "DELETE", path, "").await;
            assert_eq!(answer.status, 204, "{side:?} deleting {path}: {answer:?}");
        }
    }

    /// `GET /api/routes{path}` (and `query`) from one side: one route, or the table.
    pub async fn route(&self, side: Side, path: &str) -> Value {
        let answer = api_call(self.api(side), "GET", path, "").await;
        assert_eq!(answer.status, 200, "{side:?} GET route {path}: {answer:?}");
        answer.json()
    }
}

/// `{method} /api/routes{path}` with the token and `body`.
pub async fn api_call(api: SocketAddr, method: &str, path: &str, body: &str) -> Answer {
    let authorization = format!("token {TOKEN}");
    let target = format!("/api/routes{path}");
    send(
        api,
        method,
        &target,
        &[("Authorization", &authorization)],
        body.as_bytes(),
    )
    .await
}

/// One raw HTTP exchange's answer.
#[derive(Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// Lower-cased names, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// Sends one request (`Host: proxy.test:8000`, `Connection: close`, the given headers and
/// body) and reads the whole answer.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {HOST}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" || method == "PUT" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        // Read until the answer is complete by its own framing, or the peer closes: CHP
        // leaves a refused websocket's socket open after its answer.
        let mut raw = Vec::new();
        let mut buffer = vec![0_u8; 64 * 1024];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => raw.extend_from_slice(&buffer[..read]),
            }
            if is_complete(&raw, method == "HEAD") {
                break;
            }
        }
        raw
    };
    let raw = tokio::time::timeout(STEP, exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {target} to {addr} timed out"));
    parse_answer(&raw, method == "HEAD")
}

/// Whether `raw` holds a whole answer by its framing (a length, or the last chunk).
fn is_complete(raw: &[u8], head_only: bool) -> bool {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = &raw[split + 4..];
    if head_only || head.starts_with("http/1.1 204") || head.starts_with("http/1.1 304") {
        return true;
    }
    if head.contains("transfer-encoding: chunked") {
        return body.ends_with(b"0\r\n\r\n");
    }
    head.lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|length| length.trim().parse::<usize>().ok())
        .is_some_and(|length| body.len() >= length)
}

fn parse_answer(raw: &[u8], head_only: bool) -> Answer {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if head_only {
        Vec::new()
    } else if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        body.extend_from_slice(&rest[line_end + 2..line_end + 2 + size]);
        rest = &rest[line_end + 2 + size + 2..];
    }
    body
}

/// An upstream HTTP server that answers every request with JSON describing it: `name`,
/// `method`, `url` (as received), `headers` (name, value pairs, lower-case, sorted) and
/// `body`. A request header `x-echo-status: N` makes it answer with status N, and
/// `x-echo-delay-ms: N` makes it wait N ms first.
pub struct Echo {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Echo {
    pub async fn start(name: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let name: Arc<str> = name.into();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let name = Arc::clone(&name);
                tokio::spawn(async move {
                    let service = service_fn(move |request| echo(Arc::clone(&name), request));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn echo(
    name: Arc<str>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    headers.sort();
    let delay = parts
        .headers
        .get("x-echo-delay-ms")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    if let Some(delay) = delay {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let status = parts
        .headers
        .get("x-echo-status")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(200);
    let described = json!({
        "name": &*name,
        "method": parts.method.as_str(),
        "url": parts.uri.to_string(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    });
    let mut response = Response::new(Full::new(Bytes::from(described.to_string())));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    response
        .headers_mut()
        .insert("x-echo-name", name.parse().unwrap());
    Ok(response)
}

/// A loopback address where nothing listens (connections are refused).
pub async fn dead_target() -> String {
    format!("http://127.0.0.1:{}", free_port())
}

/// Headers that are allowed to differ between CHP and the embedded proxy, and why:
/// - `date`: the clock;
/// - `connection`, `keep-alive`: hop-by-hop; Node echoes the client's `Connection` and adds
///   `Keep-Alive: timeout=5`, hyper states neither on HTTP/1.1;
/// - `transfer-encoding`, `content-length`: framing; Node streams its own bodies chunked,
///   hyper gives small bodies a length (bodies are compared after de-chunking).
const UNCOMPARED_RESPONSE_HEADERS: [&str; 5] = [
    "date",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
];

/// Request headers an upstream may see differently, and why: `connection` and `keep-alive`
/// are hop-by-hop (CHP forwards the client's `Connection: close`, which RFC 9110 §7.6.1 says
/// a proxy must not; hubcap drops it), `content-length`/`transfer-encoding` are framing of
/// the upstream hop.
const UNCOMPARED_UPSTREAM_HEADERS: [&str; 4] = [
    "connection",
    "keep-alive",
    "content-length",
    "transfer-encoding",
];

/// An answer with only what must match: status, compared headers, and the body (an echo's
/// JSON with the upstream hop's own headers removed).
pub fn comparable(answer: &Answer) -> (u16, Vec<(String, String)>, Value) {
    let mut headers: Vec<(String, String)> = answer
        .headers
        .iter()
        .filter(|(n, _)| !UNCOMPARED_RESPONSE_HEADERS.contains(&n.as_str()))
        .cloned()
        .collect();
    headers.sort();
    let body = match serde_json::from_slice::<Value>(&answer.body) {
        Ok(mut echoed) if echoed.get("headers").is_some() => {
            if let Some(Value::Array(seen)) = echoed.get_mut("headers") {
                seen.retain(|pair| {
                    !UNCOMPARED_UPSTREAM_HEADERS.contains(&pair[0].as_str().unwrap_or(""))
                });
            }
            echoed
        }
        _ => Value::String(String::from_utf8_lossy(&answer.body).into_owned()),
    };
    (answer.status, headers, body)
}

/// Replaces the value of every `"last_activity":"…"` in a JSON text with `<time>`: the two
/// proxies add their routes at different instants.
pub fn without_times(text: &str) -> String {
    let marker = "\"last_activity\":\"";
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        out.push_str(&rest[..at + marker.len()]);
        rest = &rest[at + marker.len()..];
        let end = rest.find('"').unwrap_or(rest.len());
        out.push_str("<time>");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Runs one request against both proxies' public ports and asserts the comparable parts are
/// equal; returns CHP's answer for further checks.
pub async fn same_through_both(
    pair: &Pair,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let chp = send(pair.public(Side::Chp), method, target, headers, body).await;
    let embedded = send(pair.public(Side::Embedded), method, target, headers, body).await;
    assert_eq!(
        comparable(&embedded),
        comparable(&chp),
        "{method} {target}\nembedded: {embedded:#?}\nchp: {chp:#?}"
    );
    chp
}
