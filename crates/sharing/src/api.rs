//! What JupyterHub's share handlers (`apihandlers/shares.py`, and the accept page in
//! `handlers/pages.py`) check, in their order, as pure functions over facts the caller
//! supplies: the request, who asks ([`Requester`]), and what exists ([`Directory`]).
//!
//! Each `plan_*` function answers with the operation to perform, or the [`ApiError`] JupyterHub
//! would answer with (status and message). The endpoint's own scope check (`@needs_scope`)
//! comes first and is not repeated here: [`Endpoint::required_scope`] names the scope, and
//! `scopes::decide` makes the decision.
//!
//! Who may share:
//! - granting, revoking and issuing codes need `shares` on the server (`shares`,
//!   `shares!user=OWNER`, `shares!server=OWNER/NAME`, or `shares!group=` a group of the
//!   owner). The default `user` role does **not** include it;
//! - then **every** scope being granted (after filtering) must be held by the requester on
//!   that server: sharing never gives more than the sharer has. `shares` includes
//!   `access:servers`, so the default grant always passes;
//! - sharing with a user or group **by name** also needs `read:users:name!user=NAME` or
//!   `read:groups:name!group=NAME`. Share codes need no name and so no such scope;
//! - revoking needs nothing beyond `shares` (and an unknown user or group revokes nothing);
//! - the owner may share with themselves; only the accept page refuses one's own code.

use std::fmt;

use scopes::{CheckError, GroupMembership, ParsedScopes, Scope, ScopeSet, ScopeTable};
use serde_json::Value;

use crate::code::{CodeError, CodeIdentity, ShareCode};
use crate::filter::{FilterError, apply_filter};
use crate::request::{RequestError, ShareAction, ShareCodeRequest, ShareRequest};
use crate::share::{GrantError, Granted, Revocation, Share, grant, revoke};
use crate::target::{Recipient, SharedServer};
use crate::time::Timestamp;

/// The facts about what exists, looked up by the caller (the store).
pub trait Directory {
    /// Whether `server.owner` is a user with a server named `server.name` (JupyterHub's
    /// `_lookup_spawner`).
    fn server_exists(&self, server: &SharedServer) -> bool;
    /// Whether a user of this name exists.
    fn user_exists(&self, name: &str) -> bool;
    /// Whether a group of this name exists.
    fn group_exists(&self, name: &str) -> bool;
}

/// Who makes the request: their expanded scopes, and group membership to resolve
/// `!group=` filters (`None`: no membership information).
#[derive(Clone, Copy)]
pub struct Requester<'a> {
    /// The requester's expanded, parsed scopes.
    pub scopes: &'a ParsedScopes,
    /// Group membership, for `!group=` filters.
    pub groups: Option<&'a dyn GroupMembership>,
}

impl Requester<'_> {
    /// The handler's `self.has_scope(scope)`.
    pub fn has_scope(&self, scope: &str) -> Result<bool, CheckError> {
        scopes::has_scope(scope, self.scopes, false, self.groups)
    }
}

impl fmt::Debug for Requester<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Requester")
            .field("scopes", &self.scopes.unparse())
            .field("groups", &self.groups.is_some())
            .finish()
    }
}

/// Which page of `/hub/accept-share` (the two answer differently).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcceptPage {
    /// `GET`: the confirmation page.
    Get,
    /// `POST`: the exchange.
    Post,
}

/// An answer other than success, as JupyterHub gives it: [`ApiError::status`] and the body's
/// [`ApiError::message`]. `Display` is that message where JupyterHub has one, and otherwise
/// (bare errors, internal errors) says what went wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// `POST`, `PATCH` or `DELETE` on `/shares/:owner` or `/share-codes/:owner` without a
    /// server: 405 without message.
    #[error(
        "a server is required: use `/shares/OWNER/SERVER` (`/shares/OWNER/` for the default server)"
    )]
    MethodNotAllowed,
    /// The body was refused: 400 with pydantic's text, or 500 (unknown scope, non-object body).
    #[error(transparent)]
    Body(#[from] RequestError),
    /// A scope with a filter other than the server's: 400.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// The owner or the server does not exist: 404.
    #[error("No such server: {server}")]
    NoSuchServer {
        /// The server asked for.
        server: SharedServer,
    },
    /// The requester does not hold a scope they try to share: 403.
    #[error("Do not have permission to grant share with scope {scope}")]
    CannotGrant {
        /// The first such scope (code-point order; JupyterHub: set order).
        scope: Scope,
    },
    /// Sharing with a user by name without `read:users:name` for them: 403.
    #[error("Need scope 'read:users:name' to share with users by name")]
    CannotNameUser {
        /// The user.
        user: String,
    },
    /// Sharing with a group by name without `read:groups:name` for it: 403.
    #[error("Need scope 'read:groups:name' to share with groups by name")]
    CannotNameGroup {
        /// The group.
        group: String,
    },
    /// The user or group to share with does not exist: 400.
    #[error("No such {}: {}", .recipient.kind(), .recipient.name())]
    NoSuchRecipient {
        /// The recipient asked for.
        recipient: Recipient,
    },
    /// `user` and `group` both empty strings (or one empty, the other absent): JupyterHub
    /// fails with `UnboundLocalError`, HTTP 500.
    #[error(
        "no user or group to share with: `user` and `group` are empty (JupyterHub answers 500); \
         give one non-empty name"
    )]
    NoRecipient,
    /// A scope check that could not be made: 500.
    #[error(transparent)]
    Check(#[from] CheckError),
    /// `GET /shares/:owner` or `/share-codes/:owner` for an unknown owner: 404 without
    /// message.
    #[error("no user `{owner}`")]
    NoSuchOwner {
        /// The owner asked for.
        owner: String,
    },
    /// `GET /users/:user/shared` for an unknown user: 404.
    #[error("No such user: {name}")]
    NoSuchUser {
        /// The user asked for.
        name: String,
    },
    /// `/groups/:group/shared...` for an unknown group: 404.
    #[error("No such group: {name}")]
    NoSuchGroup {
        /// The group asked for.
        name: String,
    },
    /// No share of this server with this user or group: 404.
    #[error("No such share for {} {} on {server}", .recipient.kind(), .recipient.name())]
    NoSuchShare {
        /// The recipient in the URL.
        recipient: Recipient,
        /// The server in the URL.
        server: SharedServer,
    },
    /// `DELETE /share-codes/...?code=`: no unexpired code of this server matches: 404.
    #[error("No matching code found")]
    NoMatchingCode,
    /// `DELETE /share-codes/...?id=`: malformed id, or no code of this server has it: 404.
    #[error("No code found matching id={id}")]
    NoCodeWithId {
        /// The id as given.
        id: String,
    },
    /// The accept page for an unknown or expired code: GET 404, POST 400.
    #[error("{}", match .page { AcceptPage::Get => "Share not found or expired".to_owned(), AcceptPage::Post => format!("Invalid share code: {code}") })]
    CodeNotFound {
        /// Which page.
        page: AcceptPage,
        /// The code as given.
        code: String,
    },
    /// The accept page for one's own code: GET 403, POST 400.
    #[error("You can't share with yourself!")]
    ShareWithSelf {
        /// Which page.
        page: AcceptPage,
    },
}

