//! The server filter of shares and share codes: JupyterHub's `_Share._apply_filter`.
//!
//! Every scope of a share is filtered to the shared server, `base!server=owner/name`:
//! - an unfiltered scope (or one with an empty filter, `base!`) gets the server filter;
//! - a scope that already has exactly that filter is kept;
//! - any other filter is refused ([`FilterError`]): another server, a bare `!server`, a user
//!   or group filter, even the owner's own `!user=owner`.
//!
//! Nothing else is checked here: neither whether the base exists (`nope` becomes
//! `nope!server=alice/`), nor whether it makes sense on a server (`self`, `inherit`,
//! `read:users`). Existence is checked on the REST request body ([`crate::ShareRequest`]).
//!
//! [`refilter`] is the unchecked form (`check=False`) that JupyterHub 6.1.1 applies every time
//! it reads a share's scopes, so that shares follow renames of their user and server.

use scopes::{FilterKind, Scope, ScopeSet};

use crate::target::SharedServer;

/// A scope whose filter may not be shared (JupyterHub's `ValueError`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("!{filter} not allowed on sharing {scope}, only !{allowed}")]
pub struct FilterError {
    /// The offending scope, as given.
    pub scope: String,
    /// Its filter (the text after the first `!`).
    pub filter: String,
    /// The only filter allowed: `server=owner/name`.
    pub allowed: String,
}

impl FilterError {
    /// The Python exception class JupyterHub raises: `ValueError`.
    pub fn python_class(&self) -> &'static str {
        "ValueError"
    }

    /// hubcap's fix beside JupyterHub's message.
    pub fn help(&self) -> String {
        let base = Scope::lenient(&self.scope);
        format!(
            "share `{}` (the server filter is added for you) or `{}!{}`",
            base.base(),
            base.base(),
            self.allowed
        )
    }
}

/// JupyterHub's `Share.apply_filter(scopes, spawner)` (`check=True`): the scopes as a set, each
/// filtered to `server`.
///
/// When several scopes are refused, JupyterHub reports whichever its `frozenset` yields first
/// (an order that depends on Python's string hashing); hubcap reports the first in code-point
/// order.
///
/// ```
/// use scopes::Scope;
/// use sharing::{SharedServer, apply_filter};
/// let server = SharedServer::new("alice", "x");
/// let scopes = [Scope::lenient("access:servers"), Scope::lenient("read:servers!server=alice/x")];
/// let filtered = apply_filter(&scopes, &server)?;
/// assert_eq!(
///     filtered.texts().collect::<Vec<_>>(),
///     ["access:servers!server=alice/x", "read:servers!server=alice/x"]
/// );
/// let err = apply_filter(&[Scope::lenient("servers!user=alice")], &server).unwrap_err();
/// assert_eq!(err.to_string(), "!user=alice not allowed on sharing servers!user=alice, only !server=alice/x");
/// # Ok::<(), sharing::FilterError>(())
/// ```
pub fn apply_filter<'a>(
    scopes: impl IntoIterator<Item = &'a Scope>,
    server: &SharedServer,
) -> Result<ScopeSet, FilterError> {
    let allowed = server.filter();
    let given: ScopeSet = scopes.into_iter().cloned().collect();
    if let Some(bad) = given
        .iter()
        .find(|scope| !scope.filter_text().is_empty() && scope.filter_text() != allowed)
    {
        return Err(FilterError {
            scope: bad.as_str().to_owned(),
            filter: bad.filter_text().to_owned(),
            allowed,
        });
    }
    Ok(refilter(&given, server))
}

