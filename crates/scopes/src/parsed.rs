//! JupyterHub's parsed form of an expanded scope set: for each base scope, either every
//! resource (`ALL`) or the filter values held per kind. `parse_scopes`, `unparse_scopes` and
//! `reduce_scopes` live here.
//!
//! [`ParsedScopes`] does not copy strings into maps. It keeps the scopes sorted by base (then
//! text), so the scopes of one base form a contiguous run, and an index of those runs sorted by
//! base. A built-in base is found in one packed word per name ([`BaseSlot`]); any other base
//! by a binary search over the runs; `kind=value` within a run by a scan or a binary search.
//! Nothing allocates. Intersections walk two sets' runs side by side, and a set already in
//! order is walked as it is, without an index ([`set_runs`]).

use crate::base_id::{self, BaseId, NAMES};
use crate::bytes::short_eq;
use crate::error::ParseError;
use crate::need::{Need, NeedFilter};
use crate::scope::{KindCode, Scope, Shape, push_clone};
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

    /// The scopes whose filter is of the known kind `kind` (contiguous: the scopes are sorted
    /// by filter text).
    pub(crate) fn of_code(&self, kind: KindCode) -> &'a [Scope] {
        let is_kind = |s: &Scope| s.kind_code() == kind;
        let Some(start) = self.scopes.iter().position(is_kind) else {
            return &[];
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

    /// Whether the required filter itself is held, or else (for a server) its owner: the two
    /// grants that need no membership information. One pass over a short run, two binary
    /// searches over a long one.
    #[inline(always)]
    pub(crate) fn direct_need(&self, need: &NeedFilter<'_>) -> Option<Direct> {
        let owner = (need.code == KindCode::Server).then_some(need.user);
        if self.scopes.len() > 8 {
            if self
                .scopes
                .binary_search_by(|s| cmp_filter(s.filter_text(), need.kind, Some(need.value)))
                .is_ok()
            {
                return Some(Direct::Same);
            }
            return owner
                .is_some_and(|owner| self.holds("user", owner))
                .then_some(Direct::Owner);
        }
        let value = need.value.as_bytes();
        let mut owner_held = false;
        for scope in self.scopes {
            let code = scope.kind_code();
            if code == need.code {
                let held = scope.filter_value().unwrap_or_default().as_bytes();
                if short_eq(held, value) && (code != KindCode::Other || scope.is_kind(need.kind)) {
                    return Some(Direct::Same);
                }
            } else if let (KindCode::User, Some(owner)) = (code, owner) {
                let held = scope.filter_value().unwrap_or_default().as_bytes();
                owner_held = owner_held || short_eq(held, owner.as_bytes());
            }
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

/// A grant found by [`FilterValues::direct_need`].
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

/// One base: its run `start..end` in the sorted scopes, and which built-in name it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    start: usize,
    end: usize,
    held: Held,
    id: BaseId,
}

/// Expanded scopes in JupyterHub's parsed form. Two values are equal when they hold the same
/// bases with the same filters (as JupyterHub's dicts compare), whatever else was parsed.
#[derive(Clone, Debug)]
pub struct ParsedScopes {
    /// Sorted by (base, text), deduplicated.
    scopes: Vec<Scope>,
    /// One run per base, sorted by base.
    runs: Vec<Run>,
    /// For each built-in name, where its run is and what it holds, so that a check reads
    /// one word and then the scopes. A set too large for [`BaseSlot`] has `indexed` false and
    /// is looked up by text instead.
    by_id: [BaseSlot; base_id::COUNT],
    indexed: bool,
}

/// One built-in base of a [`ParsedScopes`], packed in a word: the start of its run (16 bits),
/// its length (14 bits), and whether it is `ALL` or without values. 0: not held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct BaseSlot(u32);

impl BaseSlot {
    const ALL: u32 = 1 << 31;
    const NO_VALUES: u32 = 1 << 30;
    const MAX_LEN: usize = (1 << 14) - 1;

    /// The start and length of the run.
    #[inline(always)]
    fn run(self) -> (usize, usize) {
        (
            (self.0 & 0xFFFF) as usize,
            ((self.0 >> 16) & Self::MAX_LEN as u32) as usize,
        )
    }

    /// The slot of `run`, if it fits.
    fn of(run: &Run) -> Option<BaseSlot> {
        let start = u32::try_from(run.start).ok().filter(|s| *s <= 0xFFFF)?;
        let len = run
            .end
            .checked_sub(run.start)
            .filter(|l| (1..=Self::MAX_LEN).contains(l))?;
        let flags = match run.held {
            Held::All => Self::ALL,
            Held::Filtered => 0,
            Held::NoValues => Self::NO_VALUES,
        };
        Some(BaseSlot(flags | (len as u32) << 16 | start))
    }
}

impl Default for ParsedScopes {
    fn default() -> ParsedScopes {
        ParsedScopes {
            scopes: Vec::new(),
            runs: Vec::new(),
            by_id: [BaseSlot(0); base_id::COUNT],
            indexed: true,
        }
    }
}

impl PartialEq for ParsedScopes {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for ParsedScopes {}

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
            by_id: [BaseSlot(0); base_id::COUNT],
            indexed: true,
        };
        parsed.index_bases();
        Ok(parsed)
    }

    /// Points each built-in name held to its run.
    fn index_bases(&mut self) {
        self.by_id = [BaseSlot(0); base_id::COUNT];
        self.indexed = true;
        for run in &self.runs {
            let Some(slot) = run.id.index().and_then(|i| self.by_id.get_mut(i)) else {
                continue;
            };
            match BaseSlot::of(run) {
                Some(fits) => *slot = fits,
                None => self.indexed = false,
            }
        }
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
            let id = parsed
                .scopes
                .get(start)
                .map_or(BaseId::OTHER, Scope::base_id);
            parsed.runs.push(Run {
                start,
                end: parsed.scopes.len(),
                held,
                id,
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
        let id = BaseId::of(base);
        if id.is_builtin() && self.indexed {
            return self.get_id(id);
        }
        let at = self
            .runs
            .binary_search_by(|run| self.run_base(run).cmp(base))
            .ok()?;
        self.runs.get(at).map(|run| self.filters(run))
    }

    /// The answer to `need` when it can be settled from the base's slot and a short run of
    /// user, server, group or service filters, without membership information: the common
    /// case, kept small enough to stay in registers. (Its loop is [`FilterValues::direct_need`]
    /// fused with the look for held groups; calling the two measured 10–15% slower.) `None` sends the caller down the general
    /// path ([`crate::check_need`]), which gives the same answer in every case this one does.
    #[inline(always)]
    pub(crate) fn quick_answer(
        &self,
        need: &Need<'_>,
        post_filter: bool,
        membership: bool,
    ) -> Option<bool> {
        let BaseSlot(slot) = *self.by_id.get(need.id.index()?)?;
        if slot & BaseSlot::ALL != 0 {
            return Some(true);
        }
        if slot == 0 {
            return self.indexed.then_some(false);
        }
        let filter = need.filter.as_ref()?;
        if post_filter || slot & BaseSlot::NO_VALUES != 0 || filter.code == KindCode::Other {
            return None;
        }
        let (start, len) = BaseSlot(slot).run();
        if len > 8 {
            return None;
        }
        let scopes = self.scopes.get(start..start + len)?;
        let value = filter.value.as_bytes();
        let owner = filter.user.as_bytes();
        let owner_counts = filter.code == KindCode::Server;
        let mut groups_held = false;
        for scope in scopes {
            let code = scope.kind_code();
            if code == filter.code || (owner_counts && code == KindCode::User) {
                let held = scope.filter_value().unwrap_or_default().as_bytes();
                let wanted = if code == filter.code { value } else { owner };
                if short_eq(held, wanted) {
                    return Some(true);
                }
            }
            groups_held |= code == KindCode::Group;
        }
        // A held group may still have the user as a member.
        let groups_matter =
            membership && groups_held && matches!(filter.code, KindCode::User | KindCode::Server);
        (!groups_matter).then_some(false)
    }

    /// Whether the built-in base `id` is held unfiltered (false for [`BaseId::OTHER`]).
    #[inline(always)]
    pub(crate) fn holds_all_of(&self, id: BaseId) -> bool {
        id.index()
            .and_then(|at| self.by_id.get(at))
            .is_some_and(|BaseSlot(slot)| slot & BaseSlot::ALL != 0)
    }

    /// What is held of the built-in base `id`, if anything.
    #[inline(always)]
    pub(crate) fn get_id(&self, id: BaseId) -> Option<Filters<'_>> {
        let BaseSlot(slot) = *self.by_id.get(id.index()?)?;
        if slot & BaseSlot::ALL != 0 {
            return Some(Filters::All);
        }
        if slot == 0 {
            if !self.indexed {
                return self.get(NAMES.get(id.index()?)?);
            }
            return None;
        }
        let (start, len) = BaseSlot(slot).run();
        let scopes = match slot & BaseSlot::NO_VALUES {
            0 => self.scopes.get(start..start + len).unwrap_or_default(),
            _ => &[],
        };
        Some(Filters::Some(FilterValues { scopes }))
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
    for (at, scope) in scopes.iter().enumerate() {
        let (id, shape) = (scope.base_id(), scope.shape());
        let names = |run: &Run| (scope.base(), first_base(run, scopes));
        let held = match runs.last_mut() {
            Some(run) if same_base(id, run.id, || names(run)) => {
                run.end = at + 1;
                run.held
            }
            last => {
                if last.is_some_and(|run| order_bases(id, run.id, || names(run)).is_lt()) {
                    return Err(Unindexable::Unsorted);
                }
                let held = match shape {
                    Shape::Unfiltered => Held::All,
                    Shape::Valued | Shape::Unvalued => Held::Filtered,
                };
                runs.push(Run {
                    start: at,
                    end: at + 1,
                    held,
                    id,
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

/// The base of `run`'s first scope.
fn first_base<'a>(run: &Run, scopes: &'a [Scope]) -> &'a str {
    scopes.get(run.start).map_or("", Scope::base)
}

/// Whether two bases, known by their ids and (read only when needed) their names, are the
/// same: by id when either is a built-in name, else by text. The ids of a [`Run`] and of a
/// [`BaseRun`] stand in for their first scope's, which keeps parsing a tenth faster.
#[inline]
fn same_base<'a>(a: BaseId, b: BaseId, names: impl FnOnce() -> (&'a str, &'a str)) -> bool {
    if a.is_builtin() || b.is_builtin() {
        return a == b;
    }
    let (a, b) = names();
    short_eq(a.as_bytes(), b.as_bytes())
}

/// How two bases, known as in [`same_base`], order: by id between built-in names (ids order
/// as names), else by text.
#[inline]
fn order_bases<'a>(a: BaseId, b: BaseId, names: impl FnOnce() -> (&'a str, &'a str)) -> Ordering {
    if a.is_builtin() && b.is_builtin() {
        return a.cmp(&b);
    }
    let (a, b) = names();
    a.cmp(b)
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
            Some(first) if first.as_str() == first.base() => push_clone(out, first),
            Some(first) => out.push(Scope::lenient(first.base())),
            None => {}
        },
        Held::Filtered => out.extend_from_slice(run),
        Held::NoValues => {}
    }
}

/// One base of a parsed form, borrowed: its id, its scopes and what they hold.
#[derive(Clone, Copy)]
pub(crate) struct BaseRun<'a> {
    pub(crate) id: BaseId,
    pub(crate) scopes: &'a [Scope],
    pub(crate) filters: Filters<'a>,
}

impl<'a> BaseRun<'a> {
    /// The base's name.
    pub(crate) fn base(&self) -> &'a str {
        self.scopes.first().map_or("", Scope::base)
    }

    /// How this base orders against `other`'s: by id between built-in names, else by text.
    #[inline]
    pub(crate) fn cmp_base(&self, other: &BaseRun<'_>) -> Ordering {
        order_bases(self.id, other.id, || (self.base(), other.base()))
    }
}

