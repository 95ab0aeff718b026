//! Time windows rounded to whole hours, and the stats intervals.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use time::{Date, Month, OffsetDateTime};

use crate::error::{Error, Result};

const HOUR: i64 = 3600;

/// The last second a window may reach: 9999-12-31T23:00:00Z, so that a
/// window's end rounded up to the hour and any bucket arithmetic on it
/// (a month or a few years on) stay far inside `i64` and `time`'s range.
const LATEST: i64 = 253_402_297_200;

/// A time window `[start, end)` in unix seconds, rounded to whole hours.
///
/// VRM's data has one-hour granularity, and its doc advises whole hours:
/// the start is rounded down and the end up, so two windows that round to
/// the same hours are the same query (and the same cache key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeWindow {
    start: i64,
    end: i64,
}

impl TimeWindow {
    /// The window from `start` to `end`, rounded to whole hours.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `end` is not after `start`.
    pub fn new(start: OffsetDateTime, end: OffsetDateTime) -> Result<Self> {
        Self::from_unix(start.unix_timestamp(), end.unix_timestamp())
    }

    /// The window between two unix timestamps (seconds), rounded to whole hours.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `end` is not after `start`, or a time
    /// lies outside the years 1970 to 9999.
    pub fn from_unix(start: i64, end: i64) -> Result<Self> {
        if !(0..=LATEST).contains(&start) || !(0..=LATEST).contains(&end) {
            return Err(Error::invalid(format!(
                "window {start}..{end}: expected times from 1970 to the end of 9999 \
                 (0 to {LATEST} in unix seconds)"
            )));
        }
        if end <= start {
            return Err(Error::invalid(format!(
                "window start {start} is not before its end {end}: the start must come first"
            )));
        }
        let start = start.div_euclid(HOUR) * HOUR;
        let end = end.saturating_add(HOUR - 1).div_euclid(HOUR) * HOUR;
        Ok(TimeWindow { start, end })
    }

    /// The `length` before `now`, rounded to whole hours.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `length` is zero.
    pub fn last(length: Duration, now: OffsetDateTime) -> Result<Self> {
        let now = now.unix_timestamp();
        let secs = i64::try_from(length.as_secs()).unwrap_or(i64::MAX);
        Self::from_unix(now.saturating_sub(secs), now)
    }

    /// Start, unix seconds.
    pub fn start(&self) -> i64 {
        self.start
    }

    /// End, unix seconds.
    pub fn end(&self) -> i64 {
        self.end
    }

    /// Length of the window.
    pub fn length(&self) -> Duration {
        Duration::from_secs(u64::try_from(self.end - self.start).unwrap_or(0))
    }

    /// Start as a date-time (UTC).
    pub fn start_time(&self) -> OffsetDateTime {
        to_datetime(self.start)
    }

    /// End as a date-time (UTC).
    pub fn end_time(&self) -> OffsetDateTime {
        to_datetime(self.end)
    }
}

fn to_datetime(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// The bucket size of a stats query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Interval {
    /// 15 minutes (`15mins`); at most 31 days per request.
    FifteenMinutes,
    /// One hour (`hours`); at most 31 days per request.
    Hours,
    /// Two hours (`2hours`, in the 2026 spec); at most 31 days per request
    /// (the spec gives no limit of its own: that of `hours` is kept).
    TwoHours,
    /// One day (`days`); at most 180 days per request.
    Days,
    /// One week (`weeks`); at most 140 days per request.
    Weeks,
    /// One month (`months`); at most 24 months per request.
    Months,
    /// One year (`years`); at most 5 years per request.
    Years,
}

impl Interval {
    /// Every interval, shortest first.
    pub const ALL: [Interval; 7] = [
        Interval::FifteenMinutes,
        Interval::Hours,
        Interval::TwoHours,
        Interval::Days,
        Interval::Weeks,
        Interval::Months,
        Interval::Years,
    ];

    /// The name VRM uses (`15mins`, `hours`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::FifteenMinutes => "15mins",
            Interval::Hours => "hours",
            Interval::TwoHours => "2hours",
            Interval::Days => "days",
            Interval::Weeks => "weeks",
            Interval::Months => "months",
            Interval::Years => "years",
        }
    }

    /// The doc's longest period for one request, in words.
    pub fn max_period_text(self) -> &'static str {
        match self {
            Interval::FifteenMinutes | Interval::Hours | Interval::TwoHours => "31 days",
            Interval::Days => "180 days",
            Interval::Weeks => "140 days",
            Interval::Months => "24 months",
            Interval::Years => "5 years",
        }
    }

    /// The latest end a single request starting at `start` may have
    /// (unix seconds), by the doc's maximum period for this interval.
    pub fn max_end(self, start: i64) -> i64 {
        const DAY: i64 = 24 * HOUR;
        match self {
            Interval::FifteenMinutes | Interval::Hours | Interval::TwoHours => start + 31 * DAY,
            Interval::Days => start + 180 * DAY,
            Interval::Weeks => start + 140 * DAY,
            Interval::Months => add_months(start, 24),
            Interval::Years => add_months(start, 60),
        }
    }
}

