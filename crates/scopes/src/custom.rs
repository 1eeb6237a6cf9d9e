//! Custom scopes (`JupyterHub.custom_scopes`): the name rule and the definition checks of
//! JupyterHub's `define_custom_scopes`, with its exact messages.
//!
//! Unlike JupyterHub, which defines entries one by one and leaves the earlier ones defined when
//! a later one fails, hubcap defines a call's scopes all or nothing (docs/compat.md).

use serde_json::{Map, Value};

use crate::error::CustomScopeError;
use crate::pyrepr::{py_str, py_value};
use crate::table::ScopeTable;
use crate::warning::Warning;

/// The rules for custom scope names, as JupyterHub words them (also part of its error text).
pub(crate) const NAME_RULES: &str = "
Custom scopes must start with `custom:`
and contain only lowercase ascii letters, numbers, hyphen, underscore, colon, and asterisk (-_:*).
The part after `custom:` must start with a letter or number.
Scopes may not end with a hyphen or colon.
";

/// Whether `name` is a valid custom scope name: JupyterHub's
/// `^custom:[a-z0-9][a-z0-9_\-\*:]+[a-z0-9_\*]$` under Python's `re.match`, whose `$` also
/// matches before one final newline.
pub fn is_custom_scope_name(name: &str) -> bool {
    let name = name.strip_suffix('\n').unwrap_or(name);
    let Some(rest) = name.strip_prefix("custom:") else {
        return false;
    };
    let chars: Vec<char> = rest.chars().collect();
    let (Some(first), Some(last)) = (chars.first(), chars.last()) else {
        return false;
    };
    let middle = chars
        .get(1..chars.len().saturating_sub(1))
        .unwrap_or_default();
    let alnum = |c: &char| c.is_ascii_lowercase() || c.is_ascii_digit();
    chars.len() >= 3
        && alnum(first)
        && middle
            .iter()
            .all(|c| alnum(c) || matches!(c, '_' | '-' | '*' | ':'))
        && (alnum(last) || matches!(last, '_' | '*'))
}

impl ScopeTable {
    /// Defines custom scopes, in the order given. Each needs a `custom:` name, a
    /// `description`, and optionally `subscopes`: custom scopes defined in the same call.
    /// Redefining a scope with the same definition is allowed; with another, refused. Extra
    /// keys are ignored with a warning. All or nothing: on an error, nothing is defined.
    pub fn define_custom_scopes(
        &mut self,
        scopes: &Map<String, Value>,
    ) -> Result<Vec<Warning>, CustomScopeError> {
        let mut warnings = Vec::new();
        let mut new = Vec::new();
        for (name, definition) in scopes {
            let rendered = || py_value(definition);
            if let Some(existing) = self.get(name) {
                if Some(existing.raw()) != definition.as_object() {
                    return Err(CustomScopeError::Redefined {
                        name: name.clone(),
                        definition: rendered(),
                        existing: py_value(&Value::Object(existing.raw().clone())),
                    });
                }
            }
            if !is_custom_scope_name(name) {
                return Err(CustomScopeError::InvalidName {
                    name_repr: py_str(name),
                });
            }
            let Some(fields) = definition
                .as_object()
                .filter(|d| d.contains_key("description"))
            else {
                return Err(CustomScopeError::MissingDescription {
                    name: name.clone(),
                    definition: rendered(),
                });
            };
            let subscopes = match fields.get("subscopes") {
                None => Vec::new(),
                Some(value) => subscope_list(value)?,
            };
            for subscope in &subscopes {
                if scopes.contains_key(subscope) {
                    continue;
                }
                let (subscope, name, definition) = (subscope.clone(), name.clone(), rendered());
                return Err(if self.contains(&subscope) {
                    CustomScopeError::NonCustomSubscope {
                        subscope,
                        name,
                        definition,
                    }
                } else {
                    CustomScopeError::UnknownSubscope {
                        subscope,
                        name,
                        definition,
                    }
                });
            }
            let extra: Vec<String> = fields
                .keys()
                .filter(|k| !matches!(k.as_str(), "description" | "subscopes"))
                .cloned()
                .collect();
            if !extra.is_empty() {
                warnings.push(Warning::UnrecognizedKeys {
                    scope: name.clone(),
                    keys: extra,
                    definition: rendered(),
                });
            }
            if self.get(name).is_none() {
                let description = match fields.get("description") {
                    Some(Value::String(text)) => text.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                new.push(ScopeTable::new_custom(
                    name,
                    description,
                    subscopes,
                    fields.clone(),
                ));
            }
        }
        let first = self.iter().len();
        for definition in new {
            self.push(definition);
        }
        self.compute_closures(first);
        Ok(warnings)
    }
}

fn subscope_list(value: &Value) -> Result<Vec<String>, CustomScopeError> {
    let not_list = || CustomScopeError::SubscopesNotList {
        subscopes: py_value(value),
    };
    let items = value.as_array().ok_or_else(not_list)?;
    items
        .iter()
        .map(|item| item.as_str().map(str::to_owned).ok_or_else(not_list))
        .collect()
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::scope::Scope;

    fn define(table: &mut ScopeTable, json: &str) -> Result<Vec<Warning>, CustomScopeError> {
        let value: Value = serde_json::from_str(json).unwrap();
        table.define_custom_scopes(value.as_object().unwrap())
    }

    #[test]
    fn names() {
        for (name, ok) in [
            ("custom:abc", true),
            ("custom:ab", false),
            ("custom:a*b", true),
            ("custom:ab-", false),
            ("custom:ab:", false),
            ("custom:ab_", true),
            ("custom:Abc", false),
            ("custom:abc\n", true),
            ("custom:abc\n\n", false),
            ("custom:-bc", false),
            ("read:users", false),
        ] {
            assert_eq!(is_custom_scope_name(name), ok, "{name:?}");
        }
    }

    #[test]
    fn defined_scopes_expand_with_their_subscopes() {
        let mut table = ScopeTable::jupyterhub();
        define(
            &mut table,
            r#"{"custom:parent": {"description": "p", "subscopes": ["custom:child"]},
                "custom:child": {"description": "c"}}"#,
        )
        .unwrap();
        let got = table
            .expand_scope(&Scope::lenient("custom:parent!user=alice"))
            .unwrap();
        let got: Vec<&str> = got.iter().map(Scope::as_str).collect();
        assert_eq!(got, ["custom:child!user=alice", "custom:parent!user=alice"]);
    }

