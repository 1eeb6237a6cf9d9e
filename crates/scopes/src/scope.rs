//! One scope string (`base`, `base!kind`, `base!kind=value`) as a typed value.
//!
//! A [`Scope`] keeps its text verbatim and knows where its parts are, so printing is free and
//! always round-trips, ordering is the code-point order of the text (the order in which
//! JupyterHub's tests and our vectors list scopes), and the parts are borrowed views.
//!
//! Two ways in:
//! - [`Scope::parse`] is the strict grammar (nom) for input that hubcap receives from people:
//!   config, the CLI, API bodies. It rejects anything JupyterHub would choke on later, with an
//!   error that says what is wrong and what would be right.
//! - [`Scope::lenient`] splits the way JupyterHub does (`str.partition` on the first `!`, then
//!   the first `=`) and never fails. It is for scope strings that already exist somewhere
//!   (a JupyterHub database, a vector file) and for the JupyterHub-compatible operations, which
//!   must treat odd strings exactly as JupyterHub does.
//!
//! This module knows nothing of the scope table: whether a base exists is
//! [`crate::ScopeTable::check_exist`]'s business.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;

use arrayvec::ArrayString;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::combinator::{all_consuming, opt, rest};
use nom::sequence::preceded;
use nom::{IResult, Parser};

use crate::base_id::BaseId;
use crate::bytes::{find_byte, short_eq};
use crate::error::{ScopeSyntaxError, SyntaxProblem};
use crate::suggest::did_you_mean;

/// The kind of resource a filter names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FilterKind<'a> {
    /// `!user`, `!user=NAME`
    User,
    /// `!server`, `!server=USER/SERVER`
    Server,
    /// `!group=NAME` (a bare `!group` has no meaning)
    Group,
    /// `!service`, `!service=NAME`
    Service,
    /// Any other text between `!` and `=`. JupyterHub's parser accepts it (and its existence
    /// check rejects it); it never matches a resource.
    Other(&'a str),
}

impl<'a> FilterKind<'a> {
    /// The four kinds that name resources.
    pub const KNOWN: [FilterKind<'static>; 4] = [
        FilterKind::User,
        FilterKind::Server,
        FilterKind::Group,
        FilterKind::Service,
    ];

    /// Classifies the text between `!` and `=`.
    pub fn from_text(text: &'a str) -> FilterKind<'a> {
        match text {
            "user" => FilterKind::User,
            "server" => FilterKind::Server,
            "group" => FilterKind::Group,
            "service" => FilterKind::Service,
            other => FilterKind::Other(other),
        }
    }

    /// The text of the kind as it appears in a scope.
    pub fn as_str(&self) -> &'a str {
        match self {
            FilterKind::User => "user",
            FilterKind::Server => "server",
            FilterKind::Group => "group",
            FilterKind::Service => "service",
            FilterKind::Other(text) => text,
        }
    }
}

impl fmt::Display for FilterKind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The filter part of a scope, after the `!`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Filter<'a> {
    /// The text after `!` (`user=alice`, `server`, ...), as JupyterHub's `filter_`.
    pub text: &'a str,
    /// What the filter is on.
    pub kind: FilterKind<'a>,
    /// `None` for a bare filter (`!user`, resolved against an owner or client by expansion);
    /// `Some(value)` after `=`, possibly empty (`!user=`), which JupyterHub's existence check
    /// accepts and its parser rejects.
    pub value: Option<&'a str>,
}

impl Filter<'_> {
    /// Whether this filter still needs an owner or client to mean something (`!user`,
    /// `!server`, `!service`, or anything else without `=`).
    pub fn is_bare(&self) -> bool {
        self.value.is_none()
    }
}

/// A scope string with its parts located. Equality, order and hash are those of the text.
/// Cloning is cheap: a short text (almost every scope) is stored inline and copied, a long
/// one is shared.
#[derive(Clone)]
pub struct Scope {
    text: Text,
    /// Byte offset of the first `!` ([`NONE`] if there is none, [`FAR`] if it does not fit).
    bang: u16,
    /// Byte offset of the first `=` after the `!`, encoded like `bang`.
    eq: u16,
    /// Which built-in name the base is, if any: what indexing and meeting sets compare.
    base_id: BaseId,
    /// The shape of the filter, read when a set is indexed.
    shape: Shape,
    /// The filter's kind, when it has a `=`: what meeting filters kind by kind reads.
    kind: KindCode,
}

