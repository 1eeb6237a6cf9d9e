//! JupyterHub's parsed form of an expanded scope set: for each base scope, either every
//! resource (`ALL`) or the filter values held per kind. `parse_scopes`, `unparse_scopes` and
//! `reduce_scopes` live here.
//!
//! [`ParsedScopes`] does not copy strings into maps. It keeps the scopes sorted by base (then
//! text), so the scopes of one base form a contiguous run, and an index of those runs sorted by
//! base. Looking up a base is a binary search; looking up `kind=value` within it is another;
//! nothing allocates. Intersections walk two such indexes side by side.

use crate::bytes::{load_word, short_eq};
use crate::error::ParseError;
use crate::scope::{Scope, Shape};
pub use crate::set::ScopeSet;
use std::cmp::Ordering;

/// What is held of one base scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filters<'a> {
    /// The unfiltered scope: every resource.
    All,
    /// Only the resources named by these filters.
    Some(FilterValues<'a>),
}

impl<'a> Filters<'a> {
    /// The values held for `kind`, if the base is filtered.
    pub fn values(&self, kind: &str) -> impl Iterator<Item = &'a str> + use<'a, '_> {
        let scopes = match self {
            Filters::All => &[][..],
            Filters::Some(values) => values.of_kind(kind),
        };
        scopes.iter().filter_map(Scope::filter_value)
    }

    /// Whether `value` is held for `kind` exactly (no hierarchy); false for `All`, which holds
    /// everything but names nothing.
    pub fn holds(&self, kind: &str, value: &str) -> bool {
        match self {
            Filters::All => false,
            Filters::Some(values) => values.holds(kind, value),
        }
    }
}

/// The filtered scopes held for one base, sorted by filter text (so grouped by kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilterValues<'a> {
    scopes: &'a [Scope],
}

impl<'a> FilterValues<'a> {
    /// The filtered scopes (`base!kind=value`), sorted by text.
    pub fn scopes(&self) -> &'a [Scope] {
        self.scopes
    }

    /// The scopes whose filter is `kind=...`.
    pub fn of_kind(&self, kind: &str) -> &'a [Scope] {
        // No kind text contains `=`: it ends at the first one. (A plain loop: kinds are a
        // few bytes, and `str::contains` would call `memchr`.)
        if kind.bytes().any(|b| b == b'=') {
            return &[];
        }
        let is_kind = |s: &Scope| s.is_kind(kind);
        // Most bases hold one or two filters: a scan beats a binary search there.
        let start = if self.scopes.len() <= 8 {
            self.scopes
                .iter()
                .position(is_kind)
                .unwrap_or(self.scopes.len())
        } else {
            self.scopes
                .partition_point(|s| cmp_filter(s.filter_text(), kind, None) == Ordering::Less)
        };
        let rest = self.scopes.get(start..).unwrap_or_default();
        let len = rest.iter().take_while(|s| is_kind(s)).count();
        rest.get(..len).unwrap_or_default()
    }

    /// Whether `kind` appears at all.
    pub fn has_kind(&self, kind: &str) -> bool {
        !self.of_kind(kind).is_empty()
    }

    /// Whether `kind=value` is held.
    pub fn holds(&self, kind: &str, value: &str) -> bool {
        if self.scopes.len() <= 8 {
            return self.scopes.iter().any(|s| s.filter_is(kind, value));
        }
        self.scopes
            .binary_search_by(|s| cmp_filter(s.filter_text(), kind, Some(value)))
            .is_ok()
    }

    /// Whether the filter text `kind=value` is held, or else the user `owner` (the owner of
    /// a required server): the two grants that need no membership information. One pass
    /// over a short run, two binary searches over a long one.
    pub(crate) fn direct(&self, filter: &str, owner: Option<&str>) -> Option<Direct> {
        if self.scopes.len() > 8 {
            if self
                .scopes
                .binary_search_by(|s| s.filter_text().cmp(filter))
                .is_ok()
            {
                return Some(Direct::Same);
            }
            return owner
                .is_some_and(|owner| self.holds("user", owner))
                .then_some(Direct::Owner);
        }
        let mut owner_held = false;
        for scope in self.scopes {
            if short_eq(scope.filter_text().as_bytes(), filter.as_bytes()) {
                return Some(Direct::Same);
            }
            owner_held = owner_held || owner.is_some_and(|owner| scope.filter_is("user", owner));
        }
        owner_held.then_some(Direct::Owner)
    }

    /// The kinds present, in order, each with its values.
    pub fn by_kind(&self) -> Vec<(&'a str, Vec<&'a str>)> {
        let mut out: Vec<(&'a str, Vec<&'a str>)> = Vec::new();
        for scope in self.scopes {
            let (Some(kind), Some(value)) = (scope.filter_kind_text(), scope.filter_value()) else {
                continue;
            };
            match out.last_mut() {
                Some((last, values)) if *last == kind => values.push(value),
                _ => out.push((kind, vec![value])),
            }
        }
        out
    }
}

