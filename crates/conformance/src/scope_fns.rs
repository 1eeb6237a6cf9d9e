//! The scope-level `fn`s of FORMAT.md §5: each turns a vector's input into a call of the
//! `scopes` crate and its result into the normalised JSON that JupyterHub's is compared with.

use scopes::{
    AccessTarget, GroupMembership, ParsedScopes, Requirement, Scope, ScopeSet, ScopeTable, Target,
    access_scopes, check_scope_filter, decide, has_scope, identify_scopes, intersect,
    is_custom_scope_name, reduce_scopes,
};
use serde_json::{Map, Value, json};

use crate::error::RunError;
use crate::normalize::{Outcome, error_object, filters_json, parsed_json, set_json};
use crate::world::World;

/// One vector's arguments, as the runner sees them.
pub struct Call<'v> {
    /// `input`
    pub input: &'v Value,
    /// `owner`
    pub owner: &'v Value,
    /// top-level `oauth_client`
    pub oauth_client: &'v Value,
    /// top-level `db`
    pub db: bool,
}

/// The state a file's vectors share: the scope table, which custom scopes change, and the
/// roles and shares of the domain `fn`s.
pub struct State<'w> {
    /// The world of the file.
    pub world: &'w World,
    /// The scope table.
    pub table: ScopeTable,
    /// Roles and shares.
    pub domain: crate::domain_fns::Domain,
}

