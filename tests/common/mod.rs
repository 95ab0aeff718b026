//! Shared helpers of the integration tests: a mock VRM on loopback and a
//! client pointed at it with a manual clock, so no test sleeps.
#![allow(dead_code)]

use std::sync::{Mutex, Once};

use mockito::{Matcher, Server, ServerGuard};
use time::OffsetDateTime;
use vrm::{Client, ClientBuilder, ManualClock};

/// The personal token every test client uses.
pub const TOKEN: &str = "test-personal-token-5f1d";

/// 2026-11-25 12:00:00 UTC.
pub const NOW: i64 = 1_795_608_000;

/// A fresh mock server on loopback.
pub fn server() -> ServerGuard {
    Server::new()
}

/// A manual clock standing at [`NOW`].
pub fn clock() -> ManualClock {
    ManualClock::new(OffsetDateTime::from_unix_timestamp(NOW).expect("valid time"))
}

/// A builder pointed at `server`, with a manual clock.
pub fn builder(server: &ServerGuard, clock: &ManualClock) -> ClientBuilder {
    Client::builder()
        .base_url(server.url())
        .clock(clock.clone())
}

/// A client with the personal token [`TOKEN`].
pub fn client(server: &ServerGuard) -> (Client, ManualClock) {
    let clock = clock();
    let client = builder(server, &clock)
        .personal_token(TOKEN)
        .build()
        .expect("client builds");
    (client, clock)
}

/// The `X-Authorization` header of the personal token.
pub fn token_header() -> String {
    format!("Token {TOKEN}")
}

/// A query matcher for exactly these pairs (repeated keys allowed).
pub fn query(pairs: &[(&str, &str)]) -> Matcher {
    Matcher::AllOf(
        pairs
            .iter()
            .map(|(k, v)| Matcher::UrlEncoded((*k).into(), (*v).into()))
            .collect(),
    )
}

/// Every log line written while tests run, for the "no secret in logs" checks.
pub static LOGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        // Only this crate's records: ureq dumps raw wire bytes at trace
        // level under its own targets, which the README tells users to
        // keep switched off.
        if !record.target().starts_with("vrm") {
            return;
        }
        if let Ok(mut logs) = LOGS.lock() {
            logs.push(format!("{} {}", record.level(), record.args()));
        }
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture;
static INIT: Once = Once::new();

/// Capture every log record of this test binary into [`LOGS`].
pub fn capture_logs() {
    INIT.call_once(|| {
        let _ = log::set_logger(&CAPTURE);
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// Everything logged so far, one string.
pub fn logged() -> String {
    LOGS.lock().map(|l| l.join("\n")).unwrap_or_default()
}

/// A fixture from `tests/fixtures`.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}
