//! Servers for real: the hub starts the real `jupyterhub-singleuser` (`scripts/setup-oracle`
//! puts it in `.venv`), follows its progress, routes it through the proxy (the embedded one,
//! and the real configurable-http-proxy), lets a token reach it, and stops it, leaving
//! nothing behind.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::api::{ADMIN_ROLE, TestHub};
use crate::client::request;
use crate::support::{chp_binary, free_port, process_running, singleuser, venv_python, wait_for};

/// `[Spawner]` for the tests: the venv's server, as the hub's own user (the tests may run
/// as root, where jupyter_server needs `--allow-root`: opted in here, never by default).
fn spawner_section() -> String {
    format!(
        "[Spawner]\ncmd = [{:?}]\nallow_root = true\nhttp_timeout = 60\n",
        singleuser().display().to_string()
    )
}

/// Stops alice's server as a client of JupyterHub's API does: 204 means stopped, 202 still
/// stopping (the server took longer than `slow_stop_timeout`, 10 s, to exit: seen once on a
/// loaded machine), so then it waits, up to the spawner's SIGINT, SIGTERM and SIGKILL
/// timeouts (30 + 30 + 5 s), for the server to be gone from alice's model.
fn stop_alices_server(hub: &TestHub) {
    let stopped = hub.admin("DELETE", "/hub/api/users/alice/server", None);
    assert!(matches!(stopped.status, 202 | 204), "{}", stopped.body);
    let deadline = Instant::now() + Duration::from_secs(75);
    loop {
        let model = hub.admin("GET", "/hub/api/users/alice", None).json();
        if model["servers"] == json!({}) {
            return;
        }
        assert!(
            stopped.status == 202 && Instant::now() < deadline,
            "answered {} to the stop, and the server is still there: {model}",
            stopped.status
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The dummy authenticator (any password), for the browser's login.
const DUMMY: &str = "authenticator_class = \"dummy\"";

/// Which proxy the hub puts in front.
#[derive(Clone, Copy)]
enum Front {
    /// hubcap's embedded proxy (the default).
    Embedded,
    /// The real configurable-http-proxy 5.3.0, started by the hub.
    Chp,
}

impl Front {
    /// `[JupyterHub]` lines and `[ConfigurableHTTPProxy]` lines for this proxy.
    fn config(self) -> (String, String) {
        match self {
            Front::Embedded => (
                "bind_url = \"http://127.0.0.1:0/\"".to_owned(),
                "api_url = \"http://127.0.0.1:0\"".to_owned(),
            ),
            Front::Chp => {
                let chp = chp_binary();
                (
                    format!(
                        "proxy_class = \"configurable-http-proxy\"\nbind_url = \"http://127.0.0.1:{}/\"",
                        free_port()
                    ),
                    format!(
                        "api_url = \"http://127.0.0.1:{}\"\ncommand = [{:?}]",
                        free_port(),
                        chp.display().to_string()
                    ),
                )
            }
        }
    }

    /// A test hub in front of which this proxy runs, with `extra` `[JupyterHub]` lines.
    fn hub(self, extra: &str) -> TestHub {
        let (hub_lines, proxy_lines) = self.config();
        TestHub::start_with(
            &format!("{ADMIN_ROLE}\n{hub_lines}\n{extra}"),
            &format!("{proxy_lines}\n{}", spawner_section()),
        )
    }
}

/// Starts alice's server through the API and follows its progress to the ready event.
fn start_until_ready(hub: &TestHub) {
    let response = hub.admin("POST", "/hub/api/users/alice/server", None);
    assert!(matches!(response.status, 201 | 202), "{}", response.body);
    let progress = hub.admin("GET", "/hub/api/users/alice/server/progress", None);
    assert!(
        progress.body.contains("\"ready\": true"),
        "{}",
        progress.body
    );
}

/// Starts alice's server and checks everything the issue asks of a running server.
fn start_reach_and_stop(hub: &TestHub) {
    let running = hub.hub.as_ref().unwrap();
    let public = running.public_addr().unwrap();
    let started = Instant::now();
    let response = hub.admin("POST", "/hub/api/users/alice/server", None);
    assert!(matches!(response.status, 201 | 202), "{}", response.body);
    assert_eq!(response.header("content-type"), Some("text/plain"));

    // The progress stream ends with the ready event.
    let progress = hub.admin("GET", "/hub/api/users/alice/server/progress", None);
    assert_eq!(progress.status, 200, "{}", progress.body);
    assert_eq!(progress.header("content-type"), Some("text/event-stream"));
    let last = progress
        .body
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .next_back()
        .map(|event| serde_json::from_str::<serde_json::Value>(event).unwrap())
        .unwrap();
    assert_eq!(last["ready"], true, "{}", progress.body);
    assert_eq!(last["url"], "/user/alice/");
    eprintln!("alice's server ready in {:?}", started.elapsed());

    let model = hub.admin("GET", "/hub/api/users/alice", None).json();
    assert_eq!(model["server"], "/user/alice/", "{model}");
    assert_eq!(model["servers"][""]["ready"], true, "{model}");
    assert_eq!(model["servers"][""]["pending"], json!(null));
    let table = hub.admin("GET", "/hub/api/proxy", None).json();
    assert_eq!(table["/user/alice/"]["data"]["user"], "alice", "{table}");

    // A token of alice's reaches her server through the proxy.
    let token = hub.token_for("alice", &["inherit"]);
    let status = request(
        public,
        "GET",
        "/user/alice/api/status",
        Some(&token),
        None,
        &[],
    );
    assert_eq!(status.status, 200, "{}", status.body);
    assert!(status.json()["started"].is_string(), "{}", status.body);
    // Without a token the server sends the browser to the hub's OAuth.
    let anonymous = request(
        public,
        "GET",
        "/user/alice/files/notes.txt",
        None,
        None,
        &[],
    );
    assert_eq!(anonymous.status, 302, "{}", anonymous.body);
    let location = anonymous.header("location").unwrap_or_default().to_owned();
    assert!(location.contains("/hub/api/oauth2/authorize"), "{location}");
    // ... and completing it as a browser would gives her a session on her server: log in
    // at the hub, follow authorize (her own server: no confirmation) to the server's
    // callback, which exchanges the code with the hub.
    let mut jar = crate::oauth::log_in(hub, "alice");
    let start =
        crate::oauth::browse_at(public, &mut jar, "GET", "/user/alice/files/notes.txt", None);
    assert_eq!(start.status, 302, "{}", start.body);
    let authorize = start.header("location").unwrap().to_owned();
    let code = crate::oauth::browse_at(public, &mut jar, "GET", &authorize, None);
    assert_eq!(code.status, 302, "{}", code.body);
    let callback = code.header("location").unwrap().to_owned();
    assert!(
        callback.starts_with("/user/alice/oauth_callback?code="),
        "{callback}"
    );
    let back = crate::oauth::browse_at(public, &mut jar, "GET", &callback, None);
    assert_eq!(back.status, 302, "{}", back.body);
    assert_eq!(back.header("location"), Some("/user/alice/files/notes.txt"));
    let signed_in =
        crate::oauth::browse_at(public, &mut jar, "GET", "/user/alice/api/status", None);
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    // A second start while it runs is refused as JupyterHub refuses it.
    let again = hub.admin("POST", "/hub/api/users/alice/server", None);
    assert_eq!(again.status, 400);
    assert_eq!(again.json()["message"], "alice is already running");

    stop_alices_server(hub);
    let model = hub.admin("GET", "/hub/api/users/alice", None).json();
    assert_eq!(model["server"], json!(null), "{model}");
    assert_eq!(model["servers"], json!({}), "{model}");
    let table = hub.admin("GET", "/hub/api/proxy", None).json();
    assert!(table.get("/user/alice/").is_none(), "{table}");
    let gone = request(
        public,
        "GET",
        "/user/alice/api/status",
        Some(&token),
        None,
        &[],
    );
    assert_ne!(gone.status, 200, "{}", gone.body);
    // Its server token is gone with it.
    let tokens = hub.admin("GET", "/hub/api/users/alice/tokens", None).json();
    let notes: Vec<&str> = tokens["api_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["note"].as_str())
        .collect();
    assert!(
        !notes.iter().any(|n| n.starts_with("Server at")),
        "{notes:?}"
    );
}

#[test]
fn a_real_server_starts_behind_the_embedded_proxy_and_stops() {
    start_reach_and_stop(&Front::Embedded.hub(DUMMY));
}

#[test]
fn a_real_server_starts_behind_configurable_http_proxy_and_stops() {
    start_reach_and_stop(&Front::Chp.hub(DUMMY));
}

#[test]
fn a_server_that_cannot_start_says_why_and_leaves_nothing() {
    let hub = TestHub::start_with(
        &format!("{ADMIN_ROLE}\nbind_url = \"http://127.0.0.1:0/\""),
        "api_url = \"http://127.0.0.1:0\"\n[Spawner]\ncmd = [\"false\"]\nallow_root = true\n",
    );
    let response = hub.admin("POST", "/hub/api/users/alice/server", None);
    assert_eq!(response.status, 500, "{}", response.body);
    let message = response.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("Spawner failed to start"), "{message}");
    let deadline = Instant::now() + Duration::from_secs(5);
    let model = loop {
        let model = hub.admin("GET", "/hub/api/users/alice", None).json();
        if model["pending"].is_null() || Instant::now() > deadline {
            break model;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(model["server"], json!(null), "{model}");
    let table = hub.admin("GET", "/hub/api/proxy", None).json();
    assert!(table.get("/user/alice/").is_none(), "{table}");
    // The progress stream reports the failure.
    let progress = hub.admin("GET", "/hub/api/users/alice/server/progress", None);
    assert!(
        progress.body.contains("\"failed\": true"),
        "{}",
        progress.body
    );
}

#[test]
fn a_restarted_hub_finds_its_running_server_behind_the_embedded_proxy() {
    restart_case(Front::Embedded);
}

#[test]
fn a_restarted_hub_finds_its_running_server_behind_configurable_http_proxy() {
    restart_case(Front::Chp);
}

fn restart_case(front: Front) {
    // A fixed port: the restarted hub must listen where the server was told the hub is.
    let hub_port = free_port();
    let mut hub = front.hub(&format!(
        "hub_bind_url = \"http://127.0.0.1:{hub_port}\"\ncleanup_servers = false"
    ));
    start_until_ready(&hub);
    let token = hub.token_for("alice", &["inherit"]);

    hub.restart();
    let running = hub.hub.as_ref().unwrap();
    let public = running.public_addr().unwrap();
    let model = hub.admin("GET", "/hub/api/users/alice", None).json();
    assert_eq!(model["servers"][""]["ready"], true, "{model}");
    let table = hub.admin("GET", "/hub/api/proxy", None).json();
    assert_eq!(table["/user/alice/"]["data"]["user"], "alice", "{table}");
    let status = request(
        public,
        "GET",
        "/user/alice/api/status",
        Some(&token),
        None,
        &[],
    );
    assert_eq!(status.status, 200, "{}", status.body);

    stop_alices_server(&hub);
    let model = hub.admin("GET", "/hub/api/users/alice", None).json();
    assert_eq!(model["servers"], json!({}), "{model}");
}

#[test]
fn the_real_idle_culler_culls_an_idle_server_behind_the_embedded_proxy() {
    culler_case(Front::Embedded);
}

#[test]
fn the_real_idle_culler_culls_an_idle_server_behind_configurable_http_proxy() {
    culler_case(Front::Chp);
}

/// The real `jupyterhub-idle-culler` 2.x, run by the hub as a managed service.
fn culler_case(front: Front) {
    let python = venv_python();
    let (hub_lines, proxy_lines) = front.config();
    let hub = TestHub::with_config(|dir| {
        format!(
            r#"
[JupyterHub]
hub_bind_url = "http://127.0.0.1:0"
{hub_lines}
db_url = "sqlite:///{db}"
cookie_secret_file = "{secret}"
services = [
  {{ name = "admin-svc", api_token = "{admin}" }},
  {{ name = "idle-culler", command = [{python:?}, "-m", "jupyterhub_idle_culler", "--timeout=3", "--cull-every=1"] }},
]
load_roles = [
  {{ name = "admin", services = ["admin-svc"] }},
  {{ name = "culler", scopes = ["list:users", "read:users:activity", "read:servers", "delete:servers"], services = ["idle-culler"] }},
]
[Authenticator]
allowed_users = ["alice"]
[ConfigurableHTTPProxy]
{proxy_lines}
{spawner}"#,
            db = dir.join("hub.sqlite").display(),
            secret = dir.join("cookie_secret").display(),
            admin = crate::api::ADMIN_TOKEN,
            python = python.display().to_string(),
            spawner = spawner_section(),
        )
    });
    start_until_ready(&hub);
    let ready_at = Instant::now();
    let deadline = ready_at + Duration::from_secs(60);
    loop {
        let model = hub.admin("GET", "/hub/api/users/alice", None).json();
        if model["servers"] == json!({}) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the culler did not stop the idle server: {model}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    eprintln!("culled {:?} after the server was ready", ready_at.elapsed());
    let table = hub.admin("GET", "/hub/api/proxy", None).json();
    assert!(table.get("/user/alice/").is_none(), "{table}");
}

#[test]
fn traffic_through_the_embedded_proxy_becomes_activity() {
    activity_case(Front::Embedded);
}

#[test]
fn traffic_through_configurable_http_proxy_becomes_activity() {
    activity_case(Front::Chp);
}

/// Traffic through the proxy becomes the server's and the user's activity.
fn activity_case(front: Front) {
    let hub = front.hub("last_activity_interval = 1");
    let public = hub.hub.as_ref().unwrap().public_addr().unwrap();
    start_until_ready(&hub);
    let token = hub.token_for("alice", &["inherit"]);
    let activity = |hub: &TestHub| {
        let model = hub.admin("GET", "/hub/api/users/alice", None).json();
        (
            model["servers"][""]["last_activity"]
                .as_str()
                .unwrap()
                .to_owned(),
            model["last_activity"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    let (server_before, _) = activity(&hub);
    std::thread::sleep(Duration::from_millis(1100));
    let status = request(
        public,
        "GET",
        "/user/alice/api/status",
        Some(&token),
        None,
        &[],
    );
    assert_eq!(status.status, 200, "{}", status.body);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (server_now, user_now) = activity(&hub);
        // ISO 8601 in UTC with a `Z`: later sorts later.
        if server_now > server_before && user_now >= server_now {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "activity not recorded: server {server_before} -> {server_now}, user {user_now}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    stop_alices_server(&hub);
}

#[test]
fn concurrent_spawn_limit_answers_429_with_retry_after_and_a_pending_start_202() {
    // A server that never answers: its start stays pending.
    let hub = TestHub::start_with(
        &format!(
            "{ADMIN_ROLE}\nbind_url = \"http://127.0.0.1:0/\"\nconcurrent_spawn_limit = 1\nslow_spawn_timeout = 0"
        ),
        "api_url = \"http://127.0.0.1:0\"\n[Spawner]\ncmd = [\"sh\", \"-c\", \"sleep 60\", \"--\"]\nallow_root = true\n",
    );
    let first = hub.admin("POST", "/hub/api/users/alice/server", None);
    assert_eq!(first.status, 202, "{}", first.body);
    let model = hub.admin("GET", "/hub/api/users/alice", None).json();
    assert_eq!(model["pending"], "spawn", "{model}");
    // The server's token: the `server` role's scopes, `!server` pinned to this server, as
    // the token model shows them (expanded, `get_scopes_for(token)`).
    let tokens = hub.admin("GET", "/hub/api/users/alice/tokens", None).json();
    let server_token = tokens["api_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|token| token["note"] == "Server at /user/alice/")
        .unwrap_or_else(|| panic!("no server token: {tokens}"));
    let mut scopes: Vec<&str> = server_token["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|scope| scope.as_str())
        .collect();
    scopes.sort_unstable();
    assert_eq!(
        scopes,
        [
            "access:servers!server=alice/",
            "read:users:activity!user=alice",
            "read:users:groups!user=alice",
            "read:users:name!user=alice",
            "users:activity!user=alice"
        ]
    );
    // Starting it again while it starts: 202 at once, as JupyterHub answers.
    assert_eq!(
        hub.admin("POST", "/hub/api/users/alice/server", None)
            .status,
        202
    );
    let second = hub.admin("POST", "/hub/api/users/bob/server", None);
    assert_eq!(second.status, 429, "{}", second.body);
    assert_eq!(second.header("retry-after"), Some("30"));
    assert_eq!(
        second.json()["message"],
        "Too many users trying to log in right now. Try again in 30 seconds."
    );
    let stopped = hub.admin("DELETE", "/hub/api/users/alice/server", None);
    assert!(matches!(stopped.status, 202 | 204), "{}", stopped.body);
}

#[test]
fn a_starting_server_cannot_be_modified_and_deleting_its_user_stops_it() {
    let hub = TestHub::start_with(
        &format!(
            "{ADMIN_ROLE}\nbind_url = \"http://127.0.0.1:0/\"\nallow_named_servers = true\nslow_spawn_timeout = 0"
        ),
        "api_url = \"http://127.0.0.1:0\"\n[Spawner]\ncmd = [\"sh\", \"-c\", \"sleep 4243\", \"--\"]\nallow_root = true\n",
    );
    let started = hub.admin("POST", "/hub/api/users/alice/servers/proj", None);
    assert_eq!(started.status, 202, "{}", started.body);
    wait_for("the server's process", || process_running("sleep 4243"));
    let renamed = hub.admin(
        "PATCH",
        "/hub/api/users/alice/servers/proj",
        Some(json!({"name": "other"})),
    );
    assert_eq!(renamed.status, 400, "{}", renamed.body);
    assert_eq!(
        renamed.json()["message"],
        "alice:proj is active. Please stop it before modifying it."
    );
    let deleted = hub.admin("DELETE", "/hub/api/users/alice", None);
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(hub.admin("GET", "/hub/api/users/alice", None).status, 404);
    wait_for("the deleted user's server to stop", || {
        !process_running("sleep 4243")
    });
}

#[test]
fn two_starts_at_once_start_one_server() {
    let hub = TestHub::start_with(
        &format!("{ADMIN_ROLE}\nbind_url = \"http://127.0.0.1:0/\"\nslow_spawn_timeout = 0"),
        "api_url = \"http://127.0.0.1:0\"\n[Spawner]\ncmd = [\"sh\", \"-c\", \"sleep 4246\", \"--\"]\nallow_root = true\n",
    );
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let starts: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    hub.admin("POST", "/hub/api/users/alice/server", None)
                        .status
                })
            })
            .collect();
        starts
            .into_iter()
            .map(|start| start.join().unwrap())
            .collect()
    });
    assert!(statuses.iter().all(|status| *status == 202), "{statuses:?}");
    wait_for("the server's process", || process_running("sleep 4246"));
    std::thread::sleep(Duration::from_millis(300));
    let count = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|entry| {
            std::fs::read(entry.path().join("cmdline"))
                .map(|raw| String::from_utf8_lossy(&raw).starts_with("sleep\u{0}4246"))
                .unwrap_or(false)
        })
        .count();
    assert_eq!(count, 1, "one server, not {count}");
    let stopped = hub.admin("DELETE", "/hub/api/users/alice/server", None);
    assert!(matches!(stopped.status, 202 | 204), "{}", stopped.body);
    wait_for("the server to stop", || !process_running("sleep 4246"));
}
