//! [`ShareCode`]: a secret that anyone who holds it can exchange for a share of one server
//! (JupyterHub's `orm.ShareCode`).
//!
//! The secret itself never enters this crate's values: the caller generates it (JupyterHub:
//! `secrets.token_urlsafe(32)`, 43 characters), hashes it (the `tokens` crate), and passes
//! the [`CodeIdentity`] (database id, lookup prefix, hash). What this crate decides is
//! everything else: the scopes (filtered like a share's), the lifetime, expiry, and what an
//! exchange grants and records.
//!
//! Codes are multi-use: every exchange before expiry grants (or re-grants) the code's scopes
//! to the recipient and is counted, even when it changes nothing.

use scopes::{Scope, ScopeSet};
use serde::{Deserialize, Serialize};

use crate::filter::{FilterError, apply_filter};
use crate::share::{GrantError, Granted, Share, current_scopes, grant, refresh};
use crate::target::{Recipient, SharedServer};
use crate::time::{MICROS_PER_SECOND, Timestamp};

/// The lifetime of a code when none is given (`ShareCode.default_expires_in`): one day.
pub const DEFAULT_EXPIRES_IN: i64 = 86_400;
/// How many leading characters of the code are stored in clear for lookup
/// (`Hashed.prefix_length`).
pub const CODE_PREFIX_LENGTH: usize = 4;

/// The stored lookup prefix of a code: its first [`CODE_PREFIX_LENGTH`] characters (Python
/// slicing counts characters, not bytes).
pub fn code_prefix(code: &str) -> &str {
    match code.char_indices().nth(CODE_PREFIX_LENGTH) {
        Some((end, _)) => code.get(..end).unwrap_or(code),
        None => code,
    }
}

/// What identifies a code in storage, supplied by the caller: the database id (the API shows
/// it as `sc_ID`), the lookup prefix and the hash of the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeIdentity {
    /// The database id.
    pub id: u64,
    /// The first characters of the code ([`code_prefix`]).
    pub prefix: String,
    /// The hash of the code, in whatever form the store keeps it.
    pub hashed: String,
}

impl CodeIdentity {
    /// The identity of `code` with database id `id` and hash `hashed`.
    pub fn new(id: u64, code: &str, hashed: impl Into<String>) -> CodeIdentity {
        CodeIdentity {
            id,
            prefix: code_prefix(code).to_owned(),
            hashed: hashed.into(),
        }
    }
}

/// A share code as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareCode {
    /// The database id (`sc_ID` in the API).
    pub id: u64,
    /// The server the code shares.
    pub server: SharedServer,
    /// The scopes an exchange grants, each `base!server=owner/name`. Read them with
    /// [`ShareCode::current_scopes`], which follows renames.
    #[serde(with = "crate::serde_scopes")]
    pub scopes: ScopeSet,
    /// The first characters of the code, for lookup.
    pub prefix: String,
    /// The hash of the code.
    pub hashed: String,
    /// When the code was made.
    pub created_at: Timestamp,
    /// When it expires; `None` never (JupyterHub only leaves it unset for codes made outside
    /// `ShareCode.new`).
    pub expires_at: Option<Timestamp>,
    /// How many times it was exchanged.
    pub exchange_count: u64,
    /// When it was last exchanged.
    pub last_exchanged_at: Option<Timestamp>,
}

/// A lifetime that Python's `datetime` arithmetic cannot represent (JupyterHub raises
/// `OverflowError`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LifetimeError {
    /// `timedelta(seconds=...)` is more than 999999999 days.
    #[error("days={days}; must have magnitude <= 999999999")]
    TooManyDays {
        /// The whole days of the lifetime (rounded down).
        days: i64,
    },
    /// `now + lifetime` falls outside years 1 to 9999.
    #[error("date value out of range")]
    DateOutOfRange,
}

/// Why a code could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// A scope carries a filter other than the server's.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// The lifetime overflows.
    #[error(transparent)]
    Lifetime(#[from] LifetimeError),
}

impl CodeError {
    /// The Python exception class JupyterHub raises: `ValueError` or `OverflowError`.
    pub fn python_class(&self) -> &'static str {
        match self {
            CodeError::Filter(_) => "ValueError",
            CodeError::Lifetime(_) => "OverflowError",
        }
    }
}

/// Why an exchange failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    /// The code has expired. JupyterHub deletes the code before raising this; so must the
    /// caller.
    #[error("Share code {prefix}... expired")]
    Expired {
        /// The code's stored prefix.
        prefix: String,
    },
    /// The grant failed: a code with no scopes (made outside the API) grants nothing, and
    /// JupyterHub's `Share.grant` refuses that; or the caller passed another share.
    #[error(transparent)]
    Grant(#[from] GrantError),
}

