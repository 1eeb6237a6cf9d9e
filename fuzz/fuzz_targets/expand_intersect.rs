//! `expand_intersect`: the bytes choose two small raw scope lists A and B (bases from the real
//! table, `ScopeTable::jupyterhub().names()`, now and then an arbitrary or unknown one; filters
//! `!user`, `!server`, `!group`, `!service`, bare or `=VALUE` with VALUE from a small alphabet —
//! alice, bob, g1, g2, alice/, alice/x, svc, ... — or odd and arbitrary filters), an owner for
//! each (none / user / service) and an OAuth client for each (none / hub / server / service).
//! Group membership: alice is in g1, bob in g2.
//!
//! Checks that nothing panics, and these properties, which hold in JupyterHub 6.1.1 (see
//! `fuzz/README.md` for why each holds and what its precondition is):
//! 1. expansion: when `expand(A, owner, client)` succeeds, every scope in it has a table base
//!    and either no filter or a `kind=value` filter with a non-empty value; it is reduced
//!    (`reduce_scopes(E) == E`); and expanding it again, with the same owner and client or
//!    with none, succeeds with the same set and no warning (idempotence; its only
//!    precondition is that the first expansion succeeded);
//! 2. expansion distributes over union: when `expand(A)` and `expand(B)` succeed with the same
//!    owner and client, `expand(A ++ B)` succeeds and equals `reduce(expand(A) ∪ expand(B))`;
//! 3. intersection, on the expanded sets and on the raw sets (whenever both parse), with and
//!    without membership information: `intersect(a, b) == intersect(b, a)`; every scope of the
//!    intersection is granted by both sides (`has_scope(s, parse(a))` and
//!    `has_scope(s, parse(b))`, with the same membership), except a scope with an empty filter
//!    kind (`x!=v`), which `has_scope` reads as unfiltered, as JupyterHub does;
//!    `intersect(a, a) == reduce(a)`; intersecting with every table scope unfiltered keeps
//!    exactly `reduce(a)`'s table scopes; membership information never removes a scope; the
//!    allocation-free walk of `intersect` equals `intersect_parsed` on the parsed forms;
//! 4. reduction: `reduce_scopes(x)` fails exactly when `ParsedScopes::parse(x)` does; otherwise
//!    it has the same parsed form as `x` (`parse(reduce(x)).unparse() == parse(x).unparse()
//!    == reduce(x)`), is idempotent, and `has_scope` answers the same on
//!    `x` and `reduce(x)` (result or error) for a sample of required scopes, with and without
//!    `post_filter` and membership, and the same as `check` (which says how access was
//!    granted, by another path);
//! 5. `decide` allows a request exactly when `has_scope` grants one of its required scopes on
//!    the target.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use scopes::{
    ClientTarget, GroupMembership, OAuthClient, Owner, ParsedScopes, Requirement, Scope,
    ScopeSet, ScopeTable, Target, check, decide, has_scope, intersect, intersect_parsed,
    reduce_scopes,
};

static TABLE: LazyLock<ScopeTable> = LazyLock::new(ScopeTable::jupyterhub);
static NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| TABLE.names().collect());
/// Every table scope, unfiltered.
static EVERYTHING: LazyLock<ScopeSet> =
    LazyLock::new(|| TABLE.names().map(Scope::lenient).collect());
/// alice is in g1, bob in g2.
static GROUPS: LazyLock<BTreeMap<String, BTreeSet<String>>> = LazyLock::new(|| {
    BTreeMap::from([
        ("alice".to_owned(), BTreeSet::from(["g1".to_owned()])),
        ("bob".to_owned(), BTreeSet::from(["g2".to_owned()])),
    ])
});

const VALUES: &[&str] = &[
    "alice", "bob", "g1", "g2", "alice/", "alice/x", "bob/", "bob/x", "svc", "x", "a=b", "x!y", "",
];
const KINDS: &[&str] = &["user", "server", "group", "service"];
const ODD_BASES: &[&str] = &["all", "", "read:user", "custom:x", "Read:users", "self!"];
const ODD_FILTERS: &[&str] = &[
    "serverfoo=1",
    "=x",
    "goup=g1",
    "user=",
    "server=alice/x!y",
    "user!=x",
    "servers",
    "user=alice=bob",
];

