//! The existence check that JupyterHub runs on every scope a person writes: in a role, a
//! token request, a share, an OAuth request (`_check_scopes_exist`). It accepts exactly what
//! JupyterHub accepts, and beside JupyterHub's message offers a did-you-mean.

use crate::error::ScopeNotFound;
use crate::scope::{FilterKind, Scope};
use crate::suggest::did_you_mean;
use crate::table::ScopeTable;

/// Filters accepted without a value.
const BARE_FILTERS: [&str; 3] = ["user", "service", "server"];
/// Filters accepted with `=` and any value, even an empty one.
const VALUE_FILTERS: [&str; 4] = ["user=", "service=", "group=", "server="];

impl ScopeTable {
    /// Checks that every scope's base is in the table and its filter (if any) is one of
    /// `!user`, `!service`, `!server` or `!KIND=VALUE` with KIND one of user, service, group,
    /// server. Stops at the first offender. `who_for` (e.g. `role teachers`, `token`) goes
    /// into the message as JupyterHub puts it there.
    pub fn check_exist<'s>(
        &self,
        scopes: impl IntoIterator<Item = &'s str>,
        who_for: Option<&str>,
    ) -> Result<(), ScopeNotFound> {
        for scope in scopes {
            self.check_one(scope, who_for)?;
        }
        Ok(())
    }

    fn check_one(&self, text: &str, who_for: Option<&str>) -> Result<(), ScopeNotFound> {
        let scope = Scope::lenient(text);
        let base = scope.base();
        if !self.contains(base) {
            if base == "all" {
                return Err(ScopeNotFound::DraftAll);
            }
            let suggestion = did_you_mean(base, self.names()).map(|name| match scope.filter() {
                Some(_) => format!("{name}!{}", scope.filter_text()),
                None => name.to_owned(),
            });
            return Err(ScopeNotFound::Scope {
                scope: text.to_owned(),
                who_for: who_for.map(str::to_owned),
                suggestion,
            });
        }
        let filter = scope.filter_text();
        if filter.is_empty()
            || BARE_FILTERS.contains(&filter)
            || VALUE_FILTERS
                .iter()
                .any(|prefix| filter.starts_with(prefix))
        {
            return Ok(());
        }
        Err(ScopeNotFound::Filter {
            scope: text.to_owned(),
            filter: filter.to_owned(),
            who_for: who_for.map(str::to_owned),
            suggestion: suggest_filter(base, filter),
        })
    }
}

/// The nearest valid filter for a misspelled one: `goup=x` → `!group=x`, `group` → a hint
/// that a group needs a name.
fn suggest_filter(base: &str, filter: &str) -> Option<String> {
    let (kind, value) = match filter.split_once('=') {
        Some((kind, value)) => (kind, Some(value)),
        None => (filter, None),
    };
    if kind == "group" && value.is_none() {
        return Some(format!("{base}!group=NAME"));
    }
    let known = FilterKind::KNOWN.map(|k| k.as_str());
    let kind = did_you_mean(kind, known.iter().copied())?;
    Some(match value {
        Some(value) => format!("{base}!{kind}={value}"),
        None if kind == "group" => format!("{base}!group=NAME"),
        None => format!("{base}!{kind}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(scopes: &[&str], who_for: Option<&str>) -> Result<(), ScopeNotFound> {
        ScopeTable::jupyterhub().check_exist(scopes.iter().copied(), who_for)
    }

    fn message(scopes: &[&str], who_for: Option<&str>) -> (String, Option<String>) {
        match check(scopes, who_for) {
            Ok(()) => (String::new(), None),
            Err(e) => (e.to_string(), e.help()),
        }
    }

    #[test]
    fn accepts_what_jupyterhub_accepts() {
        for scope in [
            "self",
            "inherit",
            "(no_scope)",
            "read:users!user",
            "read:users!user=",
            "servers!server=alice/x",
            "read:groups!group=g",
            "read:users!",
        ] {
            assert_eq!(check(&[scope], None), Ok(()), "{scope}");
        }
    }

    #[test]
    fn messages_are_jupyterhubs_with_help_beside() {
        assert_eq!(
            message(&["read:user"], Some("role r")),
            (
                "Scope 'read:user' for role r does not exist".to_owned(),
                Some("did you mean `read:users`?".to_owned())
            )
        );
        assert_eq!(message(&["nope"], None).0, "Scope 'nope'  does not exist");
        assert_eq!(
            message(&["all"], None).0,
            "Draft scope 'all' is now called 'inherit'"
        );
        assert_eq!(
            message(&["groups!goup=class-A"], Some("role test-scopes-4")),
            (
                "Scope filter goup=class-A '!goup=class-A' in scope 'groups!goup=class-A' for role test-scopes-4 does not exist".to_owned(),
                Some("did you mean `groups!group=class-A`?".to_owned())
            )
        );
        assert_eq!(
            message(&["read:groups!group"], None).1.as_deref(),
            Some("did you mean `read:groups!group=NAME`?")
        );
    }

    #[test]
    fn a_string_is_checked_character_by_character_by_the_caller() {
        // JupyterHub iterates a string given instead of a list; the caller reproduces that by
        // passing the characters, and the first one fails.
        let chars: Vec<String> = "inherit".chars().map(String::from).collect();
        let err = ScopeTable::jupyterhub()
            .check_exist(chars.iter().map(String::as_str), Some("role server"))
            .unwrap_err();
        assert_eq!(err.to_string(), "Scope 'i' for role server does not exist");
    }
}
