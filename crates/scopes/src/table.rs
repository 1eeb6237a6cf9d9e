//! [`ScopeTable`]: the built-in scopes plus custom ones, with each scope's subscope closure
//! computed once, when the scope is defined.
//!
//! The table is a value, not global state: JupyterHub mutates a module-level dict and clears
//! caches; hubcap builds a table at start-up (and a test builds as many as it likes).

use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

use crate::base_id::{self, BaseId};
use crate::builtins::BUILTINS;
use crate::scope::{Scope, push_clone};

/// One scope of the table.
#[derive(Clone, Debug)]
pub struct ScopeDefinition {
    name: Box<str>,
    /// The unfiltered scope, built once so that expansions share it.
    scope: Scope,
    description: String,
    doc_description: Option<String>,
    subscopes: Vec<String>,
    /// The definition as JupyterHub holds it (a dict), for redefinition checks and messages.
    raw: Map<String, Value>,
    custom: bool,
    /// Indices of every scope in this one's closure, itself included, sorted by name.
    closure: Vec<usize>,
    /// Indices of the scopes whose closure contains this one (itself excluded), in table order.
    ancestors: Vec<usize>,
}

impl ScopeDefinition {
    /// The scope name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The description shown to people (consent pages, `describe`).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The longer description used only in JupyterHub's generated docs.
    pub fn doc_description(&self) -> Option<&str> {
        self.doc_description.as_deref()
    }

    /// The direct subscopes, in definition order.
    pub fn subscopes(&self) -> &[String] {
        &self.subscopes
    }

    /// Whether the scope was defined with `custom_scopes` rather than built in.
    pub fn is_custom(&self) -> bool {
        self.custom
    }

    /// The definition as JupyterHub's `scope_definitions` holds it.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }
}

/// The scope table: JupyterHub 6.1.1's built-in scopes, in definition order, and any custom
/// scopes defined since.
#[derive(Clone, Debug)]
pub struct ScopeTable {
    entries: Vec<ScopeDefinition>,
    /// Indices of `entries`, sorted by name.
    by_name: Vec<usize>,
    index: FxHashMap<Box<str>, usize>,
    /// The closure of the scopes that `self` stands for, as names, sorted.
    self_closure: Vec<Scope>,
    /// For each built-in name (by [`BaseId`]), its index in `entries`: found without hashing.
    builtin_at: [u8; base_id::COUNT],
}

/// The raw scopes whose closure the `self` metascope stands for (JupyterHub's
/// `_expand_self_scope`).
pub(crate) const SELF_SCOPES: [&str; 7] = [
    "read:users",
    "users:shares",
    "read:shares",
    "users:activity",
    "servers",
    "tokens",
    "access:servers",
];

impl Default for ScopeTable {
    fn default() -> Self {
        ScopeTable::jupyterhub()
    }
}

impl ScopeTable {
    /// The built-in table of JupyterHub 6.1.1, without custom scopes.
    pub fn jupyterhub() -> ScopeTable {
        let mut table = ScopeTable {
            entries: Vec::with_capacity(BUILTINS.len()),
            by_name: Vec::new(),
            index: FxHashMap::default(),
            self_closure: Vec::new(),
            builtin_at: [0; base_id::COUNT],
        };
        for (at, builtin) in BUILTINS.iter().enumerate() {
            if let (Some(slot), Ok(at)) = (
                BaseId::of(builtin.name)
                    .index()
                    .and_then(|i| table.builtin_at.get_mut(i)),
                u8::try_from(at),
            ) {
                *slot = at;
            }
            let mut raw = Map::new();
            raw.insert("description".into(), builtin.description.into());
            if let Some(doc) = builtin.doc_description {
                raw.insert("doc_description".into(), doc.into());
            }
            if !builtin.subscopes.is_empty() {
                raw.insert(
                    "subscopes".into(),
                    builtin.subscopes.iter().map(|s| Value::from(*s)).collect(),
                );
            }
            table.push(ScopeDefinition {
                name: builtin.name.into(),
                scope: Scope::lenient(builtin.name),
                description: builtin.description.to_owned(),
                doc_description: builtin.doc_description.map(str::to_owned),
                subscopes: builtin.subscopes.iter().map(|s| (*s).to_owned()).collect(),
                raw,
                custom: false,
                closure: Vec::new(),
                ancestors: Vec::new(),
            });
        }
        table.compute_closures(0);
        let mut self_closure: Vec<Scope> = SELF_SCOPES
            .iter()
            .flat_map(|name| table.closure_names(name).into_iter().flatten())
            .map(Scope::lenient)
            .collect();
        self_closure.sort();
        self_closure.dedup();
        table.self_closure = self_closure;
        table
    }

