//! OAuth clients: the services' clients made at start-up (JupyterHub's `service_from_spec`:
//! `service-{name}`, secret = the service's `api_token`, redirect URI `oauth_redirect_uri`
//! or `{base_url}services/{name}/oauth_callback`), and what a client belongs to (a service,
//! or a user's server).

use std::collections::BTreeSet;

use scopes::{AccessTarget, ClientTarget, OAuthClient as ScopeClient, access_scopes};
use store::{NewOAuthClient, NewService, StoreError, Tx};
use tokens::{Origin, TokenHash};

use crate::config::{HubConfig, ServiceSpec};

/// What an OAuth client belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientOwner {
    /// A service, by name.
    Service(String),
    /// A user's server.
    Server {
        /// The owner.
        user: String,
        /// The server name (`""`: the default server).
        server: String,
    },
}

impl ClientOwner {
    /// As the scopes crate names a client's target.
    pub fn target(&self) -> ClientTarget<'_> {
        match self {
            ClientOwner::Service(name) => ClientTarget::Service(name),
            ClientOwner::Server { user, server } => ClientTarget::Server { user, server },
        }
    }
}

/// The scopes crate's view of `identifier` owned by `owner`.
pub fn scope_client<'a>(identifier: &'a str, owner: Option<&'a ClientOwner>) -> ScopeClient<'a> {
    ScopeClient {
        identifier,
        target: owner.map_or(ClientTarget::Hub, ClientOwner::target),
    }
}

/// The service or server `identifier` belongs to, if any.
///
/// # Errors
///
/// Database failures.
pub fn client_owner(tx: &mut Tx<'_>, identifier: &str) -> Result<Option<ClientOwner>, StoreError> {
    for service in tx.list_services()? {
        if service.oauth_client_id.as_deref() == Some(identifier) {
            return Ok(Some(ClientOwner::Service(service.name)));
        }
    }
    // `jupyterhub-user-{quote(name)}[-{quote(server)}]`: names may hold dashes, so every
    // split is tried against the servers' recorded client ids.
    let Some(rest) = identifier.strip_prefix("jupyterhub-user-") else {
        return Ok(None);
    };
    let mut candidates = vec![(rest, "")];
    for (index, _) in rest.match_indices('-') {
        if let (Some(user), Some(server)) = (rest.get(..index), rest.get(index + 1..)) {
            candidates.push((user, server));
        }
    }
    for (user, server) in candidates {
        let user = unquote(user);
        let server = unquote(server);
        if let Some(found) = tx.find_server(&user, &server)? {
            if found.oauth_client_id.as_deref() == Some(identifier) {
                return Ok(Some(ClientOwner::Server { user, server }));
            }
        }
    }
    Ok(None)
}

fn unquote(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Whether JupyterHub gives `spec` an OAuth client (`oauth_available`).
fn oauth_available(spec: &ServiceSpec) -> bool {
    spec.url.is_some() || spec.oauth_specified
}

/// The client id of a service.
pub fn service_client_id(spec: &ServiceSpec) -> String {
    spec.oauth_client_id
        .clone()
        .unwrap_or_else(|| format!("service-{}", spec.name))
}

/// The redirect URI of a service's client (`None`: it has none, a configuration error).
pub fn service_redirect_uri(config: &HubConfig, spec: &ServiceSpec) -> Option<String> {
    spec.oauth_redirect_uri.clone().or_else(|| {
        spec.url
            .as_ref()
            .map(|_| format!("{}services/{}/oauth_callback", config.base_url, spec.name))
    })
}

/// Creates, updates or removes the OAuth clients of the configured services and links each
/// service to its client. A client whose settings or secret changed is replaced (its
/// tokens go with it); one that did not change is kept, with its tokens.
///
/// # Errors
///
/// Database failures; an `api_token` that cannot be hashed.
pub(crate) fn sync_service_clients(
    tx: &mut Tx<'_>,
    config: &HubConfig,
) -> Result<(), crate::StartupError> {
    for spec in &config.services {
        let stored = tx.find_service(&spec.name)?;
        if !oauth_available(spec) {
            if let Some(old) = stored.and_then(|service| service.oauth_client_id) {
                tracing::warn!(service = %spec.name, client = %old, "deleting the unused OAuth client");
                link(tx, spec, None)?;
                if tx.find_oauth_client(&old)?.is_some() {
                    tx.delete_oauth_client(&old)?;
                }
            }
            continue;
        }
        let identifier = service_client_id(spec);
        let Some(redirect_uri) = service_redirect_uri(config, spec) else {
            // the configuration check refuses this; nothing to register
            continue;
        };
        let mut allowed: BTreeSet<String> =
            spec.oauth_client_allowed_scopes.iter().cloned().collect();
        let client = ScopeClient {
            identifier: &identifier,
            target: ClientTarget::Service(&spec.name),
        };
        allowed.extend(
            access_scopes(AccessTarget::Client(client))
                .texts()
                .map(str::to_owned),
        );
        let allowed: Vec<String> = allowed.into_iter().collect();
        let description = format!("JupyterHub service {}", spec.name);
        let unchanged = match tx.find_oauth_client(&identifier)? {
            None => false,
            Some(existing) => {
                let same_secret = match (&existing.secret, &spec.api_token) {
                    (None, None) => true,
                    (Some(hash), Some(secret)) => hash.verify(secret),
                    _ => false,
                };
                let same = same_secret
                    && existing.redirect_uri.as_deref() == Some(redirect_uri.as_str())
                    && existing.allowed_scopes == allowed
                    && existing.description.as_deref() == Some(description.as_str());
                if !same {
                    tracing::info!(client = %identifier, "updating OAuth client (replaced)");
                    link(tx, spec, None)?;
                    tx.delete_oauth_client(&identifier)?;
                }
                same
            }
        };
        if !unchanged {
            tracing::info!(service = %spec.name, client = %identifier, "creating OAuth client");
            let hash = match &spec.api_token {
                Some(secret) => Some(
                    TokenHash::for_storage(secret, Origin::UserProvided).map_err(|source| {
                        crate::StartupError::Token {
                            service: spec.name.clone(),
                            source,
                        }
                    })?,
                ),
                None => None,
            };
            tx.create_oauth_client(&NewOAuthClient {
                identifier: &identifier,
                description: Some(&description),
                secret: hash.as_ref(),
                redirect_uri: Some(&redirect_uri),
                allowed_scopes: &allowed,
            })?;
        }
        link(tx, spec, Some(&identifier))?;
    }
    Ok(())
}

/// Records `client` as the service's client in its row, the rest of the row kept.
fn link(tx: &mut Tx<'_>, spec: &ServiceSpec, client: Option<&str>) -> Result<(), StoreError> {
    let Some(stored) = tx.find_service(&spec.name)? else {
        return Ok(());
    };
    tx.update_service(&NewService {
        name: &stored.name,
        admin: stored.admin,
        url: stored.url.as_deref(),
        info: stored.info.as_ref(),
        display: stored.display,
        oauth_no_confirm: stored.oauth_no_confirm,
        oauth_client_id: client,
        from_config: stored.from_config,
    })?;
    Ok(())
}
