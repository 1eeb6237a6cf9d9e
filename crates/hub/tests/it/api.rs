//! The REST API against JupyterHub's contract (reference §1–3): status codes, messages,
//! models, filtering, and hubcap's explanations beside them.

use std::net::SocketAddr;

use hub::{HubConfig, RunningHub};
use serde_json::{Value, json};

use crate::client::{Response, request};

pub(crate) const ADMIN_TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// A hub on a free loopback port with a throwaway SQLite database.
pub(crate) struct TestHub {
    text: String,
    runtime: tokio::runtime::Runtime,
    pub(crate) hub: Option<RunningHub>,
    pub(crate) addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl TestHub {
    pub(crate) fn start(extra: &str) -> TestHub {
        TestHub::start_with(
            &format!("bind_url = \"http://127.0.0.1:0/\"\n{extra}"),
            r#"api_url = "http://127.0.0.1:0""#,
        )
    }

    /// A hub whose `[ConfigurableHTTPProxy]` section is `proxy`.
    pub(crate) fn start_with(extra: &str, proxy: &str) -> TestHub {
        // Any free port for the hub, unless the test fixes one.
        let hub_bind = if extra.contains("hub_bind_url") {
            ""
        } else {
            "hub_bind_url = \"http://127.0.0.1:0\""
        };
        TestHub::with_config(|dir| {
            format!(
                r#"
[JupyterHub]
{hub_bind}
db_url = "sqlite:///{}"
cookie_secret_file = "{}"
services = [ {{ name = "admin-svc", api_token = "{ADMIN_TOKEN}" }} ]
load_groups = {{ team = {{ users = ["alice"] }} }}
{extra}
[Authenticator]
admin_users = ["ada"]
allowed_users = ["alice", "bob"]
[ConfigurableHTTPProxy]
{proxy}
"#,
                dir.join("hub.sqlite").display(),
                dir.join("cookie_secret").display()
            )
        })
    }

    /// A hub whose whole configuration `text` makes, given the throwaway directory.
    pub(crate) fn with_config(text: impl FnOnce(&std::path::Path) -> String) -> TestHub {
        let dir = tempfile::tempdir().unwrap();
        let text = text(dir.path());
        let config = HubConfig::from_toml(&text, "test").unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let hub = runtime.block_on(hub::start(config)).unwrap();
        let addr = hub.addr;
        TestHub {
            text,
            runtime,
            hub: Some(hub),
            addr,
            _dir: dir,
        }
    }

    /// Stops the hub and starts it again with the same configuration and database.
    pub(crate) fn restart(&mut self) {
        if let Some(hub) = self.hub.take() {
            self.runtime.block_on(hub.stop()).unwrap();
        }
        let config = HubConfig::from_toml(&self.text, "test").unwrap();
        let hub = self.runtime.block_on(hub::start(config)).unwrap();
        self.addr = hub.addr;
        self.hub = Some(hub);
    }

    /// Where the hub listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The throwaway directory (database, cookie secret).
    pub(crate) fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub(crate) fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let body = body.map(|b| b.to_string());
        request(self.addr, method, path, token, body.as_deref(), &[])
    }

    pub(crate) fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        self.call(method, path, Some(ADMIN_TOKEN), body)
    }

    /// A new token for `user` with `scopes`, issued by the admin service.
    pub(crate) fn token_for(&self, user: &str, scopes: &[&str]) -> String {
        let response = self.admin(
            "POST",
            &format!("/hub/api/users/{user}/tokens"),
            Some(json!({"scopes": scopes})),
        );
        assert_eq!(response.status, 201, "{}", response.body);
        response.json()["token"].as_str().unwrap().to_owned()
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.take() {
            let _ = self.runtime.block_on(hub.stop());
        }
    }
}

pub(crate) const ADMIN_ROLE: &str =
    r#"load_roles = [ { name = "admin", services = ["admin-svc"], users = ["ada"] } ]"#;

