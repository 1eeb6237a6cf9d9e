//! The JSON models the REST API returns for shares and share codes (`_ShareAPIHandler`'s
//! `share_model` and `share_code_model`), built from the stored values and the facts about
//! the server that only the hub knows ([`ServerFacts`]).
//!
//! ```json
//! {"server": {"user": {"name": "alice"}, "name": "", "url": "/user/alice/", "full_url": null, "ready": true},
//!  "scopes": ["access:servers!server=alice/"], "user": {"name": "bob"}, "group": null, "kind": "user",
//!  "created_at": "2026-11-23T00:34:59.401487Z"}
//! ```
//!
//! A share code's model has `id`, `expires_at`, `exchange_count` and `last_exchanged_at`
//! instead of `user`, `group` and `kind`, and, in the answer that creates it only, the secret:
//! `code`, `accept_url` and `full_accept_url` ([`IssuedCode`]).

use serde::{Deserialize, Serialize};

use crate::code::ShareCode;
use crate::share::Share;
use crate::target::{Recipient, SharedServer};

/// What the hub knows about a server that the share models show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerFacts {
    /// The server's URL path, `user.url + url_escape_path(name) + "/"` (`/user/alice/`).
    pub url: String,
    /// The full URL, when the hub knows its public URL (`public_url` or subdomains).
    pub full_url: Option<String>,
    /// Whether the server is running and ready (`false` when it is not loaded).
    pub ready: bool,
}

/// `{"name": ...}`: how the share models name a user or group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameModel {
    /// The name.
    pub name: String,
}

/// The cut-down server model inside share models: only `name`, `url`, `full_url`, `ready`,
/// plus the owner as `user: {name}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerModel {
    /// The owner.
    pub user: NameModel,
    /// The server name (`""` for the default server).
    pub name: String,
    /// The server's URL path.
    pub url: String,
    /// The full URL, or `null`.
    pub full_url: Option<String>,
    /// Whether the server is ready.
    pub ready: bool,
}

impl ServerModel {
    /// The model of `server`.
    pub fn new(server: &SharedServer, facts: ServerFacts) -> ServerModel {
        ServerModel {
            user: NameModel {
                name: server.owner.clone(),
            },
            name: server.name.clone(),
            url: facts.url,
            full_url: facts.full_url,
            ready: facts.ready,
        }
    }
}

/// A share as the REST API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareModel {
    /// The shared server.
    pub server: ServerModel,
    /// The scopes (current, i.e. following renames), sorted.
    pub scopes: Vec<String>,
    /// The user shared with, or `null`.
    pub user: Option<NameModel>,
    /// The group shared with, or `null`.
    pub group: Option<NameModel>,
    /// `user` or `group`.
    pub kind: String,
    /// When the share was first granted (`isoformat`).
    pub created_at: String,
}

impl ShareModel {
    /// JupyterHub's `share_model(share)`.
    pub fn new(share: &Share, server: ServerFacts) -> ShareModel {
        let (user, group) = match &share.recipient {
            Recipient::User(name) => (Some(NameModel { name: name.clone() }), None),
            Recipient::Group(name) => (None, Some(NameModel { name: name.clone() })),
        };
        ShareModel {
            server: ServerModel::new(&share.server, server),
            scopes: share.current_scopes().texts().map(str::to_owned).collect(),
            user,
            group,
            kind: share.recipient.kind().to_owned(),
            created_at: share.created_at.isoformat(),
        }
    }
}

/// The secret part of a share code's model, present only in the answer that creates it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedCode {
    /// The code itself.
    pub code: String,
    /// The path of the accept page with the code: `{hub base}accept-share?code=...`.
    pub accept_url: String,
    /// `accept_url` on the hub's public URL, or `null` without one.
    pub full_accept_url: Option<String>,
}

impl IssuedCode {
    /// JupyterHub's `url_concat(hub.base_url + "accept-share", {"code": code})`, and the same
    /// path on `public_url` (the hub's configured public URL, if any). `hub_base_url` is the
    /// hub's base URL, normally `/hub/` (with the trailing slash).
    pub fn new(code: &str, hub_base_url: &str, public_url: Option<&str>) -> IssuedCode {
        let accept_url = format!("{hub_base_url}accept-share?code={}", quote_plus(code));
        let full_accept_url = public_url.map(|public| with_path(public, &accept_url));
        IssuedCode {
            code: code.to_owned(),
            accept_url,
            full_accept_url,
        }
    }
}

