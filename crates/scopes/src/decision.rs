//! The access decision of one request (JupyterHub's `needs_scope`), and the explanation that
//! JupyterHub does not give: which held scope allowed it, or what was required, what the
//! caller holds of it that did not match, and what would fix it.

use std::borrow::Cow;

use arrayvec::ArrayVec;

use crate::access::{Grant, check_need, held_of};
use crate::base_id::BaseId;
use crate::error::{CheckError, DecisionError};
use crate::membership::GroupMembership;
use crate::need::Need;
use crate::parsed::{Filters, ParsedScopes};
use crate::scope::Scope;
use crate::table::ScopeTable;

/// JupyterHub's message for a request without valid credentials.
pub const MISSING_CREDENTIALS: &str = "Missing or invalid credentials.";

/// JupyterHub's message when the caller holds a required scope for other resources only:
/// the same answer as for a resource that does not exist, so that nothing leaks.
pub const NOT_FOUND: &str = "No access to resources or resources not found";

/// The resource a request is about, named the way a filter names it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Target<'a> {
    /// `user`, `server`, `group` or `service`.
    pub kind: &'a str,
    /// The resource name; for a server, `user/server`.
    pub value: Cow<'a, str>,
}

impl<'a> Target<'a> {
    /// A user.
    pub fn user(name: &'a str) -> Target<'a> {
        Target {
            kind: "user",
            value: Cow::Borrowed(name),
        }
    }

    /// A user's server (`""` is the default server).
    pub fn server(user: &str, server: &str) -> Target<'a> {
        Target {
            kind: "server",
            value: Cow::Owned(format!("{user}/{server}")),
        }
    }

    /// A group.
    pub fn group(name: &'a str) -> Target<'a> {
        Target {
            kind: "group",
            value: Cow::Borrowed(name),
        }
    }

    /// A service.
    pub fn service(name: &'a str) -> Target<'a> {
        Target {
            kind: "service",
            value: Cow::Borrowed(name),
        }
    }
}

/// What an endpoint requires: any one of `scopes`, on `target` if there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement<'a> {
    /// The scopes that each allow the request, in the order JupyterHub lists them.
    pub scopes: &'a [&'a str],
    /// The resource named in the request path, if any.
    pub target: Option<Target<'a>>,
    /// Whether the handler filters its results itself (list endpoints): then holding a
    /// required scope with any filter passes.
    pub post_filter: bool,
}

/// The outcome of a request's access check.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Decision {
    /// 200 when allowed, 403 or 404 when not, as JupyterHub answers.
    pub status: u16,
    /// JupyterHub's exact message on denial.
    pub message: Option<String>,
    /// Why.
    pub explanation: Explanation,
}

impl Decision {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.status == 200
    }
}

/// Why a request is allowed or denied.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Explanation {
    /// Allowed.
    Allowed {
        /// The required scope that was satisfied, with the request's filter.
        required: Scope,
        /// How the caller's scopes satisfied it.
        grant: Grant,
    },
    /// No authenticated caller.
    Unauthenticated {
        /// What to do.
        fix: String,
    },
    /// Denied.
    Denied {
        /// Each scope that would have allowed the request, with the request's filter.
        required: Vec<Scope>,
        /// What the caller holds of those base scopes, for other resources.
        held_for_other_resources: Vec<Scope>,
        /// The smallest change that would allow the request.
        fix: Fix,
    },
}

/// The smallest change that would allow a denied request.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Fix {
    /// The narrowest scope to add: the first required scope, limited to the target.
    pub add: Scope,
    /// Broader scopes that would also do (they include the required one), first the other
    /// required alternatives, then the required scope's ancestors in the table.
    pub or_any_of: Vec<Scope>,
    /// The same in one sentence.
    pub text: String,
}

