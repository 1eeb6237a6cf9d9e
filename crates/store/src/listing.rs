//! Loading users with what belongs to them, without a query per user: one user
//! ([`Tx::user_details`]) or a page of them ([`Tx::list_users`], JupyterHub's
//! `GET /users` with offset, limit, `name_filter`, `state` and `sort`).

use diesel::prelude::*;

use crate::error::StoreError;
use crate::schema::{groups, roles, servers, spawners, user_group_map, user_role_map, users};
use crate::servers::{Server, ServerRow, server_from_row};
use crate::shares::StoredShare;
use crate::tx::Tx;
use crate::users::{USER_COLUMNS, User, UserRow};

diesel::define_sql_function! {
    /// SQL `lower(text)`.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A user with roles, groups, servers and, for [`Tx::user_details`], the shares received.
#[derive(Debug, Clone, PartialEq)]
pub struct UserDetails {
    /// The user.
    pub user: User,
    /// The names of the roles the user holds directly, by role id.
    pub roles: Vec<String>,
    /// The names of the user's groups, sorted.
    pub groups: Vec<String>,
    /// The user's servers, by name.
    pub servers: Vec<Server>,
    /// The shares the user received, directly and through groups, by id. Empty in
    /// [`Tx::list_users`] (JupyterHub's user model leaves them out).
    pub shares_received: Vec<StoredShare>,
}

/// JupyterHub's `state` filter of `GET /users`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateFilter {
    /// Users with at least one active server (one that has an address: starting, running
    /// or stopping).
    Active,
    /// Users with no active server.
    Inactive,
    /// Users with at least one *ready* server. Readiness is known to the hub's memory, not
    /// the database: the store selects the active users, and the hub keeps the ready ones
    /// with [`UserPage::retain_ready`], after pagination, as JupyterHub does.
    Ready,
}

/// The column `GET /users` sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortKey {
    /// The id (creation order), the default.
    #[default]
    Id,
    /// The name.
    Name,
    /// Last activity; users never active come first ascending, last descending.
    LastActivity,
}

/// Which users a caller may see (a filtered `list:users` scope): those named, and the
/// members of the groups named.
#[derive(Debug, Clone, Copy, Default)]
pub struct Visible<'a> {
    /// User names (`!user=`).
    pub users: &'a [&'a str],
    /// Group names (`!group=`).
    pub groups: &'a [&'a str],
}

/// A query for a page of users.
#[derive(Debug, Clone, Copy)]
pub struct UserQuery<'a> {
    /// Users to skip.
    pub offset: u32,
    /// Users at most.
    pub limit: u32,
    /// Only names containing this, case-insensitively. As in JupyterHub, `%` and `_` in it
    /// are SQL wildcards.
    pub name_filter: Option<&'a str>,
    /// Only users in this state.
    pub state: Option<StateFilter>,
    /// The sort column.
    pub sort: SortKey,
    /// Descending instead of ascending (`sort=-name`).
    pub descending: bool,
    /// Only these users, when the caller's `list:users` is filtered.
    pub visible: Option<Visible<'a>>,
}

impl Default for UserQuery<'_> {
    fn default() -> Self {
        UserQuery {
            offset: 0,
            limit: 200,
            name_filter: None,
            state: None,
            sort: SortKey::Id,
            descending: false,
            visible: None,
        }
    }
}

/// A page of users and the number of users that match the query in all.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPage {
    /// The users of the page, in the query's order.
    pub users: Vec<UserDetails>,
    /// How many users match (before offset and limit; for `state=ready`, the active ones).
    pub total: u64,
}

impl UserPage {
    /// Keeps the users with at least one active server for which `ready` is true
    /// (JupyterHub's `_user_has_ready_spawner` post-filter for `state=ready`). `total` is
    /// left as it is, as JupyterHub leaves it.
    pub fn retain_ready(&mut self, mut ready: impl FnMut(&User, &Server) -> bool) {
        self.users.retain(|details| {
            details
                .servers
                .iter()
                .any(|server| server.address.is_some() && ready(&details.user, server))
        });
    }
}

