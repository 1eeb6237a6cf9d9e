//! Groups (`groups`) and memberships (`user_group_map`).

use diesel::prelude::*;
use serde_json::{Map, Value};

use crate::error::{InvalidInput, Kind, StoreError};
use crate::names::validate_group_name;
use crate::schema::{groups, user_group_map, users};
use crate::tx::{Tx, parse_json};

/// A group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The database id.
    pub id: i64,
    /// The name, unique.
    pub name: String,
    /// Free-form properties (a JSON object; `{}` when none).
    pub properties: Map<String, Value>,
}

pub(crate) type GroupRow = (i64, String, String);
pub(crate) const GROUP_COLUMNS: (groups::id, groups::name, groups::properties) =
    (groups::id, groups::name, groups::properties);

pub(crate) fn group_from_row((id, name, properties): GroupRow) -> Result<Group, StoreError> {
    let properties = match parse_json("groups", "properties", id, &properties)? {
        Value::Object(map) => map,
        other => {
            return Err(StoreError::Corrupt {
                table: "groups",
                column: "properties",
                id,
                reason: format!("expected a JSON object, found `{other}`"),
            });
        }
    };
    Ok(Group {
        id,
        name,
        properties,
    })
}

/// The (id, name) of the groups of the user `$user_id`, by name.
macro_rules! user_groups_query {
    ($user_id:expr) => {{
        use $crate::schema::{groups, user_group_map};
        let user_id: i64 = $user_id;
        user_group_map::table
            .inner_join(groups::table)
            .filter(user_group_map::user_id.eq(user_id))
            .order(groups::name.asc())
            .select((groups::id, groups::name))
    }};
}

pub(crate) use user_groups_query;

