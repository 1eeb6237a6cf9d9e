//! API tokens (`api_tokens`): stored hashed with a clear prefix; found by prefix, then by
//! verifying the hash (`tokens::verify`), expired tokens left out exactly as JupyterHub's
//! `Hashed.find_prefix` leaves them out.

use diesel::prelude::*;
use diesel::sql_types::Bool;
use time::{OffsetDateTime, PrimitiveDateTime};
use tokens::TokenHash;

use crate::conn::on_backend;
use crate::error::{Kind, StoreError};
use crate::names::{check_length, check_max};
use crate::schema::{api_tokens, services, users};
use crate::tx::{Tx, from_db, opt_from_db, parse_strings, strings_json, to_db};

/// Whose token: a user's or a service's, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenOwner<'a> {
    /// A user.
    User(&'a str),
    /// A service.
    Service(&'a str),
}

/// Which owners a lookup accepts (JupyterHub's `APIToken.find(kind=...)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OwnerKind {
    /// Only users' tokens.
    User,
    /// Only services' tokens.
    Service,
}

/// The owner of a stored token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    /// A user, by name.
    User(String),
    /// A service, by name.
    Service(String),
}

/// A token to store. The secret itself never comes here: only its hash and prefix.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    /// Whose token.
    pub owner: TokenOwner<'a>,
    /// The hash (`TokenHash::for_storage`).
    pub hash: &'a TokenHash,
    /// The token's first characters (`tokens::prefix`).
    pub prefix: &'a str,
    /// The token's own scopes, raw.
    pub scopes: &'a [String],
    /// A note for people (at most 1023 characters).
    pub note: &'a str,
    /// When it expires; `None` never.
    pub expires_at: Option<OffsetDateTime>,
    /// The OAuth client it was issued to (`jupyterhub` for the hub's own), which must exist.
    pub client_id: &'a str,
    /// The browser session, for tokens issued through OAuth.
    pub session_id: Option<&'a str>,
}

/// A token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The database id (the API shows it as `a{id}`: [`Token::api_id`]).
    pub id: i64,
    /// Whose token.
    pub owner: Owner,
    /// The hash of the secret.
    pub hash: TokenHash,
    /// The secret's first characters.
    pub prefix: String,
    /// The token's own scopes, raw.
    pub scopes: Vec<String>,
    /// A note.
    pub note: String,
    /// When it was created.
    pub created: OffsetDateTime,
    /// When it expires.
    pub expires_at: Option<OffsetDateTime>,
    /// When it was last used.
    pub last_activity: Option<OffsetDateTime>,
    /// The OAuth client it was issued to.
    pub client_id: String,
    /// The browser session it was issued in.
    pub session_id: Option<String>,
}

impl Token {
    /// The id the REST API shows: `a` and the database id.
    #[must_use]
    pub fn api_id(&self) -> String {
        format!("a{}", self.id)
    }
}

type TokenRow = (
    i64,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
    PrimitiveDateTime,
    Option<PrimitiveDateTime>,
    Option<PrimitiveDateTime>,
    String,
    Option<String>,
);

macro_rules! token_columns {
    () => {
        (
            api_tokens::id,
            users::name.nullable(),
            services::name.nullable(),
            api_tokens::hashed,
            api_tokens::prefix,
            api_tokens::scopes,
            api_tokens::note,
            api_tokens::created,
            api_tokens::expires_at,
            api_tokens::last_activity,
            api_tokens::client_id,
            api_tokens::session_id,
        )
    };
}

fn token_from_row(row: TokenRow) -> Result<Token, StoreError> {
    let (
        id,
        user,
        service,
        hashed,
        prefix,
        scopes,
        note,
        created,
        expires_at,
        last_activity,
        client_id,
        session_id,
    ) = row;
    let corrupt = |column, reason: String| StoreError::Corrupt {
        table: "api_tokens",
        column,
        id,
        reason,
    };
    let owner = match (user, service) {
        (Some(user), None) => Owner::User(user),
        (None, Some(service)) => Owner::Service(service),
        _ => return Err(corrupt("user_id", "a token must have one owner".to_owned())),
    };
    Ok(Token {
        hash: hashed
            .parse()
            .map_err(|err: tokens::HashError| corrupt("hashed", err.to_string()))?,
        scopes: parse_strings("api_tokens", "scopes", id, &scopes)?,
        id,
        owner,
        prefix,
        note,
        created: from_db(created),
        expires_at: opt_from_db(expires_at),
        last_activity: opt_from_db(last_activity),
        client_id,
        session_id,
    })
}