/// Appends a clone of `scope` to `out`, cloned straight into the vector's memory. A clone built
/// aside and then moved in is written field by field and read back in wider words, which
/// stalls on store forwarding: that dominated expanding and meeting sets.
#[inline]
pub(crate) fn push_clone(out: &mut Vec<Scope>, scope: &Scope) {
    out.extend_from_slice(std::slice::from_ref(scope));
}

/// The kind of a filter with a `=`, as a byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KindCode {
    /// No filter, or one without `=`.
    Unvalued,
    /// `!user=...`
    User,
    /// `!server=...`
    Server,
    /// `!group=...`
    Group,
    /// `!service=...`
    Service,
    /// Any other text before `=`.
    Other,
}

/// The kind of the filter of `text`, whose first `!` is at `bang` and first `=` after it at
/// `eq`.
fn kind_of(text: &str, bang: Option<usize>, eq: Option<usize>) -> KindCode {
    let (Some(bang), Some(eq)) = (bang, eq) else {
        return KindCode::Unvalued;
    };
    text.get(bang + 1..eq).map_or(KindCode::Other, KindCode::of)
}

impl KindCode {
    /// The code of a kind text (the part between `!` and `=`).
    pub(crate) fn of(kind: &str) -> KindCode {
        // By length first, then one word comparison (a `match` on strings calls `memcmp`).
        let kind = kind.as_bytes();
        match kind.len() {
            4 if short_eq(kind, b"user") => KindCode::User,
            5 if short_eq(kind, b"group") => KindCode::Group,
            6 if short_eq(kind, b"server") => KindCode::Server,
            7 if short_eq(kind, b"service") => KindCode::Service,
            _ => KindCode::Other,
        }
    }
}

/// Texts up to this many bytes are stored inline. `read:users:activity!user=alice` is 30;
/// 32 keeps a [`Scope`] at 48 bytes.
const INLINE: usize = 32;

/// Where a scope's text lives. Inline texts spare an allocation per scope and an atomic
/// reference count per clone, which dominated expansion and intersection.
#[derive(Clone)]
enum Text {
    Inline(ArrayString<INLINE>),
    Shared(Arc<str>),
}

impl Text {
    fn new(text: &str) -> Text {
        match ArrayString::from(text) {
            Ok(inline) => Text::Inline(inline),
            Err(_) => Text::Shared(Arc::from(text)),
        }
    }

    /// The concatenation of `parts`: inline when it fits, else built in `buffer` and shared.
    fn concat<'p>(buffer: &mut String, parts: impl Iterator<Item = &'p str> + Clone) -> Text {
        let mut inline = ArrayString::new();
        if parts.clone().all(|part| inline.try_push_str(part).is_ok()) {
            return Text::Inline(inline);
        }
        buffer.clear();
        parts.for_each(|part| buffer.push_str(part));
        Text::Shared(Arc::from(buffer.as_str()))
    }

    #[inline]
    fn as_str(&self) -> &str {
        match self {
            Text::Inline(text) => text.as_str(),
            Text::Shared(text) => text,
        }
    }
}

/// An absent offset.
const NONE: u16 = u16::MAX;
/// An offset beyond `u16` (a scope of 64 KiB): found again by scanning when asked.
const FAR: u16 = u16::MAX - 1;

fn encode(offset: Option<usize>) -> u16 {
    match offset {
        None => NONE,
        Some(at) => u16::try_from(at).ok().filter(|at| *at < FAR).unwrap_or(FAR),
    }
}

/// The shape of the filter of `text`, whose first `!` is at `bang` and first `=` after it at
/// `eq`.
fn shape_of(text: &str, bang: Option<usize>, eq: Option<usize>) -> Shape {
    match (bang, eq) {
        (None, _) => Shape::Unfiltered,
        (Some(bang), _) if text.len() == bang + 1 => Shape::Unfiltered,
        (Some(_), Some(eq)) if eq + 1 < text.len() => Shape::Valued,
        (Some(_), _) => Shape::Unvalued,
    }
}

/// The id of the base of `text`, whose first `!` is at `bang`.
fn base_id_of(text: &str, bang: Option<usize>) -> BaseId {
    BaseId::of(bang.and_then(|at| text.get(..at)).unwrap_or(text))
}

