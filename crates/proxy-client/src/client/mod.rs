//! `ChpClient`: the [`Proxy`] trait over configurable-http-proxy's REST API, as JupyterHub's
//! `ConfigurableHTTPProxy.api_request` drives it: `{api_url}/api/routes{path}` with
//! `Authorization: token …`, at most `concurrency` calls at once, connection errors and 5xx
//! retried with exponential backoff for up to `retry_timeout`, other errors returned at once.
//! It speaks only CHP's wire API, so any server of that API (the npm proxy, or an embedded
//! one) works unchanged. It knows nothing of processes: see [`crate::ManagedChp`].

mod retry;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use tokio::sync::Semaphore;

use crate::error::excerpt;
use crate::proxy::{Proxy, ProxyFuture};
use crate::route::{Routes, Skipped, chp_timestamp, route_from_chp_entry};
use crate::routespec::{Routing, encode_for_request_line, routespec_to_chp_path};
use crate::{AuthToken, ProxyError};
use retry::Backoff;

/// How to reach and call a configurable-http-proxy API. Defaults are JupyterHub's.
#[derive(Clone, Debug)]
pub struct ChpClientConfig {
    /// The API's base URL, `http://host:port` (JupyterHub's default `http://127.0.0.1:8001`).
    pub api_url: String,
    /// The token CHP was started with; `None` only for a CHP running unauthenticated.
    pub auth_token: Option<AuthToken>,
    /// Path or host routing; must match CHP's `--host-routing`.
    pub routing: Routing,
    /// How long one attempt may take to connect.
    pub connect_timeout: Duration,
    /// How long one attempt may take in all; an attempt that runs out is retried.
    pub request_timeout: Duration,
    /// How long one call keeps retrying connection errors and 5xx answers (JupyterHub: 30 s).
    pub retry_timeout: Duration,
    /// At most this many calls are outstanding at once (`ConfigurableHTTPProxy.concurrency`).
    pub concurrency: usize,
}

impl Default for ChpClientConfig {
    fn default() -> Self {
        Self {
            api_url: "http://127.0.0.1:8001".to_owned(),
            auth_token: None,
            routing: Routing::Path,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            retry_timeout: Duration::from_secs(30),
            concurrency: 10,
        }
    }
}

impl ChpClientConfig {
    /// The configuration for a proxy the hub does not start (`should_start = False`): the
    /// token is required, from `auth_token` or else `CONFIGPROXY_AUTH_TOKEN`.
    pub fn external(
        api_url: impl Into<String>,
        auth_token: Option<AuthToken>,
    ) -> Result<Self, ProxyError> {
        let api_url = api_url.into();
        let Some(auth_token) = auth_token.or_else(AuthToken::from_env) else {
            return Err(ProxyError::MissingAuthToken { api_url });
        };
        Ok(Self {
            api_url,
            auth_token: Some(auth_token),
            ..Self::default()
        })
    }
}

/// A client of configurable-http-proxy's REST API; implements [`Proxy`].
#[derive(Debug)]
pub struct ChpClient {
    config: ChpClientConfig,
    /// `api_url` without a trailing `/`, checked to be `http://authority[/path]`.
    base: String,
    http: Client<HttpConnector, Full<Bytes>>,
    calls: Semaphore,
}

/// What one attempt came to.
enum Attempt {
    /// An answer below 500: final.
    Answered(StatusCode, Bytes),
    /// A connection error, a timeout or a 5xx: worth another try.
    Retry(String),
}

