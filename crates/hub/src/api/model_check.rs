//! JupyterHub's `_check_model`: request models may only use known keys, each of its Python
//! type, with JupyterHub's messages.

use serde_json::Value;

use super::request::py_class;
use crate::error::ApiError;

/// A Python type a model key must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PyType {
    /// `str`
    Str,
    /// `bool`
    Bool,
    /// `list`
    List,
    /// `dict`
    Dict,
}

impl PyType {
    fn admits(self, value: &Value) -> bool {
        matches!(
            (self, value),
            (PyType::Str, Value::String(_))
                | (PyType::Bool, Value::Bool(_))
                | (PyType::List, Value::Array(_))
                | (PyType::Dict, Value::Object(_))
        )
    }

    fn class(self) -> &'static str {
        match self {
            PyType::Str => "<class 'str'>",
            PyType::Bool => "<class 'bool'>",
            PyType::List => "<class 'list'>",
            PyType::Dict => "<class 'dict'>",
        }
    }
}

/// `_user_model_types`.
pub const USER_MODEL: &[(&str, PyType)] = &[
    ("name", PyType::Str),
    ("admin", PyType::Bool),
    ("groups", PyType::List),
    ("roles", PyType::List),
    ("auth_state", PyType::Dict),
];

/// `_group_model_types`.
pub const GROUP_MODEL: &[(&str, PyType)] = &[
    ("name", PyType::Str),
    ("users", PyType::List),
    ("roles", PyType::List),
];

/// `_check_model(model, types, name)`.
///
/// # Errors
///
/// 400 `Invalid JSON data: ...`, `Invalid JSON keys: ...` or `user.admin must be <class
/// 'bool'>, not: <class 'str'>`.
pub fn check_model(model: &Value, types: &[(&str, PyType)], name: &str) -> Result<(), ApiError> {
    let Some(map) = model.as_object() else {
        return Err(ApiError::bad_request(format!(
            "Invalid JSON data: {}",
            scopes::py_value(model)
        )));
    };
    if map
        .keys()
        .any(|key| !types.iter().any(|(known, _)| known == key))
    {
        return Err(ApiError::bad_request(format!(
            "Invalid JSON keys: {}",
            scopes::py_value(model)
        )));
    }
    for (key, value) in map {
        if let Some((_, expected)) = types.iter().find(|(known, _)| known == key) {
            if !expected.admits(value) {
                return Err(ApiError::bad_request(format!(
                    "{name}.{key} must be {}, not: {}",
                    expected.class(),
                    py_class(value)
                )));
            }
        }
    }
    Ok(())
}

/// `_check_user_model`: the user model, then every entry of `users` must be a string.
///
/// # Errors
///
/// As [`check_model`]; 400 `usernames must be str, not <class 'int'>`.
pub fn check_user_model(model: &Value) -> Result<(), ApiError> {
    check_model(model, USER_MODEL, "user")?;
    check_names(model, "users", "usernames")
}

/// `_check_group_model`.
///
/// # Errors
///
/// As [`check_model`]; 400 `group names must be str, not <class 'int'>`.
pub fn check_group_model(model: &Value) -> Result<(), ApiError> {
    check_model(model, GROUP_MODEL, "group")?;
    check_names(model, "groups", "group names")
}

fn check_names(model: &Value, key: &str, what: &str) -> Result<(), ApiError> {
    if let Some(Value::Array(items)) = model.get(key) {
        if let Some(bad) = items.iter().find(|item| !item.is_string()) {
            return Err(ApiError::bad_request(format!(
                "{what} must be str, not {}",
                py_class(bad)
            )));
        }
    }
    Ok(())
}
