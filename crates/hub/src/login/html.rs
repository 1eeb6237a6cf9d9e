//! The hub's small HTML pages (login, OAuth confirmation, errors): plain markup with the
//! fields JupyterHub's templates carry, escaped, served as `text/html`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Text made safe for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A page: `body` inside JupyterHub's title, with `window.jhdata` for scripts.
pub fn page(
    status: StatusCode,
    base_url: &str,
    user: Option<&str>,
    xsrf: &str,
    body: &str,
) -> Response {
    let user = user.map_or_else(
        || "null".to_owned(),
        |name| format!("\"{}\"", js_escape(name)),
    );
    let html = format!(
        "<!DOCTYPE HTML>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>JupyterHub</title>\n\
         <script type=\"text/javascript\">\nwindow.jhdata = {{\nbase_url: \"{base}\",\nuser: {user},\n\
         xsrf_token: \"{xsrf}\",\n}}\n</script>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        base = js_escape(&format!("{base_url}hub/")),
        xsrf = js_escape(xsrf),
    );
    html_response(status, html)
}

/// JupyterHub's error page: `<h1>{status} : {message}</h1>`.
pub fn error_page(
    status: StatusCode,
    base_url: &str,
    user: Option<&str>,
    message: &str,
) -> Response {
    let message = escape(message);
    let body = format!(
        "<div class=\"error\">\n<h1>{} : {message}</h1>\n<p>{message}</p>\n</div>",
        status.as_u16()
    );
    page(status, base_url, user, "", &body)
}

/// An HTML answer with tornado's page content type.
pub fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

/// A redirect with an empty HTML body, as tornado's `redirect` answers.
pub fn redirect(location: &str) -> Response {
    let mut response = html_response(StatusCode::FOUND, String::new());
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn js_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '"' | '\\' | '<' | '>' | '&' | '\'' => format!("\\u{:04x}", u32::from(c))
                .chars()
                .collect::<Vec<_>>(),
            c if c.is_control() => format!("\\u{:04x}", u32::from(c)).chars().collect(),
            c => vec![c],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(js_escape("a\"</script>"), "a\\u0022\\u003c/script\\u003e");
    }
}
