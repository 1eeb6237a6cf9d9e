//! `parse`: arbitrary bytes, decoded as UTF-8 (invalid sequences become U+FFFD, so every input
//! is tried), as one scope string.
//!
//! Checks that nothing panics, and that:
//! - [`Scope::lenient`] round-trips exactly (`as_str() == input`), and its parts rebuild the
//!   text: with a `!`, `base + "!" + filter_text == text`; without, `base == text`; `filter()`
//!   is `None` exactly when `filter_text` is empty, and otherwise rebuilds `filter_text` from
//!   kind (and `=` value);
//! - whenever [`Scope::parse`] (strict) accepts, its result equals the lenient one (text, base,
//!   filter), re-parsing `as_str()` strictly gives the same scope, `FromStr` agrees, and the
//!   result obeys the documented grammar (non-empty base of `[a-z0-9_:*()-]`, a known filter
//!   kind, no bare `!group`, no empty value); and when the table also has the base,
//!   JupyterHub's existence check accepts it (strict is narrower than `_check_scopes_exist`);
//! - a strict rejection's error names the input and prints;
//! - [`ScopeTable::check_exist`] (one scope, and the input split into lines as a list) and
//!   [`ScopeTable::describe_raw`] never panic, and `describe_raw` of one scope fails exactly
//!   when the table lacks its base; errors print and `help()` never panics;
//! - [`is_custom_scope_name`] never panics (did-you-mean runs inside `check_exist`).
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use scopes::{FilterKind, Scope, ScopeTable, is_custom_scope_name};

static TABLE: LazyLock<ScopeTable> = LazyLock::new(ScopeTable::jupyterhub);

fn is_base_char(c: char) -> bool {
    matches!(c, 'a'..='z' | '0'..='9' | '_' | ':' | '*' | '(' | ')' | '-')
}

/// The parts of `scope` rebuild `text`.
fn check_parts(scope: &Scope, text: &str) {
    assert_eq!(scope.as_str(), text);
    assert_eq!(scope.to_string(), text);
    match text.split_once('!') {
        Some((base, filter_text)) => {
            assert_eq!(scope.base(), base);
            assert_eq!(scope.filter_text(), filter_text);
            assert_eq!(format!("{}!{}", scope.base(), scope.filter_text()), text);
        }
        None => {
            assert_eq!(scope.base(), text);
            assert_eq!(scope.filter_text(), "");
        }
    }
    match scope.filter() {
        None => assert!(scope.filter_text().is_empty(), "{text:?}"),
        Some(filter) => {
            assert!(!filter.text.is_empty());
            assert_eq!(filter.text, scope.filter_text());
            let kind = filter.kind.as_str();
            assert_eq!(FilterKind::from_text(kind), filter.kind);
            match filter.value {
                Some(value) => {
                    assert!(!kind.contains('='));
                    assert_eq!(format!("{kind}={value}"), filter.text);
                }
                None => {
                    assert!(!filter.text.contains('='));
                    assert_eq!(kind, filter.text);
                    assert!(filter.is_bare());
                }
            }
        }
    }
    assert_eq!(scope.is_filtered(), scope.filter().is_some());
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text: &str = &text;

    let lenient = Scope::lenient(text);
    check_parts(&lenient, text);

    let strict = Scope::parse(text);
    assert_eq!(text.parse::<Scope>(), strict.clone());
    match &strict {
        Ok(scope) => {
            assert_eq!(scope, &lenient);
            check_parts(scope, text);
            assert_eq!(scope.base(), lenient.base());
            assert_eq!(scope.filter(), lenient.filter());
            let again = Scope::parse(scope.as_str());
            assert_eq!(again.as_ref(), Ok(scope));

            // The documented grammar.
            assert!(!scope.base().is_empty());
            assert!(scope.base().chars().all(is_base_char), "{text:?}");
            match scope.filter() {
                None => assert!(!text.contains('!'), "strict accepted a trailing `!`: {text:?}"),
                Some(filter) => {
                    assert!(!matches!(filter.kind, FilterKind::Other(_)), "{text:?}");
                    match filter.value {
                        Some(value) => assert!(!value.is_empty(), "{text:?}"),
                        None => assert_ne!(filter.kind, FilterKind::Group, "{text:?}"),
                    }
                }
            }
            // Strict input with a known base passes JupyterHub's existence check.
            if TABLE.contains(scope.base()) {
                assert_eq!(TABLE.check_exist([text], Some("role x")), Ok(()), "{text:?}");
            }
        }
        Err(error) => {
            assert_eq!(error.scope, text);
            let _ = error.to_string();
        }
    }

    // Existence check: one scope, then the lines as a list.
    if let Err(error) = TABLE.check_exist([text], Some("role x")) {
        let _ = error.to_string();
        let _ = error.help();
    }
    let multiline = text.contains('\n');
    if multiline {
        if let Err(error) = TABLE.check_exist(text.split('\n'), None) {
            let _ = error.to_string();
            let _ = error.help();
        }
    }

    // Descriptions.
    match TABLE.describe_raw([text], Some("alice")) {
        Ok(described) => {
            assert!(TABLE.contains(lenient.base()));
            assert_eq!(described.len(), 1);
            assert!(described.iter().all(|d| d.scope == lenient.base()));
        }
        Err(error) => {
            assert!(!TABLE.contains(lenient.base()));
            assert_eq!(error.name, lenient.base());
        }
    }
    if multiline {
        if let Ok(described) = TABLE.describe_raw(text.split('\n'), None) {
            assert_eq!(described.len(), text.split('\n').count());
        }
    }

    // (check_exist already ran did_you_mean over the table's names for an unknown base.)
    let _ = is_custom_scope_name(text);
});
