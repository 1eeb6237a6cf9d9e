//! Tokens hashed at rest, exactly as JupyterHub stores them: `algorithm:rounds:salt:hexdigest`.
//!
//! JupyterHub's `hash_token` is *not* an iterated hash: it is one digest over the salt
//! followed by the UTF-8 token repeated `rounds` times,
//! `H(salt ‖ token ‖ token ‖ … ‖ token)`, written as lowercase hex. The salt is used as
//! text: its UTF-8 bytes go into the digest, not the bytes it might encode in hex.

use std::fmt;
use std::str::FromStr;

use sha2::digest::Digest;
use sha2::{Sha224, Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq as _;

use crate::error::{HashError, RandomError, TokenError};
use crate::secret::{MAX_LENGTH, char_len, check_max_length};

/// Hash rounds for user-provided tokens (`Hashed.rounds`).
pub const DEFAULT_ROUNDS: u32 = 16384;

/// Hash rounds for hub-generated tokens (`Hashed.generated_rounds`): a UUID already has
/// enough entropy.
pub const GENERATED_ROUNDS: u32 = 1;

/// Random salt bytes, written as hex, for every stored token (`Hashed.salt_bytes` and
/// `Hashed.generated_salt_bytes`).
pub const SALT_BYTES: usize = 8;

/// A digest algorithm of a stored token hash (Python `hashlib` names).
///
/// JupyterHub writes only `sha512`; the other SHA-2 functions are accepted so that a
/// database written with a customised `Hashed.algorithm` still verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// `sha224`.
    Sha224,
    /// `sha256`.
    Sha256,
    /// `sha384`.
    Sha384,
    /// `sha512`, JupyterHub's algorithm (`Hashed.algorithm`).
    Sha512,
}

impl Algorithm {
    /// The algorithm JupyterHub uses for every stored token.
    pub const DEFAULT: Self = Self::Sha512;

