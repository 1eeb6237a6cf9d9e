//! [`Share`]: one server's permissions granted to one user or group, and the operations on it
//! (JupyterHub's `orm.Share`): [`grant`], [`revoke`], [`expand_share_scopes`].
//!
//! A share is unique per (server, recipient); the store finds the existing one and passes it
//! in, and writes back what comes out. Its scopes are always filtered to its server
//! (`base!server=owner/name`, [`crate::apply_filter`]).
//!
//! How shares enter a user's permissions (`get_scopes_for`), and which this crate leaves to
//! the crates that compute them:
//! - a **user** (cookie path, token creation) gets [`expand_share_scopes`] of every share
//!   with the user directly and of every share with each of the user's groups;
//! - a **token** is checked against its owner's scopes plus only the *raw* scopes of the
//!   shares with that owner *directly* ([`token_owner_share_scopes`]): no subscopes, no group
//!   shares (`scopes.py`, `get_scopes_for`, the `owner.shared_with_me` loop).

use scopes::{ExpandError, Expansion, OAuthClient, Scope, ScopeSet, ScopeTable};
use serde::{Deserialize, Serialize};

use crate::filter::{FilterError, apply_filter, refilter};
use crate::target::{Recipient, SharedServer};
use crate::time::Timestamp;

/// One server shared with one user or group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// The shared server.
    pub server: SharedServer,
    /// Whom it is shared with.
    pub recipient: Recipient,
    /// The scopes granted, each `base!server=owner/name`, as stored. Read them with
    /// [`Share::current_scopes`], which follows renames.
    #[serde(with = "crate::serde_scopes")]
    pub scopes: ScopeSet,
    /// When the share was first granted (kept when it is extended).
    pub created_at: Timestamp,
    /// When it expires. Always `None` for shares made by JupyterHub (its API has no expiry
    /// for shares); kept because the column exists and expired rows are left out of lists.
    pub expires_at: Option<Timestamp>,
}

impl Share {
    /// The scopes as JupyterHub 6.1.1 reads them (`_Share.scopes`): refiltered to the
    /// share's current server, so that a rename of the owner or the server carries over.
    pub fn current_scopes(&self) -> ScopeSet {
        current_scopes(&self.scopes, &self.server)
    }

    /// Rewrites the stored scopes to [`Share::current_scopes`]; whether they changed (JupyterHub
    /// then logs `Reapplying scope filters for ...` and stores the new list).
    pub fn refresh_scopes(&mut self) -> bool {
        refresh(&mut self.scopes, &self.server)
    }

    /// JupyterHub's `Expiring.expired`: `expires_at` is set and not after `now`.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// JupyterHub's log name for the share: `user:bob on alice/x`.
    pub fn log_name(&self) -> String {
        format!("{} on {}", self.recipient, self.server)
    }
}

pub(crate) fn current_scopes(scopes: &ScopeSet, server: &SharedServer) -> ScopeSet {
    refilter(scopes, server)
}

pub(crate) fn refresh(scopes: &mut ScopeSet, server: &SharedServer) -> bool {
    let filter = server.filter();
    if scopes.iter().all(|s| s.filter_text() == filter) {
        return false;
    }
    let current = refilter(&*scopes, server);
    let changed = current != *scopes;
    if changed {
        *scopes = current;
    }
    changed
}

/// Why a grant was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// A scope carries a filter other than the server's.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// The scopes were given, but none (an empty list; JupyterHub's `ValueError`).
    #[error("Must specify scopes to grant.")]
    NoScopes,
    /// The existing share passed in belongs to another server or recipient (a caller bug).
    #[error(
        "the existing share is `{found}`, not `{expected}`: pass the share of the same server \
         and recipient, or none"
    )]
    WrongShare {
        /// The share that was to be granted (`user:bob on alice/x`).
        expected: String,
        /// The share that was passed.
        found: String,
    },
}

impl GrantError {
    /// The Python exception class JupyterHub raises (`ValueError`); hubcap's own
    /// [`GrantError::WrongShare`] has none and says `ValueError` too.
    pub fn python_class(&self) -> &'static str {
        "ValueError"
    }
}

/// What a grant did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum GrantChange {
    /// There was no share: it was created (with `created_at` = now).
    Created,
    /// The existing share gained these scopes.
    Extended {
        /// The scopes that were not there before.
        added: ScopeSet,
    },
    /// The existing share already had every scope (JupyterHub logs `No new scopes for ...`).
    Unchanged,
}

