//! What names the store accepts: JupyterHub's rules, checked before anything is written so
//! that SQLite (which does not enforce `VARCHAR(255)`) and PostgreSQL (which does) refuse the
//! same inputs with the same typed error.
//!
//! - user names: `Authenticator.validate_username` without a configured `username_pattern`
//!   (the pattern and `normalize_username`'s lowercasing are the hub's, from its config);
//! - service names: `Service._validate_service_name`;
//! - server names: `slugs.is_valid_safe_slug` for new named servers (`""` is the default
//!   server); display names: `slugs.is_valid_display_name`;
//! - group names: JupyterHub checks nothing but the column length; empty is refused here;
//! - role names: [`roles::validate_role_name`].

use crate::error::{InvalidInput, shown};

/// The longest name JupyterHub's `Unicode(255)` columns hold, in characters.
pub const MAX_NAME_LENGTH: usize = 255;
/// The longest server name (`slugs._max_length`).
pub const MAX_SERVER_NAME_LENGTH: usize = 30;

fn refused(what: &'static str, value: &str, reason: &'static str) -> InvalidInput {
    InvalidInput::Refused {
        what,
        value: shown(value),
        reason,
    }
}

/// Checks that `value` is not empty and at most `max` characters.
pub(crate) fn check_length(
    what: &'static str,
    value: &str,
    max: usize,
) -> Result<(), InvalidInput> {
    if value.is_empty() {
        return Err(InvalidInput::Empty { what });
    }
    check_max(what, value, max)
}

/// Checks that `value` is at most `max` characters (empty allowed).
pub(crate) fn check_max(what: &'static str, value: &str, max: usize) -> Result<(), InvalidInput> {
    let len = value.chars().count();
    if len > max {
        return Err(InvalidInput::TooLong {
            what,
            value: shown(value),
            len,
            max,
        });
    }
    Ok(())
}

/// Python's `str.isspace()`: Rust's whitespace plus the four information separators
/// U+001C..U+001F (bidirectional class B or S).
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Whether `name != name.strip()` in Python.
fn has_outer_space(name: &str) -> bool {
    name.starts_with(is_python_space) || name.ends_with(is_python_space)
}

/// Whether `urllib.parse.unquote(name)` consists of dots only: `name` is made of `.`, `%2e`
/// and `%2E` (any other escape decodes to something that is not a dot).
fn unquotes_to_dots(name: &str) -> bool {
    let mut rest = name;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            rest = after;
        } else if let Some(after) = rest
            .strip_prefix("%2e")
            .or_else(|| rest.strip_prefix("%2E"))
        {
            rest = after;
        } else {
            return false;
        }
    }
    true
}

/// Whether `urllib.parse.unquote(name) != name`: `name` holds a `%` followed by two hex digits.
fn has_escape(name: &str) -> bool {
    name.as_bytes()
        .windows(3)
        .any(|w| matches!(w, [b'%', a, b] if a.is_ascii_hexdigit() && b.is_ascii_hexdigit()))
}

/// JupyterHub's `Authenticator.validate_username` (without `username_pattern`), plus the
/// column's 255 characters.
///
/// # Errors
///
/// [`InvalidInput`] naming the rule: empty, too long, a `/`, only dots (also once
/// %-decoded, so `%2e%2e` is refused), or space at either end.
pub fn validate_user_name(name: &str) -> Result<(), InvalidInput> {
    const WHAT: &str = "user name";
    check_length(WHAT, name, MAX_NAME_LENGTH)?;
    if name.contains('/') {
        return Err(refused(WHAT, name, "`/` is not allowed in user names"));
    }
    if unquotes_to_dots(name) {
        return Err(refused(
            WHAT,
            name,
            "a name of dots only would resolve to a relative URL path",
        ));
    }
    if has_outer_space(name) {
        return Err(refused(
            WHAT,
            name,
            "a user name must not start or end with space",
        ));
    }
    Ok(())
}

/// JupyterHub's `Service._validate_service_name`, plus the column's 255 characters.
///
/// # Errors
///
/// [`InvalidInput`] with JupyterHub's reason: escaped names, `/`, empty, dots only, space
/// at either end.
pub fn validate_service_name(name: &str) -> Result<(), InvalidInput> {
    const WHAT: &str = "service name";
    check_length(WHAT, name, MAX_NAME_LENGTH)?;
    if has_escape(name) {
        return Err(refused(WHAT, name, "Services cannot have escaped names"));
    }
    if name.contains('/') {
        return Err(refused(WHAT, name, "Service names must not contain '/'"));
    }
    if name.chars().all(|c| c == '.') {
        return Err(refused(
            WHAT,
            name,
            "Service names must not be relative path components",
        ));
    }
    if has_outer_space(name) {
        return Err(refused(
            WHAT,
            name,
            "Service names must not start or end with space",
        ));
    }
    Ok(())
}

/// A group name: 1 to 255 characters (JupyterHub checks nothing else).
///
/// # Errors
///
/// [`InvalidInput::Empty`] or [`InvalidInput::TooLong`].
pub fn validate_group_name(name: &str) -> Result<(), InvalidInput> {
    check_length("group name", name, MAX_NAME_LENGTH)
}

/// A new server's name: `""` (the default server) or JupyterHub's safe slug: 1 to 30
/// characters of lowercase ASCII letters, digits and single hyphens, starting with a letter
/// and ending with a letter or digit (`slugs.is_valid_safe_slug`).
///
/// # Errors
///
/// [`InvalidInput::TooLong`] or [`InvalidInput::Refused`].
pub fn validate_server_name(name: &str) -> Result<(), InvalidInput> {
    const WHAT: &str = "server name";
    if name.is_empty() {
        return Ok(());
    }
    check_max(WHAT, name, MAX_SERVER_NAME_LENGTH)?;
    let bytes = name.as_bytes();
    let lower_alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let ok = bytes.first().is_some_and(u8::is_ascii_lowercase)
        && bytes.last().is_some_and(lower_alnum)
        && bytes.iter().all(|b| lower_alnum(b) || *b == b'-')
        && !name.contains("--");
    if !ok {
        return Err(refused(
            WHAT,
            name,
            "use lowercase ASCII letters, digits and single hyphens, starting with a letter and \
             ending with a letter or digit",
        ));
    }
    Ok(())
}

