#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod api_tokens;
mod conn;
mod error;
mod groups;
pub mod import;
mod listing;
mod names;
mod oauth;
mod roles;
mod schema;
mod servers;
mod services;
mod shares;
mod tx;
mod users;

pub use api_tokens::{NewToken, Owner, OwnerKind, Token, TokenOwner};
pub use conn::{AnyConnection, Backend, DbUrl, Store, StoreConfig};
pub use error::{ConflictReason, InvalidInput, Kind, StoreError};
pub use groups::{Group, properties_object};
pub use listing::{SortKey, StateFilter, UserDetails, UserPage, UserQuery, Visible};
pub use names::{
    MAX_NAME_LENGTH, MAX_SERVER_NAME_LENGTH, validate_display_name, validate_group_name,
    validate_server_name, validate_service_name, validate_user_name,
};
pub use oauth::{NewOAuthClient, NewOAuthCode, OAuthClient, OAuthCode};
pub use roles::{Assignment, RoleHolders, StoredRole};
pub use servers::{Address, Server, ServerUpdate};
pub use services::{NewService, Service};
pub use shares::StoredShare;
pub use tx::Tx;
pub use users::{NewUser, User};
