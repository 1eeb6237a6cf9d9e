//! Token and share-code expiry: JupyterHub's `expires_in` validation, `expires_at`, and the
//! expiry tests of `Expiring` and `Hashed.find_prefix`.
//!
//! No function here reads a clock: the caller passes `now`.

use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::error::ExpiryError;

/// A share code's lifetime in seconds when none (or 0) is asked for
/// (`ShareCode.default_expires_in`, one day).
pub const SHARE_CODE_DEFAULT_EXPIRES_IN: u64 = 86400;

/// A validated token lifetime: a whole number of seconds, at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExpiresIn {
    seconds: u64,
}

impl ExpiresIn {
    /// A lifetime of `seconds`, or `None` for 0 (a token must expire in the future).
    #[must_use]
    pub fn from_seconds(seconds: u64) -> Option<Self> {
        (seconds >= 1).then_some(Self { seconds })
    }

    /// Validates an `expires_in` exactly as JupyterHub's `APIToken.new` does, taking the
    /// JSON value a request carried (or [`Value::Null`] when it had none).
    ///
    /// - `null` is `Ok(None)`: the token never expires.
    /// - A number is truncated toward zero like Python's `int()` (`1.9` is 1 second) and must
    ///   then be at least 1. Booleans are numbers in Python: `true` is 1 second, `false` is 0.
    /// - Anything else (string, list, object) is refused.
    ///
    /// (JupyterHub's token API refuses non-integers before `APIToken.new` with its own
    /// message; that check is the hub's.)
    ///
    /// # Errors
    ///
    /// - [`ExpiryError::NotANumber`] (Python `TypeError`) for a string, list or object,
    ///   e.g. `expires_in must be a positive integer or null, not '10'`.
    /// - [`ExpiryError::NotPositive`] (Python `ValueError`) for a number below 1 after
    ///   truncation, e.g. `... not 0` for `0.5` and `... not -3` for `-3.7`.
    /// - [`ExpiryError::OutOfRange`] (Python `OverflowError`, later in JupyterHub) for a
    ///   number of 2^64 seconds or more.
    pub fn from_json(value: &Value) -> Result<Option<Self>, ExpiryError> {
        let seconds = match value {
            Value::Null => return Ok(None),
            Value::Bool(b) => u64::from(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    u
                } else if let Some(i) = n.as_i64() {
                    // Only negative integers get here.
                    return Err(ExpiryError::NotPositive {
                        repr: i.to_string(),
                    });
                } else {
                    float_seconds(n.as_f64().unwrap_or(f64::NAN))?
                }
            }
            Value::String(_) | Value::Array(_) | Value::Object(_) => {
                return Err(ExpiryError::NotANumber {
                    repr: scopes::py_value(value),
                });
            }
        };
        match Self::from_seconds(seconds) {
            Some(expires_in) => Ok(Some(expires_in)),
            None => Err(ExpiryError::NotPositive {
                repr: "0".to_owned(),
            }),
        }
    }

    /// The lifetime in seconds.
    #[must_use]
    pub fn seconds(self) -> u64 {
        self.seconds
    }

    /// When a token created at `now` with this lifetime expires: `now + seconds`.
    ///
    /// # Errors
    ///
    /// [`ExpiryError::OutOfRange`] when the result would be after year 9999 (Python's
    /// `datetime` has the same limit, and JupyterHub raises `OverflowError` there).
    pub fn expires_at(self, now: OffsetDateTime) -> Result<OffsetDateTime, ExpiryError> {
        let out_of_range = || ExpiryError::OutOfRange {
            seconds: self.seconds.to_string(),
        };
        let seconds = i64::try_from(self.seconds).map_err(|_| out_of_range())?;
        now.checked_add(Duration::seconds(seconds))
            .ok_or_else(out_of_range)
    }
}

/// `int(f)` for a JSON float, then the `< 1` check. JSON floats are always finite.
fn float_seconds(f: f64) -> Result<u64, ExpiryError> {
    // 2^64: the first integer that does not fit in a u64.
    const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
    let truncated = f.trunc();
    if truncated.is_nan() || truncated < 1.0 {
        // `{:.0}` prints an integral float's exact decimal value, as Python's int repr does;
        // `-0.5` truncates to `-0.0`, which Python's `int` makes `0`.
        let repr = if truncated == 0.0 {
            "0".to_owned()
        } else {
            format!("{truncated:.0}")
        };
        return Err(ExpiryError::NotPositive { repr });
    }
    if truncated >= TWO_POW_64 {
        return Err(ExpiryError::OutOfRange {
            seconds: format!("{truncated:.0}"),
        });
    }
    // Exact: `truncated` is integral and in 1..2^64.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked above: integral and within u64"
    )]
    Ok(truncated as u64)
}

