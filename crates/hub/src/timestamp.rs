//! Reading the timestamps clients send (activity reports): ISO 8601 as JupyterHub's clients
//! write it, `YYYY-MM-DD[(T| )HH:MM[:SS[.ffffff]]][Z|±HH[:MM]]`. A time without an offset is
//! UTC, as JupyterHub's naive timestamps are.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Parses an ISO 8601 timestamp; `None` when it is not one.
pub fn parse_iso8601(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    let (date, rest) = text.split_at_checked(10)?;
    let date = parse_date(date)?;
    if rest.is_empty() {
        return Some(PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc());
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (clock, offset) = split_offset(rest)?;
    let time = parse_time(clock)?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_offset(offset)
            .to_offset(UtcOffset::UTC),
    )
}

fn number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let month = Month::try_from(u8::try_from(number(month)?).ok()?).ok()?;
    Date::from_calendar_date(
        i32::try_from(number(year)?).ok()?,
        month,
        u8::try_from(number(day)?).ok()?,
    )
    .ok()
}

fn split_offset(text: &str) -> Option<(&str, UtcOffset)> {
    if let Some(clock) = text.strip_suffix(['Z', 'z']) {
        return Some((clock, UtcOffset::UTC));
    }
    match text.rfind(['+', '-']) {
        None => Some((text, UtcOffset::UTC)),
        Some(at) => {
            let (clock, offset) = text.split_at(at);
            let sign: i8 = if offset.starts_with('-') { -1 } else { 1 };
            let digits = offset.get(1..)?.replace(':', "");
            if digits.len() != 2 && digits.len() != 4 {
                return None;
            }
            let hours = i8::try_from(number(digits.get(..2)?)?).ok()?;
            let minutes = match digits.get(2..) {
                Some("") | None => 0,
                Some(minutes) => i8::try_from(number(minutes)?).ok()?,
            };
            let offset = UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?;
            Some((clock, offset))
        }
    }
}

fn parse_time(text: &str) -> Option<Time> {
    let (clock, fraction) = match text.split_once(['.', ',']) {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (text, None),
    };
    let mut parts = clock.split(':');
    let hour = u8::try_from(number(parts.next()?)?).ok()?;
    let minute = u8::try_from(number(parts.next()?)?).ok()?;
    let second = match parts.next() {
        Some(second) => u8::try_from(number(second)?).ok()?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let micros = match fraction {
        None => 0,
        Some(digits) => {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // Python keeps microseconds: later digits are dropped.
            let kept: String = digits.chars().take(6).collect();
            let scale = 10_u32.pow(u32::try_from(6 - kept.len()).ok()?);
            number(&kept)? * scale
        }
    };
    Time::from_hms_micro(hour, minute, second, micros).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(text: &str) -> Option<String> {
        parse_iso8601(text).map(|t| {
            let t = t.to_offset(UtcOffset::UTC);
            format!("{} {} {}", t.date(), t.time(), t.microsecond())
        })
    }

    #[test]
    fn reads_what_jupyterhubs_clients_send() {
        assert_eq!(
            iso("2026-11-23T10:20:30.123456Z").as_deref(),
            Some("2026-11-23 10:20:30.123456 123456")
        );
        assert_eq!(
            iso("2026-11-23T10:20:30+01:00").as_deref(),
            Some("2026-11-23 9:20:30.0 0")
        );
        assert_eq!(
            iso("2026-11-23 10:20").as_deref(),
            Some("2026-11-23 10:20:00.0 0")
        );
        assert_eq!(iso("2026-11-23").as_deref(), Some("2026-11-23 0:00:00.0 0"));
        assert_eq!(
            iso("2026-11-23T10:20:30.5-0230").as_deref(),
            Some("2026-11-23 12:50:30.5 500000")
        );
    }

    #[test]
    fn refuses_what_is_not_a_timestamp() {
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-11-23T25:00",
            "2026-11-23X10:00",
            "2026-11-23T10:00+5",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }
}
