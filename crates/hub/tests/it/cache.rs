//! The hub remembers callers and user pages between requests (`hub::cache`); every write
//! must show in the very next request, and an expired token must fail at once.

use serde_json::json;

use crate::api::{ADMIN_ROLE, TestHub};

#[test]
fn a_remembered_caller_sees_every_write_to_its_owner_and_token() {
    let hub = TestHub::start(ADMIN_ROLE);
    let token = hub.token_for("alice", &["inherit"]);
    let me = || hub.call("GET", "/hub/api/user", Some(&token), None);
    // Twice: the second answer comes from the remembered caller.
    assert_eq!(me().json()["groups"], json!(["team"]));
    assert_eq!(me().json()["admin"], json!(false));

    let added = hub.admin(
        "POST",
        "/hub/api/groups/team2",
        Some(json!({"users": ["alice"]})),
    );
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(me().json()["groups"], json!(["team", "team2"]));

    // Only an admin user may make another user an admin.
    let ada = hub.token_for("ada", &["inherit"]);
    let patched = hub.call(
        "PATCH",
        "/hub/api/users/alice",
        Some(&ada),
        Some(json!({"admin": true})),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    let model = me().json();
    assert_eq!(model["admin"], json!(true));
    // Admin now: the token's `inherit` carries the admin role's scopes at once.
    assert!(
        model["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("admin:users")),
        "{model}"
    );
    let listed = hub.call("GET", "/hub/api/users", Some(&token), None);
    assert_eq!(listed.status, 200, "{}", listed.body);

    let id = me().json()["token_id"].as_str().unwrap().to_owned();
    let deleted = hub.admin("DELETE", &format!("/hub/api/users/alice/tokens/{id}"), None);
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(me().status, 403);
}

#[test]
fn a_remembered_user_page_shows_every_change() {
    let hub = TestHub::start(ADMIN_ROLE);
    let names = |hub: &TestHub| -> Vec<String> {
        let response = hub.admin("GET", "/hub/api/users?sort=name", None);
        assert_eq!(response.status, 200, "{}", response.body);
        response
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&hub), ["ada", "alice", "bob"]);
    assert_eq!(names(&hub), ["ada", "alice", "bob"]);
    let created = hub.admin("POST", "/hub/api/users/carol", None);
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(names(&hub), ["ada", "alice", "bob", "carol"]);
    let deleted = hub.admin("DELETE", "/hub/api/users/bob", None);
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(names(&hub), ["ada", "alice", "carol"]);
    // A different query is a different page.
    let filtered = hub
        .admin("GET", "/hub/api/users?name_filter=al", None)
        .json();
    assert_eq!(filtered.as_array().map(Vec::len), Some(1), "{filtered}");
}

#[test]
fn a_remembered_token_stops_working_when_it_expires() {
    let hub = TestHub::start(ADMIN_ROLE);
    let response = hub.admin(
        "POST",
        "/hub/api/users/alice/tokens",
        Some(json!({"expires_in": 1})),
    );
    assert_eq!(response.status, 201, "{}", response.body);
    let token = response.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(
        hub.call("GET", "/hub/api/user", Some(&token), None).status,
        200
    );
    assert_eq!(
        hub.call("GET", "/hub/api/user", Some(&token), None).status,
        200
    );
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(
        hub.call("GET", "/hub/api/user", Some(&token), None).status,
        403
    );
}

#[test]
fn a_remembered_answer_keeps_its_etag_and_depends_on_the_accept_header() {
    let hub = TestHub::start(ADMIN_ROLE);
    let first = hub.admin("GET", "/hub/api/users", None);
    let again = hub.admin("GET", "/hub/api/users", None);
    assert_eq!(first.body, again.body);
    let tag = again.header("etag").unwrap().to_owned();
    assert_eq!(first.header("etag"), Some(tag.as_str()));
    let not_modified = crate::client::request(
        hub.addr,
        "GET",
        "/hub/api/users",
        Some(crate::api::ADMIN_TOKEN),
        None,
        &[("If-None-Match", &tag)],
    );
    assert_eq!((not_modified.status, not_modified.body.as_str()), (304, ""));
    // The same URL asking for the pagination envelope is another answer.
    let envelope = crate::client::request(
        hub.addr,
        "GET",
        "/hub/api/users",
        Some(crate::api::ADMIN_TOKEN),
        None,
        &[("Accept", "application/jupyterhub-pagination+json")],
    );
    assert!(
        envelope.json()["_pagination"].is_object(),
        "{}",
        envelope.body
    );
    // Another caller is another answer: alice may not list users, whatever was remembered.
    let alice = hub.token_for("alice", &["inherit"]);
    assert_eq!(
        hub.call("GET", "/hub/api/users", Some(&alice), None).status,
        403
    );
}
