//! Stats through the cache: rules 1 to 6 of DESIGN.md's "The cache", each
//! shown by counting the requests the mock server receives.

mod backends;
mod common;

use backends::Backend;
use std::time::Duration;

use common::{NOW, mock_me, query_param, server, stats_body};
use mockito::{Matcher, Mock, ServerGuard};
use vrm::models::Series;
use vrm::{Cache, Interval, SiteId, Source, StatsQuery, TimeWindow};

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
/// Midnight UTC, 30 days before [`NOW`]: old enough to be final.
const D0: i64 = NOW - 12 * HOUR - 30 * DAY;

fn stats_mock(server: &mut ServerGuard, step: i64, expect: usize) -> Mock {
    server
        .mock("GET", Matcher::Regex(r"^/installations/\d+/stats\?".into()))
        .with_body_from_request(move |req| stats_body(req.path_and_query(), step))
        .expect(expect)
        .create()
}

fn setup(backend: Backend) -> (ServerGuard, Cache) {
    let mut server = server();
    mock_me(&mut server, 22);
    (server, backend.cache())
}

fn window(start: i64, end: i64) -> TimeWindow {
    TimeWindow::from_unix(start, end).expect("window")
}

fn points(series: &Series) -> Vec<(i64, f64)> {
    series
        .points()
        .iter()
        .map(|p| (p.timestamp_ms / 1000, p.value.unwrap_or(f64::NAN)))
        .collect()
}

fn a_repeated_query_and_one_that_rounds_to_the_same_hours_make_no_request(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let mock = stats_mock(&mut server, HOUR, 1);
    let (client, _) = common::cached_client(&server, &cache);
    let site = client.site(SiteId(7));
    let first = site
        .stats(&StatsQuery::kwh(window(D0, D0 + DAY), Interval::Hours))
        .unwrap();
    assert_eq!(first.source(), Source::Network);
    assert_eq!(first.series("Pc").unwrap().len(), 24);
    let again = site
        .stats(&StatsQuery::kwh(window(D0, D0 + DAY), Interval::Hours))
        .unwrap();
    let rounded = site
        .stats(&StatsQuery::kwh(
            window(D0 + 59, D0 + DAY - 1800),
            Interval::Hours,
        ))
        .unwrap();
    for answer in [&again, &rounded] {
        assert_eq!(answer.source(), Source::Cache);
        assert_eq!(answer.requests(), 0);
        assert_eq!(answer.value(), first.value());
    }
    mock.assert();
    let counters = client.counters();
    assert_eq!((counters.hits, counters.misses), (2, 1));
}

fn a_sub_window_of_a_fetched_range_is_served_with_its_own_totals(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let hours = stats_mock(&mut server, HOUR, 1);
    let (client, _) = common::cached_client(&server, &cache);
    let site = client.site(SiteId(7));
    site.stats(&StatsQuery::kwh(window(D0, D0 + 7 * DAY), Interval::Hours))
        .unwrap();
    let day3 = site
        .stats(&StatsQuery::kwh(
            window(D0 + 3 * DAY, D0 + 4 * DAY),
            Interval::Hours,
        ))
        .unwrap();
    assert_eq!(day3.source(), Source::Cache);
    assert_eq!(day3.requests(), 0);
    let pc = points(day3.series("Pc").unwrap());
    assert_eq!(pc.len(), 24);
    assert_eq!(pc[0].0, D0 + 3 * DAY);
    let expected: f64 = (0..24)
        .map(|h| common::point_value("Pc", D0 + 3 * DAY + h * HOUR))
        .sum();
    assert!((day3.total("Pc").unwrap() - expected).abs() < 1e-9);
    let all: f64 = ["Pc", "Gc", "Pb"]
        .iter()
        .map(|c| day3.total(c).unwrap())
        .sum();
    assert!((day3.total("kwh").unwrap() - all).abs() < 1e-9);
    hours.assert();

    // The same for 15-minute buckets.
    let quarters = server
        .mock("GET", Matcher::Regex("interval=15mins".into()))
        .with_body_from_request(|req| stats_body(req.path_and_query(), 900))
        .expect(1)
        .create();
    site.stats(&StatsQuery::custom(
        window(D0, D0 + 2 * DAY),
        Interval::FifteenMinutes,
        ["bs"],
    ))
    .unwrap();
    let inside = site
        .stats(&StatsQuery::custom(
            window(D0 + 5 * HOUR, D0 + 7 * HOUR),
            Interval::FifteenMinutes,
            ["bs"],
        ))
        .unwrap();
    assert_eq!(inside.source(), Source::Cache);
    assert_eq!(inside.series("bs").unwrap().len(), 8);
    quarters.assert();
}

