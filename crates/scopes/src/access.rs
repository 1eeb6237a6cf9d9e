//! Access checks on a parsed scope set: does it grant one required scope (JupyterHub's
//! `has_scope`), and does a held base's filter cover one resource (`check_scope_filter`, used
//! to filter lists and model fields).
//!
//! [`check`] answers with the [`Grant`] that allowed access, so that decisions can say why;
//! [`has_scope`] is the yes/no form.

use crate::base_id::BaseId;
use crate::error::CheckError;
use crate::membership::GroupMembership;
use crate::need::{Need, NeedFilter, split_required};
use crate::parsed::{Direct, FilterValues, Filters, ParsedScopes};
use crate::scope::{FilterKind, KindCode, Scope};

/// How a held scope covers a required one.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum Grant {
    /// The base is held unfiltered.
    Unfiltered {
        /// The held scope.
        held: Scope,
    },
    /// The required scope has no filter, the base is held with some filter, and the caller
    /// filters the results itself (`post_filter`, list endpoints).
    PostFilter {
        /// The base scope.
        base: String,
    },
    /// The same filter is held.
    Exact {
        /// The held scope.
        held: Scope,
    },
    /// A server is required and its owner is held (`!user=alice` covers `!server=alice/x`).
    ServerOwner {
        /// The held scope.
        held: Scope,
    },
    /// A user (or a server's owner) is a member of a held group.
    Group {
        /// The held scope.
        held: Scope,
        /// The user whose membership counted.
        member: String,
    },
}

impl Grant {
    /// The held scope that granted access (for [`Grant::PostFilter`], the base).
    pub fn held(&self) -> &str {
        match self {
            Grant::PostFilter { base } => base,
            Grant::Unfiltered { held }
            | Grant::Exact { held }
            | Grant::ServerOwner { held }
            | Grant::Group { held, .. } => held.as_str(),
        }
    }
}

/// Whether `have` grants `required` (JupyterHub's `has_scope`).
///
/// - the base must be held; held unfiltered, it grants everything;
/// - an unfiltered requirement against a filtered holding passes only with `post_filter`;
/// - a filtered requirement passes on the same filter, on a server's owner, or (with
///   membership information) on a group of the user or of the server's owner. Nothing else
///   crosses kinds: users do not grant groups, servers do not grant their users.
///
/// Fails when the required scope has a bare filter, or when `post_filter` is asked for a
/// filtered requirement. Allocates nothing.
pub fn has_scope(
    required: &str,
    have: &ParsedScopes,
    post_filter: bool,
    groups: Option<&dyn GroupMembership>,
) -> Result<bool, CheckError> {
    let (base, kind, value) = split_required(required)?;
    let id = BaseId::of(base);
    // Held unfiltered, the base grants any filter: the filter's kind and owner are then
    // never looked at.
    if have.holds_all_of(id) {
        return Ok(true);
    }
    has_need(
        &Need::on_id(base, id, kind, value),
        have,
        post_filter,
        groups,
    )
}

/// [`has_scope`] for a requirement already split ([`Need`]): what a handler that knows its
/// scope and its resource asks, without joining them into a string to split again.
///
/// The same steps as [`check_need`], without recording how access was granted: the yes/no
/// is what every request asks, so it stays small enough to inline.
#[inline]
pub fn has_need(
    need: &Need<'_>,
    have: &ParsedScopes,
    post_filter: bool,
    groups: Option<&dyn GroupMembership>,
) -> Result<bool, CheckError> {
    match have.quick_answer(need, post_filter, groups.is_some()) {
        Some(answer) => Ok(answer),
        None => has_need_in_general(need, have, post_filter, groups),
    }
}

/// [`has_need`] when the quick answer does not settle it: kept out of line, so that the
/// quick path needs no stack frame.
#[inline(never)]
fn has_need_in_general(
    need: &Need<'_>,
    have: &ParsedScopes,
    post_filter: bool,
    groups: Option<&dyn GroupMembership>,
) -> Result<bool, CheckError> {
    let Some(held) = held_of(need, have) else {
        return Ok(false);
    };
    let Filters::Some(held_filters) = held else {
        return Ok(true);
    };
    let Some(filter) = need.filter else {
        return Ok(post_filter);
    };
    if post_filter {
        return Err(CheckError::PostFilterOnFiltered);
    }
    Ok(held_filters.direct_need(&filter).is_some()
        || group_grant(held_filters, &filter, groups).is_some())
}

