//! [`Timestamp`]: a point in time as JupyterHub stores it (a naive UTC `datetime` with
//! microseconds), and its JSON rendering (`jupyterhub.utils.isoformat`).
//!
//! The crate never reads a clock: every operation that needs "now" takes it as an argument.
//! The range is Python's `datetime` range (years 1 to 9999), so that a lifetime which would
//! overflow in JupyterHub overflows here too instead of wrapping.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Microseconds in one second.
pub const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// A UTC instant with microsecond precision, between `0001-01-01T00:00:00` and
/// `9999-12-31T23:59:59.999999` (Python's `datetime.min` and `datetime.max`).
///
/// Serialised as the number of microseconds since the Unix epoch (an `i64`); deserialising
/// checks the range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Timestamp(i64);

/// A Unix-microsecond value outside Python's `datetime` range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "timestamp `{micros}` µs since the Unix epoch is outside 0001-01-01..=9999-12-31: pass a \
     time within Python's datetime range"
)]
pub struct TimestampRangeError {
    /// The rejected value.
    pub micros: i64,
}

impl Timestamp {
    /// `0001-01-01T00:00:00`, Python's `datetime.min`.
    pub const MIN: Timestamp = Timestamp(-62_135_596_800 * MICROS_PER_SECOND);
    /// `9999-12-31T23:59:59.999999`, Python's `datetime.max`.
    pub const MAX: Timestamp = Timestamp(253_402_300_800 * MICROS_PER_SECOND - 1);
    /// `1970-01-01T00:00:00`.
    pub const UNIX_EPOCH: Timestamp = Timestamp(0);

    /// The instant `micros` microseconds after the Unix epoch, if within range.
    pub fn from_unix_micros(micros: i64) -> Result<Timestamp, TimestampRangeError> {
        if (Timestamp::MIN.0..=Timestamp::MAX.0).contains(&micros) {
            Ok(Timestamp(micros))
        } else {
            Err(TimestampRangeError { micros })
        }
    }

    /// The instant `seconds` seconds after the Unix epoch, if within range.
    pub fn from_unix_seconds(seconds: i64) -> Result<Timestamp, TimestampRangeError> {
        let micros = seconds
            .checked_mul(MICROS_PER_SECOND)
            .ok_or(TimestampRangeError {
                micros: if seconds < 0 { i64::MIN } else { i64::MAX },
            })?;
        Timestamp::from_unix_micros(micros)
    }

    /// Microseconds since the Unix epoch.
    pub fn unix_micros(self) -> i64 {
        self.0
    }

    /// `self + seconds`, or `None` past Python's `datetime` range.
    pub fn checked_add_seconds(self, seconds: i64) -> Option<Timestamp> {
        let micros = seconds.checked_mul(MICROS_PER_SECOND)?;
        Timestamp::from_unix_micros(self.0.checked_add(micros)?).ok()
    }

    /// `self - earlier` in microseconds (negative when `earlier` is later).
    pub fn micros_since(self, earlier: Timestamp) -> i64 {
        // Both lie within ±2.6e17, so the difference cannot overflow.
        self.0 - earlier.0
    }

    /// JupyterHub's `isoformat(dt)`: `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`, the fraction omitted
    /// when the microseconds are zero (Python's `datetime.isoformat`).
    ///
    /// ```
    /// use sharing::Timestamp;
    /// let t = Timestamp::from_unix_micros(1_795_394_099_401_487)?;
    /// assert_eq!(t.isoformat(), "2026-11-23T00:34:59.401487Z");
    /// assert_eq!(Timestamp::UNIX_EPOCH.isoformat(), "1970-01-01T00:00:00Z");
    /// # Ok::<(), sharing::TimestampRangeError>(())
    /// ```
    pub fn isoformat(self) -> String {
        let days = self.0.div_euclid(MICROS_PER_DAY);
        let in_day = self.0.rem_euclid(MICROS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let seconds = in_day / MICROS_PER_SECOND;
        let micros = in_day % MICROS_PER_SECOND;
        let (hour, minute, second) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
        let mut out = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
        if micros != 0 {
            out.push_str(&format!(".{micros:06}"));
        }
        out.push('Z');
        out
    }
}

impl TryFrom<i64> for Timestamp {
    type Error = TimestampRangeError;

    fn try_from(micros: i64) -> Result<Timestamp, TimestampRangeError> {
        Timestamp::from_unix_micros(micros)
    }
}

impl From<Timestamp> for i64 {
    fn from(t: Timestamp) -> i64 {
        t.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.isoformat())
    }
}

/// Year, month, day of the proleptic Gregorian calendar for a count of days since
/// 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(micros: i64) -> String {
        Timestamp::from_unix_micros(micros).map_or_else(|e| e.to_string(), Timestamp::isoformat)
    }

    #[test]
    fn isoformat_is_pythons() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1), "1970-01-01T00:00:00.000001Z");
        assert_eq!(iso(-1), "1969-12-31T23:59:59.999999Z");
        // transcripts §8: a share's created_at
        assert_eq!(iso(1_795_394_099_401_487), "2026-11-23T00:34:59.401487Z");
        assert_eq!(iso(951_782_400_000_000), "2000-02-29T00:00:00Z");
        assert_eq!(iso(Timestamp::MIN.0), "0001-01-01T00:00:00Z");
        assert_eq!(iso(Timestamp::MAX.0), "9999-12-31T23:59:59.999999Z");
    }

    #[test]
    fn range_is_pythons_datetime() {
        assert!(Timestamp::from_unix_micros(Timestamp::MAX.0 + 1).is_err());
        assert!(Timestamp::from_unix_micros(Timestamp::MIN.0 - 1).is_err());
        assert_eq!(Timestamp::MAX.checked_add_seconds(1), None);
        assert_eq!(Timestamp::UNIX_EPOCH.checked_add_seconds(i64::MAX), None);
        assert_eq!(
            Timestamp::UNIX_EPOCH.checked_add_seconds(86_400),
            Timestamp::from_unix_seconds(86_400).ok()
        );
        assert!(Timestamp::from_unix_seconds(i64::MAX).is_err());
    }

    #[test]
    fn serde_is_micros_and_checks_the_range() {
        let t = Timestamp::from_unix_micros(42).ok();
        assert_eq!(serde_json::to_string(&t).ok().as_deref(), Some("42"));
        assert!(serde_json::from_str::<Timestamp>("253402300800000000").is_err());
        assert_eq!(serde_json::from_str::<Timestamp>("42").ok(), t);
    }
}
