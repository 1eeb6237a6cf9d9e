//! JupyterHub's `roles.create_role`: the checks a role definition goes through, in
//! JupyterHub's order and with its exact errors, and what it does to the stored roles.
//!
//! The input is the definition as JSON, exactly as a JupyterHub config or API would hand it
//! over, so that odd shapes behave as in JupyterHub (a `scopes` string is iterated character
//! by character). hubcap's own config loader ([`crate::config`]) refuses such shapes earlier,
//! with a message that says what to write instead.

use scopes::{ScopeNotFound, ScopeTable, py_truthy, py_type_name, py_value};
use serde_json::{Map, Value};

use crate::name::{InvalidRoleName, validate_role_name};
use crate::role::{ADMIN_SCOPES, Role, default_roles};
use crate::store::RoleStore;

/// Why `create_role` refused a definition, with the Python exception class JupyterHub raises.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CreateRoleError {
    /// `KeyError`: no `name` key.
    #[error("Role definition must have a name")]
    MissingName,
    /// `TypeError`: `name` is not a string.
    #[error("expected string or bytes-like object, got '{type_name}'")]
    NameNotAString {
        /// Python's name of the type given.
        type_name: &'static str,
    },
    /// `InvalidNameError`.
    #[error(transparent)]
    InvalidName(#[from] InvalidRoleName),
    /// `RoleValueError`: the `admin` role's description or scopes differ from the default.
    #[error("Cannot override admin role admin.{key} = {value}")]
    AdminOverride {
        /// `description` or `scopes`.
        key: &'static str,
        /// Python's `str()` of the value given.
        value: String,
    },
    /// `ScopeNotFound`.
    #[error(transparent)]
    ScopeNotFound(#[from] ScopeNotFound),
    /// `TypeError` or `AttributeError`: `scopes` is not something JupyterHub can iterate as
    /// scope strings.
    #[error("{message}")]
    BadScopes {
        /// The Python exception class.
        class: &'static str,
        /// Python's message.
        message: String,
    },
}

impl CreateRoleError {
    /// The Python exception class JupyterHub raises.
    pub fn class(&self) -> &'static str {
        match self {
            CreateRoleError::MissingName => "KeyError",
            CreateRoleError::NameNotAString { .. } => "TypeError",
            CreateRoleError::InvalidName(_) => "InvalidNameError",
            CreateRoleError::AdminOverride { .. } => "RoleValueError",
            CreateRoleError::ScopeNotFound(_) => "ScopeNotFound",
            CreateRoleError::BadScopes { class, .. } => class,
        }
    }
}

/// What `create_role` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Created {
    /// A new role was stored.
    Added,
    /// An existing role was changed (the attributes named).
    Changed(Vec<&'static str>),
    /// An existing role already matched.
    Unchanged,
}

/// A log line JupyterHub writes while creating a role (hubcap returns it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreateNote {
    /// `Role %s will have no scopes` (a warning).
    NoScopes {
        /// The role.
        role: String,
    },
}

/// JupyterHub's `create_role(db, role_dict, reset_to_defaults=...)` on `store`.
///
/// Checks, in order: a `name` key; the name's type and pattern; for `admin`, that
/// `description` and `scopes` (when given) equal the default; that every scope exists (when
/// `scopes` is truthy, in Python's sense). Then adds the role, or updates the stored one:
/// each of `description` and `scopes` takes the given value, or its default (none, `[]`) when
/// absent; with `reset_to_defaults` false an absent attribute keeps its stored value.
pub fn create_role(
    store: &mut RoleStore,
    table: &ScopeTable,
    definition: &Map<String, Value>,
    reset_to_defaults: bool,
) -> Result<(Created, Vec<CreateNote>), CreateRoleError> {
    let name = match definition.get("name") {
        None => return Err(CreateRoleError::MissingName),
        Some(Value::String(name)) => name,
        Some(other) => {
            return Err(CreateRoleError::NameNotAString {
                type_name: py_type_name(other),
            });
        }
    };
    validate_role_name(name)?;
    let description = definition.get("description");
    let scopes = definition.get("scopes");
    if name == "admin" {
        check_admin_unchanged(description, scopes)?;
    }
    let mut notes = Vec::new();
    let scope_names = match scopes {
        Some(value) if py_truthy(value) => {
            let names = iterate_as_scopes(value)?;
            table.check_exist(
                names.iter().map(String::as_str),
                Some(&format!("role {name}")),
            )?;
            names
        }
        _ => {
            notes.push(CreateNote::NoScopes { role: name.clone() });
            Vec::new()
        }
    };
    let description = description.and_then(Value::as_str).map(str::to_owned);
    let created = match store.get(name) {
        None => {
            store.insert(Role {
                name: name.clone(),
                description,
                scopes: scope_names,
            });
            Created::Added
        }
        Some(old) => {
            let mut role = old.clone();
            let mut changed = Vec::new();
            // An absent attribute means its column default (no description, no scopes); it
            // replaces the stored value only when resetting to defaults.
            if role.description != description && (reset_to_defaults || description.is_some()) {
                role.description = description;
                changed.push("description");
            }
            if role.scopes != scope_names && (reset_to_defaults || !scope_names.is_empty()) {
                role.scopes = scope_names;
                changed.push("scopes");
            }
            let outcome = if changed.is_empty() {
                Created::Unchanged
            } else {
                Created::Changed(changed)
            };
            store.insert(role);
            outcome
        }
    };
    Ok((created, notes))
}

