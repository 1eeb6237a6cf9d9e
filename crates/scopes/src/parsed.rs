//! JupyterHub's parsed form of an expanded scope set: for each base scope, either every
//! resource (`ALL`) or the filter values per kind. `parse_scopes`, `unparse_scopes` and
//! `reduce_scopes` live here.
//!
//! This is the form access checks run on: [`crate::has_scope`] looks a base up by hash and a
//! value up in a small sorted set, with no allocation.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;

use crate::error::ParseError;
use crate::scope::Scope;

/// A set of scopes, ordered by text (which is also the order JupyterHub's sorted outputs use).
pub type ScopeSet = BTreeSet<Scope>;

/// The filter values held for one base scope, by filter kind (`user`, `server`, `group`,
/// `service`, or any other text JupyterHub's parser accepted).
pub type FilterMap = BTreeMap<Box<str>, BTreeSet<Box<str>>>;

/// What is held of one base scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filters {
    /// The unfiltered scope: every resource.
    All,
    /// Only the resources named by these filters.
    Some(FilterMap),
}

impl Filters {
    /// The values held for `kind`, if any.
    pub fn values(&self, kind: &str) -> Option<&BTreeSet<Box<str>>> {
        match self {
            Filters::All => None,
            Filters::Some(map) => map.get(kind),
        }
    }

    /// Whether `value` is held for `kind` (exactly, no hierarchy).
    pub fn holds(&self, kind: &str, value: &str) -> bool {
        self.values(kind)
            .is_some_and(|values| values.contains(value))
    }
}

/// Expanded scopes in JupyterHub's parsed form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedScopes {
    bases: FxHashMap<Box<str>, Filters>,
}

impl ParsedScopes {
    /// JupyterHub's `parse_scopes`, processing `scopes` in the order given.
    ///
    /// An unfiltered scope makes its base `ALL`, whatever else is listed. A filtered scope
    /// needs a value after `=`; JupyterHub skips that check once the base is already `ALL`,
    /// so the outcome of `[read:users, read:users!user]` and of the reverse order differ, as
    /// they do in JupyterHub. Any filter kind is accepted here.
    pub fn parse<'a>(
        scopes: impl IntoIterator<Item = &'a Scope>,
    ) -> Result<ParsedScopes, ParseError> {
        let mut bases: FxHashMap<Box<str>, Filters> = FxHashMap::default();
        for scope in scopes {
            let base = scope.base();
            let Some(filter) = scope.filter() else {
                bases.insert(base.into(), Filters::All);
                continue;
            };
            let entry = bases
                .entry(base.into())
                .or_insert_with(|| Filters::Some(FilterMap::new()));
            let Filters::Some(map) = entry else {
                continue;
            };
            let value = filter.value.unwrap_or_default();
            if value.is_empty() {
                return Err(ParseError {
                    scope: scope.as_str().to_owned(),
                });
            }
            map.entry(filter.kind.as_str().into())
                .or_default()
                .insert(value.into());
        }
        Ok(ParsedScopes { bases })
    }

    /// Builds a parsed set from its parts.
    pub fn from_bases(bases: impl IntoIterator<Item = (Box<str>, Filters)>) -> ParsedScopes {
        ParsedScopes {
            bases: bases.into_iter().collect(),
        }
    }

    /// What is held of `base`, if anything.
    pub fn get(&self, base: &str) -> Option<&Filters> {
        self.bases.get(base)
    }

    /// Whether `base` is held with any filter.
    pub fn contains_base(&self, base: &str) -> bool {
        self.bases.contains_key(base)
    }

    /// Every base and what is held of it, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Filters)> {
        self.bases.iter().map(|(base, filters)| (&**base, filters))
    }

    /// The bases, sorted.
    pub fn sorted_bases(&self) -> Vec<&str> {
        let mut bases: Vec<&str> = self.bases.keys().map(|b| &**b).collect();
        bases.sort_unstable();
        bases
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.bases.is_empty()
    }

    /// JupyterHub's `unparse_scopes`: back to a scope set (`base` for `ALL`, one
    /// `base!kind=value` per value otherwise; a kind without values contributes nothing).
    pub fn unparse(&self) -> ScopeSet {
        let mut out = ScopeSet::new();
        for (base, filters) in &self.bases {
            unparse_base(base, filters, &mut out);
        }
        out
    }
}

/// Adds the scopes of one parsed base to `out`.
pub(crate) fn unparse_base(base: &str, filters: &Filters, out: &mut ScopeSet) {
    match filters {
        Filters::All => {
            out.insert(Scope::lenient(base));
        }
        Filters::Some(map) => {
            for (kind, values) in map {
                for value in values {
                    out.insert(Scope::lenient(format!("{base}!{kind}={value}")));
                }
            }
        }
    }
}

