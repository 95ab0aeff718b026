//! `Site::stats`: a window split into the requests VRM allows, through the
//! cache when the client has one, stitched into one answer.

use std::collections::BTreeMap;

use crate::api::installations::Site;
use crate::api::stats::{StatsKind, StatsQuery};
use crate::cache::CacheMode;
use crate::cache::stats::{Freshness, StatsKey};
use crate::client::decode;
use crate::error::{Error, Result};
use crate::fetched::{Fetched, Source};
use crate::models::{Point, Series, Stats, StatsResponse};

/// Called after each request of a stats fetch with (done, total).
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize);

impl Site<'_> {
    /// Energy readings over a window, in buckets.
    ///
    /// `GET /installations/{idSite}/stats?type&attributeCodes[]&interval&start&end&show_instance`
    ///
    /// A window longer than VRM serves in one request for the interval
    /// (31 days of hours, 180 of days, …) is split into allowed chunks and
    /// stitched. With a cache, only the parts it lacks are fetched.
    ///
    /// Totals: VRM's own for a single request without a cache; otherwise the
    /// sum of the window's bucket values per code (and `kwh`, the sum of all
    /// codes, for `type=kwh`), as VRM computes them.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (before any request) for custom stats without
    /// codes; [`Error::NotCached`] offline; transport, API and decode errors.
    ///
    /// ```no_run
    /// # fn main() -> vrm::Result<()> {
    /// use vrm::{Interval, StatsQuery, TimeWindow};
    /// let vrm = vrm::Client::builder().demo().build()?;
    /// let week = TimeWindow::from_unix(1_700_000_000, 1_700_604_800)?;
    /// let stats = vrm.site(vrm::SiteId(151734)).stats(&StatsQuery::kwh(week, Interval::Days))?;
    /// println!("{:?}", stats.totals);
    /// # Ok(()) }
    /// ```
    pub fn stats(&self, query: &StatsQuery) -> Result<Fetched<Stats>> {
        self.stats_with_progress(query, &mut |_, _| {})
    }

    /// [`stats`](Self::stats), calling `progress(done, total)` after each
    /// request (for a progress bar over long windows).
    ///
    /// # Errors
    /// Those of [`stats`](Self::stats).
    pub fn stats_with_progress(
        &self,
        query: &StatsQuery,
        progress: Progress<'_>,
    ) -> Result<Fetched<Stats>> {
        query.validate()?;
        let mut requests = 0u32;
        match self.client().cache_ctx(&mut requests)? {
            None => self.stats_network(query, progress),
            Some(ctx) => self.stats_cached(query, &ctx, requests, progress),
        }
    }

    /// Fetch one chunk `[start, end)`.
    fn stats_chunk(&self, query: &StatsQuery, chunk: (i64, i64)) -> Result<(StatsResponse, u32)> {
        let request = query.request_for(self.id(), chunk);
        let (body, requests) = self.client().fetch(&request)?;
        Ok((decode::<StatsResponse>(&request, 200, &body)?, requests))
    }

    fn stats_network(&self, query: &StatsQuery, progress: Progress<'_>) -> Result<Fetched<Stats>> {
        let window = query.window();
        let chunks = query.interval().chunks(window.start(), window.end());
        let mut requests = 0;
        let mut parts = Vec::with_capacity(chunks.len());
        for (done, &chunk) in chunks.iter().enumerate() {
            let (response, n) = self.stats_chunk(query, chunk)?;
            requests += n;
            progress(done + 1, chunks.len());
            parts.push((chunk, response));
        }
        let stats = if parts.len() == 1 {
            parts
                .pop()
                .map(|(_, response)| response.into_stats())
                .unwrap_or_default()
        } else {
            let mut series: BTreeMap<String, Series> = BTreeMap::new();
            for ((start, end), response) in parts {
                for (code, part) in response.records {
                    append(series.entry(code).or_default(), part, (start, end));
                }
            }
            stats_from_series(series, query.kind())
        };
        Ok(Fetched::new(
            stats,
            Source::Network,
            requests,
            self.client().clock().now(),
        ))
    }

    fn stats_cached(
        &self,
        query: &StatsQuery,
        ctx: &crate::cached::CacheCtx<'_>,
        mut requests: u32,
        progress: Progress<'_>,
    ) -> Result<Fetched<Stats>> {
        let client = self.client();
        let window = (query.window().start(), query.window().end());
        let interval = query.interval();
        let key = StatsKey {
            scope: ctx.scope,
            site: self.id().get(),
            kind: query.kind(),
            interval,
            grid: interval.grid(window.0),
            per_instance: query.is_show_instance(),
        };
        let now = client.now_unix();
        let freshness = Freshness {
            now,
            settle: secs(ctx.policy.settle_margin_of()),
            fresh: secs(ctx.policy.freshness_of(crate::cache::CacheKind::Stats)),
        };
        let coverage = ctx.cache.stats_coverage(&key, window, freshness)?;
        let at_time = |at: i64| {
            time::OffsetDateTime::from_unix_timestamp(at)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        };
        let from_cache = |source: Source, requests: u32| -> Result<Fetched<Stats>> {
            let series = ctx.cache.read_stats(&key, window)?;
            Ok(Fetched::new(
                stats_from_series(series, query.kind()),
                source,
                requests,
                at_time(coverage.oldest.unwrap_or(now)),
            ))
        };
        if ctx.mode == CacheMode::Offline {
            if let Some(&(start, end)) = coverage.absent.first() {
                client.count_miss();
                return Err(Error::NotCached(format!(
                    "stats of site {} ({} {}{}) from {} to {}{}",
                    self.id(),
                    query.kind().as_str(),
                    interval,
                    codes_text(query.kind()),
                    rfc3339(start),
                    rfc3339(end),
                    if coverage.absent.len() > 1 {
                        format!(" and {} more parts", coverage.absent.len() - 1)
                    } else {
                        String::new()
                    }
                )));
            }
            client.count_hit();
            let source = if coverage.missing.is_empty() {
                Source::Cache
            } else {
                Source::Stale
            };
            return from_cache(source, requests);
        }
        let parts = if ctx.mode == CacheMode::Refresh {
            vec![window]
        } else {
            coverage.missing.clone()
        };
        if parts.is_empty() {
            client.count_hit();
            return from_cache(Source::Cache, requests);
        }
        client.count_miss();
        let chunks: Vec<(i64, i64)> = parts
            .iter()
            .flat_map(|&(start, end)| interval.chunks(start, end))
            .collect();
        for (done, &chunk) in chunks.iter().enumerate() {
            let before = client.counters().requests;
            match self.stats_chunk(query, chunk) {
                Ok((response, n)) => {
                    requests += n;
                    // Each chunk is stored as it arrives: a long fetch holds
                    // one chunk in memory, and an interrupted one resumes.
                    ctx.cache
                        .store_stats(&key, chunk, &response.records, freshness)?;
                }
                Err(e)
                    if e.is_network()
                        && ctx.policy.is_stale_on_error()
                        && coverage.absent.is_empty() =>
                {
                    log::warn!("stats fetch failed ({e}); answering from the cache");
                    let spent = client.counters().requests.saturating_sub(before);
                    requests += u32::try_from(spent).unwrap_or(u32::MAX);
                    return from_cache(Source::Stale, requests);
                }
                Err(e) => return Err(e),
            }
            progress(done + 1, chunks.len());
        }
        let source = if parts == [window] {
            Source::Network
        } else {
            Source::Mixed
        };
        let series = ctx.cache.read_stats(&key, window)?;
        Ok(Fetched::new(
            stats_from_series(series, query.kind()),
            source,
            requests,
            at_time(coverage.oldest.unwrap_or(now).min(now)),
        ))
    }
}

fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

fn codes_text(kind: &StatsKind) -> String {
    match kind {
        StatsKind::Kwh => String::new(),
        StatsKind::Custom(codes) => format!(" {}", codes.join(",")),
    }
}

/// Add the points of `part` inside `[start, end)` to `into`.
fn append(into: &mut Series, part: Series, (start, end): (i64, i64)) {
    let inside = |p: &Point| p.timestamp_ms >= start * 1000 && p.timestamp_ms < end * 1000;
    match (into, part) {
        (Series::Points(all), Series::Points(points)) => {
            all.extend(points.into_iter().filter(inside));
        }
        (into @ Series::Points(_), Series::PerInstance(map)) if into.is_empty() => {
            let map = map
                .into_iter()
                .map(|(i, points)| (i, points.into_iter().filter(inside).collect()))
                .collect();
            *into = Series::PerInstance(map);
        }
        (Series::PerInstance(all), Series::PerInstance(map)) => {
            for (instance, points) in map {
                all.entry(instance)
                    .or_default()
                    .extend(points.into_iter().filter(inside));
            }
        }
        // A chunk without instances in a per-instance answer (or the
        // reverse) has nothing to add.
        _ => {}
    }
}

/// Totals from the points: per code, the sum of its values (`None` when it
/// has none); for kwh also `kwh`, the sum over codes.
pub(crate) fn stats_from_series(series: BTreeMap<String, Series>, kind: &StatsKind) -> Stats {
    fn sum<'a>(points: impl Iterator<Item = &'a Point>) -> Option<f64> {
        points
            .filter_map(|p| p.value)
            .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
    }
    let mut totals = BTreeMap::new();
    let mut instance_totals = BTreeMap::new();
    for (code, s) in &series {
        match s {
            Series::Points(points) => {
                totals.insert(code.clone(), sum(points.iter()));
            }
            Series::PerInstance(map) => {
                let per: BTreeMap<u32, Option<f64>> = map
                    .iter()
                    .map(|(i, points)| (*i, sum(points.iter())))
                    .collect();
                let all = per
                    .values()
                    .flatten()
                    .fold(None, |acc: Option<f64>, v| Some(acc.unwrap_or(0.0) + v));
                totals.insert(code.clone(), all);
                instance_totals.insert(code.clone(), per);
            }
        }
    }
    if *kind == StatsKind::Kwh && !totals.is_empty() {
        let all = totals
            .values()
            .flatten()
            .fold(None, |acc: Option<f64>, v| Some(acc.unwrap_or(0.0) + v));
        totals.insert("kwh".to_owned(), all);
    }
    Stats {
        series,
        totals,
        instance_totals,
    }
}
