//! The `vrm demo` flow against an in-process mock of VRM with realistic
//! data, run twice to show the cache at work: for anyone without network
//! or account.
//!
//! ```sh
//! cargo run --example local_demo            # the flow, twice
//! cargo run --example local_demo -- serve   # only the mock; try the CLI on it:
//! #   VRM_API_URL=<printed url> cargo run -- --demo --cache /tmp/v.sqlite report 151734 --from -3d --to now
//! ```

use std::f64::consts::PI;
use std::time::Duration;

use mockito::{Matcher, Server, ServerGuard};
use time::OffsetDateTime;
use vrm::{Cache, Client, Interval, StatsQuery, TimeWindow};

const INSTALLATIONS: &str = include_str!("../tests/fixtures/installations.json");
const OVERVIEW: &str = include_str!("../tests/fixtures/system_overview.json");
const DEMO_LOGIN: &str = r#"{"token":"local-demo-token","idUser":22,"verification_mode":"password","verification_sent":false}"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = mock_vrm();
    if std::env::args().nth(1).as_deref() == Some("serve") {
        println!("mock VRM listening at {}/ (Ctrl-C to stop)", server.url());
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    let dir = std::env::temp_dir().join(format!("vrm-local-demo-{}", std::process::id()));
    let cache = Cache::open(dir.join("cache.sqlite"))?;
    for run in 1..=2 {
        println!("==== run {run} ====");
        let client = Client::builder()
            .base_url(server.url())
            .demo()
            .cache(cache.clone())
            .build()?;
        flow(&client)?;
        let c = client.counters();
        println!(
            "run {run}: {} requests to the mock VRM, {} answers from the cache\n",
            c.requests, c.hits
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Log in, list the sites, a week of kWh for the first, a 3-day report.
fn flow(client: &Client) -> vrm::Result<()> {
    let sites = client.installations()?;
    println!(
        "{} installations ({}):",
        sites.len(),
        sites.source().as_str()
    );
    for s in sites.iter() {
        println!(
            "  {:>7}  {:<28} {}",
            s.id_site,
            s.name.as_deref().unwrap_or("?"),
            s.timezone.as_deref().unwrap_or("?")
        );
    }
    let Some(first) = sites.first() else {
        return Ok(());
    };
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let today = now - now.rem_euclid(86_400);
    let week = TimeWindow::from_unix(today - 7 * 86_400, today)?;
    let stats = client
        .site(first.id_site)
        .stats(&StatsQuery::kwh(week, Interval::Days))?;
    println!(
        "\nweek of kWh for {} ({}, {} requests):",
        first.name.as_deref().unwrap_or("?"),
        stats.source().as_str(),
        stats.requests()
    );
    for code in ["Pc", "Pb", "Gc", "Bc"] {
        println!("  {code}: {:>8.2} kWh", stats.total(code).unwrap_or(0.0));
    }
    // The last 3 days, hour by hour, added up per day (UTC): what
    // `vrm report` does in the site's own time zone.
    let window = TimeWindow::from_unix(today - 3 * 86_400, today)?;
    let hourly = client
        .site(first.id_site)
        .stats(&StatsQuery::kwh(window, Interval::Hours))?;
    println!(
        "\nenergy per day, last 3 days (UTC; {}, {} requests):",
        hourly.source().as_str(),
        hourly.requests()
    );
    const CODES: [&str; 4] = ["Pc", "Pb", "Gc", "Bc"];
    println!(
        "  {:<10} {}",
        "day",
        CODES.map(|c| format!("{c:>8}")).join("")
    );
    for day in 0..3 {
        let start_ms = (window.start() + day * 86_400) * 1000;
        let range = start_ms..start_ms + 86_400_000;
        let date = OffsetDateTime::from_unix_timestamp(start_ms / 1000)
            .map(|t| t.date().to_string())
            .unwrap_or_default();
        let cells: Vec<String> = CODES
            .iter()
            .map(|code| {
                let kwh: f64 = hourly
                    .series(code)
                    .map(|s| {
                        s.points()
                            .iter()
                            .filter(|p| range.contains(&p.timestamp_ms))
                            .filter_map(|p| p.value)
                            .sum()
                    })
                    .unwrap_or(0.0);
                format!("{kwh:>8.2}")
            })
            .collect();
        println!("  {date:<10} {}", cells.join(""));
    }
    Ok(())
}

/// A mock VRM: the demo login, the live installation list, and stats with
/// a plausible day: solar by day, the battery in the evening, the grid at night.
fn mock_vrm() -> ServerGuard {
    let mut server = Server::new();
    server
        .mock("GET", "/auth/loginAsDemo")
        .with_body(DEMO_LOGIN)
        .create();
    server
        .mock("GET", "/users/me")
        .with_body(r#"{"success":true,"user":{"id":22,"name":"demo demo"}}"#)
        .create();
    server
        .mock("GET", Matcher::Regex(r"^/users/22/installations".into()))
        .with_body(INSTALLATIONS)
        .create();
    server
        .mock(
            "GET",
            Matcher::Regex(r"^/installations/\d+/system-overview".into()),
        )
        .with_body(OVERVIEW)
        .create();
    server
        .mock("GET", Matcher::Regex(r"^/installations/\d+/stats\?".into()))
        .with_body_from_request(|req| stats_body(req.path_and_query()))
        .create();
    server
}

fn param(path: &str, key: &str) -> Option<String> {
    let query = path.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| v.to_owned())
    })
}

/// kWh in the hour starting at `t` for an energy flow.
fn hourly_kwh(code: &str, t: i64) -> f64 {
    let hour = (t.rem_euclid(86_400) / 3600) as f64 + 0.5;
    let sun = ((hour - 6.0) / 12.0 * PI).sin().max(0.0);
    let cloud = 0.75 + 0.25 * ((t / 86_400) as f64 * 1.7).sin();
    let pv = 4.0 * sun * cloud;
    let load = 0.4 + 0.5 * (((hour - 19.0) / 24.0 * 2.0 * PI).cos() + 1.0) / 2.0;
    let evening = (18.0..23.0).contains(&hour);
    match code {
        "Pc" => pv.min(load),
        "Pb" => (pv - load).max(0.0) * 0.7,
        "Pg" => (pv - load).max(0.0) * 0.3,
        "Bc" if evening && pv < load => (load - pv) * 0.8,
        "Gc" if evening && pv < load => (load - pv) * 0.2,
        "Gc" if pv < load => load - pv,
        "Gc" | "Gb" | "Bc" | "Bg" => 0.0,
        // Any other code: a slow wave around 50, so it is never flat.
        _ => 50.0 + 10.0 * ((t / 3600) as f64 / 7.0).sin(),
    }
}

fn stats_body(path: &str) -> Vec<u8> {
    let start: i64 = param(path, "start")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let end: i64 = param(path, "end").and_then(|v| v.parse().ok()).unwrap_or(0);
    let step = match param(path, "interval").as_deref() {
        Some("15mins") => 900,
        Some("days") => 86_400,
        Some("weeks") => 7 * 86_400,
        _ => 3600,
    };
    // The codes asked for (type=custom), else VRM's kWh set.
    let query = path.split_once('?').map_or("", |q| q.1);
    let mut codes: Vec<&str> = query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("attributeCodes%5B%5D="))
        .collect();
    if codes.is_empty() {
        codes = vec!["Pc", "Pb", "Pg", "Gc", "Gb", "Bc", "Bg"];
    }
    let mut records = Vec::new();
    let mut totals = Vec::new();
    for code in codes {
        let mut points = Vec::new();
        let mut sum = 0.0;
        let mut t = start;
        while t < end {
            let bucket_end = (t + step).min(end);
            let mut value = 0.0;
            let mut h = t;
            while h < bucket_end {
                value += hourly_kwh(code, h) * ((bucket_end - h).min(3600) as f64 / 3600.0);
                h += 3600;
            }
            sum += value;
            points.push(format!("[{},{value:.4}]", t * 1000));
            t += step;
        }
        records.push(format!("\"{code}\":[{}]", points.join(",")));
        totals.push(format!("\"{code}\":{sum:.4}"));
    }
    format!(
        "{{\"success\":true,\"records\":{{{}}},\"totals\":{{{}}}}}",
        records.join(","),
        totals.join(",")
    )
    .into_bytes()
}
