//! Wall-clock milliseconds and the two text forms CHP uses for them: JavaScript's
//! `Date.prototype.toISOString` (route `last_activity`) and the ISO 8601 forms that
//! `Date.parse` accepts (the `inactive_since` filter).
//!
//! Civil-date arithmetic is Howard Hinnant's days-from-civil algorithm; no time-zone
//! database: times without an offset are read as UTC (JavaScript reads them as local time,
//! which is the same on the UTC hosts the hub runs on).

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now. A clock before 1970 reads as 0.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// `ms` as JavaScript's `toISOString` writes it: `2026-11-23T00:30:20.709Z`.
pub fn format_iso(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute) = (in_day / 3_600_000, in_day / 60_000 % 60);
    let (second, milli) = (in_day / 1000 % 60, in_day % 1000);
    let year_text = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else if year < 0 {
        format!("-{:06}", -year)
    } else {
        format!("+{year:06}")
    };
    format!("{year_text}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z")
}

/// The time `text` names, in milliseconds, if it is one of the ISO 8601 forms `Date.parse`
/// accepts: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, each optionally followed by `T` (or a space)
/// and `HH:mm`, `HH:mm:ss` or `HH:mm:ss.fff…`, then `Z` or `±HH:mm`. Month and day may
/// have one digit, as V8 allows. Anything else is `None`.
pub fn parse_iso(text: &str) -> Option<i64> {
    let mut cursor = Cursor {
        rest: text.as_bytes(),
    };
    let year = cursor.digits(4, 4)?;
    let month = if cursor.eat(b'-') {
        cursor.digits(1, 2)?
    } else {
        1
    };
    let day = if month_given(text) && cursor.eat(b'-') {
        cursor.digits(1, 2)?
    } else {
        1
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) * 86_400_000;
    if cursor.rest.is_empty() {
        return Some(ms);
    }
    if !(cursor.eat(b'T') || cursor.eat(b't') || cursor.eat(b' ')) {
        return None;
    }
    let hour = cursor.digits(2, 2)?;
    if !cursor.eat(b':') {
        return None;
    }
    let minute = cursor.digits(2, 2)?;
    let second = if cursor.eat(b':') {
        cursor.digits(2, 2)?
    } else {
        0
    };
    let mut milli = 0;
    if cursor.eat(b'.') {
        let fraction = cursor.take_digits();
        if fraction.is_empty() {
            return None;
        }
        for (place, digit) in [100, 10, 1].into_iter().zip(fraction) {
            milli += place * i64::from(digit - b'0');
        }
    }
    let valid_clock = (hour < 24 && minute < 60 && second < 60)
        || (hour == 24 && minute == 0 && second == 0 && milli == 0);
    if !valid_clock {
        return None;
    }
    ms += ((hour * 60 + minute) * 60 + second) * 1000 + milli;
    if cursor.eat(b'Z') || cursor.eat(b'z') || cursor.rest.is_empty() {
        return cursor.rest.is_empty().then_some(ms);
    }
    let sign = if cursor.eat(b'+') {
        -1
    } else if cursor.eat(b'-') {
        1
    } else {
        return None;
    };
    let offset_hour = cursor.digits(2, 2)?;
    let _ = cursor.eat(b':');
    let offset_minute = cursor.digits(2, 2)?;
    if !cursor.rest.is_empty() || offset_hour > 23 || offset_minute > 59 {
        return None;
    }
    Some(ms + sign * (offset_hour * 60 + offset_minute) * 60_000)
}

/// Whether `text` has a month part (`YYYY-MM…`), so a second `-` starts the day.
fn month_given(text: &str) -> bool {
    text.as_bytes().get(4) == Some(&b'-')
}

/// A reader over the bytes of a date being parsed.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl Cursor<'_> {
    /// Consumes `byte` if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        match self.rest.split_first() {
            Some((first, tail)) if *first == byte => {
                self.rest = tail;
                true
            }
            _ => false,
        }
    }

    /// Consumes the run of ASCII digits that comes next.
    fn take_digits(&mut self) -> &[u8] {
        let count = self.rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let (digits, tail) = self.rest.split_at(count);
        self.rest = tail;
        digits
    }

    /// Consumes between `min` and `max` digits and returns their value.
    fn digits(&mut self, min: usize, max: usize) -> Option<i64> {
        let digits = self.take_digits();
        if digits.len() < min || digits.len() > max {
            return None;
        }
        Some(
            digits
                .iter()
                .fold(0, |value, d| value * 10 + i64::from(d - b'0')),
        )
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date `days` after 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check_parse(text: &str, expected: Option<i64>) {
        assert_eq!(parse_iso(text), expected, "parse_iso({text:?})");
    }

    #[test]
    fn parses_the_forms_date_parse_accepts() {
        // Expected values from node 20's Date.parse on a UTC host.
        check_parse("2020", Some(1_577_836_800_000));
        check_parse("2020-01-01T00:00", Some(1_577_836_800_000));
        check_parse("2020-01-01T00:00:00.123456Z", Some(1_577_836_800_123));
        check_parse("2020-01-01 00:00:00Z", Some(1_577_836_800_000));
        check_parse("2020-01-01T24:00:00Z", Some(1_577_923_200_000));
        check_parse("2020-01-01T00:00:00+01:00", Some(1_577_833_200_000));
        check_parse("2020-01-01t00:00:00z", Some(1_577_836_800_000));
        check_parse("2020-1-1", Some(1_577_836_800_000));
        check_parse("2020-02-30", Some(1_583_020_800_000));
        check_parse("2100-01-01T00:00:00Z", Some(4_102_444_800_000));
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        check_parse("not-a-date", None);
        check_parse("2020-13-01", None);
        check_parse("2020-01-01T25:00", None);
        check_parse("2020-01-01T00:00:00Zjunk", None);
        check_parse("", None);
    }

    #[test]
    fn formats_as_to_iso_string() {
        assert_eq!(format_iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_iso(1_795_394_220_709), "2026-11-23T00:37:00.709Z");
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(ms in 0_i64..253_402_300_799_999) {
            prop_assert_eq!(parse_iso(&format_iso(ms)), Some(ms));
        }

        #[test]
        fn civil_round_trips(days in -1_000_000_i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
