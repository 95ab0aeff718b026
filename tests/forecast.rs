//! Forecasts: `installations/{idSite}/stats?type=forecast`. A window may lie
//! in the future; the answer is cached as the exact answer of its request
//! (CacheKind::Forecast, its own freshness), never as stats points, never
//! treated as settled, and says when it was fetched.

mod common;

use std::time::Duration;

use common::{NOW, expect_get, mock_me, no_request, server};
use serde_json::json;
use vrm::models::Point;
use vrm::{Cache, CacheKind, Interval, SiteId, Source, StatsKind, StatsQuery, TimeWindow};

const SITE: SiteId = SiteId(975);
const HOUR: i64 = 3600;

/// A forecast body as the spec shapes stats, with odd values: a number as
/// a string, `false` for a code without data, a float timestamp.
fn body(start: i64) -> String {
    json!({"success": true,
        "records": {
            "solar_yield_forecast": [[start * 1000, "812.5"], [(start + HOUR) as f64 * 1000.0, 640]],
            "vrm_consumption_fc": [[start * 1000, 300.25]],
            "grid_fc": false
        },
        "totals": {"solar_yield_forecast": 1452.5, "vrm_consumption_fc": "300.25", "grid_fc": false}})
    .to_string()
}

fn rows(cache: &Cache, kind: CacheKind) -> u64 {
    cache
        .info()
        .unwrap()
        .sites
        .iter()
        .filter(|s| s.site == Some(SITE))
        .flat_map(|s| s.kinds.iter())
        .filter(|k| k.kind == kind)
        .map(|k| k.rows)
        .sum()
}

#[test]
fn a_future_window_exact_request_and_typed_answer() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/975/stats",
        &format!(
            "type=forecast&interval=hours&start={NOW}&end={}",
            NOW + 48 * HOUR
        ),
        &body(NOW),
    );
    let (client, _) = common::client(&server);
    let next = TimeWindow::from_unix(NOW, NOW + 48 * HOUR).unwrap();
    let forecast = client.site(SITE).forecast(next, Interval::Hours).unwrap();
    assert_eq!(forecast.source(), Source::Network);
    assert_eq!(forecast.requests(), 1);
    assert_eq!(forecast.fetched_at().unix_timestamp(), NOW);
    assert_eq!(
        forecast.series("solar_yield_forecast").unwrap().points(),
        [
            Point::new(NOW * 1000, Some(812.5)),
            Point::new((NOW + HOUR) * 1000, Some(640.0))
        ]
    );
    assert_eq!(forecast.total("solar_yield_forecast"), Some(1452.5));
    assert_eq!(forecast.total("vrm_consumption_fc"), Some(300.25));
    assert_eq!(forecast.total("grid_fc"), None);
    assert!(forecast.series("grid_fc").unwrap().is_empty());
    mock.assert();
}

#[test]
fn stats_with_type_forecast_is_the_same_call() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/975/stats",
        &format!(
            "type=forecast&interval=2hours&start={NOW}&end={}",
            NOW + 24 * HOUR
        ),
        &body(NOW),
    );
    let (client, _) = common::client(&server);
    let window = TimeWindow::from_unix(NOW, NOW + 24 * HOUR).unwrap();
    let query = StatsQuery::new(window, Interval::TwoHours, StatsKind::Forecast);
    let mut calls = Vec::new();
    let forecast = client
        .site(SITE)
        .stats_with_progress(&query, &mut |done, total| calls.push((done, total)))
        .unwrap();
    assert_eq!(forecast.total("solar_yield_forecast"), Some(1452.5));
    assert_eq!(calls, [(1, 1)]);
    mock.assert();
}

#[test]
fn fresh_forecast_costs_nothing_then_is_asked_for_again() {
    let mut server = server();
    mock_me(&mut server, 22);
    let cache = Cache::in_memory().unwrap();
    let next = TimeWindow::from_unix(NOW, NOW + 48 * HOUR).unwrap();
    let mock = server
        .mock("GET", "/installations/975/stats")
        .match_query(mockito::Matcher::Exact(format!(
            "type=forecast&interval=hours&start={NOW}&end={}",
            NOW + 48 * HOUR
        )))
        .with_body(body(NOW))
        .expect(2)
        .create();
    let (client, clock) = common::cached_client(&server, &cache);
    let first = client.site(SITE).forecast(next, Interval::Hours).unwrap();
    assert_eq!(first.source(), Source::Network);

    // Fresh: from the cache, no request, with the time it was fetched.
    clock.advance(Duration::from_secs(30 * 60));
    let again = client.site(SITE).forecast(next, Interval::Hours).unwrap();
    assert_eq!(again.requests(), 0);
    assert_eq!(again.source(), Source::Cache);
    assert_eq!(again.fetched_at().unix_timestamp(), NOW);
    assert_eq!(again.value(), first.value());

    // Past its freshness (one hour by default): asked for again.
    clock.advance(Duration::from_secs(31 * 60));
    let later = client.site(SITE).forecast(next, Interval::Hours).unwrap();
    assert_eq!(later.source(), Source::Network);
    assert_eq!(later.requests(), 1);
    assert_eq!(later.fetched_at().unix_timestamp(), NOW + 61 * 60);
    mock.assert();

    // Kept as an answer of its own, not as stats points.
    assert_eq!(rows(&cache, CacheKind::Forecast), 1);
    assert_eq!(rows(&cache, CacheKind::Stats), 0);
}