/// A share code as the REST API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareCodeModel {
    /// The shared server.
    pub server: ServerModel,
    /// The scopes (current), sorted.
    pub scopes: Vec<String>,
    /// `sc_ID`.
    pub id: String,
    /// When the code was made.
    pub created_at: String,
    /// When it expires, or `null`.
    pub expires_at: Option<String>,
    /// How many times it was exchanged.
    pub exchange_count: u64,
    /// When it was last exchanged, or `null`.
    pub last_exchanged_at: Option<String>,
    /// The secret, only when the code was just made.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<IssuedCode>,
}

impl ShareCodeModel {
    /// JupyterHub's `share_code_model(share_code, code=None)`; `issued` carries the secret in
    /// the creation answer.
    pub fn new(
        code: &ShareCode,
        server: ServerFacts,
        issued: Option<IssuedCode>,
    ) -> ShareCodeModel {
        ShareCodeModel {
            server: ServerModel::new(&code.server, server),
            scopes: code.current_scopes().texts().map(str::to_owned).collect(),
            id: code.api_id(),
            created_at: code.created_at.isoformat(),
            expires_at: code.expires_at.map(|t| t.isoformat()),
            exchange_count: code.exchange_count,
            last_exchanged_at: code.last_exchanged_at.map(|t| t.isoformat()),
            issued,
        }
    }
}