/// What `have` holds of the need's base.
#[inline]
pub(crate) fn held_of<'a>(need: &Need<'_>, have: &'a ParsedScopes) -> Option<Filters<'a>> {
    match need.id.is_builtin() {
        true => have.get_id(need.id),
        false => have.get(need.base),
    }
}

/// The first held group that has the required user (or the required server's owner) as a
/// member, when there is membership information.
fn group_grant<'a>(
    held_filters: FilterValues<'a>,
    filter: &NeedFilter<'_>,
    groups: Option<&dyn GroupMembership>,
) -> Option<&'a str> {
    let (Some(groups), KindCode::User | KindCode::Server) = (groups, filter.code) else {
        return None;
    };
    let mut held_groups = held_filters
        .of_code(KindCode::Group)
        .iter()
        .filter_map(Scope::filter_value);
    groups.first_common_group(filter.user, &mut held_groups)
}

/// [`has_scope`], saying which held scope granted access.
pub fn check(
    required: &str,
    have: &ParsedScopes,
    post_filter: bool,
    groups: Option<&dyn GroupMembership>,
) -> Result<Option<Grant>, CheckError> {
    check_need(&Need::parse(required)?, have, post_filter, groups)
}

/// [`has_need`], saying which held scope granted access.
pub fn check_need(
    need: &Need<'_>,
    have: &ParsedScopes,
    post_filter: bool,
    groups: Option<&dyn GroupMembership>,
) -> Result<Option<Grant>, CheckError> {
    let Some(via) = find_grant(need, have, post_filter, groups)? else {
        return Ok(None);
    };
    let base = need.base;
    Ok(Some(match via {
        Via::Unfiltered => Grant::Unfiltered {
            held: Scope::lenient(base),
        },
        Via::PostFilter => Grant::PostFilter {
            base: base.to_owned(),
        },
        Via::Exact => Grant::Exact {
            held: need.to_scope(),
        },
        Via::ServerOwner { user } => Grant::ServerOwner {
            held: Scope::filtered(base, FilterKind::User, user),
        },
        Via::Group { group, user } => Grant::Group {
            held: Scope::filtered(base, FilterKind::Group, group),
            member: user.to_owned(),
        },
    }))
}

/// How access was granted, borrowing from the inputs (the allocation-free form of [`Grant`]).
enum Via<'a> {
    Unfiltered,
    PostFilter,
    Exact,
    ServerOwner { user: &'a str },
    Group { group: &'a str, user: &'a str },
}

fn find_grant<'a>(
    need: &Need<'a>,
    have: &'a ParsedScopes,
    post_filter: bool,
    groups: Option<&dyn GroupMembership>,
) -> Result<Option<Via<'a>>, CheckError> {
    let Some(held) = held_of(need, have) else {
        return Ok(None);
    };
    let Filters::Some(held_filters) = held else {
        return Ok(Some(Via::Unfiltered));
    };
    let Some(filter) = need.filter else {
        return Ok(post_filter.then_some(Via::PostFilter));
    };
    if post_filter {
        return Err(CheckError::PostFilterOnFiltered);
    }
    match held_filters.direct_need(&filter) {
        Some(Direct::Same) => return Ok(Some(Via::Exact)),
        Some(Direct::Owner) => return Ok(Some(Via::ServerOwner { user: filter.user })),
        None => {}
    }
    Ok(
        group_grant(held_filters, &filter, groups).map(|group| Via::Group {
            group,
            user: filter.user,
        }),
    )
}

/// A resource that a filter can name, with the facts the check needs about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource<'a> {
    /// A user and the names of their groups.
    User {
        /// The user name.
        name: &'a str,
        /// The user's groups.
        groups: &'a [&'a str],
    },
    /// A server, its owner, and the owner's groups.
    Server {
        /// The owner's name.
        user: &'a str,
        /// The server name (`""` for the default server).
        name: &'a str,
        /// The owner's groups.
        user_groups: &'a [&'a str],
    },
    /// A group.
    Group {
        /// The group name.
        name: &'a str,
    },
    /// A service.
    Service {
        /// The service name.
        name: &'a str,
    },
}

impl Resource<'_> {
    /// The filter kind that names this resource.
    pub fn kind(&self) -> &'static str {
        match self {
            Resource::User { .. } => "user",
            Resource::Server { .. } => "server",
            Resource::Group { .. } => "group",
            Resource::Service { .. } => "service",
        }
    }
}