/// The message JupyterHub sends for an unexpected exception.
const INTERNAL_SERVER_ERROR: &str = "Internal Server Error";

impl ApiError {
    /// JupyterHub's HTTP status.
    ///
    /// Three are 500s that JupyterHub gives by accident ([`RequestError::UnknownScope`],
    /// [`RequestError::NotAnObject`], [`ApiError::NoRecipient`]); a hub may choose 400 for
    /// them (jupyterhub-api.md §10 lists the first as a bug not worth copying).
    pub fn status(&self) -> u16 {
        match self {
            ApiError::MethodNotAllowed => 405,
            ApiError::Body(RequestError::Invalid(_)) => 400,
            ApiError::Body(_) | ApiError::NoRecipient | ApiError::Check(_) => 500,
            ApiError::Filter(_) | ApiError::NoSuchRecipient { .. } => 400,
            ApiError::CannotGrant { .. }
            | ApiError::CannotNameUser { .. }
            | ApiError::CannotNameGroup { .. } => 403,
            ApiError::NoSuchServer { .. }
            | ApiError::NoSuchOwner { .. }
            | ApiError::NoSuchUser { .. }
            | ApiError::NoSuchGroup { .. }
            | ApiError::NoSuchShare { .. }
            | ApiError::NoMatchingCode
            | ApiError::NoCodeWithId { .. } => 404,
            ApiError::CodeNotFound { page, .. } => match page {
                AcceptPage::Get => 404,
                AcceptPage::Post => 400,
            },
            ApiError::ShareWithSelf { page } => match page {
                AcceptPage::Get => 403,
                AcceptPage::Post => 400,
            },
        }
    }

    /// The `message` of JupyterHub's error body: `None` for a bare error (`null`),
    /// `Internal Server Error` for a 500.
    pub fn message(&self) -> Option<String> {
        match self {
            ApiError::MethodNotAllowed | ApiError::NoSuchOwner { .. } => None,
            error if error.status() == 500 => Some(INTERNAL_SERVER_ERROR.to_owned()),
            error => Some(error.to_string()),
        }
    }
}

/// `_lookup_spawner`: the server, or 404 `No such server: OWNER/NAME`.
pub fn lookup_server(
    owner: &str,
    server: &str,
    directory: &dyn Directory,
) -> Result<SharedServer, ApiError> {
    let server = SharedServer::new(owner, server);
    if directory.server_exists(&server) {
        Ok(server)
    } else {
        Err(ApiError::NoSuchServer { server })
    }
}

fn require_server(server: Option<&str>) -> Result<&str, ApiError> {
    server.ok_or(ApiError::MethodNotAllowed)
}

fn check_can_grant<'a>(
    scopes: impl IntoIterator<Item = &'a Scope>,
    requester: &Requester<'_>,
) -> Result<(), ApiError> {
    for scope in scopes {
        if !requester.has_scope(scope.as_str())? {
            return Err(ApiError::CannotGrant {
                scope: scope.clone(),
            });
        }
    }
    Ok(())
}

/// The request's scopes filtered to the server, or the default `access:servers` (an absent,
/// `null` or empty list).
fn requested_scopes(
    scopes: Option<Vec<Scope>>,
    server: &SharedServer,
) -> Result<ScopeSet, FilterError> {
    match scopes {
        Some(scopes) => apply_filter(&scopes, server),
        None => Ok(ScopeSet::from([server.access_scope()])),
    }
}

/// A grant the handler will perform: [`GrantPlan::apply`] it to the existing share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantPlan {
    /// The server.
    pub server: SharedServer,
    /// Whom to share with.
    pub recipient: Recipient,
    /// The filtered scopes to grant.
    pub scopes: ScopeSet,
}

impl GrantPlan {
    /// [`grant`]s the planned scopes; `existing` is the recipient's share of the server.
    pub fn apply(&self, existing: Option<Share>, now: Timestamp) -> Result<Granted, GrantError> {
        grant(
            existing,
            &self.server,
            &self.recipient,
            Some(self.scopes.as_slice()),
            now,
        )
    }
}

