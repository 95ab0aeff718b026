//! 429 with Retry-After, retries on 5xx and transport errors, their bound,
//! POSTs never retried, and the client-side rate limiter.

mod common;

use std::time::Duration;

use common::{builder, clock, server};
use vrm::{Error, RateLimit};

const ME: &str = r#"{"success":true,"user":{"id":7,"name":"x","email":"x@example.com"}}"#;

#[test]
fn too_many_requests_then_success_waits_the_retry_after() {
    let mut server = server();
    let limited = server
        .mock("GET", "/users/me")
        .with_status(429)
        .with_header("Retry-After", "7")
        .with_body(r#"{"success":false,"errors":"Too many requests"}"#)
        .expect(1)
        .create();
    // mockito prefers the mock still missing hits: the 429 answers first.
    let ok = server
        .mock("GET", "/users/me")
        .with_body(ME)
        .expect(1)
        .create();
    let (client, clock) = common::client(&server);
    let user = client.me().unwrap();
    assert_eq!(user.id, vrm::UserId(7));
    assert_eq!(user.requests(), 2);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
    limited.assert();
    ok.assert();
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    let mut server = server();
    // NOW is 2026-11-25 12:00:00 UTC; the date is 90 s later.
    let limited = server
        .mock("GET", "/users/me")
        .with_status(429)
        .with_header("Retry-After", "Wed, 25 Nov 2026 12:01:30 GMT")
        .expect(1)
        .create();
    let ok = server.mock("GET", "/users/me").with_body(ME).create();
    let (client, clock) = {
        let clock = clock();
        let client = builder(&server, &clock)
            .personal_token("t")
            .max_retry_after(Duration::from_secs(120))
            .build()
            .unwrap();
        (client, clock)
    };
    client.me().unwrap();
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(90)]);
    limited.assert();
    ok.assert();
}

#[test]
fn a_retry_after_beyond_the_longest_wait_is_returned_at_once() {
    let mut server = server();
    let limited = server
        .mock("GET", "/users/me")
        .with_status(429)
        .with_header("Retry-After", "3600")
        .expect(1)
        .create();
    let (client, clock) = common::client(&server);
    let err = client.me().unwrap_err();
    match err {
        Error::RateLimited { retry_after } => {
            assert_eq!(retry_after, Some(Duration::from_secs(3600)))
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(clock.sleeps().is_empty(), "no wait beyond the bound");
    limited.assert();
}

#[test]
fn server_error_then_success() {
    let mut server = server();
    let failing = server
        .mock("GET", "/users/me")
        .with_status(503)
        .with_body("<html><body>Service Unavailable</body></html>")
        .expect(1)
        .create();
    let ok = server
        .mock("GET", "/users/me")
        .with_body(ME)
        .expect(1)
        .create();
    let (client, clock) = common::client(&server);
    let user = client.me().unwrap();
    assert_eq!(user.requests(), 2);
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 1);
    assert!(
        sleeps[0] >= Duration::from_millis(250) && sleeps[0] <= Duration::from_millis(500),
        "{sleeps:?}"
    );
    failing.assert();
    ok.assert();
}

#[test]
fn retries_give_up_at_the_bound_with_growing_waits() {
    let mut server = server();
    let failing = server
        .mock("GET", "/users/me")
        .with_status(500)
        .with_body("<html><h1>Internal Server Error</h1></html>")
        .expect(4)
        .create();
    let (client, clock) = common::client(&server);
    let err = client.me().unwrap_err();
    let api = err.api_error().expect("an api error");
    assert_eq!(api.status, 500);
    assert!(
        api.errors[0].contains("<html><h1>Internal Server Error"),
        "the body's start is shown: {api:?}"
    );
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 3, "{sleeps:?}");
    for (i, s) in sleeps.iter().enumerate() {
        let full = Duration::from_millis(500) * 2u32.pow(i as u32);
        assert!(*s >= full / 2 && *s <= full, "retry {i}: {s:?}");
    }
    failing.assert();
}

#[test]
fn posts_are_not_retried() {
    let mut server = server();
    let create = server
        .mock("POST", "/users/7/accesstokens/create")
        .with_status(502)
        .expect(1)
        .create();
    let (client, clock) = common::client(&server);
    let err = client
        .user(vrm::UserId(7))
        .create_access_token("cron")
        .unwrap_err();
    assert_eq!(err.api_error().map(|e| e.status), Some(502));
    assert!(clock.sleeps().is_empty());
    create.assert();
}

#[test]
fn transport_errors_are_retried_then_reported() {
    // A port nothing listens on: connection refused, at once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let clock = clock();
    let client = vrm::Client::builder()
        .base_url(format!("http://127.0.0.1:{port}/v2/"))
        .personal_token("t")
        .clock(clock.clone())
        .max_retries(2)
        .build()
        .unwrap();
    let err = client.me().unwrap_err();
    assert!(err.is_transport(), "{err:?}");
    assert_eq!(clock.sleeps().len(), 2);
    assert_eq!(client.counters().requests, 3);
}

#[test]
fn the_rate_limiter_paces_requests() {
    let mut server = server();
    let me = server
        .mock("GET", "/users/me")
        .with_body(ME)
        .expect(4)
        .create();
    let clock = clock();
    let client = builder(&server, &clock)
        .personal_token("t")
        .rate_limit(Some(RateLimit {
            capacity: 2,
            refill: Duration::from_secs(1),
        }))
        .build()
        .unwrap();
    for _ in 0..4 {
        client.me().unwrap();
    }
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_secs(1), Duration::from_secs(1)]
    );
    me.assert();
}

