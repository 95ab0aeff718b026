//! How big the cache file gets when a 1,000-attribute site is polled for
//! diagnostics every minute and 5% of the values change each minute: the
//! history keeps a row per change, for the retention limit (30 days).
//!
//! ```sh
//! cargo run --release --example diagnostics_growth            # a year
//! cargo run --release --example diagnostics_growth -- 45      # 45 days
//! ```
//!
//! It feeds the snapshots straight to the cache (no HTTP, no JSON), as
//! `Site::diagnostics` does with each answer, and prints the file size
//! every 15 simulated days.

use std::time::Instant;

use serde_json::{Value, json};
use vrm::models::DiagnosticRecord;
use vrm::{Cache, CachePolicy, SiteId};

const ATTRIBUTES: u64 = 1_000;
const CHANGED_PER_MINUTE: u64 = 50;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let days: i64 = std::env::args()
        .nth(1)
        .map(|d| d.parse())
        .transpose()?
        .unwrap_or(365);
    let dir = std::env::temp_dir().join(format!("vrm-diag-growth-{}", std::process::id()));
    let path = dir.join("cache.sqlite");
    let cache = Cache::open(&path)?;
    let scope = vrm::bench_support::scope(&cache)?;
    let retention = CachePolicy::default().diagnostics_retention_of();
    let mut records: Vec<DiagnosticRecord> = (0..ATTRIBUTES)
        .map(|a| {
            serde_json::from_value(json!({
                "idSite": 1,
                "instance": (a % 4),
                "idDataAttribute": a,
                "code": format!("c{a}"),
                "description": "a value",
                "rawValue": 100.0 + a as f64,
            }))
        })
        .collect::<Result<_, _>>()?;
    let start = 1_767_225_600; // 2026-01-01
    let began = Instant::now();
    let minutes = days * 24 * 60;
    // A cheap, fixed pseudo-random walk over which values change.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for minute in 0..minutes {
        let now = start + minute * 60;
        for _ in 0..CHANGED_PER_MINUTE {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let a = usize::try_from(seed % ATTRIBUTES)?;
            let step = (seed >> 32) % 100;
            records[a].raw_value = Some(Value::from(100.0 + step as f64 / 10.0));
        }
        for r in &mut records {
            r.timestamp = Some(now);
        }
        vrm::bench_support::record_diagnostics(&cache, scope, SiteId(1), &records, now, retention)?;
        if (minute + 1) % (15 * 24 * 60) == 0 || minute + 1 == minutes {
            let info = cache.info()?;
            let rows: u64 = info
                .sites
                .iter()
                .flat_map(|s| &s.kinds)
                .map(|k| k.rows)
                .sum();
            println!(
                "day {:>3}: {:>6.1} MB, {rows} history rows ({:.0} s)",
                (minute + 1) / (24 * 60),
                info.size_bytes as f64 / 1e6,
                began.elapsed().as_secs_f64()
            );
        }
    }
    drop(cache);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