/// Decides a request the way JupyterHub's `needs_scope` does.
///
/// `caller` is `None` when the request carries no valid credentials (403, "Missing or
/// invalid credentials."). Otherwise the required scopes are tried in order, each with the
/// target's filter; the first one held allows the request. When none is held, the answer is
/// 404 if the caller holds one of the required bases for some other resource (so that a
/// denial does not reveal whether the resource exists), else 403 listing the alternatives.
pub fn decide<'a>(
    table: &ScopeTable,
    caller: Option<&ParsedScopes>,
    requirement: &'a Requirement<'a>,
    groups: Option<&dyn GroupMembership>,
) -> Result<Decision, DecisionError> {
    // The ids of the required bases, found once for the check and both passes below (the
    // first eight are kept; requirements are short). Looking them up again costs
    // `needs_scope` 6-10%.
    let mut ids: ArrayVec<BaseId, 8> = ArrayVec::new();
    for scope in requirement.scopes {
        let id = BaseId::of(scope);
        if !id.is_builtin() && !table.contains(scope) {
            return Err(DecisionError::InvalidRequiredScope {
                scope: (*scope).to_owned(),
            });
        }
        let _ = ids.try_push(id);
    }
    let Some(have) = caller else {
        return Ok(Decision {
            status: 403,
            message: Some(MISSING_CREDENTIALS.to_owned()),
            explanation: Explanation::Unauthenticated {
                fix: "send a valid token (`Authorization: token TOKEN`) or log in".to_owned(),
            },
        });
    };
    // Each alternative in order, with the target's filter, checked in parts: the filtered
    // scope is only written out for the answer.
    let needs = || {
        requirement.scopes.iter().enumerate().map(|(i, scope)| {
            let id = ids.get(i).copied().unwrap_or_else(|| BaseId::of(scope));
            match &requirement.target {
                Some(target) => Need::on_id(scope, id, target.kind, &target.value),
                None => Need::on_id(scope, id, "", ""),
            }
        })
    };
    if let (Some(target), Some(first)) = (&requirement.target, requirement.scopes.first()) {
        if target.value.is_empty() {
            // As JupyterHub's `has_scope` on `scope!kind=`: an unexpanded filter.
            return Err(CheckError::Unexpanded {
                scope: format!("{first}!{}=", target.kind),
            }
            .into());
        }
    }
    for need in needs() {
        if let Some(grant) = check_need(&need, have, requirement.post_filter, groups)? {
            let required = match &grant {
                Grant::Exact { held } => held.clone(),
                _ => need.to_scope(),
            };
            return Ok(Decision {
                status: 200,
                message: None,
                explanation: Explanation::Allowed { required, grant },
            });
        }
    }

    let mut buffer = String::new();
    // The target's filter text, written once for every scope of the explanation.
    let filter = requirement
        .target
        .as_ref()
        .map(|target| [target.kind, "=", &target.value].concat());
    let mut required: Vec<Scope> = Vec::with_capacity(requirement.scopes.len());
    let mut held_for_other_resources: Vec<Scope> = Vec::with_capacity(2 * requirement.scopes.len());
    let mut any_held = false;
    for need in needs() {
        match &filter {
            Some(filter) => {
                Scope::push_with_filter(&mut required, &mut buffer, need.base, need.id, &[filter])
            }
            None => required.push(Scope::lenient(need.base)),
        }
        match held_of(&need, have) {
            Some(Filters::Some(values)) => {
                held_for_other_resources.extend_from_slice(values.scopes());
                any_held = true;
            }
            Some(Filters::All) => {
                held_for_other_resources.push(Scope::lenient(need.base_name()));
                any_held = true;
            }
            None => {}
        }
    }
    let (status, message) = if requirement.target.is_some() && any_held {
        (404, NOT_FOUND.to_owned())
    } else {
        (403, not_authorized(requirement.scopes))
    };
    held_for_other_resources.sort_unstable();
    held_for_other_resources.dedup();
    let fix = fix_for(
        table,
        requirement,
        filter.as_deref(),
        &required,
        &mut buffer,
    );
    Ok(Decision {
        status,
        message: Some(message),
        explanation: Explanation::Denied {
            required,
            held_for_other_resources,
            fix,
        },
    })
}

/// JupyterHub's 403 message listing the alternatives.
fn not_authorized(scopes: &[&str]) -> String {
    const HEAD: &str = "Action is not authorized with current scopes; requires any of [";
    let mut message =
        String::with_capacity(HEAD.len() + 1 + scopes.iter().map(|s| s.len() + 2).sum::<usize>());
    message.push_str(HEAD);
    for (i, scope) in scopes.iter().enumerate() {
        if i > 0 {
            message.push_str(", ");
        }
        message.push_str(scope);
    }
    message.push(']');
    message
}