/// When a new share code expires (`ShareCode.new`): `now + expires_in`, where a missing or
/// zero `expires_in` means [`SHARE_CODE_DEFAULT_EXPIRES_IN`] (Python's `if not expires_in`).
///
/// The range checks on a requested lifetime (60 s to 365 days in JupyterHub's share-code
/// API) are the API's, not this function's.
///
/// # Errors
///
/// [`ExpiryError::OutOfRange`] when the result would be after year 9999.
pub fn share_code_expires_at(
    expires_in: Option<u64>,
    now: OffsetDateTime,
) -> Result<OffsetDateTime, ExpiryError> {
    let seconds = expires_in
        .filter(|&s| s != 0)
        .unwrap_or(SHARE_CODE_DEFAULT_EXPIRES_IN);
    ExpiresIn { seconds }.expires_at(now)
}

/// Whether something with this expiry is expired at `now` (`Expiring.expired`): never
/// without an expiry, otherwise once `now` has reached `expires_at` (`expires_at - now <= 0`).
#[must_use]
pub fn is_expired(expires_at: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    expires_at.is_some_and(|at| now >= at)
}

/// Whether a token lookup at `now` still finds something with this expiry
/// (`Hashed.find_prefix`'s filter `expires_at IS NULL OR expires_at >= now`).
///
/// This differs from [`is_expired`] at exactly `now == expires_at`: JupyterHub's lookup
/// still finds the token at that instant, although `expired` already says true.
#[must_use]
pub fn lookup_includes(expires_at: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    expires_at.is_none_or(|at| at >= now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(value: &Value) -> String {
        ExpiresIn::from_json(value).unwrap_err().to_string()
    }

    fn secs(value: &Value) -> Option<u64> {
        ExpiresIn::from_json(value).unwrap().map(ExpiresIn::seconds)
    }

    #[test]
    fn accepts_what_apitoken_new_accepts() {
        assert_eq!(secs(&Value::Null), None);
        assert_eq!(secs(&json!(10)), Some(10));
        assert_eq!(secs(&json!(1)), Some(1));
        assert_eq!(secs(&json!(1.9)), Some(1));
        assert_eq!(secs(&json!(3600.5)), Some(3600));
        assert_eq!(secs(&json!(true)), Some(1));
        assert_eq!(secs(&json!(u64::MAX)), Some(u64::MAX));
        assert_eq!(secs(&json!(1e19)), Some(10_000_000_000_000_000_000));
    }

    #[test]
    fn refuses_with_jupyterhubs_messages() {
        let prefix = "expires_in must be a positive integer or null, not ";
        for (value, repr) in [
            (json!(0), "0"),
            (json!(-5), "-5"),
            (json!(0.5), "0"),
            (json!(-0.5), "0"),
            (json!(-3.7), "-3"),
            (json!(false), "0"),
            (json!(i64::MIN), "-9223372036854775808"),
            (json!(-1e20), "-100000000000000000000"),
            (json!("10"), "'10'"),
            (json!("it's"), "\"it's\""),
            (json!([1, "a", null, true]), "[1, 'a', None, True]"),
            (json!({"a": 1.5, "b": [false]}), "{'a': 1.5, 'b': [False]}"),
        ] {
            assert_eq!(message(&value), format!("{prefix}{repr}"), "{value}");
        }
        // Python: `int(-1e300)` prints the float's exact integer value.
        assert_eq!(
            message(&json!(-1e300)),
            format!(
                "{prefix}-1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160"
            )
        );
    }

    #[test]
    fn python_exception_kinds() {
        let kind = |v: Value| ExpiresIn::from_json(&v).unwrap_err().python_exception();
        assert_eq!(kind(json!("1")), "TypeError");
        assert_eq!(kind(json!(0)), "ValueError");
        assert_eq!(kind(json!(1e300)), "OverflowError");
    }

    #[test]
    fn expires_at_adds_seconds() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let at = ExpiresIn::from_seconds(3600)
            .unwrap()
            .expires_at(now)
            .unwrap();
        assert_eq!(at.unix_timestamp(), 1_700_003_600);
        assert!(ExpiresIn::from_seconds(0).is_none());
        let err = ExpiresIn::from_seconds(u64::MAX)
            .unwrap()
            .expires_at(now)
            .unwrap_err();
        assert_eq!(err.python_exception(), "OverflowError");
        // Python: 631075795200 seconds from 2026 is past year 9999.
        assert!(
            ExpiresIn::from_seconds(631_075_795_200)
                .unwrap()
                .expires_at(now)
                .is_err()
        );
        assert!(
            ExpiresIn::from_seconds(200_000_000_000)
                .unwrap()
                .expires_at(now)
                .is_ok()
        );
    }

    #[test]
    fn share_codes_default_to_a_day() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        for requested in [None, Some(0)] {
            let at = share_code_expires_at(requested, now).unwrap();
            assert_eq!(at - now, Duration::days(1));
        }
        let at = share_code_expires_at(Some(60), now).unwrap();
        assert_eq!(at - now, Duration::minutes(1));
    }

    #[test]
    fn expiry_boundaries() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let second = Duration::seconds(1);
        assert!(!is_expired(None, now));
        assert!(!is_expired(Some(now + second), now));
        assert!(is_expired(Some(now), now));
        assert!(is_expired(Some(now - second), now));
        assert!(lookup_includes(None, now));
        assert!(lookup_includes(Some(now + second), now));
        assert!(lookup_includes(Some(now), now));
        assert!(!lookup_includes(Some(now - second), now));
    }
}