    pub(crate) fn push(&mut self, definition: ScopeDefinition) {
        self.index
            .insert(definition.name.clone(), self.entries.len());
        self.entries.push(definition);
    }

    pub(crate) fn new_custom(
        name: &str,
        description: String,
        subscopes: Vec<String>,
        raw: Map<String, Value>,
    ) -> ScopeDefinition {
        ScopeDefinition {
            name: name.into(),
            scope: Scope::lenient(name),
            description,
            doc_description: None,
            subscopes,
            raw,
            custom: true,
            closure: Vec::new(),
            ancestors: Vec::new(),
        }
    }

    /// Computes the closure of every entry from `first` on. Earlier entries never change:
    /// a new scope cannot become a subscope of an existing one.
    pub(crate) fn compute_closures(&mut self, first: usize) {
        let mut by_name: Vec<usize> = (0..self.entries.len()).collect();
        by_name.sort_by(|a, b| self.name_at(*a).cmp(self.name_at(*b)));
        self.by_name = by_name;
        for at in first..self.entries.len() {
            let mut seen = vec![false; self.entries.len()];
            let mut stack = vec![at];
            while let Some(current) = stack.pop() {
                match seen.get_mut(current) {
                    Some(flag) if !*flag => *flag = true,
                    _ => continue,
                }
                if let Some(entry) = self.entries.get(current) {
                    stack.extend(
                        entry
                            .subscopes
                            .iter()
                            .filter_map(|sub| self.index.get(sub.as_str()).copied()),
                    );
                }
            }
            let mut closure: Vec<usize> = seen
                .iter()
                .enumerate()
                .filter_map(|(i, seen)| seen.then_some(i))
                .collect();
            closure.sort_by(|a, b| self.name_at(*a).cmp(self.name_at(*b)));
            if let Some(entry) = self.entries.get_mut(at) {
                entry.closure = closure;
            }
        }
        // Ancestors: the reverse of the closures, over the whole table (a new scope can only
        // be an ancestor of scopes defined with it, but recomputing is simpler and cheap).
        let mut ancestors = vec![Vec::new(); self.entries.len()];
        for (at, entry) in self.entries.iter().enumerate() {
            for member in entry.closure.iter().filter(|m| **m != at) {
                if let Some(list) = ancestors.get_mut(*member) {
                    list.push(at);
                }
            }
        }
        for (entry, list) in self.entries.iter_mut().zip(ancestors) {
            entry.ancestors = list;
        }
    }

    fn name_at(&self, index: usize) -> &str {
        self.entries.get(index).map_or("", |e| e.name())
    }

    /// The definition of `name`, if the table has it.
    pub fn get(&self, name: &str) -> Option<&ScopeDefinition> {
        self.entry(BaseId::of(name), name)
    }

    /// The definition of `scope`'s base.
    pub(crate) fn entry_of(&self, scope: &Scope) -> Option<&ScopeDefinition> {
        self.entry(scope.base_id(), scope.base())
    }

    /// The definition of `name`, whose id is `id`: by the id for a built-in name (no
    /// hashing), else by name.
    fn entry(&self, id: BaseId, name: &str) -> Option<&ScopeDefinition> {
        if let Some(builtin) = id.index() {
            let at = self.builtin_at.get(builtin)?;
            return self.entries.get(usize::from(*at));
        }
        self.index.get(name).and_then(|i| self.entries.get(*i))
    }

    /// Whether `name` is a scope of the table (the metascopes `self`, `inherit` and
    /// `(no_scope)` are).
    pub fn contains(&self, name: &str) -> bool {
        BaseId::of(name).is_builtin() || self.index.contains_key(name)
    }

