//! JupyterHub's access decisions (`needs_scope`) as data: each case gives the caller's
//! expanded scopes, the handler's required scopes, the resource named by the request path, and
//! the expected status and message; some go on to check the explanation.
//!
//! The outcomes are JupyterHub 6.1.1's, as documented in the reference (§4.6, §4.7, §9).

use std::borrow::Cow;

use scopes::{
    Decision, Explanation, Fix, Grant, GroupMembership, MISSING_CREDENTIALS, NOT_FOUND,
    ParsedScopes, Requirement, Scope, Target, decide,
};

use crate::strategies::{TABLE, memberships};

/// `GET /users/:name`.
const GET_USER: &[&str] = &[
    "read:users",
    "read:users:name",
    "read:servers",
    "read:users:groups",
    "read:users:activity",
    "read:roles:users",
];
/// `GET /groups/:name`.
const GET_GROUP: &[&str] = &["read:groups", "read:groups:name", "read:roles:groups"];
/// `GET /services/:name`.
const GET_SERVICE: &[&str] = &["read:services", "read:services:name", "read:roles:services"];
/// `DELETE /users/:name/server[s/:server]`.
const DELETE_SERVER: &[&str] = &["delete:servers"];
/// `POST /users/:name/server[s/:server]`.
const START_SERVER: &[&str] = &["start:servers"];
/// `/hub/user/:name/:server/...` (the browser path to a server).
const ACCESS_SERVER: &[&str] = &["access:servers"];
/// `POST /users` (no resource in the path).
const CREATE_USERS: &[&str] = &["admin:users"];
/// `GET /users` (post-filtered list).
const LIST_USERS: &[&str] = &["list:users"];
/// `GET /shares/:user` (handler `get(self, user_name, server_name=None)`).
const LIST_SHARES: &[&str] = &["read:shares"];

const ALLOWED: &str = "";
const GET_USER_403: &str = "Action is not authorized with current scopes; requires any of \
     [read:users, read:users:name, read:servers, read:users:groups, read:users:activity, \
     read:roles:users]";

/// How the request is checked beyond its scopes and target.
#[derive(Clone, Copy, Default)]
struct Ctx<'a> {
    /// A list endpoint that filters its rows itself.
    post_filter: bool,
    /// Group membership (JupyterHub's `db`); `None` is `db=None`.
    groups: Option<&'a dyn GroupMembership>,
}

/// Decides the request and checks the status and that the message contains
/// `expected_message` ([`ALLOWED`], the empty string, for 200: then there is no message).
fn check(
    have: &[&str],
    handler_scopes: &[&str],
    target: Option<Target<'_>>,
    expected_status: u16,
    expected_message: &str,
) -> Decision {
    check_with(
        Ctx::default(),
        have,
        handler_scopes,
        target,
        expected_status,
        expected_message,
    )
}

/// [`check`] for a list endpoint or with group membership.
fn check_with(
    ctx: Ctx<'_>,
    have: &[&str],
    handler_scopes: &[&str],
    target: Option<Target<'_>>,
    expected_status: u16,
    expected_message: &str,
) -> Decision {
    let held = parse(have);
    let requirement = Requirement {
        scopes: handler_scopes,
        target,
        post_filter: ctx.post_filter,
    };
    let decision = decide(&TABLE, Some(&held), &requirement, ctx.groups).unwrap();
    assert_eq!(decision.status, expected_status, "{decision:#?}");
    match &decision.message {
        None => assert_eq!(expected_status, 200, "{decision:#?}"),
        Some(message) => assert!(
            !expected_message.is_empty() && message.contains(expected_message),
            "expected {expected_message:?} in {message:?}"
        ),
    }
    decision
}

fn parse(have: &[&str]) -> ParsedScopes {
    let have: Vec<Scope> = have.iter().map(|s| Scope::parse(s).unwrap()).collect();
    ParsedScopes::parse(&have).unwrap()
}

/// The required scope that was satisfied and the grant, of an allowed decision.
fn granted(decision: &Decision) -> (&str, &Grant) {
    match &decision.explanation {
        Explanation::Allowed { required, grant } => (required.as_str(), grant),
        other => panic!("not allowed: {other:#?}"),
    }
}

/// What was held for other resources, and the fix, of a denied decision.
fn denied(decision: &Decision) -> (&[Scope], &Fix) {
    match &decision.explanation {
        Explanation::Denied {
            held_for_other_resources,
            fix,
            ..
        } => (held_for_other_resources, fix),
        other => panic!("not denied: {other:#?}"),
    }
}

