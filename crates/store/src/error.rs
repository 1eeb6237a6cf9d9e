//! [`StoreError`]: everything that can go wrong in the store, in words a person can act on.
//!
//! Database errors are classified where they are caught: a unique violation becomes
//! [`StoreError::AlreadyExists`] with the kind and name that collided, a locked SQLite file
//! becomes [`StoreError::Busy`]; raw SQL text never reaches a caller except inside
//! [`StoreError::Database`], the last resort.

use std::fmt;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// The kinds of things the store keeps, as named in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A user (`users`).
    User,
    /// A group (`groups`).
    Group,
    /// A role (`roles`).
    Role,
    /// A service (`services`).
    Service,
    /// A user's server (`spawners`).
    Server,
    /// An API token (`api_tokens`).
    Token,
    /// An OAuth client (`oauth_clients`).
    OAuthClient,
    /// An OAuth authorization code (`oauth_codes`).
    OAuthCode,
    /// A share (`shares`).
    Share,
    /// A share code (`share_codes`).
    ShareCode,
}

impl Kind {
    /// The word used in messages: `user`, `oauth client`, `share code`...
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Role => "role",
            Kind::Service => "service",
            Kind::Server => "server",
            Kind::Token => "token",
            Kind::OAuthClient => "oauth client",
            Kind::OAuthCode => "oauth code",
            Kind::Share => "share",
            Kind::ShareCode => "share code",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a name or another input was refused before it reached the database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidInput {
    /// Empty where a value is required.
    #[error("{what} must not be empty")]
    Empty {
        /// What was empty (`user name`, `server name`...).
        what: &'static str,
    },
    /// Longer than its column allows (counted in characters, as PostgreSQL counts them).
    #[error("{what} `{value}` is {len} characters long, more than the {max} allowed")]
    TooLong {
        /// What was too long.
        what: &'static str,
        /// The value (cut to its first 64 characters).
        value: String,
        /// Its length in characters.
        len: usize,
        /// The most allowed.
        max: usize,
    },
    /// A name JupyterHub refuses, with JupyterHub's reason.
    #[error("{what} `{value}` is not allowed: {reason}")]
    Refused {
        /// What was refused.
        what: &'static str,
        /// The value (cut to its first 64 characters).
        value: String,
        /// Why, in JupyterHub's terms.
        reason: &'static str,
    },
    /// A role name outside JupyterHub's pattern.
    #[error(transparent)]
    RoleName(#[from] roles::InvalidRoleName),
    /// A value that should have been JSON of some shape, and was not.
    #[error("{what} must be {expected}")]
    Json {
        /// What was wrong.
        what: &'static str,
        /// What it must be (`a JSON object`).
        expected: &'static str,
    },
}

/// Why PostgreSQL rolled back a transaction that conflicted with concurrent ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConflictReason {
    /// Serialization failure (SQLSTATE 40001): the transaction read or wrote rows that a
    /// concurrent one changed, so it could not appear to run before or after it.
    Serialization,
    /// Deadlock (SQLSTATE 40P01): it waited for locks held by a transaction that waited for
    /// its own, and PostgreSQL chose it to give way.
    Deadlock,
}

impl fmt::Display for ConflictReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConflictReason::Serialization => "serialization failure",
            ConflictReason::Deadlock => "deadlock",
        })
    }
}

/// [`StoreError::Conflict`]'s message: what happened, that nothing was written, what to do.
fn conflict_message(reason: ConflictReason, attempts: u32) -> String {
    if attempts > 1 {
        format!(
            "the transaction conflicted with concurrent ones ({reason}) on each of {attempts} \
             attempts and was rolled back each time; nothing of it was written: run it again \
             later, or make concurrent transactions on the same rows fewer or shorter"
        )
    } else {
        format!(
            "the transaction conflicted with a concurrent one ({reason}) and was rolled back; \
             nothing of it was written: run it again (Store::write_retrying does so by itself)"
        )
    }
}

