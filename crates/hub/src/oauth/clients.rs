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

/// A user's server as an OAuth client (what `User.spawn` registers with `add_client`).
#[derive(Clone, Copy)]
pub struct ServerClient<'a> {
    /// The owner.
    pub user: &'a str,
    /// The server name (`""`: the default server).
    pub server: &'a str,
    /// `JupyterHub.base_url`.
    pub base_url: &'a str,
    /// The server's API token (`JUPYTERHUB_API_TOKEN`): the client's secret.
    pub secret: &'a str,
    /// `Spawner.oauth_client_allowed_scopes`.
    pub allowed_scopes: &'a [String],
}

impl std::fmt::Debug for ServerClient<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerClient")
            .field("user", &self.user)
            .field("server", &self.server)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Python's `quote(text, safe="@~")` (JupyterHub's `url_escape_path`).
fn escape_path(text: &str) -> String {
    const SAFE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'_')
        .remove(b'.')
        .remove(b'-')
        .remove(b'~')
        .remove(b'@');
    percent_encoding::utf8_percent_encode(text, SAFE).to_string()
}

/// Python's `quote(text)` (`safe="/"`), as client ids are made.
fn quote(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, super::params::PATH_SAFE).to_string()
}

impl ServerClient<'_> {
    /// `jupyterhub-user-{quote(name)}[-{quote(server)}]` (the spawner's `oauth_client_id`).
    pub fn identifier(&self) -> String {
        let mut id = format!("jupyterhub-user-{}", quote(self.user));
        if !self.server.is_empty() {
            id.push('-');
            id.push_str(&quote(self.server));
        }
        id
    }

    /// `{user.url}{server}/oauth_callback`.
    pub fn redirect_uri(&self) -> String {
        let server = if self.server.is_empty() {
            String::new()
        } else {
            format!("{}/", escape_path(self.server))
        };
        format!(
            "{}user/{}/{server}oauth_callback",
            self.base_url,
            escape_path(self.user)
        )
    }

    /// `Server at {user.base_url}{server}/`.
    pub fn description(&self) -> String {
        let server = if self.server.is_empty() {
            String::new()
        } else {
            format!("{}/", self.server)
        };
        format!(
            "Server at {}user/{}/{server}",
            self.base_url,
            escape_path(self.user)
        )
    }

    /// `_get_oauth_client_allowed_scopes`: the configured scopes and the server's access scope,
    /// sorted.
    pub fn scopes(&self) -> Vec<String> {
        // hubcap has no deprecated `oauth_roles`: nothing to fall back to.
        tokens::oauth_client_allowed_scopes(self.user, self.server, self.allowed_scopes, &[])
    }
}

/// Registers a server's OAuth client as `User.spawn` does and links the server to it; an
/// existing client with other settings or another secret is replaced (hubcap's store has no
/// update; its tokens go with it). Returns the client id.
///
/// # Errors
///
/// Database failures; [`StoreError::NotFound`] for an unknown server.
pub fn register_server_client(
    tx: &mut Tx<'_>,
    client: &ServerClient<'_>,
) -> Result<String, StoreError> {
    let identifier = client.identifier();
    let redirect_uri = client.redirect_uri();
    let description = client.description();
    let scopes = client.scopes();
    let unchanged = tx.find_oauth_client(&identifier)?.is_some_and(|existing| {
        existing.redirect_uri.as_deref() == Some(redirect_uri.as_str())
            && existing.description.as_deref() == Some(description.as_str())
            && existing.allowed_scopes == scopes
            && existing
                .secret
                .as_ref()
                .is_some_and(|hash| hash.verify(client.secret))
    });
    if !unchanged {
        if tx.find_oauth_client(&identifier)?.is_some() {
            tx.delete_oauth_client(&identifier)?;
        }
        let hash =
            TokenHash::for_storage(client.secret, Origin::UserProvided).map_err(|error| {
                StoreError::Random {
                    reason: format!("hashing the server's OAuth secret: {error}"),
                }
            })?;
        tx.create_oauth_client(&NewOAuthClient {
            identifier: &identifier,
            description: Some(&description),
            secret: Some(&hash),
            redirect_uri: Some(&redirect_uri),
            allowed_scopes: &scopes,
        })?;
    }
    tx.update_server(
        client.user,
        client.server,
        &store::ServerUpdate {
            oauth_client_id: Some(Some(&identifier)),
            ..store::ServerUpdate::default()
        },
    )?;
    Ok(identifier)
}

/// Removes a server's OAuth client when it stops (its OAuth tokens go with it), as
/// `User.stop` does unless the spawner will resume.
///
/// # Errors
///
/// Database failures.
pub fn remove_server_client(tx: &mut Tx<'_>, user: &str, server: &str) -> Result<(), StoreError> {
    let Some(found) = tx.find_server(user, server)? else {
        return Ok(());
    };
    if let Some(identifier) = found.oauth_client_id {
        if tx.find_oauth_client(&identifier)?.is_some() {
            tracing::debug!(client = %identifier, "deleting the server's OAuth client");
            tx.delete_oauth_client(&identifier)?;
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_clients_are_named_as_jupyterhub_names_them() {
        let client = ServerClient {
            user: "a b@c",
            server: "",
            base_url: "/",
            secret: "s",
            allowed_scopes: &["read:users:name!user".to_owned()],
        };
        assert_eq!(client.identifier(), "jupyterhub-user-a%20b%40c");
        assert_eq!(client.redirect_uri(), "/user/a%20b@c/oauth_callback");
        assert_eq!(client.description(), "Server at /user/a%20b@c/");
        assert_eq!(
            client.scopes(),
            ["access:servers!server=a b@c/", "read:users:name!user"]
        );
        let named = ServerClient {
            user: "alice",
            server: "proj",
            base_url: "/jh/",
            ..client
        };
        assert_eq!(named.identifier(), "jupyterhub-user-alice-proj");
        assert_eq!(named.redirect_uri(), "/jh/user/alice/proj/oauth_callback");
        assert_eq!(named.description(), "Server at /jh/user/alice/proj/");
    }
}
