//! Where to go after logging in: JupyterHub's `_validate_next_url` (only paths on this hub;
//! an absolute URL for the hub's own host becomes its path) and `get_next_url` (the user's
//! running server, else the spawn page).

use axum::http::HeaderMap;

/// `_validate_next_url`: `next` if it is a local path (or a URL of this host, reduced to
/// its path), else `""`.
pub fn validate_next_url(next: &str, headers: &HeaderMap) -> String {
    // some browsers treat a backslash as a slash
    let mut next = next.replace('\\', "%5C");
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    };
    let host = header("host");
    let proto = match header("x-scheme") {
        "" => match header("x-forwarded-proto") {
            "" => "http",
            forwarded => forwarded.split(',').next().unwrap_or("http").trim(),
        },
        scheme => scheme,
    };
    if next.starts_with("///") {
        next = format!("//{}", next.trim_start_matches('/'));
    }
    let probe = format!("{next}/");
    let own = !host.is_empty()
        && (probe.starts_with(&format!("{proto}://{host}/"))
            || probe.starts_with(&format!("//{host}/")));
    if own {
        let original = next.clone();
        let after_host = original
            .split_once(&format!("//{host}"))
            .map_or("", |(_, rest)| rest);
        let (path_and_query, fragment) = match after_host.split_once('#') {
            Some((before, fragment)) => (before, Some(fragment)),
            None => (after_host, None),
        };
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        next = format!("/{}", path.trim_start_matches('/'));
        if let Some(query) = query.filter(|q| !q.is_empty()) {
            next = format!("{next}?{query}");
        }
        if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
            next = format!("{next}#{fragment}");
        }
    }
    if !next.is_empty() && (!next.starts_with('/') || next.starts_with("//")) {
        tracing::warn!(next = %next, "disallowing redirect outside the hub");
        return String::new();
    }
    next
}

/// `get_next_url`: the validated `next` argument, else the user's server when it is running
/// (`running_server_url`), else `{hub}spawn` — then, for a default, the request's query
/// arguments except `next` and `_xsrf`.
pub fn next_url(
    next_argument: Option<&str>,
    headers: &HeaderMap,
    query: Option<&str>,
    hub_prefix: &str,
    running_server_url: Option<String>,
) -> String {
    let next = validate_next_url(next_argument.unwrap_or(""), headers);
    if !next.is_empty() {
        return next;
    }
    let mut url = running_server_url.unwrap_or_else(|| format!("{hub_prefix}spawn"));
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(key, _)| key != "next" && key != "_xsrf")
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    if !kept.is_empty() {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish();
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&encoded);
    }
    url
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn check(next: &str, expected: &str) {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("hub.example:8000"));
        assert_eq!(validate_next_url(next, &headers), expected, "{next:?}");
    }

    #[test]
    fn only_local_paths_pass() {
        check("/hub/home", "/hub/home");
        check("/user/a/?x=1#f", "/user/a/?x=1#f");
        check("http://hub.example:8000/user/a/x?y=1", "/user/a/x?y=1");
        check("//hub.example:8000/a", "/a");
        check("http://evil.example/a", "");
        check("//evil.example/a", "");
        check("///evil.example/a", "");
        check("/\\evil.example", "/%5Cevil.example");
        check("relative", "");
        check("https://hub.example:8000/a", "");
        check("", "");
    }

    #[test]
    fn defaults_keep_the_query_but_next() {
        let headers = HeaderMap::new();
        assert_eq!(
            next_url(
                None,
                &headers,
                Some("next=http://x&a=1&_xsrf=t"),
                "/hub/",
                None
            ),
            "/hub/spawn?a=1"
        );
        assert_eq!(next_url(Some("/x"), &headers, None, "/hub/", None), "/x");
        assert_eq!(
            next_url(None, &headers, None, "/hub/", Some("/user/a/".into())),
            "/user/a/"
        );
    }
}
