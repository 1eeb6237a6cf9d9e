//! [`Need`]: one required scope, split once.
//!
//! JupyterHub's handlers join a required scope and the resource of the request into a string
//! (`read:users!user=alice`), and `has_scope` splits it again on every call. A [`Need`] is the
//! same requirement kept in parts: the base (with its built-in id, so that looking it up in a
//! parsed set is an array index), the filter's kind and value, and a server's owner. Build it
//! from the parts a handler already has ([`Need::on`]), or from a string ([`Need::parse`], with
//! `has_scope`'s rules).

use crate::base_id::BaseId;
use crate::bytes::find_byte;
use crate::error::CheckError;
use crate::scope::{KindCode, Scope};

/// One required scope, split into its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need<'a> {
    pub(crate) base: &'a str,
    pub(crate) id: BaseId,
    pub(crate) filter: Option<NeedFilter<'a>>,
}

/// The filter of a [`Need`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NeedFilter<'a> {
    pub(crate) kind: &'a str,
    pub(crate) code: KindCode,
    pub(crate) value: &'a str,
    /// The user a user or server filter is about (a server's owner); the value otherwise.
    pub(crate) user: &'a str,
}

impl<'a> Need<'a> {
    /// The unfiltered scope `base`.
    pub fn base(base: &'a str) -> Need<'a> {
        Need {
            base,
            id: BaseId::of(base),
            filter: None,
        }
    }

    /// `base` on one resource, named as a filter names it: `("user", "alice")`,
    /// `("server", "alice/x")`, `("group", "g1")`, `("service", "s")`. An empty kind means
    /// no filter, as in JupyterHub. `base` is a scope name (no `!`) and `kind` a filter kind
    /// (no `=`); the value may hold anything. The need is then the one [`Need::parse`] reads
    /// from `base!kind=value`.
    #[inline]
    pub fn on(base: &'a str, kind: &'a str, value: &'a str) -> Need<'a> {
        Need::on_id(base, BaseId::of(base), kind, value)
    }

    /// [`Need::on`], with the base's id already known.
    #[inline]
    pub(crate) fn on_id(base: &'a str, id: BaseId, kind: &'a str, value: &'a str) -> Need<'a> {
        debug_assert_eq!(id, BaseId::of(base));
        if kind.is_empty() {
            return Need {
                base,
                id,
                filter: None,
            };
        }
        let code = KindCode::of(kind);
        let user = match code {
            KindCode::Server => split_at_byte(value, b'/').0,
            _ => value,
        };
        Need {
            base,
            id,
            filter: Some(NeedFilter {
                kind,
                code,
                value,
                user,
            }),
        }
    }

    /// Splits a required scope as `has_scope` does (`partition("!")`, then `partition("=")`).
    /// A filter without a value (`read:users!user`) is an error: required scopes must be
    /// expanded.
    #[inline(always)]
    pub fn parse(required: &'a str) -> Result<Need<'a>, CheckError> {
        let (base, kind, value) = split_required(required)?;
        Ok(Need::on(base, kind, value))
    }

    /// The base scope's name.
    pub fn base_name(&self) -> &'a str {
        self.base
    }

    /// The requirement as a scope: `base`, or `base!kind=value`.
    pub fn to_scope(&self) -> Scope {
        let mut out = Vec::with_capacity(1);
        self.push_scope(&mut out, &mut String::new());
        out.pop().unwrap_or_else(|| Scope::lenient(self.base))
    }

    /// [`Need::to_scope`], built in place at the end of `out` (a long text in `buffer`).
    pub(crate) fn push_scope(&self, out: &mut Vec<Scope>, buffer: &mut String) {
        match self.filter {
            None => out.push(Scope::lenient(self.base)),
            Some(filter) => Scope::push_with_filter(
                out,
                buffer,
                self.base,
                self.id,
                &[filter.kind, "=", filter.value],
            ),
        }
    }
}

/// A required scope's base, filter kind and filter value, split as `has_scope` splits them
/// (`partition("!")`, then `partition("=")`); a filter without a value is an error.
#[inline(always)]
pub(crate) fn split_required(required: &str) -> Result<(&str, &str, &str), CheckError> {
    let (base, filter) = split_at_byte(required, b'!');
    let (kind, value) = split_at_byte(filter, b'=');
    if !kind.is_empty() && value.is_empty() {
        return Err(unexpanded(required));
    }
    Ok((base, kind, value))
}

/// The error for a required scope whose filter has no value; out of line, so that the
/// allocation stays off the inlined path of [`Need::parse`].
#[cold]
#[inline(never)]
fn unexpanded(required: &str) -> CheckError {
    CheckError::Unexpanded {
        scope: required.to_owned(),
    }
}

/// `text` split around the first `byte` (excluded), or all of it and `""`.
#[inline]
pub(crate) fn split_at_byte(text: &str, byte: u8) -> (&str, &str) {
    match find_byte(text.as_bytes(), byte) {
        Some(at) => (
            text.get(..at).unwrap_or_default(),
            text.get(at + 1..).unwrap_or_default(),
        ),
        None => (text, ""),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn built_needs_are_the_parsed_joined_scope(
            base in "[a-z:!]{0,12}".prop_map(|b| b.replace('!', "")),
            kind in "(user|server|group|service|x|)",
            value in "[a-z/=!]{1,8}",
        ) {
            let joined = format!("{base}!{kind}={value}");
            let built = Need::on(&base, &kind, &value);
            prop_assert_eq!(Need::parse(&joined).unwrap(), built);
            if !kind.is_empty() {
                let scope = built.to_scope();
                prop_assert_eq!(scope.as_str(), joined.as_str());
            }
        }
    }

    #[test]
    fn parsed_and_built_needs_agree() {
        for (text, base, kind, value) in [
            ("read:users!user=alice", "read:users", "user", "alice"),
            ("servers!server=alice/x", "servers", "server", "alice/x"),
            ("read:users", "read:users", "", ""),
            ("custom:x!group=g=1", "custom:x", "group", "g=1"),
        ] {
            let parsed = Need::parse(text).unwrap();
            assert_eq!(parsed, Need::on(base, kind, value), "{text}");
            assert_eq!(parsed.to_scope().as_str(), text);
        }
        assert_eq!(
            Need::on("servers", "server", "alice/x")
                .filter
                .map(|f| f.user),
            Some("alice")
        );
        assert!(Need::parse("read:users!user").is_err());
        assert_eq!(
            Need::parse("read:users!").unwrap(),
            Need::base("read:users")
        );
    }
}
