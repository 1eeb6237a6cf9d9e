//! OAuth clients (`oauth_clients`) and authorization codes (`oauth_codes`).
//!
//! A client's secret is stored hashed like a token (`tokens::TokenHash`); an authorization
//! code is stored as it is, as JupyterHub stores it (it lives for seconds and is looked up
//! by equality), and never shown by `Debug`.

use std::fmt;

use diesel::prelude::*;
use time::OffsetDateTime;
use tokens::TokenHash;

use crate::error::{Kind, StoreError};
use crate::names::{check_length, check_max};
use crate::schema::{oauth_clients, oauth_codes, users};
use crate::tx::{Tx, parse_strings, strings_json};

/// An OAuth client as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    /// The database id.
    pub id: i64,
    /// The client id used in the OAuth flow (`jupyterhub-user-alice`), unique.
    pub identifier: String,
    /// For people.
    pub description: Option<String>,
    /// The hashed secret, `None` when the client has none.
    pub secret: Option<TokenHash>,
    /// Where the flow may redirect.
    pub redirect_uri: Option<String>,
    /// The scopes the client may request (not the client's own).
    pub allowed_scopes: Vec<String>,
}

/// An OAuth client to create or replace.
#[derive(Debug, Clone, Default)]
pub struct NewOAuthClient<'a> {
    /// The client id.
    pub identifier: &'a str,
    /// For people.
    pub description: Option<&'a str>,
    /// The secret, hashed by the caller (`TokenHash::for_storage(secret, Origin::UserProvided)`,
    /// as JupyterHub's `hash_token(client_secret)`).
    pub secret: Option<&'a TokenHash>,
    /// Where the flow may redirect.
    pub redirect_uri: Option<&'a str>,
    /// The scopes the client may request.
    pub allowed_scopes: &'a [String],
}

type ClientRow = (i64, String, Option<String>, String, Option<String>, String);
const CLIENT_COLUMNS: (
    oauth_clients::id,
    oauth_clients::identifier,
    oauth_clients::description,
    oauth_clients::secret,
    oauth_clients::redirect_uri,
    oauth_clients::allowed_scopes,
) = (
    oauth_clients::id,
    oauth_clients::identifier,
    oauth_clients::description,
    oauth_clients::secret,
    oauth_clients::redirect_uri,
    oauth_clients::allowed_scopes,
);

fn client_from_row(
    (id, identifier, description, secret, redirect_uri, allowed): ClientRow,
) -> Result<OAuthClient, StoreError> {
    let secret = if secret.is_empty() {
        None
    } else {
        Some(
            secret
                .parse::<TokenHash>()
                .map_err(|err| StoreError::Corrupt {
                    table: "oauth_clients",
                    column: "secret",
                    id,
                    reason: err.to_string(),
                })?,
        )
    };
    Ok(OAuthClient {
        allowed_scopes: parse_strings("oauth_clients", "allowed_scopes", id, &allowed)?,
        id,
        identifier,
        description,
        secret,
        redirect_uri,
    })
}

/// An OAuth authorization code as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthCode {
    /// The database id.
    pub id: i64,
    /// The client it was issued to.
    pub client_id: String,
    /// The code itself.
    pub code: String,
    /// When it expires, in Unix seconds (JupyterHub's integer column).
    pub expires_at: Option<i64>,
    /// The redirect URI of the request.
    pub redirect_uri: Option<String>,
    /// The browser session it was issued in.
    pub session_id: Option<String>,
    /// The user who authorized it.
    pub user: String,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// PKCE challenge.
    pub code_challenge: Option<String>,
    /// PKCE method (`S256`, `plain`).
    pub code_challenge_method: Option<String>,
}

impl fmt::Debug for OAuthCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthCode")
            .field("id", &self.id)
            .field("client_id", &self.client_id)
            .field("code", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("user", &self.user)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// An OAuth code to store.
#[derive(Clone, Default)]
pub struct NewOAuthCode<'a> {
    /// The client it is issued to (must exist).
    pub client_id: &'a str,
    /// The code (at most 36 characters, JupyterHub's column).
    pub code: &'a str,
    /// When it expires.
    pub expires_at: Option<OffsetDateTime>,
    /// The redirect URI of the request.
    pub redirect_uri: Option<&'a str>,
    /// The browser session.
    pub session_id: Option<&'a str>,
    /// The user who authorized it (must exist).
    pub user: &'a str,
    /// The scopes granted.
    pub scopes: &'a [String],
    /// PKCE challenge.
    pub code_challenge: Option<&'a str>,
    /// PKCE method.
    pub code_challenge_method: Option<&'a str>,
}

impl fmt::Debug for NewOAuthCode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewOAuthCode")
            .field("client_id", &self.client_id)
            .field("code", &"<redacted>")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// (id, client_id, code, expires_at, redirect_uri, session_id, user, scopes, challenge, method)
type CodeRow = (
    i64,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
);