fn groups<'a>(m: &'a dyn GroupMembership) -> Ctx<'a> {
    Ctx {
        post_filter: false,
        groups: Some(m),
    }
}

const LIST: Ctx<'static> = Ctx {
    post_filter: true,
    groups: None,
};

/// The server filter a handler with an optional `server_name=None` builds without a server.
fn server_none(user: &str) -> Target<'static> {
    Target {
        kind: "server",
        value: Cow::Owned(format!("{user}/None")),
    }
}

// Allowed.

#[test]
fn unfiltered_scope_allows_any_resource() {
    let d = check(
        &["read:users"],
        GET_USER,
        Some(Target::user("alice")),
        200,
        ALLOWED,
    );
    let (required, grant) = granted(&d);
    assert_eq!(required, "read:users!user=alice");
    assert_eq!(
        grant,
        &Grant::Unfiltered {
            held: Scope::lenient("read:users")
        }
    );
}

#[test]
fn exact_user_filter_allows_that_user() {
    let d = check(
        &["read:users!user=alice"],
        GET_USER,
        Some(Target::user("alice")),
        200,
        ALLOWED,
    );
    let (_, grant) = granted(&d);
    assert!(matches!(grant, Grant::Exact { .. }));
    assert_eq!(grant.held(), "read:users!user=alice");
}

#[test]
fn exact_server_filter_allows_that_server() {
    let d = check(
        &["delete:servers!server=alice/x"],
        DELETE_SERVER,
        Some(Target::server("alice", "x")),
        200,
        ALLOWED,
    );
    assert_eq!(granted(&d).1.held(), "delete:servers!server=alice/x");
}

#[test]
fn user_filter_allows_the_users_servers() {
    let d = check(
        &["delete:servers!user=alice"],
        DELETE_SERVER,
        Some(Target::server("alice", "x")),
        200,
        ALLOWED,
    );
    let (required, grant) = granted(&d);
    assert_eq!(required, "delete:servers!server=alice/x");
    assert!(matches!(grant, Grant::ServerOwner { .. }));
    assert_eq!(grant.held(), "delete:servers!user=alice");
}

#[test]
fn server_owner_is_the_text_before_the_first_slash() {
    // JupyterHub takes `filter_value.partition("/")[0]`.
    let target = Target {
        kind: "server",
        value: Cow::Borrowed("alice/x/y"),
    };
    let d = check(
        &["read:servers!user=alice"],
        &["read:servers"],
        Some(target),
        200,
        ALLOWED,
    );
    assert_eq!(granted(&d).1.held(), "read:servers!user=alice");
    let target = Target {
        kind: "server",
        value: Cow::Borrowed("alice"),
    };
    check(
        &["read:servers!user=alice"],
        &["read:servers"],
        Some(target),
        200,
        ALLOWED,
    );
}

#[test]
fn first_alternative_in_handler_order_is_the_one_reported() {
    let d = check(
        &["read:users:name!user=alice", "read:users"],
        GET_USER,
        Some(Target::user("alice")),
        200,
        ALLOWED,
    );
    assert_eq!(
        granted(&d),
        (
            "read:users!user=alice",
            &Grant::Unfiltered {
                held: Scope::lenient("read:users")
            }
        )
    );
}

#[test]
fn a_later_alternative_allows_when_earlier_ones_are_not_held() {
    let d = check(
        &["read:users:activity!user=alice"],
        GET_USER,
        Some(Target::user("alice")),
        200,
        ALLOWED,
    );
    let (required, grant) = granted(&d);
    assert_eq!(required, "read:users:activity!user=alice");
    assert_eq!(grant.held(), "read:users:activity!user=alice");
}

#[test]
fn unfiltered_scope_allows_an_endpoint_without_a_resource() {
    check(&["admin:users"], CREATE_USERS, None, 200, ALLOWED);
}

#[test]
fn access_scope_of_an_oauth_client_allows_only_its_server() {
    let have = ["access:servers!server=alice/x"];
    check(
        &have,
        ACCESS_SERVER,
        Some(Target::server("alice", "x")),
        200,
        ALLOWED,
    );
    check(
        &have,
        ACCESS_SERVER,
        Some(Target::server("alice", "")),
        404,
        NOT_FOUND,
    );
}