fn an_overlapping_query_fetches_only_the_missing_part(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let (client, _) = common::cached_client(&server, &cache);
    let site = client.site(SiteId(7));
    let first = server
        .mock("GET", "/installations/7/stats")
        .match_query(Matcher::Exact(format!(
            "type=kwh&interval=hours&start={D0}&end={}",
            D0 + 2 * DAY
        )))
        .with_body_from_request(|req| stats_body(req.path_and_query(), HOUR))
        .expect(1)
        .create();
    site.stats(&StatsQuery::kwh(window(D0, D0 + 2 * DAY), Interval::Hours))
        .unwrap();
    first.assert();
    let missing = server
        .mock("GET", "/installations/7/stats")
        .match_query(Matcher::Exact(format!(
            "type=kwh&interval=hours&start={}&end={}",
            D0 + 2 * DAY,
            D0 + 3 * DAY
        )))
        .with_body_from_request(|req| stats_body(req.path_and_query(), HOUR))
        .expect(1)
        .create();
    let later = site
        .stats(&StatsQuery::kwh(
            window(D0 + DAY, D0 + 3 * DAY),
            Interval::Hours,
        ))
        .unwrap();
    missing.assert();
    assert_eq!(later.source(), Source::Mixed);
    assert_eq!(later.requests(), 1);
    let pc = points(later.series("Pc").unwrap());
    let times: Vec<i64> = pc.iter().map(|p| p.0).collect();
    let expected: Vec<i64> = (0..48).map(|h| D0 + DAY + h * HOUR).collect();
    assert_eq!(times, expected, "every hour once, in order");
}

/// The windows a recording mock was asked for, in order.
type Seen = std::sync::Arc<std::sync::Mutex<Vec<(i64, i64)>>>;

fn interval_name(step: i64) -> &'static str {
    match step {
        900 => "15mins",
        HOUR => "hours",
        _ => "days",
    }
}

/// A mock answering any stats request of the interval of `step`,
/// recording the windows asked.
fn recording_mock(server: &mut ServerGuard, step: i64) -> (Mock, Seen) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let mock = server
        .mock(
            "GET",
            Matcher::Regex(format!(
                r"^/installations/\d+/stats\?.*interval={}",
                interval_name(step)
            )),
        )
        .with_body_from_request(move |req| {
            let q = req.path_and_query();
            let start = query_param(q, "start").and_then(|v| v.parse().ok());
            let end = query_param(q, "end").and_then(|v| v.parse().ok());
            if let (Some(s), Some(e), Ok(mut log)) = (start, end, log.lock()) {
                log.push((s, e));
            }
            stats_body(q, step)
        })
        .expect_at_least(1)
        .create();
    (mock, seen)
}

/// The windows asked, in time order (chunks go in parallel).
fn sorted(seen: &Seen) -> Vec<(i64, i64)> {
    let mut windows = seen.lock().unwrap().clone();
    windows.sort_unstable();
    windows
}

fn long_windows_are_split_into_allowed_chunks_and_stitched(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let (_mock, seen) = recording_mock(&mut server, HOUR);
    let (client, _) = common::cached_client(&server, &cache);
    let site = client.site(SiteId(7));
    let start = D0 - 400 * DAY;

    // 90 days of hours: 31 + 31 + 28 days.
    let stats = site
        .stats(&StatsQuery::kwh(
            window(start, start + 90 * DAY),
            Interval::Hours,
        ))
        .unwrap();
    // Fetched in parallel: the chunks, in whatever order they went.
    assert_eq!(
        sorted(&seen),
        [
            (start, start + 31 * DAY),
            (start + 31 * DAY, start + 62 * DAY),
            (start + 62 * DAY, start + 90 * DAY)
        ]
    );
    assert_eq!(stats.requests(), 4, "3 chunks and users/me");
    let times: Vec<i64> = points(stats.series("Gc").unwrap())
        .iter()
        .map(|p| p.0)
        .collect();
    let expected: Vec<i64> = (0..90 * 24).map(|h| start + h * HOUR).collect();
    assert_eq!(times, expected, "no duplicated or missing bucket");

    // A year of hours: 12 requests (the first 90 days are cached: the rest
    // is 275 days, 9 requests; so ask a fresh site).
    seen.lock().unwrap().clear();
    let year = client
        .site(SiteId(8))
        .stats(&StatsQuery::kwh(
            window(start, start + 365 * DAY),
            Interval::Hours,
        ))
        .unwrap();
    assert_eq!(seen.lock().unwrap().len(), 12);
    assert_eq!(year.series("Pc").unwrap().len(), 365 * 24);
    // And the cached 90 days make the rest of site 7's year 9 requests.
    seen.lock().unwrap().clear();
    site.stats(&StatsQuery::kwh(
        window(start, start + 365 * DAY),
        Interval::Hours,
    ))
    .unwrap();
    assert_eq!(
        sorted(&seen).first(),
        Some(&(start + 90 * DAY, start + 121 * DAY))
    );
    assert_eq!(seen.lock().unwrap().len(), 9);

    // Three years of days: 7 requests of at most 180 days.
    let (_days, seen_days) = recording_mock(&mut server, DAY);
    let years = client
        .site(SiteId(9))
        .stats(&StatsQuery::kwh(
            window(start - 3 * 365 * DAY, start),
            Interval::Days,
        ))
        .unwrap();
    let chunks = sorted(&seen_days);
    assert_eq!(chunks.len(), 7);
    assert!(chunks.windows(2).all(|w| w[0].1 == w[1].0));
    assert!(chunks.iter().all(|(a, b)| b - a <= 180 * DAY));
    assert_eq!(years.series("Pc").unwrap().len(), 3 * 365);
}