    #[test]
    fn errors_are_jupyterhubs() {
        let mut table = ScopeTable::jupyterhub();
        let err = define(
            &mut table,
            r#"{"read:users": {"description": "Can't override"}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with(
            "Cannot redefine scope read:users={'description': \"Can't override\"}. Already have read:users={'description': 'Read user models"
        ));
        let err = define(
            &mut table,
            r#"{"custom:abc": {"description": "x", "subscopes": ["read:users"]}}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "non-custom subscope read:users in custom:abc={'description': 'x', 'subscopes': ['read:users']} is not allowed. \
             Custom scopes may only have custom subscopes. Roles should be used to assign multiple scopes together."
        );
        assert!(!table.contains("custom:abc"), "all or nothing");
        let warnings = define(
            &mut table,
            r#"{"custom:abc": {"description": "x", "extra": 1}}"#,
        )
        .unwrap();
        assert_eq!(
            warnings[0].to_string(),
            "Ignoring unrecognized key(s) 'extra' in custom:abc={'description': 'x', 'extra': 1}"
        );
    }

    #[test]
    fn compat_cyclic_custom_scopes_expand_to_their_closure() {
        // JupyterHub accepts the cycle and then recurses without end when expanding it.
        let mut table = ScopeTable::jupyterhub();
        define(
            &mut table,
            r#"{"custom:aaa": {"description": "a", "subscopes": ["custom:bbb"]},
                "custom:bbb": {"description": "b", "subscopes": ["custom:aaa"]}}"#,
        )
        .unwrap();
        let got = table.expand_scope(&Scope::lenient("custom:aaa")).unwrap();
        let got: Vec<&str> = got.iter().map(Scope::as_str).collect();
        assert_eq!(got, ["custom:aaa", "custom:bbb"]);
    }

    #[test]
    fn compat_a_non_string_description_is_kept_as_json_text() {
        let mut table = ScopeTable::jupyterhub();
        define(&mut table, r#"{"custom:num": {"description": 5}}"#).unwrap();
        assert_eq!(table.get("custom:num").unwrap().description(), "5");
    }

    #[test]
    fn compat_a_definition_that_is_not_a_table_lacks_a_description() {
        // JupyterHub fails with an AttributeError or TypeError on such a value.
        let mut table = ScopeTable::jupyterhub();
        let err = define(&mut table, r#"{"custom:abc": "just text"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "scope custom:abc='just text' missing key 'description'"
        );
    }
}
