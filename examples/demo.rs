//! Lists the installations of an account and a week of kWh stats for the
//! first one.
//!
//! ```sh
//! cargo run --example demo                    # VRM's public demo account
//! VRM_TOKEN=… cargo run --example demo        # your own account
//! VRM_API_URL=http://127.0.0.1:8080/v2/ cargo run --example demo
//! ```

use std::process::ExitCode;
use std::time::Duration;

use time::OffsetDateTime;
use vrm::{Client, Interval, StatsQuery, TimeWindow};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo: {e}");
            if e.is_transport() {
                let url = std::env::var(vrm::BASE_URL_ENV)
                    .unwrap_or_else(|_| vrm::DEFAULT_BASE_URL.to_owned());
                eprintln!(
                    "demo: is there a network connection to {url}? (VRM_API_URL overrides it)"
                );
            }
            ExitCode::FAILURE
        }
    }
}

fn run() -> vrm::Result<()> {
    let builder = Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .max_retries(1);
    let (builder, who) = match std::env::var("VRM_TOKEN") {
        Ok(token) if !token.trim().is_empty() => {
            (builder.personal_token(token.trim()), "VRM_TOKEN")
        }
        _ => (builder.demo(), "the VRM demo account"),
    };
    let vrm = builder.build()?;
    println!("vrm at {} as {who}", vrm.base_url());

    let sites = vrm.installations()?;
    println!("\n{} installations:", sites.len());
    println!("{:>8}  {:<32}  timezone", "id", "name");
    for site in sites.iter() {
        println!(
            "{:>8}  {:<32}  {}",
            site.id_site,
            site.name.as_deref().unwrap_or("-"),
            site.timezone.as_deref().unwrap_or("-")
        );
    }
    let Some(first) = sites.first() else {
        println!("no installation to show stats for");
        return Ok(());
    };

    let week = TimeWindow::last(Duration::from_secs(7 * 86_400), OffsetDateTime::now_utc())?;
    let stats = vrm
        .site(first.id_site)
        .stats(&StatsQuery::kwh(week, Interval::Days))?;
    println!(
        "\nkWh per day for {} ({} .. {}, {} requests):",
        first.name.as_deref().unwrap_or("-"),
        week.start_time().date(),
        week.end_time().date(),
        stats.requests()
    );
    let codes: Vec<&String> = stats.series.keys().collect();
    print!("{:<12}", "day");
    for code in &codes {
        print!("{code:>9}");
    }
    println!();
    let days: std::collections::BTreeSet<i64> = stats
        .series
        .values()
        .flat_map(|s| s.points().iter().map(|p| p.timestamp_ms))
        .collect();
    for day in days {
        let date = OffsetDateTime::from_unix_timestamp(day / 1000)
            .map(|t| t.date().to_string())
            .unwrap_or_else(|_| day.to_string());
        print!("{date:<12}");
        for code in &codes {
            let value = stats.series[*code]
                .points()
                .iter()
                .find(|p| p.timestamp_ms == day)
                .and_then(|p| p.value);
            match value {
                Some(v) => print!("{v:>9.2}"),
                None => print!("{:>9}", "-"),
            }
        }
        println!();
    }
    print!("{:<12}", "total");
    for code in &codes {
        match stats.totals.get(*code).copied().flatten() {
            Some(v) => print!("{v:>9.2}"),
            None => print!("{:>9}", "-"),
        }
    }
    println!();
    Ok(())
}
