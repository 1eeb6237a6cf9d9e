//! Cookies as tornado reads and writes them: the `Cookie` header read with the last value of
//! a name winning, and `Set-Cookie` lines with Python's quoting and attributes in
//! `http.cookies.Morsel` order (`expires`, `HttpOnly`, `Max-Age`, `Path`, `Secure`).

use axum::http::{HeaderMap, HeaderValue, header};
use time::OffsetDateTime;

/// The login cookie (`hub.cookie_name`).
pub const LOGIN_COOKIE: &str = "jupyterhub-hub-login";
/// The session id cookie (plain, so servers and services can read it).
pub const SESSION_COOKIE: &str = "jupyterhub-session-id";
/// The XSRF cookie.
pub const XSRF_COOKIE: &str = "_xsrf";

/// Every value sent for cookie `name`, in order (quotes removed).
pub fn cookie_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|chunk| {
            let (key, value) = chunk.split_once('=')?;
            (key.trim() == name).then(|| unquote(value.trim()))
        })
        .collect()
}

/// The value of cookie `name` (the last one sent, as tornado's `cookies` dict keeps it).
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    cookie_values(headers, name).pop()
}

/// `"..."` without its quotes and backslash escapes (Python's `_unquote`, for the escapes
/// a signed value can contain).
fn unquote(value: &str) -> String {
    match value
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
    {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => value.to_owned(),
    }
}

/// Characters Python's `http.cookies` leaves unquoted.
fn is_legal(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~:".contains(c)
}

/// One `Set-Cookie` line.
#[derive(Debug, Clone)]
pub struct SetCookie {
    name: &'static str,
    value: String,
    path: String,
    expires: Option<OffsetDateTime>,
    max_age: Option<i64>,
    http_only: bool,
    secure: bool,
}

impl SetCookie {
    /// `name=value` on `path`.
    pub fn new(name: &'static str, value: impl Into<String>, path: &str) -> SetCookie {
        SetCookie {
            name,
            value: value.into(),
            path: path.to_owned(),
            expires: None,
            max_age: None,
            http_only: false,
            secure: false,
        }
    }

    /// `HttpOnly`.
    #[must_use]
    pub fn http_only(mut self) -> SetCookie {
        self.http_only = true;
        self
    }

    /// `Secure` when `yes`.
    #[must_use]
    pub fn secure(mut self, yes: bool) -> SetCookie {
        self.secure = yes;
        self
    }

    /// `expires=` `days` from now (tornado's `expires_days`).
    #[must_use]
    pub fn expires_in_days(mut self, days: i64) -> SetCookie {
        self.expires = Some(OffsetDateTime::now_utc() + time::Duration::days(days));
        self
    }

    /// `Max-Age=`.
    #[must_use]
    pub fn max_age(mut self, seconds: i64) -> SetCookie {
        self.max_age = Some(seconds);
        self
    }

    /// The cookie that clears `name` on `path` (tornado's `clear_cookie`: empty, expired a
    /// year ago).
    pub fn clear(name: &'static str, path: &str) -> SetCookie {
        let mut cookie = SetCookie::new(name, "", path);
        cookie.expires = Some(OffsetDateTime::now_utc() - time::Duration::days(365));
        cookie
    }

    /// The header line.
    pub fn line(&self) -> String {
        let value = if !self.value.is_empty() && self.value.chars().all(is_legal) {
            self.value.clone()
        } else {
            format!(
                "\"{}\"",
                self.value.replace('\\', "\\\\").replace('"', "\\\"")
            )
        };
        let mut line = format!("{}={value}", self.name);
        if let Some(expires) = self.expires {
            line.push_str("; expires=");
            line.push_str(&http_date(expires));
        }
        if self.http_only {
            line.push_str("; HttpOnly");
        }
        if let Some(seconds) = self.max_age {
            line.push_str(&format!("; Max-Age={seconds}"));
        }
        line.push_str("; Path=");
        line.push_str(&self.path);
        if self.secure {
            line.push_str("; Secure");
        }
        line
    }

    /// Appends the line to `headers`.
    pub fn add_to(&self, headers: &mut HeaderMap) {
        if let Ok(value) = HeaderValue::from_str(&self.line()) {
            headers.append(header::SET_COOKIE, value);
        }
    }
}

/// `Wed, 23 Dec 2026 00:34:56 GMT`.
pub fn http_date(at: OffsetDateTime) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let at = at.to_offset(time::UtcOffset::UTC);
    let day = DAYS
        .get(usize::from(at.weekday().number_days_from_monday()))
        .copied()
        .unwrap_or("Mon");
    let month = MONTHS
        .get(usize::from(u8::from(at.month())) - 1)
        .copied()
        .unwrap_or("Jan");
    format!(
        "{day}, {:02} {month} {} {:02}:{:02}:{:02} GMT",
        at.day(),
        at.year(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn reads_the_last_value_without_quotes() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; jupyterhub-hub-login=\"2|x=\"; a=2"),
        );
        assert_eq!(cookie(&headers, "a").unwrap(), "2");
        assert_eq!(cookie(&headers, LOGIN_COOKIE).unwrap(), "2|x=");
        assert_eq!(cookie(&headers, "b"), None);
    }

    #[test]
    fn writes_like_python() {
        let line = SetCookie::new(SESSION_COOKIE, "abc", "/")
            .http_only()
            .line();
        assert_eq!(line, "jupyterhub-session-id=abc; HttpOnly; Path=/");
        let line = SetCookie::new(XSRF_COOKIE, "x=", "/hub/")
            .max_age(3600)
            .line();
        assert_eq!(line, "_xsrf=\"x=\"; Max-Age=3600; Path=/hub/");
        let cleared = SetCookie::clear(LOGIN_COOKIE, "/hub/").line();
        assert!(cleared.starts_with("jupyterhub-hub-login=\"\"; expires="));
        let date = OffsetDateTime::from_unix_timestamp(1_797_986_096).unwrap();
        assert_eq!(http_date(date), "Wed, 23 Dec 2026 00:34:56 GMT");
    }
}
