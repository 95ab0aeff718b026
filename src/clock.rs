//! Time as the client sees it: injectable, so tests never sleep.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

/// Where the client reads the time and how it waits.
///
/// The rate limiter, the retry back-off and `Retry-After` waits all go
/// through this trait. [`SystemClock`] is the default; [`ManualClock`]
/// makes waiting instant and records every wait, for tests.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> OffsetDateTime;
    /// Block the calling thread for `duration`.
    fn sleep(&self, duration: Duration);
}

/// The real clock: `OffsetDateTime::now_utc()` and `std::thread::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// A clock that only moves when told to (or when something sleeps on it).
///
/// Cloning shares the same time. `sleep` returns at once, advances the time
/// by the duration and records it, so a test can assert the waits made.
#[derive(Debug, Clone)]
pub struct ManualClock {
    state: Arc<Mutex<ManualState>>,
}

#[derive(Debug)]
struct ManualState {
    now: OffsetDateTime,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock standing at `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        ManualClock {
            state: Arc::new(Mutex::new(ManualState {
                now,
                sleeps: Vec::new(),
            })),
        }
    }

    /// Move the time forward by `by` (to the latest time `time` knows,
    /// at most).
    pub fn advance(&self, by: Duration) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.now = later(state.now, by);
    }

    /// Set the time.
    pub fn set(&self, now: OffsetDateTime) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .now = now;
    }

    /// Every wait made on this clock so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sleeps
            .clone()
    }
}

/// `now + by`, saturating at the latest time `time` knows: a wait of any
/// length never panics the clock.
fn later(now: OffsetDateTime, by: Duration) -> OffsetDateTime {
    time::Duration::try_from(by)
        .ok()
        .and_then(|by| now.checked_add(by))
        .unwrap_or_else(|| time::PrimitiveDateTime::MAX.assume_offset(now.offset()))
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .now
    }

    fn sleep(&self, duration: Duration) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.now = later(state.now, duration);
        state.sleeps.push(duration);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_saturates_instead_of_panicking() {
        let clock = ManualClock::new(OffsetDateTime::UNIX_EPOCH);
        clock.sleep(Duration::MAX);
        clock.advance(Duration::MAX);
        assert_eq!(clock.now().year(), 9999);
        assert_eq!(clock.sleeps(), [Duration::MAX]);
    }

    #[test]
    fn manual_clock_sleeps_instantly_and_records() {
        let start = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let clock = ManualClock::new(start);
        let shared = clock.clone();
        shared.sleep(Duration::from_secs(5));
        assert_eq!(clock.now().unix_timestamp(), 1_700_000_005);
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(5)]);
    }
}
