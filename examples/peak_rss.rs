//! Peak memory of one stats answer of a given size: an in-process server
//! sends a custom stats body of `MB` megabytes (default 10), the client
//! decodes it (no cache), and the process's peak RSS (VmHWM, Linux) is
//! printed before and after, so the client's share can be read off.
//!
//! ```sh
//! cargo run --release --example peak_rss -- 10
//! cargo run --release --example peak_rss -- 64
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

use vrm::{Client, Interval, SiteId, StatsQuery, TimeWindow};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let (body, codes) = stats_body(mb * 1_000_000);
    let body = Arc::new(body);
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/", listener.local_addr()?);
    let served = Arc::clone(&body);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
                line.clear();
            }
            let mut stream = reader.into_inner();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                served.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&served);
            let _ = stream.read(&mut [0u8; 1]);
        }
    });
    let before = peak_kib();
    let client = Client::builder()
        .base_url(url)
        .personal_token("t")
        .max_body_bytes(vrm::DEFAULT_MAX_BODY_BYTES.max((mb as u64 + 1) * 1_000_000))
        .build()?;
    // 30 days of hours: one request, whatever the codes.
    let window = TimeWindow::from_unix(1_700_000_000, 1_700_000_000 + 30 * 86_400)?;
    let codes: Vec<String> = (0..codes).map(|i| format!("c{i}")).collect();
    let query = StatsQuery::custom(window, Interval::Hours, codes);
    let stats = client.site(SiteId(1)).stats(&query)?;
    let after = peak_kib();
    println!(
        "body {:.1} MB, {} points: peak RSS {} KiB before the call, {} KiB after; \
         the call's peak {:.1} MB = {:.2} x the body",
        body.len() as f64 / 1e6,
        stats.point_count(),
        before,
        after,
        (after - before) as f64 * 1024.0 / 1e6,
        (after - before) as f64 * 1024.0 / body.len() as f64
    );
    Ok(())
}

/// A custom stats body of about `bytes` bytes: as many codes as it takes,
/// each with 720 hourly points `[ms, value, min, max]` (the 30-day window).
fn stats_body(bytes: usize) -> (Vec<u8>, usize) {
    let mut out = String::with_capacity(bytes + 64 * 1024);
    out.push_str(r#"{"success":true,"records":{"#);
    let mut codes = 0;
    while out.len() < bytes {
        if codes > 0 {
            out.push(',');
        }
        out.push_str(&format!(r#""c{codes}":["#));
        for i in 0..720u64 {
            if i > 0 {
                out.push(',');
            }
            let t = (1_700_000_000 + i * 3600) * 1000;
            let v = (i * 7919 + codes as u64 * 104_729) % 100_000;
            out.push_str(&format!(
                "[{t},{}.{:03},{}.5,{}.25]",
                v / 100,
                v % 1000,
                v / 200,
                v / 90
            ));
        }
        out.push(']');
        codes += 1;
    }
    out.push_str("}}");
    (out.into_bytes(), codes)
}

/// The process's peak resident set (VmHWM), KiB; 0 where unknown.
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}