/// `POST /shares/:owner/:server` (`body`: the parsed JSON body, `None` without one). In
/// JupyterHub's order: 405 without a server; the body (400/500); the scope filter (400); the
/// server (404); every scope held by the requester (403); then the recipient: `read:users:name`
/// or `read:groups:name` for it (403) and its existence (400).
///
/// On success the caller applies the plan and answers 200 with the share model.
pub fn plan_grant(
    table: &ScopeTable,
    owner: &str,
    server: Option<&str>,
    body: Option<&Value>,
    requester: &Requester<'_>,
    directory: &dyn Directory,
) -> Result<GrantPlan, ApiError> {
    let server_name = require_server(server)?;
    let request = ShareRequest::parse(table, ShareAction::Grant, body)?;
    let target = SharedServer::new(owner, server_name);
    let scopes = requested_scopes(request.scope_list(), &target)?;
    let server = lookup_server(owner, server_name, directory)?;
    check_can_grant(&scopes, requester)?;
    let recipient = match request.recipient() {
        Some(Recipient::User(user)) => {
            if !requester.has_scope(&format!("read:users:name!user={user}"))? {
                return Err(ApiError::CannotNameUser { user });
            }
            if !directory.user_exists(&user) {
                return Err(ApiError::NoSuchRecipient {
                    recipient: Recipient::User(user),
                });
            }
            Recipient::User(user)
        }
        Some(Recipient::Group(group)) => {
            if !requester.has_scope(&format!("read:groups:name!group={group}"))? {
                return Err(ApiError::CannotNameGroup { group });
            }
            if !directory.group_exists(&group) {
                return Err(ApiError::NoSuchRecipient {
                    recipient: Recipient::Group(group),
                });
            }
            Recipient::Group(group)
        }
        None => return Err(ApiError::NoRecipient),
    };
    Ok(GrantPlan {
        server,
        recipient,
        scopes,
    })
}

/// What `PATCH /shares/:owner/:server` will do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevokePlan {
    /// Revoke from the recipient's share: [`RevokePlan::apply`].
    Revoke {
        /// The server.
        server: SharedServer,
        /// The recipient.
        recipient: Recipient,
        /// The exact scope strings to revoke (unfiltered, unchecked against the server);
        /// `None` revokes everything, which an empty list in the body also means.
        scopes: Option<Vec<Scope>>,
    },
    /// The user or group does not exist: nothing to revoke, answer 200 `{}` (JupyterHub logs a
    /// warning).
    UnknownRecipient {
        /// The recipient named in the body.
        recipient: Recipient,
    },
}

impl RevokePlan {
    /// [`revoke`]s from `existing` (the recipient's share of the server). The answer is the
    /// share model of [`Revocation::remaining`], or `{}` when there is none.
    pub fn apply(&self, existing: Option<Share>) -> Revocation {
        match self {
            RevokePlan::Revoke { scopes, .. } => revoke(existing, scopes.as_deref()),
            RevokePlan::UnknownRecipient { .. } => Revocation::NoShare,
        }
    }
}

/// `PATCH /shares/:owner/:server`. In JupyterHub's order: 405 without a server; the body
/// (400/500); the server (404); the recipient, whose absence revokes nothing (200 `{}`).
/// No permission beyond the endpoint's `shares` is checked, and the scopes are neither
/// filtered nor checked against the server: only exact stored strings are revoked.
pub fn plan_revoke(
    table: &ScopeTable,
    owner: &str,
    server: Option<&str>,
    body: Option<&Value>,
    directory: &dyn Directory,
) -> Result<RevokePlan, ApiError> {
    let server_name = require_server(server)?;
    let request = ShareRequest::parse(table, ShareAction::Revoke, body)?;
    let server = lookup_server(owner, server_name, directory)?;
    let recipient = request.recipient().ok_or(ApiError::NoRecipient)?;
    let exists = match &recipient {
        Recipient::User(name) => directory.user_exists(name),
        Recipient::Group(name) => directory.group_exists(name),
    };
    if !exists {
        return Ok(RevokePlan::UnknownRecipient { recipient });
    }
    Ok(RevokePlan::Revoke {
        server,
        recipient,
        scopes: request.scope_list(),
    })
}

/// `DELETE /shares/:owner/:server`: 405 without a server, 404 for an unknown server;
/// otherwise the caller deletes every share of the server and answers 204.
pub fn plan_delete_shares(
    owner: &str,
    server: Option<&str>,
    directory: &dyn Directory,
) -> Result<SharedServer, ApiError> {
    lookup_server(owner, require_server(server)?, directory)
}

/// A share code the handler will issue: [`CodePlan::issue`] it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodePlan {
    /// The server.
    pub server: SharedServer,
    /// The filtered scopes.
    pub scopes: ScopeSet,
    /// The lifetime in seconds (validated: 60..=31536000).
    pub expires_in: i64,
}

impl CodePlan {
    /// Makes the code ([`ShareCode::create`]). The answer is its model with the secret
    /// (`code`, `accept_url`, `full_accept_url`), shown only this once.
    pub fn issue(&self, now: Timestamp, identity: CodeIdentity) -> Result<ShareCode, CodeError> {
        ShareCode::create(
            self.server.clone(),
            &self.scopes,
            Some(self.expires_in),
            now,
            identity,
        )
    }
}