fn short_string(u: &mut Unstructured<'_>) -> Result<String> {
    let len = u.int_in_range(0..=12)?;
    let mut out = String::new();
    for _ in 0..len {
        out.push(u.arbitrary::<char>()?);
    }
    Ok(out)
}

fn value(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 10)? {
        short_string(u)
    } else {
        Ok((*u.choose(VALUES)?).to_owned())
    }
}

fn scope(u: &mut Unstructured<'_>) -> Result<Scope> {
    let mut text = match u.int_in_range(0..=24)? {
        0 => short_string(u)?,
        1 => (*u.choose(ODD_BASES)?).to_owned(),
        _ => (*u.choose(NAMES.as_slice())?).to_owned(),
    };
    match u.int_in_range(0..=15)? {
        0..=4 => {}
        5 => text.push('!'),
        6..=9 => {
            text.push('!');
            text.push_str(u.choose(KINDS)?);
        }
        10..=13 => {
            let kind = u.choose(KINDS)?;
            let value = value(u)?;
            text.push_str(&format!("!{kind}={value}"));
        }
        14 => {
            text.push('!');
            text.push_str(u.choose(ODD_FILTERS)?);
        }
        _ => {
            text.push('!');
            text.push_str(&short_string(u)?);
        }
    }
    Ok(Scope::lenient(text))
}

fn scopes(u: &mut Unstructured<'_>) -> Result<Vec<Scope>> {
    let len = u.int_in_range(0..=4)?;
    (0..len).map(|_| scope(u)).collect()
}

