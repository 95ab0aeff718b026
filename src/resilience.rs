//! Politeness and resilience: the rate limiter, retries, `Retry-After`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use time::{OffsetDateTime, PrimitiveDateTime};

/// A client-side rate limit: a rolling window of `capacity` requests, one
/// freed every `refill`.
///
/// The default, [`RateLimit::VRM`], is VRM's published limit (200 requests,
/// one freed every 0.33 s), so a client never earns a 429 by itself. The
/// limiter keeps 1/40 of the window free (5 of VRM's 200): requests leave
/// exactly paced, but reach VRM a few milliseconds apart more or less, and
/// that spare room keeps VRM's count of the window under its limit even so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests the window holds.
    pub capacity: u32,
    /// How often one request leaves the window.
    pub refill: Duration,
}

impl RateLimit {
    /// VRM's published limit: 200 requests, one freed every 0.33 s.
    pub const VRM: RateLimit = RateLimit {
        capacity: 200,
        refill: Duration::from_millis(330),
    };
}

impl RateLimit {
    /// The part of the window the limiter fills: all but 1/40 of it (at
    /// least 1).
    pub(crate) fn usable(self) -> u32 {
        let capacity = self.capacity.max(1);
        (capacity - capacity / 40).max(1)
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit::VRM
    }
}

/// A leaky bucket that hands out waits: each call reserves a slot and says
/// how long to wait before using it, so concurrent callers queue fairly.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    level: f64,
    last: Option<OffsetDateTime>,
    /// Until when VRM asked every request of this client to wait (a 429's
    /// `Retry-After`).
    paused_until: Option<OffsetDateTime>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        RateLimiter {
            limit,
            level: 0.0,
            last: None,
            paused_until: None,
        }
    }

    /// The limit this limiter keeps.
    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    /// VRM answered 429 at `now` and asked for `wait`: every request of the
    /// client, on any thread, waits until then.
    pub(crate) fn pause(&mut self, now: OffsetDateTime, wait: Duration) {
        let until = now.checked_add(time::Duration::try_from(wait).unwrap_or(time::Duration::MAX));
        // Past the last representable time: paused "forever", not ignored.
        let until = until.unwrap_or_else(|| PrimitiveDateTime::MAX.assume_utc());
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
    }

    /// Reserve one request at `now`; returns how long to wait before sending it.
    pub(crate) fn reserve(&mut self, now: OffsetDateTime) -> Duration {
        let refill = self.limit.refill.as_secs_f64();
        // Time only moves forward here: a clock that steps back must not
        // leak the same interval twice.
        let now = self.last.map_or(now, |last| last.max(now));
        if let Some(last) = self.last {
            let elapsed = (now - last).as_seconds_f64().max(0.0);
            if refill > 0.0 {
                self.level = (self.level - elapsed / refill).max(0.0);
            } else {
                self.level = 0.0;
            }
        }
        self.last = Some(now);
        let capacity = f64::from(self.limit.usable());
        self.level += 1.0;
        let paced = if self.level <= capacity {
            Duration::ZERO
        } else {
            // Finite and >= 0 by construction; a refill so long that the
            // wait overflows a Duration waits "forever" instead of panicking.
            Duration::try_from_secs_f64((self.level - capacity) * refill).unwrap_or(Duration::MAX)
        };
        let paused = match self.paused_until {
            Some(until) if until > now => Duration::try_from(until - now).unwrap_or(Duration::MAX),
            _ => Duration::ZERO,
        };
        paced.max(paused)
    }
}

/// How failed requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt of an idempotent request (GET) that
    /// failed with a 5xx, a 429 or a transport error. Default 3.
    pub max_retries: u32,
    /// The first back-off; each retry doubles it, with jitter. Default 500 ms.
    pub base_delay: Duration,
    /// The longest back-off between two attempts. Default 30 s.
    pub max_delay: Duration,
    /// The longest `Retry-After` the client waits out by itself; a longer
    /// one is returned as [`Error::RateLimited`](crate::Error::RateLimited).
    /// Default 60 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0 for the first retry):
    /// exponential, capped, with "equal jitter" (between half and all of it).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.min(16)));
        let capped = exp.min(self.max_delay);
        let half = capped / 2;
        half + half.mul_f64(jitter_fraction())
    }
}

/// A pseudo-random number in [0, 1), fresh on every call (no `rand` needed).
fn jitter_fraction() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Read a `Retry-After` value: delay-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if value.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() {
        // Delay-seconds; more than u64 holds is "longer than any wait".
        return Some(
            value
                .parse::<u64>()
                .map_or(Duration::MAX, Duration::from_secs),
        );
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_nan() || secs < 0.0 {
            return None;
        }
        return Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
    }
    let date = parse_http_date(value)?;
    let wait = (date - now).as_seconds_f64();
    Some(Duration::try_from_secs_f64(wait.max(0.0)).unwrap_or(Duration::MAX))
}

