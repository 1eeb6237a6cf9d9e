//! Generators of realistic scope sets for the properties: base names from the built-in table,
//! filters whose values come from small alphabets so that users, servers and groups collide,
//! owners and OAuth clients to expand against, and a small group membership.
//!
//! Only what JupyterHub itself would store is generated here (no bare `!group`, no empty
//! values): arbitrary strings for the parser are generated in `properties`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::sample::select;
use scopes::{ClientTarget, OAuthClient, Owner, Scope, ScopeSet, ScopeTable};

/// The built-in table, built once.
pub static TABLE: LazyLock<ScopeTable> = LazyLock::new(ScopeTable::jupyterhub);

/// Filter values: user names, group names, server names (`user/server`) and a service name,
/// few enough that the same value turns up on both sides of an intersection.
pub const VALUES: [&str; 9] = [
    "alice", "bob", "carol", "g1", "g2", "alice/", "alice/x", "bob/", "svc",
];

/// The filter kinds that take a value.
pub const KINDS: [&str; 4] = ["user", "server", "group", "service"];

/// The filter kinds that may be bare (resolved by expansion); `!group` has no bare form.
pub const BARE_KINDS: [&str; 3] = ["user", "server", "service"];

/// Every scope name of the table.
pub fn names() -> Vec<String> {
    TABLE.names().map(str::to_owned).collect()
}

/// Scope names that roles commonly hold, with deep closures that overlap (servers and users
/// share `read:users:name`, `self` covers most of them): generating these often makes two
/// independent sets meet on the same bases, so intersections are rarely trivially empty.
pub const COMMON: [&str; 12] = [
    "self",
    "servers",
    "read:servers",
    "access:servers",
    "users",
    "read:users",
    "read:users:name",
    "admin:users",
    "groups",
    "read:groups",
    "list:users",
    "tokens",
];

/// A scope name of the table, biased towards [`COMMON`].
pub fn base() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        1 => select(names()),
        2 => select(&COMMON[..]).prop_map(str::to_owned),
    ]
}

/// A value for a filter of `kind`: mostly one that names that kind of resource (so that a
/// user filter meets a server of the same user, or a group its members), sometimes any of
/// [`VALUES`] (so that `!user=svc` meets `!service=svc`, and odd values turn up).
fn value_for(kind: &'static str) -> impl Strategy<Value = (&'static str, &'static str)> {
    let fitting: &'static [&'static str] = match kind {
        "user" => &["alice", "bob", "carol"],
        "server" => &["alice/", "alice/x", "bob/"],
        "group" => &["g1", "g2"],
        _ => &["svc"],
    };
    prop_oneof![
        3 => select(fitting),
        1 => select(&VALUES[..]),
    ]
    .prop_map(move |value| (kind, value))
}

/// `base!kind=value` with a base from `bases`, a known kind and a fitting value.
fn filtered_on(bases: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    (bases, select(&KINDS[..]).prop_flat_map(value_for))
        .prop_map(|(base, (kind, value))| format!("{base}!{kind}={value}"))
}

/// A raw scope as a role or token holds it: unfiltered, bare-filtered or filtered.
pub fn raw_scope() -> impl Strategy<Value = String> {
    raw_scope_on(base(), 3)
}

/// [`raw_scope`] on the given base names, with `unfiltered` in 8 unfiltered.
fn raw_scope_on(
    bases: impl Strategy<Value = String> + Clone,
    unfiltered: u32,
) -> impl Strategy<Value = String> {
    prop_oneof![
        unfiltered => bases.clone(),
        1 => (bases.clone(), select(&BARE_KINDS[..]))
            .prop_map(|(base, kind)| format!("{base}!{kind}")),
        7 - unfiltered => filtered_on(bases),
    ]
}

/// Who scopes are expanded for.
pub fn owner() -> impl Strategy<Value = Option<Owner<'static>>> {
    select(vec![
        None,
        Some(Owner::User("alice")),
        Some(Owner::User("bob")),
        Some(Owner::User("carol")),
        Some(Owner::Service("svc")),
    ])
}