/// The runs of a set read in code-point order, found as they are walked: nothing is
/// allocated. Only for sets that [`is_indexable`] accepts.
pub(crate) fn set_runs(scopes: &[Scope]) -> SetRuns<'_> {
    SetRuns { rest: scopes }
}

/// The iterator of [`set_runs`].
pub(crate) struct SetRuns<'a> {
    rest: &'a [Scope],
}

impl<'a> Iterator for SetRuns<'a> {
    type Item = BaseRun<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<BaseRun<'a>> {
        let (first, others) = self.rest.split_first()?;
        let id = first.base_id();
        let same = if id.is_builtin() {
            others.iter().take_while(|s| s.base_id() == id).count()
        } else {
            others
                .iter()
                .take_while(|s| same_scope_base(s, first))
                .count()
        };
        let (scopes, tail) = self
            .rest
            .split_at_checked(same + 1)
            .unwrap_or((self.rest, &[]));
        self.rest = tail;
        let filters = match first.shape() {
            Shape::Unfiltered => Filters::All,
            Shape::Valued | Shape::Unvalued => Filters::Some(FilterValues { scopes }),
        };
        Some(BaseRun {
            id,
            scopes,
            filters,
        })
    }
}

/// Whether a set read in code-point order is also in (base, text) order and every filter of a
/// filtered base has a value: then [`set_runs`] walks it as [`ParsedScopes`] would index it.
pub(crate) fn is_indexable(scopes: &[Scope]) -> bool {
    let mut run: Option<(&Scope, Held)> = None;
    for scope in scopes {
        let held = match run {
            Some((first, held)) if same_scope_base(scope, first) => held,
            previous => {
                if previous.is_some_and(|(first, _)| scope_base_order(scope, first).is_lt()) {
                    return false;
                }
                let held = match scope.shape() {
                    Shape::Unfiltered => Held::All,
                    Shape::Valued | Shape::Unvalued => Held::Filtered,
                };
                run = Some((scope, held));
                held
            }
        };
        if held == Held::Filtered && scope.shape() != Shape::Valued {
            return false;
        }
    }
    true
}

