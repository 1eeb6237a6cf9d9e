//! Intersection of two expanded scope sets (JupyterHub's `_intersect_expanded_scopes`): what
//! both sides grant. A token's scopes meet its owner's this way.
//!
//! Filters on the same base meet kind by kind; a server on one side survives if the other side
//! holds its user (or, with membership information, a group of its user); a user survives if
//! the other side holds one of the user's groups. Filters never widen: `!server=x/y` meeting
//! `!user=x` stays `!server=x/y`.

use crate::error::ParseError;
use crate::membership::GroupMembership;
use crate::parsed::{
    BaseRun, FilterValues, Filters, ParsedScopes, is_indexable, set_runs, unparse_filters,
};
use crate::scope::{KindCode, Scope, push_clone};
use crate::set::ScopeSet;
use crate::warning::Warning;

/// The result of [`intersect`]: the scopes both sides grant, and JupyterHub's warning when
/// group filters could not be related to user or server filters for lack of membership
/// information.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Intersection {
    /// The intersection.
    pub scopes: ScopeSet,
    /// At most one [`Warning::GroupsNotResolved`].
    pub warnings: Vec<Warning>,
}

/// Intersects two expanded scope sets. With `groups` (JupyterHub's `db`), group filters are
/// related to the users and servers of their members; without, they are not, and a warning
/// says so when that may lose permissions.
pub fn intersect(
    a: &ScopeSet,
    b: &ScopeSet,
    groups: Option<&dyn GroupMembership>,
) -> Result<Intersection, ParseError> {
    // A set in code-point order is usually already in parsed order: walked as it is, it
    // needs no copy and no index.
    match (is_indexable(a.as_slice()), is_indexable(b.as_slice())) {
        (true, true) => Ok(intersect_runs(
            (a.as_slice(), set_runs(a.as_slice())),
            (b.as_slice(), set_runs(b.as_slice())),
            groups,
        )),
        (true, false) => {
            let b = ParsedScopes::parse(b)?;
            Ok(intersect_runs(
                (a.as_slice(), set_runs(a.as_slice())),
                (b.scopes(), b.base_runs()),
                groups,
            ))
        }
        (false, true) => {
            let a = ParsedScopes::parse(a)?;
            Ok(intersect_runs(
                (a.scopes(), a.base_runs()),
                (b.as_slice(), set_runs(b.as_slice())),
                groups,
            ))
        }
        (false, false) => Ok(intersect_parsed(
            &ParsedScopes::parse(a)?,
            &ParsedScopes::parse(b)?,
            groups,
        )),
    }
}

/// [`intersect`] on sets already parsed.
pub fn intersect_parsed(
    a: &ParsedScopes,
    b: &ParsedScopes,
    groups: Option<&dyn GroupMembership>,
) -> Intersection {
    intersect_runs(
        (a.scopes(), a.base_runs()),
        (b.scopes(), b.base_runs()),
        groups,
    )
}

/// Meets two parsed forms, each given as its scopes and its runs in base order.
fn intersect_runs<'a, 'b>(
    (a_scopes, a): (&'a [Scope], impl Iterator<Item = BaseRun<'a>>),
    (b_scopes, b): (&'b [Scope], impl Iterator<Item = BaseRun<'b>>),
    groups: Option<&dyn GroupMembership>,
) -> Intersection {
    // The meeting rarely outgrows the smaller side by much: one allocation, usually.
    let mut out = Vec::with_capacity(a_scopes.len().min(b_scopes.len()) + 4);
    let mut warnings = Vec::new();
    // The no-db warning needs a group filter somewhere; most sets have none.
    let has_groups = |scopes: &[Scope]| scopes.iter().any(|s| s.kind_code() == KindCode::Group);
    let mut may_warn = groups.is_none() && (has_groups(a_scopes) || has_groups(b_scopes));
    let (mut a, mut b) = (a, b);
    let (mut next_a, mut next_b) = (a.next(), b.next());
    while let (Some(run_a), Some(run_b)) = (next_a, next_b) {
        match run_a.cmp_base(&run_b) {
            std::cmp::Ordering::Less => {
                next_a = a.next();
                continue;
            }
            std::cmp::Ordering::Greater => {
                next_b = b.next();
                continue;
            }
            std::cmp::Ordering::Equal => (next_a, next_b) = (a.next(), b.next()),
        }
        match (run_a.filters, run_b.filters) {
            (Filters::All, other) => unparse_filters(run_b.scopes, other, &mut out),
            (other, Filters::All) => unparse_filters(run_a.scopes, other, &mut out),
            (Filters::Some(fa), Filters::Some(fb)) => {
                if may_warn {
                    if let Some(warning) = unresolved_groups(run_a.base(), fa, fb) {
                        warnings.push(warning);
                        may_warn = false;
                    }
                }
                meet(fa, fb, groups, &mut out);
            }
        }
    }
    Intersection {
        scopes: ScopeSet::from_vec(out),
        warnings,
    }
}

