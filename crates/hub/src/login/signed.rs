//! tornado's signed values, version 2 (`create_signed_value` / `decode_signed_value`), as
//! JupyterHub signs its login cookie and XSRF tokens with the cookie secret:
//! `2|1:0|10:<unix time>|<len>:<name>|<len>:<base64 value>|<hex HMAC-SHA256>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Signs `value` under `name` at `now` (Unix seconds).
pub fn create_signed_value(secret: &[u8], name: &str, value: &[u8], now: i64) -> String {
    let field = |text: &str| format!("{}:{text}", text.len());
    let encoded = STANDARD.encode(value);
    let to_sign = format!(
        "2|{}|{}|{}|{}|",
        field("0"),
        field(&now.to_string()),
        field(name),
        field(&encoded)
    );
    let signature = signature(secret, to_sign.as_bytes());
    format!("{to_sign}{signature}")
}

/// The value signed under `name` in `signed`, if the signature is right and it was signed
/// less than `max_age_days` before `now` (tornado's `decode_signed_value`, `min_version=2`).
pub fn decode_signed_value(
    secret: &[u8],
    name: &str,
    signed: &str,
    max_age_days: f64,
    now: i64,
) -> Option<Vec<u8>> {
    let rest = signed.strip_prefix("2|")?;
    let (_key_version, rest) = consume_field(rest)?;
    let (timestamp, rest) = consume_field(rest)?;
    let (name_field, rest) = consume_field(rest)?;
    let (value_field, passed_signature) = consume_field(rest)?;
    let signed_part = signed.get(..signed.len() - passed_signature.len())?;
    let mut mac = HmacSha256::new_from_slice(secret).ok()?;
    mac.update(signed_part.as_bytes());
    let passed = hex::decode(passed_signature).ok()?;
    mac.verify_slice(&passed).ok()?;
    if name_field != name {
        return None;
    }
    let timestamp: i64 = timestamp.parse().ok()?;
    #[allow(
        clippy::cast_precision_loss,
        reason = "Unix seconds fit a double exactly"
    )]
    if (timestamp as f64) < now as f64 - max_age_days * 86_400.0 {
        return None;
    }
    STANDARD.decode(value_field).ok()
}

/// `<len>:<text>|rest` -> (text, rest).
fn consume_field(text: &str) -> Option<(&str, &str)> {
    let (length, rest) = text.split_once(':')?;
    let length: usize = length.parse().ok()?;
    let value = rest.get(..length)?;
    let after = rest.get(length..)?.strip_prefix('|')?;
    Some((value, after))
}

fn signature(secret: &[u8], data: &[u8]) -> String {
    match HmacSha256::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(data);
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; this arm is never taken.
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn round_trips_and_refuses_other_names_and_old_values() {
        let signed = create_signed_value(SECRET, "jupyterhub-hub-login", b"abc", 1_000_000);
        assert!(signed.starts_with("2|1:0|7:1000000|20:jupyterhub-hub-login|4:YWJj|"));
        let decode = |name, now| decode_signed_value(SECRET, name, &signed, 14.0, now);
        assert_eq!(decode("jupyterhub-hub-login", 1_000_000).unwrap(), b"abc");
        assert_eq!(decode("_xsrf", 1_000_000), None);
        assert_eq!(
            decode("jupyterhub-hub-login", 1_000_000 + 15 * 86_400),
            None
        );
        let tampered = signed.replace("YWJj", "YWJk");
        assert_eq!(
            decode_signed_value(SECRET, "jupyterhub-hub-login", &tampered, 14.0, 1_000_000),
            None
        );
        assert_eq!(
            decode_signed_value(b"other", "jupyterhub-hub-login", &signed, 14.0, 1_000_000),
            None
        );
    }

    #[test]
    fn signs_exactly_as_tornado() {
        // tornado.web.create_signed_value(b"0123456789abcdef0123456789abcdef",
        //     "jupyterhub-hub-login", "abc", clock=lambda: 1000000)
        let tornado = "2|1:0|7:1000000|20:jupyterhub-hub-login|4:YWJj|\
            39ee46abc32b578247c303bffcc2ef47f51fd87ebf82af95f1db3526db368002";
        let ours = create_signed_value(SECRET, "jupyterhub-hub-login", b"abc", 1_000_000);
        assert_eq!(ours, tornado);
    }
}
