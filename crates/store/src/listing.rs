//! Loading users with what belongs to them, without a query per user: one user
//! ([`Tx::user_details`]) or a page of them ([`Tx::list_users`], JupyterHub's
//! `GET /users` with offset, limit, `name_filter`, `state` and `sort`).

use std::collections::HashMap;

use diesel::prelude::*;

use crate::conn::on_backend;
use crate::error::StoreError;
use crate::groups::user_groups_query;
use crate::schema::{groups, roles, servers, spawners, user_group_map, user_role_map, users};
use crate::servers::{Server, ServerRow, server_from_row};
use crate::shares::{ShareRow, StoredShare, received_shares, received_shares_query};
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

/// A user's servers, by name (with their addresses).
macro_rules! servers_query {
    () => {
        spawners::table
            .inner_join(users::table)
            .left_join(servers::table)
            .select((spawners::user_id, crate::servers::server_columns!()))
    };
}

impl Tx<'_> {
    /// The user called `name` with roles, groups, servers and received shares, in five
    /// queries whatever their number: the user, roles, groups, servers, and the shares
    /// received directly and through the groups (one `UNION ALL`).
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown user.
    pub fn user_details(&mut self, name: &str) -> Result<UserDetails, StoreError> {
        on_backend!(&mut *self.conn, |c| {
            let user = users::table
                .filter(users::name.eq(name))
                .select(USER_COLUMNS)
                .get_result::<UserRow>(c)
                .optional()?
                .ok_or_else(|| StoreError::not_found(crate::Kind::User, name))?
                .into_user()?;
            let roles: Vec<String> = user_role_map::table
                .inner_join(roles::table)
                .filter(user_role_map::user_id.eq(user.id))
                .order(roles::id.asc())
                .select(roles::name)
                .load(c)?;
            let groups: Vec<(i64, String)> = user_groups_query!(user.id).load(c)?;
            let servers: Vec<(i64, ServerRow)> = servers_query!()
                .filter(spawners::user_id.eq(user.id))
                .order(spawners::name.asc())
                .load(c)?;
            let shares: Vec<ShareRow> = received_shares_query!(user.id).load(c)?;
            Ok(UserDetails {
                roles,
                servers: servers
                    .into_iter()
                    .map(|(_, row)| server_from_row(row))
                    .collect::<Result<_, _>>()?,
                shares_received: received_shares(shares, &user.name, &groups)?,
                groups: groups.into_iter().map(|(_, name)| name).collect(),
                user,
            })
        })
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
        on_backend!(&mut *self.conn, |c| {
            let total: i64 = filtered!(users::table.into_boxed()).count().get_result(c)?;
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
                .load::<UserRow>(c)?;
            let mut page = Page::new(rows)?;
            if !page.ids.is_empty() {
                let ids = &page.ids;
                let roles: Vec<(i64, String)> = user_role_map::table
                    .inner_join(roles::table)
                    .filter(user_role_map::user_id.eq_any(ids))
                    .order((user_role_map::user_id.asc(), roles::id.asc()))
                    .select((user_role_map::user_id, roles::name))
                    .load(c)?;
                let groups: Vec<(i64, String)> = user_group_map::table
                    .inner_join(groups::table)
                    .filter(user_group_map::user_id.eq_any(ids))
                    .order((user_group_map::user_id.asc(), groups::name.asc()))
                    .select((user_group_map::user_id, groups::name))
                    .load(c)?;
                let servers: Vec<(i64, ServerRow)> = servers_query!()
                    .filter(spawners::user_id.eq_any(ids))
                    .order((spawners::user_id.asc(), spawners::name.asc()))
                    .load(c)?;
                page.fill(roles, groups, servers)?;
            }
            Ok(UserPage {
                users: page.users,
                total: u64::try_from(total).unwrap_or(0),
            })
        })
    }
}

/// A page of users being filled with what belongs to them.
struct Page {
    users: Vec<UserDetails>,
    /// The users' ids, in the page's order.
    ids: Vec<i64>,
    /// Where each id is in `users`.
    index: HashMap<i64, usize>,
}

impl Page {
    fn new(rows: Vec<UserRow>) -> Result<Page, StoreError> {
        let mut page = Page {
            users: Vec::with_capacity(rows.len()),
            ids: Vec::with_capacity(rows.len()),
            index: HashMap::with_capacity(rows.len()),
        };
        for row in rows {
            let user = row.into_user()?;
            page.index.insert(user.id, page.users.len());
            page.ids.push(user.id);
            page.users.push(UserDetails {
                user,
                roles: Vec::new(),
                groups: Vec::new(),
                servers: Vec::new(),
                shares_received: Vec::new(),
            });
        }
        Ok(page)
    }

    fn user(&mut self, id: i64) -> Option<&mut UserDetails> {
        let at = *self.index.get(&id)?;
        self.users.get_mut(at)
    }

    /// Hands each row to its user; rows come in the order each user's list keeps.
    fn fill(
        &mut self,
        roles: Vec<(i64, String)>,
        groups: Vec<(i64, String)>,
        servers: Vec<(i64, ServerRow)>,
    ) -> Result<(), StoreError> {
        for (id, role) in roles {
            if let Some(details) = self.user(id) {
                details.roles.push(role);
            }
        }
        for (id, group) in groups {
            if let Some(details) = self.user(id) {
                details.groups.push(group);
            }
        }
        for (id, row) in servers {
            let server = server_from_row(row)?;
            if let Some(details) = self.user(id) {
                details.servers.push(server);
            }
        }
        Ok(())
    }
}