/// `POST /share-codes/:owner/:server`. In JupyterHub's order (which differs from a grant's:
/// permissions before the server lookup): 405 without a server; the body (400/500); the
/// scope filter (400); every scope held by the requester (403); the server (404).
pub fn plan_share_code(
    table: &ScopeTable,
    owner: &str,
    server: Option<&str>,
    body: Option<&Value>,
    requester: &Requester<'_>,
    directory: &dyn Directory,
) -> Result<CodePlan, ApiError> {
    let server_name = require_server(server)?;
    let request = ShareCodeRequest::parse(table, body)?;
    let target = SharedServer::new(owner, server_name);
    let scopes = requested_scopes(request.scope_list(), &target)?;
    check_can_grant(&scopes, requester)?;
    let server = lookup_server(owner, server_name, directory)?;
    Ok(CodePlan {
        server,
        scopes,
        expires_in: request.expires_in,
    })
}

/// Which codes `DELETE /share-codes/:owner/:server` deletes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeSelection {
    /// The unexpired code of this server matching this secret ([`ShareCode::is_findable`]);
    /// none: [`ApiError::NoMatchingCode`].
    ByCode(String),
    /// The code of this server with this database id; none: [`ApiError::NoCodeWithId`] with
    /// `text`.
    ById {
        /// The database id.
        id: u64,
        /// The `id` argument as given, for the error message.
        text: String,
    },
    /// Every code of the server.
    All,
}

/// `DELETE /share-codes/:owner/:server?code=...|?id=...`: 405 without a server, 404 for an
/// unknown server, then the selection. An **empty** `code` or `id` counts as absent, so
/// `?code=` deletes every code of the server. `id` is matched like Python's
/// `re.match(r"sc_(\d+)", id)`: only a prefix must match, so `sc_12abc` is id 12.
/// (Non-ASCII digits, which Python's `\d` accepts, and ids beyond `u64` are refused here
/// with the 404.)
pub fn plan_delete_codes(
    owner: &str,
    server: Option<&str>,
    code: Option<&str>,
    id: Option<&str>,
    directory: &dyn Directory,
) -> Result<(SharedServer, CodeSelection), ApiError> {
    let server = lookup_server(owner, require_server(server)?, directory)?;
    let selection = match (code, id) {
        (Some(code), _) if !code.is_empty() => CodeSelection::ByCode(code.to_owned()),
        (_, Some(text)) if !text.is_empty() => CodeSelection::ById {
            id: parse_code_id(text).ok_or_else(|| ApiError::NoCodeWithId {
                id: text.to_owned(),
            })?,
            text: text.to_owned(),
        },
        _ => CodeSelection::All,
    };
    Ok((server, selection))
}

/// The database id in a share code's API id (`sc_12` → 12), as `re.match(r"sc_(\d+)")` finds
/// it: a prefix match.
pub fn parse_code_id(text: &str) -> Option<u64> {
    let rest = text.strip_prefix("sc_")?;
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest.get(..end)?.parse().ok()
}

/// Whose shares a list endpoint shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Listing {
    /// Every share (or code) of the servers of this owner: `GET /shares/:owner`.
    Owner(String),
    /// Every share (or code) of this server: `GET /shares/:owner/:server`.
    Server(SharedServer),
    /// Every share with this user, **and** with each of the user's groups (not deduplicated:
    /// a server shared with the user and with a group of theirs appears twice).
    User(String),
    /// Every share with this group.
    Group(String),
}

/// `GET /shares/:owner[/:server]` and `GET /share-codes/:owner[/:server]`: an unknown owner is
/// a bare 404, an unknown server 404 `No such server`. Lists are always paginated
/// (`{"items", "_pagination"}`); `total` counts expired rows, `items` leaves them out.
pub fn plan_server_listing(
    owner: &str,
    server: Option<&str>,
    directory: &dyn Directory,
) -> Result<Listing, ApiError> {
    match server {
        Some(server) => lookup_server(owner, server, directory).map(Listing::Server),
        None if directory.user_exists(owner) => Ok(Listing::Owner(owner.to_owned())),
        None => Err(ApiError::NoSuchOwner {
            owner: owner.to_owned(),
        }),
    }
}

/// `GET /users/:user/shared` (404 `No such user`) and `GET /groups/:group/shared` (404
/// `No such group`).
pub fn plan_received_listing(
    recipient: &Recipient,
    directory: &dyn Directory,
) -> Result<Listing, ApiError> {
    match recipient {
        Recipient::User(name) if directory.user_exists(name) => Ok(Listing::User(name.clone())),
        Recipient::User(name) => Err(ApiError::NoSuchUser { name: name.clone() }),
        Recipient::Group(name) if directory.group_exists(name) => Ok(Listing::Group(name.clone())),
        Recipient::Group(name) => Err(ApiError::NoSuchGroup { name: name.clone() }),
    }
}

/// `GET`/`DELETE /users/:user/shared/:owner/:server` and `/groups/:group/shared/...`: the
/// share, found by `find` (called only when the recipient and the server exist), or 404.
/// For a user every miss says `No such share for user ...`; an unknown group says
/// `No such group: ...` first. `DELETE` then removes it (204).
pub fn find_received_share(
    recipient: &Recipient,
    server: &SharedServer,
    directory: &dyn Directory,
    find: impl FnOnce() -> Option<Share>,
) -> Result<Share, ApiError> {
    let no_share = || ApiError::NoSuchShare {
        recipient: recipient.clone(),
        server: server.clone(),
    };
    match recipient {
        Recipient::User(name) if !directory.user_exists(name) => return Err(no_share()),
        Recipient::Group(name) if !directory.group_exists(name) => {
            return Err(ApiError::NoSuchGroup { name: name.clone() });
        }
        _ => {}
    }
    if !directory.server_exists(server) {
        return Err(no_share());
    }
    find().ok_or_else(no_share)
}

