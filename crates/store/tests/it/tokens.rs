use store::{
    Kind, NewOAuthClient, NewOAuthCode, NewService, NewToken, NewUser, Owner, OwnerKind,
    StoreError, TokenOwner,
};
use time::{Duration, OffsetDateTime};
use tokens::{Origin, TokenHash};

use crate::common::{Db, each};

fn setup(db: &Db) {
    db.store
        .write(|tx| {
            tx.create_oauth_client(&NewOAuthClient {
                identifier: "jupyterhub",
                ..Default::default()
            })?;
            tx.create_user(&NewUser::named("alice"))?;
            tx.create_user(&NewUser::named("bob"))?;
            tx.create_service(&NewService {
                name: "svc",
                ..Default::default()
            })?;
            Ok(())
        })
        .unwrap();
}

fn insert(
    db: &Db,
    owner: TokenOwner<'_>,
    token: &str,
    expires_at: Option<OffsetDateTime>,
) -> store::Token {
    let hash = TokenHash::for_storage(token, Origin::Generated).unwrap();
    let scopes = vec!["read:users".to_owned()];
    db.store
        .write(|tx| {
            tx.insert_token(&NewToken {
                owner,
                hash: &hash,
                prefix: tokens::prefix(token),
                scopes: &scopes,
                note: "a note",
                expires_at,
                client_id: "jupyterhub",
                session_id: None,
            })
        })
        .unwrap()
}

#[test]
fn lookup_by_prefix_and_hash() {
    each(|db| {
        setup(db);
        let secret = tokens::new_token().unwrap();
        let stored = insert(db, TokenOwner::User("alice"), secret.expose(), None);
        assert_eq!(stored.owner, Owner::User("alice".into()));
        assert_eq!(stored.api_id(), format!("a{}", stored.id));
        assert_eq!(stored.prefix, tokens::prefix(secret.expose()));
        // the same prefix, another secret: both are candidates, only the right one verifies
        let twin = format!("{}{}", &secret.expose()[..4], "0".repeat(28));
        let twin_stored = insert(db, TokenOwner::Service("svc"), &twin, None);
        let now = OffsetDateTime::now_utc();
        let found = db
            .store
            .read(|tx| tx.find_token(secret.expose(), now, None))
            .unwrap()
            .unwrap();
        assert_eq!(found, stored, "{}", db.name);
        assert_eq!(found.scopes, ["read:users"]);
        let found = db
            .store
            .read(|tx| tx.find_token(&twin, now, None))
            .unwrap()
            .unwrap();
        assert_eq!(found.id, twin_stored.id);
        assert_eq!(found.owner, Owner::Service("svc".into()));
        // kind filters owners, as APIToken.find(kind=...)
        assert!(
            db.store
                .read(|tx| tx.find_token(&twin, now, Some(OwnerKind::User)))
                .unwrap()
                .is_none()
        );
        assert!(
            db.store
                .read(|tx| tx.find_token(&twin, now, Some(OwnerKind::Service)))
                .unwrap()
                .is_some()
        );
        let users_only = Some(OwnerKind::User);
        let services_only = Some(OwnerKind::Service);
        let with_kind = |kind| {
            db.store
                .read(|tx| tx.find_token(secret.expose(), now, kind))
                .unwrap()
                .map(|t| t.id)
        };
        assert_eq!(with_kind(users_only), Some(stored.id), "{}", db.name);
        assert_eq!(with_kind(services_only), None, "{}", db.name);
        // a wrong secret, a too long one, an empty one
        for wrong in [
            format!("{}x", secret.expose()),
            "x".repeat(65),
            String::new(),
        ] {
            assert!(
                db.store
                    .read(|tx| tx.find_token(&wrong, now, None))
                    .unwrap()
                    .is_none(),
                "{wrong}"
            );
        }
        // user-provided tokens are hashed with 16384 rounds and verify the same
        let hash = TokenHash::for_storage("my-own-token-123", Origin::UserProvided).unwrap();
        assert_eq!(hash.rounds(), 16384);
        insert(db, TokenOwner::User("bob"), "my-own-token-123", None);
        let found = db
            .store
            .read(|tx| tx.find_token("my-own-token-123", now, None))
            .unwrap()
            .unwrap();
        assert_eq!(found.owner, Owner::User("bob".into()));
    });
}

#[test]
fn expired_tokens_are_left_out_like_find_prefix() {
    each(|db| {
        setup(db);
        let at = OffsetDateTime::from_unix_timestamp(2_000_000_000).unwrap();
        let secret = tokens::new_token().unwrap();
        insert(db, TokenOwner::User("alice"), secret.expose(), Some(at));
        let find = |now: OffsetDateTime| {
            db.store
                .read(|tx| tx.find_token(secret.expose(), now, None))
                .unwrap()
        };
        let micro = Duration::microseconds(1);
        assert!(find(at - Duration::hours(1)).is_some());
        // `expires_at >= now`: still found at the very instant, as in JupyterHub
        assert!(find(at).is_some(), "{}", db.name);
        assert!(tokens::lookup_includes(Some(at), at));
        assert!(find(at + micro).is_none(), "{}", db.name);
        // purge_expired deletes `expires_at < now` only
        assert_eq!(db.store.write(|tx| tx.purge_expired_tokens(at)).unwrap(), 0);
        assert_eq!(
            db.store
                .write(|tx| tx.purge_expired_tokens(at + micro))
                .unwrap(),
            1
        );
    });
}

