//! Stats as a client of the engine: a window of buckets, answered from
//! what the store holds and what VRM sends, by one rule, so that an answer
//! is the same whether it was fetched whole, stitched from chunks, or
//! served from the cache.
//!
//! What is known of a series (a code, or a code of one instance) is its
//! points and the parts of the window where VRM *listed* it. VRM answers
//! `false` for a code without a non-zero value in the window asked, so a
//! part answered `false` says "zeros, or no data" without saying which;
//! such buckets are unknown, never guessed. The rule of an answer:
//!
//! - a series with no non-zero value in the window is empty (`false`);
//! - otherwise it holds every bucket with data that one request could ask
//!   for together with a non-zero bucket of that series in the window —
//!   exactly what VRM answers to a single request, and what a stitched
//!   answer can know. Buckets left unknown within that reach are asked
//!   for again with such a request ([`Resource::follow_up`]).
//!
//! Totals follow what a code means: energy codes (points `[t, value]`) sum
//! their buckets; codes whose points carry a mean, min and max average the
//! means (and take the min of the mins, the max of the maxes). A single
//! request that answered the whole window keeps VRM's own totals.

use std::collections::BTreeMap;

use crate::decode::{decode, decode_stream};
use crate::error::Result;
use crate::models::{Point, Series, Stats, StatsResponse, Total};
use crate::request::Request;
use crate::store::{CacheKind, Claim, Freshness, Replace, StatsKey, StoredSeries, secs};
use crate::window::Interval;

use super::{Holding, Part, Resource, StoreCtx};

/// Called after each request of a stats fetch with (done, planned).
pub(crate) type Progress<'a> = &'a mut dyn FnMut(usize, usize);

/// The most follow-up requests one call makes to resolve unknown buckets.
const MAX_FOLLOW_UPS: usize = 64;

/// A series: its code and instance (`None`: all instances together).
type SeriesId = (String, Option<u32>);

/// What is known of one series in the window.
#[derive(Debug, Default, Clone)]
struct Known {
    /// Points in order of bucket start, one per start, inside listed parts
    /// only.
    points: Vec<Point>,
    /// Where VRM listed the series, sorted and merged (unix s).
    listed: Vec<(i64, i64)>,
}

impl Known {
    /// Forget `[start, end)`: its points and listed part.
    fn clear(&mut self, (start, end): Part) {
        let (a, b) = (start.saturating_mul(1000), end.saturating_mul(1000));
        self.points
            .retain(|p| p.timestamp_ms < a || p.timestamp_ms >= b);
        let mut kept = Vec::with_capacity(self.listed.len() + 1);
        for &(s, e) in &self.listed {
            if s < start {
                kept.push((s, e.min(start)));
            }
            if e > end {
                kept.push((s.max(end), e));
            }
        }
        self.listed = kept;
    }

    /// Add `[start, end)` as listed, with `points` inside it.
    fn list(&mut self, part: Part, mut points: Vec<Point>) {
        self.clear(part);
        // A time sent twice keeps its last value, as the store does.
        points.sort_by_key(|p| p.timestamp_ms);
        let mut kept: Vec<Point> = Vec::with_capacity(points.len());
        for p in points {
            match kept.last_mut() {
                Some(last) if last.timestamp_ms == p.timestamp_ms => *last = p,
                _ => kept.push(p),
            }
        }
        let in_order = match (self.points.last(), kept.first()) {
            (Some(a), Some(b)) => a.timestamp_ms < b.timestamp_ms,
            _ => true,
        };
        self.points.extend(kept);
        if !in_order {
            self.points.sort_by_key(|p| p.timestamp_ms);
        }
        self.listed.push(part);
        self.listed.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(self.listed.len());
        for &(s, e) in &self.listed {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.listed = merged;
    }
}

/// One stats query as the engine runs it.
pub(crate) struct StatsCall<'a> {
    site: u64,
    kind: &'a str,
    codes: &'a [String],
    interval: Interval,
    window: Part,
    per_instance: bool,
    request_for: Box<dyn Fn(Part) -> Request + 'a>,
    progress: Progress<'a>,
    known: BTreeMap<SeriesId, Known>,
    /// VRM's totals, kept while one request answered the whole window.
    vrm_totals: Option<BTreeMap<String, Total>>,
    /// Whether anything but that one request went into the answer.
    stitched: bool,
    oldest: Option<i64>,
    follow_ups: usize,
    /// Resolvable unknown buckets left before the last follow-up.
    unresolved: Option<usize>,
    /// The follow-up part in flight (absorbed with [`Replace::Listed`]).
    resolving: Option<Part>,
    done: usize,
    planned: usize,
}

