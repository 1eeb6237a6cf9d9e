//! Login and the OAuth2 provider (reference §4, §8): a browser logs in with a form, follows
//! `/hub/api/oauth2/authorize`, and JupyterHub's real `HubOAuth` (run from `.venv` by
//! `hub_oauth_client.py`) exchanges the code and identifies the user. Then every error path
//! of §4 with oauthlib's statuses and bodies.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::api::TestHub;
use crate::client::{Response, request};
use crate::support::venv_python;

pub(crate) const SVC_TOKEN: &str = "0123456789abcdef0123456789abcd03";
const TRUSTED_TOKEN: &str = "0123456789abcdef0123456789abcd04";
const REDIRECT: &str = "http://127.0.0.1:19999/oauth_callback";

/// A hub with the dummy authenticator, `services` and the rest of the configuration.
pub(crate) fn hub_with(services: &str, rest: &str) -> TestHub {
    TestHub::with_config(|dir| {
        format!(
            r#"
[JupyterHub]
hub_bind_url = "http://127.0.0.1:0"
bind_url = "http://127.0.0.1:0/"
db_url = "sqlite:///{db}"
cookie_secret_file = "{secret}"
authenticator_class = "dummy"
services = [ {services} ]
{rest}
[ConfigurableHTTPProxy]
api_url = "http://127.0.0.1:0"
"#,
            db = dir.join("hub.sqlite").display(),
            secret = dir.join("cookie_secret").display(),
        )
    })
}

pub(crate) fn start() -> TestHub {
    hub_with(
        &format!(
            r#"{{ name = "oauth-svc", api_token = "{SVC_TOKEN}", oauth_redirect_uri = "{REDIRECT}", oauth_client_allowed_scopes = ["read:users:name!user", "read:servers!user"] }},
  {{ name = "trusted", api_token = "{TRUSTED_TOKEN}", url = "http://127.0.0.1:19998", oauth_no_confirm = true }}"#
        ),
        "load_roles = [ { name = \"user\", scopes = [\"self\", \"access:services\"] } ]\n[Authenticator]\nallowed_users = [\"alice\", \"bob\"]",
    )
}

/// A browser's cookies.
#[derive(Default)]
pub(crate) struct Jar(BTreeMap<String, String>);

impl Jar {
    pub(crate) fn take(&mut self, response: &Response) {
        for (name, value) in &response.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = value.split(';').next().unwrap();
            let (key, value) = pair.split_once('=').unwrap();
            if value.is_empty() || value == "\"\"" {
                self.0.remove(key);
            } else {
                self.0.insert(key.to_owned(), value.to_owned());
            }
        }
    }

    pub(crate) fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

pub(crate) fn browse(
    hub: &TestHub,
    jar: &mut Jar,
    method: &str,
    path: &str,
    form: Option<&str>,
) -> Response {
    browse_at(hub.addr(), jar, method, path, form)
}

/// [`browse`] at any address (the proxy's public port, say).
pub(crate) fn browse_at(
    addr: std::net::SocketAddr,
    jar: &mut Jar,
    method: &str,
    path: &str,
    form: Option<&str>,
) -> Response {
    let cookie = jar.header();
    let mut headers = vec![("Sec-Fetch-Mode", "navigate"), ("User-Agent", "test")];
    if !cookie.is_empty() {
        headers.push(("Cookie", cookie.as_str()));
    }
    if form.is_some() {
        headers.push(("Content-Type", "application/x-www-form-urlencoded"));
    }
    let response = request(addr, method, path, None, form, &headers);
    jar.take(&response);
    response
}

/// Hidden inputs `name` of an HTML page, in order.
pub(crate) fn hidden(body: &str, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\" value=\"");
    body.match_indices(&marker)
        .map(|(at, _)| {
            let rest = &body[at + marker.len()..];
            rest[..rest.find('"').unwrap()].replace("&amp;", "&")
        })
        .collect()
}

