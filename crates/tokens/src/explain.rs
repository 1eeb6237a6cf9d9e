//! The whole chain behind a request's access decision: which token it was, which roles its
//! owner has and what each contributed, what the token's own scopes were, what meeting the two
//! kept and dropped, why the request was allowed or denied, and the smallest change that
//! would allow it. This is the answer to "Action is not authorized with current scopes;
//! requires any of [...]": JupyterHub's message stays as it is, this comes beside it.

use std::fmt::Write;

use roles::{Holder, Role, role_scopes};
use scopes::{
    ClientTarget, Decision, GroupMembership, OAuthClient, Owner, ParsedScopes, Requirement, Scope,
    ScopeSet, ScopeTable, decide,
};
use serde::Serialize;

use crate::token_scopes::{TokenFacts, TokenScopeError, effective_scopes};

/// What kind of token made a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind<'a> {
    /// A single-user server's own token (`$JUPYTERHUB_API_TOKEN`), whose scopes come from
    /// `Spawner.server_token_scopes` or the `server` role.
    Server {
        /// The server name (`""` for the default server).
        server: &'a str,
    },
    /// A browser (OAuth) token that a server or service obtained for its user.
    OAuth,
    /// An API token from /hub/token or the REST API.
    Api,
}

/// How an owner came to have a role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleSource<'a> {
    /// Assigned to the owner.
    Direct,
    /// Assigned to a group the owner is in.
    Group(&'a str),
}

/// A role of the token's owner, and how the owner has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeldRole<'a> {
    /// The role.
    pub role: &'a Role,
    /// How the owner has it.
    pub source: RoleSource<'a>,
}

/// Everything that decides a token's request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestFacts<'a> {
    /// The token's owner.
    pub owner: Owner<'a>,
    /// The owner's roles.
    pub roles: Vec<HeldRole<'a>>,
    /// For a user owner: the stored scopes of shares given to that user directly.
    pub direct_share_scopes: Vec<&'a [Scope]>,
    /// The kind of token.
    pub kind: TokenKind<'a>,
    /// The token's stored scopes.
    pub token_scopes: &'a [Scope],
    /// The OAuth client that issued the token.
    pub client: OAuthClient<'a>,
    /// What the request requires.
    pub requirement: Requirement<'a>,
}

/// One role's part in the owner's scopes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoleContribution {
    /// The role name.
    pub role: String,
    /// `direct` or `group NAME`.
    pub via: String,
    /// The role's raw scopes.
    pub raw: Vec<String>,
    /// What they expand to for this owner.
    pub expanded: Vec<String>,
}

/// The whole chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Chain {
    /// `server token`, `OAuth token` or `API token`.
    pub token_kind: String,
    /// The issuing OAuth client.
    pub client: String,
    /// The token's stored scopes.
    pub token_scopes: Vec<String>,
    /// Whether the token holds `inherit` (then it has exactly its owner's scopes).
    pub inherits: bool,
    /// The owner, as `user NAME` or `service NAME`.
    pub owner: String,
    /// Each of the owner's roles and what it gave.
    pub roles: Vec<RoleContribution>,
    /// Everything the owner holds on the token's side of the meeting.
    pub owner_scopes: Vec<String>,
    /// The token's side: its expanded scopes, its client's access scope, identify scopes.
    pub token_side: Vec<String>,
    /// What the token may use: the meeting of both sides.
    pub kept: Vec<String>,
    /// Token scopes the owner does not hold, dropped.
    pub dropped: Vec<String>,
    /// The decision with the token's scopes (JupyterHub's status and message).
    pub decision: Decision,
    /// Whether the owner, with all of their scopes, would be allowed.
    pub owner_allowed: bool,
    /// What would allow the request, most direct first; empty when allowed.
    pub fixes: Vec<String>,
}

