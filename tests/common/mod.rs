//! Shared helpers of the integration tests: a mock VRM on loopback and a
//! client pointed at it with a manual clock, so no test sleeps.
#![allow(dead_code)]

pub mod slow;

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

/// A query matcher requiring these pairs (others may come too). Keys must
/// be distinct: mockito keeps one value per key; pin repeated
/// `attributeCodes[]` with `Matcher::Exact` on the raw query instead.
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

/// A folder under the system's temp dir, removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    /// A new, empty folder.
    pub fn new(tag: &str) -> TempDir {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("vrm-test-{tag}-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }

    /// A path inside the folder.
    pub fn join(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Mock `GET /users/me` answering user `id` (how a token client learns its
/// account, once per cache).
pub fn mock_me(server: &mut ServerGuard, id: u64) -> mockito::Mock {
    server
        .mock("GET", "/users/me")
        .with_body(format!(
            r#"{{"success":true,"user":{{"id":{id},"name":"Test","email":"t@example.com"}}}}"#
        ))
        .create()
}

/// A client with the personal token [`TOKEN`], a manual clock and `cache`.
pub fn cached_client(server: &ServerGuard, cache: &vrm::Cache) -> (Client, ManualClock) {
    let clock = clock();
    let client = builder(server, &clock)
        .personal_token(TOKEN)
        .cache(cache.clone())
        .build()
        .expect("client builds");
    (client, clock)
}

/// The value of query parameter `key` in a request path.
pub fn query_param(path_and_query: &str, key: &str) -> Option<String> {
    let query = path_and_query.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| v.to_owned())
    })
}

/// The value stats tests expect for `code` in the bucket starting at `t`
/// (unix seconds): deterministic, different per code and hour.
pub fn point_value(code: &str, t: i64) -> f64 {
    let salt = code.bytes().map(i64::from).sum::<i64>() % 7;
    ((t / 3600) % 24 + salt) as f64 / 4.0
}

/// A stats body like VRM's for the request `path_and_query`: one point per
/// bucket of `step` seconds from its `start` to its `end`, for each code
/// (its `attributeCodes[]`, or `Pc`, `Gc`, `Pb` for `type=kwh`); per instance
/// (0 and 1, the second with half the value) with `show_instance=1`.
pub fn stats_body(path_and_query: &str, step: i64) -> Vec<u8> {
    let start: i64 = query_param(path_and_query, "start")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let end: i64 = query_param(path_and_query, "end")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let query = path_and_query.split_once('?').map_or("", |q| q.1);
    let mut codes: Vec<String> = query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("attributeCodes%5B%5D="))
        .map(str::to_owned)
        .collect();
    if codes.is_empty() {
        codes = vec!["Pc".into(), "Gc".into(), "Pb".into()];
    }
    let per_instance = query_param(path_and_query, "show_instance").as_deref() == Some("1");
    let points = |code: &str, scale: f64| {
        let mut out = Vec::new();
        let mut t = start;
        while t < end {
            out.push(format!("[{},{}]", t * 1000, point_value(code, t) * scale));
            t += step;
        }
        format!("[{}]", out.join(","))
    };
    let body = if per_instance {
        let instance = |i: u32, scale: f64| {
            let stats: Vec<String> = codes
                .iter()
                .map(|c| format!("\"{c}\":{}", points(c, scale)))
                .collect();
            format!(
                "\"{i}\":{{\"instance\":{i},\"stats\":{{{}}}}}",
                stats.join(",")
            )
        };
        format!(
            "{{\"success\":true,\"records\":{{{},{}}},\"totals\":{{}}}}",
            instance(0, 1.0),
            instance(1, 0.5)
        )
    } else {
        let series: Vec<String> = codes
            .iter()
            .map(|c| format!("\"{c}\":{}", points(c, 1.0)))
            .collect();
        format!(
            "{{\"success\":true,\"records\":{{{}}},\"totals\":{{}}}}",
            series.join(",")
        )
    };
    body.into_bytes()
}

/// A GET on `path` with exactly this raw query and the token, answered
/// with `body`, expected once.
pub fn expect_get(
    server: &mut ServerGuard,
    path: &str,
    raw_query: &str,
    body: &str,
) -> mockito::Mock {
    server
        .mock("GET", path)
        .match_query(Matcher::Exact(raw_query.to_owned()))
        .match_header("x-authorization", token_header().as_str())
        .with_body(body)
        .expect(1)
        .create()
}

/// A write (`method` on `path`) with the token and exactly the JSON body
/// `body` (compared as JSON), answered with `answer`, expected once.
pub fn expect_write(
    server: &mut ServerGuard,
    method: &str,
    path: &str,
    body: serde_json::Value,
    answer: &str,
) -> mockito::Mock {
    server
        .mock(method, path)
        .match_query(Matcher::Any)
        .match_header("x-authorization", token_header().as_str())
        .match_header("content-type", "application/json")
        .match_body(Matcher::Json(body))
        .with_body(answer)
        .expect(1)
        .create()
}

/// Mocks that catch any request of any method (each expected 0 times):
/// `assert_no_request` on them says none came.
pub fn no_request(server: &mut ServerGuard) -> Vec<mockito::Mock> {
    ["GET", "POST", "PUT", "PATCH", "DELETE"]
        .into_iter()
        .map(|method| {
            server
                .mock(method, Matcher::Any)
                .match_query(Matcher::Any)
                .expect(0)
                .create()
        })
        .collect()
}

/// Assert that none of the [`no_request`] mocks was hit.
pub fn assert_no_request(mocks: &[mockito::Mock]) {
    for mock in mocks {
        mock.assert();
    }
}
