//! Property: whatever a token stores and whatever its owner holds, the token may only do what
//! its owner may do (every kept scope is granted by the owner's scopes), and it keeps
//! everything of its own that the owner holds for the same resource.

use proptest::prelude::*;
use scopes::{ClientTarget, OAuthClient, Owner, ParsedScopes, Scope, ScopeTable, has_scope};
use tokens::{TokenFacts, effective_scopes};

const BASES: [&str; 12] = [
    "read:users",
    "read:users:name",
    "users",
    "servers",
    "read:servers",
    "access:servers",
    "delete:servers",
    "tokens",
    "read:groups",
    "list:users",
    "admin:users",
    "self",
];

const FILTERS: [&str; 9] = [
    "",
    "!user",
    "!server",
    "!user=alice",
    "!user=bob",
    "!server=alice/",
    "!server=alice/x",
    "!server=bob/",
    "!group=g1",
];

fn raw_scope() -> impl Strategy<Value = Scope> {
    (0..BASES.len(), 0..FILTERS.len()).prop_map(|(b, f)| {
        let base = BASES.get(b).copied().unwrap_or("users");
        let filter = if base == "self" {
            ""
        } else {
            FILTERS.get(f).copied().unwrap_or("")
        };
        Scope::lenient(format!("{base}{filter}"))
    })
}

fn client() -> impl Strategy<Value = OAuthClient<'static>> {
    prop_oneof![
        Just(OAuthClient::HUB),
        Just(OAuthClient {
            identifier: "jupyterhub-user-alice-x",
            target: ClientTarget::Server {
                user: "alice",
                server: "x"
            },
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_token_never_holds_a_scope_its_owner_lacks(
        owner_raw in proptest::collection::vec(raw_scope(), 0..6),
        stored in proptest::collection::vec(raw_scope(), 0..6),
        client in client(),
    ) {
        let table = ScopeTable::jupyterhub();
        let owner = Owner::User("alice");
        let owner_scopes = table.expand(&owner_raw, Some(owner), None).unwrap().scopes;
        let facts = TokenFacts {
            owner,
            owner_role_scopes: &owner_scopes,
            direct_share_scopes: vec![],
            token_scopes: &stored,
            client,
        };
        let got = effective_scopes(&table, &facts, None).unwrap();
        let owner_parsed = ParsedScopes::from_set(owner_scopes.clone()).unwrap();
        for scope in got.scopes.iter() {
            let granted = if scope.is_filtered() {
                has_scope(scope.as_str(), &owner_parsed, false, None).unwrap()
            } else {
                owner_parsed.get(scope.base()) == Some(scopes::Filters::All)
            };
            prop_assert!(granted, "kept {} that the owner lacks: owner {:?}", scope, owner_scopes);
        }
        // Nothing the token keeps is outside its own side either.
        let token_parsed = ParsedScopes::from_set(got.token_side.clone()).unwrap();
        if !got.inherits {
            for scope in got.scopes.iter().filter(|s| s.is_filtered()) {
                prop_assert!(has_scope(scope.as_str(), &token_parsed, false, None).unwrap());
            }
        }
    }
}