/// An IMF-fixdate (`Wed, 21 Oct 2015 07:28:00 GMT`), the form HTTP dates take.
fn parse_http_date(value: &str) -> Option<OffsetDateTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = value.split_ascii_whitespace();
    let _weekday = parts.next()?.strip_suffix(',')?;
    let day: u8 = parts.next()?.parse().ok()?;
    let month_name = parts.next()?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(month_name))?;
    let year: i32 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':').map(|p| p.parse::<u8>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    if parts.next()? != "GMT" || parts.next().is_some() || clock.next().is_some() {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(month + 1).ok()?).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let time = time::Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: f64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos((secs * 1e9) as i128).unwrap()
    }

    #[test]
    fn limiter_lets_a_burst_of_195_through_then_paces() {
        let mut limiter = RateLimiter::new(RateLimit::VRM);
        assert_eq!(RateLimit::VRM.usable(), 195);
        for _ in 0..195 {
            assert_eq!(limiter.reserve(at(1000.0)), Duration::ZERO);
        }
        let wait = limiter.reserve(at(1000.0));
        assert!((wait.as_secs_f64() - 0.33).abs() < 1e-6, "{wait:?}");
        let wait = limiter.reserve(at(1000.0));
        assert!((wait.as_secs_f64() - 0.66).abs() < 1e-6, "{wait:?}");
        // After a full minute idle, the window is empty again.
        assert_eq!(limiter.reserve(at(1100.0)), Duration::ZERO);
    }

    /// The send times reserved, replayed through a bucket of the same
    /// limit: the window never holds more than its capacity.
    fn assert_within(limit: RateLimit, mut sends: Vec<f64>) {
        sends.sort_by(f64::total_cmp);
        let refill = limit.refill.as_secs_f64();
        let (mut level, mut last) = (0.0f64, f64::NEG_INFINITY);
        for (i, t) in sends.iter().enumerate() {
            if last.is_finite() {
                level = (level - (t - last) / refill).max(0.0);
            }
            last = *t;
            level += 1.0;
            assert!(
                level <= f64::from(limit.capacity) + 1e-6,
                "request {i} at {t} s finds {level} in a window of {}",
                limit.capacity
            );
        }
    }

    #[test]
    fn eight_threads_of_300_requests_never_overfill_the_window() {
        let limiter = std::sync::Mutex::new(RateLimiter::new(RateLimit::VRM));
        let base = std::time::Instant::now();
        let sends = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..300 {
                        // As the engine does: the time is read under the lock.
                        let mut guard = limiter.lock().unwrap();
                        let now = base.elapsed().as_secs_f64();
                        let wait = guard.reserve(at(1000.0 + now));
                        drop(guard);
                        sends.lock().unwrap().push(now + wait.as_secs_f64());
                    }
                });
            }
        });
        let sends = sends.into_inner().unwrap();
        assert_eq!(sends.len(), 2400);
        // The first 195 go at once, then 3 a second: the last waits
        // 2,205 × 0.33 s.
        let last = sends.iter().copied().fold(0.0, f64::max);
        assert!((last - 2205.0 * 0.33).abs() < 1.0, "{last}");
        assert_within(RateLimit::VRM, sends);
    }

    #[test]
    fn a_clock_that_steps_back_leaks_nothing_twice() {
        let limit = RateLimit {
            capacity: 2,
            refill: Duration::from_secs(1),
        };
        let mut limiter = RateLimiter::new(limit);
        assert_eq!(limiter.reserve(at(10.0)), Duration::ZERO);
        assert_eq!(limiter.reserve(at(10.0)), Duration::ZERO);
        // Back in time, then forward again: still full at 10 s.
        let wait = limiter.reserve(at(5.0));
        assert!((wait.as_secs_f64() - 1.0).abs() < 1e-9, "{wait:?}");
        let wait = limiter.reserve(at(10.0));
        assert!((wait.as_secs_f64() - 2.0).abs() < 1e-9, "{wait:?}");
    }

    #[test]
    fn a_pause_holds_every_request_until_it_ends() {
        let mut limiter = RateLimiter::new(RateLimit::VRM);
        limiter.pause(at(100.0), Duration::from_secs(5));
        let wait = limiter.reserve(at(101.0));
        assert!((wait.as_secs_f64() - 4.0).abs() < 1e-9, "{wait:?}");
        // A shorter pause later does not shorten it.
        limiter.pause(at(101.0), Duration::from_secs(1));
        let wait = limiter.reserve(at(102.0));
        assert!((wait.as_secs_f64() - 3.0).abs() < 1e-9, "{wait:?}");
        assert_eq!(limiter.reserve(at(105.0)), Duration::ZERO);
        // A huge Retry-After saturates instead of panicking.
        limiter.pause(at(200.0), Duration::MAX);
        assert!(limiter.reserve(at(201.0)) > Duration::from_secs(1 << 30));
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let policy = RetryPolicy::default();
        for attempt in 0..10 {
            let full = (Duration::from_millis(500) * 2u32.pow(attempt)).min(policy.max_delay);
            let wait = policy.backoff(attempt);
            assert!(wait >= full / 2 && wait <= full, "{attempt}: {wait:?}");
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = at(1_445_412_470.0); // 2015-10-21 07:27:50 UTC
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("NaN", now), None);
        // Longer than anything a Duration holds: the longest wait, no panic.
        for huge in [
            "100000000000000000000",
            "1e20",
            "18446744073709551616",
            "inf",
            "1e400",
        ] {
            assert_eq!(parse_retry_after(huge, now), Some(Duration::MAX), "{huge}");
        }
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now)
                .map(|d| d > Duration::from_secs(1 << 37)),
            Some(true)
        );
    }
}
