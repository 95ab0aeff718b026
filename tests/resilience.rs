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
