//! Long windows and fleets against a VRM-like server with latency
//! (`tests/common/slow.rs`), each figure printed against its target:
//!
//! - a year and three years of hourly stats at 150 ms of latency, one
//!   request at a time and with chunks in parallel;
//! - a fleet of sites × a year of hours against a server that enforces
//!   VRM's limit (200 requests, one freed every 0.33 s, past it 429): the
//!   time against the floor the limit sets (the requests past the first
//!   200, at one every 0.33 s), and the 429s (target: 0).
//!
//! `cargo bench --bench fleet` (about 3 minutes; FLEET_SITES=10 for a
//! shorter fleet run).

#[path = "../tests/common/slow.rs"]
mod slow;

use std::time::{Duration, Instant};

use slow::{Limit, SlowVrm};
use vrm::{Cache, Client, Interval, StatsQuery, TimeWindow};

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
/// 2025-01-01 00:00 UTC: old enough that every bucket is final.
const START: i64 = 1_735_689_600;
const LATENCY: Duration = Duration::from_millis(150);

fn client(server: &SlowVrm, parallel: usize, limited: bool, cache: Option<&Cache>) -> Client {
    let mut builder = Client::builder()
        .base_url(&server.url)
        .personal_token("bench-token")
        .parallel_requests(parallel);
    if !limited {
        builder = builder.rate_limit(None);
    }
    if let Some(cache) = cache {
        builder = builder.cache(cache.clone());
    }
    builder.build().expect("client")
}

fn year_query(years: i64) -> StatsQuery {
    let window = TimeWindow::from_unix(START - years * 365 * DAY, START).expect("window");
    StatsQuery::kwh(window, Interval::Hours)
}

/// The median of three fetches of `years` of hours, each into a new cache.
fn long_window(server: &SlowVrm, years: i64, parallel: usize) -> Duration {
    let mut times: Vec<Duration> = (0..3)
        .map(|run| {
            let dir = std::env::temp_dir().join(format!(
                "vrm-bench-fleet-{}-{years}-{parallel}-{run}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("temp dir");
            let cache = Cache::open(dir.join("c.db")).expect("cache");
            let client = client(server, parallel, true, Some(&cache));
            let at = Instant::now();
            let stats = client
                .site(vrm::SiteId(1))
                .stats(&year_query(years))
                .expect("stats");
            let took = at.elapsed();
            assert_eq!(stats.point_count(), (years * 365 * 24 * 3) as usize);
            drop(client);
            drop(cache);
            let _ = std::fs::remove_dir_all(&dir);
            took
        })
        .collect();
    times.sort_unstable();
    times[1]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        // `cargo test --benches`: nothing to measure.
        return;
    }
    println!(
        "long windows, {} ms of latency, into a new cache (median of 3):",
        LATENCY.as_millis()
    );
    let server = SlowVrm::start(LATENCY, None, slow::fleet(1));
    for years in [1, 3] {
        let target = if years == 1 { 0.5 } else { 1.0 };
        for parallel in [1, 6, 12, 18] {
            let took = long_window(&server, years, parallel);
            println!(
                "  {years} year(s) of hours, {:>2} in flight: {:>6.3} s (target {target} s{})",
                parallel,
                took.as_secs_f64(),
                if parallel == 1 {
                    ", one at a time: for comparison"
                } else {
                    ""
                }
            );
        }
    }
    drop(server);

    let sites: u64 = std::env::var("FLEET_SITES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let server = SlowVrm::start(
        LATENCY,
        Some(Limit {
            capacity: 200.0,
            refill: Duration::from_millis(330),
        }),
        slow::fleet(sites),
    );
    let dir = std::env::temp_dir().join(format!("vrm-bench-fleet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cache = Cache::open(dir.join("fleet.db")).expect("cache");
    let client = client(&server, vrm::DEFAULT_PARALLEL_REQUESTS, true, Some(&cache));
    let at = Instant::now();
    let report = client
        .sync_fleet(&year_query(1), &mut |_| {})
        .expect("fleet");
    let took = at.elapsed().as_secs_f64();
    let requests = server.requests();
    let floor = requests.saturating_sub(200) as f64 * 0.33;
    println!(
        "fleet: {sites} sites × a year of hours, VRM's limit enforced: {requests} requests in {took:.1} s; \
         floor {floor:.1} s; {:.3}× the floor (target 1.1×); {} answered 429 (target 0); {} sites failed",
        if floor > 0.0 { took / floor } else { f64::NAN },
        server.limited(),
        report.failures().count()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
