//! Byte search in the short strings scopes are made of, eight bytes at a time.
//!
//! Scope texts are 10 to 40 bytes: a byte-by-byte loop spends most of `has_scope`'s time
//! finding `!` and `=`, and the set-up of a `memchr` call costs more than the search itself.
//! This is plain safe code over `u64` words.

const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);

/// Eight bytes as a little-endian word (one load); 0 if `chunk` is not eight bytes long.
#[inline]
pub(crate) fn load_word(chunk: &[u8]) -> u64 {
    <[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes)
}

/// The index of the first `needle` in `haystack`.
pub(crate) fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    let pattern = ONES.wrapping_mul(u64::from(needle));
    let mut chunks = haystack.chunks_exact(8);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        let x = load_word(chunk) ^ pattern;
        // A zero byte of `x` is a match; the lowest flagged byte is the first match (the
        // classic test only over-reports above a true zero).
        let zeros = x.wrapping_sub(ONES) & !x & HIGHS;
        if zeros != 0 {
            return Some(offset + (zeros.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|b| *b == needle)
        .map(|at| offset + at)
}

/// Four bytes of `bytes` at `at` as a word; 0 past the end.
#[inline]
fn load4(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .and_then(|w| <[u8; 4]>::try_from(w).ok())
        .map_or(0, u32::from_le_bytes)
}

/// Eight bytes of `bytes` at `at` as a word; 0 past the end.
#[inline]
fn load8(bytes: &[u8], at: usize) -> u64 {
    bytes.get(at..at + 8).map_or(0, load_word)
}

/// Whether `a` and `b` are the same bytes. Up to 32 bytes (scope names, filter kinds, user
/// names, whole scopes), a few overlapping word loads per side settle it without a `memcmp`
/// call.
#[inline]
pub(crate) fn short_eq(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len != b.len() {
        return false;
    }
    match len {
        0 => true,
        1..=3 => a == b,
        4..=8 => load4(a, 0) == load4(b, 0) && load4(a, len - 4) == load4(b, len - 4),
        9..=16 => load8(a, 0) == load8(b, 0) && load8(a, len - 8) == load8(b, len - 8),
        17..=32 => {
            // Four words: the first and last 16 bytes, overlapping in the middle.
            ((load8(a, 0) ^ load8(b, 0))
                | (load8(a, 8) ^ load8(b, 8))
                | (load8(a, len - 16) ^ load8(b, len - 16))
                | (load8(a, len - 8) ^ load8(b, len - 8)))
                == 0
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn finds_the_first_match() {
        assert_eq!(find_byte(b"read:users!user=a!b", b'!'), Some(10));
        assert_eq!(find_byte(b"0123456789abcdef!", b'!'), Some(16));
        assert_eq!(find_byte(b"!", b'!'), Some(0));
        assert_eq!(find_byte(b"", b'!'), None);
        assert_eq!(find_byte(b"\x80\x81!", b'!'), Some(2));
    }

    proptest! {
        #[test]
        fn short_eq_agrees_with_eq(a in proptest::collection::vec(0u8..3, 0..40), b in proptest::collection::vec(0u8..3, 0..40)) {
            prop_assert_eq!(short_eq(&a, &b), a == b);
            prop_assert!(short_eq(&a, &a));
        }

        #[test]
        fn find_agrees_with_position(haystack in proptest::collection::vec(any::<u8>(), 0..40), needle: u8) {
            prop_assert_eq!(find_byte(&haystack, needle), haystack.iter().position(|b| *b == needle));
        }
    }
}
