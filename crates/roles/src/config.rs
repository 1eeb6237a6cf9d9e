//! `load_roles` as hubcap reads it from its config file: every shape JupyterHub would accept
//! (or trip over later) checked up front, every problem reported with where it is, what is
//! wrong and what to write instead.
//!
//! The classic trap: `scopes = "inherit"` (a string, not a list). JupyterHub iterates the
//! string and says `Scope 'i' for role server does not exist`; hubcap says that `scopes` must
//! be a list and suggests `["inherit"]`.

use std::collections::BTreeSet;
use std::fmt;

use scopes::{ScopeTable, did_you_mean, py_type_name};
use serde_json::{Map, Value};

use crate::name::validate_role_name;
use crate::role::{ADMIN_SCOPES, default_roles};

/// One `load_roles` entry, checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleSpec {
    /// The role name.
    pub name: String,
    /// The description, if given.
    pub description: Option<String>,
    /// The raw scopes, if given.
    pub scopes: Option<Vec<String>>,
    /// The users to hold the role exactly, if given.
    pub users: Option<Vec<String>>,
    /// The groups to hold the role exactly, if given.
    pub groups: Option<Vec<String>>,
    /// The services to hold the role exactly, if given.
    pub services: Option<Vec<String>>,
}

/// A problem in `load_roles`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// Where: `load_roles[2].scopes[0]`.
    pub path: String,
    /// What is wrong.
    pub problem: String,
    /// What would be right, when there is a likely answer.
    pub help: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.problem)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

const KEYS: [&str; 6] = [
    "name",
    "description",
    "scopes",
    "users",
    "groups",
    "services",
];

/// Reads `load_roles` (a list of role tables), reporting every problem found, not only the
/// first. `prefix` names the setting in messages (`load_roles`, `JupyterHub.load_roles`).
pub fn parse_load_roles(
    table: &ScopeTable,
    prefix: &str,
    value: &Value,
) -> Result<Vec<RoleSpec>, Vec<ConfigError>> {
    let mut errors = Vec::new();
    let Some(entries) = value.as_array() else {
        return Err(vec![ConfigError {
            path: prefix.to_owned(),
            problem: format!("must be a list of role tables, not a {}", json_type(value)),
            help: Some(format!(
                "write `{prefix} = [{{ name = \"readers\", scopes = [\"read:users\"] }}]`"
            )),
        }]);
    };
    let mut specs = Vec::new();
    let mut seen = BTreeSet::new();
    for (at, entry) in entries.iter().enumerate() {
        let path = format!("{prefix}[{at}]");
        let Some(map) = entry.as_object() else {
            errors.push(ConfigError {
                path,
                problem: format!("must be a role table, not a {}", json_type(entry)),
                help: Some("a role is `{ name = \"...\", scopes = [...] }`".to_owned()),
            });
            continue;
        };
        if let Some(spec) = parse_entry(table, &path, map, &mut errors) {
            if !seen.insert(spec.name.clone()) {
                errors.push(ConfigError {
                    path: format!("{path}.name"),
                    problem: format!(
                        "Role {} multiply defined. Please check the `load_roles` configuration",
                        spec.name
                    ),
                    help: Some("merge the definitions into one entry".to_owned()),
                });
            }
            specs.push(spec);
        }
    }
    if errors.is_empty() {
        Ok(specs)
    } else {
        Err(errors)
    }
}

fn parse_entry(
    table: &ScopeTable,
    path: &str,
    map: &Map<String, Value>,
    errors: &mut Vec<ConfigError>,
) -> Option<RoleSpec> {
    for key in map.keys() {
        if !KEYS.contains(&key.as_str()) {
            errors.push(ConfigError {
                path: format!("{path}.{key}"),
                problem: "unknown key".to_owned(),
                help: Some(match did_you_mean(key, KEYS.iter().copied()) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("a role has the keys {}", KEYS.join(", ")),
                }),
            });
        }
    }
    let name = match map.get("name") {
        Some(Value::String(name)) => {
            if name.ends_with('\n') {
                errors.push(ConfigError {
                    path: format!("{path}.name"),
                    problem: format!("role name {name:?} ends with a line break"),
                    help: Some(format!("write {:?}", name.trim_end())),
                });
            } else if let Err(e) = validate_role_name(name) {
                errors.push(ConfigError {
                    path: format!("{path}.name"),
                    problem: e.to_string().trim_end().to_owned(),
                    help: None,
                });
            }
            name.clone()
        }
        Some(other) => {
            errors.push(ConfigError {
                path: format!("{path}.name"),
                problem: format!("must be a string, not a {}", json_type(other)),
                help: None,
            });
            return None;
        }
        None => {
            errors.push(ConfigError {
                path: path.to_owned(),
                problem: "Role definition must have a name".to_owned(),
                help: Some("add `name = \"...\"`".to_owned()),
            });
            return None;
        }
    };
    let description = match map.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(other) => {
            errors.push(ConfigError {
                path: format!("{path}.description"),
                problem: format!("must be a string, not a {}", json_type(other)),
                help: None,
            });
            None
        }
    };
    let scopes = map
        .get("scopes")
        .and_then(|value| scope_list(table, path, &name, value, errors));
    if name == "admin" {
        check_admin(path, description.as_deref(), scopes.as_deref(), errors);
    }
    let names = |key: &str, errors: &mut Vec<ConfigError>| {
        map.get(key)
            .and_then(|value| string_list(&format!("{path}.{key}"), value, errors))
    };
    Some(RoleSpec {
        users: names("users", errors),
        groups: names("groups", errors),
        services: names("services", errors),
        name,
        description,
        scopes,
    })
}