#[test]
fn root_answers_version_with_jupyterhubs_headers() {
    let hub = TestHub::start("");
    for path in ["/hub/api", "/hub/api/"] {
        let response = hub.call("GET", path, None, None);
        assert_eq!(response.status, 200);
        assert_eq!(response.json(), json!({"version": "6.1.1"}));
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.header("x-jupyterhub-version"), Some("6.1.1"));
        assert_eq!(response.header("access-control-allow-origin"), Some("*"));
        assert!(
            response
                .header("content-security-policy")
                .unwrap()
                .contains("default-src 'none'")
        );
    }
}

#[test]
fn errors_have_jupyterhubs_body_and_null_messages() {
    let hub = TestHub::start(ADMIN_ROLE);
    // No credentials on a scoped endpoint.
    let response = hub.call("GET", "/hub/api/users", None, None);
    assert_eq!(response.status, 403);
    assert_eq!(
        response.json()["message"],
        "Missing or invalid credentials."
    );
    // A bad token on /user: a bare 403.
    let response = hub.call("GET", "/hub/api/user", Some("not-a-token-at-all"), None);
    assert_eq!(
        (response.status, response.json()["message"].clone()),
        (403, Value::Null)
    );
    // Unknown API path: JSON 404 with a null message.
    let response = hub.call("GET", "/hub/api/nope", None, None);
    assert_eq!(response.status, 404);
    assert_eq!(response.json(), json!({"status": 404, "message": null}));
    // A method the route lacks: 405; OPTIONS: 200 with no body and no auth.
    let response = hub.admin("PUT", "/hub/api/users", None);
    assert_eq!(response.status, 405);
    let response = hub.call("OPTIONS", "/hub/api/users", None, None);
    assert_eq!((response.status, response.body.as_str()), (200, ""));
    // Bad JSON.
    let response = request(
        hub.addr,
        "POST",
        "/hub/api/users",
        Some(ADMIN_TOKEN),
        Some("{nope"),
        &[],
    );
    assert_eq!(response.status, 400);
    assert_eq!(
        response.json()["message"],
        "Invalid JSON in body of request"
    );
}

#[test]
fn a_denial_keeps_jupyterhubs_message_and_explains_itself() {
    let hub = TestHub::start(ADMIN_ROLE);
    let token = hub.token_for("bob", &["read:users:name!user=bob"]);
    let response = hub.call("DELETE", "/hub/api/users/alice", Some(&token), None);
    assert_eq!(response.status, 403);
    let body = response.json();
    assert_eq!(
        body["message"],
        "Action is not authorized with current scopes; requires any of [delete:users]"
    );
    let explanation = &body["explanation"];
    assert_eq!(explanation["owner"], "user bob");
    assert_eq!(explanation["token_kind"], "API token");
    assert_eq!(
        explanation["token_scopes"],
        json!(["read:users:name!user=bob"])
    );
    assert!(
        explanation["text"]
            .as_str()
            .unwrap()
            .contains("delete:users")
    );
    // A filtered scope on another resource: 404, JupyterHub's "no access" message.
    let token = hub.token_for("ada", &["read:users!user=bob"]);
    let response = hub.call("GET", "/hub/api/users/alice", Some(&token), None);
    assert_eq!(response.status, 404);
    assert_eq!(
        response.json()["message"],
        "No access to resources or resources not found"
    );
    assert!(response.json()["explanation"].is_object());
}

#[test]
fn user_models_are_filtered_by_the_callers_scopes() {
    let hub = TestHub::start(ADMIN_ROLE);
    let full = hub.admin("GET", "/hub/api/users/alice", None).json();
    assert_eq!(full["name"], "alice");
    assert_eq!(full["groups"], json!(["team"]));
    assert_eq!(full["roles"], json!(["user"]));
    assert!(full.get("servers").is_some() && full.get("created").is_some());
    let token = hub.token_for("ada", &["read:users:name"]);
    let named = hub
        .call("GET", "/hub/api/users/alice", Some(&token), None)
        .json();
    let keys: std::collections::BTreeSet<&str> = named
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["admin", "kind", "name", "user_info"].into_iter().collect()
    );
    // Horizontal filtering: a group-filtered list shows only the group's members.
    let token = hub.token_for(
        "ada",
        &["list:users!group=team", "read:users:name!group=team"],
    );
    let listed = hub.call("GET", "/hub/api/users", Some(&token), None).json();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice"]);
}

