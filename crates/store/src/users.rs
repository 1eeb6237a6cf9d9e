//! Users (`users`): create, read, rename, delete, flags and activity.

use std::fmt;

use diesel::prelude::*;
use serde_json::Value;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::error::{Kind, StoreError};
use crate::names::validate_user_name;
use crate::schema::users;
use crate::tx::{self, Tx, from_db, opt_from_db, parse_opt_json, to_db};

/// A user as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// The database id.
    pub id: i64,
    /// The name, unique.
    pub name: String,
    /// The legacy admin flag (JupyterHub keeps it in line with the `admin` role).
    pub admin: bool,
    /// When the user was created.
    pub created: OffsetDateTime,
    /// When the user was last active, if ever.
    pub last_activity: Option<OffsetDateTime>,
    /// The id in the user's login cookie; changing it logs the user out everywhere.
    pub cookie_id: String,
    /// What the authenticator returned about the user (JSON), if kept.
    pub user_info: Option<Value>,
    /// The authenticator's state, encrypted by the hub before it was stored.
    pub encrypted_auth_state: Option<Vec<u8>>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("admin", &self.admin)
            .field("created", &self.created)
            .field("last_activity", &self.last_activity)
            .field("cookie_id", &"<redacted>")
            .field("user_info", &self.user_info)
            .field(
                "encrypted_auth_state",
                &self
                    .encrypted_auth_state
                    .as_ref()
                    .map(|b| format!("<{} bytes>", b.len())),
            )
            .finish()
    }
}

/// A user to create.
#[derive(Debug, Clone, Default)]
pub struct NewUser<'a> {
    /// The name, already normalised by the authenticator ([`validate_user_name`] applies).
    pub name: &'a str,
    /// The legacy admin flag.
    pub admin: bool,
}

impl<'a> NewUser<'a> {
    /// A non-admin user called `name`.
    #[must_use]
    pub fn named(name: &'a str) -> NewUser<'a> {
        NewUser { name, admin: false }
    }
}

/// The columns of [`UserRow`], for `select` and `returning` (diesel's `as_select` does not
/// work through `MultiConnection`'s `RETURNING`).
pub(crate) const USER_COLUMNS: (
    users::id,
    users::name,
    users::admin,
    users::created,
    users::last_activity,
    users::cookie_id,
    users::user_info,
    users::encrypted_auth_state,
) = (
    users::id,
    users::name,
    users::admin,
    users::created,
    users::last_activity,
    users::cookie_id,
    users::user_info,
    users::encrypted_auth_state,
);

#[derive(Queryable)]
pub(crate) struct UserRow {
    id: i64,
    name: String,
    admin: bool,
    created: PrimitiveDateTime,
    last_activity: Option<PrimitiveDateTime>,
    cookie_id: String,
    user_info: Option<String>,
    encrypted_auth_state: Option<Vec<u8>>,
}

impl UserRow {
    pub(crate) fn into_user(self) -> Result<User, StoreError> {
        Ok(User {
            user_info: parse_opt_json("users", "user_info", self.id, self.user_info.as_deref())?,
            id: self.id,
            name: self.name,
            admin: self.admin,
            created: from_db(self.created),
            last_activity: opt_from_db(self.last_activity),
            cookie_id: self.cookie_id,
            encrypted_auth_state: self.encrypted_auth_state,
        })
    }
}

/// `UPDATE users SET <change> WHERE name = <name>`, [`StoreError::NotFound`] if no row.
macro_rules! update_user {
    ($tx:ident, $name:expr, $change:expr) => {{
        let changed = diesel::update(users::table.filter(users::name.eq($name)))
            .set($change)
            .execute($tx.conn)?;
        if changed == 0 {
            Err(StoreError::not_found(Kind::User, $name))
        } else {
            Ok(())
        }
    }};
}

impl Tx<'_> {
    /// Creates a user with a fresh cookie id and `created` = now.
    ///
    /// # Errors
    ///
    /// [`StoreError::Invalid`] for a name JupyterHub refuses ([`validate_user_name`]),
    /// [`StoreError::AlreadyExists`] when the name is taken.
    pub fn create_user(&mut self, new: &NewUser<'_>) -> Result<User, StoreError> {
        validate_user_name(new.name)?;
        let cookie_id = tokens::new_token()
            .map_err(|err| StoreError::Random {
                reason: err.to_string(),
            })?
            .into_string();
        let row = diesel::insert_into(users::table)
            .values((
                users::name.eq(new.name),
                users::admin.eq(new.admin),
                users::created.eq(to_db(tx::now())),
                users::cookie_id.eq(&cookie_id),
            ))
            .returning(USER_COLUMNS)
            .get_result::<UserRow>(self.conn)
            .map_err(StoreError::from)
            .map_err(StoreError::unique(Kind::User, new.name))?;
        row.into_user()
    }