    /// The `hashlib` name, as written in a stored hash.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// The digest size in bytes (a stored digest has twice as many hex characters).
    #[must_use]
    pub fn digest_len(self) -> usize {
        match self {
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    fn digest(self, salt: &[u8], token: &[u8], rounds: u32) -> Vec<u8> {
        match self {
            Self::Sha224 => repeated_digest::<Sha224>(salt, token, rounds),
            Self::Sha256 => repeated_digest::<Sha256>(salt, token, rounds),
            Self::Sha384 => repeated_digest::<Sha384>(salt, token, rounds),
            Self::Sha512 => repeated_digest::<Sha512>(salt, token, rounds),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = HashError;

    /// Parses a `hashlib` name, exactly as written (lowercase).
    fn from_str(name: &str) -> Result<Self, HashError> {
        match name {
            "sha224" => Ok(Self::Sha224),
            "sha256" => Ok(Self::Sha256),
            "sha384" => Ok(Self::Sha384),
            "sha512" => Ok(Self::Sha512),
            _ => Err(HashError::UnknownAlgorithm {
                name: name.to_owned(),
            }),
        }
    }
}

/// `H(salt ‖ token × rounds)`, feeding the repeated token in chunks of a few KiB.
fn repeated_digest<D: Digest>(salt: &[u8], token: &[u8], rounds: u32) -> Vec<u8> {
    const CHUNK_BYTES: usize = 8192;
    let mut hasher = D::new();
    hasher.update(salt);
    if !token.is_empty() {
        let rounds = usize::try_from(rounds).unwrap_or(usize::MAX);
        let per_chunk = (CHUNK_BYTES / token.len()).clamp(1, rounds.max(1));
        let chunk = token.repeat(per_chunk);
        for _ in 0..rounds / per_chunk {
            hasher.update(&chunk);
        }
        for _ in 0..rounds % per_chunk {
            hasher.update(token);
        }
    }
    hasher.finalize().to_vec()
}

/// Where a token came from, which decides how hard it is hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Made by the hub ([`new_token`](crate::new_token), [`new_share_code`](crate::new_share_code)):
    /// [`GENERATED_ROUNDS`] round.
    Generated,
    /// Chosen by a person (config `api_tokens`, `services[].api_token`, a token given to
    /// `APIToken.new`): [`DEFAULT_ROUNDS`] rounds.
    UserProvided,
}

impl Origin {
    /// The hash rounds JupyterHub uses for tokens of this origin.
    #[must_use]
    pub fn rounds(self) -> u32 {
        match self {
            Self::Generated => GENERATED_ROUNDS,
            Self::UserProvided => DEFAULT_ROUNDS,
        }
    }
}

/// A token hash as stored in JupyterHub's `hashed` column: `algorithm:rounds:salt:hexdigest`.
///
/// Parse one with [`FromStr`]; [`Display`](fmt::Display) writes it back unchanged. Only
/// canonical text parses (lowercase digest of the right length, rounds without sign or
/// leading zeros, at least 1 round), which is exactly the text that JupyterHub's
/// `compare_token` can ever match, so the round trip is exact.
///
/// A hash is not a secret (it is stored in clear), so `Debug` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash {
    algorithm: Algorithm,
    rounds: u32,
    salt: String,
    digest: Vec<u8>,
}

impl TokenHash {
    /// Hashes a token for storage with JupyterHub's rules (the `Hashed.token` setter):
    /// sha512, a fresh random salt of [`SALT_BYTES`] bytes written as 16 hex characters, and
    /// the rounds of the token's [`Origin`].
    ///
    /// The token is not checked for a minimum length here: that applies to user-provided
    /// API tokens only, see [`check_min_length`](crate::check_min_length).
    ///
    /// # Errors
    ///
    /// [`TokenError::TooLong`] for a token over [`MAX_LENGTH`] characters (JupyterHub's
    /// message), [`TokenError::Random`] if no randomness is available for the salt.
    pub fn for_storage(token: &str, origin: Origin) -> Result<Self, TokenError> {
        check_max_length(token)?;
        let mut salt = [0_u8; SALT_BYTES];
        getrandom::fill(&mut salt).map_err(RandomError)?;
        let salt = hex::encode(salt);
        let rounds = origin.rounds();
        let digest = Algorithm::DEFAULT.digest(salt.as_bytes(), token.as_bytes(), rounds);
        Ok(Self {
            algorithm: Algorithm::DEFAULT,
            rounds,
            salt,
            digest,
        })
    }

    /// The digest algorithm.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// How many times the token is repeated in the digest input.
    #[must_use]
    pub fn rounds(&self) -> u32 {
        self.rounds
    }

    /// The salt, as text (its UTF-8 bytes are hashed).
    #[must_use]
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// The raw digest bytes.
    #[must_use]
    pub fn digest(&self) -> &[u8] {
        &self.digest
    }

    /// Whether `token` is the token this hash was made from, like JupyterHub's
    /// `compare_token`: a token longer than [`MAX_LENGTH`] characters never matches (and is
    /// not hashed); otherwise the token is hashed with this salt, rounds and algorithm and the
    /// digests are compared in constant time.
    #[must_use]
    pub fn verify(&self, token: &str) -> bool {
        if char_len(token) > MAX_LENGTH {
            return false;
        }
        let candidate = self
            .algorithm
            .digest(self.salt.as_bytes(), token.as_bytes(), self.rounds);
        candidate.ct_eq(&self.digest).into()
    }
}

impl fmt::Display for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}",
            self.algorithm,
            self.rounds,
            self.salt,
            hex::encode(&self.digest)
        )
    }
}

impl FromStr for TokenHash {
    type Err = HashError;

    fn from_str(stored: &str) -> Result<Self, HashError> {
        let fields: Vec<&str> = stored.split(':').collect();
        let [algorithm, rounds, salt, digest] = fields.as_slice() else {
            return Err(HashError::FieldCount {
                found: fields.len(),
            });
        };
        let algorithm: Algorithm = algorithm.parse()?;
        let rounds = parse_rounds(rounds)?;
        let digest = parse_digest(algorithm, digest)?;
        Ok(Self {
            algorithm,
            rounds,
            salt: (*salt).to_owned(),
            digest,
        })
    }
}

fn parse_rounds(text: &str) -> Result<u32, HashError> {
    let invalid = || HashError::InvalidRounds {
        value: text.to_owned(),
    };
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return Err(invalid());
    }
    match text.parse::<u32>() {
        Ok(0) => Err(HashError::ZeroRounds),
        Ok(rounds) => Ok(rounds),
        Err(_) => Err(invalid()),
    }
}