/// A window long past would be settled stats history; a forecast of it is
/// not: it is asked for again once its freshness is over, and never served
/// from (or written to) the stats points.
#[test]
fn a_past_forecast_is_never_settled_nor_stats() {
    let mut server = server();
    mock_me(&mut server, 22);
    let cache = Cache::in_memory().unwrap();
    let start = NOW - 10 * 24 * HOUR;
    let window = TimeWindow::from_unix(start, start + 24 * HOUR).unwrap();
    let forecast = server
        .mock("GET", "/installations/975/stats")
        .match_query(mockito::Matcher::Regex("^type=forecast&".into()))
        .with_body(body(start))
        .expect(2)
        .create();
    let kwh = server
        .mock("GET", "/installations/975/stats")
        .match_query(mockito::Matcher::Regex("^type=kwh&".into()))
        .with_body_from_request(|req| common::stats_body(req.path_and_query(), HOUR))
        .expect(1)
        .create();
    let (client, clock) = common::cached_client(&server, &cache);
    let site = client.site(SITE);
    // History of the same window first: the forecast does not read it.
    site.stats(&StatsQuery::kwh(window, Interval::Hours))
        .unwrap();
    let stats_rows = rows(&cache, CacheKind::Stats);
    let first = site
        .stats(&StatsQuery::forecast(window, Interval::Hours))
        .unwrap();
    assert_eq!(first.source(), Source::Network);
    assert!(first.series("Pc").is_none());
    assert_eq!(rows(&cache, CacheKind::Stats), stats_rows);
    clock.advance(Duration::from_secs(2 * 3600));
    let again = site
        .stats(&StatsQuery::forecast(window, Interval::Hours))
        .unwrap();
    assert_eq!(again.source(), Source::Network);
    // The history stays cached.
    let history = site
        .stats(&StatsQuery::kwh(window, Interval::Hours))
        .unwrap();
    assert_eq!(history.requests(), 0);
    forecast.assert();
    kwh.assert();
}

#[test]
fn a_forecast_longer_than_one_request_is_refused_without_a_request() {
    let mut server = server();
    let none = no_request(&mut server);
    let (client, _) = common::client(&server);
    let window = TimeWindow::from_unix(NOW, NOW + 32 * 24 * HOUR).unwrap();
    let e = client
        .site(SITE)
        .forecast(window, Interval::Hours)
        .unwrap_err();
    assert!(e.to_string().contains("31 days"), "{e}");
    common::assert_no_request(&none);
}

#[test]
fn offline_a_forecast_not_cached_is_not_cached() {
    let mut server = server();
    mock_me(&mut server, 22);
    let cache = Cache::in_memory().unwrap();
    let none = no_request(&mut server);
    let clock = common::clock();
    let client = common::builder(&server, &clock)
        .personal_token(common::TOKEN)
        .cache(cache)
        .cache_mode(vrm::CacheMode::Offline)
        .build()
        .unwrap();
    let window = TimeWindow::from_unix(NOW, NOW + 24 * HOUR).unwrap();
    let e = client
        .site(SITE)
        .forecast(window, Interval::Hours)
        .unwrap_err();
    assert!(e.is_not_cached(), "{e}");
    let _ = none;
}

#[test]
fn a_forecast_per_instance_sends_show_instance() {
    let mut server = server();
    let mock = expect_get(
        &mut server,
        "/installations/975/stats",
        &format!(
            "type=forecast&interval=hours&start={NOW}&end={}&show_instance=1",
            NOW + 6 * HOUR
        ),
        &json!({"success": true,
            "records": {"0": {"instance": 0, "stats": {"pv_fc": [[NOW * 1000, 5]]}},
                        "1": {"instance": "1", "stats": {"pv_fc": false}}},
            "totals": {"0": {"instance": 0, "totals": {"pv_fc": 5}}}})
        .to_string(),
    );
    let (client, _) = common::client(&server);
    let window = TimeWindow::from_unix(NOW, NOW + 6 * HOUR).unwrap();
    let forecast = client
        .site(SITE)
        .stats(&StatsQuery::forecast(window, Interval::Hours).show_instance(true))
        .unwrap();
    let pv = forecast.series("pv_fc").unwrap();
    assert!(pv.is_per_instance());
    assert_eq!(pv.instance(0).map(<[Point]>::len), Some(1));
    assert_eq!(pv.instance(1).map(<[Point]>::len), Some(0));
    assert_eq!(forecast.total("pv_fc"), Some(5.0));
    mock.assert();
}
