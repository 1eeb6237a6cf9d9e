use scopes::Scope;
use serde_json::{Map, json};
use sharing::{CodeIdentity, Recipient, ShareCode, SharedServer, Timestamp, grant};
use store::{Address, Kind, NewUser, ServerUpdate, StoreError};
use tokens::{Origin, TokenHash};

use crate::common::{Db, each};

fn setup(db: &Db) {
    db.store
        .write(|tx| {
            for name in ["alice", "bob", "carol"] {
                tx.create_user(&NewUser::named(name))?;
            }
            tx.create_server("alice", "", None)?;
            tx.create_server("alice", "x", Some("Experiment X"))?;
            tx.create_group("g1", &Map::new())?;
            tx.add_group_members("g1", &["carol"])?;
            Ok(())
        })
        .unwrap();
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(seconds).unwrap()
}

#[test]
fn servers_create_address_update_delete() {
    each(|db| {
        setup(db);
        let s = &db.store;
        let err = s
            .write(|tx| tx.create_server("alice", "x", None))
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::AlreadyExists { kind: Kind::Server, name } if name == "alice/x"),
            "{err:?}"
        );
        let err = s
            .write(|tx| tx.create_server("alice", "Bad_Name", None))
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");

        let x = s.read(|tx| tx.server("alice", "x")).unwrap();
        assert_eq!(x.display_name.as_deref(), Some("Experiment X"));
        assert!(x.address.is_none());
        let address = Address::http("127.0.0.1", 51234, "/user/alice/x/");
        let when = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let state = json!({"pid": 1234});
        let options = json!({"profile": "gpu"});
        s.write(|tx| {
            tx.set_server_address("alice", "x", Some(&address))?;
            tx.update_server(
                "alice",
                "x",
                &ServerUpdate {
                    state: Some(Some(&state)),
                    user_options: Some(Some(&options)),
                    started: Some(Some(when)),
                    last_activity: Some(when),
                    oauth_client_id: None,
                },
            )
        })
        .unwrap();
        let x = s.read(|tx| tx.server("alice", "x")).unwrap();
        assert_eq!(x.address, Some(address.clone()), "{}", db.name);
        assert_eq!(
            (x.state, x.user_options, x.started),
            (Some(state), Some(options), Some(when))
        );
        assert_eq!(s.read(|tx| tx.user_servers("alice")).unwrap().len(), 2);
        // a new address replaces the old one; stopping removes it
        s.write(|tx| {
            tx.set_server_address(
                "alice",
                "x",
                Some(&Address::http("", 8888, "/user/alice/x/")),
            )
        })
        .unwrap();
        assert_eq!(
            s.read(|tx| tx.server("alice", "x"))
                .unwrap()
                .address
                .unwrap()
                .port,
            8888
        );
        s.write(|tx| tx.set_server_address("alice", "x", None))
            .unwrap();
        assert!(
            s.read(|tx| tx.server("alice", "x"))
                .unwrap()
                .address
                .is_none()
        );
        s.write(|tx| tx.delete_server("alice", "x")).unwrap();
        assert!(s.read(|tx| tx.find_server("alice", "x")).unwrap().is_none());
    });
}