/// The result of [`grant`]: the share to store, and what changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Granted {
    /// The share after the grant.
    pub share: Share,
    /// What the grant did to it.
    pub change: GrantChange,
}

/// JupyterHub's `Share.grant(db, spawner, share_with, scopes=None)`.
///
/// - `scopes: None` grants `access:servers!server=owner/name`; otherwise the scopes are
///   filtered ([`apply_filter`], which may refuse them), and an empty result is refused
///   ([`GrantError::NoScopes`]).
/// - `existing` is the share of `server` with `recipient`, if there is one. A new share gets
///   `created_at = now`; an existing one keeps its `created_at` and gains the union of its
///   scopes (read through [`Share::current_scopes`]) and the new ones.
///
/// ```
/// use scopes::Scope;
/// use sharing::{GrantChange, Recipient, SharedServer, Timestamp, grant};
/// let server = SharedServer::new("alice", "x");
/// let bob = Recipient::User("bob".into());
/// let now = Timestamp::UNIX_EPOCH;
/// let first = grant(None, &server, &bob, Some(&[Scope::lenient("servers")]), now)?;
/// assert_eq!(first.change, GrantChange::Created);
/// let again = grant(Some(first.share), &server, &bob, None, now)?;
/// assert_eq!(
///     again.share.scopes.texts().collect::<Vec<_>>(),
///     ["access:servers!server=alice/x", "servers!server=alice/x"]
/// );
/// # Ok::<(), sharing::GrantError>(())
/// ```
pub fn grant(
    existing: Option<Share>,
    server: &SharedServer,
    recipient: &Recipient,
    scopes: Option<&[Scope]>,
    now: Timestamp,
) -> Result<Granted, GrantError> {
    if let Some(share) = &existing {
        if share.server != *server || share.recipient != *recipient {
            return Err(GrantError::WrongShare {
                expected: format!("{recipient} on {server}"),
                found: share.log_name(),
            });
        }
    }
    let requested = match scopes {
        None => ScopeSet::from([server.access_scope()]),
        Some(scopes) => apply_filter(scopes, server)?,
    };
    if requested.is_empty() {
        return Err(GrantError::NoScopes);
    }
    match existing {
        Some(mut share) => {
            share.refresh_scopes();
            let added: ScopeSet = requested.difference(&share.scopes).cloned().collect();
            if added.is_empty() {
                return Ok(Granted {
                    share,
                    change: GrantChange::Unchanged,
                });
            }
            share.scopes.extend(added.iter().cloned());
            Ok(Granted {
                share,
                change: GrantChange::Extended { added },
            })
        }
        None => Ok(Granted {
            share: Share {
                server: server.clone(),
                recipient: recipient.clone(),
                scopes: requested,
                created_at: now,
                expires_at: None,
            },
            change: GrantChange::Created,
        }),
    }
}

/// The result of [`revoke`]. JupyterHub's `Share.revoke` returns the share when some scopes
/// remain and `None` otherwise; hubcap also says why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revocation {
    /// There was no share (JupyterHub: `None`, logs `No permissions to revoke from ...`).
    NoShare,
    /// The share is gone: everything was revoked, or every scope it had. The store deletes
    /// it. Holds the share as it was.
    Deleted(Share),
    /// None of the given scopes was held: the share is unchanged (JupyterHub returns it).
    Unchanged(Share),
    /// Some scopes were removed and the rest remain.
    Reduced {
        /// The share with the remaining scopes.
        share: Share,
        /// The scopes removed, in the order they were given (JupyterHub's log line).
        revoked: Vec<Scope>,
    },
}

impl Revocation {
    /// The share that remains, if any: what JupyterHub's `Share.revoke` returns.
    pub fn remaining(&self) -> Option<&Share> {
        match self {
            Revocation::NoShare | Revocation::Deleted(_) => None,
            Revocation::Unchanged(share) | Revocation::Reduced { share, .. } => Some(share),
        }
    }

    /// [`Revocation::remaining`], by value.
    pub fn into_remaining(self) -> Option<Share> {
        match self {
            Revocation::NoShare | Revocation::Deleted(_) => None,
            Revocation::Unchanged(share) | Revocation::Reduced { share, .. } => Some(share),
        }
    }
}

