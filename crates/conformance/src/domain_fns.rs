//! The role, token and sharing `fn`s of FORMAT.md §5 (§5.2, §5.13, §5.16, §5.19–§5.29), on
//! the `roles`, `tokens` and `sharing` crates, with the state they share through a file
//! (shares persist; FORMAT.md §4).

use roles::{
    Holder, HolderFacts, ReceivedShare, Role, RoleStore, create_role, default_roles, role_scopes,
    scopes_for, scopes_for_warning_into, validate_role_name,
};
use scopes::{OAuthClient, Owner, Scope, Warning};
use serde_json::{Value, json};
use sharing::{Recipient, Share, ShareCode};
use tokens::{
    TokenFacts, TokenRequest, check_token_scopes, effective_scopes, issue_token,
    resolve_requested_scopes,
};

use crate::error::RunError;
use crate::normalize::{Outcome, set_json};
use crate::scope_fns::{Call, State, field, scope_list, scope_set, str_input, strings};
use crate::share_fns::share_apply_filter;
use crate::world::World;

/// What the domain `fn`s of one file share.
#[derive(Clone, Debug, Default)]
pub struct Domain {
    /// The roles of the world.
    pub roles: RoleStore,
    /// The shares created so far.
    pub shares: Vec<Share>,
    /// The share code made by the last `ShareCode.new`.
    pub code: Option<ShareCode>,
    /// The id the next share code gets.
    pub next_code_id: u64,
}

impl Domain {
    /// The state at the start of a file: the world's roles, no shares.
    pub fn from_world(world: &World) -> Domain {
        Domain {
            roles: world
                .roles
                .iter()
                .map(|(name, role)| Role {
                    name: name.clone(),
                    description: None,
                    scopes: role.scopes.clone(),
                })
                .collect(),
            shares: Vec::new(),
            code: None,
            next_code_id: 1,
        }
    }
}