impl Tx<'_> {
    /// The user called `name` with roles, groups, servers and received shares, in a fixed
    /// number of queries (seven), whatever their number.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown user.
    pub fn user_details(&mut self, name: &str) -> Result<UserDetails, StoreError> {
        let user = self.user(name)?;
        let mut details = self.details(vec![user])?;
        let mut one = details
            .pop()
            .ok_or_else(|| StoreError::not_found(crate::Kind::User, name))?;
        one.shares_received = self.shares_received_by_id(one.user.id)?;
        Ok(one)
    }

    /// A page of users with roles, groups and servers: four queries for the page and one
    /// to count, whatever the page size.
    ///
    /// # Errors
    ///
    /// Database errors, [`StoreError::Corrupt`] for unreadable rows.
    pub fn list_users(&mut self, query: &UserQuery<'_>) -> Result<UserPage, StoreError> {
        macro_rules! filtered {
            ($base:expr) => {{
                let mut q = $base;
                if let Some(filter) = query.name_filter.filter(|f| !f.is_empty()) {
                    q = q.filter(lower(users::name).like(lower(format!("%{filter}%"))));
                }
                let active = spawners::table
                    .filter(spawners::server_id.is_not_null())
                    .select(spawners::user_id);
                match query.state {
                    Some(StateFilter::Active | StateFilter::Ready) => {
                        q = q.filter(users::id.eq_any(active))
                    }
                    Some(StateFilter::Inactive) => q = q.filter(users::id.ne_all(active)),
                    None => {}
                }
                if let Some(visible) = query.visible {
                    let in_groups = user_group_map::table
                        .inner_join(groups::table)
                        .filter(groups::name.eq_any(visible.groups))
                        .select(user_group_map::user_id);
                    q = q.filter(
                        users::name
                            .eq_any(visible.users)
                            .or(users::id.eq_any(in_groups)),
                    );
                }
                q
            }};
        }
        let total: i64 = filtered!(users::table.into_boxed())
            .count()
            .get_result(self.conn)?;
        let mut q = filtered!(users::table.select(USER_COLUMNS).into_boxed());
        q = match (query.sort, query.descending) {
            (SortKey::Id, false) => q.order(users::id.asc()),
            (SortKey::Id, true) => q.order(users::id.desc()),
            (SortKey::Name, false) => q.order((users::name.asc(), users::id.asc())),
            (SortKey::Name, true) => q.order((users::name.desc(), users::id.asc())),
            (SortKey::LastActivity, false) => q.order((
                users::last_activity.is_not_null().asc(),
                users::last_activity.asc(),
                users::id.asc(),
            )),
            (SortKey::LastActivity, true) => q.order((
                users::last_activity.is_null().asc(),
                users::last_activity.desc(),
                users::id.asc(),
            )),
        };
        let rows = q
            .offset(i64::from(query.offset))
            .limit(i64::from(query.limit))
            .load::<UserRow>(self.conn)?;
        let users = rows
            .into_iter()
            .map(UserRow::into_user)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(UserPage {
            users: self.details(users)?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    /// Roles, groups and servers of these users: three queries.
    fn details(&mut self, users: Vec<User>) -> Result<Vec<UserDetails>, StoreError> {
        let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
        let role_rows: Vec<(i64, String)> = user_role_map::table
            .inner_join(roles::table)
            .filter(user_role_map::user_id.eq_any(&ids))
            .order((user_role_map::user_id.asc(), roles::id.asc()))
            .select((user_role_map::user_id, roles::name))
            .load(self.conn)?;
        let group_rows: Vec<(i64, String)> = user_group_map::table
            .inner_join(groups::table)
            .filter(user_group_map::user_id.eq_any(&ids))
            .order((user_group_map::user_id.asc(), groups::name.asc()))
            .select((user_group_map::user_id, groups::name))
            .load(self.conn)?;
        let server_rows: Vec<(i64, ServerRow)> = spawners::table
            .inner_join(users::table)
            .left_join(servers::table)
            .filter(spawners::user_id.eq_any(&ids))
            .order((spawners::user_id.asc(), spawners::name.asc()))
            .select((spawners::user_id, crate::servers::server_columns!()))
            .load(self.conn)?;
        let mut servers: Vec<(i64, Server)> = Vec::with_capacity(server_rows.len());
        for (user_id, row) in server_rows {
            servers.push((user_id, server_from_row(row)?));
        }
        Ok(users
            .into_iter()
            .map(|user| {
                let id = user.id;
                UserDetails {
                    roles: role_rows
                        .iter()
                        .filter(|(u, _)| *u == id)
                        .map(|(_, n)| n.clone())
                        .collect(),
                    groups: group_rows
                        .iter()
                        .filter(|(u, _)| *u == id)
                        .map(|(_, n)| n.clone())
                        .collect(),
                    servers: servers
                        .iter()
                        .filter(|(u, _)| *u == id)
                        .map(|(_, s)| s.clone())
                        .collect(),
                    shares_received: Vec::new(),
                    user,
                }
            })
            .collect())
    }
}
