//! The SQLite cache: storing a fetched chunk, and answering a stats query
//! from it, each beside bare rusqlite doing the same rows.
//!
//! Targets (issue 5): write ≥ 300,000 points/s, one chunk per transaction;
//! a 31-day hourly 6-code hit ≤ 1.5× the bare `SELECT` and ≤ 2 ms.
//!
//! `cargo bench --bench cache`

mod common;

use std::cell::Cell;

use common::{CODES, MONTH, TempDir};
use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use vrm::bench_support;
use vrm::wire::StatsResponse;
use vrm::{SiteId, Source};

const POINTS: usize = 31 * 24 * CODES.len();

fn main() {
    divan::main();
}

fn month_records() -> StatsResponse {
    let response: StatsResponse =
        serde_json::from_slice(&common::stats_month_hourly()).expect("month parses");
    assert_eq!(
        response.records.values().map(|s| s.len()).sum::<usize>(),
        POINTS
    );
    response
}

/// A time well after [`MONTH`]: every stored bucket is final.
fn now() -> i64 {
    MONTH.1 + 90 * common::DAY
}

/// Storing one fetched chunk (4,464 points) in one transaction.
mod write {
    use super::*;

    /// The chunk stored again over itself: the cached points of the window
    /// are replaced (the refresh case).
    #[divan::bench]
    fn store_chunk_replacing(bencher: Bencher<'_, '_>) {
        let dir = TempDir::new("write-replace");
        let cache = dir.cache("cache.sqlite");
        let scope = bench_support::scope(&cache).unwrap();
        let query = common::month_query();
        let records = month_records().records;
        let store = || {
            bench_support::store_stats(&cache, scope, SiteId(7), &query, MONTH, &records, now())
                .expect("stored");
        };
        store();
        bencher.counter(ItemsCount::new(POINTS)).bench_local(store);
    }

    /// The chunk stored for a site the cache has never seen (the first
    /// fetch case: new series, nothing to replace).
    #[divan::bench(sample_count = 40)]
    fn store_chunk_new_site(bencher: Bencher<'_, '_>) {
        let dir = TempDir::new("write-new");
        let cache = dir.cache("cache.sqlite");
        let scope = bench_support::scope(&cache).unwrap();
        let query = common::month_query();
        let records = month_records().records;
        let site = Cell::new(1000u64);
        bencher
            .counter(ItemsCount::new(POINTS))
            .with_inputs(|| {
                site.set(site.get() + 1);
                SiteId(site.get())
            })
            .bench_local_values(|site| {
                bench_support::store_stats(&cache, scope, site, &query, MONTH, &records, now())
                    .expect("stored");
            });
    }

    /// Baseline: the same rows written with one prepared `INSERT OR
    /// REPLACE` in one transaction, nothing else.
    #[divan::bench]
    fn bare_insert(bencher: Bencher<'_, '_>) {
        let dir = TempDir::new("write-bare");
        let cache = dir.cache("cache.sqlite");
        let scope = bench_support::scope(&cache).unwrap();
        let query = common::month_query();
        let records = month_records().records;
        bench_support::store_stats(&cache, scope, SiteId(7), &query, MONTH, &records, now())
            .expect("stored");
        let conn = rusqlite::Connection::open(cache.path().expect("a file")).expect("open");
        let series: Vec<(i64, Vec<vrm::models::Point>)> = {
            records
                .iter()
                .map(|(code, s)| {
                    let id: i64 = conn
                        .query_row(
                            "SELECT id FROM stats_series WHERE site = 7 AND code = ?1",
                            [code],
                            |r| r.get(0),
                        )
                        .expect("series");
                    (id, s.points().to_vec())
                })
                .collect()
        };
        bencher.counter(ItemsCount::new(POINTS)).bench_local(|| {
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            let mut insert = conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO stats_points (series, t, span_end, value, min, max)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .unwrap();
            for (id, points) in &series {
                for p in points {
                    insert
                        .execute(rusqlite::params![
                            id,
                            p.timestamp_ms,
                            p.timestamp_ms / 1000 + 3600,
                            p.value,
                            p.min,
                            p.max
                        ])
                        .unwrap();
                }
            }
            conn.execute_batch("COMMIT").unwrap();
        });
    }
}

/// A 31-day hourly 6-code stats query answered from the cache file.
mod hit {
    use super::*;

    /// The public path: `client.site(id).stats(&query)` with the window
    /// already cached (coverage check, points, totals), zero requests.
    #[divan::bench]
    fn site_stats(bencher: Bencher<'_, '_>) {
        let dir = TempDir::new("hit");
        let cache = dir.cache("cache.sqlite");
        let (server, _mocks) = common::mock_vrm(common::stats_month_hourly());
        let client = common::client(&server, Some(&cache));
        let query = common::month_query();
        let site = client.site(SiteId(7));
        let first = site.stats(&query).expect("first fetch");
        assert_eq!(first.source(), Source::Network);
        let again = site.stats(&query).expect("hit");
        assert_eq!((again.source(), again.requests()), (Source::Cache, 0));
        assert_eq!(again.point_count(), POINTS);
        assert_eq!(again.value(), first.value());
        bencher
            .counter(ItemsCount::new(POINTS))
            .bench_local(|| site.stats(black_box(&query)).expect("hit"));
        assert_eq!(
            client.counters().requests,
            2,
            "users/me and one stats fetch"
        );
    }

    /// Baseline: one bare `SELECT` of the same rows through rusqlite (the
    /// series' unique index, then the points' primary key: no sort), on
    /// a connection of its own to the cache file, into a `Vec` of (t, value, min, max).
    #[divan::bench]
    fn bare_select(bencher: Bencher<'_, '_>) {
        let dir = TempDir::new("hit-bare");
        let cache = dir.cache("cache.sqlite");
        let (server, _mocks) = common::mock_vrm(common::stats_month_hourly());
        let client = common::client(&server, Some(&cache));
        client
            .site(SiteId(7))
            .stats(&common::month_query())
            .expect("first fetch");
        // The scope the client's account got (the only one in this file).
        // A connection of its own to the same file (WAL: the same data).
        let conn = rusqlite::Connection::open(cache.path().expect("a file")).expect("open");
        let scope: i64 = conn
            .query_row("SELECT id FROM scopes", [], |r| r.get(0))
            .unwrap();
        let select = || {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT p.t, p.value, p.min, p.max
                         FROM stats_series s JOIN stats_points p ON p.series = s.id
                         WHERE s.scope = ?1 AND s.site = ?2 AND s.type = 'custom'
                           AND s.interval = 'hours' AND s.grid = '' AND s.instance = -1
                           AND p.t >= ?3 AND p.t < ?4",
                )
                .unwrap();
            stmt.query_map(
                rusqlite::params![scope, 7, MONTH.0 * 1000, MONTH.1 * 1000],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Option<f64>>(1)?,
                        r.get::<_, Option<f64>>(2)?,
                        r.get::<_, Option<f64>>(3)?,
                    ))
                },
            )
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap()
        };
        assert_eq!(select().len(), POINTS);
        bencher.counter(ItemsCount::new(POINTS)).bench_local(select);
    }
}
