//! Token and share-code secrets: generation, the lookup prefix, and JupyterHub's length rules.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq as _;

use crate::error::{RandomError, TokenError};

/// How many leading characters of a token are stored in clear for lookup (`Hashed.prefix_length`).
pub const PREFIX_LENGTH: usize = 4;

/// The fewest characters a user-provided token may have (`Hashed.min_length`).
pub const MIN_LENGTH: usize = 8;

/// The most characters a token may have (`jupyterhub.utils._TOKEN_MAX_LEN`). Longer tokens
/// are never stored and never match.
pub const MAX_LENGTH: usize = 64;

/// How many random bytes a share code encodes (`ShareCode._code_bytes`).
pub const SHARE_CODE_BYTES: usize = 32;

/// A secret token or share code, redacted from `Debug` output.
///
/// There is deliberately no `Display`: use [`expose`](Self::expose) where the value really
/// has to be sent (once, to its owner). Equality is constant-time.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret, e.g. a user-provided token from configuration.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret text. Do not log it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Unwraps the secret text. Do not log it.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }

    /// The lookup prefix: the first [`PREFIX_LENGTH`] characters (see [`prefix`]).
    #[must_use]
    pub fn prefix(&self) -> &str {
        prefix(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Secret {}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// A new API token in JupyterHub's format (`uuid.uuid4().hex`): 32 lowercase hex characters
/// of 122 random bits from the operating system, with the UUID version-4 and RFC 4122 variant
/// bits set.
///
/// # Errors
///
/// [`RandomError`] if the operating system's randomness is unavailable.
pub fn new_token() -> Result<Secret, RandomError> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(RandomError)?;
    let mut n = u128::from_be_bytes(bytes);
    // Version 4: the high nibble of byte 6 (bits 76..80 counted from the least significant).
    n = (n & !(0xf_u128 << 76)) | (0x4_u128 << 76);
    // Variant RFC 4122: the top two bits of byte 8 are `10` (bits 62..64).
    n = (n & !(0x3_u128 << 62)) | (0x2_u128 << 62);
    Ok(Secret(format!("{n:032x}")))
}

/// A new share code like `secrets.token_urlsafe(32)`: 32 random bytes from the operating
/// system in URL-safe base64 without padding, 43 characters.
///
/// # Errors
///
/// [`RandomError`] if the operating system's randomness is unavailable.
pub fn new_share_code() -> Result<Secret, RandomError> {
    let mut bytes = [0_u8; SHARE_CODE_BYTES];
    getrandom::fill(&mut bytes).map_err(RandomError)?;
    Ok(Secret(URL_SAFE_NO_PAD.encode(bytes)))
}

/// The lookup prefix stored in clear beside a token's hash: its first [`PREFIX_LENGTH`]
/// characters (Unicode code points, like Python's `token[:4]`), or the whole token if shorter.
#[must_use]
pub fn prefix(token: &str) -> &str {
    token
        .char_indices()
        .nth(PREFIX_LENGTH)
        .and_then(|(end, _)| token.get(..end))
        .unwrap_or(token)
}

/// A token's length as JupyterHub counts it: Unicode code points.
#[must_use]
pub fn char_len(token: &str) -> usize {
    token.chars().count()
}

/// JupyterHub's minimum-length check for user-provided tokens (the length half of
/// `Hashed.check_token`; checking for a collision with a stored token is the caller's job,
/// after this check). Generated tokens are not checked.
///
/// # Errors
///
/// [`TokenError::TooShort`] with the message
/// `APIToken.token must be at least 8 characters, got N: PREF...`.
pub fn check_min_length(token: &str) -> Result<(), TokenError> {
    let len = char_len(token);
    if len < MIN_LENGTH {
        return Err(TokenError::TooShort {
            min: MIN_LENGTH,
            len,
            prefix: prefix(token).to_owned(),
        });
    }
    Ok(())
}

/// JupyterHub's maximum-length check, made when any token is stored (the `Hashed.token`
/// setter). [`TokenHash::for_storage`](crate::TokenHash::for_storage) applies it.
///
/// # Errors
///
/// [`TokenError::TooLong`] with the message `Cannot create tokens larger than 64 characters`.
pub fn check_max_length(token: &str) -> Result<(), TokenError> {
    if char_len(token) > MAX_LENGTH {
        return Err(TokenError::TooLong { max: MAX_LENGTH });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokens_are_uuid4_hex() {
        let token = new_token().unwrap();
        let text = token.expose();
        assert_eq!(text.len(), 32);
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(&text[12..13], "4", "{text}");
        assert!(matches!(&text[16..17], "8" | "9" | "a" | "b"), "{text}");
        assert_ne!(new_token().unwrap(), token);
    }

    #[test]
    fn uuid_bits_are_set_over_many_tokens() {
        // With 64 tokens, every free bit is 0 somewhere and 1 somewhere else with
        // overwhelming probability; the fixed bits never change.
        let tokens: Vec<u128> = (0..64)
            .map(|_| u128::from_str_radix(new_token().unwrap().expose(), 16).unwrap())
            .collect();
        let ones = tokens.iter().fold(0_u128, |acc, t| acc | t);
        let zeros = tokens.iter().fold(0_u128, |acc, t| acc | !t);
        let fixed = (0xf_u128 << 76) | (0x3_u128 << 62);
        assert_eq!(ones & fixed, (0x4_u128 << 76) | (0x2_u128 << 62));
        assert_eq!(zeros & fixed, (0xb_u128 << 76) | (0x1_u128 << 62));
        assert_eq!(ones | fixed, u128::MAX);
        assert_eq!(zeros | fixed, u128::MAX);
    }

    #[test]
    fn share_codes_are_43_urlsafe_chars() {
        let code = new_share_code().unwrap();
        let text = code.expose();
        assert_eq!(text.len(), 43);
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(text).unwrap().len(), 32);
        assert_ne!(new_share_code().unwrap(), code);
    }

    #[test]
    fn debug_redacts() {
        let secret = Secret::new("super-secret-token");
        let shown = format!("{secret:?} {:?}", Some(&secret));
        assert!(!shown.contains("super"), "{shown}");
        assert!(!shown.contains("secret-token"), "{shown}");
        assert_eq!(secret.expose(), "super-secret-token");
        assert_eq!(secret.prefix(), "supe");
        assert_eq!(secret.into_string(), "super-secret-token");
    }

    #[test]
    fn prefix_counts_characters() {
        assert_eq!(prefix(""), "");
        assert_eq!(prefix("abc"), "abc");
        assert_eq!(prefix("abcd"), "abcd");
        assert_eq!(prefix("abcdef"), "abcd");
        assert_eq!(prefix("ééééé"), "éééé");
        assert_eq!(prefix("😀a😀b😀"), "😀a😀b");
    }

    #[test]
    fn length_messages_are_jupyterhubs() {
        assert_eq!(
            check_min_length("short").unwrap_err().to_string(),
            "APIToken.token must be at least 8 characters, got 5: shor..."
        );
        assert_eq!(
            check_min_length("ééééééé").unwrap_err().to_string(),
            "APIToken.token must be at least 8 characters, got 7: éééé..."
        );
        assert_eq!(
            check_min_length("").unwrap_err().to_string(),
            "APIToken.token must be at least 8 characters, got 0: ..."
        );
        check_min_length("abcdefgh").unwrap();
        check_min_length("éééééééé").unwrap();
        check_max_length(&"x".repeat(64)).unwrap();
        check_max_length(&"é".repeat(64)).unwrap();
        assert_eq!(
            check_max_length(&"x".repeat(65)).unwrap_err().to_string(),
            "Cannot create tokens larger than 64 characters"
        );
    }

    proptest! {
        #[test]
        fn prefix_is_first_four_chars(token in "\\PC{0,12}") {
            let expected: String = token.chars().take(PREFIX_LENGTH).collect();
            prop_assert_eq!(prefix(&token), expected.as_str());
            prop_assert!(token.starts_with(prefix(&token)));
        }
    }
}
