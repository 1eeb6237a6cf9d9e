//! Every error of the crate.
//!
//! Errors that JupyterHub also raises print JupyterHub's exact text (clients and scripts match
//! on it), and carry hubcap's extra help beside it: [`ScopeNotFound::help`] gives a
//! did-you-mean. [`ErrorClass`] names the Python exception class JupyterHub raises, so the
//! conformance runner and the hub can map each error onto JupyterHub's behaviour. Errors that
//! only hubcap raises ([`ScopeSyntaxError`]) follow hubcap's own style: lower case, the input in
//! backticks, what would be right.

use std::fmt;

use thiserror::Error;

/// The Python exception class JupyterHub raises for the same failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ErrorClass {
    /// `KeyError`
    KeyError,
    /// `ValueError`
    ValueError,
    /// `jupyterhub.scopes.ScopeNotFound` (a `KeyError`)
    ScopeNotFound,
}

impl ErrorClass {
    /// The class name as Python prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::KeyError => "KeyError",
            ErrorClass::ValueError => "ValueError",
            ErrorClass::ScopeNotFound => "ScopeNotFound",
        }
    }
}

/// A scope string that hubcap's strict grammar ([`crate::Scope::parse`]) rejects.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("invalid scope `{scope}`: {problem}")]
pub struct ScopeSyntaxError {
    /// The rejected input.
    pub scope: String,
    /// What is wrong with it.
    pub problem: SyntaxProblem,
}

/// What is wrong with a scope string.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SyntaxProblem {
    /// The string is empty.
    #[error("the scope is empty: write a scope name such as `read:users`")]
    Empty,
    /// Nothing before the `!`.
    #[error("there is no scope name before `!`: write e.g. `read:users!user=NAME`")]
    EmptyBase,
    /// A character that no scope name contains.
    #[error(
        "`{character}` at byte {offset} cannot appear in a scope name: names use lowercase \
         ascii letters, digits and `_:*()-`"
    )]
    BadBaseCharacter {
        /// The offending character.
        character: char,
        /// Its byte offset.
        offset: usize,
    },
    /// A `!` with nothing after it.
    #[error(
        "there is nothing after `!`: remove it, or filter with `!user`, `!server`, `!service` \
         or `!KIND=VALUE`"
    )]
    EmptyFilter,
    /// A filter kind other than user, server, group, service.
    #[error("unknown filter `!{kind}`: filters are `user`, `server`, `group` and `service`{}",
        .suggestion.as_deref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownFilterKind {
        /// The kind as written.
        kind: String,
        /// The nearest known kind.
        suggestion: Option<String>,
    },
    /// `!group` without a value: there is no owner group to resolve it to.
    #[error("`!group` needs a group name: write `!group=NAME`")]
    BareGroup,
    /// `!kind=` with nothing after `=`.
    #[error(
        "the filter has an empty {kind} name after `=`: write `!{kind}=NAME`, or `!{kind}` for the owner's own"
    )]
    EmptyValue {
        /// The filter kind.
        kind: String,
    },
}

/// JupyterHub's `ScopeNotFound`, raised by the existence check on role, token, share and
/// OAuth scopes ([`crate::ScopeTable::check_exist`]).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ScopeNotFound {
    /// The old draft name `all`.
    #[error("Draft scope 'all' is now called 'inherit'")]
    DraftAll,
    /// The base scope is not in the table.
    #[error("Scope '{scope}' {} does not exist", for_text(.who_for))]
    Scope {
        /// The whole scope as given.
        scope: String,
        /// What the scope was for (`role NAME`, `token`, `share`), if known.
        who_for: Option<String>,
        /// The nearest scope name in the table.
        suggestion: Option<String>,
    },
    /// The base exists but the filter is not one JupyterHub knows.
    #[error("Scope filter {filter} '!{filter}' in scope '{scope}' {} does not exist", for_text(.who_for))]
    Filter {
        /// The whole scope as given.
        scope: String,
        /// The filter text after `!`.
        filter: String,
        /// What the scope was for, if known.
        who_for: Option<String>,
        /// The nearest valid filter.
        suggestion: Option<String>,
    },
}

/// JupyterHub's `log_for`: `for WHO` or nothing, which leaves a double space in the message.
fn for_text(who_for: &Option<String>) -> String {
    match who_for {
        Some(who) if !who.is_empty() => format!("for {who}"),
        _ => String::new(),
    }
}

