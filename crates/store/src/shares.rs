//! Shares (`shares`) and share codes (`share_codes`), as the `sharing` crate's values.
//!
//! The `sharing` crate decides (grant, revoke, exchange); the store finds what it needs to
//! decide on and writes back what it decided. A share is unique per (server, recipient).

use diesel::prelude::*;
use scopes::{Scope, ScopeSet};
use sharing::{Recipient, Share, ShareCode, SharedServer, Timestamp};
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::conn::on_backend;
use crate::error::{Kind, StoreError};
use crate::groups::user_groups_query;
use crate::schema::{groups, share_codes, shares, spawners, users};
use crate::tx::{Tx, from_db, parse_strings, strings_json, to_db};

/// A share as stored: its id and the `sharing` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredShare {
    /// The database id.
    pub id: i64,
    /// The share.
    pub share: Share,
}

fn ts_to_db(t: Timestamp) -> Result<PrimitiveDateTime, StoreError> {
    let nanos = i128::from(t.unix_micros()) * 1000;
    let at = OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| {
        StoreError::Invalid(crate::InvalidInput::Json {
            what: "timestamp",
            expected: "within years -9999..=9999",
        })
    })?;
    Ok(to_db(at))
}

fn ts_from_db(
    table: &'static str,
    column: &'static str,
    id: i64,
    t: PrimitiveDateTime,
) -> Result<Timestamp, StoreError> {
    let micros = from_db(t).unix_timestamp_nanos() / 1000;
    i64::try_from(micros)
        .ok()
        .and_then(|m| Timestamp::from_unix_micros(m).ok())
        .ok_or_else(|| StoreError::Corrupt {
            table,
            column,
            id,
            reason: format!("{t} is outside Python's datetime range"),
        })
}

fn scopes_json(scopes: &ScopeSet) -> String {
    strings_json(&scopes.texts().map(str::to_owned).collect::<Vec<_>>())
}

fn scope_set(table: &'static str, id: i64, text: &str) -> Result<ScopeSet, StoreError> {
    Ok(parse_strings(table, "scopes", id, text)?
        .iter()
        .map(Scope::lenient)
        .collect())
}

/// (id, owner, server name, scopes, created_at, expires_at, recipient user id, recipient group id)
pub(crate) type ShareRow = (
    i64,
    String,
    String,
    String,
    PrimitiveDateTime,
    Option<PrimitiveDateTime>,
    Option<i64>,
    Option<i64>,
);

macro_rules! share_columns {
    () => {
        (
            $crate::schema::shares::id,
            $crate::schema::users::name,
            $crate::schema::spawners::name,
            $crate::schema::shares::scopes,
            $crate::schema::shares::created_at,
            $crate::schema::shares::expires_at,
            $crate::schema::shares::user_id,
            $crate::schema::shares::group_id,
        )
    };
}

pub(crate) use share_columns;

/// (id, owner, server name, scopes, created_at, expires_at, hashed, prefix, exchange_count, last_exchanged_at)
type CodeRow = (
    i64,
    String,
    String,
    String,
    PrimitiveDateTime,
    Option<PrimitiveDateTime>,
    String,
    String,
    i64,
    Option<PrimitiveDateTime>,
);

macro_rules! code_columns {
    () => {
        (
            share_codes::id,
            users::name,
            spawners::name,
            share_codes::scopes,
            share_codes::created_at,
            share_codes::expires_at,
            share_codes::hashed,
            share_codes::prefix,
            share_codes::exchange_count,
            share_codes::last_exchanged_at,
        )
    };
}

fn code_from_row(row: CodeRow) -> Result<ShareCode, StoreError> {
    let (id, owner, server, scopes, created_at, expires_at, hashed, prefix, exchange_count, last) =
        row;
    const T: &str = "share_codes";
    Ok(ShareCode {
        id: u64::try_from(id).unwrap_or(0),
        server: SharedServer::new(owner, server),
        scopes: scope_set(T, id, &scopes)?,
        prefix,
        hashed,
        created_at: ts_from_db(T, "created_at", id, created_at)?,
        expires_at: expires_at
            .map(|t| ts_from_db(T, "expires_at", id, t))
            .transpose()?,
        exchange_count: u64::try_from(exchange_count).unwrap_or(0),
        last_exchanged_at: last
            .map(|t| ts_from_db(T, "last_exchanged_at", id, t))
            .transpose()?,
    })
}

/// The name of id `id` in a list of (id, name).
fn name_in(list: &[(i64, String)], id: i64) -> Option<String> {
    list.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone())
}

