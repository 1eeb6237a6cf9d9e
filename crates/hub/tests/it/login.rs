//! The login page, the login cookie and cookie authentication of API requests
//! (reference §1.2, §8.1–8.4), with JupyterHub's messages.

use serde_json::Value;

use crate::api::TestHub;
use crate::client::{Response, request};
use crate::oauth::{Jar, browse, enc, hidden, hub_with, log_in, start};

/// An API request with the browser's cookies and `extra` headers (no token).
fn api_with_cookie(
    hub: &TestHub,
    jar: &Jar,
    method: &str,
    path: &str,
    body: Option<&str>,
    extra: &[(&str, &str)],
) -> Response {
    let cookie = jar.header();
    let mut headers = vec![("Cookie", cookie.as_str())];
    headers.extend_from_slice(extra);
    request(hub.addr(), method, path, None, body, &headers)
}

#[test]
fn a_wrong_login_form_is_refused_with_jupyterhubs_messages() {
    let hub = hub_with("", "[DummyAuthenticator]\npassword = \"pw\"");
    let mut jar = Jar::default();
    let page = browse(&hub, &mut jar, "GET", "/hub/login", None);
    let xsrf = hidden(&page.body, "_xsrf").remove(0);
    let wrong = browse(
        &hub,
        &mut jar,
        "POST",
        "/hub/login",
        Some(&format!("_xsrf={}&username=a&password=no", enc(&xsrf))),
    );
    assert_eq!(wrong.status, 403);
    assert!(
        wrong.body.contains("Invalid username or password"),
        "{}",
        wrong.body
    );
    let stale = browse(
        &hub,
        &mut jar,
        "POST",
        "/hub/login",
        Some("_xsrf=stale&username=a&password=pw"),
    );
    assert_eq!(stale.status, 403);
    assert!(
        stale
            .body
            .contains("Login form invalid or expired. Try again."),
        "{}",
        stale.body
    );
    let ok = browse(
        &hub,
        &mut jar,
        "POST",
        "/hub/login?next=http%3A%2F%2Fevil.example%2F",
        Some(&format!("_xsrf={}&username=A&password=pw", enc(&xsrf))),
    );
    assert_eq!(ok.status, 302, "{}", ok.body);
    // an outside next is dropped for the default
    assert_eq!(ok.header("location"), Some("/hub/spawn"));
}

#[test]
fn the_login_cookie_authenticates_api_requests_under_jupyterhubs_xsrf_rules() {
    let hub = start();
    let jar = log_in(&hub, "alice");
    let xsrf = jar.get("_xsrf").unwrap().to_owned();
    let plain = api_with_cookie(&hub, &jar, "GET", "/hub/api/user", None, &[]);
    assert_eq!(plain.status, 200, "{}", plain.body);
    let model = plain.json();
    assert_eq!(model["name"], "alice");
    assert_eq!(model["token_id"], Value::Null);
    assert_eq!(model["session_id"], Value::Null);
    let cors = [
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Fetch-Site", "same-origin"),
    ];
    let missing = api_with_cookie(&hub, &jar, "GET", "/hub/api/user", None, &cors);
    assert_eq!(missing.status, 403);
    assert_eq!(
        missing.json()["message"],
        "'_xsrf' argument missing from GET"
    );
    let with_header = [cors[0], cors[1], ("X-XSRFToken", xsrf.as_str())];
    let ok = api_with_cookie(&hub, &jar, "GET", "/hub/api/user", None, &with_header);
    assert_eq!(ok.status, 200, "{}", ok.body);
    let wrong = [cors[0], cors[1], ("X-XSRFToken", "nope")];
    let mismatch = api_with_cookie(&hub, &jar, "GET", "/hub/api/user", None, &wrong);
    assert_eq!(
        mismatch.json()["message"],
        "XSRF cookie does not match GET argument"
    );

    let body = r#"{"note": "via cookie"}"#;
    let json = ("Content-Type", "application/json");
    let no_xsrf = api_with_cookie(
        &hub,
        &jar,
        "POST",
        "/hub/api/users/alice/tokens",
        Some(body),
        &[json, cors[0], cors[1]],
    );
    assert_eq!(no_xsrf.status, 403);
    assert_eq!(
        no_xsrf.json()["message"],
        "'_xsrf' argument missing from POST"
    );
    let created = api_with_cookie(
        &hub,
        &jar,
        "POST",
        "/hub/api/users/alice/tokens",
        Some(body),
        &[json, cors[0], cors[1], ("X-XSRFToken", xsrf.as_str())],
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["note"], "via cookie");
    let text = api_with_cookie(
        &hub,
        &jar,
        "POST",
        "/hub/api/users/alice/tokens",
        Some(body),
        &[
            ("Content-Type", "text/plain"),
            cors[0],
            cors[1],
            ("X-XSRFToken", xsrf.as_str()),
        ],
    );
    assert_eq!(text.status, 403, "{}", text.body);
    // a client cannot name the cookie user itself
    let spoofed = request(
        hub.addr(),
        "GET",
        "/hub/api/user",
        None,
        None,
        &[("x-hubcap-cookie-user", "alice")],
    );
    assert_eq!(spoofed.status, 403);
}
