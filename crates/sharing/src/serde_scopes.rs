//! Serde for the [`ScopeSet`] fields of stored values: a JSON list of scope strings, as
//! JupyterHub's `scopes` column holds it. Reading accepts any strings (lenient, as stored);
//! writing gives them in code-point order.

use scopes::{Scope, ScopeSet};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub(crate) fn serialize<S: Serializer>(set: &ScopeSet, serializer: S) -> Result<S::Ok, S::Error> {
    set.serialize(serializer)
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<ScopeSet, D::Error> {
    let texts = Vec::<String>::deserialize(deserializer)?;
    Ok(texts.iter().map(Scope::lenient).collect())
}
