//! Properties of the JupyterHub-compatible operations, checked on generated scope sets: parse
//! and print, intersection, expansion, reduction, the existence check and did-you-mean.
//!
//! Group membership is either absent (JupyterHub's `db=None`) or [`memberships`]; a property
//! that takes membership into account uses the same membership on every side.

use proptest::prelude::*;
use proptest::sample::select;
use scopes::{
    GroupMembership, Need, ParsedScopes, Scope, ScopeSet, check_need, did_you_mean, has_need,
    has_scope, intersect, intersect_parsed, reduce_scopes,
};

use crate::strategies::{TABLE, memberships, names, raw_case, raw_pair, raw_scope, required_on};

fn parsed(set: &ScopeSet) -> ParsedScopes {
    ParsedScopes::parse(set).unwrap()
}

fn has(required: &str, have: &ParsedScopes, groups: Option<&dyn GroupMembership>) -> bool {
    has_scope(required, have, false, groups).unwrap()
}

/// JupyterHub's split: `scope.partition("!")`, then `filter_.partition("=")`. An empty text
/// after `!` means no filter.
fn partition(text: &str) -> (&str, Option<(&str, Option<&str>)>) {
    let Some((base, filter)) = text.split_once('!') else {
        return (text, None);
    };
    if filter.is_empty() {
        return (base, None);
    }
    let (kind, value) = match filter.split_once('=') {
        Some((kind, value)) => (kind, Some(value)),
        None => (filter, None),
    };
    (base, Some((kind, value)))
}

/// The split as the crate reports it.
fn split(scope: &Scope) -> (&str, Option<(&str, Option<&str>)>) {
    (
        scope.base(),
        scope.filter().map(|f| (f.kind.as_str(), f.value)),
    )
}

/// The strict grammar of `Scope::parse`, written out independently of the nom parser.
fn strict_model(text: &str) -> bool {
    let is_base_char =
        |c: char| matches!(c, 'a'..='z' | '0'..='9' | '_' | ':' | '*' | '(' | ')' | '-');
    let (base, filter) = match text.split_once('!') {
        Some((base, filter)) => (base, Some(filter)),
        None => (text, None),
    };
    if base.is_empty() || !base.chars().all(is_base_char) {
        return false;
    }
    let Some(filter) = filter else {
        return true;
    };
    match filter.split_once('=') {
        None => ["user", "server", "service"].contains(&filter),
        Some((kind, value)) => {
            ["user", "server", "group", "service"].contains(&kind) && !value.is_empty()
        }
    }
}

/// JupyterHub's `_check_scopes_exist` on one scope, transcribed from `scopes.py`.
fn check_exist_model(text: &str) -> bool {
    let (base, filter) = text.split_once('!').unwrap_or((text, ""));
    if !TABLE.contains(base) {
        return false;
    }
    if filter.is_empty() {
        return true;
    }
    let full = format!("!{filter}");
    ["!user", "!service", "!server"].contains(&full.as_str())
        || ["!user=", "!service=", "!group=", "!server="]
            .iter()
            .any(|prefix| full.starts_with(prefix))
}

/// Strings near the grammar, each part drawn from right and wrong forms: a base that is valid,
/// empty, or has an upper-case letter, a space or a non-ASCII letter; then no filter, `!`
/// alone, a known or misspelled kind bare, or with `=` and a value that may be empty or hold
/// `!`, `=` and `/`; sometimes a second `!...`.
fn near_grammar() -> impl Strategy<Value = String> {
    let base = prop_oneof![
        3 => "[a-z0-9_:*()-]{1,10}",
        1 => Just(String::new()),
        1 => "[a-z:]{0,4}[A é.][a-z:]{0,4}",
    ];
    let kind = "(user|server|group|service|goup|users|User|)";
    let filter = prop_oneof![
        1 => Just(String::new()),
        1 => Just("!".to_owned()),
        2 => kind.prop_map(|kind| format!("!{kind}")),
        3 => (kind, "[a-z/=! é]{0,6}").prop_map(|(kind, value)| format!("!{kind}={value}")),
    ];
    let tail = prop_oneof![3 => Just(String::new()), 1 => "![a-z=]{0,4}"];
    (base, filter, tail).prop_map(|(base, filter, tail)| format!("{base}{filter}{tail}"))
}

/// Scopes that the strict grammar must accept.
fn well_formed() -> impl Strategy<Value = String> {
    prop_oneof![
        raw_scope(),
        "[a-z0-9_:*()-]{1,12}(!(user|server|service)|!(user|server|group|service)=.{1,8})?",
    ]
}