impl Tx<'_> {
    /// Creates a group with no members and the given properties.
    ///
    /// # Errors
    ///
    /// [`StoreError::Invalid`] for an empty or too long name, [`StoreError::AlreadyExists`]
    /// when the name is taken.
    pub fn create_group(
        &mut self,
        name: &str,
        properties: &Map<String, Value>,
    ) -> Result<Group, StoreError> {
        validate_group_name(name)?;
        let row = diesel::insert_into(groups::table)
            .values((
                groups::name.eq(name),
                groups::properties.eq(Value::Object(properties.clone()).to_string()),
            ))
            .returning(GROUP_COLUMNS)
            .get_result::<GroupRow>(self.conn)
            .map_err(StoreError::from)
            .map_err(StoreError::unique(Kind::Group, name))?;
        group_from_row(row)
    }

    /// The group called `name`, if any.
    ///
    /// # Errors
    ///
    /// Database errors only.
    pub fn find_group(&mut self, name: &str) -> Result<Option<Group>, StoreError> {
        groups::table
            .filter(groups::name.eq(name))
            .select(GROUP_COLUMNS)
            .get_result::<GroupRow>(self.conn)
            .optional()?
            .map(group_from_row)
            .transpose()
    }

    /// The group called `name`.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is none.
    pub fn group(&mut self, name: &str) -> Result<Group, StoreError> {
        self.find_group(name)?
            .ok_or_else(|| StoreError::not_found(Kind::Group, name))
    }

    pub(crate) fn group_id(&mut self, name: &str) -> Result<i64, StoreError> {
        groups::table
            .filter(groups::name.eq(name))
            .select(groups::id)
            .get_result(self.conn)
            .optional()?
            .ok_or_else(|| StoreError::not_found(Kind::Group, name))
    }

    /// Groups ordered by id, `offset` and `limit` applied, and how many there are in all.
    ///
    /// # Errors
    ///
    /// Database errors only.
    pub fn list_groups(
        &mut self,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<Group>, u64), StoreError> {
        let total: i64 = groups::table.count().get_result(self.conn)?;
        let rows = groups::table
            .order(groups::id.asc())
            .offset(i64::from(offset))
            .limit(i64::from(limit))
            .select(GROUP_COLUMNS)
            .load::<GroupRow>(self.conn)?;
        let groups = rows
            .into_iter()
            .map(group_from_row)
            .collect::<Result<_, _>>()?;
        Ok((groups, u64::try_from(total).unwrap_or(0)))
    }

    /// Replaces a group's properties.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no such group.
    pub fn set_group_properties(
        &mut self,
        name: &str,
        properties: &Map<String, Value>,
    ) -> Result<(), StoreError> {
        let changed = diesel::update(groups::table.filter(groups::name.eq(name)))
            .set(groups::properties.eq(Value::Object(properties.clone()).to_string()))
            .execute(self.conn)?;
        if changed == 0 {
            return Err(StoreError::not_found(Kind::Group, name));
        }
        Ok(())
    }

    /// Renames a group.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], [`StoreError::Invalid`], [`StoreError::AlreadyExists`].
    pub fn rename_group(&mut self, name: &str, new_name: &str) -> Result<(), StoreError> {
        validate_group_name(new_name)?;
        let changed = diesel::update(groups::table.filter(groups::name.eq(name)))
            .set(groups::name.eq(new_name))
            .execute(self.conn)
            .map_err(StoreError::from)
            .map_err(StoreError::unique(Kind::Group, new_name))?;
        if changed == 0 {
            return Err(StoreError::not_found(Kind::Group, name));
        }
        Ok(())
    }

    /// Deletes a group; its memberships, role assignments and the shares with it go too.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no such group.
    pub fn delete_group(&mut self, name: &str) -> Result<(), StoreError> {
        let deleted =
            diesel::delete(groups::table.filter(groups::name.eq(name))).execute(self.conn)?;
        if deleted == 0 {
            return Err(StoreError::not_found(Kind::Group, name));
        }
        Ok(())
    }

    /// Adds users to a group; those already in it stay (JupyterHub's `POST
    /// /groups/:name/users`). Returns how many were added.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown group or user (nothing is added then, when
    /// run in [`Store::write`](crate::Store::write)).
    pub fn add_group_members(
        &mut self,
        group: &str,
        user_names: &[&str],
    ) -> Result<usize, StoreError> {
        let group_id = self.group_id(group)?;
        let user_ids = self.user_ids(user_names)?;
        let present: Vec<i64> = user_group_map::table
            .filter(user_group_map::group_id.eq(group_id))
            .filter(user_group_map::user_id.eq_any(&user_ids))
            .select(user_group_map::user_id)
            .load(self.conn)?;
        let mut added = 0;
        for user_id in user_ids {
            if present.contains(&user_id) {
                continue;
            }
            added += diesel::insert_into(user_group_map::table)
                .values((
                    user_group_map::user_id.eq(user_id),
                    user_group_map::group_id.eq(group_id),
                ))
                .execute(self.conn)?;
        }
        Ok(added)
    }

    /// Removes users from a group; users not in it are ignored. Returns how many left.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown group or user.
    pub fn remove_group_members(
        &mut self,
        group: &str,
        user_names: &[&str],
    ) -> Result<usize, StoreError> {
        let group_id = self.group_id(group)?;
        let user_ids = self.user_ids(user_names)?;
        Ok(diesel::delete(
            user_group_map::table
                .filter(user_group_map::group_id.eq(group_id))
                .filter(user_group_map::user_id.eq_any(user_ids)),
        )
        .execute(self.conn)?)
    }

    /// The names of a group's members, sorted.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no such group.
    pub fn group_members(&mut self, group: &str) -> Result<Vec<String>, StoreError> {
        let group_id = self.group_id(group)?;
        Ok(user_group_map::table
            .inner_join(users::table)
            .filter(user_group_map::group_id.eq(group_id))
            .select(users::name)
            .order(users::name.asc())
            .load(self.conn)?)
    }

    /// The names of the groups a user is in, sorted.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no such user.
    pub fn user_groups(&mut self, user: &str) -> Result<Vec<String>, StoreError> {
        let user_id = self.user_id(user)?;
        let groups: Vec<(i64, String)> = user_groups_query!(user_id).load(self.conn)?;
        Ok(groups.into_iter().map(|(_, name)| name).collect())
    }

    /// The ids of these users, in the order given; the first unknown name is an error.
    pub(crate) fn user_ids(&mut self, names: &[&str]) -> Result<Vec<i64>, StoreError> {
        let found: Vec<(i64, String)> = users::table
            .filter(users::name.eq_any(names))
            .select((users::id, users::name))
            .load(self.conn)?;
        names
            .iter()
            .map(|name| {
                found
                    .iter()
                    .find(|(_, n)| n == name)
                    .map(|(id, _)| *id)
                    .ok_or_else(|| StoreError::not_found(Kind::User, name))
            })
            .collect()
    }
}

/// Checks that a JSON value is an object, for callers holding a `Value`.
///
/// # Errors
///
/// [`InvalidInput::Json`] otherwise.
pub fn properties_object(value: &Value) -> Result<&Map<String, Value>, InvalidInput> {
    value.as_object().ok_or(InvalidInput::Json {
        what: "group properties",
        expected: "a JSON object",
    })
}
