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

/// Python's `repr(float)`: the shortest round-trip digits, positional between 1e-4 and 1e16
/// (with `.0` when integral), scientific with a signed two-digit exponent otherwise.
pub fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let magnitude = f.abs();
    if magnitude == 0.0 || (1e-4..1e16).contains(&magnitude) {
        let text = format!("{f}");
        return if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        };
    }
    let text = format!("{f:e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) => {
            let (sign, digits) = match exponent.strip_prefix('-') {
                Some(digits) => ('-', digits),
                None => ('+', exponent),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => text,
    }
}

/// The Python type name of the object `json.loads` makes of a JSON value.
pub fn py_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Python's truth value of the object `json.loads` makes of a JSON value.
pub fn py_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
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
    fn floats_and_types_like_python() {
        for (f, want) in [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (1e16, "1e+16"),
            (1e-5, "1e-05"),
            (123456.75, "123456.75"),
            (-0.0, "-0.0"),
        ] {
            assert_eq!(py_float(f), want, "{f}");
        }
        assert_eq!(py_type_name(&Value::Null), "NoneType");
        assert!(!py_truthy(&Value::from("")));
        assert!(py_truthy(&Value::from(vec![0])));
    }

    #[test]
    fn frozensets() {
        let set: BTreeSet<String> = ["x".to_owned(), "y".to_owned()].into();
        assert_eq!(py_frozenset(&set), "frozenset({'x', 'y'})");
    }
}