/// An error of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Something with this name exists already (a unique constraint said no).
    #[error("{kind} `{name}` already exists")]
    AlreadyExists {
        /// What kind of thing.
        kind: Kind,
        /// Its name (for a share: `user:bob on alice/x`).
        name: String,
    },
    /// Nothing of this kind has this name or id.
    #[error("{kind} `{name}` not found")]
    NotFound {
        /// What kind of thing.
        kind: Kind,
        /// The name or id that was looked for.
        name: String,
    },
    /// Input refused before it reached the database.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// The database URL could not be understood.
    #[error(
        "database url `{url}` is not understood: {reason}\nhelp: use `sqlite:///relative.sqlite`, `sqlite:////absolute/path.sqlite`, a file path, or `postgresql://user@host:port/db`"
    )]
    BadUrl {
        /// The URL, password removed.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The database could not be reached or opened.
    #[error("cannot connect to the database at `{url}`: {reason}")]
    Connect {
        /// The URL, password removed.
        url: String,
        /// The driver's reason.
        reason: String,
    },
    /// A SQLite file stayed locked by another writer for longer than the busy timeout.
    #[error(
        "the database is busy (locked by another writer) and stayed so for the busy timeout; try again, or raise the busy timeout"
    )]
    Busy,
    /// PostgreSQL rolled the transaction back because it conflicted with concurrent ones:
    /// a serialization failure (SQLSTATE 40001) or a deadlock (40P01). Nothing of it was
    /// written; running it again may succeed. [`Store::write_retrying`] does so itself
    /// (bounded, with backoff); this is what it returns when every attempt conflicted.
    ///
    /// [`Store::write_retrying`]: crate::Store::write_retrying
    #[error("{}", conflict_message(*.reason, *.attempts))]
    Conflict {
        /// What PostgreSQL reported.
        reason: ConflictReason,
        /// How many times the transaction ran (1 unless it was retried).
        attempts: u32,
    },
    /// Applying the schema migrations failed; the database is left at the last version that
    /// applied completely.
    #[error("cannot bring the database schema up to date: {reason}")]
    Migration {
        /// The migration harness's reason.
        reason: String,
    },
    /// A row holds something this version of hubcap cannot read (hand-edited or corrupted).
    #[error("{table} row {id} has an unreadable `{column}`: {reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// The row's id.
        id: i64,
        /// What is wrong.
        reason: String,
    },
    /// The operating system gave no randomness (for a new cookie id).
    #[error("no randomness available for a new cookie id: {reason}")]
    Random {
        /// The operating system's reason.
        reason: String,
    },
    /// No connection could be had from the pool in time.
    #[error("no database connection available: {reason}")]
    Pool {
        /// The pool's reason.
        reason: String,
    },
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] DieselError),
}

impl StoreError {
    /// The error for `kind` `name` that collided with an existing row, if `err` is a unique
    /// violation; otherwise the error as it is.
    pub(crate) fn unique(
        kind: Kind,
        name: impl Into<String>,
    ) -> impl FnOnce(StoreError) -> StoreError {
        move |err| match err {
            StoreError::Database(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                _,
            )) => StoreError::AlreadyExists {
                kind,
                name: name.into(),
            },
            other => other,
        }
    }

    pub(crate) fn not_found(kind: Kind, name: impl fmt::Display) -> StoreError {
        StoreError::NotFound {
            kind,
            name: name.to_string(),
        }
    }

    /// Whether the database could not do it now because of other transactions: locked
    /// ([`StoreError::Busy`]) or in conflict with them ([`StoreError::Conflict`]). Nothing
    /// was written, and running the transaction again may succeed.
    #[must_use]
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Busy | StoreError::Conflict { .. })
    }
}

impl From<DieselError> for StoreError {
    fn from(err: DieselError) -> StoreError {
        if let DieselError::DatabaseError(kind, info) = &err {
            let message = info.message();
            let conflict = |reason| StoreError::Conflict {
                reason,
                attempts: 1,
            };
            if let DatabaseErrorKind::SerializationFailure = kind {
                return conflict(ConflictReason::Serialization);
            }
            // diesel does not classify 40P01 and gives no SQLSTATE: PostgreSQL's message
            // (in English, its default `lc_messages`) is all there is to go by.
            if message.starts_with("deadlock detected") {
                return conflict(ConflictReason::Deadlock);
            }
            // SQLite's SQLITE_BUSY / SQLITE_LOCKED, which diesel does not classify.
            if message.contains("database is locked")
                || message.contains("database table is locked")
            {
                return StoreError::Busy;
            }
        }
        StoreError::Database(err)
    }
}

/// The first 64 characters of `value`, for messages.
pub(crate) fn shown(value: &str) -> String {
    match value.char_indices().nth(64) {
        Some((end, _)) => format!("{}...", value.get(..end).unwrap_or(value)),
        None => value.to_owned(),
    }
}