#[test]
fn self_allows_own_servers_and_hides_other_users() {
    let expanded = TABLE.expand_self("alice");
    let have: Vec<&str> = expanded.iter().map(Scope::as_str).collect();
    let d = check(
        &have,
        START_SERVER,
        Some(Target::server("alice", "x")),
        200,
        ALLOWED,
    );
    assert_eq!(granted(&d).1.held(), "start:servers!user=alice");
    check(
        &have,
        ACCESS_SERVER,
        Some(Target::server("alice", "")),
        200,
        ALLOWED,
    );
    check(&have, GET_USER, Some(Target::user("alice")), 200, ALLOWED);
    check(
        &have,
        START_SERVER,
        Some(Target::server("bob", "")),
        404,
        NOT_FOUND,
    );
    check(&have, GET_USER, Some(Target::user("bob")), 404, NOT_FOUND);
    // `self` has no group scopes at all.
    check(
        &have,
        GET_GROUP,
        Some(Target::group("g1")),
        403,
        "requires any of",
    );
}

// 404: a required scope is held, for other resources only.

#[test]
fn scope_held_for_another_user_is_404() {
    let d = check(
        &["read:users!user=bob"],
        GET_USER,
        Some(Target::user("alice")),
        404,
        NOT_FOUND,
    );
    let (held, fix) = denied(&d);
    assert_eq!(held, ["read:users!user=bob"]);
    assert_eq!(fix.add, "read:users!user=alice");
}

#[test]
fn any_held_alternative_makes_it_404_not_only_the_first() {
    let d = check(
        &["read:users:activity!user=bob"],
        GET_USER,
        Some(Target::user("alice")),
        404,
        NOT_FOUND,
    );
    assert_eq!(denied(&d).0, ["read:users:activity!user=bob"]);
}

#[test]
fn held_for_other_resources_lists_every_held_alternative() {
    let d = check(
        &[
            "read:users:name!user=bob",
            "read:users!group=g2",
            "read:servers!server=carol/",
            "groups",
        ],
        GET_USER,
        Some(Target::user("alice")),
        404,
        NOT_FOUND,
    );
    // Compared sorted: the content is pinned here, not the order.
    let mut held = denied(&d).0.to_vec();
    held.sort();
    assert_eq!(
        held,
        [
            "read:servers!server=carol/",
            "read:users!group=g2",
            "read:users:name!user=bob"
        ]
    );
}

#[test]
fn server_filter_does_not_allow_its_user() {
    check(
        &["read:servers!server=alice/"],
        GET_USER,
        Some(Target::user("alice")),
        404,
        NOT_FOUND,
    );
}

#[test]
fn default_server_filter_does_not_allow_a_named_server() {
    check(
        &["start:servers!server=alice/"],
        START_SERVER,
        Some(Target::server("alice", "x")),
        404,
        NOT_FOUND,
    );
}

#[test]
fn filter_values_match_exactly_not_by_prefix() {
    check(
        &["read:groups!group=group"],
        GET_GROUP,
        Some(Target::group("group1")),
        404,
        NOT_FOUND,
    );
    check(
        &["read:users!user=al"],
        GET_USER,
        Some(Target::user("alice")),
        404,
        NOT_FOUND,
    );
}

#[test]
fn service_filter_and_user_filter_with_the_same_name_differ() {
    check(
        &["read:services!user=svc"],
        GET_SERVICE,
        Some(Target::service("svc")),
        404,
        NOT_FOUND,
    );
    check(
        &["read:services!service=svc"],
        GET_SERVICE,
        Some(Target::service("svc")),
        200,
        ALLOWED,
    );
}

// 403: nothing required is held, or no resource to filter on.

#[test]
fn nothing_held_is_403_listing_alternatives_in_handler_order() {
    let d = check(
        &["groups"],
        GET_USER,
        Some(Target::user("alice")),
        403,
        GET_USER_403,
    );
    assert_eq!(d.message.as_deref(), Some(GET_USER_403));
    let (held, fix) = denied(&d);
    assert!(held.is_empty());
    assert_eq!(fix.add, "read:users!user=alice");
    // The other alternatives first, in handler order, then broader scopes.
    let others: Vec<String> = GET_USER[1..]
        .iter()
        .map(|s| format!("{s}!user=alice"))
        .collect();
    assert_eq!(fix.or_any_of[..others.len()], others[..]);
    assert!(
        fix.or_any_of
            .iter()
            .all(|s| s.as_str().ends_with("!user=alice"))
    );
}

#[test]
fn filtered_scope_on_an_endpoint_without_a_resource_is_403() {
    // JupyterHub 6.x: without a resource in the path the unfiltered scope is needed, and with
    // no filter applied the answer is 403, not 404.
    let d = check(
        &["admin:users!user=alice"],
        CREATE_USERS,
        None,
        403,
        "requires any of [admin:users]",
    );
    assert_eq!(denied(&d).1.add, "admin:users");
}