#[test]
fn long_windows_are_split_without_a_cache_too() {
    let mut server = server();
    let (_mock, seen) = recording_mock(&mut server, HOUR);
    let (client, _) = common::client(&server);
    let start = D0 - 100 * DAY;
    let stats = client
        .site(SiteId(7))
        .stats(&StatsQuery::kwh(
            window(start, start + 90 * DAY),
            Interval::Hours,
        ))
        .unwrap();
    assert_eq!(seen.lock().unwrap().len(), 3);
    assert_eq!(stats.requests(), 3);
    assert_eq!(stats.series("Pb").unwrap().len(), 90 * 24);
}

fn day_buckets_are_reused_only_with_the_same_alignment(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let (_mock, seen) = recording_mock(&mut server, DAY);
    let (client, _) = common::cached_client(&server, &cache);
    let site = client.site(SiteId(7));
    site.stats(&StatsQuery::kwh(window(D0 - 20 * DAY, D0), Interval::Days))
        .unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);
    // Same grid (midnight), inside: served.
    let inside = site
        .stats(&StatsQuery::kwh(
            window(D0 - 10 * DAY, D0 - 3 * DAY),
            Interval::Days,
        ))
        .unwrap();
    assert_eq!(inside.source(), Source::Cache);
    assert_eq!(inside.series("Pc").unwrap().len(), 7);
    // Buckets starting at 06:00 are other buckets: fetched.
    let shifted = site
        .stats(&StatsQuery::kwh(
            window(D0 - 10 * DAY + 6 * HOUR, D0 - 3 * DAY + 6 * HOUR),
            Interval::Days,
        ))
        .unwrap();
    assert_eq!(shifted.source(), Source::Network);
    assert_eq!(seen.lock().unwrap().len(), 2);
    // Hours reuse any sub-window, whatever its start hour.
    let (_hours, seen_hours) = recording_mock(&mut server, HOUR);
    site.stats(&StatsQuery::kwh(window(D0 - 2 * DAY, D0), Interval::Hours))
        .unwrap();
    let odd = site
        .stats(&StatsQuery::kwh(
            window(D0 - 2 * DAY + 5 * HOUR, D0 - DAY + 3 * HOUR),
            Interval::Hours,
        ))
        .unwrap();
    assert_eq!(odd.source(), Source::Cache);
    assert_eq!(odd.series("Pc").unwrap().len(), 22);
    assert_eq!(seen_hours.lock().unwrap().len(), 1);
}

fn a_last_bucket_cut_short_is_refetched_when_a_query_needs_it_whole(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let (_mock, seen) = recording_mock(&mut server, DAY);
    let (client, _) = common::cached_client(&server, &cache);
    let site = client.site(SiteId(7));
    // 3 days and 5 hours: the last day bucket holds 5 hours.
    site.stats(&StatsQuery::kwh(
        window(D0 - 10 * DAY, D0 - 7 * DAY + 5 * HOUR),
        Interval::Days,
    ))
    .unwrap();
    let again = site
        .stats(&StatsQuery::kwh(
            window(D0 - 10 * DAY, D0 - 7 * DAY + 5 * HOUR),
            Interval::Days,
        ))
        .unwrap();
    assert_eq!(again.source(), Source::Cache);
    // Five whole days: the short bucket is fetched again, whole.
    site.stats(&StatsQuery::kwh(
        window(D0 - 10 * DAY, D0 - 5 * DAY),
        Interval::Days,
    ))
    .unwrap();
    assert_eq!(
        seen.lock().unwrap()[1],
        (D0 - 7 * DAY, D0 - 5 * DAY),
        "from the start of the short bucket"
    );
}

