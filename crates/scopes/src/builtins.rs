//! The built-in scope table of JupyterHub 6.1.1, in its definition order.
//!
//! This is data, not logic: [`crate::ScopeTable`] turns it into a table with precomputed
//! closures. The texts are JupyterHub's own (they appear on consent pages and in
//! `describe_raw_scopes`), so they stay byte-for-byte identical, typographic quotes included.

/// One built-in scope definition: name, description, optional doc description, direct subscopes.
pub(crate) struct Builtin {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) doc_description: Option<&'static str>,
    pub(crate) subscopes: &'static [&'static str],
}

/// JupyterHub 6.1.1's `scopes.scope_definitions`, in insertion order.
pub(crate) const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "(no_scope)",
        description: "Identify the owner of the requesting entity.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "self",
        description: "Your own resources",
        doc_description: Some(
            "The user’s own resources _(metascope for users, resolves to (no_scope) for services)_",
        ),
        subscopes: &[],
    },
    Builtin {
        name: "inherit",
        description: "Anything you have access to",
        doc_description: Some(
            "Everything that the token-owning entity can access _(metascope for tokens)_",
        ),
        subscopes: &[],
    },
    Builtin {
        name: "admin-ui",
        description: "Access the admin page.",
        doc_description: Some(
            "Access the admin page. Permission to take actions via the admin page granted separately.",
        ),
        subscopes: &[],
    },
    Builtin {
        name: "admin:users",
        description: "Read, modify, create, and delete users and their authentication state, not including their servers or tokens. This is an extremely privileged scope and should be considered tantamount to superuser.",
        doc_description: None,
        subscopes: &[
            "admin:auth_state",
            "users",
            "read:roles:users",
            "delete:users",
        ],
    },
    Builtin {
        name: "admin:auth_state",
        description: "Read a user’s authentication state.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "users",
        description: "Read and write permissions to user models (excluding servers, tokens and authentication state).",
        doc_description: None,
        subscopes: &["read:users", "list:users", "users:activity"],
    },
    Builtin {
        name: "delete:users",
        description: "Delete users.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "list:users",
        description: "List users, including at least their names.",
        doc_description: None,
        subscopes: &["read:users:name"],
    },
    Builtin {
        name: "read:users",
        description: "Read user models (including the URL of the default server if it is running).",
        doc_description: None,
        subscopes: &[
            "read:users:name",
            "read:users:groups",
            "read:users:activity",
        ],
    },
    Builtin {
        name: "read:users:name",
        description: "Read names of users.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "read:users:groups",
        description: "Read users’ group membership.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "read:users:activity",
        description: "Read time of last user activity.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "read:roles",
        description: "Read role assignments.",
        doc_description: None,
        subscopes: &[
            "read:roles:users",
            "read:roles:services",
            "read:roles:groups",
        ],
    },
    Builtin {
        name: "read:roles:users",
        description: "Read user role assignments.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "read:roles:services",
        description: "Read service role assignments.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "read:roles:groups",
        description: "Read group role assignments.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "users:activity",
        description: "Update time of last user activity.",
        doc_description: None,
        subscopes: &["read:users:activity"],
    },
    Builtin {
        name: "admin:servers",
        description: "Read, start, stop, create and delete user servers and their state.",
        doc_description: None,
        subscopes: &["admin:server_state", "servers"],
    },
    Builtin {
        name: "admin:server_state",
        description: "Read and write users’ server state.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "servers",
        description: "Start and stop user servers.",
        doc_description: None,
        subscopes: &["read:servers", "start:servers", "delete:servers"],
    },
    Builtin {
        name: "read:servers",
        description: "Read users’ names and their server models (excluding the server state).",
        doc_description: None,
        subscopes: &["read:users:name"],
    },
    Builtin {
        name: "start:servers",
        description: "Start and edit users' servers. (added in JupyterHub 6)",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "delete:servers",
        description: "Stop and delete users' servers.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "tokens",
        description: "Read, write, create and delete user tokens.",
        doc_description: None,
        subscopes: &["read:tokens"],
    },
    Builtin {
        name: "read:tokens",
        description: "Read user tokens.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "admin:groups",
        description: "Read and write group information, create and delete groups.",
        doc_description: None,
        subscopes: &["groups", "read:roles:groups", "delete:groups"],
    },
    Builtin {
        name: "groups",
        description: "Read and write group information, including adding/removing any users to/from groups. Note: adding users to groups may affect permissions.",
        doc_description: None,
        subscopes: &["read:groups", "list:groups"],
    },
    Builtin {
        name: "list:groups",
        description: "List groups, including at least their names.",
        doc_description: None,
        subscopes: &["read:groups:name"],
    },
    Builtin {
        name: "read:groups",
        description: "Read group models.",
        doc_description: None,
        subscopes: &["read:groups:name"],
    },
    Builtin {
        name: "read:groups:name",
        description: "Read group names.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "delete:groups",
        description: "Delete groups.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "admin:services",
        description: "Create, read, update, delete services, not including services defined from config files.",
        doc_description: None,
        subscopes: &["list:services", "read:services", "read:roles:services"],
    },
    Builtin {
        name: "list:services",
        description: "List services, including at least their names.",
        doc_description: None,
        subscopes: &["read:services:name"],
    },
    Builtin {
        name: "read:services",
        description: "Read service models.",
        doc_description: None,
        subscopes: &["read:services:name"],
    },
    Builtin {
        name: "read:services:name",
        description: "Read service names.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "read:hub",
        description: "Read detailed information about the Hub.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "access:servers",
        description: "Access user servers via API or browser.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "access:services",
        description: "Access services via API or browser.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "users:shares",
        description: "Read and revoke a user's access to shared servers.",
        doc_description: None,
        subscopes: &["read:users:shares"],
    },
    Builtin {
        name: "read:users:shares",
        description: "Read servers shared with a user.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "groups:shares",
        description: "Read and revoke a group's access to shared servers.",
        doc_description: None,
        subscopes: &["read:groups:shares"],
    },
    Builtin {
        name: "read:groups:shares",
        description: "Read servers shared with a group.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "read:shares",
        description: "Read information about shared access to servers.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "shares",
        description: "Manage access to shared servers.",
        doc_description: None,
        subscopes: &[
            "access:servers",
            "read:shares",
            "users:shares",
            "groups:shares",
        ],
    },
    Builtin {
        name: "proxy",
        description: "Read information about the proxy’s routing table, sync the Hub with the proxy and notify the Hub about a new proxy.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "shutdown",
        description: "Shutdown the hub.",
        doc_description: None,
        subscopes: &[],
    },
    Builtin {
        name: "read:metrics",
        description: "Read prometheus metrics.",
        doc_description: None,
        subscopes: &[],
    },
];