impl Tx<'_> {
    /// Creates an OAuth client.
    ///
    /// # Errors
    ///
    /// [`StoreError::Invalid`] for an empty or too long identifier,
    /// [`StoreError::AlreadyExists`] when it is taken.
    pub fn create_oauth_client(
        &mut self,
        new: &NewOAuthClient<'_>,
    ) -> Result<OAuthClient, StoreError> {
        check_length("oauth client identifier", new.identifier, 255)?;
        if let Some(uri) = new.redirect_uri {
            check_max("redirect uri", uri, 1023)?;
        }
        let row = diesel::insert_into(oauth_clients::table)
            .values((
                oauth_clients::identifier.eq(new.identifier),
                oauth_clients::description.eq(new.description),
                oauth_clients::secret.eq(new.secret.map(ToString::to_string).unwrap_or_default()),
                oauth_clients::redirect_uri.eq(new.redirect_uri),
                oauth_clients::allowed_scopes.eq(strings_json(new.allowed_scopes)),
            ))
            .returning(CLIENT_COLUMNS)
            .get_result::<ClientRow>(self.conn)
            .map_err(StoreError::from)
            .map_err(StoreError::unique(Kind::OAuthClient, new.identifier))?;
        client_from_row(row)
    }

    /// The OAuth client with this identifier, if any.
    ///
    /// # Errors
    ///
    /// Database errors, or [`StoreError::Corrupt`] for an unreadable stored secret.
    pub fn find_oauth_client(
        &mut self,
        identifier: &str,
    ) -> Result<Option<OAuthClient>, StoreError> {
        oauth_clients::table
            .filter(oauth_clients::identifier.eq(identifier))
            .select(CLIENT_COLUMNS)
            .get_result::<ClientRow>(self.conn)
            .optional()?
            .map(client_from_row)
            .transpose()
    }

    /// The OAuth client with this identifier.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is none.
    pub fn oauth_client(&mut self, identifier: &str) -> Result<OAuthClient, StoreError> {
        self.find_oauth_client(identifier)?
            .ok_or_else(|| StoreError::not_found(Kind::OAuthClient, identifier))
    }

    /// Whether `secret` is the client's secret (JupyterHub's `compare_token`); `false` for
    /// a client without one or an unknown client.
    ///
    /// # Errors
    ///
    /// Database errors, [`StoreError::Corrupt`] for an unreadable stored secret.
    pub fn verify_oauth_client_secret(
        &mut self,
        identifier: &str,
        secret: &str,
    ) -> Result<bool, StoreError> {
        Ok(self
            .find_oauth_client(identifier)?
            .and_then(|client| client.secret)
            .is_some_and(|hash| hash.verify(secret)))
    }

    /// Deletes an OAuth client; its tokens and codes go with it, and servers and services
    /// that used it lose the link.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] when there is no such client.
    pub fn delete_oauth_client(&mut self, identifier: &str) -> Result<(), StoreError> {
        let deleted =
            diesel::delete(oauth_clients::table.filter(oauth_clients::identifier.eq(identifier)))
                .execute(self.conn)?;
        if deleted == 0 {
            return Err(StoreError::not_found(Kind::OAuthClient, identifier));
        }
        Ok(())
    }

    /// Stores an OAuth authorization code.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown client or user, [`StoreError::Invalid`] for
    /// a code over 36 characters.
    pub fn create_oauth_code(&mut self, new: &NewOAuthCode<'_>) -> Result<i64, StoreError> {
        check_length("oauth code", new.code, 36)?;
        self.oauth_client(new.client_id)?;
        let user_id = self.user_id(new.user)?;
        diesel::insert_into(oauth_codes::table)
            .values((
                oauth_codes::client_id.eq(new.client_id),
                oauth_codes::code.eq(new.code),
                oauth_codes::expires_at.eq(new.expires_at.map(OffsetDateTime::unix_timestamp)),
                oauth_codes::redirect_uri.eq(new.redirect_uri),
                oauth_codes::session_id.eq(new.session_id),
                oauth_codes::user_id.eq(user_id),
                oauth_codes::scopes.eq(strings_json(new.scopes)),
                oauth_codes::code_challenge.eq(new.code_challenge),
                oauth_codes::code_challenge_method.eq(new.code_challenge_method),
            ))
            .returning(oauth_codes::id)
            .get_result(self.conn)
            .map_err(StoreError::from)
            .map_err(StoreError::unique(Kind::OAuthCode, "(code)"))
    }

    /// The code `code` if it has not expired at `now` (`OAuthCode.find`: no expiry, or
    /// `expires_at >= now` in whole seconds).
    ///
    /// # Errors
    ///
    /// Database errors, [`StoreError::Corrupt`] for unreadable scopes.
    pub fn find_oauth_code(
        &mut self,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<Option<OAuthCode>, StoreError> {
        let row: Option<CodeRow> = oauth_codes::table
            .inner_join(users::table)
            .filter(oauth_codes::code.eq(code))
            .filter(
                oauth_codes::expires_at
                    .is_null()
                    .or(oauth_codes::expires_at.ge(now.unix_timestamp())),
            )
            .select((
                oauth_codes::id,
                oauth_codes::client_id,
                oauth_codes::code,
                oauth_codes::expires_at,
                oauth_codes::redirect_uri,
                oauth_codes::session_id,
                users::name,
                oauth_codes::scopes,
                oauth_codes::code_challenge,
                oauth_codes::code_challenge_method,
            ))
            .get_result(self.conn)
            .optional()?;
        row.map(
            |(
                id,
                client_id,
                code,
                expires_at,
                redirect_uri,
                session_id,
                user,
                scopes,
                code_challenge,
                code_challenge_method,
            )| {
                Ok(OAuthCode {
                    scopes: parse_strings("oauth_codes", "scopes", id, &scopes)?,
                    id,
                    client_id,
                    code,
                    expires_at,
                    redirect_uri,
                    session_id,
                    user,
                    code_challenge,
                    code_challenge_method,
                })
            },
        )
        .transpose()
    }

    /// Deletes a code (once it is exchanged). Returns whether it existed.
    ///
    /// # Errors
    ///
    /// Database errors only.
    pub fn delete_oauth_code(&mut self, id: i64) -> Result<bool, StoreError> {
        Ok(
            diesel::delete(oauth_codes::table.filter(oauth_codes::id.eq(id))).execute(self.conn)?
                > 0,
        )
    }
}