    /// The user called `name`, if any.
    ///
    /// # Errors
    ///
    /// Database errors only.
    pub fn find_user(&mut self, name: &str) -> Result<Option<User>, StoreError> {
        users::table
            .filter(users::name.eq(name))
            .select(USER_COLUMNS)
            .get_result::<UserRow>(self.conn)
            .optional()?
            .map(UserRow::into_user)
            .transpose()
    }

    /// The user called `name`.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is none.
    pub fn user(&mut self, name: &str) -> Result<User, StoreError> {
        self.find_user(name)?
            .ok_or_else(|| StoreError::not_found(Kind::User, name))
    }

    /// The id of the user called `name`.
    pub(crate) fn user_id(&mut self, name: &str) -> Result<i64, StoreError> {
        users::table
            .filter(users::name.eq(name))
            .select(users::id)
            .get_result(self.conn)
            .optional()?
            .ok_or_else(|| StoreError::not_found(Kind::User, name))
    }

    /// Renames a user; everything that refers to the user by id follows.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown `name`, [`StoreError::Invalid`] for a
    /// refused `new_name`, [`StoreError::AlreadyExists`] when `new_name` is taken.
    pub fn rename_user(&mut self, name: &str, new_name: &str) -> Result<User, StoreError> {
        validate_user_name(new_name)?;
        let row = diesel::update(users::table.filter(users::name.eq(name)))
            .set(users::name.eq(new_name))
            .returning(USER_COLUMNS)
            .get_result::<UserRow>(self.conn)
            .optional()
            .map_err(StoreError::from)
            .map_err(StoreError::unique(Kind::User, new_name))?;
        row.ok_or_else(|| StoreError::not_found(Kind::User, name))?
            .into_user()
    }

    /// Deletes a user and, through the foreign keys, the user's servers, tokens, group
    /// memberships, role assignments, OAuth codes, shares (given and received) and share
    /// codes.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no such user.
    pub fn delete_user(&mut self, name: &str) -> Result<(), StoreError> {
        let deleted =
            diesel::delete(users::table.filter(users::name.eq(name))).execute(self.conn)?;
        if deleted == 0 {
            return Err(StoreError::not_found(Kind::User, name));
        }
        Ok(())
    }

    /// Sets the legacy admin flag.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no such user.
    pub fn set_user_admin(&mut self, name: &str, admin: bool) -> Result<(), StoreError> {
        update_user!(self, name, users::admin.eq(admin))
    }

    /// Records activity at `when`.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no such user.
    pub fn set_user_last_activity(
        &mut self,
        name: &str,
        when: OffsetDateTime,
    ) -> Result<(), StoreError> {
        update_user!(self, name, users::last_activity.eq(Some(to_db(when))))
    }

    /// Stores the authenticator's state, already encrypted by the hub (`None` clears it).
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no such user.
    pub fn set_encrypted_auth_state(
        &mut self,
        name: &str,
        encrypted: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        update_user!(self, name, users::encrypted_auth_state.eq(encrypted))
    }

    /// Stores what the authenticator returned about the user (`None` clears it).
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no such user.
    pub fn set_user_info(&mut self, name: &str, info: Option<&Value>) -> Result<(), StoreError> {
        let text = info.map(Value::to_string);
        update_user!(self, name, users::user_info.eq(text))
    }

    /// Gives the user a new cookie id, which logs the user out of every browser.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no such user.
    pub fn reset_cookie_id(&mut self, name: &str) -> Result<(), StoreError> {
        let cookie_id = tokens::new_token()
            .map_err(|err| StoreError::Random {
                reason: err.to_string(),
            })?
            .into_string();
        update_user!(self, name, users::cookie_id.eq(cookie_id))
    }
}