fn scope_list(
    table: &ScopeTable,
    path: &str,
    role: &str,
    value: &Value,
    errors: &mut Vec<ConfigError>,
) -> Option<Vec<String>> {
    let path = format!("{path}.scopes");
    if let Value::String(text) = value {
        errors.push(ConfigError {
            path,
            problem: format!(
                "must be a list of scopes, not a string (JupyterHub would read {:?} one character \
                 at a time and fail with `Scope '{}' for role {role} does not exist`)",
                text,
                text.chars().next().unwrap_or(' ')
            ),
            help: Some(format!("write `scopes = [{text:?}]`")),
        });
        return None;
    }
    let scopes = string_list(&path, value, errors)?;
    for (at, scope) in scopes.iter().enumerate() {
        if let Err(e) = table.check_exist([scope.as_str()], Some(&format!("role {role}"))) {
            errors.push(ConfigError {
                path: format!("{path}[{at}]"),
                problem: e.to_string(),
                help: e.help(),
            });
        }
    }
    Some(scopes)
}

fn string_list(path: &str, value: &Value, errors: &mut Vec<ConfigError>) -> Option<Vec<String>> {
    let Some(items) = value.as_array() else {
        errors.push(ConfigError {
            path: path.to_owned(),
            problem: format!("must be a list of strings, not a {}", json_type(value)),
            help: value.as_str().map(|text| format!("write `[{text:?}]`")),
        });
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    for (at, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(text) => out.push(text.to_owned()),
            None => errors.push(ConfigError {
                path: format!("{path}[{at}]"),
                problem: format!("must be a string, not a {}", json_type(item)),
                help: None,
            }),
        }
    }
    Some(out)
}

fn check_admin(
    path: &str,
    description: Option<&str>,
    scopes: Option<&[String]>,
    errors: &mut Vec<ConfigError>,
) {
    let admin = default_roles()
        .into_iter()
        .find(|r| r.name == "admin")
        .and_then(|r| r.description)
        .unwrap_or_default();
    if description.is_some_and(|d| d != admin) {
        errors.push(ConfigError {
            path: format!("{path}.description"),
            problem: "Cannot override admin role admin.description".to_owned(),
            help: Some("leave the admin role's description out".to_owned()),
        });
    }
    if scopes.is_some_and(|s| !s.iter().map(String::as_str).eq(ADMIN_SCOPES)) {
        errors.push(ConfigError {
            path: format!("{path}.scopes"),
            problem: "Cannot override admin role admin.scopes".to_owned(),
            help: Some(
                "leave the admin role's scopes out, and define a new role for other permissions"
                    .to_owned(),
            ),
        });
    }
}

/// A JSON value's type as a config writer would call it.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "list",
        Value::Object(_) => "table",
        Value::String(_) => "string",
        other => py_type_name(other),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn errors(value: Value) -> Vec<String> {
        parse_load_roles(&ScopeTable::jupyterhub(), "load_roles", &value)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_scopes_string_is_caught_with_the_list_to_write() {
        let got = errors(json!([{"name": "server", "scopes": "inherit"}]));
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("load_roles[0].scopes: must be a list of scopes, not a string"));
        assert!(got[0].contains("`Scope 'i' for role server does not exist`"));
        assert!(
            got[0].ends_with("help: write `scopes = [\"inherit\"]`"),
            "{}",
            got[0]
        );
    }

    #[test]
    fn unknown_scopes_and_keys_get_did_you_mean() {
        let got = errors(json!([{"name": "readers", "scope": [], "scopes": ["read:user"]}]));
        assert!(
            got.iter()
                .any(|e| e.contains("load_roles[0].scope: unknown key")
                    && e.contains("did you mean `scopes`?")),
            "{got:?}"
        );
        assert!(
            got.iter().any(|e| e.contains(
                "load_roles[0].scopes[0]: Scope 'read:user' for role readers does not exist"
            ) && e.contains("read:users")),
            "{got:?}"
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let got = errors(json!([
            {"name": "Bad Name", "scopes": ["self"]},
            {"scopes": ["self"]},
            {"name": "twice", "scopes": []},
            {"name": "twice", "users": "alice"},
            {"name": "admin", "scopes": ["admin:users"]},
            "readers"
        ]));
        assert_eq!(got.len(), 6, "{got:#?}");
        assert!(got[0].contains("Invalid role name: 'Bad Name'"));
        assert!(got[1].contains("Role definition must have a name"));
        assert!(got.iter().any(
            |e| e.contains("users: must be a list of strings, not a string")
                && e.contains("[\"alice\"]")
        ));
        assert!(
            got.iter()
                .any(|e| e.contains("Role twice multiply defined"))
        );
        assert!(
            got.iter()
                .any(|e| e.contains("Cannot override admin role admin.scopes"))
        );
        assert!(
            got.iter()
                .any(|e| e.contains("load_roles[5]: must be a role table"))
        );
    }

    #[test]
    fn compat_a_trailing_line_break_in_a_role_name_is_refused() {
        // JupyterHub's pattern ends in `$`, which also matches before a final "\n".
        assert!(validate_role_name("readers\n").is_ok());
        let got = errors(json!([{"name": "readers\n", "scopes": ["read:users"]}]));
        assert_eq!(got.len(), 1);
        assert!(got[0].contains("ends with a line break"), "{}", got[0]);
    }

    #[test]
    fn good_config_reads() {
        let specs = parse_load_roles(
            &ScopeTable::jupyterhub(),
            "load_roles",
            &json!([{"name": "readers", "scopes": ["read:users"], "groups": ["staff"]}, {"name": "user"}]),
        )
        .unwrap();
        assert_eq!(
            specs[0].scopes.as_deref(),
            Some(&["read:users".to_owned()][..])
        );
        assert_eq!(specs[0].users, None);
        assert_eq!(specs[1].name, "user");
    }
}
