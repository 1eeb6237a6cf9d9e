//! The REST API port: CHP's `/api/routes[/path]` with its methods, token check, status codes
//! and bodies (error bodies are plain text without a content type, as CHP writes them).
//!
//! Two answers differ from CHP on purpose, where CHP never answers at all (the request hangs
//! on an exception in CHP's handler): a path argument that is not valid percent-encoding
//! gets 400, and `DELETE /api/routes` without a path gets 404.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::Value;
use subtle::ConstantTimeEq;

use crate::body::ResponseBody;
use crate::error_page::reason_phrase_response;
use crate::handler::{Refused, log_url};
use crate::json;
use crate::path;
use crate::shared::{Peer, Shared};
use crate::time;

/// The largest request body the API reads (route data is a few hundred bytes).
const MAX_BODY: usize = 8 * 1024 * 1024;

/// Answers one request on the API port.
pub async fn handle(
    shared: Arc<Shared>,
    _peer: Arc<Peer>,
    request: Request<Incoming>,
) -> Result<Response<ResponseBody>, Refused> {
    let method = request.method().clone();
    let url = request
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let response = answer(&shared, request).await;
    let status = response.status().as_u16();
    if status < 400 {
        tracing::info!(status, %method, url = log_url(&url), "api");
    } else {
        tracing::warn!(status, %method, url = log_url(&url), "api");
    }
    Ok(response)
}

async fn answer(shared: &Shared, request: Request<Incoming>) -> Response<ResponseBody> {
    // CHP parses the URL here too; where `new URL` throws, CHP never answers: say 400.
    let Ok(pathname) = path::routing_pathname(request.uri().path()) else {
        return text(
            StatusCode::BAD_REQUEST,
            "Request path is not a valid URL path",
        );
    };
    let argument = if pathname == "/api/routes" {
        None
    } else if let Some(rest) = pathname
        .strip_prefix("/api/routes")
        .filter(|rest| rest.starts_with('/'))
    {
        Some(rest.to_owned())
    } else {
        return reason_phrase_response(StatusCode::NOT_FOUND);
    };
    let method = request.method().clone();
    if ![Method::GET, Method::POST, Method::DELETE].contains(&method) {
        return text(StatusCode::METHOD_NOT_ALLOWED, "Method not supported");
    }
    let argument = match argument.as_deref().map(path::decode_uri_component) {
        None => None,
        Some(Ok(decoded)) => Some(decoded.into_owned()),
        Some(Err(())) => {
            return text(
                StatusCode::BAD_REQUEST,
                "Route path is not valid percent-encoded UTF-8",
            );
        }
    };
    if method == Method::POST {
        // CHP parses the body before it checks the token.
        let (parts, body) = request.into_parts();
        let data = match Limited::new(body, MAX_BODY).collect().await {
            Ok(collected) => json::parse_body(&collected.to_bytes()),
            Err(_) => {
                return text(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Body too large: route data is limited to 8 MiB",
                );
            }
        };
        let data = match data {
            Ok(data) => data,
            Err(message) => {
                return text(
                    StatusCode::BAD_REQUEST,
                    format!("Body not valid JSON: {message}"),
                );
            }
        };
        if !authorized(shared, parts.headers.get(AUTHORIZATION)) {
            return forbidden();
        }
        return post_route(shared, argument.as_deref().unwrap_or("/"), data);
    }
    if !authorized(shared, request.headers().get(AUTHORIZATION)) {
        return forbidden();
    }
    if method == Method::DELETE {
        let removed = argument.is_some_and(|path| shared.table.remove(&path));
        return empty(if removed {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::NOT_FOUND
        });
    }
    match argument.filter(|path| !path.is_empty() && path != "/") {
        Some(path) => match shared.table.get(&path) {
            Some(route) => {
                let mut out = String::new();
                route.write_json(&mut out);
                json_response(out)
            }
            None => empty(StatusCode::NOT_FOUND),
        },
        None => list_routes(shared, request.uri().query()),
    }
}

fn post_route(shared: &Shared, path: &str, data: Value) -> Response<ResponseBody> {
    match data {
        Value::Object(map) if map.get("target").is_some_and(Value::is_string) => {
            shared.table.add(path, map);
            empty(StatusCode::CREATED)
        }
        _ => text(StatusCode::BAD_REQUEST, "Must specify 'target' as string"),
    }
}

fn list_routes(shared: &Shared, query: Option<&str>) -> Response<ResponseBody> {
    let first = |name: &str| {
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .filter(|value| !value.is_empty())
    };
    let inactive_since = match first("inactiveSince").or_else(|| first("inactive_since")) {
        None => None,
        Some(text) => match time::parse_iso(&text) {
            Some(ms) => Some(ms),
            None => {
                return self::text(
                    StatusCode::BAD_REQUEST,
                    format!("Invalid datestamp '{text}' must be ISO8601."),
                );
            }
        },
    };
    json_response(shared.table.to_json_text(inactive_since))
}

/// CHP's token check: `/token\s+(\S+)/` anywhere in the header (case-sensitive, not
/// anchored), the captured word compared in constant time.
fn authorized(shared: &Shared, header: Option<&HeaderValue>) -> bool {
    let Some(expected) = &shared.auth_token else {
        return true;
    };
    let given = header.and_then(|value| token_in(value.as_bytes()));
    given.is_some_and(|given| bool::from(given.ct_eq(expected)))
}

/// The word after the first `token` that is followed by whitespace and a word.
fn token_in(header: &[u8]) -> Option<&[u8]> {
    let mut from = 0;
    while let Some(at) = header
        .get(from..)
        .and_then(|rest| rest.windows(5).position(|w| w == b"token"))
    {
        let after = from + at + 5;
        let rest = header.get(after..).unwrap_or_default();
        let spaces = rest.iter().take_while(|b| is_js_space(**b)).count();
        let word = rest.get(spaces..).unwrap_or_default();
        let length = word.iter().take_while(|b| !is_js_space(**b)).count();
        if spaces > 0 && length > 0 {
            return word.get(..length);
        }
        from = after;
    }
    None
}

/// JavaScript's `\s` over the Latin-1 bytes a header holds.
fn is_js_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0xa0)
}

fn forbidden() -> Response<ResponseBody> {
    empty(StatusCode::FORBIDDEN)
}

fn empty(status: StatusCode) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::empty());
    *response.status_mut() = status;
    response
}

fn text(status: StatusCode, message: impl Into<String>) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::full(Bytes::from(message.into())));
    *response.status_mut() = status;
    response
}

fn json_response(body: String) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::full(Bytes::from(body)));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_found_as_chps_regex_finds_it() {
        assert_eq!(token_in(b"token abc"), Some(&b"abc"[..]));
        assert_eq!(token_in(b"xtoken abc"), Some(&b"abc"[..]));
        assert_eq!(token_in(b"token\t abc def"), Some(&b"abc"[..]));
        assert_eq!(token_in(b"tokenabc token x"), Some(&b"x"[..]));
        assert_eq!(token_in(b"Bearer abc"), None);
        assert_eq!(token_in(b"Token abc"), None);
        assert_eq!(token_in(b"token "), None);
    }
}