/// The OAuth client that issued a token, if any.
pub fn client() -> impl Strategy<Value = Option<OAuthClient<'static>>> {
    select(vec![
        None,
        Some(OAuthClient::HUB),
        Some(OAuthClient {
            identifier: "jupyterhub-user-alice-x",
            target: ClientTarget::Server {
                user: "alice",
                server: "x",
            },
        }),
        Some(OAuthClient {
            identifier: "jupyterhub-user-bob",
            target: ClientTarget::Server {
                user: "bob",
                server: "",
            },
        }),
        Some(OAuthClient {
            identifier: "service-svc",
            target: ClientTarget::Service("svc"),
        }),
    ])
}

/// Raw scopes with the owner and client to expand them against.
#[derive(Clone, Debug)]
pub struct RawCase {
    /// The raw scopes, as a role or token stores them.
    pub raw: Vec<Scope>,
    /// The owner that `self` and bare `!user` / `!service` resolve against.
    pub owner: Option<Owner<'static>>,
    /// The issuing client that bare `!server` / `!service` resolve against.
    pub client: Option<OAuthClient<'static>>,
}

impl RawCase {
    /// The expanded set. Generated raw scopes always expand: their bases are in the table,
    /// and every filter either has a value or is a bare kind that expansion resolves or drops.
    pub fn expand(&self) -> ScopeSet {
        TABLE
            .expand(&self.raw, self.owner, self.client)
            .unwrap()
            .scopes
    }
}

/// One to six raw scopes, an owner and a client.
pub fn raw_case() -> impl Strategy<Value = RawCase> {
    raw_case_on(base(), 3)
}

/// [`raw_case`] on the given base names, with `unfiltered` in 8 scopes unfiltered.
fn raw_case_on(
    bases: impl Strategy<Value = String> + Clone,
    unfiltered: u32,
) -> impl Strategy<Value = RawCase> {
    (
        proptest::collection::vec(
            raw_scope_on(bases, unfiltered).prop_map(Scope::lenient),
            1..=6,
        ),
        owner(),
        client(),
    )
        .prop_map(|(raw, owner, client)| RawCase { raw, owner, client })
}

/// Two raw cases for an intersection: half the time independent, half the time drawn from
/// the same one to three base names, mostly filtered, so that both sides hold the same bases
/// with different filters (where the user/server/group hierarchy and the membership matter).
pub fn raw_pair() -> impl Strategy<Value = (RawCase, RawCase)> {
    prop_oneof![
        (raw_case(), raw_case()),
        proptest::collection::vec(base(), 1..=3).prop_flat_map(|pool| {
            let side = move || raw_case_on(select(pool.clone()), 1);
            (side(), side())
        }),
    ]
}

/// Every required scope on the bases held in `sets`: each base unfiltered, and filtered with
/// each kind and the values that can matter for it: for users and servers (where filters
/// cross kinds) every one of [`VALUES`] plus some that no generated filter holds; for groups
/// and services (exact matches only) the fitting names, one from another kind, and a stranger.
/// A decision only ever looks at held bases, so this covers every question that can come out
/// differently for these sets.
pub fn required_on(sets: &[&ScopeSet]) -> Vec<String> {
    const USER: &[&str] = &["nobody"];
    const SERVER: &[&str] = &["bob/x", "carol/", "alice/None"];
    const GROUP: &[&str] = &["g1", "g2", "alice", "nobody"];
    const SERVICE: &[&str] = &["svc", "alice", "nobody"];
    let bases: BTreeSet<&str> = sets
        .iter()
        .flat_map(|set| set.iter().map(Scope::base))
        .collect();
    let mut required = Vec::new();
    for base in bases {
        required.push(base.to_owned());
        let kinds: [(&str, Vec<&str>); 4] = [
            ("user", VALUES.iter().chain(USER).copied().collect()),
            ("server", VALUES.iter().chain(SERVER).copied().collect()),
            ("group", GROUP.to_vec()),
            ("service", SERVICE.to_vec()),
        ];
        for (kind, values) in kinds {
            required.extend(values.iter().map(|value| format!("{base}!{kind}={value}")));
        }
    }
    required
}

/// alice and carol are in g1; bob is in no group.
pub fn memberships() -> BTreeMap<String, BTreeSet<String>> {
    BTreeMap::from([
        ("alice".to_owned(), BTreeSet::from(["g1".to_owned()])),
        ("carol".to_owned(), BTreeSet::from(["g1".to_owned()])),
    ])
}
