//! Human descriptions of raw scopes, as JupyterHub's consent and accept-share pages show them
//! (`describe_raw_scopes`).

use crate::error::UnknownScope;
use crate::scope::Scope;
use crate::table::ScopeTable;

/// One raw scope described for a person.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Description {
    /// The base scope.
    pub scope: String,
    /// The base scope's description from the table.
    pub description: String,
    /// Who it applies to: `""` (everything), `only you`, `users in group g`, `server u/s`, ...
    pub filter: String,
}

impl ScopeTable {
    /// Describes each raw scope, in order. `username` is the person reading: a `!user` filter
    /// naming them (or a bare `!user`) reads "only you".
    pub fn describe_raw<'s>(
        &self,
        raw_scopes: impl IntoIterator<Item = &'s str>,
        username: Option<&str>,
    ) -> Result<Vec<Description>, UnknownScope> {
        raw_scopes
            .into_iter()
            .map(|text| {
                let scope = Scope::lenient(text);
                let base = scope.base();
                let definition = self.get(base).ok_or_else(|| UnknownScope {
                    name: base.to_owned(),
                })?;
                let filter = match scope.filter_text() {
                    "" => String::new(),
                    "user" => "only you".to_owned(),
                    filter => {
                        let (kind, name) = filter.split_once('=').unwrap_or((filter, ""));
                        if kind == "user" && Some(name) == username {
                            "only you".to_owned()
                        } else if kind == "group" {
                            format!("users in group {name}")
                        } else {
                            format!("{kind} {name}")
                        }
                    }
                };
                Ok(Description {
                    scope: base.to_owned(),
                    description: definition.description().to_owned(),
                    filter,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn filters_read_as_jupyterhub_writes_them() {
        let table = ScopeTable::jupyterhub();
        let got = table
            .describe_raw(
                [
                    "read:users!user",
                    "read:users!user=alice",
                    "read:users!group=g1",
                    "access:servers!server=alice/x",
                    "read:hub",
                ],
                Some("alice"),
            )
            .unwrap();
        let filters: Vec<&str> = got.iter().map(|d| d.filter.as_str()).collect();
        assert_eq!(
            filters,
            [
                "only you",
                "only you",
                "users in group g1",
                "server alice/x",
                ""
            ]
        );
        assert_eq!(
            got[4].description,
            "Read detailed information about the Hub."
        );
        assert_eq!(
            table
                .describe_raw(["nope!user"], None)
                .unwrap_err()
                .to_string(),
            "nope"
        );
    }
}
