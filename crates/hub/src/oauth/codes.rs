//! Authorization codes and access tokens as oauthlib makes them (`generate_token()`: 30
//! characters from `[A-Za-z0-9]`), and what a code is stored as.

use axum::http::StatusCode;

use crate::error::ApiError;

/// How long a code may wait to be exchanged, seconds.
pub const CODE_LIFETIME: i64 = 300;

/// What a code is stored as: its SHA-256, URL-safe base64, cut to the column's 36
/// characters (216 bits).
pub fn code_key(code: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(code.as_bytes());
    let mut key = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    key.truncate(36);
    key
}

/// oauthlib's `generate_token()`: 30 characters from `[A-Za-z0-9]`.
pub fn generate_token() -> Result<String, ApiError> {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut out = String::with_capacity(30);
    while out.len() < 30 {
        let mut bytes = [0_u8; 32];
        getrandom::fill(&mut bytes).map_err(|error| {
            tracing::error!(%error, "no randomness");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "no randomness for a token",
            )
        })?;
        // 248 = 4 * 62: rejecting above it keeps the choice uniform
        for byte in bytes.iter().filter(|b| **b < 248) {
            if out.len() == 30 {
                break;
            }
            if let Some(c) = CHARS.get(usize::from(*byte) % CHARS.len()) {
                out.push(char::from(*c));
            }
        }
    }
    Ok(out)
}