/// The first `!`, and the first `=` after it, as JupyterHub's `partition` finds them.
fn locate(text: &str) -> (Option<usize>, Option<usize>) {
    let bytes = text.as_bytes();
    let bang = find_byte(bytes, b'!');
    let eq = bang.and_then(|b| find_byte(bytes.get(b + 1..)?, b'=').map(|e| b + 1 + e));
    (bang, eq)
}

impl Scope {
    /// Splits `text` exactly as JupyterHub does (`partition("!")`, then `partition("=")`).
    /// Never fails; a scope with an empty filter (`read:users!`) counts as unfiltered, as in
    /// JupyterHub, and still prints as written.
    pub fn lenient(text: impl AsRef<str>) -> Scope {
        let text = text.as_ref();
        let (bang, eq) = locate(text);
        Scope {
            text: Text::new(text),
            bang: encode(bang),
            eq: encode(eq),
            base_id: base_id_of(text, bang),
            shape: shape_of(text, bang, eq),
            kind: kind_of(text, bang, eq),
        }
    }

    /// The offsets of a text too long for `u16` ones, found again.
    #[cold]
    #[inline(never)]
    fn far_offsets(&self) -> (Option<usize>, Option<usize>) {
        locate(self.as_str())
    }

    #[inline]
    fn bang(&self) -> Option<usize> {
        match self.bang {
            NONE => None,
            FAR => self.far_offsets().0,
            at => Some(at as usize),
        }
    }

    #[inline]
    fn eq(&self) -> Option<usize> {
        match self.eq {
            NONE => None,
            FAR => self.far_offsets().1,
            at => Some(at as usize),
        }
    }