/// A grant found by [`FilterValues::direct`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direct {
    /// The required filter itself is held (it wins over the owner, as in JupyterHub).
    Same,
    /// The required server's owner is held.
    Owner,
}

/// Compares a filter text with `kind=value` (or with the prefix `kind=` when `value` is
/// `None`), byte by byte, without building the string.
fn cmp_filter(text: &str, kind: &str, value: Option<&str>) -> Ordering {
    let text = text.as_bytes();
    let kind = kind.as_bytes();
    // The text starts with `kind` (then `=`), or differs from it within its length.
    let head = text.get(..kind.len().min(text.len())).unwrap_or_default();
    match head.cmp(kind) {
        Ordering::Equal if text.len() < kind.len() => return Ordering::Less,
        Ordering::Equal => {}
        other => return other,
    }
    let rest = text.get(kind.len()..).unwrap_or_default();
    match rest.first() {
        None => Ordering::Less,
        Some(b'=') => match value {
            Some(value) => rest.get(1..).unwrap_or_default().cmp(value.as_bytes()),
            None => Ordering::Equal,
        },
        Some(byte) => byte.cmp(&b'='),
    }
}

/// What one base's run of scopes holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Held {
    /// Unfiltered: every resource.
    All,
    /// The run's scopes are its filters.
    Filtered,
    /// A filtered base without any value (only built by [`ParsedScopes::from_parts`]); the run
    /// holds one placeholder scope that only names the base.
    NoValues,
}

/// One base: its run `start..end` in the sorted scopes, and (in a [`ParsedScopes`]) the
/// hash of its base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    start: usize,
    end: usize,
    held: Held,
    hash: u32,
}

/// Up to this many bases, a lookup scans the runs' hashes instead of probing a table: as
/// fast, and parsing allocates no table.
const SCAN_RUNS: usize = 16;

/// Expanded scopes in JupyterHub's parsed form. Two values are equal when they hold the same
/// bases with the same filters (as JupyterHub's dicts compare), whatever else was parsed.
#[derive(Clone, Debug, Default)]
pub struct ParsedScopes {
    /// Sorted by (base, text), deduplicated.
    scopes: Vec<Scope>,
    /// One run per base, sorted by base.
    runs: Vec<Run>,
    /// Open-addressing table of the bases, probed from the base's hash.
    slots: Vec<Slot>,
}

/// One entry of [`ParsedScopes::slots`]: a run and its base's hash, compared before the base.
#[derive(Clone, Copy, Debug)]
struct Slot {
    hash: u32,
    run: u32,
}

/// An empty slot.
const EMPTY: Slot = Slot {
    hash: 0,
    run: u32::MAX,
};

impl PartialEq for ParsedScopes {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for ParsedScopes {}

/// A hash of a base name from its length and its first and last eight bytes: constant time,
/// and enough to tell apart the names of a scope table (a collision only costs a probe).
fn base_hash(base: &str) -> u32 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes = base.as_bytes();
    let len = bytes.len();
    let (head, tail) = match (
        bytes.get(..8),
        len.checked_sub(8).and_then(|s| bytes.get(s..)),
    ) {
        (Some(head), Some(tail)) => (load_word(head), load_word(tail)),
        _ => (bytes.iter().fold(0u64, |h, b| (h << 8) | u64::from(*b)), 0),
    };
    let mixed = (head.wrapping_mul(K) ^ tail.rotate_left(31) ^ len as u64).wrapping_mul(K);
    (mixed >> 32) as u32
}

/// Sort order that makes each base's scopes contiguous. It equals text order unless a base is
/// followed by a character below `!` (a space or a control character).
fn by_base(a: &Scope, b: &Scope) -> Ordering {
    a.base()
        .cmp(b.base())
        .then_with(|| a.as_str().cmp(b.as_str()))
}

