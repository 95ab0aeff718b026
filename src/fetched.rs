//! A value together with where it came from and what it cost.

use std::ops::Deref;

use time::OffsetDateTime;

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// Fetched from VRM just now.
    Network,
    /// Served from the local cache, no request made.
    Cache,
    /// Partly from the cache, partly from VRM.
    Mixed,
    /// From the cache, older than its freshness limit, because VRM could
    /// not be reached.
    Stale,
}

impl Source {
    /// `"network"`, `"cache"`, `"mixed"` or `"stale"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Network => "network",
            Source::Cache => "cache",
            Source::Mixed => "mixed",
            Source::Stale => "stale",
        }
    }

    /// True when no request was needed.
    pub fn is_cache(self) -> bool {
        matches!(self, Source::Cache | Source::Stale)
    }
}

/// The answer of an endpoint method: the value, its [`Source`], the number
/// of HTTP requests it cost, and when its data was fetched.
///
/// Derefs to the value, so `fetched.records` works as on the value itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched<T> {
    value: T,
    source: Source,
    requests: u32,
    fetched_at: OffsetDateTime,
}

impl<T> Fetched<T> {
    pub(crate) fn new(value: T, source: Source, requests: u32, fetched_at: OffsetDateTime) -> Self {
        Fetched {
            value,
            source,
            requests,
            fetched_at,
        }
    }

    /// The value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The value, dropping the provenance.
    pub fn into_value(self) -> T {
        self.value
    }

    /// Where the value came from.
    pub fn source(&self) -> Source {
        self.source
    }

    /// HTTP requests made to produce it (logins and retries included).
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// When its data was fetched from VRM (the oldest part, if mixed).
    pub fn fetched_at(&self) -> OffsetDateTime {
        self.fetched_at
    }

    /// Apply `f` to the value, keeping the provenance.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fetched<U> {
        Fetched {
            value: f(self.value),
            source: self.source,
            requests: self.requests,
            fetched_at: self.fetched_at,
        }
    }

    /// Like [`map`](Self::map), for a conversion that can fail.
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Fetched<U>, E> {
        Ok(Fetched {
            value: f(self.value)?,
            source: self.source,
            requests: self.requests,
            fetched_at: self.fetched_at,
        })
    }
}

impl<T> Deref for Fetched<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}
