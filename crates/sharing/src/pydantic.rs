//! The validation errors of JupyterHub's share request models, which are pydantic models:
//! JupyterHub answers `400` with `str(ValidationError)`, so hubcap renders the same text.
//!
//! ```text
//! 1 validation error for ShareCodeGrantRequest
//! expires_in
//!   Input should be greater than or equal to 60 [type=greater_than_equal, input_value=10, input_type=int]
//!     For further information visit https://errors.pydantic.dev/2.14/v/greater_than_equal
//! ```
//!
//! The text depends on the pydantic version the hub runs (the link carries it):
//! [`PYDANTIC_DOCS_VERSION`] is that of the reference environment. Inputs are shown as Python
//! `repr`s of the JSON values, cut to 25 + `...` + 24 bytes when longer than 50 bytes, as
//! pydantic-core does.

use std::fmt;

use scopes::{py_type_name, py_value};
use serde_json::Value;

/// The pydantic minor version in the documentation links of the messages (pydantic 2.14,
/// the version installed with JupyterHub 6.1.1 in the reference environment).
pub const PYDANTIC_DOCS_VERSION: &str = "2.14";

/// What is wrong with one input (pydantic's error `type` and its message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A key the model does not have (`extra='forbid'`).
    ExtraForbidden,
    /// Not a list.
    ListType,
    /// Not a string.
    StringType,
    /// Not a number or string that could be an integer.
    IntType,
    /// A string that is not an integer.
    IntParsing,
    /// A number or string too large to be an integer.
    IntParsingSize,
    /// A float with a fractional part.
    IntFromFloat,
    /// Below the minimum.
    GreaterThanEqual {
        /// The minimum.
        ge: i64,
    },
    /// Above the maximum.
    LessThanEqual {
        /// The maximum.
        le: i64,
    },
    /// A model validator's `ValueError`.
    ValueError {
        /// Its message.
        message: String,
    },
}

impl ErrorKind {
    /// pydantic's error type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            ErrorKind::ExtraForbidden => "extra_forbidden",
            ErrorKind::ListType => "list_type",
            ErrorKind::StringType => "string_type",
            ErrorKind::IntType => "int_type",
            ErrorKind::IntParsing => "int_parsing",
            ErrorKind::IntParsingSize => "int_parsing_size",
            ErrorKind::IntFromFloat => "int_from_float",
            ErrorKind::GreaterThanEqual { .. } => "greater_than_equal",
            ErrorKind::LessThanEqual { .. } => "less_than_equal",
            ErrorKind::ValueError { .. } => "value_error",
        }
    }

    /// pydantic's message.
    pub fn message(&self) -> String {
        match self {
            ErrorKind::ExtraForbidden => "Extra inputs are not permitted".to_owned(),
            ErrorKind::ListType => "Input should be a valid list".to_owned(),
            ErrorKind::StringType => "Input should be a valid string".to_owned(),
            ErrorKind::IntType => "Input should be a valid integer".to_owned(),
            ErrorKind::IntParsing => {
                "Input should be a valid integer, unable to parse string as an integer".to_owned()
            }
            ErrorKind::IntParsingSize => {
                "Unable to parse input string as an integer, exceeded maximum size".to_owned()
            }
            ErrorKind::IntFromFloat => {
                "Input should be a valid integer, got a number with a fractional part".to_owned()
            }
            ErrorKind::GreaterThanEqual { ge } => {
                format!("Input should be greater than or equal to {ge}")
            }
            ErrorKind::LessThanEqual { le } => {
                format!("Input should be less than or equal to {le}")
            }
            ErrorKind::ValueError { message } => format!("Value error, {message}"),
        }
    }
}

/// One failed input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Where: a field name or unknown key, `scopes.0` for a list item; `None` for the whole
    /// model (a model validator's error, printed without a location line).
    pub loc: Option<String>,
    /// What is wrong.
    pub kind: ErrorKind,
    /// The input as received.
    pub input: Value,
}

/// pydantic's `ValidationError` for one model: every failed input, in pydantic's order
/// (fields in definition order, then unknown keys in the order given; a model-level error
/// only when every field passed).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ValidationErrors {
    /// The model's class name (`ShareGrantRequest`, ...).
    pub model: &'static str,
    /// The errors.
    pub errors: Vec<FieldError>,
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.errors.len();
        let plural = if count == 1 { "" } else { "s" };
        write!(f, "{count} validation error{plural} for {}", self.model)?;
        for error in &self.errors {
            f.write_str("\n")?;
            if let Some(loc) = &error.loc {
                writeln!(f, "{loc}")?;
            }
            write!(
                f,
                "  {} [type={}, input_value={}, input_type={}]\n    For further information visit https://errors.pydantic.dev/{PYDANTIC_DOCS_VERSION}/v/{}",
                error.kind.message(),
                error.kind.type_name(),
                truncate_repr(&py_value(&error.input)),
                py_type_name(&error.input),
                error.kind.type_name(),
            )?;
        }
        Ok(())
    }
}