impl ChpClient {
    /// A client for the API at `config.api_url`. Fails if the URL is not `http://host:port`.
    pub fn new(config: ChpClientConfig) -> Result<Self, ProxyError> {
        let base = check_api_url(&config.api_url)?;
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(config.connect_timeout));
        connector.set_nodelay(true);
        let http = Client::builder(TokioExecutor::new()).build(connector);
        let calls = Semaphore::new(config.concurrency.max(1));
        Ok(Self {
            config,
            base,
            http,
            calls,
        })
    }

    /// The configuration this client was made with.
    pub fn config(&self) -> &ChpClientConfig {
        &self.config
    }

    /// The full URL of an API path (`url_path_join(api_url, 'api/routes', path)`).
    fn url(&self, chp_path: &str, query: &str) -> String {
        format!(
            "{}/api/routes{}{query}",
            self.base,
            encode_for_request_line(chp_path)
        )
    }

    /// One call with JupyterHub's retries; answers below 500 are returned, whatever they are.
    async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Bytes), ProxyError> {
        let body = body.map(|body| Bytes::from(body.to_string()));
        let started = tokio::time::Instant::now();
        let mut backoff = Backoff::new(self.config.retry_timeout);
        let mut attempts = 0_u32;
        loop {
            attempts += 1;
            tracing::debug!(%method, url, attempts, "proxy api request");
            let reason = match self.attempt(&method, url, body.clone()).await {
                Attempt::Answered(status, bytes) => return Ok((status, bytes)),
                Attempt::Retry(reason) => reason,
            };
            let Some(wait) = backoff.next_wait() else {
                return Err(ProxyError::Unavailable {
                    method: method.to_string(),
                    url: url.to_owned(),
                    attempts,
                    waited: started.elapsed(),
                    last_error: reason,
                });
            };
            tracing::warn!(%method, url, "proxy api request failed ({reason}), retrying");
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt, bounded by `request_timeout`, holding one of the `concurrency` permits.
    async fn attempt(&self, method: &Method, url: &str, body: Option<Bytes>) -> Attempt {
        let _permit = self.calls.acquire().await.ok();
        let request = match self.request(method, url, body) {
            Ok(request) => request,
            Err(reason) => return Attempt::Retry(reason),
        };
        let exchange = async {
            let response = self.http.request(request).await.map_err(|e| describe(&e))?;
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("reading the answer failed: {e}"))?
                .to_bytes();
            Ok::<_, String>((status, bytes))
        };
        match tokio::time::timeout(self.config.request_timeout, exchange).await {
            Err(_) => Attempt::Retry(format!(
                "no answer within {:.1}s",
                self.config.request_timeout.as_secs_f64()
            )),
            Ok(Err(reason)) => Attempt::Retry(reason),
            Ok(Ok((status, bytes))) if status.is_server_error() => {
                Attempt::Retry(format!("status {}{}", status.as_u16(), body_note(&bytes)))
            }
            Ok(Ok((status, bytes))) => Attempt::Answered(status, bytes),
        }
    }

    fn request(
        &self,
        method: &Method,
        url: &str,
        body: Option<Bytes>,
    ) -> Result<Request<Full<Bytes>>, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("the URL is not valid: {e}"))?;
        let mut builder = Request::builder().method(method.clone()).uri(uri);
        if let Some(token) = &self.config.auth_token {
            let mut value = HeaderValue::from_str(&format!("token {}", token.expose()))
                .map_err(|_| "the auth token has characters a header cannot hold".to_owned())?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        if body.is_some() {
            builder = builder.header(CONTENT_TYPE, "application/json");
        }
        builder
            .body(Full::new(body.unwrap_or_default()))
            .map_err(|e| format!("could not build the request: {e}"))
    }

    /// `GET {path}` returning the routing table (the whole one, or the inactive part).
    async fn get_table(&self, query: &str) -> Result<Routes, ProxyError> {
        let url = self.url("", query);
        let (status, bytes) = self.call(Method::GET, &url, None).await?;
        expect_success(&Method::GET, &url, status, &bytes)?;
        let invalid = |reason: String| ProxyError::InvalidResponse {
            method: Method::GET.to_string(),
            url: url.clone(),
            reason,
        };
        let table: Map<String, Value> = serde_json::from_slice(&bytes)
            .map_err(|e| invalid(format!("the routing table is not a JSON object: {e}")))?;
        let mut routes = Routes::new();
        for (chp_path, entry) in table {
            match route_from_chp_entry(&chp_path, entry, self.config.routing) {
                Ok(route) => {
                    routes.insert(route.routespec.clone(), route);
                }
                Err(Skipped::NotTheHubs) => {
                    tracing::debug!(chp_path, "omitting a route the hub did not add");
                }
                Err(Skipped::Malformed(reason)) => return Err(invalid(reason)),
            }
        }
        Ok(routes)
    }

    /// One `GET /api/routes` without retries, bounded by `timeout`: whether the API answers
    /// 200 now. For the managed proxy's start-up wait.
    pub(crate) async fn answers(&self, timeout: Duration) -> Result<(), String> {
        let url = self.url("", "");
        let attempt = tokio::time::timeout(timeout, self.attempt(&Method::GET, &url, None));
        let Ok(attempt) = attempt.await else {
            return Err(format!("no answer within {:.1}s", timeout.as_secs_f64()));
        };
        match attempt {
            Attempt::Answered(StatusCode::OK, _) => Ok(()),
            Attempt::Answered(status, bytes) => Err(format!(
                "the API answered {}{}",
                status.as_u16(),
                body_note(&bytes)
            )),
            Attempt::Retry(reason) => Err(reason),
        }
    }
}

/// One plain `GET url` (no token: it may go to a port that is not the API) expecting 200, for
/// the managed proxy's `/_chp_healthz` check on its public port.
pub(crate) async fn answers_ok(url: &str, timeout: Duration) -> Result<(), String> {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let request = Request::get(url)
        .body(Full::default())
        .map_err(|e| format!("could not build the request: {e}"))?;
    match tokio::time::timeout(timeout, client.request(request)).await {
        Err(_) => Err(format!("no answer within {:.1}s", timeout.as_secs_f64())),
        Ok(Err(e)) => Err(describe(&e)),
        Ok(Ok(response)) if response.status() == StatusCode::OK => Ok(()),
        Ok(Ok(response)) => Err(format!("answered {}", response.status().as_u16())),
    }
}

impl Proxy for ChpClient {
    fn routing(&self) -> Routing {
        self.config.routing
    }

