//! tornado's `Etag` on successful `GET` answers (the SHA-1 of the body) and its
//! `If-None-Match` check, which turns a match into `304 Not Modified` without a body.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::MAX_BODY_BYTES;

/// Adds the `Etag` and answers `If-None-Match` (tornado's `compute_etag` and
/// `check_etag_header`).
pub async fn etag(request: Request, next: Next) -> Response {
    let is_get = request.method() == Method::GET;
    let if_none_match = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.run(request).await;
    if !is_get || response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // A remembered answer carries its tag already (`api::answers`); others are hashed here.
    let (tag, body) = match parts
        .headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
    {
        Some(tag) => (tag.to_owned(), body),
        None => {
            let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            let tag = super::answers::etag_of(&bytes);
            if let Ok(value) = HeaderValue::from_str(&tag) {
                parts.headers.insert(header::ETAG, value);
            }
            (tag, Body::from(bytes))
        }
    };
    if if_none_match
        .as_deref()
        .is_some_and(|wanted| matches(wanted, &tag))
    {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_TYPE);
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, body)
}

/// Whether `If-None-Match` names `tag`: `*`, or one of its comma-separated tags, weak
/// (`W/`) tags compared by their value.
fn matches(wanted: &str, tag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let tag = strip(tag);
    wanted.trim() == "*" || wanted.split(',').any(|candidate| strip(candidate) == tag)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn weak_and_listed_tags_match() {
        assert!(matches("\"abc\"", "\"abc\""));
        assert!(matches("W/\"abc\"", "\"abc\""));
        assert!(matches("\"x\", \"abc\"", "\"abc\""));
        assert!(matches("*", "\"abc\""));
        assert!(!matches("\"abd\"", "\"abc\""));
    }
}