    /// Parses a scope with hubcap's strict grammar:
    ///
    /// ```text
    /// scope  := base [ "!" kind [ "=" value ] ]
    /// base   := [a-z0-9_:*()-]+
    /// kind   := "user" | "server" | "service"      (bare: resolved against the owner)
    ///         | ("user" | "server" | "group" | "service") "=" value
    /// value  := one or more characters (may contain "=", "/" and "!")
    /// ```
    ///
    /// ```
    /// use scopes::{FilterKind, Scope};
    /// let scope = Scope::parse("read:users!group=teachers")?;
    /// assert_eq!(scope.base(), "read:users");
    /// assert_eq!(scope.filter().map(|f| f.kind), Some(FilterKind::Group));
    /// assert!(Scope::parse("read:users!goup=x").is_err());
    /// # Ok::<(), scopes::ScopeSyntaxError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Scope, ScopeSyntaxError> {
        let fail = |problem| ScopeSyntaxError {
            scope: text.to_owned(),
            problem,
        };
        if text.is_empty() {
            return Err(fail(SyntaxProblem::Empty));
        }
        let (_, filter) = match strict_scope(text) {
            Ok((_, parts)) => parts,
            Err(_) => return Err(fail(diagnose(text))),
        };
        if let Some((kind, value)) = filter {
            match (kind, value) {
                ("group", None) => return Err(fail(SyntaxProblem::BareGroup)),
                (_, Some("")) => {
                    return Err(fail(SyntaxProblem::EmptyValue {
                        kind: kind.to_owned(),
                    }));
                }
                _ => {}
            }
        }
        Ok(Scope::lenient(text))
    }

    /// Builds `base!kind=value`.
    pub fn filtered(base: &str, kind: FilterKind<'_>, value: &str) -> Scope {
        Scope::concat(&mut String::new(), &[base, "!", kind.as_str(), "=", value])
    }

    /// `base!filter`, with the filter given in parts, built in place at the end of `out`.
    /// `base` must be a name without `!` (a table name) and `base_id` its id, which spares
    /// scanning and looking it up. A long text is built in `buffer` (reused between calls), so
    /// that the scope costs at most one allocation. The text is written straight into the
    /// vector's memory. Built aside and moved in, a fresh inline text is read back
    /// in wider words than it was written in, which stalls on store forwarding (that was most
    /// of an expansion's time).
    pub(crate) fn push_with_filter(
        out: &mut Vec<Scope>,
        buffer: &mut String,
        base: &str,
        base_id: BaseId,
        filter: &[&str],
    ) {
        debug_assert!(!base.contains('!'));
        debug_assert_eq!(base_id, BaseId::of(base));
        let bang = base.len();
        let mut eq = None;
        // The kind text, when the parts show it: before the `=` of the first part (`user=`),
        // or the whole first part when the second starts with `=` (`[kind, "=", value]`).
        let mut kind_text = None;
        let mut at = bang + 1;
        for (i, part) in filter.iter().enumerate() {
            if eq.is_none() {
                if let Some(e) = part.bytes().position(|b| b == b'=') {
                    eq = Some(at + e);
                    kind_text = match (i, e) {
                        (0, e) => part.get(..e),
                        (1, 0) => filter.first().copied(),
                        _ => None,
                    };
                }
            }
            at += part.len();
        }
        let shape = match eq {
            _ if at == bang + 1 => Shape::Unfiltered,
            Some(eq) if eq + 1 < at => Shape::Valued,
            _ => Shape::Unvalued,
        };
        let kind = match (eq, kind_text) {
            (None, _) => KindCode::Unvalued,
            (Some(_), Some(kind)) => KindCode::of(kind),
            // Found from the text below.
            (Some(_), None) => KindCode::Other,
        };
        out.push(Scope {
            text: Text::Inline(ArrayString::new()),
            bang: encode(Some(bang)),
            eq: encode(eq),
            base_id,
            shape,
            kind,
        });
        let Some(scope) = out.last_mut() else {
            return;
        };
        let parts = || [base, "!"].into_iter().chain(filter.iter().copied());
        if let Text::Inline(inline) = &mut scope.text {
            if !parts().all(|part| inline.try_push_str(part).is_ok()) {
                buffer.clear();
                parts().for_each(|part| buffer.push_str(part));
                scope.text = Text::Shared(Arc::from(buffer.as_str()));
            }
        }
        if let (Some(_), None) = (eq, kind_text) {
            scope.kind = kind_of(scope.text.as_str(), Some(bang), eq);
        }
    }

    /// A scope from the concatenation of `parts`; a long one is built in `buffer` (reused
    /// between calls), so that the scope costs at most one allocation.
    pub(crate) fn concat(buffer: &mut String, parts: &[&str]) -> Scope {
        let text = Text::concat(buffer, parts.iter().copied());
        let (bang, eq) = locate(text.as_str());
        let base_id = base_id_of(text.as_str(), bang);
        let shape = shape_of(text.as_str(), bang, eq);
        let kind = kind_of(text.as_str(), bang, eq);
        Scope {
            text,
            bang: encode(bang),
            eq: encode(eq),
            base_id,
            shape,
            kind,
        }
    }

    /// Which built-in name the base is ([`BaseId::OTHER`] if none).
    #[inline]
    pub(crate) fn base_id(&self) -> BaseId {
        self.base_id
    }

    /// The shape of the filter.
    #[inline]
    pub(crate) fn shape(&self) -> Shape {
        self.shape
    }

    /// The kind of the filter, when it has a `=`.
    #[inline]
    pub(crate) fn kind_code(&self) -> KindCode {
        self.kind
    }

    /// Whether the filter is `kind=...` (what [`Scope::filter_kind_text`] would say, without
    /// locating the `=`).
    pub(crate) fn is_kind(&self, kind: &str) -> bool {
        let filter = self.filter_text().as_bytes();
        filter.get(kind.len()) == Some(&b'=')
            && filter
                .get(..kind.len())
                .is_some_and(|head| short_eq(head, kind.as_bytes()))
    }

    /// Whether the filter is exactly `kind=value`, without building that text: the lengths
    /// are compared first, which settles most mismatches.
    pub(crate) fn filter_is(&self, kind: &str, value: &str) -> bool {
        let filter = self.filter_text().as_bytes();
        filter.len() == kind.len() + 1 + value.len()
            && filter.get(kind.len()) == Some(&b'=')
            && filter
                .get(..kind.len())
                .is_some_and(|head| short_eq(head, kind.as_bytes()))
            && filter
                .get(kind.len() + 1..)
                .is_some_and(|tail| short_eq(tail, value.as_bytes()))
    }

    /// The whole scope text, exactly as given.
    #[inline]
    pub fn as_str(&self) -> &str {
        self.text.as_str()
    }

    /// The part before the first `!`: the scope name.
    #[inline]
    pub fn base(&self) -> &str {
        let text = self.as_str();
        match self.bang() {
            Some(bang) => text.get(..bang).unwrap_or_default(),
            None => text,
        }
    }

    /// The text after the first `!` (JupyterHub's `filter_`); `""` when there is none.
    #[inline]
    pub fn filter_text(&self) -> &str {
        match self.bang() {
            Some(bang) => self.as_str().get(bang + 1..).unwrap_or_default(),
            None => "",
        }
    }

    /// The filter, or `None` when the scope is unfiltered (including a trailing `!` with
    /// nothing after it, which JupyterHub treats as unfiltered).
    pub fn filter(&self) -> Option<Filter<'_>> {
        let all = self.as_str();
        let bang = self.bang()?;
        let text = all.get(bang + 1..)?;
        if text.is_empty() {
            return None;
        }
        let (kind, value) = match self.eq() {
            Some(eq) => (all.get(bang + 1..eq)?, Some(all.get(eq + 1..)?)),
            None => (text, None),
        };
        Some(Filter {
            text,
            kind: FilterKind::from_text(kind),
            value,
        })
    }

    /// Whether the scope carries a (non-empty) filter.
    pub fn is_filtered(&self) -> bool {
        self.bang()
            .is_some_and(|bang| self.as_str().len() > bang + 1)
    }

    /// The filter's kind text (between `!` and `=`), when the filter has a `=`.
    pub fn filter_kind_text(&self) -> Option<&str> {
        self.as_str().get(self.bang()? + 1..self.eq()?)
    }

    /// The filter's value (after `=`), when the filter has a `=`.
    #[inline]
    pub fn filter_value(&self) -> Option<&str> {
        self.as_str().get(self.eq()? + 1..)
    }
}