impl Interval {
    /// Whether buckets align on the hour whatever the window's start
    /// (`15mins`, `hours`), so any sub-window of a fetched range is reusable.
    pub(crate) fn is_hour_aligned(self) -> bool {
        matches!(self, Interval::FifteenMinutes | Interval::Hours)
    }

    /// The end of the bucket that starts at `t` (unix seconds).
    pub(crate) fn bucket_end(self, t: i64) -> i64 {
        match self {
            Interval::FifteenMinutes => t + 15 * 60,
            Interval::Hours => t + HOUR,
            Interval::TwoHours => t + 2 * HOUR,
            Interval::Days => t + 24 * HOUR,
            Interval::Weeks => t + 7 * 24 * HOUR,
            Interval::Months => add_months(t, 1),
            Interval::Years => add_months(t, 12),
        }
    }

    /// A name for the bucket alignment of windows that start at `start`:
    /// two windows with the same grid have the same bucket boundaries.
    /// Empty for hour-aligned intervals.
    pub(crate) fn grid(self, start: i64) -> String {
        let t = to_datetime(start);
        match self {
            Interval::FifteenMinutes | Interval::Hours => String::new(),
            // A window starts on the hour: its 2-hour buckets fall on even
            // or on odd hours.
            Interval::TwoHours => format!("h{}", start.rem_euclid(2 * HOUR)),
            Interval::Days => format!("d{}", start.rem_euclid(24 * HOUR)),
            Interval::Weeks => format!("w{}", start.rem_euclid(7 * 24 * HOUR)),
            Interval::Months => format!("m{}T{}", t.day(), t.hour()),
            Interval::Years => format!("y{}-{}T{}", u8::from(t.month()), t.day(), t.hour()),
        }
    }

    /// The latest bucket boundary of the grid through `anchor` that is not
    /// after `t` (and not before `anchor`).
    pub(crate) fn snap_down(self, anchor: i64, t: i64) -> i64 {
        if t <= anchor {
            return anchor;
        }
        match self {
            Interval::FifteenMinutes
            | Interval::Hours
            | Interval::TwoHours
            | Interval::Days
            | Interval::Weeks => {
                let len = self.bucket_end(0);
                anchor + (t - anchor).div_euclid(len) * len
            }
            Interval::Months | Interval::Years => {
                let step = if self == Interval::Months { 1 } else { 12 };
                let (a, b) = (to_datetime(anchor), to_datetime(t));
                let months = (b.year() - a.year()) * 12 + i32::from(u8::from(b.month()))
                    - i32::from(u8::from(a.month()));
                let mut k = (months / step).max(0);
                while k > 0 && add_months(anchor, k * step) > t {
                    k -= 1;
                }
                while add_months(anchor, (k + 1) * step) <= t {
                    k += 1;
                }
                add_months(anchor, k * step)
            }
        }
    }

    /// `[start, end)` cut into the fewest requests VRM serves for this
    /// interval, in order.
    pub(crate) fn chunks(self, start: i64, end: i64) -> Vec<(i64, i64)> {
        let mut chunks = Vec::new();
        let mut from = start;
        while from < end {
            let to = self.max_end(from).min(end);
            if to <= from {
                break;
            }
            chunks.push((from, to));
            from = to;
        }
        chunks
    }
}