impl Chain {
    /// The chain as plain text for people (logs, `hubctl`).
    pub fn text(&self) -> String {
        let mut out = String::new();
        let verdict = match &self.decision.message {
            None => "allowed".to_owned(),
            Some(message) => format!("denied ({}): {message}", self.decision.status),
        };
        let _ = writeln!(out, "{verdict}");
        let _ = writeln!(
            out,
            "token: {} of {} (client {}), stored scopes [{}]",
            self.token_kind,
            self.owner,
            self.client,
            self.token_scopes.join(", ")
        );
        for role in &self.roles {
            let _ = writeln!(
                out,
                "role `{}` ({}): [{}] -> {} scopes",
                role.role,
                role.via,
                role.raw.join(", "),
                role.expanded.len()
            );
        }
        if self.inherits {
            let _ = writeln!(out, "the token inherits all of its owner's scopes");
        } else {
            let _ = writeln!(out, "kept: [{}]", self.kept.join(", "));
            if !self.dropped.is_empty() {
                let _ = writeln!(
                    out,
                    "dropped (the owner does not hold them): [{}]",
                    self.dropped.join(", ")
                );
            }
        }
        for fix in &self.fixes {
            let _ = writeln!(out, "fix: {fix}");
        }
        out
    }
}

/// Builds the chain for one request.
pub fn explain(
    table: &ScopeTable,
    facts: &RequestFacts<'_>,
    groups: Option<&dyn GroupMembership>,
) -> Result<Chain, TokenScopeError> {
    let holder = match facts.owner {
        Owner::User(name) => Holder::User(name),
        Owner::Service(name) => Holder::Service(name),
    };
    let mut contributions = Vec::new();
    for held in &facts.roles {
        let expanded = role_scopes(table, holder, &[held.role])?;
        contributions.push(RoleContribution {
            role: held.role.name.clone(),
            via: match held.source {
                RoleSource::Direct => "direct".to_owned(),
                RoleSource::Group(group) => format!("group {group}"),
            },
            raw: held.role.scopes.clone(),
            expanded: texts(&expanded.scopes),
        });
    }
    let role_list: Vec<&Role> = facts.roles.iter().map(|held| held.role).collect();
    let owner_role_scopes = role_scopes(table, holder, &role_list)?.scopes;
    let effective = effective_scopes(
        table,
        &TokenFacts {
            owner: facts.owner,
            owner_role_scopes: &owner_role_scopes,
            direct_share_scopes: facts.direct_share_scopes.clone(),
            token_scopes: facts.token_scopes,
            client: facts.client,
        },
        groups,
    )?;
    let decide_with = |scopes: &ScopeSet| -> Result<Decision, TokenScopeError> {
        let parsed = ParsedScopes::from_set(scopes.clone())?;
        Ok(decide(table, Some(&parsed), &facts.requirement, groups)?)
    };
    let decision = decide_with(&effective.scopes)?;
    let owner_allowed = decide_with(&effective.owner_side)?.is_allowed();
    let fixes = if decision.is_allowed() {
        Vec::new()
    } else {
        fixes(facts, &decision, owner_allowed)
    };
    Ok(Chain {
        token_kind: match facts.kind {
            TokenKind::Server { .. } => "server token",
            TokenKind::OAuth => "OAuth token",
            TokenKind::Api => "API token",
        }
        .to_owned(),
        client: facts.client.identifier.to_owned(),
        token_scopes: facts
            .token_scopes
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        inherits: effective.inherits,
        owner: match facts.owner {
            Owner::User(name) => format!("user {name}"),
            Owner::Service(name) => format!("service {name}"),
        },
        roles: contributions,
        owner_scopes: texts(&effective.owner_side),
        token_side: texts(&effective.token_side),
        kept: texts(&effective.scopes),
        dropped: texts(&effective.discarded),
        decision,
        owner_allowed,
        fixes,
    })
}

