//! The public port: one request in, routed by the table, forwarded to its target with the
//! body streamed both ways, or answered with CHP's error for it. Websocket upgrades are
//! handed to [`crate::websocket`].

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue, UPGRADE};
use hyper::http::uri::{Parts, PathAndQuery};
use hyper::http::{Extensions, Version};
use hyper::{Method, Request, Response, StatusCode, Uri};

use crate::body::{RequestBody, ResponseBody};
use crate::error_page::error_response;
use crate::headers;
use crate::path;
use crate::route::{Route, Target};
use crate::shared::{Peer, Shared};
use crate::trie;
use crate::websocket;

/// Why the connection is closed without an answer: a protocol upgrade other than a
/// websocket `GET`, which CHP answers by destroying the socket.
#[derive(Debug)]
pub struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("upgrade refused: only websocket GET requests are proxied")
    }
}

impl std::error::Error for Refused {}

/// Answers one request on the public port.
pub async fn handle(
    shared: Arc<Shared>,
    peer: Arc<Peer>,
    request: Request<Incoming>,
) -> Result<Response<ResponseBody>, Refused> {
    if request.uri().path_and_query().map(PathAndQuery::as_str) == Some("/_chp_healthz") {
        let mut response = Response::new(ResponseBody::full(&br#"{"status":"OK"}"#[..]));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        return Ok(response);
    }
    let websocket = headers::is_upgrade(request.headers());
    let url = url_of(request.uri());
    let Some(route) = find_route(&shared, &request) else {
        return Ok(error_response(&shared, StatusCode::NOT_FOUND, url, websocket).await);
    };
    let Ok(route) = route else {
        tracing::error!(url = %log_url(url), "500: request path is not a valid URL path or not percent-encoded UTF-8");
        return Ok(
            error_response(&shared, StatusCode::INTERNAL_SERVER_ERROR, url, websocket).await,
        );
    };
    let target = match route.target() {
        Ok(target) => target.clone(),
        Err(reason) => {
            tracing::error!(url = %log_url(url), route = route.path(), reason, "500: route target unusable");
            return Ok(
                error_response(&shared, StatusCode::INTERNAL_SERVER_ERROR, url, websocket).await,
            );
        }
    };
    let uri = match upstream_uri(&shared, &route, &target, request.uri()) {
        Ok(uri) => uri,
        Err(reason) => {
            tracing::error!(url = %log_url(url), reason, "500: cannot build the upstream URL");
            return Ok(
                error_response(&shared, StatusCode::INTERNAL_SERVER_ERROR, url, websocket).await,
            );
        }
    };
    if websocket {
        let is_websocket = request.method() == Method::GET
            && request
                .headers()
                .get(UPGRADE)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
        if !is_websocket {
            return Err(Refused);
        }
        return Ok(websocket::proxy(&shared, &peer, route, &target, uri, request).await);
    }
    Ok(forward(&shared, &peer, route, &target, uri, request).await)
}

/// A request's target as Node's `req.url` has it (origin form).
pub fn url_of(uri: &Uri) -> &str {
    uri.path_and_query().map_or("/", PathAndQuery::as_str)
}

/// The URL without its query, for logs (queries may carry tokens).
pub fn log_url(url: &str) -> &str {
    url.split_once('?').map_or(url, |(path, _)| path)
}

/// The route for a request, `Some(Err)` when its path cannot be decoded (CHP: 500).
fn find_route(shared: &Shared, request: &Request<Incoming>) -> Option<Result<Arc<Route>, ()>> {
    let Ok(pathname) = path::routing_pathname(request.uri().path()) else {
        return Some(Err(()));
    };
    let Ok(decoded) = path::decode_uri_component(&pathname) else {
        return Some(Err(()));
    };
    let route = if shared.settings.host_routing {
        let host = request
            .headers()
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .map_or("undefined", |h| h.split(':').next().unwrap_or_default());
        let full = format!("/{host}{decoded}");
        shared.table.route_for(trie::segments(&full))
    } else {
        shared.table.route_for(trie::segments(&decoded))
    };
    route.map(Ok)
}

/// The URI to request from the target: its authority, and the path http-proxy builds
/// (`urlJoin(target path, getPath(req.url))`).
pub fn upstream_uri(
    shared: &Shared,
    route: &Route,
    target: &Target,
    uri: &Uri,
) -> Result<Uri, String> {
    let original = uri.path_and_query().map_or("/", PathAndQuery::as_str);
    let settings = &shared.settings;
    let joined: Option<String> = if settings.include_prefix {
        let request_path = path::normalize_target(uri.path(), uri.query());
        if settings.prepend_path && target.path() != "/" {
            Some(path::url_join(
                target.path(),
                request_path.as_deref().unwrap_or(original),
            ))
        } else {
            request_path
        }
    } else {
        // CHP: `req.url = req.url.slice(prefix.length)`, in UTF-16 units of the decoded prefix.
        let cut = route.prefix().encode_utf16().count();
        let rest: String = original.chars().skip(cut).collect();
        let target_path = if settings.prepend_path {
            target.path()
        } else {
            "/"
        };
        Some(path::url_join(target_path, &path::get_path(&rest)))
    };
    let path_and_query = match joined {
        None => uri
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/")),
        Some(text) => PathAndQuery::try_from(text).map_err(|error| error.to_string())?,
    };
    let mut parts = Parts::default();
    parts.scheme = Some(target.scheme().clone());
    parts.authority = Some(target.authority().clone());
    parts.path_and_query = Some(path_and_query);
    Uri::from_parts(parts).map_err(|error| error.to_string())
}

/// Forwards a plain HTTP request and streams the answer back.
async fn forward(
    shared: &Shared,
    peer: &Peer,
    route: Arc<Route>,
    target: &Target,
    uri: Uri,
    request: Request<Incoming>,
) -> Response<ResponseBody> {
    let (mut parts, body) = request.into_parts();
    headers::strip_hop_by_hop(&mut parts.headers);
    // http-proxy's deleteLength: a DELETE or OPTIONS without a length says 0.
    if (parts.method == Method::DELETE || parts.method == Method::OPTIONS)
        && !parts.headers.contains_key(CONTENT_LENGTH)
        && http_body::Body::is_end_stream(&body)
    {
        parts
            .headers
            .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    if shared.settings.x_forward {
        headers::add_forwarded(&mut parts.headers, &peer.forwarded_for, false);
    }
    let original_uri = std::mem::replace(&mut parts.uri, uri);
    parts.version = Version::HTTP_11;
    parts.extensions = Extensions::new();
    let upstream_request = Request::from_parts(
        parts,
        RequestBody::Client {
            inner: body,
            route: Arc::clone(&route),
        },
    );
    let sent = shared.client.request(upstream_request);
    let outcome = match shared.settings.proxy_timeout {
        Some(limit) => match tokio::time::timeout(limit, sent).await {
            Ok(outcome) => outcome.map_err(|error| error.to_string()),
            Err(_) => Err(format!("no response within {limit:?}")),
        },
        None => sent.await.map_err(|error| error.to_string()),
    };
    match outcome {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            headers::strip_hop_by_hop(&mut parts.headers);
            let counts = parts.status.as_u16() < 300;
            let body = ResponseBody::Upstream {
                inner: body,
                route: counts.then_some(route),
            };
            Response::from_parts(parts, body)
        }
        Err(reason) => {
            let url = url_of(&original_uri);
            tracing::error!(url = %log_url(url), target = %target.authority(), reason, "503: target did not answer");
            error_response(shared, StatusCode::SERVICE_UNAVAILABLE, url, false).await
        }
    }
}
