//! The answer to a request the proxy cannot forward (404 no route, 503 target down, 500
//! unusable route), as CHP gives it: the error target's page for that code if one is
//! configured (`GET {error_target}{code}?url={request url}`, relayed with the original
//! code), otherwise CHP's built-in page, and the bare reason phrase if the error target
//! fails. Websocket requests get an empty response and the connection closes.
//!
//! The three built-in pages are CHP's `lib/error/*.html` (BSD-3-Clause, Project Jupyter
//! Contributors), byte for byte, so clients see the same page from either proxy.

use hyper::header::{CONNECTION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};

use crate::body::{RequestBody, ResponseBody};
use crate::shared::Shared;

const PAGE_404: &str = include_str!("error_pages/404.html");
const PAGE_503: &str = include_str!("error_pages/503.html");
const PAGE_OTHER: &str = include_str!("error_pages/error.html");

/// The response for a proxy error `status` on a request for `url` (path and query).
pub async fn error_response(
    shared: &Shared,
    status: StatusCode,
    url: &str,
    websocket: bool,
) -> Response<ResponseBody> {
    if websocket {
        let mut response = Response::new(ResponseBody::empty());
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    match &shared.error_target {
        Some(error_target) => match fetch_error_page(shared, error_target, status, url).await {
            Ok(response) => response,
            Err(reason) => {
                tracing::error!(%status, reason, "failed to get custom error page");
                reason_phrase_response(status)
            }
        },
        None => built_in_page(status),
    }
}

async fn fetch_error_page(
    shared: &Shared,
    error_target: &url::Url,
    status: StatusCode,
    url: &str,
) -> Result<Response<ResponseBody>, String> {
    let page_url = error_page_url(error_target, status, url);
    let uri = Uri::try_from(page_url.as_str()).map_err(|error| error.to_string())?;
    let mut request = Request::new(RequestBody::Empty);
    *request.method_mut() = Method::GET;
    *request.uri_mut() = uri;
    let upstream = shared
        .client
        .request(request)
        .await
        .map_err(|error| error.to_string())?;
    let (parts, body) = upstream.into_parts();
    let mut response = Response::new(ResponseBody::Upstream {
        inner: body,
        route: None,
    });
    *response.status_mut() = status;
    for name in [CONTENT_TYPE, CONTENT_ENCODING] {
        if let Some(value) = parts.headers.get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    Ok(response)
}

/// `{error_target}{code}?url={url}`, with `url` set as `URLSearchParams.set` does.
pub fn error_page_url(error_target: &url::Url, status: StatusCode, url: &str) -> url::Url {
    let mut page = error_target.clone();
    page.set_path(&format!("{}{}", error_target.path(), status.as_u16()));
    let mut pairs: Vec<(String, String)> = page.query_pairs().into_owned().collect();
    match pairs.iter().position(|(key, _)| key == "url") {
        Some(first) => {
            if let Some(pair) = pairs.get_mut(first) {
                pair.1 = url.to_owned();
            }
            let mut seen = 0;
            pairs.retain(|(key, _)| {
                let keep = key != "url" || seen == 0;
                seen += usize::from(key == "url");
                keep
            });
        }
        None => pairs.push(("url".to_owned(), url.to_owned())),
    }
    page.query_pairs_mut().clear().extend_pairs(pairs);
    page
}

fn built_in_page(status: StatusCode) -> Response<ResponseBody> {
    let page = match status {
        StatusCode::NOT_FOUND => PAGE_404,
        StatusCode::SERVICE_UNAVAILABLE => PAGE_503,
        _ => PAGE_OTHER,
    };
    let mut response = Response::new(ResponseBody::full(page));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

/// CHP's last resort: the status and its reason phrase as a plain body, no content type.
pub fn reason_phrase_response(status: StatusCode) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::full(status.canonical_reason().unwrap_or("")));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn error_page_url_is_chps() {
        let target = url::Url::parse("http://127.0.0.1:8081/hub/error/").unwrap();
        assert_eq!(
            error_page_url(&target, StatusCode::SERVICE_UNAVAILABLE, "/user/x/?a=1 2").as_str(),
            "http://127.0.0.1:8081/hub/error/503?url=%2Fuser%2Fx%2F%3Fa%3D1+2"
        );
        let target = url::Url::parse("http://h/e/?url=old&k=v&url=older").unwrap();
        assert_eq!(
            error_page_url(&target, StatusCode::NOT_FOUND, "/x").as_str(),
            "http://h/e/404?url=%2Fx&k=v"
        );
    }
}
