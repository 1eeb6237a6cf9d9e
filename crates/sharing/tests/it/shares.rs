//! Properties of the server filter, grants, revocations and expansion.

use proptest::prelude::*;
use scopes::{Scope, ScopeSet, ScopeTable};
use sharing::{
    GrantChange, GrantError, Revocation, Share, SharedServer, Timestamp, apply_filter,
    expand_share_scopes, grant, revoke,
};

use crate::strategies::{any_filter, base, recipient, server, server_and_scopes, table_bases};

fn now() -> Timestamp {
    Timestamp::from_unix_seconds(1_700_000_000).unwrap()
}

fn is_filtered_to(scopes: &ScopeSet, server: &SharedServer) -> bool {
    let filter = server.filter();
    scopes.iter().all(|scope| scope.filter_text() == filter)
}

/// Grants `batches` in order, starting without a share.
fn grant_all(
    server: &SharedServer,
    recipient: &sharing::Recipient,
    batches: &[&[Scope]],
) -> Option<Share> {
    let mut share = None;
    for batch in batches {
        match grant(share.clone(), server, recipient, Some(batch), now()) {
            Ok(granted) => share = Some(granted.share),
            Err(GrantError::NoScopes) => assert!(batch.is_empty()),
            Err(other) => panic!("unexpected {other}"),
        }
    }
    share
}