/// pydantic-core's cut of a long `input_value`: a text of more than 50 bytes becomes its
/// first 25 bytes, `...`, and its last 24, without splitting a character (the head ends at
/// or before byte 25, the tail starts at or after 24 bytes from the end).
pub(crate) fn truncate_repr(text: &str) -> String {
    const MAX: usize = 50;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut left = 25;
    while !text.is_char_boundary(left) {
        left -= 1;
    }
    let mut right = text.len() - 24;
    while !text.is_char_boundary(right) {
        right += 1;
    }
    format!(
        "{}...{}",
        text.get(..left).unwrap_or_default(),
        text.get(right..).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use scopes::{py_float, py_str};

    use super::*;
    use serde_json::json;

    #[test]
    fn float_reprs_are_pythons() {
        for (f, want) in [
            (1e16, "1e+16"),
            (1e19, "1e+19"),
            (9.3e18, "9.3e+18"),
            (1e-5, "1e-05"),
            (2.5e-7, "2.5e-07"),
            (0.0001, "0.0001"),
            (123_456_789_012_345.6, "123456789012345.6"),
            (1e15, "1000000000000000.0"),
            (59.0, "59.0"),
            (100.5, "100.5"),
            (-0.0, "-0.0"),
            (1e300, "1e+300"),
        ] {
            assert_eq!(py_float(f), want, "{f}");
        }
    }

    #[test]
    fn reprs_and_types_are_pythons() {
        let value = json!({"user": "a", "n": null, "t": true, "l": [1, 2.0], "q": "it's"});
        assert_eq!(
            py_value(&value),
            r#"{'user': 'a', 'n': None, 't': True, 'l': [1, 2.0], 'q': "it's"}"#
        );
        assert_eq!(py_type_name(&json!(null)), "NoneType");
        assert_eq!(py_type_name(&json!(1)), "int");
        assert_eq!(py_type_name(&json!(1.0)), "float");
        assert_eq!(py_type_name(&json!({})), "dict");
    }

    #[test]
    fn long_reprs_are_cut_on_bytes_at_character_boundaries() {
        let cut = |s: &str| truncate_repr(&py_str(s));
        assert_eq!(cut(&"x".repeat(48)), format!("'{}'", "x".repeat(48)));
        assert_eq!(
            cut(&"x".repeat(49)),
            "'xxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxx'"
        );
        assert_eq!(cut(&"é".repeat(24)), format!("'{}'", "é".repeat(24)));
        assert_eq!(cut(&"é".repeat(30)), "'éééééééééééé...ééééééééééé'");
        assert_eq!(
            cut(&format!("a{}", "é".repeat(40))),
            "'aééééééééééé...ééééééééééé'"
        );
        assert_eq!(
            cut(&format!("{}a", "é".repeat(40))),
            "'éééééééééééé...éééééééééééa'"
        );
        assert_eq!(cut(&"😀".repeat(49)), "'😀😀😀😀😀😀...😀😀😀😀😀'");
    }

    #[test]
    fn display_is_pydantics() {
        let errors = ValidationErrors {
            model: "ShareCodeGrantRequest",
            errors: vec![FieldError {
                loc: Some("expires_in".into()),
                kind: ErrorKind::GreaterThanEqual { ge: 60 },
                input: json!(10),
            }],
        };
        assert_eq!(
            errors.to_string(),
            "1 validation error for ShareCodeGrantRequest\nexpires_in\n  Input should be greater than or equal to 60 [type=greater_than_equal, input_value=10, input_type=int]\n    For further information visit https://errors.pydantic.dev/2.14/v/greater_than_equal"
        );
        let model = ValidationErrors {
            model: "ShareGrantRequest",
            errors: vec![FieldError {
                loc: None,
                kind: ErrorKind::ValueError {
                    message: "Specify exactly one of `user` or `group`".into(),
                },
                input: json!({}),
            }],
        };
        assert_eq!(
            model.to_string(),
            "1 validation error for ShareGrantRequest\n  Value error, Specify exactly one of `user` or `group` [type=value_error, input_value={}, input_type=dict]\n    For further information visit https://errors.pydantic.dev/2.14/v/value_error"
        );
    }
}