pub(crate) fn enc(text: &str) -> String {
    url_encode(text)
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) fn log_in(hub: &TestHub, user: &str) -> Jar {
    let mut jar = Jar::default();
    let page = browse(hub, &mut jar, "GET", "/hub/login?next=%2Fhub%2Fhome", None);
    assert_eq!(page.status, 200, "{}", page.body);
    let xsrf = hidden(&page.body, "_xsrf").remove(0);
    assert_eq!(jar.get("_xsrf"), Some(xsrf.as_str()));
    let form = format!("_xsrf={}&username={user}&password=anything", enc(&xsrf));
    let done = browse(
        hub,
        &mut jar,
        "POST",
        "/hub/login?next=%2Fhub%2Fhome",
        Some(&form),
    );
    assert_eq!(done.status, 302, "{}", done.body);
    assert_eq!(done.header("location"), Some("/hub/home"));
    assert!(jar.get("jupyterhub-hub-login").is_some());
    assert!(jar.get("jupyterhub-session-id").is_some());
    jar
}

/// Runs `hub_oauth_client.py` with the service's environment.
fn hub_oauth(hub: &TestHub, args: &[&str]) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/hub_oauth_client.py");
    let output = Command::new(venv_python())
        .arg(script)
        .args(args)
        .env("JUPYTERHUB_API_TOKEN", SVC_TOKEN)
        .env("JUPYTERHUB_CLIENT_ID", "service-oauth-svc")
        .env(
            "JUPYTERHUB_API_URL",
            format!("http://{}/hub/api", hub.addr()),
        )
        .env("JUPYTERHUB_OAUTH_CALLBACK_URL", REDIRECT)
        .env("JUPYTERHUB_SERVICE_PREFIX", "/services/oauth-svc/")
        .env("JUPYTERHUB_BASE_URL", "/")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "hub_oauth_client.py {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn query_value(location: &str, key: &str) -> Option<String> {
    let query = location.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| v.to_owned())
    })
}

fn token_request(hub: &TestHub, form: &str) -> Response {
    request(
        hub.addr(),
        "POST",
        "/hub/api/oauth2/token",
        None,
        Some(form),
        &[("Content-Type", "application/x-www-form-urlencoded")],
    )
}

