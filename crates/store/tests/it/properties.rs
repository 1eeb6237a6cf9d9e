//! Round trips: what is written is what is read, on both backends.

use proptest::prelude::*;
use store::{NewUser, Store};

use crate::common::{postgres, sqlite};

/// Names JupyterHub accepts: no `/`, no space at either end, not only dots.
fn user_name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9._@+-][a-zA-Z0-9._@+ éü😀-]{0,40}[a-zA-Z0-9_@+éü😀-]"
        .prop_filter("valid", |n| store::validate_user_name(n).is_ok())
}

fn round_trip(store: &Store, name: &str, admin: bool) -> Result<(), TestCaseError> {
    let created = store
        .write(|tx| tx.create_user(&NewUser { name, admin }))
        .unwrap();
    let got = store.read(|tx| tx.user(name)).unwrap();
    prop_assert_eq!(&got, &created);
    prop_assert_eq!(got.name.as_str(), name);
    prop_assert_eq!(got.admin, admin);
    let page = store
        .read(|tx| {
            tx.list_users(&store::UserQuery {
                name_filter: Some(name),
                ..Default::default()
            })
        })
        .unwrap();
    prop_assert!(page.users.iter().any(|d| d.user.name == name));
    store.write(|tx| tx.delete_user(name)).unwrap();
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn users_round_trip(name in user_name(), admin in any::<bool>()) {
        thread_local! {
            static STORES: (crate::common::Db, crate::common::Db) = (sqlite(), postgres());
        }
        STORES.with(|(lite, pg)| {
            round_trip(&lite.store, &name, admin)?;
            round_trip(&pg.store, &name, admin)
        })?;
    }
}
