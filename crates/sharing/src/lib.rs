#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod api;
mod code;
mod filter;
mod model;
mod pydantic;
mod request;
mod serde_scopes;
mod share;
mod target;
mod time;

pub use api::{
    AcceptPage, ApiError, CodePlan, CodeSelection, Directory, Endpoint, GrantPlan, Listing,
    Requester, RevokePlan, check_accept, find_received_share, lookup_server, parse_code_id,
    plan_delete_codes, plan_delete_shares, plan_grant, plan_received_listing, plan_revoke,
    plan_server_listing, plan_share_code,
};
pub use code::{
    CODE_PREFIX_LENGTH, CodeError, CodeIdentity, DEFAULT_EXPIRES_IN, ExchangeError, LifetimeError,
    ShareCode, code_lifetime, code_prefix,
};
pub use filter::{FilterError, apply_filter, refilter};
pub use model::{IssuedCode, NameModel, ServerFacts, ServerModel, ShareCodeModel, ShareModel};
pub use pydantic::{ErrorKind, FieldError, PYDANTIC_DOCS_VERSION, ValidationErrors};
pub use request::{
    MAX_EXPIRES_IN, MIN_EXPIRES_IN, RequestError, ShareAction, ShareCodeRequest, ShareRequest,
};
pub use share::{
    GrantChange, GrantError, Granted, Revocation, Share, expand_share_scopes, grant, revoke,
    token_owner_share_scopes,
};
pub use target::{Recipient, RecipientSyntaxError, SharedServer};
pub use time::{MICROS_PER_SECOND, Timestamp, TimestampRangeError};
