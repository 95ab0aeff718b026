//! The two stores side by side, and a fleet of worker processes on one
//! PostgreSQL database:
//!
//! - cache write: one fetched chunk (31 days × 24 hours × 6 codes, 4,464
//!   points) stored in one transaction, SQLite file against PostgreSQL;
//! - cache hit: the same 31-day query answered from each store;
//! - fleet: 4 `vrm sync --all` processes syncing 20 sites × a year of
//!   hours into one database, against a VRM-like server with 150 ms of
//!   latency that enforces VRM's limit (200 requests, one freed every
//!   0.33 s; past it, 429): requests at the mock against chunks (target:
//!   equal), answers of 429 (target: 0), and the time against the floor
//!   the limit sets.
//!
//! Needs a server: `VRM_BENCH_POSTGRES_URL` (or `VRM_TEST_POSTGRES_URL`),
//! e.g. `postgres://postgres@127.0.0.1:55432/postgres`; each run works in
//! a new schema of its own.
//!
//! `cargo bench --bench store --features postgres` (about a minute;
//! FLEET_SITES and FLEET_WORKERS change the fleet).

mod common;

#[path = "../tests/common/slow.rs"]
mod slow;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{MONTH, TempDir, median};
use slow::{Limit, SlowVrm};
use vrm::wire::StatsResponse;
use vrm::{Cache, SiteId, Source, bench_support};

const POINTS: usize = 31 * 24 * common::CODES.len();
const DAY: i64 = 86_400;

fn url() -> Option<String> {
    ["VRM_BENCH_POSTGRES_URL", "VRM_TEST_POSTGRES_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
}

/// A new schema on the server, and the URL that keeps the cache in it.
fn new_schema(base: &str, tag: &str) -> String {
    let schema = format!("bench_{tag}_{}", std::process::id());
    let mut admin = postgres::Client::connect(base, postgres::NoTls).expect("bench server");
    admin
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .expect("schema");
    let glue = if base.contains('?') { '&' } else { '?' };
    format!("{base}{glue}options=-csearch_path%3D{schema}")
}

/// The median time to store one chunk: over itself (`replacing`: the
/// refresh case, the same values again) or for a new site each time (the
/// first fetch: every point new).
fn write(cache: &Cache, replacing: bool) -> Duration {
    let scope = bench_support::scope(cache).expect("scope");
    let query = common::month_query();
    let records: StatsResponse =
        serde_json::from_slice(&common::stats_month_hourly()).expect("month parses");
    let records = records.records;
    let now = MONTH.1 + 90 * DAY;
    let mut site = 7;
    let mut store = || {
        if !replacing {
            site += 1;
        }
        bench_support::store_stats(cache, scope, SiteId(site), &query, MONTH, &records, now)
            .expect("stored");
    };
    store();
    median(15, store)
}

fn hit(cache: &Cache) -> Duration {
    let (server, _mocks) = common::mock_vrm(common::stats_month_hourly());
    let client = common::client(&server, Some(cache));
    let query = common::month_query();
    let site = client.site(SiteId(7));
    site.stats(&query).expect("first fetch");
    let again = site.stats(&query).expect("hit");
    assert_eq!((again.source(), again.requests()), (Source::Cache, 0));
    assert_eq!(again.point_count(), POINTS);
    median(25, || {
        site.stats(&query).expect("hit");
    })
}

fn fleet(base: &str) {
    let sites: u64 = env_or("FLEET_SITES", 20);
    let workers: usize = env_or("FLEET_WORKERS", 4);
    let server = SlowVrm::start(
        Duration::from_millis(150),
        Some(Limit {
            capacity: 200.0,
            refill: Duration::from_millis(330),
        }),
        slow::fleet(sites),
    );
    let url = new_schema(base, "fleet");
    // Migrated once before the workers start (they would race for it
    // fairly, but the bench measures syncing, not migrating).
    drop(Cache::open_url(&url).expect("fleet cache"));
    let at = Instant::now();
    let children: Vec<_> = (0..workers)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_vrm"))
                .args(["--base-url", &server.url, "--cache", &url])
                .args([
                    "sync",
                    "--all",
                    "--from",
                    "2024-01-01",
                    "--to",
                    "2025-01-01",
                ])
                .args(["--format", "json"])
                .env("VRM_TOKEN", "fleet-bench-token")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("vrm sync")
        })
        .collect();
    let mut failed = 0;
    for child in children {
        let out = child.wait_with_output().expect("worker");
        if !out.status.success() {
            failed += 1;
            eprintln!("worker failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let took = at.elapsed().as_secs_f64();
    let chunks = sites as usize * 12; // a year of hours: 12 chunks of ≤ 31 days
    let stats = server
        .paths()
        .iter()
        .filter(|p| p.contains("/stats?"))
        .count();
    let requests = server.requests();
    let floor = requests.saturating_sub(200) as f64 * 0.33;
    println!(
        "fleet: {workers} worker processes, {sites} sites × a year of hours, one database, \
         VRM's limit enforced: {stats} stats requests for {chunks} chunks (target equal), \
         {requests} requests in all; {} answered 429 (target 0); {took:.1} s, floor {floor:.1} s: \
         {:.2}× the floor; {failed} workers failed",
        server.limited(),
        if floor > 0.0 { took / floor } else { f64::NAN },
    );
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if !common::is_bench_run() {
        // `cargo test --benches`: nothing to measure.
        return;
    }
    let Some(base) = url() else {
        println!("store bench: skipped: set VRM_BENCH_POSTGRES_URL to a PostgreSQL server");
        return;
    };
    let dir = TempDir::new("store");
    let sqlite = dir.cache("cache.sqlite");
    let pg_write = Cache::open_url(&new_schema(&base, "write")).expect("pg cache");
    let pg_hit = Cache::open_url(&new_schema(&base, "hit")).expect("pg cache");
    let rate = |d: Duration| POINTS as f64 / d.as_secs_f64();
    for (what, replacing) in [("a new site", false), ("replacing itself", true)] {
        let (sw, pw) = (write(&sqlite, replacing), write(&pg_write, replacing));
        println!(
            "cache write, one 31-day chunk ({POINTS} points, {what}): SQLite {:.2} ms \
             ({:.0} points/s); PostgreSQL {:.2} ms ({:.0} points/s): {:.1}× SQLite's time",
            sw.as_secs_f64() * 1e3,
            rate(sw),
            pw.as_secs_f64() * 1e3,
            rate(pw),
            pw.as_secs_f64() / sw.as_secs_f64()
        );
    }
    let sqlite_hit = dir.cache("hit.sqlite");
    let (sh, ph) = (hit(&sqlite_hit), hit(&pg_hit));
    println!(
        "cache hit, 31 days × 24 h × 6 codes: SQLite {:.2} ms; PostgreSQL {:.2} ms: {:.1}× SQLite's time",
        sh.as_secs_f64() * 1e3,
        ph.as_secs_f64() * 1e3,
        ph.as_secs_f64() / sh.as_secs_f64()
    );
    fleet(&base);
}