#[test]
fn shares_put_find_list_delete() {
    each(|db| {
        setup(db);
        let s = &db.store;
        let server = SharedServer::new("alice", "x");
        let bob = Recipient::User("bob".into());
        let g1 = Recipient::Group("g1".into());
        let first = grant(
            None,
            &server,
            &bob,
            Some(&[Scope::lenient("servers")]),
            at(100),
        )
        .unwrap();
        let stored = s.write(|tx| tx.put_share(&first.share)).unwrap();
        let found = s.read(|tx| tx.find_share(&server, &bob)).unwrap().unwrap();
        assert_eq!(found, stored, "{}", db.name);
        assert_eq!(found.share.created_at, at(100));

        // extend: the same row, new scopes, created_at kept
        let again = grant(Some(found.share), &server, &bob, None, at(200)).unwrap();
        let updated = s.write(|tx| tx.put_share(&again.share)).unwrap();
        assert_eq!(updated.id, stored.id);
        let found = s.read(|tx| tx.find_share(&server, &bob)).unwrap().unwrap();
        assert_eq!(
            found.share.scopes.texts().collect::<Vec<_>>(),
            ["access:servers!server=alice/x", "servers!server=alice/x"]
        );
        assert_eq!(found.share.created_at, at(100));

        let to_group = grant(None, &SharedServer::new("alice", ""), &g1, None, at(300)).unwrap();
        s.write(|tx| tx.put_share(&to_group.share)).unwrap();
        assert_eq!(s.read(|tx| tx.server_shares(&server)).unwrap().len(), 1);
        // carol receives the group share; bob the direct one
        let carol = s.read(|tx| tx.shares_received("carol")).unwrap();
        assert_eq!(
            carol
                .iter()
                .map(|s| s.share.recipient.clone())
                .collect::<Vec<_>>(),
            std::slice::from_ref(&g1)
        );
        let details = s.read(|tx| tx.user_details("bob")).unwrap();
        assert_eq!(details.shares_received.len(), 1);

        assert!(s.write(|tx| tx.delete_share(&server, &bob)).unwrap());
        assert!(!s.write(|tx| tx.delete_share(&server, &bob)).unwrap());
        // deleting the group deletes shares with it
        s.write(|tx| tx.delete_group("g1")).unwrap();
        assert!(
            s.read(|tx| tx.shares_received("carol")).unwrap().is_empty(),
            "{}",
            db.name
        );
    });
}

#[test]
fn share_codes_insert_find_exchange_delete() {
    each(|db| {
        setup(db);
        let s = &db.store;
        let server = SharedServer::new("alice", "x");
        let code = tokens::new_share_code().unwrap();
        let hash = TokenHash::for_storage(code.expose(), Origin::Generated)
            .unwrap()
            .to_string();
        let made = ShareCode::create(
            server.clone(),
            &[Scope::lenient("access:servers")],
            Some(3600),
            at(1000),
            CodeIdentity::new(0, code.expose(), hash),
        )
        .unwrap();
        let stored = s.write(|tx| tx.insert_share_code(&made)).unwrap();
        assert!(stored.id > 0);
        let found = s
            .read(|tx| tx.find_share_code(code.expose(), at(1000), Some(&server)))
            .unwrap()
            .unwrap();
        assert_eq!(found, stored, "{}", db.name);
        // `expires_at >= now`: found at expiry, gone after
        assert!(
            s.read(|tx| tx.find_share_code(code.expose(), at(4600), None))
                .unwrap()
                .is_some()
        );
        assert!(
            s.read(|tx| tx.find_share_code(code.expose(), at(4601), None))
                .unwrap()
                .is_none()
        );
        assert!(
            s.read(|tx| tx.find_share_code("wrong-code", at(1000), None))
                .unwrap()
                .is_none()
        );

        s.write(|tx| tx.record_share_code_exchange(stored.id, at(2000)))
            .unwrap();
        s.write(|tx| tx.record_share_code_exchange(stored.id, at(2001)))
            .unwrap();
        let listed = s.read(|tx| tx.server_share_codes(&server)).unwrap();
        assert_eq!(
            (listed[0].exchange_count, listed[0].last_exchanged_at),
            (2, Some(at(2001)))
        );
        assert!(s.write(|tx| tx.delete_share_code(stored.id)).unwrap());
        assert!(
            s.read(|tx| tx.server_share_codes(&server))
                .unwrap()
                .is_empty()
        );

        // deleting the server deletes its codes and shares
        s.write(|tx| tx.insert_share_code(&made)).unwrap();
        let shared = grant(None, &server, &Recipient::User("bob".into()), None, at(5)).unwrap();
        s.write(|tx| tx.put_share(&shared.share)).unwrap();
        s.write(|tx| tx.delete_server("alice", "x")).unwrap();
        assert!(s.read(|tx| tx.shares_received("bob")).unwrap().is_empty());
        assert!(
            s.read(|tx| tx.find_share_code(code.expose(), at(1000), None))
                .unwrap()
                .is_none()
        );
    });
}