/// The filters of one side of one base, by kind (each a contiguous run of the sorted filters).
struct Kinds<'a> {
    servers: &'a [Scope],
    users: &'a [Scope],
    groups: &'a [Scope],
}

impl<'a> Kinds<'a> {
    fn of(values: FilterValues<'a>) -> Kinds<'a> {
        Kinds {
            servers: values.of_code(KindCode::Server),
            users: values.of_code(KindCode::User),
            groups: values.of_code(KindCode::Group),
        }
    }
}

/// Adds to `out` the filters of one base that both sides hold: the common filters, a side's
/// servers whose owner (or, with membership, a group of the owner) the other side holds, and
/// a side's users who are members of a group the other side holds.
fn meet(
    fa: FilterValues<'_>,
    fb: FilterValues<'_>,
    groups: Option<&dyn GroupMembership>,
    out: &mut Vec<Scope>,
) {
    if fa.scopes() == fb.scopes() {
        out.extend_from_slice(fa.scopes());
        return;
    }
    let start = out.len();
    common(fa.scopes(), fb.scopes(), out);
    let (ka, kb) = (Kinds::of(fa), Kinds::of(fb));
    // Only servers that differ between the sides, or groups with membership information,
    // can add anything beyond the common filters.
    let widens = |a: &Kinds<'_>, b: &Kinds<'_>| {
        (!a.servers.is_empty() && a.servers != b.servers)
            || (groups.is_some() && !b.groups.is_empty() && !a.users.is_empty())
    };
    if !widens(&ka, &kb) && !widens(&kb, &ka) {
        return;
    }
    // What this base already has in `out`: the common filters, then what widening adds.
    // Runs are short; looking there is cheaper than collecting copies.
    let added = |out: &[Scope], scope: &Scope| {
        out.get(start..)
            .unwrap_or_default()
            .iter()
            .any(|s| s == scope)
    };
    for (a, b, b_values) in [(&ka, &kb, fb), (&kb, &ka, fa)] {
        if !a.servers.is_empty() && a.servers != b.servers {
            for server in a.servers {
                if added(out, server) {
                    continue;
                }
                let owner = owner_of(server.filter_value().unwrap_or_default());
                let granted = holds_value(b.users, owner)
                    || groups
                        .filter(|_| !b.groups.is_empty())
                        .is_some_and(|groups| in_any_group(groups, owner, b_values));
                if granted {
                    push_clone(out, server);
                }
            }
        }
        if let Some(groups) = groups.filter(|_| !b.groups.is_empty()) {
            if !a.users.is_empty() && a.users != b.users {
                for user in a.users {
                    if !added(out, user)
                        && in_any_group(groups, user.filter_value().unwrap_or_default(), b_values)
                    {
                        push_clone(out, user);
                    }
                }
            }
        }
    }
}

/// Whether one kind's filters (sorted by text, so by value) hold `value`.
fn holds_value(filters: &[Scope], value: &str) -> bool {
    if filters.len() <= 8 {
        return filters.iter().any(|f| f.filter_value() == Some(value));
    }
    filters
        .binary_search_by(|f| f.filter_value().unwrap_or_default().cmp(value))
        .is_ok()
}

/// Pushes the scopes present in both sorted slices.
fn common(a: &[Scope], b: &[Scope], out: &mut Vec<Scope>) {
    let mut b = b.iter().peekable();
    for scope in a {
        while b.next_if(|other| *other < scope).is_some() {}
        if b.next_if(|other| *other == scope).is_some() {
            push_clone(out, scope);
        }
    }
}

/// The user part of a server filter value (`alice/x` → `alice`).
fn owner_of(server: &str) -> &str {
    server.split_once('/').map_or(server, |(user, _)| user)
}

fn in_any_group(groups: &dyn GroupMembership, user: &str, side: FilterValues<'_>) -> bool {
    let mut names = side.of_kind("group").iter().filter_map(Scope::filter_value);
    groups.first_common_group(user, &mut names).is_some()
}

/// JupyterHub's no-db warning: one side has groups the other lacks, and the other has users
/// (or servers) the first lacks, so members may have been lost.
fn unresolved_groups(base: &str, fa: FilterValues<'_>, fb: FilterValues<'_>) -> Option<Warning> {
    let any_group = fa.has_kind("group") || fb.has_kind("group");
    if !any_group {
        return None;
    }
    let any_member = ["user", "server"]
        .iter()
        .any(|kind| fa.has_kind(kind) || fb.has_kind(kind));
    if !(any_group && any_member) {
        return None;
    }
    let lacks = |from: &[Scope], other: &[Scope]| from.iter().any(|s| !other.contains(s));
    let values = |scopes: &[Scope]| {
        scopes
            .iter()
            .filter_map(Scope::filter_value)
            .map(str::to_owned)
            .collect()
    };
    for (a, b) in [(fa, fb), (fb, fa)] {
        for kind in ["user", "server"] {
            let (a_groups, b_values) = (a.of_kind("group"), b.of_kind(kind));
            if !a_groups.is_empty()
                && !b_values.is_empty()
                && lacks(a_groups, b.of_kind("group"))
                && lacks(b_values, a.of_kind(kind))
            {
                return Some(Warning::GroupsNotResolved {
                    base: base.to_owned(),
                    kind: kind.to_owned(),
                    values: values(b_values),
                    groups: values(a_groups),
                });
            }
        }
    }
    None
}

/// Convenience for callers holding scope strings: intersect two lists of expanded scopes.
pub fn intersect_strs<'a>(
    a: impl IntoIterator<Item = &'a str>,
    b: impl IntoIterator<Item = &'a str>,
    groups: Option<&dyn GroupMembership>,
) -> Result<Intersection, ParseError> {
    let a: ScopeSet = a.into_iter().map(Scope::lenient).collect();
    let b: ScopeSet = b.into_iter().map(Scope::lenient).collect();
    intersect(&a, &b, groups)
}