impl ScopeNotFound {
    /// hubcap's help beside JupyterHub's message: the fix, with a did-you-mean when one is
    /// close enough.
    pub fn help(&self) -> Option<String> {
        match self {
            ScopeNotFound::DraftAll => Some("use `inherit`".to_owned()),
            ScopeNotFound::Scope { suggestion, .. } => {
                suggestion.as_ref().map(|s| format!("did you mean `{s}`?"))
            }
            ScopeNotFound::Filter { suggestion, .. } => Some(match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None => "filters are `!user`, `!server`, `!service` and `!KIND=VALUE` with KIND one of user, server, group, service".to_owned(),
            }),
        }
    }
}

/// A scope whose name is not in the table, where JupyterHub raises a bare `KeyError(name)`
/// (`_expand_scope`, `describe_raw_scopes`). Prints the name, like Python's `args[0]`.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{name}")]
pub struct UnknownScope {
    /// The unknown scope name (the part before `!`).
    pub name: String,
}

/// A scope that cannot be parsed into JupyterHub's parsed form (`parse_scopes`).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("Empty string is not a valid filter: {scope}")]
pub struct ParseError {
    /// The offending scope: a filter without a value (`!user`) or with an empty one.
    pub scope: String,
}

/// A required scope that `has_scope` cannot check.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CheckError {
    /// The required scope has a bare filter (`read:users!user`).
    #[error("Unexpanded scope filter {scope} not allowed. Use expanded scopes.")]
    Unexpanded {
        /// The required scope.
        scope: String,
    },
    /// `post_filter` was asked for a filtered required scope.
    #[error("post_filter=True only allowed for unfiltered scopes")]
    PostFilterOnFiltered,
}

/// A custom scope definition that [`crate::ScopeTable::define_custom_scopes`] refuses.
/// Messages are JupyterHub's, with the definitions rendered as Python would.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CustomScopeError {
    /// The name is taken by a different definition.
    #[error("Cannot redefine scope {name}={definition}. Already have {name}={existing}")]
    Redefined {
        /// The scope name.
        name: String,
        /// The new definition, Python-rendered.
        definition: String,
        /// The existing definition, Python-rendered.
        existing: String,
    },
    /// The name does not match `custom:...`.
    #[error(
        "Invalid scope name: {name_repr}.\n{}{}",
        crate::custom::NAME_RULES,
        " and contain only lowercase ascii letters, numbers, hyphen, underscore, colon, and asterisk. \
          The part after `custom:` must start with a letter or number. Scopes may not end with a hyphen or colon."
    )]
    InvalidName {
        /// The name, Python-`repr`ed.
        name_repr: String,
    },
    /// No `description`.
    #[error("scope {name}={definition} missing key 'description'")]
    MissingDescription {
        /// The scope name.
        name: String,
        /// The definition, Python-rendered.
        definition: String,
    },
    /// `subscopes` is not a list of strings.
    #[error("subscopes must be a list of scope strings, got {subscopes}")]
    SubscopesNotList {
        /// The value given, Python-rendered.
        subscopes: String,
    },
    /// A subscope that is a built-in (or earlier) scope rather than a custom scope defined in
    /// the same call.
    #[error(
        "non-custom subscope {subscope} in {name}={definition} is not allowed. Custom scopes may \
         only have custom subscopes. Roles should be used to assign multiple scopes together."
    )]
    NonCustomSubscope {
        /// The subscope.
        subscope: String,
        /// The scope being defined.
        name: String,
        /// Its definition, Python-rendered.
        definition: String,
    },
    /// A subscope defined nowhere.
    #[error("subscope {subscope} in {name}={definition} not found. All scopes must be defined.")]
    UnknownSubscope {
        /// The subscope.
        subscope: String,
        /// The scope being defined.
        name: String,
        /// Its definition, Python-rendered.
        definition: String,
    },
}

/// Something a [`crate::Decision`] could not be computed for: the request itself is malformed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DecisionError {
    /// A required scope is not in the table (JupyterHub checks this when it decorates a handler).
    #[error("Scope {scope} is not a valid scope")]
    InvalidRequiredScope {
        /// The required scope.
        scope: String,
    },
    /// A required scope could not be checked.
    #[error(transparent)]
    Check(#[from] CheckError),
}

macro_rules! class {
    ($ty:ty, $class:expr) => {
        impl $ty {
            /// The Python exception class JupyterHub raises for this error.
            pub fn class(&self) -> ErrorClass {
                $class
            }
        }
    };
}

class!(ScopeNotFound, ErrorClass::ScopeNotFound);
class!(UnknownScope, ErrorClass::KeyError);
class!(ParseError, ErrorClass::ValueError);
class!(CheckError, ErrorClass::ValueError);
class!(CustomScopeError, ErrorClass::ValueError);
class!(DecisionError, ErrorClass::ValueError);

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