#[test]
fn user_list_validates_and_paginates() {
    let hub = TestHub::start(ADMIN_ROLE);
    let response = hub.admin("GET", "/hub/api/users?sort=bogus", None);
    assert_eq!(
        response.json()["message"],
        "sort must be 'id', 'name', or 'last_activity', not 'bogus'"
    );
    let response = hub.admin("GET", "/hub/api/users?state=bogus", None);
    assert_eq!(
        response.json()["message"],
        "Unrecognized state filter: 'bogus'"
    );
    let response = hub.admin("GET", "/hub/api/users?limit=x", None);
    assert_eq!(
        response.json()["message"],
        "Invalid argument type, offset and limit must be integers"
    );
    let response = request(
        hub.addr,
        "GET",
        "/hub/api/users?limit=2&sort=-name",
        Some(ADMIN_TOKEN),
        None,
        &[("Accept", "application/jupyterhub-pagination+json")],
    );
    let page = response.json();
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bob", "alice"]);
    assert_eq!(page["_pagination"]["total"], 3);
    assert_eq!(page["_pagination"]["next"]["offset"], 2);
    let url = page["_pagination"]["next"]["url"].as_str().unwrap();
    // The request's own query kept in order, offset added, limit kept in place.
    assert_eq!(
        url,
        format!(
            "http://{}/hub/api/users?limit=2&sort=-name&offset=2",
            hub.addr
        )
    );
}

#[test]
fn users_are_created_renamed_and_deleted() {
    let hub = TestHub::start(ADMIN_ROLE);
    let response = hub.admin(
        "POST",
        "/hub/api/users",
        Some(json!({"usernames": ["Carol", "dave"]})),
    );
    assert_eq!(response.status, 201, "{}", response.body);
    let created = response.json();
    let names: Vec<&str> = created
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["carol", "dave"]);
    let response = hub.admin(
        "POST",
        "/hub/api/users",
        Some(json!({"usernames": ["carol"]})),
    );
    assert_eq!(
        (response.status, response.json()["message"].clone()),
        (409, json!("All 1 users already exist"))
    );
    let response = hub.admin("POST", "/hub/api/users", Some(json!({"usernames": []})));
    assert_eq!(
        response.json()["message"],
        "Must specify at least one user to create"
    );
    let response = hub.admin(
        "POST",
        "/hub/api/users",
        Some(json!({"usernames": ["x"], "admin": "yes"})),
    );
    assert_eq!(
        response.json()["message"],
        "user.admin must be <class 'bool'>, not: <class 'str'>"
    );
    let response = hub.admin(
        "POST",
        "/hub/api/users",
        Some(json!({"usernames": ["x"], "bogus": 1})),
    );
    assert_eq!(
        response.json()["message"],
        "Invalid JSON keys: {'bogus': 1}"
    );
    let response = hub.admin(
        "PATCH",
        "/hub/api/users/dave",
        Some(json!({"name": "erin"})),
    );
    assert_eq!(
        (response.status, response.json()["name"].clone()),
        (200, json!("erin"))
    );
    let response = hub.admin(
        "PATCH",
        "/hub/api/users/erin",
        Some(json!({"name": "carol"})),
    );
    assert_eq!(
        response.json()["message"],
        "User carol already exists, username must be unique"
    );
    let response = hub.admin("DELETE", "/hub/api/users/erin", None);
    assert_eq!((response.status, response.body.as_str()), (204, ""));
    assert_eq!(hub.admin("GET", "/hub/api/users/erin", None).status, 404);
    let token = hub.token_for("ada", &["delete:users"]);
    let response = hub.call("DELETE", "/hub/api/users/ada", Some(&token), None);
    assert_eq!(response.json()["message"], "Cannot delete yourself!");
}

