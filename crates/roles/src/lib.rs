//! JupyterHub's roles, exact: the default roles, role names, `create_role`, and the scopes a
//! user, service or group holds from its roles, its groups' roles and the shares it received.
//!
//! Pure: no I/O, no async. Facts that live in a database (who has which role, who is in which
//! group, which shares exist) come in as values.
//!
//! ```
//! use roles::{Holder, HolderFacts, RoleStore, scopes_for};
//! use scopes::ScopeTable;
//!
//! let table = ScopeTable::jupyterhub();
//! let store = RoleStore::with_defaults();
//! let facts = HolderFacts {
//!     holder: Holder::User("alice"),
//!     roles: store.get("user").into_iter().collect(),
//!     shares: vec![],
//! };
//! let held = scopes_for(&table, &facts)?;
//! assert!(held.scopes.contains("servers!user=alice"));
//! # Ok::<(), scopes::ExpandError>(())
//! ```
#![warn(missing_docs)]

mod config;
mod create;
mod held;
mod load;
mod name;
mod role;
mod store;

pub use config::{ConfigError, RoleSpec, parse_load_roles};
pub use create::{CreateNote, CreateRoleError, Created, create_role};
pub use held::{
    Holder, HolderFacts, ReceivedShare, raw_scopes, role_scopes, scopes_for,
    scopes_for_warning_into, share_scopes,
};
pub use load::{Assignments, Bearer, LoadError, LoadNote, LoadSettings, Loaded, load_roles};
pub use name::{InvalidRoleName, validate_role_name};
pub use role::{ADMIN_SCOPES, DEFAULT_ROLE_NAMES, Role, default_roles, is_default_role};
pub use store::RoleStore;
