//! Thin hooks for the benches and tests of this crate: the cache's stats
//! store and the answers' wire types, which are internal.
//!
//! Not part of the API: behind the private feature `internals`, which only
//! this crate's own tests and benches turn on; no stability promise, and no
//! type of a dependency (rusqlite) in it.

use std::collections::BTreeMap;

use crate::api::stats::StatsQuery;
use crate::error::Result;
use crate::ids::SiteId;
use crate::models::Series;
use crate::store::{Cache, CacheKind, CachePolicy, Freshness, Replace, StatsKey};

/// A scope (account) for bench data, apart from any client's.
///
/// # Errors
/// A cache failure.
pub fn scope(cache: &Cache) -> Result<i64> {
    cache.as_store().bind_scope("bench://", Some("bench"), 0)
}

/// Store one fetched chunk `[start, end)` of `query` for `site`, as
/// [`SiteApi::stats`](crate::SiteApi::stats) does with each chunk it receives:
/// points and range in one transaction, `now` (unix s) as the fetch time,
/// the default [`CachePolicy`].
///
/// # Errors
/// A cache failure.
pub fn store_stats(
    cache: &Cache,
    scope: i64,
    site: SiteId,
    query: &StatsQuery,
    chunk: (i64, i64),
    records: &BTreeMap<String, Series>,
    now: i64,
) -> Result<()> {
    let policy = CachePolicy::default();
    let secs = |d: std::time::Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    let key = StatsKey {
        scope,
        site: site.get(),
        kind: query.kind().as_str(),
        codes: query.kind().codes(),
        interval: query.interval(),
        grid: query.interval().grid(query.window().start()),
        per_instance: query.is_show_instance(),
    };
    let freshness = Freshness {
        now,
        settle: secs(policy.settle_margin_of()),
        fresh: secs(policy.freshness_of(CacheKind::Stats)),
    };
    cache
        .as_store()
        .store_stats(&key, chunk, records, freshness, Replace::All)
}

/// Add a diagnostics snapshot to the cache's history, as
/// [`SiteApi::diagnostics`](crate::SiteApi::diagnostics) does with each answer
/// (a row per changed value; history older than `retention` trimmed at most
/// hourly). Returns the rows written.
///
/// # Errors
/// A cache failure.
pub fn record_diagnostics(
    cache: &Cache,
    scope: i64,
    site: SiteId,
    records: &[crate::models::DiagnosticRecord],
    now: i64,
    retention: std::time::Duration,
) -> Result<usize> {
    let retention = i64::try_from(retention.as_secs()).unwrap_or(i64::MAX);
    cache
        .as_store()
        .record_diagnostics(scope, site.get(), records, now, retention)
}
