//! The "Authorize access" page (JupyterHub's `oauth.html`): what the client would get, as
//! descriptions, and a form that posts the scopes back with `_xsrf`.

use axum::http::StatusCode;
use axum::response::Response;
use scopes::ScopeSet;

use crate::login::html::{escape, page};
use crate::state::{AppState, SharedState};

/// What the confirmation page shows.
pub struct Confirm {
    /// The client, for people.
    description: String,
    /// The scopes the form posts.
    scopes: Vec<String>,
    /// Each described scope, with its description.
    descriptions: Vec<(String, String)>,
}

impl Confirm {
    /// What the page shows for `allowed` (the scopes `required` for every token are not
    /// described; none left: "(no_scope)"'s text; `inherit`: that alone).
    pub fn new(
        state: &AppState,
        user: &str,
        description: String,
        allowed: &ScopeSet,
        required: &ScopeSet,
    ) -> Confirm {
        let to_describe: Vec<&str> = allowed
            .texts()
            .filter(|scope| !required.contains(scope))
            .collect();
        let table = &state.config.scope_table;
        let (scopes, descriptions) = if to_describe.is_empty() {
            let text = table
                .get("(no_scope)")
                .map_or_else(String::new, |definition| {
                    definition.description().to_owned()
                });
            (
                allowed.texts().map(str::to_owned).collect(),
                vec![(String::new(), text)],
            )
        } else if to_describe.contains(&"inherit") {
            let text = table.get("inherit").map_or_else(String::new, |definition| {
                definition.description().to_owned()
            });
            (
                vec!["inherit".to_owned()],
                vec![("inherit".to_owned(), text)],
            )
        } else {
            let described = table
                .describe_raw(to_describe.iter().copied(), Some(user))
                .map(|list| {
                    list.into_iter()
                        .map(|d| {
                            (
                                d.scope.clone(),
                                format!("{} {}", d.description, d.filter)
                                    .trim_end()
                                    .to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            (allowed.texts().map(str::to_owned).collect(), described)
        };
        Confirm {
            description,
            scopes,
            descriptions,
        }
    }
}

/// The page.
pub fn confirm_page(state: &SharedState, user: &str, xsrf: &str, confirm: &Confirm) -> Response {
    let mut body = format!(
        "<h1>Authorize access</h1>\n<p>{} would like permission to identify you.\nIt will not be able to take actions on your behalf.</p>\n\
         <form method=\"post\" action=\"\">\n<input type=\"hidden\" name=\"_xsrf\" value=\"{}\" />\n",
        escape(&confirm.description),
        escape(xsrf)
    );
    for (scope, description) in &confirm.descriptions {
        body.push_str(&format!(
            "<div class=\"form-check\"><input class=\"form-check-input\" type=\"checkbox\" name=\"raw-scopes\" checked=\"true\" title=\"{}\" disabled=\"disabled\" />\n<span>{}</span></div>\n",
            escape(scope),
            escape(description)
        ));
    }
    for scope in &confirm.scopes {
        body.push_str(&format!(
            "<input type=\"hidden\" name=\"scopes\" value=\"{}\" />\n",
            escape(scope)
        ));
    }
    body.push_str("<button type=\"submit\" class=\"form-control btn btn-jupyter mt-2\">Authorize</button>\n</form>");
    page(
        StatusCode::OK,
        &state.config.base_url,
        Some(user),
        xsrf,
        &body,
    )
}
