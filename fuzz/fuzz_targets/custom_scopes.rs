//! `custom_scopes`: custom scope definitions (`JupyterHub.custom_scopes`) built from the
//! bytes — the input itself when it is a JSON object, otherwise a `serde_json::Map` generated
//! from it: names valid and invalid (`custom:abc`, `custom:ab`, `custom:abc\n`, `read:users`,
//! arbitrary), definitions that are objects or not, with or without a `description`, with
//! `subscopes` that are lists of names (defined in the same call or not, cycles included) or
//! not lists, and extra keys.
//!
//! Checks that [`ScopeTable::define_custom_scopes`] never panics, and:
//! - on error, the table is unchanged (all or nothing) and the error prints;
//! - on success, every scope of the call is in the table as a custom scope with the given
//!   subscopes; each one expands without error (unfiltered and with `!user=alice`, via
//!   `expand_scope` and `expand`) to a set that contains it; its closure contains itself and
//!   the closures of its subscopes; the built-in scopes' closures are unchanged; and defining
//!   the same map again succeeds without adding anything (redefinition with an identical
//!   definition is allowed).
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use scopes::{Scope, ScopeTable};
use serde_json::{Map, Value};

static BUILTIN: LazyLock<ScopeTable> = LazyLock::new(ScopeTable::jupyterhub);

const NAMES: &[&str] = &[
    "custom:abc",
    "custom:parent",
    "custom:child",
    "custom:a*b",
    "custom:x-y_z:read",
    "custom:ab",
    "custom:abc\n",
    "custom:abc\n\n",
    "custom:Abc",
    "custom:ab-",
    "custom:ab:",
    "custom:-ab",
    "custom:",
    "read:users",
    "self",
    "",
];

fn short_string(u: &mut Unstructured<'_>) -> Result<String> {
    let len = u.int_in_range(0..=10)?;
    let mut out = String::new();
    for _ in 0..len {
        out.push(u.arbitrary::<char>()?);
    }
    Ok(out)
}

fn name(u: &mut Unstructured<'_>, earlier: &[String]) -> Result<String> {
    Ok(match u.int_in_range(0..=9)? {
        0 => short_string(u)?,
        1 => format!("custom:{}", short_string(u)?),
        2 | 3 if !earlier.is_empty() => u.choose(earlier)?.clone(),
        _ => (*u.choose(NAMES)?).to_owned(),
    })
}

