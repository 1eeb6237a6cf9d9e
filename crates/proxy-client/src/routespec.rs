//! Routespecs, JupyterHub's names for proxy routes, and their conversion to and from the path
//! keys of configurable-http-proxy (CHP). Pure: no I/O.
//!
//! A routespec is a URL prefix that ends in `/`: `/user/alice/` with path routing, or
//! `host.tld/user/alice/` with host routing (`JupyterHub.subdomain_host`); `/` is the default
//! route in both. CHP keys its table by the decoded path without the trailing slash
//! (`/user/alice`, `/host.tld/user/alice`), so names that JupyterHub percent-encodes (a user
//! `a b` has the routespec `/user/a%20b/`) come back from CHP decoded and are encoded again
//! with Python's `quote(path, safe='@/~')`. The rules are those of `Proxy.validate_routespec`,
//! `_routespec_to_chp_path` and `_routespec_from_chp_path` in JupyterHub's `proxy.py`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::ProxyError;

/// How routespecs name their routes: by path alone, or by host and path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Routing {
    /// Routespecs start with `/` (`/user/alice/`). JupyterHub's default.
    #[default]
    Path,
    /// Routespecs start with a host (`host.tld/user/alice/`), as with
    /// `JupyterHub.subdomain_host`; CHP runs with `--host-routing`.
    Host,
}

/// What Python's `quote(s, safe='@/~')` leaves alone: ASCII letters and digits, `_.-~` (always
/// safe in Python 3.7+), and the `@/~` JupyterHub adds.
const QUOTE_SAFE_AT_SLASH_TILDE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b'@')
    .remove(b'/');

/// Checks a routespec and returns it normalised, as JupyterHub's `Proxy.validate_routespec`:
/// `/` is always valid; otherwise the routespec must start with `/` under path routing and must
/// not under host routing, and a missing trailing `/` is added.
///
/// hubcap is stricter in one place: a routespec with an empty segment (`//`) is refused,
/// because CHP would store it under a different prefix than the one asked for.
pub fn validate_routespec(routespec: &str, routing: Routing) -> Result<String, ProxyError> {
    let invalid = |reason: &str| ProxyError::InvalidRoutespec {
        routespec: routespec.to_owned(),
        reason: reason.to_owned(),
    };
    if routespec == "/" {
        return Ok(routespec.to_owned());
    }
    if routespec.is_empty() {
        return Err(invalid(
            "it is empty; a routespec is a URL prefix such as `/user/alice/`, or `/` for the default route",
        ));
    }
    let names_host = !routespec.starts_with('/');
    match routing {
        Routing::Path if names_host => {
            return Err(invalid(
                "it names a host, but host routing is off; a routespec starts with `/`, as `/user/alice/`",
            ));
        }
        Routing::Host if !names_host => {
            return Err(invalid(
                "it has no host, but host routing is on (JupyterHub.subdomain_host); \
                 a routespec starts with the host, as `host.tld/user/alice/`",
            ));
        }
        Routing::Path | Routing::Host => {}
    }
    if routespec.contains("//") {
        return Err(invalid(
            "it has an empty path segment (`//`); each segment between slashes needs a name",
        ));
    }
    let mut normalised = routespec.to_owned();
    if !normalised.ends_with('/') {
        normalised.push('/');
    }
    Ok(normalised)
}

/// The CHP API path for a routespec (`_routespec_to_chp_path`): validated, a leading `/`
/// added (host routing), the trailing `/` removed except for the root route `/`. The result is
/// still percent-encoded as the routespec was; CHP decodes it.
pub fn routespec_to_chp_path(routespec: &str, routing: Routing) -> Result<String, ProxyError> {
    let routespec = validate_routespec(routespec, routing)?;
    let mut path = if routespec.starts_with('/') {
        routespec
    } else {
        format!("/{routespec}")
    };
    if path != "/" {
        let kept = path.trim_end_matches('/').len();
        path.truncate(kept);
    }
    Ok(path)
}

/// The routespec for a key of CHP's routing table (`_routespec_from_chp_path`): CHP keys are
/// decoded, so they are encoded again with Python's `quote(key, safe='@/~')`; under host
/// routing the leading `/` goes; a trailing `/` is added.
pub fn routespec_from_chp_path(chp_path: &str, routing: Routing) -> String {
    let mut routespec = utf8_percent_encode(chp_path, QUOTE_SAFE_AT_SLASH_TILDE).to_string();
    if routing == Routing::Host {
        routespec = routespec.trim_start_matches('/').to_owned();
    }
    if !routespec.ends_with('/') {
        routespec.push('/');
    }
    routespec
}