/// Any string: arbitrary text or text near the grammar.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![1 => any::<String>(), 3 => near_grammar(), 1 => well_formed()]
}

/// Sets of lenient scopes: table names and short odd bases (some ending in a space or a
/// control byte, which sorts before `!`), with no filter, a bare `!`, or a filter of any kind
/// whose value may be empty.
fn odd_set() -> impl Strategy<Value = ScopeSet> {
    let base = prop_oneof![3 => select(names()), 1 => "[a-c]{1,2}[ \x01]?"];
    let filter = prop_oneof![
        2 => Just(String::new()),
        1 => Just("!".to_owned()),
        4 => "!(user|server|group|service|x)(=[ab/]{0,2})?",
    ];
    proptest::collection::vec((base, filter), 0..8).prop_map(|scopes| {
        scopes
            .into_iter()
            .map(|(base, filter)| Scope::lenient(base + &filter))
            .collect()
    })
}

/// Levenshtein distance, written independently of the crate's.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

fn long_names() -> Vec<String> {
    names()
        .into_iter()
        .filter(|n| n.chars().count() >= 6)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    // 1. Parse and print.

    #[test]
    fn lenient_keeps_the_text_and_splits_like_partition(text in any_text()) {
        let scope = Scope::lenient(text.as_str());
        prop_assert_eq!(scope.as_str(), text.as_str());
        prop_assert_eq!(scope.to_string(), text.clone());
        prop_assert_eq!(split(&scope), partition(&text));
    }

    #[test]
    fn strict_parse_round_trips_and_agrees_with_the_lenient_split(text in any_text()) {
        let strict = Scope::parse(&text);
        prop_assert_eq!(strict.is_ok(), strict_model(&text), "{:?}", strict);
        if let Ok(scope) = strict {
            prop_assert_eq!(scope.to_string(), text.clone());
            prop_assert_eq!(Scope::parse(&scope.to_string()), Ok(scope.clone()));
            prop_assert_eq!(text.parse::<Scope>(), Ok(scope.clone()));
            let lenient = Scope::lenient(text.as_str());
            prop_assert_eq!(split(&scope), split(&lenient));
            prop_assert_eq!(split(&scope), partition(&text));
        }
    }

    #[test]
    fn well_formed_scopes_are_accepted_by_strict_parse(text in well_formed()) {
        let parsed = Scope::parse(&text);
        prop_assert!(parsed.is_ok(), "{:?}", parsed);
    }

    // 2. An intersection grants nothing that either side lacks.

    #[test]
    fn intersection_scopes_are_held_by_both_sides((a, b) in raw_pair()) {
        let (a, b) = (a.expand(), b.expand());
        let (parsed_a, parsed_b) = (parsed(&a), parsed(&b));
        let m = memberships();
        for groups in [None, Some(&m as &dyn GroupMembership)] {
            let both = intersect(&a, &b, groups).unwrap().scopes;
            for scope in &both {
                prop_assert!(has(scope.as_str(), &parsed_a, groups), "{} not in A", scope);
                prop_assert!(has(scope.as_str(), &parsed_b, groups), "{} not in B", scope);
            }
        }
    }

    #[test]
    fn intersection_grants_a_resource_only_if_both_sides_do((a, b) in raw_pair()) {
        let (a, b) = (a.expand(), b.expand());
        let required = required_on(&[&a, &b]);
        let (parsed_a, parsed_b) = (parsed(&a), parsed(&b));
        let m = memberships();
        for groups in [None, Some(&m as &dyn GroupMembership)] {
            let both = parsed(&intersect(&a, &b, groups).unwrap().scopes);
            for r in &required {
                if has(r, &both, groups) {
                    prop_assert!(has(r, &parsed_a, groups), "{} granted, not by A", r);
                    prop_assert!(has(r, &parsed_b, groups), "{} granted, not by B", r);
                }
            }
        }
    }

    #[test]
    fn the_split_and_explaining_checks_agree_with_has_scope(a in raw_case()) {
        let a = a.expand();
        let parsed_a = parsed(&a);
        let m = memberships();
        for groups in [None, Some(&m as &dyn GroupMembership)] {
            for r in required_on(&[&a]) {
                let need = Need::parse(&r).unwrap();
                let yes = has(&r, &parsed_a, groups);
                prop_assert_eq!(has_need(&need, &parsed_a, false, groups).unwrap(), yes, "{}", r);
                let grant = check_need(&need, &parsed_a, false, groups).unwrap();
                prop_assert_eq!(grant.is_some(), yes, "{}", r);
                if let Some(grant) = grant {
                    // The grant names a scope the set holds (or the base, with post_filter).
                    prop_assert!(a.contains(grant.held()), "{} via {}", r, grant.held());
                }
                let base = Need::base(need.base_name());
                prop_assert_eq!(
                    has_need(&base, &parsed_a, true, groups).unwrap(),
                    parsed_a.contains_base(need.base_name())
                );
            }
        }
    }

    #[test]
    fn meeting_sets_as_they_are_agrees_with_meeting_them_parsed(a in odd_set(), b in odd_set()) {
        // `intersect` walks sets in code-point order without indexing them when it can; the
        // parsed path indexes them first. Odd bases (a low byte after a name) and filters
        // without values send sets down either path.
        let m = memberships();
        for groups in [None, Some(&m as &dyn GroupMembership)] {
            let walked = intersect(&a, &b, groups).map_err(|e| e.scope);
            let indexed = ParsedScopes::parse(&a)
                .and_then(|pa| Ok(intersect_parsed(&pa, &ParsedScopes::parse(&b)?, groups)))
                .map_err(|e| e.scope);
            prop_assert_eq!(walked, indexed);
        }
    }

    // 3. Symmetry, and A ∩ A.

    #[test]
    fn intersection_is_symmetric((a, b) in raw_pair()) {
        let (a, b) = (a.expand(), b.expand());
        let m = memberships();
        for groups in [None, Some(&m as &dyn GroupMembership)] {
            let ab = intersect(&a, &b, groups).unwrap();
            let ba = intersect(&b, &a, groups).unwrap();
            // Warnings aside: which side a warning names depends on the argument order.
            prop_assert_eq!(ab.scopes, ba.scopes);
        }
    }

    #[test]
    fn self_intersection_grants_what_the_set_grants(a in raw_case()) {
        let a = a.expand();
        let required = required_on(&[&a]);
        let parsed_a = parsed(&a);
        let m = memberships();
        for groups in [None, Some(&m as &dyn GroupMembership)] {
            let aa = intersect(&a, &a, groups).unwrap();
            // An expanded set is reduced, and A ∩ A of a reduced set is the set itself (as in
            // JupyterHub's `_intersect_expanded_scopes`, checked on 5,000 random sets).
            prop_assert_eq!(&aa.scopes, &a);
            prop_assert!(aa.warnings.is_empty());
            let parsed_aa = parsed(&aa.scopes);
            for r in &required {
                prop_assert_eq!(has(r, &parsed_aa, groups), has(r, &parsed_a, groups), "{}", r);
            }
        }
    }

    // 4. Expansion is idempotent.
    //
    // Precondition: the raw scopes expand without error (every base is in the table, and
    // every filter has a value or is a bare `!user` / `!server` / `!service`; a bare `!group`
    // or an empty value makes JupyterHub's `reduce_scopes` raise). Nothing else is needed:
    // after one expansion the set is closed under subscopes (with the same `read:user*`
    // exception for server filters), reduced, has no bare filters left (each was resolved to
    // a value or dropped with a warning) and no unfiltered `self` (replaced by `!user=NAME`
    // scopes for a user, dropped otherwise). `inherit`, `(no_scope)` and filtered metascopes
    // such as `self!user=alice` survive as literals and expand to themselves. So the second
    // expansion depends on neither the owner nor the client, and warns about nothing.
    // Checked against JupyterHub 6.1.1's `expand_scopes` on 20,000 random sets shaped like
    // these (table names, bare and valued filters, user/service/no owner, server/service/hub
    // client), with the same and with other owners and clients on the second pass.

    #[test]
    fn expansion_is_idempotent(case in raw_case(), other in raw_case()) {
        let once = case.expand();
        let twice = TABLE.expand(&once, case.owner, case.client).unwrap();
        prop_assert_eq!(&twice.scopes, &once);
        prop_assert!(twice.warnings.is_empty(), "{:?}", twice.warnings);
        let elsewhere = TABLE.expand(&once, other.owner, other.client).unwrap();
        prop_assert_eq!(&elsewhere.scopes, &once);
    }

    #[test]
    fn expansion_leaves_no_bare_filter_and_no_self(case in raw_case()) {
        for scope in &case.expand() {
            prop_assert_ne!(scope.as_str(), "self");
            prop_assert!(scope.filter().is_none_or(|f| !f.is_bare()), "{}", scope);
        }
    }

    // 5. Reduction keeps meaning.

    #[test]
    fn reduce_keeps_meaning_and_is_idempotent((a, b) in raw_pair()) {
        // The union of two expanded sets is not reduced in general (`servers` on one side,
        // `servers!user=alice` on the other), so reduction has something to do.
        let expanded = a.expand();
        let other = b.expand();
        let union: ScopeSet = expanded.iter().chain(other.iter()).cloned().collect();
        let m = memberships();
        let required = required_on(&[&union]);
        for x in [expanded, union] {
            let reduced = reduce_scopes(&x).unwrap();
            prop_assert!(reduced.iter().all(|s| x.contains(s.as_str())));
            prop_assert_eq!(&reduce_scopes(&reduced).unwrap(), &reduced);
            let (before, after) = (parsed(&x), parsed(&reduced));
            // The same parsed form, base by base, as JupyterHub's `parse_scopes` dicts compare
            // equal. (Not `before == after`: `ParsedScopes`' derived equality compares its
            // storage, which keeps filtered scopes shadowed by an unfiltered base.)
            prop_assert!(before.iter().eq(after.iter()));
            for groups in [None, Some(&m as &dyn GroupMembership)] {
                for r in &required {
                    prop_assert_eq!(has(r, &before, groups), has(r, &after, groups), "{}", r);
                    if Scope::lenient(r.as_str()).filter().is_none() {
                        prop_assert_eq!(
                            has_scope(r, &before, true, groups).unwrap(),
                            has_scope(r, &after, true, groups).unwrap(),
                            "{} (post_filter)", r
                        );
                    }
                }
            }
        }
    }

    // 6. The existence check.

    #[test]
    fn check_exist_accepts_strict_scopes_of_the_table(text in well_formed()) {
        let scope = Scope::parse(&text).unwrap();
        if TABLE.contains(scope.base()) {
            let checked = TABLE.check_exist([text.as_str()], Some("role r"));
            prop_assert_eq!(checked, Ok(()));
        }
    }

    #[test]
    fn check_exist_agrees_with_jupyterhub_on_any_string(text in any_text()) {
        let checked = TABLE.check_exist([text.as_str()], None);
        if let Err(e) = &checked {
            // Neither the message nor the help may panic.
            let _ = (e.to_string(), e.help());
        }
        prop_assert_eq!(checked.is_ok(), check_exist_model(&text), "{:?}", checked);
        if Scope::parse(&text).is_ok_and(|s| TABLE.contains(s.base())) {
            prop_assert!(checked.is_ok());
        }
    }

    // 7. Did you mean: one typo in a name of six characters or more.

    #[test]
    fn one_substitution_is_suggested_back_within_one_edit(
        name in select(long_names()),
        at in any::<proptest::sample::Index>(),
        replacement in prop_oneof![
            select("abcdefghijklmnopqrstuvwxyz0123456789:_-()*".chars().collect::<Vec<_>>()),
            any::<char>(),
        ].prop_filter("lower-cases to one character", |c| c.to_lowercase().count() == 1),
    ) {
        let mut chars: Vec<char> = name.chars().collect();
        let at = at.index(chars.len());
        chars[at] = replacement;
        let typo: String = chars.into_iter().collect();
        let suggestion = did_you_mean(&typo, TABLE.names());
        prop_assert!(suggestion.is_some(), "no suggestion for {:?}", typo);
        // Matching ignores case: the distance is to the lower-cased input (the same as the
        // input unless the replacement is an upper-case letter).
        let distance = levenshtein(&typo.to_lowercase(), suggestion.unwrap());
        prop_assert!(distance <= 1, "{:?} -> {:?}", typo, suggestion);
    }
}

#[test]
fn one_deletion_is_suggested_back_within_one_edit() {
    for name in long_names() {
        for at in 0..name.chars().count() {
            let typo: String = name
                .chars()
                .enumerate()
                .filter_map(|(i, c)| (i != at).then_some(c))
                .collect();
            let suggestion = did_you_mean(&typo, TABLE.names());
            let distance = suggestion.map(|s| levenshtein(&typo, s));
            assert!(
                distance.is_some_and(|d| d <= 1),
                "{typo:?} (from {name:?}) -> {suggestion:?}"
            );
        }
    }
}

#[test]
fn independent_levenshtein_agrees_with_the_crate() {
    for (a, b) in [
        ("", ""),
        ("kitten", "sitting"),
        ("read:user", "read:users"),
        ("goup", "group"),
        ("é", "e"),
    ] {
        assert_eq!(levenshtein(a, b), scopes::edit_distance(a, b), "{a} {b}");
    }
}