/// The checks of `/hub/accept-share` before it shows or exchanges a code. `found` is the code
/// that the lookup by `code` gave (prefix, hash, and `expires_at >= now`); `user` is the
/// logged-in user.
///
/// On `POST` the caller then exchanges the code ([`ShareCode::exchange`]) and redirects. At
/// exactly `expires_at` the lookup still finds the code but the exchange fails as expired,
/// which JupyterHub answers with 500.
pub fn check_accept(
    page: AcceptPage,
    code: &str,
    found: Option<&ShareCode>,
    user: &str,
    now: Timestamp,
) -> Result<(), ApiError> {
    let Some(found) = found.filter(|c| c.is_findable(now)) else {
        return Err(ApiError::CodeNotFound {
            page,
            code: code.to_owned(),
        });
    };
    if found.server.owner == user {
        return Err(ApiError::ShareWithSelf { page });
    }
    Ok(())
}

/// The share endpoints, with the scope each requires (checked by `@needs_scope` before the
/// handler runs, against the resource in the URL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /shares/:owner`. The handler has no server argument, so the scope is checked
    /// against the server filter `server=OWNER/None`: `read:shares!server=OWNER/` does not
    /// pass, `read:shares!user=OWNER` does.
    ListOwnerShares,
    /// `GET /shares/:owner/:server`.
    ListServerShares,
    /// `POST /shares/:owner/:server`: [`plan_grant`].
    GrantShare,
    /// `PATCH /shares/:owner/:server`: [`plan_revoke`].
    RevokeShare,
    /// `DELETE /shares/:owner/:server`: [`plan_delete_shares`].
    DeleteServerShares,
    /// `GET /users/:user/shared`.
    ListUserShared,
    /// `GET /users/:user/shared/:owner/:server` (the scope's filter is on the user only).
    GetUserShare,
    /// `DELETE /users/:user/shared/:owner/:server`: the recipient gives up a share.
    DeleteUserShare,
    /// `GET /groups/:group/shared`.
    ListGroupShared,
    /// `GET /groups/:group/shared/:owner/:server`.
    GetGroupShare,
    /// `DELETE /groups/:group/shared/:owner/:server`.
    DeleteGroupShare,
    /// `GET /share-codes/:owner` (the same `OWNER/None` filter as [`Endpoint::ListOwnerShares`]).
    ListOwnerCodes,
    /// `GET /share-codes/:owner/:server`.
    ListServerCodes,
    /// `POST /share-codes/:owner/:server`: [`plan_share_code`].
    IssueCode,
    /// `DELETE /share-codes/:owner/:server`: [`plan_delete_codes`].
    DeleteCodes,
}

impl Endpoint {
    /// Every endpoint.
    pub const ALL: [Endpoint; 15] = [
        Endpoint::ListOwnerShares,
        Endpoint::ListServerShares,
        Endpoint::GrantShare,
        Endpoint::RevokeShare,
        Endpoint::DeleteServerShares,
        Endpoint::ListUserShared,
        Endpoint::GetUserShare,
        Endpoint::DeleteUserShare,
        Endpoint::ListGroupShared,
        Endpoint::GetGroupShare,
        Endpoint::DeleteGroupShare,
        Endpoint::ListOwnerCodes,
        Endpoint::ListServerCodes,
        Endpoint::IssueCode,
        Endpoint::DeleteCodes,
    ];

