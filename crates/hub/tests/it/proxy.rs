//! The hub with a real proxy in front: the embedded one (the default) and the real
//! configurable-http-proxy 5.3.0 (`scripts/setup-chp`), started by the hub, driven through
//! the same REST client, kept in line by `check_routes`.

use std::net::SocketAddr;

use serde_json::json;

use crate::api::{ADMIN_ROLE, TestHub};
use crate::client::request;
use crate::support::{chp_binary, free_port};

const PROXY_TOKEN: &str = "proxy-token-for-the-tests";

fn addr_of(url: &str) -> SocketAddr {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

/// What both proxies must do for the hub.
fn check_the_hub_behind(hub: &TestHub) {
    let running = hub.hub.as_ref().unwrap();
    let public = running.public_addr().expect("the hub started the proxy");
    let api = addr_of(&running.proxy_api_url());

    // The hub's own route, and the hub reached through the public port.
    let table = hub.admin("GET", "/hub/api/proxy", None).json();
    assert_eq!(table["/"]["data"]["hub"], true, "{table}");
    assert_eq!(table["/"]["target"], format!("http://{}", hub.addr));
    assert!(table["/"]["data"]["last_activity"].is_string(), "{table}");
    let through = request(public, "GET", "/hub/api/", None, None, &[]);
    assert_eq!(through.status, 200, "{}", through.body);
    assert_eq!(through.json()["version"], "6.1.1");

    // A service with a URL gets its route at the next check.
    let added = hub.admin(
        "POST",
        "/hub/api/services/web",
        Some(json!({"url": "http://127.0.0.1:10101/"})),
    );
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(hub.admin("POST", "/hub/api/proxy", None).status, 200);
    let table = hub.admin("GET", "/hub/api/proxy", None).json();
    assert_eq!(
        table["/services/web/"]["target"], "http://127.0.0.1:10101",
        "{table}"
    );
    assert_eq!(table["/services/web/"]["data"]["service"], "web");

    // A stale route of the hub's is deleted; somebody else's route is left alone.
    let stale = json!({"target": "http://127.0.0.1:9", "jupyterhub": true, "user": "ghost", "server_name": ""});
    let foreign = json!({"target": "http://127.0.0.1:9"});
    for (path, body) in [
        ("/api/routes/user/ghost", stale),
        ("/api/routes/elsewhere", foreign),
    ] {
        let response = request(
            api,
            "POST",
            path,
            Some(PROXY_TOKEN),
            Some(&body.to_string()),
            &[],
        );
        assert_eq!(response.status, 201, "{path}: {}", response.body);
    }
    assert!(
        hub.admin("GET", "/hub/api/proxy", None)
            .json()
            .get("/user/ghost/")
            .is_some()
    );
    assert_eq!(hub.admin("POST", "/hub/api/proxy", None).status, 200);
    assert!(
        hub.admin("GET", "/hub/api/proxy", None)
            .json()
            .get("/user/ghost/")
            .is_none()
    );
    let raw = request(api, "GET", "/api/routes", Some(PROXY_TOKEN), None, &[]).json();
    assert!(raw.get("/elsewhere").is_some(), "{raw}");

    // A wrong token for the proxy is refused and not applied; the right one is.
    let wrong = hub.admin(
        "PATCH",
        "/hub/api/proxy",
        Some(json!({"auth_token": "not-the-token"})),
    );
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert_eq!(hub.admin("GET", "/hub/api/proxy", None).status, 200);
    let right = hub.admin(
        "PATCH",
        "/hub/api/proxy",
        Some(json!({"auth_token": PROXY_TOKEN})),
    );
    assert_eq!(right.status, 200, "{}", right.body);

    // Pagination of the table, as for any list.
    let page = hub.call(
        "GET",
        "/hub/api/proxy?limit=1",
        Some(crate::api::ADMIN_TOKEN),
        None,
    );
    assert_eq!(page.json().as_object().map(|routes| routes.len()), Some(1));
}

#[test]
fn the_embedded_proxy_routes_the_hub_and_its_services() {
    let hub = TestHub::start_with(
        &format!("{ADMIN_ROLE}\nbind_url = \"http://127.0.0.1:0/\""),
        &format!("api_url = \"http://127.0.0.1:0\"\nauth_token = \"{PROXY_TOKEN}\""),
    );
    check_the_hub_behind(&hub);
}

#[test]
fn configurable_http_proxy_routes_the_hub_and_its_services() {
    let chp = chp_binary();
    let hub = TestHub::start_with(
        &format!(
            "{ADMIN_ROLE}\nproxy_class = \"configurable-http-proxy\"\nbind_url = \"http://127.0.0.1:{}/\"",
            free_port()
        ),
        &format!(
            "api_url = \"http://127.0.0.1:{}\"\nauth_token = \"{PROXY_TOKEN}\"\ncommand = [{:?}]",
            free_port(),
            chp.display().to_string()
        ),
    );
    check_the_hub_behind(&hub);
    let pid_gone = {
        let running = hub.hub.as_ref().unwrap();
        addr_of(&running.proxy_api_url())
    };
    drop(hub);
    // Stopping the hub stops the proxy it started.
    assert!(std::net::TcpStream::connect(pid_gone).is_err());
}

#[test]
fn an_external_proxy_needs_its_token() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = hub::HubConfig::from_toml(
        &format!(
            "[JupyterHub]\nhub_bind_url = \"http://127.0.0.1:0\"\ndb_url = \"sqlite:///{}\"\n\
             [ConfigurableHTTPProxy]\nshould_start = false\n",
            dir.path().join("hub.sqlite").display()
        ),
        "test",
    )
    .unwrap();
    config.login.cookie_secret_file = dir.path().join("cookie_secret");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Err(error) = runtime.block_on(hub::start(config)) else {
        panic!("an external proxy without a token was accepted");
    };
    assert!(error.to_string().contains("auth_token"), "{error}");
}

