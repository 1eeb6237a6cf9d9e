//! URL encoding as Python's `urllib.parse` does it, for the redirects and forms the OAuth
//! provider writes: `quote_plus` for query values, `add_params_to_uri` (oauthlib).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What `quote_plus` leaves alone besides letters and digits.
const QUERY_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b' ');

/// What `urllib.parse.quote` leaves alone in a path (`/` included).
pub const PATH_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b'/');

/// `urllib.parse.quote_plus`.
pub fn quote(text: &str) -> String {
    utf8_percent_encode(text, QUERY_SAFE)
        .to_string()
        .replace(' ', "+")
}

/// `urlencode(pairs)`.
pub fn urlencode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(key, value)| format!("{}={}", quote(key), quote(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// oauthlib's `add_params_to_uri`: the URI's query, re-encoded, with `params` appended.
pub fn add_params_to_uri(uri: &str, params: &[(&str, &str)]) -> String {
    let (before_fragment, fragment) = match uri.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (uri, None),
    };
    let (base, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    let existing: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let all = existing
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(params.iter().copied());
    let mut out = format!("{base}?{}", urlencode(all));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_python() {
        assert_eq!(quote("a b/c~d*e"), "a+b%2Fc~d%2Ae");
        assert_eq!(
            add_params_to_uri("/cb", &[("code", "x"), ("state", "s t")]),
            "/cb?code=x&state=s+t"
        );
        assert_eq!(
            add_params_to_uri("http://h/cb?a=1#f", &[("error", "invalid_scope")]),
            "http://h/cb?a=1&error=invalid_scope#f"
        );
    }
}
