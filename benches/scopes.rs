//! The scope resolver's hot operations, with the same inputs as `benches/jupyterhub_timing.py`
//! gives JupyterHub, so that `scripts/perf-compare` can print the ratio table
//! (docs/performance.md). Bench ids are `<group>/<bench>`, shared with that script.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark fixtures are fixed and valid"
)]
#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use roles::{ADMIN_SCOPES, Holder, RoleStore, role_scopes};
use scopes::{
    Need, OAuthClient, Owner, ParsedScopes, Requirement, Scope, ScopeSet, ScopeTable, Target,
    decide, has_need, has_scope, identify_scopes, intersect,
};
use sharing::{CodeIdentity, Recipient, ShareCode, SharedServer, Timestamp, grant};
use tokens::{TokenFacts, effective_scopes};

const GET_USER: [&str; 6] = [
    "read:users",
    "read:users:name",
    "read:servers",
    "read:users:groups",
    "read:users:activity",
    "read:roles:users",
];

fn raw(scopes: &[&str]) -> Vec<Scope> {
    scopes.iter().map(|s| Scope::parse(s).unwrap()).collect()
}

fn expanded(table: &ScopeTable, scopes: &[&str], owner: &str) -> ScopeSet {
    table
        .expand(&raw(scopes), Some(Owner::User(owner)), None)
        .unwrap()
        .scopes
}

fn benches(c: &mut Criterion) {
    let table = ScopeTable::jupyterhub();
    let alice_self = expanded(&table, &["self"], "alice");
    let alice_parsed = ParsedScopes::parse(&alice_self).unwrap();
    let admin_parsed = ParsedScopes::parse(&expanded(&table, &ADMIN_SCOPES, "carol")).unwrap();
    let self_raw = raw(&["self"]);
    let admin_raw = raw(&ADMIN_SCOPES);

    // Parsing takes over the expanded set, as a caller does right after expansion; the copy
    // made for each iteration is not timed.
    c.bench_function("parse/self_expansion", |b| {
        b.iter_batched(
            || alice_self.clone(),
            |set| ParsedScopes::from_set(set).unwrap(),
            BatchSize::SmallInput,
        )
    });
    c.bench_function("expand/admin_role", |b| {
        b.iter(|| {
            table
                .expand(black_box(&admin_raw), Some(Owner::User("carol")), None)
                .unwrap()
        })
    });
    c.bench_function("expand/self", |b| {
        b.iter(|| {
            table
                .expand(black_box(&self_raw), Some(Owner::User("alice")), None)
                .unwrap()
        })
    });

    let mut token = expanded(
        &table,
        &[
            "read:users!user=alice",
            "read:servers!user=alice",
            "access:servers!server=alice/x",
            "users:activity!user=alice",
        ],
        "alice",
    );
    token.extend(identify_scopes(Some(Owner::User("alice"))));
    c.bench_function("intersect/token_owner", |b| {
        b.iter(|| intersect(black_box(&token), black_box(&alice_self), None).unwrap())
    });

    c.bench_function("has_scope/allowed_unfiltered", |b| {
        b.iter(|| has_scope(black_box("read:users!user=bob"), &admin_parsed, false, None).unwrap())
    });
    c.bench_function("has_scope/denied", |b| {
        b.iter(|| {
            has_scope(
                black_box("delete:servers!server=bob/"),
                &alice_parsed,
                false,
                None,
            )
            .unwrap()
        })
    });
    c.bench_function("has_scope/via_filter", |b| {
        b.iter(|| {
            has_scope(
                black_box("read:servers!server=alice/x"),
                &alice_parsed,
                false,
                None,
            )
            .unwrap()
        })
    });

    // The same three checks with the requirement already split, as a handler holds it: its
    // scope is a constant and the resource comes from the request path. JupyterHub's handlers
    // join the two into a string that `has_scope` splits again.
    for (name, need, have, expected) in [
        (
            "has_need/allowed_unfiltered",
            Need::on("read:users", "user", "bob"),
            &admin_parsed,
            true,
        ),
        (
            "has_need/denied",
            Need::on("delete:servers", "server", "bob/"),
            &alice_parsed,
            false,
        ),
        (
            "has_need/via_filter",
            Need::on("read:servers", "server", "alice/x"),
            &alice_parsed,
            true,
        ),
    ] {
        assert_eq!(has_need(&need, have, false, None).unwrap(), expected);
        c.bench_function(name, |b| {
            b.iter(|| has_need(black_box(&need), have, false, None).unwrap())
        });
    }

    // What a token of alice's may do, from the facts a hub has loaded: her roles' scopes
    // expanded, the token's own scopes expanded, the two met (JupyterHub's
    // `get_scopes_for(token)`).
    let store = RoleStore::with_defaults();
    let alice_roles = vec![store.get("user").unwrap()];
    let token_stored = raw(&[
        "read:users!user",
        "servers!server=alice/x",
        "access:servers!server=alice/x",
    ]);
    c.bench_function("token/scopes_from_facts", |b| {
        b.iter(|| {
            let owner = role_scopes(&table, Holder::User(black_box("alice")), &alice_roles)
                .unwrap()
                .scopes;
            let facts = TokenFacts {
                owner: Owner::User("alice"),
                owner_role_scopes: &owner,
                direct_share_scopes: vec![],
                token_scopes: &token_stored,
                client: OAuthClient::HUB,
            };
            let got = effective_scopes(&table, &facts, None).unwrap();
            assert_eq!(got.scopes.len(), 9);
            got
        })
    });

    // Redeeming a share code: not expired, the code's scopes merged into the recipient's
    // share of that server (here an existing share with one scope), the exchange counted.
    let server = SharedServer::new("alice", "x");
    let now = Timestamp::from_unix_seconds(1_700_000_000).unwrap();
    let code = ShareCode::create(
        server.clone(),
        &raw(&["access:servers", "read:servers"]),
        None,
        now,
        CodeIdentity::new(
            1,
            "69KNWCjbGQA3ncpAKE9trgvRzLyKptafKAm3k0fL7-w",
            "sha512:1:x:y",
        ),
    )
    .unwrap();
    let bob = Recipient::User("bob".to_owned());
    let existing = grant(None, &server, &bob, Some(&raw(&["access:servers"])), now)
        .unwrap()
        .share;
    c.bench_function("share_code/exchange_decision", |b| {
        b.iter_batched(
            || (code.clone(), existing.clone()),
            |(mut code, share)| {
                let granted = code.exchange(Some(share), black_box(&bob), now).unwrap();
                assert_eq!(granted.share.scopes.len(), 2);
                (code, granted)
            },
            BatchSize::SmallInput,
        )
    });

    for (name, user, status) in [
        ("needs_scope/allowed", "alice", 200),
        ("needs_scope/denied", "bob", 404),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| {
                let requirement = Requirement {
                    scopes: &GET_USER,
                    target: Some(Target::user(black_box(user))),
                    post_filter: false,
                };
                let decision = decide(&table, Some(&alice_parsed), &requirement, None).unwrap();
                assert_eq!(decision.status, status);
                decision
            })
        });
    }
}

criterion_group!(scopes_benches, benches);
criterion_main!(scopes_benches);