impl<'a> StatsCall<'a> {
    /// A query of `site` over `window` (on the hour) in buckets of
    /// `interval`: `kind` is the stats type, `codes` its attribute codes
    /// (empty for a type whose set is VRM's). `request_for` builds the
    /// request of one part.
    #[allow(clippy::too_many_arguments)] // the parts of one query, named
    pub(crate) fn new(
        site: u64,
        kind: &'a str,
        codes: &'a [String],
        interval: Interval,
        window: Part,
        per_instance: bool,
        request_for: impl Fn(Part) -> Request + 'a,
        progress: Progress<'a>,
    ) -> Self {
        StatsCall {
            site,
            kind,
            codes,
            interval,
            window,
            per_instance,
            request_for: Box::new(request_for),
            progress,
            known: BTreeMap::new(),
            vrm_totals: None,
            stitched: false,
            oldest: None,
            follow_ups: 0,
            unresolved: None,
            resolving: None,
            done: 0,
            planned: 0,
        }
    }

    fn key(&self, scope: i64) -> StatsKey<'a> {
        StatsKey {
            scope,
            site: self.site,
            kind: self.kind,
            codes: self.codes,
            interval: self.interval,
            grid: self.interval.grid(self.window.0),
            per_instance: self.per_instance,
        }
    }

    fn freshness(ctx: &StoreCtx<'_>) -> Freshness {
        Freshness {
            now: ctx.now,
            settle: secs(ctx.policy.settle_margin_of()),
            fresh: secs(ctx.policy.freshness_of(CacheKind::Stats)),
        }
    }

    fn wants(&self, code: &str) -> bool {
        self.codes.is_empty() || self.codes.iter().any(|c| c == code)
    }

    /// The series of `records` with their points inside `part`.
    fn listed_in(
        &self,
        records: BTreeMap<String, Series>,
        part: Part,
    ) -> Vec<(SeriesId, Vec<Point>)> {
        let (a, b) = (part.0.saturating_mul(1000), part.1.saturating_mul(1000));
        let inside = |mut points: Vec<Point>| -> Vec<Point> {
            points.retain(|p| p.timestamp_ms >= a && p.timestamp_ms < b);
            points
        };
        let mut out = Vec::new();
        for (code, series) in records {
            if !self.wants(&code) {
                continue;
            }
            match series {
                Series::Points(points) if !self.per_instance => {
                    out.push(((code, None), inside(points)));
                }
                Series::PerInstance(map) if self.per_instance => {
                    for (instance, points) in map {
                        out.push(((code.clone(), Some(instance)), inside(points)));
                    }
                }
                // The other shape has nothing to file under this query.
                _ => {}
            }
        }
        out.retain(|(_, points)| !points.is_empty());
        out
    }

    /// Where a request that asks for the bucket at `t` first starts: on
    /// the whole hour, as VRM asks (a 15-minute bucket may start at :45).
    fn request_start(&self, t: i64) -> i64 {
        if self.interval.is_hour_aligned() {
            (t - t.rem_euclid(3600)).max(self.window.0)
        } else {
            t
        }
    }

    /// Could one request ask for the buckets at `a` and `b` (unix s) together?
    fn reach(&self, a: i64, b: i64) -> bool {
        let (first, last) = if a <= b { (a, b) } else { (b, a) };
        self.interval.max_end(self.request_start(first)) >= self.interval.bucket_end(last)
    }

    /// The bucket starts (unix s) of a series that are not a known zero
    /// (a value VRM sent as `null` counts: VRM listed it), in order.
    fn nonzero(known: &Known) -> Vec<i64> {
        known
            .points
            .iter()
            .filter(|p| p.value != Some(0.0))
            .map(|p| p.timestamp_ms.div_euclid(1000))
            .collect()
    }

    /// Whether bucket `t` is within reach of a nonzero bucket in `nonzero`.
    fn near_nonzero(&self, nonzero: &[i64], t: i64) -> bool {
        let i = nonzero.partition_point(|&n| n < t);
        let left = i.checked_sub(1).and_then(|j| nonzero.get(j));
        let right = nonzero.get(i);
        left.is_some_and(|&n| self.reach(n, t)) || right.is_some_and(|&n| self.reach(t, n))
    }

    /// The unknown buckets within reach of a nonzero bucket, over every
    /// series: their count, and the request that resolves the first.
    fn next_resolution(&self) -> (usize, Option<Part>) {
        let (w0, w1) = self.window;
        let mut count = 0usize;
        let mut first: Option<(i64, i64)> = None; // (bucket, request start)
        for known in self.known.values() {
            let nonzero = Self::nonzero(known);
            if nonzero.is_empty() {
                continue;
            }
            let mut at = w0;
            let mut gaps = Vec::new();
            for &(s, e) in &known.listed {
                if s > at {
                    gaps.push((at, s.min(w1)));
                }
                at = at.max(e);
            }
            if at < w1 {
                gaps.push((at, w1));
            }
            for (s, e) in gaps {
                let mut t = self.interval.snap_down(w0, s);
                while t < e {
                    if t >= s && self.near_nonzero(&nonzero, t) {
                        count += 1;
                        if first.is_none_or(|(b, _)| t < b) {
                            let i = nonzero.partition_point(|&n| n < t);
                            let left = i
                                .checked_sub(1)
                                .and_then(|j| nonzero.get(j))
                                .filter(|&&n| self.reach(n, t));
                            first = Some((t, left.copied().unwrap_or(t)));
                        }
                    }
                    let next = self.interval.bucket_end(t);
                    if next <= t {
                        break;
                    }
                    t = next;
                }
            }
        }
        let part = first.map(|(_, start)| {
            let start = self.request_start(start);
            (start, self.interval.max_end(start).min(w1))
        });
        (count, part)
    }

    fn answer_totals(&self, series: BTreeMap<String, Series>) -> Stats {
        let mut totals = BTreeMap::new();
        let mut instance_totals = BTreeMap::new();
        let mut minimums = BTreeMap::new();
        let mut maximums = BTreeMap::new();
        let vrm = self.vrm_totals.as_ref().filter(|_| !self.stitched);
        for (code, s) in &series {
            let averaged = s.iter().any(|(_, p)| p.min.is_some() || p.max.is_some());
            let vrm_total = vrm.and_then(|t| t.get(code));
            match s {
                Series::Points(points) => {
                    let total = match vrm_total {
                        Some(t) if !points.is_empty() => t.value(),
                        _ => series_total(points, averaged),
                    };
                    totals.insert(code.clone(), total);
                }
                Series::PerInstance(map) => {
                    let per: BTreeMap<u32, Option<f64>> = map
                        .iter()
                        .map(|(i, points)| {
                            let total = match vrm_total {
                                Some(Total::PerInstance(t)) => t.get(i).copied().flatten(),
                                _ => series_total(points, averaged),
                            };
                            (*i, total)
                        })
                        .collect();
                    totals.insert(code.clone(), combine(per.values().copied(), averaged));
                    instance_totals.insert(code.clone(), per);
                }
            }
            if averaged {
                let points = || s.iter().map(|(_, p)| p);
                minimums.insert(
                    code.clone(),
                    fold(points().filter_map(|p| p.min.or(p.value)), f64::min),
                );
                maximums.insert(
                    code.clone(),
                    fold(points().filter_map(|p| p.max.or(p.value)), f64::max),
                );
            }
        }
        // `kwh` is the sum of the kWh set; the other sets VRM chooses
        // (live_feed, venus, …) mix units and have no such sum.
        if self.kind == "kwh" {
            let all = match vrm.and_then(|t| t.get("kwh")) {
                Some(t) if !series.is_empty() => t.value(),
                _ => sum(totals.values().copied().flatten()),
            };
            totals.insert("kwh".to_owned(), all);
        }
        Stats {
            series,
            totals,
            instance_totals,
            minimums,
            maximums,
        }
    }

    /// Keep one part's answer: in the store (a failure is logged) and in
    /// what this call knows.
    fn take_in(
        &mut self,
        ctx: Option<&StoreCtx<'_>>,
        part: Part,
        response: StatsResponse,
    ) -> Result<()> {
        let replace = if self.resolving.take() == Some(part) {
            self.stitched = true;
            Replace::Listed
        } else {
            Replace::All
        };
        if let Some(ctx) = ctx {
            let key = self.key(ctx.scope);
            if let Err(e) =
                ctx.store
                    .store_stats(&key, part, &response.records, Self::freshness(ctx), replace)
            {
                log::warn!("could not cache stats of site {}: {e}", self.site);
            }
        }
        let StatsResponse { records, totals } = response;
        let listed = self.listed_in(records, part);
        if replace == Replace::All {
            for known in self.known.values_mut() {
                known.clear(part);
            }
        }
        for (id, points) in listed {
            self.known.entry(id).or_default().list(part, points);
        }
        if part == self.window && !self.stitched {
            self.vrm_totals = Some(totals);
        } else {
            self.stitched = true;
        }
        self.done += 1;
        let planned = self.planned.max(self.done);
        (self.progress)(self.done, planned);
        Ok(())
    }
}

