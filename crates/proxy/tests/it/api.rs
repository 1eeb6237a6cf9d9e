//! CHP's REST API, the same script of calls against both proxies, answers compared.

use crate::support::{Answer, Pair, Side, TOKEN, comparable, send, without_times};

/// One API call on one side.
async fn call(
    pair: &Pair,
    side: Side,
    method: &str,
    target: &str,
    authorization: Option<&str>,
    body: &str,
) -> Answer {
    let headers: Vec<(&str, &str)> = authorization
        .map(|value| ("Authorization", value))
        .into_iter()
        .collect();
    send(pair.api(side), method, target, &headers, body.as_bytes()).await
}

/// Makes the same call on both sides and asserts equal status, headers and body (route
/// times blanked: the routes were added at different instants on each side).
async fn check(
    pair: &Pair,
    method: &str,
    target: &str,
    authorization: Option<&str>,
    body: &str,
) -> Answer {
    let chp = call(pair, Side::Chp, method, target, authorization, body).await;
    let embedded = call(pair, Side::Embedded, method, target, authorization, body).await;
    let blank = |answer: &Answer| {
        let (status, headers, _) = comparable(answer);
        (
            status,
            headers,
            without_times(&String::from_utf8_lossy(&answer.body)),
        )
    };
    assert_eq!(
        blank(&embedded),
        blank(&chp),
        "{method} {target} {body}\nembedded: {embedded:#?}\nchp: {chp:#?}"
    );
    chp
}

