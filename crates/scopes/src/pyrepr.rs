//! Python `repr()` of the values that appear inside JupyterHub's messages (a custom scope's
//! definition dict, a frozenset of filter values), so that hubcap's messages are JupyterHub's
//! byte for byte.

use std::collections::BTreeSet;
use std::fmt::Write;

use serde_json::Value;

/// `repr(s)` for a Python `str`: single quotes unless the text has a `'` and no `"`.
pub fn py_str(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c => {
                let code = u32::from(c);
                let _ = match code {
                    0..=0xff => write!(out, "\\x{code:02x}"),
                    0x100..=0xffff => write!(out, "\\u{code:04x}"),
                    _ => write!(out, "\\U{code:08x}"),
                };
            }
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable` for one character, close enough for scope texts: control
/// characters, separators other than space, and unassigned surrogates are not printable.
fn is_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(u32::from(c), 0xad | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x2064 | 0xfeff))
}

/// `repr()` of a JSON value as the Python object `json.loads` would give.
pub fn py_value(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                out.push_str(&py_float(f));
            } else {
                let _ = write!(out, "{n}");
            }
        }
        Value::String(s) => out.push_str(&py_str(s)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&py_str(key));
                out.push_str(": ");
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

/// `repr(float)`: shortest round-trip digits, with `.0` for integral values.
fn py_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// `repr(frozenset(values))`. Python prints in hash order; hubcap prints sorted.
pub fn py_frozenset(values: &BTreeSet<String>) -> String {
    if values.is_empty() {
        return "frozenset()".to_owned();
    }
    let items: Vec<String> = values.iter().map(|v| py_str(v)).collect();
    format!("frozenset({{{}}})", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_quote_like_python() {
        assert_eq!(py_str("abc"), "'abc'");
        assert_eq!(py_str("Can't"), "\"Can't\"");
        assert_eq!(py_str("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(py_str("a\nb\\"), "'a\\nb\\\\'");
        assert_eq!(py_str("\u{1}"), "'\\x01'");
        assert_eq!(py_str("users’"), "'users’'");
    }

    #[test]
    fn values_render_like_python() {
        let value: Value = serde_json::from_str(
            r#"{"description": "x", "subscopes": ["a"], "n": null, "t": true, "f": 1.0, "i": 2}"#,
        )
        .unwrap_or_default();
        assert_eq!(
            py_value(&value),
            "{'description': 'x', 'subscopes': ['a'], 'n': None, 't': True, 'f': 1.0, 'i': 2}"
        );
    }

    #[test]
    fn frozensets() {
        let set: BTreeSet<String> = ["x".to_owned(), "y".to_owned()].into();
        assert_eq!(py_frozenset(&set), "frozenset({'x', 'y'})");
    }
}