/// A share from its row and the name of its recipient (the user's or the group's, the
/// other `None`).
fn share_from_row(
    row: ShareRow,
    user: Option<String>,
    group: Option<String>,
) -> Result<StoredShare, StoreError> {
    let (id, owner, server, scopes, created_at, expires_at, _, _) = row;
    let recipient = match (user, group) {
        (Some(user), None) => Recipient::User(user),
        (None, Some(group)) => Recipient::Group(group),
        _ => {
            return Err(StoreError::Corrupt {
                table: "shares",
                column: "user_id",
                id,
                reason: "a share must have one recipient".to_owned(),
            });
        }
    };
    Ok(StoredShare {
        id,
        share: Share {
            server: SharedServer::new(owner, server),
            recipient,
            scopes: scope_set("shares", id, &scopes)?,
            created_at: ts_from_db("shares", "created_at", id, created_at)?,
            expires_at: expires_at
                .map(|t| ts_from_db("shares", "expires_at", id, t))
                .transpose()?,
        },
    })
}

/// The shares received by the user `$user_id`, directly and through the user's groups, as
/// one `UNION ALL` of two indexed queries (`shares.user_id`, `shares.group_id`), in no
/// particular order. One query with `user_id = ? OR group_id IN (...)` kept PostgreSQL off
/// both indexes: it scanned all of `shares` and `spawners`.
macro_rules! received_shares_query {
    ($user_id:expr) => {{
        use $crate::schema::{shares, spawners, user_group_map, users};
        let user_id: i64 = $user_id;
        shares::table
            .inner_join(spawners::table.inner_join(users::table))
            .filter(shares::user_id.eq(user_id))
            .select($crate::shares::share_columns!())
            .union_all(
                shares::table
                    .inner_join(spawners::table.inner_join(users::table))
                    .filter(
                        shares::group_id.eq_any(
                            user_group_map::table
                                .filter(user_group_map::user_id.eq(user_id))
                                .select(user_group_map::group_id.nullable()),
                        ),
                    )
                    .select($crate::shares::share_columns!()),
            )
    }};
}

pub(crate) use received_shares_query;

/// The shares of [`received_shares_query!`]'s rows, by id: the recipient of a direct share
/// is `user`; of a group's, the group of that id among `groups` (the user's groups).
pub(crate) fn received_shares(
    mut rows: Vec<ShareRow>,
    user: &str,
    groups: &[(i64, String)],
) -> Result<Vec<StoredShare>, StoreError> {
    rows.sort_unstable_by_key(|row| row.0);
    rows.into_iter()
        .map(|row| {
            let (user, group) = match (row.6, row.7) {
                (Some(_), _) => (Some(user.to_owned()), None),
                (None, Some(group)) => (None, name_in(groups, group)),
                (None, None) => (None, None),
            };
            share_from_row(row, user, group)
        })
        .collect()
}