impl ParsedScopes {
    /// JupyterHub's `parse_scopes`, reading `scopes` in the order given.
    ///
    /// An unfiltered scope makes its base `ALL`, whatever else is listed. A filtered scope
    /// needs a value after `=`; JupyterHub skips that check once the base is already `ALL`,
    /// so `[read:users, read:users!user]` parses and the reverse order fails, as in JupyterHub.
    /// Any filter kind is accepted.
    pub fn parse<'a>(
        scopes: impl IntoIterator<Item = &'a Scope>,
    ) -> Result<ParsedScopes, ParseError> {
        let mut scopes: Vec<Scope> = scopes.into_iter().cloned().collect();
        check_values_in_order(&scopes)?;
        if !scopes.is_sorted_by(|a, b| by_base(a, b).is_le()) {
            scopes.sort_unstable_by(by_base);
        }
        scopes.dedup();
        ParsedScopes::from_vec(scopes)
    }

    /// Parses a set, taking it over (no copy): JupyterHub's `parse_scopes` of the set read in
    /// code-point order, in which an unfiltered base precedes its filtered forms.
    pub fn from_set(set: ScopeSet) -> Result<ParsedScopes, ParseError> {
        ParsedScopes::from_vec(set.into_vec())
    }

    /// Indexes distinct scopes.
    fn from_vec(mut scopes: Vec<Scope>) -> Result<ParsedScopes, ParseError> {
        let runs = sort_and_index(&mut scopes)?;
        let mut parsed = ParsedScopes {
            scopes,
            runs,
            slots: Vec::new(),
        };
        parsed.index_bases();
        Ok(parsed)
    }

    /// Hashes each run's base and, beyond [`SCAN_RUNS`] bases, fills the open-addressing
    /// table of bases: a power of two at least twice the number of runs, each slot a run index
    /// or empty, probed linearly from the base's hash.
    fn index_bases(&mut self) {
        let scopes = &self.scopes;
        for run in &mut self.runs {
            run.hash = base_hash(scopes.get(run.start).map_or("", Scope::base));
        }
        if self.runs.len() <= SCAN_RUNS {
            self.slots = Vec::new();
            return;
        }
        let size = (self.runs.len() * 2).next_power_of_two().max(4);
        let mut slots = vec![EMPTY; size];
        let mask = size - 1;
        for (at, run) in self.runs.iter().enumerate() {
            let hash = run.hash;
            let mut slot = hash as usize & mask;
            while slots.get(slot).is_some_and(|s| s.run != EMPTY.run) {
                slot = (slot + 1) & mask;
            }
            if let (Some(entry), Ok(run)) = (slots.get_mut(slot), u32::try_from(at)) {
                *entry = Slot { hash, run };
            }
        }
        self.slots = slots;
    }

    /// Builds a parsed set from its JSON-like parts: each base with `None` for `ALL`, or its
    /// `(kind, value)` pairs (possibly none, which holds the base for nothing).
    pub fn from_parts<B, K, V>(
        bases: impl IntoIterator<Item = (B, Option<Vec<(K, V)>>)>,
    ) -> ParsedScopes
    where
        B: AsRef<str>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut groups: Vec<(Vec<Scope>, Held)> = Vec::new();
        for (base, filters) in bases {
            let base = base.as_ref();
            let group = match filters {
                None => (vec![Scope::lenient(base)], Held::All),
                Some(pairs) if pairs.is_empty() => (vec![Scope::lenient(base)], Held::NoValues),
                Some(pairs) => {
                    let mut scopes: Vec<Scope> = pairs
                        .iter()
                        .map(|(k, v)| {
                            Scope::lenient(format!("{base}!{}={}", k.as_ref(), v.as_ref()))
                        })
                        .collect();
                    scopes.sort_unstable();
                    scopes.dedup();
                    (scopes, Held::Filtered)
                }
            };
            groups.push(group);
        }
        groups.sort_by(|a, b| {
            let base = |g: &(Vec<Scope>, Held)| g.0.first().map(|s| s.base().to_owned());
            base(a).cmp(&base(b))
        });
        let mut parsed = ParsedScopes::default();
        for (scopes, held) in groups {
            let start = parsed.scopes.len();
            parsed.scopes.extend(scopes);
            parsed.runs.push(Run {
                start,
                end: parsed.scopes.len(),
                held,
                hash: 0,
            });
        }
        parsed.index_bases();
        parsed
    }

    fn run_base(&self, run: &Run) -> &str {
        self.scopes.get(run.start).map_or("", Scope::base)
    }

    fn filters(&self, run: &Run) -> Filters<'_> {
        match run.held {
            Held::All => Filters::All,
            Held::Filtered => Filters::Some(FilterValues {
                scopes: self.scopes.get(run.start..run.end).unwrap_or_default(),
            }),
            Held::NoValues => Filters::Some(FilterValues { scopes: &[] }),
        }
    }

    /// What is held of `base`, if anything.
    pub fn get(&self, base: &str) -> Option<Filters<'_>> {
        let hash = base_hash(base);
        let Some(mask) = self.slots.len().checked_sub(1) else {
            return self
                .runs
                .iter()
                .find(|run| {
                    run.hash == hash && short_eq(self.run_base(run).as_bytes(), base.as_bytes())
                })
                .map(|run| self.filters(run));
        };
        let mut slot = hash as usize & mask;
        loop {
            let entry = *self.slots.get(slot)?;
            if entry.hash == hash {
                let run = self.runs.get(usize::try_from(entry.run).ok()?)?;
                if short_eq(self.run_base(run).as_bytes(), base.as_bytes()) {
                    return Some(self.filters(run));
                }
            } else if entry.run == EMPTY.run {
                return None;
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Whether `base` is held with any filter.
    pub fn contains_base(&self, base: &str) -> bool {
        self.get(base).is_some()
    }

    /// Every base and what is held of it, sorted by base.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Filters<'_>)> {
        self.runs
            .iter()
            .map(|run| (self.run_base(run), self.filters(run)))
    }

    /// The bases, sorted.
    pub fn sorted_bases(&self) -> Vec<&str> {
        self.runs.iter().map(|run| self.run_base(run)).collect()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// JupyterHub's `unparse_scopes`: back to a scope set (`base` for `ALL`, one
    /// `base!kind=value` per value otherwise).
    pub fn unparse(&self) -> ScopeSet {
        let mut out = Vec::with_capacity(self.scopes.len());
        for run in &self.runs {
            unparse_run(
                self.scopes.get(run.start..run.end).unwrap_or_default(),
                run.held,
                &mut out,
            );
        }
        ScopeSet::from_vec(out)
    }

    pub(crate) fn view(&self) -> View<'_> {
        View {
            scopes: &self.scopes,
            runs: std::borrow::Cow::Borrowed(&self.runs),
        }
    }
}

