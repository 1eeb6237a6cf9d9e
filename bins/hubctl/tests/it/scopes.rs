use crate::hubctl;

#[test]
fn expand_self_for_a_user_lists_fifteen_scopes() {
    let (code, out, _) = hubctl(&["scopes", "expand", "self", "--owner", "user:alice"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 15);
    assert!(out.lines().all(|l| l.ends_with("!user=alice")));
}

#[test]
fn expand_warns_when_a_bare_filter_has_no_target() {
    let (code, out, err) = hubctl(&[
        "scopes",
        "expand",
        "access:servers!server",
        "--owner",
        "user:alice",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out, "");
    assert!(
        err.contains("Not expanding !server filter without target server"),
        "{err}"
    );
    let (_, out, _) = hubctl(&[
        "scopes",
        "expand",
        "access:servers!server",
        "--client",
        "server:alice/x",
    ]);
    assert_eq!(out.trim(), "access:servers!server=alice/x");
}

#[test]
fn check_explains_a_404_for_someone_elses_server() {
    let (code, out, _) = hubctl(&[
        "scopes",
        "check",
        "--have",
        "self",
        "--owner",
        "user:alice",
        "--need",
        "delete:servers",
        "--resource",
        "server:bob/",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("denied (404): No access to resources or resources not found"),
        "{out}"
    );
    assert!(
        out.contains("held, for other resources only: delete:servers!user=alice"),
        "{out}"
    );
    assert!(
        out.contains("fix: add `delete:servers!server=bob/`"),
        "{out}"
    );
}

#[test]
fn check_json_names_the_granting_group() {
    let (code, out, _) = hubctl(&[
        "scopes",
        "check",
        "--have",
        "servers!group=g1",
        "--member",
        "alice:g1",
        "--need",
        "delete:servers",
        "--resource",
        "server:alice/x",
        "--json",
    ]);
    assert_eq!(code, 0);
    let decision: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(decision["status"], 200);
    assert_eq!(
        decision["explanation"]["grant"]["held"],
        "delete:servers!group=g1"
    );
    assert_eq!(decision["explanation"]["grant"]["via"], "group");
}

#[test]
fn check_unfiltered_403_lists_the_alternatives() {
    let (code, out, _) = hubctl(&[
        "scopes",
        "check",
        "--have",
        "read:users",
        "--need",
        "admin:users",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("requires any of [admin:users]"), "{out}");
}

#[test]
fn typos_get_did_you_mean() {
    let (code, _, err) = hubctl(&["scopes", "check", "--have", "read:user", "--need", "users"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("Scope 'read:user' for --have does not exist"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `read:users`?"), "{err}");
    let (code, _, err) = hubctl(&["scopes", "expand", "read:users!goup=x"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `group`"), "{err}");
}

#[test]
fn bad_resources_say_what_is_right() {
    let (code, _, err) = hubctl(&[
        "scopes",
        "check",
        "--have",
        "self",
        "--need",
        "servers",
        "--resource",
        "server:alice",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("the default server is `server:alice/`"),
        "{err}"
    );
}

#[test]
fn describe_reads_like_the_consent_page() {
    let (code, out, _) = hubctl(&[
        "scopes",
        "describe",
        "read:users!group=g1",
        "--user",
        "alice",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        "read:users (users in group g1): Read user models (including the URL of the default server if it is running)."
    );
    let (_, out, _) = hubctl(&["scopes", "describe", "--json"]);
    let table: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(table.as_array().unwrap().len(), 48);
}