/// Python's `urllib.parse.quote_plus` (what `urlencode` applies to query values): letters,
/// digits and `_.-~` stay, spaces become `+`, every other byte of the UTF-8 text `%XX`.
fn quote_plus(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `urlunparse(urlparse(url)._replace(path=path))`: `path` on the scheme and host of `url`,
/// keeping `url`'s `;params`, `?query` and `#fragment` after it, as Python does.
fn with_path(url: &str, path: &str) -> String {
    let (rest, fragment) = match url.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (url, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let (scheme, rest) = match rest.split_once(':') {
        Some((scheme, rest))
            if scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            (Some(scheme.to_ascii_lowercase()), rest)
        }
        _ => (None, rest),
    };
    let (netloc, old_path) = match rest.strip_prefix("//") {
        Some(after) => match after.find('/') {
            Some(at) => after.split_at(at),
            None => (after, ""),
        },
        None => ("", rest),
    };
    let params = old_path
        .rsplit('/')
        .next()
        .and_then(|segment| segment.split_once(';'))
        .map(|(_, params)| params);
    let mut out = String::new();
    if let Some(scheme) = &scheme {
        out.push_str(scheme);
        out.push(':');
    }
    let mut tail = path.to_owned();
    if let Some(params) = params.filter(|p| !p.is_empty()) {
        tail.push(';');
        tail.push_str(params);
    }
    if !netloc.is_empty() || (scheme.is_some() && !tail.starts_with("//")) {
        out.push_str("//");
        out.push_str(netloc);
        if !tail.is_empty() && !tail.starts_with('/') {
            out.push('/');
        }
    }
    out.push_str(&tail);
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        out.push('?');
        out.push_str(query);
    }
    if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use scopes::Scope;
    use serde_json::json;

    use super::*;
    use crate::code::CodeIdentity;
    use crate::time::Timestamp;

    fn facts() -> ServerFacts {
        ServerFacts {
            url: "/user/alice/".into(),
            full_url: None,
            ready: true,
        }
    }

    #[test]
    fn share_model_is_jupyterhubs() {
        // transcripts §8: POST /hub/api/shares/alice/
        let share = Share {
            server: SharedServer::new("alice", ""),
            recipient: Recipient::User("bob".into()),
            scopes: [Scope::lenient("access:servers!server=alice/")].into(),
            created_at: Timestamp::from_unix_micros(1_795_394_099_401_487).unwrap(),
            expires_at: None,
        };
        let model = serde_json::to_value(ShareModel::new(&share, facts())).unwrap();
        assert_eq!(
            model,
            json!({"server": {"user": {"name": "alice"}, "name": "", "url": "/user/alice/", "full_url": null, "ready": true}, "scopes": ["access:servers!server=alice/"], "user": {"name": "bob"}, "group": null, "kind": "user", "created_at": "2026-11-23T00:34:59.401487Z"})
        );
        let back: ShareModel = serde_json::from_value(model).unwrap();
        assert_eq!(back.kind, "user");
    }

    #[test]
    fn group_share_model_and_renames() {
        let share = Share {
            server: SharedServer::new("alice2", "x"),
            recipient: Recipient::Group("g1".into()),
            scopes: [Scope::lenient("servers!server=alice/x")].into(),
            created_at: Timestamp::UNIX_EPOCH,
            expires_at: None,
        };
        let model = ShareModel::new(&share, facts());
        assert_eq!(model.user, None);
        assert_eq!(model.group, Some(NameModel { name: "g1".into() }));
        assert_eq!(model.kind, "group");
        assert_eq!(model.scopes, ["servers!server=alice2/x"]);
        assert_eq!(model.created_at, "1970-01-01T00:00:00Z");
    }

    fn code() -> ShareCode {
        ShareCode::create(
            SharedServer::new("alice", ""),
            &[Scope::lenient("access:servers")],
            Some(3600),
            Timestamp::from_unix_micros(1_795_394_099_795_768).unwrap(),
            CodeIdentity::new(1, "69KNWCjbGQA3ncpAKE9trgvRzLyKptafKAm3k0fL7-w", "h"),
        )
        .unwrap()
    }

    #[test]
    fn issued_code_model_is_jupyterhubs() {
        // transcripts §8: POST /hub/api/share-codes/alice/
        let secret = "69KNWCjbGQA3ncpAKE9trgvRzLyKptafKAm3k0fL7-w";
        let issued = IssuedCode::new(secret, "/hub/", None);
        let model =
            serde_json::to_value(ShareCodeModel::new(&code(), facts(), Some(issued))).unwrap();
        assert_eq!(
            model,
            json!({"server": {"user": {"name": "alice"}, "name": "", "url": "/user/alice/", "full_url": null, "ready": true}, "scopes": ["access:servers!server=alice/"], "id": "sc_1", "created_at": "2026-11-23T00:34:59.795768Z", "expires_at": "2026-11-23T01:34:59.795768Z", "exchange_count": 0, "last_exchanged_at": null, "code": secret, "accept_url": format!("/hub/accept-share?code={secret}"), "full_accept_url": null})
        );
        let back: ShareCodeModel = serde_json::from_value(model).unwrap();
        assert_eq!(back.issued.map(|i| i.code).as_deref(), Some(secret));
    }

    #[test]
    fn listed_code_model_has_no_secret() {
        let model = serde_json::to_value(ShareCodeModel::new(&code(), facts(), None)).unwrap();
        let keys: Vec<&str> = model
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "server",
                "scopes",
                "id",
                "created_at",
                "expires_at",
                "exchange_count",
                "last_exchanged_at"
            ]
        );
        let back: ShareCodeModel = serde_json::from_value(model).unwrap();
        assert_eq!(back.issued, None);
    }

    #[test]
    fn accept_urls() {
        let issued = IssuedCode::new("a b/é", "/prefix/hub/", Some("https://hub.example.org"));
        assert_eq!(
            issued.accept_url,
            "/prefix/hub/accept-share?code=a+b%2F%C3%A9"
        );
        assert_eq!(
            issued.full_accept_url.as_deref(),
            Some("https://hub.example.org/prefix/hub/accept-share?code=a+b%2F%C3%A9")
        );
        let check = |public: &str, want: &str| {
            assert_eq!(
                with_path(public, "/hub/accept-share?code=X"),
                want,
                "{public}"
            );
        };
        check("https://h.org/", "https://h.org/hub/accept-share?code=X");
        check(
            "https://h.org/some/path",
            "https://h.org/hub/accept-share?code=X",
        );
        check(
            "HTTPS://h.org:8443",
            "https://h.org:8443/hub/accept-share?code=X",
        );
        check(
            "https://h.org/?a=1#f",
            "https://h.org/hub/accept-share?code=X?a=1#f",
        );
        check(
            "https://h.org/p;v",
            "https://h.org/hub/accept-share?code=X;v",
        );
    }
}
