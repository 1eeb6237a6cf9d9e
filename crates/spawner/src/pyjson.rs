//! `json.dumps` as Python writes it with its defaults (`", "` and `": "` separators,
//! `ensure_ascii=True`), because JupyterHub puts JSON lists into environment variables and
//! progress events with exactly that spelling.

use serde_json::Value;
use std::fmt::Write as _;

/// `json.dumps(value)` with Python's default options.
pub fn dumps(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// `json.dumps(list_of_strings)`.
pub fn dumps_strings(items: &[String]) -> String {
    dumps(&Value::Array(
        items.iter().cloned().map(Value::String).collect(),
    ))
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (at, item) in items.iter().enumerate() {
                if at > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(fields) => {
            out.push('{');
            for (at, (key, item)) in fields.iter().enumerate() {
                if at > 0 {
                    out.push_str(", ");
                }
                write_string(out, key);
                out.push_str(": ");
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(ch),
            _ => {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spacing_and_escapes_are_pythons() {
        let check = |value: Value, want: &str| assert_eq!(dumps(&value), want);
        check(
            json!(["access:servers!server=alice/", "access:servers!user=alice"]),
            r#"["access:servers!server=alice/", "access:servers!user=alice"]"#,
        );
        check(json!([]), "[]");
        check(
            json!({"progress": 0, "message": "Server requested"}),
            r#"{"progress": 0, "message": "Server requested"}"#,
        );
        check(
            json!("é😀\u{1}\"\\\n"),
            r#""\u00e9\ud83d\ude00\u0001\"\\\n""#,
        );
        check(
            json!({"a": null, "b": [true, false, 1.5]}),
            r#"{"a": null, "b": [true, false, 1.5]}"#,
        );
    }

    proptest::proptest! {
        #[test]
        fn dumps_is_json_that_reads_back_and_is_ascii(items in proptest::collection::vec(".*", 0..4), key in ".*") {
            let value = json!({ key: items });
            let text = dumps(&value);
            proptest::prop_assert!(text.is_ascii());
            proptest::prop_assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
        }
    }
}
