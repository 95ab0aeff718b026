//! What every write shares: sent once (again only after a 429), never
//! cached, refused offline with no request, and the cached answers it makes
//! stale dropped. Shown on `Client::call`, the raw call through the same
//! engine as the typed ones.

mod common;

use common::{TempDir, assert_no_request, expect_write, no_request, server, token_header};
use mockito::Matcher;
use serde_json::json;
use vrm::{Cache, CacheMode, Clock, Error, Method, Source};

const OK: &str = r#"{"success":true}"#;

fn cache(dir: &TempDir) -> Cache {
    Cache::open(dir.join("cache.db")).expect("cache opens")
}

#[test]
fn a_raw_get_is_cached_and_a_raw_write_drops_what_it_made_stale() {
    let dir = TempDir::new("writes-call");
    let cache = cache(&dir);
    let mut server = server();
    let me = common::mock_me(&mut server, 7);
    let log = server
        .mock("GET", "/installations/5/alarm-log")
        .match_query(Matcher::Exact("count=2".into()))
        .match_header("x-authorization", token_header().as_str())
        .with_body(r#"{"success":true,"records":[{"id":1}]}"#)
        .expect(2)
        .create();
    let (client, _) = common::cached_client(&server, &cache);
    let first = client
        .call(
            Method::Get,
            "/installations/5/alarm-log",
            &[("count", "2")],
            None,
        )
        .expect("a read");
    assert_eq!(first.value()["records"][0]["id"], 1);
    assert_eq!(first.source(), Source::Network);
    let again = client
        .call(
            Method::Get,
            "installations/5/alarm-log",
            &[("count", "2")],
            None,
        )
        .expect("a cached read");
    assert_eq!((again.source(), again.requests()), (Source::Cache, 0));
    assert_eq!(again.value(), first.value());

    let write = expect_write(
        &mut server,
        "POST",
        "/installations/5/clear-alarm",
        json!({"alarmId": 3}),
        OK,
    );
    let done = client
        .call(
            Method::Post,
            "installations/5/clear-alarm",
            &[],
            Some(&json!({"alarmId": 3})),
        )
        .expect("a write");
    assert_eq!((done.source(), done.requests()), (Source::Network, 1));
    write.assert();
    let after = client
        .call(
            Method::Get,
            "installations/5/alarm-log",
            &[("count", "2")],
            None,
        )
        .expect("read again");
    assert_eq!(after.source(), Source::Network, "the write made it stale");
    log.assert();
    me.assert();
}

#[test]
fn writes_are_refused_offline_with_no_request() {
    let dir = TempDir::new("writes-offline");
    let cache = cache(&dir);
    let mut server = server();
    let none = no_request(&mut server);
    let client = common::builder(&server, &common::clock())
        .personal_token(common::TOKEN)
        .cache(cache)
        .cache_mode(CacheMode::Offline)
        .build()
        .expect("client");
    for method in [Method::Post, Method::Put, Method::Patch, Method::Delete] {
        let e = client
            .call(
                method,
                "installations/5/tags",
                &[],
                Some(&json!({"tag": "x"})),
            )
            .expect_err("refused");
        let text = e.to_string();
        assert!(matches!(e, Error::NotCached(_)), "{method}: {e:?}");
        assert!(text.contains("offline mode sends no request"), "{text}");
        assert!(text.contains(method.as_str()), "{text}");
    }
    assert_no_request(&none);
}

#[test]
fn a_write_is_sent_again_after_a_429_only() {
    let mut server = server();
    let limited = server
        .mock("PUT", "/installations/5/tags")
        .with_status(429)
        .with_header("retry-after", "1")
        .expect(1)
        .create();
    let (client, clock) = common::client(&server);
    let ok = server
        .mock("PUT", "/installations/5/tags")
        .match_body(Matcher::Json(json!({"tag": "roof"})))
        .with_body(OK)
        .expect(1)
        .create();
    let started = clock.now();
    let done = client
        .call(
            Method::Put,
            "installations/5/tags",
            &[],
            Some(&json!({"tag": "roof"})),
        )
        .expect("sent again after the 429");
    assert_eq!(done.requests(), 2);
    assert!(
        clock.now() - started >= time::Duration::seconds(1),
        "waited Retry-After"
    );
    limited.assert();
    ok.assert();

    let mut server = common::server();
    let failing = server
        .mock("DELETE", "/installations/5/tags")
        .match_body(Matcher::Json(json!({"tag": "roof"})))
        .with_status(503)
        .expect(1)
        .create();
    let (client, _) = common::client(&server);
    let e = client
        .call(
            Method::Delete,
            "installations/5/tags",
            &[],
            Some(&json!({"tag": "roof"})),
        )
        .expect_err("a 503 on a write is not retried");
    assert!(matches!(&e, Error::Api(a) if a.status == 503), "{e:?}");
    failing.assert();
}

#[test]
fn a_bad_path_is_refused_with_no_request() {
    let mut server = server();
    let none = no_request(&mut server);
    let (client, _) = common::client(&server);
    for bad in ["", "users/me?x=1", "../x", "http://elsewhere/x", "a b"] {
        let e = client
            .call(Method::Get, bad, &[], None)
            .expect_err("refused");
        assert!(matches!(e, Error::InvalidInput(_)), "{bad:?}: {e:?}");
    }
    assert_no_request(&none);
}

#[test]
fn an_api_error_of_a_raw_call_names_its_path() {
    let mut server = server();
    let _m = server
        .mock("GET", "/installations/5/nothing-here")
        .with_status(404)
        .with_body(r#"{"success":false,"errors":"Not found","error_code":"not_found"}"#)
        .create();
    let (client, _) = common::client(&server);
    match client.call(Method::Get, "installations/5/nothing-here", &[], None) {
        Err(Error::Api(a)) => {
            assert_eq!(a.status, 404);
            assert_eq!(a.endpoint, "installations/5/nothing-here");
        }
        other => panic!("an api error, got {other:?}"),
    }
}