impl ExchangeError {
    /// The Python exception class JupyterHub raises: `ValueError`.
    pub fn python_class(&self) -> &'static str {
        "ValueError"
    }

    /// Whether the caller must delete the code (it expired).
    pub fn deletes_code(&self) -> bool {
        matches!(self, ExchangeError::Expired { .. })
    }
}

/// The lifetime `ShareCode.new` gives a code: `expires_in` seconds, or
/// [`DEFAULT_EXPIRES_IN`] when it is `None` **or zero** (`if not expires_in`). Negative
/// values are taken as they are (the code is born expired); the REST API allows only
/// 60..=31536000 ([`crate::ShareCodeRequest`]).
pub fn code_lifetime(expires_in: Option<i64>) -> i64 {
    match expires_in {
        None | Some(0) => DEFAULT_EXPIRES_IN,
        Some(seconds) => seconds,
    }
}

/// Python's limit on `timedelta` days.
const MAX_TIMEDELTA_DAYS: i64 = 999_999_999;

fn expiry(now: Timestamp, seconds: i64) -> Result<Timestamp, LifetimeError> {
    let days = seconds.div_euclid(86_400);
    if days.abs() > MAX_TIMEDELTA_DAYS {
        return Err(LifetimeError::TooManyDays { days });
    }
    now.checked_add_seconds(seconds)
        .ok_or(LifetimeError::DateOutOfRange)
}