/// `_apply_filter(..., check=False)`: every scope's filter, whatever it was, replaced by the
/// server filter. This is what JupyterHub 6.1.1 does on every read of a share's or share
/// code's scopes, so that a share follows renames of its owner and server.
pub fn refilter<'a>(
    scopes: impl IntoIterator<Item = &'a Scope>,
    server: &SharedServer,
) -> ScopeSet {
    let full_name = server.full_name();
    let filter = server.filter();
    scopes
        .into_iter()
        .map(|scope| match scope.filter_text() == filter {
            // Already filtered to this server (the usual case): keep it as it is.
            true => scope.clone(),
            false => Scope::filtered(scope.base(), FilterKind::Server, &full_name),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(scopes: &[&str], server: &str, want: Result<&[&str], &str>) {
        let server = SharedServer::from_full_name(server).unwrap();
        let scopes: Vec<Scope> = scopes.iter().map(Scope::lenient).collect();
        let got = apply_filter(&scopes, &server);
        match want {
            Ok(want) => {
                let got = got.unwrap();
                assert_eq!(got.texts().collect::<Vec<_>>(), want);
            }
            Err(message) => {
                let err = got.unwrap_err();
                assert_eq!(err.to_string(), message);
                assert_eq!(err.python_class(), "ValueError");
            }
        }
    }

    #[test]
    fn unfiltered_and_matching_scopes_are_filtered_to_the_server() {
        check(
            &["access:servers"],
            "alice/x",
            Ok(&["access:servers!server=alice/x"]),
        );
        check(
            &["access:servers", "access:servers!server=alice/x"],
            "alice/x",
            Ok(&["access:servers!server=alice/x"]),
        );
        check(&[], "alice/", Ok(&[]));
    }

    #[test]
    fn an_empty_filter_counts_as_none() {
        check(
            &["read:users!"],
            "alice/",
            Ok(&["read:users!server=alice/"]),
        );
    }

    #[test]
    fn existence_is_not_checked() {
        check(
            &["nope", "all", "self", "inherit", ""],
            "bob/",
            Ok(&[
                "!server=bob/",
                "all!server=bob/",
                "inherit!server=bob/",
                "nope!server=bob/",
                "self!server=bob/",
            ]),
        );
        check(&["!server=alice/"], "alice/", Ok(&["!server=alice/"]));
    }

    #[test]
    fn other_filters_are_refused_with_jupyterhubs_message() {
        check(
            &["access:servers!server=alice/"],
            "alice/x",
            Err(
                "!server=alice/ not allowed on sharing access:servers!server=alice/, only !server=alice/x",
            ),
        );
        check(
            &["access:servers!server"],
            "alice/x",
            Err("!server not allowed on sharing access:servers!server, only !server=alice/x"),
        );
        check(
            &["read:servers!user=alice"],
            "alice/x",
            Err("!user=alice not allowed on sharing read:servers!user=alice, only !server=alice/x"),
        );
        check(
            &["read:servers!server=alice/x!y"],
            "alice/x",
            Err(
                "!server=alice/x!y not allowed on sharing read:servers!server=alice/x!y, only !server=alice/x",
            ),
        );
        check(
            &["access:servers!server=bob"],
            "bob/",
            Err("!server=bob not allowed on sharing access:servers!server=bob, only !server=bob/"),
        );
    }

    #[test]
    fn the_first_refused_scope_in_code_point_order_is_reported() {
        check(
            &["servers!user=b", "access:servers!user=a"],
            "alice/",
            Err("!user=a not allowed on sharing access:servers!user=a, only !server=alice/"),
        );
    }

    #[test]
    fn help_names_the_fix() {
        let err = apply_filter(
            &[Scope::lenient("servers!user=alice")],
            &SharedServer::new("alice", "x"),
        )
        .unwrap_err();
        assert_eq!(
            err.help(),
            "share `servers` (the server filter is added for you) or `servers!server=alice/x`"
        );
    }

    #[test]
    fn refilter_replaces_any_filter() {
        let server = SharedServer::new("alice2", "y");
        let scopes = [
            Scope::lenient("access:servers!server=alice/x"),
            Scope::lenient("read:servers!user=zed"),
            Scope::lenient("servers"),
        ];
        assert_eq!(
            refilter(&scopes, &server).texts().collect::<Vec<_>>(),
            [
                "access:servers!server=alice2/y",
                "read:servers!server=alice2/y",
                "servers!server=alice2/y"
            ]
        );
    }
}
