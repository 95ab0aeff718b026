//! End to end against a local mock VRM: the first fetch of a 31-day hourly
//! 6-code window (request, decode, store, read back) against the same
//! query repeated, answered from the cache. The ratio is printed after
//! divan's table.
//!
//! `cargo bench --bench end_to_end`

mod common;

use std::cell::Cell;

use common::{CODES, TempDir};
use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use vrm::{SiteId, Source};

const POINTS: usize = 31 * 24 * CODES.len();

fn main() {
    divan::main();
    if common::is_bench_run() {
        print_ratio();
    }
}

/// The first fetch of the window for a site (cold for its stats; the
/// account is known), through a cache file.
#[divan::bench(sample_count = 40)]
fn first_fetch(bencher: Bencher<'_, '_>) {
    let dir = TempDir::new("e2e-first");
    let cache = dir.cache("cache.sqlite");
    let (server, _mocks) = common::mock_vrm(common::stats_month_hourly());
    let client = common::client(&server, Some(&cache));
    let query = common::month_query();
    let site = Cell::new(0u64);
    bencher
        .counter(ItemsCount::new(POINTS))
        .with_inputs(|| {
            site.set(site.get() + 1);
            SiteId(site.get())
        })
        .bench_local_values(|id| {
            let fetched = client.site(id).stats(&query).expect("first fetch");
            debug_assert_eq!(fetched.source(), Source::Network);
            fetched
        });
}

/// The same query again: served by the cache, zero requests.
#[divan::bench]
fn cached(bencher: Bencher<'_, '_>) {
    let dir = TempDir::new("e2e-cached");
    let cache = dir.cache("cache.sqlite");
    let (server, _mocks) = common::mock_vrm(common::stats_month_hourly());
    let client = common::client(&server, Some(&cache));
    let query = common::month_query();
    let site = client.site(SiteId(7));
    site.stats(&query).expect("first fetch");
    bencher.counter(ItemsCount::new(POINTS)).bench_local(|| {
        let fetched = site.stats(black_box(&query)).expect("hit");
        debug_assert_eq!(fetched.requests(), 0);
        fetched
    });
}

/// Reference: the same request without a cache (request and decode only).
#[divan::bench(sample_count = 40)]
fn network_no_cache(bencher: Bencher<'_, '_>) {
    let (server, _mocks) = common::mock_vrm(common::stats_month_hourly());
    let client = common::client(&server, None);
    let query = common::month_query();
    let site = client.site(SiteId(7));
    bencher
        .counter(ItemsCount::new(POINTS))
        .bench_local(|| site.stats(black_box(&query)).expect("fetch"));
}

/// Median of each path, measured the same way, and their ratio.
fn print_ratio() {
    let dir = TempDir::new("e2e-ratio");
    let cache = dir.cache("cache.sqlite");
    let (server, _mocks) = common::mock_vrm(common::stats_month_hourly());
    let client = common::client(&server, Some(&cache));
    let query = common::month_query();
    let next = Cell::new(0u64);
    let first = common::median(31, || {
        next.set(next.get() + 1);
        let fetched = client
            .site(SiteId(next.get()))
            .stats(&query)
            .expect("first");
        assert_eq!(fetched.source(), Source::Network);
    });
    let site = client.site(SiteId(1));
    let cached = common::median(201, || {
        let fetched = site.stats(&query).expect("hit");
        assert_eq!(fetched.source(), Source::Cache);
    });
    println!(
        "\nend to end, median: first fetch {first:.2?}, cached {cached:.2?}: \
         the cached query is {:.1}x faster",
        first.as_secs_f64() / cached.as_secs_f64()
    );
}
