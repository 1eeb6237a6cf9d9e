//! JSON as JavaScript's `JSON.parse` and `JSON.stringify` see it, for the REST API: route
//! data comes back exactly as CHP would write it. Object keys that are array indices come
//! first in ascending order (JavaScript's own-property order), numbers are doubles written
//! as `Number.prototype.toString` does, and parse errors read like V8's `SyntaxError`s.

use serde_json::{Map, Value};

/// Parses a request body as `JSON.parse(body) || {}` does: a falsy result (`null`, `false`,
/// `0`, `""`) becomes an empty object. The error is V8's message, e.g.
/// `SyntaxError: Unexpected end of JSON input`.
pub fn parse_body(body: &[u8]) -> Result<Value, String> {
    let text = String::from_utf8_lossy(body);
    match serde_json::from_str::<Value>(&text) {
        Ok(value) => Ok(if is_falsy(&value) {
            Value::Object(Map::new())
        } else {
            reorder(value)
        }),
        Err(error) => Err(format!("SyntaxError: {}", v8_message(&text, &error))),
    }
}

fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64().is_none_or(|f| f == 0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(_) | Value::Object(_) => false,
    }
}

/// Whether `key` is an array index (`0` … `4294967294`, canonical form), which JavaScript
/// orders before every other key of an object.
fn is_array_index(key: &str) -> bool {
    let canonical = key == "0" || (!key.starts_with('0') && !key.is_empty());
    canonical
        && key.bytes().all(|b| b.is_ascii_digit())
        && key.parse::<u64>().is_ok_and(|n| n < u64::from(u32::MAX))
}

/// Moves array-index keys to the front of every object, in ascending order.
fn reorder(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let (mut indices, named): (Vec<_>, Vec<_>) =
                map.into_iter().partition(|(key, _)| is_array_index(key));
            indices.sort_by_key(|(key, _)| key.parse::<u64>().unwrap_or(u64::MAX));
            Value::Object(
                indices
                    .into_iter()
                    .chain(named)
                    .map(|(key, value)| (key, reorder(value)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(reorder).collect()),
        other => other,
    }
}

/// V8's message for the first syntax error in `text`, where it can tell; serde's otherwise.
fn v8_message(text: &str, error: &serde_json::Error) -> String {
    if error.is_eof() {
        return "Unexpected end of JSON input".to_owned();
    }
    let position = byte_position(text, error.line(), error.column());
    let offending = text.get(position..).and_then(|rest| rest.chars().next());
    let message = error.to_string();
    let at = format!("in JSON at position {}", utf16_position(text, position));
    if message.starts_with("key must be a string") {
        return format!("Expected property name or '}}' {at}");
    }
    if message.starts_with("trailing comma") {
        return format!("Expected double-quoted property name {at}");
    }
    if message.starts_with("expected `:`") {
        return format!("Expected ':' after property name {at}");
    }
    if message.starts_with("expected `,` or `}`") {
        return format!("Expected ',' or '}}' after property value {at}");
    }
    if message.starts_with("expected `,` or `]`") {
        return format!("Expected ',' or ']' after array element {at}");
    }
    if message.starts_with("trailing characters") {
        let position = utf16_position(text, position);
        return format!("Unexpected non-whitespace character after JSON at position {position}");
    }
    match offending {
        Some(token)
            if message.starts_with("expected value") || message.starts_with("expected ident") =>
        {
            if text.chars().count() < 32 {
                format!("Unexpected token '{token}', \"{text}\" is not valid JSON")
            } else {
                format!("Unexpected token '{token}' {at}")
            }
        }
        _ => message,
    }
}

/// The byte offset of serde's 1-based line and column (the column names the byte that
/// failed, or the one after it).
fn byte_position(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// A byte offset as a JavaScript string index (UTF-16 code units).
fn utf16_position(text: &str, byte: usize) -> usize {
    text.get(..byte)
        .map_or(byte, |head| head.encode_utf16().count())
}

/// `JSON.stringify(value)` into `out`.
pub fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// A JSON string literal, escaped as `JSON.stringify` does (serde_json's escaping is the
/// same: `"`, `\`, and control characters only).
pub fn write_string(out: &mut String, text: &str) {
    match serde_json::to_string(text) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

/// A double as `Number.prototype.toString` writes it (ECMAScript's Number::toString):
/// the fewest significant digits that read back as the same double, the nearest such
/// digits to the exact value (ties to even), plain decimals for exponents -7 < n ≤ 21 and
/// exponent form (`1e+21`, `1.5e-7`) outside; `null` for non-finite values, as
/// `JSON.stringify` writes them.
fn write_number(out: &mut String, number: f64) {
    if !number.is_finite() {
        out.push_str("null");
        return;
    }
    if number == 0.0 {
        out.push('0');
        return;
    }
    if number < 0.0 {
        out.push('-');
    }
    let (digits, point) = shortest_digits(number.abs());
    let count = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    if count <= point && point <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n(
            '0',
            usize::try_from(point - count).unwrap_or(0),
        ));
    } else if 0 < point && point <= 21 {
        let (whole, fraction) = digits.split_at(usize::try_from(point).unwrap_or(0));
        out.push_str(whole);
        out.push('.');
        out.push_str(fraction);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n(
            '0',
            usize::try_from(-point).unwrap_or(0),
        ));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let exponent = point - 1;
        out.push_str(if exponent < 0 { "e-" } else { "e+" });
        out.push_str(&exponent.unsigned_abs().to_string());
    }
}