/// JupyterHub raises on a filter without a value unless its base was already `ALL` earlier in
/// the list; only lists holding such a scope need the walk.
fn check_values_in_order(scopes: &[Scope]) -> Result<(), ParseError> {
    let lacks_value = |s: &Scope| s.is_filtered() && s.filter_value().is_none_or(str::is_empty);
    if !scopes.iter().any(lacks_value) {
        return Ok(());
    }
    let mut all_bases: Vec<&str> = Vec::new();
    for scope in scopes {
        if !scope.is_filtered() {
            all_bases.push(scope.base());
        } else if lacks_value(scope) && !all_bases.contains(&scope.base()) {
            return Err(ParseError {
                scope: scope.as_str().to_owned(),
            });
        }
    }
    Ok(())
}

/// Why scopes could not be indexed in one pass.
enum Unindexable {
    /// Not in (base, text) order: sort and index again.
    Unsorted,
    /// A filtered scope without a value, in a base that is not `ALL`.
    Parse(ParseError),
}

/// The runs of scopes in (base, text) order, checked in the same pass: the bases must
/// increase from run to run, and every scope of a filtered run needs a value. A run whose
/// first scope is unfiltered is `ALL` (an unfiltered scope sorts before its base's filtered
/// ones), and its other scopes are not looked at, as JupyterHub skips them.
fn index_runs(scopes: &[Scope]) -> Result<Vec<Run>, Unindexable> {
    let mut runs: Vec<Run> = Vec::with_capacity(scopes.len());
    let mut run_base = "";
    for (at, scope) in scopes.iter().enumerate() {
        let (base, shape) = scope.base_and_shape();
        let held = match runs.last_mut() {
            Some(run) if short_eq(base.as_bytes(), run_base.as_bytes()) => {
                run.end = at + 1;
                run.held
            }
            last => {
                if last.is_some() && base < run_base {
                    return Err(Unindexable::Unsorted);
                }
                run_base = base;
                let held = match shape {
                    Shape::Unfiltered => Held::All,
                    Shape::Valued | Shape::Unvalued => Held::Filtered,
                };
                runs.push(Run {
                    start: at,
                    end: at + 1,
                    held,
                    hash: 0,
                });
                held
            }
        };
        if held == Held::Filtered && shape != Shape::Valued {
            return Err(Unindexable::Parse(ParseError {
                scope: scope.as_str().to_owned(),
            }));
        }
    }
    Ok(runs)
}

