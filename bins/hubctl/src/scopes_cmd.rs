//! `hubctl scopes`: expand, check and describe scopes from the command line, with human output
//! or `--json` for scripts. Arguments are validated first (strict grammar, existence in the
//! table, did-you-mean), then the command runs on the validated values.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use scopes::{
    ClientTarget, Decision, Explanation, GroupMembership, OAuthClient, Owner, ParsedScopes,
    Requirement, Scope, ScopeTable, Target, Warning, decide,
};
use serde_json::json;

#[derive(Subcommand)]
pub enum ScopesArgs {
    /// Expand raw scopes (a role's or a token's) into what they grant.
    Expand(ExpandArgs),
    /// Decide whether held scopes allow a required scope on a resource, and explain why.
    Check(CheckArgs),
    /// Describe scopes: the whole table, or the given raw scopes as a consent page shows them.
    Describe(DescribeArgs),
}

#[derive(Args)]
pub struct ExpandArgs {
    /// Raw scopes, e.g. `self` `read:users!group=teachers` `servers!user`.
    #[arg(required = true)]
    scopes: Vec<String>,
    /// Who holds them: `user:NAME` or `service:NAME` (resolves `self` and bare `!user`/`!service`).
    #[arg(long)]
    owner: Option<String>,
    /// The OAuth client that issued the token: `server:USER/NAME`, `service:NAME` or `hub`
    /// (resolves bare `!server` and `!service`).
    #[arg(long)]
    client: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct CheckArgs {
    /// Scopes the caller holds (raw or expanded; they are expanded with --owner).
    #[arg(long, num_args = 1.., required = true)]
    have: Vec<String>,
    /// The scope the request needs; repeat for "any of" (in the endpoint's order).
    #[arg(long, required = true)]
    need: Vec<String>,
    /// The resource: `user:NAME`, `server:USER/NAME` (`server:alice/` is the default server),
    /// `group:NAME` or `service:NAME`. Without it the check is unfiltered (e.g. `POST /users`).
    #[arg(long)]
    resource: Option<String>,
    /// The caller: `user:NAME` or `service:NAME`.
    #[arg(long)]
    owner: Option<String>,
    /// A group membership `USER:GROUP`, for `!group=` filters; repeat as needed.
    #[arg(long = "member")]
    members: Vec<String>,
    /// The endpoint filters its results itself (list endpoints: GET /users, /groups, /services).
    #[arg(long)]
    post_filter: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct DescribeArgs {
    /// Raw scopes to describe; none lists the whole table.
    scopes: Vec<String>,
    /// The person reading (`!user=NAME` then reads "only you").
    #[arg(long)]
    user: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: ScopesArgs) -> Result<ExitCode> {
    let table = ScopeTable::jupyterhub();
    match args {
        ScopesArgs::Expand(args) => expand(&table, args),
        ScopesArgs::Check(args) => check(&table, args),
        ScopesArgs::Describe(args) => describe(&table, args),
    }
}

/// Parses scopes a person typed: the strict grammar, then the table, with did-you-mean.
fn validated(table: &ScopeTable, texts: &[String], flag: &str) -> Result<Vec<Scope>> {
    texts
        .iter()
        .map(|text| {
            let scope = Scope::parse(text)?;
            table
                .check_exist([text.as_str()], Some(flag))
                .map_err(|e| match e.help() {
                    Some(help) => anyhow!("{e}\n  help: {help}"),
                    None => anyhow!("{e}"),
                })?;
            Ok(scope)
        })
        .collect()
}

fn owner(text: &str) -> Result<Owner<'_>> {
    match text.split_once(':') {
        Some(("user", name)) if !name.is_empty() => Ok(Owner::User(name)),
        Some(("service", name)) if !name.is_empty() => Ok(Owner::Service(name)),
        _ => bail!("invalid owner `{text}`: write `user:NAME` or `service:NAME`"),
    }
}

fn client(text: &str) -> Result<OAuthClient<'_>> {
    if text == "hub" {
        return Ok(OAuthClient::HUB);
    }
    match text.split_once(':') {
        Some(("server", server)) => match server.split_once('/') {
            Some((user, name)) if !user.is_empty() => Ok(OAuthClient {
                identifier: text,
                target: ClientTarget::Server { user, server: name },
            }),
            _ => bail!(
                "invalid client `{text}`: write `server:USER/NAME` (`server:alice/` for the default server)"
            ),
        },
        Some(("service", name)) if !name.is_empty() => Ok(OAuthClient {
            identifier: text,
            target: ClientTarget::Service(name),
        }),
        _ => bail!("invalid client `{text}`: write `hub`, `server:USER/NAME` or `service:NAME`"),
    }
}

fn target(text: &str) -> Result<Target<'_>> {
    let bad = || {
        anyhow!(
            "invalid resource `{text}`: write `user:NAME`, `server:USER/NAME`, `group:NAME` or `service:NAME`"
        )
    };
    let (kind, name) = text.split_once(':').ok_or_else(bad)?;
    if name.is_empty() {
        return Err(bad());
    }
    match kind {
        "user" => Ok(Target::user(name)),
        "server" => {
            let (user, server) = name.split_once('/').ok_or_else(|| {
                anyhow!("invalid resource `{text}`: a server is `server:USER/NAME`; the default server is `server:{name}/`")
            })?;
            Ok(Target::server(user, server))
        }
        "group" => Ok(Target::group(name)),
        "service" => Ok(Target::service(name)),
        _ => Err(bad()),
    }
}