fn parse_digest(algorithm: Algorithm, text: &str) -> Result<Vec<u8>, HashError> {
    if let Some((position, found)) = text
        .chars()
        .enumerate()
        .find(|&(_, c)| !matches!(c, '0'..='9' | 'a'..='f'))
    {
        return Err(HashError::DigestNotLowercaseHex { found, position });
    }
    let expected = algorithm.digest_len() * 2;
    if text.len() != expected {
        return Err(HashError::DigestLength {
            algorithm,
            expected,
            found: text.len(),
        });
    }
    hex::decode(text).map_err(|_| HashError::DigestLength {
        algorithm,
        expected,
        found: text.len(),
    })
}

/// Hashes `token` exactly like JupyterHub's `hash_token(token, salt, rounds, algorithm)` with a
/// text salt: the result's [`Display`](fmt::Display) is byte for byte the string Python
/// returns.
///
/// # Errors
///
/// [`HashError::ZeroRounds`] for 0 rounds (a hash that every token would match) and
/// [`HashError::SaltContainsColon`] for a salt that could not be stored in four fields.
/// Unlike [`TokenHash::verify`], any token length is hashed, as Python's `hash_token` does.
pub fn hash(
    token: &str,
    salt: &str,
    rounds: u32,
    algorithm: Algorithm,
) -> Result<TokenHash, HashError> {
    if rounds == 0 {
        return Err(HashError::ZeroRounds);
    }
    if salt.contains(':') {
        return Err(HashError::SaltContainsColon);
    }
    Ok(TokenHash {
        algorithm,
        rounds,
        salt: salt.to_owned(),
        digest: algorithm.digest(salt.as_bytes(), token.as_bytes(), rounds),
    })
}