/// `unix` plus `months` calendar months (the day clamped to the month's end).
fn add_months(unix: i64, months: i32) -> i64 {
    let t = to_datetime(unix);
    let total = t.year() * 12 + (i32::from(u8::from(t.month())) - 1) + months;
    let year = total.div_euclid(12);
    let month_number = u8::try_from(total.rem_euclid(12) + 1).unwrap_or(1);
    let Ok(month) = Month::try_from(month_number) else {
        return unix;
    };
    let day = t.day().min(time::util::days_in_month(month, year));
    match Date::from_calendar_date(year, month, day) {
        Ok(date) => t.replace_date(date).unix_timestamp(),
        // Past the years `time` knows: the end (or start) of what it knows,
        // so that chunking near the year 9999 still moves on.
        Err(_) if months > 0 => LATEST + HOUR,
        Err(_) => 0,
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Interval {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Interval::ALL
            .into_iter()
            .find(|i| i.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "interval {s:?}: expected one of 15mins, hours, 2hours, days, weeks, months, years"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_start_down_and_end_up() {
        let w = TimeWindow::from_unix(1_486_022_639, 1_486_026_001).unwrap();
        assert_eq!(w.start(), 1_486_022_400);
        assert_eq!(w.end(), 1_486_029_600);
        let exact = TimeWindow::from_unix(3600, 7200).unwrap();
        assert_eq!((exact.start(), exact.end()), (3600, 7200));
    }

    #[test]
    fn same_hours_same_window() {
        let a = TimeWindow::from_unix(1_486_022_401, 1_486_025_000).unwrap();
        let b = TimeWindow::from_unix(1_486_022_999, 1_486_025_999).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn refuses_reversed_and_empty_windows() {
        let e = TimeWindow::from_unix(2000, 1000).unwrap_err();
        assert!(e.to_string().contains("2000"), "{e}");
        assert!(TimeWindow::from_unix(1000, 1000).is_err());
        assert!(TimeWindow::from_unix(-5, 1000).is_err());
        // The years 1970 to 9999, and nothing that overflows near the ends.
        assert!(TimeWindow::from_unix(0, LATEST).is_ok());
        for (a, b) in [
            (0, LATEST + 1),
            (i64::MIN, 0),
            (0, i64::MAX),
            (i64::MAX - 1, i64::MAX),
        ] {
            let e = TimeWindow::from_unix(a, b).unwrap_err();
            assert!(e.to_string().contains("1970"), "{e}");
        }
        let w = TimeWindow::from_unix(LATEST - 400 * 86_400, LATEST).unwrap();
        for interval in Interval::ALL {
            let chunks = interval.chunks(w.start(), w.end());
            assert_eq!(chunks.first().map(|c| c.0), Some(w.start()), "{interval}");
            assert_eq!(chunks.last().map(|c| c.1), Some(w.end()), "{interval}");
        }
    }

    #[test]
    fn max_periods_follow_the_doc() {
        let start = 1_704_067_200; // 2024-01-01
        let day = 86_400;
        assert_eq!(Interval::Hours.max_end(start), start + 31 * day);
        assert_eq!(Interval::Days.max_end(start), start + 180 * day);
        assert_eq!(Interval::Weeks.max_end(start), start + 140 * day);
        assert_eq!(Interval::Months.max_end(start), 1_767_225_600); // 2026-01-01
        assert_eq!(Interval::Years.max_end(start), 1_861_920_000); // 2029-01-01
    }

    #[test]
    fn month_arithmetic_clamps_days() {
        // 2024-01-31 + 1 month = 2024-02-29
        assert_eq!(add_months(1_706_659_200, 1), 1_709_164_800);
    }

    #[test]
    fn long_windows_split_into_allowed_chunks() {
        let start = 1_704_067_200; // 2024-01-01
        let day = 86_400;
        let hours90 = Interval::Hours.chunks(start, start + 90 * day);
        assert_eq!(
            hours90,
            [
                (start, start + 31 * day),
                (start + 31 * day, start + 62 * day),
                (start + 62 * day, start + 90 * day)
            ]
        );
        assert_eq!(Interval::Hours.chunks(start, start + 365 * day).len(), 12);
        let days3y = Interval::Days.chunks(start, start + 3 * 365 * day);
        assert_eq!(days3y.len(), 7);
        assert!(days3y.windows(2).all(|w| w[0].1 == w[1].0));
        assert_eq!(
            Interval::Days.chunks(start, start + day),
            [(start, start + day)]
        );
    }

    #[test]
    fn grids_and_snapping() {
        let start = 1_704_067_200 + 5 * 3600; // 2024-01-01T05:00Z
        let day = 86_400;
        assert_eq!(Interval::Hours.grid(start), "");
        assert_eq!(
            Interval::Days.grid(start),
            Interval::Days.grid(start + 9 * day)
        );
        assert_ne!(
            Interval::Days.grid(start),
            Interval::Days.grid(start + 3600)
        );
        assert_eq!(
            Interval::Days.snap_down(start, start + 2 * day + 7),
            start + 2 * day
        );
        assert_eq!(Interval::Days.snap_down(start, start - 50), start);
        // Months from Jan 31: Feb 29 (clamped), then Mar 31.
        let jan31 = 1_706_659_200;
        let feb29 = add_months(jan31, 1);
        assert_eq!(Interval::Months.snap_down(jan31, feb29 + 5), feb29);
        let mar31 = add_months(jan31, 2);
        assert_eq!(Interval::Months.snap_down(jan31, mar31 - 1), feb29);
        assert_eq!(Interval::Months.snap_down(jan31, mar31), mar31);
        assert_eq!(Interval::Months.bucket_end(jan31), feb29);
        assert_eq!(
            Interval::Years.snap_down(jan31, jan31 + 400 * day),
            add_months(jan31, 12)
        );
    }

    #[test]
    fn two_hours_buckets_follow_the_start_parity() {
        let even = 1_795_608_000; // an even hour
        assert_eq!(Interval::TwoHours.bucket_end(even), even + 7200);
        assert_eq!(
            Interval::TwoHours.grid(even),
            Interval::TwoHours.grid(even + 4 * 3600)
        );
        assert_ne!(
            Interval::TwoHours.grid(even),
            Interval::TwoHours.grid(even + 3600)
        );
        assert!(!Interval::TwoHours.is_hour_aligned());
        assert_eq!(
            Interval::TwoHours.snap_down(even, even + 3 * 3600),
            even + 7200
        );
        assert_eq!(Interval::TwoHours.max_end(even), even + 31 * 86_400);
        assert_eq!("2hours".parse::<Interval>().unwrap(), Interval::TwoHours);
    }

    #[test]
    fn interval_names_round_trip() {
        for i in Interval::ALL {
            assert_eq!(i.as_str().parse::<Interval>().unwrap(), i);
        }
        assert!("minutes".parse::<Interval>().is_err());
    }
}