#[tokio::test]
async fn the_rest_api_answers_alike() {
    let pair = Pair::start(Default::default()).await;
    let token = format!("token {TOKEN}");
    let auth = Some(token.as_str());
    let target = "http://127.0.0.1:1";

    check(&pair, "GET", "/api/routes", auth, "").await;
    // Adding: extra keys kept verbatim, in JavaScript's key order; paths cleaned and decoded.
    let user_x = format!(
        r#"{{"target":"{target}","user":"x","server_name":"","jupyterhub":true,"2":1,"nested":{{"b":1.0,"1":[1e21]}}}}"#
    );
    let plain = format!(r#"{{"target":"{target}"}}"#);
    let adds = [
        ("/api/routes/user/x", user_x.clone()),
        (
            "/api/routes",
            format!(r#"{{"target":"{target}","hub":true}}"#),
        ),
        ("/api/routes/user/y/", plain.clone()),
        ("/api/routes/user/%C3%A9", plain.clone()),
        ("/api/routes/user/a%20b%2Fc", plain),
        (
            "/api/routes/services/s",
            format!(r#"{{"last_activity":"x","target":"{target}"}}"#),
        ),
    ];
    for (path, body) in adds {
        assert_eq!(
            check(&pair, "POST", path, auth, &body).await.status,
            201,
            "{path}"
        );
    }
    check(&pair, "GET", "/api/routes", auth, "").await;
    // Re-POST replaces the data and keeps the route's place.
    check(
        &pair,
        "POST",
        "/api/routes/user/y",
        auth,
        &format!(r#"{{"target":"{target}","again":1}}"#),
    )
    .await;
    let table = check(&pair, "GET", "/api/routes", auth, "").await;
    assert!(
        String::from_utf8_lossy(&table.body).starts_with(r#"{"/user/x":{"2":1,"target""#),
        "{table:?}"
    );

    for path in [
        "/user/x",
        "/user/x/",
        "user/x",
        "/user/%C3%A9",
        "/user/a%20b%2Fc",
        "/user/nosuch",
        "/",
        "//",
        "/user",
    ] {
        let target = format!("/api/routes{path}");
        check(&pair, "GET", &target, auth, "").await;
    }
    // Tokens: CHP's unanchored, case-sensitive `token\s+(\S+)`.
    for authorization in [
        None,
        Some("token wrong"),
        Some("Bearer differential-test-token"),
        Some("Token differential-test-token"),
    ] {
        let answer = check(&pair, "GET", "/api/routes", authorization, "").await;
        assert_eq!((answer.status, answer.body.len()), (403, 0));
    }
    let prefixed = format!("xtoken {TOKEN} trailing");
    assert_eq!(
        check(&pair, "GET", "/api/routes", Some(&prefixed), "")
            .await
            .status,
        200
    );
    // Bodies: parsed before the token is checked.
    for body in ["{oops", "", "nope", r#"{"a":1,}"#, "[1 2]", "{} x"] {
        let answer = check(&pair, "POST", "/api/routes/bad", None, body).await;
        assert_eq!(answer.status, 400, "{body:?}");
    }
    assert_eq!(
        check(&pair, "POST", "/api/routes/bad", None, &user_x)
            .await
            .status,
        403
    );
    for body in [
        "{}",
        r#"{"target":1}"#,
        "null",
        "[]",
        r#""http://x""#,
        "0",
        r#"{"nottarget":1}"#,
    ] {
        assert_eq!(
            check(&pair, "POST", "/api/routes/bad", auth, body)
                .await
                .status,
            400,
            "{body:?}"
        );
    }
    // Methods and paths outside the API.
    for (method, target) in [
        ("PUT", "/api/routes/x"),
        ("PATCH", "/api/routes"),
        ("GET", "/api/other"),
        ("GET", "/api/routesx"),
        ("GET", "/"),
        ("POST", "/api"),
    ] {
        check(&pair, method, target, auth, "").await;
    }
    // inactive_since (and its camelCase spelling).
    for query in [
        "inactive_since=2000-01-01T00:00:00Z",
        "inactive_since=2100-01-01T00:00:00Z",
        "inactiveSince=2100-01-01",
        "inactive_since=not-a-date",
        "inactive_since=",
        "inactiveSince=&inactive_since=2000",
        "inactive_since=2100-01-01T00:00:00%2B01:00",
    ] {
        check(&pair, "GET", &format!("/api/routes?{query}"), auth, "").await;
    }
    // Deleting.
    assert_eq!(
        check(&pair, "DELETE", "/api/routes/user/x/", auth, "")
            .await
            .status,
        204
    );
    assert_eq!(
        check(&pair, "DELETE", "/api/routes/user/x", auth, "")
            .await
            .status,
        404
    );
    assert_eq!(
        check(&pair, "DELETE", "/api/routes/user/x", None, "")
            .await
            .status,
        403
    );
    check(&pair, "DELETE", "/api/routes/", auth, "").await;
    check(&pair, "GET", "/api/routes", auth, "").await;
}

/// Percent-encodes everything but `/` and unreserved characters, so that a table key
/// decodes back to itself.
fn encode_path(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'/' | b'-' | b'_' | b'.' | b'~' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Random route paths (escapes, dot segments, empty segments, trailing slashes) added,
/// listed, fetched and deleted through both APIs give the same answers.
#[test]
fn random_route_paths_are_kept_alike() {
    use proptest::prelude::*;
    let runtime = crate::support::runtime();
    let pair = runtime.block_on(Pair::start(Default::default()));
    let token = format!("token {TOKEN}");
    let segment = prop_oneof![
        Just("user"),
        Just("a"),
        Just("%C3%A9"),
        Just("a%20b"),
        Just("%2F"),
        Just(""),
        Just("."),
        Just(".."),
        Just("%2e"),
        Just("x%25y"),
        Just("%7Bz%7D"),
        Just("b+c"),
    ];
    let path =
        (proptest::collection::vec(segment, 0..4), any::<bool>()).prop_map(|(parts, trailing)| {
            let mut path = format!("/{}", parts.join("/"));
            if trailing && path != "/" {
                path.push('/');
            }
            path
        });
    let config = ProptestConfig {
        cases: crate::support::random_cases(32),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(paths in proptest::collection::vec(path, 1..5))| {
        runtime.block_on(async {
            let auth = Some(token.as_str());
            for (i, path) in paths.iter().enumerate() {
                let body = format!(r#"{{"target":"http://127.0.0.1:1","n":{i}}}"#);
                check(&pair, "POST", &format!("/api/routes{path}"), auth, &body).await;
                check(&pair, "GET", &format!("/api/routes{path}"), auth, "").await;
            }
            let table = check(&pair, "GET", "/api/routes", auth, "").await.json();
            for key in table.as_object().unwrap().keys() {
                // DELETE cleans its path once; a key may end in `/` (POST cleans twice).
                let path = format!("/api/routes{}/", encode_path(key));
                assert_eq!(check(&pair, "DELETE", &path, auth, "").await.status, 204, "{path}");
            }
            let left = check(&pair, "GET", "/api/routes", auth, "").await;
            assert_eq!(left.body, b"{}", "{left:?}");
        });
    });
}

/// Random route data (nested objects with index-like keys, numbers of every magnitude,
/// escapes) comes back from both APIs in the same text: JavaScript's key order and number
/// formatting.
#[test]
fn random_route_data_reads_back_alike() {
    use proptest::prelude::*;
    let runtime = crate::support::runtime();
    let pair = runtime.block_on(Pair::start(Default::default()));
    let token = format!("token {TOKEN}");
    let number = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        (-30_i32..30, 1_u32..999).prop_map(|(e, m)| format!("{m}e{e}")),
        Just("0.1".to_owned()),
        Just("-0".to_owned()),
        Just("1.50".to_owned()),
    ];
    let key = prop_oneof![
        Just("a".to_owned()),
        Just("b".to_owned()),
        Just("0".to_owned()),
        Just("10".to_owned()),
        Just("2".to_owned()),
        Just("01".to_owned()),
        Just("4294967295".to_owned()),
        Just("é\\n\\u0001".to_owned()),
        Just("last_activity".to_owned()),
        Just("\\\"q\\\"".to_owned()),
    ];
    let leaf = prop_oneof![
        number,
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just(r#""s\u00e9\/\ud83d\ude00""#.to_owned()),
    ];
    let value = leaf.prop_recursive(3, 16, 4, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("[{}]", items.join(","))),
            proptest::collection::vec((key.clone(), inner), 0..4).prop_map(|fields| {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!(r#""{k}":{v}"#))
                    .collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    });
    let config = ProptestConfig {
        cases: crate::support::random_cases(32),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(extra in value)| {
        runtime.block_on(async {
            let auth = Some(token.as_str());
            let body = format!(r#"{{"x":{extra},"target":"http://127.0.0.1:1"}}"#);
            assert_eq!(check(&pair, "POST", "/api/routes/data", auth, &body).await.status, 201, "{body}");
            check(&pair, "GET", "/api/routes/data", auth, "").await;
        });
    });
}