impl State<'_> {
    /// Runs a domain `fn`; `None` if `fn` is not one of them.
    pub fn run_domain(
        &mut self,
        function: &str,
        call: &Call<'_>,
    ) -> Option<Result<Outcome, RunError>> {
        let result = match function {
            "roles.get_default_roles" => Ok(Outcome::plain(json!(
                default_roles()
                    .into_iter()
                    .map(|role| json!({
                        "name": role.name,
                        "description": role.description,
                        "scopes": role.scopes,
                    }))
                    .collect::<Vec<_>>()
            ))),
            "roles._validate_role_name" => str_input(call.input).map(|name| {
                Outcome::plain(match validate_role_name(name) {
                    Ok(()) => Value::Bool(true),
                    Err(e) => error_json("InvalidNameError", &e),
                })
            }),
            "roles.create_role" => self.create_role(call.input),
            "get_scopes_for" => self.get_scopes_for(call.owner),
            "get_scopes_for(token)" => self.token_scopes(call),
            "_check_token_scopes" => self.check_token_scopes(call),
            "_resolve_requested_scopes" => self.resolve_requested(call),
            "APIToken.new" => self.new_token(call),
            "Share.grant" => self.share_grant(call.input),
            "expand_share_scopes" => self.expand_share(call.input),
            "Share.apply_filter" => share_apply_filter(call.input),
            "Share.revoke" => self.share_revoke(call.input),
            "ShareCode.new" => self.share_code_new(call.input),
            "ShareCode.exchange" => self.share_code_exchange(call.input),
            _ => return None,
        };
        Some(result)
    }

    fn create_role(&mut self, input: &Value) -> Result<Outcome, RunError> {
        let definition = input
            .as_object()
            .ok_or_else(|| RunError::bad_input("input must be a role definition object"))?;
        // The generator rolls the database back after these vectors: work on a copy.
        let mut roles = self.domain.roles.clone();
        Ok(Outcome::plain(
            match create_role(&mut roles, &self.table, definition, true) {
                Ok(_) => Value::Null,
                Err(e) => error_json(e.class(), &e),
            },
        ))
    }

    fn get_scopes_for(&self, owner: &Value) -> Result<Outcome, RunError> {
        let (kind, name) = owner_parts(owner)?;
        let facts = self.holder_facts(kind, name)?;
        Ok(match scopes_for(&self.table, &facts) {
            Ok(held) => Outcome::warned(set_json(&held.scopes), &held.warnings),
            Err(e) => Outcome::plain(error_json(e.class().as_str(), &e)),
        })
    }

    fn owner_of<'s>(&'s self, owner: &'s Value) -> Result<(Owner<'s>, HolderFacts<'s>), RunError> {
        let (kind, name) = owner_parts(owner)?;
        let facts = self.holder_facts(kind, name)?;
        let owner = match facts.holder {
            Holder::User(name) => Owner::User(name),
            Holder::Service(name) => Owner::Service(name),
            Holder::Group(_) => {
                return Err(RunError::bad_input("a token owner is a user or service"));
            }
        };
        Ok((owner, facts))
    }

    fn token_scopes(&self, call: &Call<'_>) -> Result<Outcome, RunError> {
        let stored = scope_list(field(call.input, "token_scopes")?)?;
        // `null` marks a token of the hub's own client whose scopes were written directly.
        let client = self
            .world
            .client(field(call.input, "oauth_client")?)?
            .unwrap_or(OAuthClient::HUB);
        let (owner, facts) = self.owner_of(call.owner)?;
        let (role_scopes, mut warnings) = match role_scopes(&self.table, facts.holder, &facts.roles)
        {
            Ok(expansion) => (expansion.scopes, expansion.warnings),
            Err(e) => return Ok(Outcome::plain(error_json(e.class().as_str(), &e))),
        };
        let direct: Vec<&[Scope]> = self
            .domain
            .shares
            .iter()
            .filter(|share| {
                matches!((&share.recipient, owner), (Recipient::User(u), Owner::User(o)) if u == o)
            })
            .map(|share| share.scopes.as_slice())
            .collect();
        let token = TokenFacts {
            owner,
            owner_role_scopes: &role_scopes,
            direct_share_scopes: direct,
            token_scopes: &stored,
            client,
        };
        Ok(
            match effective_scopes(&self.table, &token, Some(self.world)) {
                Ok(got) => {
                    // The owner's role scopes are computed inside JupyterHub's call.
                    warnings.extend(got.warnings);
                    Outcome::warned(set_json(&got.scopes), &warnings)
                }
                Err(e) => Outcome::plain(error_json(e.class().as_str(), &e)),
            },
        )
    }

    fn check_token_scopes(&self, call: &Call<'_>) -> Result<Outcome, RunError> {
        let requested = scope_list(call.input)?;
        let client = self.world.client(call.oauth_client)?;
        let (owner, facts) = self.owner_of(call.owner)?;
        let held =
            |warnings: &mut Vec<Warning>| scopes_for_warning_into(&self.table, &facts, warnings);
        let (verdict, warnings) = check_token_scopes(
            &self.table,
            &requested,
            owner,
            held,
            client,
            Some(self.world),
        );
        Ok(match verdict {
            Ok(()) => Outcome::warned(Value::Null, &warnings),
            Err(e) => Outcome::warned(error_json(e.class().as_str(), &e), &warnings),
        })
    }

    fn resolve_requested(&self, call: &Call<'_>) -> Result<Outcome, RunError> {
        let requested = scope_list(field(call.input, "requested")?)?;
        let have = scope_set(field(call.input, "have")?)?;
        let client = self.world.client(call.oauth_client)?;
        let (owner, _) = self.owner_of(call.owner)?;
        let Owner::User(user) = owner else {
            return Err(RunError::bad_input(
                "the owner of _resolve_requested_scopes is a user",
            ));
        };
        let (resolved, warnings) = resolve_requested_scopes(
            &self.table,
            &requested,
            &have,
            user,
            client,
            Some(self.world),
        );
        Ok(match resolved {
            Ok(got) => Outcome::warned(
                json!([set_json(&got.allowed), set_json(&got.disallowed)]),
                &warnings,
            ),
            Err(e) => Outcome::warned(error_json(e.class().as_str(), &e), &warnings),
        })
    }

    /// `APIToken.new`: only failures are recorded.
    fn new_token(&self, call: &Call<'_>) -> Result<Outcome, RunError> {
        let input = call.input;
        let scopes = input.get("scopes").map(strings).transpose()?;
        let roles = input.get("roles").map(strings).transpose()?;
        let request = TokenRequest {
            scopes: scopes.as_deref(),
            roles: roles.as_deref(),
            expires_in: input.get("expires_in"),
        };
        let client = match input.get("oauth_client") {
            Some(descriptor) => self.world.client(descriptor)?.unwrap_or(OAuthClient::HUB),
            None => OAuthClient::HUB,
        };
        let (owner, facts) = self.owner_of(call.owner)?;
        let held =
            |warnings: &mut Vec<Warning>| scopes_for_warning_into(&self.table, &facts, warnings);
        match issue_token(
            &self.table,
            &self.domain.roles,
            &request,
            owner,
            held,
            client,
            Some(self.world),
        ) {
            Err(e) => Ok(Outcome::plain(error_json(e.python_class(), &e))),
            Ok(_) => Err(RunError::bad_input(
                "APIToken.new vectors record failures, and hubcap created this token",
            )),
        }
    }

    /// The roles and received shares of a world user or service.
    pub(crate) fn holder_facts<'s>(
        &'s self,
        kind: &str,
        name: &'s str,
    ) -> Result<HolderFacts<'s>, RunError> {
        let world = self.world;
        let (holder, role_names, groups): (Holder<'s>, Vec<&str>, Vec<&str>) = match kind {
            "user" => {
                let user = world.users.get(name).ok_or_else(|| unknown(kind, name))?;
                let groups: Vec<&str> = user.groups.iter().map(String::as_str).collect();
                let mut names: Vec<&str> = user.roles.iter().map(String::as_str).collect();
                for group in &groups {
                    if let Some(g) = world.groups.get(*group) {
                        names.extend(g.roles.iter().map(String::as_str));
                    }
                }
                (Holder::User(name), names, groups)
            }
            "service" => {
                let service = world
                    .services
                    .get(name)
                    .ok_or_else(|| unknown(kind, name))?;
                let names = service.roles.iter().map(String::as_str).collect();
                (Holder::Service(name), names, Vec::new())
            }
            _ => return Err(unknown(kind, name)),
        };
        let roles = role_names
            .iter()
            .map(|role| {
                self.domain.roles.get(role).ok_or_else(|| {
                    RunError::bad_input(format!("role `{role}` is not in the world"))
                })
            })
            .collect::<Result<Vec<&Role>, RunError>>()?;
        let mut shares = Vec::new();
        if kind == "user" {
            for share in &self.domain.shares {
                let with = match &share.recipient {
                    Recipient::User(user) if user == name => Holder::User(user),
                    Recipient::Group(group) if groups.contains(&group.as_str()) => {
                        Holder::Group(group)
                    }
                    _ => continue,
                };
                shares.push(ReceivedShare {
                    scopes: share.scopes.as_slice(),
                    with,
                    client: self.server_share_client(share),
                });
            }
        }
        Ok(HolderFacts {
            holder,
            roles,
            shares,
        })
    }

    /// The OAuth client of a shared server, if the world gives it one.
    pub(crate) fn server_share_client<'s>(&'s self, share: &'s Share) -> Option<OAuthClient<'s>> {
        self.world
            .server_client(&share.server.owner, &share.server.name)
    }
}

fn unknown(kind: &str, name: &str) -> RunError {
    RunError::bad_input(format!("{kind} `{name}` is not in the world"))
}

/// `(kind, name)` of an owner descriptor.
pub(crate) fn owner_parts(owner: &Value) -> Result<(&str, &str), RunError> {
    match (
        owner.get("kind").and_then(Value::as_str),
        owner.get("name").and_then(Value::as_str),
    ) {
        (Some(kind), Some(name)) => Ok((kind, name)),
        _ => Err(RunError::bad_input(format!(
            "owner {owner} must be {{\"kind\": ..., \"name\": ...}}"
        ))),
    }
}

/// `{"error": CLASS, "message": MESSAGE}` for an error of a domain crate.
pub(crate) fn error_json(class: &str, error: &impl std::fmt::Display) -> Value {
    json!({"error": class, "message": error.to_string()})
}