impl Tx<'_> {
    /// Turns share rows into values, naming their recipients with two queries in all.
    fn shares_from_rows(&mut self, rows: Vec<ShareRow>) -> Result<Vec<StoredShare>, StoreError> {
        let user_ids: Vec<i64> = rows.iter().filter_map(|r| r.6).collect();
        let group_ids: Vec<i64> = rows.iter().filter_map(|r| r.7).collect();
        let user_names: Vec<(i64, String)> = if user_ids.is_empty() {
            Vec::new()
        } else {
            users::table
                .filter(users::id.eq_any(&user_ids))
                .select((users::id, users::name))
                .load(self.conn)?
        };
        let group_names: Vec<(i64, String)> = if group_ids.is_empty() {
            Vec::new()
        } else {
            groups::table
                .filter(groups::id.eq_any(&group_ids))
                .select((groups::id, groups::name))
                .load(self.conn)?
        };
        rows.into_iter()
            .map(|row| {
                let user = row.6.and_then(|u| name_in(&user_names, u));
                let group = row.7.and_then(|g| name_in(&group_names, g));
                share_from_row(row, user, group)
            })
            .collect()
    }

    fn recipient_ids(
        &mut self,
        recipient: &Recipient,
    ) -> Result<(Option<i64>, Option<i64>), StoreError> {
        Ok(match recipient {
            Recipient::User(name) => (Some(self.user_id(name)?), None),
            Recipient::Group(name) => (None, Some(self.group_id(name)?)),
        })
    }

    /// The share of `server` with `recipient`, if any (`Share.find`).
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown server or recipient.
    pub fn find_share(
        &mut self,
        server: &SharedServer,
        recipient: &Recipient,
    ) -> Result<Option<StoredShare>, StoreError> {
        let (spawner_id, _, _) = self.server_ids(&server.owner, &server.name)?;
        let (user_id, group_id) = self.recipient_ids(recipient)?;
        let mut query = shares::table
            .inner_join(spawners::table.inner_join(users::table))
            .filter(shares::spawner_id.eq(spawner_id))
            .select(share_columns!())
            .into_boxed();
        query = match (user_id, group_id) {
            (Some(u), _) => query.filter(shares::user_id.eq(u)),
            (_, Some(g)) => query.filter(shares::group_id.eq(g)),
            (None, None) => return Ok(None),
        };
        let rows = query.load::<ShareRow>(self.conn)?;
        Ok(self.shares_from_rows(rows)?.into_iter().next())
    }

    /// Stores a share as the `sharing` crate left it: creates it, or replaces the scopes
    /// and expiry of the existing share of the same server and recipient.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown server or recipient.
    pub fn put_share(&mut self, share: &Share) -> Result<StoredShare, StoreError> {
        let (spawner_id, owner_id, _) = self.server_ids(&share.server.owner, &share.server.name)?;
        let (user_id, group_id) = self.recipient_ids(&share.recipient)?;
        let expires_at = share.expires_at.map(ts_to_db).transpose()?;
        let existing = self.find_share(&share.server, &share.recipient)?;
        let id = match existing {
            Some(found) => {
                diesel::update(shares::table.filter(shares::id.eq(found.id)))
                    .set((
                        shares::scopes.eq(scopes_json(&share.scopes)),
                        shares::expires_at.eq(expires_at),
                    ))
                    .execute(self.conn)?;
                found.id
            }
            None => diesel::insert_into(shares::table)
                .values((
                    shares::created_at.eq(ts_to_db(share.created_at)?),
                    shares::owner_id.eq(owner_id),
                    shares::spawner_id.eq(spawner_id),
                    shares::scopes.eq(scopes_json(&share.scopes)),
                    shares::expires_at.eq(expires_at),
                    shares::user_id.eq(user_id),
                    shares::group_id.eq(group_id),
                ))
                .returning(shares::id)
                .get_result(self.conn)
                .map_err(StoreError::from)
                .map_err(StoreError::unique(Kind::Share, share.log_name()))?,
        };
        Ok(StoredShare {
            id,
            share: share.clone(),
        })
    }

    /// Deletes the share of `server` with `recipient`. Returns whether there was one.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown server or recipient.
    pub fn delete_share(
        &mut self,
        server: &SharedServer,
        recipient: &Recipient,
    ) -> Result<bool, StoreError> {
        match self.find_share(server, recipient)? {
            Some(found) => Ok(
                diesel::delete(shares::table.filter(shares::id.eq(found.id))).execute(self.conn)?
                    > 0,
            ),
            None => Ok(false),
        }
    }

    /// Every share of one server, by id.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown server.
    pub fn server_shares(&mut self, server: &SharedServer) -> Result<Vec<StoredShare>, StoreError> {
        let (spawner_id, _, _) = self.server_ids(&server.owner, &server.name)?;
        let rows = shares::table
            .inner_join(spawners::table.inner_join(users::table))
            .filter(shares::spawner_id.eq(spawner_id))
            .order(shares::id.asc())
            .select(share_columns!())
            .load::<ShareRow>(self.conn)?;
        self.shares_from_rows(rows)
    }

    /// The shares given to a group, by id.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown group.
    pub fn group_shares(&mut self, group: &str) -> Result<Vec<StoredShare>, StoreError> {
        let group_id = self.group_id(group)?;
        let rows = shares::table
            .inner_join(spawners::table.inner_join(users::table))
            .filter(shares::group_id.eq(group_id))
            .order(shares::id.asc())
            .select(share_columns!())
            .load::<ShareRow>(self.conn)?;
        self.shares_from_rows(rows)
    }

    /// The shares a user received: directly and through each of the user's groups
    /// (`User.all_shared_with_me`), by id. Three queries whatever their number.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown user.
    pub fn shares_received(&mut self, user: &str) -> Result<Vec<StoredShare>, StoreError> {
        let user_id = self.user_id(user)?;
        on_backend!(&mut *self.conn, |c| {
            let groups: Vec<(i64, String)> = user_groups_query!(user_id).load(c)?;
            let rows: Vec<ShareRow> = received_shares_query!(user_id).load(c)?;
            received_shares(rows, user, &groups)
        })
    }

    /// Stores a new share code, made by `ShareCode::create` (whose `id` is ignored: the
    /// database assigns it). Returns the code with its id.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown server, [`StoreError::AlreadyExists`] for a
    /// hash already stored.
    pub fn insert_share_code(&mut self, code: &ShareCode) -> Result<ShareCode, StoreError> {
        let (spawner_id, owner_id, _) = self.server_ids(&code.server.owner, &code.server.name)?;
        crate::names::check_length("share code prefix", &code.prefix, 16)?;
        let id: i64 = diesel::insert_into(share_codes::table)
            .values((
                share_codes::created_at.eq(ts_to_db(code.created_at)?),
                share_codes::owner_id.eq(owner_id),
                share_codes::spawner_id.eq(spawner_id),
                share_codes::scopes.eq(scopes_json(&code.scopes)),
                share_codes::expires_at.eq(code.expires_at.map(ts_to_db).transpose()?),
                share_codes::hashed.eq(&code.hashed),
                share_codes::prefix.eq(&code.prefix),
                share_codes::exchange_count
                    .eq(i64::try_from(code.exchange_count).unwrap_or(i64::MAX)),
                share_codes::last_exchanged_at
                    .eq(code.last_exchanged_at.map(ts_to_db).transpose()?),
            ))
            .returning(share_codes::id)
            .get_result(self.conn)
            .map_err(StoreError::from)
            .map_err(StoreError::unique(
                Kind::ShareCode,
                format!("{}...", code.prefix),
            ))?;
        let mut stored = code.clone();
        stored.id = u64::try_from(id).unwrap_or(0);
        Ok(stored)
    }

    /// The share code that `code` is, if it has not expired at `now` (`ShareCode.find`:
    /// prefix, `expires_at IS NULL OR expires_at >= now`, hash verified), optionally only
    /// among one server's codes.
    ///
    /// # Errors
    ///
    /// Database errors, [`StoreError::NotFound`] for an unknown `server`.
    pub fn find_share_code(
        &mut self,
        code: &str,
        now: Timestamp,
        server: Option<&SharedServer>,
    ) -> Result<Option<ShareCode>, StoreError> {
        let mut query = share_codes::table
            .inner_join(spawners::table)
            .inner_join(users::table)
            .filter(share_codes::prefix.eq(sharing::code_prefix(code)))
            .filter(
                share_codes::expires_at
                    .is_null()
                    .or(share_codes::expires_at.ge(ts_to_db(now)?)),
            )
            .order(share_codes::id.asc())
            .select(code_columns!())
            .into_boxed();
        if let Some(server) = server {
            let (spawner_id, _, _) = self.server_ids(&server.owner, &server.name)?;
            query = query.filter(share_codes::spawner_id.eq(spawner_id));
        }
        for row in query.load::<CodeRow>(self.conn)? {
            if tokens::verify(&row.6, code).unwrap_or(false) {
                return code_from_row(row).map(Some);
            }
        }
        Ok(None)
    }

    /// The share codes of one server, by id (expired ones included).
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown server.
    pub fn server_share_codes(
        &mut self,
        server: &SharedServer,
    ) -> Result<Vec<ShareCode>, StoreError> {
        let (spawner_id, _, _) = self.server_ids(&server.owner, &server.name)?;
        share_codes::table
            .inner_join(spawners::table)
            .inner_join(users::table)
            .filter(share_codes::spawner_id.eq(spawner_id))
            .order(share_codes::id.asc())
            .select(code_columns!())
            .load::<CodeRow>(self.conn)?
            .into_iter()
            .map(code_from_row)
            .collect()
    }

    /// Counts one exchange of the code at `now` (every exchange counts, even one that
    /// changed nothing).
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown id.
    pub fn record_share_code_exchange(
        &mut self,
        id: u64,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let id = i64::try_from(id)
            .map_err(|_| StoreError::not_found(Kind::ShareCode, format!("sc_{id}")))?;
        let changed = diesel::update(share_codes::table.filter(share_codes::id.eq(id)))
            .set((
                share_codes::exchange_count.eq(share_codes::exchange_count + 1),
                share_codes::last_exchanged_at.eq(Some(ts_to_db(now)?)),
            ))
            .execute(self.conn)?;
        if changed == 0 {
            return Err(StoreError::not_found(Kind::ShareCode, format!("sc_{id}")));
        }
        Ok(())
    }

    /// Deletes a share code. Returns whether it existed.
    ///
    /// # Errors
    ///
    /// Database errors only.
    pub fn delete_share_code(&mut self, id: u64) -> Result<bool, StoreError> {
        let Ok(id) = i64::try_from(id) else {
            return Ok(false);
        };
        Ok(
            diesel::delete(share_codes::table.filter(share_codes::id.eq(id))).execute(self.conn)?
                > 0,
        )
    }
}