#[test]
fn admin_auth_state_alone_cannot_read_a_user() {
    check(
        &["admin:auth_state"],
        GET_USER,
        Some(Target::user("alice")),
        403,
        GET_USER_403,
    );
}

#[test]
fn user_filter_does_not_allow_a_group_even_with_membership() {
    let m = memberships();
    check_with(
        groups(&m),
        &["read:groups!user=alice"],
        GET_GROUP,
        Some(Target::group("g1")),
        404,
        NOT_FOUND,
    );
}

#[test]
fn unauthenticated_request_is_403_missing_credentials() {
    let requirement = Requirement {
        scopes: GET_USER,
        target: Some(Target::user("alice")),
        post_filter: false,
    };
    let d = decide(&TABLE, None, &requirement, None).unwrap();
    assert_eq!(
        (d.status, d.message.as_deref()),
        (403, Some(MISSING_CREDENTIALS))
    );
    assert!(matches!(d.explanation, Explanation::Unauthenticated { .. }));
}

#[test]
fn unknown_required_scope_is_an_error_not_a_decision() {
    let requirement = Requirement {
        scopes: &["read:users", "nope"],
        target: None,
        post_filter: false,
    };
    let err = decide(&TABLE, Some(&parse(&["read:users"])), &requirement, None).unwrap_err();
    assert_eq!(err.to_string(), "Scope nope is not a valid scope");
}

// The fix.

#[test]
fn fix_adds_the_first_required_scope_on_the_target_then_broader_ones() {
    let d = check(
        &["delete:servers!user=bob"],
        DELETE_SERVER,
        Some(Target::server("alice", "")),
        404,
        NOT_FOUND,
    );
    let (held, fix) = denied(&d);
    assert_eq!(held, ["delete:servers!user=bob"]);
    assert_eq!(fix.add, "delete:servers!server=alice/");
    assert_eq!(
        fix.or_any_of,
        ["admin:servers!server=alice/", "servers!server=alice/"]
    );
    assert!(fix.text.contains("`delete:servers!server=alice/`"));
    // The fix does fix it.
    check(
        &[fix.add.as_str()],
        DELETE_SERVER,
        Some(Target::server("alice", "")),
        200,
        ALLOWED,
    );
}

// List endpoints (post_filter).

#[test]
fn list_endpoint_passes_with_any_filter_and_leaves_rows_to_the_handler() {
    for have in ["list:users!user=alice", "list:users!group=g1"] {
        let d = check_with(LIST, &[have], LIST_USERS, None, 200, ALLOWED);
        assert_eq!(
            granted(&d),
            (
                "list:users",
                &Grant::PostFilter {
                    base: "list:users".to_owned()
                }
            )
        );
    }
    // The decorator lets a server filter through too; the handler then answers 403 (§4.8).
    check_with(
        LIST,
        &["list:users!server=alice/"],
        LIST_USERS,
        None,
        200,
        ALLOWED,
    );
}

#[test]
fn list_endpoint_with_the_unfiltered_scope_is_unfiltered() {
    let d = check_with(LIST, &["list:users"], LIST_USERS, None, 200, ALLOWED);
    assert!(matches!(granted(&d).1, Grant::Unfiltered { .. }));
}

#[test]
fn list_endpoint_without_the_scope_is_403() {
    let d = check_with(
        LIST,
        &["read:users"],
        LIST_USERS,
        None,
        403,
        "requires any of [list:users]",
    );
    assert!(denied(&d).1.text.contains("with a filter"));
}

#[test]
fn post_filter_with_a_resource_and_a_filtered_holding_is_an_error() {
    // JupyterHub's has_scope raises ValueError for post_filter on a filtered requirement.
    let requirement = Requirement {
        scopes: LIST_USERS,
        target: Some(Target::user("alice")),
        post_filter: true,
    };
    let have = parse(&["list:users!user=alice"]);
    let err = decide(&TABLE, Some(&have), &requirement, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "post_filter=True only allowed for unfiltered scopes"
    );
}

// Group filters.

#[test]
fn group_filter_allows_members_with_membership() {
    let m = memberships();
    let d = check_with(
        groups(&m),
        &["read:users!group=g1"],
        GET_USER,
        Some(Target::user("alice")),
        200,
        ALLOWED,
    );
    assert_eq!(
        granted(&d).1,
        &Grant::Group {
            held: Scope::lenient("read:users!group=g1"),
            member: "alice".to_owned()
        }
    );
}

