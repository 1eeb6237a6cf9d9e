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

    /// The id of `base`: one hash, one table load, one comparison (the hash is perfect on
    /// the 48 names, so a name has exactly one slot to be in).
    pub(crate) fn of(base: &str) -> BaseId {
        let bytes = base.as_bytes();
        let id = SLOT_IDS
            .get(slot_of(name_key(bytes), SEED))
            .copied()
            .unwrap_or(0);
        match NAMES.get(usize::from(id).wrapping_sub(1)) {
            Some(name) if short_eq(name.as_bytes(), bytes) => BaseId(id),
            _ => BaseId::OTHER,
        }
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

/// Size of the table of names: a power of two, a few times 48, so that a perfect seed is
/// found after a few hundred tries.
const SLOTS: usize = 256;

/// A text's hash key: its first and last (up to) eight bytes and its length. Every built-in
/// name has its own key (checked at compile time). Texts under four bytes, which no name is,
/// all get key 0.
const fn name_key(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    let (head, tail) = if len >= 8 {
        (word_at(bytes, 0, 8), word_at(bytes, len - 8, 8))
    } else if len >= 4 {
        let word = word_at(bytes, 0, 4) | (word_at(bytes, len - 4, 4) << 32);
        (word, word)
    } else {
        return 0;
    };
    head ^ tail.rotate_left(29) ^ (len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// `width` (4 or 8) bytes of `bytes` at `at`, little-endian; 0 past the end.
#[inline(always)]
const fn word_at(bytes: &[u8], at: usize, width: usize) -> u64 {
    let Some((_, rest)) = bytes.split_at_checked(at) else {
        return 0;
    };
    if width == 8 {
        if let Some((word, _)) = rest.split_first_chunk::<8>() {
            return u64::from_le_bytes(*word);
        }
    } else if let Some((word, _)) = rest.split_first_chunk::<4>() {
        return u32::from_le_bytes(*word) as u64;
    }
    0
}

/// The slot of a key under a seed (multiply-shift hashing).
#[inline(always)]
const fn slot_of(key: u64, seed: u64) -> usize {
    (key.wrapping_mul(seed) >> 56) as usize % SLOTS
}

/// The first odd seed that puts every name in a slot of its own, found at compile time.
const SEED: u64 = perfect_seed();

/// Each slot's id (0 for empty) under [`SEED`].
const SLOT_IDS: [u8; SLOTS] = slot_ids(SEED);

#[allow(
    clippy::indexing_slicing,
    clippy::panic,
    reason = "evaluated at compile time: an index out of range or a panic fails the build, not a request"
)]
const fn perfect_seed() -> u64 {
    let mut candidate: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut tries = 0;
    while tries < 100_000 {
        if collides(candidate).is_none() {
            return candidate;
        }
        candidate = candidate.wrapping_add(0x2545_F491_4F6C_DD1D) | 1;
        tries += 1;
    }
    panic!("no perfect seed for the built-in scope names: change name_key");
}

/// The first name that lands in a slot already taken under `seed`, if any.
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: an index out of range fails the build, not a request"
)]
const fn collides(seed: u64) -> Option<usize> {
    let mut taken = [false; SLOTS];
    let mut at = 0;
    while at < COUNT {
        let slot = slot_of(name_key(NAMES[at].as_bytes()), seed);
        if taken[slot] {
            return Some(at);
        }
        taken[slot] = true;
        at += 1;
    }
    None
}

#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: an index out of range fails the build, not a request"
)]
const fn slot_ids(seed: u64) -> [u8; SLOTS] {
    let mut slots = [0u8; SLOTS];
    let mut at = 0;
    while at < COUNT {
        slots[slot_of(name_key(NAMES[at].as_bytes()), seed)] = (at + 1) as u8;
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

    proptest::proptest! {
        #[test]
        fn an_id_is_found_exactly_for_the_names(
            name in proptest::sample::select(NAMES.to_vec()),
            cut in 0usize..24,
            extra in "[a-z:_!=]{0,3}",
        ) {
            // A name, cut short or lengthened: only the names themselves have an id.
            let text: String = name.chars().take(cut).collect::<String>() + &extra;
            let expected = NAMES.iter().position(|n| *n == text);
            proptest::prop_assert_eq!(BaseId::of(&text).index(), expected, "{:?}", text);
        }
    }

    #[test]
    fn the_seed_is_perfect() {
        assert_eq!(collides(SEED), None);
        assert_eq!(SLOT_IDS.iter().filter(|id| **id != 0).count(), COUNT);
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
            "selff",
            "read:users\0",
            "read:usersread:users",
        ] {
            assert_eq!(BaseId::of(base), BaseId::OTHER, "{base:?}");
        }
    }
}