/// Makes a CHP path fit to send in a request line, as JupyterHub's HTTP client (aiohttp/yarl)
/// does: characters a URI path may hold stay, `%` followed by two hex digits stays (the
/// routespec's own encoding, which CHP decodes), everything else is percent-encoded.
pub(crate) fn encode_for_request_line(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut encoded = String::with_capacity(path.len());
    for (index, &byte) in bytes.iter().enumerate() {
        let keeps_escape = byte == b'%'
            && bytes.get(index + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(index + 2).is_some_and(u8::is_ascii_hexdigit);
        if keeps_escape || is_path_char(byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// RFC 3986 `pchar` and `/`, without `%`: unreserved, sub-delims, `:` and `@`.
fn is_path_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&byte)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn check_valid(routespec: &str, routing: Routing, normalised: &str, chp_path: &str) {
        assert_eq!(validate_routespec(routespec, routing).unwrap(), normalised);
        assert_eq!(routespec_to_chp_path(routespec, routing).unwrap(), chp_path);
    }

    fn check_invalid(routespec: &str, routing: Routing, reason_part: &str) {
        let message = validate_routespec(routespec, routing)
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with(&format!("invalid routespec `{routespec}`: ")),
            "{message}"
        );
        assert!(message.contains(reason_part), "{message}");
        assert!(routespec_to_chp_path(routespec, routing).is_err());
    }

    #[test]
    fn path_routespecs() {
        check_valid("/", Routing::Path, "/", "/");
        check_valid("/user/alice/", Routing::Path, "/user/alice/", "/user/alice");
        check_valid("/user/alice", Routing::Path, "/user/alice/", "/user/alice");
        check_valid(
            "/user/alice/proj/",
            Routing::Path,
            "/user/alice/proj/",
            "/user/alice/proj",
        );
        check_valid("/user/a%20b/", Routing::Path, "/user/a%20b/", "/user/a%20b");
    }

    #[test]
    fn host_routespecs() {
        check_valid("/", Routing::Host, "/", "/");
        check_valid(
            "host.tld/user/alice/",
            Routing::Host,
            "host.tld/user/alice/",
            "/host.tld/user/alice",
        );
        check_valid("host.tld/", Routing::Host, "host.tld/", "/host.tld");
    }

    #[test]
    fn invalid_routespecs_name_the_rule() {
        check_invalid("", Routing::Path, "it is empty");
        check_invalid("host.tld/user/", Routing::Path, "host routing is off");
        check_invalid("user/alice/", Routing::Path, "host routing is off");
        check_invalid("/user/alice/", Routing::Host, "host routing is on");
        check_invalid("/user//alice/", Routing::Path, "empty path segment");
        check_invalid("//", Routing::Path, "empty path segment");
    }

    #[test]
    fn chp_keys_are_quoted_as_python_does() {
        let check = |key: &str, routing: Routing, routespec: &str| {
            assert_eq!(routespec_from_chp_path(key, routing), routespec);
        };
        check("/", Routing::Path, "/");
        check("/", Routing::Host, "/");
        check("/user/alice", Routing::Path, "/user/alice/");
        check("/user/a b", Routing::Path, "/user/a%20b/");
        check("/user/a@b~c_d.e-f", Routing::Path, "/user/a@b~c_d.e-f/");
        check("/user/ü+:,", Routing::Path, "/user/%C3%BC%2B%3A%2C/");
        check("/user/50%", Routing::Path, "/user/50%25/");
        check(
            "/host.tld/user/alice",
            Routing::Host,
            "host.tld/user/alice/",
        );
    }

    #[test]
    fn request_lines_keep_escapes_and_encode_the_rest() {
        let check = |path: &str, encoded: &str| assert_eq!(encode_for_request_line(path), encoded);
        check("/user/alice", "/user/alice");
        check("/user/a%20b", "/user/a%20b");
        check("/user/a b", "/user/a%20b");
        check("/user/50%", "/user/50%25");
        check("/user/5%zz", "/user/5%25zz");
        check("/user/ü?#", "/user/%C3%BC%3F%23");
        check("/user/a@b:c+d", "/user/a@b:c+d");
    }

    mod properties {
        use percent_encoding::percent_decode_str;
        use proptest::prelude::*;

        use super::*;

        /// What CHP does to an API path: `decodeURIComponent`.
        fn chp_decodes(request_line_path: &str) -> String {
            percent_decode_str(request_line_path)
                .decode_utf8()
                .unwrap()
                .into_owned()
        }

        /// A key of CHP's table: decoded segments, none empty, any characters but `/`.
        fn chp_key() -> impl Strategy<Value = String> {
            prop::collection::vec("[^/]{1,8}", 0..4).prop_map(|segments| {
                if segments.is_empty() {
                    "/".to_owned()
                } else {
                    segments.iter().map(|s| format!("/{s}")).collect()
                }
            })
        }

        proptest! {
            /// A key read from CHP becomes a routespec that, sent back, is stored under the
            /// same key and read again as the same routespec.
            #[test]
            fn chp_keys_round_trip(key in chp_key(), host in proptest::bool::ANY) {
                let (key, routing) = if host && key != "/" {
                    (format!("/host.tld{key}"), Routing::Host)
                } else {
                    (key, Routing::Path)
                };
                let routespec = routespec_from_chp_path(&key, routing);
                prop_assert_eq!(validate_routespec(&routespec, routing).unwrap(), routespec.clone());
                let path = routespec_to_chp_path(&routespec, routing).unwrap();
                let stored = chp_decodes(&encode_for_request_line(&path));
                prop_assert_eq!(&stored, &key);
                prop_assert_eq!(routespec_from_chp_path(&stored, routing), routespec);
            }

            /// Any string is either refused with its own text in the message, or normalised
            /// to a routespec ending in `/` whose CHP path starts with `/`, has no trailing `/`
            /// (but for `/`), and fits in a request line.
            #[test]
            fn validation_is_total(routespec in ".{0,24}", host in proptest::bool::ANY) {
                let routing = if host { Routing::Host } else { Routing::Path };
                match validate_routespec(&routespec, routing) {
                    Err(error) => {
                        let prefix = format!("invalid routespec `{routespec}`: ");
                        prop_assert!(error.to_string().starts_with(&prefix));
                    }
                    Ok(normalised) => {
                        prop_assert!(normalised.ends_with('/'));
                        prop_assert!(normalised.starts_with(routespec.trim_end_matches('/')));
                        let path = routespec_to_chp_path(&routespec, routing).unwrap();
                        prop_assert!(path.starts_with('/'));
                        prop_assert!(path == "/" || !path.ends_with('/'));
                        let line = encode_for_request_line(&path);
                        prop_assert!(line.parse::<hyper::Uri>().is_ok(), "{}", line);
                    }
                }
            }
        }
    }
}
