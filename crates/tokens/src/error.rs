//! Errors of the secrets half of the crate: token acceptance, stored hashes, expiry.

use thiserror::Error;

use crate::hash::Algorithm;

/// The operating system's random number generator could not be read.
///
/// Nothing secret is generated when this happens; retrying later is the only remedy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("could not read randomness from the operating system: {0}")]
pub struct RandomError(pub(crate) getrandom::Error);

/// A token that JupyterHub would refuse to store, or a failure while making one.
///
/// The messages of [`TooShort`](Self::TooShort) and [`TooLong`](Self::TooLong) are
/// JupyterHub 6.1.1's, byte for byte (a hub answers them with HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TokenError {
    /// A user-provided token shorter than [`MIN_LENGTH`](crate::MIN_LENGTH) characters
    /// (`Hashed.check_token`). The message shows the token's first 4 characters, as
    /// JupyterHub's does.
    #[error("APIToken.token must be at least {min} characters, got {len}: {prefix}...")]
    TooShort {
        /// The minimum length, in characters.
        min: usize,
        /// The token's length, in characters (Unicode code points, like Python's `len`).
        len: usize,
        /// The token's first 4 characters.
        prefix: String,
    },
    /// A token longer than [`MAX_LENGTH`](crate::MAX_LENGTH) characters (the `Hashed.token`
    /// setter). Such a token could never be verified.
    #[error("Cannot create tokens larger than {max} characters")]
    TooLong {
        /// The maximum length, in characters.
        max: usize,
    },
    /// Making a salt needed randomness that was not available.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// A stored token hash (`algorithm:rounds:salt:hexdigest`) that is malformed, or inputs that
/// cannot make one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HashError {
    /// The text does not have exactly four `:`-separated fields.
    #[error(
        "a stored token hash must have 4 ':'-separated fields \
         (algorithm:rounds:salt:hexdigest), found {found}"
    )]
    FieldCount {
        /// How many fields the text has.
        found: usize,
    },
    /// The algorithm is not one hubcap implements.
    #[error("unknown token hash algorithm {name:?}; supported: sha224, sha256, sha384, sha512")]
    UnknownAlgorithm {
        /// The algorithm name as written.
        name: String,
    },
    /// The rounds field is not a canonical decimal number (digits only, no sign, no
    /// leading zero, fits in 32 bits). JupyterHub could never match such a hash either.
    #[error(
        "token hash rounds must be a decimal integer without sign or leading zeros \
         (at most {max}), got {value:?}",
        max = u32::MAX
    )]
    InvalidRounds {
        /// The rounds field as written.
        value: String,
    },
    /// Zero rounds: the digest would cover only the salt, so every token would match.
    #[error("token hash rounds must be at least 1: 0 rounds would match every token")]
    ZeroRounds,
    /// The salt contains `:`, so the hash could not be written as four fields.
    #[error("a token hash salt must not contain ':'")]
    SaltContainsColon,
    /// The digest has the wrong length for its algorithm.
    #[error(
        "a {algorithm} token hash digest must be {expected} hex characters, got {found} characters"
    )]
    DigestLength {
        /// The algorithm named in the hash.
        algorithm: Algorithm,
        /// The expected number of hex characters.
        expected: usize,
        /// The number of characters found.
        found: usize,
    },
    /// The digest has a character that is not lowercase hex (`0-9a-f`). JupyterHub writes
    /// lowercase only and compares text, so an uppercase digest never matches there.
    #[error(
        "a token hash digest must be lowercase hex (0-9a-f), found {found:?} at character {position}"
    )]
    DigestNotLowercaseHex {
        /// The first offending character.
        found: char,
        /// Its position in the digest, counting characters from 0.
        position: usize,
    },
}

/// An `expires_in` that JupyterHub's `APIToken.new` refuses, or an expiry time out of range.
///
/// The messages of [`NotANumber`](Self::NotANumber) and [`NotPositive`](Self::NotPositive)
/// are JupyterHub 6.1.1's byte for byte, with the Python `repr` of the value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExpiryError {
    /// Not a number (a string, list or object). Python raises `TypeError` here.
    #[error("expires_in must be a positive integer or null, not {repr}")]
    NotANumber {
        /// Python's `repr` of the value, e.g. `'10'` or `[1, 'a']`.
        repr: String,
    },
    /// A number below 1 once truncated toward zero. Python raises `ValueError` here; the
    /// `repr` is of the truncated integer (`0.5` shows as `0`, `-3.7` as `-3`).
    #[error("expires_in must be a positive integer or null, not {repr}")]
    NotPositive {
        /// Python's `repr` of the truncated integer.
        repr: String,
    },
    /// The expiry would fall outside the supported dates (after year 9999, like Python's
    /// `datetime`). JupyterHub raises `OverflowError` here, which a hub turns into a 500.
    #[error("expires_in of {seconds} seconds is too large: the expiry date would be out of range")]
    OutOfRange {
        /// The requested seconds, as a decimal number (it may not fit in 64 bits).
        seconds: String,
    },
}

impl ExpiryError {
    /// The name of the Python exception JupyterHub raises for the same input:
    /// `"TypeError"`, `"ValueError"` or `"OverflowError"`.
    ///
    /// JupyterHub's token API answers `ValueError` with HTTP 400 and other exceptions with 500.
    #[must_use]
    pub fn python_exception(&self) -> &'static str {
        match self {
            Self::NotANumber { .. } => "TypeError",
            Self::NotPositive { .. } => "ValueError",
            Self::OutOfRange { .. } => "OverflowError",
        }
    }
}
