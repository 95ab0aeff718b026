//! A VRM-like server on loopback, for trying the CLI and the library
//! without an account: a fleet of sites of account 22 with stats, an
//! optional latency and VRM's rate limit enforced (200 requests, one freed
//! every 0.33 s; past it, 429). It runs until killed.
//!
//! ```text
//! cargo run --example vrm_like -- --sites 50 --latency-ms 150 --limit [--timezone Asia/Kolkata]
//! VRM_TOKEN=any vrm --base-url http://127.0.0.1:PORT --cache /tmp/fleet.db sync --all
//! ```

#[path = "../tests/common/slow.rs"]
mod slow;

use std::time::Duration;

fn main() {
    let mut sites = 50u64;
    let mut latency = 150u64;
    let mut limit = false;
    let mut port_file = None;
    let mut timezone = "Europe/Amsterdam".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sites" => sites = args.next().and_then(|v| v.parse().ok()).unwrap_or(sites),
            "--latency-ms" => latency = args.next().and_then(|v| v.parse().ok()).unwrap_or(latency),
            "--limit" => limit = true,
            "--url-file" => port_file = args.next(),
            "--timezone" => timezone = args.next().unwrap_or(timezone),
            other => {
                eprintln!(
                    "vrm_like: unknown argument {other:?}; expected --sites N, --latency-ms MS, \
                     --limit, --timezone TZ, --url-file PATH"
                );
                std::process::exit(2);
            }
        }
    }
    let limit = limit.then_some(slow::Limit {
        capacity: 200.0,
        refill: Duration::from_millis(330),
    });
    // The zone lives as long as the server: the program runs until killed.
    let timezone: &'static str = Box::leak(timezone.into_boxed_str());
    let server = slow::SlowVrm::start(
        Duration::from_millis(latency),
        limit,
        slow::fleet_in(sites, timezone),
    );
    println!("{}", server.url);
    if let Some(path) = port_file {
        let _ = std::fs::write(path, &server.url);
    }
    eprintln!(
        "vrm_like: {sites} sites, {latency} ms latency, limit {}; Ctrl-C stops it",
        if limit.is_some() { "on" } else { "off" }
    );
    let mut last = (0, 0);
    loop {
        std::thread::sleep(Duration::from_secs(5));
        let now = (server.requests(), server.limited());
        if now != last {
            eprintln!("vrm_like: {} requests, {} answered 429", now.0, now.1);
            last = now;
        }
    }
}