/// Whether the held filters of one base cover `resource` (JupyterHub's `check_scope_filter`).
/// A server is covered by its `user/name`, by its owner, or by a group of its owner; a user by
/// name or by one of their groups; groups and services only by name.
pub fn check_scope_filter(filters: Filters<'_>, resource: &Resource<'_>) -> bool {
    let Filters::Some(held) = filters else {
        return true;
    };
    let holds = |kind: &str, value: &str| held.holds(kind, value);
    let in_groups = |groups: &[&str]| groups.iter().any(|g| holds("group", g));
    match *resource {
        Resource::User { name, groups } => holds("user", name) || in_groups(groups),
        Resource::Server {
            user,
            name,
            user_groups,
        } => {
            // JupyterHub first compares the bare server name with the server filters.
            holds("server", name)
                || held
                    .of_kind("server")
                    .iter()
                    .filter_map(Scope::filter_value)
                    .any(|s| is_server(s, user, name))
                || holds("user", user)
                || in_groups(user_groups)
        }
        Resource::Group { name } => holds("group", name),
        Resource::Service { name } => holds("service", name),
    }
}

/// Whether `value` is `user/name`, without allocating.
fn is_server(value: &str, user: &str, name: &str) -> bool {
    value
        .strip_prefix(user)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|rest| rest == name)
}

#[cfg(test)]
mod tests {

    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    fn parsed(scopes: &[&str]) -> ParsedScopes {
        let scopes: Vec<Scope> = scopes.iter().map(|s| Scope::lenient(*s)).collect();
        ParsedScopes::parse(&scopes).unwrap()
    }

    fn has(required: &str, have: &[&str]) -> bool {
        has_scope(required, &parsed(have), false, None).unwrap()
    }

    #[test]
    fn filters_cross_kinds_only_from_server_to_user() {
        assert!(has("read:users", &["read:users"]));
        assert!(has("read:users!user=alice", &["read:users"]));
        assert!(has("read:users!user=alice", &["read:users!user=alice"]));
        assert!(!has("read:users", &["read:users!user=alice"]));
        assert!(has("servers!server=alice/x", &["servers!user=alice"]));
        assert!(!has("servers!user=alice", &["servers!server=alice/x"]));
        assert!(!has("read:groups!group=g1", &["read:groups!user=alice"]));
    }

    #[test]
    fn groups_grant_their_members_with_membership_information() {
        let m = BTreeMap::from([("alice".to_owned(), BTreeSet::from(["g1".to_owned()]))]);
        let have = parsed(&["servers!group=g1"]);
        let grant = check("servers!server=alice/x", &have, false, Some(&m)).unwrap();
        assert_eq!(grant.unwrap().held(), "servers!group=g1");
        assert!(!has_scope("servers!server=alice/x", &have, false, None).unwrap());
    }

    #[test]
    fn malformed_requirements_are_errors() {
        let have = parsed(&["read:users!user=a"]);
        assert_eq!(
            has_scope("read:users!user", &have, false, None)
                .unwrap_err()
                .to_string(),
            "Unexpanded scope filter read:users!user not allowed. Use expanded scopes."
        );
        assert!(has_scope("read:users", &have, true, None).unwrap());
        assert!(has_scope("read:users!user=a", &have, true, None).is_err());
    }

    #[test]
    fn resources_are_covered_as_in_jupyterhub() {
        let covers = |held: &[&str], resource: &Resource<'_>| {
            check_scope_filter(parsed(held).get("x").unwrap(), resource)
        };
        let alice_x = Resource::Server {
            user: "alice",
            name: "x",
            user_groups: &["g1"],
        };
        assert!(covers(&["x!server=alice/x"], &alice_x));
        assert!(covers(&["x!user=alice"], &alice_x));
        assert!(covers(&["x!group=g1"], &alice_x));
        assert!(!covers(&["x!server=alice/"], &alice_x));
        // JupyterHub first compares the bare server name with the server filters.
        assert!(covers(&["x!server=x"], &alice_x));
        let alice = Resource::User {
            name: "alice",
            groups: &["g1"],
        };
        assert!(covers(&["x!group=g1"], &alice));
        assert!(!covers(&["x!service=alice"], &alice));
        assert!(covers(&["x"], &alice));
    }
}