fn owner(u: &mut Unstructured<'_>) -> Result<Option<Owner<'static>>> {
    Ok(match u.int_in_range(0..=6)? {
        0 | 1 => None,
        2 => Some(Owner::User("alice")),
        3 => Some(Owner::User("bob")),
        4 => Some(Owner::User("")),
        5 => Some(Owner::Service("svc")),
        _ => Some(Owner::Service("alice")),
    })
}

fn client(u: &mut Unstructured<'_>) -> Result<Option<OAuthClient<'static>>> {
    let server = |user, server, identifier| OAuthClient {
        identifier,
        target: ClientTarget::Server { user, server },
    };
    Ok(match u.int_in_range(0..=5)? {
        0 | 1 => None,
        2 => Some(OAuthClient::HUB),
        3 => Some(server("alice", "", "jupyterhub-user-alice")),
        4 => Some(server("alice", "x", "jupyterhub-user-alice-x")),
        _ => Some(OAuthClient {
            identifier: "service-svc",
            target: ClientTarget::Service("svc"),
        }),
    })
}

/// A required scope for `has_scope`, with `post_filter`.
fn required(u: &mut Unstructured<'_>) -> Result<(String, bool)> {
    let base = if u.ratio(1, 20)? {
        short_string(u)?
    } else {
        (*u.choose(NAMES.as_slice())?).to_owned()
    };
    Ok(match u.int_in_range(0..=5)? {
        0 => (base, false),
        1 => (base, true),
        2 => (format!("{base}!{}", u.choose(KINDS)?), false),
        _ => (format!("{base}!{}={}", u.choose(KINDS)?, value(u)?), u.ratio(1, 8)?),
    })
}

fn memberships() -> [Option<&'static dyn GroupMembership>; 2] {
    [None, Some(&*GROUPS)]
}

/// Property 1: returns the expansion when it succeeds.
fn check_expand(
    raw: &[Scope],
    owner: Option<Owner<'_>>,
    client: Option<OAuthClient<'_>>,
) -> Option<ScopeSet> {
    let first = match TABLE.expand(raw, owner, client) {
        Ok(first) => first,
        Err(error) => {
            let _ = (error.to_string(), error.class());
            return None;
        }
    };
    for warning in &first.warnings {
        let _ = warning.to_string();
    }
    for scope in &first.scopes {
        assert!(TABLE.contains(scope.base()), "{raw:?} -> {scope:?}");
        match scope.filter() {
            None => assert!(!scope.as_str().contains('!'), "{raw:?} -> {scope:?}"),
            Some(filter) => assert!(
                filter.value.is_some_and(|v| !v.is_empty()),
                "{raw:?} -> {scope:?}"
            ),
        }
    }
    assert_eq!(reduce_scopes(&first.scopes).as_ref(), Ok(&first.scopes), "{raw:?}");
    for (owner2, client2) in [(owner, client), (None, None)] {
        let again = TABLE.expand(&first.scopes, owner2, client2);
        let again = match again {
            Ok(again) => again,
            Err(error) => panic!(
                "re-expanding {:?} (from {raw:?}, {owner:?}, {client:?}) failed: {error}",
                first.scopes
            ),
        };
        assert_eq!(
            again.scopes, first.scopes,
            "expansion not idempotent: {raw:?} {owner:?} {client:?}"
        );
        assert!(again.warnings.is_empty(), "{raw:?}: {:?}", again.warnings);
    }
    Some(first.scopes)
}

/// Property 3 on one pair of sets.
fn check_intersect(a: &ScopeSet, b: &ScopeSet) {
    let (Ok(pa), Ok(pb)) = (ParsedScopes::parse(a), ParsedScopes::parse(b)) else {
        assert!(intersect(a, b, None).is_err());
        assert!(intersect(b, a, Some(&*GROUPS)).is_err());
        return;
    };
    let mut without_groups = None;
    for groups in memberships() {
        let (Ok(ab), Ok(ba)) = (intersect(a, b, groups), intersect(b, a, groups)) else {
            panic!("intersect failed on sets that parse: {a:?} {b:?}");
        };
        assert_eq!(ab.scopes, ba.scopes, "not commutative ({}): {a:?} {b:?}", groups.is_some());
        // The walk of sets in code-point order agrees with meeting their parsed forms.
        assert_eq!(
            ab,
            intersect_parsed(&pa, &pb, groups),
            "walked != indexed ({}): {a:?} {b:?}",
            groups.is_some()
        );
        for warning in ab.warnings.iter().chain(&ba.warnings) {
            let _ = warning.to_string();
        }
        for scope in &ab.scopes {
            // `x!=v`: has_scope reads an empty kind as "unfiltered" (JupyterHub does too).
            if scope.filter().is_some_and(|f| f.kind.as_str().is_empty()) {
                continue;
            }
            for (side, parsed) in [(a, &pa), (b, &pb)] {
                assert_eq!(
                    has_scope(scope.as_str(), parsed, false, groups),
                    Ok(true),
                    "{scope:?} in {a:?} ∩ {b:?} (groups: {}) not granted by {side:?}",
                    groups.is_some()
                );
            }
        }
        let reduced_a = reduce_scopes(a).unwrap_or_default();
        assert_eq!(
            intersect(a, a, groups).map(|i| i.scopes).as_ref(),
            Ok(&reduced_a),
            "a ∩ a != reduce(a): {a:?}"
        );
        let known: ScopeSet = reduced_a
            .iter()
            .filter(|s| TABLE.contains(s.base()))
            .cloned()
            .collect();
        assert_eq!(
            intersect(a, &EVERYTHING, groups).map(|i| i.scopes).as_ref(),
            Ok(&known),
            "a ∩ everything: {a:?}"
        );
        match &without_groups {
            None => without_groups = Some(ab.scopes),
            Some(without) => assert!(
                without.iter().all(|s| ab.scopes.contains(s.as_str())),
                "membership information lost scopes: {a:?} ∩ {b:?}: {without:?} vs {:?}",
                ab.scopes
            ),
        }
    }
}

/// Property 4.
fn check_reduce(x: &ScopeSet, samples: &[(String, bool)]) {
    let parsed = ParsedScopes::parse(x);
    let reduced = match reduce_scopes(x) {
        Ok(reduced) => reduced,
        Err(error) => {
            assert_eq!(parsed.err().as_ref(), Some(&error));
            return;
        }
    };
    let Ok(parsed) = parsed else {
        panic!("reduce_scopes succeeded where parse failed: {x:?}");
    };
    let Ok(parsed_reduced) = ParsedScopes::parse(&reduced) else {
        panic!("reduce_scopes({x:?}) = {reduced:?} does not parse");
    };
    // Same parsed form, compared through its canonical (unparsed) form.
    assert_eq!(parsed_reduced.unparse(), reduced, "{x:?}");
    assert_eq!(parsed.unparse(), reduced, "{x:?}");
    assert_eq!(reduce_scopes(&reduced).as_ref(), Ok(&reduced), "{x:?}");
    for (required, post_filter) in samples {
        for groups in memberships() {
            let answer = has_scope(required, &parsed, *post_filter, groups);
            assert_eq!(
                answer,
                has_scope(required, &parsed_reduced, *post_filter, groups),
                "{required:?} on {x:?} vs {reduced:?}"
            );
            // The yes/no (with its quick path) agrees with the check that explains.
            assert_eq!(
                answer,
                check(required, &parsed, *post_filter, groups).map(|grant| grant.is_some()),
                "has_scope vs check: {required:?} on {x:?}"
            );
        }
    }
}

/// Property 5.
fn check_decide(have: &ScopeSet, bases: &[&str], target: Option<Target<'_>>, post_filter: bool) {
    let Ok(parsed) = ParsedScopes::parse(have) else {
        return;
    };
    let requirement = Requirement {
        scopes: bases,
        target: target.clone(),
        post_filter,
    };
    for groups in memberships() {
        let decision = decide(&TABLE, Some(&parsed), &requirement, groups);
        // The required scopes are tried in order; the first grant or error ends the search.
        let mut expected = Ok(false);
        for base in bases {
            let required = match &target {
                Some(t) => format!("{base}!{}={}", t.kind, t.value),
                None => (*base).to_owned(),
            };
            match has_scope(&required, &parsed, post_filter, groups) {
                Ok(false) => continue,
                other => {
                    expected = other;
                    break;
                }
            }
        }
        match decision {
            Ok(decision) => {
                assert_eq!(Ok(decision.is_allowed()), expected, "{have:?} {requirement:?}");
                assert_eq!(decision.is_allowed(), decision.status == 200);
                let _ = format!("{:?}", decision.explanation);
            }
            Err(error) => {
                assert!(expected.is_err(), "{have:?} {requirement:?}: {error}");
                let _ = error.to_string();
            }
        }
    }
}

/// One test case: two raw scope lists with their owners and clients, sample required scopes,
/// and a request for `decide`.
struct Case<'a> {
    raw_a: Vec<Scope>,
    raw_b: Vec<Scope>,
    owner_a: Option<Owner<'a>>,
    client_a: Option<OAuthClient<'a>>,
    owner_b: Option<Owner<'a>>,
    client_b: Option<OAuthClient<'a>>,
    samples: Vec<(String, bool)>,
    bases: Vec<&'a str>,
    target: Option<Target<'a>>,
    post_filter: bool,
}

/// The binary form: every choice is drawn from the bytes.
fn decode(u: &mut Unstructured<'_>) -> Result<Case<'static>> {
    let raw_a = scopes(u)?;
    let raw_b = scopes(u)?;
    let (owner_a, client_a) = (owner(u)?, client(u)?);
    let (owner_b, client_b) = (owner(u)?, client(u)?);
    let mut samples = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        samples.push(required(u)?);
    }
    let mut bases: Vec<&str> = Vec::new();
    for _ in 0..u.int_in_range(1..=2)? {
        bases.push(*u.choose(NAMES.as_slice())?);
    }
    let target = match u.int_in_range(0..=4)? {
        0 => None,
        1 => Some(Target::user(u.choose(VALUES)?)),
        2 => Some(Target::server(u.choose(&["alice", "bob"])?, u.choose(&["", "x"])?)),
        3 => Some(Target::group(u.choose(VALUES)?)),
        _ => Some(Target::service(u.choose(VALUES)?)),
    };
    let post_filter = u.ratio(1, 4)?;
    Ok(Case {
        raw_a,
        raw_b,
        owner_a,
        client_a,
        owner_b,
        client_b,
        samples,
        bases,
        target,
        post_filter,
    })
}

/// The text form, for readable seeds: the first line is `#scopes`, then one directive a line
/// (unknown lines are ignored):
///
/// ```text
/// a SCOPE                  raw scope of A (b SCOPE: of B)
/// owner_a user|service NAME
/// client_a hub | server USER SERVER | service NAME    (SERVER may be omitted: "")
/// require SCOPE [post]     a sample required scope, with post_filter
/// decide BASE...           the required bases of the request (table names only)
/// target user|server|group|service VALUE   (server: USER/SERVER)
/// post_filter
/// ```
fn decode_text(text: &str) -> Case<'_> {
    let mut case = Case {
        raw_a: Vec::new(),
        raw_b: Vec::new(),
        owner_a: None,
        client_a: None,
        owner_b: None,
        client_b: None,
        samples: Vec::new(),
        bases: Vec::new(),
        target: None,
        post_filter: false,
    };
    for line in text.lines().skip(1) {
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let args: Vec<&str> = rest.split(' ').collect();
        let owner = || match args.as_slice() {
            ["user", name] => Some(Owner::User(name)),
            ["service", name] => Some(Owner::Service(name)),
            _ => None,
        };
        let client = || match args.as_slice() {
            ["hub"] => Some(OAuthClient::HUB),
            ["server", user, server @ ..] => Some(OAuthClient {
                identifier: "jupyterhub-user",
                target: ClientTarget::Server {
                    user,
                    server: server.first().copied().unwrap_or(""),
                },
            }),
            ["service", name] => Some(OAuthClient {
                identifier: "service",
                target: ClientTarget::Service(name),
            }),
            _ => None,
        };
        match word {
            "a" => case.raw_a.push(Scope::lenient(rest)),
            "b" => case.raw_b.push(Scope::lenient(rest)),
            "owner_a" => case.owner_a = owner(),
            "owner_b" => case.owner_b = owner(),
            "client_a" => case.client_a = client(),
            "client_b" => case.client_b = client(),
            "require" => match rest.strip_suffix(" post") {
                Some(scope) => case.samples.push((scope.to_owned(), true)),
                None => case.samples.push((rest.to_owned(), false)),
            },
            "decide" => case
                .bases
                .extend(args.iter().copied().filter(|b| TABLE.contains(b))),
            "target" => {
                case.target = match args.as_slice() {
                    ["user", v] => Some(Target::user(v)),
                    ["group", v] => Some(Target::group(v)),
                    ["service", v] => Some(Target::service(v)),
                    ["server", v] => {
                        let (user, server) = v.split_once('/').unwrap_or((v, ""));
                        Some(Target::server(user, server))
                    }
                    _ => None,
                }
            }
            "post_filter" => case.post_filter = true,
            _ => {}
        }
    }
    case
}