#[test]
fn list_delete_and_cascades() {
    each(|db| {
        setup(db);
        let a = insert(
            db,
            TokenOwner::User("alice"),
            tokens::new_token().unwrap().expose(),
            None,
        );
        let b = insert(
            db,
            TokenOwner::User("alice"),
            tokens::new_token().unwrap().expose(),
            None,
        );
        insert(
            db,
            TokenOwner::User("bob"),
            tokens::new_token().unwrap().expose(),
            None,
        );
        let listed = db
            .store
            .read(|tx| tx.tokens_of(TokenOwner::User("alice")))
            .unwrap();
        assert_eq!(
            listed.iter().map(|t| t.id).collect::<Vec<_>>(),
            [a.id, b.id]
        );
        let when = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        db.store
            .write(|tx| tx.set_token_last_activity(a.id, when))
            .unwrap();
        assert_eq!(
            db.store
                .read(|tx| tx.token_by_id(a.id))
                .unwrap()
                .unwrap()
                .last_activity,
            Some(when)
        );
        db.store.write(|tx| tx.delete_token(a.id)).unwrap();
        let err = db.store.write(|tx| tx.delete_token(a.id)).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    kind: Kind::Token,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.to_string(), format!("token `a{}` not found", a.id));
        // deleting the owner deletes the tokens
        db.store.write(|tx| tx.delete_user("alice")).unwrap();
        assert!(
            db.store.read(|tx| tx.token_by_id(b.id)).unwrap().is_none(),
            "{}",
            db.name
        );
        // deleting the OAuth client deletes its tokens
        db.store
            .write(|tx| tx.delete_oauth_client("jupyterhub"))
            .unwrap();
        assert!(
            db.store
                .read(|tx| tx.tokens_of(TokenOwner::User("bob")))
                .unwrap()
                .is_empty()
        );
    });
}

#[test]
fn tokens_need_an_existing_owner_and_client() {
    each(|db| {
        setup(db);
        let hash = TokenHash::for_storage("abcdefgh12345678", Origin::Generated).unwrap();
        let new = |owner, client_id| NewToken {
            owner,
            hash: &hash,
            prefix: "abcd",
            scopes: &[],
            note: "",
            expires_at: None,
            client_id,
            session_id: None,
        };
        let err = db
            .store
            .write(|tx| tx.insert_token(&new(TokenOwner::User("nobody"), "jupyterhub")))
            .unwrap_err();
        assert_eq!(err.to_string(), "user `nobody` not found");
        let err = db
            .store
            .write(|tx| tx.insert_token(&new(TokenOwner::User("alice"), "nope")))
            .unwrap_err();
        assert_eq!(err.to_string(), "oauth client `nope` not found");
        db.store
            .write(|tx| tx.insert_token(&new(TokenOwner::User("alice"), "jupyterhub")))
            .unwrap();
        let err = db
            .store
            .write(|tx| tx.insert_token(&new(TokenOwner::User("bob"), "jupyterhub")))
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::AlreadyExists {
                    kind: Kind::Token,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            !err.to_string().contains("abcdefgh"),
            "the secret is never shown: {err}"
        );
    });
}

#[test]
fn oauth_clients_and_codes() {
    each(|db| {
        setup(db);
        let secret = TokenHash::for_storage("client-secret", Origin::UserProvided).unwrap();
        let allowed = vec!["access:servers!server=alice/".to_owned()];
        db.store
            .write(|tx| {
                tx.create_oauth_client(&NewOAuthClient {
                    identifier: "jupyterhub-user-alice",
                    description: Some("alice's server"),
                    secret: Some(&secret),
                    redirect_uri: Some("/user/alice/oauth_callback"),
                    allowed_scopes: &allowed,
                })
            })
            .unwrap();
        let client = db
            .store
            .read(|tx| tx.oauth_client("jupyterhub-user-alice"))
            .unwrap();
        assert_eq!(client.allowed_scopes, allowed);
        assert_eq!(client.secret.as_ref(), Some(&secret));
        assert!(
            db.store
                .read(|tx| tx.verify_oauth_client_secret("jupyterhub-user-alice", "client-secret"))
                .unwrap()
        );
        assert!(
            !db.store
                .read(|tx| tx.verify_oauth_client_secret("jupyterhub-user-alice", "wrong"))
                .unwrap()
        );
        assert!(
            !db.store
                .read(|tx| tx.verify_oauth_client_secret("jupyterhub", ""))
                .unwrap()
        );
        let err = db
            .store
            .write(|tx| {
                tx.create_oauth_client(&NewOAuthClient {
                    identifier: "jupyterhub",
                    ..Default::default()
                })
            })
            .unwrap_err();
        assert_eq!(err.to_string(), "oauth client `jupyterhub` already exists");

        let expires = OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap();
        let id = db
            .store
            .write(|tx| {
                tx.create_oauth_code(&NewOAuthCode {
                    client_id: "jupyterhub-user-alice",
                    code: "c0de",
                    expires_at: Some(expires),
                    user: "alice",
                    scopes: &allowed,
                    ..Default::default()
                })
            })
            .unwrap();
        let found = db
            .store
            .read(|tx| tx.find_oauth_code("c0de", expires))
            .unwrap()
            .unwrap();
        assert_eq!(
            (found.id, found.user.as_str(), found.scopes.clone()),
            (id, "alice", allowed.clone())
        );
        assert!(!format!("{found:?}").contains("c0de"));
        assert!(
            db.store
                .read(|tx| tx.find_oauth_code("c0de", expires + Duration::seconds(1)))
                .unwrap()
                .is_none()
        );
        assert!(db.store.write(|tx| tx.delete_oauth_code(id)).unwrap());
        assert!(
            db.store
                .read(|tx| tx.find_oauth_code("c0de", expires))
                .unwrap()
                .is_none()
        );
    });
}
