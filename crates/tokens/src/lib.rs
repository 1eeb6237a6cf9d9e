//! JupyterHub-compatible API tokens and share codes, exact to JupyterHub 6.1.1.
//!
//! The secrets half (hashing and OS randomness; no database, no clock):
//!
//! - generating secrets: [`new_token`] (`uuid4().hex`) and [`new_share_code`]
//!   (`secrets.token_urlsafe(32)`), wrapped in a [`Secret`] that `Debug` redacts;
//! - hashing at rest: [`TokenHash`] (`algorithm:rounds:salt:hexdigest`), [`hash`] (byte-exact
//!   `hash_token`), [`TokenHash::for_storage`] (JupyterHub's rules for generated and
//!   user-provided tokens), [`verify`] (`compare_token`), and the lookup [`prefix`];
//! - acceptance checks with JupyterHub's messages: [`check_min_length`], [`check_max_length`];
//! - expiry: [`ExpiresIn`] (`APIToken.new`'s `expires_in` rules), [`share_code_expires_at`],
//!   [`is_expired`] and [`lookup_includes`]. Time is passed in, never read from a clock.
//!
//! A JupyterHub database's `hashed` column verifies here, and hashes made here verify in
//! JupyterHub.
//!
//! The scopes half:
//!
//! - what a token may do: [`effective_scopes`] (`get_scopes_for(token)`: its own scopes met
//!   with its owner's current ones, `inherit`, identify scopes, the issuing client's access
//!   scope, JupyterHub's quirks);
//! - issuing a token: [`issue_token`] (`APIToken.new`'s checks, in its order);
//! - what a token may be given: [`check_token_scopes`] (`_check_token_scopes`, with the
//!   "Not assigning requested scopes ..." refusal) and [`resolve_requested_scopes`] (OAuth and
//!   server tokens);
//! - a single-user server's two tokens: [`server_token_scopes`] and
//!   [`oauth_client_allowed_scopes`];
//! - why a request was allowed or denied, from token to fix: [`explain`].
#![warn(missing_docs)]

mod error;
mod expiry;
mod explain;
mod hash;
mod issue;
mod secret;
mod server_tokens;
mod token_scopes;

pub use error::{ExpiryError, HashError, RandomError, TokenError};
pub use expiry::{
    ExpiresIn, SHARE_CODE_DEFAULT_EXPIRES_IN, is_expired, lookup_includes, share_code_expires_at,
};
pub use explain::{
    Chain, Comparison, HeldRole, RequestFacts, RoleContribution, RoleSource, TokenKind, compare,
    explain,
};
pub use hash::{
    Algorithm, DEFAULT_ROUNDS, GENERATED_ROUNDS, Origin, SALT_BYTES, TokenHash, hash, verify,
};
pub use issue::{IssueError, Issued, TokenRequest, issue_token, requested_scopes};
pub use secret::{
    MAX_LENGTH, MIN_LENGTH, PREFIX_LENGTH, SHARE_CODE_BYTES, Secret, char_len, check_max_length,
    check_min_length, new_share_code, new_token, prefix,
};
pub use server_tokens::{
    ACTIVITY_SCOPE, ACTIVITY_WARNING, ServerTokenRequest, ServerTokenScopes,
    oauth_client_allowed_scopes, server_token_scopes,
};
pub use token_scopes::{
    EffectiveScopes, INHERIT, Resolved, TokenFacts, TokenScopeError, check_token_scopes,
    effective_scopes, owner_side, resolve_requested_scopes,
};