#[test]
fn tokens_are_issued_within_the_owners_scopes() {
    let hub = TestHub::start(ADMIN_ROLE);
    let response = hub.admin(
        "POST",
        "/hub/api/users/bob/tokens",
        Some(json!({"scopes": ["admin:users"]})),
    );
    assert_eq!(response.status, 400);
    assert!(
        response.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("Not assigning requested scopes "),
        "{}",
        response.body
    );
    let response = hub.admin(
        "POST",
        "/hub/api/users/bob/tokens",
        Some(json!({"scopes": ["no:such:scope"]})),
    );
    assert_eq!(
        response.json()["message"],
        "\"Scope 'no:such:scope' for token does not exist\""
    );
    let response = hub.admin(
        "POST",
        "/hub/api/users/bob/tokens",
        Some(json!({"expires_in": "soon"})),
    );
    assert_eq!(
        response.json()["message"],
        "token expires_in must be null or integer, not 'soon'"
    );
    let response = hub.admin(
        "POST",
        "/hub/api/users/bob/tokens",
        Some(json!({"note": "mine", "expires_in": 3600})),
    );
    assert_eq!(response.status, 201);
    let created = response.json();
    assert_eq!(created["note"], "mine");
    assert!(created["expires_at"].is_string());
    let id = created["id"].as_str().unwrap().to_owned();
    // The token works, and its model says who it is.
    let me = hub
        .call("GET", "/hub/api/user", created["token"].as_str(), None)
        .json();
    assert_eq!(
        (me["name"].clone(), me["token_id"].clone()),
        (json!("bob"), json!(id.clone()))
    );
    let listed = hub.admin("GET", "/hub/api/users/bob/tokens", None).json();
    assert!(
        listed["api_tokens"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id.as_str())
    );
    assert!(listed["api_tokens"][0].get("token").is_none());
    let response = hub.admin("GET", "/hub/api/users/bob/tokens/zzz", None);
    assert_eq!(response.json()["message"], "No such token zzz for user bob");
    let response = hub.admin("DELETE", &format!("/hub/api/users/bob/tokens/{id}"), None);
    assert_eq!(response.status, 204);
    assert_eq!(
        hub.call("GET", "/hub/api/user", created["token"].as_str(), None)
            .status,
        403
    );
    // Someone without `tokens` on bob cannot make him a token.
    let alice = hub.token_for("alice", &["read:users:name!user=alice"]);
    let response = hub.call(
        "POST",
        "/hub/api/users/bob/tokens",
        Some(&alice),
        Some(json!({})),
    );
    assert_eq!(
        response.json()["message"],
        "User bob not found or no permissions to generate tokens"
    );
}

#[test]
fn groups_are_managed_through_the_api() {
    let hub = TestHub::start(ADMIN_ROLE);
    let response = hub.admin(
        "POST",
        "/hub/api/groups",
        Some(json!({"groups": ["g1", "g2"], "users": ["bob"]})),
    );
    assert_eq!(response.status, 201, "{}", response.body);
    assert_eq!(response.json()[1]["users"], json!(["bob"]));
    let response = hub.admin("POST", "/hub/api/groups/g1", None);
    assert_eq!(response.json()["message"], "Group g1 already exists");
    let response = hub.admin(
        "POST",
        "/hub/api/groups/g1/users",
        Some(json!({"users": ["nobody"]})),
    );
    assert_eq!(response.json()["message"], "No such user: nobody");
    let response = hub.admin(
        "POST",
        "/hub/api/groups/g1/users",
        Some(json!({"users": ["alice"]})),
    );
    assert_eq!(response.json()["users"], json!(["alice", "bob"]));
    let response = hub.admin("DELETE", "/hub/api/groups/g1/users", Some(json!({})));
    assert_eq!(response.json()["message"], "Must specify users to delete");
    let response = hub.admin(
        "PUT",
        "/hub/api/groups/g1/properties",
        Some(json!({"course": "101"})),
    );
    assert_eq!(response.json()["properties"], json!({"course": "101"}));
    let response = hub.admin("GET", "/hub/api/groups/nope", None);
    assert_eq!(response.json()["message"], "No such group: nope");
    assert_eq!(hub.admin("DELETE", "/hub/api/groups/g2", None).status, 204);
    let listed = hub.admin("GET", "/hub/api/groups", None).json();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["team", "g1"]);
}