fn check_admin_unchanged(
    description: Option<&Value>,
    scopes: Option<&Value>,
) -> Result<(), CreateRoleError> {
    let admin = default_roles()
        .into_iter()
        .find(|role| role.name == "admin")
        .map(|role| role.description)
        .unwrap_or_default();
    if let Some(given) = description {
        if given.as_str() != admin.as_deref() || !given.is_string() {
            return Err(CreateRoleError::AdminOverride {
                key: "description",
                value: py_str_of(given),
            });
        }
    }
    if let Some(given) = scopes {
        let same = given.as_array().is_some_and(|list| {
            list.len() == ADMIN_SCOPES.len()
                && list
                    .iter()
                    .zip(ADMIN_SCOPES)
                    .all(|(a, b)| a.as_str() == Some(b))
        });
        if !same {
            return Err(CreateRoleError::AdminOverride {
                key: "scopes",
                value: py_str_of(given),
            });
        }
    }
    Ok(())
}

/// The scope names JupyterHub's `for scope in scopes` loop sees: a list's items, a string's
/// characters, a dict's keys. Anything else, or an item that is not a string, fails as it
/// fails in Python.
fn iterate_as_scopes(value: &Value) -> Result<Vec<String>, CreateRoleError> {
    let not_a_string = |item: &Value| CreateRoleError::BadScopes {
        class: "AttributeError",
        message: format!(
            "'{}' object has no attribute 'partition'",
            py_type_name(item)
        ),
    };
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| not_a_string(item))
            })
            .collect(),
        Value::String(text) => Ok(text.chars().map(String::from).collect()),
        Value::Object(map) => Ok(map.keys().cloned().collect()),
        other => Err(CreateRoleError::BadScopes {
            class: "TypeError",
            message: format!("'{}' object is not iterable", py_type_name(other)),
        }),
    }
}

/// Python's `str()` of a JSON value: a string as itself, anything else as its `repr()`.
pub(crate) fn py_str_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => py_value(other),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn create(definition: Value) -> Result<Created, CreateRoleError> {
        let mut store = RoleStore::with_defaults();
        let table = ScopeTable::jupyterhub();
        let map = definition.as_object().unwrap().clone();
        create_role(&mut store, &table, &map, true).map(|(created, _)| created)
    }

    fn error(definition: Value) -> (String, String) {
        let err = create(definition).unwrap_err();
        (err.class().to_owned(), err.to_string())
    }

    #[test]
    fn checks_in_jupyterhubs_order() {
        assert_eq!(
            error(json!({"scopes": ["nope"]})),
            ("KeyError".into(), "Role definition must have a name".into())
        );
        assert_eq!(
            error(json!({"name": "Bad", "scopes": ["nope"]})).0,
            "InvalidNameError"
        );
        assert_eq!(
            error(json!({"name": "admin", "scopes": ["admin:users"]})),
            (
                "RoleValueError".into(),
                "Cannot override admin role admin.scopes = ['admin:users']".into()
            )
        );
        assert_eq!(
            error(json!({"name": "admin", "description": "mine"})),
            (
                "RoleValueError".into(),
                "Cannot override admin role admin.description = mine".into()
            )
        );
        assert_eq!(
            error(json!({"name": 7})),
            (
                "TypeError".into(),
                "expected string or bytes-like object, got 'int'".into()
            )
        );
    }

    #[test]
    fn a_scopes_string_is_iterated_by_character() {
        assert_eq!(
            error(json!({"name": "server", "scopes": "inherit"})),
            (
                "ScopeNotFound".into(),
                "Scope 'i' for role server does not exist".into()
            )
        );
    }

    #[test]
    fn adds_and_updates() {
        assert_eq!(
            create(json!({"name": "readers", "scopes": ["read:users"]})).unwrap(),
            Created::Added
        );
        assert_eq!(
            create(json!({"name": "user", "scopes": ["self"], "description": "Standard user privileges"}))
                .unwrap(),
            Created::Unchanged
        );
        assert_eq!(
            create(json!({"name": "user"})).unwrap(),
            Created::Changed(vec!["description", "scopes"])
        );
        assert_eq!(
            create(json!({"name": "admin"})).unwrap(),
            Created::Changed(vec!["description", "scopes"])
        );
    }

    #[test]
    fn empty_scopes_only_note() {
        let mut store = RoleStore::with_defaults();
        let table = ScopeTable::jupyterhub();
        let map = json!({"name": "empty", "scopes": []})
            .as_object()
            .unwrap()
            .clone();
        let (_, notes) = create_role(&mut store, &table, &map, true).unwrap();
        assert_eq!(
            notes,
            [CreateNote::NoScopes {
                role: "empty".into()
            }]
        );
        assert_eq!(store.get("empty").unwrap().scopes, Vec::<String>::new());
    }
}
