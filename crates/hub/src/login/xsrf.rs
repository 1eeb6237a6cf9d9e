//! JupyterHub's XSRF rules (`_xsrf_utils.py`): the token is the URL-safe base64 of a signed
//! `"{session_id}:{user.cookie_id}"` (or an anonymous id before login), kept in the `_xsrf`
//! cookie; a cookie-authenticated request that is not a plain navigation must send it back
//! (`?_xsrf=`, form `_xsrf`, `X-XSRFToken` or `X-CSRFToken`).

use axum::http::{HeaderMap, Method};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::cookies::{XSRF_COOKIE, cookie_values};
use super::signed::{create_signed_value, decode_signed_value};

/// How long an XSRF cookie's signature is accepted.
const XSRF_MAX_AGE_DAYS: f64 = 31.0;

/// The value an XSRF token signs: `"{session_id}:{cookie_id}"` for a logged-in user,
/// `"{session_id}:{anonymous id}"` before login.
pub fn token_id(session_id: Option<&str>, cookie_id: Option<&str>, headers: &HeaderMap) -> String {
    let session = session_id.unwrap_or("");
    match cookie_id {
        Some(id) => format!("{session}:{id}"),
        None => format!("{session}:{}", anonymous_id(headers)),
    }
}

/// `_anonymous_xsrf_id`: the SHA-256 of the client's address and `User-Agent`. hubcap reads
/// the address from `X-Real-Ip` / `X-Forwarded-For` (the proxy's), or uses none.
fn anonymous_id(headers: &HeaderMap) -> String {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    };
    let ip = match text("x-real-ip") {
        "" => text("x-forwarded-for")
            .rsplit(',')
            .next()
            .unwrap_or("")
            .trim(),
        real => real,
    };
    let mut hasher = Sha256::new();
    hasher.update(ip.as_bytes());
    hasher.update(text("user-agent").as_bytes());
    hasher.update([0xff]);
    base64::engine::general_purpose::URL_SAFE.encode(hasher.finalize())
}

/// A new token for `id`.
pub fn new_token(secret: &[u8], id: &str, now: i64) -> String {
    URL_SAFE_NO_PAD.encode(create_signed_value(secret, XSRF_COOKIE, id.as_bytes(), now))
}

/// The request's current token (`get_xsrf_token`): the `_xsrf` cookie when it is validly
/// signed for `id`, else a new one. The flag says whether the answer should set the cookie
/// (a new token, on a navigation).
pub fn current_token(secret: &[u8], headers: &HeaderMap, id: &str, now: i64) -> (String, bool) {
    for token in cookie_values(headers, XSRF_COOKIE) {
        let Some(signed) = decode_token(&token) else {
            continue;
        };
        if let Some(value) =
            decode_signed_value(secret, XSRF_COOKIE, &signed, XSRF_MAX_AGE_DAYS, now)
        {
            if value == id.as_bytes() {
                return (token, false);
            }
            // the first valid cookie decides, as `_get_xsrf_token_cookie` returns it
            break;
        }
    }
    let navigate = fetch_mode(headers).is_none_or(|mode| mode == "navigate");
    (new_token(secret, id, now), navigate)
}

fn decode_token(token: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).ok()?;
    String::from_utf8(bytes).ok()
}

fn fetch_mode(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("sec-fetch-mode")
        .and_then(|value| value.to_str().ok())
}

/// `_needs_check_xsrf` for a cookie-authenticated request.
pub fn needs_check(method: &Method, headers: &HeaderMap) -> bool {
    let mode = fetch_mode(headers).unwrap_or("unspecified");
    let site = headers
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("unspecified");
    let read_only = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let exempt = mode == "websocket"
        || (matches!(mode, "navigate" | "unspecified") && read_only)
        || (mode == "no-cors" && site == "same-origin" && read_only);
    if exempt && mode == "unspecified" {
        tracing::warn!(%method, "skipping XSRF check for insecure request");
    }
    !exempt
}

/// `check_xsrf_cookie`: `submitted` (from the query or form, if any; the headers are looked
/// at here) must be the request's current token for `id`.
///
/// # Errors
///
/// JupyterHub's 403 message.
pub fn check(
    secret: &[u8],
    method: &Method,
    headers: &HeaderMap,
    submitted: Option<&str>,
    id: &str,
    now: i64,
) -> Result<(), String> {
    if !needs_check(method, headers) {
        return Ok(());
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty())
    };
    let token = submitted
        .filter(|token| !token.is_empty())
        .or_else(|| header("x-xsrftoken"))
        .or_else(|| header("x-csrftoken"));
    let Some(token) = token else {
        return Err(format!("'_xsrf' argument missing from {method}"));
    };
    let (expected, _) = current_token(secret, headers, id, now);
    if token != expected {
        return Err(format!("XSRF cookie does not match {method} argument"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use axum::http::HeaderValue;

    use super::*;

    const SECRET: &[u8] = b"secret";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_cookie_token_is_kept_when_it_signs_the_same_id() {
        let token = new_token(SECRET, "s:c", 1000);
        let with_cookie = headers(&[("cookie", &format!("_xsrf={token}"))]);
        assert_eq!(
            current_token(SECRET, &with_cookie, "s:c", 2000),
            (token.clone(), false)
        );
        let (other, set) = current_token(SECRET, &with_cookie, "s:other", 2000);
        assert_ne!(other, token);
        assert!(set);
    }

    #[test]
    fn checks_follow_jupyterhubs_rules() {
        let token = new_token(SECRET, "s:c", 1000);
        let cookie = format!("_xsrf={token}");
        let navigate = headers(&[("cookie", &cookie), ("sec-fetch-mode", "navigate")]);
        assert!(check(SECRET, &Method::GET, &navigate, None, "s:c", 1000).is_ok());
        assert_eq!(
            check(SECRET, &Method::POST, &navigate, None, "s:c", 1000),
            Err("'_xsrf' argument missing from POST".to_owned())
        );
        assert_eq!(
            check(SECRET, &Method::POST, &navigate, Some("nope"), "s:c", 1000),
            Err("XSRF cookie does not match POST argument".to_owned())
        );
        assert!(check(SECRET, &Method::POST, &navigate, Some(&token), "s:c", 1000).is_ok());
        let cors = headers(&[
            ("cookie", &cookie),
            ("sec-fetch-mode", "cors"),
            ("x-xsrftoken", &token),
        ]);
        assert!(check(SECRET, &Method::GET, &cors, None, "s:c", 1000).is_ok());
        let cors_without = headers(&[("cookie", &cookie), ("sec-fetch-mode", "cors")]);
        assert_eq!(
            check(SECRET, &Method::GET, &cors_without, None, "s:c", 1000),
            Err("'_xsrf' argument missing from GET".to_owned())
        );
    }
}