/// Format characters (Unicode category Cf, Unicode 14 as in Python 3.11).
const FORMAT_CHARS: &[(char, char)] = &[
    ('\u{ad}', '\u{ad}'),
    ('\u{600}', '\u{605}'),
    ('\u{61c}', '\u{61c}'),
    ('\u{6dd}', '\u{6dd}'),
    ('\u{70f}', '\u{70f}'),
    ('\u{890}', '\u{891}'),
    ('\u{8e2}', '\u{8e2}'),
    ('\u{180e}', '\u{180e}'),
    ('\u{200b}', '\u{200f}'),
    ('\u{202a}', '\u{202e}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206f}'),
    ('\u{feff}', '\u{feff}'),
    ('\u{fff9}', '\u{fffb}'),
    ('\u{110bd}', '\u{110bd}'),
    ('\u{110cd}', '\u{110cd}'),
    ('\u{13430}', '\u{13438}'),
    ('\u{1bca0}', '\u{1bca3}'),
    ('\u{1d173}', '\u{1d17a}'),
    ('\u{e0001}', '\u{e0001}'),
    ('\u{e0020}', '\u{e007f}'),
];

/// Whether `c` is outside JupyterHub's printable categories: control, format, private use,
/// or a separator (space itself is handled by the caller).
fn is_unprintable(c: char) -> bool {
    c.is_control()
        || is_python_space(c)
        || FORMAT_CHARS.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
        || ('\u{e000}'..='\u{f8ff}').contains(&c)
        || ('\u{f0000}'..='\u{ffffd}').contains(&c)
        || ('\u{100000}'..='\u{10fffd}').contains(&c)
        || matches!(c, '\u{fffe}' | '\u{ffff}')
}

/// JupyterHub's `slugs.is_valid_display_name`: 1 to 255 characters, single inner spaces
/// only, and printable characters. (Unassigned code points, which JupyterHub refuses by
/// their category, are accepted here: hubcap carries no Unicode tables.)
///
/// # Errors
///
/// [`InvalidInput`] naming the rule.
pub fn validate_display_name(name: &str) -> Result<(), InvalidInput> {
    const WHAT: &str = "display name";
    check_length(WHAT, name, MAX_NAME_LENGTH)?;
    if name.contains("  ") || name.starts_with(' ') || name.ends_with(' ') {
        return Err(refused(
            WHAT,
            name,
            "a display name must not start or end with a space or hold two in a row",
        ));
    }
    if name.chars().any(|c| c != ' ' && is_unprintable(c)) {
        return Err(refused(
            WHAT,
            name,
            "a display name must be printable: no control, format or whitespace characters \
             other than single spaces",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_follow_validate_username() {
        for ok in ["alice", "a.b", "..a", "%2e%2ex", "ünï", "a b", "%2f"] {
            validate_user_name(ok).unwrap();
        }
        for bad in [
            "", "a/b", ".", "..", "%2e", "%2E.", " a", "a ", "a\u{1f}", "\u{a0}a",
        ] {
            assert!(validate_user_name(bad).is_err(), "{bad:?}");
        }
        validate_user_name(&"x".repeat(255)).unwrap();
        let err = validate_user_name(&"é".repeat(256)).unwrap_err();
        assert!(
            matches!(
                err,
                InvalidInput::TooLong {
                    len: 256,
                    max: 255,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            validate_user_name("a/b").unwrap_err().to_string(),
            "user name `a/b` is not allowed: `/` is not allowed in user names"
        );
    }

    #[test]
    fn service_names_follow_jupyterhub() {
        validate_service_name("idle-culler").unwrap();
        validate_service_name("50%").unwrap();
        validate_service_name("%zz").unwrap();
        for (bad, reason) in [
            ("a%20b", "Services cannot have escaped names"),
            ("a/b", "Service names must not contain '/'"),
            ("..", "Service names must not be relative path components"),
            (" a", "Service names must not start or end with space"),
        ] {
            let err = validate_service_name(bad).unwrap_err();
            assert!(err.to_string().ends_with(reason), "{bad:?}: {err}");
        }
    }

    #[test]
    fn server_names_are_safe_slugs() {
        for ok in ["", "a", "abc-1", "x9", &"a".repeat(30)] {
            validate_server_name(ok).unwrap();
        }
        for bad in [
            "1a",
            "A",
            "a-",
            "a--b",
            "a_b",
            "-a",
            "ab\n",
            &"a".repeat(31),
        ] {
            assert!(validate_server_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn group_names_need_only_a_length() {
        validate_group_name("any thing/ at all").unwrap();
        assert_eq!(
            validate_group_name("").unwrap_err().to_string(),
            "group name must not be empty"
        );
        assert!(validate_group_name(&"g".repeat(256)).is_err());
    }

    #[test]
    fn display_names_are_printable() {
        for ok in ["My Server", "ünï 😀", "a-b_c"] {
            validate_display_name(ok).unwrap();
        }
        for bad in [
            "",
            " a",
            "a ",
            "a  b",
            "a\tb",
            "a\u{200b}",
            "a\u{e000}",
            "a\u{a0}b",
        ] {
            assert!(validate_display_name(bad).is_err(), "{bad:?}");
        }
    }
}
