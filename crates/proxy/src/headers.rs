//! Header rewriting on the way through: hop-by-hop headers dropped (each side has its own
//! connection), and the `X-Forwarded-*` headers that http-proxy's `xfwd` adds.
//!
//! Every value reused here is a reference-counted clone; a proxied request allocates only
//! when a header must be joined with one the client already sent.

use hyper::header::{
    CONNECTION, HOST, HeaderMap, HeaderName, HeaderValue, TE, TRAILER, TRANSFER_ENCODING, UPGRADE,
};

static KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
static PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// Whether the request asks to switch protocols (`Connection: upgrade` and an `Upgrade`
/// header), which is when Node hands it to CHP's websocket path.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(UPGRADE)
        && connection_tokens(headers).any(|token| token.eq_ignore_ascii_case("upgrade"))
}

fn connection_tokens(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|token| !token.is_empty())
}

/// Removes the hop-by-hop headers: the standard ones and those the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    if headers.contains_key(CONNECTION) {
        let named: Vec<HeaderName> = connection_tokens(headers)
            .filter(|token| !is_standard_hop_by_hop(token))
            .filter_map(|token| HeaderName::from_bytes(token.as_bytes()).ok())
            .collect();
        for name in named {
            headers.remove(name);
        }
        headers.remove(CONNECTION);
    }
    for name in [
        &KEEP_ALIVE,
        &PROXY_CONNECTION,
        &TE,
        &TRAILER,
        &TRANSFER_ENCODING,
        &UPGRADE,
    ] {
        if headers.contains_key(name) {
            headers.remove(name);
        }
    }
}

fn is_standard_hop_by_hop(token: &str) -> bool {
    [
        "keep-alive",
        "close",
        "upgrade",
        "te",
        "trailer",
        "transfer-encoding",
        "proxy-connection",
    ]
    .iter()
    .any(|known| token.eq_ignore_ascii_case(known))
}

/// What a connection adds to `X-Forwarded-For`: the client's address, as Node writes
/// `remoteAddress` (`::ffff:127.0.0.1` for an IPv4 client of a dual-stack socket).
pub fn forwarded_for_value(peer: std::net::IpAddr) -> HeaderValue {
    HeaderValue::try_from(peer.to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// Adds http-proxy's `X-Forwarded-*` headers: `For`, `Port` and `Proto` appended (with `,`)
/// to what the client sent, `Host` set only if absent. Websocket requests get no
/// `X-Forwarded-Host` and the protocol `ws`, as http-proxy's websocket pass does.
pub fn add_forwarded(headers: &mut HeaderMap, forwarded_for: &HeaderValue, websocket: bool) {
    let port = forwarded_port(headers.get(HOST));
    append_forwarded(headers, &X_FORWARDED_FOR, forwarded_for);
    append_forwarded(headers, &X_FORWARDED_PORT, &port);
    let proto = HeaderValue::from_static(if websocket { "ws" } else { "http" });
    append_forwarded(headers, &X_FORWARDED_PROTO, &proto);
    if !websocket && headers.get(&X_FORWARDED_HOST).is_none_or(|v| v.is_empty()) {
        let host = headers
            .get(HOST)
            .cloned()
            .unwrap_or(HeaderValue::from_static(""));
        headers.insert(X_FORWARDED_HOST.clone(), host);
    }
}

/// http-proxy's `getPort`: the first `:digits` of the Host header, else 80.
fn forwarded_port(host: Option<&HeaderValue>) -> HeaderValue {
    let bytes = host.map_or(&[][..], HeaderValue::as_bytes);
    let mut index = 0;
    while let Some(colon) = bytes
        .get(index..)
        .and_then(|rest| rest.iter().position(|b| *b == b':'))
    {
        let start = index + colon + 1;
        let digits = bytes.get(start..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        });
        if digits > 0 {
            let port = bytes.get(start..start + digits).unwrap_or_default();
            return HeaderValue::from_bytes(port).unwrap_or(HeaderValue::from_static("80"));
        }
        index = start;
    }
    HeaderValue::from_static("80")
}

/// `name: existing,value`, where `existing` joins repeated headers with `, ` as Node does.
fn append_forwarded(headers: &mut HeaderMap, name: &HeaderName, value: &HeaderValue) {
    let mut existing = headers
        .get_all(name)
        .iter()
        .filter(|v| !v.is_empty())
        .peekable();
    if existing.peek().is_none() {
        headers.insert(name.clone(), value.clone());
        return;
    }
    let mut joined: Vec<u8> = Vec::new();
    for (i, previous) in existing.enumerate() {
        if i > 0 {
            joined.extend_from_slice(b", ");
        }
        joined.extend_from_slice(previous.as_bytes());
    }
    joined.push(b',');
    joined.extend_from_slice(value.as_bytes());
    if let Ok(combined) = HeaderValue::from_bytes(&joined) {
        headers.insert(name.clone(), combined);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn get<'a>(map: &'a HeaderMap, name: &str) -> Option<&'a str> {
        map.get(name).map(|v| v.to_str().unwrap())
    }

    #[test]
    fn forwarded_headers_append_like_http_proxy() {
        let peer = forwarded_for_value("127.0.0.1".parse().unwrap());
        let mut map = headers(&[
            ("host", "hub.example:8000"),
            ("x-forwarded-for", "10.0.0.1"),
            ("x-forwarded-for", "10.0.0.2"),
        ]);
        add_forwarded(&mut map, &peer, false);
        assert_eq!(
            get(&map, "x-forwarded-for"),
            Some("10.0.0.1, 10.0.0.2,127.0.0.1")
        );
        assert_eq!(get(&map, "x-forwarded-port"), Some("8000"));
        assert_eq!(get(&map, "x-forwarded-proto"), Some("http"));
        assert_eq!(get(&map, "x-forwarded-host"), Some("hub.example:8000"));
    }

    #[test]
    fn websocket_requests_get_ws_and_no_forwarded_host() {
        let peer = forwarded_for_value("::1".parse().unwrap());
        let mut map = headers(&[("host", "[::1]:8000")]);
        add_forwarded(&mut map, &peer, true);
        assert_eq!(get(&map, "x-forwarded-for"), Some("::1"));
        // http-proxy's `/:(\d+)/` finds the `:1` inside the brackets first.
        assert_eq!(get(&map, "x-forwarded-port"), Some("1"));
        assert_eq!(get(&map, "x-forwarded-proto"), Some("ws"));
        assert_eq!(get(&map, "x-forwarded-host"), None);
    }

    #[test]
    fn port_defaults_to_80() {
        let mut map = headers(&[]);
        add_forwarded(&mut map, &HeaderValue::from_static("1.2.3.4"), false);
        assert_eq!(get(&map, "x-forwarded-port"), Some("80"));
        assert_eq!(get(&map, "x-forwarded-host"), Some(""));
    }

    #[test]
    fn hop_by_hop_headers_go() {
        let mut map = headers(&[
            ("connection", "keep-alive, x-private"),
            ("keep-alive", "timeout=5"),
            ("x-private", "1"),
            ("te", "trailers"),
            ("transfer-encoding", "chunked"),
            ("x-kept", "yes"),
        ]);
        strip_hop_by_hop(&mut map);
        let left: Vec<&str> = map.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["x-kept"]);
    }

    #[test]
    fn upgrade_needs_both_headers() {
        assert!(is_upgrade(&headers(&[
            ("connection", "keep-alive, Upgrade"),
            ("upgrade", "websocket")
        ])));
        assert!(!is_upgrade(&headers(&[("upgrade", "websocket")])));
        assert!(!is_upgrade(&headers(&[("connection", "upgrade")])));
    }
}