#[test]
fn services_are_listed_by_name() {
    let hub = TestHub::start(ADMIN_ROLE);
    let listed = hub.admin("GET", "/hub/api/services", None).json();
    assert_eq!(listed["admin-svc"]["roles"], json!(["admin"]));
    assert_eq!(listed["admin-svc"]["url"], "");
    let response = hub.admin("GET", "/hub/api/services/nope", None);
    assert_eq!(response.json()["message"], "No such service: nope");
}

#[test]
fn shutdown_stops_the_hub() {
    let mut hub = TestHub::start(ADMIN_ROLE);
    let response = hub.admin("POST", "/hub/api/shutdown", Some(json!({"proxy": "no"})));
    assert_eq!(
        response.json()["message"],
        "proxy must be true or false, got 'no'"
    );
    let response = hub.admin("POST", "/hub/api/shutdown", None);
    assert_eq!(
        (response.status, response.json()),
        (202, json!({"message": "Shutting down Hub"}))
    );
    let running = hub.hub.take().unwrap();
    hub.runtime.block_on(running.wait()).unwrap();
    assert!(std::net::TcpStream::connect(hub.addr).is_err());
}

const NAMED_SERVERS: &str = r#"allow_named_servers = true
load_roles = [ { name = "admin", services = ["admin-svc"], users = ["ada"] } ]"#;