impl Tx<'_> {
    /// Stores a token; `created` is now.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown owner or OAuth client,
    /// [`StoreError::Invalid`] for a prefix over 16 or a note over 1023 characters,
    /// [`StoreError::AlreadyExists`] for a hash already stored.
    pub fn insert_token(&mut self, new: &NewToken<'_>) -> Result<Token, StoreError> {
        check_length("token prefix", new.prefix, 16)?;
        check_max("token note", new.note, 1023)?;
        if let Some(session) = new.session_id {
            check_max("session id", session, 255)?;
        }
        self.oauth_client(new.client_id)?;
        let (user_id, service_id) = match new.owner {
            TokenOwner::User(name) => (Some(self.user_id(name)?), None),
            TokenOwner::Service(name) => (None, Some(self.service_id(name)?)),
        };
        let id: i64 = diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::user_id.eq(user_id),
                api_tokens::service_id.eq(service_id),
                api_tokens::hashed.eq(new.hash.to_string()),
                api_tokens::prefix.eq(new.prefix),
                api_tokens::client_id.eq(new.client_id),
                api_tokens::session_id.eq(new.session_id),
                api_tokens::created.eq(to_db(crate::tx::now())),
                api_tokens::expires_at.eq(new.expires_at.map(to_db)),
                api_tokens::note.eq(new.note),
                api_tokens::scopes.eq(strings_json(new.scopes)),
            ))
            .returning(api_tokens::id)
            .get_result(self.conn)
            .map_err(StoreError::from)
            .map_err(StoreError::unique(
                Kind::Token,
                format!("{}...", new.prefix),
            ))?;
        self.token_by_id(id)?
            .ok_or_else(|| StoreError::not_found(Kind::Token, format!("a{id}")))
    }

    /// The token with database id `id`, expired or not.
    ///
    /// # Errors
    ///
    /// Database errors, [`StoreError::Corrupt`] for an unreadable row.
    pub fn token_by_id(&mut self, id: i64) -> Result<Option<Token>, StoreError> {
        api_tokens::table
            .left_join(users::table)
            .left_join(services::table)
            .filter(api_tokens::id.eq(id))
            .select(token_columns!())
            .get_result::<TokenRow>(self.conn)
            .optional()?
            .map(token_from_row)
            .transpose()
    }

    /// The stored token that `token` is, if it has not expired at `now`: the rows with its
    /// prefix and no expiry or `expires_at >= now` (`Hashed.find_prefix`), the first whose
    /// hash verifies (`tokens::verify`, constant time). `kind` restricts the owner.
    ///
    /// A row whose hash cannot be parsed never matches and does not stop the search (as a
    /// malformed hash never matches in JupyterHub).
    ///
    /// # Errors
    ///
    /// Database errors only.
    pub fn find_token(
        &mut self,
        token: &str,
        now: OffsetDateTime,
        kind: Option<OwnerKind>,
    ) -> Result<Option<Token>, StoreError> {
        let prefix = tokens::prefix(token);
        let now = to_db(now);
        // `kind` as two bound flags ("any owner may be a service / a user") rather than an
        // optional filter, so that the query's type is fixed and diesel finds its statement
        // in the cache without rendering SQL (a boxed query renders it on every call).
        let (services_too, users_too) = match kind {
            None => (true, true),
            Some(OwnerKind::User) => (false, true),
            Some(OwnerKind::Service) => (true, false),
        };
        // the hub's hottest query: on the backend's own connection (`on_backend!`)
        let rows: Vec<TokenRow> = on_backend!(&mut *self.conn, |c| {
            api_tokens::table
                .left_join(users::table)
                .left_join(services::table)
                .filter(api_tokens::prefix.eq(prefix))
                .filter(
                    api_tokens::expires_at
                        .is_null()
                        .or(api_tokens::expires_at.ge(now)),
                )
                .filter(
                    api_tokens::user_id
                        .is_not_null()
                        .or(services_too.into_sql::<Bool>()),
                )
                .filter(
                    api_tokens::service_id
                        .is_not_null()
                        .or(users_too.into_sql::<Bool>()),
                )
                .select(token_columns!())
                .order(api_tokens::id.asc())
                .load(c)?
        });
        for row in rows {
            if tokens::verify(&row.3, token).unwrap_or(false) {
                return token_from_row(row).map(Some);
            }
        }
        Ok(None)
    }

    /// A user's or service's tokens, expired ones included, by id.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown owner.
    pub fn tokens_of(&mut self, owner: TokenOwner<'_>) -> Result<Vec<Token>, StoreError> {
        let base = api_tokens::table
            .left_join(users::table)
            .left_join(services::table)
            .select(token_columns!())
            .order(api_tokens::id.asc())
            .into_boxed();
        let query = match owner {
            TokenOwner::User(name) => base.filter(api_tokens::user_id.eq(self.user_id(name)?)),
            TokenOwner::Service(name) => {
                base.filter(api_tokens::service_id.eq(self.service_id(name)?))
            }
        };
        query
            .load::<TokenRow>(self.conn)?
            .into_iter()
            .map(token_from_row)
            .collect()
    }

    /// Records that the token was used at `when`.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown id.
    pub fn set_token_last_activity(
        &mut self,
        id: i64,
        when: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let changed = diesel::update(api_tokens::table.filter(api_tokens::id.eq(id)))
            .set(api_tokens::last_activity.eq(Some(to_db(when))))
            .execute(self.conn)?;
        if changed == 0 {
            return Err(StoreError::not_found(Kind::Token, format!("a{id}")));
        }
        Ok(())
    }

    /// Deletes a token.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown id.
    pub fn delete_token(&mut self, id: i64) -> Result<(), StoreError> {
        let deleted =
            diesel::delete(api_tokens::table.filter(api_tokens::id.eq(id))).execute(self.conn)?;
        if deleted == 0 {
            return Err(StoreError::not_found(Kind::Token, format!("a{id}")));
        }
        Ok(())
    }

    /// Deletes the tokens that expired before `now` (`Expiring.purge_expired`:
    /// `expires_at < now`). Returns how many.
    ///
    /// # Errors
    ///
    /// Database errors only.
    pub fn purge_expired_tokens(&mut self, now: OffsetDateTime) -> Result<usize, StoreError> {
        Ok(
            diesel::delete(api_tokens::table.filter(api_tokens::expires_at.lt(to_db(now))))
                .execute(self.conn)?,
        )
    }
}
