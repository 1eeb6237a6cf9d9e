//! Warnings: what JupyterHub reports with Python's `warnings.warn` while it goes on. hubcap
//! returns them as values beside the result (no global channel), and prints JupyterHub's text
//! so that logs and conformance vectors read the same.

use std::collections::BTreeSet;
use std::fmt;

use crate::expand::OwnedOwner;
use crate::pyrepr::{py_frozenset, py_str};
use crate::scope::Scope;

/// Something that went on with a result, but deserves a line in the log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
pub enum Warning {
    /// A bare filter had no owner or client to resolve to; the scope was dropped.
    NoFilterTarget {
        /// `user`, `server` or `service`.
        kind: String,
        /// The dropped scope.
        scope: Scope,
    },
    /// `self` was held by something that is not a user; it was dropped.
    SelfWithoutUser {
        /// The owner, or none.
        owner: Option<OwnedOwner>,
    },
    /// An intersection without group membership could not relate a group filter on one side
    /// to user or server filters on the other, so it may grant less than intended.
    GroupsNotResolved {
        /// The base scope.
        base: String,
        /// `user` or `server`: the kind on the side without the groups.
        kind: String,
        /// Its values.
        values: BTreeSet<String>,
        /// The group values on the other side.
        groups: BTreeSet<String>,
    },
    /// A custom scope definition had keys other than `description` and `subscopes`.
    UnrecognizedKeys {
        /// The scope name.
        scope: String,
        /// The extra keys.
        keys: Vec<String>,
        /// The definition, Python-rendered.
        definition: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::NoFilterTarget { kind, scope } => {
                write!(
                    f,
                    "Not expanding !{kind} filter without target {kind} in {scope}"
                )
            }
            Warning::SelfWithoutUser { owner } => {
                let owner = match owner {
                    None => "None",
                    Some(OwnedOwner::Service(_)) => "<jupyterhub.orm.Service object>",
                    Some(OwnedOwner::User(_)) => "<jupyterhub.orm.User object>",
                };
                write!(
                    f,
                    "Not expanding 'self' scope for owner {owner} which is not a User"
                )
            }
            Warning::GroupsNotResolved {
                base,
                kind,
                values,
                groups,
            } => write!(
                f,
                "{base}[!{kind}={}, !group={}] combinations of filters present, without db \
                 access. Intersection between not considered. May result in lower than intended \
                 permissions.",
                py_frozenset(values),
                py_frozenset(groups)
            ),
            Warning::UnrecognizedKeys {
                scope,
                keys,
                definition,
            } => write!(
                f,
                "Ignoring unrecognized key(s) {} in {scope}={definition}",
                py_str(&keys.join(", "))
            ),
        }
    }
}
