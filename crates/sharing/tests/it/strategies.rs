//! Generators: servers, recipients, and scopes as a sharer might write them.

use proptest::prelude::*;
use proptest::sample::select;
use scopes::{Scope, ScopeTable};
use sharing::{Recipient, SharedServer};

/// Every scope name of JupyterHub's table.
pub fn table_bases() -> Vec<String> {
    ScopeTable::jupyterhub()
        .names()
        .map(str::to_owned)
        .collect()
}

pub fn base() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => select(table_bases()),
        1 => Just("nope".to_owned()),
        1 => Just(String::new()),
    ]
}

pub fn server() -> impl Strategy<Value = SharedServer> {
    (
        select(vec!["alice", "bob", "carol", "ünï"]),
        select(vec!["", "x", "proj-2"]),
    )
        .prop_map(|(owner, name)| SharedServer::new(owner, name))
}

pub fn recipient() -> impl Strategy<Value = Recipient> {
    prop_oneof![
        select(vec!["bob", "dave", "alice"]).prop_map(|n| Recipient::User(n.to_owned())),
        select(vec!["g1", "g2"]).prop_map(|n| Recipient::Group(n.to_owned())),
    ]
}

/// A scope that a grant on `server` accepts: unfiltered, with an empty filter, or already
/// filtered to that server.
pub fn shareable(server: &SharedServer) -> impl Strategy<Value = Scope> + use<> {
    let filter = server.filter();
    (base(), 0..3u8).prop_map(move |(base, form)| match form {
        0 => Scope::lenient(&base),
        1 => Scope::lenient(format!("{base}!")),
        _ => Scope::lenient(format!("{base}!{filter}")),
    })
}

/// Any filter text, valid for sharing or not.
pub fn any_filter() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        select(vec![
            "server",
            "server=",
            "server=alice/",
            "server=alice/x",
            "server=bob/",
            "user=alice",
            "group=g1",
            "service=svc",
            "server=alice/x!y",
            "foo",
        ])
        .prop_map(str::to_owned),
        "[a-z=/!]{0,8}",
    ]
}

/// `(server, scopes)` with every scope shareable on that server.
pub fn server_and_scopes(max: usize) -> impl Strategy<Value = (SharedServer, Vec<Scope>)> {
    server().prop_flat_map(move |server| {
        let scopes = proptest::collection::vec(shareable(&server), 0..=max);
        (Just(server), scopes)
    })
}