fn the_recent_past_is_refetched_once_its_copy_is_no_longer_fresh(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let (_mock, seen) = recording_mock(&mut server, HOUR);
    let (client, clock) = common::cached_client(&server, &cache);
    let site = client.site(SiteId(7));
    let week = StatsQuery::kwh(window(NOW - 7 * DAY, NOW), Interval::Hours);
    site.stats(&week).unwrap();
    clock.advance(Duration::from_secs(10 * 60));
    assert_eq!(site.stats(&week).unwrap().source(), Source::Cache);
    // Past the 15-minute freshness limit: only the part that was inside the
    // 48-hour settle margin when fetched is asked again.
    clock.advance(Duration::from_secs(10 * 60));
    let refreshed = site.stats(&week).unwrap();
    assert_eq!(refreshed.source(), Source::Mixed);
    assert_eq!(
        *seen.lock().unwrap(),
        [(NOW - 7 * DAY, NOW), (NOW - 2 * DAY, NOW)]
    );
    assert_eq!(refreshed.series("Pc").unwrap().len(), 7 * 24);
    // The old days stay final: a later query of them alone costs nothing.
    clock.advance(Duration::from_secs(3600));
    let old = site
        .stats(&StatsQuery::kwh(
            window(NOW - 7 * DAY, NOW - 3 * DAY),
            Interval::Hours,
        ))
        .unwrap();
    assert_eq!(old.source(), Source::Cache);
    assert_eq!(seen.lock().unwrap().len(), 2);
}

fn show_instance_results_are_cached_per_instance(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let (_mock, seen) = recording_mock(&mut server, HOUR);
    let (client, _) = common::cached_client(&server, &cache);
    let site = client.site(SiteId(7));
    let query =
        StatsQuery::custom(window(D0, D0 + DAY), Interval::Hours, ["PVP"]).show_instance(true);
    let first = site.stats(&query).unwrap();
    let again = site.stats(&query).unwrap();
    assert_eq!(again.source(), Source::Cache);
    assert_eq!(seen.lock().unwrap().len(), 1);
    let pvp = again.series("PVP").unwrap();
    assert!(pvp.is_per_instance());
    assert_eq!(pvp.instance(0).unwrap().len(), 24);
    assert_eq!(pvp.instance(1).unwrap().len(), 24);
    let half = pvp.instance(1).unwrap()[3].value.unwrap();
    assert!((half - pvp.instance(0).unwrap()[3].value.unwrap() / 2.0).abs() < 1e-9);
    assert_eq!(again.value(), first.value());
    let per = &again.instance_totals["PVP"];
    let sum: f64 = per.values().flatten().sum();
    assert!((again.total("PVP").unwrap() - sum).abs() < 1e-9);
    // Without instances it is another query.
    let flat = site
        .stats(&StatsQuery::custom(
            window(D0, D0 + DAY),
            Interval::Hours,
            ["PVP"],
        ))
        .unwrap();
    assert_eq!(flat.source(), Source::Network);
    assert!(!flat.series("PVP").unwrap().is_per_instance());
}

fn custom_codes_are_covered_one_by_one(backend: Backend) {
    let (mut server, cache) = setup(backend);
    let (_mock, seen) = recording_mock(&mut server, HOUR);
    let (client, _) = common::cached_client(&server, &cache);
    let site = client.site(SiteId(7));
    site.stats(&StatsQuery::custom(
        window(D0, D0 + DAY),
        Interval::Hours,
        ["bs", "bv"],
    ))
    .unwrap();
    let one = site
        .stats(&StatsQuery::custom(
            window(D0, D0 + DAY),
            Interval::Hours,
            ["bv"],
        ))
        .unwrap();
    assert_eq!(one.source(), Source::Cache);
    assert_eq!(one.codes().collect::<Vec<_>>(), ["bv"]);
    let more = site
        .stats(&StatsQuery::custom(
            window(D0, D0 + DAY),
            Interval::Hours,
            ["bv", "V"],
        ))
        .unwrap();
    assert_eq!(more.source(), Source::Network);
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert_eq!(more.series("V").unwrap().len(), 24);
}

backends::both!(
    a_repeated_query_and_one_that_rounds_to_the_same_hours_make_no_request,
    a_sub_window_of_a_fetched_range_is_served_with_its_own_totals,
    an_overlapping_query_fetches_only_the_missing_part,
    long_windows_are_split_into_allowed_chunks_and_stitched,
    day_buckets_are_reused_only_with_the_same_alignment,
    a_last_bucket_cut_short_is_refetched_when_a_query_needs_it_whole,
    the_recent_past_is_refetched_once_its_copy_is_no_longer_fresh,
    show_instance_results_are_cached_per_instance,
    custom_codes_are_covered_one_by_one,
);