impl State<'_> {
    fn groups(&self, db: bool) -> Option<&dyn GroupMembership> {
        db.then_some(self.world as &dyn GroupMembership)
    }

    /// Runs a scope-level `fn`; `None` if `fn` is not one of them.
    pub fn run(&mut self, function: &str, call: &Call<'_>) -> Option<Result<Outcome, RunError>> {
        let result = match function {
            "scope_definitions" => Ok(Outcome::plain(self.definitions())),
            "_expand_scope" => self.expand_scope(call.input),
            "_expand_self_scope" => str_input(call.input)
                .map(|name| Outcome::plain(set_json(&self.table.expand_self(name)))),
            "expand_scopes" => self.expand_scopes(call),
            "parse_scopes" | "parse_scopes(uncached)" => scope_list(call.input).map(|scopes| {
                Outcome::plain(match ParsedScopes::parse(&scopes) {
                    Ok(parsed) => parsed_json(&parsed),
                    Err(e) => error_object(e.class(), &e),
                })
            }),
            "unparse_scopes" => unparse(call.input),
            "reduce_scopes" => scope_list(call.input).map(|scopes| {
                Outcome::plain(match reduce_scopes(&scopes) {
                    Ok(set) => set_json(&set),
                    Err(e) => error_object(e.class(), &e),
                })
            }),
            "_intersect_expanded_scopes" => self.intersect(call),
            "has_scope" => self.has_scope(call),
            "_check_scopes_exist" => self.check_exist(call.input),
            "_custom_scope_pattern.match" => str_input(call.input)
                .map(|name| Outcome::plain(Value::Bool(is_custom_scope_name(name)))),
            "define_custom_scopes" => self.define(call.input),
            "identify_scopes" => self
                .world
                .owner(call.owner)
                .map(|owner| Outcome::plain(set_json(&identify_scopes(owner)))),
            "access_scopes" => self.access(call.input),
            "check_scope_filter" => self.check_scope_filter(call.input),
            "needs_scope" => self.needs_scope(call.input),
            "describe_raw_scopes" => self.describe(call.input),
            _ => return None,
        };
        Some(result)
    }

    fn definitions(&self) -> Value {
        let mut out = Map::new();
        for definition in self.table.iter().filter(|d| !d.is_custom()) {
            out.insert(
                definition.name().to_owned(),
                Value::Object(definition.raw().clone()),
            );
        }
        Value::Object(out)
    }

    fn expand_scope(&self, input: &Value) -> Result<Outcome, RunError> {
        let scope = Scope::lenient(str_input(input)?);
        Ok(Outcome::plain(match self.table.expand_scope(&scope) {
            Ok(set) => set_json(&set),
            Err(e) => error_object(e.class(), &e),
        }))
    }

    fn expand_scopes(&self, call: &Call<'_>) -> Result<Outcome, RunError> {
        let scopes = scope_list(call.input)?;
        let owner = self.world.owner(call.owner)?;
        let client = self.world.client(call.oauth_client)?;
        Ok(match self.table.expand(&scopes, owner, client) {
            Ok(expansion) => Outcome::warned(set_json(&expansion.scopes), &expansion.warnings),
            Err(e) => Outcome::plain(error_object(e.class(), &e)),
        })
    }

    fn intersect(&self, call: &Call<'_>) -> Result<Outcome, RunError> {
        let (a, b) = match call.input.as_array().map(Vec::as_slice) {
            Some([a, b]) => (scope_set(a)?, scope_set(b)?),
            _ => return Err(RunError::bad_input("input must be [A, B]")),
        };
        Ok(match intersect(&a, &b, self.groups(call.db)) {
            Ok(result) => Outcome::warned(set_json(&result.scopes), &result.warnings),
            Err(e) => Outcome::plain(error_object(e.class(), &e)),
        })
    }

    fn has_scope(&self, call: &Call<'_>) -> Result<Outcome, RunError> {
        let required = field_str(call.input, "scope")?;
        let have = scope_list(field(call.input, "have_scopes")?)?;
        let post_filter = field(call.input, "post_filter")?.as_bool().unwrap_or(false);
        let parsed = match ParsedScopes::parse(&have) {
            Ok(parsed) => parsed,
            Err(e) => return Ok(Outcome::plain(error_object(e.class(), &e))),
        };
        Ok(Outcome::plain(
            match has_scope(required, &parsed, post_filter, self.groups(call.db)) {
                Ok(answer) => Value::Bool(answer),
                Err(e) => error_object(e.class(), &e),
            },
        ))
    }

    fn check_exist(&self, input: &Value) -> Result<Outcome, RunError> {
        let who_for = field(input, "who_for")?.as_str();
        let scopes: Vec<String> = match field(input, "scopes")? {
            // JupyterHub iterates a string given in place of a list, one character at a time.
            Value::String(text) => text.chars().map(String::from).collect(),
            other => strings(other)?,
        };
        Ok(Outcome::plain(
            match self
                .table
                .check_exist(scopes.iter().map(String::as_str), who_for)
            {
                Ok(()) => Value::Null,
                Err(e) => error_object(e.class(), &e),
            },
        ))
    }

    fn define(&mut self, input: &Value) -> Result<Outcome, RunError> {
        let definitions = input
            .as_object()
            .ok_or_else(|| RunError::bad_input("input must be an object of definitions"))?;
        Ok(match self.table.define_custom_scopes(definitions) {
            Ok(warnings) => Outcome::warned(Value::Null, &warnings),
            Err(e) => Outcome::plain(error_object(e.class(), &e)),
        })
    }

    fn access(&self, input: &Value) -> Result<Outcome, RunError> {
        let target = if let Some(descriptor) = input.get("oauth_client") {
            let client = self
                .world
                .client(descriptor)?
                .ok_or_else(|| RunError::bad_input("access_scopes needs a client"))?;
            AccessTarget::Client(client)
        } else if let Some(server) = input.get("spawner").and_then(Value::as_str) {
            let (user, server) = self.world.server(server)?;
            AccessTarget::Server { user, server }
        } else if let Some(service) = input.get("service").and_then(Value::as_str) {
            AccessTarget::Service(service)
        } else {
            return Err(RunError::bad_input(
                "input must have oauth_client, spawner or service",
            ));
        };
        Ok(Outcome::plain(set_json(&access_scopes(target))))
    }

    fn check_scope_filter(&self, input: &Value) -> Result<Outcome, RunError> {
        let have = scope_list(field(input, "have_scopes")?)?;
        let reference = field_str(input, "resource")?;
        let kind = field_str(input, "kind")?;
        let base = have
            .first()
            .map(|s| s.base().to_owned())
            .ok_or_else(|| RunError::bad_input("have_scopes is empty"))?;
        let parsed = match ParsedScopes::parse(&have) {
            Ok(parsed) => parsed,
            Err(e) => return Ok(Outcome::plain(error_object(e.class(), &e))),
        };
        let filters = parsed
            .get(&base)
            .ok_or_else(|| RunError::bad_input("have_scopes must share one base"))?;
        let mut groups = Vec::new();
        let resource = self.world.resource(reference, &mut groups)?;
        if resource.kind() != kind {
            return Err(RunError::bad_input(format!(
                "kind `{kind}` does not match resource `{reference}`"
            )));
        }
        Ok(Outcome::plain(Value::Bool(check_scope_filter(
            filters, &resource,
        ))))
    }

    fn needs_scope(&self, input: &Value) -> Result<Outcome, RunError> {
        let handler = field_str(input, "handler")?;
        let args: Vec<&Value> = field(input, "args")?
            .as_array()
            .ok_or_else(|| RunError::bad_input("args must be a list"))?
            .iter()
            .collect();
        let authenticated = field(input, "current_user")?
            .as_str()
            .is_some_and(|u| !u.is_empty());
        let have: ScopeSet = scope_list(field(input, "have_scopes")?)?
            .into_iter()
            .collect();
        let handler = StandIn::from_name(handler)?;
        let target = handler.target(&args)?;
        let requirement = Requirement {
            scopes: handler.scopes(),
            target,
            post_filter: handler.post_filter(),
        };
        // The stand-in handler parses its scopes when it is built, before any request.
        let parsed = match ParsedScopes::parse(&have) {
            Ok(parsed) => parsed,
            Err(e) => return Ok(Outcome::plain(error_object(e.class(), &e))),
        };
        let caller = authenticated.then_some(&parsed);
        Ok(Outcome::plain(
            match decide(&self.table, caller, &requirement, None) {
                Ok(decision) if decision.is_allowed() => json!({"status": 200, "result": "ok"}),
                Ok(decision) => json!({"status": decision.status, "message": decision.message}),
                Err(e) => error_object(e.class(), &e),
            },
        ))
    }

    fn describe(&self, input: &Value) -> Result<Outcome, RunError> {
        let raw = strings(field(input, "raw_scopes")?)?;
        let username = input.get("username").and_then(Value::as_str);
        Ok(Outcome::plain(
            match self
                .table
                .describe_raw(raw.iter().map(String::as_str), username)
            {
                Ok(descriptions) => serde_json::to_value(descriptions).unwrap_or_default(),
                Err(e) => error_object(e.class(), &e),
            },
        ))
    }
}

