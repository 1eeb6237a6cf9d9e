//! Normalisation (FORMAT.md §3): hubcap's results in the JSON shape JupyterHub's results were
//! recorded in.

use std::fmt::Display;

use scopes::{ErrorClass, FilterMap, Filters, ParsedScopes, ScopeSet, Warning};
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
            Filters::Some(map) => Value::Object(
                map.iter()
                    .map(|(kind, values)| {
                        let values: Vec<Value> = values.iter().map(|v| Value::from(&**v)).collect();
                        (kind.to_string(), Value::Array(values))
                    })
                    .collect(),
            ),
        };
        out.insert(base.to_owned(), value);
    }
    Value::Object(out)
}

/// The filters of one base from their JSON form.
pub fn filters_json(value: &Value) -> Result<Filters, RunError> {
    if value.as_str() == Some("ALL") {
        return Ok(Filters::All);
    }
    let bad = || RunError::bad_input(format!("`{value}` is not \"ALL\" or {{KIND: [values]}}"));
    let object = value.as_object().ok_or_else(bad)?;
    let mut map = FilterMap::new();
    for (kind, values) in object {
        let values = values.as_array().ok_or_else(bad)?;
        let entry = map.entry(kind.as_str().into()).or_default();
        for item in values {
            entry.insert(item.as_str().ok_or_else(bad)?.into());
        }
    }
    Ok(Filters::Some(map))
}

/// `{"error": CLASS, "message": MESSAGE}`.
pub fn error_object(class: ErrorClass, error: &impl Display) -> Value {
    json!({"error": class.as_str(), "message": error.to_string()})
}