proptest! {
    #[test]
    fn share_scopes_are_always_filtered_to_the_shared_server(
        (server, scopes) in server_and_scopes(6),
        more in proptest::collection::vec(base(), 0..4),
        recipient in recipient(),
    ) {
        let more: Vec<Scope> = more.iter().map(Scope::lenient).collect();
        if let Some(share) = grant_all(&server, &recipient, &[&scopes, &more]) {
            prop_assert!(!share.scopes.is_empty());
            prop_assert!(is_filtered_to(&share.scopes, &server));
            prop_assert!(is_filtered_to(&share.current_scopes(), &server));
        }
        let default = grant(None, &server, &recipient, None, now()).unwrap();
        prop_assert_eq!(default.share.scopes, ScopeSet::from([server.access_scope()]));
    }

    #[test]
    fn apply_filter_refuses_exactly_the_other_filters(
        server in server(),
        scopes in proptest::collection::vec((base(), any_filter()), 0..5),
    ) {
        let scopes: Vec<Scope> = scopes
            .iter()
            .map(|(base, filter)| {
                if filter.is_empty() { Scope::lenient(base) } else { Scope::lenient(format!("{base}!{filter}")) }
            })
            .collect();
        let allowed = server.filter();
        let acceptable = scopes
            .iter()
            .all(|s| s.filter_text().is_empty() || s.filter_text() == allowed);
        match apply_filter(&scopes, &server) {
            Ok(filtered) => {
                prop_assert!(acceptable);
                prop_assert!(is_filtered_to(&filtered, &server));
                let bases: ScopeSet = scopes.iter().map(|s| server.scope(s.base())).collect();
                prop_assert_eq!(filtered, bases);
            }
            Err(err) => {
                prop_assert!(!acceptable);
                prop_assert!(scopes.iter().any(|s| s.as_str() == err.scope));
                prop_assert_eq!(err.allowed, allowed);
            }
        }
    }

    #[test]
    fn grant_is_idempotent(
        (server, scopes) in server_and_scopes(6),
        recipient in recipient(),
    ) {
        prop_assume!(!scopes.is_empty());
        let first = grant(None, &server, &recipient, Some(&scopes), now()).unwrap();
        let again = grant(Some(first.share.clone()), &server, &recipient, Some(&scopes), now()).unwrap();
        prop_assert_eq!(again.change, GrantChange::Unchanged);
        prop_assert_eq!(again.share, first.share);
    }

    #[test]
    fn grant_is_commutative_in_the_resulting_scopes(
        (server, a) in server_and_scopes(5),
        b_bases in proptest::collection::vec(base(), 0..5),
        recipient in recipient(),
    ) {
        let b: Vec<Scope> = b_bases.iter().map(Scope::lenient).collect();
        let ab = grant_all(&server, &recipient, &[&a, &b]).map(|s| s.scopes);
        let ba = grant_all(&server, &recipient, &[&b, &a]).map(|s| s.scopes);
        prop_assert_eq!(&ab, &ba);
        let union: Vec<Scope> = a.iter().chain(&b).cloned().collect();
        let all = apply_filter(&union, &server).unwrap();
        prop_assert_eq!(ab.unwrap_or_default(), all);
    }

    #[test]
    fn revoking_everything_removes_the_share(
        (server, scopes) in server_and_scopes(6),
        recipient in recipient(),
    ) {
        prop_assume!(!scopes.is_empty());
        let share = grant(None, &server, &recipient, Some(&scopes), now()).unwrap().share;
        prop_assert!(matches!(revoke(Some(share.clone()), None), Revocation::Deleted(_)));
        let all: Vec<Scope> = share.scopes.iter().cloned().collect();
        prop_assert!(matches!(revoke(Some(share), Some(&all)), Revocation::Deleted(_)));
        prop_assert_eq!(revoke(None, Some(&all)), Revocation::NoShare);
    }

    #[test]
    fn revoking_never_adds_a_scope(
        (server, scopes) in server_and_scopes(6),
        recipient in recipient(),
        picks in proptest::collection::vec(any::<proptest::sample::Index>(), 0..4),
        strangers in proptest::collection::vec(base(), 0..3),
    ) {
        prop_assume!(!scopes.is_empty());
        let share = grant(None, &server, &recipient, Some(&scopes), now()).unwrap().share;
        let held: Vec<Scope> = share.scopes.iter().cloned().collect();
        let mut revoked: Vec<Scope> = picks.iter().map(|i| i.get(&held).clone()).collect();
        // unfiltered strings never match the stored filtered scopes
        revoked.extend(strangers.iter().map(Scope::lenient));
        let result = revoke(Some(share.clone()), Some(&revoked));
        let remaining = result.remaining().map(|s| s.scopes.clone()).unwrap_or_default();
        for scope in &remaining {
            prop_assert!(share.scopes.contains(scope.as_str()));
            prop_assert!(!revoked.contains(scope));
        }
        let expected: ScopeSet = share.scopes.iter().filter(|s| !revoked.contains(s)).cloned().collect();
        prop_assert_eq!(&remaining, &expected);
        if let Some(left) = result.remaining() {
            prop_assert_eq!(left.created_at, share.created_at);
        }
    }

    #[test]
    fn apply_filter_output_is_granted_by_the_expansion(
        server in server(),
        bases in proptest::collection::vec(proptest::sample::select(table_bases()), 1..6),
        recipient in recipient(),
    ) {
        let table = ScopeTable::jupyterhub();
        let scopes: Vec<Scope> = bases.iter().map(Scope::lenient).collect();
        let filtered = apply_filter(&scopes, &server).unwrap();
        let share = grant(None, &server, &recipient, Some(&scopes), now()).unwrap().share;
        let identifier = format!("jupyterhub-user-{}-{}", server.owner, server.name);
        let client = server.oauth_client(&identifier);
        let expansion = expand_share_scopes(&table, &share, Some(client)).unwrap();
        prop_assert!(expansion.warnings.is_empty());
        // never more than the server
        prop_assert!(is_filtered_to(&expansion.scopes, &server));
        for scope in &filtered {
            // a server filter drops every `read:user*` scope from the expansion
            let dropped = scope.base().starts_with("read:user");
            prop_assert_eq!(expansion.scopes.contains(scope.as_str()), !dropped, "{}", scope);
        }
        // the client and the owner do not matter: every filter already has its value
        let plain = expand_share_scopes(&table, &share, None).unwrap();
        prop_assert_eq!(plain.scopes, expansion.scopes);
    }
}
