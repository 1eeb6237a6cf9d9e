//! hubcap's OAuth2 provider: JupyterHub's `/hub/api/oauth2/authorize` and
//! `/hub/api/oauth2/token`, answering as JupyterHub's oauthlib `WebApplicationServer` does
//! (authorization code grant, PKCE, no refresh tokens), so that JupyterHub's own client code
//! (`HubOAuth`, used by `jupyterhub-singleuser` and services) logs users in through hubcap.
//!
//! Codes are stored as their SHA-256 (JupyterHub stores them as they are): a database
//! leak gives nobody a usable code.

pub mod authorize;
pub mod clients;
pub mod codes;
pub mod consent;
pub mod errors;
pub mod params;
pub mod scopes;
pub mod token;
