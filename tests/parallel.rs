//! The chunks of a long window go in parallel, within the one rate
//! limiter, and answer exactly as one at a time would; a 429 slows every
//! thread of the client.

mod common;

use std::time::Duration;

use common::slow::SlowVrm;
use common::{TOKEN, TempDir, stats_body};
use vrm::{Cache, Client, Interval, SiteId, Source, StatsQuery, TimeWindow};

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// A VRM-like server answering stats with [`stats_body`] after `latency`.
fn vrm_like(latency: Duration) -> SlowVrm {
    SlowVrm::start(latency, None, |_, target| {
        if target.starts_with("users/me") {
            return (200, br#"{"success":true,"user":{"id":7}}"#.to_vec());
        }
        if target.contains("/stats?") {
            let step = if target.contains("interval=days") {
                DAY
            } else {
                HOUR
            };
            return (200, stats_body(target, step));
        }
        (
            404,
            br#"{"success":false,"errors":"no such route"}"#.to_vec(),
        )
    })
}

fn client(server: &SlowVrm, parallel: usize, cache: Option<&Cache>) -> Client {
    let mut builder = Client::builder()
        .base_url(&server.url)
        .personal_token(TOKEN)
        .clock(common::clock())
        .parallel_requests(parallel);
    if let Some(cache) = cache {
        builder = builder.cache(cache.clone());
    }
    builder.build().expect("client")
}

/// Three years of hours ending 30 days before the test clock's now.
fn three_years(per_instance: bool) -> StatsQuery {
    let end = common::NOW - common::NOW % DAY - 30 * DAY;
    let window = TimeWindow::from_unix(end - 3 * 365 * DAY, end).expect("window");
    StatsQuery::custom(window, Interval::Hours, ["Pc", "bs"]).show_instance(per_instance)
}

#[test]
fn parallel_chunks_answer_exactly_as_one_at_a_time() {
    for per_instance in [false, true] {
        let query = three_years(per_instance);
        let one = vrm_like(Duration::from_millis(5));
        let many = vrm_like(Duration::from_millis(5));
        let sequential = client(&one, 1, None)
            .site(SiteId(3))
            .stats(&query)
            .expect("sequential");
        let parallel = client(&many, 8, None)
            .site(SiteId(3))
            .stats(&query)
            .expect("parallel");
        assert_eq!(sequential.requests(), 36);
        assert_eq!(parallel.requests(), 36);
        assert_eq!(
            parallel.value(),
            sequential.value(),
            "per instance: {per_instance}"
        );
        assert_eq!(one.max_in_flight(), 1);
        assert!(many.max_in_flight() > 1, "{}", many.max_in_flight());
        assert!(many.max_in_flight() <= 8, "{}", many.max_in_flight());

        // Kept as it arrived: the cache then answers the same, with none.
        let dir = TempDir::new("parallel");
        let cache = Cache::open(dir.join("c.db")).expect("cache");
        let cached = client(&many, 8, Some(&cache));
        let fetched = cached.site(SiteId(3)).stats(&query).expect("fetch");
        assert_eq!(fetched.value(), sequential.value());
        let again = cached.site(SiteId(3)).stats(&query).expect("hit");
        assert_eq!((again.source(), again.requests()), (Source::Cache, 0));
        assert_eq!(again.value(), sequential.value());
    }
}

#[test]
fn a_failing_chunk_fails_the_call_and_stops_the_rest() {
    let server = SlowVrm::start(Duration::from_millis(20), None, |_, target| {
        if target.contains("/stats?") {
            return (400, br#"{"success":false,"errors":"Bad window"}"#.to_vec());
        }
        (404, Vec::new())
    });
    let e = client(&server, 4, None)
        .site(SiteId(3))
        .stats(&three_years(false))
        .expect_err("a 400");
    assert!(matches!(&e, vrm::Error::Api(a) if a.status == 400), "{e:?}");
    // The threads stop taking chunks: far fewer than the 36 were sent.
    assert!(server.requests() < 36, "{}", server.requests());
}

#[test]
fn a_429_slows_every_request_of_the_client() {
    let mut server = common::server();
    let limited = server
        .mock("GET", "/installations/1/system-overview")
        .with_status(429)
        .with_header("retry-after", "7")
        .expect(1)
        .create();
    let other = server
        .mock("GET", "/installations/2/system-overview")
        .with_body(r#"{"success":true,"records":{"devices":[]}}"#)
        .expect(1)
        .create();
    let clock = common::clock();
    let client = common::builder(&server, &clock)
        .personal_token(TOKEN)
        .max_retries(0)
        .build()
        .expect("client");
    let e = client.site(SiteId(1)).system_overview().expect_err("429");
    assert!(matches!(e, vrm::Error::RateLimited { .. }), "{e:?}");
    // Another call (another thread would be the same) waits VRM's 7 s out
    // before it sends anything.
    let handle = {
        let client = client.clone();
        std::thread::spawn(move || client.site(SiteId(2)).system_overview().map(drop))
    };
    handle
        .join()
        .expect("thread")
        .expect("answered after the pause");
    assert_eq!(clock.sleeps(), [Duration::from_secs(7)]);
    limited.assert();
    other.assert();
}

#[test]
fn what_arrived_before_a_failure_is_kept_for_the_next_run() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let broken = Arc::new(AtomicBool::new(true));
    let query = three_years(false);
    // The last chunk fails while `broken`; the 35 others answer.
    let flag = broken.clone();
    let server = SlowVrm::start(Duration::from_millis(5), None, move |_, target| {
        if target.starts_with("users/me") {
            return (200, br#"{"success":true,"user":{"id":7}}"#.to_vec());
        }
        if flag.load(Ordering::SeqCst) && target.contains("/stats?") {
            let chunk_start = common::query_param(target, "start").unwrap_or_default();
            if chunk_start == query_last_chunk(target) {
                return (400, br#"{"success":false,"errors":"Bad window"}"#.to_vec());
            }
        }
        (200, stats_body(target, HOUR))
    });
    let dir = TempDir::new("parallel-keep");
    let cache = Cache::open(dir.join("c.db")).expect("cache");
    let client = client(&server, 6, Some(&cache));
    client
        .site(SiteId(3))
        .stats(&query)
        .expect_err("the last chunk fails");
    let sent = server.requests();
    broken.store(false, Ordering::SeqCst);
    let again = client.site(SiteId(3)).stats(&query).expect("then answers");
    assert_eq!(again.source(), Source::Mixed);
    // Only what was never kept is asked again: the failed chunk, and the
    // ones the stop kept from being sent.
    assert_eq!(
        u64::from(again.requests()) + (sent as u64 - 1),
        37,
        "every chunk fetched once in all, plus the failed one"
    );
}

/// The `start` of the last 31-day chunk of the window `target` belongs to:
/// its own start when its end is the window's end.
fn query_last_chunk(target: &str) -> String {
    let end: i64 = common::query_param(target, "end")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let window_end = common::NOW - common::NOW % DAY - 30 * DAY;
    if end == window_end {
        common::query_param(target, "start").unwrap_or_default()
    } else {
        String::new()
    }
}
