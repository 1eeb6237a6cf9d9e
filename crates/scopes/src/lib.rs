#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod access;
mod base_id;
mod builtins;
mod bytes;
mod custom;
mod decision;
mod describe;
mod error;
mod exists;
mod expand;
mod identify;
mod intersect;
mod membership;
mod need;
mod parsed;
mod pyrepr;
mod scope;
mod set;
mod suggest;
mod table;
mod warning;

pub use access::{Grant, Resource, check, check_need, check_scope_filter, has_need, has_scope};
pub use custom::is_custom_scope_name;
pub use decision::{
    Decision, Explanation, Fix, MISSING_CREDENTIALS, NOT_FOUND, Requirement, Target, decide,
};
pub use describe::Description;
pub use error::{
    CheckError, CustomScopeError, DecisionError, ErrorClass, ParseError, ScopeNotFound,
    ScopeSyntaxError, SyntaxProblem, UnknownScope,
};
pub use expand::{ClientTarget, ExpandError, Expansion, OAuthClient, OwnedOwner, Owner};
pub use identify::{AccessTarget, access_scopes, identify_scopes};
pub use intersect::{Intersection, intersect, intersect_parsed, intersect_strs};
pub use membership::GroupMembership;
pub use need::Need;
pub use parsed::{FilterValues, Filters, ParsedScopes, reduce_scopes};
pub use pyrepr::{py_float, py_str, py_truthy, py_type_name, py_value};
pub use scope::{Filter, FilterKind, Scope};
pub use set::ScopeSet;
pub use suggest::{did_you_mean, edit_distance};
pub use table::{ScopeDefinition, ScopeTable};
pub use warning::Warning;

/// The workspace README's Rust examples, compiled and run as doctests so it stays true.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct WorkspaceReadme;
