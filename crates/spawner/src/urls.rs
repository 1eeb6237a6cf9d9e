//! JupyterHub's small URL helpers, ported exactly (`jupyterhub.utils.url_path_join`,
//! `url_escape_path`, `fmt_ip_url`, `urllib.parse.quote`), because the environment a server is
//! given must match JupyterHub's byte for byte. Strings in, strings out; no URL parsing crate.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// `urllib.parse.quote`'s always-safe characters: letters, digits and `_.-~`.
const ALWAYS_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~');

/// What `url_escape_path` keeps: the always-safe characters and `@` (`/` is escaped).
const PATH_SAFE: &AsciiSet = &ALWAYS_SAFE.remove(b'@');

/// What `quote(s)` keeps with its default `safe="/"`.
const QUOTE_SAFE: &AsciiSet = &ALWAYS_SAFE.remove(b'/');

/// `jupyterhub.utils.url_escape_path`: `quote(value, safe="@~")`, so `/` becomes `%2F`.
pub fn url_escape_path(value: &str) -> String {
    utf8_percent_encode(value, PATH_SAFE).to_string()
}

/// `urllib.parse.quote(value)` with its default `safe="/"` (used for OAuth client ids).
pub fn quote(value: &str) -> String {
    utf8_percent_encode(value, QUOTE_SAFE).to_string()
}

/// `jupyterhub.utils.url_path_join`: joins pieces with single slashes, keeping a leading and a
/// trailing slash when the first and last (non-empty trailing) pieces have them.
pub fn url_path_join(pieces: &[&str]) -> String {
    let mut pieces = pieces.to_vec();
    while pieces.last().is_some_and(|last| last.is_empty()) {
        pieces.pop();
    }
    let (Some(first), Some(last)) = (pieces.first(), pieces.last()) else {
        return String::new();
    };
    let initial = first.starts_with('/');
    let finalslash = last.ends_with('/');
    let stripped: Vec<&str> = pieces
        .iter()
        .map(|piece| piece.trim_matches('/'))
        .filter(|piece| !piece.is_empty())
        .collect();
    let mut result = stripped.join("/");
    if initial {
        result.insert(0, '/');
    }
    if finalslash {
        result.push('/');
    }
    if result == "//" {
        result = "/".to_owned();
    }
    result
}

/// `jupyterhub.utils.fmt_ip_url`: an IPv6 address is wrapped in `[]` for use in a URL.
pub fn fmt_ip_url(ip: &str) -> String {
    if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_owned()
    }
}

/// The path of an absolute URL, as `urllib.parse.urlparse(url).path` gives it: what follows the
/// authority, without query or fragment. A URL without `://` is taken as a path already.
pub fn url_path(url: &str) -> &str {
    let after_scheme = match url.find("://") {
        Some(at) => url.get(at + 3..).unwrap_or(""),
        None => return strip_query(url),
    };
    match after_scheme.find(['/', '?', '#']) {
        Some(at) => strip_query(after_scheme.get(at..).unwrap_or("")),
        None => "",
    }
}

fn strip_query(path: &str) -> &str {
    match path.find(['?', '#']) {
        Some(at) => path.get(..at).unwrap_or(path),
        None => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_path_join_matches_jupyterhub() {
        let check =
            |pieces: &[&str], want: &str| assert_eq!(url_path_join(pieces), want, "{pieces:?}");
        check(
            &["/user/alice/", "", "oauth_callback"],
            "/user/alice/oauth_callback",
        );
        check(
            &["/user/alice/", "proj", "oauth_callback"],
            "/user/alice/proj/oauth_callback",
        );
        check(&["/user/alice/", "", "/"], "/user/alice/");
        check(&["/", "user", "alice", "/"], "/user/alice/");
        check(
            &[
                "http://127.0.0.1:8081/hub/api",
                "users",
                "alice",
                "activity",
            ],
            "http://127.0.0.1:8081/hub/api/users/alice/activity",
        );
        check(&["/", "/"], "/");
        check(&["", ""], "");
        check(
            &["http://10.0.0.1:8081", "/hub/api"],
            "http://10.0.0.1:8081/hub/api",
        );
    }

    #[test]
    fn escaping_matches_python_quote() {
        assert_eq!(url_escape_path("a/b c@d~e"), "a%2Fb%20c@d~e");
        assert_eq!(url_escape_path("ünï"), "%C3%BCn%C3%AF");
        assert_eq!(quote("a/b c@d"), "a/b%20c%40d");
    }

    #[test]
    fn url_path_is_urlparse_path() {
        assert_eq!(url_path("http://127.0.0.1:8081/hub/api"), "/hub/api");
        assert_eq!(url_path("http://host:1"), "");
        assert_eq!(url_path("http://host/a?b#c"), "/a");
        assert_eq!(url_path("/hub/api"), "/hub/api");
    }

    #[test]
    fn ipv6_is_bracketed() {
        assert_eq!(fmt_ip_url("::1"), "[::1]");
        assert_eq!(fmt_ip_url("127.0.0.1"), "127.0.0.1");
    }

    proptest::proptest! {
        #[test]
        fn escaped_names_decode_back_and_hold_no_slash(name in ".*") {
            let escaped = url_escape_path(&name);
            proptest::prop_assert!(!escaped.contains('/'));
            proptest::prop_assert_eq!(percent_encoding::percent_decode_str(&escaped).decode_utf8().unwrap(), name);
        }
    }
}