/// The significant digits of a positive finite double as ECMAScript chooses them, and the
/// position of the decimal point (value = 0.digits × 10^point). Rust's shortest form gives
/// how many digits are needed; the digits are then the exact value rounded half-to-even to
/// that many, which is ECMAScript's choice where two candidates are equally short.
fn shortest_digits(number: f64) -> (String, i32) {
    let shortest = format!("{number:e}");
    let needed = shortest.split_once('e').map_or(1, |(mantissa, _)| {
        mantissa.chars().filter(char::is_ascii_digit).count()
    });
    // 767 significant digits hold any double exactly.
    let exact = format!("{number:.767e}");
    let (mantissa, exponent) = exact.split_once('e').unwrap_or((&exact, "0"));
    let mut point = exponent.parse::<i32>().unwrap_or(0) + 1;
    let all: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let (kept, dropped) = all.split_at(needed.min(all.len()));
    let mut kept = kept.to_vec();
    let round_up = match dropped.split_first() {
        Some((&first, _)) if first > b'5' => true,
        Some((b'5', rest)) if rest.iter().any(|&d| d != b'0') => true,
        Some((b'5', _)) => kept.last().is_some_and(|&d| (d - b'0') % 2 == 1),
        _ => false,
    };
    if round_up {
        let mut index = kept.len();
        loop {
            if index == 0 {
                kept.insert(0, b'1');
                kept.pop();
                point += 1;
                break;
            }
            index -= 1;
            if let Some(digit) = kept.get_mut(index) {
                if *digit == b'9' {
                    *digit = b'0';
                } else {
                    *digit += 1;
                    break;
                }
            }
        }
    }
    while kept.len() > 1 && kept.last() == Some(&b'0') {
        kept.pop();
    }
    (String::from_utf8_lossy(&kept).into_owned(), point)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn round_trip(body: &str) -> String {
        let mut out = String::new();
        write_value(&mut out, &parse_body(body.as_bytes()).unwrap());
        out
    }

    fn check_error(body: &str, expected: &str) {
        assert_eq!(
            parse_body(body.as_bytes()).unwrap_err(),
            expected,
            "body {body:?}"
        );
    }

    #[test]
    fn stringify_matches_node() {
        // Expected: node 20, JSON.stringify(JSON.parse(body)).
        assert_eq!(
            round_trip(r#"{"b":1,"2":3,"1":1e21,"x":1.0,"y":1.5e-7,"z":12345678901234567890}"#),
            r#"{"1":1e+21,"2":3,"b":1,"x":1,"y":1.5e-7,"z":12345678901234567000}"#
        );
        assert_eq!(round_trip(r#"{"a":"\u0001\n/é","a":2}"#), r#"{"a":2}"#);
        assert_eq!(
            round_trip(r#"{"s":"\u0001\n/é\"\\"}"#),
            r#"{"s":"\u0001\n/é\"\\"}"#
        );
        assert_eq!(round_trip("null"), "{}");
        assert_eq!(round_trip("0"), "{}");
        assert_eq!(round_trip("[1,-0.5,1e-7]"), "[1,-0.5,1e-7]");
        // Two shortest candidates (…155.2 and …155.3): ECMAScript takes the nearer, ties even.
        assert_eq!(
            round_trip("[624015576128155.25,0.000001,123e18,5e-324]"),
            "[624015576128155.2,0.000001,123000000000000000000,5e-324]"
        );
        assert_eq!(
            round_trip(r#"{"01":1,"10":2,"4294967295":3,"4294967294":4}"#),
            r#"{"10":2,"4294967294":4,"01":1,"4294967295":3}"#
        );
    }

    #[test]
    fn syntax_errors_read_like_v8() {
        // Expected: node 20's JSON.parse messages.
        check_error("", "SyntaxError: Unexpected end of JSON input");
        check_error(
            "{oops",
            "SyntaxError: Expected property name or '}' in JSON at position 1",
        );
        check_error(
            r#"{"a":1,}"#,
            "SyntaxError: Expected double-quoted property name in JSON at position 7",
        );
        check_error(
            "nope",
            "SyntaxError: Unexpected token 'o', \"nope\" is not valid JSON",
        );
        check_error(
            r#"{"a" 1}"#,
            "SyntaxError: Expected ':' after property name in JSON at position 5",
        );
        check_error(
            r#"{"a":1 "b":2}"#,
            "SyntaxError: Expected ',' or '}' after property value in JSON at position 7",
        );
        check_error(
            "[1 2]",
            "SyntaxError: Expected ',' or ']' after array element in JSON at position 3",
        );
        check_error(
            "{} x",
            "SyntaxError: Unexpected non-whitespace character after JSON at position 3",
        );
    }
}