/// The stand-in handlers of FORMAT.md §5.31.
#[derive(Clone, Copy)]
enum StandIn {
    UserThing,
    ServerThing,
    GroupThing,
    ServiceThing,
    UnfilteredThing,
    ListThing,
    GetUser,
    UserShare,
}

impl StandIn {
    fn from_name(name: &str) -> Result<StandIn, RunError> {
        Ok(match name {
            "user_thing" => StandIn::UserThing,
            "server_thing" => StandIn::ServerThing,
            "group_thing" => StandIn::GroupThing,
            "service_thing" => StandIn::ServiceThing,
            "unfiltered_thing" => StandIn::UnfilteredThing,
            "list_thing" => StandIn::ListThing,
            "get_user" => StandIn::GetUser,
            "user_share" => StandIn::UserShare,
            other => {
                return Err(RunError::bad_input(format!(
                    "unknown stand-in handler `{other}`"
                )));
            }
        })
    }

    fn scopes(self) -> &'static [&'static str] {
        match self {
            StandIn::UserThing | StandIn::UnfilteredThing => &["users"],
            StandIn::ServerThing => &["servers"],
            StandIn::GroupThing => &["read:groups"],
            StandIn::ServiceThing => &["read:services"],
            StandIn::ListThing => &["list:users"],
            StandIn::GetUser => &[
                "read:users",
                "read:users:name",
                "read:servers",
                "read:users:groups",
                "read:users:activity",
                "read:roles:users",
            ],
            StandIn::UserShare => &["read:users:shares"],
        }
    }

    fn post_filter(self) -> bool {
        matches!(self, StandIn::ListThing)
    }

    /// The filter JupyterHub derives from the bound arguments' names: `user_name`,
    /// `server_name` (joined with the user, a defaulted `None` printed as `None`),
    /// `group_name`, `service_name`; other parameters play no part.
    fn target(self, args: &[&Value]) -> Result<Option<Target<'static>>, RunError> {
        let (min, max) = match self {
            StandIn::UnfilteredThing | StandIn::ListThing => (0, 0),
            StandIn::ServerThing => (1, 2),
            StandIn::UserShare => (3, 3),
            _ => (1, 1),
        };
        if args.len() < min || args.len() > max {
            return Err(RunError::bad_input(format!(
                "handler takes {min} to {max} arguments, got {}",
                args.len()
            )));
        }
        let arg = |i: usize| {
            args.get(i)
                .map_or_else(|| "None".to_owned(), |v| python_str(v))
        };
        let target = |kind: &'static str, value: String| Target {
            kind,
            value: value.into(),
        };
        Ok(match self {
            StandIn::UnfilteredThing | StandIn::ListThing => None,
            StandIn::UserThing | StandIn::GetUser | StandIn::UserShare => {
                Some(target("user", arg(0)))
            }
            StandIn::ServerThing => Some(target("server", format!("{}/{}", arg(0), arg(1)))),
            StandIn::GroupThing => Some(target("group", arg(0))),
            StandIn::ServiceThing => Some(target("service", arg(0))),
        })
    }
}