#[cfg(test)]
mod tests {

    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    fn check(a: &[&str], b: &[&str], groups: Option<&dyn GroupMembership>, want: &[&str]) {
        for (x, y) in [(a, b), (b, a)] {
            let got = intersect_strs(x.iter().copied(), y.iter().copied(), groups).unwrap();
            let got: Vec<&str> = got.scopes.iter().map(Scope::as_str).collect();
            assert_eq!(got, want, "{x:?} ∩ {y:?}");
        }
    }

    fn memberships() -> BTreeMap<String, BTreeSet<String>> {
        BTreeMap::from([("alice".to_owned(), BTreeSet::from(["g1".to_owned()]))])
    }

    #[test]
    fn lower_level_filters_win() {
        check(
            &["s!user=alice"],
            &["s!server=alice/x"],
            None,
            &["s!server=alice/x"],
        );
        check(&["s!user=bob"], &["s!server=alice/x"], None, &[]);
        check(&["s"], &["s!user=alice"], None, &["s!user=alice"]);
    }

    #[test]
    fn groups_need_membership_information() {
        let m = memberships();
        check(
            &["s!group=g1"],
            &["s!user=alice"],
            Some(&m),
            &["s!user=alice"],
        );
        check(
            &["s!group=g1"],
            &["s!server=alice/"],
            Some(&m),
            &["s!server=alice/"],
        );
        check(&["s!group=g1"], &["s!user=alice"], None, &[]);
        check(&["s!group=g1"], &["s!group=g2"], Some(&m), &[]);
    }

    #[test]
    fn no_db_warning_names_the_unrelated_filters() {
        let got = intersect_strs(["s!group=g1"], ["s!user=alice"], None).unwrap();
        assert_eq!(
            got.warnings[0].to_string(),
            "s[!user=frozenset({'alice'}), !group=frozenset({'g1'})] combinations of filters \
             present, without db access. Intersection between not considered. May result in \
             lower than intended permissions."
        );
    }

    #[test]
    fn service_and_user_with_the_same_value_do_not_meet() {
        check(&["s!service=x"], &["s!user=x"], None, &[]);
    }

    #[test]
    fn compat_the_no_db_warning_names_the_first_base_in_code_point_order() {
        let got = intersect_strs(
            ["b!group=g1", "a!group=g1"],
            ["b!user=alice", "a!user=alice"],
            None,
        )
        .unwrap();
        assert_eq!(got.warnings.len(), 1);
        assert!(got.warnings[0].to_string().starts_with("a[!user="));
    }
}
