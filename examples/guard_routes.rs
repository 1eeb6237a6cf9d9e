//! A service that guards its own routes with the `scopes` crate, the way a JupyterHub service
//! checks the scopes of the token a request carries: each route names the scopes it needs and
//! the resource it is about, and every answer says why.
//!
//! `cargo run -p hubcap-examples --example guard_routes`

use scopes::{Explanation, Owner, ParsedScopes, Requirement, Scope, ScopeTable, Target, decide};

/// A route of the service: method, path, the scopes it accepts, and its resource.
struct Route {
    name: &'static str,
    scopes: &'static [&'static str],
    target: Option<Target<'static>>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let table = ScopeTable::jupyterhub();
    // The token's scopes, as the hub reports them for a token of user `ada` with the
    // `self` scope and read access to the group `students`' members.
    let raw: Vec<Scope> = ["self", "read:users!group=students"]
        .iter()
        .map(|s| Scope::parse(s))
        .collect::<Result<_, _>>()?;
    let expanded = table.expand(&raw, Some(Owner::User("ada")), None)?;
    let held = ParsedScopes::parse(&expanded.scopes)?;
    // Group membership comes from wherever the service keeps it.
    let members = std::collections::BTreeMap::from([(
        "bo".to_owned(),
        std::collections::BTreeSet::from(["students".to_owned()]),
    )]);

    let routes = [
        Route {
            name: "GET /grades/ada",
            scopes: &["read:users"],
            target: Some(Target::user("ada")),
        },
        Route {
            name: "GET /grades/bo",
            scopes: &["read:users"],
            target: Some(Target::user("bo")),
        },
        Route {
            name: "GET /grades/cy",
            scopes: &["read:users"],
            target: Some(Target::user("cy")),
        },
        Route {
            name: "DELETE /servers/bo",
            scopes: &["delete:servers"],
            target: Some(Target::server("bo", "")),
        },
        Route {
            name: "POST /users",
            scopes: &["admin:users"],
            target: None,
        },
    ];
    for route in &routes {
        let requirement = Requirement {
            scopes: route.scopes,
            target: route.target.clone(),
            post_filter: false,
        };
        let decision = decide(&table, Some(&held), &requirement, Some(&members))?;
        let why = match &decision.explanation {
            Explanation::Allowed { grant, .. } => format!("granted by `{}`", grant.held()),
            Explanation::Denied { fix, .. } => fix.text.clone(),
            Explanation::Unauthenticated { fix } => fix.clone(),
        };
        println!("{:<20} {} {}", route.name, decision.status, why);
    }
    Ok(())
}
