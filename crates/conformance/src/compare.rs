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

/// Whether two outputs of `function` are JSON-equal (object key order never matters), with
/// the approximate fields of FORMAT.md §6.
pub fn outputs_match(function: &str, expected: &Value, got: &Value) -> bool {
    if expected == got {
        return true;
    }
    if function == "ShareCode.new" {
        return share_code_matches(expected, got);
    }
    match (error_message(expected), error_message(got)) {
        (Some((class_a, a)), Some((class_b, b))) if class_a == class_b => not_held_matches(a, b),
        _ => false,
    }
}

fn error_message(value: &Value) -> Option<(&str, &str)> {
    let object = value.as_object()?;
    if object.len() != 2 {
        return None;
    }
    Some((
        object.get("error")?.as_str()?,
        object.get("message")?.as_str()?,
    ))
}

/// `Not assigning requested scopes S not held by KIND NAME`: `S` is a Python set joined by
/// `,`, compared as a set; the rest exactly.
fn not_held_matches(expected: &str, got: &str) -> bool {
    const HEAD: &str = "Not assigning requested scopes ";
    const MIDDLE: &str = " not held by ";
    let split = |message: &str| -> Option<(Vec<String>, String)> {
        let rest = message.strip_prefix(HEAD)?;
        let (set, tail) = rest.split_at(rest.rfind(MIDDLE)?);
        let mut items: Vec<String> = set.split(',').map(str::to_owned).collect();
        items.sort_unstable();
        Some((items, tail.to_owned()))
    };
    match (split(expected), split(got)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// `ShareCode.new`: `expires_in_seconds_approx` within 60 s, `id` any `sc_DIGITS`.
fn share_code_matches(expected: &Value, got: &Value) -> bool {
    let (Some(expected), Some(got)) = (expected.as_object(), got.as_object()) else {
        return false;
    };
    if expected.len() != got.len() {
        return false;
    }
    expected.iter().all(|(key, want)| {
        let Some(have) = got.get(key) else {
            return false;
        };
        match key.as_str() {
            "expires_in_seconds_approx" => match (want.as_f64(), have.as_f64()) {
                (Some(a), Some(b)) => (a - b).abs() <= 60.0,
                _ => false,
            },
            "id" => have.as_str().is_some_and(|id| {
                id.strip_prefix("sc_")
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            }),
            _ => want == have,
        }
    })
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
    fn not_held_sets_compare_in_any_order() {
        let error = |message: &str| serde_json::json!({"error": "ValueError", "message": message});
        let a = error("Not assigning requested scopes b,a not held by User alice");
        let b = error("Not assigning requested scopes a,b not held by User alice");
        let c = error("Not assigning requested scopes a,b not held by User bob");
        let d = error("Not assigning requested scopes a,c not held by User alice");
        assert!(outputs_match("APIToken.new", &a, &b));
        assert!(!outputs_match("APIToken.new", &a, &c));
        assert!(!outputs_match("APIToken.new", &a, &d));
    }

    #[test]
    fn share_code_fields_are_approximate() {
        let want =
            serde_json::json!({"expires_in_seconds_approx": 86400, "id": "sc_1", "code_len": 43});
        let near =
            serde_json::json!({"expires_in_seconds_approx": 86340, "id": "sc_17", "code_len": 43});
        let far =
            serde_json::json!({"expires_in_seconds_approx": 86280, "id": "sc_1", "code_len": 43});
        let bad_id =
            serde_json::json!({"expires_in_seconds_approx": 86400, "id": "x1", "code_len": 43});
        assert!(outputs_match("ShareCode.new", &want, &near));
        assert!(!outputs_match("ShareCode.new", &want, &far));
        assert!(!outputs_match("ShareCode.new", &want, &bad_id));
    }

    #[test]
    fn warnings_are_a_multiset() {
        let a = ["one".to_owned(), "two".to_owned()];
        let b = ["two".to_owned(), "one".to_owned()];
        assert!(warnings_match(&a, &b));
        assert!(!warnings_match(&a, &b[..1]));
    }
}
