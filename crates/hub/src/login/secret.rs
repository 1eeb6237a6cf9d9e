//! The cookie secret that signs login cookies and XSRF tokens, found as JupyterHub's
//! `init_secrets` finds it: `JPY_COOKIE_SECRET` (hex), else `cookie_secret_file` (hex, or
//! JupyterHub's legacy base64), else 32 new random bytes written to that file with mode 0600.

use std::path::{Path, PathBuf};

use base64::Engine;

/// Bytes generated for a new secret (JupyterHub's `COOKIE_SECRET_BYTES`).
const SECRET_BYTES: usize = 32;

/// The secret (never shown by `Debug`).
#[derive(Clone)]
pub struct CookieSecret(Vec<u8>);

impl std::fmt::Debug for CookieSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CookieSecret(<redacted>)")
    }
}

/// Why the cookie secret could not be had.
#[derive(Debug, thiserror::Error)]
pub enum CookieSecretError {
    /// `JPY_COOKIE_SECRET` is not hex.
    #[error("JPY_COOKIE_SECRET is not a hex string; make one with `openssl rand -hex 32`")]
    EnvNotHex,
    /// The secret file could not be read or written.
    #[error("JupyterHub.cookie_secret_file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong, and what to do.
        reason: String,
    },
}

impl CookieSecret {
    /// A secret from bytes (tests, embedding).
    pub fn from_bytes(bytes: Vec<u8>) -> CookieSecret {
        CookieSecret(bytes)
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Loads the secret: `env` (the value of `JPY_COOKIE_SECRET`), else `file`, else a new
    /// one stored in `file`.
    ///
    /// # Errors
    ///
    /// A non-hex `env`, a file others may read, or one that cannot be read or written.
    pub fn load(env: Option<&str>, file: &Path) -> Result<CookieSecret, CookieSecretError> {
        if let Some(text) = env {
            return hex::decode(text.trim())
                .map(CookieSecret)
                .map_err(|_| CookieSecretError::EnvNotHex);
        }
        let fail = |reason: String| CookieSecretError::File {
            path: file.to_path_buf(),
            reason,
        };
        if file.exists() {
            check_private(file).map_err(fail)?;
            let text = std::fs::read_to_string(file).map_err(|e| fail(e.to_string()))?;
            let text = text.trim();
            let bytes = if is_hex(text) {
                hex::decode(text).map_err(|e| fail(e.to_string()))?
            } else {
                base64::engine::general_purpose::STANDARD
                    .decode(text.split_whitespace().collect::<String>())
                    .map_err(|_| {
                        fail(
                            "is neither hex nor base64; write `openssl rand -hex 32` into it"
                                .into(),
                        )
                    })?
            };
            tracing::info!(file = %file.display(), "loaded the cookie secret");
            return Ok(CookieSecret(bytes));
        }
        let mut bytes = vec![0_u8; SECRET_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| fail(format!("no randomness: {e}")))?;
        write_private(file, &format!("{}\n", hex::encode(&bytes))).map_err(fail)?;
        tracing::info!(file = %file.display(), "wrote a new cookie secret");
        Ok(CookieSecret(bytes))
    }
}

fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.len() % 2 == 0 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(unix)]
fn check_private(file: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file)
        .map_err(|e| e.to_string())?
        .permissions()
        .mode();
    if mode & 0o007 != 0 {
        return Err(format!(
            "can be read or written by anybody (mode {:o}); run `chmod 600` on it",
            mode & 0o777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_file: &Path) -> Result<(), String> {
    Ok(())
}

fn write_private(file: &Path, text: &str) -> Result<(), String> {
    std::fs::write(file, text).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn a_new_secret_is_written_privately_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        let first = CookieSecret::load(None, &file).unwrap();
        assert_eq!(first.bytes().len(), 32);
        let again = CookieSecret::load(None, &file).unwrap();
        assert_eq!(first.bytes(), again.bytes());
        let env = CookieSecret::load(Some("00ff"), &file).unwrap();
        assert_eq!(env.bytes(), [0, 255]);
        assert!(CookieSecret::load(Some("zz"), &file).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            let error = CookieSecret::load(None, &file).unwrap_err().to_string();
            assert!(error.contains("chmod 600"), "{error}");
        }
    }
}