/// JupyterHub's `Share.revoke(db, spawner, share_with, scopes=None)` on the `existing` share.
///
/// - `scopes: None` revokes everything: the share is deleted.
/// - Otherwise the given strings are removed from the share's scopes **exactly**: no filter
///   is applied, so `access:servers` does not revoke `access:servers!server=alice/x`. An
///   empty list changes nothing. If no scope is left, the share is deleted.
///
/// (Through the REST API an empty `scopes` list means "not given", so revokes everything:
/// [`crate::ShareRequest`].)
pub fn revoke(existing: Option<Share>, scopes: Option<&[Scope]>) -> Revocation {
    let Some(mut share) = existing else {
        return Revocation::NoShare;
    };
    let Some(scopes) = scopes else {
        return Revocation::Deleted(share);
    };
    let before = share.clone();
    share.refresh_scopes();
    let held = share.scopes.clone();
    share.scopes.retain(|scope| !scopes.contains(scope));
    if share.scopes.len() == held.len() {
        Revocation::Unchanged(share)
    } else if share.scopes.is_empty() {
        Revocation::Deleted(before)
    } else {
        let revoked = scopes
            .iter()
            .filter(|scope| held.contains(scope.as_str()))
            .cloned()
            .collect();
        Revocation::Reduced { share, revoked }
    }
}

/// JupyterHub's `expand_share_scopes(share)`: the share's scopes expanded (subscopes
/// included) with the recipient as owner ([`Recipient::expansion_owner`]: a user, or none
/// for a group) and `client`, the shared server's OAuth client if it has one
/// ([`SharedServer::oauth_client`]).
///
/// Two consequences of JupyterHub's expansion that show here: `read:user*` subscopes are
/// dropped under a server filter, so a shared `read:users` grants nothing; and an unknown
/// base (a share made with `nope`) fails the expansion.
pub fn expand_share_scopes(
    table: &ScopeTable,
    share: &Share,
    client: Option<OAuthClient<'_>>,
) -> Result<Expansion, ExpandError> {
    let scopes = share.current_scopes();
    table.expand(&scopes, share.recipient.expansion_owner(), client)
}

