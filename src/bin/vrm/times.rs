//! Reading `--from`/`--to` and durations as a person types them.

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

/// What a time may look like, for error messages.
pub const TIME_FORMS: &str = "RFC 3339 (2026-11-01T06:00:00Z), a date (2026-11-01, midnight UTC), unix seconds, \
     `now`, or relative like -24h, -7d, -90m";

/// Parse a time: RFC 3339, `YYYY-MM-DD` (midnight UTC), unix seconds,
/// `now`, or `-N{m,h,d,w}` before `now`.
pub fn parse_time(text: &str, now: OffsetDateTime) -> Result<OffsetDateTime, String> {
    let t = text.trim();
    let bad = || format!("time {text:?}: expected {TIME_FORMS}");
    if t.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Some(rest) = t.strip_prefix('-')
        && rest.starts_with(|c: char| c.is_ascii_digit())
        && !rest.chars().all(|c| c.is_ascii_digit())
    {
        let secs = parse_duration_secs(rest).ok_or_else(bad)?;
        return now
            .checked_sub(time::Duration::seconds(secs))
            .ok_or_else(bad);
    }
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        let secs: i64 = t.parse().map_err(|_| bad())?;
        return OffsetDateTime::from_unix_timestamp(secs).map_err(|_| bad());
    }
    if let Ok(time) = OffsetDateTime::parse(t, &Rfc3339) {
        return Ok(time);
    }
    if let Some(date) = parse_date(t) {
        return Ok(date.midnight().assume_utc());
    }
    Err(bad())
}

fn parse_date(t: &str) -> Option<Date> {
    let mut parts = t.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    if t.len() != 10 {
        return None;
    }
    Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

/// `90m`, `24h`, `7d`, `2w`, `30s` → seconds.
pub fn parse_duration_secs(text: &str) -> Option<i64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let number: i64 = text.get(..text.len() - unit.len_utf8())?.parse().ok()?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    number.checked_mul(scale).filter(|s| *s > 0)
}

/// A duration for `--older-than`, with its error.
pub fn parse_age(text: &str) -> Result<std::time::Duration, String> {
    parse_duration_secs(text)
        .and_then(|s| u64::try_from(s).ok())
        .map(std::time::Duration::from_secs)
        .ok_or_else(|| {
            format!("age {text:?}: expected a number and a unit s, m, h, d or w (like 90d)")
        })
}

/// RFC 3339 text of unix seconds (UTC).
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_795_608_000).unwrap()
    }

    #[test]
    fn every_form_parses() {
        let n = now();
        assert_eq!(parse_time("now", n).unwrap(), n);
        assert_eq!(
            parse_time("-24h", n).unwrap().unix_timestamp(),
            1_795_608_000 - 86_400
        );
        assert_eq!(
            parse_time("-7d", n).unwrap().unix_timestamp(),
            1_795_608_000 - 604_800
        );
        assert_eq!(
            parse_time("-90m", n).unwrap().unix_timestamp(),
            1_795_608_000 - 5400
        );
        assert_eq!(
            parse_time("1700000000", n).unwrap().unix_timestamp(),
            1_700_000_000
        );
        assert_eq!(
            parse_time("2026-11-01", n).unwrap().unix_timestamp(),
            1_793_491_200
        );
        assert_eq!(
            parse_time("2026-11-01T06:00:00+01:00", n)
                .unwrap()
                .unix_timestamp(),
            1_793_491_200 + 5 * 3600
        );
    }

    #[test]
    fn bad_times_name_the_value_and_the_forms() {
        for bad in ["yesterday", "-5x", "2026-13-01", "", "-h", "2026-1-1"] {
            let e = parse_time(bad, now()).unwrap_err();
            assert!(
                e.contains(&format!("{bad:?}")) && e.contains("RFC 3339"),
                "{e}"
            );
        }
        assert!(parse_age("90d").is_ok());
        assert!(parse_age("soon").unwrap_err().contains("\"soon\""));
    }
}