impl ShareCode {
    /// JupyterHub's `ShareCode.new(db, spawner, scopes=..., expires_in=...)`: the scopes
    /// filtered to `server` ([`apply_filter`], which may refuse them; an empty list makes a
    /// code without scopes, which JupyterHub allows and no exchange can use), the expiry
    /// `now + code_lifetime(expires_in)`, no exchanges yet.
    ///
    /// JupyterHub sets `created_at` when the row is inserted, a moment after it computed
    /// `expires_at`; here both use `now`.
    pub fn create<'a>(
        server: SharedServer,
        scopes: impl IntoIterator<Item = &'a Scope>,
        expires_in: Option<i64>,
        now: Timestamp,
        identity: CodeIdentity,
    ) -> Result<ShareCode, CodeError> {
        let scopes = apply_filter(scopes, &server)?;
        let expires_at = expiry(now, code_lifetime(expires_in))?;
        Ok(ShareCode {
            id: identity.id,
            server,
            scopes,
            prefix: identity.prefix,
            hashed: identity.hashed,
            created_at: now,
            expires_at: Some(expires_at),
            exchange_count: 0,
            last_exchanged_at: None,
        })
    }

    /// The id the REST API shows: `sc_ID`.
    pub fn api_id(&self) -> String {
        format!("sc_{}", self.id)
    }

    /// The scopes as JupyterHub 6.1.1 reads them: refiltered to the current server.
    pub fn current_scopes(&self) -> ScopeSet {
        current_scopes(&self.scopes, &self.server)
    }

    /// Rewrites the stored scopes to [`ShareCode::current_scopes`]; whether they changed.
    pub fn refresh_scopes(&mut self) -> bool {
        refresh(&mut self.scopes, &self.server)
    }

    /// JupyterHub's `Expiring.expires_in`: microseconds left (negative once past), `None`
    /// for a code that never expires.
    pub fn expires_in_micros(&self, now: Timestamp) -> Option<i64> {
        self.expires_at.map(|at| at.micros_since(now))
    }

    /// Whether the code has expired: `expires_at <= now` (`Expiring.expired`). Expired codes
    /// are left out of lists and refuse exchange.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Whether a lookup by code at `now` may find it (`Hashed.find_prefix`:
    /// `expires_at >= now`). Note the boundary: at exactly `expires_at` the code is found and
    /// is [expired](ShareCode::is_expired), so its exchange fails.
    pub fn is_findable(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|at| at >= now)
    }

    /// The whole lifetime left, in seconds rounded to minutes as the conformance vectors
    /// record it (`round((expires_at - now) / 60 s) * 60`, ties to even as Python rounds).
    pub fn expires_in_minutes_as_seconds(&self, now: Timestamp) -> Option<i64> {
        let micros = self.expires_in_micros(now)?;
        let minute = 60 * MICROS_PER_SECOND;
        let (quotient, remainder) = (micros.div_euclid(minute), micros.rem_euclid(minute));
        let rounded = match (2 * remainder).cmp(&minute) {
            std::cmp::Ordering::Less => quotient,
            std::cmp::Ordering::Greater => quotient + 1,
            std::cmp::Ordering::Equal => quotient + quotient.rem_euclid(2),
        };
        Some(rounded * 60)
    }

    /// JupyterHub's `ShareCode.exchange(share_with)`: if the code has expired, fails with
    /// [`ExchangeError::Expired`] (and the caller deletes the code); otherwise grants the
    /// code's scopes to `recipient` ([`grant`] with `existing`, the recipient's share of this
    /// server if any), counts the exchange and records `now` as `last_exchanged_at`. An
    /// exchange that changes nothing is counted too.
    pub fn exchange(
        &mut self,
        existing: Option<Share>,
        recipient: &Recipient,
        now: Timestamp,
    ) -> Result<Granted, ExchangeError> {
        if self.is_expired(now) {
            return Err(ExchangeError::Expired {
                prefix: self.prefix.clone(),
            });
        }
        self.refresh_scopes();
        let granted = grant(
            existing,
            &self.server,
            recipient,
            Some(self.scopes.as_slice()),
            now,
        )?;
        self.exchange_count = self.exchange_count.saturating_add(1);
        self.last_exchanged_at = Some(now);
        Ok(granted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::GrantChange;

    const CODE: &str = "69KNWCjbGQA3ncpAKE9trgvRzLyKptafKAm3k0fL7-w";

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_seconds(seconds).unwrap()
    }

    fn scopes(texts: &[&str]) -> Vec<Scope> {
        texts.iter().map(Scope::lenient).collect()
    }

    fn new_code(server: &str, texts: &[&str], expires_in: Option<i64>, now: i64) -> ShareCode {
        ShareCode::create(
            SharedServer::from_full_name(server).unwrap(),
            &scopes(texts),
            expires_in,
            at(now),
            CodeIdentity::new(1, CODE, "hash"),
        )
        .unwrap()
    }

    #[test]
    fn prefix_is_four_characters() {
        assert_eq!(code_prefix(CODE), "69KN");
        assert_eq!(code_prefix("abc"), "abc");
        assert_eq!(code_prefix("éüöäx"), "éüöä");
        assert_eq!(CodeIdentity::new(3, CODE, "h").prefix, "69KN");
    }

    #[test]
    fn create_filters_and_sets_the_lifetime() {
        // FORMAT.md §5.26 example
        let code = new_code("alice/x", &["access:servers"], None, 1000);
        assert_eq!(
            code.scopes.texts().collect::<Vec<_>>(),
            ["access:servers!server=alice/x"]
        );
        assert_eq!(code.expires_at, Some(at(1000 + 86_400)));
        assert_eq!(code.expires_in_minutes_as_seconds(at(1000)), Some(86_400));
        assert_eq!(code.created_at, at(1000));
        assert_eq!(code.exchange_count, 0);
        assert_eq!(code.last_exchanged_at, None);
        assert_eq!(code.api_id(), "sc_1");
        assert_eq!(code.prefix, "69KN");
    }

    #[test]
    fn zero_lifetime_means_the_default() {
        assert_eq!(code_lifetime(Some(0)), DEFAULT_EXPIRES_IN);
        assert_eq!(code_lifetime(None), DEFAULT_EXPIRES_IN);
        assert_eq!(code_lifetime(Some(-5)), -5);
        assert_eq!(code_lifetime(Some(60)), 60);
        let code = new_code("alice/x", &["access:servers"], Some(0), 0);
        assert_eq!(code.expires_at, Some(at(86_400)));
        let born_expired = new_code("alice/x", &["access:servers"], Some(-5), 0);
        assert!(born_expired.is_expired(at(0)));
    }

    #[test]
    fn lifetimes_overflow_like_python() {
        let make = |expires_in| {
            ShareCode::create(
                SharedServer::new("a", ""),
                &[],
                Some(expires_in),
                at(0),
                CodeIdentity::new(1, CODE, "h"),
            )
        };
        let err = make(1_000_000_000 * 86_400).unwrap_err();
        assert_eq!(
            err.to_string(),
            "days=1000000000; must have magnitude <= 999999999"
        );
        assert_eq!(err.python_class(), "OverflowError");
        let err = make(-999_999_999 * 86_400 - 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "days=-1000000000; must have magnitude <= 999999999"
        );
        let err = make(999_999_999 * 86_400).unwrap_err();
        assert_eq!(err.to_string(), "date value out of range");
        // 10**9 seconds is fine
        assert!(make(1_000_000_000).is_ok());
    }

    #[test]
    fn create_refuses_bad_filters_first() {
        let err = ShareCode::create(
            SharedServer::new("alice", ""),
            &scopes(&["read:servers!server=other/"]),
            Some(i64::MAX),
            at(0),
            CodeIdentity::new(1, CODE, "h"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "!server=other/ not allowed on sharing read:servers!server=other/, only !server=alice/"
        );
        assert_eq!(err.python_class(), "ValueError");
    }

    #[test]
    fn expiry_boundaries() {
        let code = new_code("alice/", &["access:servers"], Some(60), 0);
        assert!(!code.is_expired(at(59)));
        assert!(code.is_expired(at(60)));
        assert!(code.is_findable(at(60)));
        assert!(!code.is_findable(at(61)));
        let mut forever = code.clone();
        forever.expires_at = None;
        assert!(!forever.is_expired(at(i64::from(i32::MAX))));
        assert!(forever.is_findable(at(i64::from(i32::MAX))));
        assert_eq!(forever.expires_in_micros(at(0)), None);
    }

    #[test]
    fn minutes_round_half_to_even() {
        let mut code = new_code("alice/", &["access:servers"], Some(90), 0);
        assert_eq!(code.expires_in_minutes_as_seconds(at(0)), Some(120));
        code.expires_at = Some(at(150));
        assert_eq!(code.expires_in_minutes_as_seconds(at(0)), Some(120));
        code.expires_at = Some(at(100));
        assert_eq!(code.expires_in_minutes_as_seconds(at(0)), Some(120));
        assert_eq!(code.expires_in_minutes_as_seconds(at(200)), Some(-120));
    }

    #[test]
    fn exchange_grants_and_counts_every_time() {
        // FORMAT.md §5.27 example: two exchanges by erin, one share
        let mut code = new_code("alice/x", &["access:servers"], None, 0);
        let erin = Recipient::User("erin".into());
        let first = code.exchange(None, &erin, at(10)).unwrap();
        assert_eq!(first.change, GrantChange::Created);
        assert_eq!(
            first.share.scopes.texts().collect::<Vec<_>>(),
            ["access:servers!server=alice/x"]
        );
        let second = code
            .exchange(Some(first.share.clone()), &erin, at(20))
            .unwrap();
        assert_eq!(second.change, GrantChange::Unchanged);
        assert_eq!(second.share, first.share);
        assert_eq!(code.exchange_count, 2);
        assert_eq!(code.last_exchanged_at, Some(at(20)));
    }

    #[test]
    fn exchange_extends_an_existing_share() {
        let mut code = new_code("alice/", &["read:servers", "access:servers"], None, 0);
        let bob = Recipient::User("bob".into());
        let existing = grant(None, &code.server, &bob, Some(&scopes(&["servers"])), at(1))
            .unwrap()
            .share;
        let got = code.exchange(Some(existing), &bob, at(5)).unwrap();
        assert_eq!(
            got.share.scopes.texts().collect::<Vec<_>>(),
            [
                "access:servers!server=alice/",
                "read:servers!server=alice/",
                "servers!server=alice/"
            ]
        );
        assert_eq!(got.share.created_at, at(1));
    }

    #[test]
    fn expired_exchange_fails_and_deletes() {
        let mut code = new_code("alice/", &["access:servers"], None, 0);
        let err = code
            .exchange(None, &Recipient::User("bob".into()), at(86_400))
            .unwrap_err();
        assert_eq!(err.to_string(), "Share code 69KN... expired");
        assert!(err.deletes_code());
        assert_eq!(err.python_class(), "ValueError");
        assert_eq!(code.exchange_count, 0);
    }

    #[test]
    fn a_code_without_scopes_cannot_be_exchanged() {
        let mut code = new_code("alice/", &[], None, 0);
        let err = code
            .exchange(None, &Recipient::Group("g".into()), at(1))
            .unwrap_err();
        assert_eq!(err.to_string(), "Must specify scopes to grant.");
        assert!(!err.deletes_code());
        assert_eq!(code.exchange_count, 0);
        assert_eq!(code.last_exchanged_at, None);
    }

    #[test]
    fn exchange_follows_renames() {
        let mut code = new_code("alice/", &["access:servers"], None, 0);
        code.server = SharedServer::new("alice2", "");
        let got = code
            .exchange(None, &Recipient::User("bob".into()), at(1))
            .unwrap();
        assert_eq!(
            got.share.scopes.texts().collect::<Vec<_>>(),
            ["access:servers!server=alice2/"]
        );
        assert_eq!(
            code.scopes.texts().collect::<Vec<_>>(),
            ["access:servers!server=alice2/"]
        );
    }
}
