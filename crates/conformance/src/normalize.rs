//! Normalisation (FORMAT.md §3): hubcap's results in the JSON shape JupyterHub's results were
//! recorded in.

use std::fmt::Display;

use scopes::{ErrorClass, Filters, ParsedScopes, ScopeSet, Warning};
use serde_json::{Map, Value, json};

use crate::error::RunError;

/// What one vector produced: its normalised output, and the warnings it emitted.
pub struct Outcome {
    /// The normalised output.
    pub output: Value,
    /// JupyterHub-text warnings emitted by the call.
    pub warnings: Vec<String>,
}

impl Outcome {
    /// An output without warnings.
    pub fn plain(output: Value) -> Outcome {
        Outcome {
            output,
            warnings: Vec::new(),
        }
    }

    /// An output with the warnings the call emitted.
    pub fn warned(output: Value, warnings: &[Warning]) -> Outcome {
        Outcome {
            output,
            warnings: warnings.iter().map(ToString::to_string).collect(),
        }
    }
}

/// A scope set as a code-point-sorted list (a [`ScopeSet`] iterates in that order).
pub fn set_json(set: &ScopeSet) -> Value {
    Value::Array(set.iter().map(|s| Value::from(s.as_str())).collect())
}

/// A parse result: `{BASE: "ALL" | {KIND: [sorted values]}}`.
pub fn parsed_json(parsed: &ParsedScopes) -> Value {
    let mut out = Map::new();
    for (base, filters) in parsed.iter() {
        let value = match filters {
            Filters::All => Value::from("ALL"),
            Filters::Some(values) => Value::Object(
                values
                    .by_kind()
                    .into_iter()
                    .map(|(kind, values)| (kind.to_owned(), Value::from(values)))
                    .collect(),
            ),
        };
        out.insert(base.to_owned(), value);
    }
    Value::Object(out)
}

/// One base of a parse result in JSON: `None` for `"ALL"`, else its `(kind, value)` pairs.
pub type BaseFilters = Option<Vec<(String, String)>>;

/// The filters of one base from their JSON form.
pub fn filters_json(value: &Value) -> Result<BaseFilters, RunError> {
    if value.as_str() == Some("ALL") {
        return Ok(None);
    }
    let bad = || RunError::bad_input(format!("`{value}` is not \"ALL\" or {{KIND: [values]}}"));
    let object = value.as_object().ok_or_else(bad)?;
    let mut pairs = Vec::new();
    for (kind, values) in object {
        for item in values.as_array().ok_or_else(bad)? {
            pairs.push((kind.clone(), item.as_str().ok_or_else(bad)?.to_owned()));
        }
    }
    Ok(Some(pairs))
}

/// `{"error": CLASS, "message": MESSAGE}`.
pub fn error_object(class: ErrorClass, error: &impl Display) -> Value {
    json!({"error": class.as_str(), "message": error.to_string()})
}
