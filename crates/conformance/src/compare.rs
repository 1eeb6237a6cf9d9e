//! Comparison (FORMAT.md §6): JSON equality, plus the few approximate fields the format allows.

use serde_json::Value;

/// Whether hubcap's warnings equal the recorded ones as a multiset, with the elements inside
/// each `frozenset({...})` compared in any order (Python prints them in hash order).
pub fn warnings_match(expected: &[String], got: &[String]) -> bool {
    let mut expected: Vec<String> = expected.iter().map(|w| canonical_frozensets(w)).collect();
    let mut got: Vec<String> = got.iter().map(|w| canonical_frozensets(w)).collect();
    expected.sort();
    got.sort();
    expected == got
}

/// Sorts the elements inside every `frozenset({...})` of a message.
fn canonical_frozensets(text: &str) -> String {
    const OPEN: &str = "frozenset({";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let (before, after) = rest.split_at(start + OPEN.len());
        out.push_str(before);
        let Some(end) = after.find("})") else {
            rest = after;
            continue;
        };
        let (inside, tail) = after.split_at(end);
        let mut items: Vec<&str> = inside.split(", ").collect();
        items.sort_unstable();
        out.push_str(&items.join(", "));
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Whether two outputs are JSON-equal (object key order never matters).
pub fn outputs_match(expected: &Value, got: &Value) -> bool {
    expected == got
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozenset_elements_compare_in_any_order() {
        let a = ["x[!user=frozenset({'a', 'b'}), !group=frozenset({'g'})] tail".to_owned()];
        let b = ["x[!user=frozenset({'b', 'a'}), !group=frozenset({'g'})] tail".to_owned()];
        assert!(warnings_match(&a, &b));
        let c = ["x[!user=frozenset({'c', 'a'}), !group=frozenset({'g'})] tail".to_owned()];
        assert!(!warnings_match(&a, &c));
    }

    #[test]
    fn warnings_are_a_multiset() {
        let a = ["one".to_owned(), "two".to_owned()];
        let b = ["two".to_owned(), "one".to_owned()];
        assert!(warnings_match(&a, &b));
        assert!(!warnings_match(&a, &b[..1]));
    }
}
