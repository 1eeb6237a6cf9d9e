//! Request paths as CHP and http-proxy-3 see them: WHATWG URL parsing (`new URL(url, base)`:
//! dot segments, backslashes, percent-encoding of characters a URL cannot hold, `//host`
//! network-path references), `decodeURIComponent` for routing, and http-proxy's `urlJoin`
//! of the target's path and the request's.
//!
//! The common case (a clean origin-form path) is recognised with one byte scan and
//! borrowed, so routing an ordinary request allocates nothing here; anything else goes
//! through the `url` crate, which implements the same WHATWG algorithm as Node.

use std::borrow::Cow;

/// Whether a byte must be percent-encoded in a WHATWG URL path.
fn encode_in_path(byte: u8) -> bool {
    byte <= 0x20
        || byte >= 0x7f
        || matches!(byte, b'"' | b'#' | b'<' | b'>' | b'?' | b'`' | b'{' | b'}')
}

/// Whether a byte must be percent-encoded in a WHATWG URL query of a special scheme.
fn encode_in_query(byte: u8) -> bool {
    byte <= 0x20 || byte >= 0x7f || matches!(byte, b'"' | b'#' | b'<' | b'>' | b'\'')
}

/// Whether `path` (no query) is already what WHATWG URL parsing would make of it.
fn path_is_clean(path: &[u8]) -> bool {
    if !path.starts_with(b"/") || path.starts_with(b"//") {
        return false;
    }
    let mut previous = 0_u8;
    for (index, &byte) in path.iter().enumerate() {
        if encode_in_path(byte) || byte == b'\\' {
            return false;
        }
        // `/.` or `/%2e` may start a dot segment: let the full algorithm decide.
        let dot = byte == b'.'
            || (byte == b'%'
                && path
                    .get(index + 1..index + 3)
                    .is_some_and(|hex| hex.eq_ignore_ascii_case(b"2e")));
        if previous == b'/' && dot {
            return false;
        }
        previous = byte;
    }
    true
}

/// `path` and `query` of a request target, as http-proxy's `getPath(req.url)` makes them:
/// `new URL(url, "http://base.invalid")`'s `pathname` + `search` (an empty query is
/// dropped, as an empty `search` is). `None` when nothing changes, so the caller keeps what
/// it has.
pub fn normalize_target(path: &str, query: Option<&str>) -> Option<String> {
    let query_clean = query.is_none_or(|q| !q.is_empty() && !q.bytes().any(encode_in_query));
    if path_is_clean(path.as_bytes()) && query_clean {
        return None;
    }
    let url = match query {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    Some(get_path(&url))
}

/// The `pathname` that CHP routes on: `new URL(req.url, "http://example.com").pathname`,
/// borrowed when nothing changes. A target starting with `//` is a network-path reference
/// there, so its first segment is a host, not part of the path; where that host is not
/// valid, JavaScript throws and CHP answers 500 (`Err`).
pub fn routing_pathname(path: &str) -> Result<Cow<'_, str>, ()> {
    if path_is_clean(path.as_bytes()) {
        return Ok(Cow::Borrowed(path));
    }
    let base = url::Url::parse("http://example.com/").map_err(|_| ())?;
    // WHATWG skips every slash before a special URL's host ("special authority ignore
    // slashes"); the url crate does not for relative input, so do it here.
    let network_path = path.starts_with(['/', '\\'])
        && path
            .get(1..)
            .is_some_and(|rest| rest.starts_with(['/', '\\']));
    let url = if network_path {
        base.join(&format!("//{}", path.trim_start_matches(['/', '\\'])))
    } else {
        base.join(path)
    };
    Ok(Cow::Owned(url.map_err(|_| ())?.path().to_owned()))
}

/// http-proxy-3's `getPath`: the path and search of `url` resolved against a base (a
/// leading `//` is kept as part of the path), except that `""` and a bare query pass
/// through.
pub fn get_path(url: &str) -> String {
    if url.is_empty() || url.starts_with('?') {
        return url.to_owned();
    }
    let parsed = if url.starts_with("//") {
        url::Url::parse(&format!("http://base.invalid{url}"))
    } else {
        url::Url::parse("http://base.invalid/").and_then(|base| base.join(url))
    };
    match parsed {
        Ok(parsed) => match parsed.query().filter(|q| !q.is_empty()) {
            Some(query) => format!("{}?{query}", parsed.path()),
            None => parsed.path().to_owned(),
        },
        // Unreachable for what hyper accepts as a request target; keep it as it came.
        Err(_) => url.to_owned(),
    }
}