/// Verifies `token` against a stored hash text, like JupyterHub's
/// `compare_token(stored, token)`.
///
/// A token longer than [`MAX_LENGTH`] characters is `Ok(false)` before the stored text is
/// even read (as in JupyterHub). A well-formed hash gives `Ok(true)` or `Ok(false)`.
///
/// # Errors
///
/// A malformed stored hash is an error, not `false`, so that a hub can log the broken row
/// and go on to the next candidate with the same prefix. (JupyterHub raises `ValueError` for
/// a wrong field count or an unknown algorithm, and returns `False` for a non-canonical
/// digest or rounds field, which can never match there; hubcap reports all of these.)
pub fn verify(stored: &str, token: &str) -> Result<bool, HashError> {
    if char_len(token) > MAX_LENGTH {
        return Ok(false);
    }
    Ok(stored.parse::<TokenHash>()?.verify(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Computed with JupyterHub 6.1.1's `jupyterhub.utils.hash_token`.
    const PY_VECTORS: [(&str, &str); 2] = [
        (
            "abcdefgh",
            "sha512:1:0011223344556677:83d99d238fa87e08d0bca513527fac80d7b8dd0adfbda3e0890cba14\
             882fe3eb20fa0d6fa3e7bfb15a31165c5c5ef71544d70f73e2d6fe35b7025fbaa30b7bb0",
        ),
        (
            "my-tøken-😀",
            "sha256:16384:8899aabbccddeeff:\
             3bbc589152e4beb4227ea1dc302446dd2d01fbadb7d674d90328697cdc0b9c50",
        ),
    ];

    #[test]
    fn matches_python_vectors() {
        // `hash_token("abcdefgh", salt="s", rounds=3, algorithm="sha256")` is
        // sha256(b"s" + b"abcdefgh" * 3).
        let ours = hash("abcdefgh", "s", 3, Algorithm::Sha256).unwrap();
        let direct = Sha256::digest(b"sabcdefghabcdefghabcdefgh");
        assert_eq!(ours.digest(), direct.as_slice());
        assert_eq!(
            ours.to_string(),
            format!("sha256:3:s:{}", hex::encode(direct))
        );
    }

    #[test]
    fn chunking_does_not_change_the_digest() {
        for token in ["a", "abc", "ü", &"x".repeat(64), &"😀".repeat(64)] {
            // Rounds around the chunk size (8192 bytes of whole tokens) and its multiples.
            let per_chunk = u32::try_from(8192 / token.len()).unwrap();
            let rounds_list = [
                1,
                2,
                3,
                per_chunk - 1,
                per_chunk,
                per_chunk + 1,
                2 * per_chunk + 3,
            ];
            for rounds in rounds_list {
                let ours = hash(token, "salt", rounds, Algorithm::Sha512).unwrap();
                let mut plain = Sha512::new();
                plain.update(b"salt");
                for _ in 0..rounds {
                    plain.update(token.as_bytes());
                }
                assert_eq!(
                    ours.digest(),
                    plain.finalize().as_slice(),
                    "{token} {rounds}"
                );
            }
        }
    }

    #[test]
    fn empty_token_hashes_only_the_salt() {
        let ours = hash("", "salt", 16384, Algorithm::Sha512).unwrap();
        assert_eq!(ours.digest(), Sha512::digest(b"salt").as_slice());
    }

    #[test]
    fn parse_errors_say_what_is_wrong() {
        let err = |text: &str| text.parse::<TokenHash>().unwrap_err().to_string();
        assert_eq!(
            err("sha512:1:salt"),
            "a stored token hash must have 4 ':'-separated fields \
             (algorithm:rounds:salt:hexdigest), found 3"
        );
        assert!(err("a:b:c:d:e").ends_with("found 5"));
        assert_eq!(
            err(&format!("md5:1:s:{}", "0".repeat(32))),
            "unknown token hash algorithm \"md5\"; supported: sha224, sha256, sha384, sha512"
        );
        assert!(err(&format!("SHA512:1:s:{}", "0".repeat(128))).contains("\"SHA512\""));
        for rounds in ["", "+1", "-1", "01", "1_0", " 1", "x", "4294967296"] {
            let text = format!("sha512:{rounds}:s:{}", "0".repeat(128));
            assert_eq!(
                text.parse::<TokenHash>().unwrap_err(),
                HashError::InvalidRounds {
                    value: rounds.to_owned()
                },
                "{rounds:?}"
            );
        }
        assert_eq!(
            format!("sha512:0:s:{}", "0".repeat(128))
                .parse::<TokenHash>()
                .unwrap_err(),
            HashError::ZeroRounds
        );
        assert_eq!(
            err(&format!("sha256:1:s:{}", "0".repeat(128))),
            "a sha256 token hash digest must be 64 hex characters, got 128 characters"
        );
        assert_eq!(
            err(&format!("sha512:1:s:{}A", "0".repeat(127))),
            "a token hash digest must be lowercase hex (0-9a-f), found 'A' at character 127"
        );
    }

    #[test]
    fn parse_accepts_what_python_can_match() {
        let max = format!("sha224:{}::{}", u32::MAX, "f".repeat(56));
        let parsed: TokenHash = max.parse().unwrap();
        assert_eq!(parsed.rounds(), u32::MAX);
        assert_eq!(parsed.salt(), "");
        assert_eq!(parsed.algorithm(), Algorithm::Sha224);
        assert_eq!(parsed.to_string(), max);
        let unicode = format!("sha384:10:sél😀:{}", "0".repeat(96));
        assert_eq!(unicode.parse::<TokenHash>().unwrap().to_string(), unicode);
    }

    #[test]
    fn hash_rejects_unstorable_inputs() {
        assert_eq!(
            hash("t", "a:b", 1, Algorithm::Sha512).unwrap_err(),
            HashError::SaltContainsColon
        );
        assert_eq!(
            hash("t", "s", 0, Algorithm::Sha512).unwrap_err(),
            HashError::ZeroRounds
        );
        assert!("md5".parse::<Algorithm>().is_err());
        for algorithm in [
            Algorithm::Sha224,
            Algorithm::Sha256,
            Algorithm::Sha384,
            Algorithm::Sha512,
        ] {
            assert_eq!(algorithm.name().parse::<Algorithm>().unwrap(), algorithm);
            let h = hash("t", "s", 1, algorithm).unwrap();
            assert_eq!(h.digest().len(), algorithm.digest_len());
        }
    }

    #[test]
    fn storage_follows_jupyterhub_rules() {
        let generated = TokenHash::for_storage("0123456789abcdef", Origin::Generated).unwrap();
        assert_eq!(generated.algorithm(), Algorithm::Sha512);
        assert_eq!(generated.rounds(), 1);
        assert_eq!(generated.salt().len(), 16);
        assert!(hex::decode(generated.salt()).is_ok());
        assert!(generated.verify("0123456789abcdef"));

        let provided = TokenHash::for_storage("my-token", Origin::UserProvided).unwrap();
        assert_eq!(provided.rounds(), 16384);
        assert!(provided.verify("my-token"));
        assert!(!provided.verify("my-token "));

        let again = TokenHash::for_storage("my-token", Origin::UserProvided).unwrap();
        assert_ne!(again.salt(), provided.salt(), "salts are random");

        assert_eq!(
            TokenHash::for_storage(&"x".repeat(65), Origin::UserProvided).unwrap_err(),
            TokenError::TooLong { max: 64 }
        );
        assert!(TokenHash::for_storage(&"é".repeat(64), Origin::Generated).is_ok());
    }

    #[test]
    fn long_tokens_never_verify() {
        let long = "x".repeat(65);
        let h = hash(&long, "s", 1, Algorithm::Sha512).unwrap();
        assert!(!h.verify(&long));
        assert_eq!(verify(&h.to_string(), &long), Ok(false));
        // Even a malformed stored hash: the length check comes first, as in JupyterHub.
        assert_eq!(verify("garbage", &long), Ok(false));
        let at_max = "é".repeat(64);
        let h = hash(&at_max, "s", 1, Algorithm::Sha512).unwrap();
        assert_eq!(verify(&h.to_string(), &at_max), Ok(true));
    }

    #[test]
    fn malformed_stored_hash_is_an_error() {
        assert_eq!(
            verify("garbage", "token"),
            Err(HashError::FieldCount { found: 1 })
        );
        assert!(matches!(
            verify(&format!("sha1:1:s:{}", "0".repeat(40)), "token"),
            Err(HashError::UnknownAlgorithm { .. })
        ));
    }

    #[test]
    fn jupyterhub_vectors_verify_and_round_trip() {
        for (token, stored) in PY_VECTORS {
            let parsed: TokenHash = stored.parse().unwrap();
            assert_eq!(parsed.to_string(), stored);
            assert!(parsed.verify(token));
            assert!(!parsed.verify("abcdefgH"));
            let ours = hash(token, parsed.salt(), parsed.rounds(), parsed.algorithm()).unwrap();
            assert_eq!(ours.to_string(), stored);
        }
    }

    fn algorithms() -> impl Strategy<Value = Algorithm> {
        prop_oneof![
            Just(Algorithm::Sha224),
            Just(Algorithm::Sha256),
            Just(Algorithm::Sha384),
            Just(Algorithm::Sha512),
        ]
    }

    proptest! {
        #[test]
        fn parse_print_round_trip(
            algorithm in algorithms(),
            rounds in 1_u32..,
            salt in "[^:]{0,20}",
            seed in any::<[u8; 64]>(),
        ) {
            let digest = seed.get(..algorithm.digest_len()).unwrap().to_vec();
            let text = format!("{algorithm}:{rounds}:{salt}:{}", hex::encode(&digest));
            let parsed: TokenHash = text.parse().unwrap();
            prop_assert_eq!(parsed.digest(), digest.as_slice());
            prop_assert_eq!(parsed.salt(), salt.as_str());
            prop_assert_eq!(parsed.to_string(), text);
        }

        #[test]
        fn hash_then_verify(
            token in "\\PC{0,64}",
            salt in "[0-9a-f]{16}",
            rounds in 1_u32..40,
            algorithm in algorithms(),
        ) {
            let h = hash(&token, &salt, rounds, algorithm).unwrap();
            prop_assert!(h.verify(&token));
            let reparsed: TokenHash = h.to_string().parse().unwrap();
            prop_assert_eq!(&reparsed, &h);
            prop_assert_eq!(verify(&h.to_string(), &token), Ok(true));
        }

        #[test]
        fn changed_token_never_verifies(
            token in "\\PC{1,40}",
            other in "\\PC{0,40}",
            salt in "[0-9a-f]{16}",
            rounds in 1_u32..10,
        ) {
            prop_assume!(token != other);
            let h = hash(&token, &salt, rounds, Algorithm::Sha512).unwrap();
            prop_assert!(!h.verify(&other));
            let mut appended = token.clone();
            appended.push('x');
            prop_assert!(!h.verify(&appended));
            let truncated: String = token.chars().skip(1).collect();
            prop_assert!(!h.verify(&truncated));
        }

    }

    proptest! {
        // 16384 rounds of up to 256 bytes each (unoptimised in test builds): few cases.
        #![proptest_config(ProptestConfig::with_cases(8))]
        #[test]
        fn stored_tokens_verify(token in "\\PC{0,64}", generated in any::<bool>()) {
            let origin = if generated { Origin::Generated } else { Origin::UserProvided };
            let h = TokenHash::for_storage(&token, origin).unwrap();
            prop_assert!(h.verify(&token));
        }
    }
}
