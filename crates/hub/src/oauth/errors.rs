//! oauthlib's errors as JupyterHub answers them: fatal ones (bad client or redirect URI) as
//! an error page, the others as a redirect to the client with `error=` (authorize), and every
//! token-endpoint error as oauthlib's JSON body (`{"error": ..., "error_description": ...}`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::params::add_params_to_uri;

/// An oauthlib error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    /// The status oauthlib gives it.
    pub status: StatusCode,
    /// The `error` code (`invalid_grant`, ...).
    pub error: &'static str,
    /// oauthlib's description, if the error has one.
    pub description: Option<String>,
    /// Whether oauthlib calls it fatal (never sent back to the client's redirect URI).
    pub fatal: bool,
}

impl OAuthError {
    fn new(
        status: StatusCode,
        error: &'static str,
        description: Option<&str>,
        fatal: bool,
    ) -> Self {
        OAuthError {
            status,
            error,
            description: description.map(str::to_owned),
            fatal,
        }
    }

    /// `InvalidRequestFatalError` and its kinds (`Mismatching redirect URI.`, ...).
    pub fn fatal_request(description: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some(description),
            true,
        )
    }

    /// `InvalidRequestError` with a description.
    pub fn invalid_request(description: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some(description),
            false,
        )
    }

    /// `InvalidClientError` (401).
    pub fn invalid_client() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", None, true)
    }

    /// `InvalidGrantError`, with an optional description.
    pub fn invalid_grant(description: Option<&str>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description, false)
    }

    /// `InvalidScopeError`.
    pub fn invalid_scope() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", None, false)
    }

    /// `UnsupportedGrantTypeError`.
    pub fn unsupported_grant_type() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            None,
            false,
        )
    }

    /// `UnsupportedResponseTypeError`.
    pub fn unsupported_response_type() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            None,
            false,
        )
    }

    /// `UnauthorizedClientError`.
    pub fn unauthorized_client() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", None, false)
    }

    /// `ServerError` with a description.
    pub fn server_error(description: &str) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            Some(description),
            false,
        )
    }

    /// oauthlib's `twotuples`: `error`, `error_description`, `state`.
    fn pairs<'a>(&'a self, state: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
        let mut pairs = vec![("error", self.error)];
        if let Some(description) = self.description.as_deref().filter(|d| !d.is_empty()) {
            pairs.push(("error_description", description));
        }
        if let Some(state) = state.filter(|s| !s.is_empty()) {
            pairs.push(("state", state));
        }
        pairs
    }

    /// The redirect URI with the error added (`e.in_uri(e.redirect_uri)`).
    pub fn in_uri(&self, redirect_uri: &str, state: Option<&str>) -> String {
        add_params_to_uri(redirect_uri, &self.pairs(state))
    }

    /// oauthlib's JSON body (`json.dumps(dict(twotuples))`, Python's separators).
    pub fn json(&self) -> String {
        python_json_object(&self.pairs(None))
    }

    /// The token endpoint's answer: the JSON body with oauthlib's headers.
    pub fn token_response(&self) -> Response {
        let mut response = token_json_response(self.status, self.json());
        if self.status == StatusCode::UNAUTHORIZED {
            let mut value = format!("Bearer error=\"{}\"", self.error);
            if let Some(description) = self.description.as_deref().filter(|d| !d.is_empty()) {
                value.push_str(&format!(", error_description=\"{description}\""));
            }
            if let Ok(value) = HeaderValue::from_str(&value) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

/// A JSON answer of the token endpoint: `Cache-Control: no-store`, `Pragma: no-cache`.
pub fn token_json_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// `json.dumps` of a flat object of strings, as Python writes it.
pub fn python_json_object(pairs: &[(&str, &str)]) -> String {
    let fields: Vec<String> = pairs
        .iter()
        .map(|(key, value)| format!("{}: {}", python_json_string(key), python_json_string(value)))
        .collect();
    format!("{{{}}}", fields.join(", "))
}

/// `json.dumps(text)`: ASCII only, `\uXXXX` escapes.
pub fn python_json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for unit in text.encode_utf16() {
        match unit {
            0x22 => out.push_str("\\\""),
            0x5c => out.push_str("\\\\"),
            0x0a => out.push_str("\\n"),
            0x0d => out.push_str("\\r"),
            0x09 => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            0x20..=0x7e => out.push(char::from(u8::try_from(unit).unwrap_or(b'?'))),
            other => out.push_str(&format!("\\u{other:04x}")),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_redirects_are_oauthlibs() {
        assert_eq!(
            OAuthError::invalid_grant(None).json(),
            r#"{"error": "invalid_grant"}"#
        );
        assert_eq!(
            OAuthError::invalid_request("Code verifier required.").json(),
            r#"{"error": "invalid_request", "error_description": "Code verifier required."}"#
        );
        assert_eq!(
            OAuthError::invalid_scope().in_uri("/cb", Some("st")),
            "/cb?error=invalid_scope&state=st"
        );
        assert_eq!(python_json_string("é\""), "\"\\u00e9\\\"\"");
    }
}
