//! Intersection of two expanded scope sets (JupyterHub's `_intersect_expanded_scopes`): what
//! both sides grant. A token's scopes meet its owner's this way.
//!
//! Filters on the same base meet kind by kind; a server on one side survives if the other side
//! holds its user (or, with membership information, a group of its user); a user survives if
//! the other side holds one of the user's groups. Filters never widen: `!server=x/y` meeting
//! `!user=x` stays `!server=x/y`.

use std::collections::BTreeSet;

use crate::error::ParseError;
use crate::membership::GroupMembership;
use crate::parsed::{FilterMap, Filters, ParsedScopes, ScopeSet};
use crate::scope::Scope;
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

type Values = BTreeSet<Box<str>>;

/// Intersects two expanded scope sets. With `groups` (JupyterHub's `db`), group filters are
/// related to the users and servers of their members; without, they are not, and a warning
/// says so when that may lose permissions.
pub fn intersect(
    a: &ScopeSet,
    b: &ScopeSet,
    groups: Option<&dyn GroupMembership>,
) -> Result<Intersection, ParseError> {
    let parsed_a = ParsedScopes::parse(a)?;
    let parsed_b = ParsedScopes::parse(b)?;
    Ok(intersect_parsed(&parsed_a, &parsed_b, groups))
}

/// [`intersect`] on sets already parsed.
pub fn intersect_parsed(
    a: &ParsedScopes,
    b: &ParsedScopes,
    groups: Option<&dyn GroupMembership>,
) -> Intersection {
    let mut scopes = ScopeSet::new();
    let mut warnings = Vec::new();
    for base in a.sorted_bases() {
        let (Some(filters_a), Some(filters_b)) = (a.get(base), b.get(base)) else {
            continue;
        };
        let common = match (filters_a, filters_b) {
            (Filters::All, other) | (other, Filters::All) => other.clone(),
            (Filters::Some(fa), Filters::Some(fb)) => {
                if groups.is_none() && warnings.is_empty() {
                    if let Some(warning) = unresolved_groups(base, fa, fb) {
                        warnings.push(warning);
                    }
                }
                Filters::Some(meet(fa, fb, groups))
            }
        };
        crate::parsed::unparse_base(base, &common, &mut scopes);
    }
    Intersection { scopes, warnings }
}

/// Filters of one base held on both sides.
fn meet(fa: &FilterMap, fb: &FilterMap, groups: Option<&dyn GroupMembership>) -> FilterMap {
    let mut common: FilterMap = fa
        .iter()
        .filter_map(|(kind, values_a)| {
            let values_b = fb.get(kind)?;
            Some((
                kind.clone(),
                values_a.intersection(values_b).cloned().collect(),
            ))
        })
        .collect();

    let initial_servers = common.get("server").cloned().unwrap_or_default();
    let initial_users = common.get("user").cloned().unwrap_or_default();
    let mut servers = initial_servers.clone();
    let mut users = initial_users.clone();

    for (a, b) in [(fa, fb), (fb, fa)] {
        if let Some(a_servers) = a.get("server").filter(|s| b.get("server") != Some(*s)) {
            let mut remaining: Values = a_servers.difference(&servers).cloned().collect();
            if let Some(b_users) = b.get("user") {
                let owned: Vec<Box<str>> = remaining
                    .iter()
                    .filter(|server| b_users.contains(owner_of(server)))
                    .cloned()
                    .collect();
                for server in owned {
                    remaining.remove(&server);
                    servers.insert(server);
                }
            }
            if let (Some(groups), Some(b_groups)) = (groups, b.get("group")) {
                for server in remaining {
                    if in_any_group(groups, owner_of(&server), b_groups) {
                        servers.insert(server);
                    }
                }
            }
        }
        if let (Some(groups), Some(a_users), Some(b_groups)) =
            (groups, a.get("user"), b.get("group"))
        {
            if b.get("user") != Some(a_users) {
                let candidates: Vec<Box<str>> = a_users.difference(&users).cloned().collect();
                for user in candidates {
                    if in_any_group(groups, &user, b_groups) {
                        users.insert(user);
                    }
                }
            }
        }
    }

    if !servers.is_empty() && servers != initial_servers {
        common.insert("server".into(), servers);
    }
    if !users.is_empty() && users != initial_users {
        common.insert("user".into(), users);
    }
    common
}

/// The user part of a server filter value (`alice/x` → `alice`).
fn owner_of(server: &str) -> &str {
    server.split_once('/').map_or(server, |(user, _)| user)
}

fn in_any_group(groups: &dyn GroupMembership, user: &str, group_names: &Values) -> bool {
    groups
        .first_common_group(user, &mut group_names.iter().map(|g| &**g))
        .is_some()
}

/// JupyterHub's no-db warning: one side has groups the other lacks, and the other has users
/// (or servers) the first lacks, so members may have been lost.
fn unresolved_groups(base: &str, fa: &FilterMap, fb: &FilterMap) -> Option<Warning> {
    let has = |map: &FilterMap, kind: &str| map.contains_key(kind);
    let any_group = has(fa, "group") || has(fb, "group");
    let any_member = has(fa, "user") || has(fa, "server") || has(fb, "user") || has(fb, "server");
    if !(any_group && any_member) {
        return None;
    }
    let empty = Values::new();
    for (a, b) in [(fa, fb), (fb, fa)] {
        for kind in ["user", "server"] {
            let (Some(a_groups), Some(b_values)) = (a.get("group"), b.get(kind)) else {
                continue;
            };
            let groups_missing = a_groups
                .difference(b.get("group").unwrap_or(&empty))
                .next()
                .is_some();
            let values_missing = b_values
                .difference(a.get(kind).unwrap_or(&empty))
                .next()
                .is_some();
            if groups_missing && values_missing {
                return Some(Warning::GroupsNotResolved {
                    base: base.to_owned(),
                    kind: kind.to_owned(),
                    values: b_values.iter().map(|v| v.to_string()).collect(),
                    groups: a_groups.iter().map(|v| v.to_string()).collect(),
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

    use std::collections::BTreeMap;

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