    fn add_route<'a>(
        &'a self,
        routespec: &'a str,
        target: &'a str,
        mut data: Map<String, Value>,
    ) -> ProxyFuture<'a, ()> {
        Box::pin(async move {
            let path = routespec_to_chp_path(routespec, self.config.routing)?;
            data.insert("target".to_owned(), Value::String(target.to_owned()));
            data.insert("jupyterhub".to_owned(), Value::Bool(true));
            let url = self.url(&path, "");
            let (status, bytes) = self
                .call(Method::POST, &url, Some(&Value::Object(data)))
                .await?;
            expect_success(&Method::POST, &url, status, &bytes)
        })
    }

    fn delete_route<'a>(&'a self, routespec: &'a str) -> ProxyFuture<'a, ()> {
        Box::pin(async move {
            let path = routespec_to_chp_path(routespec, self.config.routing)?;
            let url = self.url(&path, "");
            let (status, bytes) = self.call(Method::DELETE, &url, None).await?;
            if status == StatusCode::NOT_FOUND {
                tracing::warn!(routespec, "route already deleted");
                return Ok(());
            }
            expect_success(&Method::DELETE, &url, status, &bytes)
        })
    }

    fn get_all_routes(&self) -> ProxyFuture<'_, Routes> {
        Box::pin(self.get_table(""))
    }

    fn inactive_since(&self, since: OffsetDateTime) -> ProxyFuture<'_, Routes> {
        Box::pin(async move {
            let query = format!("?inactive_since={}", chp_timestamp(since));
            self.get_table(&query).await
        })
    }
}

/// Checks `api_url` is `http://authority[/path]` and returns it without a trailing `/`.
fn check_api_url(api_url: &str) -> Result<String, ProxyError> {
    let invalid = |reason: &str| ProxyError::InvalidApiUrl {
        url: api_url.to_owned(),
        reason: reason.to_owned(),
    };
    let uri: Uri = api_url.parse().map_err(|_| {
        invalid("it is not a URL; expected `http://host:port`, as `http://127.0.0.1:8001`")
    })?;
    match uri.scheme_str() {
        Some("http") => {}
        Some(_) => {
            return Err(invalid(
                "only `http://` is supported (no https or unix sockets); expected `http://host:port`",
            ));
        }
        None => return Err(invalid("it has no scheme; expected `http://host:port`")),
    }
    if uri.authority().is_none() {
        return Err(invalid("it has no host; expected `http://host:port`"));
    }
    if uri.query().is_some() {
        return Err(invalid(
            "it has a query string; expected `http://host:port`",
        ));
    }
    Ok(api_url.trim_end_matches('/').to_owned())
}

/// An error for any answer that is not 2xx.
fn expect_success(
    method: &Method,
    url: &str,
    status: StatusCode,
    bytes: &Bytes,
) -> Result<(), ProxyError> {
    if status.is_success() {
        return Ok(());
    }
    Err(ProxyError::Rejected {
        method: method.to_string(),
        url: url.to_owned(),
        status: status.as_u16(),
        body: excerpt(&String::from_utf8_lossy(bytes), 200),
    })
}

fn body_note(bytes: &Bytes) -> String {
    let body = excerpt(&String::from_utf8_lossy(bytes), 200);
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

/// A transport error with its causes, which hyper keeps in the source chain
/// (`client error (Connect): tcp connect error: Connection refused`).
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn api_urls() {
        assert_eq!(
            check_api_url("http://127.0.0.1:8001").unwrap(),
            "http://127.0.0.1:8001"
        );
        assert_eq!(
            check_api_url("http://127.0.0.1:8001/").unwrap(),
            "http://127.0.0.1:8001"
        );
        assert_eq!(
            check_api_url("http://[::1]:8001/chp/").unwrap(),
            "http://[::1]:8001/chp"
        );
        let reason = |url: &str| check_api_url(url).unwrap_err().to_string();
        assert!(reason("https://127.0.0.1:8001").contains("only `http://` is supported"));
        assert!(reason("127.0.0.1:8001").starts_with("invalid proxy api_url `127.0.0.1:8001`"));
        assert!(reason("not a url").contains("it is not a URL"));
    }

    #[test]
    fn urls_join_as_url_path_join() {
        let client = ChpClient::new(ChpClientConfig {
            api_url: "http://127.0.0.1:8001/".into(),
            ..ChpClientConfig::default()
        })
        .unwrap();
        assert_eq!(client.url("", ""), "http://127.0.0.1:8001/api/routes");
        assert_eq!(client.url("/", ""), "http://127.0.0.1:8001/api/routes/");
        assert_eq!(
            client.url("/user/a b", ""),
            "http://127.0.0.1:8001/api/routes/user/a%20b"
        );
        assert_eq!(
            client.url("", "?inactive_since=2026-11-23T00:30:20.709Z"),
            "http://127.0.0.1:8001/api/routes?inactive_since=2026-11-23T00:30:20.709Z"
        );
    }

    #[test]
    fn external_proxies_need_a_token() {
        let config =
            ChpClientConfig::external("http://127.0.0.1:8001", AuthToken::new("t")).unwrap();
        assert_eq!(config.auth_token.unwrap().expose(), "t");
        assert_eq!(config.retry_timeout, Duration::from_secs(30));
        assert_eq!(config.concurrency, 10);
    }
}