/// What shares add to a token owner's scopes when a token is checked (`get_scopes_for` on an
/// `APIToken`): the raw current scopes of the shares with the owner directly, unexpanded.
/// Group shares are not included (a JupyterHub 6.1.1 quirk, see the module docs).
pub fn token_owner_share_scopes<'a>(direct: impl IntoIterator<Item = &'a Share>) -> ScopeSet {
    let mut out = ScopeSet::new();
    for share in direct {
        out.extend(share.current_scopes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(texts: &[&str]) -> Vec<Scope> {
        texts.iter().map(Scope::lenient).collect()
    }

    fn texts(set: &ScopeSet) -> Vec<&str> {
        set.texts().collect()
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_seconds(seconds).unwrap()
    }

    fn alice_x() -> SharedServer {
        SharedServer::new("alice", "x")
    }

    fn share(server: &str, recipient: &str, held: &[&str]) -> Share {
        Share {
            server: SharedServer::from_full_name(server).unwrap(),
            recipient: recipient.parse().unwrap(),
            scopes: held.iter().map(Scope::lenient).collect(),
            created_at: at(100),
            expires_at: None,
        }
    }

    #[test]
    fn grant_creates_a_filtered_share() {
        // FORMAT.md §5.22 example
        let bob = Recipient::User("bob".into());
        let granted = grant(
            None,
            &alice_x(),
            &bob,
            Some(&scopes(&["access:servers", "servers"])),
            at(5),
        )
        .unwrap();
        assert_eq!(granted.change, GrantChange::Created);
        assert_eq!(
            texts(&granted.share.scopes),
            ["access:servers!server=alice/x", "servers!server=alice/x"]
        );
        assert_eq!(granted.share.created_at, at(5));
        assert_eq!(granted.share.expires_at, None);
    }

    #[test]
    fn grant_without_scopes_gives_access() {
        let granted = grant(
            None,
            &SharedServer::new("alice", ""),
            &Recipient::Group("g1".into()),
            None,
            at(0),
        )
        .unwrap();
        assert_eq!(
            texts(&granted.share.scopes),
            ["access:servers!server=alice/"]
        );
    }

    #[test]
    fn grant_refuses_empty_and_badly_filtered_scopes() {
        let bob = Recipient::User("bob".into());
        let err = grant(None, &alice_x(), &bob, Some(&[]), at(0)).unwrap_err();
        assert_eq!(err, GrantError::NoScopes);
        assert_eq!(err.to_string(), "Must specify scopes to grant.");
        let err = grant(
            None,
            &alice_x(),
            &bob,
            Some(&scopes(&["servers!server=alice/"])),
            at(0),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "!server=alice/ not allowed on sharing servers!server=alice/, only !server=alice/x"
        );
        assert_eq!(err.python_class(), "ValueError");
    }

    #[test]
    fn grant_extends_and_keeps_created_at() {
        // upstream test_shares.py::test_update_share
        let existing = share("alice/", "user:carol", &["access:servers!server=alice/"]);
        let granted = grant(
            Some(existing.clone()),
            &existing.server,
            &existing.recipient,
            Some(&scopes(&["read:servers!server=alice/"])),
            at(999),
        )
        .unwrap();
        assert_eq!(
            granted.change,
            GrantChange::Extended {
                added: ScopeSet::from([Scope::lenient("read:servers!server=alice/")])
            }
        );
        assert_eq!(
            texts(&granted.share.scopes),
            ["access:servers!server=alice/", "read:servers!server=alice/"]
        );
        assert_eq!(granted.share.created_at, at(100));
        let again = grant(
            Some(granted.share.clone()),
            &existing.server,
            &existing.recipient,
            Some(&scopes(&["access:servers!server=alice/"])),
            at(1000),
        )
        .unwrap();
        assert_eq!(again.change, GrantChange::Unchanged);
        assert_eq!(again.share, granted.share);
    }

    #[test]
    fn grant_refuses_another_share() {
        let existing = share("alice/", "user:carol", &["access:servers!server=alice/"]);
        let err = grant(
            Some(existing),
            &SharedServer::new("alice", ""),
            &Recipient::User("dave".into()),
            None,
            at(0),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the existing share is `user:carol on alice/`, not `user:dave on alice/`: pass the \
             share of the same server and recipient, or none"
        );
    }

    #[test]
    fn grant_reads_scopes_through_the_rename_filter() {
        // the server was renamed from alice/x to alice2/y; the stored scopes still say alice/x
        let mut existing = share("alice2/y", "user:bob", &["servers!server=alice/x"]);
        let granted = grant(
            Some(existing.clone()),
            &existing.server,
            &existing.recipient,
            Some(&scopes(&["servers"])),
            at(0),
        )
        .unwrap();
        assert_eq!(granted.change, GrantChange::Unchanged);
        assert_eq!(texts(&granted.share.scopes), ["servers!server=alice2/y"]);
        assert!(existing.refresh_scopes());
        assert!(!existing.refresh_scopes());
    }

    fn check_revoke(before: &[&str], revoked: Option<&[&str]>, want: Option<&[&str]>) {
        let existing = share("alice/x", "user:dave", before);
        let revoked = revoked.map(scopes);
        let got = revoke(Some(existing), revoked.as_deref());
        let got: Option<Vec<String>> = got
            .remaining()
            .map(|s| s.scopes.texts().map(str::to_owned).collect());
        let want: Option<Vec<String>> = want.map(|w| w.iter().map(|s| (*s).to_owned()).collect());
        assert_eq!(got, want, "{before:?} - {revoked:?}");
    }

    #[test]
    fn revoke_removes_exact_strings() {
        let before = &[
            "access:servers!server=alice/x",
            "read:servers!server=alice/x",
        ];
        // FORMAT.md §5.25 example: a scope not held
        check_revoke(
            before,
            Some(&["admin:servers!server=alice/x"]),
            Some(before),
        );
        // unfiltered strings do not match the stored filtered scopes
        check_revoke(before, Some(&["access:servers"]), Some(before));
        check_revoke(
            before,
            Some(&["read:servers!server=alice/x", "read:servers!server=alice/"]),
            Some(&["access:servers!server=alice/x"]),
        );
        // nothing to revoke
        check_revoke(before, Some(&[]), Some(before));
        // the last scope: the share is deleted
        check_revoke(
            &["access:servers!server=alice/x"],
            Some(&["access:servers!server=alice/x", "nope"]),
            None,
        );
        check_revoke(before, None, None);
    }

    #[test]
    fn revoke_says_what_happened() {
        assert_eq!(revoke(None, None), Revocation::NoShare);
        assert_eq!(revoke(None, Some(&[])), Revocation::NoShare);
        let existing = share(
            "alice/x",
            "user:dave",
            &[
                "access:servers!server=alice/x",
                "read:servers!server=alice/x",
            ],
        );
        assert_eq!(
            revoke(Some(existing.clone()), None),
            Revocation::Deleted(existing.clone())
        );
        let got = revoke(
            Some(existing.clone()),
            Some(&scopes(&["nope", "read:servers!server=alice/x"])),
        );
        let Revocation::Reduced { share, revoked } = got else {
            panic!("expected a reduction, got {got:?}");
        };
        assert_eq!(revoked, scopes(&["read:servers!server=alice/x"]));
        assert_eq!(texts(&share.scopes), ["access:servers!server=alice/x"]);
        assert_eq!(
            revoke(Some(existing.clone()), Some(&[])),
            Revocation::Unchanged(existing)
        );
    }

    #[test]
    fn revoke_matches_against_renamed_scopes() {
        let existing = share("alice2/x", "user:dave", &["servers!server=alice/x"]);
        let stale = scopes(&["servers!server=alice/x"]);
        assert!(matches!(
            revoke(Some(existing.clone()), Some(&stale)),
            Revocation::Unchanged(_)
        ));
        let current = scopes(&["servers!server=alice2/x"]);
        assert!(matches!(
            revoke(Some(existing), Some(&current)),
            Revocation::Deleted(_)
        ));
    }

    fn expand(share: &Share, client: Option<OAuthClient<'_>>) -> Vec<String> {
        let table = ScopeTable::jupyterhub();
        let out = expand_share_scopes(&table, share, client).unwrap();
        assert!(out.warnings.is_empty());
        out.scopes.texts().map(str::to_owned).collect()
    }

    #[test]
    fn expand_share_scopes_includes_subscopes() {
        // FORMAT.md §5.23 example
        let share = share(
            "alice/x",
            "user:bob",
            &["access:servers!server=alice/x", "servers!server=alice/x"],
        );
        let server = share.server.clone();
        let client = server.oauth_client("jupyterhub-user-alice-x");
        assert_eq!(
            expand(&share, Some(client)),
            [
                "access:servers!server=alice/x",
                "delete:servers!server=alice/x",
                "read:servers!server=alice/x",
                "servers!server=alice/x",
                "start:servers!server=alice/x",
            ]
        );
        assert_eq!(expand(&share, None), expand(&share, Some(client)));
    }

    #[test]
    fn expand_share_scopes_drops_user_scopes_and_keeps_metascopes_literal() {
        let reads = share(
            "bob/",
            "user:alice",
            &["read:users!server=bob/", "users:shares!server=bob/"],
        );
        assert_eq!(expand(&reads, None), ["users:shares!server=bob/"]);
        let meta = share(
            "bob/",
            "group:g1",
            &["inherit!server=bob/", "self!server=bob/"],
        );
        assert_eq!(
            expand(&meta, None),
            ["inherit!server=bob/", "self!server=bob/"]
        );
    }

    #[test]
    fn expand_share_scopes_fails_on_an_unknown_scope() {
        let bad = share("alice/", "user:tp1", &["nope!server=alice/"]);
        let err = expand_share_scopes(&ScopeTable::jupyterhub(), &bad, None).unwrap_err();
        assert_eq!(err.to_string(), "nope");
    }

    #[test]
    fn token_owners_get_raw_direct_share_scopes() {
        let a = share("alice/x", "user:bob", &["servers!server=alice/x"]);
        let b = share("carol/", "user:bob", &["access:servers!server=carol/"]);
        assert_eq!(
            texts(&token_owner_share_scopes([&a, &b])),
            ["access:servers!server=carol/", "servers!server=alice/x"]
        );
    }

    #[test]
    fn expiry_is_at_or_before_now() {
        let mut s = share("alice/", "user:bob", &["access:servers!server=alice/"]);
        assert!(!s.is_expired(at(i64::from(i32::MAX))));
        s.expires_at = Some(at(10));
        assert!(!s.is_expired(at(9)));
        assert!(s.is_expired(at(10)));
    }

    #[test]
    fn serde_round_trips() {
        let s = share("alice/", "group:g1", &["access:servers!server=alice/"]);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "server": {"owner": "alice", "name": ""},
                "recipient": {"kind": "group", "name": "g1"},
                "scopes": ["access:servers!server=alice/"],
                "created_at": 100_000_000,
                "expires_at": null,
            })
        );
        let back: Share = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
    }
}
