//! Reading one TOML section key by key, with typed takers that record a problem instead of
//! failing, and a final check that names every key nobody took (with did-you-mean).

use std::collections::BTreeSet;

use scopes::did_you_mean;
use serde_json::Value as Json;
use toml::{Table, Value};

use super::error::ConfigProblem;

/// One section (`[JupyterHub]`) being read.
pub(crate) struct Section<'p> {
    name: &'static str,
    table: Table,
    known: &'static [&'static str],
    problems: &'p mut Vec<ConfigProblem>,
}

impl<'p> Section<'p> {
    /// The section `name` of `root` (empty when absent); `known` are its keys.
    pub(crate) fn new(
        root: &mut Table,
        name: &'static str,
        known: &'static [&'static str],
        problems: &'p mut Vec<ConfigProblem>,
    ) -> Section<'p> {
        let table = match root.remove(name) {
            None => Table::new(),
            Some(Value::Table(table)) => table,
            Some(other) => {
                problems.push(
                    ConfigProblem::new(
                        name,
                        format!("must be a section, not {}", type_phrase(&other)),
                    )
                    .help(format!(
                        "write `[{name}]` on a line of its own, then its keys"
                    )),
                );
                Table::new()
            }
        };
        Section {
            name,
            table,
            known,
            problems,
        }
    }

    /// Records a problem found in a value this section gave.
    pub(crate) fn problem(&mut self, problem: ConfigProblem) {
        self.problems.push(problem);
    }

    fn path(&self, key: &str) -> String {
        format!("{}.{key}", self.name)
    }

    fn wrong_type(&mut self, key: &str, expected: &str, value: &Value, example: &str) {
        let path = self.path(key);
        self.problems.push(
            ConfigProblem::new(
                path,
                format!("must be {expected}, not {}", type_phrase(value)),
            )
            .help(format!("for example `{key} = {example}`")),
        );
    }

    /// A string value.
    pub(crate) fn string(&mut self, key: &str, example: &str) -> Option<String> {
        match self.table.remove(key)? {
            Value::String(text) => Some(text),
            other => {
                self.wrong_type(key, "a string", &other, example);
                None
            }
        }
    }

    /// A boolean value.
    pub(crate) fn boolean(&mut self, key: &str) -> Option<bool> {
        match self.table.remove(key)? {
            Value::Boolean(flag) => Some(flag),
            other => {
                self.wrong_type(key, "true or false", &other, "true");
                None
            }
        }
    }

    /// A whole number in `range`.
    pub(crate) fn integer(
        &mut self,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
        example: &str,
    ) -> Option<i64> {
        match self.table.remove(key)? {
            Value::Integer(number) if range.contains(&number) => Some(number),
            Value::Integer(number) => {
                let path = self.path(key);
                self.problems.push(ConfigProblem::new(
                    path,
                    format!(
                        "must be between {} and {}, not {number}",
                        range.start(),
                        range.end()
                    ),
                ));
                None
            }
            other => {
                self.wrong_type(key, "a whole number", &other, example);
                None
            }
        }
    }

    /// A number (whole or decimal).
    pub(crate) fn number(&mut self, key: &str, example: &str) -> Option<f64> {
        match self.table.remove(key)? {
            Value::Float(number) => Some(number),
            #[allow(clippy::cast_precision_loss, reason = "a setting's size")]
            Value::Integer(number) => Some(number as f64),
            other => {
                self.wrong_type(key, "a number", &other, example);
                None
            }
        }
    }

    /// A list of strings.
    pub(crate) fn strings(&mut self, key: &str, example: &str) -> Option<Vec<String>> {
        let value = self.table.remove(key)?;
        let Value::Array(items) = value else {
            self.wrong_type(key, "a list of strings", &value, example);
            return None;
        };
        let mut strings = Vec::with_capacity(items.len());
        let mut ok = true;
        for (index, item) in items.into_iter().enumerate() {
            match item {
                Value::String(text) => strings.push(text),
                other => {
                    ok = false;
                    let path = format!("{}.{key}[{index}]", self.name);
                    self.problems.push(
                        ConfigProblem::new(
                            path,
                            format!("must be a string, not {}", type_phrase(&other)),
                        )
                        .help(format!("for example `{key} = {example}`")),
                    );
                }
            }
        }
        ok.then_some(strings)
    }

    /// A list of strings read as a set (duplicates merged).
    pub(crate) fn string_set(&mut self, key: &str, example: &str) -> Option<BTreeSet<String>> {
        self.strings(key, example)
            .map(|strings| strings.into_iter().collect())
    }

    /// A table of strings (`{ NAME = "value" }`).
    pub(crate) fn string_map(
        &mut self,
        key: &str,
        example: &str,
    ) -> Option<std::collections::BTreeMap<String, String>> {
        let value = self.table.remove(key)?;
        let Value::Table(table) = value else {
            self.wrong_type(key, "a table of strings", &value, example);
            return None;
        };
        let mut map = std::collections::BTreeMap::new();
        for (name, value) in table {
            match value {
                Value::String(text) => {
                    map.insert(name, text);
                }
                other => {
                    let path = format!("{}.{name}", self.path(key));
                    self.problems.push(
                        ConfigProblem::new(
                            path,
                            format!("must be a string, not {}", type_phrase(&other)),
                        )
                        .help(format!("for example `{key} = {example}`")),
                    );
                }
            }
        }
        Some(map)
    }

    /// Any value, as JSON (for values that another crate checks, like `load_roles`).
    pub(crate) fn json(&mut self, key: &str) -> Option<Json> {
        let value = self.table.remove(key)?;
        match toml_to_json(value) {
            Ok(json) => Some(json),
            Err(problem) => {
                let path = self.path(key);
                self.problems.push(ConfigProblem::new(
                    format!("{path}{}", problem.0),
                    problem.1,
                ));
                None
            }
        }
    }

    /// Records every key that was not taken, with the nearest known key.
    pub(crate) fn finish(self, other_sections: &[(&'static str, &'static [&'static str])]) {
        for key in self.table.keys() {
            let path = format!("{}.{key}", self.name);
            let mut problem = ConfigProblem::new(
                path,
                format!("is not a setting hubcap knows in [{}]", self.name),
            );
            if let Some(near) = did_you_mean(key, self.known.iter().copied()) {
                problem = problem.help(format!("did you mean `{near}`?"));
            } else if let Some((section, _)) = other_sections
                .iter()
                .find(|(_, keys)| keys.contains(&key.as_str()))
            {
                problem = problem.help(format!("`{key}` belongs in [{section}]"));
            } else {
                problem = problem.help(format!("known keys: {}", self.known.join(", ")));
            }
            self.problems.push(problem);
        }
    }
}

/// "a string", "a list", ... for messages.
pub(crate) fn type_phrase(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "a whole number",
        Value::Float(_) => "a decimal number",
        Value::Boolean(_) => "true/false",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

/// TOML to JSON. Dates have no JSON form: the error carries the path suffix and the problem.
fn toml_to_json(value: Value) -> Result<Json, (String, String)> {
    Ok(match value {
        Value::String(text) => Json::String(text),
        Value::Integer(number) => Json::from(number),
        Value::Float(number) => serde_json::Number::from_f64(number)
            .map(Json::Number)
            .ok_or_else(|| {
                (
                    String::new(),
                    format!("{number} is not a number hubcap can use"),
                )
            })?,
        Value::Boolean(flag) => Json::Bool(flag),
        Value::Datetime(date) => {
            return Err((
                String::new(),
                format!("a date ({date}) is not allowed here; quote it to make it a string"),
            ));
        }
        Value::Array(items) => Json::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    toml_to_json(item)
                        .map_err(|(path, problem)| (format!("[{index}]{path}"), problem))
                })
                .collect::<Result<_, _>>()?,
        ),
        Value::Table(table) => Json::Object(
            table
                .into_iter()
                .map(|(key, item)| {
                    toml_to_json(item)
                        .map(|json| (key.clone(), json))
                        .map_err(|(path, problem)| (format!(".{key}{path}"), problem))
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}
