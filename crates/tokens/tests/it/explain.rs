//! The three situations JupyterHub users keep asking about, explained end to end: a server's
//! own token refused `DELETE /users/:name/server`; `$JUPYTERHUB_API_TOKEN` versus a token from
//! /hub/token; an admin whose server token cannot `list:services`.

use roles::RoleStore;
use scopes::{OAuthClient, Owner, Requirement, Scope, ScopeSet, ScopeTable, Target};
use tokens::{
    HeldRole, RequestFacts, RoleSource, ServerTokenRequest, TokenKind, compare, explain,
    server_token_scopes,
};

/// The scopes JupyterHub 6.1.1 gives a default server token of `user` (server role, user role).
fn server_token(
    table: &ScopeTable,
    store: &RoleStore,
    user: &str,
    owner_roles: &[&str],
) -> Vec<Scope> {
    let raw: ScopeSet = owner_roles
        .iter()
        .flat_map(|name| store.get(name).unwrap().scopes.iter())
        .map(Scope::lenient)
        .collect();
    let resolved = server_token_scopes(
        table,
        &ServerTokenRequest {
            user,
            server: "",
            configured: &[],
            server_role: &store.get("server").unwrap().scopes,
            owner_raw_scopes: &raw,
        },
        None,
    )
    .unwrap();
    resolved.resolved.allowed.into_vec()
}

#[test]
fn a_server_token_cannot_delete_its_own_server_and_says_why() {
    let table = ScopeTable::jupyterhub();
    let store = RoleStore::with_defaults();
    let stored = server_token(&table, &store, "alice", &["user"]);
    let facts = RequestFacts {
        owner: Owner::User("alice"),
        roles: vec![HeldRole {
            role: store.get("user").unwrap(),
            source: RoleSource::Direct,
        }],
        direct_share_scopes: vec![],
        kind: TokenKind::Server { server: "" },
        token_scopes: &stored,
        client: OAuthClient::HUB,
        requirement: Requirement {
            scopes: &["delete:servers"],
            target: Some(Target::server("alice", "")),
            post_filter: false,
        },
    };
    let chain = explain(&table, &facts, None).unwrap();
    assert_eq!(chain.decision.status, 403);
    assert_eq!(
        chain.decision.message.as_deref(),
        Some("Action is not authorized with current scopes; requires any of [delete:servers]")
    );
    assert!(
        chain.owner_allowed,
        "alice may delete her own server herself"
    );
    assert_eq!(chain.token_kind, "server token");
    assert!(
        chain
            .kept
            .contains(&"access:servers!server=alice/".to_owned())
    );
    assert_eq!(chain.fixes.len(), 1);
    assert!(
        chain.fixes[0].contains("governed by the `server` role: add `delete:servers!server`"),
        "{}",
        chain.fixes[0]
    );
    assert!(chain.fixes[0].contains("/hub/token"));
    let text = chain.text();
    assert!(
        text.starts_with("denied (403): Action is not authorized"),
        "{text}"
    );
    assert!(text.contains("role `user` (direct): [self]"), "{text}");
}

/// alice's request to read her own user model with a token of `kind` storing `stored`.
fn read_own_user<'a>(
    store: &'a RoleStore,
    kind: TokenKind<'a>,
    stored: &'a [Scope],
) -> RequestFacts<'a> {
    RequestFacts {
        owner: Owner::User("alice"),
        roles: vec![HeldRole {
            role: store.get("user").unwrap(),
            source: RoleSource::Direct,
        }],
        direct_share_scopes: vec![],
        kind,
        token_scopes: stored,
        client: OAuthClient::HUB,
        requirement: Requirement {
            scopes: &["read:users"],
            target: Some(Target::user("alice")),
            post_filter: false,
        },
    }
}

#[test]
fn the_server_token_and_a_hub_token_differ_by_the_server_role() {
    let table = ScopeTable::jupyterhub();
    let store = RoleStore::with_defaults();
    let server_scopes = server_token(&table, &store, "alice", &["user"]);
    // /hub/token creates tokens with the `token` role's scopes: `inherit`.
    let hub_scopes: Vec<Scope> = store
        .get("token")
        .unwrap()
        .scopes
        .iter()
        .map(Scope::lenient)
        .collect();
    let server_facts = read_own_user(&store, TokenKind::Server { server: "" }, &server_scopes);
    let server = explain(&table, &server_facts, None).unwrap();
    let hub = explain(
        &table,
        &read_own_user(&store, TokenKind::Api, &hub_scopes),
        None,
    )
    .unwrap();
    assert!(hub.inherits);
    assert!(!server.inherits);
    assert_eq!(hub.decision.status, 200);
    // The server token holds only alice's name and groups of `read:users*`.
    assert_eq!(server.decision.status, 403);
    assert!(server.owner_allowed);
    let only_hub: Vec<&str> = hub
        .kept
        .iter()
        .filter(|s| !server.kept.contains(s))
        .map(String::as_str)
        .collect();
    assert!(only_hub.contains(&"read:users!user=alice"));
    assert!(only_hub.contains(&"servers!user=alice"));
    // Everything the server token may do, the hub token may do too.
    assert!(
        server
            .kept
            .iter()
            .all(|s| hub.kept.contains(s) || s == "access:servers!server=alice/")
    );
    assert!(
        server.fixes[0].contains("add `read:users!user` to that role's scopes"),
        "{}",
        server.fixes[0]
    );
    let comparison = compare(&server, &hub);
    assert_eq!(comparison.only_first, ["access:servers!server=alice/"]);
    assert!(
        comparison
            .only_second
            .contains(&"delete:servers!user=alice".to_owned())
    );
    assert!(
        comparison
            .text
            .starts_with("the server token has the `server` role's scopes"),
        "{}",
        comparison.text
    );
    assert!(
        comparison
            .text
            .contains("the API token holds `inherit`: everything user alice may do")
    );
}

#[test]
fn an_admins_server_token_cannot_list_services() {
    let table = ScopeTable::jupyterhub();
    let store = RoleStore::with_defaults();
    let stored = server_token(&table, &store, "carol", &["user", "admin"]);
    let facts = RequestFacts {
        owner: Owner::User("carol"),
        roles: vec![
            HeldRole {
                role: store.get("admin").unwrap(),
                source: RoleSource::Direct,
            },
            HeldRole {
                role: store.get("user").unwrap(),
                source: RoleSource::Direct,
            },
        ],
        direct_share_scopes: vec![],
        kind: TokenKind::Server { server: "" },
        token_scopes: &stored,
        client: OAuthClient::HUB,
        requirement: Requirement {
            scopes: &["list:services"],
            target: None,
            post_filter: true,
        },
    };
    let chain = explain(&table, &facts, None).unwrap();
    assert_eq!(chain.decision.status, 403);
    assert!(chain.owner_allowed, "carol is an admin");
    assert_eq!(chain.roles.len(), 2);
    assert_eq!(chain.roles[0].role, "admin");
    assert!(
        chain.roles[0]
            .expanded
            .contains(&"list:services".to_owned())
    );
    assert!(
        chain.fixes[0].contains("add `list:services` to that role's scopes"),
        "{}",
        chain.fixes[0]
    );
}
