//! Differential tests of token secrets against the real JupyterHub 6.1.1 (the `.venv` that
//! `scripts/setup-oracle` makes): JupyterHub's hashes verify in hubcap with identical digests,
//! hubcap's hashes verify in JupyterHub, and the acceptance and expiry messages are the same.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use tokens::{
    Algorithm, ExpiresIn, Origin, SALT_BYTES, TokenHash, check_max_length, check_min_length, hash,
    new_share_code, new_token, prefix, verify,
};

/// Runs `secrets_oracle.py` under the reference JupyterHub with one JSON request.
fn oracle(request: &Value) -> Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("../../.venv/bin/python");
    assert!(
        python.exists(),
        "the reference JupyterHub is missing: {} does not exist. \
         Run `scripts/setup-oracle` (from the workspace root) to create .venv",
        python.display()
    );
    let script = root.join("tests/it/secrets_oracle.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{} failed ({}):\n{}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad oracle output ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Tokens with every kind of edge: generated, user-provided, unicode (2-, 3- and 4-byte
/// characters), exactly 64 characters (the longest that matches) and 65 (never matches).
fn sample_tokens() -> Vec<String> {
    vec![
        new_token().unwrap().into_string(),
        "0123456789abcdef0123456789abcdef".to_owned(),
        new_share_code().unwrap().into_string(),
        "my-secret-token".to_owned(),
        "with:colons and spaces".to_owned(),
        "tøkén-ключ-密钥-😀".to_owned(),
        "\u{0}nul\u{7f}".to_owned(),
        "x".to_owned(),
        String::new(),
        "a".repeat(64),
        format!("{}😀", "é".repeat(63)),
        "b".repeat(65),
        "😀".repeat(65),
    ]
}

/// Whether a token also gets JupyterHub's 16384 rounds in these tests (a few kinds of token
/// are enough; test builds hash unoptimised, at about 20 MB/s, and the suite must stay fast).
fn heavy(token: &str) -> bool {
    const HEAVY: [&str; 3] = [
        "0123456789abcdef0123456789abcdef",
        "my-secret-token",
        "tøkén-ключ-密钥-😀",
    ];
    HEAVY.contains(&token) || token == "a".repeat(64)
}

fn other_token(token: &str) -> String {
    format!("{token}x")
}

#[test]
fn jupyterhub_hashes_verify_in_hubcap() {
    let tokens = sample_tokens();
    // (salt, rounds, algorithm): random 8-byte hex salts as JupyterHub makes them, and
    // fixed text salts, including an empty and a non-ASCII one.
    let settings: [(Value, u32, &str); 6] = [
        (json!(8), 1, "sha512"),
        (json!(8), 16384, "sha512"),
        (json!(8), 1, "sha256"),
        (json!(8), 16384, "sha256"),
        (json!(""), 3, "sha512"),
        (json!("sél-😀"), 2, "sha256"),
    ];
    let mut cases = Vec::new();
    for token in &tokens {
        for (salt, rounds, algorithm) in &settings {
            if *rounds > 3 && !heavy(token) {
                continue;
            }
            cases.push(json!({
                "token": token, "salt": salt, "rounds": rounds, "algorithm": algorithm,
                "other": other_token(token),
            }));
        }
    }
    let mut store = Vec::new();
    for token in &tokens {
        for generated in [true, false] {
            if !generated && !heavy(token) && token.chars().count() <= 64 {
                continue;
            }
            store.push(json!({"token": token, "generated": generated, "share_code": false}));
        }
    }
    let code = new_share_code().unwrap().into_string();
    store.push(json!({"token": code, "generated": true, "share_code": true}));

    let answer = oracle(&json!({"mode": "hash", "hash": cases, "store": store}));

    let hashes = answer["hash"].as_array().unwrap();
    assert_eq!(hashes.len(), cases.len());
    for (case, got) in cases.iter().zip(hashes) {
        let token = case["token"].as_str().unwrap();
        let stored = got["hashed"].as_str().unwrap();
        let fits = token.chars().count() <= 64;
        // JupyterHub's own verdicts, as a sanity check of the oracle.
        assert_eq!(got["matches"], json!(fits), "{stored}");
        assert_eq!(got["matches_other"], json!(false), "{stored}");

        let parsed: TokenHash = stored.parse().unwrap_or_else(|e| panic!("{stored}: {e}"));
        assert_eq!(parsed.to_string(), stored);
        assert_eq!(
            parsed.algorithm().name(),
            case["algorithm"].as_str().unwrap()
        );
        // Identical digest for the same salt, rounds and algorithm, whatever the length.
        let ours = hash(token, parsed.salt(), parsed.rounds(), parsed.algorithm()).unwrap();
        assert_eq!(ours.to_string(), stored, "token {token:?}");
        // compare_token's verdicts.
        assert_eq!(verify(stored, token), Ok(fits), "{stored} {token:?}");
        assert_eq!(verify(stored, &other_token(token)), Ok(false));
    }

    let stored_rows = answer["store"].as_array().unwrap();
    assert_eq!(stored_rows.len(), store.len());
    for (case, got) in store.iter().zip(stored_rows) {
        let token = case["token"].as_str().unwrap();
        let generated = case["generated"].as_bool().unwrap();
        let origin = if generated {
            Origin::Generated
        } else {
            Origin::UserProvided
        };
        // `TokenHash::for_storage` checks the length first, then hashes with the origin's
        // rounds, sha512 and a salt of 8 random bytes as hex.
        match check_max_length(token) {
            Err(ours) => {
                assert_eq!(got["error"], "ValueError", "{token:?}: {got}");
                assert_eq!(got["message"], ours.to_string(), "{token:?}");
                assert_eq!(TokenHash::for_storage(token, origin), Err(ours));
            }
            Ok(()) => {
                let stored = got["hashed"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{token:?}: {got}"));
                assert_eq!(got["prefix"], prefix(token), "{token:?}");
                let theirs: TokenHash = stored.parse().unwrap();
                assert_eq!(theirs.algorithm(), Algorithm::DEFAULT);
                assert_eq!(theirs.rounds(), origin.rounds(), "{token:?} {origin:?}");
                assert_eq!(theirs.rounds(), if generated { 1 } else { 16384 });
                assert_eq!(theirs.salt().len(), 2 * SALT_BYTES);
                assert!(theirs.salt().bytes().all(|b| b.is_ascii_hexdigit()));
                assert!(theirs.verify(token), "{stored} {token:?}");
                assert!(!theirs.verify(&other_token(token)));
            }
        }
    }
}

#[test]
fn hubcap_hashes_verify_in_jupyterhub() {
    let mut cases = Vec::new();
    for token in sample_tokens() {
        let fits = token.chars().count() <= 64;
        let mut made = Vec::new();
        for origin in [Origin::Generated, Origin::UserProvided] {
            if origin == Origin::UserProvided && !heavy(&token) && fits {
                continue;
            }
            match TokenHash::for_storage(&token, origin) {
                Ok(h) => made.push(h),
                Err(e) => assert!(!fits, "{token:?}: {e}"),
            }
        }
        for (salt, rounds, algorithm) in [
            ("0011223344556677", 1, Algorithm::Sha512),
            ("8899aabbccddeeff", 16384, Algorithm::Sha256),
            ("", 5, Algorithm::Sha512),
            ("sél-😀", 2, Algorithm::Sha256),
        ] {
            if rounds > 5 && !heavy(&token) {
                continue;
            }
            made.push(hash(&token, salt, rounds, algorithm).unwrap());
        }
        for h in made {
            cases.push((h.to_string(), token.clone(), fits));
            cases.push((h.to_string(), other_token(&token), false));
        }
    }
    let request: Vec<Value> = cases
        .iter()
        .map(|(hashed, token, _)| json!({"hashed": hashed, "token": token}))
        .collect();
    let answer = oracle(&json!({"mode": "verify", "verify": request}));
    let verdicts = answer["verify"].as_array().unwrap();
    assert_eq!(verdicts.len(), cases.len());
    for ((hashed, token, expected), theirs) in cases.iter().zip(verdicts) {
        assert_eq!(theirs, &json!(expected), "{hashed} {token:?}");
    }
}

#[test]
fn acceptance_and_expiry_match_apitoken_new() {
    let tokens = [
        "",
        "short",
        "1234567",
        "ééééééé",
        "😀😀😀😀😀😀😀",
        "abcdefgh",
        "ééééééé😀",
        &"x".repeat(64),
        &"y".repeat(65),
        &"😀".repeat(65),
    ];
    let expires_in = [
        json!(null),
        json!(10),
        json!(1),
        json!(86400),
        json!(0),
        json!(-5),
        json!(0.5),
        json!(-0.5),
        json!(1.9),
        json!(-3.7),
        json!(3600.0),
        json!(true),
        json!(false),
        json!("10"),
        json!("it's"),
        json!("a\"b'c\\\n"),
        json!([1, "a", null, true]),
        json!({"a": 1, "b": [false, "x"]}),
        json!([]),
        json!({}),
        json!(-1e300),
        json!(i64::MIN),
        json!(1e300),
        json!(u64::MAX),
        json!(10_000_000_000_000_000_000_u64),
        // Past year 9999 from any date this century, but a valid timedelta.
        json!(631_075_795_200_u64),
        json!(100_u64 * 365 * 86400),
    ];
    let answer = oracle(&json!({"mode": "accept", "tokens": tokens, "expires_in": expires_in}));

    let verdicts = answer["tokens"].as_array().unwrap();
    for (token, theirs) in tokens.iter().zip(verdicts) {
        // APIToken.new checks the minimum length first, the maximum when storing.
        let ours = check_min_length(token).and_then(|()| check_max_length(token));
        match ours {
            Ok(()) => assert_eq!(theirs, &json!({"ok": true}), "{token:?}"),
            Err(e) => {
                assert_eq!(theirs["error"], "ValueError", "{token:?}");
                assert_eq!(theirs["message"], e.to_string(), "{token:?}");
            }
        }
    }

    let now = time::OffsetDateTime::now_utc();
    let verdicts = answer["expires_in"].as_array().unwrap();
    assert_eq!(verdicts.len(), expires_in.len());
    for (value, theirs) in expires_in.iter().zip(verdicts) {
        let ours = ExpiresIn::from_json(value)
            .and_then(|e| e.map(|e| e.expires_at(now).map(|_| e)).transpose());
        match ours {
            Ok(None) => assert_eq!(theirs, &json!({"seconds": null}), "{value}"),
            Ok(Some(e)) => assert_eq!(theirs, &json!({"seconds": e.seconds()}), "{value}"),
            Err(e) => {
                assert_eq!(theirs["error"], e.python_exception(), "{value}: {theirs}");
                if e.python_exception() != "OverflowError" {
                    assert_eq!(theirs["message"], e.to_string(), "{value}");
                }
            }
        }
    }
}

#[test]
fn generated_secrets_have_jupyterhubs_formats() {
    let tokens: Vec<String> = (0..32)
        .map(|_| new_token().unwrap().into_string())
        .collect();
    let codes: Vec<String> = (0..32)
        .map(|_| new_share_code().unwrap().into_string())
        .collect();
    let answer = oracle(&json!({
        "mode": "formats", "tokens": tokens, "codes": codes, "samples": 32,
    }));
    assert_eq!(answer["tokens_ok"], json!(vec![true; 32]), "{tokens:?}");
    assert_eq!(answer["codes_ok"], json!(vec![true; 32]));

    // JupyterHub's own secrets have the shapes hubcap makes.
    let token_shape = |t: &str| {
        t.len() == 32
            && t.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            && t.as_bytes()[12] == b'4'
            && matches!(t.as_bytes()[16], b'8' | b'9' | b'a' | b'b')
    };
    let code_shape = |c: &str| {
        c.len() == 43
            && c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    for t in answer["py_tokens"].as_array().unwrap() {
        let t = t.as_str().unwrap();
        assert!(token_shape(t), "{t}");
        // And they hash and verify like any other token.
        let stored = TokenHash::for_storage(t, Origin::Generated).unwrap();
        assert!(stored.verify(t));
    }
    for t in &tokens {
        assert!(token_shape(t), "{t}");
    }
    for c in answer["py_codes"].as_array().unwrap() {
        assert!(code_shape(c.as_str().unwrap()), "{c}");
    }
    for c in &codes {
        assert!(code_shape(c), "{c}");
    }
}