/// [`index_runs`], sorting `scopes` first if they are not in (base, text) order.
fn sort_and_index(scopes: &mut [Scope]) -> Result<Vec<Run>, ParseError> {
    match index_runs(scopes) {
        Ok(runs) => Ok(runs),
        Err(Unindexable::Parse(error)) => Err(error),
        Err(Unindexable::Unsorted) => {
            scopes.sort_unstable_by(by_base);
            index_runs(scopes).map_err(|e| match e {
                Unindexable::Parse(error) => error,
                Unindexable::Unsorted => ParseError {
                    scope: String::new(),
                },
            })
        }
    }
}

/// Adds the scopes one run stands for to `out`.
fn unparse_run(run: &[Scope], held: Held, out: &mut Vec<Scope>) {
    match held {
        Held::All => match run.first() {
            Some(first) if first.as_str() == first.base() => out.push(first.clone()),
            Some(first) => out.push(Scope::lenient(first.base())),
            None => {}
        },
        Held::Filtered => out.extend(run.iter().cloned()),
        Held::NoValues => {}
    }
}

/// A borrowed parsed form: runs over a slice sorted by (base, text). Built without copying
/// the scopes when a [`ScopeSet`] is already in that order (the usual case).
pub(crate) struct View<'a> {
    pub(crate) scopes: &'a [Scope],
    runs: std::borrow::Cow<'a, [Run]>,
}