#[test]
fn an_extreme_retry_after_is_a_rate_limit_error_not_a_crash() {
    for value in [
        "100000000000000000000",
        "1e20",
        "18446744073709551616",
        "inf",
    ] {
        let mut server = server();
        let limited = server
            .mock("GET", "/users/me")
            .with_status(429)
            .with_header("Retry-After", value)
            .expect(1)
            .create();
        let (client, waits) = common::client(&server);
        match client.me().unwrap_err() {
            Error::RateLimited { retry_after } => {
                assert_eq!(retry_after, Some(Duration::MAX), "{value}")
            }
            other => panic!("{value}: expected RateLimited, got {other:?}"),
        }
        assert!(waits.sleeps().is_empty(), "{value}");
        limited.assert();
        // The same on a POST and on the login.
        let mut server = common::server();
        let login = server
            .mock("POST", "/auth/login")
            .with_status(429)
            .with_header("Retry-After", value)
            .expect(1)
            .create();
        let clock = clock();
        let client = builder(&server, &clock)
            .credentials("me@example.com", "pw")
            .build()
            .unwrap();
        assert!(
            matches!(client.login(), Err(Error::RateLimited { .. })),
            "{value}"
        );
        login.assert();
    }
}

#[test]
fn a_post_is_sent_again_after_a_429_and_only_then() {
    let mut server = server();
    let create = "/users/7/accesstokens/create";
    let limited = server
        .mock("POST", create)
        .with_status(429)
        .with_header("Retry-After", "2")
        .expect(1)
        .create();
    let ok = server
        .mock("POST", create)
        .with_body(r#"{"success":true,"token":"new-token-value","idAccessToken":"5"}"#)
        .expect(1)
        .create();
    let (client, clock) = common::client(&server);
    let created = client
        .user(vrm::UserId(7))
        .create_access_token("cron")
        .unwrap();
    assert_eq!(created.requests(), 2);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(2)]);
    limited.assert();
    ok.assert();
}

#[test]
fn a_call_fails_once_its_deadline_would_pass() {
    let mut server = server();
    let limited = server
        .mock("GET", "/users/me")
        .with_status(429)
        .with_header("Retry-After", "20")
        .expect(2)
        .create();
    let clock = clock();
    let client = builder(&server, &clock)
        .personal_token("t")
        .max_retries(10)
        .call_deadline(Duration::from_secs(30))
        .build()
        .unwrap();
    let err = client.me().unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(err.to_string().contains("deadline"), "{err}");
    // The first wait of 20 s fits in 30 s; a second would not.
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(20)]);
    limited.assert();
}

#[test]
fn an_answer_over_the_limit_is_too_large_and_not_retried() {
    let mut server = server();
    let big = server
        .mock("GET", "/users/me")
        .with_body(format!(
            r#"{{"success":true,"user":{{"id":7,"name":"{}"}}}}"#,
            "x".repeat(4096)
        ))
        .expect(1)
        .create();
    let clock = clock();
    let client = builder(&server, &clock)
        .personal_token("t")
        .max_body_bytes(1024)
        .build()
        .unwrap();
    let err = client.me().unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit: 1024, .. }),
        "{err:?}"
    );
    assert!(!err.is_network() && !err.is_transport(), "{err:?}");
    assert!(clock.sleeps().is_empty());
    big.assert();
}

#[test]
fn a_stats_answer_over_the_limit_is_too_large_while_it_streams() {
    let mut server = server();
    let _me = server.mock("GET", "/users/me").with_body(ME).create();
    let points: Vec<String> = (0..2000i64)
        .map(|i| format!("[{},{}.5]", (1_700_000_000 + i * 3600) * 1000, i))
        .collect();
    let big = server
        .mock("GET", "/installations/7/stats")
        .match_query(mockito::Matcher::Any)
        .with_body(format!(
            r#"{{"success":true,"records":{{"Pc":[{}]}}}}"#,
            points.join(",")
        ))
        .expect(1)
        .create();
    let clock = clock();
    let client = builder(&server, &clock)
        .personal_token("t")
        .max_body_bytes(4096)
        .build()
        .unwrap();
    let window = vrm::TimeWindow::from_unix(1_700_000_000, 1_700_000_000 + 86_400).unwrap();
    let err = client
        .site(vrm::SiteId(7))
        .stats(&vrm::StatsQuery::kwh(window, vrm::Interval::Hours))
        .unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit: 4096, .. }),
        "{err:?}"
    );
    assert!(clock.sleeps().is_empty());
    big.assert();

    // A success:false body with status 200 is VRM's error, streamed too.
    let mut server = common::server();
    let _refused = server
        .mock("GET", "/installations/7/stats")
        .match_query(mockito::Matcher::Any)
        .with_body(r#"{"success":false,"error_code":"no_data","errors":["Site has no stats for this period."]}"#)
        .create();
    let (client, _) = common::client(&server);
    let err = client
        .site(vrm::SiteId(7))
        .stats(&vrm::StatsQuery::kwh(window, vrm::Interval::Hours))
        .unwrap_err();
    assert_eq!(
        err.api_error().and_then(|e| e.error_code.as_deref()),
        Some("no_data")
    );
}