/// Whether two scopes have the same base ([`same_base`]).
#[inline]
fn same_scope_base(a: &Scope, b: &Scope) -> bool {
    same_base(a.base_id(), b.base_id(), || (a.base(), b.base()))
}

/// How two scopes' bases order ([`order_bases`]).
#[inline]
fn scope_base_order(a: &Scope, b: &Scope) -> Ordering {
    order_bases(a.base_id(), b.base_id(), || (a.base(), b.base()))
}

impl ParsedScopes {
    /// The runs, as borrowed bases, sorted by base.
    pub(crate) fn base_runs(&self) -> impl Iterator<Item = BaseRun<'_>> {
        self.runs.iter().map(|run| BaseRun {
            id: run.id,
            scopes: self.scopes.get(run.start..run.end).unwrap_or_default(),
            filters: self.filters(run),
        })
    }

    /// Every scope indexed, sorted by (base, text).
    pub(crate) fn scopes(&self) -> &[Scope] {
        &self.scopes
    }
}

/// Adds what `filters` of `base` stand for to `out` (`run` is the base's run of scopes).
pub(crate) fn unparse_filters(run: &[Scope], filters: Filters<'_>, out: &mut Vec<Scope>) {
    match filters {
        Filters::All => unparse_run(run, Held::All, out),
        Filters::Some(values) => out.extend_from_slice(values.scopes()),
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
                    && scope_base_order(a, b).is_le()
                    && !(a.shape() == Shape::Unfiltered && same_scope_base(a, b))
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
    if is_indexable(set.as_slice()) {
        let mut out = Vec::with_capacity(set.len());
        for run in set_runs(set.as_slice()) {
            unparse_filters(run.scopes, run.filters, &mut out);
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
    fn sets_too_large_for_the_slots_are_looked_up_by_text() {
        // A run longer than a slot holds, and a run starting beyond 16 bits.
        let mut long: Vec<String> = (0..20_000)
            .map(|i| format!("read:users!user=u{i}"))
            .collect();
        long.push("servers".to_owned());
        let mut far: Vec<String> = (0..70_000).map(|i| format!("custom:a!user=u{i}")).collect();
        far.push("users!user=x".to_owned());
        for texts in [long, far] {
            let parsed = ParsedScopes::parse(&scopes(
                &texts.iter().map(String::as_str).collect::<Vec<_>>(),
            ))
            .unwrap();
            assert!(!parsed.indexed);
            let filters = parsed.get("read:users").or(parsed.get("users")).unwrap();
            assert!(filters.holds("user", "u19999") || filters.holds("user", "x"));
            assert_eq!(
                parsed.get("servers").is_some(),
                parsed.get("users").is_none()
            );
            assert!(parsed.get("read:servers").is_none());
        }
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