impl<'a> View<'a> {
    /// Indexes a set read in code-point order. `None` when its order is not (base, text), or
    /// when a filter lacks a value: then the caller parses it the general way.
    pub(crate) fn of_set(set: &'a ScopeSet) -> Option<View<'a>> {
        let scopes = set.as_slice();
        let runs = index_runs(scopes).ok()?;
        Some(View {
            scopes,
            runs: std::borrow::Cow::Owned(runs),
        })
    }

    /// The runs as (base, run scopes, filters), sorted by base.
    pub(crate) fn bases(&self) -> impl Iterator<Item = (&'a str, &'a [Scope], Filters<'a>)> + '_ {
        self.runs.iter().map(|run| {
            let scopes: &'a [Scope] = self.scopes.get(run.start..run.end).unwrap_or_default();
            let base = scopes.first().map_or("", Scope::base);
            let filters = match run.held {
                Held::All => Filters::All,
                Held::Filtered => Filters::Some(FilterValues { scopes }),
                Held::NoValues => Filters::Some(FilterValues { scopes: &[] }),
            };
            (base, scopes, filters)
        })
    }
}

/// Adds what `filters` of `base` stand for to `out` (`run` is the base's run of scopes).
pub(crate) fn unparse_filters(run: &[Scope], filters: Filters<'_>, out: &mut Vec<Scope>) {
    match filters {
        Filters::All => unparse_run(run, Held::All, out),
        Filters::Some(values) => out.extend(values.scopes().iter().cloned()),
    }
}

/// Whether a sorted set is already reduced, in one pass without allocating: every filter has
/// a value, no base is held both unfiltered and filtered, no scope ends in a bare `!`, and the
/// order groups each base (see [`by_base`]).
fn is_reduced(sorted: &[Scope]) -> bool {
    let well_formed = |s: &Scope| match s.filter_value() {
        Some(value) => !value.is_empty(),
        None => s.as_str().len() == s.base().len(),
    };
    sorted.first().is_none_or(well_formed)
        && sorted.windows(2).all(|pair| match pair {
            [a, b] => {
                well_formed(b)
                    && a.base() <= b.base()
                    && !(a.as_str().len() == a.base().len() && a.base() == b.base())
            }
            _ => true,
        })
}

/// JupyterHub's `reduce_scopes`: parse then unparse, which drops filtered duplicates of
/// unfiltered scopes (`access:services!service=x` next to `access:services`), reading the
/// scopes in the order given.
pub fn reduce_scopes<'a>(
    scopes: impl IntoIterator<Item = &'a Scope>,
) -> Result<ScopeSet, ParseError> {
    Ok(ParsedScopes::parse(scopes)?.unparse())
}

/// [`reduce_scopes`] of a set, in place: a filtered scope whose base is also held unfiltered
/// is dropped, `base!` becomes `base`, and a filter without a value is an error. Gives what
/// `reduce_scopes` gives for the set read in code-point order.
pub(crate) fn reduce_set(set: ScopeSet) -> Result<ScopeSet, ParseError> {
    if is_reduced(set.as_slice()) {
        return Ok(set);
    }
    if let Some(view) = View::of_set(&set) {
        let mut out = Vec::with_capacity(set.len());
        for (_, run, filters) in view.bases() {
            unparse_filters(run, filters, &mut out);
        }
        return Ok(ScopeSet::from_vec(out));
    }
    reduce_scopes(&set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(texts: &[&str]) -> Vec<Scope> {
        texts.iter().map(|t| Scope::lenient(*t)).collect()
    }

    fn texts(set: &ScopeSet) -> Vec<&str> {
        set.texts().collect()
    }

    #[test]
    fn unfiltered_wins_in_any_order() {
        for order in [["users!user=a", "users"], ["users", "users!user=a"]] {
            let parsed = ParsedScopes::parse(&scopes(&order)).unwrap();
            assert_eq!(parsed.get("users"), Some(Filters::All));
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
        assert_eq!(parsed.get(""), Some(Filters::All));
        assert_eq!(parsed.get("read:users"), Some(Filters::All));
        assert!(parsed.get("x").unwrap().holds("foo", "bar"));
    }

    #[test]
    fn lookups_by_kind_and_value() {
        let parsed = ParsedScopes::parse(&scopes(&[
            "s!user=bob",
            "s!group=g1",
            "s!user=alice",
            "s!users=zed",
            "s!server=alice/x",
        ]))
        .unwrap();
        let Some(Filters::Some(values)) = parsed.get("s") else {
            panic!()
        };
        assert!(values.holds("user", "alice"));
        assert!(!values.holds("user", "zed"));
        assert!(values.holds("users", "zed"));
        assert_eq!(
            Filters::Some(values).values("user").collect::<Vec<_>>(),
            ["alice", "bob"]
        );
        assert_eq!(values.of_kind("group").len(), 1);
        assert!(values.of_kind("service").is_empty());
        assert_eq!(
            values.by_kind(),
            [
                ("group", vec!["g1"]),
                ("server", vec!["alice/x"]),
                ("user", vec!["alice", "bob"]),
                ("users", vec!["zed"])
            ]
        );
    }

    #[test]
    fn bases_followed_by_low_characters_still_group() {
        // "a b" sorts between "a" and "a!x" by text; the index must still see one run for "a".
        let parsed = ParsedScopes::parse(&scopes(&["a!user=x", "a b", "a!user=y"])).unwrap();
        assert_eq!(parsed.sorted_bases(), ["a", "a b"]);
        let set: ScopeSet = scopes(&["a!user=x", "a b", "a!user=y"])
            .into_iter()
            .collect();
        assert_eq!(
            texts(&reduce_set(set).unwrap()),
            ["a b", "a!user=x", "a!user=y"]
        );
    }

    #[test]
    fn equality_is_meaning_not_storage() {
        let all = ParsedScopes::parse(&scopes(&["servers"])).unwrap();
        let both = ParsedScopes::parse(&scopes(&["servers", "servers!user=alice"])).unwrap();
        assert_eq!(all, both);
        let filtered = ParsedScopes::parse(&scopes(&["servers!user=alice"])).unwrap();
        assert_ne!(all, filtered);
    }

    #[test]
    fn from_parts_keeps_bases_without_values() {
        let parsed = ParsedScopes::from_parts([
            ("read:users", Some(vec![("user", "")][..0].to_vec())),
            (
                "servers",
                Some(vec![("user", "bob"), ("server", "alice/x")]),
            ),
            ("proxy", None),
        ]);
        assert!(parsed.contains_base("read:users"));
        assert_eq!(
            texts(&parsed.unparse()),
            ["proxy", "servers!server=alice/x", "servers!user=bob"]
        );
    }

    #[test]
    fn compat_reduce_reads_a_set_with_the_unfiltered_base_first() {
        // JupyterHub iterates the set in hash order and may raise here; hubcap never does.
        let set: ScopeSet = scopes(&["read:users!user", "read:users"])
            .into_iter()
            .collect();
        assert_eq!(texts(&reduce_scopes(&set).unwrap()), ["read:users"]);
        let set: ScopeSet = scopes(&["read:users!user", "read:users"])
            .into_iter()
            .collect();
        assert_eq!(texts(&reduce_set(set).unwrap()), ["read:users"]);
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
