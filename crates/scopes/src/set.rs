//! [`ScopeSet`]: a set of scopes kept as a sorted, deduplicated vector.
//!
//! Scope sets are small (a handful to a hundred scopes) and are built once and read many
//! times, so a sorted vector beats a tree: one allocation, contiguous memory, and the scopes of
//! one base lie next to each other, which lets [`crate::ParsedScopes`] index a set by ranges
//! instead of copying it. The order is that of the scope texts' code points, the order of
//! JupyterHub's sorted outputs.

use std::fmt;

use crate::scope::Scope;

/// A set of scopes, ordered by text.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet {
    sorted: Vec<Scope>,
}

impl ScopeSet {
    /// JupyterHub's `reduce_scopes` of this set read in code-point order: a filtered scope
    /// whose base is also held unfiltered is dropped, `base!` becomes `base`, and a filter
    /// without a value is an error. Nothing is copied when the set is already reduced.
    pub fn reduced(self) -> Result<ScopeSet, crate::error::ParseError> {
        crate::parsed::reduce_set(self)
    }

    /// An empty set.
    pub const fn new() -> ScopeSet {
        ScopeSet { sorted: Vec::new() }
    }

    /// A set of the given scopes (sorted and deduplicated here).
    pub fn from_vec(mut scopes: Vec<Scope>) -> ScopeSet {
        if !scopes.is_sorted() {
            scopes.sort_unstable();
        }
        scopes.dedup();
        ScopeSet { sorted: scopes }
    }

    /// A set of scopes already sorted and distinct.
    pub(crate) fn from_sorted(sorted: Vec<Scope>) -> ScopeSet {
        debug_assert!(sorted.is_sorted_by(|a, b| a < b));
        ScopeSet { sorted }
    }

    /// The union of two sorted, distinct lists, by merging.
    pub(crate) fn merge_sorted(a: Vec<Scope>, b: Vec<Scope>) -> ScopeSet {
        if a.is_empty() {
            return ScopeSet { sorted: b };
        }
        let mut sorted = Vec::with_capacity(a.len() + b.len());
        let mut b = b.into_iter().peekable();
        for scope in a {
            while let Some(other) = b.next_if(|other| *other < scope) {
                sorted.push(other);
            }
            if b.peek() == Some(&scope) {
                b.next();
            }
            sorted.push(scope);
        }
        sorted.extend(b);
        ScopeSet { sorted }
    }

    /// The scopes, in order.
    pub fn as_slice(&self) -> &[Scope] {
        &self.sorted
    }

    /// The scopes, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Scope> {
        self.sorted.iter()
    }

    /// How many scopes.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// Whether the set has the scope with this text.
    pub fn contains(&self, scope: &str) -> bool {
        self.position(scope).is_ok()
    }

    fn position(&self, scope: &str) -> Result<usize, usize> {
        self.sorted.binary_search_by(|s| s.as_str().cmp(scope))
    }

    /// Adds a scope; returns whether it was new.
    pub fn insert(&mut self, scope: Scope) -> bool {
        match self.position(scope.as_str()) {
            Ok(_) => false,
            Err(at) => {
                self.sorted.insert(at, scope);
                true
            }
        }
    }

    /// Removes the scope with this text; returns whether it was there.
    pub fn remove(&mut self, scope: &str) -> bool {
        match self.position(scope) {
            Ok(at) => {
                self.sorted.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    /// Keeps only the scopes for which `keep` is true.
    pub fn retain(&mut self, keep: impl FnMut(&Scope) -> bool) {
        self.sorted.retain(keep);
    }

    /// The scopes in `self` or `other`.
    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        let mut out = self.clone();
        out.sorted.extend_from_slice(other.as_slice());
        out.sorted.sort_unstable();
        out.sorted.dedup();
        out
    }

    /// The scopes of this set that `other` lacks (by text), in order: one walk over both.
    pub fn difference<'a>(&'a self, other: &'a ScopeSet) -> impl Iterator<Item = &'a Scope> {
        let mut others = other.iter().peekable();
        self.iter().filter(move |scope| {
            while others.next_if(|o| *o < *scope).is_some() {}
            others.peek().is_none_or(|o| *o != *scope)
        })
    }

    /// The scopes, in order, as a vector.
    pub fn into_vec(self) -> Vec<Scope> {
        self.sorted
    }

    /// The scope texts, in order.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.sorted.iter().map(Scope::as_str)
    }
}

impl Extend<Scope> for ScopeSet {
    fn extend<I: IntoIterator<Item = Scope>>(&mut self, scopes: I) {
        self.sorted.extend(scopes);
        self.sorted.sort_unstable();
        self.sorted.dedup();
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(scopes: I) -> ScopeSet {
        ScopeSet::from_vec(scopes.into_iter().collect())
    }
}

impl<const N: usize> From<[Scope; N]> for ScopeSet {
    fn from(scopes: [Scope; N]) -> ScopeSet {
        ScopeSet::from_vec(scopes.into())
    }
}

impl IntoIterator for ScopeSet {
    type Item = Scope;
    type IntoIter = std::vec::IntoIter<Scope>;

    fn into_iter(self) -> Self::IntoIter {
        self.sorted.into_iter()
    }
}

impl<'a> IntoIterator for &'a ScopeSet {
    type Item = &'a Scope;
    type IntoIter = std::slice::Iter<'a, Scope>;

    fn into_iter(self) -> Self::IntoIter {
        self.sorted.iter()
    }
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(&self.sorted).finish()
    }
}

impl serde::Serialize for ScopeSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(&self.sorted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(texts: &[&str]) -> ScopeSet {
        texts.iter().map(|t| Scope::lenient(*t)).collect()
    }

    #[test]
    fn sorted_and_deduplicated() {
        let s = set(&["b", "a", "b", "a!user=x"]);
        assert_eq!(s.texts().collect::<Vec<_>>(), ["a", "a!user=x", "b"]);
    }

    #[test]
    fn merging_sorted_lists() {
        let a: Vec<Scope> = ["a", "c", "e"].map(Scope::lenient).into();
        let b: Vec<Scope> = ["b", "c", "f"].map(Scope::lenient).into();
        let merged = ScopeSet::merge_sorted(a, b);
        assert_eq!(
            merged.texts().collect::<Vec<_>>(),
            ["a", "b", "c", "e", "f"]
        );
    }

    #[test]
    fn insert_remove_contains() {
        let mut s = set(&["b"]);
        assert!(s.insert(Scope::lenient("a")));
        assert!(!s.insert(Scope::lenient("a")));
        assert!(s.contains("a"));
        assert!(s.remove("a"));
        assert!(!s.remove("a"));
        assert_eq!(s.len(), 1);
    }
}
