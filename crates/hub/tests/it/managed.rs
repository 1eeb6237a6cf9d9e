//! Hub-managed services: started with JupyterHub's service environment and a working token,
//! started again when they exit, stopped with the hub.

use crate::api::{ADMIN_TOKEN, TestHub};
use crate::support::{process_running, wait_for};

/// A hub with the admin service and `services` (the OAuth tests' hub, without their roles).
fn hub_with_services(services: &str) -> TestHub {
    crate::oauth::hub_with(
        &format!(r#"{{ name = "admin-svc", api_token = "{ADMIN_TOKEN}" }}, {services}"#),
        "",
    )
}

#[test]
fn a_managed_service_gets_its_environment_and_token_and_stops_with_the_hub() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("env");
    let script = format!("env > {}; exec sleep 4245", env_file.display());
    let hub = hub_with_services(&format!(
        r#"{{ name = "worker", command = ["sh", "-c", {script:?}], environment = {{ EXTRA = "yes" }} }}"#
    ));
    wait_for("the service's environment", || {
        std::fs::read_to_string(&env_file).is_ok_and(|text| text.contains("EXTRA=yes"))
    });
    let env = std::fs::read_to_string(&env_file).unwrap();
    let var = |name: &str| {
        env.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} missing from {env}"))
            .to_owned()
    };
    assert_eq!(var("JUPYTERHUB_SERVICE_NAME"), "worker");
    assert_eq!(var("JUPYTERHUB_CLIENT_ID"), "service-worker");
    assert_eq!(
        var("JUPYTERHUB_API_URL"),
        format!("http://{}/hub/api", hub.addr)
    );
    // The generated token is the service's own.
    let token = var("JUPYTERHUB_API_TOKEN");
    let me = hub.call("GET", "/hub/api/user", Some(&token), None);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["name"], "worker");
    assert_eq!(me.json()["kind"], "service");
    assert!(process_running("sleep 4245"));
    drop(hub);
    wait_for("the service to stop with the hub", || {
        !process_running("sleep 4245")
    });
}

#[test]
fn a_managed_service_that_exits_is_started_again() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let script = format!("echo run >> {}; exit 3", runs.display());
    let _hub = hub_with_services(&format!(
        r#"{{ name = "flaky", command = ["sh", "-c", {script:?}] }}"#
    ));
    wait_for("a second start", || {
        std::fs::read_to_string(&runs).is_ok_and(|text| text.lines().count() >= 2)
    });
}