/// The changes that would allow a denied request.
fn fixes(facts: &RequestFacts<'_>, decision: &Decision, owner_allowed: bool) -> Vec<String> {
    let required = match &decision.explanation {
        scopes::Explanation::Denied { fix, .. } => fix.add.as_str().to_owned(),
        _ => return Vec::new(),
    };
    let base = required.split('!').next().unwrap_or_default().to_owned();
    let owner = match facts.owner {
        Owner::User(name) => format!("user `{name}`"),
        Owner::Service(name) => format!("service `{name}`"),
    };
    let mut out = Vec::new();
    if !owner_allowed {
        out.push(format!(
            "{owner} does not hold `{required}` (nor a broader scope): add it to a role of \
             theirs in `load_roles`; a token can never exceed its owner"
        ));
    }
    match facts.kind {
        TokenKind::Server { server } => {
            let in_role = server_role_scope(facts, &base, &required, server);
            out.push(format!(
                "this is the server's own token ($JUPYTERHUB_API_TOKEN), governed by the \
                 `server` role: add `{in_role}` to that role's scopes (or to \
                 `Spawner.server_token_scopes`) and restart the server, or use a token from \
                 /hub/token, which inherits your permissions"
            ));
        }
        TokenKind::OAuth => {
            let client = match facts.client.target {
                ClientTarget::Server { user, server } => format!("the server {user}/{server}"),
                ClientTarget::Service(name) => format!("the service {name}"),
                ClientTarget::Hub => "the hub".to_owned(),
            };
            out.push(format!(
                "this is an OAuth token that {client} obtained at login (client `{}`): add \
                 `{required}` to the scopes it may request (`Spawner.oauth_client_allowed_scopes` \
                 for a server, `oauth_client_allowed_scopes` of the service) and log in again",
                facts.client.identifier
            ));
        }
        TokenKind::Api if owner_allowed => {
            out.push(format!(
                "this API token was created with scopes [{}]: create one with `{required}` \
                 (or with `inherit`, the default at /hub/token, for all of {owner}'s \
                 permissions)",
                facts
                    .token_scopes
                    .iter()
                    .map(Scope::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        TokenKind::Api => {}
    }
    out
}

/// The scope to write in the `server` role for `required`: with a bare filter when the
/// requirement is on this very server or its owner, as written otherwise.
fn server_role_scope(facts: &RequestFacts<'_>, base: &str, required: &str, server: &str) -> String {
    let Some(target) = &facts.requirement.target else {
        return required.to_owned();
    };
    match (target.kind, facts.owner) {
        ("server", Owner::User(user)) if target.value == format!("{user}/{server}") => {
            format!("{base}!server")
        }
        ("user", Owner::User(user)) if target.value == user => format!("{base}!user"),
        _ => required.to_owned(),
    }
}

/// How two tokens of one owner differ in what they may do: the classic "why does
/// `$JUPYTERHUB_API_TOKEN` not do what my token from /hub/token does?".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// What only the first token may do.
    pub only_first: Vec<String>,
    /// What only the second token may do.
    pub only_second: Vec<String>,
    /// The reason, in one sentence per token.
    pub text: String,
}

/// Compares what two tokens may do (their kept scopes) and says where each one's limits come
/// from.
pub fn compare(first: &Chain, second: &Chain) -> Comparison {
    let only = |a: &Chain, b: &Chain| -> Vec<String> {
        a.kept
            .iter()
            .filter(|scope| !b.kept.contains(scope))
            .cloned()
            .collect()
    };
    let source = |chain: &Chain| match (chain.token_kind.as_str(), chain.inherits) {
        (_, true) => format!(
            "the {} holds `inherit`: everything {} may do",
            chain.token_kind, chain.owner
        ),
        ("server token", false) => format!(
            "the server token has the `server` role's scopes (or `Spawner.server_token_scopes`),              [{}], met with what {} may do",
            chain.token_scopes.join(", "),
            chain.owner
        ),
        (kind, false) => format!(
            "the {kind} (client `{}`) has its own scopes, [{}], met with what {} may do",
            chain.client,
            chain.token_scopes.join(", "),
            chain.owner
        ),
    };
    Comparison {
        only_first: only(first, second),
        only_second: only(second, first),
        text: format!("{}; {}.", source(first), source(second)),
    }
}

fn texts(set: &ScopeSet) -> Vec<String> {
    set.texts().map(str::to_owned).collect()
}
