//! Roles (`roles`) and their assignments to users, groups and services
//! (`user_role_map`, `group_role_map`, `service_role_map`).

use diesel::prelude::*;
use roles::{Holder, Role};

use crate::error::{InvalidInput, Kind, StoreError};
use crate::names::check_max;
use crate::schema::{
    group_role_map, groups, roles as roles_table, service_role_map, services, user_role_map, users,
};
use crate::tx::{Tx, parse_strings, strings_json};

/// A role as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRole {
    /// The database id.
    pub id: i64,
    /// The role: name, description, raw scopes in the order given.
    pub role: Role,
    /// Whether the authenticator manages it (`Authenticator.manage_roles`).
    pub managed_by_auth: bool,
}

/// A role assignment as stored: who holds the role, and whether the authenticator manages
/// the assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The role's name.
    pub role: String,
    /// Whether the authenticator manages this assignment.
    pub managed_by_auth: bool,
}

pub(crate) type RoleRow = (i64, String, Option<String>, String, bool);
pub(crate) const ROLE_COLUMNS: (
    roles_table::id,
    roles_table::name,
    roles_table::description,
    roles_table::scopes,
    roles_table::managed_by_auth,
) = (
    roles_table::id,
    roles_table::name,
    roles_table::description,
    roles_table::scopes,
    roles_table::managed_by_auth,
);

pub(crate) fn role_from_row(
    (id, name, description, scopes, managed_by_auth): RoleRow,
) -> Result<StoredRole, StoreError> {
    Ok(StoredRole {
        id,
        role: Role {
            name,
            description,
            scopes: parse_strings("roles", "scopes", id, &scopes)?,
        },
        managed_by_auth,
    })
}

fn check_role(role: &Role) -> Result<(), StoreError> {
    roles::validate_role_name(&role.name).map_err(InvalidInput::from)?;
    if let Some(description) = &role.description {
        check_max("role description", description, 1023)?;
    }
    Ok(())
}