#[test]
fn jupyterhubs_hub_oauth_logs_a_user_in_through_hubcap() {
    let hub = start();
    let mut jar = log_in(&hub, "alice");
    // the login cookie is a tornado signed value of the cookie secret
    let secret = std::fs::read_to_string(hub.dir().join("cookie_secret")).unwrap();
    let login = jar
        .get("jupyterhub-hub-login")
        .unwrap()
        .trim_matches('"')
        .to_owned();
    let decoded = hub_oauth(&hub, &["cookie", secret.trim(), &login]);
    assert!(
        decoded["value"].as_str().unwrap().ends_with(":alice"),
        "{decoded}"
    );

    let start = hub_oauth(&hub, &["start"]);
    let login_url = start["login_url"].as_str().unwrap();
    assert!(
        login_url.starts_with("/hub/api/oauth2/authorize?"),
        "{login_url}"
    );
    let authorize = format!(
        "{login_url}&code_challenge={}&code_challenge_method=S256&state=st4te",
        start["challenge"].as_str().unwrap()
    );
    let page = browse(&hub, &mut jar, "GET", &authorize, None);
    assert_eq!(page.status, 200, "{}", page.body);
    let scopes = hidden(&page.body, "scopes");
    assert_eq!(
        scopes,
        [
            "access:services!service=oauth-svc",
            "read:servers!user",
            "read:users:groups!user",
            "read:users:name!user",
        ]
    );
    let xsrf = hidden(&page.body, "_xsrf").remove(0);
    let mut form = format!("_xsrf={}", enc(&xsrf));
    for scope in &scopes {
        form.push_str(&format!("&scopes={}", enc(scope)));
    }
    let granted = browse(&hub, &mut jar, "POST", &authorize, Some(&form));
    assert_eq!(granted.status, 302, "{}", granted.body);
    let location = granted.header("location").unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    assert_eq!(query_value(&location, "state").as_deref(), Some("st4te"));
    let code = query_value(&location, "code").unwrap();
    assert_eq!(code.len(), 30);

    let finished = hub_oauth(
        &hub,
        &["finish", &code, start["verifier"].as_str().unwrap()],
    );
    let token = finished["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 30);
    let user = &finished["user"];
    assert_eq!(user["name"], "alice");
    assert_eq!(
        user["session_id"].as_str(),
        jar.get("jupyterhub-session-id")
    );
    let mut held: Vec<&str> = user["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    held.sort_unstable();
    assert_eq!(
        held,
        [
            "access:services!service=oauth-svc",
            "read:servers!user=alice",
            "read:users:groups!user=alice",
            "read:users:name!user=alice",
        ]
    );

    // a used code is gone
    let replay = token_request(
        &hub,
        &format!(
            "client_id=service-oauth-svc&client_secret={SVC_TOKEN}&grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={}",
            enc(REDIRECT),
            start["verifier"].as_str().unwrap()
        ),
    );
    assert_eq!(replay.status, 400);
    assert_eq!(replay.body, r#"{"error": "invalid_grant"}"#);
    assert_eq!(replay.header("cache-control"), Some("no-store"));

    // the token covers the scopes now: no second confirmation
    let again = browse(&hub, &mut jar, "GET", &authorize, None);
    assert_eq!(again.status, 302, "{}", again.body);
    assert!(
        again
            .header("location")
            .unwrap()
            .starts_with(&format!("{REDIRECT}?code="))
    );

    // logging out deletes the session's OAuth tokens
    let out = browse(&hub, &mut jar, "GET", "/hub/logout", None);
    assert_eq!(out.status, 302);
    assert_eq!(out.header("location"), Some("/hub/login"));
    assert!(jar.get("jupyterhub-hub-login").is_none());
    let gone = hub.call("GET", "/hub/api/user", Some(&token), None);
    assert_eq!(gone.status, 403, "{}", gone.body);
}

#[test]
fn trusted_services_skip_confirmation_and_the_token_answers_like_oauthlib() {
    let hub = start();
    let mut jar = log_in(&hub, "bob");
    let redirect = "/services/trusted/oauth_callback";
    let authorize = format!(
        "/hub/api/oauth2/authorize?client_id=service-trusted&redirect_uri={}&response_type=code&code_challenge=abc&code_challenge_method=plain",
        enc(redirect)
    );
    let response = browse(&hub, &mut jar, "GET", &authorize, None);
    assert_eq!(response.status, 302, "{}", response.body);
    let location = response.header("location").unwrap().to_owned();
    assert!(
        location.starts_with("/services/trusted/oauth_callback?code="),
        "{location}"
    );
    let code = query_value(&location, "code").unwrap();
    let base = format!(
        "client_id=service-trusted&grant_type=authorization_code&code={code}&redirect_uri={}",
        enc(redirect)
    );
    let wrong_secret = token_request(
        &hub,
        &format!("{base}&client_secret=nope&code_verifier=abc"),
    );
    assert_eq!(wrong_secret.status, 401);
    assert_eq!(wrong_secret.body, r#"{"error": "invalid_client"}"#);
    assert_eq!(
        wrong_secret.header("www-authenticate"),
        Some("Bearer error=\"invalid_client\"")
    );
    let secret = format!("{base}&client_secret={TRUSTED_TOKEN}");
    let no_verifier = token_request(&hub, &secret);
    assert_eq!(no_verifier.status, 400);
    assert_eq!(
        no_verifier.body,
        r#"{"error": "invalid_request", "error_description": "Code verifier required."}"#
    );
    let bad_verifier = token_request(&hub, &format!("{secret}&code_verifier=abd"));
    assert_eq!(bad_verifier.body, r#"{"error": "invalid_grant"}"#);
    let bad_redirect = token_request(
        &hub,
        &format!(
            "client_id=service-trusted&client_secret={TRUSTED_TOKEN}&grant_type=authorization_code&code={code}&redirect_uri=%2Felsewhere&code_verifier=abc"
        ),
    );
    assert_eq!(
        bad_redirect.body,
        r#"{"error": "invalid_request", "error_description": "Mismatching redirect URI."}"#
    );
    // oauthlib reads the last value of a repeated field: the grant type is checked first
    let grant = token_request(
        &hub,
        &format!("{secret}&grant_type=password&code_verifier=abc"),
    );
    assert_eq!(grant.body, r#"{"error": "unsupported_grant_type"}"#);
    let twice = token_request(&hub, &format!("{secret}&redirect_uri=x&code_verifier=abc"));
    assert_eq!(
        twice.body,
        r#"{"error": "invalid_request", "error_description": "Duplicate redirect_uri parameter."}"#
    );
    let ok = token_request(&hub, &format!("{secret}&code_verifier=abc"));
    assert_eq!(ok.status, 200, "{}", ok.body);
    let body = ok.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 1_209_600);
    assert!(ok.body.starts_with("{\"access_token\": \""), "{}", ok.body);
    assert_eq!(
        body["scope"],
        "access:services!service=trusted read:users:groups!user read:users:name!user"
    );
}

#[test]
fn authorize_errors_are_jupyterhubs() {
    let hub = start();
    // not logged in: to the login page, the whole authorize URL as next
    let mut anonymous = Jar::default();
    let path = format!(
        "/hub/api/oauth2/authorize?client_id=service-oauth-svc&redirect_uri={}&response_type=code&state=st4te",
        enc(REDIRECT)
    );
    let response = browse(&hub, &mut anonymous, "GET", &path, None);
    assert_eq!(response.status, 302);
    assert_eq!(
        response.header("location").unwrap(),
        "/hub/login?next=%2Fhub%2Fapi%2Foauth2%2Fauthorize%3Fclient_id%3Dservice-oauth-svc%26redirect_uri%3Dhttp%253A%252F%252F127.0.0.1%253A19999%252Foauth_callback%26response_type%3Dcode%26state%3Dst4te"
    );

    let mut jar = log_in(&hub, "alice");
    let unknown = browse(
        &hub,
        &mut jar,
        "GET",
        "/hub/api/oauth2/authorize?client_id=nobody&response_type=code",
        None,
    );
    assert_eq!(unknown.status, 400);
    assert!(
        unknown
            .body
            .contains("<h1>400 : Invalid client_id parameter value.</h1>"),
        "{}",
        unknown.body
    );
    let evil = browse(
        &hub,
        &mut jar,
        "GET",
        "/hub/api/oauth2/authorize?client_id=service-oauth-svc&redirect_uri=http%3A%2F%2Fevil.example%2Fcb&response_type=code",
        None,
    );
    assert_eq!(evil.status, 400);
    assert!(
        evil.body
            .contains("<h1>400 : Mismatching redirect URI.</h1>"),
        "{}",
        evil.body
    );
    let scope = browse(
        &hub,
        &mut jar,
        "GET",
        &format!("{path}&scope=admin%3Ausers"),
        None,
    );
    assert_eq!(scope.status, 302);
    assert_eq!(
        scope.header("location").unwrap(),
        format!("{REDIRECT}?error=invalid_scope&state=st4te")
    );
    // a form post without the XSRF token
    let forged = browse(
        &hub,
        &mut jar,
        "POST",
        &path,
        Some("scopes=read%3Ausers%3Aname%21user"),
    );
    assert_eq!(forged.status, 403);
    assert!(
        forged
            .body
            .contains("&#39;_xsrf&#39; argument missing from POST"),
        "{}",
        forged.body
    );
}

#[test]
fn users_without_access_get_jupyterhubs_403_page() {
    let hub = hub_with(
        &format!(
            r#"{{ name = "oauth-svc", api_token = "{SVC_TOKEN}", oauth_redirect_uri = "{REDIRECT}" }}"#
        ),
        "",
    );
    let mut jar = log_in(&hub, "carol");
    let path = format!(
        "/hub/api/oauth2/authorize?client_id=service-oauth-svc&redirect_uri={}&response_type=code",
        enc(REDIRECT)
    );
    let denied = browse(&hub, &mut jar, "GET", &path, None);
    assert_eq!(denied.status, 403);
    assert!(
        denied
            .body
            .contains("You do not have permission to access JupyterHub service oauth-svc"),
        "{}",
        denied.body
    );
}

#[test]
fn expired_codes_are_refused() {
    let hub = start();
    let db = hub.dir().join("hub.sqlite");
    let store = store::Store::open(&format!("sqlite:///{}", db.display())).unwrap();
    let code = "expiredcodeexpiredcodeexpiredco";
    store
        .write_with::<_, store::StoreError>(|tx| {
            if tx.find_user("alice")?.is_none() {
                tx.create_user(&store::NewUser::named("alice"))?;
            }
            tx.create_oauth_code(&store::NewOAuthCode {
                client_id: "service-oauth-svc",
                code: &hub::oauth::codes::code_key(code),
                expires_at: Some(time::OffsetDateTime::now_utc() - time::Duration::seconds(1)),
                redirect_uri: Some(REDIRECT),
                user: "alice",
                scopes: &[],
                ..store::NewOAuthCode::default()
            })?;
            Ok(())
        })
        .unwrap();
    let response = token_request(
        &hub,
        &format!(
            "client_id=service-oauth-svc&client_secret={SVC_TOKEN}&grant_type=authorization_code&code={code}&redirect_uri={}",
            enc(REDIRECT)
        ),
    );
    assert_eq!(response.status, 400);
    assert_eq!(response.body, r#"{"error": "invalid_grant"}"#);
}

#[test]
fn a_users_own_server_needs_no_confirmation_and_others_are_refused() {
    let hub = start();
    let mut alice = log_in(&hub, "alice");
    let mut bob = log_in(&hub, "bob");
    // what the spawner does at start: the server's client, its secret the server's token
    let server_token = "5e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e";
    let db = hub.dir().join("hub.sqlite");
    let store = store::Store::open(&format!("sqlite:///{}", db.display())).unwrap();
    store
        .write_with::<_, store::StoreError>(|tx| {
            let id = register_alices_server_client(tx, server_token)?;
            assert_eq!(id, "jupyterhub-user-alice");
            Ok(())
        })
        .unwrap();
    let path = "/hub/api/oauth2/authorize?client_id=jupyterhub-user-alice&redirect_uri=%2Fuser%2Falice%2Foauth_callback&response_type=code&state=s";
    let own = browse(&hub, &mut alice, "GET", path, None);
    assert_eq!(own.status, 302, "{}", own.body);
    let location = own.header("location").unwrap().to_owned();
    assert!(
        location.starts_with("/user/alice/oauth_callback?code="),
        "{location}"
    );
    let code = query_value(&location, "code").unwrap();
    let other = browse(&hub, &mut bob, "GET", path, None);
    assert_eq!(other.status, 403);
    assert!(
        other
            .body
            .contains("You do not have permission to access Server at /user/alice/"),
        "{}",
        other.body
    );
    let token = token_request(
        &hub,
        &format!(
            "client_id=jupyterhub-user-alice&client_secret={server_token}&grant_type=authorization_code&code={code}&redirect_uri=%2Fuser%2Falice%2Foauth_callback"
        ),
    );
    assert_eq!(token.status, 200, "{}", token.body);
    assert_eq!(
        token.json()["scope"],
        "access:servers!server=alice/ read:users:groups!user read:users:name!user"
    );
}

#[test]
fn a_server_clients_token_resolves_bare_server_filters_and_gains_the_access_scope() {
    // JupyterHub's `get_scopes_for(token)` expands a token's scopes with the client that issued
    // it: for a server's client, `!server` is that server, and the access scope of the server
    // is added (the owner still has to hold it).
    let hub = start();
    let _ = log_in(&hub, "alice");
    let secret = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
    let db = hub.dir().join("hub.sqlite");
    let store = store::Store::open(&format!("sqlite:///{}", db.display())).unwrap();
    store
        .write_with::<_, store::StoreError>(|tx| {
            let id = register_alices_server_client(tx, "5e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e")?;
            if tx.find_server("alice", "")?.is_none() {
                tx.create_server("alice", "", None)?;
            }
            tx.update_server(
                "alice",
                "",
                &store::ServerUpdate {
                    oauth_client_id: Some(Some(&id)),
                    ..store::ServerUpdate::default()
                },
            )?;
            let hash = tokens::TokenHash::for_storage(secret, tokens::Origin::Generated).unwrap();
            tx.insert_token(&store::NewToken {
                owner: store::TokenOwner::User("alice"),
                hash: &hash,
                prefix: tokens::prefix(secret),
                scopes: &["read:servers!server".to_owned()],
                note: "",
                expires_at: None,
                client_id: &id,
                session_id: None,
            })?;
            Ok(())
        })
        .unwrap();
    let me = hub.call("GET", "/hub/api/user", Some(secret), None);
    assert_eq!(me.status, 200, "{}", me.body);
    let model = me.json();
    let scopes: Vec<&str> = model["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        scopes,
        [
            "access:servers!server=alice/",
            "read:servers!server=alice/",
            "read:users:groups!user=alice",
            "read:users:name!user=alice",
        ],
        "{}",
        me.body
    );
}

/// What the spawner does when alice's default server starts: its OAuth client, the secret
/// being the server's token. Returns the client's id.
fn register_alices_server_client(
    tx: &mut store::Tx<'_>,
    secret: &str,
) -> Result<String, store::StoreError> {
    hub::oauth::clients::register_server_client(
        tx,
        &hub::oauth::clients::ServerClient {
            user: "alice",
            server: "",
            base_url: "/",
            secret,
            allowed_scopes: &[],
        },
    )
}