impl PartialEq for Scope {
    fn eq(&self, other: &Self) -> bool {
        self.base_id == other.base_id
            && short_eq(self.as_str().as_bytes(), other.as_str().as_bytes())
    }
}

impl Eq for Scope {}

impl PartialEq<str> for Scope {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Scope {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Scope {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl Hash for Scope {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for Scope {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scope {
    fn cmp(&self, other: &Self) -> Ordering {
        // Two different built-in bases order as their ids, whatever follows: no built-in name
        // holds a byte below `!`, so neither text can sort between a name and its filters.
        if self.base_id != other.base_id && self.base_id.is_builtin() && other.base_id.is_builtin()
        {
            return self.base_id.cmp(&other.base_id);
        }
        self.as_str().cmp(other.as_str())
    }
}

impl std::borrow::Borrow<str> for Scope {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl FromStr for Scope {
    type Err = ScopeSyntaxError;

    fn from_str(text: &str) -> Result<Scope, ScopeSyntaxError> {
        Scope::parse(text)
    }
}

impl serde::Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The shape of a scope's filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// No filter, or an empty one (`base!`).
    Unfiltered,
    /// `base!kind=value` with a non-empty value.
    Valued,
    /// A filter without a value (`base!user`, `base!user=`).
    Unvalued,
}

/// Characters a scope name may contain.
fn is_base_char(c: char) -> bool {
    matches!(c, 'a'..='z' | '0'..='9' | '_' | ':' | '*' | '(' | ')' | '-')
}

type ScopeParts<'a> = (&'a str, Option<(&'a str, Option<&'a str>)>);

/// The nom grammar; semantic checks (bare `!group`, empty values) follow in [`Scope::parse`].
fn strict_scope(input: &str) -> IResult<&str, ScopeParts<'_>> {
    let kind = alt((tag("user"), tag("server"), tag("group"), tag("service")));
    let value = preceded(tag("="), rest);
    let filter = preceded(tag("!"), (kind, opt(value)));
    all_consuming((take_while1(is_base_char), opt(filter))).parse(input)
}

/// Explains why the nom grammar rejected `text`.
fn diagnose(text: &str) -> SyntaxProblem {
    let (base, filter) = match text.split_once('!') {
        Some((base, filter)) => (base, Some(filter)),
        None => (text, None),
    };
    if base.is_empty() {
        return SyntaxProblem::EmptyBase;
    }
    if let Some((offset, character)) = base.char_indices().find(|(_, c)| !is_base_char(*c)) {
        return SyntaxProblem::BadBaseCharacter { character, offset };
    }
    let Some(filter) = filter else {
        return SyntaxProblem::EmptyBase;
    };
    let kind = filter.split_once('=').map_or(filter, |(kind, _)| kind);
    if kind.is_empty() {
        return SyntaxProblem::EmptyFilter;
    }
    let known = FilterKind::KNOWN.map(|k| k.as_str());
    SyntaxProblem::UnknownFilterKind {
        kind: kind.to_owned(),
        suggestion: did_you_mean(kind, known.iter().copied()).map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::base_id::NAMES;

    /// Scope texts whose bases are often built-in names, with filters that may hold bytes
    /// below `!`.
    fn scope_text() -> impl Strategy<Value = String> {
        let base = prop_oneof![
            prop::sample::select(NAMES.to_vec()).prop_map(str::to_owned),
            "[ -~\x01]{0,6}",
        ];
        (base, "[!= a-z:\x01/]{0,8}").prop_map(|(base, rest)| base + &rest)
    }

    proptest! {
        #[test]
        fn order_and_equality_are_those_of_the_text(a in scope_text(), b in scope_text()) {
            let (sa, sb) = (Scope::lenient(&a), Scope::lenient(&b));
            prop_assert_eq!(sa.cmp(&sb), a.cmp(&b));
            prop_assert_eq!(sa == sb, a == b);
            prop_assert_eq!(sa.base_id(), BaseId::of(sa.base()));
        }
    }

    fn parts(text: &str) -> (String, Option<(String, Option<String>)>) {
        let scope = Scope::lenient(text);
        let filter = scope
            .filter()
            .map(|f| (f.kind.as_str().to_owned(), f.value.map(str::to_owned)));
        (scope.base().to_owned(), filter)
    }

    #[test]
    fn lenient_splits_like_partition() {
        let check = |text: &str, base: &str, filter: Option<(&str, Option<&str>)>| {
            let expected = (
                base.to_owned(),
                filter.map(|(k, v)| (k.to_owned(), v.map(str::to_owned))),
            );
            assert_eq!(parts(text), expected, "{text}");
            assert_eq!(Scope::lenient(text).as_str(), text);
        };
        check("read:users", "read:users", None);
        check("read:users!", "read:users", None);
        check("read:users!user", "read:users", Some(("user", None)));
        check("read:users!user=", "read:users", Some(("user", Some(""))));
        check(
            "read:users!user=a=b",
            "read:users",
            Some(("user", Some("a=b"))),
        );
        check("a!user=x!y", "a", Some(("user", Some("x!y"))));
        check("a!=x", "a", Some(("", Some("x"))));
        check("", "", None);
        check("!", "", None);
        check("é!user=ü", "é", Some(("user", Some("ü"))));
    }

    #[test]
    fn inline_and_shared_texts_behave_alike() {
        assert!(std::mem::size_of::<Scope>() <= 48);
        for value_len in [0, 10, 15, 16, 17, 40, 300, 70_000] {
            let value = "v".repeat(value_len);
            let text = format!("read:users!user={value}");
            let scope = Scope::lenient(&text);
            assert_eq!(scope.as_str(), text);
            assert_eq!(scope.base(), "read:users");
            assert_eq!(scope.filter_kind_text(), Some("user"));
            assert_eq!(scope.filter_value(), Some(value.as_str()));
            let mut buffer = String::new();
            let mut out = Vec::new();
            Scope::push_with_filter(
                &mut out,
                &mut buffer,
                "read:users",
                BaseId::of("read:users"),
                &["user=", &value],
            );
            let built = out.remove(0);
            assert_eq!(built, scope);
            assert_eq!(built.filter_value(), scope.filter_value());
            let joined = Scope::concat(&mut buffer, &["read:users", "!user=", &value]);
            assert_eq!(joined.filter_value(), scope.filter_value());
        }
    }

    #[test]
    fn strict_accepts_the_grammar() {
        for text in [
            "read:users",
            "(no_scope)",
            "custom:a*b",
            "read:users!user",
            "servers!server",
            "access:services!service",
            "read:users!user=alice",
            "read:users!user=a=b!c",
            "read:groups!group=g1",
            "servers!server=alice/",
        ] {
            let scope = Scope::parse(text).unwrap();
            assert_eq!(scope.as_str(), text);
        }
    }

    #[test]
    fn strict_rejects_with_the_reason() {
        let check = |text: &str, want: &str| {
            let err = Scope::parse(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        };
        check("", "empty");
        check("!user=x", "no scope name");
        check("Read:users", "`R`");
        check("read users", "` `");
        check("read:users!", "nothing after `!`");
        check("read:users!goup=x", "did you mean `group`");
        check("read:users!group", "`!group` needs a group name");
        check("read:users!user=", "empty user name");
    }
}
