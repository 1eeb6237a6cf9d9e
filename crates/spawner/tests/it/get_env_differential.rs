//! `spawner::environment` against JupyterHub 6.1.1's own `Spawner.get_env()`, run by
//! `jupyterhub_get_env.py` in the repository's venv, for the same inputs.

use crate::support::venv;
use serde_json::{Value, json};
use spawner::{HubLocation, SpawnSpec, environment};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, Stdio};

/// JupyterHub's environment for `case` (see the script for its keys).
fn jupyterhub_env(case: &Value) -> BTreeMap<String, String> {
    let python = venv().join("bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run scripts/setup-oracle",
        python.display()
    );
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/jupyterhub_get_env.py"
    );
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(case.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "jupyterhub_get_env.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn hub_env(case: &Value) -> BTreeMap<String, String> {
    serde_json::from_value(case["hub_env"].clone()).unwrap()
}

/// `check(case, spec)`: the spec hubcap would build for the case gives JupyterHub's environment.
/// Returns the environment, for checks that the case did reach JupyterHub's code.
fn check(case: &Value, spec: &SpawnSpec) -> BTreeMap<String, String> {
    let ours = environment(spec, &hub_env(case)).unwrap();
    let theirs = jupyterhub_env(case);
    assert_eq!(ours, theirs, "case {case}");
    theirs
}

fn base_case() -> Value {
    json!({
        "user": "alice", "server_name": "", "base_url": "/",
        "hub_env": {"PATH": "/usr/local/bin:/usr/bin", "LANG": "C.UTF-8", "HOME": "/root", "CONFIGPROXY_AUTH_TOKEN": "x"},
        "spawner_config": {}, "api_token": "0123456789abcdef0123456789abcdef", "port": 46881,
    })
}

fn spec_for(case: &Value) -> SpawnSpec {
    let base_url = case["base_url"].as_str().unwrap();
    let hub = HubLocation {
        base_url: base_url.to_owned(),
        api_url: format!("http://127.0.0.1:8081{base_url}hub/api"),
    };
    let mut spec = SpawnSpec::new(
        case["user"].as_str().unwrap(),
        case["server_name"].as_str().unwrap(),
        &hub,
        case["api_token"].as_str().unwrap().to_owned(),
    );
    spec.port = u16::try_from(case["port"].as_u64().unwrap()).unwrap();
    spec
}

#[test]
fn the_default_server_of_a_plain_hub() {
    let case = base_case();
    check(&case, &spec_for(&case));
}

#[test]
fn a_named_server_of_a_user_with_characters_to_escape() {
    let mut case = base_case();
    case["user"] = json!("a b@c");
    case["server_name"] = json!("my proj/1");
    check(&case, &spec_for(&case));
}

#[test]
fn every_setting_that_changes_the_environment() {
    let mut case = base_case();
    case["base_url"] = json!("/jh/");
    case["admin_access"] = json!(true);
    case["cookie_options"] = json!({"expires_days": 2, "samesite": "Lax"});
    case["cookie_host_prefix_enabled"] = json!(true);
    case["public_url"] = json!("https://hub.example.org/jh/");
    case["hub_public_host"] = json!("");
    case["hub_env"]["VIRTUAL_ENV"] = json!("/srv/venv");
    case["hub_env"]["JUPYTERHUB_SINGLEUSER_APP"] = json!("jupyter_server.serverapp.ServerApp");
    case["spawner_config"] = json!({
        "debug": true,
        "disable_user_config": true,
        "oauth_client_allowed_scopes": ["read:users!user", "access:servers!server"],
        "notebook_dir": "/srv/{username}",
        "default_url": "{base_url}lab/tree",
        "mem_limit": "1G",
        "mem_guarantee": 1024,
        "cpu_limit": 2.0,
        "cpu_guarantee": 0.5,
        "environment": {"EXTRA": "1", "JUPYTERHUB_DEBUG": "0"},
        "hub_connect_url": "http://hub.internal:8081",
        "ip": "::1",
    });
    let mut spec = spec_for(&case);
    spec.admin_access = true;
    spec.cookie_options = Some(serde_json::from_value(case["cookie_options"].clone()).unwrap());
    spec.cookie_host_prefix_enabled = true;
    spec.public_url = "https://hub.example.org/jh/user/alice/".to_owned();
    spec.public_hub_url = "https://hub.example.org/jh/hub/".to_owned();
    spec.debug = true;
    spec.disable_user_config = true;
    spec.oauth_client_allowed_scopes = vec![
        "read:users!user".to_owned(),
        "access:servers!server".to_owned(),
    ];
    spec.notebook_dir = Some("/srv/{username}".to_owned());
    spec.default_url = Some("{base_url}lab/tree".to_owned());
    spec.mem_limit = Some(1 << 30);
    spec.mem_guarantee = Some(1024);
    spec.cpu_limit = Some(2.0);
    spec.cpu_guarantee = Some(0.5);
    spec.environment = [("EXTRA", "1"), ("JUPYTERHUB_DEBUG", "0")]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect();
    spec.hub_connect_url = Some("http://hub.internal:8081".to_owned());
    spec.ip = "::1".to_owned();
    let env = check(&case, &spec);
    for key in [
        "MEM_LIMIT",
        "CPU_GUARANTEE",
        "JUPYTERHUB_ROOT_DIR",
        "JUPYTERHUB_COOKIE_OPTIONS",
        "JUPYTERHUB_ADMIN_ACCESS",
        "VIRTUAL_ENV",
        "EXTRA",
    ] {
        assert!(env.contains_key(key), "{key} missing from {env:?}");
    }
    assert_eq!(
        env["JUPYTERHUB_SERVICE_URL"],
        "http://[::1]:46881/jh/user/alice/"
    );
}