#[test]
fn group_filter_allows_members_servers_with_membership() {
    let m = memberships();
    let d = check_with(
        groups(&m),
        &["delete:servers!group=g1"],
        DELETE_SERVER,
        Some(Target::server("carol", "")),
        200,
        ALLOWED,
    );
    assert!(matches!(granted(&d).1, Grant::Group { member, .. } if member == "carol"));
}

#[test]
fn group_filter_without_membership_is_404() {
    let d = check(
        &["read:users!group=g1"],
        GET_USER,
        Some(Target::user("alice")),
        404,
        NOT_FOUND,
    );
    assert_eq!(denied(&d).0, ["read:users!group=g1"]);
}

#[test]
fn group_filter_does_not_allow_non_members() {
    let m = memberships();
    check_with(
        groups(&m),
        &["read:users!group=g1"],
        GET_USER,
        Some(Target::user("bob")),
        404,
        NOT_FOUND,
    );
}

#[test]
fn group_filter_counts_members_only_for_users_and_servers() {
    // `_needs_group_expansion` only looks at `user` and `server` filters: a service or a group
    // that happens to share a member's name is not covered by the member's group.
    let m = memberships();
    check_with(
        groups(&m),
        &["read:services!group=g1"],
        GET_SERVICE,
        Some(Target::service("alice")),
        404,
        NOT_FOUND,
    );
    check_with(
        groups(&m),
        &["read:groups!group=g1"],
        GET_GROUP,
        Some(Target::group("alice")),
        404,
        NOT_FOUND,
    );
}

#[test]
fn group_filter_allows_the_group_itself() {
    let d = check(
        &["read:groups!group=g1"],
        GET_GROUP,
        Some(Target::group("g1")),
        200,
        ALLOWED,
    );
    assert!(matches!(granted(&d).1, Grant::Exact { .. }));
    check(
        &["read:groups!group=g1"],
        GET_GROUP,
        Some(Target::group("g2")),
        404,
        NOT_FOUND,
    );
}

// `server_name=None`: `GET /shares/:user` filters on `server=USER/None`.

#[test]
fn server_none_quirk_passes_for_a_user_filter() {
    let d = check(
        &["read:shares!user=alice"],
        LIST_SHARES,
        Some(server_none("alice")),
        200,
        ALLOWED,
    );
    let (required, grant) = granted(&d);
    assert_eq!(required, "read:shares!server=alice/None");
    assert!(matches!(grant, Grant::ServerOwner { .. }));
}

#[test]
fn server_none_quirk_is_404_for_the_default_server_filter() {
    let d = check(
        &["read:shares!server=alice/"],
        LIST_SHARES,
        Some(server_none("alice")),
        404,
        NOT_FOUND,
    );
    let (held, fix) = denied(&d);
    assert_eq!(held, ["read:shares!server=alice/"]);
    assert_eq!(fix.add, "read:shares!server=alice/None");
}

#[test]
fn server_none_quirk_passes_for_a_literal_none_server_filter() {
    check(
        &["read:shares!server=alice/None"],
        LIST_SHARES,
        Some(server_none("alice")),
        200,
        ALLOWED,
    );
}

// The JSON shape of a decision (what `hubctl explain` and the hub's debug output print).

#[test]
fn decisions_serialize_with_tagged_explanations() {
    let d = check(
        &["read:users!user=bob"],
        &["read:users"],
        Some(Target::user("alice")),
        404,
        NOT_FOUND,
    );
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["status"], 404);
    assert_eq!(json["message"], NOT_FOUND);
    assert_eq!(json["explanation"]["outcome"], "denied");
    assert_eq!(
        json["explanation"]["held_for_other_resources"],
        serde_json::json!(["read:users!user=bob"])
    );
    assert_eq!(json["explanation"]["fix"]["add"], "read:users!user=alice");

    let d = check(
        &["read:servers!user=bob"],
        &["read:servers"],
        Some(Target::server("alice", "x")),
        404,
        NOT_FOUND,
    );
    assert_eq!(
        serde_json::to_value(&d).unwrap()["explanation"]["required"][0],
        "read:servers!server=alice/x"
    );

    let d = check(
        &["delete:servers!user=alice"],
        DELETE_SERVER,
        Some(Target::server("alice", "x")),
        200,
        ALLOWED,
    );
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["message"], serde_json::Value::Null);
    assert_eq!(
        json["explanation"],
        serde_json::json!({
            "outcome": "allowed",
            "required": "delete:servers!server=alice/x",
            "grant": {"via": "server_owner", "held": "delete:servers!user=alice"}
        })
    );
}
