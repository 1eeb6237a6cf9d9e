//! JupyterHub's built-in scope names as small integers.
//!
//! Every [`crate::Scope`] knows, from the moment it is built, whether its base is one of the 48
//! built-in names and which. Indexing a set, meeting two sets and checking a requirement then
//! compare and index bytes instead of comparing names: the names are fixed by JupyterHub
//! 6.1.1, so the numbering is a constant, not state. Custom scopes and unknown names are
//! [`BaseId::OTHER`] and take the general path, by text.

use crate::bytes::short_eq;

/// The built-in scope names, in code-point order (the order of scope texts). A name's id is its
/// position here plus one, so ids compare as names do.
pub(crate) const NAMES: [&str; 48] = [
    "(no_scope)",
    "access:servers",
    "access:services",
    "admin-ui",
    "admin:auth_state",
    "admin:groups",
    "admin:server_state",
    "admin:servers",
    "admin:services",
    "admin:users",
    "delete:groups",
    "delete:servers",
    "delete:users",
    "groups",
    "groups:shares",
    "inherit",
    "list:groups",
    "list:services",
    "list:users",
    "proxy",
    "read:groups",
    "read:groups:name",
    "read:groups:shares",
    "read:hub",
    "read:metrics",
    "read:roles",
    "read:roles:groups",
    "read:roles:services",
    "read:roles:users",
    "read:servers",
    "read:services",
    "read:services:name",
    "read:shares",
    "read:tokens",
    "read:users",
    "read:users:activity",
    "read:users:groups",
    "read:users:name",
    "read:users:shares",
    "self",
    "servers",
    "shares",
    "shutdown",
    "start:servers",
    "tokens",
    "users",
    "users:activity",
    "users:shares",
];

/// How many ids there are besides [`BaseId::OTHER`].
pub(crate) const COUNT: usize = NAMES.len();

/// The id of a scope's base: `1..=48` for a built-in name, 0 for anything else.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct BaseId(u8);

impl BaseId {
    /// Any base that is not a built-in name.
    pub(crate) const OTHER: BaseId = BaseId(0);

    /// The id of `base` (one hash, usually one probe, one comparison).
    pub(crate) fn of(base: &str) -> BaseId {
        let bytes = base.as_bytes();
        let (Some(first), Some(last), Some(middle)) =
            (bytes.first(), bytes.last(), bytes.get(bytes.len() / 2))
        else {
            return BaseId::OTHER;
        };
        let mut slot = mix(bytes.len(), *first, *middle, *last);
        for _ in 0..SLOTS {
            let id = SLOT_IDS.get(slot).copied().unwrap_or(0);
            let Some(name) = NAMES.get(usize::from(id).wrapping_sub(1)) else {
                return BaseId::OTHER;
            };
            if short_eq(name.as_bytes(), bytes) {
                return BaseId(id);
            }
            slot = (slot + 1) % SLOTS;
        }
        BaseId::OTHER
    }

    /// Whether the base is a built-in name.
    pub(crate) fn is_builtin(self) -> bool {
        self.0 != 0
    }

    /// The position of a built-in name in [`NAMES`].
    pub(crate) fn index(self) -> Option<usize> {
        usize::from(self.0).checked_sub(1)
    }
}

/// Size of the open-addressing table of names: a power of two, well above 48.
const SLOTS: usize = 128;

/// The first slot to probe for a name of `len` bytes with these first, middle and last bytes.
const fn mix(len: usize, first: u8, middle: u8, last: u8) -> usize {
    let h = len
        .wrapping_mul(0x9E37)
        .wrapping_add((first as usize).wrapping_mul(0x85EB))
        .wrapping_add((middle as usize).wrapping_mul(0xC2B2))
        .wrapping_add((last as usize).wrapping_mul(0x27D4));
    (h ^ (h >> 7)) % SLOTS
}

/// Each slot's id (0 for empty), filled from [`NAMES`] by linear probing.
const SLOT_IDS: [u8; SLOTS] = slot_ids();

#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: an index out of range fails the build, not a request"
)]
const fn slot_ids() -> [u8; SLOTS] {
    let mut slots = [0u8; SLOTS];
    let mut at = 0;
    while at < COUNT {
        let name = NAMES[at].as_bytes();
        let len = name.len();
        let mut slot = mix(len, name[0], name[len / 2], name[len - 1]);
        while slots[slot] != 0 {
            slot = (slot + 1) % SLOTS;
        }
        slots[slot] = (at + 1) as u8;
        at += 1;
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::BUILTINS;

    #[test]
    fn names_are_the_builtins_in_code_point_order() {
        let mut builtins: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
        builtins.sort_unstable();
        assert_eq!(NAMES.to_vec(), builtins);
    }

    #[test]
    fn every_name_finds_its_id_and_ids_order_as_names() {
        for (at, name) in NAMES.iter().enumerate() {
            let id = BaseId::of(name);
            assert_eq!(id.index(), Some(at), "{name}");
        }
        for pair in NAMES.windows(2) {
            assert!(BaseId::of(pair[0]) < BaseId::of(pair[1]));
        }
    }

    #[test]
    fn other_names_are_other() {
        for base in [
            "",
            "read:user",
            "read:users:",
            "custom:x",
            "READ:USERS",
            "users ",
            "x",
            "é",
        ] {
            assert_eq!(BaseId::of(base), BaseId::OTHER, "{base:?}");
        }
    }
}