impl Resource for StatsCall<'_> {
    type Answer = Stats;

    fn is_cached(&self) -> bool {
        true
    }

    fn whole(&self) -> Part {
        self.window
    }

    fn split(&self, (start, end): Part) -> Vec<Part> {
        self.interval.chunks(start, end)
    }

    fn planned(&mut self, requests: usize) {
        self.planned = requests;
    }

    fn lookup(&mut self, ctx: &StoreCtx<'_>) -> Result<Holding> {
        let key = self.key(ctx.scope);
        let coverage = ctx
            .store
            .stats_coverage(&key, self.window, Self::freshness(ctx))?;
        for StoredSeries {
            code,
            instance,
            points,
            listed,
        } in ctx.store.read_stats(&key, self.window)?
        {
            let known = self.known.entry((code, instance)).or_default();
            known.listed = listed;
            known.points = points;
        }
        self.stitched = !self.known.is_empty() || coverage.missing != [self.window];
        self.oldest = coverage.oldest;
        Ok(Holding {
            missing: coverage.missing,
            absent: coverage.absent,
        })
    }

    fn request(&self, part: Part) -> Request {
        (self.request_for)(part)
    }

    fn streams(&self) -> bool {
        true
    }

    fn absorb_stream(
        &mut self,
        ctx: Option<&StoreCtx<'_>>,
        part: Part,
        reader: &mut dyn std::io::Read,
    ) -> Result<()> {
        // Decoded as it arrives: the points, never a copy of the body too.
        let response = decode_stream::<StatsResponse>(&self.request(part), reader)?;
        self.take_in(ctx, part, response)
    }

    fn absorb(&mut self, ctx: Option<&StoreCtx<'_>>, part: Part, body: Vec<u8>) -> Result<()> {
        let response = decode::<StatsResponse>(&self.request(part), &body)?;
        drop(body);
        self.take_in(ctx, part, response)
    }

    fn claim(&self, ctx: &StoreCtx<'_>, part: Part) -> Result<Claim> {
        ctx.store
            .claim_stats(&self.key(ctx.scope), part, Self::freshness(ctx))
    }

    fn release(&self, ctx: &StoreCtx<'_>, part: Part) {
        if let Err(e) = ctx.store.release_stats(&self.key(ctx.scope), part) {
            log::warn!("could not release a stats claim of site {}: {e}", self.site);
        }
    }

    fn narrow(&self, ctx: &StoreCtx<'_>, part: Part) -> Result<Vec<Part>> {
        let coverage =
            ctx.store
                .stats_coverage(&self.key(ctx.scope), part, Self::freshness(ctx))?;
        Ok(coverage
            .missing
            .into_iter()
            .flat_map(|p| self.split(p))
            .collect())
    }

    fn take_stored(&mut self, ctx: &StoreCtx<'_>, part: Part) -> Result<()> {
        // Another worker fetched it: what it stored is the answer's part,
        // as if this call had received it.
        let key = self.key(ctx.scope);
        let stored = ctx.store.read_stats(&key, part)?;
        for known in self.known.values_mut() {
            known.clear(part);
        }
        for series in stored {
            let known = self
                .known
                .entry((series.code, series.instance))
                .or_default();
            for listed in series.listed {
                let (a, b) = (listed.0.saturating_mul(1000), listed.1.saturating_mul(1000));
                let inside = series
                    .points
                    .iter()
                    .filter(|p| p.timestamp_ms >= a && p.timestamp_ms < b)
                    .cloned()
                    .collect();
                known.list(listed, inside);
            }
        }
        self.stitched = true;
        self.done += 1;
        let planned = self.planned.max(self.done);
        (self.progress)(self.done, planned);
        Ok(())
    }

    fn follow_up(&mut self) -> Option<Part> {
        if self.follow_ups >= MAX_FOLLOW_UPS {
            return None;
        }
        let (count, part) = self.next_resolution();
        if count == 0 || self.unresolved.is_some_and(|before| count >= before) {
            return None;
        }
        self.unresolved = Some(count);
        self.follow_ups += 1;
        self.planned += 1;
        self.resolving = part;
        part
    }

    fn describe(&self, absent: &[Part]) -> String {
        let codes = if self.codes.is_empty() {
            String::new()
        } else {
            format!(" {}", self.codes.join(","))
        };
        let more = match absent.len() {
            0 | 1 => String::new(),
            n => format!(" and {} more parts", n - 1),
        };
        let (start, end) = absent.first().copied().unwrap_or(self.window);
        format!(
            "stats of site {} ({} {}{codes}) from {} to {}{more}",
            self.site,
            self.kind,
            self.interval,
            rfc3339(start),
            rfc3339(end)
        )
    }

    fn answer(mut self) -> Result<(Stats, Option<i64>)> {
        let (w0, w1) = (
            self.window.0.saturating_mul(1000),
            self.window.1.saturating_mul(1000),
        );
        let mut series: BTreeMap<String, Series> = BTreeMap::new();
        for code in self.codes {
            let empty = if self.per_instance {
                Series::PerInstance(BTreeMap::new())
            } else {
                Series::Points(Vec::new())
            };
            series.insert(code.clone(), empty);
        }
        // The points move from what is known into the answer: no copy.
        for ((code, instance), mut known) in std::mem::take(&mut self.known) {
            let nonzero = Self::nonzero(&known);
            if nonzero.is_empty() {
                continue;
            }
            known.points.retain(|p| {
                (w0..w1).contains(&p.timestamp_ms)
                    && self.near_nonzero(&nonzero, p.timestamp_ms.div_euclid(1000))
            });
            let points = known.points;
            match instance {
                None => {
                    series.insert(code, Series::Points(points));
                }
                Some(i) => {
                    let entry = series
                        .entry(code)
                        .or_insert_with(|| Series::PerInstance(BTreeMap::new()));
                    if let Series::PerInstance(map) = entry {
                        map.insert(i, points);
                    }
                }
            }
        }
        let stats = self.answer_totals(series);
        Ok((stats, self.oldest))
    }
}

/// A series' total: the sum of its values, or (`averaged`) their mean.
fn series_total(points: &[Point], averaged: bool) -> Option<f64> {
    let values = points.iter().filter_map(|p| p.value);
    if averaged { mean(values) } else { sum(values) }
}

/// The total over instances of their totals: summed, or averaged.
fn combine(totals: impl Iterator<Item = Option<f64>>, averaged: bool) -> Option<f64> {
    let values = totals.flatten();
    if averaged { mean(values) } else { sum(values) }
}

fn sum(values: impl Iterator<Item = f64>) -> Option<f64> {
    values.fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (total, n) = values.fold((0.0, 0u32), |(t, n), v| (t + v, n + 1));
    (n > 0).then(|| total / f64::from(n))
}

fn fold(values: impl Iterator<Item = f64>, pick: fn(f64, f64) -> f64) -> Option<f64> {
    values.reduce(pick)
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