fn run(case: Case<'_>) {
    let Case {
        raw_a,
        raw_b,
        owner_a,
        client_a,
        owner_b,
        client_b,
        mut samples,
        bases,
        target,
        post_filter,
    } = case;

    // 1. expansion
    let expanded_a = check_expand(&raw_a, owner_a, client_a);
    let expanded_b = check_expand(&raw_b, owner_b, client_b);

    // 2. distributivity, with A's owner and client for both
    let b_as_a = if (owner_b, client_b) == (owner_a, client_a) {
        expanded_b.clone()
    } else {
        TABLE.expand(&raw_b, owner_a, client_a).ok().map(|e| e.scopes)
    };
    if let (Some(ea), Some(eb)) = (&expanded_a, &b_as_a) {
        let both: Vec<Scope> = raw_a.iter().chain(&raw_b).cloned().collect();
        let union: ScopeSet = ea.iter().chain(eb.iter()).cloned().collect();
        let whole = TABLE.expand(&both, owner_a, client_a).map(|e| e.scopes);
        assert_eq!(
            whole.as_ref().ok(),
            reduce_scopes(&union).as_ref().ok(),
            "expand(A ++ B) != reduce(expand(A) | expand(B)): {raw_a:?} {raw_b:?} {owner_a:?} {client_a:?}"
        );
    }

    // 3. intersection, of expansions and of raw sets
    let set_a: ScopeSet = raw_a.iter().cloned().collect();
    let set_b: ScopeSet = raw_b.iter().cloned().collect();
    check_intersect(&set_a, &set_b);
    if let (Some(ea), Some(eb)) = (&expanded_a, &expanded_b) {
        check_intersect(ea, eb);
    }

    // 4. reduction; samples also include the scopes at hand
    for scope in set_a.iter().chain(&set_b).take(4) {
        samples.push((scope.as_str().to_owned(), false));
    }
    check_reduce(&set_a, &samples);
    check_reduce(&set_b, &samples);
    if let Some(ea) = &expanded_a {
        check_reduce(ea, &samples);
    }

    // 5. decide
    if !bases.is_empty() {
        if let Some(ea) = &expanded_a {
            check_decide(ea, &bases, target.clone(), post_filter);
        }
        check_decide(&set_a, &bases, target, post_filter);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some(text) = data.strip_prefix(b"#scopes\n") {
        // Lossy, so that mutations of a text seed stay in text mode.
        let text = format!("#scopes\n{}", String::from_utf8_lossy(text));
        run(decode_text(&text));
    } else if let Ok(case) = decode(&mut Unstructured::new(data)) {
        run(case);
    }
});
