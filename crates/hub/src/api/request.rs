//! What handlers read from a request as tornado gives it to JupyterHub: query arguments (the
//! last value wins), the JSON body, pagination, and the request's own URL.

use axum::http::{HeaderMap, Uri, header};
use serde_json::Value;

use crate::error::ApiError;

/// The pagination media type of `Accept`.
pub const PAGINATION_MEDIA_TYPE: &str = "application/jupyterhub-pagination+json";

/// A request's query arguments and headers.
#[derive(Clone, Debug, Default)]
pub struct Args {
    pairs: Vec<(String, String)>,
    /// The request headers.
    pub headers: HeaderMap,
    /// The path and query as sent.
    pub uri: Option<Uri>,
}

impl Args {
    /// Reads the query string of `uri`.
    pub fn new(uri: Uri, headers: HeaderMap) -> Args {
        let pairs = uri
            .query()
            .map(|query| {
                url::form_urlencoded::parse(query.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        Args {
            pairs,
            headers,
            uri: Some(uri),
        }
    }

    /// tornado's `get_argument`: the last value given, stripped of surrounding whitespace.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
    }

    /// Whether the client accepts the pagination envelope (`Accept` lists its media type).
    pub fn accepts_pagination(&self) -> bool {
        self.headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|item| item.trim().eq_ignore_ascii_case(PAGINATION_MEDIA_TYPE))
    }

    /// `?include_stopped_servers` (any value but `0` / `false`).
    pub fn include_stopped_servers(&self) -> bool {
        self.get("include_stopped_servers")
            .is_some_and(|value| !matches!(value.to_lowercase().as_str(), "0" | "false"))
    }

    /// JupyterHub's `get_api_pagination`: `(offset, limit)`.
    ///
    /// # Errors
    ///
    /// 400 `Invalid argument type, offset and limit must be integers`.
    pub fn pagination(&self, default_limit: u32, max_limit: u32) -> Result<(u64, u64), ApiError> {
        let default_limit = if self.accepts_pagination() {
            default_limit
        } else {
            max_limit
        };
        let invalid =
            || ApiError::bad_request("Invalid argument type, offset and limit must be integers");
        let offset = match self.get("offset") {
            None => 0,
            Some(text) => python_int(text).ok_or_else(invalid)?.unsigned_abs(),
        };
        let limit = match self.get("limit") {
            None => u64::from(default_limit),
            Some(text) => python_int(text).ok_or_else(invalid)?.unsigned_abs(),
        };
        Ok((offset, limit.clamp(1, u64::from(max_limit.max(1)))))
    }

    /// The pagination envelope (`paginated_model`), with the next page's URL built from the
    /// request's own URL, as the client sent it.
    pub fn paginated(&self, items: Value, offset: u64, limit: u64, total: u64) -> Value {
        let next_offset = offset.saturating_add(limit);
        let next = if next_offset < total {
            serde_json::json!({
                "offset": next_offset,
                "limit": limit,
                "url": self.next_url(next_offset, limit),
            })
        } else {
            Value::Null
        };
        serde_json::json!({
            "items": items,
            "_pagination": {"offset": offset, "limit": limit, "total": total, "next": next},
        })
    }

    /// A list answer: the envelope when the client accepts pagination, the bare items
    /// otherwise.
    pub fn list_body(&self, items: Value, offset: u64, limit: u64, total: u64) -> Value {
        if self.accepts_pagination() {
            self.paginated(items, offset, limit, total)
        } else {
            items
        }
    }

    fn next_url(&self, offset: u64, limit: u64) -> String {
        let host = self
            .headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("127.0.0.1");
        let path = self.uri.as_ref().map_or("/", Uri::path);
        // parse_qs keeps order of first appearance; offset and limit are replaced in place
        // or appended.
        let mut pairs: Vec<(String, Vec<String>)> = Vec::new();
        for (key, value) in &self.pairs {
            match pairs.iter_mut().find(|(k, _)| k == key) {
                Some((_, values)) => values.push(value.clone()),
                None => pairs.push((key.clone(), vec![value.clone()])),
            }
        }
        for (key, value) in [("offset", offset), ("limit", limit)] {
            match pairs.iter_mut().find(|(k, _)| k == key) {
                Some((_, values)) => *values = vec![value.to_string()],
                None => pairs.push((key.to_owned(), vec![value.to_string()])),
            }
        }
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, values) in &pairs {
            for value in values {
                query.append_pair(key, value);
            }
        }
        format!("http://{host}{path}?{}", query.finish())
    }
}

/// Python's `int(text)` on a string: optional sign, decimal digits with single underscores
/// between them, surrounding whitespace allowed.
pub fn python_int(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..)?),
        Some(b'+') => (false, text.get(1..)?),
        _ => (false, text),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let value: i64 = digits.replace('_', "").parse().ok()?;
    Some(if negative { -value } else { value })
}

/// JupyterHub's `get_json_body`: `None` for an empty body.
///
/// # Errors
///
/// 400 `Invalid JSON in body of request`.
pub fn json_body(body: &[u8]) -> Result<Option<Value>, ApiError> {
    if body.is_empty() {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(body);
    serde_json::from_str(text.trim())
        .map(Some)
        .map_err(|_| ApiError::bad_request("Invalid JSON in body of request"))
}

/// `<class 'bool'>`: the Python type of a JSON value, as `repr(type(value))`.
pub fn py_class(value: &Value) -> String {
    format!("<class '{}'>", scopes::py_type_name(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_int_accepts_what_python_accepts() {
        assert_eq!(python_int(" 12 "), Some(12));
        assert_eq!(python_int("-3"), Some(-3));
        assert_eq!(python_int("+3"), Some(3));
        assert_eq!(python_int("1_000"), Some(1000));
        assert_eq!(python_int("1__0"), None);
        assert_eq!(python_int("_1"), None);
        assert_eq!(python_int("1.5"), None);
        assert_eq!(python_int(""), None);
        assert_eq!(python_int("abc"), None);
    }
}
