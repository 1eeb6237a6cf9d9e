//! `auth_state` encryption, compatible with JupyterHub's `CryptKeeper`: Fernet tokens
//! (AES-128-CBC with PKCS#7 padding, HMAC-SHA256, URL-safe base64) over the state's JSON,
//! with the keys of `JUPYTERHUB_CRYPT_KEY` (`;`-separated; the first encrypts, any
//! decrypts). A state encrypted by JupyterHub decrypts here, and the other way round.

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

type Encryptor = cbc::Encryptor<aes::Aes128>;
type Decryptor = cbc::Decryptor<aes::Aes128>;

/// The Fernet format's version byte.
const VERSION: u8 = 0x80;

/// Why state could not be encrypted or decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptError {
    /// A key of `JUPYTERHUB_CRYPT_KEY` is not 32 bytes.
    #[error(
        "JUPYTERHUB_CRYPT_KEY: key {index} is not 32 bytes (give 32 random bytes, hex- or base64-encoded: `openssl rand -hex 32`)"
    )]
    BadKey {
        /// Which key (from 1).
        index: usize,
    },
    /// No key is configured.
    #[error(
        "auth_state cannot be encrypted: set JUPYTERHUB_CRYPT_KEY (32 bytes, hex or base64: `openssl rand -hex 32`)"
    )]
    NoKey,
    /// No key decrypts the stored state.
    #[error("the stored auth_state does not decrypt with any key of JUPYTERHUB_CRYPT_KEY")]
    Undecryptable,
    /// The operating system gave no randomness for the IV.
    #[error("no randomness available for encryption: {0}")]
    Random(String),
}

/// The configured keys.
#[derive(Clone, Default)]
pub struct CryptKeeper {
    keys: Vec<[u8; 32]>,
}

impl std::fmt::Debug for CryptKeeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CryptKeeper({} keys)", self.keys.len())
    }
}

/// JupyterHub's `_validate_key`: 44 characters of base64, 64 of hex, or 32 raw bytes.
fn parse_key(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    let decoded = match bytes.len() {
        44 => URL_SAFE.decode(bytes).ok(),
        64 => hex::decode(bytes).ok(),
        _ => None,
    };
    let raw = decoded.unwrap_or_else(|| bytes.to_vec());
    raw.try_into().ok()
}

impl CryptKeeper {
    /// The keys of a `JUPYTERHUB_CRYPT_KEY` value (empty items skipped).
    ///
    /// # Errors
    ///
    /// [`CryptError::BadKey`] for a key that is not 32 bytes.
    pub fn from_env_value(value: &str) -> Result<CryptKeeper, CryptError> {
        let mut keys = Vec::new();
        for (index, item) in value
            .split(';')
            .filter(|k| !k.trim().is_empty())
            .enumerate()
        {
            keys.push(parse_key(item.trim()).ok_or(CryptError::BadKey { index: index + 1 })?);
        }
        Ok(CryptKeeper { keys })
    }

    /// Whether a key is configured.
    pub fn is_available(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Encrypts `state`'s JSON with the first key (a Fernet token, as bytes).
    ///
    /// # Errors
    ///
    /// [`CryptError::NoKey`] without keys; [`CryptError::Random`] without randomness.
    pub fn encrypt(&self, state: &Value) -> Result<Vec<u8>, CryptError> {
        let key = self.keys.first().ok_or(CryptError::NoKey)?;
        let (signing, encryption) = key.split_at(16);
        let mut iv = [0_u8; 16];
        getrandom::fill(&mut iv).map_err(|e| CryptError::Random(e.to_string()))?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let plaintext = state.to_string();
        let ciphertext = Encryptor::new(encryption.into(), &iv.into())
            .encrypt_padded_vec_mut::<Pkcs7>(plaintext.as_bytes());
        let mut token = Vec::with_capacity(57 + ciphertext.len());
        token.push(VERSION);
        token.extend_from_slice(&u64::try_from(now).unwrap_or(0).to_be_bytes());
        token.extend_from_slice(&iv);
        token.extend_from_slice(&ciphertext);
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(signing)
            .map_err(|e| CryptError::Random(e.to_string()))?;
        mac.update(&token);
        token.extend_from_slice(&mac.finalize().into_bytes());
        Ok(URL_SAFE.encode(token).into_bytes())
    }

    /// Decrypts a stored state with whichever key opens it.
    ///
    /// # Errors
    ///
    /// [`CryptError::NoKey`] without keys, [`CryptError::Undecryptable`] otherwise.
    pub fn decrypt(&self, stored: &[u8]) -> Result<Value, CryptError> {
        if self.keys.is_empty() {
            return Err(CryptError::NoKey);
        }
        let token = URL_SAFE
            .decode(stored.trim_ascii())
            .map_err(|_| CryptError::Undecryptable)?;
        if token.len() < 1 + 8 + 16 + 16 + 32 || token.first() != Some(&VERSION) {
            return Err(CryptError::Undecryptable);
        }
        let (signed, tag) = token.split_at(token.len() - 32);
        for key in &self.keys {
            let (signing, encryption) = key.split_at(16);
            let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(signing) else {
                continue;
            };
            mac.update(signed);
            // verify_slice compares in constant time.
            if mac.verify_slice(tag).is_err() {
                continue;
            }
            let iv = signed.get(9..25).ok_or(CryptError::Undecryptable)?;
            let ciphertext = signed.get(25..).ok_or(CryptError::Undecryptable)?;
            let plaintext = Decryptor::new(encryption.into(), iv.into())
                .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
                .map_err(|_| CryptError::Undecryptable)?;
            return serde_json::from_slice(&plaintext).map_err(|_| CryptError::Undecryptable);
        }
        Err(CryptError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX_KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn round_trips_and_rotates_keys() {
        let old = CryptKeeper::from_env_value(HEX_KEY).unwrap();
        let state = serde_json::json!({"token": "x", "n": [1, 2]});
        let sealed = old.encrypt(&state).unwrap();
        assert_eq!(old.decrypt(&sealed).unwrap(), state);
        let other = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
        let rotated = CryptKeeper::from_env_value(&format!("{other};{HEX_KEY}")).unwrap();
        assert_eq!(rotated.decrypt(&sealed).unwrap(), state);
        let wrong = CryptKeeper::from_env_value(other).unwrap();
        assert_eq!(wrong.decrypt(&sealed), Err(CryptError::Undecryptable));
    }

    /// Made by Python's `cryptography` (JupyterHub's) with `HEX_KEY`.
    const FROM_JUPYTERHUB: &str = "gAAAAABrBCTrOmmWCjfMJ16Ub5LhuxtrMhBjWu7gr9kD2CDmdhAHLmsvb4z0rEU9slNNOVWmWXqbITlP8fuS9mPRGj5DOuULpaJ8XkzPPeV35MSTIXA0glc=";

    #[test]
    fn decrypts_what_jupyterhub_encrypted() {
        let keeper = CryptKeeper::from_env_value(HEX_KEY).unwrap();
        assert_eq!(
            keeper.decrypt(FROM_JUPYTERHUB.as_bytes()).unwrap(),
            serde_json::json!({"token": "x", "n": [1, 2]})
        );
    }

    #[test]
    fn keys_are_checked() {
        assert_eq!(
            CryptKeeper::from_env_value("short").unwrap_err(),
            CryptError::BadKey { index: 1 }
        );
        assert!(CryptKeeper::from_env_value(&"k".repeat(32)).is_ok());
        assert!(!CryptKeeper::from_env_value("").unwrap().is_available());
    }
}