fn print_warnings(warnings: &[Warning]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}

fn expand(table: &ScopeTable, args: ExpandArgs) -> Result<ExitCode> {
    let raw = validated(table, &args.scopes, "expand")?;
    let owner = args.owner.as_deref().map(owner).transpose()?;
    let client = args.client.as_deref().map(client).transpose()?;
    let expansion = table.expand(&raw, owner, client).context("cannot expand")?;
    if args.json {
        let out = json!({"scopes": expansion.scopes, "warnings": expansion.warnings.iter().map(ToString::to_string).collect::<Vec<_>>()});
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_warnings(&expansion.warnings);
        for scope in &expansion.scopes {
            println!("{scope}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(table: &ScopeTable, args: CheckArgs) -> Result<ExitCode> {
    let have = validated(table, &args.have, "--have")?;
    let need = validated(table, &args.need, "--need")?;
    if let Some(filtered) = need.iter().find(|s| s.is_filtered()) {
        bail!("invalid --need `{filtered}`: give the bare scope and the resource with --resource");
    }
    let owner = args.owner.as_deref().map(owner).transpose()?;
    let target = args.resource.as_deref().map(target).transpose()?;
    let mut members = BTreeMap::<String, BTreeSet<String>>::new();
    for pair in &args.members {
        let (user, group) = pair
            .split_once(':')
            .filter(|(u, g)| !u.is_empty() && !g.is_empty())
            .ok_or_else(|| anyhow!("invalid --member `{pair}`: write `USER:GROUP`"))?;
        members
            .entry(user.to_owned())
            .or_default()
            .insert(group.to_owned());
    }
    let groups: Option<&dyn GroupMembership> = (!members.is_empty()).then_some(&members);

    let expansion = table
        .expand(&have, owner, None)
        .context("cannot expand --have")?;
    let parsed = ParsedScopes::parse(&expansion.scopes).context("cannot parse --have")?;
    let need: Vec<&str> = need.iter().map(Scope::as_str).collect();
    let requirement = Requirement {
        scopes: &need,
        target,
        post_filter: args.post_filter,
    };
    let decision = decide(table, Some(&parsed), &requirement, groups)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&decision)?);
    } else {
        print_warnings(&expansion.warnings);
        print!("{}", human(&decision));
    }
    Ok(if decision.is_allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The decision in a few lines for a person.
fn human(decision: &Decision) -> String {
    match &decision.explanation {
        Explanation::Allowed { required, grant } => format!(
            "allowed (200): `{required}` is granted by `{}` ({})\n",
            grant.held(),
            match grant {
                scopes::Grant::Unfiltered { .. } => "held without a filter".to_owned(),
                scopes::Grant::PostFilter { .. } =>
                    "held with a filter; the endpoint filters its results".to_owned(),
                scopes::Grant::Exact { .. } => "the same filter".to_owned(),
                scopes::Grant::ServerOwner { .. } => "the server's owner".to_owned(),
                scopes::Grant::Group { member, .. } =>
                    format!("`{member}` is a member of the group"),
            }
        ),
        Explanation::Unauthenticated { fix } => format!(
            "denied (403): {}\n  fix: {fix}\n",
            decision.message.as_deref().unwrap_or_default()
        ),
        Explanation::Denied {
            required,
            held_for_other_resources,
            fix,
        } => {
            let mut out = format!(
                "denied ({}): {}\n  required any of: {}\n",
                decision.status,
                decision.message.as_deref().unwrap_or_default(),
                required.join(", ")
            );
            if !held_for_other_resources.is_empty() {
                out.push_str(&format!(
                    "  held, for other resources only: {}\n",
                    held_for_other_resources.join(", ")
                ));
            }
            out.push_str(&format!("  fix: {}\n", fix.text));
            out
        }
    }
}

fn describe(table: &ScopeTable, args: DescribeArgs) -> Result<ExitCode> {
    if args.scopes.is_empty() {
        if args.json {
            let rows: Vec<_> = table
                .iter()
                .map(|d| json!({"scope": d.name(), "description": d.description(), "subscopes": d.subscopes()}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
        } else {
            for d in table.iter() {
                println!("{:<22} {}", d.name(), d.description());
                if !d.subscopes().is_empty() {
                    println!("{:<22}   includes: {}", "", d.subscopes().join(", "));
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    validated(table, &args.scopes, "describe")?;
    let descriptions =
        table.describe_raw(args.scopes.iter().map(String::as_str), args.user.as_deref())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&descriptions)?);
    } else {
        for d in &descriptions {
            let filter = if d.filter.is_empty() {
                String::new()
            } else {
                format!(" ({})", d.filter)
            };
            println!("{}{filter}: {}", d.scope, d.description);
        }
    }
    Ok(ExitCode::SUCCESS)
}