/// JavaScript's `decodeURIComponent`: every `%XX` decoded; a `%` without two hex digits,
/// or bytes that are not UTF-8, are an error (CHP answers those with a 500).
pub fn decode_uri_component(text: &str) -> Result<Cow<'_, str>, ()> {
    if !text.contains('%') {
        return Ok(Cow::Borrowed(text));
    }
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%' {
            let high = bytes
                .get(index + 1)
                .and_then(|b| char::from(*b).to_digit(16))
                .ok_or(())?;
            let low = bytes
                .get(index + 2)
                .and_then(|b| char::from(*b).to_digit(16))
                .ok_or(())?;
            decoded.push(u8::try_from(high * 16 + low).map_err(|_| ())?);
            index += 3;
        } else {
            decoded.push(byte);
            index += 1;
        }
    }
    String::from_utf8(decoded).map(Cow::Owned).map_err(|_| ())
}

/// http-proxy-3's `urlJoin(target_path, request_path)`: the paths concatenated with one `/`
/// between them, and both queries joined with `&`.
pub fn url_join(target_path: &str, request_path: &str) -> String {
    let mut joined = String::with_capacity(target_path.len() + request_path.len());
    let mut queries: Vec<&str> = Vec::new();
    for part in [target_path, request_path] {
        let (segment, query) = match part.split_once('?') {
            Some((segment, query)) => (segment, Some(query)),
            None => (part, None),
        };
        if let Some(query) = query.filter(|q| !q.is_empty()) {
            queries.push(query);
        }
        if segment.is_empty() {
            continue;
        }
        match (joined.ends_with('/'), segment.strip_prefix('/')) {
            (true, Some(rest)) => joined.push_str(rest),
            (true, None) | (false, Some(_)) => joined.push_str(segment),
            (false, None) => {
                joined.push('/');
                joined.push_str(segment);
            }
        }
    }
    if !queries.is_empty() {
        joined.push('?');
        joined.push_str(&queries.join("&"));
    }
    joined
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn check_normalize(path: &str, query: Option<&str>, expected: &str) {
        let unchanged = match query {
            Some(query) => format!("{path}?{query}"),
            None => path.to_owned(),
        };
        let normalized = normalize_target(path, query).unwrap_or(unchanged);
        assert_eq!(
            normalized, expected,
            "normalize_target({path:?}, {query:?})"
        );
    }

    #[test]
    fn normalizes_as_whatwg_url() {
        // Expected: node 20, new URL(path, "http://base.invalid") pathname + search.
        check_normalize(
            "/a/./b/../c%2e/%2E%2e/d\\e f",
            Some("x=1 2&q='"),
            "/a/d/e%20f?x=1%202&q=%27",
        );
        check_normalize("/user/a", Some("x=1"), "/user/a?x=1");
        check_normalize("/user/a", Some(""), "/user/a");
        check_normalize("/a/..", None, "/");
        check_normalize("/a/.", None, "/a/");
        check_normalize("/é", None, "/%C3%A9");
        check_normalize("//x/../y", None, "//y");
        check_normalize("/.hidden/..x", None, "/.hidden/..x");
    }

    #[test]
    fn clean_paths_are_borrowed() {
        assert_eq!(
            normalize_target("/user/alice/api/kernels", Some("a=1")),
            None
        );
        assert!(matches!(
            routing_pathname("/user/alice/"),
            Ok(Cow::Borrowed(_))
        ));
    }

    #[test]
    fn network_path_references_lose_their_first_segment_for_routing() {
        assert_eq!(routing_pathname("//user/a/b").unwrap(), "/a/b");
        assert_eq!(routing_pathname("//user").unwrap(), "/");
        assert!(routing_pathname("//").is_err());
        assert_eq!(routing_pathname("///services/a").unwrap(), "/a");
        assert_eq!(routing_pathname("//\\user/x").unwrap(), "/x");
        assert_eq!(routing_pathname("/\\user").unwrap(), "/");
        assert!(routing_pathname("//%25/x").is_err());
    }

    #[test]
    fn decodes_like_decode_uri_component() {
        assert_eq!(decode_uri_component("/user/%C3%A9").unwrap(), "/user/é");
        assert_eq!(decode_uri_component("/a%2Fb").unwrap(), "/a/b");
        assert!(decode_uri_component("/a%zz").is_err());
        assert!(decode_uri_component("/a%C3").is_err());
        assert!(decode_uri_component("/a%").is_err());
    }

    #[test]
    fn url_join_is_http_proxys() {
        assert_eq!(url_join("/", "/user/a?x=1"), "/user/a?x=1");
        assert_eq!(url_join("/", "//x"), "//x");
        assert_eq!(url_join("/base", "/user/a"), "/base/user/a");
        assert_eq!(url_join("/base/", "/user"), "/base/user");
        assert_eq!(url_join("/base", "/"), "/base/");
        assert_eq!(url_join("/base?t=1", "/u?x=2"), "/base/u?t=1&x=2");
        assert_eq!(url_join("/base", ""), "/base");
        assert_eq!(url_join("/base", "?q"), "/base?q");
    }

    #[test]
    fn get_path_roots_relative_paths() {
        assert_eq!(get_path(""), "");
        assert_eq!(get_path("?q=1"), "?q=1");
        assert_eq!(get_path("x/y"), "/x/y");
        assert_eq!(get_path("/base/?a=1"), "/base/?a=1");
    }
}