#[test]
fn an_unknown_proxy_class_is_a_config_error_naming_the_choices() {
    let Err(errors) =
        hub::HubConfig::from_toml("[JupyterHub]\nproxy_class = \"traefik\"\n", "test")
    else {
        panic!("an unknown proxy class was accepted");
    };
    let text = errors.to_string();
    assert!(text.contains("JupyterHub.proxy_class"), "{text}");
    assert!(text.contains("configurable-http-proxy"), "{text}");
}

/// A configurable-http-proxy started by the test, not the hub; killed on drop.
struct ExternalChp(std::process::Child);

impl Drop for ExternalChp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn an_external_configurable_http_proxy_is_driven_and_left_running() {
    let (public, api) = (free_port(), free_port());
    let child = std::process::Command::new(chp_binary())
        .args([
            "--ip",
            "127.0.0.1",
            "--port",
            &public.to_string(),
            "--api-ip",
            "127.0.0.1",
            "--api-port",
            &api.to_string(),
        ])
        .env("CONFIGPROXY_AUTH_TOKEN", PROXY_TOKEN)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _chp = ExternalChp(child);
    let api_addr: SocketAddr = format!("127.0.0.1:{api}").parse().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while std::net::TcpStream::connect(api_addr).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the external proxy did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let hub = TestHub::start_with(
        &format!("{ADMIN_ROLE}\nbind_url = \"http://127.0.0.1:{public}/\""),
        &format!(
            "should_start = false\napi_url = \"http://127.0.0.1:{api}\"\nauth_token = \"{PROXY_TOKEN}\""
        ),
    );
    let table = hub.admin("GET", "/hub/api/proxy", None).json();
    assert_eq!(
        table["/"]["target"],
        format!("http://{}", hub.addr),
        "{table}"
    );
    let public_addr: SocketAddr = format!("127.0.0.1:{public}").parse().unwrap();
    let through = request(public_addr, "GET", "/hub/api/", None, None, &[]);
    assert_eq!(through.status, 200, "{}", through.body);
    drop(hub);
    // The hub leaves a proxy it did not start running, with its routes.
    let raw = request(api_addr, "GET", "/api/routes", Some(PROXY_TOKEN), None, &[]);
    assert_eq!(raw.status, 200, "{}", raw.body);
    assert!(raw.json().get("/").is_some(), "{}", raw.body);
}
