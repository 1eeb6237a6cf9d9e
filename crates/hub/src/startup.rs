//! Start-up: bring the database in line with the configuration, in JupyterHub's order
//! (`init_oauth`, `init_users`, `init_groups`, `init_services`, the role creation and
//! assignment of `load_roles`, then `init_api_tokens`, whose default scopes are the `token`
//! role's), all in one transaction: a configuration that fails half-way changes nothing.

use std::collections::BTreeSet;

use roles::{Assignments, Bearer, Holder, LoadNote, LoadSettings, RoleStore};
use store::{
    DbUrl, NewOAuthClient, NewService, NewToken, NewUser, Store, StoreConfig, StoreError,
    TokenOwner, Tx,
};
use time::OffsetDateTime;
use tokens::{Origin, TokenHash};

use crate::config::HubConfig;

/// Why the hub could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be opened or migrated.
    #[error("database {url}: {source}")]
    Database {
        /// The database URL, password hidden.
        url: String,
        /// What failed.
        source: StoreError,
    },
    /// Bringing the database in line with the configuration failed.
    #[error("applying the configuration to the database: {0}")]
    Apply(#[from] StoreError),
    /// `load_roles` refused the roles.
    #[error("JupyterHub.load_roles: {0}")]
    Roles(#[from] roles::LoadError),
    /// A configured token is already some other owner's token.
    #[error(
        "JupyterHub.services: the api_token of service {service} is already the token of {other}; give each service its own token"
    )]
    TokenTaken {
        /// The service.
        service: String,
        /// Who holds it.
        other: String,
    },
    /// A configured token could not be hashed.
    #[error("JupyterHub.services: the api_token of service {service}: {source}")]
    Token {
        /// The service.
        service: String,
        /// Why.
        source: tokens::TokenError,
    },
    /// The cookie secret cannot be had.
    #[error(transparent)]
    CookieSecret(#[from] crate::login::CookieSecretError),
    /// The servers recorded as running could not be checked after a restart.
    #[error("finding the servers of the last run: {0}")]
    Restore(String),
    /// A hub-managed service could not be prepared.
    #[error("JupyterHub.services: {0}")]
    Services(String),
    /// The proxy could not be started, reached or given its routes.
    #[error("the proxy: {0}")]
    Proxy(crate::routing::RoutingError),
    /// `JUPYTERHUB_CRYPT_KEY` is not usable.
    #[error(transparent)]
    Crypt(crate::crypt::CryptError),
    /// The address to listen on could not be used.
    #[error("JupyterHub.hub_bind_url {url}: {reason}")]
    Bind {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}

/// What start-up produced besides the database changes.
pub(crate) struct Prepared {
    /// Every role, as loaded.
    pub roles: RoleStore,
}

/// The hub's database connections. Every request's work runs on one of the runtime's
/// blocking threads ([`crate::runtime`]) and holds a connection while it does; SQLite runs
/// one writer at a time and the hub remembers what it read ([`crate::cache`]), so a few
/// connections keep both cores busy.
pub const DB_CONNECTIONS: u32 = 2;

/// SQLite's page cache per connection, in KiB (taken only as pages are read). The hub's
/// own cache answers most reads, so this stays well below the store's default.
const SQLITE_CACHE_KIB: u32 = 8 * 1024;

/// Opens the database and applies the configuration to it.
pub(crate) fn prepare(config: &HubConfig) -> Result<(Store, Prepared), StartupError> {
    let database = |source| StartupError::Database {
        url: redacted(&config.db_url),
        source,
    };
    let mut store_config = StoreConfig::new(DbUrl::parse(&config.db_url).map_err(database)?);
    store_config.pool_size = DB_CONNECTIONS;
    store_config.sqlite_cache_kib = SQLITE_CACHE_KIB;
    let store = Store::open_with(store_config).map_err(database)?;
    let roles = store.write_with(|tx| apply(tx, config))?;
    Ok((store, Prepared { roles }))
}

fn redacted(url: &str) -> String {
    store::DbUrl::parse(url).map_or_else(|_| url.to_owned(), |parsed| parsed.redacted())
}

fn apply(tx: &mut Tx<'_>, config: &HubConfig) -> Result<RoleStore, StartupError> {
    // Checking a configured token costs 16384 rounds of SHA-512 per candidate: each is
    // looked up once, here, before anything is written.
    let mut new_tokens = Vec::new();
    for service in &config.services {
        if let Some(token) = &service.api_token {
            let Some(found) = tx.find_token(token, OffsetDateTime::now_utc(), None)? else {
                new_tokens.push((service.name.as_str(), token.as_str()));
                continue;
            };
            let other = match &found.owner {
                store::Owner::Service(name) if name == &service.name => continue,
                store::Owner::Service(name) => format!("service {name}"),
                store::Owner::User(name) => format!("user {name}"),
            };
            return Err(StartupError::TokenTaken {
                service: service.name.clone(),
                other,
            });
        }
    }
    init_oauth(tx)?;
    let new_admins = init_users(tx, config)?;
    init_groups(tx, config)?;
    init_services(tx, config)?;
    crate::oauth::clients::sync_service_clients(tx, config)?;
    let roles = init_roles(tx, config, &new_admins)?;
    init_api_tokens(tx, &new_tokens, &roles)?;
    Ok(roles)
}

fn init_oauth(tx: &mut Tx<'_>) -> Result<(), StoreError> {
    if tx.find_oauth_client("jupyterhub")?.is_none() {
        tx.create_oauth_client(&NewOAuthClient {
            identifier: "jupyterhub",
            description: Some("JupyterHub"),
            secret: None,
            redirect_uri: None,
            allowed_scopes: &[],
        })?;
    }
    Ok(())
}

/// Creates the configured users; returns the admins it created, who get the default roles
/// (`admin` and `user`) as JupyterHub's `assign_default_roles` gives them.
fn init_users(tx: &mut Tx<'_>, config: &HubConfig) -> Result<Vec<String>, StoreError> {
    let mut new_admins = Vec::new();
    for name in &config.admin_users {
        match tx.find_user(name)? {
            Some(user) if user.admin => {}
            Some(_) => tx.set_user_admin(name, true)?,
            None => {
                tx.create_user(&NewUser { name, admin: true })?;
                new_admins.push(name.clone());
                tracing::info!(user = %name, "created admin user from Authenticator.admin_users");
            }
        }
    }
    for name in &config.allowed_users {
        if tx.find_user(name)?.is_none() {
            tx.create_user(&NewUser::named(name))?;
            tracing::info!(user = %name, "created user from Authenticator.allowed_users");
        }
    }
    Ok(new_admins)
}

fn init_groups(tx: &mut Tx<'_>, config: &HubConfig) -> Result<(), StoreError> {
    for (name, spec) in &config.load_groups {
        if tx.find_group(name)?.is_none() {
            tracing::info!(group = %name, "creating group");
            tx.create_group(name, &serde_json::Map::new())?;
        }
        for user in &spec.users {
            if tx.find_user(user)?.is_none() {
                tracing::info!(user = %user, group = %name, "creating user for group");
                tx.create_user(&NewUser::named(user))?;
            }
        }
        let members: Vec<&str> = spec.users.iter().map(String::as_str).collect();
        tx.add_group_members(name, &members)?;
        if let Some(properties) = &spec.properties {
            tx.set_group_properties(name, properties)?;
        }
    }
    Ok(())
}

fn init_services(tx: &mut Tx<'_>, config: &HubConfig) -> Result<(), StartupError> {
    let configured: BTreeSet<&str> = config.services.iter().map(|s| s.name.as_str()).collect();
    for stored in tx.list_services()? {
        if stored.from_config && !configured.contains(stored.name.as_str()) {
            tracing::info!(service = %stored.name, "deleting service no longer in JupyterHub.services");
            tx.delete_service(&stored.name)?;
        }
    }
    for spec in &config.services {
        let info = spec.info.clone().map(serde_json::Value::Object);
        let new = NewService {
            name: &spec.name,
            admin: spec.admin,
            url: spec.url.as_deref(),
            info: info.as_ref(),
            // JupyterHub leaves these columns unset for services from configuration.
            display: None,
            oauth_no_confirm: None,
            oauth_client_id: None,
            from_config: true,
        };
        if tx.find_service(&spec.name)?.is_some() {
            tx.update_service(&new)?;
        } else {
            tx.create_service(&new)?;
        }
    }
    Ok(())
}

/// `init_api_tokens`: the configured service tokens not stored yet (`(service, token)`),
/// hashed with 16384 rounds (a person chose them) and the `token` role's scopes.
fn init_api_tokens(
    tx: &mut Tx<'_>,
    new_tokens: &[(&str, &str)],
    roles: &RoleStore,
) -> Result<(), StartupError> {
    for &(service, token) in new_tokens {
        let hash = TokenHash::for_storage(token, Origin::UserProvided).map_err(|source| {
            StartupError::Token {
                service: service.to_owned(),
                source,
            }
        })?;
        insert_service_token(tx, roles, service, token, &hash)?;
    }
    Ok(())
}

/// Stores a service's own token (`services[].api_token`, or one given when the service is
/// created at runtime): hashed by the caller, with the scopes of the `token` role, as
/// JupyterHub's `_add_tokens` gives them.
pub(crate) fn insert_service_token(
    tx: &mut Tx<'_>,
    roles: &RoleStore,
    service: &str,
    token: &str,
    hash: &TokenHash,
) -> Result<(), StoreError> {
    let scopes = tokens::requested_scopes(
        roles,
        &tokens::TokenRequest {
            scopes: None,
            roles: None,
            expires_in: None,
        },
    )
    .unwrap_or_else(|_| vec![tokens::INHERIT.to_owned()]);
    tx.insert_token(&NewToken {
        owner: TokenOwner::Service(service),
        hash,
        prefix: tokens::prefix(token),
        scopes: &scopes,
        note: "from config",
        expires_at: None,
        client_id: "jupyterhub",
        session_id: None,
    })?;
    Ok(())
}

fn init_roles(
    tx: &mut Tx<'_>,
    config: &HubConfig,
    new_admins: &[String],
) -> Result<RoleStore, StartupError> {
    let mut stored = RoleStore::new();
    for role in tx.list_roles()? {
        stored.insert(role.role);
    }
    let before = current_assignments(tx)?;
    // What load_roles starts from: the database, plus the default roles of the admins just
    // created (JupyterHub assigns them as it creates the users).
    let mut start = before.clone();
    for name in new_admins {
        if let Some(bearer) = start.users.get_mut(name) {
            bearer.roles.insert("admin".to_owned());
            bearer.roles.insert("user".to_owned());
        }
    }
    let settings = LoadSettings {
        extra_user_scopes: &config.extra_user_scopes,
        admin_users: &config.admin_users,
        allowed_users: &config.allowed_users,
    };
    let loaded = roles::load_roles(
        &config.scope_table,
        &stored,
        start,
        &config.load_roles,
        settings,
    )?;
    for note in &loaded.notes {
        tracing::info!("{note}");
    }
    // Roles: create or update, then assignments, then delete roles that are gone (their
    // assignments go with them).
    for role in loaded.roles.iter() {
        match stored.get(&role.name) {
            Some(old) if old == role => {}
            Some(_) => tx.update_role(role)?,
            None => {
                tx.create_role(role, false)?;
            }
        }
    }
    // Users and groups named in roles are created in the order JupyterHub creates them.
    for note in &loaded.notes {
        match note {
            LoadNote::CreatedUser { name, .. } if tx.find_user(name)?.is_none() => {
                tx.create_user(&NewUser::named(name))?;
            }
            LoadNote::CreatedGroup { name, .. } if tx.find_group(name)?.is_none() => {
                tx.create_group(name, &serde_json::Map::new())?;
            }
            _ => {}
        }
    }
    write_assignments(tx, &before, &loaded.assignments)?;
    for name in stored.names() {
        if loaded.roles.get(name).is_none() {
            tx.delete_role(name)?;
        }
    }
    Ok(loaded.roles)
}

fn current_assignments(tx: &mut Tx<'_>) -> Result<Assignments, StoreError> {
    let mut assignments = Assignments::default();
    let page = tx.list_users(&store::UserQuery {
        limit: u32::MAX,
        ..store::UserQuery::default()
    })?;
    for details in page.users {
        assignments.users.insert(
            details.user.name.clone(),
            Bearer {
                admin: details.user.admin,
                roles: details.roles.into_iter().collect(),
            },
        );
    }
    for service in tx.list_services()? {
        let roles = tx.roles_of(Holder::Service(&service.name))?;
        assignments.services.insert(
            service.name.clone(),
            Bearer {
                admin: service.admin,
                roles: roles.into_iter().map(|(role, _)| role.role.name).collect(),
            },
        );
    }
    for group in tx.list_groups(0, u32::MAX)?.0 {
        let roles = tx.roles_of(Holder::Group(&group.name))?;
        assignments.groups.insert(
            group.name.clone(),
            roles.into_iter().map(|(role, _)| role.role.name).collect(),
        );
    }
    Ok(assignments)
}

fn write_assignments(
    tx: &mut Tx<'_>,
    before: &Assignments,
    after: &Assignments,
) -> Result<(), StoreError> {
    let empty = Bearer::default();
    for (name, bearer) in &after.users {
        let old = before.users.get(name).unwrap_or(&empty);
        if old.admin != bearer.admin {
            tx.set_user_admin(name, bearer.admin)?;
        }
        sync_roles(tx, Holder::User(name), &old.roles, &bearer.roles)?;
    }
    for (name, bearer) in &after.services {
        let old = before.services.get(name).unwrap_or(&empty);
        sync_roles(tx, Holder::Service(name), &old.roles, &bearer.roles)?;
    }
    let none = BTreeSet::new();
    for (name, roles) in &after.groups {
        let old = before.groups.get(name).unwrap_or(&none);
        sync_roles(tx, Holder::Group(name), old, roles)?;
    }
    Ok(())
}

fn sync_roles(
    tx: &mut Tx<'_>,
    holder: Holder<'_>,
    old: &BTreeSet<String>,
    new: &BTreeSet<String>,
) -> Result<(), StoreError> {
    for role in new.difference(old) {
        tx.assign_role(holder, role, false)?;
    }
    for role in old.difference(new) {
        tx.unassign_role(holder, role)?;
    }
    Ok(())
}
