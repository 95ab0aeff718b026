//! Bench data, generated here (no data files): VRM-like stats and
//! diagnostics bodies of the sizes issue 5 names.
#![allow(dead_code)]

use std::fmt::Write as _;

pub const HOUR: i64 = 3600;
pub const DAY: i64 = 24 * HOUR;

/// The six codes of the stats bodies: PV, battery, grid, consumption
/// power; battery state of charge and voltage.
pub const CODES: [&str; 6] = ["Pdc", "Pb", "Pc", "Gc", "bs", "bv"];

/// Midnight UTC, 2026-01-01.
pub const YEAR_2026: i64 = 1_767_225_600;

/// A 31-day hourly window starting at midnight UTC, old enough (months
/// before any run of these benches) for every bucket to be final.
pub const MONTH: (i64, i64) = (YEAR_2026, YEAR_2026 + 31 * DAY);

/// A small deterministic generator (xorshift64*), so every run parses the
/// same bytes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A float in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }
}

/// A custom stats body as VRM sends it: for each code, one
/// `[ms, mean, min, max]` point per bucket of `step` seconds in
/// `[start, end)`, values with PHP's 15-17 significant digits.
pub fn stats_body(codes: &[&str], (start, end): (i64, i64), step: i64) -> Vec<u8> {
    let mut rng = Rng::new(0x5EED ^ start as u64 ^ step as u64);
    let mut out = String::from(r#"{"success":true,"records":{"#);
    let mut totals = String::new();
    for (i, code) in codes.iter().enumerate() {
        if i > 0 {
            out.push(',');
            totals.push(',');
        }
        let (lo, hi) = match *code {
            "bs" => (5.0, 100.0),
            "bv" => (47.0, 57.5),
            _ => (-3000.0, 5000.0),
        };
        write!(out, r#""{code}":["#).unwrap();
        let mut sum = 0.0;
        let mut t = start;
        while t < end {
            if t > start {
                out.push(',');
            }
            let mean = rng.range(lo, hi);
            let min = mean - rng.range(0.0, (hi - lo) / 10.0);
            let max = mean + rng.range(0.0, (hi - lo) / 10.0);
            sum += mean;
            write!(out, "[{},{mean},{min},{max}]", t * 1000).unwrap();
            t += step;
        }
        out.push(']');
        write!(totals, r#""{code}":{sum}"#).unwrap();
    }
    write!(out, r#"}},"totals":{{{totals}}}}}"#).unwrap();
    out.into_bytes()
}

/// 31 days × 24 hours × 6 codes = 4,464 points (one request's worth).
pub fn stats_month_hourly() -> Vec<u8> {
    stats_body(&CODES, MONTH, HOUR)
}

/// 5 years × days × 6 codes = 10,956 points.
pub fn stats_five_years_daily() -> Vec<u8> {
    stats_body(&CODES, (YEAR_2026 - 5 * 365 * DAY, YEAR_2026 + DAY), DAY)
}

/// The number of points of a stats body of `codes` over `window`.
pub fn point_count(codes: usize, (start, end): (i64, i64), step: i64) -> usize {
    codes * usize::try_from((end - start) / step).unwrap()
}

/// What a diagnostics record may describe, one attribute a line: device,
/// service type, D-Bus path, code, description, format, value range.
const ATTRIBUTES: &str = "\
Battery Monitor|battery|/Dc/0/Voltage|bv|Voltage|%.2F V|47|57.5
Battery Monitor|battery|/Dc/0/Current|bc|Current|%.1F A|-150|150
Battery Monitor|battery|/Soc|bs|State of charge|%.1F %|5|100
Solar Charger|solarcharger|/Pv/V|PVV|PV voltage|%.2F V|0|150
Solar Charger|solarcharger|/Yield/Power|PVP|PV power|%.0F W|0|4000
VE.Bus System|vebus|/Ac/ActiveIn/L1/P|IP1|Input power 1|%.0F W|-5000|5000
VE.Bus System|vebus|/Ac/Out/L1/V|OV1|Output voltage phase 1|%.2F V|220|240
Grid meter|grid|/Ac/L1/Power|a1|Grid L1 - Power|%.0F W|-5000|5000
Tank sensor|tank|/Level|tl|Tank level|%.0F %|0|100
Gateway|system|/Dc/System/Power|dc|DC system|%.0F W|0|2000";

/// A diagnostics body of `n` records with the fields VRM sends; `rawValue`
/// is a float, an integer or a numeric string, as on the live service.
pub fn diagnostics_body(n: usize) -> Vec<u8> {
    let mut rng = Rng::new(0xD1A6);
    let attributes: Vec<Vec<&str>> = ATTRIBUTES
        .lines()
        .map(|line| line.split('|').collect())
        .collect();
    let mut out = String::from(r#"{"success":true,"records":["#);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let a = &attributes[i % attributes.len()];
        let (device, service, path, code, description, format) =
            (a[0], a[1], a[2], a[3], a[4], a[5]);
        let (lo, hi): (f64, f64) = (a[6].parse().unwrap(), a[7].parse().unwrap());
        let instance = 256 + (i / attributes.len()) % 40;
        let value = rng.range(lo, hi);
        let shown = format!("{value:.2}");
        let unit = format.rsplit(' ').next().unwrap_or("");
        let raw = match i % 3 {
            0 => format!("{value}"),
            1 => format!("\"{shown}\""),
            _ => format!("{}", value.round()),
        };
        write!(
            out,
            r#"{{"idSite":151734,"timestamp":{},"Device":"{device}","instance":{instance},"idDataAttribute":{},"description":"{description}","formatWithUnit":"{format}","dbusServiceType":"{service}","dbusPath":"{path}","code":"{code}","bitmask":0,"formattedValue":"{shown} {unit}","rawValue":{raw},"id":{}}}"#,
            1_795_607_940 - (i as i64 % 600),
            1 + i % 400,
            1_000_000 + i,
        )
        .unwrap();
    }
    write!(out, r#"],"num_records":{n}}}"#).unwrap();
    out.into_bytes()
}

/// A folder under the system's temp dir, removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("vrm-bench-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }

    /// A fresh cache file in the folder.
    pub fn cache(&self, name: &str) -> vrm::Cache {
        vrm::Cache::open(self.0.join(name)).expect("cache opens")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The personal token of the bench clients.
pub const TOKEN: &str = "bench-personal-token";

/// A mock VRM on loopback: `users/me` answers account 22, and every stats
/// request gets `body` (generated once, so the server's work is a copy).
pub fn mock_vrm(body: Vec<u8>) -> (mockito::ServerGuard, Vec<mockito::Mock>) {
    let mut server = mockito::Server::new();
    let me = server
        .mock("GET", "/users/me")
        .with_body(r#"{"success":true,"user":{"id":22,"name":"Bench","email":"b@example.com"}}"#)
        .create();
    let stats = server
        .mock(
            "GET",
            mockito::Matcher::Regex(r"^/installations/\d+/stats\?".into()),
        )
        .with_body(body)
        .create();
    (server, vec![me, stats])
}

/// A client of `server` (no client-side rate limit: the mock is local),
/// with `cache` when given.
pub fn client(server: &mockito::ServerGuard, cache: Option<&vrm::Cache>) -> vrm::Client {
    let mut builder = vrm::Client::builder()
        .base_url(server.url())
        .personal_token(TOKEN)
        .rate_limit(None);
    if let Some(cache) = cache {
        builder = builder.cache(cache.clone());
    }
    builder.build().expect("client builds")
}

/// The 31-day hourly query of the six [`CODES`].
pub fn month_query() -> vrm::StatsQuery {
    let window = vrm::TimeWindow::from_unix(MONTH.0, MONTH.1).expect("window");
    vrm::StatsQuery::custom(window, vrm::Interval::Hours, CODES)
}

/// The median wall time of `runs` calls of `f` (for the ratios printed
/// after divan's table).
pub fn median(runs: usize, mut f: impl FnMut()) -> std::time::Duration {
    let mut times: Vec<_> = (0..runs)
        .map(|_| {
            let at = std::time::Instant::now();
            f();
            at.elapsed()
        })
        .collect();
    times.sort_unstable();
    times[runs / 2]
}

/// True when run by `cargo bench` (not as a test by `cargo test --benches`).
pub fn is_bench_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}