    /// The HTTP method.
    pub fn method(self) -> &'static str {
        match self {
            Endpoint::GrantShare | Endpoint::IssueCode => "POST",
            Endpoint::RevokeShare => "PATCH",
            Endpoint::DeleteServerShares
            | Endpoint::DeleteUserShare
            | Endpoint::DeleteGroupShare
            | Endpoint::DeleteCodes => "DELETE",
            _ => "GET",
        }
    }

    /// The path under `/hub/api`.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::ListOwnerShares => "/shares/:owner",
            Endpoint::ListServerShares
            | Endpoint::GrantShare
            | Endpoint::RevokeShare
            | Endpoint::DeleteServerShares => "/shares/:owner/:server",
            Endpoint::ListUserShared => "/users/:user/shared",
            Endpoint::GetUserShare | Endpoint::DeleteUserShare => {
                "/users/:user/shared/:owner/:server"
            }
            Endpoint::ListGroupShared => "/groups/:group/shared",
            Endpoint::GetGroupShare | Endpoint::DeleteGroupShare => {
                "/groups/:group/shared/:owner/:server"
            }
            Endpoint::ListOwnerCodes => "/share-codes/:owner",
            Endpoint::ListServerCodes | Endpoint::IssueCode | Endpoint::DeleteCodes => {
                "/share-codes/:owner/:server"
            }
        }
    }

    /// The scope `@needs_scope` requires.
    pub fn required_scope(self) -> &'static str {
        match self {
            Endpoint::ListOwnerShares
            | Endpoint::ListServerShares
            | Endpoint::ListOwnerCodes
            | Endpoint::ListServerCodes => "read:shares",
            Endpoint::GrantShare
            | Endpoint::RevokeShare
            | Endpoint::DeleteServerShares
            | Endpoint::IssueCode
            | Endpoint::DeleteCodes => "shares",
            Endpoint::ListUserShared | Endpoint::GetUserShare => "read:users:shares",
            Endpoint::DeleteUserShare => "users:shares",
            Endpoint::ListGroupShared | Endpoint::GetGroupShare => "read:groups:shares",
            Endpoint::DeleteGroupShare => "groups:shares",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use serde_json::json;

    use super::*;

    /// The world of FORMAT.md §2, reduced to what the handlers look up.
    struct World;

    impl Directory for World {
        fn server_exists(&self, server: &SharedServer) -> bool {
            ["alice/", "alice/x", "bob/"].contains(&server.full_name().as_str())
        }
        fn user_exists(&self, name: &str) -> bool {
            ["alice", "bob", "carol", "dave", "erin"].contains(&name)
        }
        fn group_exists(&self, name: &str) -> bool {
            ["g1", "g2", "g3"].contains(&name)
        }
    }

    fn parsed(texts: &[&str]) -> ParsedScopes {
        let table = ScopeTable::jupyterhub();
        let raw: Vec<Scope> = texts.iter().map(Scope::lenient).collect();
        let expanded = table.expand(&raw, None, None).unwrap();
        ParsedScopes::from_set(expanded.scopes).unwrap()
    }

    fn grant_as(have: &[&str], server: Option<&str>, body: Value) -> Result<GrantPlan, ApiError> {
        let scopes = parsed(have);
        let requester = Requester {
            scopes: &scopes,
            groups: None,
        };
        plan_grant(
            &ScopeTable::jupyterhub(),
            "alice",
            server,
            Some(&body),
            &requester,
            &World,
        )
    }

    fn status_and_message(result: Result<impl fmt::Debug, ApiError>) -> (u16, Option<String>) {
        let err = result.unwrap_err();
        (err.status(), err.message())
    }

    const SHARER: &[&str] = &["shares", "read:users:name", "read:groups:name"];

    #[test]
    fn grant_plans_the_default_access() {
        let plan = grant_as(SHARER, Some(""), json!({"user": "bob"})).unwrap();
        assert_eq!(plan.server, SharedServer::new("alice", ""));
        assert_eq!(plan.recipient, Recipient::User("bob".into()));
        assert_eq!(
            plan.scopes.texts().collect::<Vec<_>>(),
            ["access:servers!server=alice/"]
        );
        let granted = plan.apply(None, Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!(granted.share.scopes, plan.scopes);
    }

    #[test]
    fn grant_refusals_in_jupyterhubs_order() {
        // upstream test_shares_api_create rows (SERVER -> alice/)
        assert_eq!(
            status_and_message(grant_as(&["shares"], Some(""), json!({"user": "bob"}))),
            (
                403,
                Some("Need scope 'read:users:name' to share with users by name".into())
            )
        );
        assert_eq!(
            status_and_message(grant_as(
                SHARER,
                Some(""),
                json!({"group": "g1", "scopes": ["read:servers!server=other/"]})
            )),
            (
                400,
                Some("!server=other/ not allowed on sharing read:servers!server=other/, only !server=alice/".into())
            )
        );
        assert_eq!(
            status_and_message(grant_as(
                &["shares", "access:servers", "read:users:name"],
                Some(""),
                json!({"group": "g1", "scopes": ["admin:servers!server=alice/"]})
            )),
            (
                403,
                Some(
                    "Do not have permission to grant share with scope admin:servers!server=alice/"
                        .into()
                )
            )
        );
        assert_eq!(
            status_and_message(grant_as(SHARER, Some(""), json!({"user": "nosuchuser"}))),
            (400, Some("No such user: nosuchuser".into()))
        );
        assert_eq!(
            status_and_message(grant_as(SHARER, Some(""), json!({"group": "nosuchgroup"}))),
            (400, Some("No such group: nosuchgroup".into()))
        );
        let (status, message) = status_and_message(grant_as(SHARER, Some(""), json!({})));
        assert_eq!(status, 400);
        assert!(
            message
                .unwrap()
                .contains("Specify exactly one of `user` or `group`")
        );
        // filter errors come before the server lookup, permissions after it
        assert_eq!(
            status_and_message(grant_as(&[], Some("nope"), json!({"user": "bob"}))),
            (404, Some("No such server: alice/nope".into()))
        );
        assert_eq!(
            grant_as(
                &[],
                Some("nope"),
                json!({"user": "bob", "scopes": ["servers!user=x"]})
            )
            .unwrap_err()
            .status(),
            400
        );
        assert_eq!(
            status_and_message(grant_as(SHARER, None, json!({"user": "bob"}))),
            (405, None)
        );
    }

    #[test]
    fn grant_with_filtered_holdings() {
        // shares!server=SERVER,servers!server=SERVER,read:users:name!user=SHARE_WITH
        let plan = grant_as(
            &[
                "shares!server=alice/",
                "servers!server=alice/",
                "read:users:name!user=bob",
            ],
            Some(""),
            json!({"user": "bob", "scopes": ["read:servers!server=alice/", "access:servers!server=alice/"]}),
        )
        .unwrap();
        assert_eq!(
            plan.scopes.texts().collect::<Vec<_>>(),
            ["access:servers!server=alice/", "read:servers!server=alice/"]
        );
    }

    #[test]
    fn grant_with_group_membership() {
        let scopes = parsed(&["shares!group=g1", "read:users:name"]);
        let membership: BTreeMap<String, BTreeSet<String>> =
            [("alice".to_owned(), BTreeSet::from(["g1".to_owned()]))].into();
        let requester = Requester {
            scopes: &scopes,
            groups: Some(&membership),
        };
        let body = json!({"user": "bob"});
        let plan = plan_grant(
            &ScopeTable::jupyterhub(),
            "alice",
            Some("x"),
            Some(&body),
            &requester,
            &World,
        );
        assert!(plan.is_ok());
        let without = Requester {
            scopes: &scopes,
            groups: None,
        };
        let err = plan_grant(
            &ScopeTable::jupyterhub(),
            "alice",
            Some("x"),
            Some(&body),
            &without,
            &World,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Do not have permission to grant share with scope access:servers!server=alice/x"
        );
    }

    #[test]
    fn grant_accidental_500s() {
        let (status, message) =
            status_and_message(grant_as(SHARER, Some(""), json!({"user": "", "group": ""})));
        assert_eq!(
            (status, message.as_deref()),
            (500, Some("Internal Server Error"))
        );
        let err =
            grant_as(SHARER, Some(""), json!({"user": "bob", "scopes": ["nope"]})).unwrap_err();
        assert_eq!(err.status(), 500);
        assert_eq!(err.to_string(), "Scope 'nope' for share does not exist");
        assert_eq!(
            grant_as(SHARER, Some(""), json!([1])).unwrap_err().status(),
            500
        );
    }

    fn revoke_plan(server: Option<&str>, body: Value) -> Result<RevokePlan, ApiError> {
        plan_revoke(
            &ScopeTable::jupyterhub(),
            "alice",
            server,
            Some(&body),
            &World,
        )
    }

    #[test]
    fn revoke_plans() {
        assert_eq!(
            revoke_plan(Some(""), json!({"user": "nosuchuser"})),
            Ok(RevokePlan::UnknownRecipient {
                recipient: Recipient::User("nosuchuser".into())
            })
        );
        assert_eq!(
            revoke_plan(Some(""), json!({"group": "g2", "scopes": []})),
            Ok(RevokePlan::Revoke {
                server: SharedServer::new("alice", ""),
                recipient: Recipient::Group("g2".into()),
                scopes: None,
            })
        );
        let plan = revoke_plan(
            Some("x"),
            json!({"user": "dave", "scopes": ["read:servers!server=alice/x"]}),
        )
        .unwrap();
        let existing = GrantPlan {
            server: SharedServer::new("alice", "x"),
            recipient: Recipient::User("dave".into()),
            scopes: [
                "access:servers!server=alice/x",
                "read:servers!server=alice/x",
            ]
            .iter()
            .map(Scope::lenient)
            .collect(),
        }
        .apply(None, Timestamp::UNIX_EPOCH)
        .unwrap()
        .share;
        let left = plan.apply(Some(existing)).into_remaining().unwrap();
        assert_eq!(
            left.scopes.texts().collect::<Vec<_>>(),
            ["access:servers!server=alice/x"]
        );
        assert_eq!(
            RevokePlan::UnknownRecipient {
                recipient: Recipient::Group("g".into())
            }
            .apply(Some(left)),
            Revocation::NoShare
        );
        assert_eq!(revoke_plan(Some(""), json!({})).unwrap_err().status(), 400);
        assert_eq!(
            status_and_message(revoke_plan(Some("zz"), json!({"user": "bob"}))),
            (404, Some("No such server: alice/zz".into()))
        );
        assert_eq!(revoke_plan(None, json!({})).unwrap_err().status(), 405);
        assert_eq!(
            revoke_plan(Some(""), json!({"user": ""})).unwrap_err(),
            ApiError::NoRecipient
        );
    }

    fn code_plan(have: &[&str], server: Option<&str>, body: Value) -> Result<CodePlan, ApiError> {
        let scopes = parsed(have);
        let requester = Requester {
            scopes: &scopes,
            groups: None,
        };
        plan_share_code(
            &ScopeTable::jupyterhub(),
            "alice",
            server,
            Some(&body),
            &requester,
            &World,
        )
    }

    #[test]
    fn share_code_plans() {
        let plan = code_plan(&["shares"], Some(""), json!({})).unwrap();
        assert_eq!(plan.expires_in, 86_400);
        assert_eq!(
            plan.scopes.texts().collect::<Vec<_>>(),
            ["access:servers!server=alice/"]
        );
        let code = plan
            .issue(Timestamp::UNIX_EPOCH, CodeIdentity::new(7, "abcdefgh", "h"))
            .unwrap();
        assert_eq!(code.api_id(), "sc_7");
        assert_eq!(code.expires_at, Timestamp::from_unix_seconds(86_400).ok());
        // permissions before the server lookup
        assert_eq!(
            status_and_message(code_plan(
                &["shares", "access:servers"],
                Some("nope"),
                json!({"scopes": ["admin:servers"]})
            )),
            (
                403,
                Some("Do not have permission to grant share with scope admin:servers!server=alice/nope".into())
            )
        );
        assert_eq!(
            code_plan(&["shares"], Some("nope"), json!({}))
                .unwrap_err()
                .status(),
            404
        );
        let (status, message) =
            status_and_message(code_plan(&["shares"], Some(""), json!({"expires_in": 10})));
        assert_eq!(status, 400);
        assert!(message.unwrap().contains("greater than or equal to 60"));
        assert_eq!(
            code_plan(&["shares"], None, json!({})).unwrap_err(),
            ApiError::MethodNotAllowed
        );
    }

    #[test]
    fn delete_code_selection() {
        let select = |code: Option<&str>, id: Option<&str>| {
            plan_delete_codes("alice", Some(""), code, id, &World).map(|(_, s)| s)
        };
        assert_eq!(select(None, None), Ok(CodeSelection::All));
        assert_eq!(select(Some(""), Some("")), Ok(CodeSelection::All));
        assert_eq!(
            select(Some("secret"), Some("sc_1")),
            Ok(CodeSelection::ByCode("secret".into()))
        );
        assert_eq!(
            select(Some(""), Some("sc_12abc")),
            Ok(CodeSelection::ById {
                id: 12,
                text: "sc_12abc".into()
            })
        );
        for bad in ["invalid", "sc_", "12", "SC_1", "sc_99999999999999999999999"] {
            let err = select(None, Some(bad)).unwrap_err();
            assert_eq!(
                (err.status(), err.to_string()),
                (404, format!("No code found matching id={bad}"))
            );
        }
        assert_eq!(
            plan_delete_codes("nosuch", Some(""), None, None, &World)
                .unwrap_err()
                .to_string(),
            "No such server: nosuch/"
        );
        assert_eq!(
            ApiError::NoMatchingCode.message().as_deref(),
            Some("No matching code found")
        );
    }

    #[test]
    fn delete_all_shares() {
        assert_eq!(
            plan_delete_shares("bob", Some(""), &World),
            Ok(SharedServer::new("bob", ""))
        );
        assert_eq!(
            plan_delete_shares("bob", None, &World),
            Err(ApiError::MethodNotAllowed)
        );
    }

    #[test]
    fn listings() {
        assert_eq!(
            plan_server_listing("alice", None, &World),
            Ok(Listing::Owner("alice".into()))
        );
        assert_eq!(
            status_and_message(plan_server_listing("nosuchuser", None, &World)),
            (404, None)
        );
        assert_eq!(
            status_and_message(plan_server_listing("alice", Some("nosuchserver"), &World)),
            (404, Some("No such server: alice/nosuchserver".into()))
        );
        assert_eq!(
            plan_received_listing(&Recipient::Group("g3".into()), &World),
            Ok(Listing::Group("g3".into()))
        );
        assert_eq!(
            status_and_message(plan_received_listing(
                &Recipient::User("notfound".into()),
                &World
            )),
            (404, Some("No such user: notfound".into()))
        );
        assert_eq!(
            status_and_message(plan_received_listing(
                &Recipient::Group("notfound".into()),
                &World
            )),
            (404, Some("No such group: notfound".into()))
        );
    }

    #[test]
    fn received_share_lookup() {
        let server = SharedServer::new("alice", "");
        let share = GrantPlan {
            server: server.clone(),
            recipient: Recipient::User("bob".into()),
            scopes: ScopeSet::from([server.access_scope()]),
        }
        .apply(None, Timestamp::UNIX_EPOCH)
        .unwrap()
        .share;
        let bob = Recipient::User("bob".into());
        assert_eq!(
            find_received_share(&bob, &server, &World, || Some(share.clone())),
            Ok(share.clone())
        );
        assert_eq!(
            find_received_share(&bob, &server, &World, || None)
                .unwrap_err()
                .to_string(),
            "No such share for user bob on alice/"
        );
        let nobody = Recipient::User("nosuchusers".into());
        assert_eq!(
            find_received_share(&nobody, &server, &World, || unreachable!())
                .unwrap_err()
                .to_string(),
            "No such share for user nosuchusers on alice/"
        );
        let no_owner = SharedServer::new("nosuchname", "");
        assert_eq!(
            find_received_share(
                &Recipient::Group("g1".into()),
                &no_owner,
                &World,
                || unreachable!()
            )
            .unwrap_err()
            .to_string(),
            "No such share for group g1 on nosuchname/"
        );
        assert_eq!(
            find_received_share(
                &Recipient::Group("nosuchgroups".into()),
                &server,
                &World,
                || unreachable!()
            )
            .unwrap_err()
            .to_string(),
            "No such group: nosuchgroups"
        );
    }

    #[test]
    fn accept_page() {
        let code = ShareCode::create(
            SharedServer::new("alice", ""),
            &[],
            Some(60),
            Timestamp::UNIX_EPOCH,
            CodeIdentity::new(1, "abcdefgh", "h"),
        )
        .unwrap();
        let t = |s| Timestamp::from_unix_seconds(s).unwrap();
        assert_eq!(
            check_accept(AcceptPage::Post, "abcdefgh", Some(&code), "bob", t(60)),
            Ok(())
        );
        let get = check_accept(AcceptPage::Get, "x", None, "bob", t(0)).unwrap_err();
        assert_eq!(
            (get.status(), get.to_string()),
            (404, "Share not found or expired".into())
        );
        let post = check_accept(AcceptPage::Post, "x", Some(&code), "bob", t(61)).unwrap_err();
        assert_eq!(
            (post.status(), post.to_string()),
            (400, "Invalid share code: x".into())
        );
        let own =
            check_accept(AcceptPage::Get, "abcdefgh", Some(&code), "alice", t(0)).unwrap_err();
        assert_eq!(
            (own.status(), own.to_string()),
            (403, "You can't share with yourself!".into())
        );
        let own =
            check_accept(AcceptPage::Post, "abcdefgh", Some(&code), "alice", t(0)).unwrap_err();
        assert_eq!(own.status(), 400);
    }

    #[test]
    fn endpoints() {
        let table: Vec<(&str, &str, &str)> = Endpoint::ALL
            .iter()
            .map(|e| (e.method(), e.path(), e.required_scope()))
            .collect();
        assert_eq!(table.len(), 15);
        assert!(table.contains(&("POST", "/shares/:owner/:server", "shares")));
        assert!(table.contains(&(
            "DELETE",
            "/users/:user/shared/:owner/:server",
            "users:shares"
        )));
        assert!(table.contains(&("GET", "/groups/:group/shared", "read:groups:shares")));
        assert!(table.contains(&("GET", "/share-codes/:owner", "read:shares")));
        for endpoint in Endpoint::ALL {
            assert!(ScopeTable::jupyterhub().contains(endpoint.required_scope()));
        }
    }
}
