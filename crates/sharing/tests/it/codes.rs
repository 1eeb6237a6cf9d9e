//! Properties of share codes and of request validation.

use proptest::prelude::*;
use scopes::ScopeTable;
use serde_json::json;
use sharing::{
    CodeIdentity, GrantChange, MAX_EXPIRES_IN, MIN_EXPIRES_IN, RequestError, ShareCode,
    ShareCodeRequest, Timestamp,
};

use crate::strategies::{recipient, server_and_scopes};

proptest! {
    #[test]
    fn every_exchange_counts_and_repeats_change_nothing(
        (server, scopes) in server_and_scopes(4),
        recipient in recipient(),
        times in 1..5u64,
        lifetime in 1..100_000i64,
        start in 0..1_000_000_000i64,
    ) {
        prop_assume!(!scopes.is_empty());
        let now = Timestamp::from_unix_seconds(start).unwrap();
        let mut code = ShareCode::create(
            server,
            &scopes,
            Some(lifetime),
            now,
            CodeIdentity::new(1, "abcdefgh", "hash"),
        )
        .unwrap();
        let mut share = None;
        for i in 0..times {
            let at = Timestamp::from_unix_seconds(start + i64::try_from(i).unwrap()).unwrap();
            if code.is_expired(at) {
                let err = code.exchange(share.clone(), &recipient, at).unwrap_err();
                prop_assert!(err.deletes_code());
                break;
            }
            let granted = code.exchange(share.clone(), &recipient, at).unwrap();
            let expected = if i == 0 { GrantChange::Created } else { GrantChange::Unchanged };
            prop_assert_eq!(granted.change, expected);
            prop_assert_eq!(&granted.share.scopes, &code.scopes);
            prop_assert_eq!(code.exchange_count, i + 1);
            prop_assert_eq!(code.last_exchanged_at, Some(at));
            share = Some(granted.share);
        }
    }

    #[test]
    fn api_lifetimes_are_one_minute_to_one_year(seconds in -100_000_000i64..100_000_000) {
        let body = json!({ "expires_in": seconds });
        let parsed = ShareCodeRequest::parse(&ScopeTable::jupyterhub(), Some(&body));
        if (MIN_EXPIRES_IN..=MAX_EXPIRES_IN).contains(&seconds) {
            prop_assert_eq!(parsed.unwrap().expires_in, seconds);
        } else {
            let err = parsed.unwrap_err();
            prop_assert!(matches!(err, RequestError::Invalid(_)));
            let message = err.to_string();
            prop_assert!(message.starts_with("1 validation error for ShareCodeGrantRequest\nexpires_in\n"));
        }
        // the same number as a string, padded, is the same lifetime
        let text = json!({ "expires_in": format!(" {seconds} ") });
        let from_text = ShareCodeRequest::parse(&ScopeTable::jupyterhub(), Some(&text));
        prop_assert_eq!(from_text.is_ok(), (MIN_EXPIRES_IN..=MAX_EXPIRES_IN).contains(&seconds));
    }

    #[test]
    fn isoformat_sorts_like_time(a in 0..253_402_300_799_999_999i64, b in 0..253_402_300_799_999_999i64) {
        let (ta, tb) = (Timestamp::from_unix_micros(a).unwrap(), Timestamp::from_unix_micros(b).unwrap());
        // with the fraction omitted on whole seconds, compare the seconds parts only
        let secs = |t: Timestamp| t.isoformat().get(..19).unwrap().to_owned();
        prop_assert_eq!(secs(ta).cmp(&secs(tb)), (a / 1_000_000).cmp(&(b / 1_000_000)));
        prop_assert!(ta.isoformat().ends_with('Z'));
    }
}