impl Tx<'_> {
    /// Creates a role.
    ///
    /// # Errors
    ///
    /// [`StoreError::Invalid`] for a name outside JupyterHub's pattern or a description over
    /// 1023 characters, [`StoreError::AlreadyExists`] when the name is taken.
    pub fn create_role(
        &mut self,
        role: &Role,
        managed_by_auth: bool,
    ) -> Result<StoredRole, StoreError> {
        check_role(role)?;
        let row = diesel::insert_into(roles_table::table)
            .values((
                roles_table::name.eq(&role.name),
                roles_table::description.eq(role.description.as_deref()),
                roles_table::scopes.eq(strings_json(&role.scopes)),
                roles_table::managed_by_auth.eq(managed_by_auth),
            ))
            .returning(ROLE_COLUMNS)
            .get_result::<RoleRow>(self.conn)
            .map_err(StoreError::from)
            .map_err(StoreError::unique(Kind::Role, role.name.as_str()))?;
        role_from_row(row)
    }

    /// Replaces a role's description and scopes (the name identifies it).
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no role of that name.
    pub fn update_role(&mut self, role: &Role) -> Result<(), StoreError> {
        check_role(role)?;
        let changed = diesel::update(roles_table::table.filter(roles_table::name.eq(&role.name)))
            .set((
                roles_table::description.eq(role.description.as_deref()),
                roles_table::scopes.eq(strings_json(&role.scopes)),
            ))
            .execute(self.conn)?;
        if changed == 0 {
            return Err(StoreError::not_found(Kind::Role, &role.name));
        }
        Ok(())
    }

    /// The role called `name`, if any.
    ///
    /// # Errors
    ///
    /// Database errors only.
    pub fn find_role(&mut self, name: &str) -> Result<Option<StoredRole>, StoreError> {
        roles_table::table
            .filter(roles_table::name.eq(name))
            .select(ROLE_COLUMNS)
            .get_result::<RoleRow>(self.conn)
            .optional()?
            .map(role_from_row)
            .transpose()
    }

    /// Every role, ordered by id.
    ///
    /// # Errors
    ///
    /// Database errors only.
    pub fn list_roles(&mut self) -> Result<Vec<StoredRole>, StoreError> {
        roles_table::table
            .order(roles_table::id.asc())
            .select(ROLE_COLUMNS)
            .load::<RoleRow>(self.conn)?
            .into_iter()
            .map(role_from_row)
            .collect()
    }

    /// Deletes a role; its assignments go with it.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no such role.
    pub fn delete_role(&mut self, name: &str) -> Result<(), StoreError> {
        let deleted = diesel::delete(roles_table::table.filter(roles_table::name.eq(name)))
            .execute(self.conn)?;
        if deleted == 0 {
            return Err(StoreError::not_found(Kind::Role, name));
        }
        Ok(())
    }

    fn role_id(&mut self, name: &str) -> Result<i64, StoreError> {
        roles_table::table
            .filter(roles_table::name.eq(name))
            .select(roles_table::id)
            .get_result(self.conn)
            .optional()?
            .ok_or_else(|| StoreError::not_found(Kind::Role, name))
    }

    pub(crate) fn service_id(&mut self, name: &str) -> Result<i64, StoreError> {
        services::table
            .filter(services::name.eq(name))
            .select(services::id)
            .get_result(self.conn)
            .optional()?
            .ok_or_else(|| StoreError::not_found(Kind::Service, name))
    }

    /// Gives `holder` the role `role`; if it already holds it, only `managed_by_auth` is
    /// updated. Returns whether the role was newly assigned.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown role or holder.
    pub fn assign_role(
        &mut self,
        holder: Holder<'_>,
        role: &str,
        managed_by_auth: bool,
    ) -> Result<bool, StoreError> {
        let role_id = self.role_id(role)?;
        macro_rules! assign {
            ($map:ident, $col:ident, $id:expr) => {{
                let id = $id;
                let changed = diesel::update(
                    $map::table
                        .filter($map::$col.eq(id))
                        .filter($map::role_id.eq(role_id)),
                )
                .set($map::managed_by_auth.eq(managed_by_auth))
                .execute(self.conn)?;
                if changed > 0 {
                    return Ok(false);
                }
                diesel::insert_into($map::table)
                    .values((
                        $map::$col.eq(id),
                        $map::role_id.eq(role_id),
                        $map::managed_by_auth.eq(managed_by_auth),
                    ))
                    .execute(self.conn)?;
                Ok(true)
            }};
        }
        match holder {
            Holder::User(name) => assign!(user_role_map, user_id, self.user_id(name)?),
            Holder::Group(name) => assign!(group_role_map, group_id, self.group_id(name)?),
            Holder::Service(name) => assign!(service_role_map, service_id, self.service_id(name)?),
        }
    }

    /// Takes the role `role` from `holder`. Returns whether it was held.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown role or holder.
    pub fn unassign_role(&mut self, holder: Holder<'_>, role: &str) -> Result<bool, StoreError> {
        let role_id = self.role_id(role)?;
        let deleted = match holder {
            Holder::User(name) => {
                let id = self.user_id(name)?;
                diesel::delete(
                    user_role_map::table
                        .filter(user_role_map::user_id.eq(id))
                        .filter(user_role_map::role_id.eq(role_id)),
                )
                .execute(self.conn)?
            }
            Holder::Group(name) => {
                let id = self.group_id(name)?;
                diesel::delete(
                    group_role_map::table
                        .filter(group_role_map::group_id.eq(id))
                        .filter(group_role_map::role_id.eq(role_id)),
                )
                .execute(self.conn)?
            }
            Holder::Service(name) => {
                let id = self.service_id(name)?;
                diesel::delete(
                    service_role_map::table
                        .filter(service_role_map::service_id.eq(id))
                        .filter(service_role_map::role_id.eq(role_id)),
                )
                .execute(self.conn)?
            }
        };
        Ok(deleted > 0)
    }

    /// The roles `holder` holds directly (for a user: not through groups), by role id.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown holder.
    pub fn roles_of(
        &mut self,
        holder: Holder<'_>,
    ) -> Result<Vec<(StoredRole, Assignment)>, StoreError> {
        let rows: Vec<(RoleRow, bool)> = match holder {
            Holder::User(name) => {
                let id = self.user_id(name)?;
                user_role_map::table
                    .inner_join(roles_table::table)
                    .filter(user_role_map::user_id.eq(id))
                    .order(roles_table::id.asc())
                    .select((ROLE_COLUMNS, user_role_map::managed_by_auth))
                    .load(self.conn)?
            }
            Holder::Group(name) => {
                let id = self.group_id(name)?;
                group_role_map::table
                    .inner_join(roles_table::table)
                    .filter(group_role_map::group_id.eq(id))
                    .order(roles_table::id.asc())
                    .select((ROLE_COLUMNS, group_role_map::managed_by_auth))
                    .load(self.conn)?
            }
            Holder::Service(name) => {
                let id = self.service_id(name)?;
                service_role_map::table
                    .inner_join(roles_table::table)
                    .filter(service_role_map::service_id.eq(id))
                    .order(roles_table::id.asc())
                    .select((ROLE_COLUMNS, service_role_map::managed_by_auth))
                    .load(self.conn)?
            }
        };
        rows.into_iter()
            .map(|(row, managed_by_auth)| {
                let role = role_from_row(row)?;
                let assignment = Assignment {
                    role: role.role.name.clone(),
                    managed_by_auth,
                };
                Ok((role, assignment))
            })
            .collect()
    }

    /// Who holds `role` directly: user, group and service names, each sorted.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown role.
    pub fn role_holders(&mut self, role: &str) -> Result<RoleHolders, StoreError> {
        let role_id = self.role_id(role)?;
        let users = user_role_map::table
            .inner_join(users::table)
            .filter(user_role_map::role_id.eq(role_id))
            .select(users::name)
            .order(users::name.asc())
            .load(self.conn)?;
        let groups = group_role_map::table
            .inner_join(groups::table)
            .filter(group_role_map::role_id.eq(role_id))
            .select(groups::name)
            .order(groups::name.asc())
            .load(self.conn)?;
        let services = service_role_map::table
            .inner_join(services::table)
            .filter(service_role_map::role_id.eq(role_id))
            .select(services::name)
            .order(services::name.asc())
            .load(self.conn)?;
        Ok(RoleHolders {
            users,
            groups,
            services,
        })
    }
}

/// The direct holders of a role ([`Tx::role_holders`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleHolders {
    /// User names, sorted.
    pub users: Vec<String>,
    /// Group names, sorted.
    pub groups: Vec<String>,
    /// Service names, sorted.
    pub services: Vec<String>,
}