/// Python's `str()` of a JSON argument (as an f-string formats it).
fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        other => other.to_string(),
    }
}

fn unparse(input: &Value) -> Result<Outcome, RunError> {
    let object = input
        .as_object()
        .ok_or_else(|| RunError::bad_input("input must be a parse result"))?;
    let mut bases = Vec::new();
    for (base, filters) in object {
        bases.push((base.as_str(), filters_json(filters)?));
    }
    Ok(Outcome::plain(set_json(
        &ParsedScopes::from_parts(bases).unparse(),
    )))
}

pub(crate) fn field<'v>(input: &'v Value, key: &str) -> Result<&'v Value, RunError> {
    input
        .get(key)
        .ok_or_else(|| RunError::bad_input(format!("input has no `{key}`")))
}

pub(crate) fn field_str<'v>(input: &'v Value, key: &str) -> Result<&'v str, RunError> {
    field(input, key)?
        .as_str()
        .ok_or_else(|| RunError::bad_input(format!("input `{key}` must be a string")))
}

pub(crate) fn str_input(input: &Value) -> Result<&str, RunError> {
    input
        .as_str()
        .ok_or_else(|| RunError::bad_input("input must be a string"))
}

pub(crate) fn strings(value: &Value) -> Result<Vec<String>, RunError> {
    value
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect()
        })
        .ok_or_else(|| RunError::bad_input(format!("expected a list of strings, got {value}")))
}

/// A list of scope strings, in order.
pub(crate) fn scope_list(value: &Value) -> Result<Vec<Scope>, RunError> {
    Ok(strings(value)?.into_iter().map(Scope::lenient).collect())
}

pub(crate) fn scope_set(value: &Value) -> Result<ScopeSet, RunError> {
    Ok(scope_list(value)?.into_iter().collect())
}