#[test]
fn stopped_servers_are_created_renamed_and_removed() {
    let hub = TestHub::start(NAMED_SERVERS);
    let response = hub.admin(
        "PUT",
        "/hub/api/users/alice/servers/lab",
        Some(json!({"display_name": "My Lab"})),
    );
    assert_eq!(response.status, 201, "{}", response.body);
    let model = response.json();
    assert_eq!(
        (model["name"].clone(), model["display_name"].clone()),
        (json!("lab"), json!("My Lab"))
    );
    assert_eq!(
        (model["stopped"].clone(), model["url"].clone()),
        (json!(true), json!("/user/alice/lab/"))
    );
    let response = hub.admin("PUT", "/hub/api/users/alice/servers/lab", None);
    assert_eq!(
        response.json()["message"],
        "User alice already has server lab"
    );
    let response = hub.admin("PUT", "/hub/api/users/alice/servers/Bad_Name", None);
    assert_eq!(
        response.json()["message"],
        "Invalid server_name: 'Bad_Name'"
    );
    let response = hub.admin(
        "PATCH",
        "/hub/api/users/alice/servers/lab",
        Some(json!({"name": "lab2"})),
    );
    assert_eq!(
        (response.status, response.json()["name"].clone()),
        (200, json!("lab2"))
    );
    assert_eq!(
        response.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    assert_eq!(
        hub.admin("GET", "/hub/api/users/alice/servers/lab", None)
            .status,
        404
    );
    let response = hub.admin(
        "DELETE",
        "/hub/api/users/alice/servers/lab2",
        Some(json!({"remove": true})),
    );
    assert_eq!(response.status, 204);
    assert_eq!(
        hub.admin("GET", "/hub/api/users/alice/servers/lab2", None)
            .status,
        404
    );
    let response = hub.admin(
        "DELETE",
        "/hub/api/users/alice/server",
        Some(json!({"remove": true})),
    );
    assert_eq!(
        response.json()["message"],
        "Cannot delete the default server"
    );
}

#[test]
fn activity_only_moves_forward() {
    let hub = TestHub::start(NAMED_SERVERS);
    let post = |body: Value| hub.admin("POST", "/hub/api/users/alice/activity", Some(body));
    assert_eq!(
        post(json!({"last_activity": "2026-01-02T03:04:05Z"})).status,
        200
    );
    assert_eq!(
        post(json!({"last_activity": "2025-01-01T00:00:00Z"})).status,
        200
    );
    let user = hub.admin("GET", "/hub/api/users/alice", None).json();
    assert_eq!(user["last_activity"], "2026-01-02T03:04:05Z");
    let response = post(json!({"last_activity": "yesterday"}));
    assert_eq!(
        response.json()["message"],
        "Not a valid timestamp: 'yesterday'"
    );
    let response = post(json!({"servers": {"nope": {"last_activity": "2026-01-02T03:04:05Z"}}}));
    assert_eq!(
        response.json()["message"],
        "No such server 'nope' for user alice"
    );
    let response = post(json!({}));
    assert_eq!(
        response.json()["message"],
        "body must contain at least one of `last_activity` or `servers`"
    );
}

#[test]
fn shares_grant_access_that_the_recipients_tokens_carry() {
    let hub = TestHub::start(NAMED_SERVERS);
    assert_eq!(
        hub.admin("PUT", "/hub/api/users/alice/servers/lab", None)
            .status,
        201
    );
    let response = hub.admin(
        "POST",
        "/hub/api/shares/alice/lab",
        Some(json!({"user": "bob"})),
    );
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        response.json()["scopes"],
        json!(["access:servers!server=alice/lab"])
    );
    let bob = hub.token_for("bob", &["inherit"]);
    let me = hub.call("GET", "/hub/api/user", Some(&bob), None).json();
    assert!(
        me["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("access:servers!server=alice/lab"))
    );
    let listed = hub.admin("GET", "/hub/api/users/bob/shared", None).json();
    assert_eq!(listed["_pagination"]["total"], 1);
    let response = hub.admin("POST", "/hub/api/share-codes/alice/lab", Some(json!({})));
    assert_eq!(response.status, 200);
    let code = response.json();
    assert_eq!(code["code"].as_str().unwrap().len(), 43);
    assert!(
        code["accept_url"]
            .as_str()
            .unwrap()
            .starts_with("/hub/accept-share?code=")
    );
    let response = hub.admin(
        "PATCH",
        "/hub/api/shares/alice/lab",
        Some(json!({"user": "bob"})),
    );
    assert_eq!(response.json(), json!({}));
    let me = hub.call("GET", "/hub/api/user", Some(&bob), None).json();
    assert!(
        !me["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("access:servers!server=alice/lab"))
    );
    let response = hub.admin("GET", "/hub/api/shares/alice/nope", None);
    assert_eq!(response.json()["message"], "No such server: alice/nope");
}

#[test]
fn get_answers_carry_an_etag_that_if_none_match_honours() {
    let hub = TestHub::start(ADMIN_ROLE);
    let first = hub.admin("GET", "/hub/api/users/alice", None);
    let tag = first.header("etag").unwrap().to_owned();
    let again = request(
        hub.addr,
        "GET",
        "/hub/api/users/alice",
        Some(ADMIN_TOKEN),
        None,
        &[("If-None-Match", &tag)],
    );
    assert_eq!((again.status, again.body.as_str()), (304, ""));
}

#[test]
fn services_are_added_and_removed_at_runtime() {
    let hub = TestHub::start(ADMIN_ROLE);
    let response = hub.admin(
        "POST",
        "/hub/api/services/extra",
        Some(json!({"info": {"a": 1}, "display": false})),
    );
    assert_eq!(response.status, 201, "{}", response.body);
    assert_eq!(
        (
            response.json()["info"].clone(),
            response.json()["display"].clone()
        ),
        (json!({"a": 1}), json!(false))
    );
    let response = hub.admin("POST", "/hub/api/services/extra", Some(json!({"info": {}})));
    assert_eq!(response.json()["message"], "Service extra already exists");
    let response = hub.admin(
        "POST",
        "/hub/api/services/managed",
        Some(json!({"command": ["sleep", "1"]})),
    );
    assert_eq!(
        response.json()["message"],
        "Can not create managed service managed at runtime"
    );
    let response = hub.admin("DELETE", "/hub/api/services/admin-svc", None);
    assert_eq!(
        (response.status, response.json()["message"].clone()),
        (405, json!("Service admin-svc is not modifiable at runtime"))
    );
    assert_eq!(
        hub.admin("DELETE", "/hub/api/services/extra", None).status,
        200
    );
    assert_eq!(
        hub.admin("GET", "/hub/api/services/extra", None).status,
        404
    );
}

#[test]
fn the_proxy_table_shows_the_hub_route() {
    let hub = TestHub::start(ADMIN_ROLE);
    let table = hub.admin("GET", "/hub/api/proxy", None).json();
    assert_eq!(table["/"]["data"]["hub"], true);
    assert_eq!(table["/"]["target"], format!("http://{}", hub.addr));
    let response = hub.admin("PATCH", "/hub/api/proxy", None);
    assert_eq!(response.json()["message"], "need JSON body");
    assert_eq!(hub.admin("POST", "/hub/api/proxy", None).status, 200);
}

#[test]
fn explain_answers_would_my_token_be_allowed() {
    let hub = TestHub::start(ADMIN_ROLE);
    let token = hub.token_for("bob", &["read:users:name!user=bob"]);
    let ask = |method: &str, path: &str| {
        hub.call(
            "GET",
            &format!("/hub/api/explain?method={method}&path={path}"),
            Some(&token),
            None,
        )
    };
    let denied = ask("DELETE", "/hub/api/users/alice").json();
    assert_eq!(
        (denied["allowed"].clone(), denied["status"].clone()),
        (json!(false), json!(403))
    );
    assert_eq!(
        denied["message"],
        "Action is not authorized with current scopes; requires any of [delete:users]"
    );
    assert_eq!(denied["explanation"]["owner"], "user bob");
    let allowed = ask("GET", "/hub/api/users/bob").json();
    assert_eq!(allowed["allowed"], true);
    let unknown = ask("GET", "/hub/api/nope");
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.json()["message"]
            .as_str()
            .unwrap()
            .contains("knows no endpoint")
    );
    let response = hub.call("GET", "/hub/api/explain?path=/hub/api/users", None, None);
    assert_eq!(response.status, 403);
}

#[test]
fn auth_state_is_stored_encrypted_and_shown_to_admins() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[JupyterHub]\nhub_bind_url = \"http://127.0.0.1:0\"\nbind_url = \"http://127.0.0.1:0/\"\ndb_url = \"sqlite:///{}\"\n{ADMIN_ROLE}\nservices = [ {{ name = \"admin-svc\", api_token = \"{ADMIN_TOKEN}\" }} ]\n[Authenticator]\nallowed_users = [\"alice\"]\n[ConfigurableHTTPProxy]\napi_url = \"http://127.0.0.1:0\"\n",
        dir.path().join("hub.sqlite").display()
    );
    let mut config = HubConfig::from_toml(&text, "test").unwrap();
    config.login.cookie_secret_file = dir.path().join("cookie_secret");
    config.crypt_key =
        Some("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let running = runtime.block_on(hub::start(config)).unwrap();
    let addr = running.addr;
    let body = json!({"auth_state": {"secret": "plain-secret-value-9f3k"}}).to_string();
    let response = request(
        addr,
        "PATCH",
        "/hub/api/users/alice",
        Some(ADMIN_TOKEN),
        Some(&body),
        &[],
    );
    assert_eq!(
        response.json()["auth_state"],
        json!({"secret": "plain-secret-value-9f3k"}),
        "{}",
        response.body
    );
    let user = request(
        addr,
        "GET",
        "/hub/api/users/alice",
        Some(ADMIN_TOKEN),
        None,
        &[],
    )
    .json();
    assert_eq!(
        user["auth_state"],
        json!({"secret": "plain-secret-value-9f3k"})
    );
    runtime.block_on(running.stop()).unwrap();
    // Stored encrypted: the plain value is nowhere in the database file.
    let raw = std::fs::read(dir.path().join("hub.sqlite")).unwrap();
    let wal = std::fs::read(dir.path().join("hub.sqlite-wal")).unwrap_or_default();
    assert!(
        !raw.windows(23)
            .chain(wal.windows(23))
            .any(|w| w == b"plain-secret-value-9f3k")
    );
}
