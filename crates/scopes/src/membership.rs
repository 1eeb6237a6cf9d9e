//! Group membership: the one fact from outside that scope decisions may need. A `!group=`
//! filter grants access to the group's members, so intersections and access checks ask the
//! caller who is in which group. The caller implements [`GroupMembership`] over its database,
//! a preloaded map, or whatever it has; passing `None` instead means "no membership
//! information", which is JupyterHub's `db=None`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Answers whether a user belongs to a group.
pub trait GroupMembership {
    /// Whether `user` is a member of `group`.
    fn is_member(&self, user: &str, group: &str) -> bool;

    /// The first of `groups` (in their order) that `user` belongs to.
    fn first_common_group<'g>(
        &self,
        user: &str,
        groups: &mut dyn Iterator<Item = &'g str>,
    ) -> Option<&'g str> {
        let mut groups = groups;
        Iterator::find(&mut groups, |group| self.is_member(user, group))
    }
}

/// Memberships held in memory: user name to the names of their groups.
impl<S: std::hash::BuildHasher> GroupMembership for HashMap<String, BTreeSet<String>, S> {
    fn is_member(&self, user: &str, group: &str) -> bool {
        self.get(user).is_some_and(|groups| groups.contains(group))
    }
}

/// Memberships held in memory: user name to the names of their groups.
impl GroupMembership for BTreeMap<String, BTreeSet<String>> {
    fn is_member(&self, user: &str, group: &str) -> bool {
        self.get(user).is_some_and(|groups| groups.contains(group))
    }
}

impl<T: GroupMembership + ?Sized> GroupMembership for &T {
    fn is_member(&self, user: &str, group: &str) -> bool {
        (**self).is_member(user, group)
    }
}