    /// Every scope, built-ins first in JupyterHub's order, then custom scopes as defined.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &ScopeDefinition> {
        self.entries.iter()
    }

    /// Every scope name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(ScopeDefinition::name)
    }

    /// The names in `name`'s closure (itself and all transitive subscopes), sorted; `None`
    /// when the table has no such scope.
    pub fn closure_names(&self, name: &str) -> Option<impl Iterator<Item = &str>> {
        let entry = self.get(name)?;
        Some(entry.closure.iter().map(|i| self.name_at(*i)))
    }

    /// The unfiltered scopes of `name`'s closure (itself and all transitive subscopes),
    /// sorted by name; `None` when the table has no such scope.
    pub(crate) fn closure_scopes(&self, scope: &Scope) -> Option<impl Iterator<Item = &Scope>> {
        let entry = self.entry_of(scope)?;
        Some(
            entry
                .closure
                .iter()
                .filter_map(|i| self.entries.get(*i).map(|e| &e.scope)),
        )
    }

    /// Marks every scope of `name`'s closure in `marks` (indexed like the table).
    pub(crate) fn mark_closure(
        &self,
        scope: &Scope,
        marks: &mut [bool],
    ) -> Result<(), crate::error::UnknownScope> {
        let entry = self
            .entry_of(scope)
            .ok_or_else(|| crate::error::UnknownScope {
                name: scope.base().to_owned(),
            })?;
        for at in &entry.closure {
            if let Some(mark) = marks.get_mut(*at) {
                *mark = true;
            }
        }
        Ok(())
    }

    /// Unmarks `self` and says whether it was marked.
    pub(crate) fn take_self(&self, marks: &mut [bool]) -> bool {
        self.index
            .get("self")
            .and_then(|at| marks.get_mut(*at))
            .is_some_and(std::mem::take)
    }

    /// The unfiltered scopes marked in `marks`, sorted by name.
    pub(crate) fn marked_scopes(&self, marks: &[bool]) -> Vec<Scope> {
        let mut out = Vec::with_capacity(marks.iter().filter(|m| **m).count());
        for at in &self.by_name {
            if marks.get(*at).copied().unwrap_or(false) {
                if let Some(entry) = self.entries.get(*at) {
                    push_clone(&mut out, &entry.scope);
                }
            }
        }
        out
    }

    /// [`ScopeTable::ancestors`] of `scope`'s base, as the table's unfiltered scopes.
    pub(crate) fn ancestor_scopes(&self, scope: &Scope) -> impl Iterator<Item = &Scope> {
        self.ancestors_of(self.entry_of(scope))
            .map(|entry| &entry.scope)
    }

    /// The scopes whose closure contains `name` (itself excluded), in table order: the
    /// broader scopes that would also grant it.
    pub fn ancestors(&self, name: &str) -> Vec<&str> {
        self.ancestors_of(self.get(name))
            .map(ScopeDefinition::name)
            .collect()
    }

    /// The definitions of `entry`'s ancestors, in table order.
    fn ancestors_of<'a>(
        &'a self,
        entry: Option<&'a ScopeDefinition>,
    ) -> impl Iterator<Item = &'a ScopeDefinition> {
        entry
            .into_iter()
            .flat_map(|entry| entry.ancestors.iter())
            .filter_map(|at| self.entries.get(*at))
    }

    pub(crate) fn self_closure(&self) -> &[Scope] {
        &self.self_closure
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn builtin_table_has_jupyterhubs_48_scopes_in_order() {
        let table = ScopeTable::jupyterhub();
        assert_eq!(table.iter().len(), 48);
        let names: Vec<&str> = table.names().take(4).collect();
        assert_eq!(names, ["(no_scope)", "self", "inherit", "admin-ui"]);
        assert_eq!(table.names().last(), Some("read:metrics"));
    }

    #[test]
    fn builtins_are_found_by_id_as_by_name() {
        let table = ScopeTable::jupyterhub();
        for (at, entry) in table.iter().enumerate() {
            assert_eq!(
                table.get(entry.name()).map(ScopeDefinition::name),
                Some(entry.name())
            );
            assert_eq!(table.index.get(entry.name()), Some(&at));
        }
        assert!(table.get("read:user").is_none());
    }

    #[test]
    fn closures_are_transitive_and_sorted() {
        let table = ScopeTable::jupyterhub();
        let closure: Vec<&str> = table.closure_names("admin:servers").unwrap().collect();
        assert_eq!(
            closure,
            [
                "admin:server_state",
                "admin:servers",
                "delete:servers",
                "read:servers",
                "read:users:name",
                "servers",
                "start:servers"
            ]
        );
        assert!(table.closure_names("nope").is_none());
    }

    #[test]
    fn self_closure_has_fifteen_scopes() {
        assert_eq!(ScopeTable::jupyterhub().self_closure().len(), 15);
    }

    #[test]
    fn ancestors_are_the_broader_scopes() {
        let table = ScopeTable::jupyterhub();
        assert_eq!(
            table.ancestors("delete:servers"),
            ["admin:servers", "servers"]
        );
        assert!(table.ancestors("admin-ui").is_empty());
    }
}