fn value(u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
    let top = if depth == 0 { 3 } else { 5 };
    Ok(match u.int_in_range(0..=top)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(u.arbitrary::<i64>()?),
        3 => Value::String(short_string(u)?),
        4 => {
            let len = u.int_in_range(0..=3)?;
            Value::Array((0..len).map(|_| value(u, depth - 1)).collect::<Result<_>>()?)
        }
        _ => {
            let mut map = Map::new();
            for _ in 0..u.int_in_range(0..=3)? {
                map.insert(short_string(u)?, value(u, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

fn definition(u: &mut Unstructured<'_>, names: &[String]) -> Result<Value> {
    if u.ratio(1, 12)? {
        return value(u, 2);
    }
    let mut fields = Map::new();
    match u.int_in_range(0..=9)? {
        0 => {}
        1 => {
            fields.insert("description".into(), value(u, 1)?);
        }
        _ => {
            fields.insert("description".into(), Value::String(short_string(u)?));
        }
    }
    match u.int_in_range(0..=19)? {
        0..=8 => {}
        9..=16 => {
            let len = u.int_in_range(0..=3)?;
            let subscopes = (0..len)
                .map(|_| name(u, names).map(Value::String))
                .collect::<Result<Vec<_>>>()?;
            fields.insert("subscopes".into(), Value::Array(subscopes));
        }
        17 => {
            fields.insert(
                "subscopes".into(),
                Value::Array(vec![Value::String(name(u, names)?), value(u, 1)?]),
            );
        }
        _ => {
            fields.insert("subscopes".into(), value(u, 1)?);
        }
    }
    if u.ratio(1, 10)? {
        let key = if u.arbitrary()? {
            "doc_description".to_owned()
        } else {
            short_string(u)?
        };
        fields.insert(key, value(u, 1)?);
    }
    Ok(Value::Object(fields))
}

fn definitions(u: &mut Unstructured<'_>) -> Result<Map<String, Value>> {
    let len = u.int_in_range(0..=4)?;
    let mut names: Vec<String> = Vec::new();
    for _ in 0..len {
        names.push(name(u, &[])?);
    }
    let mut map = Map::new();
    for name in &names {
        map.insert(name.clone(), definition(u, &names)?);
    }
    Ok(map)
}

fn names_of(table: &ScopeTable) -> Vec<String> {
    table.names().map(str::to_owned).collect()
}

fn check(table: &mut ScopeTable, scopes: &Map<String, Value>) {
    let before = names_of(table);
    let result = table.define_custom_scopes(scopes);
    let warnings = match result {
        Ok(warnings) => warnings,
        Err(error) => {
            let _ = error.to_string();
            assert_eq!(names_of(table), before, "not all or nothing: {scopes:?}");
            return;
        }
    };
    for warning in &warnings {
        let _ = warning.to_string();
    }
    for name in scopes.keys() {
        let Some(definition) = table.get(name) else {
            panic!("{name:?} not defined by {scopes:?}");
        };
        assert!(definition.is_custom(), "{name:?}");
        let _ = (definition.description(), definition.doc_description());
        let expected: Vec<&str> = scopes
            .get(name)
            .and_then(|d| d.get("subscopes"))
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(definition.subscopes(), expected.as_slice(), "{name:?}");

        let closure: Vec<&str> = match table.closure_names(name) {
            Some(closure) => closure.collect(),
            None => panic!("no closure for {name:?}"),
        };
        assert!(closure.contains(&name.as_str()), "{name:?}: {closure:?}");
        for sub in definition.subscopes() {
            let Some(sub_closure) = table.closure_names(sub) else {
                panic!("subscope {sub:?} of {name:?} not defined: {scopes:?}");
            };
            for inner in sub_closure {
                assert!(closure.contains(&inner), "{name:?} ⊉ closure of {sub:?}");
            }
        }

        for text in [name.clone(), format!("{name}!user=alice")] {
            let scope = Scope::lenient(text);
            match table.expand_scope(&scope) {
                Ok(set) => assert!(set.contains(scope.as_str()), "{scope:?} -> {set:?}"),
                Err(error) => panic!("custom scope {scope:?} does not expand: {error}"),
            }
            match table.expand([&scope], None, None) {
                Ok(expansion) => assert!(expansion.scopes.contains(scope.as_str()), "{scope:?}"),
                Err(error) => panic!("custom scope {scope:?} does not expand: {error}"),
            }
        }
    }
    // Built-in closures are untouched.
    for builtin in BUILTIN.names() {
        let old: Option<Vec<&str>> = BUILTIN.closure_names(builtin).map(Iterator::collect);
        let new: Option<Vec<&str>> = table.closure_names(builtin).map(Iterator::collect);
        assert_eq!(old, new, "closure of {builtin} changed by {scopes:?}");
    }
    // Identical redefinition is allowed and adds nothing.
    let after = names_of(table);
    if let Err(error) = table.define_custom_scopes(scopes) {
        panic!("redefining {scopes:?} identically failed: {error}");
    }
    assert_eq!(names_of(table), after);
}

fuzz_target!(|data: &[u8]| {
    let mut table = ScopeTable::jupyterhub();
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(data) {
        check(&mut table, &map);
        return;
    }
    let mut u = Unstructured::new(data);
    // Two calls on the same table: the second may redefine, extend or clash with the first.
    for _ in 0..2 {
        let Ok(map) = definitions(&mut u) else {
            return;
        };
        check(&mut table, &map);
    }
});
