//! [`Tx`]: a transaction in progress, the receiver of every operation. Each operation lives
//! in the module of its table (`users.rs`, `groups.rs`, ...) as an `impl Tx` block.
//!
//! A lookup of one row by a unique key uses `get_result`, never diesel's `first`: `first`
//! adds `LIMIT ?`, and the bundled SQLite (3.53) plans a bound `LIMIT` by its value, so it
//! compiles such a statement again every time it is bound, which defeats diesel's
//! statement cache (a user lookup took 40-50 µs instead of 8 µs at 100,000 users).

use serde_json::Value;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::conn::AnyConnection;
use crate::error::StoreError;

/// A transaction, from [`Store::read`](crate::Store::read) or
/// [`Store::write`](crate::Store::write). Operations on it see and make changes that become
/// visible to others only when the closure that received it returns `Ok`.
pub struct Tx<'c> {
    pub(crate) conn: &'c mut AnyConnection,
}

impl<'c> Tx<'c> {
    pub(crate) fn new(conn: &'c mut AnyConnection) -> Tx<'c> {
        Tx { conn }
    }
}

/// Now, in UTC, to the microsecond (what both backends store).
pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1000 * 1000)
        .unwrap_or(now)
}

/// A time as stored: naive UTC, whole microseconds (PostgreSQL's precision, kept on SQLite
/// too so that both backends hold the same values).
pub(crate) fn to_db(t: OffsetDateTime) -> PrimitiveDateTime {
    let t = t.to_offset(UtcOffset::UTC);
    let t = t
        .replace_nanosecond(t.nanosecond() / 1000 * 1000)
        .unwrap_or(t);
    PrimitiveDateTime::new(t.date(), t.time())
}

/// A stored time, read back as UTC.
pub(crate) fn from_db(t: PrimitiveDateTime) -> OffsetDateTime {
    t.assume_utc()
}

pub(crate) fn opt_from_db(t: Option<PrimitiveDateTime>) -> Option<OffsetDateTime> {
    t.map(from_db)
}

/// Reads a JSON text column; a row that does not parse is [`StoreError::Corrupt`].
pub(crate) fn parse_json(
    table: &'static str,
    column: &'static str,
    id: i64,
    text: &str,
) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|err| StoreError::Corrupt {
        table,
        column,
        id,
        reason: err.to_string(),
    })
}

pub(crate) fn parse_opt_json(
    table: &'static str,
    column: &'static str,
    id: i64,
    text: Option<&str>,
) -> Result<Option<Value>, StoreError> {
    text.map(|t| parse_json(table, column, id, t)).transpose()
}

/// Reads a JSON list of strings (scopes).
pub(crate) fn parse_strings(
    table: &'static str,
    column: &'static str,
    id: i64,
    text: &str,
) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|err| StoreError::Corrupt {
        table,
        column,
        id,
        reason: err.to_string(),
    })
}

/// Writes a list of strings as a JSON list.
pub(crate) fn strings_json(list: &[String]) -> String {
    Value::from(list.to_vec()).to_string()
}