fn fix_for(
    table: &ScopeTable,
    requirement: &Requirement<'_>,
    filter: Option<&str>,
    required: &[Scope],
    buffer: &mut String,
) -> Fix {
    let add = required
        .first()
        .cloned()
        .unwrap_or_else(|| Scope::lenient(""));
    let mut or_any_of: Vec<Scope> = Vec::with_capacity(required.len() + 4);
    or_any_of.extend_from_slice(required.get(1..).unwrap_or_default());
    // The first required scope names the base whose broader scopes also grant it.
    for ancestor in required
        .first()
        .into_iter()
        .flat_map(|first| table.ancestor_scopes(first))
    {
        let at = or_any_of.len();
        match filter {
            Some(filter) => Scope::push_with_filter(
                &mut or_any_of,
                buffer,
                ancestor.as_str(),
                ancestor.base_id(),
                &[filter],
            ),
            None => or_any_of.extend_from_slice(std::slice::from_ref(ancestor)),
        }
        // Keep it only if it is new.
        if let Some((added, before)) = or_any_of.split_last() {
            if before.get(..at).unwrap_or_default().contains(added) {
                or_any_of.pop();
            }
        }
    }
    let mut text = String::with_capacity(
        160 + or_any_of
            .iter()
            .map(|s| s.as_str().len() + 4)
            .sum::<usize>(),
    );
    text.push_str("add `");
    text.push_str(add.as_str());
    text.push_str("` to a role of the caller (or to the token's scopes)");
    for (i, scope) in or_any_of.iter().enumerate() {
        text.push_str(if i == 0 { "; any of `" } else { "`, `" });
        text.push_str(scope.as_str());
    }
    if !or_any_of.is_empty() {
        text.push_str("` would also do");
    }
    if requirement.post_filter {
        text.push_str("; with a filter, the list shows only the resources it names");
    }
    Fix {
        add,
        or_any_of,
        text,
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::scope::Scope;

    fn have(scopes: &[&str]) -> ParsedScopes {
        let scopes: Vec<Scope> = scopes.iter().map(|s| Scope::lenient(*s)).collect();
        ParsedScopes::parse(&scopes).unwrap()
    }

    fn decide_on(have_scopes: &[&str], required: &[&str], target: Option<Target<'_>>) -> Decision {
        let table = ScopeTable::jupyterhub();
        let requirement = Requirement {
            scopes: required,
            target,
            post_filter: false,
        };
        decide(&table, Some(&have(have_scopes)), &requirement, None).unwrap()
    }

    #[test]
    fn long_requirements_are_checked_to_the_end() {
        // More alternatives than `decide` keeps ids for: the last ones are looked up as they
        // come, and an unknown one anywhere is still an error.
        let mut required = vec![
            "delete:users",
            "delete:groups",
            "delete:servers",
            "admin:users",
            "admin:groups",
            "admin:servers",
            "admin:services",
            "admin:auth_state",
            "shutdown",
            "read:users",
        ];
        let target = || Some(Target::user("alice"));
        let d = decide_on(&["read:users!user=alice"], &required, target());
        assert!(d.is_allowed());
        let d = decide_on(&["read:users!user=bob"], &required, target());
        assert_eq!(d.status, 404);
        let Explanation::Denied {
            required: listed, ..
        } = &d.explanation
        else {
            unreachable!()
        };
        assert_eq!(listed.len(), 10);
        assert_eq!(listed[9].as_str(), "read:users!user=alice");
        required.push("read:user");
        let requirement = Requirement {
            scopes: &required,
            target: target(),
            post_filter: false,
        };
        let error = decide(&ScopeTable::jupyterhub(), None, &requirement, None).unwrap_err();
        assert_eq!(error.to_string(), "Scope read:user is not a valid scope");
    }

    #[test]
    fn allowed_names_the_granting_scope() {
        let d = decide_on(
            &["servers!user=alice"],
            &["delete:servers", "servers"],
            Some(Target::server("alice", "")),
        );
        assert!(d.is_allowed());
        let Explanation::Allowed { required, grant } = d.explanation else {
            unreachable!()
        };
        assert_eq!(required, "servers!server=alice/");
        assert_eq!(grant.held(), "servers!user=alice");
    }

    #[test]
    fn held_for_others_is_a_404() {
        let d = decide_on(
            &["delete:servers!user=bob"],
            &["delete:servers"],
            Some(Target::server("alice", "")),
        );
        assert_eq!((d.status, d.message.as_deref()), (404, Some(NOT_FOUND)));
        let Explanation::Denied {
            held_for_other_resources,
            fix,
            ..
        } = d.explanation
        else {
            unreachable!()
        };
        assert_eq!(held_for_other_resources, ["delete:servers!user=bob"]);
        assert_eq!(fix.add, "delete:servers!server=alice/");
        assert_eq!(
            fix.or_any_of,
            ["admin:servers!server=alice/", "servers!server=alice/"]
        );
    }

    #[test]
    fn not_held_at_all_is_a_403_listing_alternatives() {
        let d = decide_on(
            &["read:users"],
            &["delete:servers"],
            Some(Target::server("alice", "")),
        );
        assert_eq!(d.status, 403);
        assert_eq!(
            d.message.as_deref(),
            Some("Action is not authorized with current scopes; requires any of [delete:servers]")
        );
    }

    #[test]
    fn no_caller_is_missing_credentials() {
        let table = ScopeTable::jupyterhub();
        let requirement = Requirement {
            scopes: &["users"],
            target: None,
            post_filter: false,
        };
        let d = decide(&table, None, &requirement, None).unwrap();
        assert_eq!(
            (d.status, d.message.as_deref()),
            (403, Some(MISSING_CREDENTIALS))
        );
    }

    #[test]
    fn unknown_required_scope_is_an_error() {
        let table = ScopeTable::jupyterhub();
        let requirement = Requirement {
            scopes: &["nope"],
            target: None,
            post_filter: false,
        };
        let err = decide(&table, Some(&have(&[])), &requirement, None).unwrap_err();
        assert_eq!(err.to_string(), "Scope nope is not a valid scope");
    }
}
