//! The sharing `fn`s of FORMAT.md §5.22–§5.27 on the `sharing` crate. Shares and the last share
//! code persist in the file's state (FORMAT.md §4).

use serde_json::{Value, json};
use sharing::{
    CodeIdentity, Recipient, Share, ShareCode, SharedServer, Timestamp, apply_filter,
    expand_share_scopes, grant, revoke,
};
use tokens::{Origin, TokenHash, new_share_code};

use crate::domain_fns::error_json;
use crate::error::RunError;
use crate::normalize::{Outcome, set_json};
use crate::scope_fns::{State, field, field_str, scope_list};

/// The runner's clock: a fixed instant, so that lifetimes are exact.
fn now() -> Timestamp {
    Timestamp::from_unix_seconds(1_700_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn server(input: &Value, key: &str) -> Result<SharedServer, RunError> {
    let name = field_str(input, key)?;
    SharedServer::from_full_name(name)
        .ok_or_else(|| RunError::bad_input(format!("`{name}` is not USER/SERVER")))
}

fn recipient(text: &str) -> Result<Recipient, RunError> {
    text.parse()
        .map_err(|_| RunError::bad_input(format!("`{text}` is not user:NAME or group:NAME")))
}

/// `Share.apply_filter(scopes, spawner)`.
pub(crate) fn share_apply_filter(input: &Value) -> Result<Outcome, RunError> {
    let scopes = scope_list(field(input, "scopes")?)?;
    let server = server(input, "spawner")?;
    Ok(Outcome::plain(match apply_filter(&scopes, &server) {
        Ok(filtered) => set_json(&filtered),
        Err(e) => error_json("ValueError", &e),
    }))
}

impl State<'_> {
    fn take_share(&mut self, server: &SharedServer, with: &Recipient) -> Option<Share> {
        let at = self
            .domain
            .shares
            .iter()
            .position(|s| s.server == *server && s.recipient == *with)?;
        Some(self.domain.shares.remove(at))
    }

    /// `Share.grant(db, spawner, share_with, scopes)`.
    pub(crate) fn share_grant(&mut self, input: &Value) -> Result<Outcome, RunError> {
        let server = server(input, "spawner")?;
        let with = recipient(field_str(input, "share_with")?)?;
        let scopes = scope_list(field(input, "scopes")?)?;
        let existing = self.take_share(&server, &with);
        match grant(existing.clone(), &server, &with, Some(&scopes), now()) {
            Ok(granted) => {
                let output = set_json(&granted.share.scopes);
                self.domain.shares.push(granted.share);
                Ok(Outcome::plain(output))
            }
            Err(e) => {
                self.domain.shares.extend(existing);
                Ok(Outcome::plain(error_json(e.python_class(), &e)))
            }
        }
    }

    /// `expand_share_scopes(share)`.
    pub(crate) fn expand_share(&self, input: &Value) -> Result<Outcome, RunError> {
        let name = field_str(input, "share")?;
        let (server, with) = name.split_once(" -> ").ok_or_else(|| {
            RunError::bad_input(format!("`{name}` is not `USER/SERVER -> KIND:NAME`"))
        })?;
        let server = SharedServer::from_full_name(server)
            .ok_or_else(|| RunError::bad_input(format!("`{server}` is not USER/SERVER")))?;
        let with = recipient(with)?;
        let share = self
            .domain
            .shares
            .iter()
            .find(|s| s.server == server && s.recipient == with)
            .ok_or_else(|| RunError::bad_input(format!("no share `{name}` exists here")))?;
        let client = self.server_share_client(share);
        Ok(match expand_share_scopes(&self.table, share, client) {
            Ok(expansion) => Outcome::warned(set_json(&expansion.scopes), &expansion.warnings),
            Err(e) => Outcome::plain(error_json(e.class().as_str(), &e)),
        })
    }

    /// `Share.revoke(db, spawner, share_with, scopes)`, on the share as `before` states it.
    pub(crate) fn share_revoke(&mut self, input: &Value) -> Result<Outcome, RunError> {
        let server = match input.get("spawner") {
            Some(_) => server(input, "spawner")?,
            None => SharedServer::new("alice", "x"),
        };
        let with = match input.get("share_with").and_then(Value::as_str) {
            Some(text) => recipient(text)?,
            None => Recipient::User("dave".to_owned()),
        };
        let before = scope_list(field(input, "before")?)?;
        let existing = self.take_share(&server, &with);
        let existing = match (existing, before.is_empty()) {
            (_, true) => None,
            (Some(mut share), false) => {
                share.scopes = before.into_iter().collect();
                Some(share)
            }
            (None, false) => Some(Share {
                server: server.clone(),
                recipient: with.clone(),
                scopes: before.into_iter().collect(),
                created_at: now(),
                expires_at: None,
            }),
        };
        let scopes = match field(input, "revoke")? {
            Value::Null => None,
            list => Some(scope_list(list)?),
        };
        let revocation = revoke(existing, scopes.as_deref());
        let output = match revocation.remaining() {
            Some(share) => set_json(&share.scopes),
            None => Value::Null,
        };
        self.domain.shares.extend(revocation.into_remaining());
        Ok(Outcome::plain(output))
    }

    /// `ShareCode.new(db, spawner, scopes=..., expires_in=...)`.
    pub(crate) fn share_code_new(&mut self, input: &Value) -> Result<Outcome, RunError> {
        let server = server(input, "spawner")?;
        let scopes = scope_list(field(input, "scopes")?)?;
        // Python takes fractional seconds too; whole seconds are what hubcap keeps (the
        // recorded lifetime is rounded to minutes).
        let expires_in = match field(input, "expires_in")? {
            Value::Null => None,
            value => Some(
                value
                    .as_i64()
                    .or_else(|| value.as_f64().map(|f| f.trunc() as i64))
                    .ok_or_else(|| {
                        RunError::bad_input(format!("expires_in `{value}` is not a number"))
                    })?,
            ),
        };
        let code = new_share_code()
            .map_err(|e| RunError::bad_input(format!("no randomness for a share code: {e}")))?;
        let hashed = TokenHash::for_storage(code.expose(), Origin::Generated)
            .map_err(|e| RunError::bad_input(format!("cannot hash a share code: {e}")))?;
        let identity =
            CodeIdentity::new(self.domain.next_code_id, code.expose(), hashed.to_string());
        let created = match ShareCode::create(server, &scopes, expires_in, now(), identity) {
            Ok(created) => created,
            Err(e) => return Ok(Outcome::plain(error_json("ValueError", &e))),
        };
        self.domain.next_code_id += 1;
        let text = code.expose();
        let output = json!({
            "scopes": set_json(&created.scopes),
            "code_len": text.chars().count(),
            "code_charset_urlsafe_b64": text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
            "prefix_len": created.prefix.chars().count(),
            "prefix_is_code_prefix": text.starts_with(&created.prefix) && created.prefix.chars().count() == 4,
            "expires_in_seconds_approx": created.expires_in_minutes_as_seconds(now()),
            "exchange_count": created.exchange_count,
            "id": created.api_id(),
        });
        self.domain.code = Some(created);
        Ok(Outcome::plain(output))
    }

    /// `code.exchange(share_with)`, `times` times, on the last share code.
    pub(crate) fn share_code_exchange(&mut self, input: &Value) -> Result<Outcome, RunError> {
        let with = recipient(field_str(input, "share_with")?)?;
        let times = field(input, "times")?
            .as_u64()
            .ok_or_else(|| RunError::bad_input("times must be a count"))?;
        let mut code = self
            .domain
            .code
            .take()
            .ok_or_else(|| RunError::bad_input("no share code precedes this exchange"))?;
        let mut first: Option<(SharedServer, Recipient)> = None;
        let mut same = true;
        for _ in 0..times {
            let existing = self.take_share(&code.server, &with);
            match code.exchange(existing.clone(), &with, now()) {
                Ok(granted) => {
                    let key = (
                        granted.share.server.clone(),
                        granted.share.recipient.clone(),
                    );
                    match &first {
                        None => first = Some(key),
                        Some(seen) => same &= *seen == key,
                    }
                    self.domain.shares.push(granted.share);
                }
                Err(e) => {
                    self.domain.shares.extend(existing);
                    return Ok(Outcome::plain(error_json(e.python_class(), &e)));
                }
            }
        }
        let share_scopes = first
            .and_then(|(server, with)| {
                self.domain
                    .shares
                    .iter()
                    .find(|s| s.server == server && s.recipient == with)
            })
            .map_or(Value::Array(Vec::new()), |share| set_json(&share.scopes));
        let output = json!({
            "share_scopes": share_scopes,
            "same_share_object": same,
            "exchange_count": code.exchange_count,
        });
        self.domain.code = Some(code);
        Ok(Outcome::plain(output))
    }
}