/// JupyterHub's `reduce_scopes`: parse then unparse, which drops filtered duplicates of
/// unfiltered scopes (`access:services!service=x` next to `access:services`). Scopes are
/// parsed in set order (by text), in which an unfiltered base comes before its filtered forms.
pub fn reduce_scopes<'a>(
    scopes: impl IntoIterator<Item = &'a Scope>,
) -> Result<ScopeSet, ParseError> {
    Ok(ParsedScopes::parse(scopes)?.unparse())
}

/// [`reduce_scopes`] of a set, in place and without re-parsing: a filtered scope whose base is
/// also held unfiltered is dropped, `base!` becomes `base`, and a filter without a value is
/// an error. Gives what `reduce_scopes` gives for the set read in code-point order.
pub(crate) fn reduce_set(mut set: ScopeSet) -> Result<ScopeSet, ParseError> {
    let unfiltered: rustc_hash::FxHashSet<Box<str>> = set
        .iter()
        .filter(|scope| !scope.is_filtered())
        .map(|scope| scope.base().into())
        .collect();
    if let Some(bad) = set.iter().find(|scope| {
        scope
            .filter()
            .is_some_and(|f| f.value.is_none_or(str::is_empty))
            && !unfiltered.contains(scope.base())
    }) {
        return Err(ParseError {
            scope: bad.as_str().to_owned(),
        });
    }
    let mut trailing_bang = Vec::new();
    set.retain(|scope| {
        if scope.is_filtered() {
            return !unfiltered.contains(scope.base());
        }
        if scope.as_str().len() != scope.base().len() {
            trailing_bang.push(Scope::lenient(scope.base()));
            return false;
        }
        true
    });
    set.extend(trailing_bang);
    Ok(set)
}

#[cfg(test)]
mod tests {

    use super::*;

    fn scopes(texts: &[&str]) -> Vec<Scope> {
        texts.iter().map(|t| Scope::lenient(*t)).collect()
    }

    fn texts(set: &ScopeSet) -> Vec<&str> {
        set.iter().map(Scope::as_str).collect()
    }

    #[test]
    fn unfiltered_wins_in_any_order() {
        for order in [["users!user=a", "users"], ["users", "users!user=a"]] {
            let parsed = ParsedScopes::parse(&scopes(&order)).unwrap();
            assert_eq!(parsed.get("users"), Some(&Filters::All));
        }
    }

    #[test]
    fn empty_values_fail_unless_the_base_is_already_all() {
        let err = ParsedScopes::parse(&scopes(&["read:users!user", "read:users"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Empty string is not a valid filter: read:users!user"
        );
        assert!(ParsedScopes::parse(&scopes(&["read:users", "read:users!user="])).is_ok());
    }

    #[test]
    fn reduce_drops_filtered_duplicates_only() {
        let reduced = reduce_scopes(&scopes(&[
            "access:services",
            "access:services!service=x",
            "servers!user=alice",
            "servers!server=alice/x",
        ]))
        .unwrap();
        assert_eq!(
            texts(&reduced),
            [
                "access:services",
                "servers!server=alice/x",
                "servers!user=alice"
            ]
        );
    }

    #[test]
    fn odd_strings_parse_as_jupyterhub_does() {
        let parsed = ParsedScopes::parse(&scopes(&["", "read:users!", "x!foo=bar"])).unwrap();
        assert_eq!(parsed.get(""), Some(&Filters::All));
        assert_eq!(parsed.get("read:users"), Some(&Filters::All));
        assert!(parsed.get("x").unwrap().holds("foo", "bar"));
    }

    #[test]
    fn compat_reduce_reads_a_set_with_the_unfiltered_base_first() {
        // JupyterHub iterates the set in hash order and may raise here; hubcap never does.
        let reduced = reduce_scopes(&ScopeSet::from_iter(scopes(&[
            "read:users!user",
            "read:users",
        ])))
        .unwrap();
        assert_eq!(texts(&reduced), ["read:users"]);
    }

    #[test]
    fn reduce_set_agrees_with_parse_and_unparse() {
        for case in [
            &[
                "access:services",
                "access:services!service=x",
                "servers!user=a",
            ][..],
            &["read:users!", "read:users!user=a", "x!foo=bar"],
            &["read:users!user", "read:users"],
            &["read:users!user"],
            &["a!user=", "b"],
            &[],
        ] {
            let set: ScopeSet = scopes(case).into_iter().collect();
            let expected = reduce_scopes(&set).map_err(|e| e.scope);
            let got = reduce_set(set).map_err(|e| e.scope);
            assert_eq!(got, expected, "{case:?}");
        }
    }
}
