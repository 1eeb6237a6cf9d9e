//! Rendered answers of hot `GET` endpoints, remembered per caller and URL until the next
//! write ([`crate::cache`]): the second identical request costs a lookup, not a rendering.
//! The answer is a function of the caller's token, the request's path, query and `Accept`
//! header, and the database (and server phases, which advance the cache's generation too).

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::Value;
use sha1::{Digest, Sha1};

use crate::auth::Caller;
use crate::cache::{Answer, AnswerKey, Generation};
use crate::state::AppState;

/// What the answer to this request is remembered under.
pub fn key(caller: &Caller, uri: &Uri, headers: &HeaderMap) -> AnswerKey {
    let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    (caller.key, format!("{target}\n{accept}"))
}

/// The remembered answer, if any.
pub fn remembered(state: &AppState, key: &AnswerKey) -> Option<Response> {
    state.cache.answer(key).map(respond)
}

/// Renders `value`, remembers it under `key` (as read at `read_at`), and answers it.
pub fn remember(state: &AppState, key: AnswerKey, read_at: Generation, value: &Value) -> Response {
    let body = Bytes::from(value.to_string());
    let answer = Answer {
        etag: etag_of(&body),
        body,
    };
    state.cache.remember_answer(key, read_at, answer.clone());
    respond(answer)
}

/// tornado's `Etag`: the quoted hex SHA-1 of the body.
pub fn etag_of(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Sha1::digest(body)))
}

fn respond(answer: Answer) -> Response {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(etag) = HeaderValue::from_str(&answer.etag) {
        headers.insert(header::ETAG, etag);
    }
    response
}
