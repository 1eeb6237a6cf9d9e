//! Role names, validated exactly as JupyterHub validates them (`roles._validate_role_name`).

use scopes::py_str;

/// A role name that JupyterHub would refuse. Its message is JupyterHub's, verbatim.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "Invalid role name: {repr}. Role names must:\n - be 3-255 characters\n - contain only lowercase ascii letters, numbers, and URL unreserved special characters '-.~_'\n - start with a letter\n - end with letter or number\n",
    repr = py_str(name)
)]
pub struct InvalidRoleName {
    /// The refused name.
    pub name: String,
}

/// Checks a role name against JupyterHub's pattern `^[a-z][a-z0-9\-_~\.]{1,253}[a-z0-9]$`:
/// 3 to 255 characters, lowercase ASCII letters, digits and `-_~.`, starting with a letter and
/// ending with a letter or digit.
///
/// Like Python's `re.match` with `$`, one trailing newline after a valid name is accepted
/// (`"abc\n"` passes in JupyterHub; hubcap's config loader refuses it before it gets here,
/// docs/compat.md #10).
pub fn validate_role_name(name: &str) -> Result<(), InvalidRoleName> {
    let core = name.strip_suffix('\n').unwrap_or(name);
    let bytes = core.as_bytes();
    let middle_ok = |b: &u8| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'~' | b'.');
    let valid = (3..=255).contains(&bytes.len())
        && bytes.first().is_some_and(u8::is_ascii_lowercase)
        && bytes
            .last()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes
            .get(1..bytes.len() - 1)
            .is_some_and(|middle| middle.iter().all(middle_ok));
    if valid {
        Ok(())
    } else {
        Err(InvalidRoleName {
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_jupyterhubs_pattern() {
        for ok in ["abc", "a-b", "a.b~c_d-1", "abc\n", &"a".repeat(255), "r2d2"] {
            assert!(validate_role_name(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "",
            "ab",
            "Abc",
            "1ab",
            "ab-",
            "ab.",
            "a b",
            "abc\n\n",
            "\nabc",
            &"a".repeat(256),
            "abé",
            "ab\nc",
        ] {
            assert!(validate_role_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn message_is_jupyterhubs() {
        let err = validate_role_name("Bad Name").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid role name: 'Bad Name'. Role names must:\n - be 3-255 characters\n - contain only lowercase ascii letters, numbers, and URL unreserved special characters '-.~_'\n - start with a letter\n - end with letter or number\n"
        );
    }
}
